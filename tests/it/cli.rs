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
        format!(
            "kubetoml {} (output tested against Kubernetes 1.27 to 1.37)",
            env!("CARGO_PKG_VERSION")
        )
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

/// The files in `dir`, by name, but kubetoml's record of them (`.kubetoml-manifest`,
/// which `kubectl apply -f DIR` skips: it reads `.yaml`, `.yml` and `.json` only).
fn sorted_file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != ".kubetoml-manifest")
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
    assert_eq!(sorted_file_names(&out_dir).len(), 3);
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

/// A copy of `pod.yaml` includes the built-in parts (pod-settings,
/// pod-security, volumes, ...) and imports `container.yaml`'s macro, as the
/// original does: its output is the built-in one plus what it adds.
#[test]
fn a_user_copy_of_pod_yaml_uses_the_built_in_parts() {
    let dir = tempfile::tempdir().unwrap();
    let builtin = std::fs::read_to_string("templates/pod.yaml").unwrap();
    let (line, added) = ("      containers:\n", "      hostname: custom\n");
    assert_eq!(builtin.matches(line).count(), 1);
    assert!(builtin.contains("{% include \"parts/pod-security.yaml\" %}"));
    std::fs::write(
        dir.path().join("pod.yaml"),
        builtin.replace(line, &format!("{added}{line}")),
    )
    .unwrap();
    let app = "examples/restricted/restricted.toml";
    let plain = stdout_of(kubetoml().args(["render", app]));
    // The example reaches the parts a user's copy must still find.
    for part in [
        "automountServiceAccountToken",
        "runAsNonRoot",
        "resources:",
        "readinessProbe:",
        "emptyDir",
    ] {
        assert!(plain.contains(part), "{part}");
    }
    let text = stdout_of(
        kubetoml()
            .args(["render", app, "--templates"])
            .arg(dir.path()),
    );
    assert_eq!(text, plain.replace(line, &format!("{added}{line}")));
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

/// Renders `examples/myapp/myapp.toml` into `out_dir`.
fn render_myapp_into(out_dir: &Path) -> std::process::Output {
    kubetoml()
        .args(["render", "examples/myapp/myapp.toml", "-o"])
        .arg(out_dir)
        .output()
        .unwrap()
}

#[test]
fn output_dir_keeps_a_hand_written_file_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("manifests");
    assert!(render_myapp_into(&out_dir).status.success());
    let before = joined_in_name_order(&out_dir);
    // A hand-written YAML file next to kubetoml's: the render is refused, naming it.
    std::fs::write(out_dir.join("ingress.yaml"), "kind: Ingress\n").unwrap();
    std::fs::write(out_dir.join("kustomization.yaml"), "resources: []\n").unwrap();
    let out = render_myapp_into(&out_dir);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`ingress.yaml`, which kubetoml did not write"),
        "{stderr}"
    );
    assert!(stderr.contains("`kustomization.yaml`"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(out_dir.join("ingress.yaml")).unwrap(),
        "kind: Ingress\n"
    );
    std::fs::remove_file(out_dir.join("ingress.yaml")).unwrap();
    std::fs::remove_file(out_dir.join("kustomization.yaml")).unwrap();
    assert_eq!(
        joined_in_name_order(&out_dir),
        before,
        "its own files untouched"
    );
}

#[test]
fn output_dir_refuses_to_replace_an_edited_output() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("manifests");
    assert!(render_myapp_into(&out_dir).status.success());
    let name = sorted_file_names(&out_dir).remove(0);
    std::fs::write(out_dir.join(&name), "# my edit\n").unwrap();
    let out = render_myapp_into(&out_dir);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("`{name}`, changed since kubetoml wrote it")),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(out_dir.join(&name)).unwrap(),
        "# my edit\n"
    );
}

#[test]
fn output_dir_written_before_the_manifest_is_replaced_when_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("manifests");
    assert!(render_myapp_into(&out_dir).status.success());
    std::fs::remove_file(out_dir.join(".kubetoml-manifest")).unwrap();
    assert!(render_myapp_into(&out_dir).status.success());
    assert!(out_dir.join(".kubetoml-manifest").is_file());
}

