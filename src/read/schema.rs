//! The JSON Schema of the description format, generated from the input types in [`crate::read::spec`].
//!
//! Editors (taplo, Even Better TOML) use it to complete and check
//! descriptions. It is generated, never written by hand, so it cannot drift
//! from the parser: each field's type and one-line description come from
//! `spec.rs`, and `deny_unknown_fields` becomes `additionalProperties: false`.
//! The few types with a hand-written `Deserialize` get their schema here,
//! and so do what lowering checks against a fixed set (an `enum` listing
//! the values the lowering's own types accept: the `keyword!` enums of
//! [`crate::model`], the lints and levels of [`crate::check::policy`], the releases
//! of [`crate::check::kube_version`]) and the defaults lowering fills in.

use std::borrow::Cow;

use schemars::generate::SchemaSettings;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Value};

use crate::check::kube_version::{self, NEWEST, OLDEST};
use crate::model::{
    AccessMode, ConcurrencyPolicy, DnsPolicy, FsGroupChangePolicy, HttpScheme, Keyword, PodManagementPolicy, Protocol,
    PullPolicy, RestartPolicy, Retention, SeccompProfile, SecretType, ServiceType, StorageMedium, TaintEffect,
    TolerationOperator, TrafficDistribution, UpdateStrategyType, VolumeMode,
};
use crate::check::policy::lints::LINTS;
use crate::check::policy::pss::Level;
use crate::read::spec::{
    BudgetSpec, BudgetTable, DataMount, DataMountFile, EmptyDirSpec, EmptyDirTable, EnvKeyRef,
    ClientPortsSpec, ContainerMount, EnvValue, HandlerSpec, HandlerTable, PortTarget, Quantity, ServiceAccountSpec, ServiceAccountTable, ServicePortSpec, ServicePortTable, Spec, VolumeMountEntry, VolumeMountSpec,
};

/// Where the committed copy lives, relative to the repository.
#[cfg(feature = "unstable-internals")]
pub const PATH: &str = "schema/kubetoml.schema.json";

/// The schema (JSON Schema draft 7, which taplo reads), pretty-printed, ending in a newline.
pub fn json_schema() -> String {
    let mut schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<Spec>();
    schema.insert(
        "$id".to_owned(),
        "https://github.com/kubetoml/kubetoml/raw/main/schema/kubetoml.schema.json".into(),
    );
    schema.insert("title".to_owned(), "kubetoml description".into());
    for (pointer, values) in fixed_sets() {
        field(&mut schema, &pointer).insert("enum".to_owned(), json!(values));
    }
    field(&mut schema, KUBE_VERSION).insert("pattern".to_owned(), kube_version_pattern().into());
    // Kubernetes takes any Secret type, and so does kubetoml: the known ones are examples, not a set.
    let known: Vec<&str> = SecretType::KNOWN.iter().map(|(_, s)| *s).collect();
    field(&mut schema, SECRET_TYPE).insert("examples".to_owned(), json!(known));
    for (pointer, default) in defaults() {
        field(&mut schema, &pointer).insert("default".to_owned(), default);
    }
    add_layers(&mut schema);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema is JSON");
    text.push('\n');
    text
}

/// `[environments.NAME]` (each any part of a description but `name`) and
/// `[from_env]`, which the driver takes out before the rest is read.
fn add_layers(schema: &mut Schema) {
    let from_env = serde_json::json!({
        "description": "Fields set from build-time environment variables: `image = \"CI_IMAGE\"` (string fields only).",
        "type": "object",
    });
    let Some(properties) = schema.get_mut("properties").and_then(|p| p.as_object_mut()) else {
        return;
    };
    properties.insert("from_env".to_owned(), from_env.clone());
    // A role: what a layer may set but what every role shares.
    let mut role = properties.clone();
    role.retain(|k, _| !crate::read::layers::SHARED.contains(&k.as_str()) && k != "from_env");
    for field in role.values_mut() {
        if let Some(field) = field.as_object_mut() {
            field.remove("default");
        }
    }
    properties.insert(
        "roles".to_owned(),
        serde_json::json!({
            "description": "Roles: one StatefulSet (with its headless Service, client Service and budget) per `[roles.NAME]`, each merged over the description; named `APP-NAME` unless `[statefulset] name` says otherwise.",
            "type": "object",
            "minProperties": 1,
            "additionalProperties": { "$ref": "#/definitions/Role" },
        }),
    );
    let role = serde_json::json!({
        "description": "One role: part of a description merged over it (tables key by key, other values replaced), without what every role shares.",
        "type": "object",
        "properties": role,
        "additionalProperties": false,
    });
    let mut layer = properties.clone();
    layer.remove("name");
    // A field an environment leaves out keeps the description's value: no default.
    for field in layer.values_mut() {
        if let Some(field) = field.as_object_mut() {
            field.remove("default");
        }
    }
    let layer = serde_json::json!({
        "description": "Part of a description, merged over it: tables key by key, other values replaced.",
        "type": "object",
        "properties": layer,
        "additionalProperties": false,
    });
    properties.insert(
        "environments".to_owned(),
        serde_json::json!({
            "description": "Environments: `--environment NAME` merges `[environments.NAME]` over the description.",
            "type": "object",
            "additionalProperties": { "$ref": "#/definitions/Layer" },
        }),
    );
    if let Some(defs) = schema.get_mut("definitions").and_then(|d| d.as_object_mut()) {
        defs.insert("Layer".to_owned(), layer);
        defs.insert("Role".to_owned(), role);
    }
}

