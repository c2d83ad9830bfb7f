//! One StatefulSet and what belongs to it, written as a description.

use std::collections::{BTreeMap, BTreeSet};

use crate::read::yamlread::Value;
use base64::Engine;

use super::pod;
use super::services::{allow, forwards_to_undeclared, own_metadata, service_port};
use super::shared::{bare, App, Object, RESERVED_LABELS};
use super::shared::{
    int_val, push, str_table, str_val, strs_val, Ctx, DataFile, DataTable, SERVER_ANNOTATIONS,
};
use super::toml_out::{Doc, Entries, Val};
use super::value::{boolean, int, items, string_map, text};
use crate::diag::Error;

/// One description per StatefulSet in `objects`, except that StatefulSets
/// sharing objects (a ConfigMap, a Secret, a ServiceAccount the input makes)
/// become one description with a role each (see [`super::roles`]).
/// `differences` counts what a description's render changes of the input
/// (`None` when it does not compile): roles are kept only when they render
/// and change no more than one description per StatefulSet would.
pub fn build(
    objects: &[Object],
    differences: &dyn Fn(&App) -> Option<usize>,
) -> Result<Vec<App>, Error> {
    let sets: Vec<usize> = (0..objects.len())
        .filter(|&i| objects[i].kind == "StatefulSet")
        .collect();
    if sets.is_empty() {
        return Err(bare(
            "no StatefulSet in the input: a description is one StatefulSet with its Service, ConfigMaps and Secrets".to_owned(),
        ));
    }
    // By name, not by the input's order, so that importing the render again
    // gives each object the same owner.
    let mut by_name = sets.clone();
    by_name.sort_by(|&a, &b| objects[a].name.cmp(&objects[b].name));
    let owners = data_owners(objects, &by_name);
    let owned_by = |group: &[usize]| -> Vec<usize> {
        (owners.iter())
            .filter(|(_, o)| group.contains(o))
            .map(|(&d, _)| d)
            .collect()
    };
    let mut apps = Vec::new();
    for group in super::roles::groups(objects, &sets) {
        if let [s] = group[..] {
            apps.push(build_app(objects, s, &owned_by(&group), true)?);
            continue;
        }
        let owned = owned_by(&group);
        let members = (group.iter())
            .map(|&s| build_app(objects, s, &owned, false))
            .collect::<Result<Vec<_>, _>>()?;
        // Roles cannot say everything (a headless Service two StatefulSets share, say).
        let separate = (group.iter())
            .map(|&s| build_app(objects, s, &owned_by(&[s]), true))
            .collect::<Result<Vec<_>, _>>()?;
        let combined = super::roles::combine(objects, &group, &members).filter(|app| {
            let apart: Option<usize> = separate.iter().map(differences).sum();
            differences(app).is_some_and(|n| apart.is_none_or(|apart| n < apart))
        });
        match combined {
            Some(app) => apps.push(app),
            // Not one description: each StatefulSet its own, as without roles.
            None => apps.extend(separate),
        }
    }
    Ok(apps)
}

/// Each ConfigMap and Secret goes to the first StatefulSet of `sets` (in its namespace) that refers to it, else the first one there.
fn data_owners(objects: &[Object], sets: &[usize]) -> BTreeMap<usize, usize> {
    let mut owners = BTreeMap::new();
    for (i, o) in objects.iter().enumerate() {
        if o.kind != "ConfigMap" && o.kind != "Secret" {
            continue;
        }
        let same_ns: Vec<usize> = sets
            .iter()
            .copied()
            .filter(|&s| objects[s].namespace == o.namespace)
            .collect();
        let refers = same_ns.iter().copied().find(|&s| {
            let mut names = Vec::new();
            pod::referenced(
                &objects[s].value["spec"]["template"]["spec"],
                &o.kind,
                &mut names,
            );
            names.contains(&o.name)
        });
        if let Some(owner) = refers.or(same_ns.first().copied()) {
            owners.insert(i, owner);
        }
    }
    owners
}

