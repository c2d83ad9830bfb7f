//! Hostile YAML through every reader, by the real binary: `import` inputs,
//! `render --against` files, `extra_manifests`, and a user template's
//! output. Each case must end with exit 1 within the budget (a few seconds,
//! 64 KB of stderr), an error naming the file and the line, and never a
//! Secret's value in what is printed.

use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;

const APP: &str = "name = \"app\"\nimage = \"nginx:1.27\"\nallow = [\"pod-security\", \"no-memory-limit\", \"no-readiness-probe\"]\n";

/// A Secret's value, as a user would write it, and as a variable or path
/// might look: none may ever be printed but into the data files.
const MARKERS: &[&str] = &["SECRET_MARKER_9f3", "db.password.k7", "vault/kv/prod_q2"];

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// `kubetoml ARGS` in `dir`; at most 10 s, 64 KB of stderr.
fn run(dir: &Path, args: &[&str]) -> Run {
    let start = Instant::now();
    let out = Command::cargo_bin("kubetoml")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .timeout(Duration::from_secs(10))
        .output()
        .unwrap();
    let took = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        took < Duration::from_secs(10),
        "{args:?} took {took:?}: {stderr}"
    );
    assert!(
        stderr.len() <= 64 * 1024,
        "{args:?}: {} bytes",
        stderr.len()
    );
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    }
}

/// A folder with `app.toml`, and `files` written into it.
fn project(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.toml"), APP).unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}

/// `app.toml` naming `x.yaml` in `extra_manifests`.
fn with_extra(dir: &Path) {
    let text = format!("{APP}extra_manifests = [\"x.yaml\"]\n");
    std::fs::write(dir.join("app.toml"), text).unwrap();
}

/// Reads `yaml` as `x.yaml` through all three readers; each must refuse it
/// with exit 1, an error naming `x.yaml` and containing `expected`, and
/// nothing on stdout. Returns the three stderrs.
fn refused_by_every_reader(yaml: &[u8], expected: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for reader in ["import", "against", "extra"] {
        let dir = project(&[("x.yaml", yaml)]);
        let out = match reader {
            "import" => run(dir.path(), &["import", "-o", "out", "x.yaml"]),
            "against" => run(dir.path(), &["render", "--against", "x.yaml", "app.toml"]),
            _ => {
                with_extra(dir.path());
                run(dir.path(), &["render", "app.toml"])
            }
        };
        assert_eq!(out.code, Some(1), "{reader}: {}", out.stderr);
        assert_eq!(out.stdout, "", "{reader}");
        assert!(out.stderr.contains("`x.yaml`"), "{reader}: {}", out.stderr);
        assert!(
            out.stderr.contains(expected),
            "{reader}: wanted {expected:?} in {}",
            out.stderr
        );
        assert!(!dir.path().join("out").exists(), "{reader} wrote files");
        seen.push(out.stderr);
    }
    seen
}

// ---- unbounded YAML ----

#[test]
fn billion_laughs_stop_at_the_alias_that_passes_the_budget() {
    let mut yaml = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = "abcdefghij";
    for w in names.as_bytes().windows(2) {
        let (prev, next) = (w[0] as char, w[1] as char);
        yaml.push_str(&format!(
            "{next}: &{next} [{}]\n",
            vec![format!("*{prev}"); 9].join(",")
        ));
    }
    // 9^6 = 531 441 nodes by the 9th alias of `g`: line 6, where the budget ends.
    refused_by_every_reader(yaml.as_bytes(), "more than 500000 values (each alias counted as all it repeats): more than kubetoml reads at line 6, column 26");
}

#[test]
fn quadratic_aliases_stop_where_the_budget_ends() {
    // 4 000 items anchored once and aliased 200 000 times: 800 million nodes from 1.2 MB.
    let mut yaml = format!(
        "kind: ConfigMap\nmetadata: {{name: x}}\na: &a [{}]\nb:\n",
        vec!["x"; 4000].join(",")
    );
    for _ in 0..200_000 {
        yaml.push_str("- *a\n");
    }
    // 4 008 nodes by line 3; then 4 001 each from line 5.
    let line = 5 + (500_000 - 4_008) / 4_001;
    refused_by_every_reader(yaml.as_bytes(), &format!("values (each alias counted as all it repeats): more than kubetoml reads at line {line}, column 3"));
}

#[test]
fn deep_flow_nesting_stops_at_level_101_at_once() {
    // 1 MB: `extra_manifests` reads files of up to 1 MiB.
    let yaml = format!("{}{}", "[".repeat(500_000), "]".repeat(500_000));
    refused_by_every_reader(yaml.as_bytes(), "nest more than 100 levels deep (aliases expanded): more than kubetoml reads at line 1, column 101");
}

#[test]
fn deep_block_nesting_stops_at_level_101() {
    let yaml: String = (0..200).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
    refused_by_every_reader(yaml.as_bytes(), "nest more than 100 levels deep (aliases expanded): more than kubetoml reads at line 101, column 101");
}

#[test]
fn an_alias_to_a_deep_anchor_counts_its_depth() {
    let yaml = format!(
        "a: &a {}1{}\nb: {}*a{}\n",
        "[".repeat(90),
        "]".repeat(90),
        "[".repeat(20),
        "]".repeat(20)
    );
    refused_by_every_reader(yaml.as_bytes(), "nest more than 100 levels deep (aliases expanded): more than kubetoml reads at line 2, column 24");
}

#[test]
fn a_wide_sequence_stops_at_the_budget() {
    // 520 000 items in 1 MB (under the 1 MiB `extra_manifests` reads).
    let yaml = format!("[{}]", vec!["a"; 520_000].join(","));
    refused_by_every_reader(yaml.as_bytes(), "more than 500000 values (each alias counted as all it repeats): more than kubetoml reads at line 1, column 1000000");
}

#[test]
fn a_wide_block_sequence_of_nulls_stops_at_the_budget() {
    // `-` alone is a null: 520 000 of them in 1 MB.
    let yaml = "-\n".repeat(520_000);
    // The sequence, then one node a line (the null after its `-`): the 500 000th passes.
    refused_by_every_reader(
        yaml.as_bytes(),
        "more than kubetoml reads at line 500000, column 2",
    );
}

#[test]
fn an_alias_inside_its_own_anchor_is_refused() {
    refused_by_every_reader(
        b"a: &x\n  b: *x\n",
        "an alias stands inside its own anchor: it would repeat without end at line 2, column 6",
    );
}

#[test]
fn real_renders_read_within_the_budget() {
    // Every chart render in the fixtures reads (the budget refuses no real input).
    for entry in std::fs::read_dir("tests/fixtures/charts").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                kubetoml::read::yamlread::documents(&text).is_ok(),
                "{}",
                path.display()
            );
        }
    }
}

