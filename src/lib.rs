//! kubetoml compiles a small TOML description of a stateful app into the
//! Kubernetes YAML that runs it: a headless Service, a StatefulSet with its
//! volumeClaimTemplates, and the ConfigMaps and Secrets it reads.
//!
//! [`compile_file`] is the entry point: it reads a description and the files
//! and environment variables it names, and returns the YAML ([`Output`]),
//! the warnings, and the list of everything it read ([`Inputs`]). That is
//! what a `build.rs` wants:
//!
//! ```no_run
//! // build.rs
//! let out = kubetoml::compile_file("deploy/web.toml", &kubetoml::Options::new())?;
//! let dir = std::env::var("OUT_DIR")?;
//! std::fs::write(format!("{dir}/web.yaml"), out.to_yaml())?;
//! for file in &out.inputs().files {
//!     println!("cargo:rerun-if-changed={}", file.display());
//! }
//! for var in &out.inputs().env_vars {
//!     println!("cargo:rerun-if-env-changed={var}");
//! }
//! for warning in out.warning_lines() {
//!     println!("cargo:warning={warning}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Options`] says how: whether Secret values may be written in the
//! description, whether files outside its folder may be read, and where
//! build-time variables come from. [`resolve_file`] stops before the
//! templates, for [`Resolved::explain`] (what the StatefulSet promises, pod
//! by pod) or [`Resolved::render`] with your own [`Templates`].
//! [`check_against`] compares rendered documents with a previous render or
//! the cluster's copy, and finds the changes Kubernetes refuses to make in
//! place.
//!
//! Errors are [`Error`]s: every problem found, each pointing at the TOML
//! that caused it, drawn like rustc's (by `Display` and `Debug` alike, so a
//! `build.rs` that returns one with `?` shows it whole). The library never
//! prints.
//!
//! The stages inside (parse, lower, render) are not part of the API; the
//! `unstable-internals` feature exposes them for kubetoml's own tests and
//! fuzzers, with no stability promise.

#![warn(missing_docs)]
// The stages' own docs link to each other; without `unstable-internals`
// those links point at private items and render as plain text.
#![allow(rustdoc::private_intra_doc_links)]

/// The stages and their helpers: private, or public with the
/// `unstable-internals` feature (for kubetoml's own tests and fuzzers).
macro_rules! internal_modules {
    ($($name:ident)*) => {$(
        #[cfg(feature = "unstable-internals")]
        pub mod $name;
        #[cfg(not(feature = "unstable-internals"))]
        mod $name;
    )*};
}

// The pipeline, one folder a stage: read (a description and its layers to a
// `Spec`), lower (`Spec` to `Model`), check, write (`Model` to YAML); beside
// them explain and import, and the diagnostics every stage reports through.
internal_modules! {
    batch
    check
    diag
    lower
    model
    read
    write
}
pub mod explain;
pub mod import;

use check::{against, kube_version, policy};
use read::{compose, init, schema, sources};
use write::{memory, render};

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use batch::{compile_files, map_in_order, map_on_threads, threads_for};
pub use diag::{escape_char, Diagnostic, Error, ErrorKind, Severity};
pub use explain::Explanation;
pub use init::starter;
pub use kube_version::KubeVersion;
pub use memory::{TemplateMemoryLimit, TEMPLATE_MEMORY};
pub use model::Kind;
pub use render::{Document, Templates};
pub use schema::json_schema;
pub use sources::Inputs;
#[cfg(feature = "unstable-internals")]
pub use sources::{FsSources, Sources};

/// How to compile: what to refuse, which files may be read, where build-time
/// variables come from. Every entry point applies every option.
///
/// ```
/// let options = kubetoml::Options::new()
///     .no_literal_secrets(true)
///     .env([("PG_PASSWORD", "hunter2")]);
/// ```
#[derive(Clone, Default)]
pub struct Options {
    no_literal_secrets: bool,
    allow_outside_root: bool,
    env: Option<BTreeMap<String, Vec<u8>>>,
    kube_version: Option<String>,
    environment: Option<String>,
    overlays: Vec<PathBuf>,
    sets: Vec<String>,
}

