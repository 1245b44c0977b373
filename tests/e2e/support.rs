//! A small LSP client over the real binary's stdio, for end-to-end tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const BIN: &str = env!("CARGO_BIN_EXE_flake-lsp");

/// Generous bound so a stuck server fails the test instead of hanging it; never a speed check.
const PATIENCE: Duration = Duration::from_secs(120);

/// Where the shared fixtures and Nix are, and how a missing one fails or is skipped:
/// `server/src/testing.rs`, shared with the unit tests.
pub use crate::testing::{nix_instantiates, nixes, repo_root, seeds};

/// `FLAKE_LSP_TEST_NIX` (to run a test against another version), else the first of [`nixes`]:
/// None only when `FLAKE_LSP_NO_NIX` is set and no Nix is there (SKIPPED printed).
pub fn nix() -> Option<PathBuf> {
    match std::env::var_os("FLAKE_LSP_TEST_NIX") {
        Some(chosen) => Some(PathBuf::from(chosen)),
        None => nixes().into_iter().next(),
    }
}

/// Makes `dir` a git repository with everything in it added, as Nix needs to see a flake.
pub fn git_repo(dir: &Path) {
    for args in [&["init", "-q"][..], &["add", "-A"][..]] {
        let ok = Command::new("git").args(args).current_dir(dir).status().expect("git runs");
        assert!(ok.success(), "git {args:?} in {}", dir.display());
    }
}

/// A fresh directory `$TMPDIR/<name>-<pid>` whose `project/` is a git repository holding
/// `flake.nix` = `flake`; the caller removes it.
/// The port of a local server that accepts connections and never answers: fetching from it
/// hangs (for as long as the test runs).
pub fn hanging_http_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

pub fn flake_dir(name: &str, flake: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let root = dir.join("project");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("flake.nix"), flake).unwrap();
    git_repo(&root);
    dir
}

/// The fixture nixpkgs (tests/fixtures/nixpkgs) as an input reference, for `overrideInputs`.
pub fn fixture_nixpkgs() -> String {
    format!("path:{}", repo_root().join("tests/fixtures/nixpkgs").display())
}

pub fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

pub struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// Notifications and server requests seen while waiting for something else.
    pub backlog: Vec<Value>,
    /// Answers to server requests by method; others get null.
    pub answers: Vec<(String, Value)>,
}

impl Server {
    /// A server for the static features: it can find no Nix, so opening a seed flake does not
    /// start an evaluation whose diagnostics would arrive at any moment. Tests that want Nix
    /// name it with `start_with(&[("FLAKE_LSP_NIX", …)])`.
    pub fn start() -> Server {
        Server::start_with(&[("FLAKE_LSP_NIX", "/nonexistent/flake-lsp-tests/nix")])
    }

    /// A server running `nix`, whose XDG cache and data directories are under `dir` (a test's
    /// caches are its own), with `extra` variables.
    pub fn start_in(dir: &Path, nix: &Path, extra: &[(&str, &str)]) -> Server {
        let (cache, data) = (dir.join("cache"), dir.join("data"));
        let mut env = vec![
            ("FLAKE_LSP_NIX", nix.to_str().unwrap()),
            ("XDG_CACHE_HOME", cache.to_str().unwrap()),
            ("XDG_DATA_HOME", data.to_str().unwrap()),
        ];
        env.extend_from_slice(extra);
        Server::start_with(&env)
    }

    pub fn start_with(env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start flake-lsp");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        length = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("Content-Length header")];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let value: Value = serde_json::from_slice(&body).expect("server sent JSON");
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        Server { child, stdin, messages: rx, next_id: 1, backlog: Vec::new(), answers: Vec::new() }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident memory of the server so far (VmHWM), in KiB. Read from /proc: Linux only,
    /// like the rest of this suite (its fixtures are x86_64-linux; docs/platforms.md).
    pub fn peak_rss_kib(&self) -> u64 {
        // Not `assert!(cfg!(..))`: clippy 1.95 refuses an assertion on a constant, and a `const`
        // assertion would stop the macOS lint of the tests from compiling.
        if cfg!(not(target_os = "linux")) {
            panic!("peak_rss_kib reads /proc, which only Linux has");
        }
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }

    pub fn send_raw(&mut self, body: &[u8]) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(body).unwrap();
        self.stdin.flush().unwrap();
    }

