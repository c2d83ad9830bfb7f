//! Property test: whatever mistake a secret-bearing description or env file
//! holds, no diagnostic carries the secret.
//!
//! A marker value sits in every place a Secret's value can come from (a
//! literal, a multi-line literal, a registry password, an env file, a file,
//! a build-time variable). Each case mutates the Secret's part of the
//! description and the env file (deletions, duplicated lines, typos of every
//! field and of `secrets` itself, Kubernetes spellings, stray quotes, commas,
//! brackets and line breaks), compiles it through the library (and every
//! 16th case through the binary) and checks that neither the marker, nor its
//! base64, nor any 6-character slice of it reaches what is drawn (unless
//! a deletion left that slice only in a key name: see [`only_in_keys`]).
//!
//! Each case puts the Secret section in one layer: the description itself,
//! an environment of it (`[environments.prod.secrets...]`, selected), or an
//! overlay file; and may add a `--set` argument, itself a mistake or not,
//! that carries the marker.
//!
//! `KUBETOML_SECRECY_CASES` sets the number of cases (default 400, a few
//! seconds); run it long with e.g. `KUBETOML_SECRECY_CASES=2000000`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use kubetoml::{Options, Templates};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

const MARKER: &str = "Qx7Zk2Wv9Jm4Tp8R";

/// Whether `manifest` holds the marker in base64 (at any alignment).
fn encoded(manifest: &str) -> bool {
    needles()[1..4].iter().any(|n| manifest.contains(n))
}

/// What must never be drawn: the marker, its base64 at every alignment,
/// and every 6-character slice of it.
fn needles() -> Vec<String> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let mut needles = vec![MARKER.to_owned()];
    for pad in ["", "x", "xx"] {
        let encoded = b64(&format!("{pad}{MARKER}"));
        needles.push(encoded[4..encoded.len() - 4].to_owned());
    }
    needles.extend((0..=MARKER.len() - 6).map(|i| MARKER[i..i + 6].to_owned()));
    needles
}

const HEAD: &str = "name = \"db\"\nimage = \"postgres:16\"\n\
    env = { PGPASSWORD = { secret = \"db\", key = \"password\" } }\n\n";

/// Secret sections, each with the marker in a different place.
const SECTIONS: &[&str] = &[
    "[secrets.db]\ntype = \"Opaque\"\nliterals = { password = \"@M\", user = \"admin\" }\nenv_files = [\"creds.env\"]\n",
    "[secrets.db.literals]\npassword = \"@M\"\ntoken = \"\"\"\nline-@M\n\"\"\"\nother = '@M'\n",
    "[secrets.db]\nimage_pull = true\ndocker_registry = { server = \"ghcr.io\", username = \"ci\", password = \"@M\" }\nliterals.password = \"x\"\n",
    "[secrets.db]\ntype = \"kubernetes.io/tls\"\nfiles = [\"tls.crt=tls.crt\", \"tls.key=tls.key\"]\nliterals = { password = \"@M\" }\n",
    "[secrets.db]\nfrom_env = { password = \"DB_PASSWORD\" }\nenv_files = [\"creds.env\"]\n[secrets.db.docker_registry]\nusername = \"u\"\npassword = \"@M\"\n",
];

/// Where a case puts its Secret section.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Layer {
    /// In the description.
    Base,
    /// Under `[environments.prod]` of the description, rendered with `--environment prod`.
    Environment,
    /// In `overlay.toml`, rendered with `--overlay overlay.toml`.
    Overlay,
}

const LAYERS: [Layer; 3] = [Layer::Base, Layer::Environment, Layer::Overlay];

/// `--set` arguments carrying the marker: right, and with the mistakes a
/// command line invites (a misspelt or Kubernetes-spelt path, a table or
/// broken TOML where a string goes, a value with no key).
const SET_ARGS: &[&str] = &[
    "secrets.db.literals.password=@M",
    "secrets.db.literal.password=@M",
    "secret.db.literals.password=@M",
    "secrets.db.stringData.password=@M",
    "secrets.db.literals=@M",
    "secrets.db.literals={ password = \"@M\" ",
    "secrets.db.literals={ password = @M }",
    "secrets.db.docker_registry.password=@M",
    "secrets.db.docker_registry={ server = \"ghcr.io\", username = \"ci\", pasword = \"@M\" }",
    "secrets.db.from_env.password=@M",
    "secrets.db.literals.\"pass word\"=@M",
    "secrets.db.literals.password.x=@M",
    "secrets.db=@M",
    "secrets.db.literals.password=\"@M",
    "environments.prod.secrets.db.literals.password=@M",
    "secrets.db.env_files=[\"@M\"]",
    "secrets..db.literals.password=@M",
    "secrets.db.literals.password@M",
];

