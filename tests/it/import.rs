//! `kubetoml import`: import(render(x)) renders to the same bytes with no
//! difference listed, for every example, the everything fixture and generated
//! descriptions; third-party manifests import with their differences listed
//! (snapshotted), Secret values only in 0600 data files, nothing overwritten.

use std::collections::BTreeMap;
use std::path::Path;

use crate::hostile;
use crate::memory::MemorySources;
use assert_cmd::Command;
use kubetoml::import::{import, Input};
use kubetoml::{Options, Templates};
use proptest::prelude::*;

fn fixture_env() -> BTreeMap<String, Vec<u8>> {
    [
        ("PG_PASSWORD", "correct horse battery staple"),
        ("REGISTRY_TOKEN", "registry-token-for-tests"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.as_bytes().to_vec()))
    .collect()
}

fn render_file(path: &Path) -> String {
    let source = std::fs::read_to_string(path).unwrap();
    let options = Options::new().env(fixture_env());
    kubetoml::resolve("x.toml", &source, path.parent().unwrap(), &options)
        .and_then(|r| r.render(&Templates::builtin()))
        .unwrap_or_else(|e| panic!("{}", e.draw(false)))
        .to_yaml()
}

/// Imports `yaml`, then renders every description from the imported files only.
fn import_and_render(yaml: &str) -> (String, Vec<String>) {
    let imported = import(&[Input {
        file: "in.yaml",
        text: yaml,
    }])
    .unwrap_or_else(|e| panic!("{}", e.draw(false)));
    let sources = MemorySources {
        files: imported
            .files
            .iter()
            .map(|f| (f.path.clone(), f.bytes.clone()))
            .collect(),
        env: BTreeMap::new(),
    };
    let mut out = String::new();
    for f in imported.files.iter().filter(|f| f.path.ends_with(".toml")) {
        let text = String::from_utf8(f.bytes.clone()).unwrap();
        let rendered = kubetoml::compile_with_sources(
            &f.path,
            &text,
            &sources,
            &Templates::builtin(),
            false,
            None,
        )
        .unwrap_or_else(|e| panic!("{}\n{text}", e.draw(false)));
        out.push_str(&rendered.to_yaml());
    }
    (out, imported.differences)
}

#[test]
fn own_output_round_trips_byte_for_byte() {
    let mut paths: Vec<_> = std::fs::read_dir("examples")
        .unwrap()
        .map(|e| e.unwrap().path())
        .flat_map(|dir| std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.push("tests/fixtures/everything/everything.toml".into());
    assert!(paths.len() >= 5);
    for path in paths {
        let yaml = render_file(&path);
        let (again, differences) = import_and_render(&yaml);
        assert_eq!(differences, Vec::<String>::new(), "{}", path.display());
        assert_eq!(again, yaml, "{}", path.display());
    }
}

const THIRD_PARTY: &[&str] = &["web", "zookeeper", "kustomize-redis", "helm-postgresql"];

#[test]
fn third_party_differences_are_listed() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for name in THIRD_PARTY {
            let path = format!("tests/fixtures/import/{name}.yaml");
            let yaml = std::fs::read_to_string(&path).unwrap();
            // A chart's scratch volume mounted at several paths: refused
            // until the format says it (issue 18), with the reasons.
            let listed = match import(&[Input {
                file: "in.yaml",
                text: &yaml,
            }]) {
                Ok(_) => import_and_render(&yaml).1.join("\n"),
                Err(e) => format!("refused: {}", e.draw(false)),
            };
            insta::assert_snapshot!(format!("import_{name}"), listed);
        }
        let (_, differences) = import_and_render(&helm_postgresql_one_scratch_mount());
        insta::assert_snapshot!(
            "import_helm-postgresql-one-scratch-mount",
            differences.join("\n")
        );
    });
}

#[test]
fn kubectl_get_output_imports_with_server_fields_listed() {
    let yaml = std::fs::read_to_string("tests/fixtures/kubectl-get-list-web.yaml").unwrap();
    // Its Service targets a port `web` the container does not declare: the
    // description keeps it and allows the `undeclared-port` lint. With the
    // port declared, the description publishes the declared port.
    let imported = import(&[Input {
        file: "in.yaml",
        text: &yaml,
    }])
    .unwrap_or_else(|e| panic!("{}", e.draw(false)));
    let toml = String::from_utf8(imported.files[0].bytes.clone()).unwrap();
    assert!(toml.contains("allow = [\"undeclared-port\"]"), "{toml}");
    let (out, _) = import_and_render(&yaml);
    assert!(out.contains("targetPort: web"), "{out}");
    let declared = "          name: web\n          ports:\n          - containerPort: 80\n            name: web\n            protocol: TCP\n          resources: {}\n";
    let yaml = yaml.replace("          name: web\n          resources: {}\n", declared);
    let (out, differences) = import_and_render(&yaml);
    assert!(out.contains("kind: StatefulSet"));
    for field in [
        "metadata.uid",
        "metadata.resourceVersion",
        "metadata.creationTimestamp",
    ] {
        let line = format!("StatefulSet/web: {field}: set by the server, dropped");
        assert!(
            differences.iter().any(|d| d.ends_with(&line)),
            "{line}\n{differences:#?}"
        );
    }
    assert!(!differences
        .iter()
        .any(|d| d.contains(": not expressible, dropped") && d.contains("spec.replicas")));
}