/// Unchanged files keep their inode (linked, not rewritten); a changed one is new; a
/// Secret's file someone opened up to others is written again, private.
#[cfg(unix)]
#[test]
fn output_dir_links_unchanged_files_and_rewrites_the_rest() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("manifests");
    let description = dir.path().join("web.toml");
    let web = std::fs::read_to_string("examples/web/web.toml").unwrap();
    std::fs::write(&description, &web).unwrap();
    std::fs::copy(
        "examples/web/redis.properties",
        dir.path().join("redis.properties"),
    )
    .unwrap();
    let render = || {
        let out = kubetoml()
            .arg("render")
            .arg(&description)
            .arg("-o")
            .arg(&out_dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let files = || -> std::collections::BTreeMap<String, (u64, String)> {
        sorted_file_names(&out_dir)
            .into_iter()
            .map(|n| {
                let path = out_dir.join(&n);
                let ino = std::fs::metadata(&path).unwrap().ino();
                (n, (ino, std::fs::read_to_string(&path).unwrap()))
            })
            .collect()
    };
    render();
    let first = files();
    let secret = "03-secret-mysecret.yaml";
    std::fs::set_permissions(out_dir.join(secret), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(
        &description,
        web.replacen("replicas = 3", "replicas = 4", 1),
    )
    .unwrap();
    render();
    let second = files();
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    let mut changed = 0;
    for (name, (ino, text)) in &second {
        let (first_ino, first_text) = &first[name];
        changed += usize::from(text != first_text);
        let rewritten = text != first_text || name == secret;
        assert_eq!(first_ino != ino, rewritten, "{name}");
    }
    assert!(changed >= 1, "the StatefulSet's replicas changed");
    assert_eq!(mode(&out_dir.join(secret)), 0o600);
    let stream = stdout_of(kubetoml().arg("render").arg(&description));
    assert_eq!(joined_in_name_order(&out_dir), stream);
}

#[cfg(unix)]
#[test]
fn output_dir_recovers_from_a_killed_run_and_keeps_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("manifests");
    assert!(render_myapp_into(&out_dir).status.success());
    std::fs::set_permissions(&out_dir, std::fs::Permissions::from_mode(0o750)).unwrap();
    // A run killed between its two renames: the old folder is aside, none in place
    // (KUBETOML_FAULT works in debug builds only).
    if cfg!(debug_assertions) {
        // A file missing, so the folder is replaced (an unchanged one is left as it is).
        let one = std::fs::read_dir(&out_dir)
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        std::fs::remove_file(one.path()).unwrap();
        let killed = kubetoml()
            .env("KUBETOML_FAULT", "crash:moved-aside")
            .args(["render", "examples/myapp/myapp.toml", "-o"])
            .arg(&out_dir)
            .output()
            .unwrap();
        assert!(!killed.status.success());
        assert!(!out_dir.exists());
    }
    assert!(render_myapp_into(&out_dir).status.success());
    assert_eq!(mode(&out_dir), 0o750);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["manifests"]);
}

#[test]
fn output_dir_file_names_fit_name_max_for_253_character_names() {
    let dir = tempfile::tempdir().unwrap();
    let long = format!(
        "{}.{}.{}.{}",
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(61)
    );
    assert_eq!(long.len(), 253);
    std::fs::write(
        dir.path().join("app.toml"),
        format!(
            "name = \"x\"\nimage = \"y\"\n[configmaps.\"{long}\"]\nliterals = {{ a = \"b\" }}\n"
        ),
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    kubetoml()
        .arg("render")
        .arg(dir.path().join("app.toml"))
        .arg("-o")
        .arg(&out_dir)
        .assert()
        .success();
    let names = sorted_file_names(&out_dir);
    assert!(names[0].starts_with("01-configmap-aaa"), "{names:?}");
    assert!(names.iter().all(|n| n.len() <= 255), "{names:?}");
    let stream = stdout_of(kubetoml().arg("render").arg(dir.path().join("app.toml")));
    assert_eq!(joined_in_name_order(&out_dir), stream);
}

#[test]
fn output_dir_parents_are_created() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("a/b/manifests");
    assert!(render_myapp_into(&out_dir).status.success());
    assert_eq!(sorted_file_names(&out_dir).len(), 3);
}

