//! What goes at the cursor: an expression, an attribute name, a formal, an attribute after a
//! dot, or string text. Decided from the word being typed and the token before it, because
//! text being typed rarely parses: `pkgs.` and `{ a = ` leave the cursor outside any
//! complete node, but the token before it (`.`, `=`) still says where it is.

use rowan::TokenAtOffset;

use crate::syntax::{attrpath_attrs, SyntaxKind, SyntaxNode, SyntaxToken, TextRange, TextSize};
use SyntaxKind::*;

/// An attribute set being written: a set, `let`, or `{ a }` that the parser took for the
/// start of a lambda's pattern because no `=` follows yet.
#[derive(Debug, Clone)]
pub(super) enum SetLike {
    /// `NODE_ATTR_SET`, `NODE_LET_IN` or `NODE_LEGACY_LET`.
    Set(SyntaxNode),
    /// The `NODE_LAMBDA` of a pattern without `:`.
    Pattern(SyntaxNode),
}

impl SetLike {
    /// The node that stands for the set as a value (what a binding or call holds).
    pub(super) fn value(&self) -> &SyntaxNode {
        match self {
            SetLike::Set(n) | SetLike::Pattern(n) => n,
        }
    }

    pub(super) fn is_let(&self) -> bool {
        matches!(self, SetLike::Set(n) if n.kind() == NODE_LET_IN)
    }
}

#[derive(Debug, Clone)]
pub(super) enum Place {
    /// An expression; names are in scope as at `anchor` (the whole file when `None`).
    Expr {
        anchor: Option<SyntaxNode>,
        /// The binding whose value starts here (`a = $0`): its own name is not offered.
        defining: Option<SyntaxNode>,
        /// Right after an operand (`if a $0`, `x.y $0`): `then`, `else`, `or`, `in` may follow.
        after_operand: bool,
    },
    /// A name after `inherit`: one from the scope around.
    InheritName { anchor: SyntaxNode },
    /// A name after `inherit (from)`: an attribute of `from`.
    InheritFrom { from: SyntaxNode },
    /// After `base.` or `base.a.b.`: an attribute of `base` below `path` (the attrs written).
    Select { base: SyntaxNode, path: Vec<SyntaxNode> },
    /// A binding's name in a set, below the attrs `prefix` already written (`a.b.$0`).
    AttrName { set: SetLike, prefix: Vec<SyntaxNode> },
    /// A formal of the lambda `lambda` (`{ self, $0 }:`).
    Formal { lambda: SyntaxNode },
    /// Inside the text of string `string`; `typed` is its text from the start of the literal
    /// part to the cursor.
    StringText { string: SyntaxNode, typed: TextRange },
    /// Nothing to offer: a comment, a number, a path, or a spot where only punctuation fits.
    Nothing,
}

/// Where the cursor is: the word it is in (what completions replace) and what goes there.
#[derive(Debug)]
pub(super) struct Cursor {
    pub(super) offset: TextSize,
    /// The identifier or keyword the cursor is in or just after.
    pub(super) word: Option<SyntaxToken>,
    pub(super) place: Place,
}

impl Cursor {
    pub(super) fn at(root: &SyntaxNode, offset: TextSize) -> Cursor {
        let offset = offset.min(root.text_range().end());
        let left = token_left_of(root, offset);
        let nothing = |word| Cursor { offset, word, place: Place::Nothing };
        let Some(left) = left else {
            return Cursor {
                offset,
                word: None,
                place: Place::Expr { anchor: None, defining: None, after_operand: false },
            };
        };
        if let Some(place) = inside_literal(&left, offset) {
            return Cursor { offset, word: None, place };
        }
        let word = is_word(left.kind()).then(|| left.clone());
        let before = match &word {
            Some(w) => w.prev_token(),
            None => Some(left),
        };
        let Some(prev) = before.and_then(skip_trivia_back) else {
            return Cursor {
                offset,
                word,
                place: Place::Expr { anchor: None, defining: None, after_operand: false },
            };
        };
        match place_after(&prev) {
            Some(place) => Cursor { offset, word, place },
            None => nothing(word),
        }
    }

    /// The text completions replace: the word, or nothing at the cursor.
    pub(super) fn replace(&self) -> TextRange {
        match (&self.word, &self.place) {
            (_, Place::StringText { typed, .. }) => *typed,
            (Some(word), _) => word.text_range(),
            (None, _) => TextRange::empty(self.offset),
        }
    }
}

