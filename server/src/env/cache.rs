//! The environment cache: a realised environment on disk, keyed by everything that can change
//! it (DESIGN.md, step 2), so an unchanged project answers at once.
//!
//! One directory per flake under `$XDG_CACHE_HOME/flake-lsp/env/` (else `~/.cache/…`), named
//! by a hash of the flake's path: `entry.json` (written atomically) and the `profile` GC root
//! that keeps the shell's store paths alive. An entry is used only when its key matches the
//! files as they are now and every store path it names still exists; otherwise it is rebuilt,
//! and meanwhile it can still be served as stale.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::apply::EnvDiff;
use super::python::PythonInfo;
use super::trust::write_atomic;

/// Bumped when the entry format changes: older entries are rebuilt.
const FORMAT: u32 = 1;

/// What the key is made of, besides the files' contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyParts {
    /// The dev shell's attribute (`devShells.x86_64-linux.default`).
    pub shell: String,
    pub nix_version: String,
    pub run_hook: bool,
}

/// A file whose contents the entry depends on, relative to the flake root, with the SHA-256
/// of its contents when the entry was made (`None`: it did not exist).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Watched {
    pub path: PathBuf,
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub format: u32,
    pub parts: KeyParts,
    /// flake.nix, flake.lock and every workspace file the evaluation read.
    pub watched: Vec<Watched>,
    pub diff: EnvDiff,
    pub python: Option<PythonInfo>,
    /// Store paths the environment needs (the profile's target, PATH entries in the store).
    pub store_paths: Vec<PathBuf>,
    /// Seconds since the epoch.
    pub created: u64,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Nothing cached for this flake.
    Missing,
    /// Cached and still right.
    Fresh(Box<Entry>),
    /// Cached, but something it depends on changed: usable while a new one is built.
    Stale(Box<Entry>, String),
    /// The entry cannot be used at all (unreadable, from another format, store paths gone).
    Invalid(String),
}

pub struct Cache {
    dir: PathBuf,
}

/// `$XDG_CACHE_HOME/flake-lsp`, else `~/.cache/flake-lsp`.
pub fn cache_dir() -> Option<PathBuf> {
    super::dirs::xdg_dir("XDG_CACHE_HOME", ".cache")
}

impl Cache {
    pub fn user() -> Option<Cache> {
        cache_dir().map(|d| Cache::at(d.join("env")))
    }

    pub fn at(dir: PathBuf) -> Cache {
        Cache { dir }
    }

    /// The directory of one flake's entry (also where its profile and logs go).
    pub fn entry_dir(&self, root: &Path) -> PathBuf {
        let canonical = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let digest = hex(&Sha256::digest(canonical.display().to_string().as_bytes()));
        let name = canonical.file_name().and_then(|n| n.to_str()).unwrap_or("flake");
        self.dir.join(format!("{}-{}", sanitize(name), &digest[..16]))
    }

    pub fn profile(&self, root: &Path) -> PathBuf {
        self.entry_dir(root).join("profile")
    }

    /// The GC root of nixpkgs' `bashInteractive`, when a dev shell brought no bash of its own
    /// that could source its script (see `env::bash`). One for every flake.
    pub fn bash_root(&self) -> PathBuf {
        self.dir.join("bash-interactive")
    }

    pub fn log(&self, root: &Path) -> PathBuf {
        self.entry_dir(root).join("realise.log")
    }

    pub fn lookup(&self, root: &Path, parts: &KeyParts) -> Lookup {
        let file = self.entry_dir(root).join("entry.json");
        let text = match std::fs::read(&file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Lookup::Missing,
            Err(e) => return Lookup::Invalid(format!("cannot read {}: {e}", file.display())),
        };
        let entry: Entry = match serde_json::from_slice(&text) {
            Ok(entry) => entry,
            Err(e) => return Lookup::Invalid(format!("the cache entry {} is damaged: {e}", file.display())),
        };
        if entry.format != FORMAT {
            return Lookup::Invalid(format!("the cache entry has format {}, not {FORMAT}", entry.format));
        }
        if let Some(gone) = entry.store_paths.iter().find(|p| p.symlink_metadata().is_err()) {
            return Lookup::Invalid(format!("{} was garbage-collected", gone.display()));
        }
        if &entry.parts != parts {
            let why = if entry.parts.shell != parts.shell {
                format!("the dev shell is now {}", parts.shell)
            } else if entry.parts.nix_version != parts.nix_version {
                format!("Nix is now {}", parts.nix_version)
            } else {
                "the shellHook setting changed".to_string()
            };
            return Lookup::Stale(Box::new(entry), why);
        }
        match entry.watched.iter().find(|w| file_digest(root, &w.path) != w.digest) {
            None => Lookup::Fresh(Box::new(entry)),
            Some(changed) => {
                let what = if changed.digest.is_none() { "appeared" } else { "changed" };
                let why = format!("{} {what}", changed.path.display());
                Lookup::Stale(Box::new(entry), why)
            }
        }
    }

