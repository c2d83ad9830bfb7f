//! Where teams deploy: `render DIR`, Argo CD's plugin, pre-commit, kubectl
//! and krew, the GitHub Action, cargo-binstall and SchemaStore, and the
//! picture (`explain --format dot|mermaid`), each run with the real tool
//! where one runs here: Argo CD's contract as its CMP server runs it,
//! `pre-commit` from PyPI, `kubectl`, `bash` as the Actions runner runs a
//! step, Graphviz's `dot`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_yaml::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("kubetoml")
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `out` succeeded; its stdout.
fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// The objects of a YAML stream, each checked to be a Kubernetes object.
fn objects(stream: &str) -> Vec<Value> {
    let docs: Vec<Value> = serde_yaml::Deserializer::from_str(stream)
        .map(|d| serde::Deserialize::deserialize(d).expect("a YAML document"))
        .filter(|v: &Value| !v.is_null())
        .collect();
    for d in &docs {
        for field in ["apiVersion", "kind"] {
            assert!(d[field].is_string(), "no {field} in {d:?}");
        }
        assert!(d["metadata"]["name"].is_string(), "no name in {d:?}");
    }
    docs
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn write(dir: &Path, name: &str, content: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

fn read_yaml(path: &str) -> Value {
    let source = std::fs::read_to_string(root().join(path)).unwrap();
    serde_yaml::from_str(&source).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const WEB: &str = r#"name = "web"
image = "nginx:1.27"
replicas = 2
ports = { http = 80 }

[volumes.data]
mount = "/data"
size = "1Gi"

[environments.prod]
namespace = "prod"
replicas = 4
"#;

const DB: &str = r#"name = "db"
image = "postgres:17"

[secrets.auth]
from_env = { POSTGRES_PASSWORD = "PG_PASSWORD" }
env = { POSTGRES_PASSWORD = "POSTGRES_PASSWORD" }

# Every description of a folder rendered with an environment must have it,
# even with nothing to change: a misspelled environment is an error.
[environments.prod]
"#;

/// An app folder: two descriptions, an overlay beside them, an overlay and
/// a TOML data file in a subfolder, a TOML file without `name`.
fn app_folder(dir: &Path) {
    write(dir, "web.toml", WEB);
    write(dir, "db.toml", DB);
    write(dir, "big.overlay.toml", "replicas = 9\n");
    write(dir, "overlays/small.toml", "replicas = 1\n");
    write(dir, "conf/app.toml", "name = \"not a description\"\n");
    write(dir, "tuning.toml", "[volumes.data]\nsize = \"5Gi\"\n");
}

// ---------------------------------------------------------------- render DIR

#[test]
fn render_dir_renders_the_descriptions_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    app_folder(dir.path());
    let out = run(Command::new(binary())
        .args(["render"])
        .arg(dir.path())
        .env("PG_PASSWORD", "pw-in-test"));
    let stderr = text(&out.stderr);
    let objs = objects(&ok(out));
    // db.toml before web.toml; the overlays, the data file and the
    // name-less tuning.toml are not descriptions.
    let sets: Vec<&str> = (objs.iter())
        .filter(|o| o["kind"] == "StatefulSet")
        .map(|o| o["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(sets, ["db", "web"]);
    assert!(
        stderr.contains("skipping") && stderr.contains("tuning.toml"),
        "{stderr}"
    );
    // The same as naming the files.
    let named = ok(run(Command::new(binary())
        .args(["render"])
        .arg(dir.path().join("db.toml"))
        .arg(dir.path().join("web.toml"))
        .env("PG_PASSWORD", "pw-in-test")));
    let again = ok(run(Command::new(binary())
        .args(["-q", "render"])
        .arg(dir.path())
        .env("PG_PASSWORD", "pw-in-test")));
    assert_eq!(named, again);
}

#[test]
fn render_dir_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    app_folder(dir.path());
    write(dir.path(), "broken.toml", "name = \"b\"\nreplica = 3\n");
    let out = run(Command::new(binary())
        .args(["render"])
        .arg(dir.path())
        .env("PG_PASSWORD", "pw"));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("broken.toml:2:1"), "{stderr}");
    let empty = tempfile::tempdir().unwrap();
    let out = run(Command::new(binary()).args(["render"]).arg(empty.path()));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("holds no description"));
}

// ------------------------------------------------------------------ Argo CD

/// `escaped` of Argo CD's `ApplicationSourcePluginParameters.Environ`.
fn param_name(name: &str) -> String {
    name.to_uppercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The environment Argo CD's CMP server gives a plugin command: the
/// sidecar's own, the build variables (`newEnv`), `KUBE_VERSION` and
/// `KUBE_API_VERSIONS` (`getPluginEnvs`), `ARGOCD_ENV_`-prefixed
/// `plugin.env`, then `ARGOCD_APP_PARAMETERS` and `PARAM_*`
/// (`getPluginParamEnvs`, `Parameters.Environ`), as in argo-cd's
/// reposerver/repository/repository.go and cmpserver/plugin/plugin.go.
fn cmp_env(
    sidecar: &[(&str, &str)],
    plugin_env: &[(&str, &str)],
    parameters: Option<&serde_json::Value>,
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = vec![
        ("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into()),
        ("HOME".into(), "/home/argocd".into()),
    ];
    env.extend(sidecar.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let revision = "0123456789abcdef0123456789abcdef01234567";
    for (k, v) in [
        ("ARGOCD_APP_NAME", "web"),
        ("ARGOCD_APP_NAMESPACE", "apps"),
        ("ARGOCD_APP_PROJECT_NAME", "default"),
        ("ARGOCD_APP_REVISION", revision),
        ("ARGOCD_APP_REVISION_SHORT", &revision[..7]),
        ("ARGOCD_APP_REVISION_SHORT_8", &revision[..8]),
        (
            "ARGOCD_APP_SOURCE_REPO_URL",
            "https://git.example.com/deploy.git",
        ),
        ("ARGOCD_APP_SOURCE_PATH", "apps/web"),
        ("ARGOCD_APP_SOURCE_TARGET_REVISION", "HEAD"),
        // k8sversion.ParseGeneric("v1.31.4+k3s1").String()
        ("KUBE_VERSION", "1.31.4"),
        ("KUBE_API_VERSIONS", "apps/v1,policy/v1,v1"),
    ] {
        env.push((k.into(), v.into()));
    }
    for (k, v) in plugin_env {
        env.push((format!("ARGOCD_ENV_{k}"), v.to_string()));
    }
    if let Some(params) = parameters {
        env.push(("ARGOCD_APP_PARAMETERS".into(), params.to_string()));
        for p in params.as_array().into_iter().flatten() {
            let base = format!("PARAM_{}", param_name(p["name"].as_str().unwrap()));
            if let Some(s) = p["string"].as_str() {
                env.push((base.clone(), s.into()));
            }
            for (i, item) in p["array"].as_array().into_iter().flatten().enumerate() {
                env.push((format!("{base}_{i}"), item.as_str().unwrap().into()));
            }
            for (k, v) in p["map"].as_object().into_iter().flatten() {
                env.push((
                    format!("{base}_{}", param_name(k)),
                    v.as_str().unwrap().into(),
                ));
            }
        }
    }
    env
}

/// The path `plugin.yaml`'s commands run, where the Containerfile puts the binary.
const PLUGIN_BINARY: &str = "/usr/local/bin/kubetoml";

/// Runs a command of `plugin.yaml` (`spec.generate`, `spec.discover.find`)
/// as `runCommand` does: `command[0]` with `command[1:] + args`, no shell,
/// in the Application's folder, with exactly `env`. The image's binary path
/// is the one thing swapped, for the binary under test.
fn run_plugin_command(command: &Value, dir: &Path, env: &[(String, String)]) -> Output {
    let mut argv: Vec<String> = (command["command"].as_sequence().unwrap().iter())
        .chain(command["args"].as_sequence().into_iter().flatten())
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        argv[0], PLUGIN_BINARY,
        "plugin.yaml runs the image's binary"
    );
    argv[0] = binary().display().to_string();
    run(Command::new(&argv[0])
        .args(&argv[1..])
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v))))
}

