//! Issue 21, bounds outside YAML: the PEM scanner, files in ConfigMap folders and
//! output folders, user templates' output and unselected environments, each answered
//! quickly with a clear error or a render. (The debug binary the tests run is several
//! times slower than a release build: `benches/worst_cases.sh` times these at the 2 s
//! budget.)

use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;

fn kubetoml() -> Command {
    let mut cmd = Command::cargo_bin("kubetoml").unwrap();
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

const APP: &str = "name = \"app\"\nimage = \"nginx:1.27\"\n";

/// Runs kubetoml in `dir` with `args`; its stderr, after checking it took under
/// `seconds` and exited with `status`.
fn run(dir: &Path, args: &[&str], status: i32, seconds: u64) -> String {
    let started = Instant::now();
    let out = kubetoml().current_dir(dir).args(args).output().unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(status), "{stderr}");
    assert!(
        took < Duration::from_secs(seconds),
        "{args:?} took {took:?}"
    );
    stderr
}

/// A TLS Secret whose certificate is 1 MiB of BEGIN lines with no END (Go's
/// CVE-2025-61723): refused in linear time, in kubectl's words.
#[test]
fn a_megabyte_of_begin_lines_is_scanned_once() {
    let dir = tempfile::tempdir().unwrap();
    let lines = "-----BEGIN CERTIFICATE-----\n".repeat(1_048_000 / 28);
    std::fs::write(dir.path().join("tls.crt"), &lines).unwrap();
    std::fs::write(dir.path().join("tls.key"), &lines).unwrap();
    std::fs::write(
        dir.path().join("app.toml"),
        format!("{APP}[secrets.t]\ntype = \"kubernetes.io/tls\"\nfiles = [\"tls.crt=tls.crt\", \"tls.key=tls.key\"]\n"),
    )
    .unwrap();
    let stderr = run(dir.path(), &["render", "app.toml"], 1, 10);
    assert!(
        stderr.contains("failed to find any PEM data in certificate input"),
        "{stderr}"
    );
}

/// A 1 GiB file (sparse: it takes no room) in a ConfigMap's folder, and the same in an
/// output folder that `--check` compares: neither is read past its limit.
#[test]
fn a_huge_file_is_read_no_further_than_its_limit() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("conf")).unwrap();
    let huge = std::fs::File::create(dir.path().join("conf/huge.bin")).unwrap();
    huge.set_len(1 << 30).unwrap();
    std::fs::write(
        dir.path().join("app.toml"),
        format!("{APP}[configmaps.c]\nfiles = [\"conf\"]\n"),
    )
    .unwrap();
    let stderr = run(dir.path(), &["render", "app.toml"], 1, 5);
    assert!(
        stderr.contains(
            "`conf/huge.bin` is larger than 1 MiB, the most a ConfigMap or Secret can hold"
        ),
        "{stderr}"
    );
    // An output folder where the StatefulSet's file is 1 GiB: stale, found at once.
    std::fs::write(dir.path().join("app.toml"), APP).unwrap();
    run(dir.path(), &["render", "app.toml", "-o", "out"], 0, 5);
    let name = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.contains("statefulset"))
        .unwrap();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.path().join("out").join(&name))
        .unwrap();
    file.set_len(1 << 30).unwrap();
    let stderr = run(
        dir.path(),
        &["render", "app.toml", "--check", "-o", "out"],
        1,
        5,
    );
    assert!(
        stderr.contains(&format!("`out/{name}` is stale")),
        "{stderr}"
    );
}

/// A user template that writes the same 4 KB a hundred thousand times (400 MB, few
/// instructions, little memory at a time): stopped at 8 MiB of output.
#[test]
fn a_user_template_s_output_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tpl")).unwrap();
    std::fs::write(
        dir.path().join("tpl/configmap.yaml"),
        "{% set s = \"x\" * 4000 %}{% for i in range(100000) %}{{ s }}{% endfor %}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("app.toml"),
        format!("{APP}[configmaps.c]\nliterals = {{ a = \"b\" }}\n"),
    )
    .unwrap();
    let stderr = run(
        dir.path(),
        &["render", "--templates", "tpl", "app.toml"],
        1,
        10,
    );
    assert!(
        stderr.contains(
            "tpl/configmap.yaml: failed to write output: it wrote more than 8 MiB for one object"
        ),
        "{stderr}"
    );
}

