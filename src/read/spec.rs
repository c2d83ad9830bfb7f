//! What the user wrote: the TOML description, as close to the input as possible.
//!
//! Every table rejects unknown fields, everything with a default is an
//! `Option` (or an empty collection), and everything checked later is wrapped
//! in [`Spanned`] so that errors can point at it. There is no logic here
//! beyond parsing: defaults, names and validation live in [`crate::lower`].

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use schemars::JsonSchema;
use serde::de::{self, Deserializer};
use serde::Deserialize;
use toml::de::{DeTable, DeValue};
pub use toml::Spanned;

use crate::diag::{
    did_you_mean, looks_secret, quote_list, value_spans, Diagnostic, Error, ErrorKind, Source,
};

/// A map from spanned keys to spanned values, in key order.
pub type Map<V> = BTreeMap<Spanned<String>, Spanned<V>>;

/// Environment variables in the order they are written: Kubernetes expands
/// `$(VAR)` only to variables defined earlier in the list.
#[derive(Debug)]
pub struct EnvList<V>(pub Vec<(Spanned<String>, Spanned<V>)>);

impl<V> Default for EnvList<V> {
    fn default() -> Self {
        EnvList(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for EnvList<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // toml hands tables over in key order; the keys' spans give the written order back.
        let mut vars: Vec<_> = Map::<V>::deserialize(d)?.into_iter().collect();
        vars.sort_by_key(|(k, _)| k.span().start);
        Ok(EnvList(vars))
    }
}

impl<V> EnvList<V> {
    /// The variables, in written order.
    pub fn iter(&self) -> impl Iterator<Item = (&Spanned<String>, &Spanned<V>)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<'a, V> IntoIterator for &'a EnvList<V> {
    type Item = (&'a Spanned<String>, &'a Spanned<V>);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Spanned<String>, Spanned<V>)>,
        fn(&'a (Spanned<String>, Spanned<V>)) -> Self::Item,
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

/// One app: a headless Service, a StatefulSet, and the ConfigMaps and Secrets it uses.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The app's name: the StatefulSet's, and the Service's by default.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Namespace set on every object; none: the one `kubectl` applies to.
    #[schemars(with = "Option<String>")]
    pub namespace: Option<Spanned<String>>,
    /// Number of pods (default 1).
    #[schemars(with = "Option<i64>")]
    pub replicas: Option<Spanned<i64>>,
    /// Labels added to every object and to the pods.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub labels: Map<String>,
    /// Annotations added to every object and to the pods.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub annotations: Map<String>,
    /// The main container's image (required).
    #[schemars(with = "Option<String>")]
    pub image: Option<Spanned<String>>,
    /// `Always`, `IfNotPresent` or `Never`.
    #[schemars(with = "Option<String>")]
    pub image_pull_policy: Option<Spanned<String>>,
    /// Replaces the image's entrypoint.
    #[schemars(with = "Option<Vec<String>>")]
    pub command: Option<Vec<Spanned<String>>>,
    /// Arguments to the entrypoint.
    #[schemars(with = "Option<Vec<String>>")]
    pub args: Option<Vec<Spanned<String>>>,
    /// The main container's working directory.
    #[schemars(with = "Option<String>")]
    pub working_dir: Option<Spanned<String>>,
    /// Container ports, `name = port` or `name = { port, protocol }`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, PortSpec>")]
    pub ports: Map<PortSpec>,
    /// Environment variables: literals, or keys of generated objects
    /// (`{ secret = "x", key = "k" }`).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, EnvValue>")]
    pub env: EnvList<EnvValue>,
    /// CPU, memory and other resources.
    pub resources: Option<ResourcesSpec>,
    /// Readiness, liveness and startup probes.
    pub probes: Option<ProbesSpec>,
    /// post_start and pre_stop hooks.
    pub lifecycle: Option<LifecycleSpec>,
    /// Security settings: pod-wide ones go to the pod, the rest to the main
    /// container; with `pod_security_context` written, all to the main container.
    #[schemars(with = "Option<SecurityContextSpec>")]
    pub security_context: Option<Spanned<SecurityContextSpec>>,
    /// The pod's own `securityContext`, exactly: only what it holds is
    /// pod-wide (`{}`: nothing), and `security_context` is then the main
    /// container's alone. For pods whose containers differ, a root init
    /// container beside non-root ones, say.
    #[schemars(with = "Option<PodSecurityContextSpec>")]
    pub pod_security_context: Option<Spanned<PodSecurityContextSpec>>,
    /// Containers that run to completion, in order, before the main one starts.
    #[serde(default)]
    #[schemars(with = "Vec<ContainerSpec>")]
    pub init_containers: Vec<Spanned<ContainerSpec>>,
    /// Containers that run beside the main one.
    #[serde(default)]
    #[schemars(with = "Vec<ContainerSpec>")]
    pub sidecars: Vec<Spanned<ContainerSpec>>,
    /// The pods' service account: an existing one's name, or
    /// `{ create = true, name, annotations }` to generate it.
    #[schemars(with = "Option<ServiceAccountSpec>")]
    pub service_account: Option<Spanned<ServiceAccountSpec>>,
    /// Whether the pods get an API token mounted (`false`: none).
    #[schemars(with = "Option<bool>")]
    pub automount_service_account_token: Option<Spanned<bool>>,
    /// Whether Kubernetes gives the containers a `<SERVICE>_HOST` and
    /// `<SERVICE>_PORT` variable for every Service of the namespace
    /// (`enableServiceLinks`; Kubernetes' default: `true`).
    pub enable_service_links: Option<bool>,
    /// Node labels a pod's node must have.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub node_selector: Map<String>,
    /// Taints the pods tolerate.
    #[serde(default)]
    #[schemars(with = "Vec<TolerationSpec>")]
    pub tolerations: Vec<Spanned<TolerationSpec>>,
    /// Spread replicas across nodes or zones.
    #[schemars(with = "Option<SpreadSpec>")]
    pub spread: Option<Spanned<SpreadSpec>>,
    /// Seconds a pod gets to stop before it is killed.
    #[schemars(with = "Option<i64>")]
    pub termination_grace_period: Option<Spanned<i64>>,
    /// Names of existing registry Secrets to pull images with.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub image_pull_secrets: Vec<Spanned<String>>,
    /// Name every ConfigMap and Secret `NAME-<content hash>`, as kustomize does.
    #[schemars(with = "Option<bool>")]
    pub hash_suffix: Option<Spanned<bool>>,
    /// The headless Service.
    #[schemars(with = "Option<ServiceSpec>")]
    pub service: Option<Spanned<ServiceSpec>>,
    /// StatefulSet settings.
    #[schemars(with = "Option<StatefulSetSpec>")]
    pub statefulset: Option<Spanned<StatefulSetSpec>>,
    /// One volumeClaimTemplate per entry: every pod gets its own volume.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, VolumeSpec>")]
    pub volumes: Map<VolumeSpec>,
    /// Generated ConfigMaps.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, DataSpec>")]
    pub configmaps: Map<DataSpec>,
    /// Generated Secrets.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, DataSpec>")]
    pub secrets: Map<DataSpec>,
    /// `"restricted"` or `"baseline"`: the Pod Security Standards level the
    /// pods must meet (see [`crate::check::policy`]).
    #[schemars(with = "Option<String>")]
    pub pod_security: Option<Spanned<String>>,
    /// The Kubernetes release the output is for, `"1.30"` (see [`crate::check::kube_version`]).
    #[schemars(with = "Option<String>")]
    pub kube_version: Option<Spanned<String>>,
    /// Lints and checks to silence, by name (see [`crate::check::policy::lints`]).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub allow: Vec<Spanned<String>>,
    /// Emit the `namespace` as a Namespace object, applied first.
    #[schemars(with = "Option<bool>")]
    pub create_namespace: Option<Spanned<bool>>,
    /// A normal Service for clients, beside the headless one.
    #[schemars(with = "Option<ClientServiceSpec>")]
    pub client_service: Option<Spanned<ClientServiceSpec>>,
    /// The PodDisruptionBudget: a table, or `false` for none.
    #[schemars(with = "Option<BudgetSpec>")]
    pub disruption_budget: Option<Spanned<BudgetSpec>>,
    /// A NetworkPolicy admitting the app's own pods and the listed sources.
    #[schemars(with = "Option<NetworkPolicySpec>")]
    pub network_policy: Option<Spanned<NetworkPolicySpec>>,
    /// Annotations on the pods only.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub pod_annotations: Map<String>,
    /// The pods' PriorityClass.
    #[schemars(with = "Option<String>")]
    pub priority_class_name: Option<Spanned<String>>,
    /// The user's own manifests, appended to the output.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub extra_manifests: Vec<Spanned<String>>,
    /// Extra `/etc/hosts` entries in the pods.
    #[serde(default)]
    #[schemars(with = "Vec<HostAliasSpec>")]
    pub host_aliases: Vec<Spanned<HostAliasSpec>>,
    /// The pods' DNS policy and resolver settings.
    #[schemars(with = "Option<DnsSpec>")]
    pub dns: Option<Spanned<DnsSpec>>,
    /// Node and pod affinity, beyond `spread` and `node_selector`.
    #[schemars(with = "Option<AffinitySpec>")]
    pub affinity: Option<Spanned<AffinitySpec>>,
    /// Jobs: run to completion once per change of their spec (`<app>-<name>-<hash>`).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, JobSpec>")]
    pub jobs: Map<JobSpec>,
    /// CronJobs: a Job on a schedule (`<app>-<name>`).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, CronJobSpec>")]
    pub cronjobs: Map<CronJobSpec>,
    /// PersistentVolumeClaims of their own (`<app>-<name>`), mounted by the
    /// containers that list them in `mounts`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, ClaimSpec>")]
    pub claims: Map<ClaimSpec>,
    /// `[roles.NAME]`, each merged over the rest of the description: one
    /// StatefulSet each. Taken out of the document and read by
    /// [`from_document`] (in the description's order), never deserialized here.
    #[serde(skip)]
    #[schemars(skip)]
    pub roles: Vec<RoleSpec>,
}

/// One `[roles.NAME]` table merged over its description.
#[derive(Debug)]
pub struct RoleSpec {
    /// The role's name, where `[roles.NAME]` writes it.
    pub name: Spanned<String>,
    /// The description with the role's table merged over it.
    pub spec: Spec,
}


/// Defines a Job-like table: the container fields a sidecar takes (but
/// `name`, `ports`, `probes` and `lifecycle`), the pod fields a Job may
/// change, the Job's own fields, and `$extra`. One list, so `[jobs.X]` and
/// `[cronjobs.X]` cannot drift apart.
macro_rules! job_table {
    ($(#[$meta:meta])* $name:ident { $($extra:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($extra)*
            /// Image (default: the app's).
            #[schemars(with = "Option<String>")]
            pub image: Option<Spanned<String>>,
            /// `Always`, `IfNotPresent` or `Never`.
            #[schemars(with = "Option<String>")]
            pub image_pull_policy: Option<Spanned<String>>,
            /// Replaces the image's entrypoint.
            #[schemars(with = "Option<Vec<String>>")]
            pub command: Option<Vec<Spanned<String>>>,
            /// Arguments to the entrypoint.
            #[schemars(with = "Option<Vec<String>>")]
            pub args: Option<Vec<Spanned<String>>>,
            /// Working directory.
            #[schemars(with = "Option<String>")]
            pub working_dir: Option<Spanned<String>>,
            /// Environment variables: literals, or keys of generated objects.
            #[serde(default)]
            #[schemars(with = "BTreeMap<String, EnvValue>")]
            pub env: EnvList<EnvValue>,
            /// Names of `configmaps` or `secrets` whose every key becomes an environment variable.
            #[serde(default)]
            #[schemars(with = "Vec<String>")]
            pub env_from: Vec<Spanned<String>>,
            /// Resources.
            pub resources: Option<ResourcesSpec>,
            /// Container security settings (the app's pod-wide ones apply too).
            #[schemars(with = "Option<SecurityContextSpec>")]
            pub security_context: Option<Spanned<SecurityContextSpec>>,
            /// `claims`, pod `volumes`, `configmaps` or `secrets` to mount: a name
            /// (at its `mount` path), or `{ volume, path, sub_path, read_only }`.
            #[serde(default)]
            #[schemars(with = "Vec<ContainerMount>")]
            pub mounts: Vec<Spanned<ContainerMount>>,
            /// `OnFailure` (default: the pod restarts its container) or `Never` (a new pod per try).
            #[schemars(with = "Option<String>")]
            pub restart_policy: Option<Spanned<String>>,
            /// Tries before the Job fails (`backoffLimit`; Kubernetes' default 6).
            #[schemars(with = "Option<i64>")]
            pub backoff_limit: Option<Spanned<i64>>,
            /// Seconds the Job may run in all (`activeDeadlineSeconds`).
            #[schemars(with = "Option<i64>")]
            pub active_deadline: Option<Spanned<i64>>,
            /// Seconds a finished Job is kept (`ttlSecondsAfterFinished`, default 86400).
            #[schemars(with = "Option<i64>")]
            pub ttl_after_finished: Option<Spanned<i64>>,
            /// Pods that run at once.
            #[schemars(with = "Option<i64>")]
            pub parallelism: Option<Spanned<i64>>,
            /// Successful pods the Job needs.
            #[schemars(with = "Option<i64>")]
            pub completions: Option<Spanned<i64>>,
            /// An existing service account the pods run as (default: the app's).
            #[schemars(with = "Option<String>")]
            pub service_account: Option<Spanned<String>>,
            /// Node labels (default: the app's `node_selector`).
            #[schemars(with = "Option<BTreeMap<String, String>>")]
            pub node_selector: Option<Map<String>>,
            /// Tolerations (default: the app's).
            #[schemars(with = "Option<Vec<TolerationSpec>>")]
            pub tolerations: Option<Vec<Spanned<TolerationSpec>>>,
        }
    };
}

job_table! {
    /// `[jobs.NAME]`: a Job, named `<app>-<name>-<hash of its spec>`.
    JobSpec {}
}

job_table! {
    /// `[cronjobs.NAME]`: a CronJob, named `<app>-<name>`.
    CronJobSpec {
        /// Five cron fields or `@daily`, `@hourly`, ... (required).
        #[schemars(with = "String")]
        pub schedule: Spanned<String>,
        /// IANA time zone of the schedule, e.g. `"Europe/Paris"` (default: the controller's, usually UTC).
        #[schemars(with = "Option<String>")]
        pub time_zone: Option<Spanned<String>>,
        /// `Allow`, `Forbid` (default) or `Replace`: what a run does while the last one still runs.
        #[schemars(with = "Option<String>")]
        pub concurrency_policy: Option<Spanned<String>>,
        /// Seconds after its time a missed run may still start (`startingDeadlineSeconds`).
        #[schemars(with = "Option<i64>")]
        pub starting_deadline: Option<Spanned<i64>>,
        /// Stop starting runs.
        #[schemars(with = "Option<bool>")]
        pub suspend: Option<Spanned<bool>>,
        /// Successful Jobs kept (`successfulJobsHistoryLimit`; Kubernetes' default 3).
        #[schemars(with = "Option<i64>")]
        pub successful_jobs_history: Option<Spanned<i64>>,
        /// Failed Jobs kept (`failedJobsHistoryLimit`; Kubernetes' default 1).
        #[schemars(with = "Option<i64>")]
        pub failed_jobs_history: Option<Spanned<i64>>,
    }
}

/// A CronJob's own fields, apart from the Job it starts.
#[derive(Debug)]
pub struct ScheduleSpec {
    /// See [`CronJobSpec::schedule`].
    pub schedule: Spanned<String>,
    /// See [`CronJobSpec::time_zone`].
    pub time_zone: Option<Spanned<String>>,
    /// See [`CronJobSpec::concurrency_policy`].
    pub concurrency_policy: Option<Spanned<String>>,
    /// See [`CronJobSpec::starting_deadline`].
    pub starting_deadline: Option<Spanned<i64>>,
    /// See [`CronJobSpec::suspend`].
    pub suspend: Option<Spanned<bool>>,
    /// See [`CronJobSpec::successful_jobs_history`].
    pub successful_jobs_history: Option<Spanned<i64>>,
    /// See [`CronJobSpec::failed_jobs_history`].
    pub failed_jobs_history: Option<Spanned<i64>>,
}

impl CronJobSpec {
    /// The schedule, and the Job each run starts.
    pub fn split(self) -> (ScheduleSpec, JobSpec) {
        let CronJobSpec {
            schedule,
            time_zone,
            concurrency_policy,
            starting_deadline,
            suspend,
            successful_jobs_history,
            failed_jobs_history,
            image,
            image_pull_policy,
            command,
            args,
            working_dir,
            env,
            env_from,
            resources,
            security_context,
            mounts,
            restart_policy,
            backoff_limit,
            active_deadline,
            ttl_after_finished,
            parallelism,
            completions,
            service_account,
            node_selector,
            tolerations,
        } = self;
        let schedule = ScheduleSpec {
            schedule,
            time_zone,
            concurrency_policy,
            starting_deadline,
            suspend,
            successful_jobs_history,
            failed_jobs_history,
        };
        let job = JobSpec {
            image,
            image_pull_policy,
            command,
            args,
            working_dir,
            env,
            env_from,
            resources,
            security_context,
            mounts,
            restart_policy,
            backoff_limit,
            active_deadline,
            ttl_after_finished,
            parallelism,
            completions,
            service_account,
            node_selector,
            tolerations,
        };
        (schedule, job)
    }
}

/// `[claims.NAME]`: a PersistentVolumeClaim of its own, shared by the pods that mount it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimSpec {
    /// Requested size, e.g. `"50Gi"` (required).
    #[schemars(with = "Option<Quantity>")]
    pub size: Option<Spanned<Quantity>>,
    /// Storage class; none: the cluster's default.
    #[schemars(with = "Option<String>")]
    pub storage_class: Option<Spanned<String>>,
    /// Access modes (default `["ReadWriteOnce"]`).
    #[schemars(with = "Option<Vec<String>>")]
    pub access_modes: Option<Vec<Spanned<String>>>,
    /// Absolute path where the containers that list it in `mounts` see it (required).
    #[schemars(with = "Option<String>")]
    pub mount: Option<Spanned<String>>,
    /// Mount read-only.
    pub read_only: Option<bool>,
}

/// `[affinity]`: which nodes the pods want, and which other pods they want
/// to be near or away from.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AffinitySpec {
    /// Node label requirements: `{ key, values, required = true }`.
    #[serde(default)]
    #[schemars(with = "Vec<NodeTermSpec>")]
    pub nodes: Vec<Spanned<NodeTermSpec>>,
    /// Pods to run near: `{ pods = { label = "value" }, across, required = false }`.
    #[serde(default)]
    #[schemars(with = "Vec<PodTermSpec>")]
    pub near: Vec<Spanned<PodTermSpec>>,
    /// Pods to run away from, same form as `near`.
    #[serde(default)]
    #[schemars(with = "Vec<PodTermSpec>")]
    pub away_from: Vec<Spanned<PodTermSpec>>,
}

