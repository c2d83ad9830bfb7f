//! What stage 2 (lowering) gives and stages 3 and 4 take: the resolved app.
//!
//! Everything here is decided: defaults are filled in, names, labels,
//! selectors and references are resolved, every file and variable has been
//! read and every value checked. An `Option` means "not emitted" (the
//! Kubernetes default applies), never "use the default". Templates read these
//! structs through `serde` and only lay them out.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use serde::{Serialize, Serializer};

pub mod quantity;

pub use quantity::Quantity;

/// Defines a Kubernetes keyword: an enum with one spelling per variant
/// (`as_str`, also its `Display` and serialized form) and `parse`, the
/// inverse. `ALL` lists the variants in the order messages show them.
macro_rules! keyword {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $(#[doc = concat!("`", $text, "`.")] $variant),+
        }

        impl $name {
            /// Every value, in the order messages list them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as Kubernetes spells it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

        }

        impl Keyword for $name {
            fn all() -> &'static [Self] {
                Self::ALL
            }

            fn spelling(self) -> &'static str {
                self.as_str()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

/// A value from a fixed set, spelled as Kubernetes spells it.
pub trait Keyword: Sized + Copy + 'static {
    /// Every value, in the order messages list them.
    fn all() -> &'static [Self];
    /// The value's spelling.
    fn spelling(self) -> &'static str;
    /// The value spelled `text`, exactly as Kubernetes spells it.
    fn parse(text: &str) -> Option<Self> {
        Self::all().iter().copied().find(|k| k.spelling() == text)
    }
}

keyword! {
    /// A port's protocol.
    Protocol { Tcp = "TCP", Udp = "UDP", Sctp = "SCTP" }
}

keyword! {
    /// `fsGroupChangePolicy`: when the kubelet gives mounted volumes to the `fsGroup`.
    FsGroupChangePolicy { Always = "Always", OnRootMismatch = "OnRootMismatch" }
}

keyword! {
    /// A Service's `trafficDistribution`: which endpoints its clients prefer.
    TrafficDistribution {
        Close = "PreferClose",
        SameZone = "PreferSameZone",
        SameNode = "PreferSameNode",
    }
}

keyword! {
    /// `podManagementPolicy`: how pods are started and stopped.
    PodManagementPolicy { OrderedReady = "OrderedReady", Parallel = "Parallel" }
}

keyword! {
    /// `updateStrategy.type`: how pods are replaced.
    UpdateStrategyType { RollingUpdate = "RollingUpdate", OnDelete = "OnDelete" }
}

keyword! {
    /// What happens to claims when the StatefulSet is deleted or scaled down.
    Retention { Retain = "Retain", Delete = "Delete" }
}

keyword! {
    /// A claim's access mode.
    // Kubernetes' own spellings all start with `Read`.
    #[allow(clippy::enum_variant_names)]
    AccessMode {
        ReadWriteOnce = "ReadWriteOnce",
        ReadOnlyMany = "ReadOnlyMany",
        ReadWriteMany = "ReadWriteMany",
        ReadWriteOncePod = "ReadWriteOncePod",
    }
}

keyword! {
    /// A claim's `volumeMode`.
    VolumeMode { Filesystem = "Filesystem", Block = "Block" }
}

keyword! {
    /// `imagePullPolicy`.
    PullPolicy { Always = "Always", IfNotPresent = "IfNotPresent", Never = "Never" }
}

keyword! {
    /// `seccompProfile.type` (a `Localhost` profile needs a file on the node: not offered).
    SeccompProfile { RuntimeDefault = "RuntimeDefault", Unconfined = "Unconfined" }
}

keyword! {
    /// A toleration's operator.
    TolerationOperator { Equal = "Equal", Exists = "Exists" }
}

keyword! {
    /// A taint's effect.
    TaintEffect {
        NoSchedule = "NoSchedule",
        PreferNoSchedule = "PreferNoSchedule",
        NoExecute = "NoExecute",
    }
}

keyword! {
    /// A topology spread's `whenUnsatisfiable`.
    WhenUnsatisfiable { DoNotSchedule = "DoNotSchedule", ScheduleAnyway = "ScheduleAnyway" }
}

keyword! {
    /// `dnsPolicy`.
    DnsPolicy {
        ClusterFirst = "ClusterFirst",
        ClusterFirstWithHostNet = "ClusterFirstWithHostNet",
        Default = "Default",
        None = "None",
    }
}

keyword! {
    /// An emptyDir's `medium` (the node's disk when unset).
    StorageMedium { Memory = "Memory" }
}

keyword! {
    /// A client Service's `type`.
    ServiceType { ClusterIp = "ClusterIP", NodePort = "NodePort", LoadBalancer = "LoadBalancer" }
}

keyword! {
    /// A Job pod's `restartPolicy` (Kubernetes refuses `Always` for Jobs).
    RestartPolicy { OnFailure = "OnFailure", Never = "Never" }
}

keyword! {
    /// A CronJob's `concurrencyPolicy`: what a run does while the last one still runs.
    ConcurrencyPolicy { Allow = "Allow", Forbid = "Forbid", Replace = "Replace" }
}

keyword! {
    /// An HTTP probe's or hook's scheme.
    HttpScheme { Http = "HTTP", Https = "HTTPS" }
}

/// A Secret's type: the ones Kubernetes defines, or any other (an open set,
/// as in Kubernetes). Serialized as its spelling.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecretType {
    /// `Opaque`: no rules.
    Opaque,
    /// `kubernetes.io/tls`: `tls.crt` and `tls.key`, a matching pair.
    Tls,
    /// `kubernetes.io/dockerconfigjson`: `.dockerconfigjson`, JSON.
    DockerConfigJson,
    /// `kubernetes.io/dockercfg`: `.dockercfg`, JSON.
    DockerCfg,
    /// `kubernetes.io/basic-auth`: `username` or `password`.
    BasicAuth,
    /// `kubernetes.io/ssh-auth`: `ssh-privatekey`.
    SshAuth,
    /// `kubernetes.io/service-account-token`: filled in by the cluster.
    ServiceAccountToken,
    /// Any other type, as written.
    Other(String),
}

