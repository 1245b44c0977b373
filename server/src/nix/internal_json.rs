//! `--log-format internal-json`: the lines Nix writes on stderr as `@nix {…}`, for Nix 2.8 and
//! the newest alike (NIX-FACTS.md). Turned into events, a progress summary, the files the
//! evaluation read (at `-v`), and errors with their positions.

use std::collections::HashMap;

use serde_json::Value;

/// Activity types (`type` of a `start`).
pub mod activity {
    pub const COPY_PATH: u64 = 100;
    pub const FILE_TRANSFER: u64 = 101;
    pub const REALISE: u64 = 102;
    pub const COPY_PATHS: u64 = 103;
    pub const BUILDS: u64 = 104;
    pub const BUILD: u64 = 105;
    pub const SUBSTITUTE: u64 = 108;
    pub const FETCH_TREE: u64 = 112;
}

/// Result types (`type` of a `result`).
pub mod result {
    pub const BUILD_LOG_LINE: u64 = 101;
    pub const SET_PHASE: u64 = 104;
    pub const PROGRESS: u64 = 105;
    pub const SET_EXPECTED: u64 = 106;
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Msg(Message),
    Start { id: u64, kind: u64, level: u64, text: String, fields: Vec<Value> },
    Stop { id: u64 },
    Result { id: u64, kind: u64, fields: Vec<Value> },
}

/// A message; for errors (level 0) with the position Nix gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub level: u64,
    /// The whole message, colour codes removed.
    pub text: String,
    /// For errors: the message without the `error:` prefix and the code excerpt.
    pub raw: Option<String>,
    /// The file as Nix names it (a store path, a real path, `«git+file://…»/x`, `«string»`).
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// With `--show-trace`: the frames, innermost first.
    pub trace: Vec<Frame>,
}

/// One `… while …` frame of an error's trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub text: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

