//! Every example compiles; its output is snapshotted, read back, and wired correctly.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use base64::Engine as _;
use kubetoml::{Options, Templates};
use serde_yaml::Value;

/// The build-time variables the examples read, as CI would provide them.
fn fixture_env() -> BTreeMap<String, Vec<u8>> {
    [
        ("PG_PASSWORD", "correct horse battery staple"),
        ("REGISTRY_TOKEN", "registry-token-for-tests"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.as_bytes().to_vec()))
    .collect()
}

fn compile(path: &Path) -> kubetoml::Output {
    let source = std::fs::read_to_string(path).unwrap();
    let options = Options::new().env(fixture_env());
    let name = path.file_name().unwrap().to_string_lossy();
    kubetoml::resolve(&name, &source, path.parent().unwrap(), &options)
        .and_then(|resolved| resolved.render(&Templates::builtin()))
        .unwrap_or_else(|e| panic!("{}", e.draw(false)))
}

fn documents(yaml: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(yaml)
        .map(|d| serde::Deserialize::deserialize(d).expect("output is YAML"))
        .collect()
}

#[test]
fn examples_render_as_snapshotted() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::glob!("../../examples", "**/*.toml", |path| {
            let out = compile(path);
            insta::assert_snapshot!(out.to_yaml());
        });
    });
}

