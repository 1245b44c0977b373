//! Code actions: quick fixes for diagnostics, each an edit that keeps the file parsing and
//! meaning the same.

use super::{Analysis, Code, DiagnosticsConfig, FileContext, TextEdit};
use crate::syntax::TextRange;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    QuickFix,
    Refactor,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub title: String,
    pub kind: ActionKind,
    pub edits: Vec<TextEdit>,
    /// The diagnostic this fixes: its code and range.
    pub fixes: Option<(Code, TextRange)>,
    /// The one to apply when the editor applies a fix without asking.
    pub preferred: bool,
}

/// Actions for the part of the file in `range`.
pub fn code_actions(
    _analysis: &Analysis,
    _ctx: &FileContext,
    _config: &DiagnosticsConfig,
    _range: TextRange,
) -> Vec<Action> {
    Vec::new()
}
