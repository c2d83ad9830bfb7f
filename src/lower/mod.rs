//! Stage 2, lowering: `Spec` -> `Model`. Fill every default, resolve every name, read every
//! source, and check everything the API server would check.
//!
//! Lowering never stops at the first problem: it records every error it can
//! find (with the span of what the user wrote) and returns them all. Only
//! [`Sources`] touches files and the environment.
//!
//! Lowering is a list of named steps, run in order by `Lowerer::app`
//! (like ripgrep's `HiArgs::from_low_args`), each returning a finished,
//! typed piece: the app's identity (names, labels), the generated objects
//! with how the pods use them (`data`), the ports and the Service
//! (`workload`), the pod template by concern (`pod`: volumes, image pull,
//! security, containers, scheduling; `container` and `probe` for each
//! container), the claims and the StatefulSet (`workload`). This file holds
//! the entry point, the context every step shares (`Lowerer`: the
//! diagnostics, the description's text, the sources, the options), the
//! shared error helpers and the config hash.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use crate::diag::{did_you_mean, quote_list, suggest, Diagnostic, Severity};
use crate::model::*;
use crate::read::sources::{self, Sources};
use crate::read::spec::{self, DataSpec, Map, Spanned, Spec};
use crate::check::validate;
use crate::write::{hash, secretfmt};

mod affinity;
mod companions;
mod container;
mod data;
mod downward;
mod manifests;
mod network;
mod pod;
mod probe;
mod workload;

use data::{DataObject, UnknownKeys};
use pod::PodSpec;

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
    mut spec: Spec,
    source: &str,
    sources: &dyn Sources,
    options: &Options,
) -> Result<Lowered, Vec<Diagnostic>> {
    let mut cx = Lowerer {
        diags: Vec::new(),
        source,
        sources,
        options,
        container_refs: Vec::new(),
    };
    cx.diags.extend(crate::check::api_rules::check(&spec));
    // Read after the rest: a user's object must not collide with a generated one.
    let extra = std::mem::take(&mut spec.extra_manifests);
    let mut model = cx.app(spec);
    if let Some(m) = &mut model {
        m.extra_manifests = cx.extra_manifests(&extra, m);
    }
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
    /// Containers named by env `resource` references, checked once the pod's
    /// containers are all known.
    container_refs: Vec<Spanned<String>>,
}

/// The app's name and what every object of it carries.
struct Identity {
    /// The app name: the StatefulSet's, the main container's and by default the Service's.
    name: String,
    /// Where the name is written.
    name_span: Span,
    /// The name is valid (else it was reported).
    name_ok: bool,
    namespace: Option<String>,
    /// The recommended name and instance labels: the StatefulSet's immutable selector.
    selector: StringMap,
    /// The selector's labels, `managed-by` and the user's.
    labels: StringMap,
    annotations: StringMap,
}

impl Identity {
    /// Metadata for one object of the app, with labels and annotations of its own.
    fn metadata(&self, name: &str, labels: StringMap, annotations: StringMap) -> Metadata {
        let mut m = Metadata {
            name: name.to_owned(),
            namespace: self.namespace.clone(),
            labels: self.labels.clone(),
            annotations: self.annotations.clone(),
        };
        m.labels.extend(labels);
        m.annotations.extend(annotations);
        m
    }
}

/// The config hash of every generated object the pods read, so that a
/// config change rolls them (Secrets only under `secret_key`, see
/// [`hash::config_hash`]); `None` when nothing entered.
fn config_hash(
    pod: &PodTemplate,
    objects: &[DataObject],
    secret_key: Option<&[u8]>,
) -> Option<String> {
    let env = |c: &Container| {
        let keys = c.env.iter().filter_map(|e| match &e.source {
            EnvSource::ConfigMap { object, .. } | EnvSource::Secret { object, .. } => {
                Some(object.clone())
            }
            EnvSource::Value { .. } | EnvSource::Field { .. } | EnvSource::Resource { .. } => None,
        });
        keys.chain(c.env_from.iter().map(|e| e.name.clone()))
            .collect::<Vec<_>>()
    };
    let used: BTreeSet<String> = (pod.containers.iter().chain(&pod.init_containers))
        .flat_map(env)
        .chain(pod.volumes.iter().map(|v| v.object.clone()))
        .collect();
    // An external object's content is not known here: its changes do not roll the pods.
    let inputs = objects
        .iter()
        .filter(|o| !o.external && used.contains(&o.name))
        .map(|o| hash::HashInput {
            kind: o.kind.as_str(),
            name: &o.name,
            type_: o.type_.as_str(),
            entries: &o.entries,
        });
    hash::config_hash(inputs, secret_key)
}

