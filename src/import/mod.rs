//! `kubetoml import`: existing manifests in, descriptions and their data files out.
//!
//! Reads YAML streams (hand-written manifests, `kubectl get -o yaml` output
//! with server fields and `List`s, `helm template` and `kubectl kustomize`
//! renders), makes one description per StatefulSet, renders it, and compares
//! the result with the input object by object: every difference is listed,
//! so nothing is dropped silently. Secret values go to data files only and
//! never into a difference or an error. The library writes nothing: the
//! caller writes [`Imported::files`].

mod app;
mod companions;
mod diff;
mod exact;
mod extras;
pub mod fidelity;
mod jobs;
mod level;
mod pod;
mod pod_wide;
mod roles;
mod services;
mod shared;
mod toml_out;
mod value;
mod yaml11;

use shared::{bare, App, Object};

use std::collections::BTreeMap;

use crate::read::yamlread::Value;

use crate::diag::{Error, ErrorKind};
use crate::read::sources::{Entry, SourceError, Sources};

/// One manifest file given to `import`.
pub struct Input<'a> {
    /// Its name, as differences and errors show it.
    pub file: &'a str,
    /// Its YAML text.
    pub text: &'a str,
}

/// A file `import` wants written, relative to the output folder.
pub struct File {
    /// Relative path, `/`-separated.
    pub path: String,
    /// Exact content.
    pub bytes: Vec<u8>,
    /// Holds Secret data: write it mode 0600.
    pub secret: bool,
}

// Not derived: a data file may hold a Secret's value.
impl std::fmt::Debug for File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("File")
            .field("path", &self.path)
            .field("len", &self.bytes.len())
            .field("secret", &self.secret)
            .finish()
    }
}

/// What `import` made.
#[derive(Debug)]
pub struct Imported {
    /// The descriptions (`NAME.toml`) and their data files.
    pub files: Vec<File>,
    /// Every way rendering the descriptions differs from the input, one line
    /// each: `web.yaml: StatefulSet/web: spec.template.spec.affinity: not expressible, dropped`.
    pub differences: Vec<String>,
}

/// Imports `inputs`: one description per StatefulSet found in them.
///
/// A StatefulSet whose description would not make the same pods (see
/// [`exact`]), or would not compile, moves whole to `extra_manifests`, as
/// does every object no description expresses: each is listed in the
/// differences. When no StatefulSet is left to describe, the import fails.
pub fn import(inputs: &[Input]) -> Result<Imported, Error> {
    let objects = read_objects(inputs)?;
    let apps = app::build(&objects, &|app| {
        let rendered = check_render(app, &app.toml, &app.data).ok()?;
        let mut used = vec![false; objects.len()];
        Some(diff::compare(&objects, &app.objects, &rendered, &mut used).len())
    })?;
    let decided = decide(&objects, &apps);
    if decided.kept.is_empty() {
        return Err(nothing_described(&objects, &decided.moved));
    }
    write_files(&objects, decided)
}

/// Which StatefulSets are described and which move whole, with what each
/// description expresses.
struct Decided<'a> {
    /// The descriptions to write, in input order.
    kept: Vec<Kept<'a>>,
    /// Every difference of the kept descriptions, in input order.
    differences: Vec<String>,
    /// Objects to carry in `extra_manifests`, with why (in input order of
    /// their apps; the objects no description takes, listed later, need none).
    moved: Vec<(usize, String)>,
    /// Which objects a kept description makes (by index in the input).
    expressed: Vec<bool>,
}

/// A description to write.
struct Kept<'a> {
    app: &'a App,
    doc: toml_out::Doc,
    /// Companions were taken out of it, to be carried: its render is checked again.
    left_out: bool,
}

/// A description that makes the same pods: its settled form, the objects
/// it expresses, and the companions it leaves to be carried (with why).
struct Described {
    settled: Settled,
    used: Vec<bool>,
    inexact: Vec<(usize, String)>,
}

