//! Parsing with rnix, and syntax errors in words a user understands.

use rnix::{ParseError, SyntaxKind, SyntaxNode, TextRange, TextSize};

/// Why the parser refused part of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    /// Anything the grammar does not allow.
    Syntax,
    /// A formal argument named twice: `{ a, a }: a`.
    DuplicatedFormal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub kind: SyntaxErrorKind,
    pub range: TextRange,
    pub message: String,
}

/// A parsed file: the tree (always there, with error nodes where the text is broken) and the
/// errors, in text order.
#[derive(Clone)]
pub struct Parsed {
    pub root: SyntaxNode,
    pub errors: Vec<SyntaxError>,
}

pub fn parse(text: &str) -> Parsed {
    // Nix reads a file as a C string: a NUL byte ends it.
    let text = text.split('\0').next().unwrap_or("");
    let parse = rnix::Root::parse(text);
    let root = parse.syntax();
    let end = TextSize::of(text);
    let mut errors: Vec<SyntaxError> = parse.errors().iter().map(|err| convert(err, text, end)).collect();
    errors.extend(pipe_operators(&root));
    errors.extend(foreign_whitespace(&root));
    errors.extend(bare_lambdas(&root));
    errors.extend(mismatched_parentheses(&root));
    errors.sort_by_key(|e| (e.range.start(), e.range.end()));
    // After an error the parser often reports more at the same place (several "unexpected
    // end of file"): keep one per place, the one that says what was expected.
    let mut kept: Vec<SyntaxError> = Vec::with_capacity(errors.len());
    for err in errors {
        match kept.last_mut() {
            Some(last) if last.range.start() == err.range.start() => {
                if !last.message.contains("expected") && err.message.contains("expected") {
                    *last = err;
                }
            }
            _ => kept.push(err),
        }
    }
    Parsed { root, errors: kept }
}

/// Nix's lexer knows four whitespace characters: space, tab, carriage return and newline.
/// rnix takes every Unicode whitespace character as whitespace, so a no-break space (text
/// copied from a web page or a chat), a vertical tab or an em space between tokens would pass
/// here while Nix refuses the file ("unexpected invalid token").
fn foreign_whitespace(root: &SyntaxNode) -> Vec<SyntaxError> {
    let mut out = Vec::new();
    for token in root.descendants_with_tokens().filter_map(|e| e.into_token()) {
        if token.kind() != SyntaxKind::TOKEN_WHITESPACE {
            continue;
        }
        let text = token.text();
        let Some((at, c)) = text.char_indices().find(|(_, c)| !matches!(c, ' ' | '\t' | '\r' | '\n')) else {
            continue;
        };
        let start = token.text_range().start() + TextSize::from(at as u32);
        let name = match c {
            '\u{a0}' => " (no-break space)",
            '\u{b}' => " (vertical tab)",
            '\u{c}' => " (form feed)",
            '\u{85}' => " (next line)",
            '\u{3000}' => " (ideographic space)",
            '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' => " (a typographic space)",
            '\u{2028}' => " (line separator)",
            '\u{2029}' => " (paragraph separator)",
            _ => "",
        };
        out.push(SyntaxError {
            kind: SyntaxErrorKind::Syntax,
            range: TextRange::at(start, TextSize::of(c)),
            message: format!(
                "unexpected invalid token U+{:04X}{name}: Nix allows only spaces, tabs and newlines between tokens",
                c as u32
            ),
        });
    }
    out
}

/// In Nix's grammar a function (`x: …`, `{ a }: …`) is a whole expression: an element of a
/// list, an operand or an argument must be in parentheses. rnix takes `[ x: x ]`, `! x: x`,
/// `1 + x: x` and `(f) x: x` as if it were (found by scripts/diff-fuzz.py).
fn bare_lambdas(root: &SyntaxNode) -> Vec<SyntaxError> {
    use SyntaxKind::*;
    root.descendants()
        .filter(|n| n.kind() == NODE_LAMBDA)
        .filter(|n| {
            n.parent()
                .is_some_and(|p| matches!(p.kind(), NODE_LIST | NODE_UNARY_OP | NODE_BIN_OP | NODE_APPLY))
        })
        .map(|n| SyntaxError {
            kind: SyntaxErrorKind::Syntax,
            range: n.text_range(),
            message:
                "a function needs parentheses here: Nix reads `x: …` only where a whole expression starts"
                    .to_string(),
        })
        .collect()
}

/// rnix closes a `(` with a `]` or `}` too: `(1]` parses, where Nix says "unexpected ']'"
/// (found by scripts/diff-fuzz.py).
fn mismatched_parentheses(root: &SyntaxNode) -> Vec<SyntaxError> {
    use SyntaxKind::*;
    root.descendants()
        .filter(|n| n.kind() == NODE_PAREN)
        .filter_map(|n| {
            n.children_with_tokens()
                .filter_map(|e| e.into_token())
                .find(|t| matches!(t.kind(), TOKEN_R_BRACK | TOKEN_R_BRACE))
        })
        .map(|t| SyntaxError {
            kind: SyntaxErrorKind::Syntax,
            range: t.text_range(),
            message: format!("unexpected `{}`, expected `)`", t.text()),
        })
        .collect()
}

