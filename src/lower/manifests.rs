//! `extra_manifests`: a user's own Kubernetes objects, read through the
//! sources (under the load restriction), checked to be objects, given the
//! app's namespace and labels where they have none, and kept from colliding
//! with a generated object.

use crate::read::yamlread::{self, Mapping, Value};

use super::context::*;
use crate::write::yaml;

/// Kinds that live outside any namespace: these are never given the app's.
/// Any other kind (a custom resource too) is taken to be namespaced.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "ClusterIssuer",
    "ClusterRole",
    "ClusterRoleBinding",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PriorityClass",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

impl Lowerer<'_> {
    /// Reads every file of `extra_manifests` into objects to append to `model`.
    pub(super) fn extra_manifests(
        &mut self,
        files: &[Spanned<String>],
        model: &Model,
    ) -> Vec<ExtraManifest> {
        let app = &model.stateful_set.metadata;
        let mut taken: BTreeMap<(String, Option<String>, String), String> = generated(model);
        let mut out = Vec::new();
        for file in files {
            let bytes = match self.sources.read_file(file.get_ref()) {
                Ok(b) => b,
                Err(e) => {
                    self.source_error(e, file.span());
                    continue;
                }
            };
            for (i, doc) in self.documents(file, &bytes).into_iter().enumerate() {
                let at = format!("`{}`, document {}", file.get_ref(), i + 1);
                let Some(m) = self.manifest(file, &at, doc, app) else {
                    continue;
                };
                let key = (m.kind.clone(), m.namespace.clone(), m.name.clone());
                if let Some(first) = taken.insert(key, at.clone()) {
                    self.error_help(
                        format!("{at} is {} `{}`, which {first} makes too", m.kind, m.name),
                        file.span(),
                        "object already defined",
                        "give it another name: two objects of one kind cannot share a name",
                    );
                    continue;
                }
                out.push(m);
            }
        }
        out
    }

    /// The YAML documents of one file, empty ones left out.
    fn documents(&mut self, file: &Spanned<String>, bytes: &[u8]) -> Vec<Value> {
        let Ok(text) = std::str::from_utf8(bytes) else {
            self.error(
                format!("`{}` is not UTF-8 text", file.get_ref()),
                file.span(),
                "not a YAML file",
            );
            return Vec::new();
        };
        // The reader's errors name a position and what is wrong, never the content.
        match yamlread::documents(text) {
            Ok(docs) => docs.into_iter().filter(|d| !d.is_null()).collect(),
            Err(e) => {
                self.error(
                    format!("`{}` is not valid YAML: {e}", file.get_ref()),
                    file.span(),
                    "not read",
                );
                Vec::new()
            }
        }
    }

    /// One document, checked to be a Kubernetes object and given the app's
    /// namespace and labels where it has none.
    fn manifest(
        &mut self,
        file: &Spanned<String>,
        at: &str,
        mut doc: Value,
        app: &Metadata,
    ) -> Option<ExtraManifest> {
        let field =
            |doc: &Value, key: &str| doc.get(key).and_then(Value::as_str).map(str::to_owned);
        let kind = field(&doc, "kind");
        let api_version = field(&doc, "apiVersion");
        let name = doc.get("metadata").and_then(|m| field(m, "name"));
        let (Some(kind), Some(_), Some(name)) = (kind, api_version, name) else {
            self.error_help(
                format!("{at} is not a Kubernetes object"),
                file.span(),
                "not an object",
                "every document needs `apiVersion`, `kind` and `metadata.name`, as strings",
            );
            return None;
        };
        if let Err(reason) = object_names(&kind, &name, doc.get("metadata")) {
            self.error(
                format!("{at} is not a valid object: {reason}"),
                file.span(),
                "invalid object",
            );
            return None;
        }
        let metadata = doc.get_mut("metadata").and_then(Value::as_mapping_mut)?;
        let namespace = match metadata.get("namespace").and_then(Value::as_str) {
            Some(ns) => Some(ns.to_owned()),
            None if CLUSTER_SCOPED.contains(&kind.as_str()) => None,
            None => {
                if let Some(ns) = &app.namespace {
                    metadata.insert("namespace".into(), ns.clone().into());
                }
                app.namespace.clone()
            }
        };
        if !matches!(metadata.get("labels"), Some(Value::Mapping(_))) {
            metadata.insert("labels".into(), Value::Mapping(Mapping::new()));
        }
        if let Some(Value::Mapping(labels)) = metadata.get_mut("labels") {
            for (k, v) in &app.labels {
                if !labels.contains_key(k.as_str()) {
                    labels.insert(k.clone().into(), v.clone().into());
                }
            }
        }
        match yaml::document(&doc) {
            Ok(text) => Some(ExtraManifest {
                kind,
                name,
                namespace,
                yaml: text,
            }),
            Err(what) => {
                self.error(
                    format!("{at} holds {what}"),
                    file.span(),
                    "cannot be printed",
                );
                None
            }
        }
    }
}

