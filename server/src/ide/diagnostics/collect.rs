//! All diagnostics for one file: the checks run over one analysis, filtered and in text order.

use super::code::{Code, Diagnostic, DiagnosticsConfig};
use super::{duplicates, flake, names};
use crate::ide::analysis::{Analysis, FileKind};
use crate::syntax;

/// All diagnostics for a file, in text order.
pub fn diagnostics(text: &str, kind: FileKind, config: &DiagnosticsConfig) -> Vec<Diagnostic> {
    diagnostics_for(&Analysis::of(text, kind), config)
}

pub fn diagnostics_for(analysis: &Analysis, config: &DiagnosticsConfig) -> Vec<Diagnostic> {
    diagnostics_with_lock(analysis, config, None)
}

/// All diagnostics, and for a flake.nix with a `flake.lock` beside it, how the two agree.
pub fn diagnostics_with_lock(
    analysis: &Analysis,
    config: &DiagnosticsConfig,
    lock: Option<&crate::flake::lock::FlakeLock>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for err in analysis.errors() {
        let code = match err.kind {
            syntax::SyntaxErrorKind::Syntax => Code::SyntaxError,
            syntax::SyntaxErrorKind::DuplicatedFormal => Code::DuplicatedFormal,
        };
        out.push(Diagnostic::new(code, err.range, err.message.clone()));
    }
    let root = &analysis.root();
    let mut skip_formals = Vec::new();
    if let Some(flake) = analysis.flake() {
        if let Some(outputs) = &flake.outputs {
            skip_formals.push(outputs.text_range());
        }
        flake::check(flake, root, analysis.names(), &mut out);
        if let Some(lock) = lock {
            flake::check_lock(flake, root, lock, &mut out);
        }
    }
    names::check(root, analysis.names(), &skip_formals, &mut out);
    duplicates::check(root, &mut out);
    out.retain(|d| !config.disabled.contains(&d.code));
    out.sort_by(|a, b| {
        (a.range.start(), a.range.end(), a.code).cmp(&(b.range.start(), b.range.end(), b.code))
    });
    out.dedup();
    out
}
