//! The attribute names the flake's evaluator sees below its inputs and its own outputs, with
//! the kind of each value: what completion offers after `self.`, `inputs.<name>.`,
//! `nixpkgs.lib.` or `<input>.packages.${system}.`.
//!
//! One request per set, shallow: each attribute is forced to its head only (a function, a set,
//! a string…; a set with `type = "derivation"` is a derivation), each under `tryEval`, so an
//! attribute that throws costs only itself. Nothing is built and import-from-derivation stays
//! off (the evaluator's own options). Answers are kept in a [`Cache`] per (root, query) until
//! the evaluator is started again (inputs) or loads the workspace again (`self`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::session::{Epoch, Freshness, Loaded, Sessions};
use crate::env::realise::NixOptions;
use crate::nix::repl::nix_string;
use crate::nix::{Limits, Nix};

/// Above this many attributes a set is listed by name only: forcing each one's head would
/// cost too much (such sets are package sets, which the package index covers).
const MAX_KINDS: usize = 5000;
/// The longest one listing may take: it is shallow, so only a broken input takes long, and a
/// timeout stops the evaluator (it is started again on the next request).
const TIMEOUT: Duration = Duration::from_secs(60);

/// Where a set is read from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Base {
    /// The flake itself (`self`): its outputs and source.
    Flake,
    /// One of the root flake's inputs, by the name the flake gives it.
    Input(String),
}

/// One step below the base, as the text says it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    Name(String),
    /// `${system}` (any interpolation) after a per-system output: the current system.
    System,
}

/// The set completion is after, as found in the text: `base` then `path`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub base: Base,
    pub path: Vec<Step>,
}

impl Target {
    /// The set to list, on `system`.
    pub fn query(&self, system: &str) -> Query {
        let path = self
            .path
            .iter()
            .map(|s| match s {
                Step::Name(n) => n.clone(),
                Step::System => system.to_string(),
            })
            .collect();
        Query { base: self.base.clone(), path }
    }
}

/// A set to list: `base` then the attribute names in `path`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Query {
    pub base: Base,
    pub path: Vec<String>,
}

/// What a value is, as far as its head says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Function,
    Set,
    /// A set with `type = "derivation"`.
    Derivation,
    String,
    List,
    Int,
    Float,
    Bool,
    Null,
    Path,
    /// Evaluating its head threw.
    Error,
    /// Not evaluated (a set too large to look into each attribute).
    Unknown,
}

impl ValueKind {
    fn parse(s: &str) -> ValueKind {
        match s {
            "function" => ValueKind::Function,
            "set" => ValueKind::Set,
            "derivation" => ValueKind::Derivation,
            "string" => ValueKind::String,
            "list" => ValueKind::List,
            "int" => ValueKind::Int,
            "float" => ValueKind::Float,
            "bool" => ValueKind::Bool,
            "null" => ValueKind::Null,
            "path" => ValueKind::Path,
            "error" => ValueKind::Error,
            _ => ValueKind::Unknown,
        }
    }

    /// As completion shows it.
    pub fn describe(self) -> &'static str {
        match self {
            ValueKind::Function => "function",
            ValueKind::Set => "attribute set",
            ValueKind::Derivation => "derivation",
            ValueKind::String => "string",
            ValueKind::List => "list",
            ValueKind::Int => "integer",
            ValueKind::Float => "float",
            ValueKind::Bool => "boolean",
            ValueKind::Null => "null",
            ValueKind::Path => "path",
            ValueKind::Error => "error when evaluated",
            ValueKind::Unknown => "value",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    pub name: String,
    pub kind: ValueKind,
}

/// What completion gets from the evaluator for the set at the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The attributes, sorted by name.
    Ready(Arc<Vec<Attr>>),
    /// Asked, no answer yet: the list is incomplete, the editor asks again.
    Pending,
    /// Nothing to offer: not a set, an input that is not locked, an evaluation that failed.
    Unavailable,
}

/// The expression for the set of `query` in the evaluator (`_fl_root`, the loaded flake).
fn select(query: &Query) -> String {
    let mut out = match &query.base {
        Base::Flake => "_fl_root".to_string(),
        Base::Input(name) => format!("_fl_root.inputs.{}", nix_string(name)),
    };
    for name in &query.path {
        out.push('.');
        out.push_str(&nix_string(name));
    }
    out
}

/// A string-valued expression: JSON of `[[name, kind], …]` (`null` when the value is not a
/// set). Pairs, not a set: `toJSON` writes a set with `outPath` (the flake's own) as that.
fn kinds_expr(query: &Query) -> String {
    let kind = r#"x: if builtins.isFunction x then "function" else if builtins.isAttrs x then (let t = builtins.tryEval (x.type or null); in if t.success && t.value == "derivation" then "derivation" else "set") else if builtins.isString x then "string" else if builtins.isList x then "list" else if builtins.isBool x then "bool" else if builtins.isInt x then "int" else if builtins.isFloat x then "float" else if builtins.isPath x then "path" else if x == null then "null" else "unknown""#;
    format!(
        "let v = {}; kind = {kind}; in builtins.toJSON (if !builtins.isAttrs v then null else if builtins.length (builtins.attrNames v) > {MAX_KINDS} then map (n: [n \"unknown\"]) (builtins.attrNames v) else builtins.attrValues (builtins.mapAttrs (n: a: [n (let t = builtins.tryEval (kind a); in if t.success then t.value else \"error\")]) v))",
        select(query)
    )
}

