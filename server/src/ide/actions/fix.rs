//! What every fix looks at (the file) and what it returns (a fix, before it is tied to its
//! diagnostic).

use crate::ide::analysis::Analysis;
use crate::ide::edit::TextEdit;
use crate::syntax::SyntaxNode;

/// What every fix looks at: the text and one cursor over its tree.
pub(crate) struct File<'a> {
    pub analysis: &'a Analysis,
    pub root: SyntaxNode,
    pub text: &'a str,
}

/// A fix before it is tied to its diagnostic.
pub(crate) struct Fix {
    pub title: String,
    pub edits: Vec<TextEdit>,
    pub preferred: bool,
}

impl Fix {
    pub fn preferred(title: impl Into<String>, edits: Vec<TextEdit>) -> Fix {
        Fix { title: title.into(), edits, preferred: true }
    }

    pub fn other(title: impl Into<String>, edits: Vec<TextEdit>) -> Fix {
        Fix { title: title.into(), edits, preferred: false }
    }
}

/// The node with exactly `range` and one of `kinds`, if there is one.
pub(crate) use crate::syntax::node_with as node_at;