/// `|>` and `<|` need the experimental feature `pipe-operators`; Nix refuses them without it
/// (and Nix before 2.24 does not know them), while rnix parses them.
fn pipe_operators(root: &SyntaxNode) -> Vec<SyntaxError> {
    root.descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| matches!(t.kind(), SyntaxKind::TOKEN_PIPE_LEFT | SyntaxKind::TOKEN_PIPE_RIGHT))
        .map(|t| SyntaxError {
            kind: SyntaxErrorKind::Syntax,
            range: t.text_range(),
            message: format!(
                "`{}` needs Nix's experimental feature `pipe-operators`, which is off by default",
                t.text()
            ),
        })
        .collect()
}

fn convert(err: &ParseError, text: &str, end: TextSize) -> SyntaxError {
    let syntax =
        |range: TextRange, message: String| SyntaxError { kind: SyntaxErrorKind::Syntax, range, message };
    let at_end = TextRange::empty(end);
    match err {
        ParseError::Unexpected(range) => syntax(*range, format!("unexpected {}", quote(text, *range))),
        ParseError::UnexpectedExtra(range) => syntax(
            *range,
            format!(
                "unexpected {} after the end of the expression (a file holds one expression)",
                quote(text, *range)
            ),
        ),
        ParseError::UnexpectedWanted(got, range, wanted) => {
            let bad = text.get(std::ops::Range::<usize>::from(*range)).unwrap_or("");
            if *got == SyntaxKind::TOKEN_ERROR
                && bad.ends_with('/')
                && bad.contains('/')
                && !bad.contains(' ')
            {
                return syntax(*range, format!("a path cannot end with `/`: {}", quote(text, *range)));
            }
            let found = if *got == SyntaxKind::TOKEN_ERROR {
                format!("invalid token {}", quote(text, *range))
            } else {
                quote(text, *range)
            };
            syntax(*range, format!("unexpected {found}, expected {}", one_of(wanted)))
        }
        ParseError::UnexpectedDoubleBind(range) => {
            syntax(*range, "a pattern can be bound to one name only".to_string())
        }
        ParseError::UnexpectedEOF => syntax(at_end, "unexpected end of file".to_string()),
        ParseError::UnexpectedEOFWanted(wanted) => {
            syntax(at_end, format!("unexpected end of file, expected {}", one_of(wanted)))
        }
        ParseError::DuplicatedArgs(range, name) => SyntaxError {
            kind: SyntaxErrorKind::DuplicatedFormal,
            range: *range,
            message: format!("duplicated formal argument `{name}`"),
        },
        ParseError::RecursionLimitExceeded => {
            syntax(at_end, "expression nested too deeply: the rest of the file was not analysed".to_string())
        }
        // rnix may add kinds of errors in a minor release.
        #[allow(unreachable_patterns)]
        other => syntax(at_end, other.to_string()),
    }
}

/// The text of a range for a message: quoted, shortened, on one line.
fn quote(text: &str, range: TextRange) -> String {
    let Some(slice) = text.get(std::ops::Range::<usize>::from(range)) else {
        return "text".to_string();
    };
    if slice.is_empty() {
        return "end of input".to_string();
    }
    let first_line = slice.lines().next().unwrap_or("");
    let mut short: String = first_line.chars().take(30).collect();
    if short.len() < slice.len() {
        short.push('…');
    }
    format!("`{short}`")
}

