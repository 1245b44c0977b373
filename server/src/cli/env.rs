//! `flake-lsp env`: realise a flake's dev shell and print what it sets, the interpreter and
//! the venv, or the statements that put the user's own shell into it.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use super::usage::{split_flag, usage, ENV_HELP, HELP};
use crate::env::trust::Decision;
use crate::env::{find_root, Engine, EnvConfig, EnvState, Environment};

#[derive(Clone, Copy, PartialEq)]
enum Output {
    Human,
    Json,
    Export(Shell),
}

#[derive(Clone, Copy, PartialEq)]
enum Shell {
    Posix,
    Fish,
}

pub fn env(args: &[String]) -> ExitCode {
    let mut config = EnvConfig::default();
    let mut output = Output::Human;
    let mut refresh = false;
    let mut trust = false;
    let mut dir: Option<PathBuf> = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = split_flag(arg);
        let mut value =
            |name: &str| inline.clone().or_else(|| it.next().cloned()).ok_or(format!("{name} needs a value"));
        match flag {
            "--shell" => match value("--shell") {
                Ok(v) => config.shell = Some(v),
                Err(e) => return usage(&e),
            },
            "--json" => output = Output::Json,
            "--export" => match value("--export").as_deref() {
                Ok("bash" | "zsh" | "sh") => output = Output::Export(Shell::Posix),
                Ok("fish") => output = Output::Export(Shell::Fish),
                Ok(other) => return usage(&format!("cannot export for `{other}` (bash, zsh or fish)")),
                Err(e) => return usage(e),
            },
            "--refresh" => refresh = true,
            "--no-hook" => config.run_hook = false,
            "--timeout" => match value("--timeout").map(|v| v.parse::<f64>()) {
                Ok(Ok(secs)) if secs > 0.0 => config.hook_timeout = std::time::Duration::from_secs_f64(secs),
                Ok(_) => return usage("--timeout needs a number of seconds"),
                Err(e) => return usage(&e),
            },
            "--trust" => trust = true,
            "--override-input" => {
                let (Some(name), Some(reference)) = (it.next(), it.next()) else {
                    return usage("--override-input needs a name and a flake reference");
                };
                config.nix.override_inputs.push((name.clone(), reference.clone()));
            }
            "--help" | "-h" => {
                print!("{HELP}\n{ENV_HELP}");
                return ExitCode::SUCCESS;
            }
            f if f.starts_with("--") => return usage(&format!("unknown option `{f}`")),
            _ if dir.is_none() => dir = Some(PathBuf::from(arg)),
            _ => return usage(&format!("unexpected argument `{arg}`")),
        }
    }
    let start = dir.unwrap_or_else(|| PathBuf::from("."));
    let start = start.canonicalize().unwrap_or(start);
    let Some(root) = find_root(&start) else {
        eprintln!("flake-lsp: no flake.nix in {} or above it", start.display());
        return ExitCode::from(2);
    };
    let engine = match Engine::for_user(config) {
        Ok(engine) => engine,
        Err(e) => {
            eprintln!("flake-lsp: {e}");
            return ExitCode::from(2);
        }
    };
    if trust {
        if let Err(e) = engine.trust_store().set(&root, Some(Decision::Trusted)) {
            eprintln!("flake-lsp: cannot record trust in {}: {e}", engine.trust_store().file().display());
            return ExitCode::from(2);
        }
    } else if !engine.trust_store().is_trusted(&root) && !ask_trust(&engine, &root) {
        eprintln!(
            "flake-lsp: {} is not trusted, so nothing was built and no shellHook ran.\n\
             Building a flake and its shellHook run its code: if you trust it, run again with --trust.",
            root.display()
        );
        return ExitCode::from(1);
    }
    let cached = if refresh { None } else { engine.cached(&root) };
    let environment = match cached {
        Some(env) if env.state == EnvState::Ready => env,
        other => {
            if let Some(stale) = other.filter(|e| e.state == EnvState::Stale) {
                eprintln!(
                    "flake-lsp: the cached environment is stale ({}): realising again",
                    stale.error.unwrap_or_default()
                );
            }
            realise_with_progress(&engine, &root)
        }
    };
    let mut environment = environment;
    // An input that could not be fetched: the sentence the editor shows on its `url`.
    if let Some(failure) = &environment.fetch_failure {
        environment.error = Some(crate::ide::diagnostics::unfetched_input_in(&root, failure).message);
    }
    print(&environment, output);
    match environment.state {
        EnvState::Ready => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    }
}

