//! Semantic tokens: what each token is, beyond what a grammar can tell.
//!
//! Names are classified by what they resolve to ([`NameResolution`]): parameters, variables,
//! functions (a `let` or `rec` binding whose value is written as a lambda), builtins, names
//! left to a `with`. Attribute names are properties. Strings are split at escapes and line
//! breaks, as tokens never span lines. Punctuation (`=`, `;`, `.`, brackets) is left to the
//! editor's grammar.
//!
//! Cost: references and definitions are looked up by binary search in lists sorted once per
//! call; with a range, only the tree around it is walked and only the names in it are sorted.

use rnix::NixLanguage;
use rowan::{GreenNodeData, Language, NodeOrToken};

use super::types::{modifiers, Token, TokenKind};
use crate::flake::schema;
use crate::ide::analysis::Analysis;
use crate::syntax::scope::{DefId, DefKind, NameResolution, Resolution};
use crate::syntax::{SyntaxKind, SyntaxNode, TextRange, TextSize};
use SyntaxKind::*;

/// Tokens in text order, none spanning a line break, none overlapping; only those that touch
/// `range` when given.
pub fn semantic_tokens(analysis: &Analysis, range: Option<TextRange>) -> Vec<Token> {
    let root = analysis.root();
    let range = range.unwrap_or_else(|| root.text_range());
    let names = analysis.names();
    let mut refs: Vec<(TextSize, Resolution)> = names
        .refs
        .iter()
        .filter(|r| touches(r.range, range))
        .map(|r| (r.range.start(), r.resolution))
        .collect();
    refs.sort_unstable_by_key(|r| r.0);
    let mut defs: Vec<(TextSize, DefId)> = names
        .defs
        .iter()
        .enumerate()
        .filter(|(_, d)| touches(d.name_range, range))
        .map(|(i, d)| (d.name_range.start(), i))
        .collect();
    defs.sort_unstable_by_key(|d| d.0);
    // The attribute sets `outputs` returns in `flake.nix`, where deprecated names are marked.
    let output_sets: Vec<TextRange> = match analysis.flake() {
        Some(model) => model.output_sets().map(|s| s.node.text_range()).collect(),
        None => Vec::new(),
    };
    let function_values = function_values(&root, names, &refs, &defs);
    let mut highlighter = Highlighter {
        text: analysis.text(),
        names,
        refs,
        defs,
        function_values,
        output_sets,
        range,
        out: Vec::new(),
    };
    highlighter.walk(root.green());
    highlighter.out
}

/// Whether two ranges overlap or meet.
fn touches(a: TextRange, b: TextRange) -> bool {
    a.start() <= b.end() && b.start() <= a.end()
}

/// A node on the way from the root to the current token.
struct Frame<'g> {
    green: &'g GreenNodeData,
    kind: SyntaxKind,
    range: TextRange,
    /// Its position among its parent's child nodes (tokens not counted).
    index: usize,
}

fn kind_of(raw: rowan::SyntaxKind) -> SyntaxKind {
    NixLanguage::kind_from_raw(raw)
}

struct Highlighter<'a> {
    text: &'a str,
    names: &'a NameResolution,
    /// References in the range, by start.
    refs: Vec<(TextSize, Resolution)>,
    /// Definitions in the range, by the start of their name.
    defs: Vec<(TextSize, DefId)>,
    /// Values of bindings that are functions, in text order.
    function_values: Vec<TextRange>,
    output_sets: Vec<TextRange>,
    range: TextRange,
    out: Vec<Token>,
}

