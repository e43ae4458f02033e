"""privs_check: what a test can see of a daemon's privileges and memory.

- proc_ids(pid): the Uid, Gid and Groups lines of /proc/PID/status (and of
  every thread: a switch of user must reach all of them).
- regions(pid): /proc/PID/smaps as (lo, hi, perms, name, vmflags) tuples.
- find_in_memory(pid, needles): for each needle, the regions of readable
  memory that hold it (reading /proc/PID/mem needs root when the process is
  not dumpable).
- gcore_finds(h, pid, needles, name): runs gcore on the process and says
  which needles the core file holds. The core is deleted afterwards.
Python standard library only; gdb's gcore for the core file.
"""
import os
import resource
import subprocess

# The core of a small daemon is tens of MB; a core that grows past this is
# cut off (SIGXFSZ) rather than allowed to fill the disk.
CORE_LIMIT = 1 << 30
MADV_DONTDUMP = 16


def proc_ids(pid):
    """{tid: (uids, gids, groups)} for the process and each of its threads."""
    out = {}
    for tid in sorted(int(t) for t in os.listdir("/proc/%d/task" % pid)):
        ids = {}
        try:
            with open("/proc/%d/task/%d/status" % (pid, tid)) as f:
                for line in f:
                    key, _, value = line.partition(":")
                    if key in ("Uid", "Gid", "Groups"):
                        ids[key] = [int(x) for x in value.split()]
        except FileNotFoundError:
            continue
        out[tid] = (ids["Uid"], ids["Gid"], ids["Groups"])
    return out


def regions(pid):
    rows, cur = [], None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            fields = line.split()
            if not fields:
                continue
            if fields[0] == "VmFlags:":
                cur[4].extend(fields[1:])
            elif "-" in fields[0] and not fields[0].endswith(":") and len(fields) >= 5:
                lo, hi = (int(x, 16) for x in fields[0].split("-"))
                cur = (lo, hi, fields[1], " ".join(fields[5:]), [])
                rows.append(cur)
    return rows


def find_in_memory(pid, needles):
    """{needle: [(lo, hi, vmflags), ...]} for every readable region holding it.
    The sanitizer's shadow (terabytes, dont-dump) is skipped: it holds no
    copy of any data."""
    found = {n: [] for n in needles}
    with open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for lo, hi, perms, name, flags in regions(pid):
            if not perms.startswith("r") or hi - lo > (1 << 32):
                continue
            data, pos = b"", lo
            while pos < hi:
                n = min(hi - pos, 8 << 20)
                try:
                    mem.seek(pos)
                    chunk = mem.read(n)
                except (OSError, ValueError, OverflowError):
                    break
                data = data[-256:] + chunk
                for needle in needles:
                    if needle in data and (lo, hi, flags) not in found[needle]:
                        found[needle].append((lo, hi, flags))
                pos += n
    return found


def _limit_core():
    resource.setrlimit(resource.RLIMIT_FSIZE, (CORE_LIMIT, CORE_LIMIT))


def gcore_finds(h, pid, needles, name):
    """Which needles the core file from gcore holds. gcore also dumps
    regions without any access (gdb reads them as zeros): under
    AddressSanitizer those are terabytes of reserved address space, so they
    are marked dont-dump first, from inside gdb. Regions that can be read
    or written are left as they are."""
    core = h.path(name + ".core")
    cmd = ["gdb", "-p", str(pid), "-batch", "-nx", "-ex", "set pagination off"]
    for lo, hi, perms, _, flags in regions(pid):
        if perms.startswith("---") and "dd" not in flags:
            cmd += ["-ex", "call (int)madvise((void *)%#x, %d, %d)" % (lo, hi - lo, MADV_DONTDUMP)]
    cmd += ["-ex", "gcore " + core]
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           preexec_fn=_limit_core, timeout=120)
        if r.returncode != 0 or not os.path.exists(core):
            raise RuntimeError("gcore failed (%d): %s" % (r.returncode,
                                                         r.stdout.decode(errors="replace")[-800:]))
        size = os.path.getsize(core)
        with open(core, "rb") as f:
            data = f.read()
        return {n for n in needles if n in data}, size
    finally:
        if os.path.exists(core):
            os.unlink(core)
