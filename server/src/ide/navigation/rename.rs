//! Rename of lexically bound names: `let` bindings, attributes of `rec` sets, formals, lambda
//! parameters and `@` names.
//!
//! Refused, with the reason in words: builtins, names left to `with` (their definition is only
//! known when evaluated), attribute names of sets that are not `rec` and attributes selected
//! from values (code anywhere may select them), names written as strings, and the arguments
//! of `outputs` in `flake.nix` (Nix passes inputs by name).
//!
//! A rename must not change what any name means. It is refused when the new name is already
//! defined in the same scope (collision), when a use of the renamed name would then find
//! another definition of the new name in between (capture), and when an existing use of the
//! new name (a binding further out, a builtin, a `with`) would then find the renamed one.
//!
//! `inherit x;` both reads `x` from the scope around and names an attribute or a binding
//! `x`. Renaming the outer `x` keeps that name and reads the new one: `inherit x;` becomes
//! `x = new;` (taken out of a longer `inherit a x b;`). Renaming the `x` an `inherit x;`
//! defines in a `let` or `rec` set keeps reading the outer `x`: it becomes `new = x;`.
//! `inherit (e) x;` is refused: the name must be the attribute's name.
//!
//! Renaming an attribute of a `rec` set renames the attribute too: code elsewhere that
//! selects it is not followed (that needs evaluation).

use super::cursor::{def_group, ident_at, line_of, name_at, node_at, NameAt};
use super::flake;
use super::types::RenameError;
use crate::ide::analysis::Analysis;
use crate::ide::edit::TextEdit;
use crate::syntax::scope::{DefId, NameResolution, Reference, Resolution, ScopeId, ScopeKind};
use crate::syntax::{SyntaxKind, SyntaxNode, TextRange, TextSize};
use SyntaxKind::*;

/// Words Nix reserves; `or` is one in most places, so it is refused too.
const KEYWORDS: &[&str] = &["assert", "else", "if", "in", "inherit", "let", "or", "rec", "then", "with"];

/// The name a rename at `offset` would change, or why it cannot be renamed.
pub fn prepare_rename(analysis: &Analysis, offset: TextSize) -> Result<TextRange, RenameError> {
    target(analysis, offset).map(|t| t.range)
}

pub fn rename(analysis: &Analysis, offset: TextSize, new_name: &str) -> Result<Vec<TextEdit>, RenameError> {
    validate(new_name)?;
    let target = target(analysis, offset)?;
    let names = analysis.names();
    let text = analysis.text();
    let def = &names.defs[target.def];
    let old = def.name.as_str();
    if new_name == old {
        return Ok(Vec::new());
    }
    if let Some(&other) = names.scopes[def.scope].defs.iter().find(|&&o| names.defs[o].name == new_name) {
        return Err(RenameError(format!(
            "`{new_name}` is already defined {} (line {}): the two names would collide",
            scope_words(names.scopes[def.scope].kind),
            line_of(text, names.defs[other].name_range.start()),
        )));
    }
    let uses: Vec<&Reference> = names
        .refs
        .iter()
        .filter(|r| matches!(r.resolution, Resolution::Def(d) if target.group.contains(&d)))
        .collect();
    for r in &uses {
        // A use rewritten from `inherit` sits inside its scope, so every scope around counts.
        if let Some(inner) = binding_between(names, new_name, def.scope, r.range, false) {
            return Err(RenameError(format!(
                "the use of `{old}` on line {} would then refer to the `{new_name}` defined on line {}",
                line_of(text, r.range.start()),
                line_of(text, names.defs[inner].name_range.start()),
            )));
        }
    }
    for r in names.refs.iter().filter(|r| r.name == new_name) {
        if !sees(names, def.scope, r.range)
            || binding_between(names, new_name, def.scope, r.range, true).is_some()
        {
            continue;
        }
        let now = match r.resolution {
            Resolution::Def(d) => {
                format!("the definition on line {}", line_of(text, names.defs[d].name_range.start()))
            }
            Resolution::Global => "the builtin".to_string(),
            Resolution::With => "a `with`".to_string(),
            Resolution::Undefined => "nothing (it is undefined)".to_string(),
        };
        return Err(RenameError(format!(
            "`{new_name}` on line {} refers to {now}; it would then refer to the renamed `{old}`",
            line_of(text, r.range.start()),
        )));
    }
    let root = analysis.root();
    let mut edits = Vec::new();
    for &g in &target.group {
        let d = &names.defs[g];
        if d.inherited {
            edits.extend(split_inherit(&root, d.name_range, &format!("{new_name} = {old};")));
        } else {
            edits.push(TextEdit::replace(d.name_range, new_name));
        }
    }
    for r in uses {
        if inherit_of(&root, r.range).is_some() {
            edits.extend(split_inherit(&root, r.range, &format!("{old} = {new_name};")));
        } else {
            edits.push(TextEdit::replace(r.range, new_name));
        }
    }
    Ok(edits)
}

