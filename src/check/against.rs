//! `render --against FILE`: the changes Kubernetes refuses to make in place.
//!
//! The API server rejects an update to a StatefulSet's `selector`,
//! `serviceName`, `podManagementPolicy` or `volumeClaimTemplates` (only
//! `replicas`, `ordinals`, `template`, `updateStrategy`, `minReadySeconds`,
//! `revisionHistoryLimit` and `persistentVolumeClaimRetentionPolicy` may
//! change), a Service's `clusterIP` cannot change once set, nor a
//! RoleBinding's or ClusterRoleBinding's `roleRef`. [`compare`]
//! reads a previous render (a multi-document stream) or `kubectl get -o yaml`
//! output (with server-added fields, or a `kind: List` of objects), finds the
//! StatefulSets and Services that the new documents replace, and returns
//! every such change as a typed [`Change`]; [`error`] draws them, each with
//! the safe procedure, as an [`Error`].
//!
//! The comparison is semantic: both sides are parsed, and only the fields
//! above are compared, after normalizing what the API server fills in
//! (`podManagementPolicy: OrderedReady`, a claim's `volumeMode: Filesystem`)
//! and ignoring what it adds (`status`, `creationTimestamp`, `apiVersion` and
//! `kind` inside claim templates, metadata other than labels and
//! annotations). Storage sizes are compared as quantities: `1Gi` equals
//! `1024Mi`; a size that is not a quantity is compared as text.
//!
//! An object is the same object when kind and name match and, when both
//! name a namespace, the namespaces match. A FILE without a matching
//! StatefulSet or Service (a first deploy) yields no change.

use std::cmp::Ordering;
use std::fmt::Write as _;

use crate::read::yamlread::{self, Mapping, Value};

use crate::diag::{Diagnostic, Error, ErrorKind};
use crate::model::Kind;
use crate::model::quantity::Quantity;
use crate::write::render::Document;

/// One change Kubernetes refuses to apply in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `StatefulSet`, `Service`, `RoleBinding` or `ClusterRoleBinding`.
    pub kind: &'static str,
    /// The object's name.
    pub name: String,
    /// Its namespace, when either side names one.
    pub namespace: Option<String>,
    /// The changed field, as a path: `spec.serviceName`,
    /// `spec.volumeClaimTemplates[www].spec.resources.requests.storage`.
    pub field: String,
    /// The previous value, as text; `None`: not set.
    pub old: Option<String>,
    /// The new value, as text; `None`: not set.
    pub new: Option<String>,
    /// What kind of change it is, which decides the procedure.
    pub what: ChangeKind,
    /// The pods the previous StatefulSet runs (from its `replicas` and
    /// `ordinals.start`), whose claims the procedure names.
    pub pods: Vec<String>,
}

/// The kinds of [`Change`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChangeKind {
    /// `spec.selector`.
    Selector,
    /// `spec.serviceName`.
    ServiceName,
    /// `spec.podManagementPolicy`.
    PodManagementPolicy,
    /// A volumeClaimTemplate that was not there before.
    ClaimAdded {
        /// Template name.
        claim: String,
    },
    /// A volumeClaimTemplate that is gone (or renamed).
    ClaimRemoved {
        /// Template name.
        claim: String,
    },
    /// A claim template's storage request, larger than before.
    ClaimGrown {
        /// Template name.
        claim: String,
    },
    /// A claim template's storage request, smaller than before.
    ClaimShrunk {
        /// Template name.
        claim: String,
    },
    /// A claim template's storage class.
    ClaimStorageClass {
        /// Template name.
        claim: String,
    },
    /// Any other field of a claim template (access modes, labels, volume mode...).
    ClaimOther {
        /// Template name.
        claim: String,
    },
    /// A Service's `spec.clusterIP` (kubetoml's Service is headless: `None`).
    ClusterIp,
    /// A RoleBinding's or ClusterRoleBinding's `roleRef` (its role's kind or name).
    RoleRef,
    /// A standalone claim's (`[claims.X]`) size made smaller, its storage
    /// class or its access modes: the API server refuses each. (Growing is
    /// allowed when the storage class allows expansion: see [`notes`].)
    StandaloneClaim,
}

