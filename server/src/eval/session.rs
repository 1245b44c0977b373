//! The evaluator of a flake: one `nix repl` per flake root ([`crate::nix::Repl`]), kept between
//! evaluations so that what they share (the flake's nixpkgs above all) is evaluated once.
//!
//! Loading: `nix flake metadata --json` (with the overrides) gives the lock graph as Nix
//! resolves it; the session binds it with [`CALL_FLAKE`], our copy of Nix's own
//! `call-flake.nix` split in two: the inputs, bound once (`_fl_lib.inputs`, evaluated lazily and
//! kept), and the root flake, bound again for each evaluation to a fresh copy of the workspace
//! (`builtins.path`, filtered to what git tracks inside a checkout), so an edit anywhere in the
//! workspace is seen and nixpkgs is not evaluated again.
//!
//! Reloaded (a new process) when flake.lock, the overrides or the Nix binary change, or when
//! the `inputs` of flake.nix differ from those the lock graph was made for; restarted after a
//! crash, a timeout or the memory limit; stopped after [`IDLE`] without use, and when the
//! server exits (its process group is registered in `crate::children`). At most
//! [`MAX_SESSIONS`] run at once, so that realisations and the package index keep a Nix slot.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::env::realise::NixOptions;
use crate::nix::repl::nix_string;
use crate::nix::{Limits, Nix, NixError, Repl, ReplError};

/// How long an evaluator may sit unused before it is stopped.
pub const IDLE: Duration = Duration::from_secs(600);
/// How many evaluators may run at once: one Nix slot stays for everything else.
pub const MAX_SESSIONS: usize = crate::children::MAX_NIX - 1;

/// Nix's `call-flake.nix`, in two parts: `inputs` (every locked node but the root, each
/// evaluated once) and `root` (the root flake over a given copy of its source).
const CALL_FLAKE: &str = r#"(lock: let
  resolve = spec: if builtins.isList spec then byPath lock.root spec else spec;
  byPath = name: path: if path == [] then name else byPath (resolve lock.nodes.${name}.inputs.${builtins.head path}) (builtins.tail path);
  call = sourceInfo: dir: nodeInputs: let
      src = sourceInfo.outPath + (if dir == "" then "" else "/" + dir);
      flake = import (src + "/flake.nix");
      ins = builtins.mapAttrs (_: spec: inputs.${resolve spec}) nodeInputs;
      outputs = flake.outputs (ins // { self = result; });
      result = outputs // sourceInfo // { inputs = ins; inherit outputs sourceInfo; outPath = src; _type = "flake"; };
    in result;
  node = n: let sourceInfo = builtins.fetchTree (n.info or {} // removeAttrs n.locked [ "dir" ]); in
    if n.flake or true then call sourceInfo (n.locked.dir or "") (n.inputs or {}) else sourceInfo;
  inputs = builtins.mapAttrs (_: node) (removeAttrs lock.nodes [ lock.root ]);
in { inherit inputs; root = sourceInfo: dir: call sourceInfo dir (lock.nodes.${lock.root}.inputs or {}); })"#;

/// What makes a loaded evaluator stale: the binary, the overrides, flake.lock's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    nix: PathBuf,
    overrides: Vec<(String, String)>,
    lock: Option<Vec<u8>>,
}

impl Key {
    fn of(nix: &Nix, root: &Path, options: &NixOptions) -> Key {
        Key {
            nix: nix.program().to_path_buf(),
            overrides: options.override_inputs.clone(),
            lock: std::fs::read(root.join("flake.lock")).ok(),
        }
    }
}

struct Session {
    repl: Repl,
    key: Key,
    /// `builtins.toJSON` of flake.nix's `inputs` when the lock graph was made.
    inputs: Option<String>,
    /// How many times the root was bound.
    loads: u64,
    /// The paths git tracks, as bound in `_fl_tracked`.
    tracked: Option<Vec<String>>,
    /// Whether `_fl_root` is bound to the last load (which did not fail).
    root_bound: bool,
}

/// The evaluators, one per flake root.
pub struct Sessions {
    roots: Mutex<HashMap<PathBuf, Arc<Slot>>>,
}

/// One root's evaluator, used by one evaluation at a time.
struct Slot {
    session: Mutex<Option<Session>>,
    last_used: Mutex<Instant>,
    /// How many evaluators were started for the root, and how many times its flake was
    /// loaded: what was read from one start (or one load) holds until these change.
    starts: AtomicU64,
    loads: AtomicU64,
}

/// When an evaluator's answers were given: `starts` changes when the inputs may have (a new
/// process), `loads` when the workspace may have (a new copy of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Epoch {
    pub starts: u64,
    pub loads: u64,
}

