//! A large file parsed in pieces: the bindings of its largest binding list (the set a module
//! or a package set returns, a `let`'s bindings) are cut into runs of whole bindings, each
//! parsed by itself (on all cores when the file is opened), and the rest of the file, the
//! frame, is parsed with an empty list in their place; the pieces' children are then put into
//! the frame's list. After an edit, only the pieces the edit touched are parsed again.
//!
//! Why the result is the tree of the whole text: a piece is taken only when `{` + piece + `}`
//! parses without an error into one set, so its text is whole bindings whose tokens start and
//! end in the lexer's normal state with balanced brackets, ending with `;`, which joins no
//! token that follows. rnix's parser reads a binding list in one loop (`parse_set`) that
//! leaves trivia between bindings to the list's node, so the list of the whole text is the
//! frame's list with the pieces' children in its place. The frame must have no error before
//! the list: the parser is then in that loop where the pieces begin. A piece that has an error
//! (a binding being typed) is not taken: it and everything after it stay in the frame, whose
//! parse is then that of the whole rest of the file. Where the cutting is unsure (the scanner
//! below is a sketch of Nix's lexer), the parses decide; a file with no list worth cutting is
//! parsed whole.

use std::sync::Arc;

use rnix::{SyntaxKind, TextRange, TextSize};
use rowan::{GreenNode, GreenToken, NodeOrToken};

use super::parse::{self, SyntaxError};
use rnix::SyntaxNode;

/// A parsed file: the tree (always there, with error nodes where the text is broken) and the
/// errors, in text order.
#[derive(Clone)]
pub struct Parsed {
    pub root: SyntaxNode,
    pub errors: Vec<SyntaxError>,
    /// How a large file was cut into pieces, for the parse of its next version.
    pub pieces: Option<Arc<Pieces>>,
}

pub fn parse(text: &str) -> Parsed {
    parse_after(text, None, 1)
}

/// The parse of `text`; a large file is parsed in pieces, on up to `threads` threads, and when
/// `before` is the last version's text and parse, only the pieces an edit touched are parsed
/// again.
pub fn parse_after(text: &str, before: Option<(&str, &Pieces)>, threads: usize) -> Parsed {
    let text = parse::as_nix_reads(text);
    let before = before.map(|(old, pieces)| (parse::as_nix_reads(old), pieces));
    in_pieces(text, before, threads).unwrap_or_else(|| parse_whole(text))
}

/// The parse of the whole text at once.
fn parse_whole(text: &str) -> Parsed {
    let (root, errors) = parse::whole(text);
    Parsed { root, errors, pieces: None }
}

type Green = NodeOrToken<GreenNode, GreenToken>;

/// From this size on a file is parsed in pieces.
pub(super) const FROM: usize = 256 * 1024;

/// About how much text a piece holds: an edit parses about this much again, and each piece
/// is parsed with a node cache of its own (fewer, larger pieces share more nodes and cost
/// less). A quarter of a thread's share of the file, between these bounds: on the 6 MB file of
/// `scripts/bench-nil.py` (2 cores), opening took 241–261 ms with pieces of 256 KiB, 224–230
/// with 512 KiB and 231–237 with 1 MiB.
const PIECE: std::ops::RangeInclusive<usize> = 32 * 1024..=512 * 1024;

fn piece_size(text_len: usize, threads: usize) -> usize {
    (text_len / (4 * threads.max(1))).clamp(*PIECE.start(), *PIECE.end())
}

/// A run of whole bindings, parsed.
#[derive(Clone)]
struct Piece {
    start: usize,
    len: usize,
    children: Arc<[Green]>,
    /// Nix's refusals in the piece (rnix found no error), from its start.
    errors: Arc<[SyntaxError]>,
}

impl Piece {
    fn end(&self) -> usize {
        self.start + self.len
    }
}

