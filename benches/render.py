#!/usr/bin/env python3
"""Times the release binary rendering an example, whole process, as a build pipeline runs it.

Usage: python3 benches/render.py [EXAMPLE.toml] [RUNS]

Builds `target/release/kubetoml`, then spawns it RUNS times (after a warm-up)
with stdout to /dev/null, and reports wall time per run (from spawn to exit,
measured here) and peak resident memory, read by GNU time (`/usr/bin/time -f %M`).
Memory is not taken from wait4 here: a child forked from Python inherits
Python's resident pages until it execs, and the kernel's ru_maxrss keeps that
high-water mark, so it would report Python's size, not kubetoml's. Exits 1 if the median wall time exceeds 5 ms or the peak memory
exceeds 10 MiB: the budgets from the project's issue.
"""
import os
import statistics
import subprocess
import sys
import time

WALL_BUDGET_MS = 5.0
RSS_BUDGET_KIB = 10 * 1024


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    example = sys.argv[1] if len(sys.argv) > 1 else "examples/web/web.toml"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=root, check=True)
    binary = os.path.join(root, "target", "release", "kubetoml")
    argv = [binary, "render", example]
    env = {"PATH": os.environ.get("PATH", ""), "PG_PASSWORD": "pw", "REGISTRY_TOKEN": "token"}
    devnull = os.open(os.devnull, os.O_WRONLY)

    def once():
        start = time.perf_counter()
        pid = os.posix_spawn(binary, argv, env, file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
        _, status = os.waitpid(pid, 0)
        wall = (time.perf_counter() - start) * 1000
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"{' '.join(argv)} failed")
        return wall

    def peak_kib():
        out = subprocess.run(
            ["/usr/bin/time", "-f", "%M", *argv], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, check=True,
        )
        return int(out.stderr.strip().splitlines()[-1])

    os.chdir(root)
    for _ in range(20):
        once()
    walls = sorted(once() for _ in range(runs))
    if not os.path.exists("/usr/bin/time"):
        sys.exit("GNU time is needed for the memory figure: apt-get install time")
    rss = max(peak_kib() for _ in range(20))
    p = lambda q: walls[min(len(walls) - 1, int(q * len(walls)))]
    print(f"{example}: {runs} runs of the release binary")
    print(f"  wall  median {statistics.median(walls):.2f} ms  p95 {p(0.95):.2f} ms  min {walls[0]:.2f} ms  max {walls[-1]:.2f} ms")
    print(f"  peak resident memory (max of 20 runs) {rss} KiB ({rss / 1024:.1f} MiB)")
    ok = statistics.median(walls) <= WALL_BUDGET_MS and rss <= RSS_BUDGET_KIB
    print(f"  budget {WALL_BUDGET_MS} ms / {RSS_BUDGET_KIB // 1024} MiB: {'met' if ok else 'EXCEEDED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
