//! The objects beside a StatefulSet that a description can say: its
//! Namespace, ServiceAccount, client Service, PodDisruptionBudget and NetworkPolicy.
//!
//! Each is taken when it selects exactly the StatefulSet's pods and has the
//! shape kubetoml writes; the comparison then lists what still differs. One
//! that does not fit is left to the caller, which lists it as not expressible.

use crate::read::yamlread::Value;

use super::shared::Object;
use super::shared::{inherited, push, set, str_table, DataFile, SERVER_ANNOTATIONS};
use super::toml_out::{Doc, Entries, Val};
use super::value::{int, items, string_map, strings, text};

/// The label Kubernetes sets on every Namespace to its own name.
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Writes what the companions of StatefulSet `set` need into `doc`; returns their indices.
pub fn companions(objects: &[Object], set: usize, doc: &mut Doc) -> Vec<usize> {
    let sts = &objects[set];
    let selector = sorted(string_map(&sts.value["spec"]["selector"]["matchLabels"]));
    let ours = |o: &Object, kind: &str| o.kind == kind && o.namespace == sts.namespace;
    let mut used = Vec::new();
    if let Some(ns) = &sts.namespace {
        if let Some(i) = objects
            .iter()
            .position(|o| o.kind == "Namespace" && o.name == *ns)
        {
            doc.top
                .push(("create_namespace".to_owned(), Val::Bool(true)));
            used.push(i);
        }
    }
    used.extend(service_account(objects, sts, doc).into_iter().flatten());
    let headless = text(&sts.value["spec"]["serviceName"]);
    let selecting: Vec<usize> = (0..objects.len())
        .filter(|&i| {
            let o = &objects[i];
            ours(o, "Service")
                && Some(&o.name) != headless.as_ref()
                && text(&o.value["spec"]["clusterIP"]).as_deref() != Some("None")
                && sorted(string_map(&o.value["spec"]["selector"])) == selector
        })
        .collect();
    // The app's own Service before a sidecar's (a metrics exporter's).
    let main = &sts.value["spec"]["template"]["spec"]["containers"][0];
    let client = (selecting.iter().copied())
        .find(|&i| reaches_main(&objects[i].value, main))
        .or(selecting.first().copied());
    if let Some(i) = client {
        used.extend(client_service(&objects[i], sts, doc).then_some(i));
    }
    let selects = |o: &Object, field: &str| {
        let s = &o.value["spec"][field];
        s.as_mapping().is_some_and(|m| m.len() == 1)
            && sorted(string_map(&s["matchLabels"])) == selector
    };
    let budget = objects
        .iter()
        .position(|o| ours(o, "PodDisruptionBudget") && selects(o, "selector"));
    let replicas = int(&sts.value["spec"]["replicas"]).unwrap_or(1);
    let taken = budget.filter(|&i| disruption_budget(&objects[i], replicas, doc));
    used.extend(taken);
    if taken.is_none() && replicas >= 2 {
        // Else kubetoml's default budget would appear.
        doc.top
            .push(("disruption_budget".to_owned(), Val::Bool(false)));
    }
    let policy = objects.iter().position(|o| {
        ours(o, "NetworkPolicy") && selects(o, "podSelector") && policy_shape(&o.value)
    });
    if let Some(i) = policy {
        network_policy(&objects[i], &selector, doc);
        used.push(i);
    }
    used
}

/// Whether a port of Service `svc` forwards to a port of the container
/// `main` (by name, or by number).
fn reaches_main(svc: &Value, main: &Value) -> bool {
    let own = items(&main["ports"]);
    items(&svc["spec"]["ports"]).iter().any(|p| {
        let target = match &p["targetPort"] {
            Value::Null => &p["port"],
            t => t,
        };
        own.iter().any(|c| match int(target) {
            Some(n) => int(&c["containerPort"]) == Some(n),
            None => text(target).is_some() && text(&c["name"]) == text(target),
        })
    })
}

fn sorted(mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    pairs.sort();
    pairs
}