/// A node label requirement: the node's `key` label is one of `values`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeTermSpec {
    /// The node label key.
    #[schemars(with = "String")]
    pub key: Spanned<String>,
    /// The values it may have.
    #[schemars(with = "Vec<String>")]
    pub values: Vec<Spanned<String>>,
    /// Refuse other nodes (default true), or only prefer these.
    pub required: Option<bool>,
}

/// Other pods, by label, and the domain ("node", "zone" or a node label key) to share or avoid.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PodTermSpec {
    /// The other pods' labels.
    #[schemars(with = "BTreeMap<String, String>")]
    pub pods: Spanned<Map<String>>,
    /// `"node"`, `"zone"` or a node label key.
    #[schemars(with = "String")]
    pub across: Spanned<String>,
    /// Refuse to schedule otherwise (default false: a preference).
    pub required: Option<bool>,
    /// A preference's weight, 1 to 100 (default 100: every preference counts the same).
    #[schemars(with = "Option<i64>")]
    pub weight: Option<Spanned<i64>>,
}
/// One `/etc/hosts` entry: `{ ip = "10.0.0.5", hostnames = ["db.internal"] }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostAliasSpec {
    /// The address.
    #[schemars(with = "String")]
    pub ip: Spanned<String>,
    /// The names that resolve to it.
    #[schemars(with = "Vec<String>")]
    pub hostnames: Vec<Spanned<String>>,
}

