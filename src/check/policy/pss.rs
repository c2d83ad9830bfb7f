//! The Pod Security Standards' controls a description can break, as data: one [`Rule`] per control.
//!
//! Source: the standards, kubernetes/website
//! `content/en/docs/concepts/security/pod-security-standards.md`, and their
//! reference implementation, kubernetes/pod-security-admission `policy/check_*.go`
//! (each check's `MinimumVersion` is the `since` below). A rule applies to a
//! target release from its `since` on: among the releases kubetoml targets
//! (1.27 to 1.37) that matters for one rule, `baseline`'s host in probes and
//! hooks, from 1.34; the others date from 1.25 or before. The 1.35 relaxation
//! of `runAsNonRoot` and `runAsUser` for pods with `hostUsers: false` does
//! not apply, as kubetoml never writes `hostUsers`.
//!
//! Controls kubetoml cannot break because the format has no way to ask for
//! them: host namespaces, host ports, hostPath and other restricted volume
//! types (claims, ConfigMaps and Secrets are allowed), HostProcess, AppArmor,
//! SELinux, `/proc` mount type, sysctls, and the optional non-root groups
//! control (which the reference implementation does not check either).

use std::ops::Range;

use crate::read::spec::{
    HandlerSpec, LifecycleSpec, PodSecurityContextSpec, ProbesSpec, SecurityContextSpec, Spanned,
};

/// A Pod Security Standards level kubetoml can enforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Prevents known privilege escalations.
    Baseline,
    /// Current pod hardening best practice.
    Restricted,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 2] = [Level::Baseline, Level::Restricted];

    /// Its name in the description and in the standards.
    pub fn name(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }

    /// The level named `text`, if any.
    pub fn parse(text: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.name() == text)
    }
}

/// One container as the rules see it.
pub struct Container<'a> {
    /// Its name in the pod.
    pub name: &'a str,
    /// Where to point when it lacks a setting.
    pub at: Range<usize>,
    /// Its `security_context`, if written.
    pub sc: Option<&'a Spanned<SecurityContextSpec>>,
    /// The main container without `pod_security_context`: its
    /// `security_context` is the top level's, whose user, non-root and
    /// seccomp settings go to the pod instead.
    pub main: bool,
    /// Its probes, if any.
    pub probes: Option<&'a ProbesSpec>,
    /// Its hooks, if any.
    pub lifecycle: Option<&'a LifecycleSpec>,
}

impl Container<'_> {
    fn get<T>(&self, f: impl Fn(&SecurityContextSpec) -> Option<T>) -> Option<T> {
        self.sc.and_then(|s| f(s.get_ref()))
    }

    /// A setting that goes to the container (not to the pod for the main one).
    fn own<T>(&self, f: impl Fn(&SecurityContextSpec) -> Option<T>) -> Option<T> {
        if self.main {
            None
        } else {
            self.get(f)
        }
    }

    fn at_sc(&self) -> Range<usize> {
        self.sc.map_or(self.at.clone(), |s| s.span())
    }
}

/// The pod: its own settings and every container (init containers and sidecars included).
pub struct Pod<'a> {
    /// The pod's own settings.
    pub sc: PodLevel<'a>,
    /// Every container, init containers first.
    pub containers: Vec<Container<'a>>,
}

/// The pod-level settings the rules read, with where each is written:
/// the top-level `security_context`'s pod-wide ones, or `pod_security_context`.
#[derive(Default)]
pub struct PodLevel<'a> {
    /// `run_as_user`.
    pub run_as_user: Option<&'a Spanned<i64>>,
    /// `run_as_non_root`, and where it is said.
    pub run_as_non_root: Option<(bool, Range<usize>)>,
    /// `seccomp_profile`.
    pub seccomp_profile: Option<&'a Spanned<String>>,
}

impl<'a> PodLevel<'a> {
    /// The pod-wide settings of the top-level `security_context` (the
    /// table's span stands for `run_as_non_root`, which has none of its own).
    pub fn shared(sc: Option<&'a Spanned<SecurityContextSpec>>) -> Self {
        let Some(sc) = sc else {
            return PodLevel::default();
        };
        let s = sc.get_ref();
        PodLevel {
            run_as_user: s.run_as_user.as_ref(),
            run_as_non_root: s.run_as_non_root.map(|v| (v, sc.span())),
            seccomp_profile: s.seccomp_profile.as_ref(),
        }
    }

