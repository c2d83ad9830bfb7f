//! Checks on a description beyond its format: the Pod Security Standards (`pod_security`), the lints, and the target release.
//!
//! [`check`] reads the [`Spec`] (for spans) and returns diagnostics plus what
//! it decided; [`harden`] then fills in, on the lowered [`Model`], what the
//! chosen level requires and the user did not write. Lowering itself knows
//! nothing of either.

pub mod lints;
pub mod pss;

use std::collections::BTreeSet;
use std::ops::Range;

use crate::diag::{did_you_mean, Diagnostic, Severity};
use crate::check::kube_version::{self, Availability, FieldFact, KubeVersion};
use crate::lower::Lowered;
use crate::model::{ContainerSecurityContext, Model};
use crate::read::spec::{ContainerSpec, SecurityContextSpec, HandlerSpec, LifecycleSpec, ProbesSpec, Spanned, Spec};
use pss::{Finding, Level, Pod};

/// The user ID `restricted` runs pods as when the description names none:
/// non-zero (the `runAsNonRoot` the level requires can then be verified by
/// the kubelet whatever the image's `USER` says) and above 10000, clear of
/// host accounts (checkov's CKV_K8S_40). 65532 is distroless' `nonroot`.
pub const RESTRICTED_DEFAULT_USER: i64 = 65532;

/// What [`check`] found and decided.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Errors and warnings, each pointing at the description.
    pub diagnostics: Vec<Diagnostic>,
    /// The level `pod_security` asks for, if any.
    pub level: Option<Level>,
}

/// Checks `spec` against its `pod_security` level, its lints and its target
/// release; `flag_version` (`--kube-version`) wins over `kube_version`.
pub fn check(spec: &Spec, flag_version: Option<&str>) -> Checked {
    let mut diags = Vec::new();
    let allow = allowed(spec, &mut diags);
    let level = level(spec, &mut diags);
    let (target, why) = target(spec, flag_version, &mut diags);
    pod_security(&pod(spec), level, target, &allow, &mut diags);
    for job in job_pods(spec) {
        pod_security(&job, level, target, &allow, &mut diags);
    }
    versions(spec, target, &why, &allow, &mut diags);
    diags.extend(crate::check::rbac::check(spec, target));
    for (name, d) in lints::check(spec) {
        if !allow.contains(name) {
            diags.push(d);
        }
    }
    Checked {
        diagnostics: diags,
        level,
    }
}

fn allowed(spec: &Spec, diags: &mut Vec<Diagnostic>) -> BTreeSet<&'static str> {
    let names: Vec<&str> = lints::LINTS.iter().map(|l| l.name).collect();
    let mut allow = BTreeSet::new();
    for a in &spec.allow {
        match names.iter().find(|n| **n == a.get_ref()) {
            Some(n) => {
                allow.insert(*n);
            }
            None => diags.push(
                Diagnostic::error(
                    format!("`{}` is not a lint kubetoml knows", a.get_ref()),
                    a.span(),
                    "unknown lint",
                )
                .with_help(
                    match did_you_mean(a.get_ref(), names.iter().copied()) {
                        Some(n) => format!("did you mean `{n}`?"),
                        None => format!("the lints are {}", crate::diag::quote_list(&names)),
                    },
                ),
            ),
        }
    }
    allow
}

fn level(spec: &Spec, diags: &mut Vec<Diagnostic>) -> Option<Level> {
    let p = spec.pod_security.as_ref()?;
    let level = Level::parse(p.get_ref());
    if level.is_none() {
        diags.push(
            Diagnostic::error(
                format!("`{}` is not a Pod Security Standards level kubetoml enforces", p.get_ref()),
                p.span(),
                "unknown level",
            )
            .with_help("use `\"restricted\"` or `\"baseline\"` (`privileged` is what leaving it out gives)"),
        );
    }
    level
}

