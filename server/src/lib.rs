//! flake-lsp: a language server and environment engine for Nix flake projects.
//!
//! Layers, from the bottom: `syntax` (text, trees, names) and `flake` (the flake schema),
//! `ide` (features over them, free of LSP types), `lsp` (the protocol adapter) and `cli`.
//! See docs/architecture.md.

pub mod children;
pub mod cli;
pub mod env;
pub mod eval;
pub mod flake;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzz;
pub mod ide;
pub mod lsp;
pub mod memory;
pub mod nix;
pub mod pkgs;
pub mod syntax;
pub mod vcs;

/// Where the tests find `../shared` and Nix, and how a missing one fails or is skipped.
#[cfg(test)]
mod testing;

/// Stack for threads that analyse syntax trees (the parser nests up to 512 levels): the CLI's
/// thread and the server's runtime threads.
pub const STACK_SIZE: usize = 64 * 1024 * 1024;

/// How many threads the analysis of a large file may use: the cores this process may run on,
/// asked once (the answer reads cgroup files on Linux, and every analysis asks).
pub fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
