//! Jobs, CronJobs and standalone PersistentVolumeClaims of an app, as
//! `[jobs.X]`, `[cronjobs.X]` and `[claims.X]`.
//!
//! A Job or CronJob is the app's when it is in the app's namespace and named
//! `<app>-<X>`; kubetoml's own carry the table name in `kubetoml.dev/job`
//! (`kubetoml.dev/cronjob`), which also strips a Job's hash suffix. A Job
//! without that label is not taken: its name has no kubetoml hash suffix,
//! which a `[jobs.X]` would add, so it is carried exactly instead. A claim
//! is the app's when it is named `<app>-<X>` and a pod of the app (the
//! StatefulSet's or a Job's) mounts it.

use std::collections::BTreeMap;

use crate::lower::{CRONJOB_LABEL, DEFAULT_TTL, JOB_LABEL};
use crate::read::yamlread::Value;

use super::pod::{self, Role};
use super::shared::{int_val, push, str_table, str_val, strs_val, Ctx, Object};
use super::toml_out::{key, Doc, Entries, Val};
use super::value::{boolean, items, string_map, text};

/// The container fields a `[jobs.X]` table takes.
const JOB_CONTAINER_FIELDS: &[&str] = &[
    "image",
    "image_pull_policy",
    "command",
    "args",
    "working_dir",
    "env",
    "env_from",
    "resources",
    "security_context",
    "mounts",
];

/// The app's Jobs and CronJobs (index, table name, pod template), and its claims.
pub struct Found {
    jobs: Vec<(usize, String)>,
    cron_jobs: Vec<(usize, String)>,
    /// Claim object index, table name.
    claims: Vec<(usize, String)>,
}

impl Found {
    /// The indices of every object found.
    pub fn indices(&self) -> Vec<usize> {
        (self.jobs.iter().chain(&self.cron_jobs).chain(&self.claims))
            .map(|(i, _)| *i)
            .collect()
    }
}

/// The pod template of a Job or CronJob object.
fn template(o: &Object) -> &Value {
    match o.kind.as_str() {
        "CronJob" => &o.value["spec"]["jobTemplate"]["spec"]["template"],
        _ => &o.value["spec"]["template"],
    }
}

/// Finds the app's Jobs, CronJobs and claims, and records in `ctx` the pod
/// volumes that mount a claim (before the pod volumes become `[volumes.X]`).
pub fn find(objects: &[Object], set: usize, ctx: &mut Ctx) -> Found {
    let sts = &objects[set];
    let prefix = format!("{}-", sts.name);
    let ours = |o: &Object| o.namespace == sts.namespace && o.name.starts_with(&prefix);
    let table_name = |o: &Object, label: &str| {
        let labels = &template(o)["metadata"]["labels"];
        text(&labels[label]).or_else(|| Some(o.name[prefix.len()..].to_owned()))
    };
    let mut found = Found {
        jobs: Vec::new(),
        cron_jobs: Vec::new(),
        claims: Vec::new(),
    };
    for (i, o) in objects.iter().enumerate() {
        match o.kind.as_str() {
            // kubetoml names a Job `<app>-<X>-<hash>`: another tool's Job
            // (a chart's hook) keeps its name only carried as it is.
            "Job" if ours(o) && !template(o)["metadata"]["labels"][JOB_LABEL].is_null() => {
                found.jobs.extend(table_name(o, JOB_LABEL).map(|n| (i, n)))
            }
            "CronJob" if ours(o) => found
                .cron_jobs
                .extend(table_name(o, CRONJOB_LABEL).map(|n| (i, n))),
            _ => {}
        }
    }
    let pods: Vec<&Value> = std::iter::once(&sts.value["spec"]["template"]["spec"])
        .chain(
            (found.jobs.iter().chain(&found.cron_jobs))
                .map(|(i, _)| &template(&objects[*i])["spec"]),
        )
        .collect();
    for (i, o) in objects.iter().enumerate() {
        if o.kind != "PersistentVolumeClaim" || !ours(o) {
            continue;
        }
        let volumes: Vec<String> = (pods.iter())
            .flat_map(|p| items(&p["volumes"]))
            .filter(|v| text(&v["persistentVolumeClaim"]["claimName"]).as_ref() == Some(&o.name))
            .filter_map(|v| text(&v["name"]))
            .collect();
        if volumes.is_empty() {
            continue;
        }
        let table = o.name[prefix.len()..].to_owned();
        for v in volumes {
            ctx.standalone
                .insert(v, (o.name.clone(), table.clone(), Entries::new()));
        }
        found.claims.push((i, table));
    }
    found
}