#[test]
fn not_expressible_fields_are_named_with_their_file() {
    let yaml = std::fs::read_to_string("tests/fixtures/import/zookeeper.yaml").unwrap();
    let imported = import(&[Input {
        file: "zookeeper.yaml",
        text: &yaml,
    }])
    .unwrap();
    let d = &imported.differences;
    assert!(d.contains(&"zookeeper.yaml: StatefulSet/zk: spec.template.spec.affinity: not expressible, dropped".to_owned()), "{d:#?}");
    // The budget and the client Service import; what differs in them is listed by path.
    assert!(d.contains(
        &"zookeeper.yaml: PodDisruptionBudget/zk-pdb: metadata.name: `zk-pdb` becomes `zk`"
            .to_owned()
    ));
    assert!(d.contains(
        &"zookeeper.yaml: Service/zk-cs: spec.ports[client].targetPort: added `client`".to_owned()
    ));
    assert!(!d
        .iter()
        .any(|l| l.ends_with("zk-pdb: not expressible, dropped")
            || l.ends_with("zk-cs: not expressible, dropped")));
}

/// The Helm render of PostgreSQL with its scratch volume mounted once: the
/// format mounts one volume at one path in the main container (issue 18
/// lifts that), and an import that would change the pods is refused.
fn helm_postgresql_one_scratch_mount() -> String {
    let yaml = std::fs::read_to_string("tests/fixtures/import/helm-postgresql.yaml").unwrap();
    let mut out = String::new();
    let mut lines = yaml.lines().peekable();
    while let Some(line) = lines.next() {
        let extra = [
            "/opt/bitnami/postgresql/conf",
            "/opt/bitnami/postgresql/tmp",
        ]
        .iter()
        .any(|p| {
            lines
                .peek()
                .is_some_and(|next| next.ends_with(&format!("mountPath: {p}")))
        });
        if extra && line.ends_with("- name: empty-dir") {
            lines.next();
            lines.next();
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    assert_ne!(out, yaml, "the fixture changed: update this helper");
    out
}

#[test]
fn secret_values_go_to_data_files_only() {
    let yaml = helm_postgresql_one_scratch_mount();
    let imported = import(&[Input {
        file: "pg.yaml",
        text: &yaml,
    }])
    .unwrap();
    let secret_files: Vec<_> = imported.files.iter().filter(|f| f.secret).collect();
    assert!(secret_files.iter().any(|f| f.bytes == b"import-test-pw"));
    let toml = imported
        .files
        .iter()
        .find(|f| f.path.ends_with(".toml"))
        .unwrap();
    let everything = format!(
        "{:?}{}{}",
        imported,
        String::from_utf8_lossy(&toml.bytes),
        imported.differences.join("\n")
    );
    for secret in ["import-test-pw", "app-pw", "aW1wb3J0LXRlc3QtcHc"] {
        assert!(!everything.contains(secret), "{secret}");
    }
}

#[test]
fn the_command_writes_0600_secrets_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("deploy");
    let run = || {
        Command::cargo_bin("kubetoml")
            .unwrap()
            .args(["import", "tests/fixtures/import/kustomize-redis.yaml", "-o"])
            .arg(&out)
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let stderr = String::from_utf8_lossy(&first.stderr);
    // The selector Kubernetes never changes is kept, not listed as a difference.
    assert!(!stderr.contains("spec.selector"), "{stderr}");
    assert!(!stderr.contains("kustomize-test-password"));
    assert!(first.stdout.is_empty());
    let toml = std::fs::read_to_string(out.join("redis.toml")).unwrap();
    assert!(
        toml.contains("\nselector = { app = \"redis\" }\n"),
        "{toml}"
    );
    assert!(
        toml.contains("[secrets.redis-auth]") && toml.contains("hash_suffix = true"),
        "{toml}"
    );
    let password = out.join("secrets/redis-auth/password");
    assert_eq!(
        std::fs::read(&password).unwrap(),
        b"kustomize-test-password"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&password).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let folder = std::fs::metadata(out.join("secrets/redis-auth")).unwrap();
        assert_eq!(folder.permissions().mode() & 0o777, 0o700);
    }
    std::fs::write(out.join("redis.toml"), "mine").unwrap();
    std::fs::remove_file(&password).unwrap();
    let second = run();
    assert_eq!(second.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&second.stderr).contains("refusing to overwrite"));
    assert_eq!(
        std::fs::read_to_string(out.join("redis.toml")).unwrap(),
        "mine"
    );
    assert!(
        !password.exists(),
        "nothing is written when one file is in the way"
    );
    let rendered = Command::cargo_bin("kubetoml")
        .unwrap()
        .arg("render")
        .arg(out.join("redis.toml"))
        .output()
        .unwrap();
    assert_eq!(
        rendered.status.code(),
        Some(1),
        "the description was replaced by `mine`"
    );
}

#[test]
fn input_without_a_statefulset_is_refused() {
    let err = import(&[Input {
        file: "a.yaml",
        text: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    }])
    .unwrap_err();
    assert!(
        err.draw(false).contains("no StatefulSet"),
        "{}",
        err.draw(false)
    );
    let err = import(&[Input {
        file: "a.yaml",
        text: "key: [unclosed",
    }])
    .unwrap_err();
    assert!(err.draw(false).contains("`a.yaml` is not YAML"));
}

// ---- generated descriptions ----

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,8}"
}

