//! The only code that starts `nix`.
//!
//! Every run goes through [`Nix::run`] (or [`Nix::run_internal`] for Nix's hidden
//! `__dump-*` commands), so every run gets the same treatment: the binary found once
//! ([`Nix::resolve`]: the editor's `flakeLsp.nix.path`, else `FLAKE_LSP_NIX`, else `nix` on
//! PATH), the `nix-command` and `flakes` features switched on
//! whatever the user's configuration says, no stdin (Nix must never wait for a prompt), and a
//! timeout that kills the whole process group, since Nix starts helpers of its own.

pub mod builtins;
pub mod error_text;
pub mod fetch;
pub mod internal_json;
mod process;
pub mod repl;

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use builtins::DumpedBuiltin;
pub use fetch::{fetch_failure, FetchCause, FetchFailure};
pub use process::Output;
pub use repl::{Limits, Repl, ReplError};

/// The environment variable that names the `nix` binary to use instead of the one on PATH.
pub const NIX_ENV_VAR: &str = "FLAKE_LSP_NIX";

/// What flake-lsp needs from Nix, switched on for every run.
const FEATURES: &str = "nix-command flakes";

/// How long Nix may take to describe its builtins (it starts in well under a second).
const DUMP_TIMEOUT: Duration = Duration::from_secs(5);

/// Why running `nix` did not give a result.
#[derive(Debug)]
pub enum NixError {
    /// No `nix` binary: neither `FLAKE_LSP_NIX` nor PATH gives one.
    NotFound,
    /// The binary is there but could not be started.
    Spawn { program: PathBuf, source: std::io::Error },
    /// It ran for longer than allowed and was killed.
    Timeout { command: String, after: Duration },
    /// Stopped because the caller no longer wanted the result.
    Cancelled,
    /// It exited with an error.
    Failed { command: String, code: Option<i32>, stderr: String },
    /// It succeeded, but its output is not what flake-lsp expects of this command.
    UnexpectedOutput { command: String, detail: String },
}

impl fmt::Display for NixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NixError::NotFound => write!(
                f,
                "nix was not found: install Nix (https://nixos.org/download), or set {NIX_ENV_VAR} to the nix binary"
            ),
            NixError::Spawn { program, source } => write!(f, "could not start {}: {source}", program.display()),
            NixError::Timeout { command, after } => {
                write!(f, "`{command}` did not finish within {} s and was stopped", after.as_secs_f32())
            }
            NixError::Cancelled => write!(f, "cancelled"),
            NixError::Failed { command, code, stderr } => {
                let code = code.map_or_else(|| "a signal".to_string(), |c| format!("code {c}"));
                let stderr = stderr.trim();
                if stderr.is_empty() {
                    write!(f, "`{command}` failed with {code}")
                } else {
                    write!(f, "`{command}` failed with {code}: {stderr}")
                }
            }
            NixError::UnexpectedOutput { command, detail } => {
                write!(f, "`{command}` gave unexpected output: {detail}")
            }
        }
    }
}

impl std::error::Error for NixError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NixError::Spawn { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A Nix version, as `nix --version` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NixVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl NixVersion {
    /// Reads `nix (Nix) 2.8.0` (also `2.18.1pre2023…`, `2.24.0-rc1`, or a bare `2.8`).
    pub fn parse(text: &str) -> Option<NixVersion> {
        let word = text.split_whitespace().last()?;
        let mut parts = word.split('.').map(leading_number);
        let major = parts.next()??;
        let minor = parts.next()??;
        let patch = parts.next().flatten().unwrap_or(0);
        Some(NixVersion { major, minor, patch })
    }
}

impl fmt::Display for NixVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The number a version part starts with: `1` for `1pre2023`, `0` for `0-rc1`.
fn leading_number(part: &str) -> Option<u32> {
    let end = part.find(|c: char| !c.is_ascii_digit()).unwrap_or(part.len());
    part[..end].parse().ok()
}

/// The binary's file as it is on disk, read without starting it: its canonical path (a store
/// path names Nix's version) and what changes when the file is replaced, rebuilt or upgraded in
/// place (size, modification and change times, inode). Two equal stamps are the same binary, so
/// the same version: what lets a caller remember `nix --version` instead of asking each time.
///
/// A wrapper script is stamped as itself: a change of the binary it starts is not seen here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BinaryStamp {
    pub path: PathBuf,
    pub size: u64,
    /// Nanoseconds since the epoch.
    pub modified: i64,
    /// The inode's change time (also moved by `chmod`, links, `touch -d` of an old date).
    pub changed: i64,
    pub inode: u64,
    pub device: u64,
}

