//! External ConfigMaps and Secrets, pod volumes that are not claim
//! templates, one-file mounts and the pod-only fields, through the library.

use std::path::Path;

use kubetoml::model::*;
use kubetoml::Options;

fn model(toml: &str) -> Model {
    // Every description here is self-contained: no file is read.
    kubetoml::resolve(
        "app.toml",
        toml,
        Path::new("tests/fixtures/everything"),
        &Options::new(),
    )
    .unwrap_or_else(|e| panic!("{}", e.draw(false)))
    .model()
    .clone()
}

fn config_hash(m: &Model) -> Option<String> {
    let annotations = &m.stateful_set.pod.annotations;
    annotations
        .get(kubetoml::lower::CONFIG_HASH_ANNOTATION)
        .cloned()
}

const APP: &str = "name = \"zk\"\nimage = \"zookeeper:3.9\"\n";

#[test]
fn an_external_secret_is_referred_to_never_emitted_nor_hashed() {
    let toml = format!(
        "{APP}env = {{ CERT = {{ secret = \"tls\", key = \"tls.crt\" }} }}\n\
         [secrets.tls]\nexternal = true\nkeys = [\"tls.crt\", \"tls.key\"]\nmount = \"/tls\"\n"
    );
    let m = model(&toml);
    assert!(m.secrets.is_empty(), "never emitted");
    assert_eq!(config_hash(&m), None, "its content is not known: no hash");
    let main = &m.stateful_set.pod.containers[0];
    assert_eq!(
        main.env[0].source,
        EnvSource::Secret {
            object: "tls".into(),
            key: "tls.crt".into()
        }
    );
    assert_eq!(m.stateful_set.pod.volumes[0].object, "tls");
    // Beside a generated ConfigMap, the hash covers the ConfigMap only.
    let with_config = |value: &str| {
        model(&format!(
            "{toml}[configmaps.conf]\nliterals = {{ a = \"{value}\" }}\nenv_from = true\n"
        ))
    };
    let a = config_hash(&with_config("1")).unwrap();
    assert_eq!(a, config_hash(&with_config("1")).unwrap());
    assert_ne!(a, config_hash(&with_config("2")).unwrap());
}

#[test]
fn external_objects_keep_their_names_under_hash_suffix() {
    let m = model(&format!(
        "{APP}hash_suffix = true\nenv = {{ A = {{ configmap = \"ext\", key = \"any-key\" }} }}\n\
         [configmaps.ext]\nexternal = true\n[configmaps.own]\nliterals = {{ a = \"b\" }}\nenv_from = true\n"
    ));
    let main = &m.stateful_set.pod.containers[0];
    assert_eq!(
        main.env[0].source,
        EnvSource::ConfigMap {
            object: "ext".into(),
            key: "any-key".into()
        },
        "without `keys`, any key is taken as written"
    );
    assert_eq!(m.config_maps.len(), 1);
    assert!(m.config_maps[0].metadata.name.starts_with("own-"));
}

#[test]
fn an_external_registry_secret_pulls_images() {
    let m = model(&format!(
        "{APP}[secrets.registry]\nexternal = true\nimage_pull = true\n"
    ));
    assert_eq!(m.stateful_set.pod.image_pull_secrets, ["registry"]);
}

#[test]
fn scratch_and_shared_volumes_are_pod_volumes_not_claim_templates() {
    let m = model(&format!(
        "{APP}[volumes.tmp]\nempty_dir = true\nmount = \"/tmp\"\n\
         [volumes.shared]\nclaim = \"shared-data\"\nmount = \"/shared\"\n\
         [volumes.data]\nsize = \"1Gi\"\nmount = \"/data\"\n\
         [[sidecars]]\nname = \"side\"\nimage = \"x\"\nmounts = [\"tmp\"]\n"
    ));
    let sts = &m.stateful_set;
    assert_eq!(sts.claims.len(), 1);
    assert_eq!(sts.claims[0].name, "data");
    let names: Vec<&str> = (sts.pod.other_volumes.iter())
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(names, ["shared", "tmp"]);
    let side = &sts.pod.containers[1];
    assert_eq!(side.volume_mounts.len(), 1);
    assert_eq!(side.volume_mounts[0].name, "tmp");
}

