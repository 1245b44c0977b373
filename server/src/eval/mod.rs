//! Evaluation diagnostics: what only evaluating the flake finds, on the right line.
//!
//! Every output is evaluated by itself for the current system, without building, in the
//! flake's long-lived evaluator ([`session`]), so that one error does not hide the others: the
//! derivation path of each `packages`, `devShells`, `checks` (and `formatter`, `devShell`,
//! `defaultPackage`), each app's `program`, and the type of each overlay and NixOS module.
//! Configurations (`nixosConfigurations`, `homeConfigurations`) cost too much to evaluate on
//! every save: [`evaluate_attribute`] evaluates one on request. Import-from-derivation is off,
//! so nothing of the workspace runs. Nix's errors come from its text (`nix::error_text`) with
//! their position and trace; positions in the copy of the flake in the store, real paths and
//! `«git+file://…»` forms are mapped back to workspace files. An error whose own position is
//! not in the workspace (inside nixpkgs, say) is placed at the first frame of its trace that
//! is.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

pub mod attributes;
pub mod session;

use crate::env::realise::{self, NixOptions};
use crate::nix::internal_json::{self, Message};
use crate::nix::repl::nix_string;
use crate::nix::{Limits, Nix, NixError, ReplError};
use session::{LoadError, Loaded, Sessions};

/// A place in the workspace: the file relative to the root, 1-based line and column.
pub type Place = (PathBuf, u32, u32);

/// An evaluation error, placed in the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    pub message: String,
    /// Relative to the flake root; `flake.nix` when Nix pointed nowhere in the workspace.
    pub file: PathBuf,
    /// 1-based; (1, 1) when Nix pointed nowhere in the workspace.
    pub line: u32,
    pub column: u32,
    /// The first useful frame of the trace: what was being evaluated, and where.
    pub context: Option<(String, Option<Place>)>,
    /// The output being evaluated (`packages.x86_64-linux`).
    pub output: String,
    /// The error is that an input could not be fetched: which, and why.
    pub fetch: Option<crate::nix::FetchFailure>,
}

/// The outputs a flake's errors are looked for in, for the current system: each attribute
/// evaluated by itself, so one error does not hide another.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    /// As the user names it: `packages.x86_64-linux.server`.
    output: String,
    /// The attribute path below the outputs.
    path: Vec<String>,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Its `drvPath` (nothing is built).
    Derivation,
    /// An app: its `program` as a string.
    App,
    /// An overlay: a function.
    Function,
    /// A NixOS module: a function, a set or a path.
    Module,
}

/// Per-system sets of derivations and apps, checked name by name.
const PER_SYSTEM: &[(&str, Kind)] = &[
    ("packages", Kind::Derivation),
    ("devShells", Kind::Derivation),
    ("checks", Kind::Derivation),
    ("apps", Kind::App),
];
/// One value per system (the last three deprecated).
const ONE_PER_SYSTEM: &[(&str, Kind)] = &[
    ("formatter", Kind::Derivation),
    ("defaultPackage", Kind::Derivation),
    ("devShell", Kind::Derivation),
    ("defaultApp", Kind::App),
];
/// Sets of values checked by type only (and their deprecated single forms).
const BY_TYPE: &[(&str, Kind)] = &[("overlays", Kind::Function), ("nixosModules", Kind::Module)];
const ONE_BY_TYPE: &[(&str, Kind)] = &[("overlay", Kind::Function), ("nixosModule", Kind::Module)];

/// `_fl_root.outputs."a"."b"`.
fn select(path: &[String]) -> String {
    let mut out = String::from("_fl_root.outputs");
    for name in path {
        out.push('.');
        out.push_str(&nix_string(name));
    }
    out
}

impl Target {
    /// A string-valued expression that evaluates what this target needs.
    fn expr(&self) -> String {
        let v = select(&self.path);
        match self.kind {
            Kind::Derivation => format!(
                "let v = {v}; in if builtins.isAttrs v && v ? drvPath then builtins.toJSON v.drvPath else throw \"not a derivation\""
            ),
            Kind::App => format!("builtins.toJSON (toString {v}.program)"),
            Kind::Function => format!("builtins.toJSON (builtins.isFunction {v})"),
            Kind::Module => format!(
                "let v = {v}; in builtins.toJSON (builtins.isFunction v || builtins.isAttrs v || builtins.isPath v)"
            ),
        }
    }

