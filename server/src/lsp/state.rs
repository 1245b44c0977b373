//! What the ordering service and every handler read: the open documents, the negotiated
//! position encoding, the user's diagnostics and formatting settings, the Nix binary in use and
//! the builtins' documentation it gave.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::documents::Documents;
use crate::ide::docs::BuiltinDocs;
use crate::ide::format::Formatter;
use crate::ide::DiagnosticsConfig;
use crate::nix::{Nix, NixError};
use crate::syntax::PositionEncoding;

#[derive(Default)]
pub struct State {
    pub documents: Documents,
    utf8: AtomicBool,
    config: RwLock<DiagnosticsConfig>,
    formatter: RwLock<Formatter>,
    /// The `nix` every run uses, resolved once per setting ([`Nix::resolve`]): `None` until
    /// `initialize`, and when there is none.
    nix: RwLock<Option<Nix>>,
    /// Documentation of builtins, once read from that Nix (or our own).
    builtin_docs: RwLock<Option<Arc<BuiltinDocs>>>,
    /// Bumped per reading of the builtins' documentation: an older reading that finishes late
    /// does not replace a newer one.
    docs_generation: AtomicU64,
    /// Opens at the first publication of diagnostics: see [`StartGate`].
    pub start_gate: StartGate,
}

/// How long work that starts processes waits for the first diagnostics at most.
const QUIET_START: Duration = Duration::from_millis(500);

/// Work that starts processes at start-up (Nix for the builtins' documentation, the
/// environment and the package index; git for tracking) waits until the first diagnostics are
/// published, or [`QUIET_START`] at most: on two cores, a document opened as the editor starts
/// otherwise waits for the CPU behind a dozen process start-ups.
pub struct StartGate {
    open: tokio::sync::watch::Sender<bool>,
}

impl Default for StartGate {
    fn default() -> StartGate {
        StartGate { open: tokio::sync::watch::Sender::new(false) }
    }
}

impl StartGate {
    pub fn open(&self) {
        if !*self.open.borrow() {
            self.open.send_replace(true);
        }
    }

    /// Returns once the gate is open, or after [`QUIET_START`].
    pub async fn wait(&self) {
        let mut open = self.open.subscribe();
        let _ = tokio::time::timeout(QUIET_START, open.wait_for(|o| *o)).await;
    }
}

impl State {
    pub fn encoding(&self) -> PositionEncoding {
        if self.utf8.load(Ordering::Acquire) {
            PositionEncoding::Utf8
        } else {
            PositionEncoding::Utf16
        }
    }

    pub fn set_encoding(&self, enc: PositionEncoding) {
        self.utf8.store(enc == PositionEncoding::Utf8, Ordering::Release);
    }

    pub fn diagnostics_config(&self) -> DiagnosticsConfig {
        self.config.read().map(|c| c.clone()).unwrap_or_default()
    }

    /// Returns whether the configuration changed.
    pub fn set_diagnostics_config(&self, config: DiagnosticsConfig) -> bool {
        let Ok(mut current) = self.config.write() else { return false };
        let changed = *current != config;
        *current = config;
        changed
    }

    pub fn formatter(&self) -> Formatter {
        self.formatter.read().map(|c| c.clone()).unwrap_or_default()
    }

    pub fn set_formatter(&self, formatter: Formatter) {
        if let Ok(mut current) = self.formatter.write() {
            *current = formatter;
        }
    }

    /// Resolves the Nix binary for `setting` (`flakeLsp.nix.path`), else `FLAKE_LSP_NIX`, else
    /// PATH. Returns whether it changed.
    pub fn set_nix(&self, setting: Option<&Path>) -> bool {
        let nix = Nix::resolve(setting).ok();
        let Ok(mut current) = self.nix.write() else { return false };
        let changed = *current != nix;
        *current = nix;
        changed
    }

    /// The Nix binary in use.
    pub fn nix(&self) -> Result<Nix, NixError> {
        self.nix.read().ok().and_then(|n| n.clone()).ok_or(NixError::NotFound)
    }

    /// Where the Nix binary in use is, when there is one.
    pub fn nix_program(&self) -> Option<PathBuf> {
        self.nix().ok().map(|n| n.program().to_path_buf())
    }

    pub fn builtin_docs(&self) -> Option<Arc<BuiltinDocs>> {
        self.builtin_docs.read().ok().and_then(|d| d.clone())
    }

    /// Reads the builtins' documentation from the Nix in use (our own summaries when it cannot
    /// tell). Blocks while Nix runs: for a blocking thread.
    pub fn load_builtin_docs(&self) {
        let generation = self.docs_generation.fetch_add(1, Ordering::AcqRel) + 1;
        let docs = match self.nix().and_then(|nix| nix.builtins()) {
            Ok(dumped) => {
                log::info!("read the documentation of {} builtins from nix", dumped.len());
                BuiltinDocs::from_dumped(dumped)
            }
            Err(err) => {
                log::info!("builtins are documented by flake-lsp's own summaries: {err}");
                BuiltinDocs::fallback()
            }
        };
        if let Ok(mut slot) = self.builtin_docs.write() {
            if self.docs_generation.load(Ordering::Acquire) == generation {
                *slot = Some(Arc::new(docs));
            }
        }
    }
}
