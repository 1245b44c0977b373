//! The environment engine behind the editor: which flakes the workspace holds, their
//! environments, trust, progress, file watching, and the `flake/*` methods (docs/protocol.md).
//!
//! The work itself is `env::Engine`'s, on blocking threads; this file decides when to do it
//! and tells the client. Per flake root: answer from the cache at once when it is fresh;
//! otherwise realise in the background, reporting `$/progress`, while the last good
//! environment stays in use, marked stale. A newer realisation cancels an older one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use dashmap::DashMap;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tower_lsp::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp::lsp_types::notification::Notification;
use tower_lsp::lsp_types::*;

use super::server::Backend;
use crate::env::trust::Decision;
use crate::env::{find_root, Engine, EnvConfig, EnvState, Environment};
use crate::ide::{Code, Diagnostic};
use crate::syntax::{LineCol, LineIndex, PositionEncoding, TextRange};

/// A progress report from blocking work: a message and a percentage.
pub(crate) type Report = (Option<String>, Option<u32>);

/// Version of the `flake/*` surface (docs/protocol.md).
pub const PROTOCOL_VERSION: u32 = 1;

pub const ENTER_ENVIRONMENT: &str = "flake-lsp.enterEnvironment";
pub const RECREATE_VENV: &str = "flake-lsp.recreateVenv";
pub const UPDATE_LOCK: &str = "flake-lsp.updateLock";
pub const GIT_ADD: &str = "flake-lsp.gitAddIntent";

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

/// The environment settings, under `flakeLsp.environment`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnvSettings {
    pub enable: Option<bool>,
    pub trusted: Option<bool>,
    pub shell: Option<String>,
    pub run_shell_hook: Option<bool>,
    pub timeout: Option<f64>,
    pub override_inputs: Vec<(String, String)>,
    /// `flakeLsp.nix.path`.
    pub nix_path: Option<String>,
}

impl EnvSettings {
    /// `None` when the settings do not mention the environment at all.
    pub fn from_settings(settings: &Value) -> Option<EnvSettings> {
        let top = settings.get("flakeLsp").unwrap_or(settings);
        let nix_path = top
            .get("nix")
            .and_then(|n| n.get("path"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let Some(section) = top.get("environment") else {
            return nix_path.map(|p| EnvSettings { nix_path: Some(p), ..EnvSettings::default() });
        };
        let mut out = EnvSettings {
            enable: section.get("enable").and_then(Value::as_bool),
            trusted: section.get("trusted").and_then(Value::as_bool),
            shell: section.get("shell").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string),
            run_shell_hook: section.get("runShellHook").and_then(Value::as_bool),
            timeout: section.get("timeout").and_then(Value::as_f64).filter(|t| *t > 0.0),
            override_inputs: Vec::new(),
            nix_path,
        };
        if let Some(map) = section.get("overrideInputs").and_then(Value::as_object) {
            for (name, reference) in map {
                if let Some(reference) = reference.as_str() {
                    out.override_inputs.push((name.clone(), reference.to_string()));
                }
            }
        }
        Some(out)
    }

    fn config(&self) -> EnvConfig {
        let defaults = EnvConfig::default();
        let mut nix = defaults.nix.clone();
        nix.override_inputs = self.override_inputs.clone();
        EnvConfig {
            shell: self.shell.clone(),
            run_hook: self.run_shell_hook.unwrap_or(true),
            hook_timeout: self.timeout.map_or(defaults.hook_timeout, Duration::from_secs_f64),
            nix,
            nix_path: self.nix_path.as_ref().map(PathBuf::from),
            assume_trusted: self.trusted.unwrap_or(false),
        }
    }
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

/// Environment state shared by the handlers.
#[derive(Default)]
pub struct Environments {
    engine: RwLock<Option<Arc<Engine>>>,
    settings: RwLock<EnvSettings>,
    roots: DashMap<PathBuf, Root>,
    /// Roots whose trust the user was asked about in this session.
    asked: DashMap<PathBuf, ()>,
    /// Diagnostics from environments, by file.
    diagnostics: DashMap<PathBuf, Vec<EnvDiagnostic>>,
    progress: AtomicBool,
    next_token: AtomicU64,
    /// Whether the user was told that Nix is missing or too old (once per session).
    nix_problem_shown: AtomicBool,
    /// Realisations the user can cancel from the progress UI, by token.
    cancellable: DashMap<String, Arc<AtomicBool>>,
    /// Diagnostics from evaluating the flakes, by file.
    eval_diagnostics: DashMap<PathBuf, Vec<EnvDiagnostic>>,
    /// The evaluation under way per root: its generation and cancel flag.
    evaluations: DashMap<PathBuf, (u64, Arc<AtomicBool>)>,
}

/// A diagnostic from an environment, positioned by line and column (1-based, as Nix gives
/// them), turned into a range against whatever text the file has when published.
#[derive(Debug, Clone)]
pub struct EnvDiagnostic {
    pub code: Code,
    pub line: u32,
    pub column: u32,
    pub message: String,
    /// A related place in the same file (1-based line and column) and what happens there.
    pub related: Option<(u32, u32, String)>,
}

impl EnvDiagnostic {
    pub fn to_diagnostic(&self, text: &str, index: &LineIndex) -> Diagnostic {
        let start = index.offset(
            text,
            LineCol { line: self.line.saturating_sub(1), col: self.column.saturating_sub(1) },
            PositionEncoding::Utf8,
        );
        // The word there, else to the end of the line.
        let rest = &text[usize::from(start)..];
        let word = rest
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '\'' | '.')))
            .unwrap_or(rest.len());
        let len = if word > 0 { word } else { rest.find('\n').unwrap_or(rest.len()) };
        let range = TextRange::at(start, (len as u32).into());
        let mut diagnostic = Diagnostic::new(self.code, range, self.message.clone());
        if let Some((line, column, message)) = &self.related {
            let at = index.offset(
                text,
                LineCol { line: line.saturating_sub(1), col: column.saturating_sub(1) },
                PositionEncoding::Utf8,
            );
            diagnostic = diagnostic.with_related(TextRange::empty(at), message.clone());
        }
        diagnostic
    }
}