    /// What the value must be, when a type check fails.
    fn wrong_type(&self) -> &'static str {
        match self.kind {
            Kind::Function => "is not a function (an overlay is `final: prev: { … }`)",
            _ => "is not a module (a function, an attribute set or a path)",
        }
    }
}

/// What a request on demand found: the derivation path, or the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evaluated {
    DrvPath(String),
    Value(String),
    Error(EvalError),
}

/// The expression for an output evaluated on request: a NixOS or home-manager configuration's
/// top-level derivation, any other output's `drvPath` (or its value as JSON).
fn requested_expr(path: &[String]) -> String {
    let v = select(path);
    match path.first().map(String::as_str) {
        Some("nixosConfigurations") if path.len() == 2 => {
            format!("builtins.toJSON {v}.config.system.build.toplevel.drvPath")
        }
        Some("homeConfigurations") if path.len() == 2 => format!("builtins.toJSON {v}.activationPackage.drvPath"),
        _ => format!(
            "let v = {v}; in builtins.toJSON (if builtins.isAttrs v && v ? drvPath then {{ drvPath = v.drvPath; }} else {{ value = builtins.typeOf v; }})"
        ),
    }
}

/// Evaluates every output of the flake at `root` for `system`, each by itself, in the flake's
/// evaluator ([`session`]); the errors found (empty when it evaluates). `Err` when the
/// evaluation could not run at all (no Nix, cancelled).
pub fn evaluate(
    nix: &Nix,
    root: &Path,
    system: &str,
    options: &NixOptions,
    limits: Limits,
    cancel: &AtomicBool,
) -> Result<Vec<EvalError>, NixError> {
    evaluate_with_names(nix, root, system, options, limits, cancel).map(|(errors, _)| errors)
}

/// [`evaluate`], and when an error says an attribute is missing, the names of the flake's
/// `nixpkgs` input's packages for `system`, read in the same evaluator (where nixpkgs is
/// already evaluated): what "did you mean" picks from.
pub fn evaluate_with_names(
    nix: &Nix,
    root: &Path,
    system: &str,
    options: &NixOptions,
    limits: Limits,
    cancel: &AtomicBool,
) -> Result<(Vec<EvalError>, Option<Vec<String>>), NixError> {
    let found = Sessions::global().with_flake(nix, root, options, limits, cancel, |flake| {
        let errors = check_outputs(flake, root, system, cancel)?;
        let names = errors
            .iter()
            .any(|e| crate::pkgs::missing_attribute(&e.message).is_some())
            .then(|| nixpkgs_names(flake, system, cancel))
            .flatten();
        Ok((errors, names))
    });
    match found {
        Ok(result) => result,
        Err(e) => load_failure(root, e, "flake.nix").map(|e| (vec![e], None)),
    }
}

/// The names in the `nixpkgs` input's `legacyPackages.<system>`, when it has one.
fn nixpkgs_names(flake: &mut Loaded, system: &str, cancel: &AtomicBool) -> Option<Vec<String>> {
    let expr = format!(
        "builtins.toJSON (builtins.attrNames (_fl_root.inputs.nixpkgs.legacyPackages.{} or {{}}))",
        nix_string(system)
    );
    let json = flake.eval(&expr, cancel).ok()?.ok()?;
    serde_json::from_str::<Vec<String>>(&json).ok().filter(|n| !n.is_empty())
}

/// Evaluates one output on request (`nixosConfigurations.x`, `homeConfigurations.x`, or any
/// attribute path below the outputs).
pub fn evaluate_attribute(
    nix: &Nix,
    root: &Path,
    attribute: &str,
    options: &NixOptions,
    limits: Limits,
    cancel: &AtomicBool,
) -> Result<Evaluated, NixError> {
    let path = split_attribute(attribute);
    let found = Sessions::global().with_flake(nix, root, options, limits, cancel, |flake| {
        match flake.eval(&requested_expr(&path), cancel) {
            Ok(Ok(json)) => {
                let v: serde_json::Value =
                    serde_json::from_str(&json).unwrap_or(serde_json::Value::String(json));
                Ok(match (v.as_str(), v.get("drvPath").and_then(|d| d.as_str()), v.get("value")) {
                    (Some(drv), _, _) | (_, Some(drv), _) => Evaluated::DrvPath(drv.to_string()),
                    (_, _, Some(kind)) => Evaluated::Value(kind.as_str().unwrap_or("").to_string()),
                    _ => Evaluated::Value(v.to_string()),
                })
            }
            Ok(Err(text)) => Ok(Evaluated::Error(from_text(root, &text, attribute, flake, &path, cancel))),
            Err(ReplError::Cancelled) => Err(NixError::Cancelled),
            Err(e) => Ok(Evaluated::Error(at_output(root, e.to_string(), attribute))),
        }
    });
    match found {
        Ok(result) => result,
        Err(e) => load_failure(root, e, attribute).map(Evaluated::Error),
    }
}

