#!/usr/bin/env bash
# Times the release binary on the worst inputs found for issue 7 ("bounded in
# time, memory and output") and issue 21 (folders, escapes, bounds outside YAML): each case must be answered within 2 s and 256 MiB,
# with at most 64 KB on stderr. Prints one line per case: seconds, max RSS
# (MiB, from /usr/bin/time -v), bytes on stderr, exit status, and OK or OVER.
# Usage: bash benches/worst_cases.sh [BINARY]   (default: builds target/release/kubetoml)
# A case still running after 20 s is killed (status 124) and counts as OVER.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin="$PWD/target/release/kubetoml"
fi
bin=$(realpath "$bin")
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (/usr/bin/time): apt-get install time" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

app() { printf 'name = "app"\nimage = "nginx:1.27"\n'; }
mib=1048576

# 1. A directory of 300 sparse files of 1 MiB each (disk use ~0).
mkdir sparse && for i in $(seq 300); do truncate -s $mib "sparse/f$i"; done
{ app; printf '[configmaps.c]\nfiles = ["sparse"]\n'; } > sparse.toml
# 2. One 1 MiB file under 5000 keys of one object (description ~100 KB).
head -c $mib /dev/zero | tr '\0' 'a' > big.txt
{ app; printf '[configmaps.c]\nfiles = ['; for i in $(seq 5000); do printf '"k%d=big.txt",' "$i"; done; printf ']\n'; } > many_keys.toml
# 3. The same 1 MiB file in 2000 objects.
{ app; for i in $(seq 2000); do printf '[configmaps.c%d]\nfiles = ["big.txt"]\n' "$i"; done; } > many_objects.toml
# 4. A 10 MB description of garbage lines, and a 3.6 MB one (under the 4 MiB limit:
# 200 000 unknown fields, each an error).
python3 -c "import sys; sys.stdout.write('name = \"app\"\nimage = \"x\"\n' + ''.join('bad%d = %d\n' % (i, i) for i in range(700000)))" > errors.toml
python3 -c "import sys; sys.stdout.write('name = \"app\"\nimage = \"x\"\n' + ''.join('bad%d = %d\n' % (i, i) for i in range(200000)))" > errors4.toml
# 5. --against: 10 MB of nested flow sequences, and a 10 MB mapping.
python3 -c "import sys; sys.stdout.write('[' * 5000000 + ']' * 5000000)" > nested.yaml
python3 -c "import sys; sys.stdout.write('kind: StatefulSet\nmetadata:\n  name: app\nspec:\n' + ''.join('  k%d: v\n' % i for i in range(900000)))" > wide.yaml
{ app; } > app.toml
# 6. A kubernetes.io/tls Secret with 1 MiB of PEM blocks.
python3 -c "
import sys
blk = '-----BEGIN CERTIFICATE-----\n' + 'QUFB' * 16 + '\n-----END CERTIFICATE-----\n'
sys.stdout.write(blk * (1048000 // len(blk)))" > tls.crt
cp tls.crt tls.key
{ app; printf '[secrets.t]\ntype = "kubernetes.io/tls"\nfiles = ["tls.crt=tls.crt", "tls.key=tls.key"]\n'; } > tls.toml
# 7. User templates that never end, or grow without bound.
mkdir loop grow
printf '{%% for i in range(100000) %%}{%% for j in range(100000) %%}{%% endfor %%}{%% endfor %%}\n' > loop/configmap.yaml
{ printf '{%% set s = "xxxxxxxxxxxxxxxx" %%}'; for i in $(seq 40); do printf '{%% set s = s ~ s %%}'; done; printf '{{ s|length }}\n'; } > grow/configmap.yaml
mkdir repeat echo
printf '{{ "x" * 4000000000 }}\n' > repeat/configmap.yaml
printf '{%% set s = "x" * 4000 %%}{%% for i in range(100000) %%}{{ s }}{%% endfor %%}\n' > echo/configmap.yaml
{ app; printf '[configmaps.c]\nliterals = { a = "b" }\n'; } > cm.toml
# The same templates for 2 descriptions rendered in parallel (one per core).
{ printf 'name = "app2"\nimage = "nginx:1.27"\n[configmaps.c]\nliterals = { a = "b" }\n'; } > cm2.toml
# 8. A template that is a device; 300 000 specs (3.6 MB) naming one small file in one object.
printf 'v' > small.txt
{ app; printf '[configmaps.c]\nfiles = ['; for i in $(seq 300000); do printf '"small.txt",'; done; printf ']\n'; } > many_specs.toml
{ app; printf '[configmaps.c]\nfiles = [\n'; for i in $(seq 300000); do printf '"small.txt",\n'; done; printf ']\n'; } > many_spec_lines.toml
mkdir devtpl && ln -s /dev/zero devtpl/configmap.yaml
# 9. The YAML readers (issue 21), each just under what it reads (import and --against:
# 4 MiB; extra_manifests: 1 MiB): aliases nested (billion laughs) and aliased
# thousands of times (quadratic), flow nesting, a wide sequence, and a Secret
# value written with a tag (which must not be printed: LEAK).
python3 -c "
import sys
s = 'a: &a [' + ','.join(['\"lol\"'] * 9) + ']\n'
for p, n in zip('abcdefghi', 'bcdefghij'):
    s += '%s: &%s [%s]\n' % (n, n, ','.join(['*' + p] * 9))
sys.stdout.write(s)" > laughs.yaml
python3 -c "
import sys
sys.stdout.write('a: &a [' + ','.join(['x'] * 4000) + ']\nb:\n' + '- *a\n' * 800000)" > aliases.yaml
python3 -c "import sys; sys.stdout.write('[' * 2000000 + ']' * 2000000)" > nested4.yaml
python3 -c "import sys; sys.stdout.write('[' + ','.join(['a'] * 2000000) + ']')" > wide4.yaml
python3 -c "import sys; sys.stdout.write('[' + ','.join(['a'] * 520000) + ']')" > wide1.yaml
{ app; printf 'extra_manifests = ["wide1.yaml"]\n'; } > extra_wide.toml
{ app; printf 'extra_manifests = ["laughs.yaml"]\n'; } > extra_laughs.toml
{ printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n'
  for t in '!!int' '!!float' '!!bool' '!foo' '!!binary'; do printf '  k%s: %s SECRET_MARKER_W7\n' "${#t}" "$t"; done; } > tagged.yaml

# 10. Folders (issue 21): -o into a folder beside 2000 look-alike staging/backup folders
# and a fake journal (none is touched), 2000 objects; import -o of a 3.3 MB stream
# (33 ConfigMaps of 100 KB: every data file written, synced, linked into place).
mkdir lookalike
for i in $(seq 2000); do mkdir "lookalike/.out.kubetoml-old-$i-0-0" "lookalike/.out.kubetoml-staging-$i"; done
printf 'kubetoml journal 1\njournal 1 2\ndir out\n' > lookalike/.out.kubetoml-journal-1-0-0
{ app; for i in $(seq 2000); do printf '[configmaps.c%d]\nliterals = { a = "b" }\n' "$i"; done; } > lookalike/app.toml
python3 -c "
import sys
sts = 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\nspec:\n  serviceName: web\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n'
cms = ''.join('---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c%d\ndata:\n  k: \"%s\"\n' % (i, 'v' * 100000) for i in range(33))
sys.stdout.write(sts + cms)" > import.yaml
# 11. Escapes: 120 000 unknown fields whose names are terminal escapes (3.9 MB).
python3 - > escapes.toml <<'PY'
import sys
esc = "\\u001b]0;%d\\u0007\\u202e"
sys.stdout.write('name = "app"\nimage = "x"\n' + ''.join('"' + esc % i + '" = 1\n' for i in range(120000)))
PY
# 12. Bounds: 1 MiB of BEGIN lines and no END in a TLS Secret (CVE-2025-61723); a
# 1 GiB sparse file in a ConfigMap folder and in an output folder under --check;
# 3.8 MB of unselected environments, small ones and ones reaching a 20 000-key table
# (toml keeps ~1.1 KB per non-empty table: 180 000 tables were ~280 MiB, so the
# description reader counts tables before the parse and refuses more than 50 000);
# the most a description may hold under that budget: 49 990 one-key tables, each an
# unknown field, and as many inline tables; 25 000 roles (at most 100 are read).
python3 -c "import sys; sys.stdout.write('-----BEGIN CERTIFICATE-----\n' * 37400)" > begin.crt
{ app; printf '[secrets.t]\ntype = "kubernetes.io/tls"\nfiles = ["tls.crt=begin.crt", "tls.key=begin.crt"]\n'; } > begin.toml
mkdir hugedir && truncate -s 1G hugedir/huge.bin
{ app; printf '[configmaps.c]\nfiles = ["hugedir"]\n'; } > hugedir.toml
mkdir checkdir && "$bin" render -q app.toml -o checkdir/out && truncate -s 1G checkdir/out/02-statefulset-app.yaml
python3 -c "
import sys
sys.stdout.write('name = \"app\"\nimage = \"x\"\n' + ''.join('[environments.e%d]\nreplicas = %d\n' % (i, i % 5) for i in range(110000)))" > envs.toml
python3 -c "
import sys
base = 'name = \"app\"\nimage = \"x\"\n[env]\n' + ''.join('V%d = \"%d\"\n' % (i, i) for i in range(20000))
sys.stdout.write(base + ''.join('[environments.e%d]\nenv.V%d = \"x\"\n' % (i, i % 20000) for i in range(90000)))" > envs_big_base.toml
python3 -c "
import sys
sys.stdout.write('name = \"app\"\nimage = \"x\"\n' + ''.join('[e%d]\na = 1\n' % i for i in range(49990)))" > tables_unknown.toml
python3 -c "
import sys
sys.stdout.write('name = \"app\"\nimage = \"x\"\nx = [' + ','.join('{a=1}' for i in range(49990)) + ']\n')" > tables_inline.toml
python3 -c "
import sys
sys.stdout.write('name = \"app\"\nimage = \"x\"\n' + ''.join('[roles.r%d]\nreplicas = 1\n' % i for i in range(25000)))" > roles.toml

cases=(
  "dir_of_sparse_files|render sparse.toml"
  "one_file_5000_keys|render many_keys.toml"
  "one_file_2000_objects|render many_objects.toml"
  "description_dev_zero|render /dev/zero"
  "description_dev_urandom|render /dev/urandom"
  "description_10mb_errors|render errors.toml"
  "description_3.6mb_errors|render errors4.toml"
  "against_dev_zero|render --against /dev/zero app.toml"
  "against_nested_10mb|render --against nested.yaml app.toml"
  "against_wide_10mb|render --against wide.yaml app.toml"
  "tls_1mib_pem|render tls.toml"
  "template_endless_loop|render --templates loop cm.toml"
  "template_doubling_string|render --templates grow cm.toml"
  "template_doubling_in_2|render --templates grow cm.toml cm2.toml"
  "template_string_repeat|render --templates repeat cm.toml"
  "template_400mb_output|render --templates echo cm.toml cm2.toml"
  "template_dev_zero|render --templates devtpl cm.toml"
  "one_small_file_300k_times|render many_specs.toml"
  "same_300k_times_a_line_each|render many_spec_lines.toml"
  "dir_beside_4000_lookalikes|render lookalike/app.toml -o lookalike/out"
  "import_3.3mb_to_dir|import import.yaml -o imported"
  "escapes_120k_hostile_keys|render escapes.toml"
  "pem_1mib_begin_no_end|render begin.toml"
  "configmap_dir_1gib_file|render hugedir.toml"
  "check_dir_1gib_file|render app.toml --check -o checkdir/out"
  "unselected_envs_110k|render envs.toml"
  "unselected_envs_big_base|render envs_big_base.toml"
  "tables_unknown_50k|render tables_unknown.toml"
  "tables_inline_50k|render tables_inline.toml"
  "roles_25k|render roles.toml"
  "import_billion_laughs|import -o out1 laughs.yaml"
  "against_billion_laughs|render --against laughs.yaml app.toml"
  "extra_billion_laughs|render extra_laughs.toml"
  "import_quadratic_aliases|import -o out2 aliases.yaml"
  "against_quadratic_aliases|render --against aliases.yaml app.toml"
  "import_nested_4mb|import -o out3 nested4.yaml"
  "import_wide_4mb|import -o out4 wide4.yaml"
  "against_wide_4mb|render --against wide4.yaml app.toml"
  "extra_wide_1mb|render extra_wide.toml"
  "import_tagged_secret|import -o out5 tagged.yaml"
  "against_tagged_secret|render --against tagged.yaml app.toml"
)
printf '%-26s %8s %9s %10s %6s\n' case seconds rss_mib stderr_b status
for c in "${cases[@]}"; do
  name=${c%%|*}; args=${c#*|}
  set +e
  # shellcheck disable=SC2086
  timeout 20 /usr/bin/time -v -o time.txt "$bin" $args >/dev/null 2>stderr.txt
  status=$?
  set -e
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' time.txt)
  rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2/1024}' time.txt)
  err=$(wc -c < stderr.txt)
  verdict=OK
  if [ "$status" != 0 ] && [ "$status" != 1 ]; then verdict=FAIL
  elif awk -v s="${secs:-99}" 'BEGIN{exit !(s>2)}' || [ "${rss:-999}" -gt 256 ] || [ "$err" -gt 65536 ]; then verdict=OVER
  elif grep -q SECRET_MARKER stderr.txt; then verdict=LEAK; fi
  printf '%-26s %8s %9s %10s %6s %s\n' "$name" "${secs:-killed}" "${rss:-?}" "$err" "$status" "$verdict"
done
