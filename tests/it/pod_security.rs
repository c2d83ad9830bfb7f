//! `pod_security`, the lints and `kube_version`: one test per Pod Security Standards rule, per lint, per version fact.

use kubetoml::{Error, Options, Output, Severity, Templates};

/// Compiles `text` (a description whose files, if any, are in `examples/`).
fn compile_with(text: &str, kube_version: Option<&str>) -> Result<Output, Error> {
    let mut options = Options::new().env([("PG_PASSWORD", "pw"), ("REGISTRY_TOKEN", "tok")]);
    if let Some(v) = kube_version {
        options = options.kube_version(v);
    }
    kubetoml::resolve("app.toml", text, "examples", &options)?.render(&Templates::builtin())
}

fn compile(text: &str) -> Result<Output, Error> {
    compile_with(text, None)
}

const HEAD: &str = "name = \"app\"\nimage = \"app:1.0\"\n";

/// The errors `text` gets under `level`, drawn.
fn refused(level: &str, body: &str) -> String {
    let text = format!("{HEAD}pod_security = \"{level}\"\n{body}");
    compile(&text).unwrap_err().draw(false)
}

fn warnings(text: &str) -> Vec<String> {
    compile(text)
        .unwrap()
        .warnings
        .iter()
        .map(|w| w.message.clone())
        .collect()
}

#[test]
fn privileged_is_refused_by_baseline_with_the_rule_named() {
    let body = "[[init_containers]]\nname = \"setup\"\nimage = \"busybox:1.36\"\nsecurity_context = { privileged = true }\n";
    let err = refused("baseline", body);
    assert!(err.contains("container `setup` sets `privileged = true`, which `pod_security = \"baseline\"` forbids (Pod Security Standards, baseline level: Privileged Containers)"), "{err}");
    assert!(err.contains("app.toml:7:"), "points at the field: {err}");
}

#[test]
fn capabilities_beyond_the_default_set_are_refused_by_baseline() {
    let err = refused(
        "baseline",
        "security_context = { capabilities = { add = [\"SYS_ADMIN\", \"CHOWN\"] } }\n",
    );
    assert!(err.contains("adds capability `SYS_ADMIN`"), "{err}");
    assert!(
        !err.contains("adds capability `CHOWN`"),
        "baseline allows the default set: {err}"
    );
}

#[test]
fn unconfined_seccomp_is_refused_by_baseline() {
    let err = refused(
        "baseline",
        "security_context = { seccomp_profile = \"Unconfined\" }\n",
    );
    assert!(
        err.contains("the pod sets `seccomp_profile = \"Unconfined\"`"),
        "{err}"
    );
    assert!(err.contains("baseline level: Seccomp"), "{err}");
}

#[test]
fn a_probe_host_is_refused_by_baseline_from_1_34_only() {
    let body = "[probes.readiness]\nhttp = { port = 80, host = \"example.com\" }\n";
    let text = format!("{HEAD}pod_security = \"baseline\"\n{body}");
    let err = compile_with(&text, Some("1.34")).unwrap_err().draw(false);
    assert!(
        err.contains("sends a probe or hook to `host = \"example.com\"`"),
        "{err}"
    );
    assert!(
        err.contains("baseline level: Host Probes / Lifecycle Hooks"),
        "{err}"
    );
    let hook = format!("{HEAD}pod_security = \"baseline\"\nlifecycle = {{ post_start = {{ http = {{ port = 80, host = \"x\" }} }} }}\n");
    assert!(compile(&hook).is_err(), "hooks too");
    // The 1.33 standards had no such rule.
    assert!(compile_with(&text, Some("1.33")).is_ok());
}

#[test]
fn privilege_escalation_is_refused_by_restricted_only() {
    let body = "security_context = { allow_privilege_escalation = true }\n";
    let err = refused("restricted", body);
    assert!(
        err.contains("sets `allow_privilege_escalation = true`"),
        "{err}"
    );
    assert!(
        err.contains("restricted level: Privilege Escalation"),
        "{err}"
    );
    let baseline = format!("{HEAD}pod_security = \"baseline\"\n{body}");
    assert!(compile(&baseline).is_ok());
}

#[test]
fn run_as_non_root_false_is_refused_by_restricted() {
    let body = "[[sidecars]]\nname = \"side\"\nimage = \"side:1\"\nsecurity_context = { run_as_non_root = false }\n";
    let err = refused("restricted", body);
    assert!(
        err.contains("container `side` sets `run_as_non_root = false`"),
        "{err}"
    );
    assert!(err.contains("Running as Non-root)"), "{err}");
}

