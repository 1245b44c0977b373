//! Formatting: built in (alejandra) or an external command the user configures.

use super::TextEdit;
use crate::syntax::TextRange;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Formatter {
    /// alejandra, linked into flake-lsp.
    #[default]
    Builtin,
    /// A program that reads Nix on stdin and writes it formatted on stdout (`nixfmt`, …).
    Command(Vec<String>),
}

/// Why formatting did not happen, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(pub String);

/// Edits that format `text`; empty when it is formatted already. With `range`, only the
/// smallest expression that covers it, when the formatter can.
pub fn format(
    _text: &str,
    _formatter: &Formatter,
    _range: Option<TextRange>,
) -> Result<Vec<TextEdit>, FormatError> {
    Err(FormatError("not implemented".into()))
}
