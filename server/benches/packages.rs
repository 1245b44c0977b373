//! The package index at nixpkgs' size: 100 000 synthetic packages with every field filled.
//! Builds the index (its resident memory), writes it to disk and reads it back 10 times (as a
//! second start does), then times completion after `pkgs.<word>` for nine words, 20 times
//! each, and hover on 50 names, 20 times each. Times are the `ide` call alone (the file is
//! parsed before).
//!
//! Run: `cargo bench -p flake-lsp --bench packages`. Figures: docs/performance.md.
//! `cargo test --benches` runs it once on 2 000 packages, so its checks stay tested.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use flake_lsp::ide::{completion, hover, Analysis, FileContext, FileKind};
use flake_lsp::nix::Nix;
use flake_lsp::pkgs::load::Source;
use flake_lsp::pkgs::{Entry, Package, PackageIndex, PackageSet};
use flake_lsp::syntax::TextSize;

/// How many items one completion lists at most (`ide::completion::packages::MAX_ITEMS`).
const MAX_ITEMS: usize = 200;

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

fn main() {
    // `cargo test --benches` runs bench targets without `--bench`: a small, quick run then.
    let (n, loads, rounds) =
        if std::env::args().any(|a| a == "--bench") { (100_000, 10, 20) } else { (2_000, 2, 1) };
    let before = rss_kib().unwrap_or(0);
    let (names, details) = synthetic(n);
    let set = PackageSet::complete(names.clone(), details);
    let after = rss_kib().unwrap_or(0);

    // Written to disk and read back, as a second start does.
    let dir = std::env::temp_dir().join(format!("flake-lsp-bench-packages-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let source = Source {
        nix: Nix::at("/nonexistent"),
        reference: "github:NixOS/nixpkgs/0123456789abcdef0123456789abcdef01234567".into(),
        system: "x86_64-linux".into(),
        cache_dir: Some(dir.clone()),
    };
    source.save(&[], &set);
    let size = std::fs::metadata(source.cache_file(&[]).unwrap()).unwrap().len();
    let mut load_times = Vec::new();
    for _ in 0..loads {
        let t = Instant::now();
        let loaded = source.cached(&[]).expect("the index just written reads back");
        load_times.push(t.elapsed());
        assert_eq!(loaded.names().len(), n);
    }
    let _ = std::fs::remove_dir_all(&dir);

    let index = Arc::new(PackageIndex::with_top(set));
    let ctx = FileContext { packages: Some(index), ..FileContext::default() };
    // Typed words: nothing, one letter, a common prefix, a rare one, a substring only.
    let words = ["", "p", "py", "python", "python12", "rust9-", "zzz", "-4242", "tool976-99995"];
    let mut completions = Vec::new();
    let mut hovers = Vec::new();
    for _ in 0..rounds {
        for word in words {
            let text = format!("{{ pkgs }}: pkgs.{word}");
            let analysis = Analysis::of(&text, FileKind::Nix);
            let t = Instant::now();
            let list = completion::completion_list(&analysis, &ctx, TextSize::of(&text));
            completions.push(t.elapsed());
            assert!(list.items.len() <= MAX_ITEMS, "`{word}`: {} items", list.items.len());
            if word == "python" {
                assert!(!list.items.is_empty(), "packages complete after `pkgs.python`");
            }
        }
        for name in names.iter().step_by(n / 50) {
            let text = format!("{{ pkgs }}: pkgs.{name}");
            let analysis = Analysis::of(&text, FileKind::Nix);
            let t = Instant::now();
            let h = hover::hover(&analysis, &ctx, TextSize::of(&text) - TextSize::from(1));
            hovers.push(t.elapsed());
            assert!(h.is_some_and(|h| h.markdown.contains("Synthetic")), "hover on {name}");
        }
    }
    println!("{n} packages: index resident {} MiB", (after.saturating_sub(before)) / 1024);
    println!(
        "cache file {:.1} MiB, load p50 {:.1} ms, max {:.1} ms",
        size as f64 / 1048576.0,
        percentile(&mut load_times, 0.5),
        percentile(&mut load_times, 1.0)
    );
    println!(
        "completion p50 {:.3} ms, p99 {:.3} ms ({} requests)",
        percentile(&mut completions, 0.5),
        percentile(&mut completions, 0.99),
        completions.len()
    );
    println!(
        "hover p50 {:.3} ms, p99 {:.3} ms ({} requests)",
        percentile(&mut hovers, 0.5),
        percentile(&mut hovers, 0.99),
        hovers.len()
    );
}
