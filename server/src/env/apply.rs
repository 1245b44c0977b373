//! Applying a dev shell: source the script `nix print-dev-env` printed in a clean bash, in the
//! flake root, so the shellHook runs as in `nix develop`; then read the environment it leaves
//! and diff it against the one we started from.
//!
//! Hooks do surprising things, and none of them may hang the editor:
//! - `exec bash` / `exec "$SHELL"` (to "enter" the shell): `exec` of a shell is intercepted,
//!   the environment is read at that point and the run ends there.
//! - a child script that does the same (the seeds): the child's shell reads its commands from
//!   stdin, which is /dev/null, so it ends at once and the hook goes on.
//! - reading from stdin: gets end-of-file.
//! - printing: goes to the log file, never to a pipe we would have to drain.
//! - background processes: the run has its own process group, killed when the run ends.
//! - never returning: killed at the timeout, with an error that says so.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Variables never copied from the realised environment into the editor's: they belong to the
/// shell process or the build sandbox, not to the project (DESIGN.md, step 4).
pub const NEVER_COPY: &[&str] = &[
    "TMP",
    "TMPDIR",
    "TEMP",
    "TEMPDIR",
    "NIX_BUILD_TOP",
    "HOME",
    "PWD",
    "OLDPWD",
    "SHLVL",
    "SHELL",
    "PS1",
    "PS2",
    "PS3",
    "PS4",
    "IFS",
    "TERM",
    "TERMINFO",
    "TERMINFO_DIRS",
    "_",
];

pub fn never_copied(name: &str) -> bool {
    NEVER_COPY.contains(&name) || name.starts_with("BASH") || name.starts_with(MARK)
}

/// Prefix of the variables the wrapper itself uses.
const MARK: &str = "__FLAKE_LSP_";

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Run the shellHook (the default, as `nix develop` does).
    pub run_hook: bool,
    pub timeout: Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions { run_hook: true, timeout: Duration::from_secs(600) }
    }
}

/// What applying changed, relative to the starting environment.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EnvDiff {
    /// Variables to set, in name order. PATH holds the shell's entries first.
    pub set: BTreeMap<String, String>,
    /// Variables the shell removed.
    pub unset: Vec<String>,
}

#[derive(Debug)]
pub enum ApplyError {
    /// bash could not be started.
    Spawn(String),
    Timeout {
        after: Duration,
        log: PathBuf,
    },
    Cancelled,
    /// The script ended without leaving an environment (it failed, or exited early).
    Failed {
        status: String,
        log: PathBuf,
        tail: String,
    },
    Io(String),
}

impl std::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApplyError::Spawn(e) => write!(f, "cannot start bash to source the dev shell: {e}"),
            ApplyError::Timeout { after, log } => write!(
                f,
                "the shellHook did not finish within {} s and was stopped (log: {}). If it starts a \
                 server or waits for input, make it return, or raise flakeLsp.environment.timeout, or \
                 run without the hook (flakeLsp.environment.runShellHook = false)",
                after.as_secs(),
                log.display()
            ),
            ApplyError::Cancelled => write!(f, "cancelled"),
            ApplyError::Failed { status, log, tail } => {
                write!(f, "the dev shell's script failed ({status}; log: {})", log.display())?;
                if !tail.is_empty() {
                    write!(f, ":\n{tail}")?;
                }
                Ok(())
            }
            ApplyError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ApplyError {}

