//! The headless Service, the volumeClaimTemplates and the StatefulSet itself.

use super::context::*;
use crate::check::policy::lints;

impl Lowerer<'_> {
    /// The headless Service: its name, its ports (every port of the main
    /// container, or those `[service] ports` publishes, which may be a
    /// sidecar's) and its own labels and annotations.
    pub(super) fn service(
        &mut self,
        service: Option<&Spanned<spec::ServiceSpec>>,
        app: &Identity,
        ports: &[(Spanned<String>, ContainerPort)],
        sidecar_ports: &[(Spanned<String>, ContainerPort)],
    ) -> Service {
        let s = service.map(|s| s.get_ref());
        let name = match s.and_then(|s| s.name.as_ref()) {
            Some(n) => {
                self.check(n, "Service name", validate::dns1035_label);
                n.get_ref().clone()
            }
            None => {
                let app_name = &app.name;
                if validate::dns1035_label(app_name).is_err()
                    && app_name.starts_with(|c: char| c.is_ascii_digit())
                {
                    self.error_help(
                        format!(
                            "`{app_name}` cannot name the Service: Service names start with a letter"
                        ),
                        app.name_span.clone(),
                        "starts with a digit",
                        "set `[service] name` to a name that starts with a letter",
                    );
                }
                app_name.clone()
            }
        };
        let service_ports = match s.and_then(|s| s.ports.as_ref()) {
            None => ports
                .iter()
                .map(|(_, p)| ServicePort {
                    name: p.name.clone(),
                    port: p.container_port,
                    target_port: IntOrString::String(p.name.clone()),
                    protocol: p.protocol,
                })
                .collect(),
            Some(map) => self.service_ports(map, ports, sidecar_ports),
        };
        let extra_labels = s.map(|s| self.labels(&s.labels)).unwrap_or_default();
        let extra_annotations = s
            .map(|s| self.annotations(&s.annotations))
            .unwrap_or_default();
        Service {
            metadata: app.metadata(&name, extra_labels, extra_annotations),
            selector: app.selector.clone(),
            ports: service_ports,
            publish_not_ready_addresses: s
                .and_then(|s| s.publish_not_ready_addresses)
                .unwrap_or(false),
            traffic_distribution: self.traffic_distribution(s.and_then(|s| s.traffic_distribution.as_ref())),
        }
    }

    /// `trafficDistribution`, of the headless Service or the client one.
    pub(super) fn traffic_distribution(&mut self, written: Option<&Spanned<String>>) -> Option<TrafficDistribution> {
        written.and_then(|t| self.keyword(t, "traffic distribution"))
    }

    /// `[service] ports` (and the table form of `[client_service] ports`):
    /// each publishes a container port (the main container's, or a
    /// sidecar's) on a number of its own, under the entry's name; the number
    /// form forwards to the container port of that name, the table form to
    /// its `target_port` (by default the same).
    pub(super) fn service_ports(
        &mut self,
        map: &Map<spec::ServicePortSpec>,
        main_ports: &[(Spanned<String>, ContainerPort)],
        sidecar_ports: &[(Spanned<String>, ContainerPort)],
    ) -> Vec<ServicePort> {
        let mut ports = main_ports.to_vec();
        ports.extend(sidecar_ports.iter().cloned());
        let ports = &ports[..];
        let mut published: BTreeMap<(i64, Protocol), &str> = BTreeMap::new();
        let mut out = Vec::new();
        for (pname, entry) in map {
            let (number, written_target) = match entry.get_ref() {
                spec::ServicePortSpec::Number(n) => ((*n, entry.span()), None),
                spec::ServicePortSpec::Table(t) => {
                    self.check(pname, "Service port name", validate::port_name);
                    ((*t.port.get_ref(), t.port.span()), t.target_port.as_ref())
                }
            };
            // Both are checked, so one run reports every problem of the entry.
            let target = self.port_target(pname, written_target, ports);
            let (n, span) = number;
            let number_ok = match validate::port_number(n) {
                Ok(()) => true,
                Err(reason) => {
                    self.error("invalid port number", span.clone(), reason);
                    false
                }
            };
            let Some((target_port, protocol)) = target else {
                continue;
            };
            let clash = if number_ok { published.insert((n, protocol), pname.get_ref()) } else { None };
            if let Some(first) = clash {
                self.error_help(
                    format!(
                        "service ports `{first}` and `{}` both publish {n}/{protocol}",
                        pname.get_ref(),
                    ),
                    span,
                    "port already published",
                    "give each service port its own number",
                );
            }
            out.push(ServicePort {
                name: pname.get_ref().clone(),
                port: n,
                target_port,
                protocol,
            });
        }
        out
    }

    /// Where the service port `pname` forwards, and with which protocol: the
    /// container port `target` names (by default the one named `pname`), or
    /// the number it gives (with the protocol of a container port of that
    /// number, else TCP).
    fn port_target(
        &mut self,
        pname: &Spanned<String>,
        target: Option<&Spanned<spec::PortTarget>>,
        ports: &[(Spanned<String>, ContainerPort)],
    ) -> Option<(IntOrString, Protocol)> {
        let (name, span, message) = match target.map(|t| (t.get_ref(), t.span())) {
            None => (
                pname.get_ref(),
                pname.span(),
                format!("service port `{}` names no container port", pname.get_ref()),
            ),
            Some((spec::PortTarget::Name(name), span)) => {
                let declared: Vec<&str> = ports.iter().map(|(n, _)| n.get_ref().as_str()).collect();
                if lints::undeclared_on_purpose(name, &declared) {
                    // A port for a feature turned off (cassandra's `tls`):
                    // the `undeclared-port` lint warns of it.
                    if let Err(reason) = validate::port_name(name) {
                        let message = format!("`{}` is not a valid port name", name.escape_debug());
                        self.error(message, span, reason);
                        return None;
                    }
                    return Some((IntOrString::String(name.clone()), Protocol::Tcp));
                }
                (
                    name,
                    span,
                    format!(
                        "service port `{}`: `target_port` `{}` names no container port",
                        pname.get_ref(),
                        name.escape_debug()
                    ),
                )
            }
            Some((spec::PortTarget::Number(n), span)) => {
                if let Err(reason) = validate::port_number(*n) {
                    self.error("invalid `target_port`", span, reason);
                    return None;
                }
                let protocol = (ports.iter())
                    .find(|(_, p)| p.container_port == *n)
                    .map_or(Protocol::Tcp, |(_, p)| p.protocol);
                return Some((IntOrString::Int(*n), protocol));
            }
        };
        let port = self.declared_port(name, span, ports, message, "container ports:")?;
        Some((IntOrString::String(port.name.clone()), port.protocol))
    }

    fn claims(
        &mut self,
        volumes: &Map<spec::VolumeSpec>,
        selector: &StringMap,
        mounted: &BTreeSet<&str>,
    ) -> Vec<Claim> {
        let mut out = Vec::new();
        for (name, v) in volumes {
            let v = v.get_ref();
            self.check(name, "volume name", |s| {
                validate::dns_label(s, validate::LABEL_MAX)
            });
            // A ConfigMap, Secret or projected volume may be in the pod unmounted
            // (a chart's volume for a sidecar it left out).
            if v.mount.is_none() && !mounted.contains(name.get_ref().as_str()) && !v.is_object_volume() {
                self.error_help(
                    format!("volume `{}` has no `mount`", name.get_ref()),
                    name.span(),
                    "not mounted",
                    format!(
                        "add `mount = \"/path\"` (every container listing it mounts it there), or list `{{ volume = \"{}\", path = \"/path\" }}` in the `mounts` of the containers that use it",
                        name.get_ref()
                    ),
                );
            }
            if let Some(sp) = &v.sub_path {
                self.check(sp, "sub-path", validate::relative_path);
            }
            if v.empty_dir.is_some() || v.claim.is_some() || v.is_object_volume() {
                // A pod volume, not a claim template: lowered with the pod's volumes.
                self.claim_only(name, v);
                continue;
            }
            let size = self.claim_size("volume", name, v.size.as_ref());
            let access_modes = self.access_modes(name, v.access_modes.as_ref());
            let storage_class = v.storage_class.as_ref().map(|s| {
                self.check(s, "storage class name", validate::dns_subdomain);
                s.get_ref().clone()
            });
            let labels = match &v.labels {
                Some(l) => self.selector_labels(l.get_ref()),
                None => selector.clone(),
            };
            let annotations = self.annotations(&v.annotations);
            let volume_mode = (v.volume_mode.as_ref()).and_then(|m| self.keyword(m, "volume mode"));
            // Without a size there is no claim; why was reported above.
            if let Some(size) = size {
                out.push(Claim {
                    name: name.get_ref().clone(),
                    labels,
                    annotations,
                    volume_mode,
                    access_modes,
                    storage_class,
                    size,
                });
            }
        }
        out
    }

    /// What only a claim template has, refused on a pod volume.
    fn claim_only(&mut self, name: &Spanned<String>, v: &spec::VolumeSpec) {
        let spans = [
            ("labels", v.labels.as_ref().map(|l| l.span())),
            ("annotations", v.annotations.keys().next().map(|k| k.span())),
            ("volume_mode", v.volume_mode.as_ref().map(|m| m.span())),
        ];
        for (field, span) in spans {
            if let Some(span) = span {
                self.error_help(
                    format!("`{field}` is for claim templates, not for volume `{}`", name.get_ref()),
                    span,
                    "not a claim template",
                    "a volume with `empty_dir`, `claim`, `secret`, `configmap` or `projected` is a pod volume: remove it",
                );
            }
        }
    }

    /// A claim's size: a quantity above zero.
    pub(super) fn claim_size(
        &mut self,
        what: &str,
        name: &Spanned<String>,
        size: Option<&Spanned<spec::Quantity>>,
    ) -> Option<Quantity> {
        match size {
            Some(s) => match Quantity::parse(&s.get_ref().0) {
                Err(reason) => {
                    self.error(
                        format!("`{}` is not a valid size", s.get_ref().0),
                        s.span(),
                        reason,
                    );
                    None
                }
                Ok(size) if size.is_zero() => {
                    self.error_help(
                        format!("{what} `{}` has a size of zero", name.get_ref()),
                        s.span(),
                        "must be more than 0",
                        "ask for the space the app needs, e.g. `size = \"10Gi\"`",
                    );
                    None
                }
                Ok(size) => Some(size),
            },
            None => {
                self.error_help(
                    format!("{what} `{}` has no `size`", name.get_ref()),
                    name.span(),
                    "no size",
                    "add `size = \"10Gi\"`",
                );
                None
            }
        }
    }

    /// A claim's access modes: `ReadWriteOnce` unless written; `ReadWriteOncePod` alone.
    pub(super) fn access_modes(
        &mut self,
        name: &Spanned<String>,
        written: Option<&Vec<Spanned<String>>>,
    ) -> Vec<AccessMode> {
        let Some(modes) = written else {
            return vec![AccessMode::ReadWriteOnce];
        };
        if modes.is_empty() {
            self.error("`access_modes` is empty", name.span(), "no access mode");
        }
        let access_modes: Vec<AccessMode> = (modes.iter())
            .filter_map(|m| self.keyword(m, "access mode"))
            .collect();
        if modes.len() > 1 && access_modes.contains(&AccessMode::ReadWriteOncePod) {
            let span = (modes.iter())
                .find(|m| m.get_ref() == AccessMode::ReadWriteOncePod.as_str())
                .map_or(name.span(), |m| m.span());
            self.error_help(
                "`ReadWriteOncePod` cannot be combined with other access modes",
                span,
                "must be the only mode",
                "use `access_modes = [\"ReadWriteOncePod\"]` alone",
            );
        }
        access_modes
    }

    /// The StatefulSet around the finished pod template, with its claims
    /// (the `[volumes.X]` that are claim templates).
    pub(super) fn stateful_set(
        &mut self,
        statefulset: &Option<Spanned<spec::StatefulSetSpec>>,
        replicas: i64,
        app: &Identity,
        service: &Service,
        pod: PodTemplate,
        volumes: &Map<spec::VolumeSpec>,
    ) -> StatefulSet {
        // A volume without `mount` is one that only some containers mount, at paths of their own.
        let mounted: BTreeSet<&str> = (pod.containers.iter().chain(&pod.init_containers))
            .flat_map(|c| &c.volume_mounts)
            .map(|m| m.name.as_str())
            .collect();
        let claims = self.claims(volumes, &app.selector, &mounted);
        let service_name = service.metadata.name.clone();
        let s = statefulset.as_ref().map(|s| s.get_ref());
        // A default stands in for an unknown value: the error keeps the model from being used.
        let pod_management_policy = (s.and_then(|s| s.pod_management_policy.as_ref()))
            .and_then(|p| self.keyword(p, "pod management policy"))
            .unwrap_or(PodManagementPolicy::OrderedReady);
        let update_strategy = self.update_strategy(s.and_then(|s| s.update_strategy.as_ref()));
        let pvc_retention_policy = s.and_then(|s| s.pvc_retention_policy.as_ref()).map(|r| {
            let mut policy = |v: &Option<Spanned<String>>, what: &str| {
                (v.as_ref())
                    .and_then(|p| self.keyword(p, what))
                    .unwrap_or(Retention::Retain)
            };
            RetentionPolicy {
                when_deleted: policy(&r.get_ref().when_deleted, "`when_deleted` policy"),
                when_scaled: policy(&r.get_ref().when_scaled, "`when_scaled` policy"),
            }
        });
        StatefulSet {
            metadata: app.metadata(&app.name, StringMap::new(), StringMap::new()),
            replicas,
            selector: app.selector.clone(),
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

    /// `updateStrategy`: `RollingUpdate` unless written, with its partition and `maxUnavailable`.
    fn update_strategy(&mut self, u: Option<&Spanned<spec::UpdateStrategySpec>>) -> UpdateStrategy {
        match u {
            None => UpdateStrategy {
                type_: UpdateStrategyType::RollingUpdate,
                partition: None,
                max_unavailable: None,
            },
            Some(u) => {
                let u = u.get_ref();
                let type_ = (u.type_.as_ref())
                    .and_then(|t| self.keyword(t, "update strategy"))
                    .unwrap_or(UpdateStrategyType::RollingUpdate);
                if type_ == UpdateStrategyType::OnDelete {
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
        }
    }
}

