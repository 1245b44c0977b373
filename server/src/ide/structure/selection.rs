//! Selection ranges ("expand selection"): from the token under the cursor out to the file.
//!
//! Each step is a token or a node of the syntax tree; a range equal to the previous step is
//! skipped. One extra step: a string's content without its quotes, before the whole string.

use rowan::TokenAtOffset;

use crate::ide::analysis::Analysis;
use crate::syntax::{SyntaxKind, SyntaxNode, SyntaxToken, TextRange, TextSize};
use SyntaxKind::*;

/// For each offset, the ranges that contain it from the innermost out.
pub fn selection_ranges(analysis: &Analysis, offsets: &[TextSize]) -> Vec<Vec<TextRange>> {
    let root = analysis.root();
    offsets.iter().map(|&offset| ranges_at(&root, offset)).collect()
}

fn ranges_at(root: &SyntaxNode, offset: TextSize) -> Vec<TextRange> {
    let offset = offset.min(root.text_range().end());
    let mut out: Vec<TextRange> = Vec::new();
    let mut push = |range: TextRange| {
        if out.last() != Some(&range) {
            out.push(range);
        }
    };
    let token = pick(root.token_at_offset(offset));
    let mut node = match &token {
        Some(token) => {
            if token.kind() != TOKEN_WHITESPACE {
                push(token.text_range());
            }
            token.parent()
        }
        None => Some(root.clone()),
    };
    while let Some(current) = node {
        if current.kind() == NODE_STRING {
            if let Some(content) = string_content(&current) {
                push(content);
            }
        }
        push(current.text_range());
        node = current.parent();
    }
    out
}

/// Between two tokens, the one the user most likely means: a name or literal over
/// punctuation, anything over white space, the right one when both are alike.
fn pick(found: TokenAtOffset<SyntaxToken>) -> Option<SyntaxToken> {
    fn rank(token: &SyntaxToken) -> u8 {
        match token.kind() {
            TOKEN_IDENT | TOKEN_STRING_CONTENT | TOKEN_INTEGER | TOKEN_FLOAT | TOKEN_URI | TOKEN_PATH_ABS
            | TOKEN_PATH_REL | TOKEN_PATH_HOME | TOKEN_PATH_SEARCH => 3,
            TOKEN_WHITESPACE => 0,
            TOKEN_COMMENT => 1,
            _ => 2,
        }
    }
    match found {
        TokenAtOffset::None => None,
        TokenAtOffset::Single(token) => Some(token),
        TokenAtOffset::Between(left, right) => Some(if rank(&left) > rank(&right) { left } else { right }),
    }
}

/// Between the quotes of a string, when there is something there.
fn string_content(string: &SyntaxNode) -> Option<TextRange> {
    let start = string.first_token().filter(|t| t.kind() == TOKEN_STRING_START)?.text_range().end();
    let end = string.last_token().filter(|t| t.kind() == TOKEN_STRING_END)?.text_range().start();
    (start < end).then(|| TextRange::new(start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::cursor;
    use crate::ide::structure::test_util::excerpt;
    use crate::ide::FileKind;
    use expect_test::{expect, Expect};

    fn check(fixture: &str, expect: Expect) {
        let (text, offset) = cursor(fixture);
        let analysis = Analysis::of(&text, FileKind::Nix);
        let found = selection_ranges(&analysis, &[offset]);
        assert_eq!(found.len(), 1);
        let out: String = found[0].iter().map(|r| format!("{r:?} `{}`\n", excerpt(&text, *r))).collect();
        for pair in found[0].windows(2) {
            assert!(pair[1].contains_range(pair[0]) && pair[0] != pair[1], "{pair:?}");
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn from_a_name_out() {
        check(
            "{ a = { b = f x$0; }; }",
            expect![[r#"
                14..15 `x`
                12..15 `f x`
                8..16 `b = f x;`
                6..18 `{ b = f x; }`
                2..19 `a = { b = f x; };`
                0..21 `{ a = { b = f x; }; }`
            "#]],
        );
        // At the end of a name, the name rather than the `;` after it.
        check(
            "let abc$0; in abc",
            expect![[r#"
                4..7 `abc`
                4..15 `abc; in abc`
                0..15 `let abc; in abc`
            "#]],
        );
    }

    #[test]
    fn strings_select_their_content_first() {
        check(
            r#"{ s = "héllo ${na$0me} world"; }"#,
            expect![[r#"
                16..20 `name`
                14..21 `${name}`
                7..27 `héllo ${name} world`
                6..28 `"héllo ${name} world"`
                2..29 `s = "héllo ${name} world";`
                0..31 `{ s = "héllo ${name} world"; }`
            "#]],
        );
        check(
            r#"{ s = "a$0b"; }"#,
            expect![[r#"
                7..9 `ab`
                6..10 `"ab"`
                2..11 `s = "ab";`
                0..13 `{ s = "ab"; }`
            "#]],
        );
    }

    #[test]
    fn edges() {
        check(
            "$0",
            expect![[r#"
            0..0 ``
        "#]],
        );
        check(
            "$0{ }",
            expect![[r#"
            0..1 `{`
            0..3 `{ }`
        "#]],
        );
        check(
            "{ }\n$0",
            expect![[r#"
            0..4 `{ }⏎`
        "#]],
        );
        check(
            "{ a = [ 1 $0",
            expect![[r#"
            0..10 `{ a = [ 1 `
        "#]],
        );
    }

    #[test]
    fn offsets_past_the_end_are_clamped() {
        let analysis = Analysis::of("a", FileKind::Nix);
        let found = selection_ranges(&analysis, &[100.into(), 0.into()]);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].last(), Some(&TextRange::new(0.into(), 1.into())));
    }
}
