//! What the importers of a StatefulSet, its pods and its companions share:
//! the tables being assembled and the helpers that write entries.

use std::collections::{BTreeMap, BTreeSet};

use super::toml_out::{Doc, Entries, Val};
use super::value::{int, strings, text};
use crate::diag::{Error, ErrorKind};
use crate::read::yamlread::Value;

/// One object of the input.
#[derive(Clone)]
pub(crate) struct Object {
    pub file: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub value: Value,
}

impl Object {
    pub fn label(&self) -> String {
        format!("{}: {}/{}", self.file, self.kind, self.name)
    }
}

/// An error of the import as a whole, not of one input line.
pub fn bare(message: String) -> Error {
    Error::bare(ErrorKind::Invalid, "import", message)
}

/// Whether a Secret's key may be shown in a message: a valid key is a name; any
/// other (a value an edit moved into a key, say) may be a secret, and is masked.
/// Every message of the import that names a Secret's key asks this.
pub fn secret_key_shown(key: &str) -> bool {
    crate::check::validate::data_key(key).is_ok()
}

/// Annotations the API server or kubectl write, not the author.
pub const SERVER_ANNOTATIONS: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    "deprecated.daemonset.template.generation",
];

/// An imported description.
pub struct App {
    pub name: String,
    /// The description, as written to `toml`.
    pub doc: Doc,
    pub toml: String,
    pub data: Vec<DataFile>,
    /// Indices of the input objects it expresses (the StatefulSet first).
    pub objects: Vec<usize>,
    /// Those of them its `extra_manifests` file holds, in input order.
    pub extras: Vec<usize>,
    /// Each `[configmaps.X]` / `[secrets.X]` header and its object's labels,
    /// for [`set_data_labels`] again once roles move the top-level labels.
    pub data_labels: Vec<(String, Vec<(String, String)>)>,
}

/// A data file beside the description.
#[derive(Clone)]
pub struct DataFile {
    pub path: String,
    pub bytes: Vec<u8>,
    pub secret: bool,
}

/// A `[configmaps.X]` or `[secrets.X]` table being assembled.
pub struct DataTable {
    /// The input object it generates; `None` for an `external` one.
    pub object: Option<usize>,
    pub object_name: String,
    pub table: String,
    pub secret: bool,
    pub content: Entries,
    pub usage: Entries,
    pub tail: Entries,
    pub files: Vec<DataFile>,
}

/// What the containers of one pod may refer to.
pub struct Ctx {
    pub tables: Vec<DataTable>,
    /// Claim templates: name and `[volumes.NAME]` entries.
    pub claims: Vec<(String, Entries)>,
    /// Pod volumes backed by an imported ConfigMap or Secret: volume name to (table index, volume).
    pub pod_volumes: BTreeMap<String, (usize, Value)>,
    /// `emptyDir` and `persistentVolumeClaim` pod volumes: name and their `[volumes.NAME]` source entries.
    pub pod_dirs: Vec<(String, Entries)>,
    /// Pod volumes of a standalone claim (`[claims.X]`): volume name to the
    /// claim's name, its table name and the `mount` entries found for it.
    pub standalone: BTreeMap<String, (String, String, Entries)>,
    /// Pod volumes and claim templates some container mounts with a table
    /// `{ volume, path }` of its own: written even without a `mount`, and
    /// their `mount` list never folds `read_only` (the tables' default).
    pub mounted_at: BTreeSet<String>,
}

impl Ctx {
    /// The table generating the ConfigMap (or Secret) named `object`.
    pub fn table(&self, secret: bool, object: &str) -> Option<usize> {
        self.tables
            .iter()
            .position(|t| t.secret == secret && t.object_name == object)
    }
}

/// Sets `key` in `entries`, replacing an earlier value.
pub fn set(entries: &mut Entries, key: &str, val: Val) {
    match entries.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = val,
        None => entries.push((key.to_owned(), val)),
    }
}

/// A string table from a mapping, without the keys in `skip`.
pub fn str_table(pairs: Vec<(String, String)>, skip: &[&str]) -> Val {
    Val::Table(
        pairs
            .into_iter()
            .filter(|(k, _)| !skip.contains(&k.as_str()))
            .map(|(k, v)| (k, Val::Str(v)))
            .collect(),
    )
}

/// A `[configmaps.X]` or `[secrets.X]` table's `labels`: the object's
/// labels (`object`) that the description's top-level ones (`top`) do not
/// give it, before `immutable` and `hash_suffix`; none when there are none.
pub fn set_data_labels(entries: &mut Entries, object: &[(String, String)], top: &Entries) {
    entries.retain(|(k, _)| k != "labels");
    let own: Entries = (object.iter())
        .filter(|(k, v)| !RESERVED_LABELS.contains(&k.as_str()) && !inherited(top, "labels", k, v))
        .map(|(k, v)| (k.clone(), Val::Str(v.clone())))
        .collect();
    if own.is_empty() {
        return;
    }
    let at = (entries.iter())
        .position(|(k, _)| k == "immutable" || k == "hash_suffix")
        .unwrap_or(entries.len());
    entries.insert(at, ("labels".to_owned(), Val::Table(own)));
}

/// Pushes `key = val` unless the value is absent or an empty table or array.
pub fn push(entries: &mut Entries, key: &str, val: Option<Val>) {
    match val {
        Some(Val::Table(t)) if t.is_empty() => {}
        Some(Val::Arr(a)) if a.is_empty() => {}
        Some(v) => entries.push((key.to_owned(), v)),
        None => {}
    }
}

pub fn str_val(v: &Value) -> Option<Val> {
    text(v).map(Val::Str)
}

pub fn int_val(v: &Value) -> Option<Val> {
    int(v).map(Val::Int)
}

pub fn strs_val(v: &Value) -> Option<Val> {
    v.as_sequence()
        .map(|_| Val::Arr(strings(v).into_iter().map(Val::Str).collect()))
}

/// Whether the top-level `labels` (or `annotations`) already give every object `k = v`.
pub fn inherited(top: &Entries, table: &str, k: &str, v: &str) -> bool {
    top.iter().any(|(name, val)| {
        name == table
            && matches!(val, Val::Table(t) if t.iter().any(|(tk, tv)| tk == k && *tv == Val::Str(v.to_owned())))
    })
}

/// Labels kubetoml sets itself; a description may not.
pub const RESERVED_LABELS: &[&str] = &[
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/managed-by",
];