/// How much of the flake a request needs loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// A fresh copy of the workspace (evaluation diagnostics).
    Workspace,
    /// The copy the evaluator last loaded, when it has one (completion: what the last save
    /// evaluated; cheaper, as nothing is copied).
    LastLoaded,
}

/// The root flake, loaded for one evaluation: requests are made through it.
pub struct Loaded<'a> {
    repl: &'a mut Repl,
    pub limits: Limits,
    /// The start and load of the evaluator the answers come from.
    pub epoch: Epoch,
}

/// Why the flake could not be loaded: Nix's error text (a broken flake.nix, an input that
/// cannot be fetched), or the evaluator's own failure.
#[derive(Debug)]
pub enum LoadError {
    Nix(String),
    Evaluator(ReplError),
    Run(NixError),
}

impl Sessions {
    /// The server's evaluators (with the thread that stops idle ones).
    pub fn global() -> &'static Sessions {
        static SESSIONS: OnceLock<Sessions> = OnceLock::new();
        SESSIONS.get_or_init(|| {
            std::thread::spawn(|| loop {
                std::thread::sleep(Duration::from_secs(10));
                Sessions::global().stop_idle(IDLE);
            });
            Sessions { roots: Mutex::new(HashMap::new()) }
        })
    }

    #[cfg(test)]
    fn new() -> Sessions {
        Sessions { roots: Mutex::new(HashMap::new()) }
    }

    fn slot(&self, root: &Path) -> Arc<Slot> {
        let mut roots = self.roots.lock().unwrap_or_else(|e| e.into_inner());
        roots
            .entry(root.to_path_buf())
            .or_insert_with(|| {
                Arc::new(Slot {
                    session: Mutex::new(None),
                    last_used: Mutex::new(Instant::now()),
                    starts: AtomicU64::new(0),
                    loads: AtomicU64::new(0),
                })
            })
            .clone()
    }

    /// Stops the evaluators unused for `idle`, and beyond [`MAX_SESSIONS`] the least recently
    /// used ones (other than `keep`). Busy ones are left alone.
    fn stop_idle_except(&self, idle: Duration, keep: Option<&Path>) {
        let roots: Vec<(PathBuf, Arc<Slot>)> = {
            let roots = self.roots.lock().unwrap_or_else(|e| e.into_inner());
            roots.iter().map(|(p, s)| (p.clone(), s.clone())).collect()
        };
        let mut live: Vec<(Instant, PathBuf, Arc<Slot>)> = Vec::new();
        for (root, slot) in roots {
            let Ok(mut session) = slot.session.try_lock() else { continue };
            let used = *slot.last_used.lock().unwrap_or_else(|e| e.into_inner());
            if session.is_some() {
                if used.elapsed() >= idle {
                    log::info!("stopping the evaluator of {} (idle)", root.display());
                    *session = None;
                } else if keep != Some(root.as_path()) {
                    live.push((used, root, slot.clone()));
                }
            }
        }
        live.sort_by_key(|(used, _, _)| *used);
        let allowed = MAX_SESSIONS.saturating_sub(usize::from(keep.is_some()));
        let excess = live.len().saturating_sub(allowed);
        for (_, root, slot) in live.into_iter().take(excess) {
            if let Ok(mut session) = slot.session.try_lock() {
                log::info!("stopping the evaluator of {} (too many)", root.display());
                *session = None;
            }
        }
    }

    pub fn stop_idle(&self, idle: Duration) {
        self.stop_idle_except(idle, None);
    }

    /// Stops every evaluator (tests, shutdown).
    pub fn stop_all(&self) {
        self.stop_idle(Duration::ZERO);
    }

    /// The process id of the evaluator of `root`, when one runs.
    pub fn pid(&self, root: &Path) -> Option<i32> {
        let slot = self.roots.lock().ok()?.get(root)?.clone();
        let session = slot.session.lock().ok()?;
        session.as_ref().map(|s| s.repl.pid())
    }

    /// The epoch of the evaluator of `root` (never blocks: read while it works).
    pub fn epoch(&self, root: &Path) -> Epoch {
        let slot = self.slot(root);
        Epoch { starts: slot.starts.load(Ordering::Acquire), loads: slot.loads.load(Ordering::Acquire) }
    }

    /// Loads the flake at `root` in its evaluator (started or reloaded as needed) and runs `f`
    /// over it. A crashed evaluator is started again once.
    pub fn with_flake<R>(
        &self,
        nix: &Nix,
        root: &Path,
        options: &NixOptions,
        limits: Limits,
        cancel: &AtomicBool,
        f: impl FnOnce(&mut Loaded) -> R,
    ) -> Result<R, LoadError> {
        self.with_flake_as(nix, root, options, limits, Freshness::Workspace, cancel, f)
    }

    /// [`Sessions::with_flake`], loading a fresh copy of the workspace only when `fresh` asks
    /// for one or nothing is loaded; [`Loaded::epoch`] says which load `f` sees.
    #[allow(clippy::too_many_arguments)]
    pub fn with_flake_as<R>(
        &self,
        nix: &Nix,
        root: &Path,
        options: &NixOptions,
        limits: Limits,
        fresh: Freshness,
        cancel: &AtomicBool,
        f: impl FnOnce(&mut Loaded) -> R,
    ) -> Result<R, LoadError> {
        let slot = self.slot(root);
        let mut guard = slot.session.lock().unwrap_or_else(|e| e.into_inner());
        *slot.last_used.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        let key = Key::of(nix, root, options);
        let mut attempts = 0;
        let result = loop {
            attempts += 1;
            let stale = match guard.as_mut() {
                Some(s) => s.key != key || !s.repl.alive(),
                None => true,
            };
            if stale {
                *guard = None;
                self.stop_idle_except(IDLE, Some(root));
                *guard = Some(start(nix, root, options, key.clone(), &limits, cancel)?);
                slot.starts.fetch_add(1, Ordering::AcqRel);
            }
            let session = guard.as_mut().expect("started above");
            let reuse = fresh == Freshness::LastLoaded && session.root_bound;
            let loaded = if reuse { Ok(()) } else { load_root(session, root, &limits, cancel) };
            if !reuse {
                slot.loads.fetch_add(1, Ordering::AcqRel);
            }
            match loaded {
                Ok(()) => {}
                // flake.nix's inputs changed since the lock graph was made: lock again.
                Err(Reload::Inputs) if attempts < 3 => {
                    *guard = None;
                    continue;
                }
                Err(Reload::Inputs) => break Err(LoadError::Nix("the flake's inputs keep changing".into())),
                Err(Reload::Failed(LoadError::Evaluator(ReplError::Exited(_)))) if attempts < 2 => {
                    *guard = None;
                    continue;
                }
                Err(Reload::Failed(e)) => break Err(e),
            }
            let epoch = Epoch {
                starts: slot.starts.load(Ordering::Acquire),
                loads: slot.loads.load(Ordering::Acquire),
            };
            let mut loaded = Loaded { repl: &mut session.repl, limits, epoch };
            break Ok(f(&mut loaded));
        };
        if let Some(session) = guard.as_mut() {
            let over = session.repl.memory_mb().is_some_and(|m| m > limits.max_memory_mb);
            if !session.repl.alive() || over {
                *guard = None;
            }
        }
        *slot.last_used.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        result
    }
}

