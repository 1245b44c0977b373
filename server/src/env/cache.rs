//! The environment cache: a realised environment on disk, keyed by everything that can change
//! it (DESIGN.md, step 2), so an unchanged project answers at once.
//!
//! One directory per flake under `$XDG_CACHE_HOME/flake-lsp/env/` (else `~/.cache/…`), named
//! by a hash of the flake's path: `entry.json` (written atomically) and the `profile` GC root
//! that keeps the shell's store paths alive. An entry is used only when its key matches the
//! files as they are now and every store path it names still exists; otherwise it is rebuilt,
//! and meanwhile it can still be served as stale.
//!
//! The key holds Nix's version. Beside the entries, `nix-versions.json` remembers the version
//! of each Nix binary asked, with the binary's [`BinaryStamp`], so that answering from the cache
//! starts no process: Nix is asked again only when its binary changed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::apply::EnvDiff;
use super::python::PythonInfo;
use super::trust::write_atomic;
use crate::nix::BinaryStamp;

/// Bumped when the entry format changes: older entries are rebuilt.
const FORMAT: u32 = 1;

/// Bumped when the format of `nix-versions.json` changes: Nix is asked again.
const VERSIONS_FORMAT: u32 = 1;

/// How many binaries `nix-versions.json` remembers (each upgrade in a profile is a new store
/// path); the least recently asked goes first.
const VERSIONS_KEPT: usize = 8;

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

/// Nix's version as remembered for one binary.
#[derive(Debug, PartialEq, Eq)]
pub enum KnownVersion {
    /// Asked before, and the binary is unchanged since.
    Known(String),
    /// Nix must be asked: why (never asked for this binary, the binary changed, the file of
    /// versions is damaged or unreadable).
    Ask(String),
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct NixVersions {
    format: u32,
    /// The most recently asked first.
    binaries: Vec<RememberedNix>,
}

#[derive(Debug, Serialize, Deserialize)]
struct RememberedNix {
    stamp: BinaryStamp,
    version: String,
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

    /// Where Nix's versions are remembered, for every flake.
    pub fn nix_versions_file(&self) -> PathBuf {
        self.dir.join("nix-versions.json")
    }

    /// The version remembered for the binary stamped `stamp`, if it has not changed since.
    pub fn nix_version(&self, stamp: &BinaryStamp) -> KnownVersion {
        let file = self.nix_versions_file();
        let text = match std::fs::read(&file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return KnownVersion::Ask(format!("no version remembered for {}", stamp.path.display()))
            }
            Err(e) => return KnownVersion::Ask(format!("cannot read {}: {e}", file.display())),
        };
        let versions: NixVersions = match serde_json::from_slice(&text) {
            Ok(v) => v,
            Err(e) => return KnownVersion::Ask(format!("{} is damaged: {e}", file.display())),
        };
        if versions.format != VERSIONS_FORMAT {
            return KnownVersion::Ask(format!("{} has format {}", file.display(), versions.format));
        }
        match versions.binaries.into_iter().find(|b| b.stamp.path == stamp.path) {
            None => KnownVersion::Ask(format!("no version remembered for {}", stamp.path.display())),
            Some(known) => match stamp.difference(&known.stamp) {
                None if crate::nix::NixVersion::parse(&known.version).is_some() => {
                    KnownVersion::Known(known.version)
                }
                None => KnownVersion::Ask(format!(
                    "{} is damaged: {:?} is not a version",
                    file.display(),
                    known.version
                )),
                Some(what) => KnownVersion::Ask(format!(
                    "{} changed since Nix {} was read from it: {what}",
                    stamp.path.display(),
                    known.version
                )),
            },
        }
    }

    /// Remembers `version` for the binary stamped `stamp` (taken before asking it, so that a
    /// binary replaced meanwhile is asked again next time).
    pub fn remember_nix_version(&self, stamp: &BinaryStamp, version: &str) -> std::io::Result<()> {
        let file = self.nix_versions_file();
        // Whatever is unreadable is dropped: it is only a memo.
        let mut versions = std::fs::read(&file)
            .ok()
            .and_then(|text| serde_json::from_slice::<NixVersions>(&text).ok())
            .filter(|v| v.format == VERSIONS_FORMAT)
            .unwrap_or_default();
        versions.format = VERSIONS_FORMAT;
        versions.binaries.retain(|b| b.stamp.path != stamp.path);
        versions.binaries.insert(0, RememberedNix { stamp: stamp.clone(), version: version.to_string() });
        versions.binaries.truncate(VERSIONS_KEPT);
        let text = serde_json::to_vec_pretty(&versions).map_err(std::io::Error::other)?;
        write_atomic(&file, &text)
    }

    pub fn lookup(&self, root: &Path, parts: &KeyParts) -> Lookup {
        self.lookup_with(root, |_| parts.clone())
    }

