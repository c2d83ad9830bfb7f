//! The YAML the templates print, read back with a YAML parser, says exactly
//! what the model says: every name, label, annotation, value, port, probe,
//! mount and claim. A template that drops or mangles a field fails here.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use kubetoml::model::*;
use kubetoml::{Options, Templates};
use serde_yaml::Value;

fn fixture_env() -> BTreeMap<String, Vec<u8>> {
    [("PG_PASSWORD", "pw"), ("REGISTRY_TOKEN", "token")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.as_bytes().to_vec()))
        .collect()
}

/// Compiles an example (or any description text) to its model and its parsed documents.
fn model_and_docs(dir: &Path, name: &str, source: &str) -> (Model, Vec<Value>) {
    let options = Options::new().env(fixture_env());
    let resolved = kubetoml::resolve(name, source, dir, &options)
        .unwrap_or_else(|e| panic!("{}", e.draw(false)));
    let model = resolved.model().clone();
    let yaml = resolved.render(&Templates::builtin()).unwrap().to_yaml();
    let docs = serde_yaml::Deserializer::from_str(&yaml)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect();
    (model, docs)
}

fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v:?}"))
}

fn string_map(v: &Value) -> StringMap {
    v.as_mapping()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (s(k).to_owned(), s(v).to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn seq(v: &Value) -> &[Value] {
    v.as_sequence().map_or(&[], |s| s.as_slice())
}

fn strings(v: &Value) -> Vec<String> {
    seq(v).iter().map(|x| s(x).to_owned()).collect()
}

fn opt_i64(v: &Value) -> Option<i64> {
    v.as_i64()
}

fn b64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

fn check_metadata(m: &Metadata, v: &Value) {
    assert_eq!(s(&v["name"]), m.name);
    assert_eq!(v["namespace"].as_str(), m.namespace.as_deref());
    assert_eq!(string_map(&v["labels"]), m.labels);
    assert_eq!(string_map(&v["annotations"]), m.annotations);
}

fn int_or_string(v: &Value) -> IntOrString {
    match v.as_i64() {
        Some(n) => IntOrString::Int(n),
        None => IntOrString::String(s(v).to_owned()),
    }
}

fn check_handler(h: &Handler, v: &Value) {
    match h {
        Handler::Exec { command } => assert_eq!(&strings(&v["exec"]["command"]), command),
        Handler::Http {
            path,
            port,
            scheme,
            host,
            headers,
        } => {
            let get = &v["httpGet"];
            assert_eq!(s(&get["path"]), path);
            assert_eq!(&int_or_string(&get["port"]), port);
            assert_eq!(get["scheme"].as_str(), scheme.map(|x| x.as_str()));
            assert_eq!(get["host"].as_str(), host.as_deref());
            let read: Vec<(String, String)> = seq(&get["httpHeaders"])
                .iter()
                .map(|h| (s(&h["name"]).to_owned(), s(&h["value"]).to_owned()))
                .collect();
            assert_eq!(&read, headers);
        }
        Handler::Tcp { port } => assert_eq!(&int_or_string(&v["tcpSocket"]["port"]), port),
        Handler::Grpc { port, service } => {
            assert_eq!(v["grpc"]["port"].as_i64(), Some(*port));
            assert_eq!(v["grpc"]["service"].as_str(), service.as_deref());
        }
        Handler::Sleep { seconds } => assert_eq!(v["sleep"]["seconds"].as_i64(), Some(*seconds)),
    }
}

fn check_probe(p: &Option<Probe>, v: &Value) {
    let Some(p) = p else {
        assert!(v.is_null(), "no probe expected, got {v:?}");
        return;
    };
    check_handler(&p.handler, v);
    assert_eq!(opt_i64(&v["initialDelaySeconds"]), p.initial_delay);
    assert_eq!(opt_i64(&v["periodSeconds"]), p.period);
    assert_eq!(opt_i64(&v["timeoutSeconds"]), p.timeout);
    assert_eq!(opt_i64(&v["successThreshold"]), p.success_threshold);
    assert_eq!(opt_i64(&v["failureThreshold"]), p.failure_threshold);
}

fn check_container(c: &Container, v: &Value) {
    assert_eq!(s(&v["name"]), c.name);
    assert_eq!(s(&v["image"]), c.image);
    assert_eq!(
        v["imagePullPolicy"].as_str(),
        c.image_pull_policy.map(|x| x.as_str())
    );
    assert_eq!(strings(&v["command"]), c.command);
    assert_eq!(strings(&v["args"]), c.args);
    assert_eq!(v["workingDir"].as_str(), c.working_dir.as_deref());
    let ports = seq(&v["ports"]);
    assert_eq!(ports.len(), c.ports.len());
    for (p, y) in c.ports.iter().zip(ports) {
        assert_eq!(s(&y["name"]), p.name);
        assert_eq!(y["containerPort"].as_i64(), Some(p.container_port));
        assert_eq!(s(&y["protocol"]), p.protocol.as_str());
    }
    let env = seq(&v["env"]);
    assert_eq!(env.len(), c.env.len());
    for (e, y) in c.env.iter().zip(env) {
        assert_eq!(s(&y["name"]), e.name);
        match &e.source {
            EnvSource::Value { value } => assert_eq!(s(&y["value"]), value),
            EnvSource::ConfigMap { object, key } => {
                assert_eq!(s(&y["valueFrom"]["configMapKeyRef"]["name"]), object);
                assert_eq!(s(&y["valueFrom"]["configMapKeyRef"]["key"]), key);
            }
            EnvSource::Secret { object, key } => {
                assert_eq!(s(&y["valueFrom"]["secretKeyRef"]["name"]), object);
                assert_eq!(s(&y["valueFrom"]["secretKeyRef"]["key"]), key);
            }
            EnvSource::Field { path } => {
                assert_eq!(s(&y["valueFrom"]["fieldRef"]["fieldPath"]), path);
            }
            EnvSource::Resource {
                container,
                resource,
                divisor,
            } => {
                let r = &y["valueFrom"]["resourceFieldRef"];
                assert_eq!(r["containerName"].as_str(), container.as_deref());
                assert_eq!(s(&r["resource"]), resource);
                assert_eq!(r["divisor"].as_str(), divisor.as_ref().map(|d| d.as_str()));
            }
        }
    }
    let env_from = seq(&v["envFrom"]);
    assert_eq!(env_from.len(), c.env_from.len());
    for (e, y) in c.env_from.iter().zip(env_from) {
        let field = match e.kind {
            ObjectKind::ConfigMap => "configMapRef",
            ObjectKind::Secret => "secretRef",
        };
        assert_eq!(s(&y[field]["name"]), e.name);
    }
    let text = |m: &BTreeMap<String, Quantity>| -> StringMap {
        m.iter().map(|(k, q)| (k.clone(), q.to_string())).collect()
    };
    assert_eq!(
        string_map(&v["resources"]["requests"]),
        text(&c.resources.requests)
    );
    assert_eq!(
        string_map(&v["resources"]["limits"]),
        text(&c.resources.limits)
    );
    check_probe(&c.readiness_probe, &v["readinessProbe"]);
    check_probe(&c.liveness_probe, &v["livenessProbe"]);
    check_probe(&c.startup_probe, &v["startupProbe"]);
    for (hook, field) in [(&c.post_start, "postStart"), (&c.pre_stop, "preStop")] {
        match hook {
            Some(h) => check_handler(h, &v["lifecycle"][field]),
            None => assert!(v["lifecycle"][field].is_null()),
        }
    }
    let mounts = seq(&v["volumeMounts"]);
    assert_eq!(mounts.len(), c.volume_mounts.len());
    for (m, y) in c.volume_mounts.iter().zip(mounts) {
        assert_eq!(s(&y["name"]), m.name);
        assert_eq!(s(&y["mountPath"]), m.mount_path);
        assert_eq!(y["subPath"].as_str(), m.sub_path.as_deref());
        assert_eq!(y["readOnly"].as_bool().unwrap_or(false), m.read_only);
    }
    match &c.security_context {
        None => assert!(v["securityContext"].is_null()),
        Some(sc) => {
            let y = &v["securityContext"];
            assert_eq!(opt_i64(&y["runAsUser"]), sc.run_as_user);
            assert_eq!(opt_i64(&y["runAsGroup"]), sc.run_as_group);
            assert_eq!(y["runAsNonRoot"].as_bool(), sc.run_as_non_root);
            assert_eq!(
                y["readOnlyRootFilesystem"].as_bool(),
                sc.read_only_root_filesystem
            );
            assert_eq!(
                y["allowPrivilegeEscalation"].as_bool(),
                sc.allow_privilege_escalation
            );
            assert_eq!(y["privileged"].as_bool(), sc.privileged);
            assert_eq!(strings(&y["capabilities"]["add"]), sc.capabilities_add);
            assert_eq!(strings(&y["capabilities"]["drop"]), sc.capabilities_drop);
            assert_eq!(
                y["seccompProfile"]["type"].as_str(),
                sc.seccomp_profile.map(|x| x.as_str())
            );
        }
    }
}

fn check(model: &Model, docs: &[Value]) {
    let optional = [
        model.namespace.is_some(),
        model.service_account.is_some(),
        model.client_service.is_some(),
        model.disruption_budget.is_some(),
        model.network_policy.is_some(),
    ];
    let expected = model.config_maps.len()
        + model.secrets.len()
        + model.extra_manifests.len()
        + 2
        + optional.iter().filter(|o| **o).count();
    assert_eq!(docs.len(), expected);
    let mut docs = docs.iter();

    if let Some(ns) = &model.namespace {
        let y = docs.next().unwrap();
        assert_eq!(s(&y["kind"]), "Namespace");
        assert!(y["metadata"]["namespace"].is_null());
        check_metadata(&ns.metadata, &y["metadata"]);
    }
    if let Some(sa) = &model.service_account {
        let y = docs.next().unwrap();
        assert_eq!(s(&y["kind"]), "ServiceAccount");
        check_metadata(&sa.metadata, &y["metadata"]);
    }

    for cm in &model.config_maps {
        let y = docs.next().unwrap();
        assert_eq!(s(&y["kind"]), "ConfigMap");
        check_metadata(&cm.metadata, &y["metadata"]);
        assert_eq!(string_map(&y["data"]), cm.data);
        let binary: BTreeMap<String, Vec<u8>> = string_map(&y["binaryData"])
            .into_iter()
            .map(|(k, v)| (k, b64(&v)))
            .collect();
        let expected: BTreeMap<String, Vec<u8>> = cm
            .binary_data
            .iter()
            .map(|(k, v)| (k.clone(), v.0.clone()))
            .collect();
        assert_eq!(binary, expected);
        assert_eq!(y["immutable"].as_bool().unwrap_or(false), cm.immutable);
    }
    for secret in &model.secrets {
        let y = docs.next().unwrap();
        assert_eq!(s(&y["kind"]), "Secret");
        check_metadata(&secret.metadata, &y["metadata"]);
        assert_eq!(s(&y["type"]), secret.type_.as_str());
        let data: BTreeMap<String, Vec<u8>> = string_map(&y["data"])
            .into_iter()
            .map(|(k, v)| (k, b64(&v)))
            .collect();
        let expected: BTreeMap<String, Vec<u8>> = secret
            .data
            .iter()
            .map(|(k, v)| (k.clone(), v.0.clone()))
            .collect();
        assert_eq!(data, expected);
        assert_eq!(y["immutable"].as_bool().unwrap_or(false), secret.immutable);
    }

    let y = docs.next().unwrap();
    let svc = &model.service;
    assert_eq!(s(&y["kind"]), "Service");
    check_metadata(&svc.metadata, &y["metadata"]);
    assert_eq!(s(&y["spec"]["clusterIP"]), "None");
    assert_eq!(string_map(&y["spec"]["selector"]), svc.selector);
    assert_eq!(
        y["spec"]["publishNotReadyAddresses"]
            .as_bool()
            .unwrap_or(false),
        svc.publish_not_ready_addresses
    );
    let ports = seq(&y["spec"]["ports"]);
    assert_eq!(ports.len(), svc.ports.len());
    for (p, v) in svc.ports.iter().zip(ports) {
        assert_eq!(s(&v["name"]), p.name);
        assert_eq!(v["port"].as_i64(), Some(p.port));
        assert_eq!(int_or_string(&v["targetPort"]), p.target_port);
        assert_eq!(s(&v["protocol"]), p.protocol.as_str());
    }

    check_companions(model, &mut docs);

    let y = docs.next().unwrap();
    let sts = &model.stateful_set;
    assert_eq!(s(&y["kind"]), "StatefulSet");
    check_metadata(&sts.metadata, &y["metadata"]);
    let spec = &y["spec"];
    assert_eq!(spec["replicas"].as_i64(), Some(sts.replicas));
    assert_eq!(s(&spec["serviceName"]), sts.service_name);
    assert_eq!(
        s(&spec["podManagementPolicy"]),
        sts.pod_management_policy.as_str()
    );
    assert_eq!(string_map(&spec["selector"]["matchLabels"]), sts.selector);
    assert_eq!(
        s(&spec["updateStrategy"]["type"]),
        sts.update_strategy.type_.as_str()
    );
    let rolling = &spec["updateStrategy"]["rollingUpdate"];
    assert_eq!(
        opt_i64(&rolling["partition"]),
        sts.update_strategy.partition
    );
    assert_eq!(
        (!rolling["maxUnavailable"].is_null()).then(|| int_or_string(&rolling["maxUnavailable"])),
        sts.update_strategy.max_unavailable
    );
    assert_eq!(opt_i64(&spec["minReadySeconds"]), sts.min_ready_seconds);
    assert_eq!(
        opt_i64(&spec["revisionHistoryLimit"]),
        sts.revision_history_limit
    );
    assert_eq!(opt_i64(&spec["ordinals"]["start"]), sts.ordinals_start);
    let retention = &spec["persistentVolumeClaimRetentionPolicy"];
    assert_eq!(
        sts.pvc_retention_policy
            .as_ref()
            .map(|r| (r.when_deleted.as_str(), r.when_scaled.as_str())),
        retention["whenDeleted"]
            .as_str()
            .zip(retention["whenScaled"].as_str())
    );

    let pod = &sts.pod;
    let template = &spec["template"];
    assert_eq!(string_map(&template["metadata"]["labels"]), pod.labels);
    assert_eq!(
        string_map(&template["metadata"]["annotations"]),
        pod.annotations
    );
    let ps = &template["spec"];
    assert_eq!(
        ps["serviceAccountName"].as_str(),
        pod.service_account.as_deref()
    );
    assert_eq!(
        ps["automountServiceAccountToken"].as_bool(),
        pod.automount_service_account_token
    );
    assert_eq!(
        opt_i64(&ps["terminationGracePeriodSeconds"]),
        pod.termination_grace_period
    );
    assert_eq!(string_map(&ps["nodeSelector"]), pod.node_selector);
    let pull: Vec<String> = seq(&ps["imagePullSecrets"])
        .iter()
        .map(|p| s(&p["name"]).to_owned())
        .collect();
    assert_eq!(pull, pod.image_pull_secrets);
    match &pod.security_context {
        None => assert!(ps["securityContext"].is_null()),
        Some(sc) => {
            let y = &ps["securityContext"];
            assert_eq!(opt_i64(&y["runAsUser"]), sc.run_as_user);
            assert_eq!(opt_i64(&y["runAsGroup"]), sc.run_as_group);
            assert_eq!(y["runAsNonRoot"].as_bool(), sc.run_as_non_root);
            assert_eq!(opt_i64(&y["fsGroup"]), sc.fs_group);
            assert_eq!(
                y["seccompProfile"]["type"].as_str(),
                sc.seccomp_profile.map(|x| x.as_str())
            );
        }
    }
    let tolerations = seq(&ps["tolerations"]);
    assert_eq!(tolerations.len(), pod.tolerations.len());
    for (t, y) in pod.tolerations.iter().zip(tolerations) {
        assert_eq!(y["key"].as_str(), t.key.as_deref());
        assert_eq!(s(&y["operator"]), t.operator.as_str());
        assert_eq!(y["value"].as_str(), t.value.as_deref());
        assert_eq!(y["effect"].as_str(), t.effect.map(|x| x.as_str()));
        assert_eq!(opt_i64(&y["tolerationSeconds"]), t.toleration_seconds);
    }
    let spread = seq(&ps["topologySpreadConstraints"]);
    assert_eq!(spread.len(), pod.topology_spread.len());
    for (t, y) in pod.topology_spread.iter().zip(spread) {
        assert_eq!(y["maxSkew"].as_i64(), Some(t.max_skew));
        assert_eq!(s(&y["topologyKey"]), t.topology_key);
        assert_eq!(s(&y["whenUnsatisfiable"]), t.when_unsatisfiable.as_str());
        assert_eq!(
            string_map(&y["labelSelector"]["matchLabels"]),
            t.match_labels
        );
    }
    for (list, field) in [
        (&pod.init_containers, "initContainers"),
        (&pod.containers, "containers"),
    ] {
        let ys = seq(&ps[field]);
        assert_eq!(ys.len(), list.len(), "{field}");
        for (c, y) in list.iter().zip(ys) {
            check_container(c, y);
        }
    }
    assert_eq!(
        ps["priorityClassName"].as_str(),
        pod.priority_class_name.as_deref()
    );
    check_affinity(pod.affinity.as_ref(), &ps["affinity"]);
    let aliases = seq(&ps["hostAliases"]);
    assert_eq!(aliases.len(), pod.host_aliases.len());
    for (a, y) in pod.host_aliases.iter().zip(aliases) {
        assert_eq!(s(&y["ip"]), a.ip);
        assert_eq!(strings(&y["hostnames"]), a.hostnames);
    }
    assert_eq!(ps["dnsPolicy"].as_str(), pod.dns_policy.map(|p| p.as_str()));
    match &pod.dns_config {
        None => assert!(ps["dnsConfig"].is_null()),
        Some(d) => {
            let y = &ps["dnsConfig"];
            assert_eq!(strings(&y["nameservers"]), d.nameservers);
            assert_eq!(strings(&y["searches"]), d.searches);
            let options: Vec<(String, Option<String>)> = seq(&y["options"])
                .iter()
                .map(|o| {
                    (
                        s(&o["name"]).to_owned(),
                        o["value"].as_str().map(str::to_owned),
                    )
                })
                .collect();
            let expected: Vec<(String, Option<String>)> = (d.options.iter())
                .map(|o| (o.name.clone(), o.value.clone()))
                .collect();
            assert_eq!(options, expected);
        }
    }
    let volumes = seq(&ps["volumes"]);
    assert_eq!(volumes.len(), pod.volumes.len() + pod.other_volumes.len());
    let (volumes, others) = volumes.split_at(pod.volumes.len());
    for (v, y) in pod.other_volumes.iter().zip(others) {
        assert_eq!(s(&y["name"]), v.name);
        match &v.source {
            VolumeSource::EmptyDir { medium, size_limit } => {
                let e = &y["emptyDir"];
                assert!(e.is_mapping());
                assert_eq!(e["medium"].as_str(), medium.map(|m| m.as_str()));
                assert_eq!(
                    e["sizeLimit"].as_str(),
                    size_limit.as_ref().map(|q| q.as_str())
                );
            }
            VolumeSource::Claim {
                claim_name,
                read_only,
            } => {
                let c = &y["persistentVolumeClaim"];
                assert_eq!(s(&c["claimName"]), claim_name);
                assert_eq!(c["readOnly"].as_bool().unwrap_or(false), *read_only);
            }
        }
    }
    for (v, y) in pod.volumes.iter().zip(volumes) {
        assert_eq!(s(&y["name"]), v.name);
        let source = match v.kind {
            ObjectKind::ConfigMap => {
                assert_eq!(s(&y["configMap"]["name"]), v.object);
                &y["configMap"]
            }
            ObjectKind::Secret => {
                assert_eq!(s(&y["secret"]["secretName"]), v.object);
                &y["secret"]
            }
        };
        let items: Vec<(String, String)> = seq(&source["items"])
            .iter()
            .map(|i| (s(&i["key"]).to_owned(), s(&i["path"]).to_owned()))
            .collect();
        let expected: Vec<(String, String)> = v
            .items
            .iter()
            .map(|i| (i.key.clone(), i.path.clone()))
            .collect();
        assert_eq!(items, expected);
        assert_eq!(opt_i64(&source["defaultMode"]), v.default_mode);
    }
    for m in &model.extra_manifests {
        let y = docs.next().unwrap();
        assert_eq!(s(&y["kind"]), m.kind);
        assert_eq!(s(&y["metadata"]["name"]), m.name);
        assert_eq!(y["metadata"]["namespace"].as_str(), m.namespace.as_deref());
        let printed: Value = serde_yaml::from_str(&m.yaml).unwrap();
        assert_eq!(&printed, y);
    }
    let claims = seq(&spec["volumeClaimTemplates"]);
    assert_eq!(claims.len(), sts.claims.len());
    for (c, y) in sts.claims.iter().zip(claims) {
        assert_eq!(s(&y["metadata"]["name"]), c.name);
        assert_eq!(string_map(&y["metadata"]["labels"]), c.labels);
        assert_eq!(
            strings(&y["spec"]["accessModes"]),
            (c.access_modes.iter().map(|m| m.to_string())).collect::<Vec<_>>()
        );
        assert_eq!(
            y["spec"]["storageClassName"].as_str(),
            c.storage_class.as_deref()
        );
        assert_eq!(
            s(&y["spec"]["resources"]["requests"]["storage"]),
            c.size.as_str()
        );
    }
}

fn check_affinity(a: Option<&Affinity>, y: &Value) {
    let Some(a) = a else {
        assert!(y.is_null());
        return;
    };
    let node = |v: &Value| NodeRequirement {
        key: s(&v["key"]).to_owned(),
        values: strings(&v["values"]),
    };
    let pair = |n: &NodeRequirement| (n.key.clone(), n.values.clone());
    let required = &y["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"];
    let terms = seq(&required["nodeSelectorTerms"]);
    assert!(terms.len() <= 1, "one term: every requirement must hold");
    let got: Vec<_> = terms
        .iter()
        .flat_map(|t| seq(&t["matchExpressions"]))
        .inspect(|e| assert_eq!(s(&e["operator"]), "In"))
        .map(|e| pair(&node(e)))
        .collect();
    assert_eq!(got, a.required_nodes.iter().map(pair).collect::<Vec<_>>());
    let preferred = seq(&y["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]);
    let got: Vec<_> = preferred
        .iter()
        .inspect(|p| assert_eq!(p["weight"].as_i64(), Some(a.preference_weight)))
        .flat_map(|p| seq(&p["preference"]["matchExpressions"]))
        .map(|e| pair(&node(e)))
        .collect();
    assert_eq!(got, a.preferred_nodes.iter().map(pair).collect::<Vec<_>>());
    for (rules, field) in [(&a.near, "podAffinity"), (&a.away_from, "podAntiAffinity")] {
        let term = |t: &PodTerm| (t.topology_key.clone(), t.match_labels.clone());
        let read = |v: &Value| {
            (
                s(&v["topologyKey"]).to_owned(),
                string_map(&v["labelSelector"]["matchLabels"]),
            )
        };
        let required: Vec<_> = seq(&y[field]["requiredDuringSchedulingIgnoredDuringExecution"])
            .iter()
            .map(read)
            .collect();
        assert_eq!(
            required,
            rules.required.iter().map(term).collect::<Vec<_>>()
        );
        let preferred: Vec<_> = seq(&y[field]["preferredDuringSchedulingIgnoredDuringExecution"])
            .iter()
            .inspect(|p| assert_eq!(p["weight"].as_i64(), Some(a.preference_weight)))
            .map(|p| read(&p["podAffinityTerm"]))
            .collect();
        assert_eq!(
            preferred,
            rules.preferred.iter().map(term).collect::<Vec<_>>()
        );
    }
}

/// The client Service, the PodDisruptionBudget and the NetworkPolicy, in that order.
fn check_companions<'a>(model: &Model, docs: &mut impl Iterator<Item = &'a Value>) {
    if let Some(c) = &model.client_service {
        let y = docs.next().unwrap();
        assert_eq!(s(&y["kind"]), "Service");
        check_metadata(&c.metadata, &y["metadata"]);
        assert!(y["spec"]["clusterIP"].is_null());
        assert_eq!(s(&y["spec"]["type"]), c.type_.as_str());
        assert_eq!(string_map(&y["spec"]["selector"]), c.selector);
        let ports = seq(&y["spec"]["ports"]);
        assert_eq!(ports.len(), c.ports.len());
        for (p, v) in c.ports.iter().zip(ports) {
            assert_eq!(s(&v["name"]), p.name);
            assert_eq!(v["port"].as_i64(), Some(p.port));
            assert_eq!(int_or_string(&v["targetPort"]), p.target_port);
            assert_eq!(s(&v["protocol"]), p.protocol.as_str());
        }
    }
    if let Some(b) = &model.disruption_budget {
        let y = docs.next().unwrap();
        assert_eq!(s(&y["kind"]), "PodDisruptionBudget");
        check_metadata(&b.metadata, &y["metadata"]);
        let spec = &y["spec"];
        assert_eq!(string_map(&spec["selector"]["matchLabels"]), b.selector);
        let limit = |v: &Value| (!v.is_null()).then(|| int_or_string(v));
        assert_eq!(limit(&spec["maxUnavailable"]), b.max_unavailable);
        assert_eq!(limit(&spec["minAvailable"]), b.min_available);
    }
    if let Some(p) = &model.network_policy {
        let y = docs.next().unwrap();
        assert_eq!(s(&y["kind"]), "NetworkPolicy");
        check_metadata(&p.metadata, &y["metadata"]);
        let spec = &y["spec"];
        assert_eq!(
            string_map(&spec["podSelector"]["matchLabels"]),
            p.pod_selector
        );
        assert_eq!(strings(&spec["policyTypes"]), ["Ingress"]);
        let rules = seq(&spec["ingress"]);
        if p.ports.is_empty() {
            assert!(rules.is_empty(), "nothing listens: nothing is admitted");
            return;
        }
        let [rule] = rules else {
            panic!("one ingress rule")
        };
        let from = seq(&rule["from"]);
        assert_eq!(from.len(), p.from.len());
        for (peer, v) in p.from.iter().zip(from) {
            let selector = |v: &Value| {
                v.as_mapping()
                    .is_some()
                    .then(|| string_map(&v["matchLabels"]))
            };
            assert_eq!(selector(&v["podSelector"]), peer.pod_labels);
            assert_eq!(selector(&v["namespaceSelector"]), peer.namespace_labels);
        }
        let ports: Vec<(i64, String)> = seq(&rule["ports"])
            .iter()
            .map(|v| (v["port"].as_i64().unwrap(), s(&v["protocol"]).to_owned()))
            .collect();
        let expected: Vec<(i64, String)> = (p.ports.iter())
            .map(|x| (x.port, x.protocol.as_str().to_owned()))
            .collect();
        assert_eq!(ports, expected);
    }
}

#[test]
fn every_example_reads_back_as_its_model() {
    for example in [
        "web/web.toml",
        "myapp/myapp.toml",
        "hook-demo/hook-demo.toml",
        "postgres/postgres.toml",
        "zookeeper/zookeeper.toml",
    ] {
        let path = Path::new("examples").join(example);
        let source = std::fs::read_to_string(&path).unwrap();
        let (model, docs) = model_and_docs(path.parent().unwrap(), example, &source);
        check(&model, &docs);
    }
}

#[test]
fn a_description_using_every_field_reads_back_as_its_model() {
    let dir = Path::new("tests/fixtures/everything");
    let source = std::fs::read_to_string(dir.join("everything.toml")).unwrap();
    let (model, docs) = model_and_docs(dir, "everything.toml", &source);
    check(&model, &docs);
    // And the model holds what the description says, so the comparison above is not vacuous.
    let sts = &model.stateful_set;
    assert_eq!(sts.pod.containers.len(), 2);
    assert_eq!(sts.pod.init_containers.len(), 1);
    assert_eq!(sts.claims.len(), 2);
    // `one-file` is generated; `cluster-ca` and the `tls` Secret are external.
    assert_eq!(model.config_maps.len(), 3);
    assert_eq!(model.secrets.len(), 3);
    assert!(model
        .config_maps
        .iter()
        .any(|c| c.metadata.name.starts_with("env-")));
    assert_eq!(
        model
            .config_maps
            .iter()
            .find(|c| c.metadata.name == "settings")
            .unwrap()
            .binary_data
            .len(),
        1
    );
    assert_eq!(sts.pod.topology_spread.len(), 1);
    assert_eq!(model.namespace.as_ref().unwrap().metadata.name, "prod");
    let account = model.service_account.as_ref().unwrap();
    assert_eq!(
        sts.pod.service_account.as_ref(),
        Some(&account.metadata.name)
    );
    assert_eq!(sts.pod.automount_service_account_token, Some(false));
    let client = model.client_service.as_ref().unwrap();
    assert_eq!(client.ports.len(), 2);
    assert_eq!(client.type_, ServiceType::LoadBalancer);
    let budget = model.disruption_budget.as_ref().unwrap();
    assert_eq!(
        budget.max_unavailable,
        Some(IntOrString::String("50%".into()))
    );
    let policy = model.network_policy.as_ref().unwrap();
    assert_eq!(policy.from.len(), 5);
    assert_eq!(
        policy.ports.len(),
        4,
        "every container's ports, the sidecar's too"
    );
    assert!(sts.pod.containers[0].readiness_probe.is_some());
    assert!(sts.pod.containers[0].pre_stop.is_some());
    let extra: Vec<(&str, Option<&str>)> = (model.extra_manifests.iter())
        .map(|m| (m.kind.as_str(), m.namespace.as_deref()))
        .collect();
    assert_eq!(
        extra,
        [
            ("ServiceMonitor", Some("prod")),
            ("Ingress", Some("edge")),
            ("PriorityClass", None)
        ],
        "the app's namespace where none is written, never on a cluster-scoped kind"
    );
    let ingress: Value = serde_yaml::from_str(&model.extra_manifests[1].yaml).unwrap();
    let labels = string_map(&ingress["metadata"]["labels"]);
    assert_eq!(
        labels["app.kubernetes.io/name"], "edge-router",
        "theirs kept"
    );
    assert_eq!(labels["tier"], "db", "the app's added");
    assert_eq!(sts.pod.other_volumes.len(), 3);
    assert_eq!(sts.pod.host_aliases.len(), 2);
    let affinity = sts.pod.affinity.as_ref().unwrap();
    assert_eq!(affinity.required_nodes.len(), 2);
    assert_eq!(affinity.preferred_nodes.len(), 1);
    assert_eq!(affinity.near.preferred.len(), 1);
    assert_eq!(affinity.away_from.required.len(), 1);
    assert_eq!(affinity.away_from.preferred.len(), 1);
    assert_eq!(sts.pod.dns_policy, Some(DnsPolicy::None));
    assert_eq!(sts.pod.dns_config.as_ref().unwrap().options.len(), 2);
    assert_eq!(sts.pod.priority_class_name.as_deref(), Some("high"));
    assert_eq!(sts.pod.annotations["prometheus.io/scrape"], "true");
    assert!(
        !model
            .stateful_set
            .metadata
            .annotations
            .contains_key("prometheus.io/scrape"),
        "pod annotations are on the pods only"
    );
    assert!(
        (model.secrets.iter()).all(|s| s.metadata.name != "tls"),
        "an external Secret is never emitted"
    );
    let main = &sts.pod.containers[0];
    let es = main
        .volume_mounts
        .iter()
        .find(|m| m.mount_path == "/etc/app/app.yml")
        .unwrap();
    assert_eq!(es.sub_path.as_deref(), Some("multi"));
    let downward = |c: &Container| {
        (c.env.iter())
            .filter(|e| {
                matches!(
                    e.source,
                    EnvSource::Field { .. } | EnvSource::Resource { .. }
                )
            })
            .count()
    };
    assert_eq!(downward(&sts.pod.containers[0]), 4);
    assert_eq!(downward(&sts.pod.containers[1]), 1);
    assert_eq!(downward(&sts.pod.init_containers[0]), 1);
}

#[test]
fn sidecars_read_keys_by_their_generated_names() {
    let dir = Path::new("tests/fixtures/everything");
    let source = std::fs::read_to_string(dir.join("everything.toml")).unwrap();
    let (model, _) = model_and_docs(dir, "everything.toml", &source);
    let sidecar = &model.stateful_set.pod.containers[1];
    let env: BTreeMap<&str, &EnvSource> = sidecar
        .env
        .iter()
        .map(|e| (e.name.as_str(), &e.source))
        .collect();
    assert_eq!(
        env["PASS"],
        &EnvSource::Secret {
            object: "creds".into(),
            key: "password".into()
        }
    );
    assert_eq!(
        env["LEVEL"],
        &EnvSource::ConfigMap {
            object: "settings".into(),
            key: "yes".into()
        }
    );
    let hashed = model
        .config_maps
        .iter()
        .find(|c| c.metadata.name.starts_with("env-"))
        .unwrap();
    let from: Vec<&str> = sidecar.env_from.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        from,
        [hashed.metadata.name.as_str(), "basic"],
        "envFrom follows the hash suffix"
    );
}

/// The every-field fixture's YAML, as text: a change in how any field is
/// spelled (a boolean printed `True`, a quoted number) shows up here, even
/// where a YAML reader would accept both spellings.
#[test]
fn a_description_using_every_field_renders_as_snapshotted() {
    let dir = Path::new("tests/fixtures/everything");
    let source = std::fs::read_to_string(dir.join("everything.toml")).unwrap();
    let options = Options::new().env(fixture_env());
    let yaml = kubetoml::resolve("everything.toml", &source, dir, &options)
        .unwrap_or_else(|e| panic!("{}", e.draw(false)))
        .render(&Templates::builtin())
        .unwrap()
        .to_yaml();
    for line in yaml.lines() {
        let value = line.split_once(": ").map_or("", |(_, v)| v);
        assert!(
            !matches!(value, "True" | "False"),
            "a boolean printed Python-style: {line}"
        );
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("everything_yaml", yaml));
}
