//! `Spec` -> `Model`: fill every default, resolve every name, read every
//! source, and check everything the API server would check.
//!
//! Lowering never stops at the first problem: it records every error it can
//! find (with the span of what the user wrote) and returns them all. Only
//! [`Sources`] touches files and the environment.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use sha2::{Digest, Sha256};

use crate::error::{did_you_mean, quote_list, suggest, Diagnostic, Severity};
use crate::model::*;
use crate::sources::{self, Sources};
use crate::spec::{self, DataSpec, Map, Spanned, Spec};
use crate::validate;
use crate::{hash, secretfmt};

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

/// Lowers a parsed description. `Err` holds every error found (and any warnings).
pub fn lower(
    spec: Spec,
    sources: &dyn Sources,
    options: &Options,
) -> Result<Lowered, Vec<Diagnostic>> {
    let mut cx = Lowerer {
        diags: Vec::new(),
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
    sources: &'a dyn Sources,
    options: &'a Options,
}

/// A generated ConfigMap or Secret, between reading and emitting.
struct DataObject {
    kind: ObjectKind,
    /// The table key, as written.
    key: String,
    key_span: Span,
    /// The name on the cluster (the key, or the key with a hash suffix).
    name: String,
    type_: String,
    entries: BTreeMap<String, Vec<u8>>,
    immutable: bool,
    spec: DataSpec,
    /// The table key is a valid object name (else it was reported already).
    name_ok: bool,
    /// Keys that are missing for a reason already reported (a source that
    /// could not be read, a key refused): references to them are not errors
    /// of their own.
    unknown_keys: UnknownKeys,
}

/// Which keys of a [`DataObject`] may exist without being in its entries.
#[derive(Default)]
enum UnknownKeys {
    /// The entries are every key there is.
    #[default]
    None,
    /// These keys were refused.
    Refused(BTreeSet<String>),
    /// A source could not be read: any key may have been in it.
    Any,
}

impl UnknownKeys {
    fn refuse(&mut self, key: &str) {
        match self {
            UnknownKeys::None => *self = UnknownKeys::Refused([key.to_owned()].into()),
            UnknownKeys::Refused(keys) => {
                keys.insert(key.to_owned());
            }
            UnknownKeys::Any => {}
        }
    }

    fn covers(&self, key: &str) -> bool {
        match self {
            UnknownKeys::None => false,
            UnknownKeys::Refused(keys) => keys.contains(key),
            UnknownKeys::Any => true,
        }
    }
}

/// Which container of the pod is being lowered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The app's own container, from the top-level fields.
    Main,
    /// A `[[sidecars]]` entry.
    Sidecar,
    /// An `[[init_containers]]` entry.
    Init,
}

/// The keys of a ConfigMap or Secret being assembled.
#[derive(Default)]
struct Keys {
    entries: BTreeMap<String, Value>,
    unknown: UnknownKeys,
}

/// One key of a ConfigMap or Secret being assembled, and where it came from.
struct Value {
    bytes: Vec<u8>,
    /// The TOML that brought it in.
    span: Span,
    origin: Origin,
}

/// Where a key's value came from, for messages that must tell two sources apart.
enum Origin {
    /// A file, a file in a directory, or `file:LINE` of an env file.
    File(String),
    /// A field of the table: `literals`, `from_env`, `docker_registry`.
    Field(&'static str),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::File(path) => write!(f, "`{path}`"),
            Origin::Field(field) => write!(f, "`{field}`"),
        }
    }
}

impl Value {
    fn file(bytes: Vec<u8>, span: Span, origin: String) -> Self {
        Value {
            bytes,
            span,
            origin: Origin::File(origin),
        }
    }

