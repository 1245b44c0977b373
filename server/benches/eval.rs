//! Evaluation diagnostics latency: how long evaluating a seed flake's shells and packages
//! takes (what the editor waits for after a save), with `nix` (2.8) and `nix-latest` (2.34).
//! The seeds' nixpkgs and flake-utils are the fixtures in tests/fixtures.
//!
//! Run: `cargo bench -p flake-lsp --bench eval`. Figures: docs/performance.md.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use flake_lsp::env::realise::NixOptions;
use flake_lsp::nix::Nix;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    // Both Nix versions and the seeds, or a failure saying how to install them (unless opted
    // out: docs/reliability.md).
    let nixes = common::testing::nixes();
    let Some(seeds) = common::testing::seeds() else { return };
    let fixtures = common::testing::repo_root().join("tests/fixtures");
    let options = NixOptions {
        override_inputs: vec![
            ("nixpkgs".into(), format!("path:{}", fixtures.join("nixpkgs").display())),
            ("flake-utils".into(), format!("path:{}", fixtures.join("flake-utils").display())),
        ],
        timeout: None,
    };
    for nix_path in nixes {
        let nix = Nix::at(nix_path);
        let version = nix.version(Duration::from_secs(30)).map(|v| v.to_string()).unwrap_or_default();
        for seed in ["000-devops-renaissance", "001-code-as-infrastructure"] {
            let dir = copy_seed(&seeds.join(seed).join("flake.nix"));
            let mut times = Vec::new();
            for _ in 0..5 {
                let start = Instant::now();
                let errors = flake_lsp::eval::evaluate(
                    &nix,
                    &dir,
                    "x86_64-linux",
                    &options,
                    flake_lsp::nix::Limits { timeout: Duration::from_secs(300), max_memory_mb: 4096 },
                    &AtomicBool::new(false),
                )
                .expect("evaluation runs");
                times.push(start.elapsed());
                assert!(errors.is_empty(), "{seed} evaluates: {errors:?}");
            }
            times.sort();
            println!(
                "nix {version:<8} {seed:<30} median {:>7.1} ms  min {:>7.1} ms  max {:>7.1} ms",
                times[2].as_secs_f64() * 1e3,
                times[0].as_secs_f64() * 1e3,
                times[4].as_secs_f64() * 1e3
            );
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

fn copy_seed(flake: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "flake-lsp-bench-eval-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(flake, dir.join("flake.nix")).unwrap();
    for args in [&["init", "-q"][..], &["add", "-A"][..]] {
        assert!(Command::new("git").args(args).current_dir(&dir).status().unwrap().success());
    }
    dir
}