/// Decides, StatefulSet by StatefulSet, which are described and which move.
///
/// Of StatefulSets sharing a headless Service, the first by name is
/// described, whatever the input's order: importing the render (where
/// another may come first) again describes the same one. What each app
/// gives is then put back in input order.
fn decide<'a>(objects: &[Object], apps: &'a [App]) -> Decided<'a> {
    let mut by_name: Vec<usize> = (0..apps.len()).collect();
    by_name.sort_by(|&a, &b| apps[a].name.cmp(&apps[b].name));
    let mut differences_of: Vec<Vec<String>> = vec![Vec::new(); apps.len()];
    let mut moved_of: Vec<Vec<(usize, String)>> = vec![Vec::new(); apps.len()];
    let mut kept: Vec<(usize, Kept)> = Vec::new();
    let mut expressed = vec![false; objects.len()];
    for n in by_name {
        let app = &apps[n];
        match describe(objects, app, kept.iter().map(|(_, k)| k.app.objects[0])) {
            Ok(d) => {
                let left_out = !d.inexact.is_empty();
                moved_of[n].extend(d.inexact);
                differences_of[n] = d.settled.differences;
                for (e, u) in expressed.iter_mut().zip(d.used) {
                    *e |= u;
                }
                let doc = d.settled.doc;
                kept.push((n, Kept { app, doc, left_out }));
            }
            Err(reason) => {
                // A description with roles moves whole: every StatefulSet it makes.
                let sets = app
                    .objects
                    .iter()
                    .filter(|&&i| objects[i].kind == "StatefulSet");
                moved_of[n].extend(sets.map(|&i| (i, reason.clone())));
            }
        }
    }
    kept.sort_by_key(|(n, _)| *n);
    Decided {
        kept: kept.into_iter().map(|(_, k)| k).collect(),
        differences: differences_of.into_iter().flatten().collect(),
        moved: moved_of.into_iter().flatten().collect(),
        expressed,
    }
}

/// `app` described exactly beside the StatefulSets already `kept` (their
/// indices), or why it moves whole: its pods would change, its description
/// does not compile, its headless Service would change, or it shares one.
fn describe(
    objects: &[Object],
    app: &App,
    kept: impl Iterator<Item = usize>,
) -> Result<Described, String> {
    let set = app.objects[0];
    let mut used = vec![false; objects.len()];
    let mut settled = match settle_level(objects, app, &mut used) {
        Ok(settled) if settled.pod_changes.is_empty() => settled,
        Ok(settled) => {
            let changes = &settled.pod_changes;
            let more = match changes.len() {
                0..=3 => String::new(),
                n => format!(", and {} more", n - 3),
            };
            return Err(format!(
                "its pods would change ({}{more})",
                changes[..changes.len().min(3)].join(", ")
            ));
        }
        Err(e) => {
            let first = e.diagnostics().first();
            let why = first.map_or("no reason given".to_owned(), |d| d.message.clone());
            return Err(format!("kubetoml refuses its description ({why})"));
        }
    };
    let inexact = inexact_companions(objects, app, &mut settled, &mut used);
    let service = value::text(&objects[set].value["spec"]["serviceName"]);
    let headless = inexact.iter().find(|(i, _)| {
        objects[*i].kind == "Service" && service.as_deref() == Some(objects[*i].name.as_str())
    });
    if let Some((_, why)) = headless {
        return Err(format!("its headless Service would change ({why})"));
    }
    if let Some(reason) = shared_service(objects, set, kept) {
        return Err(reason);
    }
    Ok(Described {
        settled,
        used,
        inexact,
    })
}

/// The error when no StatefulSet is described: each one's reason.
fn nothing_described(objects: &[Object], moved: &[(usize, String)]) -> Error {
    let reasons: Vec<String> = moved
        .iter()
        .map(|(i, why)| format!("{}/{}: {why}", objects[*i].kind, objects[*i].name))
        .collect();
    let file = moved
        .first()
        .map_or("import", |(i, _)| objects[*i].file.as_str());
    let message = format!(
        "`{file}`: no StatefulSet can be described exactly, so nothing was written (an import is exact, or moves an object to `extra_manifests` whole, or fails)"
    );
    Error::new(
        ErrorKind::Invalid,
        file,
        "",
        vec![crate::diag::Diagnostic::bare(message).with_help(reasons.join("\n"))],
    )
}