/// The lints and the Pod Security Standards warning each example earns
/// (`examples/restricted` earns none).
#[test]
fn examples_warn_as_snapshotted() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../snapshots/warn");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::glob!("../../examples", "**/*.toml", |path| {
            insta::assert_snapshot!(compile(path).draw_warnings(false));
        });
    });
}

#[test]
fn output_is_deterministic() {
    for example in ["web/web.toml", "postgres/postgres.toml"] {
        let path = Path::new("examples").join(example);
        assert_eq!(compile(&path).to_yaml(), compile(&path).to_yaml());
    }
}

/// Everything the objects refer to exists, read back from the YAML itself
/// (or is one of the `external` objects, which exist in the cluster).
fn check_wiring(docs: &[Value], external: &BTreeSet<String>) {
    let by_kind =
        |kind: &str| -> Vec<&Value> { docs.iter().filter(|d| d["kind"] == kind).collect() };
    let services = by_kind("Service");
    let [service] = services
        .iter()
        .copied()
        .filter(|s| s["spec"]["clusterIP"] == "None")
        .collect::<Vec<_>>()[..]
    else {
        panic!("one headless Service")
    };
    let [sts] = by_kind("StatefulSet")[..] else {
        panic!("one StatefulSet")
    };
    let spec = &sts["spec"];
    let pod = &spec["template"]["spec"];

    assert_eq!(service["spec"]["clusterIP"], Value::from("None"));
    assert_eq!(spec["serviceName"], service["metadata"]["name"]);
    let pod_labels = spec["template"]["metadata"]["labels"].as_mapping().unwrap();
    for (k, v) in service["spec"]["selector"].as_mapping().unwrap() {
        assert_eq!(pod_labels.get(k), Some(v), "the Service selects the pods");
    }
    for (k, v) in spec["selector"]["matchLabels"].as_mapping().unwrap() {
        assert_eq!(
            pod_labels.get(k),
            Some(v),
            "the StatefulSet selects its pods"
        );
    }

    check_companions(docs, sts);

    let keys_of = |kind: &str| -> BTreeMap<String, BTreeSet<String>> {
        by_kind(kind)
            .into_iter()
            .map(|o| {
                let mut keys = BTreeSet::new();
                for field in ["data", "binaryData"] {
                    if let Some(m) = o[field].as_mapping() {
                        keys.extend(m.keys().map(|k| k.as_str().unwrap().to_owned()));
                    }
                }
                (o["metadata"]["name"].as_str().unwrap().to_owned(), keys)
            })
            .collect()
    };
    let exists = |objects: &BTreeMap<String, BTreeSet<String>>, name: &str| {
        objects.contains_key(name) || external.contains(name)
    };
    let config_maps = keys_of("ConfigMap");
    let secrets = keys_of("Secret");

    let mut volumes: BTreeSet<String> = BTreeSet::new();
    for v in pod["volumes"].as_sequence().into_iter().flatten() {
        volumes.insert(v["name"].as_str().unwrap().to_owned());
        if let Some(name) = v["configMap"]["name"].as_str() {
            assert!(exists(&config_maps, name), "volume uses ConfigMap {name}");
        }
        if let Some(name) = v["secret"]["secretName"].as_str() {
            assert!(exists(&secrets, name), "volume uses Secret {name}");
        }
    }
    for claim in spec["volumeClaimTemplates"]
        .as_sequence()
        .into_iter()
        .flatten()
    {
        volumes.insert(claim["metadata"]["name"].as_str().unwrap().to_owned());
    }
    for s in pod["imagePullSecrets"].as_sequence().into_iter().flatten() {
        assert!(exists(&secrets, s["name"].as_str().unwrap()));
    }

    let containers = pod["containers"]
        .as_sequence()
        .unwrap()
        .iter()
        .chain(pod["initContainers"].as_sequence().into_iter().flatten());
    for c in containers {
        for m in c["volumeMounts"].as_sequence().into_iter().flatten() {
            let name = m["name"].as_str().unwrap();
            assert!(volumes.contains(name), "mount {name} has a volume");
        }
        for e in c["env"].as_sequence().into_iter().flatten() {
            for (field, objects) in [
                ("configMapKeyRef", &config_maps),
                ("secretKeyRef", &secrets),
            ] {
                let r = &e["valueFrom"][field];
                if let Some(name) = r["name"].as_str() {
                    let key = r["key"].as_str().unwrap();
                    assert!(
                        objects.get(name).is_some_and(|keys| keys.contains(key))
                            || external.contains(name),
                        "env {:?} names {name}/{key}, which exists",
                        e["name"]
                    );
                }
            }
        }
        for e in c["envFrom"].as_sequence().into_iter().flatten() {
            if let Some(name) = e["configMapRef"]["name"].as_str() {
                assert!(exists(&config_maps, name));
            }
            if let Some(name) = e["secretRef"]["name"].as_str() {
                assert!(exists(&secrets, name));
            }
        }
    }
}

/// The client Service, the budget and the policy select exactly the
/// StatefulSet's pods, and publish or admit only ports the pods declare;
/// every namespaced object is in the StatefulSet's namespace.
fn check_companions(docs: &[Value], sts: &Value) {
    let selector = &sts["spec"]["selector"]["matchLabels"];
    let pod = &sts["spec"]["template"]["spec"];
    let declared: Vec<(&Value, &Value, &Value)> = pod["containers"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|c| c["ports"].as_sequence().into_iter().flatten())
        .map(|p| (&p["name"], &p["containerPort"], &p["protocol"]))
        .collect();
    let cluster_scoped = ["Namespace", "ClusterRole", "ClusterRoleBinding"];
    for d in docs {
        if !cluster_scoped.contains(&d["kind"].as_str().unwrap()) {
            assert_eq!(d["metadata"]["namespace"], sts["metadata"]["namespace"]);
        }
    }
    for d in docs {
        match d["kind"].as_str().unwrap() {
            "Service" if d["spec"]["clusterIP"].is_null() => {
                assert_eq!(&d["spec"]["selector"], selector);
                for p in d["spec"]["ports"].as_sequence().unwrap() {
                    assert!(
                        declared.iter().any(|(n, _, _)| **n == p["targetPort"]),
                        "client port {p:?} targets a declared port"
                    );
                }
            }
            "PodDisruptionBudget" => {
                assert_eq!(&d["spec"]["selector"]["matchLabels"], selector);
            }
            "NetworkPolicy" => {
                assert_eq!(&d["spec"]["podSelector"]["matchLabels"], selector);
                let rule = &d["spec"]["ingress"][0];
                assert_eq!(
                    &rule["from"][0]["podSelector"]["matchLabels"], selector,
                    "the pods admit each other"
                );
                let admitted = rule["ports"].as_sequence().unwrap();
                for (_, number, protocol) in &declared {
                    assert!(
                        admitted
                            .iter()
                            .any(|a| a["port"] == **number && a["protocol"] == **protocol),
                        "peers reach each other on {number:?}"
                    );
                }
            }
            "ServiceAccount" => {
                assert_eq!(d["metadata"]["name"], pod["serviceAccountName"]);
            }
            "RoleBinding" | "ClusterRoleBinding" => {
                // Bound to the pods' account, in their namespace, granting a role that is there.
                let subject = &d["subjects"][0];
                assert_eq!(subject["kind"], "ServiceAccount");
                assert_eq!(subject["name"], pod["serviceAccountName"]);
                if d["kind"] == "ClusterRoleBinding" {
                    assert_eq!(subject["namespace"], sts["metadata"]["namespace"]);
                }
                let role = &d["roleRef"];
                assert!(
                    docs.iter().any(|r| r["kind"] == role["kind"]
                        && r["metadata"]["name"] == role["name"]
                        && !r["rules"].as_sequence().unwrap().is_empty()),
                    "{role:?} is rendered beside its binding"
                );
            }
            _ => {}
        }
    }
}

#[test]
fn every_example_is_wired() {
    for entry in glob_examples() {
        let docs = documents(&compile(&entry).to_yaml());
        check_wiring(&docs, &external_objects(&entry));
    }
}

/// The names of the description's `external = true` ConfigMaps and Secrets.
fn external_objects(path: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let mut names = BTreeSet::new();
    for kind in ["configmaps", "secrets"] {
        for (name, t) in table
            .get(kind)
            .and_then(|t| t.as_table())
            .into_iter()
            .flatten()
        {
            if t.get("external").and_then(|e| e.as_bool()) == Some(true) {
                names.insert(name.clone());
            }
        }
    }
    names
}

#[test]
fn the_zookeeper_example_uses_every_companion() {
    let path = Path::new("examples/zookeeper/zookeeper.toml");
    let docs = documents(&compile(path).to_yaml());
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "ServiceAccount",
            "ConfigMap",
            "Service",
            "Service",
            "PodDisruptionBudget",
            "NetworkPolicy",
            "StatefulSet"
        ]
    );
    assert_eq!(
        external_objects(path),
        BTreeSet::from(["zk-tls".to_owned()])
    );
    let pod = &docs[7]["spec"]["template"]["spec"];
    let env = pod["containers"][0]["env"].as_sequence().unwrap();
    let myid = env.iter().find(|e| e["name"] == "ZOO_MY_ID").unwrap();
    assert_eq!(
        myid["valueFrom"]["fieldRef"]["fieldPath"],
        Value::from("metadata.labels['apps.kubernetes.io/pod-index']")
    );
    let tls = pod["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "zk-tls")
        .unwrap();
    assert_eq!(tls["secret"]["secretName"], Value::from("zk-tls"));
    // The server ids in zoo.cfg are the pods' ordinals.
    assert_eq!(docs[7]["spec"]["ordinals"]["start"], Value::from(1));
    let zoo_cfg = docs[2]["data"]["zoo.cfg"].as_str().unwrap();
    for ordinal in 1..=3 {
        assert!(zoo_cfg.contains(&format!("server.{ordinal}=zk-{ordinal}.zk.zookeeper.svc")));
    }
}

fn glob_examples() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir("examples").unwrap() {
        let dir = dir.unwrap().path();
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "toml") {
                out.push(f);
            }
        }
    }
    out.sort();
    assert!(out.len() >= 4, "the four reference examples are there");
    out
}

fn secret_value(docs: &[Value], secret: &str, key: &str) -> Vec<u8> {
    let s = docs
        .iter()
        .find(|d| d["kind"] == "Secret" && d["metadata"]["name"] == secret)
        .unwrap_or_else(|| panic!("secret {secret}"));
    base64::engine::general_purpose::STANDARD
        .decode(s["data"][key].as_str().unwrap())
        .unwrap()
}

#[test]
fn seed_secrets_encode_exactly() {
    let yaml = compile(Path::new("examples/web/web.toml")).to_yaml();
    assert!(yaml.contains("username: YWRtaW4="), "{yaml}");
    assert!(yaml.contains("password: MWYyZDFlMmU2N2Rm"), "{yaml}");
    let docs = documents(&yaml);
    assert_eq!(secret_value(&docs, "mysecret", "username"), b"admin");
    assert_eq!(secret_value(&docs, "mysecret", "password"), b"1f2d1e2e67df");
}

#[test]
fn postgres_reads_its_secrets_from_the_environment() {
    let docs = documents(&compile(Path::new("examples/postgres/postgres.toml")).to_yaml());
    assert_eq!(
        secret_value(&docs, "postgres-auth", "POSTGRES_PASSWORD"),
        b"correct horse battery staple"
    );
    let config: serde_json::Value =
        serde_json::from_slice(&secret_value(&docs, "registry", ".dockerconfigjson")).unwrap();
    let auth = &config["auths"]["registry.example.com"];
    assert_eq!(auth["username"], "ci");
    assert_eq!(auth["password"], "registry-token-for-tests");
    assert_eq!(auth["auth"], "Y2k6cmVnaXN0cnktdG9rZW4tZm9yLXRlc3Rz");
    let tls_key = secret_value(&docs, "postgres-tls", "tls.key");
    assert_eq!(
        tls_key,
        std::fs::read("examples/postgres/tls/server.key").unwrap()
    );
}

#[test]
fn the_web_example_reads_back_as_its_model() {
    let out = compile(Path::new("examples/web/web.toml"));
    let docs = documents(&out.to_yaml());
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "ConfigMap",
            "ConfigMap",
            "Secret",
            "Service",
            "PodDisruptionBudget",
            "StatefulSet"
        ]
    );
    // Three replicas: by default a node drain takes down one pod at a time.
    assert_eq!(docs[4]["spec"]["maxUnavailable"], Value::from(1));
    for d in &docs {
        assert_eq!(d["metadata"]["namespace"], Value::from("default"));
        assert_eq!(d["metadata"]["labels"]["project"], Value::from("blog"));
    }
    let cm = &docs[1];
    assert_eq!(
        cm["data"]["redis.properties"],
        Value::from(std::fs::read_to_string("examples/web/redis.properties").unwrap())
    );
    let sts = &docs[5];
    assert_eq!(sts["spec"]["replicas"], Value::from(3));
    let claim = &sts["spec"]["volumeClaimTemplates"][0];
    assert_eq!(claim["metadata"]["name"], Value::from("www"));
    assert_eq!(
        claim["spec"]["storageClassName"],
        Value::from("managed-nfs-storage")
    );
    assert_eq!(
        claim["spec"]["resources"]["requests"]["storage"],
        Value::from("1Gi")
    );
    // Immutable parts carry no user label: changing `labels` must never break an upgrade.
    assert!(claim["metadata"]["labels"]["project"].is_null());
    assert!(sts["spec"]["selector"]["matchLabels"]["project"].is_null());
    let env = sts["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_sequence()
        .unwrap();
    let abc = env.iter().find(|e| e["name"] == "ABC").unwrap();
    assert_eq!(
        abc["value"],
        Value::from("1234567"),
        "a numeric-looking string stays a string"
    );
    let annotations = &sts["spec"]["template"]["metadata"]["annotations"];
    assert_eq!(
        annotations[kubetoml::lower::CONFIG_HASH_ANNOTATION]
            .as_str()
            .map(str::len),
        Some(64)
    );
}

#[test]
fn changing_any_config_changes_the_pod_hash() {
    let dir = tempfile::tempdir().unwrap();
    let hash_of = |properties: &str, password: &str| {
        std::fs::write(dir.path().join("redis.properties"), properties).unwrap();
        let toml = std::fs::read_to_string("examples/web/web.toml")
            .unwrap()
            .replace("1f2d1e2e67df", password);
        std::fs::write(dir.path().join("web.toml"), toml).unwrap();
        let docs = documents(&compile(&dir.path().join("web.toml")).to_yaml());
        docs[5]["spec"]["template"]["metadata"]["annotations"]
            [kubetoml::lower::CONFIG_HASH_ANNOTATION]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let base = hash_of("a=1\n", "pw");
    assert_eq!(base, hash_of("a=1\n", "pw"));
    assert_ne!(base, hash_of("a=2\n", "pw"), "a ConfigMap file changed");
    // Without KUBETOML_HASH_KEY a Secret is left out: the hash tells nothing of it
    // (tests/cli.rs checks the keyed hash).
    assert_eq!(base, hash_of("a=1\n", "pw2"), "a Secret value changed");
}

/// Every ```toml block of `docs/src/rbac.md` is a description that renders,
/// with its objects wired to the pods as every example's are.
#[test]
fn the_rbac_chapter_examples_render() {
    let text = std::fs::read_to_string("docs/src/rbac.md").unwrap();
    let blocks: Vec<&str> = text
        .split("```toml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert_eq!(blocks.len(), 4, "the chapter's four examples");
    let options = Options::new();
    for block in blocks {
        let out = kubetoml::resolve("doc.toml", block, Path::new("docs/src"), &options)
            .and_then(|resolved| resolved.render(&Templates::builtin()))
            .unwrap_or_else(|e| panic!("{}\n{block}", e.draw(false)));
        let docs = documents(&out.to_yaml());
        check_wiring(&docs, &BTreeSet::new());
    }
}