    pub fn save(&self, root: &Path, entry: &Entry) -> std::io::Result<()> {
        let file = self.entry_dir(root).join("entry.json");
        let text = serde_json::to_vec_pretty(entry).map_err(std::io::Error::other)?;
        write_atomic(&file, &text)
    }

    /// Forgets the entry (the profile stays until the next realisation replaces it).
    pub fn remove(&self, root: &Path) {
        let _ = std::fs::remove_file(self.entry_dir(root).join("entry.json"));
    }
}

/// A new entry for `root`, with the current contents of the `watched` files.
pub fn new_entry(
    root: &Path,
    parts: KeyParts,
    watched: &[PathBuf],
    diff: EnvDiff,
    python: Option<PythonInfo>,
    store_paths: Vec<PathBuf>,
) -> Entry {
    let mut paths: Vec<&PathBuf> = watched.iter().collect();
    paths.sort();
    paths.dedup();
    let watched =
        paths.into_iter().map(|p| Watched { path: p.clone(), digest: file_digest(root, p) }).collect();
    let created =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    Entry { format: FORMAT, parts, watched, diff, python, store_paths, created }
}

fn file_digest(root: &Path, file: &Path) -> Option<String> {
    let bytes = std::fs::read(root.join(file)).ok()?;
    Some(hex(&Sha256::digest(&bytes)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sanitize(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixture {
        dir: PathBuf,
        root: PathBuf,
        cache: Cache,
    }

    impl Fixture {
        fn new(tag: &str) -> Fixture {
            let dir = std::env::temp_dir().join(format!("flake-lsp-cache-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            let root = dir.join("project");
            std::fs::create_dir_all(&root).unwrap();
            std::fs::write(root.join("flake.nix"), "{ outputs = _: { }; }").unwrap();
            let cache = Cache::at(dir.join("cache"));
            Fixture { dir, root, cache }
        }

        fn save(&self, store_paths: Vec<PathBuf>) -> Entry {
            let mut diff = EnvDiff::default();
            diff.set.insert("FOO".into(), "bar".into());
            let watched = [PathBuf::from("flake.nix"), PathBuf::from("flake.lock")];
            let entry = new_entry(&self.root, parts(), &watched, diff, None, store_paths);
            self.cache.save(&self.root, &entry).unwrap();
            entry
        }
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn parts() -> KeyParts {
        KeyParts {
            shell: "devShells.x86_64-linux.default".into(),
            nix_version: "2.8.0".into(),
            run_hook: true,
        }
    }

    #[test]
    fn fresh_until_a_watched_file_changes() {
        let f = Fixture::new("fresh");
        assert_eq!(f.cache.lookup(&f.root, &parts()), Lookup::Missing);
        let entry = f.save(vec![]);
        assert_eq!(f.cache.lookup(&f.root, &parts()), Lookup::Fresh(Box::new(entry.clone())));
        std::fs::write(f.root.join("flake.nix"), "{ outputs = _: { x = 1; }; }").unwrap();
        assert_eq!(
            f.cache.lookup(&f.root, &parts()),
            Lookup::Stale(Box::new(entry.clone()), "flake.nix changed".into())
        );
        f.save(vec![]);
        std::fs::write(f.root.join("flake.lock"), "{}").unwrap();
        let Lookup::Stale(_, why) = f.cache.lookup(&f.root, &parts()) else { panic!("stale") };
        assert_eq!(why, "flake.lock appeared");
    }

    #[test]
    fn another_shell_or_nix_makes_it_stale() {
        let f = Fixture::new("parts");
        f.save(vec![]);
        let other = KeyParts { shell: "devShells.x86_64-linux.cuda".into(), ..parts() };
        let Lookup::Stale(_, why) = f.cache.lookup(&f.root, &other) else { panic!("stale") };
        assert!(why.contains("cuda"), "{why}");
        let other = KeyParts { nix_version: "2.34.8".into(), ..parts() };
        assert!(matches!(f.cache.lookup(&f.root, &other), Lookup::Stale(..)));
    }

    #[test]
    fn damaged_or_garbage_collected_entries_are_invalid() {
        let f = Fixture::new("invalid");
        f.save(vec![]);
        let file = f.cache.entry_dir(&f.root).join("entry.json");
        let text = std::fs::read(&file).unwrap();
        std::fs::write(&file, &text[..text.len() / 2]).unwrap();
        let Lookup::Invalid(why) = f.cache.lookup(&f.root, &parts()) else { panic!("invalid") };
        assert!(why.contains("damaged"), "{why}");
        f.save(vec![f.dir.join("no-such-store-path")]);
        let Lookup::Invalid(why) = f.cache.lookup(&f.root, &parts()) else { panic!("invalid") };
        assert!(why.contains("garbage-collected"), "{why}");
    }

    #[test]
    fn one_directory_per_flake() {
        let f = Fixture::new("dirs");
        let other = f.dir.join("other");
        std::fs::create_dir_all(&other).unwrap();
        assert_ne!(f.cache.entry_dir(&f.root), f.cache.entry_dir(&other));
        assert_eq!(f.cache.entry_dir(&f.root), f.cache.entry_dir(&f.root.join("../project")));
    }
}