/// Sources `script` in a clean `bash` in `root` with `start` as its environment, and returns
/// the environment it ends with. Output is appended to `log`. `cancel` stops it early.
/// `bash` should be 4 or newer (`env::bash` picks one).
pub fn run_script(
    bash: &Path,
    script: &str,
    root: &Path,
    start: &BTreeMap<String, String>,
    log: &Path,
    options: &ApplyOptions,
    cancel: &AtomicBool,
) -> Result<BTreeMap<String, String>, ApplyError> {
    let work = tempfile_dir(log)?;
    let script_path = work.join("dev-env.sh");
    let out_path = work.join("env.out");
    let wrapper_path = work.join("wrapper.sh");
    write(&script_path, script)?;
    write(&wrapper_path, &wrapper(options.run_hook))?;
    // Appended to: the log may already hold what Nix said while realising.
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| ApplyError::Io(format!("cannot write {}: {e}", log.display())))?;
    let log_err = log_file.try_clone().map_err(|e| ApplyError::Io(e.to_string()))?;

    let mut child = Command::new(bash)
        .arg("--noprofile")
        .arg("--norc")
        .arg(&wrapper_path)
        .current_dir(root)
        .env_clear()
        .envs(start)
        .env("__FLAKE_LSP_SCRIPT", &script_path)
        .env("__FLAKE_LSP_OUT", &out_path)
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(log_err)
        .process_group(0)
        .spawn()
        .map_err(|e| ApplyError::Spawn(e.to_string()))?;
    let group = child.id() as i32;
    let _registered = crate::children::register(group);
    let deadline = Instant::now() + options.timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => {
                kill_group(group);
                return Err(ApplyError::Io(e.to_string()));
            }
        }
        if cancel.load(Ordering::Acquire) {
            kill_group(group);
            let _ = child.wait();
            return Err(ApplyError::Cancelled);
        }
        if Instant::now() >= deadline {
            kill_group(group);
            let _ = child.wait();
            return Err(ApplyError::Timeout { after: options.timeout, log: log.to_path_buf() });
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // Whatever the hook left running in the background goes with the run.
    kill_group(group);
    let dumped = std::fs::read(&out_path).ok();
    let _ = std::fs::remove_dir_all(&work);
    match dumped {
        Some(bytes) if status.success() => Ok(parse_env(&bytes)),
        _ => Err(ApplyError::Failed {
            status: status.to_string(),
            log: log.to_path_buf(),
            tail: tail(log, 20),
        }),
    }
}

/// The bash program that sources the script. `exec` of a shell is intercepted: the hook wants
/// an interactive shell, which for us means "the environment is ready".
fn wrapper(run_hook: bool) -> String {
    let mut w = String::from(
        r#"readonly __FLAKE_LSP_OUT __FLAKE_LSP_SCRIPT
__flake_lsp_dump() {
    local __flake_lsp_name
    for __flake_lsp_name in $(compgen -e); do
        printf '%s=%s\0' "$__flake_lsp_name" "${!__flake_lsp_name}"
    done > "$__FLAKE_LSP_OUT"
    # `nix develop` removes its temporary build directory when the shell ends; so do we.
    case "${NIX_BUILD_TOP:-}" in
        */nix-shell.*) command rm -rf -- "$NIX_BUILD_TOP" ;;
    esac
}
# A hook that calls `exit` ends the shell as in `nix develop`; what it set so far counts.
trap __flake_lsp_dump EXIT
exec() {
    if [ "$#" -gt 0 ]; then
        case "${1##*/}" in
            bash|sh|zsh|fish|dash|ksh|mksh|tcsh|csh|nu|xonsh|nologin|"${SHELL##*/}")
                __flake_lsp_dump
                builtin exit 0 ;;
        esac
    fi
    builtin exec "$@"
}
"#,
    );
    if !run_hook {
        // The script ends with `eval "$shellHook"`: an empty hook runs nothing.
        w.push_str("__flake_lsp_script=\"$(< \"$__FLAKE_LSP_SCRIPT\")\"\n");
        w.push_str("eval \"${__flake_lsp_script//'eval \"$shellHook\"'/:}\"\n");
        w.push_str("unset __flake_lsp_script\n");
    } else {
        w.push_str("source \"$__FLAKE_LSP_SCRIPT\"\n");
    }
    w
}

/// `NAME=value\0` records, as the wrapper writes them.
fn parse_env(bytes: &[u8]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for record in bytes.split(|b| *b == 0) {
        let record = String::from_utf8_lossy(record);
        if let Some((name, value)) = record.split_once('=') {
            if !name.is_empty() {
                out.insert(name.to_string(), value.to_string());
            }
        }
    }
    out
}

/// What to set and unset to turn `start` into `end`, leaving out what is never copied. PATH
/// (and other search paths the shell extended) keep the shell's entries first.
pub fn diff(start: &BTreeMap<String, String>, end: &BTreeMap<String, String>) -> EnvDiff {
    let mut out = EnvDiff::default();
    for (name, value) in end {
        if never_copied(name) {
            continue;
        }
        // A shell with no packages leaves `PATH=":$PATH"`: an empty entry means the current
        // directory, which nobody wants on PATH.
        let value = if name == "PATH" { clean_path(value) } else { value.clone() };
        if start.get(name) != Some(&value) {
            out.set.insert(name.clone(), value);
        }
    }
    for name in start.keys() {
        if !end.contains_key(name) && !never_copied(name) {
            out.unset.push(name.clone());
        }
    }
    out
}

