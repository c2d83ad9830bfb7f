//! ConfigMaps and Secrets: reading every source, key rules, sizes, secret types.

use super::*;

/// A generated ConfigMap or Secret, between reading and emitting.
pub(super) struct DataObject {
    pub(super) kind: ObjectKind,
    /// The table key, as written.
    pub(super) key: String,
    pub(super) key_span: Span,
    /// The name on the cluster (the key, or the key with a hash suffix).
    pub(super) name: String,
    pub(super) type_: String,
    pub(super) entries: BTreeMap<String, Vec<u8>>,
    pub(super) immutable: bool,
    pub(super) spec: DataSpec,
    /// The table key is a valid object name (else it was reported already).
    pub(super) name_ok: bool,
    /// Keys that are missing for a reason already reported (a source that
    /// could not be read, a key refused): references to them are not errors
    /// of their own.
    pub(super) unknown_keys: UnknownKeys,
}

/// Which keys of a [`DataObject`] may exist without being in its entries.
#[derive(Default)]
pub(super) enum UnknownKeys {
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

    pub(super) fn covers(&self, key: &str) -> bool {
        match self {
            UnknownKeys::None => false,
            UnknownKeys::Refused(keys) => keys.contains(key),
            UnknownKeys::Any => true,
        }
    }
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
    /// A build-time variable set but empty: CI systems turn a missing secret into
    /// `""`, so it is an error; `table` is where `allow_empty_env` can allow it
    /// (none for `password_env`).
    fn empty_env_var(&mut self, var: &Spanned<String>, table: Option<&str>) {
        let help = match table {
            Some(table) => format!(
                "CI systems pass a missing secret as \"\": set `{0}`, or write \
                 `allow_empty_env = true` in `{table}` if empty is meant",
                var.get_ref()
            ),
            None => format!(
                "CI systems pass a missing secret as \"\": set `{}`",
                var.get_ref()
            ),
        };
        self.error_help(
            format!("environment variable `{}` is set but empty", var.get_ref()),
            var.span(),
            "empty at build time",
            help,
        );
    }

    /// Reads and checks one `[configmaps.X]` or `[secrets.X]` table.
    pub(super) fn data_object(
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
        // Past 1 MiB the object is refused below (or a key is refused twice), and past
        // 100 errors it is refused already: read no more files for it.
        let mut held = 0usize;
        let mut count = |read: &Result<Vec<sources::Entry>, sources::SourceError>| {
            held += read.iter().flatten().map(|e| e.bytes.len()).sum::<usize>();
            held > OBJECT_SIZE_LIMIT
        };
        let mut full = false;
        for file in &data.files {
            if full || self.error_count() > errors_before + 100 {
                break;
            }
            let read = sources::file_entries(self.sources, file.get_ref());
            full = count(&read);
            self.add_entries(&mut keys, object, file.span(), read);
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
            if full || self.error_count() > errors_before + 100 {
                break;
            }
            let read = self
                .sources
                .read_file(file.get_ref())
                .and_then(|bytes| sources::parse_env_file(&bytes, file.get_ref()));
            full = count(&read);
            self.add_entries(&mut keys, object, file.span(), read);
        }
        let allow_empty = data.allow_empty_env.as_ref().is_some_and(|a| *a.get_ref());
        for (k, var) in &data.from_env {
            match self.env_var(var) {
                Some(bytes) if bytes.is_empty() && !allow_empty => {
                    let table = match kind {
                        ObjectKind::ConfigMap => format!("[configmaps.{object}]"),
                        ObjectKind::Secret => format!("[secrets.{object}]"),
                    };
                    self.empty_env_var(var, Some(&table));
                    keys.unknown.refuse(k.get_ref());
                }
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
    /// Adds what a file, directory or env file gave; when it could not be read,
    /// references to any key of this object are let through (the read error says enough).
    fn add_entries(
        &mut self,
        keys: &mut Keys,
        object: &str,
        span: Span,
        read: Result<Vec<sources::Entry>, sources::SourceError>,
    ) {
        match read {
            Ok(entries) => {
                for e in entries {
                    let value = Value::file(e.bytes, span.clone(), e.origin);
                    self.add_key(keys, object, e.key, value);
                }
            }
            Err(e) => {
                keys.unknown = UnknownKeys::Any;
                self.source_error(e, span);
            }
        }
    }

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
                if bytes.is_empty() {
                    self.empty_env_var(var, None);
                    return None;
                }
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
}

/// Splits entries into UTF-8 text (`data`) and everything else (`binaryData`).
pub(super) fn split_utf8(
    entries: BTreeMap<String, Vec<u8>>,
) -> (StringMap, BTreeMap<String, Bytes>) {
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
pub(super) fn hash_object(h: &mut Sha256, o: &DataObject) {
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
