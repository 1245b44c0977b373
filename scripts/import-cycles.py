#!/usr/bin/env python3
"""File-level import graph of a Rust crate's src/ and its cycles.

An edge A -> B when file A names module file B in a path: `use crate::x::y`, `super::z`,
`self::w`, or a child module declared in A (`mod env;` then `env::run`). A path names the
longest module-file prefix it has (`crate::lsp::State` names lsp/mod.rs). Edges to itself are
dropped. Prints every cycle (strongly connected component of more than one file), also on
stderr, and exits 1 when there is one.
Usage: import_cycles.py SRC_DIR [PREFIX...]   (PREFIX: only files under these, e.g. lsp cli)
"""
import os, re, sys

src = sys.argv[1]
prefixes = sys.argv[2:]
files = {}  # module path tuple -> file
for dirpath, _, names in os.walk(src):
    for n in names:
        if not n.endswith('.rs'):
            continue
        rel = os.path.relpath(os.path.join(dirpath, n), src)
        parts = rel[:-3].split(os.sep)
        if parts[-1] in ('mod', 'lib', 'main'):
            parts = parts[:-1]
        if rel == 'main.rs':
            continue  # the binary: a separate crate
        files[tuple(parts)] = rel

def strip(text):
    text = re.sub(r'//[^\n]*', '', text)
    text = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
    text = re.sub(r"'(?:\\.|[^'\\])'", "' '", text)  # char literals, '"' among them
    text = re.sub(r'(?<!\w)r(#*)"(?:.|\n)*?"\1', '""', text)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text, flags=re.S)
    # unit tests are not part of the module graph the code depends on
    text = re.split(r'#\[cfg\(test\)\]\s*(?:pub(?:\(crate\))?\s+)?mod tests', text)[0]
    return text

def expand(tree):
    """`a::{b, c::{d, e}}` -> ['a::b', 'a::c::d', 'a::c::e']"""
    tree = tree.strip()
    i = tree.find('{')
    if i < 0:
        return [tree]
    head, body = tree[:i], tree[i + 1:tree.rfind('}')]
    items, depth, cur = [], 0, ''
    for ch in body:
        if ch == ',' and depth == 0:
            items.append(cur); cur = ''
            continue
        depth += ch == '{'
        depth -= ch == '}'
        cur += ch
    items.append(cur)
    out = []
    for it in items:
        if it.strip():
            out += [head + x for x in expand(it)]
    return out

def resolve(mod, path, children):
    segs = [s for s in re.split(r'::', path) if s]
    segs = [s.split(' as ')[0].strip() for s in segs]
    if not segs:
        return None
    if segs[0] == 'crate':
        base, rest = (), segs[1:]
    elif segs[0] == 'super':
        base, rest = mod, segs
        while rest and rest[0] == 'super':
            base, rest = base[:-1], rest[1:]
    elif segs[0] == 'self':
        base, rest = mod, segs[1:]
    elif segs[0] in children:
        base, rest = mod, segs
    else:
        return None
    rest = [s for s in rest if s != 'self']
    best = base if base in files else None
    cur = base
    for s in rest:
        cur = cur + (s,)
        if cur in files:
            best = cur
        else:
            break
    return best

edges = {m: set() for m in files}
for mod, rel in files.items():
    text = strip(open(os.path.join(src, rel)).read())
    children = set(re.findall(r'^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;', text, re.M))
    paths = []
    for m in re.finditer(r'\buse\s+([^;]+);', text):
        paths += expand(m.group(1).replace('\n', ' '))
    body = re.sub(r'\buse\s+[^;]+;', '', text)
    paths += re.findall(r'(?<![\w:])((?:crate|super|self)(?:::\w+)+)', body)
    if children:
        alt = '|'.join(sorted(children))
        paths += re.findall(r'(?<![\w:])((?:%s)(?:::\w+)+)' % alt, body)
    for p in paths:
        target = resolve(mod, p.replace(' ', ''), children)
        if target is not None and target != mod:
            edges[mod].add(target)

def keep(m):
    return not prefixes or any(files[m].startswith(p) for p in prefixes)

# Tarjan's strongly connected components
index, low, stack, on, sccs, n = {}, {}, [], set(), [], [0]
def visit(v):
    index[v] = low[v] = n[0]; n[0] += 1
    stack.append(v); on.add(v)
    for w in edges[v]:
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        sccs.append(comp)
sys.setrecursionlimit(10000)
for v in files:
    if v not in index:
        visit(v)
cycles = [c for c in sccs if len(c) > 1 and any(keep(m) for m in c)]
shown = sorted(m for m in files if keep(m))
print(f"{len(shown)} files, {sum(len([t for t in edges[m]]) for m in shown)} imports")
for m in shown:
    print(f"  {files[m]} -> {', '.join(sorted(files[t] for t in edges[m])) or '(nothing in the crate)'}")
if not cycles:
    print("no cycles")
for c in cycles:  # on stderr too, so that a run with stdout discarded still shows them
    line = "CYCLE: " + ' <-> '.join(sorted(files[m] for m in c))
    print(line)
    print(line, file=sys.stderr)
sys.exit(1 if cycles else 0)
