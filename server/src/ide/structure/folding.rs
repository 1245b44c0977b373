//! Folding ranges: what an editor may collapse.
//!
//! Ranges are in bytes and only those spanning lines are kept. Code folds are `Region`s
//! ending where their closing delimiter starts or at the end of the node; the LSP layer keeps
//! a region's last line visible, so `}`, `]`, `''` and `in` stay on screen. Comments fold as
//! `Comment`: a block comment alone, and line comments (`#`) on consecutive lines together
//! (a blank line or code between them starts a new group).

use rowan::{NodeOrToken, WalkEvent};

use super::types::{Fold, FoldKind};
use crate::ide::analysis::Analysis;
use crate::syntax::{SyntaxKind, SyntaxNode, SyntaxToken, TextRange};
use SyntaxKind::*;

pub fn folding_ranges(analysis: &Analysis) -> Vec<Fold> {
    let text = analysis.text();
    let lines = Lines::new(text);
    let mut out = Vec::new();
    let mut comments = CommentRun::default();
    for event in analysis.root().preorder_with_tokens() {
        let WalkEvent::Enter(element) = event else { continue };
        match element {
            NodeOrToken::Node(node) => {
                if let Some(range) = node_fold(&node, &lines) {
                    out.push(Fold { range, kind: FoldKind::Region });
                }
            }
            NodeOrToken::Token(token) => comments.token(&token, &lines, &mut out),
        }
    }
    comments.flush(&lines, &mut out);
    out.retain(|f| lines.spans_lines(f.range));
    out.sort_by_key(|f| (f.range.start(), std::cmp::Reverse(f.range.end())));
    out.dedup_by_key(|f| f.range);
    out
}

/// The range a node folds, if it is a kind that folds.
fn node_fold(node: &SyntaxNode, lines: &Lines) -> Option<TextRange> {
    let range = node.text_range();
    match node.kind() {
        NODE_ATTR_SET | NODE_LIST | NODE_PATTERN | NODE_PAREN | NODE_STRING | NODE_LEGACY_LET => Some(range),
        // The bindings: from `let` to just before `in`, which stays visible.
        NODE_LET_IN => {
            let end = node
                .children_with_tokens()
                .find(|e| e.kind() == TOKEN_IN)
                .map_or(range.end(), |e| e.text_range().start());
            Some(TextRange::new(range.start(), end))
        }
        NODE_LAMBDA => lambda_fold(node, lines),
        _ => None,
    }
}

/// A lambda's body, from the `:` on. Left out when the body starts on the same line and folds
/// the same lines itself (`{ … }: {`, `a: b: …`), so that an editor shows one fold there.
fn lambda_fold(lambda: &SyntaxNode, lines: &Lines) -> Option<TextRange> {
    let colon = lambda.children_with_tokens().find(|e| e.kind() == TOKEN_COLON)?.text_range();
    let body = lambda.children().last().filter(|b| b.text_range().start() >= colon.end())?;
    let same_line = lines.line(colon.start()) == lines.line(body.text_range().start());
    let folds_itself =
        matches!(body.kind(), NODE_ATTR_SET | NODE_LIST | NODE_PAREN | NODE_STRING | NODE_LAMBDA);
    if same_line && folds_itself {
        return None;
    }
    Some(TextRange::new(colon.start(), lambda.text_range().end()))
}

/// Line comments seen one after another, each alone on the line after the previous one.
struct CommentRun {
    range: Option<TextRange>,
    /// Line breaks since the last comment of the run.
    breaks: usize,
    /// Whether only white space precedes on this line (a comment after code is not a group).
    line_start: bool,
}

impl Default for CommentRun {
    fn default() -> CommentRun {
        CommentRun { range: None, breaks: 0, line_start: true }
    }
}

