//! The flake's nixpkgs, as the package index and "did you mean" need it: which reference (the
//! override, else flake.lock's locked one), and its package names when an evaluation error
//! says an attribute is missing.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use crate::env::realise::NixOptions;
use crate::eval::EvalError;
use crate::flake::lock::FlakeLock;
use crate::nix::Nix;
use crate::pkgs::PackageNames;

/// The flake's nixpkgs as a flake reference: the override when one is set, else what
/// flake.lock locks (with its narHash, so that what is read from it can be cached).
pub fn reference(root: &Path, options: &NixOptions) -> Option<String> {
    let lock = std::fs::read_to_string(root.join("flake.lock")).ok();
    reference_in(lock.as_deref(), options)
}

/// [`reference`] with flake.lock's text given.
fn reference_in(lock: Option<&str>, options: &NixOptions) -> Option<String> {
    if let Some((_, reference)) = options.override_inputs.iter().find(|(name, _)| name == "nixpkgs") {
        return Some(reference.clone());
    }
    let locked = FlakeLock::parse(lock?).ok()?.root_input("nixpkgs")?;
    let base = locked.locked?;
    Some(match locked.nar_hash {
        Some(hash) if !base.contains("narHash=") => {
            let sep = if base.contains('?') { '&' } else { '?' };
            format!("{base}{sep}narHash={hash}")
        }
        _ => base,
    })
}

/// The package names of the flake's nixpkgs, when some of `errors` says an attribute is
/// missing (the names are what "did you mean" picks from); cached on disk for locked
/// references.
pub fn names_for_suggestions(
    nix: &Nix,
    root: &Path,
    system: &str,
    options: &NixOptions,
    errors: &[EvalError],
    cancel: &AtomicBool,
) -> Option<PackageNames> {
    if !errors.iter().any(|e| crate::pkgs::missing_attribute(&e.message).is_some()) {
        return None;
    }
    let reference = reference(root, options)?;
    let cache = crate::env::cache::cache_dir().map(|d| d.join("pkgs"));
    match crate::pkgs::names(nix, &reference, system, cache.as_deref(), cancel) {
        Ok(names) => Some(names),
        Err(e) => {
            log::info!("cannot list the packages of {reference}: {e}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(locked: &str) -> String {
        format!(
            r#"{{ "version": 7, "root": "root", "nodes": {{
                "root": {{ "inputs": {{ "nixpkgs": "nixpkgs_2" }} }},
                "nixpkgs_2": {{ "locked": {locked}, "original": {{ "type": "indirect", "id": "nixpkgs" }} }}
            }} }}"#
        )
    }

    #[test]
    fn locked_reference_with_its_nar_hash() {
        let github = lock(
            r#"{ "type": "github", "owner": "NixOS", "repo": "nixpkgs", "rev": "0123456789abcdef0123456789abcdef01234567",
                 "narHash": "sha256-AAA=", "lastModified": 1 }"#,
        );
        assert_eq!(
            reference_in(Some(&github), &NixOptions::default()).as_deref(),
            Some("github:NixOS/nixpkgs/0123456789abcdef0123456789abcdef01234567?narHash=sha256-AAA=")
        );
        let git = lock(
            r#"{ "type": "git", "url": "https://example.org/nixpkgs", "ref": "main", "rev": "abc", "narHash": "sha256-BBB=" }"#,
        );
        assert_eq!(
            reference_in(Some(&git), &NixOptions::default()).as_deref(),
            Some("git+https://example.org/nixpkgs?ref=main&rev=abc&narHash=sha256-BBB="),
            "a reference with a query gets `&`"
        );
        let no_hash = lock(r#"{ "type": "path", "path": "/src/nixpkgs" }"#);
        assert_eq!(
            reference_in(Some(&no_hash), &NixOptions::default()).as_deref(),
            Some("path:/src/nixpkgs")
        );
    }

    #[test]
    fn the_override_wins_and_no_nixpkgs_is_none() {
        let options = NixOptions {
            override_inputs: vec![
                ("other".into(), "path:/o".into()),
                ("nixpkgs".into(), "path:/fixture".into()),
            ],
            ..NixOptions::default()
        };
        assert_eq!(reference_in(None, &options).as_deref(), Some("path:/fixture"));
        assert_eq!(reference_in(None, &NixOptions::default()), None, "no flake.lock");
        assert_eq!(reference_in(Some("not json"), &NixOptions::default()), None);
        let without = r#"{ "version": 7, "root": "root", "nodes": { "root": { "inputs": {} } } }"#;
        assert_eq!(reference_in(Some(without), &NixOptions::default()), None);
    }
}
