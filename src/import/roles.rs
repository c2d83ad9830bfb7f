//! StatefulSets that share objects become one description with
//! `[roles.NAME]`: what every StatefulSet's description says alike is
//! written once, the rest in each role's tables.

use super::shared::{App, Object};
use super::toml_out::{Doc, Entries, Val};
use super::value::text;

/// What a role may not set (`crate::read::layers::SHARED`'s keys an import writes).
const SHARED: &[&str] = &[
    "name",
    "namespace",
    "create_namespace",
    "hash_suffix",
    "service_account",
    "network_policy",
    "extra_manifests",
    "pod_security",
    "allow",
];

/// The StatefulSets `sets`, grouped: two are in one group when they are in
/// the same namespace, run as the same account, and share an object the
/// input makes (a ConfigMap, a Secret, that account). In input order.
pub fn groups(objects: &[Object], sets: &[usize]) -> Vec<Vec<usize>> {
    let account =
        |s: usize| text(&objects[s].value["spec"]["template"]["spec"]["serviceAccountName"]);
    let made = |kind: &str, name: &str, ns: &Option<String>| {
        objects
            .iter()
            .any(|o| o.kind == kind && o.name == name && &o.namespace == ns)
    };
    let uses = |s: usize| {
        let pod = &objects[s].value["spec"]["template"]["spec"];
        let mut out = Vec::new();
        for kind in ["ConfigMap", "Secret"] {
            let mut names = Vec::new();
            super::pod::referenced(pod, kind, &mut names);
            let ns = &objects[s].namespace;
            out.extend(
                names
                    .into_iter()
                    .filter(|n| made(kind, n, ns))
                    .map(|n| (kind, n)),
            );
        }
        if let Some(a) = account(s).filter(|a| made("ServiceAccount", a, &objects[s].namespace)) {
            out.push(("ServiceAccount", a));
        }
        out
    };
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for &s in sets {
        let mine = uses(s);
        let joins = groups.iter().position(|g| {
            g.iter().any(|&t| {
                objects[t].namespace == objects[s].namespace
                    && account(t) == account(s)
                    && uses(t).iter().any(|u| mine.contains(u))
            })
        });
        match joins {
            Some(g) => groups[g].push(s),
            None => groups.push(vec![s]),
        }
    }
    groups
}

/// The app's name: the longest run of `-`-separated words every
/// StatefulSet's name starts with (at least one word), else the first name.
fn app_name(names: &[&str]) -> String {
    let words: Vec<Vec<&str>> = names.iter().map(|n| n.split('-').collect()).collect();
    let mut common = 0;
    while words
        .iter()
        .all(|w| w.len() > common && w[common] == words[0][common])
    {
        common += 1;
    }
    match common {
        0 => names[0].to_owned(),
        n => words[0][..n].join("-"),
    }
}

/// Each StatefulSet's role name: its name after the app's, else `main`.
fn role_names(app: &str, names: &[&str]) -> Option<Vec<String>> {
    let roles: Vec<String> = (names.iter())
        .map(
            |n| match n.strip_prefix(app).and_then(|r| r.strip_prefix('-')) {
                Some(r) if !r.is_empty() => r.to_owned(),
                _ => "main".to_owned(),
            },
        )
        .collect();
    let distinct = roles
        .iter()
        .enumerate()
        .all(|(i, r)| !roles[..i].contains(r));
    distinct.then_some(roles)
}

/// `docs` with only the `labels` every member sets alike, so that the
/// description's objects (its ConfigMaps and Secrets) carry them, and each
/// member's other labels, for its role (a role's `labels` merge over the
/// description's key by key).
fn common_labels(mut docs: Vec<Doc>) -> (Vec<Doc>, Vec<Entries>) {
    let none = vec![Vec::new(); docs.len()];
    let labels = |d: &Doc| match d.top.iter().find(|(k, _)| k == "labels") {
        Some((_, Val::Table(t))) => Some(t.clone()),
        _ => None,
    };
    let Some(all) = docs.iter().map(labels).collect::<Option<Vec<Entries>>>() else {
        return (docs, none);
    };
    let common: Entries = (all[0].iter())
        .filter(|e| all.iter().all(|t| t.contains(e)))
        .cloned()
        .collect();
    if common.is_empty() || all.iter().all(|t| *t == common) {
        return (docs, none);
    }
    let mut rest = Vec::new();
    for (d, own) in docs.iter_mut().zip(all) {
        rest.push(own.into_iter().filter(|e| !common.contains(e)).collect());
        super::shared::set(&mut d.top, "labels", Val::Table(common.clone()));
    }
    (docs, rest)
}

