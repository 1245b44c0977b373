//! The environment over LSP: `flake/environment` from realising to ready with `$/progress`,
//! the cache on a second start, trust asked and given, staleness after an edit on disk, a
//! failed rebuild as a diagnostic on the right line, and the `flake/*` methods. Real Nix, the
//! fixture nixpkgs.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use crate::support::*;

const FLAKE: &str = r#"{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
  outputs = { self, nixpkgs }:
    let pkgs = nixpkgs.legacyPackages.x86_64-linux;
    in {
      devShells.x86_64-linux.default = pkgs.mkShell {
        packages = [ pkgs.python311 ];
        env.GREETING = "hello";
        shellHook = ''
          touch hook-ran
          test -d .venv || python3 -m venv --without-pip .venv
          source .venv/bin/activate
        '';
      };
    };
}
"#;

struct Workspace {
    dir: PathBuf,
}

impl Workspace {
    fn new(tag: &str) -> Workspace {
        Workspace { dir: flake_dir(&format!("flake-lsp-envlsp-{tag}"), FLAKE) }
    }

    fn root(&self) -> PathBuf {
        self.dir.join("project")
    }

    fn server(&self, nix: &Path, trusted: bool) -> Server {
        let mut server = Server::start_in(&self.dir, nix, &[("PIP_NO_INDEX", "1")]);
        server.initialize_in(
            &self.root(),
            json!({ "window": { "workDoneProgress": true } }),
            json!({ "flakeLsp": { "environment": {
                "trusted": trusted,
                "overrideInputs": { "nixpkgs": fixture_nixpkgs() }
            } } }),
        );
        server
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn realising_then_ready_with_progress_then_from_the_cache() {
    for nix in nixes() {
        realising_then_ready_with(&nix);
    }
}

fn realising_then_ready_with(nix: &Path) {
    let ws = Workspace::new(&format!("ready-{}", nix.file_name().unwrap().to_string_lossy()));
    let mut server = ws.server(nix, true);
    let realising = server.environment(&["realising"]);
    assert_eq!(realising["protocol"], 1);
    let ready = server.environment(&["ready", "failed"]);
    assert_eq!(ready["state"], "ready", "{ready}");
    assert_eq!(ready["fromCache"], false);
    assert_eq!(ready["shell"], "devShells.x86_64-linux.default");
    let root = ws.root().canonicalize().unwrap();
    assert_eq!(ready["python"]["interpreter"], root.join(".venv/bin/python").display().to_string());
    assert_eq!(ready["set"]["GREETING"], "hello");
    assert_eq!(ready["set"]["VIRTUAL_ENV"], root.join(".venv").display().to_string());
    // Progress began and ended on a token the client was asked to create.
    let progress: Vec<&Value> = server.backlog.iter().filter(|m| m["method"] == "$/progress").collect();
    assert_eq!(
        progress.first().map(|p| &p["params"]["value"]["kind"]),
        Some(&json!("begin")),
        "{progress:?}"
    );
    assert_eq!(progress.last().map(|p| &p["params"]["value"]["kind"]), Some(&json!("end")));
    assert!(server.backlog.iter().any(|m| m["method"] == "window/workDoneProgress/create"));

    // The editor asks for a terminal in the environment.
    let spec = server.request(
        "workspace/executeCommand",
        json!({ "command": "flake-lsp.enterEnvironment", "arguments": [{ "root": root }] }),
    );
    assert_eq!(spec["cwd"], root.display().to_string());
    assert_eq!(spec["env"]["GREETING"], "hello");
    assert_eq!(spec["name"], "nix: default");

    let shells = server.request("flake/shells", json!({}));
    assert_eq!(shells["shells"], json!(["devShells.x86_64-linux.default"]));
    assert!(server.shutdown().success());

    // A second start: ready from the cache, without realising.
    let mut server = ws.server(nix, true);
    let again = server.environment(&["ready", "realising", "stale"]);
    assert_eq!(again["state"], "ready", "{again}");
    assert_eq!(again["fromCache"], true);
    assert_eq!(again["set"], ready["set"]);
}

#[test]
fn an_edit_on_disk_makes_it_stale_and_a_broken_flake_shows_where() {
    let Some(nix) = nix() else { return };
    let ws = Workspace::new("stale");
    let mut server = ws.server(&nix, true);
    server.environment(&["ready"]);
    let flake = ws.root().join("flake.nix");
    let uri = file_uri(&flake);
    server.open(&uri, FLAKE);
    server.diagnostics(&uri, 1);

    // Changed on disk: realised again, the old environment meanwhile stale.
    let changed = FLAKE.replace("\"hello\"", "\"hello again\"");
    std::fs::write(&flake, &changed).unwrap();
    server.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": uri, "type": 2 }] }));
    let stale = server.environment(&["stale"]);
    assert_eq!(stale["set"]["GREETING"], "hello", "the last good one meanwhile");
    let ready = server.environment(&["ready"]);
    assert_eq!(ready["set"]["GREETING"], "hello again");

    // Broken: stale with the error, and an environment_failed diagnostic on its line.
    let broken =
        changed.replace("packages = [ pkgs.python311 ];", "packages = [ pkgs.python311 missingThing ];");
    std::fs::write(&flake, &broken).unwrap();
    server.change(&uri, 2, json!([{ "text": broken }]));
    server.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": uri, "type": 2 }] }));
    let failed = server.wait_for(|m| {
        m["method"] == "flake/environment"
            && m["params"]["state"] == "stale"
            && !m["params"]["errorPosition"].is_null()
    });
    assert!(failed["params"]["error"].as_str().unwrap().contains("missingThing"), "{failed}");
    assert_eq!(failed["params"]["set"]["GREETING"], "hello again");
    let line = broken.lines().position(|l| l.contains("missingThing")).unwrap();
    let diag = server.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["diagnostics"]
                .as_array()
                .is_some_and(|d| d.iter().any(|d| d["code"] == "environment_failed"))
    });
    let env_diag = diag["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "environment_failed")
        .unwrap()
        .clone();
    assert_eq!(env_diag["range"]["start"]["line"], line, "{env_diag}");
    // The "Enter environment" action is offered on the dev shell's definition.
    let at = broken.lines().position(|l| l.contains("devShells")).unwrap();
    let actions = server.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri },
            "range": { "start": { "line": at, "character": 8 }, "end": { "line": at, "character": 8 } },
            "context": { "diagnostics": [] }
        }),
    );
    assert!(
        actions.as_array().unwrap().iter().any(|a| a["command"]["command"] == "flake-lsp.enterEnvironment"),
        "{actions}"
    );
}

