#!/usr/bin/env python3
"""`to3mf watch` on a home server's terms: resident memory idle (after 10 s) and after 1,000
items, wake-ups per minute while idle, time from start to watching, the binary's size, and
items per second on 1,000 small STLs against `to3mf process` on the same files.

Usage: python3 bench/watch.py [BIN] (default: the musl release binary; `make bench-watch`).
IDLE_SECONDS (default 60) sets how long wake-ups are counted. Standard library only.
"""

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/x86_64-unknown-linux-musl/release/to3mf")
IDLE = float(os.environ.get("IDLE_SECONDS", "60"))
ITEMS = 1000


def stl(path, k):
    s = 1.0 + k / 100
    o, x, y, z = (0, 0, 0), (s, 0, 0), (0, s, 0), (0, 0, s)
    tris = [(o, y, x), (o, x, z), (o, z, y), (x, y, z)]
    b = bytearray(80) + struct.pack("<I", len(tris))
    for t in tris:
        b += struct.pack("<3f", 0, 0, 0) + b"".join(struct.pack("<3f", *v) for v in t) + b"\0\0"
    with open(path, "wb") as f:
        f.write(b)


def status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def switches(pid):
    """Context switches of every thread: each is one wake-up (or a preemption)."""
    n = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            for line in f:
                if "ctxt_switches" in line:
                    n += int(line.split()[1])
    return n


def pile(dir):
    os.makedirs(dir)
    for i in range(ITEMS):
        stl(os.path.join(dir, f"part{i:04}.stl"), i)


def main():
    work = tempfile.mkdtemp(prefix="to3mf-watch-bench-")
    inbox, lib, src = (os.path.join(work, n) for n in ("inbox", "library", "pile"))
    os.makedirs(inbox)
    os.makedirs(lib)
    pile(src)
    log = open(os.path.join(work, "log"), "w+")
    t0 = time.perf_counter()
    p = subprocess.Popen([BIN, "watch", inbox, "--out-dir", lib, "--settle", "1"], stderr=log)
    while True:
        log.seek(0)
        if "to3mf watch:" in log.read():
            break
        time.sleep(0.0005)
    start_ms = (time.perf_counter() - t0) * 1000
    time.sleep(10)
    idle_rss = status(p.pid, "VmRSS")
    a = switches(p.pid)
    time.sleep(IDLE)
    b = switches(p.pid)
    wakeups = (b - a) * 60 / IDLE
    t = time.perf_counter()
    for n in sorted(os.listdir(src)):
        os.rename(os.path.join(src, n), os.path.join(inbox, n))
    done = os.path.join(inbox, ".done")
    while len(os.listdir(done)) < ITEMS if os.path.isdir(done) else True:
        time.sleep(0.05)
    watch_s = time.perf_counter() - t - 1  # less the settle time, waited once for the whole pile
    time.sleep(2)
    after_rss, peak = status(p.pid, "VmRSS"), status(p.pid, "VmHWM")
    p.kill()
    p.wait()

    # `to3mf process` on the same files: one call per file (what watch does per item), and one
    # call for all of them (grouped by name, so fewer models).
    shutil.rmtree(lib)
    os.makedirs(lib)
    files = sorted(os.path.join(done, n) for n in os.listdir(done))
    t = time.perf_counter()
    for f in files:
        subprocess.run([BIN, "process", f, "--out-dir", lib], check=True, stderr=subprocess.DEVNULL)
    each_s = time.perf_counter() - t
    shutil.rmtree(lib)
    os.makedirs(lib)
    t = time.perf_counter()
    subprocess.run([BIN, "process", *files, "--out-dir", lib], check=True, stderr=subprocess.DEVNULL)
    all_s = time.perf_counter() - t
    models = len(os.listdir(lib))
    shutil.rmtree(work)

    print(f"binary: {BIN} ({os.path.getsize(BIN) / 1e6:.2f} MB)")
    print(f"start to watching: {start_ms:.1f} ms")
    print(f"idle resident memory after 10 s: {idle_rss} kB")
    print(f"wake-ups while idle: {wakeups:.1f} per minute (over {IDLE:.0f} s)")
    print(f"{ITEMS} items: {ITEMS / watch_s:.0f} items/s ({watch_s:.1f} s, settle time excluded)")
    print(f"resident memory after {ITEMS} items: {after_rss} kB (peak {peak} kB)")
    print(f"to3mf process, one call per file: {ITEMS / each_s:.0f} items/s ({each_s:.1f} s)")
    print(f"to3mf process, one call for all: {ITEMS / all_s:.0f} files/s ({all_s:.1f} s, {models} models)")


if __name__ == "__main__":
    main()