    /// Like [`Cache::lookup`], with the key made from the entry once it is read (the shell the
    /// entry was made for, when none is configured): the entry is read and its files hashed once.
    pub fn lookup_with(&self, root: &Path, parts: impl FnOnce(&Entry) -> KeyParts) -> Lookup {
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
        let parts = parts(&entry);
        if entry.parts != parts {
            let why = if entry.parts.shell != parts.shell {
                format!("the dev shell is now {}", parts.shell)
            } else if entry.parts.nix_version != parts.nix_version {
                format!("Nix is now {}", parts.nix_version)
            } else {
                "the shellHook setting changed".to_string()
            };
            return Lookup::Stale(Box::new(entry), why);
        }
        let changed = entry.watched.iter().find_map(|w| {
            let now = file_digest(root, &w.path);
            let what = match (&w.digest, &now) {
                (None, Some(_)) => "appeared",
                (Some(_), None) => "was removed",
                _ if now != w.digest => "changed",
                _ => return None,
            };
            Some(format!("{} {what}", w.path.display()))
        });
        match changed {
            None => Lookup::Fresh(Box::new(entry)),
            Some(why) => Lookup::Stale(Box::new(entry), why),
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
    fn a_removed_watched_file_makes_it_stale() {
        let f = Fixture::new("removed");
        std::fs::write(f.root.join("flake.lock"), "{}").unwrap();
        f.save(vec![]);
        std::fs::remove_file(f.root.join("flake.lock")).unwrap();
        let Lookup::Stale(_, why) = f.cache.lookup(&f.root, &parts()) else { panic!("stale") };
        assert_eq!(why, "flake.lock was removed");
    }

    #[test]
    fn the_key_can_take_the_entrys_own_shell() {
        let f = Fixture::new("with");
        let entry = f.save(vec![]);
        let lookup = f.cache.lookup_with(&f.root, |e| KeyParts { shell: e.parts.shell.clone(), ..parts() });
        assert_eq!(lookup, Lookup::Fresh(Box::new(entry)));
    }

    fn stamp(path: &str) -> BinaryStamp {
        BinaryStamp { path: path.into(), size: 100, modified: 1, changed: 2, inode: 3, device: 4 }
    }

    #[test]
    fn nix_versions_are_remembered_by_binary() {
        let f = Fixture::new("versions");
        let nix = stamp("/usr/bin/nix");
        let KnownVersion::Ask(why) = f.cache.nix_version(&nix) else { panic!("ask") };
        assert_eq!(why, "no version remembered for /usr/bin/nix");
        f.cache.remember_nix_version(&nix, "2.8.0").unwrap();
        assert_eq!(f.cache.nix_version(&nix), KnownVersion::Known("2.8.0".into()));
        // Another binary is remembered beside it.
        let latest = stamp("/usr/local/bin/nix-latest");
        f.cache.remember_nix_version(&latest, "2.34.8").unwrap();
        assert_eq!(f.cache.nix_version(&latest), KnownVersion::Known("2.34.8".into()));
        assert_eq!(f.cache.nix_version(&nix), KnownVersion::Known("2.8.0".into()));
        // A profile's nix now resolving to another store path is another binary.
        let KnownVersion::Ask(why) = f.cache.nix_version(&stamp("/nix/store/x-nix-2.24.0/bin/nix")) else {
            panic!("ask")
        };
        assert!(why.starts_with("no version remembered"), "{why}");
        // Only so many are kept.
        for i in 0..VERSIONS_KEPT {
            f.cache.remember_nix_version(&stamp(&format!("/nix/store/{i}-nix/bin/nix")), "2.20.0").unwrap();
        }
        assert!(matches!(f.cache.nix_version(&nix), KnownVersion::Ask(_)), "the oldest went");
    }

    #[test]
    fn a_changed_nix_binary_is_asked_again() {
        let f = Fixture::new("changed-nix");
        let nix = stamp("/usr/bin/nix");
        f.cache.remember_nix_version(&nix, "2.8.0").unwrap();
        for (changed, what) in [
            (BinaryStamp { size: 101, ..nix.clone() }, "it was modified"),
            (BinaryStamp { modified: 5, ..nix.clone() }, "it was modified"),
            (BinaryStamp { changed: 5, ..nix.clone() }, "its inode changed"),
            (BinaryStamp { inode: 5, ..nix.clone() }, "it was replaced"),
            (BinaryStamp { device: 5, ..nix.clone() }, "it was replaced"),
        ] {
            let KnownVersion::Ask(why) = f.cache.nix_version(&changed) else { panic!("{what}: ask") };
            assert_eq!(why, format!("/usr/bin/nix changed since Nix 2.8.0 was read from it: {what}"));
        }
        // Asked again: the new stamp replaces the old.
        let upgraded = BinaryStamp { inode: 9, ..nix.clone() };
        f.cache.remember_nix_version(&upgraded, "2.34.8").unwrap();
        assert_eq!(f.cache.nix_version(&upgraded), KnownVersion::Known("2.34.8".into()));
        assert!(matches!(f.cache.nix_version(&nix), KnownVersion::Ask(_)));
    }

    #[test]
    fn a_damaged_file_of_nix_versions_is_asked_again_and_repaired() {
        let f = Fixture::new("damaged-versions");
        let nix = stamp("/usr/bin/nix");
        f.cache.remember_nix_version(&nix, "2.8.0").unwrap();
        let file = f.cache.nix_versions_file();
        let text = std::fs::read(&file).unwrap();
        std::fs::write(&file, &text[..text.len() / 2]).unwrap();
        let KnownVersion::Ask(why) = f.cache.nix_version(&nix) else { panic!("ask") };
        assert!(why.contains("nix-versions.json is damaged"), "{why}");
        // Valid JSON, but not a version.
        let text = String::from_utf8(text).unwrap();
        std::fs::write(&file, text.replace("\"2.8.0\"", "\"\"")).unwrap();
        let KnownVersion::Ask(why) = f.cache.nix_version(&nix) else { panic!("ask") };
        assert!(why.contains("is not a version"), "{why}");
        std::fs::write(&file, text.replace("\"format\": 1", "\"format\": 99")).unwrap();
        let KnownVersion::Ask(why) = f.cache.nix_version(&nix) else { panic!("ask") };
        assert!(why.contains("has format 99"), "{why}");
        std::fs::write(&file, "").unwrap();
        assert!(matches!(f.cache.nix_version(&nix), KnownVersion::Ask(_)));
        // Remembering again repairs it.
        f.cache.remember_nix_version(&nix, "2.8.0").unwrap();
        assert_eq!(f.cache.nix_version(&nix), KnownVersion::Known("2.8.0".into()));
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