impl SecretType {
    pub(crate) const KNOWN: [(SecretType, &'static str); 7] = [
        (SecretType::Opaque, "Opaque"),
        (SecretType::Tls, "kubernetes.io/tls"),
        (
            SecretType::DockerConfigJson,
            "kubernetes.io/dockerconfigjson",
        ),
        (SecretType::DockerCfg, "kubernetes.io/dockercfg"),
        (SecretType::BasicAuth, "kubernetes.io/basic-auth"),
        (SecretType::SshAuth, "kubernetes.io/ssh-auth"),
        (
            SecretType::ServiceAccountToken,
            "kubernetes.io/service-account-token",
        ),
    ];

    /// The type spelled `text`.
    pub fn parse(text: &str) -> SecretType {
        Self::KNOWN
            .into_iter()
            .find(|(_, spelling)| *spelling == text)
            .map_or_else(|| SecretType::Other(text.to_owned()), |(t, _)| t)
    }

    /// The type as Kubernetes spells it.
    pub fn as_str(&self) -> &str {
        match self {
            SecretType::Other(text) => text,
            known => Self::KNOWN
                .iter()
                .find(|(t, _)| t == known)
                .map_or("", |(_, spelling)| spelling),
        }
    }

    /// Whether a pod can pull images with a Secret of this type.
    pub fn is_registry(&self) -> bool {
        matches!(self, SecretType::DockerConfigJson | SecretType::DockerCfg)
    }
}

impl fmt::Display for SecretType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for SecretType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Labels or annotations, in key order.
pub type StringMap = BTreeMap<String, String>;

/// Every object of one app, in the order `kubectl apply` should see them:
/// Namespace, ServiceAccount, ConfigMaps, Secrets, the headless then the
/// client Service, PersistentVolumeClaims, PodDisruptionBudget,
/// NetworkPolicy, StatefulSet, Jobs, CronJobs.
#[derive(Debug, Clone, Serialize)]
pub struct Model {
    /// The Namespace, when `create_namespace` asks for it.
    pub namespace: Option<Namespace>,
    /// The pods' ServiceAccount, when kubetoml creates it.
    pub service_account: Option<ServiceAccount>,
    /// What the account may do: its Role, then its ClusterRole, each when it has rules.
    pub roles: Vec<Role>,
    /// The bindings of [`Model::roles`] to the account, in the same order.
    pub role_bindings: Vec<RoleBinding>,
    /// Generated ConfigMaps, by name.
    pub config_maps: Vec<ConfigMap>,
    /// Generated Secrets, by name.
    pub secrets: Vec<Secret>,
    /// The headless Service.
    pub service: Service,
    /// The Service clients connect to, when there is one.
    pub client_service: Option<ClientService>,
    /// The PodDisruptionBudget, when there is one.
    pub disruption_budget: Option<DisruptionBudget>,
    /// The NetworkPolicy, when there is one.
    pub network_policy: Option<NetworkPolicy>,
    /// The StatefulSet.
    pub stateful_set: StatefulSet,
    /// With `[roles.NAME]`: the name of the role whose objects the fields
    /// above hold (the first role); `None` without roles.
    pub role: Option<String>,
    /// With `[roles.NAME]`: each other role's own objects, in the
    /// description's order. The ConfigMaps, Secrets, ServiceAccount,
    /// NetworkPolicy and Namespace above are every role's.
    pub other_roles: Vec<RoleObjects>,
    /// `[claims.X]`: standalone PersistentVolumeClaims, by name.
    pub claims: Vec<PersistentVolumeClaim>,
    /// `[jobs.X]`, by table name.
    pub jobs: Vec<Job>,
    /// `[cronjobs.X]`, by table name.
    pub cron_jobs: Vec<CronJob>,
    /// The user's own objects from `extra_manifests`, appended in file order.
    pub extra_manifests: Vec<ExtraManifest>,
}

/// One role's own objects. Invariant: the selectors of two roles never
/// select each other's pods.
#[derive(Debug, Clone, Serialize)]
pub struct RoleObjects {
    /// The role's name, as written in `[roles.NAME]`.
    pub role: String,
    /// Its headless Service.
    pub service: Service,
    /// Its client Service, when it asks for one.
    pub client_service: Option<ClientService>,
    /// Its PodDisruptionBudget, when it asks for one.
    pub disruption_budget: Option<DisruptionBudget>,
    /// Its StatefulSet.
    pub stateful_set: StatefulSet,
}

impl Model {
    /// Every role's objects, the first role's (or the only StatefulSet's) first.
    pub fn workloads(&self) -> Vec<Workload<'_>> {
        let first = Workload {
            service: &self.service,
            client_service: self.client_service.as_ref(),
            disruption_budget: self.disruption_budget.as_ref(),
            stateful_set: &self.stateful_set,
        };
        let others = self.other_roles.iter().map(|r| Workload {
            service: &r.service,
            client_service: r.client_service.as_ref(),
            disruption_budget: r.disruption_budget.as_ref(),
            stateful_set: &r.stateful_set,
        });
        std::iter::once(first).chain(others).collect()
    }
}