#[test]
fn an_untrusted_flake_is_asked_about_and_runs_nothing_until_trusted() {
    let Some(nix) = nix() else { return };
    let ws = Workspace::new("trust");
    let mut server = ws.server(&nix, false);
    server.answers.push(("window/showMessageRequest".into(), json!({ "title": "Not now" })));
    let untrusted = server.environment(&["untrusted"]);
    assert_eq!(untrusted["root"], ws.root().display().to_string());
    let asked = server.wait_for(|m| m["method"] == "window/showMessageRequest");
    assert!(asked["params"]["message"].as_str().unwrap().contains("trust"), "{asked}");
    assert!(!ws.root().join("hook-ran").exists(), "no hook ran");
    assert!(!ws.dir.join("cache/flake-lsp/env").exists(), "nothing was realised");

    server.request("flake/trust", json!({ "root": file_uri(&ws.root()), "trust": true }));
    let ready = server.environment(&["ready", "failed"]);
    assert_eq!(ready["state"], "ready", "{ready}");
    assert!(ws.root().join("hook-ran").exists());
}

#[test]
fn cancelling_from_the_progress_ui_stops_the_realisation() {
    let Some(nix) = nix() else { return };
    let ws = Workspace::new("cancel");
    let slow = FLAKE.replace("touch hook-ran", "touch hook-started; sleep 1000; touch hook-ran");
    std::fs::write(ws.root().join("flake.nix"), slow).unwrap();
    let mut server = ws.server(&nix, true);
    let begin = server.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "begin");
    assert_eq!(begin["params"]["value"]["cancellable"], true);
    // Once the hook is running, the user cancels.
    let started = ws.root().join("hook-started");
    for _ in 0..600 {
        if started.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(started.exists(), "the hook started");
    server.notify("window/workDoneProgress/cancel", json!({ "token": begin["params"]["token"] }));
    let failed = server.environment(&["failed", "ready"]);
    assert_eq!(failed["state"], "failed", "{failed}");
    assert!(failed["error"].as_str().unwrap().contains("cancelled"), "{failed}");
    assert!(!ws.root().join("hook-ran").exists());
}

