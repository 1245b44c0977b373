//! Parse + all diagnostics, per file; and the bare rnix parse of the same text, to report the
//! ratio. Run: `cargo bench -p flake-lsp --bench diagnostics`. Figures: docs/performance.md.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use flake_lsp::ide::{diagnostics, DiagnosticsConfig, FileKind};

fn seeds() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/seeds");
    let mut out = Vec::new();
    for name in
        ["000-devops-renaissance", "001-code-as-infrastructure", "001-code-as-infrastructure.commented"]
    {
        if let Ok(text) = std::fs::read_to_string(dir.join(name).join("flake.nix")) {
            out.push((name.to_string(), text));
        }
    }
    out
}

/// About `target` bytes of varied Nix: lets, recursive sets, lambdas, strings, withs.
pub fn generated(target: usize) -> String {
    let mut text = String::from("{ pkgs, lib, ... }:\nlet\n");
    let mut i = 0;
    while text.len() < target {
        text.push_str(&format!(
            "  f{i} = {{ a, b ? {i}, ... }}@args: rec {{ x = a + b; y = x * 2; s = \"v${{toString y}}-{i}\"; l = [ a b x ]; }};\n  \
             g{i} = with pkgs; lib.optionals (f{i} {{ a = 1; }}).x [ hello \"é{i}\" ];\n"
        ));
        i += 1;
    }
    text.push_str("in [\n");
    for k in 0..i {
        text.push_str(&format!("  f{k} g{k}\n"));
    }
    text.push_str("]\n");
    text
}

fn bench(c: &mut Criterion) {
    let config = DiagnosticsConfig::default();
    let mut group = c.benchmark_group("diagnostics");
    let big = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/inputs/flake-700.nix");
    let mut inputs = seeds();
    inputs
        .push(("flake-700".to_string(), std::fs::read_to_string(big).expect("benches/inputs/flake-700.nix")));
    for (name, text) in &inputs {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("{name}/all"), |b| {
            b.iter(|| diagnostics(black_box(text), FileKind::Flake, &config))
        });
        group.bench_function(format!("{name}/rnix-parse"), |b| b.iter(|| rnix::Root::parse(black_box(text))));
    }
    let large = generated(1024 * 1024);
    group.throughput(Throughput::Bytes(large.len() as u64));
    group.sample_size(20);
    group.bench_function("generated-1MB/all", |b| {
        b.iter(|| diagnostics(black_box(&large), FileKind::Nix, &config))
    });
    group.bench_function("generated-1MB/rnix-parse", |b| b.iter(|| rnix::Root::parse(black_box(&large))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