/// `a."b.c".d` as `["a", "b.c", "d"]`.
pub fn split_attribute(attribute: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = attribute.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => out.last_mut().expect("never empty").extend(chars.next()),
            '.' if !quoted => out.push(String::new()),
            c => out.last_mut().expect("never empty").push(c),
        }
    }
    out
}

/// The flake could not be loaded: one error (where Nix says), or `Err` when cancelled.
fn load_failure(root: &Path, e: LoadError, output: &str) -> Result<EvalError, NixError> {
    // An input that cannot be fetched: every output needs it, so this one error is all there is.
    let text = match &e {
        LoadError::Nix(text) | LoadError::Run(NixError::Failed { stderr: text, .. }) => Some(text.as_str()),
        _ => None,
    };
    if let Some((text, fetch)) = text.and_then(|t| crate::nix::fetch_failure(t).map(|f| (t, f))) {
        let words = crate::nix::error_text::parse(text)
            .map_or_else(|| internal_json::strip_ansi(text).trim().to_string(), |m| m.text);
        return Ok(EvalError { fetch: Some(fetch), ..at_top(root, words, output) });
    }
    match e {
        LoadError::Nix(text) => Ok(match crate::nix::error_text::parse(&text) {
            Some(m) => place(root, &m, output).0,
            None => at_top(root, internal_json::strip_ansi(&text).trim().to_string(), output),
        }),
        LoadError::Evaluator(ReplError::Cancelled) | LoadError::Run(NixError::Cancelled) => {
            Err(NixError::Cancelled)
        }
        LoadError::Evaluator(e) => Ok(at_top(root, e.to_string(), output)),
        LoadError::Run(NixError::Failed { stderr, .. }) => Ok(at_top(root, stderr, output)),
        LoadError::Run(e) => Err(e),
    }
}

