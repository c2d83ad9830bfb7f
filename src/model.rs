//! The resolved app: what the templates lay out.
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

/// Labels or annotations, in key order.
pub type StringMap = BTreeMap<String, String>;

/// Every object of one app, in the order `kubectl apply` should see them.
#[derive(Debug, Clone, Serialize)]
pub struct Model {
    /// Generated ConfigMaps, by name.
    pub config_maps: Vec<ConfigMap>,
    /// Generated Secrets, by name.
    pub secrets: Vec<Secret>,
    /// The headless Service.
    pub service: Service,
    /// The StatefulSet.
    pub stateful_set: StatefulSet,
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
    pub type_: String,
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
    /// Published ports; each targets a container port by name.
    pub ports: Vec<ServicePort>,
    /// `publishNotReadyAddresses`, emitted when true.
    pub publish_not_ready_addresses: bool,
}

/// A Service port.
#[derive(Debug, Clone, Serialize)]
pub struct ServicePort {
    /// Port name (a container port's name).
    pub name: String,
    /// Port number on the Service.
    pub port: i64,
    /// Container port name it forwards to.
    pub target_port: String,
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: String,
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
    /// `OrderedReady` or `Parallel`.
    pub pod_management_policy: String,
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
    pub type_: String,
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
    /// `Retain` or `Delete`.
    pub when_deleted: String,
    /// `Retain` or `Delete`.
    pub when_scaled: String,
}

/// The pod template.
#[derive(Debug, Clone, Serialize)]
pub struct PodTemplate {
    /// Labels: the selector's and the rest.
    pub labels: StringMap,
    /// Annotations, including the config hash.
    pub annotations: StringMap,
    /// Service account name.
    pub service_account: Option<String>,
    /// `automountServiceAccountToken`; set by `pod_security = "restricted"` (see [`crate::policy::harden`]).
    pub automount_service_account_token: Option<bool>,
    /// Pod-wide security settings.
    pub security_context: Option<PodSecurityContext>,
    /// `nodeSelector`.
    pub node_selector: StringMap,
    /// `tolerations`.
    pub tolerations: Vec<Toleration>,
    /// `topologySpreadConstraints`.
    pub topology_spread: Vec<TopologySpread>,
    /// `terminationGracePeriodSeconds`.
    pub termination_grace_period: Option<i64>,
    /// `imagePullSecrets`, by name.
    pub image_pull_secrets: Vec<String>,
    /// Init containers, in order.
    pub init_containers: Vec<Container>,
    /// The main container first, then the sidecars.
    pub containers: Vec<Container>,
    /// ConfigMap and Secret volumes (claims come from the templates).
    pub volumes: Vec<PodVolume>,
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
    /// `seccompProfile.type`.
    pub seccomp_profile: Option<String>,
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
    pub seccomp_profile: Option<String>,
}

/// A toleration.
#[derive(Debug, Clone, Serialize)]
pub struct Toleration {
    /// `key`.
    pub key: Option<String>,
    /// `Equal` or `Exists`.
    pub operator: String,
    /// `value`.
    pub value: Option<String>,
    /// `effect`.
    pub effect: Option<String>,
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
    /// `DoNotSchedule` or `ScheduleAnyway`.
    pub when_unsatisfiable: String,
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
    pub image_pull_policy: Option<String>,
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
}

/// A container port.
#[derive(Debug, Clone, Serialize)]
pub struct ContainerPort {
    /// Name (an IANA_SVC_NAME).
    pub name: String,
    /// Number.
    pub container_port: i64,
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: String,
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
}

/// An `envFrom` source.
#[derive(Debug, Clone, Serialize)]
pub struct EnvFrom {
    /// `configMapRef` or `secretRef`.
    pub kind: ObjectKind,
    /// Object name.
    pub name: String,
}

/// ConfigMap or Secret.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub enum ObjectKind {
    /// A ConfigMap.
    ConfigMap,
    /// A Secret.
    Secret,
}

/// `resources`.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Resources {
    /// `requests`.
    pub requests: StringMap,
    /// `limits`.
    pub limits: StringMap,
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
        /// `HTTP` or `HTTPS`, when not the default.
        scheme: Option<String>,
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
    /// Labels: the selector's only (templates are immutable).
    pub labels: StringMap,
    /// Access modes.
    pub access_modes: Vec<String>,
    /// Storage class; none: the cluster default.
    pub storage_class: Option<String>,
    /// Requested size.
    pub size: String,
}