/// The section whose TLS files are not PEM (see [`tls_files`]): an error unmutated.
const TLS_NOT_PEM: usize = 3;

const ENV_FILE: &str = "USER=admin\nfile_password=@M\nTOKEN=@M-2\n";

const FIELDS: &[&str] = &[
    "secrets",
    "literals",
    "password",
    "docker_registry",
    "env_files",
    "files",
    "type",
    "from_env",
    "image_pull",
    "user",
    "token",
    "server",
    "username",
    "other",
    "environments",
    "prod",
];

const SPELLINGS: &[&str] = &[
    "stringData",
    "data",
    "secretKeyRef",
    "Literals",
    "literal",
    "passwd",
    "dockerRegistry",
    "secret",
    "Secrets",
    "secrts",
    "scerets",
    "envFiles",
    "type_",
];

const INSERTS: &[&str] = &[
    "\"", "'", ",", "=", "\n", "{", "}", "[", "]", "#", "\"\"\"", " ", "\\", "\r", "\x1b", "\t",
];

/// One mutation; positions are fractions (per mille) of the text's length.
#[derive(Debug, Clone)]
enum Edit {
    Delete(u16, u8),
    DuplicateLine(u16, u16),
    Typo(usize, u8),
    Spelling(usize, usize),
    Insert(u16, usize),
    EnvWrap(u16),
    EnvNoEquals(u16),
    EnvExport(u16),
    EnvDelete(u16, u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0..1000u16, 1..12u8).prop_map(|(p, n)| Edit::Delete(p, n)),
        (0..1000u16, 0..1000u16).prop_map(|(a, b)| Edit::DuplicateLine(a, b)),
        (0..FIELDS.len(), 0..4u8).prop_map(|(f, k)| Edit::Typo(f, k)),
        (0..FIELDS.len(), 0..SPELLINGS.len()).prop_map(|(f, s)| Edit::Spelling(f, s)),
        (0..1000u16, 0..INSERTS.len()).prop_map(|(p, i)| Edit::Insert(p, i)),
        (0..1000u16).prop_map(Edit::EnvWrap),
        (0..1000u16).prop_map(Edit::EnvNoEquals),
        (0..1000u16).prop_map(Edit::EnvExport),
        (0..1000u16, 1..12u8).prop_map(|(p, n)| Edit::EnvDelete(p, n)),
    ]
}