    fn field(bytes: Vec<u8>, span: Span, field: &'static str) -> Self {
        Value {
            bytes,
            span,
            origin: Origin::Field(field),
        }
    }
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
        let mut hasher = Sha256::new();
        let mut any = false;
        for o in objects.iter().filter(|o| used.contains(o.name.as_str())) {
            any = true;
            hash_object(&mut hasher, o);
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

    fn ports(&mut self, ports: &Map<spec::PortSpec>) -> Vec<(Spanned<String>, ContainerPort)> {
        let mut out = Vec::new();
        for (name, port) in ports {
            self.check(name, "port name", validate::port_name);
            let (number, protocol) = match port.get_ref() {
                spec::PortSpec::Number(n) => (*n, "TCP".to_owned()),
                spec::PortSpec::Full { port, protocol } => {
                    (*port, protocol.clone().unwrap_or_else(|| "TCP".into()))
                }
            };
            if let Err(reason) = validate::port_number(number) {
                self.error("invalid port number", port.span(), reason);
            }
            let protocol_spanned = Spanned::new(port.span(), protocol.clone());
            self.one_of(&protocol_spanned, "protocol", &["TCP", "UDP", "SCTP"]);
            out.push((
                name.clone(),
                ContainerPort {
                    name: name.get_ref().clone(),
                    container_port: number,
                    protocol,
                },
            ));
        }
        // Duplicates in the order written, so the second one is flagged.
        let mut written: Vec<_> = out.iter().zip(ports.values()).collect();
        written.sort_by_key(|((name, _), _)| name.span().start);
        let mut seen: BTreeMap<(i64, &str), &str> = BTreeMap::new();
        for ((name, p), number) in written {
            let key = (p.container_port, p.protocol.as_str());
            if let Some(first) = seen.get(&key) {
                self.error_help(
                    format!("port {}/{} is declared twice", p.container_port, p.protocol),
                    number.span(),
                    "duplicate port",
                    format!("`{first}` declares it already"),
                );
            } else {
                seen.insert(key, name.get_ref());
            }
        }
        out
    }

    #[allow(clippy::type_complexity)]
    fn service(
        &mut self,
        spec: &Spec,
        app: &str,
        ports: &[(Spanned<String>, ContainerPort)],
        selector: &StringMap,
        meta: &dyn Fn(&str, &StringMap, &StringMap) -> Metadata,
    ) -> Service {
        let s = spec.service.as_ref().map(|s| s.get_ref());
        let name = match s.and_then(|s| s.name.as_ref()) {
            Some(n) => {
                self.check(n, "Service name", validate::dns1035_label);
                n.get_ref().clone()
            }
            None => {
                if validate::dns1035_label(app).is_err()
                    && app.starts_with(|c: char| c.is_ascii_digit())
                {
                    self.error_help(
                        format!(
                            "`{app}` cannot name the Service: Service names start with a letter"
                        ),
                        spec.name.span(),
                        "starts with a digit",
                        "set `[service] name` to a name that starts with a letter",
                    );
                }
                app.to_owned()
            }
        };
        let service_ports = match s.and_then(|s| s.ports.as_ref()) {
            None => ports
                .iter()
                .map(|(_, p)| ServicePort {
                    name: p.name.clone(),
                    port: p.container_port,
                    target_port: p.name.clone(),
                    protocol: p.protocol.clone(),
                })
                .collect(),
            Some(map) => {
                let names: Vec<&str> = ports.iter().map(|(n, _)| n.get_ref().as_str()).collect();
                let mut published: BTreeMap<(i64, &str), &str> = BTreeMap::new();
                let mut out = Vec::new();
                for (pname, number) in map {
                    let Some((_, target)) =
                        ports.iter().find(|(n, _)| n.get_ref() == pname.get_ref())
                    else {
                        let help = suggest(
                            pname.get_ref(),
                            &names,
                            "container ports:",
                            "declare it in the top-level `ports` first",
                        );
                        self.error_help(
                            format!("service port `{}` names no container port", pname.get_ref()),
                            pname.span(),
                            "unknown port",
                            help,
                        );
                        continue;
                    };
                    let n = *number.get_ref();
                    if let Err(reason) = validate::port_number(n) {
                        self.error("invalid port number", number.span(), reason);
                    } else if let Some(first) =
                        published.insert((n, target.protocol.as_str()), pname.get_ref())
                    {
                        self.error_help(
                            format!(
                                "service ports `{first}` and `{}` both publish {n}/{}",
                                pname.get_ref(),
                                target.protocol
                            ),
                            number.span(),
                            "port already published",
                            "give each service port its own number",
                        );
                    }
                    out.push(ServicePort {
                        name: pname.get_ref().clone(),
                        port: n,
                        target_port: target.name.clone(),
                        protocol: target.protocol.clone(),
                    });
                }
                out
            }
        };
        let extra_labels = s.map(|s| self.labels(&s.labels)).unwrap_or_default();
        let extra_annotations = s
            .map(|s| self.annotations(&s.annotations))
            .unwrap_or_default();
        Service {
            metadata: meta(&name, &extra_labels, &extra_annotations),
            selector: selector.clone(),
            ports: service_ports,
            publish_not_ready_addresses: s
                .and_then(|s| s.publish_not_ready_addresses)
                .unwrap_or(false),
        }
    }

    /// Reads and checks one `[configmaps.X]` or `[secrets.X]` table.
    fn data_object(
        &mut self,
        kind: ObjectKind,
        key: Spanned<String>,
        data: Spanned<DataSpec>,
        global_hash: bool,
    ) -> DataObject {
        let what = match kind {
            ObjectKind::ConfigMap => "ConfigMap name",
            ObjectKind::Secret => "Secret name",
        };
        let name_ok = self.check(&key, what, validate::dns_subdomain);
        let data = data.into_inner();
        if kind == ObjectKind::ConfigMap {
            for (field, span) in [
                ("type", data.type_.as_ref().map(|t| t.span())),
                (
                    "docker_registry",
                    data.docker_registry.as_ref().map(|t| t.span()),
                ),
                ("image_pull", data.image_pull.as_ref().map(|t| t.span())),
            ] {
                if let Some(span) = span {
                    self.error_help(
                        format!("`{field}` is only for secrets"),
                        span,
                        "not a ConfigMap field",
                        format!("move this table to `[secrets.{}]`", key.get_ref()),
                    );
                }
            }
        }
        let type_ = match (&data.type_, &data.docker_registry) {
            (Some(t), _) => t.get_ref().clone(),
            (None, Some(_)) => "kubernetes.io/dockerconfigjson".to_owned(),
            (None, None) => "Opaque".to_owned(),
        };
        if let Some(t) = &data.type_ {
            if t.get_ref().is_empty() || t.get_ref().len() > validate::SUBDOMAIN_MAX {
                self.error("invalid Secret type", t.span(), "empty or too long");
            } else if t.get_ref() == "kubernetes.io/service-account-token" {
                self.error_help(
                    "service account token Secrets are not generated by kubetoml",
                    t.span(),
                    "unsupported type",
                    "the token controller fills them in: create one with kubectl",
                );
            }
        }

        let errors_before = self.error_count();
        let mut keys = Keys::default();
        let object = key.get_ref();
        for file in &data.files {
            match sources::file_entries(self.sources, file.get_ref()) {
                Ok(list) => {
                    for e in list {
                        self.add_key(
                            &mut keys,
                            object,
                            e.key,
                            Value::file(e.bytes, file.span(), e.origin),
                        );
                    }
                }
                Err(e) => {
                    keys.unknown = UnknownKeys::Any;
                    self.source_error(e, file.span());
                }
            }
        }
        for (k, v) in &data.literals {
            if kind == ObjectKind::Secret && self.options.no_literal_secrets {
                self.error_help(
                    format!(
                        "secret `{}` has a value written in the description",
                        key.get_ref()
                    ),
                    k.span(),
                    "literal secret value",
                    "--no-literal-secrets is set: read it with `from_env` or from a file instead",
                );
            }
            let value = Value::field(v.get_ref().0.clone().into_bytes(), k.span(), "literals");
            self.add_key(&mut keys, object, k.get_ref().clone(), value);
        }
        for file in &data.env_files {
            let parsed = self
                .sources
                .read_file(file.get_ref())
                .and_then(|bytes| sources::parse_env_file(&bytes, file.get_ref()));
            match parsed {
                Ok(list) => {
                    for e in list {
                        self.add_key(
                            &mut keys,
                            object,
                            e.key,
                            Value::file(e.bytes, file.span(), e.origin),
                        );
                    }
                }
                Err(e) => {
                    keys.unknown = UnknownKeys::Any;
                    self.source_error(e, file.span());
                }
            }
        }
        for (k, var) in &data.from_env {
            match self.env_var(var) {
                Some(bytes) => self.add_key(
                    &mut keys,
                    object,
                    k.get_ref().clone(),
                    Value::field(bytes, k.span(), "from_env"),
                ),
                None => keys.unknown.refuse(k.get_ref()),
            }
        }
        if let Some(reg) = &data.docker_registry {
            match self.docker_registry(reg, &key) {
                Some(bytes) => self.add_key(
                    &mut keys,
                    object,
                    ".dockerconfigjson".into(),
                    Value::field(bytes, reg.span(), "docker_registry"),
                ),
                None => keys.unknown.refuse(".dockerconfigjson"),
            }
        }

        // A source that could not be read would make the type's checks misleading.
        if kind == ObjectKind::Secret && self.error_count() == errors_before {
            self.secret_type_rules(
                &type_,
                &keys.entries,
                &key,
                data.type_.as_ref().map_or(key.span(), |t| t.span()),
            );
        }

        let entries: BTreeMap<String, Vec<u8>> = keys
            .entries
            .into_iter()
            .map(|(k, v)| (k, v.bytes))
            .collect();
        self.check_size(kind, &key, &entries);

        let hashed = data
            .hash_suffix
            .as_ref()
            .map_or(global_hash, |h| *h.get_ref());
        let name = if hashed {
            let suffix = match kind {
                ObjectKind::ConfigMap => {
                    let (text, binary) = split_utf8(entries.clone());
                    hash::configmap_suffix(
                        &text,
                        &binary.into_iter().map(|(k, v)| (k, v.0)).collect(),
                    )
                }
                ObjectKind::Secret => hash::secret_suffix(&type_, &entries),
            };
            let hashed_name = format!("{}-{suffix}", key.get_ref());
            if name_ok && hashed_name.len() > validate::SUBDOMAIN_MAX {
                self.error(
                    format!("`{}` is too long for a hash suffix", key.get_ref()),
                    key.span(),
                    "at most 242 characters with `hash_suffix`",
                );
            }
            hashed_name
        } else {
            key.get_ref().clone()
        };

        DataObject {
            kind,
            name_ok,
            unknown_keys: keys.unknown,
            name,
            key_span: key.span(),
            key: key.into_inner(),
            type_,
            entries,
            immutable: data.immutable.as_ref().is_some_and(|i| *i.get_ref()),
            spec: data,
        }
    }

    /// Adds key `k` to the object being assembled, unless it is not a valid
    /// key or another source gave it already.
    fn add_key(&mut self, keys: &mut Keys, object: &str, k: String, value: Value) {
        let from = match &value.origin {
            Origin::File(_) => format!(" (from {})", value.origin),
            Origin::Field(_) => String::new(),
        };
        if let Err(reason) = validate::data_key(&k) {
            self.error(
                format!("`{}` is not a valid key{from}", k.escape_debug()),
                value.span,
                reason,
            );
            keys.unknown.refuse(&k);
            return;
        }
        if let Some(first) = keys.entries.get(&k) {
            let help = format!(
                "`{k}` already comes from {}: a key can have one source only",
                first.origin
            );
            self.error_help(
                format!("key `{k}` is defined twice in `{object}`{from}"),
                value.span,
                "duplicate key",
                help,
            );
            return;
        }
        keys.entries.insert(k, value);
    }

    /// The API server refuses a ConfigMap or Secret whose values add up to
    /// more than 1 MiB; client-side `kubectl apply` fails much earlier, when
    /// the object (Secret values and binary data base64-encoded) no longer
    /// fits its 256 KiB last-applied annotation.
    fn check_size(
        &mut self,
        kind: ObjectKind,
        key: &Spanned<String>,
        entries: &BTreeMap<String, Vec<u8>>,
    ) {
        let size: usize = entries.values().map(Vec::len).sum();
        let encoded: usize = entries
            .iter()
            .map(|(k, v)| {
                let base64 = kind == ObjectKind::Secret || std::str::from_utf8(v).is_err();
                k.len()
                    + if base64 {
                        v.len().div_ceil(3) * 4
                    } else {
                        v.len()
                    }
            })
            .sum();
        let kind_name = match kind {
            ObjectKind::ConfigMap => "ConfigMap",
            ObjectKind::Secret => "Secret",
        };
        if size > OBJECT_SIZE_LIMIT {
            self.error_help(
                format!(
                    "{kind_name} `{}` holds {size} bytes, more than the API server's limit of 1 MiB (1048576 bytes)",
                    key.get_ref()
                ),
                key.span(),
                "too large",
                "split it into several objects, or put the data in the image or a volume",
            );
        } else if encoded > APPLY_ANNOTATION_LIMIT {
            self.diags.push(
                Diagnostic::warning(
                    format!(
                        "{kind_name} `{}` is about {encoded} bytes, too large for client-side `kubectl apply`",
                        key.get_ref()
                    ),
                    key.span(),
                    "large object",
                )
                .with_help(
                    "`kubectl apply` keeps a copy in an annotation of at most 262144 bytes: apply with `kubectl apply --server-side`",
                ),
            );
        }
    }

    fn error_count(&self) -> usize {
        self.diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    fn source_error(&mut self, e: sources::SourceError, span: Span) {
        let mut d = Diagnostic::error(e.message.clone(), span, "cannot read this");
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

    fn docker_registry(
        &mut self,
        reg: &Spanned<spec::DockerRegistrySpec>,
        key: &Spanned<String>,
    ) -> Option<Vec<u8>> {
        let r = reg.get_ref();
        let password = match (&r.password, &r.password_env) {
            (Some(p), None) => {
                if self.options.no_literal_secrets {
                    self.error_help(
                        format!(
                            "secret `{}` has a password written in the description",
                            key.get_ref()
                        ),
                        p.span(),
                        "literal secret value",
                        "--no-literal-secrets is set: use `password_env` instead",
                    );
                }
                Some(p.get_ref().0.clone())
            }
            (None, Some(var)) => {
                let bytes = self.env_var(var)?;
                match String::from_utf8(bytes) {
                    Ok(s) => Some(s),
                    Err(_) => {
                        self.error(
                            format!(
                                "environment variable `{}` is not valid UTF-8",
                                var.get_ref()
                            ),
                            var.span(),
                            "a registry password must be text",
                        );
                        None
                    }
                }
            }
            (Some(p), Some(_)) => {
                self.error(
                    "give `password` or `password_env`, not both",
                    p.span(),
                    "both set",
                );
                None
            }
            (None, None) => {
                self.error_help(
                    "`docker_registry` needs a password",
                    reg.span(),
                    "no password",
                    "add `password_env = \"VAR\"` to read it from the build environment",
                );
                None
            }
        }?;
        let server = r
            .server
            .as_ref()
            .map_or("https://index.docker.io/v1/", |s| s.get_ref().as_str());
        Some(secretfmt::docker_config_json(
            server,
            r.username.get_ref(),
            &password,
            r.email.as_ref().map(|e| e.get_ref().as_str()),
        ))
    }

    fn secret_type_rules(
        &mut self,
        type_: &str,
        entries: &BTreeMap<String, Value>,
        key: &Spanned<String>,
        span: Span,
    ) {
        let require = |this: &mut Self, keys: &[&str]| {
            let missing: Vec<&str> = keys
                .iter()
                .copied()
                .filter(|k| !entries.contains_key(*k))
                .collect();
            if !missing.is_empty() {
                this.error_help(
                    format!(
                        "a `{type_}` Secret needs the key{} {}",
                        if missing.len() > 1 { "s" } else { "" },
                        quote_list(&missing)
                    ),
                    span.clone(),
                    "missing keys",
                    format!(
                        "`{}` has {}",
                        key.get_ref(),
                        if entries.is_empty() {
                            "no keys".to_owned()
                        } else {
                            quote_list(&entries.keys().map(String::as_str).collect::<Vec<_>>())
                        }
                    ),
                );
                return false;
            }
            true
        };
        match type_ {
            "kubernetes.io/tls" => {
                if !require(self, &["tls.crt", "tls.key"]) {
                    return;
                }
                let (crt, tls_key) = (&entries["tls.crt"], &entries["tls.key"]);
                if let Err(reason) = secretfmt::check_tls_pair(&crt.bytes, &tls_key.bytes) {
                    self.error(
                        format!("`{}` does not hold a usable TLS key pair", key.get_ref()),
                        tls_key.span.clone(),
                        reason,
                    );
                }
            }
            "kubernetes.io/dockerconfigjson" | "kubernetes.io/dockercfg" => {
                let k = if type_.ends_with("json") {
                    ".dockerconfigjson"
                } else {
                    ".dockercfg"
                };
                if require(self, &[k])
                    && serde_json::from_slice::<serde_json::Value>(&entries[k].bytes).is_err()
                {
                    self.error(
                        format!("`{k}` in `{}` is not valid JSON", key.get_ref()),
                        entries[k].span.clone(),
                        "not JSON",
                    );
                }
            }
            "kubernetes.io/basic-auth"
                if !entries.contains_key("username") && !entries.contains_key("password") =>
            {
                require(self, &["username", "password"]);
            }
            "kubernetes.io/ssh-auth" => {
                require(self, &["ssh-privatekey"]);
            }
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn pod(
        &mut self,
        spec: &mut Spec,
        app: &str,
        selector: &StringMap,
        labels: &StringMap,
        annotations: &StringMap,
        objects: &[DataObject],
        ports: Vec<(Spanned<String>, ContainerPort)>,
    ) -> PodTemplate {
        // Pod volumes for mounted ConfigMaps and Secrets, and the mounts every container may use.
        let mut volumes = Vec::new();
        let mut mountable: BTreeMap<String, VolumeMount> = BTreeMap::new();
        let mut volume_names: BTreeMap<String, Span> = BTreeMap::new();
        let mount_paths = spec
            .volumes
            .iter()
            .filter_map(|(name, v)| Some((name.get_ref().as_str(), v.get_ref().mount.as_ref()?)))
            .chain(
                objects
                    .iter()
                    .filter_map(|o| Some((o.key.as_str(), o.spec.mount.as_ref()?))),
            )
            .collect();
        self.mount_paths(mount_paths);
        for (vname, v) in &spec.volumes {
            volume_names.insert(vname.get_ref().clone(), vname.span());
            if let Some(mount) = &v.get_ref().mount {
                mountable.insert(
                    vname.get_ref().clone(),
                    VolumeMount {
                        name: vname.get_ref().clone(),
                        mount_path: mount.get_ref().clone(),
                        sub_path: v.get_ref().sub_path.as_ref().map(|s| s.get_ref().clone()),
                        read_only: v.get_ref().read_only.unwrap_or(false),
                    },
                );
            }
        }
        for o in objects {
            let Some(mount) = &o.spec.mount else {
                for (field, span) in [
                    ("items", o.spec.items.keys().next().map(|k| k.span())),
                    (
                        "default_mode",
                        o.spec.default_mode.as_ref().map(|m| m.span()),
                    ),
                ] {
                    if let Some(span) = span {
                        self.error_help(
                            format!("`{field}` needs `mount`"),
                            span,
                            "not mounted",
                            "add `mount = \"/path\"` to this table",
                        );
                    }
                }
                continue;
            };
            let vname = o.key.replace('.', "-");
            if !o.name_ok {
                continue;
            }
            if let Err(reason) = validate::dns_label(&vname, validate::LABEL_MAX) {
                self.error(
                    format!("`{}` cannot name a pod volume", o.key),
                    o.key_span.clone(),
                    reason,
                );
                continue;
            }
            if let Some(first) = volume_names.insert(vname.clone(), o.key_span.clone()) {
                let _ = first;
                self.error_help(
                    format!("two mounted sources share the pod volume name `{vname}`"),
                    o.key_span.clone(),
                    "duplicate volume name",
                    "volumes, and mounted configmaps and secrets, need distinct names",
                );
            }
            let mut items = Vec::new();
            for (k, path) in &o.spec.items {
                self.key_exists(k, o);
                if self.check(path, "item path", validate::relative_path) {
                    items.push(KeyToPath {
                        key: k.get_ref().clone(),
                        path: path.get_ref().clone(),
                    });
                }
            }
            let default_mode = o.spec.default_mode.as_ref().map(|m| {
                if !(0..=0o777).contains(m.get_ref()) {
                    self.error_help(
                        "`default_mode` must be between 0 and 0o777",
                        m.span(),
                        format!("{} is out of range", m.get_ref()),
                        "write it in octal, e.g. `default_mode = 0o440`",
                    );
                }
                *m.get_ref()
            });
            volumes.push(PodVolume {
                name: vname.clone(),
                kind: o.kind,
                object: o.name.clone(),
                items,
                default_mode,
            });
            mountable.insert(
                o.key.clone(),
                VolumeMount {
                    name: vname,
                    mount_path: mount.get_ref().clone(),
                    sub_path: None,
                    read_only: true,
                },
            );
        }
        volumes.sort_by(|a, b| a.name.cmp(&b.name));

        // The main container reads every configured source.
        let mut env = Vec::new();
        let mut env_from = Vec::new();
        for o in objects {
            for (var, k) in &o.spec.env {
                if self.key_exists(k, o) {
                    let (object, key) = (o.name.clone(), k.get_ref().clone());
                    env.push((
                        var.clone(),
                        match o.kind {
                            ObjectKind::ConfigMap => EnvSource::ConfigMap { object, key },
                            ObjectKind::Secret => EnvSource::Secret { object, key },
                        },
                    ));
                }
            }
            if o.spec.env_from.as_ref().is_some_and(|e| *e.get_ref()) {
                for k in o.entries.keys() {
                    if validate::env_var_name(k).is_err() {
                        self.diags.push(Diagnostic::warning(
                            format!("key `{k}` of `{}` is not a valid environment variable name, so `env_from` skips it", o.key),
                            o.spec.env_from.as_ref().map_or(o.key_span.clone(), |e| e.span()),
                            "key skipped",
                        ));
                    }
                }
                env_from.push(EnvFrom {
                    kind: o.kind,
                    name: o.name.clone(),
                });
            }
        }
        env_from.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));

        let mut image_pull_secrets = Vec::new();
        for s in &spec.image_pull_secrets {
            if self.check(s, "Secret name", validate::dns_subdomain) {
                // A generated Secret's name may carry a hash suffix: refer to the
                // final name, as kustomize rewrites imagePullSecrets.
                let generated = objects
                    .iter()
                    .find(|o| o.kind == ObjectKind::Secret && o.key == *s.get_ref());
                image_pull_secrets
                    .push(generated.map_or_else(|| s.get_ref().clone(), |o| o.name.clone()));
            }
        }
        for o in objects {
            if let Some(flag) = &o.spec.image_pull {
                if *flag.get_ref() {
                    if !matches!(
                        o.type_.as_str(),
                        "kubernetes.io/dockerconfigjson" | "kubernetes.io/dockercfg"
                    ) {
                        self.error_help(
                            format!("`{}` cannot pull images: its type is `{}`", o.key, o.type_),
                            flag.span(),
                            "not a registry Secret",
                            "image pull secrets are `kubernetes.io/dockerconfigjson`: set `docker_registry`",
                        );
                    }
                    image_pull_secrets.push(o.name.clone());
                }
            }
        }
        image_pull_secrets.sort();
        image_pull_secrets.dedup();

        // The main container, from the top-level fields.
        let security = spec.security_context.take();
        let (pod_security, main_security) = match &security {
            Some(sc) => {
                let s = sc.get_ref();
                let pod = PodSecurityContext {
                    run_as_user: s.run_as_user.as_ref().map(|v| *v.get_ref()),
                    run_as_group: s.run_as_group.as_ref().map(|v| *v.get_ref()),
                    run_as_non_root: s.run_as_non_root,
                    fs_group: s.fs_group.as_ref().map(|v| *v.get_ref()),
                    seccomp_profile: s.seccomp_profile.as_ref().map(|v| {
                        self.one_of(v, "seccomp profile", &["RuntimeDefault", "Unconfined"]);
                        v.get_ref().clone()
                    }),
                };
                let container = self.container_security(s, true);
                (Some(pod), container)
            }
            None => (None, None),
        };
        let main = spec::ContainerSpec {
            name: Spanned::new(spec.name.span(), app.to_owned()),
            image: spec.image.take(),
            image_pull_policy: spec.image_pull_policy.take(),
            command: spec.command.take(),
            args: spec.args.take(),
            working_dir: spec.working_dir.take(),
            ports: Map::new(),
            env: std::mem::take(&mut spec.env),
            resources: spec.resources.take(),
            probes: spec.probes.take(),
            lifecycle: spec.lifecycle.take(),
            security_context: None,
            mounts: Vec::new(),
        };
        let main_mounts: Vec<VolumeMount> = mountable.values().cloned().collect();
        let mut main = self.container(main, Role::Main, ports, env, main_mounts);
        main.security_context = main_security;
        main.env_from = env_from;

        let mut names: BTreeMap<String, Span> = [(app.to_owned(), spec.name.span())].into();
        let mut containers = vec![main];
        let mut init_containers = Vec::new();
        for (list, role) in [
            (std::mem::take(&mut spec.sidecars), Role::Sidecar),
            (std::mem::take(&mut spec.init_containers), Role::Init),
        ] {
            for c in list {
                let c = c.into_inner();
                if self.check(&c.name, "container name", |s| {
                    validate::dns_label(s, validate::LABEL_MAX)
                }) && names
                    .insert(c.name.get_ref().clone(), c.name.span())
                    .is_some()
                {
                    self.error_help(
                        format!("two containers are named `{}`", c.name.get_ref()),
                        c.name.span(),
                        "duplicate container name",
                        format!("the main container is named after the app, `{app}`"),
                    );
                }
                let mut mounts: Vec<VolumeMount> = Vec::new();
                for m in &c.mounts {
                    match mountable.get(m.get_ref()) {
                        Some(vm) if mounts.iter().any(|seen| seen.name == vm.name) => self.error(
                            format!("`{}` is listed twice in `mounts`", m.get_ref()),
                            m.span(),
                            "already mounted",
                        ),
                        Some(vm) => mounts.push(vm.clone()),
                        None => {
                            let known: Vec<&str> = mountable.keys().map(String::as_str).collect();
                            let help = suggest(
                                m.get_ref(),
                                &known,
                                "mountable:",
                                "nothing has a `mount` path yet",
                            );
                            self.error_help(
                                format!(
                                    "`{}` is not a mounted volume, configmap or secret",
                                    m.get_ref()
                                ),
                                m.span(),
                                "unknown mount",
                                help,
                            );
                        }
                    }
                }
                let c_ports = self.ports(&c.ports);
                let security = c.security_context.as_ref().and_then(|sc| {
                    if let Some(fs) = &sc.get_ref().fs_group {
                        self.error_help(
                            "`fs_group` is pod-wide",
                            fs.span(),
                            "not a container setting",
                            "set it in the top-level `security_context`",
                        );
                    }
                    self.container_security(sc.get_ref(), false)
                });
                let mut lowered = self.container(c, role, c_ports, Vec::new(), mounts);
                lowered.security_context = security;
                if role == Role::Init {
                    init_containers.push(lowered);
                } else {
                    containers.push(lowered);
                }
            }
        }

        let tolerations = spec
            .tolerations
            .iter()
            .filter_map(|t| self.toleration(t))
            .collect();
        let topology_spread = spec
            .spread
            .as_ref()
            .map(|s| self.spread(s, selector))
            .into_iter()
            .collect();
        let node_selector = spec
            .node_selector
            .iter()
            .filter(|(k, v)| {
                let ok = self.check(k, "node label key", validate::qualified_name);
                self.check(v, "node label value", validate::label_value) && ok
            })
            .map(|(k, v)| (k.get_ref().clone(), v.get_ref().clone()))
            .collect();
        let service_account = spec.service_account.as_ref().map(|s| {
            self.check(s, "service account name", validate::dns_subdomain);
            s.get_ref().clone()
        });
        let termination_grace_period = self.at_least(
            &spec.termination_grace_period,
            0,
            "`termination_grace_period`",
        );

        PodTemplate {
            labels: labels.clone(),
            annotations: annotations.clone(),
            service_account,
            security_context: pod_security,
            node_selector,
            tolerations,
            topology_spread,
            termination_grace_period,
            image_pull_secrets,
            init_containers,
            containers,
            volumes,
        }
    }

    /// Mount paths must be absolute and distinct; the main container mounts
    /// every one of them. `mounts` holds each source's name and its `mount`.
    fn mount_paths(&mut self, mut mounts: Vec<(&str, &Spanned<String>)>) {
        mounts.sort_by_key(|(_, m)| m.span().start);
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for (source, m) in mounts {
            if !self.check(m, "mount path", validate::mount_path) {
                continue;
            }
            let path = match m.get_ref().trim_end_matches('/') {
                "" => "/",
                p => p,
            };
            if let Some(first) = seen.get(path) {
                self.error_help(
                    format!("`{source}` and `{first}` are both mounted at `{path}`"),
                    m.span(),
                    "mount path already used",
                    "give each volume, configmap and secret its own `mount` path",
                );
            } else {
                seen.insert(path, source);
            }
        }
    }

    fn key_exists(&mut self, k: &Spanned<String>, o: &DataObject) -> bool {
        if o.entries.contains_key(k.get_ref()) {
            return true;
        }
        if o.unknown_keys.covers(k.get_ref()) {
            // Why the key is missing was reported where it went missing.
            return false;
        }
        let keys: Vec<&str> = o.entries.keys().map(String::as_str).collect();
        let help = suggest(
            k.get_ref(),
            &keys,
            &format!("`{}` has keys", o.key),
            &format!("`{}` has no keys", o.key),
        );
        self.error_help(
            format!("`{}` has no key `{}`", o.key, k.get_ref()),
            k.span(),
            "unknown key",
            help,
        );
        false
    }

    /// What the API server refuses in a security context: IDs out of range,
    /// and `allow_privilege_escalation = false` with a setting that implies it.
    fn security_rules(&mut self, s: &spec::SecurityContextSpec) {
        for (field, id) in [
            ("run_as_user", &s.run_as_user),
            ("run_as_group", &s.run_as_group),
            ("fs_group", &s.fs_group),
        ] {
            if let Some(id) = id {
                if let Err(reason) = validate::unix_id(*id.get_ref()) {
                    self.error(format!("`{field}` is not a valid ID"), id.span(), reason);
                }
            }
        }
        let Some(no_escalation) = s
            .allow_privilege_escalation
            .as_ref()
            .filter(|a| !*a.get_ref())
        else {
            return;
        };
        if s.privileged.as_ref().is_some_and(|p| *p.get_ref()) {
            self.error_help(
                "`allow_privilege_escalation = false` contradicts `privileged = true`",
                no_escalation.span(),
                "a privileged container can always escalate",
                "remove one of the two",
            );
        }
        let sys_admin = s
            .capabilities
            .iter()
            .flat_map(|c| &c.add)
            .find(|c| matches!(c.get_ref().as_str(), "SYS_ADMIN" | "CAP_SYS_ADMIN"));
        if let Some(cap) = sys_admin {
            self.error_help(
                format!(
                    "adding `{}` contradicts `allow_privilege_escalation = false`",
                    cap.get_ref()
                ),
                cap.span(),
                "implies privilege escalation",
                "drop the capability, or remove `allow_privilege_escalation = false`",
            );
        }
    }

    fn container_security(
        &mut self,
        s: &spec::SecurityContextSpec,
        main: bool,
    ) -> Option<ContainerSecurityContext> {
        self.security_rules(s);
        let caps = s.capabilities.as_ref();
        let c = ContainerSecurityContext {
            // The pod-level settings cover the main container already.
            run_as_user: if main {
                None
            } else {
                s.run_as_user.as_ref().map(|v| *v.get_ref())
            },
            run_as_group: if main {
                None
            } else {
                s.run_as_group.as_ref().map(|v| *v.get_ref())
            },
            run_as_non_root: if main { None } else { s.run_as_non_root },
            read_only_root_filesystem: s.read_only_root_filesystem,
            allow_privilege_escalation: s.allow_privilege_escalation.as_ref().map(|v| *v.get_ref()),
            privileged: s.privileged.as_ref().map(|v| *v.get_ref()),
            capabilities_add: caps
                .map(|c| c.add.iter().map(|v| v.get_ref().clone()).collect())
                .unwrap_or_default(),
            capabilities_drop: caps
                .map(|c| c.drop.iter().map(|v| v.get_ref().clone()).collect())
                .unwrap_or_default(),
            seccomp_profile: if main {
                None
            } else {
                s.seccomp_profile.as_ref().map(|v| {
                    self.one_of(v, "seccomp profile", &["RuntimeDefault", "Unconfined"]);
                    v.get_ref().clone()
                })
            },
        };
        let empty = c.run_as_user.is_none()
            && c.run_as_group.is_none()
            && c.run_as_non_root.is_none()
            && c.read_only_root_filesystem.is_none()
            && c.allow_privilege_escalation.is_none()
            && c.privileged.is_none()
            && c.capabilities_add.is_empty()
            && c.capabilities_drop.is_empty()
            && c.seccomp_profile.is_none();
        (!empty).then_some(c)
    }

    fn container(
        &mut self,
        c: spec::ContainerSpec,
        role: Role,
        ports: Vec<(Spanned<String>, ContainerPort)>,
        mut config_env: Vec<(Spanned<String>, EnvSource)>,
        mut volume_mounts: Vec<VolumeMount>,
    ) -> Container {
        let is_init = role == Role::Init;
        let image = match &c.image {
            Some(i) if i.get_ref().trim().is_empty() => {
                self.error("`image` is empty", i.span(), "no image");
                String::new()
            }
            Some(i) => {
                if i.get_ref().trim() != i.get_ref() || i.get_ref().contains(char::is_whitespace) {
                    self.error(
                        "`image` contains whitespace",
                        i.span(),
                        "invalid image reference",
                    );
                }
                i.get_ref().clone()
            }
            None => {
                let (message, help) = match role {
                    Role::Main => (
                        "the app has no `image`".to_owned(),
                        "add `image = \"registry/name:tag\"` at the top, next to `name`",
                    ),
                    Role::Sidecar | Role::Init => (
                        format!("container `{}` has no `image`", c.name.get_ref()),
                        "add `image = \"registry/name:tag\"` to this container's table",
                    ),
                };
                self.error_help(message, c.name.span(), "needs an image", help);
                String::new()
            }
        };
        let image_pull_policy = c.image_pull_policy.as_ref().map(|p| {
            self.one_of(p, "image pull policy", &["Always", "IfNotPresent", "Never"]);
            p.get_ref().clone()
        });

        // Literal env first, then references; every name once.
        let mut env: Vec<(Spanned<String>, EnvSource)> = c
            .env
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    EnvSource::Value {
                        value: v.get_ref().0.clone(),
                    },
                )
            })
            .collect();
        env.append(&mut config_env);
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        let mut out_env = Vec::new();
        for (var, source) in env {
            self.check(&var, "environment variable name", validate::env_var_name);
            if seen.insert(var.get_ref().clone(), var.span()).is_some() {
                self.error(
                    format!("environment variable `{}` is set twice", var.get_ref()),
                    var.span(),
                    "duplicate variable",
                );
                continue;
            }
            out_env.push(EnvVar {
                name: var.into_inner(),
                source,
            });
        }
        out_env.sort_by(|a, b| a.name.cmp(&b.name));

        let port_names: Vec<&str> = ports.iter().map(|(n, _)| n.get_ref().as_str()).collect();
        let probes = c.probes.as_ref();
        let probe = |this: &mut Self, p: Option<&Spanned<spec::ProbeSpec>>, which: &str| {
            let p = p?;
            if is_init {
                this.error(
                    "init containers cannot have probes",
                    p.span(),
                    "not allowed here",
                );
                return None;
            }
            this.probe(p, which, &port_names)
        };
        let readiness_probe = probe(self, probes.and_then(|p| p.readiness.as_ref()), "readiness");
        let liveness_probe = probe(self, probes.and_then(|p| p.liveness.as_ref()), "liveness");
        let startup_probe = probe(self, probes.and_then(|p| p.startup.as_ref()), "startup");
        let (post_start, pre_stop) = match &c.lifecycle {
            Some(l) => {
                if is_init && (l.post_start.is_some() || l.pre_stop.is_some()) {
                    let s = l
                        .post_start
                        .as_ref()
                        .or(l.pre_stop.as_ref())
                        .map(|h| h.span())
                        .unwrap_or_default();
                    self.error(
                        "init containers cannot have lifecycle hooks",
                        s,
                        "not allowed here",
                    );
                    (None, None)
                } else {
                    (
                        l.post_start
                            .as_ref()
                            .and_then(|h| self.hook(h, &port_names)),
                        l.pre_stop.as_ref().and_then(|h| self.hook(h, &port_names)),
                    )
                }
            }
            None => (None, None),
        };

        // Mount paths were checked where they are written, in `mount_paths`.
        volume_mounts.sort_by(|a, b| a.mount_path.cmp(&b.mount_path));

        let strings = |v: &Option<Vec<Spanned<String>>>| {
            v.iter().flatten().map(|s| s.get_ref().clone()).collect()
        };
        Container {
            name: c.name.get_ref().clone(),
            image,
            image_pull_policy,
            command: strings(&c.command),
            args: strings(&c.args),
            working_dir: c.working_dir.as_ref().map(|w| {
                if !w.get_ref().starts_with('/') {
                    self.error(
                        "`working_dir` must be an absolute path",
                        w.span(),
                        "relative path",
                    );
                }
                w.get_ref().clone()
            }),
            ports: ports.into_iter().map(|(_, p)| p).collect(),
            env: out_env,
            env_from: Vec::new(),
            resources: c
                .resources
                .as_ref()
                .map(|r| self.resources(r))
                .unwrap_or_default(),
            readiness_probe,
            liveness_probe,
            startup_probe,
            post_start,
            pre_stop,
            volume_mounts,
            security_context: None,
        }
    }