// ---- secrets through the readers ----

const STS: &str = "apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        envFrom:
        - secretRef: {name: s}
---
apiVersion: v1
kind: Secret
metadata:
  name: s
";

/// Secrets whose value is written with a tag, for each marker: the tail of
/// a Secret document after its metadata.
fn tagged_secrets(marker: &str) -> Vec<String> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(marker);
    vec![
        format!("data:\n  k: !!binary {b64}\n"),
        format!("data:\n  k: !!binary {marker}\n"),
        format!("data:\n  k: !foo {b64}\n"),
        format!("data:\n  k: !!int {b64}\n"),
        format!("stringData:\n  k: !!int {marker}\n"),
        format!("stringData:\n  k: !!float {marker}\n"),
        format!("stringData:\n  k: !!bool {marker}\n"),
        format!("stringData:\n  k: !!null {marker}\n"),
        format!("stringData:\n  k: !foo {marker}\n"),
        format!("stringData:\n  k: !<tag:example.com,2024:x> {marker}\n"),
        format!("stringData:\n  k: !!str {marker}\n"),
        format!("stringData:\n  k: ! {marker}\n"),
        format!("stringData: !!map\n  k: {marker}\n"),
        format!("stringData: !foo\n  k: {marker}\n"),
        format!("stringData:\n  k: !!seq {marker}\n"),
        format!("stringData:\n  k: !!int \"{marker}\"\n"),
        format!("stringData:\n  k: !e!x {marker}\n"),
        format!("stringData:\n  k: \"{marker}\n"),
        format!("stringData:\n  k: {marker}: x\n"),
        format!("stringData:\n  k: {marker}\n  k: {marker}\n"),
        format!("stringData:\n  k: '{marker}' x\n"),
        format!("stringData:\n  k: \"\\q{marker}\"\n"),
        format!("stringData:\n  k: [{marker}\n"),
        format!("stringData:\n  k: {marker}\n\t- x\n"),
        format!("stringData:\n  k: &a {marker}\n  j: *{marker}\n"),
        format!("stringData:\n  k: !!binary |\n    {marker}\n"),
        format!("data:\n  k: [{b64}, !!int {marker}]\n"),
    ]
}