fn plugin() -> Value {
    let plugin = read_yaml("integrations/argocd/plugin.yaml");
    assert_eq!(plugin["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    assert_eq!(plugin["metadata"]["name"], "kubetoml");
    plugin
}

/// A repository checked out by the repo server: the app in `apps/web`, a
/// shared overlay in `shared/`.
fn argocd_repo() -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    app_folder(&repo.path().join("apps/web"));
    write(
        repo.path(),
        "shared/eu.overlay.toml",
        "labels = { region = \"eu\" }\n",
    );
    repo
}

#[test]
fn argocd_generate_follows_the_parameters_it_announces() {
    let plugin = plugin();
    let repo = argocd_repo();
    let app = repo.path().join("apps/web");
    let generate = &plugin["spec"]["generate"];
    let sidecar = [("PG_PASSWORD", "from-the-sidecar")];
    let render = |params: Option<serde_json::Value>| {
        let env = cmp_env(&sidecar, &[], params.as_ref());
        objects(&ok(run_plugin_command(generate, &app, &env)))
    };
    let replicas =
        |objs: &[Value], name: &str| find(objs, "StatefulSet", name)["spec"]["replicas"].as_i64();

    // The announced parameters are the ones generate reads.
    let announced: Vec<&str> = (plugin["spec"]["parameters"]["static"]
        .as_sequence()
        .unwrap()
        .iter())
    .map(|p| p["name"].as_str().unwrap())
    .collect();
    assert_eq!(
        announced,
        ["environment", "overlays", "set", "kube-version"]
    );
    for p in plugin["spec"]["parameters"]["static"]
        .as_sequence()
        .unwrap()
    {
        assert!(p["title"].is_string() && p["tooltip"].is_string());
    }

    // No parameter (no `plugin.parameters`), and `plugin: {}` (null): the
    // announced defaults.
    let base = render(None);
    assert_eq!(replicas(&base, "web"), Some(2));
    assert!(find(&base, "StatefulSet", "web")["metadata"]["namespace"].is_null());
    assert_eq!(base, render(Some(serde_json::Value::Null)));
    assert_eq!(
        base,
        render(Some(serde_json::json!([
            {"name": "environment", "string": ""},
            {"name": "overlays", "array": []},
            {"name": "set", "map": {}},
            {"name": "kube-version", "string": ""},
        ])))
    );

    let prod = render(Some(
        serde_json::json!([{"name": "environment", "string": "prod"}]),
    ));
    assert_eq!(replicas(&prod, "web"), Some(4));
    assert_eq!(
        find(&prod, "StatefulSet", "web")["metadata"]["namespace"],
        "prod"
    );

    // Overlays in order (the last wins), from the folder and from elsewhere
    // in the repository.
    let overlays = render(Some(serde_json::json!([
        {"name": "overlays", "array": ["big.overlay.toml", "overlays/small.toml", "../../shared/eu.overlay.toml"]},
    ])));
    assert_eq!(replicas(&overlays, "web"), Some(1));
    assert_eq!(replicas(&overlays, "db"), Some(1));
    assert_eq!(
        find(&overlays, "StatefulSet", "web")["metadata"]["labels"]["region"],
        "eu"
    );

    // `set` last, over the environment.
    let set = render(Some(serde_json::json!([
        {"name": "environment", "string": "prod"},
        {"name": "set", "map": {"replicas": "7", "image": "nginx:1.28"}},
    ])));
    assert_eq!(replicas(&set, "web"), Some(7));
    let image =
        &find(&set, "StatefulSet", "web")["spec"]["template"]["spec"]["containers"][0]["image"];
    assert_eq!(image, "nginx:1.28");
}

#[test]
fn argocd_generate_targets_the_clusters_release() {
    let plugin = plugin();
    let repo = argocd_repo();
    let app = repo.path().join("apps/web");
    // A sleep hook: in the API from 1.29 on.
    write(
        &app,
        "hook.toml",
        "name = \"hook\"\nimage = \"busybox:1.37\"\nlifecycle = { pre_stop = { sleep = 5 } }\n",
    );
    let generate = &plugin["spec"]["generate"];
    let sidecar = [("PG_PASSWORD", "x")];
    let with_cluster = |release: &str, params: Option<serde_json::Value>| {
        let mut env = cmp_env(&sidecar, &[], params.as_ref());
        for (k, v) in &mut env {
            if k == "KUBE_VERSION" {
                *v = release.into();
            }
        }
        run_plugin_command(generate, &app, &env)
    };
    // The cluster's release (KUBE_VERSION, 1.31.4 in cmp_env) has it.
    let objs = objects(&ok(with_cluster("1.31.4", None)));
    let hook = find(&objs, "StatefulSet", "hook");
    assert_eq!(
        hook["spec"]["template"]["spec"]["containers"][0]["lifecycle"]["preStop"]["sleep"]
            ["seconds"],
        5
    );
    // 1.28 has not: the render fails, nothing on stdout.
    let out = with_cluster("1.28.15", None);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("needs Kubernetes 1.29"),
        "{}",
        text(&out.stderr)
    );
    // The `kube-version` parameter wins over the cluster's.
    let param = serde_json::json!([{"name": "kube-version", "string": "1.31"}]);
    objects(&ok(with_cluster("1.28.15", Some(param))));
    // A release kubetoml does not know fails, saying which variable and
    // what to set.
    let out = with_cluster("1.99.0", None);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("KUBE_VERSION") && stderr.contains("kube-version"),
        "{stderr}"
    );
}

