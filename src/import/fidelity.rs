//! How much of an input a render keeps: the input's leaf fields (path and
//! value, for every object) that come back with the same value.
//!
//! The input is read as kubectl reads it (YAML 1.1 scalars), `List`s
//! flattened. An object is matched by kind and name (and namespace when both
//! say one); containers by position, other list items by `name`, else by
//! `mountPath`, else by `key`, else by position. A
//! leaf is a scalar, or an empty mapping or list (`emptyDir: {}`), or a
//! `null`. A leaf the render leaves out counts as kept when its value is the
//! one the API server fills in (`dnsPolicy: ClusterFirst`, the
//! [`DEFAULTS`](super::diff) of the comparison), or when it is empty (`null`,
//! `{}`, `[]`: `podAffinity: null`, `sysctls: []`), which the comparison
//! does not call a difference either. Tool metadata is not counted at all:
//! see [`EXCLUDED`].

use crate::read::yamlread::{self, Value};

use super::value::text;

/// What the measure leaves out, in one place: (what, why). Labels and
/// annotations are matched by key wherever they appear (object, pod
/// template, claim templates); the rest by path from the object's root.
pub const EXCLUDED: &[(&str, &str)] = &[
    (
        "label helm.sh/chart",
        "the chart and its version: Helm's bookkeeping",
    ),
    (
        "label app.kubernetes.io/managed-by",
        "the tool that made the object (Helm, kubetoml)",
    ),
    (
        "annotation checksum/*",
        "Helm charts' hash of a config, to restart pods when it changes",
    ),
    ("annotation meta.helm.sh/*", "Helm's release bookkeeping"),
    (
        "annotation kubectl.kubernetes.io/last-applied-configuration",
        "kubectl's bookkeeping",
    ),
    (
        "annotation kubetoml.dev/config-hash",
        "kubetoml's hash of the config, the same role as checksum/*",
    ),
    (
        "metadata.uid, resourceVersion, generation, creationTimestamp, managedFields, selfLink",
        "set by the API server",
    ),
    ("status", "set by the API server"),
];

const TOOL_LABELS: &[&str] = &["helm.sh/chart", "app.kubernetes.io/managed-by"];
const TOOL_ANNOTATIONS: &[&str] = &[
    "checksum/",
    "meta.helm.sh/",
    "kubectl.kubernetes.io/last-applied-configuration",
    "kubetoml.dev/config-hash",
];
const SERVER_FIELDS: &[&str] = &[
    "metadata.uid",
    "metadata.resourceVersion",
    "metadata.generation",
    "metadata.creationTimestamp",
    "metadata.managedFields",
    "metadata.selfLink",
    "status",
];

/// The measure of one input against one render.
#[derive(Debug, Default)]
pub struct Fidelity {
    /// Objects in the input.
    pub objects: usize,
    /// Leaf fields in the input, [`EXCLUDED`] aside.
    pub leaves: usize,
    /// Of those, the ones the render has with the same value.
    pub kept: usize,
    /// The others: `Kind/name: path`.
    pub lost: Vec<String>,
}

impl Fidelity {
    /// `kept` as a percentage of `leaves` (100 for an input without leaves).
    pub fn percent(&self) -> f64 {
        if self.leaves == 0 {
            100.0
        } else {
            self.kept as f64 * 100.0 / self.leaves as f64
        }
    }
}

/// Measures how much of the manifests `input` the manifests `rendered` keep.
pub fn measure(input: &str, rendered: &str) -> Result<Fidelity, String> {
    let input = objects(&super::yaml11::as_kubectl_reads(input))?;
    let rendered = objects(rendered)?;
    let mut f = Fidelity {
        objects: input.len(),
        ..Fidelity::default()
    };
    for o in &input {
        let kind = text(&o["kind"]).unwrap_or_default();
        let name = text(&o["metadata"]["name"]).unwrap_or_default();
        let ns = text(&o["metadata"]["namespace"]);
        let twin = rendered.iter().find(|r| {
            text(&r["kind"]).as_deref() == Some(&kind)
                && text(&r["metadata"]["name"]).as_deref() == Some(&name)
                && match (text(&r["metadata"]["namespace"]), &ns) {
                    (Some(a), Some(b)) => a == *b,
                    _ => true,
                }
        });
        let mut mine = Vec::new();
        leaves(o, String::new(), &mut mine);
        let mut theirs = Vec::new();
        if let Some(r) = twin {
            leaves(r, String::new(), &mut theirs);
        }
        let theirs: std::collections::BTreeMap<String, String> = theirs.into_iter().collect();
        for (path, value) in mine {
            if excluded(&path) {
                continue;
            }
            f.leaves += 1;
            let same = match theirs.get(&path) {
                Some(v) => *v == value,
                None => value.starts_with(EMPTY) || is_default(&path, &value),
            };
            if same {
                f.kept += 1;
            } else {
                f.lost.push(format!("{kind}/{name}: {path}"));
            }
        }
    }
    Ok(f)
}

/// What an empty leaf's text starts with (no scalar's text does): `null`, `{}` and `[]`.
const EMPTY: char = '\0';

fn objects(text: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for v in yamlread::documents(text).map_err(|e| format!("not YAML: {e}"))? {
        flatten(v, &mut out);
    }
    Ok(out)
}