/// The files of the kept descriptions; the first holds, as extra
/// manifests, every object no description expresses (each listed).
fn write_files(objects: &[Object], decided: Decided) -> Result<Imported, Error> {
    let Decided {
        kept,
        mut differences,
        moved,
        expressed,
    } = decided;
    let carried: Vec<usize> = (0..objects.len()).filter(|&i| !expressed[i]).collect();
    let mut files = Vec::new();
    for (n, Kept { app, doc, left_out }) in kept.iter().enumerate() {
        let mut doc = doc.clone();
        let mut data: Vec<shared::DataFile> =
            app.data.iter().map(shared::DataFile::clone).collect();
        let holds = n == 0 && !carried.is_empty();
        if holds {
            let path = carry(objects, &carried, app, &mut doc, &mut data)?;
            for &i in &carried {
                let why = moved
                    .iter()
                    .find(|(m, _)| *m == i)
                    .map_or("the format cannot say it", |(_, why)| why.as_str());
                differences.push(format!(
                    "{}: carried exactly in `{path}` (extra_manifests): {why}",
                    objects[i].label()
                ));
            }
        }
        if holds || *left_out {
            check_render(app, &doc.to_text(), &data).map_err(|e| {
                bare(format!(
                    "StatefulSet/{} with the objects no description expresses as extra manifests does not render: {}",
                    app.name,
                    e.diagnostics().first().map_or("", |d| d.message.as_str())
                ))
            })?;
        }
        add_files(&mut files, &app.name, &doc, data)?;
    }
    Ok(Imported { files, differences })
}

/// Adds the description `NAME.toml` and its data files to `files`; two
/// apps writing one file are an error.
fn add_files(
    files: &mut Vec<File>,
    name: &str,
    doc: &toml_out::Doc,
    data: Vec<shared::DataFile>,
) -> Result<(), Error> {
    let toml_path = format!("{name}.toml");
    if files.iter().any(|f: &File| f.path == toml_path) {
        return Err(bare(format!(
            "two StatefulSets are named `{name}`: import them one at a time"
        )));
    }
    files.push(File {
        path: toml_path,
        bytes: doc.to_text().into_bytes(),
        secret: false,
    });
    for f in data {
        if files.iter().any(|g| g.path == f.path) {
            return Err(bare(format!(
                "two objects need the data file `{}`: import their apps one at a time",
                f.path
            )));
        }
        files.push(File {
            path: f.path,
            bytes: f.bytes,
            secret: f.secret,
        });
    }
    Ok(())
}

/// Takes the companions of `app` (client Service, budget, NetworkPolicy,
/// ServiceAccount) that `settled` would not make as the input has them out
/// of its description, to be carried instead; returns each with why (the
/// headless Service too, which cannot be taken out: the caller moves the
/// StatefulSet).
fn inexact_companions(
    objects: &[Object],
    app: &App,
    settled: &mut Settled,
    used: &mut [bool],
) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for &i in &app.objects[1..] {
        let o = &objects[i];
        if !matches!(
            o.kind.as_str(),
            "Service" | "PodDisruptionBudget" | "NetworkPolicy" | "ServiceAccount"
        ) {
            continue;
        }
        let of_kind: Vec<&Value> = settled
            .rendered
            .iter()
            .filter(|r| value::text(&r["kind"]).as_deref() == Some(o.kind.as_str()))
            .collect();
        let twin = of_kind
            .iter()
            .find(|r| value::text(&r["metadata"]["name"]).as_deref() == Some(o.name.as_str()))
            .or_else(|| {
                (diff::RENAMED_KINDS.contains(&o.kind.as_str()) && of_kind.len() == 1)
                    .then(|| &of_kind[0])
            });
        let Some(twin) = twin else { continue };
        let sts = &objects[app.objects[0]].value;
        let rendered_sts = settled
            .rendered
            .iter()
            .find(|r| value::text(&r["kind"]).as_deref() == Some("StatefulSet"))
            .unwrap_or(&Value::Null);
        let changes = exact::companion_changes(
            o,
            twin,
            &sts["spec"]["template"]["spec"],
            &rendered_sts["spec"]["template"]["spec"],
        );
        if changes.is_empty() {
            continue;
        }
        let why = changes[..changes.len().min(3)].join(", ");
        let headless = value::text(&objects[app.objects[0]].value["spec"]["serviceName"])
            .as_deref()
            == Some(o.name.as_str());
        if !headless {
            leave_out(&mut settled.doc, o);
            take_back(i, objects, settled, used);
        }
        out.push((i, format!("its description would change it ({why})")));
        if o.kind == "ServiceAccount" {
            // Its rules went with it (kubetoml grants rules only to an account it makes).
            for &r in app
                .objects
                .iter()
                .filter(|&&r| RBAC_KINDS.contains(&objects[r].kind.as_str()))
            {
                take_back(r, objects, settled, used);
                out.push((
                    r,
                    format!("the rules of ServiceAccount/{}, carried with it", o.name),
                ));
            }
        }
    }
    out
}