#[test]
fn argocd_generate_reads_variables_and_refuses_bad_parameters() {
    let plugin = plugin();
    let repo = argocd_repo();
    let app = repo.path().join("apps/web");
    let generate = &plugin["spec"]["generate"];
    let password = |objs: &[Value]| {
        let data = find(objs, "Secret", "auth")["data"]["POSTGRES_PASSWORD"]
            .as_str()
            .unwrap()
            .to_owned();
        use base64::Engine as _;
        text(
            &base64::engine::general_purpose::STANDARD
                .decode(data)
                .unwrap(),
        )
    };
    // From the Application's plugin.env (ARGOCD_ENV_PG_PASSWORD) ...
    let out = run_plugin_command(
        generate,
        &app,
        &cmp_env(&[], &[("PG_PASSWORD", "from-the-app")], None),
    );
    assert_eq!(password(&objects(&ok(out))), "from-the-app");
    // ... unless the sidecar sets it.
    let env = cmp_env(
        &[("PG_PASSWORD", "from-the-sidecar")],
        &[("PG_PASSWORD", "from-the-app")],
        None,
    );
    assert_eq!(
        password(&objects(&ok(run_plugin_command(generate, &app, &env)))),
        "from-the-sidecar"
    );
    // Missing: an error naming the file, on stderr only.
    let out = run_plugin_command(generate, &app, &cmp_env(&[], &[], None));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("db.toml"),
        "{}",
        text(&out.stderr)
    );

    let sidecar = [("PG_PASSWORD", "x")];
    for (params, expected) in [
        (
            serde_json::json!([{"name": "enviroment", "string": "prod"}]),
            "did you mean `environment`",
        ),
        (
            serde_json::json!([{"name": "set", "array": ["replicas=3"]}]),
            "takes a map",
        ),
        (
            serde_json::json!([{"name": "environment", "string": "staging"}]),
            "staging",
        ),
        (
            serde_json::json!([{"name": "overlays", "array": ["../../../outside.toml"]}]),
            "outside the repository",
        ),
        (
            serde_json::json!([{"name": "overlays", "array": ["/etc/passwd"]}]),
            "outside the repository",
        ),
    ] {
        let out = run_plugin_command(generate, &app, &cmp_env(&sidecar, &[], Some(&params)));
        assert_eq!(out.status.code(), Some(1), "{params}");
        assert!(out.stdout.is_empty(), "{params}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected), "{params}: {stderr}");
    }
}

#[test]
fn argocd_discover_claims_only_kubetoml_folders() {
    let plugin = plugin();
    let find_cmd = &plugin["spec"]["discover"]["find"]["command"];
    // `find.command` is a Command itself: `command` (+ `args`).
    let command = match find_cmd {
        Value::Sequence(_) => serde_yaml::from_str::<Value>(&format!(
            "command: {}",
            serde_json::to_string(find_cmd).unwrap()
        ))
        .unwrap(),
        other => other.clone(),
    };
    let repo = argocd_repo();
    let env = cmp_env(&[], &[], None);
    let out = ok(run_plugin_command(
        &command,
        &repo.path().join("apps/web"),
        &env,
    ));
    assert_eq!(out, "./db.toml\n./web.toml\n");
    // A folder of other things: exit 0, nothing printed (not ours).
    let other = tempfile::tempdir().unwrap();
    write(other.path(), "Cargo.toml", "[package]\nname = \"x\"\n");
    write(other.path(), "kustomization.yaml", "resources: []\n");
    let out = ok(run_plugin_command(&command, other.path(), &env));
    assert_eq!(out, "");
}