impl Environments {
    pub fn engine(&self) -> Option<Arc<Engine>> {
        self.engine.read().ok().and_then(|e| e.clone())
    }

    fn enabled(&self) -> bool {
        self.settings.read().map(|s| s.enable.unwrap_or(true)).unwrap_or(true)
    }

    /// Applies settings; returns whether the engine changed (environments must be redone).
    pub fn configure(&self, settings: EnvSettings) -> bool {
        let changed = self.settings.read().map(|s| *s != settings).unwrap_or(true);
        if !changed && self.engine().is_some() {
            return false;
        }
        let engine = match Engine::for_user(settings.config()) {
            Ok(engine) => Some(Arc::new(engine)),
            Err(e) => {
                log::warn!("the environment engine is off: {e}");
                None
            }
        };
        if let Ok(mut slot) = self.engine.write() {
            *slot = engine;
        }
        if let Ok(mut slot) = self.settings.write() {
            *slot = settings;
        }
        true
    }

    pub fn set_progress_support(&self, supported: bool) {
        self.progress.store(supported, Ordering::Release);
    }

    /// Diagnostics from environments for `path`.
    pub fn diagnostics_for(&self, path: &Path) -> Vec<EnvDiagnostic> {
        let mut out = self.diagnostics.get(path).map(|d| d.clone()).unwrap_or_default();
        out.extend(self.eval_diagnostics.get(path).map(|d| d.clone()).unwrap_or_default());
        out
    }

    pub fn last(&self, root: &Path) -> Option<Environment> {
        self.roots.get(root).and_then(|r| r.last.clone())
    }

    pub fn roots(&self) -> Vec<PathBuf> {
        self.roots.iter().map(|r| r.key().clone()).collect()
    }

    /// The root a document belongs to, among the tracked ones.
    pub fn root_of(&self, path: &Path) -> Option<PathBuf> {
        self.roots
            .iter()
            .map(|r| r.key().clone())
            .filter(|r| path.starts_with(r))
            .max_by_key(|r| r.as_os_str().len())
    }
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

/// What an editor needs to open a terminal in the environment.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TerminalSpec {
    pub name: String,
    pub cwd: PathBuf,
    pub env: std::collections::BTreeMap<String, String>,
    pub unset: Vec<String>,
    pub state: EnvState,
}

/// For `attribute 'x' missing` errors, the closest names in the flake's nixpkgs: "did you
/// mean …?" goes into the message, where the quick fix finds it.
fn suggest_packages(
    nix: &crate::nix::Nix,
    root: &Path,
    system: &str,
    options: &crate::env::realise::NixOptions,
    errors: &mut [crate::eval::EvalError],
    cancel: &AtomicBool,
) {
    if !errors.iter().any(|e| crate::pkgs::missing_attribute(&e.message).is_some()) {
        return;
    }
    let Some(reference) = nixpkgs_reference(root, options) else { return };
    let cache = crate::env::cache::cache_dir().map(|d| d.join("pkgs"));
    let names = match crate::pkgs::names(nix, &reference, system, cache.as_deref(), cancel) {
        Ok(names) => names,
        Err(e) => {
            log::info!("cannot list the packages of {reference}: {e}");
            return;
        }
    };
    for error in errors.iter_mut() {
        let Some(wrong) = crate::pkgs::missing_attribute(&error.message) else { continue };
        if let Some(hint) = crate::pkgs::did_you_mean(&names.suggest(wrong)) {
            error.message = format!("{}; {hint}", error.message);
        }
    }
}

