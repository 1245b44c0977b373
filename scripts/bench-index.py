#!/usr/bin/env python3
"""The package index on a real-size nixpkgs, in one run (a benchmark, not a timed test).

Writes a synthetic heavy nixpkgs with ../shared/tools/heavy-nixpkgs.sh (tens of thousands of
packages with meta, a nested python3Packages, an import that costs about a second), then
prints, for each Nix given:
  all-meta eval:   one `nix eval` reading every top-level package's meta at once (the floor);
  full index:      a server started on a project using that nixpkgs (never indexed: a fresh
                   cache directory): didOpen -> the end of the "Indexing the packages of
                   nixpkgs" progress;
  ratio:           full index / all-meta eval (the target is at most 3);
  Nix processes:   how many that server started until then (a wrapper counts them), and how
                   many of those were the index's (their arguments name legacyPackages);
  first detail:    a second server, fresh cache again: `textDocument/hover` on `pkgs.tool12345`
                   sent right after the file is opened, until the hover shows the package's
                   version; `nested` the same for `pkgs.python3Packages.py-77`.
The project is not trusted, so nothing is realised; its evaluation runs as usual.

Usage: python3 scripts/bench-index.py [--nix PATH]... [--packages N] [--python N]
       (default: nix and nix-latest when on PATH; 24000 and 8000 packages; the release binary
       when built, else the debug one)
Figures: docs/performance.md.
"""
import argparse, os, shutil, subprocess, sys, tempfile, time

from lspwire import read, send  # scripts/lspwire.py

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("FLAKE_LSP_SHARED", os.path.join(REPO, "..", "shared"))
SYSTEM = "x86_64-linux"
FEATURES = ["--extra-experimental-features", "nix-command flakes"]

ALL_META = ("s: builtins.mapAttrs (n: v: let m = if builtins.isAttrs v then v.meta or null else null; "
            "r = builtins.tryEval (builtins.deepSeq m m); in if r.success then r.value else null) s")