fn check_outputs(
    flake: &mut Loaded,
    root: &Path,
    system: &str,
    cancel: &AtomicBool,
) -> Result<Vec<EvalError>, NixError> {
    let mut errors: Vec<EvalError> = Vec::new();
    let stop = |e: ReplError| match e {
        ReplError::Cancelled => NixError::Cancelled,
        other => NixError::UnexpectedOutput { command: "nix repl".into(), detail: other.to_string() },
    };
    // What the flake has; an error here is the whole flake's.
    let names: Vec<String> = match flake.eval("builtins.toJSON (builtins.attrNames _fl_root.outputs)", cancel)
    {
        Ok(Ok(json)) => serde_json::from_str(&json).unwrap_or_default(),
        Ok(Err(text)) => return Ok(vec![from_text(root, &text, "outputs", flake, &[], cancel)]),
        Err(e @ ReplError::Cancelled) => return Err(stop(e)),
        Err(e) => return Ok(vec![at_top(root, e.to_string(), "outputs")]),
    };
    let has = |n: &str| names.iter().any(|x| x == n);
    let mut targets: Vec<Target> = Vec::new();
    // The names under `<output>.<system>` (per system) or `<output>` (by type).
    let list = |flake: &mut Loaded,
                path: Vec<String>,
                errors: &mut Vec<EvalError>|
     -> Result<Vec<String>, NixError> {
        let (parent, last) = path.split_at(path.len() - 1);
        let expr = format!(
            "let p = {}; in builtins.toJSON (if builtins.hasAttr {} p then builtins.attrNames (p.{}) else [])",
            select(parent),
            nix_string(&last[0]),
            nix_string(&last[0])
        );
        match flake.eval(&expr, cancel).map_err(stop)? {
            Ok(json) => Ok(serde_json::from_str(&json).unwrap_or_default()),
            Err(text) => {
                errors.push(from_text(root, &text, &path.join("."), flake, &[], cancel));
                Ok(Vec::new())
            }
        }
    };
    for (output, kind) in PER_SYSTEM.iter().filter(|(o, _)| has(o)) {
        for name in list(flake, vec![output.to_string(), system.to_string()], &mut errors)? {
            let path = vec![output.to_string(), system.to_string(), name];
            targets.push(Target { output: path.join("."), path, kind: *kind });
        }
    }
    for (output, kind) in ONE_PER_SYSTEM.iter().filter(|(o, _)| has(o)) {
        let systems = list(flake, vec![output.to_string()], &mut errors)?;
        if systems.iter().any(|s| s == system) {
            let path = vec![output.to_string(), system.to_string()];
            targets.push(Target { output: path.join("."), path, kind: *kind });
        }
    }
    for (output, kind) in BY_TYPE.iter().filter(|(o, _)| has(o)) {
        for name in list(flake, vec![output.to_string()], &mut errors)? {
            let path = vec![output.to_string(), name];
            targets.push(Target { output: path.join("."), path, kind: *kind });
        }
    }
    for (output, kind) in ONE_BY_TYPE.iter().filter(|(o, _)| has(o)) {
        targets.push(Target { output: output.to_string(), path: vec![output.to_string()], kind: *kind });
    }
    for target in targets {
        let error = match flake.eval(&target.expr(), cancel) {
            Ok(Ok(value)) if matches!(target.kind, Kind::Function | Kind::Module) && value == "false" => {
                let mut e = at_top(root, target.wrong_type().to_string(), &target.output);
                if let Some((file, line, column)) = attr_position(flake, root, &target.path, cancel) {
                    (e.file, e.line, e.column) = (file, line, column);
                }
                e
            }
            Ok(Ok(_)) => continue,
            Ok(Err(text)) => from_text(root, &text, &target.output, flake, &target.path, cancel),
            Err(e @ ReplError::Cancelled) => return Err(stop(e)),
            // Stopped (time, memory, a crash): said on the output, the rest left unchecked.
            Err(e) => {
                errors.push(at_output(root, e.to_string(), &target.output));
                break;
            }
        };
        match errors.iter_mut().find(|e| {
            (&e.message, &e.file, e.line, e.column) == (&error.message, &error.file, error.line, error.column)
        }) {
            // The same mistake reached from several outputs: one error naming them all.
            Some(same) => {
                same.output.push_str(", ");
                same.output.push_str(&error.output);
            }
            None => errors.push(error),
        }
    }
    Ok(errors)
}

/// Where the attribute at `path` below the outputs is defined, in the workspace.
fn attr_position(flake: &mut Loaded, root: &Path, path: &[String], cancel: &AtomicBool) -> Option<Place> {
    let (parent, last) = path.split_at(path.len().checked_sub(1)?);
    let expr =
        format!("builtins.toJSON (builtins.unsafeGetAttrPos {} {})", nix_string(&last[0]), select(parent));
    let json = flake.eval(&expr, cancel).ok()?.ok()?;
    let v: serde_json::Value = serde_json::from_str(&json).ok()?;
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let file = in_workspace(&root, v["file"].as_str()?)?;
    Some((file, v["line"].as_u64()? as u32, v["column"].as_u64()? as u32))
}

/// Nix's error text for `output`, placed: where Nix points in the workspace, else where the
/// output is defined.
fn from_text(
    root: &Path,
    text: &str,
    output: &str,
    flake: &mut Loaded,
    path: &[String],
    cancel: &AtomicBool,
) -> EvalError {
    let fetch = crate::nix::fetch_failure(text);
    let Some(message) = crate::nix::error_text::parse(text) else {
        return EvalError {
            fetch,
            ..at_top(root, internal_json::strip_ansi(text).trim().to_string(), output)
        };
    };
    let (mut error, placed) = place(root, &message, output);
    // An input fetched lazily, when this output first needed it.
    error.fetch = fetch;
    if !placed && !path.is_empty() {
        if let Some((file, line, column)) = attr_position(flake, root, path, cancel) {
            (error.file, error.line, error.column) = (file, line, column);
        }
    }
    error
}

