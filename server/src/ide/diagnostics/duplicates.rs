//! Attributes defined twice, by the rules of Nix's parser (`addAttr` in parser.y).
//!
//! A binding `a.b.c = v` walks down `a` and `b`, creating sets where nothing is defined yet,
//! entering sets written out as literals (`{ … }`, `rec { … }`) or created by another path,
//! and failing on anything else. The last name is inserted when new; when it exists and both
//! the old and the new value are sets, they merge, recursively as Nix 2.34 does (Nix 2.8 fails
//! on any shared name inside a merge: we follow the newer, more permissive rule so that no
//! valid file gets an error). `inherit` binds a name that never merges. Computed names are
//! never compared. The same rules hold for `let`.

use std::collections::{HashMap, HashSet};

use super::code::{Code, Diagnostic};
use rnix::NixLanguage;
use rowan::ast::AstNode;
use rowan::{GreenNodeData, Language};

use crate::syntax::{static_attr_name, SyntaxKind, SyntaxNode, TextRange, TextSize};
use SyntaxKind::*;

#[derive(Default)]
struct Set {
    attrs: HashMap<String, Entry>,
}

struct Entry {
    /// Where the name was first defined.
    range: TextRange,
    value: Value,
}

enum Value {
    Set(Set),
    Other,
}

pub(super) fn check(root: &SyntaxNode, out: &mut Vec<Diagnostic>) {
    let mut seen = HashSet::new();
    // Over the green tree: a set not already built as the value of another is built here.
    crate::syntax::tokens::for_each_node(root, |kind, range, green, _| {
        if matches!(kind, NODE_ATTR_SET | NODE_LET_IN | NODE_LEGACY_LET) && !seen.contains(&range) {
            build(root, green, range.start(), &mut seen, out);
        }
    });
}

/// A green node's child nodes, with their kinds and ranges (`at`: where the node starts).
fn child_nodes(
    node: &GreenNodeData,
    at: TextSize,
) -> impl Iterator<Item = (SyntaxKind, &GreenNodeData, TextRange)> {
    let mut offset = at;
    node.children().filter_map(move |child| {
        let start = offset;
        offset += child.text_len();
        let inner = child.into_node()?;
        Some((NixLanguage::kind_from_raw(inner.kind()), inner, TextRange::at(start, inner.text_len())))
    })
}

/// The static name of an attribute (`static_attr_name`): a name read from its token, a string
/// (rare as a name) from a cursor on it.
fn name_of(root: &SyntaxNode, kind: SyntaxKind, attr: &GreenNodeData, range: TextRange) -> Option<String> {
    match kind {
        NODE_IDENT => match crate::syntax::green_ident_text(attr) {
            Some(name) => Some(name.to_string()),
            None => crate::syntax::node_with(root, range, &[kind]).and_then(|n| static_attr_name(&n)),
        },
        NODE_STRING | NODE_DYNAMIC => {
            crate::syntax::node_with(root, range, &[kind]).and_then(|n| static_attr_name(&n))
        }
        _ => None,
    }
}

type Attr<'a> = (SyntaxKind, &'a GreenNodeData, TextRange);

/// The attribute set of a set literal or a `let` (its green node, starting at `at`), reporting
/// duplicates inside it.
fn build(
    root: &SyntaxNode,
    node: &GreenNodeData,
    at: TextSize,
    seen: &mut HashSet<TextRange>,
    out: &mut Vec<Diagnostic>,
) -> Set {
    seen.insert(TextRange::at(at, node.text_len()));
    let mut set = Set::default();
    for (kind, entry, range) in child_nodes(node, at) {
        match kind {
            NODE_ATTRPATH_VALUE => {
                // As rnix's `AttrpathValue`: the first attrpath, and the first expression.
                let mut path = None;
                let mut value = None;
                for (kind, child, range) in child_nodes(entry, range.start()) {
                    if kind == NODE_ATTRPATH {
                        path = path.or(Some((child, range)));
                    } else if value.is_none() && <rnix::ast::Expr as AstNode>::can_cast(kind) {
                        value = Some((kind, child, range));
                    }
                }
                let Some((path, path_range)) = path else { continue };
                let attrs: Vec<Attr> = child_nodes(path, path_range.start())
                    .filter(|(kind, ..)| matches!(kind, NODE_IDENT | NODE_STRING | NODE_DYNAMIC))
                    .collect();
                let value = value_of(root, value, seen, out);
                if !attrs.is_empty() {
                    add_path(root, &mut set, &attrs, path_range, value, out);
                }
            }
            NODE_INHERIT => {
                for (kind, attr, range) in child_nodes(entry, range.start()) {
                    if kind == NODE_INHERIT_FROM {
                        continue;
                    }
                    if let Some(name) = name_of(root, kind, attr, range) {
                        insert(&mut set, name, range, Value::Other, out);
                    }
                }
            }
            _ => {}
        }
    }
    set
}

