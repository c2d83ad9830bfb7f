//! No secret value appears anywhere but in the manifest: not in `Debug`
//! output, errors, warnings, or `explain`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use kubetoml::{FsSources, Options, Templates};

const PG_PASSWORD: &str = "pg-Zq8#secret-value";
const REGISTRY_TOKEN: &str = "registry-Tk7@secret-value";

fn env() -> BTreeMap<String, Vec<u8>> {
    [
        ("PG_PASSWORD", PG_PASSWORD),
        ("REGISTRY_TOKEN", REGISTRY_TOKEN),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.as_bytes().to_vec()))
    .collect()
}

/// Every secret value of the examples, raw and as it appears base64-encoded.
fn secret_needles() -> Vec<String> {
    let b64 = |s: &[u8]| base64::engine::general_purpose::STANDARD.encode(s);
    let key = std::fs::read("examples/postgres/tls/server.key").unwrap();
    let key_text = String::from_utf8(key.clone()).unwrap();
    let key_line = key_text.lines().nth(1).unwrap().to_owned();
    vec![
        PG_PASSWORD.into(),
        REGISTRY_TOKEN.into(),
        "1f2d1e2e67df".into(),
        b64(PG_PASSWORD.as_bytes()),
        b64(b"1f2d1e2e67df"),
        b64(&key)[..40].to_owned(),
        key_line,
    ]
}

fn assert_clean(what: &str, text: &str) {
    for needle in secret_needles() {
        assert!(
            !text.contains(&needle),
            "{what} shows a secret value:\n{text}"
        );
    }
}

fn compile(example: &str) -> kubetoml::Output {
    let path = Path::new("examples").join(example);
    let source = std::fs::read_to_string(&path).unwrap();
    let options = Options::new().env(env());
    kubetoml::resolve(example, &source, path.parent().unwrap(), &options)
        .and_then(|resolved| resolved.render(&Templates::builtin()))
        .unwrap()
}

#[test]
fn debug_output_never_shows_secret_values() {
    for example in ["web/web.toml", "postgres/postgres.toml"] {
        let out = compile(example);
        // The manifest itself does hold them: the check below could fail.
        assert!(secret_needles().iter().any(|n| out.to_yaml().contains(n)));
        assert_clean("Debug of Output", &format!("{out:?}"));
        assert_clean("Debug of Output (pretty)", &format!("{out:#?}"));

        let path = Path::new("examples").join(example);
        let source = std::fs::read_to_string(&path).unwrap();
        let options = Options::new().env(env());
        let resolved =
            kubetoml::resolve(example, &source, path.parent().unwrap(), &options).unwrap();
        assert_clean("Debug of the model", &format!("{resolved:#?}"));
        assert_clean("Debug of the options", &format!("{options:?}"));
        let sources = FsSources::new(path.parent().unwrap()).with_env(env());
        let spec = kubetoml::read::spec::parse(example, &source).unwrap();
        assert_clean("Debug of the spec", &format!("{spec:#?}"));
        assert_clean("Debug of the sources", &format!("{sources:?}"));
    }
}

#[test]
fn explain_never_shows_secret_values() {
    for format in ["text", "json"] {
        let out = Command::new(env!("CARGO_BIN_EXE_kubetoml"))
            .args([
                "explain",
                "--format",
                format,
                "examples/postgres/postgres.toml",
            ])
            .env("PG_PASSWORD", PG_PASSWORD)
            .env("REGISTRY_TOKEN", REGISTRY_TOKEN)
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_clean("explain", &String::from_utf8_lossy(&out.stdout));
        assert_clean("explain stderr", &String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn errors_about_secrets_name_them_without_their_values() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    // Several failures at once, each involving secret content.
    write(
        "creds.env",
        &format!("USER=admin\n{PG_PASSWORD}\nexport TOKEN={REGISTRY_TOKEN}\n"),
    );
    write(
        "tls.crt",
        &std::fs::read_to_string("examples/postgres/tls/server.key").unwrap(),
    );
    write(
        "tls.key",
        &std::fs::read_to_string("examples/postgres/tls/server.key").unwrap(),
    );
    write(
        "app.toml",
        &format!(
            "name = \"app\"\nimage = \"x\"\n\
             [secrets.creds]\nenv_files = [\"creds.env\"]\nliterals = {{ \"bad key\" = \"{PG_PASSWORD}\" }}\n\
             env = {{ PASSWORD = \"passwd\" }}\n\
             [secrets.tls]\ntype = \"kubernetes.io/tls\"\nfiles = [\"tls.crt\", \"tls.key\"]\n\
             [secrets.pull]\ndocker_registry = {{ username = \"u\", password = \"{REGISTRY_TOKEN}\" }}\n"
        ),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_kubetoml"))
        .args(["render", "--no-literal-secrets"])
        .arg(dir.path().join("app.toml"))
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.matches("error:").count() >= 4, "{stderr}");
    // The drawn source line of a literal is the user's own TOML; the values
    // read from files and the environment must never appear.
    for line in stderr.lines().filter(|l| !l.contains(" | ")) {
        assert_clean("an error message", line);
    }
    let key_line = std::fs::read_to_string("examples/postgres/tls/server.key").unwrap();
    assert!(
        !stderr.contains(key_line.lines().nth(1).unwrap()),
        "{stderr}"
    );
}