/// One StatefulSet's own objects, as [`Model::workloads`] lists them.
#[derive(Debug, Clone, Copy)]
pub struct Workload<'a> {
    /// The headless Service.
    pub service: &'a Service,
    /// The client Service, when there is one.
    pub client_service: Option<&'a ClientService>,
    /// The PodDisruptionBudget, when there is one.
    pub disruption_budget: Option<&'a DisruptionBudget>,
    /// The StatefulSet.
    pub stateful_set: &'a StatefulSet,
}

/// A Namespace. Invariant: `metadata.namespace` is `None`.
#[derive(Debug, Clone, Serialize)]
pub struct Namespace {
    /// Metadata; the name is the app's namespace.
    pub metadata: Metadata,
}

/// A ServiceAccount the pods run as. Invariant: the pod template names it.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceAccount {
    /// Metadata.
    pub metadata: Metadata,
}

/// A Role or a ClusterRole granting the pods' service account its rules.
/// Invariant: `kind` is [`Kind::Role`] (namespaced) or [`Kind::ClusterRole`]
/// (no namespace, its name holds the app's namespace); `rules` is not empty.
#[derive(Debug, Clone, Serialize)]
pub struct Role {
    /// `Role` or `ClusterRole`.
    pub kind: Kind,
    /// Metadata.
    pub metadata: Metadata,
    /// Its rules, in the order written (a rule whose resources span groups
    /// is one rule per group).
    pub rules: Vec<PolicyRule>,
}

/// One RBAC rule. Invariant: `api_groups`, `resources` and `verbs` are not empty.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PolicyRule {
    /// `apiGroups`; `""` is the core group.
    pub api_groups: Vec<String>,
    /// `resources`.
    pub resources: Vec<String>,
    /// `resourceNames`; empty: every object.
    pub resource_names: Vec<String>,
    /// `verbs`.
    pub verbs: Vec<String>,
}

/// A RoleBinding or ClusterRoleBinding of one [`Role`] to the pods' service
/// account. Invariant: `kind` is `RoleBinding` for a `Role`,
/// `ClusterRoleBinding` for a `ClusterRole`; a ClusterRoleBinding names the
/// account's namespace.
#[derive(Debug, Clone, Serialize)]
pub struct RoleBinding {
    /// `RoleBinding` or `ClusterRoleBinding`.
    pub kind: Kind,
    /// Metadata.
    pub metadata: Metadata,
    /// `roleRef.kind`: `Role` or `ClusterRole`.
    pub role_kind: Kind,
    /// `roleRef.name`.
    pub role_name: String,
    /// The service account's name.
    pub account: String,
    /// The service account's namespace, when known.
    pub account_namespace: Option<String>,
}

/// A Service with a cluster address. Invariant: `selector` equals the
/// StatefulSet's selector; every port targets a declared container port by name.
#[derive(Debug, Clone, Serialize)]
pub struct ClientService {
    /// Metadata.
    pub metadata: Metadata,
    /// `ClusterIP`, `NodePort` or `LoadBalancer`.
    #[serde(rename = "type")]
    pub type_: ServiceType,
    /// Pod labels it selects.
    pub selector: StringMap,
    /// Published ports, at least one.
    pub ports: Vec<ServicePort>,
    /// `trafficDistribution`, emitted when set.
    pub traffic_distribution: Option<TrafficDistribution>,
}

/// A PodDisruptionBudget. Invariant: `selector` equals the StatefulSet's
/// selector; exactly one of the two limits is set, and it allows at least
/// one eviction when every pod is up.
#[derive(Debug, Clone, Serialize)]
pub struct DisruptionBudget {
    /// Metadata.
    pub metadata: Metadata,
    /// `selector.matchLabels`.
    pub selector: StringMap,
    /// `maxUnavailable`.
    pub max_unavailable: Option<IntOrString>,
    /// `minAvailable`.
    pub min_available: Option<IntOrString>,
}

/// An ingress NetworkPolicy for the app's pods. Invariant: `pod_selector`
/// equals the StatefulSet's selector; `from` starts with the app's own pods.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkPolicy {
    /// Metadata.
    pub metadata: Metadata,
    /// `podSelector.matchLabels`: the pods it protects.
    pub pod_selector: StringMap,
    /// Who may connect: the app's own pods first, then the listed sources.
    pub from: Vec<NetworkPeer>,
    /// Every port declared by a container of the pod; none: no ingress rule
    /// (nothing listens, nothing is admitted).
    pub ports: Vec<PolicyPort>,
}

/// A NetworkPolicy source. Invariant: at least one of the two is set.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkPeer {
    /// `podSelector.matchLabels` (empty: every pod); none: no pod selector.
    pub pod_labels: Option<StringMap>,
    /// `namespaceSelector.matchLabels` (`kubernetes.io/metadata.name`); none: the policy's namespace.
    pub namespace_labels: Option<StringMap>,
}

/// A port a NetworkPolicy admits.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyPort {
    /// Port number on the pod.
    pub port: i64,
    /// Its protocol.
    pub protocol: Protocol,
}

/// Object metadata. Invariant: `name` is a valid object name for its kind.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Metadata {
    /// Object name.
    pub name: String,
    /// Namespace, when the description names one.
    pub namespace: Option<String>,
    /// Labels: the recommended ones and the user's.
    pub labels: StringMap,
    /// Annotations.
    pub annotations: StringMap,
}

/// A ConfigMap. Invariant: keys are valid and unique across `data` and `binary_data`.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigMap {
    /// Metadata.
    pub metadata: Metadata,
    /// UTF-8 values.
    pub data: StringMap,
    /// Other values, as the exact bytes (serialized as standard base64).
    pub binary_data: BTreeMap<String, Bytes>,
    /// Emitted as `immutable: true` when set.
    pub immutable: bool,
}