    /// `pod_security_context`, all of it the pod's.
    pub fn exact(sc: &'a Spanned<PodSecurityContextSpec>) -> Self {
        let s = sc.get_ref();
        PodLevel {
            run_as_user: s.run_as_user.as_ref(),
            run_as_non_root: s.run_as_non_root.as_ref().map(|v| (*v.get_ref(), v.span())),
            seccomp_profile: s.seccomp_profile.as_ref(),
        }
    }
}

/// What a rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The description asks for something the level forbids: an error under that level.
    Forbidden {
        /// What asks for it.
        span: Range<usize>,
        /// What it is, for the message: "container `x` sets `privileged = true`".
        what: String,
    },
    /// The level requires a setting the description does not write:
    /// `pod_security` fills it in.
    Missing {
        /// Where it would go.
        span: Range<usize>,
        /// What is missing, for the message.
        what: String,
    },
}

/// One control of the standards.
pub struct Rule {
    /// A short name, used in tests.
    #[allow(dead_code)]
    pub id: &'static str,
    /// The lowest level that enforces it (`restricted` enforces `baseline`'s too).
    pub level: Level,
    /// The control's name in the standards.
    pub control: &'static str,
    /// The first minor release it applies to (its check's `MinimumVersion`).
    pub since: u32,
    /// The pod-security-admission check and the release its current form dates from
    /// (the rule's citation, kept with it as data).
    #[allow(dead_code)]
    pub source: &'static str,
    /// What the user can do.
    pub fix: &'static str,
    /// Finds what breaks it.
    pub check: fn(&Pod) -> Vec<Finding>,
}

/// The capabilities `baseline` lets a container add: the container runtimes' default set
/// (`check_capabilities_baseline.go`, `capabilities_allowed_1_0`).
pub const BASELINE_CAPABILITIES: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// Every control a description can break, baseline first.
pub const RULES: [Rule; 9] = [
    Rule {
        id: "privileged",
        since: 0,
        level: Level::Baseline,
        control: "Privileged Containers",
        source: "check_privileged.go, since 1.0",
        fix: "remove `privileged = true`",
        check: privileged,
    },
    Rule {
        id: "capabilities-baseline",
        since: 0,
        level: Level::Baseline,
        control: "Capabilities",
        source: "check_capabilities_baseline.go, since 1.0",
        fix: "add only capabilities of the default set (`NET_BIND_SERVICE`, `CHOWN`, ...)",
        check: capabilities_baseline,
    },
    Rule {
        id: "seccomp-baseline",
        since: 19,
        level: Level::Baseline,
        control: "Seccomp",
        source: "check_seccompProfile_baseline.go, since 1.19",
        fix: "use `seccomp_profile = \"RuntimeDefault\"`",
        check: seccomp_baseline,
    },
    Rule {
        id: "probe-host",
        since: 34,
        level: Level::Baseline,
        control: "Host Probes / Lifecycle Hooks",
        source: "check_hostProbesAndhostLifecycle.go, since 1.34",
        fix: "leave out `host`: probes and hooks then reach the pod itself",
        check: probe_host,
    },
    Rule {
        id: "allow-privilege-escalation",
        since: 8,
        level: Level::Restricted,
        control: "Privilege Escalation",
        source: "check_allowPrivilegeEscalation.go, since 1.8 (1.25 form)",
        fix: "set `allow_privilege_escalation = false`",
        check: allow_privilege_escalation,
    },
    Rule {
        id: "run-as-non-root",
        since: 0,
        level: Level::Restricted,
        control: "Running as Non-root",
        source: "check_runAsNonRoot.go, since 1.0",
        fix: "set `run_as_non_root = true`, or leave it out",
        check: run_as_non_root,
    },
    Rule {
        id: "run-as-user",
        since: 23,
        level: Level::Restricted,
        control: "Running as Non-root user",
        source: "check_runAsUser.go, since 1.23",
        fix: "use a non-zero `run_as_user`",
        check: run_as_user,
    },
    Rule {
        id: "seccomp-restricted",
        since: 19,
        level: Level::Restricted,
        control: "Seccomp",
        source: "check_seccompProfile_restricted.go, since 1.19 (1.25 form)",
        fix: "set `seccomp_profile = \"RuntimeDefault\"`",
        check: seccomp_restricted,
    },
    Rule {
        id: "capabilities-restricted",
        since: 22,
        level: Level::Restricted,
        control: "Capabilities",
        source: "check_capabilities_restricted.go, since 1.22 (1.25 form)",
        fix: "drop `ALL` and add nothing but `NET_BIND_SERVICE`",
        check: capabilities_restricted,
    },
];

