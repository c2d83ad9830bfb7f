//! `[jobs.X]`, `[cronjobs.X]` and `[claims.X]`: a Job's name follows its
//! spec, Job pods match no selector of the app, the NetworkPolicy admits
//! them, a claim is mounted only where listed.

use std::collections::BTreeMap;

use kubetoml::Templates;
use serde_yaml::Value;

use crate::memory::MemorySources;

const BASE: &str = r#"
name = "db"
namespace = "data"
replicas = 3
image = "postgres:16.4"
ports = { postgres = 5432 }
client_service = {}
network_policy = {}
spread = "node"
allow = ["no-memory-limit", "no-readiness-probe", "pod-security"]

[claims.backups]
size = "5Gi"
mount = "/backup"

[[sidecars]]
name = "shipper"
image = "fluent/fluent-bit:3.1"
mounts = ["backups"]

[cronjobs.backup]
schedule = "0 3 * * *"
command = ["sh", "-c", "pg_dumpall > /backup/all.sql"]
mounts = ["backups"]
"#;

const MIGRATE: &str = r#"
[jobs.migrate]
command = ["/app/migrate", "up"]
backoff_limit = 2
"#;

fn render(text: &str) -> Vec<Value> {
    let out = kubetoml::compile_with_sources(
        "db.toml",
        text,
        &MemorySources::default(),
        &Templates::builtin(),
        false,
        None,
    )
    .unwrap_or_else(|e| panic!("{}", e.draw(false)));
    serde_yaml::Deserializer::from_str(&out.to_yaml())
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect()
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

fn job_name(text: &str) -> String {
    let docs = render(text);
    let jobs = of_kind(&docs, "Job");
    assert_eq!(jobs.len(), 1);
    jobs[0]["metadata"]["name"].as_str().unwrap().to_owned()
}

fn labels(v: &Value) -> BTreeMap<String, String> {
    v.as_mapping()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.as_str().unwrap().to_owned(),
                        v.as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn matches(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

#[test]
fn a_changed_job_is_a_new_job_and_an_unchanged_one_keeps_its_name() {
    let text = format!("{BASE}{MIGRATE}");
    let name = job_name(&text);
    assert!(name.starts_with("db-migrate-"), "{name}");
    assert_eq!(name.len(), "db-migrate-".len() + 10);
    // Rendering again, or changing something else of the app, keeps it.
    assert_eq!(job_name(&text), name);
    assert_eq!(
        job_name(&text.replace("replicas = 3", "replicas = 5")),
        name
    );
    assert_eq!(
        job_name(&text.replace("0 3 * * *", "0 4 * * *")),
        name,
        "the CronJob is not the Job"
    );
    // Any change to the Job, its pod included, is a new name.
    for changed in [
        text.replace("\"up\"]", "\"up\", \"--all\"]"),
        text.replace("backoff_limit = 2", "backoff_limit = 3"),
        text.replace(MIGRATE, &format!("{MIGRATE}env = {{ STEP = \"1\" }}\n")),
        // The app's image is the Job's when it names none.
        text.replace("postgres:16.4", "postgres:16.5"),
        // pod_security hardens the Job's pod too.
        text.replace("allow = [", "pod_security = \"restricted\"\nallow = ["),
    ] {
        assert_ne!(job_name(&changed), name, "{changed}");
    }
    // The CronJob's name is stable, whatever its spec.
    let docs = render(&text.replace("0 3 * * *", "0 4 * * *"));
    assert_eq!(
        of_kind(&docs, "CronJob")[0]["metadata"]["name"],
        "db-backup"
    );
}

#[test]
fn job_pods_match_no_selector_of_the_app_and_the_policy_admits_them() {
    let docs = render(&format!("{BASE}{MIGRATE}"));
    let sts = of_kind(&docs, "StatefulSet")[0];
    let job = of_kind(&docs, "Job")[0];
    let cron = of_kind(&docs, "CronJob")[0];
    let job_pods = [
        labels(&job["spec"]["template"]["metadata"]["labels"]),
        labels(&cron["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]),
    ];
    let mut selectors = vec![labels(&sts["spec"]["selector"]["matchLabels"])];
    selectors.extend(
        of_kind(&docs, "Service")
            .iter()
            .map(|s| labels(&s["spec"]["selector"])),
    );
    selectors.extend(
        of_kind(&docs, "PodDisruptionBudget")
            .iter()
            .map(|b| labels(&b["spec"]["selector"]["matchLabels"])),
    );
    let policy = of_kind(&docs, "NetworkPolicy")[0];
    selectors.push(labels(&policy["spec"]["podSelector"]["matchLabels"]));
    let pod = &sts["spec"]["template"]["spec"];
    for t in pod["topologySpreadConstraints"].as_sequence().unwrap() {
        selectors.push(labels(&t["labelSelector"]["matchLabels"]));
    }
    assert_eq!(
        selectors.len(),
        6,
        "StatefulSet, 2 Services, budget, policy, spread"
    );
    let sts_pod = labels(&sts["spec"]["template"]["metadata"]["labels"]);
    for s in &selectors {
        assert!(!s.is_empty());
        assert!(matches(s, &sts_pod), "the app's pods match {s:?}");
        for p in &job_pods {
            assert!(!matches(s, p), "a Job pod {p:?} matches {s:?}");
        }
    }
    // Each Job pod carries a label naming its job, and the policy admits it.
    assert_eq!(job_pods[0]["kubetoml.dev/job"], "migrate");
    assert_eq!(job_pods[1]["kubetoml.dev/cronjob"], "backup");
    let from: Vec<BTreeMap<String, String>> = policy["spec"]["ingress"][0]["from"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|p| labels(&p["podSelector"]["matchLabels"]))
        .collect();
    for p in &job_pods {
        assert!(from.iter().any(|s| matches(s, p)), "{p:?} not admitted");
    }
}

#[test]
fn a_claim_is_mounted_only_where_listed_and_shared_by_name() {
    let docs = render(&format!("{BASE}{MIGRATE}"));
    let pvc = of_kind(&docs, "PersistentVolumeClaim");
    assert_eq!(pvc.len(), 1);
    assert_eq!(pvc[0]["metadata"]["name"], "db-backups");
    assert_eq!(pvc[0]["spec"]["resources"]["requests"]["storage"], "5Gi");
    let claim_volume = |pod: &Value| {
        pod["volumes"]
            .as_sequence()
            .into_iter()
            .flatten()
            .find(|v| v["persistentVolumeClaim"]["claimName"] == "db-backups")
            .cloned()
    };
    let mounts = |c: &Value| {
        c["volumeMounts"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter(|m| m["name"] == "backups")
            .count()
    };
    let sts_pod = &of_kind(&docs, "StatefulSet")[0]["spec"]["template"]["spec"];
    assert!(claim_volume(sts_pod).is_some(), "the sidecar lists it");
    let containers = sts_pod["containers"].as_sequence().unwrap();
    assert_eq!(
        mounts(&containers[0]),
        0,
        "the main container does not list it"
    );
    assert_eq!(mounts(&containers[1]), 1);
    let cron_pod = &of_kind(&docs, "CronJob")[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert!(claim_volume(cron_pod).is_some());
    assert_eq!(mounts(&cron_pod["containers"][0]), 1);
    let job_pod = &of_kind(&docs, "Job")[0]["spec"]["template"]["spec"];
    assert!(
        claim_volume(job_pod).is_none(),
        "the migration does not list it"
    );
    assert_eq!(job_pod["restartPolicy"], "OnFailure");
    assert_eq!(
        of_kind(&docs, "Job")[0]["spec"]["ttlSecondsAfterFinished"],
        86400
    );
    assert_eq!(
        of_kind(&docs, "CronJob")[0]["spec"]["concurrencyPolicy"],
        "Forbid"
    );
}

#[test]
fn job_pods_take_the_app_s_pod_settings_unless_they_say_otherwise() {
    let app = BASE.replace(
        "allow = [",
        "service_account = \"db-sa\"\nnode_selector = { disk = \"ssd\" }\nsecurity_context = { run_as_user = 10001, fs_group = 10001 }\nimage_pull_secrets = [\"regcred\"]\nallow = [",
    );
    let text = format!(
        "{app}{MIGRATE}\n[cronjobs.report]\nschedule = \"@weekly\"\nimage = \"reporter:1.0\"\nservice_account = \"reporter\"\nnode_selector = {{ pool = \"batch\" }}\n"
    );
    let docs = render(&text);
    let job = &of_kind(&docs, "Job")[0]["spec"]["template"]["spec"];
    assert_eq!(job["serviceAccountName"], "db-sa");
    assert_eq!(job["nodeSelector"]["disk"], "ssd");
    assert_eq!(job["imagePullSecrets"][0]["name"], "regcred");
    assert_eq!(job["securityContext"]["runAsUser"], 10001);
    assert_eq!(job["containers"][0]["image"], "postgres:16.4");
    let report = of_kind(&docs, "CronJob")
        .into_iter()
        .find(|c| c["metadata"]["name"] == "db-report")
        .unwrap();
    let pod = &report["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "reporter");
    assert_eq!(pod["nodeSelector"]["pool"], "batch");
    assert!(pod["nodeSelector"]["disk"].is_null());
    assert_eq!(pod["containers"][0]["image"], "reporter:1.0");
}

/// `{ volume, path, sub_path, read_only }` in a Job's, a sidecar's and an
/// init container's `mounts`: the source at that container's own path,
/// with the pod volume it needs; a `[volumes.X]` without `mount` is in the
/// pod, mounted only where a table names it.
#[test]
fn a_mounts_table_mounts_a_source_at_the_containers_own_path() {
    let text = format!(
        r#"{BASE}
[volumes.scratch]
empty_dir = true

[configmaps.conf]
literals = {{ "dump.conf" = "full" }}
mount = "/etc/db"

[[init_containers]]
name = "prepare"
image = "busybox:1.36"
mounts = [{{ volume = "scratch", path = "/emptydir" }}, {{ volume = "backups", path = "/b", read_only = true }}]

[jobs.dump]
command = ["dump"]
mounts = [{{ volume = "backups", path = "/out", sub_path = "dumps" }}, {{ volume = "conf", path = "/conf/dump.conf", sub_path = "dump.conf" }}]
"#
    );
    let docs = render(&text);
    let mounts =
        |c: &Value| -> Vec<Value> { c["volumeMounts"].as_sequence().cloned().unwrap_or_default() };
    let yaml = |s: &str| serde_yaml::from_str::<Vec<Value>>(s).unwrap();
    let sts_pod = &of_kind(&docs, "StatefulSet")[0]["spec"]["template"]["spec"];
    assert_eq!(
        mounts(&sts_pod["initContainers"][0]),
        yaml("[{ name: backups, mountPath: /b, readOnly: true }, { name: scratch, mountPath: /emptydir }]")
    );
    // The main container mounts neither the claim nor the volume without `mount`.
    assert!(!mounts(&sts_pod["containers"][0])
        .iter()
        .any(|m| m["name"] == "scratch" || m["name"] == "backups"));
    assert!(sts_pod["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .any(|v| v["name"] == "scratch" && v["emptyDir"].is_mapping()));
    let job_pod = &of_kind(&docs, "Job")[0]["spec"]["template"]["spec"];
    let conf_volume = (job_pod["volumes"].as_sequence().unwrap().iter())
        .find(|v| v["configMap"].is_mapping())
        .unwrap()["name"]
        .clone();
    assert_eq!(
        mounts(&job_pod["containers"][0]),
        yaml(&format!(
            "[{{ name: {}, mountPath: /conf/dump.conf, subPath: dump.conf, readOnly: true }}, {{ name: backups, mountPath: /out, subPath: dumps }}]",
            conf_volume.as_str().unwrap()
        ))
    );
}
