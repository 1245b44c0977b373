//! What completion returns, and the items found so far while it looks.

use std::collections::HashSet;

use super::place::Cursor;
use crate::ide::docs::{self, BuiltinDocs};
use crate::syntax::SyntaxKind::TOKEN_IDENT;
use crate::syntax::TextRange;

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
    /// A package of nixpkgs (or another attribute of its package set).
    Package,
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
    /// A package of nixpkgs whose details are not known yet: resolving the item reads them.
    pub package: Option<crate::pkgs::PackageRef>,
}

/// Completions and whether the list is cut short: typing more gives other items (a list of
/// packages is capped, or the index is still loading).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompletionList {
    pub items: Vec<CompletionItem>,
    pub incomplete: bool,
}

/// The items found so far, without repeats.
pub(super) struct Items<'a> {
    pub(super) items: Vec<CompletionItem>,
    pub(super) seen: HashSet<String>,
    pub(super) replace: TextRange,
    /// The word at the cursor, when it is itself written as a definition (`{ pa$0 }`).
    pub(super) word: Option<TextRange>,
    pub(super) docs: Option<&'a BuiltinDocs>,
    /// The flake's nixpkgs, when its index is loaded.
    pub(super) packages: Option<&'a crate::pkgs::PackageIndex>,
    /// The identifier typed so far at the cursor.
    pub(super) typed: String,
    /// More items would come with more typing (see [`CompletionList`]).
    pub(super) incomplete: bool,
}

impl<'a> Items<'a> {
    pub(super) fn new(cursor: &Cursor, docs: Option<&'a BuiltinDocs>) -> Items<'a> {
        let typed = cursor.word.as_ref().filter(|w| w.kind() == TOKEN_IDENT);
        let typed = typed
            .map(|w| {
                let range = w.text_range();
                let end = cursor.offset.clamp(range.start(), range.end()) - range.start();
                w.text().get(..usize::from(end)).unwrap_or("").to_string()
            })
            .unwrap_or_default();
        Items {
            items: Vec::new(),
            seen: HashSet::new(),
            replace: cursor.replace(),
            word: cursor.word.as_ref().map(|w| w.text_range()),
            docs,
            packages: None,
            typed,
            incomplete: false,
        }
    }

    pub(super) fn add(
        &mut self,
        label: &str,
        kind: CompletionKind,
        detail: Option<String>,
        documentation: Option<String>,
    ) {
        if !self.seen.insert(label.to_string()) {
            return;
        }
        self.items.push(CompletionItem {
            label: label.to_string(),
            kind,
            detail,
            documentation,
            insert_text: None,
            snippet: false,
            replace: self.replace,
            deprecated: false,
            package: None,
        });
    }

    /// Whether `range` is where the word being typed is (so not a name to offer).
    pub(super) fn is_word(&self, range: TextRange) -> bool {
        self.word.is_some_and(|w| range.contains_range(w))
    }

    pub(super) fn builtin(&mut self, name: &str) {
        let doc = docs::lookup(self.docs, name);
        let kind = match &doc {
            Some(d) if !d.args.is_empty() => CompletionKind::Function,
            _ => CompletionKind::Constant,
        };
        let detail = doc.as_ref().filter(|d| !d.args.is_empty()).map(|d| d.signature(name));
        self.add(name, kind, detail, doc.map(|d| d.doc));
        if DEPRECATED_BUILTINS.contains(&name) {
            if let Some(last) = self.items.last_mut().filter(|i| i.label == name) {
                last.deprecated = true;
            }
        }
    }

    pub(super) fn keyword(&mut self, keyword: &str) {
        self.add(keyword, CompletionKind::Keyword, None, None);
    }

    pub(super) fn property(&mut self, label: &str, detail: Option<&str>, doc: Option<&str>) {
        self.add(label, CompletionKind::Property, detail.map(str::to_string), doc.map(str::to_string));
    }
}

/// Builtins Nix keeps for compatibility, with a better way to write them.
const DEPRECATED_BUILTINS: &[&str] = &["isNull", "toPath"];