/// `docs` with one `service_account`: the first StatefulSet running as an
/// account makes it (`{ create = true, ... }`), the others name it; as roles
/// of one description, they all run as the one the description makes.
fn one_account(mut docs: Vec<Doc>) -> Vec<Doc> {
    let account = |d: &Doc| {
        d.top
            .iter()
            .find(|(k, _)| k == "service_account")
            .map(|(_, v)| v.clone())
    };
    let mut made = None;
    let mut named = Vec::new();
    for d in &docs {
        match account(d) {
            Some(Val::Table(t)) if made.is_none() => made = Some(t),
            Some(Val::Str(n)) => named.push(n),
            _ => return docs,
        }
    }
    let Some(mut made) = made else {
        return docs;
    };
    // Named by each role that did not make it; the maker's name unless it says one.
    let Some(name) = named.first().cloned() else {
        return docs;
    };
    if named.iter().any(|n| *n != name) {
        return docs;
    }
    match made.iter().find(|(k, _)| k == "name") {
        Some((_, Val::Str(n))) if *n != name => return docs,
        Some(_) => {}
        None => made.insert(1, ("name".to_owned(), Val::Str(name))),
    }
    for d in &mut docs {
        super::shared::set(&mut d.top, "service_account", Val::Table(made.clone()));
    }
    docs
}

/// `docs` each with every lint any of them allows: `allow` is the
/// description's, not a role's, and silencing a warning changes no output.
fn one_allow(mut docs: Vec<Doc>) -> Vec<Doc> {
    let mut all: Vec<Val> = Vec::new();
    for d in &docs {
        if let Some((_, Val::Arr(names))) = d.top.iter().find(|(k, _)| k == "allow") {
            all.extend(
                names
                    .iter()
                    .filter(|n| !all.contains(n))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
        }
    }
    if !all.is_empty() {
        for d in &mut docs {
            super::shared::set(&mut d.top, "allow", Val::Arr(all.clone()));
        }
    }
    docs
}

/// One description for the StatefulSets `group`, from each one's own
/// (`members`, in the same order, written without extra manifests);
/// `None` when they differ in what a role may not set.
pub fn combine(objects: &[Object], group: &[usize], members: &[App]) -> Option<App> {
    let names: Vec<&str> = group.iter().map(|&s| objects[s].name.as_str()).collect();
    let app = app_name(&names);
    let roles = role_names(&app, &names)?;
    let docs = member_docs(members, &app, &roles, &names);
    let (docs, role_labels) = common_labels(one_allow(one_account(docs)));
    let mut out = Doc::default();
    out.comments.push(format!(
        "Imported by `kubetoml import` from StatefulSets {} in {}: one role each.",
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", "),
        objects[group[0]].file
    ));
    out.comments
        .push("What the format cannot express was listed by the import, and left out.".to_owned());
    out.top = shared_top(&docs, &app);
    // The ConfigMaps and Secrets carry the description's labels, not a role's.
    let mut docs = docs;
    for (d, m) in docs.iter_mut().zip(members) {
        for (header, labels) in &m.data_labels {
            if let Some((_, e)) = d.sections.iter_mut().find(|(h, _)| h == header) {
                super::shared::set_data_labels(e, labels, &out.top);
            }
        }
    }
    let shared_headers = shared_headers(&docs);
    for (h, e) in &docs[0].sections {
        if shared_headers.contains(h) {
            out.sections.push((h.clone(), e.clone()));
        }
    }
    for ((doc, role), labels) in docs.iter().zip(&roles).zip(role_labels) {
        let sections = role_sections(doc, role, labels, &out.top, &shared_headers)?;
        out.sections.extend(sections);
    }
    let (data, used, extras) = merged_files(members);
    Some(App {
        name: app,
        toml: out.to_text(),
        doc: out,
        data,
        objects: used,
        extras,
        data_labels: Vec::new(),
    })
}

