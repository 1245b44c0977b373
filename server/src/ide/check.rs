//! Checking files on disk: what `flake-lsp check` runs.

use std::path::{Path, PathBuf};

use super::diagnostics::{Code, Diagnostic, DiagnosticsConfig, FileKind};
use crate::syntax::TextRange;

/// The diagnostics of one file, with the text they point into.
pub struct FileReport {
    pub path: PathBuf,
    pub text: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// Text of a file as the analysis sees it: invalid UTF-8 is replaced (and reported).
pub fn decode(bytes: Vec<u8>) -> (String, bool) {
    match String::from_utf8(bytes) {
        Ok(text) => (text, true),
        Err(err) => (String::from_utf8_lossy(err.as_bytes()).into_owned(), false),
    }
}

pub fn check_bytes(path: &Path, bytes: Vec<u8>, config: &DiagnosticsConfig) -> FileReport {
    let (text, valid) = decode(bytes);
    let kind = FileKind::of_path(path);
    let lock = match kind {
        FileKind::Flake => std::fs::read_to_string(path.with_file_name("flake.lock"))
            .ok()
            .and_then(|text| crate::flake::lock::FlakeLock::parse(&text).ok()),
        FileKind::Nix => None,
    };
    let analysis = super::Analysis::of(&text, kind);
    let mut diags = super::diagnostics::diagnostics_with_lock(&analysis, config, lock.as_ref());
    if !valid && !config.disabled.contains(&Code::InvalidUtf8) {
        diags.insert(
            0,
            Diagnostic::new(
                Code::InvalidUtf8,
                TextRange::empty(0.into()),
                "the file is not valid UTF-8: invalid bytes were read as U+FFFD",
            ),
        );
    }
    FileReport { path: path.to_path_buf(), text, diagnostics: diags }
}

/// The `.nix` files under `path` (or `path` itself), in a stable order. Hidden directories
/// (`.git`, `.direnv`), `node_modules` and symbolic links to directories (`result`) are skipped.
pub fn nix_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
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