#[test]
fn run_as_user_zero_is_refused_by_restricted() {
    let err = refused("restricted", "security_context = { run_as_user = 0 }\n");
    assert!(err.contains("the pod sets `run_as_user = 0`"), "{err}");
    assert!(err.contains("Running as Non-root user"), "{err}");
}

#[test]
fn a_partial_capability_drop_is_refused_by_restricted() {
    let err = refused(
        "restricted",
        "security_context = { capabilities = { drop = [\"NET_RAW\"], add = [\"CHOWN\"] } }\n",
    );
    assert!(
        err.contains("drops some capabilities but not `ALL`"),
        "{err}"
    );
    assert!(
        err.contains("adds capability `CHOWN`"),
        "restricted allows only NET_BIND_SERVICE: {err}"
    );
    let ok = format!("{HEAD}pod_security = \"restricted\"\nsecurity_context = {{ capabilities = {{ drop = [\"ALL\"], add = [\"NET_BIND_SERVICE\"] }} }}\n");
    assert!(compile(&ok).is_ok());
}

#[test]
fn restricted_fills_in_the_seccomp_profile_and_the_rest_on_every_container() {
    let text = format!(
        "{HEAD}pod_security = \"restricted\"\n[[init_containers]]\nname = \"setup\"\nimage = \"busybox:1.36\"\n[[sidecars]]\nname = \"side\"\nimage = \"side:1\"\n"
    );
    let yaml = compile(&text).unwrap().to_yaml();
    let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&yaml)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect();
    let pod = &docs.last().unwrap()["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["securityContext"]["runAsUser"], 65532);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    assert_eq!(pod["automountServiceAccountToken"], false);
    let containers = pod["initContainers"]
        .as_sequence()
        .unwrap()
        .iter()
        .chain(pod["containers"].as_sequence().unwrap());
    let mut n = 0;
    for c in containers {
        let sc = &c["securityContext"];
        assert_eq!(sc["allowPrivilegeEscalation"], false, "{c:?}");
        assert_eq!(sc["runAsNonRoot"], true);
        assert_eq!(sc["capabilities"]["drop"][0], "ALL");
        assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault");
        n += 1;
    }
    assert_eq!(n, 3, "the init container, the main one and the sidecar");
}

#[test]
fn restricted_keeps_what_the_user_wrote() {
    let text = format!("{HEAD}pod_security = \"restricted\"\nservice_account = \"reader\"\nsecurity_context = {{ run_as_user = 1000, seccomp_profile = \"RuntimeDefault\" }}\n");
    let yaml = compile(&text).unwrap().to_yaml();
    assert!(yaml.contains("runAsUser: 1000"), "{yaml}");
    assert!(!yaml.contains("65532"), "{yaml}");
    assert!(
        !yaml.contains("automountServiceAccountToken"),
        "a named account keeps its token: {yaml}"
    );
}

#[test]
fn without_pod_security_the_output_is_unchanged_and_one_warning_names_the_level() {
    let base = compile(HEAD).unwrap();
    let ws: Vec<_> = base
        .warnings
        .iter()
        .filter(|w| w.message.contains("Pod Security"))
        .collect();
    assert_eq!(ws.len(), 1, "{:?}", base.warnings);
    assert!(ws[0].message.starts_with("the pods would fail the Pod Security Standards' `restricted` level: container `app` does not set `allow_privilege_escalation = false`"), "{}", ws[0].message);
    let privileged = format!("{HEAD}security_context = {{ privileged = true, capabilities = {{ add = [\"SYS_ADMIN\"] }} }}\n");
    let ws = warnings(&privileged);
    let pss: Vec<_> = ws.iter().filter(|w| w.contains("Pod Security")).collect();
    assert_eq!(pss.len(), 1, "once, for the first field: {ws:?}");
    assert!(
        pss[0].contains("`baseline` level: container `app` sets `privileged = true`"),
        "{ws:?}"
    );
    assert!(!base.to_yaml().contains("securityContext"));
}

