//! The objects beside the StatefulSet (Namespace, ServiceAccount, client
//! Service, PodDisruptionBudget, NetworkPolicy): when they are emitted, in
//! which order, and that `--templates` overrides them and refuses a file it
//! does not know.

use std::path::Path;

use assert_cmd::Command;
use serde_yaml::Value;

fn kubetoml() -> Command {
    let mut cmd = Command::cargo_bin("kubetoml").unwrap();
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

/// Renders `toml` (written to a temporary folder) and returns its documents.
fn render(toml: &str) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.toml");
    std::fs::write(&path, toml).unwrap();
    let out = kubetoml().arg("render").arg(&path).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect()
}

fn kinds(docs: &[Value]) -> Vec<&str> {
    docs.iter().map(|d| d["kind"].as_str().unwrap()).collect()
}

const BASE: &str = "name = \"zk\"\nimage = \"zookeeper:3.9\"\nports = { client = 2181 }\n";

#[test]
fn every_companion_in_apply_order() {
    let docs = render(&format!(
        "{BASE}namespace = \"data\"\ncreate_namespace = true\nreplicas = 3\n\
         service_account = {{ create = true }}\n\
         [client_service]\n[network_policy]\n[configmaps.c]\nliterals = {{ a = \"b\" }}\n\
         [secrets.s]\nliterals = {{ a = \"b\" }}\n"
    ));
    assert_eq!(
        kinds(&docs),
        [
            "Namespace",
            "ServiceAccount",
            "ConfigMap",
            "Secret",
            "Service",
            "Service",
            "PodDisruptionBudget",
            "NetworkPolicy",
            "StatefulSet"
        ]
    );
    assert_eq!(docs[4]["spec"]["clusterIP"], Value::from("None"));
    assert_eq!(docs[5]["metadata"]["name"], Value::from("zk-client"));
    assert_eq!(docs[5]["spec"]["type"], Value::from("ClusterIP"));
    assert_eq!(docs[1]["metadata"]["name"], Value::from("zk"));
    let pod = &docs[8]["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], Value::from("zk"));
    assert!(pod["automountServiceAccountToken"].is_null());
}

#[test]
fn the_default_budget_needs_two_replicas() {
    let budget = |extra: &str| {
        let docs = render(&format!("{BASE}{extra}"));
        docs.into_iter()
            .find(|d| d["kind"] == "PodDisruptionBudget")
            .map(|b| b["spec"].clone())
    };
    assert_eq!(budget(""), None, "one pod: no budget by default");
    assert_eq!(budget("replicas = 2\ndisruption_budget = false\n"), None);
    let default = budget("replicas = 2\n").unwrap();
    assert_eq!(default["maxUnavailable"], Value::from(1));
    assert!(default["minAvailable"].is_null());
    let asked = budget("disruption_budget = true\n").unwrap();
    assert_eq!(asked["maxUnavailable"], Value::from(1));
    let min = budget("replicas = 5\ndisruption_budget = { min_available = \"60%\" }\n").unwrap();
    assert_eq!(min["minAvailable"], Value::from("60%"));
    assert!(min["maxUnavailable"].is_null());
}

#[test]
fn the_string_form_names_an_existing_account() {
    let docs = render(&format!(
        "{BASE}service_account = \"shared\"\nautomount_service_account_token = false\n"
    ));
    assert_eq!(kinds(&docs), ["Service", "StatefulSet"]);
    let pod = &docs[1]["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], Value::from("shared"));
    assert_eq!(pod["automountServiceAccountToken"], Value::from(false));
}

#[test]
fn a_policy_without_ports_admits_nobody() {
    let docs = render("name = \"zk\"\nimage = \"x\"\n[network_policy]\n");
    let policy = docs.iter().find(|d| d["kind"] == "NetworkPolicy").unwrap();
    assert!(policy["spec"]["ingress"].is_null());
    assert_eq!(policy["spec"]["policyTypes"][0], Value::from("Ingress"));
}

#[test]
fn user_templates_replace_the_new_kinds_too() {
    let dir = tempfile::tempdir().unwrap();
    let builtin = std::fs::read_to_string("templates/poddisruptionbudget.yaml").unwrap();
    let custom = builtin.replace("spec:\n", "  annotations:\n    owner: sre\nspec:\n");
    assert_ne!(builtin, custom);
    std::fs::write(dir.path().join("poddisruptionbudget.yaml"), custom).unwrap();
    let out = kubetoml()
        .args(["render", "examples/web/web.toml", "--templates"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("    owner: sre\n"), "{text}");
}

#[test]
fn a_template_file_kubetoml_does_not_know_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("service.yaml"), "kind: Service\n").unwrap();
    std::fs::write(dir.path().join("statefullset.yaml"), "kind: StatefulSet\n").unwrap();
    let out = kubetoml()
        .args(["render", "examples/web/web.toml", "--templates"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("statefullset.yaml` is not a template kubetoml knows"),
        "{stderr}"
    );
    assert!(
        stderr.contains("did you mean `statefulset.yaml`?"),
        "{stderr}"
    );
}

#[test]
fn a_client_service_with_an_address_is_not_an_immutable_change() {
    // `--against` checks the headless Service's clusterIP; the client
    // Service's address is the cluster's to assign.
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("app.toml");
    std::fs::write(&toml, format!("{BASE}[client_service]\n")).unwrap();
    let out = kubetoml().arg("render").arg(&toml).output().unwrap();
    let previous = String::from_utf8(out.stdout).unwrap().replace(
        "  type: ClusterIP\n",
        "  type: ClusterIP\n  clusterIP: 10.0.0.7\n",
    );
    assert!(previous.contains("10.0.0.7"));
    let prev = dir.path().join("previous.yaml");
    std::fs::write(&prev, previous).unwrap();
    let out = kubetoml()
        .arg("render")
        .arg(&toml)
        .arg("--against")
        .arg(&prev)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(Path::new(&prev).exists());
}

#[test]
fn explain_shows_the_companions() {
    let out = kubetoml()
        .args(["explain", "examples/zookeeper/zookeeper.toml"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for line in [
        "clients      zk-client.zookeeper.svc.cluster.local (ClusterIP): client 2181/TCP, client-tls 2281/TCP\n",
        "drain        a node drain evicts one pod at a time, each after its replacement is Ready\n",
        "runs as      service account zk (created here), no API token mounted\n",
        "    env    ZOO_MY_ID ",
    ] {
        assert!(text.contains(line), "{line:?} in:\n{text}");
    }
    let out = kubetoml()
        .args([
            "explain",
            "--format",
            "json",
            "examples/zookeeper/zookeeper.toml",
        ])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["identity"]["token_mounted"], false);
    assert_eq!(json["disruption_budget"]["max_unavailable"], "1");
    assert_eq!(json["network_policy"]["ports"][0], "2181/TCP");
}
