//! The JSON Schema of the description format, generated from the input types in [`crate::spec`].
//!
//! Editors (taplo, Even Better TOML) use it to complete and check
//! descriptions. It is generated, never written by hand, so it cannot drift
//! from the parser: each field's type and one-line description come from
//! `spec.rs`, and `deny_unknown_fields` becomes `additionalProperties: false`.
//! The few types with a hand-written `Deserialize` get their schema here.

use std::borrow::Cow;

use schemars::generate::SchemaSettings;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

use crate::spec::{EnvKeyRef, EnvValue, HandlerSpec, HandlerTable, Quantity, Spec};

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
    let mut layer = properties.clone();
    layer.remove("name");
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
        let mut expected = crate::spec::SPEC_FIELDS.to_vec();
        // Taken out by the driver before the rest is read.
        expected.extend(["environments", "from_env"]);
        expected.sort_unstable();
        assert_eq!(fields, expected);
    }
}
