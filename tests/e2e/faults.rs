//! Faults from outside: Nix killed in the middle of a build, a cache directory that cannot be
//! written, the flake's directory deleted while it is open. Each gives a clear state and the
//! server carries on.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use crate::support::*;

/// A git repository holding `flake` in a fresh temporary directory.
fn project(tag: &str, flake: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flake-lsp-fault-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("project")).unwrap();
    std::fs::write(dir.join("project/flake.nix"), flake).unwrap();
    git_repo(&dir.join("project"));
    dir
}

fn start(dir: &Path, nix: &Path, cache: &Path) -> Server {
    let mut server = Server::start_with(&[
        ("FLAKE_LSP_NIX", nix.to_str().unwrap()),
        ("XDG_CACHE_HOME", cache.to_str().unwrap()),
        ("XDG_DATA_HOME", dir.join("data").to_str().unwrap()),
    ]);
    let nixpkgs = fixture_nixpkgs();
    server.request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": file_uri(&dir.join("project")),
            "capabilities": {},
            "initializationOptions": { "flakeLsp": { "environment": {
                "trusted": true, "overrideInputs": { "nixpkgs": nixpkgs } } } }
        }),
    );
    server.notify("initialized", json!({}));
    server
}

fn slow_flake(marker: &str) -> String {
    format!(
        r#"{{
  outputs = {{ self }}: {{
    devShells.x86_64-linux.default = derivation {{
      name = "shell"; system = "x86_64-linux"; builder = "/bin/bash"; outputs = [ "out" ];
      dep = derivation {{ name = "{marker}"; system = "x86_64-linux"; builder = "/bin/bash";
                         args = [ "-c" "/bin/sleep 300; echo > $out # {marker}" ]; }};
    }};
  }};
}}
"#
    )
}

