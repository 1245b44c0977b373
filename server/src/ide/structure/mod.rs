//! The shape of a file: symbols, folding, selection ranges, semantic tokens, links.
//!
//! The types live in [`types`]; each feature is computed in its own submodule, all from the syntax
//! tree and name resolution alone (nothing is evaluated).

mod folding;
mod links;
mod selection;
mod semantic_tokens;
mod symbols;
pub mod types;

pub use folding::folding_ranges;
pub use links::document_links;
pub use selection::selection_ranges;
pub use semantic_tokens::semantic_tokens;
pub use symbols::symbols;
pub use types::{modifiers, Fold, FoldKind, Link, LinkTarget, Symbol, SymbolKind, Token, TokenKind};

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
    use crate::syntax::{TextRange, TextSize};

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
