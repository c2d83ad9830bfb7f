//! Lints: warnings a reviewer would otherwise write by hand, each with a span, a one-line fix and a name to silence it by.
//!
//! `allow = ["latest-tag", ...]` at the top level of a description silences
//! the named lints for that description; [`LINTS`] lists every name.

use std::ops::Range;

use crate::diag::{did_you_mean, Diagnostic};
use crate::read::spec::{ClientPortsSpec, ContainerSpec, PortTarget, ServicePortSpec, Spanned, Spec, SpreadSpec};

/// A lint: its name (for `allow`) and what it catches.
pub struct Lint {
    /// The name `allow` takes.
    pub name: &'static str,
    /// What it warns about (documentation: the book's table, `docs/src/lints.md`).
    #[allow(dead_code)]
    pub summary: &'static str,
}

/// Every warning a description can silence with `allow`.
pub const LINTS: [Lint; 10] = [
    Lint {
        name: "latest-tag",
        summary: "an image without a tag, or tagged `latest`",
    },
    Lint {
        name: "no-readiness-probe",
        summary: "no readiness probe while pods start one by one (`OrderedReady`)",
    },
    Lint {
        name: "no-memory-limit",
        summary: "a container with neither a memory request nor a memory limit",
    },
    Lint {
        name: "runs-as-root",
        summary: "`run_as_user = 0` or `run_as_non_root = false`",
    },
    Lint {
        name: "required-zone-spread",
        summary: "a required spread across zones",
    },
    Lint {
        name: "pod-security",
        summary: "pods that would fail a Pod Security Standards level (without `pod_security`)",
    },
    Lint {
        name: "feature-gate",
        summary: "a field behind a feature gate that is off by default in the target release",
    },
    Lint {
        name: "rbac-wildcard",
        summary: "`*` in a service account rule's verbs, resources or API groups",
    },
    Lint {
        name: "rbac-reads-secrets",
        summary: "a service account rule that reads Secrets (`get`, `list` or `watch`)",
    },
    Lint {
        name: "undeclared-port",
        summary: "a Service port's `target_port` naming a port no container declares",
    },
];

/// Whether `target`, a Service port's `target_port` naming none of the
/// `declared` container ports, is meant (a port for a feature turned off,
/// cassandra's `tls`: the `undeclared-port` warning) rather than a typo of
/// one (an error of lowering, with the close name): no declared name is close.
pub fn undeclared_on_purpose(target: &str, declared: &[&str]) -> bool {
    !declared.contains(&target) && did_you_mean(target, declared.iter().copied()).is_none()
}

/// A container of the description as the lints see it.
struct Seen<'a> {
    name: &'a str,
    at: Range<usize>,
    image: Option<&'a Spanned<String>>,
    resources: Option<&'a crate::read::spec::ResourcesSpec>,
    sc: Option<&'a Spanned<crate::read::spec::SecurityContextSpec>>,
}

fn containers(spec: &Spec) -> Vec<Seen<'_>> {
    let main = Seen {
        name: spec.name.get_ref(),
        at: spec.image.as_ref().map_or(spec.name.span(), |i| i.span()),
        image: spec.image.as_ref(),
        resources: spec.resources.as_ref(),
        sc: spec.security_context.as_ref(),
    };
    fn other(c: &Spanned<ContainerSpec>) -> Seen<'_> {
        let c = c.get_ref();
        Seen {
            name: c.name.get_ref(),
            at: c.name.span(),
            image: c.image.as_ref(),
            resources: c.resources.as_ref(),
            sc: c.security_context.as_ref(),
        }
    }
    let mut all: Vec<Seen> = spec.init_containers.iter().map(other).collect();
    all.push(main);
    all.extend(spec.sidecars.iter().map(other));
    // A Job without an image of its own runs the app's, linted above.
    all.extend(spec.jobs.iter().map(|(k, j)| Seen {
        name: k.get_ref(),
        at: k.span(),
        image: j.get_ref().image.as_ref(),
        resources: j.get_ref().resources.as_ref(),
        sc: j.get_ref().security_context.as_ref(),
    }));
    all.extend(spec.cronjobs.iter().map(|(k, c)| Seen {
        name: k.get_ref(),
        at: k.span(),
        image: c.get_ref().image.as_ref(),
        resources: c.get_ref().resources.as_ref(),
        sc: c.get_ref().security_context.as_ref(),
    }));
    all
}