fn description() -> impl Strategy<Value = (String, BTreeMap<String, Vec<u8>>)> {
    (
        name(),
        0..5i64,
        // Env in any order: the order written is the order rendered.
        prop::collection::btree_map("[A-Z][A-Z0-9_]{0,6}", hostile::value(), 0..4)
            .prop_map(|m| m.into_iter().collect::<Vec<_>>())
            .prop_shuffle(),
        prop::collection::btree_map("[a-z]([a-z0-9.]{0,5}[a-z0-9])?", hostile::value(), 0..4),
        prop::collection::btree_map("[a-z][a-z0-9._-]{0,6}", hostile::value(), 1..4),
        prop::collection::vec(any::<u8>(), 0..40),
        any::<(bool, bool, bool, bool)>(),
        prop::sample::select(SECURITY),
    )
        .prop_map(|(name, replicas, env, annotations, secret, blob, (hash, sidecar, probe, mount), security)| {
            let q = |s: &str| toml_str(s);
            let mut t = format!("name = {}\nreplicas = {replicas}\nimage = \"img:1\"\nports = {{ web = 80 }}\n", q(&name));
            t += &format!("env = {{ {} }}\nannotations = {{ {} }}\n", table(env.iter().map(|(k, v)| (k, v))), table(&annotations));
            t += security;
            if probe {
                t += "probes.readiness = { http = { path = \"/h\", port = \"web\" }, period = 3 }\n";
            }
            if sidecar {
                t += "\n[[sidecars]]\nname = \"side\"\nimage = \"s:2\"\nenv_from = [\"conf\"]\nmounts = [\"data\"]\n";
            }
            t += "\n[volumes.data]\nmount = \"/data\"\nsize = \"1Gi\"\n";
            t += &format!("\n[configmaps.conf]\nfiles = [\"blob\"]\nhash_suffix = {hash}\n");
            if mount {
                t += "mount = \"/etc/conf\"\ndefault_mode = 0o400\n";
            }
            t += &format!("\n[secrets.auth]\nliterals = {{ {} }}\nenv_from = true\n", table(&secret));
            let files = [("blob".to_owned(), blob)].into_iter().collect();
            (t, files)
        })
}

/// Top-level security settings: none, `pod_security` alone, with a service
/// account (no token setting then), with some of its settings written.
const SECURITY: &[&str] = &[
    "",
    "pod_security = \"restricted\"\n",
    "pod_security = \"restricted\"\nservice_account = \"runner\"\n",
    "pod_security = \"restricted\"\nsecurity_context = { run_as_user = 1000, run_as_non_root = true, read_only_root_filesystem = true }\n",
    "pod_security = \"baseline\"\n",
    "security_context = { run_as_non_root = true, seccomp_profile = \"RuntimeDefault\", allow_privilege_escalation = false }\n",
];

/// The inside of an inline table of strings.
fn table<'a>(pairs: impl IntoIterator<Item = (&'a String, &'a String)>) -> String {
    let pairs: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| format!("{} = {}", toml_str(k), toml_str(v)))
        .collect();
    pairs.join(", ")
}

fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out + "\""
}

