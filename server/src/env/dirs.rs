//! Where flake-lsp keeps its files.

use std::path::PathBuf;

/// flake-lsp's directory under an XDG base directory: `$var` when it is an absolute path,
/// else `$HOME/<fallback>`.
pub(super) fn xdg_dir(var: &str, fallback: &str) -> Option<PathBuf> {
    let base = std::env::var_os(var)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(fallback)))?;
    Some(base.join("flake-lsp"))
}
