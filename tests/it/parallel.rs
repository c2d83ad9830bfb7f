//! `render` with many descriptions compiles them on every core; what it prints
//! (documents, warnings, errors) is byte for byte what one file at a time prints.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn kubetoml() -> Command {
    let mut cmd = Command::cargo_bin("kubetoml").unwrap();
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("APP_TOKEN", "s3cr3t-token");
    cmd
}

/// How app `i` is written: good, good with a warning, or broken in one of two ways.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Good,
    Warns,
    BadValue,
    MissingFile,
}

/// Writes a realistic app into `root/app-NNN/`: a ConfigMap from files and
/// literals, a Secret from a literal and the build environment, ports,
/// a volume, probes and resources. Returns the description's path.
fn write_app(root: &Path, i: usize, shape: Shape) -> PathBuf {
    let dir = root.join(format!("app-{i:03}"));
    std::fs::create_dir_all(dir.join("conf")).unwrap();
    std::fs::write(
        dir.join("conf/app.properties"),
        format!(
            "listen.port=8080\nworkers={}\ncache.size={}Mi\n",
            i % 8 + 1,
            64 * (i % 4 + 1)
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("conf/logging.yaml"),
        format!("level: info\nformat: json\napp: app-{i}\n"),
    )
    .unwrap();
    let replicas = if shape == Shape::BadValue {
        "\"three\"".to_owned()
    } else {
        (i % 5 + 1).to_string()
    };
    let files = if shape == Shape::MissingFile {
        "conf/missing.conf"
    } else {
        "conf/"
    };
    let mode = if shape == Shape::Warns {
        "\ndefault_mode = 440"
    } else {
        ""
    };
    let text = format!(
        r#"name = "app-{i:03}"
namespace = "team-{team}"
replicas = {replicas}
pod_security = "restricted"
image = "registry.example.com/team-{team}/app-{i:03}:1.{i}.0"
ports = {{ http = 8080, metrics = 9090 }}
env = {{ APP_INDEX = "{i}", LOG_LEVEL = "info" }}

[resources]
requests = {{ cpu = "100m", memory = "128Mi" }}
limits = {{ memory = "256Mi" }}

[probes.readiness]
http = {{ path = "/ready", port = "http" }}
period = 5

[probes.liveness]
tcp = "http"

[volumes.data]
mount = "/var/lib/app"
size = "{size}Gi"

[configmaps.app-{i:03}-config]
files = ["{files}"]
literals = {{ "feature.flags" = "a,b,c", region = "eu-west-{region}" }}
mount = "/etc/app"

[secrets.app-{i:03}-auth]
literals = {{ username = "app{i}" }}
from_env = {{ token = "APP_TOKEN" }}
mount = "/etc/app-auth"{mode}
"#,
        team = i % 4,
        size = i % 10 + 1,
        region = i % 3 + 1,
    );
    let path = dir.join(format!("app-{i:03}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Every 7th app warns; with `failures`, every 9th has a bad value and every 13th a missing file.
fn shape(i: usize, failures: bool) -> Shape {
    match i {
        _ if failures && i % 9 == 4 => Shape::BadValue,
        _ if failures && i % 13 == 6 => Shape::MissingFile,
        _ if i % 7 == 3 => Shape::Warns,
        _ => Shape::Good,
    }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn render(paths: &[PathBuf]) -> Run {
    let out = kubetoml().arg("render").args(paths).output().unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn apps(root: &Path, n: usize, failures: bool) -> Vec<PathBuf> {
    (0..n)
        .map(|i| write_app(root, i, shape(i, failures)))
        .collect()
}

#[test]
fn sixty_descriptions_render_as_one_at_a_time() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = apps(tmp.path(), 60, false);
    let together = render(&paths);
    assert_eq!(together.code, Some(0), "{}", together.stderr);
    let alone: Vec<Run> = paths
        .iter()
        .map(|p| render(std::slice::from_ref(p)))
        .collect();
    assert!(alone.iter().all(|r| r.code == Some(0)));
    let stdout: Vec<&str> = alone.iter().map(|r| r.stdout.as_str()).collect();
    assert_eq!(together.stdout, stdout.join("---\n"));
    let stderr: String = alone.iter().map(|r| r.stderr.as_str()).collect();
    assert_eq!(together.stderr, stderr);
    // The comparison is not vacuous: every app is there, and some warned.
    assert_eq!(together.stdout.matches("\nkind: StatefulSet\n").count(), 60);
    let warned = (0..60).filter(|&i| shape(i, false) == Shape::Warns).count();
    assert_eq!(
        together
            .stderr
            .matches("warning: `default_mode = 440`")
            .count(),
        warned
    );
    assert_eq!(together.stderr.matches("warning:").count(), warned);
    assert!(!together.stderr.contains("s3cr3t-token") && !together.stdout.contains("s3cr3t-token"));
}

#[test]
fn failing_descriptions_report_in_argument_order_and_print_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = apps(tmp.path(), 60, true);
    let together = render(&paths);
    assert_eq!(together.code, Some(1));
    assert_eq!(together.stdout, "");
    // Serially: each good file's warnings as it compiles, then every error in argument order.
    let (mut warnings, mut errors) = (String::new(), String::new());
    for (i, path) in paths.iter().enumerate() {
        let alone = render(std::slice::from_ref(path));
        match shape(i, true) {
            Shape::Good | Shape::Warns => {
                assert_eq!(alone.code, Some(0), "{}", alone.stderr);
                warnings.push_str(&alone.stderr);
            }
            Shape::BadValue | Shape::MissingFile => {
                assert_eq!(alone.code, Some(1));
                assert!(!alone.stderr.is_empty());
                errors.push_str(&alone.stderr);
            }
        }
    }
    assert_eq!(together.stderr, warnings + &errors);
    let failed = (0..60).filter(|&i| !matches!(shape(i, true), Shape::Good | Shape::Warns));
    assert!(failed.count() >= 8);
}
