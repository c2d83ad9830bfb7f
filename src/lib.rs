//! kubetoml compiles a small TOML description of a stateful app into the
//! Kubernetes YAML that runs it: a headless Service, a StatefulSet with its
//! volumeClaimTemplates, and the ConfigMaps and Secrets it reads.
//!
//! The compiler is a pipeline of pure stages, each usable on its own:
//!
//! ```text
//! spec::parse(file, &str)              -> Spec      what the user wrote, with spans
//! lower::lower(Spec, &dyn Sources, ..) -> Model     resolved, read, validated
//! Templates::render(&Model)            -> Vec<Document>  YAML, laid out by templates
//! ```
//!
//! [`compile`] runs all three; [`compile_file`] also reads the description and
//! its files from disk, which is what a `build.rs` wants:
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
//! Errors are [`Error`]s: every problem found, each pointing at the TOML
//! that caused it, drawn like rustc's. The library never prints.

#![warn(missing_docs)]

pub mod error;
mod gojson;
pub mod hash;
pub mod lower;
pub mod model;
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
}

/// The compiled manifests of one description, and any warnings.
#[derive(Debug, Clone)]
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

/// Compiles the description `source` (named `file` in errors), reading its
/// files and variables through `sources` and laying it out with `templates`.
pub fn compile(
    file: &str,
    source: &str,
    sources: &dyn Sources,
    templates: &Templates,
    options: &Options,
) -> Result<Output, Error> {
    let source: Arc<str> = Arc::from(source);
    let spec = spec::parse(file, &source)?;
    let lowered = lower::lower(
        spec,
        sources,
        &lower::Options {
            no_literal_secrets: options.no_literal_secrets,
        },
    )
    .map_err(|diags| Error::new(ErrorKind::Invalid, file, source.clone(), diags))?;
    let documents = templates.render(&lowered.model)?;
    Ok(Output {
        documents,
        warnings: lowered.warnings,
        file: file.to_owned(),
        source,
    })
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
    let file = path.display().to_string();
    let source = std::fs::read_to_string(path)
        .map_err(|e| Error::bare(ErrorKind::Io, &file, format!("cannot read `{file}`: {e}")))?;
    let root = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let sources = FsSources::new(root).allow_outside_root(options.allow_outside_root);
    compile(&file, &source, &sources, templates, options)
}
