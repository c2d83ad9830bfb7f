//! What a Service's description says, for `[service]` and
//! `[client_service]` alike: its ports and its own labels and annotations.

use crate::read::yamlread::Value;

use super::pod;
use super::shared::{inherited, push, str_table, RESERVED_LABELS, SERVER_ANNOTATIONS};
use super::toml_out::{Entries, Val};
use super::value::{int, string_map, text};

/// A Service's `annotations` and `labels` that the top-level ones (`top`)
/// do not give it, as `[service]` and `[client_service]` write them.
pub fn own_metadata(svc: &Value, top: &Entries, entries: &mut Entries) {
    for key in ["annotations", "labels"] {
        let own: Vec<(String, String)> = string_map(&svc["metadata"][key])
            .into_iter()
            .filter(|(k, v)| !inherited(top, key, k, v))
            .collect();
        let skip: &[&str] = if key == "labels" {
            RESERVED_LABELS
        } else {
            SERVER_ANNOTATIONS
        };
        push(entries, key, Some(str_table(own, skip)));
    }
}

/// A headless Service's port as a `[service] ports` entry: `name = port`
/// when it forwards to the container port of its own name (an absent
/// `targetPort` is the port's own number: that port's, when it has it),
/// else `name = { port, target_port }` (a container port's name or a
/// number). A port without a name has no entry, nor one forwarding to a
/// name no container declares but close to one that does (a typo kubetoml
/// refuses); one forwarding to a name close to none (a port of a feature
/// turned off) is kept, for the `undeclared-port` lint to warn of.
pub fn service_port(p: &Value, pod: &Value, declared: &[String]) -> Option<(String, Val)> {
    let name = text(&p["name"])?;
    let port = int(&p["port"])?;
    let target = match &p["targetPort"] {
        Value::Null if pod::port_number(pod, &name) == Some(port) => Val::Str(name.clone()),
        Value::Null => Val::Int(port),
        Value::Number(_) => Val::Int(int(&p["targetPort"])?),
        other => Val::Str(text(other)?),
    };
    let entry = match target {
        Val::Str(t) if t == name && declared.contains(&t) => Val::Int(port),
        Val::Str(t) if !declared.contains(&t) && !on_purpose(&t, declared) => return None,
        target => Val::Table(vec![
            ("port".to_owned(), Val::Int(port)),
            ("target_port".to_owned(), target),
        ]),
    };
    Some((name, entry))
}

/// Whether `target`, declared by no container, is close to no declared port name.
fn on_purpose(target: &str, declared: &[String]) -> bool {
    let declared: Vec<&str> = declared.iter().map(String::as_str).collect();
    crate::check::policy::lints::undeclared_on_purpose(target, &declared)
}

/// Whether a `[service] ports` entry forwards to a port name no container declares.
pub fn forwards_to_undeclared(entry: &Val, declared: &[String]) -> bool {
    let Val::Table(t) = entry else { return false };
    t.iter()
        .any(|(k, v)| matches!(v, Val::Str(n) if k == "target_port" && !declared.contains(n)))
}

/// Adds `lint` to the top-level `allow` (once).
pub fn allow(top: &mut Entries, lint: &str) {
    let entry = Val::Str(lint.to_owned());
    match top.iter_mut().find(|(k, _)| k == "allow") {
        Some((_, Val::Arr(names))) if names.contains(&entry) => {}
        Some((_, Val::Arr(names))) => names.push(entry),
        _ => top.push(("allow".to_owned(), Val::Arr(vec![entry]))),
    }
}
