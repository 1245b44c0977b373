//! Which expressions are nixpkgs' package set, found from the text alone, and the completion
//! items for the packages in it.
//!
//! A package set is `import nixpkgs { … }` (anything imported whose text mentions nixpkgs),
//! `<x>.legacyPackages.<system>`, a name bound to one of those, or, when nothing says
//! otherwise, a name `pkgs` (a module's `{ pkgs, ... }:`, a function's argument). Below it,
//! `pkgs.python311Packages` and `pkgs.python311.pkgs` are nested sets, named by their path.

use crate::ide::completion::{CompletionKind, Items};
use crate::pkgs::{Entry, Lookup, Package, PackageIndex};
use crate::syntax::{apply_chain, attrpath_attrs, static_attr_name, strip_parens, SyntaxKind, SyntaxNode};
use SyntaxKind::*;

/// How many packages one completion lists at most: the index may hold 100 000 names, and the
/// client asks again as the user types (the list is marked incomplete).
pub(crate) const MAX_ITEMS: usize = 200;

/// How deep names bound to names are followed (`p = pkgs; q = p;`).
const MAX_DEPTH: usize = 8;

/// What a name is bound to, as far as finding package sets needs.
pub(crate) enum Bound {
    /// A `let` or `rec` binding with its value.
    Value(SyntaxNode),
    /// A function's argument or formal, or an `inherit`: bound, value unknown.
    Unknown,
    /// Not bound in the file (a builtin, or from a `with`).
    Unbound,
}

/// The path below `legacyPackages.<system>` that `expr` evaluates to, when it is nixpkgs'
/// package set or a set in it (empty for the top).
pub(crate) fn set_path(expr: &SyntaxNode, resolve: &dyn Fn(&SyntaxNode) -> Bound) -> Option<Vec<String>> {
    set_path_at(expr, resolve, 0)
}

/// The path of `base.a.b` where `attrs` are `a`, `b`.
pub(crate) fn select_path(
    base: &SyntaxNode,
    attrs: &[SyntaxNode],
    resolve: &dyn Fn(&SyntaxNode) -> Bound,
) -> Option<Vec<String>> {
    select_path_at(base, attrs, resolve, 0)
}

fn set_path_at(
    expr: &SyntaxNode,
    resolve: &dyn Fn(&SyntaxNode) -> Bound,
    depth: usize,
) -> Option<Vec<String>> {
    if depth > MAX_DEPTH {
        return None;
    }
    let expr = strip_parens(expr.clone());
    match expr.kind() {
        NODE_IDENT => {
            let is_pkgs = expr.text() == "pkgs";
            match resolve(&expr) {
                Bound::Value(value) => set_path_at(&value, resolve, depth + 1)
                    .or_else(|| (is_pkgs && strip_parens(value).kind() != NODE_ATTR_SET).then(Vec::new)),
                Bound::Unknown | Bound::Unbound => is_pkgs.then(Vec::new),
            }
        }
        NODE_APPLY => {
            let (function, args) = apply_chain(&expr);
            let imports = match function.kind() {
                NODE_IDENT => function.text() == "import",
                NODE_SELECT => function.text() == "builtins.import",
                _ => false,
            };
            let of_nixpkgs = args.first().is_some_and(|a| a.text().to_string().contains("nixpkgs"));
            (imports && of_nixpkgs && args.len() <= 2).then(Vec::new)
        }
        NODE_SELECT => {
            let mut children = expr.children();
            let base = children.next()?;
            let path = children.find(|c| c.kind() == NODE_ATTRPATH)?;
            // `a.b or c` is not a set we know.
            if expr.children_with_tokens().any(|e| e.kind() == TOKEN_OR) {
                return None;
            }
            let attrs: Vec<SyntaxNode> = attrpath_attrs(&path).collect();
            select_path_at(&base, &attrs, resolve, depth)
        }
        _ => None,
    }
}