/// A Secret. Invariant: keys are valid and unique; the type's required keys are present.
#[derive(Debug, Clone, Serialize)]
pub struct Secret {
    /// Metadata.
    pub metadata: Metadata,
    /// The Secret type, e.g. `Opaque`.
    #[serde(rename = "type")]
    pub type_: SecretType,
    /// Values, as the exact bytes (serialized as standard base64).
    pub data: BTreeMap<String, SecretBytes>,
    /// Emitted as `immutable: true` when set.
    pub immutable: bool,
}

/// Bytes shown to templates as standard padded base64.
#[derive(Clone, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bytes(<{} bytes>)", self.0.len())
    }
}

/// A secret's bytes: shown to templates as base64, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(pub Vec<u8>);

impl Serialize for SecretBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes(<redacted, {} bytes>)", self.0.len())
    }
}

/// The headless Service. Invariant: `selector` equals the StatefulSet's selector.
#[derive(Debug, Clone, Serialize)]
pub struct Service {
    /// Metadata.
    pub metadata: Metadata,
    /// Pod labels it selects.
    pub selector: StringMap,
    /// Published ports; each targets a declared container port by name, or a number.
    pub ports: Vec<ServicePort>,
    /// `publishNotReadyAddresses`, emitted when true.
    pub publish_not_ready_addresses: bool,
    /// `trafficDistribution`, emitted when set.
    pub traffic_distribution: Option<TrafficDistribution>,
}

/// A Service port.
#[derive(Debug, Clone, Serialize)]
pub struct ServicePort {
    /// Port name (by default a container port's name).
    pub name: String,
    /// Port number on the Service.
    pub port: i64,
    /// The container port it forwards to: a declared port's name, or a number.
    pub target_port: IntOrString,
    /// The container port's protocol (TCP for a number no container declares).
    pub protocol: Protocol,
}

/// The StatefulSet. Invariant: `selector` is a subset of the pod template's labels.
#[derive(Debug, Clone, Serialize)]
pub struct StatefulSet {
    /// Metadata.
    pub metadata: Metadata,
    /// Number of pods.
    pub replicas: i64,
    /// Immutable selector: only labels that never change.
    pub selector: StringMap,
    /// The headless Service's name.
    pub service_name: String,
    /// `podManagementPolicy`.
    pub pod_management_policy: PodManagementPolicy,
    /// How pods are replaced.
    pub update_strategy: UpdateStrategy,
    /// `minReadySeconds`.
    pub min_ready_seconds: Option<i64>,
    /// `revisionHistoryLimit`.
    pub revision_history_limit: Option<i64>,
    /// `persistentVolumeClaimRetentionPolicy`.
    pub pvc_retention_policy: Option<RetentionPolicy>,
    /// `ordinals.start`.
    pub ordinals_start: Option<i64>,
    /// The pod template.
    pub pod: PodTemplate,
    /// volumeClaimTemplates, by name.
    pub claims: Vec<Claim>,
}

/// `updateStrategy`.
#[derive(Debug, Clone, Serialize)]
pub struct UpdateStrategy {
    /// `RollingUpdate` or `OnDelete`.
    #[serde(rename = "type")]
    pub type_: UpdateStrategyType,
    /// `rollingUpdate.partition`.
    pub partition: Option<i64>,
    /// `rollingUpdate.maxUnavailable`.
    pub max_unavailable: Option<IntOrString>,
}

/// A number or a string, as Kubernetes' IntOrString.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum IntOrString {
    /// A number.
    Int(i64),
    /// A string (a port name, a percentage).
    String(String),
}

/// `persistentVolumeClaimRetentionPolicy`.
#[derive(Debug, Clone, Serialize)]
pub struct RetentionPolicy {
    /// When the StatefulSet is deleted.
    pub when_deleted: Retention,
    /// When it is scaled down.
    pub when_scaled: Retention,
}

/// A standalone PersistentVolumeClaim (`[claims.X]`), named `<app>-<X>`.
#[derive(Debug, Clone, Serialize)]
pub struct PersistentVolumeClaim {
    /// Metadata.
    pub metadata: Metadata,
    /// The `[claims.X]` table's name: what `mounts` lists.
    pub key: String,
    /// Access modes; `ReadWriteOncePod` only alone.
    pub access_modes: Vec<AccessMode>,
    /// Storage class; none: the cluster default.
    pub storage_class: Option<String>,
    /// Requested size, more than zero.
    pub size: Quantity,
}

/// What a Job does with its pods. An `Option` is left to Kubernetes' default.
#[derive(Debug, Clone, Serialize)]
pub struct JobSettings {
    /// `backoffLimit`, at least 0.
    pub backoff_limit: Option<i64>,
    /// `activeDeadlineSeconds`, at least 1.
    pub active_deadline: Option<i64>,
    /// `ttlSecondsAfterFinished`, at least 0; always emitted (kubetoml's default: a day).
    pub ttl_after_finished: i64,
    /// `parallelism`, at least 0.
    pub parallelism: Option<i64>,
    /// `completions`, at least 1.
    pub completions: Option<i64>,
}

/// A Job (`[jobs.X]`). Invariant: `metadata.name` is `<app>-<X>-<hash>`,
/// the hash covering everything else here, and fits the 63 characters of
/// the `job-name` label; the pod's labels match no selector of the app's
/// other objects; `pod.restart_policy` is set.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    /// Metadata.
    pub metadata: Metadata,
    /// The `[jobs.X]` table's name.
    pub key: String,
    /// What it does with its pods.
    pub settings: JobSettings,
    /// The pod template.
    pub pod: PodTemplate,
}

