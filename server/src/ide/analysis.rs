//! One version of one file, analysed once and shared by every feature that asks.
//!
//! rowan's `SyntaxNode` cannot cross threads, so the tree is kept as its green node (shared,
//! immutable) and each feature builds its own cursor over it, which is cheap. Name resolution
//! and, for `flake.nix`, the flake model are computed on first use.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rowan::GreenNode;

use crate::flake::lock::FlakeLock;
use crate::flake::FlakeModel;
use crate::syntax::pieces::Pieces;
use crate::syntax::scope::NameResolution;
use crate::syntax::{self, SyntaxError, SyntaxNode};

/// Whether the file is a flake's entry point, which gets the flake structure checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Flake,
    Nix,
}

impl FileKind {
    pub fn of_path(path: &std::path::Path) -> FileKind {
        if path.file_name().is_some_and(|n| n == "flake.nix") {
            FileKind::Flake
        } else {
            FileKind::Nix
        }
    }
}

pub struct Analysis {
    text: Arc<str>,
    kind: FileKind,
    green: GreenNode,
    errors: Vec<SyntaxError>,
    /// How a large file was cut into pieces, for the parse of its next version.
    pieces: Option<Arc<Pieces>>,
    names: OnceLock<NameResolution>,
    flake: OnceLock<Option<FlakeModel>>,
}

impl Analysis {
    pub fn new(text: Arc<str>, kind: FileKind) -> Analysis {
        Analysis::after(text, kind, None)
    }

    /// The analysis of a new version of the file `before` analysed: a large file parses again
    /// only the pieces the edit touched (`syntax::pieces`), and is parsed on every core.
    pub fn after(text: Arc<str>, kind: FileKind, before: Option<&Analysis>) -> Analysis {
        let before = before.and_then(|b| Some((b.text(), b.pieces.as_deref()?)));
        let parsed = syntax::parse_after(&text, before, crate::cores());
        let green = parsed.root.green().to_owned();
        Analysis {
            text,
            kind,
            green,
            errors: parsed.errors,
            pieces: parsed.pieces,
            names: OnceLock::new(),
            flake: OnceLock::new(),
        }
    }

    /// Whether the file was parsed in pieces, which the next version's parse can reuse.
    pub fn in_pieces(&self) -> bool {
        self.pieces.is_some()
    }

    /// For tests and the CLI: analyses `text` as a file of `kind`.
    pub fn of(text: &str, kind: FileKind) -> Analysis {
        Analysis::new(Arc::from(text), kind)
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn kind(&self) -> FileKind {
        self.kind
    }

    /// A fresh cursor over the tree.
    pub fn root(&self) -> SyntaxNode {
        SyntaxNode::new_root(self.green.clone())
    }

    pub fn errors(&self) -> &[SyntaxError] {
        &self.errors
    }

    pub fn names(&self) -> &NameResolution {
        self.names.get_or_init(|| NameResolution::new(&self.root()))
    }

    /// The model of `flake.nix` (inputs, outputs, the sets `outputs` returns); `None` for
    /// other files. Its nodes are [`crate::syntax::NodePtr`]s into [`Analysis::root`].
    pub fn flake(&self) -> Option<&FlakeModel> {
        self.flake
            .get_or_init(|| {
                (self.kind == FileKind::Flake).then(|| FlakeModel::new(&self.root(), self.names()))
            })
            .as_ref()
    }
}

/// What a feature may know about the file beyond its text: where it is, the flake's lock, and
/// what Nix told about builtins and packages.
#[derive(Clone, Default)]
pub struct FileContext {
    /// The file on disk, when it is one (relative paths resolve against its directory).
    pub path: Option<PathBuf>,
    /// The `flake.lock` beside the flake, when there is one and it could be read.
    pub lock: Option<Arc<FlakeLock>>,
    /// Documentation of builtins from the installed Nix, when it could be read.
    pub builtin_docs: Option<Arc<super::docs::BuiltinDocs>>,
    /// The packages of the flake's nixpkgs, when Nix could list them (possibly still loading).
    pub packages: Option<Arc<crate::pkgs::PackageIndex>>,
    /// What the flake's evaluator says is in the set being completed (`self.`, `nixpkgs.lib.`),
    /// for the target `completion::evaluation_target` found at the cursor.
    pub attributes: Option<(crate::eval::attributes::Target, crate::eval::attributes::Answer)>,
}

impl FileContext {
    pub fn for_path(path: &Path) -> FileContext {
        FileContext { path: Some(path.to_path_buf()), ..FileContext::default() }
    }

    /// The directory relative paths in this file start from.
    pub fn dir(&self) -> Option<&Path> {
        self.path.as_deref().and_then(Path::parent)
    }

    /// The file a path literal names, as Nix reads it (`..` resolved without looking at
    /// symbolic links), when it exists; for a directory, its `default.nix`.
    pub fn existing_file(&self, literal: &str) -> Option<PathBuf> {
        let written = Path::new(literal);
        let full = if written.is_absolute() { written.to_path_buf() } else { self.dir()?.join(written) };
        let full = normalize(&full);
        if full.is_file() {
            return Some(full);
        }
        let default = full.join("default.nix");
        default.is_file().then_some(default)
    }
}

/// `a/b/../c` as `a/c`, the way Nix reads path literals.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
