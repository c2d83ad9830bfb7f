//! Security fields kubetoml writes once for the pod: a container's
//! `runAsUser`, `runAsGroup`, `runAsNonRoot` or seccomp profile moved to the
//! pod (or the pod's to a container) changes nothing when every
//! container's effective value stays the same. [`super::exact`] does not
//! count such a move as a change, and [`super::diff`] lists it as one.

use crate::read::yamlread::Value;

use super::value::{items, text};

/// Container security fields kubetoml writes once for the pod.
const POD_WIDE: &[&str] = &["runAsUser", "runAsGroup", "runAsNonRoot", "seccompProfile"];

/// Where a pod's and its containers' security settings are.
const SECURITY_AT: [&str; 3] = [
    "spec.template.spec.securityContext",
    "spec.template.spec.containers[].securityContext",
    "spec.template.spec.initContainers[].securityContext",
];

/// Whether security fields moved between the containers and the pod
/// without any container's effective value (its own, else the pod's)
/// changing: one field, or a whole `securityContext` holding only such fields.
pub(super) fn moved(path: &str, shape: &str, pod: &Value, out_pod: &Value) -> bool {
    let field = POD_WIDE.iter().find(|f| {
        SECURITY_AT
            .iter()
            .any(|at| shape == format!("{at}.{f}") || shape.starts_with(&format!("{at}.{f}.")))
    });
    let fields: Vec<&str> = match field {
        Some(f) => vec![*f],
        None if SECURITY_AT.contains(&shape) => match whole_table(path, pod, out_pod) {
            Some(keys) if keys.iter().all(|k| POD_WIDE.contains(&k.as_str())) => {
                return keys.iter().all(|k| same_effect(k, pod, out_pod));
            }
            _ => return false,
        },
        None => return false,
    };
    fields.iter().all(|f| same_effect(f, pod, out_pod))
}

/// The keys of the `securityContext` at `path` (the pod's, or a
/// container's by name), on whichever side has it.
fn whole_table(path: &str, pod: &Value, out_pod: &Value) -> Option<Vec<String>> {
    let table = |p: &Value| -> Value {
        let Some(rest) = path.strip_prefix("spec.template.spec.") else {
            return Value::Null;
        };
        if rest == "securityContext" {
            return p["securityContext"].clone();
        }
        let Some((list, rest)) = rest.split_once('[') else {
            return Value::Null;
        };
        let Some(name) = rest.strip_suffix("].securityContext") else {
            return Value::Null;
        };
        items(&p[list])
            .iter()
            .find(|c| text(&c["name"]).as_deref() == Some(name))
            .map_or(Value::Null, |c| c["securityContext"].clone())
    };
    let found = match table(pod) {
        Value::Null => table(out_pod),
        t => t,
    };
    let keys = found.as_mapping()?.keys().filter_map(text).collect();
    Some(keys)
}

/// Whether every container's effective `field` (its own, else the pod's) is the same in both pods.
fn same_effect(field: &str, pod: &Value, out_pod: &Value) -> bool {
    let effective = |pod: &Value| -> Vec<Value> {
        let wide = &pod["securityContext"][field];
        ["initContainers", "containers"]
            .iter()
            .flat_map(|list| items(&pod[*list]))
            .map(|c| match &c["securityContext"][field] {
                Value::Null => wide.clone(),
                own => own.clone(),
            })
            .collect()
    };
    effective(pod) == effective(out_pod)
}