fn at_top(root: &Path, message: String, output: &str) -> EvalError {
    let _ = root;
    EvalError {
        message,
        file: PathBuf::from("flake.nix"),
        line: 1,
        column: 1,
        context: None,
        output: output.to_string(),
        fetch: None,
    }
}

/// An error Nix gave no place for (the evaluator stopped by a timeout or the memory limit),
/// placed where the output is defined in flake.nix, read without evaluation (the flake
/// model): the binding whose path matches most of `output` (`packages.<system>.foo` written as
/// `packages.foo` inside a per-system function counts), else line 1.
fn at_output(root: &Path, message: String, output: &str) -> EvalError {
    let mut error = at_top(root, message, output);
    if let Some((line, column)) = definition(root, output) {
        (error.line, error.column) = (line, column);
    }
    error
}

fn definition(root: &Path, output: &str) -> Option<(u32, u32)> {
    use crate::syntax::{LineIndex, PositionEncoding};
    let text = std::fs::read_to_string(root.join("flake.nix")).ok()?;
    let parsed = crate::syntax::parse(&text);
    let names = crate::syntax::scope::NameResolution::new(&parsed.root);
    let model = crate::flake::FlakeModel::new(&parsed.root, &names);
    let want = split_attribute(output);
    let best = model
        .output_definitions()
        .iter()
        .filter_map(|d| {
            let mut path = d.path.clone();
            if d.per_system {
                path.insert(1, want.get(1).cloned());
            }
            let matching =
                path.iter().zip(&want).take_while(|(a, b)| a.as_deref() == Some(b.as_str())).count();
            (matching > 0).then_some((matching, d))
        })
        .rev()
        .max_by_key(|(matching, _)| *matching)?
        .1;
    let at = LineIndex::new(&text).line_col(&text, best.name_range.start(), PositionEncoding::Utf8);
    Some((at.line + 1, at.col + 1))
}

/// A workspace file for a file as Nix names it.
/// A copy in the store holds the whole git checkout: for a flake in a subdirectory of it, the
/// path in the copy starts with that subdirectory.
fn in_workspace(root: &Path, file: &str) -> Option<PathBuf> {
    realise::map_file(root, None, file).or_else(|| {
        let after = file.strip_prefix("/nix/store/")?;
        let (_, rel) = after.split_once("-source/")?;
        let top = root.ancestors().find(|d| d.join(".git").exists());
        let sub = top.and_then(|t| root.strip_prefix(t).ok()).filter(|s| !s.as_os_str().is_empty());
        let rel = match sub {
            Some(sub) => Path::new(rel).strip_prefix(sub).ok()?,
            None => Path::new(rel),
        };
        root.join(rel).is_file().then(|| rel.to_path_buf())
    })
}

