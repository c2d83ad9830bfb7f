//! `[roles.NAME]`: several StatefulSets in one description, each merged over
//! the rest, sharing the objects the description makes once; and
//! `[statefulset] name`/`selector` and claim template metadata, which keep
//! what Kubernetes never changes. Through the real binary.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/roles/db.toml")
}

fn kubetoml(args: &[&str], file: &Path) -> Output {
    Command::cargo_bin("kubetoml")
        .unwrap()
        .args(args)
        .args(["--color", "never"])
        .arg(file)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    assert!(!out.status.success(), "should fail");
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// The documents of a render, as `(kind, name, value)`.
fn documents(yaml: &str) -> Vec<(String, String, serde_yaml::Value)> {
    yaml.split("\n---\n")
        .map(|d| {
            let v: serde_yaml::Value = serde_yaml::from_str(d).unwrap();
            let kind = v["kind"].as_str().unwrap().to_owned();
            let name = v["metadata"]["name"].as_str().unwrap().to_owned();
            (kind, name, v)
        })
        .collect()
}

fn find<'a>(
    docs: &'a [(String, String, serde_yaml::Value)],
    kind: &str,
    name: &str,
) -> &'a serde_yaml::Value {
    &docs
        .iter()
        .find(|(k, n, _)| k == kind && n == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
        .2
}

/// A folder holding `db.toml` with `text`.
fn written(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn each_role_makes_its_statefulset_and_services_and_shares_the_rest() {
    let yaml = stdout(&kubetoml(&["render", "-q"], &fixture()));
    let docs = documents(&yaml);
    let kinds: Vec<(&str, &str)> = docs
        .iter()
        .map(|(k, n, _)| (k.as_str(), n.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("ConfigMap", "conf"),
            ("Service", "db-primary"),
            ("Service", "db-read"),
            ("Service", "db-read-client"),
            ("PodDisruptionBudget", "db-read"),
            ("NetworkPolicy", "db"),
            ("StatefulSet", "db-primary"),
            ("StatefulSet", "db-read"),
        ]
    );
    let primary = find(&docs, "StatefulSet", "db-primary");
    let read = find(&docs, "StatefulSet", "db-read");
    assert_eq!(primary["spec"]["replicas"], 1);
    assert_eq!(read["spec"]["replicas"], 2);
    assert_eq!(read["spec"]["serviceName"], "db-read");
    let claim = |s: &serde_yaml::Value| {
        s["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"].clone()
    };
    assert_eq!(claim(primary), "10Gi");
    assert_eq!(claim(read), "20Gi");
    // Each role selects its own pods, and only them.
    for (sts, role) in [(primary, "primary"), (read, "read")] {
        let selector = &sts["spec"]["selector"]["matchLabels"];
        assert_eq!(selector["app.kubernetes.io/component"], role);
        let pods = &sts["spec"]["template"]["metadata"]["labels"];
        for (k, v) in selector.as_mapping().unwrap() {
            assert_eq!(&pods[k], v);
        }
    }
    // The shared objects carry no role's label; the policy selects every role.
    let policy = find(&docs, "NetworkPolicy", "db");
    let selects = policy["spec"]["podSelector"]["matchLabels"]
        .as_mapping()
        .unwrap();
    assert!(!selects.contains_key("app.kubernetes.io/component"));
    assert_eq!(selects.len(), 2);
    let conf = find(&docs, "ConfigMap", "conf");
    assert!(conf["metadata"]["labels"]
        .get("app.kubernetes.io/component")
        .is_none());
    let client = find(&docs, "Service", "db-read-client");
    assert_eq!(
        client["spec"]["selector"]["app.kubernetes.io/component"],
        "read"
    );
}

#[test]
fn an_environment_sets_a_role_field_and_explain_says_where() {
    let yaml = stdout(&kubetoml(
        &["render", "-q", "--environment", "prod"],
        &fixture(),
    ));
    let docs = documents(&yaml);
    assert_eq!(find(&docs, "StatefulSet", "db-read")["spec"]["replicas"], 5);
    assert_eq!(
        find(&docs, "StatefulSet", "db-primary")["metadata"]["namespace"],
        "shop"
    );
    let text = stdout(&kubetoml(
        &["explain", "-q", "--environment", "prod"],
        &fixture(),
    ));
    assert!(
        text.starts_with("role         primary\nstatefulset  db-primary\n"),
        "{text}"
    );
    assert!(
        text.contains("\nrole         read\nstatefulset  db-read\n"),
        "{text}"
    );
    assert!(text.contains("pod db-read-4\n"), "{text}");
    assert!(
        text.contains("roles.read.replicas  environment `prod`"),
        "{text}"
    );
    let json = stdout(&kubetoml(
        &["explain", "-q", "--format", "json"],
        &fixture(),
    ));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["role"], "primary");
    assert_eq!(v["other_roles"][0]["stateful_set"], "db-read");
}

