//! `Model` -> YAML, laid out by minijinja templates.
//!
//! One template per Kubernetes kind, embedded in the binary; `--templates DIR`
//! replaces any of them with a user's copy. Whatever a template does, every
//! `{{ value }}` goes through one formatter that prints a YAML scalar reading
//! back as exactly that value ([`crate::write::yaml::scalar`]), and the only raw text
//! a template can print comes from the `block` filter (a literal block scalar,
//! [`crate::write::yaml::block`]) and from macros, which are built of the same two.
//! The `safe` filter is removed. Every document a user's template renders is
//! read back with a YAML parser before it is returned, so a broken template
//! fails here with its name, never in `kubectl apply`. The built-in templates
//! skip that read-back (it is a third of a render's time): the test suite reads
//! back everything they print, from every example, from generated hostile
//! descriptions and from the fuzzer's inputs.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Serde, Value, ValueKind};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

use crate::diag::{Error, ErrorKind};
use crate::model::{Kind, Metadata, Model};
use crate::write::yaml;

/// The largest user template read: 1 MiB (the built-in ones are a few KiB).
pub const MAX_TEMPLATE_BYTES: u64 = 1024 * 1024;

/// The instructions one render of a user template may run (minijinja's fuel):
/// the built-in templates take about 10 per key, port or variable (1.1 million
/// for a ConfigMap of 110 000 keys, near the API server's 1 MiB), so 10 million
/// leaves room; a template that loops without end stops with an error in about
/// half a second.
pub const TEMPLATE_FUEL: u64 = 10_000_000;

/// The most a user template may write for one object: 8 MiB. The API server stores
/// objects of at most 1.5 MiB, and the largest a description can make (a 1 MiB
/// ConfigMap of escaped text) renders to a few MiB; past this, the template is
/// repeating itself, and it stops with an error rather than run on.
pub const MAX_TEMPLATE_OUTPUT: usize = 8 * 1024 * 1024;

/// `(name, source)` of the built-in template `templates/NAME`, its source
/// as [`strip_comments`] leaves it, at compile time.
macro_rules! template {
    ($name:literal) => {{
        const SOURCE: &[u8] = include_bytes!(concat!("../../templates/", $name));
        const COMPILED: &[u8] = &{
            let mut out = [0; strip_comments(SOURCE, &mut [])];
            strip_comments(SOURCE, &mut out);
            out
        };
        ($name, utf8(COMPILED))
    }};
}

/// The templates, one per kind (and `pod.yaml`, the pod template the
/// workloads share), as `(file name, built-in source)`: what `--templates
/// DIR` may replace. The sources are `templates/`'s without their comments'
/// words ([`strip_comments`]).
pub const BUILTIN: &[(&str, &str)] = &[
    template!("pod.yaml"),
    template!("namespace.yaml"),
    template!("serviceaccount.yaml"),
    template!("role.yaml"),
    template!("rolebinding.yaml"),
    template!("configmap.yaml"),
    template!("secret.yaml"),
    template!("service.yaml"),
    template!("client-service.yaml"),
    template!("poddisruptionbudget.yaml"),
    template!("networkpolicy.yaml"),
    template!("statefulset.yaml"),
    template!("persistentvolumeclaim.yaml"),
    template!("job.yaml"),
    template!("cronjob.yaml"),
];

/// The parts the built-in templates include (or, `container.yaml`, import),
/// as `(name, source)`: each is compiled the first time a template reaches
/// it, so a render pays only for the parts its objects use. Not replaceable:
/// a user's copy of a template may include them, or not.
pub const PARTS: &[(&str, &str)] = &[
    template!("parts/metadata.yaml"),
    template!("parts/statefulset-rollout.yaml"),
    template!("parts/pod-security.yaml"),
    template!("parts/other-volumes.yaml"),
    template!("parts/env-field.yaml"),
    template!("parts/env-from.yaml"),
    template!("parts/resources.yaml"),
    template!("parts/pod-settings.yaml"),
    template!("parts/command.yaml"),
    template!("parts/binary-data.yaml"),
    template!("parts/claim-annotations.yaml"),
    template!("parts/image-pull-secrets.yaml"),
    template!("parts/volume-items.yaml"),
    template!("parts/container.yaml"),
    template!("parts/probes.yaml"),
    template!("parts/security.yaml"),
    template!("parts/affinity.yaml"),
    template!("parts/pod-network.yaml"),
    template!("parts/scheduling.yaml"),
    template!("parts/volumes.yaml"),
];

