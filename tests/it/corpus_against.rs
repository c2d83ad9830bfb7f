//! The migration-in-place proof over the import corpus (issue 17): for
//! every input in `tests/fixtures/charts` and `tests/fixtures/import` that
//! imports, `kubetoml render --against <the input>` of each imported
//! description refuses nothing: the StatefulSets keep their names,
//! selectors, `serviceName`, pod management policy and claim templates,
//! and the headless Services stay headless. StatefulSets sharing objects
//! come back as one description with roles, whose joint render makes no
//! object twice.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kubetoml(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubetoml"))
        .args(args)
        .args(["--color", "never"])
        .output()
        .unwrap()
}

/// Inputs that import today, so that `--against` checks them (a ratchet,
/// as `import_corpus`'s floors: add an input when it starts importing).
const IMPORTING: &[&str] = &[
    "cassandra-ring.yaml",
    "clickhouse-shards.yaml",
    "consul-cluster.yaml",
    "elasticsearch-roles.yaml",
    "etcd-cluster.yaml",
    "kafka-controller-broker.yaml",
    "mariadb-replication.yaml",
    "minio-distributed.yaml",
    "mongodb-replicaset-arbiter.yaml",
    "mysql-replication.yaml",
    "opensearch-roles.yaml",
    "postgresql-default.yaml",
    "postgresql-replication.yaml",
    "rabbitmq-cluster.yaml",
    "redis-default.yaml",
    "redis-sentinel.yaml",
    "valkey-replication.yaml",
    "zookeeper-ensemble.yaml",
    "exact-or-carried.yaml",
    "helm-postgresql.yaml",
    "kustomize-redis.yaml",
    "web.yaml",
    "zookeeper.yaml",
];