#[test]
fn output_to_an_existing_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.yaml");
    std::fs::write(&file, "mine").unwrap();
    let out = render_myapp_into(&file);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is a file, not a folder"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
}

#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_quietly_with_the_sigpipe_status() {
    use std::io::Read as _;
    use std::process::Stdio;
    // Many objects, so the output is larger than a pipe holds and the write meets the closed end.
    let dir = tempfile::tempdir().unwrap();
    // `--quiet`: stderr is piped and not read, so warnings must not fill it first.
    let mut args = vec!["render".to_string(), "--quiet".to_string()];
    for i in 0..300 {
        let path = dir.path().join(format!("app{i}.toml"));
        std::fs::write(
            &path,
            format!("name = \"app{i}\"\nimage = \"x\"\n[configmaps.conf{i}]\nliterals = {{ a = \"b\" }}\n"),
        )
        .unwrap();
        args.push(path.display().to_string());
    }
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kubetoml"))
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line, as `head -1` does, then close the pipe.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(141));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

/// `render ARGS` in `dir`, which must fail (exit 1) within 10 s with at most 64 KB on
/// stderr; returns stderr.
fn refused_quickly(dir: &Path, args: &[&str]) -> String {
    refused_within(dir, args, 10)
}

/// [`refused_quickly`], within `seconds`.
fn refused_within(dir: &Path, args: &[&str], seconds: u64) -> String {
    let out = kubetoml()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .arg("render")
        .args(args)
        .timeout(std::time::Duration::from_secs(seconds))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.len() <= 64 * 1024,
        "{args:?}: {} bytes on stderr",
        stderr.len()
    );
    stderr
}

const APP: &str = "name = \"app\"\nimage = \"nginx:1.27\"\n";

#[cfg(unix)]
#[test]
fn a_device_as_description_or_against_file_is_read_no_further_than_4_mib() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.toml"), APP).unwrap();
    for args in [
        &["/dev/zero"][..],
        &["/dev/urandom"],
        &["--against", "/dev/zero", "app.toml"],
    ] {
        let stderr = refused_quickly(dir.path(), args);
        assert!(stderr.contains("holds more than 4 MiB"), "{stderr}");
    }
}

#[test]
fn deeply_nested_yaml_in_the_against_file_is_refused_before_parsing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.toml"), APP).unwrap();
    let nested = format!("{}{}", "[".repeat(2_000_000), "]".repeat(2_000_000));
    std::fs::write(dir.path().join("old.yaml"), nested).unwrap();
    let stderr = refused_quickly(dir.path(), &["--against", "old.yaml", "app.toml"]);
    assert!(
        stderr.contains("nest more than 100 levels deep (aliases expanded): more than kubetoml reads at line 1, column 101"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn a_folder_of_sparse_files_is_refused_before_reading_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sparse")).unwrap();
    for i in 0..300 {
        let f = std::fs::File::create(dir.path().join(format!("sparse/f{i}"))).unwrap();
        f.set_len(1024 * 1024).unwrap();
    }
    std::fs::write(
        dir.path().join("app.toml"),
        format!("{APP}[configmaps.c]\nfiles = [\"sparse\"]\n"),
    )
    .unwrap();
    let stderr = refused_quickly(dir.path(), &["app.toml"]);
    assert!(
        stderr.contains("the files in `sparse` hold more than 1 MiB together"),
        "{stderr}"
    );
}

#[test]
fn one_file_under_many_keys_or_in_many_objects_is_read_a_bounded_number_of_times() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.txt"), "a".repeat(1024 * 1024)).unwrap();
    let keys: Vec<String> = (0..5000).map(|i| format!("\"k{i}=big.txt\"")).collect();
    std::fs::write(
        dir.path().join("keys.toml"),
        format!("{APP}[configmaps.c]\nfiles = [{}]\n", keys.join(",")),
    )
    .unwrap();
    let stderr = refused_quickly(dir.path(), &["keys.toml"]);
    assert!(
        stderr.contains("more than the API server's limit of 1 MiB"),
        "{stderr}"
    );
    let objects: String = (0..40)
        .map(|i| format!("[configmaps.c{i}]\nfiles = [\"big.txt\"]\n"))
        .collect();
    std::fs::write(dir.path().join("objects.toml"), format!("{APP}{objects}")).unwrap();
    let stderr = refused_quickly(dir.path(), &["objects.toml"]);
    assert!(stderr.contains("past 32 MiB in all"), "{stderr}");
}