impl Highlighter<'_> {
    /// Visits the tokens touching the range in text order. The walk is over the green tree,
    /// with the ancestors kept on a stack: cursors would cost an allocation per element.
    fn walk(&mut self, root: &GreenNodeData) {
        let root_range = TextRange::at(0.into(), root.text_len());
        let mut frames = vec![Frame { green: root, kind: kind_of(root.kind()), range: root_range, index: 0 }];
        // For each frame: its remaining children, where the next one starts, nodes seen.
        let mut cursors = vec![(root.children(), TextSize::from(0), 0usize)];
        while let Some((children, offset, nodes)) = cursors.last_mut() {
            let Some(child) = children.next() else {
                cursors.pop();
                frames.pop();
                continue;
            };
            let range = TextRange::at(*offset, child.text_len());
            *offset = range.end();
            if range.start() > self.range.end() {
                break;
            }
            match child {
                NodeOrToken::Node(node) => {
                    let index = *nodes;
                    *nodes += 1;
                    if touches(range, self.range) {
                        frames.push(Frame { green: node, kind: kind_of(node.kind()), range, index });
                        cursors.push((node.children(), range.start(), 0));
                    }
                }
                NodeOrToken::Token(token) if touches(range, self.range) => {
                    self.token(kind_of(token.kind()), token.text(), range, &frames)
                }
                NodeOrToken::Token(_) => {}
            }
        }
    }

    fn token(&mut self, kind: SyntaxKind, text: &str, range: TextRange, frames: &[Frame]) {
        let token_kind = match kind {
            TOKEN_LET | TOKEN_IN | TOKEN_WITH | TOKEN_REC | TOKEN_INHERIT | TOKEN_IF | TOKEN_THEN
            | TOKEN_ELSE | TOKEN_ASSERT | TOKEN_OR => TokenKind::Keyword,
            TOKEN_COMMENT => TokenKind::Comment,
            TOKEN_STRING_START | TOKEN_STRING_END => TokenKind::String,
            TOKEN_STRING_CONTENT => {
                let indented =
                    frames.last().is_some_and(|string| first_token_text(string.green) == Some("''"));
                return self.string_content(text, range.start(), indented);
            }
            TOKEN_INTERPOL_START | TOKEN_INTERPOL_END => TokenKind::Escape,
            TOKEN_INTEGER | TOKEN_FLOAT => TokenKind::Number,
            TOKEN_URI | TOKEN_PATH_ABS | TOKEN_PATH_REL | TOKEN_PATH_HOME | TOKEN_PATH_SEARCH => {
                TokenKind::Path
            }
            TOKEN_ADD | TOKEN_SUB | TOKEN_MUL | TOKEN_DIV | TOKEN_CONCAT | TOKEN_UPDATE | TOKEN_AND_AND
            | TOKEN_OR_OR | TOKEN_IMPLICATION | TOKEN_INVERT | TOKEN_EQUAL | TOKEN_NOT_EQUAL | TOKEN_LESS
            | TOKEN_LESS_OR_EQ | TOKEN_MORE | TOKEN_MORE_OR_EQ | TOKEN_QUESTION | TOKEN_PIPE_LEFT
            | TOKEN_PIPE_RIGHT => TokenKind::Operator,
            TOKEN_CUR_POS => return self.push(range, TokenKind::Macro, modifiers::BUILTIN),
            TOKEN_IDENT => {
                let (kind, mods) = self.ident(text, range.start(), frames);
                return self.push(range, kind, mods);
            }
            _ => return,
        };
        self.push_lines(range, token_kind, 0);
    }

    /// A name: a definition, a reference, or an attribute, told apart by where it stands.
    fn ident(&mut self, name: &str, start: TextSize, frames: &[Frame]) -> (TokenKind, u32) {
        // The frames end with the name's NODE_IDENT, its parent, and so on up.
        let up = |n: usize| frames.len().checked_sub(n + 1).map(|i| &frames[i]);
        let (Some(ident), Some(parent)) = (up(0), up(1)) else { return self.reference(start, name) };
        if ident.kind != NODE_IDENT {
            return self.reference(start, name);
        }
        let def = self.def_at(start);
        let first = ident.index == 0;
        match parent.kind {
            NODE_ATTRPATH => match up(2).map(|owner| owner.kind) {
                Some(NODE_ATTRPATH_VALUE) => match def.filter(|_| first) {
                    Some(def) => self.definition(def),
                    None => {
                        let set = up(3).map(|set| set.range);
                        let deprecated = first && self.is_deprecated_output(set, name);
                        let extra = if deprecated { modifiers::DEPRECATED } else { 0 };
                        (TokenKind::Property, modifiers::DEFINITION | extra)
                    }
                },
                Some(NODE_SELECT)
                    if first && up(2).is_some_and(|select| selects_from_builtins(select.green)) =>
                {
                    (TokenKind::Function, modifiers::BUILTIN)
                }
                _ => (TokenKind::Property, 0),
            },
            NODE_IDENT_PARAM | NODE_PAT_BIND => (TokenKind::Parameter, modifiers::DEFINITION),
            NODE_PAT_ENTRY if first => (TokenKind::Parameter, modifiers::DEFINITION),
            NODE_INHERIT => match def {
                Some(def) => self.definition(def),
                None if self.ref_at(start).is_some() => self.reference(start, name),
                // `inherit (from) a;` in a set defines the attribute `a`.
                None => (TokenKind::Property, modifiers::DEFINITION),
            },
            _ => self.reference(start, name),
        }
    }

    fn definition(&self, def: DefId) -> (TokenKind, u32) {
        let kind = match self.names.defs[def].kind {
            DefKind::RecAttr if !self.is_function(def) => TokenKind::Property,
            _ => self.def_kind(def),
        };
        (kind, modifiers::DEFINITION)
    }

    fn reference(&self, start: TextSize, name: &str) -> (TokenKind, u32) {
        match self.ref_at(start) {
            Some(Resolution::Def(def)) => (self.def_kind(def), 0),
            Some(Resolution::Global) if matches!(name, "true" | "false" | "null") => {
                (TokenKind::Macro, modifiers::BUILTIN)
            }
            Some(Resolution::Global) => (TokenKind::Function, modifiers::BUILTIN),
            Some(Resolution::With) => (TokenKind::Variable, modifiers::WITH),
            Some(Resolution::Undefined) | None => (TokenKind::Variable, 0),
        }
    }

    fn def_kind(&self, def: DefId) -> TokenKind {
        match self.names.defs[def].kind {
            DefKind::LambdaParam | DefKind::Formal | DefKind::PatBind => TokenKind::Parameter,
            DefKind::Let | DefKind::RecAttr if self.is_function(def) => TokenKind::Function,
            DefKind::Let | DefKind::RecAttr => TokenKind::Variable,
        }
    }

    fn is_function(&self, def: DefId) -> bool {
        let Some(value) = self.names.defs[def].value_range else { return false };
        self.function_values
            .binary_search_by_key(&value.start(), |r| r.start())
            .is_ok_and(|i| self.function_values[i] == value)
    }

    fn ref_at(&self, start: TextSize) -> Option<Resolution> {
        let i = self.refs.binary_search_by_key(&start, |r| r.0).ok()?;
        Some(self.refs[i].1)
    }

    fn def_at(&self, start: TextSize) -> Option<DefId> {
        let i = self.defs.binary_search_by_key(&start, |d| d.0).ok()?;
        Some(self.defs[i].1)
    }

    /// `devShell = …` directly in a set that `outputs` returns.
    fn is_deprecated_output(&self, set: Option<TextRange>, name: &str) -> bool {
        !self.output_sets.is_empty()
            && schema::deprecated_output(name).is_some()
            && set.is_some_and(|set| self.output_sets.contains(&set))
    }

    /// String text, with escapes (`\n`, `''$`, `'''`, `''\t`) as their own tokens.
    fn string_content(&mut self, text: &str, base: TextSize, indented: bool) {
        let bytes = text.as_bytes();
        let at = |n: usize| base + TextSize::from(n as u32);
        let mut plain_from = 0;
        let mut i = 0;
        while i < bytes.len() {
            let escape_len = if indented { indented_escape(text, i) } else { plain_escape(text, i) };
            if escape_len == 0 {
                i += 1;
                continue;
            }
            self.push_lines(TextRange::new(at(plain_from), at(i)), TokenKind::String, 0);
            self.push_lines(TextRange::new(at(i), at(i + escape_len)), TokenKind::Escape, 0);
            i += escape_len;
            plain_from = i;
        }
        self.push_lines(TextRange::new(at(plain_from), at(bytes.len())), TokenKind::String, 0);
    }

    /// Pushes the parts of `range` between line breaks.
    fn push_lines(&mut self, range: TextRange, kind: TokenKind, modifiers: u32) {
        let Some(text) = self.text.get(std::ops::Range::<usize>::from(range)) else { return };
        if !text.contains(['\n', '\r']) {
            return self.push(range, kind, modifiers);
        }
        let mut from = 0;
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' || b == b'\r' {
                self.push(sub_range(range, from, i), kind, modifiers);
                from = i + 1;
            }
        }
        self.push(sub_range(range, from, text.len()), kind, modifiers);
    }

    fn push(&mut self, range: TextRange, kind: TokenKind, modifiers: u32) {
        if !range.is_empty() && touches(range, self.range) {
            self.out.push(Token { range, kind, modifiers });
        }
    }
}

