//! Go to definition: a name's lexical definition, the input an argument of `outputs` stands
//! for, the attribute `inherit (e) x` takes when `e` is a set written in a `let`, and the file
//! a relative path literal points at.

use super::cursor::{def_at, ident_at, node_at};
use super::flake;
use super::types::NavTarget;
use crate::ide::analysis::{Analysis, FileContext};
use crate::syntax::scope::Resolution;
use crate::syntax::{
    attrpath_attrs, binding_parts, static_attr_name, strip_parens, SyntaxKind, SyntaxNode, TextRange,
    TextSize,
};
use SyntaxKind::*;

pub fn goto_definition(analysis: &Analysis, ctx: &FileContext, offset: TextSize) -> Vec<NavTarget> {
    let root = analysis.root();
    if let Some(target) = path_target(&root, ctx, offset) {
        return vec![target];
    }
    if let Some(ident) = ident_at(&root, offset) {
        if let Some(model) = analysis.flake() {
            if let Some(name) = flake::input_named_by(analysis, model, &ident) {
                // From the argument itself or `inputs.<name>` to the declaration; a use of
                // the argument goes to the argument, as any other name does.
                let at_use = analysis.names().refs.iter().any(|r| r.range == ident.text_range());
                if !at_use {
                    if let Some((full_range, focus_range)) = flake::input_declaration(&root, model, &name) {
                        if focus_range != ident.text_range() {
                            return vec![NavTarget { file: None, full_range, focus_range }];
                        }
                    }
                }
            }
        }
        if let Some(inherit) = ident.parent().filter(|p| p.kind() == NODE_INHERIT) {
            if let Some(from) = inherit.children().find(|c| c.kind() == NODE_INHERIT_FROM) {
                return inherited_attribute(analysis, &root, &from, &ident.text().to_string())
                    .into_iter()
                    .collect();
            }
        }
    }
    let Some(def) = def_at(analysis, offset) else { return Vec::new() };
    let d = &analysis.names().defs[def];
    vec![NavTarget { file: None, full_range: d.binding_range, focus_range: d.name_range }]
}