fn one_of(kinds: &[SyntaxKind]) -> String {
    let mut names: Vec<&str> = kinds.iter().map(|k| kind_name(*k)).collect();
    names.dedup();
    match names.len() {
        0 => "something else".to_string(),
        1 => names[0].to_string(),
        n => format!("{} or {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

pub fn kind_name(kind: SyntaxKind) -> &'static str {
    use SyntaxKind::*;
    match kind {
        TOKEN_ADD => "`+`",
        TOKEN_AND_AND => "`&&`",
        TOKEN_ASSIGN => "`=`",
        TOKEN_ASSERT => "`assert`",
        TOKEN_AT => "`@`",
        TOKEN_COLON => "`:`",
        TOKEN_COMMA => "`,`",
        TOKEN_CONCAT => "`++`",
        TOKEN_DIV => "`/`",
        TOKEN_DOT => "`.`",
        TOKEN_ELLIPSIS => "`...`",
        TOKEN_ELSE => "`else`",
        TOKEN_EQUAL => "`==`",
        TOKEN_IDENT | NODE_IDENT => "a name",
        TOKEN_IF => "`if`",
        TOKEN_IMPLICATION => "`->`",
        TOKEN_IN => "`in`",
        TOKEN_INHERIT => "`inherit`",
        TOKEN_INTERPOL_END => "`}`",
        TOKEN_INTERPOL_START => "`${`",
        TOKEN_INVERT => "`!`",
        TOKEN_L_BRACE => "`{`",
        TOKEN_L_BRACK => "`[`",
        TOKEN_L_PAREN => "`(`",
        TOKEN_LET => "`let`",
        TOKEN_OR => "`or`",
        TOKEN_QUESTION => "`?`",
        TOKEN_R_BRACE => "`}`",
        TOKEN_R_BRACK => "`]`",
        TOKEN_R_PAREN => "`)`",
        TOKEN_REC => "`rec`",
        TOKEN_SEMICOLON => "`;`",
        TOKEN_STRING_START | TOKEN_STRING_END | NODE_STRING => "a string",
        TOKEN_THEN => "`then`",
        TOKEN_WITH => "`with`",
        TOKEN_INTEGER | TOKEN_FLOAT => "a number",
        NODE_ATTRPATH | NODE_ATTRPATH_VALUE => "an attribute",
        NODE_DYNAMIC => "`${…}`",
        _ => "an expression",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    fn check(text: &str, expect: Expect) {
        let parsed = parse(text);
        let out: Vec<String> =
            parsed.errors.iter().map(|e| format!("{:?} {:?}: {}", e.kind, e.range, e.message)).collect();
        expect.assert_eq(&out.join("\n"));
    }

    #[test]
    fn valid_file_has_no_errors() {
        check("{ a = 1; b = x: x + 1; }", expect![""]);
    }

    #[test]
    fn missing_semicolon_then_a_second_error_is_still_found() {
        check(
            "{\n  a = 1\n  b = 2;\n  c = [ 1 2 ;\n}",
            expect![[r#"
                Syntax 14..17: unexpected `= 2`, expected `;`
                Syntax 31..32: unexpected `;`, expected `(`, `rec`, `{`, `[`, a string or a name
                Syntax 33..34: unexpected `}`, expected `(`, `rec`, `{`, `[`, a string or a name
                Syntax 34..34: unexpected end of file"#]],
        );
    }

    #[test]
    fn unexpected_end_of_file() {
        check("{ a = ", expect!["Syntax 6..6: unexpected end of file"]);
    }

    #[test]
    fn duplicated_formals_are_left_to_the_name_checks() {
        // rnix 0.15 does not report them; ide::diagnostics::names does.
        check("{ a, a }: a", expect![""]);
    }

    #[test]
    fn whitespace_nix_does_not_know_is_refused() {
        check(
            "{\n\u{a0}\u{a0}a = 1;\n}",
            expect!["Syntax 2..4: unexpected invalid token U+00A0 (no-break space): Nix allows only spaces, tabs and newlines between tokens"],
        );
        check(
            "[ 1\u{b}2 ]",
            expect!["Syntax 3..4: unexpected invalid token U+000B (vertical tab): Nix allows only spaces, tabs and newlines between tokens"],
        );
        check(
            "[ 1\u{3000}2 ]",
            expect!["Syntax 3..6: unexpected invalid token U+3000 (ideographic space): Nix allows only spaces, tabs and newlines between tokens"],
        );
        // In strings and comments anything goes.
        check("# a\u{a0}comment\n\"a\u{a0}string\"", expect![""]);
        check("{\r\n\ta = 1;\r\n}", expect![""]);
    }

    #[test]
    fn functions_as_elements_operands_or_arguments_need_parentheses() {
        for text in ["[ x: x ]", "! x: x", "- x: x", "1 + x: x", "(x: x) x: x", "/s {a,b}:a"] {
            let parsed = parse(text);
            assert!(
                parsed.errors.iter().any(|e| e.message.starts_with("a function needs parentheses")),
                "{text}: {:?}",
                parsed.errors
            );
        }
        for text in [
            "[ (x: x) ]",
            "x: x + 1",
            "{ a = x: x; }",
            "f (x: x)",
            "let f = x: x; in f",
            "{ a ? x: x }: a",
            "\"${x: x}\"",
        ] {
            assert!(parse(text).errors.is_empty(), "{text}: {:?}", parse(text).errors);
        }
    }

    #[test]
    fn a_parenthesis_closed_by_another_bracket() {
        check("(1]", expect!["Syntax 2..3: unexpected `]`, expected `)`"]);
        check("{ a = (x: x}; }", expect!["Syntax 11..12: unexpected `}`, expected `)`"]);
        check("(1)", expect![""]);
    }

    #[test]
    fn pipe_operators_are_refused() {
        check(
            "1 |> toString",
            expect!["Syntax 2..4: `|>` needs Nix's experimental feature `pipe-operators`, which is off by default"],
        );
    }
}