#[test]
fn every_generated_security_setting_compiles() {
    // The property skips descriptions that do not compile: these must.
    for security in SECURITY {
        let text = format!("name = \"g\"\nimage = \"img:1\"\n{security}");
        let sources = MemorySources {
            files: BTreeMap::new(),
            env: BTreeMap::new(),
        };
        let compiled = kubetoml::compile_with_sources(
            "g.toml",
            &text,
            &sources,
            &Templates::builtin(),
            false,
            None,
        );
        if let Err(e) = compiled {
            panic!("{}", e.draw(false));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn generated_descriptions_round_trip((text, files) in description()) {
        let sources = MemorySources { files, env: BTreeMap::new() };
        let compiled = kubetoml::compile_with_sources("g.toml", &text, &sources, &Templates::builtin(), false, None);
        // Hostile values may make a description the format refuses; those prove nothing here.
        let Ok(out) = compiled else { return Ok(()) };
        let yaml = out.to_yaml();
        let (again, differences) = import_and_render(&yaml);
        prop_assert_eq!(differences, Vec::<String>::new());
        prop_assert_eq!(again, yaml);
    }
}

#[test]
fn a_claim_only_a_sidecar_mounts_comes_back_at_the_sidecars_own_path() {
    let yaml = "\
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db }
spec:
  serviceName: db
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec:
      containers:
        - { name: db, image: \"postgres:16\" }
        - name: backup
          image: backup:1
          volumeMounts: [{ name: data, mountPath: /backup }]
  volumeClaimTemplates:
    - metadata: { name: data }
      spec:
        accessModes: [ReadWriteOnce]
        resources: { requests: { storage: 5Gi } }
";
    // The main container does not mount the claim: the volume has no
    // `mount`, and the sidecar mounts it at a path of its own.
    let toml = imported_toml(yaml);
    assert!(
        toml.contains("mounts = [{ volume = \"data\", path = \"/backup\" }]"),
        "{toml}"
    );
    assert!(!toml.contains("mount = "), "{toml}");
    let (rendered, _) = import_and_render(yaml);
    let sts = rendered
        .split("\n---\n")
        .find(|d| d.contains("kind: StatefulSet"))
        .unwrap();
    let sts: serde_yaml::Value = serde_yaml::from_str(sts).unwrap();
    let containers = &sts["spec"]["template"]["spec"]["containers"];
    assert!(containers[0]["volumeMounts"].is_null(), "{containers:?}");
    assert_eq!(
        containers[1]["volumeMounts"],
        serde_yaml::from_str::<serde_yaml::Value>("[{ name: data, mountPath: /backup }]").unwrap()
    );
}

/// Init containers and sidecars that mount the main container's volumes,
/// ConfigMaps and Secrets at paths (and sub-paths) of their own come back
/// exactly, each as `{ volume, path, sub_path, read_only }`; a sidecar
/// mounting a source exactly where the main container does lists its name.
#[test]
fn mounts_at_a_containers_own_paths_come_back_exactly() {
    let yaml = "\
apiVersion: v1
kind: ConfigMap
metadata: { name: conf }
data: { my.cnf: \"[mysqld]\" }
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db }
spec:
  serviceName: db
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec:
      initContainers:
        - name: prepare
          image: busybox:1
          volumeMounts:
            - { name: empty-dir, mountPath: /emptydir }
            - { name: data, mountPath: /data, readOnly: true }
      containers:
        - name: db
          image: mysql:9
          volumeMounts:
            - { name: data, mountPath: /bitnami/mysql }
            - { name: empty-dir, mountPath: /tmp, subPath: tmp-dir }
            - { name: empty-dir, mountPath: /opt/conf, subPath: app-conf-dir }
            - { name: config, mountPath: /opt/conf/my.cnf, subPath: my.cnf }
        - name: metrics
          image: exporter:1
          volumeMounts:
            - { name: empty-dir, mountPath: /tmp, subPath: tmp-dir }
            - { name: config, mountPath: /etc/exporter }
      volumes:
        - { name: empty-dir, emptyDir: {} }
        - { name: config, configMap: { name: conf } }
  volumeClaimTemplates:
    - metadata: { name: data }
      spec:
        accessModes: [ReadWriteOnce]
        resources: { requests: { storage: 5Gi } }
";
    let toml = imported_toml(yaml);
    for line in [
        "mounts = [{ volume = \"empty-dir\", path = \"/emptydir\" }, { volume = \"data\", path = \"/data\", read_only = true }]",
        // The ConfigMap's volume keeps its own name (`[volumes.config] configmap = "conf"`).
        "mounts = [{ volume = \"empty-dir\", path = \"/tmp\", sub_path = \"tmp-dir\" }, { volume = \"config\", path = \"/etc/exporter\" }]",
    ] {
        assert!(toml.contains(line), "{line}\n{toml}");
    }
    let (rendered, differences) = import_and_render(yaml);
    let pod_differences: Vec<&String> = differences
        .iter()
        .filter(|d| d.contains("volumeMounts"))
        // Kubernetes reads mounts in any order; a configmap is read-only anyway.
        .filter(|d| !d.ends_with("items come out in another order"))
        .filter(|d| !d.contains("readOnly: added `true`"))
        .collect();
    assert!(pod_differences.is_empty(), "{pod_differences:?}");
    // Its own render imports to the same render again.
    let (again, _) = import_and_render(&rendered);
    assert_eq!(again, rendered);
}

/// The description `import` writes for `yaml` (one StatefulSet).
fn imported_toml(yaml: &str) -> String {
    let imported = import(&[Input {
        file: "in.yaml",
        text: yaml,
    }])
    .unwrap_or_else(|e| panic!("{}", e.draw(false)));
    let toml = imported.files.iter().find(|f| f.path.ends_with(".toml"));
    String::from_utf8(toml.unwrap().bytes.clone()).unwrap()
}

#[test]
fn a_third_party_pod_that_meets_restricted_imports_with_the_level() {
    let yaml = helm_postgresql_one_scratch_mount();
    let toml = imported_toml(&yaml);
    assert!(toml.contains("\npod_security = \"restricted\"\n"), "{toml}");
    // What the level fills in is left to it; what it does not is kept.
    assert!(
        toml.contains("security_context = { run_as_user = 1001, run_as_group = 1001, fs_group = 1001, fs_group_change_policy = \"Always\", read_only_root_filesystem = true, privileged = false }"),
        "{toml}"
    );
}

#[test]
fn a_pod_with_part_of_the_hardening_keeps_its_settings_and_gets_no_level() {
    let yaml = render_file(Path::new("examples/restricted/restricted.toml"));
    // Without the token setting, the level would add one: a change in behaviour.
    let without_token = yaml.replace("      automountServiceAccountToken: false\n", "");
    assert_ne!(without_token, yaml);
    let (again, differences) = import_and_render(&without_token);
    assert!(!imported_toml(&without_token).contains("pod_security"));
    assert!(!again.contains("automountServiceAccountToken"), "{again}");
    assert!(
        differences.contains(&"in.yaml: StatefulSet/cache: spec.template.spec.containers[cache].securityContext.runAsNonRoot: said by the pod's `securityContext` instead (every container runs with the same value)".to_owned()),
        "{differences:#?}"
    );
    assert!(
        !differences.iter().any(|d| d.contains(": added")),
        "{differences:#?}"
    );
}

#[test]
fn a_pod_the_level_forbids_gets_no_level() {
    let yaml = render_file(Path::new("examples/restricted/restricted.toml"));
    // `restricted` allows adding `NET_BIND_SERVICE` only.
    let extra = "            capabilities:\n              add:\n                - SYS_TIME\n              drop:\n";
    let with_cap = yaml.replacen("            capabilities:\n              drop:\n", extra, 1);
    assert_ne!(with_cap, yaml);
    let toml = imported_toml(&with_cap);
    assert!(!toml.contains("pod_security"), "{toml}");
    assert!(toml.contains("add = [\"SYS_TIME\"]"), "{toml}");
    let (again, _) = import_and_render(&with_cap);
    assert!(again.contains("- SYS_TIME"), "{again}");
}

const COMPANIONS: &str = "apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db, namespace: data }
spec:
  replicas: 3
  serviceName: db
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec:
      serviceAccountName: db-runner
      containers:
        - name: db
          image: postgres:16
          ports: [{ name: pg, containerPort: 5432 }, { name: metrics, containerPort: 9187 }]
          env:
            - { name: NODE, valueFrom: { fieldRef: { apiVersion: v1, fieldPath: spec.nodeName } } }
            - { name: MEM, valueFrom: { resourceFieldRef: { resource: limits.memory, divisor: \"0\" } } }
          volumeMounts: [{ name: scratch, mountPath: /scratch }, { name: ca, mountPath: /etc/ca }]
      volumes:
        - { name: scratch, emptyDir: { medium: Memory } }
        - { name: ca, secret: { secretName: cluster-ca } }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: db-runner, namespace: data }
---
apiVersion: v1
kind: Service
metadata: { name: db-public, namespace: data }
spec:
  type: LoadBalancer
  selector: { app: db }
  ports: [{ name: pg, port: 5432 }]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: { name: db, namespace: data }
spec:
  selector: { matchLabels: { app: db } }
  minAvailable: 2
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: db, namespace: data }
spec:
  podSelector: { matchLabels: { app: db } }
  policyTypes: [Ingress, Egress]
  ingress: [{ from: [{ podSelector: { matchLabels: { app: db } } }] }]
  egress: [{}]
";

#[test]
fn companion_objects_import_and_a_network_policy_of_another_shape_is_listed() {
    let toml = imported_toml(COMPANIONS);
    for line in [
        "service_account = { create = true, name = \"db-runner\" }",
        "NODE = { field = \"spec.nodeName\" }",
        "MEM = { resource = \"limits.memory\" }",
        "\n[client_service]\nname = \"db-public\"\ntype = \"LoadBalancer\"\nports = [\"pg\"]\n",
        "\n[disruption_budget]\nmin_available = 2\n",
        "\n[volumes.scratch]\nempty_dir = { medium = \"Memory\" }\nmount = \"/scratch\"\n",
        // The volume keeps its name (`ca`, not the table's `cluster-ca`).
        "\n[volumes.ca]\nsecret = \"cluster-ca\"\nmount = \"/etc/ca\"\n",
        "\n[secrets.cluster-ca]\nexternal = true\n",
    ] {
        assert!(toml.contains(line), "{line}\n{toml}");
    }
    assert!(!toml.contains("network_policy"), "{toml}");
    let (_, differences) = import_and_render(COMPANIONS);
    assert!(
        differences.contains(
            &"in.yaml: NetworkPolicy/db: carried exactly in `manifests/db.yaml` (extra_manifests): the format cannot say it"
                .to_owned()
        ),
        "{differences:#?}"
    );
    // The server's defaults of the downward API are named as such.
    assert!(
        differences
            .iter()
            .any(|d| d.contains("fieldRef.apiVersion: Kubernetes' default `v1`")),
        "{differences:#?}"
    );
}

#[test]
fn a_replicated_set_without_a_budget_says_so_and_gets_none() {
    let yaml = COMPANIONS.split("\n---\n").next().unwrap();
    let toml = imported_toml(yaml);
    assert!(toml.contains("\ndisruption_budget = false\n"), "{toml}");
    let (out, differences) = import_and_render(yaml);
    assert!(!out.contains("PodDisruptionBudget"), "{out}");
    assert!(
        !differences
            .iter()
            .any(|d| d.contains("PodDisruptionBudget")),
        "{differences:#?}"
    );
}

#[test]
fn an_import_is_exact_or_carries_objects_whole() {
    let yaml = std::fs::read_to_string("tests/fixtures/import/exact-or-carried.yaml").unwrap();
    let toml = imported_toml(&yaml);
    // `defaultMode: 0440` is octal, as kubectl reads it; `""` is the default policy.
    for line in [
        "default_mode = 0o440",
        "default_mode = 0o400",
        "extra_manifests = [\"manifests/db.yaml\"]",
    ] {
        assert!(toml.contains(line), "{line}\n{toml}");
    }
    assert!(!toml.contains("pod_management_policy"), "{toml}");
    let (out, differences) = import_and_render(&yaml);
    assert!(
        out.contains("defaultMode: 288") && out.contains("defaultMode: 256"),
        "{out}"
    );
    // The ConfigMap and the Secret named `conf` both stay mounted.
    assert!(
        out.contains("mountPath: /etc/db") && out.contains("mountPath: /var/run/token"),
        "{out}"
    );
    for carried in [
        "in.yaml: StatefulSet/cache: carried exactly in `manifests/db.yaml` (extra_manifests): its pods would change",
        "in.yaml: Service/cache: carried exactly in `manifests/db.yaml` (extra_manifests): the format cannot say it",
        "in.yaml: NetworkPolicy/db-egress: carried exactly in `manifests/db.yaml` (extra_manifests): the format cannot say it",
    ] {
        assert!(differences.iter().any(|d| d.starts_with(carried)), "{carried}\n{differences:#?}");
    }
    // Carried objects come back field for field; the shared account is made once.
    let kept = kubetoml::import::fidelity::measure(&yaml, &out).unwrap();
    for object in [
        "StatefulSet/cache: ",
        "NetworkPolicy/db-egress: ",
        "Service/cache: ",
    ] {
        assert!(
            !kept.lost.iter().any(|l| l.starts_with(object)),
            "{:#?}",
            kept.lost
        );
    }
    assert_eq!(out.matches("kind: ServiceAccount\n").count(), 1, "{out}");
}

#[test]
fn roles_native_sidecars_and_mount_lists_import_and_their_differences_are_listed() {
    let yaml = r#"apiVersion: v1
kind: ServiceAccount
metadata: { name: db, namespace: data }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: reader, namespace: data }
rules:
  - apiGroups: [""]
    resources: [endpoints]
    verbs: [get, list]
  - apiGroups: [apps, ""]
    resources: [statefulsets]
    verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: reader, namespace: data }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader }
subjects: [{ kind: ServiceAccount, name: db }]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db, namespace: data }
spec:
  serviceName: db
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec:
      serviceAccountName: db
      initContainers:
        - { name: setup, image: "busybox:1.36" }
        - { name: proxy, image: "envoy:1", restartPolicy: Always }
      containers:
        - name: db
          image: "postgres:16"
          volumeMounts:
            - { name: scratch, mountPath: /tmp, subPath: tmp }
            - { name: scratch, mountPath: /run/pg, subPath: run }
      volumes:
        - { name: scratch, emptyDir: {} }
"#;
    let toml = imported_toml(yaml);
    for expected in [
        r#"rules = [{ resources = ["endpoints"], verbs = ["get", "list"] }, { resources = ["statefulsets"], verbs = ["get"], api_groups = ["apps", ""] }]"#,
        "[[sidecars]]\nname = \"proxy\"\nnative = true\n",
        r#"mount = [{ path = "/tmp", sub_path = "tmp" }, { path = "/run/pg", sub_path = "run" }]"#,
        // The pair keeps its name: a binding's roleRef cannot change in place.
        r#"role_name = "reader""#,
    ] {
        assert!(toml.contains(expected), "{expected}\n{toml}");
    }
    let (_, differences) = import_and_render(yaml);
    assert!(
        !differences.iter().any(|d| d.contains("`reader` becomes")),
        "{differences:#?}"
    );
    // A native sidecar written after an init container comes out before it.
    let line = "in.yaml: StatefulSet/db: spec.template.spec.initContainers: items come out in another order";
    assert!(
        differences.iter().any(|d| d == line),
        "{line}\n{differences:#?}"
    );
    assert!(
        !differences
            .iter()
            .any(|d| d.contains("dropped") && d.contains("Role")),
        "{differences:#?}"
    );
}