fn at(text: &str, per_mille: u16) -> usize {
    let mut i = text.len() * usize::from(per_mille) / 1000;
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn line_at(text: &str, per_mille: u16) -> (usize, usize) {
    let i = at(text, per_mille);
    let start = text[..i].rfind('\n').map_or(0, |s| s + 1);
    let end = text[i..].find('\n').map_or(text.len(), |e| i + e + 1);
    (start, end)
}

fn typo(word: &str, kind: u8) -> String {
    let mid = word.len() / 2;
    match kind {
        0 => format!("{}{}", &word[..mid], &word[mid + 1..]),
        1 if word.len() > 2 => {
            let b = word.as_bytes();
            let mut s = b.to_vec();
            s.swap(mid - 1, mid);
            String::from_utf8(s).unwrap_or_else(|_| word.to_owned())
        }
        2 => word.to_ascii_uppercase(),
        _ => format!("{}{}", &word[..mid], &word[mid - 1..]),
    }
}

/// Applies `edit` to the Secret section (past its `[secrets.NAME]` header,
/// which only the typos change) or the env file.
fn apply(edit: &Edit, section: &mut String, env: &mut String) {
    match *edit {
        Edit::Typo(f, k) => *section = section.replacen(FIELDS[f], &typo(FIELDS[f], k), 1),
        Edit::Spelling(f, s) => *section = section.replacen(FIELDS[f], SPELLINGS[s], 1),
        _ => {}
    }
    let header = section.find('\n').map_or(section.len(), |i| i + 1);
    let mut body = section.split_off(header);
    apply_within(edit, &mut body, env);
    section.push_str(&body);
}

fn apply_within(edit: &Edit, section: &mut String, env: &mut String) {
    match *edit {
        Edit::Delete(p, n) => {
            let i = at(section, p);
            let j = at(
                section,
                ((i + usize::from(n)) * 1000 / section.len().max(1)).min(1000) as u16,
            )
            .max(i);
            section.replace_range(i..j, "");
        }
        Edit::DuplicateLine(a, b) => {
            let (s, e) = line_at(section, a);
            let line = section[s..e].to_owned();
            let (to, _) = line_at(section, b);
            section.insert_str(to, &line);
        }
        Edit::Typo(..) | Edit::Spelling(..) => {}
        Edit::Insert(p, i) => section.insert_str(at(section, p), INSERTS[i]),
        Edit::EnvWrap(p) => env.insert(at(env, p), '\n'),
        Edit::EnvNoEquals(p) => {
            let (s, e) = line_at(env, p);
            let line = env[s..e].replace('=', " ");
            env.replace_range(s..e, &line);
        }
        Edit::EnvExport(p) => {
            let (s, _) = line_at(env, p);
            env.insert_str(s, "export ");
        }
        Edit::EnvDelete(p, n) => {
            let i = at(env, p);
            let j = (i + usize::from(n)).min(env.len());
            if env.is_char_boundary(j) {
                env.replace_range(i..j, "");
            }
        }
    }
}

/// Whether every copy of `needle` in the description is inside a bare key
/// (`pasx7Zk2Wv9Jmser = "admin"`, left when a deletion cut a line): key
/// names are shown, and one made of a secret's text with no other copy in
/// the description cannot be told from any other key.
fn only_in_keys(needle: &str, description: &str) -> bool {
    let is_key_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-');
    let mut found = false;
    for (at, _) in description.match_indices(needle) {
        found = true;
        let end = at + needle.len();
        let rest = description[end..].trim_start_matches(is_key_char);
        let before = description[..at].trim_end_matches(is_key_char);
        let bare =
            rest.trim_start_matches([' ', '\t']).starts_with('=') && !before.ends_with(['"', '\'']);
        if !bare {
            return false;
        }
    }
    found
}

fn check(what: &str, text: &str, description: &str, env: &str) -> Result<(), TestCaseError> {
    for needle in needles() {
        prop_assert!(
            !text.contains(&needle) || only_in_keys(&needle, description),
            "{what} shows `{needle}`:\n{text}\n--- description:\n{description}\n--- env file:\n{env}"
        );
    }
    Ok(())
}

fn tls_files(dir: &Path) {
    // A "certificate" and "key" that are not PEM, holding the marker.
    std::fs::write(
        dir.join("tls.crt"),
        format!("-----BEGIN CERTIFICATE-----\n{MARKER}\n-----END CERTIFICATE-----\n"),
    )
    .unwrap();
    std::fs::write(dir.join("tls.key"), format!("{MARKER}\n")).unwrap();
}

static CASES_RUN: AtomicUsize = AtomicUsize::new(0);

/// One case's inputs: the description, the overlay (empty unless the section
/// is there), the env file and the `--set` argument.
struct Case {
    layer: Layer,
    description: String,
    overlay: String,
    env: String,
    set: Option<String>,
}

impl Case {
    fn new(section: usize, layer: Layer, set: Option<usize>, edits: &[Edit]) -> Case {
        let mut text = SECTIONS[section].replace("@M", MARKER);
        if layer == Layer::Environment {
            text = text.replace("\n[", "\n[environments.prod.");
            text.insert_str(1, "environments.prod.");
        }
        let mut env = ENV_FILE.replace("@M", MARKER);
        for e in edits {
            apply(e, &mut text, &mut env);
        }
        let (description, overlay) = match layer {
            Layer::Overlay => (HEAD.to_owned(), text),
            _ => (format!("{HEAD}{text}"), String::new()),
        };
        let set = set.map(|i| SET_ARGS[i].replace("@M", MARKER));
        Case {
            layer,
            description,
            overlay,
            env,
            set,
        }
    }

    /// Everything the user wrote, for [`only_in_keys`].
    fn written(&self) -> String {
        let set = self.set.as_deref().unwrap_or_default();
        format!("{}\n{}\n{set}\n", self.description, self.overlay)
    }

    /// The command-line arguments after `render db.toml`.
    fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        match self.layer {
            Layer::Base => {}
            Layer::Environment => args.extend(["--environment".into(), "prod".into()]),
            Layer::Overlay => args.extend(["--overlay".into(), "overlay.toml".into()]),
        }
        if let Some(set) = &self.set {
            args.extend(["--set".into(), set.clone()]);
        }
        args
    }
}

