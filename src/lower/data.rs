//! ConfigMaps and Secrets: reading every source, key rules, sizes, secret
//! types, and how the pods use each (mount, items, mode, env, image pull).

use super::context::*;

/// A generated ConfigMap or Secret, between reading and emitting.
pub(super) struct DataObject {
    pub(super) kind: ObjectKind,
    /// The table key, as written.
    pub(super) key: String,
    pub(super) key_span: Span,
    /// The name on the cluster (the key, or the key with a hash suffix).
    pub(super) name: String,
    /// Written, implied by `docker_registry`, or `Opaque` (for a ConfigMap too: the config hash reads it).
    pub(super) type_: SecretType,
    pub(super) entries: BTreeMap<String, Vec<u8>>,
    pub(super) immutable: bool,
    /// `labels`: its own, over the app's.
    pub(super) labels: StringMap,
    /// How the pods use it, checked: the pod step only places it.
    pub(super) uses: Uses,
    /// The table key is a valid object name (else it was reported already).
    pub(super) name_ok: bool,
    /// `external = true`: it exists in the cluster; never emitted nor hashed.
    pub(super) external: bool,
    /// Keys that are missing for a reason already reported (a source that
    /// could not be read, a key refused): references to them are not errors
    /// of their own.
    pub(super) unknown_keys: UnknownKeys,
}

/// How the pods use a generated object, as its table asks.
#[derive(Default)]
pub(super) struct Uses {
    /// `mount`'s path, as written: the pod step checks it against every other mount path.
    pub(super) mount: Option<Spanned<String>>,
    /// With `mount = { path, key }`: the key, mounted alone as the file `mount` (`subPath`).
    pub(super) sub_path: Option<String>,
    /// The pod volume, when mounted and the key can name one (else that was reported).
    pub(super) volume: Option<PodVolume>,
    /// `env`: variables of the main container, each set from one key.
    pub(super) env: Vec<(Spanned<String>, EnvSource)>,
    /// `env_from = true`: the main container reads every key.
    pub(super) env_from: Option<EnvFrom>,
    /// `image_pull = true`: the pod pulls images with this Secret.
    pub(super) image_pull: bool,
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
    /// An external object whose keys are not listed: any key may exist, and
    /// references to one are taken as written.
    Unlisted,
}

impl UnknownKeys {
    fn refuse(&mut self, key: &str) {
        match self {
            UnknownKeys::None => *self = UnknownKeys::Refused([key.to_owned()].into()),
            UnknownKeys::Refused(keys) => {
                keys.insert(key.to_owned());
            }
            UnknownKeys::Any | UnknownKeys::Unlisted => {}
        }
    }

