//! Documents as text and trees: line index, parsing, names and scopes. Free of LSP types.

pub mod builtins;
pub mod line_index;
pub mod parse;
pub mod pieces;
pub mod scope;
pub mod tokens;

pub use line_index::{LineCol, LineIndex, PositionEncoding};
pub use parse::{node_with, SyntaxError, SyntaxErrorKind};
pub use pieces::{parse, parse_after, Parsed};
pub use rnix::{SyntaxKind, SyntaxNode, SyntaxToken, TextRange, TextSize};

/// Where a node is (its kind and range), to find it again in a tree of the same text:
/// `SyntaxNode`s cannot cross threads, so what is cached on an `Analysis` keeps these and
/// each feature finds the nodes in its own cursor over the tree (`ptr.to_node(&root)`).
pub type NodePtr = rowan::ast::SyntaxNodePtr<rnix::NixLanguage>;

use rnix::ast::{self, InterpolPart};
use rowan::ast::AstNode;

/// The name an attribute stands for when it is known without evaluation: `a`, `"a"`, and
/// `${"a"}` (Nix treats a plain string inside `${ }` as a static name too).
pub fn static_attr_name(attr: &SyntaxNode) -> Option<String> {
    match attr.kind() {
        SyntaxKind::NODE_IDENT => Some(ident_text(attr)),
        SyntaxKind::NODE_STRING => plain_string(attr),
        SyntaxKind::NODE_DYNAMIC => {
            let inner = attr.children().next()?;
            match inner.kind() {
                SyntaxKind::NODE_STRING => plain_string(&inner),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The name of a `NODE_IDENT`, read from its one token (cheaper than the node's text, which
/// walks the tree).
pub fn ident_text(ident: &SyntaxNode) -> String {
    match green_ident_text(ident.green()) {
        Some(text) => text.to_string(),
        None => ident.text().to_string(),
    }
}

/// The text of a green node of one token (a `NODE_IDENT`'s name), read without a cursor.
pub fn green_ident_text(ident: &rowan::GreenNodeData) -> Option<&str> {
    let mut children = ident.children();
    match (children.next(), children.next()) {
        (Some(rowan::NodeOrToken::Token(token)), None) => Some(token.text()),
        _ => None,
    }
}

/// The value of a string literal without interpolations.
pub fn plain_string(node: &SyntaxNode) -> Option<String> {
    // rnix asserts that a string holds only its parts: an unterminated one, which holds an
    // error node, would panic in `normalized_parts`.
    let well_formed = node.children_with_tokens().all(|c| {
        use SyntaxKind::*;
        matches!(c.kind(), NODE_INTERPOL | TOKEN_STRING_START | TOKEN_STRING_CONTENT | TOKEN_STRING_END)
    });
    if !well_formed {
        return None;
    }
    let s = ast::Str::cast(node.clone())?;
    let mut out = String::new();
    for part in s.normalized_parts() {
        match part {
            InterpolPart::Literal(text) => out.push_str(text.as_ref()),
            InterpolPart::Interpolation(_) => return None,
        }
    }
    Some(out)
}

/// Whether an attribute set is `rec { … }`.
pub fn is_rec(set: &SyntaxNode) -> bool {
    // Over the green children: no cursor per child.
    let rec = <rnix::NixLanguage as rowan::Language>::kind_to_raw(SyntaxKind::TOKEN_REC);
    set.green().children().any(|c| c.as_token().is_some_and(|t| t.kind() == rec))
}

/// Skips parentheses around an expression, as Nix's own syntax tree has none.
pub fn strip_parens(mut node: SyntaxNode) -> SyntaxNode {
    while node.kind() == SyntaxKind::NODE_PAREN {
        match node.children().next() {
            Some(inner) => node = inner,
            None => break,
        }
    }
    node
}

/// The attribute nodes of an attrpath (`a.${b}."c"` gives three).
pub fn attrpath_attrs(attrpath: &SyntaxNode) -> impl Iterator<Item = SyntaxNode> {
    attrpath.children().filter(|n| {
        matches!(n.kind(), SyntaxKind::NODE_IDENT | SyntaxKind::NODE_STRING | SyntaxKind::NODE_DYNAMIC)
    })
}

/// The children of a binding (`a.b = v;`): its attrpath and value.
pub fn binding_parts(binding: &SyntaxNode) -> (Option<SyntaxNode>, Option<SyntaxNode>) {
    let b = ast::AttrpathValue::cast(binding.clone());
    match b {
        Some(b) => (b.attrpath().map(|p| p.syntax().clone()), b.value().map(|v| v.syntax().clone())),
        None => (None, None),
    }
}

/// `f a b c` as `f` and `[a, b, c]`.
pub fn apply_chain(apply: &SyntaxNode) -> (SyntaxNode, Vec<SyntaxNode>) {
    let mut args = Vec::new();
    let mut current = apply.clone();
    while current.kind() == SyntaxKind::NODE_APPLY {
        let mut children = current.children();
        let (Some(function), Some(arg)) = (children.next(), children.next()) else { break };
        args.push(arg);
        current = strip_parens(function);
    }
    args.reverse();
    (current, args)
}

/// The name a function is called by, the last name of its path: `mkShell` for `mkShell`,
/// `pkgs.mkShell` and `(pkgs.mkShell)`, and for a call given fewer arguments than it takes
/// (`eachSystem` for `flake-utils.lib.eachSystem [ … ]`), the function's.
pub fn function_name(function: &SyntaxNode) -> Option<String> {
    let mut head = strip_parens(function.clone());
    while head.kind() == SyntaxKind::NODE_APPLY {
        head = strip_parens(head.children().next()?);
    }
    match head.kind() {
        SyntaxKind::NODE_IDENT => Some(head.text().to_string()),
        SyntaxKind::NODE_SELECT => {
            let path = head.children().find(|c| c.kind() == SyntaxKind::NODE_ATTRPATH)?;
            attrpath_attrs(&path).last().and_then(|a| static_attr_name(&a))
        }
        _ => None,
    }
}

/// The smallest node covering `range`, found from any node of the same tree (`None` when the
/// range is outside the tree).
pub fn covering_node(anchor: &SyntaxNode, range: TextRange) -> Option<SyntaxNode> {
    let root = anchor.ancestors().last()?;
    if !root.text_range().contains_range(range) {
        return None;
    }
    match root.covering_element(range) {
        rowan::NodeOrToken::Node(n) => Some(n),
        rowan::NodeOrToken::Token(t) => t.parent(),
    }
}
