//! Comparing the rendered objects with the input: every difference, one line each.

use crate::read::yamlread::{Mapping, Value};
use base64::Engine;

use super::shared::Object;
use super::value::{items, text};

/// Fields the API server or kubectl write.
const SERVER: &[&str] = &[
    "metadata.uid",
    "metadata.resourceVersion",
    "metadata.generation",
    "metadata.creationTimestamp",
    "metadata.managedFields",
    "metadata.selfLink",
    "metadata.annotations.kubectl.kubernetes.io/last-applied-configuration",
    "metadata.annotations.deprecated.daemonset.template.generation",
    "status",
    "spec.template.metadata.creationTimestamp",
    "spec.volumeClaimTemplates[].status",
    "spec.volumeClaimTemplates[].metadata.creationTimestamp",
    "spec.clusterIPs",
    "spec.ipFamilies",
];

/// Values the API server fills in when they are left out: (end of the path, value).
pub(super) const DEFAULTS: &[(&str, &str)] = &[
    (".dnsPolicy", "ClusterFirst"),
    (".restartPolicy", "Always"),
    (".schedulerName", "default-scheduler"),
    (".terminationMessagePath", "/dev/termination-log"),
    (".terminationMessagePolicy", "File"),
    (".volumeMode", "Filesystem"),
    ("volumeClaimTemplates[].apiVersion", "v1"),
    ("volumeClaimTemplates[].kind", "PersistentVolumeClaim"),
    ("spec.sessionAffinity", "None"),
    ("spec.type", "ClusterIP"),
    ("spec.ipFamilyPolicy", "SingleStack"),
    ("spec.internalTrafficPolicy", "Cluster"),
    ("ports[].protocol", "TCP"),
    ("type", "Opaque"),
    ("spec.podManagementPolicy", "OrderedReady"),
    ("spec.podManagementPolicy", ""),
    ("spec.updateStrategy.type", "RollingUpdate"),
    ("spec.revisionHistoryLimit", "10"),
    ("spec.replicas", "1"),
    ("fieldRef.apiVersion", "v1"),
    ("resourceFieldRef.divisor", "0"),
    ("emptyDir.medium", ""),
    ("spec.template.spec.hostNetwork", "false"),
    ("spec.template.spec.hostIPC", "false"),
    ("spec.template.spec.hostPID", "false"),
];

/// Kinds kubetoml names after the app, whatever the input called them.
pub(super) const RENAMED_KINDS: &[&str] = &[
    "PodDisruptionBudget",
    "NetworkPolicy",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ClusterRoleBinding",
];

enum Change {
    Dropped,
    Added(String),
    Changed(String, String),
    Reordered,
}

struct Diff<'a> {
    label: String,
    secret: bool,
    out: &'a mut Vec<String>,
    /// Every change that is neither a default nor a server field: (path, what).
    changes: Vec<(String, Kind)>,
    /// A StatefulSet's pod template spec as input and as rendered, to tell
    /// security fields moved between the pod and its containers.
    pods: Option<(Value, Value)>,
}

/// What a difference does to a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The input has it; the render does not.
    Dropped,
    /// The render has it; the input does not.
    Added,
    /// Both have it, with other values.
    Changed,
}

/// The differences between the input objects `app` expresses and what its description renders.
pub fn compare(
    objects: &[Object],
    app: &[usize],
    rendered: &[Value],
    used: &mut [bool],
) -> Vec<String> {
    let mut out = Vec::new();
    let sts_file = app
        .first()
        .map(|&i| objects[i].file.clone())
        .unwrap_or_default();
    for r in rendered {
        let kind = text(&r["kind"]).unwrap_or_default();
        let name = text(&r["metadata"]["name"]).unwrap_or_default();
        let named = |i: usize| objects[i].kind == kind && objects[i].name == name;
        // kubetoml names these after the app: one named otherwise is still the one.
        let renamed = |i: usize| {
            RENAMED_KINDS.contains(&kind.as_str())
                && objects[i].kind == kind
                && !rendered
                    .iter()
                    .any(|r| text(&r["metadata"]["name"]).as_deref() == Some(&objects[i].name))
        };
        let found = (app.iter().copied().find(|&i| named(i)))
            .or_else(|| app.iter().copied().find(|&i| renamed(i)));
        let Some(i) = found else {
            out.push(format!(
                "{sts_file}: {kind}/{name}: added (the input has no such object)"
            ));
            continue;
        };
        used[i] = true;
        let o = &objects[i];
        let mut input = o.value.clone();
        let pod = |v: &Value| v["spec"]["template"]["spec"].clone();
        let mut diff = Diff {
            label: format!("{}: {}/{}", o.file, o.kind, o.name),
            secret: kind == "Secret",
            out: &mut out,
            changes: Vec::new(),
            pods: (kind == "StatefulSet").then(|| (pod(&o.value), pod(r))),
        };
        diff.normalize(&kind, &mut input, r);
        diff.value("", &input, r);
    }
    out
}

