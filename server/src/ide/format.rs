//! Formatting: built in (alejandra) or an external command the user configures.
//!
//! The result is a list of edits of whole lines, from a line diff of the text before and
//! after, so that an editor keeps the cursor and folds where nothing changed.
//!
//! Range formatting formats the whole file and keeps the edits that touch the range. Neither
//! formatter formats a fragment the way it formats the same text in its file (alejandra
//! indents by nesting, nixfmt breaks lines by width), so formatting a sub-expression alone and
//! re-indenting it would give a result that the next whole-file format changes again; keeping
//! the whole file's edits in the range gives exactly what whole-file formatting gives there.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::edit::TextEdit;
use crate::syntax::{LineIndex, PositionEncoding, TextRange, TextSize};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Formatter {
    /// alejandra, linked into flake-lsp.
    #[default]
    Builtin,
    /// A program that reads Nix on stdin and writes it formatted on stdout (`nixfmt`, …).
    Command(Vec<String>),
}

/// Why formatting did not happen, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(pub String);

/// How long an external formatter may take before it is stopped.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// Edits that format `text`; empty when it is formatted already. With `range`, only the
/// edits that touch it (see the module documentation).
pub fn format(
    text: &str,
    formatter: &Formatter,
    range: Option<TextRange>,
) -> Result<Vec<TextEdit>, FormatError> {
    format_with_timeout(text, formatter, range, COMMAND_TIMEOUT)
}

fn format_with_timeout(
    text: &str,
    formatter: &Formatter,
    range: Option<TextRange>,
    timeout: Duration,
) -> Result<Vec<TextEdit>, FormatError> {
    if text.trim().is_empty() {
        return Ok(Vec::new()); // Nothing to format, and not a Nix expression either.
    }
    // Formatters write `\n`; a CRLF file is formatted with `\n` and given its `\r\n` back.
    let crlf = first_line_ends_with_crlf(text);
    let input = if crlf { text.replace("\r\n", "\n") } else { text.to_string() };
    let output = match formatter {
        Formatter::Builtin => builtin(&input)?,
        Formatter::Command(argv) => command(argv, &input, timeout)?,
    };
    let output = if crlf { output.replace("\r\n", "\n").replace('\n', "\r\n") } else { output };
    let mut edits = line_diff(text, &output);
    if let Some(range) = range {
        edits.retain(|e| e.range.start() <= range.end() && range.start() <= e.range.end());
    }
    Ok(edits)
}

fn first_line_ends_with_crlf(text: &str) -> bool {
    text.find('\n').is_some_and(|i| text[..i].ends_with('\r'))
}

/// alejandra, after our own parser has said the file is valid (its messages are clearer), and
/// shielded from its panics.
fn builtin(text: &str) -> Result<String, FormatError> {
    let parsed = crate::syntax::parse(text);
    if let Some(err) = parsed.errors.first() {
        let line = LineIndex::new(text).line_col(text, err.range.start(), PositionEncoding::Utf8).line + 1;
        return Err(FormatError(format!(
            "cannot format: the file has a syntax error at line {line}: {}",
            err.message
        )));
    }
    let owned = text.to_string();
    let result = std::panic::catch_unwind(move || alejandra::format::in_memory(String::new(), owned));
    match result {
        Ok((alejandra::format::Status::Changed(_), formatted)) => Ok(formatted),
        Ok((alejandra::format::Status::Error(message), _)) => {
            Err(FormatError(format!("cannot format: the built-in formatter does not accept the file: {message}")))
        }
        Err(_) => Err(FormatError(
            "cannot format: the built-in formatter (alejandra) failed on this file; set flakeLsp.formatting.command to use another formatter".to_string(),
        )),
    }
}