/// Copies `source` into `out` (when `out` is not empty) with its comments'
/// words taken out, and returns the length of the result. Each `{# ... #}`
/// keeps its markers, a `-` or `+` beside them and its line breaks, so every
/// line stays where it was and the output is the same; but minijinja's
/// lexer, which walks a template one character at a time, no longer walks
/// the words (the built-in templates explain themselves at length). A
/// `const fn`: the built-in templates are stripped at compile time.
const fn strip_comments(source: &[u8], out: &mut [u8]) -> usize {
    let write = !out.is_empty();
    let (mut i, mut n) = (0, 0);
    macro_rules! put {
        ($byte:expr) => {{
            if write {
                out[n] = $byte;
            }
            n += 1;
        }};
    }
    while i < source.len() {
        if !(source[i] == b'{' && i + 1 < source.len() && source[i + 1] == b'#') {
            put!(source[i]);
            i += 1;
            continue;
        }
        // The comment's end, as minijinja finds it: the first `#}` after `{#`.
        let mut end = i + 2;
        while end + 1 < source.len() && !(source[end] == b'#' && source[end + 1] == b'}') {
            end += 1;
        }
        if end + 1 >= source.len() {
            // Never closed: left as it is, for minijinja to refuse.
            while i < source.len() {
                put!(source[i]);
                i += 1;
            }
            break;
        }
        let body = (i + 2, end);
        put!(b'{');
        put!(b'#');
        if body.1 - body.0 <= 2 {
            let mut k = body.0;
            while k < body.1 {
                put!(source[k]);
                k += 1;
            }
        } else {
            if matches!(source[body.0], b'-' | b'+') {
                put!(source[body.0]);
            }
            let mut k = body.0;
            while k < body.1 {
                if source[k] == b'\n' {
                    put!(b'\n');
                }
                k += 1;
            }
            if matches!(source[body.1 - 1], b'-' | b'+') {
                put!(source[body.1 - 1]);
            }
        }
        put!(b'#');
        put!(b'}');
        i = end + 2;
    }
    n
}

/// `bytes` as text, at compile time: a built-in template is UTF-8, and
/// [`strip_comments`] only takes out whole comments' words.
const fn utf8(bytes: &'static [u8]) -> &'static str {
    match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => panic!("a built-in template is not UTF-8"),
    }
}

/// The built-in source of template or part `name`.
fn builtin_source(name: &str) -> Option<&'static str> {
    (BUILTIN.iter().chain(PARTS))
        .find(|(n, _)| *n == name)
        .map(|(_, source)| *source)
}

/// One rendered Kubernetes object. Its `Debug` form leaves out a Secret's YAML.
#[derive(Clone, PartialEq, Eq)]
pub struct Document {
    /// The object's kind.
    pub kind: Kind,
    /// The object's name.
    pub name: String,
    /// Its namespace, when set.
    pub namespace: Option<String>,
    /// The YAML text, ending in a newline.
    pub yaml: String,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Document");
        d.field("kind", &self.kind)
            .field("name", &self.name)
            .field("namespace", &self.namespace);
        if self.kind == Kind::Secret {
            d.field(
                "yaml",
                &format_args!("<redacted, {} bytes>", self.yaml.len()),
            );
        } else {
            d.field("yaml", &self.yaml);
        }
        d.finish()
    }
}

/// A template set ready to render. Cloning one is cheap: the compiled
/// templates are shared, not copied, and a built-in template or part is
/// compiled once, by the first render that reaches it, for every clone.
#[derive(Clone)]
pub struct Templates {
    env: Arc<Environment<'static>>,
    /// Where each template came from.
    origins: Arc<[Origin]>,
}

/// Where a template came from.
#[derive(Clone)]
struct Origin {
    /// The template's name, e.g. `service.yaml`.
    name: &'static str,
    /// How errors name it: its path, or "built-in template `NAME`".
    label: String,
    /// A user's copy, whose output is read back before it is trusted.
    user: bool,
}

impl Origin {
    fn builtin(name: &'static str) -> Origin {
        Origin {
            name,
            label: format!("built-in template `{name}`"),
            user: false,
        }
    }
}

impl Templates {
    /// The templates built into kubetoml. Each is compiled once per process,
    /// the first time an object of its kind (or a part it uses) is rendered;
    /// every call returns a cheap clone of one shared set.
    pub fn builtin() -> Templates {
        static BUILTIN_SET: OnceLock<Templates> = OnceLock::new();
        BUILTIN_SET.get_or_init(Templates::compile_builtin).clone()
    }

    fn compile_builtin() -> Templates {
        #[cfg(test)]
        tests::BUILTIN_COMPILED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Templates {
            env: Arc::new(builtin_environment()),
            origins: BUILTIN.iter().map(|(n, _)| Origin::builtin(n)).collect(),
        }
    }

