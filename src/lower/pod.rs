//! The pod template, step by step: volumes and mounts, image pull Secrets,
//! security, containers, scheduling.

use super::companions::PodIdentity;
use super::container::Role;
use super::context::*;
use super::data::config_hash;
use super::data::DataObject;
use super::object_volumes::ObjectVolume;
use super::claims::ClaimUse;

/// The description's pod-wide fields, taken out of the `Spec` once.
pub(super) struct PodSpec<'s> {
    /// The main container, from the top-level fields.
    pub(super) main: spec::ContainerSpec,
    /// The main container's ports, checked.
    pub(super) ports: Vec<(Spanned<String>, ContainerPort)>,
    pub(super) security_context: Option<Spanned<spec::SecurityContextSpec>>,
    /// `pod_security_context`: the pod's settings exactly, when written.
    pub(super) pod_security_context: Option<Spanned<spec::PodSecurityContextSpec>>,
    pub(super) sidecars: Vec<Spanned<spec::ContainerSpec>>,
    pub(super) init_containers: Vec<Spanned<spec::ContainerSpec>>,
    /// `[volumes.X]`: claims, mounted here.
    pub(super) volumes: &'s Map<spec::VolumeSpec>,
    /// `[claims.X]`, lowered: mounted by the containers that list them.
    pub(super) claims: &'s [ClaimUse],
    pub(super) image_pull_secrets: Vec<Spanned<String>>,
    /// Who the pods run as, checked.
    pub(super) identity: &'s PodIdentity,
    pub(super) enable_service_links: Option<bool>,
    /// Annotations on the pods only.
    pub(super) pod_annotations: Map<String>,
    pub(super) priority_class_name: Option<Spanned<String>>,
    pub(super) host_aliases: Vec<Spanned<spec::HostAliasSpec>>,
    pub(super) dns: Option<Spanned<spec::DnsSpec>>,
    pub(super) affinity: Option<Spanned<spec::AffinitySpec>>,
    pub(super) termination_grace_period: Option<Spanned<i64>>,
    pub(super) node_selector: Map<String>,
    pub(super) tolerations: Vec<Spanned<spec::TolerationSpec>>,
    pub(super) spread: Option<Spanned<spec::SpreadSpec>>,
}

/// The pod's volumes and what a container may mount.
pub(super) struct Mounts {
    /// ConfigMap and Secret volumes, by name.
    pub(super) volumes: Vec<PodVolume>,
    /// emptyDir and existing-claim volumes, by name.
    pub(super) other_volumes: Vec<OtherVolume>,
    /// Every mount, by the name a container's `mounts` lists: a volume's or
    /// an object's table key. The main container mounts all of them.
    /// A volume mounted at several paths has several.
    pub(super) mountable: BTreeMap<String, Vec<VolumeMount>>,
    /// `[claims.X]`, by table key: the mount and the volume, for the
    /// containers that list them (never the main container).
    pub(super) claims: BTreeMap<String, (VolumeMount, OtherVolume)>,
    /// What a container's `{ volume = "x", path = "/p" }` may name, by
    /// table key: every volume (with or without `mount`), every mounted
    /// configmap and secret, every claim.
    pub(super) sources: BTreeMap<String, MountSource>,
}

/// The pod volume a `mounts` table entry mounts, and how by default.
#[derive(Clone)]
pub(super) struct MountSource {
    /// The pod volume's (or claim template's) name.
    pub(super) volume: String,
    /// Read-only unless the entry says otherwise.
    pub(super) read_only: bool,
    /// A configmap or secret: always read-only.
    pub(super) data: bool,
    /// A claim template: each StatefulSet pod has its own.
    pub(super) template: bool,
}

/// What a container's `mounts` may name, being gathered by `pod_volumes`'
/// steps.
#[derive(Default)]
struct Mountable {
    /// The mounts of each name (see [`Mounts::mountable`]).
    mounts: BTreeMap<String, Vec<VolumeMount>>,
    /// The pod volume names taken, each with where it was named.
    volume_names: BTreeMap<String, Span>,
    /// Where each name leads (see [`Mounts::sources`]).
    sources: BTreeMap<String, MountSource>,
}

impl Mounts {
    /// What a container's `mounts` may list: every mountable, and the claims.
    pub(super) fn listable(&self) -> BTreeMap<String, Vec<VolumeMount>> {
        let mut all = self.mountable.clone();
        all.extend(
            (self.claims.iter()).map(|(k, (m, _))| (k.clone(), vec![m.clone()])),
        );
        all
    }
}

/// The mount and the pod volume of a standalone claim: the volume is named
/// after its table key, the claim it uses `<app>-<key>`.
fn claim_mount(c: &ClaimUse) -> (VolumeMount, OtherVolume) {
    let mount = VolumeMount {
        name: c.claim.key.clone(),
        mount_path: c.mount.get_ref().clone(),
        sub_path: None,
        read_only: c.read_only,
    };
    let volume = OtherVolume {
        name: c.claim.key.clone(),
        source: VolumeSource::Claim {
            claim_name: c.claim.metadata.name.clone(),
            read_only: c.read_only,
        },
    };
    (mount, volume)
}

/// Pod-level and main-container security settings, from the top-level
/// `security_context` (and `pod_security_context`, when written).
struct Security {
    pod: Option<PodSecurityContext>,
    main: Option<ContainerSecurityContext>,
    /// `pod_security_context` said the pod's settings exactly.
    exact: bool,
}

