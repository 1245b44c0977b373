#!/usr/bin/env bash
# Check that the seed flakes evaluate and realise offline against the fixture nixpkgs and
# flake-utils, with both Nix versions: `nix` (2.8) and `nix-latest` (2.34).
#
# For each seed in $SEEDS_DIR (default $FLAKE_LSP_SHARED/fixtures/seeds, FLAKE_LSP_SHARED being
# ../shared beside the repository unless set; `fragments` skipped):
#   1. copy it to a temp dir, `git init`, add an empty requirements.txt, `git add -A`;
#   2. `nix print-dev-env --override-input nixpkgs path:… --override-input flake-utils path:…
#      --no-write-lock-file`, and check the script puts python311's bin dir on PATH and keeps
#      the shellHook (and that no flake.lock was written);
#   3. source that script in `env -i … bash --noprofile --norc` with stdin from /dev/null and
#      PIP_NO_INDEX=1 (the hooks run pip: offline it must fail fast), then check that
#      .venv/bin/python exists, runs, and that pyvenv.cfg's home is python311's bin dir;
#   4. `nix develop … -c true` (also runs the hook; needs nixpkgs#bashInteractive).
# Then a self-test flake checks mkShell's packages/nativeBuildInputs/buildInputs/inputsFrom
# order on PATH, `env` exports, merged shellHooks, and the unfree error.
#
# Usage: scripts/check-fixtures.sh [seed-dir …]      (NIXES="nix nix-latest" to choose)
# Prints PASS/FAIL per seed and Nix; exits 1 if anything failed. Both `nix` and `nix-latest`
# are required, and at least one seed, as for the tests (docs/reliability.md): a missing one
# fails, unless FLAKE_LSP_NO_NIX=1 (run with the Nix there is) or FLAKE_LSP_NO_SHARED=1 (only
# the self-test) is set; then it prints SKIPPED and why.
set -u

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FIX="$ROOT/tests/fixtures"
SHARED="${FLAKE_LSP_SHARED:-../shared}"
case "$SHARED" in /*) ;; *) SHARED="$ROOT/$SHARED" ;; esac
SEEDS_DIR="${SEEDS_DIR:-$SHARED/fixtures/seeds}"
XF=(--extra-experimental-features 'nix-command flakes')
OVERRIDES=(--override-input nixpkgs "path:$FIX/nixpkgs"
           --override-input flake-utils "path:$FIX/flake-utils"
           --no-write-lock-file)
TIMEOUT="${TIMEOUT:-120}"

opted_out() { [ -n "${!1:-}" ] && [ "${!1}" != 0 ]; }
skipped=()

if [ -z "${NIXES:-}" ]; then
    NIXES=""
    missing=""
    for n in nix nix-latest; do
        if command -v "$n" >/dev/null 2>&1; then NIXES="$NIXES $n"; else missing="$missing $n"; fi
    done
    if [ -n "$missing" ]; then
        if ! opted_out FLAKE_LSP_NO_NIX; then
            echo "FAIL:$missing not found: run $SHARED/tools/install-nix.sh as root (Nix 2.8 as nix, 2.34 as nix-latest), or set FLAKE_LSP_NO_NIX=1 to skip" >&2
            exit 1
        fi
        skip="SKIPPED checks with$missing: not found (FLAKE_LSP_NO_NIX is set)"
        echo "$skip"; skipped+=("$skip")
    fi
fi
if [ -z "${NIXES// /}" ]; then
    echo "SKIPPED everything: no nix found (FLAKE_LSP_NO_NIX is set)"
    exit 0
fi

if [ "$#" -gt 0 ]; then
    SEEDS=("$@")
else
    SEEDS=()
    for d in "$SEEDS_DIR"/*/; do
        d="${d%/}"
        [ "$(basename "$d")" = fragments ] && continue
        [ -f "$d/flake.nix" ] || continue
        SEEDS+=("$d")
    done
    if [ "${#SEEDS[@]}" -eq 0 ]; then
        if ! opted_out FLAKE_LSP_NO_SHARED; then
            echo "FAIL: no seed flakes (*/flake.nix) in $SEEDS_DIR: put the shared fixtures beside the repository as ../shared (or set FLAKE_LSP_SHARED or SEEDS_DIR), or set FLAKE_LSP_NO_SHARED=1 to run only the self-test" >&2
            exit 1
        fi
        skip="SKIPPED the seeds: none in $SEEDS_DIR (FLAKE_LSP_NO_SHARED is set)"
        echo "$skip"; skipped+=("$skip")
    fi
fi

WORK="$(mktemp -d -t check-fixtures.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
failures=0
results=()

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

