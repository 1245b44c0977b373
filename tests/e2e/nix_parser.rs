//! Agreement with Nix's own parser: `flake-lsp check` finds a problem that makes Nix refuse
//! the file exactly when `nix-instantiate --parse` refuses it, for every `.nix` file under
//! ../shared/fixtures and tests/fixtures/parse/{valid,invalid}.
//!
//! Both Nix 2.8 (`nix-instantiate`) and the newest (`nix-latest`'s nix-instantiate) are asked;
//! they must be installed (../shared/tools/install-nix.sh; `.ci/run` does it), and so must
//! ../shared. `FLAKE_LSP_NO_NIX=1` and `FLAKE_LSP_NO_SHARED=1` check without them, printing
//! SKIPPED: the verdicts of `tests/fixtures/parse/{valid,invalid}` are still compared.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::*;

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
    let parsers = nix_instantiates();
    let mut files = Vec::new();
    if let Some(seeds) = seeds() {
        let shared_fixtures = seeds.parent().unwrap();
        nix_files(shared_fixtures, &mut files);
        // The four seed flakes and their four fragments.
        assert!(files.len() >= 8, "the shared fixtures are there: {}", files.len());
    }
    let corpus = repo_root().join("tests/fixtures/parse");
    nix_files(&corpus.join("valid"), &mut files);
    nix_files(&corpus.join("invalid"), &mut files);
    assert!(files.len() > 150, "the corpus is there: {}", files.len());
    let mut disagreements = Vec::new();
    for file in &files {
        let ours = we_reject(file);
        for parser in &parsers {
            let name = parser.name;
            let nix_rejects = !parser.command().arg("--parse").arg(file).output().unwrap().status.success();
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
