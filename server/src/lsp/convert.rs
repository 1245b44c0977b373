//! Conversions between LSP types and the analysis's own. The only place that knows both.

use serde_json::Value;
use tower_lsp::jsonrpc::{Error, ErrorCode};
use tower_lsp::lsp_types::{self as lsp, DiagnosticSeverity, NumberOrString, Position, Url};

use crate::ide::{Code, Diagnostic, DiagnosticData, Severity};
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
        data: d.data.as_ref().and_then(|data| serde_json::to_value(data).ok()),
    }
}

/// The data a diagnostic of ours carries, as the client hands it back.
pub fn diagnostic_data(d: &lsp::Diagnostic) -> Option<DiagnosticData> {
    serde_json::from_value(d.data.clone()?).ok()
}

/// The code of a diagnostic of ours.
pub fn diagnostic_code(d: &lsp::Diagnostic) -> Option<Code> {
    match &d.code {
        Some(NumberOrString::String(name)) => Code::from_name(name),
        _ => None,
    }
}

/// The error a request gets for parameters it cannot use.
pub fn invalid_params(message: impl Into<String>) -> Error {
    Error { code: ErrorCode::InvalidParams, message: message.into().into(), data: None }
}

/// The error a request gets when it could not do what it was asked (`RequestFailed`).
/// The answer to `flake/evaluate`: `{ attribute, drvPath | value | error: { message, uri,
/// range } }` (docs/protocol.md).
pub fn evaluated(root: &std::path::Path, attribute: &str, found: crate::eval::Evaluated) -> Value {
    use crate::eval::Evaluated;
    match found {
        Evaluated::DrvPath(drv) => serde_json::json!({ "attribute": attribute, "drvPath": drv }),
        Evaluated::Value(kind) => serde_json::json!({ "attribute": attribute, "value": kind }),
        Evaluated::Error(e) => {
            let uri = Url::from_file_path(root.join(&e.file)).map(|u| u.to_string()).unwrap_or_default();
            let at = serde_json::json!({ "line": e.line.saturating_sub(1), "character": e.column.saturating_sub(1) });
            serde_json::json!({ "attribute": attribute, "error": {
                "message": e.message, "uri": uri, "range": { "start": at, "end": at }
            } })
        }
    }
}

pub fn request_failed(message: impl Into<String>) -> Error {
    Error { code: ErrorCode::ServerError(-32803), message: message.into().into(), data: None }
}

fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    }
}

/// A completion item's `data` naming a package of nixpkgs whose details it lacks (read back by
/// `completionItem/resolve`, which has no document of its own).
pub fn package_data(uri: &Url, wanted: &crate::pkgs::PackageRef) -> serde_json::Value {
    serde_json::json!({ "uri": uri, "package": { "path": wanted.path, "name": wanted.name } })
}

/// The document and package of [`package_data`].
pub fn package_of_data(data: &serde_json::Value) -> Option<(Url, crate::pkgs::PackageRef)> {
    let uri = Url::parse(data.get("uri")?.as_str()?).ok()?;
    let package = data.get("package")?;
    let path = package
        .get("path")?
        .as_array()?
        .iter()
        .map(|p| p.as_str().map(str::to_string))
        .collect::<Option<_>>()?;
    let name = package.get("name")?.as_str()?.to_string();
    Some((uri, crate::pkgs::PackageRef { path, name }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::LineIndex;

    #[test]
    fn data_goes_out_with_the_diagnostic_and_comes_back() {
        let text = "pkgs.pyhton311";
        let data =
            DiagnosticData::DidYouMean { missing: "pyhton311".into(), suggestions: vec!["python311".into()] };
        let d = Diagnostic::new(Code::EvalError, TextRange::up_to(TextSize::of(text)), "attribute missing")
            .with_data(Some(data.clone()));
        let uri = Url::parse("file:///p/flake.nix").unwrap();
        let sent = diagnostic(&uri, &LineIndex::new(text), text, &d, PositionEncoding::Utf16);
        assert_eq!(
            sent.data,
            Some(
                serde_json::json!({ "kind": "didYouMean", "missing": "pyhton311", "suggestions": ["python311"] })
            )
        );
        assert_eq!(sent.source.as_deref(), Some("nix"));
        // What the client hands back with a code action request.
        let back: lsp::Diagnostic = serde_json::from_value(serde_json::to_value(&sent).unwrap()).unwrap();
        assert_eq!(diagnostic_data(&back), Some(data));
        assert_eq!(diagnostic_code(&back), Some(Code::EvalError));
        // Another server's diagnostic, or ours without data: nothing.
        let other = lsp::Diagnostic { data: Some(serde_json::json!({ "x": 1 })), ..back.clone() };
        assert_eq!(diagnostic_data(&other), None);
        assert_eq!(diagnostic_data(&lsp::Diagnostic { data: None, ..back }), None);
        let plain = diagnostic(
            &uri,
            &LineIndex::new(text),
            text,
            &Diagnostic::new(Code::UnusedWith, TextRange::default(), "m"),
            PositionEncoding::Utf16,
        );
        assert_eq!(plain.data, None);
    }

    #[test]
    fn package_data_round_trip() {
        let uri = Url::parse("file:///p/flake.nix").unwrap();
        let wanted = crate::pkgs::PackageRef { path: vec!["python3Packages".into()], name: "pip".into() };
        let data = package_data(&uri, &wanted);
        assert_eq!(package_of_data(&data), Some((uri, wanted)));
        assert_eq!(package_of_data(&serde_json::json!({ "uri": "file:///p" })), None);
    }
}
