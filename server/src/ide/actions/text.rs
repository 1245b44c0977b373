//! Where edits start and end, so that a removed binding takes its line with it and an inserted
//! one looks like its neighbours (indentation, one per line or all on one, CRLF).

use crate::ide::edit::TextEdit;
use crate::syntax::{SyntaxKind, SyntaxNode, TextRange, TextSize};

fn at(offset: usize) -> TextSize {
    TextSize::from(offset as u32)
}

/// The byte offset where the line holding `offset` starts.
fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// The byte offset of the `\n` that ends the line holding `offset`, or the end of the text.
fn line_end(text: &str, offset: usize) -> usize {
    text[offset..].find('\n').map_or(text.len(), |i| offset + i)
}

/// The file's line ending: `\r\n` when its first line ends so.
pub(crate) fn eol(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if text[..i].ends_with('\r') => "\r\n",
        _ => "\n",
    }
}

/// The whitespace the line holding `offset` starts with.
pub(crate) fn indentation(text: &str, offset: usize) -> &str {
    let start = line_start(text, offset);
    let line = &text[start..line_end(text, offset)];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '\'' | '-')
}

/// Deletes `range`, which holds one entry (a binding, an `inherit`, a formal with its comma)
/// with what surrounds it, so that no blank line or double space is left behind:
/// - alone on its lines (a comment after it may follow): the whole lines go;
/// - followed by more on its line: the spaces after it go;
/// - last on its line: the spaces before it go.
pub(crate) fn delete_entry(text: &str, range: TextRange) -> TextEdit {
    let (start, end) = (usize::from(range.start()), usize::from(range.end()));
    let first = line_start(text, start);
    let last = line_end(text, end);
    let before = &text[first..start];
    let after = text[end..last].trim_end_matches('\r');
    let after_trimmed = after.trim_start();
    if before.trim().is_empty() && (after_trimmed.is_empty() || after_trimmed.starts_with('#')) {
        return if last < text.len() {
            TextEdit::delete(TextRange::new(at(first), at(last + 1)))
        } else {
            // The last line: take the line break before it instead.
            let from = text[..first].trim_end_matches(['\n', '\r']).len();
            let from = if first == 0 { 0 } else { from };
            TextEdit::delete(TextRange::new(at(from), at(text.len())))
        };
    }
    let spaces_after = after.len() - after.trim_start_matches([' ', '\t']).len();
    if spaces_after > 0 && !after_trimmed.is_empty() {
        return joined(text, start, end + spaces_after);
    }
    let spaces_before = before.len() - before.trim_end_matches([' ', '\t']).len();
    joined(text, start - spaces_before, end)
}

/// Deletes `range` and the whitespace after it, line breaks included: for a prefix such as
/// `with e;`, `rec` or `let … in` that goes away and leaves what followed it in its place.
pub(crate) fn delete_prefix(text: &str, range: TextRange) -> TextEdit {
    let (start, end) = (usize::from(range.start()), usize::from(range.end()));
    let rest = &text[end..];
    let spaces = rest.len() - rest.trim_start().len();
    joined(text, start, end + spaces)
}

/// Deletes `start..end`, keeping one space where two words would otherwise run together.
fn joined(text: &str, start: usize, end: usize) -> TextEdit {
    let left = text[..start].chars().next_back();
    let right = text[end..].chars().next();
    let range = TextRange::new(at(start), at(end));
    match (left, right) {
        (Some(l), Some(r)) if is_word(l) && is_word(r) => TextEdit::replace(range, " "),
        _ => TextEdit::delete(range),
    }
}

/// Entries of an attribute set, `let` or pattern: bindings and `inherit`s.
pub(crate) fn entries(container: &SyntaxNode) -> Vec<SyntaxNode> {
    container
        .children()
        .filter(|c| matches!(c.kind(), SyntaxKind::NODE_ATTRPATH_VALUE | SyntaxKind::NODE_INHERIT))
        .collect()
}

/// The text between `entry` and what comes before it in its set (the previous entry or the
/// `{`), when it is only whitespace: the separator this set uses.
fn gap_before(text: &str, entry: &SyntaxNode) -> Option<String> {
    let end = entry.text_range().start();
    let prev = entry
        .siblings_with_tokens(rowan::Direction::Prev)
        .skip(1)
        .find(|e| !matches!(e.kind(), SyntaxKind::TOKEN_WHITESPACE | SyntaxKind::TOKEN_COMMENT))?;
    let gap = &text[usize::from(prev.text_range().end())..usize::from(end)];
    (!gap.is_empty() && gap.trim().is_empty()).then(|| gap.to_string())
}

