//! Parsing with rnix, and syntax errors in words a user understands.

use rnix::{ParseError, SyntaxKind, SyntaxNode, SyntaxToken, TextRange, TextSize};

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

/// Nix reads a file as a C string: a NUL byte ends it.
pub(super) fn as_nix_reads(text: &str) -> &str {
    text.split('\0').next().unwrap_or("")
}

/// The tree of the whole text, parsed at once, and its errors in text order (the parse of
/// every file but a large one; see `pieces`).
pub(super) fn whole(text: &str) -> (SyntaxNode, Vec<SyntaxError>) {
    let text = as_nix_reads(text);
    let (root, rnix_errors, refusals) = parse_as_nix_reads(text);
    let end = TextSize::of(text);
    let mut errors: Vec<SyntaxError> = rnix_errors.iter().map(|err| convert(err, text, end)).collect();
    errors.extend(refusals);
    (root, one_per_place(errors))
}

/// The node with exactly `range` and one of `kinds` under `root`, if there is one.
pub fn node_with(root: &SyntaxNode, range: TextRange, kinds: &[SyntaxKind]) -> Option<SyntaxNode> {
    if !root.text_range().contains_range(range) {
        return None;
    }
    let start = match root.covering_element(range) {
        rowan::NodeOrToken::Node(n) => n,
        rowan::NodeOrToken::Token(t) => t.parent()?,
    };
    start.ancestors().take_while(|n| n.text_range() == range).find(|n| kinds.contains(&n.kind()))
}

/// The errors in text order, one per place.
pub(super) fn one_per_place(mut errors: Vec<SyntaxError>) -> Vec<SyntaxError> {
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
    kept
}

// Where rnix's lexer or grammar reads a text differently from Nix's, and the difference cannot
// be told from rnix's tree alone, rnix is given a slightly edited text that it reads the way Nix
// reads the original: a `!` after `-` or `+` becomes a `-`, a legacy `let {` becomes `rec {`, a
// lone CR in a `#` comment becomes a newline, and so on (see `edits_for`). Each edit keeps Nix's
// verdict on the text. The tree of the edited text is then given back the original text, token
// by token (an inserted space disappears, a replaced token gets its original text and kind),
// and its errors are moved back to original positions.

/// A change to the text rnix reads: a space inserted at `at` (`len` 0), or the `len` bytes at
/// `at` replaced by as many others.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Edit {
    at: TextSize,
    len: TextSize,
    text: &'static str,
    /// The kind the token read from the replacement is given back.
    kind: Option<SyntaxKind>,
}

impl Edit {
    fn space(at: TextSize) -> Edit {
        Edit { at, len: TextSize::from(0), text: " ", kind: None }
    }
    fn replace(at: TextSize, text: &'static str, kind: Option<SyntaxKind>) -> Edit {
        Edit { at, len: TextSize::of(text), text, kind }
    }
    fn range(&self) -> TextRange {
        TextRange::at(self.at, self.len)
    }
    fn is_insertion(&self) -> bool {
        self.len == TextSize::from(0)
    }
    fn order(&self) -> (TextSize, bool) {
        // A space inserted where a replacement starts goes before it.
        (self.at, !self.is_insertion())
    }
}

/// Edits to the original text, in order, and positions in the edited text mapped back.
#[derive(Default)]
struct Edited {
    edits: Vec<Edit>,
    /// Where each inserted space is in the edited text, in order.
    spaces: Vec<TextSize>,
}

impl Edited {
    fn apply(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + self.spaces.len());
        let mut at = 0;
        for edit in &self.edits {
            let start = usize::from(edit.at);
            out.push_str(&text[at..start]);
            out.push_str(edit.text);
            at = start + usize::from(edit.len);
        }
        out.push_str(&text[at..]);
        out
    }

    /// The original position of a position in the edited text (that of an inserted space is
    /// where it was inserted).
    fn original(&self, pos: TextSize) -> TextSize {
        let before = self.spaces.partition_point(|&space| space < pos);
        pos - TextSize::from(before as u32)
    }

    fn original_range(&self, range: TextRange) -> TextRange {
        TextRange::new(self.original(range.start()), self.original(range.end()))
    }

    /// The edit that replaced exactly `range` of the original text.
    /// Whether an edit lies within `range` (of the original text), ends included.
    fn touches(&self, range: TextRange) -> bool {
        let i = self.edits.partition_point(|e| e.at < range.start());
        self.edits.get(i).is_some_and(|e| e.at <= range.end())
    }

    fn replacement(&self, range: TextRange) -> Option<&Edit> {
        let i = self.edits.partition_point(|e| e.order() < (range.start(), true));
        self.edits.get(i).filter(|e| !e.is_insertion() && e.range() == range)
    }

    /// Adds edits found in the edited text, but none to text edited already. Whether any was
    /// added.
    fn add(&mut self, found: Vec<Edit>) -> bool {
        let replaced: Vec<TextRange> =
            self.edits.iter().filter(|e| !e.is_insertion()).map(Edit::range).collect();
        let mut new: Vec<Edit> = found.into_iter().map(|e| Edit { at: self.original(e.at), ..e }).collect();
        new.sort_by_key(Edit::order);
        new.dedup_by_key(|e| e.order());
        let mut end = TextSize::from(0);
        new.retain(|e| {
            if e.is_insertion() {
                return self.edits.binary_search_by_key(&e.order(), Edit::order).is_err();
            }
            let i = replaced.partition_point(|r| r.end() <= e.at);
            let keep = e.at >= end && replaced.get(i).is_none_or(|r| r.start() >= e.range().end());
            if keep {
                end = e.range().end();
            }
            keep
        });
        if new.is_empty() {
            return false;
        }
        self.edits.extend(new);
        self.edits.sort_by_key(Edit::order);
        self.spaces.clear();
        for edit in self.edits.iter().filter(|e| e.is_insertion()) {
            self.spaces.push(edit.at + TextSize::from(self.spaces.len() as u32));
        }
        true
    }
}

