//! `kubetoml explain`: text and JSON for every example, and no Secret value
//! in either.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use indoc::{formatdoc, indoc};
use kubetoml::{explain, Options};

/// Build-time variables the examples read, fixed so snapshots are stable.
const PG_PASSWORD: &str = "fixture-pg-password-4b1d";
const REGISTRY_TOKEN: &str = "fixture-registry-token-77ac";

fn fixture_env() -> BTreeMap<String, Vec<u8>> {
    BTreeMap::from([
        ("PG_PASSWORD".to_owned(), PG_PASSWORD.as_bytes().to_vec()),
        (
            "REGISTRY_TOKEN".to_owned(),
            REGISTRY_TOKEN.as_bytes().to_vec(),
        ),
    ])
}

fn resolve(path: &Path) -> kubetoml::Resolved {
    let source = std::fs::read_to_string(path).unwrap();
    let options = Options::new().env(fixture_env());
    let file = path.file_name().unwrap().to_string_lossy();
    kubetoml::resolve(&file, &source, path.parent().unwrap(), &options)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

/// Every way a Secret's value could leak: the raw bytes (when text), their
/// base64 as in the manifest, and the build-time variables.
fn secret_values(model: &kubetoml::model::Model) -> Vec<String> {
    let mut out = vec![PG_PASSWORD.to_owned(), REGISTRY_TOKEN.to_owned()];
    for secret in &model.secrets {
        for bytes in secret.data.values() {
            out.push(base64::engine::general_purpose::STANDARD.encode(&bytes.0));
            if let Ok(text) = std::str::from_utf8(&bytes.0) {
                out.push(text.to_owned());
            }
        }
    }
    out
}

fn assert_no_secret(model: &kubetoml::model::Model, output: &str) {
    let values = secret_values(model);
    assert!(values.len() > 2 || model.secrets.is_empty());
    for v in values {
        assert!(!output.contains(&v), "a secret value appears in:\n{output}");
    }
}

#[test]
fn explains_every_example_as_text() {
    settings().bind(|| {
        insta::glob!("../../examples", "**/*.toml", |path| {
            if path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("err_")
            {
                return;
            }
            let resolved = resolve(path);
            let text = resolved.explain().to_text();
            assert_no_secret(resolved.model(), &text);
            insta::assert_snapshot!("explain_text", text);
        });
    });
}

#[test]
fn explains_every_example_as_json() {
    settings().bind(|| {
        insta::glob!("../../examples", "**/*.toml", |path| {
            if path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("err_")
            {
                return;
            }
            let resolved = resolve(path);
            let json = resolved.explain().to_json();
            assert_no_secret(resolved.model(), &json);
            // It is the serde form of `Explanation`, and parses as JSON.
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(value["version"], explain::FORMAT_VERSION);
            insta::assert_snapshot!("explain_json", json);
        });
    });
}

#[test]
fn web_pods_have_their_own_claims_and_dns_names() {
    let resolved = resolve(Path::new("examples/web/web.toml"));
    let e = resolved.explain();
    let names: Vec<_> = e.pods.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["web-0", "web-1", "web-2"]);
    assert_eq!(e.pods[1].dns, "web-1.hd-service.default.svc.cluster.local");
    assert_eq!(e.pods[2].claims[0].name, "www-web-2");
    let mount = e.pods[2].containers[0]
        .mounts
        .iter()
        .find(|m| m.path == "/usr/share/nginx/html")
        .unwrap();
    assert_eq!(
        mount.source,
        explain::MountSource::Claim {
            name: "www-web-2".into()
        }
    );
    let password = e.pods[0].containers[0]
        .env
        .iter()
        .find(|v| v.name == "SECRET_PASSWORD")
        .unwrap();
    assert_eq!(
        password.source,
        explain::EnvSource::Secret {
            name: "mysecret".into(),
            key: "password".into()
        }
    );
}

#[test]
fn env_sources_have_a_documented_json_shape() {
    let resolved = resolve(Path::new("examples/web/web.toml"));
    let json = resolved.explain().to_json();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let env = &value["pods"][0]["containers"][0]["env"];
    assert_eq!(
        env[0],
        serde_json::json!({"name": "ABC", "from": "value", "value": "1234567"})
    );
    assert_eq!(
        env[1],
        serde_json::json!({"name": "LEVEL", "from": "config_map", "config_map": "myconfig", "key": "special.level"})
    );
    // In written order: the ConfigMap's variables, then the Secret's.
    assert_eq!(
        env[4],
        serde_json::json!({"name": "SECRET_PASSWORD", "from": "secret", "secret": "mysecret", "key": "password"})
    );
    // One key per name: the variable's `name` is not shadowed by the object's.
    assert_eq!(json.matches("\"name\": \"SECRET_PASSWORD\"").count(), 3);
    assert_eq!(json.matches("\"secret\": \"mysecret\"").count(), 6);
}

