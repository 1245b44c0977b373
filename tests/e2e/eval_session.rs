//! The evaluator over LSP: every independent error of a flake at once, each on its line and
//! naming its output; fixing one clears only that one; the evaluator killed, hanging, over its
//! memory limit, flake.lock changed while it works; nothing left running after exit. Real Nix
//! (2.8 and 2.34), the fixture nixpkgs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::*;

const FLAKE: &str = r#"{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
  outputs = { self, nixpkgs }:
    let pkgs = nixpkgs.legacyPackages.x86_64-linux;
    in {
      packages.x86_64-linux.server = pkgs.mkShell { name = "server"; port = 80 + "80"; };
      packages.x86_64-linux.client = pkgs.mkShell { name = "client"; packages = [ pkgs.clientLibThatIsMissing ]; };
      packages.x86_64-linux.fine = pkgs.mkShell { name = "fine"; };
      checks.x86_64-linux.unit = pkgs.mkShell { name = "unit"; doCheck = throw "unit tests are not written yet"; };
      apps.x86_64-linux.default = { type = "app"; program = "${pkgs.appToolThatIsMissing}/bin/app"; };
      overlays.default = final: prev: { };
      overlays.broken = 42;
    };
}
"#;

struct Workspace {
    dir: PathBuf,
}

impl Workspace {
    fn new(tag: &str, flake: &str) -> Workspace {
        Workspace { dir: flake_dir(&format!("flake-lsp-evals-{tag}"), flake) }
    }

    fn root(&self) -> PathBuf {
        self.dir.join("project")
    }