impl BinaryStamp {
    /// What differs from `earlier`, in words; `None` when nothing does.
    pub fn difference(&self, earlier: &BinaryStamp) -> Option<&'static str> {
        if self.path != earlier.path {
            Some("it is another file")
        } else if self.inode != earlier.inode || self.device != earlier.device {
            Some("it was replaced")
        } else if self.size != earlier.size || self.modified != earlier.modified {
            Some("it was modified")
        } else if self.changed != earlier.changed {
            Some("its inode changed")
        } else {
            None
        }
    }
}

/// The installed `nix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nix {
    program: PathBuf,
    /// Runs take the next free turn ahead of the others ([`Nix::first`]).
    urgent: bool,
}

impl Nix {
    /// The `nix` to use: `setting` (the editor's `flakeLsp.nix.path`) when given, else
    /// [`Nix::locate`]. A bare name is looked up on PATH; a setting that names nothing is kept,
    /// so that what fails to start is the binary the user named, never another one.
    pub fn resolve(setting: Option<&Path>) -> Result<Nix, NixError> {
        match setting.filter(|s| !s.as_os_str().is_empty()) {
            Some(program) => Ok(Nix::named(program, std::env::var_os("PATH"))),
            None => Nix::locate(),
        }
    }

    /// `FLAKE_LSP_NIX` when set, else `nix` on PATH.
    pub fn locate() -> Result<Nix, NixError> {
        let configured = std::env::var_os(NIX_ENV_VAR).filter(|v| !v.is_empty());
        let path = std::env::var_os("PATH");
        Nix::locate_in(configured, path).ok_or(NixError::NotFound)
    }

    /// The binary a setting names: a path as it is, a bare name found on `path` (else as it is).
    fn named(program: &Path, path: Option<OsString>) -> Nix {
        if program.components().count() > 1 {
            return Nix::at(program);
        }
        Nix::at(find_on_path(program, path.as_deref()).unwrap_or_else(|| program.to_path_buf()))
    }

    /// [`Nix::locate`] over given values of `FLAKE_LSP_NIX` and PATH.
    fn locate_in(configured: Option<OsString>, path: Option<OsString>) -> Option<Nix> {
        if let Some(program) = configured {
            // A bare name is looked up on PATH, like a shell would.
            let program = PathBuf::from(program);
            if program.components().count() > 1 {
                return Some(Nix::at(program));
            }
            return find_on_path(&program, path.as_deref()).map(Nix::at);
        }
        find_on_path(Path::new("nix"), path.as_deref()).map(Nix::at)
    }

    /// A specific binary (tests, or a caller that already knows).
    pub fn at(program: impl Into<PathBuf>) -> Nix {
        Nix { program: program.into(), urgent: false }
    }

    /// The same binary, whose runs go before the others waiting for a turn (what the user is
    /// looking at); the limit on Nix processes at once still holds.
    pub fn first(&self) -> Nix {
        Nix { program: self.program.clone(), urgent: true }
    }

    pub fn program(&self) -> &Path {
        &self.program
    }