#[test]
fn flake_lock_out_of_step_is_reported_and_updated_by_the_quick_fix() {
    let Some(nix) = nix() else { return };
    let dir = std::env::temp_dir().join(format!("flake-lsp-lock-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = repo_root().join("tests/fixtures/nixpkgs");
    let flake = format!(
        "{{\n  inputs.nixpkgs.url = \"path:{}\";\n  outputs = {{ self, nixpkgs }}: {{ }};\n}}\n",
        fixture.display()
    );
    let lock = r#"{ "version": 7, "root": "root", "nodes": {
  "root": { "inputs": { "old": "old" } },
  "old": { "locked": { "type": "path", "path": "/nonexistent", "narHash": "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "lastModified": 1 }, "original": { "type": "path", "path": "/nonexistent" } }
} }
"#;
    std::fs::write(dir.join("flake.nix"), &flake).unwrap();
    std::fs::write(dir.join("flake.lock"), lock).unwrap();
    git_repo(&dir);
    let mut server = Server::start_with(&[("FLAKE_LSP_NIX", nix.to_str().unwrap())]);
    server.initialize(json!({}), json!({ "flakeLsp": { "environment": { "enable": false } } }));
    let uri = file_uri(&dir.join("flake.nix"));
    server.open(&uri, &flake);
    let diags = server.diagnostics(&uri, 1);
    let codes = summary(&diags);
    assert_eq!(codes, ["1:2 lock_unused_input", "1:9 lock_missing_input"], "{diags:?}");

    let missing = diags.iter().find(|d| d["code"] == "lock_missing_input").unwrap().clone();
    let actions = server.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": missing["range"], "context": { "diagnostics": [missing] } }),
    );
    let fix = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["command"]["command"] == "flake-lsp.updateLock")
        .unwrap_or_else(|| panic!("an Update flake.lock fix: {actions}"))
        .clone();
    // What was published before the fix cannot be its answer; what comes while the command
    // runs (before or after its response) can.
    server.backlog.retain(|m| m["method"] != "textDocument/publishDiagnostics");
    server.request(
        "workspace/executeCommand",
        json!({ "command": fix["command"]["command"], "arguments": fix["command"]["arguments"] }),
    );
    let new_lock = std::fs::read_to_string(dir.join("flake.lock")).unwrap();
    assert!(new_lock.contains("\"nixpkgs\"") && !new_lock.contains("\"old\""), "{new_lock}");
    // The file's diagnostics are published again without the lock warnings.
    let clean = server.take(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri.as_str()
            && m["params"]["diagnostics"]
                .as_array()
                .is_some_and(|d| d.iter().all(|d| !d["code"].as_str().unwrap_or("").starts_with("lock_")))
    });
    assert_eq!(clean["params"]["version"], 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_untracked_flake_is_reported_and_tracked_by_the_quick_fix() {
    let dir = std::env::temp_dir().join(format!("flake-lsp-untracked-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("nix")).unwrap();
    let flake = "{\n  outputs = { self }: { shell = import ./nix/shell.nix; };\n}\n";
    std::fs::write(dir.join("flake.nix"), flake).unwrap();
    std::fs::write(dir.join("nix/shell.nix"), "{ }\n").unwrap();
    assert!(Command::new("git").args(["init", "-q"]).current_dir(&dir).status().unwrap().success());
    let Some(nix) = nix() else { return };
    let mut server = Server::start_with(&[("FLAKE_LSP_NIX", nix.to_str().unwrap())]);
    server.initialize(json!({}), json!({ "flakeLsp": { "environment": { "enable": false } } }));
    let uri = file_uri(&dir.join("flake.nix"));
    server.open(&uri, flake);
    let untracked = server.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri.as_str()
            && m["params"]["diagnostics"]
                .as_array()
                .is_some_and(|d| d.iter().any(|d| d["code"] == "untracked_file"))
    });
    let diag = untracked["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "untracked_file")
        .unwrap()
        .clone();
    assert_eq!(diag["range"]["start"]["line"], 0);
    // Nix cannot see the flake, and evaluating it says so.
    server.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri.as_str()
            && m["params"]["diagnostics"]
                .as_array()
                .is_some_and(|d| d.iter().any(|d| d["code"] == "eval_error"))
    });
    assert!(diag["message"].as_str().unwrap().contains("not tracked by git"), "{diag}");
    // The file flake.nix imports is reported too.
    let shell = file_uri(&dir.join("nix/shell.nix"));
    server.open(&shell, "{ }\n");
    server.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == shell.as_str()
            && m["params"]["diagnostics"]
                .as_array()
                .is_some_and(|d| d.iter().any(|d| d["code"] == "untracked_file"))
    });

    let actions = server.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": diag["range"], "context": { "diagnostics": [diag] } }),
    );
    let fix = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["command"]["command"] == "flake-lsp.gitAddIntent")
        .unwrap_or_else(|| panic!("a git add fix: {actions}"))
        .clone();
    server.backlog.retain(|m| m["method"] != "textDocument/publishDiagnostics");
    server.request(
        "workspace/executeCommand",
        json!({ "command": fix["command"]["command"], "arguments": fix["command"]["arguments"] }),
    );
    let tracked = Command::new("git").args(["ls-files", "flake.nix"]).current_dir(&dir).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&tracked.stdout).trim(), "flake.nix");
    server.take(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri.as_str()
            && m["params"]["diagnostics"]
                .as_array()
                .is_some_and(|d| d.iter().all(|d| d["code"] != "untracked_file" && d["code"] != "eval_error"))
    });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn evaluation_errors_land_on_their_line_and_clear_when_fixed() {
    for nix in nixes() {
        evaluation_errors_with(&nix);
    }
}

