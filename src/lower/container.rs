//! One container: image, command, ports, env and its references, resources.

use super::probe::ProbesAndHooks;
use super::context::*;
use super::data::UnknownKeys;
use super::data::DataObject;

/// Which container of the pod is being lowered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// The app's own container, from the top-level fields.
    Main,
    /// A `[[sidecars]]` entry.
    Sidecar,
    /// A `[[sidecars]]` entry with `native = true`: an init container that
    /// keeps running (`restartPolicy: Always`), which may have probes and hooks.
    NativeSidecar,
    /// An `[[init_containers]]` entry.
    Init,
}

impl Lowerer<'_> {
    pub(super) fn ports(
        &mut self,
        ports: &Map<spec::PortSpec>,
    ) -> Vec<(Spanned<String>, ContainerPort)> {
        let mut out = Vec::new();
        // Ports with an unknown protocol (reported) are not compared with the others.
        let mut unknown_protocol = BTreeSet::new();
        for (name, port) in ports {
            self.check(name, "port name", validate::port_name);
            let (number, written) = match port.get_ref() {
                spec::PortSpec::Number(n) => (*n, None),
                spec::PortSpec::Full { port, protocol } => (*port, protocol.as_ref()),
            };
            if let Err(reason) = validate::port_number(number) {
                self.error("invalid port number", port.span(), reason);
            }
            let protocol = written.map_or(Some(Protocol::Tcp), |text| {
                self.keyword(&Spanned::new(port.span(), text.clone()), "protocol")
            });
            if protocol.is_none() {
                unknown_protocol.insert(name.get_ref().clone());
            }
            // TCP stands in for an unknown protocol: the error keeps the model from being used.
            let protocol = protocol.unwrap_or(Protocol::Tcp);
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
        let mut written: Vec<_> = (out.iter().zip(ports.values()))
            .filter(|((name, _), _)| !unknown_protocol.contains(name.get_ref()))
            .collect();
        written.sort_by_key(|((name, _), _)| name.span().start);
        let mut seen: BTreeMap<(i64, Protocol), &str> = BTreeMap::new();
        for ((name, p), number) in written {
            let key = (p.container_port, p.protocol);
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

    /// A container, given its ports, the env its generated objects add
    /// (the main container's) and its mounts.
    pub(super) fn container(
        &mut self,
        c: spec::ContainerSpec,
        role: Role,
        objects: &[DataObject],
        ports: Vec<(Spanned<String>, ContainerPort)>,
        config_env: Vec<(Spanned<String>, EnvSource)>,
        mut volume_mounts: Vec<VolumeMount>,
    ) -> Container {
        let image = self.image(&c, role);
        let image_pull_policy =
            (c.image_pull_policy.as_ref()).and_then(|p| self.keyword(p, "image pull policy"));
        let env = self.env(&c.env, objects, config_env);
        let env_from: Vec<EnvFrom> = (c.env_from.iter())
            .filter_map(|name| {
                let o = self.find_object(objects, name, None)?;
                Some(self.env_from(o, name.span()))
            })
            .collect();
        let port_names: Vec<&str> = ports.iter().map(|(n, _)| n.get_ref().as_str()).collect();
        let ProbesAndHooks {
            readiness,
            liveness,
            startup,
            post_start,
            pre_stop,
        } = self.probes_and_hooks(
            c.probes.as_ref(),
            c.lifecycle.as_ref(),
            role == Role::Init,
            &port_names,
        );
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
            env,
            env_from,
            resources: (c.resources.as_ref())
                .map(|r| self.resources(r))
                .unwrap_or_default(),
            readiness_probe: readiness,
            liveness_probe: liveness,
            startup_probe: startup,
            post_start,
            pre_stop,
            volume_mounts,
            security_context: None,
            restart_always: role == Role::NativeSidecar,
        }
    }

    fn image(&mut self, c: &spec::ContainerSpec, role: Role) -> String {
        match &c.image {
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
                    Role::Sidecar | Role::NativeSidecar | Role::Init => (
                        format!("container `{}` has no `image`", c.name.get_ref()),
                        "add `image = \"registry/name:tag\"` to this container's table",
                    ),
                };
                self.error_help(message, c.name.span(), "needs an image", help);
                String::new()
            }
        }
    }

    /// Literals and references written here, then those from the objects'
    /// `env` tables (`config_env`); every name once, in the order written, so
    /// `$(VAR)` references to earlier variables expand as Kubernetes expands them.
    fn env(
        &mut self,
        written: &spec::EnvList<spec::EnvValue>,
        objects: &[DataObject],
        mut config_env: Vec<(Spanned<String>, EnvSource)>,
    ) -> Vec<EnvVar> {
        let mut env: Vec<(Spanned<String>, EnvSource)> = Vec::new();
        for (var, value) in written {
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
        let mut out = Vec::new();
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
            out.push(EnvVar {
                name: var.into_inner(),
                source,
            });
        }
        out
    }

    /// The generated object a container names by its table key, checking its kind when one is asked for.
    pub(super) fn find_object<'o>(
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

    /// `{ configmap = "x", key = "k" }` or `{ secret = "x", key = "k" }`, resolved
    /// (and the downward API's `{ field }` and `{ resource }`).
    fn key_ref(
        &mut self,
        objects: &[DataObject],
        r: &spec::EnvKeyRef,
        span: Span,
    ) -> Option<EnvSource> {
        if r.field.is_some() || r.resource.is_some() {
            return self.downward(r);
        }
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
        let Some(key) = &r.key else {
            self.error_help(
                "an environment reference needs a `key`",
                span,
                "which key?",
                format!(
                    "add `key = \"...\"`: the key of `{}` whose value the variable gets",
                    name.get_ref()
                ),
            );
            return None;
        };
        let o = self.find_object(objects, name, Some(kind))?;
        if !self.key_exists(key, o) {
            return None;
        }
        let (object, key) = (o.name.clone(), key.get_ref().clone());
        Some(match kind {
            ObjectKind::ConfigMap => EnvSource::ConfigMap { object, key },
            ObjectKind::Secret => EnvSource::Secret { object, key },
        })
    }

    /// An `envFrom` source for `o`, warning about keys that cannot be variables.
    pub(super) fn env_from(&mut self, o: &DataObject, span: Span) -> EnvFrom {
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

    pub(super) fn key_exists(&mut self, k: &Spanned<String>, o: &DataObject) -> bool {
        if o.entries.contains_key(k.get_ref()) || matches!(o.unknown_keys, UnknownKeys::Unlisted) {
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
        if o.kind == ObjectKind::Secret {
            // A key a Secret does not have may be a value a mistake moved
            // (`docker_registry` mistyped as `env`): never quote it.
            let error = Diagnostic::error(
                format!("`{}` has no such key", o.key),
                k.span(),
                "unknown key",
            );
            self.diags.push(error.with_help(help).in_doubt());
        } else {
            self.error_help(
                format!("`{}` has no key `{}`", o.key, k.get_ref()),
                k.span(),
                "unknown key",
                help,
            );
        }
        false
    }

    fn resources(&mut self, r: &spec::ResourcesSpec) -> Resources {
        for k in r.requests.keys().chain(r.limits.keys()) {
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
        }
        let mut parse = |m: &Map<spec::Quantity>| -> BTreeMap<String, (Span, Quantity)> {
            m.iter()
                .filter_map(|(k, q)| {
                    let text = &q.get_ref().0;
                    match Quantity::parse(text) {
                        Ok(parsed) => Some((k.get_ref().clone(), (q.span(), parsed))),
                        Err(reason) => {
                            self.error(
                                format!("`{text}` is not a valid quantity"),
                                q.span(),
                                reason,
                            );
                            None
                        }
                    }
                })
                .collect()
        };
        let (requests, limits) = (parse(&r.requests), parse(&r.limits));
        for (k, (span, request)) in &requests {
            let Some((_, limit)) = limits.get(k) else {
                continue;
            };
            if request.compare(limit) == Some(std::cmp::Ordering::Greater) {
                self.error_help(
                    format!("the `{k}` request `{request}` is more than its limit `{limit}`"),
                    span.clone(),
                    "request above the limit",
                    "a container cannot be guaranteed more than it may use: lower the request or raise the limit",
                );
            }
        }
        let values = |m: BTreeMap<String, (Span, Quantity)>| {
            m.into_iter().map(|(k, (_, q))| (k, q)).collect()
        };
        Resources {
            requests: values(requests),
            limits: values(limits),
        }
    }
}