fn privileged(pod: &Pod) -> Vec<Finding> {
    let mut found = Vec::new();
    for c in &pod.containers {
        if let Some(p) = c.get(|s| s.privileged.clone()).filter(|p| *p.get_ref()) {
            found.push(Finding::Forbidden {
                span: p.span(),
                what: format!("container `{}` sets `privileged = true`", c.name),
            });
        }
    }
    found
}

fn added_capabilities<'a>(c: &'a Container<'a>) -> impl Iterator<Item = &'a Spanned<String>> {
    c.sc.into_iter()
        .flat_map(|s| s.get_ref().capabilities.iter())
        .flat_map(|caps| caps.add.iter())
}

fn capabilities_baseline(pod: &Pod) -> Vec<Finding> {
    let mut found = Vec::new();
    for c in &pod.containers {
        for cap in added_capabilities(c) {
            if !BASELINE_CAPABILITIES.contains(&cap.get_ref().as_str()) {
                found.push(Finding::Forbidden {
                    span: cap.span(),
                    what: format!("container `{}` adds capability `{}`", c.name, cap.get_ref()),
                });
            }
        }
    }
    found
}

fn seccomp_baseline(pod: &Pod) -> Vec<Finding> {
    let unconfined = |s: &SecurityContextSpec| {
        s.seccomp_profile
            .clone()
            .filter(|p| p.get_ref() == "Unconfined")
    };
    let mut found = Vec::new();
    if let Some(p) = pod.sc.seccomp_profile.filter(|p| p.get_ref() == "Unconfined") {
        found.push(Finding::Forbidden {
            span: p.span(),
            what: "the pod sets `seccomp_profile = \"Unconfined\"`".to_owned(),
        });
    }
    for c in &pod.containers {
        if let Some(p) = c.own(unconfined) {
            found.push(Finding::Forbidden {
                span: p.span(),
                what: format!(
                    "container `{}` sets `seccomp_profile = \"Unconfined\"`",
                    c.name
                ),
            });
        }
    }
    found
}

fn probe_host(pod: &Pod) -> Vec<Finding> {
    let mut found = Vec::new();
    for c in &pod.containers {
        let probes = c
            .probes
            .into_iter()
            .flat_map(|p| [&p.readiness, &p.liveness, &p.startup]);
        let probe_http = probes.flatten().filter_map(|p| p.get_ref().http.as_ref());
        let hooks = c
            .lifecycle
            .into_iter()
            .flat_map(|l| [&l.post_start, &l.pre_stop]);
        let hook_http = hooks.flatten().filter_map(|h| match h.get_ref() {
            HandlerSpec::Table(t) => t.http.as_ref(),
            HandlerSpec::Command(_) => None,
        });
        for http in probe_http.chain(hook_http) {
            if let Some(host) = http
                .get_ref()
                .host
                .as_ref()
                .filter(|h| !h.get_ref().is_empty())
            {
                found.push(Finding::Forbidden {
                    span: host.span(),
                    what: format!(
                        "container `{}` sends a probe or hook to `host = \"{}\"`",
                        c.name,
                        host.get_ref()
                    ),
                });
            }
        }
    }
    found
}