/// The flake's nixpkgs as a flake reference: the override when one is set, else what
/// flake.lock locks (with its narHash, so the names can be cached).
pub(crate) fn nixpkgs_reference(root: &Path, options: &crate::env::realise::NixOptions) -> Option<String> {
    if let Some((_, reference)) = options.override_inputs.iter().find(|(name, _)| name == "nixpkgs") {
        return Some(reference.clone());
    }
    let text = std::fs::read_to_string(root.join("flake.lock")).ok()?;
    let locked = crate::flake::lock::FlakeLock::parse(&text).ok()?.root_input("nixpkgs")?;
    let base = locked.locked?;
    Some(match locked.nar_hash {
        Some(hash) if !base.contains("narHash=") => {
            let sep = if base.contains('?') { '&' } else { '?' };
            format!("{base}{sep}narHash={hash}")
        }
        _ => base,
    })
}

/// A quick fix that runs one of the server's commands for `diagnostics`.
fn command_fix(
    title: &str,
    command: &str,
    argument: Value,
    diagnostics: Vec<tower_lsp::lsp_types::Diagnostic>,
) -> CodeActionOrCommand {
    CodeActionOrCommand::CodeAction(CodeAction {
        title: title.to_string(),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(diagnostics),
        is_preferred: Some(true),
        command: Some(Command {
            title: title.to_string(),
            command: command.to_string(),
            arguments: Some(vec![argument]),
        }),
        ..CodeAction::default()
    })
}

fn to_path(s: &str) -> Option<PathBuf> {
    if s.starts_with("file:") {
        Url::parse(s).ok()?.to_file_path().ok()
    } else {
        Some(PathBuf::from(s))
    }
}

fn request_failed(message: impl Into<String>) -> Error {
    Error { code: ErrorCode::ServerError(-32803), message: message.into().into(), data: None }
}

impl Backend {
    /// Starts tracking the flakes of the workspace folders.
    pub(crate) async fn env_track_folders(&self, folders: Vec<PathBuf>) {
        for folder in folders {
            if let Some(root) = find_root(&folder) {
                self.env_track(root).await;
            }
        }
    }

    /// Starts tracking the flake a document belongs to.
    pub(crate) async fn env_track_document(&self, uri: &Url) {
        let Ok(path) = uri.to_file_path() else { return };
        if let Some(root) = find_root(&path) {
            self.env_track(root).await;
        }
    }

    async fn env_track(&self, root: PathBuf) {
        let envs = &self.state().environments;
        if !envs.enabled() || envs.engine().is_none() || envs.roots.contains_key(&root) {
            return;
        }
        envs.roots.insert(root.clone(), Root::default());
        self.packages_load(root.clone());
        self.env_start(root, false).await;
    }

    /// Makes the environment of `root` current: from the cache when fresh and `force` is off,
    /// else by realising. Asks for trust first when needed.
    pub(crate) async fn env_start(&self, root: PathBuf, force: bool) {
        let Some(engine) = self.state().environments.engine() else { return };
        if !engine.is_trusted(&root) {
            self.env_publish(Environment::empty(&root, EnvState::Untrusted)).await;
            self.env_ask_trust(root);
            return;
        }
        if !force {
            let cached = {
                let (engine, root) = (engine.clone(), root.clone());
                tokio::task::spawn_blocking(move || engine.cached(&root)).await.ok().flatten()
            };
            match cached {
                Some(env) if env.state == EnvState::Ready => {
                    self.env_publish(env).await;
                    return;
                }
                Some(env) if env.state == EnvState::Stale => self.env_publish(env).await,
                _ => {}
            }
        }
        self.env_realise(root).await;
    }