/// `dns`: `dnsPolicy` and `dnsConfig`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DnsSpec {
    /// `ClusterFirst` (Kubernetes' default), `ClusterFirstWithHostNet`, `Default` or `None`.
    #[schemars(with = "Option<String>")]
    pub policy: Option<Spanned<String>>,
    /// Name server addresses, at most 3.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub nameservers: Vec<Spanned<String>>,
    /// Search domains.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub searches: Vec<Spanned<String>>,
    /// Resolver options, `"ndots:2"` or `"edns0"`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub options: Vec<Spanned<String>>,
}

/// The names of [`Spec`]'s fields, for "did you mean" suggestions.
#[allow(dead_code)] // Only its test reads it so far.
pub const SPEC_FIELDS: &[&str] = &[
    "name",
    "namespace",
    "replicas",
    "labels",
    "annotations",
    "image",
    "image_pull_policy",
    "command",
    "args",
    "working_dir",
    "ports",
    "env",
    "resources",
    "probes",
    "lifecycle",
    "security_context",
    "pod_security_context",
    "init_containers",
    "sidecars",
    "service_account",
    "node_selector",
    "tolerations",
    "spread",
    "termination_grace_period",
    "image_pull_secrets",
    "hash_suffix",
    "service",
    "statefulset",
    "volumes",
    "configmaps",
    "secrets",
    "pod_security",
    "kube_version",
    "allow",
    "automount_service_account_token",
    "enable_service_links",
    "create_namespace",
    "client_service",
    "disruption_budget",
    "network_policy",
    "pod_annotations",
    "priority_class_name",
    "extra_manifests",
    "host_aliases",
    "dns",
    "affinity",
    "jobs",
    "cronjobs",
    "claims",
    "roles",
];

/// A container beside or before the main one.
///
/// [`Spec`] repeats these fields for the main container rather than
/// flattening a shared struct into it: serde's `flatten` cannot be combined
/// with `deny_unknown_fields`, and rejecting unknown fields (with their spans)
/// matters more than the repetition. Lowering turns the top level into one of
/// these, so the rules live in one place.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContainerSpec {
    /// Container name (required), unique in the pod.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Image (required).
    #[schemars(with = "Option<String>")]
    pub image: Option<Spanned<String>>,
    /// `Always`, `IfNotPresent` or `Never`.
    #[schemars(with = "Option<String>")]
    pub image_pull_policy: Option<Spanned<String>>,
    /// Replaces the image's entrypoint.
    #[schemars(with = "Option<Vec<String>>")]
    pub command: Option<Vec<Spanned<String>>>,
    /// Arguments to the entrypoint.
    #[schemars(with = "Option<Vec<String>>")]
    pub args: Option<Vec<Spanned<String>>>,
    /// Working directory.
    #[schemars(with = "Option<String>")]
    pub working_dir: Option<Spanned<String>>,
    /// Container ports.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, PortSpec>")]
    pub ports: Map<PortSpec>,
    /// Environment variables: literals, or keys of generated objects.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, EnvValue>")]
    pub env: EnvList<EnvValue>,
    /// Names of `configmaps` or `secrets` whose every key becomes an environment variable here.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub env_from: Vec<Spanned<String>>,
    /// Resources.
    pub resources: Option<ResourcesSpec>,
    /// Probes (not allowed on init containers).
    pub probes: Option<ProbesSpec>,
    /// Hooks (not allowed on init containers).
    pub lifecycle: Option<LifecycleSpec>,
    /// Container security settings.
    #[schemars(with = "Option<SecurityContextSpec>")]
    pub security_context: Option<Spanned<SecurityContextSpec>>,
    /// `volumes`, `claims`, `configmaps` or `secrets` to mount here too: a
    /// name (at its `mount` path, or each path of a `mount` list), or
    /// `{ volume = "name", path = "/x", sub_path, read_only }` at a path of
    /// this container's own.
    #[serde(default)]
    #[schemars(with = "Vec<ContainerMount>")]
    pub mounts: Vec<Spanned<ContainerMount>>,
    /// Sidecars only: a native sidecar, an init container with
    /// `restartPolicy: Always` that starts before the init containers and
    /// stops after the main one (Kubernetes 1.29 and later).
    #[schemars(with = "Option<bool>")]
    pub native: Option<Spanned<bool>>,
}

/// A port: `80`, or `{ port = 53, protocol = "UDP" }`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "a port number or a table `{ port = 53, protocol = \"UDP\" }`"
)]
pub enum PortSpec {
    /// Just a number: TCP.
    Number(i64),
    /// Number and protocol.
    Full {
        /// The port number.
        port: i64,
        /// `TCP`, `UDP` or `SCTP`.
        protocol: Option<String>,
    },
}

/// An environment variable's value: a literal (a string, or a number or
/// boolean written as TOML), or `{ configmap = "x", key = "k" }` /
/// `{ secret = "x", key = "k" }` naming a key of a generated object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvValue {
    /// The value itself.
    Literal(String),
    /// A key of a `[configmaps.X]` or `[secrets.X]` table.
    Key(Box<EnvKeyRef>),
}

/// `{ configmap = "x", key = "k" }` or `{ secret = "x", key = "k" }`; or
/// from the downward API, `{ field = "metadata.name" }` or
/// `{ resource = "limits.memory", container = "x", divisor = "1Mi" }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvKeyRef {
    /// A `[configmaps.X]` table's name.
    #[schemars(with = "Option<String>")]
    pub configmap: Option<Spanned<String>>,
    /// A `[secrets.X]` table's name.
    #[schemars(with = "Option<String>")]
    pub secret: Option<Spanned<String>>,
    /// The key whose value the variable gets (with `configmap` or `secret`).
    #[schemars(with = "Option<String>")]
    pub key: Option<Spanned<String>>,
    /// A pod field: `metadata.name`, `status.podIP`, `metadata.labels['k']`, ...
    #[schemars(with = "Option<String>")]
    pub field: Option<Spanned<String>>,
    /// A container's resource: `limits.memory`, `requests.cpu`, ...
    #[schemars(with = "Option<String>")]
    pub resource: Option<Spanned<String>>,
    /// With `resource`: the container whose resource (default: this one).
    #[schemars(with = "Option<String>")]
    pub container: Option<Spanned<String>>,
    /// With `resource`: the unit the value is expressed in, e.g. `"1Mi"` or `"1m"`.
    #[schemars(with = "Option<Quantity>")]
    pub divisor: Option<Spanned<Quantity>>,
}

