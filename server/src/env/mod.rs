//! The environment engine: realise a flake's dev shell, apply it, find Python, cache the
//! result, and keep untrusted flakes from running anything. DESIGN.md, "The environment engine".
//!
//! [`Engine::cached`] answers from disk without starting Nix's evaluator (an unchanged project
//! is ready at once); [`Engine::realise`] builds, runs the shellHook and caches. Both return an
//! [`Environment`]: what the editor is told (`flake/environment`) and what `flake-lsp env`
//! prints.

pub mod apply;
pub mod bash;
pub mod cache;
mod dirs;
pub mod python;
pub mod realise;
pub mod trust;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::OnceLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use self::apply::{ApplyOptions, EnvDiff};
use self::cache::{Cache, KeyParts, Lookup};
use self::python::PythonInfo;
use self::realise::NixOptions;
use self::trust::TrustStore;
use crate::nix::internal_json::Progress;
use crate::nix::{Nix, NixError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EnvState {
    Realising,
    Ready,
    /// The last good environment, while something it depends on changed or a rebuild failed.
    Stale,
    Failed,
    /// Nothing was built and no hook ran: the user has not trusted this flake.
    Untrusted,
}

/// A position in a workspace file: the file relative to the root, 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorPosition {
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
}

/// What the editor needs to know about one flake's environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    pub root: PathBuf,
    /// The dev shell's attribute, once known.
    pub shell: Option<String>,
    pub state: EnvState,
    pub from_cache: bool,
    /// Variables to set (PATH with the shell's entries first) and to unset.
    pub set: BTreeMap<String, String>,
    pub unset: Vec<String>,
    pub python: Option<PythonInfo>,
    /// Why it failed, or why it is stale.
    pub error: Option<String>,
    /// Where the error is, when Nix pointed into the workspace.
    pub error_position: Option<ErrorPosition>,
    /// Where Nix's and the shellHook's output went.
    pub log: Option<PathBuf>,
}

impl Environment {
    pub fn empty(root: &Path, state: EnvState) -> Environment {
        Environment {
            root: root.to_path_buf(),
            shell: None,
            state,
            from_cache: false,
            set: BTreeMap::new(),
            unset: Vec::new(),
            python: None,
            error: None,
            error_position: None,
            log: None,
        }
    }

    fn failed(root: &Path, error: Failure) -> Environment {
        Environment {
            error: Some(error.message),
            error_position: error.position,
            ..Environment::empty(root, EnvState::Failed)
        }
    }

    fn from_entry(root: &Path, entry: cache::Entry, state: EnvState, log: PathBuf) -> Environment {
        Environment {
            root: root.to_path_buf(),
            shell: Some(entry.parts.shell),
            state,
            from_cache: true,
            set: entry.diff.set,
            unset: entry.diff.unset,
            python: entry.python,
            error: None,
            error_position: None,
            log: Some(log),
        }
    }
}

#[derive(Debug, Clone)]
pub struct EnvConfig {
    /// The dev shell attribute to use instead of the default one.
    pub shell: Option<String>,
    pub run_hook: bool,
    pub hook_timeout: Duration,
    pub nix: NixOptions,
    /// The `nix` binary to use instead of `FLAKE_LSP_NIX` or PATH.
    pub nix_path: Option<PathBuf>,
    /// Every flake counts as trusted (the editor said the workspace is: VS Code's Workspace
    /// Trust). The trust store is not changed.
    pub assume_trusted: bool,
}

impl Default for EnvConfig {
    fn default() -> Self {
        EnvConfig {
            shell: None,
            run_hook: true,
            hook_timeout: ApplyOptions::default().timeout,
            nix: NixOptions::default(),
            nix_path: None,
            assume_trusted: false,
        }
    }
}

/// The oldest Nix flake-lsp works with: flakes, `print-dev-env --profile`, internal-json logs.
pub const MIN_NIX: crate::nix::NixVersion = crate::nix::NixVersion { major: 2, minor: 4, patch: 0 };