fn value_of(
    root: &SyntaxNode,
    value: Option<Attr>,
    seen: &mut HashSet<TextRange>,
    out: &mut Vec<Diagnostic>,
) -> Value {
    let Some((mut kind, mut node, mut range)) = value else { return Value::Other };
    // Parentheses skipped, as `strip_parens` does.
    while kind == NODE_PAREN {
        match child_nodes(node, range.start()).next() {
            Some(inner) => (kind, node, range) = inner,
            None => break,
        }
    }
    match kind {
        NODE_ATTR_SET => Value::Set(build(root, node, range.start(), seen, out)),
        _ => Value::Other,
    }
}

fn add_path(
    root: &SyntaxNode,
    set: &mut Set,
    attrs: &[Attr],
    path_range: TextRange,
    value: Value,
    out: &mut Vec<Diagnostic>,
) {
    let (&(kind, first, first_range), rest) = attrs.split_first().expect("a non-empty attrpath");
    let Some(name) = name_of(root, kind, first, first_range) else { return };
    if rest.is_empty() {
        insert(set, name, path_range, value, out);
        return;
    }
    let entry = set
        .attrs
        .entry(name.clone())
        .or_insert_with(|| Entry { range: first_range, value: Value::Set(Set::default()) });
    match &mut entry.value {
        Value::Set(inner) => add_path(root, inner, rest, path_range, value, out),
        Value::Other => out.push(duplicate(&name, path_range, entry.range)),
    }
}

fn insert(set: &mut Set, name: String, range: TextRange, value: Value, out: &mut Vec<Diagnostic>) {
    match set.attrs.get_mut(&name) {
        None => {
            set.attrs.insert(name, Entry { range, value });
        }
        Some(existing) => match (&mut existing.value, value) {
            (Value::Set(old), Value::Set(new)) => {
                let mut merged: Vec<(String, Entry)> = new.attrs.into_iter().collect();
                merged.sort_by_key(|(_, e)| e.range.start());
                for (name, entry) in merged {
                    insert(old, name, entry.range, entry.value, out);
                }
            }
            _ => out.push(duplicate(&name, range, existing.range)),
        },
    }
}

fn duplicate(name: &str, range: TextRange, first: TextRange) -> Diagnostic {
    Diagnostic::new(Code::DuplicatedAttribute, range, format!("attribute `{name}` is already defined"))
        .with_related(first, format!("`{name}` is first defined here"))
}

#[cfg(test)]
mod tests {
    use super::super::tests::check;
    use expect_test::expect;