impl<'de> Deserialize<'de> for EnvValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = EnvValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a string, integer or boolean, or a table such as `{ secret = \"name\", key = \"key\" }` or `{ field = \"metadata.name\" }`",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EnvValue, E> {
                Ok(EnvValue::Literal(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<EnvValue, E> {
                Ok(EnvValue::Literal(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<EnvValue, E> {
                Ok(EnvValue::Literal(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<EnvValue, E> {
                Ok(EnvValue::Literal(v.to_string()))
            }
            // Not through an untagged enum: that would lose the spans inside.
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<EnvValue, A::Error> {
                Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|r| EnvValue::Key(Box::new(r)))
            }
        }
        d.deserialize_any(V)
    }
}

/// A resource quantity: `"250m"`, `"1Gi"`, `2` or `0.5`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quantity(pub String);

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a quantity such as \"250m\", \"1Gi\" or 2")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Quantity, E> {
                Ok(Quantity(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Quantity, E> {
                Ok(Quantity(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Quantity, E> {
                Ok(Quantity(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Quantity, E> {
                Ok(Quantity(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// Requests and limits, resource name to quantity.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourcesSpec {
    /// What the scheduler reserves.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Quantity>")]
    pub requests: Map<Quantity>,
    /// The most the container may use.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Quantity>")]
    pub limits: Map<Quantity>,
}

/// The three probes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbesSpec {
    /// Gates traffic.
    #[schemars(with = "Option<ProbeSpec>")]
    pub readiness: Option<Spanned<ProbeSpec>>,
    /// Restarts a stuck container.
    #[schemars(with = "Option<ProbeSpec>")]
    pub liveness: Option<Spanned<ProbeSpec>>,
    /// Holds the others off until the app has started.
    #[schemars(with = "Option<ProbeSpec>")]
    pub startup: Option<Spanned<ProbeSpec>>,
}

/// One probe: exactly one of `exec`, `http`, `tcp`, `grpc`, plus timings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeSpec {
    /// Command whose exit status 0 means healthy.
    #[schemars(with = "Option<Vec<String>>")]
    pub exec: Option<Vec<Spanned<String>>>,
    /// HTTP GET with a 2xx/3xx answer means healthy.
    #[schemars(with = "Option<HttpSpec>")]
    pub http: Option<Spanned<HttpSpec>>,
    /// A TCP connection means healthy: a port number or a port name.
    #[schemars(with = "Option<PortRef>")]
    pub tcp: Option<Spanned<PortRef>>,
    /// gRPC health check: a port number or `{ port, service }`.
    #[schemars(with = "Option<GrpcSpec>")]
    pub grpc: Option<Spanned<GrpcSpec>>,
    /// Seconds before the first probe.
    #[schemars(with = "Option<i64>")]
    pub initial_delay: Option<Spanned<i64>>,
    /// Seconds between probes.
    #[schemars(with = "Option<i64>")]
    pub period: Option<Spanned<i64>>,
    /// Seconds a probe may take.
    #[schemars(with = "Option<i64>")]
    pub timeout: Option<Spanned<i64>>,
    /// Successes in a row that count as healthy.
    #[schemars(with = "Option<i64>")]
    pub success_threshold: Option<Spanned<i64>>,
    /// Failures in a row that count as unhealthy.
    #[schemars(with = "Option<i64>")]
    pub failure_threshold: Option<Spanned<i64>>,
}

/// An HTTP GET.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpSpec {
    /// Path (default `/`).
    #[schemars(with = "Option<String>")]
    pub path: Option<Spanned<String>>,
    /// Port number or name.
    #[schemars(with = "PortRef")]
    pub port: Spanned<PortRef>,
    /// `HTTP` (default) or `HTTPS`.
    #[schemars(with = "Option<String>")]
    pub scheme: Option<Spanned<String>>,
    /// Host header to send.
    #[schemars(with = "Option<String>")]
    pub host: Option<Spanned<String>>,
    /// Extra request headers.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub headers: Map<String>,
}

/// A port by number or by the name of a declared port.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged, expecting = "a port number or the name of a declared port")]
pub enum PortRef {
    /// A number.
    Number(i64),
    /// A declared port's name.
    Name(String),
}

/// A gRPC health check.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "a port number or a table `{ port = 9090, service = \"name\" }`"
)]
pub enum GrpcSpec {
    /// Just the port.
    Port(i64),
    /// Port and the service name to ask about.
    Full {
        /// The port number.
        port: i64,
        /// Service name sent in the health request.
        service: Option<String>,
    },
}

/// post_start and pre_stop.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LifecycleSpec {
    /// Runs right after the container starts.
    #[schemars(with = "Option<HandlerSpec>")]
    pub post_start: Option<Spanned<HandlerSpec>>,
    /// Runs before the container is stopped.
    #[schemars(with = "Option<HandlerSpec>")]
    pub pre_stop: Option<Spanned<HandlerSpec>>,
}

/// A hook: a command array, or a table with one of `exec`, `http`, `sleep`.
#[derive(Debug)]
pub enum HandlerSpec {
    /// `["cmd", "arg"]`.
    Command(Vec<Spanned<String>>),
    /// `{ exec = [...] }`, `{ http = { path, port } }` or `{ sleep = 5 }`.
    Table(Box<HandlerTable>),
}

// Not `#[serde(untagged)]`: that buffers the input and loses the spans inside.
impl<'de> Deserialize<'de> for HandlerSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = HandlerSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a command array, or a table with one of `exec`, `http` or `sleep`")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<HandlerSpec, A::Error> {
                Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(HandlerSpec::Command)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<HandlerSpec, A::Error> {
                Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|t| HandlerSpec::Table(Box::new(t)))
            }
        }
        d.deserialize_any(V)
    }
}

/// The table form of a hook.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HandlerTable {
    /// Command to run.
    #[schemars(with = "Option<Vec<String>>")]
    pub exec: Option<Vec<Spanned<String>>>,
    /// HTTP GET to send.
    #[schemars(with = "Option<HttpSpec>")]
    pub http: Option<Spanned<HttpSpec>>,
    /// Seconds to sleep.
    #[schemars(with = "Option<i64>")]
    pub sleep: Option<Spanned<i64>>,
}

/// Security settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityContextSpec {
    /// UID to run as.
    #[schemars(with = "Option<i64>")]
    pub run_as_user: Option<Spanned<i64>>,
    /// GID to run as.
    #[schemars(with = "Option<i64>")]
    pub run_as_group: Option<Spanned<i64>>,
    /// Refuse to start as root.
    pub run_as_non_root: Option<bool>,
    /// Group that owns mounted volumes (pod-wide).
    #[schemars(with = "Option<i64>")]
    pub fs_group: Option<Spanned<i64>>,
    /// When the kubelet gives the volumes to `fs_group`: `Always` (every
    /// start, Kubernetes' default) or `OnRootMismatch` (pod-wide).
    #[schemars(with = "Option<String>")]
    pub fs_group_change_policy: Option<Spanned<String>>,
    /// Mount the container's root file system read-only.
    pub read_only_root_filesystem: Option<bool>,
    /// Allow setuid binaries to gain privileges.
    #[schemars(with = "Option<bool>")]
    pub allow_privilege_escalation: Option<Spanned<bool>>,
    /// Run privileged.
    #[schemars(with = "Option<bool>")]
    pub privileged: Option<Spanned<bool>>,
    /// Capabilities to add and drop.
    pub capabilities: Option<CapabilitiesSpec>,
    /// `RuntimeDefault` or `Unconfined`.
    #[schemars(with = "Option<String>")]
    pub seccomp_profile: Option<Spanned<String>>,
}

/// The pod's own security settings (`spec.template.spec.securityContext`),
/// written as they are: every container's own settings win over these.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PodSecurityContextSpec {
    /// UID every container runs as unless it sets its own.
    #[schemars(with = "Option<i64>")]
    pub run_as_user: Option<Spanned<i64>>,
    /// GID every container runs as unless it sets its own.
    #[schemars(with = "Option<i64>")]
    pub run_as_group: Option<Spanned<i64>>,
    /// Refuse to start any container as root, unless it says otherwise.
    #[schemars(with = "Option<bool>")]
    pub run_as_non_root: Option<Spanned<bool>>,
    /// Group that owns mounted volumes.
    #[schemars(with = "Option<i64>")]
    pub fs_group: Option<Spanned<i64>>,
    /// When the kubelet gives the volumes to `fs_group`: `Always` (every
    /// start, Kubernetes' default) or `OnRootMismatch`.
    #[schemars(with = "Option<String>")]
    pub fs_group_change_policy: Option<Spanned<String>>,
    /// `RuntimeDefault` or `Unconfined`, for every container without its own.
    #[schemars(with = "Option<String>")]
    pub seccomp_profile: Option<Spanned<String>>,
}

/// The container settings of [`SecurityContextSpec`] a pod does not have,
/// for the error that finds one in `pod_security_context`.
pub const CONTAINER_ONLY_SECURITY: &[&str] = &[
    "read_only_root_filesystem",
    "allow_privilege_escalation",
    "privileged",
    "capabilities",
];

/// Linux capabilities.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CapabilitiesSpec {
    /// Added capabilities, e.g. `NET_BIND_SERVICE`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub add: Vec<Spanned<String>>,
    /// Dropped capabilities, e.g. `ALL`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub drop: Vec<Spanned<String>>,
}

/// A toleration.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TolerationSpec {
    /// Taint key; none with `Exists` tolerates everything.
    #[schemars(with = "Option<String>")]
    pub key: Option<Spanned<String>>,
    /// `Equal` (default) or `Exists`.
    #[schemars(with = "Option<String>")]
    pub operator: Option<Spanned<String>>,
    /// Taint value, with `Equal`.
    #[schemars(with = "Option<String>")]
    pub value: Option<Spanned<String>>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`; none: all.
    #[schemars(with = "Option<String>")]
    pub effect: Option<Spanned<String>>,
    /// With `NoExecute`: how long the pod stays bound.
    #[schemars(with = "Option<i64>")]
    pub toleration_seconds: Option<Spanned<i64>>,
}

/// How to spread replicas: `"node"`, `"zone"`, or a table.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "\"node\", \"zone\", or a table `{ across = \"node\", max_skew = 1, required = true }`"
)]
pub enum SpreadSpec {
    /// `"node"`, `"zone"` or a node label key.
    Across(String),
    /// The full form.
    Table(SpreadTable),
}

/// The table form of `spread`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpreadTable {
    /// `"node"`, `"zone"` or a node label key.
    pub across: String,
    /// Most pods one domain may have more than another (default 1).
    pub max_skew: Option<i64>,
    /// Refuse to schedule rather than break the spread (default true).
    pub required: Option<bool>,
}

/// The headless Service.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// Service name (default: the app's name).
    #[schemars(with = "Option<String>")]
    pub name: Option<Spanned<String>>,
    /// Ports to publish, by Service port name (default: every port of the
    /// main container). `name = port` publishes the container port of that
    /// name on a number of its own; `name = { port, target_port }` forwards
    /// to another container port, by name or number (to keep the port names
    /// of a Service that already runs).
    #[schemars(with = "Option<BTreeMap<String, ServicePortSpec>>")]
    pub ports: Option<Map<ServicePortSpec>>,
    /// Publish DNS records for pods before they are ready, so peers can find each other.
    pub publish_not_ready_addresses: Option<bool>,
    /// `trafficDistribution`: which endpoints clients should prefer,
    /// `"PreferClose"` (Kubernetes 1.31+; 1.30 behind the alpha
    /// `ServiceTrafficDistribution` gate), `"PreferSameZone"` or
    /// `"PreferSameNode"` (1.34+; 1.33 behind the alpha
    /// `PreferSameTrafficDistribution` gate). Default: none, every endpoint alike.
    #[schemars(with = "Option<String>")]
    pub traffic_distribution: Option<Spanned<String>>,
    /// Annotations on the Service only.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub annotations: Map<String>,
    /// Labels on the Service only.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub labels: Map<String>,
}