/// The error placed in the workspace, and whether Nix pointed anywhere in it.
fn place(root: &Path, m: &Message, output: &str) -> (EvalError, bool) {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let message = m.raw.clone().unwrap_or_else(|| m.text.clone());
    let own = m.file.as_deref().and_then(|f| in_workspace(&root, f)).zip(m.line.zip(m.column));
    let frames: Vec<(String, Option<Place>)> = m
        .trace
        .iter()
        .map(|f| {
            let at = f.file.as_deref().and_then(|file| in_workspace(&root, file)).zip(f.line.zip(f.column));
            (f.text.lines().next().unwrap_or("").to_string(), at.map(|(p, (l, c))| (p, l, c)))
        })
        .collect();
    let ((file, line, column), placed) = match own {
        Some((file, (line, column))) => ((file, line, column), true),
        None => match frames.iter().find_map(|(_, at)| at.clone()) {
            Some(at) => (at, true),
            None => ((PathBuf::from("flake.nix"), 1, 1), false),
        },
    };
    // The first frame that says where, other than the error's own place.
    let context = frames.into_iter().find(|(text, at)| {
        !text.is_empty() && at.as_ref().is_some_and(|a| *a != (file.clone(), line, column))
    });
    (EvalError { message, file, line, column, context, output: output.to_string(), fetch: None }, placed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nix::internal_json::Event;

    fn message(line: &str) -> Message {
        match internal_json::parse_line(line) {
            Some(Event::Msg(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_flake_in_a_subdirectory_of_its_checkout() {
        let dir = std::env::temp_dir().join(format!("flake-lsp-eval-sub-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        std::fs::create_dir_all(dir.join("tools/nix")).unwrap();
        std::fs::write(dir.join("tools/flake.nix"), "{}").unwrap();
        std::fs::write(dir.join("tools/nix/a.nix"), "{}").unwrap();
        let root = dir.join("tools");
        let store = "/nix/store/zzzz-source";
        assert_eq!(
            in_workspace(&root, &format!("{store}/tools/nix/a.nix")),
            Some(PathBuf::from("nix/a.nix"))
        );
        assert_eq!(in_workspace(&root, &format!("{store}/flake.nix")), None, "outside the flake");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn where_an_output_is_defined() {
        let dir = std::env::temp_dir().join(format!("flake-lsp-eval-def-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("flake.nix"),
            "{\n  outputs = { self, utils }: {\n    packages.x86_64-linux.a = 1;\n    packages.x86_64-linux.b = 2;\n  } // utils.lib.eachDefaultSystem (system: {\n    checks.unit = 3;\n  });\n}\n",
        )
        .unwrap();
        assert_eq!(definition(&dir, "packages.x86_64-linux.b"), Some((4, 5)));
        assert_eq!(definition(&dir, "checks.x86_64-linux.unit"), Some((6, 5)));
        assert_eq!(definition(&dir, "apps.x86_64-linux.default"), None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn attribute_paths() {
        assert_eq!(split_attribute("nixosConfigurations.web"), ["nixosConfigurations", "web"]);
        assert_eq!(
            split_attribute(r#"homeConfigurations."me@host.lan""#),
            ["homeConfigurations", "me@host.lan"]
        );
        let t =
            Target { output: "x".into(), path: vec!["overlays".into(), "a b".into()], kind: Kind::Function };
        assert_eq!(t.expr(), r#"builtins.toJSON (builtins.isFunction _fl_root.outputs."overlays"."a b")"#);
        assert!(requested_expr(&split_attribute("nixosConfigurations.web"))
            .ends_with(".config.system.build.toplevel.drvPath"));
    }

    #[test]
    fn errors_are_placed_in_the_workspace() {
        let root = std::env::temp_dir().join(format!("flake-lsp-eval-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("flake.nix"), "{}").unwrap();
        // Nix 2.8: the copy in the store.
        let m = message(
            r#"@nix {"action":"msg","column":120,"file":"/nix/store/h32a2c1x01wpwyw831r9cgj0c0q4yxsr-source/flake.nix","level":0,"line":3,"msg":"e","raw_msg":"cannot add a string to an integer","trace":[{"column":36,"file":"/nix/store/h32a2c1x01wpwyw831r9cgj0c0q4yxsr-source/flake.nix","line":3,"raw_msg":"while evaluating the attribute 'x' of the derivation 'p'"}]}"#,
        );
        let (e, placed) = place(&root, &m, "packages.x86_64-linux");
        assert!(placed);
        assert_eq!((e.file.as_path(), e.line, e.column), (Path::new("flake.nix"), 3, 120));
        assert_eq!(e.message, "cannot add a string to an integer");
        assert_eq!(
            e.context,
            Some((
                "while evaluating the attribute 'x' of the derivation 'p'".into(),
                Some(("flake.nix".into(), 3, 36))
            ))
        );
        // An error inside nixpkgs: placed at the first frame in the workspace.
        let real = root.canonicalize().unwrap();
        let line = format!(
            r#"@nix {{"action":"msg","column":5,"file":"/nix/store/zzzz-source/pkgs/top-level.nix:10:5","level":0,"line":10,"msg":"e","raw_msg":"boom","trace":[{{"column":1,"file":"/nix/store/zzzz-source/lib.nix:1:1","line":1,"raw_msg":"inside"}},{{"column":9,"file":"{}/flake.nix:7:9","line":7,"raw_msg":"while evaluating 'shell'"}}]}}"#,
            real.display()
        );
        let (e, _) = place(&root, &message(&line), "devShells.x86_64-linux");
        assert_eq!((e.file.as_path(), e.line, e.column), (Path::new("flake.nix"), 7, 9));
        assert_eq!(e.context, None, "the only workspace frame is the place itself");
        let _ = std::fs::remove_dir_all(&root);
    }
}