/// rnix's tree and errors for `text`, read as Nix reads it, and the errors Nix gives that rnix
/// does not.
pub(super) fn parse_as_nix_reads(text: &str) -> (SyntaxNode, Vec<ParseError>, Vec<SyntaxError>) {
    let parse = rnix::Root::parse(text);
    let root = parse.syntax();
    let (edits, refusals) = scan_green(&root, true);
    let mut edited = Edited::default();
    if !edited.add(edits) {
        return (root, parse.errors().to_vec(), refusals);
    }
    // Each round only edits text not edited before, and every edit removes what asked for it;
    // the bound is a safety net.
    let mut parse = rnix::Root::parse(&edited.apply(text));
    for _ in 0..16 {
        if !edited.add(scan_green(&parse.syntax(), true).0) {
            break;
        }
        parse = rnix::Root::parse(&edited.apply(text));
    }
    let root = with_original_text(&parse.syntax(), text, &edited);
    let errors = parse.errors().iter().map(|e| remap(e, |r| edited.original_range(r))).collect();
    let refusals = scan_green(&root, false).1;
    (root, errors, refusals)
}

/// The tree of the edited text, holding the original text.
fn with_original_text(root: &SyntaxNode, text: &str, edited: &Edited) -> SyntaxNode {
    SyntaxNode::new_root(rebuild(root.green(), TextSize::from(0), text, edited))
}

/// `node`, which starts at `offset` in the edited text, with the original text: inserted
/// spaces dropped, replaced tokens given back their text and kind. A subtree that no edit
/// touches is shared as it is, so only the paths down to the few edits are built again (a
/// rebuild of the whole tree cost as much as the parse itself on a 6 MB file).
fn rebuild(node: &rowan::GreenNodeData, offset: TextSize, text: &str, edited: &Edited) -> rowan::GreenNode {
    use rnix::NixLanguage;
    use rowan::{GreenToken, Language, NodeOrToken};
    let raw = NixLanguage::kind_to_raw;
    let mut children = Vec::with_capacity(node.children().len());
    let mut at = offset;
    for child in node.children() {
        let len = child.text_len();
        let original = edited.original_range(TextRange::at(at, len));
        match child {
            NodeOrToken::Node(inner) if edited.touches(original) => {
                children.push(NodeOrToken::Node(rebuild(inner, at, text, edited)));
            }
            NodeOrToken::Node(inner) => children.push(NodeOrToken::Node(inner.to_owned())),
            // A space inserted for rnix.
            NodeOrToken::Token(_) if original.is_empty() => {}
            NodeOrToken::Token(token) => {
                let kind = edited.replacement(original).and_then(|e| e.kind);
                let was = &text[original];
                if kind.is_none() && token.text() == was {
                    children.push(NodeOrToken::Token(token.to_owned()));
                } else {
                    let kind = kind.map_or(token.kind(), raw);
                    children.push(NodeOrToken::Token(GreenToken::new(kind, was)));
                }
            }
        }
        at += len;
    }
    let mut kind = NixLanguage::kind_from_raw(node.kind());
    // `rec {` read for a legacy `let {`.
    let first_is_let =
        children.iter().find_map(|c| c.as_token().map(|t| t.kind())) == Some(raw(SyntaxKind::TOKEN_LET));
    if kind == SyntaxKind::NODE_ATTR_SET && first_is_let {
        kind = SyntaxKind::NODE_LEGACY_LET;
    }
    rowan::GreenNode::new(raw(kind), children)
}

fn remap(err: &ParseError, map: impl Fn(TextRange) -> TextRange) -> ParseError {
    match err.clone() {
        ParseError::Unexpected(r) => ParseError::Unexpected(map(r)),
        ParseError::UnexpectedExtra(r) => ParseError::UnexpectedExtra(map(r)),
        ParseError::UnexpectedWanted(got, r, wanted) => ParseError::UnexpectedWanted(got, map(r), wanted),
        ParseError::UnexpectedDoubleBind(r) => ParseError::UnexpectedDoubleBind(map(r)),
        ParseError::DuplicatedArgs(r, name) => ParseError::DuplicatedArgs(map(r), name),
        other => other,
    }
}

/// Nix's path characters (`PATH_CHAR` in its lexer).
fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+')
}

/// Whether a token is the literal text of a path after an interpolation, as in `./a${x}/b`.
fn after_path_interpolation(token: &SyntaxToken) -> bool {
    token.prev_token().is_some_and(|prev| {
        prev.kind() == SyntaxKind::TOKEN_INTERPOL_END
            && prev.parent().and_then(|interpol| interpol.parent()).is_some_and(|p| is_path(p.kind()))
    })
}

fn is_path(kind: SyntaxKind) -> bool {
    use SyntaxKind::*;
    matches!(kind, NODE_PATH_ABS | NODE_PATH_REL | NODE_PATH_HOME | NODE_PATH_SEARCH)
}