fn evaluation_errors_with(nix: &Path) {
    let ws = Workspace::new(&format!("eval-{}", nix.file_name().unwrap().to_string_lossy()));
    let broken = FLAKE.replace("packages = [ pkgs.python311 ];", "packages = [ pkgs.pyhton311 ];");
    let flake = ws.root().join("flake.nix");
    std::fs::write(&flake, &broken).unwrap();
    let mut server = ws.server(nix, false);
    let uri = file_uri(&flake);
    server.open(&uri, &broken);
    let has_eval = |m: &Value| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri.as_str()
            && m["params"]["diagnostics"]
                .as_array()
                .is_some_and(|d| d.iter().any(|d| d["code"] == "eval_error"))
    };
    let published = server.wait_for(has_eval);
    let diag = published["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "eval_error")
        .unwrap()
        .clone();
    assert_eq!(diag["source"], "nix");
    assert!(diag["message"].as_str().unwrap().contains("pyhton311"), "{diag}");
    let line = broken.lines().position(|l| l.contains("pyhton311")).unwrap();
    assert_eq!(diag["range"]["start"]["line"], line, "{diag}");
    assert!(diag["message"].as_str().unwrap().contains("did you mean `python311`"), "{diag}");
    // The fix reads its facts from the diagnostic's data, not from the message.
    assert_eq!(diag["data"]["kind"], "didYouMean", "{diag}");
    assert_eq!(diag["data"]["missing"], "pyhton311", "{diag}");
    assert_eq!(diag["data"]["suggestions"][0], "python311", "{diag}");
    let mut without_data = diag.clone();
    without_data.as_object_mut().unwrap().remove("data");
    let actions = server.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": diag["range"], "context": { "diagnostics": [without_data] } }),
    );
    assert!(
        actions.as_array().unwrap().iter().all(|a| !a["title"].as_str().unwrap_or("").starts_with("Replace")),
        "no fix from the message alone: {actions}"
    );

    // The quick fix replaces the misspelt name with the suggestion.
    let actions = server.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": diag["range"], "context": { "diagnostics": [diag] } }),
    );
    let fix = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Replace `pyhton311` with `python311`")
        .unwrap_or_else(|| panic!("a did-you-mean fix: {actions}"))
        .clone();
    assert_eq!(fix["isPreferred"], true);
    let edits = fix["edit"]["changes"][&uri].as_array().unwrap();
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0]["newText"], "python311");
    assert_eq!(edits[0]["range"]["start"]["line"], line);

    // Fixed and saved: the error goes.
    std::fs::write(&flake, FLAKE).unwrap();
    server.change(&uri, 2, json!([{ "text": FLAKE }]));
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    server.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri.as_str()
            && m["params"]["version"] == 2
            && m["params"]["diagnostics"]
                .as_array()
                .is_some_and(|d| d.iter().all(|d| d["code"] != "eval_error"))
            && !m["params"]["diagnostics"].is_null()
    });
}