/// A folder holding `app.toml` (one ConfigMap) and `tpl/configmap.yaml` = `template`.
fn with_configmap_template(template: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tpl")).unwrap();
    std::fs::write(dir.path().join("tpl/configmap.yaml"), template).unwrap();
    std::fs::write(
        dir.path().join("app.toml"),
        format!("{APP}[configmaps.c]\nliterals = {{ a = \"b\" }}\n"),
    )
    .unwrap();
    dir
}

#[test]
fn a_user_template_that_never_ends_runs_out_of_fuel() {
    let dir = with_configmap_template(
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n",
    );
    // Fuel stops it after 10 million instructions: half a second in a release
    // build, about 1.5 s in the tests' debug build on a quiet machine, several
    // times that on a loaded one (this test failed at 10 s there). Without
    // fuel it would run 10^10 iterations, hours: a minute tells the two apart.
    let stderr = refused_within(dir.path(), &["--templates", "tpl", "app.toml"], 60);
    assert!(stderr.contains("engine ran out of fuel"), "{stderr}");
}

/// A user template asking `mapping` or `indent` for a column of 10^11 spaces
/// (100 GB of padding) stops at its memory budget with an error naming it.
#[test]
fn a_huge_column_stops_at_the_memory_budget() {
    for call in [
        "data|mapping(100000000000)",
        "\"a\\nb\"|indent(100000000000)",
    ] {
        let dir = with_configmap_template(&format!(
            "apiVersion: v1\nkind: ConfigMap\n{{% include \"parts/metadata.yaml\" %}}\ndata:{{{{ {call} }}}}\n"
        ));
        let stderr = refused_quickly(dir.path(), &["--templates", "tpl", "app.toml", "-o", "out"]);
        assert!(
            stderr.starts_with(
                "error: template `tpl/configmap.yaml` rendering ConfigMap `c` needed more than 96 MiB of memory\n"
            ),
            "{call}: {stderr}"
        );
        assert!(!dir.path().join("out").exists(), "{call}: nothing written");
    }
}

