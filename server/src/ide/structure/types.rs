//! What the structure features return.

use std::path::PathBuf;

use crate::syntax::TextRange;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    /// A flake input.
    Input,
    /// A flake output or an attribute whose value is an attribute set.
    Namespace,
    /// A function-valued binding.
    Function,
    /// Any other binding.
    Variable,
    /// An attribute holding a string, number, path, or other value.
    Property,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    pub range: TextRange,
    pub selection_range: TextRange,
    pub children: Vec<Symbol>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldKind {
    Comment,
    Region,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fold {
    pub range: TextRange,
    pub kind: FoldKind,
}

/// Kinds of semantic tokens, in the order of the legend the server announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Keyword,
    Comment,
    String,
    Number,
    Operator,
    Variable,
    Parameter,
    Property,
    Function,
    /// Builtin constants: `true`, `false`, `null`.
    Macro,
    /// Paths and URLs.
    Path,
    /// String escapes and `${`…`}` delimiters.
    Escape,
}

impl TokenKind {
    pub const ALL: &'static [TokenKind] = &[
        TokenKind::Keyword,
        TokenKind::Comment,
        TokenKind::String,
        TokenKind::Number,
        TokenKind::Operator,
        TokenKind::Variable,
        TokenKind::Parameter,
        TokenKind::Property,
        TokenKind::Function,
        TokenKind::Macro,
        TokenKind::Path,
        TokenKind::Escape,
    ];
}

/// Modifier bits, in the order of the legend.
pub mod modifiers {
    pub const DEFINITION: u32 = 1 << 0;
    /// A builtin (global or `builtins.x`).
    pub const BUILTIN: u32 = 1 << 1;
    pub const DEPRECATED: u32 = 1 << 2;
    /// A name left to a `with`.
    pub const WITH: u32 = 1 << 3;
    pub const NAMES: &[&str] = &["declaration", "defaultLibrary", "deprecated", "with"];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub range: TextRange,
    pub kind: TokenKind,
    pub modifiers: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    File(PathBuf),
    Url(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub range: TextRange,
    pub target: LinkTarget,
    pub tooltip: Option<String>,
}