impl CommentRun {
    fn token(&mut self, token: &SyntaxToken, lines: &Lines, out: &mut Vec<Fold>) {
        let range = token.text_range();
        match token.kind() {
            TOKEN_WHITESPACE => {
                let breaks = token.text().matches('\n').count();
                self.breaks += breaks;
                self.line_start |= breaks > 0;
            }
            TOKEN_COMMENT if token.text().starts_with('#') && self.line_start => {
                match self.range {
                    Some(run) if self.breaks == 1 => self.range = Some(run.cover(range)),
                    _ => {
                        self.flush(lines, out);
                        self.range = Some(range);
                    }
                }
                self.breaks = 0;
            }
            TOKEN_COMMENT => {
                self.flush(lines, out);
                out.push(Fold { range, kind: FoldKind::Comment });
            }
            _ => self.flush(lines, out),
        }
        if token.kind() != TOKEN_WHITESPACE {
            self.line_start = false;
        }
    }

    fn flush(&mut self, lines: &Lines, out: &mut Vec<Fold>) {
        if let Some(range) = self.range.take() {
            if lines.spans_lines(range) {
                out.push(Fold { range, kind: FoldKind::Comment });
            }
        }
        self.breaks = 0;
    }
}

/// Where lines start, to tell which ranges span more than one.
struct Lines {
    /// Offsets just after each line break (`\n`, `\r\n` or a lone `\r`).
    starts: Vec<u32>,
}

impl Lines {
    fn new(text: &str) -> Lines {
        let bytes = text.as_bytes();
        let mut starts = Vec::new();
        for (i, &b) in bytes.iter().enumerate() {
            let is_break = b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
            if is_break {
                starts.push(i as u32 + 1);
            }
        }
        Lines { starts }
    }

    fn line(&self, offset: crate::syntax::TextSize) -> usize {
        self.starts.partition_point(|&s| s <= u32::from(offset))
    }

    fn spans_lines(&self, range: TextRange) -> bool {
        self.line(range.start()) != self.line(range.end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::structure::test_util::excerpt;
    use crate::ide::FileKind;
    use expect_test::{expect, Expect};

    fn check(text: &str, expect: Expect) {
        let analysis = Analysis::of(text, FileKind::Nix);
        let out: String = folding_ranges(&analysis)
            .iter()
            .map(|f| format!("{:?} {:?} `{}`\n", f.kind, f.range, excerpt(text, f.range)))
            .collect();
        expect.assert_eq(&out);
    }

    #[test]
    fn code_folds() {
        check(
            r#"{ pkgs,
  lib }:
let
  a = [
    1
  ];
  s = ''
    text
  '';
  p = (f
    2);
in {
  b = x:
    x + 1;
  c = y: {
    z = y;
  };
  one = { x = 1; };
}
"#,
            expect![[r#"
                Region 0..15 `{ pkgs,⏎  lib }`
                Region 15..154 `:⏎let⏎  a = [⏎    …ne = { x = 1; };⏎}`
                Region 17..81 `let⏎  a = [⏎    1⏎…⏎  p = (f⏎    2);⏎`
                Region 27..38 `[⏎    1⏎  ]`
                Region 46..62 `''⏎    text⏎  ''`
                Region 70..79 `(f⏎    2)`
                Region 84..154 `{⏎  b = x:⏎    x +…ne = { x = 1; };⏎}`
                Region 93..104 `:⏎    x + 1`
                Region 115..131 `{⏎    z = y;⏎  }`
            "#]],
        );
    }

    #[test]
    fn comments() {
        check(
            r#"# one
# two

# alone
/* block
   comment */
{
  a = 1; # trailing
  # next
  b = 2;
}
"#,
            expect![[r#"
                Comment 0..11 `# one⏎# two`
                Comment 21..43 `/* block⏎   comment */`
                Region 44..85 `{⏎  a = 1; # trail… # next⏎  b = 2;⏎}`
            "#]],
        );
    }

    #[test]
    fn broken_empty_and_crlf() {
        check("", expect![""]);
        check(
            "{\n  a = [\n",
            expect![[r#"
            Region 0..9 `{⏎  a = [`
        "#]],
        );
        check(
            "{\r\n  a = 1;\r\n}",
            expect![[r#"
            Region 0..14 `{␍⏎  a = 1;␍⏎}`
        "#]],
        );
    }
}