/// One `[service] ports` entry: a number, or a table.
#[derive(Debug)]
pub enum ServicePortSpec {
    /// `redis = 6379`: the container port named like the entry, published on this number.
    Number(i64),
    /// `tcp-redis = { port = 6379, target_port = "redis" }`.
    Table(ServicePortTable),
}

/// The table form of a `[service] ports` entry.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServicePortTable {
    /// The number the Service publishes (required).
    #[schemars(with = "i64")]
    pub port: Spanned<i64>,
    /// The container port it forwards to: the name of a port of the main
    /// container or of a sidecar, or a number (default: the container port
    /// named like the entry). A name no container declares and close to
    /// none (a port of a feature turned off) is the `undeclared-port` warning.
    #[schemars(with = "Option<PortTarget>")]
    pub target_port: Option<Spanned<PortTarget>>,
}

/// Where a Service port forwards: a container port's name or a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortTarget {
    /// A container port's name.
    Name(String),
    /// A port number.
    Number(i64),
}

// Not `#[serde(untagged)]`: that buffers the input and loses the spans inside.
impl<'de> Deserialize<'de> for ServicePortSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = ServicePortSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a port number, or a table `{ port = 6379, target_port = \"redis\" }`")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ServicePortSpec, E> {
                Ok(ServicePortSpec::Number(v))
            }
            fn visit_map<A: de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<ServicePortSpec, A::Error> {
                Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(ServicePortSpec::Table)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for PortTarget {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = PortTarget;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a container port's name, or a port number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PortTarget, E> {
                Ok(PortTarget::Number(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PortTarget, E> {
                Ok(PortTarget::Name(v.to_owned()))
            }
        }
        d.deserialize_any(V)
    }
}

/// StatefulSet settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatefulSetSpec {
    /// The StatefulSet's name (default: the app's name; in a role, `APP-ROLE`):
    /// to keep the name of a StatefulSet that already runs.
    #[schemars(with = "Option<String>")]
    pub name: Option<Spanned<String>>,
    /// The StatefulSet's `spec.selector.matchLabels`, exactly (default: the
    /// recommended `app.kubernetes.io/name` and `instance` labels): to keep the
    /// selector of a StatefulSet that already runs, which Kubernetes never
    /// changes. The pods and claim templates carry these labels.
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub selector: Option<Spanned<Map<String>>>,
    /// `OrderedReady` (default) or `Parallel`.
    #[schemars(with = "Option<String>")]
    pub pod_management_policy: Option<Spanned<String>>,
    /// How pods are replaced when the template changes.
    #[schemars(with = "Option<UpdateStrategySpec>")]
    pub update_strategy: Option<Spanned<UpdateStrategySpec>>,
    /// Seconds a new pod must be ready to count as available.
    #[schemars(with = "Option<i64>")]
    pub min_ready_seconds: Option<Spanned<i64>>,
    /// Old revisions kept for rollback.
    #[schemars(with = "Option<i64>")]
    pub revision_history_limit: Option<Spanned<i64>>,
    /// What happens to claims when the StatefulSet is deleted or scaled down.
    #[schemars(with = "Option<RetentionSpec>")]
    pub pvc_retention_policy: Option<Spanned<RetentionSpec>>,
    /// The first ordinal (default 0).
    #[schemars(with = "Option<i64>")]
    pub ordinals_start: Option<Spanned<i64>>,
}

/// `updateStrategy`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStrategySpec {
    /// `RollingUpdate` (default) or `OnDelete`.
    #[serde(rename = "type")]
    #[schemars(with = "Option<String>")]
    pub type_: Option<Spanned<String>>,
    /// Only ordinals at or above this are updated.
    #[schemars(with = "Option<i64>")]
    pub partition: Option<Spanned<i64>>,
    /// Pods that may be unavailable during an update: a number or a percentage.
    #[schemars(with = "Option<IntOrString>")]
    pub max_unavailable: Option<Spanned<IntOrString>>,
}

/// `service_account`: an existing account's name, or a table.
#[derive(Debug)]
pub enum ServiceAccountSpec {
    /// The name of an account that exists in the cluster.
    Existing(String),
    /// `{ create = true, name = "x", annotations = { } }`.
    Table(ServiceAccountTable),
}

/// The table form of `service_account`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceAccountTable {
    /// Emit the ServiceAccount object (default false: it exists).
    #[schemars(with = "Option<bool>")]
    pub create: Option<Spanned<bool>>,
    /// Its name (default: the app's name, when created).
    #[schemars(with = "Option<String>")]
    pub name: Option<Spanned<String>>,
    /// Annotations on the ServiceAccount (e.g. a cloud IAM role), when created.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub annotations: Map<String>,
    /// What the pods may do through the API, when created: a Role and a
    /// RoleBinding (and, for rules with `cluster = true`, a ClusterRole and
    /// a ClusterRoleBinding).
    #[serde(default)]
    #[schemars(with = "Vec<RuleSpec>")]
    pub rules: Vec<Spanned<RuleSpec>>,
    /// The name of the Role and RoleBinding the namespaced `rules` make
    /// (default: the app's name): to keep the names of a pair that already
    /// runs (a chart's `mq-rabbitmq-endpoint-reader`). Needs a rule without
    /// `cluster = true`.
    #[schemars(with = "Option<String>")]
    pub role_name: Option<Spanned<String>>,
}

/// One RBAC rule of `service_account.rules`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Resources, as `kubectl api-resources` names them, with subresources
    /// as `pods/log` (required).
    #[schemars(with = "Vec<String>")]
    pub resources: Vec<Spanned<String>>,
    /// Verbs: `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, ... (required).
    #[schemars(with = "Vec<String>")]
    pub verbs: Vec<Spanned<String>>,
    /// API groups; inferred for Kubernetes' own resources, required for others.
    #[schemars(with = "Option<Vec<String>>")]
    pub api_groups: Option<Vec<Spanned<String>>>,
    /// Only these objects, by name.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub resource_names: Vec<Spanned<String>>,
    /// In every namespace: a ClusterRole and ClusterRoleBinding (needs `namespace`).
    #[schemars(with = "Option<bool>")]
    pub cluster: Option<Spanned<bool>>,
}

// Not `#[serde(untagged)]`: that buffers the input and loses the spans inside.
impl<'de> Deserialize<'de> for ServiceAccountSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = ServiceAccountSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a service account name, or a table `{ create = true, name = \"x\" }`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ServiceAccountSpec, E> {
                Ok(ServiceAccountSpec::Existing(v.to_owned()))
            }
            fn visit_map<A: de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<ServiceAccountSpec, A::Error> {
                Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(ServiceAccountSpec::Table)
            }
        }
        d.deserialize_any(V)
    }
}

/// `[client_service]`: a Service with a cluster address, for clients.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientServiceSpec {
    /// Service name (default `<name>-client`).
    #[schemars(with = "Option<String>")]
    pub name: Option<Spanned<String>>,
    /// `ClusterIP` (default), `NodePort` or `LoadBalancer`.
    #[serde(rename = "type")]
    #[schemars(with = "Option<String>")]
    pub type_: Option<Spanned<String>>,
    /// Ports to publish (default: every top-level port): names of declared
    /// ports, each on its own number, or a table like `[service] ports`
    /// (`name = port`, `name = { port, target_port }`) to keep the port
    /// names and numbers of a Service that already runs.
    pub ports: Option<ClientPortsSpec>,
    /// `trafficDistribution`: which endpoints clients should prefer, as
    /// `[service] traffic_distribution` (checked against the target release
    /// alike). Default: none, every endpoint alike.
    #[schemars(with = "Option<String>")]
    pub traffic_distribution: Option<Spanned<String>>,
    /// Annotations on this Service only.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub annotations: Map<String>,
    /// Labels on this Service only (over the app's, key by key).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub labels: Map<String>,
}

/// `[client_service] ports`: a list of declared port names, or a table.
#[derive(Debug)]
pub enum ClientPortsSpec {
    /// `["client"]`: declared ports, each published on its own number.
    Names(Vec<Spanned<String>>),
    /// `{ tcp-client = { port = 2181, target_port = "client" } }`: as `[service] ports`.
    Table(Map<ServicePortSpec>),
}

// Not `#[serde(untagged)]`: that buffers the input and loses the spans inside.
impl<'de> Deserialize<'de> for ClientPortsSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = ClientPortsSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of declared port names, or a table `{ tcp-client = { port = 2181, target_port = \"client\" } }`")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<ClientPortsSpec, A::Error> {
                Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(ClientPortsSpec::Names)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<ClientPortsSpec, A::Error> {
                Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(ClientPortsSpec::Table)
            }
        }
        d.deserialize_any(V)
    }
}

/// `disruption_budget`: `false` for none, `true` for the default, or a table.
#[derive(Debug)]
pub enum BudgetSpec {
    /// `true`: the default budget; `false`: none.
    Enabled(bool),
    /// `{ max_unavailable = 1 }` or `{ min_available = "50%" }`.
    Table(BudgetTable),
}

/// The table form of `disruption_budget`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetTable {
    /// Pods a voluntary disruption may take down at once: a number or a percentage.
    #[schemars(with = "Option<IntOrString>")]
    pub max_unavailable: Option<Spanned<IntOrString>>,
    /// Pods that must stay up: a number or a percentage.
    #[schemars(with = "Option<IntOrString>")]
    pub min_available: Option<Spanned<IntOrString>>,
}

// Not `#[serde(untagged)]`: that buffers the input and loses the spans inside.
impl<'de> Deserialize<'de> for BudgetSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = BudgetSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`false`, or a table `{ max_unavailable = 1 }`")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<BudgetSpec, E> {
                Ok(BudgetSpec::Enabled(v))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<BudgetSpec, A::Error> {
                Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(BudgetSpec::Table)
            }
        }
        d.deserialize_any(V)
    }
}