/// Compares the documents about to be printed with `previous`, the text of
/// the file named `previous_name`. `Err` when `previous` is not Kubernetes YAML.
pub fn compare(
    previous: &str,
    previous_name: &str,
    documents: &[Document],
) -> Result<Vec<Change>, Error> {
    let old = objects(previous, previous_name)?;
    let mut changes = Vec::new();
    for doc in documents {
        let kind = match doc.kind {
            Kind::StatefulSet => "StatefulSet",
            Kind::Service => "Service",
            Kind::RoleBinding => "RoleBinding",
            Kind::ClusterRoleBinding => "ClusterRoleBinding",
            Kind::PersistentVolumeClaim => "PersistentVolumeClaim",
            _ => continue,
        };
        // Our own output; a template that does not parse failed in render already.
        let Ok(new) = yamlread::parse(&doc.yaml) else {
            continue;
        };
        let Some(before) = old.iter().find(|o| same_object(o, doc)) else {
            continue;
        };
        let namespace = doc
            .namespace
            .clone()
            .or_else(|| str_at(before, &["metadata", "namespace"]).map(str::to_owned));
        let mut cx = Cx {
            kind,
            name: &doc.name,
            namespace,
            pods: Vec::new(),
            out: &mut changes,
        };
        if doc.kind == Kind::StatefulSet {
            cx.pods = pods_of(before, &doc.name);
            compare_stateful_set(&mut cx, before, &new);
        } else if doc.kind == Kind::PersistentVolumeClaim {
            compare_claim(&mut cx, before, &new);
        } else if doc.kind != Kind::Service {
            compare_role_ref(&mut cx, before, &new);
        } else if str_at(&new, &["spec", "clusterIP"]) == Some("None") {
            // Only the headless Service; a client Service's address is the cluster's to choose.
            compare_service(&mut cx, before);
        }
    }
    Ok(changes)
}

/// Draws `changes` found against the file `previous_name`, each with the
/// procedure that makes it safely.
pub fn error(changes: &[Change], previous_name: &str) -> Error {
    let diagnostics = changes
        .iter()
        .map(|c| Diagnostic::bare(message(c)).with_help(procedure(c)))
        .collect();
    Error::new(ErrorKind::Immutable, previous_name, "", diagnostics)
}

/// [`compare`], then [`error`] when anything cannot change in place.
pub fn check(previous: &str, previous_name: &str, documents: &[Document]) -> Result<(), Error> {
    let changes = compare(previous, previous_name, documents)?;
    if changes.is_empty() {
        Ok(())
    } else {
        Err(error(&changes, previous_name))
    }
}

/// Every object in a YAML stream, with `kind: List` wrappers opened.
fn objects(text: &str, name: &str) -> Result<Vec<Value>, Error> {
    let not_k8s = |why: String| {
        Error::bare(
            ErrorKind::Against,
            name,
            format!(
                "`{}` is not Kubernetes YAML: {}",
                printable(name),
                printable(&why)
            ),
        )
    };
    let mut out = Vec::new();
    let values = yamlread::documents(text).map_err(|e| not_k8s(e.to_string()))?;
    for (i, value) in values.into_iter().enumerate() {
        match value {
            Value::Null => {}
            Value::Mapping(m) => {
                // `kubectl get -o yaml` of several objects: kind `List` (or `ServiceList`...).
                let is_list = m
                    .get("kind")
                    .and_then(Value::as_str)
                    .is_some_and(|k| k.ends_with("List"))
                    && m.get("items").is_some_and(Value::is_sequence);
                if is_list {
                    let items = m.get("items").and_then(Value::as_sequence);
                    out.extend(
                        items
                            .into_iter()
                            .flatten()
                            .filter(|v| v.is_mapping())
                            .cloned(),
                    );
                } else {
                    out.push(Value::Mapping(m));
                }
            }
            _ => {
                return Err(not_k8s(format!(
                    "document {} is not a mapping of fields",
                    i + 1
                )))
            }
        }
    }
    Ok(out)
}

fn same_object(old: &Value, doc: &Document) -> bool {
    if str_at(old, &["kind"]) != Some(doc.kind.as_str())
        || str_at(old, &["metadata", "name"]) != Some(doc.name.as_str())
    {
        return false;
    }
    match (str_at(old, &["metadata", "namespace"]), &doc.namespace) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, key| v.get(*key))
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path).and_then(Value::as_str)
}

