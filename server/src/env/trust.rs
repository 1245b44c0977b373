//! Which flakes the user allowed to build and run their shellHook (like direnv's `allow`).
//!
//! Stored as JSON in the user's data directory (`$XDG_DATA_HOME/flake-lsp/trust.json`, else
//! `~/.local/share/flake-lsp/trust.json`), keyed by the flake's canonical path. A missing or
//! unreadable store trusts nothing; writes are atomic.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Decision {
    Trusted,
    /// The user said no: do not ask again until they change it.
    Denied,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Store {
    version: u32,
    flakes: BTreeMap<String, Decision>,
}

pub struct TrustStore {
    file: PathBuf,
}

/// `$XDG_DATA_HOME/flake-lsp`, else `~/.local/share/flake-lsp`.
pub fn data_dir() -> Option<PathBuf> {
    super::dirs::xdg_dir("XDG_DATA_HOME", ".local/share")
}

impl TrustStore {
    /// The user's store.
    pub fn user() -> Option<TrustStore> {
        data_dir().map(|d| TrustStore::at(d.join("trust.json")))
    }

    pub fn at(file: PathBuf) -> TrustStore {
        TrustStore { file }
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The decision for the flake at `root`, if the user made one.
    pub fn get(&self, root: &Path) -> Option<Decision> {
        self.load().flakes.get(&key(root)).copied()
    }

    pub fn is_trusted(&self, root: &Path) -> bool {
        self.get(root) == Some(Decision::Trusted)
    }

    /// Records a decision; `None` forgets it (the user will be asked again).
    pub fn set(&self, root: &Path, decision: Option<Decision>) -> std::io::Result<()> {
        let mut store = self.load();
        store.version = 1;
        match decision {
            Some(d) => store.flakes.insert(key(root), d),
            None => store.flakes.remove(&key(root)),
        };
        let text = serde_json::to_string_pretty(&store).map_err(std::io::Error::other)?;
        write_atomic(&self.file, text.as_bytes())
    }

    fn load(&self) -> Store {
        let Ok(text) = std::fs::read_to_string(&self.file) else { return Store::default() };
        serde_json::from_str(&text).unwrap_or_else(|err| {
            log::warn!("{} is not a valid trust store ({err}): trusting nothing", self.file.display());
            Store::default()
        })
    }
}

fn key(root: &Path) -> String {
    root.canonicalize().unwrap_or_else(|_| root.to_path_buf()).display().to_string()
}

/// Writes `bytes` to `path` so that a reader sees the old content or the new, never half.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let tmp = dir.join(format!(
        ".{}.{}-{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_persist_and_can_be_forgotten() {
        let dir = std::env::temp_dir().join(format!("flake-lsp-trust-{}", std::process::id()));
        let flake = dir.join("project");
        std::fs::create_dir_all(&flake).unwrap();
        let store = TrustStore::at(dir.join("data/trust.json"));
        assert_eq!(store.get(&flake), None);
        store.set(&flake, Some(Decision::Trusted)).unwrap();
        assert!(TrustStore::at(dir.join("data/trust.json")).is_trusted(&flake));
        // The same flake through another spelling of its path.
        assert!(store.is_trusted(&flake.join("../project")));
        store.set(&flake, Some(Decision::Denied)).unwrap();
        assert_eq!(store.get(&flake), Some(Decision::Denied));
        store.set(&flake, None).unwrap();
        assert_eq!(store.get(&flake), None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_corrupted_store_trusts_nothing() {
        let dir = std::env::temp_dir().join(format!("flake-lsp-trust-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("trust.json"), "{ not json").unwrap();
        let store = TrustStore::at(dir.join("trust.json"));
        assert!(!store.is_trusted(&dir));
        // Writing repairs it.
        store.set(&dir, Some(Decision::Trusted)).unwrap();
        assert!(store.is_trusted(&dir));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
