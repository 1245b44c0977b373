#!/usr/bin/env bash
# Runs every test of flake-lsp on a fresh Debian machine, installing what the tests need.
# Called by .ci/run. Safe to run again: installed pieces are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${FLAKE_LSP_SHARED:-../shared}

step() { printf '\n==> %s\n' "$*"; }

step "Nix 2.8 and the newest Nix (for the parser-agreement tests)"
if [ "$(id -u)" = 0 ]; then
  bash "$shared/tools/install-nix.sh"
elif ! command -v nix-instantiate >/dev/null; then
  echo "Nix is missing and installing it needs root: run $shared/tools/install-nix.sh as root" >&2
  exit 1
fi

step "zsh and fish, for the editor tests' terminals (bash is there)"
missing=()
for shell in zsh fish; do command -v "$shell" >/dev/null || missing+=("$shell"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "${missing[*]} missing and installing needs root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

step "format"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "no import circles between the crate's files"
python3 scripts/import-cycles.py server/src >/dev/null

step "clippy for the other platforms that ship: macOS arm64 and x64, Linux arm64 (docs/platforms.md)"
installed_targets=$(rustup target list --installed)
for target in aarch64-apple-darwin x86_64-apple-darwin aarch64-unknown-linux-gnu; do
  grep -qx "$target" <<<"$installed_targets" || rustup target add "$target"
  cargo clippy --workspace --all-targets --locked --target "$target" -- -D warnings
done

step "tests (unit, end-to-end over stdio and the CLI, benches once)"
cargo test --workspace --all-targets --locked

step "fixture nixpkgs and flake-utils: the seed flakes realise with nix and nix-latest"
bash scripts/check-fixtures.sh

step "Neovim plugin: headless Neovim 0.11 and basedpyright, the debug server, real Nix (tests/neovim/run.lua)"
if [ "$(id -u)" = 0 ]; then
  bash "$shared/tools/install-neovim.sh"
elif ! command -v nvim >/dev/null || ! command -v basedpyright-langserver >/dev/null; then
  echo "Neovim or basedpyright is missing and installing them needs root: run $shared/tools/install-neovim.sh as root" >&2
  exit 1
fi
FLAKE_LSP_SERVER=${FLAKE_LSP_SERVER:-$PWD/target/debug/flake-lsp} nvim --headless -u NONE -l tests/neovim/run.lua

step "release binaries for linux-x64, linux-arm64 (run under qemu), darwin-x64, darwin-arm64"
bash scripts/build-release.sh

step "VS Code extension: type-check, lint, unit tests, five .vsix files checked, end-to-end in code-server with Chromium"
bash "$shared/tools/install-code-server.sh"
(
  cd extensions/vscode
  npm ci --no-fund --no-audit
  npm run typecheck
  npm run lint
  npm test
  # The four platform packages from the release binaries just built, and the universal one.
  env -u FLAKE_LSP_SERVER npm run package
  npm run test:package
  # End to end with what ships for this machine, unless FLAKE_LSP_SERVER names another build.
  if [ -n "${FLAKE_LSP_SERVER:-}" ]; then npm run package -- --target linux-x64; fi
  npm run e2e   # screenshots and logs in target/vscode-e2e/
)
