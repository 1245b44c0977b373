//! Requests about one document: each converts positions, calls one `ide` function on a
//! blocking thread, and converts the result back.

use std::sync::Arc;

use tower_lsp::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp::lsp_types::{self as lsp, *};

use super::convert::{self, request_failed};
use super::documents::Snapshot;
use super::state::State;
use crate::eval::attributes::{Answer, Target};
use crate::ide::{self, Analysis, FileContext};
use crate::pkgs::{PackageIndex, PackageRef};
use crate::syntax::{PositionEncoding, TextRange, TextSize};

/// What a feature gets: the snapshot, its analysis, and the conversions.
pub struct Ctx {
    pub snapshot: Snapshot,
    pub analysis: Arc<Analysis>,
    pub file: FileContext,
    pub enc: PositionEncoding,
}

impl Ctx {
    pub fn offset(&self, pos: Position) -> TextSize {
        convert::offset(&self.snapshot.line_index, &self.snapshot.text, pos, self.enc)
    }

    pub fn range(&self, range: TextRange) -> lsp::Range {
        convert::range(&self.snapshot.line_index, &self.snapshot.text, range, self.enc)
    }

    pub fn text_range(&self, range: lsp::Range) -> TextRange {
        let (a, b) = convert::offset_range(&self.snapshot.line_index, &self.snapshot.text, range, self.enc);
        TextRange::new(a, b)
    }

    pub fn edit(&self, edit: &ide::TextEdit) -> lsp::TextEdit {
        lsp::TextEdit { range: self.range(edit.range), new_text: edit.new_text.clone() }
    }

    pub fn location(&self, target: &ide::navigation::NavTarget) -> Option<lsp::LocationLink> {
        match &target.file {
            None => Some(LocationLink {
                origin_selection_range: None,
                target_uri: self.snapshot.uri.clone(),
                target_range: self.range(target.full_range),
                target_selection_range: self.range(target.focus_range),
            }),
            Some(path) => {
                let uri = Url::from_file_path(path).ok()?;
                Some(LocationLink {
                    origin_selection_range: None,
                    target_uri: uri,
                    target_range: lsp::Range::default(),
                    target_selection_range: lsp::Range::default(),
                })
            }
        }
    }
}

/// Which extra context a feature needs (reading `flake.lock` costs a file read).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Text,
    Lock,
}

/// Runs `f` over the document's analysis on a blocking thread, with `packages`, the index of
/// its flake's nixpkgs, and `attributes`, what the evaluator said for completion's target. A
/// document that is not open is read from disk.
pub async fn with_analysis<R, F>(
    state: &State,
    packages: Option<Arc<PackageIndex>>,
    attributes: Option<(Target, Answer)>,
    uri: &Url,
    needs: Needs,
    f: F,
) -> Result<R>
where
    R: Send + 'static,
    F: FnOnce(&Ctx) -> R + Send + 'static,
{
    let snapshot = state.documents.get_or_read(uri).map_err(convert::invalid_params)?;
    let enc = state.encoding();
    let path = uri.to_file_path().ok();
    let lock = if needs == Needs::Lock { state.documents.lock_beside(&snapshot) } else { None };
    let builtin_docs = state.builtin_docs();
    let joined = tokio::task::spawn_blocking(move || {
        let analysis = snapshot.analysis();
        let ctx = Ctx {
            snapshot,
            analysis,
            file: FileContext { path, lock, builtin_docs, packages, attributes },
            enc,
        };
        f(&ctx)
    })
    .await;
    joined.map_err(|err| {
        let message =
            if err.is_panic() { super::ordered::panic_message(&err.into_panic()) } else { err.to_string() };
        log::error!("request on {uri} failed: {message}");
        Error { code: ErrorCode::InternalError, message: message.into(), data: None }
    })
}

