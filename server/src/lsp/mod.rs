//! The LSP adapter: tower-lsp on tokio. Handlers convert parameters, call one `ide` function
//! or one of the adapter's own parts, and convert back; the analysis never sees an LSP type.
//!
//! `server.rs` holds the `Backend` and its `LanguageServer` handlers; every other module owns
//! one concern and takes what it needs, so that no module imports one that imports it back
//! (docs/architecture.md has the map).

mod attributes;
mod commands;
mod convert;
mod documents;
mod environment;
mod evaluation;
mod features;
mod nixpkgs;
mod ordered;
mod packages;
mod progress;
mod publish;
mod server;
mod settings;
mod state;
mod transport;
mod watch;

use std::sync::Arc;

use state::State;

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
        let stash = Arc::new(transport::Stash::default());
        let service = ordered::Ordered::new(service, state, stash.clone());
        tower_lsp::Server::new(transport::sanitize(tokio::io::stdin(), stash), tokio::io::stdout(), socket)
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