/// Waits until a process whose command line holds `marker` runs.
fn wait_for_process(marker: &str) -> bool {
    for _ in 0..600 {
        if Command::new("pgrep").args(["-f", marker]).output().unwrap().status.success() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    false
}

#[test]
fn nix_killed_in_the_middle_of_a_build() {
    let Some(nix) = nix() else { return };
    let marker = format!("flake-lsp-slow-build-{}", std::process::id());
    let flake = slow_flake(&marker);
    let dir = project("killed", &flake);
    let mut server = start(&dir, &nix, &dir.join("cache"));
    server.environment(&["realising"]);
    // Wait for the slow build to start, then kill every process of it (Nix and its builder).
    let mut killed = false;
    for _ in 0..600 {
        let found = Command::new("pgrep").args(["-f", &marker]).output().unwrap();
        if found.status.success() {
            let ours = format!("print-dev-env.*{}/project#", dir.display());
            let _ = Command::new("pkill").args(["-KILL", "-f", &ours]).status();
            let _ = Command::new("pkill").args(["-KILL", "-f", &marker]).status();
            killed = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(killed, "the build started");
    let failed = server.environment(&["failed", "ready"]);
    assert_eq!(failed["state"], "failed", "{failed}");
    assert!(failed["error"].as_str().unwrap().contains("killed by a signal"), "{failed}");
    // The server carries on: the language features answer.
    let uri = file_uri(&dir.join("project/flake.nix"));
    server.open(&uri, &flake);
    server.diagnostics(&uri, 1);
    assert!(server.shutdown().success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn nothing_outlives_the_server() {
    let Some(nix) = nix() else { return };
    let marker = format!("flake-lsp-orphan-build-{}", std::process::id());
    let dir = project("orphan", &slow_flake(&marker));
    let mut server = start(&dir, &nix, &dir.join("cache"));
    server.environment(&["realising"]);
    assert!(wait_for_process(&marker), "the build started");
    assert!(server.shutdown().success());
    std::thread::sleep(std::time::Duration::from_millis(300));
    let left = Command::new("pgrep").args(["-af", &marker]).output().unwrap();
    assert!(!left.status.success(), "left behind: {}", String::from_utf8_lossy(&left.stdout));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unwritable_cache_directory_is_a_clear_failure() {
    let Some(nix) = nix() else { return };
    let dir = project("unwritable", "{ outputs = { self }: { }; }\n");
    // A file where the cache directory should be: nothing can be created under it.
    let cache = dir.join("cache-is-a-file");
    std::fs::write(&cache, "").unwrap();
    let mut server = start(&dir, &nix, &cache);
    let failed = server.environment(&["failed", "ready"]);
    assert_eq!(failed["state"], "failed", "{failed}");
    // Nix itself keeps things under the cache directory too, so either may say it first.
    assert!(failed["error"].as_str().unwrap().contains("cache-is-a-file"), "{failed}");
    assert!(server.shutdown().success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_flake_directory_deleted_while_open() {
    let Some(nix) = nix() else { return };
    let dir = project("deleted", "{\n  outputs = { self }: let unused = 1; in { };\n}\n");
    let mut server = start(&dir, &nix, &dir.join("cache"));
    let uri = file_uri(&dir.join("project/flake.nix"));
    let text = std::fs::read_to_string(dir.join("project/flake.nix")).unwrap();
    server.open(&uri, &text);
    server.diagnostics(&uri, 1);
    std::fs::remove_dir_all(dir.join("project")).unwrap();
    server.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": uri, "type": 3 }] }));
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    // The open document still works from the editor's text.
    server.change(&uri, 2, json!([{ "text": text.replace("unused", "stillUnused") }]));
    let diags = server.diagnostics(&uri, 2);
    assert!(diags.iter().any(|d| d["code"] == "unused_binding"), "{diags:?}");
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 1, "character": 30 } }),
    );
    // `stillUnused`, from the editor's text: its definition, read from no file.
    let shown = hover["contents"]["value"].as_str().unwrap_or_else(|| panic!("a hover: {hover}"));
    assert!(shown.contains("**`stillUnused`**"), "{shown}");
    let realise = server.request_async("flake/realise", json!({ "root": file_uri(&dir.join("project")) }));
    let answer = server.response(realise);
    assert!(answer.get("error").is_some(), "no flake there any more: {answer}");
    assert!(server.shutdown().success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_too_old_nix_is_said_once_and_the_language_features_work() {
    let dir = project("old-nix", "{\n  outputs = { self }: let unused = 1; in { };\n}\n");
    let fake = dir.join("nix");
    std::fs::write(&fake, "#!/bin/sh\necho 'nix (Nix) 2.3.16'\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cache = dir.join("cache");
    let mut server = Server::start_with(&[
        ("XDG_CACHE_HOME", cache.to_str().unwrap()),
        ("XDG_DATA_HOME", dir.join("data").to_str().unwrap()),
    ]);
    server.request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": file_uri(&dir.join("project")),
            "capabilities": {},
            "initializationOptions": { "flakeLsp": {
                "nix": { "path": fake },
                "environment": { "trusted": true } } }
        }),
    );
    server.notify("initialized", json!({}));
    let failed = server.environment(&["failed", "ready"]);
    assert!(failed["error"].as_str().unwrap().contains("2.3.16 at"), "{failed}");
    assert!(failed["error"].as_str().unwrap().contains("too old"), "{failed}");
    let shown = server.notification("window/showMessage");
    assert!(shown["params"]["message"].as_str().unwrap().contains("too old"), "{shown}");
    let uri = file_uri(&dir.join("project/flake.nix"));
    server.open(&uri, "{\n  outputs = { self }: let unused = 1; in { };\n}\n");
    let diags = server.diagnostics(&uri, 1);
    assert!(diags.iter().any(|d| d["code"] == "unused_binding"), "{diags:?}");
    assert!(server.shutdown().success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_garbage_collected_environment_is_realised_again() {
    let Some(nix) = nix() else { return };
    // A shell of its own (the marker makes its store path unique to this run).
    let marker = format!("gc-{}", std::process::id());
    let flake = format!(
        "{{\n  outputs = {{ self }}: {{\n    devShells.x86_64-linux.default = derivation {{\n      name = \"shell\"; system = \"x86_64-linux\"; builder = \"/bin/bash\"; outputs = [ \"out\" ];\n      MARKER = \"{marker}\";\n    }};\n  }};\n}}\n"
    );
    let dir = project("gc", &flake);
    let cache = dir.join("cache");
    let mut server = start(&dir, &nix, &cache);
    let ready = server.environment(&["ready", "failed"]);
    assert_eq!(ready["state"], "ready", "{ready}");
    assert!(server.shutdown().success());
    // Collect the environment: drop its GC roots (the profile links), delete the store path.
    let entry_dir = std::fs::read_dir(cache.join("flake-lsp/env"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.join("entry.json").is_file())
        .unwrap();
    let target = std::fs::canonicalize(entry_dir.join("profile")).unwrap();
    for link in std::fs::read_dir(&entry_dir).unwrap().flatten() {
        if link.file_name().to_string_lossy().starts_with("profile") {
            std::fs::remove_file(link.path()).unwrap();
        }
    }
    let deleted = Command::new("nix-store").arg("--delete").arg(&target).output().unwrap();
    assert!(deleted.status.success(), "{}", String::from_utf8_lossy(&deleted.stderr));
    assert!(!target.exists());
    // The next start notices and realises again instead of serving a dead environment.
    let mut server = start(&dir, &nix, &cache);
    let again = server.environment(&["ready", "failed"]);
    assert_eq!(again["state"], "ready", "{again}");
    assert_eq!(again["fromCache"], false);
    assert_eq!(again["set"]["MARKER"], marker.as_str());
    assert!(server.shutdown().success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn without_git_nothing_is_said_about_tracking() {
    let dir = project("no-git", "{\n  outputs = { self }: { };\n}\n");
    // Untracked, but git cannot be run: nothing to say, and no crash.
    let _ = Command::new("git")
        .args(["rm", "-q", "--cached", "flake.nix"])
        .current_dir(dir.join("project"))
        .status();
    let mut server = Server::start_with(&[("PATH", "/nonexistent"), ("FLAKE_LSP_NIX", "/nonexistent/nix")]);
    server.initialize(json!({}), json!({ "flakeLsp": { "environment": { "enable": false } } }));
    let uri = file_uri(&dir.join("project/flake.nix"));
    server.open(&uri, "{\n  outputs = { self }: { };\n}\n");
    let diags = server.diagnostics(&uri, 1);
    assert!(diags.iter().all(|d| d["code"] != "untracked_file"), "{diags:?}");
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 1, "character": 3 } }),
    );
    assert!(hover.is_object(), "{hover}");
    assert!(server.shutdown().success());
    let _ = std::fs::remove_dir_all(&dir);
}
