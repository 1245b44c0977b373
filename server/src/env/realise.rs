//! Realising a dev shell with Nix: which shells a flake has, and `nix print-dev-env` with a GC
//! root, progress from Nix's JSON log, and the workspace files the evaluation read.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::nix::internal_json::{self, Event, Progress};
use crate::nix::{Nix, NixError};

/// How to call Nix for one flake: the flake, and what the user adds to every call.
#[derive(Debug, Clone, Default)]
pub struct NixOptions {
    /// `--override-input NAME REF` pairs (tests point nixpkgs at a fixture; users may too).
    pub override_inputs: Vec<(String, String)>,
    pub timeout: Option<Duration>,
}

impl NixOptions {
    pub(crate) fn args(&self) -> Vec<String> {
        let mut out = vec!["--no-write-lock-file".to_string()];
        for (name, reference) in &self.override_inputs {
            out.extend(["--override-input".to_string(), name.clone(), reference.clone()]);
        }
        out
    }

    fn timeout(&self) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(3600))
    }
}

/// The flake reference for a directory: the path itself, as `nix develop` in it would use.
fn flake_ref(root: &Path, attr: &str) -> String {
    format!("{}#{attr}", root.display())
}

/// The system Nix builds for (`x86_64-linux`).
pub fn current_system(nix: &Nix) -> Result<String, NixError> {
    let out =
        nix.run(&["eval", "--impure", "--raw", "--expr", "builtins.currentSystem"], Duration::from_secs(60))?;
    Ok(out.stdout.trim().to_string())
}

/// The dev shells of a flake for `system`, as attribute paths: every `devShells.<system>.*`,
/// else the deprecated `devShell.<system>`. Evaluates without building, with
/// import-from-derivation off, so nothing of the workspace runs.
pub fn list_shells(
    nix: &Nix,
    root: &Path,
    system: &str,
    options: &NixOptions,
) -> Result<Vec<String>, NixError> {
    let mut args: Vec<String> = vec![
        "eval".into(),
        "--json".into(),
        "--option".into(),
        "allow-import-from-derivation".into(),
        "false".into(),
    ];
    args.extend(options.args());
    let shells_attr = format!("devShells.{system}");
    let mut with = args.clone();
    with.extend([flake_ref(root, &shells_attr), "--apply".into(), "builtins.attrNames".into()]);
    let argv: Vec<&str> = with.iter().map(String::as_str).collect();
    match nix.run(&argv, options.timeout()) {
        Ok(out) => {
            let names: Vec<String> = serde_json::from_str(out.stdout.trim()).map_err(|e| {
                NixError::UnexpectedOutput { command: "nix eval devShells".into(), detail: e.to_string() }
            })?;
            if !names.is_empty() {
                return Ok(names.into_iter().map(|n| format!("{shells_attr}.{}", quote_attr(&n))).collect());
            }
        }
        Err(NixError::Failed { stderr, .. }) if missing_attribute(&stderr) => {}
        Err(err) => return Err(err),
    }
    let legacy = format!("devShell.{system}");
    let mut with = args;
    with.extend([flake_ref(root, &legacy), "--apply".into(), "_: true".into()]);
    let argv: Vec<&str> = with.iter().map(String::as_str).collect();
    match nix.run(&argv, options.timeout()) {
        Ok(_) => Ok(vec![legacy]),
        Err(NixError::Failed { stderr, .. }) if missing_attribute(&stderr) => Ok(Vec::new()),
        Err(err) => Err(err),
    }
}

/// Whether Nix said the flake lacks the attribute (2.8: "does not provide attribute";
/// newer: the same words).
fn missing_attribute(stderr: &str) -> bool {
    stderr.contains("does not provide attribute")
}

/// `default` stays as is; names that are not plain identifiers are quoted.
fn quote_attr(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '\''));
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

#[derive(Debug)]
pub struct Realised {
    /// The bash script `nix print-dev-env` printed.
    pub script: String,
    /// Workspace files the evaluation read, relative to the root.
    pub read_files: Vec<PathBuf>,
    /// The store path the profile points to.
    pub store_path: Option<PathBuf>,
}

#[derive(Debug)]
pub struct RealiseError {
    pub message: String,
    /// Where in the workspace, when Nix said: (file relative to the root, line, column).
    pub position: Option<(PathBuf, u32, u32)>,
    pub cancelled: bool,
    /// An input could not be fetched (no network, a rate limit, credentials).
    pub fetch: Option<crate::nix::FetchFailure>,
}