    /// The built-in templates, with any of those in [`BUILTIN`] found in
    /// `dir` used instead. Any other file in `dir` is an error: a misspelt
    /// template would otherwise be silently ignored.
    pub fn from_dir(dir: &Path) -> Result<Templates, Error> {
        let display = dir.display().to_string();
        if !dir.is_dir() {
            return Err(Error::bare(
                ErrorKind::Io,
                &display,
                format!("template folder `{display}` does not exist"),
            ));
        }
        unknown_templates(dir)?;
        let mut env = environment();
        env.set_fuel(Some(TEMPLATE_FUEL));
        let mut origins = Vec::new();
        for (name, _) in BUILTIN {
            let path = dir.join(name);
            let (source, origin) =
                match crate::read::sources::read_limited_to_string(&path, MAX_TEMPLATE_BYTES) {
                    Ok(s) => (
                        s,
                        Origin {
                            name,
                            label: path.display().to_string(),
                            user: true,
                        },
                    ),
                    // The built-in one, compiled when first used.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        origins.push(Origin::builtin(name));
                        continue;
                    }
                    Err(e) => {
                        return Err(Error::bare(
                            ErrorKind::Io,
                            path.display().to_string(),
                            format!("cannot read template `{}`: {e}", path.display()),
                        ))
                    }
                };
            if let Err(e) = env.add_template_owned(name.to_string(), source) {
                return Err(template_error(&origin.label, &e));
            }
            origins.push(origin);
        }
        Ok(Templates {
            env: Arc::new(env),
            origins: origins.into(),
        })
    }

    /// Renders template `name` with `ctx`; `subject` (kind and name) names the object
    /// in errors.
    fn render_one<T: Serialize>(
        &self,
        name: &str,
        ctx: &T,
        subject: (&Kind, &str),
    ) -> Result<String, Error> {
        let origin = self
            .origins
            .iter()
            .find(|o| o.name == name)
            .expect("every template has an origin");
        let (user, origin) = (origin.user, origin.label.as_str());
        let tmpl = self
            .env
            .get_template(name)
            .map_err(|e| template_error(origin, &e))?;
        let render = || {
            if !user {
                return tmpl.render(Value::from(Serde(ctx)));
            }
            let mut out = Capped::default();
            tmpl.render_captured_to(Value::from(Serde(ctx)), &mut out)
                .map(|_| String::from_utf8_lossy(&out.bytes).into_owned())
                .map_err(|e| match out.over {
                    true => minijinja::Error::new(
                        minijinja::ErrorKind::WriteFailure,
                        format!(
                            "it wrote more than {} MiB for one object, the most a template may",
                            MAX_TEMPLATE_OUTPUT >> 20
                        ),
                    ),
                    false => e,
                })
        };
        let rendered = if user {
            let what = crate::diag::printable(
                &format!(
                    "template `{origin}` rendering {} `{}`",
                    subject.0.as_str(),
                    subject.1
                ),
                600,
            );
            crate::write::memory::within_budget(&what, render)
        } else {
            render()
        };
        let mut text = rendered.map_err(|e| match subject.0 {
            // What went wrong, without minijinja's words, which can quote a value.
            Kind::Secret => secret_template_error(origin, &e),
            _ => template_error(origin, &e),
        })?;
        if !text.ends_with('\n') {
            text.push('\n');
        }
        // A user's template is read back: nothing broken leaves here.
        if !user {
            return Ok(text);
        }
        // Its error says where and what in fixed words, never the text: a value may be a secret.
        if let Err(e) = crate::read::yamlread::parse(&text) {
            let at = e
                .location
                .map(|(line, column)| format!(" at output line {line}, column {column}"))
                .unwrap_or_default();
            return Err(Error::bare(
                ErrorKind::Template,
                origin,
                format!("{origin} produced invalid YAML{at}: {}", e.message),
            ));
        }
        Ok(text)
    }

    /// A Job as `job.yaml` lays it out: what its name's hash covers
    /// (see [`crate::lower::name_jobs`]).
    pub(crate) fn job_text(&self, job: &crate::model::Job) -> Result<String, Error> {
        self.render_one("job.yaml", job, (&Kind::Job, &job.metadata.name))
    }

    /// One object, rendered by `template`.
    fn document<T: Serialize>(
        &self,
        kind: Kind,
        metadata: &Metadata,
        template: &str,
        object: &T,
    ) -> Result<Document, Error> {
        let yaml = self.render_one(template, object, (&kind, &metadata.name))?;
        Ok(Document {
            kind,
            name: metadata.name.clone(),
            namespace: metadata.namespace.clone(),
            yaml,
        })
    }

    /// Renders every object of `model`, in apply order: Namespace,
    /// ServiceAccount, its Role and ClusterRole, their bindings, ConfigMaps,
    /// Secrets, the headless then the client Service, PersistentVolumeClaims,
    /// PodDisruptionBudget, NetworkPolicy, StatefulSet, Jobs, CronJobs, then
    /// the user's `extra_manifests`.
    pub(crate) fn render(&self, model: &Model) -> Result<Vec<Document>, Error> {
        let mut docs = Vec::new();
        if let Some(ns) = &model.namespace {
            docs.push(self.document(Kind::Namespace, &ns.metadata, "namespace.yaml", ns)?);
        }
        if let Some(sa) = &model.service_account {
            docs.push(self.document(
                Kind::ServiceAccount,
                &sa.metadata,
                "serviceaccount.yaml",
                sa,
            )?);
        }
        // Roles before bindings, as kustomize orders them: Role, ClusterRole,
        // RoleBinding, ClusterRoleBinding.
        for role in &model.roles {
            docs.push(self.document(role.kind.clone(), &role.metadata, "role.yaml", role)?);
        }
        for b in &model.role_bindings {
            docs.push(self.document(b.kind.clone(), &b.metadata, "rolebinding.yaml", b)?);
        }
        for cm in &model.config_maps {
            docs.push(self.document(Kind::ConfigMap, &cm.metadata, "configmap.yaml", cm)?);
        }
        for s in &model.secrets {
            docs.push(self.document(Kind::Secret, &s.metadata, "secret.yaml", s)?);
        }
        let workloads = model.workloads();
        for w in &workloads {
            let service = w.service;
            docs.push(self.document(Kind::Service, &service.metadata, "service.yaml", service)?);
        }
        for c in workloads.iter().filter_map(|w| w.client_service) {
            docs.push(self.document(Kind::Service, &c.metadata, "client-service.yaml", c)?);
        }
        for c in &model.claims {
            docs.push(self.document(
                Kind::PersistentVolumeClaim,
                &c.metadata,
                "persistentvolumeclaim.yaml",
                c,
            )?);
        }
        for b in workloads.iter().filter_map(|w| w.disruption_budget) {
            docs.push(self.document(
                Kind::PodDisruptionBudget,
                &b.metadata,
                "poddisruptionbudget.yaml",
                b,
            )?);
        }
        if let Some(p) = &model.network_policy {
            docs.push(self.document(Kind::NetworkPolicy, &p.metadata, "networkpolicy.yaml", p)?);
        }
        for w in &workloads {
            let sts = w.stateful_set;
            docs.push(self.document(Kind::StatefulSet, &sts.metadata, "statefulset.yaml", sts)?);
        }
        for j in &model.jobs {
            docs.push(self.document(Kind::Job, &j.metadata, "job.yaml", j)?);
        }
        for c in &model.cron_jobs {
            docs.push(self.document(Kind::CronJob, &c.metadata, "cronjob.yaml", c)?);
        }
        // A user's own objects, printed and checked when they were read.
        docs.extend(model.extra_manifests.iter().map(|m| Document {
            kind: Kind::parse(&m.kind),
            name: m.name.clone(),
            namespace: m.namespace.clone(),
            yaml: m.yaml.clone(),
        }));
        Ok(docs)
    }
}

