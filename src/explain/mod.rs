//! What a StatefulSet promises, pod by pod: `kubetoml explain`.
//!
//! [`Resolved::explain`](crate::Resolved::explain) reads the resolved model
//! (never the YAML) and lists, for every pod ordinal the StatefulSet will
//! run, the pod's name, its stable DNS name, its claims, its mounts and where
//! each environment variable comes from, plus the headless Service and the
//! start and update behaviour.
//! [`Explanation`] serializes to the JSON that `--format json` prints and
//! draws itself as aligned text with [`Explanation::to_text`], and as a
//! picture with [`Explanation::to_dot`] and [`Explanation::to_mermaid`]
//! (see [`graph`]).
//!
//! A Secret's value never appears here: an environment variable read from a
//! Secret is shown by the Secret's name and key only.
//!
//! When the description names no namespace, the rendered objects carry none
//! and `kubectl apply` puts them in the namespace of the current context (or
//! `-n`). The explanation then says so, leaves `namespace` out of the JSON
//! (`null`) and writes [`NAMESPACE_PLACEHOLDER`] in DNS names rather than
//! guessing `default`.

use std::fmt::Write as _;

use serde::Serialize;

pub mod graph;

use crate::model::{
    self, AccessMode, Model, ObjectKind, PodManagementPolicy, Retention, UpdateStrategyType,
};

/// Version of the JSON shape; it changes only when a field is removed or
/// changes meaning (new fields may be added without a bump).
pub const FORMAT_VERSION: u32 = 1;

/// Stands for the namespace in DNS names when the description has none.
pub const NAMESPACE_PLACEHOLDER: &str = "<namespace>";

/// The cluster DNS domain assumed in DNS names (Kubernetes' default).
pub const CLUSTER_DOMAIN: &str = "cluster.local";

/// The most pods listed one by one; past it, the rest are counted
/// (a StatefulSet may run up to 2147483647 of them).
pub const MAX_LISTED_PODS: i64 = 100;

/// Everything `kubetoml explain` says about one description.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct Explanation {
    /// [`FORMAT_VERSION`].
    pub version: u32,
    /// The StatefulSet's name.
    pub stateful_set: String,
    /// The namespace the description names; `None`: the one `kubectl apply` uses.
    pub namespace: Option<String>,
    /// The headless Service that gives pods their DNS names.
    pub service: String,
    /// Number of pods.
    pub replicas: i64,
    /// The first pod's ordinal (`ordinals.start`, 0 by default).
    pub ordinals_start: i64,
    /// How pods are started and stopped.
    pub start: StartPolicy,
    /// How pods are replaced when the pod template changes.
    pub update: UpdatePolicy,
    /// What happens to claims when the StatefulSet is deleted or scaled down.
    pub claim_retention: ClaimRetention,
    /// The Service clients connect to, when there is one.
    pub client_service: Option<ClientServiceView>,
    /// What a node drain may do to the pods.
    pub disruption_budget: Option<BudgetView>,
    /// Who the pods run as.
    pub identity: PodIdentityView,
    /// Who may connect to the pods, when a NetworkPolicy says.
    pub network_policy: Option<PolicyView>,
    /// One entry per pod, by ordinal: the first [`MAX_LISTED_PODS`].
    pub pods: Vec<Pod>,
    /// Pods past the first [`MAX_LISTED_PODS`], not listed (left out of the JSON when 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub pods_not_listed: i64,
    /// The fields an environment, overlay or `--set` set, in the order
    /// they were merged (left out of the JSON when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<Origin>,
    /// With `[roles.NAME]`: the role this StatefulSet is (left out of the JSON without roles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// With `[roles.NAME]`: every other role's explanation, in the
    /// description's order (left out of the JSON without roles).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_roles: Vec<Explanation>,
    /// `[claims.X]`: claims shared by the pods that mount them (left out of the JSON when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shared_claims: Vec<SharedClaimView>,
    /// `[jobs.X]` (left out of the JSON when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub jobs: Vec<JobView>,
    /// `[cronjobs.X]` (left out of the JSON when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cron_jobs: Vec<JobView>,
}

/// A standalone claim (`[claims.X]`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct SharedClaimView {
    /// The claim's name, `APP-TABLE`.
    pub name: String,
    /// Requested size.
    pub size: String,
    /// Storage class; `None`: the cluster's default class.
    pub storage_class: Option<String>,
    /// Access modes.
    pub access_modes: Vec<AccessMode>,
}

/// A Job or a CronJob: when it runs, who its pods run as, what they mount.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct JobView {
    /// The object's name (a Job's carries the hash of its spec).
    pub name: String,
    /// The `[jobs.X]` or `[cronjobs.X]` table.
    pub table: String,
    /// A CronJob's `schedule`, as written.
    pub schedule: Option<String>,
    /// A CronJob's `timeZone`; `None`: the controller's.
    pub time_zone: Option<String>,
    /// A CronJob's `concurrencyPolicy`.
    pub concurrency_policy: Option<model::ConcurrencyPolicy>,
    /// When it runs and what it keeps, in plain words.
    pub summary: String,
    /// `restartPolicy`: what a failed container does.
    pub restart_policy: Option<model::RestartPolicy>,
    /// Who its pods run as.
    pub identity: PodIdentityView,
    /// Secrets used to pull its images, by name.
    pub image_pull_secrets: Vec<String>,
    /// Its container.
    pub containers: Vec<ContainerView>,
}