/// What to change around a token of rnix's tree for rnix to read the text as Nix does.
fn edits_for(token: &SyntaxToken, edits: &mut Vec<Edit>) {
    use SyntaxKind::*;
    let start = token.text_range().start();
    let text = token.text();
    match token.kind() {
        // `-!x`, `1 + !x`: in Nix's grammar `!` starts an operand of every operator, but
        // rnix refuses it after `-`, `+`, `*`, `/` and `++` (a single `!` in an error node,
        // where rnix wanted an operand of one of those). A `-` there,
        // with spaces so that it joins nothing, gets the same verdict from Nix; so do the
        // `!`s that follow it (`-!!x`).
        TOKEN_INVERT
            if token
                .parent()
                .is_some_and(|p| p.kind() == NODE_ERROR && p.children_with_tokens().count() == 1) =>
        {
            let mut bang = Some(token.clone());
            while let Some(t) = bang {
                let at = t.text_range().start();
                edits.push(Edit::space(at));
                edits.push(Edit::replace(at, "-", Some(TOKEN_INVERT)));
                edits.push(Edit::space(at + TextSize::from(1)));
                bang = next_non_trivia(&t).filter(|n| n.kind() == TOKEN_INVERT);
            }
        }
        // `let { … }` is a simple expression in Nix's grammar, like `rec { … }`, so it can be
        // applied, selected from, or be an argument; rnix reads it only as a whole expression.
        TOKEN_LET if next_non_trivia(token).is_some_and(|n| n.kind() == TOKEN_L_BRACE) => {
            edits.push(Edit::replace(start, "rec", Some(TOKEN_LET)));
        }
        // Nix ends a `#` comment at a CR too (`#[^\r\n]*`); rnix only at a newline. A CR and a
        // newline are the same to Nix everywhere.
        TOKEN_COMMENT if text.starts_with('#') && text.trim_end_matches('\r').contains('\r') => {
            for (i, _) in text.match_indices('\r') {
                edits.push(Edit::replace(start + TextSize::from(i as u32), "\n", None));
            }
        }
        // `.../b`, `...a/${x}`: Nix's lexer takes the longest match, a path; rnix reads `...`
        // first. Any path characters in place of the dots make the same path for both.
        TOKEN_ELLIPSIS
            if token.next_token().is_some_and(|n| {
                matches!(n.kind(), TOKEN_PATH_REL | TOKEN_PATH_ABS)
                    && n.text_range().start() == token.text_range().end()
            }) =>
        {
            edits.push(Edit::replace(start, ".a.", None));
        }
        // `x/(y)`, `n/"s"`: rnix reads `x/` as a path (one ending with `/`, an error) when
        // any character but a space follows the `/`; Nix reads a path only when a path
        // character or `${` follows, and here reads `x`, `/`, `(`. A space before the `/`
        // makes rnix read that too.
        TOKEN_ERROR
            if text.len() > 1
                && text.ends_with('/')
                && text[..text.len() - 1].chars().all(is_path_char)
                && !after_path_interpolation(token) =>
        {
            edits.push(Edit::space(start + TextSize::of(text) - TextSize::from(1)));
        }
        // `./a${x}//b`: after an interpolation Nix's lexer reads any run of path characters
        // and slashes as more of the path, `//` too (only a trailing `/` is an error); rnix
        // refuses a `//` there. Path characters in place of the extra slashes.
        TOKEN_ERROR
            if after_path_interpolation(token)
                && !text.ends_with('/')
                && text.contains("//")
                && text.chars().all(|c| c == '/' || is_path_char(c)) =>
        {
            for (i, pair) in text.as_bytes().windows(2).enumerate() {
                if pair == b"//" {
                    edits.push(Edit::replace(start + TextSize::from(i as u32 + 1), "_", None));
                }
            }
        }
        // `1.e`, `0.`, `1.5e+x`: rnix reads a longer number than Nix's lexer does (`INT`,
        // and `FLOAT` is `[1-9][0-9]*\.[0-9]*` or `0?\.[0-9]+`, then an optional complete
        // exponent), here `1.` and `e`, `0` and `.`, `1.5` and `e`. A space where Nix's
        // number ends makes rnix read the rest as Nix does.
        TOKEN_FLOAT | TOKEN_ERROR
            if text.starts_with(|c: char| c.is_ascii_digit() || c == '.')
                && text.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')) =>
        {
            let len = nix_number_len(text);
            if 0 < len && len < text.len() {
                edits.push(Edit::space(start + TextSize::from(len as u32)));
            }
        }
        _ => {}
    }
}

/// The length of the number Nix's lexer reads at the start of `text`: the longest of `INT`
/// (`[0-9]+`) and `FLOAT` (`(([1-9][0-9]*\.[0-9]*)|(0?\.[0-9]+))([Ee][+-]?[0-9]+)?`).
fn nix_number_len(text: &str) -> usize {
    let b = text.as_bytes();
    let digits =
        |from: usize| b.get(from..).map_or(0, |rest| rest.iter().take_while(|c| c.is_ascii_digit()).count());
    let exponent = |from: usize| {
        if !matches!(b.get(from), Some(b'e' | b'E')) {
            return 0;
        }
        let sign = usize::from(matches!(b.get(from + 1), Some(b'+' | b'-')));
        match digits(from + 1 + sign) {
            0 => 0,
            n => 1 + sign + n,
        }
    };
    let int = digits(0);
    let mut float = 0;
    if matches!(b.first(), Some(b'1'..=b'9')) && b.get(int) == Some(&b'.') {
        let end = int + 1 + digits(int + 1);
        float = end + exponent(end);
    }
    let zero = usize::from(b.first() == Some(&b'0'));
    if b.get(zero) == Some(&b'.') && digits(zero + 1) > 0 {
        let end = zero + 1 + digits(zero + 1);
        float = float.max(end + exponent(end));
    }
    int.max(float)
}

