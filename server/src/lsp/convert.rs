//! Conversions between LSP types and the analysis's own. The only place that knows both.

use tower_lsp::lsp_types::{self as lsp, DiagnosticSeverity, NumberOrString, Position, Url};

use crate::ide::{Diagnostic, Severity};
use crate::syntax::{LineCol, LineIndex, PositionEncoding, TextRange, TextSize};

pub fn offset(index: &LineIndex, text: &str, pos: Position, enc: PositionEncoding) -> TextSize {
    index.offset(text, LineCol { line: pos.line, col: pos.character }, enc)
}

/// A range as offsets, in order even when the client sent it reversed.
pub fn offset_range(
    index: &LineIndex,
    text: &str,
    range: lsp::Range,
    enc: PositionEncoding,
) -> (TextSize, TextSize) {
    let a = offset(index, text, range.start, enc);
    let b = offset(index, text, range.end, enc);
    (a.min(b), a.max(b))
}

pub fn position(index: &LineIndex, text: &str, offset: TextSize, enc: PositionEncoding) -> Position {
    let lc = index.line_col(text, offset, enc);
    Position::new(lc.line, lc.col)
}

pub fn range(index: &LineIndex, text: &str, range: TextRange, enc: PositionEncoding) -> lsp::Range {
    lsp::Range::new(position(index, text, range.start(), enc), position(index, text, range.end(), enc))
}

pub fn diagnostic(
    uri: &Url,
    index: &LineIndex,
    text: &str,
    d: &Diagnostic,
    enc: PositionEncoding,
) -> lsp::Diagnostic {
    let mut tags = Vec::new();
    if d.code.is_unnecessary() {
        tags.push(lsp::DiagnosticTag::UNNECESSARY);
    }
    if d.code.is_deprecated() {
        tags.push(lsp::DiagnosticTag::DEPRECATED);
    }
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .related
        .iter()
        .map(|r| lsp::DiagnosticRelatedInformation {
            location: lsp::Location::new(uri.clone(), range(index, text, r.range, enc)),
            message: r.message.clone(),
        })
        .collect();
    lsp::Diagnostic {
        range: range(index, text, d.range, enc),
        severity: Some(severity(d.severity)),
        code: Some(NumberOrString::String(d.code.as_str().to_string())),
        code_description: None,
        source: Some(if d.code == crate::ide::Code::EvalError { "nix" } else { "flake-lsp" }.to_string()),
        message: d.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        tags: (!tags.is_empty()).then_some(tags),
        data: None,
    }
}

fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    }
}
