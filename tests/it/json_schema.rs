//! The JSON Schema (`kubetoml schema`, committed at `schema/kubetoml.schema.json`)
//! is the generated one, and taplo, checking with it, agrees with the parser:
//! every example and fixture passes, a misspelled field and a wrong type are
//! refused, and a bad description is refused by taplo exactly when the parser
//! refuses it before lowering.
//!
//! taplo comes from npm (`@taplo/cli`); `.ci/test` installs it in `.ci/node`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn taplo() -> PathBuf {
    let local = Path::new(".ci/node/node_modules/.bin/taplo");
    if local.exists() {
        return local.to_path_buf();
    }
    let on_path = Command::new("taplo").arg("--version").output();
    assert!(
        on_path.is_ok_and(|o| o.status.success()),
        "taplo is not installed: run `npm install --prefix .ci/node @taplo/cli@0.7`"
    );
    PathBuf::from("taplo")
}

/// Runs `taplo lint` with the committed schema; `Err` holds its report.
fn lint(files: &[PathBuf]) -> Result<(), String> {
    let schema = std::fs::canonicalize("schema/kubetoml.schema.json").unwrap();
    let files: Vec<PathBuf> = files
        .iter()
        .map(|f| std::fs::canonicalize(f).unwrap())
        .collect();
    let out = Command::new(taplo())
        .args(["lint", "--colors", "never", "--no-auto-config", "--schema"])
        .arg(format!("file://{}", schema.display()))
        .args(&files)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn tomls(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .flat_map(|p| {
            if p.is_dir() {
                std::fs::read_dir(&p)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect()
            } else {
                vec![p]
            }
        })
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let committed = std::fs::read_to_string(kubetoml::schema::PATH).unwrap();
    assert!(
        committed == kubetoml::schema::json_schema(),
        "schema/kubetoml.schema.json is stale: run `cargo run -- schema > schema/kubetoml.schema.json`"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_kubetoml"))
        .arg("schema")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), committed);
}

#[test]
fn examples_and_fixtures_pass_taplo() {
    let mut files = tomls("examples");
    files.extend(tomls("tests/fixtures"));
    files.extend(tomls("tests/warn"));
    assert!(files.len() >= 7, "{files:?}");
    lint(&files).unwrap();
}

#[test]
fn taplo_refuses_a_misspelled_field_and_a_wrong_type() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, expected) in [
        ("typo.toml", "name = \"a\"\nimage = \"x\"\nreplica = 3\n", "'replica' was unexpected"),
        ("type.toml", "name = \"a\"\nimage = \"x\"\nreplicas = \"3\"\n", "is not of type"),
        (
            "nested.toml",
            "name = \"a\"\nimage = \"x\"\n[volumes.d]\nmount = \"/d\"\nsize = \"1Gi\"\nstorage_clas = \"x\"\n",
            "'storage_clas' was unexpected",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let report = lint(&[path]).expect_err(name);
        assert!(report.contains(expected), "{name}: {report}");
    }
}

#[test]
fn taplo_refuses_a_bad_description_exactly_when_the_parser_does() {
    let files = tomls("tests/bad");
    // One taplo run for all: it names each file it refuses as `path="..."`.
    let report = lint(&files).expect_err("some bad descriptions do not parse");
    let mut disagreements = Vec::new();
    for path in &files {
        let source = std::fs::read_to_string(path).unwrap();
        let parsed = kubetoml::spec::parse("x.toml", &source).is_ok();
        let full = std::fs::canonicalize(path).unwrap();
        let linted = !report.contains(&format!("path=\"{}\"", full.display()));
        if parsed != linted {
            disagreements.push(format!(
                "{}: parser {parsed}, taplo {linted}",
                path.display()
            ));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}