/// The changes rendering makes to `o` (as `rendered`): (path, what), with
/// Kubernetes' defaults, server fields and renames that change nothing left out.
pub fn changes(o: &Object, rendered: &Value) -> Vec<(String, Kind)> {
    let mut lines = Vec::new();
    let mut input = o.value.clone();
    let mut diff = Diff {
        label: String::new(),
        secret: o.kind == "Secret",
        out: &mut lines,
        changes: Vec::new(),
        pods: None,
    };
    diff.normalize(&o.kind, &mut input, rendered);
    diff.value("", &input, rendered);
    diff.changes
}

impl Diff<'_> {
    fn note(&mut self, path: &str, message: &str) {
        let path = self.shown_path(path, false);
        self.out.push(format!("{}: {path}: {message}", self.label));
    }

    /// `path` as shown: a Secret's key is a name, shown, unless it is in
    /// doubt, which is masked, as a description's Secret keys in doubt are:
    /// a key that is not a valid key, or one the import could not express
    /// (`dropped`: no string value, so perhaps a value an edit moved into a
    /// key).
    fn shown_path<'p>(&self, path: &'p str, dropped: bool) -> std::borrow::Cow<'p, str> {
        if !self.secret {
            return path.into();
        }
        for field in ["data.", "stringData."] {
            if let Some(key) = path.strip_prefix(field) {
                if dropped || !super::shared::secret_key_shown(key) {
                    return format!("{field}<a key in doubt, masked>").into();
                }
            }
        }
        path.into()
    }

    /// Renames and rewrites that change nothing a cluster sees, applied to the input and listed.
    fn normalize(&mut self, kind: &str, input: &mut Value, rendered: &Value) {
        if kind == "Secret" {
            if let Some(Value::Mapping(string_data)) = input.get("stringData").cloned() {
                let data = input["data"].as_mapping().cloned().unwrap_or_default();
                let mut data = data;
                for (k, v) in string_data {
                    let b64 = base64::engine::general_purpose::STANDARD
                        .encode(text(&v).unwrap_or_default());
                    data.insert(k, Value::String(b64));
                }
                if let Value::Mapping(m) = input {
                    m.remove("stringData");
                    m.insert("data".into(), Value::Mapping(data));
                }
                self.note(
                    "stringData",
                    "written as base64 `data` (the same Secret on the server)",
                );
            }
        }
        if kind != "StatefulSet" {
            return;
        }
        let pod = &mut input["spec"]["template"]["spec"];
        let new_main = text(&rendered["spec"]["template"]["spec"]["containers"][0]["name"]);
        if let (Some(old), Some(new)) = (text(&pod["containers"][0]["name"]), new_main) {
            if old != new {
                pod["containers"][0]["name"] = Value::String(new.clone());
                self.note(
                    "spec.template.spec.containers[0].name",
                    &format!("`{old}` becomes `{new}` (the main container is named after the app)"),
                );
            }
        }
        let renames = volume_renames(pod, &rendered["spec"]["template"]["spec"]);
        for (old, new) in renames {
            rename_volume(pod, &old, &new);
            self.note(
                &format!("spec.template.spec.volumes[{old}]"),
                &format!("renamed `{new}` (a volume is named after its ConfigMap or Secret table)"),
            );
        }
    }

    fn value(&mut self, path: &str, a: &Value, b: &Value) {
        match (a, b) {
            (Value::Mapping(a), Value::Mapping(b)) => self.mapping(path, a, b),
            (Value::Sequence(a), Value::Sequence(b)) => self.sequence(path, a, b),
            _ if same_scalar(a, b) => {}
            _ if a.is_null() => self.added(path, b),
            _ if b.is_null() => self.report(path, a, Change::Dropped),
            _ => self.report(path, a, Change::Changed(show(a), show(b))),
        }
    }

    fn mapping(&mut self, path: &str, a: &Mapping, b: &Mapping) {
        for (k, av) in a {
            let p = join(path, &text(k).unwrap_or_default());
            match b.get(k) {
                Some(bv) => self.value(&p, av, bv),
                None if empty(av) => {}
                None => self.report(&p, av, Change::Dropped),
            }
        }
        for (k, bv) in b {
            if !a.contains_key(k) {
                self.added(&join(path, &text(k).unwrap_or_default()), bv);
            }
        }
    }

    fn added(&mut self, path: &str, b: &Value) {
        match b {
            Value::Mapping(m) => {
                for (k, v) in m {
                    self.added(&join(path, &text(k).unwrap_or_default()), v);
                }
            }
            Value::Sequence(items) if items.iter().any(Value::is_mapping) => {
                let names = names(items);
                for (i, v) in items.iter().enumerate() {
                    let item = names.as_ref().map_or(i.to_string(), |n| n[i].clone());
                    self.added(&format!("{path}[{item}]"), v);
                }
            }
            _ => self.report(path, b, Change::Added(show(b))),
        }
    }

    fn sequence(&mut self, path: &str, a: &[Value], b: &[Value]) {
        let Some((an, bn)) = keys(a, b) else {
            for i in 0..a.len().max(b.len()) {
                let p = format!("{path}[{i}]");
                match (a.get(i), b.get(i)) {
                    (Some(x), Some(y)) => self.value(&p, x, y),
                    (Some(x), None) => self.report(&p, x, Change::Dropped),
                    (None, Some(y)) => self.added(&p, y),
                    (None, None) => {}
                }
            }
            return;
        };
        let common_a: Vec<&String> = an.iter().filter(|n| bn.contains(n)).collect();
        let common_b: Vec<&String> = bn.iter().filter(|n| an.contains(n)).collect();
        if common_a != common_b {
            self.report(path, &Value::Null, Change::Reordered);
        }
        for (i, n) in an.iter().enumerate() {
            let p = format!("{path}[{n}]");
            match bn.iter().position(|m| m == n) {
                Some(j) => self.value(&p, &a[i], &b[j]),
                None => self.report(&p, &a[i], Change::Dropped),
            }
        }
        for (j, n) in bn.iter().enumerate() {
            if !an.contains(n) {
                self.added(&format!("{path}[{n}]"), &b[j]);
            }
        }
    }

    fn report(&mut self, path: &str, v: &Value, change: Change) {
        let dropped = matches!(change, Change::Dropped);
        let shape = shape(path);
        let default = DEFAULTS
            .iter()
            .any(|(end, val)| shape.ends_with(end) && text(v).as_deref() == Some(val));
        let secret = self.secret
            && !shape.starts_with("metadata.name")
            && !shape.starts_with("metadata.labels");
        let kept = SERVER.contains(&shape.as_str()) || default;
        match change {
            Change::Dropped if !kept => self.changes.push((path.to_owned(), Kind::Dropped)),
            Change::Added(_) if !default => self.changes.push((path.to_owned(), Kind::Added)),
            Change::Changed(..) => self.changes.push((path.to_owned(), Kind::Changed)),
            _ => {}
        }
        let moved = self.pods.as_ref().and_then(|(pod, out_pod)| {
            let to_pod = !shape.starts_with("spec.template.spec.securityContext");
            super::pod_wide::moved(path, &shape, pod, out_pod).then_some(to_pod)
        });
        let message = match change {
            Change::Dropped if moved == Some(true) => {
                format!("said by the pod's `securityContext` instead {MOVED}")
            }
            Change::Dropped if moved == Some(false) => {
                format!("said by the containers' `securityContext` instead {MOVED}")
            }
            Change::Added(b) if moved.is_some() => format!("added `{b}` {MOVED}"),
            Change::Dropped if SERVER.contains(&shape.as_str()) => {
                "set by the server, dropped".to_owned()
            }
            Change::Dropped if default => format!("Kubernetes' default `{}`, left out", show(v)),
            Change::Dropped => "not expressible, dropped".to_owned(),
            Change::Added(_) if secret => "added".to_owned(),
            Change::Added(b) if default => format!("added `{b}` (Kubernetes' default)"),
            Change::Added(b) => format!("added `{b}`"),
            Change::Changed(..) if secret => "changed".to_owned(),
            Change::Changed(a, b) => format!("`{a}` becomes `{b}`"),
            Change::Reordered => "items come out in another order".to_owned(),
        };
        let shown = self.shown_path(path, dropped);
        self.note(if shown.is_empty() { "." } else { &shown }, &message);
    }
}

