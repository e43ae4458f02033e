#!/usr/bin/env python3
"""The relay's modules depend on each other in one direction only.

Builds the graph of modules (a module is a .c file and its .h) of relay/,
common/ and stun/ (when present) from their #include "..." lines, prints
it, and fails when a cycle remains, naming the modules of each cycle.
Standard library only. Usage: include_cycles.py [TOP_SRCDIR]
"""
import os
import re
import sys

DIRS = ("common", "stun", "relay")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def modules(top):
    """{module: (dir, [files])} for every .c/.h of DIRS."""
    found = {}
    for d in DIRS:
        path = os.path.join(top, d)
        if not os.path.isdir(path):
            continue
        for name in sorted(os.listdir(path)):
            if not name.endswith((".c", ".h")):
                continue
            mod = name[:-2]
            found.setdefault(mod, (d, []))[1].append(os.path.join(path, name))
    return found


def graph(top):
    mods = modules(top)
    edges = {m: set() for m in mods}
    for m, (_, files) in mods.items():
        for f in files:
            with open(f, encoding="utf-8", errors="replace") as fh:
                for inc in INCLUDE.findall(fh.read()):
                    dep = os.path.basename(inc)
                    if dep.endswith(".h") and dep[:-2] in mods and dep[:-2] != m:
                        edges[m].add(dep[:-2])
    return mods, edges


def cycles(edges):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
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

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("top_srcdir", ".")
    mods, edges = graph(top)
    print("include graph (module -> modules it includes):")
    for m in sorted(mods, key=lambda k: (mods[k][0], k)):
        print("  %s/%s -> %s" % (mods[m][0], m, " ".join(sorted(edges[m])) or "-"))
    found = cycles(edges)
    if not found:
        print("no include cycle among %d modules" % len(mods))
        return 0
    for comp in found:
        print("CYCLE among: %s" % " ".join(comp))
        for m in comp:
            print("  %s -> %s" % (m, " ".join(sorted(edges[m] & set(comp)))))
    return 1


if __name__ == "__main__":
    sys.exit(main())
