//! Publishing diagnostics: the analysis of each open document's latest text, with what is
//! known from outside it (whether git tracks the file, what realising and evaluating the flake
//! found), never an older version's over a newer one's.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use dashmap::DashMap;
use tower_lsp::lsp_types::{self as lsp, MessageType, Url};
use tower_lsp::Client;

use super::convert;
use super::documents::Snapshot;
use super::state::State;
use crate::ide::{self, ExternalDiagnostic, Outside};
use crate::vcs::Tracking;

/// Documents up to this size are analysed on the task that publishes them.
const INLINE_UP_TO: usize = 64 * 1024;

/// Who found diagnostics outside the text: each replaces only its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Realising the flake's dev shell (and the venv it made).
    Environment,
    /// Evaluating the flake's shells and packages.
    Evaluation,
}

#[derive(Clone)]
pub struct Publisher {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    state: Arc<State>,
    /// The version whose diagnostics were published last, per document, and the ticket of
    /// the analysis that made them; behind a lock so that an older analysis never overwrites a
    /// newer one, of a newer version or begun later for the same one (after a change of
    /// settings, or of what is known from outside the text).
    published: tokio::sync::Mutex<HashMap<Url, (Option<i32>, u64)>>,
    /// Taken by each analysis as it begins: a later one has a larger ticket.
    tickets: std::sync::atomic::AtomicU64,
    /// The version being analysed, per document, so that a burst of edits is analysed once.
    in_flight: DashMap<Url, Option<i32>>,
    /// What realising and evaluating the flakes found, by who found it and in which file.
    found: DashMap<(Source, PathBuf), Vec<ExternalDiagnostic>>,
    /// Whether git tracks the flake files that are open, checked on open and save.
    tracking: DashMap<PathBuf, Tracking>,
}

impl Publisher {
    pub fn new(client: Client, state: Arc<State>) -> Publisher {
        Publisher {
            inner: Arc::new(Inner {
                client,
                state,
                published: Default::default(),
                tickets: Default::default(),
                in_flight: Default::default(),
                found: Default::default(),
                tracking: Default::default(),
            }),
        }
    }

    /// Analyses the document's current text and publishes the result, on the caller's task:
    /// for a document just opened, whose diagnostics are the first thing the user waits for.
    pub async fn publish_now(&self, uri: Url) {
        self.analyse_and_publish(uri).await;
    }

    /// Analyses the document's current text in the background and publishes the result,
    /// unless newer text has arrived by then (its own analysis publishes instead).
    pub fn schedule(&self, uri: Url) {
        let this = self.clone();
        tokio::spawn(async move { this.analyse_and_publish(uri).await });
    }

    /// Analyses the document again even when its version was analysed: something outside its
    /// text changed.
    pub fn again(&self, uri: Url) {
        self.inner.in_flight.remove(&uri);
        self.schedule(uri);
    }

    async fn analyse_and_publish(&self, uri: Url) {
        let inner = &self.inner;
        let Some(snapshot) = inner.state.documents.get(&uri) else { return };
        if inner.in_flight.insert(uri.clone(), snapshot.version) == Some(snapshot.version) {
            return;
        }
        let ticket = inner.tickets.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let config = inner.state.diagnostics_config();
        let enc = inner.state.encoding();
        let lock = inner.state.documents.lock_beside(&snapshot);
        let outside = self.outside(&snapshot);
        let snap = snapshot.clone();
        let work = move || -> Vec<lsp::Diagnostic> {
            let found = ide::diagnostics::with_outside(&snap.analysis(), &config, lock.as_deref(), &outside);
            found
                .iter()
                .map(|d| convert::diagnostic(&snap.uri, &snap.line_index, &snap.text, d, enc))
                .collect()
        };
        // A small document is analysed in well under a millisecond: here, without the hop to a
        // blocking thread and back (the first one also starts that thread). The runtime's
        // threads have the analysis stack.
        let computed = if snapshot.text.len() <= INLINE_UP_TO {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
                .map_err(|panic| super::ordered::panic_message(&panic))
        } else {
            tokio::task::spawn_blocking(work).await.map_err(|err| {
                if err.is_panic() {
                    super::ordered::panic_message(&err.into_panic())
                } else {
                    err.to_string()
                }
            })
        };
        let diagnostics = match computed {
            Ok(d) => d,
            Err(message) => {
                log::error!("analysis of {uri} failed: {message}");
                inner
                    .client
                    .log_message(
                        MessageType::ERROR,
                        format!("flake-lsp: analysis of {uri} failed: {message}"),
                    )
                    .await;
                inner.in_flight.remove(&uri);
                return;
            }
        };
        inner.in_flight.remove_if(&uri, |_, v| *v == snapshot.version);
        let mut published = inner.published.lock().await;
        let current = inner.state.documents.get(&uri).map(|d| d.version);
        if current != Some(snapshot.version) {
            return;
        }
        if published.get(&uri).is_some_and(|last| *last > (snapshot.version, ticket)) {
            return;
        }
        inner.client.publish_diagnostics(uri.clone(), diagnostics, snapshot.version).await;
        inner.state.start_gate.open();
        published.insert(uri, (snapshot.version, ticket));
        if snapshot.text.len() > INLINE_UP_TO {
            // The last version's trees were freed by the analysis, on its threads: their pages
            // go back to the system, after the diagnostics are out.
            tokio::task::spawn_blocking(crate::memory::give_back);
        }
    }