#[test]
fn ordinals_start_and_a_missing_namespace_show() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.toml");
    std::fs::write(
        &path,
        indoc! {r#"
            name = "db"
            image = "postgres:16"
            replicas = 2

            [statefulset]
            ordinals_start = 5
            update_strategy = { type = "OnDelete" }
        "#},
    )
    .unwrap();
    let e = resolve(&path).explain();
    assert_eq!(e.namespace, None);
    let names: Vec<_> = e.pods.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["db-5", "db-6"]);
    assert_eq!(e.pods[0].dns, "db-5.db.<namespace>.svc.cluster.local");
    let text = e.to_text();
    assert!(
        text.contains("replicas     2 pods: db-5 to db-6\n"),
        "{text}"
    );
    assert!(
        text.contains("update       OnDelete: pods keep their template until you delete them"),
        "{text}"
    );
}

#[test]
fn the_cli_prints_json_and_requires_the_secret_variables() {
    let json = assert_cmd::Command::cargo_bin("kubetoml")
        .unwrap()
        .args([
            "explain",
            "--format",
            "json",
            "examples/postgres/postgres.toml",
        ])
        .env("PG_PASSWORD", PG_PASSWORD)
        .env("REGISTRY_TOKEN", REGISTRY_TOKEN)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json = String::from_utf8(json).unwrap();
    assert!(!json.contains(PG_PASSWORD) && !json.contains(REGISTRY_TOKEN));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["pods"][2]["claims"][0]["name"], "data-postgres-2");
    assert_eq!(
        value["pods"][0]["containers"][0]["env_from"][1]["name"],
        "postgres-auth"
    );

    // Secret names may carry a hash of their content, so explain reads the
    // values as render does: a missing variable is the same error.
    let out = assert_cmd::Command::cargo_bin("kubetoml")
        .unwrap()
        .args(["explain", "examples/postgres/postgres.toml"])
        .env_remove("PG_PASSWORD")
        .env("REGISTRY_TOKEN", REGISTRY_TOKEN)
        .env("NO_COLOR", "1")
        .assert()
        .code(1)
        .stdout("")
        .get_output()
        .stderr
        .clone();
    let stderr = String::from_utf8(out).unwrap();
    assert!(stderr.contains("PG_PASSWORD"), "{stderr}");
}

#[test]
fn partitions_and_max_unavailable_are_spelled_out() {
    let dir = tempfile::tempdir().unwrap();
    let explain = |strategy: &str| {
        let path = dir.path().join("db.toml");
        std::fs::write(
            &path,
            formatdoc! {r#"
                name = "db"
                image = "postgres:16"
                replicas = 3

                [statefulset]
                update_strategy = {strategy}
            "#},
        )
        .unwrap();
        resolve(&path).explain()
    };
    let e = explain("{ type = \"RollingUpdate\", partition = 5 }");
    assert!(e.pods.iter().all(|p| p.held_by_partition));
    assert!(
        e.update.summary.starts_with("partition 5 holds every pod"),
        "{}",
        e.update.summary
    );
    let e = explain("{ type = \"RollingUpdate\", partition = 2 }");
    let held: Vec<_> = e.pods.iter().map(|p| p.held_by_partition).collect();
    assert_eq!(held, [true, true, false]);
    assert!(
        e.update
            .summary
            .ends_with("partition 2 keeps db-0 and db-1 on the old template until it is lowered"),
        "{}",
        e.update.summary
    );
    let e = explain("{ type = \"RollingUpdate\", max_unavailable = \"50%\" }");
    assert_eq!(e.update.max_unavailable.as_deref(), Some("50%"));
    assert!(
        e.update.summary.contains("up to 50% of the pods at a time"),
        "{}",
        e.update.summary
    );
}

#[test]
fn the_largest_replicas_and_ordinals_are_counted_not_listed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.toml");
    std::fs::write(
        &path,
        "name = \"db\"\nimage = \"postgres:16\"\nreplicas = 2147483647\n\n[volumes.data]\nmount = \"/data\"\nsize = \"1Gi\"\n\n[statefulset]\nordinals_start = 2147483647\nupdate_strategy = { partition = 2147483647 }\n",
    )
    .unwrap();
    let started = std::time::Instant::now();
    let e = resolve(&path).explain();
    assert_eq!(e.pods.len(), explain::MAX_LISTED_PODS as usize);
    assert_eq!(e.pods_not_listed, 2147483647 - explain::MAX_LISTED_PODS);
    assert_eq!(e.pods[0].name, "db-2147483647");
    assert_eq!(e.pods[99].name, "db-2147483746");
    let text = e.to_text();
    assert!(
        text.contains("replicas     2147483647 pods: db-2147483647 to db-4294967293\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "\n2147483547 more pods, db-2147483747 to db-4294967293, are set up the same way"
        ),
        "{text}"
    );
    let json = e.to_json();
    assert!(json.contains("\"pods_not_listed\": 2147483547"), "{json}");
    assert!(text.len() < 100_000 && json.len() < 200_000);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn a_small_statefulset_lists_every_pod_and_no_count() {
    let e = resolve(Path::new("examples/web/web.toml")).explain();
    assert_eq!(e.pods_not_listed, 0);
    assert!(!e.to_json().contains("pods_not_listed"));
}