/// Nothing printed holds the marker or its base64.
fn assert_masked(marker: &str, what: &str, printed: &str) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(marker);
    let b64 = b64.trim_end_matches('=');
    assert!(
        !printed.contains(marker) && !printed.contains(b64),
        "{what}: the value is printed:\n{printed}"
    );
}

#[test]
fn a_tagged_secret_value_is_never_printed_by_import() {
    for marker in MARKERS {
        for tail in tagged_secrets(marker) {
            let yaml = format!("{STS}{tail}");
            let dir = project(&[("in.yaml", yaml.as_bytes())]);
            let out = run(dir.path(), &["import", "-o", "out", "in.yaml"]);
            let what = format!("import of {tail:?}");
            assert!(matches!(out.code, Some(0 | 1)), "{what}: {}", out.stderr);
            assert_masked(marker, &what, &out.stderr);
            assert_masked(marker, &what, &out.stdout);
            if out.code == Some(1) {
                // An error names the file and, for a YAML error, the line.
                assert!(out.stderr.contains("in.yaml"), "{what}: {}", out.stderr);
                assert!(!dir.path().join("out").exists(), "{what}");
                continue;
            }
            // Written: only into the Secret's data files, never the description.
            let toml = std::fs::read_to_string(dir.path().join("out/web.toml")).unwrap();
            assert_masked(marker, &what, &toml);
        }
    }
}

#[test]
fn a_tagged_secret_value_is_never_printed_by_against() {
    for marker in MARKERS {
        for tail in tagged_secrets(marker) {
            let yaml = format!("{STS}{tail}");
            let dir = project(&[("old.yaml", yaml.as_bytes())]);
            let out = run(dir.path(), &["render", "--against", "old.yaml", "app.toml"]);
            let what = format!("--against {tail:?}");
            assert!(matches!(out.code, Some(0 | 1)), "{what}: {}", out.stderr);
            assert_masked(marker, &what, &out.stderr);
            if out.code == Some(1) {
                assert!(out.stderr.contains("`old.yaml`"), "{what}: {}", out.stderr);
            }
        }
    }
}

#[test]
fn a_tagged_secret_value_is_never_printed_by_extra_manifests() {
    for marker in MARKERS {
        for tail in tagged_secrets(marker) {
            let yaml = format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n{tail}");
            let dir = project(&[("x.yaml", yaml.as_bytes())]);
            with_extra(dir.path());
            let out = run(dir.path(), &["render", "app.toml"]);
            let what = format!("extra_manifests {tail:?}");
            assert!(matches!(out.code, Some(0 | 1)), "{what}: {}", out.stderr);
            assert_masked(marker, &what, &out.stderr);
        }
    }
}

#[test]
fn a_yaml_error_says_where_in_fixed_words() {
    let yaml = format!("{STS}stringData:\n  k: !!int SECRET_MARKER_9f3\n");
    let dir = project(&[("in.yaml", yaml.as_bytes())]);
    let out = run(dir.path(), &["import", "-o", "out", "in.yaml"]);
    assert_eq!(out.code, Some(1));
    assert_eq!(
        out.stderr,
        "error: `in.yaml` is not YAML kubetoml reads: a tagged value is not what its tag says \
         (such as `!!int` on text that is not a number) at line 25, column 6\n --> in.yaml\n"
    );
    let out = run(dir.path(), &["render", "--against", "in.yaml", "app.toml"]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.starts_with(
            "error: `in.yaml` is not Kubernetes YAML: a tagged value is not what its tag says \
             (such as `!!int` on text that is not a number) at line 25, column 6\n"
        ),
        "{}",
        out.stderr
    );
}

const SECRET_TOML: &str = "[secrets.s]\nliterals = { password = \"SECRET_MARKER_9f3\" }\n";

/// `render --templates t app.toml` with `t/secret.yaml` holding `template`.
fn secret_template(template: &str) -> Run {
    let dir = project(&[]);
    std::fs::write(dir.path().join("app.toml"), format!("{APP}{SECRET_TOML}")).unwrap();
    std::fs::create_dir(dir.path().join("t")).unwrap();
    std::fs::write(dir.path().join("t/secret.yaml"), template).unwrap();
    run(dir.path(), &["render", "--templates", "t", "app.toml"])
}