/// Why a security field moved between a pod and its containers is no loss.
const MOVED: &str = "(every container runs with the same value)";

/// Each item's `name` (or `metadata.name`), when every item has a distinct one.
fn names(list: &[Value]) -> Option<Vec<String>> {
    distinct(list, &|v| {
        text(&v["name"]).or_else(|| text(&v["metadata"]["name"]))
    })
}

fn distinct(list: &[Value], key: &dyn Fn(&Value) -> Option<String>) -> Option<Vec<String>> {
    let names: Vec<String> = list.iter().map(key).collect::<Option<_>>()?;
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    (sorted.len() == names.len() && !names.is_empty()).then_some(names)
}

/// How to pair the items of two lists: by name in both, else (volume mounts:
/// one volume may be mounted at several paths) by `mountPath` in both.
fn keys(a: &[Value], b: &[Value]) -> Option<(Vec<String>, Vec<String>)> {
    let by_path = |v: &Value| text(&v["mountPath"]);
    // The `items` of a ConfigMap or Secret volume: their order means nothing.
    let by_key = |v: &Value| text(&v["key"]);
    match (names(a), names(b)) {
        (Some(x), Some(y)) => Some((x, y)),
        _ => match (distinct(a, &by_path), distinct(b, &by_path)) {
            (Some(x), Some(y)) => Some((x, y)),
            _ => Some((distinct(a, &by_key)?, distinct(b, &by_key)?)),
        },
    }
}