fn flatten(v: Value, out: &mut Vec<Value>) {
    if v.is_null() {
        return;
    }
    let list = text(&v["kind"]).is_some_and(|k| k.ends_with("List"));
    if list {
        if let Some(items) = v["items"].as_sequence() {
            for i in items.clone() {
                flatten(i, out);
            }
            return;
        }
    }
    out.push(v);
}

/// Every leaf of `v` under `path`: (path, value text).
fn leaves(v: &Value, path: String, out: &mut Vec<(String, String)>) {
    match v {
        Value::Mapping(m) if !m.is_empty() => {
            for (k, child) in m {
                let k = text(k).unwrap_or_default();
                let p = if path.is_empty() {
                    k
                } else {
                    format!("{path}.{k}")
                };
                leaves(child, p, out);
            }
        }
        Value::Sequence(s) if !s.is_empty() => {
            // Containers by position: a renamed container (kubetoml names the
            // main one after the app) loses its name, not every field.
            let keys = if path.ends_with("containers") || path.ends_with("initContainers") {
                (0..s.len()).map(|i| i.to_string()).collect()
            } else {
                item_keys(s)
            };
            for (key, item) in keys.into_iter().zip(s) {
                leaves(item, format!("{path}[{key}]"), out);
            }
        }
        Value::Mapping(_) => out.push((path, format!("{EMPTY}{{}}"))),
        Value::Sequence(_) => out.push((path, format!("{EMPTY}[]"))),
        Value::Null => out.push((path, format!("{EMPTY}null"))),
        Value::Tagged(t) => leaves(&t.value, path, out),
        _ => out.push((path, text(v).unwrap_or_default())),
    }
}

/// How to name a list's items: `name` (or `metadata.name`) when distinct,
/// else `mountPath`, else `key` (a volume's `items`), else the position.
fn item_keys(list: &[Value]) -> Vec<String> {
    let distinct = |key: &dyn Fn(&Value) -> Option<String>| {
        let names: Vec<String> = list.iter().map(key).collect::<Option<_>>()?;
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        (sorted.len() == names.len()).then_some(names)
    };
    distinct(&|v| text(&v["name"]).or_else(|| text(&v["metadata"]["name"])))
        .or_else(|| distinct(&|v| text(&v["mountPath"])))
        .or_else(|| distinct(&|v| text(&v["key"])))
        .unwrap_or_else(|| (0..list.len()).map(|i| i.to_string()).collect())
}

fn excluded(path: &str) -> bool {
    if SERVER_FIELDS
        .iter()
        .any(|f| path == *f || path.starts_with(&format!("{f}.")))
    {
        return true;
    }
    let in_map = |map: &str, keys: &[&str], prefix: bool| {
        path.match_indices(map).any(|(i, _)| {
            let key = &path[i + map.len()..];
            (i == 0 || path[..i].ends_with('.'))
                && keys.iter().any(|k| {
                    if prefix && k.ends_with('/') {
                        key.starts_with(k)
                    } else {
                        key == *k
                    }
                })
        })
    };
    in_map("labels.", TOOL_LABELS, false) || in_map("annotations.", TOOL_ANNOTATIONS, true)
}

fn is_default(path: &str, value: &str) -> bool {
    let shape = super::diff::shape(path);
    super::diff::DEFAULTS
        .iter()
        .any(|(end, v)| shape.ends_with(end) && *v == value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_kept_lost_and_excluded_leaves() {
        let input = "kind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    helm.sh/chart: x-1\n    app: a\n  annotations:\n    checksum/config: abc\ndata:\n  k: v\n  j: w\n---\nkind: Secret\nmetadata:\n  name: gone\n";
        let rendered = "kind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    app: a\ndata:\n  k: v\n  j: changed\n";
        let f = measure(input, rendered).unwrap();
        assert_eq!(f.objects, 2);
        assert_eq!(f.leaves, 7, "{:?}", f.lost);
        assert_eq!(f.kept, 4);
        assert_eq!(
            f.lost,
            [
                "ConfigMap/a: data.j",
                "Secret/gone: kind",
                "Secret/gone: metadata.name"
            ]
        );
    }

    #[test]
    fn an_empty_leaf_left_out_is_kept_and_one_changed_is_not() {
        let input = "kind: Pod\nmetadata:\n  name: p\nspec:\n  affinity:\n    podAffinity: null\n  securityContext:\n    sysctls: []\n    seLinuxOptions: {}\n  nodeName: \"null\"\n  hostname: x\n";
        let rendered = "kind: Pod\nmetadata:\n  name: p\nspec:\n  hostname: \"null\"\n";
        let f = measure(input, rendered).unwrap();
        assert_eq!((f.leaves, f.kept), (7, 5), "{:?}", f.lost);
        assert_eq!(f.lost, ["Pod/p: spec.nodeName", "Pod/p: spec.hostname"]);
    }

    #[test]
    fn octal_modes_and_defaults_compare_as_kubectl_reads_them() {
        let input = "kind: Pod\nmetadata:\n  name: p\nspec:\n  dnsPolicy: ClusterFirst\n  volumes:\n  - name: v\n    secret:\n      defaultMode: 0440\n";
        let rendered = "kind: Pod\nmetadata:\n  name: p\nspec:\n  volumes:\n  - name: v\n    secret:\n      defaultMode: 288\n";
        let f = measure(input, rendered).unwrap();
        assert_eq!((f.leaves, f.kept), (5, 5), "{:?}", f.lost);
    }
}
