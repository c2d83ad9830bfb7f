//! `render -o DIR --check`: nothing written, exit 1 listing each stale,
//! missing or extra file, exit 0 when DIR is up to date.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

const WEB: &str = r#"name = "web"
image = "registry.example.com/web:1"

[configmaps.conf.literals]
mode = "fast"

[environments.prod]
replicas = 3
"#;

fn run(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::cargo_bin("kubetoml").unwrap();
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(dir)
        .args(["-q", "render", "web.toml", "-o", "out"])
        .args(args)
        .output()
        .unwrap()
}

/// Every file in `dir/out` with its bytes.
fn snapshot_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir.join("out"))
        .map(|entries| {
            entries
                .map(|e| {
                    let e = e.unwrap();
                    let name = e.file_name().to_string_lossy().into_owned();
                    (name, std::fs::read(e.path()).unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("web.toml"), WEB).unwrap();
    dir
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

#[test]
fn an_up_to_date_folder_passes() {
    let dir = setup();
    assert!(run(dir.path(), &[]).status.success());
    let before = snapshot_of(dir.path());
    let out = run(dir.path(), &["--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    // kubetoml's own list of what it wrote is never compared.
    assert!(before.iter().any(|(name, _)| name == ".kubetoml-manifest"));
    std::fs::write(dir.path().join("out/.kubetoml-manifest"), "whatever\n").unwrap();
    assert_eq!(run(dir.path(), &["--check"]).status.code(), Some(0));
    assert_eq!(snapshot_of(dir.path()).len(), before.len());
}

#[test]
fn every_difference_is_listed_and_nothing_written() {
    let dir = setup();
    assert!(run(dir.path(), &[]).status.success());
    let out_dir = dir.path().join("out");
    let names: Vec<String> = snapshot_of(dir.path())
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    std::fs::remove_file(out_dir.join(&names[0])).unwrap();
    std::fs::write(out_dir.join(&names[2]), "stale\n").unwrap();
    std::fs::write(out_dir.join("99-extra.yaml"), "x\n").unwrap();
    let before = snapshot_of(dir.path());
    let out = run(dir.path(), &["--check"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("`out/{}` is missing", names[0])),
        "{err}"
    );
    assert!(
        err.contains(&format!("`out/{}` is stale", names[2])),
        "{err}"
    );
    assert!(err.contains("`out/99-extra.yaml` is extra"), "{err}");
    assert!(!err.contains(&format!("`out/{}`", names[1])), "{err}");
    assert_eq!(snapshot_of(dir.path()), before, "--check wrote something");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../snapshots/layers");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("check_differences", err));
}

#[test]
fn a_missing_folder_is_all_missing_and_not_created() {
    let dir = setup();
    let out = run(dir.path(), &["--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).matches("is missing").count(), 3);
    assert!(!dir.path().join("out").exists());
}

#[test]
fn check_works_with_layers_and_against() {
    let dir = setup();
    assert!(run(dir.path(), &["--environment", "prod"]).status.success());
    assert_eq!(
        run(dir.path(), &["--check", "--environment", "prod"])
            .status
            .code(),
        Some(0)
    );
    let base = run(dir.path(), &["--check"]);
    assert_eq!(base.status.code(), Some(1));
    assert!(
        stderr(&base).contains("statefulset-web.yaml` is "),
        "{}",
        stderr(&base)
    );
    let set = run(
        dir.path(),
        &["--check", "--environment", "prod", "--set", "replicas=4"],
    );
    assert_eq!(set.status.code(), Some(1));
    let sts = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("statefulset"))
        .unwrap();
    let against = sts.to_string_lossy().into_owned();
    let ok = run(
        dir.path(),
        &["--check", "--environment", "prod", "--against", &against],
    );
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let moved = run(
        dir.path(),
        &[
            "--check",
            "--environment",
            "prod",
            "--against",
            &against,
            "--set",
            "volumes={ d = { size = \"1Gi\", mount = \"/d\" } }",
        ],
    );
    assert_eq!(moved.status.code(), Some(1));
    assert!(
        stderr(&moved).contains("volumeClaimTemplates"),
        "{}",
        stderr(&moved)
    );
}

#[test]
fn check_needs_an_output_folder() {
    let dir = setup();
    let mut cmd = Command::cargo_bin("kubetoml").unwrap();
    let out = cmd
        .current_dir(dir.path())
        .args(["render", "web.toml", "--check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
