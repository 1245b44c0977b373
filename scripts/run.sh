#!/usr/bin/env bash
# The main job on a fresh Debian machine: install Nix, build flake-lsp, check the example
# flakes (the diagnostics an editor shows), then realise one of them (a user's flake, with its
# nixpkgs and flake-utils pointed at the offline fixtures in tests/fixtures) and show its
# Python interpreter and venv. Then point an editor at target/release/flake-lsp (README.md).
#
# Usage: scripts/run.sh [FLAKE_DIR]   (default: a copy of ../shared/fixtures/seeds/000-devops-renaissance)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
shared=${FLAKE_LSP_SHARED:-../shared}
if [ "$(id -u)" = 0 ]; then bash "$shared/tools/install-nix.sh"; fi
cargo build --release --locked
bin=$repo/target/release/flake-lsp
"$bin" --version

echo; echo "==> check: the example flakes"
"$bin" check "$shared"/fixtures/seeds/*/flake.nix || true

if [ $# -gt 0 ]; then
  project=$(cd "$1" && pwd)
  overrides=()
else
  # The seed as a user has it: a git repository with flake.nix and requirements.txt.
  project=${TMPDIR:-/tmp}/flake-lsp-example
  rm -rf "$project" && mkdir -p "$project"
  cp "$shared/fixtures/seeds/000-devops-renaissance/flake.nix" "$project/"
  : > "$project/requirements.txt"
  git -C "$project" init -q && git -C "$project" add -A
  overrides=(--override-input nixpkgs "path:$repo/tests/fixtures/nixpkgs"
             --override-input flake-utils "path:$repo/tests/fixtures/flake-utils")
  export PIP_NO_INDEX=1   # offline: the seed's hook runs pip
fi

echo; echo "==> env: realise $project (trusting it: this runs its shellHook)"
"$bin" env --trust "$project" "${overrides[@]}"
echo; echo "==> env again: from the cache"
# Into a file, then its head: piped into `head`, flake-lsp may still be writing when head
# exits and dies of SIGPIPE as Unix tools do, which pipefail would take for a failure.
out=$(mktemp)
time "$bin" env "$project" "${overrides[@]}" > "$out"
head -4 "$out"
rm -f "$out"

echo
echo "Language server: $bin   (speaks LSP on stdio; see README.md to add it to an editor)"
echo "Your own shell in the environment:  eval \"\$($bin env --export bash $project ${overrides[*]})\""