/// Pod volumes backed by the same ConfigMap or Secret but named differently in the output.
fn volume_renames(input: &Value, rendered: &Value) -> Vec<(String, String)> {
    let source = |v: &Value| {
        text(&v["configMap"]["name"])
            .map(|n| format!("c/{n}"))
            .or_else(|| text(&v["secret"]["secretName"]).map(|n| format!("s/{n}")))
    };
    let mut renames = Vec::new();
    for v in items(&input["volumes"]) {
        let (Some(old), Some(src)) = (text(&v["name"]), source(v)) else {
            continue;
        };
        let new = items(&rendered["volumes"])
            .iter()
            .find(|r| source(r).as_ref() == Some(&src))
            .and_then(|r| text(&r["name"]));
        if let Some(new) = new.filter(|n| *n != old) {
            renames.push((old, new));
        }
    }
    renames
}

fn rename_volume(pod: &mut Value, old: &str, new: &str) {
    let rename = |v: &mut Value| {
        if text(&v["name"]).as_deref() == Some(old) {
            v["name"] = Value::String(new.to_owned());
        }
    };
    if let Some(vs) = pod["volumes"].as_sequence_mut() {
        vs.iter_mut().for_each(rename);
    }
    for list in ["containers", "initContainers"] {
        if let Some(cs) = pod[list].as_sequence_mut() {
            for c in cs {
                if let Some(ms) = c["volumeMounts"].as_sequence_mut() {
                    ms.iter_mut().for_each(rename);
                }
            }
        }
    }
}

fn same_scalar(a: &Value, b: &Value) -> bool {
    match (text(a), text(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Mapping(m) => m.is_empty(),
        Value::Sequence(s) => s.is_empty(),
        _ => false,
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// The path without list item names: `spec.ports[].protocol`.
pub(super) fn shape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '[' => {
                depth += 1;
                out.push('[');
            }
            ']' => {
                depth -= 1;
                out.push(']');
            }
            _ if depth > 0 => {}
            c => out.push(c),
        }
    }
    out
}

/// A short, one-line rendering of a value.
fn show(v: &Value) -> String {
    let s = match v {
        Value::Mapping(_) => "{...}".to_owned(),
        Value::Sequence(_) => "[...]".to_owned(),
        _ => text(v).unwrap_or_else(|| "null".to_owned()),
    };
    let s = s.escape_debug().to_string();
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(57).collect::<String>())
    } else {
        s
    }
}
