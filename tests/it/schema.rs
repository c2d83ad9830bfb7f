//! Every example's output passes `kubernetes-validate --strict` for Kubernetes 1.27 to 1.37.
//!
//! `kubernetes-validate` checks objects against each release's OpenAPI schema,
//! offline. It runs here as `python -m kubernetes_validate` with the python of
//! `tests/python` (the `.venv` that `.ci/test` installs it into). It is required:
//! a machine without it fails here with the command to run.

use crate::python;

use std::path::{Path, PathBuf};
use std::process::Command;

const VERSIONS: [&str; 11] = [
    "1.27.0", "1.28.0", "1.29.0", "1.30.0", "1.31.0", "1.32.0", "1.33.0", "1.34.0", "1.35.0",
    "1.36.0", "1.37.0",
];

/// Runs `kubernetes-validate --strict` for `version` on `files`: `Err` holds its report.
fn validate(version: &str, files: &[PathBuf]) -> Result<(), String> {
    let out = python::with_module("kubernetes_validate")
        .args([
            "-m",
            "kubernetes_validate",
            "--strict",
            "--quiet",
            "-k",
            version,
        ])
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
    render_examples_for(dir, None)
}

/// [`render_examples`] with `--kube-version` when `version` is given.
fn render_examples_for(dir: &Path, version: Option<&str>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for example in [
        "web/web.toml",
        "myapp/myapp.toml",
        "hook-demo/hook-demo.toml",
        "postgres/postgres.toml",
        "restricted/restricted.toml",
        "zookeeper/zookeeper.toml",
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_kubetoml"))
            .args(["render", &format!("examples/{example}")])
            .args(version.map(|v| format!("--kube-version={v}")))
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

/// `kubetoml render --kube-version V FILE`: the output, or the error drawn.
fn render_for(version: &str, file: &str) -> Result<Vec<u8>, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_kubetoml"))
        .args(["render", "--kube-version", version, file])
        .env("PG_PASSWORD", "pw")
        .env("REGISTRY_TOKEN", "token")
        .output()
        .unwrap();
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// For every release kubetoml knows: the examples and the every-field
/// fixture, rendered for it, pass its strict schema; and what kubetoml
/// refuses for a release is exactly what that release's schema rejects.
#[test]
fn each_release_gets_output_its_schema_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let everything = "tests/fixtures/everything/everything.toml";
    let newest = dir.path().join("everything-newest.yaml");
    std::fs::write(&newest, render_for("1.37", everything).unwrap()).unwrap();
    let mut refused = Vec::new();
    for version in VERSIONS {
        let minor = &version[..version.len() - 2];
        let files = render_examples_for(dir.path(), Some(minor));
        validate(version, &files).unwrap();
        match render_for(minor, everything) {
            Ok(yaml) => {
                let file = dir.path().join(format!("everything-{minor}.yaml"));
                std::fs::write(&file, yaml).unwrap();
                validate(version, &[file]).unwrap();
            }
            Err(err) => {
                // The only refusal: the `sleep` hook, which this schema rejects too.
                assert!(
                    err.contains("needs Kubernetes 1.29 or later")
                        && err.matches("error:").count() == 1,
                    "{minor}: {err}"
                );
                let report = validate(version, std::slice::from_ref(&newest)).unwrap_err();
                assert!(report.contains("sleep"), "{minor}: {report}");
                refused.push(minor.to_owned());
            }
        }
    }
    assert_eq!(refused, ["1.27", "1.28"]);
}

/// The examples with a native sidecar, RBAC rules and a volume at two paths
/// (`examples/peers`, and `examples/pgstack` with its Job and CronJob) pass
/// every release's strict schema from their minimum, 1.29, to 1.37; before
/// 1.29 kubetoml refuses the native sidecar, at its line.
#[test]
fn the_examples_with_native_sidecars_pass_from_their_minimum_release() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["peers", "pgstack"] {
        let example = format!("examples/{name}/{name}.toml");
        let text = std::fs::read_to_string(&example).unwrap();
        let line = 1 + text.lines().position(|l| l == "native = true").unwrap();
        for version in VERSIONS {
            let minor = &version[..version.len() - 2];
            match render_for(minor, &example) {
                Ok(yaml) => {
                    let text = String::from_utf8(yaml.clone()).unwrap();
                    for kind in ["Role", "RoleBinding"] {
                        assert!(
                            text.contains(&format!("\nkind: {kind}\n")),
                            "{name}: {kind}"
                        );
                    }
                    assert!(text.contains("restartPolicy: Always"), "{name}");
                    let file = dir.path().join(format!("{name}-{minor}.yaml"));
                    std::fs::write(&file, yaml).unwrap();
                    validate(version, &[file]).unwrap();
                }
                Err(err) => {
                    let at = format!("{name}.toml:{line}:10");
                    assert!(
                        ["1.27", "1.28"].contains(&minor)
                            && err.contains("`sidecars.native` needs Kubernetes 1.29 or later")
                            && err.contains(&at),
                        "{name} {minor}: {err}"
                    );
                }
            }
        }
    }
}
