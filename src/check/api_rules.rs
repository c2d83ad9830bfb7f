//! The API server's and the kubelet's rules that `validate` does not cover
//! (number ranges, image references, volume item paths, `$(VAR)` references),
//! and [`check`], which applies them to a parsed description.
//!
//! Each rule names the Kubernetes code it mirrors. The pure rules return
//! `Err(reason)` with a lowercase reason; [`check`] turns them into
//! diagnostics pointing at the TOML value.

use std::collections::BTreeSet;

use crate::diag::{Diagnostic, Severity};
use crate::read::spec::{
    ContainerSpec, EnvList, EnvValue, HandlerSpec, LifecycleSpec, Spanned, Spec, SpreadSpec,
};
use crate::check::validate;

/// The largest value of an `int32` API field (replicas, partition, probe
/// timings, ...): JSON decoding refuses anything larger.
pub const INT32_MAX: i64 = i32::MAX as i64;

/// The pod's `terminationGracePeriodSeconds` when none is set (the API's default).
pub const DEFAULT_GRACE_PERIOD: i64 = 30;

/// A value for an `int32` field, whose lower bound is checked elsewhere.
pub fn int32(n: i64) -> Result<(), String> {
    if n > INT32_MAX {
        Err(format!(
            "{n} does not fit: the field is a 32-bit integer, at most {INT32_MAX}"
        ))
    } else {
        Ok(())
    }
}

/// A `preStop`/`postStart` sleep: at most the pod's grace period
/// (`validateSleepAction` in `pkg/apis/core/validation/validation.go`).
pub fn sleep_seconds(sleep: i64, grace_period: i64) -> Result<(), String> {
    if sleep > grace_period {
        Err(format!(
            "{sleep} seconds is longer than the pod's termination grace period ({grace_period} seconds)"
        ))
    } else {
        Ok(())
    }
}

/// The path of a key in a mounted ConfigMap or Secret (`items`), beyond
/// `validate::relative_path`: not starting with `..`
/// (`validateLocalNonReservedPath`; the kubelet keeps `..data` and the like
/// for its atomic updates), at most 4096 bytes, each element at most 255
/// (`validatePath` in `pkg/volume/util/atomic_writer.go`).
pub fn key_to_path(s: &str) -> Result<(), String> {
    validate::relative_path(s)?;
    if s.starts_with("..") {
        return Err("it must not start with `..`: the kubelet keeps those names for itself".into());
    }
    if s.len() > 4096 {
        return Err(format!(
            "it is {} bytes long, at most 4096 are allowed",
            s.len()
        ));
    }
    if let Some(long) = s.split('/').find(|p| p.len() > 255) {
        return Err(format!(
            "the element `{}...` is {} bytes long, at most 255 are allowed",
            long.chars().take(20).collect::<String>(),
            long.len()
        ));
    }
    Ok(())
}

/// The longest repository name (domain and path) the kubelet accepts
/// (`NameTotalLengthMax` in `github.com/distribution/reference`).
const NAME_MAX: usize = 255;