impl Options {
    /// The defaults: literal Secret values allowed, files only from the
    /// description's folder, variables from the process environment.
    pub fn new() -> Options {
        Options::default()
    }

    /// With `true`, Secret values written in the description itself are
    /// errors (for CI: use `from_env` or files).
    pub fn no_literal_secrets(mut self, yes: bool) -> Options {
        self.no_literal_secrets = yes;
        self
    }

    /// With `true`, a description may read files outside its own folder
    /// (the command line's `--allow-outside-root`).
    pub fn allow_outside_root(mut self, yes: bool) -> Options {
        self.allow_outside_root = yes;
        self
    }

    /// Takes build-time variables (`from_env`, `password_env`) from `vars`
    /// instead of the process environment; a name missing from `vars` is
    /// unset.
    pub fn env<K: Into<String>, V: Into<Vec<u8>>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Options {
        let vars = vars.into_iter().map(|(k, v)| (k.into(), v.into()));
        self.env = Some(vars.collect());
        self
    }

    /// The Kubernetes release to target, `"1.30"` (the command line's
    /// `--kube-version`); wins over the description's `kube_version`.
    /// Without either, `kube_version::DEFAULT`.
    pub fn kube_version(mut self, version: impl Into<String>) -> Options {
        self.kube_version = Some(version.into());
        self
    }

    /// Merges the description's `[environments.NAME]` over it (the command
    /// line's `--environment`).
    pub fn environment(mut self, name: impl Into<String>) -> Options {
        self.environment = Some(name.into());
        self
    }

    /// Merges the file at `path`, a part of a description, over it, after
    /// the environment and any overlay added before (`--overlay`). Paths
    /// written in it resolve against its own folder.
    pub fn overlay(mut self, path: impl Into<PathBuf>) -> Options {
        self.overlays.push(path.into());
        self
    }

    /// Sets one field, `PATH=VALUE`, after every overlay (`--set`): the
    /// format decides the value's type (see the book, `docs/src/environments.md`).
    pub fn set(mut self, assignment: impl Into<String>) -> Options {
        self.sets.push(assignment.into());
        self
    }

    /// The sources these options describe, for a description in `root`.
    fn sources(&self, root: PathBuf) -> sources::FsSources {
        let sources = sources::FsSources::new(root).allow_outside_root(self.allow_outside_root);
        match &self.env {
            Some(vars) => sources.with_env(vars.clone()),
            None => sources,
        }
    }
}

// Not derived: the variables' values may be secrets.
impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("no_literal_secrets", &self.no_literal_secrets)
            .field("allow_outside_root", &self.allow_outside_root)
            .field("kube_version", &self.kube_version)
            .field("environment", &self.environment)
            .field("overlays", &self.overlays)
            .field("sets", &self.sets.len())
            .field(
                "env",
                &self.env.as_ref().map(|v| v.keys().collect::<Vec<_>>()),
            )
            .finish()
    }
}

/// The compiled manifests of one description, its warnings, and what it read.
#[derive(Clone)]
#[non_exhaustive]
pub struct Output {
    /// The objects, in apply order.
    pub documents: Vec<Document>,
    /// Warnings about the description (the output is still good).
    pub warnings: Vec<Diagnostic>,
    inputs: Inputs,
    file: String,
    source: diag::Source,
}

impl Output {
    /// Every document in one YAML stream, separated by `---`.
    pub fn to_yaml(&self) -> String {
        join_documents(&self.documents)
    }

    /// The files and environment variables the compilation read, the
    /// description included: when none of them changes, neither does the
    /// output.
    pub fn inputs(&self) -> &Inputs {
        &self.inputs
    }

    /// The warnings, drawn like rustc's (empty when there are none).
    pub fn draw_warnings(&self, color: bool) -> String {
        diag::draw_all(&self.file, &self.source, &self.warnings, color)
    }

    /// One line per warning, `file:line:column: message (help)`, without
    /// colors: what a `build.rs` prints after `cargo:warning=`.
    pub fn warning_lines(&self) -> Vec<String> {
        diag::one_line_each(&self.file, &self.source, &self.warnings)
    }
}

