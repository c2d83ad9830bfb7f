//! Every example's output passes `kubernetes-validate --strict` for Kubernetes 1.27 to 1.37.
//!
//! `kubernetes-validate` (`pip install kubernetes-validate`, run here as
//! `python3 -m kubernetes_validate`) checks objects
//! against each release's OpenAPI schema, offline. It is required: CI installs
//! it, and a machine without it fails here with the command to run.

use std::path::{Path, PathBuf};
use std::process::Command;

const VERSIONS: [&str; 11] = [
    "1.27.0", "1.28.0", "1.29.0", "1.30.0", "1.31.0", "1.32.0", "1.33.0", "1.34.0", "1.35.0",
    "1.36.0", "1.37.0",
];

/// Runs `kubernetes-validate --strict` for `version` on `files`: `Err` holds its report.
fn validate(version: &str, files: &[PathBuf]) -> Result<(), String> {
    let probe = Command::new("kubernetes-validate")
        .arg("--version")
        .output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "kubernetes-validate is not installed: run `pip install kubernetes-validate`"
    );
    let out = Command::new("kubernetes-validate")
        .args(["--strict", "--quiet", "-k", version])
        .args(files)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "Kubernetes {version}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Renders every example into `dir`, one multi-document file each, through the real binary.
fn render_examples(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for example in [
        "web/web.toml",
        "myapp/myapp.toml",
        "hook-demo/hook-demo.toml",
        "postgres/postgres.toml",
        "zookeeper/zookeeper.toml",
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_kubetoml"))
            .args(["render", &format!("examples/{example}")])
            .env("PG_PASSWORD", "pw")
            .env("REGISTRY_TOKEN", "token")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let file = dir.join(example.replace('/', "-").replace(".toml", ".yaml"));
        std::fs::write(&file, out.stdout).unwrap();
        files.push(file);
    }
    files
}

#[test]
fn examples_pass_strict_schema_validation_on_every_supported_release() {
    let dir = tempfile::tempdir().unwrap();
    let files = render_examples(dir.path());
    for version in VERSIONS {
        validate(version, &files).unwrap();
    }
}

/// Every field of the format at once. Only Kubernetes 1.29 and later know the
/// `sleep` hook it uses; the rest of it validates on 1.27 too.
#[test]
fn every_field_passes_strict_schema_validation() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kubetoml"))
        .args(["render", "tests/fixtures/everything/everything.toml"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = [dir.path().join("everything.yaml")];
    std::fs::write(&file[0], &out.stdout).unwrap();
    for version in &VERSIONS[2..] {
        validate(version, &file).unwrap();
    }
    let text = String::from_utf8(out.stdout).unwrap();
    let without_sleep = text.replace(
        "preStop:\n              sleep:\n                seconds: 5\n",
        "preStop:\n              exec:\n                command:\n                  - \"true\"\n",
    );
    assert_ne!(text, without_sleep);
    std::fs::write(&file[0], without_sleep).unwrap();
    validate(VERSIONS[0], &file).unwrap();
}

#[test]
fn the_validator_rejects_what_it_should() {
    // A check that cannot fail proves nothing: an unknown field must be refused.
    let dir = tempfile::tempdir().unwrap();
    let files = render_examples(dir.path());
    let text = std::fs::read_to_string(&files[1]).unwrap();
    let broken = text.replacen("  serviceName:", "  serviceNme:", 1);
    assert_ne!(text, broken);
    let file = [dir.path().join("broken.yaml")];
    std::fs::write(&file[0], broken).unwrap();
    assert!(
        validate("1.37.0", &file).is_err(),
        "an unknown field was accepted"
    );
}