/// Found by the secrecy property run: an edit that turns a Secret's value
/// into a key (`? VALUE`) left the value in a difference line. A Secret's
/// key that is not a valid key is masked, as in descriptions.
#[test]
fn a_secret_value_moved_into_a_key_is_not_shown() {
    let yaml = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\nspec:\n  serviceName: web\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        envFrom:\n        - secretRef: {name: s}\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  k: |\n  ?   DB_PASSWORD_QX7ZK\n    DB_PASSWORD_QX7ZK\n";
    let imported = kubetoml::import::import(&[kubetoml::import::Input {
        file: "in.yaml",
        text: yaml,
    }])
    .unwrap();
    let shown = imported.differences.join("\n");
    assert!(!shown.contains("QX7ZK"), "{shown}");
    assert!(shown.contains("a key in doubt, masked"), "{shown}");
    // A valid key with no value (the value moved into the key) is in doubt too.
    let keyed = yaml.replace(
        "  k: |\n  ?   DB_PASSWORD_QX7ZK\n    DB_PASSWORD_QX7ZK\n",
        "  k: |\n    DB_PASSWORD_QX7ZK\n  ?   DB_PASSWORD_QX7ZK\n",
    );
    assert_ne!(keyed, yaml);
    let imported = kubetoml::import::import(&[kubetoml::import::Input {
        file: "in.yaml",
        text: &keyed,
    }])
    .unwrap();
    let shown = imported.differences.join("\n");
    assert!(!shown.contains("QX7ZK"), "{shown}");
    // A valid key is a name, and stays shown.
    let valid = yaml.replace(
        "  ?   DB_PASSWORD_QX7ZK\n    DB_PASSWORD_QX7ZK\n",
        "  other-key: x\n",
    );
    let imported = kubetoml::import::import(&[kubetoml::import::Input {
        file: "in.yaml",
        text: &valid,
    }])
    .unwrap();
    for file in imported.files.iter().filter(|f| !f.secret) {
        assert!(!String::from_utf8_lossy(&file.bytes).contains("\n    x"));
    }
}