/// `[network_policy]`: ingress from the app's own pods on every declared
/// port, and from the listed sources.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkPolicySpec {
    /// Who else may connect: `{ pods = { label = "value" } }`, `{ namespace = "x" }`, or both.
    #[serde(default)]
    #[schemars(with = "Vec<PeerSpec>")]
    pub allow_from: Vec<Spanned<PeerSpec>>,
}

/// One source a NetworkPolicy admits.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeerSpec {
    /// Pods with these labels (in `namespace` when given, else in the app's).
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub pods: Option<Map<String>>,
    /// Every pod in this namespace (or those matching `pods`).
    #[schemars(with = "Option<String>")]
    pub namespace: Option<Spanned<String>>,
}

/// A number or a string such as `"25%"`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(untagged, expecting = "a number or a percentage such as \"25%\"")]
pub enum IntOrString {
    /// A number.
    Int(i64),
    /// A string.
    String(String),
}

/// `persistentVolumeClaimRetentionPolicy`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionSpec {
    /// `Retain` (default) or `Delete`.
    #[schemars(with = "Option<String>")]
    pub when_deleted: Option<Spanned<String>>,
    /// `Retain` (default) or `Delete`.
    #[schemars(with = "Option<String>")]
    pub when_scaled: Option<Spanned<String>>,
}

/// A volumeClaimTemplate and where the main container mounts it; or, with
/// `empty_dir` or `claim`, a pod volume.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VolumeSpec {
    /// Absolute path in the container (required), or a list of
    /// `{ path, sub_path, read_only }` to mount the volume at several paths.
    #[schemars(with = "Option<VolumeMountSpec>")]
    pub mount: Option<Spanned<VolumeMountSpec>>,
    /// Requested size, e.g. `"10Gi"` (required for a claim template).
    #[schemars(with = "Option<Quantity>")]
    pub size: Option<Spanned<Quantity>>,
    /// A scratch volume living as long as the pod: `true` or `{ medium, size_limit }`.
    #[schemars(with = "Option<EmptyDirSpec>")]
    pub empty_dir: Option<Spanned<EmptyDirSpec>>,
    /// An existing PersistentVolumeClaim, shared by every pod.
    #[schemars(with = "Option<String>")]
    pub claim: Option<Spanned<String>>,
    /// Storage class; none: the cluster's default.
    #[schemars(with = "Option<String>")]
    pub storage_class: Option<Spanned<String>>,
    /// Access modes (default `["ReadWriteOnce"]`).
    #[schemars(with = "Option<Vec<String>>")]
    pub access_modes: Option<Vec<Spanned<String>>>,
    /// Mount only this sub-path of the volume.
    #[schemars(with = "Option<String>")]
    pub sub_path: Option<Spanned<String>>,
    /// Mount read-only.
    pub read_only: Option<bool>,
    /// A claim template's own labels, exactly (default: the StatefulSet's selector).
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub labels: Option<Spanned<Map<String>>>,
    /// A claim template's annotations.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub annotations: Map<String>,
    /// A claim template's `volumeMode`: `Filesystem` or `Block` (default: not written,
    /// which Kubernetes reads as `Filesystem`).
    #[schemars(with = "Option<String>")]
    pub volume_mode: Option<Spanned<String>>,
    /// Instead of a claim template: a Secret volume of `[secrets.NAME]` (generated
    /// or `external`), named after this table; `mount` is then optional.
    #[schemars(with = "Option<String>")]
    pub secret: Option<Spanned<String>>,
    /// Instead of a claim template: a ConfigMap volume of `[configmaps.NAME]`
    /// (generated or `external`), named after this table; `mount` is then optional.
    #[schemars(with = "Option<String>")]
    pub configmap: Option<Spanned<String>>,
    /// Instead of a claim template: a projected volume, the keys of several
    /// ConfigMaps and Secrets in one folder: `[{ secret = "auth" }, { configmap =
    /// "conf", items = { "app.yml" = "app.yml" } }]`.
    #[schemars(with = "Option<Vec<ProjectedSourceSpec>>")]
    pub projected: Option<Spanned<Vec<Spanned<ProjectedSourceSpec>>>>,
    /// With `secret` or `configmap`: mount only these keys, `key = "relative/path"`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub items: Map<String>,
    /// With `secret`, `configmap` or `projected`: the files' mode, e.g. `0o440`.
    #[schemars(with = "Option<i64>")]
    pub default_mode: Option<Spanned<i64>>,
}

impl VolumeSpec {
    /// A pod volume of the description's ConfigMaps or Secrets: `secret`, `configmap` or `projected`.
    pub fn is_object_volume(&self) -> bool {
        self.secret.is_some() || self.configmap.is_some() || self.projected.is_some()
    }
}

/// One source of a `projected` volume: the keys of one `[secrets.NAME]` or
/// `[configmaps.NAME]` table (generated or `external`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectedSourceSpec {
    /// The `[secrets.NAME]` table whose keys the volume holds.
    #[schemars(with = "Option<String>")]
    pub secret: Option<Spanned<String>>,
    /// The `[configmaps.NAME]` table whose keys the volume holds.
    #[schemars(with = "Option<String>")]
    pub configmap: Option<Spanned<String>>,
    /// Only these keys, `key = "relative/path"` (default: every key, as a file of its name).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub items: Map<String>,
}

/// A volume's `mount`: one path, or the volume at several paths.
#[derive(Debug)]
pub enum VolumeMountSpec {
    /// `"/data"`: the whole volume (or `sub_path`) at one path.
    Path(String),
    /// `[{ path, sub_path, read_only }, ...]`: each entry one mount.
    List(Vec<Spanned<VolumeMountEntry>>),
}

/// One entry of a volume's `mount` list, or the table form of a
/// container's `mounts` entry (which names its `volume`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VolumeMountEntry {
    /// In a container's `mounts` only (required there): the `volumes`,
    /// `claims`, `configmaps` or `secrets` table to mount.
    #[schemars(with = "Option<String>")]
    pub volume: Option<Spanned<String>>,
    /// Absolute path in the container.
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    /// Mount only this relative path of the volume.
    #[schemars(with = "Option<String>")]
    pub sub_path: Option<Spanned<String>>,
    /// Mount read-only (default: the volume's `read_only`; a configmap or
    /// secret is always mounted read-only).
    pub read_only: Option<bool>,
}

/// One entry of a container's `mounts`.
#[derive(Debug, Clone)]
pub enum ContainerMount {
    /// `"data"`: the source at its own `mount` path (every path of a list).
    Name(String),
    /// `{ volume = "data", path = "/x", sub_path = "y", read_only = true }`:
    /// the source at a path of this container's own.
    At(VolumeMountEntry),
}

impl ContainerMount {
    /// The name of the source it mounts, if written.
    pub fn source(&self) -> Option<&str> {
        match self {
            ContainerMount::Name(n) => Some(n),
            ContainerMount::At(e) => e.volume.as_ref().map(|v| v.get_ref().as_str()),
        }
    }
}

// Not `#[serde(untagged)]`: that buffers the input and loses the spans inside.
impl<'de> Deserialize<'de> for ContainerMount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = ContainerMount;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a name, or a table `{ volume = \"data\", path = \"/data\" }`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ContainerMount, E> {
                Ok(ContainerMount::Name(v.to_owned()))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<ContainerMount, A::Error> {
                Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(ContainerMount::At)
            }
        }
        d.deserialize_any(V)
    }
}

// Not `#[serde(untagged)]`: that buffers the input and loses the spans inside.
impl<'de> Deserialize<'de> for VolumeMountSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = VolumeMountSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an absolute path, or a list `[{ path = \"/tmp\", sub_path = \"tmp\" }]`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<VolumeMountSpec, E> {
                Ok(VolumeMountSpec::Path(v.to_owned()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<VolumeMountSpec, A::Error> {
                Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(VolumeMountSpec::List)
            }
        }
        d.deserialize_any(V)
    }
}

/// `empty_dir`: `true`, or `{ medium = "Memory", size_limit = "64Mi" }`.
#[derive(Debug)]
pub enum EmptyDirSpec {
    /// `true`: on the node's disk; `false` is refused.
    Enabled(bool),
    /// The table form.
    Table(EmptyDirTable),
}

/// The table form of `empty_dir`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmptyDirTable {
    /// `Memory` for a tmpfs; none: the node's disk.
    #[schemars(with = "Option<String>")]
    pub medium: Option<Spanned<String>>,
    /// Most the volume may hold, e.g. `"64Mi"`.
    #[schemars(with = "Option<Quantity>")]
    pub size_limit: Option<Spanned<Quantity>>,
}

// Not `#[serde(untagged)]`: that buffers the input and loses the spans inside.
impl<'de> Deserialize<'de> for EmptyDirSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = EmptyDirSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`true`, or a table `{ medium = \"Memory\", size_limit = \"64Mi\" }`")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<EmptyDirSpec, E> {
                Ok(EmptyDirSpec::Enabled(v))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<EmptyDirSpec, A::Error> {
                Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(EmptyDirSpec::Table)
            }
        }
        d.deserialize_any(V)
    }
}