#[test]
fn the_sidecar_image_runs_the_plugin_as_argo_cd_expects() {
    // No container engine runs here: the Containerfile is checked as text.
    let file = std::fs::read_to_string(root().join("integrations/argocd/Containerfile")).unwrap();
    let lines: Vec<&str> = file
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    let froms: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("FROM "))
        .collect();
    assert_eq!(froms.len(), 2, "a build stage and the image");
    for from in &froms {
        let image = from.split_whitespace().next().unwrap();
        let tag = image.rsplit_once(':').map(|(_, t)| t).unwrap_or("");
        assert!(
            tag.chars().next().is_some_and(|c| c.is_ascii_digit()) && tag != "latest",
            "`{image}` is not pinned to a release"
        );
    }
    assert!(froms[0].contains("alpine"), "musl build stage");
    assert!(file.contains("unknown-linux-musl") && file.contains("crt-static"));
    let last_stage = &lines[lines.iter().rposition(|l| l.starts_with("FROM ")).unwrap()..];
    assert!(last_stage.contains(&"USER 999:999"), "runs as 999");
    assert!(last_stage
        .iter()
        .any(|l| l.starts_with("COPY --from=build") && l.ends_with(&format!(" {PLUGIN_BINARY}"))));
    assert!(last_stage.contains(
        &"COPY integrations/argocd/plugin.yaml /home/argocd/cmp-server/config/plugin.yaml"
    ));
    assert!(last_stage.contains(&r#"ENTRYPOINT ["/var/run/argocd/argocd-cmp-server"]"#));
    // Every file the build copies is sent by the ignore file.
    let ignore =
        std::fs::read_to_string(root().join("integrations/argocd/Containerfile.dockerignore"))
            .unwrap();
    for l in lines
        .iter()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
    {
        let sources: Vec<&str> = l.split_whitespace().skip(1).collect();
        for s in &sources[..sources.len() - 1] {
            let s = s.trim_end_matches('/');
            assert!(
                ignore
                    .lines()
                    .any(|i| i.trim_start_matches('!').trim_end_matches('/') == s),
                "{s} is not sent"
            );
            assert!(root().join(s).exists(), "{s}");
        }
    }
}

#[test]
fn the_sidecar_patch_applies_to_argo_cds_repo_server() {
    // kubectl's own strategic merge, offline, over Argo CD's manifest.
    let out = ok(run(Command::new("kubectl")
        .args(["patch", "--local", "-o", "yaml", "-f"])
        .arg(root().join("tests/fixtures/argocd/argocd-repo-server-deployment.yaml"))
        .arg("--patch-file")
        .arg(root().join("integrations/argocd/repo-server-patch.yaml"))
        .env("KUBECONFIG", root().join("no-such-kubeconfig"))));
    let deployment: Value = serde_yaml::from_str(&out).unwrap();
    let pod = &deployment["spec"]["template"]["spec"];
    let containers = pod["containers"].as_sequence().unwrap();
    let names: Vec<&str> = containers
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["kubetoml", "argocd-repo-server"]);
    let sidecar = &containers[0];
    assert_eq!(sidecar["securityContext"]["runAsUser"], 999);
    assert_eq!(sidecar["command"][0], "/var/run/argocd/argocd-cmp-server");
    let volumes: Vec<&str> = (pod["volumes"].as_sequence().unwrap().iter())
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    let mut mounts = BTreeMap::new();
    for m in sidecar["volumeMounts"].as_sequence().unwrap() {
        let name = m["name"].as_str().unwrap();
        assert!(
            volumes.contains(&name),
            "the sidecar mounts `{name}`, which the pod lacks"
        );
        mounts.insert(m["mountPath"].as_str().unwrap(), name);
    }
    assert_eq!(mounts["/var/run/argocd"], "var-files");
    assert_eq!(mounts["/home/argocd/cmp-server/plugins"], "plugins");
    assert_ne!(mounts["/tmp"], "tmp", "not the repo server's /tmp");
}

// --------------------------------------------------------------- pre-commit

fn git(dir: &Path, args: &[&str]) -> String {
    ok(run(Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)))
}

