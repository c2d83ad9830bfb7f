#!/usr/bin/env python3
"""Times kubetoml at monorepo scale, against `kubectl kustomize` on the same apps, in one run.

Usage: python3 benches/scale.py [--sizes 1,100,1000] [--runs N] [--no-callgrind]

Generates N realistic apps (a ConfigMap from two files and two literals, a
Secret from literals, both with hash suffixes; two ports, a volume, readiness
and liveness probes, resources, the restricted Pod Security level), twice:
  - as kubetoml descriptions, rendered by one `kubetoml render a.toml b.toml ...`;
  - as kustomizations (configMapGenerator + secretGenerator + the StatefulSet
    and Service YAML kubetoml rendered, with the generated names un-hashed),
    one folder per app under one top kustomization, rendered by one
    `kubectl kustomize`.
Both outputs are checked to hold the same objects with the same data before
anything is timed. Then each command runs RUNS times (after a warm-up),
alternating, stdout to /dev/null, and the median and minimum wall times and
their ratio are printed. Also timed: kubetoml pinned to one core (`taskset -c
0`, which `available_parallelism` honours) and to all cores the same way (so
both pay for starting taskset), and, at 100 apps, `render -o DIR`
against stdout. With valgrind installed, the instructions of one app's render
are counted too (they do not depend on how busy the machine is).
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def app_toml(i):
    team, size = i % 4, i % 10 + 1
    return f'''name = "app-{i:04}"
namespace = "team-{team}"
replicas = {i % 5 + 1}
pod_security = "restricted"
image = "registry.example.com/team-{team}/app-{i:04}:1.{i}.0"
ports = {{ http = 8080, metrics = 9090 }}
env = {{ APP_INDEX = "{i}", LOG_LEVEL = "info" }}

[resources]
requests = {{ cpu = "100m", memory = "128Mi" }}
limits = {{ memory = "256Mi" }}

[probes.readiness]
http = {{ path = "/ready", port = "http" }}
period = 5

[probes.liveness]
tcp = "http"

[volumes.data]
mount = "/var/lib/app"
size = "{size}Gi"

[configmaps.app-{i:04}-config]
files = ["conf/app.properties", "conf/logging.yaml"]
literals = {{ "feature.flags" = "a,b,c", region = "eu-west-{i % 3 + 1}" }}
mount = "/etc/app"
hash_suffix = true

[secrets.app-{i:04}-auth]
literals = {{ username = "app{i}", password = "pw-{i * 7919 % 100000:05}" }}
mount = "/etc/app-auth"
hash_suffix = true
'''


def write_conf(folder, i):
    os.makedirs(os.path.join(folder, "conf"), exist_ok=True)
    with open(os.path.join(folder, "conf", "app.properties"), "w") as f:
        f.write(f"listen.port=8080\nworkers={i % 8 + 1}\ncache.size={64 * (i % 4 + 1)}Mi\n")
    with open(os.path.join(folder, "conf", "logging.yaml"), "w") as f:
        f.write(f"level: info\nformat: json\napp: app-{i}\n")


def kustomization(i, namespace, resources):
    listed = "".join(f"  - {r}\n" for r in resources)
    return f'''apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {namespace}
resources:
{listed}configMapGenerator:
  - name: app-{i:04}-config
    files:
      - conf/app.properties
      - conf/logging.yaml
    literals:
      - feature.flags=a,b,c
      - region=eu-west-{i % 3 + 1}
secretGenerator:
  - name: app-{i:04}-auth
    type: Opaque
    literals:
      - username=app{i}
      - password=pw-{i * 7919 % 100000:05}
'''


def documents(stream):
    """Splits a YAML stream into (kind, name, text) without a YAML parser."""
    docs = []
    for text in re.split(r"^---\n", stream, flags=re.M):
        if text.strip():
            kind = re.search(r"^kind: (\S+)", text, re.M).group(1)
            name = re.search(r"^metadata:\n(?:  .*\n)*?  name: (\S+)", text, re.M).group(1)
            docs.append((kind, name, text))
    return docs


def generate(base, n, binary):
    """Writes n apps both ways under base; returns (description paths, kustomize root)."""
    apps, kust = os.path.join(base, "apps"), os.path.join(base, "kustomize")
    paths = []
    for i in range(n):
        folder = os.path.join(apps, f"app-{i:04}")
        write_conf(folder, i)
        path = os.path.join(folder, f"app-{i:04}.toml")
        with open(path, "w") as f:
            f.write(app_toml(i))
        paths.append(path)
    out = run([binary, "render", *paths])
    by_app = {}
    for kind, name, text in documents(out):
        by_app.setdefault(re.search(r"app-\d{4}", name).group(0), []).append((kind, name, text))
    for i in range(n):
        app = f"app-{i:04}"
        folder = os.path.join(kust, app)
        write_conf(folder, i)
        docs = by_app[app]
        hashed = {name: re.sub(r"-[a-z0-9]{10}$", "", name) for kind, name, _ in docs if kind in ("ConfigMap", "Secret")}
        resources = []
        for kind, _, text in docs:
            # Everything but the generated ConfigMaps and Secrets (the
            # Service, the StatefulSet, a PodDisruptionBudget) as YAML.
            if kind not in ("ConfigMap", "Secret"):
                for full, plain in hashed.items():
                    text = text.replace(full, plain)
                resources.append(f"{kind.lower()}.yaml")
                with open(os.path.join(folder, resources[-1]), "w") as f:
                    f.write(text)
        with open(os.path.join(folder, "kustomization.yaml"), "w") as f:
            f.write(kustomization(i, f"team-{i % 4}", resources))
    with open(os.path.join(kust, "kustomization.yaml"), "w") as f:
        f.write("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
        f.writelines(f"  - app-{i:04}\n" for i in range(n))
    return paths, kust, out


def run(argv):
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv[:3])} ... failed:\n{done.stderr}")
    return done.stdout


def same_objects(ours, theirs):
    """Both streams hold the same objects (kind, namespace, name) and the same ConfigMap/Secret data."""
    try:
        import yaml
    except ImportError:
        print("  (PyYAML missing: the outputs were compared by kind and name only)")
        return sorted(d[:2] for d in documents(ours)) == sorted(d[:2] for d in documents(theirs))

    def index(stream):
        objs = {}
        for o in yaml.safe_load_all(stream):
            m = o["metadata"]
            objs[(o["kind"], m.get("namespace"), m["name"])] = o.get("data")
        return objs

    return index(ours) == index(theirs)


def time_all(commands, runs, warmup=2):
    """Runs each (label, argv) `runs` times, alternating; returns {label: sorted wall times in ms}."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    walls = {label: [] for label, _ in commands}

    def once(argv):
        start = time.perf_counter()
        done = subprocess.run(argv, stdout=devnull, stderr=subprocess.PIPE)
        if done.returncode != 0:
            sys.exit(f"{argv[0]} failed: {done.stderr.decode()[:2000]}")
        return (time.perf_counter() - start) * 1000

    for _ in range(warmup):
        for _, argv in commands:
            once(argv)
    for _ in range(runs):
        for label, argv in commands:
            walls[label].append(once(argv))
    return {label: sorted(w) for label, w in walls.items()}


