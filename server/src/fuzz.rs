//! The fuzz harness: every static feature on one text, for the fuzz target (`fuzz/`) and the
//! unit test that replays its corpus. The features must not panic on any input, and what they
//! return must point into the text.
//!
//! Not part of the library's API: compiled for tests and with the `fuzzing` feature, which
//! only `fuzz/Cargo.toml` turns on.

use crate::ide::{actions, completion, diagnostics, hover, navigation, structure};
use crate::ide::{Analysis, DiagnosticsConfig, FileContext, FileKind};
use crate::syntax::{TextRange, TextSize};

/// Runs every feature on `text` as a flake.nix and as another Nix file, at a spread of offsets
/// (every one for short texts). Panics when a result points outside the text or splits a
/// character: that is a bug the fuzzer should report.
pub fn every_feature(text: &str) {
    let ctx = FileContext::default();
    let config = DiagnosticsConfig::default();
    for kind in [FileKind::Flake, FileKind::Nix] {
        let analysis = Analysis::of(text, kind);
        let len = TextSize::of(analysis.text());
        let check = |range: TextRange, what: &str| {
            assert!(range.end() <= len, "{what} {range:?} is past the end ({len:?})");
            assert!(
                text.is_char_boundary(range.start().into()) && text.is_char_boundary(range.end().into()),
                "{what} {range:?} splits a character"
            );
        };
        for d in diagnostics::diagnostics_for(&analysis, &config) {
            check(d.range, "diagnostic");
        }
        for s in structure::symbols(&analysis) {
            check(s.range, "symbol");
        }
        for f in structure::folding_ranges(&analysis) {
            check(f.range, "fold");
        }
        for t in structure::semantic_tokens(&analysis, None) {
            check(t.range, "token");
        }
        let _ = structure::document_links(&analysis, &ctx);
        let step = (text.len() / 64).max(1);
        let offsets: Vec<TextSize> = (0..=text.len())
            .step_by(step)
            .filter(|i| text.is_char_boundary(*i))
            .map(|i| TextSize::from(i as u32))
            .collect();
        for ranges in structure::selection_ranges(&analysis, &offsets) {
            for r in ranges {
                check(r, "selection");
            }
        }
        for &at in &offsets {
            for item in completion::completion(&analysis, &ctx, at) {
                check(item.replace, "completion");
            }
            if let Some(h) = hover::hover(&analysis, &ctx, at) {
                check(h.range, "hover");
            }
            for t in navigation::goto_definition(&analysis, &ctx, at) {
                if t.file.is_none() {
                    check(t.full_range, "definition");
                }
            }
            for r in navigation::references(&analysis, at, true) {
                check(r, "reference");
            }
            if let Ok(r) = navigation::prepare_rename(&analysis, at) {
                check(r, "rename");
                if let Ok(edits) = navigation::rename(&analysis, at, "renamed") {
                    for e in edits {
                        check(e.range, "rename edit");
                    }
                }
            }
            for a in actions::code_actions(&analysis, &ctx, &config, TextRange::empty(at)) {
                for e in a.edits {
                    check(e.range, "code action edit");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// The number of inputs in `fuzz/corpus/analysis/` as committed (docs/reliability.md). The
    /// corpus may grow; fewer means it went missing.
    const COMMITTED_CORPUS: usize = 2783;

    /// Every file of the fuzzer's corpus and every crash it found stays a test.
    #[test]
    fn fuzz_corpus_and_crashes() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
        // Runs every file of a directory that must exist; how many.
        let exercise_all = |dir: &str| {
            let dir = root.join(dir);
            let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            let mut count = 0;
            for entry in entries {
                let path = entry.expect("a directory entry").path();
                if path.file_name().is_some_and(|n| n == ".gitkeep") {
                    continue;
                }
                let bytes = match std::fs::read(&path) {
                    Ok(bytes) => bytes,
                    // Removed meanwhile by a fuzzer running beside the tests.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => panic!("{}: {e}", path.display()),
                };
                super::every_feature(&String::from_utf8_lossy(&bytes));
                count += 1;
            }
            count
        };
        let corpus = exercise_all("corpus/analysis");
        let crashes = exercise_all("regressions");
        assert!(
            corpus >= COMMITTED_CORPUS,
            "fuzz/corpus/analysis holds {corpus} inputs, fewer than the {COMMITTED_CORPUS} committed"
        );
        eprintln!("{corpus} corpus inputs and {crashes} crash reproducers exercised");
    }

    #[test]
    fn a_seed_flake() {
        super::every_feature(include_str!("ide/structure/testdata/devops-renaissance.flake.nix"));
    }
}