/// Where one field's value came from, when a layer set it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct Origin {
    /// The field, as a dotted path (`volumes.www.size`).
    pub field: String,
    /// The layer: `environment `prod``, `overlay` or `--set`.
    pub layer: String,
    /// `file:line` of the value, or the `--set` argument.
    pub at: String,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// The client Service.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ClientServiceView {
    /// Its name.
    pub name: String,
    /// `ClusterIP`, `NodePort` or `LoadBalancer`.
    #[serde(rename = "type")]
    pub type_: String,
    /// The name clients resolve, `NAME.NAMESPACE.svc.cluster.local`.
    pub dns: String,
    /// Its ports, `name number/protocol`.
    pub ports: Vec<String>,
}

/// The PodDisruptionBudget.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BudgetView {
    /// Its name.
    pub name: String,
    /// `maxUnavailable`, as written.
    pub max_unavailable: Option<String>,
    /// `minAvailable`, as written.
    pub min_available: Option<String>,
    /// One sentence for people.
    pub summary: String,
}

/// The pods' service account and API token.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PodIdentityView {
    /// The service account; `None`: the namespace's `default`.
    pub service_account: Option<String>,
    /// Whether kubetoml creates the account.
    pub created: bool,
    /// `automountServiceAccountToken` as written; `None`: Kubernetes' default (mounted).
    pub token_mounted: Option<bool>,
    /// What the account may do through the API, from `service_account.rules`
    /// (left out when it has no rules).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<PermissionView>,
}

/// One rule granted to the pods' service account.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct PermissionView {
    /// `true`: in every namespace (a ClusterRole); `false`: in the app's.
    pub cluster: bool,
    /// The role granting it, `Role/NAME` or `ClusterRole/NAME`.
    pub role: String,
    /// API groups (`""`: the core group).
    pub api_groups: Vec<String>,
    /// Resources.
    pub resources: Vec<String>,
    /// Only these objects; empty: every one.
    pub resource_names: Vec<String>,
    /// Verbs.
    pub verbs: Vec<String>,
    /// One sentence for people.
    pub summary: String,
}

/// The NetworkPolicy.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PolicyView {
    /// Its name.
    pub name: String,
    /// The sources it admits, for people: the app's own pods first.
    pub from: Vec<String>,
    /// The ports it admits them on, `number/protocol`; empty: nothing is admitted.
    pub ports: Vec<String>,
}

/// `podManagementPolicy`, with what it means.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct StartPolicy {
    /// `OrderedReady` or `Parallel`.
    pub policy: PodManagementPolicy,
    /// One sentence for people.
    pub summary: String,
}

/// `updateStrategy`, with what it means.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpdatePolicy {
    /// `RollingUpdate` or `OnDelete`.
    pub strategy: UpdateStrategyType,
    /// `rollingUpdate.partition`: pods with a lower ordinal keep the old template.
    pub partition: Option<i64>,
    /// `rollingUpdate.maxUnavailable`, as written (a number or a percentage).
    pub max_unavailable: Option<String>,
    /// One sentence for people.
    pub summary: String,
}

/// `persistentVolumeClaimRetentionPolicy` (Kubernetes' default: `Retain` both).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClaimRetention {
    /// `Retain` or `Delete`: when the StatefulSet is deleted.
    pub when_deleted: Retention,
    /// `Retain` or `Delete`: when a pod is removed by scaling down.
    pub when_scaled: Retention,
}

/// One pod the StatefulSet runs.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pod {
    /// Its ordinal.
    pub ordinal: i64,
    /// Its name, `STATEFULSET-ORDINAL`.
    pub name: String,
    /// Its stable DNS name, `POD.SERVICE.NAMESPACE.svc.cluster.local`.
    pub dns: String,
    /// Whether a rolling update's partition keeps this pod on the old template.
    pub held_by_partition: bool,
    /// Its claims, one per volumeClaimTemplate.
    pub claims: Vec<PodClaim>,
    /// Secrets used to pull its images, by name.
    pub image_pull_secrets: Vec<String>,
    /// Init containers, in order.
    pub init_containers: Vec<ContainerView>,
    /// The main container first, then the sidecars.
    pub containers: Vec<ContainerView>,
}

/// A PersistentVolumeClaim the StatefulSet creates for one pod.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct PodClaim {
    /// The claim's name, `TEMPLATE-POD`.
    pub name: String,
    /// The volumeClaimTemplate it comes from.
    pub template: String,
    /// Requested size.
    pub size: String,
    /// Storage class; `None`: the cluster's default class.
    pub storage_class: Option<String>,
    /// Access modes.
    pub access_modes: Vec<AccessMode>,
}

/// One container of a pod, as far as its data goes.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContainerView {
    /// Container name.
    pub name: String,
    /// Image.
    pub image: String,
    /// Mounts, in the order the container lists them.
    pub mounts: Vec<Mount>,
    /// Environment variables, by name.
    pub env: Vec<Env>,
    /// `envFrom` sources: every key of these objects becomes a variable.
    pub env_from: Vec<ObjectRef>,
    /// A native sidecar (an init container with `restartPolicy: Always`):
    /// it starts before the init containers after it and the main
    /// container, runs beside them, and stops after them. Left out when false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub native_sidecar: bool,
}

/// A mounted volume.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct Mount {
    /// Absolute path in the container.
    pub path: String,
    /// `subPath`, when only part of the volume is mounted.
    pub sub_path: Option<String>,
    /// What is mounted there.
    pub source: MountSource,
    /// Whether the mount is read-only.
    pub read_only: bool,
}

