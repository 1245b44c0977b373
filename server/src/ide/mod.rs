//! Features over files, free of LSP types: the CLI and the LSP adapter both call these.
//!
//! Every feature takes an [`Analysis`] (one version of one file, parsed once) and offsets in
//! bytes; the LSP adapter converts positions and results.

pub mod actions;
pub mod analysis;
pub mod check;
pub mod completion;
pub mod diagnostics;
pub mod docs;
pub mod edit;
pub mod format;
pub mod hover;
pub mod lenses;
pub mod navigation;
pub mod structure;

pub use analysis::{Analysis, FileContext, FileKind};
pub use diagnostics::{
    diagnostics, Code, Diagnostic, DiagnosticData, DiagnosticsConfig, ExternalDiagnostic, Outside, Severity,
};
pub use edit::{apply_edits, TextEdit};

#[cfg(test)]
pub(crate) mod fixture {
    use crate::syntax::{TextRange, TextSize};

    /// Text with a cursor `$0` (or a range `$0…$0`): the text without the markers, and where
    /// they were.
    pub(crate) fn cursor(marked: &str) -> (String, TextSize) {
        let (text, range) = range(marked);
        assert!(range.is_empty(), "expected one `$0` marker");
        (text, range.start())
    }

    pub(crate) fn range(marked: &str) -> (String, TextRange) {
        let first = marked.find("$0").expect("a `$0` marker");
        let mut text = marked.to_string();
        text.replace_range(first..first + 2, "");
        let second = text.find("$0");
        if let Some(second) = second {
            text.replace_range(second..second + 2, "");
            (text, TextRange::new((first as u32).into(), (second as u32).into()))
        } else {
            (text, TextRange::empty((first as u32).into()))
        }
    }

    #[test]
    fn markers() {
        assert_eq!(cursor("a $0b"), ("a b".to_string(), TextSize::from(2)));
        assert_eq!(range("$0ab$0c").1, TextRange::new(0.into(), 2.into()));
    }
}
