//! The command line, through the real binary: exit codes, streams, files written.

use std::path::Path;

use assert_cmd::Command;

fn kubetoml() -> Command {
    let mut cmd = Command::cargo_bin("kubetoml").unwrap();
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn render_prints_one_stream_in_apply_order() {
    let text = stdout_of(kubetoml().args(["render", "examples/web/web.toml"]));
    let kinds: Vec<String> = serde_yaml::Deserializer::from_str(&text)
        .map(|d| {
            let v: serde_yaml::Value = serde::Deserialize::deserialize(d).unwrap();
            v["kind"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "ConfigMap",
            "ConfigMap",
            "Secret",
            "Service",
            "PodDisruptionBudget",
            "StatefulSet"
        ]
    );
}

#[test]
fn several_files_make_one_stream() {
    let text = stdout_of(kubetoml().args([
        "render",
        "examples/web/web.toml",
        "examples/myapp/myapp.toml",
    ]));
    // web: 2 ConfigMaps, a Secret, the Service, the default budget, the
    // StatefulSet; myapp: the Service, the default budget, the StatefulSet.
    assert_eq!(serde_yaml::Deserializer::from_str(&text).count(), 9);
}

#[test]
fn the_same_file_twice_is_refused() {
    let out = kubetoml()
        .args([
            "render",
            "examples/myapp/myapp.toml",
            "examples/myapp/myapp.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("two descriptions make Service `myapp`"),
        "{stderr}"
    );
}

#[test]
fn paths_resolve_against_the_description_not_the_working_directory() {
    let root = std::env::current_dir().unwrap();
    let text = stdout_of(
        kubetoml()
            .current_dir(root.join("src"))
            .args(["render", "../examples/web/web.toml"]),
    );
    assert!(text.contains("redis.host=127.0.0.1"));
}

#[test]
fn a_bad_description_prints_nothing_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "name = \"web\"\nimage = \"nginx\"\nreplica = 3\n",
    )
    .unwrap();
    let out = kubetoml()
        .arg("render")
        .arg(dir.path().join("bad.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("unknown field `replica`"), "{stderr}");
    assert!(stderr.contains("did you mean `replicas`?"), "{stderr}");
    assert!(
        !stderr.contains("\x1b["),
        "no colors when stderr is not a terminal"
    );
}

#[test]
fn one_bad_file_among_good_ones_prints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.toml"), "name = \"x\"\n").unwrap();
    let out = kubetoml()
        .args(["render", "examples/web/web.toml"])
        .arg(dir.path().join("bad.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["render"][..],
        &["frobnicate"],
        &["render", "--no-such-flag", "x.toml"],
        &[],
    ] {
        let out = kubetoml().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn help_shows_an_example_and_version_prints() {
    let help = stdout_of(kubetoml().args(["render", "--help"]));
    assert!(help.contains("kubectl apply -f -"), "{help}");
    assert!(help.contains("[volumes.www]"), "{help}");
    let version = stdout_of(kubetoml().arg("--version"));
    assert_eq!(
        version.trim(),
        format!("kubetoml {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn missing_file_is_a_clear_error() {
    let out = kubetoml()
        .args(["render", "nope/app.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read `nope/app.toml`"));
}

/// The files in `dir`, by name.
fn sorted_file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The files in `dir` joined into one stream, in name order, as `kubectl apply -f DIR` reads them.
fn joined_in_name_order(dir: &Path) -> String {
    let texts: Vec<String> = sorted_file_names(dir)
        .iter()
        .map(|n| std::fs::read_to_string(dir.join(n)).unwrap())
        .collect();
    texts.join("---\n")
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn output_dir_gets_one_file_per_object_and_private_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("manifests");
    kubetoml()
        .args(["render", "examples/web/web.toml", "-o"])
        .arg(&out_dir)
        .assert()
        .success()
        .stdout("");
    let names = sorted_file_names(&out_dir);
    assert_eq!(
        names,
        [
            "01-configmap-myconfig.yaml",
            "02-configmap-redis-config.yaml",
            "03-secret-mysecret.yaml",
            "04-service-hd-service.yaml",
            "05-poddisruptionbudget-web.yaml",
            "06-statefulset-web.yaml",
        ]
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&out_dir.join("03-secret-mysecret.yaml")), 0o600);
        assert_eq!(
            mode(&out_dir.join("06-statefulset-web.yaml")) & 0o700,
            0o600
        );
    }
    // The files together are exactly the stream.
    let stream = stdout_of(kubetoml().args(["render", "examples/web/web.toml"]));
    assert_eq!(joined_in_name_order(&out_dir), stream);

    // Rendering again replaces the folder, leaving nothing stale behind.
    kubetoml()
        .args(["render", "examples/myapp/myapp.toml", "-o"])
        .arg(&out_dir)
        .assert()
        .success();
    assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 3);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["manifests"], "no staging folder is left behind");
}

#[test]
fn output_dir_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("manifests");
    std::fs::write(
        dir.path().join("bad.toml"),
        "name = \"x\"\nimage = \"y\"\nreplicas = -1\n",
    )
    .unwrap();
    let out = kubetoml()
        .args(["render", "examples/web/web.toml"])
        .arg(dir.path().join("bad.toml"))
        .arg("-o")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!out_dir.exists(), "nothing written when anything failed");
}

