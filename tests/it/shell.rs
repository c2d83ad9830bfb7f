//! The command line around rendering: completions, the manual, `--version`,
//! `--color`, `--quiet`, `-` for standard input, the `-o` summary, and `init`.

use std::path::Path;
use std::process::{Command, Output};

fn kubetoml(
    args: &[&str],
    dir: Option<&Path>,
    stdin: Option<&[u8]>,
    env: &[(&str, &str)],
) -> Output {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubetoml"));
    cmd.args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    // A run that fails before reading its input closes the pipe first.
    match input.write_all(stdin.unwrap_or_default()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.unwrap(),
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn completions_name_every_subcommand_in_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = kubetoml(&["completions", shell], None, None, &[]);
        assert!(out.status.success(), "{shell}");
        let script = text(&out.stdout);
        for sub in ["render", "explain", "import", "init", "completions", "man"] {
            assert!(script.contains(sub), "{shell} completion lacks `{sub}`");
        }
        assert!(script.contains("against"), "{shell}");
    }
    let bad = kubetoml(&["completions", "tcsh"], None, None, &[]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn the_manual_is_roff_with_name_and_synopsis() {
    let out = kubetoml(&["man"], None, None, &[]);
    assert!(out.status.success());
    let roff = text(&out.stdout);
    for section in [
        ".TH kubetoml 1",
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH SUBCOMMANDS",
    ] {
        assert!(roff.contains(section), "{section}\n{roff}");
    }
    assert!(roff.contains("kubetoml\\-render") || roff.contains("render"));
}

#[test]
fn version_names_the_supported_kubernetes_releases() {
    let out = kubetoml(&["--version"], None, None, &[]);
    assert_eq!(
        text(&out.stdout),
        format!(
            "kubetoml {} (output tested against Kubernetes 1.27 to 1.37)\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}

const WARNS: &str = "tests/warn/default_mode_decimal.toml";

#[test]
fn color_follows_the_flag_then_no_color_then_clicolor_force() {
    let esc = |o: &Output| text(&o.stderr).contains('\u{1b}');
    let render = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["render", WARNS];
        args.extend_from_slice(extra);
        kubetoml(&args, None, None, env)
    };
    assert!(!esc(&render(&[], &[])), "stderr is not a terminal here");
    assert!(esc(&render(&["--color", "always"], &[("NO_COLOR", "1")])));
    assert!(!esc(&render(
        &["--color", "never"],
        &[("CLICOLOR_FORCE", "1")]
    )));
    assert!(esc(&render(&[], &[("CLICOLOR_FORCE", "1")])));
    assert!(!esc(&render(&[], &[("CLICOLOR_FORCE", "0")])));
    assert!(!esc(&render(
        &[],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]
    )));
    assert!(esc(&render(
        &[],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "")]
    )));
}

#[test]
fn quiet_drops_warnings_and_summaries_but_not_errors() {
    let loud = kubetoml(&["render", WARNS], None, None, &[]);
    assert!(text(&loud.stderr).contains("warning"));
    let quiet = kubetoml(&["render", "--quiet", WARNS], None, None, &[]);
    assert!(quiet.status.success());
    assert_eq!(text(&quiet.stderr), "");
    assert_eq!(quiet.stdout, loud.stdout);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = kubetoml(
        &[
            "render",
            "-q",
            "examples/web/web.toml",
            "-o",
            out.to_str().unwrap(),
        ],
        None,
        None,
        &[],
    );
    assert!(o.status.success());
    assert_eq!(text(&o.stderr), "");
    let bad = kubetoml(
        &["render", "-q", "tests/bad/missing_name.toml"],
        None,
        None,
        &[],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("error"));
}

#[test]
fn output_dir_is_summarised_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("manifests");
    let o = kubetoml(
        &[
            "render",
            // An example with no warnings: stderr holds the summary alone.
            "examples/restricted/restricted.toml",
            "-o",
            out.to_str().unwrap(),
        ],
        None,
        None,
        &[],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let files = std::fs::read_dir(&out)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "yaml")
        })
        .count();
    assert_eq!(
        text(&o.stderr),
        format!("wrote {files} objects to `{}`\n", out.display())
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn standard_input_descriptions_resolve_paths_against_the_working_directory() {
    let web = std::fs::read("examples/web/web.toml").unwrap();
    let from_file = kubetoml(
        &["render", "web.toml"],
        Some(Path::new("examples/web")),
        None,
        &[],
    );
    let from_stdin = kubetoml(
        &["render", "-"],
        Some(Path::new("examples/web")),
        Some(&web),
        &[],
    );
    assert!(from_stdin.status.success(), "{}", text(&from_stdin.stderr));
    assert_eq!(from_stdin.stdout, from_file.stdout);
    // Elsewhere, `redis.properties` is not in the working directory.
    let elsewhere = kubetoml(&["render", "-"], None, Some(&web), &[]);
    assert_eq!(elsewhere.status.code(), Some(1));
    assert!(
        text(&elsewhere.stderr).contains("<stdin>"),
        "{}",
        text(&elsewhere.stderr)
    );
}

#[test]
fn against_reads_standard_input() {
    let previous = kubetoml(&["render", "examples/web/web.toml"], None, None, &[]).stdout;
    let same = kubetoml(
        &["render", "examples/web/web.toml", "--against", "-"],
        None,
        Some(&previous),
        &[],
    );
    assert!(same.status.success(), "{}", text(&same.stderr));
    assert_eq!(same.stdout, previous);
    let twice = kubetoml(
        &["render", "-", "--against", "-"],
        None,
        Some(&previous),
        &[],
    );
    assert_eq!(twice.status.code(), Some(1));
    assert!(text(&twice.stderr).contains("only once"));
}

#[test]
fn init_writes_a_starter_that_renders_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let first = kubetoml(&["init"], Some(dir.path()), None, &[]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let starter = std::fs::read_to_string(dir.path().join("app.toml")).unwrap();
    assert!(starter.starts_with("# app: "), "{starter}");
    let again = kubetoml(&["init"], Some(dir.path()), None, &[]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("refusing to overwrite `app.toml`"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app.toml")).unwrap(),
        starter
    );
    let named = kubetoml(&["init", "shop-db"], Some(dir.path()), None, &[]);
    assert!(named.status.success());
    let bad = kubetoml(&["init", "Shop"], Some(dir.path()), None, &[]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(!dir.path().join("Shop.toml").exists());
    let rendered = kubetoml(
        &["render", "app.toml", "shop-db.toml"],
        Some(dir.path()),
        None,
        &[],
    );
    assert!(rendered.status.success(), "{}", text(&rendered.stderr));
    assert_eq!(text(&rendered.stderr), "", "the starter has no warnings");
    let yaml = dir.path().join("out.yaml");
    std::fs::write(&yaml, &rendered.stdout).unwrap();
    for version in ["1.27.0", "1.32.0", "1.37.0"] {
        let v = crate::python::with_module("kubernetes_validate")
            .args([
                "-m",
                "kubernetes_validate",
                "--strict",
                "--quiet",
                "-k",
                version,
            ])
            .arg(&yaml)
            .output()
            .unwrap();
        assert!(
            v.status.success(),
            "{version}: {}{}",
            text(&v.stdout),
            text(&v.stderr)
        );
    }
}
