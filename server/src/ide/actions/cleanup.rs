//! Fixes that remove what is unused or empty. Each removal leaves the rest of the file as it
//! was: what is removed is never evaluated, so the meaning stays.

use super::fix::{node_at, File, Fix};
use super::text::{delete_entry, delete_prefix, entries, merge};
use crate::ide::edit::TextEdit;
use crate::syntax::scope::{DefKind, Definition};
use crate::syntax::{attrpath_attrs, binding_parts, static_attr_name, SyntaxKind, SyntaxNode, TextRange};
use SyntaxKind::*;

/// The definition whose name is at `range`.
fn definition<'a>(file: &'a File, range: TextRange) -> Option<&'a Definition> {
    file.analysis.names().defs.iter().find(|d| d.name_range == range)
}

/// "Remove unused binding `x`": every binding of `x` in its `let`, or its name in an
/// `inherit`; the whole `let … in` when nothing else is left in it.
pub(super) fn unused_binding(file: &File, range: TextRange) -> Vec<Fix> {
    let Some(def) = definition(file, range) else { return Vec::new() };
    let names = file.analysis.names();
    let scope_range = names.scopes[def.scope].range;
    let Some(scope) = node_at(&file.root, scope_range, &[NODE_LET_IN, NODE_LEGACY_LET]) else {
        return Vec::new();
    };
    let all = entries(&scope);
    let doomed: Vec<SyntaxNode> = if def.inherited {
        let Some(inherit) = all.iter().find(|e| e.text_range() == def.binding_range) else {
            return Vec::new();
        };
        let inherited: Vec<SyntaxNode> =
            inherit.children().filter(|c| c.kind() != NODE_INHERIT_FROM).collect();
        if inherited.len() > 1 {
            let Some(name) = inherited.iter().find(|n| n.text_range() == range) else { return Vec::new() };
            let edit = delete_entry(file.text, name.text_range());
            return vec![Fix::preferred(format!("Remove unused binding `{}`", def.name), vec![edit])];
        }
        vec![inherit.clone()]
    } else {
        all.iter()
            .filter(|e| e.kind() == NODE_ATTRPATH_VALUE && first_name(e).as_deref() == Some(&def.name))
            .cloned()
            .collect()
    };
    if doomed.is_empty() {
        return Vec::new();
    }
    let edits = remove_entries(file, &scope, &all, &doomed);
    vec![Fix::preferred(format!("Remove unused binding `{}`", def.name), edits)]
}

/// The static name a binding starts with.
fn first_name(binding: &SyntaxNode) -> Option<String> {
    let path = binding_parts(binding).0?;
    let first = attrpath_attrs(&path).next()?;
    static_attr_name(&first)
}

/// Removes `doomed` from the entries of `scope`; when they are all its entries and it is a
/// `let … in`, the `let … in` goes and its body takes its place.
fn remove_entries(
    file: &File,
    scope: &SyntaxNode,
    all: &[SyntaxNode],
    doomed: &[SyntaxNode],
) -> Vec<TextEdit> {
    if scope.kind() == NODE_LET_IN && all.len() == doomed.len() {
        if let Some(header) = let_header(scope) {
            return vec![delete_prefix(file.text, header)];
        }
    }
    merge(doomed.iter().map(|e| delete_entry(file.text, e.text_range())).collect())
}

/// `let … in` of a `let` expression: from `let` to `in`, both included.
fn let_header(let_in: &SyntaxNode) -> Option<TextRange> {
    let in_token = let_in.children_with_tokens().find(|e| e.kind() == TOKEN_IN)?;
    Some(TextRange::new(let_in.text_range().start(), in_token.text_range().end()))
}

/// "Remove unused argument `x`": a formal with its comma, or the `@` name.
pub(super) fn unused_formal(file: &File, range: TextRange) -> Vec<Fix> {
    let Some(def) = definition(file, range) else { return Vec::new() };
    let Some(node) = node_at(&file.root, def.binding_range, &[NODE_PAT_ENTRY, NODE_PAT_BIND]) else {
        return Vec::new();
    };
    let remove = match def.kind {
        DefKind::PatBind => node.text_range(),
        DefKind::Formal => {
            let comma = |dir| {
                node.siblings_with_tokens(dir)
                    .skip(1)
                    .find(|e| !matches!(e.kind(), TOKEN_WHITESPACE | TOKEN_COMMENT))
                    .filter(|e| e.kind() == TOKEN_COMMA)
                    .map(|e| e.text_range())
            };
            match (comma(rowan::Direction::Next), comma(rowan::Direction::Prev)) {
                (Some(next), _) => node.text_range().cover(next),
                (None, Some(prev)) => node.text_range().cover(prev),
                (None, None) => node.text_range(),
            }
        }
        _ => return Vec::new(),
    };
    let edit = delete_entry(file.text, remove);
    vec![Fix::preferred(format!("Remove unused argument `{}`", def.name), vec![edit])]
}