/// PATH with the binary under test first, as an installed `kubetoml`.
fn path_with_binary() -> std::ffi::OsString {
    let mut dirs = vec![binary().parent().unwrap().to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}

#[test]
fn pre_commit_hooks_fail_on_stale_output_and_on_warnings() {
    let scratch = tempfile::tempdir().unwrap();
    // The hook repository: this repository's .pre-commit-hooks.yaml, committed
    // (pre-commit clones a repository at a revision).
    let hooks = scratch.path().join("hooks");
    std::fs::create_dir(&hooks).unwrap();
    std::fs::copy(
        root().join(".pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    git(&hooks, &["init", "-q"]);
    git(&hooks, &["add", "."]);
    git(&hooks, &["commit", "-q", "-m", "hooks"]);
    let rev = git(&hooks, &["rev-parse", "HEAD"]).trim().to_owned();

    let work = scratch.path().join("work");
    std::fs::create_dir(&work).unwrap();
    git(&work, &["init", "-q"]);
    let clean = "name = \"web\"\nimage = \"nginx:1.27\"\nallow = [\"pod-security\", \"no-memory-limit\", \"no-readiness-probe\"]\n";
    write(&work, "deploy/web.toml", clean);
    write(
        &work,
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: kubetoml-check\n        args: [deploy/, -o, rendered/]\n      - id: kubetoml-lint\n        args: [deploy/]\n",
            hooks.display()
        ),
    );
    ok(run(Command::new(binary())
        .args(["render", "deploy/", "-o", "rendered/"])
        .current_dir(&work)));
    git(&work, &["add", "."]);
    git(&work, &["commit", "-q", "-m", "app"]);

    let pre_commit = |args: &[&str]| {
        run(crate::python::with_module("pre_commit")
            .args(["-m", "pre_commit"])
            .args(args)
            .current_dir(&work)
            .env("PATH", path_with_binary())
            .env("PRE_COMMIT_HOME", scratch.path().join("cache"))
            .env("HOME", scratch.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("KUBETOML_HASH_KEY"))
    };
    let out = pre_commit(&["run", "--all-files"]);
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(out.status.success(), "{all}");
    assert!(
        all.contains("kubetoml output is up to date") && all.contains("Passed"),
        "{all}"
    );

    // The description changes, the output does not: the check fails, naming the stale file.
    write(
        &work,
        "deploy/web.toml",
        &clean.replace("nginx:1.27", "nginx:1.28"),
    );
    let out = pre_commit(&["run", "kubetoml-check", "--all-files"]);
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("statefulset") || all.contains("StatefulSet"),
        "{all}"
    );
    // Rendered again: it passes.
    ok(run(Command::new(binary())
        .args(["-q", "render", "deploy/", "-o", "rendered/"])
        .current_dir(&work)));
    let out = pre_commit(&["run", "kubetoml-check", "--all-files"]);
    assert!(out.status.success(), "{}", text(&out.stdout));

    // A warning (an untagged image) fails the lint, and the render itself
    // (a Secret) never shows.
    write(
        &work,
        "deploy/web.toml",
        &format!(
            "{}\n[secrets.s]\nliterals = {{ k = \"SECRET-VALUE-42\" }}\nenv = {{ K = \"k\" }}\n",
            clean.replace("nginx:1.27", "nginx")
        ),
    );
    let out = pre_commit(&["run", "kubetoml-lint", "--all-files", "--verbose"]);
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("no tag") && all.contains("--deny-warnings"),
        "{all}"
    );
    assert!(
        !all.contains("SECRET-VALUE-42") && !all.contains("U0VDUkVU"),
        "{all}"
    );
    write(
        &work,
        "deploy/web.toml",
        &format!(
            "{}\n[secrets.s]\nliterals = {{ k = \"SECRET-VALUE-42\" }}\nenv = {{ K = \"k\" }}\n",
            clean
        ),
    );
    let out = pre_commit(&["run", "kubetoml-lint", "--all-files", "--verbose"]);
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(out.status.success(), "{all}");
    assert!(!all.contains("U0VDUkVULVZBTFVFLTQy"), "{all}");
}

// ------------------------------------------------------------ kubectl, krew

#[test]
fn kubectl_runs_it_as_a_plugin() {
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(binary(), bin.path().join("kubectl-kubetoml")).unwrap();
    let mut dirs = vec![bin.path().to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let path = std::env::join_paths(dirs).unwrap();
    let kubectl = |args: &[&str]| {
        run(Command::new("kubectl")
            .args(args)
            .current_dir(root())
            .env("PATH", &path)
            .env("KUBECONFIG", bin.path().join("no-config")))
    };
    let list = ok(kubectl(&["plugin", "list"]));
    assert!(list.contains("kubectl-kubetoml"), "{list}");
    let via_kubectl = ok(kubectl(&["kubetoml", "render", "examples/web/web.toml"]));
    let direct = ok(run(Command::new(binary())
        .args(["render", "examples/web/web.toml"])
        .current_dir(root())));
    assert_eq!(via_kubectl, direct);
    let help = ok(kubectl(&["kubetoml", "render", "--help"]));
    assert!(help.contains("Usage: kubectl kubetoml render"), "{help}");
    assert!(
        help.contains("$ kubectl kubetoml render web.toml"),
        "{help}"
    );
    let out = kubectl(&["kubetoml", "render"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("Usage: kubectl kubetoml render"));
    // Under its own name, it is `kubetoml`.
    let help = ok(run(Command::new(binary()).args(["render", "--help"])));
    assert!(help.contains("Usage: kubetoml render") && !help.contains("kubectl kubetoml"));
}

/// The release archive name of `target`, as `cargo binstall` builds it from
/// `[package.metadata.binstall]` (its `pkg-url` template).
fn binstall_url(target: &str) -> String {
    let manifest: toml::Table = std::fs::read_to_string(root().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let package = &manifest["package"];
    let binstall = &package["metadata"]["binstall"];
    let format = binstall
        .get("overrides")
        .and_then(|o| o.get(target))
        .and_then(|o| o.get("pkg-fmt"))
        .or(binstall.get("pkg-fmt"))
        .and_then(|f| f.as_str())
        .unwrap();
    let suffix = match format {
        "tgz" => ".tar.gz",
        "zip" => ".zip",
        other => panic!("pkg-fmt {other}"),
    };
    assert_eq!(binstall["bin-dir"].as_str(), Some("{ bin }{ binary-ext }"));
    binstall["pkg-url"]
        .as_str()
        .unwrap()
        .replace("{ repo }", package["repository"].as_str().unwrap())
        .replace("{ version }", package["version"].as_str().unwrap())
        .replace("{ name }", package["name"].as_str().unwrap())
        .replace("{ target }", target)
        .replace("{ archive-suffix }", suffix)
}

const KREW_TARGETS: &[(&str, &str, &str)] = &[
    ("linux", "amd64", "x86_64-unknown-linux-musl"),
    ("linux", "arm64", "aarch64-unknown-linux-musl"),
    ("darwin", "amd64", "x86_64-apple-darwin"),
    ("darwin", "arm64", "aarch64-apple-darwin"),
    ("windows", "amd64", "x86_64-pc-windows-msvc"),
];

#[test]
fn the_krew_manifest_names_the_binstall_archives() {
    let m = read_yaml("integrations/krew/kubetoml.yaml");
    assert_eq!(
        m["apiVersion"],
        "krew.googlecontainertools.github.com/v1alpha2"
    );
    assert_eq!(m["kind"], "Plugin");
    assert_eq!(
        m["metadata"]["name"], "kubetoml",
        "krew: the name is the file's"
    );
    let spec = &m["spec"];
    assert_eq!(
        spec["version"].as_str(),
        Some(format!("v{}", env!("CARGO_PKG_VERSION")).as_str())
    );
    assert!(spec["homepage"].as_str().unwrap().starts_with("https://"));
    assert!(spec["shortDescription"].as_str().unwrap().len() <= 60);
    let platforms = spec["platforms"].as_sequence().unwrap();
    assert_eq!(platforms.len(), KREW_TARGETS.len());
    for (p, (os, arch, target)) in platforms.iter().zip(KREW_TARGETS) {
        let labels = &p["selector"]["matchLabels"];
        assert_eq!(
            (labels["os"].as_str(), labels["arch"].as_str()),
            (Some(*os), Some(*arch))
        );
        assert_eq!(
            p["uri"].as_str(),
            Some(binstall_url(target).as_str()),
            "{target}"
        );
        // Filled by release.sh from the archives.
        assert_eq!(p["sha256"], "RELEASE");
        let bin = if *os == "windows" {
            "kubetoml.exe"
        } else {
            "kubetoml"
        };
        assert_eq!(p["bin"], bin);
        let froms: Vec<&str> = (p["files"].as_sequence().unwrap().iter())
            .map(|f| f["from"].as_str().unwrap())
            .collect();
        assert!(froms.contains(&bin));
    }
}

#[test]
fn a_release_installs_the_way_krew_installs_it() {
    // The release archives, as CI would build them: the linux/amd64 one, the
    // one installed below, holds this machine's binary; the others (only
    // their names and hashes matter here) a stand-in.
    let dist = tempfile::tempdir().unwrap();
    let real = tempfile::tempdir().unwrap();
    let stand_in = tempfile::tempdir().unwrap();
    std::fs::copy(binary(), real.path().join("kubetoml")).unwrap();
    for bin in ["kubetoml", "kubetoml.exe"] {
        std::fs::write(stand_in.path().join(bin), "stand-in").unwrap();
    }
    for l in ["LICENSE-MIT", "LICENSE-APACHE"] {
        std::fs::copy(root().join(l), real.path().join(l)).unwrap();
        std::fs::copy(root().join(l), stand_in.path().join(l)).unwrap();
    }
    let version = "9.8.7";
    for (i, (_, _, target)) in KREW_TARGETS.iter().enumerate() {
        let url = binstall_url(target).replace(env!("CARGO_PKG_VERSION"), version);
        let archive = dist.path().join(url.rsplit('/').next().unwrap());
        let bin = if target.contains("windows") {
            "kubetoml.exe"
        } else {
            "kubetoml"
        };
        let stage = if i == 0 { real.path() } else { stand_in.path() };
        // A .zip is a tar here (no zip tool needed): only its name and hash
        // matter. gzip -1: the debug binary is 100 MB.
        let script =
            format!("tar -cf - -C \"$1\" {bin} LICENSE-MIT LICENSE-APACHE | gzip -1 > \"$2\"");
        ok(run(Command::new("sh")
            .args(["-c", &script, "sh"])
            .arg(stage)
            .arg(&archive)));
    }
    let out = ok(run(Command::new("sh")
        .arg(root().join("integrations/krew/release.sh"))
        .arg(version)
        .arg(dist.path())));
    let manifest: Value = serde_yaml::from_str(&out).unwrap();
    assert_eq!(manifest["spec"]["version"], format!("v{version}"));
    let linux = &manifest["spec"]["platforms"][0];
    let uri = linux["uri"].as_str().unwrap();
    assert!(
        uri.contains(&format!(
            "/v{version}/kubetoml-v{version}-x86_64-unknown-linux-musl.tar.gz"
        )),
        "{uri}"
    );
    // krew: download, check the sha256, extract, copy `files`, link `bin`
    // as kubectl-NAME on PATH.
    let archive = dist.path().join(uri.rsplit('/').next().unwrap());
    let sum = ok(run(Command::new("sha256sum").arg(&archive)));
    assert_eq!(linux["sha256"].as_str(), sum.split_whitespace().next());
    let install = tempfile::tempdir().unwrap();
    let extracted = install.path().join("download");
    let store = install
        .path()
        .join("store/kubetoml")
        .join(format!("v{version}"));
    std::fs::create_dir_all(&extracted).unwrap();
    std::fs::create_dir_all(&store).unwrap();
    ok(run(Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&extracted)));
    for f in linux["files"].as_sequence().unwrap() {
        let from = f["from"].as_str().unwrap();
        let (prefix, glob) = from.split_once('*').unwrap_or((from, ""));
        let mut matched = 0;
        for entry in std::fs::read_dir(&extracted).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            let hit = if from.contains('*') {
                name.starts_with(prefix) && name.ends_with(glob)
            } else {
                name == from
            };
            if hit {
                assert_eq!(f["to"], ".");
                std::fs::copy(extracted.join(&name), store.join(&name)).unwrap();
                matched += 1;
            }
        }
        assert!(matched > 0, "`{from}` matches nothing in the archive");
    }
    let bin_dir = install.path().join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    std::os::unix::fs::symlink(
        store.join(linux["bin"].as_str().unwrap()),
        bin_dir.join("kubectl-kubetoml"),
    )
    .unwrap();
    let mut dirs = vec![bin_dir];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let out = ok(run(Command::new("kubectl")
        .args(["kubetoml", "--help"])
        .env("PATH", std::env::join_paths(dirs).unwrap())
        .env("KUBECONFIG", install.path().join("none"))));
    assert!(out.contains("Usage: kubectl kubetoml"), "{out}");
}

// ------------------------------------------------------------ GitHub Action

/// `${{ EXPR }}` in `text`, replaced by `values[EXPR]` (an unknown
/// expression fails the test: the runner would not know it either).
fn expand(text: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("closed") + start;
        let expr = rest[start + 3..end].trim();
        out.push_str(
            values
                .get(expr)
                .unwrap_or_else(|| panic!("unknown expression `{expr}`")),
        );
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Runs the composite action's steps as the runner does: each `run` in a
/// file executed by `bash --noprofile --norc -eo pipefail FILE` (`shell:
/// bash`), in the workspace, with the step's `env` expanded, and the lines
/// a step appends to `$GITHUB_PATH` put in front of PATH for later steps.
fn run_action(workspace: &Path, inputs: &[(&str, &str)], path: &std::ffi::OsStr) -> (bool, String) {
    let action = read_yaml("action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    let temp = tempfile::tempdir().unwrap();
    let mut values = BTreeMap::new();
    for (name, input) in action["inputs"].as_mapping().unwrap() {
        let name = name.as_str().unwrap();
        let given = inputs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string());
        assert!(
            given.is_some() || input["required"] != true,
            "input `{name}` is required"
        );
        let default = input["default"].as_str().unwrap_or("").to_owned();
        values.insert(format!("inputs.{name}"), given.unwrap_or(default));
    }
    for (name, _) in inputs {
        assert!(
            values.contains_key(&format!("inputs.{name}")),
            "no input `{name}`"
        );
    }
    values.insert("github.action_path".into(), root().display().to_string());
    values.insert("runner.temp".into(), temp.path().display().to_string());
    let github_path = temp.path().join("github_path");
    std::fs::write(&github_path, "").unwrap();
    let mut path = path.to_owned();
    let mut log = String::new();
    for (i, step) in action["runs"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .enumerate()
    {
        assert_eq!(step["shell"], "bash");
        let script = step["run"].as_str().unwrap();
        assert!(
            !script.contains("${{"),
            "inputs reach `run` only through `env`"
        );
        let file = temp.path().join(format!("step{i}.sh"));
        std::fs::write(&file, script).unwrap();
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&file)
            .current_dir(workspace)
            .env("PATH", &path)
            .env("GITHUB_PATH", &github_path)
            .env("GITHUB_ACTIONS", "true");
        for (k, v) in step["env"].as_mapping().into_iter().flatten() {
            cmd.env(k.as_str().unwrap(), expand(v.as_str().unwrap(), &values));
        }
        let out = run(&mut cmd);
        log += &(text(&out.stdout) + &text(&out.stderr));
        if !out.status.success() {
            return (false, log);
        }
        let added: Vec<PathBuf> = std::fs::read_to_string(&github_path)
            .unwrap()
            .lines()
            .map(PathBuf::from)
            .collect();
        let mut dirs = added;
        dirs.extend(std::env::split_paths(&path));
        path = std::env::join_paths(dirs).unwrap();
        std::fs::write(&github_path, "").unwrap();
    }
    (true, log)
}

#[test]
fn the_github_action_checks_the_committed_output() {
    let work = tempfile::tempdir().unwrap();
    write(work.path(), "deploy/web.toml", WEB);
    write(
        work.path(),
        "deploy/odd $(touch pwned) 'name'.toml",
        "name = \"odd\"\nimage = \"busybox:1.37\"\n[environments.prod]\n",
    );
    let path = path_with_binary();
    ok(run(Command::new(binary())
        .args([
            "-q",
            "render",
            "deploy",
            "--environment",
            "prod",
            "-o",
            "rendered",
        ])
        .current_dir(work.path())));
    let inputs = [
        ("paths", "deploy"),
        ("output-dir", "rendered"),
        ("args", "--environment=prod\n"),
    ];
    let (passed, log) = run_action(work.path(), &inputs, &path);
    assert!(passed, "{log}");
    assert!(
        log.contains("is on PATH"),
        "the install step found the kubetoml on PATH: {log}"
    );
    assert!(log.contains("up to date"), "{log}");
    // Without the environment, the output is stale.
    let (passed, log) = run_action(
        work.path(),
        &[("paths", "deploy"), ("output-dir", "rendered")],
        &path,
    );
    assert!(!passed);
    assert!(
        log.contains("::error::rendered is not what kubetoml renders"),
        "{log}"
    );
    assert!(!work.path().join("pwned").exists());
    // deny-warnings: the description has warnings.
    let (passed, log) = run_action(
        work.path(),
        &[
            ("paths", "deploy"),
            ("output-dir", "rendered"),
            ("args", "--environment=prod"),
            ("deny-warnings", "true"),
        ],
        &path,
    );
    assert!(!passed && log.contains("--deny-warnings"), "{log}");
}

// ----------------------------------------------------------- SchemaStore

#[test]
fn the_schemastore_entry_points_at_the_schema_and_matches_descriptions() {
    let entry: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("integrations/schemastore/catalog-entry.json"))
            .unwrap(),
    )
    .unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/kubetoml.schema.json")).unwrap(),
    )
    .unwrap();
    let keys: Vec<&String> = entry.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["description", "fileMatch", "name", "url"]);
    assert_eq!(entry["url"], schema["$id"]);
    assert_eq!(entry["fileMatch"], serde_json::json!(["*.kubetoml.toml"]));
    // A description named to match is one `render DIR` renders.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "web.kubetoml.toml", WEB);
    let objs = objects(&ok(run(Command::new(binary())
        .args(["-q", "render"])
        .arg(dir.path()))));
    find(&objs, "StatefulSet", "web");
}

