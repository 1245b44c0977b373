//! A `nix repl` kept running and driven over pipes: what it evaluated stays evaluated between
//! requests (a flake's nixpkgs, say), so a request pays only for what is new.
//!
//! The framing: each request is one line, `builtins.trace ("@@flr<n> " + (EXPR)) null`, whose
//! value EXPR is a string (JSON, made by `builtins.toJSON`), followed by a second line,
//! `builtins.trace ("@@fle" + "<n>") null`. Both traces go to stderr, in order, with any error
//! of EXPR between them (Nix prints errors and traces on stderr, and colour codes even on a
//! pipe), so reading stderr up to `trace: @@fle<n>` gives the request's answer: its result
//! line, or the error text. The marker is built by `+` so that the echo of the input (editline
//! echoes on stdout without a terminal) never contains it. stdout is drained and ignored.
//! Both Nix 2.8 and 2.34 behave so; each line must be a complete expression (2.8 waits for more
//! input after an incomplete one).
//!
//! The process holds one of the Nix slots (`children::MAX_NIX`) for as long as it lives, has a
//! process group of its own (registered, so the server's exit stops it) and is stopped when
//! dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::internal_json::strip_ansi;
use crate::children::{Registered, Slot};

/// How long an interrupted request (Ctrl-C, as a user would) may take to come back before the
/// process is stopped instead.
const INTERRUPT_GRACE: Duration = Duration::from_secs(2);
/// How often the memory of a busy evaluator is read.
const MEMORY_EVERY: Duration = Duration::from_millis(100);

/// What a request may use.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    /// Resident memory, in MiB, above which the evaluator is stopped.
    pub max_memory_mb: u64,
}

/// Why a request gave no answer. After any of these but `Cancelled` the process is gone
/// ([`Repl::alive`] is false); a cancelled request may leave it alive and usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplError {
    Timeout(Duration),
    Cancelled,
    OverMemory {
        used_mb: u64,
        limit_mb: u64,
    },
    /// It ended (crashed, killed): what it printed last.
    Exited(String),
}

impl std::fmt::Display for ReplError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplError::Timeout(after) => {
                write!(f, "the evaluation did not finish within {} s and was stopped", after.as_secs_f32())
            }
            ReplError::Cancelled => write!(f, "cancelled"),
            ReplError::OverMemory { used_mb, limit_mb } => write!(
                f,
                "the evaluator used {used_mb} MB, more than flakeLsp.eval.maxMemoryMB ({limit_mb} MB), and was stopped"
            ),
            ReplError::Exited(last) if last.trim().is_empty() => write!(f, "the evaluator (nix repl) ended"),
            ReplError::Exited(last) => write!(f, "the evaluator (nix repl) ended: {}", last.trim()),
        }
    }
}

pub struct Repl {
    child: Child,
    stdin: Option<ChildStdin>,
    stderr: mpsc::Receiver<String>,
    pid: i32,
    next: u64,
    alive: bool,
    _registered: Registered,
    _slot: Slot,
}

