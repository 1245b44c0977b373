//! The command line: `flake-lsp [serve]`, `flake-lsp check`, `flake-lsp env`.

mod env;

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;

use crate::ide::check::{check_bytes, nix_files, FileReport};
use crate::ide::{DiagnosticsConfig, Severity};
use crate::syntax::{LineIndex, PositionEncoding, TextSize};

/// Stack for threads that analyse syntax trees (the parser nests up to 512 levels).
pub const STACK_SIZE: usize = 64 * 1024 * 1024;

const HELP: &str = "\
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
            check(&args[1..])
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
            print!("{HELP}\n{}", env::HELP);
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

/// `--flag=value` as the flag and its value; anything else as itself with no value.
fn split_flag(arg: &str) -> (&str, Option<String>) {
    match arg.split_once('=') {
        Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_string())),
        _ => (arg, None),
    }
}

fn usage(message: &str) -> ExitCode {
    eprintln!("flake-lsp: {message}\n\n{HELP}\n{}", env::HELP);
    ExitCode::from(2)
}

#[derive(PartialEq)]
enum Format {
    Human,
    Json,
}

fn check(args: &[String]) -> ExitCode {
    let mut format = Format::Human;
    let mut disabled = Vec::new();
    let mut paths = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = split_flag(arg);
        let mut value =
            |name: &str| inline.clone().or_else(|| it.next().cloned()).ok_or(format!("{name} needs a value"));
        match flag {
            "--format" => match value("--format").as_deref() {
                Ok("human") => format = Format::Human,
                Ok("json") => format = Format::Json,
                Ok(other) => return usage(&format!("unknown format `{other}` (human or json)")),
                Err(e) => return usage(e),
            },
            "--disable" => match value("--disable") {
                Ok(v) => disabled.extend(v.split(',').map(str::to_string)),
                Err(e) => return usage(&e),
            },
            "--codes" => {
                for code in crate::ide::Code::ALL {
                    println!("{:<28} {:<8} {}", code.as_str(), code.severity().as_str(), code.summary());
                }
                return ExitCode::SUCCESS;
            }
            "--help" | "-h" => {
                print!("{HELP}");
                return ExitCode::SUCCESS;
            }
            f if f.starts_with("--") => return usage(&format!("unknown option `{f}`")),
            _ => paths.push(PathBuf::from(arg)),
        }
    }
    let (config, unknown) = DiagnosticsConfig::from_names(disabled.iter().map(String::as_str));
    if !unknown.is_empty() {
        return usage(&format!(
            "unknown diagnostic code(s): {} (see `flake-lsp check --codes`)",
            unknown.join(", ")
        ));
    }
    if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }
    let mut reports = Vec::new();
    let mut failed = false;
    for path in &paths {
        let files = match nix_files(path) {
            Ok(files) => files,
            Err(err) => {
                eprintln!("flake-lsp: cannot read {}: {err}", path.display());
                failed = true;
                continue;
            }
        };
        for file in files {
            match std::fs::read(&file) {
                Ok(bytes) => reports.push(check_bytes(&file, bytes, &config)),
                Err(err) => {
                    eprintln!("flake-lsp: cannot read {}: {err}", file.display());
                    failed = true;
                }
            }
        }
    }
    let errors = count(&reports, Severity::Error);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = match format {
        Format::Human => write_human(&mut out, &reports),
        Format::Json => write_json(&mut out, &reports),
    };
    if written.is_err() {
        return ExitCode::from(2);
    }
    if failed {
        ExitCode::from(2)
    } else if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn count(reports: &[FileReport], severity: Severity) -> usize {
    reports.iter().flat_map(|r| &r.diagnostics).filter(|d| d.severity == severity).count()
}

/// 1-based line and column, the column counted in characters as editors show it.
fn position(index: &LineIndex, text: &str, offset: TextSize) -> (u32, u32) {
    let pos = index.line_col(text, offset, PositionEncoding::Utf8);
    let line_start = usize::from(offset) - pos.col as usize;
    let col = text[line_start..usize::from(offset)].chars().count() as u32;
    (pos.line + 1, col + 1)
}

fn write_human(out: &mut impl Write, reports: &[FileReport]) -> std::io::Result<()> {
    for report in reports {
        let index = LineIndex::new(&report.text);
        let path = report.path.display();
        for d in &report.diagnostics {
            let (line, col) = position(&index, &report.text, d.range.start());
            writeln!(
                out,
                "{path}:{line}:{col}: {}[{}]: {}",
                d.severity.as_str(),
                d.code.as_str(),
                d.message
            )?;
            for related in &d.related {
                let (line, col) = position(&index, &report.text, related.range.start());
                writeln!(out, "  {path}:{line}:{col}: note: {}", related.message)?;
            }
        }
    }
    let files = reports.len();
    writeln!(
        out,
        "{} error(s), {} warning(s), {} hint(s) in {files} file(s)",
        count(reports, Severity::Error),
        count(reports, Severity::Warning),
        count(reports, Severity::Hint) + count(reports, Severity::Info),
    )
}

fn write_json(out: &mut impl Write, reports: &[FileReport]) -> std::io::Result<()> {
    let files: Vec<_> = reports
        .iter()
        .map(|report| {
            let index = LineIndex::new(&report.text);
            let range = |r: crate::syntax::TextRange| {
                let (sl, sc) = position(&index, &report.text, r.start());
                let (el, ec) = position(&index, &report.text, r.end());
                json!({ "start": { "line": sl, "column": sc }, "end": { "line": el, "column": ec } })
            };
            let diagnostics: Vec<_> = report
                .diagnostics
                .iter()
                .map(|d| {
                    json!({
                        "code": d.code.as_str(),
                        "severity": d.severity.as_str(),
                        "message": d.message,
                        "range": range(d.range),
                        "rejectedByNixParser": d.code.rejected_by_nix_parser(),
                        "related": d.related.iter().map(|r| json!({ "message": r.message, "range": range(r.range) })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            json!({ "path": report.path.display().to_string(), "diagnostics": diagnostics })
        })
        .collect();
    let summary = json!({
        "files": reports.len(),
        "errors": count(reports, Severity::Error),
        "warnings": count(reports, Severity::Warning),
        "hints": count(reports, Severity::Hint) + count(reports, Severity::Info),
    });
    serde_json::to_writer_pretty(&mut *out, &json!({ "files": files, "summary": summary }))?;
    writeln!(out)
}
