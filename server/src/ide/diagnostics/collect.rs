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
    // On a large file the two checks that need nothing but the tree run on threads of their
    // own, beside name resolution and the checks that need it (which uses the cores it finds
    // too); on a small one a thread would cost more than it saves.
    let parallel = analysis.text().len() >= PARALLEL_FROM;
    std::thread::scope(|scope| {
        let spawn = |check: fn(&syntax::SyntaxNode, &mut Vec<Diagnostic>)| {
            let green = root.green().to_owned();
            // Nested sets recurse: the stack of the analysis threads.
            let thread =
                std::thread::Builder::new().stack_size(crate::STACK_SIZE).spawn_scoped(scope, move || {
                    let mut found = Vec::new();
                    check(&syntax::SyntaxNode::new_root(green), &mut found);
                    found
                });
            (thread, check)
        };
        let tree_only: Vec<_> =
            if parallel { vec![spawn(duplicates::check), spawn(names::check_forms)] } else { Vec::new() };
        others(analysis, lock, &mut out);
        if !parallel {
            duplicates::check(root, &mut out);
            names::check_forms(root, &mut out);
        }
        for (thread, check) in tree_only {
            match thread.map(|t| t.join()) {
                Ok(Ok(found)) => out.extend(found),
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                // No thread to be had: here, then.
                Err(_) => check(root, &mut out),
            }
        }
    });
    out.retain(|d| !config.disabled.contains(&d.code));
    in_text_order(&mut out);
    out
}

/// Sorted by place (then code), each diagnostic once.
fn in_text_order(out: &mut Vec<Diagnostic>) {
    out.sort_by(|a, b| {
        (a.range.start(), a.range.end(), a.code).cmp(&(b.range.start(), b.range.end(), b.code))
    });
    out.dedup();
}

/// From this size of text on, the checks of the tree alone run on a thread of their own.
const PARALLEL_FROM: usize = 256 * 1024;

/// The checks that need name resolution (and the flake model, built on it).
fn others(analysis: &Analysis, lock: Option<&crate::flake::lock::FlakeLock>, out: &mut Vec<Diagnostic>) {
    let root = &analysis.root();
    let mut skip_formals = Vec::new();
    if let Some(flake) = analysis.flake() {
        if let Some(outputs) = &flake.outputs {
            skip_formals.push(outputs.text_range());
        }
        flake::check(flake, root, analysis.names(), out);
        if let Some(lock) = lock {
            flake::check_lock(flake, root, lock, out);
        }
    }
    names::check_names(analysis.names(), &skip_formals, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file large enough for the checks of the tree to run on their own thread gets the
    /// same diagnostics, in the same order, as the same checks run one after another.
    #[test]
    fn the_duplicates_thread_finds_what_the_serial_checks_find() {
        let mut text = String::from("let unused = 1; in {\n");
        let mut i = 0;
        while text.len() < PARALLEL_FROM + 1024 {
            text.push_str(&format!("  a{i} = {{ x = 1; }}; a{i}.x = 2; b{i} = with {{ }}; 1;\n"));
            i += 1;
        }
        text.push_str("}\n");
        let analysis = Analysis::of(&text, FileKind::Nix);
        let found = diagnostics_for(&analysis, &DiagnosticsConfig::default());
        let mut serial = Vec::new();
        others(&analysis, None, &mut serial);
        duplicates::check(&analysis.root(), &mut serial);
        names::check_forms(&analysis.root(), &mut serial);
        in_text_order(&mut serial);
        assert_eq!(found, serial);
        assert_eq!(found.iter().filter(|d| d.code == Code::DuplicatedAttribute).count(), i);
        assert!(found.iter().any(|d| d.code == Code::UnusedBinding));
    }
}