// Not derived: the description's source may hold literal secrets.
impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Output")
            .field("file", &self.file)
            .field("documents", &self.documents)
            .field("warnings", &self.warnings)
            .field("inputs", &self.inputs)
            .finish_non_exhaustive()
    }
}

/// Compares rendered `documents` with `previous`, a previous render or the
/// output of `kubectl get ... -o yaml` (named `previous_name` in errors),
/// and fails with every change Kubernetes refuses to make in place: a
/// StatefulSet's `serviceName`, selector, pod management policy or claim
/// templates, a Service that had a cluster IP. Each error says the safe
/// procedure. Objects in `previous` that `documents` does not make are
/// ignored.
pub fn check_against(
    previous: &str,
    previous_name: &str,
    documents: &[Document],
) -> Result<(), Error> {
    against::check(previous, previous_name, documents)
}

/// What applying `documents` over `previous` may or may not do, which
/// cannot be known offline (a standalone claim that grows): one warning
/// line each.
pub fn against_notes(previous: &str, previous_name: &str, documents: &[Document]) -> Vec<String> {
    against::notes(previous, previous_name, documents)
}

/// Joins documents into one multi-document YAML stream.
pub fn join_documents(docs: &[Document]) -> String {
    let mut out = Vec::with_capacity(docs.iter().map(|d| d.yaml.len() + 4).sum());
    write_documents(docs, &mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("documents are text")
}

/// [`join_documents`], written to `out` as it goes: thousands of objects need
/// no copy of all of them in memory. `out` should be buffered.
pub fn write_documents(docs: &[Document], mut out: impl std::io::Write) -> std::io::Result<()> {
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.write_all(b"---\n")?;
        }
        out.write_all(d.yaml.as_bytes())?;
    }
    out.flush()
}

/// One description, lowered: resolved, read and checked, before any template
/// runs. [`render`](Resolved::render) finishes the compilation;
/// [`explain`](Resolved::explain) describes what the StatefulSet promises.
#[derive(Clone)]
#[non_exhaustive]
pub struct Resolved {
    /// Warnings about the description (the model is still good).
    pub warnings: Vec<Diagnostic>,
    model: model::Model,
    origins: Vec<compose::Origin>,
    inputs: Inputs,
    file: String,
    source: diag::Source,
}

// Not derived: the description's source may hold literal secrets.
impl fmt::Debug for Resolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolved")
            .field("file", &self.file)
            .field("model", &self.model)
            .field("warnings", &self.warnings)
            .field("inputs", &self.inputs)
            .finish_non_exhaustive()
    }
}

impl Resolved {
    /// The resolved app, as the templates see it.
    #[cfg(feature = "unstable-internals")]
    pub fn model(&self) -> &model::Model {
        &self.model
    }

    /// The files and environment variables read, as [`Output::inputs`].
    pub fn inputs(&self) -> &Inputs {
        &self.inputs
    }

    /// The warnings, drawn like rustc's (empty when there are none).
    pub fn draw_warnings(&self, color: bool) -> String {
        diag::draw_all(&self.file, &self.source, &self.warnings, color)
    }

    /// One line per warning, as [`Output::warning_lines`].
    pub fn warning_lines(&self) -> Vec<String> {
        diag::one_line_each(&self.file, &self.source, &self.warnings)
    }

    /// What the StatefulSet promises, pod by pod (`kubetoml explain`),
    /// with where each value an environment, overlay or `--set` set came from.
    pub fn explain(&self) -> Explanation {
        let mut explanation = explain::explain(&self.model);
        explanation.origins = (self.origins.iter())
            .map(|o| explain::Origin {
                field: o.path.clone(),
                layer: o.layer.clone(),
                at: o.at.clone(),
            })
            .collect();
        explanation
    }

    /// Lays the app out with `templates` (usually [`Templates::builtin`]).
    pub fn render(self, templates: &Templates) -> Result<Output, Error> {
        let documents = templates.render(&self.model)?;
        Ok(Output {
            documents,
            warnings: self.warnings,
            inputs: self.inputs,
            file: self.file,
            source: self.source,
        })
    }
}