fn inputs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = Vec::new();
    for folder in ["charts", "import"] {
        for entry in std::fs::read_dir(root.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_imported_description_renders_against_its_input_refusing_nothing() {
    let mut checked = Vec::new();
    let mut roles = 0;
    for input in inputs() {
        let out_dir = tempfile::tempdir().unwrap();
        let dir = out_dir.path().join("out");
        let input_s = input.to_str().unwrap();
        let import = kubetoml(&["import", input_s, "-o", dir.to_str().unwrap()]);
        let file_name = input.file_name().unwrap().to_string_lossy().into_owned();
        if !import.status.success() {
            assert!(
                !IMPORTING.contains(&file_name.as_str()),
                "{input_s} imported before, and is refused now:\n{}",
                String::from_utf8_lossy(&import.stderr)
            );
            // Refusing is the import's to decide (tests/it/import*.rs); a refusal writes nothing.
            assert!(
                !dir.exists() || std::fs::read_dir(&dir).unwrap().next().is_none(),
                "{input_s}"
            );
            continue;
        }
        let mut descriptions: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        descriptions.sort();
        assert!(
            !descriptions.is_empty(),
            "{input_s}: imported, but no description"
        );
        for d in &descriptions {
            let d_s = d.to_str().unwrap();
            let out = kubetoml(&["render", "-q", "--against", input_s, d_s]);
            assert!(
                out.status.success(),
                "{input_s}: {}: refused:\n{}\n{}",
                d.file_name().unwrap().to_string_lossy(),
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(d).unwrap()
            );
            if std::fs::read_to_string(d).unwrap().contains("\n[roles.") {
                roles += 1;
            }
            checked.push(format!(
                "{}: {}",
                input.file_name().unwrap().to_string_lossy(),
                d.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    eprintln!("render --against the input refused nothing for {} description(s), {roles} with roles:\n  {}", checked.len(), checked.join("\n  "));
    for name in IMPORTING {
        assert!(
            checked.iter().any(|c| c.starts_with(&format!("{name}: "))),
            "{name}: not among the inputs checked"
        );
    }
}

/// The chart render with a primary and read replicas imports as one
/// description with two roles, whose one render makes each shared object
/// once and whose `--against` the input refuses nothing.
#[test]
fn a_primary_and_its_replicas_import_as_one_description_with_roles() {
    let (_out_dir, dir, files) = import_chart("postgresql-replication");
    let descriptions: Vec<String> = (files.iter())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(descriptions, ["db-postgresql.toml"]);
    let file = dir.join("db-postgresql.toml");
    let toml = std::fs::read_to_string(&file).unwrap();
    assert!(
        toml.contains("\n[roles.primary]\n") && toml.contains("\n[roles.read]\n"),
        "{toml}"
    );
    let out = kubetoml(&["render", "-q", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml = String::from_utf8(out.stdout).unwrap();
    let names: Vec<String> = yaml
        .split("\n---\n")
        .map(|d| {
            let v: serde_yaml::Value = serde_yaml::from_str(d).unwrap();
            format!(
                "{}/{}",
                v["kind"].as_str().unwrap(),
                v["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    for name in [
        "StatefulSet/db-postgresql-primary",
        "StatefulSet/db-postgresql-read",
        "Service/db-postgresql-primary-hl",
        "Service/db-postgresql-read-hl",
    ] {
        assert!(names.contains(&name.to_owned()), "{name}: {names:?}");
    }
    assert_eq!(
        names
            .iter()
            .filter(|n| *n == "ServiceAccount/db-postgresql")
            .count(),
        1,
        "{names:?}"
    );
}

/// Which charts of the corpus import as one description with roles, and
/// their roles (a ConfigMap's role label kept by its table's `labels`); the
/// others' StatefulSets each get a description, since as roles they would
/// change more of the input.
#[test]
fn the_charts_with_roles_are_these() {
    let mut found = Vec::new();
    for chart in [
        "clickhouse-shards",
        "elasticsearch-roles",
        "kafka-controller-broker",
        "mongodb-replicaset-arbiter",
        "mysql-replication",
        "postgresql-replication",
    ] {
        let (_out_dir, _, files) = import_chart(chart);
        for file in files {
            let toml = std::fs::read_to_string(&file).unwrap();
            let roles: Vec<&str> = toml
                .lines()
                .filter_map(|l| l.strip_prefix("[roles.")?.strip_suffix(']'))
                .filter(|r| !r.contains('.'))
                .collect();
            if !roles.is_empty() {
                let name = file.file_name().unwrap().to_string_lossy().into_owned();
                found.push(format!("{chart}: {name}: {}", roles.join(", ")));
            }
        }
    }
    assert_eq!(
        found,
        [
            "kafka-controller-broker: events-kafka.toml: broker, controller",
            "mongodb-replicaset-arbiter: docs-mongodb.toml: arbiter, main",
            "mysql-replication: sql-mysql.toml: primary, secondary",
            "postgresql-replication: db-postgresql.toml: primary, read",
        ]
    );
}

/// Cassandra's headless Service publishes `tls` (7001) with TLS off: no
/// container declares it. The import keeps the port and says
/// `allow = ["undeclared-port"]`, so its description renders the same
/// Service, warning-free.
#[test]
fn cassandra_keeps_its_undeclared_tls_port_and_allows_it() {
    let (_out_dir, _, files) = import_chart("cassandra-ring");
    assert_eq!(files.len(), 1, "{files:?}");
    let toml = std::fs::read_to_string(&files[0]).unwrap();
    assert!(toml.contains("allow = [\"undeclared-port\"]"), "{toml}");
    assert!(
        toml.contains("tls = { port = 7001, target_port = \"tls\" }"),
        "{toml}"
    );
    let render = kubetoml(&["render", files[0].to_str().unwrap()]);
    assert!(render.status.success());
    assert_eq!(String::from_utf8_lossy(&render.stderr), "", "no warning");
    let yaml = String::from_utf8(render.stdout).unwrap();
    assert!(
        yaml.contains(
            "    - name: tls\n      port: 7001\n      targetPort: tls\n      protocol: TCP\n"
        ),
        "{yaml}"
    );
}

/// Client Services whose port names or numbers differ from the
/// containers' are described with `[client_service] ports` as a table (and
/// their own labels), no longer carried whole in `extra_manifests`.
#[test]
fn client_services_with_their_own_port_names_are_described() {
    for (chart, expected) in [
        (
            "zookeeper-ensemble",
            "ports = { tcp-client = { port = 2181, target_port = \"client\" }, tcp-follower = { port = 2888, target_port = \"follower\" }, tcp-election = { port = 3888, target_port = \"election\" } }",
        ),
        ("consul-cluster", "name = \"sd-consul-ui\"\nports = { http = 80 }\n"),
        (
            "kafka-controller-broker",
            "ports = { tcp-client = { port = 9092, target_port = \"client\" } }\nlabels = { \"app.kubernetes.io/component\" = \"kafka\" }\n",
        ),
        (
            "rabbitmq-cluster",
            "http-stats = { port = 15672, target_port = \"stats\" } }",
        ),
    ] {
        let (_out_dir, _, files) = import_chart(chart);
        let all: String = files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect();
        let section = all
            .split("client_service]\n")
            .nth(1)
            .unwrap_or_else(|| panic!("{chart}: no [client_service]\n{all}"));
        assert!(section.contains(expected), "{chart}: {expected}\n{section}");
    }
}

/// postgresql's roles each have two Services selecting their pods: the
/// app's (`tcp-postgresql`, the main container's port) and the metrics
/// exporter's. `[client_service]` is the app's; the exporter's is carried.
#[test]
fn the_client_service_is_the_app_s_not_the_metrics_exporter_s() {
    let (_out_dir, _, files) = import_chart("postgresql-replication");
    let toml = std::fs::read_to_string(&files[0]).unwrap();
    for role in ["primary", "read"] {
        let section = format!("[roles.{role}.client_service]\nname = \"db-postgresql-{role}\"\n\n");
        assert!(toml.contains(&section), "{section}\n{toml}");
    }
}

/// Imports the chart render `chart` into a new folder: the folder (kept
/// while the first value lives), its `out` subfolder, and the descriptions
/// written there, sorted.
fn import_chart(chart: &str) -> (tempfile::TempDir, PathBuf, Vec<PathBuf>) {
    let input = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/charts")
        .join(format!("{chart}.yaml"));
    let out_dir = tempfile::tempdir().unwrap();
    let dir = out_dir.path().join("out");
    let import = kubetoml(&[
        "import",
        input.to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert!(
        import.status.success(),
        "{chart}: {}",
        String::from_utf8_lossy(&import.stderr)
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    (out_dir, dir, files)
}
