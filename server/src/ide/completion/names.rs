//! The names visible at the cursor, found by walking up from it: each enclosing `let`,
//! `rec { }` and lambda adds its names, and each enclosing `with` whose attributes can be
//! known without evaluation adds those. The walk visits only the cursor's ancestors and
//! their bindings, so it costs the same in a 1 MB file as in a small one.

use super::packages::{set_path, Bound};
use crate::syntax::{
    attrpath_attrs, binding_parts, is_rec, static_attr_name, strip_parens, SyntaxKind, SyntaxNode, TextRange,
    TextSize,
};
use SyntaxKind::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    Let,
    Inherited,
    RecAttr,
    LambdaParam,
    Formal,
    PatBind,
}

impl Origin {
    pub(super) fn describe(self) -> &'static str {
        match self {
            Origin::Let => "let binding",
            Origin::Inherited => "inherited",
            Origin::RecAttr => "rec attribute",
            Origin::LambdaParam => "parameter",
            Origin::Formal => "formal",
            Origin::PatBind => "formals set",
        }
    }

    pub(super) fn is_parameter(self) -> bool {
        matches!(self, Origin::LambdaParam | Origin::Formal | Origin::PatBind)
    }
}

#[derive(Debug, Clone)]
pub(super) struct Name {
    pub(super) name: String,
    /// Where the name is written where it is bound.
    pub(super) range: TextRange,
    pub(super) origin: Origin,
    /// The value bound to it, when written there (`a = value;`).
    pub(super) value: Option<SyntaxNode>,
}

/// What a `with` brings into scope, when known.
#[derive(Debug, Clone)]
pub(super) enum WithNames {
    /// The attributes of a set written out.
    Keys(Vec<String>),
    /// `with builtins;`.
    Builtins,
    /// `with pkgs;`: the packages of nixpkgs' set at this path (empty for the top).
    Packages(Vec<String>),
}

#[derive(Debug, Default)]
pub(super) struct Visible {
    /// Lexically bound names, innermost scope first, each scope in source order.
    pub(super) names: Vec<Name>,
    /// What the enclosing `with`s bring, innermost first.
    pub(super) withs: Vec<WithNames>,
}

impl Visible {
    /// The names visible inside `anchor` (an expression or the node holding the cursor).
    pub(super) fn at(anchor: Option<&SyntaxNode>, offset: TextSize) -> Visible {
        let mut visible = Visible::default();
        // The `with`s met, and how many names were bound inside each: the names it may
        // refer to are the ones found after that.
        let mut withs: Vec<(SyntaxNode, usize)> = Vec::new();
        for node in anchor.into_iter().flat_map(SyntaxNode::ancestors) {
            match node.kind() {
                NODE_LAMBDA => lambda_names(&node, &mut visible.names),
                NODE_LET_IN => bindings(&node, Origin::Let, &mut visible.names),
                NODE_LEGACY_LET => bindings(&node, Origin::RecAttr, &mut visible.names),
                NODE_ATTR_SET if is_rec(&node) => bindings(&node, Origin::RecAttr, &mut visible.names),
                NODE_WITH if in_with_body(&node, offset) => {
                    if let Some(namespace) = node.children().next() {
                        withs.push((namespace, visible.names.len()));
                    }
                }
                _ => {}
            }
        }
        for (namespace, inner) in withs {
            let outer = visible.names.get(inner..).unwrap_or_default();
            if let Some(names) = with_names(&namespace, outer) {
                visible.withs.push(names);
            }
        }
        visible
    }

    /// Whether `name` is bound lexically (so `builtins` may not be the builtin one).
    pub(super) fn binds(&self, name: &str) -> bool {
        self.names.iter().any(|n| n.name == name)
    }
}

/// Whether `offset` is in the body of `with e; body`, not in `e`.
fn in_with_body(with: &SyntaxNode, offset: TextSize) -> bool {
    let semicolon = with.children_with_tokens().find(|e| e.kind() == TOKEN_SEMICOLON);
    semicolon.is_some_and(|s| s.text_range().end() <= offset)
}