/// The target release, and how it was chosen (for messages).
fn target(spec: &Spec, flag: Option<&str>, diags: &mut Vec<Diagnostic>) -> (KubeVersion, String) {
    if let Some(f) = flag {
        return match KubeVersion::parse(f) {
            Ok(v) => (v, "`--kube-version`".to_owned()),
            Err(e) => {
                diags.push(Diagnostic::bare(format!("`--kube-version`: {e}")));
                (kube_version::DEFAULT, String::new())
            }
        };
    }
    match &spec.kube_version {
        Some(k) => match KubeVersion::parse(k.get_ref()) {
            Ok(v) => (v, "`kube_version`".to_owned()),
            Err(e) => {
                diags.push(Diagnostic::error(e, k.span(), "unknown release"));
                (kube_version::DEFAULT, String::new())
            }
        },
        None => (
            kube_version::DEFAULT,
            "kubetoml's default; set `kube_version` or `--kube-version`".to_owned(),
        ),
    }
}

/// The pod as the Pod Security Standards rules see it.
fn pod(spec: &Spec) -> Pod<'_> {
    fn other(c: &Spanned<ContainerSpec>) -> pss::Container<'_> {
        pss::Container {
            name: c.get_ref().name.get_ref(),
            at: c.get_ref().name.span(),
            sc: c.get_ref().security_context.as_ref(),
            main: false,
            probes: c.get_ref().probes.as_ref(),
            lifecycle: c.get_ref().lifecycle.as_ref(),
        }
    }
    let mut containers: Vec<pss::Container> = spec.init_containers.iter().map(other).collect();
    containers.push(pss::Container {
        name: spec.name.get_ref(),
        at: spec.image.as_ref().map_or(spec.name.span(), |i| i.span()),
        sc: spec.security_context.as_ref(),
        main: spec.pod_security_context.is_none(),
        probes: spec.probes.as_ref(),
        lifecycle: spec.lifecycle.as_ref(),
    });
    containers.extend(spec.sidecars.iter().map(other));
    Pod {
        sc: pod_level(spec),
        containers,
    }
}

/// The pod's own settings: `pod_security_context` when written, else the
/// top-level `security_context`'s pod-wide ones.
fn pod_level(spec: &Spec) -> pss::PodLevel<'_> {
    match &spec.pod_security_context {
        Some(p) => pss::PodLevel::exact(p),
        None => pss::PodLevel::shared(spec.security_context.as_ref()),
    }
}

/// The pods of `[jobs.X]` and `[cronjobs.X]`: the app's pod-wide settings,
/// and the one container with its own settings.
fn job_pods(spec: &Spec) -> Vec<Pod<'_>> {
    fn job<'a>(
        spec: &'a Spec,
        key: &'a Spanned<String>,
        sc: Option<&'a Spanned<SecurityContextSpec>>,
    ) -> Pod<'a> {
        Pod {
        sc: pod_level(spec),
        containers: vec![pss::Container {
            name: key.get_ref(),
            at: key.span(),
            sc,
            main: false,
            probes: None,
            lifecycle: None,
        }],
        }
    }
    (spec.jobs.iter())
        .map(|(k, j)| job(spec, k, j.get_ref().security_context.as_ref()))
        .chain((spec.cronjobs.iter()).map(|(k, c)| job(spec, k, c.get_ref().security_context.as_ref())))
        .collect()
}

/// Under a level: everything it forbids is an error (what it requires and
/// is missing, [`harden`] fills in). Without one: one warning naming the
/// lowest level the pods fail and the first thing that fails it.
fn pod_security(
    pod: &Pod,
    level: Option<Level>,
    target: KubeVersion,
    allow: &BTreeSet<&str>,
    diags: &mut Vec<Diagnostic>,
) {
    // The standards for the target release: a rule applies from its `since` on.
    let rules = || pss::RULES.iter().filter(move |r| r.since <= target.minor);
    let Some(level) = level else {
        if !allow.contains("pod-security") {
            diags.extend(would_fail(pod, rules()));
        }
        return;
    };
    for rule in rules().filter(|r| r.level <= level) {
        for finding in (rule.check)(pod) {
            if let Finding::Forbidden { span, what } = finding {
                diags.push(
                    Diagnostic::error(
                        format!(
                            "{what}, which `pod_security = \"{}\"` forbids (Pod Security Standards, {} level: {})",
                            level.name(),
                            rule.level.name(),
                            rule.control
                        ),
                        span,
                        "forbidden",
                    )
                    .with_help(format!("{}, or choose a lower `pod_security` level", rule.fix)),
                );
            }
        }
    }
}