fn sub_range(range: TextRange, from: usize, to: usize) -> TextRange {
    TextRange::new(range.start() + TextSize::from(from as u32), range.start() + TextSize::from(to as u32))
}

/// Of the definitions in `defs` or referred to in `refs`, the values written as functions
/// (`f = x: …;`, also in parentheses), in text order. Few are looked up one by one; many, by
/// a walk over the green tree, cheaper than finding each value's node.
fn function_values(
    root: &SyntaxNode,
    names: &NameResolution,
    refs: &[(TextSize, Resolution)],
    defs: &[(TextSize, DefId)],
) -> Vec<TextRange> {
    const LOOKUPS: usize = 256;
    let referred = refs.iter().filter_map(|(_, r)| match r {
        Resolution::Def(d) => Some(*d),
        _ => None,
    });
    let mut wanted: Vec<TextRange> =
        referred.chain(defs.iter().map(|(_, d)| *d)).filter_map(|d| names.defs[d].value_range).collect();
    if wanted.len() > LOOKUPS {
        return all_function_values(root.green());
    }
    wanted.sort_unstable_by_key(|r| (r.start(), r.end()));
    wanted.dedup();
    wanted.retain(|&value| {
        if !root.text_range().contains_range(value) {
            return false;
        }
        let node = match root.covering_element(value) {
            NodeOrToken::Node(node) => Some(node),
            NodeOrToken::Token(token) => token.parent(),
        };
        node.is_some_and(|n| is_lambda(n.green()))
    });
    wanted
}

