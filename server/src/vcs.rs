//! Git, as far as Nix's view of a flake depends on it: Nix copies only the files git tracks, so
//! an untracked `flake.nix` (or a file it imports) is invisible to evaluation.

use std::path::Path;
use std::process::{Command, Stdio};

/// Whether git tracks `file`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracking {
    Tracked,
    /// In a git work tree, but not tracked (not even with `git add -N`).
    Untracked,
    /// Not in a git work tree: Nix reads the directory as it is.
    NoRepository,
    /// git is not installed, or failed: nothing is known.
    Unknown,
}

pub fn tracking(file: &Path) -> Tracking {
    let (Some(dir), Some(name)) = (file.parent(), file.file_name()) else { return Tracking::Unknown };
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["ls-files", "--error-unmatch", "--"])
        .arg(name)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    match output {
        Err(e) => {
            log::info!("git is not available ({e}): cannot tell whether files are tracked");
            Tracking::Unknown
        }
        Ok(out) if out.status.success() => Tracking::Tracked,
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            if stderr.contains("not a git repository") {
                Tracking::NoRepository
            } else if stderr.contains("did not match any file") {
                Tracking::Untracked
            } else {
                log::info!("git ls-files {}: {}", file.display(), stderr.trim());
                Tracking::Unknown
            }
        }
    }
}

/// The files git tracks in the work tree `top` (also those added with `--intent-to-add`),
/// relative to it, with every directory that holds one: what Nix copies of a flake there.
/// `None` when git cannot say.
pub fn tracked_paths(top: &Path) -> Option<Vec<String>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(top)
        .args(["ls-files", "-z"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let mut paths = std::collections::BTreeSet::new();
    for file in out.stdout.split(|b| *b == 0).filter(|f| !f.is_empty()) {
        let file = String::from_utf8_lossy(file).into_owned();
        let mut dir = file.as_str();
        while let Some((parent, _)) = dir.rsplit_once('/') {
            paths.insert(parent.to_string());
            dir = parent;
        }
        paths.insert(file);
    }
    Some(paths.into_iter().collect())
}

/// `git add --intent-to-add` the file: tracked from now on, its content still unstaged.
pub fn add_intent(file: &Path) -> Result<(), String> {
    let dir = file.parent().ok_or("the file has no directory")?;
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["add", "--intent-to-add", "--"])
        .arg(file.file_name().ok_or("no file name")?)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("git add --intent-to-add failed: {}", String::from_utf8_lossy(&out.stderr).trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracked_untracked_and_no_repository() {
        let dir = std::env::temp_dir().join(format!("flake-lsp-vcs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("flake.nix");
        std::fs::write(&file, "{ }").unwrap();
        assert_eq!(tracking(&file), Tracking::NoRepository);
        assert!(Command::new("git").args(["init", "-q"]).current_dir(&dir).status().unwrap().success());
        assert_eq!(tracking(&file), Tracking::Untracked);
        add_intent(&file).unwrap();
        assert_eq!(tracking(&file), Tracking::Tracked);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