fn would_fail<'r>(pod: &Pod, mut rules: impl Iterator<Item = &'r pss::Rule>) -> Option<Diagnostic> {
    let (rule, finding) = rules.find_map(|r| (r.check)(pod).into_iter().next().map(|f| (r, f)))?;
    let (span, what, help) = match finding {
        Finding::Forbidden { span, what } => (span, what, rule.fix.to_owned()),
        Finding::Missing { span, what } => (
            span,
            what,
            format!(
                "`pod_security = \"{}\"` fills in what the level requires",
                rule.level.name()
            ),
        ),
    };
    Some(
        Diagnostic::warning(
            format!(
                "the pods would fail the Pod Security Standards' `{}` level: {what} ({})",
                rule.level.name(),
                rule.control
            ),
            span,
            "first thing that fails it",
        )
        .with_help(format!(
            "{help}; `allow = [\"pod-security\"]` silences this"
        )),
    )
}

/// Fields whose availability depends on the release, with where the description uses them.
fn versioned_fields(spec: &Spec) -> Vec<(&'static FieldFact, Range<usize>)> {
    let mut used = Vec::new();
    let lifecycles = std::iter::once(spec.lifecycle.as_ref())
        .chain(spec.sidecars.iter().map(|c| c.get_ref().lifecycle.as_ref()));
    for l in lifecycles.flatten() {
        sleeps(l, &mut used);
    }
    for c in &spec.sidecars {
        if let Some(n) = c.get_ref().native.as_ref().filter(|n| *n.get_ref()) {
            used.push((&kube_version::NATIVE_SIDECAR, n.span()));
        }
    }
    let probes = std::iter::once(spec.probes.as_ref())
        .chain(spec.sidecars.iter().map(|c| c.get_ref().probes.as_ref()));
    for p in probes.flatten() {
        grpcs(p, &mut used);
    }
    if let Some(s) = &spec.statefulset {
        let s = s.get_ref();
        let max = s
            .update_strategy
            .as_ref()
            .and_then(|u| u.get_ref().max_unavailable.as_ref());
        if let Some(m) = max {
            used.push((&kube_version::MAX_UNAVAILABLE, m.span()));
        }
        if let Some(o) = &s.ordinals_start {
            used.push((&kube_version::ORDINALS_START, o.span()));
        }
        if let Some(r) = &s.pvc_retention_policy {
            used.push((&kube_version::PVC_RETENTION, r.span()));
        }
    }
    let headless = (spec.service.as_ref()).and_then(|s| s.get_ref().traffic_distribution.as_ref());
    let client = (spec.client_service.as_ref()).and_then(|s| s.get_ref().traffic_distribution.as_ref());
    let facts = [
        (headless, &kube_version::TRAFFIC_DISTRIBUTION, &kube_version::PREFER_SAME),
        (client, &kube_version::CLIENT_TRAFFIC_DISTRIBUTION, &kube_version::CLIENT_PREFER_SAME),
    ];
    for (written, field, prefer_same) in facts {
        let Some(t) = written else { continue };
        // The newer values need the newer release, which has the field.
        let fact = if matches!(t.get_ref().as_str(), "PreferSameZone" | "PreferSameNode") {
            prefer_same
        } else {
            field
        };
        used.push((fact, t.span()));
    }
    for v in spec.volumes.values() {
        for m in v.get_ref().access_modes.iter().flatten() {
            if m.get_ref() == "ReadWriteOncePod" {
                used.push((&kube_version::READ_WRITE_ONCE_POD, m.span()));
            }
        }
    }
    used
}