fn next_non_trivia(token: &SyntaxToken) -> Option<SyntaxToken> {
    let mut next = token.next_token();
    while let Some(t) = &next {
        if !t.kind().is_trivia() {
            break;
        }
        next = t.next_token();
    }
    next
}

/// In one walk over the green tree: the edits rnix needs to read the text as Nix does
/// (`with_edits`), and the syntax errors Nix gives where rnix's tree has none. What [`scan`]
/// finds with rowan's cursors, which cost as much as rnix's parse on a large file; here a cursor
/// is made (from the root down) only for a node or token whose check may find something, as
/// told by its kind, its parent's kind, its text or its children.
fn scan_green(root: &SyntaxNode, with_edits: bool) -> (Vec<Edit>, Vec<SyntaxError>) {
    use rnix::NixLanguage;
    use rowan::{Language, NodeOrToken};
    use SyntaxKind::*;
    let kind_of = NixLanguage::kind_from_raw;
    let mut edits = Vec::new();
    let mut refusals = Vec::new();
    let token_at = |range: TextRange| root.token_at_offset(range.start()).find(|t| t.text_range() == range);
    let green = root.green();
    let mut offset = root.text_range().start();
    // The node entered and its children still to visit, on the way down.
    let mut stack: Vec<(SyntaxKind, rowan::Children<'_>)> = vec![(root.kind(), green.children())];
    while let Some((parent, children)) = stack.last_mut() {
        let parent = *parent;
        let Some(child) = children.next() else {
            stack.pop();
            continue;
        };
        match child {
            NodeOrToken::Node(node) => {
                let kind = kind_of(node.kind());
                let range = TextRange::at(offset, node.text_len());
                let check = match kind {
                    NODE_LAMBDA => matches!(parent, NODE_LIST | NODE_UNARY_OP | NODE_BIN_OP | NODE_APPLY),
                    NODE_PAREN => {
                        let last = node
                            .children()
                            .filter_map(|c| c.into_token())
                            .map(|t| kind_of(t.kind()))
                            .rfind(|k| !k.is_trivia() && *k != TOKEN_L_PAREN);
                        last.is_some_and(|k| k != TOKEN_R_PAREN)
                    }
                    kind if is_path(kind) => {
                        node.children().any(|c| kind_of(c.kind()).is_trivia())
                            || node.children().nth(1).is_some_and(|c| kind_of(c.kind()) == NODE_INTERPOL)
                    }
                    _ => false,
                };
                if check {
                    if let Some(node) = node_with(root, range, &[kind]) {
                        refusals.extend(match kind {
                            NODE_LAMBDA => bare_lambda(&node),
                            NODE_PAREN => unclosed_parenthesis(&node),
                            _ => spaced_path_interpolation(&node).or_else(|| crowded_path_start(&node)),
                        });
                    }
                }
                stack.push((kind, node.children()));
            }
            NodeOrToken::Token(token) => {
                let kind = kind_of(token.kind());
                let text = token.text();
                let range = TextRange::at(offset, token.text_len());
                offset += token.text_len();
                let edit = with_edits
                    && match kind {
                        TOKEN_INVERT => parent == NODE_ERROR,
                        TOKEN_LET | TOKEN_ELLIPSIS | TOKEN_ERROR => true,
                        TOKEN_COMMENT => text.starts_with('#') && text.contains('\r'),
                        TOKEN_FLOAT => {
                            let len = nix_number_len(text);
                            0 < len && len < text.len()
                        }
                        _ => false,
                    };
                let refusal = match kind {
                    TOKEN_WHITESPACE => text.chars().any(|c| !matches!(c, ' ' | '\t' | '\r' | '\n')),
                    TOKEN_PIPE_LEFT | TOKEN_PIPE_RIGHT | TOKEN_PATH_SEARCH => true,
                    _ => false,
                };
                if !edit && !refusal {
                    continue;
                }
                let Some(token) = token_at(range) else { continue };
                if edit {
                    edits_for(&token, &mut edits);
                }
                if refusal {
                    refusals.extend(match kind {
                        TOKEN_WHITESPACE => foreign_whitespace(&token),
                        TOKEN_PIPE_LEFT | TOKEN_PIPE_RIGHT => Some(pipe_operator(&token)),
                        _ => search_path(&token),
                    });
                }
            }
        }
    }
    (edits, refusals)
}

/// In one walk over the tree: what [`scan_green`] finds, with rowan's cursors at every step
/// (kept as the reference the green walk is tested against).
#[cfg(test)]
fn scan(root: &SyntaxNode, with_edits: bool) -> (Vec<Edit>, Vec<SyntaxError>) {
    use rowan::{NodeOrToken, WalkEvent};
    let mut edits = Vec::new();
    let mut refusals = Vec::new();
    for event in root.preorder_with_tokens() {
        let found = match event {
            WalkEvent::Enter(NodeOrToken::Node(node)) => match node.kind() {
                SyntaxKind::NODE_LAMBDA => bare_lambda(&node),
                SyntaxKind::NODE_PAREN => unclosed_parenthesis(&node),
                kind if is_path(kind) => {
                    spaced_path_interpolation(&node).or_else(|| crowded_path_start(&node))
                }
                _ => None,
            },
            WalkEvent::Enter(NodeOrToken::Token(token)) => {
                if with_edits {
                    edits_for(&token, &mut edits);
                }
                match token.kind() {
                    SyntaxKind::TOKEN_WHITESPACE => foreign_whitespace(&token),
                    SyntaxKind::TOKEN_PIPE_LEFT | SyntaxKind::TOKEN_PIPE_RIGHT => Some(pipe_operator(&token)),
                    SyntaxKind::TOKEN_PATH_SEARCH => search_path(&token),
                    _ => None,
                }
            }
            WalkEvent::Leave(_) => None,
        };
        refusals.extend(found);
    }
    (edits, refusals)
}

fn syntax_error(range: TextRange, message: String) -> SyntaxError {
    SyntaxError { kind: SyntaxErrorKind::Syntax, range, message }
}

/// Nix's lexer knows four whitespace characters: space, tab, carriage return and newline.
/// rnix takes every Unicode whitespace character as whitespace, so a no-break space (text
/// copied from a web page or a chat), a vertical tab or an em space between tokens would pass
/// here while Nix refuses the file ("unexpected invalid token").
fn foreign_whitespace(token: &SyntaxToken) -> Option<SyntaxError> {
    let text = token.text();
    let (at, c) = text.char_indices().find(|(_, c)| !matches!(c, ' ' | '\t' | '\r' | '\n'))?;
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
    Some(syntax_error(
        TextRange::at(start, TextSize::of(c)),
        format!(
            "unexpected invalid token U+{:04X}{name}: Nix allows only spaces, tabs and newlines between tokens",
            c as u32
        ),
    ))
}

/// In Nix's grammar a function (`x: …`, `{ a }: …`) is a whole expression: an element of a
/// list, an operand or an argument must be in parentheses. rnix takes `[ x: x ]`, `! x: x`,
/// `1 + x: x` and `(f) x: x` as if it were (found by scripts/diff-fuzz.py).
fn bare_lambda(lambda: &SyntaxNode) -> Option<SyntaxError> {
    use SyntaxKind::*;
    let parent = lambda.parent()?;
    if !matches!(parent.kind(), NODE_LIST | NODE_UNARY_OP | NODE_BIN_OP | NODE_APPLY) {
        return None;
    }
    // `x: a < b < c`: rnix ends the body at the second comparison, which does not chain, and
    // makes the function its left operand.
    if parent.kind() == NODE_BIN_OP && parent.first_child().as_ref() == Some(lambda) {
        let op =
            parent.children_with_tokens().filter_map(|e| e.into_token()).find(|t| !t.kind().is_trivia())?;
        return Some(syntax_error(
            op.text_range(),
            format!(
                "unexpected {}: comparisons do not chain, as in `a < b < c`; add parentheses",
                quote_token(&op)
            ),
        ));
    }
    Some(syntax_error(
        lambda.text_range(),
        "a function needs parentheses here: Nix reads `x: …` only where a whole expression starts"
            .to_string(),
    ))
}

/// rnix ends a `(` with whatever token follows the expression: `(1]`, `(1}`, `(1 if`, `(1:`
/// parse, where Nix says "unexpected …, expecting ')'" (found by scripts/diff-fuzz.py). At the
/// end of the file rnix reports it itself.
fn unclosed_parenthesis(paren: &SyntaxNode) -> Option<SyntaxError> {
    use SyntaxKind::*;
    let closing = paren
        .children_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !t.kind().is_trivia() && t.kind() != TOKEN_L_PAREN)
        .last()?;
    (closing.kind() != TOKEN_R_PAREN).then(|| {
        syntax_error(closing.text_range(), format!("unexpected {}, expected `)`", quote_token(&closing)))
    })
}