/// How a large file was cut, for the next version's parse.
pub struct Pieces {
    /// Where the list's bindings start: just after its `{` or `let`.
    list_start: usize,
    /// The pieces taken, consecutive from `list_start`.
    pieces: Vec<Piece>,
}

/// A piece to parse, or one taken from the last version.
enum Part {
    Parse(std::ops::Range<usize>),
    Keep(Piece),
}

/// The parse of `text` in pieces, reusing what `before` (the text of the last version and its
/// pieces) has; `None` when the text is small or has no list to cut.
fn in_pieces(text: &str, before: Option<(&str, &Pieces)>, threads: usize) -> Option<Parsed> {
    if text.len() < FROM {
        return None;
    }
    let size = piece_size(text.len(), threads);
    let (list_start, parts) =
        before.and_then(|(old, pieces)| replan(text, old, pieces, size)).or_else(|| plan(text, size))?;
    build(text, list_start, parts, threads)
}

/// Cuts a text never seen: the list with the most bindings, in pieces of about `size`.
fn plan(text: &str, size: usize) -> Option<(usize, Vec<Part>)> {
    let (list_start, ends) = largest_list(text.as_bytes())?;
    Some((list_start, cut(list_start, &ends, size)))
}

/// Runs of consecutive bindings (`ends`: where each ends, after its `;`) from `from`.
fn cut(from: usize, ends: &[usize], size: usize) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut start = from;
    for (i, &end) in ends.iter().enumerate() {
        if end - start >= size || i + 1 == ends.len() {
            parts.push(Part::Parse(start..end));
            start = end;
        }
    }
    parts
}

/// Cuts a new version of `old`: the pieces before and after the edit are kept, the text
/// between them is cut again. `None` when the edit changes the frame before the list and the
/// list too.
fn replan(text: &str, old: &str, pieces: &Pieces, size: usize) -> Option<(usize, Vec<Part>)> {
    let (new_b, old_b) = (text.as_bytes(), old.as_bytes());
    let prefix = new_b.iter().zip(old_b).take_while(|(a, b)| a == b).count();
    let most = new_b.len().min(old_b.len()) - prefix;
    let suffix = new_b.iter().rev().zip(old_b.iter().rev()).take(most).take_while(|(a, b)| a == b).count();
    let old_changed_end = old.len() - suffix;
    // Where a place after the edit moved to.
    let moved = |at: usize| at + text.len() - old.len();
    let shift = |p: &Piece| Piece { start: moved(p.start), ..p.clone() };
    if prefix < pieces.list_start && old_changed_end <= pieces.list_start {
        // Only the frame before the list changed; the list is where it was, moved.
        let list_start = moved(pieces.list_start);
        return Some((list_start, pieces.pieces.iter().map(|p| Part::Keep(shift(p))).collect()));
    }
    if prefix < pieces.list_start {
        return None;
    }
    let before: Vec<&Piece> = pieces.pieces.iter().take_while(|p| p.end() <= prefix).collect();
    let after: Vec<Piece> =
        pieces.pieces.iter().filter(|p| p.start >= old_changed_end.max(prefix)).map(shift).collect();
    let from = before.last().map_or(pieces.list_start, |p| p.end());
    let until = after.first().map(|p| p.start);
    let ends = list_ends(text.as_bytes(), from, until)?;
    let mut parts: Vec<Part> = before.into_iter().map(|p| Part::Keep(p.clone())).collect();
    parts.extend(cut(from, &ends, size));
    parts.extend(after.into_iter().map(Part::Keep));
    Some((pieces.list_start, parts))
}