impl std::fmt::Display for RealiseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.position {
            Some((file, line, col)) => write!(f, "{}:{line}:{col}: {}", file.display(), self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

/// What to realise: the flake, its dev shell attribute, and the GC root to keep it alive.
pub struct Target<'a> {
    pub root: &'a Path,
    pub attr: &'a str,
    pub profile: &'a Path,
    pub options: &'a NixOptions,
}

/// `nix print-dev-env --profile <profile>` for the target. Progress goes to `on_progress` as
/// Nix reports it; everything Nix says goes to `log`.
pub fn print_dev_env(
    nix: &Nix,
    target: &Target,
    log: &mut dyn std::io::Write,
    cancel: &AtomicBool,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<Realised, RealiseError> {
    let Target { root, attr, profile, options } = *target;
    let mut args: Vec<String> = vec![
        "print-dev-env".into(),
        "--profile".into(),
        profile.display().to_string(),
        "--log-format".into(),
        "internal-json".into(),
        "-v".into(),
        "--option".into(),
        "allow-import-from-derivation".into(),
        "false".into(),
    ];
    args.extend(options.args());
    args.push(flake_ref(root, attr));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut progress = Progress::default();
    let mut files = EvaluatedFiles::new(root);
    let mut first_error: Option<internal_json::Message> = None;
    let mut on_line = |line: &str| {
        let Some(event) = internal_json::parse_line(line) else {
            let _ = writeln!(log, "{line}");
            return;
        };
        match &event {
            Event::Msg(m) => {
                if let Some(file) = internal_json::evaluated_file(m) {
                    files.add(file);
                } else if m.level <= 1 {
                    let _ = writeln!(log, "{}", m.text);
                }
                if m.level == 0 && first_error.is_none() {
                    first_error = Some(m.clone());
                }
            }
            Event::Result { kind: internal_json::result::BUILD_LOG_LINE, fields, .. } => {
                if let Some(text) = fields.first().and_then(|v| v.as_str()) {
                    let _ = writeln!(log, "  {text}");
                }
            }
            Event::Start { text, .. } if !text.is_empty() => {
                let _ = writeln!(log, "{text}");
            }
            _ => {}
        }
        let before = (progress.message(), progress.percentage());
        progress.feed(&event);
        if (progress.message(), progress.percentage()) != before {
            on_progress(&progress);
        }
    };
    let result = nix.run_streaming(&argv, Some(root), options.timeout(), cancel, &mut on_line);
    match result {
        Ok(out) => Ok(Realised {
            script: out.stdout,
            read_files: files.into_files(),
            store_path: std::fs::canonicalize(profile).ok(),
        }),
        Err(NixError::Cancelled) => {
            Err(RealiseError { message: "cancelled".into(), position: None, cancelled: true, fetch: None })
        }
        Err(NixError::Failed { stderr, code, .. }) => {
            let map = files.mapping();
            let mut message = first_error.as_ref().and_then(|m| m.raw.clone()).unwrap_or_else(|| {
                stderr.lines().filter(|l| !l.starts_with("@nix ")).collect::<Vec<_>>().join("\n")
            });
            if message.trim().is_empty() {
                // Killed, or died without a word: say how it ended.
                message = match code {
                    Some(code) => {
                        format!("nix print-dev-env exited with code {code} without an error message")
                    }
                    None => "nix print-dev-env was killed by a signal before it finished".to_string(),
                };
            }
            let position = first_error.as_ref().and_then(|m| {
                let file = map(m.file.as_deref()?)?;
                Some((file, m.line?, m.column?))
            });
            let fetch = crate::nix::fetch_failure(&stderr);
            Err(RealiseError { message, position, cancelled: false, fetch })
        }
        Err(err) => {
            Err(RealiseError { message: err.to_string(), position: None, cancelled: false, fetch: None })
        }
    }
}

/// nixpkgs' `bashInteractive` from the flake's own nixpkgs input (the input named `nixpkgs`,
/// or what `--override-input nixpkgs` points it at), realised with `out_link` as its GC root,
/// as `nix develop` does when it needs a bash. Nothing is built when it is in the store.
/// Returns its `bin/bash`.
pub fn bash_interactive(
    nix: &Nix,
    root: &Path,
    system: &str,
    options: &NixOptions,
    out_link: &Path,
    cancel: &AtomicBool,
) -> Result<PathBuf, String> {
    let attr = format!("legacyPackages.{system}.bashInteractive");
    let mut args: Vec<String> = vec!["build".into(), "--out-link".into(), out_link.display().to_string()];
    match options.override_inputs.iter().find(|(name, _)| name == "nixpkgs") {
        Some((_, reference)) => args.push(format!("{reference}#{attr}")),
        None if has_nixpkgs_input(root) => {
            args.extend(["--inputs-from".into(), root.display().to_string(), format!("nixpkgs#{attr}")]);
        }
        None => return Err("flake.lock locks no input named nixpkgs to build it from".to_string()),
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    match nix.run_streaming(&argv, Some(root), options.timeout(), cancel, &mut |_| {}) {
        Ok(_) => {
            let bash = out_link.join("bin/bash");
            if bash.is_file() {
                Ok(bash)
            } else {
                Err(format!("{} has no bin/bash", out_link.display()))
            }
        }
        Err(NixError::Failed { stderr, .. }) => {
            let text = internal_json::strip_ansi(&stderr);
            let first = text.lines().find(|l| l.contains("error:")).unwrap_or(text.trim());
            Err(format!("it could not be built: {}", first.trim()))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Whether the flake's lock file has a root input named `nixpkgs` (without one, `nixpkgs`
/// would be looked up in the registry, which means the network).
fn has_nixpkgs_input(root: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(root.join("flake.lock")) else { return false };
    let Ok(lock) = crate::flake::lock::FlakeLock::parse(&text) else { return false };
    lock.nodes.get(&lock.root).is_some_and(|node| node.inputs.contains_key("nixpkgs"))
}

/// The files Nix evaluated, mapped back to the workspace. Nix 2.8 names them inside the copy
/// of the flake in the store (`/nix/store/<hash>-source/…`); newer Nix names the real path, or
/// `«git+file:///…»/path`. The root flake's `flake.nix` is evaluated first, which tells where
/// its copy is.
struct EvaluatedFiles {
    root: PathBuf,
    source: Option<String>,
    files: Vec<PathBuf>,
}

impl EvaluatedFiles {
    fn new(root: &Path) -> EvaluatedFiles {
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        EvaluatedFiles { root, source: None, files: Vec::new() }
    }

    fn add(&mut self, file: &str) {
        if self.source.is_none() && file.ends_with("/flake.nix") && file.starts_with("/nix/store/") {
            self.source = Some(file.trim_end_matches("flake.nix").to_string());
        }
        if let Some(path) = map_file(&self.root, self.source.as_deref(), file) {
            if !self.files.contains(&path) {
                self.files.push(path);
            }
        }
    }

    fn mapping(&self) -> impl Fn(&str) -> Option<PathBuf> + '_ {
        move |file| map_file(&self.root, self.source.as_deref(), file)
    }

    fn into_files(self) -> Vec<PathBuf> {
        self.files
    }
}

/// A file as Nix names it, relative to the root when it is in the workspace.
pub fn map_file(root: &Path, store_source: Option<&str>, file: &str) -> Option<PathBuf> {
    if let Some(rest) = store_source.and_then(|s| file.strip_prefix(s)) {
        return Some(PathBuf::from(rest));
    }
    if let Some(rest) = file.strip_prefix('«') {
        // «git+file:///abs/root»/rel or «git+file:///abs/root?dir=sub»/rel
        let (reference, rel) = rest.split_once('»')?;
        let path = reference.split_once("://").map_or(reference, |(_, p)| p);
        let path = path.split('?').next().unwrap_or(path);
        let full = Path::new(path).join(rel.trim_start_matches('/'));
        return within(root, &full, MACOS);
    }
    within(root, Path::new(file), MACOS)
}

/// Whether paths are written the macOS way: `/tmp`, `/var` and `/etc` are symlinks into
/// `/private`, and the file system ignores case (APFS's default).
const MACOS: bool = cfg!(target_os = "macos");

/// `file` relative to `root`, when it is inside. With `macos`, a `/private` prefix on either
/// side is ignored (Nix prints `/private/var/folders/…` for a project the editor opened as
/// `/var/folders/…`, and `/private/tmp` for `/tmp`), and so is the case of the root's
/// components.
fn within(root: &Path, file: &Path, macos: bool) -> Option<PathBuf> {
    if let Ok(rel) = file.strip_prefix(root) {
        return Some(rel.to_path_buf());
    }
    if !macos {
        return None;
    }
    let unprivate = |p: &Path| -> PathBuf {
        match p.strip_prefix("/private") {
            Ok(rest) if ["tmp", "var", "etc"].iter().any(|d| rest.starts_with(d)) => {
                Path::new("/").join(rest)
            }
            _ => p.to_path_buf(),
        }
    };
    let (root, file) = (unprivate(root), unprivate(file));
    let mut rest = file.components();
    for part in root.components() {
        let theirs = rest.next()?;
        if !part.as_os_str().to_string_lossy().eq_ignore_ascii_case(&theirs.as_os_str().to_string_lossy()) {
            return None;
        }
    }
    Some(rest.as_path().to_path_buf())
}

/// The first `at FILE:LINE:COL` in Nix's human error output that is a workspace file: the
/// position of an evaluation error when only the text is at hand.
pub fn error_position(root: &Path, text: &str) -> Option<(PathBuf, u32, u32)> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix("at ") else { continue };
        let rest = rest.trim_end().trim_end_matches(':');
        let mut parts = rest.rsplitn(3, ':');
        let (Some(col), Some(line_no), Some(file)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let (Ok(line_no), Ok(col)) = (line_no.parse::<u32>(), col.parse::<u32>()) else { continue };
        let mapped = map_file(&root, None, file).or_else(|| {
            // `/nix/store/<hash>-source/<rel>`: the copy of the flake, when `rel` is ours.
            let after = file.strip_prefix("/nix/store/")?;
            let (_, rel) = after.split_once("-source/")?;
            root.join(rel).is_file().then(|| PathBuf::from(rel))
        });
        if let Some(file) = mapped {
            return Some((file, line_no, col));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_map_back_from_every_form_nix_uses() {
        let root = Path::new("/work/project");
        let store = Some("/nix/store/ahv4qz1hhj59ggyq03wccnvqdzy9mai8-source/");
        let m = |f: &str| map_file(root, store, f).map(|p| p.display().to_string());
        assert_eq!(
            m("/nix/store/ahv4qz1hhj59ggyq03wccnvqdzy9mai8-source/flake.nix").as_deref(),
            Some("flake.nix")
        );
        assert_eq!(
            m("/nix/store/ahv4qz1hhj59ggyq03wccnvqdzy9mai8-source/nix/shell.nix").as_deref(),
            Some("nix/shell.nix")
        );
        assert_eq!(m("/work/project/local.nix").as_deref(), Some("local.nix"));
        assert_eq!(m("«git+file:///work/project»/sub/x.nix").as_deref(), Some("sub/x.nix"));
        assert_eq!(m("/nix/store/zzzz-source/default.nix"), None, "another input's file");
        assert_eq!(m("«nix-internal»/derivation-internal.nix"), None);
    }

    #[test]
    fn macos_paths_map_back_through_private_and_case() {
        let root = Path::new("/var/folders/xy/T/proj");
        let m = |f: &str, mac: bool| within(root, Path::new(f), mac).map(|p| p.display().to_string());
        assert_eq!(m("/private/var/folders/xy/T/proj/flake.nix", true).as_deref(), Some("flake.nix"));
        assert_eq!(m("/private/var/folders/xy/T/proj/flake.nix", false), None, "Linux has no /private");
        assert_eq!(m("/var/folders/XY/t/Proj/nix/a.nix", true).as_deref(), Some("nix/a.nix"));
        assert_eq!(m("/var/folders/XY/t/Proj/nix/a.nix", false), None, "Linux is case-sensitive");
        assert_eq!(m("/var/folders/xy/T/other/flake.nix", true), None);
        assert_eq!(m("/private/somewhere/else", true), None);
        let tmp = Path::new("/private/tmp/p");
        assert_eq!(within(tmp, Path::new("/tmp/p/flake.nix"), true), Some(PathBuf::from("flake.nix")));
        assert_eq!(within(tmp, Path::new("/tmp/p/flake.nix"), false), None);
    }

    #[test]
    fn positions_in_human_errors() {
        let root = std::env::temp_dir().join(format!("flake-lsp-errpos-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("flake.nix"), "{}").unwrap();
        let text = "error: undefined variable 'x'\n\n       at /nix/store/5d584dk9lmah4ypai8qbgdvfn5f5fm49-source/flake.nix:61:1:\n\n           60| }";
        assert_eq!(error_position(&root, text), Some((PathBuf::from("flake.nix"), 61, 1)));
        let text = format!("error: x\n       at {}/flake.nix:3:7:", root.canonicalize().unwrap().display());
        assert_eq!(error_position(&root, &text), Some((PathBuf::from("flake.nix"), 3, 7)));
        assert_eq!(error_position(&root, "error: x\n at /nix/store/abc-source/other.nix:1:1:"), None);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn attribute_names_are_quoted_when_needed() {
        assert_eq!(quote_attr("default"), "default");
        assert_eq!(quote_attr("py-3.11"), "\"py-3.11\"");
        assert_eq!(quote_attr("cuda_12"), "cuda_12");
    }
}