    #[test]
    fn plain_duplicates() {
        check(
            "{ a = 1; a = 2; b.c = 1; b.c = 2; \"d\" = 1; d = 2; }",
            expect![[r#"
                1:10 error duplicated_attribute: attribute `a` is already defined
                1:26 error duplicated_attribute: attribute `c` is already defined
                1:44 error duplicated_attribute: attribute `d` is already defined
            "#]],
        );
    }

    #[test]
    fn merges_nix_accepts() {
        check(
            "{ a = { }; a.c = 1; b.x = 1; b = { y = 2; }; c = { p.q = 1; }; c = { p.r = 2; }; }",
            expect![""],
        );
    }

    #[test]
    fn merges_nix_rejects() {
        check(
            "{ a = 1; a.b = 2; c.d = 1; c = x: x; e = { f = 1; }; e = { f = 2; }; inherit ({ g = 1; }) g; g.h = 1; }",
            expect![[r#"
                1:10 error duplicated_attribute: attribute `a` is already defined
                1:28 error duplicated_attribute: attribute `c` is already defined
                1:60 error duplicated_attribute: attribute `f` is already defined
                1:94 error duplicated_attribute: attribute `g` is already defined
            "#]],
        );
    }

    #[test]
    fn let_and_computed_names() {
        check(
            "x: let a = 1; a = 2; in { ${x} = 1; ${x} = 2; inherit a; }",
            expect![[r#"
                1:15 error duplicated_attribute: attribute `a` is already defined
            "#]],
        );
    }

    /// The walk over the green tree reports what the walk with cursors (the reference, below)
    /// reports, over every file of the parser's corpus, the fuzzer's corpus and the fixtures.
    #[test]
    fn the_green_walk_reports_what_the_cursor_walk_reports() {
        for (path, text) in crate::testing::corpus_texts() {
            let root = crate::syntax::parse(&text).root;
            let (mut green, mut cursor) = (Vec::new(), Vec::new());
            super::check(&root, &mut green);
            reference::check(&root, &mut cursor);
            assert_eq!(green, cursor, "{}", path.display());
        }
    }

    /// The check as written with rowan's cursors.
    mod reference {
        use std::collections::HashSet;

        use super::super::*;
        use crate::syntax::{attrpath_attrs, binding_parts, strip_parens};

        pub(super) fn check(root: &SyntaxNode, out: &mut Vec<Diagnostic>) {
            let mut seen = HashSet::new();
            for node in root.descendants() {
                if matches!(node.kind(), NODE_ATTR_SET | NODE_LET_IN | NODE_LEGACY_LET)
                    && !seen.contains(&node.text_range())
                {
                    build(&node, &mut seen, out);
                }
            }
        }

        /// The attribute set of a set literal or a `let`, reporting duplicates inside it.
        fn build(node: &SyntaxNode, seen: &mut HashSet<TextRange>, out: &mut Vec<Diagnostic>) -> Set {
            seen.insert(node.text_range());
            let mut set = Set::default();
            for entry in node.children() {
                match entry.kind() {
                    NODE_ATTRPATH_VALUE => {
                        let (path, value) = binding_parts(&entry);
                        let Some(path) = path else { continue };
                        let attrs: Vec<SyntaxNode> = attrpath_attrs(&path).collect();
                        let value = value_of(value, seen, out);
                        if !attrs.is_empty() {
                            add_path(&mut set, &attrs, path.text_range(), value, out);
                        }
                    }
                    NODE_INHERIT => {
                        for attr in entry.children().filter(|c| c.kind() != NODE_INHERIT_FROM) {
                            if let Some(name) = static_attr_name(&attr) {
                                insert(&mut set, name, attr.text_range(), Value::Other, out);
                            }
                        }
                    }
                    _ => {}
                }
            }
            set
        }

        fn value_of(
            value: Option<SyntaxNode>,
            seen: &mut HashSet<TextRange>,
            out: &mut Vec<Diagnostic>,
        ) -> Value {
            match value.map(strip_parens) {
                Some(v) if v.kind() == NODE_ATTR_SET => Value::Set(build(&v, seen, out)),
                _ => Value::Other,
            }
        }

        fn add_path(
            set: &mut Set,
            attrs: &[SyntaxNode],
            path_range: TextRange,
            value: Value,
            out: &mut Vec<Diagnostic>,
        ) {
            let (first, rest) = attrs.split_first().expect("a non-empty attrpath");
            let Some(name) = static_attr_name(first) else { return };
            if rest.is_empty() {
                insert(set, name, path_range, value, out);
                return;
            }
            let entry = set
                .attrs
                .entry(name.clone())
                .or_insert_with(|| Entry { range: first.text_range(), value: Value::Set(Set::default()) });
            match &mut entry.value {
                Value::Set(inner) => add_path(inner, rest, path_range, value, out),
                Value::Other => out.push(duplicate(&name, path_range, entry.range)),
            }
        }
    }
}