/// A CronJob (`[cronjobs.X]`). Invariant: `metadata.name` is `<app>-<X>`, at
/// most 52 characters (the controller appends 11 to name each Job);
/// `schedule` parses as the API server's cron parser reads it; `time_zone` is
/// an IANA name; the pod's labels match no selector of the app's other objects.
#[derive(Debug, Clone, Serialize)]
pub struct CronJob {
    /// Metadata.
    pub metadata: Metadata,
    /// The `[cronjobs.X]` table's name.
    pub key: String,
    /// `schedule`, as written.
    pub schedule: String,
    /// `timeZone`.
    pub time_zone: Option<String>,
    /// `concurrencyPolicy`, always emitted (kubetoml's default: `Forbid`).
    pub concurrency_policy: ConcurrencyPolicy,
    /// `startingDeadlineSeconds`.
    pub starting_deadline: Option<i64>,
    /// `suspend`.
    pub suspend: Option<bool>,
    /// `successfulJobsHistoryLimit`.
    pub successful_jobs_history: Option<i64>,
    /// `failedJobsHistoryLimit`.
    pub failed_jobs_history: Option<i64>,
    /// Labels of the Jobs it starts (`jobTemplate.metadata.labels`): the pods'.
    pub job_labels: StringMap,
    /// What each Job does with its pods.
    pub settings: JobSettings,
    /// The pod template.
    pub pod: PodTemplate,
}

/// The pod template.
#[derive(Debug, Clone, Serialize)]
pub struct PodTemplate {
    /// `restartPolicy`: a Job's pods only (a StatefulSet's are `Always`, left out).
    pub restart_policy: Option<RestartPolicy>,
    /// Labels: the selector's and the rest.
    pub labels: StringMap,
    /// Annotations: the app's, the pods' own, and the config hash.
    pub annotations: StringMap,
    /// `priorityClassName`.
    pub priority_class_name: Option<String>,
    /// Service account name.
    pub service_account: Option<String>,
    /// `automountServiceAccountToken`, when written or set by `pod_security = "restricted"` (see [`crate::check::policy::harden`]).
    pub automount_service_account_token: Option<bool>,
    /// `enableServiceLinks`, when written.
    /// Left out of the serialized model when unset, so a Job's name (a hash
    /// of its pod) stays what it was before the field existed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_service_links: Option<bool>,
    /// Pod-wide security settings.
    pub security_context: Option<PodSecurityContext>,
    /// Whether `pod_security_context` wrote `security_context` exactly: a
    /// Pod Security level then fills in the containers, never the pod.
    /// Not serialized (a Job's name is a hash of its pod).
    #[serde(skip)]
    pub security_context_exact: bool,
    /// `nodeSelector`.
    pub node_selector: StringMap,
    /// `tolerations`.
    pub tolerations: Vec<Toleration>,
    /// `topologySpreadConstraints`.
    pub topology_spread: Vec<TopologySpread>,
    /// `terminationGracePeriodSeconds`.
    pub termination_grace_period: Option<i64>,
    /// `hostAliases`: extra `/etc/hosts` entries.
    pub host_aliases: Vec<HostAlias>,
    /// `affinity`, when any is written.
    pub affinity: Option<Affinity>,
    /// `dnsPolicy`, when written.
    pub dns_policy: Option<DnsPolicy>,
    /// `dnsConfig`, when any of it is written.
    pub dns_config: Option<DnsConfig>,
    /// `imagePullSecrets`, by name.
    pub image_pull_secrets: Vec<String>,
    /// Init containers, in order.
    pub init_containers: Vec<Container>,
    /// The main container first, then the sidecars.
    pub containers: Vec<Container>,
    /// ConfigMap and Secret volumes (claims come from the templates).
    pub volumes: Vec<PodVolume>,
    /// emptyDir and existing-claim volumes, by name.
    pub other_volumes: Vec<OtherVolume>,
}

/// A pod volume that is neither a ConfigMap or Secret nor a claim template.
#[derive(Debug, Clone, Serialize)]
pub struct OtherVolume {
    /// Volume name (a DNS label, a `[volumes.NAME]` key).
    pub name: String,
    /// What backs it.
    pub source: VolumeSource,
}

/// What backs an [`OtherVolume`].
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VolumeSource {
    /// `emptyDir`: scratch space that lives as long as the pod.
    EmptyDir {
        /// `medium`: `Memory` for a tmpfs; none: the node's disk.
        medium: Option<StorageMedium>,
        /// `sizeLimit`, more than zero.
        size_limit: Option<Quantity>,
    },
    /// `persistentVolumeClaim`: an existing claim, shared by every pod.
    Claim {
        /// `claimName`.
        claim_name: String,
        /// `readOnly`, emitted when true.
        read_only: bool,
    },
    /// `projected`: the keys of several ConfigMaps and Secrets in one folder.
    Projected {
        /// `sources`, in the order written (at least one).
        sources: Vec<ProjectedSource>,
        /// `defaultMode`.
        default_mode: Option<i64>,
    },
}

/// One source of a projected volume: a ConfigMap's or Secret's keys.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectedSource {
    /// ConfigMap or Secret.
    pub kind: ObjectKind,
    /// The object's name on the cluster.
    pub object: String,
    /// Keys to project, when not all.
    pub items: Vec<KeyToPath>,
}

/// `affinity`. Invariant: not all empty.
#[derive(Debug, Clone, Serialize)]
pub struct Affinity {
    /// Node requirements, all of which a node must meet (one `nodeSelectorTerm`).
    pub required_nodes: Vec<NodeRequirement>,
    /// Node requirements a node should meet, each a preference of its own.
    pub preferred_nodes: Vec<NodeRequirement>,
    /// `podAffinity`.
    pub near: PodRules,
    /// `podAntiAffinity`.
    pub away_from: PodRules,
    /// The weight of every preference (`preferredDuringScheduling...`), 1 to 100.
    pub preference_weight: i64,
}

