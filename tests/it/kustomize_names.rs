//! With `hash_suffix`, kubetoml names ConfigMaps and Secrets `NAME-<hash>` exactly as
//! `kubectl kustomize` names the same configMapGenerator / secretGenerator, and every
//! reference in the StatefulSet uses the suffixed name, as kustomize rewrites them.
//!
//! Each [`Scenario`] writes its files once, then describes the same objects as a
//! kubetoml description and as a `kustomization.yaml` (generators plus a small
//! StatefulSet that refers to every object in env, envFrom, volumes, a projected
//! volume and imagePullSecrets, in a container, a second container and an init
//! container). Both outputs are parsed, never compared as text.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_yaml::Value;

use crate::common;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    ConfigMap,
    Secret,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::ConfigMap => "ConfigMap",
            Kind::Secret => "Secret",
        }
    }
}

/// One generated ConfigMap or Secret and how the pod uses it.
struct Object {
    kind: Kind,
    name: String,
    type_: Option<String>,
    /// `path` or `key=path`, relative to the scenario's folder.
    files: Vec<String>,
    /// Key, value, and the value as written in kustomization.yaml (they differ only
    /// where kustomize would strip quotes).
    literals: Vec<(String, String, String)>,
    env_files: Vec<String>,
    /// kubetoml only: `docker_registry = { ... }`; kustomize reads `.dockerconfigjson`.
    docker: Option<String>,
    immutable: bool,
    /// The table's own `hash_suffix`; `None` inherits the top-level one.
    hash: Option<bool>,
    /// A key read into an environment variable.
    env_key: Option<String>,
    /// Also as an imagePullSecret (registry Secrets only).
    image_pull: bool,
}

impl Object {
    fn new(kind: Kind, name: &str) -> Object {
        Object {
            kind,
            name: name.to_owned(),
            type_: None,
            files: Vec::new(),
            literals: Vec::new(),
            env_files: Vec::new(),
            docker: None,
            immutable: false,
            hash: None,
            env_key: None,
            image_pull: false,
        }
    }

    fn configmap(name: &str) -> Object {
        Object::new(Kind::ConfigMap, name)
    }

    fn secret(name: &str, type_: Option<&str>) -> Object {
        let mut o = Object::new(Kind::Secret, name);
        o.type_ = type_.map(str::to_owned);
        o
    }

    fn file(mut self, spec: &str) -> Object {
        self.files.push(spec.to_owned());
        self
    }

    fn literal(mut self, key: &str, value: &str) -> Object {
        self.literals
            .push((key.to_owned(), value.to_owned(), value.to_owned()));
        self
    }

    /// A literal that starts and ends with a quote. kubetoml keeps the quotes, as
    /// `kubectl create --from-literal` does; kustomize strips one surrounding pair,
    /// so its side gets one more pair to hold the same value.
    fn quoted_literal(mut self, key: &str, value: &str) -> Object {
        self.literals
            .push((key.to_owned(), value.to_owned(), format!("\"{value}\"")));
        self
    }

    fn env_file(mut self, path: &str) -> Object {
        self.env_files.push(path.to_owned());
        self
    }

    fn env_key(mut self, key: &str) -> Object {
        self.env_key = Some(key.to_owned());
        self
    }

    fn immutable(mut self) -> Object {
        self.immutable = true;
        self
    }

    fn hash(mut self, on: bool) -> Object {
        self.hash = Some(on);
        self
    }

    /// Whether `name` is this object's generated name: its own, or `NAME-<10 characters>`.
    fn is_named(&self, kind: Kind, name: &str) -> bool {
        kind == self.kind
            && (name == self.name
                || name.len() == self.name.len() + 11
                    && name.starts_with(&format!("{}-", self.name)))
    }

    /// Hashed when its own `hash_suffix` says so, else when the top-level one does.
    fn hashed(&self, global: bool) -> bool {
        self.hash.unwrap_or(global)
    }
}

/// Objects, the files they read, and the top-level `hash_suffix`.
struct Scenario {
    name: String,
    dir: tempfile::TempDir,
    global_hash: bool,
    objects: Vec<Object>,
    /// Extra top-level lines of the kubetoml description.
    top: Vec<String>,
    /// Extra imagePullSecrets in the kustomize StatefulSet.
    pull_secrets: Vec<String>,
}