/// The set at `pos` whose attributes the flake's evaluator is asked for, if any.
pub fn evaluation_target(ctx: &Ctx, pos: Position) -> Option<Target> {
    ide::completion::evaluation_target(&ctx.analysis, &ctx.file, ctx.offset(pos))
}

pub fn completion(ctx: &Ctx, pos: Position) -> Option<CompletionResponse> {
    use ide::completion::CompletionKind as K;
    let list = ide::completion::completion_list(&ctx.analysis, &ctx.file, ctx.offset(pos));
    let (items, is_incomplete) = (list.items, list.incomplete);
    if items.is_empty() && !is_incomplete {
        return None;
    }
    let width = items.len().to_string().len();
    let items = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let kind = match item.kind {
                K::Keyword => CompletionItemKind::KEYWORD,
                K::Function => CompletionItemKind::FUNCTION,
                K::Constant => CompletionItemKind::CONSTANT,
                K::Variable => CompletionItemKind::VARIABLE,
                K::Parameter => CompletionItemKind::VARIABLE,
                K::Property => CompletionItemKind::PROPERTY,
                K::Module => CompletionItemKind::MODULE,
                K::Scheme => CompletionItemKind::VALUE,
                K::Snippet => CompletionItemKind::SNIPPET,
                K::Package => CompletionItemKind::VALUE,
            };
            let new_text = item.insert_text.clone().unwrap_or_else(|| item.label.clone());
            CompletionItem {
                label: item.label.clone(),
                kind: Some(kind),
                detail: item.detail,
                documentation: item.documentation.map(|value| {
                    Documentation::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value })
                }),
                // The ide's order is the order of relevance; editors sort by sortText.
                sort_text: Some(format!("{i:0width$}")),
                filter_text: Some(item.label),
                insert_text_format: Some(if item.snippet {
                    InsertTextFormat::SNIPPET
                } else {
                    InsertTextFormat::PLAIN_TEXT
                }),
                text_edit: Some(CompletionTextEdit::Edit(lsp::TextEdit {
                    range: ctx.range(item.replace),
                    new_text,
                })),
                tags: item.deprecated.then(|| vec![CompletionItemTag::DEPRECATED]),
                data: item.package.map(|wanted| convert::package_data(&ctx.snapshot.uri, &wanted)),
                ..CompletionItem::default()
            }
        })
        .collect();
    Some(CompletionResponse::List(CompletionList { is_incomplete, items }))
}

/// The hover, and the package of nixpkgs it is about when the index lacks its details.
pub fn hover(ctx: &Ctx, pos: Position) -> (Option<lsp::Hover>, Option<PackageRef>) {
    let Some(hover) = ide::hover::hover(&ctx.analysis, &ctx.file, ctx.offset(pos)) else {
        return (None, None);
    };
    let lsp_hover = lsp::Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: hover.markdown }),
        range: Some(ctx.range(hover.range)),
    };
    (Some(lsp_hover), hover.wanted)
}

/// A package's completion item with the version and documentation it lacked.
pub fn resolve_package(
    mut item: CompletionItem,
    index: &PackageIndex,
    wanted: &PackageRef,
) -> CompletionItem {
    if let Some((detail, documentation)) = ide::completion::resolve_package(index, wanted) {
        item.detail = detail.or(item.detail);
        item.documentation = documentation
            .map(|value| Documentation::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value }))
            .or(item.documentation);
    }
    item
}

pub fn definition(ctx: &Ctx, pos: Position) -> Option<GotoDefinitionResponse> {
    let offset = ctx.offset(pos);
    let targets = ide::navigation::goto_definition(&ctx.analysis, &ctx.file, offset);
    let links: Vec<LocationLink> = targets.iter().filter_map(|t| ctx.location(t)).collect();
    if links.is_empty() {
        return None;
    }
    Some(GotoDefinitionResponse::Link(links))
}