/// A node label requirement: `key In values`. Invariant: `values` not empty.
#[derive(Debug, Clone, Serialize)]
pub struct NodeRequirement {
    /// The node label key.
    pub key: String,
    /// The values it may have.
    pub values: Vec<String>,
}

/// Pod (anti-)affinity terms, required and preferred.
#[derive(Debug, Clone, Serialize, Default)]
pub struct PodRules {
    /// `requiredDuringSchedulingIgnoredDuringExecution`.
    pub required: Vec<PodTerm>,
    /// `preferredDuringSchedulingIgnoredDuringExecution`.
    pub preferred: Vec<PodTerm>,
}

/// Other pods, by label, over a topology domain.
#[derive(Debug, Clone, Serialize)]
pub struct PodTerm {
    /// `labelSelector.matchLabels`, not empty.
    pub match_labels: StringMap,
    /// `topologyKey`.
    pub topology_key: String,
    /// A preference's own `weight` (else the affinity's `preference_weight`).
    pub weight: Option<i64>,
}

/// A `hostAliases` entry. Invariant: `ip` is an IP address, `hostnames` not empty.
#[derive(Debug, Clone, Serialize)]
pub struct HostAlias {
    /// The address.
    pub ip: String,
    /// The names that resolve to it.
    pub hostnames: Vec<String>,
}

/// `dnsConfig`. Invariant: at most 3 name servers, each an IP address.
#[derive(Debug, Clone, Serialize)]
pub struct DnsConfig {
    /// `nameservers`.
    pub nameservers: Vec<String>,
    /// `searches`.
    pub searches: Vec<String>,
    /// `options`.
    pub options: Vec<DnsOption>,
}

/// A resolver option.
#[derive(Debug, Clone, Serialize)]
pub struct DnsOption {
    /// `name`, e.g. `ndots`.
    pub name: String,
    /// `value`, e.g. `2`.
    pub value: Option<String>,
}

/// Pod-level `securityContext`.
#[derive(Debug, Clone, Serialize, Default)]
pub struct PodSecurityContext {
    /// `runAsUser`.
    pub run_as_user: Option<i64>,
    /// `runAsGroup`.
    pub run_as_group: Option<i64>,
    /// `runAsNonRoot`.
    pub run_as_non_root: Option<bool>,
    /// `fsGroup`.
    pub fs_group: Option<i64>,
    /// `fsGroupChangePolicy`.
    /// Left out when unset, as `enable_service_links`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fs_group_change_policy: Option<FsGroupChangePolicy>,
    /// `seccompProfile.type`.
    pub seccomp_profile: Option<SeccompProfile>,
}

/// Container-level `securityContext`.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ContainerSecurityContext {
    /// `runAsUser`.
    pub run_as_user: Option<i64>,
    /// `runAsGroup`.
    pub run_as_group: Option<i64>,
    /// `runAsNonRoot`.
    pub run_as_non_root: Option<bool>,
    /// `readOnlyRootFilesystem`.
    pub read_only_root_filesystem: Option<bool>,
    /// `allowPrivilegeEscalation`.
    pub allow_privilege_escalation: Option<bool>,
    /// `privileged`.
    pub privileged: Option<bool>,
    /// `capabilities.add`.
    pub capabilities_add: Vec<String>,
    /// `capabilities.drop`.
    pub capabilities_drop: Vec<String>,
    /// `seccompProfile.type`.
    pub seccomp_profile: Option<SeccompProfile>,
}

/// A toleration.
#[derive(Debug, Clone, Serialize)]
pub struct Toleration {
    /// `key`.
    pub key: Option<String>,
    /// `operator`.
    pub operator: TolerationOperator,
    /// `value`.
    pub value: Option<String>,
    /// `effect`.
    pub effect: Option<TaintEffect>,
    /// `tolerationSeconds`.
    pub toleration_seconds: Option<i64>,
}

/// A topology spread constraint over the app's own pods.
#[derive(Debug, Clone, Serialize)]
pub struct TopologySpread {
    /// `maxSkew`.
    pub max_skew: i64,
    /// `topologyKey`.
    pub topology_key: String,
    /// `whenUnsatisfiable`.
    pub when_unsatisfiable: WhenUnsatisfiable,
    /// `labelSelector.matchLabels`: the StatefulSet's selector.
    pub match_labels: StringMap,
}

/// A container.
#[derive(Debug, Clone, Serialize)]
pub struct Container {
    /// Name, unique in the pod.
    pub name: String,
    /// Image.
    pub image: String,
    /// `imagePullPolicy`.
    pub image_pull_policy: Option<PullPolicy>,
    /// `command`.
    pub command: Vec<String>,
    /// `args`.
    pub args: Vec<String>,
    /// `workingDir`.
    pub working_dir: Option<String>,
    /// Ports, by name.
    pub ports: Vec<ContainerPort>,
    /// Environment variables, by name.
    pub env: Vec<EnvVar>,
    /// `envFrom` sources: ConfigMaps first, then Secrets, by name.
    pub env_from: Vec<EnvFrom>,
    /// Requests and limits.
    pub resources: Resources,
    /// `readinessProbe`.
    pub readiness_probe: Option<Probe>,
    /// `livenessProbe`.
    pub liveness_probe: Option<Probe>,
    /// `startupProbe`.
    pub startup_probe: Option<Probe>,
    /// `lifecycle.postStart`.
    pub post_start: Option<Handler>,
    /// `lifecycle.preStop`.
    pub pre_stop: Option<Handler>,
    /// Volume mounts, by mount path.
    pub volume_mounts: Vec<VolumeMount>,
    /// Container `securityContext`.
    pub security_context: Option<ContainerSecurityContext>,
    /// `restartPolicy: Always`: a native sidecar, an init container that
    /// keeps running beside the others (only ever true in `init_containers`).
    pub restart_always: bool,
}