/// What a rename at the cursor changes: a definition and the bindings merged with it.
struct Target {
    def: DefId,
    group: Vec<DefId>,
    /// The name under the cursor.
    range: TextRange,
}

fn target(analysis: &Analysis, offset: TextSize) -> Result<Target, RenameError> {
    let names = analysis.names();
    let text = analysis.text();
    let root = analysis.root();
    let (def, range) = match name_at(analysis, offset) {
        Some((NameAt::Def(d), range)) => (d, range),
        Some((NameAt::Ref(i), range)) => {
            let r = &names.refs[i];
            match r.resolution {
                Resolution::Def(d) => (d, range),
                Resolution::Global => {
                    return Err(RenameError(format!(
                        "`{}` is a Nix builtin, not defined in this file: it cannot be renamed",
                        r.name
                    )))
                }
                Resolution::With => {
                    let with = names
                        .withs
                        .iter()
                        .filter(|w| w.range.contains_range(r.range))
                        .max_by_key(|w| w.range.start());
                    let place = match with {
                        Some(w) => format!(
                            "`{}` on line {}",
                            short(text.get(std::ops::Range::<usize>::from(w.header)).unwrap_or("with")),
                            line_of(text, w.header.start())
                        ),
                        None => "a `with`".to_string(),
                    };
                    return Err(RenameError(format!(
                        "`{}` is not bound by a `let`, a `rec` set or an argument: it is left to {place}, whose attributes are only known when evaluated",
                        r.name
                    )));
                }
                Resolution::Undefined => {
                    return Err(RenameError(format!("`{}` is not defined anywhere in this file", r.name)))
                }
            }
        }
        None => return Err(not_a_name(&root, offset)),
    };
    let group = def_group(names, def);
    let d = &names.defs[def];
    for &g in &group {
        let range = names.defs[g].name_range;
        if node_at(&root, range).map(|n| n.kind()) != Some(NODE_IDENT) {
            return Err(RenameError(format!(
                "`{}` is written as a string on line {}: rename it by hand",
                d.name,
                line_of(text, range.start())
            )));
        }
        if names.defs[g].inherited {
            let from =
                inherit_of(&root, range).and_then(|i| i.children().find(|c| c.kind() == NODE_INHERIT_FROM));
            if let Some(from) = from {
                let source = from.children().next().map(|e| e.text().to_string()).unwrap_or_default();
                let simple = source.chars().all(|c| c.is_ascii_alphanumeric() || "_'-.".contains(c));
                let source = if simple { source } else { format!("({source})") };
                return Err(RenameError(format!(
                    "`{}` is taken from `{}` by `inherit` on line {}: its name must be the attribute's name (write `newName = {}.{};` to rename it)",
                    d.name,
                    short(&source),
                    line_of(text, range.start()),
                    short(&source),
                    d.name
                )));
            }
        }
    }
    if let Some(model) = analysis.flake() {
        if flake::is_outputs_formal(analysis, model, def) {
            let why = if d.name == "self" {
                "Nix passes the flake itself under this name".to_string()
            } else {
                format!(
                    "Nix passes each input under its own name, so this one must stay `{}`; to rename the input, rename it in `inputs` and here together",
                    d.name
                )
            };
            return Err(RenameError(format!("`{}` is an argument of `outputs`: {why}", d.name)));
        }
    }
    Ok(Target { def, group, range })
}

/// Why the cursor is not on a name that can be renamed.
fn not_a_name(root: &SyntaxNode, offset: TextSize) -> RenameError {
    let Some(ident) = ident_at(root, offset) else {
        return RenameError("nothing to rename here: place the cursor on a name".into());
    };
    let name = ident.text().to_string();
    let parent = ident.parent().map(|p| p.kind());
    let grandparent = ident.parent().and_then(|p| p.parent()).map(|p| p.kind());
    let message = match (parent, grandparent) {
        (Some(NODE_ATTRPATH), Some(NODE_SELECT | NODE_HAS_ATTR)) => format!(
            "`{name}` is an attribute selected from a value: which sets define it is only known when evaluated"
        ),
        (Some(NODE_ATTRPATH), _) | (Some(NODE_INHERIT), _) => format!(
            "`{name}` names an attribute of a set that is not `rec`: code anywhere may select it, so it is not renamed automatically"
        ),
        _ => format!("`{name}` cannot be renamed here"),
    };
    RenameError(message)
}

