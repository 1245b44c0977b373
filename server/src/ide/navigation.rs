//! Navigation: definitions, references, highlights, rename.

use std::path::PathBuf;

use super::{Analysis, FileContext, TextEdit};
use crate::syntax::{TextRange, TextSize};

/// Where a definition is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NavTarget {
    /// Another file (a path literal's target); `None` for this file.
    pub file: Option<PathBuf>,
    /// The whole definition (a binding, a formal with its default); empty for a file.
    pub full_range: TextRange,
    /// The name to select.
    pub focus_range: TextRange,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HighlightKind {
    /// Where the name is defined.
    Write,
    /// Where it is used.
    Read,
}

/// Why a rename cannot be done, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenameError(pub String);

pub fn goto_definition(_analysis: &Analysis, _ctx: &FileContext, _offset: TextSize) -> Vec<NavTarget> {
    Vec::new()
}

/// Every place the name at `offset` refers to the same definition; with the definition itself
/// when `include_declaration`.
pub fn references(_analysis: &Analysis, _offset: TextSize, _include_declaration: bool) -> Vec<TextRange> {
    Vec::new()
}

pub fn highlights(_analysis: &Analysis, _offset: TextSize) -> Vec<(TextRange, HighlightKind)> {
    Vec::new()
}

/// The name a rename at `offset` would change, or why it cannot be renamed.
pub fn prepare_rename(_analysis: &Analysis, _offset: TextSize) -> Result<TextRange, RenameError> {
    Err(RenameError("not implemented".into()))
}

pub fn rename(
    _analysis: &Analysis,
    _offset: TextSize,
    _new_name: &str,
) -> Result<Vec<TextEdit>, RenameError> {
    Err(RenameError("not implemented".into()))
}
