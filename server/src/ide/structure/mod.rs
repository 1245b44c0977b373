//! The shape of a file: symbols, folding, selection ranges, semantic tokens, links.
//!
//! The types live here; each feature is computed in its own submodule, all from the syntax
//! tree and name resolution alone (nothing is evaluated).

mod folding;
mod links;
mod selection;
mod semantic_tokens;
mod symbols;

use std::path::PathBuf;

pub use folding::folding_ranges;
pub use links::document_links;
pub use selection::selection_ranges;
pub use semantic_tokens::semantic_tokens;
pub use symbols::symbols;

use crate::syntax::TextRange;

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
