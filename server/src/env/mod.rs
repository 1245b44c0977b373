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
use self::cache::{Cache, KeyParts, KnownVersion, Lookup};
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
    /// The error is that an input could not be fetched: which, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch_failure: Option<crate::nix::FetchFailure>,
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
            fetch_failure: None,
            log: None,
        }
    }

    fn failed(root: &Path, error: Failure) -> Environment {
        Environment {
            error: Some(error.message),
            error_position: error.position,
            fetch_failure: error.fetch,
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
            fetch_failure: None,
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

/// Refuses a Nix older than [`MIN_NIX`] (or a version that is no version).
fn check_version(nix: &Nix, version: &str) -> Result<(), String> {
    match crate::nix::NixVersion::parse(version) {
        Some(v) if v >= MIN_NIX => Ok(()),
        _ => Err(format!(
            "Nix {version} at {} is too old: flake-lsp needs Nix {MIN_NIX} or newer (flakes, print-dev-env --profile)",
            nix.program().display()
        )),
    }
}

pub struct Engine {
    pub config: EnvConfig,
    cache: Cache,
    trust: TrustStore,
    /// The binary, found once.
    located: OnceLock<Result<Nix, String>>,
    /// Its version as `nix --version` said, asked at most once.
    asked: OnceLock<Result<String, String>>,
    system: OnceLock<Result<String, String>>,
}

/// The nearest directory at or above `start` that holds a `flake.nix`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let start = if start.is_file() { start.parent()? } else { start };
    start.ancestors().find(|d| d.join("flake.nix").is_file()).map(Path::to_path_buf)
}

impl Engine {
    pub fn new(config: EnvConfig, cache: Cache, trust: TrustStore) -> Engine {
        Engine {
            config,
            cache,
            trust,
            located: OnceLock::new(),
            asked: OnceLock::new(),
            system: OnceLock::new(),
        }
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

    /// The `nix` binary: the configured one, else `FLAKE_LSP_NIX`, else PATH's.
    fn located(&self) -> Result<&Nix, String> {
        self.located
            .get_or_init(|| match &self.config.nix_path {
                Some(path) => Ok(Nix::at(path)),
                None => Nix::locate().map_err(|e| e.to_string()),
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Nix and its version as `nix --version` says (asked once), for realising: what is
    /// built is keyed by what Nix says now, and the answer is remembered for [`Engine::cached`].
    fn nix(&self) -> Result<(&Nix, &str), String> {
        let nix = self.located()?;
        let version = self.asked.get_or_init(|| {
            // Stamped before asking: a binary replaced meanwhile is asked again next time.
            let stamp = nix.stamp();
            let version = nix.version(Duration::from_secs(30)).map_err(|e| match e {
                NixError::NotFound => format!(
                    "nix was not found at {}: install Nix, or correct flakeLsp.nix.path",
                    nix.program().display()
                ),
                other => other.to_string(),
            })?;
            if let Ok(stamp) = stamp {
                if let Err(e) = self.cache.remember_nix_version(&stamp, &version.to_string()) {
                    log::warn!("cannot write {}: {e}", self.cache.nix_versions_file().display());
                }
            }
            Ok(version.to_string())
        });
        let version = version.as_deref().map_err(Clone::clone)?;
        check_version(nix, version)?;
        Ok((nix, version))
    }

    /// Nix's version without starting it when possible: as asked already in this process,
    /// else as remembered for this binary (unchanged since), else asked.
    fn known_version(&self) -> Result<String, String> {
        if self.asked.get().is_some() {
            return self.nix().map(|(_, v)| v.to_string());
        }
        let nix = self.located()?;
        let why = match nix.stamp() {
            Ok(stamp) => match self.cache.nix_version(&stamp) {
                KnownVersion::Known(version) => {
                    check_version(nix, &version)?;
                    return Ok(version);
                }
                KnownVersion::Ask(why) => why,
            },
            Err(e) => format!("cannot read {}: {e}", nix.program().display()),
        };
        log::info!("asking Nix its version: {why}");
        self.nix().map(|(_, v)| v.to_string())
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
        let version = self.known_version().ok()?;
        let log = self.cache.log(root);
        // Which shell the entry is for: the configured one, else whatever the entry holds (it
        // was the default when it was made; a change of flake.nix makes it stale anyway).
        let lookup = self.cache.lookup_with(root, |entry| {
            let shell = self.config.shell.clone().unwrap_or_else(|| entry.parts.shell.clone());
            self.parts(shell, &version)
        });
        match lookup {
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
                    last.fetch_failure = error.fetch;
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
                fetch: e.fetch,
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
            fetch_failure: None,
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
                fetch: crate::nix::fetch_failure(&stderr),
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
    fetch: Option<crate::nix::FetchFailure>,
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure { message, position: None, fetch: None }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A trusted flake with a cache entry made by "Nix 2.8.0", and a stand-in `nix` that
    /// records every run in `calls` and says the version it was written with.
    struct Fixture {
        dir: PathBuf,
        root: PathBuf,
        nix: PathBuf,
        calls: PathBuf,
        store_path: PathBuf,
    }

    impl Fixture {
        fn new(tag: &str) -> Fixture {
            let dir = std::env::temp_dir().join(format!("flake-lsp-engine-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            let root = dir.join("project");
            std::fs::create_dir_all(&root).unwrap();
            std::fs::write(root.join("flake.nix"), "{ outputs = _: { }; }").unwrap();
            let store_path = dir.join("store-path");
            std::fs::write(&store_path, "").unwrap();
            let f = Fixture { nix: dir.join("bin/nix"), calls: dir.join("calls"), dir, root, store_path };
            f.install_nix("2.8.0");
            let engine = f.engine();
            engine.trust_store().set(&f.root, Some(trust::Decision::Trusted)).unwrap();
            let parts = KeyParts {
                shell: "devShells.x86_64-linux.default".into(),
                nix_version: "2.8.0".into(),
                run_hook: true,
            };
            let watched = [PathBuf::from("flake.nix"), PathBuf::from("flake.lock")];
            let mut diff = EnvDiff::default();
            diff.set.insert("FOO".into(), "bar".into());
            let entry = cache::new_entry(&f.root, parts, &watched, diff, None, vec![f.store_path.clone()]);
            engine.cache().save(&f.root, &entry).unwrap();
            f
        }

        /// A new `nix` that says `version`, put in place as installers do (a new file renamed
        /// over the old).
        fn install_nix(&self, version: &str) {
            let bin = self.nix.parent().unwrap();
            std::fs::create_dir_all(bin).unwrap();
            let new = bin.join(".nix.new");
            let script =
                format!("#!/bin/sh\necho \"$*\" >> '{}'\necho 'nix (Nix) {version}'\n", self.calls.display());
            std::fs::write(&new, script).unwrap();
            std::fs::set_permissions(&new, std::fs::Permissions::from_mode(0o755)).unwrap();
            std::fs::rename(&new, &self.nix).unwrap();
        }

        /// A new engine, as each `flake-lsp env` makes.
        fn engine(&self) -> Engine {
            let config = EnvConfig { nix_path: Some(self.nix.clone()), ..EnvConfig::default() };
            let cache = Cache::at(self.dir.join("cache"));
            Engine::new(config, cache, TrustStore::at(self.dir.join("trust.json")))
        }

        /// What the stand-in Nix was asked, since the last call.
        fn take_calls(&self) -> Vec<String> {
            let calls = std::fs::read_to_string(&self.calls).unwrap_or_default();
            let _ = std::fs::remove_file(&self.calls);
            calls.lines().map(str::to_string).collect()
        }
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    const ASKED: &str = "--extra-experimental-features nix-command flakes --version";

    #[test]
    fn a_fresh_cache_is_answered_without_starting_nix() {
        let f = Fixture::new("fresh");
        // The first time, Nix is asked its version, and it is remembered.
        let env = f.engine().cached(&f.root).unwrap();
        assert_eq!((env.state, env.from_cache), (EnvState::Ready, true));
        assert_eq!(env.set["FOO"], "bar");
        assert_eq!(f.take_calls(), [ASKED]);
        // Then never again while nothing changes.
        for _ in 0..2 {
            assert_eq!(f.engine().cached(&f.root).unwrap().state, EnvState::Ready);
        }
        assert_eq!(f.take_calls(), Vec::<String>::new());
    }

    #[test]
    fn a_changed_nix_binary_is_asked_again() {
        let f = Fixture::new("new-nix");
        f.engine().cached(&f.root).unwrap();
        f.take_calls();
        // Upgraded: asked again, and the entry made by the older Nix is stale.
        f.install_nix("2.34.8");
        let env = f.engine().cached(&f.root).unwrap();
        assert_eq!(env.state, EnvState::Stale);
        assert_eq!(env.error.as_deref(), Some("Nix is now 2.34.8"));
        assert_eq!(f.take_calls(), [ASKED]);
        // The new version is remembered: not asked again.
        assert_eq!(f.engine().cached(&f.root).unwrap().state, EnvState::Stale);
        assert_eq!(f.take_calls(), Vec::<String>::new());
        // Back to the older Nix, through another path (a symlink to it): asked again, fresh.
        f.install_nix("2.8.0");
        let link = f.dir.join("nix-link");
        std::os::unix::fs::symlink(&f.nix, &link).unwrap();
        let config = EnvConfig { nix_path: Some(link), ..EnvConfig::default() };
        let engine =
            Engine::new(config, Cache::at(f.dir.join("cache")), TrustStore::at(f.dir.join("trust.json")));
        assert_eq!(engine.cached(&f.root).unwrap().state, EnvState::Ready);
        assert_eq!(f.take_calls(), [ASKED]);
    }

    #[test]
    fn a_damaged_file_of_nix_versions_is_asked_again() {
        let f = Fixture::new("damaged");
        let engine = f.engine();
        engine.cached(&f.root).unwrap();
        f.take_calls();
        std::fs::write(engine.cache().nix_versions_file(), "{ \"format\": 1, \"binaries\": [").unwrap();
        assert_eq!(f.engine().cached(&f.root).unwrap().state, EnvState::Ready);
        assert_eq!(f.take_calls(), [ASKED]);
        assert_eq!(f.engine().cached(&f.root).unwrap().state, EnvState::Ready, "repaired");
        assert_eq!(f.take_calls(), Vec::<String>::new());
    }

    #[test]
    fn a_changed_file_or_a_collected_store_path_is_seen_without_nix() {
        let f = Fixture::new("changed");
        f.engine().cached(&f.root).unwrap();
        f.take_calls();
        std::fs::write(f.root.join("flake.lock"), "{}").unwrap();
        let env = f.engine().cached(&f.root).unwrap();
        assert_eq!((env.state, env.error.as_deref()), (EnvState::Stale, Some("flake.lock appeared")));
        std::fs::remove_file(f.root.join("flake.lock")).unwrap();
        std::fs::write(f.root.join("flake.nix"), "{ outputs = _: { x = 1; }; }").unwrap();
        let env = f.engine().cached(&f.root).unwrap();
        assert_eq!((env.state, env.error.as_deref()), (EnvState::Stale, Some("flake.nix changed")));
        // Garbage-collected: nothing to serve, it must be realised again.
        std::fs::remove_file(&f.store_path).unwrap();
        assert_eq!(f.engine().cached(&f.root), None);
        assert_eq!(f.take_calls(), Vec::<String>::new());
    }

    #[test]
    fn a_nix_too_old_is_refused_even_when_remembered() {
        let f = Fixture::new("old");
        f.install_nix("2.3.16");
        assert_eq!(f.engine().cached(&f.root), None);
        assert_eq!(f.take_calls(), [ASKED]);
        let engine = f.engine();
        assert_eq!(engine.cached(&f.root), None);
        assert_eq!(f.take_calls(), Vec::<String>::new(), "remembered, and still refused");
        let error = engine.nix().map(|_| ()).unwrap_err();
        assert!(error.contains("Nix 2.3.16 at") && error.contains("is too old"), "{error}");
    }
}