fn build_app(objects: &[Object], set: usize, owned: &[usize], extras: bool) -> Result<App, Error> {
    let sts = &objects[set];
    let spec = &sts.value["spec"];
    let pod_spec = &spec["template"]["spec"];
    let mut ctx = Ctx {
        tables: Vec::new(),
        claims: Vec::new(),
        pod_volumes: BTreeMap::new(),
        pod_dirs: Vec::new(),
        standalone: BTreeMap::new(),
        mounted_at: BTreeSet::new(),
    };
    for &d in owned {
        ctx.tables.push(data_table(&objects[d], d)?);
    }
    external_tables(pod_spec, &mut ctx);
    for claim in items(&spec["volumeClaimTemplates"]) {
        if let Some(name) = text(&claim["metadata"]["name"]) {
            ctx.claims.push((name, Vec::new()));
        }
    }
    let batch = super::jobs::find(objects, set, &mut ctx);
    pod_dirs(pod_spec, &mut ctx);
    object_dirs(pod_spec, &mut ctx);
    data_volumes(pod_spec, &mut ctx);
    let mut doc = Doc::default();
    doc.comments.push(format!(
        "Imported by `kubetoml import` from StatefulSet/{} in {}.",
        sts.name, sts.file
    ));
    doc.comments
        .push("What the format cannot express was listed by the import, and left out.".to_owned());
    top_level(sts, &mut doc.top);
    pod::main_and_others(pod_spec, &mut ctx, &mut doc);
    super::extras::pod_settings(&spec["template"], &mut doc.top);
    let top = doc.top.clone();
    let service = service(objects, sts, &top, &mut doc);
    let mut used = vec![set];
    used.extend(service);
    used.extend(super::companions::companions(objects, set, &mut doc));
    statefulset_section(spec, &mut doc);
    keep_selector(sts, &mut doc);
    claims_sections(&sts.value, &mut ctx, &mut doc);
    pod_dir_sections(&ctx, &mut doc);
    super::jobs::sections(objects, set, &batch, &mut ctx, &mut doc);
    used.extend(batch.indices());
    let mut data = Vec::new();
    let mut data_labels = Vec::new();
    for t in ctx.tables {
        let kind = if t.secret { "secrets" } else { "configmaps" };
        let header = format!("[{kind}.{}]", super::toml_out::key(&t.table));
        let mut entries = t.content;
        entries.extend(t.usage);
        entries.extend(t.tail);
        if let Some(o) = t.object {
            let labels = string_map(&objects[o].value["metadata"]["labels"]);
            super::shared::set_data_labels(&mut entries, &labels, &doc.top);
            data_labels.push((header.clone(), labels));
        }
        doc.sections.push((header, entries));
        data.extend(t.files);
        used.extend(t.object);
    }
    let mut extra_objects = Vec::new();
    if extras {
        let found = super::companions::extra_manifests(objects, set, &used, &mut doc);
        if let Some((file, extra)) = found {
            data.push(file);
            used.extend(extra.iter().copied());
            extra_objects = extra;
        }
    }
    Ok(App {
        name: sts.name.clone(),
        toml: doc.to_text(),
        doc,
        data,
        objects: used,
        extras: extra_objects,
        data_labels,
    })
}

/// The pod's ConfigMap and Secret volumes whose objects became tables, by
/// volume name, into `ctx.pod_volumes` (those written as folders already,
/// `ctx.pod_dirs`, aside).
fn data_volumes(pod_spec: &Value, ctx: &mut Ctx) {
    for v in items(&pod_spec["volumes"]) {
        if ctx
            .pod_dirs
            .iter()
            .any(|(n, _)| Some(n) == text(&v["name"]).as_ref())
        {
            continue;
        }
        let (secret, object) = match (
            text(&v["configMap"]["name"]),
            text(&v["secret"]["secretName"]),
        ) {
            (Some(cm), _) => (false, cm),
            (None, Some(s)) => (true, s),
            _ => continue,
        };
        if let (Some(name), Some(t)) = (text(&v["name"]), ctx.table(secret, &object)) {
            ctx.pod_volumes.insert(name, (t, v.clone()));
        }
    }
}