pub fn references(ctx: &Ctx, pos: Position, include_declaration: bool) -> Option<Vec<Location>> {
    let ranges = ide::navigation::references(&ctx.analysis, ctx.offset(pos), include_declaration);
    if ranges.is_empty() {
        return None;
    }
    Some(ranges.into_iter().map(|r| Location::new(ctx.snapshot.uri.clone(), ctx.range(r))).collect())
}

pub fn highlights(ctx: &Ctx, pos: Position) -> Option<Vec<DocumentHighlight>> {
    use ide::navigation::HighlightKind;
    let found = ide::navigation::highlights(&ctx.analysis, ctx.offset(pos));
    if found.is_empty() {
        return None;
    }
    Some(
        found
            .into_iter()
            .map(|(range, kind)| DocumentHighlight {
                range: ctx.range(range),
                kind: Some(match kind {
                    HighlightKind::Write => DocumentHighlightKind::WRITE,
                    HighlightKind::Read => DocumentHighlightKind::READ,
                }),
            })
            .collect(),
    )
}

pub fn prepare_rename(ctx: &Ctx, pos: Position) -> Result<Option<PrepareRenameResponse>> {
    match ide::navigation::prepare_rename(&ctx.analysis, ctx.offset(pos)) {
        Ok(range) => Ok(Some(PrepareRenameResponse::Range(ctx.range(range)))),
        Err(err) => Err(request_failed(err.0)),
    }
}

pub fn rename(ctx: &Ctx, pos: Position, new_name: &str) -> Result<Option<WorkspaceEdit>> {
    match ide::navigation::rename(&ctx.analysis, ctx.offset(pos), new_name) {
        Ok(edits) => Ok(Some(workspace_edit(ctx, &edits))),
        Err(err) => Err(request_failed(err.0)),
    }
}

fn workspace_edit(ctx: &Ctx, edits: &[ide::TextEdit]) -> WorkspaceEdit {
    let edits = edits.iter().map(|e| ctx.edit(e)).collect();
    let mut changes = std::collections::HashMap::new();
    changes.insert(ctx.snapshot.uri.clone(), edits);
    WorkspaceEdit { changes: Some(changes), ..WorkspaceEdit::default() }
}

/// "Evaluate" above each costly output (`ide::lenses`), running `flake-lsp.evaluate`.
pub fn code_lenses(ctx: &Ctx, root: Option<&std::path::Path>) -> Option<Vec<CodeLens>> {
    let root = root?;
    let lenses = ide::lenses::lenses(&ctx.analysis);
    Some(
        lenses
            .into_iter()
            .map(|l| CodeLens {
                range: ctx.range(l.range),
                command: Some(Command {
                    title: "Evaluate".into(),
                    command: super::commands::EVALUATE.into(),
                    arguments: Some(vec![serde_json::json!({ "root": root, "attribute": l.attribute })]),
                }),
                data: None,
            })
            .collect(),
    )
}

pub fn document_symbols(ctx: &Ctx) -> Option<DocumentSymbolResponse> {
    fn convert_symbol(ctx: &Ctx, s: ide::structure::Symbol) -> DocumentSymbol {
        use ide::structure::SymbolKind as K;
        #[allow(deprecated)]
        DocumentSymbol {
            name: s.name,
            detail: s.detail,
            kind: match s.kind {
                K::Input => SymbolKind::PACKAGE,
                K::Namespace => SymbolKind::NAMESPACE,
                K::Function => SymbolKind::FUNCTION,
                K::Variable => SymbolKind::VARIABLE,
                K::Property => SymbolKind::PROPERTY,
            },
            tags: None,
            deprecated: None,
            range: ctx.range(s.range),
            selection_range: ctx.range(s.selection_range),
            children: (!s.children.is_empty())
                .then(|| s.children.into_iter().map(|c| convert_symbol(ctx, c)).collect()),
        }
    }
    let symbols = ide::structure::symbols(&ctx.analysis);
    Some(DocumentSymbolResponse::Nested(symbols.into_iter().map(|s| convert_symbol(ctx, s)).collect()))
}

