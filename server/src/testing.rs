//! What the tests need from outside the repository, found in one place: the shared fixtures
//! (`../shared` beside the repository, or `FLAKE_LSP_SHARED`) and Nix (`nix`, 2.8, and
//! `nix-latest`, 2.34, as `../shared/tools/install-nix.sh` installs them).
//!
//! Used by the unit tests (`crate::testing`), the end-to-end tests (`tests/e2e/support.rs`) and
//! the benches (`benches/common`), which include this file with `#[path]`; it is not part of
//! the library that ships.
//!
//! A test whose fixture or tool is missing fails and says how to get it. One variable per kind
//! opts out, and nothing else does: `FLAKE_LSP_NO_SHARED=1` (no `../shared`) and
//! `FLAKE_LSP_NO_NIX=1` (no Nix, or only one of the two versions). Opted out, the test prints
//! `SKIPPED <test>: <why>` on stderr, past the test harness's capture so that it shows in a
//! normal `cargo test` run, and does what it can without it. See docs/reliability.md.

#![allow(dead_code)]

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the shared fixtures are, when not `../shared`; relative to the repository's root, as
/// in `scripts/test.sh`.
pub const SHARED_VAR: &str = "FLAKE_LSP_SHARED";
/// Opt-out: run without the shared fixtures; the tests that need them print SKIPPED.
pub const NO_SHARED: &str = "FLAKE_LSP_NO_SHARED";
/// Opt-out: run without Nix, or with only one of `nix` and `nix-latest`; what needs the
/// missing one prints SKIPPED.
pub const NO_NIX: &str = "FLAKE_LSP_NO_NIX";

const INSTALL_NIX: &str = "run ../shared/tools/install-nix.sh as root (it installs Nix 2.8 as `nix` and \
                           2.34 as `nix-latest`; `bash .ci/run` does it)";

/// The repository's root (the parent of the `server` crate).
pub fn repo_root() -> PathBuf {
    let server = Path::new(env!("CARGO_MANIFEST_DIR"));
    server.parent().expect("the server crate sits in the repository").to_path_buf()
}

/// `FLAKE_LSP_SHARED` (relative to the repository's root), else `../shared` beside it.
/// Every file of the parser's corpus (with Nix's verdicts), of the fuzzer's corpus and of the
/// crashes it found, with its text (read with replacements): for tests that check two ways of
/// doing one thing agree on every input at hand. A missing directory fails the test.
pub fn corpus_texts() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for dir in [
        "tests/fixtures/parse/valid",
        "tests/fixtures/parse/invalid",
        "fuzz/corpus/analysis",
        "fuzz/regressions",
    ] {
        let dir = repo_root().join(dir);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_file() && path.file_name().is_some_and(|n| n != ".gitkeep") {
                let text = String::from_utf8_lossy(&std::fs::read(&path).expect("readable")).into_owned();
                out.push((path, text));
            }
        }
    }
    assert!(out.len() > 2000, "only {} files in the corpora", out.len());
    out
}

pub fn shared_dir() -> PathBuf {
    match std::env::var_os(SHARED_VAR).filter(|v| !v.is_empty()) {
        Some(dir) => repo_root().join(dir),
        None => repo_root().parent().map_or_else(|| repo_root().join("../shared"), |p| p.join("shared")),
    }
}

/// Whether an opt-out variable is set (to anything but empty or `0`).
pub fn opted_out(var: &str) -> bool {
    std::env::var_os(var).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Says on stderr, past libtest's capture, that the running test skipped `what`.
pub fn skipped(what: &str) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {what}");
}

/// A missing piece of `../shared`: fails the test, unless `FLAKE_LSP_NO_SHARED` is set.
fn missing_shared(what: &str) {
    assert!(
        opted_out(NO_SHARED),
        "{what}: the shared fixtures are not there. Put them beside the repository as ../shared \
         (or set {SHARED_VAR} to where they are); to run without them, set {NO_SHARED}=1 and the \
         tests that need them are skipped"
    );
    skipped(&format!("{what} ({NO_SHARED} is set)"));
}

