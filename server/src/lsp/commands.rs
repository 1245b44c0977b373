//! The server's commands (`workspace/executeCommand`) and the code actions that run them:
//! enter the environment, recreate a broken venv, update flake.lock, track a file in git.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};
use tower_lsp::jsonrpc::{Error, Result};
use tower_lsp::lsp_types::{
    self as lsp, CodeAction, CodeActionKind, CodeActionOrCommand, Command, MessageType, Url,
};
use tower_lsp::Client;

use super::convert::request_failed;
use super::environment::{to_path, Environments};
use super::evaluation::Evaluations;
use super::progress::{run_with_progress, Progresses};
use super::publish::Publisher;
use super::state::State;
use crate::env::{find_root, EnvState};
use crate::ide::Code;
use crate::nix::NixError;

pub const ENTER_ENVIRONMENT: &str = "flake-lsp.enterEnvironment";
pub const RECREATE_VENV: &str = "flake-lsp.recreateVenv";
pub const UPDATE_LOCK: &str = "flake-lsp.updateLock";
pub const GIT_ADD: &str = "flake-lsp.gitAddIntent";
/// Evaluates one output on request (the "Evaluate" code lens): `[{ root, attribute }]`.
pub const EVALUATE: &str = "flake-lsp.evaluate";

/// Every command, for the capabilities.
pub const ALL: &[&str] = &[ENTER_ENVIRONMENT, RECREATE_VENV, UPDATE_LOCK, GIT_ADD, EVALUATE];

/// How long `nix flake lock` may take (it may fetch every input).
const LOCK_TIMEOUT: Duration = Duration::from_secs(1800);

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

pub struct Commands {
    pub client: Client,
    pub state: Arc<State>,
    pub progress: Progresses,
    pub publisher: Publisher,
    pub environments: Environments,
    pub evaluations: Evaluations,
}

impl Commands {
    /// `workspace/executeCommand`.
    pub async fn execute(&self, command: &str, arguments: &[Value]) -> Result<Option<Value>> {
        if command == GIT_ADD {
            let file =
                arguments.first().and_then(|a| a.get("file")).and_then(Value::as_str).and_then(to_path);
            let Some(file) = file else { return Err(Error::invalid_params("expected [{ \"file\": path }]")) };
            self.git_add(file).await?;
            return Ok(None);
        }
        let given = arguments.first().and_then(|a| a.get("root").and_then(Value::as_str).or(a.as_str()));
        let root = self.environments.root_for(given)?;
        match command {
            ENTER_ENVIRONMENT => self.enter_environment(root).map(Some),
            RECREATE_VENV => {
                self.recreate_venv(root).await?;
                Ok(None)
            }
            UPDATE_LOCK => {
                self.update_lock(root).await?;
                Ok(None)
            }
            EVALUATE => {
                let attribute = arguments.first().and_then(|a| a.get("attribute")).and_then(Value::as_str);
                let Some(attribute) = attribute else {
                    return Err(Error::invalid_params("expected [{ \"root\": …, \"attribute\": … }]"));
                };
                self.evaluate(root, attribute.to_string()).await.map(Some)
            }
            other => Err(Error::invalid_params(format!("unknown command {other}"))),
        }
    }

    /// `flake/evaluate` and the "Evaluate" lens: one output evaluated on request, its error
    /// published beside the others; the answer says what it found.
    pub async fn evaluate(&self, root: PathBuf, attribute: String) -> Result<Value> {
        let Some(engine) = self.environments.engine() else {
            return Err(request_failed("the evaluator is not configured yet"));
        };
        let found = self.evaluations.evaluate_now(engine, root.clone(), attribute.clone()).await;
        found.map(|e| super::convert::evaluated(&root, &attribute, e)).map_err(request_failed)
    }

    /// What a terminal in the environment needs.
    fn enter_environment(&self, root: PathBuf) -> Result<Value> {
        let env = self.environments.last(&root);
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
        Ok(serde_json::to_value(spec).unwrap_or(Value::Null))
    }