    fn resources(&mut self, r: &spec::ResourcesSpec) -> Resources {
        for (k, q) in r.requests.iter().chain(&r.limits) {
            if let Err(reason) = validate::container_resource_name(k.get_ref()) {
                let help = match did_you_mean(k.get_ref(), validate::STANDARD_RESOURCES.iter().copied()) {
                    _ if k.get_ref().eq_ignore_ascii_case("gpu") => {
                        "GPUs are extended resources named by their vendor: `nvidia.com/gpu`, `amd.com/gpu`".to_owned()
                    }
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!(
                        "use {}, `hugepages-<size>`, or an extended resource such as `example.com/gpu`",
                        quote_list(validate::STANDARD_RESOURCES)
                    ),
                };
                self.error_help(
                    format!(
                        "`{}` is not a valid resource name",
                        k.get_ref().escape_debug()
                    ),
                    k.span(),
                    reason,
                    help,
                );
            }
            if let Err(reason) = validate::quantity(&q.get_ref().0) {
                self.error(
                    format!("`{}` is not a valid quantity", q.get_ref().0),
                    q.span(),
                    reason,
                );
            }
        }
        for (k, request) in &r.requests {
            let Some(limit) = r.limits.get(k) else {
                continue;
            };
            let value = |q: &Spanned<spec::Quantity>| validate::quantity_value(&q.get_ref().0);
            if let (Some(req), Some(lim)) = (value(request), value(limit)) {
                if req > lim {
                    self.error_help(
                        format!(
                            "the `{}` request `{}` is more than its limit `{}`",
                            k.get_ref(),
                            request.get_ref().0,
                            limit.get_ref().0
                        ),
                        request.span(),
                        "request above the limit",
                        "a container cannot be guaranteed more than it may use: lower the request or raise the limit",
                    );
                }
            }
        }
        let map = |m: &Map<spec::Quantity>| -> StringMap {
            m.iter()
                .map(|(k, q)| (k.get_ref().clone(), q.get_ref().0.clone()))
                .collect()
        };
        Resources {
            requests: map(&r.requests),
            limits: map(&r.limits),
        }
    }