/// `inherit (e) x`: the binding of `x` in `e`, when `e` is a set written out, directly or as
/// the value of a `let` or `rec` binding. Anything else needs evaluation.
fn inherited_attribute(
    analysis: &Analysis,
    root: &SyntaxNode,
    from: &SyntaxNode,
    name: &str,
) -> Option<NavTarget> {
    let mut source = strip_parens(from.children().next()?);
    if source.kind() == NODE_IDENT {
        let names = analysis.names();
        let reference = names.refs.iter().find(|r| r.range == source.text_range())?;
        let Resolution::Def(d) = reference.resolution else { return None };
        let value = names.defs[d].value_range?;
        source = strip_parens(node_at(root, value)?);
    }
    if source.kind() != NODE_ATTR_SET {
        return None;
    }
    for entry in source.children() {
        match entry.kind() {
            NODE_ATTRPATH_VALUE => {
                let Some(first) = binding_parts(&entry).0.and_then(|p| attrpath_attrs(&p).next()) else {
                    continue;
                };
                if static_attr_name(&first).as_deref() == Some(name) {
                    return Some(NavTarget {
                        file: None,
                        full_range: entry.text_range(),
                        focus_range: first.text_range(),
                    });
                }
            }
            NODE_INHERIT => {
                for attr in entry.children().filter(|c| c.kind() != NODE_INHERIT_FROM) {
                    if static_attr_name(&attr).as_deref() == Some(name) {
                        return Some(NavTarget {
                            file: None,
                            full_range: entry.text_range(),
                            focus_range: attr.text_range(),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// A path literal without interpolation under the cursor, resolved against the file's
/// directory: the file, or a directory's `default.nix` (what `import` reads), when it exists.
fn path_target(root: &SyntaxNode, ctx: &FileContext, offset: TextSize) -> Option<NavTarget> {
    if offset > root.text_range().end() {
        return None;
    }
    let token = root.token_at_offset(offset).find(|t| matches!(t.kind(), TOKEN_PATH_REL | TOKEN_PATH_ABS))?;
    let node = token.parent().filter(|p| matches!(p.kind(), NODE_PATH_REL | NODE_PATH_ABS))?;
    if node.children_with_tokens().count() != 1 {
        return None; // `./x/${name}`: only known when evaluated.
    }
    let file = ctx.existing_file(token.text())?;
    Some(NavTarget {
        file: Some(file),
        full_range: TextRange::empty(0.into()),
        focus_range: TextRange::empty(0.into()),
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::show;
    use super::*;
    use crate::ide::fixture::cursor;
    use crate::ide::FileKind;
    use expect_test::{expect, Expect};

    fn check_in(kind: FileKind, ctx: &FileContext, fixture: &str, expect: Expect) {
        let (text, offset) = cursor(fixture);
        let analysis = Analysis::of(&text, kind);
        let targets = goto_definition(&analysis, ctx, offset);
        let out: Vec<String> = targets
            .iter()
            .map(|t| match &t.file {
                Some(file) => {
                    // Relative to the test's temporary directory.
                    let parts: Vec<String> =
                        file.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
                    let start =
                        parts.iter().position(|p| p.starts_with("flake-lsp-goto")).map_or(0, |i| i + 1);
                    format!("file {}", parts[start..].join("/"))
                }
                None => format!("{} in {}", show(&text, t.focus_range), show(&text, t.full_range)),
            })
            .collect();
        expect.assert_eq(&out.join("\n"));
    }

    fn check(fixture: &str, expect: Expect) {
        check_in(FileKind::Nix, &FileContext::default(), fixture, expect)
    }

    fn check_flake(fixture: &str, expect: Expect) {
        check_in(FileKind::Flake, &FileContext::default(), fixture, expect)
    }

    #[test]
    fn let_bindings_and_their_uses() {
        check("let a = 1; b = a$0 + 1; in b", expect![[r#"1:5 "a" in 1:5 "a = 1;""#]]);
        check("let a = 1; b = $0a + 1; in b", expect![[r#"1:5 "a" in 1:5 "a = 1;""#]]);
        check("let a$0 = 1; in a", expect![[r#"1:5 "a" in 1:5 "a = 1;""#]]);
        check(
            "let\n  s = \"é ü\"; /* ☃ */ a = 1;\n  b = a$0;\nin b",
            expect![[r#"2:22 "a" in 2:22 "a = 1;""#]],
        );
    }

    #[test]
    fn formals_pattern_names_and_parameters() {
        check("{ a, b ? a$0 }: b", expect![[r#"1:3 "a" in 1:3 "a""#]]);
        check("args @ { a ? 1 }: args$0.a", expect![[r#"1:1 "args" in 1:1 "args @""#]]);
        check("{ a ? 1 }@args: args$0", expect![[r#"1:11 "args" in 1:10 "@args""#]]);
        check("x: y: x$0", expect![[r#"1:1 "x" in 1:1 "x""#]]);
    }

    #[test]
    fn inherit_goes_to_the_outer_definition() {
        check("x: let inherit x$0; in x", expect![[r#"1:1 "x" in 1:1 "x""#]]);
        check("x: let inherit x; in x$0", expect![[r#"1:16 "x" in 1:8 "inherit x;""#]]);
        check("x: { inherit x$0; }", expect![[r#"1:1 "x" in 1:1 "x""#]]);
    }

    #[test]
    fn inherit_from_a_set_written_out() {
        check(
            "let s = { a = 1; inherit b; }; in { inherit (s) a$0; }",
            expect![[r#"1:11 "a" in 1:11 "a = 1;""#]],
        );
        check(
            "let s = { a = 1; inherit b; }; in { inherit (s) b$0; }",
            expect![[r#"1:26 "b" in 1:18 "inherit b;""#]],
        );
        check("let inherit ({ a.b = 1; }) a$0; in a", expect![[r#"1:16 "a" in 1:16 "a.b = 1;""#]]);
        check("p: { inherit (p) a$0; }", expect![[""]]);
        check("let s = { }; in { inherit (s) a$0; }", expect![[""]]);
    }

    #[test]
    fn nothing_for_builtins_with_names_and_attributes() {
        check("map$0", expect![[""]]);
        check("with p; x$0", expect![[""]]);
        check("{ a$0 = 1; }", expect![[""]]);
        check("p: p.a$0", expect![[""]]);

        check("$0", expect![[""]]);
        check("let a = 1; in$0", expect![[""]]);
    }

    #[test]
    fn broken_code() {
        check("let a = 1; b = a$0", expect![[r#"1:5 "a" in 1:5 "a = 1;""#]]);
        check("{ a, b ? a$0", expect![[r#"1:3 "a" in 1:3 "a""#]]);
    }

    #[test]
    fn inputs_of_a_flake() {
        let flake = r#"{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs";
  inputs.utils = { url = "github:numtide/flake-utils"; };
  outputs = { self, nixpkgs$0, utils }@inputs: { x = inputs.utils; y = nixpkgs; };
}"#;
        check_flake(
            flake,
            expect![[r#"2:10 "nixpkgs" in 2:3 "inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";""#]],
        );
        let select = flake.replace("nixpkgs$0", "nixpkgs").replace("inputs.utils;", "inputs.utils$0;");
        check_flake(
            &select,
            expect![[r#"3:10 "utils" in 3:3 "inputs.utils = { url = \"github:numtide/flake-utils\"; };""#]],
        );
        // A use of the argument goes to the argument.
        let use_ = flake.replace("nixpkgs$0", "nixpkgs").replace("y = nixpkgs", "y = nixpkgs$0");
        check_flake(&use_, expect![[r#"4:21 "nixpkgs" in 4:21 "nixpkgs""#]]);
        // An argument that is not declared is its own definition; `self` too.
        check_flake("{ outputs = { self, other$0 }: { }; }", expect![[r#"1:21 "other" in 1:21 "other""#]]);
        check_flake("{ outputs = { self$0 }: { }; }", expect![[r#"1:15 "self" in 1:15 "self""#]]);
        // `outputs` taking the inputs as one parameter.
        check_flake(
            "{ inputs.a.url = \"path:./a\"; outputs = inputs: inputs.a$0.x; }",
            expect![[r#"1:10 "a" in 1:3 "inputs.a.url = \"path:./a\";""#]],
        );
        // Outside flake.nix nothing is special.
        check(flake, expect![[r#"4:21 "nixpkgs" in 4:21 "nixpkgs""#]]);
    }

    #[test]
    fn relative_paths_to_files_and_directories() {
        let dir = std::env::temp_dir().join(format!("flake-lsp-goto-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::create_dir_all(dir.join("empty")).unwrap();
        std::fs::write(dir.join("foo.nix"), "1").unwrap();
        std::fs::write(dir.join("sub/default.nix"), "2").unwrap();
        let ctx = FileContext::for_path(&dir.join("sub/default.nix"));
        let top = FileContext::for_path(&dir.join("flake.nix"));
        check_in(FileKind::Nix, &top, "import ./foo.nix$0", expect![["file foo.nix"]]);
        check_in(FileKind::Nix, &top, "import $0./sub", expect![["file sub/default.nix"]]);
        check_in(FileKind::Nix, &ctx, "import ../foo$0.nix", expect![["file foo.nix"]]);
        check_in(FileKind::Nix, &top, "import ./empty$0", expect![[""]]);
        check_in(FileKind::Nix, &top, "import ./missing.nix$0", expect![[""]]);
        check_in(FileKind::Nix, &top, "n: import ./sub/${n}$0", expect![[""]]);
        // Without a file on disk, relative paths lead nowhere.
        check("import ./foo.nix$0", expect![[""]]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
