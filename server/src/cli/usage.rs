//! What every subcommand shares: the help text, the usage error, and `--flag=value`.

use std::process::ExitCode;

pub const HELP: &str = "\
flake-lsp: language server and checker for Nix flake projects

Usage:
  flake-lsp [serve]                 serve the Language Server Protocol on stdin/stdout
  flake-lsp check [OPTIONS] [PATH…] check .nix files (directories recursively; default: .)
  flake-lsp env [OPTIONS] [DIR]     realise the flake's dev shell; print its Python, venv and variables
  flake-lsp --version | --help

Options for check:
  --format human|json   output for people (default) or machines
  --disable CODE[,CODE] silence diagnostics by code (see docs/diagnostics.md)
  --codes               list the diagnostic codes and exit

Exit status of check: 0 no errors, 1 some file has errors, 2 the check could not run.
";

pub const ENV_HELP: &str = "\
Options for env:
  --shell ATTR          the dev shell attribute (default: devShells.<system>.default, else devShell.<system>)
  --json                print the environment as JSON (the flake/environment notification's fields)
  --export bash|zsh|fish  print statements that enter the environment: eval \"$(flake-lsp env --export zsh)\"
  --refresh             realise again even when the cached environment is up to date
  --no-hook             do not run the shellHook
  --timeout SECONDS     stop a shellHook that runs longer (default 600)
  --trust               trust this flake (allow building it and running its shellHook) first
  --override-input NAME REF  passed to nix (repeatable)
";

/// `--flag=value` as the flag and its value; anything else as itself with no value.
pub fn split_flag(arg: &str) -> (&str, Option<String>) {
    match arg.split_once('=') {
        Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_string())),
        _ => (arg, None),
    }
}

/// A usage error: the message and the help, exit status 2.
pub fn usage(message: &str) -> ExitCode {
    eprintln!("flake-lsp: {message}\n\n{HELP}\n{ENV_HELP}");
    ExitCode::from(2)
}