    fn port_ref(&mut self, p: &Spanned<spec::PortRef>, port_names: &[&str]) -> IntOrString {
        match p.get_ref() {
            spec::PortRef::Number(n) => {
                if let Err(reason) = validate::port_number(*n) {
                    self.error("invalid port number", p.span(), reason);
                }
                IntOrString::Int(*n)
            }
            spec::PortRef::Name(name) => {
                if !port_names.contains(&name.as_str()) {
                    let help = suggest(
                        name,
                        port_names,
                        "declared ports:",
                        "declare it in `ports`, or give the number",
                    );
                    self.error_help(
                        format!("port `{name}` is not declared"),
                        p.span(),
                        "unknown port name",
                        help,
                    );
                }
                IntOrString::String(name.clone())
            }
        }
    }

    fn http(&mut self, h: &Spanned<spec::HttpSpec>, port_names: &[&str]) -> Handler {
        let h = h.get_ref();
        let path = h.path.as_ref().map_or("/".to_owned(), |p| {
            if !p.get_ref().starts_with('/') {
                self.error(
                    "an HTTP path must start with `/`",
                    p.span(),
                    "relative path",
                );
            }
            p.get_ref().clone()
        });
        let scheme = h.scheme.as_ref().map(|s| {
            self.one_of(s, "HTTP scheme", &["HTTP", "HTTPS"]);
            s.get_ref().clone()
        });
        Handler::Http {
            path,
            port: self.port_ref(&h.port, port_names),
            scheme,
            host: h.host.as_ref().map(|s| s.get_ref().clone()),
            headers: h
                .headers
                .iter()
                .map(|(k, v)| {
                    self.check(k, "HTTP header name", validate::http_header_name);
                    (k.get_ref().clone(), v.get_ref().clone())
                })
                .collect(),
        }
    }