/// A generated ConfigMap or Secret: where its content comes from and how pods use it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// Secrets only: the Secret type (default `Opaque`).
    #[serde(rename = "type")]
    #[schemars(with = "Option<String>")]
    pub type_: Option<Spanned<String>>,
    /// Files and directories: `path`, `key=path` or `dir/`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub files: Vec<Spanned<String>>,
    /// Literal keys and values.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, SecretText>")]
    pub literals: Map<SecretText>,
    /// `KEY=VALUE` files.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub env_files: Vec<Spanned<String>>,
    /// Keys whose values are read from build-time environment variables: `KEY = "VAR"`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub from_env: Map<String>,
    /// `from_env` variables may be set but empty (by default that is an error).
    #[schemars(with = "Option<bool>")]
    pub allow_empty_env: Option<Spanned<bool>>,
    /// Secrets only: build a `.dockerconfigjson`.
    #[schemars(with = "Option<DockerRegistrySpec>")]
    pub docker_registry: Option<Spanned<DockerRegistrySpec>>,
    /// Environment variables of the main container: `VAR = "key"`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub env: EnvList<String>,
    /// Every key becomes an environment variable of the main container.
    #[schemars(with = "Option<bool>")]
    pub env_from: Option<Spanned<bool>>,
    /// Mount the keys as files in this directory, or one key as one file:
    /// `{ path = "/etc/app/app.yml", key = "app.yml" }`.
    #[schemars(with = "Option<DataMount>")]
    pub mount: Option<Spanned<DataMount>>,
    /// Mount only these keys, `key = "relative/path"`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub items: Map<String>,
    /// File mode of mounted keys, e.g. `0o440`.
    #[schemars(with = "Option<i64>")]
    pub default_mode: Option<Spanned<i64>>,
    /// Forbid changes to the object once created.
    #[schemars(with = "Option<bool>")]
    pub immutable: Option<Spanned<bool>>,
    /// Name the object `NAME-<content hash>`, as kustomize does.
    #[schemars(with = "Option<bool>")]
    pub hash_suffix: Option<Spanned<bool>>,
    /// Secrets only: use as an imagePullSecret.
    #[schemars(with = "Option<bool>")]
    pub image_pull: Option<Spanned<bool>>,
    /// Labels on this object only, over the app's key by key (as
    /// `[client_service] labels`). Not hashed: a `hash_suffix` name and
    /// the pods' config hash read the content only.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub labels: Map<String>,
    /// The object exists in the cluster (cert-manager, External Secrets...):
    /// never emitted, only referred to.
    #[schemars(with = "Option<bool>")]
    pub external: Option<Spanned<bool>>,
    /// With `external`: its keys, when known; references are then checked against them.
    #[schemars(with = "Option<Vec<String>>")]
    pub keys: Option<Vec<Spanned<String>>>,
}

/// Where a ConfigMap or Secret is mounted: a directory, or one key as one file.
#[derive(Debug)]
pub enum DataMount {
    /// Every key (or `items`) as files in this directory.
    Dir(String),
    /// `{ path, key }`: one key at this file path (a `subPath` mount).
    File {
        /// The file's absolute path.
        path: Spanned<String>,
        /// The key whose value the file holds.
        key: Spanned<String>,
    },
}

/// The table form of [`DataMount`].
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DataMountFile {
    /// The file's absolute path.
    #[schemars(with = "String")]
    path: Spanned<String>,
    /// The key whose value the file holds.
    #[schemars(with = "String")]
    key: Spanned<String>,
}

// Not `#[serde(untagged)]`: that buffers the input and loses the spans inside.
impl<'de> Deserialize<'de> for DataMount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = DataMount;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a directory path, or a table `{ path = \"/etc/app.yml\", key = \"app.yml\" }`",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DataMount, E> {
                Ok(DataMount::Dir(v.to_owned()))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<DataMount, A::Error> {
                let t: DataMountFile =
                    Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(DataMount::File {
                    path: t.path,
                    key: t.key,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// A docker registry login for a `kubernetes.io/dockerconfigjson` Secret.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DockerRegistrySpec {
    /// Registry server (default `https://index.docker.io/v1/`).
    #[schemars(with = "Option<String>")]
    pub server: Option<Spanned<String>>,
    /// User name.
    #[schemars(with = "String")]
    pub username: Spanned<String>,
    /// Password written here (prefer `password_env`).
    #[schemars(with = "Option<SecretText>")]
    pub password: Option<Spanned<SecretText>>,
    /// Environment variable holding the password at build time.
    #[schemars(with = "Option<String>")]
    pub password_env: Option<Spanned<String>>,
    /// Email, left out when empty.
    #[schemars(with = "Option<String>")]
    pub email: Option<Spanned<String>>,
}

/// A string that may be a secret: its `Debug` form never shows it.
#[derive(Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct SecretText(pub String);

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretText(<{} bytes>)", self.0.len())
    }
}

/// Parses a description. `file` names it in errors. (The driver parses
/// through [`from_document`], keeping the masked source for its errors.)
#[cfg(any(test, feature = "unstable-internals"))]
pub fn parse(file: &str, source: &str) -> Result<Spec, Error> {
    let (doc, syntax) = DeTable::parse_recoverable(source);
    let masked = Source::masked(source, doc.get_ref(), syntax.is_empty(), SPEC_FIELDS);
    from_document(file, source, &masked, doc, syntax)
}

/// At most this many unknown fields are taken out of a description, one
/// deserialization each, to report them all in one run...
const MAX_UNKNOWN: usize = 64;

/// ...and at most about this many bytes deserialized in all, so that a
/// 4 MB description is not deserialized 64 times. A table counts as
/// [`TABLE_BYTES`] bytes besides its text: copying one for each pass costs
/// far more than its few bytes of text (50 000 one-key tables, each an
/// unknown field, took 32 passes and seconds).
const MAX_UNKNOWN_BYTES: usize = 24 << 20;

/// What one table weighs against [`MAX_UNKNOWN_BYTES`].
const TABLE_BYTES: usize = 512;

/// The number of tables in `table`, itself included.
fn count_tables(table: &DeTable<'_>) -> usize {
    fn value(v: &DeValue<'_>) -> usize {
        match v {
            DeValue::Table(t) => count_tables(t),
            DeValue::Array(items) => items.iter().map(|i| value(i.get_ref())).sum(),
            _ => 0,
        }
    }
    1 + table.values().map(|v| value(v.get_ref())).sum::<usize>()
}

/// Deserializes a description already parsed into `doc` (with the `syntax`
/// errors the parse found), reporting every unknown field at once, in file
/// order. `source` is its text, `masked` the same text as errors may quote it.
pub fn from_document(
    file: &str,
    source: &str,
    masked: &Source,
    mut doc: Spanned<DeTable<'_>>,
    syntax: Vec<toml::de::Error>,
) -> Result<Spec, Error> {
    if let Some(e) = syntax.first() {
        let d = toml_diagnostic(e, source, masked, &doc);
        return Err(Error::new(ErrorKind::Parse, file, masked, vec![d]));
    }
    let (roles, mut diagnostics) = crate::read::layers::take_roles(doc.get_mut());
    let mut doubtful = Vec::new();
    // The roles first, each over a copy, so that the base then takes the
    // document itself: a copy costs what the parse did.
    let mut roles_found = Vec::new();
    for (name, table) in roles {
        let mut merged = doc.clone();
        crate::read::layers::merge(merged.get_mut(), table, &mut Vec::new());
        let mut found = Vec::new();
        let role = deserialize(source, masked, merged, &mut found, &mut doubtful);
        roles_found.push((name, role, found));
    }
    let spec = deserialize(source, masked, doc, &mut diagnostics, &mut doubtful);
    let mut role_specs = Vec::new();
    for (name, role, mut found) in roles_found {
        // The description's own mistakes are reported once, by the base.
        found.retain(|d| !diagnostics.contains(d));
        diagnostics.extend(found);
        role_specs.extend(role.map(|spec| RoleSpec { name, spec }));
    }
    if let (Some(mut spec), true) = (spec, diagnostics.is_empty()) {
        spec.roles = role_specs;
        return Ok(spec);
    }
    diagnostics.sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
    let masked = masked.mask_more(&doubtful);
    Err(Error::new(ErrorKind::Parse, file, masked, diagnostics))
}

/// Deserializes `doc`, adding every unknown field (and the first other
/// problem) to `diagnostics`; `None` when there is one.
fn deserialize(
    source: &str,
    masked: &Source,
    mut doc: Spanned<DeTable<'_>>,
    diagnostics: &mut Vec<Diagnostic>,
    doubtful: &mut Vec<Range<usize>>,
) -> Option<Spec> {
    let start = diagnostics.len();
    // An unknown field whose name suggests a secret (`password` written
    // outside its table, say) has its value masked too.
    let weight = source.len() + TABLE_BYTES * count_tables(doc.get_ref());
    let passes = (MAX_UNKNOWN_BYTES / weight).clamp(1, MAX_UNKNOWN);
    for _ in 0..passes {
        let e = match Spec::deserialize(toml::de::Deserializer::from(doc.clone())) {
            Ok(spec) if diagnostics.len() == start => return Some(spec),
            Ok(_) => break,
            Err(e) => e,
        };
        diagnostics.push(toml_diagnostic(&e, source, masked, &doc));
        let unknown = e.message().starts_with("unknown field `");
        let removed = e
            .span()
            .filter(|_| unknown)
            .and_then(|span| remove_key(doc.get_mut(), &span));
        match removed {
            Some((key, value)) if looks_secret(&key) => {
                doubtful.extend(value_spans(source, &value))
            }
            Some(_) => {}
            None => break,
        }
    }
    None
}

/// The diagnostic for one of toml's or serde's errors.
fn toml_diagnostic(
    e: &toml::de::Error,
    source: &str,
    masked: &Source,
    doc: &Spanned<DeTable<'_>>,
) -> Diagnostic {
    let message = e.message().trim_end();
    match e.span() {
        Some(span) => parse_diagnostic(message, span, source, masked, doc.get_ref()),
        None => Diagnostic::bare(message),
    }
}

/// Fields of [`DataSpec`] a ConfigMap does not have.
const SECRET_ONLY_FIELDS: &[&str] = &["type", "docker_registry", "image_pull"];