impl Default for Templates {
    fn default() -> Self {
        Templates::builtin()
    }
}

/// A user template's output, refused past [`MAX_TEMPLATE_OUTPUT`] bytes.
#[derive(Default)]
struct Capped {
    bytes: Vec<u8>,
    over: bool,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_TEMPLATE_OUTPUT {
            self.over = true;
            return Err(std::io::Error::other("too much output"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Fails on the first file or folder in `dir` that is not one of [`BUILTIN`].
fn unknown_templates(dir: &Path) -> Result<(), Error> {
    let read_error = |e: std::io::Error| {
        let display = dir.display().to_string();
        Error::bare(
            ErrorKind::Io,
            &display,
            format!("cannot read template folder `{display}`: {e}"),
        )
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        names.push(entry.map_err(read_error)?.file_name());
    }
    names.sort();
    let known: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
    for name in names {
        let name = name.to_string_lossy();
        if known.contains(&name.as_ref()) {
            continue;
        }
        let path = dir.join(name.as_ref()).display().to_string();
        let hint = match crate::diag::did_you_mean(&name, known.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!(
                "kubetoml's templates are {}",
                crate::diag::quote_list(&known)
            ),
        };
        return Err(Error::bare(
            ErrorKind::Template,
            &path,
            format!("`{path}` is not a template kubetoml knows: {hint}"),
        ));
    }
    Ok(())
}

/// [`template_error`] for a template rendering a Secret: minijinja's detail
/// only for the kinds whose detail comes from the template's own text
/// (`` `data.x.y` is undefined``, an unknown filter's name) or from kubetoml
/// (the output cap); the others can
/// quote a value (`tried to include non-existing template '<a value>'`,
/// `unable to calculate <a value> + 1`), so they say where and what only.
fn secret_template_error(origin: &str, e: &minijinja::Error) -> Error {
    use minijinja::ErrorKind as K;
    let from_the_text = matches!(
        e.kind(),
        K::SyntaxError
            | K::UndefinedError
            | K::UnknownFilter
            | K::UnknownTest
            | K::UnknownFunction
            | K::UnknownMethod
            | K::UnknownBlock
            | K::TooManyArguments
            | K::MissingArgument
            | K::BadEscape
            | K::OutOfFuel
            // kubetoml's own words: the output cap above.
            | K::WriteFailure
    );
    if from_the_text {
        return template_error(origin, e);
    }
    let line = e.line().map(|l| format!(":{l}")).unwrap_or_default();
    Error::bare(
        ErrorKind::Template,
        origin,
        format!(
            "{origin}{line}: {} (rendering a Secret: details not shown, they may quote its values)",
            e.kind()
        ),
    )
}

fn template_error(origin: &str, e: &minijinja::Error) -> Error {
    let line = e.line().map(|l| format!(":{l}")).unwrap_or_default();
    let detail = e.detail().map(|d| format!(": {d}")).unwrap_or_default();
    Error::bare(
        ErrorKind::Template,
        origin,
        format!("{origin}{line}: {}{detail}", e.kind()),
    )
}

/// A filter of one value, as minijinja's `items`.
type Filter = fn(&Value) -> Result<Value, minijinja::Error>;
/// A test of one value, as minijinja's `none`.
type Test = fn(&Value) -> bool;

/// The filters and tests the built-in templates use, beside kubetoml's own
/// `block` and `indent`: a set of them only needs these, and registering
/// minijinja's ~80 built-ins cost a twentieth of a small render.
const BUILTIN_FILTERS: &[(&str, Filter)] = &[("items", minijinja::filters::items)];
const BUILTIN_TESTS: &[(&str, Test)] = &[
    ("none", minijinja::tests::is_none),
    ("defined", minijinja::tests::is_defined),
];

/// The environment the built-in templates render in: only the filters and
/// tests they use ([`BUILTIN_FILTERS`], [`BUILTIN_TESTS`]).
fn builtin_environment() -> Environment<'static> {
    let mut env = Environment::empty();
    for (name, filter) in BUILTIN_FILTERS {
        env.add_filter(*name, *filter);
    }
    for (name, test) in BUILTIN_TESTS {
        env.add_test(*name, *test);
    }
    configure(env)
}

/// The environment a folder of the user's templates renders in: all of
/// minijinja's built-in filters, tests and functions, as the user may use any.
fn environment() -> Environment<'static> {
    configure(Environment::new())
}

/// kubetoml's syntax, escaping and filters, on `env`.
fn configure(mut env: Environment<'static>) -> Environment<'static> {
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .expect("the default delimiters are valid");
    env.set_syntax(syntax);
    // Macro output is marked safe only while auto-escaping is on; the
    // formatter below does the actual escaping.
    env.set_auto_escape_callback(|_| AutoEscape::Custom("yaml".into()));
    env.set_formatter(format_value);
    env.remove_filter("safe");
    env.remove_filter("escape");
    env.remove_filter("e");
    env.add_filter("block", block_filter);
    env.add_filter("indent", indent_filter);
    env.add_filter("mapping", mapping_filter);
    // Built-in templates and parts compile on demand, once per environment.
    env.set_loader(|name| Ok(builtin_source(name).map(str::to_owned)));
    env
}

/// Prints every `{{ value }}` as a YAML scalar that reads back exactly.
fn format_value(
    out: &mut minijinja::Output,
    _state: &mut minijinja::State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    push_scalar(out, value, None)
}

/// Writes `value` as `{{ value }}` prints it, or, with `block` set to a
/// column, a string as `block(column)` prints it.
fn push_scalar(
    out: &mut impl std::fmt::Write,
    value: &Value,
    block: Option<usize>,
) -> Result<(), minijinja::Error> {
    let written = match value.kind() {
        // Raw text only from `block`, `indent`, `mapping` and macros, which are built from escaped parts.
        ValueKind::String if value.is_safe() => out.write_str(value.as_str().unwrap_or_default()),
        ValueKind::String => {
            let text = value.as_str().unwrap_or_default();
            match block {
                Some(column) => out.write_str(&yaml::block(text, column)),
                None => out.write_str(&yaml::scalar(text)),
            }
        }
        // minijinja prints booleans Python-style (`True`); YAML and Kubernetes spell them `true`.
        ValueKind::Bool => out.write_str(if value.is_true() { "true" } else { "false" }),
        ValueKind::Number => write!(out, "{value}"),
        kind => {
            return Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                format!("cannot print a {kind} as a YAML scalar; lay it out with a loop"),
            ))
        }
    };
    written.map_err(minijinja::Error::from)
}

/// `key:{{ map|mapping(n) }}`: the entries of a map, each on a line of its
/// own (a line break before each) at column `n`, its key as `{{ key }}`
/// prints it and its value as `block(n)` does (a one-line string as `{{
/// value }}`). An empty map prints nothing, so `key:` reads as null, as
/// after a loop over no entries. The same as
/// `{% for key, value in map|items %}` with `{{ key }}: {{ value|block(n) }}`
/// on a line at column `n`, in a fraction of the time.
fn mapping_filter(value: &Value, column: usize) -> Result<Value, minijinja::Error> {
    let pairs = (value.kind() == ValueKind::Map)
        .then(|| value.as_object().and_then(|o| o.try_iter_pairs()))
        .flatten()
        .ok_or_else(|| {
            minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                format!("`mapping` takes a map, not a {}", value.kind()),
            )
        })?;
    let mut out = String::new();
    for (key, value) in pairs {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', column));
        push_scalar(&mut out, &key, None)?;
        out.push_str(": ");
        push_scalar(&mut out, &value, Some(column))?;
    }
    Ok(Value::from_safe_string(out))
}