    fn exec(&mut self, cmd: &[Spanned<String>], span: Span) -> Handler {
        if cmd.is_empty() {
            self.error("the command is empty", span, "nothing to run");
        }
        Handler::Exec {
            command: cmd.iter().map(|s| s.get_ref().clone()).collect(),
        }
    }

    fn probe(
        &mut self,
        p: &Spanned<spec::ProbeSpec>,
        which: &str,
        port_names: &[&str],
    ) -> Option<Probe> {
        let s = p.get_ref();
        let given = [
            s.exec.is_some(),
            s.http.is_some(),
            s.tcp.is_some(),
            s.grpc.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            self.error_help(
                format!("the {which} probe needs exactly one check"),
                p.span(),
                if given.iter().any(|g| *g) {
                    "several checks"
                } else {
                    "no check"
                },
                "use one of `exec`, `http`, `tcp` or `grpc`",
            );
            return None;
        }
        let handler = if let Some(cmd) = &s.exec {
            self.exec(cmd, p.span())
        } else if let Some(h) = &s.http {
            self.http(h, port_names)
        } else if let Some(t) = &s.tcp {
            Handler::Tcp {
                port: self.port_ref(t, port_names),
            }
        } else {
            let g = s.grpc.as_ref()?;
            let (port, service) = match g.get_ref() {
                spec::GrpcSpec::Port(n) => (*n, None),
                spec::GrpcSpec::Full { port, service } => (*port, service.clone()),
            };
            if let Err(reason) = validate::port_number(port) {
                self.error("invalid port number", g.span(), reason);
            }
            Handler::Grpc { port, service }
        };
        let success_threshold = self.at_least(&s.success_threshold, 1, "`success_threshold`");
        if which != "readiness" {
            if let Some(t) = &s.success_threshold {
                if *t.get_ref() != 1 {
                    self.error(
                        format!("a {which} probe's `success_threshold` must be 1"),
                        t.span(),
                        "only readiness probes may ask for more",
                    );
                }
            }
        }
        Some(Probe {
            handler,
            initial_delay: self.at_least(&s.initial_delay, 0, "`initial_delay`"),
            period: self.at_least(&s.period, 1, "`period`"),
            timeout: self.at_least(&s.timeout, 1, "`timeout`"),
            success_threshold,
            failure_threshold: self.at_least(&s.failure_threshold, 1, "`failure_threshold`"),
        })
    }