/// The pod names the previous StatefulSet runs.
fn pods_of(sts: &Value, name: &str) -> Vec<String> {
    let int = |path: &[&str], default: i64| match at(sts, path) {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(default),
        Some(Value::String(s)) => s.parse().unwrap_or(default),
        _ => default,
    };
    let start = int(&["spec", "ordinals", "start"], 0);
    let replicas = int(&["spec", "replicas"], 1).clamp(0, 10_000);
    (start..start.saturating_add(replicas))
        .map(|i| format!("{name}-{i}"))
        .collect()
}

struct Cx<'a> {
    kind: &'static str,
    name: &'a str,
    namespace: Option<String>,
    pods: Vec<String>,
    out: &'a mut Vec<Change>,
}

impl Cx<'_> {
    fn push(&mut self, field: String, old: Option<String>, new: Option<String>, what: ChangeKind) {
        self.out.push(Change {
            kind: self.kind,
            name: self.name.to_owned(),
            namespace: self.namespace.clone(),
            field,
            old,
            new,
            what,
            pods: self.pods.clone(),
        });
    }
}

fn compare_stateful_set(cx: &mut Cx<'_>, old: &Value, new: &Value) {
    let (old_sel, new_sel) = (
        selector(at(old, &["spec", "selector"])),
        selector(at(new, &["spec", "selector"])),
    );
    if old_sel != new_sel {
        cx.push(
            "spec.selector".into(),
            Some(selector_text(&old_sel)),
            Some(selector_text(&new_sel)),
            ChangeKind::Selector,
        );
    }
    let service = |v| str_at(v, &["spec", "serviceName"]).filter(|s| !s.is_empty());
    if service(old) != service(new) {
        cx.push(
            "spec.serviceName".into(),
            service(old).map(str::to_owned),
            service(new).map(str::to_owned),
            ChangeKind::ServiceName,
        );
    }
    // The API server fills in OrderedReady when it is not set.
    // Unset or empty, the API server stores its default.
    let policy = |v| match str_at(v, &["spec", "podManagementPolicy"]) {
        None | Some("") => "OrderedReady",
        Some(p) => p,
    };
    if policy(old) != policy(new) {
        cx.push(
            "spec.podManagementPolicy".into(),
            Some(policy(old).to_owned()),
            Some(policy(new).to_owned()),
            ChangeKind::PodManagementPolicy,
        );
    }
    let (old_claims, new_claims) = (claims(old), claims(new));
    for (name, before) in &old_claims {
        let field = format!("spec.volumeClaimTemplates[{name}]");
        let Some((_, after)) = new_claims.iter().find(|(n, _)| n == name) else {
            cx.push(
                field,
                Some(claim_summary(before)),
                None,
                ChangeKind::ClaimRemoved {
                    claim: name.clone(),
                },
            );
            continue;
        };
        let mut diffs = Vec::new();
        diff(&field, Some(before), Some(after), &mut diffs);
        for (path, a, b) in diffs {
            let claim = name.clone();
            let what = if path.ends_with(".spec.resources.requests.storage") {
                match (
                    a.as_ref().and_then(Value::as_str),
                    b.as_ref().and_then(Value::as_str),
                ) {
                    (Some(x), Some(y)) => match compare_quantities(x, y) {
                        Some(Ordering::Equal) => continue,
                        Some(Ordering::Less) => ChangeKind::ClaimGrown { claim },
                        Some(Ordering::Greater) => ChangeKind::ClaimShrunk { claim },
                        // Not quantities: compared as text, and they differ.
                        None => ChangeKind::ClaimOther { claim },
                    },
                    _ => ChangeKind::ClaimOther { claim },
                }
            } else if path.ends_with(".spec.storageClassName") {
                ChangeKind::ClaimStorageClass { claim }
            } else {
                ChangeKind::ClaimOther { claim }
            };
            cx.push(
                path,
                a.as_ref().map(value_text),
                b.as_ref().map(value_text),
                what,
            );
        }
    }
    for (name, after) in &new_claims {
        if !old_claims.iter().any(|(n, _)| n == name) {
            cx.push(
                format!("spec.volumeClaimTemplates[{name}]"),
                None,
                Some(claim_summary(after)),
                ChangeKind::ClaimAdded {
                    claim: name.clone(),
                },
            );
        }
    }
}

