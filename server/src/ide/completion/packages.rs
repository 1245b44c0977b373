//! Which expressions are nixpkgs' package set, found from the text alone, and the completion
//! items for the packages in it.
//!
//! A package set is `import nixpkgs { … }` (anything imported whose text mentions nixpkgs),
//! `<x>.legacyPackages.<system>`, a name bound to one of those, or, when nothing says
//! otherwise, a name `pkgs` (a module's `{ pkgs, ... }:`, a function's argument). Below it,
//! `pkgs.python311Packages` and `pkgs.python311.pkgs` are nested sets, named by their path.

use super::items::{CompletionKind, Items};
use crate::pkgs::{Entry, Lookup, Package, PackageIndex, PackageRef};
use crate::syntax::{apply_chain, attrpath_attrs, static_attr_name, strip_parens, SyntaxKind, SyntaxNode};
use SyntaxKind::*;

/// How many packages one completion lists at most: the index may hold 100 000 names, and the
/// client asks again as the user types (the list is marked incomplete).
pub(crate) const MAX_ITEMS: usize = 200;

/// How deep names bound to names are followed (`p = pkgs; q = p;`).
const MAX_DEPTH: usize = 8;

/// What a name is bound to, as far as finding package sets needs.
pub(crate) enum Bound {
    /// A `let` or `rec` binding with its value.
    Value(SyntaxNode),
    /// A function's argument or formal, or an `inherit`: bound, value unknown.
    Unknown,
    /// Not bound in the file (a builtin, or from a `with`).
    Unbound,
}

/// The path below `legacyPackages.<system>` that `expr` evaluates to, when it is nixpkgs'
/// package set or a set in it (empty for the top).
pub(crate) fn set_path(expr: &SyntaxNode, resolve: &dyn Fn(&SyntaxNode) -> Bound) -> Option<Vec<String>> {
    set_path_at(expr, resolve, 0)
}

/// The path of `base.a.b` where `attrs` are `a`, `b`.
pub(crate) fn select_path(
    base: &SyntaxNode,
    attrs: &[SyntaxNode],
    resolve: &dyn Fn(&SyntaxNode) -> Bound,
) -> Option<Vec<String>> {
    select_path_at(base, attrs, resolve, 0)
}

fn set_path_at(
    expr: &SyntaxNode,
    resolve: &dyn Fn(&SyntaxNode) -> Bound,
    depth: usize,
) -> Option<Vec<String>> {
    if depth > MAX_DEPTH {
        return None;
    }
    let expr = strip_parens(expr.clone());
    match expr.kind() {
        NODE_IDENT => {
            let is_pkgs = expr.text() == "pkgs";
            match resolve(&expr) {
                Bound::Value(value) => set_path_at(&value, resolve, depth + 1)
                    .or_else(|| (is_pkgs && strip_parens(value).kind() != NODE_ATTR_SET).then(Vec::new)),
                Bound::Unknown | Bound::Unbound => is_pkgs.then(Vec::new),
            }
        }
        NODE_APPLY => {
            let (function, args) = apply_chain(&expr);
            let imports = match function.kind() {
                NODE_IDENT => function.text() == "import",
                NODE_SELECT => function.text() == "builtins.import",
                _ => false,
            };
            let of_nixpkgs = args.first().is_some_and(|a| a.text().to_string().contains("nixpkgs"));
            (imports && of_nixpkgs && args.len() <= 2).then(Vec::new)
        }
        NODE_SELECT => {
            let mut children = expr.children();
            let base = children.next()?;
            let path = children.find(|c| c.kind() == NODE_ATTRPATH)?;
            // `a.b or c` is not a set we know.
            if expr.children_with_tokens().any(|e| e.kind() == TOKEN_OR) {
                return None;
            }
            let attrs: Vec<SyntaxNode> = attrpath_attrs(&path).collect();
            select_path_at(&base, &attrs, resolve, depth)
        }
        _ => None,
    }
}

fn select_path_at(
    base: &SyntaxNode,
    attrs: &[SyntaxNode],
    resolve: &dyn Fn(&SyntaxNode) -> Bound,
    depth: usize,
) -> Option<Vec<String>> {
    let names = |attrs: &[SyntaxNode]| attrs.iter().map(static_attr_name).collect::<Option<Vec<String>>>();
    // `<anything>.legacyPackages.<system>.rest`: the system may be `${system}`.
    if let Some(at) = attrs.iter().position(|a| static_attr_name(a).as_deref() == Some("legacyPackages")) {
        if attrs.len() > at + 1 {
            return names(&attrs[at + 2..]);
        }
        return None;
    }
    let mut path = set_path_at(base, resolve, depth + 1)?;
    path.extend(names(attrs)?);
    Some(path)
}

/// Adds the packages of the set at `path` matching `typed` (the word being written).
pub(super) fn complete(acc: &mut Items, index: &PackageIndex, path: &[String], typed: &str) {
    let set = match index.set(path) {
        Lookup::Ready(set) => set,
        Lookup::Loading => {
            acc.incomplete = true;
            return;
        }
        Lookup::Missing => return,
    };
    let (names, more) = set.matching(typed, MAX_ITEMS);
    if more || !set.is_complete() {
        acc.incomplete = true;
    }
    for name in names {
        // Not in the set yet, but perhaps read by itself (hover, resolve).
        let wanted = PackageRef { path: path.to_vec(), name: name.to_string() };
        let entry = set.entry(name).or_else(|| index.details(&wanted).flatten());
        let (kind, detail, doc) = match &entry {
            Some(Entry::Package(p)) => {
                (CompletionKind::Package, p.version().map(str::to_string), Some(documentation(p)))
            }
            Some(Entry::Set) => (CompletionKind::Module, Some("package set".to_string()), None),
            Some(Entry::Other) | None => (CompletionKind::Package, None, None),
        };
        acc.add(name, kind, detail, doc);
        if entry.is_none() {
            if let Some(item) = acc.items.last_mut().filter(|i| i.label == name) {
                item.package = Some(wanted);
            }
        }
    }
}

/// What a package's completion item lacked, once its details are known (resolving the item):
/// its version and its documentation. `None` while they are not known.
pub fn resolve(index: &PackageIndex, wanted: &PackageRef) -> Option<(Option<String>, Option<String>)> {
    Some(match index.details(wanted)? {
        Some(Entry::Package(p)) => (p.version().map(str::to_string), Some(documentation(&p))),
        Some(Entry::Set) => (Some("package set".to_string()), None),
        Some(Entry::Other) | None => (None, None),
    })
}

/// The description, homepage and license, as Markdown.
pub(crate) fn documentation(p: &Package) -> String {
    let mut parts = Vec::new();
    if let Some(d) = p.description() {
        parts.push(d.trim().to_string());
    }
    let mut facts = Vec::new();
    if let Some(h) = p.homepage() {
        facts.push(format!("Homepage: <{h}>"));
    }
    if let Some(l) = p.license() {
        facts.push(format!("License: {l}"));
    }
    if !facts.is_empty() {
        parts.push(facts.join("  \n"));
    }
    parts.join("\n\n")
}
