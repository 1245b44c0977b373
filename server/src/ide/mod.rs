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
pub mod format;
pub mod hover;
pub mod navigation;
pub mod structure;

pub use analysis::{Analysis, FileContext};
pub use diagnostics::{
    diagnostics, Code, Diagnostic, DiagnosticData, DiagnosticsConfig, ExternalDiagnostic, FileKind, Outside,
    Severity,
};

use crate::syntax::TextRange;

/// Replace `range` with `new_text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    pub range: TextRange,
    pub new_text: String,
}

impl TextEdit {
    pub fn replace(range: TextRange, new_text: impl Into<String>) -> TextEdit {
        TextEdit { range, new_text: new_text.into() }
    }

    pub fn delete(range: TextRange) -> TextEdit {
        TextEdit { range, new_text: String::new() }
    }

    pub fn insert(at: crate::syntax::TextSize, new_text: impl Into<String>) -> TextEdit {
        TextEdit { range: TextRange::empty(at), new_text: new_text.into() }
    }
}

/// Applies edits that do not overlap, in any order.
pub fn apply_edits(text: &str, edits: &[TextEdit]) -> String {
    let mut edits: Vec<&TextEdit> = edits.iter().collect();
    edits.sort_by_key(|e| (e.range.start(), e.range.end()));
    let mut out = String::with_capacity(text.len());
    let mut at = 0usize;
    for e in edits {
        let start = usize::from(e.range.start()).max(at);
        out.push_str(&text[at..start]);
        out.push_str(&e.new_text);
        at = usize::from(e.range.end()).max(start);
    }
    out.push_str(&text[at.min(text.len())..]);
    out
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_apply_in_any_order() {
        let edits = [
            TextEdit::replace(TextRange::new(4.into(), 5.into()), "X"),
            TextEdit::insert(0.into(), ">"),
            TextEdit::delete(TextRange::new(1.into(), 2.into())),
        ];
        assert_eq!(apply_edits("abcdef", &edits), ">acdXf");
    }
}
