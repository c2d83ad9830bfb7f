#!/usr/bin/env python3
"""Issue 20's three speed figures for several kubetoml binaries side by side, in one run.

Usage: python3 benches/figures.py BINARY [BINARY ...] [--runs N] [--skip-same]

For each binary (the first is taken as the reference output):
  - the instructions of `render examples/web/web.toml`, counted by
    `valgrind --tool=callgrind --callgrind-out-file=/dev/null` (deterministic;
    target: at most 2.0 million);
  - that every example renders byte for byte as the first binary renders it
    (stdout and stderr, compared by SHA-256), unless --skip-same;
  - 1,000 apps (benches/scale.py's) in one `render` call, wall ms, median [min]
    (target: at most 120 ms on 2 cores);
  - at 100 apps, `render -o DIR` (rewriting the same folder each run, as a
    build does) against stdout, median wall ms and their ratio (target: at
    most 1.2x); and the same when every StatefulSet changed since the last
    run (two sets of the apps, with different image tags, in turn).
Runs alternate between the binaries, so load affects them alike; the load
average is printed at the start and the end. Nothing is built here: pass
release binaries (e.g. target/release/kubetoml and a copy of an older one).
"""
import argparse
import glob
import hashlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benches"))
import scale  # noqa: E402  (the same generated apps as scale.py)

ENV = {"PATH": os.environ.get("PATH", ""), "PG_PASSWORD": "pw", "REGISTRY_TOKEN": "token"}


def instructions(binary):
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", binary, "render", "examples/web/web.toml"],
        cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    return int(found.group(1)) if found else None


def example_digests(binary):
    digests = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "examples", "*", "*.toml"))):
        rel = os.path.relpath(path, ROOT)
        done = subprocess.run([binary, "render", rel], cwd=ROOT, env=ENV, capture_output=True)
        digests[rel] = hashlib.sha256(done.stdout + b"\0" + done.stderr + bytes([done.returncode])).hexdigest()
    return digests


def apps(base, n):
    paths = []
    for i in range(n):
        folder = os.path.join(base, f"app-{i:04}")
        scale.write_conf(folder, i)
        path = os.path.join(folder, f"app-{i:04}.toml")
        with open(path, "w") as f:
            f.write(scale.app_toml(i))
        paths.append(path)
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binaries", nargs="+")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--skip-same", action="store_true")
    args = parser.parse_args()
    bins = [os.path.abspath(b) for b in args.binaries]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    for b in bins:
        print(f"{b}: web {instructions(b):,} instructions (callgrind)")
    if not args.skip_same:
        ref = example_digests(bins[0])
        for b in bins[1:]:
            got = example_digests(b)
            diff = [k for k in ref if ref[k] != got.get(k)]
            print(f"{b}: {len(ref) - len(diff)} of {len(ref)} examples byte-identical to {bins[0]}"
                  + (f"; DIFFERENT: {', '.join(diff)}" if diff else ""))
    devnull = os.open(os.devnull, os.O_WRONLY)

    def once(argv):
        start = time.perf_counter()
        done = subprocess.run(argv, stdout=devnull, stderr=subprocess.PIPE, env=ENV)
        if done.returncode != 0:
            sys.exit(f"{argv[0]} failed: {done.stderr.decode()[:2000]}")
        return (time.perf_counter() - start) * 1000

    with tempfile.TemporaryDirectory(prefix="kubetoml-figures-") as base:
        thousand = apps(os.path.join(base, "apps"), 1000)
        hundred = thousand[:100]
        # The same 100 apps with another image tag: rendering the two sets in turn
        # into one folder changes every StatefulSet's file each run (a real update).
        retagged = []
        for path in hundred:
            folder = os.path.dirname(path).replace(os.path.join(base, "apps"), os.path.join(base, "apps-b"))
            scale.write_conf(folder, len(retagged))
            other = os.path.join(folder, os.path.basename(path))
            with open(path) as f, open(other, "w") as g:
                g.write(f.read().replace(":1.0.0", ":1.0.1"))
            retagged.append(other)
        commands = []
        for i, b in enumerate(bins):
            commands.append(((i, "1000"), [b, "render", *thousand]))
            commands.append(((i, "100"), [b, "render", *hundred]))
            commands.append(((i, "-o"), [b, "render", *hundred, "-o", os.path.join(base, f"out{i}")]))
            changed = os.path.join(base, f"changed{i}")
            commands.append(((i, "-o changed"), [[b, "render", *hundred, "-o", changed],
                                                 [b, "render", *retagged, "-o", changed]]))
        walls = {label: [] for label, _ in commands}
        turn = 0

        def run(argv):
            # A pair of commands runs in turn: each run changes what the last one wrote.
            return once(argv[turn % 2] if isinstance(argv[0], list) else argv)

        for _, argv in commands:
            run(argv)
        for _ in range(args.runs):
            turn += 1
            for label, argv in commands:
                walls[label].append(run(argv))
    med = {k: statistics.median(v) for k, v in walls.items()}
    print(f"wall ms, median [min] of {args.runs} runs, alternating")
    for i, b in enumerate(bins):
        print(f"{b}:\n  1000 apps {med[(i, '1000')]:.1f} [{min(walls[(i, '1000')]):.1f}]"
              f"  100 apps stdout {med[(i, '100')]:.1f} [{min(walls[(i, '100')]):.1f}]"
              f"  -o DIR {med[(i, '-o')]:.1f} [{min(walls[(i, '-o')]):.1f}]"
              f"  -o/stdout {med[(i, '-o')] / med[(i, '100')]:.2f}x"
              f"\n  -o DIR, every StatefulSet changed {med[(i, '-o changed')]:.1f}"
              f" [{min(walls[(i, '-o changed')]):.1f}]"
              f"  changed/stdout {med[(i, '-o changed')] / med[(i, '100')]:.2f}x")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