/// A container port.
#[derive(Debug, Clone, Serialize)]
pub struct ContainerPort {
    /// Name (an IANA_SVC_NAME).
    pub name: String,
    /// Number.
    pub container_port: i64,
    /// `protocol`.
    pub protocol: Protocol,
}

/// An environment variable: a literal, or a key of a ConfigMap or Secret.
#[derive(Debug, Clone, Serialize)]
pub struct EnvVar {
    /// Variable name.
    pub name: String,
    /// Where the value comes from.
    #[serde(flatten)]
    pub source: EnvSource,
}

/// Where an environment variable's value comes from.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum EnvSource {
    /// Written in the description.
    Value {
        /// The value.
        value: String,
    },
    /// `configMapKeyRef`.
    ConfigMap {
        /// ConfigMap name (as generated, hash suffix included).
        object: String,
        /// Key.
        key: String,
    },
    /// `secretKeyRef`.
    Secret {
        /// Secret name (as generated, hash suffix included).
        object: String,
        /// Key.
        key: String,
    },
    /// `fieldRef`: a field of the pod. Invariant: a path Kubernetes allows in env.
    Field {
        /// `fieldPath`, e.g. `metadata.name`.
        path: String,
    },
    /// `resourceFieldRef`: a container's request or limit.
    Resource {
        /// `containerName`, a container of the pod; none: this one.
        container: Option<String>,
        /// `resource`, e.g. `limits.memory`.
        resource: String,
        /// `divisor`, valid for the resource.
        divisor: Option<Quantity>,
    },
}

/// An `envFrom` source.
#[derive(Debug, Clone, Serialize)]
pub struct EnvFrom {
    /// `configMapRef` or `secretRef`.
    pub kind: ObjectKind,
    /// Object name.
    pub name: String,
}

/// The kinds of object kubetoml emits. [`Kind::as_str`] is the one spelling
/// of each: `kind:` in the YAML, file names, messages and the config hash
/// all go through it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A ConfigMap.
    ConfigMap,
    /// A Secret.
    Secret,
    /// A Service.
    Service,
    /// A StatefulSet.
    StatefulSet,
    /// A Namespace.
    Namespace,
    /// A ServiceAccount.
    ServiceAccount,
    /// A PodDisruptionBudget.
    PodDisruptionBudget,
    /// A NetworkPolicy.
    NetworkPolicy,
    /// A Role.
    Role,
    /// A ClusterRole.
    ClusterRole,
    /// A RoleBinding.
    RoleBinding,
    /// A ClusterRoleBinding.
    ClusterRoleBinding,
    /// A PersistentVolumeClaim.
    PersistentVolumeClaim,
    /// A Job.
    Job,
    /// A CronJob.
    CronJob,
    /// Any other kind, from `extra_manifests`, as its file spells it.
    Other(String),
}

impl Kind {
    /// The kind as Kubernetes spells it: `ConfigMap`, `StatefulSet`, ...
    pub fn as_str(&self) -> &str {
        match self {
            Kind::Other(kind) => kind,
            Kind::ConfigMap => "ConfigMap",
            Kind::Secret => "Secret",
            Kind::Service => "Service",
            Kind::StatefulSet => "StatefulSet",
            Kind::Namespace => "Namespace",
            Kind::ServiceAccount => "ServiceAccount",
            Kind::PodDisruptionBudget => "PodDisruptionBudget",
            Kind::NetworkPolicy => "NetworkPolicy",
            Kind::Role => "Role",
            Kind::ClusterRole => "ClusterRole",
            Kind::RoleBinding => "RoleBinding",
            Kind::ClusterRoleBinding => "ClusterRoleBinding",
            Kind::PersistentVolumeClaim => "PersistentVolumeClaim",
            Kind::Job => "Job",
            Kind::CronJob => "CronJob",
        }
    }
}

impl Kind {
    const KNOWN: [Kind; 15] = [
        Kind::ConfigMap,
        Kind::Secret,
        Kind::Service,
        Kind::StatefulSet,
        Kind::Namespace,
        Kind::ServiceAccount,
        Kind::PodDisruptionBudget,
        Kind::NetworkPolicy,
        Kind::Role,
        Kind::ClusterRole,
        Kind::RoleBinding,
        Kind::ClusterRoleBinding,
        Kind::PersistentVolumeClaim,
        Kind::Job,
        Kind::CronJob,
    ];

    /// The kind spelled `text`: one kubetoml emits, or [`Kind::Other`].
    pub fn parse(text: &str) -> Kind {
        Self::KNOWN
            .into_iter()
            .find(|k| k.as_str() == text)
            .unwrap_or_else(|| Kind::Other(text.to_owned()))
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// An object from `extra_manifests`, ready to append. Its `Debug` form
/// leaves out the YAML (it may be a Secret).
#[derive(Clone, Serialize)]
pub struct ExtraManifest {
    /// `kind`, as written.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, as written or given.
    pub namespace: Option<String>,
    /// The whole object, printed in block style; ends with a newline.
    pub yaml: String,
}

impl fmt::Debug for ExtraManifest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExtraManifest")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("namespace", &self.namespace)
            .field("yaml", &format_args!("<{} bytes>", self.yaml.len()))
            .finish()
    }
}

/// The kinds kubetoml generates from data: ConfigMap or Secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ObjectKind {
    /// A ConfigMap.
    ConfigMap,
    /// A Secret.
    Secret,
}

impl ObjectKind {
    /// The same kind among every kind kubetoml emits.
    pub fn kind(self) -> Kind {
        match self {
            ObjectKind::ConfigMap => Kind::ConfigMap,
            ObjectKind::Secret => Kind::Secret,
        }
    }