enum Reload {
    Inputs,
    Failed(LoadError),
}

/// A new evaluator for `root`: the lock graph from Nix, then the repl with it bound.
fn start(
    nix: &Nix,
    root: &Path,
    options: &NixOptions,
    key: Key,
    limits: &Limits,
    cancel: &AtomicBool,
) -> Result<Session, LoadError> {
    let mut args: Vec<String> = vec!["flake".into(), "metadata".into(), "--json".into()];
    args.extend(options.args());
    args.push(root.display().to_string());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = match nix.run_streaming(&argv, Some(root), limits.timeout, cancel, &mut |_| {}) {
        Ok(output) => output,
        Err(NixError::Failed { stderr, .. }) => return Err(LoadError::Nix(stderr)),
        Err(e) => return Err(LoadError::Run(e)),
    };
    let metadata: Value = serde_json::from_str(&output.stdout).map_err(|e| {
        LoadError::Run(NixError::UnexpectedOutput {
            command: "nix flake metadata --json".into(),
            detail: e.to_string(),
        })
    })?;
    let locks = metadata.get("locks").cloned().unwrap_or(Value::Null);
    let mut repl = nix
        .repl(root, &["--show-trace", "--option", "allow-import-from-derivation", "false"])
        .map_err(LoadError::Run)?;
    let lib = format!("{CALL_FLAKE} (builtins.fromJSON {})", nix_string(&locks.to_string()));
    repl.bind("_fl_lib", &lib, limits, cancel).map_err(LoadError::Evaluator)?;
    log::info!("evaluator of {} started (pid {})", root.display(), repl.pid());
    Ok(Session { repl, key, inputs: None, loads: 0, tracked: None, root_bound: false })
}

