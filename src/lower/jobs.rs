//! `[jobs.X]` and `[cronjobs.X]`: a pod template each, its one container
//! lowered as every container is (`container`), its pod built from the app's:
//! image (by default), image pull Secrets, service account and token,
//! pod-wide security settings, node selector, tolerations, DNS and host
//! aliases; the pod's own labels keep it out of every selector of the app.

use super::container::Role;
use super::context::*;
use super::data::DataObject;
use super::pod::{main_container, Mounts};
use crate::check::cron;
use crate::write::render::Templates;

/// The label naming the `[jobs.X]` a pod belongs to.
pub const JOB_LABEL: &str = "kubetoml.dev/job";
/// The label naming the `[cronjobs.X]` a pod belongs to.
pub const CRONJOB_LABEL: &str = "kubetoml.dev/cronjob";
/// `ttl_after_finished` when not written: a day, so finished Jobs go away.
pub const DEFAULT_TTL: i64 = 86400;
/// A Job's name is each of its pods' `job-name` label: a label value.
const JOB_NAME_MAX: usize = 63;
/// The CronJob controller appends 11 characters to name each Job.
const CRONJOB_NAME_MAX: usize = 52;

/// What the Job pods take from the app's pod, lowered.
pub(super) struct AppPod<'a> {
    pub(super) app: &'a Identity,
    pub(super) pod: &'a PodTemplate,
    pub(super) mounts: &'a Mounts,
    pub(super) objects: &'a [DataObject],
}

