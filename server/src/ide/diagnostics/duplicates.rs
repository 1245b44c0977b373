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
use crate::syntax::{
    attrpath_attrs, binding_parts, static_attr_name, strip_parens, SyntaxKind, SyntaxNode, TextRange,
};
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
    // Over the green tree: a cursor only for a set not already built as the value of another.
    crate::syntax::tokens::for_each_node(root, |kind, range, _, node| {
        if matches!(kind, NODE_ATTR_SET | NODE_LET_IN | NODE_LEGACY_LET) && !seen.contains(&range) {
            build(&node(), &mut seen, out);
        }
    });
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

fn value_of(value: Option<SyntaxNode>, seen: &mut HashSet<TextRange>, out: &mut Vec<Diagnostic>) -> Value {
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
}