// --------------------------------------------------------------- picture

/// The text of every `<text>` element of an SVG, entities decoded.
fn svg_texts(svg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        let open_end = rest[start..].find('>').unwrap() + start + 1;
        let close = rest[open_end..].find("</text>").unwrap() + open_end;
        let raw = &rest[open_end..close];
        let mut s = String::new();
        let mut chars = raw.split('&');
        s.push_str(chars.next().unwrap());
        for piece in chars {
            let (entity, tail) = piece.split_once(';').unwrap();
            let c = match entity {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" | "#160" => ' ',
                e => {
                    let n = e
                        .strip_prefix("#x")
                        .map(|h| u32::from_str_radix(h, 16))
                        .or_else(|| e.strip_prefix('#').map(str::parse))
                        .unwrap()
                        .unwrap();
                    char::from_u32(n).unwrap()
                }
            };
            s.push(c);
            s.push_str(tail);
        }
        out.push(s);
        rest = &rest[close..];
    }
    out
}

fn dot_svg(dot: &str) -> String {
    use std::io::Write as _;
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run Graphviz's `dot` ({e}): `bash .ci/test` installs it (apt-get install graphviz)"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dot.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.stderr.is_empty(), "dot warns: {}", text(&out.stderr));
    ok(out)
}

fn explain(file: &Path, format: &str) -> String {
    ok(run(Command::new(binary())
        .args(["-q", "explain", "--format", format])
        .arg(file)
        .env("PG_PASSWORD", "PG-SECRET-VALUE-1234")
        .env("REGISTRY_TOKEN", "REGISTRY-SECRET-TOKEN-77")))
}