#[test]
fn output_dir_never_replaces_a_folder_it_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let out = kubetoml()
        .args(["render", "examples/myapp/myapp.toml", "-o"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("refusing to replace"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn user_templates_replace_the_builtin_ones() {
    let dir = tempfile::tempdir().unwrap();
    let builtin = std::fs::read_to_string("templates/service.yaml").unwrap();
    let custom = builtin.replace(
        "spec:\n",
        "  annotations:\n    team: {{ metadata.name }}-owners\nspec:\n",
    );
    assert_ne!(builtin, custom);
    std::fs::write(dir.path().join("service.yaml"), custom).unwrap();
    let text = stdout_of(
        kubetoml()
            .args(["render", "examples/myapp/myapp.toml", "--templates"])
            .arg(dir.path()),
    );
    assert!(text.contains("team: myapp-owners"), "{text}");
}

#[test]
fn a_broken_user_template_names_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("service.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ metadata.nme }}\n",
    )
    .unwrap();
    let out = kubetoml()
        .args(["render", "examples/myapp/myapp.toml", "--templates"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let file = dir.path().join("service.yaml");
    assert!(
        stderr.contains(&format!("{}:4", file.display())),
        "{stderr}"
    );
}

#[test]
fn a_user_template_cannot_print_broken_yaml() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("service.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: [unclosed\n",
    )
    .unwrap();
    let out = kubetoml()
        .args(["render", "examples/myapp/myapp.toml", "--templates"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("produced invalid YAML"));
}

#[test]
fn output_dir_file_names_sort_in_apply_order_past_99_objects() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for i in 0..40 {
        let path = dir.path().join(format!("app{i}.toml"));
        std::fs::write(
            &path,
            format!("name = \"app{i}\"\nimage = \"x\"\n[configmaps.conf{i}]\nliterals = {{ a = \"b\" }}\n"),
        )
        .unwrap();
        files.push(path);
    }
    let out_dir = dir.path().join("out");
    kubetoml()
        .arg("render")
        .args(&files)
        .arg("-o")
        .arg(&out_dir)
        .assert()
        .success();
    let names = sorted_file_names(&out_dir);
    assert_eq!(names.len(), 120);
    assert_eq!(names[0], "001-configmap-conf0.yaml");
    assert_eq!(names[119], "120-statefulset-app39.yaml");
    // Sorted by name is the stream's order: each app's ConfigMap before its StatefulSet.
    let stream = stdout_of(kubetoml().arg("render").args(&files));
    assert_eq!(joined_in_name_order(&out_dir), stream);
}
