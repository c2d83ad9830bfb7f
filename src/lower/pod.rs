//! The pod template: containers, env, mounts, probes, hooks, security, scheduling.

use super::*;

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

impl Lowerer<'_> {
    pub(super) fn ports(
        &mut self,
        ports: &Map<spec::PortSpec>,
    ) -> Vec<(Spanned<String>, ContainerPort)> {
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

    #[allow(clippy::too_many_arguments)]
    pub(super) fn pod(
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
            if let Some(flag) = o.spec.env_from.as_ref().filter(|e| *e.get_ref()) {
                env_from.push(self.env_from(o, flag.span()));
            }
        }

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
        // A ConfigMap's `image_pull` is reported where ConfigMap fields are checked.
        for o in objects.iter().filter(|o| o.kind == ObjectKind::Secret) {
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
            env_from: Vec::new(),
            resources: spec.resources.take(),
            probes: spec.probes.take(),
            lifecycle: spec.lifecycle.take(),
            security_context: None,
            mounts: Vec::new(),
        };
        let main_mounts: Vec<VolumeMount> = mountable.values().cloned().collect();
        let mut main = self.container(main, Role::Main, objects, ports, env, main_mounts);
        main.security_context = main_security;
        main.env_from.extend(env_from);
        main.env_from
            .sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        main.env_from
            .dedup_by(|a, b| (a.kind, &a.name) == (b.kind, &b.name));

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
                let mut lowered = self.container(c, role, objects, c_ports, Vec::new(), mounts);
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

    /// The generated object a container names by its table key, checking its kind when one is asked for.
    fn find_object<'o>(
        &mut self,
        objects: &'o [DataObject],
        name: &Spanned<String>,
        kind: Option<ObjectKind>,
    ) -> Option<&'o DataObject> {
        let wanted = |o: &&DataObject| kind.is_none_or(|k| o.kind == k);
        if let Some(o) = objects
            .iter()
            .filter(wanted)
            .find(|o| o.key == *name.get_ref())
        {
            return Some(o);
        }
        let (what, table) = match kind {
            Some(ObjectKind::ConfigMap) => ("configmap", "[configmaps.NAME]"),
            Some(ObjectKind::Secret) => ("secret", "[secrets.NAME]"),
            None => ("configmap or secret", "[configmaps.NAME] or [secrets.NAME]"),
        };
        let known: Vec<&str> = objects
            .iter()
            .filter(wanted)
            .map(|o| o.key.as_str())
            .collect();
        let help = match objects.iter().find(|o| o.key == *name.get_ref()) {
            Some(other) => format!(
                "`{}` is a {}: write `{} = \"{}\"`",
                other.key,
                if other.kind == ObjectKind::Secret {
                    "secret"
                } else {
                    "configmap"
                },
                if other.kind == ObjectKind::Secret {
                    "secret"
                } else {
                    "configmap"
                },
                other.key
            ),
            None => suggest(
                name.get_ref(),
                &known,
                "defined:",
                &format!("define it as `{table}`"),
            ),
        };
        self.error_help(
            format!("there is no {what} `{}`", name.get_ref()),
            name.span(),
            format!("unknown {what}"),
            help,
        );
        None
    }

    /// `{ configmap = "x", key = "k" }` or `{ secret = "x", key = "k" }`, resolved.
    fn key_ref(
        &mut self,
        objects: &[DataObject],
        r: &spec::EnvKeyRef,
        span: Span,
    ) -> Option<EnvSource> {
        let (name, kind) = match (&r.configmap, &r.secret) {
            (Some(name), None) => (name, ObjectKind::ConfigMap),
            (None, Some(name)) => (name, ObjectKind::Secret),
            _ => {
                self.error_help(
                    "an environment reference names one object",
                    span,
                    "give `configmap` or `secret`",
                    "write `{ configmap = \"name\", key = \"key\" }` or `{ secret = \"name\", key = \"key\" }`",
                );
                return None;
            }
        };
        let o = self.find_object(objects, name, Some(kind))?;
        if !self.key_exists(&r.key, o) {
            return None;
        }
        let (object, key) = (o.name.clone(), r.key.get_ref().clone());
        Some(match kind {
            ObjectKind::ConfigMap => EnvSource::ConfigMap { object, key },
            ObjectKind::Secret => EnvSource::Secret { object, key },
        })
    }

    /// An `envFrom` source for `o`, warning about keys that cannot be variables.
    fn env_from(&mut self, o: &DataObject, span: Span) -> EnvFrom {
        for k in o.entries.keys() {
            if validate::env_var_name(k).is_err() {
                self.diags.push(Diagnostic::warning(
                    format!(
                        "key `{k}` of `{}` is not a valid environment variable name, so `env_from` skips it",
                        o.key
                    ),
                    span.clone(),
                    "key skipped",
                ));
            }
        }
        EnvFrom {
            kind: o.kind,
            name: o.name.clone(),
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
        objects: &[DataObject],
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

        // Literals and references written here, then those from the objects' `env` tables; every name once.
        let mut env: Vec<(Spanned<String>, EnvSource)> = Vec::new();
        for (var, value) in &c.env {
            let source = match value.get_ref() {
                spec::EnvValue::Literal(value) => EnvSource::Value {
                    value: value.clone(),
                },
                spec::EnvValue::Key(r) => match self.key_ref(objects, r, value.span()) {
                    Some(source) => source,
                    None => continue,
                },
            };
            env.push((var.clone(), source));
        }
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
        let env_from: Vec<EnvFrom> = c
            .env_from
            .iter()
            .filter_map(|name| {
                let o = self.find_object(objects, name, None)?;
                Some(self.env_from(o, name.span()))
            })
            .collect();

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
            env_from,
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
