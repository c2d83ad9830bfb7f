//! The `restricted` output of every example passes checkov's pod-security checks.
//!
//! checkov is installed by `.ci/test` into the project-local `.venv`
//! (`.ci/requirements.txt`); a machine without it fails here with the
//! command to run. CKV_K8S_22 (read-only root filesystem) is required where
//! the description asks for a read-only root (`examples/restricted`, which
//! mounts an `emptyDir` at `/tmp`): the other examples write to theirs.

use std::path::Path;
use std::process::Command;

use kubetoml::{Options, Templates};

const CHECKS: [&str; 9] = [
    "CKV_K8S_20", // allowPrivilegeEscalation: false
    "CKV_K8S_23", // no root containers
    "CKV_K8S_28", // NET_RAW dropped
    "CKV_K8S_29", // a pod securityContext
    "CKV_K8S_30", // a container securityContext
    "CKV_K8S_31", // seccomp RuntimeDefault
    "CKV_K8S_37", // capabilities dropped
    "CKV_K8S_38", // no service account token where none is needed
    "CKV_K8S_40", // a high UID
];
const READ_ONLY_ROOT: &str = "CKV_K8S_22";

/// checkov, run as a module of the tests' python (`.ci/test` installs it there).
fn checkov() -> Command {
    let mut command = crate::python::with_module("checkov");
    command.args(["-m", "checkov.main"]);
    command
}

/// Runs checkov's `checks` on every file in `dir`: `Err` holds its report.
fn run(dir: &Path, checks: &[&str]) -> Result<(), String> {
    let out = checkov()
        .args([
            "--framework",
            "kubernetes",
            "--compact",
            "--quiet",
            "--skip-download",
        ])
        .args(["--check", &checks.join(",")])
        .arg("-d")
        .arg(dir)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() && report.contains("Failed checks: 0") {
        Ok(())
    } else {
        Err(format!(
            "{}:\n{report}{}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A temporary folder checkov scans: it skips hidden ones (`.tmpXXXX`).
fn visible_tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("checkov-")
        .tempdir()
        .unwrap()
}

/// The example at `path` with `pod_security = "restricted"` added, rendered.
fn restricted(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = if text.contains("pod_security") {
        text
    } else {
        format!("pod_security = \"restricted\"\n{text}")
    };
    let options = Options::new().env([("PG_PASSWORD", "pw"), ("REGISTRY_TOKEN", "tok")]);
    kubetoml::resolve("x.toml", &text, path.parent().unwrap(), &options)
        .and_then(|r| r.render(&Templates::builtin()))
        .unwrap_or_else(|e| panic!("{}: {}", path.display(), e.draw(false)))
        .to_yaml()
}

#[test]
fn restricted_output_of_every_example_passes_checkov() {
    // One checkov run per check list: each run costs seconds.
    let (all, read_only, with_token) = (visible_tempdir(), visible_tempdir(), visible_tempdir());
    let mut seen = 0;
    for entry in std::fs::read_dir("examples").unwrap() {
        let example = entry.unwrap().path();
        let name = example.file_name().unwrap().to_str().unwrap().to_owned();
        let path = example.join(format!("{name}.toml"));
        let yaml = restricted(&path);
        // A service account with `rules` is one whose pods need their API
        // token: CKV_K8S_38 (CIS 5.1.6, tokens "only where necessary") is
        // met by the need, and checked on every other example.
        let dir = if std::fs::read_to_string(&path)
            .unwrap()
            .contains("\nrules = [")
        {
            with_token.path()
        } else {
            all.path()
        };
        std::fs::write(dir.join(format!("{name}.yaml")), &yaml).unwrap();
        if std::fs::read_to_string(&path)
            .unwrap()
            .contains("read_only_root_filesystem = true")
        {
            std::fs::write(read_only.path().join(format!("{name}.yaml")), &yaml).unwrap();
        }
        seen += 1;
    }
    assert!(
        seen >= 5,
        "the four reference examples and examples/restricted"
    );
    assert!(
        read_only.path().join("restricted.yaml").exists(),
        "examples/restricted asks for a read-only root"
    );
    assert!(
        with_token.path().join("peers.yaml").exists(),
        "examples/peers grants its pods rules"
    );
    run(all.path(), &CHECKS).unwrap();
    run(read_only.path(), &[READ_ONLY_ROOT]).unwrap();
    let token = "CKV_K8S_38";
    let without_token: Vec<&str> = CHECKS.iter().copied().filter(|c| *c != token).collect();
    run(with_token.path(), &without_token).unwrap();
}

#[test]
fn checkov_fails_what_restricted_does_not_fix() {
    // A check that cannot fail proves nothing: without `pod_security` the
    // web example fails the same checks.
    let dir = visible_tempdir();
    let out =
        kubetoml::compile_file(Path::new("examples/web/web.toml"), &Options::default()).unwrap();
    std::fs::write(dir.path().join("web.yaml"), out.to_yaml()).unwrap();
    // The Job and the CronJob are scanned too: without the level they fail.
    let pgstack = std::fs::read_to_string("examples/pgstack/pgstack.toml").unwrap();
    let unrestricted = pgstack.replace("pod_security = \"restricted\"\n", "");
    assert_ne!(pgstack, unrestricted);
    let options = Options::new().env([("PG_PASSWORD", "pw")]);
    let out = kubetoml::resolve(
        "pg.toml",
        &unrestricted,
        Path::new("examples/pgstack"),
        &options,
    )
    .and_then(|r| r.render(&Templates::builtin()))
    .unwrap();
    std::fs::write(dir.path().join("pg.yaml"), out.to_yaml()).unwrap();
    let report = run(dir.path(), &CHECKS).unwrap_err();
    assert!(report.contains("CKV_K8S_20"), "{report}");
    for resource in [
        "StatefulSet.data.pg",
        "Job.data.pg-migrate-",
        "CronJob.data.pg-backup",
    ] {
        assert!(
            report.contains(&format!("FAILED for resource: {resource}")),
            "{resource}:\n{report}"
        );
    }
}