/// A search path is `<` path characters, in segments split by single slashes, `>`
/// (`SPATH` in Nix's lexer); rnix also takes `</>`, `<a/>` and `<a//b>`, where Nix reads a `<`
/// and then an error.
fn search_path(token: &SyntaxToken) -> Option<SyntaxError> {
    let inner = token.text().trim_start_matches('<').trim_end_matches('>');
    if inner.split('/').all(|segment| !segment.is_empty() && segment.chars().all(is_path_char)) {
        return None;
    }
    Some(syntax_error(
        token.text_range(),
        format!(
            "unexpected `<`: {} is not a search path (path characters between slashes, as in `<nixpkgs/lib>`)",
            quote_token(token)
        ),
    ))
}

/// rnix continues a path with an interpolation after a space or a comment (`/a ${x}`); to
/// Nix the path ends there, and `${` cannot start an expression.
fn spaced_path_interpolation(path: &SyntaxNode) -> Option<SyntaxError> {
    let after =
        path.children_with_tokens().skip_while(|e| !e.kind().is_trivia()).find(|e| !e.kind().is_trivia())?;
    Some(syntax_error(
        TextRange::at(after.text_range().start(), after.text_range().len().min(TextSize::from(2))),
        "unexpected `${`: a path takes an interpolation only right after it, with no space between"
            .to_string(),
    ))
}