/// Runs `case` through the library (and every 16th through the binary) and
/// checks what they draw; `Ok` holds the manifest, or the drawn error.
fn run_case(case: &Case) -> Result<Result<String, String>, TestCaseError> {
    let Case {
        description, env, ..
    } = case;
    let written = case.written();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("creds.env"), env).unwrap();
    std::fs::write(dir.path().join("overlay.toml"), &case.overlay).unwrap();
    tls_files(dir.path());
    let vars = BTreeMap::from([("DB_PASSWORD".to_owned(), MARKER.as_bytes().to_vec())]);
    let mut options = Options::new().env(vars);
    match case.layer {
        Layer::Base => {}
        Layer::Environment => options = options.environment("prod"),
        Layer::Overlay => options = options.overlay(dir.path().join("overlay.toml")),
    }
    if let Some(set) = &case.set {
        options = options.set(set.clone());
    }
    let result = match kubetoml::resolve("db.toml", description, dir.path(), &options)
        .and_then(|r| r.render(&Templates::builtin()))
    {
        Ok(out) => {
            check("warnings", &out.draw_warnings(false), &written, env)?;
            check("Debug of the output", &format!("{out:?}"), &written, env)?;
            Ok(out.to_yaml())
        }
        Err(e) => {
            let drawn = e.draw(true);
            check("the drawn error", &drawn, &written, env)?;
            check("Display of the error", &e.to_string(), &written, env)?;
            check("Debug of the error", &format!("{e:?}"), &written, env)?;
            check(
                "the diagnostics",
                &format!("{:?}", e.diagnostics()),
                &written,
                env,
            )?;
            Err(drawn)
        }
    };
    if CASES_RUN.fetch_add(1, Ordering::Relaxed).is_multiple_of(16) {
        std::fs::write(dir.path().join("db.toml"), description).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kubetoml"))
            .args(["render", "db.toml", "--no-literal-secrets"])
            .args(case.args())
            .current_dir(dir.path())
            .env_clear()
            .env("DB_PASSWORD", MARKER)
            .output()
            .unwrap();
        check(
            "the binary's stderr",
            &String::from_utf8_lossy(&out.stderr),
            &written,
            env,
        )?;
    }
    Ok(result)
}

#[test]
fn no_mistake_prints_a_secret() {
    let cases = std::env::var("KUBETOML_SECRECY_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(400);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        0..SECTIONS.len(),
        prop::sample::select(LAYERS.to_vec()),
        prop::option::weighted(0.25, 0..SET_ARGS.len()),
        prop::collection::vec(edit(), 0..5),
    );
    runner
        .run(&strategy, |(section, layer, set, edits)| {
            run_case(&Case::new(section, layer, set, &edits)).map(|_| ())
        })
        .unwrap();
}

#[test]
fn every_section_is_clean_unmutated_and_compiles() {
    // The unmutated cases compile, so the marker does reach the manifest:
    // the checks above could fail.
    for section in 0..SECTIONS.len() {
        for layer in LAYERS {
            let case = Case::new(section, layer, None, &[]);
            let out = run_case(&case).unwrap();
            if section == TLS_NOT_PEM {
                // Its "certificate" and "key" are the marker, not PEM: an error.
                assert!(out.is_err(), "{layer:?} {section}: not a key pair");
                continue;
            }
            let out = out.unwrap_or_else(|e| panic!("{layer:?} {section}: {e}"));
            assert!(encoded(&out), "{layer:?} {section}: the marker is rendered");
        }
    }
    // A right `--set` reaches the manifest too.
    let case = Case::new(2, Layer::Base, Some(0), &[]);
    assert!(encoded(&run_case(&case).unwrap().unwrap()));
    assert!(needles().len() > 10);
}