impl Lowerer<'_> {
    /// Every `[jobs.X]`, named `<app>-<X>-<hash of the rest>`.
    pub(super) fn jobs(&mut self, jobs: Map<spec::JobSpec>, base: &AppPod) -> Vec<Job> {
        let mut out = Vec::new();
        for (key, job) in jobs {
            let (settings, pod, labels) = self.job_pod(&key, job.into_inner(), JOB_LABEL, base);
            let mut job = Job {
                metadata: Metadata {
                    name: String::new(),
                    namespace: base.app.namespace.clone(),
                    labels,
                    annotations: base.app.annotations.clone(),
                },
                key: key.get_ref().clone(),
                settings,
                pod,
            };
            // `name_jobs` names it once the model is complete; the hash is 10 characters.
            let name = format!("{}-{}-<hash>", base.app.name, key.get_ref());
            let length = name.len() - "<hash>".len() + 10;
            self.name_fits(&key, &name, length, JOB_NAME_MAX, "Job", "each of its pods is labelled `job-name: NAME`, a label value");
            job.metadata.name = name;
            out.push(job);
        }
        out
    }

    /// Every `[cronjobs.X]`, named `<app>-<X>`.
    pub(super) fn cron_jobs(
        &mut self,
        cronjobs: Map<spec::CronJobSpec>,
        base: &AppPod,
    ) -> Vec<CronJob> {
        let mut out = Vec::new();
        for (key, c) in cronjobs {
            let (s, job) = c.into_inner().split();
            let name = format!("{}-{}", base.app.name, key.get_ref());
            self.name_fits(&key, &name, name.len(), CRONJOB_NAME_MAX, "CronJob", "the controller names each Job `NAME-<11 characters>`, which must fit in 63");
            let (settings, pod, labels) = self.job_pod(&key, job, CRONJOB_LABEL, base);
            if let Err(reason) = cron::parse(s.schedule.get_ref()) {
                let help = if reason.contains("TZ") {
                    "write the zone as `time_zone = \"Europe/Paris\"`".to_owned()
                } else {
                    "five fields, `minute hour day-of-month month day-of-week` (\"0 3 * * *\"), or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, `@every 1h30m`".to_owned()
                };
                self.error_help(
                    format!("`{}` is not a valid schedule", s.schedule.get_ref().escape_debug()),
                    s.schedule.span(),
                    reason,
                    help,
                );
            }
            let time_zone = s.time_zone.map(|tz| {
                if let Err(reason) = cron::check_time_zone(tz.get_ref()) {
                    let help = match did_you_mean(tz.get_ref(), cron::time_zones()) {
                        Some(best) => format!("{reason}: did you mean `{best}`?"),
                        None => format!("{reason}: an IANA name such as `Etc/UTC`, `Europe/Paris` or `America/New_York`"),
                    };
                    self.error_help(
                        format!("`{}` is not a valid time zone", tz.get_ref().escape_debug()),
                        tz.span(),
                        "unknown value",
                        help,
                    );
                }
                tz.into_inner()
            });
            let concurrency_policy = (s.concurrency_policy.as_ref())
                .and_then(|p| self.keyword(p, "concurrency policy"))
                .unwrap_or(ConcurrencyPolicy::Forbid);
            out.push(CronJob {
                metadata: Metadata {
                    name,
                    namespace: base.app.namespace.clone(),
                    labels: labels.clone(),
                    annotations: base.app.annotations.clone(),
                },
                key: key.get_ref().clone(),
                schedule: s.schedule.into_inner(),
                time_zone,
                concurrency_policy,
                starting_deadline: self.at_least(&s.starting_deadline, 0, "`starting_deadline`"),
                suspend: s.suspend.map(Spanned::into_inner),
                successful_jobs_history: self.at_least(
                    &s.successful_jobs_history,
                    0,
                    "`successful_jobs_history`",
                ),
                failed_jobs_history: self.at_least(&s.failed_jobs_history, 0, "`failed_jobs_history`"),
                job_labels: labels,
                settings,
                pod,
            });
        }
        out
    }

    fn name_fits(
        &mut self,
        key: &Spanned<String>,
        name: &str,
        length: usize,
        max: usize,
        kind: &str,
        why: &str,
    ) {
        if length > max {
            self.error_help(
                format!("the {kind} name `{name}` is too long"),
                key.span(),
                format!("{length} characters, at most {max} are allowed"),
                format!("{why}: shorten the app's name or this table's"),
            );
        }
    }

    /// A Job's settings, pod template and labels.
    fn job_pod(
        &mut self,
        key: &Spanned<String>,
        job: spec::JobSpec,
        kind_label: &str,
        base: &AppPod,
    ) -> (JobSettings, PodTemplate, StringMap) {
        let spec::JobSpec {
            image,
            image_pull_policy,
            command,
            args,
            working_dir,
            env,
            env_from,
            resources,
            security_context,
            mounts,
            restart_policy,
            backoff_limit,
            active_deadline,
            ttl_after_finished,
            parallelism,
            completions,
            service_account,
            node_selector,
            tolerations,
        } = job;
        self.check(key, "job name", |s| validate::dns_label(s, validate::LABEL_MAX));
        let mut labels = base.app.labels.clone();
        labels.insert(RECOMMENDED_INSTANCE.to_owned(), format!("{}-{}", base.app.name, key.get_ref()));
        labels.insert(kind_label.to_owned(), key.get_ref().clone());
        let spec = spec::ContainerSpec {
            image,
            image_pull_policy,
            command,
            args,
            working_dir,
            env,
            env_from,
            resources,
            mounts,
            ..main_container(key.clone())
        };
        let container = self.job_container(key, spec, security_context.as_ref(), base);
        let (volumes, other_volumes) = job_volumes(&container, base);
        let (service_account, node_selector, tolerations) =
            self.job_placement(service_account, node_selector, tolerations, base);
        let restart_policy = (restart_policy.as_ref())
            .and_then(|r| self.keyword(r, "restart policy for a Job"))
            .unwrap_or(RestartPolicy::OnFailure);
        let pod = PodTemplate {
            restart_policy: Some(restart_policy),
            labels: labels.clone(),
            annotations: base.app.annotations.clone(),
            priority_class_name: None,
            service_account,
            automount_service_account_token: base.pod.automount_service_account_token,
            enable_service_links: base.pod.enable_service_links,
            security_context: base.pod.security_context.clone(),
            security_context_exact: base.pod.security_context_exact,
            node_selector,
            tolerations,
            topology_spread: Vec::new(),
            termination_grace_period: None,
            host_aliases: base.pod.host_aliases.clone(),
            affinity: None,
            dns_policy: base.pod.dns_policy,
            dns_config: base.pod.dns_config.clone(),
            image_pull_secrets: base.pod.image_pull_secrets.clone(),
            init_containers: Vec::new(),
            containers: vec![container],
            volumes,
            other_volumes,
        };
        self.check_container_refs(&pod);
        let settings = JobSettings {
            backoff_limit: self.at_least(&backoff_limit, 0, "`backoff_limit`"),
            active_deadline: self.at_least(&active_deadline, 1, "`active_deadline`"),
            ttl_after_finished: self
                .at_least(&ttl_after_finished, 0, "`ttl_after_finished`")
                .unwrap_or(DEFAULT_TTL),
            parallelism: self.at_least(&parallelism, 0, "`parallelism`"),
            completions: self.at_least(&completions, 1, "`completions`"),
        };
        (settings, pod, labels)
    }

    /// A Job's one container: the app's image, pulled as the app's is,
    /// unless it names its own; its mounts; its security context, whose
    /// pod-wide fields belong to the app's pod.
    fn job_container(
        &mut self,
        key: &Spanned<String>,
        mut spec: spec::ContainerSpec,
        security_context: Option<&Spanned<spec::SecurityContextSpec>>,
        base: &AppPod,
    ) -> Container {
        let main = &base.pod.containers[0];
        if spec.image.is_none() {
            spec.image = Some(Spanned::new(key.span(), main.image.clone()));
            spec.image_pull_policy = spec.image_pull_policy.or_else(|| {
                main.image_pull_policy
                    .map(|p| Spanned::new(key.span(), p.as_str().to_owned()))
            });
        }
        let volume_mounts = self.job_mounts(key.get_ref(), &spec.mounts, base);
        let where_pod_wide = if base.pod.security_context_exact {
            "set it in `pod_security_context`: Job pods take the app's"
        } else {
            "set it in the top-level `security_context`: Job pods take the app's"
        };
        let security = security_context.and_then(|sc| {
            self.pod_wide_elsewhere(sc.get_ref(), where_pod_wide);
            self.container_security(sc.get_ref(), false)
        });
        let mut container =
            self.container(spec, Role::Sidecar, base.objects, Vec::new(), Vec::new(), volume_mounts);
        container.security_context = security;
        container
    }

    /// Where a Job's pods run and as whom: its own service account, node
    /// selector and tolerations, or the app's.
    fn job_placement(
        &mut self,
        service_account: Option<Spanned<String>>,
        node_selector: Option<Map<String>>,
        tolerations: Option<Vec<Spanned<spec::TolerationSpec>>>,
        base: &AppPod,
    ) -> (Option<String>, StringMap, Vec<Toleration>) {
        let service_account = match service_account {
            Some(sa) => {
                self.check(&sa, "service account name", validate::dns_subdomain);
                Some(sa.into_inner())
            }
            None => base.pod.service_account.clone(),
        };
        let node_selector = match node_selector {
            Some(ns) => self.node_selector(&ns),
            None => base.pod.node_selector.clone(),
        };
        let tolerations = match tolerations {
            Some(t) => t.iter().filter_map(|t| self.toleration(t)).collect(),
            None => base.pod.tolerations.clone(),
        };
        (service_account, node_selector, tolerations)
    }

    /// A Job's `mounts`: claims, configmaps, secrets and pod volumes; not
    /// claim templates, which belong to each StatefulSet pod.
    fn job_mounts(
        &mut self,
        job: &str,
        entries: &[Spanned<spec::ContainerMount>],
        base: &AppPod,
    ) -> Vec<VolumeMount> {
        let mut listable = base.mounts.listable();
        let mut sources = base.mounts.sources.clone();
        let mut usable = Vec::new();
        for m in entries {
            let name = m.get_ref().source().unwrap_or_default();
            match sources.get(name) {
                Some(source) if source.template => {
                    self.error_help(
                        format!("`{name}` is a claim template: every StatefulSet pod has its own"),
                        m.span(),
                        "not mountable in a Job",
                        format!(
                            "for storage a Job shares with the app, declare `[claims.{name}]` and list it in the sidecars' and the Job's `mounts`"
                        ),
                    );
                    listable.remove(name);
                    sources.remove(name);
                }
                _ => usable.push(m.clone()),
            }
        }
        self.container_mounts(job, &usable, &listable, &sources)
    }

    /// A `node_selector` of a Job's own.
    fn node_selector(&mut self, map: &Map<String>) -> StringMap {
        map.iter()
            .filter(|(k, v)| {
                let ok = self.check(k, "node label key", validate::qualified_name);
                self.check(v, "node label value", validate::label_value) && ok
            })
            .map(|(k, v)| (k.get_ref().clone(), v.get_ref().clone()))
            .collect()
    }
}