#[test]
fn one_key_mounts_as_one_file() {
    let m = model(&format!(
        "{APP}[configmaps.es]\nliterals = {{ \"es.yml\" = \"a: 1\\n\" }}\n\
         mount = {{ path = \"/usr/share/es/config/es.yml\", key = \"es.yml\" }}\n"
    ));
    let mount = &m.stateful_set.pod.containers[0].volume_mounts[0];
    assert_eq!(mount.mount_path, "/usr/share/es/config/es.yml");
    assert_eq!(mount.sub_path.as_deref(), Some("es.yml"));
}

#[test]
fn pod_annotations_and_priority_go_on_the_pods_only() {
    let m = model(&format!(
        "{APP}annotations = {{ team = \"a\" }}\npod_annotations = {{ \"prometheus.io/scrape\" = \"true\" }}\n\
         priority_class_name = \"high\"\n"
    ));
    let sts = &m.stateful_set;
    assert_eq!(sts.pod.annotations["prometheus.io/scrape"], "true");
    assert_eq!(sts.pod.annotations["team"], "a");
    assert!(!sts
        .metadata
        .annotations
        .contains_key("prometheus.io/scrape"));
    assert!(!m
        .service
        .metadata
        .annotations
        .contains_key("prometheus.io/scrape"));
    assert_eq!(sts.pod.priority_class_name.as_deref(), Some("high"));
}

#[test]
fn host_aliases_and_dns_settings_reach_the_pods() {
    let m = model(&format!(
        "{APP}host_aliases = [{{ ip = \"10.0.0.5\", hostnames = [\"db.internal\"] }}]\n\
         dns = {{ options = [\"ndots:2\", \"edns0\"] }}\n"
    ));
    let pod = &m.stateful_set.pod;
    assert_eq!(pod.host_aliases[0].hostnames, ["db.internal"]);
    assert_eq!(pod.dns_policy, None, "Kubernetes' default unless written");
    let options = &pod.dns_config.as_ref().unwrap().options;
    assert_eq!(options[0].name, "ndots");
    assert_eq!(options[0].value.as_deref(), Some("2"));
    assert_eq!(options[1].value, None);
    assert!(model(APP).stateful_set.pod.dns_config.is_none());
}

fn render(toml: &str) -> Result<String, String> {
    kubetoml::resolve(
        "app.toml",
        toml,
        Path::new("tests/fixtures/everything"),
        &Options::new(),
    )
    .and_then(|r| r.render(&kubetoml::Templates::builtin()))
    .map(|o| o.to_yaml())
    .map_err(|e| e.draw(false))
}

#[test]
fn service_links_and_the_fs_group_change_policy_reach_the_pods() {
    let out = render(&format!(
        "{APP}enable_service_links = false\n\
         security_context = {{ fs_group = 1001, fs_group_change_policy = \"OnRootMismatch\" }}\n"
    ))
    .unwrap();
    assert!(out.contains("\n      enableServiceLinks: false\n"), "{out}");
    assert!(
        out.contains("\n        fsGroup: 1001\n        fsGroupChangePolicy: OnRootMismatch\n"),
        "{out}"
    );
    let plain = render(APP).unwrap();
    assert!(!plain.contains("enableServiceLinks") && !plain.contains("fsGroupChangePolicy"));
    let typo = render(&format!(
        "{APP}security_context = {{ fs_group_change_policy = \"OnRootMisMatch\" }}\n"
    ))
    .unwrap_err();
    assert!(typo.contains("did you mean `OnRootMismatch`?"), "{typo}");
    let in_sidecar = render(&format!(
        "{APP}[[sidecars]]\nname = \"s\"\nimage = \"busybox\"\nsecurity_context = {{ fs_group_change_policy = \"Always\" }}\n"
    ))
    .unwrap_err();
    assert!(
        in_sidecar.contains("`fs_group_change_policy` is pod-wide"),
        "{in_sidecar}"
    );
}

