//! The pod template: containers, probes, hooks, mounts, security and scheduling.

use std::collections::BTreeMap;

use crate::read::yamlread::Value;

use super::shared::{int_val, push, set, str_table, str_val, strs_val, Ctx};
use super::toml_out::{Doc, Entries, Val};
use super::value::{boolean, int, items, string_map, strings, text};

/// Names of the ConfigMaps (`kind` = `ConfigMap`) or Secrets a pod spec refers to.
pub fn referenced(v: &Value, kind: &str, out: &mut Vec<String>) {
    let keys: &[(&str, &str)] = if kind == "Secret" {
        &[
            ("secretKeyRef", "name"),
            ("secretRef", "name"),
            ("secret", "secretName"),
            // A projected volume's source.
            ("secret", "name"),
            ("imagePullSecrets", "name"),
        ]
    } else {
        &[
            ("configMapKeyRef", "name"),
            ("configMapRef", "name"),
            ("configMap", "name"),
        ]
    };
    match v {
        Value::Mapping(m) => {
            for (k, child) in m {
                let k = text(k).unwrap_or_default();
                for (key, field) in keys {
                    if k == *key {
                        out.extend(text(&child[*field]));
                        out.extend(items(child).iter().filter_map(|i| text(&i[*field])));
                    }
                }
                referenced(child, kind, out);
            }
        }
        Value::Sequence(s) => s.iter().for_each(|c| referenced(c, kind, out)),
        _ => {}
    }
}

/// The names of every (main or sidecar) container's ports.
pub fn port_names(pod: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for c in items(&pod["containers"]) {
        names.extend(items(&c["ports"]).iter().filter_map(|p| text(&p["name"])));
    }
    names
}

