//! kubetoml compiles a small TOML description of a stateful app into the
//! Kubernetes YAML that runs it: a headless Service, a StatefulSet with its
//! volumeClaimTemplates, and the ConfigMaps and Secrets it reads.
//!
//! The compiler is a pipeline of pure stages, each usable on its own:
//!
//! ```text
//! spec::parse(file, &str)              -> Spec      what the user wrote, with spans
//! lower::lower(Spec, .., &dyn Sources) -> Model     resolved, read, validated
//! Templates::render(&Model)            -> Vec<Document>  YAML, laid out by templates
//! ```
//!
//! [`compile`] runs all three; [`compile_model`] stops at the model (for
//! [`explain`], which describes what the StatefulSet promises);
//! [`compile_file`] also reads the description and its files from disk, which
//! is what a `build.rs` wants:
//!
//! ```no_run
//! // build.rs
//! let out = kubetoml::compile_file(
//!     std::path::Path::new("deploy/web.toml"),
//!     &kubetoml::Options::default(),
//! )?;
//! let dir = std::env::var("OUT_DIR")?;
//! std::fs::write(format!("{dir}/web.yaml"), out.to_yaml())?;
//! println!("cargo:rerun-if-changed=deploy");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`against`] compares rendered documents with a previous render or the
//! cluster's copy, and finds the changes Kubernetes refuses to make in place.
//!
//! Errors are [`Error`]s: every problem found, each pointing at the TOML
//! that caused it, drawn like rustc's. The library never prints.

#![warn(missing_docs)]

pub mod against;
pub mod api_rules;
pub mod batch;
pub mod error;
pub mod explain;
mod gojson;
pub mod hash;
pub mod kube_version;
pub mod lower;
pub mod model;
pub mod policy;
mod quantity;
pub mod render;
pub mod secretfmt;
pub mod sources;
pub mod spec;
pub mod validate;
pub mod yaml;

use std::path::Path;
use std::sync::Arc;

pub use error::{Diagnostic, Error, ErrorKind, Severity};
pub use render::{Document, Templates};
pub use sources::{FsSources, Sources};

/// How to compile.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Refuse Secret values written in the description itself (for CI).
    pub no_literal_secrets: bool,
    /// Let descriptions read files outside their own folder.
    pub allow_outside_root: bool,
    /// The Kubernetes release to target, `"1.30"`; wins over the
    /// description's `kube_version` (default: [`kube_version::DEFAULT`]).
    pub kube_version: Option<String>,
}

/// The compiled manifests of one description, and any warnings.
#[derive(Clone)]
pub struct Output {
    /// The objects, in apply order.
    pub documents: Vec<Document>,
    /// Warnings about the description (the output is still good).
    pub warnings: Vec<Diagnostic>,
    file: String,
    source: Arc<str>,
}

impl Output {
    /// Every document in one YAML stream, separated by `---`.
    pub fn to_yaml(&self) -> String {
        join_documents(&self.documents)
    }

    /// The warnings, drawn like rustc's (empty when there are none).
    pub fn draw_warnings(&self, color: bool) -> String {
        error::draw_all(&self.file, &self.source, &self.warnings, color)
    }
}

// Not derived: the description's source may hold literal secrets.
impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output")
            .field("file", &self.file)
            .field("documents", &self.documents)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

/// Joins documents into one multi-document YAML stream.
pub fn join_documents(docs: &[Document]) -> String {
    let mut out = String::with_capacity(docs.iter().map(|d| d.yaml.len() + 4).sum());
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&d.yaml);
    }
    out
}

/// One description, lowered: the resolved [`Model`](model::Model), before
/// any template runs. This is what [`explain`](explain::explain) and other
/// readers of the model want; [`render`](Resolved::render) finishes the
/// compilation.
#[derive(Clone)]
pub struct Resolved {
    /// The resolved app.
    pub model: model::Model,
    /// Warnings about the description (the model is still good).
    pub warnings: Vec<Diagnostic>,
    file: String,
    source: Arc<str>,
}

// Not derived: the description's source may hold literal secrets.
impl std::fmt::Debug for Resolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolved")
            .field("file", &self.file)
            .field("model", &self.model)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

impl Resolved {
    /// The warnings, drawn like rustc's (empty when there are none).
    pub fn draw_warnings(&self, color: bool) -> String {
        error::draw_all(&self.file, &self.source, &self.warnings, color)
    }

    /// Lays the model out with `templates`.
    pub fn render(self, templates: &Templates) -> Result<Output, Error> {
        let documents = templates.render(&self.model)?;
        Ok(Output {
            documents,
            warnings: self.warnings,
            file: self.file,
            source: self.source,
        })
    }
}

/// Parses and lowers the description `source` (named `file` in errors),
/// reading its files and variables through `sources`: the first two stages
/// of [`compile`].
pub fn compile_model(
    file: &str,
    source: &str,
    sources: &dyn Sources,
    options: &Options,
) -> Result<Resolved, Error> {
    let source: Arc<str> = Arc::from(source);
    let spec = spec::parse(file, &source)?;
    let checked = policy::check(&spec, options.kube_version.as_deref());
    let lowered = lower::lower(
        spec,
        &source,
        sources,
        &lower::Options {
            no_literal_secrets: options.no_literal_secrets,
        },
    );
    let mut lowered = policy::merge(lowered, checked.diagnostics)
        .map_err(|diags| Error::new(ErrorKind::Invalid, file, source.clone(), diags))?;
    if let Some(level) = checked.level {
        policy::harden(&mut lowered.model, level);
    }
    Ok(Resolved {
        model: lowered.model,
        warnings: lowered.warnings,
        file: file.to_owned(),
        source,
    })
}

/// Compiles the description `source` (named `file` in errors), reading its
/// files and variables through `sources` and laying it out with `templates`.
pub fn compile(
    file: &str,
    source: &str,
    sources: &dyn Sources,
    templates: &Templates,
    options: &Options,
) -> Result<Output, Error> {
    compile_model(file, source, sources, options)?.render(templates)
}

/// Reads the description at `path` and compiles it with the built-in
/// templates; its files resolve against its own folder, and build-time
/// variables come from the process environment.
pub fn compile_file(path: &Path, options: &Options) -> Result<Output, Error> {
    compile_file_with(path, &Templates::builtin(), options)
}

/// [`compile_file`] with a chosen template set.
pub fn compile_file_with(
    path: &Path,
    templates: &Templates,
    options: &Options,
) -> Result<Output, Error> {
    compile_model_file(path, options)?.render(templates)
}

/// Reads the description at `path` and resolves it to its model, as
/// [`compile_file`] does before rendering.
pub fn compile_model_file(path: &Path, options: &Options) -> Result<Resolved, Error> {
    let file = path.display().to_string();
    let source = std::fs::read_to_string(path)
        .map_err(|e| Error::bare(ErrorKind::Io, &file, format!("cannot read `{file}`: {e}")))?;
    let root = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let sources = FsSources::new(root).allow_outside_root(options.allow_outside_root);
    compile_model(&file, &source, &sources, options)
}
