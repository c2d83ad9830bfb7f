//! `Spec` -> `Model`: fill every default, resolve every name, read every
//! source, and check everything the API server would check.
//!
//! Lowering never stops at the first problem: it records every error it can
//! find (with the span of what the user wrote) and returns them all. Only
//! [`Sources`] touches files and the environment.
//!
//! The work is split by what is being lowered: `data` reads and checks
//! ConfigMaps and Secrets, `pod` builds the pod template and its
//! containers, `workload` the Service, claims and StatefulSet; this file
//! holds the entry point, the shared error helpers and the app-wide parts
//! (names, labels, the config hash).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use sha2::{Digest, Sha256};

use crate::error::{did_you_mean, quote_list, suggest, Diagnostic, Severity};
use crate::model::*;
use crate::sources::{self, Sources};
use crate::spec::{self, DataSpec, Map, Spanned, Spec};
use crate::validate;
use crate::{hash, secretfmt};

mod data;
mod pod;
mod workload;

use data::{hash_object, split_utf8, DataObject};

/// Settings that change how a description is lowered.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Refuse Secret values written in the description itself (for CI).
    pub no_literal_secrets: bool,
}

/// A lowered app and the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Lowered {
    /// The resolved app.
    pub model: Model,
    /// Things worth knowing that did not stop the compile.
    pub warnings: Vec<Diagnostic>,
}

/// The annotation on the pod template that holds a hash of every ConfigMap
/// and Secret the pods read, so that changing any of them rolls the pods.
pub const CONFIG_HASH_ANNOTATION: &str = "kubetoml.dev/config-hash";

/// The API server's limit on a ConfigMap's or Secret's values, in bytes.
pub const OBJECT_SIZE_LIMIT: usize = 1024 * 1024;
/// Past this, client-side `kubectl apply` fails: its last-applied annotation is limited to 256 KiB.
pub const APPLY_ANNOTATION_LIMIT: usize = 256 * 1024;

const RECOMMENDED_NAME: &str = "app.kubernetes.io/name";
const RECOMMENDED_INSTANCE: &str = "app.kubernetes.io/instance";
const RECOMMENDED_MANAGED_BY: &str = "app.kubernetes.io/managed-by";

type Span = Range<usize>;

/// Lowers a description parsed from `source` (which tells how a value was
/// written, where that matters). `Err` holds every error found (and any warnings).
pub fn lower(
    spec: Spec,
    source: &str,
    sources: &dyn Sources,
    options: &Options,
) -> Result<Lowered, Vec<Diagnostic>> {
    let mut cx = Lowerer {
        diags: Vec::new(),
        source,
        sources,
        options,
    };
    let model = cx.app(spec);
    let (errors, warnings): (Vec<_>, Vec<_>) = cx
        .diags
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    match model {
        Some(model) if errors.is_empty() => Ok(Lowered { model, warnings }),
        _ => {
            let mut all = errors;
            all.extend(warnings);
            all.sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
            Err(all)
        }
    }
}

struct Lowerer<'a> {
    diags: Vec<Diagnostic>,
    /// The description's text, for how values were written.
    source: &'a str,
    sources: &'a dyn Sources,
    options: &'a Options,
}

