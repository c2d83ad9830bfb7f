//! `kubetoml render --against FILE`, through the real binary: changes the
//! API server makes in place pass; the ones it refuses fail with exit 1,
//! nothing on stdout, no files written, and an error naming each field.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

const WEB: &str = include_str!("../../examples/web/web.toml");
const REDIS: &str = include_str!("../../examples/web/redis.properties");
const LINTS_OFF: &str =
    "allow = [\"pod-security\", \"latest-tag\", \"no-memory-limit\", \"no-readiness-probe\"]";

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

/// A folder holding the `web` example, where commands run with relative
/// paths (so errors name `web.toml` and `old.yaml`, not a temp path).
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        // The example's lint warnings are tested elsewhere; here only `--against` speaks.
        let quiet = format!("{LINTS_OFF}\n{WEB}");
        std::fs::write(dir.path().join("web.toml"), quiet).unwrap();
        std::fs::write(dir.path().join("redis.properties"), REDIS).unwrap();
        Project { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).unwrap();
    }

    /// Rewrites web.toml, replacing `from` (which must be there) by `to`.
    fn edit(&self, from: &str, to: &str) {
        let text = std::fs::read_to_string(self.path("web.toml")).unwrap();
        assert!(text.contains(from), "web.toml has no {from:?}");
        self.write("web.toml", &text.replacen(from, to, 1));
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("kubetoml").unwrap();
        cmd.current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .args(args);
        cmd
    }

    /// `render web.toml`, saved as `old.yaml` (the previous deploy).
    fn render_old(&self) -> String {
        let out = self.cmd(&["render", "web.toml"]).assert().success();
        let yaml = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        self.write("old.yaml", &yaml);
        yaml
    }

    /// `render --against FILE web.toml` must succeed; returns stdout.
    fn passes(&self, against: &str) -> String {
        let out = self
            .cmd(&["render", "--against", against, "web.toml"])
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    }

    /// `render --against FILE web.toml` must fail with exit 1 and an empty
    /// stdout; returns stderr.
    fn fails(&self, against: &str) -> String {
        let out = self
            .cmd(&["render", "--against", against, "web.toml"])
            .assert()
            .code(1)
            .stdout("");
        String::from_utf8(out.get_output().stderr.clone()).unwrap()
    }
}

/// Copies a fixture into the project.
fn fixture(p: &Project, name: &str) {
    let text = std::fs::read_to_string(Path::new("tests/fixtures").join(name)).unwrap();
    p.write(name, &text);
}

/// Edits the StatefulSet in a rendered stream, through parsed values.
fn edit_statefulset(yaml: &str, edit: impl Fn(&mut serde_yaml::Value)) -> String {
    use serde::Deserialize as _;
    let mut docs = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(yaml) {
        let mut v = serde_yaml::Value::deserialize(doc).unwrap();
        if v["kind"] == "StatefulSet" {
            edit(&mut v);
        }
        docs.push(serde_yaml::to_string(&v).unwrap());
    }
    docs.join("---\n")
}

#[test]
fn an_unchanged_render_passes_and_prints_the_same_yaml() {
    let p = Project::new();
    let old = p.render_old();
    assert_eq!(p.passes("old.yaml"), old);
}

#[test]
fn replicas_image_and_env_changes_pass() {
    let p = Project::new();
    p.render_old();
    p.edit("replicas = 3", "replicas = 5");
    p.edit("image = \"nginx\"", "image = \"nginx:1.27\"");
    p.edit("env = { ABC = \"1234567\" }", "env = { ABC = \"7654321\" }");
    let out = p.passes("old.yaml");
    assert!(out.contains("replicas: 5"), "{out}");
}

#[test]
fn the_same_size_in_other_units_passes() {
    let p = Project::new();
    p.render_old();
    p.edit("size = \"1Gi\"", "size = \"1024Mi\"");
    p.passes("old.yaml");
}

#[test]
fn a_file_without_the_statefulset_is_a_first_deploy() {
    let p = Project::new();
    p.write(
        "other.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata: {}\n",
    );
    p.passes("other.yaml");
    p.write("empty.yaml", "");
    p.passes("empty.yaml");
    // Same name in another namespace: another object.
    p.render_old();
    p.edit("namespace = \"default\"", "namespace = \"staging\"");
    p.edit("name = \"hd-service\"", "name = \"web-svc\"");
    p.passes("old.yaml");
}