/// Binds `_fl_root` to the flake over a fresh copy of the workspace.
fn load_root(session: &mut Session, root: &Path, limits: &Limits, cancel: &AtomicBool) -> Result<(), Reload> {
    let failed = |e| Reload::Failed(LoadError::Evaluator(e));
    session.root_bound = false;
    session.loads += 1;
    let n = session.loads;
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let top = root.ancestors().find(|d| d.join(".git").exists()).map(Path::to_path_buf);
    let tracked = top.as_deref().and_then(crate::vcs::tracked_paths);
    if tracked.is_some() && tracked != session.tracked {
        let set: serde_json::Map<String, Value> =
            tracked.iter().flatten().map(|p| (p.clone(), Value::Bool(true))).collect();
        let expr = format!("builtins.fromJSON {}", nix_string(&Value::Object(set).to_string()));
        session.repl.bind("_fl_tracked", &expr, limits, cancel).map_err(failed)?;
        session.tracked = tracked;
    }
    let (source, dir) = source_expr(&root, top.as_deref().filter(|_| session.tracked.is_some()));
    session.repl.bind(&format!("_fl_src{n}"), &source, limits, cancel).map_err(failed)?;
    let flake_file = format!("(_fl_src{n}.outPath + {})", nix_string(&format!("{dir}/flake.nix")));
    let inputs = format!("builtins.toJSON ((import {flake_file}).inputs or {{}})");
    match session.repl.eval(&inputs, limits, cancel).map_err(failed)? {
        Ok(now) => match &session.inputs {
            Some(before) if *before != now => return Err(Reload::Inputs),
            Some(_) => {}
            None => session.inputs = Some(now),
        },
        Err(text) => return Err(Reload::Failed(LoadError::Nix(text))),
    }
    let sub = nix_string(dir.trim_start_matches('/'));
    session
        .repl
        .bind("_fl_root", &format!("_fl_lib.root _fl_src{n} {sub}"), limits, cancel)
        .map_err(failed)?;
    session.root_bound = true;
    // The previous copy is no longer needed.
    if n > 1 {
        let _ = session.repl.bind(&format!("_fl_src{}", n - 1), "null", limits, cancel);
    }
    Ok(())
}

/// The expression that copies the workspace as Nix would for this flake (inside a git
/// checkout `top`, only what git tracks: `_fl_tracked`), and the flake's directory inside that
/// copy (`""` or `/sub`). `builtins.path` reads the files again each time, where `fetchTree`
/// of a git checkout is cached for the life of the process by Nix 2.34.
fn source_expr(root: &Path, top: Option<&Path>) -> (String, String) {
    let info = "lastModified = 0; lastModifiedDate = \"19700101000000\";";
    match top {
        Some(top) => {
            let dir = root.strip_prefix(top).map(|d| d.display().to_string()).unwrap_or_default();
            let dir = if dir.is_empty() { String::new() } else { format!("/{dir}") };
            let skip = top.as_os_str().len() + 1;
            let filter = format!(
                "p: _: builtins.hasAttr (builtins.substring {skip} 1000000 (toString p)) _fl_tracked"
            );
            let path = nix_string(&top.display().to_string());
            (format!("{{ outPath = builtins.path {{ path = {path}; name = \"source\"; filter = {filter}; }}; {info} }}"), dir)
        }
        None => {
            let path = nix_string(&root.display().to_string());
            (
                format!("{{ outPath = builtins.path {{ path = {path}; name = \"source\"; }}; {info} }}"),
                String::new(),
            )
        }
    }
}

impl Loaded<'_> {
    /// Evaluates a string-valued expression over `_fl_root` (the flake's outputs and
    /// `sourceInfo`): its value, or Nix's error text.
    pub fn eval(&mut self, expr: &str, cancel: &AtomicBool) -> Result<Result<String, String>, ReplError> {
        self.repl.eval(expr, &self.limits, cancel)
    }

    /// Resident memory of the evaluator, in MiB.
    pub fn memory_mb(&self) -> Option<u64> {
        self.repl.memory_mb()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_inside_git_or_not() {
        let dir = std::env::temp_dir().join(format!("flake-lsp-session-src-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("repo/.git")).unwrap();
        std::fs::create_dir_all(dir.join("repo/sub")).unwrap();
        std::fs::create_dir_all(dir.join("plain")).unwrap();
        let top = dir.join("repo");
        let (expr, sub) = source_expr(&dir.join("repo/sub"), Some(&top));
        assert_eq!(sub, "/sub");
        assert!(expr.contains(&format!("path = \"{}\"; name = \"source\"; filter", top.display())), "{expr}");
        assert_eq!(source_expr(&top, Some(&top)).1, "");
        let (expr, sub) = source_expr(&dir.join("plain"), None);
        assert!(expr.starts_with("{ outPath = builtins.path") && !expr.contains("filter"), "{expr}");
        assert_eq!(sub, "");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn idle_sessions_are_stopped_and_busy_ones_kept() {
        let sessions = Sessions::new();
        let slot = sessions.slot(Path::new("/p"));
        *slot.last_used.lock().unwrap() = Instant::now() - Duration::from_secs(5);
        sessions.stop_idle(Duration::from_secs(1));
        assert!(slot.session.lock().unwrap().is_none());
        assert_eq!(sessions.pid(Path::new("/p")), None);
    }
}
