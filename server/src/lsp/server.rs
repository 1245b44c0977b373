//! The language server: the `Backend` that holds every part of the adapter, its capabilities
//! and handlers, and settings. Text changes are applied before these handlers run (see
//! `ordered.rs`); each handler hands the work to the part that owns it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tower_lsp::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp::lsp_types::*;
use tower_lsp::{Client, ClientSocket, LanguageServer, LspService};

use super::attributes::Attributes;
use super::commands::{self, Commands};
use super::environment::{Environments, RootParams, ShellsResult, TrustParams};
use super::evaluation::Evaluations;
use super::features::{self, Ctx, Needs};
use super::packages::Packages;
use super::progress::Progresses;
use super::publish::Publisher;
use super::settings::{self, EnvSettings};
use super::state::State;
use super::watch;
use crate::ide::format::Formatter;
use crate::ide::DiagnosticsConfig;
use crate::syntax::PositionEncoding;

pub struct Backend {
    client: Client,
    state: Arc<State>,
    progress: Progresses,
    publisher: Publisher,
    packages: Packages,
    evaluations: Evaluations,
    attributes: Attributes,
    environments: Environments,
    commands: Commands,
    session: Session,
}

/// What `initialize` told about the client, for later handlers.
#[derive(Default)]
struct Session {
    /// Whether the client answers `workspace/configuration`.
    pull_configuration: AtomicBool,
    /// Workspace folders from `initialize`, whose flakes are tracked once initialized.
    folders: Mutex<Vec<PathBuf>>,
    /// Whether the client watches files for us.
    watchers: AtomicBool,
    /// Whether `initialized` came (the builtins' documentation is read from then on).
    initialized: AtomicBool,
}

pub fn service(state: Arc<State>) -> (LspService<Backend>, ClientSocket) {
    LspService::build(|client| Backend::new(client, state))
        .custom_method("flake/documentText", Backend::document_text)
        .custom_method("flake/debug/panic", Backend::debug_panic)
        .custom_method("flake/realise", Backend::flake_realise)
        .custom_method("flake/shells", Backend::flake_shells)
        .custom_method("flake/trust", Backend::flake_trust)
        .custom_method("flake/evaluate", Backend::flake_evaluate)
        .custom_method("window/workDoneProgress/cancel", Backend::progress_cancel)
        .finish()
}

#[derive(Debug, Deserialize)]
pub struct EvaluateParams {
    /// The flake (any file or directory in it), as a `file://` URI or a path.
    pub root: Option<String>,
    /// Below the outputs: `nixosConfigurations.machine`.
    pub attribute: String,
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

impl Backend {
    fn new(client: Client, state: Arc<State>) -> Backend {
        let progress = Progresses::new(client.clone());
        let publisher = Publisher::new(client.clone(), state.clone());
        let packages = Packages::new(progress.clone());
        let evaluations = Evaluations::new(publisher.clone());
        let attributes = Attributes::new(evaluations.clone());
        let environments =
            Environments::new(client.clone(), progress.clone(), publisher.clone(), packages.clone());
        let commands = Commands {
            client: client.clone(),
            state: state.clone(),
            progress: progress.clone(),
            publisher: publisher.clone(),
            environments: environments.clone(),
            evaluations: evaluations.clone(),
        };
        Backend {
            client,
            state,
            progress,
            publisher,
            packages,
            evaluations,
            attributes,
            environments,
            commands,
            session: Session::default(),
        }
    }

    /// Runs `f` over the document's analysis on a blocking thread (see `features.rs`).
    async fn with_analysis<R, F>(&self, uri: &Url, needs: Needs, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Ctx) -> R + Send + 'static,
    {
        let packages = uri.to_file_path().ok().and_then(|p| self.packages.for_path(&p));
        features::with_analysis(&self.state, packages, None, uri, needs, f).await
    }

    /// [`Backend::with_analysis`] for what reads the package index (and, for completion, what
    /// the evaluator said for its target): when the file's flake is being set up (just
    /// opened), its index is waited for.
    async fn with_packages<R, F>(
        &self,
        uri: &Url,
        attributes: Option<(crate::eval::attributes::Target, crate::eval::attributes::Answer)>,
        f: F,
    ) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Ctx) -> R + Send + 'static,
    {
        let packages = match uri.to_file_path() {
            Ok(p) => self.packages.index_for(&p).await,
            Err(_) => None,
        };
        features::with_analysis(&self.state, packages, attributes, uri, Needs::Lock, f).await
    }

    /// Opening or saving a flake's file evaluates the flake and loads its packages.
    fn evaluate_if_flake(&self, uri: &Url) {
        let Ok(path) = uri.to_file_path() else { return };
        if path.extension().is_none_or(|e| e != "nix") {
            return;
        }
        let (Some(root), Some(engine)) = (crate::env::find_root(&path), self.environments.engine()) else {
            return;
        };
        self.packages.load(engine.clone(), root.clone());
        self.evaluations.schedule(engine, root);
    }

