//! Issue 21, escapes: whatever a hostile object name, file name, flag value or import
//! input holds, stderr and the text on stdout carry no control character (but line
//! breaks and tabs) and no bidirectional override: one escaping path
//! (src/cli/terminal.rs) for everything a person reads.

use std::path::Path;

use assert_cmd::Command;

fn kubetoml() -> Command {
    let mut cmd = Command::cargo_bin("kubetoml").unwrap();
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

const HOSTILE: &str = "x\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}evil\u{2066}\u{9b}31m\ry";

/// Fails naming the first character that could drive a terminal.
fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let bad = text
        .char_indices()
        .find(|&(_, c)| kubetoml::escape_char(c).is_some() && c != '\n');
    assert!(bad.is_none(), "{what}: {bad:?} in {text:?}");
}

/// `text` as a double-quoted YAML (and JSON) string holding only printable ASCII.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' => out.extend(['\\', c]),
            ' '..='~' => out.push(c),
            c => out.push_str(&format!("\\u{:04x}", c as u32)),
        }
    }
    out.push('"');
    out
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn a_hostile_flag_value_is_escaped_in_clap_s_error() {
    for args in [
        vec!["render", "--kube-version", HOSTILE, "a.toml"],
        vec!["render", "--color", HOSTILE, "a.toml"],
        vec![HOSTILE],
        vec!["render", &format!("--{HOSTILE}"), "a.toml"],
    ] {
        let out = kubetoml().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_clean(&format!("{args:?}"), &out.stderr);
        // What the user typed is shown, escaped (clap drops the escape sequences).
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("\\u{202e}evil"), "{stderr}");
    }
}

#[test]
fn hostile_paths_are_escaped_in_errors_and_summaries() {
    let dir = tempfile::tempdir().unwrap();
    // A description that does not exist, named with escapes.
    let out = kubetoml()
        .current_dir(dir.path())
        .args(["render", &format!("{HOSTILE}.toml")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_clean("missing file", &out.stderr);
    // A folder named with escapes: the summary line quotes it.
    write(
        dir.path(),
        "app.toml",
        "name = \"app\"\nimage = \"nginx:1.27\"\n",
    );
    for color in ["never", "always"] {
        let out = kubetoml()
            .current_dir(dir.path())
            .args(["render", "app.toml", "--color", color, "-o"])
            .arg(format!("out-{color}-{}", HOSTILE.replace('/', "_")))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("wrote 2 objects to `out-"), "{stderr}");
        // With colors, only kubetoml's own color sequences are left.
        let plain = stderr
            .replace("\x1b[1;33m", "")
            .replace("\x1b[1;34m", "")
            .replace("\x1b[1m", "")
            .replace("\x1b[0m", "");
        assert_clean(color, plain.as_bytes());
    }
}

#[test]
fn hostile_names_from_files_are_escaped_in_errors_warnings_and_explain() {
    let dir = tempfile::tempdir().unwrap();
    let value = quoted(HOSTILE);
    write(
        dir.path(),
        "app.toml",
        &format!(
            "name = \"app\"\nimage = \"nginx:1.27\"\nextra_manifests = [\"extra.yaml\"]\n\
             [env]\nGREETING = {value}\n[labels]\n{value} = \"x\"\n"
        ),
    );
    write(
        dir.path(),
        "extra.yaml",
        &format!("apiVersion: v1\nkind: Thing\nmetadata:\n  name: {value}\n"),
    );
    let render = kubetoml()
        .current_dir(dir.path())
        .args(["render", "app.toml"])
        .output()
        .unwrap();
    assert_clean("render", &render.stderr);
    // Without the bad label: explain prints the environment variable's value.
    write(
        dir.path(),
        "app.toml",
        &format!("name = \"app\"\nimage = \"nginx:1.27\"\n[env]\nGREETING = {value}\n"),
    );
    for format in ["text", "json"] {
        let explain = kubetoml()
            .current_dir(dir.path())
            .args(["explain", "--format", format, "app.toml"])
            .output()
            .unwrap();
        assert!(
            explain.status.success(),
            "{}",
            String::from_utf8_lossy(&explain.stderr)
        );
        assert_clean(format, &explain.stdout);
        assert_clean(format, &explain.stderr);
        if format == "json" {
            let back: serde_json::Value = serde_json::from_slice(&explain.stdout).unwrap();
            assert!(back.to_string().contains("pwned"));
        }
    }
}

#[test]
fn hostile_names_in_an_import_are_escaped_in_its_differences() {
    let dir = tempfile::tempdir().unwrap();
    let value = quoted(HOSTILE);
    write(
        dir.path(),
        "in.yaml",
        &format!(
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\n  annotations:\n    {value}: {value}\n\
             spec:\n  serviceName: web\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n      annotations: {{{value}: {value}}}\n\
             \x20   spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        env:\n        - {{name: A, value: {value}}}\n\
             ---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {value}\ndata: {{{value}: {value}}}\n"
        ),
    );
    let out = kubetoml()
        .current_dir(dir.path())
        .args(["import", "in.yaml", "-o", "out"])
        .output()
        .unwrap();
    assert_clean("import", &out.stderr);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("\\u{1b}"),
        "the hostile text is shown, escaped: {stderr}"
    );
}