#[test]
fn every_example_draws_with_graphviz_and_no_secret() {
    let mut seen = 0;
    for entry in std::fs::read_dir(root().join("examples")).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(files) = std::fs::read_dir(&dir) else {
            continue;
        };
        for f in files {
            let f = f.unwrap().path();
            if f.extension().is_none_or(|e| e != "toml") {
                continue;
            }
            let dot = explain(&f, "dot");
            assert_eq!(dot, explain(&f, "dot"), "deterministic");
            let svg = dot_svg(&dot);
            let mermaid = explain(&f, "mermaid");
            assert!(mermaid.starts_with("flowchart LR\n"));
            for out in [&dot, &svg, &mermaid] {
                for secret in [
                    "PG-SECRET-VALUE-1234",
                    "REGISTRY-SECRET-TOKEN-77",
                    "1f2d1e2e67df",
                    "MWYyZDFlMmU2N2Rm",
                ] {
                    assert!(!out.contains(secret), "{}: {secret}", f.display());
                }
            }
            seen += 1;
        }
    }
    assert!(seen >= 5);
}

#[test]
fn the_picture_shows_what_reads_what() {
    let svg = dot_svg(&explain(&root().join("examples/web/web.toml"), "dot"));
    let texts = svg_texts(&svg);
    for expected in [
        "Service hd-service",
        "StatefulSet web",
        "pod web-0",
        "pod web-2",
        "claim www-web-1",
        "ConfigMap redis-config",
        "files at /etc/config",
        "Secret mysecret",
        "env SECRET_PASSWORD from key password",
        "env LEVEL from key special.level",
        "PodDisruptionBudget web",
        "web-0.hd-service.default.svc.cluster.local",
    ] {
        assert!(
            texts.iter().any(|t| t == expected),
            "no `{expected}` in {texts:?}"
        );
    }
    // The SVG in the book is this one, drawn by some Graphviz: the same texts.
    let book = std::fs::read_to_string(root().join("docs/src/img/web.svg")).unwrap();
    let (mut a, mut b) = (svg_texts(&book), texts);
    a.sort();
    b.sort();
    assert_eq!(a, b, "docs/src/img/web.svg is stale: kubetoml explain --format dot examples/web/web.toml | dot -Tsvg > docs/src/img/web.svg");
}

