//! The adapter's own behaviour over stdio: the progress of a command says what runs and its
//! Cancel stops it, and every Nix run (commands, the builtins' documentation) uses the binary
//! `flakeLsp.nix.path` names. Stand-in `nix` scripts make each run's effect visible.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::support::*;

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("flake-lsp-adapter-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    /// An executable shell script at `name`.
    fn script(&self, name: &str, body: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A server whose environment is off, with `FLAKE_LSP_NIX` set to `env_nix` and
/// `flakeLsp.nix.path` to `setting`.
fn server(dir: &Path, env_nix: &str, setting: &Path) -> Server {
    let cache = dir.join("cache");
    let data = dir.join("data");
    let mut server = Server::start_with(&[
        ("FLAKE_LSP_NIX", env_nix),
        ("XDG_CACHE_HOME", cache.to_str().unwrap()),
        ("XDG_DATA_HOME", data.to_str().unwrap()),
    ]);
    server.initialize(
        json!({ "window": { "workDoneProgress": true } }),
        json!({ "flakeLsp": { "environment": { "enable": false }, "nix": { "path": setting } } }),
    );
    server
}

#[test]
fn updating_flake_lock_shows_its_own_progress_whose_cancel_stops_it() {
    // Were the update to run the Nix of FLAKE_LSP_NIX (the real one) instead of the setting's,
    // it would finish instead of hanging until cancelled.
    let Some(real_nix) = nix() else { return };
    let dir = Dir::new("lock");
    let project = dir.0.join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join("flake.nix"), "{ outputs = _: { }; }\n").unwrap();
    let started = dir.0.join("lock-started");
    let hanging = dir.script(
        "hanging-nix",
        // Only the update hangs; anything else asked of this Nix (its version, …) is the real
        // one's answer, so no process is left sleeping when the test ends.
        &format!(
            "case \"$*\" in *\"flake lock\"*) touch '{}'; exec sleep 600;; esac\nexec '{}' \"$@\"",
            started.display(),
            real_nix.display()
        ),
    );
    let mut server = server(&dir.0, real_nix.to_str().unwrap(), &hanging);

    let id = server.request_async(
        "workspace/executeCommand",
        json!({ "command": "flake-lsp.updateLock", "arguments": [{ "root": file_uri(&project) }] }),
    );
    let begin = server.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "begin");
    assert_eq!(begin["params"]["value"]["title"], "Updating flake.lock of project", "{begin}");
    assert_eq!(begin["params"]["value"]["cancellable"], true);
    for _ in 0..600 {
        if started.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(started.exists(), "nix flake lock ran with the binary flakeLsp.nix.path names");

    let token = begin["params"]["token"].clone();
    server.notify("window/workDoneProgress/cancel", json!({ "token": token }));
    let response = server.response(id);
    let message = response["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("cancelled"), "{response}");
    server.take(|m| {
        m["method"] == "$/progress" && m["params"]["token"] == token && m["params"]["value"]["kind"] == "end"
    });
    assert!(!project.join("flake.lock").exists());
}

/// The documentation hover shows for `map`, once it says `expected` (the builtins'
/// documentation is read in the background).
fn hover_map_until(server: &mut Server, uri: &str, expected: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..300 {
        last = server.request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 1 } }),
        );
        if last["contents"]["value"].as_str().is_some_and(|v| v.contains(expected)) {
            return last;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("hover never showed {expected:?}; last: {last}");
}

#[test]
fn builtin_documentation_comes_from_the_nix_the_settings_name() {
    let dir = Dir::new("docs");
    let dump = |doc: &str| {
        let json = format!(r#"{{"map":{{"args":["f","list"],"doc":"{doc}"}}}}"#);
        format!("case \"$*\" in *__dump-language*) echo '{json}'; exit 0;; esac\nexit 1")
    };
    let first = dir.script("first-nix", &dump("Mapped by the first nix."));
    let second = dir.script("second-nix", &dump("Mapped by the second nix."));
    let mut server = server(&dir.0, "/nonexistent/flake-lsp-tests/nix", &first);
    let uri = file_uri(&dir.0.join("x.nix"));
    server.open(&uri, "map (x: x) [ ]\n");
    hover_map_until(&mut server, &uri, "Mapped by the first nix.");

    // Another binary named: its documentation replaces the first's.
    server.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "flakeLsp": { "environment": { "enable": false }, "nix": { "path": second } } } }),
    );
    hover_map_until(&mut server, &uri, "Mapped by the second nix.");
}
