//! Which bash sources the dev shell's script.
//!
//! What `nix print-dev-env` prints is written for the bash `nix develop` uses: nixpkgs' bash
//! 5.x (`declare -A`, `${var@Q}`, `mapfile` may all appear in it or in a shellHook). The
//! system bash is not that everywhere: macOS ships Bash 3.2 as `/bin/bash`, and it is first on
//! a Mac's PATH unless the user installed another. So the script is sourced with a Bash 4 or
//! newer, looked for in this order:
//!
//! 1. `FLAKE_LSP_BASH`, when set: the user's choice, used as it is (an old one is an error);
//! 2. the dev shell's own bash, the `builder` its derivation runs (nixpkgs' bash for every
//!    `mkShell`);
//! 3. nixpkgs' `bashInteractive` from the flake's own `nixpkgs` input, realised once and kept
//!    from garbage collection by a root in the cache directory (what `nix develop` itself
//!    falls back to);
//! 4. `bash` on PATH, when it is 4 or newer (a Linux system bash is).
//!
//! Anything else is a clear error that says which bashes were looked at and what to do.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// The environment variable that names the bash to source dev shells with.
pub const BASH_ENV_VAR: &str = "FLAKE_LSP_BASH";

/// The oldest bash that may source a dev shell's script.
pub const MIN_MAJOR: u32 = 4;

/// Where a bash came from, for messages and the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `FLAKE_LSP_BASH`.
    Configured,
    /// The dev shell's `builder`.
    DevShell,
    /// nixpkgs' `bashInteractive`, realised from the flake's nixpkgs input.
    Nixpkgs,
    /// `bash` on PATH.
    Path,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Origin::Configured => BASH_ENV_VAR,
            Origin::DevShell => "the dev shell's builder",
            Origin::Nixpkgs => "nixpkgs#bashInteractive",
            Origin::Path => "bash on PATH",
        })
    }
}

/// A bash that may source the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bash {
    pub path: PathBuf,
    pub version: (u32, u32),
    pub origin: Origin,
}

/// One place a bash was looked for, and what was found there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tried {
    pub origin: Origin,
    pub path: Option<PathBuf>,
    /// Why it was not used.
    pub why: String,
}

/// Picks a bash: the first candidate, in order, that runs and is [`MIN_MAJOR`] or newer. A
/// candidate is `Ok(path)`, or `Err(reason)` when its place had none to offer. The
/// `Configured` candidate is final: when the user named a bash, no other is used instead.
pub struct Chooser {
    tried: Vec<Tried>,
}

impl Default for Chooser {
    fn default() -> Self {
        Self::new()
    }
}

impl Chooser {
    pub fn new() -> Chooser {
        Chooser { tried: Vec::new() }
    }

    /// Tries one candidate; `Some` when it is good enough.
    pub fn consider(&mut self, origin: Origin, candidate: Result<PathBuf, String>) -> Option<Bash> {
        let path = match candidate {
            Ok(path) => path,
            Err(why) => {
                self.tried.push(Tried { origin, path: None, why });
                return None;
            }
        };
        match version(&path) {
            Ok(v) if v.0 >= MIN_MAJOR => return Some(Bash { path, version: v, origin }),
            Ok(v) => self.tried.push(Tried {
                origin,
                why: format!("it is Bash {}.{}, older than {MIN_MAJOR}.0", v.0, v.1),
                path: Some(path),
            }),
            Err(why) => self.tried.push(Tried { origin, path: Some(path), why }),
        }
        None
    }

    /// True when the user's own choice was refused: nothing else may be used.
    pub fn configured_refused(&self) -> bool {
        self.tried.iter().any(|t| t.origin == Origin::Configured)
    }

    /// The error when no candidate was good enough.
    pub fn error(&self) -> String {
        let mut out = format!(
            "no Bash {MIN_MAJOR} or newer to source the dev shell with (the script `nix print-dev-env` prints is written for nixpkgs' bash 5, not for the Bash 3.2 macOS ships):"
        );
        for t in &self.tried {
            match &t.path {
                Some(path) => out.push_str(&format!("\n- {}: {}: {}", t.origin, path.display(), t.why)),
                None => out.push_str(&format!("\n- {}: {}", t.origin, t.why)),
            }
        }
        out.push_str(&format!(
            "\nSet {BASH_ENV_VAR} to a Bash {MIN_MAJOR} or newer (for example the one `nix build nixpkgs#bashInteractive` makes), or add a `nixpkgs` input to the flake"
        ));
        out
    }
}

/// The dev shell's `builder`, as the script `nix print-dev-env` printed sets it, when it is a
/// bash (`nix develop` requires that of a dev shell's builder).
pub fn builder_of(script: &str) -> Result<PathBuf, String> {
    let value = script
        .lines()
        .find_map(|line| line.strip_prefix("builder="))
        .ok_or_else(|| "the dev shell's script names no builder".to_string())?;
    let path = PathBuf::from(unquote(value));
    if !path.is_absolute() || path.file_name().is_none_or(|n| n != "bash") {
        return Err(format!("its builder {} is not a bash", path.display()));
    }
    Ok(path)
}

/// A value as the script writes it: `'…'` with `'\''` inside, or a bare word.
fn unquote(value: &str) -> String {
    let value = value.trim();
    match value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        Some(inner) => inner.replace("'\\''", "'"),
        None => value.to_string(),
    }
}

