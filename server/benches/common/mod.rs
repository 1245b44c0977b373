//! Inputs shared by the benchmarks: the seed flakes, the 700-line flake, generated files.

#![allow(dead_code)]

use std::path::Path;

/// Where the shared fixtures and Nix are, and how a missing one fails or is skipped: the file
/// the unit and end-to-end tests use.
#[path = "../../src/testing.rs"]
pub mod testing;

/// The three seed flakes the figures in docs/performance.md are for. Without `../shared` the
/// bench fails (`cargo test --all-targets` runs it once), unless `FLAKE_LSP_NO_SHARED` is set:
/// then none, SKIPPED printed.
pub fn seeds() -> Vec<(String, String)> {
    let Some(dir) = testing::seeds() else { return Vec::new() };
    ["000-devops-renaissance", "001-code-as-infrastructure", "001-code-as-infrastructure.commented"]
        .into_iter()
        .map(|name| {
            let path = dir.join(name).join("flake.nix");
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (name.to_string(), text)
        })
        .collect()
}

pub fn flake_700() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/inputs/flake-700.nix");
    std::fs::read_to_string(path).expect("benches/inputs/flake-700.nix")
}

/// About `target` bytes of varied Nix: lets, recursive sets, lambdas, strings, withs.
pub fn generated(target: usize) -> String {
    let mut text = String::from("{ pkgs, lib, ... }:\nlet\n");
    let mut i = 0;
    while text.len() < target {
        text.push_str(&format!(
            "  f{i} = {{ a, b ? {i}, ... }}@args: rec {{ x = a + b; y = x * 2; s = \"v${{toString y}}-{i}\"; l = [ a b x ]; }};\n  \
             g{i} = with pkgs; lib.optionals (f{i} {{ a = 1; }}).x [ hello \"é{i}\" ];\n"
        ));
        i += 1;
    }
    text.push_str("in [\n");
    for k in 0..i {
        text.push_str(&format!("  f{k} g{k}\n"));
    }
    text.push_str("]\n");
    text
}