#[test]
fn hostile_names_stay_text_in_both_formats() {
    let dir = tempfile::tempdir().unwrap();
    let path = "/data/a\"b\\N <br> |x| #35; ]] end\"] --> x";
    write(
        dir.path(),
        "h.toml",
        &format!(
            "name = \"web\"\nimage = \"nginx:1.27\"\n[volumes.data]\nmount = {}\nsize = \"1Gi\"\n[secrets.creds]\nliterals = {{ \"pass.word\" = \"TOPSECRET-VALUE-1\" }}\nenv = {{ \"A.B-c\" = \"pass.word\" }}\nmount = \"/etc/\\u202e\\u0007x\"\n",
            toml::Value::String(path.into())
        ),
    );
    let file = dir.path().join("h.toml");
    let svg = dot_svg(&explain(&file, "dot"));
    let texts = svg_texts(&svg);
    assert!(texts.contains(&format!("mounts at {path}")), "{texts:?}");
    assert!(
        texts.contains(&"files at /etc/\\u{202e}\\u{7}x".to_owned()),
        "{texts:?}"
    );
    assert!(!svg.contains("TOPSECRET") && !svg.contains("\u{202e}"));
    let mermaid = explain(&file, "mermaid");
    assert!(!mermaid.contains("TOPSECRET"));
    // Every label sits in one quoted string with no quote, bracket or pipe
    // of its own: Mermaid cannot read it as syntax.
    for line in mermaid
        .lines()
        .skip(1)
        .filter(|l| !l.trim_start().starts_with("class"))
    {
        let quoted: Vec<&str> = line.split('"').collect();
        assert_eq!(quoted.len(), 3, "{line}");
        assert!(
            !quoted[1].contains(['[', ']', '|', '<', '>', '{', '}']) || quoted[1].contains("<br>"),
            "{line}"
        );
        assert!(
            !quoted[1]
                .replace("<br>", "")
                .contains(['[', ']', '|', '<', '>', '{', '}', '\\']),
            "{line}"
        );
    }
}

/// What Mermaid's own parser makes of `chart` (tests/tools/mermaid-parse.mjs):
/// node labels by id, and edges as (from, to, label).
fn mermaid_parse(chart: &str) -> serde_json::Value {
    use std::io::Write as _;
    let modules = root().join(".ci/mermaid");
    assert!(
        modules.join("node_modules/mermaid/package.json").is_file(),
        "Mermaid is not in .ci/mermaid: `bash .ci/test` installs it (npm)"
    );
    let mut child = Command::new("node")
        .arg(root().join("tests/tools/mermaid-parse.mjs"))
        .arg(&modules)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run node ({e})"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(chart.as_bytes())
        .unwrap();
    serde_json::from_str(&ok(child.wait_with_output().unwrap())).unwrap()
}

#[test]
fn mermaid_reads_every_label_back_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = "/data/a\"b\\N |x| #35; ]] end\"] --> x; %% y";
    write(
        dir.path(),
        "h.toml",
        &format!(
            "name = \"web\"\nimage = \"nginx:1.27\"\n[volumes.data]\nmount = {}\nsize = \"1Gi\"\n[configmaps.conf]\nliterals = {{ \"a.b\" = \"1\" }}\nenv = {{ \"click\" = \"a.b\" }}\nmount = \"/etc/{{x}}(y)\"\n",
            toml::Value::String(path.into())
        ),
    );
    let file = dir.path().join("h.toml");
    // Every node and edge of an example survives Mermaid's parser.
    let chart = explain(&root().join("examples/web/web.toml"), "mermaid");
    let graph = mermaid_parse(&chart);
    assert_eq!(graph["type"], "flowchart-v2");
    let lines = |arrow: bool| {
        (chart.lines().skip(1))
            .filter(|l| !l.trim_start().starts_with("class"))
            .filter(|l| (l.contains("-->") || l.contains("-.->")) == arrow)
            .count()
    };
    assert_eq!(graph["edges"].as_array().unwrap().len(), lines(true));
    assert_eq!(graph["nodes"].as_object().unwrap().len(), lines(false));
    assert_eq!(graph["nodes"]["pod2"], "pod web-2");
    // Hostile text comes back exactly as written.
    let graph = mermaid_parse(&explain(&file, "mermaid"));
    let edges = graph["edges"].as_array().unwrap();
    let label = |to_prefix: &str| -> String {
        (edges.iter())
            .find(|e| e[1].as_str().unwrap().starts_with(to_prefix))
            .map(|e| e[2].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no edge to {to_prefix}: {edges:?}"))
    };
    assert_eq!(label("pvc"), format!("mounts at {path}"));
    assert_eq!(
        label("cm"),
        "files at /etc/{x}(y)<br>env click from key a.b"
    );
}