pub fn folding_ranges(ctx: &Ctx) -> Option<Vec<FoldingRange>> {
    use ide::structure::FoldKind;
    let mut out: Vec<FoldingRange> = Vec::new();
    for fold in ide::structure::folding_ranges(&ctx.analysis) {
        let range = ctx.range(fold.range);
        // Folding is by lines: a range on one line folds nothing; keep the closing line shown.
        let end_line =
            if fold.kind == FoldKind::Region { range.end.line.saturating_sub(1) } else { range.end.line };
        if end_line <= range.start.line {
            continue;
        }
        out.push(FoldingRange {
            start_line: range.start.line,
            start_character: None,
            end_line,
            end_character: None,
            kind: Some(match fold.kind {
                FoldKind::Comment => FoldingRangeKind::Comment,
                FoldKind::Region => FoldingRangeKind::Region,
            }),
            collapsed_text: None,
        });
    }
    Some(out)
}

pub fn selection_ranges(ctx: &Ctx, positions: &[Position]) -> Option<Vec<SelectionRange>> {
    let offsets: Vec<TextSize> = positions.iter().map(|p| ctx.offset(*p)).collect();
    let found = ide::structure::selection_ranges(&ctx.analysis, &offsets);
    Some(
        found
            .into_iter()
            .zip(offsets)
            .map(|(ranges, offset)| {
                let mut parent: Option<Box<SelectionRange>> = None;
                let mut ranges = ranges;
                if ranges.is_empty() {
                    ranges.push(TextRange::empty(offset));
                }
                for range in ranges.into_iter().rev() {
                    parent = Some(Box::new(SelectionRange { range: ctx.range(range), parent }));
                }
                *parent.expect("at least one range")
            })
            .collect(),
    )
}

pub fn semantic_tokens_legend() -> SemanticTokensLegend {
    use ide::structure::TokenKind as K;
    let token_types = K::ALL
        .iter()
        .map(|k| match k {
            K::Keyword => SemanticTokenType::KEYWORD,
            K::Comment => SemanticTokenType::COMMENT,
            K::String => SemanticTokenType::STRING,
            K::Number => SemanticTokenType::NUMBER,
            K::Operator => SemanticTokenType::OPERATOR,
            K::Variable => SemanticTokenType::VARIABLE,
            K::Parameter => SemanticTokenType::PARAMETER,
            K::Property => SemanticTokenType::PROPERTY,
            K::Function => SemanticTokenType::FUNCTION,
            K::Macro => SemanticTokenType::MACRO,
            K::Path => SemanticTokenType::new("path"),
            K::Escape => SemanticTokenType::new("escape"),
        })
        .collect();
    let token_modifiers =
        ide::structure::modifiers::NAMES.iter().map(|n| SemanticTokenModifier::new(n)).collect();
    SemanticTokensLegend { token_types, token_modifiers }
}

/// Tokens in LSP's relative encoding. Lengths are in the negotiated encoding's units.
pub fn semantic_tokens(ctx: &Ctx, range: Option<lsp::Range>) -> Vec<SemanticToken> {
    let range = range.map(|r| ctx.text_range(r));
    let tokens = ide::structure::semantic_tokens(&ctx.analysis, range);
    let text = &ctx.snapshot.text;
    let index = &ctx.snapshot.line_index;
    let mut out = Vec::with_capacity(tokens.len());
    let (mut prev_line, mut prev_col) = (0u32, 0u32);
    for t in tokens {
        let start = index.line_col(text, t.range.start(), ctx.enc);
        let end = index.line_col(text, t.range.end(), ctx.enc);
        if end.line != start.line || end.col <= start.col {
            continue;
        }
        let delta_line = start.line - prev_line;
        let delta_start = if delta_line == 0 { start.col - prev_col } else { start.col };
        out.push(SemanticToken {
            delta_line,
            delta_start,
            length: end.col - start.col,
            token_type: ide::structure::TokenKind::ALL.iter().position(|k| *k == t.kind).unwrap_or(0) as u32,
            token_modifiers_bitset: t.modifiers,
        });
        prev_line = start.line;
        prev_col = start.col;
    }
    out
}

