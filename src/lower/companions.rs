//! The objects beside the StatefulSet: the Namespace, the ServiceAccount,
//! the client Service, the PodDisruptionBudget and the NetworkPolicy. Each
//! selects exactly the app's pods, by the StatefulSet's selector.

use super::context::*;
use super::rbac::Rbac;

/// Who the pods run as: the account's name, whether a token is mounted,
/// and the ServiceAccount object when kubetoml creates it.
#[derive(Default)]
pub(super) struct PodIdentity {
    pub(super) name: Option<String>,
    pub(super) automount: Option<bool>,
    pub(super) object: Option<ServiceAccount>,
    /// What the account may do, when kubetoml creates it with `rules`.
    pub(super) rbac: Rbac,
}

/// The label Kubernetes sets on every Namespace to its own name.
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

impl Lowerer<'_> {
    /// `create_namespace = true`: the app's namespace as an object of its own.
    pub(super) fn namespace_object(
        &mut self,
        create: Option<&Spanned<bool>>,
        namespace: Option<&Spanned<String>>,
        app: &Identity,
    ) -> Option<Namespace> {
        let create = create.filter(|c| *c.get_ref())?;
        let Some(name) = namespace else {
            self.error_help(
                "`create_namespace` needs a `namespace`",
                create.span(),
                "no namespace to create",
                "add `namespace = \"...\"` at the top level",
            );
            return None;
        };
        let mut metadata = app.metadata(name.get_ref(), StringMap::new(), StringMap::new());
        metadata.namespace = None;
        Some(Namespace { metadata })
    }

    /// `service_account` (a name, or a table that creates the account) and
    /// `automount_service_account_token`.
    pub(super) fn pod_identity(
        &mut self,
        account: Option<Spanned<spec::ServiceAccountSpec>>,
        automount: Option<Spanned<bool>>,
        app: &Identity,
    ) -> PodIdentity {
        let automount = automount.map(|a| *a.get_ref());
        let Some(account) = account else {
            return PodIdentity {
                automount,
                ..Default::default()
            };
        };
        let span = account.span();
        let table = match account.into_inner() {
            spec::ServiceAccountSpec::Existing(name) => {
                let name = Spanned::new(span, name);
                self.check(&name, "service account name", validate::dns_subdomain);
                return PodIdentity {
                    name: Some(name.into_inner()),
                    automount,
                    ..Default::default()
                };
            }
            spec::ServiceAccountSpec::Table(t) => t,
        };
        let create = table.create.as_ref().is_some_and(|c| *c.get_ref());
        let name = match &table.name {
            Some(n) => {
                self.check(n, "service account name", validate::dns_subdomain);
                n.get_ref().clone()
            }
            None if create => app.name.clone(),
            None => {
                self.error_help(
                    "`service_account` names no account",
                    span,
                    "neither `name` nor `create = true`",
                    "write `service_account = \"name\"` for an existing account, or add `create = true`",
                );
                return PodIdentity {
                    name: None,
                    automount,
                    ..Default::default()
                };
            }
        };
        if !create {
            if let Some((k, _)) = table.annotations.iter().next() {
                self.error_help(
                    "`service_account` annotations need `create = true`",
                    k.span(),
                    "the account is not created here",
                    "kubetoml only annotates an account it creates",
                );
            }
        }
        let annotations = self.annotations(&table.annotations);
        let object = create.then(|| ServiceAccount {
            metadata: app.metadata(&name, StringMap::new(), annotations),
        });
        let rbac = self.rbac(&table.rules, table.role_name.as_ref(), create, &name, app);
        PodIdentity {
            name: Some(name),
            automount,
            object,
            rbac,
        }
    }

    /// `[client_service]`: a Service with a cluster address for the declared ports it names.
    pub(super) fn client_service(
        &mut self,
        spec: Option<&Spanned<spec::ClientServiceSpec>>,
        app: &Identity,
        ports: &[(Spanned<String>, ContainerPort)],
        sidecar_ports: &[(Spanned<String>, ContainerPort)],
        headless: &Service,
    ) -> Option<ClientService> {
        let headless = &headless.metadata.name;
        let table = spec?;
        let s = table.get_ref();
        let name = match &s.name {
            Some(n) => {
                if self.check(n, "Service name", validate::dns1035_label) && n.get_ref() == headless
                {
                    self.error_help(
                        format!("the client Service and the headless Service are both named `{headless}`"),
                        n.span(),
                        "name already used",
                        "give the client Service a name of its own",
                    );
                }
                n.get_ref().clone()
            }
            None => {
                let name = format!("{}-client", app.name);
                if app.name_ok && validate::dns1035_label(&name).is_err() {
                    self.error_help(
                        format!("`{name}` cannot name the client Service"),
                        table.span(),
                        "default name is not a valid Service name",
                        "set `[client_service] name` to a DNS label of at most 63 characters that starts with a letter",
                    );
                } else if name == *headless {
                    self.error_help(
                        format!("the client Service and the headless Service are both named `{headless}`"),
                        table.span(),
                        "default name already used",
                        "set `[client_service] name` to a name of its own",
                    );
                }
                name
            }
        };
        let type_ = match &s.type_ {
            Some(t) => self
                .keyword(t, "client Service type")
                .unwrap_or(ServiceType::ClusterIp),
            None => ServiceType::ClusterIp,
        };
        let (published, written) = match &s.ports {
            None => (self.client_ports(None, ports), false),
            Some(spec::ClientPortsSpec::Names(names)) => (self.client_ports(Some(names), ports), !names.is_empty()),
            Some(spec::ClientPortsSpec::Table(map)) => (self.service_ports(map, ports, sidecar_ports), !map.is_empty()),
        };
        if published.is_empty() && !written {
            self.error_help(
                "the client Service publishes no port",
                table.span(),
                "no ports",
                "declare `ports` at the top level, or list some in `[client_service] ports`",
            );
        }
        let annotations = self.annotations(&s.annotations);
        let labels = self.labels(&s.labels);
        Some(ClientService {
            metadata: app.metadata(&name, labels, annotations),
            type_,
            selector: app.selector.clone(),
            ports: published,
            traffic_distribution: self.traffic_distribution(s.traffic_distribution.as_ref()),
        })
    }

    /// `[client_service] ports`: declared port names, each at most once (default: all).
    fn client_ports(
        &mut self,
        names: Option<&[Spanned<String>]>,
        ports: &[(Spanned<String>, ContainerPort)],
    ) -> Vec<ServicePort> {
        let service_port = |p: &ContainerPort| ServicePort {
            name: p.name.clone(),
            port: p.container_port,
            target_port: IntOrString::String(p.name.clone()),
            protocol: p.protocol,
        };
        let Some(names) = names else {
            return ports.iter().map(|(_, p)| service_port(p)).collect();
        };
        let mut out: Vec<ServicePort> = Vec::new();
        for n in names {
            let message = format!("client Service port `{}` names no declared port", n.get_ref());
            let Some(port) = self.declared_port(n.get_ref(), n.span(), ports, message, "declared ports:")
            else {
                continue;
            };
            if out.iter().any(|p| p.name == port.name) {
                self.error(
                    format!("client Service port `{}` is listed twice", n.get_ref()),
                    n.span(),
                    "already listed",
                );
                continue;
            }
            out.push(service_port(port));
        }
        out
    }

    /// `disruption_budget`: by default `max_unavailable = 1` when there are
    /// two replicas or more; a budget that can never allow an eviction is an error.
    pub(super) fn disruption_budget(
        &mut self,
        spec: Option<&Spanned<spec::BudgetSpec>>,
        replicas: i64,
        app: &Identity,
    ) -> Option<DisruptionBudget> {
        let (max_unavailable, min_available) = match spec.map(|s| s.get_ref()) {
            None if replicas < 2 => return None,
            None | Some(spec::BudgetSpec::Enabled(true)) => (Some(IntOrString::Int(1)), None),
            Some(spec::BudgetSpec::Enabled(false)) => return None,
            Some(spec::BudgetSpec::Table(t)) => self.budget_limits(t, replicas),
        };
        Some(DisruptionBudget {
            metadata: app.metadata(&app.name, StringMap::new(), StringMap::new()),
            selector: app.selector.clone(),
            max_unavailable,
            min_available,
        })
    }

    /// The one limit a budget table sets, checked against the replicas.
    fn budget_limits(
        &mut self,
        t: &spec::BudgetTable,
        replicas: i64,
    ) -> (Option<IntOrString>, Option<IntOrString>) {
        match (&t.max_unavailable, &t.min_available) {
            (Some(_), Some(min)) => {
                self.error_help(
                    "`max_unavailable` and `min_available` cannot both be set",
                    min.span(),
                    "second limit",
                    "a PodDisruptionBudget takes one of them",
                );
                (None, None)
            }
            (None, None) => (Some(IntOrString::Int(1)), None),
            (Some(max), None) => {
                let value = self.budget_value(max, "max_unavailable");
                let never = match &value {
                    Some(Limit::Count(n)) => *n == 0,
                    Some(Limit::Percent(p)) => *p == 0,
                    None => false,
                };
                if never {
                    self.error_help(
                        "this disruption budget never allows an eviction",
                        max.span(),
                        "no pod may ever be unavailable",
                        "a node drain would hang: allow at least 1, or write `disruption_budget = false`",
                    );
                }
                (Some(int_or_string(max)), None)
            }
            (None, Some(min)) => {
                let value = self.budget_value(min, "min_available");
                let kept = match &value {
                    Some(Limit::Count(n)) => *n,
                    // Kubernetes rounds a percentage of pods to keep up.
                    Some(Limit::Percent(p)) => (i64::from(*p) * replicas + 99) / 100,
                    None => 0,
                };
                if value.is_some() && replicas > 0 && kept >= replicas {
                    self.error_help(
                        "this disruption budget never allows an eviction",
                        min.span(),
                        format!("keeps {kept} of {replicas} pods up"),
                        "a node drain would hang: keep fewer pods than `replicas`, or write `disruption_budget = false`",
                    );
                }
                (None, Some(int_or_string(min)))
            }
        }
    }

    /// A budget limit: a number at least 0 or a percentage from 0% to 100%.
    fn budget_value(&mut self, v: &Spanned<spec::IntOrString>, field: &str) -> Option<Limit> {
        let limit = match v.get_ref() {
            spec::IntOrString::Int(n) if *n >= 0 => Some(Limit::Count(*n)),
            spec::IntOrString::Int(_) => None,
            spec::IntOrString::String(p) => p
                .strip_suffix('%')
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|n| n.parse::<u32>().ok())
                .filter(|n| *n <= 100)
                .map(Limit::Percent),
        };
        if limit.is_none() {
            self.error(
                format!("`{field}` must be a number of pods or a percentage from 0% to 100%"),
                v.span(),
                "invalid",
            );
        }
        limit
    }

    /// `[network_policy]`: ingress to the app's pods from each other on every
    /// declared port (peers must talk), and from the listed sources.
    pub(super) fn network_policy(
        &mut self,
        spec: Option<&Spanned<spec::NetworkPolicySpec>>,
        app: &Identity,
        selector: &StringMap,
        pod: &PodTemplate,
    ) -> Option<NetworkPolicy> {
        let spec = spec?.get_ref();
        let mut from = vec![NetworkPeer {
            pod_labels: Some(selector.clone()),
            namespace_labels: None,
        }];
        for peer in &spec.allow_from {
            let p = peer.get_ref();
            if p.pods.is_none() && p.namespace.is_none() {
                self.error_help(
                    "an `allow_from` entry admits nobody",
                    peer.span(),
                    "empty source",
                    "write `{ pods = { label = \"value\" } }`, `{ namespace = \"name\" }` or both",
                );
                continue;
            }
            let pod_labels = p.pods.as_ref().map(|m| self.selector_labels(m));
            // Kubernetes labels every Namespace with its own name.
            let namespace_labels = p.namespace.as_ref().map(|ns| {
                self.check(ns, "namespace", |s| {
                    validate::dns_label(s, validate::LABEL_MAX)
                });
                [(NAMESPACE_NAME_LABEL.to_owned(), ns.get_ref().clone())].into()
            });
            from.push(NetworkPeer {
                pod_labels,
                namespace_labels,
            });
        }
        let ports: BTreeSet<(i64, Protocol)> = (pod.containers.iter())
            .flat_map(|c| &c.ports)
            .map(|p| (p.container_port, p.protocol))
            .collect();
        Some(NetworkPolicy {
            metadata: app.metadata(&app.name, StringMap::new(), StringMap::new()),
            pod_selector: selector.clone(),
            from,
            ports: (ports.into_iter())
                .map(|(port, protocol)| PolicyPort { port, protocol })
                .collect(),
        })
    }

    /// Labels a selector matches: any valid label, reserved ones included.
    pub(super) fn selector_labels(&mut self, map: &Map<String>) -> StringMap {
        let mut out = StringMap::new();
        for (k, v) in map {
            let key_ok = self.check(k, "label key", validate::qualified_name);
            let value_ok = self.check(v, "label value", validate::label_value);
            if key_ok && value_ok {
                out.insert(k.get_ref().clone(), v.get_ref().clone());
            }
        }
        out
    }
}

/// A budget limit as a number of pods or a percentage.
enum Limit {
    Count(i64),
    Percent(u32),
}

fn int_or_string(v: &Spanned<spec::IntOrString>) -> IntOrString {
    match v.get_ref() {
        spec::IntOrString::Int(n) => IntOrString::Int(*n),
        spec::IntOrString::String(s) => IntOrString::String(s.clone()),
    }
}
