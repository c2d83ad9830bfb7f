//! Layers over a description, through the real binary: `[environments.NAME]`
//! with `--environment`, `--overlay FILE`, `--set PATH=VALUE` and
//! `[from_env]`; each bad case's stderr is snapshotted in
//! `snapshots/layers/`.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

const WEB: &str = r#"name = "web"
image = "registry.example.com/web:dev"
replicas = 1
command = ["sh", "-c", "echo ${HOSTNAME}"]

[volumes.www]
size = "1Gi"
mount = "/var/www"

[secrets.db.literals]
password = "hunter2-base"

[environments.prod]
namespace = "prod"
replicas = 3
resources = { limits = { memory = "2Gi" } }

[environments.prod.volumes.www]
size = "100Gi"

[environments.dev]
replicas = 1
"#;

/// A folder holding `web.toml` (`WEB` unless given) and `files`.
fn dir_with(web: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("web.toml"), web).unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn kubetoml(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("kubetoml").unwrap();
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(dir);
    cmd
}

fn render(dir: &Path, args: &[&str]) -> Output {
    kubetoml(dir)
        .arg("render")
        .arg("web.toml")
        .args(args)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The stderr of a run that must fail with exit status 1 and print nothing.
fn failure(out: &Output) -> String {
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty());
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains("hunter2"), "a secret leaked: {err}");
    err
}

fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../snapshots/layers");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

fn doc<'a>(stream: &'a str, kind: &str) -> &'a str {
    stream
        .split("---\n")
        .find(|d| d.contains(&format!("kind: {kind}\n")))
        .unwrap()
}

#[test]
fn without_an_environment_the_base_renders_as_if_there_were_none() {
    let plain = WEB.split("[environments.prod]").next().unwrap();
    let with = dir_with(WEB, &[]);
    let without = dir_with(plain, &[]);
    assert_eq!(
        stdout(&render(with.path(), &[])),
        stdout(&render(without.path(), &[]))
    );
}

#[test]
fn an_environment_merges_tables_key_by_key() {
    let dir = dir_with(WEB, &[]);
    let out = stdout(&render(dir.path(), &["--environment", "prod"]));
    let sts = doc(&out, "StatefulSet");
    assert!(sts.contains("  namespace: prod\n"), "{sts}");
    assert!(sts.contains("  replicas: 3\n"), "{sts}");
    assert!(sts.contains("storage: 100Gi"), "{sts}");
    // Merged key by key: the mount the environment does not name stays.
    assert!(sts.contains("mountPath: /var/www"), "{sts}");
    assert!(sts.contains("memory: 2Gi"), "{sts}");
    let dev = stdout(&render(dir.path(), &["--environment", "dev"]));
    assert!(doc(&dev, "StatefulSet").contains("storage: 1Gi"));
}

#[test]
fn environment_mistakes() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("unknown_environment", WEB, &["--environment", "stage"]),
        ("close_environment", WEB, &["--environment", "prd"]),
        (
            "typo_in_unselected_environment",
            &WEB.replace("[environments.dev]\nreplicas", "[environments.dev]\nreplica"),
            &[],
        ),
        (
            "environment_sets_name",
            &WEB.replace("[environments.dev]\n", "[environments.dev]\nname = \"other\"\n"),
            &["--environment", "dev"],
        ),
        (
            "environment_value_of_wrong_type",
            &WEB.replace("replicas = 3", "replicas = \"three\""),
            &["--environment", "prod"],
        ),
        (
            "environment_secret_typo_is_masked",
            &format!("{WEB}[environments.prod.secrets.db]\nliteralz = {{ password = \"hunter2-prod\" }}\n"),
            &["--environment", "prod"],
        ),
    ];
    for (name, web, args) in cases {
        let dir = dir_with(web, &[]);
        snapshot(&format!("env_{name}"), &failure(&render(dir.path(), args)));
    }
}