/// A missing Nix: fails the test, unless `FLAKE_LSP_NO_NIX` is set; then says what the test
/// does `instead`.
fn missing_nix(what: &str, instead: &str) {
    assert!(opted_out(NO_NIX), "{what}: {INSTALL_NIX}; or set {NO_NIX}=1 to skip what needs it");
    skipped(&format!("{what} ({NO_NIX} is set); {instead}"));
}

/// `../shared/fixtures/seeds`, holding at least one `*/flake.nix`. None only when it is not
/// there and `FLAKE_LSP_NO_SHARED` is set (the test then returns, SKIPPED printed); otherwise a
/// missing directory fails the test.
pub fn seeds() -> Option<PathBuf> {
    let dir = shared_dir().join("fixtures/seeds");
    let flakes = std::fs::read_dir(&dir)
        .map(|entries| entries.flatten().filter(|e| e.path().join("flake.nix").is_file()).count())
        .unwrap_or(0);
    if flakes > 0 {
        return Some(dir);
    }
    missing_shared(&format!("no seed flakes (*/flake.nix) in {}", dir.display()));
    None
}

/// `name` as a file in one of the directories of `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file())
}

/// `usual` when it exists, else `name` on PATH.
fn find(usual: &str, name: &str) -> Option<PathBuf> {
    Some(PathBuf::from(usual)).filter(|p| p.is_file()).or_else(|| on_path(name))
}

/// Both Nix versions the tests run with: `nix` (2.8, `/usr/bin/nix`) and `nix-latest` (2.34,
/// `/usr/local/bin/nix-latest`), each else found on PATH. A missing one fails the test unless
/// `FLAKE_LSP_NO_NIX` is set; then the rest is returned (possibly nothing) and SKIPPED printed.
pub fn nixes() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for (name, usual) in [("nix", "/usr/bin/nix"), ("nix-latest", "/usr/local/bin/nix-latest")] {
        match find(usual, name) {
            Some(path) => found.push(path),
            None => missing.push(name),
        }
    }
    if !missing.is_empty() {
        let running = if found.is_empty() {
            "nothing that needs Nix runs".to_string()
        } else {
            format!("running with {} only", found[0].display())
        };
        missing_nix(&format!("{} not found", missing.join(" and ")), &running);
    }
    found
}

/// One Nix's `nix-instantiate`, for parsing and evaluating files.
pub struct NixInstantiate {
    /// `nix-instantiate` (2.8) or `nix-latest` (2.34).
    pub name: &'static str,
    program: PathBuf,
    args: Vec<OsString>,
}

impl NixInstantiate {
    /// `nix-instantiate`, ready for more arguments.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args);
        cmd
    }
}

/// The `nix-instantiate` of both Nix versions: Nix 2.8's on PATH and the newest's under
/// `/opt/nix-latest`, started through its own loader as `nix-latest` is. A missing one fails the
/// test unless `FLAKE_LSP_NO_NIX` is set; then the rest is returned and SKIPPED printed.
pub fn nix_instantiates() -> Vec<NixInstantiate> {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    match find("/usr/bin/nix-instantiate", "nix-instantiate") {
        Some(program) => found.push(NixInstantiate { name: "nix-instantiate", program, args: Vec::new() }),
        None => missing.push("nix-instantiate (Nix 2.8)"),
    }
    let latest = Path::new("/opt/nix-latest");
    if latest.join("usr/bin/nix-instantiate").is_file() {
        let args = vec![
            OsString::from("--library-path"),
            OsString::from("/opt/nix-latest/lib/x86_64-linux-gnu:/opt/nix-latest/usr/lib/x86_64-linux-gnu"),
            latest.join("usr/bin/nix-instantiate").into_os_string(),
        ];
        found.push(NixInstantiate {
            name: "nix-latest",
            program: latest.join("usr/lib64/ld-linux-x86-64.so.2"),
            args,
        });
    } else {
        missing.push("/opt/nix-latest/usr/bin/nix-instantiate (Nix 2.34)");
    }
    if !missing.is_empty() {
        let running = match found.first() {
            Some(one) => format!("checking with {} only", one.name),
            None => "nothing is checked against Nix".to_string(),
        };
        missing_nix(&format!("{} not found", missing.join(" and ")), &running);
    }
    found
}