fn select_path_at(
    base: &SyntaxNode,
    attrs: &[SyntaxNode],
    resolve: &dyn Fn(&SyntaxNode) -> Bound,
    depth: usize,
) -> Option<Vec<String>> {
    let names = |attrs: &[SyntaxNode]| attrs.iter().map(static_attr_name).collect::<Option<Vec<String>>>();
    // `<anything>.legacyPackages.<system>.rest`: the system may be `${system}`.
    if let Some(at) = attrs.iter().position(|a| static_attr_name(a).as_deref() == Some("legacyPackages")) {
        if attrs.len() > at + 1 {
            return names(&attrs[at + 2..]);
        }
        return None;
    }
    let mut path = set_path_at(base, resolve, depth + 1)?;
    path.extend(names(attrs)?);
    Some(path)
}

/// Adds the packages of the set at `path` matching `typed` (the word being written).
pub(super) fn complete(acc: &mut Items, index: &PackageIndex, path: &[String], typed: &str) {
    let set = match index.set(path) {
        Lookup::Ready(set) => set,
        Lookup::Loading => {
            acc.incomplete = true;
            return;
        }
        Lookup::Missing => return,
    };
    let (names, more) = set.matching(typed, MAX_ITEMS);
    if more || !set.is_complete() {
        acc.incomplete = true;
    }
    for name in names {
        let (kind, detail, doc) = match set.entry(name) {
            Some(Entry::Package(p)) => {
                (CompletionKind::Package, p.version().map(str::to_string), Some(documentation(&p)))
            }
            Some(Entry::Set) => (CompletionKind::Module, Some("package set".to_string()), None),
            Some(Entry::Other) | None => (CompletionKind::Package, None, None),
        };
        acc.add(name, kind, detail, doc);
    }
}

/// The description, homepage and license, as Markdown.
pub(crate) fn documentation(p: &Package) -> String {
    let mut parts = Vec::new();
    if let Some(d) = p.description() {
        parts.push(d.trim().to_string());
    }
    let mut facts = Vec::new();
    if let Some(h) = p.homepage() {
        facts.push(format!("Homepage: <{h}>"));
    }
    if let Some(l) = p.license() {
        facts.push(format!("License: {l}"));
    }
    if !facts.is_empty() {
        parts.push(facts.join("  \n"));
    }
    parts.join("\n\n")
}

#[cfg(test)]
mod measure {
    use std::collections::HashMap;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use crate::ide::{Analysis, FileContext, FileKind};
    use crate::pkgs::load::Source;
    use crate::pkgs::{Entry, Package, PackageIndex, PackageSet};

    /// Resident memory now. Linux only, from /proc: macOS has no /proc, and its nearest
    /// counterpart (`getrusage`'s `ru_maxrss`) is the peak, not the current size, which would
    /// not measure what the index adds; there the figure is left out.
    #[cfg(target_os = "linux")]
    fn rss_kib() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    #[cfg(not(target_os = "linux"))]
    fn rss_kib() -> Option<u64> {
        None
    }

    fn percentile(times: &mut [Duration], p: f64) -> f64 {
        times.sort();
        let i = ((times.len() as f64 - 1.0) * p).round() as usize;
        times[i].as_secs_f64() * 1000.0
    }

    /// Names like nixpkgs': words and numbers, some sharing long prefixes.
    fn synthetic(n: usize) -> (Vec<String>, HashMap<String, Entry>) {
        const WORDS: &[&str] =
            &["python", "lib", "rust", "go", "node", "haskell", "perl", "gnome", "kde", "x", "font", "tool"];
        let mut names = Vec::with_capacity(n);
        let mut details = HashMap::with_capacity(n);
        for i in 0..n {
            let name = format!("{}{}-{}", WORDS[i % WORDS.len()], i / WORDS.len() % 977, i);
            let (version, description, homepage, position) = (
                Some(format!("{}.{}.{}", i % 7, i % 13, i % 5)),
                Some(format!("Synthetic package number {i}, a tool that does one thing well")),
                Some(format!("https://example.org/{name}")),
                Some(format!("/nix/store/0000-source/pkgs/by-name/{name}/package.nix:{}", i % 300)),
            );
            let package = Package::new([
                Some(&name),
                version.as_deref(),
                description.as_deref(),
                homepage.as_deref(),
                Some("MIT"),
                Some(&name),
                position.as_deref(),
            ]);
            details.insert(name.clone(), Entry::Package(package));
            names.push(name);
        }
        (names, details)
    }

