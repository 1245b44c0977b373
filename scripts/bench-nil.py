#!/usr/bin/env python3
"""flake-lsp and nil side by side, in one run, with ../shared/tools/bench/lspbench.py.

usage: scripts/bench-nil.py [--runs N] [--only NAME] [FLAKE_LSP [NIL]]
  FLAKE_LSP  default target/release/flake-lsp (build it with `cargo build --release`)
  NIL        default ../shared/tools/peers/nil

The inputs are written to target/bench-nil/: the three seed flakes and the 700-line flake
(each as flake.nix in its own directory, so both servers treat it as a flake) and a file of
more than 5 MB of real modules (the seeds, the 700-line flake and the test fixtures written as
real code, each as one attribute of a set, over and over), checked with `nix-instantiate
--parse` when it is there. Each input
is measured `--runs` times per server, the servers alternating; the medians and the ratio
flake-lsp ÷ nil are printed (lower is better for us). For the large file, edits inside a
binding in the middle of it are measured too (lspbench's are at the end of the file). Benchmarks only: nothing asserts a time.
"""
import argparse, os, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("FLAKE_LSP_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
sys.path.insert(0, os.path.join(SHARED, "tools", "bench"))
import lspbench  # noqa: E402

SEEDS = ["000-devops-renaissance", "001-code-as-infrastructure", "001-code-as-infrastructure.commented"]
LARGE_BYTES = 6 * 1024 * 1024
METRICS = [
    ("open_to_diag_ms", "open → first diagnostics (ms)"),
    ("edit_to_diag_ms_p50", "edit → diagnostics, median (ms)"),
    ("completion_ms_p50", "completion, median (ms)"),
    ("hover_ms_p50", "hover, median (ms)"),
    ("rss_mb", "resident memory (MB)"),
]


def real_modules():
    """Real Nix code: the seed flakes, the 700-line flake, and the test
    fixtures written as real code is (the small nixpkgs, flake-utils). Not the parser's
    fixtures, which are the language's odd corners on purpose."""
    files = [os.path.join(SHARED, "fixtures/seeds", s, "flake.nix") for s in SEEDS]
    files.append(os.path.join(ROOT, "server/benches/inputs/flake-700.nix"))
    for base in ["tests/fixtures/nixpkgs", "tests/fixtures/flake-utils"]:
        for d, _, names in sorted(os.walk(os.path.join(ROOT, base))):
            files += [os.path.join(d, f) for f in sorted(names) if f.endswith(".nix")]
    return [open(f, encoding="utf-8").read() for f in files]


def large_file(path):
    modules = real_modules()
    parts, size, i = ["{\n"], 2, 0
    while size < LARGE_BYTES:
        text = modules[i % len(modules)].strip()
        part = f"  m{i} = (\n{text}\n  );\n"
        parts.append(part)
        size += len(part.encode())
        i += 1
    parts.append("}\n")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(parts))