/// Parses the parts (on up to `threads` threads), the frame, and puts them together.
fn build(text: &str, list_start: usize, parts: Vec<Part>, threads: usize) -> Option<Parsed> {
    let to_parse: Vec<std::ops::Range<usize>> = parts
        .iter()
        .filter_map(|p| match p {
            Part::Parse(range) => Some(range.clone()),
            Part::Keep(_) => None,
        })
        .collect();
    let mut parsed = parse_pieces(text, &to_parse, threads).into_iter();
    let mut taken: Vec<Piece> = Vec::with_capacity(parts.len());
    for part in parts {
        let piece = match part {
            Part::Keep(piece) => Some(piece),
            Part::Parse(_) => parsed.next().flatten(),
        };
        // The first piece that is not whole ends the pieces: the rest is the frame's.
        match piece {
            Some(piece) => taken.push(piece),
            None => break,
        }
    }
    let tail = taken.last().map_or(list_start, Piece::end);
    let frame_text = format!("{}{}", &text[..list_start], &text[tail..]);
    let (root, rnix_errors, refusals) = parse::parse_as_nix_reads(&frame_text);
    let end = TextSize::of(frame_text.as_str());
    let list = TextSize::try_from(list_start).ok()?;
    let mut errors: Vec<SyntaxError> =
        rnix_errors.iter().map(|err| parse::convert(err, &frame_text, end)).collect();
    // An error before the list: the parser may not be in the list's loop where the pieces go.
    if errors.iter().any(|e| e.range.start() < list) {
        return None;
    }
    errors.extend(refusals);
    let opener = match root.token_at_offset(list) {
        rowan::TokenAtOffset::Between(left, _) => left,
        // The frame ends with the opener (a file cut short after its bindings).
        rowan::TokenAtOffset::Single(token) if token.text_range().end() == list => token,
        _ => return None,
    };
    let list_node = opener.parent()?;
    let is_list = match opener.kind() {
        SyntaxKind::TOKEN_L_BRACE => list_node.kind() == SyntaxKind::NODE_ATTR_SET,
        SyntaxKind::TOKEN_LET => list_node.kind() == SyntaxKind::NODE_LET_IN,
        _ => false,
    };
    if !is_list {
        return None;
    }
    let moved = TextSize::try_from(tail - list_start).ok()?;
    for err in &mut errors {
        if err.range.start() >= list {
            err.range += moved;
        } else if err.range.end() > list {
            // Around the list (a function whose body it is, refused where it stands).
            err.range = TextRange::new(err.range.start(), err.range.end() + moved);
        }
    }
    for piece in &taken {
        // The piece was parsed after a `{` of its own.
        let at = TextSize::try_from(piece.start).ok()? - TextSize::from(1);
        errors.extend(piece.errors.iter().map(|e| SyntaxError { range: e.range + at, ..e.clone() }));
    }
    let index = opener.index() + 1;
    let children = taken.iter().flat_map(|p| p.children.iter().cloned());
    let list_green = list_node.green().splice_children(index..index, children);
    let root = rnix::SyntaxNode::new_root(list_node.replace_with(list_green));
    // The tree holds the whole text, or the whole parse is taken instead.
    if usize::from(root.text_range().len()) != text.len() {
        return None;
    }
    Some(Parsed {
        root,
        errors: parse::one_per_place(errors),
        pieces: Some(Arc::new(Pieces { list_start, pieces: taken })),
    })
}

/// Each range of `text` parsed as a piece, in order; `None` for one that is not whole bindings.
fn parse_pieces(text: &str, ranges: &[std::ops::Range<usize>], threads: usize) -> Vec<Option<Piece>> {
    let one = |range: &std::ops::Range<usize>| parse_piece(text, range.clone());
    let bytes: usize = ranges.iter().map(|r| r.len()).sum();
    if threads <= 1 || ranges.len() < 2 || bytes < 2 * PIECE.start() {
        return ranges.iter().map(one).collect();
    }
    // One share per thread; this thread takes the first.
    let sizes: Vec<usize> = ranges.iter().map(|r| r.len()).collect();
    let groups: Vec<&[std::ops::Range<usize>]> =
        shares(&sizes, threads).into_iter().map(|s| &ranges[s]).collect();
    std::thread::scope(|scope| {
        let others: Vec<_> = groups[1..]
            .iter()
            .map(|group| {
                std::thread::Builder::new()
                    .stack_size(crate::STACK_SIZE)
                    .spawn_scoped(scope, move || group.iter().map(one).collect::<Vec<_>>())
            })
            .collect();
        let mut out: Vec<Option<Piece>> = groups[0].iter().map(one).collect();
        for (thread, group) in others.into_iter().zip(&groups[1..]) {
            match thread.map(|t| t.join()) {
                Ok(Ok(found)) => out.extend(found),
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                // No thread to be had: here, then.
                Err(_) => out.extend(group.iter().map(one)),
            }
        }
        out
    })
}

