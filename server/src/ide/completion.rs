//! Completion: keywords, builtins, names in scope, the flake schema, `mkShell` arguments.

use super::{Analysis, FileContext};
use crate::syntax::{TextRange, TextSize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionKind {
    Keyword,
    /// A builtin function (`map`, `builtins.map`).
    Function,
    /// A builtin constant (`true`, `builtins.currentSystem`).
    Constant,
    /// A name bound by `let`, `rec`, a lambda or `inherit`.
    Variable,
    /// A name a lambda's pattern binds.
    Parameter,
    /// An attribute name of a known shape (flake schema, `mkShell` argument).
    Property,
    /// A flake input.
    Module,
    /// A URL scheme in an input's `url`.
    Scheme,
    /// A snippet-like construct.
    Snippet,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    /// One line shown beside the label (a signature, a type, where it is defined).
    pub detail: Option<String>,
    /// Markdown.
    pub documentation: Option<String>,
    /// What to insert instead of the label.
    pub insert_text: Option<String>,
    /// Whether `insert_text` is an LSP snippet (`$1`, `$0`).
    pub snippet: bool,
    /// The text the item replaces (the word typed so far; empty at the cursor otherwise).
    pub replace: TextRange,
    pub deprecated: bool,
}

/// Completions at `offset`, most relevant first.
pub fn completion(_analysis: &Analysis, _ctx: &FileContext, _offset: TextSize) -> Vec<CompletionItem> {
    Vec::new()
}
