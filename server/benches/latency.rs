//! Latency of the static features as an editor sees it, as percentiles: completion and hover
//! at many positions of each input, semantic tokens of whole files and of a 4 KB range in the
//! middle (what an editor asks for the visible part), name resolution. The analysis of a version
//! is shared by every request on it (as in the server), so the figures are per request once
//! the version is parsed; "cold" rows include the parse, as the first request after an edit.
//!
//! Run: `cargo bench -p flake-lsp --bench latency`. Figures: docs/performance.md.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use flake_lsp::ide::{completion, hover, structure, Analysis, FileContext, FileKind};
use flake_lsp::syntax::{SyntaxKind, TextRange, TextSize};

/// Up to `n` offsets spread over the file: the middle of identifiers, and the end of each
/// (where a user types).
fn positions(analysis: &Analysis, n: usize) -> Vec<TextSize> {
    let idents: Vec<TextSize> = analysis
        .root()
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| t.kind() == SyntaxKind::TOKEN_IDENT)
        .flat_map(|t| [t.text_range().start() + TextSize::from(1), t.text_range().end()])
        .collect();
    let step = (idents.len() / n).max(1);
    idents.into_iter().step_by(step).take(n).collect()
}

fn percentiles(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    format!(
        "p50 {:>9.3} ms  p99 {:>9.3} ms  max {:>9.3} ms  (n={})",
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        samples.last().unwrap().as_secs_f64() * 1e3,
        samples.len()
    )
}

fn time<R>(f: impl FnOnce() -> R) -> Duration {
    let start = Instant::now();
    black_box(f());
    start.elapsed()
}

fn main() {
    // `cargo test --benches` runs bench targets with `--bench` absent: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let mut inputs: Vec<(String, String, FileKind)> =
        common::seeds().into_iter().map(|(n, t)| (n, t, FileKind::Flake)).collect();
    inputs.push(("flake-700".into(), common::flake_700(), FileKind::Flake));
    inputs.push(("generated-1MB".into(), common::generated(1024 * 1024), FileKind::Nix));
    let ctx = FileContext::default();
    for (name, text, kind) in &inputs {
        let analysis = Analysis::of(text, *kind);
        let names = time(|| analysis.names());
        let offsets = positions(&analysis, 300);
        let rounds = if text.len() > 100_000 { 3 } else { 20 };
        let (mut comp, mut hov) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            for &at in &offsets {
                comp.push(time(|| completion::completion(&analysis, &ctx, at)));
                hov.push(time(|| hover::hover(&analysis, &ctx, at)));
            }
        }
        println!("{name:<40} {} bytes", text.len());
        println!("  completion        {}", percentiles(comp));
        println!("  hover             {}", percentiles(hov));
        let tokens: Vec<Duration> = (0..if text.len() > 100_000 { 10 } else { 100 })
            .map(|_| time(|| structure::semantic_tokens(&analysis, None)))
            .collect();
        println!("  semantic tokens   {}", percentiles(tokens));
        let mid = TextSize::from(text.len() as u32 / 2);
        let range = TextRange::new(mid, (mid + TextSize::from(4000)).min(TextSize::of(text.as_str())));
        let ranged: Vec<Duration> =
            (0..100).map(|_| time(|| structure::semantic_tokens(&analysis, Some(range)))).collect();
        println!("  tokens, 4 KB      {}", percentiles(ranged));
        println!("  name resolution   {:>9.3} ms (once, after the parse)", names.as_secs_f64() * 1e3);
        let cold: Vec<Duration> = (0..if text.len() > 100_000 { 5 } else { 50 })
            .map(|i| {
                time(|| {
                    let fresh = Analysis::of(text, *kind);
                    completion::completion(&fresh, &ctx, offsets[i % offsets.len()])
                })
            })
            .collect();
        println!("  completion, cold  {}", percentiles(cold));
    }
}
