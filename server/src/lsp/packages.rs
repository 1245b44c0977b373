//! Loading the package index of each flake's nixpkgs in the background, with `$/progress`,
//! and handing it to the features (through `FileContext`).
//!
//! One index per nixpkgs reference and system, shared by the flakes that use it; each flake
//! root points at its own. Names first (completion works from then on), details after, nested
//! sets when a feature asks for one. Without Nix there is no index and nothing else changes.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;

use super::nixpkgs;
use super::progress::{run_with_progress, Progresses};
use crate::env::Engine;
use crate::pkgs::load::{self, Source};
use crate::pkgs::{PackageIndex, PackageRef};

/// How long a request waits for its flake's index to be set up (which nixpkgs, which system).
const REGISTER_TIMEOUT: Duration = Duration::from_secs(3);

/// While it lives, the root's index is being set up.
struct Registering {
    packages: Packages,
    root: PathBuf,
}

impl Drop for Registering {
    fn drop(&mut self) {
        let inner = &self.packages.inner;
        inner.registering.remove_if_mut(&self.root, |_, n| {
            *n -= 1;
            *n == 0
        });
        inner.registered.notify_waiters();
    }
}

/// How long a request waits for one package read by itself (Nix imports nixpkgs first: about
/// a second for a large one).
const READ_NOW_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct Packages {
    inner: Arc<Inner>,
}

struct Inner {
    progress: Progresses,
    /// By nixpkgs reference and system.
    by_key: DashMap<(String, String), Arc<PackageIndex>>,
    /// The index of each flake root.
    by_root: DashMap<PathBuf, Arc<PackageIndex>>,
    /// Where each index (by the same key) reads packages from.
    sources: DashMap<(String, String), Source>,
    /// Roots whose index is being looked up (which nixpkgs, which system), and the signal that
    /// one was: a request arriving at that moment waits for it ([`Packages::index_for`]).
    registering: DashMap<PathBuf, usize>,
    registered: tokio::sync::Notify,
    /// Indexes whose nixpkgs Nix could not read even for one package (it cannot be fetched,
    /// …): no more reads one by one until the index is loaded again.
    unreadable: DashMap<(String, String), ()>,
    /// Packages being read one by one: who asks next waits for the same answer.
    reading: DashMap<PackageRef, Arc<tokio::sync::OnceCell<()>>>,
}

impl Packages {
    pub fn new(progress: Progresses) -> Packages {
        let inner = Inner {
            progress,
            by_key: DashMap::new(),
            by_root: DashMap::new(),
            sources: DashMap::new(),
            registering: DashMap::new(),
            registered: tokio::sync::Notify::new(),
            unreadable: DashMap::new(),
            reading: DashMap::new(),
        };
        Packages { inner: Arc::new(inner) }
    }

    /// The index of the flake `path` belongs to (the innermost root holding it).
    pub fn for_path(&self, path: &Path) -> Option<Arc<PackageIndex>> {
        self.inner
            .by_root
            .iter()
            .filter(|r| path.starts_with(r.key()))
            .max_by_key(|r| r.key().as_os_str().len())
            .map(|r| r.value().clone())
    }

    /// [`Packages::for_path`], waiting (a moment at most) when the flake's index is being
    /// looked up right now: a hover sent with the file's opening gets the index.
    pub async fn index_for(&self, path: &Path) -> Option<Arc<PackageIndex>> {
        let deadline = tokio::time::Instant::now() + REGISTER_TIMEOUT;
        loop {
            let registered = self.inner.registered.notified();
            if let Some(index) = self.for_path(path) {
                return Some(index);
            }
            if !self.inner.registering.iter().any(|r| path.starts_with(r.key())) {
                return None;
            }
            tokio::time::timeout_at(deadline, registered).await.ok()?;
        }
    }

