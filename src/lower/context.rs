//! What every lowering step shares: the `Lowerer` (diagnostics, the
//! description's text, the sources, the options) and its error helpers, the
//! app's `Identity`, and the names every step uses. The
//! steps (`data`, `pod`, `workload`, ...) depend on this module, never on
//! `lower` itself, which only runs them in order.

pub(super) use std::collections::{BTreeMap, BTreeSet};
pub(super) use std::ops::Range;
pub(super) use crate::diag::{did_you_mean, quote_list, suggest, Diagnostic, Severity};
pub(super) use crate::model::*;
pub(super) use crate::read::sources::{self, Sources};
pub(super) use crate::read::spec::{self, DataSpec, Map, Spanned, Spec};
pub(super) use crate::check::validate;
pub(super) use crate::write::{hash, secretfmt};

/// Settings that change how a description is lowered.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Refuse Secret values written in the description itself (for CI).
    pub no_literal_secrets: bool,
}

/// The annotation on the pod template that holds a hash of every ConfigMap
/// and Secret the pods read, so that changing any of them rolls the pods.
pub const CONFIG_HASH_ANNOTATION: &str = "kubetoml.dev/config-hash";

/// The API server's limit on a ConfigMap's or Secret's values, in bytes.
pub const OBJECT_SIZE_LIMIT: usize = 1024 * 1024;
/// Past this, client-side `kubectl apply` fails: its last-applied annotation is limited to 256 KiB.
pub const APPLY_ANNOTATION_LIMIT: usize = 256 * 1024;

pub(super) const RECOMMENDED_NAME: &str = "app.kubernetes.io/name";
pub(super) const RECOMMENDED_INSTANCE: &str = "app.kubernetes.io/instance";
pub(super) const RECOMMENDED_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// The label telling a role's pods from the other roles'.
pub(super) const RECOMMENDED_COMPONENT: &str = "app.kubernetes.io/component";

pub(super) type Span = Range<usize>;

pub(super) struct Lowerer<'a> {
    pub(super) diags: Vec<Diagnostic>,
    /// The description's text, for how values were written.
    pub(super) source: &'a str,
    pub(super) sources: &'a dyn Sources,
    pub(super) options: &'a Options,
    /// Containers named by env `resource` references, checked once the pod's
    /// containers are all known.
    pub(super) container_refs: Vec<Spanned<String>>,
}

/// The app's name and what every object of it carries.
#[derive(Clone)]
pub(super) struct Identity {
    /// The app name: the StatefulSet's, the main container's and by default the Service's.
    pub(super) name: String,
    /// Where the name is written.
    pub(super) name_span: Span,
    /// The name is valid (else it was reported).
    pub(super) name_ok: bool,
    pub(super) namespace: Option<String>,
    /// The recommended name and instance labels: the StatefulSet's immutable selector.
    pub(super) selector: StringMap,
    /// The selector's labels, `managed-by` and the user's.
    pub(super) labels: StringMap,
    /// The pods' labels: `labels` and, when `[statefulset] selector` is
    /// written, its labels (which the other objects need not carry).
    pub(super) pod_labels: StringMap,
    pub(super) annotations: StringMap,
}

impl Identity {
    /// Metadata for one object of the app, with labels and annotations of its own.
    pub(super) fn metadata(&self, name: &str, labels: StringMap, annotations: StringMap) -> Metadata {
        let mut m = Metadata {
            name: name.to_owned(),
            namespace: self.namespace.clone(),
            labels: self.labels.clone(),
            annotations: self.annotations.clone(),
        };
        m.labels.extend(labels);
        m.annotations.extend(annotations);
        m
    }
}

