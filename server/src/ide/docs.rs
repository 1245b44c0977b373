//! Documentation of Nix builtins: taken from the installed Nix when it can tell
//! (`nix __dump-builtins`, or `nix __dump-language` on newer Nix), else our own summaries.

/// One builtin's documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltinDoc {
    /// The argument names, in order (empty for constants).
    pub args: Vec<String>,
    /// Markdown.
    pub doc: String,
    /// Where the text comes from: the installed Nix, or flake-lsp's own summary.
    pub from_nix: bool,
}

/// Documentation for every builtin, by name (`map`, `builtins.map` is looked up as `map`).
#[derive(Debug, Clone, Default)]
pub struct BuiltinDocs {
    // TODO(completion helper): fill.
}

impl BuiltinDocs {
    /// Our own summaries only.
    pub fn fallback() -> BuiltinDocs {
        BuiltinDocs::default()
    }

    /// Nix's own documentation when the installed Nix can give it, completed by ours.
    /// Starts `nix` (through `crate::nix`); blocks for as long as that takes.
    pub fn from_installed_nix() -> BuiltinDocs {
        BuiltinDocs::fallback()
    }

    /// The documentation of `name`, Nix's own when loaded, else ours.
    pub fn get(&self, _name: &str) -> Option<BuiltinDoc> {
        None
    }
}

/// The documentation of builtin `name` (`map`, or `builtins.map` given as `map`): from `docs`
/// when the installed Nix's were loaded, else flake-lsp's own.
pub fn lookup(docs: Option<&BuiltinDocs>, name: &str) -> Option<BuiltinDoc> {
    match docs {
        Some(docs) => docs.get(name),
        None => BuiltinDocs::fallback().get(name),
    }
}