/// The text of a path before its first interpolation, as Nix's lexer reads it: a path token
/// (`~/…` must have a path character after the slash, or be `~/` itself), then at most one more
/// piece (`string_parts_interpolated` takes one `STR` before the first `${`), and a piece ends at
/// every `//`. rnix takes `~//${x}` and `./a//b//${x}` (found by scripts/diff-fuzz.py).
fn crowded_path_start(path: &SyntaxNode) -> Option<SyntaxError> {
    let mut parts = path.children_with_tokens();
    let first = parts.next()?.into_token()?;
    if parts.next()?.kind() != SyntaxKind::NODE_INTERPOL {
        return None;
    }
    let start = first.text_range().start();
    let text = first.text();
    if text.starts_with("~//") {
        return Some(syntax_error(
            TextRange::at(start, TextSize::from(1)),
            "unexpected invalid token `~`: a path in the home directory starts with `~/` and a path character, or is `~/${…}`"
                .to_string(),
        ));
    }
    let second = text.as_bytes().windows(2).enumerate().filter(|(_, pair)| pair == b"//").nth(1)?.0;
    Some(syntax_error(
        TextRange::at(start + TextSize::from(second as u32 + 1), TextSize::from(1)),
        "unexpected `/`: before its first `${`, a path can hold `//` only once".to_string(),
    ))
}

fn quote_token(token: &SyntaxToken) -> String {
    quote(token.text(), TextRange::up_to(TextSize::of(token.text())))
}

/// `|>` and `<|` need the experimental feature `pipe-operators`; Nix refuses them without it
/// (and Nix before 2.24 does not know them), while rnix parses them.
fn pipe_operator(token: &SyntaxToken) -> SyntaxError {
    syntax_error(
        token.text_range(),
        format!(
            "`{}` needs Nix's experimental feature `pipe-operators`, which is off by default",
            token.text()
        ),
    )
}