#[test]
fn kubectl_get_output_with_server_fields_passes() {
    let p = Project::new();
    fixture(&p, "kubectl-get-statefulset-web.yaml");
    fixture(&p, "kubectl-get-list-web.yaml");
    p.passes("kubectl-get-statefulset-web.yaml");
    // A List of a Service and a StatefulSet, with managedFields, whose
    // claim asks for 1024Mi: the same quantity as 1Gi.
    p.passes("kubectl-get-list-web.yaml");
    // Server-added fields are ignored, the real ones still compared.
    p.edit("size = \"1Gi\"", "size = \"2Gi\"");
    let stderr = p.fails("kubectl-get-list-web.yaml");
    assert!(
        stderr.contains("`spec.volumeClaimTemplates[www].spec.resources.requests.storage` of StatefulSet `web` in place: `1024Mi` -> `2Gi`"),
        "{stderr}"
    );
}

#[test]
fn a_claim_with_another_volume_mode_is_a_change() {
    // volumeMode is filled in as Filesystem when not set: a claim that was
    // created as a Block device cannot become one that is not.
    let p = Project::new();
    let old = edit_statefulset(&p.render_old(), |sts| {
        sts["spec"]["volumeClaimTemplates"][0]["spec"]["volumeMode"] = "Block".into();
    });
    p.write("old.yaml", &old);
    let stderr = p.fails("old.yaml");
    assert!(
        stderr.contains("`spec.volumeClaimTemplates[www].spec.volumeMode`"),
        "{stderr}"
    );
    assert!(stderr.contains("`Block` -> `Filesystem`"), "{stderr}");
}

#[test]
fn file_errors_name_the_file() {
    let p = Project::new();
    // TOML is not YAML: libyaml's words, and the line (never the text).
    let stderr = p.fails("web.toml");
    assert_eq!(
        stderr,
        "error: `web.toml` is not Kubernetes YAML: did not find expected <document start> at line 5, column 1\n --> web.toml\n"
    );
    p.write("scalar.yaml", "just words\n");
    let stderr = p.fails("scalar.yaml");
    assert_eq!(
        stderr,
        "error: `scalar.yaml` is not Kubernetes YAML: document 1 is not a mapping of fields\n --> scalar.yaml\n"
    );
    p.write("broken.yaml", "kind: StatefulSet\nmetadata: [\n");
    let stderr = p.fails("broken.yaml");
    assert_eq!(
        stderr,
        "error: `broken.yaml` is not Kubernetes YAML: did not find expected node content (while parsing a flow node) at line 3, column 1\n --> broken.yaml\n"
    );
    let stderr = p.fails("missing.yaml");
    assert!(
        stderr.starts_with("error: cannot read `missing.yaml`: "),
        "{stderr}"
    );
}

#[test]
fn a_refused_change_writes_no_files() {
    let p = Project::new();
    p.render_old();
    p.edit("name = \"hd-service\"", "name = \"web-svc\"");
    p.cmd(&["render", "--against", "old.yaml", "-o", "out", "web.toml"])
        .assert()
        .code(1)
        .stdout("");
    assert!(!p.path("out").exists());
}

