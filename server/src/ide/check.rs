//! Checking one file's bytes: what `flake-lsp check` runs on each file it reads.

use std::path::{Path, PathBuf};

use super::analysis::{Analysis, FileKind};
use super::diagnostics::code::{Code, Diagnostic, DiagnosticsConfig};
use super::diagnostics::collect::diagnostics_with_lock;
use crate::flake::lock::FlakeLock;
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

/// The diagnostics of the file at `path` (its name says whether it is a flake.nix), read as
/// `bytes`, with the `flake.lock` beside it when the caller read one.
pub fn check_bytes(
    path: &Path,
    bytes: Vec<u8>,
    lock: Option<&FlakeLock>,
    config: &DiagnosticsConfig,
) -> FileReport {
    let (text, valid) = decode(bytes);
    let analysis = Analysis::of(&text, FileKind::of_path(path));
    let mut diags = diagnostics_with_lock(&analysis, config, lock);
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