/// A template that doubles a string forty times (a terabyte in forty instructions, so
/// fuel does not stop it) stops at its memory budget with an error naming it. Run
/// with 512 MiB of address space: without the budget the process dies at the limit
/// (status 134, "memory allocation failed"), with it kubetoml answers.
#[cfg(target_os = "linux")]
#[test]
fn a_user_template_that_grows_without_bound_stops_at_its_memory_budget() {
    let doubling = "{% set s = s ~ s %}".repeat(40);
    let dir = with_configmap_template(&format!(
        "{{% set s = \"xxxxxxxxxxxxxxxx\" %}}{doubling}{{{{ s|length }}}}\n"
    ));
    let started = std::time::Instant::now();
    let out = std::process::Command::new("sh")
        .current_dir(dir.path())
        .args(["-c", "ulimit -v 524288 && exec \"$0\" \"$@\""])
        .arg(assert_cmd::cargo::cargo_bin("kubetoml"))
        .args(["render", "--templates", "tpl", "app.toml", "-o", "out"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(
            "error: template `tpl/configmap.yaml` rendering ConfigMap `c` needed more than 96 MiB of memory\n"
        ),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    assert!(!dir.path().join("out").exists(), "nothing written");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[cfg(unix)]
#[test]
fn a_template_that_is_a_device_is_read_no_further_than_1_mib() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tpl")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("tpl/configmap.yaml")).unwrap();
    std::fs::write(dir.path().join("app.toml"), APP).unwrap();
    let stderr = refused_quickly(dir.path(), &["--templates", "tpl", "app.toml"]);
    assert!(stderr.contains("holds more than 1 MiB"), "{stderr}");
}

/// The pods' `kubetoml.dev/config-hash` for `toml`, rendered with `KUBETOML_HASH_KEY`
/// set to `key` (or unset).
fn config_hash(toml: &str, key: Option<&str>) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.toml"), toml).unwrap();
    let mut cmd = kubetoml();
    cmd.arg("render").arg(dir.path().join("app.toml"));
    match key {
        Some(key) => cmd.env("KUBETOML_HASH_KEY", key),
        None => cmd.env_remove("KUBETOML_HASH_KEY"),
    };
    let out = stdout_of(&mut cmd);
    out.lines()
        .find_map(|l| l.trim().strip_prefix("kubetoml.dev/config-hash: "))
        .map(str::to_owned)
}

const WITH_CONFIG: &str = "name = \"app\"\nimage = \"nginx:1.27\"\n\
    [configmaps.conf]\nliterals = { a = \"b\" }\nmount = \"/etc/conf\"\n";

fn with_secret(password: &str) -> String {
    format!("{WITH_CONFIG}[secrets.pw]\nliterals = {{ password = \"{password}\" }}\nmount = \"/etc/pw\"\n")
}

#[test]
fn a_configmap_only_config_hash_is_unchanged() {
    // The value kubetoml gave before Secrets were keyed: upgrading rolls no pods.
    let expected = "c6ba351e6abbcb3d21e07847275dc41cdaf9aba79cecf42250ccc9ce9ca76088";
    assert_eq!(config_hash(WITH_CONFIG, None).as_deref(), Some(expected));
    assert_eq!(
        config_hash(WITH_CONFIG, Some("k")).as_deref(),
        Some(expected)
    );
}

#[test]
fn without_a_key_the_config_hash_leaves_secrets_out() {
    let configmap_only = config_hash(WITH_CONFIG, None);
    assert_eq!(config_hash(&with_secret("hunter2"), None), configmap_only);
    assert_eq!(config_hash(&with_secret("letmein"), None), configmap_only);
    // A Secret alone gives no annotation at all.
    let secret_only = "name = \"app\"\nimage = \"nginx:1.27\"\n\
        [secrets.pw]\nliterals = { password = \"hunter2\" }\nmount = \"/etc/pw\"\n";
    assert_eq!(config_hash(secret_only, None), None);
    // An empty key (a CI secret that is not set) is no key.
    assert_eq!(
        config_hash(&with_secret("hunter2"), Some("")),
        configmap_only
    );
}

#[test]
fn with_a_key_a_secret_change_rolls_the_pods_but_the_hash_is_not_a_function_of_the_content() {
    let key = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    let hunter2 = config_hash(&with_secret("hunter2"), Some(key));
    assert!(hunter2.is_some());
    assert_eq!(
        hunter2,
        config_hash(&with_secret("hunter2"), Some(key)),
        "deterministic"
    );
    assert_ne!(
        hunter2,
        config_hash(&with_secret("letmein"), Some(key)),
        "a change rolls"
    );
    assert_ne!(hunter2, config_hash(WITH_CONFIG, Some(key)));
    // The same content under another key hashes differently: without the key, the
    // annotation cannot be recomputed from a guessed password.
    assert_ne!(
        hunter2,
        config_hash(&with_secret("hunter2"), Some("another key"))
    );
}

#[test]
fn one_file_named_thousands_of_times_stops_after_100_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("small.txt"), "v").unwrap();
    // One spec a line: drawing a long line whole is the diagnostics' concern, not this test's.
    let specs = vec!["\"small.txt\""; 20_000].join(",\n");
    std::fs::write(
        dir.path().join("app.toml"),
        format!("{APP}[configmaps.c]\nfiles = [{specs}]\n"),
    )
    .unwrap();
    let stderr = refused_quickly(dir.path(), &["app.toml"]);
    assert!(
        stderr.contains("a key can have one source only"),
        "{stderr}"
    );
}
