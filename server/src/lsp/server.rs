//! The language server: capabilities, document notifications, settings, and diagnostics
//! publishing. Text changes are applied before these handlers run (see `ordered.rs`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use dashmap::DashMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tower_lsp::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp::lsp_types::*;
use tower_lsp::{Client, ClientSocket, LanguageServer, LspService};

use super::documents::Snapshot;
use super::features::{self, Needs};
use super::{convert, State};
use crate::ide::format::Formatter;
use crate::ide::{self, DiagnosticsConfig};
use crate::syntax::{PositionEncoding, TextRange, TextSize};

#[derive(Clone)]
pub struct Backend {
    client: Client,
    state: Arc<State>,
    /// The version whose diagnostics were published last, per document; behind a lock so
    /// that an older analysis never overwrites a newer one.
    published: Arc<tokio::sync::Mutex<HashMap<Url, Option<i32>>>>,
    /// The version being analysed, per document, so that a burst of edits is analysed once.
    in_flight: Arc<DashMap<Url, Option<i32>>>,
    pull_configuration: Arc<AtomicBool>,
    /// Workspace folders from `initialize`, whose flakes are tracked once initialized.
    folders: Arc<std::sync::Mutex<Vec<std::path::PathBuf>>>,
    /// Whether the client can register file watchers.
    watchers: Arc<AtomicBool>,
}