pub(super) fn convert(err: &ParseError, text: &str, end: TextSize) -> SyntaxError {
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
    use crate::syntax::parse;
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
    fn comparisons_after_a_function_do_not_chain() {
        check(
            "x: x < 1 < 2",
            expect![
                "Syntax 9..10: unexpected `<`: comparisons do not chain, as in `a < b < c`; add parentheses"
            ],
        );
        check("{ a }: a == 1 != 2", expect!["Syntax 14..16: unexpected `!=`: comparisons do not chain, as in `a < b < c`; add parentheses"]);
        check("x: x < 1", expect![""]);
    }

    #[test]
    fn a_parenthesis_closed_by_another_token() {
        check("(1]", expect!["Syntax 2..3: unexpected `]`, expected `)`"]);
        check("{ a = (x: x}; }", expect!["Syntax 11..12: unexpected `}`, expected `)`"]);
        check("(1 if", expect!["Syntax 3..5: unexpected `if`, expected `)`"]);
        check("(1:", expect!["Syntax 2..3: unexpected `:`, expected `)`"]);
        check("(1\\", expect![[r#"Syntax 2..3: unexpected `\`, expected `)`"#]]);
        check("(/h@", expect!["Syntax 3..4: unexpected `@`, expected `)`"]);
        check("(1", expect!["Syntax 2..2: unexpected end of file"]);
        check("(1)", expect![""]);
        check("(1 # comment\n)", expect![""]);
    }

    /// The tree of a text rnix was given edited still holds the original text, token by token.
    fn check_tree(text: &str, expect: Expect) {
        let parsed = parse(text);
        assert_eq!(parsed.root.to_string(), text);
        let mut out = format!("{:#?}", parsed.root);
        for e in &parsed.errors {
            out.push_str(&format!("{:?} {:?}: {}\n", e.kind, e.range, e.message));
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn search_paths_as_nix_reads_them() {
        check("<nixpkgs>", expect![""]);
        check("<nixpkgs/lib/a.b-c+d_e>", expect![""]);
        check("import </> {}", expect!["Syntax 7..10: unexpected `<`: `</>` is not a search path (path characters between slashes, as in `<nixpkgs/lib>`)"]);
        check(
            "[ <a/> <a//b> </a> ]",
            expect![[r#"
            Syntax 2..6: unexpected `<`: `<a/>` is not a search path (path characters between slashes, as in `<nixpkgs/lib>`)
            Syntax 7..13: unexpected `<`: `<a//b>` is not a search path (path characters between slashes, as in `<nixpkgs/lib>`)
            Syntax 14..18: unexpected `<`: `</a>` is not a search path (path characters between slashes, as in `<nixpkgs/lib>`)"#]],
        );
    }

    #[test]
    fn an_interpolation_after_a_space_does_not_continue_a_path() {
        check("x: /a${x}", expect![""]);
        check("x: [ /o ${x} ]", expect!["Syntax 8..10: unexpected `${`: a path takes an interpolation only right after it, with no space between"]);
        check("x: [ /o /*c*/${x} ]", expect!["Syntax 13..15: unexpected `${`: a path takes an interpolation only right after it, with no space between"]);
        check("x: [ /${x} /t ${x}/${x} ]", expect!["Syntax 14..16: unexpected `${`: a path takes an interpolation only right after it, with no space between"]);
    }

    #[test]
    fn not_as_an_operand_of_any_operator() {
        check_tree(
            "-!x",
            expect![[r#"
            NODE_ROOT@0..3
              NODE_UNARY_OP@0..3
                TOKEN_SUB@0..1 "-"
                NODE_UNARY_OP@1..3
                  TOKEN_INVERT@1..2 "!"
                  NODE_IDENT@2..3
                    TOKEN_IDENT@2..3 "x"
        "#]],
        );
        for text in [
            "-!7",
            "1 + !x",
            "1-!x",
            "1*!x",
            "1/!x",
            "[ 1 ] ++ ! [ 2 ]",
            "-!!x",
            "-! ! !x",
            "!-!x",
            "-!x.a or 1",
        ] {
            let parsed = parse(text);
            assert!(parsed.errors.is_empty(), "{text}: {:?}", parsed.errors);
            assert_eq!(parsed.root.to_string(), text);
        }
        // Nix refuses these: `!` does not start an argument, a list element or an attribute
        // path, and needs an operand.
        for text in ["-!", "1 + !", "f !x", "[ !x ]", "x ? !a", "x.a or !x", "-!>x", "-! x: x"] {
            assert!(!parse(text).errors.is_empty(), "{text}");
        }
    }

    /// Whatever rnix was given to read, the tree holds the file's own text, and only the parts
    /// an edit touched were built again: every parser fixture, edited or not.
    #[test]
    fn the_tree_holds_the_original_text() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/parse");
        let mut edited = 0;
        for sub in ["valid", "invalid"] {
            for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
                let bytes = std::fs::read(entry.unwrap().path()).unwrap();
                let Ok(text) = String::from_utf8(bytes) else { continue };
                let text = text.split('\0').next().unwrap();
                let parsed = parse(text);
                assert_eq!(parsed.root.to_string(), text);
                let plain = rnix::Root::parse(text).syntax();
                if plain.green() != parsed.root.green() {
                    edited += 1;
                }
            }
        }
        assert!(edited >= 10, "the fixtures of rnix's differences were read edited ({edited})");
    }

    #[test]
    fn legacy_let_is_a_simple_expression() {
        check_tree(
            "let{x=1;}.x",
            expect![[r#"
            NODE_ROOT@0..11
              NODE_SELECT@0..11
                NODE_LEGACY_LET@0..9
                  TOKEN_LET@0..3 "let"
                  TOKEN_L_BRACE@3..4 "{"
                  NODE_ATTRPATH_VALUE@4..8
                    NODE_ATTRPATH@4..5
                      NODE_IDENT@4..5
                        TOKEN_IDENT@4..5 "x"
                    TOKEN_ASSIGN@5..6 "="
                    NODE_LITERAL@6..7
                      TOKEN_INTEGER@6..7 "1"
                    TOKEN_SEMICOLON@7..8 ";"
                  TOKEN_R_BRACE@8..9 "}"
                TOKEN_DOT@9..10 "."
                NODE_ATTRPATH@10..11
                  NODE_IDENT@10..11
                    TOKEN_IDENT@10..11 "x"
        "#]],
        );
        for text in [
            "let{x=1;}{x=1;}",
            "3 let { x = 1; y = x; }",
            "let{x=1;}/h",
            "[ let { a = 1; } ]",
            "let /**/ { } + 1",
        ] {
            let parsed = parse(text);
            assert!(parsed.errors.is_empty(), "{text}: {:?}", parsed.errors);
            assert_eq!(parsed.root.to_string(), text);
            assert!(parsed.root.descendants().any(|n| n.kind() == SyntaxKind::NODE_LEGACY_LET), "{text}");
        }
        check("let{x=1;} in 1", expect!["Syntax 10..14: unexpected `in 1` after the end of the expression (a file holds one expression)"]);
        check(
            "[ let ]",
            expect!["Syntax 2..5: unexpected `let`, expected `(`, `rec`, `{`, `[`, a string or a name"],
        );
    }

    #[test]
    fn a_carriage_return_ends_a_comment() {
        check_tree(
            "1#\re",
            expect![[r##"
            NODE_ROOT@0..4
              NODE_APPLY@0..4
                NODE_LITERAL@0..1
                  TOKEN_INTEGER@0..1 "1"
                TOKEN_COMMENT@1..2 "#"
                TOKEN_WHITESPACE@2..3 "\r"
                NODE_IDENT@3..4
                  TOKEN_IDENT@3..4 "e"
        "##]],
        );
        check("#\r\"\"", expect![""]);
        check("# a\r# b\r1", expect![""]);
        check("# a\r\n1", expect![""]);
        check("#\r\r", expect!["Syntax 3..3: unexpected end of file"]);
    }

    #[test]
    fn a_file_with_carriage_returns_only_is_read_in_one_pass() {
        // rnix sees one comment to the end of the file; every CR in it is edited at once.
        let text = format!("[\r{}]", "# comment\r1 # more\r".repeat(20_000));
        let started = std::time::Instant::now();
        let parsed = parse(&text);
        assert!(parsed.errors.is_empty(), "{:?}", &parsed.errors[..1]);
        assert_eq!(parsed.root.to_string(), text);
        let elements = parsed.root.descendants().filter(|n| n.kind() == SyntaxKind::NODE_LITERAL).count();
        assert_eq!(elements, 20_000);
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    }

    #[test]
    fn a_path_starting_with_dots() {
        check_tree(
            "[ /x .../b ]",
            expect![[r#"
            NODE_ROOT@0..12
              NODE_LIST@0..12
                TOKEN_L_BRACK@0..1 "["
                TOKEN_WHITESPACE@1..2 " "
                NODE_PATH_ABS@2..4
                  TOKEN_PATH_ABS@2..4 "/x"
                TOKEN_WHITESPACE@4..5 " "
                NODE_PATH_REL@5..10
                  TOKEN_PATH_REL@5..10 ".../b"
                TOKEN_WHITESPACE@10..11 " "
                TOKEN_R_BRACK@11..12 "]"
        "#]],
        );
        check("x: [ .../${x}${x} ..../b ...a/b ]", expect![""]);
        check("{ ... }: 1", expect![""]);
        check(
            "[ ... ]",
            expect!["Syntax 2..5: unexpected `...`, expected `(`, `rec`, `{`, `[`, a string or a name"],
        );
    }

    #[test]
    fn a_slash_not_followed_by_a_path_character_divides() {
        check_tree(
            "x: x/(x)",
            expect![[r#"
            NODE_ROOT@0..8
              NODE_LAMBDA@0..8
                NODE_IDENT_PARAM@0..1
                  NODE_IDENT@0..1
                    TOKEN_IDENT@0..1 "x"
                TOKEN_COLON@1..2 ":"
                TOKEN_WHITESPACE@2..3 " "
                NODE_BIN_OP@3..8
                  NODE_IDENT@3..4
                    TOKEN_IDENT@3..4 "x"
                  TOKEN_DIV@4..5 "/"
                  NODE_PAREN@5..8
                    TOKEN_L_PAREN@5..6 "("
                    NODE_IDENT@6..7
                      TOKEN_IDENT@6..7 "x"
                    TOKEN_R_PAREN@7..8 ")"
        "#]],
        );
        check("x: [ (x/[1]) (x/\"a\") (1/{}) (x/!x) (x/''s'') ]", expect![""]);
        // A path that has a slash before ends with it.
        check("a/b/(x)", expect!["Syntax 0..4: a path cannot end with `/`: `a/b/`"]);
        check("/a/(x)", expect!["Syntax 0..3: a path cannot end with `/`: `/a/`"]);
        check("x: x/$", expect!["Syntax 5..6: unexpected invalid token `$`, expected `(`, `rec`, `{`, `[`, a string or a name"]);
    }

    #[test]
    fn numbers_as_nix_reads_them() {
        assert_eq!(nix_number_len("1.5e3"), 5);
        assert_eq!(nix_number_len("1.e"), 2);
        assert_eq!(nix_number_len("1.5e+"), 3);
        assert_eq!(nix_number_len("0."), 1);
        assert_eq!(nix_number_len("0.5"), 3);
        assert_eq!(nix_number_len(".5E-2"), 5);
        assert_eq!(nix_number_len("00.5"), 2);
        check_tree(
            "e: 1.e",
            expect![[r#"
            NODE_ROOT@0..6
              NODE_LAMBDA@0..6
                NODE_IDENT_PARAM@0..1
                  NODE_IDENT@0..1
                    TOKEN_IDENT@0..1 "e"
                TOKEN_COLON@1..2 ":"
                TOKEN_WHITESPACE@2..3 " "
                NODE_APPLY@3..6
                  NODE_LITERAL@3..5
                    TOKEN_FLOAT@3..5 "1."
                  NODE_IDENT@5..6
                    TOKEN_IDENT@5..6 "e"
        "#]],
        );
        check("e: [ 1.5e (1.5e+e) .5e 0.e 0.e5 1.5e3 0.5 1. ]", expect![""]);
        check("0.", expect!["Syntax 2..2: unexpected end of file, expected a name, `or` or an expression"]);
        check(
            "[ 0. ]",
            expect![[r#"
            Syntax 5..6: unexpected `]`, expected a name, `or` or an expression
            Syntax 6..6: unexpected end of file, expected a name, `or` or an expression"#]],
        );
        check("1.5e+", expect!["Syntax 5..5: unexpected end of file"]);
    }

    #[test]
    fn slashes_before_a_path_interpolation() {
        check("x: [ /o//${x} ./a//b${x} ./a//b/c${x} ~/a//${x} ~/${x} /${x} a/${x} ]", expect![""]);
        check(
            "x: [ /o///${x} ]",
            expect!["Syntax 9..10: unexpected `/`: before its first `${`, a path can hold `//` only once"],
        );
        check(
            "x: ./a//b//${x}",
            expect!["Syntax 10..11: unexpected `/`: before its first `${`, a path can hold `//` only once"],
        );
        check("x: [ /o~//${x} ]", expect!["Syntax 7..8: unexpected invalid token `~`: a path in the home directory starts with `~/` and a path character, or is `~/${…}`"]);
    }

    #[test]
    fn slashes_after_a_path_interpolation() {
        check("x: a/${x}//b", expect![""]);
        check("x: a/${x}///b//${x}", expect![""]);
        check("x: a/${x}//b/", expect!["Syntax 9..13: unexpected `//b/` after the end of the expression (a file holds one expression)"]);
        check("x: a/${x}b/(x)", expect!["Syntax 9..14: unexpected `b/(x)` after the end of the expression (a file holds one expression)"]);
    }

    #[test]
    fn pipe_operators_are_refused() {
        check(
            "1 |> toString",
            expect!["Syntax 2..4: `|>` needs Nix's experimental feature `pipe-operators`, which is off by default"],
        );
    }

    /// The green walk finds what the walk with cursors finds, edits and refusals in the same
    /// order, over every file of the parser's corpus, the fuzzer's corpus and the fixtures.
    #[test]
    fn the_green_walk_finds_what_the_cursor_walk_finds() {
        for (path, text) in crate::testing::corpus_texts() {
            let root = rnix::Root::parse(&text).syntax();
            for with_edits in [true, false] {
                let (cursor_edits, cursor_refusals) = scan(&root, with_edits);
                let (green_edits, green_refusals) = scan_green(&root, with_edits);
                assert_eq!(green_edits, cursor_edits, "{}", path.display());
                assert_eq!(green_refusals, cursor_refusals, "{}", path.display());
            }
        }
    }
}
