//! File watching: the client watches `.nix` files and flake.lock for us when it can
//! (`workspace/didChangeWatchedFiles`), else a save is how we learn a file changed. A change
//! realises the environments of the flakes it belongs to again.

use std::path::{Path, PathBuf};

use tower_lsp::lsp_types::*;
use tower_lsp::Client;

use super::environment::Environments;

/// The files whose changes matter: Nix files and flake.lock.
const GLOBS: &[&str] = &["**/*.nix", "**/flake.lock"];

/// Whether the client can register file watchers.
pub fn supported(params: &InitializeParams) -> bool {
    params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|w| w.did_change_watched_files.as_ref())
        .and_then(|d| d.dynamic_registration)
        .unwrap_or(false)
}

/// Asks the client to watch the files that matter.
pub async fn register(client: &Client) {
    let watchers = GLOBS
        .iter()
        .map(|glob| FileSystemWatcher { glob_pattern: GlobPattern::String(glob.to_string()), kind: None })
        .collect();
    let registration = Registration {
        id: "flake-lsp-watched-files".into(),
        method: "workspace/didChangeWatchedFiles".into(),
        register_options: serde_json::to_value(DidChangeWatchedFilesRegistrationOptions { watchers }).ok(),
    };
    if let Err(e) = client.register_capability(vec![registration]).await {
        log::warn!("cannot watch files: {e}");
    }
}

/// Files changed on disk: the environments that depend on them are realised again.
pub async fn files_changed(environments: &Environments, paths: &[PathBuf]) {
    let relevant = paths.iter().filter(|p| matters(p)).cloned();
    for root in roots_of(relevant, |p| environments.root_of(p)) {
        environments.start(root, false).await;
    }
}

/// Whether a change of `path` can change an environment.
fn matters(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "nix") || path.file_name().is_some_and(|n| n == "flake.lock")
}

/// The roots of `paths` (by `root_of`), each once, in the order first met.
fn roots_of(
    paths: impl Iterator<Item = PathBuf>,
    root_of: impl Fn(&Path) -> Option<PathBuf>,
) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = Vec::new();
    for path in paths {
        if let Some(root) = root_of(&path) {
            if !roots.contains(&root) {
                roots.push(root);
            }
        }
    }
    roots
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_changes_matter() {
        assert!(matters(Path::new("/p/flake.nix")));
        assert!(matters(Path::new("/p/nix/shell.nix")));
        assert!(matters(Path::new("/p/flake.lock")));
        assert!(!matters(Path::new("/p/README.md")));
        assert!(!matters(Path::new("/p/other.lock")));
    }

    #[test]
    fn each_root_once() {
        let root_of =
            |p: &Path| p.ancestors().find(|a| a.ends_with("a") || a.ends_with("b")).map(Path::to_path_buf);
        let paths = ["/a/flake.nix", "/b/x.nix", "/a/flake.lock", "/c/y.nix"].map(PathBuf::from);
        assert_eq!(roots_of(paths.into_iter(), root_of), [PathBuf::from("/a"), PathBuf::from("/b")]);
    }
}