/// What a mount shows.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum MountSource {
    /// The pod's own claim.
    Claim {
        /// The claim's name (`TEMPLATE-POD`).
        name: String,
    },
    /// A ConfigMap's keys, as files.
    ConfigMap {
        /// The ConfigMap's name.
        name: String,
    },
    /// A Secret's keys, as files.
    Secret {
        /// The Secret's name.
        name: String,
    },
    /// Scratch space that lives as long as the pod (`emptyDir`).
    EmptyDir {
        /// The volume's name.
        name: String,
    },
    /// An existing claim every pod shares.
    SharedClaim {
        /// The claim's name.
        name: String,
    },
    /// The keys of several ConfigMaps and Secrets in one folder (`projected`).
    Projected {
        /// Its sources, `secret NAME` or `configmap NAME`, joined by `, `.
        sources: String,
    },
    /// A volume the description does not define (a hand-edited template's).
    Volume {
        /// The volume's name.
        name: String,
    },
}

/// An environment variable and where its value comes from.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct Env {
    /// Variable name.
    pub name: String,
    /// Where the value comes from.
    #[serde(flatten)]
    pub source: EnvSource,
}

/// Where an environment variable's value comes from. A Secret's value is
/// deliberately not part of this type.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "from", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EnvSource {
    /// A literal written in the description.
    Value {
        /// The value.
        value: String,
    },
    /// A ConfigMap's key.
    ConfigMap {
        /// The ConfigMap's name (`config_map` in JSON, beside the variable's `name`).
        #[serde(rename = "config_map")]
        name: String,
        /// The key.
        key: String,
    },
    /// A Secret's key (the value is never shown).
    Secret {
        /// The Secret's name (`secret` in JSON, beside the variable's `name`).
        #[serde(rename = "secret")]
        name: String,
        /// The key.
        key: String,
    },
    /// A field of the pod, from the downward API.
    Field {
        /// The field's path, e.g. `metadata.name`.
        path: String,
    },
    /// A container's request or limit, from the downward API.
    Resource {
        /// The container; none: this one.
        container: Option<String>,
        /// The resource, e.g. `limits.memory`.
        resource: String,
        /// The unit, when written.
        divisor: Option<String>,
    },
}

/// A ConfigMap or Secret, by name.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectRef {
    /// `config_map` or `secret`.
    pub kind: RefKind,
    /// The object's name.
    pub name: String,
}

/// The kind of an [`ObjectRef`].
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RefKind {
    /// A ConfigMap.
    ConfigMap,
    /// A Secret.
    Secret,
}

impl From<ObjectKind> for RefKind {
    fn from(k: ObjectKind) -> Self {
        match k {
            ObjectKind::ConfigMap => RefKind::ConfigMap,
            ObjectKind::Secret => RefKind::Secret,
        }
    }
}

impl RefKind {
    fn word(self) -> &'static str {
        match self {
            RefKind::ConfigMap => "configmap",
            RefKind::Secret => "secret",
        }
    }
}

/// Describes what the StatefulSet of `model` promises, pod by pod; with
/// roles, each role's StatefulSet.
pub(crate) fn explain(model: &Model) -> Explanation {
    let mut first = explain_one(model);
    first.role = model.role.clone();
    first.other_roles = (model.other_roles.iter())
        .map(|r| {
            let mut view = model.clone();
            view.other_roles = Vec::new();
            // The app's own Jobs and claims are told once, with the first role.
            view.jobs = Vec::new();
            view.cron_jobs = Vec::new();
            view.claims = Vec::new();
            view.service = r.service.clone();
            view.client_service = r.client_service.clone();
            view.disruption_budget = r.disruption_budget.clone();
            view.stateful_set = r.stateful_set.clone();
            let mut e = explain_one(&view);
            e.role = Some(r.role.clone());
            e
        })
        .collect();
    first
}

