//! The Kubernetes releases kubetoml targets, and when each field it emits became available: data with sources.
//!
//! A field the target release lacks is an error (its schema has no such
//! field, or no such value); a field behind a feature gate that is off by
//! default in the target is a warning naming the gate and the releases where
//! it is on. Stages come from the feature-gate pages of the Kubernetes
//! documentation, kubernetes/website
//! `content/en/docs/reference/command-line-tools-reference/feature-gates/<Gate>.md`;
//! which release's schema has which field is what `kubernetes-validate
//! --strict` checks in `tests/schema.rs`.

use std::fmt;

/// The oldest minor release kubetoml knows (the oldest `kubernetes-validate` schema it is tested with).
pub const OLDEST: u32 = 27;
/// The newest minor release kubetoml knows.
pub const NEWEST: u32 = 37;

/// The target when neither `--kube-version` nor `kube_version` says: the
/// oldest release still supported upstream at the end of 2026. Each minor
/// release gets about 14 months of patches (12 of support, 2 of upgrade
/// time; <https://kubernetes.io/releases/patch-releases/#support-period>), and
/// releases come every four months: 1.34 (released 2025-08-27) reaches its
/// end of life around 2026-10-28, leaving 1.35 (December 2025), 1.36 and 1.37.
/// Computed from the policy and the release dates, not read from a schedule.
pub const DEFAULT: KubeVersion = KubeVersion {
    minor: 35,
    patch: None,
};

/// A Kubernetes release: `1.MINOR`, optionally with a patch number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KubeVersion {
    /// The minor release, `30` for 1.30.
    pub minor: u32,
    /// The patch release, when given (`1.35.4`); some gates changed in a patch.
    pub patch: Option<u32>,
}

impl KubeVersion {
    /// Reads `1.30` or `1.30.2` (a leading `v` is allowed); `Err` says what is wrong.
    pub fn parse(text: &str) -> Result<KubeVersion, String> {
        let bare = text.strip_prefix('v').unwrap_or(text);
        let mut parts = bare.split('.');
        let number = |p: Option<&str>| p.and_then(|p| p.parse::<u32>().ok());
        let (major, minor) = (number(parts.next()), number(parts.next()));
        let patch = parts.next().map(|p| p.parse::<u32>().ok());
        let well_formed = parts.next().is_none() && patch != Some(None);
        match (major, minor) {
            (Some(1), Some(minor)) if well_formed => {
                if (OLDEST..=NEWEST).contains(&minor) {
                    Ok(KubeVersion {
                        minor,
                        patch: patch.flatten(),
                    })
                } else {
                    Err(format!(
                        "kubetoml knows Kubernetes 1.{OLDEST} to 1.{NEWEST}, not `{text}`"
                    ))
                }
            }
            _ => Err(format!(
                "`{text}` is not a Kubernetes release: write it as `1.30` or `1.30.2`"
            )),
        }
    }

    /// Whether this release is `from` or later, comparing patches only when both have one.
    fn at_least(self, from: (u32, u32)) -> bool {
        self.minor > from.0 || (self.minor == from.0 && self.patch.unwrap_or(u32::MAX) >= from.1)
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.patch {
            Some(p) => write!(f, "1.{}.{p}", self.minor),
            None => write!(f, "1.{}", self.minor),
        }
    }
}

/// One stage of a feature gate: from which release (minor, patch), and whether it is on by default.
#[derive(Debug, Clone, Copy)]
pub struct Stage {
    /// First release of the stage, `(35, 4)` for 1.35.4 (`0` for the minor's first).
    pub from: (u32, u32),
    /// `alpha`, `beta` or `GA`.
    pub name: &'static str,
    /// On unless the cluster's administrator turns it off.
    pub on_by_default: bool,
}

/// A feature gate and its stages, oldest first.
#[derive(Debug, Clone, Copy)]
pub struct Gate {
    /// The gate's name, as `--feature-gates` spells it.
    pub name: &'static str,
    /// Its stages, oldest first.
    pub stages: &'static [Stage],
}