/// `service_account = { create = true, ... }` when the input holds the
/// account the pods run as, with the `rules` of the roles bound to it; the
/// indices of the account, the roles and the bindings.
///
/// Only the first StatefulSet running as an account makes it: the others
/// name it (two descriptions making one object cannot render together).
fn service_account(objects: &[Object], sts: &Object, doc: &mut Doc) -> Option<Vec<usize>> {
    let account = |o: &Object| text(&o.value["spec"]["template"]["spec"]["serviceAccountName"]);
    let name = account(sts)?;
    let i = objects.iter().position(|o| {
        o.kind == "ServiceAccount" && o.name == name && o.namespace == sts.namespace
    })?;
    let first = objects
        .iter()
        .find(|o| {
            o.kind == "StatefulSet"
                && o.namespace == sts.namespace
                && account(o).as_ref() == Some(&name)
        })
        .is_some_and(|o| o.name == sts.name);
    if !first {
        return None;
    }
    let mut t = vec![("create".to_owned(), Val::Bool(true))];
    if name != sts.name {
        t.push(("name".to_owned(), Val::Str(name.clone())));
    }
    let own = own_annotations(&objects[i].value, &doc.top);
    push(
        &mut t,
        "annotations",
        Some(str_table(own, SERVER_ANNOTATIONS)),
    );
    let mut used = vec![i];
    let mut rules = Vec::new();
    let mut role_name = None;
    for cluster in [false, true] {
        if let Some((role, binding)) = bound_role(objects, sts, &name, cluster) {
            let taken: Vec<Val> = (items(&objects[role].value["rules"]).iter())
                .filter_map(|r| rule(r, cluster))
                .collect();
            if !cluster && !taken.is_empty() {
                role_name = kept_role_name(&objects[role], &objects[binding], &sts.name);
            }
            rules.extend(taken);
            used.extend([role, binding]);
        }
    }
    push(&mut t, "rules", Some(Val::Arr(rules)));
    push(&mut t, "role_name", role_name.map(Val::Str));
    set(&mut doc.top, "service_account", Val::Table(t));
    Some(used)
}

/// `service_account.role_name`: the name of a Role and its RoleBinding
/// when they share one other than the app's (`app`), kubetoml's default. A
/// pair named apart is renamed after the app (and listed as a difference).
fn kept_role_name(role: &Object, binding: &Object, app: &str) -> Option<String> {
    (role.name == binding.name && role.name != app).then(|| role.name.clone())
}

/// The Role (or, with `cluster`, the ClusterRole) bound to the account
/// `account` of `sts`'s namespace and to nothing else, and its binding.
fn bound_role(
    objects: &[Object],
    sts: &Object,
    account: &str,
    cluster: bool,
) -> Option<(usize, usize)> {
    let (binding_kind, role_kind) = if cluster {
        ("ClusterRoleBinding", "ClusterRole")
    } else {
        ("RoleBinding", "Role")
    };
    let binding = objects.iter().position(|o| {
        let subjects = items(&o.value["subjects"]);
        let subject_namespace = subjects.first().and_then(|s| text(&s["namespace"]));
        o.kind == binding_kind
            && (cluster || o.namespace == sts.namespace)
            && text(&o.value["roleRef"]["kind"]).as_deref() == Some(role_kind)
            && subjects.len() == 1
            && text(&subjects[0]["kind"]).as_deref() == Some("ServiceAccount")
            && text(&subjects[0]["name"]).as_deref() == Some(account)
            && (subject_namespace == sts.namespace || (!cluster && subject_namespace.is_none()))
    })?;
    let role_name = text(&objects[binding].value["roleRef"]["name"])?;
    let role = objects.iter().position(|o| {
        o.kind == role_kind && o.name == role_name && (cluster || o.namespace == sts.namespace)
    })?;
    Some((role, binding))
}

/// One rule of a Role, as `service_account.rules` writes it: `api_groups`
/// left out when kubetoml infers the same single group.
fn rule(r: &Value, cluster: bool) -> Option<Val> {
    let resources = strings(&r["resources"]);
    let verbs = strings(&r["verbs"]);
    if resources.is_empty() || verbs.is_empty() {
        // A rule of `nonResourceURLs`: not expressible, and listed as a difference.
        return None;
    }
    let groups = strings(&r["apiGroups"]);
    let inferred = match &groups[..] {
        [g] => resources
            .iter()
            .all(|res| crate::check::rbac::built_in(res).is_some_and(|b| b.group == g)),
        _ => false,
    };
    let list = |v: Vec<String>| Val::Arr(v.into_iter().map(Val::Str).collect());
    let mut e = vec![
        ("resources".to_owned(), list(resources)),
        ("verbs".to_owned(), list(verbs)),
    ];
    if !inferred {
        e.push(("api_groups".to_owned(), list(groups)));
    }
    push(
        &mut e,
        "resource_names",
        Some(list(strings(&r["resourceNames"]))),
    );
    if cluster {
        e.push(("cluster".to_owned(), Val::Bool(true)));
    }
    Some(Val::Table(e))
}

