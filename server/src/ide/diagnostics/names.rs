//! Checks on names and small forms: undefined and unused names, `with`, `rec`, empty
//! `let`/`inherit`, URL literals, computed names where Nix needs static ones, literals Nix
//! refuses.

use super::code::{Code, Diagnostic};
use crate::syntax::scope::{DefKind, NameResolution, Resolution, ScopeKind};
use crate::syntax::{attrpath_attrs, static_attr_name, SyntaxKind, SyntaxNode, TextRange};
use SyntaxKind::*;

/// What name resolution tells: undefined and unused names, `with`s and `rec`s.
pub(super) fn check_names(names: &NameResolution, skip_formals_of: &[TextRange], out: &mut Vec<Diagnostic>) {
    for r in &names.refs {
        if r.resolution == Resolution::Undefined && !r.in_error {
            out.push(Diagnostic::new(Code::UndefinedName, r.range, format!("undefined name `{}`", r.name)));
        }
    }
    unused(names, skip_formals_of, out);
    for w in names.withs.iter().filter(|w| !w.used) {
        out.push(Diagnostic::new(
            Code::UnusedWith,
            w.header,
            "unused `with`: every name in its body is bound elsewhere",
        ));
    }
}

/// What the tree alone tells: empty `let`s and `inherit`s, patterns, names Nix needs static,
/// URL literals and literals out of range. Needs no name resolution, so it can run beside it.
pub(super) fn check_forms(root: &SyntaxNode, out: &mut Vec<Diagnostic>) {
    // Over the green tree: a cursor only for the nodes a check looks into.
    crate::syntax::tokens::for_each_node(root, |kind, _, green, node| {
        let check: fn(&SyntaxNode, &mut Vec<Diagnostic>) = match kind {
            NODE_LET_IN => let_in,
            NODE_INHERIT => inherit,
            NODE_PATTERN => pattern,
            NODE_ATTRPATH if has_indented_string(green) => indented_string_names,
            _ => return,
        };
        if let Some(node) = node() {
            check(&node, out);
        }
    });
    crate::syntax::tokens::for_each_token(root, |kind, text, range| match kind {
        TOKEN_URI => out.push(Diagnostic::new(
            Code::DeprecatedUriLiteral,
            range,
            format!("URL literals are deprecated: write \"{text}\""),
        )),
        TOKEN_INTEGER if text.parse::<i64>().is_err() => out.push(Diagnostic::new(
            Code::InvalidLiteral,
            range,
            format!("integer `{text}` is too large for Nix (64-bit signed)"),
        )),
        TOKEN_FLOAT if !text.parse::<f64>().is_ok_and(f64::is_finite) => {
            out.push(Diagnostic::new(Code::InvalidLiteral, range, format!("float `{text}` is out of range")))
        }
        _ => {}
    });
}

fn unused(names: &NameResolution, skip_formals_of: &[TextRange], out: &mut Vec<Diagnostic>) {
    let usage = names.usage();
    for (id, def) in names.defs.iter().enumerate() {
        if def.name.starts_with('_') || usage[id].1 {
            continue;
        }
        // A second definition of a name in one scope is reported as a duplicate instead.
        let scope_defs = &names.scopes[def.scope].defs;
        if scope_defs.iter().any(|&other| other < id && names.defs[other].name == def.name) {
            continue;
        }
        let scope = &names.scopes[def.scope];
        // In a legacy `let { }`, `body` is the result, the rest are bindings.
        let binding = def.kind == DefKind::Let
            || (def.kind == DefKind::RecAttr && scope.kind == ScopeKind::LegacyLet && def.name != "body");
        // Dropping a formal is safe only when `...` accepts it anyway.
        let droppable_formal = matches!(def.kind, DefKind::Formal | DefKind::PatBind)
            && scope.has_ellipsis
            && !skip_formals_of.contains(&scope.range);
        if binding {
            out.push(Diagnostic::new(
                Code::UnusedBinding,
                def.name_range,
                format!("`{}` is defined but never used", def.name),
            ));
        } else if droppable_formal {
            out.push(Diagnostic::new(
                Code::UnusedFormal,
                def.name_range,
                format!("argument `{}` is never used", def.name),
            ));
        }
    }
    for scope in names.scopes.iter().filter(|s| s.kind == ScopeKind::Rec) {
        let used = scope.defs.iter().any(|&d| usage[d].0);
        if !used {
            if let Some(keyword) = scope.keyword {
                out.push(Diagnostic::new(
                    Code::UnusedRec,
                    keyword,
                    "unnecessary `rec`: no attribute refers to another",
                ));
            }
        }
    }
}

fn let_in(node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
    let entries: Vec<SyntaxNode> =
        node.children().filter(|c| matches!(c.kind(), NODE_ATTRPATH_VALUE | NODE_INHERIT)).collect();
    if entries.is_empty() {
        let start = node.text_range().start();
        let end = node
            .children_with_tokens()
            .find(|e| e.kind() == TOKEN_IN)
            .map(|e| e.text_range().end())
            .unwrap_or(node.text_range().end());
        out.push(Diagnostic::new(Code::EmptyLet, TextRange::new(start, end), "empty `let in`"));
    }
    for entry in entries.iter().filter(|e| e.kind() == NODE_ATTRPATH_VALUE) {
        let first =
            entry.children().find(|c| c.kind() == NODE_ATTRPATH).and_then(|p| attrpath_attrs(&p).next());
        if let Some(first) = first {
            if static_attr_name(&first).is_none() {
                out.push(Diagnostic::new(
                    Code::DynamicAttributeInLet,
                    first.text_range(),
                    "computed names are not allowed in `let`",
                ));
            }
        }
    }
}