/// `{{ text|block(n) }}`: multi-line text as a literal block under a key at column `n`.
fn block_filter(value: &Value, indent: usize) -> Result<Value, minijinja::Error> {
    let Some(text) = value.as_str() else {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            "`block` takes a string",
        ));
    };
    Ok(Value::from_safe_string(yaml::block(text, indent).into_owned()))
}

/// `{{ macro()|indent(n, true) }}`: indents every non-empty line of already
/// formatted YAML, dropping one trailing newline. Unsafe input is formatted as
/// a scalar first, so this cannot smuggle raw text out.
fn indent_filter(value: &Value, width: usize, first: Option<bool>) -> Value {
    let raw = if value.is_safe() {
        value.as_str().unwrap_or_default().to_owned()
    } else {
        yaml::scalar(&value.to_string()).into_owned()
    };
    let raw = raw.strip_suffix('\n').unwrap_or(&raw);
    if width == 0 {
        // Nothing to add to any line: the StatefulSet's and the Job's pod.
        return Value::from_safe_string(raw.to_owned());
    }
    let pad = " ".repeat(width);
    let mut out = String::with_capacity(raw.len() + 16 * width);
    for (i, line) in raw.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if !line.is_empty() && (i > 0 || first.unwrap_or(false)) {
            out.push_str(&pad);
        }
        out.push_str(line);
    }
    Value::from_safe_string(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::yamlread;
    use std::collections::BTreeSet;

    /// How many times this process compiled the built-in templates.
    pub(super) static BUILTIN_COMPILED: std::sync::atomic::AtomicUsize =
        std::sync::atomic::AtomicUsize::new(0);

    #[test]
    fn builtin_templates_compile_once_per_process() {
        let first = Templates::builtin();
        let again = Templates::builtin();
        let threads: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| Templates::builtin().origins.len()))
            .collect();
        for t in threads {
            assert_eq!(t.join().unwrap(), BUILTIN.len());
        }
        let count = BUILTIN_COMPILED.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(count, 1, "compiled {count} times");
        // The clones are the same working template set.
        let path = Path::new("examples/web/web.toml");
        let resolved = crate::resolve_file(path, &crate::Options::default()).unwrap();
        let yaml = first.render(&resolved.model).unwrap();
        assert_eq!(yaml, again.render(&resolved.model).unwrap());
        assert!(!yaml.is_empty());
    }

    fn render_str(src: &str, ctx: Value) -> Result<String, minijinja::Error> {
        let env = environment();
        env.render_str(src, ctx)
    }

    /// The names following `marker` in the code (not the comments) of every
    /// built-in template and part.
    fn names_after(marker: &str) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        for (_, source) in BUILTIN.iter().chain(PARTS) {
            let code: String = source
                .split("{#")
                .enumerate()
                .map(|(i, piece)| match (i, piece.split_once("#}")) {
                    (0, _) => piece,
                    (_, Some((_, after))) => after,
                    (_, None) => "",
                })
                .collect();
            for (_, rest) in code.match_indices(marker).map(|(i, _)| code.split_at(i + marker.len())) {
                let rest = rest.strip_prefix("not ").unwrap_or(rest);
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                names.insert(name);
            }
        }
        names
    }

    #[test]
    fn the_builtin_environment_has_every_filter_and_test_the_templates_use() {
        let filters = names_after("|");
        let tests = names_after(" is ");
        assert!(filters.contains("items") && tests.contains("none"), "{filters:?} {tests:?}");
        let env = builtin_environment();
        for filter in &filters {
            let used = format!("{{{{ [1]|{filter} }}}}");
            let err = env.render_str(&used, ()).err();
            assert!(
                err.is_none_or(|e| e.kind() != minijinja::ErrorKind::UnknownFilter),
                "`{filter}` is not in the built-in environment"
            );
        }
        for test in &tests {
            let used = format!("{{{{ 1 is {test} }}}}");
            let err = env.render_str(&used, ()).err();
            assert!(
                err.is_none_or(|e| e.kind() != minijinja::ErrorKind::UnknownTest),
                "`{test}` is not in the built-in environment"
            );
        }
        // And it would notice one that is not.
        let missing = env.render_str("{{ [1]|join }}", ()).unwrap_err();
        assert_eq!(missing.kind(), minijinja::ErrorKind::UnknownFilter);
    }

    #[test]
    fn builtin_templates_parse() {
        let t = Templates::builtin();
        for (name, _) in BUILTIN.iter().chain(PARTS) {
            assert!(t.env.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn a_template_compiles_when_first_used_and_once() {
        // The built-in environment, with a loader that also logs what it gives.
        let log = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let mut env = environment();
        let seen = Arc::clone(&log);
        env.set_loader(move |name| {
            seen.lock().unwrap().push(name.to_owned());
            Ok(builtin_source(name).map(str::to_owned))
        });
        let t = Templates {
            env: Arc::new(env),
            origins: BUILTIN.iter().map(|(n, _)| Origin::builtin(n)).collect(),
        };
        let loads = |name: &str| log.lock().unwrap().iter().filter(|n| *n == name).count();
        let path = Path::new("examples/web/web.toml");
        let resolved = crate::resolve_file(path, &crate::Options::default()).unwrap();
        let first = t.render(&resolved.model).unwrap();
        assert_eq!(first, Templates::builtin().render(&resolved.model).unwrap());
        // web has no NetworkPolicy, probes, resources, security context nor
        // any other section a simple app leaves out: those are never compiled.
        for unused in [
            "networkpolicy.yaml",
            "parts/probes.yaml",
            "parts/affinity.yaml",
            "parts/security.yaml",
            "parts/pod-security.yaml",
            "parts/pod-settings.yaml",
            "parts/command.yaml",
            "parts/resources.yaml",
            "parts/env-field.yaml",
            "parts/env-from.yaml",
            "parts/other-volumes.yaml",
            "parts/statefulset-rollout.yaml",
            "parts/binary-data.yaml",
            "parts/claim-annotations.yaml",
            "parts/image-pull-secrets.yaml",
            "parts/volume-items.yaml",
        ] {
            assert_eq!(loads(unused), 0, "{unused}");
        }
        assert_eq!(loads("statefulset.yaml"), 1);
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (t, model) = (t.clone(), resolved.model.clone());
                std::thread::spawn(move || t.render(&model).unwrap())
            })
            .collect();
        for thread in threads {
            assert_eq!(thread.join().unwrap(), first);
        }
        // Clones share what the first render compiled.
        assert_eq!(loads("statefulset.yaml"), 1);
        assert_eq!(loads("parts/container.yaml"), 1);
        // Included by every object web renders, compiled once.
        assert_eq!(loads("parts/metadata.yaml"), 1);
    }

    #[test]
    fn values_print_as_safe_scalars() {
        let ctx = Value::from(Serde(serde_json::json!({"v": "yes", "n": 3, "b": true})));
        let out = render_str("a: {{ v }}\nn: {{ n }}\nb: {{ b }}", ctx).unwrap();
        let back = yamlread::parse(&out).unwrap();
        assert_eq!(back["a"], yamlread::Value::String("yes".into()));
        assert_eq!(back["n"], yamlread::Value::Number(3.into()));
        assert_eq!(back["b"], yamlread::Value::Bool(true));
    }

    #[test]
    fn safe_filter_is_gone_and_maps_are_refused() {
        let ctx = Value::from(Serde(serde_json::json!({"v": "a: b", "m": {"k": 1}})));
        assert!(render_str("{{ v|safe }}", ctx.clone()).is_err());
        assert!(render_str("{{ m }}", ctx.clone()).is_err());
        assert!(render_str("{{ missing }}", ctx).is_err());
    }

    #[test]
    fn indent_zero_drops_one_trailing_newline_only() {
        for (text, want) in [("a:\n\n  b\n\n", "a:\n\n  b\n"), ("x", "x"), ("", "")] {
            let safe = Value::from_safe_string(text.to_owned());
            for first in [None, Some(true), Some(false)] {
                let got = indent_filter(&safe, 0, first);
                assert_eq!(got.as_str(), Some(want), "{text:?} {first:?}");
                assert!(got.is_safe());
            }
        }
        let unsafe_text = indent_filter(&Value::from("x: y"), 0, None);
        assert_eq!(unsafe_text.as_str(), Some("\"x: y\""));
    }

    #[test]
    fn indent_does_not_pass_unsafe_text_raw() {
        let ctx = Value::from(Serde(serde_json::json!({"v": "x: y\nz"})));
        let out = render_str("k: {{ v|indent(2) }}", ctx).unwrap();
        let back = yamlread::parse(&out).unwrap();
        assert_eq!(back["k"], yamlread::Value::String("x: y\nz".into()));
    }

    /// `key:{{ map|mapping(n) }}` prints what the loop it replaced printed,
    /// byte for byte, for any map: empty, keys and values that need quotes,
    /// several-line text, numbers and booleans.
    #[test]
    fn mapping_prints_what_the_loop_printed() {
        let maps = serde_json::json!([
            {},
            {"app": "web", "a.b/c": "x"},
            {"yes": "no", "": "", "k: v": "# not a comment", "1": "01"},
            {"text": "line\nline 2\n", "lead": "  spaced\n", "kept": "a\n\n\n", "tab": "\tx\ny"},
            {"n": 3, "f": 1.5, "b": true, "é": "\u{1b}[31m"},
        ]);
        for column in [0, 2, 8] {
            let pad = " ".repeat(column);
            let looped = format!(
                "m:\n{{% for key, value in map|items %}}\n{pad}{{{{ key }}}}: {{{{ value|block({column}) if value is string else value }}}}\n{{% endfor %}}\nnext: 1\n"
            );
            let mapped = format!("m:{{{{ map|mapping({column}) }}}}\nnext: 1\n");
            for map in maps.as_array().unwrap() {
                let ctx = || Value::from(Serde(serde_json::json!({ "map": map })));
                // kubetoml's syntax: trim_blocks, lstrip_blocks, the trailing newline kept.
                let env = environment();
                let want = env.render_str(&looped, ctx()).unwrap();
                assert_eq!(env.render_str(&mapped, ctx()).unwrap(), want, "{map}");
            }
        }
        // Anything else is refused with the filter's name.
        let ctx = Value::from(Serde(serde_json::json!({"l": [1], "s": "x"})));
        for bad in ["{{ l|mapping(2) }}", "{{ s|mapping(2) }}", "{{ none|mapping(2) }}"] {
            let err = render_str(bad, ctx.clone()).unwrap_err();
            assert!(err.to_string().contains("`mapping` takes a map"), "{bad}: {err}");
        }
        // A one-line string prints as `{{ value }}` would (labels), a several-line one as a block.
        let ctx = Value::from(Serde(serde_json::json!({"m": {"k": "a-b", "l": "a\nb"}})));
        assert_eq!(
            render_str("x:{{ m|mapping(2) }}", ctx).unwrap(),
            "x:\n  k: a-b\n  l: |-\n    a\n    b"
        );
    }

    /// [`strip_comments`] as a function of text, for the tests.
    fn without_comments(source: &str) -> String {
        let mut out = vec![0; strip_comments(source.as_bytes(), &mut [])];
        strip_comments(source.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn comments_lose_their_words_and_keep_their_lines_and_markers() {
        assert_eq!(
            without_comments("a{#- two\nlines -#}b{# c #}\n{#+ d +#}{##}{#-#}é{# open"),
            "a{#-\n-#}b{##}\n{#++#}{##}{#-#}é{# open"
        );
        let mut env = builtin_environment();
        for (name, compiled) in BUILTIN.iter().chain(PARTS) {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates").join(name);
            let source = std::fs::read_to_string(&path).unwrap();
            assert_eq!(*compiled, without_comments(&source), "{name}");
            assert_eq!(compiled.lines().count(), source.lines().count(), "{name}");
            assert!(!source.contains("{# ") || compiled.len() < source.len(), "{name}");
            // What is left outside the comments is all there was outside them.
            let code = |text: &str| -> String {
                text.split("{#")
                    .enumerate()
                    .map(|(i, piece)| match i {
                        0 => piece,
                        _ => piece.split_once("#}").map_or("", |(_, after)| after),
                    })
                    .collect()
            };
            assert_eq!(code(compiled), code(&source), "{name}");
            assert!(env.add_template_owned(*name, compiled.to_string()).is_ok(), "{name}");
        }
    }
}