fn top_level(sts: &Object, top: &mut Entries) {
    let meta = &sts.value["metadata"];
    top.push(("name".to_owned(), Val::Str(sts.name.clone())));
    push(top, "namespace", str_val(&meta["namespace"]));
    let replicas = sts.value["spec"]["replicas"].clone();
    push(top, "replicas", int_val(&replicas).or(Some(Val::Int(1))));
    // A chart's `app.kubernetes.io/name` and `instance` stay when the
    // description keeps the chart's selector (`keep_selector`): the pods
    // then carry them as the selector wants.
    let mut selector = string_map(&sts.value["spec"]["selector"]["matchLabels"]);
    selector.sort();
    let own_selector = !selector.is_empty() && selector != default_selector(&sts.name);
    let labels: Vec<(String, String)> = (string_map(&meta["labels"]).into_iter())
        .filter(|(k, v)| {
            let kept = own_selector
                && k != "app.kubernetes.io/managed-by"
                && selector.iter().all(|(sk, sv)| sk != k || sv == v);
            kept || !RESERVED_LABELS.contains(&k.as_str())
        })
        .collect();
    push(top, "labels", Some(str_table(labels, &[])));
    push(
        top,
        "annotations",
        Some(str_table(
            string_map(&meta["annotations"]),
            SERVER_ANNOTATIONS,
        )),
    );
}

/// The `[service]` section from the Service named by `serviceName`; returns its index.
fn service(objects: &[Object], sts: &Object, top: &Entries, doc: &mut Doc) -> Option<usize> {
    let name = text(&sts.value["spec"]["serviceName"])?;
    let mut entries = Entries::new();
    if name != sts.name {
        entries.push(("name".to_owned(), Val::Str(name.clone())));
    }
    let found = objects
        .iter()
        .position(|o| o.kind == "Service" && o.name == name && o.namespace == sts.namespace);
    if let Some(i) = found {
        let svc = &objects[i].value;
        let pod = &sts.value["spec"]["template"]["spec"];
        let declared = pod::port_names(pod);
        let ports: Entries = items(&svc["spec"]["ports"])
            .iter()
            .filter_map(|p| service_port(p, pod, &declared))
            .collect();
        if ports
            .iter()
            .any(|(_, p)| forwards_to_undeclared(p, &declared))
        {
            allow(&mut doc.top, "undeclared-port");
        }
        push(&mut entries, "ports", Some(Val::Table(ports)));
        if let Some(true) = boolean(&svc["spec"]["publishNotReadyAddresses"]) {
            entries.push(("publish_not_ready_addresses".to_owned(), Val::Bool(true)));
        }
        push(
            &mut entries,
            "traffic_distribution",
            str_val(&svc["spec"]["trafficDistribution"]),
        );
        own_metadata(svc, top, &mut entries);
    }
    if !entries.is_empty() {
        doc.sections.push(("[service]".to_owned(), entries));
    }
    found
}

fn statefulset_section(spec: &Value, doc: &mut Doc) {
    let mut e = Entries::new();
    // `""` is what Kubernetes takes for its default, `OrderedReady`.
    push(
        &mut e,
        "pod_management_policy",
        str_val(&spec["podManagementPolicy"]).filter(|p| *p != Val::Str(String::new())),
    );
    let strategy = &spec["updateStrategy"];
    if !strategy.is_null() {
        let mut s = Entries::new();
        push(&mut s, "type", str_val(&strategy["type"]));
        push(
            &mut s,
            "partition",
            int_val(&strategy["rollingUpdate"]["partition"]),
        );
        let max = &strategy["rollingUpdate"]["maxUnavailable"];
        push(
            &mut s,
            "max_unavailable",
            match max {
                Value::Number(_) => int_val(max),
                _ => str_val(max),
            },
        );
        push(&mut e, "update_strategy", Some(Val::Table(s)));
    }
    push(
        &mut e,
        "min_ready_seconds",
        int_val(&spec["minReadySeconds"]),
    );
    push(
        &mut e,
        "revision_history_limit",
        int_val(&spec["revisionHistoryLimit"]),
    );
    let retention = &spec["persistentVolumeClaimRetentionPolicy"];
    let mut r = Entries::new();
    push(&mut r, "when_deleted", str_val(&retention["whenDeleted"]));
    push(&mut r, "when_scaled", str_val(&retention["whenScaled"]));
    push(&mut e, "pvc_retention_policy", Some(Val::Table(r)));
    push(
        &mut e,
        "ordinals_start",
        int_val(&spec["ordinals"]["start"]),
    );
    if !e.is_empty() {
        doc.sections.push(("[statefulset]".to_owned(), e));
    }
}

