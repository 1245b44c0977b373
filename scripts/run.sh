#!/usr/bin/env bash
# The main job on a fresh Debian machine: build flake-lsp, install Nix, and check the example
# flakes (the same diagnostics an editor shows). Then point an editor at
# target/release/flake-lsp (see README.md). Usage: scripts/run.sh [PATH…]
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${FLAKE_LSP_SHARED:-../shared}
if [ "$(id -u)" = 0 ]; then bash "$shared/tools/install-nix.sh"; fi
cargo build --release --locked
bin=target/release/flake-lsp
"$bin" --version
if [ $# -eq 0 ]; then set -- "$shared"/fixtures/seeds/*/flake.nix; fi
status=0
"$bin" check "$@" || status=$?
echo
echo "Language server: $PWD/$bin   (speaks LSP on stdio; see README.md to add it to an editor)"
exit "$status"