/// Found by the secrecy property run: an edit that merged a Secret's base64
/// value into its key (`k:REJfUEFTU1dPUkRfUVg3`, a key no Secret may have)
/// was written as a file of that name, and the refusal of the description
/// quoted it. The key is refused, masked, before any file is made.
#[test]
fn a_secret_key_holding_a_value_is_refused_without_showing_it() {
    let yaml = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\nspec:\n  serviceName: web\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        envFrom:\n        - secretRef: {name: s}\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  k:REJfUEFTU1dPUkRfUVg3: Wks=\n";
    let err = kubetoml::import::import(&[kubetoml::import::Input {
        file: "in.yaml",
        text: yaml,
    }])
    .unwrap_err();
    let shown = format!("{err:?}");
    assert!(!shown.contains("UEFTU1dPUkRfUVg3"), "{shown}");
    assert!(
        shown.contains("Secret/s: a key is not a valid Secret key (masked"),
        "{shown}"
    );
    // A ConfigMap's key is a name: an invalid one is refused by the description, quoted.
    let configmap = yaml
        .replace("secretRef", "configMapRef")
        .replace("kind: Secret", "kind: ConfigMap")
        .replace("Wks=", "x");
    let err = kubetoml::import::import(&[kubetoml::import::Input {
        file: "in.yaml",
        text: &configmap,
    }])
    .unwrap_err();
    assert!(
        format!("{err:?}").contains("k:REJfUEFTU1dPUkRfUVg3"),
        "{err:?}"
    );
}

/// A chart's pod (Bitnami Elasticsearch's shape): the pod holds only the
/// volume group; the main container its own user, group and seccomp; a
/// root init container sets a sysctl; a sidecar runs as its image says.
const ROOT_INIT: &str = "apiVersion: apps/v1
kind: StatefulSet
metadata: { name: search }
spec:
  serviceName: search
  selector: { matchLabels: { app: search } }
  template:
    metadata: { labels: { app: search } }
    spec:
      securityContext: { fsGroup: 1001, fsGroupChangePolicy: Always }
      initContainers:
        - name: sysctl
          image: os-shell:12
          command: [sysctl, -w, vm.max_map_count=262144]
          securityContext: { privileged: true, runAsUser: 0 }
      containers:
        - name: search
          image: elasticsearch:8.17.0
          securityContext:
            runAsUser: 1001
            runAsGroup: 1001
            runAsNonRoot: true
            allowPrivilegeEscalation: false
            capabilities: { drop: [ALL] }
            seccompProfile: { type: RuntimeDefault }
        - name: metrics
          image: exporter:1.0
";