/// Every lint's warnings on `spec`, each with its lint's name.
pub fn check(spec: &Spec) -> Vec<(&'static str, Diagnostic)> {
    let mut out = Vec::new();
    let seen = containers(spec);
    for c in &seen {
        latest_tag(c, &mut out);
        memory(c, &mut out);
        root(c, &mut out);
    }
    pod_root(spec, &mut out);
    readiness(spec, &mut out);
    zone_spread(spec, &mut out);
    undeclared_ports(spec, &mut out);
    out.extend(crate::check::rbac::lints(spec));
    out
}

/// The image's tag, if it has one: what follows the last `:` after the last `/`.
fn tag(image: &str) -> Option<&str> {
    let name = image.split('@').next().unwrap_or(image);
    let last = name.rsplit('/').next().unwrap_or(name);
    last.rsplit_once(':').map(|(_, t)| t)
}

fn latest_tag(c: &Seen, out: &mut Vec<(&'static str, Diagnostic)>) {
    let Some(image) = c.image else { return };
    let text = image.get_ref();
    if text.contains('@') {
        return; // pinned by digest
    }
    let problem = match tag(text) {
        None => "has no tag, so it runs whatever `latest` is when the pod starts",
        Some("latest") => "is tagged `latest`, which changes under you",
        Some(_) => return,
    };
    out.push((
        "latest-tag",
        Diagnostic::warning(
            format!("the image of container `{}` {problem}", c.name),
            image.span(),
            "no pinned version",
        )
        .with_help("pin a version, `image = \"nginx:1.27\"` (or a digest); `allow = [\"latest-tag\"]` silences this"),
    ));
}

fn memory(c: &Seen, out: &mut Vec<(&'static str, Diagnostic)>) {
    let has =
        |m: &crate::read::spec::Map<crate::read::spec::Quantity>| m.keys().any(|k| k.get_ref() == "memory");
    if c.resources
        .is_some_and(|r| has(&r.requests) || has(&r.limits))
    {
        return;
    }
    out.push((
        "no-memory-limit",
        Diagnostic::warning(
            format!("container `{}` has neither a memory request nor a memory limit", c.name),
            c.at.clone(),
            "no memory request or limit",
        )
        .with_help("add `resources = { requests = { memory = \"256Mi\" }, limits = { memory = \"256Mi\" } }`; `allow = [\"no-memory-limit\"]` silences this"),
    ));
}

fn root(c: &Seen, out: &mut Vec<(&'static str, Diagnostic)>) {
    let Some(sc) = c.sc else { return };
    let s = sc.get_ref();
    let span = match (&s.run_as_user, s.run_as_non_root) {
        (Some(u), _) if *u.get_ref() == 0 => u.span(),
        (_, Some(false)) => sc.span(),
        _ => return,
    };
    out.push((
        "runs-as-root",
        Diagnostic::warning(
            format!("container `{}` runs as root", c.name),
            span,
            "root",
        )
        .with_help("use a non-zero `run_as_user` and `run_as_non_root = true`; `allow = [\"runs-as-root\"]` silences this"),
    ));
}

/// `pod_security_context` running every container without its own user as root.
fn pod_root(spec: &Spec, out: &mut Vec<(&'static str, Diagnostic)>) {
    let Some(p) = &spec.pod_security_context else {
        return;
    };
    let s = p.get_ref();
    let span = match (&s.run_as_user, &s.run_as_non_root) {
        (Some(u), _) if *u.get_ref() == 0 => u.span(),
        (_, Some(n)) if !*n.get_ref() => n.span(),
        _ => return,
    };
    out.push((
        "runs-as-root",
        Diagnostic::warning(
            "the pod runs its containers as root unless they say otherwise",
            span,
            "root",
        )
        .with_help("use a non-zero `run_as_user` and `run_as_non_root = true`; `allow = [\"runs-as-root\"]` silences this"),
    ));
}

fn readiness(spec: &Spec, out: &mut Vec<(&'static str, Diagnostic)>) {
    let policy = spec
        .statefulset
        .as_ref()
        .and_then(|s| s.get_ref().pod_management_policy.as_ref());
    if policy.is_some_and(|p| p.get_ref() != "OrderedReady") {
        return;
    }
    if spec.probes.as_ref().is_some_and(|p| p.readiness.is_some()) {
        return;
    }
    let span = policy.map_or(spec.name.span(), |p| p.span());
    out.push((
        "no-readiness-probe",
        Diagnostic::warning(
            format!("pods of `{}` start one by one (`OrderedReady`) but have no readiness probe", spec.name.get_ref()),
            span,
            "each pod counts as ready as soon as it runs",
        )
        .with_help("add `[probes.readiness]` so a pod that never gets ready stops the rollout; `allow = [\"no-readiness-probe\"]` silences this"),
    ));
}

fn zone_spread(spec: &Spec, out: &mut Vec<(&'static str, Diagnostic)>) {
    let Some(spread) = &spec.spread else { return };
    let required_zone = match spread.get_ref() {
        SpreadSpec::Across(a) => a == "zone",
        SpreadSpec::Table(t) => t.across == "zone" && t.required != Some(false),
    };
    if required_zone {
        out.push((
            "required-zone-spread",
            Diagnostic::warning(
                "a required spread across zones leaves pods Pending on clusters without zone labels",
                spread.span(),
                "required",
            )
            .with_help("`spread = { across = \"zone\", required = false }` makes it a preference; `allow = [\"required-zone-spread\"]` silences this"),
        ));
    }
}

/// `[service] ports` and `[client_service] ports` entries forwarding to a
/// port name that no container declares (the main container's `ports`, a
/// sidecar's), and close to none.
fn undeclared_ports(spec: &Spec, out: &mut Vec<(&'static str, Diagnostic)>) {
    let headless = spec.service.as_ref().and_then(|s| s.get_ref().ports.as_ref());
    let client = match spec.client_service.as_ref().and_then(|s| s.get_ref().ports.as_ref()) {
        Some(ClientPortsSpec::Table(map)) => Some(map),
        _ => None,
    };
    let sidecars = spec.sidecars.iter().flat_map(|c| c.get_ref().ports.keys());
    let declared: Vec<&str> = (spec.ports.keys().chain(sidecars))
        .map(|k| k.get_ref().as_str())
        .collect();
    for (name, entry) in headless.into_iter().chain(client).flatten() {
        let ServicePortSpec::Table(t) = entry.get_ref() else {
            continue;
        };
        let Some(target) = &t.target_port else { continue };
        let PortTarget::Name(target_name) = target.get_ref() else {
            continue;
        };
        if !undeclared_on_purpose(target_name, &declared) {
            continue;
        }
        out.push((
            "undeclared-port",
            Diagnostic::warning(
                format!(
                    "service port `{}` forwards to `{}`, a port no container declares",
                    name.get_ref(),
                    target_name.escape_debug()
                ),
                target.span(),
                "no container port of this name",
            )
            .with_help("the Service sends nothing there until a container declares it (a port of a feature turned off?); declare it in `ports`, or `allow = [\"undeclared-port\"]` silences this"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::tag;

    #[test]
    fn tags_are_found_past_registry_ports() {
        assert_eq!(tag("nginx"), None);
        assert_eq!(tag("nginx:1.27"), Some("1.27"));
        assert_eq!(tag("registry.example.com:5000/team/app"), None);
        assert_eq!(
            tag("registry.example.com:5000/team/app:latest"),
            Some("latest")
        );
    }
}