/// The selector kubetoml gives a StatefulSet named `name`.
fn default_selector(name: &str) -> Vec<(String, String)> {
    vec![
        ("app.kubernetes.io/instance".to_owned(), name.to_owned()),
        ("app.kubernetes.io/name".to_owned(), name.to_owned()),
    ]
}

/// `[statefulset] selector`, when the input's differs from kubetoml's:
/// Kubernetes never changes a StatefulSet's selector.
fn keep_selector(sts: &Object, doc: &mut Doc) {
    let selector = &sts.value["spec"]["selector"];
    let mut labels = string_map(&selector["matchLabels"]);
    labels.sort();
    if labels.is_empty() || labels == default_selector(&sts.name) {
        return;
    }
    let value = Val::Table(labels.into_iter().map(|(k, v)| (k, Val::Str(v))).collect());
    match doc.sections.iter_mut().find(|(h, _)| h == "[statefulset]") {
        Some((_, e)) => e.push(("selector".to_owned(), value)),
        None => doc.sections.push((
            "[statefulset]".to_owned(),
            vec![("selector".to_owned(), value)],
        )),
    }
}

/// The claim template's metadata a description keeps when it is not
/// kubetoml's default (the StatefulSet's selector as labels, no annotations)
/// and its `volumeMode` when written: a template never changes.
fn claim_metadata(sts: &Value, claim: &Value, e: &mut Entries) {
    let mut selector = string_map(&sts["spec"]["selector"]["matchLabels"]);
    selector.sort();
    let mut labels = string_map(&claim["metadata"]["labels"]);
    labels.sort();
    if labels != selector {
        e.push(("labels".to_owned(), str_table(labels, &[])));
    }
    let annotations = string_map(&claim["metadata"]["annotations"]);
    push(e, "annotations", Some(str_table(annotations, &[])));
    push(e, "volume_mode", str_val(&claim["spec"]["volumeMode"]));
}

/// `[volumes.NAME]` for each claim template a container mounts (the format needs a mount path).
fn claims_sections(sts: &Value, ctx: &mut Ctx, doc: &mut Doc) {
    let spec = &sts["spec"];
    for claim in items(&spec["volumeClaimTemplates"]) {
        let Some(name) = text(&claim["metadata"]["name"]) else {
            continue;
        };
        let Some((_, mount)) = ctx.claims.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        let mounted_at = ctx.mounted_at.contains(&name);
        if !mount.iter().any(|(k, _)| k == "mount") && !mounted_at {
            continue;
        }
        let s = &claim["spec"];
        let mut mount = mount.clone();
        if !mounted_at {
            super::pod::settle_mount_list(&mut mount);
        }
        let mut e = Entries::new();
        e.extend(mount.iter().filter(|(k, _)| k == "mount").cloned());
        push(
            &mut e,
            "size",
            str_val(&s["resources"]["requests"]["storage"]),
        );
        push(&mut e, "storage_class", str_val(&s["storageClassName"]));
        push(&mut e, "access_modes", strs_val(&s["accessModes"]));
        claim_metadata(sts, claim, &mut e);
        e.extend(mount.iter().filter(|(k, _)| k != "mount").cloned());
        doc.sections
            .push((format!("[volumes.{}]", super::toml_out::key(&name)), e));
    }
}