pub fn document_links(ctx: &Ctx) -> Option<Vec<DocumentLink>> {
    use ide::structure::LinkTarget;
    let links = ide::structure::document_links(&ctx.analysis, &ctx.file);
    Some(
        links
            .into_iter()
            .filter_map(|l| {
                let target = match l.target {
                    LinkTarget::File(path) => Url::from_file_path(path).ok()?,
                    LinkTarget::Url(url) => Url::parse(&url).ok()?,
                };
                Some(DocumentLink {
                    range: ctx.range(l.range),
                    target: Some(target),
                    tooltip: l.tooltip,
                    data: None,
                })
            })
            .collect(),
    )
}

pub fn code_actions(
    ctx: &Ctx,
    range: lsp::Range,
    config: &ide::DiagnosticsConfig,
    client_diagnostics: &[lsp::Diagnostic],
) -> Option<CodeActionResponse> {
    use ide::actions::ActionKind;
    let actions = ide::actions::code_actions(&ctx.analysis, &ctx.file, config, ctx.text_range(range));
    let out: CodeActionResponse = actions
        .into_iter()
        .map(|a| {
            let diagnostics = a.fixes.map(|(code, range)| {
                let range = ctx.range(range);
                client_diagnostics
                    .iter()
                    .filter(|d| {
                        d.range == range && d.code == Some(NumberOrString::String(code.as_str().to_string()))
                    })
                    .cloned()
                    .collect::<Vec<_>>()
            });
            CodeActionOrCommand::CodeAction(CodeAction {
                title: a.title,
                kind: Some(match a.kind {
                    ActionKind::QuickFix => CodeActionKind::QUICKFIX,
                    ActionKind::Refactor => CodeActionKind::REFACTOR_REWRITE,
                }),
                diagnostics: diagnostics.filter(|d| !d.is_empty()),
                edit: Some(workspace_edit(ctx, &a.edits)),
                command: None,
                is_preferred: a.preferred.then_some(true),
                disabled: None,
                data: None,
            })
        })
        .collect();
    Some(out)
}

pub fn format(
    ctx: &Ctx,
    formatter: &ide::format::Formatter,
    range: Option<lsp::Range>,
) -> Result<Option<Vec<lsp::TextEdit>>> {
    let range = range.map(|r| ctx.text_range(r));
    match ide::format::format(&ctx.snapshot.text, formatter, range) {
        Ok(edits) => Ok(Some(edits.iter().map(|e| ctx.edit(e)).collect())),
        Err(err) => Err(request_failed(err.0)),
    }
}

/// Whether `range` touches a dev shell's definition (for "Enter environment").
pub fn touches_dev_shell(ctx: &Ctx, range: lsp::Range) -> bool {
    let range = ctx.text_range(range);
    ide::actions::dev_shell_definitions(&ctx.analysis)
        .iter()
        .any(|d| d.start() <= range.end() && range.start() <= d.end())
}

/// The fixes of diagnostics found outside the text, from the data they carry ("Replace
/// `pyhton311` with `python311`" for a missing attribute).
pub fn data_fixes(ctx: &Ctx, client_diagnostics: &[lsp::Diagnostic]) -> Vec<CodeActionOrCommand> {
    let mut out = Vec::new();
    for d in client_diagnostics {
        let (Some(data), Some(code)) = (convert::diagnostic_data(d), convert::diagnostic_code(d)) else {
            continue;
        };
        for action in ide::actions::data_fixes(&ctx.analysis, code, ctx.text_range(d.range), &data) {
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: action.title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![d.clone()]),
                edit: Some(workspace_edit(ctx, &action.edits)),
                is_preferred: Some(action.preferred),
                ..CodeAction::default()
            }));
        }
    }
    out
}
