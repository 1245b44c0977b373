//! Navigation: definitions, references, highlights, rename.
//!
//! All of it rests on the file's name resolution (`syntax::scope`): a name under the cursor is
//! either a reference (resolved to a definition, a builtin, a `with`, or nothing) or the name
//! of a definition. `flake` adds what only a `flake.nix` knows: an argument of `outputs`
//! stands for the input of the same name.

pub(crate) mod cursor;
mod definition;
pub(crate) mod flake;
mod references;
mod rename;
pub mod types;

pub use definition::goto_definition;
pub use references::{highlights, references};
pub use rename::{prepare_rename, rename};
pub use types::{HighlightKind, NavTarget, RenameError};

#[cfg(test)]
pub(crate) mod test_util {
    use crate::syntax::{TextRange, TextSize};

    /// `line:col "text"` for a range, 1-based, columns in characters.
    pub(crate) fn show(text: &str, range: TextRange) -> String {
        let (line, col) = line_col(text, range.start());
        let covered = text.get(std::ops::Range::<usize>::from(range)).unwrap_or("<not a char boundary>");
        format!("{line}:{col} {covered:?}")
    }

    fn line_col(text: &str, offset: TextSize) -> (usize, usize) {
        let before = &text[..usize::from(offset)];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        (line, col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::{Analysis, FileContext, FileKind};
    use crate::syntax::TextSize;

    /// Every feature at every offset (and one past the end) of texts that are broken, empty,
    /// or not ASCII: nothing panics.
    #[test]
    fn every_offset_is_safe() {
        let texts = [
            "",
            "let",
            "let a = ",
            "{ a, b ? a, ... }@args: with args; [ a b c \"é☃\" ./x/${a} ]",
            "x: let inherit x; inherit (x) y; in rec { z = y; inherit z; }",
            "{\n  inputs.n.url = \"github:a/b\";\r\n  outputs = { self, n }@i: i.n // { packages = 1; };\n}",
            "{ outputs = { self, ... }: (import ./. { }).eachDefaultSystem (s: { devShell = 1; }); ",
        ];
        let ctx = FileContext::default();
        for text in texts {
            for kind in [FileKind::Nix, FileKind::Flake] {
                let analysis = Analysis::of(text, kind);
                for offset in 0..=text.len() as u32 + 1 {
                    let offset = TextSize::from(offset);
                    goto_definition(&analysis, &ctx, offset);
                    references(&analysis, offset, true);
                    highlights(&analysis, offset);
                    let _ = prepare_rename(&analysis, offset);
                    if let Ok(edits) = rename(&analysis, offset, "renamed") {
                        crate::ide::apply_edits(text, &edits);
                    }
                    crate::ide::hover::hover(&analysis, &ctx, offset);
                }
            }
        }
    }
}