/// An `external` table for each ConfigMap or Secret the pod mounts or reads
/// that the input does not hold: it exists in the cluster.
fn external_tables(pod: &Value, ctx: &mut Ctx) {
    let mut wanted: Vec<(bool, String)> = Vec::new();
    for v in items(&pod["volumes"]) {
        wanted.extend(text(&v["configMap"]["name"]).map(|n| (false, n)));
        wanted.extend(text(&v["secret"]["secretName"]).map(|n| (true, n)));
        for s in items(&v["projected"]["sources"]) {
            wanted.extend(text(&s["configMap"]["name"]).map(|n| (false, n)));
            wanted.extend(text(&s["secret"]["name"]).map(|n| (true, n)));
        }
    }
    for list in ["initContainers", "containers"] {
        for c in items(&pod[list]) {
            for e in items(&c["env"]) {
                let from = &e["valueFrom"];
                for (field, secret) in [("configMapKeyRef", false), ("secretKeyRef", true)] {
                    let r = &from[field];
                    if r["optional"].is_null() {
                        wanted.extend(text(&r["name"]).map(|n| (secret, n)));
                    }
                }
            }
            for e in items(&c["envFrom"]) {
                for (field, secret) in [("configMapRef", false), ("secretRef", true)] {
                    let r = &e[field];
                    if r["optional"].is_null() && e["prefix"].is_null() {
                        wanted.extend(text(&r["name"]).map(|n| (secret, n)));
                    }
                }
            }
        }
    }
    for (secret, name) in wanted {
        if ctx.table(secret, &name).is_some() {
            continue;
        }
        ctx.tables.push(DataTable {
            object: None,
            object_name: name.clone(),
            table: name,
            secret,
            content: vec![("external".to_owned(), Val::Bool(true))],
            usage: Entries::new(),
            tail: Entries::new(),
            files: Vec::new(),
        });
    }
}

/// `emptyDir` and `persistentVolumeClaim` pod volumes, as `[volumes.NAME]`
/// with `empty_dir` or `claim` (their mounts are found with the claims').
fn pod_dirs(pod: &Value, ctx: &mut Ctx) {
    for v in items(&pod["volumes"]) {
        let Some(name) = text(&v["name"]) else {
            continue;
        };
        if ctx.standalone.contains_key(&name) {
            // A `[claims.X]`, mounted by the containers that list it.
            continue;
        }
        let source = if let Some(e) = v.get("emptyDir") {
            let mut t = Entries::new();
            let medium = str_val(&e["medium"]).filter(|m| *m != Val::Str(String::new()));
            push(&mut t, "medium", medium);
            push(&mut t, "size_limit", str_val(&e["sizeLimit"]));
            let dir = if t.is_empty() {
                Val::Bool(true)
            } else {
                Val::Table(t)
            };
            ("empty_dir".to_owned(), dir)
        } else if let Some(claim) = text(&v["persistentVolumeClaim"]["claimName"]) {
            ("claim".to_owned(), Val::Str(claim))
        } else {
            continue;
        };
        ctx.claims.push((name.clone(), Vec::new()));
        ctx.pod_dirs.push((name, vec![source]));
    }
}