/// Whether `name` is written as environment variables usually are
/// (`UPPER_CASE`), and so is safe to quote.
fn looks_like_a_variable(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
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

    /// The keyword `value` spells. An unknown value is reported with the
    /// valid ones (and the closest, when one is close) and gives `None`.
    fn keyword<K: Keyword>(&mut self, value: &Spanned<String>, what: &str) -> Option<K> {
        if let Some(k) = K::parse(value.get_ref()) {
            return Some(k);
        }
        let allowed: Vec<&str> = K::all().iter().map(|k| k.spelling()).collect();
        let allowed = allowed.as_slice();
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
        None
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

    /// The list of steps: each returns a finished piece that later steps read,
    /// none reaches back into the description for what an earlier one decided.
    fn app(&mut self, spec: Spec) -> Option<Model> {
        // Every field, by name: a field added to `Spec` but not lowered does not compile.
        let Spec {
            extra_manifests: _, // taken by `lower`, read once the model is built
            name,
            namespace,
            replicas,
            labels,
            annotations,
            image,
            image_pull_policy,
            command,
            args,
            working_dir,
            ports,
            env,
            resources,
            probes,
            lifecycle,
            security_context,
            init_containers,
            sidecars,
            service_account,
            node_selector,
            tolerations,
            spread,
            termination_grace_period,
            image_pull_secrets,
            hash_suffix,
            service,
            statefulset,
            volumes,
            configmaps,
            secrets,
            automount_service_account_token,
            create_namespace,
            client_service,
            disruption_budget,
            network_policy,
            pod_annotations,
            priority_class_name,
            host_aliases,
            dns,
            affinity,
            // Checked and applied by `crate::check::policy`, before and after lowering.
            pod_security: _,
            kube_version: _,
            allow: _,
        } = spec;
        let app = self.identity(&name, namespace.as_ref(), &labels, &annotations);
        let replicas = self.replicas(replicas.as_ref());
        let identity = self.pod_identity(service_account, automount_service_account_token, &app);
        // Generated objects first, with how the pods use them: containers refer to them.
        let objects = self.generated(configmaps, secrets, hash_suffix.as_ref());
        let ports = self.ports(&ports);
        let service = self.service(service.as_ref(), &app, &ports, &sidecar_ports(&sidecars));
        // The main container is written at the top level, named after the app.
        let pod_spec = PodSpec {
            main: spec::ContainerSpec {
                image,
                image_pull_policy,
                command,
                args,
                working_dir,
                env,
                resources,
                probes,
                lifecycle,
                ..pod::main_container(name)
            },
            ports: ports.clone(),
            security_context,
            sidecars,
            init_containers,
            volumes: &volumes,
            image_pull_secrets,
            identity: &identity,
            pod_annotations,
            priority_class_name,
            host_aliases,
            dns,
            affinity,
            termination_grace_period,
            node_selector,
            tolerations,
            spread,
        };
        let pod = self.pod(pod_spec, &app, &objects);
        let network_policy = self.network_policy(network_policy.as_ref(), &app, &pod);
        let stateful_set = self.stateful_set(&statefulset, replicas, &app, &service, pod, &volumes);
        let (config_maps, secrets) = data::into_objects(objects, &app);
        app.name_ok.then_some(Model {
            namespace: self.namespace_object(create_namespace.as_ref(), namespace.as_ref(), &app),
            service_account: identity.object,
            config_maps,
            secrets,
            client_service: self.client_service(client_service.as_ref(), &app, &ports, &service),
            disruption_budget: self.disruption_budget(disruption_budget.as_ref(), replicas, &app),
            network_policy,
            stateful_set,
            service,
            extra_manifests: Vec::new(),
        })
    }

    /// The app's name, namespace, labels and annotations, checked.
    fn identity(
        &mut self,
        name: &Spanned<String>,
        namespace: Option<&Spanned<String>>,
        labels: &Map<String>,
        annotations: &Map<String>,
    ) -> Identity {
        let app = name.get_ref().clone();
        let name_ok = if app.len() > validate::STATEFULSET_NAME_MAX
            && validate::dns_label(&app, validate::LABEL_MAX).is_ok()
        {
            self.error_help(
                format!("`{app}` is too long for a StatefulSet name"),
                name.span(),
                format!("{} characters, at most {} are allowed", app.len(), validate::STATEFULSET_NAME_MAX),
                "every pod is labelled `controller-revision-hash: NAME-<10 characters>`, which must fit in 63 characters",
            );
            false
        } else {
            self.check(name, "app name", |s| {
                validate::dns_label(s, validate::STATEFULSET_NAME_MAX)
            })
        };
        let namespace = namespace.map(|ns| {
            self.check(ns, "namespace", |s| {
                validate::dns_label(s, validate::LABEL_MAX)
            });
            ns.get_ref().clone()
        });
        let selector: StringMap = [
            (RECOMMENDED_NAME.to_owned(), app.clone()),
            (RECOMMENDED_INSTANCE.to_owned(), app.clone()),
        ]
        .into();
        let mut all_labels = selector.clone();
        all_labels.insert(RECOMMENDED_MANAGED_BY.into(), "kubetoml".into());
        all_labels.extend(self.labels(labels));
        Identity {
            name: app,
            name_span: name.span(),
            name_ok,
            namespace,
            selector,
            labels: all_labels,
            annotations: self.annotations(annotations),
        }
    }

    fn replicas(&mut self, replicas: Option<&Spanned<i64>>) -> i64 {
        match replicas {
            Some(r) if *r.get_ref() < 0 => {
                self.error("`replicas` must not be negative", r.span(), "negative");
                0
            }
            Some(r) => *r.get_ref(),
            None => 1,
        }
    }

    /// Every `[configmaps.X]` and `[secrets.X]` table, read, checked and named.
    fn generated(
        &mut self,
        configmaps: Map<DataSpec>,
        secrets: Map<DataSpec>,
        hash_suffix: Option<&Spanned<bool>>,
    ) -> Vec<DataObject> {
        let global_hash = hash_suffix.is_some_and(|h| *h.get_ref());
        let tables = (configmaps.into_iter().map(|t| (ObjectKind::ConfigMap, t)))
            .chain(secrets.into_iter().map(|t| (ObjectKind::Secret, t)));
        tables
            .map(|(kind, (key, data))| self.data_object(kind, key, data, global_hash))
            .collect()
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
            Ok(None) if looks_like_a_variable(var.get_ref()) => {
                self.error_help(
                    format!("environment variable `{}` is not set", var.get_ref()),
                    var.span(),
                    "read at build time",
                    format!("export {}=... before running kubetoml", var.get_ref()),
                );
                None
            }
            Ok(None) => {
                // Not UPPER_CASE: perhaps a value a mistake moved here
                // (`literals` mistyped as `from_env`). Never quote it.
                let error = Diagnostic::error(
                    "the environment variable named here is not set",
                    var.span(),
                    "read at build time",
                );
                let help = "variable names are usually UPPER_CASE: check that this is a name, not a value";
                self.diags.push(error.with_help(help).in_doubt());
                None
            }
            Err(e) => {
                self.source_error(e, var.span());
                None
            }
        }
    }
}

/// The sidecars' ports, which `[service] ports` may publish too (a metrics
/// sidecar's). Read without checks: the sidecars' own lowering reports
/// their mistakes.
fn sidecar_ports(sidecars: &[Spanned<spec::ContainerSpec>]) -> Vec<(Spanned<String>, ContainerPort)> {
    let mut out = Vec::new();
    for c in sidecars {
        for (name, port) in &c.get_ref().ports {
            let (number, protocol) = match port.get_ref() {
                spec::PortSpec::Number(n) => (*n, Some(Protocol::Tcp)),
                spec::PortSpec::Full { port, protocol } => (
                    *port,
                    protocol.as_deref().map_or(Some(Protocol::Tcp), Protocol::parse),
                ),
            };
            if let Some(protocol) = protocol {
                let port = ContainerPort {
                    name: name.get_ref().clone(),
                    container_port: number,
                    protocol,
                };
                out.push((name.clone(), port));
            }
        }
    }
    out
}