    /// The binary's [`BinaryStamp`]: symlinks resolved, one `stat`, nothing started.
    pub fn stamp(&self) -> std::io::Result<BinaryStamp> {
        use std::os::unix::fs::MetadataExt;
        let path = self.program.canonicalize()?;
        let meta = std::fs::metadata(&path)?;
        let nanos = |secs: i64, nsec: i64| secs.saturating_mul(1_000_000_000).saturating_add(nsec);
        Ok(BinaryStamp {
            size: meta.size(),
            modified: nanos(meta.mtime(), meta.mtime_nsec()),
            changed: nanos(meta.ctime(), meta.ctime_nsec()),
            inode: meta.ino(),
            device: meta.dev(),
            path,
        })
    }

    /// Runs `nix <args>` with the features flake-lsp needs; the output of a successful run.
    pub fn run(&self, args: &[&str], timeout: Duration) -> Result<Output, NixError> {
        let mut cmd = Command::new(&self.program);
        cmd.args(["--extra-experimental-features", FEATURES]).args(args);
        self.finish(cmd, args, timeout)
    }

    /// Runs one of Nix's hidden commands (`__dump-builtins`, `__dump-language`). Nix only
    /// recognises them as its sole argument, so the features go through `NIX_CONFIG`.
    pub fn run_internal(&self, command: &str, timeout: Duration) -> Result<Output, NixError> {
        let mut cmd = Command::new(&self.program);
        cmd.arg(command);
        let mut config = std::env::var_os("NIX_CONFIG").unwrap_or_default();
        if !config.is_empty() {
            config.push("\n");
        }
        config.push(format!("extra-experimental-features = {FEATURES}"));
        cmd.env("NIX_CONFIG", config);
        self.finish(cmd, &[command], timeout)
    }

    /// Runs a long command (a build): each stderr line goes to `on_line` as it comes, `cancel`
    /// stops it, `dir` is its working directory. A failure's stderr is in the error.
    pub fn run_streaming(
        &self,
        args: &[&str],
        dir: Option<&Path>,
        timeout: Duration,
        cancel: &std::sync::atomic::AtomicBool,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<Output, NixError> {
        let mut cmd = Command::new(&self.program);
        cmd.args(["--extra-experimental-features", FEATURES]).args(args);
        if let Some(dir) = dir {
            cmd.current_dir(dir);
        }
        let result = process::run_streaming(cmd, timeout, cancel, on_line, self.urgent);
        self.check(result, args, timeout)
    }

    /// Starts `nix repl <args>` in `dir`, kept running to answer requests ([`Repl`]). It
    /// takes one of the Nix slots for as long as it runs (waiting for one to be free).
    pub fn repl(&self, dir: &Path, args: &[&str]) -> Result<Repl, NixError> {
        let mut cmd = Command::new(&self.program);
        cmd.args(["--extra-experimental-features", FEATURES, "repl"]).args(args).current_dir(dir);
        Repl::start(cmd).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                NixError::NotFound
            } else {
                NixError::Spawn { program: self.program.clone(), source }
            }
        })
    }

    fn finish(&self, cmd: Command, args: &[&str], timeout: Duration) -> Result<Output, NixError> {
        self.check(process::run(cmd, timeout, self.urgent), args, timeout)
    }

    fn check(
        &self,
        result: Result<Output, process::RunError>,
        args: &[&str],
        timeout: Duration,
    ) -> Result<Output, NixError> {
        let command = describe(args);
        let output = result.map_err(|err| match err {
            process::RunError::Spawn(source) => {
                if source.kind() == std::io::ErrorKind::NotFound {
                    NixError::NotFound
                } else {
                    NixError::Spawn { program: self.program.clone(), source }
                }
            }
            process::RunError::Timeout => NixError::Timeout { command: command.clone(), after: timeout },
            process::RunError::Cancelled => NixError::Cancelled,
        })?;
        if !output.status.success() {
            return Err(NixError::Failed { command, code: output.status.code(), stderr: output.stderr });
        }
        Ok(output)
    }

    /// `nix --version`.
    pub fn version(&self, timeout: Duration) -> Result<NixVersion, NixError> {
        let output = self.run(&["--version"], timeout)?;
        NixVersion::parse(output.stdout.trim()).ok_or_else(|| NixError::UnexpectedOutput {
            command: "nix --version".to_string(),
            detail: format!("no version in {:?}", output.stdout.trim()),
        })
    }

    /// The builtins as this Nix describes them: the output of [`Nix::dump_builtins`], read.
    pub fn builtins(&self) -> Result<Vec<DumpedBuiltin>, NixError> {
        let json = self.dump_builtins(DUMP_TIMEOUT)?;
        builtins::parse_dump(&json).map_err(|e| NixError::UnexpectedOutput {
            command: "nix __dump-builtins".to_string(),
            detail: e.to_string(),
        })
    }

    /// The JSON description of the builtins, from whichever command this Nix has:
    /// `__dump-language` (newer Nix: functions and constants) or `__dump-builtins` (older:
    /// functions only). Read it with [`builtins::parse_dump`].
    pub fn dump_builtins(&self, timeout: Duration) -> Result<String, NixError> {
        let newer = self.run_internal("__dump-language", timeout).and_then(json_object);
        match newer {
            Ok(json) => Ok(json),
            // Not started, or too slow: the other command will not do better.
            Err(err @ (NixError::NotFound | NixError::Spawn { .. } | NixError::Timeout { .. })) => Err(err),
            Err(_) => self.run_internal("__dump-builtins", timeout).and_then(json_object),
        }
    }
}