impl Repl {
    /// Starts `cmd` (a `nix … repl` command line) once a Nix slot is free.
    pub(super) fn start(mut cmd: Command) -> std::io::Result<Repl> {
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
        let slot = crate::children::nix_slot();
        let mut child = cmd.spawn()?;
        let pid = child.id() as i32;
        let registered = crate::children::register(pid);
        if let Some(mut out) = child.stdout.take() {
            thread::spawn(move || {
                let mut sink = [0u8; 8192];
                while matches!(out.read(&mut sink), Ok(n) if n > 0) {}
            });
        }
        let (tx, rx) = mpsc::channel();
        if let Some(err) = child.stderr.take() {
            thread::spawn(move || {
                for line in BufReader::new(err).split(b'\n') {
                    let Ok(line) = line else { break };
                    if tx.send(strip_ansi(&String::from_utf8_lossy(&line))).is_err() {
                        break;
                    }
                }
            });
        }
        let stdin = child.stdin.take();
        Ok(Repl { child, stdin, stderr: rx, pid, next: 0, alive: true, _registered: registered, _slot: slot })
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Whether the process is still there to answer (false after a timeout, a crash, the
    /// memory limit).
    pub fn alive(&mut self) -> bool {
        self.alive = self.alive && matches!(self.child.try_wait(), Ok(None));
        self.alive
    }

    /// Its resident memory in MiB (Linux; `None` elsewhere or when it is gone).
    pub fn memory_mb(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024)
    }

    /// Binds `name = expr` in the session (lazily: nothing is evaluated yet).
    pub fn bind(
        &mut self,
        name: &str,
        expr: &str,
        limits: &Limits,
        cancel: &AtomicBool,
    ) -> Result<(), ReplError> {
        let n = self.take_number();
        let line = format!("{name} = {}\n{}\n", one_line(expr), end_line(n));
        match self.exchange(n, &line, limits, cancel)? {
            (_, errors) if errors.iter().any(|l| l.starts_with("error:")) => {
                Err(ReplError::Exited(format!("binding {name} failed: {}", errors.join("\n"))))
            }
            _ => Ok(()),
        }
    }

    /// Evaluates `expr`, a string-valued expression: `Ok(Ok(value))`, or `Ok(Err(text))` with
    /// what Nix printed for its error (read it with `error_text::parse`).
    pub fn eval(
        &mut self,
        expr: &str,
        limits: &Limits,
        cancel: &AtomicBool,
    ) -> Result<Result<String, String>, ReplError> {
        let n = self.take_number();
        let line = format!("builtins.trace (\"@@flr{n} \" + ({})) null\n{}\n", one_line(expr), end_line(n));
        let (value, lines) = self.exchange(n, &line, limits, cancel)?;
        match value {
            Some(value) => Ok(Ok(value)),
            None => {
                let start = lines.iter().position(|l| l.starts_with("error:")).unwrap_or(0);
                Ok(Err(lines[start..].join("\n")))
            }
        }
    }

    fn take_number(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    /// Sends `input` and reads stderr up to request `n`'s end marker: its value line, if one
    /// came, and the other lines.
    fn exchange(
        &mut self,
        n: u64,
        input: &str,
        limits: &Limits,
        cancel: &AtomicBool,
    ) -> Result<(Option<String>, Vec<String>), ReplError> {
        if !self.alive() {
            return Err(ReplError::Exited(String::new()));
        }
        let written = self.stdin.as_mut().map(|s| s.write_all(input.as_bytes()).and_then(|_| s.flush()));
        if !matches!(written, Some(Ok(()))) {
            return Err(self.gone(Vec::new()));
        }
        let value_prefix = format!("trace: @@flr{n} ");
        let end = format!("trace: @@fle{n}");
        let start = Instant::now();
        let deadline = start + limits.timeout;
        let mut interrupted: Option<Instant> = None;
        let mut next_memory = start;
        let mut value = None;
        let mut lines = Vec::new();
        loop {
            match self.stderr.recv_timeout(Duration::from_millis(20)) {
                Ok(line) if line == end => break,
                Ok(line) => match line.strip_prefix(&value_prefix) {
                    Some(v) => value = Some(v.to_string()),
                    None => lines.push(line),
                },
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return Err(self.gone(lines)),
            }
            let now = Instant::now();
            if cancel.load(Ordering::Acquire) && interrupted.is_none() {
                // As a user would: Ctrl-C stops the evaluation and keeps the session.
                // SAFETY: kill(2) on the process we started.
                unsafe {
                    libc::kill(self.pid, libc::SIGINT);
                }
                interrupted = Some(now);
            }
            if interrupted.is_some_and(|at| now - at > INTERRUPT_GRACE) {
                self.stop();
                return Err(ReplError::Cancelled);
            }
            if now > deadline {
                self.stop();
                return Err(ReplError::Timeout(limits.timeout));
            }
            if now >= next_memory {
                next_memory = now + MEMORY_EVERY;
                if let Some(used_mb) = self.memory_mb().filter(|m| *m > limits.max_memory_mb) {
                    self.stop();
                    return Err(ReplError::OverMemory { used_mb, limit_mb: limits.max_memory_mb });
                }
                if !self.alive() {
                    return Err(self.gone(lines));
                }
            }
        }
        if interrupted.is_some() {
            // The interrupt may have come after the request ended: then Nix holds it for the
            // next line it reads. One empty round takes it, so the next request is not hit.
            let n = self.take_number();
            let sync = format!("{}\n", end_line(n));
            let calm = Limits { timeout: INTERRUPT_GRACE, ..*limits };
            if self.exchange(n, &sync, &calm, &AtomicBool::new(false)).is_err() {
                self.stop();
            }
            return Err(ReplError::Cancelled);
        }
        Ok((value, lines))
    }

    /// The process ended by itself: its last words.
    fn gone(&mut self, mut lines: Vec<String>) -> ReplError {
        self.stop();
        lines.extend(self.stderr.try_iter());
        let tail: Vec<String> = lines.into_iter().filter(|l| !l.trim().is_empty()).rev().take(5).collect();
        ReplError::Exited(tail.into_iter().rev().collect::<Vec<_>>().join("\n"))
    }

    /// Stops the process group (also what dropping does).
    pub fn stop(&mut self) {
        if !self.alive && self.stdin.is_none() {
            return;
        }
        self.alive = false;
        self.stdin = None;
        crate::children::terminate(&[self.pid]);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Repl {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An expression on one line (a line break inside one would end it early): Nix reads a
/// newline and a space alike outside strings, and the expressions sent here put none inside
/// strings.
fn one_line(expr: &str) -> String {
    expr.replace('\n', " ")
}

fn end_line(n: u64) -> String {
    format!("builtins.trace (\"@@fle\" + \"{n}\") null")
}

/// A Nix string literal holding `s`.
pub fn nix_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nix::Nix;

    fn limits() -> Limits {
        Limits { timeout: Duration::from_secs(60), max_memory_mb: 4096 }
    }

    #[test]
    fn strings_for_nix() {
        assert_eq!(nix_string("a\"b\\c\n${x} $y"), r#""a\"b\\c\n\${x} $y""#);
    }

    /// Both versions: values, errors, bindings kept between requests, a crash seen as one.
    #[test]
    fn a_session_over_pipes() {
        let no = AtomicBool::new(false);
        for program in crate::testing::nixes() {
            let nix = Nix::at(&program);
            let mut repl = nix.repl(&std::env::temp_dir(), &[]).unwrap();
            let l = limits();
            assert_eq!(repl.eval("builtins.toJSON (1 + 1)", &l, &no).unwrap(), Ok("2".into()));
            repl.bind("x", "{ a = \"v\\n\"; }", &l, &no).unwrap();
            assert_eq!(repl.eval("builtins.toJSON x", &l, &no).unwrap(), Ok(r#"{"a":"v\n"}"#.into()));
            let err = repl.eval("toString (1 + \"a\")", &l, &no).unwrap().unwrap_err();
            let m = crate::nix::error_text::parse(&err).unwrap();
            assert_eq!(m.raw.as_deref(), Some("cannot add a string to an integer"), "{err}");
            // Placed in the line as sent (the request wraps the expression).
            assert_eq!((m.file.as_deref(), m.line, m.column), (Some("«string»"), Some(1), Some(44)), "{err}");
            // A trace of the user's own does not confuse the framing.
            assert_eq!(repl.eval("builtins.trace \"hi\" \"v\"", &l, &no).unwrap(), Ok("v".into()));
            assert!(repl.memory_mb().is_some_and(|m| m > 0));
            // Killed from outside: the next request says so.
            unsafe {
                libc::kill(repl.pid(), libc::SIGKILL);
            }
            assert!(matches!(repl.eval("\"x\"", &l, &no), Err(ReplError::Exited(_))));
            assert!(!repl.alive());
        }
    }

    /// Ctrl-C, as a user would: the request ends, the session stays, the next request works.
    #[test]
    fn cancelling_keeps_the_session() {
        let no = AtomicBool::new(false);
        for program in crate::testing::nixes() {
            let nix = Nix::at(&program);
            let mut repl = nix.repl(&std::env::temp_dir(), &[]).unwrap();
            let l = limits();
            repl.bind("kept", "builtins.toJSON 42", &l, &no).unwrap();
            let yes = AtomicBool::new(true);
            let slow = "toString (builtins.foldl' (a: b: a + b) 0 (builtins.genList (x: x) 300000))";
            assert_eq!(repl.eval(slow, &l, &yes), Err(ReplError::Cancelled));
            if repl.alive() {
                assert_eq!(repl.eval("kept", &l, &no).unwrap(), Ok("42".into()), "{}", program.display());
            }
        }
    }

    #[test]
    fn timeout_and_memory_limit_stop_it() {
        let no = AtomicBool::new(false);
        let Some(program) = crate::testing::nixes().into_iter().next() else { return };
        let nix = Nix::at(&program);
        let mut repl = nix.repl(&std::env::temp_dir(), &[]).unwrap();
        let endless = "toString (builtins.foldl' (a: b: a + b) 0 (builtins.genList (x: x) 1000000000))";
        let short = Limits { timeout: Duration::from_millis(500), max_memory_mb: 4096 };
        assert_eq!(repl.eval(endless, &short, &no), Err(ReplError::Timeout(short.timeout)));
        assert!(!repl.alive());
        let mut repl = nix.repl(&std::env::temp_dir(), &[]).unwrap();
        let small = Limits { timeout: Duration::from_secs(60), max_memory_mb: 1 };
        let big = "toString (builtins.length (builtins.genList (x: toString x) 3000000))";
        assert!(matches!(repl.eval(big, &small, &no), Err(ReplError::OverMemory { limit_mb: 1, .. })));
        assert!(!repl.alive());
    }
}