impl Lowerer<'_> {
    fn error(&mut self, message: impl Into<String>, span: Span, label: impl Into<String>) {
        self.diags.push(Diagnostic::error(message, span, label));
    }

    fn error_help(
        &mut self,
        message: impl Into<String>,
        span: Span,
        label: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.diags
            .push(Diagnostic::error(message, span, label).with_help(help));
    }

    /// Runs `check` on `value`; on failure records "`value` is not a valid WHAT: reason".
    fn check(
        &mut self,
        value: &Spanned<String>,
        what: &str,
        check: impl FnOnce(&str) -> Result<(), String>,
    ) -> bool {
        match check(value.get_ref()) {
            Ok(()) => true,
            Err(reason) => {
                self.error(
                    format!("`{}` is not a valid {what}", value.get_ref().escape_debug()),
                    value.span(),
                    reason,
                );
                false
            }
        }
    }

    fn one_of(&mut self, value: &Spanned<String>, what: &str, allowed: &[&str]) -> bool {
        if allowed.contains(&value.get_ref().as_str()) {
            return true;
        }
        let help = match did_you_mean(value.get_ref(), allowed.iter().copied()) {
            Some(best) => format!(
                "did you mean `{best}`? valid values: {}",
                quote_list(allowed)
            ),
            None => format!("valid values: {}", quote_list(allowed)),
        };
        self.error_help(
            format!("`{}` is not a valid {what}", value.get_ref().escape_debug()),
            value.span(),
            "unknown value",
            help,
        );
        false
    }

    fn at_least(&mut self, value: &Option<Spanned<i64>>, min: i64, what: &str) -> Option<i64> {
        let v = value.as_ref()?;
        if *v.get_ref() < min {
            self.error(
                format!("{what} must be at least {min}"),
                v.span(),
                format!("{} is too small", v.get_ref()),
            );
        }
        Some(*v.get_ref())
    }

    fn app(&mut self, mut spec: Spec) -> Option<Model> {
        let name = spec.name.get_ref().clone();
        let name_ok = if name.len() > validate::STATEFULSET_NAME_MAX
            && validate::dns_label(&name, validate::LABEL_MAX).is_ok()
        {
            self.error_help(
                format!("`{name}` is too long for a StatefulSet name"),
                spec.name.span(),
                format!("{} characters, at most {} are allowed", name.len(), validate::STATEFULSET_NAME_MAX),
                "every pod is labelled `controller-revision-hash: NAME-<10 characters>`, which must fit in 63 characters",
            );
            false
        } else {
            self.check(&spec.name, "app name", |s| {
                validate::dns_label(s, validate::STATEFULSET_NAME_MAX)
            })
        };
        let namespace = spec.namespace.as_ref().map(|ns| {
            self.check(ns, "namespace", |s| {
                validate::dns_label(s, validate::LABEL_MAX)
            });
            ns.get_ref().clone()
        });

        let selector: StringMap = [
            (RECOMMENDED_NAME.to_owned(), name.clone()),
            (RECOMMENDED_INSTANCE.to_owned(), name.clone()),
        ]
        .into();
        let mut labels = selector.clone();
        labels.insert(RECOMMENDED_MANAGED_BY.into(), "kubetoml".into());
        let user_labels = self.labels(&spec.labels);
        labels.extend(user_labels);
        let annotations = self.annotations(&spec.annotations);
        let meta = |name: &str, extra_labels: &StringMap, extra_annotations: &StringMap| {
            let mut m = Metadata {
                name: name.to_owned(),
                namespace: namespace.clone(),
                labels: labels.clone(),
                annotations: annotations.clone(),
            };
            m.labels.extend(extra_labels.clone());
            m.annotations.extend(extra_annotations.clone());
            m
        };

        let replicas = match &spec.replicas {
            Some(r) if *r.get_ref() < 0 => {
                self.error("`replicas` must not be negative", r.span(), "negative");
                0
            }
            Some(r) => *r.get_ref(),
            None => 1,
        };

        // Generated objects first: containers refer to them.
        let global_hash = spec.hash_suffix.as_ref().is_some_and(|h| *h.get_ref());
        let mut objects = Vec::new();
        for (key, data) in std::mem::take(&mut spec.configmaps) {
            objects.push(self.data_object(ObjectKind::ConfigMap, key, data, global_hash));
        }
        for (key, data) in std::mem::take(&mut spec.secrets) {
            objects.push(self.data_object(ObjectKind::Secret, key, data, global_hash));
        }

        let ports = self.ports(&spec.ports);
        let service = self.service(&spec, &name, &ports, &selector, &meta);
        let service_name = service.metadata.name.clone();

        let mut pod = self.pod(
            &mut spec,
            &name,
            &selector,
            &labels,
            &annotations,
            &objects,
            ports,
        );
        let claims = self.claims(&spec.volumes, &selector);

        // The content hash of every object the pods read, so config changes roll them.
        let used: BTreeSet<&str> =
            pod.containers
                .iter()
                .chain(&pod.init_containers)
                .flat_map(|c| {
                    c.env
                        .iter()
                        .filter_map(|e| match &e.source {
                            EnvSource::ConfigMap { object, .. }
                            | EnvSource::Secret { object, .. } => Some(object.as_str()),
                            EnvSource::Value { .. } => None,
                        })
                        .chain(c.env_from.iter().map(|e| e.name.as_str()))
                })
                .chain(pod.volumes.iter().map(|v| v.object.as_str()))
                .collect();
        // Secrets only through a keyed hash, and without a key not at all (see `hash`).
        let key = match self.sources.env_var(hash::HASH_KEY_VAR) {
            Ok(Some(key)) if !key.is_empty() => Some(key),
            _ => None,
        };
        let mut hasher = Sha256::new();
        let mut any = false;
        for o in objects.iter().filter(|o| used.contains(o.name.as_str())) {
            match (o.kind, &key) {
                (ObjectKind::ConfigMap, _) => hash_object(&mut hasher, o),
                (ObjectKind::Secret, Some(key)) => {
                    let mut mac = hash::Hmac::new(key);
                    hash_object(mac.inner(), o);
                    hasher.update(b"secret-hmac-sha256");
                    hasher.update(mac.finalize());
                }
                (ObjectKind::Secret, None) => continue,
            }
            any = true;
        }
        if any {
            pod.annotations.insert(
                CONFIG_HASH_ANNOTATION.into(),
                format!("{:x}", hasher.finalize()),
            );
        }

        let stateful_set = self.stateful_set(
            &spec,
            replicas,
            &name,
            &selector,
            service_name,
            pod,
            claims,
            &meta,
        );

        let mut config_maps = Vec::new();
        let mut secrets = Vec::new();
        for o in objects {
            let mut metadata = meta(&o.name, &StringMap::new(), &StringMap::new());
            if o.name != o.key {
                metadata
                    .annotations
                    .insert("kubetoml.dev/generated-from".into(), o.key.clone());
            }
            match o.kind {
                ObjectKind::ConfigMap => {
                    let (data, binary_data) = split_utf8(o.entries);
                    config_maps.push(ConfigMap {
                        metadata,
                        data,
                        binary_data,
                        immutable: o.immutable,
                    });
                }
                ObjectKind::Secret => secrets.push(Secret {
                    metadata,
                    type_: o.type_,
                    data: o
                        .entries
                        .into_iter()
                        .map(|(k, v)| (k, SecretBytes(v)))
                        .collect(),
                    immutable: o.immutable,
                }),
            }
        }
        config_maps.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        secrets.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));

        name_ok.then_some(Model {
            config_maps,
            secrets,
            service,
            stateful_set,
        })
    }

    fn labels(&mut self, map: &Map<String>) -> StringMap {
        let mut out = StringMap::new();
        for (k, v) in map {
            let key_ok = self.check(k, "label key", validate::qualified_name);
            if [
                RECOMMENDED_NAME,
                RECOMMENDED_INSTANCE,
                RECOMMENDED_MANAGED_BY,
            ]
            .contains(&k.get_ref().as_str())
            {
                self.error_help(
                    format!("label `{}` is set by kubetoml", k.get_ref()),
                    k.span(),
                    "reserved label",
                    "kubetoml sets it from the app's name; the StatefulSet selects pods by it",
                );
                continue;
            }
            let value_ok = self.check(v, "label value", validate::label_value);
            if key_ok && value_ok {
                out.insert(k.get_ref().clone(), v.get_ref().clone());
            }
        }
        out
    }

    fn annotations(&mut self, map: &Map<String>) -> StringMap {
        let mut out = StringMap::new();
        for (k, v) in map {
            if self.check(k, "annotation key", validate::qualified_name) {
                out.insert(k.get_ref().clone(), v.get_ref().clone());
            }
        }
        let total: usize = out.iter().map(|(k, v)| k.len() + v.len()).sum();
        if total > APPLY_ANNOTATION_LIMIT {
            if let Some((k, _)) = map.iter().next() {
                self.error(
                    format!("annotations add up to {total} bytes, at most 262144 are allowed"),
                    k.span(),
                    "too large",
                );
            }
        }
        out
    }

    fn error_count(&self) -> usize {
        self.diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    fn source_error(&mut self, e: sources::SourceError, span: Span) {
        let mut d = Diagnostic::error(e.message, span, e.label);
        if let Some(help) = e.help {
            d = d.with_help(help);
        }
        self.diags.push(d);
    }

    fn env_var(&mut self, var: &Spanned<String>) -> Option<Vec<u8>> {
        match self.sources.env_var(var.get_ref()) {
            Ok(Some(v)) => Some(v),
            Ok(None) => {
                self.error_help(
                    format!("environment variable `{}` is not set", var.get_ref()),
                    var.span(),
                    "read at build time",
                    format!("export {}=... before running kubetoml", var.get_ref()),
                );
                None
            }
            Err(e) => {
                self.source_error(e, var.span());
                None
            }
        }
    }
}