#[test]
fn against_compares_each_role_by_its_own_names() {
    let yaml = stdout(&kubetoml(&["render", "-q"], &fixture()));
    let dir = tempfile::tempdir().unwrap();
    let previous = dir.path().join("previous.yaml");
    std::fs::write(&previous, &yaml).unwrap();
    let against = previous.to_str().unwrap();
    stdout(&kubetoml(
        &["render", "-q", "--against", against],
        &fixture(),
    ));
    // The replicas' claims grow: refused for `db-read` only.
    let text = std::fs::read_to_string(fixture())
        .unwrap()
        .replace("size = \"20Gi\"", "size = \"30Gi\"");
    let (_d, file) = written(&text);
    let err = stderr(&kubetoml(&["render", "-q", "--against", against], &file));
    assert!(err.contains("StatefulSet `db-read`"), "{err}");
    assert!(!err.contains("StatefulSet `db-primary`"), "{err}");
}

#[test]
fn a_kept_name_and_selector_and_claim_metadata_are_written_exactly() {
    let (_d, file) = written(
        r#"name = "db-postgresql"
image = "postgres:17.6"
labels = { team = "shop" }

[statefulset]
name = "db-postgresql-primary"
selector = { "app.kubernetes.io/name" = "postgresql", "app.kubernetes.io/instance" = "db", "app.kubernetes.io/component" = "primary" }

[service]
name = "db-postgresql-primary-hl"

[volumes.data]
mount = "/data"
size = "8Gi"
labels = {}
annotations = { "example.com/backup" = "daily" }
volume_mode = "Filesystem"
"#,
    );
    let docs = documents(&stdout(&kubetoml(&["render", "-q"], &file)));
    let sts = find(&docs, "StatefulSet", "db-postgresql-primary");
    assert_eq!(sts["spec"]["serviceName"], "db-postgresql-primary-hl");
    let selector = &sts["spec"]["selector"]["matchLabels"];
    assert_eq!(selector.as_mapping().unwrap().len(), 3);
    assert_eq!(selector["app.kubernetes.io/name"], "postgresql");
    let pods = &sts["spec"]["template"]["metadata"]["labels"];
    assert_eq!(pods["app.kubernetes.io/name"], "postgresql");
    assert_eq!(pods["app.kubernetes.io/component"], "primary");
    assert_eq!(pods["team"], "shop");
    let claim = &sts["spec"]["volumeClaimTemplates"][0];
    assert!(claim["metadata"].get("labels").is_none());
    assert_eq!(
        claim["metadata"]["annotations"]["example.com/backup"],
        "daily"
    );
    assert_eq!(claim["spec"]["volumeMode"], "Filesystem");
    // The headless Service selects the same pods.
    let svc = find(&docs, "Service", "db-postgresql-primary-hl");
    assert_eq!(&svc["spec"]["selector"], selector);
}

#[test]
fn mistakes_in_role_tables_point_at_their_line() {
    let base = std::fs::read_to_string(fixture()).unwrap();
    let cases: &[(&str, &str, &str)] = &[
        (
            "[roles.read]\nreplicas = 2\n",
            "[roles.read]\nreplica = 2\n",
            "unknown field `replica`",
        ),
        (
            "[roles.read]\nreplicas = 2\n",
            "[roles.read]\nreplicas = 2\nnamespace = \"role-ns\"\n",
            "role `read` cannot set `namespace`",
        ),
        (
            "[roles.primary]\nreplicas = 1\n",
            "[roles.Primary]\nreplicas = 1\n",
            "`Primary` is not a valid role name",
        ),
        (
            "[roles.primary]\nreplicas = 1\n",
            "[roles.primary]\nreplicas = 1\nlabels = { \"app.kubernetes.io/component\" = \"x\" }\n",
            "label `app.kubernetes.io/component` is `x`, but the selector wants `primary`",
        ),
        (
            "[roles.primary]\nreplicas = 1\n",
            "[roles.primary]\nstatefulset = { name = \"db-read\" }\n",
            "roles `primary` and `read` both make StatefulSet `db-read`",
        ),
        (
            "[roles.primary]\nreplicas = 1\n",
            "[roles.primary]\n[roles.primary.configmaps.conf]\nliterals = { other = \"1\" }\n",
            "makes ConfigMap `conf` otherwise",
        ),
    ];
    for (from, to, message) in cases {
        assert!(base.contains(from), "{from}");
        let text = base.replace(from, to);
        let (_d, file) = written(&text);
        let err = stderr(&kubetoml(&["render", "-q"], &file));
        assert!(err.contains(message), "{to}: {err}");
        // The error names the line of the role table's mistake.
        let line = text
            .lines()
            .position(|l| {
                to.lines()
                    .any(|t| t == l && !t.starts_with('[') && !from.contains(t))
            })
            .map(|i| i + 1);
        if let Some(line) = line.filter(|_| {
            !message.contains("both make")
                && !message.contains("otherwise")
                && !message.contains("role name")
        }) {
            assert!(
                err.contains(&format!("db.toml:{line}:")),
                "{to}: line {line}: {err}"
            );
        }
    }
    let err = stderr(&kubetoml(
        &["render", "-q"],
        &written(&base.replace(
            "[roles.read]\nreplicas = 2\n",
            "[roles.read]\nreplica = 2\n",
        ))
        .1,
    ));
    assert!(err.contains("did you mean `replicas`"), "{err}");
    // An environment not selected is checked too, each role it changes merged.
    let text = format!("{base}\n[environments.dev.roles.read]\nreplica = 2\n");
    let err = stderr(&kubetoml(&["render", "-q"], &written(&text).1));
    assert!(err.contains("unknown field `replica`"), "{err}");
    // A layer changes a role; it does not add one.
    let text = base.replace(
        "[environments.prod.roles.read]",
        "[environments.prod.roles.reed]",
    );
    let err = stderr(&kubetoml(&["render", "-q"], &written(&text).1));
    assert!(
        err.contains("role `reed` is not one of the description's"),
        "{err}"
    );
    assert!(err.contains("did you mean `read`?"), "{err}");
    let set = ["render", "-q", "--set", "roles.replica.replicas=3"];
    let err = stderr(&kubetoml(&set, &fixture()));
    assert!(
        err.contains("role `replica` is not one of the description's"),
        "{err}"
    );
}