/// The token that ends at or contains `offset` (not one that starts there).
fn token_left_of(root: &SyntaxNode, offset: TextSize) -> Option<SyntaxToken> {
    match root.token_at_offset(offset) {
        TokenAtOffset::None => None,
        TokenAtOffset::Single(t) if t.text_range().start() < offset => Some(t),
        TokenAtOffset::Single(t) => t.prev_token(),
        TokenAtOffset::Between(left, _) => Some(left),
    }
}

fn is_word(kind: SyntaxKind) -> bool {
    matches!(
        kind,
        TOKEN_IDENT
            | TOKEN_LET
            | TOKEN_IN
            | TOKEN_WITH
            | TOKEN_REC
            | TOKEN_INHERIT
            | TOKEN_IF
            | TOKEN_THEN
            | TOKEN_ELSE
            | TOKEN_ASSERT
            | TOKEN_OR
    )
}

fn is_trivia(kind: SyntaxKind) -> bool {
    matches!(kind, TOKEN_WHITESPACE | TOKEN_COMMENT)
}

fn skip_trivia_back(mut token: SyntaxToken) -> Option<SyntaxToken> {
    while is_trivia(token.kind()) {
        token = token.prev_token()?;
    }
    Some(token)
}

/// Comments, strings, numbers and paths: the cursor is in their text.
fn inside_literal(left: &SyntaxToken, offset: TextSize) -> Option<Place> {
    let end = left.text_range().end();
    match left.kind() {
        // A `#` comment runs to the end of the line, so its end is still inside it.
        TOKEN_COMMENT if offset < end || !left.text().starts_with("/*") => Some(Place::Nothing),
        TOKEN_STRING_CONTENT => string_text(left, left.text_range().start(), offset),
        TOKEN_STRING_START => string_text(left, end, offset),
        TOKEN_STRING_END if offset < end => Some(Place::Nothing),
        // `"${x}$0"`: back in the string's text.
        TOKEN_INTERPOL_END if left.parent().is_some_and(|p| p.kind() == NODE_INTERPOL) => {
            let in_string = left.parent().and_then(|p| p.parent()).is_some_and(|s| s.kind() == NODE_STRING);
            if in_string {
                string_text(left, end, offset)
            } else {
                // The end of a path's interpolation: path text.
                Some(Place::Nothing)
            }
        }
        TOKEN_INTEGER | TOKEN_FLOAT | TOKEN_URI | TOKEN_PATH_ABS | TOKEN_PATH_HOME | TOKEN_PATH_REL
        | TOKEN_PATH_SEARCH | TOKEN_ERROR => Some(Place::Nothing),
        _ => None,
    }
}

fn string_text(token: &SyntaxToken, start: TextSize, offset: TextSize) -> Option<Place> {
    let string = token.parent_ancestors().find(|n| n.kind() == NODE_STRING)?;
    let start = start.min(offset);
    Some(Place::StringText { string, typed: TextRange::new(start, offset) })
}

