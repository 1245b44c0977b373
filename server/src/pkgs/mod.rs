//! The package index of the flake's nixpkgs: the names of `legacyPackages.<system>` (cheap to
//! list, and what "did you mean" on an `attribute '…' missing` error needs), then each
//! package's details, evaluated in the background ([`load`]) and read by completion and hover
//! ([`index`]). Both are cached on disk when the reference is locked.

pub mod index;
pub mod load;

pub use index::{Entry, Lookup, Package, PackageIndex, PackageRef, PackageSet};

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::nix::{Nix, NixError};

/// The top-level package names of one nixpkgs for one system, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageNames {
    pub names: Vec<String>,
}

/// Where an index for `reference` and `system` is kept: only a locked reference (a revision
/// or a narHash) names the same packages every time, so only those are cached.
fn cache_file(cache_dir: &Path, reference: &str, system: &str) -> Option<PathBuf> {
    if !is_locked(reference) {
        return None;
    }
    let key = format!("{:x}", Sha256::digest(format!("{reference}\n{system}").as_bytes()));
    Some(cache_dir.join(format!("names-{}.json", &key[..24])))
}

/// Whether `reference` names the same source every time: it has a revision or a narHash.
pub fn is_locked(reference: &str) -> bool {
    reference.contains("narHash=") || reference.contains("rev=") || looks_like_rev(reference)
}

/// `github:NixOS/nixpkgs/<40 hex>`.
fn looks_like_rev(reference: &str) -> bool {
    reference
        .rsplit('/')
        .next()
        .is_some_and(|last| last.len() == 40 && last.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The names of `reference#legacyPackages.<system>`, from the cache when it has them.
pub fn names(
    nix: &Nix,
    reference: &str,
    system: &str,
    cache_dir: Option<&Path>,
    cancel: &AtomicBool,
) -> Result<PackageNames, NixError> {
    let file = cache_dir.and_then(|d| cache_file(d, reference, system));
    if let Some(text) = file.as_ref().and_then(|f| std::fs::read_to_string(f).ok()) {
        if let Ok(names) = serde_json::from_str::<Vec<String>>(&text) {
            return Ok(PackageNames { names });
        }
    }
    let attr = format!("{reference}#legacyPackages.{system}");
    let args = ["eval", "--json", "--no-write-lock-file", &attr, "--apply", "builtins.attrNames"];
    let out = nix.run_streaming(&args, None, Duration::from_secs(300), cancel, &mut |_| {})?;
    let mut names: Vec<String> = serde_json::from_str(out.stdout.trim()).map_err(|e| {
        NixError::UnexpectedOutput { command: format!("nix eval {attr}"), detail: e.to_string() }
    })?;
    names.sort();
    if let Some(file) = file {
        if let Ok(text) = serde_json::to_vec(&names) {
            if let Err(e) = crate::env::trust::write_atomic(&file, &text) {
                log::info!("cannot cache package names in {}: {e}", file.display());
            }
        }
    }
    Ok(PackageNames { names })
}

impl PackageNames {
    /// Up to three names closest to `wrong` (typos, swapped letters, case), best first.
    pub fn suggest(&self, wrong: &str) -> Vec<String> {
        let limit = (wrong.chars().count() / 3).clamp(1, 3);
        let mut scored: Vec<(usize, &String)> = self
            .names
            .iter()
            .filter_map(|n| {
                let d = distance(&wrong.to_lowercase(), &n.to_lowercase());
                (d <= limit && n != wrong).then_some((d, n))
            })
            .collect();
        scored.sort();
        scored.into_iter().take(3).map(|(_, n)| n.clone()).collect()
    }
}

/// Edit distance counting a swap of two neighbours as one edit (optimal string alignment).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 3 {
        return usize::MAX;
    }
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// The attribute named by Nix's "attribute 'x' missing" error.
pub fn missing_attribute(message: &str) -> Option<&str> {
    let rest = &message[message.find("attribute '")? + "attribute '".len()..];
    let end = rest.find('\'')?;
    rest[end..].starts_with("' missing").then(|| &rest[..end])
}

/// "did you mean `a`, `b` or `c`?"
pub fn did_you_mean(suggestions: &[String]) -> Option<String> {
    let quoted: Vec<String> = suggestions.iter().map(|s| format!("`{s}`")).collect();
    match quoted.as_slice() {
        [] => None,
        [one] => Some(format!("did you mean {one}?")),
        [init @ .., last] => Some(format!("did you mean {} or {last}?", init.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> PackageNames {
        PackageNames {
            names: ["python311", "python312", "python3", "hello", "ripgrep", "nodejs"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }

    #[test]
    fn typos_find_their_package() {
        assert_eq!(index().suggest("pyhton311"), ["python311", "python312", "python3"]);
        assert_eq!(index().suggest("helo"), ["hello"]);
        assert_eq!(index().suggest("ripgrpe"), ["ripgrep"]);
        assert!(index().suggest("completelydifferent").is_empty());
    }

    #[test]
    fn messages() {
        assert_eq!(missing_attribute("attribute 'pyhton311' missing"), Some("pyhton311"));
        assert_eq!(missing_attribute("cannot add a string"), None);
        let m = did_you_mean(&["python311".into(), "python312".into()]).unwrap();
        assert_eq!(m, "did you mean `python311` or `python312`?");
        assert_eq!(
            did_you_mean(&["a".into(), "b".into(), "c".into()]).unwrap(),
            "did you mean `a`, `b` or `c`?"
        );
        assert_eq!(did_you_mean(&[]), None);
    }

    #[test]
    fn only_locked_references_are_cached() {
        let dir = Path::new("/cache");
        assert!(cache_file(dir, "path:/x?lastModified=1&narHash=sha256-abc", "x86_64-linux").is_some());
        assert!(cache_file(
            dir,
            "github:NixOS/nixpkgs/0123456789abcdef0123456789abcdef01234567",
            "x86_64-linux"
        )
        .is_some());
        assert!(cache_file(dir, "github:NixOS/nixpkgs/nixos-unstable", "x86_64-linux").is_none());
    }
}
