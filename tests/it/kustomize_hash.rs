//! `kubetoml::write::hash` gives the same name suffix as the real `kubectl kustomize` for
//! configMapGenerator and secretGenerator content, hostile values included.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use kubetoml::write::hash::{configmap_suffix, secret_suffix};

use crate::common;

/// Which generator to write, with the secretGenerator's `type` if any.
enum Gen<'a> {
    ConfigMap,
    Secret(Option<&'a str>),
}

/// Writes a kustomization with one generator named `gen` holding `entries` as files,
/// runs `kubectl kustomize`, and returns the suffix kustomize gave it.
fn kustomize_suffix(kind: &Gen<'_>, entries: &[(&str, &[u8])], literals: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut yaml = String::new();
    match kind {
        Gen::ConfigMap => yaml.push_str("configMapGenerator:\n- name: gen\n"),
        Gen::Secret(type_) => {
            yaml.push_str("secretGenerator:\n- name: gen\n");
            if let Some(t) = type_ {
                writeln!(yaml, "  type: '{}'", t.replace('\'', "''")).unwrap();
            }
        }
    }
    if !entries.is_empty() {
        yaml.push_str("  files:\n");
    }
    for (i, (key, bytes)) in entries.iter().enumerate() {
        let file = format!("f{i}");
        std::fs::write(dir.path().join(&file), bytes).expect("write value file");
        writeln!(yaml, "  - {key}={file}").unwrap();
    }
    if !literals.is_empty() {
        yaml.push_str("  literals:\n");
    }
    for literal in literals {
        writeln!(yaml, "  - '{}'", literal.replace('\'', "''")).unwrap();
    }
    std::fs::write(dir.path().join("kustomization.yaml"), &yaml).expect("write kustomization");
    suffix_from_kubectl(dir.path(), &yaml)
}

fn suffix_from_kubectl(dir: &Path, yaml: &str) -> String {
    let out = common::kubectl(&["kustomize", "."], Some(dir));
    // kustomize v5.5 hashes, then fails to print some values (DEL, ...); its error
    // message still shows the generated name, so read it from stderr too.
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let start = text
        .find("gen-")
        .unwrap_or_else(|| panic!("no generated name in kubectl output:\n{text}\nfor\n{yaml}"))
        + 4;
    let suffix: String = text[start..].chars().take(10).collect();
    assert!(
        suffix.len() == 10 && suffix.chars().all(|c| c.is_ascii_alphanumeric()),
        "unexpected name suffix {suffix:?} in:\n{text}"
    );
    suffix
}

fn configmap_case(entries: &[(&str, &[u8])]) {
    let mut data = BTreeMap::new();
    let mut binary = BTreeMap::new();
    for (key, bytes) in entries {
        // What kustomize does: valid UTF-8 to data, anything else to binaryData.
        if let Ok(text) = std::str::from_utf8(bytes) {
            data.insert(key.to_string(), text.to_string());
        } else {
            binary.insert(key.to_string(), bytes.to_vec());
        }
    }
    let expected = kustomize_suffix(&Gen::ConfigMap, entries, &[]);
    assert_eq!(
        configmap_suffix(&data, &binary),
        expected,
        "configMapGenerator {entries:?}"
    );
}

fn secret_case(type_: Option<&str>, entries: &[(&str, &[u8])]) {
    let data: BTreeMap<String, Vec<u8>> = entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_vec()))
        .collect();
    let expected = kustomize_suffix(&Gen::Secret(type_), entries, &[]);
    assert_eq!(
        secret_suffix(type_.unwrap_or(""), &data),
        expected,
        "secretGenerator type {type_:?} {entries:?}"
    );
}

/// Invalid UTF-8 of `len` bytes, so kustomize puts it in binaryData.
fn binary(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| if i == 0 { 0xff } else { i as u8 })
        .collect()
}

#[test]
fn configmap_literal_matches_reference_example() {
    let expected = kustomize_suffix(&Gen::ConfigMap, &[], &["key=value"]);
    assert_eq!(expected, "t757gk2bmf");
    let data = BTreeMap::from([("key".to_string(), "value".to_string())]);
    assert_eq!(configmap_suffix(&data, &BTreeMap::new()), expected);
}