/// Inserts `binding` (`a = 1;`) after `entry` of a set, laid out like `entry` is after its
/// predecessor: on its own line at the same indentation, or on the same line.
pub(crate) fn insert_after(text: &str, entry: &SyntaxNode, binding: &str) -> TextEdit {
    let end = usize::from(entry.text_range().end());
    let multiline = match gap_before(text, entry) {
        Some(gap) => gap.contains('\n'),
        None => text[..usize::from(entry.text_range().start())].trim_end_matches([' ', '\t']).ends_with('\n'),
    };
    if !multiline {
        return TextEdit::insert(at(end), format!(" {binding}"));
    }
    // After a comment that ends the entry's line, not before it.
    let line_end = line_end(text, end);
    let rest = text[end..line_end].trim_end_matches('\r');
    let insert_at =
        if rest.trim().is_empty() || rest.trim_start().starts_with('#') { end + rest.len() } else { end };
    let indent = indentation(text, usize::from(entry.text_range().start()));
    TextEdit::insert(at(insert_at), format!("{}{indent}{binding}", eol(text)))
}

/// Inserts `binding` before `entry` of a set, laid out like `entry`.
pub(crate) fn insert_before(text: &str, entry: &SyntaxNode, binding: &str) -> TextEdit {
    let start = usize::from(entry.text_range().start());
    let own_line = text[line_start(text, start)..start].trim().is_empty();
    if own_line {
        let indent = indentation(text, start);
        TextEdit::insert(at(start), format!("{binding}{}{indent}", eol(text)))
    } else {
        TextEdit::insert(at(start), format!("{binding} "))
    }
}

/// Inserts `binding` into the attribute set `set`, after its last entry, or into its braces
/// when it is empty.
pub(crate) fn insert_into_set(text: &str, set: &SyntaxNode, binding: &str) -> Option<TextEdit> {
    if let Some(last) = entries(set).last() {
        return Some(insert_after(text, last, binding));
    }
    let token = |kind| set.children_with_tokens().find(|e| e.kind() == kind).map(|e| e.text_range());
    let (open, close) = (token(SyntaxKind::TOKEN_L_BRACE)?, token(SyntaxKind::TOKEN_R_BRACE)?);
    let inner = TextRange::new(open.end(), close.start());
    let inner_text = &text[usize::from(inner.start())..usize::from(inner.end())];
    if !inner_text.trim().is_empty() {
        return None; // Comments only: leave them be rather than guess.
    }
    if inner_text.contains('\n') {
        let indent = indentation(text, usize::from(close.start()));
        let nl = eol(text);
        Some(TextEdit::replace(inner, format!("{nl}{indent}  {binding}{nl}{indent}")))
    } else {
        Some(TextEdit::replace(inner, format!(" {binding} ")))
    }
}

/// Edits that do not overlap: deletions that touch are joined into one.
pub(crate) fn merge(mut edits: Vec<TextEdit>) -> Vec<TextEdit> {
    edits.sort_by_key(|e| (e.range.start(), e.range.end()));
    let mut out: Vec<TextEdit> = Vec::with_capacity(edits.len());
    for edit in edits {
        match out.last_mut() {
            Some(last) if edit.range.start() < last.range.end() => {
                let range = last.range.cover(edit.range);
                let new_text = if last.new_text.trim().is_empty() && edit.new_text.trim().is_empty() {
                    String::new()
                } else {
                    format!("{}{}", last.new_text, edit.new_text)
                };
                *last = TextEdit::replace(range, new_text);
            }
            _ => out.push(edit),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::apply_edits;

    fn delete(marked: &str) -> String {
        let (text, range) = crate::ide::fixture::range(marked);
        apply_edits(&text, &[delete_entry(&text, range)])
    }

    #[test]
    fn deleting_entries() {
        assert_eq!(delete("{\n  $0a = 1;$0\n  b = 2;\n}"), "{\n  b = 2;\n}");
        assert_eq!(delete("{\r\n  $0a = 1;$0 # why\r\n  b = 2;\r\n}"), "{\r\n  b = 2;\r\n}");
        assert_eq!(delete("{ $0a = 1;$0 b = 2; }"), "{ b = 2; }");
        assert_eq!(delete("{ a = 1; $0b = 2;$0 }"), "{ a = 1; }");
        assert_eq!(delete("{ a = 1;\n  $0b = 2;$0"), "{ a = 1;");
        assert_eq!(delete("$0a$0"), "");
        assert_eq!(delete("inherit $0a$0 b;"), "inherit b;");
        assert_eq!(delete("inherit a $0b$0;"), "inherit a;");
        assert_eq!(delete("[a $0rec$0 b]"), "[a b]");
        let text = "x:with e;y";
        let edit = delete_prefix(text, TextRange::new(2.into(), 9.into()));
        assert_eq!(apply_edits(text, &[edit]), "x:y");
        let text = "[ a rec{ } ]";
        let edit = delete_prefix(text, TextRange::new(4.into(), 7.into()));
        assert_eq!(apply_edits(text, &[edit]), "[ a { } ]");
    }

    #[test]
    fn line_endings() {
        assert_eq!(eol("a\r\nb\n"), "\r\n");
        assert_eq!(eol("a\nb\r\n"), "\n");
        assert_eq!(eol("ab"), "\n");
        assert_eq!(indentation("x\n\t  é = 1;", 5), "\t  ");
    }
}