impl Gate {
    /// The stage in force in `v`, if the gate exists there.
    pub fn stage(&self, v: KubeVersion) -> Option<&'static Stage> {
        self.stages.iter().rev().find(|s| v.at_least(s.from))
    }

    /// The releases where the gate is on by default, for people: `1.35.0 to 1.35.3, 1.37 and later`.
    pub fn on_by_default(&self) -> String {
        let mut spans = Vec::new();
        let mut i = 0;
        while i < self.stages.len() {
            if !self.stages[i].on_by_default {
                i += 1;
                continue;
            }
            // Consecutive stages that are on make one span (beta then GA).
            let first = self.stages[i];
            while self.stages.get(i + 1).is_some_and(|s| s.on_by_default) {
                i += 1;
            }
            let next = self.stages.get(i + 1);
            let start = match next {
                // A span that ends within its own minor starts at a patch: `1.35.0`.
                Some(n) if n.from.0 == first.from.0 => {
                    format!("1.{}.{}", first.from.0, first.from.1)
                }
                _ => show(first.from),
            };
            spans.push(match next {
                None => format!("{start} and later"),
                Some(next) => {
                    let end = if next.from.1 == 0 {
                        format!("1.{}", next.from.0 - 1)
                    } else {
                        format!("1.{}.{}", next.from.0, next.from.1 - 1)
                    };
                    format!("{start} to {end}")
                }
            });
            i += 1;
        }
        if spans.is_empty() {
            "no release".to_owned()
        } else {
            spans.join(", ")
        }
    }
}

fn show((minor, patch): (u32, u32)) -> String {
    if patch == 0 {
        format!("1.{minor}")
    } else {
        format!("1.{minor}.{patch}")
    }
}

/// A field of the description whose availability depends on the release.
#[derive(Debug, Clone, Copy)]
pub struct FieldFact {
    /// What the user writes, as the book spells it.
    pub field: &'static str,
    /// What it becomes in the StatefulSet (documentation: the book's table, `docs/src/kube-version.md`).
    #[allow(dead_code)]
    pub emits: &'static str,
    /// The first minor release whose API has it.
    pub added: u32,
    /// The gate that guards it, if any.
    pub gate: Option<Gate>,
}

const fn stage(minor: u32, patch: u32, name: &'static str, on_by_default: bool) -> Stage {
    Stage {
        from: (minor, patch),
        name,
        on_by_default,
    }
}

/// `lifecycle.*.sleep`: feature-gates/PodLifecycleSleepAction.md (alpha 1.29
/// off, beta 1.30 on, GA 1.34); the 1.27 and 1.28 schemas have no `sleep` action.
/// `sleep = 0` would also need `PodLifecycleSleepActionAllowZero` (alpha 1.32,
/// beta 1.33, GA 1.34), but kubetoml refuses 0: a sleep is at least 1 second.
pub const SLEEP_HOOK: FieldFact = FieldFact {
    field: "lifecycle.post_start/pre_stop = { sleep = N }",
    emits: "lifecycle.*.sleep",
    added: 29,
    gate: Some(Gate {
        name: "PodLifecycleSleepAction",
        stages: &[
            stage(29, 0, "alpha", false),
            stage(30, 0, "beta", true),
            stage(34, 0, "GA", true),
        ],
    }),
};

/// `update_strategy.max_unavailable`: feature-gates/MaxUnavailableStatefulSet.md
/// (alpha 1.24-1.34 off; beta on in 1.35.0-1.35.3, off in 1.35.4-1.36, on from 1.37).
/// The field is in every schema since 1.24; without the gate the API server drops it.
pub const MAX_UNAVAILABLE: FieldFact = FieldFact {
    field: "statefulset.update_strategy.max_unavailable",
    emits: "spec.updateStrategy.rollingUpdate.maxUnavailable",
    added: 24,
    gate: Some(Gate {
        name: "MaxUnavailableStatefulSet",
        stages: &[
            stage(24, 0, "alpha", false),
            stage(35, 0, "beta", true),
            stage(35, 4, "beta", false),
            stage(37, 0, "beta", true),
        ],
    }),
};

/// `statefulset.ordinals_start`: feature-gates/StatefulSetStartOrdinal.md
/// (alpha 1.26 off, beta 1.27 on, GA 1.31).
pub const ORDINALS_START: FieldFact = FieldFact {
    field: "statefulset.ordinals_start",
    emits: "spec.ordinals.start",
    added: 26,
    gate: Some(Gate {
        name: "StatefulSetStartOrdinal",
        stages: &[
            stage(26, 0, "alpha", false),
            stage(27, 0, "beta", true),
            stage(31, 0, "GA", true),
        ],
    }),
};

/// `statefulset.pvc_retention_policy`: feature-gates/StatefulSetAutoDeletePVC.md
/// (alpha 1.23 off, beta 1.27 on, GA 1.32).
pub const PVC_RETENTION: FieldFact = FieldFact {
    field: "statefulset.pvc_retention_policy",
    emits: "spec.persistentVolumeClaimRetentionPolicy",
    added: 23,
    gate: Some(Gate {
        name: "StatefulSetAutoDeletePVC",
        stages: &[
            stage(23, 0, "alpha", false),
            stage(27, 0, "beta", true),
            stage(32, 0, "GA", true),
        ],
    }),
};