/// The output's text, when it is a JSON object as the dump commands print.
fn json_object(output: Output) -> Result<String, NixError> {
    if output.stdout.trim_start().starts_with('{') {
        Ok(output.stdout)
    } else {
        Err(NixError::UnexpectedOutput {
            command: "nix __dump-*".to_string(),
            detail: "expected a JSON object".to_string(),
        })
    }
}

fn describe(args: &[&str]) -> String {
    let mut out = String::from("nix");
    for arg in args {
        out.push(' ');
        out.push_str(arg);
    }
    out
}

/// The first `name` in the directories of `path` that is a file.
/// The first file called `name` in the directories of `path` (a PATH value).
pub(crate) fn find_on_path(name: &Path, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path?).map(|dir| dir.join(name)).find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        let v = |s: &str| NixVersion::parse(s).map(|v| v.to_string());
        assert_eq!(v("nix (Nix) 2.8.0"), Some("2.8.0".into()));
        assert_eq!(v("nix (Nix) 2.34.8\n"), Some("2.34.8".into()));
        assert_eq!(v("nix (Nix) 2.18.1pre20231010_abcdef"), Some("2.18.1".into()));
        assert_eq!(v("nix (Nix) 2.24.0-rc1"), Some("2.24.0".into()));
        assert_eq!(v("nix (Nix) 2.8"), Some("2.8.0".into()));
        assert_eq!(v("nix (Nix)"), None);
        assert_eq!(v(""), None);
        assert!(NixVersion::parse("2.8.0") < NixVersion::parse("2.34.8"));
    }

    #[test]
    fn locating_the_binary() {
        let dir = std::env::temp_dir().join(format!("flake-lsp-nix-locate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("nix"), "").unwrap();
        let path = Some(OsString::from(format!("/nonexistent:{}", dir.display())));
        assert_eq!(Nix::locate_in(None, path.clone()), Some(Nix::at(dir.join("nix"))));
        assert_eq!(Nix::locate_in(Some("/opt/nix/bin/nix".into()), None), Some(Nix::at("/opt/nix/bin/nix")));
        assert_eq!(Nix::locate_in(Some("nix".into()), path.clone()), Some(Nix::at(dir.join("nix"))));
        assert_eq!(Nix::locate_in(None, Some("/nonexistent".into())), None);
        assert_eq!(Nix::locate_in(None, None), None);
        // The editor's setting: a path as given, a bare name from PATH, an unknown name kept.
        assert_eq!(Nix::named(Path::new("/opt/nix"), None), Nix::at("/opt/nix"));
        assert_eq!(Nix::named(Path::new("nix"), path.clone()), Nix::at(dir.join("nix")));
        assert_eq!(Nix::named(Path::new("nix-x"), path.clone()), Nix::at("nix-x"));
        assert_eq!(Nix::resolve(Some(Path::new("/opt/nix"))).unwrap(), Nix::at("/opt/nix"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A binary rewritten, replaced or pointed at through a link: the stamp says which.
    #[test]
    fn stamps_change_with_the_binary() {
        let dir = std::env::temp_dir().join(format!("flake-lsp-nix-stamp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("nix");
        std::fs::write(&file, "#!/bin/sh\necho 'nix (Nix) 2.8.0'\n").unwrap();
        let nix = Nix::at(&file);
        let first = nix.stamp().unwrap();
        assert_eq!(first.path, file.canonicalize().unwrap());
        assert_eq!(nix.stamp().unwrap().difference(&first), None, "unchanged");
        // Through a symlink (a profile's bin/nix): the file it points at.
        let link = dir.join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(Nix::at(&link).stamp().unwrap(), first);
        // Rewritten in place.
        std::fs::write(&file, "#!/bin/sh\necho 'nix (Nix) 2.34.8'\n").unwrap();
        let rewritten = nix.stamp().unwrap();
        assert_eq!(rewritten.difference(&first), Some("it was modified"));
        // Its modification time set back, as a package manager that keeps times does.
        let old = std::time::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        std::fs::File::options().write(true).open(&file).unwrap().set_modified(old).unwrap();
        assert_eq!(nix.stamp().unwrap().difference(&rewritten), Some("it was modified"));
        // Replaced by another file (how installers and package managers update).
        let new = dir.join("nix.new");
        std::fs::write(&new, "#!/bin/sh\necho 'nix (Nix) 2.34.8'\n").unwrap();
        let before = nix.stamp().unwrap();
        std::fs::rename(&new, &file).unwrap();
        assert_eq!(nix.stamp().unwrap().difference(&before), Some("it was replaced"));
        // The link now points elsewhere (a profile switched to another Nix).
        let other = dir.join("other-nix");
        std::fs::write(&other, "").unwrap();
        std::fs::remove_file(&link).unwrap();
        std::os::unix::fs::symlink(&other, &link).unwrap();
        assert_eq!(Nix::at(&link).stamp().unwrap().difference(&first), Some("it is another file"));
        assert!(Nix::at(dir.join("missing")).stamp().is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn errors_say_what_to_do() {
        assert!(NixError::NotFound.to_string().contains(NIX_ENV_VAR));
        let failed =
            NixError::Failed { command: "nix x".into(), code: Some(1), stderr: "error: no\n".into() };
        assert_eq!(failed.to_string(), "`nix x` failed with code 1: error: no");
    }

    /// A missing binary is reported as such, not as a failed run.
    #[test]
    fn missing_binary() {
        let nix = Nix::at("/nonexistent/flake-lsp-test/nix");
        let err = nix.version(Duration::from_secs(5)).unwrap_err();
        assert!(matches!(err, NixError::NotFound), "{err}");
    }

    /// Against the real thing, both versions: `nix` (2.8) and `nix-latest` (2.34). Without
    /// them the test fails, unless `FLAKE_LSP_NO_NIX` is set.
    #[test]
    fn installed_nix() {
        for program in crate::testing::nixes() {
            let nix = Nix::at(&program);
            let version = nix.version(Duration::from_secs(30)).unwrap();
            let dumped = builtins::parse_dump(&nix.dump_builtins(Duration::from_secs(30)).unwrap()).unwrap();
            let map = dumped.iter().find(|d| d.name == "map").unwrap();
            eprintln!("nix {version}: {} builtins; map {:?}: {}", dumped.len(), map.args, map.doc);
            assert_eq!(map.args, ["f", "list"], "{}", program.display());
            assert!(dumped.iter().all(|d| !d.doc.contains("@docroot@")), "{}", program.display());
        }
    }
}
