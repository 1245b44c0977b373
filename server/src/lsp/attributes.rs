//! `Attributes`: completion's questions to the flake's evaluator (`crate::eval::attributes`),
//! answered without ever making the editor wait long. An answer in the cache comes at once;
//! otherwise one blocking task per question asks the evaluator (waiting for it while a save's
//! evaluation holds it) and the request waits for it at most [`WAIT`] ([`WAIT_AGAIN`] when the
//! question was already asked); past that the list is empty and incomplete, so the editor asks
//! again as the user types, and the answer, once there, is in the cache.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use super::evaluation::Evaluations;
use crate::env::realise::NixOptions;
use crate::env::Engine;
use crate::eval::attributes::{self, Answer, Base, Cache, Target};
use crate::eval::session::Sessions;
use crate::flake::lock::FlakeLock;

/// How long a completion waits for a question it asks first: enough for a set of an input
/// already evaluated (milliseconds) or a cold `nixpkgs.lib` (about a second on real nixpkgs).
const WAIT: Duration = Duration::from_millis(1500);
/// How long one waits for a question already under way (the editor asking again).
const WAIT_AGAIN: Duration = Duration::from_millis(300);

#[derive(Clone)]
pub struct Attributes {
    inner: Arc<Inner>,
}

/// Where the answer to a question under way will be.
type Coming = watch::Receiver<Option<Answer>>;

struct Inner {
    cache: Cache,
    /// The questions being asked, by root and target.
    asking: Mutex<HashMap<(PathBuf, Target), Coming>>,
    evaluations: Evaluations,
}

impl Attributes {
    pub fn new(evaluations: Evaluations) -> Attributes {
        Attributes {
            inner: Arc::new(Inner {
                cache: Cache::default(),
                asking: Mutex::new(HashMap::new()),
                evaluations,
            }),
        }
    }

    /// The evaluator's answer for `target` in the flake at `root`, or `Pending` when it takes
    /// longer than a completion may wait.
    pub async fn answer(&self, engine: Option<Arc<Engine>>, root: Option<PathBuf>, target: Target) -> Answer {
        let (Some(engine), Some(root)) = (engine, root) else { return Answer::Unavailable };
        let key = (root.clone(), target.clone());
        let (mut answer, wait) = {
            let mut asking = self.inner.asking.lock().unwrap_or_else(|e| e.into_inner());
            match asking.get(&key) {
                Some(rx) => (rx.clone(), WAIT_AGAIN),
                None => {
                    let (tx, rx) = watch::channel(None);
                    asking.insert(key.clone(), rx.clone());
                    let inner = self.inner.clone();
                    tokio::task::spawn_blocking(move || {
                        let found = inner.ask(&engine, &root, &target);
                        inner.asking.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
                        let _ = tx.send(Some(found));
                    });
                    (rx, WAIT)
                }
            }
        };
        let found = match tokio::time::timeout(wait, answer.wait_for(Option::is_some)).await {
            Ok(Ok(found)) => found.clone().unwrap_or(Answer::Pending),
            _ => Answer::Pending,
        };
        found
    }
}

impl Inner {
    /// From the cache, else from the evaluator (blocking).
    fn ask(&self, engine: &Engine, root: &Path, target: &Target) -> Answer {
        let options = &engine.config.nix;
        if let Base::Input(name) = &target.base {
            if !locked(root, name, options) {
                return Answer::Unavailable;
            }
        }
        let Ok((nix, system)) = engine.nix_and_system() else { return Answer::Unavailable };
        let query = target.query(&system);
        if let Some(known) = self.cache.get(root, &query, Sessions::global().epoch(root)) {
            return known;
        }
        let (found, at) = attributes::request(&nix, root, options, self.evaluations.limits(), &query);
        log::debug!("attributes of {query:?}: {} found", found.as_ref().map_or(0, Vec::len));
        self.cache.put(root, &query, at, found.clone());
        match found {
            Some(attrs) => Answer::Ready(Arc::new(attrs)),
            None => Answer::Unavailable,
        }
    }
}

/// Whether the root flake's input `name` can be evaluated without fetching anything new: it is
/// locked in flake.lock, or `overrideInputs` names it.
fn locked(root: &Path, name: &str, options: &NixOptions) -> bool {
    if options.override_inputs.iter().any(|(n, _)| n == name) {
        return true;
    }
    let Ok(text) = std::fs::read_to_string(root.join("flake.lock")) else { return false };
    FlakeLock::parse(&text).ok().and_then(|lock| lock.root_input(name)).is_some_and(|i| i.locked.is_some())
}