/// Each change Kubernetes refuses, its stderr snapshotted.
#[test]
fn immutable_changes_fail_with_the_procedure() {
    type Change = (&'static str, fn(&Project));
    let cases: &[Change] = &[
        ("service_name", |p| {
            p.edit("name = \"hd-service\"", "name = \"web-svc\"")
        }),
        ("pod_management_policy", |p| {
            p.edit(
                "[service]",
                "[statefulset]\npod_management_policy = \"Parallel\"\n\n[service]",
            )
        }),
        ("claim_grown", |p| {
            p.edit("size = \"1Gi\"", "size = \"2Gi\"")
        }),
        ("claim_shrunk", |p| {
            p.edit("size = \"1Gi\"", "size = \"512Mi\"")
        }),
        ("claim_storage_class", |p| {
            p.edit(
                "storage_class = \"managed-nfs-storage\"",
                "storage_class = \"fast-ssd\"",
            )
        }),
        ("claim_access_modes", |p| {
            p.edit(
                "access_modes = [\"ReadWriteOnce\"]",
                "access_modes = [\"ReadWriteOncePod\"]",
            )
        }),
        ("claim_added", |p| {
            p.edit(
                "[volumes.www]",
                "[volumes.logs]\nmount = \"/var/log/nginx\"\nsize = \"5Gi\"\n\n[volumes.www]",
            )
        }),
        ("claim_renamed", |p| {
            p.edit("[volumes.www]", "[volumes.html]")
        }),
        ("service_name_and_claim_grown", |p| {
            p.edit("name = \"hd-service\"", "name = \"web-svc\"");
            p.edit("size = \"1Gi\"", "size = \"2Gi\"");
        }),
    ];
    for (name, change) in cases {
        let p = Project::new();
        p.render_old();
        change(&p);
        let stderr = p.fails("old.yaml");
        settings().bind(|| insta::assert_snapshot!(format!("against_{name}"), stderr));
    }
}

#[test]
fn a_changed_selector_fails() {
    let p = Project::new();
    let old = edit_statefulset(&p.render_old(), |sts| {
        sts["spec"]["selector"]["matchLabels"]["tier"] = "frontend".into();
    });
    p.write("old.yaml", &old);
    let stderr = p.fails("old.yaml");
    settings().bind(|| insta::assert_snapshot!("against_selector", stderr));
}

#[test]
fn a_service_with_a_cluster_ip_cannot_become_headless() {
    let p = Project::new();
    fixture(&p, "kubectl-get-service-clusterip.yaml");
    let stderr = p.fails("kubectl-get-service-clusterip.yaml");
    settings().bind(|| insta::assert_snapshot!("against_cluster_ip", stderr));
}

/// Names from the `--against` file reach pasted shell commands quoted and the
/// terminal with control characters escaped.
#[test]
fn hostile_names_in_the_file_are_quoted_and_escaped() {
    let p = Project::new();
    let old = p.render_old();
    // Without a namespace in the description, the procedure takes the file's.
    p.edit("namespace = \"default\"\n", "");
    let old = edit_statefulset(&old, |sts| {
        sts["metadata"]["namespace"] = "prod'; rm -rf ~ #\u{1b}]0;pwn\u{7}".into();
        sts["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] =
            "$(reboot)\u{1b}[2J\u{202e}x".into();
        sts["spec"]["serviceName"] = "old\rsvc".into();
    });
    p.write("old.yaml", &old);
    let stderr = p.fails("old.yaml");
    assert!(
        !stderr
            .chars()
            .any(|c| c.is_control() && c != '\n' || c == '\u{202e}'),
        "{stderr:?}"
    );
    assert!(
        stderr.contains(r"-n 'prod'\''; rm -rf ~ #\u{1b}]0;pwn\u{7}'"),
        "{stderr}"
    );
    assert!(
        stderr.contains(r"kubectl delete pvc '$(reboot)\u{1b}[2J\u{202e}x-web-0' '$(reboot)"),
        "{stderr}"
    );
    assert!(!stderr.contains("-n prod"), "{stderr}");
    settings().bind(|| insta::assert_snapshot!("against_hostile_names", stderr));
}

/// A binding's `roleRef` cannot change in place: a previous binding to
/// another role is flagged with the way to replace it; an unchanged one passes.
#[test]
fn a_binding_to_another_role_fails() {
    let p = Project::new();
    let text = std::fs::read_to_string(p.path("web.toml")).unwrap();
    let rules = "\n[service_account]\ncreate = true\nrules = [{ resources = [\"endpoints\"], verbs = [\"get\"] }]\n";
    p.write("web.toml", &format!("{text}{rules}"));
    let old = p.render_old();
    assert_eq!(p.passes("old.yaml"), old);
    let binding = "kind: RoleBinding\nmetadata:\n  name: web\n";
    assert!(old.contains(binding), "{old}");
    let before = old.replacen(
        "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: web\n",
        "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view\n",
        1,
    );
    assert_ne!(before, old);
    p.write("old.yaml", &before);
    let stderr = p.fails("old.yaml");
    assert!(
        stderr.contains("kubectl delete rolebinding web -n default"),
        "{stderr}"
    );
    settings().bind(|| insta::assert_snapshot!("against_role_ref", stderr));
}
