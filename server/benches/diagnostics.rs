//! Parse + all diagnostics, per file; and the bare rnix parse of the same text, to report the
//! ratio. Run: `cargo bench -p flake-lsp --bench diagnostics`. Figures: docs/performance.md.

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use flake_lsp::ide::{diagnostics, DiagnosticsConfig, FileKind};

fn bench(c: &mut Criterion) {
    let config = DiagnosticsConfig::default();
    let mut group = c.benchmark_group("diagnostics");
    let mut inputs = common::seeds();
    inputs.push(("flake-700".to_string(), common::flake_700()));
    for (name, text) in &inputs {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("{name}/all"), |b| {
            b.iter(|| diagnostics(black_box(text), FileKind::Flake, &config))
        });
        group.bench_function(format!("{name}/rnix-parse"), |b| b.iter(|| rnix::Root::parse(black_box(text))));
    }
    let large = common::generated(1024 * 1024);
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