#[test]
fn configmap_text_values() {
    let long = "x".repeat(200);
    let cases: &[&[(&str, &[u8])]] = &[
        &[("key", b"value")],
        &[("empty", b"")],
        &[("multi", b"line one\nline two\n\n")],
        &[("crlf", b"a=1\r\nb=2\r\n")],
        &[("long", long.as_bytes())],
        &[("html", b"<script>&amp;</script>")],
        &[("seps", "a\u{2028}b\u{2029}c\u{85}d".as_bytes())],
        &[("quotes", br#"say "hi" \ back\slash"#)],
        &[("unicode", "é ü 日本 😀".as_bytes())],
        &[("leadspace", b"  x  ")],
        &[("yamlish", b"- a: b\n  c: [1, 2]\n# comment\n")],
        // Keys sort by byte: '-' < '.' < digits < upper case < '_' < lower case.
        &[
            ("b", b"2"),
            ("a", b"1"),
            ("B", b"3"),
            ("_u", b"4"),
            ("-d", b"5"),
            (".dot", b"6"),
            ("9", b"7"),
        ],
    ];
    for entries in cases {
        configmap_case(entries);
    }
}

#[test]
fn configmap_control_characters() {
    let cases: &[&[(&str, &[u8])]] = &[
        &[("soh", b"a\x01b")],
        &[("esc", b"a\tb\r\nc\x1b")],
        &[("bf", b"x\x08\x0cy")],
        &[("vt", b"\x0b\x1f\x00")],
        &[("tab", b"\tleading tab")],
        // kustomize hashes this, then refuses to print DEL.
        &[("del", b"\x7f")],
    ];
    for entries in cases {
        configmap_case(entries);
    }
}

#[test]
fn configmap_binary_values_wrap_like_secrets() {
    let (b1, b51, b52, b105, b256) = (binary(1), binary(51), binary(52), binary(105), binary(256));
    let cases: &[&[(&str, &[u8])]] = &[
        &[("one", &b1)],
        &[("b51", &b51)],   // 68 base64 characters: one line, no newline
        &[("b52", &b52)],   // 72: wrapped, newline after each piece
        &[("b105", &b105)], // exactly 140: two full lines
        &[("b256", &b256)],
        &[("bin", &b256), ("text", b"plain")],
        &[("bin", b"\xc3\x28 invalid utf-8")],
    ];
    for entries in cases {
        configmap_case(entries);
    }
}

#[test]
fn configmap_without_sources() {
    configmap_case(&[]);
}

#[test]
fn secret_types_and_default() {
    secret_case(None, &[("key", b"value")]);
    secret_case(Some("Opaque"), &[("key", b"value")]);
    secret_case(
        Some("kubernetes.io/basic-auth"),
        &[("username", b"admin"), ("password", b"p<&>\"'\n")],
    );
    secret_case(
        Some("kubernetes.io/ssh-auth"),
        &[(
            "ssh-privatekey",
            include_bytes!("../fixtures/tls/ed25519.key"),
        )],
    );
    secret_case(Some("example.com/odd<&>type"), &[("k", b"v")]);
    secret_case(None, &[]);
    secret_case(Some("kubernetes.io/tls"), &[]);
}

#[test]
fn secret_tls_from_fixtures() {
    secret_case(
        Some("kubernetes.io/tls"),
        &[
            ("tls.crt", include_bytes!("../fixtures/tls/rsa.crt")),
            ("tls.key", include_bytes!("../fixtures/tls/rsa.key")),
        ],
    );
}

#[test]
fn secret_dockerconfigjson_from_secretfmt() {
    let json = kubetoml::write::secretfmt::docker_config_json(
        "https://index.docker.io/v1/",
        "user<&>",
        "pa\u{2028}ss",
        Some("me@example.com"),
    );
    secret_case(
        Some("kubernetes.io/dockerconfigjson"),
        &[(".dockerconfigjson", &json)],
    );
}

#[test]
fn secret_values_of_every_length_class() {
    let (b51, b52, b105, b256) = (binary(51), binary(52), binary(105), binary(256));
    let text51 = "t".repeat(51);
    let text52 = "t".repeat(52);
    let cases: &[&[(&str, &[u8])]] = &[
        &[("empty", b"")],
        &[("b51", &b51)],
        &[("b52", &b52)],
        &[("b105", &b105)],
        &[("b256", &b256)],
        &[("t51", text51.as_bytes())],
        &[("t52", text52.as_bytes())],
        &[("ctl", b"\x00\x01\x7f\t\r\n")],
        &[("a", b"1"), ("B", b"2"), ("_c", b"3"), (".d", &b256)],
    ];
    for entries in cases {
        secret_case(None, entries);
    }
}