    /// `ConfigMap` or `Secret`, as [`Kind::as_str`] spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            ObjectKind::ConfigMap => "ConfigMap",
            ObjectKind::Secret => "Secret",
        }
    }
}

impl Serialize for ObjectKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// `resources`.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Resources {
    /// `requests`, by resource name.
    pub requests: BTreeMap<String, Quantity>,
    /// `limits`, by resource name. Invariant: no request is above its limit.
    pub limits: BTreeMap<String, Quantity>,
}

/// A probe.
#[derive(Debug, Clone, Serialize)]
pub struct Probe {
    /// What to check.
    pub handler: Handler,
    /// `initialDelaySeconds`.
    pub initial_delay: Option<i64>,
    /// `periodSeconds`.
    pub period: Option<i64>,
    /// `timeoutSeconds`.
    pub timeout: Option<i64>,
    /// `successThreshold`.
    pub success_threshold: Option<i64>,
    /// `failureThreshold`.
    pub failure_threshold: Option<i64>,
}

/// A probe's or hook's action.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Handler {
    /// `exec.command`.
    Exec {
        /// The command.
        command: Vec<String>,
    },
    /// `httpGet`.
    Http {
        /// Path.
        path: String,
        /// Port number or name.
        port: IntOrString,
        /// The scheme, when written.
        scheme: Option<HttpScheme>,
        /// Host header.
        host: Option<String>,
        /// Extra headers.
        headers: Vec<(String, String)>,
    },
    /// `tcpSocket`.
    Tcp {
        /// Port number or name.
        port: IntOrString,
    },
    /// `grpc`.
    Grpc {
        /// Port number.
        port: i64,
        /// Service name.
        service: Option<String>,
    },
    /// `sleep` (hooks only).
    Sleep {
        /// Seconds.
        seconds: i64,
    },
}

/// A volume mount.
#[derive(Debug, Clone, Serialize)]
pub struct VolumeMount {
    /// Volume (or claim template) name.
    pub name: String,
    /// Absolute path.
    pub mount_path: String,
    /// `subPath`.
    pub sub_path: Option<String>,
    /// `readOnly`, emitted when true.
    pub read_only: bool,
}

/// A pod volume backed by a ConfigMap or Secret.
#[derive(Debug, Clone, Serialize)]
pub struct PodVolume {
    /// Volume name (a DNS label).
    pub name: String,
    /// ConfigMap or Secret.
    pub kind: ObjectKind,
    /// The object's name.
    pub object: String,
    /// Keys to project, when not all.
    pub items: Vec<KeyToPath>,
    /// `defaultMode`.
    pub default_mode: Option<i64>,
}

/// One projected key.
#[derive(Debug, Clone, Serialize)]
pub struct KeyToPath {
    /// Key.
    pub key: String,
    /// Relative path in the mount.
    pub path: String,
}

/// A volumeClaimTemplate.
#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    /// Template name; claims are `NAME-POD`.
    pub name: String,
    /// Labels: the selector's unless written (templates are immutable).
    pub labels: StringMap,
    /// Annotations, as written.
    pub annotations: StringMap,
    /// `volumeMode`, when written.
    pub volume_mode: Option<VolumeMode>,
    /// Access modes; `ReadWriteOncePod` only alone.
    pub access_modes: Vec<AccessMode>,
    /// Storage class; none: the cluster default.
    pub storage_class: Option<String>,
    /// Requested size, more than zero.
    pub size: Quantity,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json<T: Serialize>(v: &T) -> String {
        serde_json::to_string(v).unwrap()
    }

    #[test]
    fn keywords_parse_and_serialize_as_kubernetes_spells_them() {
        for p in Protocol::ALL {
            assert_eq!(Protocol::parse(p.as_str()), Some(*p));
        }
        assert_eq!(Protocol::parse("tcp"), None);
        assert_eq!(json(&Protocol::Sctp), r#""SCTP""#);
        assert_eq!(json(&HttpScheme::Https), r#""HTTPS""#);
        assert_eq!(json(&AccessMode::ReadWriteOncePod), r#""ReadWriteOncePod""#);
        assert_eq!(
            TaintEffect::ALL
                .iter()
                .map(|e| e.as_str())
                .collect::<Vec<_>>(),
            ["NoSchedule", "PreferNoSchedule", "NoExecute"]
        );
        assert_eq!(PullPolicy::IfNotPresent.to_string(), "IfNotPresent");
    }

    #[test]
    fn secret_types_read_back_as_written() {
        for t in [
            "Opaque",
            "kubernetes.io/tls",
            "kubernetes.io/dockerconfigjson",
            "kubernetes.io/dockercfg",
            "kubernetes.io/basic-auth",
            "kubernetes.io/ssh-auth",
            "kubernetes.io/service-account-token",
            "example.com/custom",
        ] {
            assert_eq!(SecretType::parse(t).as_str(), t);
            assert_eq!(json(&SecretType::parse(t)), format!("\"{t}\""));
        }
        assert_eq!(SecretType::parse("kubernetes.io/tls"), SecretType::Tls);
        assert!(SecretType::parse("kubernetes.io/dockercfg").is_registry());
        assert!(!SecretType::parse("Opaque").is_registry());
    }

    #[test]
    fn kinds_have_one_spelling() {
        assert_eq!(Kind::StatefulSet.as_str(), "StatefulSet");
        assert_eq!(ObjectKind::ConfigMap.as_str(), "ConfigMap");
        assert_eq!(ObjectKind::Secret.kind(), Kind::Secret);
        assert_eq!(json(&ObjectKind::Secret), r#""Secret""#);
        assert_eq!(Kind::Service.to_string(), "Service");
    }
}