/// The values of all bindings written as functions, in text order.
fn all_function_values(root: &GreenNodeData) -> Vec<TextRange> {
    let mut out = Vec::new();
    let mut cursors = vec![(root.children(), TextSize::from(0))];
    while let Some((children, offset)) = cursors.last_mut() {
        let Some(child) = children.next() else {
            cursors.pop();
            continue;
        };
        let start = *offset;
        *offset += child.text_len();
        let NodeOrToken::Node(node) = child else { continue };
        if kind_of(node.kind()) == NODE_ATTRPATH_VALUE {
            let mut at = start;
            let value = node.children().filter_map(|c| {
                let here = at;
                at += c.text_len();
                c.into_node().map(|n| (n, here))
            });
            if let Some((value, value_start)) = value.take(2).nth(1) {
                if is_lambda(value) {
                    out.push(TextRange::at(value_start, value.text_len()));
                }
            }
        }
        cursors.push((node.children(), start));
    }
    out
}

fn is_lambda(mut node: &GreenNodeData) -> bool {
    while kind_of(node.kind()) == NODE_PAREN {
        match node.children().find_map(|c| c.into_node()) {
            Some(inner) => node = inner,
            None => return false,
        }
    }
    kind_of(node.kind()) == NODE_LAMBDA
}

/// The text of a node's first token, when the node starts with one.
fn first_token_text(node: &GreenNodeData) -> Option<&str> {
    node.children().next()?.into_token().map(|t| t.text())
}

/// `builtins.x`: a select whose subject is the name `builtins`.
fn selects_from_builtins(select: &GreenNodeData) -> bool {
    let subject = select.children().find_map(|c| c.into_node());
    subject.is_some_and(|s| kind_of(s.kind()) == NODE_IDENT && first_token_text(s) == Some("builtins"))
}

/// The length of the escape at `i` in a `"…"` string: a backslash and the character after it.
fn plain_escape(text: &str, i: usize) -> usize {
    if text.as_bytes()[i] != b'\\' {
        return 0;
    }
    match text[i + 1..].chars().next() {
        Some('\n' | '\r') | None => 1,
        Some(c) => 1 + c.len_utf8(),
    }
}

