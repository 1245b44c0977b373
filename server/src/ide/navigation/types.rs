//! What navigation returns.

use std::path::PathBuf;

use crate::syntax::TextRange;

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
