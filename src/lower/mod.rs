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
//! the entry point and the list of steps (the config hash is `data`'s); the steps share `context` (the
//! `Lowerer`: the diagnostics, the description's text, the sources, the
//! options, and the error helpers), never this file.

mod affinity;
mod claims;
mod companions;
mod context;
mod container;
mod data;
mod downward;
mod jobs;
mod manifests;
mod network;
mod object_volumes;
mod pod;
mod probe;
mod rbac;
mod roles;
mod workload;

use context::*;
use data::DataObject;
use pod::PodSpec;

pub use context::Options;
pub use jobs::{name_jobs, CRONJOB_LABEL, DEFAULT_TTL, JOB_LABEL};
/// For the tests, which read the pods' config hash.
#[cfg(feature = "unstable-internals")]
pub use context::CONFIG_HASH_ANNOTATION;

/// A lowered app and the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Lowered {
    /// The resolved app.
    pub model: Model,
    /// Things worth knowing that did not stop the compile.
    pub warnings: Vec<Diagnostic>,
}

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
    // Read after the rest: a user's object must not collide with a generated one.
    let extra = std::mem::take(&mut spec.extra_manifests);
    let roles = std::mem::take(&mut spec.roles);
    let mut model = if roles.is_empty() {
        cx.diags.extend(crate::check::api_rules::check(&spec));
        cx.app(spec, None)
    } else {
        cx.roles(spec, roles)
    };
    if let Some((m, shared)) = &mut model {
        m.extra_manifests = cx.extra_manifests(&extra, m, shared);
    }
    // Each role reads the description's shared part again: say each thing once.
    let mut seen = Vec::new();
    cx.diags.retain(|d| {
        let new = !seen.contains(d);
        if new {
            seen.push(d.clone());
        }
        new
    });
    let (errors, warnings): (Vec<_>, Vec<_>) = cx
        .diags
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    match model {
        Some((model, _)) if errors.is_empty() => Ok(Lowered { model, warnings }),
        _ => {
            let mut all = errors;
            all.extend(warnings);
            all.sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
            Err(all)
        }
    }
}

impl Lowerer<'_> {
    /// The list of steps: each returns a finished piece that later steps read,
    /// none reaches back into the description for what an earlier one decided.
    ///
    /// With `role`, the description is that role's (its table merged over the
    /// rest): the app's shared objects carry the description's own labels and
    /// annotations, the role's objects its own. Also gives the shared objects' metadata.
    fn app(&mut self, spec: Spec, role: Option<&roles::RoleCx>) -> Option<(Model, Metadata)> {
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
            pod_security_context,
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
            enable_service_links,
            create_namespace,
            client_service,
            disruption_budget,
            network_policy,
            pod_annotations,
            priority_class_name,
            host_aliases,
            dns,
            affinity,
            jobs,
            cronjobs,
            claims,
            // Checked and applied by `crate::check::policy`, before and after lowering.
            pod_security: _,
            kube_version: _,
            allow: _,
            roles: _, // read by `roles`: none here
        } = spec;
        let (base_labels, base_annotations) = match role {
            Some(r) => (&r.labels, &r.annotations),
            None => (&labels, &annotations),
        };
        let own_selector = (statefulset.as_ref()).is_some_and(|s| s.get_ref().selector.is_some());
        let app = self.identity(
            &name,
            namespace.as_ref(),
            (base_labels, own_selector),
            base_annotations,
        );
        let role_name = role.map(|r| &r.name);
        let workload = self.workload(&app, role_name, statefulset.as_ref(), &labels, &annotations);
        let replicas = self.replicas(replicas.as_ref());
        let identity = self.pod_identity(service_account, automount_service_account_token, &app);
        // Generated objects first, with how the pods use them: containers refer to them.
        let objects = self.generated(configmaps, secrets, hash_suffix.as_ref());
        let ports = self.ports(&ports);
        let sidecar_ports = sidecar_ports(&sidecars);
        let service = self.service(service.as_ref(), &workload, &ports, &sidecar_ports);
        let claims = self.standalone_claims(&claims, &app);
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
            pod_security_context,
            sidecars,
            init_containers,
            volumes: &volumes,
            claims: &claims,
            image_pull_secrets,
            identity: &identity,
            enable_service_links,
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
        let (pod, mounts) = self.pod(pod_spec, &workload, &objects);
        let app_pod = jobs::AppPod {
            app: &app,
            pod: &pod,
            mounts: &mounts,
            objects: &objects,
        };
        let jobs = self.jobs(jobs, &app_pod);
        let cron_jobs = self.cron_jobs(cronjobs, &app_pod);
        let mut network_policy = self.network_policy(network_policy.as_ref(), &app, &workload.selector, &pod);
        if let Some(p) = &mut network_policy {
            // A backup must reach the database: after the app's own pods, its Jobs'.
            let peers = jobs::job_peers(&jobs, &cron_jobs);
            p.from.splice(1..1, peers);
        }
        let stateful_set = self.stateful_set(&statefulset, replicas, &workload, &service, pod, &volumes);
        let (config_maps, secrets) = data::into_objects(objects, &app);
        let shared = app.metadata(&app.name, StringMap::new(), StringMap::new());
        let model = Model {
            namespace: self.namespace_object(create_namespace.as_ref(), namespace.as_ref(), &app),
            service_account: identity.object,
            roles: identity.rbac.roles,
            role_bindings: identity.rbac.bindings,
            config_maps,
            secrets,
            client_service: self.client_service(client_service.as_ref(), &workload, &ports, &sidecar_ports, &service),
            disruption_budget: self.disruption_budget(disruption_budget.as_ref(), replicas, &workload),
            network_policy,
            stateful_set,
            service,
            role: role_name.map(|r| r.get_ref().clone()),
            other_roles: Vec::new(),
            claims: claims.into_iter().map(|c| c.claim).collect(),
            jobs,
            cron_jobs,
            extra_manifests: Vec::new(),
        };
        (app.name_ok && workload.name_ok).then_some((model, shared))
    }

    /// The app's name, namespace, labels and annotations, checked.
    fn identity(
        &mut self,
        name: &Spanned<String>,
        namespace: Option<&Spanned<String>>,
        (labels, own_selector): (&Map<String>, bool),
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
        all_labels.extend(self.labels_with(labels, own_selector));
        Identity {
            name: app,
            name_span: name.span(),
            name_ok,
            namespace,
            selector,
            pod_labels: all_labels.clone(),
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
