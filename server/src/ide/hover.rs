//! Hover: builtins, bindings, flake schema keys, inputs with what `flake.lock` says.

use super::{Analysis, FileContext};
use crate::syntax::{TextRange, TextSize};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hover {
    /// What the hover is about (the name under the cursor).
    pub range: TextRange,
    /// Markdown.
    pub markdown: String,
}

pub fn hover(_analysis: &Analysis, _ctx: &FileContext, _offset: TextSize) -> Option<Hover> {
    None
}
