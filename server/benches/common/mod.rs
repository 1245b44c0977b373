//! Inputs shared by the benchmarks: the seed flakes, the 700-line flake, generated files.

#![allow(dead_code)]

use std::path::Path;

pub fn seeds() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/seeds");
    let mut out = Vec::new();
    for name in
        ["000-devops-renaissance", "001-code-as-infrastructure", "001-code-as-infrastructure.commented"]
    {
        if let Ok(text) = std::fs::read_to_string(dir.join(name).join("flake.nix")) {
            out.push((name.to_string(), text));
        }
    }
    out
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
