//! Memory the allocator keeps after a large file's trees are freed.
//!
//! On x86_64 Linux the global allocator is mimalloc (the formatter, alejandra, makes it so; see
//! `main.rs`). mimalloc returns freed pages to the system only when it allocates or frees again
//! after a delay, and the pages of threads that ended (the threads a large file is parsed and
//! checked on) wait to be taken over. A server that has just analysed a 6 MB file and then
//! waits for the next keystroke would keep the old trees' pages as its own: measured on the
//! 6 MB file of `scripts/bench-nil.py`, 125 MB after opening it and 232 MB after 15 edits,
//! against 84 and 93 MB when they are given back (docs/performance.md).

/// Gives the pages freed so far back to the system (on allocators that keep them).
pub fn give_back() {
    #[cfg(all(
        target_arch = "x86_64",
        target_vendor = "unknown",
        target_os = "linux",
        any(target_env = "gnu", target_env = "musl")
    ))]
    {
        unsafe extern "C" {
            /// mimalloc's own: frees what the heap of this thread and the heaps of threads that
            /// ended no longer use, and returns the pages (`force`).
            fn mi_collect(force: bool);
        }
        // SAFETY: mi_collect takes a plain flag and only releases memory nobody uses.
        unsafe { mi_collect(true) }
    }
}