/// A standalone claim: it may grow (see [`notes`]), not shrink nor change class or access modes.
fn compare_claim(cx: &mut Cx<'_>, old: &Value, new: &Value) {
    let storage = ["spec", "resources", "requests", "storage"];
    if let (Some(a), Some(b)) = (str_at(old, &storage), str_at(new, &storage)) {
        if matches!(compare_quantities(a, b), Some(Ordering::Greater) | None) && a != b {
            cx.push(
                "spec.resources.requests.storage".into(),
                Some(a.to_owned()),
                Some(b.to_owned()),
                ChangeKind::StandaloneClaim,
            );
        }
    }
    for path in [&["spec", "storageClassName"][..], &["spec", "accessModes"]] {
        let (a, b) = (at(old, path), at(new, path));
        // The API server fills in the default class of a claim that names none.
        if path[1] == "storageClassName" && b.is_none() {
            continue;
        }
        let mut diffs = Vec::new();
        diff(&path.join("."), a, b, &mut diffs);
        if !diffs.is_empty() {
            cx.push(
                path.join("."),
                a.map(value_text),
                b.map(value_text),
                ChangeKind::StandaloneClaim,
            );
        }
    }
}

/// What applying `documents` over `previous` does that may or may not work,
/// which cannot be known offline: a standalone claim that grows (the API
/// server expands it only if its storage class has `allowVolumeExpansion`).
/// One line each, for warnings. `previous` that does not parse gives none
/// (`compare` reports it).
pub fn notes(previous: &str, previous_name: &str, documents: &[Document]) -> Vec<String> {
    let Ok(old) = objects(previous, previous_name) else {
        return Vec::new();
    };
    let storage = ["spec", "resources", "requests", "storage"];
    let mut out = Vec::new();
    for doc in documents.iter().filter(|d| d.kind == Kind::PersistentVolumeClaim) {
        let (Ok(new), Some(before)) = (
            yamlread::parse(&doc.yaml),
            old.iter().find(|o| same_object(o, doc)),
        ) else {
            continue;
        };
        if let (Some(a), Some(b)) = (str_at(before, &storage), str_at(&new, &storage)) {
            if compare_quantities(a, b) == Some(Ordering::Less) {
                out.push(format!(
                    "PersistentVolumeClaim `{}` grows from {} to {}: the cluster expands it only if its storage class allows it (`allowVolumeExpansion: true`), which cannot be known offline; check with `kubectl get storageclass`",
                    printable(&doc.name),
                    printable(a),
                    printable(b)
                ));
            }
        }
    }
    out
}

/// A binding's `roleRef` cannot change: the API server refuses any update to it.
fn compare_role_ref(cx: &mut Cx<'_>, old: &Value, new: &Value) {
    let role = |v| {
        let kind = str_at(v, &["roleRef", "kind"]).unwrap_or_default();
        let name = str_at(v, &["roleRef", "name"]).unwrap_or_default();
        format!("{kind}/{name}")
    };
    if role(old) != role(new) {
        cx.push(
            "roleRef".into(),
            Some(role(old)),
            Some(role(new)),
            ChangeKind::RoleRef,
        );
    }
}

fn compare_service(cx: &mut Cx<'_>, old: &Value) {
    // kubetoml's Service is always headless; a previous one with an address
    // cannot become headless in place (nor the other way round).
    match str_at(old, &["spec", "clusterIP"]) {
        Some(ip) if !ip.is_empty() && ip != "None" => cx.push(
            "spec.clusterIP".into(),
            Some(ip.to_owned()),
            Some("None".into()),
            ChangeKind::ClusterIp,
        ),
        _ => {}
    }
}

/// `matchLabels` and any `matchExpressions`, with empty parts dropped.
fn selector(v: Option<&Value>) -> Mapping {
    let mut m = Mapping::new();
    for key in ["matchLabels", "matchExpressions"] {
        if let Some(part) = v
            .and_then(|v| v.get(key))
            .map(prune)
            .filter(|p| !is_empty(p))
        {
            m.insert(key.into(), part);
        }
    }
    m
}

fn selector_text(m: &Mapping) -> String {
    let mut parts: Vec<String> = m
        .get("matchLabels")
        .and_then(Value::as_mapping)
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{}={}", value_text(k), value_text(v)))
        .collect();
    parts.sort();
    if let Some(e) = m.get("matchExpressions") {
        parts.push(format!("matchExpressions: {}", value_text(e)));
    }
    if parts.is_empty() {
        "(empty)".into()
    } else {
        parts.join(",")
    }
}