/// The kinds `service_account.rules` makes.
const RBAC_KINDS: &[&str] = &["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"];

/// Object `i` no longer made by the description: not used, its differences unlisted.
fn take_back(i: usize, objects: &[Object], settled: &mut Settled, used: &mut [bool]) {
    used[i] = false;
    let label = format!("{}: ", objects[i].label());
    settled.differences.retain(|d| !d.starts_with(&label));
}

/// `doc` without the section that makes companion `o` (it is carried instead).
fn leave_out(doc: &mut toml_out::Doc, o: &Object) {
    use toml_out::Val;
    let section = match o.kind.as_str() {
        "Service" => "[client_service]",
        "PodDisruptionBudget" => "[disruption_budget]",
        "NetworkPolicy" => "[network_policy]",
        _ => {
            // A ServiceAccount: the pods still run as it, by name.
            shared::set(&mut doc.top, "service_account", Val::Str(o.name.clone()));
            return;
        }
    };
    doc.sections.retain(|(header, _)| header != section);
    if o.kind == "PodDisruptionBudget" {
        shared::set(&mut doc.top, "disruption_budget", Val::Bool(false));
    }
}

/// Why StatefulSet `set` cannot be described beside the StatefulSets
/// `kept` (indices in `objects`): it names the headless Service one of them makes.
fn shared_service(
    objects: &[Object],
    set: usize,
    mut kept: impl Iterator<Item = usize>,
) -> Option<String> {
    let service = |i: usize| value::text(&objects[i].value["spec"]["serviceName"]);
    let name = service(set)?;
    kept.find(|&other| {
            service(other).as_ref() == Some(&name) && objects[other].namespace == objects[set].namespace
        })
        .map(|other| {
            format!(
                "it shares the headless Service `{name}` with StatefulSet/{}, and a description makes its own",
                objects[other].name
            )
        })
}

/// Writes the `carried` objects, exactly, into the extra manifests of
/// `app`, in input order with those it holds already (so importing a
/// render gives the same file again); returns the file's path.
fn carry(
    objects: &[Object],
    carried: &[usize],
    app: &App,
    doc: &mut toml_out::Doc,
    data: &mut Vec<shared::DataFile>,
) -> Result<String, Error> {
    let path = format!("manifests/{}.yaml", app.name);
    let at = match data.iter().position(|f| f.path == path) {
        Some(at) => at,
        None => {
            doc.top.push((
                "extra_manifests".to_owned(),
                toml_out::Val::Arr(vec![toml_out::Val::Str(path.clone())]),
            ));
            data.push(shared::DataFile {
                path: path.clone(),
                bytes: Vec::new(),
                secret: false,
            });
            data.len() - 1
        }
    };
    let file = &mut data[at];
    file.bytes.clear();
    let mut all: Vec<usize> = app.extras.iter().chain(carried).copied().collect();
    all.sort_unstable();
    all.dedup();
    for i in all {
        let o = &objects[i];
        let yaml = crate::write::yaml::document(&o.value).map_err(|e| {
            bare(format!(
                "{}: cannot be written back as YAML: {e}",
                o.label()
            ))
        })?;
        if !file.bytes.is_empty() {
            file.bytes.extend_from_slice(b"---\n");
        }
        file.bytes.extend_from_slice(yaml.as_bytes());
        file.secret |= o.kind == "Secret";
    }
    Ok(path)
}

/// Every object in the inputs, `List`s flattened, empty documents skipped.
fn read_objects(inputs: &[Input]) -> Result<Vec<Object>, Error> {
    let mut objects = Vec::new();
    for input in inputs {
        let text = yaml11::as_kubectl_reads(input.text);
        let values = crate::read::yamlread::documents(&text).map_err(|e| {
            Error::bare(
                ErrorKind::Parse,
                input.file,
                format!("`{}` is not YAML kubetoml reads: {e}", input.file),
            )
        })?;
        for value in values {
            push_object(input.file, value, &mut objects)?;
        }
    }
    Ok(objects)
}

