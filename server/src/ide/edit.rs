//! Text edits, the result of every feature that changes a file.

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