fn explain_one(model: &Model) -> Explanation {
    let sts = &model.stateful_set;
    let name = &sts.metadata.name;
    let namespace = sts.metadata.namespace.clone();
    let start = sts.ordinals_start.unwrap_or(0);
    let replicas = sts.replicas.max(0);
    let ordinals = start..start + replicas;
    let pod_name = |ordinal: i64| format!("{name}-{ordinal}");
    let update = update_policy(&sts.update_strategy, &ordinals, &pod_name);
    let partition = match sts.update_strategy.type_ {
        UpdateStrategyType::RollingUpdate => sts.update_strategy.partition,
        UpdateStrategyType::OnDelete => None,
    };
    let retention = sts.pvc_retention_policy.as_ref().map_or_else(
        || ClaimRetention {
            when_deleted: Retention::Retain,
            when_scaled: Retention::Retain,
        },
        |r| ClaimRetention {
            when_deleted: r.when_deleted,
            when_scaled: r.when_scaled,
        },
    );
    let listed = start..start + replicas.min(MAX_LISTED_PODS);
    let pods_not_listed = replicas - (listed.end - listed.start);
    let pods = listed
        .map(|ordinal| {
            let pod = pod_name(ordinal);
            let claims = sts
                .claims
                .iter()
                .map(|c| PodClaim {
                    name: format!("{}-{pod}", c.name),
                    template: c.name.clone(),
                    size: c.size.to_string(),
                    storage_class: c.storage_class.clone(),
                    access_modes: c.access_modes.clone(),
                })
                .collect();
            let view = |c: &model::Container| container_view(c, &sts.claims, &sts.pod, &pod);
            Pod {
                ordinal,
                dns: format!(
                    "{pod}.{}.{}.svc.{CLUSTER_DOMAIN}",
                    sts.service_name,
                    namespace.as_deref().unwrap_or(NAMESPACE_PLACEHOLDER)
                ),
                held_by_partition: partition.is_some_and(|p| ordinal < p),
                claims,
                image_pull_secrets: sts.pod.image_pull_secrets.clone(),
                init_containers: sts.pod.init_containers.iter().map(view).collect(),
                containers: sts.pod.containers.iter().map(view).collect(),
                name: pod,
            }
        })
        .collect();
    Explanation {
        version: FORMAT_VERSION,
        stateful_set: name.clone(),
        namespace,
        service: sts.service_name.clone(),
        replicas,
        ordinals_start: start,
        start: start_policy(sts.pod_management_policy, &ordinals, &pod_name),
        update,
        claim_retention: retention,
        client_service: model
            .client_service
            .as_ref()
            .map(|c| client_view(c, &sts.metadata)),
        disruption_budget: model.disruption_budget.as_ref().map(budget_view),
        identity: PodIdentityView {
            service_account: sts.pod.service_account.clone(),
            created: model.service_account.is_some(),
            token_mounted: sts.pod.automount_service_account_token,
            permissions: permissions(model),
        },
        network_policy: model.network_policy.as_ref().map(policy_view),
        pods,
        pods_not_listed,
        origins: Vec::new(),
        role: None,
        other_roles: Vec::new(),
        shared_claims: (model.claims.iter())
            .map(|c| SharedClaimView {
                name: c.metadata.name.clone(),
                size: c.size.to_string(),
                storage_class: c.storage_class.clone(),
                access_modes: c.access_modes.clone(),
            })
            .collect(),
        jobs: model.jobs.iter().map(|j| job_view(model, j)).collect(),
        cron_jobs: model
            .cron_jobs
            .iter()
            .map(|c| cron_job_view(model, c))
            .collect(),
    }
}

fn job_view(model: &Model, j: &model::Job) -> JobView {
    let summary = format!(
        "runs once; a change to it makes a new Job, an unchanged one is not run again; {}",
        settings_text(&j.settings)
    );
    batch_view(model, &j.metadata, &j.key, &j.pod, summary, None)
}

fn cron_job_view(model: &Model, c: &model::CronJob) -> JobView {
    let when = crate::check::cron::describe(&c.schedule)
        .unwrap_or_else(|| format!("on the schedule `{}`", c.schedule));
    let zone = match &c.time_zone {
        Some(tz) => format!(" {tz}"),
        None => " (the controller's time zone, usually UTC)".to_owned(),
    };
    let overlap = match c.concurrency_policy {
        model::ConcurrencyPolicy::Forbid => "never two at once",
        model::ConcurrencyPolicy::Allow => "runs may overlap",
        model::ConcurrencyPolicy::Replace => "a new run replaces one still running",
    };
    let runs = |n: Option<i64>, default: i64, what: &str| {
        let n = n.unwrap_or(default);
        format!("{n} {what} run{}", if n == 1 { "" } else { "s" })
    };
    let mut summary = format!(
        "{when}{zone}, {overlap}, keeps {} and {}",
        runs(c.successful_jobs_history, 3, "successful"),
        runs(c.failed_jobs_history, 1, "failed")
    );
    if let Some(d) = c.starting_deadline {
        summary.push_str(&format!("; a missed run may start up to {d} seconds late"));
    }
    if c.suspend == Some(true) {
        summary.push_str("; suspended: no run starts");
    }
    summary.push_str("; each run ");
    summary.push_str(&settings_text(&c.settings));
    let mut view = batch_view(
        model,
        &c.metadata,
        &c.key,
        &c.pod,
        summary,
        Some(c.schedule.clone()),
    );
    view.time_zone = c.time_zone.clone();
    view.concurrency_policy = Some(c.concurrency_policy);
    view
}

/// What a Job does with its pods, in words.
fn settings_text(s: &model::JobSettings) -> String {
    let mut parts = vec![format!(
        "tries {} time{} before it fails",
        s.backoff_limit.map_or(7, |b| b + 1),
        if s.backoff_limit == Some(0) { "" } else { "s" }
    )];
    if let Some(d) = s.active_deadline {
        parts.push(format!("is stopped after {d} seconds"));
    }
    if let Some(p) = s.parallelism {
        parts.push(format!(
            "runs {p} pod{} at once",
            if p == 1 { "" } else { "s" }
        ));
    }
    if let Some(c) = s.completions {
        parts.push(format!(
            "needs {c} successful pod{}",
            if c == 1 { "" } else { "s" }
        ));
    }
    parts.push(match s.ttl_after_finished {
        0 => "is deleted as soon as it finishes".to_owned(),
        86400 => "is deleted a day after it finishes".to_owned(),
        t => format!("is deleted {t} seconds after it finishes"),
    });
    parts.join(", ")
}