/// Generated names and the StatefulSet, from either tool.
struct Rendered {
    /// (kind, name) -> `immutable: true`?
    objects: BTreeMap<(Kind, String), bool>,
    statefulset: Value,
}

impl Scenario {
    fn new(name: &str, global_hash: bool) -> Scenario {
        Scenario {
            name: name.to_owned(),
            dir: tempfile::tempdir().expect("temp dir"),
            global_hash,
            objects: Vec::new(),
            top: Vec::new(),
            pull_secrets: Vec::new(),
        }
    }

    fn write(self, rel: &str, bytes: impl AsRef<[u8]>) -> Scenario {
        std::fs::write(self.dir.path().join(rel), bytes).expect("write file");
        self
    }

    fn fixture(self, name: &str) -> Scenario {
        self.write(name, common::tls_fixture(name))
    }

    fn object(mut self, o: Object) -> Scenario {
        self.objects.push(o);
        self
    }

    /// A registry Secret used as an imagePullSecret. kustomize has no docker-registry
    /// generator: its side reads the `.dockerconfigjson` that kubectl builds.
    fn docker(self, name: &str, server: &str, user: &str, password: &str) -> Scenario {
        let out = common::kubectl(
            &[
                "create",
                "secret",
                "docker-registry",
                "x",
                &format!("--docker-server={server}"),
                &format!("--docker-username={user}"),
                &format!("--docker-password={password}"),
                "--dry-run=client",
                "-o",
                "json",
            ],
            None,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let secret: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let encoded = secret["data"][".dockerconfigjson"]
            .as_str()
            .expect(".dockerconfigjson");
        let bytes = STANDARD.decode(encoded).expect("base64");
        let file = format!("{name}.dockerconfigjson");
        let mut o = Object::secret(name, Some("kubernetes.io/dockerconfigjson"))
            .file(&format!(".dockerconfigjson={file}"));
        o.docker = Some(format!(
            "{{ server = {}, username = {}, password = {} }}",
            toml_str(server),
            toml_str(user),
            toml_str(password)
        ));
        o.image_pull = true;
        self.write(&file, bytes).object(o)
    }

    /// The kubetoml description: each object read into env, envFrom and a mount of
    /// the main container; the sidecar and the init container mount them all.
    fn description(&self) -> String {
        let list = |items: &[String]| {
            items
                .iter()
                .map(|s| toml_str(s))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut t = String::from("name = \"app\"\nimage = \"busybox\"\n");
        writeln!(t, "hash_suffix = {}", self.global_hash).unwrap();
        for line in &self.top {
            writeln!(t, "{line}").unwrap();
        }
        let mounts: Vec<String> = self.objects.iter().map(|o| o.name.clone()).collect();
        // The sidecar and the init container mount every object, read every
        // object's keys (`env_from`) and each object's chosen key by reference.
        let key_refs: Vec<String> = self
            .objects
            .iter()
            .enumerate()
            .filter_map(|(i, o)| {
                let kind = match o.kind {
                    Kind::ConfigMap => "configmap",
                    Kind::Secret => "secret",
                };
                let key = o.env_key.as_ref()?;
                Some(format!(
                    "REF_{i} = {{ {kind} = {}, key = {} }}",
                    toml_str(&o.name),
                    toml_str(key)
                ))
            })
            .collect();
        for (table, name) in [("sidecars", "side"), ("init_containers", "init")] {
            writeln!(t, "\n[[{table}]]\nname = \"{name}\"\nimage = \"busybox\"").unwrap();
            writeln!(t, "mounts = [{}]", list(&mounts)).unwrap();
            writeln!(t, "env_from = [{}]", list(&mounts)).unwrap();
            writeln!(t, "env = {{ {} }}", key_refs.join(", ")).unwrap();
        }
        for (i, o) in self.objects.iter().enumerate() {
            let table = match o.kind {
                Kind::ConfigMap => format!("configmaps.{}", o.name),
                Kind::Secret => format!("secrets.{}", o.name),
            };
            // `docker_registry` builds `.dockerconfigjson` itself.
            let files: Vec<String> = match o.docker {
                Some(_) => Vec::new(),
                None => o.files.clone(),
            };
            writeln!(t, "\n[{table}]").unwrap();
            writeln!(t, "files = [{}]", list(&files)).unwrap();
            writeln!(t, "env_files = [{}]", list(&o.env_files)).unwrap();
            if let Some(d) = &o.docker {
                writeln!(t, "docker_registry = {d}").unwrap();
            } else if let Some(type_) = &o.type_ {
                writeln!(t, "type = {}", toml_str(type_)).unwrap();
            }
            if let Some(h) = o.hash {
                writeln!(t, "hash_suffix = {h}").unwrap();
            }
            if o.immutable {
                writeln!(t, "immutable = true").unwrap();
            }
            if o.image_pull {
                writeln!(t, "image_pull = true").unwrap();
            }
            writeln!(t, "env_from = true\nmount = \"/etc/kt/{}\"", o.name).unwrap();
            if let Some(k) = &o.env_key {
                writeln!(t, "env = {{ VAR_{i} = {} }}", toml_str(k)).unwrap();
            }
            writeln!(t, "[{table}.literals]").unwrap();
            for (k, v, _) in &o.literals {
                writeln!(t, "{} = {}", toml_str(k), toml_str(v)).unwrap();
            }
        }
        t
    }

    /// The same objects as kustomize generators (`generatorOptions` unset), and a
    /// StatefulSet that refers to each of them everywhere kustomize rewrites names.
    fn kustomization(&self) -> (String, String) {
        let mut k = String::from("resources:\n- statefulset.yaml\n");
        for kind in [Kind::ConfigMap, Kind::Secret] {
            let objects: Vec<&Object> = self.objects.iter().filter(|o| o.kind == kind).collect();
            if objects.is_empty() {
                continue;
            }
            k.push_str(match kind {
                Kind::ConfigMap => "configMapGenerator:\n",
                Kind::Secret => "secretGenerator:\n",
            });
            for o in objects {
                writeln!(k, "- name: {}", o.name).unwrap();
                if let Some(t) = &o.type_ {
                    writeln!(k, "  type: {}", yaml_str(t)).unwrap();
                }
                for (field, items) in [
                    ("files", o.files.clone()),
                    ("envs", o.env_files.clone()),
                    (
                        "literals",
                        o.literals
                            .iter()
                            .map(|(k, _, v)| format!("{k}={v}"))
                            .collect(),
                    ),
                ] {
                    if !items.is_empty() {
                        writeln!(k, "  {field}:").unwrap();
                        for item in items {
                            writeln!(k, "  - {}", yaml_str(&item)).unwrap();
                        }
                    }
                }
                let hashed = o.hashed(self.global_hash);
                if o.immutable || !hashed {
                    k.push_str("  options:\n");
                    if o.immutable {
                        k.push_str("    immutable: true\n");
                    }
                    if !hashed {
                        k.push_str("    disableNameSuffixHash: true\n");
                    }
                }
            }
        }

        let (mut env, mut env_from, mut volumes, mut projected, mut pulls) = (
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        );
        for (i, o) in self.objects.iter().enumerate() {
            let n = &o.name;
            let (key_ref, from_ref, volume) = match o.kind {
                Kind::ConfigMap => ("configMapKeyRef", "configMapRef", "configMap: {name: N}"),
                Kind::Secret => ("secretKeyRef", "secretRef", "secret: {secretName: N}"),
            };
            if let Some(key) = &o.env_key {
                writeln!(
                    env,
                    "    - name: VAR_{i}\n      valueFrom:\n        {key_ref}: {{name: {n}, key: {}}}",
                    yaml_str(key)
                )
                .unwrap();
            }
            writeln!(env_from, "    - {from_ref}: {{name: {n}}}").unwrap();
            writeln!(volumes, "  - name: v{i}\n    {}", volume.replace('N', n)).unwrap();
            let source = match o.kind {
                Kind::ConfigMap => "configMap",
                Kind::Secret => "secret",
            };
            writeln!(projected, "      - {source}: {{name: {n}}}").unwrap();
            if o.image_pull {
                writeln!(pulls, "  - name: {n}").unwrap();
            }
        }
        for name in &self.pull_secrets {
            writeln!(pulls, "  - name: {name}").unwrap();
        }
        let container = |name: &str| {
            format!("  - name: {name}\n    image: busybox\n    env:\n{env}    envFrom:\n{env_from}")
        };
        let mut s = String::from(
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: app\nspec:\n  \
             serviceName: app\n  selector:\n    matchLabels: {app: app}\n  template:\n    \
             metadata:\n      labels: {app: app}\n    spec:\n",
        );
        let mut pod = String::new();
        if !pulls.is_empty() {
            writeln!(pod, "imagePullSecrets:\n{pulls}").unwrap();
        }
        writeln!(pod, "initContainers:\n{}", container("init")).unwrap();
        writeln!(
            pod,
            "containers:\n{}{}",
            container("app"),
            container("side")
        )
        .unwrap();
        writeln!(
            pod,
            "volumes:\n{volumes}  - name: all\n    projected:\n      sources:\n{projected}"
        )
        .unwrap();
        for line in pod.lines().filter(|l| !l.is_empty()) {
            writeln!(s, "      {line}").unwrap();
        }
        (k, s)
    }

    fn kubetoml(&self) -> Rendered {
        let path = self.dir.path().join("app.toml");
        std::fs::write(&path, self.description()).expect("write app.toml");
        let out =
            kubetoml::compile_file(&path, &kubetoml::Options::default()).unwrap_or_else(|e| {
                panic!(
                    "{}: kubetoml failed:\n{e}\n{}",
                    self.name,
                    self.description()
                )
            });
        rendered(
            &self.name,
            "kubetoml",
            out.documents.iter().map(|d| d.yaml.as_str()),
        )
    }

    fn kustomize(&self) -> Rendered {
        let (kustomization, statefulset) = self.kustomization();
        std::fs::write(self.dir.path().join("kustomization.yaml"), &kustomization)
            .expect("write kustomization.yaml");
        std::fs::write(self.dir.path().join("statefulset.yaml"), &statefulset)
            .expect("write statefulset.yaml");
        let out = common::kubectl(&["kustomize", "."], Some(self.dir.path()));
        assert!(
            out.status.success(),
            "{}: kubectl kustomize failed: {}\n{kustomization}\n{statefulset}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("UTF-8");
        rendered(&self.name, "kustomize", text.split("\n---\n"))
    }

    /// Runs both tools and checks names, `immutable`, and every reference.
    fn check(self) -> BTreeMap<(Kind, String), bool> {
        let ours = self.kubetoml();
        let theirs = self.kustomize();
        let case = &self.name;
        assert_eq!(
            ours.objects, theirs.objects,
            "{case}: generated names (and immutable) differ, kubetoml left, kustomize right"
        );
        for (kind, name) in ours.objects.keys() {
            let o = self
                .objects
                .iter()
                .find(|o| o.is_named(*kind, name))
                .unwrap_or_else(|| panic!("{case}: unexpected object {name}"));
            let hashed = o.hashed(self.global_hash);
            assert_eq!(
                name.len(),
                if hashed {
                    o.name.len() + 11
                } else {
                    o.name.len()
                },
                "{case}: {name} should {}have a hash suffix",
                if hashed { "" } else { "not " }
            );
        }

        // kustomize is the reference for what gets rewritten: its references must all
        // resolve, or the fixture (or the walker) is wrong.
        let expected: BTreeSet<(Kind, String)> = ours.objects.keys().cloned().collect();
        for (who, r) in [("kustomize", &theirs), ("kubetoml", &ours)] {
            let refs = references(&r.statefulset);
            let mut seen = BTreeSet::new();
            for (kind, name, at) in &refs {
                if let Some(o) = self
                    .objects
                    .iter()
                    .find(|o| &o.name == name && o.kind == *kind)
                {
                    assert!(
                        !o.hashed(self.global_hash),
                        "{case}: {who}'s {at} names `{name}` without its hash suffix"
                    );
                }
                assert!(
                    expected.contains(&(*kind, name.clone())),
                    "{case}: {who}'s {at} names {} `{name}`, which is not generated: {expected:?}",
                    kind.name()
                );
                seen.insert((*kind, name.clone()));
            }
            assert_eq!(
                seen, expected,
                "{case}: {who}'s StatefulSet should refer to every generated object"
            );
            check_mounts(case, who, &r.statefulset);
        }
        self.check_kubetoml_refs(&ours.statefulset);
        ours.objects
    }

    /// What kubetoml promises beyond "everything resolves": each use lands where it
    /// was asked for, under the final name.
    fn check_kubetoml_refs(&self, sts: &Value) {
        let case = &self.name;
        let refs = references(sts);
        let final_name = |o: &Object| -> String {
            let generated = refs
                .iter()
                .find(|(k, n, _)| o.is_named(*k, n))
                .unwrap_or_else(|| panic!("{case}: nothing refers to `{}`", o.name));
            generated.1.clone()
        };
        let has = |kind: Kind, name: &str, at: &str| {
            refs.iter()
                .any(|(k, n, a)| *k == kind && n == name && a.starts_with(at))
        };
        for o in &self.objects {
            let name = final_name(o);
            let main = "containers[0]";
            if o.env_key.is_some() {
                assert!(
                    has(o.kind, &name, &format!("{main}.env")),
                    "{case}: no env reference to {name}"
                );
            }
            for container in [main, "containers[1]", "initContainers[0]"] {
                assert!(
                    has(o.kind, &name, &format!("{container}.envFrom")),
                    "{case}: no envFrom reference to {name} in {container}"
                );
                if o.env_key.is_some() && container != main {
                    assert!(
                        has(o.kind, &name, &format!("{container}.env")),
                        "{case}: no env reference to {name} in {container}"
                    );
                }
            }
            assert!(
                has(o.kind, &name, "volumes"),
                "{case}: no volume for {name}"
            );
            if o.image_pull {
                assert!(
                    has(Kind::Secret, &name, "imagePullSecrets"),
                    "{case}: {name} is not an imagePullSecret"
                );
            }
        }
        // The sidecar and the init container mount every object (`mounts = [...]`).
        let pod = &sts["spec"]["template"]["spec"];
        for list in ["containers", "initContainers"] {
            for c in pod[list].as_sequence().into_iter().flatten() {
                let mounted = c["volumeMounts"].as_sequence().map_or(0, Vec::len);
                assert!(
                    mounted >= self.objects.len(),
                    "{case}: {list} `{}` mounts {mounted} volumes, expected {}",
                    c["name"].as_str().unwrap_or("?"),
                    self.objects.len()
                );
            }
        }
    }
}

/// Parses a YAML stream: the ConfigMaps and Secrets by name, and the StatefulSet.
fn rendered<'a>(case: &str, who: &str, docs: impl Iterator<Item = &'a str>) -> Rendered {
    let mut objects = BTreeMap::new();
    let mut statefulset = None;
    for text in docs {
        let doc: Value = serde_yaml::from_str(text)
            .unwrap_or_else(|e| panic!("{case}: {who}'s YAML does not parse: {e}\n{text}"));
        let name = doc["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let immutable = match doc.get("immutable") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => panic!("{case}: {who}'s {name} has immutable {other:?}"),
        };
        match doc["kind"].as_str() {
            Some("ConfigMap") => {
                objects.insert((Kind::ConfigMap, name), immutable);
            }
            Some("Secret") => {
                objects.insert((Kind::Secret, name), immutable);
            }
            Some("StatefulSet") => statefulset = Some(doc),
            _ => {}
        }
    }
    Rendered {
        objects,
        statefulset: statefulset.unwrap_or_else(|| panic!("{case}: {who} made no StatefulSet")),
    }
}

/// Every ConfigMap or Secret a StatefulSet names, with where: env `configMapKeyRef`
/// and `secretKeyRef`, `envFrom`, `configMap` / `secret` volumes, projected volume
/// sources, `imagePullSecrets`; in containers and init containers alike. Walks the
/// whole pod template, so a reference in a place this test did not foresee is
/// still checked.
fn references(sts: &Value) -> Vec<(Kind, String, String)> {
    fn name_at(v: &Value, field: &str) -> Option<String> {
        v.get(field).and_then(Value::as_str).map(str::to_owned)
    }
    fn walk(v: &Value, at: &str, out: &mut Vec<(Kind, String, String)>) {
        match v {
            Value::Mapping(m) => {
                for (k, child) in m {
                    let k = k.as_str().unwrap_or_default();
                    let here = if at.is_empty() {
                        k.to_owned()
                    } else {
                        format!("{at}.{k}")
                    };
                    let found = match k {
                        "configMapKeyRef" | "configMapRef" | "configMap" => {
                            name_at(child, "name").map(|n| (Kind::ConfigMap, n))
                        }
                        "secretKeyRef" | "secretRef" => {
                            name_at(child, "name").map(|n| (Kind::Secret, n))
                        }
                        // `secretName` in a volume, `name` in a projected source.
                        "secret" => name_at(child, "secretName")
                            .or_else(|| name_at(child, "name"))
                            .map(|n| (Kind::Secret, n)),
                        _ => None,
                    };
                    if let Some((kind, name)) = found {
                        out.push((kind, name, here.clone()));
                    }
                    if k == "imagePullSecrets" {
                        for s in child.as_sequence().into_iter().flatten() {
                            let name = name_at(s, "name").expect("imagePullSecrets entry name");
                            out.push((Kind::Secret, name, here.clone()));
                        }
                    }
                    walk(child, &here, out);
                }
            }
            Value::Sequence(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{at}[{i}]"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&sts["spec"]["template"]["spec"], "", &mut out);
    out
}

/// Every volumeMount in every container names a pod volume or a claim template.
fn check_mounts(case: &str, who: &str, sts: &Value) {
    let pod = &sts["spec"]["template"]["spec"];
    let mut volumes: BTreeSet<&str> = pod["volumes"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|v| v["name"].as_str())
        .collect();
    volumes.extend(
        sts["spec"]["volumeClaimTemplates"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|c| c["metadata"]["name"].as_str()),
    );
    for list in ["containers", "initContainers"] {
        for c in pod[list].as_sequence().into_iter().flatten() {
            for m in c["volumeMounts"].as_sequence().into_iter().flatten() {
                let name = m["name"].as_str().unwrap_or_default();
                assert!(
                    volumes.contains(name),
                    "{case}: {who}'s {list} `{}` mounts unknown volume `{name}`",
                    c["name"].as_str().unwrap_or("?")
                );
            }
        }
    }
}

/// A TOML basic string holding exactly `s`.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c => write!(out, "\\U{:08X}", u32::from(c)).unwrap(),
        }
    }
    out.push('"');
    out
}

/// A single-quoted YAML string (for kustomization.yaml); printable text only.
fn yaml_str(s: &str) -> String {
    assert!(!s.contains(|c: char| c.is_control()), "{s:?}");
    format!("'{}'", s.replace('\'', "''"))
}

const ENV_FILE: &str = "# settings\nLOG_LEVEL=debug\n  INDENTED=x\nEMPTY=\nURL=http://h/?a=b\r\n";

// ---- scenarios ----

#[test]
fn literals_with_top_level_hash_suffix() {
    Scenario::new("literals", true)
        .object(
            Object::configmap("app-config")
                .literal("LOG_LEVEL", "info")
                .literal("greeting", "hello world")
                .env_key("greeting"),
        )
        .object(
            Object::secret("app-secret", None)
                .literal("password", "hunter2")
                .env_key("password"),
        )
        .check();
}

#[test]
fn names_change_with_content_and_only_with_content() {
    let names = |value: &str, object: &str| {
        Scenario::new(&format!("content {value}"), true)
            .object(Object::configmap(object).literal("k", value).env_key("k"))
            .object(Object::secret(&format!("{object}-s"), None).literal("k", value))
            .check()
            .into_keys()
            .map(|(_, name)| name[name.len() - 10..].to_owned())
            .collect::<Vec<_>>()
    };
    let one = names("one", "cfg");
    assert_ne!(
        one,
        names("two", "cfg"),
        "a content change must change the suffixes"
    );
    // The object's name is not hashed: another name, same content, same suffixes.
    assert_eq!(one, names("one", "other"));
}

#[test]
fn files_text_and_binary() {
    let binary: Vec<u8> = (0..=255).rev().collect();
    Scenario::new("files", false)
        .write("app.conf", "a = 1\nb = 2\n")
        .write("logo.bin", &binary)
        .write("big.bin", vec![0xfeu8; 3000])
        .write("crlf.txt", "one\r\ntwo\r\n")
        .object(
            Object::configmap("files-cm")
                .file("app.conf")
                .file("logo=logo.bin")
                .file("crlf.txt")
                .hash(true)
                .env_key("app.conf"),
        )
        .object(
            Object::secret("files-secret", None)
                .file("big.bin")
                .file("key=logo.bin")
                .hash(true)
                .env_key("key"),
        )
        .check();
}

#[test]
fn env_files() {
    Scenario::new("env files", true)
        .write("app.env", ENV_FILE)
        .object(
            Object::configmap("env-cm")
                .env_file("app.env")
                .env_key("LOG_LEVEL"),
        )
        .object(
            Object::secret("env-secret", None)
                .env_file("app.env")
                .env_key("URL"),
        )
        .check();
}

#[test]
fn every_secret_type() {
    Scenario::new("secret types", true)
        .fixture("rsa.crt")
        .fixture("rsa.key")
        .write(
            "id_ed25519",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
        )
        .object(
            Object::secret("tls", Some("kubernetes.io/tls"))
                .file("tls.crt=rsa.crt")
                .file("tls.key=rsa.key")
                .env_key("tls.crt"),
        )
        .object(
            Object::secret("basic", Some("kubernetes.io/basic-auth"))
                .literal("username", "admin")
                .literal("password", "s3cr3t")
                .env_key("username"),
        )
        .object(
            Object::secret("ssh", Some("kubernetes.io/ssh-auth")).file("ssh-privatekey=id_ed25519"),
        )
        .object(Object::secret("opaque", Some("Opaque")).literal("a", "b"))
        .docker("regcred", "registry.example.com", "robot", "p4ss<&>")
        .check();
}

#[test]
fn immutable_with_and_without_hash_suffix() {
    Scenario::new("immutable", false)
        .object(
            Object::configmap("frozen-hashed")
                .literal("k", "v")
                .immutable()
                .hash(true),
        )
        .object(Object::configmap("frozen").literal("k", "v").immutable())
        .object(
            Object::secret("frozen-secret-hashed", None)
                .literal("k", "v")
                .immutable()
                .hash(true)
                .env_key("k"),
        )
        .object(
            Object::secret("frozen-secret", None)
                .literal("k", "v")
                .immutable(),
        )
        .check();
}

#[test]
fn a_table_can_opt_out_of_the_top_level_hash_suffix() {
    Scenario::new("opt out", true)
        .object(Object::configmap("hashed").literal("k", "v").env_key("k"))
        .object(Object::configmap("plain").literal("k", "v").hash(false))
        .object(
            Object::secret("plain-secret", None)
                .literal("k", "v")
                .hash(false),
        )
        .check();
}

#[test]
fn top_level_image_pull_secrets_naming_a_generated_secret() {
    // kustomize rewrites `imagePullSecrets: [{name: regcred}]` to the generated name;
    // naming a hashed `[secrets.regcred]` in `image_pull_secrets` must do the same,
    // or the pods pull with a Secret that does not exist.
    let mut s = Scenario::new("image_pull_secrets", true).docker(
        "regcred",
        "registry.example.com",
        "robot",
        "pw",
    );
    s.objects[0].image_pull = false;
    s.top.push("image_pull_secrets = [\"regcred\"]".to_owned());
    s.pull_secrets.push("regcred".to_owned());
    s.check();
}

#[test]
fn quoted_literals_keep_their_quotes() {
    // Same content as kustomize only when kustomize is given an extra pair: a plain
    // `k="q"` in a configMapGenerator holds `q` and gets another suffix.
    Scenario::new("quoted literals", true)
        .object(
            Object::configmap("quoted")
                .quoted_literal("double", "\"q\"")
                .quoted_literal("single", "'q'")
                .env_key("double"),
        )
        .object(Object::secret("quoted-secret", None).quoted_literal("pw", "\"p w\""))
        .check();
}
