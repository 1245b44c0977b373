//! Running a child process with a time limit.
//!
//! The child gets a process group of its own, so that on timeout everything it started (Nix
//! forks builders, `git`, `ssh`…) is killed with it, and nothing keeps our pipes open.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// What a finished process printed, and how it ended.
#[derive(Debug, Clone)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

#[derive(Debug)]
pub(super) enum RunError {
    Spawn(std::io::Error),
    Timeout,
    Cancelled,
}

/// Runs `cmd` with no stdin, capturing its output; kills its process group after `timeout`.
pub(super) fn run(mut cmd: Command, timeout: Duration, urgent: bool) -> Result<Output, RunError> {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    let _slot = if urgent { crate::children::nix_slot_first() } else { crate::children::nix_slot() };
    let mut child = cmd.spawn().map_err(RunError::Spawn)?;
    let _registered = crate::children::register(child.id() as i32);
    // Read both pipes while waiting: a child that fills one would otherwise block forever.
    let stdout = child.stdout.take().map(read_all);
    let stderr = child.stderr.take().map(read_all);
    let status = wait_until(&mut child, Instant::now() + timeout);
    let Some(status) = status else {
        kill_group(&mut child);
        return Err(RunError::Timeout);
    };
    Ok(Output { status, stdout: collect(stdout), stderr: collect(stderr) })
}

/// Like [`run`], but hands each line of stderr to `on_line` as it comes (Nix's progress), and
/// stops early when `cancel` is set. Stderr is also returned whole.
pub(super) fn run_streaming(
    mut cmd: Command,
    timeout: Duration,
    cancel: &AtomicBool,
    on_line: &mut dyn FnMut(&str),
    urgent: bool,
) -> Result<Output, RunError> {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    let _slot = if urgent { crate::children::nix_slot_first() } else { crate::children::nix_slot() };
    let mut child = cmd.spawn().map_err(RunError::Spawn)?;
    let _registered = crate::children::register(child.id() as i32);
    let stdout = child.stdout.take().map(read_all);
    let (tx, rx) = mpsc::channel::<String>();
    let stderr_reader = child.stderr.take().map(|pipe| {
        thread::spawn(move || {
            for line in BufReader::new(pipe).split(b'\n') {
                let Ok(line) = line else { break };
                if tx.send(String::from_utf8_lossy(&line).into_owned()).is_err() {
                    break;
                }
            }
        })
    });
    let deadline = Instant::now() + timeout;
    let mut stderr = String::new();
    let mut take = |line: String, stderr: &mut String| {
        on_line(&line);
        stderr.push_str(&line);
        stderr.push('\n');
    };
    let status = loop {
        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(line) => take(line, &mut stderr),
            Err(mpsc::RecvTimeoutError::Timeout) | Err(mpsc::RecvTimeoutError::Disconnected) => {}
        }
        if cancel.load(Ordering::Acquire) {
            kill_group(&mut child);
            return Err(RunError::Cancelled);
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => {}
            _ => {
                kill_group(&mut child);
                return Err(RunError::Timeout);
            }
        }
    };
    // The rest of stderr, now that the process is gone.
    if let Some(reader) = stderr_reader {
        let _ = reader.join();
    }
    for line in rx.try_iter() {
        take(line, &mut stderr);
    }
    Ok(Output { status, stdout: collect(stdout), stderr })
}

/// The exit status, or `None` when `deadline` passed first.
fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) => {}
            // The child cannot be waited for: treat it like one that never ends.
            Err(_) => return None,
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        thread::sleep(pause.min(deadline - now));
        // A short cap: an exit is seen within 5 ms (a cap of 25 ms cost a quick `nix --version`
        // up to twice its own time), for a wake-up every 5 ms of a long evaluation.
        pause = (pause * 2).min(Duration::from_millis(5));
    }
}

fn read_all(mut pipe: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        // A read error leaves what was read so far, which is all there is to show.
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

fn collect(reader: Option<JoinHandle<Vec<u8>>>) -> String {
    let bytes = reader.and_then(|r| r.join().ok()).unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn kill_group(child: &mut Child) {
    // SIGTERM first, so that Nix stops the builders it started in sessions of their own.
    if let Ok(pid) = i32::try_from(child.id()) {
        crate::children::terminate(&[pid]);
    }
    // In case the group could not be signalled, at least the child itself.
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script]);
        cmd
    }

    #[test]
    fn captures_output_and_status() {
        let out = run(sh("echo out; echo err >&2; exit 3"), Duration::from_secs(10), false).unwrap();
        assert_eq!(
            (out.stdout.as_str(), out.stderr.as_str(), out.status.code()),
            ("out\n", "err\n", Some(3))
        );
    }

    #[test]
    fn stdin_is_closed() {
        let out = run(sh("cat; echo done"), Duration::from_secs(10), false).unwrap();
        assert_eq!(out.stdout, "done\n");
    }

    /// What the child started dies with it. Linux only: it reads the grandchild's state from
    /// /proc, which macOS does not have; the kill itself (`kill(-pgid)`) is POSIX and the same
    /// there.
    #[cfg(target_os = "linux")]
    #[test]
    fn timeout_kills_the_whole_group() {
        let pid_file = std::env::temp_dir().join(format!("flake-lsp-group-{}", std::process::id()));
        let script = format!("sleep 30 & echo $! > {}; wait", pid_file.display());
        let start = Instant::now();
        let err = run(sh(&script), Duration::from_millis(300), false).unwrap_err();
        assert!(matches!(err, RunError::Timeout));
        assert!(start.elapsed() < Duration::from_secs(10));
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        let _ = std::fs::remove_file(&pid_file);
        let stat = format!("/proc/{}/stat", pid.trim());
        let gone = (0..100).any(|_| {
            let alive = std::fs::read_to_string(&stat).is_ok_and(|s| !s.contains(") Z "));
            if alive {
                thread::sleep(Duration::from_millis(20));
            }
            !alive
        });
        assert!(gone, "the grandchild {} survived", pid.trim());
    }

    #[test]
    fn missing_program() {
        let err =
            run(Command::new("/nonexistent/flake-lsp-test"), Duration::from_secs(1), false).unwrap_err();
        assert!(matches!(err, RunError::Spawn(e) if e.kind() == std::io::ErrorKind::NotFound));
    }
}

#[cfg(test)]
mod streaming_tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script]);
        cmd
    }

    #[test]
    fn stderr_lines_arrive_in_order_and_stdout_is_kept() {
        let mut lines = Vec::new();
        let cancel = AtomicBool::new(false);
        let out = run_streaming(
            sh("echo one >&2; echo out; printf 'two\\nthree' >&2"),
            Duration::from_secs(20),
            &cancel,
            &mut |l| lines.push(l.to_string()),
            false,
        )
        .unwrap();
        assert_eq!(lines, ["one", "two", "three"]);
        assert_eq!(out.stdout, "out\n");
        assert!(out.status.success());
    }

    #[test]
    fn cancelling_stops_the_process() {
        let cancel = AtomicBool::new(false);
        let mut seen = 0;
        let result = run_streaming(
            sh("echo started >&2; sleep 100"),
            Duration::from_secs(60),
            &cancel,
            &mut |_| {
                seen += 1;
                cancel.store(true, Ordering::Release);
            },
            false,
        );
        assert!(matches!(result, Err(RunError::Cancelled)));
        assert_eq!(seen, 1);
    }
}