def inputs(work):
    out = []
    for seed in SEEDS:
        d = os.path.join(work, seed)
        os.makedirs(d, exist_ok=True)
        text = open(os.path.join(SHARED, "fixtures/seeds", seed, "flake.nix"), encoding="utf-8").read()
        open(os.path.join(d, "flake.nix"), "w", encoding="utf-8").write(text)
        out.append((seed, os.path.join(d, "flake.nix")))
    d = os.path.join(work, "flake-700")
    os.makedirs(d, exist_ok=True)
    text = open(os.path.join(ROOT, "server/benches/inputs/flake-700.nix"), encoding="utf-8").read()
    # nil publishes nothing for a file without diagnostics, so there would be no "first
    # diagnostics" to wait for: one unused binding, which both servers report.
    text = text.replace("let\n", "let\n        benchUnused = 1;\n", 1)
    open(os.path.join(d, "flake.nix"), "w", encoding="utf-8").write(text)
    out.append(("flake-700", os.path.join(d, "flake.nix")))
    d = os.path.join(work, "large")
    os.makedirs(d, exist_ok=True)
    large_file(os.path.join(d, "default.nix"))
    mb = os.path.getsize(os.path.join(d, "default.nix")) / 1024 / 1024
    try:
        parsed = subprocess.run(["nix-instantiate", "--parse", os.path.join(d, "default.nix")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        verdict = "accepted" if parsed.returncode == 0 else "REFUSED: " + parsed.stderr.strip()[:300]
        print(f"the large file, {mb:.1f} MB: {verdict} by nix-instantiate --parse\n")
    except FileNotFoundError:
        print("nix-instantiate not found: the large file was not checked\n")
    out.append((f"large ({mb:.1f} MB)", os.path.join(d, "default.nix")))
    return out


def middle_edits(exe, path, reps=10):
    """Edits inside a binding in the middle of the file, as a user types there (lspbench's
    edits are at the end): one character put in and taken out again, by ranges, `reps` times;
    "valid" types a letter, "broken" an unclosed `(`. Medians of edit → diagnostics, in ms."""
    lines = open(path, encoding="utf-8").read().split("\n")
    line = next(i for i in range(len(lines) // 2, len(lines))
                if " = " in lines[i] and lines[i].rstrip().endswith(";"))
    col = lines[line].index(" = ") + 3
    out = {}
    with lspbench.Client([exe], os.path.dirname(os.path.abspath(path))) as c:
        uri = c.open(path)
        c.wait_diagnostics(uri, timeout=120)
        version = 1
        for name, typed in [("valid", "x"), ("broken", "(")]:
            times = []
            for i in range(reps):
                version += 1
                end = col if i % 2 == 0 else col + 1
                change = {"range": {"start": {"line": line, "character": col},
                                    "end": {"line": line, "character": end}},
                          "text": typed if i % 2 == 0 else ""}
                with c.diag_cv:
                    c.diags.pop(uri, None)
                t = time.perf_counter()
                c.notify("textDocument/didChange",
                         {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
                if c.wait_diagnostics(uri, timeout=120) is None:
                    sys.exit(f"bench-nil: {exe} published nothing after an edit in the middle")
                times.append((time.perf_counter() - t) * 1000)
            out[name] = statistics.median(times)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", help="measure only inputs whose name contains this")
    ap.add_argument("ours", nargs="?", default=os.path.join(ROOT, "target/release/flake-lsp"))
    ap.add_argument("nil", nargs="?", default=os.path.join(SHARED, "tools/peers/nil"))
    args = ap.parse_args()
    for exe in (args.ours, args.nil):
        if not os.access(exe, os.X_OK):
            sys.exit(f"bench-nil: {exe} is missing or not executable")
    work = os.path.join(ROOT, "target", "bench-nil")
    servers = [("flake-lsp", args.ours), ("nil", args.nil)]
    print(f"flake-lsp: {args.ours}\nnil:       {args.nil}\nruns per input and server: {args.runs}\n")
    for name, path in inputs(work):
        if args.only and args.only not in name:
            continue
        results = {s: [] for s, _ in servers}
        for _ in range(args.runs):
            for server, exe in servers:
                results[server].append(lspbench.bench(exe, path, reps=9))
                time.sleep(0.2)
        print(f"## {name}")
        print(f"| | flake-lsp | nil | flake-lsp ÷ nil |\n|---|---|---|---|")
        for key, label in METRICS:
            ours = statistics.median(r[key] for r in results["flake-lsp"])
            theirs = statistics.median(r[key] for r in results["nil"])
            ratio = f"{ours / theirs:.2f}×" if theirs else "–"
            print(f"| {label} | {ours:.1f} | {theirs:.1f} | {ratio} |")
        if name.startswith("large"):
            middle = {server: middle_edits(exe, path) for server, exe in servers}
            for key, label in [("valid", "edit in the middle, valid (ms)"),
                               ("broken", "edit in the middle, a binding broken (ms)")]:
                ours, theirs = middle["flake-lsp"][key], middle["nil"][key]
                print(f"| {label} | {ours:.1f} | {theirs:.1f} | {ours / theirs:.2f}× |")
        print(flush=True)


if __name__ == "__main__":
    main()