    /// Makes sure the flake at `root` has the index of its nixpkgs, loading it in the
    /// background when no flake had it yet.
    pub fn load(&self, engine: Arc<Engine>, root: PathBuf) {
        let this = self.clone();
        *self.inner.registering.entry(root.clone()).or_default() += 1;
        let registering = Registering { packages: self.clone(), root: root.clone() };
        tokio::spawn(async move {
            let options = engine.config.nix.clone();
            let r = root.clone();
            let found = tokio::task::spawn_blocking(move || {
                let (nix, system) = engine.nix_and_system().ok()?;
                let reference = nixpkgs::reference(&r, &options)?;
                Some((nix, system, reference))
            })
            .await;
            let Ok(Some((nix, system, reference))) = found else { return };
            let inner = &this.inner;
            let key = (reference.clone(), system.clone());
            let cache_dir = crate::env::cache::cache_dir().map(|d| d.join("pkgs"));
            let source = Source { nix, reference: reference.clone(), system: system.clone(), cache_dir };
            let mut fresh = false;
            let index = inner
                .by_key
                .entry(key.clone())
                .or_insert_with(|| {
                    fresh = true;
                    // Before the index is found by anyone, so a request can read from it.
                    inner.sources.insert(key.clone(), source.clone());
                    inner.unreadable.remove(&key);
                    Arc::new(PackageIndex::new(&reference, &system))
                })
                .clone();
            inner.by_root.insert(root, index.clone());
            drop(registering);
            if !fresh {
                return;
            }
            let handle = tokio::runtime::Handle::current();
            let (packages, s, weak) = (this.clone(), source.clone(), Arc::downgrade(&index));
            index.set_requester(move |path| {
                let (packages, s, weak) = (packages.clone(), s.clone(), weak.clone());
                handle.spawn(async move {
                    if let Some(index) = weak.upgrade() {
                        packages.fill(index, s, path).await;
                    }
                });
            });
            this.fill(index.clone(), source, Vec::new()).await;
            if index.top().is_none() {
                // Nix could not list them: another open may try again.
                inner.by_key.remove(&key);
                inner.sources.remove(&key);
                inner.by_root.retain(|_, i| !Arc::ptr_eq(i, &index));
            }
        });
    }

    /// Reads one package of the index of `file`'s flake by itself, ahead of the index (what
    /// the user looks at: a hover, a completion item resolved), unless the index already
    /// knows it. Returns whether it is known now.
    pub async fn read_now(&self, file: &Path, wanted: &PackageRef) -> bool {
        let Some(index) = self.for_path(file) else { return false };
        if index.details(wanted).is_some() {
            return true;
        }
        let key = (index.reference.clone(), index.system.clone());
        if self.inner.unreadable.contains_key(&key) {
            return false;
        }
        let Some(source) = self.inner.sources.get(&key).map(|s| s.clone()) else { return false };
        let this = self.clone();
        let cell = self.inner.reading.entry(wanted.clone()).or_default().clone();
        let read = cell.get_or_init(|| {
            let (index, wanted) = (index.clone(), wanted.clone());
            async move {
                let found = tokio::task::spawn_blocking(move || {
                    let source = Source { nix: source.nix.first(), ..source };
                    match source.package(&wanted.path, &wanted.name, &AtomicBool::new(false)) {
                        Ok(entry) => index.record(wanted, entry),
                        Err(e) => {
                            log::info!("cannot read {} of {}: {e}", wanted.name, index.reference);
                            if wanted.path.is_empty() && matches!(e, crate::nix::NixError::Failed { .. }) {
                                this.inner.unreadable.insert(key, ());
                            }
                        }
                    }
                });
                let _ = found.await;
            }
        });
        // A hover waits this long at most; the answer is kept for the next one.
        let _ = tokio::time::timeout(READ_NOW_TIMEOUT, read).await;
        self.inner.reading.remove_if(wanted, |_, c| c.initialized());
        index.details(wanted).is_some()
    }

    /// Loads the set at `path` into `index`, reporting progress.
    async fn fill(&self, index: Arc<PackageIndex>, source: Source, path: Vec<String>) {
        let what =
            if path.is_empty() { "nixpkgs".to_string() } else { format!("nixpkgs' {}", path.join(".")) };
        let progress = self.inner.progress.begin(format!("Indexing the packages of {what}")).await;
        let cancel = progress.cancel_flag();
        let result = {
            let (index, path) = (index.clone(), path.clone());
            run_with_progress(progress, move |tx| {
                let _ = tx.send((Some("listing names".into()), None));
                let mut on_names = |set| {
                    if path.is_empty() {
                        index.set_top(set);
                    } else {
                        index.set_nested(path.clone(), Some(set));
                    }
                };
                let mut progress = |done: usize, total: usize| {
                    let percentage = (done * 100).checked_div(total).map(|p| p as u32);
                    let _ = tx.send((Some(format!("details of {done}/{total}")), percentage));
                };
                load::load(&source, &path, &cancel, &mut on_names, &mut progress)
            })
            .await
        };
        match result {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                log::info!("cannot index the packages of {}: {e}", index.reference);
                if !path.is_empty() && !matches!(index.set(&path), crate::pkgs::Lookup::Ready(_)) {
                    index.set_nested(path, None);
                }
            }
            Err(e) => log::error!("indexing the packages of {} failed: {e}", index.reference),
        }
    }
}