/// Each member's document, with its StatefulSet's name kept when the
/// role's default (`APP-ROLE`) differs.
fn member_docs(members: &[App], app: &str, roles: &[String], names: &[&str]) -> Vec<Doc> {
    (members.iter().zip(roles).zip(names))
        .map(|((m, role), name)| {
            let mut doc = m.doc.clone();
            if format!("{app}-{role}") != *name {
                let entry = ("name".to_owned(), Val::Str((*name).to_owned()));
                match doc.sections.iter_mut().find(|(h, _)| h == "[statefulset]") {
                    Some((_, e)) => e.insert(0, entry),
                    None => doc.sections.push(("[statefulset]".to_owned(), vec![entry])),
                }
            }
            doc
        })
        .collect()
}

/// The description's top-level keys: the app's name, and every key all
/// members write alike.
fn shared_top(docs: &[Doc], app: &str) -> Entries {
    let alike = |k: &str, v: &Val| {
        docs.iter()
            .all(|d| d.top.iter().any(|(k2, v2)| k2 == k && v2 == v))
    };
    let mut top = Entries::new();
    for (k, v) in &docs[0].top {
        if k == "name" {
            top.push(("name".to_owned(), Val::Str(app.to_owned())));
        } else if alike(k, v) {
            top.push((k.clone(), v.clone()));
        }
    }
    top
}

/// The section headers every member writes alike (`[[x]]` ones as the whole list).
fn shared_headers(docs: &[Doc]) -> Vec<String> {
    let sections = |d: &Doc, h: &str| -> Vec<Entries> {
        d.sections
            .iter()
            .filter(|(h2, _)| h2 == h)
            .map(|(_, e)| e.clone())
            .collect()
    };
    let mut shared = Vec::new();
    for (h, _) in &docs[0].sections {
        let first = sections(&docs[0], h);
        if !shared.contains(h) && docs.iter().all(|d| sections(d, h) == first) {
            shared.push(h.clone());
        }
    }
    shared
}

/// A member's own sections as its role's: `[roles.ROLE]` with the top-level
/// keys it writes otherwise than the description (`top`), and its other
/// sections under `roles.ROLE`; `None` when it sets what a role may not.
fn role_sections(
    doc: &Doc,
    role: &str,
    labels: Entries,
    top: &Entries,
    shared_headers: &[String],
) -> Option<Vec<(String, Entries)>> {
    let mut own: Entries = (doc.top.iter())
        .filter(|(k, v)| k != "name" && !top.iter().any(|(k2, v2)| k2 == k && v2 == v))
        .cloned()
        .collect();
    if !labels.is_empty() {
        own.insert(0, ("labels".to_owned(), Val::Table(labels)));
    }
    if own.iter().any(|(k, _)| SHARED.contains(&k.as_str())) {
        return None;
    }
    let key = super::toml_out::key(role);
    let mut out = vec![(format!("[roles.{key}]"), own)];
    for (h, e) in doc
        .sections
        .iter()
        .filter(|(h, _)| !shared_headers.contains(h))
    {
        let header = match h.strip_prefix("[[") {
            Some(rest) => format!("[[roles.{key}.{rest}"),
            None => format!("[roles.{key}.{}", &h[1..]),
        };
        out.push((header, e.clone()));
    }
    Some(out)
}

/// The members' data files (each path once), the input objects they
/// express and the extras they carry, each once, in member order.
fn merged_files(members: &[App]) -> (Vec<super::shared::DataFile>, Vec<usize>, Vec<usize>) {
    let mut data: Vec<super::shared::DataFile> = Vec::new();
    let mut used = Vec::new();
    let mut extras: Vec<usize> = Vec::new();
    for m in members {
        for &o in &m.extras {
            if !extras.contains(&o) {
                extras.push(o);
            }
        }
        for f in &m.data {
            if !data.iter().any(|d| d.path == f.path) {
                data.push(super::shared::DataFile {
                    path: f.path.clone(),
                    bytes: f.bytes.clone(),
                    secret: f.secret,
                });
            }
        }
        for &o in &m.objects {
            if !used.contains(&o) {
                used.push(o);
            }
        }
    }
    (data, used, extras)
}