def callgrind(argv):
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    return int(found.group(1)) if found else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,100,1000")
    parser.add_argument("--runs", type=int, default=0, help="runs per command (default: 30, 10, 3 by size)")
    parser.add_argument("--no-callgrind", action="store_true")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    binary = os.path.join(ROOT, "target", "release", "kubetoml")
    kubectl = shutil.which("kubectl") or sys.exit("kubectl is needed for the comparison")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    print("wall ms: median [min]; the taskset columns pin kubetoml to all cores or to one, and their ratio is what parallel compiling gains")
    print(f"{'apps':>5}  {'kubetoml':>14}  {'kubectl kustomize':>16}  {'ratio':>9}  {'taskset all':>14}  {'taskset 1':>14}  {'gain':>7}")
    for n in (int(s) for s in args.sizes.split(",")):
        runs = args.runs or (30 if n < 10 else 10 if n < 500 else 3)
        with tempfile.TemporaryDirectory(prefix="kubetoml-scale-") as base:
            paths, kust, ours = generate(base, n, binary)
            theirs = run([kubectl, "kustomize", kust])
            if not same_objects(ours, theirs):
                sys.exit(f"{n} apps: kubetoml and kustomize made different objects")
            cores = f"0-{os.cpu_count() - 1}"
            commands = [
                ("kubetoml", [binary, "render", *paths]),
                ("kustomize", [kubectl, "kustomize", kust]),
                ("all cores", ["taskset", "-c", cores, binary, "render", *paths]),
                ("1 core", ["taskset", "-c", "0", binary, "render", *paths]),
            ]
            if n == 100:
                commands.append(("-o DIR", [binary, "render", *paths, "-o", os.path.join(base, "out")]))
            w = time_all(commands, runs, warmup=2 if n < 500 else 1)
            med = {k: statistics.median(v) for k, v in w.items()}
            cell = lambda k: f"{med[k]:.1f} [{w[k][0]:.1f}]"
            print(f"{n:>5}  {cell('kubetoml'):>14}  {cell('kustomize'):>16}  {med['kustomize'] / med['kubetoml']:>8.1f}x  "
                  f"{cell('all cores'):>14}  {cell('1 core'):>14}  {med['1 core'] / med['all cores']:>6.2f}x  ({runs} runs each)")
            if n == 100:
                print(f"{'':>5}  render -o DIR: {cell('-o DIR')} ms, {med['-o DIR'] / med['kubetoml']:.1f}x stdout")
            if n == 1 and not args.no_callgrind and shutil.which("valgrind"):
                count = callgrind([binary, "render", *paths])
                if count:
                    print(f"{'':>5}  one app: {count:,} instructions (callgrind)")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