/// Environments that are not selected cost what their own text does: 9 000 of them
/// (45 000 tables, under the table budget) over a description with 20 000 variables,
/// each reaching into the variables' table (checked over the whole description, that
/// was 9 000 times 20 000).
#[test]
fn unselected_environments_cost_their_own_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = format!("{APP}[volumes.www]\nmount = \"/var/www\"\nsize = \"1Gi\"\n[env]\n");
    for i in 0..20_000 {
        text.push_str(&format!("V{i} = \"{i}\"\n"));
    }
    for i in 0..9_000 {
        text.push_str(&format!(
            "[environments.e{i}]\nenv.V{} = \"x\"\nvolumes.www.size = \"{}Gi\"\n",
            i % 20_000,
            i % 9 + 1
        ));
    }
    // A mistake in the last one is still found.
    text.push_str("[environments.last.volumes.www]\nsiz = \"1Gi\"\n");
    std::fs::write(dir.path().join("app.toml"), &text).unwrap();
    let stderr = run(dir.path(), &["render", "-q", "app.toml"], 1, 30);
    assert!(stderr.contains("unknown field `siz`"), "{stderr}");
    assert!(stderr.contains("did you mean `size`?"), "{stderr}");
    std::fs::write(
        dir.path().join("app.toml"),
        text.replace("siz = \"1Gi\"", "size = \"1Gi\""),
    )
    .unwrap();
    run(
        dir.path(),
        &["render", "-q", "app.toml", "--environment", "e7"],
        0,
        30,
    );
}

/// A description, or an overlay, that makes more tables than the budget is refused
/// before toml builds them (4 MB of one-key tables were ~280 MiB), naming the file
/// and the line where the count passed the budget, and quoting nothing.
#[test]
fn a_description_of_too_many_tables_is_refused_before_it_is_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = format!("{APP}[env]\n");
    for i in 0..20_000 {
        text.push_str(&format!("V{i} = \"{i}\"\n"));
    }
    for i in 0..40_000 {
        text.push_str(&format!(
            "[environments.e{i}]\nenv.V{} = \"s3cr3t-{i}\"\n",
            i % 20_000
        ));
    }
    std::fs::write(dir.path().join("app.toml"), &text).unwrap();
    let stderr = run(dir.path(), &["render", "-q", "app.toml"], 1, 10);
    assert!(
        stderr.contains("`app.toml` makes more than 50000 tables"),
        "{stderr}"
    );
    // `[env]` counts 1, each environment 3 (`[`, the header's `.`, `env.`): the
    // 50 001st is the header's `.` of environment 16 666, on line 3 + 20 000 + 1 + 2 * 16 666.
    assert!(stderr.contains("at line 53336, column 14"), "{stderr}");
    assert!(!stderr.contains("s3cr3t"), "{stderr}");
    std::fs::write(dir.path().join("app.toml"), APP).unwrap();
    let overlay: String = (0..60_000).map(|i| format!("x{i} = {{}}\n")).collect();
    std::fs::write(dir.path().join("big.toml"), overlay).unwrap();
    let stderr = run(
        dir.path(),
        &["render", "-q", "app.toml", "--overlay", "big.toml"],
        1,
        10,
    );
    assert!(
        stderr.contains("`big.toml` makes more than 50000 tables")
            && stderr.contains("at line 50001,"),
        "{stderr}"
    );
}

/// Each role is the whole description merged again, so their number is bounded
/// before any is read: the 101st is the error.
#[test]
fn more_than_a_hundred_roles_are_refused_at_the_first_one_too_many() {
    let dir = tempfile::tempdir().unwrap();
    let roles: String = (0..25_000)
        .map(|i| format!("[roles.r{i}]\nreplicas = 1\n"))
        .collect();
    std::fs::write(dir.path().join("app.toml"), format!("{APP}{roles}")).unwrap();
    let stderr = run(dir.path(), &["render", "-q", "app.toml"], 1, 10);
    assert!(stderr.contains("error: more than 100 roles"), "{stderr}");
    assert!(stderr.contains("[roles.r100]"), "{stderr}");
    assert!(stderr.contains("one role too many"), "{stderr}");
}