#[test]
fn an_unknown_level_or_lint_is_an_error() {
    let err = compile(&format!("{HEAD}pod_security = \"strict\"\n"))
        .unwrap_err()
        .draw(false);
    assert!(
        err.contains("`strict` is not a Pod Security Standards level"),
        "{err}"
    );
    let err = compile(&format!("{HEAD}allow = [\"latest-tags\"]\n"))
        .unwrap_err()
        .draw(false);
    assert!(
        err.contains("`latest-tags` is not a lint kubetoml knows"),
        "{err}"
    );
    assert!(err.contains("did you mean `latest-tag`?"), "{err}");
}

/// A description that earns every lint but the one under test stays quiet once `allow`ed.
fn lint_fires_and_is_silenced(body: &str, lint: &str, message: &str) {
    let text = format!("name = \"app\"\n{body}");
    let ws = warnings(&text);
    assert!(ws.iter().any(|w| w.contains(message)), "{lint}: {ws:?}");
    let quiet = format!("name = \"app\"\nallow = [\"{lint}\"]\n{body}");
    assert!(
        !warnings(&quiet).iter().any(|w| w.contains(message)),
        "{lint} is silenced"
    );
}

#[test]
fn latest_tag_lint() {
    lint_fires_and_is_silenced("image = \"nginx\"\n", "latest-tag", "has no tag");
    lint_fires_and_is_silenced(
        "image = \"nginx:latest\"\n",
        "latest-tag",
        "is tagged `latest`",
    );
    let pinned = warnings("name = \"app\"\nimage = \"registry:5000/nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"\n");
    assert!(!pinned.iter().any(|w| w.contains("tag")), "{pinned:?}");
}

#[test]
fn readiness_lint_only_under_ordered_ready() {
    lint_fires_and_is_silenced(
        "image = \"a:1\"\n",
        "no-readiness-probe",
        "no readiness probe",
    );
    let parallel = warnings(
        "name = \"app\"\nimage = \"a:1\"\n[statefulset]\npod_management_policy = \"Parallel\"\n",
    );
    assert!(
        !parallel.iter().any(|w| w.contains("readiness")),
        "{parallel:?}"
    );
}

#[test]
fn memory_lint() {
    lint_fires_and_is_silenced(
        "image = \"a:1\"\n",
        "no-memory-limit",
        "neither a memory request nor a memory limit",
    );
    let limited = warnings(
        "name = \"app\"\nimage = \"a:1\"\nresources = { limits = { memory = \"1Gi\" } }\n",
    );
    assert!(!limited.iter().any(|w| w.contains("memory")), "{limited:?}");
}

#[test]
fn root_lint() {
    lint_fires_and_is_silenced(
        "image = \"a:1\"\nsecurity_context = { run_as_user = 0 }\n",
        "runs-as-root",
        "runs as root",
    );
}

#[test]
fn required_zone_spread_lint() {
    lint_fires_and_is_silenced(
        "image = \"a:1\"\nspread = \"zone\"\n",
        "required-zone-spread",
        "required spread across zones",
    );
    let soft = warnings(
        "name = \"app\"\nimage = \"a:1\"\nspread = { across = \"zone\", required = false }\n",
    );
    assert!(!soft.iter().any(|w| w.contains("zones")), "{soft:?}");
}

#[test]
fn pod_security_warning_is_a_lint_too() {
    lint_fires_and_is_silenced(
        "image = \"a:1\"\n",
        "pod-security",
        "would fail the Pod Security Standards",
    );
}

const SLEEP: &str = "name = \"app\"\nimage = \"a:1\"\nlifecycle = { pre_stop = { sleep = 5 } }\n";

#[test]
fn a_sleep_hook_is_an_error_before_1_29_naming_field_release_and_target() {
    let err = compile_with(SLEEP, Some("1.28")).unwrap_err().draw(false);
    assert!(
        err.contains("needs Kubernetes 1.29 or later, and the target is 1.28 (`--kube-version`)"),
        "{err}"
    );
    let err = compile(&format!("kube_version = \"1.27\"\n{SLEEP}"))
        .unwrap_err()
        .draw(false);
    assert!(err.contains("the target is 1.27 (`kube_version`)"), "{err}");
    // The flag wins over the description.
    assert!(compile_with(&format!("kube_version = \"1.27\"\n{SLEEP}"), Some("1.30")).is_ok());
}

#[test]
fn a_sleep_hook_on_1_29_warns_about_its_gate() {
    let ws: Vec<_> = compile_with(SLEEP, Some("1.29"))
        .unwrap()
        .warnings
        .into_iter()
        .map(|w| w.message)
        .collect();
    assert!(
        ws.iter().any(|w| w.contains(
            "`PodLifecycleSleepAction` feature gate, alpha and off by default in Kubernetes 1.29"
        ) && w.contains("on by default in 1.30 and later")),
        "{ws:?}"
    );
}

#[test]
fn max_unavailable_warns_about_its_gate_by_default() {
    let text = "name = \"app\"\nimage = \"a:1\"\n[statefulset]\nupdate_strategy = { max_unavailable = 2 }\n";
    let ws: Vec<_> = compile(text)
        .unwrap()
        .warnings
        .into_iter()
        .map(|w| w.message)
        .collect();
    assert!(
        ws.iter()
            .any(|w| w.contains("`MaxUnavailableStatefulSet` feature gate")
                && w.contains("Kubernetes 1.35 (kubetoml's default")
                && w.contains("1.35.0 to 1.35.3, 1.37 and later")),
        "{ws:?}"
    );
    let on = compile_with(text, Some("1.37")).unwrap();
    assert!(!on
        .warnings
        .iter()
        .any(|w| w.message.contains("feature gate")));
    let silenced = compile(&text.replace("image", "allow = [\"feature-gate\"]\nimage")).unwrap();
    assert!(!silenced
        .warnings
        .iter()
        .any(|w| w.message.contains("feature gate")));
}

#[test]
fn unknown_releases_are_refused() {
    let err = compile_with(HEAD, Some("1.26")).unwrap_err().draw(false);
    assert!(
        err.contains("kubetoml knows Kubernetes 1.27 to 1.37"),
        "{err}"
    );
    let err = compile(&format!("kube_version = \"one\"\n{HEAD}")).unwrap_err();
    assert!(err.diagnostics().iter().any(
        |d| d.severity == Severity::Error && d.message.contains("is not a Kubernetes release")
    ));
}

#[test]
fn deny_warnings_exits_1_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.toml");
    std::fs::write(&file, HEAD).unwrap();
    for cmd in ["render", "explain"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kubetoml"))
            .args([cmd, "--deny-warnings"])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{cmd}");
        assert!(out.stdout.is_empty(), "{cmd}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("`--deny-warnings` makes them errors")
        );
    }
    let quiet = "name = \"app\"\nimage = \"app:1\"\npod_security = \"restricted\"\nresources = { limits = { memory = \"1Gi\" } }\n[probes.readiness]\ntcp = 80\n";
    std::fs::write(&file, quiet).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kubetoml"))
        .args(["render", "--deny-warnings"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The StatefulSet's pod spec and the Jobs' in `text`'s render.
fn pod_specs(text: &str) -> Vec<serde_yaml::Value> {
    let yaml = compile(text).unwrap().to_yaml();
    serde_yaml::Deserializer::from_str(&yaml)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .filter(|d: &serde_yaml::Value| d["kind"] == "StatefulSet" || d["kind"] == "Job")
        .map(|d| d["spec"]["template"]["spec"].clone())
        .collect()
}

/// A chart's pod (Bitnami Elasticsearch): the pod holds only the volume
/// group, the main container its own user, and a root init container sets
/// a sysctl.
const EXACT_POD: &str = "security_context = { run_as_user = 1001, run_as_group = 1001, run_as_non_root = true, seccomp_profile = \"RuntimeDefault\", allow_privilege_escalation = false, capabilities = { drop = [\"ALL\"] } }
pod_security_context = { fs_group = 1001, fs_group_change_policy = \"Always\" }
[[init_containers]]
name = \"sysctl\"
image = \"os-shell:12\"
security_context = { privileged = true, run_as_user = 0 }
";

#[test]
fn pod_security_context_is_the_pods_exactly_and_every_container_keeps_its_own() {
    let pods = pod_specs(&format!("{HEAD}{EXACT_POD}"));
    let pod = &pods[0];
    let wide = pod["securityContext"].as_mapping().unwrap();
    assert_eq!(wide.len(), 2, "only what it holds: {wide:?}");
    assert_eq!(pod["securityContext"]["fsGroup"], 1001);
    assert_eq!(pod["securityContext"]["fsGroupChangePolicy"], "Always");
    let main = &pod["containers"][0]["securityContext"];
    assert_eq!(main["runAsUser"], 1001);
    assert_eq!(main["runAsGroup"], 1001);
    assert_eq!(main["runAsNonRoot"], true);
    assert_eq!(main["seccompProfile"]["type"], "RuntimeDefault");
    let init = pod["initContainers"][0]["securityContext"]
        .as_mapping()
        .unwrap();
    assert_eq!(
        init.len(),
        2,
        "the root init container inherits nothing: {init:?}"
    );
    // `{}`: no pod-wide setting at all, the main container keeps its own.
    let none = pod_specs(&format!(
        "{HEAD}pod_security_context = {{}}\nsecurity_context = {{ run_as_user = 1001 }}\n"
    ));
    assert!(none[0].get("securityContext").is_none(), "{:?}", none[0]);
    assert_eq!(
        none[0]["containers"][0]["securityContext"]["runAsUser"],
        1001
    );
}

#[test]
fn with_pod_security_context_a_root_init_container_is_still_judged_per_container() {
    // The admission's verdict: the privileged root init container fails
    // `baseline`, and `restricted` for running as root too.
    let err = refused("restricted", EXACT_POD);
    assert!(err.contains("container `sysctl` sets `privileged = true`, which `pod_security = \"restricted\"` forbids (Pod Security Standards, baseline level: Privileged Containers)"), "{err}");
    assert!(err.contains("container `sysctl` sets `run_as_user = 0`, which `pod_security = \"restricted\"` forbids (Pod Security Standards, restricted level: Running as Non-root user)"), "{err}");
    assert!(
        !err.contains("container `app`"),
        "the main container is fine: {err}"
    );
    // Without a level, the warning names the first level it fails and why.
    let w = warnings(&format!("{HEAD}{EXACT_POD}"));
    assert!(w.iter().any(|w| w == "the pods would fail the Pod Security Standards' `baseline` level: container `sysctl` sets `privileged = true` (Privileged Containers)"), "{w:?}");
    // The main container's own settings are its own, not the pod's.
    let err = refused(
        "restricted",
        "pod_security_context = {}\nsecurity_context = { run_as_user = 0 }\n",
    );
    assert!(
        err.contains("container `app` sets `run_as_user = 0`"),
        "{err}"
    );
    // The pod's own settings are the pod's, pointed at where they are written.
    let err = refused(
        "restricted",
        "pod_security_context = { run_as_non_root = false, run_as_user = 0 }\n",
    );
    assert!(
        err.contains("the pod sets `run_as_non_root = false`"),
        "{err}"
    );
    assert!(err.contains("the pod sets `run_as_user = 0`"), "{err}");
    assert!(err.contains("app.toml:4:44"), "points at the value: {err}");
    let err = refused(
        "baseline",
        "pod_security_context = { seccomp_profile = \"Unconfined\" }\n",
    );
    assert!(
        err.contains("the pod sets `seccomp_profile = \"Unconfined\"`"),
        "{err}"
    );
}

#[test]
fn restricted_with_pod_security_context_fills_in_the_containers_and_leaves_the_pod_as_written() {
    let text = format!(
        "{HEAD}pod_security = \"restricted\"\npod_security_context = {{ fs_group = 1001 }}\nsecurity_context = {{ run_as_user = 1001 }}\n[[sidecars]]\nname = \"metrics\"\nimage = \"exporter:1\"\n[jobs.backup]\ncommand = [\"backup\"]\n"
    );
    let pods = pod_specs(&text);
    assert_eq!(pods.len(), 2, "the StatefulSet's pod and the Job's");
    for pod in &pods {
        let wide = pod["securityContext"].as_mapping().unwrap();
        assert_eq!(
            wide.len(),
            1,
            "the pod as written, nothing filled in: {wide:?}"
        );
        assert_eq!(pod["securityContext"]["fsGroup"], 1001);
        for c in pod["containers"].as_sequence().unwrap() {
            let sc = &c["securityContext"];
            assert_eq!(sc["runAsNonRoot"], true, "{c:?}");
            assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault");
            assert_eq!(sc["allowPrivilegeEscalation"], false);
            assert_eq!(sc["capabilities"]["drop"][0], "ALL");
        }
    }
    assert_eq!(
        pods[0]["containers"][0]["securityContext"]["runAsUser"],
        1001
    );
    assert!(pods[0]["containers"][1]["securityContext"]
        .get("runAsUser")
        .is_none());
}

#[test]
fn root_lint_on_pod_security_context() {
    lint_fires_and_is_silenced(
        "image = \"a:1\"\npod_security_context = { run_as_user = 0 }\n",
        "runs-as-root",
        "the pod runs its containers as root unless they say otherwise",
    );
}