fn sleeps(l: &LifecycleSpec, used: &mut Vec<(&'static FieldFact, Range<usize>)>) {
    for h in [&l.post_start, &l.pre_stop].into_iter().flatten() {
        if let HandlerSpec::Table(t) = h.get_ref() {
            if let Some(s) = &t.sleep {
                used.push((&kube_version::SLEEP_HOOK, s.span()));
            }
        }
    }
}

fn grpcs(p: &ProbesSpec, used: &mut Vec<(&'static FieldFact, Range<usize>)>) {
    for probe in [&p.readiness, &p.liveness, &p.startup]
        .into_iter()
        .flatten()
    {
        if let Some(g) = &probe.get_ref().grpc {
            used.push((&kube_version::GRPC_PROBE, g.span()));
        }
    }
}

fn versions(
    spec: &Spec,
    target: KubeVersion,
    why: &str,
    allow: &BTreeSet<&str>,
    diags: &mut Vec<Diagnostic>,
) {
    for (fact, span) in versioned_fields(spec) {
        match kube_version::availability(fact, target) {
            Availability::Yes => {}
            Availability::Missing => diags.push(
                Diagnostic::error(
                    format!(
                        "`{}` needs Kubernetes 1.{} or later, and the target is {target} ({why})",
                        fact.field, fact.added
                    ),
                    span,
                    format!("added in Kubernetes 1.{}", fact.added),
                )
                .with_help("leave it out, or target a newer release if the cluster runs one"),
            ),
            Availability::GateOff(gate, stage) if !allow.contains("feature-gate") => diags.push(
                Diagnostic::warning(
                    format!(
                        "`{}` needs the `{gate}` feature gate, {stage} and off by default in Kubernetes {target} ({why}); it is on by default in {}",
                        fact.field,
                        fact.gate.map(|g| g.on_by_default()).unwrap_or_default()
                    ),
                    span,
                    "the API server drops it unless the gate is on",
                )
                .with_help("check the cluster's `--feature-gates`; `allow = [\"feature-gate\"]` silences this"),
            ),
            Availability::GateOff(..) => {}
        }
    }
}

/// Adds `diags` to what lowering found. A description that compiles gets
/// every warning; one that does not gets every error, and only the warnings
/// lowering found (a lint is noise next to an error), in the order of the
/// description, as lowering orders them.
pub fn merge(
    lowered: Result<Lowered, Vec<Diagnostic>>,
    diags: Vec<Diagnostic>,
) -> Result<Lowered, Vec<Diagnostic>> {
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .cloned();
    let mut all = match lowered {
        Ok(mut l) if errors.clone().next().is_none() => {
            l.warnings.extend(diags);
            return Ok(l);
        }
        Ok(l) => l.warnings,
        Err(all) => all,
    };
    all.extend(errors);
    all.sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
    Err(all)
}

/// Fills in what `level` requires and the description left out (the
/// description was checked by [`check`]: nothing here overrides a value
/// the user wrote). `restricted`: `runAsNonRoot`, a non-root `runAsUser`
/// and `RuntimeDefault` seccomp on the pod (unless `pod_security_context`
/// says the pod's settings exactly); `allowPrivilegeEscalation:
/// false`, `capabilities: drop: [ALL]`, `runAsNonRoot` and seccomp on every
/// container; and no service account token unless the description names a
/// service account. `baseline` requires nothing that can be filled in.
pub fn harden(model: &mut Model, level: Level) {
    if level != Level::Restricted {
        return;
    }
    let others = model.other_roles.iter_mut().map(|r| &mut r.stateful_set.pod);
    let pods = std::iter::once(&mut model.stateful_set.pod)
        .chain(others)
        .chain(model.jobs.iter_mut().map(|j| &mut j.pod))
        .chain(model.cron_jobs.iter_mut().map(|c| &mut c.pod));
    for pod in pods {
        // A pod's settings written exactly stay so: the containers get what the level needs.
        if !pod.security_context_exact {
            let sc = pod.security_context.get_or_insert_with(Default::default);
            sc.run_as_non_root.get_or_insert(true);
            sc.run_as_user.get_or_insert(RESTRICTED_DEFAULT_USER);
            sc.seccomp_profile
                .get_or_insert(crate::model::SeccompProfile::RuntimeDefault);
        }
        if pod.service_account.is_none() {
            pod.automount_service_account_token = Some(false);
        }
        for c in pod
            .init_containers
            .iter_mut()
            .chain(pod.containers.iter_mut())
        {
            harden_container(c.security_context.get_or_insert_with(Default::default));
        }
    }
}

fn harden_container(sc: &mut ContainerSecurityContext) {
    sc.allow_privilege_escalation.get_or_insert(false);
    sc.run_as_non_root.get_or_insert(true);
    sc.seccomp_profile
        .get_or_insert(crate::model::SeccompProfile::RuntimeDefault);
    if sc.capabilities_drop.is_empty() {
        sc.capabilities_drop.push("ALL".to_owned());
    }
}