fn batch_view(
    model: &Model,
    metadata: &model::Metadata,
    table: &str,
    pod: &model::PodTemplate,
    summary: String,
    schedule: Option<String>,
) -> JobView {
    let view = |c: &model::Container| container_view(c, &[], pod, "");
    JobView {
        name: metadata.name.clone(),
        table: table.to_owned(),
        schedule,
        time_zone: None,
        concurrency_policy: None,
        summary,
        restart_policy: pod.restart_policy,
        identity: PodIdentityView {
            service_account: pod.service_account.clone(),
            created: model
                .service_account
                .as_ref()
                .is_some_and(|sa| Some(&sa.metadata.name) == pod.service_account.as_ref()),
            token_mounted: pod.automount_service_account_token,
            // The rules are the app's account's: a Job running as another has none of them.
            permissions: if pod.service_account == model.stateful_set.pod.service_account {
                permissions(model)
            } else {
                Vec::new()
            },
        },
        image_pull_secrets: pod.image_pull_secrets.clone(),
        containers: pod.containers.iter().map(view).collect(),
    }
}

/// Every rule of the account's Role and ClusterRole, each in a sentence.
fn permissions(model: &Model) -> Vec<PermissionView> {
    let mut out = Vec::new();
    for role in &model.roles {
        let cluster = role.kind == model::Kind::ClusterRole;
        let scope = match (&role.metadata.namespace, cluster) {
            (_, true) => "cluster-wide".to_owned(),
            (Some(ns), false) => format!("in namespace {ns}"),
            (None, false) => "in the namespace it is applied to".to_owned(),
        };
        for r in &role.rules {
            let groups: Vec<&str> = (r.api_groups.iter())
                .map(|g| if g.is_empty() { "core" } else { g.as_str() })
                .collect();
            let named = if r.resource_names.is_empty() {
                String::new()
            } else {
                format!(" named {}", r.resource_names.join(", "))
            };
            out.push(PermissionView {
                cluster,
                role: format!("{}/{}", role.kind, role.metadata.name),
                api_groups: r.api_groups.clone(),
                resources: r.resources.clone(),
                resource_names: r.resource_names.clone(),
                verbs: r.verbs.clone(),
                summary: format!(
                    "{} {}{named} ({} API) {scope}",
                    r.verbs.join(", "),
                    r.resources.join(", "),
                    groups.join(", "),
                ),
            });
        }
    }
    out
}

fn client_view(c: &model::ClientService, sts: &model::Metadata) -> ClientServiceView {
    let ns = sts.namespace.as_deref().unwrap_or(NAMESPACE_PLACEHOLDER);
    ClientServiceView {
        name: c.metadata.name.clone(),
        type_: c.type_.as_str().to_owned(),
        dns: format!("{}.{ns}.svc.{CLUSTER_DOMAIN}", c.metadata.name),
        ports: (c.ports.iter())
            .map(|p| format!("{} {}/{}", p.name, p.port, p.protocol))
            .collect(),
    }
}

fn budget_view(b: &model::DisruptionBudget) -> BudgetView {
    let text = |v: &model::IntOrString| match v {
        model::IntOrString::Int(n) => n.to_string(),
        model::IntOrString::String(s) => s.clone(),
    };
    let (max, min) = (b.max_unavailable.as_ref(), b.min_available.as_ref());
    let summary = match (max, min) {
        (Some(model::IntOrString::Int(1)), _) => {
            "a node drain evicts one pod at a time, each after its replacement is Ready".to_owned()
        }
        (Some(m), _) => format!("a node drain may take down {} pods at once", text(m)),
        (None, Some(m)) => format!("a node drain keeps at least {} pods up", text(m)),
        (None, None) => "no limit".to_owned(),
    };
    BudgetView {
        name: b.metadata.name.clone(),
        max_unavailable: max.map(text),
        min_available: min.map(text),
        summary,
    }
}

fn policy_view(p: &model::NetworkPolicy) -> PolicyView {
    let labels = |m: &model::StringMap| {
        let pairs: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
        pairs.join(",")
    };
    let from = p.from.iter().enumerate().map(|(i, peer)| {
        let namespace = (peer.namespace_labels.as_ref())
            .and_then(|m| m.values().next())
            .map(|ns| format!("namespace {ns}"));
        let pods = peer.pod_labels.as_ref().map(|m| match m.is_empty() {
            true => "every pod".to_owned(),
            false if i == 0 => "the app's own pods".to_owned(),
            false if peer.namespace_labels.is_none() && m.len() == 2 => {
                match (
                    m.get(crate::lower::JOB_LABEL),
                    m.get(crate::lower::CRONJOB_LABEL),
                ) {
                    (Some(job), None) => format!("the pods of job {job}"),
                    (None, Some(cron)) => format!("the pods of cronjob {cron}"),
                    _ => format!("pods {}", labels(m)),
                }
            }
            false => format!("pods {}", labels(m)),
        });
        match (pods, namespace) {
            (Some(pods), Some(ns)) => format!("{pods} in {ns}"),
            (Some(pods), None) => pods,
            (None, Some(ns)) => format!("every pod in {ns}"),
            (None, None) => String::new(),
        }
    });
    PolicyView {
        name: p.metadata.name.clone(),
        from: from.collect(),
        ports: (p.ports.iter())
            .map(|x| format!("{}/{}", x.port, x.protocol))
            .collect(),
    }
}

fn start_policy(
    policy: PodManagementPolicy,
    ordinals: &std::ops::Range<i64>,
    pod_name: &dyn Fn(i64) -> String,
) -> StartPolicy {
    let summary = if policy == PodManagementPolicy::Parallel {
        "all pods start and stop at once, without waiting for each other".to_owned()
    } else if ordinals.is_empty() {
        "one pod at a time in ordinal order, each after the one before is Running and Ready; scaling down removes the highest ordinal first".to_owned()
    } else {
        format!(
            "one pod at a time, {} first, each after the one before is Running and Ready; scaling down removes the highest ordinal first",
            pod_name(ordinals.start)
        )
    };
    StartPolicy { policy, summary }
}