/// `<app>-<key>-<hash>`: the hash covers the Job as the built-in
/// `job.yaml` renders it without a name, so the name changes exactly when
/// what kubetoml emits for it does (whatever `--templates` later lays out).
fn job_name(app: &str, job: &Job, templates: &Templates) -> String {
    let mut unnamed = job.clone();
    unnamed.metadata.name = String::new();
    // The built-in templates render every model (tested); the model's JSON stands in otherwise.
    let text = templates.job_text(&unnamed).unwrap_or_else(|_| {
        serde_json::to_string(&unnamed).expect("a model serializes")
    });
    format!("{app}-{}-{}", job.key, hash::job_suffix(&text))
}

/// Names every Job after what it finally holds: called once the model is
/// complete (after `pod_security` filled in what its level requires), so a
/// Job whose output changes in any way is a new Job.
pub fn name_jobs(model: &mut Model) {
    let templates = Templates::builtin();
    let app = model.stateful_set.metadata.name.clone();
    for job in &mut model.jobs {
        job.metadata.name = job_name(&app, job, &templates);
    }
}

/// The pod volumes a Job's container mounts, from the app's pod and the claims.
fn job_volumes(c: &Container, base: &AppPod) -> (Vec<PodVolume>, Vec<OtherVolume>) {
    let used = |name: &str| c.volume_mounts.iter().any(|m| m.name == name);
    let volumes = (base.pod.volumes.iter())
        .filter(|v| used(&v.name))
        .cloned()
        .collect();
    let mut other: Vec<OtherVolume> = (base.mounts.other_volumes.iter())
        .chain(base.mounts.claims.values().map(|(_, v)| v))
        .filter(|v| used(&v.name))
        .cloned()
        .collect();
    other.sort_by(|a, b| a.name.cmp(&b.name));
    (volumes, other)
}

/// The pods `[network_policy]` admits beside the app's own: its Jobs' and CronJobs'.
pub(super) fn job_peers(jobs: &[Job], cron_jobs: &[CronJob]) -> Vec<NetworkPeer> {
    let labels = (jobs.iter().map(|j| (JOB_LABEL, &j.key, &j.pod)))
        .chain(cron_jobs.iter().map(|c| (CRONJOB_LABEL, &c.key, &c.pod)));
    labels
        .map(|(label, key, pod)| {
            let mut selector = StringMap::new();
            selector.insert(label.to_owned(), key.clone());
            if let Some(instance) = pod.labels.get(RECOMMENDED_INSTANCE) {
                selector.insert(RECOMMENDED_INSTANCE.to_owned(), instance.clone());
            }
            NetworkPeer {
                pod_labels: Some(selector),
                namespace_labels: None,
            }
        })
        .collect()
}