/// On a terminal, asks whether to trust the flake (and remembers a yes or a no).
fn ask_trust(engine: &Engine, root: &std::path::Path) -> bool {
    if !std::io::stdin().is_terminal() || engine.trust_store().get(root) == Some(Decision::Denied) {
        return false;
    }
    eprint!(
        "flake-lsp: {} is not trusted yet. Building it and running its shellHook runs its code.\nTrust it? [y/N] ",
        root.display()
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_err() {
        return false;
    }
    let yes = matches!(answer.trim(), "y" | "Y" | "yes" | "Yes");
    let decision = if yes { Decision::Trusted } else { Decision::Denied };
    if let Err(e) = engine.trust_store().set(root, Some(decision)) {
        eprintln!("flake-lsp: cannot record the answer: {e}");
    }
    yes
}

fn realise_with_progress(engine: &Engine, root: &std::path::Path) -> Environment {
    let cancel = AtomicBool::new(false);
    let tty = std::io::stderr().is_terminal();
    let mut last = String::new();
    let mut on_progress = |p: &crate::nix::internal_json::Progress| {
        let Some(message) = p.message() else { return };
        if message == last {
            return;
        }
        if tty {
            eprint!("\r\x1b[Krealising: {message}");
        } else {
            eprintln!("realising: {message}");
        }
        last = message;
    };
    if !tty {
        eprintln!("realising the dev shell of {}", root.display());
    }
    let env = engine.realise(root, &cancel, &mut on_progress);
    if tty && !last.is_empty() {
        eprint!("\r\x1b[K");
    }
    env
}

fn print(env: &Environment, output: Output) {
    match output {
        Output::Json => {
            println!("{}", serde_json::to_string_pretty(env).unwrap_or_default());
        }
        Output::Export(shell) => {
            if let Some(error) = &env.error {
                eprintln!("flake-lsp: {error}");
            }
            if matches!(env.state, EnvState::Ready | EnvState::Stale) {
                print!("{}", export(env, shell));
            }
        }
        Output::Human => human(env),
    }
}

fn human(env: &Environment) {
    println!("flake    {}", env.root.display());
    if let Some(shell) = &env.shell {
        let origin = if env.from_cache { " (from cache)" } else { "" };
        println!("shell    {shell}{origin}");
    }
    let state = match env.state {
        EnvState::Ready => "ready",
        EnvState::Stale => "stale",
        EnvState::Failed => "failed",
        EnvState::Untrusted => "untrusted",
        EnvState::Realising => "realising",
    };
    println!("state    {state}");
    if let Some(error) = &env.error {
        println!("error    {}", error.replace('\n', "\n         "));
    }
    if let Some(py) = &env.python {
        let version = py.version.as_deref().unwrap_or("unknown version");
        println!("python   {} ({version})", py.interpreter.display());
        if let Some(venv) = &py.venv {
            println!("venv     {}", venv.display());
        }
        if let Some(site) = &py.site_packages {
            println!("site     {}", site.display());
        }
        if let Some(why) = &py.broken {
            println!("broken   the venv is broken: {why}; recreate it (remove it and realise again)");
        }
    } else if matches!(env.state, EnvState::Ready | EnvState::Stale) {
        println!("python   none in this environment");
    }
    if matches!(env.state, EnvState::Ready | EnvState::Stale) {
        let names: Vec<&str> = env.set.keys().map(String::as_str).collect();
        println!("set      {} variables: {}", names.len(), names.join(" "));
        if !env.unset.is_empty() {
            println!("unset    {}", env.unset.join(" "));
        }
    }
    if let Some(log) = &env.log {
        println!("log      {}", log.display());
    }
}

/// Statements that turn the user's shell into the environment.
fn export(env: &Environment, shell: Shell) -> String {
    let mut out = String::new();
    for name in &env.unset {
        match shell {
            Shell::Posix => out.push_str(&format!("unset {name}\n")),
            Shell::Fish => out.push_str(&format!("set -e {name}\n")),
        }
    }
    for (name, value) in &env.set {
        if !is_name(name) {
            continue;
        }
        match shell {
            Shell::Posix => out.push_str(&format!("export {name}={}\n", quote(value))),
            Shell::Fish if name == "PATH" => {
                let parts: Vec<String> = value.split(':').filter(|p| !p.is_empty()).map(quote_fish).collect();
                out.push_str(&format!("set -gx PATH {}\n", parts.join(" ")));
            }
            Shell::Fish => out.push_str(&format!("set -gx {name} {}\n", quote_fish(value))),
        }
    }
    out
}

fn is_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Single quotes, inside which bash and zsh take everything literally; a quote closes them,
/// is escaped, and reopens them.
fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

/// fish's single quotes, inside which `\\` and `\'` are the only escapes.
fn quote_fish(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_with(set: &[(&str, &str)], unset: &[&str]) -> Environment {
        Environment {
            root: PathBuf::from("/p"),
            shell: None,
            state: EnvState::Ready,
            from_cache: false,
            set: set.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            unset: unset.iter().map(|s| s.to_string()).collect(),
            python: None,
            error: None,
            error_position: None,
            fetch_failure: None,
            log: None,
        }
    }

    #[test]
    fn exports_for_posix_shells_and_fish() {
        let env = env_with(&[("PATH", "/nix/store/a/bin:/usr/bin"), ("MSG", "it's")], &["GONE"]);
        assert_eq!(
            export(&env, Shell::Posix),
            "unset GONE\nexport MSG='it'\\''s'\nexport PATH='/nix/store/a/bin:/usr/bin'\n"
        );
        assert_eq!(
            export(&env, Shell::Fish),
            "set -e GONE\nset -gx MSG 'it\\'s'\nset -gx PATH '/nix/store/a/bin' '/usr/bin'\n"
        );
    }

    #[test]
    fn posix_exports_survive_a_round_trip_through_bash() {
        let tricky = "a'b\"c $d `e` \\f\ng";
        let env = env_with(&[("TRICKY", tricky)], &[]);
        let script = format!("{}printf %s \"$TRICKY\"", export(&env, Shell::Posix));
        let out = std::process::Command::new("bash")
            .args(["--noprofile", "--norc", "-c", &script])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), tricky);
    }
}