/// [`compile_file`] with `templates`, where the path `-` reads the
/// description from standard input (its paths then resolve against the
/// working directory): what `kubetoml render` does for each argument.
pub fn compile_input(
    path: impl AsRef<Path>,
    templates: &Templates,
    options: &Options,
) -> Result<Output, Error> {
    let path = path.as_ref();
    if path.as_os_str() != "-" {
        return resolve_file(path, options)?.render(templates);
    }
    let text = read_input(path).map_err(|e| {
        Error::bare(
            ErrorKind::Io,
            "<stdin>",
            format!("cannot read standard input: {e}"),
        )
    })?;
    resolve("<stdin>", &text, ".", options)?.render(templates)
}

/// Reads at most `limit` bytes of the file at `path`, counted while reading (a device
/// or a file that grows stops there); more is an error of kind `InvalidData` saying so.
/// Every file kubetoml reads is read this way.
pub fn read_limited(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    sources::read_limited(path, limit)
}

/// Reads a description, a manifest or an `--against` file as the command
/// line does: `-` is standard input; at most 4 MiB, counted while reading,
/// so a device or an endless pipe is an error, not a hang.
pub fn read_input(path: &Path) -> std::io::Result<String> {
    sources::read_input(path, sources::MAX_INPUT_BYTES)
}

/// Reads a YAML file (an `import` input, an `--against` file) as
/// [`read_input`] does; `kind` is the error's. Invalid UTF-8 is an error
/// naming the line and column of the first bad byte, never the text.
pub fn read_yaml_input(path: &Path, kind: ErrorKind) -> Result<String, Error> {
    let name = path.display().to_string();
    let bytes = sources::read_input_bytes(path, sources::MAX_INPUT_BYTES)
        .map_err(|e| Error::bare(kind, &name, format!("cannot read `{name}`: {e}")))?;
    diag::yaml_text(&name, kind, bytes)
}

/// Reads the description at `path` and compiles it with the built-in
/// templates. Paths inside it resolve against its own folder; see
/// [`Options`] for the rest.
pub fn compile_file(path: impl AsRef<Path>, options: &Options) -> Result<Output, Error> {
    resolve_file(path, options)?.render(&Templates::builtin())
}

/// Reads the description at `path` and resolves it, as [`compile_file`]
/// does before the templates run.
pub fn resolve_file(path: impl AsRef<Path>, options: &Options) -> Result<Resolved, Error> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let bytes = sources::read_limited(path, sources::MAX_INPUT_BYTES)
        .map_err(|e| Error::bare(ErrorKind::Io, &file, format!("cannot read `{file}`: {e}")))?;
    let source = String::from_utf8(bytes).map_err(|e| diag::not_utf8(&file, e.as_bytes()))?;
    let root = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut resolved = resolve(&file, &source, root, options)?;
    resolved
        .inputs
        .add_file(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()));
    Ok(resolved)
}