#[test]
fn without_roles_a_kept_selector_must_not_be_contradicted() {
    let (_d, file) = written(
        "name = \"db\"\nimage = \"postgres:17.6\"\nlabels = { app = \"other\" }\n[statefulset]\nselector = { app = \"db\" }\n",
    );
    let err = stderr(&kubetoml(&["render", "-q"], &file));
    assert!(
        err.contains("label `app` is `other`, but the selector wants `db`"),
        "{err}"
    );
    assert!(err.contains("db.toml:3:"), "{err}");
    let (_d, file) =
        written("name = \"db\"\nimage = \"postgres:17.6\"\n[statefulset]\nselector = {}\n");
    assert!(stderr(&kubetoml(&["render", "-q"], &file)).contains("`selector` is empty"));
}

/// Every ```toml block of `docs/src/roles.md` renders, and the kept
/// selector example renders the names and selector it documents.
#[test]
fn the_book_chapter_examples_render() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("docs/src/roles.md")).unwrap();
    let blocks: Vec<&str> = text
        .split("```toml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert_eq!(blocks.len(), 2);
    for block in &blocks {
        let (_d, file) = written(block);
        let yaml = stdout(&kubetoml(&["render", "-q"], &file));
        assert!(yaml.contains("kind: StatefulSet"), "{block}");
    }
    assert_eq!(
        blocks[0],
        std::fs::read_to_string(fixture())
            .unwrap()
            .split_once('\n')
            .unwrap()
            .1
    );
    let (_d, file) = written(blocks[1]);
    let docs = documents(&stdout(&kubetoml(&["render", "-q"], &file)));
    let sts = find(&docs, "StatefulSet", "db-postgresql-primary");
    assert_eq!(sts["spec"]["serviceName"], "db-postgresql-primary-hl");
    assert_eq!(
        sts["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"],
        "postgresql"
    );
}

#[test]
fn an_overlay_and_set_change_a_role_and_errors_name_the_overlay() {
    let dir = tempfile::tempdir().unwrap();
    let overlay = dir.path().join("big.toml");
    std::fs::write(
        &overlay,
        "[roles.read]\nreplicas = 7\n[roles.read.volumes.data]\nsize = \"50Gi\"\n",
    )
    .unwrap();
    let o = overlay.to_str().unwrap();
    let docs = documents(&stdout(&kubetoml(
        &[
            "render",
            "-q",
            "--overlay",
            o,
            "--set",
            "roles.primary.replicas=2",
        ],
        &fixture(),
    )));
    let read = find(&docs, "StatefulSet", "db-read");
    assert_eq!(read["spec"]["replicas"], 7);
    assert_eq!(
        read["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"],
        "50Gi"
    );
    assert_eq!(
        find(&docs, "StatefulSet", "db-primary")["spec"]["replicas"],
        2
    );
    std::fs::write(&overlay, "[roles.read]\nreplicas = 7\nnamespace = \"x\"\n").unwrap();
    let err = stderr(&kubetoml(&["render", "-q", "--overlay", o], &fixture()));
    assert!(err.contains("role `read` cannot set `namespace`"), "{err}");
    assert!(err.contains("big.toml:3:"), "{err}");
}

#[test]
fn the_graph_draws_every_role_and_the_shared_objects_once() {
    let dot = stdout(&kubetoml(&["explain", "-q", "--format", "dot"], &fixture()));
    for name in [
        "StatefulSet db-primary",
        "StatefulSet db-read",
        "Service db-read-client",
        "PodDisruptionBudget db-read",
    ] {
        assert_eq!(dot.matches(name).count(), 1, "{name}: {dot}");
    }
    assert_eq!(dot.matches("NetworkPolicy db").count(), 1, "{dot}");
    assert_eq!(dot.matches("ConfigMap conf").count(), 1, "{dot}");
}
