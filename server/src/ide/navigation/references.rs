//! References and highlights: every place a name means the same thing.
//!
//! For a lexical definition that is its name (with the other bindings Nix merges into it) and
//! every reference resolved to it. For a builtin, a name left to `with`, or an undefined name,
//! it is every use of the same name that resolves the same way.

use super::cursor::{def_group, name_at, NameAt};
use super::types::HighlightKind;
use crate::ide::analysis::Analysis;
use crate::syntax::scope::Resolution;
use crate::syntax::{TextRange, TextSize};

/// Every place the name at `offset` refers to the same definition; with the definition itself
/// when `include_declaration`.
pub fn references(analysis: &Analysis, offset: TextSize, include_declaration: bool) -> Vec<TextRange> {
    occurrences(analysis, offset)
        .into_iter()
        .filter(|(_, kind)| include_declaration || *kind == HighlightKind::Read)
        .map(|(range, _)| range)
        .collect()
}

pub fn highlights(analysis: &Analysis, offset: TextSize) -> Vec<(TextRange, HighlightKind)> {
    occurrences(analysis, offset)
}

/// Definitions (`Write`) and uses (`Read`) of the name at `offset`, in text order. A place
/// that is both (`inherit x;` in a `let` reads the outer `x` and defines one) is listed once,
/// as what it is for the name asked about.
fn occurrences(analysis: &Analysis, offset: TextSize) -> Vec<(TextRange, HighlightKind)> {
    let names = analysis.names();
    let Some((at, _)) = name_at(analysis, offset) else { return Vec::new() };
    let resolution = match at {
        NameAt::Def(d) => Resolution::Def(d),
        NameAt::Ref(i) => names.refs[i].resolution,
    };
    let mut out: Vec<(TextRange, HighlightKind)> = match resolution {
        Resolution::Def(d) => {
            let group = def_group(names, d);
            let mut out: Vec<(TextRange, HighlightKind)> =
                group.iter().map(|&g| (names.defs[g].name_range, HighlightKind::Write)).collect();
            for r in &names.refs {
                if matches!(r.resolution, Resolution::Def(x) if group.contains(&x)) {
                    out.push((r.range, HighlightKind::Read));
                }
            }
            out
        }
        other => {
            let NameAt::Ref(i) = at else { return Vec::new() };
            let name = &names.refs[i].name;
            names
                .refs
                .iter()
                .filter(|r| &r.name == name && r.resolution == other)
                .map(|r| (r.range, HighlightKind::Read))
                .collect()
        }
    };
    out.sort_by_key(|(range, kind)| (range.start(), range.end(), *kind == HighlightKind::Read));
    out.dedup_by_key(|(range, _)| *range);
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_util::show;
    use super::*;
    use crate::ide::fixture::cursor;
    use crate::ide::FileKind;
    use expect_test::{expect, Expect};

    fn check_highlights(fixture: &str, expect: Expect) {
        let (text, offset) = cursor(fixture);
        let analysis = Analysis::of(&text, FileKind::Nix);
        let out: Vec<String> = highlights(&analysis, offset)
            .into_iter()
            .map(|(range, kind)| format!("{kind:?} {}", show(&text, range)))
            .collect();
        expect.assert_eq(&out.join("\n"));
    }

    fn check_references(fixture: &str, include_declaration: bool, expect: Expect) {
        let (text, offset) = cursor(fixture);
        let analysis = Analysis::of(&text, FileKind::Nix);
        let out: Vec<String> = references(&analysis, offset, include_declaration)
            .into_iter()
            .map(|range| show(&text, range))
            .collect();
        expect.assert_eq(&out.join("\n"));
    }

    #[test]
    fn definition_and_uses() {
        check_highlights(
            "let a$0 = 1; b = a + a; in let a = 2; in a",
            expect![[r#"
                Write 1:5 "a"
                Read 1:16 "a"
                Read 1:20 "a""#]],
        );
        check_references(
            "let a = 1; b = a$0 + a; in b",
            true,
            expect![[r#"
            1:5 "a"
            1:16 "a"
            1:20 "a""#]],
        );
        check_references(
            "let a = 1; b = a$0 + a; in b",
            false,
            expect![[r#"
            1:16 "a"
            1:20 "a""#]],
        );
    }

    #[test]
    fn formals_defaults_and_pattern_names() {
        check_highlights(
            "args@{ a, b ? a$0 }: a + args.a",
            expect![[r#"
                Write 1:8 "a"
                Read 1:15 "a"
                Read 1:20 "a""#]],
        );
        check_highlights(
            "args@{ a }: args$0.a",
            expect![[r#"
            Write 1:1 "args"
            Read 1:13 "args""#]],
        );
    }

    #[test]
    fn inherit_reads_outside_and_defines_inside() {
        // On `inherit x`: the outer `x`, read there.
        check_highlights(
            "x: let inherit x$0; y = x; in x",
            expect![[r#"
                Write 1:1 "x"
                Read 1:16 "x""#]],
        );
        // On a use inside: the `x` the `inherit` defines.
        check_highlights(
            "x: let inherit x; y = x$0; in x",
            expect![[r#"
                Write 1:16 "x"
                Read 1:23 "x"
                Read 1:29 "x""#]],
        );
    }

    #[test]
    fn merged_bindings_are_one_name() {
        check_highlights(
            "let a.b = 1; a.c = 2; in a$0",
            expect![[r#"
                Write 1:5 "a"
                Write 1:14 "a"
                Read 1:26 "a""#]],
        );
    }

    #[test]
    fn builtins_with_names_and_undefined_names() {
        check_highlights(
            "[ map$0 map (let map = 1; in map) ]",
            expect![[r#"
            Read 1:3 "map"
            Read 1:7 "map""#]],
        );
        check_highlights(
            "with p; [ a$0 a b ]",
            expect![[r#"
            Read 1:11 "a"
            Read 1:13 "a""#]],
        );
        check_highlights(
            "[ u$0 u ]",
            expect![[r#"
            Read 1:3 "u"
            Read 1:5 "u""#]],
        );
    }

    #[test]
    fn nothing_here() {
        check_highlights("$0", expect![[""]]);
        check_highlights("{ a$0 = 1; }", expect![[""]]);
        check_highlights("\"str$0ing\"", expect![[""]]);
        check_highlights(
            "let a = 1; in a$0\n",
            expect![[r#"
            Write 1:5 "a"
            Read 1:15 "a""#]],
        );
        check_highlights(
            "let a = 1; b = a$0",
            expect![[r#"
            Write 1:5 "a"
            Read 1:16 "a""#]],
        );
    }
}