#[test]
fn a_template_error_never_quotes_a_secret_value() {
    for template in [
        // Invalid YAML around the base64 of the value.
        "kind: Secret\ndata:\n{% for k, v in data|items %}  {{ k }}: [{{ v }}\n{% endfor %}",
        "kind: Secret\ndata:\n{% for k, v in data|items %}  {{ k }}: {{ v }}: {{ v }}\n{% endfor %}",
        "{% for k, v in data|items %}- {{ v }}\nk: {{ v }}\n{% endfor %}",
        "{% for k, v in data|items %}!!int {{ v }}\n{% endfor %}",
        "{% for k, v in data|items %}a: !!int {{ v }}\n{% endfor %}",
        // A template name built from a value.
        "{% include data.password %}",
        "{% import data.password as x %}",
        "{% extends data.password %}",
        "{% include [data.password, data.password ~ 'x'] %}",
        // Operations on the value.
        "{{ data.password + 1 }}",
        "{{ data.password|int + 99999999999999999999 }}",
        "{{ data.password.x }}",
    ] {
        let out = secret_template(template);
        assert_eq!(out.code, Some(1), "{template}: {}", out.stderr);
        assert!(out.stderr.contains("t/secret.yaml"), "{template}: {}", out.stderr);
        assert_masked("SECRET_MARKER_9f3", template, &out.stderr);
    }
    let out = secret_template(
        "kind: Secret\ndata:\n{% for k, v in data|items %}  {{ k }}: [{{ v }}\n{% endfor %}",
    );
    assert!(
        out.stderr.contains("t/secret.yaml produced invalid YAML at output line 4, column 1: did not find expected ',' or ']' (while parsing a flow sequence)"),
        "{}",
        out.stderr
    );
    let out = secret_template("{% include data.password %}");
    assert!(
        out.stderr
            .contains("t/secret.yaml:1: template not found (rendering a Secret: details not shown"),
        "{}",
        out.stderr
    );
}

// ---- errors that point ----

#[test]
fn invalid_utf8_names_the_line_and_column() {
    let bytes = b"kind: ConfigMap\nmetadata:\n  name: \xc3\xa9t\xffSECRET_MARKER_9f3\n";
    let dir = project(&[("in.yaml", bytes)]);
    let out = run(dir.path(), &["import", "-o", "out", "in.yaml"]);
    assert_eq!(out.code, Some(1));
    assert_eq!(
        out.stderr,
        "error: `in.yaml` is not valid UTF-8 at line 3, column 11: save it as UTF-8\n --> in.yaml\n"
    );
    let out = run(dir.path(), &["render", "--against", "in.yaml", "app.toml"]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.starts_with(
            "error: `in.yaml` is not valid UTF-8 at line 3, column 11: save it as UTF-8\n"
        ),
        "{}",
        out.stderr
    );
    // An overlay is a description: drawn at the byte, the value masked.
    std::fs::write(
        dir.path().join("over.toml"),
        b"replicas = 2\n[secrets.s]\nliterals = { a = \"SECRET_MARKER_9f3\xff\" }\n",
    )
    .unwrap();
    let out = run(
        dir.path(),
        &["render", "--overlay", "over.toml", "app.toml"],
    );
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("--> over.toml:3:"), "{}", out.stderr);
    assert!(out.stderr.contains("not valid UTF-8"), "{}", out.stderr);
    assert_masked("SECRET_MARKER_9f3", "overlay", &out.stderr);
}

#[test]
fn a_budget_past_int32_is_refused_from_an_overlay_or_set() {
    let dir = project(&[(
        "over.toml",
        b"disruption_budget = { max_unavailable = 4294967297 }\n",
    )]);
    std::fs::write(dir.path().join("app.toml"), format!("{APP}replicas = 3\n")).unwrap();
    let out = run(
        dir.path(),
        &["render", "--overlay", "over.toml", "app.toml"],
    );
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains(
            "error: `disruption_budget.max_unavailable` is too large\n --> over.toml:1:41"
        ),
        "{}",
        out.stderr
    );
    let out = run(
        dir.path(),
        &[
            "render",
            "--set",
            "disruption_budget.min_available=2147483648",
            "app.toml",
        ],
    );
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr
            .contains("error: `disruption_budget.min_available` is too large\n --> --set:1:"),
        "{}",
        out.stderr
    );
    let out = run(
        dir.path(),
        &[
            "render",
            "--set",
            "disruption_budget.max_unavailable=2147483647",
            "app.toml",
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}