#[test]
fn a_pod_whose_containers_differ_imports_with_its_pod_security_context_exactly() {
    let toml = imported_toml(ROOT_INIT);
    for line in [
        "security_context = { run_as_user = 1001, run_as_group = 1001, run_as_non_root = true, seccomp_profile = \"RuntimeDefault\", allow_privilege_escalation = false, capabilities = { drop = [\"ALL\"] } }",
        "pod_security_context = { fs_group = 1001, fs_group_change_policy = \"Always\" }",
        "security_context = { run_as_user = 0, privileged = true }",
    ] {
        assert!(toml.contains(line), "{line}\n{toml}");
    }
    let (out, differences) = import_and_render(ROOT_INIT);
    assert!(
        !differences.iter().any(|d| d.contains("securityContext")),
        "{differences:#?}"
    );
    let kept = kubetoml::import::fidelity::measure(ROOT_INIT, &out).unwrap();
    assert!(
        !kept.lost.iter().any(|l| l.contains("securityContext")),
        "{:#?}",
        kept.lost
    );
    // Its own output imports to a description that renders the same bytes.
    assert_eq!(import_and_render(&out).0, out);
    // Applied in place, nothing is refused.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.yaml"), ROOT_INIT).unwrap();
    std::fs::write(dir.path().join("search.toml"), &toml).unwrap();
    Command::cargo_bin("kubetoml")
        .unwrap()
        .current_dir(dir.path())
        .args(["render", "-q", "--against", "in.yaml", "search.toml"])
        .assert()
        .success();
}

#[test]
fn a_pod_the_shared_security_context_says_keeps_it() {
    // Every container without its own user gets the pod's: the top-level
    // `security_context` says it, as before `pod_security_context` existed.
    let main = "          securityContext:\n            runAsUser: 1001\n            runAsGroup: 1001\n            runAsNonRoot: true\n            allowPrivilegeEscalation: false\n            capabilities: { drop: [ALL] }\n            seccompProfile: { type: RuntimeDefault }\n";
    assert!(ROOT_INIT.contains(main));
    let yaml = ROOT_INIT
        .replace(
            "securityContext: { fsGroup: 1001, fsGroupChangePolicy: Always }",
            "securityContext: { fsGroup: 1001, runAsUser: 1001 }",
        )
        .replace(
            main,
            "          securityContext:\n            runAsUser: 1001\n",
        )
        .replace(
            "          image: exporter:1.0\n",
            "          image: exporter:1.0\n          securityContext: { runAsUser: 65534 }\n",
        );
    let toml = imported_toml(&yaml);
    assert!(!toml.contains("pod_security_context"), "{toml}");
    assert!(
        toml.contains("security_context = { run_as_user = 1001, fs_group = 1001 }"),
        "{toml}"
    );
    // The main container's user moves to the pod, where it was too: no container's changes.
    let (out, differences) = import_and_render(&yaml);
    assert!(
        !differences
            .iter()
            .any(|d| d.contains("securityContext") && d.contains("added")),
        "{differences:#?}"
    );
    assert!(
        out.contains("      securityContext:\n        runAsUser: 1001\n        fsGroup: 1001\n"),
        "{out}"
    );
    assert!(
        out.contains("runAsUser: 65534") && out.contains("runAsUser: 0"),
        "{out}"
    );
}

/// A StatefulSet `NAME` of a Redis-like chart, with its headless Service `cache-headless`.
fn chart_set(name: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {name}
spec:
  serviceName: cache-headless
  replicas: 1
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
        - name: redis
          image: redis:7.4
          ports:
            - name: redis
              containerPort: 6379
            - name: metrics
              containerPort: 9121
"
    )
}

const CHART_HEADLESS: &str = "apiVersion: v1
kind: Service
metadata:
  name: cache-headless
spec:
  clusterIP: None
  selector:
    app: cache-master
  ports:
    - name: tcp-redis
      port: 6379
      targetPort: redis
    - name: metrics
      port: 9121
    - name: raw
      port: 7000
      targetPort: 7001
";

#[test]
fn a_headless_service_port_named_otherwise_than_its_container_port_imports_exactly() {
    let yaml = format!("{}---\n{CHART_HEADLESS}", chart_set("cache-master"));
    let toml = imported_toml(&yaml);
    assert!(
        toml.contains(
            "\n[service]\nname = \"cache-headless\"\nports = { tcp-redis = { port = 6379, target_port = \"redis\" }, metrics = 9121, raw = { port = 7000, target_port = 7001 } }\n"
        ),
        "{toml}"
    );
    let (out, differences) = import_and_render(&yaml);
    assert!(
        out.contains("    - name: tcp-redis\n      port: 6379\n      targetPort: redis\n      protocol: TCP\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "    - name: raw\n      port: 7000\n      targetPort: 7001\n      protocol: TCP\n"
        ),
        "{out}"
    );
    // Every port comes back with its name, number and target: at most a
    // default is spelled out, or an absent `targetPort` named.
    let ports: Vec<&String> = (differences.iter())
        .filter(|d| d.contains("Service/cache-headless: spec.ports"))
        .collect();
    assert!(
        ports.iter().all(|d| d.ends_with("(Kubernetes' default)")
            || d.ends_with("items come out in another order")
            || d.ends_with("spec.ports[metrics].targetPort: added `metrics`")),
        "{ports:#?}"
    );
    assert!(
        !differences.iter().any(|d| d.contains("would change")),
        "{differences:#?}"
    );
}

#[test]
fn of_statefulsets_sharing_a_headless_service_the_first_by_name_is_described_in_any_order() {
    for order in [
        ["cache-master", "cache-replicas"],
        ["cache-replicas", "cache-master"],
    ] {
        let yaml = format!(
            "{}---\n{}---\n{CHART_HEADLESS}",
            chart_set(order[0]),
            chart_set(order[1])
        );
        let imported = import(&[Input {
            file: "in.yaml",
            text: &yaml,
        }])
        .unwrap_or_else(|e| panic!("{}", e.draw(false)));
        let tomls: Vec<&str> = (imported.files.iter())
            .map(|f| f.path.as_str())
            .filter(|p| p.ends_with(".toml"))
            .collect();
        assert_eq!(tomls, ["cache-master.toml"], "{order:?}");
        assert!(
            imported.differences.iter().any(|d| d.contains(
                "StatefulSet/cache-replicas: carried exactly in `manifests/cache-master.yaml` (extra_manifests): it shares the headless Service `cache-headless` with StatefulSet/cache-master"
            )),
            "{:#?}",
            imported.differences
        );
    }
}