/// Items of these `sizes` in `count` contiguous runs of about the same total size (fewer when
/// an item is larger than a share): the runs' index ranges, in order.
pub(super) fn shares(sizes: &[usize], count: usize) -> Vec<std::ops::Range<usize>> {
    let share = sizes.iter().sum::<usize>().div_ceil(count.max(1));
    let mut out = Vec::new();
    let (mut from, mut size) = (0, 0);
    for (i, item) in sizes.iter().enumerate() {
        size += item;
        if size >= share || i + 1 == sizes.len() {
            out.push(from..i + 1);
            from = i + 1;
            size = 0;
        }
    }
    out
}

/// `text[range]` parsed as the bindings of a set, when it is whole bindings.
fn parse_piece(text: &str, range: std::ops::Range<usize>) -> Option<Piece> {
    let piece = &text[range.clone()];
    if !piece.ends_with(';') {
        return None;
    }
    let mut wrapped = String::with_capacity(piece.len() + 2);
    wrapped.push('{');
    wrapped.push_str(piece);
    wrapped.push('}');
    let (root, rnix_errors, refusals) = parse::parse_as_nix_reads(&wrapped);
    if !rnix_errors.is_empty() {
        return None;
    }
    let mut top = root.children_with_tokens();
    let set = top.next()?.into_node()?;
    if top.next().is_some() || set.kind() != SyntaxKind::NODE_ATTR_SET {
        return None;
    }
    let green = set.green();
    let all: Vec<Green> = green.children().map(|c| c.to_owned()).collect();
    let (first, last) = (all.first()?, all.last()?);
    let brace = |g: &Green, kind: SyntaxKind| {
        g.as_token().is_some_and(|t| t.kind() == <rnix::NixLanguage as rowan::Language>::kind_to_raw(kind))
    };
    if all.len() < 2 || !brace(first, SyntaxKind::TOKEN_L_BRACE) || !brace(last, SyntaxKind::TOKEN_R_BRACE) {
        return None;
    }
    let children: Arc<[Green]> = all[1..all.len() - 1].iter().cloned().collect();
    Some(Piece { start: range.start, len: range.len(), children, errors: refusals.into() })
}

// A sketch of Nix's lexer, enough to find where the bindings of a list end: strings,
// indented strings, interpolations, comments, brackets, `let … in`, and the `;` that a
// `with` or an `assert` takes. Paths and URIs are read as other text, which is right except
// for odd ones (a path with a keyword alone between slashes is read as text).

#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    /// `{` (a set, or a pattern) or `let`: a list of bindings, where it starts, and how many
    /// `with`/`assert` wait for their `;`.
    List { start: usize, pending: u32 },
    /// `(`, `[`.
    Bracket(u8),
    /// `${`, in code or in a string.
    Interpolation,
    /// `"` (false) or `''` (true).
    String(bool),
}

/// What scanning found.
enum Stop {
    /// The end of the text, or `until`, in the state scanning started in.
    Reached,
    /// The list scanning started in closed here.
    Closed,
    /// Something the sketch does not know, or unbalanced text.
    Lost,
}

struct Scanner<'a> {
    b: &'a [u8],
    at: usize,
    stack: Vec<Open>,
    /// `(the list's start, where a binding of it ends)`.
    ends: Vec<(usize, usize)>,
}