/// The number of the port named `name` of the pod's containers.
pub fn port_number(pod: &Value, name: &str) -> Option<i64> {
    items(&pod["containers"])
        .iter()
        .flat_map(|c| items(&c["ports"]))
        .find(|p| text(&p["name"]).as_deref() == Some(name))
        .and_then(|p| int(&p["containerPort"]))
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Role {
    Main,
    Init,
    Sidecar,
}

/// The main container at the top level, the others as `[[init_containers]]` and `[[sidecars]]`.
pub fn main_and_others(pod: &Value, ctx: &mut Ctx, doc: &mut Doc) {
    let containers = items(&pod["containers"]);
    let Some(main) = containers.first() else {
        return;
    };
    let mut probes = Vec::new();
    doc.top
        .extend(container(main, Role::Main, ctx, &mut probes));
    if shared_security_keeps(pod) {
        push(&mut doc.top, "security_context", security(pod, main));
    } else {
        let own = container_security(&main["securityContext"], true);
        push(&mut doc.top, "security_context", own);
        let exact = Val::Table(pod_security(&pod["securityContext"]));
        doc.top.push(("pod_security_context".to_owned(), exact));
    }
    push(
        &mut doc.top,
        "service_account",
        str_val(&pod["serviceAccountName"]),
    );
    push(
        &mut doc.top,
        "node_selector",
        Some(str_table(string_map(&pod["nodeSelector"]), &[])),
    );
    push(
        &mut doc.top,
        "tolerations",
        Some(Val::Arr(
            items(&pod["tolerations"]).iter().map(toleration).collect(),
        )),
    );
    push(&mut doc.top, "spread", spread(pod));
    push(
        &mut doc.top,
        "termination_grace_period",
        int_val(&pod["terminationGracePeriodSeconds"]),
    );
    let mut pull = Vec::new();
    for name in items(&pod["imagePullSecrets"])
        .iter()
        .filter_map(|s| text(&s["name"]))
    {
        match ctx.table(true, &name) {
            Some(t) => set(&mut ctx.tables[t].usage, "image_pull", Val::Bool(true)),
            None => pull.push(Val::Str(name)),
        }
    }
    push(&mut doc.top, "image_pull_secrets", Some(Val::Arr(pull)));
    doc.sections.extend(probes);
    // An init container with `restartPolicy: Always` is a native sidecar:
    // kubetoml places those before the init containers, so one written
    // after an init container shows up as a difference.
    let mut native = Vec::new();
    for c in items(&pod["initContainers"]) {
        let mut unused = Vec::new();
        if text(&c["restartPolicy"]).as_deref() == Some("Always") {
            let mut entries = container(c, Role::Sidecar, ctx, &mut unused);
            entries.insert(1, ("native".to_owned(), Val::Bool(true)));
            native.push(("[[sidecars]]".to_owned(), entries));
        } else {
            let entries = container(c, Role::Init, ctx, &mut unused);
            doc.sections
                .push(("[[init_containers]]".to_owned(), entries));
        }
    }
    doc.sections.extend(native);
    for c in items(&pod["containers"]).iter().skip(1) {
        let mut unused = Vec::new();
        let entries = container(c, Role::Sidecar, ctx, &mut unused);
        doc.sections.push(("[[sidecars]]".to_owned(), entries));
    }
}

/// A container's fields; the main container's probes and hooks go to `sections`.
pub(super) fn container(
    c: &Value,
    role: Role,
    ctx: &mut Ctx,
    sections: &mut Vec<(String, Entries)>,
) -> Entries {
    let mut e = Entries::new();
    if role != Role::Main {
        push(&mut e, "name", str_val(&c["name"]));
    }
    push(&mut e, "image", str_val(&c["image"]));
    push(&mut e, "image_pull_policy", str_val(&c["imagePullPolicy"]));
    push(&mut e, "command", strs_val(&c["command"]));
    push(&mut e, "args", strs_val(&c["args"]));
    push(&mut e, "working_dir", str_val(&c["workingDir"]));
    push(
        &mut e,
        "ports",
        Some(Val::Table(
            items(&c["ports"]).iter().filter_map(port).collect(),
        )),
    );
    push(
        &mut e,
        "env",
        Some(Val::Table(
            items(&c["env"])
                .iter()
                .filter_map(|v| env(v, ctx))
                .collect(),
        )),
    );
    let env_from = env_from(c, role, ctx);
    push(&mut e, "env_from", Some(Val::Arr(env_from)));
    push(&mut e, "resources", resources(&c["resources"]));
    let probes = probes(c);
    let hooks = lifecycle(&c["lifecycle"]);
    if role == Role::Main {
        sections.extend(
            probes
                .into_iter()
                .map(|(k, p)| (format!("[probes.{k}]"), p)),
        );
        if !hooks.is_empty() {
            sections.push(("[lifecycle]".to_owned(), hooks));
        }
    } else {
        let probes: Entries = probes
            .into_iter()
            .map(|(k, p)| (k, Val::Table(p)))
            .collect();
        push(&mut e, "probes", Some(Val::Table(probes)));
        push(&mut e, "lifecycle", Some(Val::Table(hooks)));
        push(
            &mut e,
            "security_context",
            container_security(&c["securityContext"], true),
        );
    }
    let mounts = mounts(c, role, ctx);
    push(&mut e, "mounts", Some(Val::Arr(mounts)));
    e
}

fn port(p: &Value) -> Option<(String, Val)> {
    let name = text(&p["name"])?;
    let number = int(&p["containerPort"])?;
    match text(&p["protocol"]).as_deref() {
        None | Some("TCP") => Some((name, Val::Int(number))),
        Some(protocol) => Some((
            name,
            Val::Table(vec![
                ("port".to_owned(), Val::Int(number)),
                ("protocol".to_owned(), Val::Str(protocol.to_owned())),
            ]),
        )),
    }
}

fn env(v: &Value, ctx: &Ctx) -> Option<(String, Val)> {
    let name = text(&v["name"])?;
    let from = &v["valueFrom"];
    if from.is_null() {
        return Some((name, Val::Str(text(&v["value"]).unwrap_or_default())));
    }
    if let Some(downward) = downward(from) {
        return Some((name, downward));
    }
    for (field, secret, key) in [
        ("configMapKeyRef", false, "configmap"),
        ("secretKeyRef", true, "secret"),
    ] {
        let r = &from[field];
        if r.is_null() || boolean(&r["optional"]).is_some() {
            continue;
        }
        let table = ctx.table(secret, &text(&r["name"])?)?;
        return Some((
            name,
            Val::Table(vec![
                (key.to_owned(), Val::Str(ctx.tables[table].table.clone())),
                ("key".to_owned(), Val::Str(text(&r["key"])?)),
            ]),
        ));
    }
    None
}

/// `{ field = ... }` from a `fieldRef`, `{ resource = ..., container, divisor }` from a `resourceFieldRef`.
fn downward(from: &Value) -> Option<Val> {
    let field = &from["fieldRef"];
    if let Some(path) = text(&field["fieldPath"]) {
        return Some(Val::Table(vec![("field".to_owned(), Val::Str(path))]));
    }
    let r = &from["resourceFieldRef"];
    let mut e = vec![("resource".to_owned(), Val::Str(text(&r["resource"])?))];
    push(&mut e, "container", str_val(&r["containerName"]));
    // The API server writes `divisor: "0"` for none.
    let divisor = str_val(&r["divisor"]).filter(|d| *d != Val::Str("0".to_owned()));
    push(&mut e, "divisor", divisor);
    Some(Val::Table(e))
}

/// `envFrom` of imported objects: the main container's as `env_from = true` on the table.
fn env_from(c: &Value, role: Role, ctx: &mut Ctx) -> Vec<Val> {
    let mut names = Vec::new();
    for source in items(&c["envFrom"]) {
        if !source["prefix"].is_null() {
            continue;
        }
        let found = [("configMapRef", false), ("secretRef", true)]
            .into_iter()
            .find_map(|(field, secret)| {
                let r = &source[field];
                (!r.is_null() && r["optional"].is_null())
                    .then(|| ctx.table(secret, &text(&r["name"])?))
                    .flatten()
            });
        let Some(t) = found else { continue };
        if role == Role::Main {
            set(&mut ctx.tables[t].usage, "env_from", Val::Bool(true));
        } else {
            names.push(Val::Str(ctx.tables[t].table.clone()));
        }
    }
    names
}

fn resources(r: &Value) -> Option<Val> {
    let mut e = Entries::new();
    for field in ["requests", "limits"] {
        push(&mut e, field, Some(str_table(string_map(&r[field]), &[])));
    }
    Some(Val::Table(e))
}

fn probes(c: &Value) -> Vec<(String, Entries)> {
    [
        ("readiness", "readinessProbe"),
        ("liveness", "livenessProbe"),
        ("startup", "startupProbe"),
    ]
    .into_iter()
    .filter(|(_, field)| !c[*field].is_null())
    .map(|(name, field)| {
        let p = &c[field];
        let mut e = action(p);
        if let Some(g) = p.get("grpc") {
            let port = int_val(&g["port"]);
            match str_val(&g["service"]) {
                Some(service) => e.push((
                    "grpc".to_owned(),
                    Val::Table(vec![
                        ("port".to_owned(), port.unwrap_or(Val::Int(0))),
                        ("service".to_owned(), service),
                    ]),
                )),
                None => push(&mut e, "grpc", port),
            }
        }
        if let Some(t) = p.get("tcpSocket") {
            push(&mut e, "tcp", port_ref(&t["port"]));
        }
        for (key, field) in [
            ("initial_delay", "initialDelaySeconds"),
            ("period", "periodSeconds"),
            ("timeout", "timeoutSeconds"),
            ("success_threshold", "successThreshold"),
            ("failure_threshold", "failureThreshold"),
        ] {
            push(&mut e, key, int_val(&p[field]));
        }
        (name.to_owned(), e)
    })
    .collect()
}

/// `exec` and `http`, shared by probes and hooks.
fn action(p: &Value) -> Entries {
    let mut e = Entries::new();
    push(&mut e, "exec", strs_val(&p["exec"]["command"]));
    let h = &p["httpGet"];
    if !h.is_null() {
        let mut http = Entries::new();
        push(&mut http, "path", str_val(&h["path"]));
        push(&mut http, "port", port_ref(&h["port"]));
        push(&mut http, "scheme", str_val(&h["scheme"]));
        push(&mut http, "host", str_val(&h["host"]));
        let headers: Entries = items(&h["httpHeaders"])
            .iter()
            .filter_map(|h| Some((text(&h["name"])?, Val::Str(text(&h["value"])?))))
            .collect();
        push(&mut http, "headers", Some(Val::Table(headers)));
        e.push(("http".to_owned(), Val::Table(http)));
    }
    e
}

fn port_ref(v: &Value) -> Option<Val> {
    match v {
        Value::Number(_) => int_val(v),
        _ => str_val(v),
    }
}

fn lifecycle(l: &Value) -> Entries {
    let mut e = Entries::new();
    for (key, field) in [("post_start", "postStart"), ("pre_stop", "preStop")] {
        let h = &l[field];
        if h.is_null() {
            continue;
        }
        let mut t = action(h);
        push(&mut t, "sleep", int_val(&h["sleep"]["seconds"]));
        push(&mut e, key, Some(Val::Table(t)));
    }
    e
}

/// The container settings the top-level `security_context` gives the pod
/// (without `pod_security_context`), by their Kubernetes names.
const SHARED_WITH_POD: &[&str] = &["runAsUser", "runAsGroup", "runAsNonRoot", "seccompProfile"];

/// Whether the top-level `security_context` alone says `pod`'s security
/// exactly: for each setting it gives the pod (the pod's value, else the
/// main container's), every container's effective value (its own, else
/// the pod's) stays what it is. Not so when the main container's value
/// differs from the pod's, or when the pod has none and another container
/// without its own would get the main container's.
fn shared_security_keeps(pod: &Value) -> bool {
    let containers = items(&pod["containers"]);
    let Some(main) = containers.first() else {
        return true;
    };
    let others: Vec<&Value> = (items(&pod["initContainers"]).iter())
        .chain(&containers[1..])
        .collect();
    SHARED_WITH_POD.iter().all(|field| {
        let wide = &pod["securityContext"][*field];
        let own = &main["securityContext"][*field];
        match (wide.is_null(), own.is_null()) {
            (_, true) => true,
            (false, false) => wide == own,
            (true, false) => others
                .iter()
                .all(|c| !c["securityContext"][*field].is_null()),
        }
    })
}

/// `pod_security_context`: the pod's own settings, as they are.
fn pod_security(p: &Value) -> Entries {
    let mut e = Entries::new();
    push(&mut e, "run_as_user", int_val(&p["runAsUser"]));
    push(&mut e, "run_as_group", int_val(&p["runAsGroup"]));
    push(
        &mut e,
        "run_as_non_root",
        boolean(&p["runAsNonRoot"]).map(Val::Bool),
    );
    push(&mut e, "fs_group", int_val(&p["fsGroup"]));
    push(
        &mut e,
        "fs_group_change_policy",
        str_val(&p["fsGroupChangePolicy"]),
    );
    push(
        &mut e,
        "seccomp_profile",
        str_val(&p["seccompProfile"]["type"]),
    );
    e
}

/// The top level's: pod-wide settings from the pod, the rest from the main container.
fn security(pod: &Value, main: &Value) -> Option<Val> {
    let p = &pod["securityContext"];
    let c = &main["securityContext"];
    let mut e = Entries::new();
    for (key, field) in [("run_as_user", "runAsUser"), ("run_as_group", "runAsGroup")] {
        push(
            &mut e,
            key,
            int_val(&p[field]).or_else(|| int_val(&c[field])),
        );
    }
    let non_root = boolean(&p["runAsNonRoot"]).or_else(|| boolean(&c["runAsNonRoot"]));
    push(&mut e, "run_as_non_root", non_root.map(Val::Bool));
    push(&mut e, "fs_group", int_val(&p["fsGroup"]));
    push(
        &mut e,
        "fs_group_change_policy",
        str_val(&p["fsGroupChangePolicy"]),
    );
    let seccomp =
        str_val(&p["seccompProfile"]["type"]).or_else(|| str_val(&c["seccompProfile"]["type"]));
    push(&mut e, "seccomp_profile", seccomp);
    if let Some(Val::Table(rest)) = container_security(c, false) {
        e.extend(rest);
    }
    Some(Val::Table(e))
}

/// A container's own settings; `all` also takes those the top level gives the pod.
fn container_security(c: &Value, all: bool) -> Option<Val> {
    let mut e = Entries::new();
    if all {
        push(&mut e, "run_as_user", int_val(&c["runAsUser"]));
        push(&mut e, "run_as_group", int_val(&c["runAsGroup"]));
        push(
            &mut e,
            "run_as_non_root",
            boolean(&c["runAsNonRoot"]).map(Val::Bool),
        );
        push(
            &mut e,
            "seccomp_profile",
            str_val(&c["seccompProfile"]["type"]),
        );
    }
    for (key, field) in [
        ("read_only_root_filesystem", "readOnlyRootFilesystem"),
        ("allow_privilege_escalation", "allowPrivilegeEscalation"),
        ("privileged", "privileged"),
    ] {
        push(&mut e, key, boolean(&c[field]).map(Val::Bool));
    }
    let caps = &c["capabilities"];
    let mut k = Entries::new();
    for field in ["add", "drop"] {
        push(
            &mut k,
            field,
            Some(Val::Arr(
                strings(&caps[field]).into_iter().map(Val::Str).collect(),
            )),
        );
    }
    push(&mut e, "capabilities", Some(Val::Table(k)));
    Some(Val::Table(e))
}

pub(super) fn toleration(t: &Value) -> Val {
    let mut e = Entries::new();
    push(&mut e, "key", str_val(&t["key"]));
    push(&mut e, "operator", str_val(&t["operator"]));
    push(&mut e, "value", str_val(&t["value"]));
    push(&mut e, "effect", str_val(&t["effect"]));
    push(
        &mut e,
        "toleration_seconds",
        int_val(&t["tolerationSeconds"]),
    );
    Val::Table(e)
}

fn spread(pod: &Value) -> Option<Val> {
    let c = items(&pod["topologySpreadConstraints"]).first()?;
    let across = match text(&c["topologyKey"])?.as_str() {
        "kubernetes.io/hostname" => "node".to_owned(),
        "topology.kubernetes.io/zone" => "zone".to_owned(),
        other => other.to_owned(),
    };
    let skew = int(&c["maxSkew"]).unwrap_or(1);
    let required = text(&c["whenUnsatisfiable"]).as_deref() != Some("ScheduleAnyway");
    if skew == 1 && required {
        return Some(Val::Str(across));
    }
    let mut e = vec![("across".to_owned(), Val::Str(across))];
    e.push(("max_skew".to_owned(), Val::Int(skew)));
    e.push(("required".to_owned(), Val::Bool(required)));
    Some(Val::Table(e))
}

/// Volume mounts: the main container's set the tables' `mount`; the others
/// list a name where they mount a volume exactly there, else
/// `{ volume, path, sub_path, read_only }` for each of their own paths.
fn mounts(c: &Value, role: Role, ctx: &mut Ctx) -> Vec<Val> {
    if role != Role::Main {
        return own_mounts(c, ctx);
    }
    for m in items(&c["volumeMounts"]) {
        let (Some(name), Some(path)) = (text(&m["name"]), text(&m["mountPath"])) else {
            continue;
        };
        let read_only = boolean(&m["readOnly"]) == Some(true);
        if let Some((_, _, mount)) = ctx.standalone.get_mut(&name) {
            // A `[claims.X]`: its one `mount` is the first found.
            if mount.is_empty() {
                mount.push(("mount".to_owned(), Val::Str(path)));
                if read_only {
                    mount.push(("read_only".to_owned(), Val::Bool(true)));
                }
            }
            continue;
        }
        if let Some(claim) = ctx.claims.iter_mut().find(|(n, _)| *n == name) {
            add_mount(&mut claim.1, path, text(&m["subPath"]), read_only);
            continue;
        }
        if let Some((t, volume)) = ctx.pod_volumes.get(&name).cloned() {
            data_mount(&mut ctx.tables[t].usage, &volume, path, text(&m["subPath"]));
        }
    }
    Vec::new()
}

/// A configmap's or secret's `mount`, `items` and `default_mode`, from its
/// pod volume and where a container mounts it.
fn data_mount(usage: &mut Entries, volume: &Value, path: String, sub_path: Option<String>) {
    let source = if volume["configMap"].is_null() {
        &volume["secret"]
    } else {
        &volume["configMap"]
    };
    let mount = match sub_path {
        // One key as one file: the key is the file the volume holds.
        Some(key) if source["items"].is_null() => Val::Table(vec![
            ("path".to_owned(), Val::Str(path)),
            ("key".to_owned(), Val::Str(key)),
        ]),
        _ => Val::Str(path),
    };
    set(usage, "mount", mount);
    let wanted: Entries = items(&source["items"])
        .iter()
        .filter_map(|i| Some((text(&i["key"])?, Val::Str(text(&i["path"])?))))
        .collect();
    push(usage, "items", Some(Val::Table(wanted)));
    push(
        usage,
        "default_mode",
        int(&source["defaultMode"]).map(Val::Octal),
    );
}

/// Whether `entries` say `read_only = true` for the whole volume.
fn read_only_set(e: &Entries) -> bool {
    e.iter()
        .any(|(k, v)| k == "read_only" && *v == Val::Bool(true))
}

/// One mount as kubetoml compares them: path, sub-path, read-only.
type MountAt = (String, Option<String>, bool);

/// Where a name in `mounts` mounts a source: its `mount` entries (`mount`,
/// `sub_path`, `read_only` or a list), read-only by default if `read_only`.
fn named_mounts(e: &Entries, read_only: bool) -> Vec<MountAt> {
    let get = |key: &str| e.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    let flag = |v: Option<&Val>, default: bool| match v {
        Some(Val::Bool(b)) => *b,
        _ => default,
    };
    let read_only = flag(get("read_only"), read_only);
    let sub_path = match get("sub_path") {
        Some(Val::Str(s)) => Some(s.clone()),
        _ => None,
    };
    match get("mount") {
        Some(Val::Str(path)) => vec![(path.clone(), sub_path, read_only)],
        Some(Val::Arr(list)) => (list.iter())
            .filter_map(|v| match v {
                Val::Table(t) => named_mounts(t, read_only).pop(),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A sidecar's, init container's or Job's mounts, source by source in the
/// order first mounted: the name where it mounts the source at exactly the
/// paths the name gives, else a table for each of its paths.
fn own_mounts(c: &Value, ctx: &mut Ctx) -> Vec<Val> {
    let mut order: Vec<String> = Vec::new();
    let mut found: BTreeMap<String, Vec<MountAt>> = BTreeMap::new();
    for m in items(&c["volumeMounts"]) {
        let (Some(name), Some(path)) = (text(&m["name"]), text(&m["mountPath"])) else {
            continue;
        };
        if !found.contains_key(&name) {
            order.push(name.clone());
        }
        let read_only = boolean(&m["readOnly"]) == Some(true);
        found
            .entry(name)
            .or_default()
            .push((path, text(&m["subPath"]), read_only));
    }
    let mut out = Vec::new();
    for name in order {
        let mut mine = found.remove(&name).unwrap_or_default();
        // The table the name refers to, where a name mounts it, and whether
        // its table entries are read-only unless they say (a configmap or
        // secret always is; a volume with `read_only`).
        let (table, named, default_read_only) =
            if let Some((_, table, mount)) = ctx.standalone.get_mut(&name) {
                if mount.is_empty() {
                    // Mounted by no container before: this one's first path is the claim's.
                    let (path, _, read_only) = mine[0].clone();
                    mount.push(("mount".to_owned(), Val::Str(path)));
                    if read_only {
                        mount.push(("read_only".to_owned(), Val::Bool(true)));
                    }
                }
                (
                    table.clone(),
                    named_mounts(mount, false),
                    read_only_set(mount),
                )
            } else if let Some((_, e)) = ctx.claims.iter().find(|(n, _)| *n == name) {
                (name.clone(), named_mounts(e, false), read_only_set(e))
            } else if let Some((t, volume)) = ctx.pod_volumes.get(&name).cloned() {
                let table = &mut ctx.tables[t];
                if !table.usage.iter().any(|(k, _)| k == "mount") {
                    // A configmap or secret has a pod volume only with a `mount`,
                    // which the main container then mounts too (a difference).
                    let (path, sub_path, _) = mine[0].clone();
                    data_mount(&mut table.usage, &volume, path, sub_path);
                }
                let named = match table.usage.iter().find(|(k, _)| k == "mount") {
                    Some((_, Val::Table(t))) => named_mounts(
                        &vec![
                            ("mount".to_owned(), t[0].1.clone()),
                            ("sub_path".to_owned(), t[1].1.clone()),
                        ],
                        true,
                    ),
                    _ => named_mounts(&table.usage, true),
                };
                (table.table.clone(), named, true)
            } else {
                continue;
            };
        let data = default_read_only && ctx.pod_volumes.contains_key(&name);
        if data {
            // The kubelet mounts them read-only, with `readOnly` or not.
            mine.iter_mut().for_each(|m| m.2 = true);
        }
        let mut sorted = mine.clone();
        sorted.sort();
        let mut named_sorted = named.clone();
        named_sorted.sort();
        if sorted == named_sorted {
            out.push(Val::Str(table));
            continue;
        }
        ctx.mounted_at.insert(name.clone());
        for (path, sub_path, read_only) in mine {
            let mut t = vec![
                ("volume".to_owned(), Val::Str(table.clone())),
                ("path".to_owned(), Val::Str(path)),
            ];
            t.extend(sub_path.map(|s| ("sub_path".to_owned(), Val::Str(s))));
            if read_only != default_read_only {
                t.push(("read_only".to_owned(), Val::Bool(read_only)));
            }
            out.push(Val::Table(t));
        }
    }
    out
}

/// Adds one mount of a volume to its `[volumes.NAME]` entries: the first as
/// `mount = PATH` with `sub_path` and `read_only`, a second one turns
/// `mount` into a list of `{ path, sub_path, read_only }`.
fn add_mount(e: &mut Entries, path: String, sub_path: Option<String>, read_only: bool) {
    fn entry(path: String, sub_path: Option<String>, read_only: bool) -> Val {
        let mut t = vec![("path".to_owned(), Val::Str(path))];
        t.extend(sub_path.map(|s| ("sub_path".to_owned(), Val::Str(s))));
        if read_only {
            t.push(("read_only".to_owned(), Val::Bool(true)));
        }
        Val::Table(t)
    }
    fn take(e: &mut Entries, key: &str) -> Option<Val> {
        let at = e.iter().position(|(k, _)| k == key)?;
        Some(e.remove(at).1)
    }
    let Some(slot) = e.iter().position(|(k, _)| k == "mount") else {
        e.push(("mount".to_owned(), Val::Str(path)));
        push(e, "sub_path", sub_path.map(Val::Str));
        if read_only {
            e.push(("read_only".to_owned(), Val::Bool(true)));
        }
        return;
    };
    let added = entry(path, sub_path, read_only);
    let list = match e[slot].1.clone() {
        Val::Arr(mut list) => {
            list.push(added);
            list
        }
        Val::Str(first) => {
            let first_sub = match take(e, "sub_path") {
                Some(Val::Str(s)) => Some(s),
                _ => None,
            };
            let first_read_only = take(e, "read_only") == Some(Val::Bool(true));
            vec![entry(first, first_sub, first_read_only), added]
        }
        _ => return,
    };
    set(e, "mount", Val::Arr(list));
}

/// A `mount` list whose entries are all read-only says so once, as the
/// volume's `read_only` (which also makes a shared claim's volume read-only,
/// as kubetoml renders it).
pub fn settle_mount_list(e: &mut Entries) {
    let Some((_, Val::Arr(list))) = e.iter_mut().find(|(k, _)| k == "mount") else {
        return;
    };
    let read_only = |v: &Val| matches!(v, Val::Table(t) if t.iter().any(|(k, v)| k == "read_only" && *v == Val::Bool(true)));
    if !list.iter().all(read_only) {
        return;
    }
    for v in list.iter_mut() {
        if let Val::Table(t) = v {
            t.retain(|(k, _)| k != "read_only");
        }
    }
    e.push(("read_only".to_owned(), Val::Bool(true)));
}
