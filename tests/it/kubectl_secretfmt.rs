//! `kubetoml::write::secretfmt` accepts and refuses the same TLS pairs as
//! `kubectl create secret tls`, with the same words, and builds the same
//! `.dockerconfigjson` bytes as `kubectl create secret docker-registry`.

use std::path::PathBuf;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use kubetoml::write::secretfmt::{check_tls_pair, docker_config_json};

use crate::common;

fn fixture(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if name.starts_with("examples/") {
        dir.join(name)
    } else {
        dir.join("tests/fixtures/tls").join(name)
    }
}

/// kubectl's verdict: `Ok` or its error line without `error: ` and Go's `tls: `.
fn kubectl_tls(cert: &str, key: &str) -> Result<(), String> {
    let (cert, key) = (fixture(cert), fixture(key));
    let out = common::kubectl(
        &[
            "create",
            "secret",
            "tls",
            "x",
            &format!("--cert={}", cert.display()),
            &format!("--key={}", key.display()),
            "--dry-run=client",
            "-o",
            "yaml",
        ],
        None,
    );
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr.lines().next().unwrap_or_default();
    let msg = line.strip_prefix("error: ").unwrap_or(line);
    Err(msg.strip_prefix("tls: ").unwrap_or(msg).to_string())
}

fn ours(cert: &str, key: &str) -> Result<(), String> {
    let read = |name: &str| std::fs::read(fixture(name)).expect("read fixture");
    check_tls_pair(&read(cert), &read(key))
}

#[test]
fn tls_pairs_get_kubectls_verdict_and_words() {
    let pairs = [
        ("rsa.crt", "rsa.key"),
        ("rsa.crt", "rsa.pk8.key"),
        ("p256.crt", "p256.key"),
        ("p256.crt", "p256.pk8.key"),
        ("p384.crt", "p384.key"),
        ("p384.crt", "p384.pk8.key"),
        ("ed25519.crt", "ed25519.key"),
        ("chain.crt", "rsa.key"),
        ("chain.crt", "p256.key"),
        ("p256-with-params.crt", "p256-with-params.key"),
        ("rsa-combined.pem", "rsa-combined.pem"),
        ("rsa-crlf.crt", "rsa.key"),
        ("rsa-leading-text.crt", "rsa.key"),
        (
            "examples/postgres/tls/server.crt",
            "examples/postgres/tls/server.key",
        ),
        ("rsa.crt", "other-rsa.key"),
        ("p256.crt", "other-p256.key"),
        ("p256.crt", "p384.key"),
        ("ed25519.crt", "other-ed25519.key"),
        ("rsa.crt", "p256.key"),
        ("p256.crt", "rsa.key"),
        ("ed25519.crt", "p256.key"),
        ("garbage.txt", "rsa.key"),
        ("rsa.crt", "garbage.txt"),
        ("rsa.crt", "cert-only.pem"),
        ("rsa.key", "rsa.key"),
        ("two-other-blocks.pem", "rsa.key"),
        ("rsa.crt", "two-other-blocks.pem"),
        ("truncated.crt", "rsa.key"),
        ("rsa.crt", "rsa-encrypted.key"),
        ("rsa.crt", "rsa-bad-exponent.key"),
        ("rsa.crt", "x25519.key"),
        ("rsa.crt", "ed448.key"),
    ];
    for (cert, key) in pairs {
        assert_eq!(ours(cert, key), kubectl_tls(cert, key), "{cert} + {key}");
    }
}

#[test]
fn tls_differences_from_kubectl_are_deliberate() {
    // Go's x509 errors are not reproduced word for word, but the verdict is the same.
    let msg = ours("not-a-cert.crt", "rsa.key").expect_err("we refuse it");
    assert!(
        msg.starts_with("failed to parse the first certificate"),
        "{msg}"
    );
    assert!(kubectl_tls("not-a-cert.crt", "rsa.key").is_err());
    // kubectl accepts P-521; we say plainly that we don't.
    assert_eq!(kubectl_tls("p521.crt", "p521.key"), Ok(()));
    assert!(ours("p521.crt", "p521.key").is_err());
}

/// The decoded `.dockerconfigjson` that kubectl builds.
fn kubectl_docker(server: &str, user: &str, pass: &str, email: Option<&str>) -> Vec<u8> {
    let mut args = vec![
        "create".to_string(),
        "secret".into(),
        "docker-registry".into(),
        "x".into(),
        format!("--docker-server={server}"),
        format!("--docker-username={user}"),
        format!("--docker-password={pass}"),
    ];
    if let Some(email) = email {
        args.push(format!("--docker-email={email}"));
    }
    args.extend(
        [
            "--dry-run=client",
            "-o",
            "jsonpath={.data.\\.dockerconfigjson}",
        ]
        .map(String::from),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = common::kubectl(&args, None);
    assert!(
        out.status.success(),
        "kubectl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    STANDARD.decode(&out.stdout).expect("kubectl prints base64")
}

#[test]
fn dockerconfigjson_bytes_equal_kubectls() {
    let hostile = "<a>&\"\\ \u{8}\u{c}\n\r\t\u{1}\u{b}\u{1b}\u{1f}\u{7f}\u{85}\u{2028}\u{2029}é😀'";
    let cases: [(&str, &str, &str, Option<&str>); 7] = [
        ("https://index.docker.io/v1/", "u", "p", None),
        (
            "reg.example.com:5000",
            "user",
            "pass",
            Some("me@example.com"),
        ),
        ("https://index.docker.io/v1/", "u", "p", Some("")),
        ("srv<&>", hostile, hostile, Some(hostile)),
        ("s", "a:b", ":", None),
        (hostile, "u", "p", None),
        ("s", &"long-user".repeat(20), &"p".repeat(300), Some("e")),
    ];
    for (server, user, pass, email) in cases {
        let ours = docker_config_json(server, user, pass, email);
        let theirs = kubectl_docker(server, user, pass, email);
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs),
            "server {server:?} user {user:?} email {email:?}"
        );
        assert_eq!(ours, theirs);
    }
}