/// Found by the secrecy property run: a value an edit moved into a Secret's
/// `data` key, over a value that is not base64, was quoted in the "not
/// base64" error. A key that is not a valid Secret key is masked there too;
/// a valid one is a name, and named.
#[test]
fn a_secret_key_in_a_not_base64_error_is_shown_only_when_it_is_a_valid_key() {
    let head = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\nspec:\n  serviceName: web\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        envFrom:\n        - secretRef: {name: s}\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n";
    let import = |data: &str| {
        let text = format!("{head}{data}");
        kubetoml::import::import(&[kubetoml::import::Input {
            file: "in.yaml",
            text: &text,
        }])
        .map(|_| ())
        .unwrap_err()
        .draw(false)
    };
    let shown = import("  \"hunter2 QX7ZK secret\": \"%%% not base64\"\n");
    assert!(shown.contains("is not base64"), "{shown}");
    assert!(!shown.contains("QX7ZK"), "{shown}");
    assert!(!shown.contains("%%%"), "{shown}");
    assert!(shown.contains("not a valid Secret key, masked"), "{shown}");
    let shown = import("  tls.key: \"%%% not base64\"\n");
    assert!(
        shown.contains("the value of key `tls.key` is not base64"),
        "{shown}"
    );
    assert!(!shown.contains("%%%"), "{shown}");
}

/// The RabbitMQ chart's Role and RoleBinding, `mq-rabbitmq-endpoint-reader`,
/// are named apart from the app (`mq-rabbitmq`). Where the account is
/// described exactly, `service_account.role_name` keeps their name and
/// every field; where the account is carried whole (the chart's own
/// render: `automountServiceAccountToken` on the account), its Role and
/// RoleBinding are carried with it, exactly, rather than dropped.
#[test]
fn a_chart_role_pair_keeps_its_name_or_goes_with_its_carried_account() {
    let chart = std::fs::read_to_string("tests/fixtures/charts/rabbitmq-cluster.yaml").unwrap();
    let exact_account = chart.replace(
        "automountServiceAccountToken: false\nsecrets:\n  - name: mq-rabbitmq\n",
        "",
    );
    assert_ne!(exact_account, chart);
    for (yaml, role_name) in [(&exact_account, true), (&chart, false)] {
        let toml = imported_toml(yaml);
        assert_eq!(
            toml.contains("role_name = \"mq-rabbitmq-endpoint-reader\""),
            role_name,
            "{toml}"
        );
        let (rendered, differences) = import_and_render(yaml);
        let measured = kubetoml::import::fidelity::measure(yaml, &rendered).unwrap();
        let lost: Vec<&String> = (measured.lost.iter())
            .filter(|l| l.starts_with("Role"))
            .collect();
        assert!(lost.is_empty(), "{lost:#?}");
        for kind in ["Role", "RoleBinding"] {
            let line = format!("{kind}/mq-rabbitmq-endpoint-reader: metadata.name");
            assert!(
                !differences.iter().any(|d| d.contains(&line)),
                "{differences:#?}"
            );
            let carried = format!(
                "{kind}/mq-rabbitmq-endpoint-reader: carried exactly in `manifests/mq-rabbitmq.yaml` (extra_manifests): the rules of ServiceAccount/mq-rabbitmq, carried with it"
            );
            assert_eq!(
                differences.iter().any(|d| d.ends_with(&carried)),
                !role_name,
                "{differences:#?}"
            );
        }
    }
}

/// A container's `runAsUser` that the description says once for the pod
/// (every container runs as before) is listed on stderr as said by the
/// pod's `securityContext`, not as dropped.
#[test]
fn security_fields_said_by_the_pod_are_listed_as_moved_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("kubetoml")
        .unwrap()
        .args(["import", "tests/fixtures/charts/cassandra-ring.yaml", "-o"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let container =
        "StatefulSet/wide-cassandra: spec.template.spec.containers[wide-cassandra].securityContext";
    for field in ["runAsUser", "runAsGroup"] {
        let line = format!("{container}.{field}: said by the pod's `securityContext` instead (every container runs with the same value)");
        assert!(stderr.contains(&line), "{line}\n{stderr}");
    }
    let pod_line = "StatefulSet/wide-cassandra: spec.template.spec.securityContext.runAsUser: added `1001` (every container runs with the same value)";
    assert!(stderr.contains(pod_line), "{stderr}");
    assert!(
        !stderr
            .lines()
            .any(|l| l.contains("securityContext") && l.contains("dropped")),
        "{stderr}"
    );
}

#[test]
fn a_data_object_s_own_labels_come_back_in_its_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.toml");
    std::fs::write(
        &path,
        "name = \"cache\"\nimage = \"redis:7.4\"\nlabels = { tier = \"db\", team = \"data\" }\n\
         [configmaps.conf]\nliterals = { A = \"1\" }\nenv_from = true\n\
         labels = { tier = \"config\", \"example.com/part\" = \"x\" }\nhash_suffix = true\n\
         [secrets.pw]\nliterals = { P = \"hunter2\" }\nenv_from = true\n",
    )
    .unwrap();
    let yaml = render_file(&path);
    let toml = imported_toml(&yaml);
    assert!(
        toml.contains(
            "labels = { \"example.com/part\" = \"x\", tier = \"config\" }\nhash_suffix = true\n"
        ),
        "only the labels the app does not give it:\n{toml}"
    );
    assert_eq!(
        toml.matches("labels = ").count(),
        2,
        "none on the Secret:\n{toml}"
    );
    let (again, differences) = import_and_render(&yaml);
    assert_eq!(again, yaml);
    assert!(differences.is_empty(), "{differences:#?}");
}
