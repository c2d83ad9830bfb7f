//! Bad descriptions through the real binary: exit status 1, nothing on
//! stdout, and every problem drawn on stderr exactly as a person sees it.
//!
//! `tests/bad/*.toml` each hold a realistic mistake (or several); their
//! stderr is snapshotted in `snapshots/bad/`. Warnings, size limits and
//! `--no-literal-secrets` have their own tests below.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

/// The binary with a fixed environment: nothing but `PATH`, no colors.
fn kubetoml(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("kubetoml").unwrap();
    // One variable set but empty, as CI systems pass a missing secret.
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("KUBETOML_TEST_EMPTY", "")
        .current_dir(dir);
    cmd
}

/// stderr as text, with this checkout's path replaced so snapshots hold on
/// any machine.
fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone())
        .unwrap()
        .replace(env!("CARGO_MANIFEST_DIR"), "[ROOT]")
}

fn settings(path: &str) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(path);
    settings.set_prepend_module_to_snapshot(false);
    settings
}

#[test]
fn bad_descriptions_fail_with_every_error_drawn() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    settings("../../snapshots/bad").bind(|| {
        insta::glob!("../bad", "*.toml", |path| {
            let name = path.file_name().unwrap().to_str().unwrap();
            let out = kubetoml(root)
                .args(["render", &format!("tests/bad/{name}")])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
            assert!(out.stdout.is_empty(), "{name} printed to stdout");
            let text = stderr(&out);
            assert!(text.starts_with("error: "), "{name}: {text}");
            insta::assert_snapshot!(text);
        });
    });
}

#[test]
fn warnings_are_drawn_and_the_output_still_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    settings("../../snapshots/warn").bind(|| {
        insta::glob!("../warn", "*.toml", |path| {
            let name = path.file_name().unwrap().to_str().unwrap();
            let out = kubetoml(root)
                .args(["render", &format!("tests/warn/{name}")])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
            assert!(!out.stdout.is_empty(), "{name} printed nothing");
            let text = stderr(&out);
            assert!(text.starts_with("warning: "), "{name}: {text}");
            insta::assert_snapshot!(text);
        });
    });
}

/// The reference examples print lint warnings (snapshotted in
/// `examples_warn_as_snapshotted`) and nothing else; the `restricted` one prints nothing.
#[test]
fn good_examples_print_only_warnings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for example in [
        "hook-demo/hook-demo",
        "myapp/myapp",
        "postgres/postgres",
        "web/web",
        "restricted/restricted",
    ] {
        let out = kubetoml(root)
            .env("PG_PASSWORD", "example-password")
            .env("REGISTRY_TOKEN", "example-token")
            .args(["render", &format!("examples/{example}.toml")])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{example}: {}", stderr(&out));
        assert!(!out.stdout.is_empty(), "{example} printed nothing");
        let text = stderr(&out);
        if example.starts_with("restricted") {
            assert_eq!(text, "", "{example}");
        } else {
            assert!(text.starts_with("warning: "), "{example}: {text}");
            assert!(!text.contains("\nerror"), "{example}: {text}");
        }
    }
}

#[test]
fn no_literal_secrets_points_at_each_literal() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = kubetoml(root)
        .args(["render", "--no-literal-secrets", "examples/web/web.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let text = stderr(&out);
    // The drawn source line shows the user's own file; the messages and
    // help lines never repeat a value.
    let said: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("error") || l.contains("= help"))
        .collect();
    assert!(
        said.iter()
            .all(|l| !l.contains("admin") && !l.contains("1f2d1e2e67df")),
        "{text}"
    );
    assert_eq!(text.matches("literal secret value").count(), 2, "{text}");
    settings("../../snapshots/cli")
        .bind(|| insta::assert_snapshot!("no_literal_secrets_web", text));
}

/// A description with one ConfigMap built from `files` of `sizes` bytes
/// each, written into a fresh folder: the big data is made here rather than
/// committed.
fn big_description(sizes: &[usize]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, size) in sizes.iter().enumerate() {
        let name = format!("part{i}.txt");
        std::fs::write(dir.path().join(&name), "x".repeat(*size)).unwrap();
        files.push(format!("\"{name}\""));
    }
    let toml = format!(
        "name = \"web\"\nimage = \"nginx:1.27\"\n\n[configmaps.assets]\nfiles = [{}]\nmount = \"/usr/share/nginx/html\"\n",
        files.join(", ")
    );
    std::fs::write(dir.path().join("big.toml"), toml).unwrap();
    dir
}

#[test]
fn past_256_kib_a_configmap_warns_to_apply_server_side() {
    let dir = big_description(&[200 * 1024, 100 * 1024]);
    let out = kubetoml(dir.path())
        .args(["render", "big.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!out.stdout.is_empty());
    settings("../../snapshots/cli")
        .bind(|| insta::assert_snapshot!("configmap_over_256_kib", stderr(&out)));
}

#[test]
fn past_1_mib_a_configmap_is_refused() {
    let dir = big_description(&[700 * 1024, 400 * 1024]);
    let out = kubetoml(dir.path())
        .args(["render", "big.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    settings("../../snapshots/cli")
        .bind(|| insta::assert_snapshot!("configmap_over_1_mib", stderr(&out)));
}