    fn hook(&mut self, h: &Spanned<spec::HandlerSpec>, port_names: &[&str]) -> Option<Handler> {
        match h.get_ref() {
            spec::HandlerSpec::Command(cmd) => Some(self.exec(cmd, h.span())),
            spec::HandlerSpec::Table(t) => {
                let given = [t.exec.is_some(), t.http.is_some(), t.sleep.is_some()];
                if given.iter().filter(|g| **g).count() != 1 {
                    self.error_help(
                        "a hook needs exactly one action",
                        h.span(),
                        "",
                        "use one of `exec`, `http` or `sleep`",
                    );
                    return None;
                }
                if let Some(cmd) = &t.exec {
                    Some(self.exec(cmd, h.span()))
                } else if let Some(http) = &t.http {
                    Some(self.http(http, port_names))
                } else {
                    let s = t.sleep.as_ref()?;
                    self.at_least(&Some(s.clone()), 1, "`sleep`");
                    Some(Handler::Sleep {
                        seconds: *s.get_ref(),
                    })
                }
            }
        }
    }

    fn toleration(&mut self, t: &Spanned<spec::TolerationSpec>) -> Option<Toleration> {
        let s = t.get_ref();
        let operator = s.operator.as_ref().map_or("Equal".to_owned(), |o| {
            self.one_of(o, "toleration operator", &["Equal", "Exists"]);
            o.get_ref().clone()
        });
        if operator == "Exists" {
            if let Some(v) = &s.value {
                self.error(
                    "a toleration with `operator = \"Exists\"` takes no `value`",
                    v.span(),
                    "remove it",
                );
            }
        } else if let Some(v) = &s.value {
            self.check(v, "taint value", validate::label_value);
        }
        if operator != "Exists" && s.key.is_none() {
            self.error_help(
                "a toleration without `key` needs `operator = \"Exists\"`",
                t.span(),
                "no key",
                "add `key`, or `operator = \"Exists\"` to tolerate every taint",
            );
        }
        if let Some(k) = &s.key {
            self.check(k, "taint key", validate::qualified_name);
        }
        let effect = s.effect.as_ref().map(|e| {
            self.one_of(
                e,
                "taint effect",
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            );
            e.get_ref().clone()
        });
        if let Some(ts) = &s.toleration_seconds {
            if effect.as_deref() != Some("NoExecute") {
                self.error(
                    "`toleration_seconds` only applies to `effect = \"NoExecute\"`",
                    ts.span(),
                    "no effect",
                );
            }
        }
        Some(Toleration {
            key: s.key.as_ref().map(|k| k.get_ref().clone()),
            operator,
            value: s.value.as_ref().map(|v| v.get_ref().clone()),
            effect,
            toleration_seconds: s.toleration_seconds.as_ref().map(|v| *v.get_ref()),
        })
    }