    /// Removes the flake's venv (only one inside the flake, and only if it is one) and
    /// realises again, so that the shellHook makes a new one.
    async fn recreate_venv(&self, root: PathBuf) -> Result<()> {
        let venv = self.environments.last(&root).and_then(|e| e.python).and_then(|p| p.venv);
        let Some(venv) = venv else { return Err(request_failed("there is no venv to recreate")) };
        if !venv.starts_with(&root) || !venv.join("pyvenv.cfg").is_file() {
            return Err(request_failed(format!(
                "{} is not a venv inside the flake: not removed",
                venv.display()
            )));
        }
        std::fs::remove_dir_all(&venv)
            .map_err(|e| request_failed(format!("cannot remove {}: {e}", venv.display())))?;
        self.environments.start(root, true).await;
        Ok(())
    }

    /// `git add --intent-to-add`: Nix sees the file from then on, so the flake is evaluated
    /// (and realised, when tracked) again.
    async fn git_add(&self, file: PathBuf) -> Result<()> {
        let f = file.clone();
        tokio::task::spawn_blocking(move || crate::vcs::add_intent(&f))
            .await
            .map_err(|e| request_failed(e.to_string()))?
            .map_err(request_failed)?;
        if let Ok(uri) = Url::from_file_path(&file) {
            self.publisher.check_tracking(uri);
        }
        if let Some(root) = find_root(&file) {
            if let Some(engine) = self.environments.engine() {
                self.evaluations.schedule(engine, root.clone());
            }
            if self.environments.is_tracked(&root) {
                self.environments.start(root, false).await;
            }
        }
        Ok(())
    }

    /// `nix flake lock` in the flake, with progress that says so and whose Cancel stops it;
    /// then flake.nix's diagnostics and the environment catch up.
    async fn update_lock(&self, root: PathBuf) -> Result<()> {
        let nix = self.state.nix();
        let progress = self.progress.begin(update_lock_title(&root)).await;
        let cancel = progress.cancel_flag();
        let dir = root.clone();
        let result = run_with_progress(progress, move |tx| {
            let nix = nix?;
            let _ = tx.send((Some("nix flake lock".into()), None));
            let target = dir.display().to_string();
            nix.run_streaming(&["flake", "lock", &target], Some(&dir), LOCK_TIMEOUT, &cancel, &mut |_| {})
        })
        .await
        .map_err(|e| request_failed(e.to_string()))?;
        match result {
            Ok(_) => {}
            Err(NixError::Cancelled) => return Err(request_failed("updating flake.lock was cancelled")),
            Err(e) => {
                let message = format!("flake-lsp: updating flake.lock failed: {e}");
                self.client.show_message(MessageType::ERROR, message.clone()).await;
                return Err(request_failed(message));
            }
        }
        if let Ok(uri) = Url::from_file_path(root.join("flake.lock")) {
            self.publisher.lock_changed(&uri);
        }
        if self.environments.is_tracked(&root) {
            self.environments.start(root, false).await;
        }
        Ok(())
    }

    /// "Enter environment" on a dev shell's definition and on environment diagnostics, and
    /// the fixes that run a command: update flake.lock, track a file, recreate the venv.
    pub fn code_actions(
        &self,
        uri: &Url,
        on_shell: bool,
        diagnostics: &[lsp::Diagnostic],
    ) -> Vec<CodeActionOrCommand> {
        let envs = &self.environments;
        let Some(root) = uri.to_file_path().ok().and_then(|p| envs.root_of(&p).or_else(|| find_root(&p)))
        else {
            return Vec::new();
        };
        let usable = envs.last(&root).is_some_and(|e| matches!(e.state, EnvState::Ready | EnvState::Stale));
        command_actions(&root, uri.to_file_path().ok().as_deref(), usable, on_shell, diagnostics)
    }
}

/// The title of the flake.lock update's progress: what runs, and for which flake.
fn update_lock_title(root: &Path) -> String {
    let name = root.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    format!("Updating flake.lock of {name}")
}