/// PATH without empty entries.
fn clean_path(path: &str) -> String {
    path.split(':').filter(|p| !p.is_empty()).collect::<Vec<_>>().join(":")
}

/// Stops every process of the group: politely, then not.
fn kill_group(group: i32) {
    // SAFETY: kill(2) with a negative pid signals a process group; no memory is involved.
    unsafe {
        if libc::kill(-group, libc::SIGTERM) != 0 {
            return;
        }
    }
    let deadline = Instant::now() + Duration::from_millis(500);
    while Instant::now() < deadline {
        // SAFETY: signal 0 only checks that the group still exists.
        if unsafe { libc::kill(-group, 0) } != 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: as above.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
}

fn tempfile_dir(log: &Path) -> Result<PathBuf, ApplyError> {
    let base = log.parent().unwrap_or(Path::new("."));
    let dir = base.join(format!(".apply-{}-{}", std::process::id(), unique()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| ApplyError::Io(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}

fn unique() -> u64 {
    use std::sync::atomic::AtomicU64;
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

fn write(path: &Path, text: &str) -> Result<(), ApplyError> {
    File::create(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| ApplyError::Io(format!("cannot write {}: {e}", path.display())))
}

/// The last `n` lines of the log, for error messages.
pub fn tail(log: &Path, n: usize) -> String {
    let text = std::fs::read(log).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A script shaped like `nix print-dev-env`'s, with `hook` as the shellHook.
    fn dev_env(hook: &str) -> String {
        format!(
            "nix_saved_PATH=\"$PATH\"\nFOO='bar'\nexport FOO\nPATH='/nix/store/abc-tool/bin'\nexport PATH\n\
             SHELL='/usr/sbin/nologin'\nshellHook={}\nexport shellHook\nPATH=\"$PATH:$nix_saved_PATH\"\n\
             export NIX_BUILD_TOP=\"$(mktemp -d -t nix-shell.XXXXXX)\"\nexport TMPDIR=\"$NIX_BUILD_TOP\"\n\
             eval \"$shellHook\"\n",
            shell_quote(hook)
        )
    }

    fn shell_quote(s: &str) -> String {
        format!("'{}'", s.replace('\'', "'\\''"))
    }

    struct Run {
        dir: PathBuf,
    }

    impl Run {
        fn new() -> Run {
            let dir =
                std::env::temp_dir().join(format!("flake-lsp-apply-{}-{}", std::process::id(), unique()));
            std::fs::create_dir_all(&dir).unwrap();
            Run { dir }
        }

        fn start(&self) -> BTreeMap<String, String> {
            let mut env = BTreeMap::new();
            env.insert("PATH".to_string(), "/usr/bin:/bin".to_string());
            env.insert("HOME".to_string(), self.dir.display().to_string());
            env.insert("SHELL".to_string(), "/bin/bash".to_string());
            env.insert("GONE".to_string(), "x".to_string());
            env
        }

        fn apply(&self, hook: &str, options: ApplyOptions) -> Result<EnvDiff, ApplyError> {
            let start = self.start();
            let end = run_script(
                Path::new("bash"),
                &dev_env(hook),
                &self.dir,
                &start,
                &self.dir.join("log"),
                &options,
                &AtomicBool::new(false),
            )?;
            Ok(diff(&start, &end))
        }

        fn log(&self) -> String {
            std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
        }
    }

    impl Drop for Run {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn quick() -> ApplyOptions {
        ApplyOptions { run_hook: true, timeout: Duration::from_secs(20) }
    }

    #[test]
    fn variables_path_order_and_never_copied() {
        let run = Run::new();
        let diff = run.apply("export HOOKED=1; unset GONE; echo hello from the hook", quick()).unwrap();
        assert_eq!(diff.set["FOO"], "bar");
        assert_eq!(diff.set["HOOKED"], "1");
        assert_eq!(diff.set["PATH"], "/nix/store/abc-tool/bin:/usr/bin:/bin");
        for name in ["SHELL", "TMPDIR", "NIX_BUILD_TOP", "HOME", "PWD", "SHLVL", "_"] {
            assert!(!diff.set.contains_key(name), "{name} is never copied");
        }
        assert!(diff.set.keys().all(|k| !k.starts_with("BASH") && !k.starts_with("__FLAKE_LSP")));
        assert_eq!(diff.unset, vec!["GONE".to_string()]);
        assert!(run.log().contains("hello from the hook"));
    }

    #[test]
    fn an_empty_shell_path_adds_no_empty_entry() {
        assert_eq!(clean_path(":/usr/bin::/bin:"), "/usr/bin:/bin");
    }

    #[test]
    fn without_the_hook() {
        let run = Run::new();
        let options = ApplyOptions { run_hook: false, ..quick() };
        let diff = run.apply("export HOOKED=1", options).unwrap();
        assert_eq!(diff.set["FOO"], "bar");
        assert!(!diff.set.contains_key("HOOKED"));
    }

    #[test]
    fn hooks_that_exec_a_shell() {
        let run = Run::new();
        let diff = run.apply("export A=1; exec bash; export B=2", quick()).unwrap();
        assert_eq!(diff.set["A"], "1");
        assert!(!diff.set.contains_key("B"));
        let diff = run.apply("export A=1; exec \"$SHELL\" -l", quick()).unwrap();
        assert_eq!(diff.set["A"], "1");
    }

    #[test]
    fn a_child_script_that_execs_bash_and_a_hook_that_reads_stdin() {
        let run = Run::new();
        let child = run.dir.join("child.sh");
        std::fs::write(&child, "#!/bin/bash\nexport IN_CHILD=1\nexec bash\n").unwrap();
        let hook = format!("bash {}; read -r line; export AFTER=\"read:$line\"", child.display());
        let diff = run.apply(&hook, quick()).unwrap();
        assert_eq!(diff.set["AFTER"], "read:");
        assert!(!diff.set.contains_key("IN_CHILD"), "a child's variables are its own");
    }

    #[test]
    fn a_hook_that_never_returns_is_stopped_with_its_background_processes() {
        let run = Run::new();
        let marker = run.dir.join("still-running");
        let hook = format!("(while true; do touch {}; sleep 0.05; done) & sleep 1000", marker.display());
        let options = ApplyOptions { run_hook: true, timeout: Duration::from_millis(300) };
        let err = run.apply(&hook, options).unwrap_err();
        assert!(matches!(err, ApplyError::Timeout { .. }), "{err}");
        assert!(err.to_string().contains("did not finish"));
        // Nothing keeps touching the marker once the run is over.
        std::thread::sleep(Duration::from_millis(200));
        let _ = std::fs::remove_file(&marker);
        std::thread::sleep(Duration::from_millis(200));
        assert!(!marker.exists(), "the background loop was killed");
    }

    #[test]
    fn a_background_process_does_not_hold_up_a_finished_hook() {
        let run = Run::new();
        let diff = run.apply("sleep 1000 & export DONE=1", quick()).unwrap();
        assert_eq!(diff.set["DONE"], "1");
    }

    #[test]
    fn a_failing_script_says_why() {
        let run = Run::new();
        let err = run.apply("echo about to fail >&2; exit 3", quick()).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("exit status: 3") && message.contains("about to fail"), "{message}");
    }

    #[test]
    fn a_hook_that_exits_early_keeps_what_it_set_and_the_temporary_directory_goes() {
        let run = Run::new();
        let diff = run.apply("export EARLY=1; exit 0; export LATE=1", quick()).unwrap();
        assert_eq!(diff.set["EARLY"], "1");
        assert!(!diff.set.contains_key("LATE"));
        let diff = run.apply("echo \"$NIX_BUILD_TOP\" > build-top", quick()).unwrap();
        assert!(diff.set.contains_key("FOO"));
        let top = std::fs::read_to_string(run.dir.join("build-top")).unwrap();
        assert!(top.contains("nix-shell.") && !Path::new(top.trim()).exists(), "{top}");
    }

    #[test]
    fn values_with_newlines_and_equals_signs() {
        let run = Run::new();
        let diff = run.apply("export MULTI=$'a\\nb=c'", quick()).unwrap();
        assert_eq!(diff.set["MULTI"], "a\nb=c");
    }
}
