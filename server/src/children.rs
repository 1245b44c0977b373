//! Process groups flake-lsp started (Nix, the shell that runs a shellHook), so that none is
//! left behind when the server exits, and a limit on how many Nix processes run at once.

use std::collections::HashSet;
use std::sync::{Condvar, Mutex, OnceLock};

fn groups() -> &'static Mutex<HashSet<i32>> {
    static GROUPS: OnceLock<Mutex<HashSet<i32>>> = OnceLock::new();
    GROUPS.get_or_init(Default::default)
}

/// Remembers a running process group (its leader's pid) until the guard is dropped.
pub struct Registered(i32);

pub fn register(group: i32) -> Registered {
    if let Ok(mut g) = groups().lock() {
        g.insert(group);
    }
    Registered(group)
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut g) = groups().lock() {
            g.remove(&self.0);
        }
    }
}

/// Stops every process group still registered: called when the server exits. SIGTERM first:
/// Nix then stops the builders it started in sessions of their own (SIGKILL would orphan
/// them); whatever is left after a moment is killed.
pub fn kill_all() {
    let live: Vec<i32> = match groups().lock() {
        Ok(g) => g.iter().copied().collect(),
        Err(_) => return,
    };
    terminate(&live);
}

/// SIGTERM to each group, up to two seconds for them to end, then SIGKILL.
pub fn terminate(groups: &[i32]) {
    // SAFETY (all three blocks): kill(2) on process groups we started; no memory is involved.
    for group in groups {
        unsafe {
            libc::kill(-group, libc::SIGTERM);
        }
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while std::time::Instant::now() < deadline {
        if groups.iter().all(|g| unsafe { libc::kill(-g, 0) } != 0) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for group in groups {
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
}

/// How many Nix processes may run at once: evaluations, realisations and the package index
/// share the machine with the user's own work. A flake's evaluator (`nix repl`) holds one for
/// as long as it runs, so at most `eval::session::MAX_SESSIONS` (one fewer) of them run.
pub const MAX_NIX: usize = 3;

struct Slots {
    used: Mutex<usize>,
    freed: Condvar,
}

fn slots() -> &'static Slots {
    static SLOTS: OnceLock<Slots> = OnceLock::new();
    SLOTS.get_or_init(|| Slots { used: Mutex::new(0), freed: Condvar::new() })
}

/// A turn to run Nix; waits while `MAX_NIX` are running.
pub struct Slot(());

pub fn nix_slot() -> Slot {
    let s = slots();
    let mut used = s.used.lock().unwrap_or_else(|e| e.into_inner());
    while *used >= MAX_NIX {
        used = s.freed.wait(used).unwrap_or_else(|e| e.into_inner());
    }
    *used += 1;
    Slot(())
}

impl Drop for Slot {
    fn drop(&mut self) {
        let s = slots();
        let mut used = s.used.lock().unwrap_or_else(|e| e.into_inner());
        *used -= 1;
        s.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn no_more_than_the_limit_at_once() {
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (running, peak) = (running.clone(), peak.clone());
                std::thread::spawn(move || {
                    let _slot = nix_slot();
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(peak.load(Ordering::SeqCst) <= MAX_NIX);
    }
}