/// Runs `argv` with `text` on stdin and gives its stdout. Stops it after `timeout`.
fn command(argv: &[String], text: &str, timeout: Duration) -> Result<String, FormatError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(FormatError("the formatting command is empty: set flakeLsp.formatting.command".into()));
    };
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| {
            FormatError(match err.kind() {
                std::io::ErrorKind::NotFound => format!(
                    "formatter `{program}` not found: install it or change flakeLsp.formatting.command"
                ),
                _ => format!("cannot run formatter `{program}`: {err}"),
            })
        })?;
    // Write and read on threads: a formatter may write before it has read everything, and
    // pipes are small.
    if let Some(mut stdin) = child.stdin.take() {
        let input = text.to_string();
        std::thread::spawn(move || {
            // A formatter that exits without reading all of it is judged by its exit code.
            let _ = stdin.write_all(input.as_bytes());
        });
    }
    let stdout = read_in_background(child.stdout.take());
    let stderr = read_in_background(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(FormatError(format!(
                    "formatter `{program}` did not finish within {} s and was stopped",
                    timeout.as_secs_f64()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(err) => return Err(FormatError(format!("cannot wait for formatter `{program}`: {err}"))),
        }
    };
    // The pipes close when the program exits, unless it left a child holding them.
    let grace = Duration::from_secs(1);
    let stdout = stdout.recv_timeout(grace).unwrap_or_default();
    let stderr = stderr.recv_timeout(grace).unwrap_or_default();
    if !status.success() {
        let code =
            status.code().map_or_else(|| "killed by a signal".to_string(), |c| format!("exit code {c}"));
        let stderr = String::from_utf8_lossy(&stderr);
        let first_lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).take(3).collect();
        let said =
            if first_lines.is_empty() { String::new() } else { format!(": {}", first_lines.join(" / ")) };
        return Err(FormatError(format!("formatter `{program}` failed ({code}){said}")));
    }
    let formatted = String::from_utf8(stdout)
        .map_err(|_| FormatError(format!("formatter `{program}` printed text that is not UTF-8")))?;
    if formatted.trim().is_empty() && !text.trim().is_empty() {
        return Err(FormatError(format!(
            "formatter `{program}` printed nothing: it must read Nix on stdin and print it formatted on stdout"
        )));
    }
    Ok(formatted)
}

fn read_in_background<R: Read + Send + 'static>(pipe: Option<R>) -> mpsc::Receiver<Vec<u8>> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut out);
        }
        let _ = send.send(out);
    });
    receive
}

/// Edits of whole lines that turn `old` into `new`: common lines stay untouched.
fn line_diff(old: &str, new: &str) -> Vec<TextEdit> {
    if old == new {
        return Vec::new();
    }
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..].iter().rev().zip(b[prefix..].iter().rev()).take_while(|(x, y)| x == y).count();
    let (a_mid, b_mid) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let matches = common_lines(a_mid, b_mid).unwrap_or_default();
    // Byte offsets of the lines of `old`.
    let mut offsets = Vec::with_capacity(a.len() + 1);
    let mut at = 0usize;
    offsets.push(0);
    for line in &a {
        at += line.len();
        offsets.push(at);
    }
    let mut edits = Vec::new();
    let (mut i, mut j) = (0, 0);
    let end = (a_mid.len(), b_mid.len());
    for (x, y) in matches.into_iter().chain(std::iter::once(end)) {
        if i < x || j < y {
            let range = TextRange::new(
                TextSize::from(offsets[prefix + i] as u32),
                TextSize::from(offsets[prefix + x] as u32),
            );
            edits.push(TextEdit::replace(range, b_mid[j..y].concat()));
        }
        (i, j) = (x + 1, y + 1);
    }
    edits
}

/// The most edits [`common_lines`] looks for before it gives up (its memory grows with the
/// square of this); beyond, the changed middle of the file becomes one edit.
const MAX_DIFF_EDITS: usize = 2000;