/// Writes `[jobs.X]`, `[cronjobs.X]` and `[claims.X]` for what [`find`] found.
pub fn sections(objects: &[Object], set: usize, found: &Found, ctx: &mut Ctx, doc: &mut Doc) {
    let app_pod = &objects[set].value["spec"]["template"]["spec"];
    for (i, table) in &found.jobs {
        let o = &objects[*i];
        let entries = job(&o.value["spec"], app_pod, ctx);
        doc.sections
            .push((format!("[jobs.{}]", key(table)), entries));
    }
    for (i, table) in &found.cron_jobs {
        let spec = &objects[*i].value["spec"];
        let mut e = Entries::new();
        push(&mut e, "schedule", str_val(&spec["schedule"]));
        push(&mut e, "time_zone", str_val(&spec["timeZone"]));
        let policy = str_val(&spec["concurrencyPolicy"]);
        // kubetoml's default is Forbid; Kubernetes' (no field) is Allow.
        let policy = match policy {
            Some(Val::Str(p)) if p == "Forbid" => None,
            Some(p) => Some(p),
            None => Some(Val::Str("Allow".to_owned())),
        };
        push(&mut e, "concurrency_policy", policy);
        push(
            &mut e,
            "starting_deadline",
            int_val(&spec["startingDeadlineSeconds"]),
        );
        push(&mut e, "suspend", boolean(&spec["suspend"]).map(Val::Bool));
        push(
            &mut e,
            "successful_jobs_history",
            int_val(&spec["successfulJobsHistoryLimit"]),
        );
        push(
            &mut e,
            "failed_jobs_history",
            int_val(&spec["failedJobsHistoryLimit"]),
        );
        e.extend(job(&spec["jobTemplate"]["spec"], app_pod, ctx));
        doc.sections.push((format!("[cronjobs.{}]", key(table)), e));
    }
    for (i, table) in &found.claims {
        let s = &objects[*i].value["spec"];
        let mut e = Entries::new();
        push(
            &mut e,
            "size",
            str_val(&s["resources"]["requests"]["storage"]),
        );
        push(&mut e, "storage_class", str_val(&s["storageClassName"]));
        push(&mut e, "access_modes", strs_val(&s["accessModes"]));
        let mount = (ctx.standalone.values())
            .find(|(_, t, m)| t == table && !m.is_empty())
            .map(|(_, _, m)| m.clone())
            .unwrap_or_default();
        e.extend(mount);
        doc.sections.push((format!("[claims.{}]", key(table)), e));
    }
}

/// A Job's spec (`spec` of a Job, `jobTemplate.spec` of a CronJob) as a table's entries.
fn job(spec: &Value, app_pod: &Value, ctx: &mut Ctx) -> Entries {
    let pod = &spec["template"]["spec"];
    let mut e = Entries::new();
    if let Some(c) = items(&pod["containers"]).first() {
        let mut unused = Vec::new();
        let main = items(&app_pod["containers"]).first();
        let written = pod::container(c, Role::Sidecar, ctx, &mut unused);
        let same_image = main.is_some_and(|m| text(&m["image"]) == text(&c["image"]));
        let same_policy =
            main.is_some_and(|m| text(&m["imagePullPolicy"]) == text(&c["imagePullPolicy"]));
        for (k, v) in written {
            let inherited = match k.as_str() {
                "image" => same_image,
                "image_pull_policy" => same_image && same_policy,
                _ => false,
            };
            if JOB_CONTAINER_FIELDS.contains(&k.as_str()) && !inherited {
                e.push((k, v));
            }
        }
    }
    match text(&pod["restartPolicy"]).as_deref() {
        Some("OnFailure") => {}
        Some(p) => e.push(("restart_policy".to_owned(), Val::Str(p.to_owned()))),
        None => {}
    }
    push(&mut e, "backoff_limit", int_val(&spec["backoffLimit"]));
    push(
        &mut e,
        "active_deadline",
        int_val(&spec["activeDeadlineSeconds"]),
    );
    let ttl = int_val(&spec["ttlSecondsAfterFinished"]).filter(|t| *t != Val::Int(DEFAULT_TTL));
    push(&mut e, "ttl_after_finished", ttl);
    push(&mut e, "parallelism", int_val(&spec["parallelism"]));
    push(&mut e, "completions", int_val(&spec["completions"]));
    let own = |field: &str| (pod[field] != app_pod[field]).then(|| &pod[field]);
    if let Some(sa) = own("serviceAccountName") {
        push(&mut e, "service_account", str_val(sa));
    }
    if let Some(ns) = own("nodeSelector") {
        e.push(("node_selector".to_owned(), str_table(string_map(ns), &[])));
    }
    if own("tolerations").is_some() {
        let tolerations = items(&pod["tolerations"])
            .iter()
            .map(pod::toleration)
            .collect();
        e.push(("tolerations".to_owned(), Val::Arr(tolerations)));
    }
    e
}

/// The `[network_policy]` source kubetoml writes for each of the app's Jobs: left out on import.
pub fn is_job_peer(labels: &[(String, String)]) -> bool {
    let map: BTreeMap<&str, &str> = labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    map.len() == 2
        && map.contains_key("app.kubernetes.io/instance")
        && (map.contains_key(JOB_LABEL) || map.contains_key(CRONJOB_LABEL))
}