/// What goes after token `prev` (the last one before the cursor and the word being typed).
fn place_after(prev: &SyntaxToken) -> Option<Place> {
    let parent = prev.parent()?;
    let after_operand = matches!(
        prev.kind(),
        TOKEN_INTEGER
            | TOKEN_FLOAT
            | TOKEN_URI
            | TOKEN_PATH_ABS
            | TOKEN_PATH_HOME
            | TOKEN_PATH_REL
            | TOKEN_PATH_SEARCH
    );
    let expr = |anchor: &SyntaxNode| {
        Some(Place::Expr { anchor: Some(anchor.clone()), defining: None, after_operand })
    };
    match (prev.kind(), parent.kind()) {
        (TOKEN_DOT, NODE_SELECT) => Some(Place::Select { base: parent.children().next()?, path: Vec::new() }),
        (TOKEN_DOT, NODE_ATTRPATH) => {
            let owner = parent.parent()?;
            let path: Vec<SyntaxNode> = attrpath_attrs(&parent)
                .filter(|a| a.text_range().end() <= prev.text_range().start())
                .collect();
            match owner.kind() {
                NODE_SELECT => Some(Place::Select { base: owner.children().next()?, path }),
                NODE_ATTRPATH_VALUE => {
                    let set = owner.parent().and_then(set_like)?;
                    Some(Place::AttrName { set, prefix: path })
                }
                _ => None,
            }
        }
        (TOKEN_L_BRACE, NODE_PATTERN) | (TOKEN_COMMA, NODE_PATTERN) => pattern_place(&parent),
        (TOKEN_L_BRACE, _) | (TOKEN_LET, _) => {
            set_like(parent).map(|set| Place::AttrName { set, prefix: Vec::new() })
        }
        (TOKEN_SEMICOLON, NODE_ATTRPATH_VALUE | NODE_INHERIT) => {
            let set = parent.parent().and_then(set_like)?;
            Some(Place::AttrName { set, prefix: Vec::new() })
        }
        (TOKEN_SEMICOLON, NODE_WITH | NODE_ASSERT) => expr(&parent),
        (TOKEN_ASSIGN, NODE_ATTRPATH_VALUE) => {
            Some(Place::Expr { anchor: Some(parent.clone()), defining: Some(parent), after_operand: false })
        }
        (TOKEN_INHERIT, NODE_INHERIT) => Some(Place::InheritName { anchor: parent }),
        (TOKEN_R_PAREN, NODE_INHERIT_FROM) => {
            let from = parent.children().next()?;
            Some(Place::InheritFrom { from })
        }
        (TOKEN_IDENT, NODE_IDENT) => ident_place(&parent),
        // After something closed (`f { } $0`): an expression beside it, outside it.
        (TOKEN_R_BRACE | TOKEN_R_PAREN | TOKEN_R_BRACK | TOKEN_STRING_END, _) => {
            if parent.kind() == NODE_PATTERN {
                return None;
            }
            Some(Place::Expr { anchor: parent.parent(), defining: None, after_operand: true })
        }
        (TOKEN_COMMA | TOKEN_QUESTION | TOKEN_ELLIPSIS | TOKEN_AT | TOKEN_REC, _)
            if parent.kind() != NODE_PAT_ENTRY =>
        {
            None
        }
        (TOKEN_DOT, _) => None,
        _ if parent.kind() == NODE_ERROR => {
            // Inside text that did not parse: an expression, seen from outside the error.
            let anchor = parent.ancestors().find(|n| n.kind() != NODE_ERROR);
            Some(Place::Expr { anchor, defining: None, after_operand: false })
        }
        _ => expr(&parent),
    }
}

/// After an identifier: an argument of a call (`f $0`), or nothing (`{ a $0`, `x $0:`).
fn ident_place(ident: &SyntaxNode) -> Option<Place> {
    let owner = ident.parent()?;
    match owner.kind() {
        NODE_ATTRPATH => {
            let user = owner.parent()?;
            (user.kind() == NODE_SELECT).then(|| Place::Expr {
                anchor: Some(user),
                defining: None,
                after_operand: true,
            })
        }
        NODE_PAT_ENTRY | NODE_IDENT_PARAM | NODE_PAT_BIND => None,
        NODE_INHERIT => Some(Place::InheritName { anchor: owner }),
        _ => Some(Place::Expr { anchor: Some(ident.clone()), defining: None, after_operand: true }),
    }
}

/// In `{ a, $0 }`: a formal when a `:` follows, else a set being written (`{ pa$0 }`).
fn pattern_place(pattern: &SyntaxNode) -> Option<Place> {
    let lambda = pattern.parent().filter(|l| l.kind() == NODE_LAMBDA)?;
    // The `:` right after the `}`; not one after text the parser gave up on (`{ a }; b = { c }:`).
    let mut after = pattern.next_sibling_or_token();
    while after.as_ref().is_some_and(|e| is_trivia(e.kind())) {
        after = after.and_then(|e| e.next_sibling_or_token());
    }
    if after.is_some_and(|e| e.kind() == TOKEN_COLON) {
        Some(Place::Formal { lambda })
    } else {
        Some(Place::AttrName { set: SetLike::Pattern(lambda), prefix: Vec::new() })
    }
}

fn set_like(node: SyntaxNode) -> Option<SetLike> {
    match node.kind() {
        NODE_ATTR_SET | NODE_LET_IN | NODE_LEGACY_LET => Some(SetLike::Set(node)),
        NODE_PATTERN => {
            let lambda = node.parent().filter(|l| l.kind() == NODE_LAMBDA)?;
            Some(SetLike::Pattern(lambda))
        }
        _ => None,
    }
}
