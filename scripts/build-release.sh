#!/usr/bin/env bash
# Cross-builds the flake-lsp binaries that ship, one per platform, with the `dist` profile
# (optimised, debug info stripped; the `release` profile keeps it for profiling):
#   target/x86_64-unknown-linux-gnu/dist/flake-lsp     linux-x64
#   target/aarch64-unknown-linux-gnu/dist/flake-lsp    linux-arm64
#   target/x86_64-apple-darwin/dist/flake-lsp          darwin-x64
#   target/aarch64-apple-darwin/dist/flake-lsp         darwin-arm64
# Linking for other platforms uses zig as the linker (cargo-zigbuild from crates.io, zig from
# PyPI's `ziglang`); both are installed here on first use. The Linux binaries are linked
# against glibc 2.28 so they run on older distributions than this one. macOS binaries are
# linked with zig's own stubs of the macOS SDK and are not signed: see docs/platforms.md.
#
#   bash scripts/build-release.sh              all four
#   bash scripts/build-release.sh TRIPLE...    only these
# Checks each binary's format and architecture with `file` and prints its size.
set -euo pipefail
cd "$(dirname "$0")/.."

ZIG_VERSION=0.15.2
ZIGBUILD_VERSION=0.24.1
GLIBC=2.28
zig_venv=${FLAKE_LSP_ZIG_VENV:-/opt/flake-lsp-zig}

all=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

step() { printf '\n==> %s\n' "$*"; }

step "toolchain: Rust targets, zig $ZIG_VERSION, cargo-zigbuild $ZIGBUILD_VERSION"
installed=$(rustup target list --installed)
for t in "${targets[@]}"; do
  grep -qx "$t" <<<"$installed" || rustup target add "$t"
done
if ! "$zig_venv/bin/python" -m ziglang version 2>/dev/null | grep -qx "$ZIG_VERSION"; then
  python3 -m venv "$zig_venv"
  "$zig_venv/bin/pip" install --quiet "ziglang==$ZIG_VERSION"
fi
zig=$("$zig_venv/bin/python" -c 'import ziglang, os; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))')
export CARGO_ZIGBUILD_ZIG_PATH=$zig
if ! cargo zigbuild --version 2>/dev/null | grep -q "$ZIGBUILD_VERSION"; then
  cargo install --locked --quiet cargo-zigbuild --version "$ZIGBUILD_VERSION"
fi
command -v file >/dev/null || { apt-get update -qq && apt-get install -y -qq file >/dev/null; }

for t in "${targets[@]}"; do
  step "build $t"
  case "$t" in
    *-linux-gnu) zigtarget="$t.$GLIBC" ;;
    *) zigtarget=$t ;;
  esac
  cargo zigbuild --locked --profile dist -p flake-lsp --bin flake-lsp --target "$zigtarget"
done

step "what was built"
status=0
for t in "${targets[@]}"; do
  bin=target/$t/dist/flake-lsp
  desc=$(file -b "$bin")
  case "$t" in
    x86_64-unknown-linux-gnu) want='ELF 64-bit.*x86-64' ;;
    aarch64-unknown-linux-gnu) want='ELF 64-bit.*(aarch64|ARM aarch64)' ;;
    x86_64-apple-darwin) want='Mach-O 64-bit.*x86_64' ;;
    aarch64-apple-darwin) want='Mach-O 64-bit.*arm64' ;;
  esac
  if grep -Eq "$want" <<<"$desc"; then
    printf '%-28s %6s KiB  %s\n' "$t" "$(( $(stat -c %s "$bin") / 1024 ))" "$desc"
  else
    printf '%s: %s is not what %s needs: %s\n' "$t" "$bin" "$t" "$desc" >&2
    status=1
  fi
  case "$t" in
    aarch64-apple-darwin)
      # Apple silicon runs only signed arm64 code; an ad-hoc signature (LC_CODE_SIGNATURE) is
      # enough. (Intel Macs, and Rosetta, run unsigned x86_64 code.)
      if python3 - "$bin" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
ncmds = struct.unpack_from("<I", data, 16)[0]
off, found = 32, False
for _ in range(ncmds):
    cmd, size = struct.unpack_from("<II", data, off)
    found |= cmd == 0x1D
    off += size
sys.exit(0 if found else 1)
EOF
      then echo "  signed (LC_CODE_SIGNATURE present)"
      else echo "$t: $bin has no code signature: macOS on Apple silicon would refuse it" >&2; status=1
      fi ;;
    aarch64-unknown-linux-gnu)
      # Run it, emulated: it starts, and checks a file as on x86_64.
      if ! command -v qemu-aarch64 >/dev/null || [ ! -d /usr/aarch64-linux-gnu/lib ]; then
        apt-get update -qq && apt-get install -y -qq qemu-user libc6-arm64-cross >/dev/null
      fi
      run_arm() { qemu-aarch64 -L /usr/aarch64-linux-gnu "$bin" "$@"; }
      version=$(run_arm --version)
      checked=$(run_arm check --format json tests/fixtures/nixpkgs/lib/default.nix | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["files"]))' 2>&1) || true
      if [ "$checked" = 1 ]; then
        echo "  runs under qemu-aarch64: $version; checked 1 file"
      else
        echo "$t: $bin did not run under qemu-aarch64 ($version; $checked)" >&2; status=1
      fi ;;
  esac
done
exit $status