fn validate(new_name: &str) -> Result<(), RenameError> {
    let mut chars = new_name.chars();
    let valid = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '\'' | '-'));
    if !valid {
        return Err(RenameError(format!(
            "`{new_name}` is not a Nix name: a name starts with a letter or `_`, followed by letters, digits, `_`, `'` or `-`"
        )));
    }
    if KEYWORDS.contains(&new_name) {
        return Err(RenameError(format!("`{new_name}` is a keyword of Nix: it cannot name a variable")));
    }
    Ok(())
}

/// Whether a name at `range` looks names up in `scope`: it is inside, and not one of the
/// scope's own `inherit x;`, which reads from outside.
fn sees(names: &NameResolution, scope: ScopeId, range: TextRange) -> bool {
    let s = &names.scopes[scope];
    s.range.contains_range(range)
        && !s.defs.iter().any(|&d| names.defs[d].inherited && names.defs[d].name_range == range)
}

/// A definition of `name` in a scope nested in `outer` that a name at `range` would find
/// first. With `honour_inherit`, a scope's own `inherit` reads from outside it.
fn binding_between(
    names: &NameResolution,
    name: &str,
    outer: ScopeId,
    range: TextRange,
    honour_inherit: bool,
) -> Option<DefId> {
    let outer_range = names.scopes[outer].range;
    names
        .scopes
        .iter()
        .enumerate()
        .filter(|&(i, s)| i != outer && outer_range.contains_range(s.range) && s.range != outer_range)
        .filter(|&(i, s)| if honour_inherit { sees(names, i, range) } else { s.range.contains_range(range) })
        .filter_map(|(_, s)| s.defs.iter().copied().find(|&d| names.defs[d].name == name))
        .max_by_key(|&d| names.scopes[names.defs[d].scope].range.start())
}

/// The `inherit` whose name (not its `(from)`) is at `range`.
fn inherit_of(root: &SyntaxNode, range: TextRange) -> Option<SyntaxNode> {
    let attr = node_at(root, range)?;
    attr.parent().filter(|p| p.kind() == NODE_INHERIT)
}

/// Takes the name at `range` out of its `inherit` and writes `binding` instead: in place of
/// the `inherit` when it is its only name, else right after it.
fn split_inherit(root: &SyntaxNode, range: TextRange, binding: &str) -> Vec<TextEdit> {
    let Some(inherit) = inherit_of(root, range) else { return Vec::new() };
    let Some(attr) = node_at(root, range) else { return Vec::new() };
    let count = inherit.children().filter(|c| c.kind() != NODE_INHERIT_FROM).count();
    if count == 1 {
        return vec![TextEdit::replace(inherit.text_range(), binding)];
    }
    let start = match attr.prev_sibling_or_token() {
        Some(prev) if prev.kind() == TOKEN_WHITESPACE => prev.text_range().start(),
        _ => range.start(),
    };
    vec![
        TextEdit::delete(TextRange::new(start, range.end())),
        TextEdit::insert(inherit.text_range().end(), format!(" {binding}")),
    ]
}

fn scope_words(kind: ScopeKind) -> &'static str {
    match kind {
        ScopeKind::Let => "in the same `let`",
        ScopeKind::Rec => "in the same `rec` set",
        ScopeKind::LegacyLet => "in the same `let { }`",
        ScopeKind::Lambda => "among the same function's arguments",
    }
}