    /// Realises in the background; the last good environment (if any) is marked stale meanwhile.
    async fn env_realise(&self, root: PathBuf) {
        let Some(engine) = self.state().environments.engine() else { return };
        let envs = &self.state().environments;
        let cancel = Arc::new(AtomicBool::new(false));
        let generation = {
            let mut entry = envs.roots.entry(root.clone()).or_default();
            if let Some(previous) = entry.cancel.replace(cancel.clone()) {
                previous.store(true, Ordering::Release);
            }
            entry.generation += 1;
            entry.generation
        };
        let last = envs.last(&root).filter(|e| matches!(e.state, EnvState::Ready | EnvState::Stale));
        match last {
            Some(mut stale) => {
                if stale.state == EnvState::Ready {
                    stale.state = EnvState::Stale;
                    stale.error = Some("realising again".into());
                    self.env_publish(stale).await;
                }
            }
            None => {
                let mut realising = Environment::empty(&root, EnvState::Realising);
                realising.log = Some(engine.cache().log(&root));
                self.env_publish(realising).await;
            }
        }
        let backend = self.clone_handle();
        tokio::spawn(async move {
            let token = backend.progress_begin(&root, cancel.clone()).await;
            let result = {
                let (engine, root, cancel) = (engine.clone(), root.clone(), cancel.clone());
                backend
                    .run_with_progress(token, move |tx| {
                        engine.realise(&root, &cancel, &mut |p| {
                            let _ = tx.send((p.message(), p.percentage()));
                        })
                    })
                    .await
            };
            let current = backend.state().environments.roots.get(&root).map(|r| r.generation);
            if current != Some(generation) {
                return; // superseded: the newer realisation publishes
            }
            // Cancelled by the user (from the progress UI, or by distrusting): what the engine
            // answers says so (the last good environment as stale, or failed), unless
            // distrusting already published `untrusted`.
            if cancel.load(Ordering::Acquire)
                && backend.state().environments.last(&root).is_some_and(|e| e.state == EnvState::Untrusted)
            {
                return;
            }
            match result {
                Ok(env) => backend.env_publish(env).await,
                Err(e) => {
                    // The engine itself failed (a panic): say so rather than stay "realising".
                    log::error!("realising {} failed: {e}", root.display());
                    let mut failed = Environment::empty(&root, EnvState::Failed);
                    failed.error = Some(format!("internal error while realising: {e}"));
                    backend.env_publish(failed).await;
                }
            }
        });
    }