/// The pairs of equal lines of a shortest edit script (Myers' algorithm), in order; `None`
/// when the texts differ in more than [`MAX_DIFF_EDITS`] lines.
fn common_lines(a: &[&str], b: &[&str]) -> Option<Vec<(usize, usize)>> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = (n + m) as usize;
    let offset = max as isize + 1;
    let mut v = vec![0isize; 2 * max + 3];
    // `trace[d]` is `v` before step `d`, for k in -(d+1)..=(d+1).
    let mut trace: Vec<Vec<isize>> = Vec::new();
    let mut found = false;
    for d in 0..=(max as isize) {
        if d as usize > MAX_DIFF_EDITS {
            return None;
        }
        trace.push(v[(offset - d - 1) as usize..=(offset + d + 1) as usize].to_vec());
        let mut k = -d;
        while k <= d {
            let down = k == -d || (k != d && v[(offset + k - 1) as usize] < v[(offset + k + 1) as usize]);
            let mut x = if down { v[(offset + k + 1) as usize] } else { v[(offset + k - 1) as usize] + 1 };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[(offset + k) as usize] = x;
            if x >= n && y >= m {
                found = true;
                break;
            }
            k += 2;
        }
        if found {
            break;
        }
    }
    // Walk back through the steps, collecting the diagonal moves.
    let mut pairs = Vec::new();
    let (mut x, mut y) = (n, m);
    for (d, v) in trace.iter().enumerate().rev() {
        let d = d as isize;
        let at = |k: isize| v[(k + d + 1) as usize];
        let k = x - y;
        let prev_k = if k == -d || (k != d && at(k - 1) < at(k + 1)) { k + 1 } else { k - 1 };
        let prev_x = at(prev_k);
        let prev_y = prev_x - prev_k;
        while x > prev_x && y > prev_y && x > 0 && y > 0 {
            pairs.push(((x - 1) as usize, (y - 1) as usize));
            x -= 1;
            y -= 1;
        }
        if d > 0 {
            x = prev_x;
            y = prev_y;
        }
    }
    pairs.reverse();
    Some(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::apply_edits;
    use expect_test::{expect, Expect};

    /// Formats, applies the edits and shows the result, or the error.
    fn check(text: &str, formatter: &Formatter, expect: Expect) {
        let shown = match format(text, formatter, None) {
            Ok(edits) => {
                let formatted = apply_edits(text, &edits);
                format!("{} edits\n{}", edits.len(), formatted.replace('\r', "\\r"))
            }
            Err(err) => format!("error: {}", err.0),
        };
        expect.assert_eq(&shown);
    }

    fn argv(words: &[&str]) -> Formatter {
        Formatter::Command(words.iter().map(|w| w.to_string()).collect())
    }

    #[test]
    fn builtin_formats_messy_input() {
        check(
            "{a=1;\n  b   = [1 2];\n c = { d = \"é\"; };}\n",
            &Formatter::Builtin,
            expect![[r#"
                1 edits
                {
                  a = 1;
                  b = [1 2];
                  c = {d = "é";};
                }
            "#]],
        );
    }

    #[test]
    fn formatted_input_gives_no_edits() {
        let text = "{\n  a = 1;\n  b = [1 2];\n}\n";
        assert_eq!(format(text, &Formatter::Builtin, None), Ok(Vec::new()));
        assert_eq!(format("", &Formatter::Builtin, None).map(|e| e.len()), Ok(0));
    }

    #[test]
    fn only_changed_lines_are_edited() {
        let text = "{\n  a = 1;\n  b  =  2;\n  c = 3;\n  d =4;\n}\n";
        let edits = format(text, &Formatter::Builtin, None).unwrap_or_default();
        let shown: Vec<String> = edits.iter().map(|e| format!("{:?} {:?}", e.range, e.new_text)).collect();
        expect![[r#"
            [
                "11..22 \"  b = 2;\\n\"",
                "31..39 \"  d = 4;\\n\"",
            ]
        "#]]
        .assert_debug_eq(&shown);
        // With a range, only the edits there.
        let d = text.find("d =4").unwrap_or(0) as u32;
        let range = TextRange::new(d.into(), (d + 1).into());
        let edits = format(text, &Formatter::Builtin, Some(range)).unwrap_or_default();
        assert_eq!(apply_edits(text, &edits), "{\n  a = 1;\n  b  =  2;\n  c = 3;\n  d = 4;\n}\n");
    }

    #[test]
    fn crlf_stays_crlf() {
        check(
            "{\r\n  a=1;\r\n  b = 2;\r\n}\r\n",
            &Formatter::Builtin,
            expect![[r#"
                1 edits
                {\r
                  a = 1;\r
                  b = 2;\r
                }\r
            "#]],
        );
    }

    #[test]
    fn syntax_error_is_explained() {
        check(
            "{\n  a = 1;\n  b = ;\n}\n",
            &Formatter::Builtin,
            expect!["error: cannot format: the file has a syntax error at line 3: unexpected `;`, expected `(`, `rec`, `{`, `[`, a string or a name"],
        );
    }

    #[test]
    fn external_commands() {
        check(
            "{a=1;}\n",
            &argv(&["cat"]),
            expect![[r#"
            0 edits
            {a=1;}
        "#]],
        );
        check(
            "{a=1;}\n",
            &argv(&["sh", "-c", "echo 'bad input' >&2; echo 'at line 1' >&2; exit 3"]),
            expect!["error: formatter `sh` failed (exit code 3): bad input / at line 1"],
        );
        check(
            "{a=1;}\n",
            &argv(&["flake-lsp-no-such-formatter"]),
            expect!["error: formatter `flake-lsp-no-such-formatter` not found: install it or change flakeLsp.formatting.command"],
        );
        check(
            "{a=1;}\n",
            &argv(&[]),
            expect!["error: the formatting command is empty: set flakeLsp.formatting.command"],
        );
        check(
            "{a=1;}\n",
            &argv(&["sh", "-c", "cat >/dev/null"]),
            expect!["error: formatter `sh` printed nothing: it must read Nix on stdin and print it formatted on stdout"],
        );
        check(
            "{a=1;}\r\n",
            &argv(&["sed", "s/a=1;/ a = 1; /"]),
            expect![[r#"
                1 edits
                { a = 1; }\r
            "#]],
        );
    }

    #[test]
    fn slow_command_is_stopped() {
        let result = format_with_timeout("{ }", &argv(&["sleep", "5"]), None, Duration::from_millis(100));
        assert_eq!(
            result,
            Err(FormatError("formatter `sleep` did not finish within 0.1 s and was stopped".into()))
        );
    }

    #[test]
    fn big_input_through_pipes() {
        // More than a pipe holds, both ways.
        let text: String = (0..20000).map(|i| format!("# line {i}\n")).collect::<String>() + "{ }\n";
        assert_eq!(format(&text, &argv(&["cat"]), None), Ok(Vec::new()));
    }

    #[test]
    fn line_diffs() {
        let check = |old: &str, new: &str| {
            let edits = line_diff(old, new);
            assert_eq!(apply_edits(old, &edits), new, "{old:?} -> {new:?}: {edits:?}");
            edits.len()
        };
        assert_eq!(check("a\nb\nc\n", "a\nb\nc\n"), 0);
        assert_eq!(check("a\nb\nc\n", "a\nB\nc\n"), 1);
        assert_eq!(check("a\nb\nc\nd\ne\n", "x\nb\nc\nd\ny\n"), 2);
        assert_eq!(check("a\nb\n", "a\nb\nc\n"), 1);
        assert_eq!(check("a\nb\nc", "b\n"), 2);
        assert_eq!(check("", "a\n"), 1);
        assert_eq!(check("a\n", ""), 1);
        assert_eq!(check("a\nb\na\nb\n", "b\na\nb\na\n"), 2);
        assert_eq!(check("é\nü", "ü\né"), 1);
    }
}