/// The schema of the field at `pointer`. The pointers are this file's
/// constants, checked against the generated schema by its tests.
fn field<'a>(schema: &'a mut Schema, pointer: &str) -> &'a mut serde_json::Map<String, Value> {
    schema
        .pointer_mut(pointer)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("the schema has no `{pointer}`: update src/read/schema.rs"))
}

/// Every spelling of a keyword, as lowering accepts it.
fn spellings<K: Keyword>() -> Vec<&'static str> {
    K::all().iter().map(|k| k.spelling()).collect()
}

const ROOT: &str = "/properties";
const CONTAINER: &str = "/definitions/ContainerSpec/properties";
const SECURITY: &str = "/definitions/SecurityContextSpec/properties";
const POD_SECURITY: &str = "/definitions/PodSecurityContextSpec/properties";
const STATEFULSET: &str = "/definitions/StatefulSetSpec/properties";
const RETENTION: &str = "/definitions/RetentionSpec/properties";
const TOLERATION: &str = "/definitions/TolerationSpec/properties";
const HTTP: &str = "/definitions/HttpSpec/properties";
const KUBE_VERSION: &str = "/properties/kube_version";
const JOB: &str = "/definitions/JobSpec/properties";
const CRONJOB: &str = "/definitions/CronJobSpec/properties";
const CLAIM: &str = "/definitions/ClaimSpec/properties";
const SECRET_TYPE: &str = "/definitions/DataSpec/properties/type";

/// Fields whose values are a fixed set: where each is, and its values.
fn fixed_sets() -> Vec<(String, Vec<&'static str>)> {
    let levels = Level::ALL.iter().map(|l| l.name()).collect();
    let lints = LINTS.iter().map(|l| l.name).collect();
    [
        (format!("{ROOT}/image_pull_policy"), spellings::<PullPolicy>()),
        (format!("{CONTAINER}/image_pull_policy"), spellings::<PullPolicy>()),
        (
            "/definitions/PortSpec/anyOf/1/properties/protocol".to_owned(),
            spellings::<Protocol>(),
        ),
        (format!("{SECURITY}/seccomp_profile"), spellings::<SeccompProfile>()),
        (
            format!("{SECURITY}/fs_group_change_policy"),
            spellings::<FsGroupChangePolicy>(),
        ),
        (format!("{POD_SECURITY}/seccomp_profile"), spellings::<SeccompProfile>()),
        (
            format!("{POD_SECURITY}/fs_group_change_policy"),
            spellings::<FsGroupChangePolicy>(),
        ),
        (
            format!("{STATEFULSET}/pod_management_policy"),
            spellings::<PodManagementPolicy>(),
        ),
        (
            "/definitions/ServiceSpec/properties/traffic_distribution".to_owned(),
            spellings::<TrafficDistribution>(),
        ),
        (
            "/definitions/ClientServiceSpec/properties/traffic_distribution".to_owned(),
            spellings::<TrafficDistribution>(),
        ),
        (
            "/definitions/UpdateStrategySpec/properties/type".to_owned(),
            spellings::<UpdateStrategyType>(),
        ),
        (format!("{RETENTION}/when_deleted"), spellings::<Retention>()),
        (format!("{RETENTION}/when_scaled"), spellings::<Retention>()),
        (
            "/definitions/VolumeSpec/properties/access_modes/items".to_owned(),
            spellings::<AccessMode>(),
        ),
        (
            "/definitions/VolumeSpec/properties/volume_mode".to_owned(),
            spellings::<VolumeMode>(),
        ),
        (format!("{TOLERATION}/operator"), spellings::<TolerationOperator>()),
        (format!("{TOLERATION}/effect"), spellings::<TaintEffect>()),
        (format!("{HTTP}/scheme"), spellings::<HttpScheme>()),
        (
            "/definitions/ClientServiceSpec/properties/type".to_owned(),
            spellings::<ServiceType>(),
        ),
        (
            "/definitions/DnsSpec/properties/policy".to_owned(),
            spellings::<DnsPolicy>(),
        ),
        (
            "/definitions/EmptyDirTable/properties/medium".to_owned(),
            spellings::<StorageMedium>(),
        ),
        (format!("{JOB}/image_pull_policy"), spellings::<PullPolicy>()),
        (format!("{JOB}/restart_policy"), spellings::<RestartPolicy>()),
        (format!("{CRONJOB}/image_pull_policy"), spellings::<PullPolicy>()),
        (format!("{CRONJOB}/restart_policy"), spellings::<RestartPolicy>()),
        (format!("{CRONJOB}/concurrency_policy"), spellings::<ConcurrencyPolicy>()),
        (
            format!("{CRONJOB}/time_zone"),
            crate::check::cron::time_zones().collect(),
        ),
        (format!("{CLAIM}/access_modes/items"), spellings::<AccessMode>()),
        (format!("{ROOT}/pod_security"), levels),
        (format!("{ROOT}/allow/items"), lints),
    ]
    .into()
}