/// Resolves the description `text`, named `file` in errors, whose paths
/// resolve against `root`: [`resolve_file`] for a description held in memory.
pub fn resolve(
    file: &str,
    text: &str,
    root: impl Into<PathBuf>,
    options: &Options,
) -> Result<Resolved, Error> {
    let sources = options.sources(root.into());
    let mut overlays = Vec::new();
    for path in &options.overlays {
        let name = path.display().to_string();
        // Bounded like a description read from the command line; not UTF-8:
        // drawn like a description, at the first bad byte.
        let bytes = sources::read_input_bytes(path, sources::MAX_INPUT_BYTES)
            .map_err(|e| Error::bare(ErrorKind::Io, &name, format!("cannot read `{name}`: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|e| diag::not_utf8(&name, e.as_bytes()))?;
        let root = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        overlays.push((name, text, options.sources(root)));
    }
    let layers = compose::Layers {
        environment: options.environment.as_deref(),
        overlays: (overlays.iter())
            .map(|(name, text, _)| (name.clone(), text.as_str()))
            .collect(),
        sets: &options.sets,
    };
    let overlay_sources: Vec<&dyn sources::Sources> = overlays
        .iter()
        .map(|(_, _, s)| s as &dyn sources::Sources)
        .collect();
    let mut resolved = resolve_layered(
        file,
        text,
        &sources,
        &Layered {
            layers,
            overlay_sources,
        },
        options.no_literal_secrets,
        options.kube_version.as_deref(),
    )?;
    resolved.inputs = sources.inputs();
    for (path, (_, _, sources)) in options.overlays.iter().zip(&overlays) {
        resolved.inputs.extend(&sources.inputs());
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        resolved.inputs.add_file(path);
    }
    Ok(resolved)
}

/// The layers to merge over a description, and the overlays' sources.
#[derive(Default)]
struct Layered<'a> {
    layers: compose::Layers<'a>,
    overlay_sources: Vec<&'a dyn sources::Sources>,
}

/// [`resolve`] with files and variables from `sources`, which carry their
/// own policy (root, restriction, environment); `no_literal_secrets` and
/// `kube_version` as in [`Options`]. For tests and fuzzers, unstable.
#[cfg(feature = "unstable-internals")]
pub fn resolve_with_sources(
    file: &str,
    text: &str,
    sources: &dyn Sources,
    no_literal_secrets: bool,
    kube_version: Option<&str>,
) -> Result<Resolved, Error> {
    resolve_sources(file, text, sources, no_literal_secrets, kube_version)
}

/// [`resolve_with_sources`], then [`Resolved::render`]. Unstable.
#[cfg(feature = "unstable-internals")]
pub fn compile_with_sources(
    file: &str,
    text: &str,
    sources: &dyn Sources,
    templates: &Templates,
    no_literal_secrets: bool,
    kube_version: Option<&str>,
) -> Result<Output, Error> {
    resolve_sources(file, text, sources, no_literal_secrets, kube_version)?.render(templates)
}

/// Parses and lowers `source`: the stages before the templates.
fn resolve_sources(
    file: &str,
    source: &str,
    sources: &dyn sources::Sources,
    no_literal_secrets: bool,
    kube_version: Option<&str>,
) -> Result<Resolved, Error> {
    let layered = Layered::default();
    resolve_layered(
        file,
        source,
        sources,
        &layered,
        no_literal_secrets,
        kube_version,
    )
}

/// [`resolve_sources`] with `layered` merged over the description.
fn resolve_layered(
    file: &str,
    source: &str,
    sources: &dyn sources::Sources,
    layered: &Layered<'_>,
    no_literal_secrets: bool,
    kube_version: Option<&str>,
) -> Result<Resolved, Error> {
    // Parsed once, each layer; what errors may quote is masked once.
    let composed = compose::compose(file, source, &layered.layers, sources)?;
    let (spec, masked) = (composed.spec, composed.masked);
    let sources = compose::LayeredSources {
        base: sources,
        layers: (composed.overlay_ranges.into_iter())
            .zip(layered.overlay_sources.iter().copied())
            .collect(),
    };
    let mut checked = policy::check(&spec, kube_version);
    // Each role is checked as the pods it makes; what they share is said once.
    for role in &spec.roles {
        for d in policy::check(&role.spec, kube_version).diagnostics {
            if !checked.diagnostics.contains(&d) {
                checked.diagnostics.push(d);
            }
        }
    }
    let lowered = lower::lower(
        spec,
        masked.text(),
        &sources,
        &lower::Options { no_literal_secrets },
    );
    let mut lowered = policy::merge(lowered, checked.diagnostics)
        .map_err(|diags| Error::new(ErrorKind::Invalid, file, &masked, diags))?;
    if let Some(level) = checked.level {
        policy::harden(&mut lowered.model, level);
    }
    lower::name_jobs(&mut lowered.model);
    Ok(Resolved {
        model: lowered.model,
        origins: composed.origins,
        warnings: lowered.warnings,
        inputs: Inputs::default(),
        file: file.to_owned(),
        source: masked,
    })
}