    fn spread(&mut self, s: &Spanned<spec::SpreadSpec>, selector: &StringMap) -> TopologySpread {
        let (across, max_skew, required) = match s.get_ref() {
            spec::SpreadSpec::Across(a) => (a.clone(), 1, true),
            spec::SpreadSpec::Table(t) => (
                t.across.clone(),
                t.max_skew.unwrap_or(1),
                t.required.unwrap_or(true),
            ),
        };
        if max_skew < 1 {
            self.error("`max_skew` must be at least 1", s.span(), "too small");
        }
        let topology_key = match across.as_str() {
            "node" => "kubernetes.io/hostname".to_owned(),
            "zone" => "topology.kubernetes.io/zone".to_owned(),
            other => {
                if validate::qualified_name(other).is_err() {
                    self.error_help(
                        format!("`{other}` is not a node label key"),
                        s.span(),
                        "invalid topology",
                        "use \"node\", \"zone\" or a node label key such as `topology.kubernetes.io/region`",
                    );
                }
                other.to_owned()
            }
        };
        TopologySpread {
            max_skew,
            topology_key,
            when_unsatisfiable: if required {
                "DoNotSchedule"
            } else {
                "ScheduleAnyway"
            }
            .into(),
            match_labels: selector.clone(),
        }
    }