/// ConfigMap and Secret volumes the tables' `mount` cannot say, as
/// `[volumes.NAME]` with `secret`, `configmap` or `projected`: a projected
/// volume of the input's (or existing) objects, a volume no container
/// mounts, and one named otherwise than its table. Their mounts are found
/// with the claims'.
fn object_dirs(pod: &Value, ctx: &mut Ctx) {
    let containers: Vec<&Value> = ["initContainers", "containers"]
        .iter()
        .flat_map(|list| items(&pod[*list]))
        .collect();
    for v in items(&pod["volumes"]) {
        let Some(name) = text(&v["name"]) else {
            continue;
        };
        let mounted = (containers.iter())
            .flat_map(|c| items(&c["volumeMounts"]))
            .any(|m| text(&m["name"]).as_deref() == Some(&name));
        let source = if v.get("projected").is_some() {
            projected(&v["projected"], ctx)
        } else {
            [
                ("configMap", "name", "configmap", false),
                ("secret", "secretName", "secret", true),
            ]
            .into_iter()
            .find_map(|(field, key, as_, secret)| {
                let src = v.get(field)?;
                let t = ctx.table(secret, &text(&src[key])?)?;
                let table = &ctx.tables[t].table;
                // A mounted volume named as the table's `mount` names it is said there.
                if mounted && name == table.replace('.', "-") {
                    return None;
                }
                let mut e = vec![(as_.to_owned(), Val::Str(table.clone()))];
                e.push(("items".to_owned(), key_items(src)?));
                push(
                    &mut e,
                    "default_mode",
                    int(&src["defaultMode"]).map(Val::Octal),
                );
                (src["optional"].is_null()).then_some(e)
            })
        };
        let Some(mut source) = source else {
            continue;
        };
        source.retain(|(_, v)| !matches!(v, Val::Table(t) if t.is_empty()));
        ctx.claims.push((name.clone(), Vec::new()));
        ctx.pod_dirs.push((name, source));
    }
}

/// `projected = [...]` and `default_mode` for a projected volume whose
/// sources are all ConfigMaps and Secrets (without `optional` or item modes).
fn projected(p: &Value, ctx: &Ctx) -> Option<Entries> {
    let mut sources = Vec::new();
    for s in items(&p["sources"]) {
        let m = s.as_mapping()?;
        let [(field, src)] = m.iter().collect::<Vec<_>>()[..] else {
            return None;
        };
        let (secret, as_) = match text(field)?.as_str() {
            "configMap" => (false, "configmap"),
            "secret" => (true, "secret"),
            _ => return None,
        };
        let known = ["name", "items"];
        if !src
            .as_mapping()?
            .keys()
            .all(|k| text(k).is_some_and(|k| known.contains(&k.as_str())))
        {
            return None;
        }
        let t = ctx.table(secret, &text(&src["name"])?)?;
        let mut e = vec![(as_.to_owned(), Val::Str(ctx.tables[t].table.clone()))];
        push(&mut e, "items", key_items(src));
        sources.push(Val::Table(e));
    }
    if sources.is_empty() {
        return None;
    }
    let mut e = vec![("projected".to_owned(), Val::Arr(sources))];
    push(
        &mut e,
        "default_mode",
        int(&p["defaultMode"]).map(Val::Octal),
    );
    Some(e)
}

/// A volume source's `items` as `key = "path"`; `None` when one has a `mode` of its own.
fn key_items(src: &Value) -> Option<Val> {
    let mut e = Entries::new();
    for i in items(&src["items"]) {
        if !i["mode"].is_null() {
            return None;
        }
        e.push((text(&i["key"])?, Val::Str(text(&i["path"])?)));
    }
    Some(Val::Table(e))
}

/// `[volumes.NAME]` for each pod volume a container mounts (and each
/// ConfigMap, Secret or projected volume, mounted or not).
fn pod_dir_sections(ctx: &Ctx, doc: &mut Doc) {
    for (name, source) in &ctx.pod_dirs {
        let Some((_, mount)) = ctx.claims.iter().find(|(n, _)| n == name) else {
            continue;
        };
        let mounted_at = ctx.mounted_at.contains(name);
        let of_objects = (source.first())
            .is_some_and(|(k, _)| ["secret", "configmap", "projected"].contains(&k.as_str()));
        if !of_objects && !mounted_at && !mount.iter().any(|(k, _)| k == "mount") {
            continue;
        }
        let mut e = source.clone();
        e.extend(mount.iter().cloned());
        if !mounted_at {
            super::pod::settle_mount_list(&mut e);
        }
        doc.sections
            .push((format!("[volumes.{}]", super::toml_out::key(name)), e));
    }
}

