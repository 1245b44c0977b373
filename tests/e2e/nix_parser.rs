//! Agreement with Nix's own parser: `flake-lsp check` finds a problem that makes Nix refuse
//! the file exactly when `nix-instantiate --parse` refuses it, for every `.nix` file under
//! ../shared/fixtures and tests/fixtures/parse/{valid,invalid}.
//!
//! Nix must be installed (../shared/tools/install-nix.sh; `.ci/run` does it). Both Nix 2.8
//! (`nix-instantiate`) and, when present, the newest (`nix-latest`'s nix-instantiate) are asked.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::*;

fn nix_parsers() -> Vec<(String, Command)> {
    let mut out = Vec::new();
    if Command::new("nix-instantiate").arg("--version").output().is_ok_and(|o| o.status.success()) {
        out.push(("nix-instantiate".to_string(), Command::new("nix-instantiate")));
    }
    let latest = Path::new("/opt/nix-latest");
    if latest.join("usr/bin/nix-instantiate").exists() {
        let mut cmd = Command::new(latest.join("usr/lib64/ld-linux-x86-64.so.2"));
        cmd.arg("--library-path")
            .arg("/opt/nix-latest/lib/x86_64-linux-gnu:/opt/nix-latest/usr/lib/x86_64-linux-gnu")
            .arg(latest.join("usr/bin/nix-instantiate"));
        out.push(("nix-latest".to_string(), cmd));
    }
    out
}

fn nix_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            nix_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "nix") {
            out.push(path);
        }
    }
}

fn we_reject(path: &Path) -> bool {
    let out = Command::new(BIN).args(["check", "--format", "json"]).arg(path).output().unwrap();
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("check {} printed no JSON", path.display()));
    json["files"][0]["diagnostics"].as_array().unwrap().iter().any(|d| d["rejectedByNixParser"] == true)
}

#[test]
fn syntax_errors_exactly_when_nix_refuses() {
    let parsers = nix_parsers();
    assert!(
        !parsers.is_empty() || std::env::var_os("FLAKE_LSP_NO_NIX").is_some(),
        "nix-instantiate not found: run ../shared/tools/install-nix.sh (or set FLAKE_LSP_NO_NIX=1 to skip)"
    );
    let mut files = Vec::new();
    nix_files(seeds().parent().unwrap(), &mut files);
    let corpus = repo_root().join("tests/fixtures/parse");
    nix_files(&corpus.join("valid"), &mut files);
    nix_files(&corpus.join("invalid"), &mut files);
    assert!(files.len() > 150, "the corpus is there: {}", files.len());
    let mut disagreements = Vec::new();
    for file in &files {
        let ours = we_reject(file);
        for (name, parser) in &parsers {
            let mut cmd = Command::new(parser.get_program());
            cmd.args(parser.get_args()).arg("--parse").arg(file);
            let nix_rejects = !cmd.output().unwrap().status.success();
            if nix_rejects != ours {
                disagreements.push(format!(
                    "{}: {name} rejects={nix_rejects}, flake-lsp rejects={ours}",
                    file.display()
                ));
            }
        }
        // The directory states the verdict of both Nix versions.
        let expected = if file.starts_with(corpus.join("invalid")) {
            Some(true)
        } else if file.starts_with(corpus.join("valid")) {
            Some(false)
        } else {
            None
        };
        if let Some(expected) = expected {
            if expected != ours {
                disagreements.push(format!(
                    "{}: expected rejects={expected}, flake-lsp rejects={ours}",
                    file.display()
                ));
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreement(s):\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
