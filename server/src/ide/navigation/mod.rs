//! Navigation: definitions, references, highlights, rename.
//!
//! All of it rests on the file's name resolution (`syntax::scope`): a name under the cursor is
//! either a reference (resolved to a definition, a builtin, a `with`, or nothing) or the name
//! of a definition. `flake` adds what only a `flake.nix` knows: an argument of `outputs`
//! stands for the input of the same name.

mod definition;
pub(crate) mod flake;
mod references;
mod rename;

use std::path::PathBuf;

pub use definition::goto_definition;
pub use references::{highlights, references};
pub use rename::{prepare_rename, rename};

use crate::ide::analysis::Analysis;
use crate::syntax::scope::{DefId, NameResolution, Resolution};
use crate::syntax::{SyntaxKind, SyntaxNode, TextRange, TextSize};

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

/// The identifier under the cursor (`NODE_IDENT`), also when the cursor is just after it.
pub(crate) fn ident_at(root: &SyntaxNode, offset: TextSize) -> Option<SyntaxNode> {
    if offset > root.text_range().end() {
        return None;
    }
    let mut found = None;
    for token in root.token_at_offset(offset) {
        if token.kind() == SyntaxKind::TOKEN_IDENT {
            // When two names touch the offset (impossible in valid Nix, but cheap to decide),
            // the one starting there wins.
            found = Some(token);
        }
    }
    found?.parent().filter(|p| p.kind() == SyntaxKind::NODE_IDENT)
}

/// What a name under the cursor is, in terms of name resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameAt {
    /// A use of a name (index into `refs`); `inherit x;` is one too.
    Ref(usize),
    /// The name of a definition.
    Def(DefId),
}

/// The name at `offset`: a reference first (`inherit x;` in a `let` both reads the outer `x`
/// and defines one; the reference is what a user points at), else a definition, also one
/// whose name is written as a string (`"a" = 1;` in a `let`).
pub(crate) fn name_at(analysis: &Analysis, offset: TextSize) -> Option<(NameAt, TextRange)> {
    let names = analysis.names();
    if let Some(ident) = ident_at(&analysis.root(), offset) {
        let range = ident.text_range();
        if let Some(i) = names.refs.iter().position(|r| r.range == range) {
            return Some((NameAt::Ref(i), range));
        }
        if let Some(d) = names.defs.iter().position(|d| d.name_range == range) {
            return Some((NameAt::Def(d), range));
        }
        return None;
    }
    let d = names.defs.iter().position(|d| d.name_range.contains_inclusive(offset))?;
    Some((NameAt::Def(d), names.defs[d].name_range))
}

/// The definition a name at `offset` refers to or defines, if it is lexical.
pub(crate) fn def_at(analysis: &Analysis, offset: TextSize) -> Option<DefId> {
    match name_at(analysis, offset)?.0 {
        NameAt::Def(d) => Some(d),
        NameAt::Ref(i) => match analysis.names().refs[i].resolution {
            Resolution::Def(d) => Some(d),
            _ => None,
        },
    }
}

/// The definitions that are one name: those of the same name in the same scope. Nix merges
/// `a.b = 1; a.c = 2;` into one `a`, and references resolve to the first.
pub(crate) fn def_group(names: &NameResolution, def: DefId) -> Vec<DefId> {
    let d = &names.defs[def];
    names.scopes[d.scope].defs.iter().copied().filter(|&o| names.defs[o].name == d.name).collect()
}

/// The 1-based line of `offset`, as people count lines.
pub(crate) fn line_of(text: &str, offset: TextSize) -> usize {
    let end = usize::from(offset).min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// The node a range covers exactly, or the smallest one around it.
pub(crate) use crate::syntax::covering_node as node_at;

#[cfg(test)]
pub(crate) mod test_util {
    use crate::syntax::{TextRange, TextSize};

    /// `line:col "text"` for a range, 1-based, columns in characters.
    pub(crate) fn show(text: &str, range: TextRange) -> String {
        let (line, col) = line_col(text, range.start());
        let covered = text.get(std::ops::Range::<usize>::from(range)).unwrap_or("<not a char boundary>");
        format!("{line}:{col} {covered:?}")
    }

    fn line_col(text: &str, offset: TextSize) -> (usize, usize) {
        let before = &text[..usize::from(offset)];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        (line, col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::{FileContext, FileKind};

    /// Every feature at every offset (and one past the end) of texts that are broken, empty,
    /// or not ASCII: nothing panics.
    #[test]
    fn every_offset_is_safe() {
        let texts = [
            "",
            "let",
            "let a = ",
            "{ a, b ? a, ... }@args: with args; [ a b c \"é☃\" ./x/${a} ]",
            "x: let inherit x; inherit (x) y; in rec { z = y; inherit z; }",
            "{\n  inputs.n.url = \"github:a/b\";\r\n  outputs = { self, n }@i: i.n // { packages = 1; };\n}",
            "{ outputs = { self, ... }: (import ./. { }).eachDefaultSystem (s: { devShell = 1; }); ",
        ];
        let ctx = FileContext::default();
        for text in texts {
            for kind in [FileKind::Nix, FileKind::Flake] {
                let analysis = Analysis::of(text, kind);
                for offset in 0..=text.len() as u32 + 1 {
                    let offset = TextSize::from(offset);
                    goto_definition(&analysis, &ctx, offset);
                    references(&analysis, offset, true);
                    highlights(&analysis, offset);
                    let _ = prepare_rename(&analysis, offset);
                    if let Ok(edits) = rename(&analysis, offset, "renamed") {
                        crate::ide::apply_edits(text, &edits);
                    }
                    crate::ide::hover::hover(&analysis, &ctx, offset);
                }
            }
        }
    }
}