PROJECT = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
  outputs = { self, nixpkgs }:
    let pkgs = nixpkgs.legacyPackages.x86_64-linux;
    in {
      packages.x86_64-linux.default = pkgs.tool12345;
      packages.x86_64-linux.py = pkgs.python3Packages.py-77;
    };
}
"""


def binary():
    for profile in ("release", "debug"):
        path = os.path.join(REPO, "target", profile, "flake-lsp")
        if os.path.exists(path):
            return path
    sys.exit("build flake-lsp first (target/release or target/debug)")


def position(text, marker):
    at = text.index(marker) + len(marker)
    return {"line": text[:at].count("\n"), "character": at - (text[:at].rfind("\n") + 1)}


def all_meta_eval(nix, heavy):
    start = time.perf_counter()
    subprocess.run([nix, *FEATURES, "eval", "--json", f"path:{heavy}#legacyPackages.{SYSTEM}",
                    "--apply", ALL_META], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def counting_wrapper(work, nix):
    log = os.path.join(work, "nix-runs.log")
    wrapper = os.path.join(work, "nix-counting")
    with open(wrapper, "w") as f:
        f.write(f"#!/bin/sh\necho \"$(date +%s.%N) $*\" | tr '\\n' ' ' >> '{log}'\necho >> '{log}'\n"
                f"'{nix}' \"$@\"; rc=$?; echo \"$(date +%s.%N) end\" >> '{log}'; exit $rc\n")
    os.chmod(wrapper, 0o755)
    return wrapper, log


def server_run(nix, heavy, work, hover):
    project = os.path.join(work, "project")
    os.makedirs(project, exist_ok=True)
    with open(os.path.join(project, "flake.nix"), "w") as f:
        f.write(PROJECT)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    wrapper, log = counting_wrapper(work, nix)
    env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache"),
               XDG_DATA_HOME=os.path.join(work, "data"), FLAKE_LSP_NIX=wrapper)
    proc = subprocess.Popen([binary()], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
    uri = "file://" + os.path.join(project, "flake.nix")
    send(proc, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "processId": None, "rootUri": "file://" + project,
        "capabilities": {"window": {"workDoneProgress": True}},
        "initializationOptions": {"flakeLsp": {"environment": {
            "trusted": False, "overrideInputs": {"nixpkgs": "path:" + heavy}}}}}})
    while "result" not in read(proc):
        pass
    send(proc, {"jsonrpc": "2.0", "method": "initialized", "params": {}})
    send(proc, {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "nix", "version": 1, "text": PROJECT}}})
    opened = time.perf_counter()
    hovers = [("pkgs.tool1234", "tool12345"), ("python3Packages.py-7", "python3Packages.py-77")]
    next_id, asked, first = 10, {}, {}
    index_token, index_done = None, None

    def ask(which):
        nonlocal next_id
        marker = hovers[which][0]
        send(proc, {"jsonrpc": "2.0", "id": next_id, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": uri}, "position": position(PROJECT, marker)}})
        asked[next_id] = which
        next_id += 1

    if hover:
        ask(0)
        ask(1)
    while (index_done is None) if not hover else (len(first) < len(hovers)):
        msg = read(proc)
        if "id" in msg and "method" in msg:  # a request from the server (progress tokens)
            send(proc, {"jsonrpc": "2.0", "id": msg["id"], "result": None})
            continue
        if msg.get("id") in asked:
            which = asked.pop(msg["id"])
            value = ((msg.get("result") or {}).get("contents") or {}).get("value", "")
            if f"**`{hovers[which][1]}`** `" in value:
                first.setdefault(which, time.perf_counter() - opened)
            elif which not in first:
                time.sleep(0.05)
                ask(which)
        if msg.get("method") == "$/progress":
            value = msg["params"]["value"]
            if value.get("kind") == "begin" and value.get("title") == "Indexing the packages of nixpkgs":
                index_token = msg["params"]["token"]
            if value.get("kind") == "end" and msg["params"]["token"] == index_token:
                index_done = time.perf_counter() - opened
    send(proc, {"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None})
    send(proc, {"jsonrpc": "2.0", "method": "exit", "params": None})
    proc.wait(timeout=30)
    with open(log) as f:
        lines = [line for line in f if line.strip()]
    if os.environ.get("BENCH_INDEX_TRACE"):
        t0 = time.time() - (time.perf_counter() - opened)
        for line in lines:
            stamp, _, rest = line.partition(" ")
            print(f"  {float(stamp) - t0:6.2f} {rest.strip()[:150]}")
    runs = [line for line in lines if not line.rstrip().endswith(" end")]
    index_runs = [r for r in runs if "legacyPackages" in r and "--apply" in r]
    return first.get(0), first.get(1), index_done, len(runs), len(index_runs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nix", action="append")
    parser.add_argument("--packages", type=int, default=24000)
    parser.add_argument("--python", type=int, default=8000)
    args = parser.parse_args()
    nixes = args.nix or [p for p in (shutil.which("nix"), shutil.which("nix-latest")) if p]
    work = tempfile.mkdtemp(prefix="flake-lsp-bench-index-")
    heavy = os.path.join(work, "heavy-nixpkgs")
    subprocess.run(["bash", os.path.join(SHARED, "tools", "heavy-nixpkgs.sh"), heavy,
                    str(args.packages), str(args.python)], check=True, stdout=subprocess.DEVNULL)
    print(f"heavy nixpkgs: {args.packages} packages, {args.python} in python3Packages; "
          f"server: {os.path.relpath(binary(), REPO)}")
    print(f"{'nix':<12} {'all-meta eval':>13} {'full index':>10} {'ratio':>6} {'Nix processes (index)':>22} "
          f"{'first detail':>12} {'nested':>8}")
    try:
        for nix in nixes:
            version = subprocess.run([nix, "--version"], capture_output=True, text=True).stdout.split()[-1]
            all_meta_eval(nix, heavy)  # the flake copied to the store once, as the server finds it
            meta = all_meta_eval(nix, heavy)
            run_dir = os.path.join(work, f"index-{version}")
            os.makedirs(run_dir)
            _, _, index, runs, index_runs = server_run(nix, heavy, run_dir, hover=False)
            run_dir = os.path.join(work, f"hover-{version}")
            os.makedirs(run_dir)
            detail, nested, _, _, _ = server_run(nix, heavy, run_dir, hover=True)
            print(f"{version:<12} {meta:>12.2f}s {index:>9.2f}s {index / meta:>5.1f}x {runs:>18} ({index_runs}) "
                  f"{detail:>11.2f}s {nested:>7.2f}s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