    /// Applies the environment settings: the Nix binary they name (resolved once, used by
    /// every run), then the engine (redoing the environments when it changed).
    async fn apply_env_settings(&self, env: EnvSettings) {
        let nix_changed = self.state.set_nix(env.nix_path.as_deref().map(Path::new));
        if self.environments.configure(env, self.state.nix_program()) {
            for root in self.environments.roots() {
                self.environments.start(root, false).await;
            }
        }
        if nix_changed && self.session.initialized.load(Ordering::Acquire) {
            self.load_builtin_docs();
        }
    }

    /// Reads the builtins' documentation from the Nix in use, in the background.
    fn load_builtin_docs(&self) {
        let state = self.state.clone();
        tokio::spawn(async move {
            state.start_gate.wait().await;
            let _ = tokio::task::spawn_blocking(move || state.load_builtin_docs()).await;
        });
    }

    async fn apply_settings(&self, value: &Value) {
        if let Some(command) = settings::formatter_command(value) {
            self.state.set_formatter(match command {
                Some(argv) if !argv.is_empty() => Formatter::Command(argv),
                _ => Formatter::Builtin,
            });
        }
        if let Some(env) = EnvSettings::from_settings(value) {
            self.apply_env_settings(env).await;
        }
        if let Some(eval) = settings::EvalSettings::from_settings(value) {
            self.evaluations.configure(eval);
        }
        if let Some(names) = settings::disabled_codes(value) {
            let (config, unknown) = DiagnosticsConfig::from_names(names.iter().map(String::as_str));
            if !unknown.is_empty() {
                let message = format!(
                    "flake-lsp: unknown diagnostic code(s) in flakeLsp.diagnostics.disabled: {}",
                    unknown.join(", ")
                );
                self.client.show_message(MessageType::WARNING, message).await;
            }
            if self.state.set_diagnostics_config(config) {
                // Again even when an analysis of the same version is under way: it may have
                // read the settings before they changed.
                for uri in self.state.documents.open_uris() {
                    self.publisher.again(uri);
                }
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

    /// `window/workDoneProgress/cancel` (tower-lsp 0.20's trait lacks it).
    async fn progress_cancel(&self, params: WorkDoneProgressCancelParams) {
        self.progress.cancel(&params.token);
    }

    async fn flake_realise(&self, params: RootParams) -> Result<Value> {
        self.environments.realise_request(params).await
    }

    async fn flake_shells(&self, params: RootParams) -> Result<ShellsResult> {
        self.environments.shells(params).await
    }

    /// `flake/evaluate` `{ root, attribute }`: one output evaluated on request.
    async fn flake_evaluate(&self, params: EvaluateParams) -> Result<Value> {
        let root = self.environments.root_for(params.root.as_deref())?;
        self.commands.evaluate(root, params.attribute).await
    }

    async fn flake_trust(&self, params: TrustParams) -> Result<Value> {
        self.environments.trust(params).await
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

    /// For tests of the panic guard: panics when `FLAKE_LSP_TEST_HOOKS=1`, else is refused.
    async fn debug_panic(&self, _: Value) -> Result<Value> {
        if std::env::var_os("FLAKE_LSP_TEST_HOOKS").is_some_and(|v| v == "1") {
            panic!("panic requested by flake/debug/panic");
        }
        Err(Error::method_not_found())
    }
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
        self.session.pull_configuration.store(pulls, Ordering::Release);
        let progress =
            params.capabilities.window.as_ref().and_then(|w| w.work_done_progress).unwrap_or(false);
        self.progress.set_supported(progress);
        self.session.watchers.store(watch::supported(&params), Ordering::Release);
        let mut folders: Vec<std::path::PathBuf> =
            params.workspace_folders.iter().flatten().filter_map(|f| f.uri.to_file_path().ok()).collect();
        #[allow(deprecated)]
        if folders.is_empty() {
            folders.extend(params.root_uri.as_ref().and_then(|u| u.to_file_path().ok()));
        }
        if let Ok(mut slot) = self.session.folders.lock() {
            *slot = folders;
        }
        let options = params.initialization_options.clone().unwrap_or(Value::Null);
        self.apply_env_settings(EnvSettings::from_settings(&options).unwrap_or_default()).await;
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
                    commands: commands::ALL.iter().map(|c| c.to_string()).collect(),
                    work_done_progress_options: Default::default(),
                }),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec![".".into(), "\"".into(), ":".into()]),
                    resolve_provider: Some(true),
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
                code_lens_provider: Some(CodeLensOptions { resolve_provider: Some(false) }),
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
        if self.session.pull_configuration.load(Ordering::Acquire) {
            self.pull_settings().await;
        }
        // From the Nix the settings name, now that they are all in.
        self.session.initialized.store(true, Ordering::Release);
        self.load_builtin_docs();
        if self.session.watchers.load(Ordering::Acquire) {
            watch::register(&self.client).await;
        }
        let folders = self.session.folders.lock().map(|f| f.clone()).unwrap_or_default();
        self.environments.track_folders(folders).await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let uri = params.text_document.uri;
        self.publisher.publish_now(uri.clone()).await;
        self.publisher.check_tracking(uri.clone());
        self.evaluate_if_flake(&uri);
        self.environments.track_document(&uri).await;
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        let uri = params.text_document.uri;
        self.publisher.check_tracking(uri.clone());
        self.evaluate_if_flake(&uri);
        // Without file watchers, saving is how the server learns a file changed on disk.
        if !self.session.watchers.load(Ordering::Acquire) {
            if let Ok(path) = uri.to_file_path() {
                watch::files_changed(&self.environments, &[path]).await;
            }
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        for change in &params.changes {
            self.publisher.lock_changed(&change.uri);
            // A new flake.lock (the evaluator loads the flake again), or a Nix file changed on
            // disk (a checkout, a generator): evaluated again.
            if change.uri.path().ends_with(".nix") {
                self.evaluate_if_flake(&change.uri);
            } else if change.uri.path().ends_with("/flake.lock") {
                if let Some(flake) = change.uri.to_file_path().ok().map(|p| p.with_file_name("flake.nix")) {
                    if let Ok(uri) = Url::from_file_path(flake) {
                        self.evaluate_if_flake(&uri);
                    }
                }
            }
        }
        let paths: Vec<_> = params.changes.into_iter().filter_map(|c| c.uri.to_file_path().ok()).collect();
        watch::files_changed(&self.environments, &paths).await;
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        self.commands.execute(&params.command, &params.arguments).await
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        self.publisher.schedule(uri.clone());
        self.publisher.lock_changed(&uri);
        if let Ok(path) = uri.to_file_path() {
            self.evaluations.cancel_for(&path);
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        self.publisher.closed(params.text_document.uri).await;
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let uri = params.text_document.uri;
        let root = uri.to_file_path().ok().and_then(|p| crate::env::find_root(&p));
        self.with_analysis(&uri, Needs::Text, move |ctx| features::code_lenses(ctx, root.as_deref())).await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let (uri, position) =
            (params.text_document_position.text_document.uri, params.text_document_position.position);
        // After `self.` or `nixpkgs.lib.`: the evaluator's answer first (bounded wait).
        let target = self
            .with_analysis(&uri, Needs::Lock, move |ctx| features::evaluation_target(ctx, position))
            .await?;
        let attributes = match target {
            Some(target) => {
                let root = uri.to_file_path().ok().and_then(|p| crate::env::find_root(&p));
                let answer = self.attributes.answer(self.environments.engine(), root, target.clone()).await;
                Some((target, answer))
            }
            None => None,
        };
        self.with_packages(&uri, attributes, move |ctx| features::completion(ctx, position)).await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let pos = params.text_document_position_params;
        let (uri, position) = (pos.text_document.uri, pos.position);
        let (hover, wanted) =
            self.with_packages(&uri, None, move |ctx| features::hover(ctx, position)).await?;
        // A package the index has not reached yet is read by itself, then shown.
        if let (Some(wanted), Ok(file)) = (wanted, uri.to_file_path()) {
            if self.packages.read_now(&file, &wanted).await {
                let again = self.with_packages(&uri, None, move |ctx| features::hover(ctx, position));
                return Ok(again.await?.0);
            }
        }
        Ok(hover)
    }

    async fn completion_resolve(&self, item: CompletionItem) -> Result<CompletionItem> {
        let Some((uri, wanted)) = item.data.as_ref().and_then(super::convert::package_of_data) else {
            return Ok(item);
        };
        let Ok(file) = uri.to_file_path() else { return Ok(item) };
        if !self.packages.read_now(&file, &wanted).await {
            return Ok(item);
        }
        match self.packages.for_path(&file) {
            Some(index) => Ok(features::resolve_package(item, &index, &wanted)),
            None => Ok(item),
        }
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
                let fixes = features::data_fixes(ctx, &diagnostics);
                if !fixes.is_empty() {
                    actions.get_or_insert_with(Vec::new).extend(fixes);
                }
                (actions, features::touches_dev_shell(ctx, range))
            })
            .await?;
        let mut actions = actions.unwrap_or_default();
        actions.extend(self.commands.code_actions(&uri, on_shell, &params.context.diagnostics));
        Ok(Some(actions))
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        self.format(&params.text_document.uri, None).await
    }

    async fn range_formatting(&self, params: DocumentRangeFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        self.format(&params.text_document.uri, Some(params.range)).await
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        if settings::mentions_any(&params.settings) {
            self.apply_settings(&params.settings).await;
        } else if self.session.pull_configuration.load(Ordering::Acquire) {
            self.pull_settings().await;
        }
    }
}