    fn claims(&mut self, volumes: &Map<spec::VolumeSpec>, selector: &StringMap) -> Vec<Claim> {
        let mut out = Vec::new();
        for (name, v) in volumes {
            let v = v.get_ref();
            self.check(name, "volume name", |s| {
                validate::dns_label(s, validate::LABEL_MAX)
            });
            if v.mount.is_none() {
                self.error_help(
                    format!("volume `{}` has no `mount`", name.get_ref()),
                    name.span(),
                    "not mounted",
                    "add `mount = \"/path\"`",
                );
            }
            if let Some(sp) = &v.sub_path {
                self.check(sp, "sub-path", validate::relative_path);
            }
            let size = match &v.size {
                Some(s) => {
                    match validate::quantity(&s.get_ref().0) {
                        Err(reason) => self.error(
                            format!("`{}` is not a valid size", s.get_ref().0),
                            s.span(),
                            reason,
                        ),
                        Ok(()) if validate::quantity_value(&s.get_ref().0) == Some(0.0) => self
                            .error_help(
                                format!("volume `{}` has a size of zero", name.get_ref()),
                                s.span(),
                                "must be more than 0",
                                "ask for the space the app needs, e.g. `size = \"10Gi\"`",
                            ),
                        Ok(()) => {}
                    }
                    s.get_ref().0.clone()
                }
                None => {
                    self.error_help(
                        format!("volume `{}` has no `size`", name.get_ref()),
                        name.span(),
                        "no size",
                        "add `size = \"10Gi\"`",
                    );
                    String::new()
                }
            };
            let access_modes = match &v.access_modes {
                Some(modes) => {
                    if modes.is_empty() {
                        self.error("`access_modes` is empty", name.span(), "no access mode");
                    }
                    modes
                        .iter()
                        .map(|m| {
                            self.one_of(
                                m,
                                "access mode",
                                &[
                                    "ReadWriteOnce",
                                    "ReadOnlyMany",
                                    "ReadWriteMany",
                                    "ReadWriteOncePod",
                                ],
                            );
                            m.get_ref().clone()
                        })
                        .collect::<Vec<_>>()
                }
                None => vec!["ReadWriteOnce".to_owned()],
            };
            if access_modes.len() > 1 && access_modes.iter().any(|m| m == "ReadWriteOncePod") {
                let span = v
                    .access_modes
                    .iter()
                    .flatten()
                    .find(|m| m.get_ref() == "ReadWriteOncePod")
                    .map_or(name.span(), |m| m.span());
                self.error_help(
                    "`ReadWriteOncePod` cannot be combined with other access modes",
                    span,
                    "must be the only mode",
                    "use `access_modes = [\"ReadWriteOncePod\"]` alone",
                );
            }
            let storage_class = v.storage_class.as_ref().map(|s| {
                self.check(s, "storage class name", validate::dns_subdomain);
                s.get_ref().clone()
            });
            out.push(Claim {
                name: name.get_ref().clone(),
                labels: selector.clone(),
                access_modes,
                storage_class,
                size,
            });
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn stateful_set(
        &mut self,
        spec: &Spec,
        replicas: i64,
        app: &str,
        selector: &StringMap,
        service_name: String,
        pod: PodTemplate,
        claims: Vec<Claim>,
        meta: &dyn Fn(&str, &StringMap, &StringMap) -> Metadata,
    ) -> StatefulSet {
        let s = spec.statefulset.as_ref().map(|s| s.get_ref());
        let pod_management_policy = s.and_then(|s| s.pod_management_policy.as_ref()).map_or(
            "OrderedReady".to_owned(),
            |p| {
                self.one_of(p, "pod management policy", &["OrderedReady", "Parallel"]);
                p.get_ref().clone()
            },
        );
        let update_strategy = match s.and_then(|s| s.update_strategy.as_ref()) {
            None => UpdateStrategy {
                type_: "RollingUpdate".into(),
                partition: None,
                max_unavailable: None,
            },
            Some(u) => {
                let u = u.get_ref();
                let type_ = u.type_.as_ref().map_or("RollingUpdate".to_owned(), |t| {
                    self.one_of(t, "update strategy", &["RollingUpdate", "OnDelete"]);
                    t.get_ref().clone()
                });
                if type_ == "OnDelete" {
                    for (field, span) in [
                        ("partition", u.partition.as_ref().map(|p| p.span())),
                        (
                            "max_unavailable",
                            u.max_unavailable.as_ref().map(|p| p.span()),
                        ),
                    ] {
                        if let Some(span) = span {
                            self.error(
                                format!("`{field}` only applies to `RollingUpdate`"),
                                span,
                                "ignored by OnDelete",
                            );
                        }
                    }
                }
                let partition = self.at_least(&u.partition, 0, "`partition`");
                let max_unavailable = u.max_unavailable.as_ref().map(|m| match m.get_ref() {
                    spec::IntOrString::Int(n) => {
                        if *n < 1 {
                            self.error("`max_unavailable` must be at least 1", m.span(), "too small");
                        }
                        IntOrString::Int(*n)
                    }
                    spec::IntOrString::String(p) => {
                        let ok = p.strip_suffix('%').and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| (1..=100).contains(&n));
                        if !ok {
                            self.error("`max_unavailable` must be a number or a percentage from 1% to 100%", m.span(), "invalid");
                        }
                        IntOrString::String(p.clone())
                    }
                });
                UpdateStrategy {
                    type_,
                    partition,
                    max_unavailable,
                }
            }
        };
        let pvc_retention_policy = s.and_then(|s| s.pvc_retention_policy.as_ref()).map(|r| {
            let mut policy = |v: &Option<Spanned<String>>, what: &str| {
                v.as_ref().map_or("Retain".to_owned(), |p| {
                    self.one_of(p, what, &["Retain", "Delete"]);
                    p.get_ref().clone()
                })
            };
            RetentionPolicy {
                when_deleted: policy(&r.get_ref().when_deleted, "`when_deleted` policy"),
                when_scaled: policy(&r.get_ref().when_scaled, "`when_scaled` policy"),
            }
        });
        StatefulSet {
            metadata: meta(app, &StringMap::new(), &StringMap::new()),
            replicas,
            selector: selector.clone(),
            service_name,
            pod_management_policy,
            update_strategy,
            min_ready_seconds: self.at_least(
                &s.and_then(|s| s.min_ready_seconds.clone()),
                0,
                "`min_ready_seconds`",
            ),
            revision_history_limit: self.at_least(
                &s.and_then(|s| s.revision_history_limit.clone()),
                0,
                "`revision_history_limit`",
            ),
            pvc_retention_policy,
            ordinals_start: self.at_least(
                &s.and_then(|s| s.ordinals_start.clone()),
                0,
                "`ordinals_start`",
            ),
            pod,
            claims,
        }
    }
}

/// Splits entries into UTF-8 text (`data`) and everything else (`binaryData`).
fn split_utf8(entries: BTreeMap<String, Vec<u8>>) -> (StringMap, BTreeMap<String, Bytes>) {
    let mut data = StringMap::new();
    let mut binary = BTreeMap::new();
    for (k, v) in entries {
        match String::from_utf8(v) {
            Ok(text) => {
                data.insert(k, text);
            }
            Err(e) => {
                binary.insert(k, Bytes(e.into_bytes()));
            }
        }
    }
    (data, binary)
}

/// Feeds an object's identity and exact content to the config hash, unambiguously.
fn hash_object(h: &mut Sha256, o: &DataObject) {
    let field = |h: &mut Sha256, bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(h, format!("{:?}", o.kind).as_bytes());
    field(h, o.name.as_bytes());
    field(h, o.type_.as_bytes());
    h.update((o.entries.len() as u64).to_le_bytes());
    for (k, v) in &o.entries {
        field(h, k.as_bytes());
        field(h, v);
    }
}