/// "Remove `with e;`".
pub(super) fn unused_with(file: &File, range: TextRange) -> Vec<Fix> {
    let Some(with) = file.analysis.names().withs.iter().find(|w| w.header == range) else {
        return Vec::new();
    };
    let header = &file.text[usize::from(with.header.start())..usize::from(with.header.end())];
    let title = if header.len() <= 40 && !header.contains('\n') {
        format!("Remove unused `{header}`")
    } else {
        "Remove unused `with`".to_string()
    };
    vec![Fix::preferred(title, vec![delete_prefix(file.text, range)])]
}

/// "Remove `rec`".
pub(super) fn unused_rec(file: &File, range: TextRange) -> Vec<Fix> {
    if file.text.get(usize::from(range.start())..usize::from(range.end())) != Some("rec") {
        return Vec::new();
    }
    vec![Fix::preferred("Remove unnecessary `rec`", vec![delete_prefix(file.text, range)])]
}

/// "Remove empty `let in`".
pub(super) fn empty_let(file: &File, range: TextRange) -> Vec<Fix> {
    if !file.root.text_range().contains_range(range) {
        return Vec::new();
    }
    let node = match file.root.covering_element(range) {
        rowan::NodeOrToken::Node(n) => Some(n),
        rowan::NodeOrToken::Token(t) => t.parent(),
    };
    let let_in = node.and_then(|n| {
        n.ancestors().find(|a| a.kind() == NODE_LET_IN && a.text_range().start() == range.start())
    });
    match let_in {
        Some(node) => empty_let_node(file, &node),
        None => Vec::new(),
    }
}

fn empty_let_node(file: &File, let_in: &SyntaxNode) -> Vec<Fix> {
    if !entries(let_in).is_empty() {
        return Vec::new();
    }
    let Some(header) = let_header(let_in) else { return Vec::new() };
    vec![Fix::preferred("Remove empty `let in`", vec![delete_prefix(file.text, header)])]
}

/// "Remove empty `inherit`", and its `let` when that was all it held.
pub(super) fn empty_inherit(file: &File, range: TextRange) -> Vec<Fix> {
    let Some(inherit) = node_at(&file.root, range, &[NODE_INHERIT]) else { return Vec::new() };
    let Some(container) = inherit.parent() else { return Vec::new() };
    let all = entries(&container);
    let edits = remove_entries(file, &container, &all, &[inherit]);
    vec![Fix::preferred("Remove empty `inherit`", edits)]
}