record() { # record PASS|FAIL label start detail…
    local status="$1" label="$2" start="$3"; shift 3
    local line
    line="$(printf '%-4s %-58s %7s' "$status" "$label" "$(elapsed "$start")")"
    if [ "$#" -gt 0 ]; then line="$line  $*"; fi
    echo "$line"
    results+=("$line")
    if [ "$status" != PASS ]; then failures=$((failures + 1)); fi
}

show_tail() { # show_tail file: the last lines of a log, indented
    sed -e 's/^/      | /' "$1" | tail -n "${2:-15}"
}

# Copy a flake dir into a fresh git repository with an empty requirements.txt.
prepare() { # prepare src dest
    mkdir -p "$2"
    cp -R "$1"/. "$2"/
    (cd "$2" && git init -q && touch requirements.txt && git add -A)
}

# The clean environment hooks run in: no user PATH, no pip index, no stdin.
clean_bash() { # clean_bash dir script…
    local dir="$1"; shift
    (cd "$dir" && env -i HOME="$dir/.home" USER="${USER:-root}" TERM=dumb PATH=/usr/bin:/bin \
        PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
        timeout "$TIMEOUT" bash --noprofile --norc -c "$*" </dev/null)
}

SYSTEM="$(nix "${XF[@]}" eval --impure --raw --expr builtins.currentSystem 2>/dev/null || echo x86_64-linux)"