/// The claim templates by name, normalized: only `metadata.labels`,
/// `metadata.annotations` and `spec`, with server defaults filled in.
fn claims(sts: &Value) -> Vec<(String, Value)> {
    let templates = at(sts, &["spec", "volumeClaimTemplates"]).and_then(Value::as_sequence);
    templates
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let name = str_at(t, &["metadata", "name"])?.to_owned();
            let mut meta = Mapping::new();
            for key in ["labels", "annotations"] {
                if let Some(v) = at(t, &["metadata", key]) {
                    meta.insert(key.into(), v.clone());
                }
            }
            let mut spec = t
                .get("spec")
                .and_then(Value::as_mapping)
                .cloned()
                .unwrap_or_default();
            if !spec.contains_key("volumeMode") {
                spec.insert("volumeMode".into(), "Filesystem".into());
            }
            let mut m = Mapping::new();
            m.insert("metadata".into(), Value::Mapping(meta));
            m.insert("spec".into(), Value::Mapping(spec));
            Some((name, prune(&Value::Mapping(m))))
        })
        .collect()
}

fn claim_summary(claim: &Value) -> String {
    let mut s = str_at(claim, &["spec", "resources", "requests", "storage"])
        .unwrap_or("no size")
        .to_owned();
    match str_at(claim, &["spec", "storageClassName"]) {
        Some(class) => {
            let _ = write!(s, ", storage class {class}");
        }
        None => s.push_str(", default storage class"),
    }
    if let Some(modes) = at(claim, &["spec", "accessModes"]).and_then(Value::as_sequence) {
        let modes: Vec<String> = modes.iter().map(value_text).collect();
        let _ = write!(s, ", {}", modes.join(", "));
    }
    s
}

/// Drops nulls and empty mappings and sequences, recursively: the API
/// server does not tell "empty" from "not set" for the fields compared here.
fn prune(v: &Value) -> Value {
    match v {
        Value::Mapping(m) => Value::Mapping(
            m.iter()
                .map(|(k, v)| (k.clone(), prune(v)))
                .filter(|(_, v)| !is_empty(v))
                .collect(),
        ),
        Value::Sequence(s) => Value::Sequence(s.iter().map(prune).collect()),
        Value::Tagged(t) => prune(&t.value),
        other => other.clone(),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Mapping(m) => m.is_empty(),
        Value::Sequence(s) => s.is_empty(),
        _ => false,
    }
}

type Diff = (String, Option<Value>, Option<Value>);

/// The leaves that differ between two values; sequences compare whole.
fn diff(path: &str, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<Diff>) {
    if let (Some(Value::Mapping(a)), Some(Value::Mapping(b))) = (old, new) {
        let mut keys: Vec<&Value> = a.keys().collect();
        keys.extend(b.keys().filter(|k| !a.contains_key(*k)));
        for k in keys {
            let child = format!("{path}.{}", value_text(k));
            diff(&child, a.get(k), b.get(k), out);
        }
    } else if !same_scalar(old, new) {
        out.push((path.to_owned(), old.cloned(), new.cloned()));
    }
}

/// Equal values, reading a number and the same number written as a string
/// alike (`port: 80` and `port: "80"` read the same to the API server for
/// the string fields compared here).
fn same_scalar(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => {
            x == y || (is_scalar(x) && is_scalar(y) && value_text(x) == value_text(y))
        }
        (None, None) => true,
        _ => false,
    }
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

/// A value as people read it: strings bare, the rest as compact JSON.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        other => serde_json::to_string(other).unwrap_or_else(|_| format!("{other:?}")),
    }
}

/// Compares two Kubernetes quantities (`1Gi`, `1024Mi`, `500m`, `1e3`) by
/// value; `None` when either is not a quantity or too large to compare exactly.
pub fn compare_quantities(a: &str, b: &str) -> Option<Ordering> {
    Quantity::parse(a).ok()?.compare(&Quantity::parse(b).ok()?)
}

/// `text` safe to print: control characters (C0, DEL, C1) and bidirectional
/// controls, which would rewrite what the terminal shows, as `\u{..}` escapes.
/// Everything quoted from the `--against` file goes through it.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        let bidi = matches!(ch, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if ch.is_control() || bidi {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(ch));
        } else {
            out.push(ch);
        }
    }
    out
}