/// One line of code for a message, cut when long.
fn short(code: &str) -> String {
    let line = code.lines().next().unwrap_or("");
    if line.chars().count() > 40 || line.len() < code.trim_end().len() {
        let cut: String = line.chars().take(40).collect();
        format!("{}…", cut.trim_end())
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::show;
    use super::*;
    use crate::ide::fixture::cursor;
    use crate::ide::{apply_edits, FileKind};
    use expect_test::{expect, Expect};

    /// What each name means, with the renamed names made equal, so that a rename that keeps
    /// every meaning gives the same list.
    fn structure(text: &str, kind: FileKind, old: &str, new: &str) -> Vec<String> {
        let analysis = Analysis::of(text, kind);
        let names = analysis.names();
        let same = |n: &str| if n == old || n == new { "<renamed>".to_string() } else { n.to_string() };
        let mut out: Vec<String> = names
            .defs
            .iter()
            .enumerate()
            .map(|(i, d)| {
                format!("def {} {:?} used {}", same(&d.name), d.kind, names.references_to(i).count())
            })
            .collect();
        for r in names.refs.iter().filter(|r| !matches!(r.resolution, Resolution::Def(_))) {
            out.push(format!("ref {} {:?}", same(&r.name), r.resolution));
        }
        out.sort();
        out
    }

    fn check_in(kind: FileKind, fixture: &str, new_name: &str, expect: Expect) {
        let (text, offset) = cursor(fixture);
        let analysis = Analysis::of(&text, kind);
        let prepared = prepare_rename(&analysis, offset);
        let out = match rename(&analysis, offset, new_name) {
            Ok(edits) => {
                let prepared = prepared.expect("prepare_rename agrees with rename");
                let edited = apply_edits(&text, &edits);
                let old =
                    &analysis.names().defs[super::super::cursor::def_at(&analysis, offset).unwrap()].name;
                if analysis.errors().is_empty() {
                    let errors = crate::syntax::parse(&edited).errors;
                    assert!(errors.is_empty(), "{edited}\n{errors:?}");
                }
                assert_eq!(
                    structure(&text, kind, old, new_name),
                    structure(&edited, kind, old, new_name),
                    "the rename changed what names mean:\n{edited}"
                );
                format!("rename {}\n{edited}", show(&text, prepared))
            }
            Err(err) => {
                if validate(new_name).is_ok() {
                    assert_eq!(
                        prepared.err(),
                        Some(err.clone()).filter(|_| target(&analysis, offset).is_err())
                    );
                }
                format!("error: {}", err.0)
            }
        };
        expect.assert_eq(&out);
    }

    fn check(fixture: &str, new_name: &str, expect: Expect) {
        check_in(FileKind::Nix, fixture, new_name, expect)
    }

    #[test]
    fn let_bindings() {
        check(
            "let a$0 = 1; b = a + 1; in a * b",
            "count",
            expect![[r#"
                rename 1:5 "a"
                let count = 1; b = count + 1; in count * b"#]],
        );
        check(
            "let a = 1; in let b = a$0; in [ a b ]",
            "x",
            expect![[r#"
                rename 1:23 "a"
                let x = 1; in let b = x; in [ x b ]"#]],
        );
        check(
            "let a = \"é\"; in a$0 + \"ü\"",
            "x_y'-1",
            expect![[r#"
            rename 1:17 "a"
            let x_y'-1 = "é"; in x_y'-1 + "ü""#]],
        );
        check("let a$0 = 1; in a", "é", expect!["error: `é` is not a Nix name: a name starts with a letter or `_`, followed by letters, digits, `_`, `'` or `-`"]);
    }

    #[test]
    fn rec_attributes_formals_parameters_and_at_names() {
        check(
            "rec { a = 1; b = a$0; }",
            "c",
            expect![[r#"
            rename 1:18 "a"
            rec { c = 1; b = c; }"#]],
        );
        check(
            "args@{ a, b ? a$0 + 1, ... }: a + args.a",
            "z",
            expect![[r#"
                rename 1:15 "a"
                args@{ z, b ? z + 1, ... }: z + args.a"#]],
        );
        check(
            "args$0 @ { a ? 1 }: args.a",
            "all",
            expect![[r#"
                rename 1:1 "args"
                all @ { a ? 1 }: all.a"#]],
        );
        check(
            "x: y: x$0 y",
            "first",
            expect![[r#"
            rename 1:7 "x"
            first: y: first y"#]],
        );
    }

    #[test]
    fn same_name_is_no_edit_and_merged_bindings_move_together() {
        check(
            "let a$0 = 1; in a",
            "a",
            expect![[r#"
            rename 1:5 "a"
            let a = 1; in a"#]],
        );
        check(
            "let a.b = 1; a.c = 2; in a$0",
            "s",
            expect![[r#"
                rename 1:26 "a"
                let s.b = 1; s.c = 2; in s"#]],
        );
    }

    #[test]
    fn invalid_names() {
        check("let a$0 = 1; in a", "1a", expect!["error: `1a` is not a Nix name: a name starts with a letter or `_`, followed by letters, digits, `_`, `'` or `-`"]);
        check("let a$0 = 1; in a", "", expect!["error: `` is not a Nix name: a name starts with a letter or `_`, followed by letters, digits, `_`, `'` or `-`"]);
        check("let a$0 = 1; in a", "a b", expect!["error: `a b` is not a Nix name: a name starts with a letter or `_`, followed by letters, digits, `_`, `'` or `-`"]);
        check(
            "let a$0 = 1; in a",
            "then",
            expect!["error: `then` is a keyword of Nix: it cannot name a variable"],
        );
        check(
            "let a$0 = 1; in a",
            "or",
            expect!["error: `or` is a keyword of Nix: it cannot name a variable"],
        );
    }

    #[test]
    fn refused_names() {
        check(
            "map$0 f l",
            "m",
            expect!["error: `map` is a Nix builtin, not defined in this file: it cannot be renamed"],
        );
        check(
            "pkgs: with pkgs;\n  hello$0",
            "h",
            expect!["error: `hello` is not bound by a `let`, a `rec` set or an argument: it is left to `with pkgs;` on line 1, whose attributes are only known when evaluated"],
        );
        check("undefinedName$0", "u", expect!["error: `undefinedName` is not defined anywhere in this file"]);
        check(
            "{ a$0 = 1; }",
            "b",
            expect!["error: `a` names an attribute of a set that is not `rec`: code anywhere may select it, so it is not renamed automatically"],
        );
        check(
            "let a.b$0 = 1; in a",
            "c",
            expect!["error: `b` names an attribute of a set that is not `rec`: code anywhere may select it, so it is not renamed automatically"],
        );
        check(
            "p: p.a$0",
            "b",
            expect!["error: `a` is an attribute selected from a value: which sets define it is only known when evaluated"],
        );
        check(
            "let \"a\" = 1; in a$0",
            "b",
            expect!["error: `a` is written as a string on line 1: rename it by hand"],
        );
        check(
            "let s = { }; inherit (s) a; in a$0",
            "b",
            expect!["error: `a` is taken from `s` by `inherit` on line 1: its name must be the attribute's name (write `newName = s.a;` to rename it)"],
        );
        check(
            "let inherit (import ./x.nix { }) a; in a$0",
            "b",
            expect!["error: `a` is taken from `(import ./x.nix { })` by `inherit` on line 1: its name must be the attribute's name (write `newName = (import ./x.nix { }).a;` to rename it)"],
        );
        check("\"te$0xt\"", "b", expect!["error: nothing to rename here: place the cursor on a name"]);
        check("$0", "b", expect!["error: nothing to rename here: place the cursor on a name"]);
        check("1 +$0 2", "b", expect!["error: nothing to rename here: place the cursor on a name"]);
    }

    #[test]
    fn collisions() {
        check(
            "let a$0 = 1;\n  b = 2; in a + b",
            "b",
            expect!["error: `b` is already defined in the same `let` (line 2): the two names would collide"],
        );
        check(
            "{ a$0, b }: a + b",
            "b",
            expect!["error: `b` is already defined among the same function's arguments (line 1): the two names would collide"],
        );
        check(
            "args@{ a$0 }: a",
            "args",
            expect!["error: `args` is already defined among the same function's arguments (line 1): the two names would collide"],
        );
    }

    #[test]
    fn captures() {
        // A use of the renamed name would find an inner `b`.
        check(
            "let a$0 = 1; in let b = 2; in\n  a + b",
            "b",
            expect!["error: the use of `a` on line 2 would then refer to the `b` defined on line 1"],
        );
        check(
            "a$0: b: a",
            "b",
            expect!["error: the use of `a` on line 1 would then refer to the `b` defined on line 1"],
        );
        // An existing use of the new name would find the renamed binding.
        check(
            "b: let a$0 = 1; in a + b",
            "b",
            expect!["error: `b` on line 1 refers to the definition on line 1; it would then refer to the renamed `a`"],
        );
        check(
            "let f$0 = 1; in map f",
            "map",
            expect!["error: `map` on line 1 refers to the builtin; it would then refer to the renamed `f`"],
        );
        check(
            "let a$0 = 1; in with p; [ a x ]",
            "x",
            expect!["error: `x` on line 1 refers to a `with`; it would then refer to the renamed `a`"],
        );
        check(
            "let a$0 = 1; in [ a zz ]",
            "zz",
            expect!["error: `zz` on line 1 refers to nothing (it is undefined); it would then refer to the renamed `a`"],
        );
    }

    #[test]
    fn no_capture_where_names_are_shadowed_or_apart() {
        // The inner `b` shadows the new name where it is used: nothing changes meaning.
        check(
            "b: let a$0 = 1; in [ a (let b = 2; in b) ]",
            "c",
            expect![[r#"
                rename 1:8 "a"
                b: let c = 1; in [ c (let b = 2; in b) ]"#]],
        );
        check(
            "let a$0 = 1; in [ a (b: b) ]",
            "b",
            expect![[r#"
                rename 1:5 "a"
                let b = 1; in [ b (b: b) ]"#]],
        );
        // `inherit b;` of an inner `let` reads from outside that `let`: the new `b` is found.
        check(
            "let x = { }; in let a$0 = 1; in let inherit a; in a",
            "b",
            expect![[r#"
                rename 1:21 "a"
                let x = { }; in let b = 1; in let a = b; in a"#]],
        );
    }

    #[test]
    fn inherit_of_the_renamed_name_keeps_its_attribute() {
        check(
            "pkgs$0: { inherit pkgs; }",
            "p",
            expect![[r#"
                rename 1:1 "pkgs"
                p: { pkgs = p; }"#]],
        );
        check(
            "let a$0 = 1; b = 2; in { inherit b a; c = a; }",
            "z",
            expect![[r#"
                rename 1:5 "a"
                let z = 1; b = 2; in { inherit b; a = z; c = z; }"#]],
        );
        // In a `let`, `inherit a;` also defines `a`, which keeps its name.
        check(
            "a$0: let inherit a; in a",
            "z",
            expect![[r#"
                rename 1:1 "a"
                z: let a = z; in a"#]],
        );
        // The rewritten `a = z;` reads `z` inside the `let`, where another `z` is found.
        check(
            "a$0: let inherit a; z = 1; in a + z",
            "z",
            expect!["error: the use of `a` on line 1 would then refer to the `z` defined on line 1"],
        );
    }

    #[test]
    fn renaming_what_inherit_defines_keeps_reading_the_outer_name() {
        check(
            "a: let inherit a; in a$0",
            "z",
            expect![[r#"
                rename 1:22 "a"
                a: let z = a; in z"#]],
        );
        check(
            "a: b: rec { inherit b a; c = a$0; }",
            "z",
            expect![[r#"
                rename 1:30 "a"
                a: b: rec { inherit b; z = a; c = z; }"#]],
        );
    }

    #[test]
    fn flake_outputs_arguments_keep_the_inputs_names() {
        let flake = r#"{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs";
  outputs = { self, nixpkgs }@inputs: { lib = nixpkgs$0.lib; s = self; all = inputs; };
}"#;
        check_in(FileKind::Flake, flake, "np", expect!["error: `nixpkgs` is an argument of `outputs`: Nix passes each input under its own name, so this one must stay `nixpkgs`; to rename the input, rename it in `inputs` and here together"]);
        let self_ = flake.replace("nixpkgs$0", "nixpkgs").replace("s = self", "s = self$0");
        check_in(
            FileKind::Flake,
            &self_,
            "me",
            expect!["error: `self` is an argument of `outputs`: Nix passes the flake itself under this name"],
        );
        // The `@` name is the flake's own choice.
        let at = flake.replace("nixpkgs$0", "nixpkgs").replace("all = inputs", "all = inputs$0");
        check_in(
            FileKind::Flake,
            &at,
            "ins",
            expect![[r#"
            rename 3:76 "inputs"
            {
              inputs.nixpkgs.url = "github:NixOS/nixpkgs";
              outputs = { self, nixpkgs }@ins: { lib = nixpkgs.lib; s = self; all = ins; };
            }"#]],
        );
        // Outside flake.nix an argument is an argument.
        check(
            flake,
            "np",
            expect![[r#"
            rename 3:47 "nixpkgs"
            {
              inputs.nixpkgs.url = "github:NixOS/nixpkgs";
              outputs = { self, np }@inputs: { lib = np.lib; s = self; all = inputs; };
            }"#]],
        );
    }

    #[test]
    fn broken_code_is_renamed_as_far_as_it_parses() {
        check(
            "let a = 1; b = a$0",
            "c",
            expect![[r#"
            rename 1:16 "a"
            let c = 1; b = c"#]],
        );
    }
}