/// An object's annotations that the top-level `annotations` do not give it.
fn own_annotations(v: &Value, top: &Entries) -> Vec<(String, String)> {
    string_map(&v["metadata"]["annotations"])
        .into_iter()
        .filter(|(k, val)| !inherited(top, "annotations", k, val))
        .collect()
}

/// `[client_service]`; `false` when it publishes no port a container
/// declares. Its ports as a list of the main container's port names when
/// that says them exactly (each on its own number, forwarding by name),
/// else as a table like `[service] ports`.
fn client_service(svc: &Object, sts: &Object, doc: &mut Doc) -> bool {
    let pod = &sts.value["spec"]["template"]["spec"];
    let main = &pod["containers"][0];
    let mut declared: Vec<String> = items(&main["ports"])
        .iter()
        .filter_map(|p| text(&p["name"]))
        .collect();
    declared.sort();
    let svc_ports = items(&svc.value["spec"]["ports"]);
    // What the list form says: a main container's port, on its own number, by name.
    let as_listed = |p: &Value| {
        let name = text(&p["name"])?;
        let by_name = p["targetPort"].is_null() || text(&p["targetPort"]).as_ref() == Some(&name);
        let own_number = super::pod::port_number(pod, &name) == int(&p["port"]);
        (declared.contains(&name) && by_name && own_number).then_some(name)
    };
    let listed: Vec<String> = svc_ports.iter().filter_map(as_listed).collect();
    let all_ports = super::pod::port_names(pod);
    let table: Entries = (svc_ports.iter())
        .filter_map(|p| super::services::service_port(p, pod, &all_ports))
        .collect();
    let ports = if listed.len() == svc_ports.len() {
        // Every top-level port is the default.
        (listed != declared).then(|| Val::Arr(listed.into_iter().map(Val::Str).collect()))
    } else if !table.is_empty() {
        if table
            .iter()
            .any(|(_, p)| super::services::forwards_to_undeclared(p, &all_ports))
        {
            super::services::allow(&mut doc.top, "undeclared-port");
        }
        Some(Val::Table(table))
    } else if !listed.is_empty() {
        Some(Val::Arr(listed.into_iter().map(Val::Str).collect()))
    } else {
        return false;
    };
    let mut e = Entries::new();
    if svc.name != format!("{}-client", sts.name) {
        e.push(("name".to_owned(), Val::Str(svc.name.clone())));
    }
    match text(&svc.value["spec"]["type"]) {
        Some(t) if t != "ClusterIP" => e.push(("type".to_owned(), Val::Str(t))),
        _ => {}
    }
    push(&mut e, "ports", ports);
    push(
        &mut e,
        "traffic_distribution",
        text(&svc.value["spec"]["trafficDistribution"]).map(Val::Str),
    );
    super::services::own_metadata(&svc.value, &doc.top, &mut e);
    doc.sections.push(("[client_service]".to_owned(), e));
    true
}

/// `disruption_budget`: nothing for the default one; `false` when kubetoml
/// would refuse the budget (one that never allows an eviction).
fn disruption_budget(pdb: &Object, replicas: i64, doc: &mut Doc) -> bool {
    let spec = &pdb.value["spec"];
    let limit = |field: &str| {
        let v = &spec[field];
        match v {
            Value::Number(_) => int(v).map(Val::Int),
            _ => text(v).map(Val::Str),
        }
    };
    let (key, value) = match (limit("maxUnavailable"), limit("minAvailable")) {
        (Some(Val::Int(1)), None) if replicas >= 2 => return true,
        (Some(Val::Int(1)), None) => {
            doc.top
                .push(("disruption_budget".to_owned(), Val::Bool(true)));
            return true;
        }
        (Some(max), None) => ("max_unavailable", max),
        (None, Some(min)) => ("min_available", min),
        _ => return false,
    };
    if !evicts(key, &value, replicas) {
        return false;
    }
    doc.sections.push((
        "[disruption_budget]".to_owned(),
        vec![(key.to_owned(), value)],
    ));
    true
}

/// Whether a budget limit is one kubetoml takes: valid, and allowing an eviction.
fn evicts(key: &str, value: &Val, replicas: i64) -> bool {
    let (count, percent) = match value {
        Val::Int(n) if *n >= 0 => (Some(*n), None),
        Val::Str(p) => match p.strip_suffix('%').filter(|n| !n.is_empty()) {
            Some(n) if n.bytes().all(|b| b.is_ascii_digit()) => match n.parse::<i64>() {
                Ok(n) if n <= 100 => (None, Some(n)),
                _ => return false,
            },
            _ => return false,
        },
        _ => return false,
    };
    if key == "max_unavailable" {
        return count.or(percent) != Some(0);
    }
    // Kubernetes rounds a percentage of pods to keep up.
    let kept = count.unwrap_or_else(|| (percent.unwrap_or(0) * replicas + 99) / 100);
    replicas == 0 || kept < replicas
}