#[test]
fn overlays_merge_in_order_and_read_paths_from_their_own_folder() {
    let dir = dir_with(
        WEB,
        &[
            (
                "platform/prod.toml",
                "replicas = 5\n[configmaps.extra]\nfiles = [\"conf/app.conf\"]\n",
            ),
            ("platform/conf/app.conf", "from the platform\n"),
            ("last.toml", "replicas = 7\n"),
        ],
    );
    let args = [
        "--environment",
        "prod",
        "--overlay",
        "platform/prod.toml",
        "--overlay",
        "last.toml",
    ];
    let out = stdout(&render(dir.path(), &args));
    assert!(doc(&out, "StatefulSet").contains("  replicas: 7\n"));
    assert!(doc(&out, "ConfigMap").contains("from the platform"));
}

#[test]
fn overlay_mistakes_name_the_overlay() {
    let cases: &[(&str, &str)] = &[
        ("unknown_field", "[volumes.www]\nstorage_clas = \"fast\"\n"),
        ("wrong_type", "\n\nreplicas = \"five\"\n"),
        ("sets_name", "name = \"other\"\n"),
        ("syntax", "replicas = = 3\n"),
        ("secret_wrong_type", "[secrets.db.literals]\npassword = 5\n"),
        (
            "outside_its_folder",
            "[configmaps.x]\nfiles = [\"../web.toml\"]\n",
        ),
    ];
    for (name, text) in cases {
        let dir = dir_with(WEB, &[("over/o.toml", text)]);
        let out = render(dir.path(), &["--overlay", "over/o.toml"]);
        let err = failure(&out).replace(&dir.path().display().to_string(), "[DIR]");
        snapshot(&format!("overlay_{name}"), &err);
    }
    let dir = dir_with(WEB, &[]);
    let missing = render(dir.path(), &["--overlay", "nope.toml"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read `nope.toml`"));
}

#[test]
fn set_values_take_the_type_of_their_field() {
    let dir = dir_with(WEB, &[]);
    let out = stdout(&render(
        dir.path(),
        &[
            "--set",
            "image=true",
            "--set",
            "replicas=5",
            "--set",
            "volumes.www.size=200Gi",
            "--set",
            "labels.\"team.example.com/owner\"=db",
            "--set",
            "command=[\"sleep\", \"1\"]",
            "--set",
            "resources={ limits = { cpu = 2 } }",
            "--set",
            "volumes.www.read_only=true",
            "--set",
            "env.MODE=42",
        ],
    ));
    let sts = doc(&out, "StatefulSet");
    assert!(sts.contains("image: \"true\""), "{sts}");
    assert!(sts.contains("  replicas: 5\n"), "{sts}");
    assert!(sts.contains("storage: 200Gi"), "{sts}");
    assert!(sts.contains("team.example.com/owner: db"), "{sts}");
    assert!(sts.contains("- sleep\n"), "{sts}");
    assert!(sts.contains("cpu: \"2\""), "{sts}");
    assert!(sts.contains("readOnly: true"), "{sts}");
    assert!(sts.contains("value: \"42\""), "{sts}");
}

#[test]
fn set_mistakes_point_at_the_argument() {
    let cases: &[(&str, &str)] = &[
        ("not_a_number", "replicas=abc"),
        ("not_a_boolean", "volumes.www.read_only=yes"),
        ("not_an_array", "command=sleep"),
        ("not_a_table", "resources=big"),
        ("unknown_field", "replica=3"),
        ("no_equals", "replicas"),
        ("unclosed_quote", "labels.\"a=b"),
        ("sets_name", "name=other"),
        ("bad_quantity", "volumes.www.size=lots"),
        (
            "secret_in_unknown_field",
            "secrets.db.literalz.password=hunter2-set",
        ),
        (
            "secret_path_unclosed",
            "secrets.db.literals.\"password=hunter2-set",
        ),
    ];
    let dir = dir_with(WEB, &[]);
    for (name, arg) in cases {
        let out = render(dir.path(), &["--set", arg]);
        snapshot(&format!("set_{name}"), &failure(&out));
    }
}

#[test]
fn set_wins_over_overlays_and_environments() {
    let dir = dir_with(WEB, &[("o.toml", "replicas = 4\n")]);
    let args = [
        "--environment",
        "prod",
        "--overlay",
        "o.toml",
        "--set",
        "replicas=6",
    ];
    let out = stdout(&render(dir.path(), &args));
    assert!(doc(&out, "StatefulSet").contains("  replicas: 6\n"));
}

const FROM_ENV: &str = r#"name = "web"
image = "registry.example.com/web:dev"
command = ["sh", "-c", "echo ${HOSTNAME} $CI_IMAGE"]

[from_env]
image = "CI_IMAGE"
"#;

#[test]
fn from_env_sets_string_fields_and_nothing_else() {
    let dir = dir_with(FROM_ENV, &[]);
    let out = kubetoml(dir.path())
        .env("CI_IMAGE", "registry.example.com/web:3f9c2a1")
        .env("HOSTNAME", "builder")
        .args(["render", "web.toml"])
        .output()
        .unwrap();
    let sts = stdout(&out);
    assert!(
        sts.contains("image: registry.example.com/web:3f9c2a1"),
        "{sts}"
    );
    assert!(sts.contains("\"echo ${HOSTNAME} $CI_IMAGE\""), "{sts}");
}

#[test]
fn from_env_mistakes() {
    let dir = dir_with(FROM_ENV, &[]);
    let unset = kubetoml(dir.path())
        .args(["render", "web.toml"])
        .output()
        .unwrap();
    snapshot("from_env_unset", &failure(&unset));
    let empty = (kubetoml(dir.path()).env("CI_IMAGE", ""))
        .args(["render", "web.toml"])
        .output()
        .unwrap();
    snapshot("from_env_empty", &failure(&empty));
    let bad = FROM_ENV.replace(
        "image = \"CI_IMAGE\"",
        "replicas = \"N\"\nsecrets.db.literals.password = \"PW\"\nimage = 3",
    );
    let dir = dir_with(&bad, &[]);
    let out = (kubetoml(dir.path()).env("N", "3").env("PW", "hunter2"))
        .args(["render", "web.toml"])
        .output()
        .unwrap();
    snapshot("from_env_refused", &failure(&out));
}

#[test]
fn from_env_variables_are_inputs() {
    let dir = dir_with(FROM_ENV, &[]);
    let options = kubetoml::Options::new().env([("CI_IMAGE", "registry.example.com/web:1")]);
    let out = kubetoml::compile_file(dir.path().join("web.toml"), &options).unwrap();
    assert!(out.inputs().env_vars.iter().any(|v| v == "CI_IMAGE"));
    assert!(out.to_yaml().contains("image: registry.example.com/web:1"));
}

#[test]
fn overlay_files_are_inputs() {
    let dir = dir_with(
        WEB,
        &[
            ("o/o.toml", "[configmaps.c]\nfiles = [\"a.txt\"]\n"),
            ("o/a.txt", "a"),
        ],
    );
    let options = kubetoml::Options::new().overlay(dir.path().join("o/o.toml"));
    let out = kubetoml::compile_file(dir.path().join("web.toml"), &options).unwrap();
    let names: Vec<_> = (out.inputs().files.iter())
        .map(|f| f.file_name().unwrap().to_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["a.txt", "o.toml", "web.toml"]);
}

#[test]
fn explain_says_where_each_layered_value_came_from() {
    let dir = dir_with(WEB, &[("o.toml", "\nreplicas = 4\n")]);
    let args = [
        "explain",
        "web.toml",
        "--environment",
        "prod",
        "--overlay",
        "o.toml",
        "--set",
        "image=registry.example.com/web:2",
        "--set",
        "secrets.db.literals.password=hunter2-set",
    ];
    let text = stdout(&kubetoml(dir.path()).args(args).output().unwrap());
    let origins = text
        .split("values set over the description\n")
        .nth(1)
        .unwrap();
    assert!(!text.contains("hunter2"), "{text}");
    snapshot("explain_origins", origins);
    let json = stdout(
        &kubetoml(dir.path())
            .args(args)
            .args(["--format", "json"])
            .output()
            .unwrap(),
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["origins"][1]["field"], "replicas");
    assert_eq!(v["origins"][1]["layer"], "environment `prod`");
    assert_eq!(v["origins"][1]["at"], "web.toml:15");
    let plain = stdout(
        &kubetoml(dir.path())
            .args(["explain", "web.toml"])
            .output()
            .unwrap(),
    );
    assert!(!plain.contains("values set over"));
}

#[test]
fn the_devprod_example_renders_prod() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let args = [
        "render",
        "examples/devprod/devprod.toml",
        "--environment",
        "prod",
    ];
    let out = stdout(&kubetoml(root).args(args).output().unwrap());
    snapshot("devprod_prod", &out);
}

#[test]
fn secrets_in_any_layer_never_reach_stderr() {
    let broken =
        format!("{WEB}[environments.prod.secrets.db.literals]\npassword = \"hunter2-env\n");
    let dir = dir_with(
        &broken,
        &[(
            "o.toml",
            "[secrets.db]\nliterals = { password = \"hunter2-over\" \n",
        )],
    );
    failure(&render(dir.path(), &[]));
    let dir = dir_with(
        WEB,
        &[(
            "o.toml",
            "[secrets.db]\nliterals = { password = \"hunter2-over\" \n",
        )],
    );
    failure(&render(dir.path(), &["--overlay", "o.toml"]));
    let dir = dir_with(
        WEB,
        &[(
            "o.toml",
            "[secrets.db]\nliteralz = { password = \"hunter2-over\" }\n",
        )],
    );
    failure(&render(
        dir.path(),
        &[
            "--overlay",
            "o.toml",
            "--set",
            "secrets.db.literals.password=hunter2-set",
            "--set",
            "replicas=x",
        ],
    ));
    let out = render(
        dir.path(),
        &[
            "--set",
            "secrets.db.literals.password=hunter2-set",
            "--set",
            "secrets.db.literals.x.y=hunter2-set",
        ],
    );
    failure(&out);
}

/// A secret written in one layer and mangled into a key of another (a deleted
/// quote or line break) is masked there too: every layer's masked values are
/// masked wherever any layer is drawn.
#[test]
fn a_secret_of_one_layer_is_masked_in_the_keys_of_another() {
    const SECRET: &str = "Zq8Wv3Kp5Ld7";
    let set = format!("secrets.db.literals.token={SECRET}");
    // In the description, from `--set`: a broken line, then an unknown field.
    for line in [format!("pa{SECRET}=x\""), format!("{SECRET} = 1")] {
        let dir = dir_with(&format!("{line}\n{WEB}"), &[]);
        let err = failure(&render(dir.path(), &["--set", &set]));
        assert!(!err.contains(&SECRET[..6]), "{err}");
    }
    // In the description, from an overlay.
    let overlay = format!("[secrets.db]\nliterals = {{ token = \"{SECRET}\" }}\n");
    let dir = dir_with(&format!("{SECRET} = 1\n{WEB}"), &[("o.toml", &overlay)]);
    let err = failure(&render(dir.path(), &["--overlay", "o.toml"]));
    assert!(!err.contains(&SECRET[..6]), "{err}");
    // In an overlay, from `--set`.
    let dir = dir_with(WEB, &[("o.toml", &format!("{SECRET}x = 1\n"))]);
    let err = failure(&render(dir.path(), &["--overlay", "o.toml", "--set", &set]));
    assert!(!err.contains(&SECRET[..6]), "{err}");
}