fn lambda_names(lambda: &SyntaxNode, out: &mut Vec<Name>) {
    let Some(param) = lambda.children().next() else { return };
    match param.kind() {
        NODE_IDENT_PARAM => {
            if let Some(ident) = param.children().find(|c| c.kind() == NODE_IDENT) {
                out.push(plain(&ident, Origin::LambdaParam));
            }
        }
        NODE_PATTERN => {
            for part in param.children() {
                let origin = match part.kind() {
                    NODE_PAT_ENTRY => Origin::Formal,
                    NODE_PAT_BIND => Origin::PatBind,
                    _ => continue,
                };
                if let Some(ident) = part.children().next().filter(|c| c.kind() == NODE_IDENT) {
                    out.push(plain(&ident, origin));
                }
            }
        }
        _ => {}
    }
}

fn plain(ident: &SyntaxNode, origin: Origin) -> Name {
    Name { name: ident.text().to_string(), range: ident.text_range(), origin, value: None }
}

/// The names a `let`, `rec { }` or legacy `let { }` binds.
fn bindings(node: &SyntaxNode, origin: Origin, out: &mut Vec<Name>) {
    for entry in node.children() {
        match entry.kind() {
            NODE_ATTRPATH_VALUE => {
                let (path, value) = binding_parts(&entry);
                let Some(path) = path else { continue };
                let mut attrs = attrpath_attrs(&path);
                let Some(first) = attrs.next() else { continue };
                let Some(name) = static_attr_name(&first) else { continue };
                let single = attrs.next().is_none();
                out.push(Name { name, range: first.text_range(), origin, value: value.filter(|_| single) });
            }
            NODE_INHERIT => {
                for attr in entry.children().filter(|c| c.kind() != NODE_INHERIT_FROM) {
                    if let Some(name) = static_attr_name(&attr) {
                        out.push(Name {
                            name,
                            range: attr.text_range(),
                            origin: Origin::Inherited,
                            value: None,
                        });
                    }
                }
            }
            _ => {}
        }
    }
}

/// The attributes `with namespace;` brings, when they can be known without evaluation: a
/// set written out, `builtins`, or a name bound (in `outer`) to one of those.
fn with_names(namespace: &SyntaxNode, outer: &[Name]) -> Option<WithNames> {
    let namespace = strip_parens(namespace.clone());
    let resolve = |ident: &SyntaxNode| {
        let name = ident.text().to_string();
        match outer.iter().find(|n| n.name == name) {
            Some(Name { value: Some(value), .. }) => Bound::Value(value.clone()),
            Some(_) => Bound::Unknown,
            None => Bound::Unbound,
        }
    };
    if let Some(path) = set_path(&namespace, &resolve) {
        return Some(WithNames::Packages(path));
    }
    match namespace.kind() {
        NODE_ATTR_SET => Some(WithNames::Keys(set_keys(&namespace))),
        NODE_IDENT => {
            let name = namespace.text().to_string();
            match outer.iter().find(|n| n.name == name) {
                Some(bound) => {
                    let value = strip_parens(bound.value.clone()?);
                    match value.kind() {
                        NODE_ATTR_SET => Some(WithNames::Keys(set_keys(&value))),
                        NODE_IDENT
                            if value.text() == "builtins" && !outer.iter().any(|n| n.name == "builtins") =>
                        {
                            Some(WithNames::Builtins)
                        }
                        _ => None,
                    }
                }
                None if name == "builtins" => Some(WithNames::Builtins),
                None => None,
            }
        }
        _ => None,
    }
}

/// How the identifier `ident` is bound where it is written (seen from `offset`).
pub(super) fn bound(ident: &SyntaxNode, offset: TextSize) -> Bound {
    let name = ident.text().to_string();
    let visible = Visible::at(Some(ident), offset.min(ident.text_range().start()));
    match visible.names.iter().find(|n| n.name == name) {
        Some(Name { value: Some(value), .. }) => Bound::Value(value.clone()),
        Some(_) => Bound::Unknown,
        None => Bound::Unbound,
    }
}

/// The static names of the attributes a set written out defines, in source order.
pub(super) fn set_keys(set: &SyntaxNode) -> Vec<String> {
    let mut out = Vec::new();
    for entry in set.children() {
        match entry.kind() {
            NODE_ATTRPATH_VALUE => {
                let first = binding_parts(&entry).0.and_then(|p| attrpath_attrs(&p).next());
                if let Some(name) = first.as_ref().and_then(static_attr_name) {
                    out.push(name);
                }
            }
            NODE_INHERIT => {
                out.extend(
                    entry
                        .children()
                        .filter(|c| c.kind() != NODE_INHERIT_FROM)
                        .filter_map(|a| static_attr_name(&a)),
                );
            }
            _ => {}
        }
    }
    out
}
