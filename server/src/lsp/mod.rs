//! The LSP adapter: tower-lsp on tokio. Handlers convert parameters, call one `ide` function
//! and convert back; the analysis itself never sees an LSP type.

pub mod convert;
pub mod documents;
pub mod environment;
mod features;
mod ordered;
pub mod packages;
mod server;
mod transport;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use crate::ide::docs::BuiltinDocs;
use crate::ide::format::Formatter;
use crate::ide::DiagnosticsConfig;
use crate::syntax::PositionEncoding;

pub use server::Backend;

/// State shared by the ordering service and the handlers.
#[derive(Default)]
pub struct State {
    pub documents: documents::Documents,
    utf8: AtomicBool,
    pub config: RwLock<DiagnosticsConfig>,
    pub formatter: RwLock<Formatter>,
    /// Documentation of builtins, once read from the installed Nix (or our own).
    pub builtin_docs: OnceLock<Arc<BuiltinDocs>>,
    pub environments: environment::Environments,
    /// The package index of each flake's nixpkgs.
    pub packages: packages::Packages,
    /// Whether git tracks the flake files that are open, checked on open and save.
    pub tracking: dashmap::DashMap<std::path::PathBuf, crate::vcs::Tracking>,
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

    pub fn formatter(&self) -> Formatter {
        self.formatter.read().map(|c| c.clone()).unwrap_or_default()
    }

    pub fn builtin_docs(&self) -> Option<Arc<BuiltinDocs>> {
        self.builtin_docs.get().cloned()
    }
}

/// Serves LSP on stdin/stdout until the client says `exit` or closes the stream.
pub fn serve_stdio() {
    init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(crate::STACK_SIZE)
        // Analyses run on blocking threads; a burst of edits must not start hundreds of them
        // at once (each holds a version's tree): the rest wait their turn. Long Nix work (a
        // realisation, an evaluation, the package index) holds a few of them.
        .max_blocking_threads(8)
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let state = Arc::new(State::default());
        let (service, socket) = server::service(state.clone());
        let service = ordered::Ordered::new(service, state);
        tower_lsp::Server::new(transport::sanitize(tokio::io::stdin()), tokio::io::stdout(), socket)
            .serve(service)
            .await;
    });
    // Blocking tasks still analysing a document must not keep the process alive.
    // The client closed the stream without `exit`: still leave nothing running behind.
    crate::children::kill_all();
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
}

/// Logs go to stderr, which editors show as the server's log. `FLAKE_LSP_LOG` sets the level
/// (error, warn, info, debug; default warn).
fn init_logging() {
    struct Stderr;
    impl log::Log for Stderr {
        fn enabled(&self, meta: &log::Metadata) -> bool {
            meta.level() <= log::max_level()
        }
        fn log(&self, record: &log::Record) {
            if self.enabled(record.metadata()) && record.target().starts_with("flake_lsp") {
                eprintln!("[flake-lsp {}] {}", record.level(), record.args());
            }
        }
        fn flush(&self) {}
    }
    let level = match std::env::var("FLAKE_LSP_LOG").as_deref() {
        Ok("error") => log::LevelFilter::Error,
        Ok("info") => log::LevelFilter::Info,
        Ok("debug") => log::LevelFilter::Debug,
        Ok("off") => log::LevelFilter::Off,
        _ => log::LevelFilter::Warn,
    };
    if log::set_logger(&Stderr).is_ok() {
        log::set_max_level(level);
    }
}
