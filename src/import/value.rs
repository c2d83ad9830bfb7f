//! Reading YAML values (`crate::read::yamlread::Value`) the way Kubernetes means them.

use crate::read::yamlread::Value;

/// A scalar's text (`80`, `true`, `nginx`); none for null, mappings and sequences.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => text(&t.value),
        _ => None,
    }
}

/// An integer, also when written as a string.
pub fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A boolean.
pub fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

/// A sequence's items (none when absent).
pub fn items(v: &Value) -> &[Value] {
    v.as_sequence().map(Vec::as_slice).unwrap_or_default()
}

/// A mapping's string keys and scalar values, in order.
pub fn string_map(v: &Value) -> Vec<(String, String)> {
    let Some(m) = v.as_mapping() else {
        return Vec::new();
    };
    m.iter()
        .filter_map(|(k, v)| Some((text(k)?, text(v)?)))
        .collect()
}

/// Strings of a sequence of scalars.
pub fn strings(v: &Value) -> Vec<String> {
    items(v).iter().filter_map(text).collect()
}
