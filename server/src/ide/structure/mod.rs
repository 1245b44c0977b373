//! The shape of a file: symbols, folding, selection ranges, semantic tokens, links.
//!
//! The types live here; each feature is computed in its own submodule, all from the syntax
//! tree and name resolution alone (nothing is evaluated).

mod folding;
mod links;
mod selection;
mod semantic_tokens;
mod symbols;

use crate::syntax::covering_node;
use std::collections::HashSet;
use std::path::PathBuf;

pub use folding::folding_ranges;
pub use links::document_links;
pub use selection::selection_ranges;
pub use semantic_tokens::semantic_tokens;
pub use symbols::symbols;

use crate::flake::schema;
use crate::syntax::scope::{NameResolution, Resolution};
use crate::syntax::{function_name, strip_parens, SyntaxKind, SyntaxNode, TextRange};
use SyntaxKind::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    /// A flake input.
    Input,
    /// A flake output or an attribute whose value is an attribute set.
    Namespace,
    /// A function-valued binding.
    Function,
    /// Any other binding.
    Variable,
    /// An attribute holding a string, number, path, or other value.
    Property,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    pub range: TextRange,
    pub selection_range: TextRange,
    pub children: Vec<Symbol>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldKind {
    Comment,
    Region,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fold {
    pub range: TextRange,
    pub kind: FoldKind,
}

/// Kinds of semantic tokens, in the order of the legend the server announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Keyword,
    Comment,
    String,
    Number,
    Operator,
    Variable,
    Parameter,
    Property,
    Function,
    /// Builtin constants: `true`, `false`, `null`.
    Macro,
    /// Paths and URLs.
    Path,
    /// String escapes and `${`…`}` delimiters.
    Escape,
}

impl TokenKind {
    pub const ALL: &'static [TokenKind] = &[
        TokenKind::Keyword,
        TokenKind::Comment,
        TokenKind::String,
        TokenKind::Number,
        TokenKind::Operator,
        TokenKind::Variable,
        TokenKind::Parameter,
        TokenKind::Property,
        TokenKind::Function,
        TokenKind::Macro,
        TokenKind::Path,
        TokenKind::Escape,
    ];
}

/// Modifier bits, in the order of the legend.
pub mod modifiers {
    pub const DEFINITION: u32 = 1 << 0;
    /// A builtin (global or `builtins.x`).
    pub const BUILTIN: u32 = 1 << 1;
    pub const DEPRECATED: u32 = 1 << 2;
    /// A name left to a `with`.
    pub const WITH: u32 = 1 << 3;
    pub const NAMES: &[&str] = &["declaration", "defaultLibrary", "deprecated", "with"];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub range: TextRange,
    pub kind: TokenKind,
    pub modifiers: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    File(PathBuf),
    Url(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub range: TextRange,
    pub target: LinkTarget,
    pub tooltip: Option<String>,
}

/// A piece of what `outputs` returns, found without evaluating.
pub(crate) enum OutputPart {
    /// A `let … in` on the way to the result: its bindings are the function's helpers.
    Let(SyntaxNode),
    /// An attribute set the function returns (or merges into its result with `//`).
    Set(SyntaxNode),
    /// Some other expression producing (part of) the result, such as `mkFlake { … } { … }`.
    Other(SyntaxNode),
}

/// How deep to follow `let`, `with`, `//` and per-system calls towards the output sets.
const MAX_OUTPUT_DEPTH: usize = 32;

/// The parts of the value `outputs` returns: through its lambda, `let … in`, `with`, `assert`,
/// both branches of `if`, both sides of `//`, and the function given to `eachDefaultSystem`
/// and its look-alikes. With `names`, a name bound in a `let` is followed to its value too
/// (the outline leaves that out, as the binding is already listed with its attributes).
pub(crate) fn output_parts(outputs: &SyntaxNode, names: Option<&NameResolution>) -> Vec<OutputPart> {
    let mut out = Vec::new();
    let value = strip_parens(outputs.clone());
    let body = if value.kind() == NODE_LAMBDA { value.children().last() } else { Some(value) };
    if let Some(body) = body {
        let mut visited = HashSet::new();
        walk_output(&body, names, 0, &mut visited, &mut out);
    }
    out
}

fn walk_output(
    expr: &SyntaxNode,
    names: Option<&NameResolution>,
    depth: usize,
    visited: &mut HashSet<TextRange>,
    out: &mut Vec<OutputPart>,
) {
    let expr = strip_parens(expr.clone());
    if depth > MAX_OUTPUT_DEPTH || !visited.insert(expr.text_range()) {
        return;
    }
    let mut walk = |e: &SyntaxNode, out: &mut Vec<OutputPart>| walk_output(e, names, depth + 1, visited, out);
    match expr.kind() {
        NODE_ATTR_SET => out.push(OutputPart::Set(expr)),
        NODE_LET_IN => {
            let body = expr.children().last().filter(|b| b.kind() != NODE_ATTRPATH_VALUE);
            out.push(OutputPart::Let(expr));
            if let Some(body) = body {
                walk(&body, out);
            }
        }
        NODE_WITH | NODE_ASSERT => {
            if let Some(body) = expr.children().nth(1) {
                walk(&body, out);
            }
        }
        NODE_IF_ELSE => {
            for branch in expr.children().skip(1) {
                walk(&branch, out);
            }
        }
        NODE_BIN_OP if expr.children_with_tokens().any(|e| e.kind() == TOKEN_UPDATE) => {
            for side in expr.children() {
                walk(&side, out);
            }
        }
        NODE_APPLY if is_per_system_call(&expr) => {
            let Some(last) = expr.children().nth(1).map(strip_parens) else { return };
            match last.kind() {
                NODE_LAMBDA => {
                    if let Some(body) = last.children().last() {
                        walk(&body, out);
                    }
                }
                _ => walk(&last, out),
            }
        }
        NODE_IDENT if names.is_some() => {
            let value = names.and_then(|names| {
                let found = names.refs.iter().find(|r| r.range == expr.text_range())?;
                let Resolution::Def(d) = found.resolution else { return None };
                covering_node(&expr, names.defs[d].value_range?)
            });
            match value {
                Some(value) => walk(&value, out),
                None => out.push(OutputPart::Other(expr)),
            }
        }
        _ => out.push(OutputPart::Other(expr)),
    }
}

/// `eachDefaultSystem f`, `flake-utils.lib.eachSystem systems f`: the function's result is put
/// under each system.
fn is_per_system_call(apply: &SyntaxNode) -> bool {
    function_name(apply).is_some_and(|n| schema::PER_SYSTEM_FUNCTIONS.contains(&n.as_str()))
}

#[cfg(test)]
pub(crate) mod test_util {
    use crate::syntax::TextRange;