/// Where the pods may run.
struct Scheduling {
    node_selector: StringMap,
    tolerations: Vec<Toleration>,
    topology_spread: Vec<TopologySpread>,
}

/// The main container, named after the app, before the top-level fields
/// written for it are filled in: its ports are checked apart, its security
/// settings split from the pod's, and it mounts every source.
pub(super) fn main_container(name: Spanned<String>) -> spec::ContainerSpec {
    spec::ContainerSpec {
        name,
        image: None,
        image_pull_policy: None,
        command: None,
        args: None,
        working_dir: None,
        ports: Map::new(),
        env: spec::EnvList::default(),
        env_from: Vec::new(),
        resources: None,
        probes: None,
        lifecycle: None,
        security_context: None,
        mounts: Vec::new(),
        native: None,
    }
}

impl Lowerer<'_> {
    pub(super) fn pod(
        &mut self,
        spec: PodSpec<'_>,
        app: &Identity,
        objects: &[DataObject],
    ) -> (PodTemplate, Mounts) {
        let PodSpec {
            main,
            ports,
            security_context,
            pod_security_context,
            sidecars,
            init_containers,
            volumes,
            claims,
            image_pull_secrets,
            identity,
            enable_service_links,
            pod_annotations,
            priority_class_name,
            host_aliases,
            dns,
            affinity,
            termination_grace_period,
            node_selector,
            tolerations,
            spread,
        } = spec;
        let mounts = self.pod_volumes(volumes, objects, claims);
        let image_pull_secrets = self.image_pull_secrets(&image_pull_secrets, objects);
        let security = self.pod_security(security_context.as_ref(), pod_security_context.as_ref());
        let main = self.main_container(main, ports, security.main, &mounts, objects);
        let (containers, init_containers) = self.extra_containers(
            main,
            (sidecars, init_containers),
            security.exact,
            &mounts,
            objects,
        );
        // The claims a container lists become pod volumes.
        let mut other_volumes = mounts.other_volumes.clone();
        let listed: BTreeSet<&str> = (containers.iter().chain(&init_containers))
            .flat_map(|c| &c.volume_mounts)
            .map(|m| m.name.as_str())
            .collect();
        other_volumes.extend(
            (mounts.claims.values())
                .filter(|(m, _)| listed.contains(m.name.as_str()))
                .map(|(_, v)| v.clone()),
        );
        other_volumes.sort_by(|a, b| a.name.cmp(&b.name));
        let scheduling =
            self.scheduling(&node_selector, &tolerations, spread.as_ref(), &app.selector);
        let termination_grace_period =
            self.at_least(&termination_grace_period, 0, "`termination_grace_period`");
        let mut annotations = app.annotations.clone();
        annotations.extend(self.annotations(&pod_annotations));
        let priority_class_name = priority_class_name.map(|p| {
            self.check(&p, "priority class name", validate::dns_subdomain);
            p.into_inner()
        });
        let (dns_policy, dns_config) = self.dns(dns.as_ref());
        let mut pod = PodTemplate {
            restart_policy: None,
            affinity: affinity.as_ref().and_then(|a| self.affinity(a)),
            host_aliases: self.host_aliases(&host_aliases),
            dns_policy,
            dns_config,
            labels: app.pod_labels.clone(),
            annotations,
            priority_class_name,
            service_account: identity.name.clone(),
            automount_service_account_token: identity.automount,
            enable_service_links,
            security_context: security.pod,
            security_context_exact: security.exact,
            node_selector: scheduling.node_selector,
            tolerations: scheduling.tolerations,
            topology_spread: scheduling.topology_spread,
            termination_grace_period,
            image_pull_secrets,
            init_containers,
            containers,
            volumes: mounts.volumes.clone(),
            other_volumes,
        };
        self.check_container_refs(&pod);
        // Secrets enter the hash only keyed, and without a key not at all (see `hash`).
        let secret_key = match self.sources.env_var(hash::HASH_KEY_VAR) {
            Ok(Some(key)) if !key.is_empty() => Some(key),
            _ => None,
        };
        if let Some(hash) = config_hash(&pod, objects, secret_key.as_deref()) {
            pod.annotations.insert(CONFIG_HASH_ANNOTATION.into(), hash);
        }
        (pod, mounts)
    }

    /// Pod volumes for mounted ConfigMaps and Secrets, and the mounts every container may use.
    fn pod_volumes(
        &mut self,
        volumes: &Map<spec::VolumeSpec>,
        objects: &[DataObject],
        claims: &[ClaimUse],
    ) -> Mounts {
        let mut named = Mountable::default();
        let mut mount_paths = self.described_mounts(volumes, &mut named);
        mount_paths.extend(
            (objects.iter())
                .filter_map(|o| Some((o.key.as_str(), o.uses.mount.clone()?))),
        );
        mount_paths.extend(claims.iter().map(|c| (c.claim.key.as_str(), c.mount.clone())));
        self.mount_paths(mount_paths);
        let (mut pod_volumes, other_volumes) = self.described_volumes(volumes, objects);
        pod_volumes.extend(self.data_volumes(objects, &mut named));
        pod_volumes.sort_by(|a, b| a.name.cmp(&b.name));
        self.claim_sources(claims, &mut named);
        Mounts {
            volumes: pod_volumes,
            other_volumes,
            mountable: named.mounts,
            sources: named.sources,
            claims: (claims.iter())
                .map(|c| (c.claim.key.clone(), claim_mount(c)))
                .collect(),
        }
    }

    /// The `[volumes]` tables' mounts and sources, into `named`; returns
    /// their mount paths, with the volume each belongs to.
    fn described_mounts<'v>(
        &mut self,
        volumes: &'v Map<spec::VolumeSpec>,
        named: &mut Mountable,
    ) -> Vec<(&'v str, Spanned<String>)> {
        let mut mount_paths = Vec::new();
        for (vname, v) in volumes {
            named.volume_names.insert(vname.get_ref().clone(), vname.span());
            let v = v.get_ref();
            named.sources.insert(
                vname.get_ref().clone(),
                MountSource {
                    volume: vname.get_ref().clone(),
                    read_only: v.read_only.unwrap_or(false),
                    data: false,
                    template: v.empty_dir.is_none() && v.claim.is_none(),
                },
            );
            let mounts = self.volume_mounts(vname.get_ref(), v);
            if mounts.is_empty() {
                continue;
            }
            let listed = named.mounts.entry(vname.get_ref().clone()).or_default();
            for (path, mount) in mounts {
                mount_paths.push((vname.get_ref().as_str(), path));
                listed.push(mount);
            }
        }
        mount_paths
    }

    /// The pod volumes the `[volumes]` tables describe (claim templates
    /// aside): ConfigMap and Secret volumes, and the others (emptyDirs,
    /// existing claims, projected volumes).
    fn described_volumes(
        &mut self,
        volumes: &Map<spec::VolumeSpec>,
        objects: &[DataObject],
    ) -> (Vec<PodVolume>, Vec<OtherVolume>) {
        let mut other_volumes: Vec<OtherVolume> = (volumes.iter())
            .filter_map(|(name, v)| self.other_volume(name, v.get_ref()))
            .collect();
        let mut pod_volumes: Vec<PodVolume> = Vec::new();
        for (name, v) in volumes {
            match self.object_volume(name, v.get_ref(), objects) {
                Some(ObjectVolume::Object(v)) => pod_volumes.push(v),
                Some(ObjectVolume::Projected(v)) => other_volumes.push(v),
                None => {}
            }
        }
        (pod_volumes, other_volumes)
    }

    /// The volumes of the mounted configmaps and secrets, with their mounts
    /// and sources into `named`; a volume name taken twice is an error.
    fn data_volumes(&mut self, objects: &[DataObject], named: &mut Mountable) -> Vec<PodVolume> {
        let mounted_configmaps: BTreeSet<&str> = (objects.iter())
            .filter(|o| o.kind == ObjectKind::ConfigMap && o.uses.mount.is_some())
            .filter_map(|o| Some(o.uses.volume.as_ref()?.name.as_str()))
            .collect();
        let mut pod_volumes = Vec::new();
        for o in objects {
            let (Some(mount), Some(volume)) = (&o.uses.mount, &o.uses.volume) else {
                continue;
            };
            let mut volume = volume.clone();
            // A ConfigMap and a Secret of one name, both mounted: the
            // Secret's volume takes `-secret` (neither alone is renamed),
            // and a sidecar's `mounts` names it so.
            let mut key = o.key.clone();
            let twin = mounted_configmaps.contains(volume.name.as_str());
            let renamed = format!("{}-secret", volume.name);
            if twin
                && o.kind == ObjectKind::Secret
                && renamed.len() <= validate::LABEL_MAX
                && !named.volume_names.contains_key(&renamed)
            {
                key.clone_from(&renamed);
                volume.name = renamed;
            }
            if named.volume_names.contains_key(&volume.name) {
                self.error_help(
                    format!(
                        "two mounted sources share the pod volume name `{}`",
                        volume.name
                    ),
                    o.key_span.clone(),
                    "duplicate volume name",
                    "volumes, and mounted configmaps and secrets, need distinct names",
                );
            }
            named.volume_names.insert(volume.name.clone(), o.key_span.clone());
            named.sources.insert(
                key.clone(),
                MountSource {
                    volume: volume.name.clone(),
                    read_only: true,
                    data: true,
                    template: false,
                },
            );
            named.mounts.insert(
                key,
                vec![VolumeMount {
                    name: volume.name.clone(),
                    mount_path: mount.get_ref().clone(),
                    sub_path: o.uses.sub_path.clone(),
                    read_only: true,
                }],
            );
            pod_volumes.push(volume);
        }
        pod_volumes
    }

    /// The claims' sources, into `named`; a claim named as a volume,
    /// configmap or secret is an error.
    fn claim_sources(&mut self, claims: &[ClaimUse], named: &mut Mountable) {
        for c in claims {
            let key = &c.claim.key;
            if named.mounts.contains_key(key) || named.volume_names.contains_key(key) {
                self.error_help(
                    format!("claim `{key}` has the name of a volume, configmap or secret"),
                    c.key_span.clone(),
                    "duplicate name",
                    "`mounts` lists claims, volumes, configmaps and secrets by name: give each its own",
                );
            }
        }
        for c in claims {
            named.sources.entry(c.claim.key.clone()).or_insert(MountSource {
                volume: c.claim.key.clone(),
                read_only: c.read_only,
                data: false,
                template: false,
            });
        }
    }

    /// Where `[volumes.NAME]` is mounted: its `mount` path (with `sub_path`
    /// and `read_only`), or each entry of its `mount` list; each with the
    /// path as written, for errors.
    fn volume_mounts(
        &mut self,
        name: &str,
        v: &spec::VolumeSpec,
    ) -> Vec<(Spanned<String>, VolumeMount)> {
        let Some(mount) = &v.mount else {
            return Vec::new();
        };
        let read_only = v.read_only.unwrap_or(false);
        let entries = match mount.get_ref() {
            spec::VolumeMountSpec::Path(path) => {
                let sub_path = v.sub_path.as_ref().map(|s| s.get_ref().clone());
                let vm = VolumeMount {
                    name: name.to_owned(),
                    mount_path: path.clone(),
                    sub_path,
                    read_only,
                };
                return vec![(Spanned::new(mount.span(), path.clone()), vm)];
            }
            spec::VolumeMountSpec::List(entries) => entries,
        };
        if let Some(sp) = &v.sub_path {
            self.error_help(
                "`sub_path` does not go with a list of mounts",
                sp.span(),
                "which mount?",
                "give each entry of `mount` its own `sub_path`",
            );
        }
        if entries.is_empty() {
            self.error_help(
                format!("volume `{name}` has an empty `mount` list"),
                mount.span(),
                "mounted nowhere",
                "add `{ path = \"/data\" }`, or write `mount = \"/data\"`",
            );
        }
        let mut out = Vec::new();
        for e in entries {
            let e = e.get_ref();
            if let Some(named) = &e.volume {
                self.error_help(
                    "`volume` goes in a container's `mounts`, not in a volume's own `mount` list",
                    named.span(),
                    "not here",
                    format!("each entry of `mount` mounts `{name}` itself: remove `volume`"),
                );
            }
            let sub_path = e.sub_path.as_ref().and_then(|sp| {
                self.check(sp, "sub-path", validate::relative_path)
                    .then(|| sp.get_ref().clone())
            });
            out.push((
                e.path.clone(),
                VolumeMount {
                    name: name.to_owned(),
                    mount_path: e.path.get_ref().clone(),
                    sub_path,
                    read_only: e.read_only.unwrap_or(read_only),
                },
            ));
        }
        out
    }

    /// `[volumes.X]` with `empty_dir` or `claim`: a pod volume rather than a
    /// claim template (`None` for a claim template, or when it was reported).
    fn other_volume(
        &mut self,
        name: &Spanned<String>,
        v: &spec::VolumeSpec,
    ) -> Option<OtherVolume> {
        let (empty_dir, claim) = (v.empty_dir.as_ref(), v.claim.as_ref());
        if empty_dir.is_none() && claim.is_none() {
            return None;
        }
        let with = if empty_dir.is_some() {
            "empty_dir"
        } else {
            "claim"
        };
        let claim_too = empty_dir.and(claim.map(|c| c.span()));
        self.refuse_template_fields(name, v, with, claim_too.map(|span| ("claim", span)));
        let source = match (empty_dir, claim) {
            (Some(e), _) => self.empty_dir(e)?,
            (None, Some(c)) => {
                self.check(c, "claim name", validate::dns_subdomain);
                VolumeSource::Claim {
                    claim_name: c.get_ref().clone(),
                    read_only: v.read_only.unwrap_or(false),
                }
            }
            (None, None) => return None,
        };
        Some(OtherVolume {
            name: name.get_ref().clone(),
            source,
        })
    }

    /// `empty_dir = true` or `{ medium, size_limit }`.
    fn empty_dir(&mut self, e: &Spanned<spec::EmptyDirSpec>) -> Option<VolumeSource> {
        let t = match e.get_ref() {
            spec::EmptyDirSpec::Enabled(true) => {
                return Some(VolumeSource::EmptyDir {
                    medium: None,
                    size_limit: None,
                })
            }
            spec::EmptyDirSpec::Enabled(false) => {
                self.error_help(
                    "`empty_dir = false` makes no volume",
                    e.span(),
                    "false",
                    "write `empty_dir = true`, or `size` for a claim template per pod",
                );
                return None;
            }
            spec::EmptyDirSpec::Table(t) => t,
        };
        let medium = (t.medium.as_ref()).and_then(|m| self.keyword(m, "emptyDir medium"));
        let size_limit =
            t.size_limit
                .as_ref()
                .and_then(|s| match Quantity::parse(&s.get_ref().0) {
                    Ok(q) if !q.is_zero() => Some(q),
                    Ok(_) => {
                        self.error("`size_limit` must be more than 0", s.span(), "zero");
                        None
                    }
                    Err(reason) => {
                        self.error(
                            format!("`{}` is not a valid size", s.get_ref().0.escape_debug()),
                            s.span(),
                            reason,
                        );
                        None
                    }
                });
        Some(VolumeSource::EmptyDir { medium, size_limit })
    }

    /// Mount paths must be absolute and distinct; the main container mounts
    /// every one of them. `mounts` holds each source's name and its `mount`.
    fn mount_paths(&mut self, mut mounts: Vec<(&str, Spanned<String>)>) {
        mounts.sort_by_key(|(_, m)| m.span().start);
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for (source, m) in &mounts {
            if !self.check(m, "mount path", validate::mount_path) {
                continue;
            }
            let path = match m.get_ref().trim_end_matches('/') {
                "" => "/",
                p => p,
            };
            if let Some(first) = seen.get(path) {
                let message = if first == source {
                    format!("`{source}` is mounted twice at `{path}`")
                } else {
                    format!("`{source}` and `{first}` are both mounted at `{path}`")
                };
                self.error_help(
                    message,
                    m.span(),
                    "mount path already used",
                    "give each volume, configmap and secret its own `mount` path",
                );
            } else {
                seen.insert(path.to_owned(), source);
            }
        }
    }

    /// `image_pull_secrets` as written (a generated Secret by its final
    /// name), then the generated Secrets marked `image_pull`.
    fn image_pull_secrets(
        &mut self,
        written: &[Spanned<String>],
        objects: &[DataObject],
    ) -> Vec<String> {
        let mut names = Vec::new();
        for s in written {
            if self.check(s, "Secret name", validate::dns_subdomain) {
                // A generated Secret's name may carry a hash suffix: refer to the
                // final name, as kustomize rewrites imagePullSecrets.
                let generated = objects
                    .iter()
                    .find(|o| o.kind == ObjectKind::Secret && o.key == *s.get_ref());
                names.push(generated.map_or_else(|| s.get_ref().clone(), |o| o.name.clone()));
            }
        }
        names.extend(
            (objects.iter())
                .filter(|o| o.uses.image_pull)
                .map(|o| o.name.clone()),
        );
        names.sort();
        names.dedup();
        names
    }

    fn pod_security(
        &mut self,
        sc: Option<&Spanned<spec::SecurityContextSpec>>,
        pod_sc: Option<&Spanned<spec::PodSecurityContextSpec>>,
    ) -> Security {
        if let Some(pod_sc) = pod_sc {
            return self.exact_pod_security(sc, pod_sc.get_ref());
        }
        let Some(sc) = sc else {
            return Security {
                pod: None,
                main: None,
                exact: false,
            };
        };
        let s = sc.get_ref();
        let pod = PodSecurityContext {
            run_as_user: s.run_as_user.as_ref().map(|v| *v.get_ref()),
            run_as_group: s.run_as_group.as_ref().map(|v| *v.get_ref()),
            run_as_non_root: s.run_as_non_root,
            fs_group: s.fs_group.as_ref().map(|v| *v.get_ref()),
            fs_group_change_policy: (s.fs_group_change_policy.as_ref())
                .and_then(|v| self.keyword(v, "fs group change policy")),
            seccomp_profile: (s.seccomp_profile.as_ref())
                .and_then(|v| self.keyword(v, "seccomp profile")),
        };
        Security {
            pod: Some(pod),
            main: self.container_security(s, true),
            exact: false,
        }
    }

    /// `pod_security_context` is the pod's, as written (none when it is
    /// empty); `security_context` the main container's, all of it.
    fn exact_pod_security(
        &mut self,
        sc: Option<&Spanned<spec::SecurityContextSpec>>,
        p: &spec::PodSecurityContextSpec,
    ) -> Security {
        for (field, id) in [
            ("run_as_user", &p.run_as_user),
            ("run_as_group", &p.run_as_group),
            ("fs_group", &p.fs_group),
        ] {
            if let Some(id) = id {
                if let Err(reason) = validate::unix_id(*id.get_ref()) {
                    self.error(format!("`{field}` is not a valid ID"), id.span(), reason);
                }
            }
        }
        let pod = PodSecurityContext {
            run_as_user: p.run_as_user.as_ref().map(|v| *v.get_ref()),
            run_as_group: p.run_as_group.as_ref().map(|v| *v.get_ref()),
            run_as_non_root: p.run_as_non_root.as_ref().map(|v| *v.get_ref()),
            fs_group: p.fs_group.as_ref().map(|v| *v.get_ref()),
            fs_group_change_policy: (p.fs_group_change_policy.as_ref())
                .and_then(|v| self.keyword(v, "fs group change policy")),
            seccomp_profile: (p.seccomp_profile.as_ref())
                .and_then(|v| self.keyword(v, "seccomp profile")),
        };
        let empty = pod.run_as_user.is_none()
            && pod.run_as_group.is_none()
            && pod.run_as_non_root.is_none()
            && pod.fs_group.is_none()
            && pod.fs_group_change_policy.is_none()
            && pod.seccomp_profile.is_none();
        let main = sc.and_then(|sc| {
            self.pod_wide_elsewhere(sc.get_ref(), "with `pod_security_context` written, set it there");
            self.container_security(sc.get_ref(), false)
        });
        Security {
            pod: (!empty).then_some(pod),
            main,
            exact: true,
        }
    }

    /// An error for each pod-wide setting (`fs_group`, its change policy)
    /// written in a container's `security_context`; `help` says where it goes.
    pub(super) fn pod_wide_elsewhere(&mut self, s: &spec::SecurityContextSpec, help: &str) {
        if let Some(fs) = &s.fs_group {
            self.error_help("`fs_group` is pod-wide", fs.span(), "not a container setting", help);
        }
        if let Some(policy) = &s.fs_group_change_policy {
            self.error_help(
                "`fs_group_change_policy` is pod-wide",
                policy.span(),
                "not a container setting",
                help,
            );
        }
    }

    /// What the API server refuses in a security context: IDs out of range,
    /// and `allow_privilege_escalation = false` with a setting that implies it.
    fn security_rules(&mut self, s: &spec::SecurityContextSpec) {
        for (field, id) in [
            ("run_as_user", &s.run_as_user),
            ("run_as_group", &s.run_as_group),
            ("fs_group", &s.fs_group),
        ] {
            if let Some(id) = id {
                if let Err(reason) = validate::unix_id(*id.get_ref()) {
                    self.error(format!("`{field}` is not a valid ID"), id.span(), reason);
                }
            }
        }
        let Some(no_escalation) = s
            .allow_privilege_escalation
            .as_ref()
            .filter(|a| !*a.get_ref())
        else {
            return;
        };
        if s.privileged.as_ref().is_some_and(|p| *p.get_ref()) {
            self.error_help(
                "`allow_privilege_escalation = false` contradicts `privileged = true`",
                no_escalation.span(),
                "a privileged container can always escalate",
                "remove one of the two",
            );
        }
        let sys_admin = s
            .capabilities
            .iter()
            .flat_map(|c| &c.add)
            .find(|c| matches!(c.get_ref().as_str(), "SYS_ADMIN" | "CAP_SYS_ADMIN"));
        if let Some(cap) = sys_admin {
            self.error_help(
                format!(
                    "adding `{}` contradicts `allow_privilege_escalation = false`",
                    cap.get_ref()
                ),
                cap.span(),
                "implies privilege escalation",
                "drop the capability, or remove `allow_privilege_escalation = false`",
            );
        }
    }

    pub(super) fn container_security(
        &mut self,
        s: &spec::SecurityContextSpec,
        main: bool,
    ) -> Option<ContainerSecurityContext> {
        self.security_rules(s);
        let caps = s.capabilities.as_ref();
        let c = ContainerSecurityContext {
            // The pod-level settings cover the main container already.
            run_as_user: if main {
                None
            } else {
                s.run_as_user.as_ref().map(|v| *v.get_ref())
            },
            run_as_group: if main {
                None
            } else {
                s.run_as_group.as_ref().map(|v| *v.get_ref())
            },
            run_as_non_root: if main { None } else { s.run_as_non_root },
            read_only_root_filesystem: s.read_only_root_filesystem,
            allow_privilege_escalation: s.allow_privilege_escalation.as_ref().map(|v| *v.get_ref()),
            privileged: s.privileged.as_ref().map(|v| *v.get_ref()),
            capabilities_add: caps
                .map(|c| c.add.iter().map(|v| v.get_ref().clone()).collect())
                .unwrap_or_default(),
            capabilities_drop: caps
                .map(|c| c.drop.iter().map(|v| v.get_ref().clone()).collect())
                .unwrap_or_default(),
            seccomp_profile: if main {
                None
            } else {
                (s.seccomp_profile.as_ref()).and_then(|v| self.keyword(v, "seccomp profile"))
            },
        };
        let empty = c.run_as_user.is_none()
            && c.run_as_group.is_none()
            && c.run_as_non_root.is_none()
            && c.read_only_root_filesystem.is_none()
            && c.allow_privilege_escalation.is_none()
            && c.privileged.is_none()
            && c.capabilities_add.is_empty()
            && c.capabilities_drop.is_empty()
            && c.seccomp_profile.is_none();
        (!empty).then_some(c)
    }

    /// The main container: it mounts everything mountable and reads the
    /// generated objects' `env` and `env_from`.
    fn main_container(
        &mut self,
        main: spec::ContainerSpec,
        ports: Vec<(Spanned<String>, ContainerPort)>,
        security: Option<ContainerSecurityContext>,
        mounts: &Mounts,
        objects: &[DataObject],
    ) -> Container {
        let config_env = (objects.iter())
            .flat_map(|o| o.uses.env.iter().cloned())
            .collect();
        let all_mounts = mounts.mountable.values().flatten().cloned().collect();
        let mut main = self.container(main, Role::Main, objects, ports, config_env, all_mounts);
        main.security_context = security;
        main.env_from
            .extend(objects.iter().filter_map(|o| o.uses.env_from.clone()));
        main.env_from
            .sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        main.env_from
            .dedup_by(|a, b| (a.kind, &a.name) == (b.kind, &b.name));
        main
    }

    /// The main container and the sidecars, and the init containers;
    /// container names are unique. `exact`: `pod_security_context` is written.
    fn extra_containers(
        &mut self,
        main: Container,
        (sidecars, init_containers): (Vec<Spanned<spec::ContainerSpec>>, Vec<Spanned<spec::ContainerSpec>>),
        exact: bool,
        mounts: &Mounts,
        objects: &[DataObject],
    ) -> (Vec<Container>, Vec<Container>) {
        let where_pod_wide = if exact {
            "set it in `pod_security_context`"
        } else {
            "set it in the top-level `security_context`"
        };
        let app = main.name.clone();
        let mut names: BTreeSet<String> = [app.clone()].into();
        let mut containers = vec![main];
        let mut inits = Vec::new();
        for (list, written_role) in [(sidecars, Role::Sidecar), (init_containers, Role::Init)] {
            for c in list {
                let c = c.into_inner();
                let role = self.native(&c, written_role);
                if self.check(&c.name, "container name", |s| {
                    validate::dns_label(s, validate::LABEL_MAX)
                }) && !names.insert(c.name.get_ref().clone())
                {
                    self.error_help(
                        format!("two containers are named `{}`", c.name.get_ref()),
                        c.name.span(),
                        "duplicate container name",
                        format!("the main container is named after the app, `{app}`"),
                    );
                }
                let container_mounts = self.container_mounts(
                    c.name.get_ref(),
                    &c.mounts,
                    &mounts.listable(),
                    &mounts.sources,
                );
                let ports = self.ports(&c.ports);
                let security = c.security_context.as_ref().and_then(|sc| {
                    self.pod_wide_elsewhere(sc.get_ref(), where_pod_wide);
                    self.container_security(sc.get_ref(), false)
                });
                let mut lowered =
                    self.container(c, role, objects, ports, Vec::new(), container_mounts);
                lowered.security_context = security;
                match role {
                    // Sidecars come first in the list, so native ones precede the init containers.
                    Role::Init | Role::NativeSidecar => inits.push(lowered),
                    Role::Main | Role::Sidecar => containers.push(lowered),
                }
            }
        }
        (containers, inits)
    }

    /// The role a `[[sidecars]]` or `[[init_containers]]` entry takes: a
    /// sidecar with `native = true` is a native sidecar; `native` anywhere
    /// else is an error (the release check is [`crate::check::policy`]'s).
    fn native(&mut self, c: &spec::ContainerSpec, written: Role) -> Role {
        match (&c.native, written) {
            (Some(n), Role::Sidecar) if *n.get_ref() => Role::NativeSidecar,
            (Some(n), Role::Init) => {
                self.error_help(
                    "`native` is for `[[sidecars]]`",
                    n.span(),
                    "not a sidecar",
                    "an init container runs to completion; move this container to `[[sidecars]]` with `native = true` to keep it running",
                );
                written
            }
            _ => written,
        }
    }

    /// A sidecar's, init container's or Job's `mounts`: each name a known
    /// mount, listed once; each table a known source at a path of this
    /// container's own; no two at one path.
    pub(super) fn container_mounts(
        &mut self,
        container: &str,
        entries: &[Spanned<spec::ContainerMount>],
        listable: &BTreeMap<String, Vec<VolumeMount>>,
        sources: &BTreeMap<String, MountSource>,
    ) -> Vec<VolumeMount> {
        // Each mount with where it is written, and whether its path is this container's own.
        let mut mounts: Vec<(Span, bool, VolumeMount)> = Vec::new();
        let mut listed = BTreeSet::new();
        for m in entries {
            let name = match m.get_ref() {
                spec::ContainerMount::Name(name) => name,
                spec::ContainerMount::At(e) => {
                    if let Some(vm) = self.mount_at(e, m.span(), sources) {
                        mounts.push((e.path.span(), true, vm));
                    }
                    continue;
                }
            };
            match listable.get(name) {
                Some(_) if !listed.insert(name) => self.error(
                    format!("`{name}` is listed twice in `mounts`"),
                    m.span(),
                    "already mounted",
                ),
                // A volume mounted at several paths is mounted at all of them.
                Some(vms) => mounts.extend(vms.iter().map(|vm| (m.span(), false, vm.clone()))),
                None => {
                    let known: Vec<&str> = listable.keys().map(String::as_str).collect();
                    let help = suggest(name, &known, "mountable:", "nothing has a `mount` path yet");
                    self.error_help(
                        format!("`{name}` is not a mounted volume, configmap or secret"),
                        m.span(),
                        "unknown mount",
                        help,
                    );
                }
            }
        }
        // Paths written for this container may meet each other or a listed
        // source's (listed sources' paths were checked pod-wide).
        let mut seen: BTreeMap<&str, (bool, &VolumeMount)> = BTreeMap::new();
        for (span, own, vm) in &mounts {
            let path = match vm.mount_path.trim_end_matches('/') {
                "" => "/",
                p => p,
            };
            match seen.get(path) {
                Some((first_own, _)) if !own && !first_own => {}
                Some((_, first)) => self.error_help(
                    format!("container `{container}` has two mounts at `{path}`"),
                    span.clone(),
                    "mount path already used in this container",
                    format!("`{}` is mounted there already: give each mount its own `path`", first.name),
                ),
                None => {
                    seen.insert(path, (*own, vm));
                }
            }
        }
        mounts.into_iter().map(|(_, _, vm)| vm).collect()
    }

    /// `{ volume = "x", path = "/p", sub_path, read_only }` in a container's `mounts`.
    fn mount_at(
        &mut self,
        e: &spec::VolumeMountEntry,
        span: Span,
        sources: &BTreeMap<String, MountSource>,
    ) -> Option<VolumeMount> {
        let Some(name) = &e.volume else {
            self.error_help(
                "a `mounts` table needs `volume`",
                span,
                "which volume?",
                "name the volume, claim, configmap or secret: `{ volume = \"data\", path = \"/data\" }`",
            );
            return None;
        };
        let path_ok = self.check(&e.path, "mount path", validate::mount_path);
        let sub_path = e.sub_path.as_ref().and_then(|sp| {
            self.check(sp, "sub-path", validate::relative_path)
                .then(|| sp.get_ref().clone())
        });
        let Some(source) = sources.get(name.get_ref()) else {
            let known: Vec<&str> = sources.keys().map(String::as_str).collect();
            let help = suggest(
                name.get_ref(),
                &known,
                "mountable:",
                "no volume, claim, or configmap or secret with `mount`, yet",
            );
            self.error_help(
                format!("`{}` is not a volume, claim, or mounted configmap or secret", name.get_ref()),
                name.span(),
                "unknown volume",
                help,
            );
            return None;
        };
        if source.data && e.read_only == Some(false) {
            self.error_help(
                "a configmap or secret is always mounted read-only",
                span.clone(),
                "read_only = false",
                "remove `read_only`",
            );
        }
        path_ok.then(|| VolumeMount {
            name: source.volume.clone(),
            mount_path: e.path.get_ref().clone(),
            sub_path,
            read_only: e.read_only.unwrap_or(source.read_only) || source.data,
        })
    }

    /// Tolerations, the topology spread and the node selector.
    fn scheduling(
        &mut self,
        node_selector: &Map<String>,
        tolerations: &[Spanned<spec::TolerationSpec>],
        spread: Option<&Spanned<spec::SpreadSpec>>,
        selector: &StringMap,
    ) -> Scheduling {
        let tolerations = tolerations
            .iter()
            .filter_map(|t| self.toleration(t))
            .collect();
        let topology_spread = spread
            .map(|s| self.spread(s, selector))
            .into_iter()
            .collect();
        let node_selector = node_selector
            .iter()
            .filter(|(k, v)| {
                let ok = self.check(k, "node label key", validate::qualified_name);
                self.check(v, "node label value", validate::label_value) && ok
            })
            .map(|(k, v)| (k.get_ref().clone(), v.get_ref().clone()))
            .collect();
        Scheduling {
            node_selector,
            tolerations,
            topology_spread,
        }
    }

    pub(super) fn toleration(&mut self, t: &Spanned<spec::TolerationSpec>) -> Option<Toleration> {
        let s = t.get_ref();
        // `Equal` stands in for an unknown operator: the error keeps the model from being used.
        let operator = (s.operator.as_ref())
            .and_then(|o| self.keyword(o, "toleration operator"))
            .unwrap_or(TolerationOperator::Equal);
        if operator == TolerationOperator::Exists {
            if let Some(v) = &s.value {
                self.error(
                    "a toleration with `operator = \"Exists\"` takes no `value`",
                    v.span(),
                    "remove it",
                );
            }
        } else if let Some(v) = &s.value {
            self.check(v, "taint value", validate::label_value);
        }
        if operator != TolerationOperator::Exists && s.key.is_none() {
            self.error_help(
                "a toleration without `key` needs `operator = \"Exists\"`",
                t.span(),
                "no key",
                "add `key`, or `operator = \"Exists\"` to tolerate every taint",
            );
        }
        if let Some(k) = &s.key {
            self.check(k, "taint key", validate::qualified_name);
        }
        let effect = (s.effect.as_ref()).and_then(|e| self.keyword(e, "taint effect"));
        if let Some(ts) = &s.toleration_seconds {
            if effect != Some(TaintEffect::NoExecute) {
                self.error(
                    "`toleration_seconds` only applies to `effect = \"NoExecute\"`",
                    ts.span(),
                    "no effect",
                );
            }
        }
        Some(Toleration {
            key: s.key.as_ref().map(|k| k.get_ref().clone()),
            operator,
            value: s.value.as_ref().map(|v| v.get_ref().clone()),
            effect,
            toleration_seconds: s.toleration_seconds.as_ref().map(|v| *v.get_ref()),
        })
    }

    fn spread(&mut self, s: &Spanned<spec::SpreadSpec>, selector: &StringMap) -> TopologySpread {
        let (across, max_skew, required) = match s.get_ref() {
            spec::SpreadSpec::Across(a) => (a.clone(), 1, true),
            spec::SpreadSpec::Table(t) => (
                t.across.clone(),
                t.max_skew.unwrap_or(1),
                t.required.unwrap_or(true),
            ),
        };
        if max_skew < 1 {
            self.error("`max_skew` must be at least 1", s.span(), "too small");
        }
        let topology_key = self.topology_key(&across, s.span());
        TopologySpread {
            max_skew,
            topology_key,
            when_unsatisfiable: if required {
                WhenUnsatisfiable::DoNotSchedule
            } else {
                WhenUnsatisfiable::ScheduleAnyway
            },
            match_labels: selector.clone(),
        }
    }

    /// `"node"`, `"zone"` or a node label key, as a `topologyKey`.
    pub(super) fn topology_key(&mut self, across: &str, span: Span) -> String {
        match across {
            "node" => "kubernetes.io/hostname".to_owned(),
            "zone" => "topology.kubernetes.io/zone".to_owned(),
            other => {
                if validate::qualified_name(other).is_err() {
                    self.error_help(
                        format!("`{other}` is not a node label key"),
                        span,
                        "invalid topology",
                        "use \"node\", \"zone\" or a node label key such as `topology.kubernetes.io/region`",
                    );
                }
                other.to_owned()
            }
        }
    }
}

impl Lowerer<'_> {
    /// An error for each claim-template field (`size`, `storage_class`,
    /// `access_modes`, and `extra`) that pod volume `name`, a volume of
    /// `with`, writes; whether it writes none.
    pub(super) fn refuse_template_fields(
        &mut self,
        name: &Spanned<String>,
        v: &spec::VolumeSpec,
        with: &str,
        extra: Option<(&str, Range<usize>)>,
    ) -> bool {
        let template_only = [
            ("size", v.size.as_ref().map(|x| x.span())),
            ("storage_class", v.storage_class.as_ref().map(|x| x.span())),
            (
                "access_modes",
                (v.access_modes.as_ref())
                    .and_then(|m| m.first())
                    .map(|x| x.span()),
            ),
        ];
        let mut ok = true;
        let extra = extra.map(|(field, span)| (field, Some(span)));
        for (field, span) in template_only.into_iter().chain(extra) {
            if let Some(span) = span {
                self.error_help(
                    format!("`{field}` does not go with `{with}`"),
                    span,
                    "not a claim template",
                    format!(
                        "volume `{}` is a pod volume: remove `{field}`",
                        name.get_ref()
                    ),
                );
                ok = false;
            }
        }
        ok
    }
}
