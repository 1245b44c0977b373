//! The environments of the workspace's flakes: which flakes are tracked, trust, realising in
//! the background with `$/progress`, `flake/environment`, and the `flake/*` requests
//! (docs/protocol.md).
//!
//! The work itself is `env::Engine`'s, on blocking threads; this module decides when to do it
//! and tells the client. Per flake root: answer from the cache at once when it is fresh;
//! otherwise realise in the background while the last good environment stays in use, marked
//! stale. A newer realisation cancels an older one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use dashmap::DashMap;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::notification::Notification;
use tower_lsp::lsp_types::{MessageActionItem, MessageType, Url};
use tower_lsp::Client;

use super::convert::request_failed;
use super::packages::Packages;
use super::progress::{run_with_progress, Progresses};
use super::publish::{Publisher, Source};
use super::settings::EnvSettings;
use crate::env::trust::Decision;
use crate::env::{find_root, Engine, EnvState, Environment};
use crate::ide::{Code, ExternalDiagnostic};

/// Version of the `flake/*` surface (docs/protocol.md).
pub const PROTOCOL_VERSION: u32 = 1;

/// `flake/environment`: the state of one flake's environment, sent whenever it changes.
pub enum EnvironmentNotification {}

impl Notification for EnvironmentNotification {
    type Params = EnvironmentParams;
    const METHOD: &'static str = "flake/environment";
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentParams {
    pub protocol: u32,
    #[serde(flatten)]
    pub environment: Environment,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RootParams {
    /// The flake's directory (or any file or directory in it), as a `file://` URI or a path.
    pub root: Option<String>,
    #[serde(default)]
    pub refresh: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustParams {
    pub root: Option<String>,
    pub trust: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShellsResult {
    pub root: PathBuf,
    pub shells: Vec<String>,
    /// The one in use, when known.
    pub current: Option<String>,
}

#[derive(Default)]
struct Root {
    /// The last environment sent to the client.
    last: Option<Environment>,
    /// Set to stop the realisation under way.
    cancel: Option<Arc<AtomicBool>>,
    /// Bumped per realisation, so a superseded one does not publish.
    generation: u64,
}

#[derive(Clone)]
pub struct Environments {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    progress: Progresses,
    publisher: Publisher,
    packages: Packages,
    engine: RwLock<Option<Arc<Engine>>>,
    settings: RwLock<EnvSettings>,
    roots: DashMap<PathBuf, Root>,
    /// Roots whose trust the user was asked about in this session.
    asked: DashMap<PathBuf, ()>,
    /// Whether the user was told that Nix is missing or too old (once per session).
    nix_problem_shown: AtomicBool,
}

impl Environments {
    pub fn new(
        client: Client,
        progress: Progresses,
        publisher: Publisher,
        packages: Packages,
    ) -> Environments {
        Environments {
            inner: Arc::new(Inner {
                client,
                progress,
                publisher,
                packages,
                engine: RwLock::new(None),
                settings: RwLock::new(EnvSettings::default()),
                roots: DashMap::new(),
                asked: DashMap::new(),
                nix_problem_shown: AtomicBool::new(false),
            }),
        }
    }

    pub fn engine(&self) -> Option<Arc<Engine>> {
        self.inner.engine.read().ok().and_then(|e| e.clone())
    }

    fn enabled(&self) -> bool {
        self.inner.settings.read().map(|s| s.enabled()).unwrap_or(true)
    }

    /// Applies settings, with `nix` the binary they resolve to; returns whether the engine
    /// changed (environments must be redone).
    pub fn configure(&self, settings: EnvSettings, nix: Option<PathBuf>) -> bool {
        let config = settings.config(nix);
        let unchanged = self.inner.settings.read().is_ok_and(|s| *s == settings)
            && self.engine().is_some_and(|e| e.config.nix_path == config.nix_path);
        if unchanged {
            return false;
        }
        let engine = match Engine::for_user(config) {
            Ok(engine) => Some(Arc::new(engine)),
            Err(e) => {
                log::warn!("the environment engine is off: {e}");
                None
            }
        };
        if let Ok(mut slot) = self.inner.engine.write() {
            *slot = engine;
        }
        if let Ok(mut slot) = self.inner.settings.write() {
            *slot = settings;
        }
        true
    }

    pub fn last(&self, root: &Path) -> Option<Environment> {
        self.inner.roots.get(root).and_then(|r| r.last.clone())
    }

    pub fn roots(&self) -> Vec<PathBuf> {
        self.inner.roots.iter().map(|r| r.key().clone()).collect()
    }

    pub fn is_tracked(&self, root: &Path) -> bool {
        self.inner.roots.contains_key(root)
    }

    /// The root a document belongs to, among the tracked ones.
    pub fn root_of(&self, path: &Path) -> Option<PathBuf> {
        self.inner
            .roots
            .iter()
            .map(|r| r.key().clone())
            .filter(|r| path.starts_with(r))
            .max_by_key(|r| r.as_os_str().len())
    }

    /// The root a request names, or the only tracked one.
    pub fn root_for(&self, given: Option<&str>) -> Result<PathBuf> {
        match given.and_then(to_path) {
            Some(path) => find_root(&path)
                .ok_or_else(|| request_failed(format!("no flake.nix at or above {}", path.display()))),
            None => match self.roots().as_slice() {
                [one] => Ok(one.clone()),
                [] => Err(request_failed("no flake is open")),
                _ => Err(request_failed("several flakes are open: say which with `root`")),
            },
        }
    }

    /// The engine, or the error a `flake/*` request answers without one.
    fn engine_or_error(&self) -> Result<Arc<Engine>> {
        self.engine().ok_or_else(|| {
            request_failed(
                "the environment engine is off (flakeLsp.environment.enable, or no cache directory)",
            )
        })
    }

    /// Starts tracking the flakes of the workspace folders.
    pub async fn track_folders(&self, folders: Vec<PathBuf>) {
        for folder in folders {
            if let Some(root) = find_root(&folder) {
                self.track(root).await;
            }
        }
    }

    /// Starts tracking the flake a document belongs to.
    pub async fn track_document(&self, uri: &Url) {
        let Ok(path) = uri.to_file_path() else { return };
        if let Some(root) = find_root(&path) {
            self.track(root).await;
        }
    }

    async fn track(&self, root: PathBuf) {
        if !self.enabled() || self.inner.roots.contains_key(&root) {
            return;
        }
        let Some(engine) = self.engine() else { return };
        self.inner.roots.insert(root.clone(), Root::default());
        // Nix starts after the first diagnostics, not beside them; the caller goes on.
        let this = self.clone();
        tokio::spawn(async move {
            this.inner.publisher.after_first_publish().await;
            this.inner.packages.load(engine, root.clone());
            this.start(root, false).await;
        });
    }

    /// Makes the environment of `root` current: from the cache when fresh and `force` is off,
    /// else by realising. Asks for trust first when needed.
    pub async fn start(&self, root: PathBuf, force: bool) {
        let Some(engine) = self.engine() else { return };
        if !engine.is_trusted(&root) {
            self.publish(Environment::empty(&root, EnvState::Untrusted)).await;
            self.ask_trust(root);
            return;
        }
        if !force {
            let cached = {
                let (engine, root) = (engine.clone(), root.clone());
                tokio::task::spawn_blocking(move || engine.cached(&root)).await.ok().flatten()
            };
            match cached {
                Some(env) if env.state == EnvState::Ready => {
                    self.publish(env).await;
                    return;
                }
                Some(env) if env.state == EnvState::Stale => self.publish(env).await,
                _ => {}
            }
        }
        self.realise(engine, root).await;
    }

    /// Realises in the background; the last good environment (if any) is marked stale meanwhile.
    async fn realise(&self, engine: Arc<Engine>, root: PathBuf) {
        let cancel = Arc::new(AtomicBool::new(false));
        let generation = {
            let mut entry = self.inner.roots.entry(root.clone()).or_default();
            if let Some(previous) = entry.cancel.replace(cancel.clone()) {
                previous.store(true, Ordering::Release);
            }
            entry.generation += 1;
            entry.generation
        };
        let last = self.last(&root).filter(|e| matches!(e.state, EnvState::Ready | EnvState::Stale));
        match last {
            Some(mut stale) => {
                if stale.state == EnvState::Ready {
                    stale.state = EnvState::Stale;
                    stale.error = Some("realising again".into());
                    self.publish(stale).await;
                }
            }
            None => {
                let mut realising = Environment::empty(&root, EnvState::Realising);
                realising.log = Some(engine.cache().log(&root));
                self.publish(realising).await;
            }
        }
        let this = self.clone();
        tokio::spawn(async move {
            let name = root.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let title = format!("Realising the dev shell of {name}");
            let progress = this.inner.progress.begin_with(title, cancel.clone()).await;
            let result = {
                let (root, cancel) = (root.clone(), cancel.clone());
                run_with_progress(progress, move |tx| {
                    engine.realise(&root, &cancel, &mut |p| {
                        let _ = tx.send((p.message(), p.percentage()));
                    })
                })
                .await
            };
            let current = this.inner.roots.get(&root).map(|r| r.generation);
            if current != Some(generation) {
                return; // superseded: the newer realisation publishes
            }
            // Cancelled by the user (from the progress UI, or by distrusting): what the engine
            // answers says so (the last good environment as stale, or failed), unless
            // distrusting already published `untrusted`.
            if cancel.load(Ordering::Acquire)
                && this.last(&root).is_some_and(|e| e.state == EnvState::Untrusted)
            {
                return;
            }
            match result {
                Ok(env) => this.publish(env).await,
                Err(e) => {
                    // The engine itself failed (a panic): say so rather than stay "realising".
                    log::error!("realising {} failed: {e}", root.display());
                    let mut failed = Environment::empty(&root, EnvState::Failed);
                    failed.error = Some(format!("internal error while realising: {e}"));
                    this.publish(failed).await;
                }
            }
        });
    }

    fn ask_trust(&self, root: PathBuf) {
        if self.inner.asked.insert(root.clone(), ()).is_some() {
            return;
        }
        let Some(engine) = self.engine() else { return };
        if engine.trust_store().get(&root) == Some(Decision::Denied) {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            let message = format!(
                "flake-lsp: trust the flake in {}? Realising its dev shell builds it and runs its shellHook, \
                 which runs its code. Until then only the language features are on.",
                root.display()
            );
            let actions = vec![
                MessageActionItem { title: "Trust".into(), properties: HashMap::new() },
                MessageActionItem { title: "Not now".into(), properties: HashMap::new() },
            ];
            let client = &this.inner.client;
            let answer = client.show_message_request(MessageType::INFO, message, Some(actions)).await;
            if let Ok(Some(item)) = answer {
                if item.title == "Trust" {
                    if let Err(e) = engine.trust_store().set(&root, Some(Decision::Trusted)) {
                        let message = format!("flake-lsp: cannot record trust: {e}");
                        client.show_message(MessageType::ERROR, message).await;
                        return;
                    }
                    this.start(root, false).await;
                }
            }
        });
    }

    /// Sends `flake/environment`, remembers it, and updates the environment's diagnostics.
    async fn publish(&self, mut env: Environment) {
        let inner = &self.inner;
        // An input that could not be fetched: the editor says the same sentence as the
        // diagnostic (which input, why, what to do) instead of Nix's retries.
        let unfetched =
            env.fetch_failure.as_ref().map(|f| crate::ide::diagnostics::unfetched_input_in(&env.root, f));
        if let Some(diagnostic) = &unfetched {
            env.error = Some(diagnostic.message.clone());
        }
        let nix_problem = env.state == EnvState::Failed
            && env
                .error
                .as_deref()
                .is_some_and(|e| e.contains("nix was not found") || e.contains("is too old"));
        if nix_problem && !inner.nix_problem_shown.swap(true, Ordering::AcqRel) {
            let message = format!(
                "flake-lsp: {}. The dev shell and evaluation are off; the language features keep working.",
                env.error.as_deref().unwrap_or_default()
            );
            inner.client.show_message(MessageType::WARNING, message).await;
        }
        let touched =
            inner.publisher.replace(Source::Environment, &env.root, diagnostics_of(&env, unfetched));
        if let Some(mut entry) = inner.roots.get_mut(&env.root) {
            entry.last = Some(env.clone());
        }
        inner
            .client
            .send_notification::<EnvironmentNotification>(EnvironmentParams {
                protocol: PROTOCOL_VERSION,
                environment: env,
            })
            .await;
        inner.publisher.refresh(touched).await;
    }

    /// `flake/realise`: realise now (from the cache unless `refresh`); answers with the state
    /// at the start, the result follows as `flake/environment`.
    pub async fn realise_request(&self, params: RootParams) -> Result<Value> {
        let root = self.root_for(params.root.as_deref())?;
        self.engine_or_error()?;
        self.inner.roots.entry(root.clone()).or_default();
        self.start(root.clone(), params.refresh).await;
        Ok(json!({ "root": root, "started": true }))
    }

    /// `flake/shells`: the dev shells of the flake.
    pub async fn shells(&self, params: RootParams) -> Result<ShellsResult> {
        let root = self.root_for(params.root.as_deref())?;
        let engine = self.engine_or_error()?;
        let current = self.last(&root).and_then(|e| e.shell);
        let r = root.clone();
        let shells = tokio::task::spawn_blocking(move || engine.shells(&r))
            .await
            .map_err(|e| request_failed(e.to_string()))?
            .map_err(request_failed)?;
        Ok(ShellsResult { root, shells, current })
    }

    /// `flake/trust`: trust or distrust a flake; trusting realises it.
    pub async fn trust(&self, params: TrustParams) -> Result<Value> {
        let root = self.root_for(params.root.as_deref())?;
        let engine = self.engine_or_error()?;
        let decision = if params.trust { Decision::Trusted } else { Decision::Denied };
        engine
            .trust_store()
            .set(&root, Some(decision))
            .map_err(|e| request_failed(format!("cannot record trust: {e}")))?;
        self.inner.roots.entry(root.clone()).or_default();
        if params.trust {
            self.start(root.clone(), false).await;
        } else {
            if let Some(cancel) = self.inner.roots.get(&root).and_then(|r| r.cancel.clone()) {
                cancel.store(true, Ordering::Release);
            }
            self.publish(Environment::empty(&root, EnvState::Untrusted)).await;
        }
        Ok(json!({ "root": root, "trusted": params.trust }))
    }
}

/// A `file://` URI or a path, as a path.
pub fn to_path(s: &str) -> Option<PathBuf> {
    if s.starts_with("file:") {
        Url::parse(s).ok()?.to_file_path().ok()
    } else {
        Some(PathBuf::from(s))
    }
}

/// What an environment says about the flake's files: why it could not be realised (where Nix
/// pointed, else at the top of flake.nix; `unfetched` instead when the failure is an input
/// that could not be fetched) and a broken venv. Every file it names, flake.nix always, so
/// that what is gone is cleared.
fn diagnostics_of(
    env: &Environment,
    unfetched: Option<ExternalDiagnostic>,
) -> HashMap<PathBuf, Vec<ExternalDiagnostic>> {
    let flake = env.root.join("flake.nix");
    let mut by_file: HashMap<PathBuf, Vec<ExternalDiagnostic>> = HashMap::new();
    by_file.insert(flake.clone(), Vec::new());
    if let (Some(diagnostic), EnvState::Failed | EnvState::Stale) = (unfetched, env.state) {
        by_file.entry(flake.clone()).or_default().push(diagnostic);
    } else if let (Some(error), EnvState::Failed | EnvState::Stale) = (&env.error, env.state) {
        if env.state == EnvState::Failed || env.error_position.is_some() {
            let (file, line, column) = match &env.error_position {
                Some(p) => (env.root.join(&p.file), p.line, p.column),
                None => (flake.clone(), 1, 1),
            };
            let message = format!("the dev shell could not be realised: {error}");
            by_file.entry(file).or_default().push(ExternalDiagnostic::new(
                Code::EnvironmentFailed,
                line,
                column,
                message,
            ));
        }
    }
    if let Some(why) = env.python.as_ref().and_then(|p| p.broken.clone()) {
        let message = format!("the venv is broken: {why}. Recreate it so the shellHook makes a new one.");
        by_file.entry(flake).or_default().push(ExternalDiagnostic::new(Code::VenvBroken, 1, 1, message));
    }
    by_file
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::ErrorPosition;

    fn env(state: EnvState, error: Option<&str>) -> Environment {
        Environment { error: error.map(str::to_string), ..Environment::empty(Path::new("/p"), state) }
    }

    fn summary(by_file: &HashMap<PathBuf, Vec<ExternalDiagnostic>>) -> Vec<String> {
        let mut out: Vec<String> = by_file
            .iter()
            .flat_map(|(file, ds)| {
                let file = file.display().to_string();
                let mut lines = vec![format!("{file}: {}", ds.len())];
                lines
                    .extend(ds.iter().map(|d| {
                        format!("{file}:{}:{} {} {}", d.line, d.column, d.code.as_str(), d.message)
                    }));
                lines
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn a_ready_environment_clears_flake_nix() {
        assert_eq!(summary(&diagnostics_of(&env(EnvState::Ready, None), None)), ["/p/flake.nix: 0"]);
        // Stale for a reason that is no error in a file (realising again): nothing either.
        assert_eq!(
            summary(&diagnostics_of(&env(EnvState::Stale, Some("realising again")), None)),
            ["/p/flake.nix: 0"]
        );
    }

    #[test]
    fn a_failure_lands_where_nix_pointed_else_at_the_top() {
        let mut failed = env(EnvState::Stale, Some("undefined variable 'missingThing'"));
        failed.error_position = Some(ErrorPosition { file: "nix/shell.nix".into(), line: 4, column: 9 });
        assert_eq!(
            summary(&diagnostics_of(&failed, None)),
            [
                "/p/flake.nix: 0",
                "/p/nix/shell.nix: 1",
                "/p/nix/shell.nix:4:9 environment_failed the dev shell could not be realised: undefined variable 'missingThing'",
            ]
        );
        assert_eq!(
            summary(&diagnostics_of(&env(EnvState::Failed, Some("nix was not found")), None)),
            [
                "/p/flake.nix: 1",
                "/p/flake.nix:1:1 environment_failed the dev shell could not be realised: nix was not found",
            ]
        );
    }

    #[test]
    fn a_broken_venv() {
        let mut ready = env(EnvState::Ready, None);
        ready.python = Some(crate::env::python::PythonInfo {
            interpreter: "/p/.venv/bin/python".into(),
            version: None,
            venv: Some("/p/.venv".into()),
            site_packages: None,
            shell_python: None,
            broken: Some("its Python is gone".into()),
        });
        assert_eq!(
            summary(&diagnostics_of(&ready, None)),
            [
                "/p/flake.nix: 1",
                "/p/flake.nix:1:1 venv_broken the venv is broken: its Python is gone. Recreate it so the shellHook makes a new one.",
            ]
        );
    }

    #[test]
    fn paths_and_uris() {
        assert_eq!(to_path("file:///p/flake.nix"), Some(PathBuf::from("/p/flake.nix")));
        assert_eq!(to_path("/p"), Some(PathBuf::from("/p")));
        assert_eq!(to_path("file://host/p"), None, "a file on another machine");
    }
}
