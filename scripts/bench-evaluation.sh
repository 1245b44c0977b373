#!/usr/bin/env bash
# The evaluation figures of docs/performance.md in one run, on ../shared/tools/heavy-nixpkgs.sh's
# nixpkgs (a benchmark, not a test): for each Nix given (default: nix, and nix-latest when on
# PATH), scripts/bench-eval.py (bare `nix eval` of an output, save -> diagnostics, a
# nixpkgs-free edit -> diagnostics, the evaluator's memory) and scripts/bench-index.py (one
# all-meta `nix eval`, the full index, the first detail at the cursor, Nix processes).
#
#   scripts/bench-evaluation.sh [NIX...]        builds nothing: run cargo build --release first
set -euo pipefail
cd "$(dirname "$0")/.."
nixes=("$@")
if [ ${#nixes[@]} -eq 0 ]; then
  nixes=(nix)
  command -v nix-latest >/dev/null && nixes+=(nix-latest)
fi
release=()
[ -x target/release/flake-lsp ] && release=(--release)
for nix in "${nixes[@]}"; do
  echo "== $nix: $("$nix" --version)"
  python3 scripts/bench-eval.py 7 "${release[@]}" --nix "$nix"
  python3 scripts/bench-index.py --nix "$nix"
done
