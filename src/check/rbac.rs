//! RBAC rules of `service_account.rules`: Kubernetes' built-in resources and
//! their API groups, release by release, and the verbs the authorizer knows.
//!
//! The API server accepts a rule naming any resource and any verb: a typo
//! grants nothing, silently. kubetoml refuses what Kubernetes does not serve
//! in the target release, unless `api_groups` names a group Kubernetes does
//! not own (a custom resource's). Sources: `kubectl api-resources` of each
//! release and the API reference (kubernetes.io/docs/reference/kubernetes-api);
//! `since` is the first release that serves the resource by default (GA, or
//! a beta API on by default), not the first that has it behind a gate.

use std::collections::BTreeSet;

use crate::check::kube_version::KubeVersion;
use crate::diag::{did_you_mean, Diagnostic};
use crate::read::spec::{RuleSpec, ServiceAccountSpec, Spanned, Spec};

/// A resource Kubernetes serves: its name as rules spell it, its group, and
/// the first minor release that serves it by default.
#[derive(Debug, Clone, Copy)]
pub struct Resource {
    /// `pods`, `pods/log`, `statefulsets/scale`.
    pub name: &'static str,
    /// The API group, `""` for the core group.
    pub group: &'static str,
    /// The first minor release serving it by default.
    pub since: u32,
}

const fn r(name: &'static str, group: &'static str) -> Resource {
    Resource {
        name,
        group,
        since: 0,
    }
}

const fn since(name: &'static str, group: &'static str, minor: u32) -> Resource {
    Resource {
        name,
        group,
        since: minor,
    }
}

/// Every built-in resource and subresource kubetoml infers a group for.
/// `events` is inferred as the core group's (`events.k8s.io` serves the same
/// objects: name it in `api_groups` to grant that one).
pub const RESOURCES: &[Resource] = &[
    r("bindings", ""),
    r("componentstatuses", ""),
    r("configmaps", ""),
    r("endpoints", ""),
    r("events", ""),
    r("limitranges", ""),
    r("namespaces", ""),
    r("namespaces/finalize", ""),
    r("namespaces/status", ""),
    r("nodes", ""),
    r("nodes/proxy", ""),
    r("nodes/status", ""),
    r("persistentvolumeclaims", ""),
    r("persistentvolumeclaims/status", ""),
    r("persistentvolumes", ""),
    r("persistentvolumes/status", ""),
    r("pods", ""),
    r("pods/attach", ""),
    r("pods/binding", ""),
    r("pods/ephemeralcontainers", ""),
    r("pods/eviction", ""),
    r("pods/exec", ""),
    r("pods/log", ""),
    r("pods/portforward", ""),
    r("pods/proxy", ""),
    // InPlacePodVerticalScaling: the subresource is served from 1.33 (beta).
    since("pods/resize", "", 33),
    r("pods/status", ""),
    r("podtemplates", ""),
    r("replicationcontrollers", ""),
    r("replicationcontrollers/scale", ""),
    r("replicationcontrollers/status", ""),
    r("resourcequotas", ""),
    r("resourcequotas/status", ""),
    r("secrets", ""),
    r("serviceaccounts", ""),
    r("serviceaccounts/token", ""),
    r("services", ""),
    r("services/proxy", ""),
    r("services/status", ""),
    r("mutatingwebhookconfigurations", "admissionregistration.k8s.io"),
    r("validatingwebhookconfigurations", "admissionregistration.k8s.io"),
    since("validatingadmissionpolicies", "admissionregistration.k8s.io", 30),
    since("validatingadmissionpolicies/status", "admissionregistration.k8s.io", 30),
    since("validatingadmissionpolicybindings", "admissionregistration.k8s.io", 30),
    r("customresourcedefinitions", "apiextensions.k8s.io"),
    r("customresourcedefinitions/status", "apiextensions.k8s.io"),
    r("controllerrevisions", "apps"),
    r("daemonsets", "apps"),
    r("daemonsets/status", "apps"),
    r("deployments", "apps"),
    r("deployments/scale", "apps"),
    r("deployments/status", "apps"),
    r("replicasets", "apps"),
    r("replicasets/scale", "apps"),
    r("replicasets/status", "apps"),
    r("statefulsets", "apps"),
    r("statefulsets/scale", "apps"),
    r("statefulsets/status", "apps"),
    r("selfsubjectreviews", "authentication.k8s.io"),
    r("tokenreviews", "authentication.k8s.io"),
    r("localsubjectaccessreviews", "authorization.k8s.io"),
    r("selfsubjectaccessreviews", "authorization.k8s.io"),
    r("selfsubjectrulesreviews", "authorization.k8s.io"),
    r("subjectaccessreviews", "authorization.k8s.io"),
    r("horizontalpodautoscalers", "autoscaling"),
    r("horizontalpodautoscalers/status", "autoscaling"),
    r("cronjobs", "batch"),
    r("cronjobs/status", "batch"),
    r("jobs", "batch"),
    r("jobs/status", "batch"),
    r("certificatesigningrequests", "certificates.k8s.io"),
    r("certificatesigningrequests/approval", "certificates.k8s.io"),
    r("certificatesigningrequests/status", "certificates.k8s.io"),
    r("leases", "coordination.k8s.io"),
    r("endpointslices", "discovery.k8s.io"),
    r("flowschemas", "flowcontrol.apiserver.k8s.io"),
    r("flowschemas/status", "flowcontrol.apiserver.k8s.io"),
    r("prioritylevelconfigurations", "flowcontrol.apiserver.k8s.io"),
    r("prioritylevelconfigurations/status", "flowcontrol.apiserver.k8s.io"),
    r("ingressclasses", "networking.k8s.io"),
    r("ingresses", "networking.k8s.io"),
    r("ingresses/status", "networking.k8s.io"),
    // MultiCIDRServiceAllocator: networking.k8s.io/v1 from 1.33.
    since("ipaddresses", "networking.k8s.io", 33),
    r("networkpolicies", "networking.k8s.io"),
    since("servicecidrs", "networking.k8s.io", 33),
    since("servicecidrs/status", "networking.k8s.io", 33),
    r("runtimeclasses", "node.k8s.io"),
    r("poddisruptionbudgets", "policy"),
    r("poddisruptionbudgets/status", "policy"),
    r("clusterrolebindings", "rbac.authorization.k8s.io"),
    r("clusterroles", "rbac.authorization.k8s.io"),
    r("rolebindings", "rbac.authorization.k8s.io"),
    r("roles", "rbac.authorization.k8s.io"),
    // DynamicResourceAllocation: resource.k8s.io/v1 from 1.34.
    since("deviceclasses", "resource.k8s.io", 34),
    since("resourceclaims", "resource.k8s.io", 34),
    since("resourceclaims/status", "resource.k8s.io", 34),
    since("resourceclaimtemplates", "resource.k8s.io", 34),
    since("resourceslices", "resource.k8s.io", 34),
    r("priorityclasses", "scheduling.k8s.io"),
    r("csidrivers", "storage.k8s.io"),
    r("csinodes", "storage.k8s.io"),
    r("csistoragecapacities", "storage.k8s.io"),
    r("storageclasses", "storage.k8s.io"),
    r("volumeattachments", "storage.k8s.io"),
    r("volumeattachments/status", "storage.k8s.io"),
    // VolumeAttributesClass: storage.k8s.io/v1 from 1.34.
    since("volumeattributesclasses", "storage.k8s.io", 34),
];