#[test]
fn evaluation_errors_of_every_kind_on_both_nix_versions() {
    for nix in nixes() {
        let name = nix.file_name().unwrap().to_string_lossy().to_string();
        // (what, flake.nix's shell packages line, nix/extra.nix, where the error must be: file, line text)
        let cases: &[(&str, &str, &str, &str, &str)] = &[
            ("type", "packages = [ pkgs.python311 ] ++ (1 + \"a\");", "{ }", "flake.nix", "1 + \"a\""),
            (
                "imported",
                "packages = [ pkgs.python311 ] ++ (import ./nix/extra.nix);",
                "[ (2 * true) ]",
                "nix/extra.nix",
                "2 * true",
            ),
            (
                "undefined",
                "packages = [ pkgs.python311 notDefinedAnywhere ];",
                "{ }",
                "flake.nix",
                "notDefinedAnywhere",
            ),
        ];
        for (what, line, extra, file, needle) in cases {
            let ws = Workspace::new(&format!("evalkind-{what}-{name}"));
            let flake = FLAKE.replace("packages = [ pkgs.python311 ];", line);
            std::fs::write(ws.root().join("flake.nix"), &flake).unwrap();
            std::fs::create_dir_all(ws.root().join("nix")).unwrap();
            std::fs::write(ws.root().join("nix/extra.nix"), extra).unwrap();
            assert!(Command::new("git")
                .args(["add", "-A"])
                .current_dir(ws.root())
                .status()
                .unwrap()
                .success());
            let mut server = ws.server(&nix, false);
            let uri = file_uri(&ws.root().join(file));
            let text = std::fs::read_to_string(ws.root().join(file)).unwrap();
            server.open(&uri, &text);
            let published = server.wait_for(|m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["uri"] == uri.as_str()
                    && m["params"]["diagnostics"]
                        .as_array()
                        .is_some_and(|d| d.iter().any(|d| d["code"] == "eval_error"))
            });
            let diag = published["params"]["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["code"] == "eval_error")
                .unwrap()
                .clone();
            let want = text.lines().position(|l| l.contains(needle)).unwrap();
            assert_eq!(diag["range"]["start"]["line"], want, "{what} on {name}: {diag}");
        }
    }
}

#[test]
fn a_hanging_evaluation_is_stopped_by_the_next_edit() {
    let Some(nix) = nix() else { return };
    let port = hanging_http_port();
    let ws = Workspace::new("hang");
    let flake = FLAKE.replace(
        "packages = [ pkgs.python311 ];",
        &format!(
            "packages = [ pkgs.python311 ] ++ (import (builtins.fetchTarball {{ url = \"http://127.0.0.1:{port}/never.tar.gz\"; sha256 = \"0000000000000000000000000000000000000000000000000000\"; }}));"
        ),
    );
    std::fs::write(ws.root().join("flake.nix"), &flake).unwrap();
    assert!(Command::new("git").args(["add", "-A"]).current_dir(ws.root()).status().unwrap().success());
    let mut server = ws.server(&nix, false);
    let uri = file_uri(&ws.root().join("flake.nix"));
    server.open(&uri, &flake);
    // The evaluation is running (and hanging) in the flake's evaluator.
    let server_pid = server.pid().to_string();
    let evaluator = || {
        let out = Command::new("pgrep").args(["-P", &server_pid, "-f", "repl"]).output().unwrap();
        out.status.success()
    };
    let mut running = false;
    for _ in 0..600 {
        if evaluator() {
            running = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(running, "the evaluation started");
    std::thread::sleep(std::time::Duration::from_millis(500));
    // The server answers meanwhile.
    let completion = server.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 6, "character": 8 } }),
    );
    assert!(!completion.is_null());
    // The next edit stops it: the save after it is evaluated, not stuck behind the hang.
    server.change(&uri, 2, json!([{ "text": format!("{flake}\n") }]));
    let broken =
        FLAKE.replace("packages = [ pkgs.python311 ];", "packages = [ pkgs.python311 ] ++ (1 + \"a\");");
    std::fs::write(ws.root().join("flake.nix"), &broken).unwrap();
    server.change(&uri, 3, json!([{ "text": broken }]));
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    let line = broken.lines().position(|l| l.contains("1 + \"a\"")).unwrap();
    server.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri.as_str()
            && m["params"]["diagnostics"].as_array().is_some_and(|d| {
                d.iter().any(|d| d["code"] == "eval_error" && d["range"]["start"]["line"] == line)
            })
    });
    assert!(server.shutdown().success());
}