/// What `KubeVersion::parse` accepts: `1.MINOR` or `1.MINOR.PATCH`, a
/// leading `v`, numbers as Rust reads them (leading zeros, a `+`), MINOR
/// from [`OLDEST`] to [`NEWEST`]. (A patch beyond `u32` passes here only.)
pub fn kube_version_pattern() -> String {
    let minors: Vec<String> = (OLDEST..=NEWEST).map(|m| m.to_string()).collect();
    format!(r"^v?\+?0*1\.\+?0*({})(\.\+?[0-9]+)?$", minors.join("|"))
}

/// The defaults lowering fills in for fields left out.
fn defaults() -> Vec<(String, Value)> {
    let retain = Retention::Retain.as_str();
    vec![
        (format!("{ROOT}/replicas"), json!(1)),
        (format!("{ROOT}/kube_version"), json!(kube_version::DEFAULT.to_string())),
        (
            format!("{STATEFULSET}/pod_management_policy"),
            json!(PodManagementPolicy::OrderedReady.as_str()),
        ),
        (format!("{STATEFULSET}/ordinals_start"), json!(0)),
        (
            "/definitions/UpdateStrategySpec/properties/type".to_owned(),
            json!(UpdateStrategyType::RollingUpdate.as_str()),
        ),
        (format!("{RETENTION}/when_deleted"), json!(retain)),
        (format!("{RETENTION}/when_scaled"), json!(retain)),
        (
            "/definitions/VolumeSpec/properties/access_modes".to_owned(),
            json!([AccessMode::ReadWriteOnce.as_str()]),
        ),
        (
            "/definitions/PortSpec/anyOf/1/properties/protocol".to_owned(),
            json!(Protocol::Tcp.as_str()),
        ),
        (format!("{TOLERATION}/operator"), json!(TolerationOperator::Equal.as_str())),
        (format!("{JOB}/restart_policy"), json!(RestartPolicy::OnFailure.as_str())),
        (format!("{JOB}/ttl_after_finished"), json!(crate::lower::DEFAULT_TTL)),
        (format!("{CRONJOB}/restart_policy"), json!(RestartPolicy::OnFailure.as_str())),
        (format!("{CRONJOB}/ttl_after_finished"), json!(crate::lower::DEFAULT_TTL)),
        (
            format!("{CRONJOB}/concurrency_policy"),
            json!(ConcurrencyPolicy::Forbid.as_str()),
        ),
        (
            format!("{CLAIM}/access_modes"),
            json!([AccessMode::ReadWriteOnce.as_str()]),
        ),
        (format!("{HTTP}/scheme"), json!(HttpScheme::Http.as_str())),
        (format!("{HTTP}/path"), json!("/")),
        ("/definitions/SpreadTable/properties/max_skew".to_owned(), json!(1)),
        ("/definitions/SpreadTable/properties/required".to_owned(), json!(true)),
        (SECRET_TYPE.to_owned(), json!(SecretType::Opaque.as_str())),
        (
            "/definitions/DockerRegistrySpec/properties/server".to_owned(),
            json!("https://index.docker.io/v1/"),
        ),
    ]
}