    fn env_ask_trust(&self, root: PathBuf) {
        let envs = &self.state().environments;
        if envs.asked.insert(root.clone(), ()).is_some() {
            return;
        }
        let Some(engine) = envs.engine() else { return };
        if engine.trust_store().get(&root) == Some(Decision::Denied) {
            return;
        }
        let backend = self.clone_handle();
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
            let answer =
                backend.client().show_message_request(MessageType::INFO, message, Some(actions)).await;
            if let Ok(Some(item)) = answer {
                if item.title == "Trust" {
                    if let Err(e) = engine.trust_store().set(&root, Some(Decision::Trusted)) {
                        backend
                            .client()
                            .show_message(MessageType::ERROR, format!("flake-lsp: cannot record trust: {e}"))
                            .await;
                        return;
                    }
                    backend.env_start(root, false).await;
                }
            }
        });
    }

    /// Sends `flake/environment`, remembers it, and updates the environment diagnostics.
    pub(crate) async fn env_publish(&self, env: Environment) {
        let envs = &self.state().environments;
        let nix_problem = env.state == EnvState::Failed
            && env
                .error
                .as_deref()
                .is_some_and(|e| e.contains("nix was not found") || e.contains("is too old"));
        if nix_problem && !envs.nix_problem_shown.swap(true, Ordering::AcqRel) {
            let message = format!(
                "flake-lsp: {}. The dev shell and evaluation are off; the language features keep working.",
                env.error.as_deref().unwrap_or_default()
            );
            self.client().show_message(MessageType::WARNING, message).await;
        }
        let root = env.root.clone();
        let flake = root.join("flake.nix");
        let mut by_file: HashMap<PathBuf, Vec<EnvDiagnostic>> = HashMap::new();
        by_file.insert(flake.clone(), Vec::new());
        if let (Some(error), EnvState::Failed | EnvState::Stale) = (&env.error, env.state) {
            if env.state == EnvState::Failed || env.error_position.is_some() {
                let (file, line, column) = match &env.error_position {
                    Some(p) => (root.join(&p.file), p.line, p.column),
                    None => (flake.clone(), 1, 1),
                };
                let message = format!("the dev shell could not be realised: {error}");
                by_file.entry(file).or_default().push(EnvDiagnostic {
                    code: Code::EnvironmentFailed,
                    line,
                    column,
                    message,
                    related: None,
                });
            }
        }
        if let Some(why) = env.python.as_ref().and_then(|p| p.broken.clone()) {
            by_file.entry(flake.clone()).or_default().push(EnvDiagnostic {
                code: Code::VenvBroken,
                line: 1,
                column: 1,
                message: format!("the venv is broken: {why}. Recreate it so the shellHook makes a new one."),
                related: None,
            });
        }
        // Files that had environment diagnostics before and have none now are cleared too.
        let previous: Vec<PathBuf> = envs
            .diagnostics
            .iter()
            .filter(|e| e.key().starts_with(&root) && !by_file.contains_key(e.key()))
            .map(|e| e.key().clone())
            .collect();
        for file in previous {
            by_file.insert(file, Vec::new());
        }
        let mut changed_files = Vec::new();
        for (file, diags) in by_file {
            let before = envs.diagnostics.get(&file).map(|d| d.len()).unwrap_or(0);
            if diags.is_empty() {
                envs.diagnostics.remove(&file);
            } else {
                envs.diagnostics.insert(file.clone(), diags);
            }
            if before > 0 || envs.diagnostics.contains_key(&file) {
                changed_files.push(file);
            }
        }
        if let Some(mut entry) = envs.roots.get_mut(&root) {
            entry.last = Some(env.clone());
        }
        self.client()
            .send_notification::<EnvironmentNotification>(EnvironmentParams {
                protocol: PROTOCOL_VERSION,
                environment: env,
            })
            .await;
        for file in changed_files {
            if let Ok(uri) = Url::from_file_path(&file) {
                self.refresh_diagnostics(uri).await;
            }
        }
    }

    /// The user cancelled a realisation from the progress UI.
    pub(crate) fn env_progress_cancelled(&self, token: &NumberOrString) {
        let key = match token {
            NumberOrString::String(s) => s.clone(),
            NumberOrString::Number(n) => n.to_string(),
        };
        if let Some((_, cancel)) = self.state().environments.cancellable.remove(&key) {
            cancel.store(true, Ordering::Release);
        }
    }

    async fn progress_begin(&self, root: &Path, cancel: Arc<AtomicBool>) -> Option<NumberOrString> {
        let name = root.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        self.progress_begin_titled(format!("Realising the dev shell of {name}"), cancel).await
    }

    /// Starts a cancellable `$/progress` (when the client supports it) with `title`.
    pub(crate) async fn progress_begin_titled(
        &self,
        title: String,
        cancel: Arc<AtomicBool>,
    ) -> Option<NumberOrString> {
        let envs = &self.state().environments;
        if !envs.progress.load(Ordering::Acquire) {
            return None;
        }
        let n = envs.next_token.fetch_add(1, Ordering::Relaxed);
        let name = format!("flake-lsp/realise/{n}");
        let token = NumberOrString::String(name.clone());
        let created = self
            .client()
            .send_request::<request::WorkDoneProgressCreate>(WorkDoneProgressCreateParams {
                token: token.clone(),
            })
            .await;
        if created.is_err() {
            return None;
        }
        envs.cancellable.insert(name, cancel);
        self.client()
            .send_notification::<notification::Progress>(ProgressParams {
                token: token.clone(),
                value: ProgressParamsValue::WorkDone(WorkDoneProgress::Begin(WorkDoneProgressBegin {
                    title,
                    cancellable: Some(true),
                    message: None,
                    percentage: None,
                })),
            })
            .await;
        Some(token)
    }

    pub(crate) async fn progress_report(
        &self,
        token: &NumberOrString,
        message: Option<String>,
        percentage: Option<u32>,
    ) {
        self.client()
            .send_notification::<notification::Progress>(ProgressParams {
                token: token.clone(),
                value: ProgressParamsValue::WorkDone(WorkDoneProgress::Report(WorkDoneProgressReport {
                    cancellable: Some(true),
                    message,
                    percentage,
                })),
            })
            .await;
    }

    pub(crate) async fn progress_end(&self, token: &NumberOrString) {
        if let NumberOrString::String(name) = token {
            self.state().environments.cancellable.remove(name);
        }
        self.client()
            .send_notification::<notification::Progress>(ProgressParams {
                token: token.clone(),
                value: ProgressParamsValue::WorkDone(WorkDoneProgress::End(WorkDoneProgressEnd {
                    message: None,
                })),
            })
            .await;
    }

    /// Runs `work` on a blocking thread. What it sends on its channel is shown as progress on
    /// `token` (when the client takes progress), which ends when the work does.
    pub(crate) async fn run_with_progress<R, F>(
        &self,
        token: Option<NumberOrString>,
        work: F,
    ) -> std::result::Result<R, tokio::task::JoinError>
    where
        R: Send + 'static,
        F: FnOnce(tokio::sync::mpsc::UnboundedSender<Report>) -> R + Send + 'static,
    {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Report>();
        let work = tokio::task::spawn_blocking(move || work(tx));
        tokio::pin!(work);
        let result = loop {
            tokio::select! {
                done = &mut work => break done,
                Some((message, percentage)) = rx.recv() => {
                    if let Some(token) = &token {
                        self.progress_report(token, message, percentage).await;
                    }
                }
            }
        };
        if let Some(token) = &token {
            self.progress_end(token).await;
        }
        result
    }

    /// The root a request names, or the only tracked one.
    fn env_root(&self, given: Option<&str>) -> Result<PathBuf> {
        let envs = &self.state().environments;
        match given.and_then(to_path) {
            Some(path) => find_root(&path)
                .ok_or_else(|| request_failed(format!("no flake.nix at or above {}", path.display()))),
            None => {
                let roots = envs.roots();
                match roots.as_slice() {
                    [one] => Ok(one.clone()),
                    [] => Err(request_failed("no flake is open")),
                    _ => Err(request_failed("several flakes are open: say which with `root`")),
                }
            }
        }
    }

    /// The engine, or the error a `flake/*` request answers without one.
    fn engine_or_error(&self) -> Result<Arc<Engine>> {
        self.state().environments.engine().ok_or_else(|| {
            request_failed(
                "the environment engine is off (flakeLsp.environment.enable, or no cache directory)",
            )
        })
    }

    /// `flake/realise`: realise now (from the cache unless `refresh`); answers with the state
    /// at the start, the result follows as `flake/environment`.
    pub(crate) async fn flake_realise(&self, params: RootParams) -> Result<Value> {
        let root = self.env_root(params.root.as_deref())?;
        self.engine_or_error()?;
        self.state().environments.roots.entry(root.clone()).or_default();
        self.env_start(root.clone(), params.refresh).await;
        Ok(json!({ "root": root, "started": true }))
    }

    /// `flake/shells`: the dev shells of the flake.
    pub(crate) async fn flake_shells(&self, params: RootParams) -> Result<ShellsResult> {
        let root = self.env_root(params.root.as_deref())?;
        let engine = self.engine_or_error()?;
        let current = self.state().environments.last(&root).and_then(|e| e.shell);
        let r = root.clone();
        let shells = tokio::task::spawn_blocking(move || engine.shells(&r))
            .await
            .map_err(|e| request_failed(e.to_string()))?
            .map_err(request_failed)?;
        Ok(ShellsResult { root, shells, current })
    }

    /// `flake/trust`: trust or distrust a flake; trusting realises it.
    pub(crate) async fn flake_trust(&self, params: TrustParams) -> Result<Value> {
        let root = self.env_root(params.root.as_deref())?;
        let engine = self.engine_or_error()?;
        let decision = if params.trust { Decision::Trusted } else { Decision::Denied };
        engine
            .trust_store()
            .set(&root, Some(decision))
            .map_err(|e| request_failed(format!("cannot record trust: {e}")))?;
        self.state().environments.roots.entry(root.clone()).or_default();
        if params.trust {
            self.env_start(root.clone(), false).await;
        } else {
            if let Some(cancel) = self.state().environments.roots.get(&root).and_then(|r| r.cancel.clone()) {
                cancel.store(true, Ordering::Release);
            }
            self.env_publish(Environment::empty(&root, EnvState::Untrusted)).await;
        }
        Ok(json!({ "root": root, "trusted": params.trust }))
    }

    /// `workspace/executeCommand` for the environment's commands.
    pub(crate) async fn env_command(&self, command: &str, arguments: &[Value]) -> Result<Option<Value>> {
        if command == GIT_ADD {
            let file =
                arguments.first().and_then(|a| a.get("file")).and_then(Value::as_str).and_then(to_path);
            let Some(file) = file else { return Err(Error::invalid_params("expected [{ \"file\": path }]")) };
            let f = file.clone();
            tokio::task::spawn_blocking(move || crate::vcs::add_intent(&f))
                .await
                .map_err(|e| request_failed(e.to_string()))?
                .map_err(request_failed)?;
            if let Ok(uri) = Url::from_file_path(&file) {
                self.check_tracking(uri);
            }
            if let Some(root) = find_root(&file) {
                // Nix can see the file now: evaluate again, and realise if it is tracked.
                self.eval_schedule(root.clone());
                if self.state().environments.roots.contains_key(&root) {
                    self.env_start(root, false).await;
                }
            }
            return Ok(None);
        }
        let given = arguments.first().and_then(|a| a.get("root").and_then(Value::as_str).or(a.as_str()));
        let root = self.env_root(given)?;
        match command {
            ENTER_ENVIRONMENT => {
                let env = self.state().environments.last(&root);
                let Some(env) = env.filter(|e| matches!(e.state, EnvState::Ready | EnvState::Stale)) else {
                    return Err(request_failed(format!(
                        "the environment of {} is not ready yet (see flake/environment)",
                        root.display()
                    )));
                };
                let shell = env.shell.clone().unwrap_or_else(|| "dev shell".into());
                let short = shell.rsplit('.').next().unwrap_or(&shell).to_string();
                let spec = TerminalSpec {
                    name: format!("nix: {short}"),
                    cwd: root,
                    env: env.set,
                    unset: env.unset,
                    state: env.state,
                };
                Ok(Some(serde_json::to_value(spec).unwrap_or(Value::Null)))
            }
            RECREATE_VENV => {
                let venv = self.state().environments.last(&root).and_then(|e| e.python).and_then(|p| p.venv);
                let Some(venv) = venv else { return Err(request_failed("there is no venv to recreate")) };
                // Only a venv inside the flake, and only if it is one.
                if !venv.starts_with(&root) || !venv.join("pyvenv.cfg").is_file() {
                    return Err(request_failed(format!(
                        "{} is not a venv inside the flake: not removed",
                        venv.display()
                    )));
                }
                std::fs::remove_dir_all(&venv)
                    .map_err(|e| request_failed(format!("cannot remove {}: {e}", venv.display())))?;
                self.env_start(root, true).await;
                Ok(None)
            }
            UPDATE_LOCK => {
                self.update_lock(root).await?;
                Ok(None)
            }
            other => Err(Error::invalid_params(format!("unknown command {other}"))),
        }
    }

    /// "Enter environment" on a dev shell's definition and on environment diagnostics, and
    /// "Recreate .venv" on a broken venv.
    pub(crate) fn env_code_actions(
        &self,
        uri: &Url,
        on_shell: bool,
        diagnostics: &[tower_lsp::lsp_types::Diagnostic],
    ) -> Vec<CodeActionOrCommand> {
        let envs = &self.state().environments;
        let Some(root) = uri.to_file_path().ok().and_then(|p| envs.root_of(&p).or_else(|| find_root(&p)))
        else {
            return Vec::new();
        };
        let code_is = |d: &tower_lsp::lsp_types::Diagnostic, code: Code| {
            d.code == Some(NumberOrString::String(code.as_str().to_string()))
        };
        let env_diagnostics: Vec<_> = diagnostics
            .iter()
            .filter(|d| code_is(d, Code::EnvironmentFailed) || code_is(d, Code::VenvBroken))
            .cloned()
            .collect();
        let mut out = Vec::new();
        let usable = envs.last(&root).is_some_and(|e| matches!(e.state, EnvState::Ready | EnvState::Stale));
        if usable && (on_shell || !env_diagnostics.is_empty()) {
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: "Enter environment (open a terminal in the dev shell)".into(),
                kind: Some(CodeActionKind::new("refactor.flake-lsp.environment")),
                command: Some(Command {
                    title: "Enter environment".into(),
                    command: ENTER_ENVIRONMENT.into(),
                    arguments: Some(vec![json!({ "root": root })]),
                }),
                ..CodeAction::default()
            }));
        }
        let with_codes = |codes: &[Code]| -> Vec<tower_lsp::lsp_types::Diagnostic> {
            diagnostics.iter().filter(|d| codes.iter().any(|c| code_is(d, *c))).cloned().collect()
        };
        let lock = with_codes(&[Code::LockMissingInput, Code::LockUnusedInput]);
        if !lock.is_empty() {
            out.push(command_fix(
                "Update flake.lock (nix flake lock)",
                UPDATE_LOCK,
                json!({ "root": root }),
                lock,
            ));
        }
        let untracked = with_codes(&[Code::UntrackedFile]);
        if let (false, Ok(file)) = (untracked.is_empty(), uri.to_file_path()) {
            let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let title = format!("Track {name} in git (git add --intent-to-add)");
            out.push(command_fix(&title, GIT_ADD, json!({ "file": file }), untracked));
        }
        let broken = with_codes(&[Code::VenvBroken]);
        if !broken.is_empty() {
            let title = "Recreate .venv (remove it and realise the environment again)";
            out.push(command_fix(title, RECREATE_VENV, json!({ "root": root }), broken));
        }
        out
    }

    /// `nix flake lock` in the flake, with progress; then flake.nix's diagnostics and the
    /// environment catch up.
    async fn update_lock(&self, root: PathBuf) -> Result<()> {
        let token = self.progress_begin(&root, Arc::new(AtomicBool::new(false))).await;
        let dir = root.clone();
        let result = self
            .run_with_progress(token, move |tx| {
                let _ = tx.send((Some("nix flake lock".into()), None));
                let nix = crate::nix::Nix::locate()?;
                let never = AtomicBool::new(false);
                let target = dir.display().to_string();
                nix.run_streaming(
                    &["flake", "lock", &target],
                    Some(&dir),
                    Duration::from_secs(1800),
                    &never,
                    &mut |_| {},
                )
            })
            .await
            .map_err(|e| request_failed(e.to_string()))?;
        if let Err(e) = result {
            let message = format!("flake-lsp: updating flake.lock failed: {e}");
            self.client().show_message(MessageType::ERROR, message.clone()).await;
            return Err(request_failed(message));
        }
        if let Ok(uri) = Url::from_file_path(root.join("flake.lock")) {
            self.refresh_flake_beside_lock(&uri);
        }
        if self.state().environments.roots.contains_key(&root) {
            self.env_start(root, false).await;
        }
        Ok(())
    }

    /// Evaluates the flake at `root` in the background (after a short pause, so a burst of
    /// saves evaluates once; a newer evaluation cancels an older one) and publishes what it
    /// finds as `eval_error` diagnostics.
    pub(crate) fn eval_schedule(&self, root: PathBuf) {
        let envs = &self.state().environments;
        let Some(engine) = envs.engine() else { return };
        let cancel = Arc::new(AtomicBool::new(false));
        let generation = {
            let mut entry =
                envs.evaluations.entry(root.clone()).or_insert_with(|| (0, Arc::new(AtomicBool::new(false))));
            // The evaluation under way, if any, is no longer wanted.
            entry.1.store(true, Ordering::Release);
            entry.0 += 1;
            entry.1 = cancel.clone();
            entry.0
        };
        let backend = self.clone_handle();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if cancel.load(Ordering::Acquire) {
                return;
            }
            let options = engine.config.nix.clone();
            let (r, c) = (root.clone(), cancel.clone());
            let found = tokio::task::spawn_blocking(move || {
                let (nix, system) = engine.nix_and_system()?;
                let mut errors =
                    crate::eval::evaluate(&nix, &r, &system, &options, Duration::from_secs(300), &c)
                        .map_err(|e| e.to_string())?;
                suggest_packages(&nix, &r, &system, &options, &mut errors, &c);
                Ok::<_, String>(errors)
            })
            .await;
            let envs = &backend.state().environments;
            if envs.evaluations.get(&root).map(|e| e.0) != Some(generation) || cancel.load(Ordering::Acquire)
            {
                return;
            }
            let errors = match found {
                Ok(Ok(errors)) => errors,
                Ok(Err(e)) => {
                    log::info!("evaluating {} did not run: {e}", root.display());
                    return;
                }
                Err(e) => {
                    log::error!("evaluating {} failed: {e}", root.display());
                    return;
                }
            };
            let mut by_file: HashMap<PathBuf, Vec<EnvDiagnostic>> = HashMap::new();
            for e in errors {
                let file = root.join(&e.file);
                let mut message = format!("{} (evaluating {})", e.message, e.output);
                let mut related = None;
                if let Some((text, at)) = e.context {
                    match at {
                        Some((f, line, column)) if f == e.file => related = Some((line, column, text)),
                        Some((f, line, _)) => {
                            message.push_str(&format!("; {text} at {}:{line}", f.display()))
                        }
                        None => {}
                    }
                }
                by_file.entry(file).or_default().push(EnvDiagnostic {
                    code: Code::EvalError,
                    line: e.line,
                    column: e.column,
                    message,
                    related,
                });
            }
            let mut touched: Vec<PathBuf> = envs
                .eval_diagnostics
                .iter()
                .filter(|e| e.key().starts_with(&root))
                .map(|e| e.key().clone())
                .collect();
            envs.eval_diagnostics.retain(|path, _| !path.starts_with(&root));
            for (file, diags) in by_file {
                touched.push(file.clone());
                envs.eval_diagnostics.insert(file, diags);
            }
            touched.sort();
            touched.dedup();
            for file in touched {
                if let Ok(uri) = Url::from_file_path(&file) {
                    backend.refresh_diagnostics(uri).await;
                }
            }
        });
    }

    /// An edit makes the evaluation under way for its flake pointless (its errors would point
    /// into old text): it is stopped; the next save evaluates again.
    /// Called on every keystroke, so it only compares paths with the evaluations under way.
    pub(crate) fn eval_cancel_for(&self, path: &Path) {
        for entry in self.state().environments.evaluations.iter() {
            if path.starts_with(entry.key()) {
                entry.value().1.store(true, Ordering::Release);
            }
        }
    }

    /// A watched file changed: environments that depend on it are realised again.
    pub(crate) async fn env_files_changed(&self, paths: Vec<PathBuf>) {
        let envs = &self.state().environments;
        let mut roots: Vec<PathBuf> = Vec::new();
        for path in &paths {
            let relevant = path.extension().is_some_and(|e| e == "nix")
                || path.file_name().is_some_and(|n| n == "flake.lock");
            if !relevant {
                continue;
            }
            if let Some(root) = envs.root_of(path) {
                if !roots.contains(&root) {
                    roots.push(root);
                }
            }
        }
        for root in roots {
            self.env_start(root, false).await;
        }
    }
}