    pub(super) fn covers(&self, key: &str) -> bool {
        match self {
            UnknownKeys::None => false,
            UnknownKeys::Refused(keys) => keys.contains(key),
            UnknownKeys::Any | UnknownKeys::Unlisted => true,
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

    /// Reads and checks one `[configmaps.X]` or `[secrets.X]` table, and how the pods use it.
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
        let type_ = self.secret_type(kind, &key, &data);
        if data.external.as_ref().is_some_and(|e| *e.get_ref()) {
            return self.external_object(kind, key, data, type_, name_ok);
        }
        if let Some(keys) = data.keys.as_ref().and_then(|k| k.first()) {
            self.error_help(
                "`keys` is for `external` objects",
                keys.span(),
                "kubetoml knows this object's keys",
                "add `external = true` if the object exists in the cluster, or remove `keys`",
            );
        }
        let errors_before = self.error_count();
        let keys = self.read_keys(kind, &key, &data);
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
        let name = self.cluster_name(kind, &key, &type_, &entries, hashed && name_ok, hashed);
        let labels = self.labels(&data.labels);
        let mut object = DataObject {
            kind,
            name_ok,
            unknown_keys: keys.unknown,
            name,
            key_span: key.span(),
            key: key.into_inner(),
            type_,
            entries,
            immutable: data.immutable.as_ref().is_some_and(|i| *i.get_ref()),
            labels,
            uses: Uses::default(),
            external: false,
        };
        object.uses = self.uses(&object, data);
        object
    }

    /// An `external = true` table: an object that exists in the cluster,
    /// with the keys `keys` lists (any key, when it lists none).
    fn external_object(
        &mut self,
        kind: ObjectKind,
        key: Spanned<String>,
        data: DataSpec,
        type_: SecretType,
        name_ok: bool,
    ) -> DataObject {
        let content = [
            ("files", data.files.first().map(|f| f.span())),
            ("literals", data.literals.keys().next().map(|k| k.span())),
            ("env_files", data.env_files.first().map(|f| f.span())),
            ("from_env", data.from_env.keys().next().map(|k| k.span())),
            (
                "docker_registry",
                data.docker_registry.as_ref().map(|d| d.span()),
            ),
            ("immutable", data.immutable.as_ref().map(|i| i.span())),
            ("hash_suffix", data.hash_suffix.as_ref().map(|h| h.span())),
            ("labels", data.labels.keys().next().map(|k| k.span())),
        ];
        for (field, span) in content {
            if let Some(span) = span {
                self.error_help(
                    format!("`{field}` does not go with `external = true`"),
                    span,
                    "the object exists in the cluster",
                    "kubetoml only refers to an external object: its content is made elsewhere",
                );
            }
        }
        let mut entries = BTreeMap::new();
        for k in data.keys.iter().flatten() {
            if self.check(k, "key", validate::data_key) {
                entries.insert(k.get_ref().clone(), Vec::new());
            }
        }
        let mut object = DataObject {
            kind,
            name_ok,
            unknown_keys: match data.keys {
                Some(_) => UnknownKeys::None,
                None => UnknownKeys::Unlisted,
            },
            name: key.get_ref().clone(),
            key_span: key.span(),
            key: key.into_inner(),
            type_,
            entries,
            immutable: false,
            labels: StringMap::new(),
            uses: Uses::default(),
            external: true,
        };
        object.uses = self.uses(&object, data);
        object
    }

    /// The Secret type: written, implied by `docker_registry`, or `Opaque`;
    /// and the fields a ConfigMap cannot have.
    fn secret_type(
        &mut self,
        kind: ObjectKind,
        key: &Spanned<String>,
        data: &DataSpec,
    ) -> SecretType {
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
        if let Some(t) = &data.type_ {
            if t.get_ref().is_empty() || t.get_ref().len() > validate::SUBDOMAIN_MAX {
                self.error("invalid Secret type", t.span(), "empty or too long");
            } else if SecretType::parse(t.get_ref()) == SecretType::ServiceAccountToken {
                self.error_help(
                    "service account token Secrets are not generated by kubetoml",
                    t.span(),
                    "unsupported type",
                    "the token controller fills them in: create one with kubectl",
                );
            }
        }
        match (&data.type_, &data.docker_registry) {
            (Some(t), _) => SecretType::parse(t.get_ref()),
            (None, Some(_)) => SecretType::DockerConfigJson,
            (None, None) => SecretType::Opaque,
        }
    }

    /// Every key of the object, from its files, literals, env files, build
    /// environment and registry, in that order.
    fn read_keys(&mut self, kind: ObjectKind, key: &Spanned<String>, data: &DataSpec) -> Keys {
        let mut keys = Keys::default();
        let object = key.get_ref();
        let errors_before = self.error_count();
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
            let layer = self.sources.layer_at(file.span().start);
            let read = sources::file_entries(layer.unwrap_or(self.sources), file.get_ref());
            full = count(&read);
            self.add_entries(&mut keys, object, file.span(), read);
        }
        for (k, v) in &data.literals {
            if kind == ObjectKind::Secret && self.options.no_literal_secrets {
                self.error_help(
                    format!("secret `{object}` has a value written in the description"),
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
            let layer = self.sources.layer_at(file.span().start);
            let read = (layer.unwrap_or(self.sources))
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
            match self.docker_registry(reg, key) {
                Some(bytes) => {
                    let value = Value::field(bytes, reg.span(), "docker_registry");
                    self.add_key(&mut keys, object, ".dockerconfigjson".into(), value);
                }
                None => keys.unknown.refuse(".dockerconfigjson"),
            }
        }
        keys
    }

    /// The name on the cluster: the key, with kustomize's content hash when `hashed`.
    /// `check_length` when the key is a valid name, so that a long one is reported once.
    fn cluster_name(
        &mut self,
        kind: ObjectKind,
        key: &Spanned<String>,
        type_: &SecretType,
        entries: &BTreeMap<String, Vec<u8>>,
        check_length: bool,
        hashed: bool,
    ) -> String {
        if !hashed {
            return key.get_ref().clone();
        }
        let suffix = match kind {
            ObjectKind::ConfigMap => {
                let (text, binary) = split_utf8(entries.clone());
                let binary = binary.into_iter().map(|(k, v)| (k, v.0)).collect();
                hash::configmap_suffix(&text, &binary)
            }
            ObjectKind::Secret => hash::secret_suffix(type_.as_str(), entries),
        };
        let hashed_name = format!("{}-{suffix}", key.get_ref());
        if check_length && hashed_name.len() > validate::SUBDOMAIN_MAX {
            self.error(
                format!("`{}` is too long for a hash suffix", key.get_ref()),
                key.span(),
                "at most 242 characters with `hash_suffix`",
            );
        }
        hashed_name
    }

    /// How the pods use `o`: its volume, env variables, `env_from`, image pull.
    fn uses(&mut self, o: &DataObject, data: DataSpec) -> Uses {
        let volume = self.data_volume(o, &data);
        let mut env = Vec::new();
        for (var, k) in &data.env {
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
        let env_from = (data.env_from.as_ref())
            .filter(|e| *e.get_ref())
            .map(|flag| self.env_from(o, flag.span()));
        let image_pull = data.image_pull.as_ref().filter(|f| *f.get_ref());
        if let Some(flag) = image_pull {
            // A ConfigMap's `image_pull` is reported where ConfigMap fields are
            // checked; an external Secret of unwritten type may well be a registry's.
            let may_pull = o.type_.is_registry() || (o.external && data.type_.is_none());
            if o.kind == ObjectKind::Secret && !may_pull {
                self.error_help(
                    format!("`{}` cannot pull images: its type is `{}`", o.key, o.type_),
                    flag.span(),
                    "not a registry Secret",
                    "image pull secrets are `kubernetes.io/dockerconfigjson`: set `docker_registry`",
                );
            }
        }
        let (mount, sub_path) = match data.mount {
            None => (None, None),
            Some(m) => {
                let span = m.span();
                match m.into_inner() {
                    spec::DataMount::Dir(path) => (Some(Spanned::new(span, path)), None),
                    spec::DataMount::File { path, key } => (Some(path), Some(key.into_inner())),
                }
            }
        };
        Uses {
            mount,
            sub_path,
            volume,
            env,
            env_from,
            image_pull: image_pull.is_some(),
        }
    }

    /// The pod volume of a mounted object, with its `items` and `default_mode`;
    /// `None` when not mounted or its key cannot name a volume.
    fn data_volume(&mut self, o: &DataObject, data: &DataSpec) -> Option<PodVolume> {
        if data.mount.is_none() {
            for (field, span) in [
                ("items", data.items.keys().next().map(|k| k.span())),
                ("default_mode", data.default_mode.as_ref().map(|m| m.span())),
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
            return None;
        }
        let vname = o.key.replace('.', "-");
        if !o.name_ok {
            return None;
        }
        if let Err(reason) = validate::dns_label(&vname, validate::LABEL_MAX) {
            self.error(
                format!("`{}` cannot name a pod volume", o.key),
                o.key_span.clone(),
                reason,
            );
            return None;
        }
        if let Some(spec::DataMount::File { key, .. }) = data.mount.as_ref().map(|m| m.get_ref()) {
            self.key_exists(key, o);
            if let Some(k) = data.items.keys().next() {
                self.error_help(
                    "`items` does not go with a one-file `mount`",
                    k.span(),
                    "the mount names its key",
                    "mount one key with `mount = { path, key }`, or several with `mount = \"/dir\"` and `items`",
                );
            }
        }
        let items = self.key_items(o, &data.items);
        Some(PodVolume {
            name: vname,
            kind: o.kind,
            object: o.name.clone(),
            items,
            default_mode: data.default_mode.as_ref().map(|m| self.default_mode(m)),
        })
    }

    /// `items` of a volume of `o`: keys it has, at relative paths.
    pub(super) fn key_items(&mut self, o: &DataObject, items: &Map<String>) -> Vec<KeyToPath> {
        let mut out = Vec::new();
        for (k, path) in items {
            self.key_exists(k, o);
            if self.check(path, "item path", validate::relative_path) {
                out.push(KeyToPath {
                    key: k.get_ref().clone(),
                    path: path.get_ref().clone(),
                });
            }
        }
        out
    }

    /// `default_mode`, warning when a mode is written in decimal.
    pub(super) fn default_mode(&mut self, m: &Spanned<i64>) -> i64 {
        let mode = *m.get_ref();
        let written = self.source.get(m.span()).unwrap_or_default();
        if !(0..=0o777).contains(&mode) {
            self.error_help(
                "`default_mode` must be between 0 and 0o777",
                m.span(),
                format!("{written} is out of range"),
                "write it in octal, e.g. `default_mode = 0o440`",
            );
        } else if mode > 7 && written.bytes().all(|b| b.is_ascii_digit()) {
            // `440` is decimal in TOML: mode 0o670, not r--r-----.
            let as_octal = written.bytes().all(|b| b <= b'7');
            let help = if as_octal {
                format!("write file modes in octal: `{mode:#o}` for this mode, or `0o{written}` if that is what you meant")
            } else {
                format!("write file modes in octal: `{mode:#o}`")
            };
            self.diags.push(
                Diagnostic::warning(
                    format!(
                        "`default_mode = {written}` is decimal: mode {mode:#o} ({})",
                        permissions(mode)
                    ),
                    m.span(),
                    "decimal",
                )
                .with_help(help),
            );
        }
        mode
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
        let kind_name = kind.as_str();
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
        type_: &SecretType,
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
            SecretType::Tls => {
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
            SecretType::DockerConfigJson | SecretType::DockerCfg => {
                let k = if *type_ == SecretType::DockerConfigJson {
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
            SecretType::BasicAuth
                if !entries.contains_key("username") && !entries.contains_key("password") =>
            {
                require(self, &["username", "password"]);
            }
            SecretType::SshAuth => {
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

/// The generated objects as the model holds them, each kind by name.
pub(super) fn into_objects(
    objects: Vec<DataObject>,
    app: &Identity,
) -> (Vec<ConfigMap>, Vec<Secret>) {
    let mut config_maps = Vec::new();
    let mut secrets = Vec::new();
    for o in objects.into_iter().filter(|o| !o.external) {
        let mut annotations = StringMap::new();
        if o.name != o.key {
            annotations.insert("kubetoml.dev/generated-from".into(), o.key.clone());
        }
        let metadata = app.metadata(&o.name, o.labels, annotations);
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
                data: (o.entries.into_iter())
                    .map(|(k, v)| (k, SecretBytes(v)))
                    .collect(),
                immutable: o.immutable,
            }),
        }
    }
    config_maps.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    secrets.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    (config_maps, secrets)
}

/// `rw-r-----` for 0o640.
fn permissions(mode: i64) -> String {
    (0..9)
        .map(|bit| {
            let on = mode & (0o400 >> bit) != 0;
            match (on, bit % 3) {
                (false, _) => '-',
                (true, 0) => 'r',
                (true, 1) => 'w',
                (true, _) => 'x',
            }
        })
        .collect()
}

/// The config hash of every generated object the pods read, so that a
/// config change rolls them (Secrets only under `secret_key`, see
/// [`hash::config_hash`]); `None` when nothing entered.
pub(super) fn config_hash(
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
        .chain(pod.other_volumes.iter().flat_map(|v| match &v.source {
            VolumeSource::Projected { sources, .. } => {
                sources.iter().map(|s| s.object.clone()).collect()
            }
            VolumeSource::EmptyDir { .. } | VolumeSource::Claim { .. } => Vec::new(),
        }))
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