/// The names alone, when looking at the values failed in a way `tryEval` does not catch.
fn names_expr(query: &Query) -> String {
    format!(
        "let v = {}; in builtins.toJSON (if builtins.isAttrs v then map (n: [n \"unknown\"]) (builtins.attrNames v) else null)",
        select(query)
    )
}

fn parse(json: &str) -> Option<Vec<Attr>> {
    let pairs: Option<Vec<(String, String)>> = serde_json::from_str(json).ok()?;
    let mut attrs: Vec<Attr> =
        pairs?.into_iter().map(|(name, kind)| Attr { name, kind: ValueKind::parse(&kind) }).collect();
    attrs.sort_by(|a, b| a.name.cmp(&b.name));
    Some(attrs)
}

/// Lists the set of `query` in a loaded flake: the attributes, or `None` when it is not a set
/// or cannot be evaluated.
pub fn list(flake: &mut Loaded, query: &Query, cancel: &AtomicBool) -> Option<Vec<Attr>> {
    match flake.eval(&kinds_expr(query), cancel) {
        Ok(Ok(json)) => parse(&json),
        Ok(Err(_)) => match flake.eval(&names_expr(query), cancel) {
            Ok(Ok(json)) => parse(&json),
            Ok(Err(text)) => {
                log::debug!("no attributes for {query:?}: {}", text.lines().next().unwrap_or(""));
                None
            }
            Err(_) => None,
        },
        Err(e) => {
            log::info!("listing {query:?} stopped: {e}");
            None
        }
    }
}

/// Asks the evaluator of `root` (waiting for it while it is busy; started when it is not
/// running) for the set of `query`, over the workspace it last loaded. The answer and the
/// epoch it belongs to; `None` for the answer when there is nothing to offer.
pub fn request(
    nix: &Nix,
    root: &Path,
    options: &NixOptions,
    limits: Limits,
    query: &Query,
) -> (Option<Vec<Attr>>, Epoch) {
    let no = AtomicBool::new(false);
    let limits = Limits { timeout: limits.timeout.min(TIMEOUT), ..limits };
    let sessions = Sessions::global();
    match sessions.with_flake_as(nix, root, options, limits, Freshness::LastLoaded, &no, |flake| {
        (list(flake, query, &no), flake.epoch)
    }) {
        Ok(found) => found,
        Err(e) => {
            log::info!("no attributes for {query:?}: the flake did not load: {e:?}");
            (None, sessions.epoch(root))
        }
    }
}

/// An answer kept: the epoch it came from, the attributes (`None`: nothing to offer).
type Kept = (Epoch, Option<Arc<Vec<Attr>>>);

/// Answers by (root, query), each valid while the evaluator is at the epoch it came from.
#[derive(Default)]
pub struct Cache {
    entries: Mutex<HashMap<(PathBuf, Query), Kept>>,
}

impl Cache {
    /// The answer kept for `query`, when still valid at `now` (the evaluator's epoch): the
    /// inputs' attributes while the same evaluator runs, the flake's own while it has not
    /// loaded the workspace again.
    pub fn get(&self, root: &Path, query: &Query, now: Epoch) -> Option<Answer> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (at, attrs) = entries.get(&(root.to_path_buf(), query.clone()))?;
        let valid = match query.base {
            Base::Flake => *at == now,
            Base::Input(_) => at.starts == now.starts,
        };
        valid.then(|| match attrs {
            Some(attrs) => Answer::Ready(attrs.clone()),
            None => Answer::Unavailable,
        })
    }

    pub fn put(&self, root: &Path, query: &Query, at: Epoch, attrs: Option<Vec<Attr>>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.insert((root.to_path_buf(), query.clone()), (at, attrs.map(Arc::new)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_and_answers() {
        let q = Query { base: Base::Input("nixpkgs".into()), path: vec!["lib".into(), "a b".into()] };
        assert_eq!(select(&q), r#"_fl_root.inputs."nixpkgs"."lib"."a b""#);
        assert_eq!(select(&Query { base: Base::Flake, path: vec![] }), "_fl_root");
        assert!(kinds_expr(&q).contains("tryEval (kind a)"));
        let attrs =
            parse(r#"[["zip","function"],["a","set"],["drv","derivation"],["bad","error"]]"#).unwrap();
        let shown: Vec<(&str, &str)> = attrs.iter().map(|a| (a.name.as_str(), a.kind.describe())).collect();
        assert_eq!(
            shown,
            [
                ("a", "attribute set"),
                ("bad", "error when evaluated"),
                ("drv", "derivation"),
                ("zip", "function")
            ]
        );
        assert_eq!(parse("null"), None);
    }

    #[test]
    fn the_cache_holds_until_the_evaluator_moves_on() {
        let cache = Cache::default();
        let root = Path::new("/p");
        let lib = Query { base: Base::Input("nixpkgs".into()), path: vec!["lib".into()] };
        let own = Query { base: Base::Flake, path: vec![] };
        let at = Epoch { starts: 1, loads: 3 };
        cache.put(root, &lib, at, Some(vec![Attr { name: "id".into(), kind: ValueKind::Function }]));
        cache.put(root, &own, at, None);
        let next_load = Epoch { starts: 1, loads: 4 };
        assert!(matches!(cache.get(root, &lib, next_load), Some(Answer::Ready(_))));
        assert_eq!(cache.get(root, &own, at), Some(Answer::Unavailable));
        assert_eq!(cache.get(root, &own, next_load), None, "the workspace was loaded again");
        assert_eq!(cache.get(root, &lib, Epoch { starts: 2, loads: 5 }), None, "a new evaluator");
    }
}