#[test]
fn user_templates_that_fail_on_a_secret_do_not_print_it() {
    let description = format!(
        "name = \"db\"\nimage = \"postgres:16\"\n[secrets.db]\nliterals = {{ password = \"{MARKER}\" }}\n"
    );
    let failing = [
        "{{ value | int }}",
        "{{ value + 1 }}",
        "{{ value[2:10] | float }}",
        "{{ value.missing }}",
        "{{ value | items }}",
        "{% for c in value %}{{ c | int }}{% endfor %}",
        "{{ range(value) }}",
        "{{ value is divisibleby(3) }}",
        "{{ value | join(1) }}",
        "{{ value | unknown_filter }}",
        "{{ data[value] }}",
        "{{ value | round }}",
        "{{ [value] }}",
    ];
    let mut failed = 0;
    for body in failing {
        let dir = tempfile::tempdir().unwrap();
        let template = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{{{ metadata.name }}}}\ndata:\n{{% for key, value in data|items %}}\n  {{{{ key }}}}: {body}\n{{% endfor %}}\n"
        );
        std::fs::write(dir.path().join("secret.yaml"), template).unwrap();
        let templates = Templates::from_dir(dir.path()).unwrap();
        let result = kubetoml::resolve("db.toml", &description, dir.path(), &Options::new())
            .and_then(|r| r.render(&templates));
        // A template that happens to render is not this test's concern.
        if let Err(e) = result {
            failed += 1;
            for text in [e.draw(false), format!("{e:?}")] {
                check(body, &text, &description, "").unwrap();
            }
        }
    }
    assert!(failed >= 8, "only {failed} templates failed");
}

// ---- the YAML readers: `import` inputs and `--against` files ----

/// Secret values that look like what surrounds them: a variable name, a
/// dotted key, a path. Each ends in a tail no message holds.
const READER_MARKERS: &[&str] = &["DB_PASSWORD_QX7ZK", "db.password.qx7zk", "vault/prod/qx7zk"];

/// A StatefulSet reading a Secret, the Secret's value in `@V` (as written)
/// and `@B` (its base64).
const READER_BASE: &str = "apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        envFrom:
        - secretRef: {name: s}
---
apiVersion: v1
kind: Secret
metadata:
  name: s
";

/// Ways a Secret's data is written: plain, quoted, block, flow, tagged, anchored.
const READER_TAILS: &[&str] = &[
    "stringData:\n  k: @V\n",
    "stringData:\n  k: \"@V\"\n  j: '@V'\n",
    "stringData:\n  k: |\n    @V\n    @V\n",
    "stringData: {k: @V, j: [@V]}\n",
    "data:\n  k: @B\n",
    "data:\n  k: !!binary @B\n",
    "stringData:\n  k: !!int @V\n",
    "stringData:\n  k: !custom @V\n",
    "stringData:\n  k: &a @V\n  j: *a\n",
    "data: !!map\n  k: !!str @B\n",
];

/// What a reader mistake inserts: YAML's indicators, tags, tabs, documents.
const READER_INSERTS: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    "\"",
    "'",
    ":",
    ": ",
    "- ",
    "!",
    "!!int ",
    "!!binary ",
    "!x ",
    "&",
    "*",
    "*a",
    "&a ",
    "\t",
    "\n",
    "\n  ",
    "---\n",
    "#",
    "|",
    ">",
    "? ",
    ",",
    "%",
    "@",
    "`",
    "\\",
    "\u{feff}",
    "\u{85}",
    "\r",
];

#[derive(Debug, Clone)]
enum YamlEdit {
    Insert(u16, usize),
    Delete(u16, u8),
    DuplicateLine(u16, u16),
}

fn yaml_edit() -> impl Strategy<Value = YamlEdit> {
    prop_oneof![
        (0..1000u16, 0..READER_INSERTS.len()).prop_map(|(p, i)| YamlEdit::Insert(p, i)),
        (0..1000u16, 1..8u8).prop_map(|(p, n)| YamlEdit::Delete(p, n)),
        (0..1000u16, 0..1000u16).prop_map(|(a, b)| YamlEdit::DuplicateLine(a, b)),
    ]
}

/// The marker, and its base64 at every alignment.
fn reader_needles(marker: &str) -> Vec<String> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let mut needles = vec![marker.to_owned()];
    for pad in ["", "x", "xx"] {
        let encoded = b64(&format!("{pad}{marker}"));
        needles.push(encoded[4..encoded.len() - 4].to_owned());
    }
    needles
}