/// The length of the escape at `i` in a `''…''` string: `''$`, `'''`, or `''\` and a character.
fn indented_escape(text: &str, i: usize) -> usize {
    let rest = &text.as_bytes()[i..];
    match rest {
        [b'\'', b'\'', b'$' | b'\'', ..] => 3,
        [b'\'', b'\'', b'\\', ..] => match text[i + 3..].chars().next() {
            Some('\n' | '\r') | None => 3,
            Some(c) => 3 + c.len_utf8(),
        },
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::structure::test_util::excerpt;
    use crate::ide::FileKind;
    use expect_test::{expect, Expect};

    fn render(text: &str, tokens: &[Token]) -> String {
        let index = crate::syntax::LineIndex::new(text);
        let mut out = String::new();
        for t in tokens {
            let at = index.line_col(text, t.range.start(), crate::syntax::PositionEncoding::Utf8);
            let mods: Vec<&str> = modifiers::NAMES
                .iter()
                .enumerate()
                .filter(|(i, _)| t.modifiers & (1 << i) != 0)
                .map(|(_, n)| *n)
                .collect();
            let mods = if mods.is_empty() { String::new() } else { format!("[{}]", mods.join(",")) };
            out.push_str(&format!(
                "{}:{} {:?}{mods} '{}'\n",
                at.line,
                at.col,
                t.kind,
                excerpt(text, t.range)
            ));
        }
        out
    }

    /// The tokens are in order, do not overlap and do not span lines.
    fn assert_well_formed(text: &str, tokens: &[Token]) {
        for pair in tokens.windows(2) {
            assert!(pair[0].range.end() <= pair[1].range.start(), "{pair:?}");
        }
        for t in tokens {
            let covered = &text[std::ops::Range::<usize>::from(t.range)];
            assert!(!covered.is_empty() && !covered.contains(['\n', '\r']), "{t:?}");
        }
    }

    fn check_kind(text: &str, kind: FileKind, expect: Expect) {
        let analysis = Analysis::of(text, kind);
        let tokens = semantic_tokens(&analysis, None);
        assert_well_formed(text, &tokens);
        expect.assert_eq(&render(text, &tokens));
    }

    fn check(text: &str, expect: Expect) {
        check_kind(text, FileKind::Nix, expect)
    }

    #[test]
    fn names_by_resolution() {
        check(
            r#"{ pkgs, lib ? null, ... }@args:
let
  f = x: x;
  n = 1;
  inherit (lib) mkIf;
in with pkgs; rec {
  a = f n;
  b = map toString [ true hello a args ];
  c.d = builtins.head lib.e or 2;
  inherit n;
  inherit (pkgs) g;
}"#,
            expect![[r#"
                0:2 Parameter[declaration] 'pkgs'
                0:8 Parameter[declaration] 'lib'
                0:12 Operator '?'
                0:14 Macro[defaultLibrary] 'null'
                0:26 Parameter[declaration] 'args'
                1:0 Keyword 'let'
                2:2 Function[declaration] 'f'
                2:6 Parameter[declaration] 'x'
                2:9 Parameter 'x'
                3:2 Variable[declaration] 'n'
                3:6 Number '1'
                4:2 Keyword 'inherit'
                4:11 Parameter 'lib'
                4:16 Variable[declaration] 'mkIf'
                5:0 Keyword 'in'
                5:3 Keyword 'with'
                5:8 Parameter 'pkgs'
                5:14 Keyword 'rec'
                6:2 Property[declaration] 'a'
                6:6 Function 'f'
                6:8 Variable 'n'
                7:2 Property[declaration] 'b'
                7:6 Function[defaultLibrary] 'map'
                7:10 Function[defaultLibrary] 'toString'
                7:21 Macro[defaultLibrary] 'true'
                7:26 Variable[with] 'hello'
                7:32 Variable 'a'
                7:34 Parameter 'args'
                8:2 Property[declaration] 'c'
                8:4 Property[declaration] 'd'
                8:8 Function[defaultLibrary] 'builtins'
                8:17 Function[defaultLibrary] 'head'
                8:22 Parameter 'lib'
                8:26 Property 'e'
                8:28 Keyword 'or'
                8:31 Number '2'
                9:2 Keyword 'inherit'
                9:10 Property[declaration] 'n'
                10:2 Keyword 'inherit'
                10:11 Parameter 'pkgs'
                10:17 Property[declaration] 'g'
            "#]],
        );
    }

    #[test]
    fn strings_escapes_and_comments() {
        check(
            "# a comment\n[ \"a\\n\\\"${x}é\\é\" ''\n  ''$x '''\n  ''\\n ${y}\n'' /* multi\nline */ ./p/${z}.nix https://x.org 1.5 ]",
            expect![[r#"
                0:0 Comment '# a comment'
                1:2 String '"'
                1:3 String 'a'
                1:4 Escape '\n'
                1:6 Escape '\"'
                1:8 Escape '${'
                1:10 Variable 'x'
                1:11 Escape '}'
                1:12 String 'é'
                1:14 Escape '\é'
                1:17 String '"'
                1:19 String ''''
                2:0 String '  '
                2:2 Escape '''$'
                2:5 String 'x '
                2:7 Escape '''''
                3:0 String '  '
                3:2 Escape '''\n'
                3:6 String ' '
                3:7 Escape '${'
                3:9 Variable 'y'
                3:10 Escape '}'
                4:0 String ''''
                4:3 Comment '/* multi'
                5:0 Comment 'line */'
                5:8 Path './p/'
                5:12 Escape '${'
                5:14 Variable 'z'
                5:15 Escape '}'
                5:16 Path '.nix'
                5:21 Path 'https://x.org'
                5:35 Number '1.5'
            "#]],
        );
    }

    #[test]
    fn operators_and_keywords() {
        check(
            "assert a -> !b; if a == b || c != d then -1 else [ ] ++ { } // { x = 1 + 2 * 3 / 4; } ? x",
            expect![[r#"
                0:0 Keyword 'assert'
                0:7 Variable 'a'
                0:9 Operator '->'
                0:12 Operator '!'
                0:13 Variable 'b'
                0:16 Keyword 'if'
                0:19 Variable 'a'
                0:21 Operator '=='
                0:24 Variable 'b'
                0:26 Operator '||'
                0:29 Variable 'c'
                0:31 Operator '!='
                0:34 Variable 'd'
                0:36 Keyword 'then'
                0:41 Operator '-'
                0:42 Number '1'
                0:44 Keyword 'else'
                0:53 Operator '++'
                0:60 Operator '//'
                0:65 Property[declaration] 'x'
                0:69 Number '1'
                0:71 Operator '+'
                0:73 Number '2'
                0:75 Operator '*'
                0:77 Number '3'
                0:79 Operator '/'
                0:81 Number '4'
                0:86 Operator '?'
                0:88 Property 'x'
            "#]],
        );
    }

    #[test]
    fn deprecated_outputs_in_flakes() {
        check_kind(
            r#"{
  outputs = { self }: let
    devShell = 1;
    out = { defaultPackage.x = 2; };
  in out // {
    devShell = devShell;
    other = { devShell = 3; };
  };
}"#,
            FileKind::Flake,
            expect![[r#"
                1:2 Property[declaration] 'outputs'
                1:14 Parameter[declaration] 'self'
                1:22 Keyword 'let'
                2:4 Variable[declaration] 'devShell'
                2:15 Number '1'
                3:4 Variable[declaration] 'out'
                3:12 Property[declaration,deprecated] 'defaultPackage'
                3:27 Property[declaration] 'x'
                3:31 Number '2'
                4:2 Keyword 'in'
                4:5 Variable 'out'
                4:9 Operator '//'
                5:4 Property[declaration,deprecated] 'devShell'
                5:15 Variable 'devShell'
                6:4 Property[declaration] 'other'
                6:14 Property[declaration] 'devShell'
                6:25 Number '3'
            "#]],
        );
    }

    #[test]
    fn ranges_only_touching_tokens() {
        let text = "let a = 1;\n    b = \"x\ny\";\nin a + b";
        let analysis = Analysis::of(text, FileKind::Nix);
        let all = semantic_tokens(&analysis, None);
        let range = TextRange::new(11.into(), 25.into());
        let some = semantic_tokens(&analysis, Some(range));
        let expected: Vec<Token> = all.iter().copied().filter(|t| touches(t.range, range)).collect();
        assert_eq!(some, expected);
        expect![[r#"
            1:4 Variable[declaration] 'b'
            1:8 String '"'
            1:9 String 'x'
            2:0 String 'y'
            2:1 String '"'
        "#]]
        .assert_eq(&render(text, &some));
        assert!(semantic_tokens(&analysis, Some(TextRange::empty(1000.into()))).is_empty());
    }

    #[test]
    fn broken_and_empty() {
        check("", expect![""]);
        check(
            "let a = \"${",
            expect![[r#"
            0:0 Keyword 'let'
            0:4 Variable[declaration] 'a'
            0:8 String '"'
            0:9 Escape '${'
        "#]],
        );
        check(
            "{ a.${b",
            expect![[r#"
            0:2 Property[declaration] 'a'
            0:4 Escape '${'
            0:6 Variable 'b'
        "#]],
        );
    }

    #[test]
    fn function_values_by_walk_and_by_lookup_agree() {
        let text = "let f = x: x; g = (y: y); h = 1; s = rec { i = z: z; j = i; }; in f g h s.i";
        let analysis = Analysis::of(text, FileKind::Nix);
        let root = analysis.root();
        let walked = all_function_values(root.green());
        let all = TextRange::up_to(TextSize::of(text));
        let names = analysis.names();
        let refs: Vec<(TextSize, Resolution)> =
            names.refs.iter().map(|r| (r.range.start(), r.resolution)).collect();
        let defs: Vec<(TextSize, DefId)> =
            names.defs.iter().enumerate().map(|(i, d)| (d.name_range.start(), i)).collect();
        let looked_up = function_values(&root, names, &refs, &defs);
        let shown: Vec<String> = walked.iter().map(|r| excerpt(text, *r)).collect();
        assert_eq!(shown, ["x: x", "(y: y)", "z: z"]);
        assert_eq!(walked, looked_up);
        assert!(all.contains_range(walked[0]));
    }

    #[test]
    fn seed_flake() {
        check_kind(
            include_str!("testdata/devops-renaissance.flake.nix"),
            FileKind::Flake,
            expect![[r#"
            1:2 Property[declaration] 'inputs'
            2:4 Property[declaration] 'nixpkgs'
            2:12 Property[declaration] 'url'
            2:18 String '"'
            2:19 String 'github:nixos/nixpkgs/nixos-24.05'
            2:51 String '"'
            3:4 Property[declaration] 'flake-utils'
            3:16 Property[declaration] 'url'
            3:22 String '"'
            3:23 String 'github:numtide/flake-utils'
            3:49 String '"'
            5:2 Property[declaration] 'outputs'
            5:12 Parameter[declaration] 'inputs'
            5:23 Parameter[declaration] 'self'
            5:29 Parameter[declaration] 'nixpkgs'
            5:38 Parameter[declaration] 'flake-utils'
            6:4 Parameter 'flake-utils'
            6:16 Property 'lib'
            6:20 Property 'eachDefaultSystem'
            6:39 Parameter[declaration] 'system'
            6:47 Keyword 'let'
            7:6 Variable[declaration] 'pkgs'
            7:13 Function[defaultLibrary] 'import'
            7:20 Parameter 'nixpkgs'
            8:8 Keyword 'inherit'
            8:16 Parameter 'system'
            9:8 Property[declaration] 'config'
            9:15 Property[declaration] 'allowUnfree'
            9:29 Macro[defaultLibrary] 'true'
            11:6 Variable[declaration] 'localConfig'
            11:20 Keyword 'if'
            11:23 Function[defaultLibrary] 'builtins'
            11:32 Function[defaultLibrary] 'pathExists'
            11:43 Path './local.nix'
            11:55 Keyword 'then'
            11:60 Function[defaultLibrary] 'import'
            11:67 Path './local.nix'
            11:79 Keyword 'else'
            12:6 Variable[declaration] 'cudaSupport'
            12:20 Keyword 'if'
            12:23 Variable 'localConfig'
            12:35 Operator '?'
            12:37 Property 'cudaSupport'
            12:49 Keyword 'then'
            12:54 Variable 'localConfig'
            12:66 Property 'cudaSupport'
            12:78 Keyword 'else'
            12:83 Macro[defaultLibrary] 'false'
            14:6 Variable[declaration] 'isLinux'
            14:16 Variable 'pkgs'
            14:21 Property 'stdenv'
            14:28 Property 'isLinux'
            15:6 Variable[declaration] 'isDarwin'
            15:17 Variable 'pkgs'
            15:22 Property 'stdenv'
            15:29 Property 'isDarwin'
            17:6 Variable[declaration] 'commonPackages'
            17:23 Keyword 'with'
            17:28 Variable 'pkgs'
            18:8 Variable[with] 'python311'
            19:8 Variable[with] 'python311'
            19:18 Property 'pkgs'
            19:23 Property 'pip'
            20:8 Variable[with] 'python311'
            20:18 Property 'pkgs'
            20:23 Property 'virtualenv'
            21:8 Variable[with] 'cmake'
            22:8 Variable[with] 'ninja'
            23:8 Variable[with] 'gcc'
            24:8 Variable[with] 'git'
            27:6 Variable[declaration] 'runScript'
            27:18 Variable 'pkgs'
            27:23 Property 'writeShellScriptBin'
            27:43 String '"'
            27:44 String 'runScript'
            27:53 String '"'
            27:55 String ''''
            28:0 String '        set -e'
            29:0 String '        export NIXPKGS_ALLOW_UNFREE=1'
            30:0 String '        '
            30:8 Escape '${'
            30:10 Keyword 'if'
            30:13 Variable 'isLinux'
            30:21 Keyword 'then'
            30:26 String '"'
            30:27 String 'export LD_LIBRARY_PATH='
            30:50 Escape '${'
            30:52 Variable 'pkgs'
            30:57 Property 'stdenv'
            30:64 Property 'cc'
            30:67 Property 'cc'
            30:70 Property 'lib'
            30:73 Escape '}'
            30:74 String '/lib:$LD_LIBRARY_PATH'
            30:95 String '"'
            30:97 Keyword 'else'
            30:102 String '"'
            30:103 String '"'
            30:104 Escape '}'
            31:0 String '        echo "Welc…nt environment on '
            31:65 Escape '${'
            31:67 Parameter 'system'
            31:73 Escape '}'
            31:74 String '!"'
            32:0 String '        '
            32:8 Escape '${'
            32:10 Keyword 'if'
            32:13 Variable 'cudaSupport'
            32:25 Operator '&&'
            32:28 Variable 'isLinux'
            32:36 Keyword 'then'
            32:41 String '"'
            32:42 String 'echo 'CUDA support enabled.''
            32:70 String '"'
            32:72 Keyword 'else'
            32:77 String '"'
            32:78 String '"'
            32:79 Escape '}'
            33:0 String '        test -d .venv || '
            33:25 Escape '${'
            33:27 Variable 'pkgs'
            33:32 Property 'python311'
            33:42 Property 'interpreter'
            33:53 Escape '}'
            33:54 String ' -m venv .venv'
            34:0 String '        source .venv/bin/activate'
            35:0 String '        pip instal…pgrade pip --quiet'
            36:0 String '        pip instal…ements.txt --quiet'
            37:0 String '        exec bash'
            38:0 String '      '
            38:6 String ''''
            40:6 Variable[declaration] 'linuxDevShell'
            40:22 Variable 'pkgs'
            40:27 Property 'mkShell'
            41:8 Property[declaration] 'buildInputs'
            41:22 Variable 'commonPackages'
            41:37 Operator '++'
            41:41 Keyword 'with'
            41:46 Variable 'pkgs'
            42:10 Variable[with] 'pythonManylinuxPackages'
            42:34 Property 'manylinux2014Package'
            43:10 Variable[with] 'stdenv'
            43:17 Property 'cc'
            43:20 Property 'cc'
            43:23 Property 'lib'
            44:11 Operator '++'
            44:14 Variable 'pkgs'
            44:19 Property 'lib'
            44:23 Property 'optionals'
            44:34 Variable 'cudaSupport'
            44:46 Operator '&&'
            44:49 Parameter 'system'
            44:56 Operator '=='
            44:59 String '"'
            44:60 String 'x86_64-linux'
            44:72 String '"'
            44:76 Keyword 'with'
            44:81 Variable 'pkgs'
            45:10 Variable[with] 'cudatoolkit'
            46:10 Variable[with] 'cudnn'
            47:11 Variable[with] 'ollama'
            47:18 Property 'override'
            47:29 Property[declaration] 'acceleration'
            47:44 String '"'
            47:45 String 'cuda'
            47:49 String '"'
            49:8 Property[declaration] 'shellHook'
            49:20 String '"'
            49:21 Escape '${'
            49:23 Variable 'runScript'
            49:32 Escape '}'
            49:33 String '/bin/runScript'
            49:47 String '"'
            52:6 Variable[declaration] 'darwinDevShell'
            52:23 Variable 'pkgs'
            52:28 Property 'mkShell'
            53:8 Property[declaration] 'buildInputs'
            53:22 Variable 'commonPackages'
            54:8 Property[declaration] 'shellHook'
            54:20 String '"'
            54:21 Escape '${'
            54:23 Variable 'runScript'
            54:32 Escape '}'
            54:33 String '/bin/runScript'
            54:47 String '"'
            56:4 Keyword 'in'
            57:6 Property[declaration,deprecated] 'devShell'
            57:17 Keyword 'if'
            57:20 Variable 'isLinux'
            57:28 Keyword 'then'
            57:33 Variable 'linuxDevShell'
            57:47 Keyword 'else'
            57:52 Variable 'darwinDevShell'
        "#]],
        );
    }
}