/// The keys leading to the key at `span`, from the document's root.
fn key_path<'a>(table: &'a DeTable<'_>, span: &Range<usize>) -> Option<Vec<&'a str>> {
    for (key, value) in table.iter() {
        if key.span() == *span {
            return Some(vec![key.get_ref().as_ref()]);
        }
        let inner = match value.get_ref() {
            DeValue::Table(t) => key_path(t, span),
            DeValue::Array(items) => items.iter().find_map(|item| match item.get_ref() {
                DeValue::Table(t) => key_path(t, span),
                _ => None,
            }),
            _ => None,
        };
        if let Some(mut path) = inner {
            path.insert(0, key.get_ref().as_ref());
            return Some(path);
        }
    }
    None
}

/// Where the key defined again at `again` was first defined: the same
/// `[table]` header on an earlier line, or the same key on an earlier line
/// of the same table. Read from the text: the parse keeps one of the two.
fn first_definition(text: &str, again: &Range<usize>) -> Option<Range<usize>> {
    let line_start = text.get(..again.start)?.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next()?;
    let line = line.strip_suffix('\r').unwrap_or(line);
    let key = text.get(again.clone())?;
    let offset = again.start - line_start;
    if line_start == 0 {
        return None;
    }
    // Each earlier line runs from `start` to the `\n` at `end`.
    let mut end = line_start - 1;
    for earlier in text[..end].split('\n').rev() {
        let start = end - earlier.len();
        end = start.saturating_sub(1);
        let earlier = earlier.strip_suffix('\r').unwrap_or(earlier);
        let trimmed = earlier.trim_start();
        if line.trim_start().starts_with('[') {
            if earlier.trim() == line.trim() {
                let shift = (earlier.len() - trimmed.len()) as isize
                    - (line.len() - line.trim_start().len()) as isize;
                let at = (start + offset).checked_add_signed(shift)?;
                return Some(at..at + key.len());
            }
        } else if trimmed.starts_with('[') {
            return None;
        } else if let Some(rest) = trimmed.strip_prefix(key) {
            if rest.trim_start().starts_with('=') {
                let at = start + earlier.len() - trimmed.len();
                return Some(at..at + key.len());
            }
        }
    }
    None
}

/// Removes the key at `span` (and its value) from `table`, wherever it is
/// nested; returns the key's name and its value.
fn remove_key<'i>(
    table: &mut DeTable<'i>,
    span: &Range<usize>,
) -> Option<(String, Spanned<DeValue<'i>>)> {
    if let Some(key) = table.keys().find(|k| k.span() == *span).cloned() {
        return table
            .remove(&key)
            .map(|value| (key.get_ref().to_string(), value));
    }
    table
        .iter_mut()
        .find_map(|(_, value)| match value.get_mut() {
            DeValue::Table(t) => remove_key(t, span),
            DeValue::Array(items) => items.iter_mut().find_map(|item| match item.get_mut() {
                DeValue::Table(t) => remove_key(t, span),
                _ => None,
            }),
            _ => None,
        })
}

/// Turns toml's and serde's message into one a person can act on: a
/// suggestion for a misspelt field, the expected type in TOML's words, the fix
/// for an unquoted string.
///
/// serde's "invalid type" messages quote the value found (`integer `12345``),
/// which may be a password: the found value is described by its TOML kind only,
/// read from the source text.
///
/// Text from the description is quoted from `masked`, never from `source`;
/// a message about a masked value is replaced by a generic one.
fn parse_diagnostic(
    message: &str,
    span: Range<usize>,
    source: &str,
    masked: &Source,
    doc: &DeTable<'_>,
) -> Diagnostic {
    let found_text = source.get(span.clone()).unwrap_or("");
    let shown_text = masked.text().get(span.clone()).unwrap_or("");
    if let Some(rest) = message.strip_prefix("unknown field `") {
        return unknown_field(rest, span, doc);
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        let top_level = span.start == 0 && !source.trim_start().starts_with('[');
        let label = if top_level {
            format!("the description needs `{field}`")
        } else {
            format!("this table needs `{field}`")
        };
        return Diagnostic::error(format!("missing field `{field}`"), span, label)
            .with_help(format!("add `{field} = ...`"));
    }
    if message == "duplicate key" {
        let name = shown_text.trim();
        let d = Diagnostic::error(
            format!("`{name}` is defined twice"),
            span.clone(),
            "defined again here",
        )
        .with_help("a key can appear once in a table; merge the two or remove one");
        return match first_definition(masked.text(), &span) {
            Some(first) => d.with_label(first, "first defined here"),
            None => d,
        };
    }
    if message.starts_with("string values must be quoted")
        || message.starts_with("invalid float, expected `nan`")
        || message.starts_with("invalid float, expected `inf`")
        || message.starts_with("invalid boolean")
    {
        return Diagnostic::error("string values must be quoted", span, "unquoted string")
            .with_help("put the value in double quotes");
    }
    let expected = if let Some(rest) = message.strip_prefix("invalid type: ") {
        rest.split_once(", expected ").map(|(_, e)| e)
    } else if let Some(rest) = message.strip_prefix("invalid value: ") {
        rest.split_once(", expected ").map(|(_, e)| e)
    } else if message.starts_with("a ") || message.starts_with('"') {
        // An untagged enum's `expecting` text, which serde uses as the whole message.
        Some(message)
    } else {
        None
    };
    let Some(expected) = expected else {
        if shown_text != found_text {
            // serde may quote the value (`unknown variant `...``): not a secret's.
            return Diagnostic::error("invalid value", span, "here");
        }
        return Diagnostic::error(message.to_owned(), span, "here");
    };
    let expected = toml_type_name(expected);
    let found = found_kind(found_text);
    let d = Diagnostic::error(
        format!("wrong type: expected {expected}, found {found}"),
        span,
        format!("this is {found}"),
    );
    match (expected.as_str(), found) {
        ("an integer" | "a boolean", "a string") => d.with_help("remove the quotes"),
        (e, "a string") if e.contains("number") => d.with_help("remove the quotes"),
        ("a string", "an integer" | "a float" | "a boolean") => {
            d.with_help("put the value in double quotes")
        }
        ("an array", _) => d.with_help("write a list in brackets: `[\"a\", \"b\"]`"),
        _ => d,
    }
}

/// serde's "unknown field `x`, expected one of ..." (`rest` follows its
/// first backtick) as a diagnostic: the closest field, or the list, or a
/// word on a Kubernetes habit (`metadata` in a ConfigMap table, a
/// container's security setting written for the pod).
fn unknown_field(rest: &str, span: Range<usize>, doc: &DeTable<'_>) -> Diagnostic {
    let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
    let path = key_path(doc, &span);
    let configmap = matches!(path.as_deref(), Some(["configmaps", _, _]));
    let in_data = matches!(path.as_deref(), Some([t, _, _]) if *t == "configmaps" || *t == "secrets");
    if in_data && field == "metadata" {
        return Diagnostic::error("unknown field `metadata`", span, "not a Kubernetes manifest")
            .with_help("the object's name is the table's key; write its labels in the table itself: `labels = { ... }`");
    }
    let in_pod = path.as_deref().and_then(|p| p.iter().rev().nth(1)) == Some(&"pod_security_context");
    if in_pod && CONTAINER_ONLY_SECURITY.contains(&field) {
        return Diagnostic::error(
            format!("`{field}` is a container setting, not a pod's"),
            span,
            "not pod-wide",
        )
        .with_help("write it in `security_context` (the main container's) or in a container's own");
    }
    let candidates: Vec<&str> = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| !s.is_empty())
        .filter(|s| !(configmap && SECRET_ONLY_FIELDS.contains(s)))
        .collect();
    let d = Diagnostic::error(format!("unknown field `{field}`"), span, "unknown field");
    match did_you_mean(field, candidates.iter().copied()) {
        Some(best) => d.with_help(format!("did you mean `{best}`?")),
        None if candidates.is_empty() => d,
        None => d.with_help(format!("expected one of {}", quote_list(&candidates))),
    }
}

/// serde's and Rust's names for a type, in TOML's words.
fn toml_type_name(expected: &str) -> String {
    match expected {
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" => {
            "an integer".into()
        }
        "f32" | "f64" => "a number".into(),
        "a sequence" => "an array".into(),
        "a map" => "a table".into(),
        e if e.starts_with("struct ") => "a table".into(),
        e => e.into(),
    }
}

/// What kind of TOML value `text` is, judged by its first character (never
/// repeating the value: it may be a secret).
fn found_kind(text: &str) -> &'static str {
    match text.trim_start().chars().next() {
        Some('"' | '\'') => "a string",
        Some('[') => "an array",
        Some('{') => "a table",
        Some('t' | 'f') => "a boolean",
        Some(_) if text.contains(['.', 'e', 'E']) && !text.starts_with("0x") => "a float",
        Some(_) => "an integer",
        None => "a value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_top_level_field_suggests_the_right_one() {
        let err = parse("web.toml", "name = \"web\"\nimage = \"x\"\nreplica = 3\n").unwrap_err();
        let d = &err.diagnostics()[0];
        assert_eq!(d.message, "unknown field `replica`");
        assert_eq!(d.help.as_deref(), Some("did you mean `replicas`?"));
        assert_eq!(d.span, Some(25..32));
    }

    #[test]
    fn spec_fields_list_matches_the_struct() {
        // Every listed field parses, so the list cannot drift from the struct.
        for field in SPEC_FIELDS {
            let src = format!("name = \"a\"\n{field} = 1\n");
            let err = parse("a.toml", &src);
            if let Err(e) = err {
                assert!(
                    !e.diagnostics()[0].message.starts_with("unknown field"),
                    "{field}: {}",
                    e.diagnostics()[0].message
                );
            }
        }
    }

    #[test]
    fn secret_text_debug_hides_the_value() {
        let s = SecretText("hunter2".into());
        assert_eq!(format!("{s:?}"), "SecretText(<7 bytes>)");
    }
}