/// The API server's rules for a kind, a name (any kind's: a path segment)
/// and a namespace; they also keep `-o DIR`'s file names inside `DIR`.
fn object_names(kind: &str, name: &str, metadata: Option<&Value>) -> Result<(), String> {
    let kind_ok = kind.starts_with(|c: char| c.is_ascii_alphabetic())
        && kind.chars().all(|c| c.is_ascii_alphanumeric());
    if !kind_ok {
        return Err(format!("kind `{}` is not a kind name", kind.escape_debug()));
    }
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '%']) {
        return Err(format!(
            "`{}` cannot name an object: it must not be empty, `.` or `..`, nor hold `/` or `%`",
            name.escape_debug()
        ));
    }
    match metadata.and_then(|m| m.get("namespace")) {
        None => Ok(()),
        Some(Value::String(ns)) => validate::dns_label(ns, validate::LABEL_MAX)
            .map_err(|reason| format!("namespace `{}`: {reason}", ns.escape_debug())),
        Some(_) => Err("`metadata.namespace` is not a string".into()),
    }
}

/// Every generated object's kind, namespace and name, and what makes it.
fn generated(model: &Model) -> BTreeMap<(String, Option<String>, String), String> {
    let mut out = BTreeMap::new();
    let mut add = |kind: Kind, m: &Metadata| {
        let key = (
            kind.as_str().to_owned(),
            m.namespace.clone(),
            m.name.clone(),
        );
        out.insert(key, "kubetoml".to_owned());
    };
    if let Some(n) = &model.namespace {
        add(Kind::Namespace, &n.metadata);
    }
    if let Some(s) = &model.service_account {
        add(Kind::ServiceAccount, &s.metadata);
    }
    for r in &model.roles {
        add(r.kind.clone(), &r.metadata);
    }
    for b in &model.role_bindings {
        add(b.kind.clone(), &b.metadata);
    }
    model
        .config_maps
        .iter()
        .for_each(|c| add(Kind::ConfigMap, &c.metadata));
    model
        .secrets
        .iter()
        .for_each(|s| add(Kind::Secret, &s.metadata));
    add(Kind::Service, &model.service.metadata);
    if let Some(c) = &model.client_service {
        add(Kind::Service, &c.metadata);
    }
    if let Some(b) = &model.disruption_budget {
        add(Kind::PodDisruptionBudget, &b.metadata);
    }
    if let Some(p) = &model.network_policy {
        add(Kind::NetworkPolicy, &p.metadata);
    }
    add(Kind::StatefulSet, &model.stateful_set.metadata);
    model
        .claims
        .iter()
        .for_each(|c| add(Kind::PersistentVolumeClaim, &c.metadata));
    model.jobs.iter().for_each(|j| add(Kind::Job, &j.metadata));
    model
        .cron_jobs
        .iter()
        .for_each(|c| add(Kind::CronJob, &c.metadata));
    out
}