/// Parses one line of stderr; `None` for lines that are not `@nix` JSON.
pub fn parse_line(line: &str) -> Option<Event> {
    let json = line.trim_end().strip_prefix("@nix ")?;
    let v: Value = serde_json::from_str(json).ok()?;
    let id = v["id"].as_u64().unwrap_or(0);
    let kind = v["type"].as_u64().unwrap_or(0);
    let fields = v["fields"].as_array().cloned().unwrap_or_default();
    Some(match v["action"].as_str()? {
        "msg" => {
            let (file, line, column) = position(&v);
            let trace = v["trace"]
                .as_array()
                .map(|frames| {
                    frames
                        .iter()
                        .map(|f| {
                            let (file, line, column) = position(f);
                            Frame {
                                text: strip_ansi(f["raw_msg"].as_str().unwrap_or("")),
                                file,
                                line,
                                column,
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            Event::Msg(Message {
                level: v["level"].as_u64().unwrap_or(0),
                text: strip_ansi(v["msg"].as_str().unwrap_or("")),
                raw: v["raw_msg"].as_str().map(strip_ansi),
                file,
                line,
                column,
                trace,
            })
        }
        "start" => Event::Start {
            id,
            kind,
            level: v["level"].as_u64().unwrap_or(0),
            text: strip_ansi(v["text"].as_str().unwrap_or("")),
            fields,
        },
        "stop" => Event::Stop { id },
        "result" => Event::Result { id, kind, fields },
        _ => return None,
    })
}

/// Up to 2.19 `file` is the path and `line`/`column` separate; from 2.20 `file` is
/// `path:line:col` (with `line` and `column` given as well).
fn position(v: &Value) -> (Option<String>, Option<u32>, Option<u32>) {
    let line = v["line"].as_u64().map(|n| n as u32).filter(|n| *n > 0);
    let column = v["column"].as_u64().map(|n| n as u32).filter(|n| *n > 0);
    let Some(file) = v["file"].as_str().filter(|f| !f.is_empty()) else { return (None, line, column) };
    if let (Some(l), Some(c)) = (line, column) {
        if let Some(path) = file.strip_suffix(&format!(":{l}:{c}")) {
            return (Some(path.to_string()), line, column);
        }
    }
    (Some(file.to_string()), line, column)
}

/// Removes ANSI colour sequences (`ESC [ … m`).
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The file named by an "evaluating file '…'" message (Nix prints them at `-v`).
pub fn evaluated_file(message: &Message) -> Option<&str> {
    let rest = message.text.strip_prefix("evaluating file '")?;
    rest.strip_suffix('\'')
}

/// What is going on, from the events so far: for `$/progress`.
#[derive(Debug, Default)]
pub struct Progress {
    activities: HashMap<u64, (u64, String)>,
    /// done/expected for derivations (Builds) and paths (CopyPaths).
    builds: (u64, u64),
    copies: (u64, u64),
    /// The most recent activity with a text, for the message.
    current: Option<u64>,
}

impl Progress {
    pub fn feed(&mut self, event: &Event) {
        match event {
            Event::Start { id, kind, text, .. } => {
                self.activities.insert(*id, (*kind, text.clone()));
                if !text.is_empty()
                    && matches!(
                        *kind,
                        activity::BUILD
                            | activity::COPY_PATH
                            | activity::FILE_TRANSFER
                            | activity::SUBSTITUTE
                            | activity::FETCH_TREE
                            | 0
                    )
                {
                    self.current = Some(*id);
                }
            }
            Event::Stop { id } => {
                self.activities.remove(id);
                if self.current == Some(*id) {
                    self.current = None;
                }
            }
            Event::Result { id, kind: result::PROGRESS, fields } => {
                let n = |i: usize| fields.get(i).and_then(Value::as_u64).unwrap_or(0);
                match self.activities.get(id).map(|a| a.0) {
                    Some(activity::BUILDS) => self.builds = (n(0), n(1)),
                    Some(activity::COPY_PATHS) => self.copies = (n(0), n(1)),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// One line for the user: what runs now, and the counts.
    pub fn message(&self) -> Option<String> {
        let current =
            self.current.and_then(|id| self.activities.get(&id)).map(|(_, t)| shorten_store_paths(t));
        let mut counts = Vec::new();
        if self.builds.1 > 0 {
            counts.push(format!("{}/{} built", self.builds.0, self.builds.1));
        }
        if self.copies.1 > 0 {
            counts.push(format!("{}/{} fetched", self.copies.0, self.copies.1));
        }
        match (current, counts.is_empty()) {
            (None, true) => None,
            (None, false) => Some(counts.join(", ")),
            (Some(c), true) => Some(c),
            (Some(c), false) => Some(format!("{c} ({})", counts.join(", "))),
        }
    }

    /// Percentage done over builds and copies, when anything is expected.
    pub fn percentage(&self) -> Option<u32> {
        let done = self.builds.0 + self.copies.0;
        let expected = self.builds.1 + self.copies.1;
        (expected > 0).then(|| ((done * 100) / expected).min(100) as u32)
    }
}

/// `/nix/store/<hash>-name.drv` → `name`: what a user recognises.
fn shorten_store_paths(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("/nix/store/") {
        out.push_str(&rest[..i]);
        let path = &rest[i + "/nix/store/".len()..];
        let end = path.find(|c: char| c == '\'' || c == '"' || c.is_whitespace()).unwrap_or(path.len());
        let name = &path[..end];
        let name = name.get(33..).filter(|_| name.as_bytes().get(32) == Some(&b'-')).unwrap_or(name);
        out.push_str(name.strip_suffix(".drv").unwrap_or(name));
        rest = &path[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Lines captured from `nix print-dev-env -v --log-format internal-json` and `nix eval` on
    // Nix 2.8.0 and 2.34.8.
    const ERROR_2_8: &str = r#"@nix {"action":"msg","column":32,"file":"/nix/store/ahv4qz1hhj59ggyq03wccnvqdzy9mai8-source/flake.nix","level":0,"line":11,"msg":"\u001b[31;1merror:\u001b[0m cannot add \u001b[35;1ma string\u001b[0m to an integer\n\n       \u001b[34;1mat \u001b[35;1m/nix/store/ahv4qz1hhj59ggyq03wccnvqdzy9mai8-source/flake.nix:11:32\u001b[0m:","raw_msg":"cannot add \u001b[35;1ma string\u001b[0m to an integer"}"#;
    const ERROR_2_34: &str = r#"@nix {"action":"msg","column":32,"file":"/tmp/pde/flake.nix:11:32","level":0,"line":11,"msg":"\u001b[31;1merror:\u001b[0m cannot add \u001b[35;1ma string\u001b[0m to an integer","raw_msg":"cannot add \u001b[35;1ma string\u001b[0m to an integer"}"#;

    #[test]
    fn errors_of_both_versions() {
        let Some(Event::Msg(m)) = parse_line(ERROR_2_8) else { panic!() };
        assert_eq!(m.level, 0);
        assert_eq!(m.raw.as_deref(), Some("cannot add a string to an integer"));
        assert_eq!(m.file.as_deref(), Some("/nix/store/ahv4qz1hhj59ggyq03wccnvqdzy9mai8-source/flake.nix"));
        assert_eq!((m.line, m.column), (Some(11), Some(32)));
        assert!(m.text.starts_with("error: cannot add a string"));
        let Some(Event::Msg(m)) = parse_line(ERROR_2_34) else { panic!() };
        assert_eq!(m.file.as_deref(), Some("/tmp/pde/flake.nix"));
        assert_eq!((m.line, m.column), (Some(11), Some(32)));
    }

    #[test]
    fn traces_of_both_versions() {
        let old = r#"@nix {"action":"msg","column":120,"file":"/nix/store/h32a2c1x01wpwyw831r9cgj0c0q4yxsr-source/flake.nix","level":0,"line":3,"msg":"error","raw_msg":"cannot add","trace":[{"column":36,"file":"/nix/store/h32a2c1x01wpwyw831r9cgj0c0q4yxsr-source/flake.nix","line":3,"raw_msg":"while evaluating the attribute '\u001b[35;1mx\u001b[0m' of the derivation 'p'"},{"raw_msg":"from call site"}]}"#;
        let Some(Event::Msg(m)) = parse_line(old) else { panic!() };
        assert_eq!(m.trace.len(), 2);
        assert_eq!(m.trace[0].text, "while evaluating the attribute 'x' of the derivation 'p'");
        assert_eq!((m.trace[0].line, m.trace[0].column), (Some(3), Some(36)));
        assert_eq!(m.trace[1].file, None);
        let new = r#"@nix {"action":"msg","column":120,"file":"/tmp/pde/flake.nix:3:120","level":0,"line":3,"msg":"error","raw_msg":"cannot add","trace":[{"column":112,"file":"/tmp/pde/flake.nix:3:112","line":3,"raw_msg":"while evaluating attribute 'x'"},{"column":null,"file":null,"line":null,"raw_msg":"while evaluating derivation 'p'"},{"column":0,"file":"\u00abnone\u00bb:0","line":0,"raw_msg":"x"}]}"#;
        let Some(Event::Msg(m)) = parse_line(new) else { panic!() };
        assert_eq!(m.trace[0].file.as_deref(), Some("/tmp/pde/flake.nix"));
        assert_eq!((m.trace[0].line, m.trace[0].column), (Some(3), Some(112)));
        assert_eq!((m.trace[1].file.as_deref(), m.trace[1].line), (None, None));
    }

    #[test]
    fn files_read_by_the_evaluation() {
        let line = r#"@nix {"action":"msg","level":4,"msg":"evaluating file '/nix/store/ahv4qz1hhj59ggyq03wccnvqdzy9mai8-source/flake.nix'"}"#;
        let Some(Event::Msg(m)) = parse_line(line) else { panic!() };
        assert_eq!(evaluated_file(&m), Some("/nix/store/ahv4qz1hhj59ggyq03wccnvqdzy9mai8-source/flake.nix"));
    }

    #[test]
    fn progress_of_a_build() {
        let lines = [
            r#"@nix {"action":"start","id":1,"level":0,"text":"","type":102}"#,
            r#"@nix {"action":"start","id":2,"level":0,"parent":0,"text":"","type":104}"#,
            r#"@nix {"action":"start","id":3,"level":0,"text":"","type":103}"#,
            r#"@nix {"action":"result","fields":[0,2,0,0],"id":2,"type":105}"#,
            r#"@nix {"action":"start","fields":["/nix/store/jjydjls2chgh813iwl59bmw8pw81r5hy-dep.drv","",1,1],"id":4,"level":3,"text":"building '/nix/store/jjydjls2chgh813iwl59bmw8pw81r5hy-dep.drv'","type":105}"#,
            r#"@nix {"action":"result","fields":["building dep"],"id":4,"type":101}"#,
            r#"@nix {"action":"result","fields":[1,2,0,0],"id":2,"type":105}"#,
        ];
        let mut progress = Progress::default();
        assert_eq!(progress.message(), None);
        for line in lines {
            progress.feed(&parse_line(line).unwrap());
        }
        assert_eq!(progress.message().as_deref(), Some("building 'dep' (1/2 built)"));
        assert_eq!(progress.percentage(), Some(50));
        progress.feed(&parse_line(r#"@nix {"action":"stop","id":4}"#).unwrap());
        assert_eq!(progress.message().as_deref(), Some("1/2 built"));
    }

    #[test]
    fn other_lines_are_not_events() {
        assert_eq!(parse_line("warning: Git tree '/tmp/x' is dirty"), None);
        assert_eq!(parse_line("@nix {not json"), None);
        assert_eq!(parse_line(r#"@nix {"action":"unknown"}"#), None);
    }
}