fn update_policy(
    strategy: &model::UpdateStrategy,
    ordinals: &std::ops::Range<i64>,
    pod_name: &dyn Fn(i64) -> String,
) -> UpdatePolicy {
    let max_unavailable = strategy.max_unavailable.as_ref().map(|m| match m {
        model::IntOrString::Int(n) => n.to_string(),
        model::IntOrString::String(s) => s.clone(),
    });
    let summary = if strategy.type_ == UpdateStrategyType::OnDelete {
        "pods keep their template until you delete them; each deleted pod comes back with the current template".to_owned()
    } else {
        let pace = match &max_unavailable {
            None => "one pod at a time, each after the one before is Ready".to_owned(),
            Some(m) => {
                let many = if m.ends_with('%') {
                    format!("{m} of the pods")
                } else {
                    format!("{m} pods")
                };
                format!(
                    "up to {many} at a time (maxUnavailable, where the cluster supports it; otherwise one), more as replaced pods become Ready"
                )
            }
        };
        let last = ordinals.end - 1;
        let first = match strategy.partition {
            Some(p) if p > ordinals.start => p,
            _ => ordinals.start,
        };
        if ordinals.is_empty() {
            format!("on a template change, pods are replaced from the highest ordinal down, {pace}")
        } else if first > last {
            format!(
                "partition {} holds every pod: none is replaced on a template change until the partition is lowered",
                strategy.partition.unwrap_or_default()
            )
        } else {
            let held = if first > ordinals.start {
                format!(
                    "; partition {first} keeps {} on the old template until it is lowered",
                    range_text(ordinals.start, first - 1, pod_name)
                )
            } else {
                String::new()
            };
            if first == last {
                format!("on a template change, {} is replaced{held}", pod_name(last))
            } else {
                format!(
                    "on a template change, pods are replaced from {} down to {}, {pace}{held}",
                    pod_name(last),
                    pod_name(first),
                )
            }
        }
    };
    UpdatePolicy {
        strategy: strategy.type_,
        partition: strategy.partition,
        max_unavailable,
        summary,
    }
}

fn range_text(from: i64, to: i64, pod_name: &dyn Fn(i64) -> String) -> String {
    if from == to {
        pod_name(from)
    } else if to == from + 1 {
        format!("{} and {}", pod_name(from), pod_name(to))
    } else {
        format!("{} to {}", pod_name(from), pod_name(to))
    }
}

fn container_view(
    c: &model::Container,
    claims: &[model::Claim],
    template: &model::PodTemplate,
    pod: &str,
) -> ContainerView {
    let mounts = c
        .volume_mounts
        .iter()
        .map(|m| {
            let source = mount_source(m, claims, template, pod);
            Mount {
                path: m.mount_path.clone(),
                sub_path: m.sub_path.clone(),
                source,
                read_only: m.read_only,
            }
        })
        .collect();
    let env = c
        .env
        .iter()
        .map(|e| Env {
            name: e.name.clone(),
            source: match &e.source {
                model::EnvSource::Value { value } => EnvSource::Value {
                    value: value.clone(),
                },
                model::EnvSource::ConfigMap { object, key } => EnvSource::ConfigMap {
                    name: object.clone(),
                    key: key.clone(),
                },
                model::EnvSource::Secret { object, key } => EnvSource::Secret {
                    name: object.clone(),
                    key: key.clone(),
                },
                model::EnvSource::Field { path } => EnvSource::Field { path: path.clone() },
                model::EnvSource::Resource {
                    container,
                    resource,
                    divisor,
                } => EnvSource::Resource {
                    container: container.clone(),
                    resource: resource.clone(),
                    divisor: divisor.as_ref().map(|d| d.as_str().to_owned()),
                },
            },
        })
        .collect();
    ContainerView {
        native_sidecar: c.restart_always,
        name: c.name.clone(),
        image: c.image.clone(),
        mounts,
        env,
        env_from: c
            .env_from
            .iter()
            .map(|e| ObjectRef {
                kind: e.kind.into(),
                name: e.name.clone(),
            })
            .collect(),
    }
}