/// `word` as one shell word, to paste: bare when it holds only characters no shell
/// treats specially (every valid Kubernetes name does), else in single quotes with
/// each `'` written `'\''`. Control characters are escaped first ([`printable`]):
/// a name holding them names no object, and the terminal must not act on them.
fn sh(word: &str) -> String {
    let word = printable(word);
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"-._/:=@,+%".contains(&b);
    if !word.is_empty() && word.bytes().all(plain) {
        word
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn shown(v: &Option<String>) -> String {
    match v {
        Some(v) => format!("`{}`", printable(v)),
        None => "not set".into(),
    }
}

fn message(c: &Change) -> String {
    let what = format!("{} `{}`", c.kind, printable(&c.name));
    let field = printable(&c.field);
    match &c.what {
        ChangeKind::ClaimAdded { claim } => format!(
            "cannot add volumeClaimTemplate `{}` (`{field}`: {}) to {what} in place",
            printable(claim),
            shown(&c.new)
        ),
        ChangeKind::ClaimRemoved { claim } => format!(
            "cannot remove volumeClaimTemplate `{}` (`{field}`: {}) from {what} in place",
            printable(claim),
            shown(&c.old)
        ),
        _ => format!(
            "cannot change `{field}` of {what} in place: {} -> {}",
            shown(&c.old),
            shown(&c.new)
        ),
    }
}

/// The pieces every procedure is made of, each already quoted for the shell
/// or escaped for the terminal.
struct Words {
    /// ` -n NAMESPACE`, or nothing.
    ns: String,
    /// The object's name, as a shell word.
    name: String,
    /// Step: delete the StatefulSet, leaving its pods and claims.
    orphan: String,
    /// Step: apply, adopting the pods.
    adopt: &'static str,
    /// The first pod the previous StatefulSet runs, as a shell word.
    first_pod: String,
}

impl Words {
    fn of(c: &Change) -> Words {
        let ns = c
            .namespace
            .as_ref()
            .map(|n| format!(" -n {}", sh(n)))
            .unwrap_or_default();
        let name = sh(&c.name);
        let orphan = format!(
            "kubectl delete statefulset {name}{ns} --cascade=orphan   (pods and claims stay, and keep running)"
        );
        let first_pod = sh(&c
            .pods
            .first()
            .cloned()
            .unwrap_or_else(|| format!("{}-0", c.name)));
        Words {
            ns,
            name,
            orphan,
            adopt: "apply the new YAML: the new StatefulSet adopts the running pods",
            first_pod,
        }
    }
}

/// The claims of template `claim`, one per pod, unquoted.
fn claim_names(c: &Change, claim: &str) -> Vec<String> {
    c.pods.iter().map(|p| format!("{claim}-{p}")).collect()
}

/// Claim names for prose: one, two, or the first and last.
fn list(names: &[String]) -> String {
    let quoted = |n: &String| format!("`{}`", printable(n));
    match names {
        [] => "(none)".into(),
        [one] => quoted(one),
        [first, .., last] if names.len() > 2 => format!("{} to {}", quoted(first), quoted(last)),
        _ => names.iter().map(quoted).collect::<Vec<_>>().join(" and "),
    }
}

/// The safe way to make change `c`, as numbered steps under one sentence.
fn procedure(c: &Change) -> String {
    let Words {
        ns,
        name,
        orphan,
        adopt,
        first_pod,
    } = Words::of(c);
    match &c.what {
        ChangeKind::ClusterIp => format!(
            "a Service's clusterIP cannot change; replace the Service:\n\
             1. kubectl delete service {name}{ns}\n\
             2. apply the new YAML (the pods' DNS names resolve again once the headless Service is back)"
        ),
        ChangeKind::StandaloneClaim => format!(
            "a PersistentVolumeClaim cannot shrink, nor change its storage class or access modes; make a new claim:\n\
             1. give the `[claims.X]` table a new name, so the new YAML makes a new claim\n\
             2. apply it, and copy the data across (a Job that mounts both claims)\n\
             3. once the data is safe: kubectl delete persistentvolumeclaim {name}{ns}"
        ),
        ChangeKind::RoleRef => format!(
            "Kubernetes refuses to change a binding's roleRef; replace the binding:\n\
             1. kubectl delete {} {name}{ns}   (the pods lose these permissions until step 2)\n\
             2. apply the new YAML",
            c.kind.to_ascii_lowercase()
        ),
        ChangeKind::Selector => format!(
            "Kubernetes refuses to change a StatefulSet's selector; replace the StatefulSet, keeping its pods and claims:\n\
             1. {orphan}\n\
             2. apply the new YAML\n\
             3. the old pods do not match the new selector, so they are not adopted and keep their names taken:\n   \
             delete them one at a time (`kubectl delete pod {first_pod}{ns}`, waiting for each to come back Ready);\n   \
             each returns under the new StatefulSet with its old claims"
        ),
        ChangeKind::ServiceName => format!(
            "Kubernetes refuses to change a StatefulSet's serviceName; replace the StatefulSet, keeping its pods and claims:\n\
             1. {orphan}\n\
             2. {adopt}\n\
             3. adopted pods keep their DNS names under {} until they are recreated:\n   \
             kubectl rollout restart statefulset {name}{ns}",
            shown(&c.old)
        ),
        ChangeKind::PodManagementPolicy => format!(
            "Kubernetes refuses to change a StatefulSet's podManagementPolicy; replace the StatefulSet, keeping its pods and claims:\n\
             1. {orphan}\n\
             2. {adopt}"
        ),
        ChangeKind::ClaimGrown { claim } => grow_procedure(c, claim, &ns, &orphan, adopt),
        ChangeKind::ClaimShrunk { claim }
        | ChangeKind::ClaimStorageClass { claim }
        | ChangeKind::ClaimOther { claim }
        | ChangeKind::ClaimAdded { claim }
        | ChangeKind::ClaimRemoved { claim } => claim_procedure(c, claim, &ns, &orphan, adopt, &first_pod),
    }
}

/// Growing the claims of template `claim`: patch each claim, then replace the StatefulSet.
fn grow_procedure(c: &Change, claim: &str, ns: &str, orphan: &str, adopt: &str) -> String {
    let names: Vec<String> = claim_names(c, claim).iter().map(|n| sh(n)).collect();
    let size = c.new.clone().unwrap_or_default();
    let body = serde_json::json!({"spec": {"resources": {"requests": {"storage": size}}}});
    let patch = format!("-p {}", sh(&body.to_string()));
    let step1 = match names.as_slice() {
        [one] => format!("kubectl patch pvc {one}{ns} {patch}"),
        _ => format!(
            "for pvc in {}; do kubectl patch pvc \"$pvc\"{ns} {patch}; done",
            names.join(" ")
        ),
    };
    format!(
        "volumeClaimTemplates cannot change, and existing claims never follow the template; grow the claims themselves:\n\
         1. {step1}\n   \
         (the storage class must have `allowVolumeExpansion: true`; check with `kubectl get storageclass`)\n\
         2. {orphan}\n\
         3. {adopt}; claims it creates from now on ask for {}",
        printable(&size)
    )
}

/// Every other change to the claim templates (the claim kinds but growing).
fn claim_procedure(
    c: &Change,
    claim: &str,
    ns: &str,
    orphan: &str,
    adopt: &str,
    first_pod: &str,
) -> String {
    let names = claim_names(c, claim);
    match &c.what {
        ChangeKind::ClaimShrunk { .. } => format!(
            "a claim cannot shrink: Kubernetes refuses to lower a claim's storage request, so {} keep {}.\n\
             Keep the old size in the description; to really use smaller volumes, move the data to new claims yourself",
            list(&names),
            shown(&c.old)
        ),
        ChangeKind::ClaimStorageClass { .. } => format!(
            "volumeClaimTemplates cannot change, and a claim's storage class never changes:\n\
             1. {orphan}\n\
             2. {adopt}; only claims created from now on use {}\n\
             3. the existing claims {} stay on {}; to move one pod, back up its data, then\n   \
             `kubectl delete pvc {}{ns} --wait=false && kubectl delete pod {first_pod}{ns}`:\n   \
             the StatefulSet recreates both, the claim empty on the new class; restore the data",
            shown(&c.new),
            list(&names),
            shown(&c.old),
            sh(&format!("{claim}-{}", c.pods.first().cloned().unwrap_or_else(|| format!("{}-0", c.name)))),
        ),
        ChangeKind::ClaimAdded { .. } => format!(
            "volumeClaimTemplates cannot change; replace the StatefulSet, keeping its pods and claims:\n\
             1. {orphan}\n\
             2. {adopt}; it creates each pod's `{}` claim ({}) when it recreates the pod with the new template",
            printable(claim),
            list(&names)
        ),
        ChangeKind::ClaimRemoved { .. } => format!(
            "volumeClaimTemplates cannot change; replace the StatefulSet, keeping its pods and claims:\n\
             1. {orphan}\n\
             2. {adopt}\n\
             3. the claims {} stay, with their data, but no pod mounts them any more (a renamed template's\n   \
             new claims start empty); delete them when the data is no longer needed:\n   \
             kubectl delete pvc {}{ns}",
            list(&names),
            names.iter().map(|n| sh(n)).collect::<Vec<_>>().join(" ")
        ),
        _ => format!(
            "volumeClaimTemplates cannot change, and existing claims never follow the template:\n\
             1. {orphan}\n\
             2. {adopt}; only claims created from now on get the new `{}`;\n   \
             the existing claims {} keep {}",
            printable(c.field.rsplit('.').next().unwrap_or(&c.field)),
            list(&names),
            shown(&c.old)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_compare_by_value() {
        assert_eq!(compare_quantities("1Gi", "1024Mi"), Some(Ordering::Equal));
        assert_eq!(compare_quantities("1Gi", "2Gi"), Some(Ordering::Less));
        assert_eq!(compare_quantities("1G", "1Gi"), Some(Ordering::Less));
        assert_eq!(compare_quantities("1.5Gi", "1536Mi"), Some(Ordering::Equal));
        assert_eq!(compare_quantities("500m", "0.5"), Some(Ordering::Equal));
        assert_eq!(compare_quantities("1e3", "1k"), Some(Ordering::Equal));
        assert_eq!(compare_quantities("20Gi", "10Gi"), Some(Ordering::Greater));
        assert_eq!(compare_quantities("lots", "1Gi"), None);
        assert_eq!(compare_quantities("1Gb", "1Gi"), None);
        assert_eq!(compare_quantities("", "1Gi"), None);
    }

    #[test]
    fn text_that_is_not_kubernetes_yaml_is_an_error() {
        let e = objects("name = \"web\"\n", "web.toml").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Against);
        assert!(
            e.to_string().contains("`web.toml` is not Kubernetes YAML"),
            "{e}"
        );
        assert!(objects("a: [\n", "x.yaml").is_err());
        assert!(objects("", "empty.yaml").unwrap().is_empty());
    }

    fn sts(namespace: Option<&str>, storage: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\n{}spec:\n  serviceName: db\n  \
             selector: {{matchLabels: {{app: db}}}}\n  volumeClaimTemplates:\n    - metadata: {{name: data}}\n      \
             spec: {{accessModes: [ReadWriteOnce], resources: {{requests: {{storage: {storage}}}}}}}\n",
            namespace.map(|n| format!("  namespace: {n}\n")).unwrap_or_default()
        )
    }

    fn doc(namespace: Option<&str>, storage: &str) -> Document {
        Document {
            kind: Kind::StatefulSet,
            name: "db".into(),
            namespace: namespace.map(str::to_owned),
            yaml: sts(namespace, storage),
        }
    }

    #[test]
    fn sizes_that_are_not_quantities_compare_as_text() {
        let changes = compare(&sts(None, "lots"), "old.yaml", &[doc(None, "1Gi")]).unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(
            changes[0].what,
            ChangeKind::ClaimOther {
                claim: "data".into()
            }
        );
        assert_eq!(changes[0].old.as_deref(), Some("lots"));
        assert!(
            compare(&sts(None, "lots"), "old.yaml", &[doc(None, "lots")])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn namespaces_match_when_both_are_named() {
        let grown = |old_ns, new_ns| {
            compare(&sts(old_ns, "1Gi"), "old.yaml", &[doc(new_ns, "2Gi")])
                .unwrap()
                .len()
        };
        assert_eq!(grown(Some("a"), Some("a")), 1);
        assert_eq!(grown(Some("a"), Some("b")), 0);
        assert_eq!(grown(None, Some("b")), 1);
        assert_eq!(grown(Some("a"), None), 1);
    }

    #[test]
    fn lists_are_opened() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- kind: Service\n  metadata: {name: a}\n- kind: StatefulSet\n  metadata: {name: b}\n";
        let objs = objects(text, "x").unwrap();
        assert_eq!(objs.len(), 2);
        assert_eq!(str_at(&objs[1], &["metadata", "name"]), Some("b"));
    }
}