fn push_object(file: &str, value: Value, objects: &mut Vec<Object>) -> Result<(), Error> {
    if value.is_null() {
        return Ok(());
    }
    let kind = value::text(&value["kind"]).unwrap_or_default();
    if kind.ends_with("List") {
        if let Some(items) = value["items"].as_sequence() {
            for item in items {
                push_object(file, item.clone(), objects)?;
            }
            return Ok(());
        }
    }
    let name = value::text(&value["metadata"]["name"]).unwrap_or_default();
    if kind.is_empty() || name.is_empty() {
        return Err(Error::bare(
            ErrorKind::Parse,
            file,
            format!("`{file}` holds a document without `kind` and `metadata.name`: not a Kubernetes object"),
        ));
    }
    objects.push(Object {
        file: file.to_owned(),
        kind,
        name,
        namespace: value::text(&value["metadata"]["namespace"]),
        value,
    });
    Ok(())
}

/// What rendering one description gave.
struct Settled {
    doc: toml_out::Doc,
    differences: Vec<String>,
    /// How its pods differ from the input's ([`exact::pod_changes`]).
    pod_changes: Vec<String>,
    /// What it renders.
    rendered: Vec<Value>,
}

/// The description to write for `app` and its differences: with
/// `pod_security = "restricted"` when the pod has what that level fills in
/// and rendering with it lists no difference the plain description does not.
fn settle_level(objects: &[Object], app: &App, used: &mut [bool]) -> Result<Settled, Error> {
    let rendered = check_render(app, &app.toml, &app.data)?;
    let plain = diff::compare(objects, &app.objects, &rendered, used);
    let settled = |doc: &toml_out::Doc, differences, rendered: &[Value]| Settled {
        doc: doc.clone(),
        differences,
        pod_changes: pod_changes(objects, app, rendered),
        rendered: rendered.to_vec(),
    };
    let Some(doc) = level::restricted(&app.doc) else {
        return Ok(settled(&app.doc, plain, &rendered));
    };
    // The level refuses what it forbids (a privileged container, say): then the plain one.
    let Ok(restricted_render) = check_render(app, &doc.to_text(), &app.data) else {
        return Ok(settled(&app.doc, plain, &rendered));
    };
    let mut same_objects = vec![false; used.len()];
    let restricted = diff::compare(objects, &app.objects, &restricted_render, &mut same_objects);
    if restricted.iter().all(|d| plain.contains(d)) {
        Ok(settled(&doc, restricted, &restricted_render))
    } else {
        Ok(settled(&app.doc, plain, &rendered))
    }
}

/// [`exact::pod_changes`] of the app's StatefulSet in `rendered`.
fn pod_changes(objects: &[Object], app: &App, rendered: &[Value]) -> Vec<String> {
    let mut changes = Vec::new();
    // Every StatefulSet the description makes: one, or one per role.
    for sts in app
        .objects
        .iter()
        .map(|&i| &objects[i])
        .filter(|o| o.kind == "StatefulSet")
    {
        let twin = rendered.iter().find(|r| {
            value::text(&r["kind"]).as_deref() == Some("StatefulSet")
                && value::text(&r["metadata"]["name"]).as_deref() == Some(&sts.name)
        });
        match twin {
            Some(r) => changes.extend(exact::pod_changes(sts, r)),
            None => changes.push(format!(
                "StatefulSet `{}` is not rendered under its name",
                sts.name
            )),
        }
    }
    changes
}

/// Compiles an imported description (`toml`, for `app`) in memory, from the data files `data`.
fn check_render(app: &App, toml: &str, data: &[shared::DataFile]) -> Result<Vec<Value>, Error> {
    let sources = MemSources(
        data.iter()
            .map(|f| (f.path.clone(), f.bytes.clone()))
            .collect(),
    );
    let file = format!("{}.toml", app.name);
    let out = crate::resolve_sources(&file, toml, &sources, false, None)?
        .render(&crate::Templates::builtin())?;
    out.documents
        .iter()
        .map(|d| {
            crate::read::yamlread::parse(&d.yaml).map_err(|e| {
                bare(format!(
                    "the rendered {} `{}` does not read back: {e}",
                    d.kind, d.name
                ))
            })
        })
        .collect()
}

/// The data files an import writes, before they are written.
struct MemSources(BTreeMap<String, Vec<u8>>);

impl Sources for MemSources {
    fn read_file(&self, path: &str) -> Result<Vec<u8>, SourceError> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| SourceError::new(format!("`{path}` not found")))
    }

    fn read_dir(&self, path: &str) -> Result<Option<Vec<Entry>>, SourceError> {
        if self.0.contains_key(path) {
            Ok(None)
        } else {
            Err(SourceError::new(format!("`{path}` not found")))
        }
    }

    fn env_var(&self, _name: &str) -> Result<Option<Vec<u8>>, SourceError> {
        Ok(None)
    }
}