for nixbin in $NIXES; do
    version="$("$nixbin" --version | awk '{print $NF}')"
    nixlabel="$nixbin $version"
    PY="$("$nixbin" "${XF[@]}" eval --raw "path:$FIX/nixpkgs#legacyPackages.$SYSTEM.python311.outPath" 2>"$WORK/pyeval.err")"
    if [ -z "$PY" ]; then
        start="$(now)"
        record FAIL "python311 ($nixlabel)" "$start" "cannot evaluate python311"
        show_tail "$WORK/pyeval.err"
        continue
    fi

    for seed in ${SEEDS[@]+"${SEEDS[@]}"}; do
        name="$(basename "$seed")"
        dir="$WORK/$nixbin/$name"
        label="$name ($nixlabel)"
        start="$(now)"
        prepare "$seed" "$dir"

        # 2. print-dev-env
        if ! (cd "$dir" && timeout "$TIMEOUT" "$nixbin" "${XF[@]}" print-dev-env "${OVERRIDES[@]}" \
                >"$dir/.env.sh" 2>"$dir/.print-dev-env.err"); then
            record FAIL "$label" "$start" "print-dev-env failed"
            show_tail "$dir/.print-dev-env.err"; continue
        fi
        problems=()
        # The dumped PATH is the single-quoted assignment; 2.34 also prints PATH=${PATH:-} first.
        pathline="$(grep -m1 "^PATH='" "$dir/.env.sh")"
        case "$pathline" in
            *"$PY/bin"*) ;;
            *) problems+=("python311 bin ($PY/bin) not on PATH") ;;
        esac
        grep -q "^shellHook=." "$dir/.env.sh" || problems+=("no shellHook variable")
        grep -Eq '^eval "(\$shellHook|\$\{shellHook:-\})"' "$dir/.env.sh" || problems+=("shellHook not evaluated")
        [ -e "$dir/flake.lock" ] && problems+=("flake.lock was written")

        # 3. source it
        clean_bash "$dir" 'source ./.env.sh; echo "__PATH=$PATH"' >"$dir/.source.log" 2>&1
        rc=$?
        if [ "$rc" -ne 0 ]; then
            if [ "$rc" -eq 124 ]; then problems+=("sourcing timed out after ${TIMEOUT}s (rc=124)")
            else problems+=("sourcing failed (rc=$rc)"); fi
        fi
        if [ -x "$dir/.venv/bin/python" ]; then
            prefix="$("$dir/.venv/bin/python" -c 'import sys; print(sys.prefix)' 2>&1)"
            [ "$prefix" = "$dir/.venv" ] || problems+=(".venv/bin/python prefix is '$prefix'")
            home="$(sed -n 's/^home = //p' "$dir/.venv/pyvenv.cfg")"
            [ "$home" = "$PY/bin" ] || problems+=("pyvenv.cfg home is '$home'")
        else
            problems+=(".venv/bin/python missing")
        fi

        # 4. nix develop -c (runs the shellHook again, with the venv present)
        if ! (cd "$dir" && env PIP_NO_INDEX=1 timeout "$TIMEOUT" "$nixbin" "${XF[@]}" develop "${OVERRIDES[@]}" \
                -c bash -c 'command -v python >"$1"' _ "$dir/.develop.python" \
                </dev/null >"$dir/.develop.log" 2>&1); then
            problems+=("nix develop -c failed")
        elif ! grep -q "python" "$dir/.develop.python"; then
            problems+=("nix develop: no python on PATH")
        fi

        if [ "${#problems[@]}" -eq 0 ]; then
            record PASS "$label" "$start" "venv home=$home"
        else
            record FAIL "$label" "$start" "$(IFS=';'; echo "${problems[*]}")"
            echo "      print-dev-env stderr:"; show_tail "$dir/.print-dev-env.err" 5
            echo "      source log:"; show_tail "$dir/.source.log"
            [ -f "$dir/.develop.log" ] && { echo "      develop log:"; show_tail "$dir/.develop.log" 8; }
        fi
    done

    # mkShell self-test: input order on PATH, env, inputsFrom hooks.
    label="mkshell-selftest ($nixlabel)"
    start="$(now)"
    dir="$WORK/$nixbin/mkshell-selftest"
    mkdir -p "$dir.src"
    cat >"$dir.src/flake.nix" <<'EOF'
{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  inputs.flake-utils.url = "github:numtide/flake-utils";
  outputs = { self, nixpkgs, flake-utils }:
    flake-utils.lib.eachDefaultSystem (system:
      let pkgs = nixpkgs.legacyPackages.${system};
          base = pkgs.mkShell { buildInputs = [ pkgs.figlet ]; shellHook = "echo HOOK-FROM-INPUTSFROM"; };
      in {
        devShells.default = pkgs.mkShell {
          packages = [ pkgs.hello ];
          nativeBuildInputs = [ pkgs.jq ];
          buildInputs = [ pkgs.tmux ];
          inputsFrom = [ base ];
          env = { FIXTURE_GREETING = "hi there"; FIXTURE_NUMBER = 42; };
          shellHook = "echo HOOK-MAIN";
        };
        devShells.unfree = pkgs.mkShell { buildInputs = [ pkgs.cudatoolkit ]; };
      });
}
EOF
    prepare "$dir.src" "$dir"
    problems=()
    if (cd "$dir" && timeout "$TIMEOUT" "$nixbin" "${XF[@]}" print-dev-env "${OVERRIDES[@]}" \
            >"$dir/.env.sh" 2>"$dir/.err"); then
        out="$(clean_bash "$dir" 'source ./.env.sh; echo "__PATH=$PATH"; echo "__GREETING=$FIXTURE_GREETING"; echo "__NUMBER=$FIXTURE_NUMBER"; env | grep -c "^FIXTURE_" | sed "s/^/__EXPORTED=/"' 2>&1)"
        order="$(echo "$out" | sed -n 's/^__PATH=//p' | tr ':' '\n' | sed -n 's|^/nix/store/[a-z0-9]*-\(.*\)/bin$|\1|p' | tr '\n' ' ')"
        [ "$order" = "hello-2.12.1 jq-1.7.1 tmux-3.4 figlet-2.2.5 " ] || problems+=("PATH order '$order'")
        echo "$out" | grep -qx "__GREETING=hi there" || problems+=("env.FIXTURE_GREETING not set")
        echo "$out" | grep -qx "__NUMBER=42" || problems+=("env.FIXTURE_NUMBER not set")
        echo "$out" | grep -qx "__EXPORTED=2" || problems+=("env attributes not exported")
        [ "$(echo "$out" | grep -x 'HOOK-FROM-INPUTSFROM\|HOOK-MAIN' | tr '\n' ' ')" = "HOOK-FROM-INPUTSFROM HOOK-MAIN " ] \
            || problems+=("shellHooks not merged in order")
    else
        problems+=("print-dev-env failed: $(grep -m1 error "$dir/.err")")
    fi
    if (cd "$dir" && timeout "$TIMEOUT" "$nixbin" "${XF[@]}" print-dev-env "${OVERRIDES[@]}" .#unfree \
            >/dev/null 2>"$dir/.unfree.err"); then
        problems+=("unfree cudatoolkit evaluated without allowUnfree")
    elif ! grep -q "has an unfree license" "$dir/.unfree.err"; then
        problems+=("unfree error unclear: $(grep -m1 error "$dir/.unfree.err")")
    fi
    if [ "${#problems[@]}" -eq 0 ]; then
        record PASS "$label" "$start" "PATH order: $order"
    else
        record FAIL "$label" "$start" "$(IFS=';'; echo "${problems[*]}")"
        [ -f "$dir/.err" ] && show_tail "$dir/.err" 8
    fi
done

echo
echo "Summary:"
printf '  %s\n' "${results[@]}" ${skipped[@]+"${skipped[@]}"}
if [ "$failures" -gt 0 ]; then
    echo "$failures check(s) FAILED"
    exit 1
fi
if [ "${#skipped[@]}" -gt 0 ]; then
    echo "all checks run PASSED; ${#skipped[@]} SKIPPED (see above)"
else
    echo "all checks PASSED"
fi