    /// The text of `range` on one line, shortened in the middle when long, for snapshots.
    pub(crate) fn excerpt(text: &str, range: TextRange) -> String {
        let covered = text.get(std::ops::Range::<usize>::from(range)).unwrap_or("<not a char boundary>");
        let flat = covered.replace('\n', "⏎").replace('\r', "␍");
        let chars: Vec<char> = flat.chars().collect();
        if chars.len() <= 40 {
            return flat;
        }
        let head: String = chars[..18].iter().collect();
        let tail: String = chars[chars.len() - 18..].iter().collect();
        format!("{head}…{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::{Analysis, FileContext, FileKind};
    use crate::syntax::TextSize;

    /// Every feature on every prefix of a flake, as while typing it: no panic, and tokens
    /// in order, within the text and on one line.
    #[test]
    fn prefixes_of_a_flake_never_panic() {
        let full =
            format!("{}\n# é ünïcode ''\\n \"\\é\"\n", include_str!("testdata/devops-renaissance.flake.nix"));
        let ctx = FileContext::for_path(std::path::Path::new("/nonexistent/flake.nix"));
        // Unterminated strings hold an error node where rnix expects only interpolations.
        for text in ["{ \"a = 1; }", "{ inputs.a.url = \"g", "{ a = ''x"] {
            let analysis = Analysis::of(text, FileKind::Flake);
            symbols(&analysis);
            semantic_tokens(&analysis, None);
            document_links(&analysis, &FileContext::default());
        }
        let ends = full.char_indices().map(|(i, _)| i).step_by(5).chain([full.len()]);
        for end in ends {
            let text = &full[..end];
            for kind in [FileKind::Flake, FileKind::Nix] {
                let analysis = Analysis::of(text, kind);
                symbols(&analysis);
                folding_ranges(&analysis);
                document_links(&analysis, &ctx);
                let offsets: Vec<TextSize> =
                    [0, end / 2, end, end + 3].map(|o| TextSize::from(o as u32)).to_vec();
                selection_ranges(&analysis, &offsets);
                let tokens = semantic_tokens(&analysis, None);
                let mut previous_end = TextSize::from(0);
                for t in &tokens {
                    assert!(t.range.start() >= previous_end, "{t:?} in {text:?}");
                    previous_end = t.range.end();
                    let covered =
                        text.get(std::ops::Range::<usize>::from(t.range)).expect("on char boundaries");
                    assert!(!covered.is_empty() && !covered.contains(['\n', '\r']), "{t:?}");
                }
                let middle =
                    TextRange::new(TextSize::from((end / 3) as u32), TextSize::from((end / 2) as u32));
                semantic_tokens(&analysis, Some(middle));
            }
        }
    }
}
