//! What is under the cursor: the identifier, the name it is, the definition it stands for.

use crate::ide::analysis::Analysis;
use crate::syntax::scope::{DefId, NameResolution, Resolution};
use crate::syntax::{SyntaxKind, SyntaxNode, TextRange, TextSize};

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
