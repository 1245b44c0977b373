#!/usr/bin/env python3
"""Differential fuzzing of flake-lsp's parser against Nix's: mutate real Nix files and compare
"refused" (`flake-lsp check` reports a diagnostic Nix's parser would refuse the file for) with
`nix-instantiate --parse` of Nix 2.8 and of the newest Nix (/opt/nix-latest).

  python3 scripts/diff-fuzz.py [--minutes 30] [--seed N] [--out target/diff-fuzz] [BIN]

BIN is the flake-lsp binary (default target/debug/flake-lsp). Inputs are the parse corpus
(tests/fixtures/parse/{valid,invalid}) and the shared seed flakes; mutations are grammar-aware
(tokens of Nix spliced in, brackets, strings and comments opened or closed) and include Unicode
whitespace and control characters. Every case where the two Nix versions agree and flake-lsp
does not is kept in OUT/disagree-N.nix with its verdicts in OUT/disagree-N.txt, minimised by
deleting lines and characters while the disagreement holds. Prints counts as it goes and a
summary at the end; exits 1 when it found a disagreement.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
LATEST = "/opt/nix-latest"
NIX_INSTANTIATES = {
    "2.8": ["nix-instantiate"],
    "latest": [
        f"{LATEST}/usr/lib64/ld-linux-x86-64.so.2",
        "--library-path",
        f"{LATEST}/lib/x86_64-linux-gnu:{LATEST}/usr/lib/x86_64-linux-gnu",
        f"{LATEST}/usr/bin/nix-instantiate",
    ],
}

# Pieces of Nix and of what text copied from elsewhere brings.
TOKENS = [
    " ", "\t", "\n", "\r\n", "\r", ";", "=", ":", ",", ".", "@", "?", "...", "{", "}", "[", "]",
    "(", ")", "${", "''", '"', "'", "\\", "#", "/*", "*/", "//", "++", "+", "-", "*", "/", "!",
    "==", "!=", "<", ">", "<=", ">=", "&&", "||", "->", "|>", "<|", "let ", " in ", "rec ",
    "with ", "inherit ", "if ", " then ", " else ", "assert ", "or", "a", "x.y", "1", "1.5",
    "0x1", "1e3", "./p", "/abs", "~/h", "<nixpkgs>", "github:o/r", "${x}", "''$", "'''",
    "\\${", "$$", "__curPos", "true", "null",
    # Unicode whitespace and control characters
    "\u00a0", "\u000b", "\u000c", "\u0085", "\u2028", "\u2029", "\u3000", "\u2003", "\u200b",
    "\ufeff", "\u0001", "\u001b", "\u007f", "\u00ad", "é", "λ", "😀",
]


def inputs():
    files = []
    for sub in ("tests/fixtures/parse/valid", "tests/fixtures/parse/invalid"):
        d = os.path.join(REPO, sub)
        files += [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".nix")]
    shared = os.environ.get("FLAKE_LSP_SHARED", os.path.join(REPO, "..", "shared"))
    seeds = os.path.join(shared, "fixtures", "seeds")
    if os.path.isdir(seeds):
        for root, _, names in os.walk(seeds):
            files += [os.path.join(root, n) for n in names if n.endswith(".nix")]
    texts = []
    for f in files:
        with open(f, "rb") as fh:
            data = fh.read()
        if b"\0" not in data:
            texts.append(data.decode("utf-8", "replace"))
    return texts


def mutate(rng, text, texts):
    for _ in range(rng.randint(1, 3)):
        n = len(text)
        i = rng.randint(0, n)
        op = rng.random()
        if op < 0.45:
            text = text[:i] + rng.choice(TOKENS) + text[i:]
        elif op < 0.6 and n:
            j = min(n, i + rng.randint(1, 8))
            text = text[:i] + text[j:]
        elif op < 0.7 and n:
            j = min(n, i + rng.randint(1, 20))
            text = text[:i] + text[i:j] + text[i:]
        elif op < 0.85:
            other = rng.choice(texts)
            if other:
                a = rng.randint(0, len(other) - 1)
                text = text[:i] + other[a:a + rng.randint(1, 30)] + text[i:]
        else:
            # Indentation swapped for another kind of whitespace, as a copy from a web page does.
            ws = rng.choice(["\u00a0", "\t", "\u000c", "\u3000", "\u2003"])
            text = text.replace("\n  ", "\n" + ws * 2, rng.randint(1, 3))
    return text


def nix_refuses(path):
    out = {}
    for name, argv in NIX_INSTANTIATES.items():
        r = subprocess.run(argv + ["--parse", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=30)
        out[name] = (r.returncode != 0, r.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""])
    return out


def we_refuse(binary, paths):
    r = subprocess.run([binary, "check", "--format", "json", *paths], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=120)
    files = json.loads(r.stdout)["files"]
    verdicts = {}
    for f in files:
        verdicts[os.path.abspath(f["path"])] = any(d.get("rejectedByNixParser") for d in f["diagnostics"])
    return verdicts


def disagreement(binary, text, work):
    path = os.path.join(work, "min.nix")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    nix = nix_refuses(path)
    if nix["2.8"][0] != nix["latest"][0]:
        return None
    ours = we_refuse(binary, [path])[os.path.abspath(path)]
    return (ours, nix) if ours != nix["2.8"][0] else None


def minimise(binary, text, work):
    """Deletes lines, then single characters, while the disagreement stays."""
    for unit in ("line", "char"):
        i = 0
        while True:
            parts = text.splitlines(keepends=True) if unit == "line" else list(text)
            if i >= len(parts):
                break
            candidate = "".join(parts[:i] + parts[i + 1:])
            if candidate and disagreement(binary, candidate, work):
                text = candidate
            else:
                i += 1
    return text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?", default=os.path.join(REPO, "target/debug/flake-lsp"))
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--out", default=os.path.join(REPO, "target/diff-fuzz"))
    ap.add_argument("--batch", type=int, default=50)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    texts = inputs()
    os.makedirs(args.out, exist_ok=True)
    print(f"diff-fuzz: seed {args.seed}, {len(texts)} inputs, {args.minutes} min, binary {args.binary}", flush=True)
    end = time.time() + args.minutes * 60
    cases = versions_differ = 0
    found = []
    seen = set()
    with tempfile.TemporaryDirectory() as work:
        while time.time() < end:
            batch = []
            for k in range(args.batch):
                text = mutate(rng, rng.choice(texts), texts)
                path = os.path.join(work, f"case{k}.nix")
                with open(path, "w", encoding="utf-8", newline="") as fh:
                    fh.write(text)
                batch.append((path, text))
            ours = we_refuse(args.binary, [p for p, _ in batch])
            for path, text in batch:
                cases += 1
                nix = nix_refuses(path)
                if nix["2.8"][0] != nix["latest"][0]:
                    versions_differ += 1
                    continue
                if ours[os.path.abspath(path)] == nix["2.8"][0]:
                    continue
                small = minimise(args.binary, text, work)
                if small in seen:
                    continue
                seen.add(small)
                n = len(found) + 1
                base = os.path.join(args.out, f"disagree-{n}")
                with open(base + ".nix", "w", encoding="utf-8", newline="") as fh:
                    fh.write(small)
                verdict = disagreement(args.binary, small, work) or (ours[os.path.abspath(path)], nix)
                with open(base + ".txt", "w") as fh:
                    fh.write(f"flake-lsp refuses: {verdict[0]}\nnix refuses: {verdict[1]['2.8'][0]}\n"
                             f"nix 2.8 says: {verdict[1]['2.8'][1][0]}\nnix latest says: {verdict[1]['latest'][1][0]}\n")
                found.append(base)
                print(f"diff-fuzz: disagreement {n}: {base}.nix {small!r}", flush=True)
            if cases % 1000 < args.batch:
                print(f"diff-fuzz: {cases} cases, {versions_differ} where the Nix versions differ, {len(found)} disagreements", flush=True)
    print(f"diff-fuzz: done: {cases} cases in {args.minutes} min, {versions_differ} where Nix 2.8 and the newest differ (skipped), {len(found)} disagreements")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