/// Whether a needle stands in `yaml` outside a Secret's values: as a key,
/// a name, a kind (an edit moved it there). Those are shown, and cannot be
/// told from any other name.
fn outside_secret_values(yaml: &str, needles: &[String]) -> bool {
    use kubetoml::read::yamlread::Value;
    fn has(v: &Value, needles: &[String]) -> bool {
        let text = serde_json::to_string(v).unwrap_or_default();
        needles.iter().any(|n| text.contains(n.as_str()))
    }
    /// A Secret's key that holds a needle, is a valid key and has a string
    /// value: a name like any other (kubetoml shows keys; only keys in
    /// doubt are masked).
    fn named(data: &Value, needles: &[String]) -> bool {
        data.as_mapping().is_some_and(|m| {
            m.iter().any(|(k, x)| {
                k.as_str().is_some_and(|k| {
                    kubetoml::check::validate::data_key(k).is_ok()
                        && x.is_string()
                        && needles.iter().any(|n| k.contains(n.as_str()))
                })
            })
        })
    }
    fn walk(v: &Value, needles: &[String]) -> bool {
        match v {
            Value::Mapping(m) => {
                let secret = m.get("kind").and_then(Value::as_str) == Some("Secret");
                m.iter().any(|(k, x)| {
                    let values = secret && matches!(k.as_str(), Some("data" | "stringData"));
                    has(k, needles)
                        || (!values && walk(x, needles))
                        || (values && named(x, needles))
                })
            }
            Value::Sequence(s) => s.iter().any(|x| walk(x, needles)),
            Value::Tagged(t) => walk(&t.value, needles),
            other => has(other, needles),
        }
    }
    kubetoml::read::yamlread::documents(yaml)
        .is_ok_and(|docs| docs.iter().any(|d| walk(d, needles)))
}

#[test]
fn no_yaml_mistake_prints_a_secret() {
    let cases = std::env::var("KUBETOML_SECRECY_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);
    let (run, skipped) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let fixed = kubetoml::compile_with_sources(
        "app.toml",
        "name = \"web\"\nimage = \"nginx:1.27\"\n",
        &crate::memory::MemorySources::default(),
        &Templates::builtin(),
        false,
        None,
    )
    .unwrap()
    .documents;
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        0..READER_MARKERS.len(),
        0..READER_TAILS.len(),
        prop::collection::vec(yaml_edit(), 0..4),
    );
    runner
        .run(&strategy, |(marker, tail, edits)| {
            let marker = READER_MARKERS[marker];
            let b64 = base64::engine::general_purpose::STANDARD.encode(marker);
            let mut tail = READER_TAILS[tail].replace("@V", marker).replace("@B", &b64);
            for edit in &edits {
                match *edit {
                    YamlEdit::Insert(p, i) => tail.insert_str(at(&tail, p), READER_INSERTS[i]),
                    YamlEdit::Delete(p, n) => {
                        let i = at(&tail, p);
                        let mut j = (i + usize::from(n)).min(tail.len());
                        while !tail.is_char_boundary(j) {
                            j += 1;
                        }
                        tail.replace_range(i..j, "");
                    }
                    YamlEdit::DuplicateLine(a, b) => {
                        let (s, e) = line_at(&tail, a);
                        let line = tail[s..e].to_owned();
                        let (to, _) = line_at(&tail, b);
                        tail.insert_str(to, &line);
                    }
                }
            }
            let yaml = format!("{READER_BASE}{tail}");
            let needles = reader_needles(marker);
            run.fetch_add(1, Ordering::Relaxed);
            if outside_secret_values(&yaml, &needles) {
                skipped.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
            let mut shown = Vec::new();
            match kubetoml::import::import(&[kubetoml::import::Input {
                file: "in.yaml",
                text: &yaml,
            }]) {
                Ok(imported) => {
                    shown.extend(imported.differences);
                    shown.extend(
                        (imported.files.iter().filter(|f| !f.secret))
                            .map(|f| String::from_utf8_lossy(&f.bytes).into_owned()),
                    );
                }
                Err(e) => shown.push(e.draw(false)),
            }
            if let Err(e) = kubetoml::check_against(&yaml, "old.yaml", &fixed) {
                shown.push(e.draw(false));
            }
            for text in &shown {
                for needle in &needles {
                    prop_assert!(
                        !text.contains(needle.as_str()),
                        "shows `{needle}`:\n{text}\n--- input:\n{yaml}"
                    );
                }
            }
            Ok(())
        })
        .unwrap();
    // Most cases keep the value where a value belongs: the check is not idle.
    let (run, skipped) = (run.into_inner(), skipped.into_inner());
    assert!(
        skipped * 4 < run,
        "{skipped} of {run} cases moved the value out"
    );
}
