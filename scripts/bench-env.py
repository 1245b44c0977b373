#!/usr/bin/env python3
"""Environment latency over LSP, cold against cached, in one run.

For the seed flake 000-devops-renaissance (a git copy, nixpkgs and flake-utils pointed at the
fixtures in tests/fixtures), starts the release server, initializes it as an editor would
(workspace trusted), and times initialize -> `flake/environment` state `ready`:
  cold:   a fresh cache directory each run (Nix's store keeps the builds, as on a user's
          machine after the first time; the evaluation, print-dev-env and the shellHook run);
  cached: the same cache directory again (the project did not change).
Also prints the server's peak resident memory (VmHWM) in each case.

Usage: python3 scripts/bench-env.py [RUNS]     (builds nothing: run `cargo build --release` first)
Figures: docs/performance.md.
"""
import os, shutil, statistics, subprocess, sys, tempfile, time

from lspwire import read, send  # scripts/lspwire.py

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("FLAKE_LSP_SHARED", os.path.join(REPO, "..", "shared"))
BIN = os.path.join(REPO, "target", "release", "flake-lsp")


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def one_run(project, cache, data):
    env = dict(os.environ, XDG_CACHE_HOME=cache, XDG_DATA_HOME=data, PIP_NO_INDEX="1")
    proc = subprocess.Popen([BIN], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
    fixtures = os.path.join(REPO, "tests", "fixtures")
    start = time.perf_counter()
    send(proc, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "processId": None, "rootUri": "file://" + project, "capabilities": {},
        "initializationOptions": {"flakeLsp": {"environment": {"trusted": True, "overrideInputs": {
            "nixpkgs": "path:" + os.path.join(fixtures, "nixpkgs"),
            "flake-utils": "path:" + os.path.join(fixtures, "flake-utils")}}}}}})
    while "result" not in read(proc):  # a client waits for the answer before `initialized`
        pass
    send(proc, {"jsonrpc": "2.0", "method": "initialized", "params": {}})
    while True:
        msg = read(proc)
        if "id" in msg and "method" in msg:
            send(proc, {"jsonrpc": "2.0", "id": msg["id"], "result": None})
        if msg.get("method") == "flake/environment" and msg["params"]["state"] in ("ready", "failed"):
            elapsed = time.perf_counter() - start
            state, from_cache = msg["params"]["state"], msg["params"]["fromCache"]
            break
    rss = peak_rss_kib(proc.pid)
    send(proc, {"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None})
    send(proc, {"jsonrpc": "2.0", "method": "exit", "params": None})
    proc.wait(timeout=30)
    if state != "ready":
        sys.exit(f"the environment failed: {msg['params'].get('error')}")
    return elapsed, from_cache, rss


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    work = tempfile.mkdtemp(prefix="flake-lsp-bench-env-")
    try:
        project = os.path.join(work, "project")
        os.makedirs(project)
        shutil.copy(os.path.join(SHARED, "fixtures/seeds/000-devops-renaissance/flake.nix"), project)
        open(os.path.join(project, "requirements.txt"), "w").close()
        subprocess.run(["git", "init", "-q"], cwd=project, check=True)
        subprocess.run(["git", "add", "-A"], cwd=project, check=True)
        data = os.path.join(work, "data")
        cold, cached, rss_cold, rss_cached = [], [], [], []
        one_run(project, os.path.join(work, "warm"), data)  # builds land in the store once
        for i in range(runs):
            cache = os.path.join(work, f"cache-{i}")
            t, from_cache, rss = one_run(project, cache, data)
            assert not from_cache
            cold.append(t); rss_cold.append(rss)
            t, from_cache, rss = one_run(project, cache, data)
            assert from_cache
            cached.append(t); rss_cached.append(rss)
        med = statistics.median
        print(f"seed 000-devops-renaissance, {runs} runs each, initialize -> flake/environment ready")
        print(f"  cold   median {med(cold)*1000:8.1f} ms  (min {min(cold)*1000:.1f}, max {max(cold)*1000:.1f})"
              f"  peak RSS {max(rss_cold)/1024:.1f} MiB")
        print(f"  cached median {med(cached)*1000:8.1f} ms  (min {min(cached)*1000:.1f}, max {max(cached)*1000:.1f})"
              f"  peak RSS {max(rss_cached)/1024:.1f} MiB")
        print(f"  cold / cached: {med(cold)/med(cached):.0f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