pub struct Engine {
    pub config: EnvConfig,
    cache: Cache,
    trust: TrustStore,
    nix: OnceLock<Result<(Nix, String), String>>,
    system: OnceLock<Result<String, String>>,
}

/// The nearest directory at or above `start` that holds a `flake.nix`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let start = if start.is_file() { start.parent()? } else { start };
    start.ancestors().find(|d| d.join("flake.nix").is_file()).map(Path::to_path_buf)
}

impl Engine {
    pub fn new(config: EnvConfig, cache: Cache, trust: TrustStore) -> Engine {
        Engine { config, cache, trust, nix: OnceLock::new(), system: OnceLock::new() }
    }

    /// With the user's cache and trust store.
    pub fn for_user(config: EnvConfig) -> Result<Engine, String> {
        let cache = Cache::user().ok_or("no cache directory: set HOME or XDG_CACHE_HOME")?;
        let trust = TrustStore::user().ok_or("no data directory: set HOME or XDG_DATA_HOME")?;
        Ok(Engine::new(config, cache, trust))
    }

    pub fn is_trusted(&self, root: &Path) -> bool {
        self.config.assume_trusted || self.trust.is_trusted(root)
    }

    pub fn trust_store(&self) -> &TrustStore {
        &self.trust
    }

    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Nix and its version, found once.
    fn nix(&self) -> Result<&(Nix, String), String> {
        self.nix
            .get_or_init(|| {
                let nix = match &self.config.nix_path {
                    Some(path) => Nix::at(path),
                    None => Nix::locate().map_err(|e| e.to_string())?,
                };
                let version = nix.version(Duration::from_secs(30)).map_err(|e| match e {
                    NixError::NotFound => format!(
                        "nix was not found at {}: install Nix, or correct flakeLsp.nix.path",
                        nix.program().display()
                    ),
                    other => other.to_string(),
                })?;
                if version < MIN_NIX {
                    return Err(format!(
                        "Nix {version} at {} is too old: flake-lsp needs Nix {MIN_NIX} or newer (flakes, print-dev-env --profile)",
                        nix.program().display()
                    ));
                }
                Ok((nix, version.to_string()))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    fn system(&self, nix: &Nix) -> Result<String, String> {
        self.system.get_or_init(|| realise::current_system(nix).map_err(|e| e.to_string())).clone()
    }

    fn parts(&self, shell: String, nix_version: &str) -> KeyParts {
        KeyParts { shell, nix_version: nix_version.to_string(), run_hook: self.config.run_hook }
    }

    /// The environment as the cache has it, without evaluating anything: `Ready` when nothing
    /// changed, `Stale` (with the reason) when something did, `None` when there is nothing to
    /// serve. Untrusted flakes get `Untrusted`.
    pub fn cached(&self, root: &Path) -> Option<Environment> {
        if !self.is_trusted(root) {
            return Some(Environment::empty(root, EnvState::Untrusted));
        }
        let (_, version) = self.nix().ok()?;
        let log = self.cache.log(root);
        // Which shell the entry is for: the configured one, else whatever the entry holds (it
        // was the default when it was made; a change of flake.nix makes it stale anyway).
        let entry_shell = match self.cache.lookup(root, &self.parts(String::new(), version)) {
            Lookup::Stale(entry, _) | Lookup::Fresh(entry) => entry.parts.shell.clone(),
            Lookup::Missing | Lookup::Invalid(_) => return None,
        };
        let shell = self.config.shell.clone().unwrap_or(entry_shell);
        match self.cache.lookup(root, &self.parts(shell, version)) {
            Lookup::Fresh(entry) => Some(Environment::from_entry(root, *entry, EnvState::Ready, log)),
            Lookup::Stale(entry, why) => {
                let mut env = Environment::from_entry(root, *entry, EnvState::Stale, log);
                env.error = Some(why);
                Some(env)
            }
            Lookup::Missing | Lookup::Invalid(_) => None,
        }
    }

    /// Nix and the system it builds for, for other evaluations of the same flakes.
    pub fn nix_and_system(&self) -> Result<(Nix, String), String> {
        let (nix, _) = self.nix()?;
        let system = self.system(nix)?;
        Ok((nix.clone(), system))
    }

    /// The dev shells the flake has for this system (attribute paths).
    pub fn shells(&self, root: &Path) -> Result<Vec<String>, String> {
        let (nix, _) = self.nix()?;
        let system = self.system(nix)?;
        realise::list_shells(nix, root, &system, &self.config.nix).map_err(|e| e.to_string())
    }

    /// Realises the dev shell, runs the hook, caches and returns the environment. A failure
    /// keeps the last good environment, as `Stale` with the error, when there is one.
    pub fn realise(
        &self,
        root: &Path,
        cancel: &AtomicBool,
        on_progress: &mut dyn FnMut(&Progress),
    ) -> Environment {
        if !self.is_trusted(root) {
            return Environment::empty(root, EnvState::Untrusted);
        }
        match self.realise_fresh(root, cancel, on_progress) {
            Ok(env) => env,
            Err(error) => match self.cached(root) {
                Some(mut last) if matches!(last.state, EnvState::Ready | EnvState::Stale) => {
                    last.state = EnvState::Stale;
                    last.error = Some(error.message);
                    last.error_position = error.position;
                    last
                }
                _ => {
                    let mut env = Environment::failed(root, error);
                    env.log = Some(self.cache.log(root)).filter(|l| l.exists());
                    env
                }
            },
        }
    }

    fn realise_fresh(
        &self,
        root: &Path,
        cancel: &AtomicBool,
        on_progress: &mut dyn FnMut(&Progress),
    ) -> Result<Environment, Failure> {
        let (nix, version) = self.nix().map_err(Failure::from)?;
        let shell = match &self.config.shell {
            Some(shell) => shell.clone(),
            None => self.default_shell(nix, root)?,
        };
        let dir = self.cache.entry_dir(root);
        std::fs::create_dir_all(&dir)
            .map_err(|e| Failure::from(format!("cannot create {}: {e}", dir.display())))?;
        let log_path = self.cache.log(root);
        let mut log = std::fs::File::create(&log_path)
            .map_err(|e| Failure::from(format!("cannot write {}: {e}", log_path.display())))?;
        let profile = self.cache.profile(root);
        let target = realise::Target { root, attr: &shell, profile: &profile, options: &self.config.nix };
        let realised =
            realise::print_dev_env(nix, &target, &mut log, cancel, on_progress).map_err(|e| Failure {
                message: e.message,
                position: e.position.map(|(file, line, column)| ErrorPosition { file, line, column }),
            })?;
        drop(log);
        let bash = self.bash(nix, root, &realised.script, cancel)?;
        let used = format!(
            "flake-lsp: sourcing with Bash {}.{} ({}: {})",
            bash.version.0,
            bash.version.1,
            bash.origin,
            bash.path.display()
        );
        log::info!("{}: {used}", root.display());
        if let Ok(mut log) = std::fs::OpenOptions::new().append(true).open(&log_path) {
            use std::io::Write;
            let _ = writeln!(log, "{used}");
        }
        let start: BTreeMap<String, String> = std::env::vars().collect();
        let options = ApplyOptions { run_hook: self.config.run_hook, timeout: self.config.hook_timeout };
        let end = apply::run_script(&bash.path, &realised.script, root, &start, &log_path, &options, cancel)
            .map_err(|e| Failure::from(e.to_string()))?;
        let diff = apply::diff(&start, &end);
        let python = python::detect(root, &end);
        let mut watched = vec![PathBuf::from("flake.nix"), PathBuf::from("flake.lock")];
        watched.extend(realised.read_files);
        let store_paths: Vec<PathBuf> = realised.store_path.into_iter().collect();
        let entry = cache::new_entry(
            root,
            self.parts(shell.clone(), version),
            &watched,
            EnvDiff { set: diff.set.clone(), unset: diff.unset.clone() },
            python.clone(),
            store_paths,
        );
        if let Err(e) = self.cache.save(root, &entry) {
            log::warn!("cannot save the environment of {}: {e}", root.display());
        }
        Ok(Environment {
            root: root.to_path_buf(),
            shell: Some(shell),
            state: EnvState::Ready,
            from_cache: false,
            set: diff.set,
            unset: diff.unset,
            python,
            error: None,
            error_position: None,
            log: Some(log_path),
        })
    }

    /// The bash that sources the dev shell's script: a Bash 4 or newer, Nix's before the
    /// system's (`env::bash` says why and in which order).
    fn bash(&self, nix: &Nix, root: &Path, script: &str, cancel: &AtomicBool) -> Result<bash::Bash, Failure> {
        use bash::Origin;
        let mut chooser = bash::Chooser::new();
        if let Some(configured) = std::env::var_os(bash::BASH_ENV_VAR).filter(|v| !v.is_empty()) {
            // The user's choice is final: a refused one is an error, not a reason to guess.
            let found = chooser.consider(Origin::Configured, Ok(PathBuf::from(configured)));
            return found.ok_or_else(|| Failure::from(chooser.error()));
        }
        if let Some(found) = chooser.consider(Origin::DevShell, bash::builder_of(script)) {
            return Ok(found);
        }
        // nixpkgs' bashInteractive: realised once, then kept by its GC root.
        let link = self.cache.bash_root();
        let kept = link.join("bin/bash");
        let candidate = if kept.is_file() {
            Ok(kept)
        } else {
            match self.system(nix) {
                Ok(system) => realise::bash_interactive(nix, root, &system, &self.config.nix, &link, cancel),
                Err(e) => Err(e),
            }
        };
        if let Some(found) = chooser.consider(Origin::Nixpkgs, candidate) {
            return Ok(found);
        }
        if cancel.load(std::sync::atomic::Ordering::Acquire) {
            return Err(Failure::from("cancelled".to_string()));
        }
        if let Some(found) =
            chooser.consider(Origin::Path, bash::on_path(std::env::var_os("PATH").as_deref()))
        {
            return Ok(found);
        }
        Err(Failure::from(chooser.error()))
    }

    /// `devShells.<system>.default`, else the first dev shell, else `devShell.<system>`.
    fn default_shell(&self, nix: &Nix, root: &Path) -> Result<String, Failure> {
        let system = self.system(nix)?;
        let shells = realise::list_shells(nix, root, &system, &self.config.nix).map_err(|e| match e {
            NixError::Failed { stderr, .. } => Failure {
                message: evaluation_error(&stderr),
                position: realise::error_position(root, &crate::nix::internal_json::strip_ansi(&stderr))
                    .map(|(file, line, column)| ErrorPosition { file, line, column }),
            },
            other => Failure::from(other.to_string()),
        })?;
        let default = format!("devShells.{system}.default");
        if shells.contains(&default) {
            return Ok(default);
        }
        shells.into_iter().next().ok_or_else(|| {
            Failure::from(format!(
                "the flake has no dev shell for {system}: neither devShells.{system}.default nor devShell.{system}"
            ))
        })
    }
}

/// Why a realisation failed, and where when Nix said.
#[derive(Debug)]
struct Failure {
    message: String,
    position: Option<ErrorPosition>,
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure { message, position: None }
    }
}

/// The useful part of Nix's human error output: from `error:` on, colour codes removed.
fn evaluation_error(stderr: &str) -> String {
    let text = crate::nix::internal_json::strip_ansi(stderr);
    match text.find("error:") {
        Some(i) => text[i..].trim().to_string(),
        None => text.trim().to_string(),
    }
}
