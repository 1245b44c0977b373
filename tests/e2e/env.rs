//! `flake-lsp env` against real Nix (`nix`, 2.8, and `nix-latest`, 2.34: both required), with
//! flakes whose nixpkgs is the fixture in tests/fixtures/nixpkgs: realisation, the shellHook's
//! venv, hooks that misbehave, the cache, trust, and a missing Nix.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::*;

/// A project directory with its own cache and data directories, removed afterwards.
struct Project {
    dir: PathBuf,
    nix: PathBuf,
}

impl Project {
    /// A git repository holding a flake whose dev shell has python311 and `hook` as shellHook.
    fn with_hook(tag: &str, nix: &Path, hook: &str) -> Project {
        let flake = format!(
            r#"{{
  description = "flake-lsp env test";
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
  outputs = {{ self, nixpkgs }}:
    let pkgs = nixpkgs.legacyPackages.x86_64-linux;
    in {{
      devShells.x86_64-linux.default = pkgs.mkShell {{
        packages = [ pkgs.python311 pkgs.jq ];
        env.PROJECT_GREETING = "hello";
        shellHook = ''
{hook}
        '';
      }};
    }};
}}
"#
        );
        Project::with_files(tag, nix, &[("flake.nix", &flake)])
    }

    fn with_files(tag: &str, nix: &Path, files: &[(&str, &str)]) -> Project {
        let name = nix.file_name().unwrap().to_string_lossy().to_string();
        let dir = std::env::temp_dir().join(format!("flake-lsp-env-{tag}-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let root = dir.join("project");
        std::fs::create_dir_all(&root).unwrap();
        for (path, text) in files {
            std::fs::write(root.join(path), text).unwrap();
        }
        let project = Project { dir, nix: nix.to_path_buf() };
        git_repo(&project.root());
        project
    }

    fn root(&self) -> PathBuf {
        self.dir.join("project")
    }

    fn env_command(&self, args: &[&str]) -> Command {
        let fixtures = repo_root().join("tests/fixtures");
        let mut cmd = Command::new(BIN);
        cmd.arg("env")
            .args(args)
            .arg(self.root())
            .args(["--override-input", "nixpkgs"])
            .arg(format!("path:{}", fixtures.join("nixpkgs").display()))
            .env("FLAKE_LSP_NIX", &self.nix)
            .env("XDG_CACHE_HOME", self.dir.join("cache"))
            .env("XDG_DATA_HOME", self.dir.join("data"))
            .env("PIP_NO_INDEX", "1")
            .stdin(std::process::Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.env_command(args).output().unwrap()
    }

    /// `env --json` (trusting first): the environment, and the exit status.
    fn json(&self, extra: &[&str]) -> (Value, bool) {
        let mut args = vec!["--json", "--trust"];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        let text = String::from_utf8_lossy(&out.stdout);
        let value: Value = serde_json::from_str(&text).unwrap_or_else(|_| {
            panic!("JSON from env; stdout:\n{text}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr))
        });
        (value, out.status.success())
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_hooks_venv_is_the_interpreter_and_comes_first_on_path() {
    for nix in nixes() {
        let project = Project::with_hook(
            "venv",
            &nix,
            "test -d .venv || python3 -m venv --without-pip .venv\nsource .venv/bin/activate",
        );
        let (env, ok) = project.json(&[]);
        assert!(ok, "{}: {env}", nix.display());
        let root = project.root().canonicalize().unwrap();
        assert_eq!(env["state"], "ready");
        assert_eq!(env["fromCache"], false);
        assert_eq!(env["shell"], "devShells.x86_64-linux.default");
        let python = &env["python"];
        assert_eq!(python["interpreter"], root.join(".venv/bin/python").display().to_string());
        assert_eq!(python["venv"], root.join(".venv").display().to_string());
        assert!(python["version"].as_str().unwrap().starts_with("3.11."), "{python}");
        assert!(python["broken"].is_null(), "{python}");
        assert_eq!(env["set"]["VIRTUAL_ENV"], root.join(".venv").display().to_string());
        assert_eq!(env["set"]["PROJECT_GREETING"], "hello");
        let path: Vec<&str> = env["set"]["PATH"].as_str().unwrap().split(':').collect();
        assert_eq!(path[0], root.join(".venv/bin").display().to_string());
        assert!(path[1].starts_with("/nix/store/") && path[1].contains("python3"), "{path:?}");
        assert!(path.iter().any(|p| p.contains("-jq-")), "{path:?}");
        for never in ["HOME", "TMPDIR", "SHELL", "PWD", "SHLVL", "NIX_BUILD_TOP"] {
            assert!(env["set"].get(never).is_none(), "{never} is never copied");
        }

        // Unchanged: from the cache. Changed: realised again.
        let (again, _) = project.json(&[]);
        assert_eq!(again["fromCache"], true, "{}", nix.display());
        assert_eq!(again["set"], env["set"]);
        let flake = project.root().join("flake.nix");
        let text = std::fs::read_to_string(&flake).unwrap();
        std::fs::write(&flake, text.replace("\"hello\"", "\"hello again\"")).unwrap();
        let (rebuilt, ok) = project.json(&[]);
        assert!(ok);
        assert_eq!(rebuilt["fromCache"], false);
        assert_eq!(rebuilt["set"]["PROJECT_GREETING"], "hello again");

        // Broken: the last good environment, stale, with Nix's error.
        std::fs::write(&flake, text.replace("packages = [", "packages = [ undefinedThing")).unwrap();
        let (broken, ok) = project.json(&[]);
        assert!(!ok, "a failed realisation exits with 1");
        assert_eq!(broken["state"], "stale", "{broken}");
        assert!(broken["error"].as_str().unwrap().contains("undefinedThing"), "{broken}");
        assert_eq!(broken["set"]["PROJECT_GREETING"], "hello again");
    }
}

#[test]
fn a_damaged_cache_entry_is_rebuilt() {
    let Some(nix) = nixes().into_iter().next() else { return };
    let project = Project::with_hook("damaged", &nix, "export FROM_HOOK=1");
    let (first, ok) = project.json(&[]);
    assert!(ok, "{first}");
    let entries = project.dir.join("cache/flake-lsp/env");
    let entry = std::fs::read_dir(&entries)
        .unwrap()
        .map(|e| e.unwrap().path().join("entry.json"))
        .find(|p| p.is_file())
        .unwrap();
    let text = std::fs::read(&entry).unwrap();
    std::fs::write(&entry, &text[..text.len() / 3]).unwrap();
    let (again, ok) = project.json(&[]);
    assert!(ok, "{again}");
    assert_eq!(again["fromCache"], false, "realised again");
    assert_eq!(again["set"]["FROM_HOOK"], "1");
    let (third, _) = project.json(&[]);
    assert_eq!(third["fromCache"], true, "and cached again");
}

/// A `nix` that records each run (its arguments, one line) in `calls`, then runs `real`; put
/// in place as installers do, a new file renamed over the old.
fn recording_nix(at: &Path, real: &Path, calls: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    let new = at.with_extension("new");
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
        calls.display(),
        real.display()
    );
    std::fs::write(&new, script).unwrap();
    std::fs::set_permissions(&new, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::rename(&new, at).unwrap();
}

/// What the recording `nix` was asked since the last call.
fn take_calls(calls: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(calls).unwrap_or_default();
    let _ = std::fs::remove_file(calls);
    text.lines().map(str::to_string).collect()
}

/// An unchanged project is answered from the cache without starting Nix at all: Nix's version
/// (part of the cache key) is remembered with its binary's stamp. A replaced binary is asked
/// again; one that is another version makes the entry stale.
#[test]
fn a_fresh_cached_env_starts_no_nix() {
    let nixes = nixes();
    let Some(real) = nixes.first() else { return };
    let tools = std::env::temp_dir().join(format!("flake-lsp-recording-nix-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tools);
    let (nix, calls) = (tools.join("bin/nix"), tools.join("calls"));
    recording_nix(&nix, real, &calls);
    let project = Project::with_hook("no-nix-run", &nix, "export FROM_HOOK=1");
    let (first, ok) = project.json(&[]);
    assert!(ok && first["fromCache"] == false, "{first}");
    let asked = take_calls(&calls);
    assert!(asked.iter().any(|c| c.ends_with("--version")), "realising asks Nix its version: {asked:?}");

    let (cached, ok) = project.json(&[]);
    assert!(ok && cached["state"] == "ready" && cached["fromCache"] == true, "{cached}");
    assert_eq!(cached["set"], first["set"]);
    let out = project.run(&["--export", "bash"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("export FROM_HOOK='1'"));
    assert_eq!(take_calls(&calls), Vec::<String>::new(), "a fresh cache starts no nix");

    // The binary replaced (the same Nix behind it): asked once, still fresh.
    recording_nix(&nix, real, &calls);
    let (again, _) = project.json(&[]);
    assert_eq!(again["fromCache"], true, "{again}");
    let asked = take_calls(&calls);
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(asked[0].ends_with("--version"), "{asked:?}");
    project.json(&[]);
    assert_eq!(take_calls(&calls), Vec::<String>::new());

    // Another Nix version behind it: the entry is stale and realised again.
    if let Some(other) = nixes.get(1) {
        recording_nix(&nix, other, &calls);
        let out = project.run(&["--json", "--trust"]);
        let env: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr(&out)));
        assert!(out.status.success(), "{env}");
        assert_eq!(env["fromCache"], false, "{env}");
        assert!(stderr(&out).contains("the cached environment is stale (Nix is now 2."), "{}", stderr(&out));
        take_calls(&calls);
        let (cached, _) = project.json(&[]);
        assert_eq!(cached["fromCache"], true, "{cached}");
        assert_eq!(take_calls(&calls), Vec::<String>::new());
    }
    let _ = std::fs::remove_dir_all(&tools);
}

#[test]
fn the_seeds_pattern_a_child_script_that_execs_bash_still_finishes() {
    let Some(seeds) = seeds() else { return };
    let seed = std::fs::read_to_string(seeds.join("000-devops-renaissance/flake.nix")).unwrap();
    for nix in nixes() {
        let project = Project::with_files("seed", &nix, &[("flake.nix", &seed), ("requirements.txt", "")]);
        let fixtures = repo_root().join("tests/fixtures");
        let utils = format!("path:{}", fixtures.join("flake-utils").display());
        let out = project
            .env_command(&["--json", "--trust", "--override-input", "flake-utils", &utils])
            .output()
            .unwrap();
        let env: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{}: JSON; stderr: {}", nix.display(), stderr(&out)));
        assert_eq!(env["state"], "ready", "{}: {env}", nix.display());
        assert_eq!(env["shell"], "devShell.x86_64-linux");
        let venv = project.root().canonicalize().unwrap().join(".venv");
        assert_eq!(env["python"]["venv"], venv.display().to_string());
        assert!(venv.join("bin/python").exists());
        let log = std::fs::read_to_string(env["log"].as_str().unwrap()).unwrap();
        assert!(log.contains("Welcome to the Pipulate development environment"), "{log}");
    }
}

#[test]
fn hooks_that_exec_a_shell_read_stdin_or_leave_a_process_finish() {
    let Some(nix) = nixes().into_iter().next() else { return };
    for (tag, hook) in [
        ("exec-bash", "export BEFORE_EXEC=1\nexec bash\nexport AFTER_EXEC=1"),
        ("exec-shell", "export BEFORE_EXEC=1\nexec \"$SHELL\""),
        ("stdin", "read -r answer\nexport BEFORE_EXEC=\"got:$answer\""),
        ("background", "(sleep 300 &)\nsleep 300 &\nexport BEFORE_EXEC=1"),
    ] {
        let project = Project::with_hook(tag, &nix, hook);
        let (env, ok) = project.json(&["--timeout", "60"]);
        assert!(ok, "{tag}: {env}");
        assert!(env["set"]["BEFORE_EXEC"].as_str().is_some_and(|v| v == "1" || v == "got:"), "{tag}: {env}");
        assert!(env["set"].get("AFTER_EXEC").is_none());
    }
}

#[test]
fn a_hook_that_never_returns_is_stopped_and_nothing_is_left_running() {
    let Some(nix) = nixes().into_iter().next() else { return };
    let project = Project::with_hook(
        "forever",
        &nix,
        "(while true; do date > still-running; sleep 0.1; done) &\nsleep 1000",
    );
    let (env, ok) = project.json(&["--timeout", "3"]);
    assert!(!ok);
    assert_eq!(env["state"], "failed");
    assert!(env["error"].as_str().unwrap().contains("did not finish within 3 s"), "{env}");
    let marker = project.root().join("still-running");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let _ = std::fs::remove_file(&marker);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(!marker.exists(), "the hook's background loop was stopped");
}

#[test]
fn an_untrusted_flake_builds_nothing_and_runs_no_hook() {
    let Some(nix) = nixes().into_iter().next() else { return };
    let project = Project::with_hook("untrusted", &nix, "touch hook-ran");
    let out = project.run(&["--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is not trusted"), "{}", stderr(&out));
    assert!(!project.root().join("hook-ran").exists(), "the hook did not run");
    assert!(!project.dir.join("cache/flake-lsp/env").exists(), "nothing was realised");
    // Trusting it lets it run.
    let (env, ok) = project.json(&[]);
    assert!(ok, "{env}");
    assert!(project.root().join("hook-ran").exists());
}

#[test]
fn without_nix_the_error_says_what_to_do() {
    let project = Project::with_hook("no-nix", Path::new("/nonexistent/nix"), "true");
    let (env, ok) = project.json(&[]);
    assert!(!ok);
    assert_eq!(env["state"], "failed");
    let error = env["error"].as_str().unwrap();
    assert!(
        error.contains("could not start /nonexistent/nix") || error.contains("nix was not found"),
        "{error}"
    );
    // The language features do not need Nix.
    let check = Command::new(BIN)
        .args(["check"])
        .arg(project.root().join("flake.nix"))
        .env("FLAKE_LSP_NIX", "/nonexistent/nix")
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
}

#[test]
fn export_prints_statements_a_shell_can_eval() {
    let Some(nix) = nixes().into_iter().next() else { return };
    let project = Project::with_hook("export", &nix, "export FROM_HOOK='a b'");
    let out = project.run(&["--export", "bash", "--trust"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let script = String::from_utf8_lossy(&out.stdout);
    let check = Command::new("bash")
        .args(["--noprofile", "--norc", "-c"])
        .arg(format!("{script}\nprintf '%s|%s' \"$FROM_HOOK\" \"$(command -v jq)\""))
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&check.stdout);
    let (value, jq) = printed.split_once('|').unwrap();
    assert_eq!(value, "a b");
    assert!(jq.starts_with("/nix/store/"), "jq from the dev shell: {printed}");
}

/// A `bash` that says it is 3.2 when asked its version, as macOS's /bin/bash does, and is
/// this machine's bash for everything else (Nix runs a dev shell's builder to dump it).
fn old_bash(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("old-bash");
    std::fs::create_dir_all(&bin).unwrap();
    let bash = bin.join("bash");
    std::fs::write(
        &bash,
        "#!/bin/bash\ncase \"$*\" in *BASH_VERSINFO*) printf 3.2; exit 0 ;; esac\nexec /bin/bash \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&bash, std::fs::Permissions::from_mode(0o755)).unwrap();
    bash
}

/// The dev shell's builder is a Bash 3.2: the script is sourced with nixpkgs' bashInteractive
/// instead, realised from the flake's nixpkgs input and kept by a GC root. The hook uses an
/// associative array, which Bash 3.2 lacks.
#[test]
fn a_shell_whose_bash_is_too_old_is_sourced_with_nixpkgs_bash_interactive() {
    for nix in nixes() {
        let name = nix.file_name().unwrap().to_string_lossy().to_string();
        let tools = std::env::temp_dir().join(format!("flake-lsp-oldbash-{name}-{}", std::process::id()));
        let bash = old_bash(&tools);
        let flake = format!(
            r#"{{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
  outputs = {{ self, nixpkgs }}: {{
    devShells.x86_64-linux.default = derivation {{
      name = "old-bash-shell"; system = "x86_64-linux"; builder = "{}"; outputs = [ "out" ];
      shellHook = ''
        declare -A seen=([major]="''${{BASH_VERSINFO[0]}}")
        export SOURCED_BY="''${{seen[major]}}"
      '';
    }};
  }};
}}
"#,
            bash.display()
        );
        let project = Project::with_files("oldbash", &nix, &[("flake.nix", &flake)]);
        let (env, ok) = project.json(&[]);
        assert!(ok, "{}: {env}", nix.display());
        assert_eq!(env["state"], "ready", "{env}");
        let major: u32 = env["set"]["SOURCED_BY"].as_str().unwrap().parse().unwrap();
        assert!(major >= 4, "sourced by Bash {major}");
        let log = std::fs::read_to_string(env["log"].as_str().unwrap()).unwrap();
        assert!(
            log.contains("flake-lsp: sourcing with Bash 5.") && log.contains("(nixpkgs#bashInteractive: "),
            "{log}"
        );
        let root = project.dir.join("cache/flake-lsp/env/bash-interactive");
        let target = std::fs::read_link(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
        assert!(
            target.starts_with("/nix/store/") && target.to_string_lossy().contains("bash-interactive"),
            "{target:?}"
        );
        // The next realisation reuses the root.
        let (again, ok) = project.json(&["--refresh"]);
        assert!(ok && again["state"] == "ready", "{again}");
        assert_eq!(std::fs::read_link(&root).unwrap(), target);
        let _ = std::fs::remove_dir_all(&tools);
    }
}

/// The user named a Bash 3.2: nothing else is used instead, and the error says what to do.
#[test]
fn a_configured_bash_that_is_too_old_fails_with_what_to_do() {
    for nix in nixes().into_iter().take(1) {
        let tools = std::env::temp_dir().join(format!("flake-lsp-configured-bash-{}", std::process::id()));
        let bash = old_bash(&tools);
        let project = Project::with_hook("configuredbash", &nix, "export HOOKED=1");
        let out = project.env_command(&["--json", "--trust"]).env("FLAKE_LSP_BASH", &bash).output().unwrap();
        let env: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr(&out)));
        assert!(!out.status.success());
        assert_eq!(env["state"], "failed", "{env}");
        let error = env["error"].as_str().unwrap();
        assert!(error.starts_with("no Bash 4 or newer to source the dev shell with"), "{error}");
        assert!(
            error.contains(&format!("- FLAKE_LSP_BASH: {}: it is Bash 3.2, older than 4.0", bash.display())),
            "{error}"
        );
        assert!(error.contains("Set FLAKE_LSP_BASH to a Bash 4 or newer"), "{error}");
        let _ = std::fs::remove_dir_all(&tools);
    }
}