/// What mount `m` of a container of `template` (pod `pod`) shows: its claim
/// (the pod's own copy), ConfigMap, Secret, emptyDir, shared claim or
/// projected sources.
fn mount_source(
    m: &model::VolumeMount,
    claims: &[model::Claim],
    template: &model::PodTemplate,
    pod: &str,
) -> MountSource {
    let volumes = &template.volumes;
    if let Some(claim) = claims.iter().find(|cl| cl.name == m.name) {
        MountSource::Claim {
            name: format!("{}-{pod}", claim.name),
        }
    } else if let Some(v) = volumes.iter().find(|v| v.name == m.name) {
        match v.kind {
            ObjectKind::ConfigMap => MountSource::ConfigMap {
                name: v.object.clone(),
            },
            ObjectKind::Secret => MountSource::Secret {
                name: v.object.clone(),
            },
        }
    } else if let Some(v) = template.other_volumes.iter().find(|v| v.name == m.name) {
        match &v.source {
            model::VolumeSource::EmptyDir { .. } => MountSource::EmptyDir {
                name: v.name.clone(),
            },
            model::VolumeSource::Claim { claim_name, .. } => MountSource::SharedClaim {
                name: claim_name.clone(),
            },
            model::VolumeSource::Projected { sources, .. } => MountSource::Projected {
                sources: (sources.iter())
                    .map(|s| match s.kind {
                        ObjectKind::ConfigMap => format!("configmap {}", s.object),
                        ObjectKind::Secret => format!("secret {}", s.object),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            },
        }
    } else {
        MountSource::Volume {
            name: m.name.clone(),
        }
    }
}

impl Explanation {
    /// The explanation as pretty-printed JSON (the `--format json` shape),
    /// ending in a newline.
    pub fn to_json(&self) -> String {
        let mut s =
            serde_json::to_string_pretty(self).expect("plain structs with string keys serialize");
        s.push('\n');
        s
    }

    /// The explanation as aligned text for people; the same input always
    /// gives the same text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mut head = Table::default();
        if let Some(role) = &self.role {
            head.row(["role", role]);
        }
        head.row(["statefulset", &self.stateful_set]);
        match &self.namespace {
            Some(ns) => head.row(["namespace", ns]),
            None => head.row([
                "namespace",
                &format!(
                    "not set: the one `kubectl apply` uses (the context's, or -n), shown as {NAMESPACE_PLACEHOLDER}"
                ),
            ]),
        }
        head.row(["service", &format!("{} (headless)", self.service)]);
        let pod_name = |ordinal: i64| format!("{}-{ordinal}", self.stateful_set);
        let (first, last) = (self.ordinals_start, self.ordinals_start + self.replicas - 1);
        let pods = match self.replicas {
            0 => "no pods".to_owned(),
            1 => format!("1 pod: {}", pod_name(first)),
            n => format!("{n} pods: {} to {}", pod_name(first), pod_name(last)),
        };
        head.row(["replicas", &pods]);
        head.row([
            "start",
            &format!("{}: {}", self.start.policy, self.start.summary),
        ]);
        head.row([
            "update",
            &format!("{}: {}", self.update.strategy, self.update.summary),
        ]);
        head.row([
            "claims",
            &format!(
                "{} when the StatefulSet is deleted, {} when scaled down",
                retention_word(self.claim_retention.when_deleted),
                retention_word(self.claim_retention.when_scaled)
            ),
        ]);
        self.companion_rows(&mut head);
        for c in &self.shared_claims {
            head.row([
                "shared claim",
                &format!(
                    "{} {}, {}, {}",
                    c.name,
                    c.size,
                    c.storage_class.as_deref().map_or_else(
                        || "default storage class".to_owned(),
                        |s| format!("storage class {s}")
                    ),
                    (c.access_modes.iter().map(|m| m.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ]);
        }
        head.write(&mut out, "");
        for pod in &self.pods {
            out.push('\n');
            pod_text(&mut out, pod);
        }
        self.write_not_listed(&mut out);
        for other in &self.other_roles {
            out.push('\n');
            out.push_str(&other.to_text());
        }
        for (kind, jobs) in [("job", &self.jobs), ("cronjob", &self.cron_jobs)] {
            for j in jobs {
                out.push('\n');
                job_text(&mut out, kind, j);
            }
        }
        self.write_origins(&mut out);
        out
    }

    /// The fields layers set, one a line, with the layer and the place.
    fn write_origins(&self, out: &mut String) {
        if self.origins.is_empty() {
            return;
        }
        out.push_str(
            "
values set over the description
",
        );
        let mut t = Table::default();
        for o in &self.origins {
            t.row([o.field.as_str(), &o.layer, &o.at]);
        }
        t.write(out, "  ");
    }

    /// The line that counts the pods past the first [`MAX_LISTED_PODS`].
    fn write_not_listed(&self, out: &mut String) {
        if self.pods_not_listed > 0 {
            let first = self.ordinals_start + MAX_LISTED_PODS;
            let last = first + self.pods_not_listed - 1;
            let _ = writeln!(
                out,
                "\n{} more pods, {}-{first} to {}-{last}, are set up the same way, each with its own name, DNS name and claims (only the first {MAX_LISTED_PODS} are listed)",
                self.pods_not_listed, self.stateful_set, self.stateful_set
            );
        }
    }
}

impl Explanation {
    /// The rows for the objects beside the StatefulSet.
    fn companion_rows(&self, head: &mut Table) {
        if let Some(c) = &self.client_service {
            let ports = c.ports.join(", ");
            head.row(["clients", &format!("{} ({}): {ports}", c.dns, c.type_)]);
        }
        let budget = match &self.disruption_budget {
            Some(b) => b.summary.clone(),
            None => "none: a node drain may evict every pod at once".to_owned(),
        };
        head.row(["drain", &budget]);
        let id = &self.identity;
        head.row(["runs as", &identity_text(id)]);
        for p in &id.permissions {
            head.row(["may", &p.summary]);
        }
        if let Some(p) = &self.network_policy {
            let admits = match p.ports.as_slice() {
                [] => "nothing: no port is declared".to_owned(),
                ports => format!("{} on {}", p.from.join("; "), ports.join(", ")),
            };
            head.row(["ingress", &format!("only from {admits}")]);
        }
    }
}

/// A pod's service account and token, in words.
fn identity_text(id: &PodIdentityView) -> String {
    let account = match (&id.service_account, id.created) {
        (Some(a), true) => format!("service account {a} (created here)"),
        (Some(a), false) => format!("service account {a}"),
        (None, _) => "the namespace's default service account".to_owned(),
    };
    let token = match id.token_mounted {
        Some(false) => ", no API token mounted",
        _ => ", with an API token mounted",
    };
    format!("{account}{token}")
}

/// One Job or CronJob: when it runs, who it runs as, then its container.
fn job_text(out: &mut String, kind: &str, j: &JobView) {
    let _ = writeln!(out, "{kind} {} ([{kind}s.{}])", j.name, j.table);
    let mut t = Table::default();
    t.row(["when", &j.summary]);
    t.row(["runs as", &identity_text(&j.identity)]);
    for p in &j.identity.permissions {
        t.row(["may", &p.summary]);
    }
    if let Some(r) = j.restart_policy {
        let what = match r {
            model::RestartPolicy::OnFailure => "OnFailure: a failed container restarts in its pod",
            model::RestartPolicy::Never => "Never: a failed pod is replaced by a new one",
        };
        t.row(["restart", what]);
    }
    for secret in &j.image_pull_secrets {
        t.row(["pull", &format!("secret {secret}")]);
    }
    t.write(out, "  ");
    for c in &j.containers {
        container_text(out, false, c);
    }
}

/// One pod: its DNS name, claims and pull Secrets, then each container.
fn pod_text(out: &mut String, pod: &Pod) {
    let _ = writeln!(
        out,
        "pod {}{}",
        pod.name,
        if pod.held_by_partition {
            " (held by the partition)"
        } else {
            ""
        }
    );
    let mut t = Table::default();
    t.row(["dns", &pod.dns, "", ""]);
    for c in &pod.claims {
        t.row([
            "claim",
            &c.name,
            &c.size,
            &format!(
                "{}, {}",
                c.storage_class.as_deref().map_or_else(
                    || "default storage class".to_owned(),
                    |s| format!("storage class {s}")
                ),
                (c.access_modes.iter().map(|m| m.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ]);
    }
    for secret in &pod.image_pull_secrets {
        t.row(["pull", &format!("secret {secret}"), "", ""]);
    }
    t.write(out, "  ");
    for (init, c) in (pod.init_containers.iter().map(|c| (true, c)))
        .chain(pod.containers.iter().map(|c| (false, c)))
    {
        container_text(out, init, c);
    }
}

/// One container: its mounts, env variables and `envFrom` sources.
fn container_text(out: &mut String, init: bool, c: &ContainerView) {
    let _ = writeln!(
        out,
        "  {} {} ({}){}",
        if c.native_sidecar {
            "native sidecar"
        } else if init {
            "init container"
        } else {
            "container"
        },
        c.name,
        c.image,
        if c.native_sidecar {
            ": starts before the other containers, runs beside them, stops after them"
        } else {
            ""
        }
    );
    let mut t = Table::default();
    for m in &c.mounts {
        let path = match &m.sub_path {
            Some(sub) => format!("{} (subPath {sub})", m.path),
            None => m.path.clone(),
        };
        let (kind, name) = match &m.source {
            MountSource::Claim { name } => ("claim", name),
            MountSource::ConfigMap { name } => ("configmap", name),
            MountSource::Secret { name } => ("secret", name),
            MountSource::EmptyDir { name } => ("emptyDir", name),
            MountSource::SharedClaim { name } => ("shared claim", name),
            MountSource::Projected { sources } => ("projected:", sources),
            MountSource::Volume { name } => ("volume", name),
        };
        t.row([
            "mount",
            &path,
            &format!("{kind} {name}"),
            if m.read_only {
                "read-only"
            } else {
                "read-write"
            },
        ]);
    }
    for e in &c.env {
        let (from, detail) = match &e.source {
            EnvSource::Value { value } => ("value".to_owned(), quote(value)),
            EnvSource::ConfigMap { name, key } => {
                (format!("configmap {name}"), format!("key {key}"))
            }
            EnvSource::Secret { name, key } => (format!("secret {name}"), format!("key {key}")),
            EnvSource::Field { path } => ("pod field".to_owned(), path.clone()),
            EnvSource::Resource {
                container,
                resource,
                divisor,
            } => (
                container
                    .as_ref()
                    .map_or("resource".to_owned(), |c| format!("resource of {c}")),
                match divisor {
                    Some(d) => format!("{resource} in units of {d}"),
                    None => resource.clone(),
                },
            ),
        };
        t.row(["env", &e.name, &from, &detail]);
    }
    for r in &c.env_from {
        t.row([
            "envFrom",
            &format!("{} {}", r.kind.word(), r.name),
            "every key",
            "",
        ]);
    }
    t.write(out, "    ");
}

fn retention_word(policy: Retention) -> &'static str {
    match policy {
        Retention::Retain => "kept",
        Retention::Delete => "deleted",
    }
}

/// A value as a double-quoted string, with control characters escaped, so
/// that one variable is always one line.
fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

/// Rows of cells printed with every column but the last padded to its widest cell.
#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    fn row<const N: usize>(&mut self, cells: [&str; N]) {
        self.rows
            .push(cells.iter().map(|c| (*c).to_owned()).collect());
    }

    fn write(&self, out: &mut String, indent: &str) {
        // A row's last cell is not padded, so it does not widen its column.
        let used = |r: &Vec<String>| r.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1);
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|i| {
                self.rows
                    .iter()
                    .filter(|r| i + 1 < used(r))
                    .map(|r| r[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in &self.rows {
            // Trailing empty cells print nothing, not padding.
            let used = used(row);
            let mut line = String::from(indent);
            for (i, cell) in row[..used].iter().enumerate() {
                if i + 1 < used {
                    let _ = write!(line, "{cell:<w$}  ", w = widths[i]);
                } else {
                    line.push_str(cell);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
}