/// "Quote the URL": `http://x` becomes `"http://x"`, which Nix reads the same.
pub(super) fn uri_literal(file: &File, range: TextRange) -> Vec<Fix> {
    let Some(uri) = file.text.get(usize::from(range.start())..usize::from(range.end())) else {
        return Vec::new();
    };
    if uri.contains(['"', '\\']) || uri.contains("${") {
        return Vec::new();
    }
    vec![Fix::preferred("Write the URL as a string", vec![TextEdit::replace(range, format!("\"{uri}\""))])]
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::tests::check;
    use expect_test::expect;

    /// Files with something to clean up, for the check with Nix's parser.
    pub(crate) const FIXTURES: &[&str] = &[
        "let a = 1; b = 2; in b",
        "let\n  a = 1;\n  # keep\n  b = 2; # b\nin\nb\n",
        "let\r\n  a = 1;\r\n  b = 2;\r\nin\r\n  b\r\n",
        "x: let inherit (x) a b c; in b",
        "x: let inherit x; in 1",
        "{ pkgs }: with pkgs; [ pkgs.hello ]",
        "rec { a = 1; b = 2; }",
        "let in { inherit; u = http://example.org/a?b=c; }",
        "let\n  inherit;\nin\n  1",
        "{ a, b ? 1, ... }: a",
        "{ a\n, b\n, ...\n}: a",
        "{\n  a, # used\n  b, # not\n  ...\n}: a",
        "args @ { a, ... }: a",
        "{ a, ... } @ args: a",
        "let a.x = 1; a.y = 2; b = 3; in b",
        "let f = x: f x; in { \"é\" = \"ü\"; }",
        "let { a = 1; body = 2; }",
    ];

    #[test]
    fn unused_binding() {
        check(
            "let $0a = 1; b = 2; in b",
            expect![[r#"
                --- Remove unused binding `a` (preferred)
                let b = 2; in b
            "#]],
        );
        check(
            "let\n  $0a = 1;\n  # keep\n  b = 2; # b\nin\nb\n",
            expect![[r#"
                --- Remove unused binding `a` (preferred)
                let
                  # keep
                  b = 2; # b
                in
                b

            "#]],
        );
        check(
            "let $0a.x = 1; a.y = 2; b = 3; in b",
            expect![[r#"
                --- Remove unused binding `a` (preferred)
                let b = 3; in b
            "#]],
        );
        check(
            "let { $0a = 1; body = 2; }",
            expect![[r#"
                --- Remove unused binding `a` (preferred)
                let { body = 2; }
            "#]],
        );
        check("let f = x: f x; in { \"é\" = \"ü\"; }$0", expect![[r#""#]]);
        check(
            "let $0f = x: f x; in { \"é\" = \"ü\"; }",
            expect![[r#"
                --- Remove unused binding `f` (preferred)
                { "é" = "ü"; }
            "#]],
        );
    }

    #[test]
    fn unused_binding_empties_the_let() {
        check(
            "x: let\r\n  $0a = 1;\r\nin\r\n  x\r\n",
            expect![[r#"
                --- Remove unused binding `a` (preferred)
                x: x\r

            "#]],
        );
        check(
            "{\n  v = let $0a = 1; in\n    # the answer\n    42;\n}",
            expect![[r#"
                --- Remove unused binding `a` (preferred)
                {
                  v = # the answer
                    42;
                }
            "#]],
        );
    }

    #[test]
    fn unused_inherit() {
        check(
            "x: let inherit (x) a $0b c; in [ a c ]",
            expect![[r#"
                --- Remove unused binding `b` (preferred)
                x: let inherit (x) a c; in [ a c ]
            "#]],
        );
        check(
            "x: let inherit (x) a b $0c; in [ a b ]",
            expect![[r#"
                --- Remove unused binding `c` (preferred)
                x: let inherit (x) a b; in [ a b ]
            "#]],
        );
        check(
            "x: let inherit $0x; y = 1; in y",
            expect![[r#"
                --- Remove unused binding `x` (preferred)
                x: let y = 1; in y
            "#]],
        );
        check(
            "x: let inherit $0x; in 1",
            expect![[r#"
                --- Remove unused binding `x` (preferred)
                x: 1
            "#]],
        );
    }

    #[test]
    fn unused_with_and_rec() {
        check(
            "{ pkgs }: $0with pkgs; [ pkgs.hello ]",
            expect![[r#"
                --- Remove unused `with pkgs;` (preferred)
                { pkgs }: [ pkgs.hello ]
            "#]],
        );
        check(
            "{ pkgs }: {\n  a = with pkgs;$0\n    [ pkgs.hello ];\n}",
            expect![[r#"
                --- Remove unused `with pkgs;` (preferred)
                { pkgs }: {
                  a = [ pkgs.hello ];
                }
            "#]],
        );
        check(
            "[ $0rec { a = 1; b = 2; } ]",
            expect![[r#"
                --- Remove unnecessary `rec` (preferred)
                [ { a = 1; b = 2; } ]
            "#]],
        );
    }

    #[test]
    fn empty_let_inherit_and_uri() {
        check(
            "$0let in { inherit; u = http://example.org/a?b=c; }$0",
            expect![[r#"
                --- Remove empty `let in` (preferred)
                { inherit; u = http://example.org/a?b=c; }
                --- Remove empty `inherit` (preferred)
                let in { u = http://example.org/a?b=c; }
                --- Write the URL as a string (preferred)
                let in { inherit; u = "http://example.org/a?b=c"; }
            "#]],
        );
        check(
            "let\n  $0inherit;\nin\n  1",
            expect![[r#"
                --- Remove empty `inherit` (preferred)
                1
            "#]],
        );
    }

    #[test]
    fn unused_formals() {
        check(
            "{ a, $0b ? 1, ... }: a",
            expect![[r#"
                --- Remove unused argument `b` (preferred)
                { a, ... }: a
            "#]],
        );
        check(
            "{ a\n, $0b\n, ...\n}: a",
            expect![[r#"
                --- Remove unused argument `b` (preferred)
                { a
                , ...
                }: a
            "#]],
        );
        check(
            "{\r\n  a, # used\r\n  $0b, # not\r\n  ...\r\n}: a",
            expect![[r#"
                --- Remove unused argument `b` (preferred)
                {\r
                  a, # used\r
                  ...\r
                }: a
            "#]],
        );
        check(
            "$0args @ { a, ... }: a",
            expect![[r#"
                --- Remove unused argument `args` (preferred)
                { a, ... }: a
            "#]],
        );
        check(
            "{ a, ... } @ $0args: a",
            expect![[r#"
                --- Remove unused argument `args` (preferred)
                { a, ... }: a
            "#]],
        );
    }
}