/// The verbs Kubernetes' authorizer checks: the API verbs, and the special
/// ones (`use`, `bind`, `escalate`, `impersonate`, `approve`, `sign`).
pub const VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "use",
    "bind",
    "escalate",
    "impersonate",
    "approve",
    "sign",
    "*",
];

/// The verbs that read an object's content.
pub const READ_VERBS: &[&str] = &["get", "list", "watch", "*"];

/// The built-in resource called `name` (`pods/*` counts as `pods`), whatever the release.
pub fn built_in(name: &str) -> Option<&'static Resource> {
    let name = name.strip_suffix("/*").unwrap_or(name);
    RESOURCES.iter().find(|r| r.name == name)
}

/// Whether Kubernetes itself serves `group` (then kubetoml knows its resources).
fn built_in_group(group: &str) -> bool {
    RESOURCES.iter().any(|r| r.group == group)
}

/// The rules of a description, each with its service account table's span.
fn rules(spec: &Spec) -> &[Spanned<RuleSpec>] {
    match spec.service_account.as_ref().map(|s| s.get_ref()) {
        Some(ServiceAccountSpec::Table(t)) => &t.rules,
        _ => &[],
    }
}

/// Errors for verbs and resources Kubernetes `target` does not know, and for
/// resources whose group cannot be inferred.
pub fn check(spec: &Spec, target: KubeVersion) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for rule in rules(spec) {
        let rule = rule.get_ref();
        for verb in &rule.verbs {
            if !VERBS.contains(&verb.get_ref().as_str()) {
                out.push(unknown(verb, "verb", VERBS, "the verbs are"));
            }
        }
        let groups: Option<BTreeSet<&str>> = rule
            .api_groups
            .as_ref()
            .map(|g| g.iter().map(|g| g.get_ref().as_str()).collect());
        for res in &rule.resources {
            out.extend(resource(res, groups.as_ref(), target));
        }
    }
    out
}