/// An image reference as the kubelet parses it before pulling
/// (`parsers.ParseImageName` -> `reference.ParseNormalizedNamed`): anything
/// it refuses becomes `InvalidImageName` on the node. The API server itself
/// only refuses leading or trailing whitespace (`validateContainerCommon`).
///
/// `[domain[:port]/]path[:tag][@digest]`: path components are lowercase
/// `[a-z0-9]+` joined by `.`, `_`, `__` or runs of `-`; the tag is
/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`; the digest is `sha256:` and 64
/// lowercase hex digits (or sha384/sha512).
pub fn image_reference(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("it is empty".into());
    }
    if s.trim() != s {
        return Err("it has leading or trailing whitespace".into());
    }
    if let Some(at) = s.find("${").or_else(|| s.find("$(")) {
        let end = s[at..].find(['}', ')']).map_or(s.len(), |e| at + e + 1);
        return Err(format!(
            "`{}` is a variable left unexpanded: kubetoml does not expand variables in `image`, write the value itself",
            &s[at..end]
        ));
    }
    if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "`{}` is not allowed in an image reference",
            c.escape_default()
        ));
    }
    if s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err("a 64-character hexadecimal string is an image ID, not a reference".into());
    }
    let (rest, digest) = match s.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (s, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].find(':') {
        Some(colon) => (
            &rest[..last_slash + colon],
            Some(&rest[last_slash + colon + 1..]),
        ),
        None => (rest, None),
    };
    let (domain, path) = split_domain(name);
    image_path(path)?;
    if let Some(domain) = domain {
        // The grammar's domain is optional: a name that reads as a path
        // throughout (`a_b.c/d`) is accepted too.
        if let Err(reason) = image_domain(domain) {
            image_path(name).map_err(|_| reason)?;
        }
    }
    let full_len = domain.map_or("docker.io/library/".len(), |d| d.len() + 1) + path.len();
    if full_len > NAME_MAX {
        return Err(format!(
            "the repository name is {full_len} characters long, at most {NAME_MAX} are allowed"
        ));
    }
    if let Some(tag) = tag {
        image_tag(tag)?;
    }
    if let Some(digest) = digest {
        image_digest(digest)?;
    }
    Ok(())
}

/// The registry part of a name, if any: the first component when it has a
/// `.` or `:`, is `localhost`, or has an upper-case letter
/// (`splitDockerDomain` in `github.com/distribution/reference/normalize.go`).
fn split_domain(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (Some(first), rest)
        }
        _ => (None, name),
    }
}

/// `host[:port]`: dot-separated `[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?`, or `[ipv6]`.
fn image_domain(domain: &str) -> Result<(), String> {
    let bad = || Err(format!("`{domain}` is not a valid registry host"));
    let (host, port) = if let Some(v6) = domain.strip_prefix('[') {
        let Some((addr, after)) = v6.split_once(']') else {
            return bad();
        };
        if addr.is_empty() || !addr.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
            return bad();
        }
        match after.strip_prefix(':') {
            Some(port) => (None, Some(port)),
            None if after.is_empty() => (None, None),
            None => return bad(),
        }
    } else {
        match domain.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(domain), None),
        }
    };
    if let Some(host) = host {
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if !host.split('.').all(label_ok) {
            return bad();
        }
    }
    match port {
        Some(p) if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) => {
            Err(format!("the registry port in `{domain}` must be a number"))
        }
        _ => Ok(()),
    }
}

/// `component(/component)*`, each `[a-z0-9]+` joined by `.`, `_`, `__` or `-`+.
fn image_path(path: &str) -> Result<(), String> {
    if path.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!("the repository `{path}` must be lowercase"));
    }
    for component in path.split('/') {
        if !path_component(component) {
            let reason = if component.is_empty() {
                "a `/` too many".to_owned()
            } else {
                format!("`{component}` is not a valid repository name part: use lowercase letters and digits, joined by `.`, `_`, `__` or `-`")
            };
            return Err(reason);
        }
    }
    Ok(())
}

fn path_component(c: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = c.as_bytes();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    // Every run of separators between alphanumeric runs is `.`, `_`, `__` or `-`+.
    c.split(|ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit())
        .filter(|sep| !sep.is_empty())
        .all(|sep| matches!(sep, "." | "_" | "__") || sep.bytes().all(|b| b == b'-'))
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn image_tag(tag: &str) -> Result<(), String> {
    if tag.is_empty() {
        return Err("the tag after `:` is empty: write a tag, or leave out the `:`".into());
    }
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if tag.len() > 128 {
        return Err(format!(
            "the tag is {} characters long, at most 128 are allowed",
            tag.len()
        ));
    }
    if !tag.starts_with(word) || !tag.chars().all(|c| word(c) || c == '.' || c == '-') {
        return Err(format!(
            "`{tag}` is not a valid tag: use letters, digits, `_`, `.` and `-`, not starting with `.` or `-`"
        ));
    }
    Ok(())
}

/// `algorithm:hex`, with an algorithm the kubelet knows and its exact length
/// (`digest.Parse` in `github.com/opencontainers/go-digest`).
fn image_digest(digest: &str) -> Result<(), String> {
    let (algorithm, hex) = digest.split_once(':').unwrap_or((digest, ""));
    let length = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            return Err(format!(
                "`{algorithm}` is not a digest algorithm: use `sha256:` followed by 64 hexadecimal digits"
            ))
        }
    };
    if hex.len() != length || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(format!(
            "a `{algorithm}` digest is {length} lowercase hexadecimal digits"
        ));
    }
    Ok(())
}

/// The variable names a string refers to with `$(NAME)`, as Kubernetes'
/// expansion reads it (`third_party/forked/golang/expansion/expand.go`):
/// `$$` is an escaped `$`, an unclosed `$(` is text.
pub fn references(s: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'$', b'$') => i += 2,
            (b'$', b'(') => match s[i + 2..].find(')') {
                Some(end) => {
                    names.push(&s[i + 2..i + 2 + end]);
                    i += end + 3;
                }
                None => break,
            },
            _ => i += 1,
        }
    }
    names
}

/// Whether `$(name)` could name a variable (`[-._a-zA-Z][-._a-zA-Z0-9]*`, as
/// Kubernetes allows): `$(cat "$F")` in a shell command is the shell's.
fn variable_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || matches!(c, '-' | '.' | '_'))
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}

/// Variables Kubernetes may set itself from the namespace's Services
/// (`WEB_SERVICE_HOST`, `WEB_PORT_80_TCP`, ...), which kubetoml cannot know.
fn may_be_service_link(name: &str) -> bool {
    name.contains("_SERVICE_") || name.contains("_PORT")
}

/// Every rule of this module, applied to a parsed description: errors for
/// what the API server or the kubelet would refuse, warnings for `$(VAR)`
/// references Kubernetes would leave as written.
pub fn check(spec: &Spec) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    numbers(spec, &mut out);
    let grace = spec
        .termination_grace_period
        .as_ref()
        .map_or(DEFAULT_GRACE_PERIOD, |g| *g.get_ref());
    // The main container also gets the variables of the objects' `env` tables, after its own.
    let object_env: Vec<&Spanned<String>> = spec
        .configmaps
        .values()
        .chain(spec.secrets.values())
        .flat_map(|o| o.get_ref().env.iter().map(|(var, _)| var))
        .collect();
    let object_env_from = spec
        .configmaps
        .values()
        .chain(spec.secrets.values())
        .any(|o| o.get_ref().env_from.as_ref().is_some_and(|f| *f.get_ref()));
    let main = Container {
        image: spec.image.as_ref(),
        command: spec.command.as_deref(),
        args: spec.args.as_deref(),
        env: &spec.env,
        later_env: object_env,
        has_env_from: object_env_from,
        lifecycle: spec.lifecycle.as_ref(),
    };
    main.check(grace, &mut out);
    for c in &spec.sidecars {
        Container::of(c.get_ref()).check(grace, &mut out);
    }
    for c in &spec.init_containers {
        // Hooks on init containers are refused where they are lowered.
        let container = Container {
            lifecycle: None,
            ..Container::of(c.get_ref())
        };
        container.check(grace, &mut out);
    }
    for object in spec.configmaps.values().chain(spec.secrets.values()) {
        for path in object.get_ref().items.values() {
            // `validate::relative_path`'s own failures are reported where the items are lowered.
            if validate::relative_path(path.get_ref()).is_ok() {
                if let Err(reason) = key_to_path(path.get_ref()) {
                    out.push(Diagnostic::error(
                        format!(
                            "`{}` is not a valid item path",
                            path.get_ref().escape_debug()
                        ),
                        path.span(),
                        reason,
                    ));
                }
            }
        }
    }
    out.sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
    cap_warnings(out)
}

/// The most `$(VAR)` warnings drawn for one description; the rest are counted.
pub const MAX_REFERENCE_WARNINGS: usize = 20;

/// Keeps every error and the first [`MAX_REFERENCE_WARNINGS`] warnings, and
/// counts the others in one more warning, so that a description full of
/// `$(VAR)` cannot flood the terminal.
fn cap_warnings(diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut shown = 0;
    let mut kept = Vec::new();
    for d in diags {
        if d.severity == Severity::Error || shown < MAX_REFERENCE_WARNINGS {
            shown += usize::from(d.severity == Severity::Warning);
            kept.push(d);
        } else {
            shown += 1;
        }
    }
    if shown > MAX_REFERENCE_WARNINGS {
        kept.push(Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::bare(format!(
                "{} more `$(VAR)` references that Kubernetes leaves as written are not shown",
                shown - MAX_REFERENCE_WARNINGS
            ))
        });
    }
    kept
}

/// Every `int32` field kubetoml emits stays in range; lower bounds are checked where the field is lowered.
fn numbers(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let mut fields: Vec<(&str, &Spanned<i64>)> = Vec::new();
    fields.extend(spec.replicas.as_ref().map(|r| ("replicas", r)));
    if let Some(s) = &spec.statefulset {
        let s = s.get_ref();
        fields.extend(
            s.min_ready_seconds
                .as_ref()
                .map(|v| ("min_ready_seconds", v)),
        );
        fields.extend(
            s.revision_history_limit
                .as_ref()
                .map(|v| ("revision_history_limit", v)),
        );
        fields.extend(s.ordinals_start.as_ref().map(|v| ("ordinals_start", v)));
        if let Some(u) = &s.update_strategy {
            fields.extend(u.get_ref().partition.as_ref().map(|v| ("partition", v)));
        }
    }
    let probes = std::iter::once(spec.probes.as_ref())
        .chain(spec.sidecars.iter().map(|c| c.get_ref().probes.as_ref()))
        .chain(
            spec.init_containers
                .iter()
                .map(|c| c.get_ref().probes.as_ref()),
        )
        .flatten()
        .flat_map(|p| [&p.readiness, &p.liveness, &p.startup])
        .flatten();
    for p in probes {
        let p = p.get_ref();
        for (name, v) in [
            ("initial_delay", &p.initial_delay),
            ("period", &p.period),
            ("timeout", &p.timeout),
            ("success_threshold", &p.success_threshold),
            ("failure_threshold", &p.failure_threshold),
        ] {
            fields.extend(v.as_ref().map(|v| (name, v)));
        }
    }
    for (name, v) in fields {
        if let Err(reason) = int32(*v.get_ref()) {
            out.push(Diagnostic::error(
                format!("`{name}` is too large"),
                v.span(),
                reason,
            ));
        }
    }
    if let Some(u) = spec
        .statefulset
        .as_ref()
        .and_then(|s| s.get_ref().update_strategy.as_ref())
    {
        if let Some(m) = &u.get_ref().max_unavailable {
            if let crate::read::spec::IntOrString::Int(n) = m.get_ref() {
                if let Err(reason) = int32(*n) {
                    out.push(Diagnostic::error(
                        "`max_unavailable` is too large",
                        m.span(),
                        reason,
                    ));
                }
            }
        }
    }
    if let Some(b) = &spec.disruption_budget {
        if let crate::read::spec::BudgetSpec::Table(t) = b.get_ref() {
            for (name, v) in [
                ("max_unavailable", &t.max_unavailable),
                ("min_available", &t.min_available),
            ] {
                if let Some(crate::read::spec::IntOrString::Int(n)) = v.as_ref().map(|v| v.get_ref()) {
                    if let Err(reason) = int32(*n) {
                        out.push(Diagnostic::error(
                            format!("`disruption_budget.{name}` is too large"),
                            v.as_ref().map_or(b.span(), |v| v.span()),
                            reason,
                        ));
                    }
                }
            }
        }
    }
    if let Some(s) = &spec.spread {
        if let SpreadSpec::Table(t) = s.get_ref() {
            if let Err(reason) = int32(t.max_skew.unwrap_or(1)) {
                out.push(Diagnostic::error(
                    "`max_skew` is too large",
                    s.span(),
                    reason,
                ));
            }
        }
    }
}

/// The fields of one container that these rules read: the main container's
/// are at the top level of the description.
struct Container<'a> {
    image: Option<&'a Spanned<String>>,
    command: Option<&'a [Spanned<String>]>,
    args: Option<&'a [Spanned<String>]>,
    env: &'a EnvList<EnvValue>,
    /// Variables set after `env` (the main container's, from the objects' `env` tables).
    later_env: Vec<&'a Spanned<String>>,
    /// Whether `envFrom` may set variables kubetoml does not list here.
    has_env_from: bool,
    lifecycle: Option<&'a LifecycleSpec>,
}

impl<'a> Container<'a> {
    fn of(c: &'a ContainerSpec) -> Self {
        Container {
            image: c.image.as_ref(),
            command: c.command.as_deref(),
            args: c.args.as_deref(),
            env: &c.env,
            later_env: Vec::new(),
            has_env_from: !c.env_from.is_empty(),
            lifecycle: c.lifecycle.as_ref(),
        }
    }

    fn check(&self, grace: i64, out: &mut Vec<Diagnostic>) {
        // An empty image, or one with whitespace, is reported where the container is lowered.
        if let Some(image) = self.image.filter(|i| {
            !i.get_ref().trim().is_empty() && !i.get_ref().contains(char::is_whitespace)
        }) {
            if let Err(reason) = image_reference(image.get_ref()) {
                out.push(
                    Diagnostic::error(
                        format!("`{}` is not a valid image reference", image.get_ref().escape_debug()),
                        image.span(),
                        reason,
                    )
                    .with_help("the kubelet would refuse to pull it (`InvalidImageName`); write `registry/name:tag`, e.g. `registry.example.com/team/app:1.2.3`"),
                );
            }
        }
        if let Some(l) = self.lifecycle {
            for hook in [&l.post_start, &l.pre_stop].into_iter().flatten() {
                let HandlerSpec::Table(t) = hook.get_ref() else {
                    continue;
                };
                // Out-of-range sleeps and grace periods are reported where they are lowered.
                if let Some(s) = t.sleep.as_ref().filter(|s| *s.get_ref() >= 1 && grace >= 0) {
                    if let Err(reason) = sleep_seconds(*s.get_ref(), grace) {
                        out.push(
                            Diagnostic::error("`sleep` outlasts the grace period", s.span(), reason)
                                .with_help("raise `termination_grace_period`, or sleep less: the API server refuses a longer sleep"),
                        );
                    }
                }
            }
        }
        self.references(out);
    }

    /// `$(VAR)` in `env` values must name an earlier variable; in `command`
    /// and `args`, any variable of the container. Kubernetes leaves others as written.
    fn references(&self, out: &mut Vec<Diagnostic>) {
        let all: BTreeSet<&str> = self
            .env
            .iter()
            .map(|(k, _)| k)
            .chain(self.later_env.iter().copied())
            .map(|k| k.get_ref().as_str())
            .collect();
        let from_objects: BTreeSet<&str> = self
            .later_env
            .iter()
            .map(|k| k.get_ref().as_str())
            .collect();
        let unknown =
            |name: &str| !all.contains(name) && !self.has_env_from && !may_be_service_link(name);
        let mut earlier: BTreeSet<&str> = BTreeSet::new();
        for (var, value) in self.env {
            if let EnvValue::Literal(text) = value.get_ref() {
                let mut named: BTreeSet<&str> = BTreeSet::new();
                for name in references(text) {
                    if !variable_name(name) || earlier.contains(name) || !named.insert(name) {
                        continue;
                    }
                    let found = if from_objects.contains(name) {
                        Found::InObjectEnv
                    } else if all.contains(name) {
                        Found::Later
                    } else if unknown(name) {
                        Found::Nowhere
                    } else {
                        continue;
                    };
                    out.push(reference_warning(name, value.span(), found, var.get_ref()));
                }
            }
            earlier.insert(var.get_ref());
        }
        for s in self.command.into_iter().chain(self.args).flatten() {
            let mut named: BTreeSet<&str> = BTreeSet::new();
            for name in references(s.get_ref()) {
                if variable_name(name) && unknown(name) && named.insert(name) {
                    out.push(reference_warning(name, s.span(), Found::Nowhere, ""));
                }
            }
        }
    }
}

/// Where the variable a `$(VAR)` names is set.
#[derive(Clone, Copy)]
enum Found {
    /// Further down the same `env`.
    Later,
    /// In a configmap's or secret's `env` table, which come after the container's own.
    InObjectEnv,
    /// Nowhere kubetoml knows of.
    Nowhere,
}

fn reference_warning(
    name: &str,
    span: std::ops::Range<usize>,
    found: Found,
    var: &str,
) -> Diagnostic {
    let escape = format!("write `$$({name})` for the text `$({name})` itself");
    let later = |help: String| {
        Diagnostic::warning(
            format!("`$({name})` refers to a variable set after `{var}`: Kubernetes leaves it as written"),
            span.clone(),
            "set later",
        )
        .with_help(format!("Kubernetes expands only variables set before this one: {help}, or {escape}"))
    };
    match found {
        Found::Later => later(format!("move `{name}` above `{var}` in `env`")),
        Found::InObjectEnv => later(format!(
            "a configmap's or secret's `env` table comes after the container's own `env`; set `{name}` above `{var}` in `env` with `{{ configmap = \"...\", key = \"...\" }}`"
        )),
        Found::Nowhere => Diagnostic::warning(
            format!("`$({name})` names no environment variable of this container: Kubernetes leaves it as written"),
            span.clone(),
            "unknown variable",
        )
        .with_help(format!("set `{name}` in `env` first, or {escape}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int32_fields() {
        assert!(int32(0).is_ok());
        assert!(int32(2_147_483_647).is_ok());
        assert!(int32(2_147_483_648).is_err());
        assert!(int32(i64::MAX).is_err());
    }

    #[test]
    fn sleep_within_grace() {
        assert!(sleep_seconds(30, 30).is_ok());
        assert!(sleep_seconds(31, 30).is_err());
    }

    #[test]
    fn item_paths() {
        for ok in ["a", "a/b.conf", "conf.d/x", ".hidden", "a/..b", "a..b"] {
            assert!(key_to_path(ok).is_ok(), "{ok}");
        }
        let long_element = "a".repeat(256);
        let long_path = ["b"; 2049].join("/");
        for bad in [
            "",
            "/etc/x",
            "../x",
            "a/../b",
            "..",
            "..data",
            "..x/y",
            &long_element,
            &long_path,
        ] {
            assert!(key_to_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn real_world_images_pass() {
        let sha = "a".repeat(64);
        for ok in [
            "nginx",
            "nginx:1.27",
            "library/nginx:latest",
            "docker.io/library/nginx:1.27-alpine",
            "registry.example.com/db/postgres:16.4",
            "registry.example.com:5000/team/app:v1.2.3",
            "localhost/app",
            "localhost:5000/app:dev",
            "ghcr.io/org/sub/group/app:sha-1a2b3c",
            "quay.io/prometheus/node-exporter:v1.8.1",
            "prometheuscommunity/postgres-exporter:v0.15.0",
            "registry.k8s.io/pause:3.9",
            "gcr.io/distroless/static-debian12:nonroot",
            "my_org/my__app:1",
            "a-b---c/d.e:TAG_1.x",
            "MyRegistry.Example.com/app:1",
            "[::1]:5000/app:1",
            &format!("nginx@sha256:{sha}"),
            &format!("registry.example.com/app:1.0@sha256:{sha}"),
            &format!("app@sha512:{}", "0".repeat(128)),
        ] {
            assert_eq!(image_reference(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn images_the_kubelet_refuses_fail() {
        for bad in [
            "",
            " nginx",
            "nginx ",
            "ngi nx",
            "Nginx",
            "library/Nginx:1",
            "registry.example.com/Team/app:1",
            "nginx:${TAG}",
            "nginx:$(TAG)",
            "${REGISTRY}/app:1",
            "nginx:",
            "nginx:.1",
            "nginx:-1",
            &format!("nginx:{}", "1".repeat(129)),
            "nginx:1:2",
            "app//x",
            "app/",
            "/app",
            "-app",
            "app-",
            "a..b",
            "a.-b",
            "a___b",
            "registry.example.com:port/app",
            "registry.example.com:/app",
            "-bad.example.com/app",
            "nginx@sha256:abc",
            &format!("nginx@sha256:{}", "A".repeat(64)),
            &format!("nginx@md5:{}", "a".repeat(32)),
            &"a".repeat(64),
            &format!("{}/app", "a".repeat(250)),
            "nginx\u{1b}[31m",
        ] {
            assert!(image_reference(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn image_reasons_name_the_problem() {
        assert!(image_reference("Nginx:1")
            .unwrap_err()
            .contains("lowercase"));
        assert!(image_reference("app:${TAG}")
            .unwrap_err()
            .contains("`${TAG}`"));
        assert!(image_reference("app:")
            .unwrap_err()
            .contains("tag after `:` is empty"));
    }

    proptest::proptest! {
        #[test]
        fn any_string_is_judged_without_panicking(s in "\\PC{0,80}") {
            let _ = image_reference(&s);
            let _ = key_to_path(&s);
            let _ = references(&s);
        }

        #[test]
        fn references_built_by_the_grammar_pass(
            domain in proptest::option::of("[a-zA-Z0-9]([a-zA-Z0-9-]{0,5}[a-zA-Z0-9])?(\\.[a-z0-9]{1,5}){1,2}(:[0-9]{1,5})?"),
            path in proptest::collection::vec("[a-z0-9]{1,4}(([._]|__|-{1,3})[a-z0-9]{1,4}){0,2}", 1..4),
            tag in proptest::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}"),
            digest in proptest::option::of("[a-f0-9]{64}"),
        ) {
            let mut r = domain.map(|d| format!("{d}/")).unwrap_or_default();
            r.push_str(&path.join("/"));
            if let Some(tag) = tag {
                r = format!("{r}:{tag}");
            }
            if let Some(digest) = digest {
                r = format!("{r}@sha256:{digest}");
            }
            proptest::prop_assert_eq!(image_reference(&r), Ok(()), "{}", r);
        }
    }

    fn parse(source: &str) -> Spec {
        crate::read::spec::parse("t.toml", source).unwrap_or_else(|e| panic!("{}", e.draw(false)))
    }

    #[test]
    fn env_keeps_the_written_order() {
        let spec = parse(
            "name = \"a\"\nimage = \"x\"\n[env]\nZ = \"1\"\nB = { configmap = \"c\", key = \"k\" }\nA = \"$(Z)\"\n[env.M]\nsecret = \"s\"\nkey = \"k\"\n",
        );
        let names: Vec<&str> = spec.env.iter().map(|(k, _)| k.get_ref().as_str()).collect();
        assert_eq!(names, ["Z", "B", "A", "M"]);
        assert!(check(&spec).is_empty());
    }

    #[test]
    fn check_warns_about_later_and_unknown_variables_only() {
        let spec = parse(
            "name = \"a\"\nimage = \"x\"\nargs = [\"$(A)\", \"$(NOPE)\", \"$$(ESCAPED)\"]\nenv = { A = \"$(B)$(MY_SVC_SERVICE_HOST)\", B = \"1\" }\n",
        );
        let said: Vec<String> = check(&spec).into_iter().map(|d| d.message).collect();
        assert_eq!(
            said,
            [
                "`$(NOPE)` names no environment variable of this container: Kubernetes leaves it as written",
                "`$(B)` refers to a variable set after `A`: Kubernetes leaves it as written",
            ]
        );
    }

    #[test]
    fn env_from_may_set_what_kubetoml_cannot_see() {
        let spec = parse(
            "name = \"a\"\nimage = \"x\"\nenv = { A = \"$(FROM_FILE)\" }\n[configmaps.c]\nenv_files = [\"x.env\"]\nenv_from = true\n",
        );
        assert!(check(&spec).is_empty());
    }

    #[test]
    fn check_points_at_the_value() {
        let source = "name = \"a\"\nimage = \"Nginx\"\nreplicas = 2147483648\n";
        let diags = check(&parse(source));
        let spans: Vec<&str> = diags
            .iter()
            .map(|d| &source[d.span.clone().unwrap()])
            .collect();
        assert_eq!(spans, ["\"Nginx\"", "2147483648"]);
    }

    #[test]
    fn many_references_give_few_warnings() {
        let refs = "$(NOPE)".repeat(1000);
        let env: Vec<String> = (0..100)
            .map(|i| format!("V{i} = \"{refs}$(V{})\"", i + 1))
            .collect();
        let source = format!("name = \"a\"\nimage = \"x\"\n[env]\n{}\n", env.join("\n"));
        let diags = check(&parse(&source));
        assert_eq!(diags.len(), MAX_REFERENCE_WARNINGS + 1);
        // One warning per value and name, however often it repeats: 2 per value, 200 in all.
        assert!(diags[0].message.starts_with("`$(NOPE)` names no"));
        assert!(diags[1]
            .message
            .starts_with("`$(V1)` refers to a variable set after `V0`"));
        assert!(diags[2].message.starts_with("`$(NOPE)` names no"));
        assert_eq!(
            diags.last().unwrap().message,
            "180 more `$(VAR)` references that Kubernetes leaves as written are not shown"
        );
    }

    #[test]
    fn references_follow_kubernetes_expansion() {
        assert_eq!(references("$(A)/$(B_1)"), ["A", "B_1"]);
        assert_eq!(references("$$(A) $(B)"), ["B"]);
        assert_eq!(references("$$$(A)"), ["A"]);
        assert_eq!(references("$(A"), Vec::<&str>::new());
        assert_eq!(references("cost: $5, ${HOME}"), Vec::<&str>::new());
        assert_eq!(references("$()"), [""]);
    }

    #[test]
    fn shell_command_substitutions_are_not_variables() {
        let spec = parse(
            "name = \"a\"\nimage = \"x\"\ncommand = [\"sh\", \"-c\", \"P=$(cat \\\"$F\\\") $(< $G) $(NOPE)\"]\n",
        );
        let warnings: Vec<String> = check(&spec).into_iter().map(|d| d.message).collect();
        assert_eq!(
            warnings,
            ["`$(NOPE)` names no environment variable of this container: Kubernetes leaves it as written"]
        );
    }
}