/// `bash` in the directories of `path`.
pub fn on_path(path: Option<&std::ffi::OsStr>) -> Result<PathBuf, String> {
    let path = path.ok_or_else(|| "PATH is not set".to_string())?;
    crate::nix::find_on_path(Path::new("bash"), Some(path))
        .ok_or_else(|| "there is no bash on PATH".to_string())
}

/// Versions already asked, by path, with the file's modification time then: asking costs a
/// process.
type Known = HashMap<PathBuf, (Option<SystemTime>, (u32, u32))>;
static VERSIONS: Mutex<Option<Known>> = Mutex::new(None);

/// The version of the bash at `path` (major, minor), asked of the bash itself.
pub fn version(path: &Path) -> Result<(u32, u32), String> {
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    if let Some(known) = VERSIONS.lock().unwrap().as_ref().and_then(|m| m.get(path)) {
        if known.0 == modified {
            return Ok(known.1);
        }
    }
    let found = ask_version(path)?;
    VERSIONS.lock().unwrap().get_or_insert_with(HashMap::new).insert(path.to_path_buf(), (modified, found));
    Ok(found)
}

fn ask_version(path: &Path) -> Result<(u32, u32), String> {
    let mut child = Command::new(path)
        .args([
            "--noprofile",
            "--norc",
            "-c",
            "printf '%s.%s' \"${BASH_VERSINFO[0]}\" \"${BASH_VERSINFO[1]}\"",
        ])
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("it cannot be started: {e}"))?;
    // A bash answers at once; anything else must not hold up the environment.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("it did not say its version within 10 s".to_string());
            }
        }
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_version(&text).ok_or_else(|| format!("it is not a bash (it answered {:?})", text.trim()))
}

fn parse_version(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.trim().split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A directory with a fake bash that says it is `version`, as macOS's /bin/bash says 3.2.
    fn fake_bash(dir: &Path, version: &str) -> PathBuf {
        let bin = dir.join(format!("fake-{version}"));
        std::fs::create_dir_all(&bin).unwrap();
        let bash = bin.join("bash");
        std::fs::write(&bash, format!("#!/bin/sh\nprintf '{version}'\n")).unwrap();
        std::fs::set_permissions(&bash, std::fs::Permissions::from_mode(0o755)).unwrap();
        bash
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("flake-lsp-bash-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_bash_3_2_is_refused_and_the_nix_provided_one_is_picked() {
        let dir = temp("pick");
        let old = fake_bash(&dir, "3.2");
        let nixpkgs = fake_bash(&dir, "5.2");
        let mut chooser = Chooser::new();
        assert_eq!(chooser.consider(Origin::DevShell, Ok(old.clone())), None);
        let picked = chooser.consider(Origin::Nixpkgs, Ok(nixpkgs.clone())).unwrap();
        assert_eq!(picked, Bash { path: nixpkgs, version: (5, 2), origin: Origin::Nixpkgs });
        assert!(!chooser.configured_refused());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn with_only_an_old_bash_the_error_says_what_was_tried_and_what_to_do() {
        let dir = temp("none");
        let old = fake_bash(&dir, "3.2");
        let mut chooser = Chooser::new();
        assert_eq!(chooser.consider(Origin::DevShell, Err("its builder /bin/sh is not a bash".into())), None);
        assert_eq!(chooser.consider(Origin::Nixpkgs, Err("the flake has no nixpkgs input".into())), None);
        assert_eq!(chooser.consider(Origin::Path, Ok(old.clone())), None);
        let message = chooser.error();
        assert!(message.starts_with("no Bash 4 or newer to source the dev shell with"), "{message}");
        assert!(
            message.contains(&format!("- bash on PATH: {}: it is Bash 3.2, older than 4.0", old.display()))
        );
        assert!(message.contains("- nixpkgs#bashInteractive: the flake has no nixpkgs input"), "{message}");
        assert!(message.contains("Set FLAKE_LSP_BASH"), "{message}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_configured_bash_that_is_too_old_is_final() {
        let dir = temp("configured");
        let old = fake_bash(&dir, "3.2");
        let mut chooser = Chooser::new();
        assert_eq!(chooser.consider(Origin::Configured, Ok(old)), None);
        assert!(chooser.configured_refused());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_real_bash_answers_its_version() {
        let bash = on_path(std::env::var_os("PATH").as_deref()).expect("bash on PATH");
        let (major, _) = version(&bash).unwrap();
        assert!(major >= 4, "this machine's bash is {major}");
        let err = version(Path::new("/bin/true")).unwrap_err();
        assert!(err.contains("not a bash"), "{err}");
        assert!(version(Path::new("/nonexistent/bash")).unwrap_err().contains("cannot be started"));
    }

    #[test]
    fn the_builder_is_read_from_the_script() {
        let script = "BASH='/nix/store/x-bash/bin/bash'\nbuilder='/nix/store/abc-bash-5.2p26/bin/bash'\nexport builder\n";
        assert_eq!(builder_of(script).unwrap(), PathBuf::from("/nix/store/abc-bash-5.2p26/bin/bash"));
        assert!(builder_of("builder='/bin/sh'\n").unwrap_err().contains("is not a bash"));
        assert!(builder_of("FOO=1\n").is_err());
        assert_eq!(unquote("'it'\\''s'"), "it's");
    }

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("5.2"), Some((5, 2)));
        assert_eq!(parse_version("3.2\n"), Some((3, 2)));
        assert_eq!(parse_version("."), None);
        assert_eq!(parse_version("zsh"), None);
    }
}