fn allow_privilege_escalation(pod: &Pod) -> Vec<Finding> {
    let mut found = Vec::new();
    for c in &pod.containers {
        match c.get(|s| s.allow_privilege_escalation.clone()) {
            Some(a) if !*a.get_ref() => {}
            Some(a) => found.push(Finding::Forbidden {
                span: a.span(),
                what: format!(
                    "container `{}` sets `allow_privilege_escalation = true`",
                    c.name
                ),
            }),
            None => found.push(Finding::Missing {
                span: c.at.clone(),
                what: format!(
                    "container `{}` does not set `allow_privilege_escalation = false`",
                    c.name
                ),
            }),
        }
    }
    found
}

fn run_as_non_root(pod: &Pod) -> Vec<Finding> {
    let mut found = Vec::new();
    let pod_says = pod.sc.run_as_non_root.as_ref().map(|(v, _)| *v);
    if let Some((false, span)) = &pod.sc.run_as_non_root {
        found.push(Finding::Forbidden {
            span: span.clone(),
            what: "the pod sets `run_as_non_root = false`".to_owned(),
        });
    }
    for c in &pod.containers {
        match c.own(|s| s.run_as_non_root) {
            Some(false) => found.push(Finding::Forbidden {
                span: c.at_sc(),
                what: format!("container `{}` sets `run_as_non_root = false`", c.name),
            }),
            None if pod_says != Some(true) => found.push(Finding::Missing {
                span: c.at.clone(),
                what: format!(
                    "container `{}` does not set `run_as_non_root = true`",
                    c.name
                ),
            }),
            _ => {}
        }
    }
    found
}

fn run_as_user(pod: &Pod) -> Vec<Finding> {
    let root = |s: &SecurityContextSpec| s.run_as_user.clone().filter(|u| *u.get_ref() == 0);
    let mut found = Vec::new();
    if let Some(u) = pod.sc.run_as_user.filter(|u| *u.get_ref() == 0) {
        found.push(Finding::Forbidden {
            span: u.span(),
            what: "the pod sets `run_as_user = 0`".to_owned(),
        });
    }
    for c in &pod.containers {
        if let Some(u) = c.own(root) {
            found.push(Finding::Forbidden {
                span: u.span(),
                what: format!("container `{}` sets `run_as_user = 0`", c.name),
            });
        }
    }
    found
}

fn seccomp_restricted(pod: &Pod) -> Vec<Finding> {
    let confined = |s: &SecurityContextSpec| {
        s.seccomp_profile
            .as_ref()
            .map(|p| p.get_ref() == "RuntimeDefault" || p.get_ref() == "Localhost")
    };
    let mut found = Vec::new();
    for c in &pod.containers {
        // `Unconfined` is the baseline rule's; here only a missing profile counts.
        if c.own(confined).is_none() && pod.sc.seccomp_profile.is_none() {
            found.push(Finding::Missing {
                span: c.at.clone(),
                what: format!(
                    "container `{}` has no `seccomp_profile`, nor does the pod",
                    c.name
                ),
            });
        }
    }
    found
}

fn capabilities_restricted(pod: &Pod) -> Vec<Finding> {
    let mut found = Vec::new();
    for c in &pod.containers {
        let drop =
            c.sc.and_then(|s| s.get_ref().capabilities.as_ref())
                .map(|caps| &caps.drop);
        match drop {
            Some(d) if d.iter().any(|x| x.get_ref() == "ALL") => {}
            Some(d) if !d.is_empty() => found.push(Finding::Forbidden {
                span: d[0].span().start..d[d.len() - 1].span().end,
                what: format!(
                    "container `{}` drops some capabilities but not `ALL`",
                    c.name
                ),
            }),
            _ => found.push(Finding::Missing {
                span: c.at.clone(),
                what: format!("container `{}` does not drop `ALL` capabilities", c.name),
            }),
        }
        for cap in added_capabilities(c) {
            // Beyond the default set, the baseline rule already refuses it.
            let name = cap.get_ref().as_str();
            if name != "NET_BIND_SERVICE" && BASELINE_CAPABILITIES.contains(&name) {
                found.push(Finding::Forbidden {
                    span: cap.span(),
                    what: format!("container `{}` adds capability `{name}`", c.name),
                });
            }
        }
    }
    found
}
