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
    state: Mutex<SlotState>,
    freed: Condvar,
}

#[derive(Default)]
struct SlotState {
    used: usize,
    /// Waiters for what the user is looking at: they get the next free slot.
    urgent_waiting: usize,
}

fn slots() -> &'static Slots {
    static SLOTS: OnceLock<Slots> = OnceLock::new();
    SLOTS.get_or_init(|| Slots { state: Mutex::new(SlotState::default()), freed: Condvar::new() })
}

/// A turn to run Nix; waits while `MAX_NIX` are running.
pub struct Slot(());

pub fn nix_slot() -> Slot {
    take_slot(false)
}

/// A turn to run Nix ahead of the other waiters (still never more than `MAX_NIX` at once).
pub fn nix_slot_first() -> Slot {
    take_slot(true)
}

fn take_slot(urgent: bool) -> Slot {
    let s = slots();
    let mut state = s.state.lock().unwrap_or_else(|e| e.into_inner());
    if urgent {
        state.urgent_waiting += 1;
    }
    while state.used >= MAX_NIX || (!urgent && state.urgent_waiting > 0) {
        state = s.freed.wait(state).unwrap_or_else(|e| e.into_inner());
    }
    if urgent {
        state.urgent_waiting -= 1;
    }
    state.used += 1;
    Slot(())
}

impl Drop for Slot {
    fn drop(&mut self) {
        let s = slots();
        let mut state = s.state.lock().unwrap_or_else(|e| e.into_inner());
        state.used -= 1;
        // Everyone looks: an urgent waiter must not sleep through its turn.
        s.freed.notify_all();
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

    #[test]
    fn an_urgent_waiter_goes_before_the_others() {
        let mut held: Vec<Slot> = (0..MAX_NIX).map(|_| nix_slot()).collect();
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let waiter = |urgent: bool| {
            let order = order.clone();
            std::thread::spawn(move || {
                let _slot = if urgent { nix_slot_first() } else { nix_slot() };
                order.lock().unwrap().push(urgent);
            })
        };
        let normal = waiter(false);
        let urgent = waiter(true);
        while slots().state.lock().unwrap().urgent_waiting == 0 {
            std::thread::yield_now();
        }
        // One turn frees: the urgent waiter takes it, and the other waits for it to end.
        held.pop();
        urgent.join().unwrap();
        normal.join().unwrap();
        drop(held);
        assert_eq!(*order.lock().unwrap(), [true, false]);
    }
}