/// The code actions that run commands, for the flake at `root` and the document `file`;
/// `usable`: its environment is ready (or stale); `on_shell`: the range touches a dev shell.
fn command_actions(
    root: &Path,
    file: Option<&Path>,
    usable: bool,
    on_shell: bool,
    diagnostics: &[lsp::Diagnostic],
) -> Vec<CodeActionOrCommand> {
    let with_codes = |codes: &[Code]| -> Vec<lsp::Diagnostic> {
        diagnostics
            .iter()
            .filter(|d| {
                codes.iter().any(|c| d.code == Some(lsp::NumberOrString::String(c.as_str().to_string())))
            })
            .cloned()
            .collect()
    };
    let mut out = Vec::new();
    let env_diagnostics = with_codes(&[Code::EnvironmentFailed, Code::VenvBroken]);
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
    if let (false, Some(file)) = (untracked.is_empty(), file) {
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

/// A quick fix that runs one of the server's commands for `diagnostics`.
fn command_fix(
    title: &str,
    command: &str,
    argument: Value,
    diagnostics: Vec<lsp::Diagnostic>,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnostic(code: Code) -> lsp::Diagnostic {
        lsp::Diagnostic {
            code: Some(lsp::NumberOrString::String(code.as_str().to_string())),
            message: code.summary().to_string(),
            ..lsp::Diagnostic::default()
        }
    }

    /// Each action as its title, the command it runs and that command's argument.
    fn render(actions: &[CodeActionOrCommand]) -> Vec<String> {
        actions
            .iter()
            .map(|a| match a {
                CodeActionOrCommand::CodeAction(a) => {
                    let command = a.command.as_ref().unwrap();
                    let fixes = a.diagnostics.as_ref().map_or(0, Vec::len);
                    format!(
                        "{} -> {} {} ({fixes} fixed)",
                        a.title,
                        command.command,
                        command.arguments.as_ref().unwrap()[0]
                    )
                }
                CodeActionOrCommand::Command(c) => c.title.clone(),
            })
            .collect()
    }

    #[test]
    fn each_fix_runs_its_command() {
        let root = Path::new("/p");
        let file = Path::new("/p/nix/shell.nix");
        let diagnostics = [
            diagnostic(Code::LockMissingInput),
            diagnostic(Code::LockUnusedInput),
            diagnostic(Code::UntrackedFile),
            diagnostic(Code::VenvBroken),
            diagnostic(Code::UnusedWith),
        ];
        assert_eq!(
            render(&command_actions(root, Some(file), true, false, &diagnostics)),
            [
                r#"Enter environment (open a terminal in the dev shell) -> flake-lsp.enterEnvironment {"root":"/p"} (0 fixed)"#,
                r#"Update flake.lock (nix flake lock) -> flake-lsp.updateLock {"root":"/p"} (2 fixed)"#,
                r#"Track shell.nix in git (git add --intent-to-add) -> flake-lsp.gitAddIntent {"file":"/p/nix/shell.nix"} (1 fixed)"#,
                r#"Recreate .venv (remove it and realise the environment again) -> flake-lsp.recreateVenv {"root":"/p"} (1 fixed)"#,
            ]
        );
    }

    #[test]
    fn enter_environment_only_where_it_helps_and_when_ready() {
        let root = Path::new("/p");
        assert!(command_actions(root, None, true, false, &[]).is_empty(), "not on a dev shell");
        assert!(command_actions(root, None, false, true, &[]).is_empty(), "not ready");
        let on_shell = render(&command_actions(root, None, true, true, &[]));
        assert_eq!(on_shell.len(), 1);
        assert!(on_shell[0].starts_with("Enter environment"), "{on_shell:?}");
        let failed = command_actions(root, None, true, false, &[diagnostic(Code::EnvironmentFailed)]);
        assert_eq!(render(&failed).len(), 1);
    }

    #[test]
    fn the_lock_update_says_what_runs() {
        let title = update_lock_title(Path::new("/home/me/project"));
        assert_eq!(title, "Updating flake.lock of project");
        assert!(!title.contains("Realising"));
    }
}