pub fn service(state: Arc<State>) -> (LspService<Backend>, ClientSocket) {
    LspService::build(|client| Backend {
        client,
        state,
        published: Default::default(),
        in_flight: Default::default(),
        pull_configuration: Default::default(),
        folders: Default::default(),
        watchers: Default::default(),
    })
    .custom_method("flake/documentText", Backend::document_text)
    .custom_method("flake/debug/panic", Backend::debug_panic)
    .custom_method("flake/realise", Backend::flake_realise)
    .custom_method("flake/shells", Backend::flake_shells)
    .custom_method("flake/trust", Backend::flake_trust)
    .custom_method("window/workDoneProgress/cancel", Backend::progress_cancel)
    .finish()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentTextParams {
    pub text_document: TextDocumentIdentifier,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentText {
    pub version: Option<i32>,
    pub text: String,
    /// Whether the text is the editor's (open) or the file on disk.
    pub open: bool,
}

/// The settings the server understands, under `flakeLsp` (or at the top level, as
/// `initializationOptions` are often given).
fn disabled_codes(settings: &Value) -> Option<Vec<String>> {
    let section = settings.get("flakeLsp").unwrap_or(settings);
    let list = section.get("diagnostics")?.get("disabled")?.as_array()?;
    Some(list.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
}

/// `flakeLsp.formatting.command`: `Some(None)` when set to null or empty (the built-in
/// formatter), `None` when absent.
fn formatter_command(settings: &Value) -> Option<Option<Vec<String>>> {
    let section = settings.get("flakeLsp").unwrap_or(settings);
    let value = section.get("formatting")?.get("command")?;
    Some(match value {
        Value::Array(items) => Some(items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()),
        Value::String(s) if !s.trim().is_empty() => Some(s.split_whitespace().map(str::to_string).collect()),
        _ => None,
    })
}

impl Backend {
    pub(crate) fn state(&self) -> &Arc<State> {
        &self.state
    }

    /// `window/workDoneProgress/cancel` (tower-lsp 0.20's trait lacks it).
    async fn progress_cancel(&self, params: WorkDoneProgressCancelParams) {
        self.env_progress_cancelled(&params.token);
    }

    /// Asks git whether it tracks a flake file (flake.nix, or a file flake.nix refers to) in
    /// the background; republishes the file's diagnostics when the answer changed.
    pub(crate) fn check_tracking(&self, uri: Url) {
        let Ok(path) = uri.to_file_path() else { return };
        let Some(root) = crate::env::find_root(&path) else { return };
        let backend = self.clone();
        tokio::spawn(async move {
            let flake = root.join("flake.nix");
            let relevant = path == flake || backend.referenced_by_flake(&flake, &path);
            if !relevant {
                return;
            }
            let p = path.clone();
            let Ok(tracking) = tokio::task::spawn_blocking(move || crate::vcs::tracking(&p)).await else {
                return;
            };
            let before = backend.state.tracking.insert(path, tracking);
            if before != Some(tracking) {
                backend.in_flight.remove(&uri);
                backend.schedule_diagnostics(uri);
            }
        });
    }

    /// Whether flake.nix names `file` with a path literal (`./nix/shell.nix`, `./nix`).
    fn referenced_by_flake(&self, flake: &std::path::Path, file: &std::path::Path) -> bool {
        let Ok(uri) = Url::from_file_path(flake) else { return false };
        let Ok(doc) = self.state.documents.get_or_read(&uri) else { return false };
        let ctx = ide::FileContext::for_path(flake);
        let analysis = doc.analysis();
        let root = analysis.root();
        let referenced = root
            .descendants_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| t.kind() == crate::syntax::SyntaxKind::TOKEN_PATH_REL)
            .filter_map(|t| ctx.existing_file(t.text()))
            .any(|target| target == file);
        referenced
    }

    /// Opening or saving a flake's file evaluates the flake.
    fn eval_if_flake(&self, uri: &Url) {
        let Ok(path) = uri.to_file_path() else { return };
        if path.extension().is_some_and(|e| e == "nix") {
            if let Some(root) = crate::env::find_root(&path) {
                self.packages_load(root.clone());
                self.eval_schedule(root);
            }
        }
    }

    /// An edited `flake.lock` changes what its `flake.nix` is told.
    pub(crate) fn refresh_flake_beside_lock(&self, uri: &Url) {
        let Ok(path) = uri.to_file_path() else { return };
        if path.file_name().is_some_and(|n| n == "flake.lock") {
            if let Ok(flake) = Url::from_file_path(path.with_file_name("flake.nix")) {
                if self.state.documents.is_open(&flake) {
                    self.in_flight.remove(&flake);
                    self.schedule_diagnostics(flake);
                }
            }
        }
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn clone_handle(&self) -> Backend {
        self.clone()
    }

    /// Publishes a file's diagnostics again (after the environment's changed): through the
    /// usual analysis when it is open, else only the environment's.
    pub(crate) async fn refresh_diagnostics(&self, uri: Url) {
        if self.state.documents.is_open(&uri) {
            self.in_flight.remove(&uri);
            self.schedule_diagnostics(uri);
            return;
        }
        let Ok(path) = uri.to_file_path() else { return };
        let env = self.state.environments.diagnostics_for(&path);
        let Ok(doc) = self.state.documents.get_or_read(&uri) else { return };
        let enc = self.state.encoding();
        let diagnostics = env
            .iter()
            .map(|d| d.to_diagnostic(&doc.text, &doc.line_index))
            .map(|d| convert::diagnostic(&uri, &doc.line_index, &doc.text, &d, enc))
            .collect();
        self.client.publish_diagnostics(uri, diagnostics, None).await;
    }

    async fn apply_settings(&self, settings: &Value) {
        let mut changed = false;
        if let Some(command) = formatter_command(settings) {
            let formatter = match command {
                Some(argv) if !argv.is_empty() => Formatter::Command(argv),
                _ => Formatter::Builtin,
            };
            if let Ok(mut current) = self.state.formatter.write() {
                *current = formatter;
            }
        }
        if let Some(env) = super::environment::EnvSettings::from_settings(settings) {
            if self.state.environments.configure(env) {
                for root in self.state.environments.roots() {
                    self.env_start(root, false).await;
                }
            }
        }
        if let Some(names) = disabled_codes(settings) {
            let (config, unknown) = DiagnosticsConfig::from_names(names.iter().map(String::as_str));
            if !unknown.is_empty() {
                self.client
                    .show_message(
                        MessageType::WARNING,
                        format!(
                            "flake-lsp: unknown diagnostic code(s) in flakeLsp.diagnostics.disabled: {}",
                            unknown.join(", ")
                        ),
                    )
                    .await;
            }
            if let Ok(mut current) = self.state.config.write() {
                changed = *current != config;
                *current = config;
            }
        }
        if changed {
            for uri in self.state.documents.open_uris() {
                self.schedule_diagnostics(uri);
            }
        }
    }

    async fn pull_settings(&self) {
        let item = ConfigurationItem { scope_uri: None, section: Some("flakeLsp".to_string()) };
        match self.client.configuration(vec![item]).await {
            Ok(values) => {
                if let Some(v) = values.into_iter().next().filter(|v| !v.is_null()) {
                    self.apply_settings(&serde_json::json!({ "flakeLsp": v })).await;
                }
            }
            Err(err) => log::warn!("workspace/configuration failed: {err}"),
        }
    }

    /// Analyses the document's current text in the background and publishes the result,
    /// unless newer text has arrived by then (its own analysis publishes instead).
    fn schedule_diagnostics(&self, uri: Url) {
        let state = self.state.clone();
        let client = self.client.clone();
        let published = self.published.clone();
        let in_flight = self.in_flight.clone();
        tokio::spawn(async move {
            let Some(snapshot) = state.documents.get(&uri) else { return };
            if in_flight.insert(uri.clone(), snapshot.version) == Some(snapshot.version) {
                return;
            }
            let config = state.diagnostics_config();
            let enc = state.encoding();
            let snap = snapshot.clone();
            let env = snapshot
                .uri
                .to_file_path()
                .map(|p| state.environments.diagnostics_for(&p))
                .unwrap_or_default();
            let lock = state.documents.lock_beside(&snapshot);
            let untracked = snapshot
                .uri
                .to_file_path()
                .is_ok_and(|p| state.tracking.get(&p).is_some_and(|t| *t == crate::vcs::Tracking::Untracked));
            let computed = tokio::task::spawn_blocking(move || {
                compute_diagnostics(&snap, &config, lock.as_deref(), &env, untracked, enc)
            })
            .await;
            let diagnostics = match computed {
                Ok(d) => d,
                Err(err) => {
                    let message = if err.is_panic() {
                        super::ordered::panic_message(&err.into_panic())
                    } else {
                        err.to_string()
                    };
                    log::error!("analysis of {uri} failed: {message}");
                    client
                        .log_message(
                            MessageType::ERROR,
                            format!("flake-lsp: analysis of {uri} failed: {message}"),
                        )
                        .await;
                    in_flight.remove(&uri);
                    return;
                }
            };
            in_flight.remove_if(&uri, |_, v| *v == snapshot.version);
            let mut published = published.lock().await;
            let current = state.documents.get(&uri).map(|d| d.version);
            if current != Some(snapshot.version) {
                return;
            }
            if published.get(&uri).is_some_and(|v| *v > snapshot.version) {
                return;
            }
            client.publish_diagnostics(uri.clone(), diagnostics, snapshot.version).await;
            published.insert(uri, snapshot.version);
        });
    }

    /// Formats, and tells the user when the formatter failed or is missing: a failed request
    /// alone is easy to miss.
    async fn format(&self, uri: &Url, range: Option<Range>) -> Result<Option<Vec<TextEdit>>> {
        let formatter = self.state.formatter();
        let result =
            self.with_analysis(uri, Needs::Text, move |ctx| features::format(ctx, &formatter, range)).await?;
        if let Err(err) = &result {
            self.client.show_message(MessageType::ERROR, format!("flake-lsp: {}", err.message)).await;
        }
        result
    }

    async fn document_text(&self, params: DocumentTextParams) -> Result<DocumentText> {
        let uri = params.text_document.uri;
        let open = self.state.documents.is_open(&uri);
        match self.state.documents.get_or_read(&uri) {
            Ok(doc) => Ok(DocumentText { version: doc.version, text: doc.text.to_string(), open }),
            Err(message) => {
                Err(Error { code: ErrorCode::InvalidParams, message: message.into(), data: None })
            }
        }
    }
}

impl Backend {
    /// For tests of the panic guard: panics when `FLAKE_LSP_TEST_HOOKS=1`, else is refused.
    async fn debug_panic(&self, _: Value) -> Result<Value> {
        if std::env::var_os("FLAKE_LSP_TEST_HOOKS").is_some_and(|v| v == "1") {
            panic!("panic requested by flake/debug/panic");
        }
        Err(Error::method_not_found())
    }
}

fn compute_diagnostics(
    snapshot: &Snapshot,
    config: &DiagnosticsConfig,
    lock: Option<&crate::flake::lock::FlakeLock>,
    env: &[super::environment::EnvDiagnostic],
    untracked: bool,
    enc: PositionEncoding,
) -> Vec<Diagnostic> {
    let text = &snapshot.text;
    let mut found = ide::diagnostics::diagnostics_with_lock(&snapshot.analysis(), config, lock);
    if untracked && !config.disabled.contains(&ide::Code::UntrackedFile) {
        let first_line = TextRange::up_to(TextSize::of(text.lines().next().unwrap_or("")));
        let name = snapshot.uri.path_segments().and_then(|mut s| s.next_back()).unwrap_or("this file");
        let message = if snapshot.kind() == ide::FileKind::Flake {
            format!("{name} is not tracked by git: Nix copies only tracked files, so it cannot see this flake; add it with `git add --intent-to-add {name}`")
        } else {
            format!("{name} is not tracked by git, and flake.nix refers to it: Nix copies only tracked files and will not find it; add it with `git add --intent-to-add {name}`")
        };
        found.push(ide::Diagnostic::new(ide::Code::UntrackedFile, first_line, message));
    }
    found.extend(
        env.iter()
            .map(|d| d.to_diagnostic(text, &snapshot.line_index))
            .filter(|d| !config.disabled.contains(&d.code)),
    );
    found.iter().map(|d| convert::diagnostic(&snapshot.uri, &snapshot.line_index, text, d, enc)).collect()
}

#[tower_lsp::async_trait]
impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let offers_utf8 = params
            .capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref())
            .is_some_and(|encs| encs.contains(&PositionEncodingKind::UTF8));
        let (enc, kind) = if offers_utf8 {
            (PositionEncoding::Utf8, PositionEncodingKind::UTF8)
        } else {
            (PositionEncoding::Utf16, PositionEncodingKind::UTF16)
        };
        self.state.set_encoding(enc);
        let pulls = params.capabilities.workspace.as_ref().and_then(|w| w.configuration).unwrap_or(false);
        self.pull_configuration.store(pulls, Ordering::Release);
        let progress =
            params.capabilities.window.as_ref().and_then(|w| w.work_done_progress).unwrap_or(false);
        self.state.environments.set_progress_support(progress);
        let watchers = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);
        self.watchers.store(watchers, Ordering::Release);
        let mut folders: Vec<std::path::PathBuf> =
            params.workspace_folders.iter().flatten().filter_map(|f| f.uri.to_file_path().ok()).collect();
        #[allow(deprecated)]
        if folders.is_empty() {
            folders.extend(params.root_uri.as_ref().and_then(|u| u.to_file_path().ok()));
        }
        if let Ok(mut slot) = self.folders.lock() {
            *slot = folders;
        }
        let options = params.initialization_options.clone().unwrap_or(Value::Null);
        let env = super::environment::EnvSettings::from_settings(&options).unwrap_or_default();
        self.state.environments.configure(env);
        if let Some(options) = &params.initialization_options {
            self.apply_settings(options).await;
        }
        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                position_encoding: Some(kind),
                text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    will_save: None,
                    will_save_wait_until: None,
                    save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                })),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: vec![
                        super::environment::ENTER_ENVIRONMENT.to_string(),
                        super::environment::RECREATE_VENV.to_string(),
                        super::environment::UPDATE_LOCK.to_string(),
                        super::environment::GIT_ADD.to_string(),
                    ],
                    work_done_progress_options: Default::default(),
                }),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec![".".into(), "\"".into(), ":".into()]),
                    ..CompletionOptions::default()
                }),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                document_highlight_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Right(RenameOptions {
                    prepare_provider: Some(true),
                    work_done_progress_options: Default::default(),
                })),
                document_symbol_provider: Some(OneOf::Left(true)),
                folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
                selection_range_provider: Some(SelectionRangeProviderCapability::Simple(true)),
                semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
                    SemanticTokensOptions {
                        legend: features::semantic_tokens_legend(),
                        range: Some(true),
                        full: Some(SemanticTokensFullOptions::Bool(true)),
                        work_done_progress_options: Default::default(),
                    },
                )),
                document_link_provider: Some(DocumentLinkOptions {
                    resolve_provider: Some(false),
                    work_done_progress_options: Default::default(),
                }),
                code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                    code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, CodeActionKind::REFACTOR_REWRITE]),
                    ..CodeActionOptions::default()
                })),
                document_formatting_provider: Some(OneOf::Left(true)),
                document_range_formatting_provider: Some(OneOf::Left(true)),
                ..ServerCapabilities::default()
            },
            server_info: Some(ServerInfo {
                name: "flake-lsp".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let state = self.state.clone();
        tokio::task::spawn_blocking(move || {
            let docs = match crate::nix::Nix::locate().and_then(|nix| nix.builtins()) {
                Ok(dumped) => ide::docs::BuiltinDocs::from_dumped(dumped),
                Err(err) => {
                    log::info!("builtins are documented by flake-lsp's own summaries: {err}");
                    ide::docs::BuiltinDocs::fallback()
                }
            };
            let _ = state.builtin_docs.set(Arc::new(docs));
        });
        if self.pull_configuration.load(Ordering::Acquire) {
            self.pull_settings().await;
        }
        if self.watchers.load(Ordering::Acquire) {
            let watchers = ["**/*.nix", "**/flake.lock"]
                .iter()
                .map(|glob| FileSystemWatcher {
                    glob_pattern: GlobPattern::String(glob.to_string()),
                    kind: None,
                })
                .collect();
            let registration = Registration {
                id: "flake-lsp-watched-files".into(),
                method: "workspace/didChangeWatchedFiles".into(),
                register_options: serde_json::to_value(DidChangeWatchedFilesRegistrationOptions { watchers })
                    .ok(),
            };
            if let Err(e) = self.client.register_capability(vec![registration]).await {
                log::warn!("cannot watch files: {e}");
            }
        }
        let folders = self.folders.lock().map(|f| f.clone()).unwrap_or_default();
        self.env_track_folders(folders).await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let uri = params.text_document.uri;
        self.schedule_diagnostics(uri.clone());
        self.check_tracking(uri.clone());
        self.eval_if_flake(&uri);
        self.env_track_document(&uri).await;
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        self.check_tracking(params.text_document.uri.clone());
        self.eval_if_flake(&params.text_document.uri);
        // Without file watchers, saving is how the server learns a file changed on disk.
        if !self.watchers.load(Ordering::Acquire) {
            if let Ok(path) = params.text_document.uri.to_file_path() {
                self.env_files_changed(vec![path]).await;
            }
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        for change in &params.changes {
            self.refresh_flake_beside_lock(&change.uri);
        }
        let paths = params.changes.into_iter().filter_map(|c| c.uri.to_file_path().ok()).collect();
        self.env_files_changed(paths).await;
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        self.env_command(&params.command, &params.arguments).await
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        self.schedule_diagnostics(uri.clone());
        self.refresh_flake_beside_lock(&uri);
        if let Ok(path) = uri.to_file_path() {
            self.eval_cancel_for(&path);
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        let mut published = self.published.lock().await;
        published.remove(&uri);
        self.in_flight.remove(&uri);
        // Diagnostics of a closed file would go stale: clear them.
        self.client.publish_diagnostics(uri, Vec::new(), None).await;
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let pos = params.text_document_position;
        self.with_analysis(&pos.text_document.uri, Needs::Lock, move |ctx| {
            features::completion(ctx, pos.position)
        })
        .await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let pos = params.text_document_position_params;
        self.with_analysis(&pos.text_document.uri, Needs::Lock, move |ctx| features::hover(ctx, pos.position))
            .await
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        let pos = params.text_document_position_params;
        self.with_analysis(&pos.text_document.uri, Needs::Text, move |ctx| {
            features::definition(ctx, pos.position)
        })
        .await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let pos = params.text_document_position;
        let include = params.context.include_declaration;
        self.with_analysis(&pos.text_document.uri, Needs::Text, move |ctx| {
            features::references(ctx, pos.position, include)
        })
        .await
    }

    async fn document_highlight(
        &self,
        params: DocumentHighlightParams,
    ) -> Result<Option<Vec<DocumentHighlight>>> {
        let pos = params.text_document_position_params;
        self.with_analysis(&pos.text_document.uri, Needs::Text, move |ctx| {
            features::highlights(ctx, pos.position)
        })
        .await
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        self.with_analysis(&params.text_document.uri, Needs::Text, move |ctx| {
            features::prepare_rename(ctx, params.position)
        })
        .await?
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let pos = params.text_document_position;
        let new_name = params.new_name;
        self.with_analysis(&pos.text_document.uri, Needs::Text, move |ctx| {
            features::rename(ctx, pos.position, &new_name)
        })
        .await?
    }

    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        self.with_analysis(&params.text_document.uri, Needs::Text, features::document_symbols).await
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        self.with_analysis(&params.text_document.uri, Needs::Text, features::folding_ranges).await
    }

    async fn selection_range(&self, params: SelectionRangeParams) -> Result<Option<Vec<SelectionRange>>> {
        let positions = params.positions;
        self.with_analysis(&params.text_document.uri, Needs::Text, move |ctx| {
            features::selection_ranges(ctx, &positions)
        })
        .await
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        self.with_analysis(&params.text_document.uri, Needs::Text, |ctx| {
            let data = features::semantic_tokens(ctx, None);
            Some(SemanticTokensResult::Tokens(SemanticTokens { result_id: None, data }))
        })
        .await
    }

    async fn semantic_tokens_range(
        &self,
        params: SemanticTokensRangeParams,
    ) -> Result<Option<SemanticTokensRangeResult>> {
        let range = params.range;
        self.with_analysis(&params.text_document.uri, Needs::Text, move |ctx| {
            let data = features::semantic_tokens(ctx, Some(range));
            Some(SemanticTokensRangeResult::Tokens(SemanticTokens { result_id: None, data }))
        })
        .await
    }

    async fn document_link(&self, params: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
        self.with_analysis(&params.text_document.uri, Needs::Text, features::document_links).await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let config = self.state.diagnostics_config();
        let range = params.range;
        let diagnostics = params.context.diagnostics.clone();
        let uri = params.text_document.uri.clone();
        let (actions, on_shell) = self
            .with_analysis(&uri, Needs::Text, move |ctx| {
                let mut actions = features::code_actions(ctx, range, &config, &diagnostics);
                let fixes = features::did_you_mean_fixes(ctx, &diagnostics);
                if !fixes.is_empty() {
                    actions.get_or_insert_with(Vec::new).extend(fixes);
                }
                (actions, features::touches_dev_shell(ctx, range))
            })
            .await?;
        let mut actions = actions.unwrap_or_default();
        actions.extend(self.env_code_actions(&uri, on_shell, &params.context.diagnostics));
        Ok(Some(actions))
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        self.format(&params.text_document.uri, None).await
    }

    async fn range_formatting(&self, params: DocumentRangeFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        self.format(&params.text_document.uri, Some(params.range)).await
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        if disabled_codes(&params.settings).is_some()
            || formatter_command(&params.settings).is_some()
            || super::environment::EnvSettings::from_settings(&params.settings).is_some()
        {
            self.apply_settings(&params.settings).await;
        } else if self.pull_configuration.load(Ordering::Acquire) {
            self.pull_settings().await;
        }
    }
}