    /// `cargo test --release -p flake-lsp --lib measure_package_index -- --ignored --nocapture`
    #[test]
    #[ignore = "a measurement: run in release mode"]
    fn measure_package_index() {
        const N: usize = 100_000;
        let before = rss_kib().unwrap_or(0);
        let (names, details) = synthetic(N);
        let set = PackageSet::complete(names.clone(), details);
        let after = rss_kib().unwrap_or(0);

        // Written to disk and read back, as a second start does.
        let dir = std::env::temp_dir().join(format!("flake-lsp-measure-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let source = Source {
            nix: crate::nix::Nix::at("/nonexistent"),
            reference: "github:NixOS/nixpkgs/0123456789abcdef0123456789abcdef01234567".into(),
            system: "x86_64-linux".into(),
            cache_dir: Some(dir.clone()),
        };
        source.save(&[], &set);
        let size = std::fs::metadata(source.cache_file(&[]).unwrap()).unwrap().len();
        let mut loads = Vec::new();
        for _ in 0..10 {
            let t = Instant::now();
            let loaded = source.cached(&[]).unwrap();
            loads.push(t.elapsed());
            assert_eq!(loaded.names().len(), N);
        }
        let _ = std::fs::remove_dir_all(&dir);

        let index = Arc::new(PackageIndex::with_top(set));
        let ctx = FileContext { packages: Some(index), ..FileContext::default() };
        // Typed words: nothing, one letter, a common prefix, a rare one, a substring only.
        let words = ["", "p", "py", "python", "python12", "rust9-", "zzz", "-4242", "tool976-99995"];
        let mut completion = Vec::new();
        let mut hover = Vec::new();
        for _ in 0..20 {
            for word in words {
                let text = format!("{{ pkgs }}: pkgs.{word}");
                let analysis = Analysis::of(&text, FileKind::Nix);
                let t = Instant::now();
                let list = super::super::completion_list(&analysis, &ctx, crate::syntax::TextSize::of(&text));
                completion.push(t.elapsed());
                assert!(list.items.len() <= super::MAX_ITEMS);
            }
            for name in names.iter().step_by(N / 50) {
                let text = format!("{{ pkgs }}: pkgs.{name}");
                let analysis = Analysis::of(&text, FileKind::Nix);
                let t = Instant::now();
                let h = crate::ide::hover::hover(
                    &analysis,
                    &ctx,
                    crate::syntax::TextSize::of(&text) - crate::syntax::TextSize::from(1),
                );
                hover.push(t.elapsed());
                assert!(h.is_some_and(|h| h.markdown.contains("Synthetic")));
            }
        }
        println!("{N} packages: index resident {} MiB", (after.saturating_sub(before)) / 1024);
        println!(
            "cache file {:.1} MiB, load p50 {:.1} ms, max {:.1} ms",
            size as f64 / 1048576.0,
            percentile(&mut loads, 0.5),
            percentile(&mut loads, 1.0)
        );
        println!(
            "completion p50 {:.3} ms, p99 {:.3} ms ({} requests)",
            percentile(&mut completion, 0.5),
            percentile(&mut completion, 0.99),
            completion.len()
        );
        println!(
            "hover p50 {:.3} ms, p99 {:.3} ms ({} requests)",
            percentile(&mut hover, 0.5),
            percentile(&mut hover, 0.99),
            hover.len()
        );
    }
}
