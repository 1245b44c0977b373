//! Running a child process with a time limit.
//!
//! The child gets a process group of its own, so that on timeout everything it started (Nix
//! forks builders, `git`, `ssh`…) is killed with it, and nothing keeps our pipes open.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
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
}

/// Runs `cmd` with no stdin, capturing its output; kills its process group after `timeout`.
pub(super) fn run(mut cmd: Command, timeout: Duration) -> Result<Output, RunError> {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    let mut child = cmd.spawn().map_err(RunError::Spawn)?;
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
        pause = (pause * 2).min(Duration::from_millis(25));
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
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) takes plain integers and touches no memory of ours; a negative pid
        // names the process group, which `process_group(0)` made equal to the child's pid.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
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
        let out = run(sh("echo out; echo err >&2; exit 3"), Duration::from_secs(10)).unwrap();
        assert_eq!(
            (out.stdout.as_str(), out.stderr.as_str(), out.status.code()),
            ("out\n", "err\n", Some(3))
        );
    }

    #[test]
    fn stdin_is_closed() {
        let out = run(sh("cat; echo done"), Duration::from_secs(10)).unwrap();
        assert_eq!(out.stdout, "done\n");
    }

    /// What the child started dies with it.
    #[cfg(target_os = "linux")]
    #[test]
    fn timeout_kills_the_whole_group() {
        let pid_file = std::env::temp_dir().join(format!("flake-lsp-group-{}", std::process::id()));
        let script = format!("sleep 30 & echo $! > {}; wait", pid_file.display());
        let start = Instant::now();
        let err = run(sh(&script), Duration::from_millis(300)).unwrap_err();
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
        let err = run(Command::new("/nonexistent/flake-lsp-test"), Duration::from_secs(1)).unwrap_err();
        assert!(matches!(err, RunError::Spawn(e) if e.kind() == std::io::ErrorKind::NotFound));
    }
}
