//! Nix's errors as it prints them for people (`error: …`, `at file:line:col:`, a code excerpt,
//! `… while …` frames), read into the same [`Message`] the JSON log gives. `nix repl` has no
//! JSON form for the errors of what it evaluates, so this is how its errors are read.
//!
//! Two layouts (NIX-FACTS.md): up to 2.12 the error comes first, then its position, then the
//! frames innermost first; from 2.13 a bare `error:` line, the frames outermost first, then
//! `error: <message>` and its position. Colour codes are removed first (Nix prints them even
//! on a pipe).

use super::internal_json::{strip_ansi, Frame, Message};

/// The error in `text` (what Nix printed on stderr for one failed evaluation); `None` when
/// there is no `error:` line.
pub fn parse(text: &str) -> Option<Message> {
    let text = strip_ansi(text);
    let mut message: Option<Vec<String>> = None;
    let mut position: Option<Position> = None;
    // Frames before the message (newer layout, outermost first) and after it (older layout,
    // innermost first).
    let mut before: Vec<Frame> = Vec::new();
    let mut after: Vec<Frame> = Vec::new();
    enum Wants {
        Nothing,
        /// Lines of the message, then its position.
        Message,
        /// The position of the last frame.
        Frame,
    }
    let mut wants = Wants::Nothing;
    let mut seen_error = false;
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || is_excerpt(t) || (t.starts_with('(') && t.ends_with(')')) {
            continue;
        }
        if let Some(rest) = t.strip_prefix("error:") {
            seen_error = true;
            let rest = rest.trim();
            if message.is_none() && !rest.is_empty() {
                message = Some(vec![rest.to_string()]);
                wants = Wants::Message;
            }
            continue;
        }
        if !seen_error {
            continue; // a trace or warning printed before the error
        }
        if let Some(frame) = t.strip_prefix('…') {
            let frame = Frame { text: frame.trim().to_string(), file: None, line: None, column: None };
            if message.is_some() {
                after.push(frame);
            } else {
                before.push(frame);
            }
            wants = Wants::Frame;
            continue;
        }
        if let Some(at) = t.strip_prefix("at ") {
            let Some(at) = at.strip_suffix(':') else {
                wants = Wants::Nothing; // `at «none»:0: (source not available)`
                continue;
            };
            let p = Position::parse(at);
            match wants {
                Wants::Message if position.is_none() => position = Some(p),
                Wants::Frame => {
                    let list = if message.is_some() { &mut after } else { &mut before };
                    if let Some(f) = list.last_mut() {
                        (f.file, f.line, f.column) = (Some(p.file), p.line, p.column);
                    }
                }
                _ => {}
            }
            wants = Wants::Nothing;
            continue;
        }
        if let (Wants::Message, Some(lines)) = (&wants, message.as_mut()) {
            if position.is_none() {
                lines.push(t.to_string());
            }
        }
    }
    let raw = message?.join("\n");
    let mut trace: Vec<Frame> = after;
    trace.extend(before.into_iter().rev());
    let (file, line, column) = match position {
        Some(p) => (Some(p.file), p.line, p.column),
        None => (None, None, None),
    };
    Some(Message { level: 0, text: text.trim().to_string(), raw: Some(raw), file, line, column, trace })
}

/// A line of a code excerpt: `12| text` or `  |   ^`.
fn is_excerpt(t: &str) -> bool {
    let digits = t.trim_start_matches(|c: char| c.is_ascii_digit());
    digits.starts_with('|')
}

struct Position {
    file: String,
    line: Option<u32>,
    column: Option<u32>,
}

impl Position {
    /// `/nix/store/…-source/flake.nix:6:73`, `«string»:1:5`, `«none»:0`.
    fn parse(at: &str) -> Position {
        let mut parts = at.rsplitn(3, ':');
        let (c, l, f) = (parts.next(), parts.next(), parts.next());
        match (f, l.and_then(|l| l.parse().ok()), c.and_then(|c| c.parse().ok())) {
            (Some(file), Some(line), Some(column)) => {
                Position { file: file.to_string(), line: Some(line), column: Some(column) }
            }
            _ => Position { file: at.to_string(), line: None, column: None },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "\u{1b}[31;1merror:\u{1b}[0m cannot add a string to an integer

       at /nix/store/jm1z-source/flake.nix:6:73:

            5|     in {
            6|       packages.x86_64-linux.server = pkgs.mkShell { name = \"s\"; x = 1 + \"a\"; };
             |                                                                         ^

       … while evaluating the attribute 'x'

       at /nix/store/jm1z-source/flake.nix:6:65:

            6|       packages.x86_64-linux.server = 1;
             |                                                                 ^
       … from call site

       at /nix/store/y5b8-source/pkgs/stdenv.nix:84:31:
";

    const NEW: &str = "error:
       … while evaluating the attribute 'packages.x86_64-linux.server.drvPath'
         at /nix/store/jm1z-source/flake.nix:6:7:
            5|     in {
             |       ^

       … from call site
         at /nix/store/y5b8-source/pkgs/stdenv.nix:84:31:
           84|           x
             |           ^

       error: attribute 'pyhton311' missing
       Did you mean python311?
       at /nix/store/jm1z-source/flake.nix:6:73:
            6|       x
             |       ^
";

    fn summary(m: &Message) -> String {
        let mut out = format!(
            "{} @ {}:{}:{}\n",
            m.raw.as_deref().unwrap_or(""),
            m.file.as_deref().unwrap_or("-"),
            m.line.unwrap_or(0),
            m.column.unwrap_or(0)
        );
        for f in &m.trace {
            out.push_str(&format!(
                "  {} @ {}:{}\n",
                f.text,
                f.file.as_deref().unwrap_or("-"),
                f.line.unwrap_or(0)
            ));
        }
        out
    }

    #[test]
    fn the_older_layout() {
        let m = parse(OLD).unwrap();
        assert_eq!(
            summary(&m),
            "cannot add a string to an integer @ /nix/store/jm1z-source/flake.nix:6:73
  while evaluating the attribute 'x' @ /nix/store/jm1z-source/flake.nix:6
  from call site @ /nix/store/y5b8-source/pkgs/stdenv.nix:84
"
        );
    }

    #[test]
    fn the_newer_layout_innermost_first() {
        let m = parse(NEW).unwrap();
        assert_eq!(
            summary(&m),
            "attribute 'pyhton311' missing\nDid you mean python311? @ /nix/store/jm1z-source/flake.nix:6:73
  from call site @ /nix/store/y5b8-source/pkgs/stdenv.nix:84
  while evaluating the attribute 'packages.x86_64-linux.server.drvPath' @ /nix/store/jm1z-source/flake.nix:6
"
        );
    }

    #[test]
    fn without_a_position_or_an_error() {
        let m = parse("trace: hello\nerror: interrupted by the user\n").unwrap();
        assert_eq!(summary(&m), "interrupted by the user @ -:0:0\n");
        assert!(parse("trace: hello\nwarning: Git tree is dirty\n").is_none());
        let m = parse("error: x\n       at «none»:0: (source not available)\n").unwrap();
        assert_eq!(m.raw.as_deref(), Some("x"));
    }
}