/// What is wrong with one resource of a rule, if anything.
fn resource(
    res: &Spanned<String>,
    groups: Option<&BTreeSet<&str>>,
    target: KubeVersion,
) -> Option<Diagnostic> {
    let name = res.get_ref().as_str();
    // Shown escaped: a resource is text the user wrote, control characters included.
    let shown = name.escape_debug();
    if name.is_empty() {
        return Some(Diagnostic::error("a resource is empty", res.span(), "empty"));
    }
    if name == "*" || name.starts_with("*/") {
        return groups.is_none().then(|| {
            Diagnostic::error(
                format!("`{shown}` needs `api_groups`"),
                res.span(),
                "which groups?",
            )
            .with_help("name the groups it covers, e.g. `api_groups = [\"\", \"apps\"]`")
        });
    }
    match (built_in(name), groups) {
        (Some(r), _) if r.since > target.minor => Some(
            Diagnostic::error(
                format!(
                    "Kubernetes {target} does not serve `{shown}`: it is served from 1.{}",
                    r.since
                ),
                res.span(),
                "not in this release",
            )
            .with_help("target a newer release (`kube_version`), or leave it out"),
        ),
        (Some(_), _) => None,
        // A custom resource: its own group says where it is.
        (None, Some(g)) if g.iter().all(|g| !built_in_group(g) && *g != "*") => None,
        (None, _) => {
            let names: Vec<&str> = RESOURCES
                .iter()
                .filter(|r| r.since <= target.minor)
                .map(|r| r.name)
                .collect();
            let help = match did_you_mean(name, names.iter().copied()) {
                Some(n) => format!("did you mean `{n}`?"),
                None => "a custom resource needs its `api_groups`, e.g. `api_groups = [\"example.com\"]`".to_owned(),
            };
            Some(
                Diagnostic::error(
                    format!("`{shown}` is not a resource Kubernetes {target} serves"),
                    res.span(),
                    "unknown resource",
                )
                .with_help(help),
            )
        }
    }
}

fn unknown(word: &Spanned<String>, what: &str, known: &[&str], listing: &str) -> Diagnostic {
    let help = match did_you_mean(word.get_ref(), known.iter().copied()) {
        Some(n) => format!("did you mean `{n}`?"),
        None => format!("{listing} {}", crate::diag::quote_list(known)),
    };
    Diagnostic::error(
        format!("`{}` is not an RBAC {what}", word.get_ref().escape_debug()),
        word.span(),
        format!("unknown {what}"),
    )
    .with_help(help)
}

/// The lints on rules: `*` anywhere (`rbac-wildcard`), and reading Secrets
/// (`rbac-reads-secrets`), each with its lint's name.
pub fn lints(spec: &Spec) -> Vec<(&'static str, Diagnostic)> {
    let mut out = Vec::new();
    for rule in rules(spec) {
        let rule = rule.get_ref();
        let all = (rule.verbs.iter())
            .chain(&rule.resources)
            .chain(rule.api_groups.iter().flatten());
        if let Some(star) = all.clone().find(|w| w.get_ref() == "*" || w.get_ref().ends_with("/*")) {
            out.push((
                "rbac-wildcard",
                Diagnostic::warning(
                    "`*` grants everything there is, including what later releases add",
                    star.span(),
                    "wildcard",
                )
                .with_help("list the verbs, resources and groups the app needs; `allow = [\"rbac-wildcard\"]` silences this"),
            ));
        }
        let reads = rule.verbs.iter().any(|v| READ_VERBS.contains(&v.get_ref().as_str()));
        let secrets = rule.resources.iter().find(|r| r.get_ref() == "secrets");
        if let (true, Some(s)) = (reads, secrets) {
            let what = if rule.resource_names.is_empty() {
                "every Secret of the namespace, passwords and tokens included".to_owned()
            } else {
                let names: Vec<String> = (rule.resource_names.iter())
                    .map(|n| format!("`{}`", n.get_ref().escape_debug()))
                    .collect();
                format!("the Secrets {} through the API", names.join(", "))
            };
            out.push((
                "rbac-reads-secrets",
                Diagnostic::warning(
                    format!("this rule lets the pods read {what}"),
                    s.span(),
                    "reads secrets",
                )
                .with_help("mount or `env_from` the Secrets the app needs instead; `allow = [\"rbac-reads-secrets\"]` silences this"),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resource_is_listed_once() {
        let mut seen = BTreeSet::new();
        for r in RESOURCES {
            assert!(seen.insert(r.name), "{} twice", r.name);
            assert!(r.since == 0 || (28..=crate::check::kube_version::NEWEST).contains(&r.since));
        }
        assert_eq!(built_in("pods/log").unwrap().group, "");
        assert_eq!(built_in("statefulsets/*").unwrap().group, "apps");
        assert!(built_in("pod").is_none());
    }
}