#[test]
fn the_headless_service_may_publish_a_sidecar_port() {
    let toml = format!(
        "{APP}ports = {{ client = 2181 }}\n\
         [service]\nports = {{ client = 2181, metrics = 9141 }}\n\
         [[sidecars]]\nname = \"exporter\"\nimage = \"exporter:1\"\nports = {{ metrics = 9141 }}\n"
    );
    let out = render(&toml).unwrap();
    assert!(
        out.contains("- name: metrics\n      port: 9141\n      targetPort: metrics"),
        "{out}"
    );
    // Without `[service] ports` the main container's ports only, as before.
    let default =
        render(&toml.replace("[service]\nports = { client = 2181, metrics = 9141 }\n", ""))
            .unwrap();
    let service = default
        .split("\n---\n")
        .find(|d| d.contains("kind: Service\n"))
        .unwrap();
    assert!(!service.contains("metrics"), "{service}");
    let unknown = render(&toml.replace("metrics = 9141 }\n[[", "nope = 9141 }\n[[")).unwrap_err();
    assert!(
        unknown.contains("service port `nope` names no container port"),
        "{unknown}"
    );
}

#[test]
fn a_headless_service_port_may_target_another_container_port() {
    let toml = format!(
        "{APP}ports = {{ client = 2181, gossip = {{ port = 7946, protocol = \"UDP\" }} }}\n\
         [service]\nports = {{ tcp-client = {{ port = 2181, target_port = \"client\" }}, \
         udp-gossip = {{ port = 17946, target_port = 7946 }}, raw = {{ port = 9000, target_port = 9999 }}, \
         client = {{ port = 12181 }} }}\n"
    );
    let m = model(&toml);
    let ports: Vec<(&str, i64, &IntOrString, &str)> = (m.service.ports.iter())
        .map(|p| (p.name.as_str(), p.port, &p.target_port, p.protocol.as_str()))
        .collect();
    let name = |n: &str| IntOrString::String(n.to_owned());
    assert_eq!(
        ports,
        [
            // No `target_port`: the container port named like the entry.
            ("client", 12181, &name("client"), "TCP"),
            // A number no container declares: TCP.
            ("raw", 9000, &IntOrString::Int(9999), "TCP"),
            ("tcp-client", 2181, &name("client"), "TCP"),
            // A number a container declares: that port's protocol.
            ("udp-gossip", 17946, &IntOrString::Int(7946), "UDP"),
        ]
    );
    let out = render(&toml).unwrap();
    assert!(
        out.contains("    - name: tcp-client\n      port: 2181\n      targetPort: client\n      protocol: TCP\n"),
        "{out}"
    );
    assert!(
        out.contains("    - name: udp-gossip\n      port: 17946\n      targetPort: 7946\n      protocol: UDP\n"),
        "{out}"
    );
    // The number form is unchanged: the entry names the container port.
    let plain = render(&format!(
        "{APP}ports = {{ client = 2181 }}\n[service]\nports = {{ client = 2181 }}\n"
    ))
    .unwrap();
    assert!(
        plain.contains(
            "    - name: client\n      port: 2181\n      targetPort: client\n      protocol: TCP\n"
        ),
        "{plain}"
    );
}

#[test]
fn a_data_table_s_labels_go_over_the_app_s_on_that_object_only() {
    let body = |labels: &str| {
        format!(
            "{APP}labels = {{ tier = \"db\", team = \"data\" }}\nhash_suffix = true\n\
             [configmaps.conf]\nliterals = {{ A = \"1\" }}\nenv_from = true\n{labels}\n\
             [secrets.pw]\nliterals = {{ P = \"hunter2\" }}\nenv_from = true\n{labels}\n"
        )
    };
    let plain = model(&body(""));
    let own = model(&body(
        "labels = { tier = \"config\", \"example.com/part\" = \"x\" }",
    ));
    for (p, o) in [
        (&plain.config_maps[0].metadata, &own.config_maps[0].metadata),
        (&plain.secrets[0].metadata, &own.secrets[0].metadata),
    ] {
        // Labels are not content: the kustomize name and the config hash stay.
        assert_eq!(p.name, o.name);
        assert_eq!(p.labels["tier"], "db");
        assert_eq!(o.labels["tier"], "config");
        assert_eq!(o.labels["team"], "data", "the app's other labels stay");
        assert_eq!(o.labels["example.com/part"], "x");
        assert_eq!(o.labels["app.kubernetes.io/name"], "zk");
    }
    assert!(plain.config_maps[0].metadata.name.starts_with("conf-"));
    assert_eq!(config_hash(&plain), config_hash(&own));
    // Only those objects: the StatefulSet, its pods and the Service keep the app's.
    assert_eq!(own.stateful_set.metadata.labels["tier"], "db");
    assert_eq!(own.stateful_set.pod.labels["tier"], "db");
    assert_eq!(own.service.metadata.labels, plain.service.metadata.labels);
}