/// `access_modes = ["ReadWriteOncePod"]`: feature-gates/ReadWriteOncePod.md
/// (alpha 1.22 off, beta 1.27 on, GA 1.29, gate removed in 1.31).
pub const READ_WRITE_ONCE_POD: FieldFact = FieldFact {
    field: "volumes.*.access_modes = [\"ReadWriteOncePod\"]",
    emits: "accessModes: [ReadWriteOncePod]",
    added: 22,
    gate: Some(Gate {
        name: "ReadWriteOncePod",
        stages: &[
            stage(22, 0, "alpha", false),
            stage(27, 0, "beta", true),
            stage(29, 0, "GA", true),
        ],
    }),
};

/// `probes.*.grpc`: feature-gates/GRPCContainerProbe.md (alpha 1.23, beta 1.24 on, GA 1.27).
pub const GRPC_PROBE: FieldFact = FieldFact {
    field: "probes.*.grpc",
    emits: "*Probe.grpc",
    added: 23,
    gate: Some(Gate {
        name: "GRPCContainerProbe",
        stages: &[
            stage(23, 0, "alpha", false),
            stage(24, 0, "beta", true),
            stage(27, 0, "GA", true),
        ],
    }),
};

/// `[[sidecars]] native = true`: feature-gates/SidecarContainers.md (alpha
/// 1.28 off, beta 1.29 on, GA 1.33). The 1.28 schema has the container's
/// `restartPolicy`, but kubetoml counts the field from 1.29: behind an alpha
/// gate, off by default, the API server refuses it, and alpha behaviour
/// (shutdown order among them) changed before beta.
pub const NATIVE_SIDECAR: FieldFact = FieldFact {
    field: "sidecars.native",
    emits: "initContainers[].restartPolicy: Always",
    added: 29,
    gate: Some(Gate {
        name: "SidecarContainers",
        stages: &[stage(29, 0, "beta", true), stage(33, 0, "GA", true)],
    }),
};

/// `[service] traffic_distribution`: feature-gates/ServiceTrafficDistribution.md
/// (alpha 1.30 off, beta 1.31 on, GA 1.33); the 1.27 to 1.29 schemas have no
/// `trafficDistribution`.
pub const TRAFFIC_DISTRIBUTION: FieldFact = FieldFact {
    field: "service.traffic_distribution",
    emits: "Service spec.trafficDistribution",
    added: 30,
    gate: Some(Gate {
        name: "ServiceTrafficDistribution",
        stages: &[
            stage(30, 0, "alpha", false),
            stage(31, 0, "beta", true),
            stage(33, 0, "GA", true),
        ],
    }),
};

/// `[service] traffic_distribution = "PreferSameZone"` or `"PreferSameNode"`:
/// feature-gates/PreferSameTrafficDistribution.md, KEP-3015 (alpha 1.33 off,
/// beta 1.34 on, GA 1.35); before 1.33 the API server refuses the values.
pub const PREFER_SAME: FieldFact = FieldFact {
    field: "service.traffic_distribution = \"PreferSameZone\" / \"PreferSameNode\"",
    emits: "Service spec.trafficDistribution: PreferSameZone / PreferSameNode",
    added: 33,
    gate: Some(Gate {
        name: "PreferSameTrafficDistribution",
        stages: &[
            stage(33, 0, "alpha", false),
            stage(34, 0, "beta", true),
            stage(35, 0, "GA", true),
        ],
    }),
};

/// `[client_service] traffic_distribution`: as [`TRAFFIC_DISTRIBUTION`].
pub const CLIENT_TRAFFIC_DISTRIBUTION: FieldFact = FieldFact {
    field: "client_service.traffic_distribution",
    ..TRAFFIC_DISTRIBUTION
};

/// `[client_service] traffic_distribution = "PreferSameZone"` or `"PreferSameNode"`: as [`PREFER_SAME`].
pub const CLIENT_PREFER_SAME: FieldFact = FieldFact {
    field: "client_service.traffic_distribution = \"PreferSameZone\" / \"PreferSameNode\"",
    ..PREFER_SAME
};

/// Every release-dependent field kubetoml emits, for the book's table
/// and the tests.
#[allow(dead_code)]
pub const FIELDS: [FieldFact; 11] = [
    NATIVE_SIDECAR,
    SLEEP_HOOK,
    MAX_UNAVAILABLE,
    ORDINALS_START,
    PVC_RETENTION,
    READ_WRITE_ONCE_POD,
    GRPC_PROBE,
    TRAFFIC_DISTRIBUTION,
    PREFER_SAME,
    CLIENT_TRAFFIC_DISTRIBUTION,
    CLIENT_PREFER_SAME,
];

