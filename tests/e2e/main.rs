//! End-to-end tests: the real `flake-lsp` binary, spoken to over stdio or run as a CLI.

mod adapter_lsp;
mod cli;
mod env;
mod environment_lsp;
mod eval_completion;
mod eval_session;
mod faults;
mod features;
mod lsp;
mod nix_parser;
mod packages_lsp;
mod stress;
mod support;
#[path = "../../server/src/testing.rs"]
mod testing;