/// Whether `name` is written as environment variables usually are
/// (`UPPER_CASE`), and so is safe to quote.
pub(super) fn looks_like_a_variable(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

impl Lowerer<'_> {
    pub(super) fn error(&mut self, message: impl Into<String>, span: Span, label: impl Into<String>) {
        self.diags.push(Diagnostic::error(message, span, label));
    }

    pub(super) fn error_help(
        &mut self,
        message: impl Into<String>,
        span: Span,
        label: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.diags
            .push(Diagnostic::error(message, span, label).with_help(help));
    }

    /// Runs `check` on `value`; on failure records "`value` is not a valid WHAT: reason".
    pub(super) fn check(
        &mut self,
        value: &Spanned<String>,
        what: &str,
        check: impl FnOnce(&str) -> Result<(), String>,
    ) -> bool {
        match check(value.get_ref()) {
            Ok(()) => true,
            Err(reason) => {
                self.error(
                    format!("`{}` is not a valid {what}", value.get_ref().escape_debug()),
                    value.span(),
                    reason,
                );
                false
            }
        }
    }

    /// The declared port named `name` (main container's, or a sidecar's
    /// where `ports` holds them); else the error `message` at `span`, with
    /// the closest declared name or the `listing` of them all.
    pub(super) fn declared_port<'p>(
        &mut self,
        name: &str,
        span: Span,
        ports: &'p [(Spanned<String>, ContainerPort)],
        message: String,
        listing: &str,
    ) -> Option<&'p ContainerPort> {
        if let Some((_, port)) = ports.iter().find(|(n, _)| n.get_ref() == name) {
            return Some(port);
        }
        let names: Vec<&str> = ports.iter().map(|(n, _)| n.get_ref().as_str()).collect();
        let help = suggest(name, &names, listing, "declare it in the top-level `ports` first");
        self.error_help(message, span, "unknown port", help);
        None
    }

    /// The keyword `value` spells. An unknown value is reported with the
    /// valid ones (and the closest, when one is close) and gives `None`.
    pub(super) fn keyword<K: Keyword>(&mut self, value: &Spanned<String>, what: &str) -> Option<K> {
        if let Some(k) = K::parse(value.get_ref()) {
            return Some(k);
        }
        let allowed: Vec<&str> = K::all().iter().map(|k| k.spelling()).collect();
        let allowed = allowed.as_slice();
        let help = match did_you_mean(value.get_ref(), allowed.iter().copied()) {
            Some(best) => format!(
                "did you mean `{best}`? valid values: {}",
                quote_list(allowed)
            ),
            None => format!("valid values: {}", quote_list(allowed)),
        };
        self.error_help(
            format!("`{}` is not a valid {what}", value.get_ref().escape_debug()),
            value.span(),
            "unknown value",
            help,
        );
        None
    }

    pub(super) fn at_least(&mut self, value: &Option<Spanned<i64>>, min: i64, what: &str) -> Option<i64> {
        let v = value.as_ref()?;
        if *v.get_ref() < min {
            self.error(
                format!("{what} must be at least {min}"),
                v.span(),
                format!("{} is too small", v.get_ref()),
            );
        }
        Some(*v.get_ref())
    }

    pub(super) fn labels(&mut self, map: &Map<String>) -> StringMap {
        let mut out = StringMap::new();
        for (k, v) in map {
            let key_ok = self.check(k, "label key", validate::qualified_name);
            if [
                RECOMMENDED_NAME,
                RECOMMENDED_INSTANCE,
                RECOMMENDED_MANAGED_BY,
            ]
            .contains(&k.get_ref().as_str())
            {
                self.error_help(
                    format!("label `{}` is set by kubetoml", k.get_ref()),
                    k.span(),
                    "reserved label",
                    "kubetoml sets it from the app's name; the StatefulSet selects pods by it",
                );
                continue;
            }
            let value_ok = self.check(v, "label value", validate::label_value);
            if key_ok && value_ok {
                out.insert(k.get_ref().clone(), v.get_ref().clone());
            }
        }
        out
    }

    pub(super) fn annotations(&mut self, map: &Map<String>) -> StringMap {
        let mut out = StringMap::new();
        for (k, v) in map {
            if self.check(k, "annotation key", validate::qualified_name) {
                out.insert(k.get_ref().clone(), v.get_ref().clone());
            }
        }
        let total: usize = out.iter().map(|(k, v)| k.len() + v.len()).sum();
        if total > APPLY_ANNOTATION_LIMIT {
            if let Some((k, _)) = map.iter().next() {
                self.error(
                    format!("annotations add up to {total} bytes, at most 262144 are allowed"),
                    k.span(),
                    "too large",
                );
            }
        }
        out
    }

    pub(super) fn error_count(&self) -> usize {
        self.diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    pub(super) fn source_error(&mut self, e: sources::SourceError, span: Span) {
        let mut d = Diagnostic::error(e.message, span, e.label);
        if let Some(help) = e.help {
            d = d.with_help(help);
        }
        self.diags.push(d);
    }

    pub(super) fn env_var(&mut self, var: &Spanned<String>) -> Option<Vec<u8>> {
        match self.sources.env_var(var.get_ref()) {
            Ok(Some(v)) => Some(v),
            Ok(None) if looks_like_a_variable(var.get_ref()) => {
                self.error_help(
                    format!("environment variable `{}` is not set", var.get_ref()),
                    var.span(),
                    "read at build time",
                    format!("export {}=... before running kubetoml", var.get_ref()),
                );
                None
            }
            Ok(None) => {
                // Not UPPER_CASE: perhaps a value a mistake moved here
                // (`literals` mistyped as `from_env`). Never quote it.
                let error = Diagnostic::error(
                    "the environment variable named here is not set",
                    var.span(),
                    "read at build time",
                );
                let help = "variable names are usually UPPER_CASE: check that this is a name, not a value";
                self.diags.push(error.with_help(help).in_doubt());
                None
            }
            Err(e) => {
                self.source_error(e, var.span());
                None
            }
        }
    }
}