    /// What is known about the document from outside its text.
    fn outside(&self, snapshot: &Snapshot) -> Outside {
        let path = snapshot.uri.to_file_path().ok();
        let untracked = path
            .as_ref()
            .is_some_and(|p| self.inner.tracking.get(p).is_some_and(|t| *t == Tracking::Untracked));
        let name = snapshot.uri.path_segments().and_then(|mut s| s.next_back()).unwrap_or("this file");
        Outside {
            name: name.to_string(),
            untracked,
            found: path.map(|p| self.found_in(&p)).unwrap_or_default(),
        }
    }

    /// What realising and evaluating found in `path`.
    fn found_in(&self, path: &Path) -> Vec<ExternalDiagnostic> {
        let mut out = Vec::new();
        for source in [Source::Environment, Source::Evaluation] {
            if let Some(found) = self.inner.found.get(&(source, path.to_path_buf())) {
                // Realising and evaluating may meet the same thing (an input that cannot be
                // fetched): said once.
                for d in found.iter() {
                    if !out.contains(d) {
                        out.push(d.clone());
                    }
                }
            }
        }
        out
    }

    /// Replaces what `source` found in the files of the flake at `root` with `by_file`; the
    /// files whose diagnostics that changes, to [`Publisher::refresh`].
    pub fn replace(
        &self,
        source: Source,
        root: &Path,
        by_file: HashMap<PathBuf, Vec<ExternalDiagnostic>>,
    ) -> Vec<PathBuf> {
        let found = &self.inner.found;
        let mut touched: Vec<PathBuf> = found
            .iter()
            .filter(|e| e.key().0 == source && e.key().1.starts_with(root))
            .map(|e| e.key().1.clone())
            .collect();
        found.retain(|(s, path), _| !(*s == source && path.starts_with(root)));
        for (file, diagnostics) in by_file {
            if !diagnostics.is_empty() {
                touched.push(file.clone());
                found.insert((source, file), diagnostics);
            }
        }
        touched.sort();
        touched.dedup();
        touched
    }

    /// Publishes the diagnostics of `files` again after what is known from outside them
    /// changed: through the usual analysis when open, else only what realising and
    /// evaluating found.
    pub async fn refresh(&self, files: Vec<PathBuf>) {
        for file in files {
            if let Ok(uri) = Url::from_file_path(&file) {
                self.refresh_one(uri).await;
            }
        }
    }

    async fn refresh_one(&self, uri: Url) {
        let state = &self.inner.state;
        if state.documents.is_open(&uri) {
            self.again(uri);
            return;
        }
        let Ok(path) = uri.to_file_path() else { return };
        let found = self.found_in(&path);
        let Ok(doc) = state.documents.get_or_read(&uri) else { return };
        let enc = state.encoding();
        let diagnostics = found
            .iter()
            .map(|d| d.place(&doc.text, &doc.line_index))
            .map(|d| convert::diagnostic(&uri, &doc.line_index, &doc.text, &d, enc))
            .collect();
        self.inner.client.publish_diagnostics(uri, diagnostics, None).await;
    }

    /// A document was closed: its diagnostics would go stale, so they are cleared.
    pub async fn closed(&self, uri: Url) {
        let mut published = self.inner.published.lock().await;
        published.remove(&uri);
        self.inner.in_flight.remove(&uri);
        self.inner.client.publish_diagnostics(uri, Vec::new(), None).await;
    }

    /// An edited `flake.lock` changes what its `flake.nix` is told.
    pub fn lock_changed(&self, uri: &Url) {
        let Ok(path) = uri.to_file_path() else { return };
        if path.file_name().is_some_and(|n| n == "flake.lock") {
            if let Ok(flake) = Url::from_file_path(path.with_file_name("flake.nix")) {
                if self.inner.state.documents.is_open(&flake) {
                    self.again(flake);
                }
            }
        }
    }

    /// Asks git whether it tracks a flake file (flake.nix, or a file flake.nix names) in the
    /// background; publishes the file's diagnostics again when the answer changed.
    pub fn check_tracking(&self, uri: Url) {
        let Ok(path) = uri.to_file_path() else { return };
        let Some(root) = crate::env::find_root(&path) else { return };
        let this = self.clone();
        tokio::spawn(async move {
            this.inner.state.start_gate.wait().await;
            let flake = root.join("flake.nix");
            if path != flake && !this.flake_names(&flake, &path) {
                return;
            }
            let p = path.clone();
            let Ok(tracking) = tokio::task::spawn_blocking(move || crate::vcs::tracking(&p)).await else {
                return;
            };
            let before = this.inner.tracking.insert(path, tracking);
            if before != Some(tracking) {
                this.again(uri);
            }
        });
    }

    /// Returns once the first diagnostics were published (or a moment later at most): see
    /// [`super::state::StartGate`].
    pub async fn after_first_publish(&self) {
        self.inner.state.start_gate.wait().await;
    }

    /// Whether flake.nix names `file` with a path literal.
    fn flake_names(&self, flake: &Path, file: &Path) -> bool {
        let Ok(uri) = Url::from_file_path(flake) else { return false };
        let Ok(doc) = self.inner.state.documents.get_or_read(&uri) else { return false };
        ide::diagnostics::flake_names_file(&doc.analysis(), &ide::FileContext::for_path(flake), file)
    }
}
