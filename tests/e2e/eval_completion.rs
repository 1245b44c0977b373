//! Completion from the flake's evaluator over LSP: after `nixpkgs.lib.`, `self.`,
//! `inputs.nixpkgs.`, `nixpkgs.lib.strings.`, the names Nix sees with the kind of each value;
//! an input that fails, or is not locked, gives nothing and no error. Real Nix (2.8 and 2.34),
//! the fixture nixpkgs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::*;

const FLAKE: &str = r#"{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
  inputs.broken.url = "github:nobody/broken";
  outputs = { self, nixpkgs, broken }@inputs: let system = "x86_64-linux"; in {
    checks.${system}.hello = self.packages.${system}.hello;
    packages.x86_64-linux.hello = nixpkgs.legacyPackages.x86_64-linux.mkShell { name = "hello"; };
    devShells.x86_64-linux.default = self.packages.x86_64-linux.hello;
    lib.pick = nixpkgs.lib.optional;
    lib.strs = nixpkgs.lib.strings.concatStrings;
    lib.all = inputs.nixpkgs.lib;
    lib.mine = broken.lib or null;
  };
}
"#;

/// Where `needle` ends in `text`, as an LSP position (ASCII text).
fn after(text: &str, needle: &str) -> Value {
    let at = text.find(needle).unwrap_or_else(|| panic!("{needle} in the text")) + needle.len();
    let line = text[..at].matches('\n').count();
    let character = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({ "line": line, "character": character })
}

/// The completion at the end of `needle`, asked again while the list is incomplete (the
/// evaluator still working): `label kind detail` per item, or nothing.
fn complete(server: &mut Server, uri: &str, text: &str, needle: &str) -> Vec<String> {
    let params = json!({ "textDocument": { "uri": uri }, "position": after(text, needle) });
    loop {
        let result = server.request("textDocument/completion", params.clone());
        if result.is_null() {
            return Vec::new();
        }
        if result["isIncomplete"] == true && result["items"].as_array().is_some_and(|i| i.is_empty()) {
            std::thread::sleep(Duration::from_millis(200));
            continue;
        }
        return result["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                format!(
                    "{} {} {}",
                    i["label"].as_str().unwrap(),
                    i["kind"],
                    i["detail"].as_str().unwrap_or("")
                )
            })
            .collect();
    }
}

fn start(dir: &Path, root: &Path, nix: &Path, overrides: Value) -> Server {
    let mut server = Server::start_in(dir, nix, &[]);
    server.initialize_in(
        root,
        json!({}),
        json!({ "flakeLsp": { "environment": { "trusted": false, "overrideInputs": overrides } } }),
    );
    server
}

fn workspace(tag: &str, nix: &Path) -> PathBuf {
    let name = nix.file_name().unwrap().to_string_lossy().to_string();
    let dir = std::env::temp_dir().join(format!("flake-lsp-evalcomp-{tag}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("project")).unwrap();
    dir
}

#[test]
fn attributes_the_evaluator_sees() {
    for nix in nixes() {
        attributes_with(&nix);
    }
}

fn attributes_with(nix: &Path) {
    let dir = workspace("attrs", nix);
    let root = dir.join("project");
    std::fs::write(root.join("flake.nix"), FLAKE).unwrap();
    git_repo(&root);
    // An input whose outputs throw.
    std::fs::create_dir_all(dir.join("broken")).unwrap();
    std::fs::write(dir.join("broken/flake.nix"), "{ outputs = { self }: throw \"this input is broken\"; }\n")
        .unwrap();
    let nixpkgs = fixture_nixpkgs();
    let broken = format!("path:{}", dir.join("broken").display());
    let mut server = start(&dir, &root, nix, json!({ "nixpkgs": nixpkgs, "broken": broken }));
    let uri = file_uri(&root.join("flake.nix"));
    server.open(&uri, FLAKE);
    let name = nix.display();
    let has = |items: &[String], item: &str| items.iter().any(|i| i == item);

    let lib = complete(&mut server, &uri, FLAKE, "lib.pick = nixpkgs.lib.");
    assert!(has(&lib, "optional 3 function"), "{name}: {lib:#?}");
    assert!(has(&lib, "strings 9 attribute set"), "{name}: {lib:#?}");
    let strings = complete(&mut server, &uri, FLAKE, "nixpkgs.lib.strings.");
    assert!(has(&strings, "concatStrings 3 function"), "{name}: {strings:#?}");
    assert!(!has(&strings, "optional 3 function"), "{name}: only the set's own: {strings:#?}");

    let own = complete(&mut server, &uri, FLAKE, "default = self.");
    for output in ["packages 9 attribute set", "devShells 9 attribute set", "lib 9 attribute set"] {
        assert!(has(&own, output), "{name}: {output} in {own:#?}");
    }
    let packages = complete(&mut server, &uri, FLAKE, "hello = self.packages.${system}.");
    assert_eq!(packages, ["hello 12 derivation"], "{name}");
    let input = complete(&mut server, &uri, FLAKE, "lib.all = inputs.nixpkgs.");
    assert!(has(&input, "lib 9 attribute set"), "{name}: {input:#?}");
    assert!(has(&input, "legacyPackages 9 attribute set"), "{name}: {input:#?}");

    // The input that throws: nothing, no error.
    let nothing = complete(&mut server, &uri, FLAKE, "lib.mine = broken.");
    assert!(nothing.is_empty(), "{name}: {nothing:#?}");
    assert!(
        !server.backlog.iter().any(|m| m["method"] == "window/showMessage"),
        "{name}: no message: {:?}",
        server.backlog
    );
    assert!(server.shutdown().success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// An input neither locked nor overridden is not fetched for completion: nothing is offered,
/// at once, and no error shows.
#[test]
fn an_unlocked_input_gives_nothing() {
    let Some(nix) = nix() else { return };
    let dir = workspace("unlocked", &nix);
    let root = dir.join("project");
    let flake = "{\n  inputs.missing.url = \"github:nobody/missing\";\n  outputs = { self, missing }: { lib.x = missing.lib.id; };\n}\n";
    std::fs::write(root.join("flake.nix"), flake).unwrap();
    git_repo(&root);
    let mut server = start(&dir, &root, &nix, json!({}));
    let uri = file_uri(&root.join("flake.nix"));
    server.open(&uri, flake);
    let params = json!({ "textDocument": { "uri": uri }, "position": after(flake, "missing.lib.") });
    assert_eq!(server.request("textDocument/completion", params), Value::Null);
    assert!(!server.backlog.iter().any(|m| m["method"] == "window/showMessage"), "{:?}", server.backlog);
    assert!(server.shutdown().success());
    let _ = std::fs::remove_dir_all(&dir);
}
