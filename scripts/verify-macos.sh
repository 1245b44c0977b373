#!/usr/bin/env bash
# For a maintainer with a Mac (Apple silicon or Intel) and Nix installed: checks a release of
# flake-lsp where CI cannot, on macOS itself. Run from a checkout of the repository:
#
#   bash scripts/verify-macos.sh [path/to/flake-lsp-darwin-<arch>.vsix]
#
# Without a .vsix it checks target/<triple>/dist/flake-lsp (made by scripts/build-release.sh
# on Linux and copied over, or by `cargo build --profile dist` on the Mac). It checks that:
#  1. the binary is a Mach-O for this Mac's architecture, and is signed (ad hoc is enough:
#     Apple silicon refuses to run unsigned arm64 code, "Killed: 9");
#  2. it runs, and `flake-lsp check` reports the example flake's findings;
#  3. `flake-lsp env` realises a dev shell and sources it with a Nix-provided Bash 4+, never
#     /bin/bash 3.2, and paths under /private/tmp map back;
#  4. the unit tests pass natively (`cargo test --lib`; the end-to-end suite assumes
#     x86_64-linux fixtures).
# Each step prints what it saw; the script stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(uname -s)" = Darwin ] || { echo "verify-macos: run this on macOS (this is $(uname -s))" >&2; exit 2; }
case "$(uname -m)" in
  arm64) triple=aarch64-apple-darwin want='arm64' ;;
  x86_64) triple=x86_64-apple-darwin want='x86_64' ;;
  *) echo "verify-macos: unknown architecture $(uname -m)" >&2; exit 2 ;;
esac
work=$(mktemp -d /tmp/flake-lsp-verify.XXXXXX)
trap 'rm -rf "$work"' EXIT
ok() { printf 'ok   %s\n' "$*"; }

if [ $# -gt 0 ]; then
  unzip -q "$1" -d "$work/vsix"
  grep -q "TargetPlatform=\"darwin-$( [ "$want" = arm64 ] && echo arm64 || echo x64)\"" "$work/vsix/extension.vsixmanifest" \
    || { echo "the .vsix does not target this Mac" >&2; exit 1; }
  bin=$work/vsix/extension/server/flake-lsp
  chmod +x "$bin"
  ok "the .vsix targets darwin-$(uname -m)"
else
  bin=target/$triple/dist/flake-lsp
fi

desc=$(file -b "$bin")
grep -q "Mach-O 64-bit.*$want" <<<"$desc" || { echo "$bin is not a Mach-O $want binary: $desc" >&2; exit 1; }
ok "$bin: $desc"
codesign --verify --verbose "$bin" 2>&1 | sed 's/^/     /'
ok "signature (ad hoc is enough for a binary VS Code unpacks: it is not quarantined)"
if xattr -p com.apple.quarantine "$bin" >/dev/null 2>&1; then
  echo "note: $bin is quarantined (downloaded by a browser): xattr -d com.apple.quarantine $bin"
fi

"$bin" --version
"$bin" check tests/fixtures/nixpkgs >/dev/null && ok "flake-lsp check runs"

command -v nix >/dev/null || { echo "Nix is not installed: https://nixos.org/download" >&2; exit 1; }
system=$(nix --extra-experimental-features 'nix-command flakes' eval --impure --raw --expr builtins.currentSystem)
# A flake in /tmp (= /private/tmp: Nix names its files through /private), on a real nixpkgs
# (this needs the network once). Two shells: mkShell, whose builder is nixpkgs' bash, and a
# bare derivation whose builder is /bin/bash (3.2 here), for which flake-lsp must realise
# nixpkgs#bashInteractive instead. Both hooks use `declare -A`, which Bash 3.2 lacks.
flake=/tmp/${work##*/}-flake
mkdir -p "$flake"
cat > "$flake/flake.nix" <<EOF
{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  outputs = { self, nixpkgs }: let
    hook = ''
      declare -A seen=([bash]="\${BASH_VERSINFO[0]}")
      export SOURCED_BY="\${seen[bash]}"
    '';
  in {
    devShells.$system.default = nixpkgs.legacyPackages.$system.mkShell { shellHook = hook; };
    devShells.$system.plain = derivation {
      name = "plain"; system = "$system"; builder = "/bin/bash"; outputs = [ "out" ];
      shellHook = hook;
    };
    devShells.$system.broken = nixpkgs.legacyPackages.$system.mkShell { x = 1 + "a"; };
  };
}
EOF
(cd "$flake" && git init -q && git add flake.nix)
for shell in default plain; do
  json=$(XDG_CACHE_HOME=$work/cache XDG_DATA_HOME=$work/data "$bin" env --trust --json --shell "devShells.$system.$shell" "$flake")
  python3 - "$json" "$shell" <<'EOF'
import json, sys
env = json.loads(sys.argv[1])
assert env["state"] == "ready", env
major = int(env["set"]["SOURCED_BY"])
assert major >= 4, f"sourced by Bash {major}"
print(f"ok   {sys.argv[2]}: sourced by Bash {major} (macOS's /bin/bash is 3.2)")
EOF
  grep -h 'sourcing with Bash' "$work"/cache/flake-lsp/env/*/realise.log | sed 's/^/     /'
done
json=$(XDG_CACHE_HOME=$work/cache XDG_DATA_HOME=$work/data "$bin" env --trust --json --shell "devShells.$system.broken" "$flake" || true)
python3 - "$json" <<'EOF'
import json, sys
env = json.loads(sys.argv[1])
at = env.get("errorPosition") or {}
assert at.get("file") == "flake.nix" and at.get("line", 0) > 0, env
print(f"ok   an evaluation error under /private/tmp is placed at flake.nix:{at['line']}:{at['column']}")
EOF
rm -rf "$flake"

cargo test --lib --locked -p flake-lsp
ok "unit tests"
echo "verify-macos: all checks passed on $(sw_vers -productName) $(sw_vers -productVersion) $(uname -m)"
