//! The command line: `flake-lsp [serve]`, `flake-lsp check`, `flake-lsp env`.

mod check;
mod env;
mod usage;

use std::ffi::OsString;
use std::process::ExitCode;

use usage::{usage, ENV_HELP, HELP};

pub fn main(args: Vec<OsString>) -> ExitCode {
    let args: Vec<String> = match args.into_iter().map(|a| a.into_string()).collect() {
        Ok(args) => args,
        Err(bad) => return usage(&format!("argument is not valid UTF-8: {bad:?}")),
    };
    match args.first().map(String::as_str) {
        None | Some("serve") => {
            if args.len() > 1 && !args[1..].iter().all(|a| a == "--stdio") {
                return usage(&format!("unexpected argument `{}` for serve", args[1]));
            }
            crate::lsp::serve_stdio();
            ExitCode::SUCCESS
        }
        Some("--stdio") => {
            crate::lsp::serve_stdio();
            ExitCode::SUCCESS
        }
        Some("check") => {
            default_sigpipe();
            check::check(&args[1..])
        }
        Some("env") => {
            default_sigpipe();
            env::env(&args[1..])
        }
        Some("--version" | "-V" | "version") => {
            println!("flake-lsp {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some("--help" | "-h" | "help") => {
            print!("{HELP}\n{ENV_HELP}");
            ExitCode::SUCCESS
        }
        Some(other) => usage(&format!("unknown command `{other}`")),
    }
}

/// Output piped into `head` ends quietly when the reader goes, as other command-line tools do,
/// instead of a panic on the broken pipe. (Not for `serve`: a client that goes away is handled.)
fn default_sigpipe() {
    // SAFETY: resetting a signal's disposition to the default touches no memory of ours.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