    pub fn send(&mut self, message: Value) {
        let body = serde_json::to_vec(&message).unwrap();
        self.send_raw(&body);
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its id without waiting.
    pub fn request_async(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        id
    }

    /// The whole response (with `result` or `error`) to a request.
    pub fn response(&mut self, id: i64) -> Value {
        self.take(|m| m["id"] == json!(id) && m.get("method").is_none())
    }

    /// The first message matching `pred`: from the backlog, else waited for.
    pub fn take(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return self.backlog.remove(i);
        }
        self.wait_for(pred)
    }

    /// The next `flake/environment` whose state is one of `states`: its params.
    pub fn environment(&mut self, states: &[&str]) -> Value {
        self.take(|m| m["method"] == "flake/environment" && states.iter().any(|s| m["params"]["state"] == *s))
            ["params"]
            .clone()
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.request_async(method, params);
        let response = self.response(id);
        assert!(response.get("error").is_none(), "{method} failed: {response}");
        response["result"].clone()
    }

    /// Waits for a message matching `pred`; others are kept in the backlog. Requests from the
    /// server (workspace/configuration, …) are answered with null.
    pub fn wait_for(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(message) => {
                    if message.get("id").is_some() && message.get("method").is_some() {
                        let id = message["id"].clone();
                        let answer = self
                            .answers
                            .iter()
                            .find(|(m, _)| message["method"] == m.as_str())
                            .map_or(Value::Null, |(_, a)| a.clone());
                        self.send(json!({ "jsonrpc": "2.0", "id": id, "result": answer }));
                    }
                    if pred(&message) {
                        return message;
                    }
                    self.backlog.push(message);
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no matching message from the server; backlog: {:?}", self.backlog)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the server closed its output; backlog: {:?}", self.backlog)
                }
            }
        }
    }

    /// The first notification `method`, from the backlog or waited for.
    pub fn notification(&mut self, method: &str) -> Value {
        self.take(|m| m["method"] == method && m.get("id").is_none())
    }

    pub fn initialize(&mut self, capabilities: Value, options: Value) -> Value {
        let result = self.request(
            "initialize",
            json!({ "processId": null, "rootUri": null, "capabilities": capabilities, "initializationOptions": options }),
        );
        self.notify("initialized", json!({}));
        result
    }

    /// `initialize` with `root` as the workspace, then `initialized`.
    pub fn initialize_in(&mut self, root: &Path, capabilities: Value, options: Value) -> Value {
        let result = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": file_uri(root),
                "capabilities": capabilities,
                "initializationOptions": options
            }),
        );
        self.notify("initialized", json!({}));
        result
    }

    pub fn init(&mut self) -> Value {
        self.initialize(json!({}), Value::Null)
    }

    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "nix", "version": 1, "text": text } }),
        );
    }

    pub fn change(&mut self, uri: &str, version: i32, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": changes }),
        );
    }

    /// The diagnostics published for `uri` at `version` (skipping older publications).
    pub fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let uri = uri.to_string();
        let in_backlog = self.backlog.iter().rposition(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == json!(version)
        });
        let message = match in_backlog {
            Some(i) => self.backlog.remove(i),
            None => self.wait_for(|m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["uri"] == uri
                    && m["params"]["version"] == json!(version)
            }),
        };
        message["params"]["diagnostics"].as_array().cloned().unwrap_or_default()
    }

    pub fn shutdown(mut self) -> std::process::ExitStatus {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `line:character code` for each diagnostic (0-based, as LSP), sorted.
pub fn summary(diags: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = diags
        .iter()
        .map(|d| {
            format!(
                "{}:{} {}",
                d["range"]["start"]["line"],
                d["range"]["start"]["character"],
                d["code"].as_str().unwrap_or("?")
            )
        })
        .collect();
    out.sort();
    out
}
