"""Summarises the valgrind logs (vg.PID.log) of tests/valgrind/run.sh: per
process the program, its memcheck errors and its definite and indirect
leaks; then totals per program. Exit 1 on any error or definite/indirect
leak, or when no process was checked.

usage: summary.py DIR
"""
import glob
import os
import re
import sys

NUM = r"([\d,]+)"


def num(text):
    return int(text.replace(",", ""))


def parse(path):
    with open(path, errors="replace") as f:
        text = f.read()
    cmd = re.search(r"==\d+== Command: (.*)", text)
    argv = cmd.group(1).split() if cmd else ["?"]
    p = {"log": os.path.basename(path), "prog": os.path.basename(argv[0]),
         "args": " ".join(a if len(a) < 40 else "..." + a[-30:] for a in argv[1:4]),
         "errors": None, "def": (0, 0), "ind": (0, 0), "checked": False}
    m = re.search(r"ERROR SUMMARY: " + NUM + " errors", text)
    if m:
        p["errors"] = num(m.group(1))
    for key, label in (("def", "definitely lost"), ("ind", "indirectly lost")):
        m = re.search(label + r": " + NUM + r" bytes in " + NUM + r" blocks", text)
        if m:
            p[key] = (num(m.group(1)), num(m.group(2)))
    p["checked"] = "HEAP SUMMARY" in text
    return p


def main(argv):
    procs = [parse(f) for f in sorted(glob.glob(os.path.join(argv[1], "vg.*.log")))]
    bad = 0
    totals = {}
    print("%-14s %-44s %6s %18s %18s" % ("program", "arguments", "errors", "definite B/blocks",
                                        "indirect B/blocks"))
    for p in procs:
        errs = "-" if p["errors"] is None else str(p["errors"])
        print("%-14s %-44s %6s %18s %18s%s" % (
            p["prog"], p["args"][:44], errs, "%d/%d" % p["def"], "%d/%d" % p["ind"],
            "" if p["checked"] else "  (no leak check: killed)"))
        t = totals.setdefault(p["prog"], [0, 0, 0, 0, 0, 0, 0])
        t[0] += 1
        t[1] += 1 if p["checked"] else 0
        t[2] += p["errors"] or 0
        t[3] += p["def"][0]
        t[4] += p["def"][1]
        t[5] += p["ind"][0]
        t[6] += p["ind"][1]
        if (p["errors"] or 0) > 0 or p["def"][0] > 0 or p["ind"][0] > 0:
            bad += 1
            print("    ^ see %s" % p["log"])
    print()
    for prog, t in sorted(totals.items()):
        print("%-14s %3d processes (%d leak-checked), %d errors, definitely lost %d B in %d blocks, "
              "indirectly lost %d B in %d blocks" % (prog, *t))
    if not procs:
        print("no valgrind log: was anything run under UMBRA_WRAP?")
        return 1
    print("%d processes, %d with errors or leaks" % (len(procs), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
