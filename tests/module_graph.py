#!/usr/bin/env python3
"""The module graph of src/core, src/capi and src/cxx, and its import cycles.

Reads every `.rs` file of those directories, finds the crate paths it names (`use crate::...`,
`use super::...`, and paths written inline such as `super::ops::run(...)` or
`crate::core::client::Client`), and adds an edge from the file's module to each other module of
the same layer that it names. A module is one file (`mod.rs` is its directory); `#[cfg(test)]`
modules (`tests.rs`, `mod tests { ... }`) are left out. Names re-exported by `mod.rs`
(`pub use client::Client`) resolve to the module that defines them.

Prints the number of modules and edges per layer, the edges with --edges, every cycle found
(strongly connected components of more than one module), and exits 1 when there is one.

Usage: tests/module_graph.py [--edges] [repository root]
"""

import re
import sys
from pathlib import Path

LAYERS = ("core", "capi", "cxx")
SKIP_FILES = {"tests.rs"}

PATH_RE = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+|::\{)")
USE_RE = re.compile(r"\buse\s+([^;]+);", re.S)
PUB_USE_RE = re.compile(r"\bpub(?:\([^)]*\))?\s+use\s+([A-Za-z_][A-Za-z0-9_]*)::([^;]+);", re.S)
TEST_MOD_RE = re.compile(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{")


def strip(text):
    """Removes comments, strings and `#[cfg(test)] mod x { ... }` bodies."""
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'b?"(?:\\.|[^"\\])*"', '""', text)
    while True:
        m = TEST_MOD_RE.search(text)
        if not m:
            return text
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        text = text[: m.start()] + text[i:]


def expand_use(tree):
    """`a::{b, c::{d, e}}` -> ["a::b", "a::c::d", "a::c::e"]."""
    tree = re.sub(r"\s+", "", tree)
    depth = 0
    for i, ch in enumerate(tree):
        if ch == "{":
            if depth == 0:
                head, body = tree[:i], tree[i + 1 : tree.rindex("}")]
                parts, d, start = [], 0, 0
                for j, c in enumerate(body):
                    d += (c == "{") - (c == "}")
                    if c == "," and d == 0:
                        parts.append(body[start:j])
                        start = j + 1
                parts.append(body[start:])
                out = []
                for p in parts:
                    if p:
                        out += [head + q for q in expand_use(p)]
                return out
            depth += 1
    return [tree]


def graph(root, layer):
    base = root / "src" / layer
    modules = {}
    for f in sorted(base.glob("*.rs")):
        if f.name in SKIP_FILES:
            continue
        name = layer if f.stem == "mod" else f.stem
        modules[name] = strip(f.read_text())
    # Names that mod.rs re-exports: name -> defining module.
    exports = {}
    for m in PUB_USE_RE.finditer(modules.get(layer, "")):
        mod = m.group(1)
        for item in expand_use(m.group(2)):
            leaf = item.split("::")[-1].split(" as ")[-1]
            if mod in modules:
                exports[leaf] = mod
    edges = set()
    for name, text in modules.items():
        in_root = name == layer
        paths = []
        for m in USE_RE.finditer(text):
            paths += expand_use(m.group(1))
        for m in PATH_RE.finditer(text):
            paths.append(m.group(1) + m.group(2).rstrip(":{"))
        for p in paths:
            parts = [x for x in p.replace(" as ", "::").split("::") if x]
            if not parts:
                continue
            if parts[0] == "crate":
                if len(parts) < 3 or parts[1] != layer:
                    continue
                rest = parts[2:]
            elif parts[0] == "super":
                if in_root:
                    continue
                rest = parts[1:]
            elif parts[0] == "self":
                if not in_root:
                    continue
                rest = parts[1:]
            else:
                continue
            if not rest:
                continue
            target = rest[0]
            if target not in modules and target in exports:
                target = exports[target]
            if target in modules and target != name and target != layer:
                edges.add((name, target))
    return modules, edges


def cycles(nodes, edges):
    """Strongly connected components with more than one node (Tarjan)."""
    succ = {n: sorted(b for a, b in edges if a == n) for n in nodes}
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in succ[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for n in sorted(nodes):
        if n not in index:
            visit(n)
    return out


def main(argv):
    show_edges = "--edges" in argv
    args = [a for a in argv if a != "--edges"]
    root = Path(args[0]) if args else Path(__file__).resolve().parent.parent
    found = False
    for layer in LAYERS:
        if not (root / "src" / layer).is_dir():
            continue
        modules, edges = graph(root, layer)
        print(f"src/{layer}: {len(modules)} modules, {len(edges)} edges")
        if show_edges:
            for a, b in sorted(edges):
                print(f"  {a} -> {b}")
        for comp in cycles(modules, edges):
            found = True
            inner = sorted((a, b) for a, b in edges if a in comp and b in comp)
            print(f"  cycle among {', '.join(comp)}:")
            for a, b in inner:
                print(f"    {a} -> {b}")
    if found:
        print("module graph: import cycles found")
        return 1
    print("module graph: no import cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
