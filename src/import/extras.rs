//! Pod-wide settings beside the containers: annotations, priority, host aliases, DNS and affinity.

use crate::read::yamlread::Value;

use super::shared::{push, str_table, str_val, strs_val};
use super::toml_out::{Entries, Val};
use super::value::{boolean, int, items, string_map, text};

/// The annotation kubetoml puts on the pod template itself.
const CONFIG_HASH: &str = "kubetoml.dev/config-hash";

/// The weight kubetoml gives every scheduling preference.
const PREFERENCE_WEIGHT: i64 = 100;

/// The top-level keys for the pod template's own settings (`template` is `spec.template`).
pub fn pod_settings(template: &Value, top: &mut Entries) {
    let pod = &template["spec"];
    push(
        top,
        "pod_annotations",
        Some(str_table(
            string_map(&template["metadata"]["annotations"]),
            &[CONFIG_HASH],
        )),
    );
    push(
        top,
        "automount_service_account_token",
        boolean(&pod["automountServiceAccountToken"]).map(Val::Bool),
    );
    push(
        top,
        "enable_service_links",
        boolean(&pod["enableServiceLinks"]).map(Val::Bool),
    );
    push(
        top,
        "priority_class_name",
        str_val(&pod["priorityClassName"]),
    );
    let aliases: Vec<Val> = items(&pod["hostAliases"])
        .iter()
        .filter_map(|a| {
            Some(Val::Table(vec![
                ("ip".to_owned(), Val::Str(text(&a["ip"])?)),
                ("hostnames".to_owned(), strs_val(&a["hostnames"])?),
            ]))
        })
        .collect();
    push(top, "host_aliases", Some(Val::Arr(aliases)));
    push(top, "dns", dns(pod));
    push(top, "affinity", affinity(&pod["affinity"]));
}

/// `dnsPolicy` and `dnsConfig`; `ClusterFirst`, Kubernetes' default, is left out.
fn dns(pod: &Value) -> Option<Val> {
    let mut e = Entries::new();
    push(
        &mut e,
        "policy",
        str_val(&pod["dnsPolicy"]).filter(|p| *p != Val::Str("ClusterFirst".to_owned())),
    );
    let config = &pod["dnsConfig"];
    push(&mut e, "nameservers", strs_val(&config["nameservers"]));
    push(&mut e, "searches", strs_val(&config["searches"]));
    let options: Vec<Val> = items(&config["options"])
        .iter()
        .filter_map(|o| {
            let name = text(&o["name"])?;
            Some(Val::Str(match text(&o["value"]) {
                Some(v) => format!("{name}:{v}"),
                None => name,
            }))
        })
        .collect();
    push(&mut e, "options", Some(Val::Arr(options)));
    Some(Val::Table(e))
}

/// `affinity = { nodes, near, away_from }`: the terms kubetoml's own shape
/// can say (`In` node requirements, pods by `matchLabels`); the rest is
/// left out, and the comparison lists it.
fn affinity(a: &Value) -> Option<Val> {
    let node = &a["nodeAffinity"];
    let mut nodes = Vec::new();
    let required =
        items(&node["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]);
    if let [term] = required {
        nodes.extend(node_terms(&term["matchExpressions"], None));
    }
    for p in items(&node["preferredDuringSchedulingIgnoredDuringExecution"]) {
        if int(&p["weight"]) == Some(PREFERENCE_WEIGHT) {
            if let [one] = items(&p["preference"]["matchExpressions"]) {
                nodes.extend(node_terms(&Value::Sequence(vec![one.clone()]), Some(false)));
            }
        }
    }
    let mut e = Entries::new();
    push(&mut e, "nodes", Some(Val::Arr(nodes)));
    push(&mut e, "near", Some(Val::Arr(pod_terms(&a["podAffinity"]))));
    push(
        &mut e,
        "away_from",
        Some(Val::Arr(pod_terms(&a["podAntiAffinity"]))),
    );
    Some(Val::Table(e))
}

/// `{ key, values }` for each `In` expression.
fn node_terms(expressions: &Value, required: Option<bool>) -> Vec<Val> {
    items(expressions)
        .iter()
        .filter(|x| text(&x["operator"]).as_deref() == Some("In"))
        .filter_map(|x| {
            let mut t = vec![
                ("key".to_owned(), Val::Str(text(&x["key"])?)),
                ("values".to_owned(), strs_val(&x["values"])?),
            ];
            if let Some(r) = required {
                t.push(("required".to_owned(), Val::Bool(r)));
            }
            Some(Val::Table(t))
        })
        .collect()
}

/// `{ pods, across, required }` for each term selecting pods by labels only.
fn pod_terms(rules: &Value) -> Vec<Val> {
    let required = items(&rules["requiredDuringSchedulingIgnoredDuringExecution"])
        .iter()
        .filter_map(|t| pod_term(t, true));
    let preferred = items(&rules["preferredDuringSchedulingIgnoredDuringExecution"])
        .iter()
        .filter_map(|p| {
            let mut term = pod_term(&p["podAffinityTerm"], false)?;
            let weight = int(&p["weight"])?;
            if let (Val::Table(t), true) = (&mut term, weight != PREFERENCE_WEIGHT) {
                t.push(("weight".to_owned(), Val::Int(weight)));
            }
            Some(term)
        });
    required.chain(preferred).collect()
}

fn pod_term(t: &Value, required: bool) -> Option<Val> {
    let selector = t["labelSelector"].as_mapping()?;
    if selector.len() != 1 || !t["namespaces"].is_null() || !t["namespaceSelector"].is_null() {
        return None;
    }
    let labels = string_map(&t["labelSelector"]["matchLabels"]);
    if labels.is_empty() {
        return None;
    }
    let across = match text(&t["topologyKey"])?.as_str() {
        "kubernetes.io/hostname" => "node".to_owned(),
        "topology.kubernetes.io/zone" => "zone".to_owned(),
        other => other.to_owned(),
    };
    let mut e = vec![
        ("pods".to_owned(), str_table(labels, &[])),
        ("across".to_owned(), Val::Str(across)),
    ];
    if required {
        e.push(("required".to_owned(), Val::Bool(true)));
    }
    Some(Val::Table(e))
}