impl Scanner<'_> {
    fn run(&mut self, until: usize, floor: usize) -> Stop {
        let b = self.b;
        while self.at < until {
            let c = b[self.at];
            if let Some(Open::String(indented)) = self.stack.last().copied() {
                if self.string(indented).is_none() {
                    return Stop::Lost;
                }
                continue;
            }
            let next = b.get(self.at + 1).copied();
            self.at += 1;
            match c {
                b'#' => {
                    while self.at < b.len() && b[self.at] != b'\n' && b[self.at] != b'\r' {
                        self.at += 1;
                    }
                }
                b'/' if next == Some(b'*') => {
                    let Some(end) = find(&b[self.at + 1..], b"*/") else { return Stop::Lost };
                    self.at += 1 + end + 2;
                }
                b'"' => self.stack.push(Open::String(false)),
                b'\'' if next == Some(b'\'') => {
                    self.at += 1;
                    self.stack.push(Open::String(true));
                }
                b'$' if next == Some(b'{') => {
                    self.at += 1;
                    self.stack.push(Open::Interpolation);
                }
                b'{' => self.stack.push(Open::List { start: self.at, pending: 0 }),
                b'(' | b'[' => self.stack.push(Open::Bracket(c)),
                b'}' => match self.stack.pop() {
                    Some(Open::List { .. } | Open::Interpolation) if self.stack.len() >= floor => {}
                    Some(Open::List { .. }) if self.stack.len() + 1 == floor => return Stop::Closed,
                    _ => return Stop::Lost,
                },
                b')' | b']' => match self.stack.pop() {
                    Some(Open::Bracket(open)) if (open, c) == (b'(', b')') || (open, c) == (b'[', b']') => {}
                    _ => return Stop::Lost,
                },
                b';' => {
                    if let Some(Open::List { start, pending }) = self.stack.last_mut() {
                        if *pending > 0 {
                            *pending -= 1;
                        } else {
                            self.ends.push((*start, self.at));
                        }
                    }
                }
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    let start = self.at - 1;
                    while self.at < b.len()
                        && (b[self.at].is_ascii_alphanumeric() || matches!(b[self.at], b'_' | b'\'' | b'-'))
                    {
                        self.at += 1;
                    }
                    // A word right after `/` or `.` is part of a path or an attribute path.
                    if start > 0 && matches!(b[start - 1], b'/' | b'.') {
                        continue;
                    }
                    match &b[start..self.at] {
                        b"let" => self.stack.push(Open::List { start: self.at, pending: 0 }),
                        b"in" => match self.stack.pop() {
                            Some(Open::List { .. }) if self.stack.len() >= floor => {}
                            Some(Open::List { .. }) if self.stack.len() + 1 == floor => return Stop::Closed,
                            _ => return Stop::Lost,
                        },
                        b"with" | b"assert" => {
                            if let Some(Open::List { pending, .. }) = self.stack.last_mut() {
                                *pending += 1;
                            }
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        Stop::Reached
    }

    /// Reads string text up to its end or an interpolation (which it opens).
    fn string(&mut self, indented: bool) -> Option<()> {
        let b = self.b;
        loop {
            let c = *b.get(self.at)?;
            let next = b.get(self.at + 1).copied();
            match c {
                b'\\' if !indented => self.at += 2,
                b'"' if !indented => {
                    self.at += 1;
                    self.stack.pop();
                    return Some(());
                }
                b'\'' if indented && next == Some(b'\'') => match b.get(self.at + 2) {
                    Some(b'\'' | b'$') => self.at += 3,
                    Some(b'\\') => self.at += 4,
                    _ => {
                        self.at += 2;
                        self.stack.pop();
                        return Some(());
                    }
                },
                b'$' if next == Some(b'$') => self.at += 2,
                b'$' if next == Some(b'{') => {
                    self.at += 2;
                    self.stack.push(Open::Interpolation);
                    return Some(());
                }
                _ => self.at += 1,
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The list of `text` with the most bindings: where its bindings start and where each ends.
fn largest_list(b: &[u8]) -> Option<(usize, Vec<usize>)> {
    let mut scanner = Scanner { b, at: 0, stack: Vec::new(), ends: Vec::new() };
    if !matches!(scanner.run(b.len(), 0), Stop::Reached) {
        return None;
    }
    let mut count: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for (start, _) in &scanner.ends {
        *count.entry(*start).or_default() += 1;
    }
    let (&start, _) = count.iter().max_by_key(|(start, n)| (**n, std::cmp::Reverse(**start)))?;
    let ends = scanner.ends.iter().filter(|(s, _)| *s == start).map(|(_, e)| *e).collect();
    Some((start, ends))
}

/// Where the bindings end from `from`, a place between two bindings of a list, up to `until`
/// (which must be another such place) or, without it, to where the list closes.
fn list_ends(b: &[u8], from: usize, until: Option<usize>) -> Option<Vec<usize>> {
    let mut scanner =
        Scanner { b, at: from, stack: vec![Open::List { start: from, pending: 0 }], ends: Vec::new() };
    let stop = scanner.run(until.unwrap_or(b.len()), 1);
    let ends: Vec<usize> = scanner.ends.iter().filter(|(s, _)| *s == from).map(|(_, e)| *e).collect();
    match (stop, until) {
        (Stop::Reached, Some(until)) => {
            let settled = scanner.stack == [Open::List { start: from, pending: 0 }] && scanner.at == until;
            let last = ends.last().copied().unwrap_or(from);
            (settled && last == until).then_some(ends)
        }
        // To the end of a list that does not close: what was found is still worth trying.
        (Stop::Closed | Stop::Reached, None) => Some(ends),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parse in pieces (with small pieces, so that even a short text has several) and the
    /// parse of the whole text agree: the same tree and the same errors.
    fn same_as_whole(text: &str) -> bool {
        let whole = parse_whole(text);
        let Some(pieces) = parse_small(text, None) else { return false };
        assert_eq!(pieces.root.green(), whole.root.green(), "tree of {text:?}");
        assert_eq!(pieces.errors, whole.errors, "errors of {text:?}");
        true
    }

    fn parse_small(text: &str, before: Option<(&str, &Pieces)>) -> Option<Parsed> {
        let (list_start, parts) =
            before.and_then(|(old, pieces)| replan(text, old, pieces, 1)).or_else(|| {
                let (list_start, ends) = largest_list(text.as_bytes())?;
                Some((
                    list_start,
                    ends.windows(2).fold(vec![Part::Parse(list_start..ends[0])], |mut v, w| {
                        v.push(Part::Parse(w[0]..w[1]));
                        v
                    }),
                ))
            })?;
        build(text, list_start, parts, 2)
    }

    #[test]
    fn pieces_and_whole_agree() {
        for text in [
            "{ a = 1; b = { c = 2; }; d = \"x;y\"; }",
            "{ pkgs, ... }: with pkgs; { a = with pkgs; [ x ]; b = let y = 1; in y; inherit (pkgs) c; }",
            "let a = ''\n x ''${y} ''' ${z}\n''; b = /* ; */ 1; # ;\n c = ./a/let; in a",
            "rec { a = 1; b = a; } // { c = 2; }",
            // Errors in a piece, before the list, after it.
            "{ a = ; b = 1; c = 2; d = 3; }",
            "{ a = 1; b = 2; } ;",
            "{ a = 1; b = 2;",
            "x: { a = 1; b = 2; } x",
            "{ a = 1;b = 2;c = \u{a0}3; }",
            "{ a = -!x; b = [ 1.e 0. ]; d = 1.e; }",
            "{ a = \"$${x}\"; b = \"\\${x}\"; c = ''$${y}''; }",
            // A refusal around the list: a function applied without parentheses.
            "f x: { a = 1; b = 2; }",
        ] {
            assert!(same_as_whole(text), "not parsed in pieces: {text:?}");
        }
        // What the scanner cannot balance (an unclosed bracket, a `}` too many, a legacy
        // `let {`) is parsed whole.
        for text in ["{ a = 1; b = (; c = 2; }", "x: { a = 1; b = 2; }}", "{ a = let { c = 1; }; d = 1; }"] {
            assert!(!same_as_whole(text), "parsed in pieces: {text:?}");
        }
    }

    #[test]
    fn an_edit_parses_again_only_what_it_touched() {
        let mut text = String::from("{ pkgs }: {\n");
        for i in 0..4000 {
            text.push_str(&format!(
                "  m{i} = pkgs.mkShell {{ name = \"m{i}\"; buildInputs = [ pkgs.a ]; }};\n"
            ));
        }
        text.push_str("}\n");
        let first = parse_after(&text, None, 2);
        let pieces = first.pieces.clone().expect("parsed in pieces");
        assert!(pieces.pieces.len() > 4);
        for edited in [
            text.replacen("m1000 = ", "m1000 = { ", 1),
            text.replacen("m1000 = pkgs", "m1000 = pkgs.x", 1),
            format!("{text}\n;"),
            text.replacen("{ pkgs }", "{ pkgs, lib }", 1),
            text.replacen("m5 = ", "m5 = \"", 1),
            text.replacen("  m1999", "  m1998 = 1;\n  m1999", 1),
            text.replace("}\n", ""),
        ] {
            let again = parse_after(&edited, Some((&text, &pieces)), 2);
            let whole = parse_whole(&edited);
            assert_eq!(again.root.green(), whole.root.green());
            assert_eq!(again.errors, whole.errors);
        }
    }

    #[test]
    fn the_scanner_finds_the_list_with_the_most_bindings() {
        let (start, ends) = largest_list(b"{ a }: let x = 1; in { b = with x; 1; c = 2; d = 3; }").unwrap();
        assert_eq!(start, 22);
        assert_eq!(ends.len(), 3);
        assert!(largest_list(b"{ a = \"unclosed; }").is_none());
    }

    /// Every file of the parser's corpus (Nix's verdicts), of the fuzzer's corpus and of the
    /// fixtures, cut at every binding of its largest list, parses as the whole text does; and
    /// so does each after an edit (a character taken out, one put in) that reuses the pieces.
    #[test]
    fn the_corpora_parse_the_same_in_pieces() {
        let files = crate::testing::corpus_texts();
        let (mut cut, mut edits) = (0, 0);
        for (path, text) in &files {
            // What Nix reads: up to a NUL byte (`parse_after` cuts there before the pieces).
            let text = text.split('\0').next().unwrap_or("").to_string();
            if !same_as_whole(&text) {
                continue;
            }
            cut += 1;
            let Some(first) = parse_small(&text, None) else { continue };
            let pieces = first.pieces.as_ref().expect("pieces");
            let middle = (0..=text.len() / 2).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            let next = (middle + 1..=text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
            for edited in [
                format!("{}{}", &text[..middle], &text[next..]),
                format!("{}\"{}", &text[..middle], &text[middle..]),
            ] {
                let whole = parse_whole(&edited);
                if let Some(again) = parse_small(&edited, Some((&text, pieces))) {
                    assert_eq!(
                        again.root.green(),
                        whole.root.green(),
                        "tree of {edited:?}, edited from {}",
                        path.display()
                    );
                    assert_eq!(
                        again.errors,
                        whole.errors,
                        "errors of {edited:?}, edited from {}",
                        path.display()
                    );
                    edits += 1;
                }
            }
        }
        eprintln!("{cut} of {} files parsed in pieces, {edits} edits", files.len());
        assert!(cut > files.len() / 4, "only {cut} of {} files were cut", files.len());
    }
}
