#!/usr/bin/env python3
"""Evaluation latency over LSP against a bare `nix eval`, in one run, on the heavy nixpkgs.

Writes the heavy nixpkgs (../shared/tools/heavy-nixpkgs.sh, defaults: 30000 packages, an import
of about a second) once into a cache directory, and a project on it (a git checkout, nixpkgs
overridden to it) with two packages. Then prints:
  bare nix eval       `nix eval --json .#packages.<system>.default.drvPath` (median of RUNS);
  first diagnostics   opening flake.nix -> the evaluation's diagnostics (the evaluator starts,
                      nixpkgs is evaluated), once;
  save -> diagnostics an edit that changes which nixpkgs package an output uses (an error in
                      turn with a fix), saved -> the evaluation's diagnostics (median of RUNS);
  nixpkgs-free edit   a typo in one package that uses nothing of nixpkgs, saved -> diagnostics
                      (median of RUNS);
  evaluator memory    the `nix repl`'s resident memory after the runs (VmRSS), beside the peak
                      resident memory of a bare `nix eval`.
Each round trip includes the server's 300 ms pause after a save (a burst of saves evaluates
once).

Usage: python3 scripts/bench-eval.py [RUNS] [--release] [--nix NIX]
  RUNS defaults to 7; the debug binary (target/debug/flake-lsp) unless --release; NIX defaults
  to `nix` on PATH. Builds nothing. Figures: docs/performance.md.
"""
import os, resource, shutil, statistics, subprocess, sys, tempfile, time

from lspwire import read, send  # scripts/lspwire.py

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("FLAKE_LSP_SHARED", os.path.join(REPO, "..", "shared"))
SYSTEM = "x86_64-linux"

PROJECT = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
  outputs = { self, nixpkgs }:
    let pkgs = nixpkgs.legacyPackages.%(system)s;
    in {
      packages.%(system)s.default = pkgs.%(tool)s;
      packages.%(system)s.mine = derivation { name = %(name)s; system = "%(system)s"; builder = "/bin/sh"; };
    };
}
"""


def project_text(tool="tool42", name='"mine"'):
    return PROJECT % {"system": SYSTEM, "tool": tool, "name": name}


def wait_diagnostics(proc, uri, has_error):
    """Until a publication for `uri` whose eval_error presence is `has_error`; answers server requests."""
    while True:
        m = read(proc)
        if "id" in m and "method" in m:
            send(proc, {"jsonrpc": "2.0", "id": m["id"], "result": None})
            continue
        if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri:
            errors = [d for d in m["params"]["diagnostics"] if d.get("code") == "eval_error"]
            if bool(errors) == has_error:
                return errors


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def evaluator_pids(server_pid):
    out = subprocess.run(["pgrep", "-P", str(server_pid), "-f", "repl"], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def main():
    args = sys.argv[1:]
    release = "--release" in args
    nix = "nix"
    if "--nix" in args:
        nix = args[args.index("--nix") + 1]
    numbers = [a for a in args if a.isdigit()]
    runs = int(numbers[0]) if numbers else 7
    binary = os.path.join(REPO, "target", "release" if release else "debug", "flake-lsp")

    cache = os.path.join(tempfile.gettempdir(), "flake-lsp-bench-heavy-nixpkgs")
    if not os.path.exists(os.path.join(cache, "flake.nix")):
        subprocess.run(["bash", os.path.join(SHARED, "tools", "heavy-nixpkgs.sh"), cache], check=True,
                       stdout=subprocess.DEVNULL)
    work = tempfile.mkdtemp(prefix="flake-lsp-bench-eval-")
    project = os.path.join(work, "project")
    os.makedirs(project)
    flake = os.path.join(project, "flake.nix")
    with open(flake, "w") as f:
        f.write(project_text())
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    override = "path:" + cache
    features = ["--extra-experimental-features", "nix-command flakes"]

    version = subprocess.run([nix, "--version"], capture_output=True, text=True).stdout.strip()
    bare = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([nix, *features, "eval", "--json", "--no-write-lock-file", "--override-input", "nixpkgs",
                        override, f"{project}#packages.{SYSTEM}.default.drvPath"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        bare.append(time.perf_counter() - start)
    bare_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    env = dict(os.environ, FLAKE_LSP_NIX=nix, XDG_CACHE_HOME=os.path.join(work, "cache"),
               XDG_DATA_HOME=os.path.join(work, "data"))
    proc = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=open(os.environ.get("BENCH_LOG", os.devnull), "w"), env=env)
    uri = "file://" + flake
    send(proc, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "processId": None, "rootUri": "file://" + project, "capabilities": {},
        "initializationOptions": {"flakeLsp": {"environment": {
            "trusted": False, "overrideInputs": {"nixpkgs": override}}}}}})
    while read(proc).get("id") != 1:
        pass
    send(proc, {"jsonrpc": "2.0", "method": "initialized", "params": {}})
    # The first evaluation shows an error, so that its publication is told from the static one.
    text = project_text(tool="toolMissing")
    with open(flake, "w") as f:
        f.write(text)
    start = time.perf_counter()
    send(proc, {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "nix", "version": 1, "text": text}}})
    wait_diagnostics(proc, uri, True)
    first = time.perf_counter() - start

    version_no = [1]

    def save(text, has_error):
        version_no[0] += 1
        with open(flake, "w") as f:
            f.write(text)
        send(proc, {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": version_no[0]}, "contentChanges": [{"text": text}]}})
        start = time.perf_counter()
        send(proc, {"jsonrpc": "2.0", "method": "textDocument/didSave", "params": {"textDocument": {"uri": uri}}})
        wait_diagnostics(proc, uri, has_error)
        return time.perf_counter() - start

    saves, free = [], []
    for i in range(runs):
        # Fixed (another nixpkgs package), then broken again (a missing one).
        saves.append(save(project_text(tool="tool%d" % (100 + i)), False))
        saves.append(save(project_text(tool="toolMissing%d" % i), True))
    save(project_text(), False)
    for i in range(runs):
        free.append(save(project_text(name='1 + "typo%d"' % i), True))
        free.append(save(project_text(name='"mine%d"' % i), False))
    pids = evaluator_pids(proc.pid)
    memory = sum(rss_mb(p) for p in pids)
    send(proc, {"jsonrpc": "2.0", "id": 99, "method": "shutdown", "params": None})
    send(proc, {"jsonrpc": "2.0", "method": "exit", "params": None})
    proc.wait(timeout=30)
    shutil.rmtree(work, ignore_errors=True)

    med = statistics.median
    print(f"{version}; server: {'release' if release else 'debug'} binary; heavy nixpkgs: {cache}")
    print(f"bare nix eval (packages.{SYSTEM}.default.drvPath): median {med(bare):.3f} s of {runs}")
    print(f"open -> first diagnostics (evaluator starts):       {first:.3f} s "
          f"({first / med(bare):.2f}x bare)")
    print(f"save -> diagnostics (nixpkgs package changed):      median {med(saves):.3f} s of {len(saves)} "
          f"({med(saves) / med(bare):.2f}x bare)")
    print(f"nixpkgs-free edit -> diagnostics:                   median {med(free):.3f} s of {len(free)} "
          f"({med(free) / med(bare):.2f}x bare)")
    print(f"evaluator resident memory: {memory:.0f} MB ({len(pids)} process); "
          f"peak of one bare nix eval: {bare_rss:.0f} MB")


if __name__ == "__main__":
    main()