fn inherit(node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
    let mut attrs = node.children().filter(|c| c.kind() != NODE_INHERIT_FROM).peekable();
    if attrs.peek().is_none() {
        out.push(Diagnostic::new(Code::EmptyInherit, node.text_range(), "`inherit` without names"));
    }
    for attr in attrs {
        if static_attr_name(&attr).is_none() {
            out.push(Diagnostic::new(
                Code::DynamicAttributeInLet,
                attr.text_range(),
                "computed names are not allowed in `inherit`",
            ));
        }
    }
}

/// Whether an attrpath has a name written as an indented string (read from its green node).
fn has_indented_string(attrpath: &rowan::GreenNodeData) -> bool {
    use rowan::Language;
    let kind = |k| rnix::NixLanguage::kind_to_raw(k);
    attrpath.children().filter_map(|c| c.into_node()).any(|attr| {
        attr.kind() == kind(NODE_STRING)
            && attr.children().next().and_then(|t| t.into_token()).is_some_and(|t| t.text() == "''")
    })
}

/// Nix accepts `"a"` as an attribute name but not `''a''`.
fn indented_string_names(attrpath: &SyntaxNode, out: &mut Vec<Diagnostic>) {
    for attr in attrpath_attrs(attrpath).filter(|a| a.kind() == NODE_STRING) {
        if attr.first_token().is_some_and(|t| t.text() == "''") {
            out.push(Diagnostic::new(
                Code::SyntaxError,
                attr.text_range(),
                "an indented string ('' … '') cannot be an attribute name: use \"…\"",
            ));
        }
    }
}

/// `{ a, a }: …` and `a @ { a }: …`: Nix refuses a name bound twice by one pattern.
fn pattern(node: &SyntaxNode, out: &mut Vec<Diagnostic>) {
    let mut seen: Vec<(String, TextRange)> = Vec::new();
    let mut idents: Vec<SyntaxNode> = Vec::new();
    for part in node.children() {
        if matches!(part.kind(), NODE_PAT_ENTRY | NODE_PAT_BIND) {
            idents.extend(part.children().next().filter(|c| c.kind() == NODE_IDENT));
        }
    }
    idents.sort_by_key(|i| i.text_range().start());
    for ident in idents {
        let name = ident.text().to_string();
        match seen.iter().find(|(n, _)| *n == name) {
            Some((_, first)) => out.push(
                Diagnostic::new(
                    Code::DuplicatedFormal,
                    ident.text_range(),
                    format!("duplicated formal argument `{name}`"),
                )
                .with_related(*first, format!("`{name}` is first bound here")),
            ),
            None => seen.push((name, ident.text_range())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::check;
    use expect_test::expect;

    #[test]
    fn undefined_names_but_not_under_with() {
        check(
            "{ a = b; c = with x; [ d ]; e = builtins.map; }",
            expect![[r#"
                1:7 error undefined_name: undefined name `b`
                1:19 error undefined_name: undefined name `x`
            "#]],
        );
    }

    #[test]
    fn unused_let_binding_and_self_reference() {
        check(
            "let a = 1; f = n: f n; _ignored = 2; used = 3; in used",
            expect![[r#"
                1:5 warning unused_binding: `a` is defined but never used
                1:12 warning unused_binding: `f` is defined but never used
            "#]],
        );
    }

    #[test]
    fn unused_with() {
        check(
            "p: with p; [ p ]",
            expect![[r#"
                1:4 warning unused_with: unused `with`: every name in its body is bound elsewhere
            "#]],
        );
        check("p: with p; [ q ]", expect![""]);
    }

    #[test]
    fn unused_formals_only_with_ellipsis() {
        check(
            "[ ({ a, b, ... }: a) ({ a, b }: a) (args @ { a, ... }: a) (x: 1) ]",
            expect![[r#"
                1:9 hint unused_formal: argument `b` is never used
                1:37 hint unused_formal: argument `args` is never used
            "#]],
        );
    }

    #[test]
    fn duplicated_formals() {
        check(
            "[ ({ a, a }: a) (a @ { a, ... }: a) ({ b }@b: b) ]",
            expect![[r#"
                1:9 error duplicated_formal: duplicated formal argument `a`
                1:24 error duplicated_formal: duplicated formal argument `a`
                1:44 error duplicated_formal: duplicated formal argument `b`
            "#]],
        );
    }

    #[test]
    fn unused_rec() {
        check(
            "[ rec { a = 1; b = 2; } rec { a = 1; b = a; } ]",
            expect![[r#"
                1:3 warning unused_rec: unnecessary `rec`: no attribute refers to another
            "#]],
        );
    }

    #[test]
    fn empty_let_and_inherit_and_uri() {
        check(
            "let in { inherit; u = http://example.org/a; }",
            expect![[r#"
                1:1 warning empty_let: empty `let in`
                1:10 warning empty_inherit: `inherit` without names
                1:23 warning deprecated_uri_literal: URL literals are deprecated: write "http://example.org/a"
            "#]],
        );
    }

    #[test]
    fn computed_names_in_let_and_literals() {
        check(
            "let ${\"a\"} = 1; ${x} = 2; in [ a 9223372036854775808 ./a/ ]",
            expect![[r#"
                1:17 error dynamic_attribute: computed names are not allowed in `let`
                1:19 error undefined_name: undefined name `x`
                1:34 error invalid_literal: integer `9223372036854775808` is too large for Nix (64-bit signed)
                1:54 error syntax_error: a path cannot end with `/`: `./a/`
            "#]],
        );
    }
}