    fn server(&self, nix: &Path, eval: Value) -> Server {
        let mut server = Server::start_in(&self.dir, nix, &[]);
        server.initialize_in(
            &self.root(),
            json!({}),
            json!({ "flakeLsp": {
                "environment": { "trusted": false, "overrideInputs": { "nixpkgs": fixture_nixpkgs() } },
                "eval": eval
            } }),
        );
        server
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The evaluation errors of a publication, as `line: message`, sorted by line.
fn eval_errors(published: &Value) -> Vec<(u64, String)> {
    let mut out: Vec<(u64, String)> = published["params"]["diagnostics"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter(|d| d["code"] == "eval_error")
                .map(|d| {
                    (
                        d["range"]["start"]["line"].as_u64().unwrap(),
                        d["message"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn line_of(text: &str, needle: &str) -> u64 {
    text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle} in the text")) as u64
}

/// Waits for a publication of `uri` whose evaluation errors satisfy `pred`.
fn wait_errors(
    server: &mut Server,
    uri: &str,
    pred: impl Fn(&[(u64, String)]) -> bool,
) -> Vec<(u64, String)> {
    let published = server.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri && pred(&eval_errors(m))
    });
    eval_errors(&published)
}

/// The `nix repl` processes the server started (its children).
fn evaluators(server: &Server) -> Vec<u32> {
    let out = Command::new("pgrep").args(["-P", &server.pid().to_string(), "-f", "repl"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.trim().parse().ok()).collect()
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
}

fn save(server: &mut Server, ws: &Workspace, uri: &str, version: i32, text: &str) {
    std::fs::write(ws.root().join("flake.nix"), text).unwrap();
    server.change(uri, version, json!([{ "text": text }]));
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
}

#[test]
fn every_independent_error_at_once_each_on_its_line() {
    for nix in nixes() {
        every_error_with(&nix);
    }
}

fn every_error_with(nix: &Path) {
    let name = nix.file_name().unwrap().to_string_lossy().to_string();
    let ws = Workspace::new(&format!("all-{name}"), FLAKE);
    let mut server = ws.server(nix, json!({}));
    let uri = file_uri(&ws.root().join("flake.nix"));
    server.open(&uri, FLAKE);
    let errors = wait_errors(&mut server, &uri, |e| e.len() >= 5);
    let expected = [
        ("80 + \"80\"", "packages.x86_64-linux.server: cannot add a string to an integer"),
        (
            "clientLibThatIsMissing",
            "packages.x86_64-linux.client: attribute 'clientLibThatIsMissing' missing",
        ),
        ("unit tests are not written", "checks.x86_64-linux.unit: unit tests are not written yet"),
        ("appToolThatIsMissing", "apps.x86_64-linux.default: attribute 'appToolThatIsMissing' missing"),
        ("overlays.broken", "overlays.broken: is not a function"),
    ];
    assert_eq!(errors.len(), expected.len(), "{name}: {errors:#?}");
    for (needle, message) in expected {
        let line = line_of(FLAKE, needle);
        assert!(
            errors.iter().any(|(l, m)| *l == line && m.starts_with(message)),
            "{name}: `{message}` on line {line}: {errors:#?}"
        );
    }

    // The server's error fixed: only that one goes.
    let fixed = FLAKE.replace("port = 80 + \"80\";", "port = 8080;");
    save(&mut server, &ws, &uri, 2, &fixed);
    let after = wait_errors(&mut server, &uri, |e| e.len() == 4);
    let before_without_server: Vec<(u64, String)> =
        errors.iter().filter(|(_, m)| !m.starts_with("packages.x86_64-linux.server")).cloned().collect();
    assert_eq!(after, before_without_server, "{name}");
    let pids = evaluators(&server);
    assert_eq!(pids.len(), 1, "{name}: one evaluator: {pids:?}");
    assert!(server.shutdown().success());
    // Nothing left running.
    let deadline = Instant::now() + Duration::from_secs(10);
    while pids.iter().any(|p| alive(*p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(pids.iter().all(|p| !alive(*p)), "{name}: the evaluator outlived the server");
}

/// A flake in a subdirectory of its git checkout: Nix copies the whole checkout; the errors
/// still land on their lines.
#[test]
fn a_flake_in_a_subdirectory_of_its_checkout() {
    for nix in nixes() {
        subdirectory_with(&nix);
    }
}

fn subdirectory_with(nix: &Path) {
    let name = nix.file_name().unwrap().to_string_lossy().to_string();
    let dir = std::env::temp_dir().join(format!("flake-lsp-evals-sub-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("project/nix")).unwrap();
    let flake = FLAKE.replace("port = 80 + \"80\";", "port = import ./nix/port.nix;");
    std::fs::write(dir.join("project/flake.nix"), &flake).unwrap();
    std::fs::write(dir.join("project/nix/port.nix"), "80 + \"80\"\n").unwrap();
    std::fs::write(dir.join("README"), "the checkout's top\n").unwrap();
    git_repo(&dir);
    let ws = Workspace { dir };
    let mut server = ws.server(nix, json!({}));
    let uri = file_uri(&ws.root().join("nix/port.nix"));
    server.open(&uri, "80 + \"80\"\n");
    let errors = wait_errors(&mut server, &uri, |e| !e.is_empty());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, 0);
    assert!(
        errors[0].1.starts_with("packages.x86_64-linux.server: cannot add a string to an integer"),
        "{errors:?}"
    );
    assert!(server.shutdown().success());
}

/// A NixOS configuration is evaluated only on request: a code lens above it, `flake/evaluate`.
#[test]
fn configurations_are_evaluated_on_request() {
    let Some(nix) = nix() else { return };
    let flake = r#"{
  outputs = { self }: {
    nixosConfigurations.web = { config.system.build.toplevel = derivation { name = "web"; system = "x86_64-linux"; builder = "/bin/sh"; }; };
    nixosConfigurations.db = { config.system.build.toplevel = throw "the database module is broken"; };
  };
}
"#;
    let ws = Workspace::new("configs", flake);
    let mut server = ws.server(&nix, json!({}));
    let uri = file_uri(&ws.root().join("flake.nix"));
    server.open(&uri, flake);
    let errors = wait_errors(&mut server, &uri, |_| true);
    assert!(errors.is_empty(), "not evaluated on a save: {errors:?}");
    let lenses = server.request("textDocument/codeLens", json!({ "textDocument": { "uri": uri } }));
    let titles: Vec<(u64, String)> = lenses
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["range"]["start"]["line"].as_u64().unwrap(),
                l["command"]["arguments"][0]["attribute"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        titles,
        [(2, "nixosConfigurations.web".to_string()), (3, "nixosConfigurations.db".to_string())]
    );
    let web = server
        .request("flake/evaluate", json!({ "root": ws.root(), "attribute": "nixosConfigurations.web" }));
    assert!(web["drvPath"].as_str().unwrap().ends_with("-web.drv"), "{web}");
    let lens = lenses[1]["command"].clone();
    let db = server.request(
        "workspace/executeCommand",
        json!({ "command": lens["command"], "arguments": lens["arguments"] }),
    );
    assert!(db["error"]["message"].as_str().unwrap().contains("the database module is broken"), "{db}");
    assert_eq!(db["error"]["range"]["start"]["line"], 3, "{db}");
    // Published before or after the answer came.
    let in_backlog = server.backlog.iter().rev().find(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri
            && !eval_errors(m).is_empty()
    });
    let shown = match in_backlog {
        Some(m) => eval_errors(m),
        None => wait_errors(&mut server, &uri, |e| !e.is_empty()),
    };
    assert_eq!(shown.len(), 1);
    assert!(shown[0].1.starts_with("nixosConfigurations.db: "), "{shown:?}");
}

/// Killed, it is started again; a change of flake.lock while it works loads the flake again.
#[test]
fn the_evaluator_killed_or_reloaded_while_it_works() {
    let Some(nix) = nix() else { return };
    let ws = Workspace::new("killed", FLAKE);
    let mut server = ws.server(&nix, json!({}));
    let uri = file_uri(&ws.root().join("flake.nix"));
    server.open(&uri, FLAKE);
    wait_errors(&mut server, &uri, |e| e.len() == 5);
    let first = evaluators(&server);
    assert_eq!(first.len(), 1, "{first:?}");
    unsafe {
        libc::kill(first[0] as i32, libc::SIGKILL);
    }
    let fixed = FLAKE.replace("port = 80 + \"80\";", "port = 8080;");
    save(&mut server, &ws, &uri, 2, &fixed);
    wait_errors(&mut server, &uri, |e| e.len() == 4);
    let second = evaluators(&server);
    assert!(second.len() == 1 && second != first, "a new evaluator: {first:?} then {second:?}");

    // Slow now (a couple of seconds of work), and flake.lock written while it works.
    let slow = fixed.replace(
        "overlays.broken = 42;",
        "overlays.broken = builtins.seq (builtins.foldl' (a: b: a + b) 0 (builtins.genList (x: x) 3000000)) 42;",
    );
    save(&mut server, &ws, &uri, 3, &slow);
    std::thread::sleep(Duration::from_millis(500));
    let locked = Command::new(&nix)
        .args([
            "--extra-experimental-features",
            "nix-command flakes",
            "flake",
            "lock",
            "--override-input",
            "nixpkgs",
        ])
        .arg(fixture_nixpkgs())
        .current_dir(ws.root())
        .status()
        .unwrap();
    assert!(locked.success());
    let lock = file_uri(&ws.root().join("flake.lock"));
    server.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": lock, "type": 1 }] }));
    let errors = wait_errors(&mut server, &uri, |e| e.len() == 4);
    assert!(errors.iter().any(|(_, m)| m.starts_with("overlays.broken: is not a function")), "{errors:?}");
    // Loaded again for the new lock: another evaluator, and no more than one.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut third = evaluators(&server);
    while (third.is_empty() || third == second) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        third = evaluators(&server);
    }
    assert!(third.len() == 1 && third != second, "loaded again for the new lock: {second:?} then {third:?}");
    // And it still answers: an error fixed goes.
    let fixed = slow.replace("overlays.broken = builtins.seq", "overlays.broken = _: builtins.seq");
    save(&mut server, &ws, &uri, 4, &fixed);
    wait_errors(&mut server, &uri, |e| e.len() == 3);
    assert!(server.shutdown().success());
}

/// Hanging: stopped after `flakeLsp.eval.timeout`; over `flakeLsp.eval.maxMemoryMB`: stopped.
/// Either way the output is named, and the next save evaluates again.
#[test]
fn the_evaluator_hanging_or_over_its_memory_limit() {
    let Some(nix) = nix() else { return };
    let port = hanging_http_port();
    let hanging = FLAKE.replace(
        "packages.x86_64-linux.fine = pkgs.mkShell { name = \"fine\"; };",
        &format!("packages.x86_64-linux.fine = import (builtins.fetchTarball \"http://127.0.0.1:{port}/never.tar.gz\");"),
    );
    let ws = Workspace::new("hang", &hanging);
    let mut server = ws.server(&nix, json!({ "timeout": 3, "maxMemoryMB": 300 }));
    let uri = file_uri(&ws.root().join("flake.nix"));
    server.open(&uri, &hanging);
    let errors = wait_errors(&mut server, &uri, |e| e.iter().any(|(_, m)| m.contains("did not finish")));
    assert!(
        errors.iter().any(|(l, m)| *l == line_of(&hanging, "packages.x86_64-linux.fine")
            && m.starts_with("packages.x86_64-linux.fine: the evaluation did not finish within 3 s")),
        "{errors:?}"
    );

    let hungry = FLAKE.replace(
        "packages.x86_64-linux.fine = pkgs.mkShell { name = \"fine\"; };",
        "packages.x86_64-linux.fine = builtins.deepSeq (builtins.genList (x: toString x) 20000000) pkgs.hello;",
    );
    save(&mut server, &ws, &uri, 2, &hungry);
    let errors = wait_errors(&mut server, &uri, |e| e.iter().any(|(_, m)| m.contains("maxMemoryMB")));
    assert!(
        errors.iter().any(|(l, m)| *l == line_of(&hungry, "packages.x86_64-linux.fine")
            && m.starts_with("packages.x86_64-linux.fine: the evaluator used")),
        "{errors:?}"
    );

    // Fixed: evaluated again from a new evaluator, every error back.
    save(&mut server, &ws, &uri, 3, FLAKE);
    wait_errors(&mut server, &uri, |e| e.len() == 5);
    assert!(server.shutdown().success());
}