/// A field that takes a plain value or a table (`true` or `{ ... }`, a name or `{ ... }`).
macro_rules! value_or_table {
    ($ty:ty, $name:literal, $table:ty, $plain:literal, $description:literal) => {
        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                $name.into()
            }

            fn json_schema(generator: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "description": $description,
                    "anyOf": [
                        { "type": $plain },
                        generator.subschema_for::<$table>(),
                    ]
                })
            }
        }
    };
}

value_or_table!(
    ServiceAccountSpec,
    "ServiceAccountSpec",
    ServiceAccountTable,
    "string",
    "An existing service account's name, or `{ create = true, name, annotations }`."
);
value_or_table!(
    BudgetSpec,
    "BudgetSpec",
    BudgetTable,
    "boolean",
    "`true` (the default budget), `false` (none), or `{ max_unavailable }` / `{ min_available }`."
);
value_or_table!(
    EmptyDirSpec,
    "EmptyDirSpec",
    EmptyDirTable,
    "boolean",
    "`true` (on the node's disk), or `{ medium = \"Memory\", size_limit }`."
);
value_or_table!(
    DataMount,
    "DataMount",
    DataMountFile,
    "string",
    "A directory to mount every key in, or `{ path, key }` for one key as one file."
);

value_or_table!(
    ServicePortSpec,
    "ServicePortSpec",
    ServicePortTable,
    "integer",
    "The number the container port named like the entry is published on, or `{ port, target_port }` to forward to another container port."
);

impl JsonSchema for ClientPortsSpec {
    fn schema_name() -> Cow<'static, str> {
        "ClientPortsSpec".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Names of declared ports, each published on its own number, or a table like `[service] ports`: `name = port`, or `name = { port, target_port }`.",
            "anyOf": [
                { "type": "array", "items": { "type": "string" } },
                { "type": "object", "additionalProperties": generator.subschema_for::<ServicePortSpec>() },
            ]
        })
    }
}

impl JsonSchema for PortTarget {
    fn schema_name() -> Cow<'static, str> {
        "PortTarget".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A container port's name, or a port number.",
            "type": ["string", "integer"]
        })
    }
}

impl JsonSchema for VolumeMountSpec {
    fn schema_name() -> Cow<'static, str> {
        "VolumeMountSpec".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An absolute path, or a list of `{ path, sub_path, read_only }` to mount the volume at several paths.",
            "anyOf": [
                { "type": "string" },
                { "type": "array", "items": generator.subschema_for::<VolumeMountEntry>() },
            ]
        })
    }
}

impl JsonSchema for ContainerMount {
    fn schema_name() -> Cow<'static, str> {
        "ContainerMount".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A name, mounted at its `mount` path, or `{ volume, path, sub_path, read_only }` at a path of this container's own.",
            "anyOf": [
                { "type": "string" },
                generator.subschema_for::<VolumeMountEntry>(),
            ]
        })
    }
}

impl JsonSchema for EnvValue {
    fn schema_name() -> Cow<'static, str> {
        "EnvValue".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A literal (numbers and booleans become their text), or a key of a generated ConfigMap or Secret.",
            "anyOf": [
                { "type": ["string", "integer", "boolean"] },
                generator.subschema_for::<EnvKeyRef>(),
            ]
        })
    }
}

impl JsonSchema for Quantity {
    fn schema_name() -> Cow<'static, str> {
        "Quantity".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A Kubernetes quantity: \"250m\", \"1Gi\", 2 or 0.5.",
            "type": ["string", "number"]
        })
    }
}

impl JsonSchema for HandlerSpec {
    fn schema_name() -> Cow<'static, str> {
        "HandlerSpec".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A command array, or a table with one of `exec`, `http` or `sleep`.",
            "anyOf": [
                { "type": "array", "items": { "type": "string" } },
                generator.subschema_for::<HandlerTable>(),
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn unknown_fields_are_refused_and_fields_described() {
        let schema: serde_json::Value = serde_json::from_str(&super::json_schema()).unwrap();
        assert_eq!(schema["additionalProperties"], false);
        assert!(schema["properties"]["replicas"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("pods")));
        let fields: Vec<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = crate::read::spec::SPEC_FIELDS.to_vec();
        // Taken out by the driver before the rest is read.
        expected.extend(["environments", "from_env"]);
        expected.sort_unstable();
        assert_eq!(fields, expected);
    }
}