/// The table for one ConfigMap or Secret: its content as literals or data files.
fn data_table(o: &Object, index: usize) -> Result<DataTable, Error> {
    let secret = o.kind == "Secret";
    let v = &o.value;
    let mut text_data = BTreeMap::new();
    let mut bytes_data = BTreeMap::new();
    for (k, val) in string_map(&v["data"]) {
        if secret {
            bytes_data.insert(k.clone(), decode(o, &k, &val)?);
        } else {
            text_data.insert(k, val);
        }
    }
    for (k, val) in string_map(&v["binaryData"]) {
        bytes_data.insert(k.clone(), decode(o, &k, &val)?);
    }
    for (k, val) in string_map(&v["stringData"]) {
        bytes_data.insert(k, val.into_bytes());
    }
    let type_ = text(&v["type"]).unwrap_or_else(|| "Opaque".to_owned());
    let suffix = if secret {
        crate::write::hash::secret_suffix(&type_, &bytes_data)
    } else {
        crate::write::hash::configmap_suffix(&text_data, &bytes_data)
    };
    let (table, hashed) = match o.name.strip_suffix(&format!("-{suffix}")) {
        Some(base) if !base.is_empty() => (base.to_owned(), true),
        _ => (o.name.clone(), false),
    };
    let folder = format!("{}/{table}", if secret { "secrets" } else { "configmaps" });
    let mut content = Entries::new();
    if secret && type_ != "Opaque" {
        content.push(("type".to_owned(), Val::Str(type_)));
    }
    let mut files = Vec::new();
    let mut literals = Entries::new();
    let mut all: Vec<(String, Vec<u8>)> = text_data
        .into_iter()
        .map(|(k, s)| (k, s.into_bytes()))
        .collect();
    all.extend(bytes_data);
    all.sort_by(|a, b| a.0.cmp(&b.0));
    for (k, bytes) in all {
        match std::str::from_utf8(&bytes) {
            Ok(s) if !secret && s.len() <= 80 && !s.chars().any(char::is_control) => {
                literals.push((k, Val::Str(s.to_owned())));
            }
            _ => files.push(data_file(o, &folder, &k, bytes, secret)?),
        }
    }
    push(
        &mut content,
        "files",
        Some(Val::Arr(
            files.iter().map(|f| Val::Str(f.path.clone())).collect(),
        )),
    );
    push(&mut content, "literals", Some(Val::Table(literals)));
    let mut tail = Entries::new();
    if let Some(b) = boolean(&v["immutable"]) {
        tail.push(("immutable".to_owned(), Val::Bool(b)));
    }
    if hashed {
        tail.push(("hash_suffix".to_owned(), Val::Bool(true)));
    }
    Ok(DataTable {
        object: Some(index),
        object_name: o.name.clone(),
        table,
        secret,
        content,
        usage: Entries::new(),
        tail,
        files,
    })
}

fn data_file(
    o: &Object,
    folder: &str,
    key: &str,
    bytes: Vec<u8>,
    secret: bool,
) -> Result<DataFile, Error> {
    if key.is_empty() || key == "." || key == ".." || key.contains(['/', '\\']) {
        return Err(bare(format!(
            "{}: key {} cannot be a file name (Kubernetes does not allow it either)",
            o.label(),
            shown_key(o, key)
        )));
    }
    // Its file would be named by it, and the description refused quoting it.
    if secret && !super::shared::secret_key_shown(key) {
        return Err(bare(format!(
            "{}: a key is not a valid Secret key (masked: a mistake may have moved a value into it), and Kubernetes refuses such a Secret too",
            o.label()
        )));
    }
    Ok(DataFile {
        path: format!("{folder}/{key}"),
        bytes,
        secret,
    })
}

/// A key as an error quotes it: a Secret's key that is not a valid key may
/// be a value an edit moved there, and is masked, as in descriptions.
fn shown_key(o: &Object, key: &str) -> String {
    if o.kind == "Secret" && !super::shared::secret_key_shown(key) {
        "(a key that is not a valid Secret key, masked)".to_owned()
    } else {
        format!("`{key}`")
    }
}

fn decode(o: &Object, key: &str, b64: &str) -> Result<Vec<u8>, Error> {
    let clean: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(clean)
        .map_err(|_| {
            bare(format!(
                "{}: the value of key {} is not base64",
                o.label(),
                shown_key(o, key)
            ))
        })
}
