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
use std::sync::OnceLock;

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

/// The templates, one per kind, as `(file name, built-in source)`.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "namespace.yaml",
        include_str!("../../templates/namespace.yaml"),
    ),
    (
        "serviceaccount.yaml",
        include_str!("../../templates/serviceaccount.yaml"),
    ),
    (
        "configmap.yaml",
        include_str!("../../templates/configmap.yaml"),
    ),
    ("secret.yaml", include_str!("../../templates/secret.yaml")),
    ("service.yaml", include_str!("../../templates/service.yaml")),
    (
        "client-service.yaml",
        include_str!("../../templates/client-service.yaml"),
    ),
    (
        "poddisruptionbudget.yaml",
        include_str!("../../templates/poddisruptionbudget.yaml"),
    ),
    (
        "networkpolicy.yaml",
        include_str!("../../templates/networkpolicy.yaml"),
    ),
    (
        "statefulset.yaml",
        include_str!("../../templates/statefulset.yaml"),
    ),
];

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
/// templates are shared, not copied.
#[derive(Clone)]
pub struct Templates {
    env: Environment<'static>,
    /// Where each template came from.
    origins: Vec<Origin>,
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
    /// The templates built into kubetoml. They are compiled once per process,
    /// on first use; every call after that returns a cheap clone.
    pub fn builtin() -> Templates {
        static BUILTIN_SET: OnceLock<Templates> = OnceLock::new();
        BUILTIN_SET.get_or_init(Templates::compile_builtin).clone()
    }

    fn compile_builtin() -> Templates {
        #[cfg(test)]
        tests::BUILTIN_COMPILED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut env = environment();
        for (name, source) in BUILTIN {
            env.add_template(name, source)
                .expect("built-in templates parse (tested)");
        }
        Templates {
            env,
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
        for (name, builtin) in BUILTIN {
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
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        (builtin.to_string(), Origin::builtin(name))
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
        Ok(Templates { env, origins })
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
        let render = || tmpl.render(Value::from(Serde(ctx)));
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
        let mut text = rendered.map_err(|e| template_error(origin, &e))?;
        if !text.ends_with('\n') {
            text.push('\n');
        }
        // A user's template is read back: nothing broken leaves here.
        if !user {
            return Ok(text);
        }
        if let Err(e) = crate::read::yamlread::parse(&text) {
            let at = e
                .location
                .map(|(line, column)| format!(" at output line {line}, column {column}"))
                .unwrap_or_default();
            return Err(Error::bare(
                ErrorKind::Template,
                origin,
                format!("{origin} produced invalid YAML{at}: {e}"),
            ));
        }
        Ok(text)
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
    /// ServiceAccount, ConfigMaps, Secrets, the headless then the client
    /// Service, PodDisruptionBudget, NetworkPolicy, StatefulSet, then the
    /// user's `extra_manifests`.
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
        for cm in &model.config_maps {
            docs.push(self.document(Kind::ConfigMap, &cm.metadata, "configmap.yaml", cm)?);
        }
        for s in &model.secrets {
            docs.push(self.document(Kind::Secret, &s.metadata, "secret.yaml", s)?);
        }
        let workloads = model.workloads();
        for w in &workloads {
            let service = &w.service;
            docs.push(self.document(Kind::Service, &service.metadata, "service.yaml", service)?);
        }
        for c in workloads.iter().filter_map(|w| w.client_service.as_ref()) {
            docs.push(self.document(Kind::Service, &c.metadata, "client-service.yaml", c)?);
        }
        for b in workloads.iter().filter_map(|w| w.disruption_budget.as_ref()) {
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
            let sts = &w.stateful_set;
            docs.push(self.document(Kind::StatefulSet, &sts.metadata, "statefulset.yaml", sts)?);
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

fn template_error(origin: &str, e: &minijinja::Error) -> Error {
    let line = e.line().map(|l| format!(":{l}")).unwrap_or_default();
    let detail = e.detail().map(|d| format!(": {d}")).unwrap_or_default();
    Error::bare(
        ErrorKind::Template,
        origin,
        format!("{origin}{line}: {}{detail}", e.kind()),
    )
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
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
    env
}

/// Prints every `{{ value }}` as a YAML scalar that reads back exactly.
fn format_value(
    out: &mut minijinja::Output,
    _state: &mut minijinja::State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    let text = match value.kind() {
        // Raw text only from `block`, `indent` and macros, which are built from escaped parts.
        ValueKind::String if value.is_safe() => value.as_str().unwrap_or_default().to_owned(),
        ValueKind::String => yaml::scalar(value.as_str().unwrap_or_default()).into_owned(),
        // minijinja prints booleans Python-style (`True`); YAML and Kubernetes spell them `true`.
        ValueKind::Bool => if value.is_true() { "true" } else { "false" }.to_owned(),
        ValueKind::Number => value.to_string(),
        kind => {
            return Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                format!("cannot print a {kind} as a YAML scalar; lay it out with a loop"),
            ))
        }
    };
    out.write_str(&text).map_err(minijinja::Error::from)
}

/// `{{ text|block(n) }}`: multi-line text as a literal block under a key at column `n`.
fn block_filter(value: &Value, indent: usize) -> Result<Value, minijinja::Error> {
    let Some(text) = value.as_str() else {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            "`block` takes a string",
        ));
    };
    Ok(Value::from_safe_string(yaml::block(text, indent)))
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

    #[test]
    fn builtin_templates_parse() {
        let t = Templates::builtin();
        for (name, _) in BUILTIN {
            assert!(t.env.get_template(name).is_ok(), "{name}");
        }
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
    fn indent_does_not_pass_unsafe_text_raw() {
        let ctx = Value::from(Serde(serde_json::json!({"v": "x: y\nz"})));
        let out = render_str("k: {{ v|indent(2) }}", ctx).unwrap();
        let back = yamlread::parse(&out).unwrap();
        assert_eq!(back["k"], yamlread::Value::String("x: y\nz".into()));
    }
}