/// What using `fact` means on `target`.
#[derive(Debug, PartialEq, Eq)]
pub enum Availability {
    /// Available and on by default.
    Yes,
    /// Not in the target's API at all.
    Missing,
    /// In the API, behind a gate that is off by default there.
    GateOff(&'static str, &'static str),
}

/// Whether `fact` is usable on `target`.
pub fn availability(fact: &FieldFact, target: KubeVersion) -> Availability {
    if target.minor < fact.added {
        return Availability::Missing;
    }
    match fact.gate.and_then(|g| g.stage(target).map(|s| (g, s))) {
        Some((g, s)) if !s.on_by_default => Availability::GateOff(g.name, s.name),
        _ => Availability::Yes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> KubeVersion {
        KubeVersion::parse(text).unwrap()
    }

    #[test]
    fn parses_releases_and_refuses_the_rest() {
        assert_eq!(
            v("1.30"),
            KubeVersion {
                minor: 30,
                patch: None
            }
        );
        assert_eq!(v("v1.35.4").patch, Some(4));
        for bad in ["1", "1.x", "2.30", "1.30.", "1.30.1.2", ""] {
            assert!(KubeVersion::parse(bad)
                .unwrap_err()
                .contains("not a Kubernetes release"));
        }
        assert!(KubeVersion::parse("1.26")
            .unwrap_err()
            .contains("1.27 to 1.37"));
        assert!(KubeVersion::parse("1.38").is_err());
    }

    #[test]
    fn the_sleep_hook_needs_1_29_and_its_gate_is_off_there() {
        assert_eq!(availability(&SLEEP_HOOK, v("1.28")), Availability::Missing);
        assert_eq!(
            availability(&SLEEP_HOOK, v("1.29")),
            Availability::GateOff("PodLifecycleSleepAction", "alpha")
        );
        assert_eq!(availability(&SLEEP_HOOK, v("1.30")), Availability::Yes);
        assert_eq!(SLEEP_HOOK.gate.unwrap().on_by_default(), "1.30 and later");
    }

    #[test]
    fn max_unavailable_follows_its_gate_patch_by_patch() {
        let gate = MAX_UNAVAILABLE.gate.unwrap();
        assert_eq!(gate.on_by_default(), "1.35.0 to 1.35.3, 1.37 and later");
        assert_eq!(
            availability(&MAX_UNAVAILABLE, v("1.35.3")),
            Availability::Yes
        );
        assert!(matches!(
            availability(&MAX_UNAVAILABLE, v("1.35.4")),
            Availability::GateOff(..)
        ));
        // Without a patch number, a minor counts as its latest patch.
        assert!(matches!(
            availability(&MAX_UNAVAILABLE, v("1.35")),
            Availability::GateOff(..)
        ));
        assert!(matches!(
            availability(&MAX_UNAVAILABLE, v("1.34")),
            Availability::GateOff(..)
        ));
        assert_eq!(availability(&MAX_UNAVAILABLE, v("1.37")), Availability::Yes);
    }

    #[test]
    fn traffic_distribution_needs_1_31_and_prefer_same_1_34() {
        assert_eq!(
            availability(&TRAFFIC_DISTRIBUTION, v("1.29")),
            Availability::Missing
        );
        assert!(matches!(
            availability(&TRAFFIC_DISTRIBUTION, v("1.30")),
            Availability::GateOff("ServiceTrafficDistribution", "alpha")
        ));
        assert_eq!(availability(&TRAFFIC_DISTRIBUTION, v("1.31")), Availability::Yes);
        assert_eq!(availability(&PREFER_SAME, v("1.32")), Availability::Missing);
        assert!(matches!(
            availability(&PREFER_SAME, v("1.33")),
            Availability::GateOff("PreferSameTrafficDistribution", "alpha")
        ));
        assert_eq!(availability(&PREFER_SAME, v("1.34")), Availability::Yes);
    }

    #[test]
    fn native_sidecars_need_1_29() {
        assert_eq!(
            availability(&NATIVE_SIDECAR, v("1.28")),
            Availability::Missing
        );
        for minor in 29..=NEWEST {
            let target = KubeVersion { minor, patch: None };
            assert_eq!(availability(&NATIVE_SIDECAR, target), Availability::Yes);
        }
    }

    #[test]
    fn the_other_fields_are_on_in_every_known_release() {
        for fact in [
            ORDINALS_START,
            PVC_RETENTION,
            READ_WRITE_ONCE_POD,
            GRPC_PROBE,
        ] {
            for minor in OLDEST..=NEWEST {
                let target = KubeVersion { minor, patch: None };
                assert_eq!(
                    availability(&fact, target),
                    Availability::Yes,
                    "{}",
                    fact.field
                );
            }
        }
    }
}