/// An input that cannot be fetched offline (the tests have no network): one `input_unavailable`
/// diagnostic on its `url` line naming the input, the cause and what to do, instead of
/// `environment_failed` and `eval_error` at 1:1 with Nix's retries; `flake/environment` and
/// `flake-lsp env` say the same sentence. A `github:` input realised and evaluated (trusted),
/// a private-looking `git+https:` one evaluated only (untrusted); Nix 2.8 and 2.34.
#[test]
fn an_input_that_cannot_be_fetched_is_one_diagnostic_on_its_url() {
    for nix in crate::testing::nixes() {
        for (input, url, trusted) in [
            ("utils", "github:numtide/flake-utils", true),
            ("secret", "git+https://git.example.com/acme/private-tools", false),
        ] {
            unfetched_input(&nix, input, url, trusted);
        }
    }
}

fn unfetched_input(nix: &Path, input: &str, url: &str, trusted: bool) {
    let flake = format!(
        "{{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs/nixos-24.05\";\n  inputs.{input}.url = \"{url}\";\n  \
         outputs = {{ self, nixpkgs, {input} }}: {{\n    devShells.x86_64-linux.default = \
         nixpkgs.legacyPackages.x86_64-linux.mkShell {{ }};\n  }};\n}}\n"
    );
    let tag = format!("unfetched-{input}-{}", nix.file_name().unwrap().to_string_lossy());
    let ws = Workspace::new(&tag);
    std::fs::write(ws.root().join("flake.nix"), &flake).unwrap();
    git_repo(&ws.root());
    let mut server = ws.server(nix, trusted);
    let uri = file_uri(&ws.root().join("flake.nix"));
    server.open(&uri, &flake);
    let environment_error =
        trusted.then(|| server.environment(&["failed"])["error"].as_str().unwrap().to_string());
    let published = server.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri
            && m["params"]["diagnostics"]
                .as_array()
                .is_some_and(|d| d.iter().any(|d| d["code"] == "input_unavailable"))
    });
    let diagnostics = published["params"]["diagnostics"].as_array().unwrap();
    let codes: Vec<&str> = diagnostics.iter().filter_map(|d| d["code"].as_str()).collect();
    assert_eq!(codes, ["input_unavailable"], "{nix:?} {input}: {diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(d["range"]["start"]["line"], 2, "on the url's line: {d}");
    let message = d["message"].as_str().unwrap();
    let expected_cause = "cannot be fetched: there is no network";
    assert!(message.starts_with(&format!("the input `{input}` ({url}) {expected_cause}")), "{message}");
    assert!(
        message.contains("`nix flake lock`")
            && message.contains(&format!("`--override-input {input} <path>`"))
            && message.contains("flakeLsp.environment.overrideInputs"),
        "{message}"
    );
    assert!(!message.contains("retrying") && !message.contains("--show-trace"), "{message}");
    if let Some(error) = environment_error {
        assert_eq!(error, message, "flake/environment says the same");
    }
    assert!(server.shutdown().success());

    // `flake-lsp env` prints the same sentence.
    if trusted {
        let out = Command::new(env!("CARGO_BIN_EXE_flake-lsp"))
            .args(["env", "--trust", "--override-input", "nixpkgs"])
            .arg(fixture_nixpkgs())
            .arg(ws.root())
            .env("FLAKE_LSP_NIX", nix)
            .env("XDG_CACHE_HOME", ws.dir.join("cache"))
            .env("XDG_DATA_HOME", ws.dir.join("data"))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success());
        assert!(stdout.contains(&format!("error    {message}")), "{nix:?}: {stdout}");
    }
}
