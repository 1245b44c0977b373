//! `flake-lsp check`: the `.nix` files under the given paths, checked as the editor would,
//! for people or machines.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::json;

use super::usage::{split_flag, usage, HELP};
use crate::flake::lock::FlakeLock;
use crate::ide::check::{check_bytes, FileReport};
use crate::ide::{DiagnosticsConfig, FileKind, Severity};
use crate::syntax::{LineIndex, PositionEncoding, TextSize};

#[derive(PartialEq)]
enum Format {
    Human,
    Json,
}

pub fn check(args: &[String]) -> ExitCode {
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
                Ok(bytes) => reports.push(check_bytes(&file, bytes, lock_beside(&file).as_ref(), &config)),
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

/// The `flake.lock` beside a `flake.nix`, when there is one that reads.
fn lock_beside(file: &Path) -> Option<FlakeLock> {
    if FileKind::of_path(file) != FileKind::Flake {
        return None;
    }
    let text = std::fs::read_to_string(file.with_file_name("flake.lock")).ok()?;
    FlakeLock::parse(&text).ok()
}

/// The `.nix` files under `path` (or `path` itself), in a stable order. Hidden directories
/// (`.git`, `.direnv`), `node_modules` and symbolic links to directories (`result`) are skipped.
fn nix_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)?.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries.into_iter().rev() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                if !name.starts_with('.') && name != "node_modules" {
                    stack.push(entry.path());
                }
            } else if name.ends_with(".nix") && (kind.is_file() || entry.path().is_file()) {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}