/// Whether a NetworkPolicy has kubetoml's shape: ingress only, one rule,
/// sources by pod labels and namespace name.
fn policy_shape(v: &Value) -> bool {
    let spec = &v["spec"];
    let types = text_list(&spec["policyTypes"]);
    let [rule] = items(&spec["ingress"]) else {
        return false;
    };
    (types.is_empty() || types == ["Ingress"])
        && spec["egress"].is_null()
        && rule.as_mapping().is_some_and(|m| {
            m.keys()
                .all(|k| matches!(text(k).as_deref(), Some("from" | "ports")))
        })
        && items(&rule["from"]).iter().all(|p| peer(p).is_some())
}

fn text_list(v: &Value) -> Vec<String> {
    items(v).iter().filter_map(text).collect()
}

/// A NetworkPolicy source: pod labels, namespace name.
type Peer = (Option<Vec<(String, String)>>, Option<String>);

/// One source, when it has kubetoml's shape.
fn peer(p: &Value) -> Option<Peer> {
    let m = p.as_mapping()?;
    let mut pods = None;
    let mut namespace = None;
    for (k, v) in m {
        let only_labels = v
            .as_mapping()
            .is_some_and(|s| s.keys().all(|k| text(k).as_deref() == Some("matchLabels")));
        if !only_labels {
            return None;
        }
        match text(k)?.as_str() {
            "podSelector" => pods = Some(string_map(&v["matchLabels"])),
            "namespaceSelector" => match string_map(&v["matchLabels"]).as_slice() {
                [(key, ns)] if key == NAMESPACE_NAME_LABEL => namespace = Some(ns.clone()),
                _ => return None,
            },
            _ => return None,
        }
    }
    Some((pods, namespace))
}

/// `[network_policy]`: the sources other than the app's own pods (kubetoml always admits those).
fn network_policy(np: &Object, selector: &[(String, String)], doc: &mut Doc) {
    let mut allow = Vec::new();
    for p in items(&np.value["spec"]["ingress"][0]["from"]) {
        let Some((pods, namespace)) = peer(p) else {
            continue;
        };
        if namespace.is_none() && pods.as_ref().is_some_and(|l| sorted(l.clone()) == selector) {
            continue;
        }
        // kubetoml admits the app's own Jobs' pods, as it admits the app's.
        if namespace.is_none() && pods.as_deref().is_some_and(super::jobs::is_job_peer) {
            continue;
        }
        let mut e = Entries::new();
        if let Some(ns) = namespace {
            e.push(("namespace".to_owned(), Val::Str(ns)));
        }
        if let Some(labels) = pods {
            e.push(("pods".to_owned(), str_table(labels, &[])));
        }
        allow.push(Val::Table(e));
    }
    doc.sections.push((
        "[network_policy]".to_owned(),
        vec![("allow_from".to_owned(), Val::Arr(allow))],
    ));
}

/// The objects kubetoml rendered for this app from its `extra_manifests`
/// (labelled as managed by kubetoml for this instance, and not claimed as
/// anything else): one data file holding them, and their indices.
pub fn extra_manifests(
    objects: &[Object],
    set: usize,
    claimed: &[usize],
    doc: &mut Doc,
) -> Option<(DataFile, Vec<usize>)> {
    let app = &objects[set].name;
    let mut out = String::new();
    let mut used = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        let labels = &o.value["metadata"]["labels"];
        let ours = text(&labels["app.kubernetes.io/managed-by"]) == Some("kubetoml".to_owned())
            && text(&labels["app.kubernetes.io/instance"]).as_ref() == Some(app);
        let generated = matches!(o.kind.as_str(), "StatefulSet" | "ConfigMap" | "Secret");
        if !ours || generated || claimed.contains(&i) {
            continue;
        }
        let Ok(yaml) = crate::write::yaml::document(&o.value) else {
            continue;
        };
        if !out.is_empty() {
            out.push_str("---\n");
        }
        out.push_str(&yaml);
        used.push(i);
    }
    if used.is_empty() {
        return None;
    }
    let path = format!("manifests/{app}.yaml");
    doc.top.push((
        "extra_manifests".to_owned(),
        Val::Arr(vec![Val::Str(path.clone())]),
    ));
    let file = DataFile {
        path,
        bytes: out.into_bytes(),
        secret: false,
    };
    Some((file, used))
}
