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
mod extras;
pub mod fidelity;
mod level;
mod pod;
mod shared;
mod toml_out;
mod value;
mod yaml11;

use shared::{bare, Object};

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
pub fn import(inputs: &[Input]) -> Result<Imported, Error> {
    let objects = read_objects(inputs)?;
    let apps = app::build(&objects)?;
    let mut files = Vec::new();
    let mut differences = Vec::new();
    let mut used = vec![false; objects.len()];
    for app in &apps {
        let (toml, found) = settle_level(&objects, app, &mut used)?;
        differences.extend(found);
        let toml_path = format!("{}.toml", app.name);
        if files.iter().any(|f: &File| f.path == toml_path) {
            return Err(bare(format!(
                "two StatefulSets are named `{}`: import them one at a time",
                app.name
            )));
        }
        files.push(File {
            path: toml_path,
            bytes: toml.into_bytes(),
            secret: false,
        });
        for f in &app.data {
            if files.iter().any(|g| g.path == f.path) {
                return Err(bare(format!(
                    "two objects need the data file `{}`: import their apps one at a time",
                    f.path
                )));
            }
            files.push(File {
                path: f.path.clone(),
                bytes: f.bytes.clone(),
                secret: f.secret,
            });
        }
    }
    for (o, used) in objects.iter().zip(used) {
        if !used {
            differences.push(format!("{}: not expressible, dropped", o.label()));
        }
    }
    Ok(Imported { files, differences })
}

/// Every object in the inputs, `List`s flattened, empty documents skipped.
fn read_objects(inputs: &[Input]) -> Result<Vec<Object>, Error> {
    let mut objects = Vec::new();
    for input in inputs {
        let text = yaml11::as_kubectl_reads(input.text);
        for doc in crate::read::yamlread::documents(&text) {
            let value = doc.map_err(|e| {
                Error::bare(
                    ErrorKind::Parse,
                    input.file,
                    format!("`{}` is not YAML: {e}", input.file),
                )
            })?;
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

/// The description to write for `app` and its differences: with
/// `pod_security = "restricted"` when the pod has what that level fills in
/// and rendering with it lists no difference the plain description does not.
fn settle_level(
    objects: &[Object],
    app: &app::App,
    used: &mut [bool],
) -> Result<(String, Vec<String>), Error> {
    let rendered = check_render(app, &app.toml)?;
    let plain = diff::compare(objects, &app.objects, &rendered, used);
    let Some(doc) = level::restricted(&app.doc) else {
        return Ok((app.toml.clone(), plain));
    };
    let toml = doc.to_text();
    // The level refuses what it forbids (a privileged container, say): then the plain one.
    let Ok(rendered) = check_render(app, &toml) else {
        return Ok((app.toml.clone(), plain));
    };
    let mut same_objects = vec![false; used.len()];
    let restricted = diff::compare(objects, &app.objects, &rendered, &mut same_objects);
    if restricted.iter().all(|d| plain.contains(d)) {
        Ok((toml, restricted))
    } else {
        Ok((app.toml.clone(), plain))
    }
}

/// Compiles an imported description (`toml`, for `app`) in memory, from its own data files.
fn check_render(app: &app::App, toml: &str) -> Result<Vec<Value>, Error> {
    let sources = MemSources(
        app.data
            .iter()
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
