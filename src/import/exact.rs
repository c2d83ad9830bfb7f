//! Whether a description's pods behave as the input's: an import is exact,
//! or moves the StatefulSet to `extra_manifests` whole, or fails.
//!
//! Every difference in the pod template (`spec.template.spec`) and in the
//! claim templates' `spec` counts, but these, which leave every container
//! as it was:
//! - `affinity`: where the pods are placed, not what they do (listed);
//! - `readOnly` added to a mount of a ConfigMap or Secret volume, which the
//!   kubelet mounts read-only anyway;
//! - a container's `runAsUser`, `runAsGroup`, `runAsNonRoot` or seccomp
//!   profile moved to the pod (or the pod's to a container) when every
//!   container's effective value, its own or else the pod's, stays the same.

use crate::read::yamlread::Value;

use super::diff::{self, Kind};
use super::shared::Object;
use super::value::{items, text};

/// Where placement, not behaviour, is said.
const PLACEMENT: &str = "spec.template.spec.affinity";

/// The differences of `sts` rendered as `rendered` that change what its pods do, one line each.
pub fn pod_changes(sts: &Object, rendered: &Value) -> Vec<String> {
    let pod = &sts.value["spec"]["template"]["spec"];
    let out_pod = &rendered["spec"]["template"]["spec"];
    let mut reasons = Vec::new();
    for (path, kind) in diff::changes(sts, rendered) {
        let shape = diff::shape(&path);
        let claim_spec = shape.starts_with("spec.volumeClaimTemplates[].spec");
        if !(shape.starts_with("spec.template.spec.") || claim_spec) || shape.starts_with(PLACEMENT)
        {
            continue;
        }
        if kind == Kind::Added
            && shape.ends_with("volumeMounts[].readOnly")
            && data_mount(&path, out_pod)
        {
            continue;
        }
        if super::pod_wide::moved(&path, &shape, pod, out_pod) {
            continue;
        }
        let what = match kind {
            Kind::Dropped => "dropped",
            Kind::Added => "added",
            Kind::Changed => "changed",
        };
        reasons.push(format!("{path} {what}"));
    }
    reasons
}

/// Whether the mount at `path` (`...volumeMounts[KEY].readOnly`) is of a ConfigMap or Secret volume.
fn data_mount(path: &str, pod: &Value) -> bool {
    let Some(key) = path
        .strip_suffix("].readOnly")
        .and_then(|p| p.rsplit_once("volumeMounts[").map(|(_, k)| k))
    else {
        return false;
    };
    let name = ["containers", "initContainers"]
        .iter()
        .flat_map(|list| items(&pod[*list]))
        .flat_map(|c| items(&c["volumeMounts"]))
        .find(|m| {
            text(&m["mountPath"]).as_deref() == Some(key)
                || text(&m["name"]).as_deref() == Some(key)
        })
        .and_then(|m| text(&m["name"]));
    items(&pod["volumes"])
        .iter()
        .any(|v| text(&v["name"]) == name && (!v["configMap"].is_null() || !v["secret"].is_null()))
}

/// How a companion object (a Service, budget, NetworkPolicy or
/// ServiceAccount) of a description renders otherwise than `o`: the
/// changes to what it does (its `spec`, an account's token and secrets),
/// one line each. Selectors and labels are left to the comparison's list:
/// they follow the StatefulSet's pods.
///
/// A Service's ports count by what they do: name, port, protocol and the
/// container port they reach (a `targetPort` by name resolved in the pods
/// of `pod` and `rendered_pod`, an absent one being the port itself).
pub fn companion_changes(
    o: &Object,
    rendered: &Value,
    pod: &Value,
    rendered_pod: &Value,
) -> Vec<String> {
    let same_ports = o.kind == "Service"
        && effective_ports(&o.value, pod) == effective_ports(rendered, rendered_pod);
    diff::changes(o, rendered)
        .into_iter()
        .filter(|(path, _)| !(same_ports && path.starts_with("spec.ports")))
        .filter(|(path, _)| {
            let behaviour = path.starts_with("spec.")
                || [
                    "automountServiceAccountToken",
                    "secrets",
                    "imagePullSecrets",
                ]
                .iter()
                .any(|f| {
                    path == f
                        || path.starts_with(&format!("{f}["))
                        || path.starts_with(&format!("{f}."))
                });
            behaviour && !path.to_ascii_lowercase().contains("selector")
        })
        .map(|(path, kind)| {
            let what = match kind {
                Kind::Dropped => "dropped",
                Kind::Added => "added",
                Kind::Changed => "changed",
            };
            format!("{path} {what}")
        })
        .collect()
}

/// A Service's ports as the cluster uses them: (name, port, protocol, container port).
fn effective_ports(svc: &Value, pod: &Value) -> Vec<(String, String, String, String)> {
    let container_port = |name: &str| {
        ["containers", "initContainers"]
            .iter()
            .flat_map(|list| items(&pod[*list]))
            .flat_map(|c| items(&c["ports"]))
            .find(|p| text(&p["name"]).as_deref() == Some(name))
            .and_then(|p| text(&p["containerPort"]))
            .unwrap_or_else(|| name.to_owned())
    };
    let mut out: Vec<(String, String, String, String)> = items(&svc["spec"]["ports"])
        .iter()
        .map(|p| {
            let port = text(&p["port"]).unwrap_or_default();
            let target = match &p["targetPort"] {
                Value::Null => port.clone(),
                Value::Number(n) => n.to_string(),
                other => container_port(&text(other).unwrap_or_default()),
            };
            (
                text(&p["name"]).unwrap_or_default(),
                port,
                text(&p["protocol"]).unwrap_or_else(|| "TCP".to_owned()),
                target,
            )
        })
        .collect();
    out.sort();
    out
}
