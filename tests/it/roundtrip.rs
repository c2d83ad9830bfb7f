//! Values arrive exactly: descriptions full of hostile values go through the
//! whole pipeline (`kubetoml::compile`), and every value reads back from the
//! output as exactly what was written, in serde_yaml (YAML 1.2, libyaml) and
//! in PyYAML (YAML 1.1, the reader closest to kubectl's go-yaml).
//!
//! Checked: ConfigMap `data` (literals, text files, build-time variables),
//! `binaryData` and Secret `data` (base64 of the exact bytes), the main
//! container's literal `env` values, `command` and `args`, and the labels and
//! annotations of every object and of the pod template. Also: compiling twice
//! gives the same bytes, and broken descriptions are refused with an `Err`.
//!
//! serde_yaml reads each output inside the proptest run (so failures shrink);
//! one python3 process reads the outputs of all cases at the end.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

use base64::Engine as _;
use kubetoml::{compile_with_sources as compile, Templates};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Map, Value as Json};

use crate::hostile::{long, value};
use crate::memory::MemorySources;
use crate::pyyaml;

// ---- hostile strings: tests/it/hostile.rs ----

/// A value that is sometimes long.
fn maybe_long_value() -> impl Strategy<Value = String> {
    prop_oneof![30 => value(), 1 => long()]
}

/// A file's content: text, text with a byte that is not UTF-8, arbitrary bytes.
fn file_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => value().prop_map(String::into_bytes),
        1 => long().prop_map(String::into_bytes),
        1 => Just(Vec::new()),
        1 => value().prop_map(|s| [b"\xef\xbb\xbf", s.as_bytes()].concat()),
        2 => (value(), any::<u8>().prop_filter("not ASCII", |b| *b >= 0x80), value())
            .prop_map(|(a, b, c)| [a.as_bytes(), &[b], c.as_bytes()].concat()),
        2 => prop::collection::vec(any::<u8>(), 0..64),
    ]
}

/// A ConfigMap or Secret key: valid (`[-._a-zA-Z0-9]+`, at most 253, not `.`,
/// `..` or starting with `..`) and as hostile as that allows.
fn data_key() -> impl Strategy<Value = String> {
    const WORDS: &[&str] = &[
        "true",
        "false",
        "True",
        "null",
        "Null",
        "NULL",
        "yes",
        "no",
        "y",
        "n",
        "on",
        "off",
        "1",
        "0",
        "-1",
        "0123",
        "0o17",
        "0x1F",
        "0b1",
        "1_000",
        "1e3",
        "1E3",
        "1.5",
        "1.",
        ".5",
        ".x",
        ".inf",
        "-.inf",
        ".nan",
        ".NaN",
        "NaN",
        "-",
        "_",
        "--",
        "---",
        "-.-",
        "._",
        "2024-01-01",
        "512Mi",
        "1Gi",
        "a",
        "A",
        ".dockerconfigjson",
        "tls.crt",
        "-x",
        "_1",
        "x.",
        "x-",
    ];
    prop_oneof![
        4 => prop::sample::select(WORDS).prop_map(str::to_owned),
        4 => "[-._a-zA-Z0-9]{1,20}",
        1 => "[-._a-zA-Z0-9]{200,253}",
    ]
    .prop_filter("`.`, `..` and `..x` are not keys", |k| {
        k != "." && !k.starts_with("..")
    })
}

/// An environment variable name: `[-._a-zA-Z][-._a-zA-Z0-9]*`.
fn env_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(
            &[
                "true", "null", "yes", "NO", "y", "-", "_", ".", "..", "...", "e1", "x1e3", "-1",
                ".5", "_0123", "A"
            ][..]
        )
        .prop_map(str::to_owned),
        "[-._a-zA-Z][-._a-zA-Z0-9]{0,30}",
    ]
}

/// A label or annotation key: an optional DNS subdomain prefix, then a name.
fn qualified_name() -> impl Strategy<Value = String> {
    let prefix = prop_oneof![
        Just(String::new()),
        Just("example.com/".to_owned()),
        Just("a.b-c.d/".to_owned()),
        "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\\.[a-z0-9]{1,5}){0,2}/",
    ];
    (prefix, label_value_nonempty()).prop_map(|(p, n)| p + &n)
}

/// A non-empty label value: up to 63 of `[-._a-zA-Z0-9]`, alphanumeric at both ends.
fn label_value_nonempty() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(
            &[
                "true",
                "false",
                "True",
                "null",
                "Null",
                "yes",
                "No",
                "on",
                "OFF",
                "y",
                "n",
                "1",
                "0",
                "0123",
                "0o17",
                "0x1F",
                "0b1",
                "1_000",
                "1e3",
                "1E3",
                "1.5",
                "1.0",
                "NaN",
                "2024-01-01",
                "1-2",
                "0.0.0",
                "512Mi",
                "1Gi",
                "a",
                "Y",
            ][..]
        )
        .prop_map(str::to_owned),
        "[a-zA-Z0-9]",
        "[a-zA-Z0-9][-._a-zA-Z0-9]{0,61}[a-zA-Z0-9]",
    ]
}

fn label_value() -> impl Strategy<Value = String> {
    prop_oneof![1 => Just(String::new()), 6 => label_value_nonempty()]
}

// ---- descriptions ----

/// Where a key's bytes come from.
#[derive(Debug, Clone)]
enum Source {
    /// `literals = { KEY = "..." }`.
    Literal(String),
    /// A file, named in `files` in one of three ways.
    File(Vec<u8>, FileRef),
    /// `from_env = { KEY = "VAR" }`.
    Env(Vec<u8>),
    /// A `KEY=value` line of an env file (a literal when the key cannot be
    /// an env file's).
    EnvFileLine(String),
}

#[derive(Debug, Clone, Copy)]
enum FileRef {
    /// `KEY=path`.
    Named,
    /// `dir/KEY`: the file's name is the key.
    BaseName,
    /// `dir/`: every file of a directory, each named by its key.
    InDirectory,
}

fn source(secret: bool) -> impl Strategy<Value = Source> {
    let file_ref =
        prop::sample::select(&[FileRef::Named, FileRef::BaseName, FileRef::InDirectory][..]);
    let literal = if secret {
        value().boxed()
    } else {
        maybe_long_value().boxed()
    };
    prop_oneof![
        3 => literal.prop_map(Source::Literal),
        3 => (file_bytes(), file_ref).prop_map(|(b, r)| Source::File(b, r)),
        1 => file_bytes().prop_map(Source::Env),
        1 => value().prop_map(|v| {
            // One line, and a final CR is the line ending's.
            Source::EnvFileLine(v.replace('\n', "").trim_end_matches('\r').to_owned())
        }),
    ]
}

/// An env literal: a string, or an integer or boolean written as TOML.
#[derive(Debug, Clone)]
enum EnvLiteral {
    Str(String),
    Int(i64),
    Bool(bool),
}

impl EnvLiteral {
    fn expected(&self) -> String {
        match self {
            EnvLiteral::Str(s) => s.clone(),
            EnvLiteral::Int(i) => i.to_string(),
            EnvLiteral::Bool(b) => b.to_string(),
        }
    }
}

fn env_literal() -> impl Strategy<Value = EnvLiteral> {
    prop_oneof![
        6 => maybe_long_value().prop_map(EnvLiteral::Str),
        1 => prop_oneof![any::<i64>(), -20i64..20].prop_map(EnvLiteral::Int),
        1 => any::<bool>().prop_map(EnvLiteral::Bool),
    ]
}

/// One generated description, before it is written as TOML.
#[derive(Debug, Clone)]
struct Case {
    configmap: BTreeMap<String, Source>,
    secret: BTreeMap<String, Source>,
    env: BTreeMap<String, EnvLiteral>,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    command: Vec<String>,
    args: Vec<String>,
    /// The readiness probe's `exec` command and the `pre_stop` hook's
    /// command, laid out by a template macro and the `indent` filter.
    probe_exec: Vec<String>,
    pre_stop: Vec<String>,
    /// The liveness probe's HTTP path (after a `/`) and a header's value.
    http_path: String,
    http_header: String,
    /// Write strings as TOML literal strings (`'...'`) where they can be.
    literal_strings: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::btree_map(data_key(), source(false), 0..6),
        prop::collection::btree_map(data_key(), source(true), 0..5),
        prop::collection::btree_map(env_name(), env_literal(), 0..5),
        prop::collection::btree_map(qualified_name(), label_value(), 0..4),
        prop::collection::btree_map(qualified_name(), maybe_long_value(), 0..4),
        prop::collection::vec(value(), 0..4),
        prop::collection::vec(value(), 0..5),
        (
            prop::collection::vec(value(), 1..4),
            prop::collection::vec(value(), 1..4),
            value(),
            value(),
        ),
        any::<bool>(),
    )
        .prop_map(
            |(
                configmap,
                secret,
                env,
                labels,
                annotations,
                command,
                args,
                (probe_exec, pre_stop, http_path, http_header),
                literal_strings,
            )| Case {
                configmap,
                secret,
                env,
                labels,
                annotations,
                command,
                args,
                probe_exec,
                pre_stop,
                http_path,
                http_header,
                literal_strings,
            },
        )
}

/// `s` as a TOML string: a literal string when asked and possible, a basic
/// string with escapes otherwise.
fn toml_str(s: &str, literal: bool) -> String {
    let is_control = |c: char| (c < ' ' && c != '\t') || c == '\u{7F}';
    if literal && !s.contains('\'') && !s.chars().any(is_control) {
        return format!("'{s}'");
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push('\t'),
            c if is_control(c) => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `{ "k" = v, ... }`.
fn inline_table<V>(
    map: &BTreeMap<String, V>,
    literal: bool,
    value: impl Fn(&V) -> String,
) -> String {
    let entries: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("{} = {}", toml_str(k, literal), value(v)))
        .collect();
    format!("{{ {} }}", entries.join(", "))
}

fn array(items: &[String], literal: bool) -> String {
    let items: Vec<String> = items.iter().map(|s| toml_str(s, literal)).collect();
    format!("[{}]", items.join(", "))
}

/// The bytes a ConfigMap or Secret key must hold.
struct Object {
    /// Text values (a ConfigMap's `data`).
    text: BTreeMap<String, String>,
    /// Exact bytes (a ConfigMap's `binaryData`, all of a Secret's `data`).
    bytes: BTreeMap<String, Vec<u8>>,
}

/// Writes `[KIND.NAME]` for `entries`, adding its files and variables to
/// `sources`; returns the TOML and what the object must hold.
fn data_table(
    kind: &str,
    name: &str,
    entries: &BTreeMap<String, Source>,
    literal: bool,
    sources: &mut MemorySources,
) -> (String, Object) {
    let mut files = Vec::new();
    let mut literals = BTreeMap::new();
    let mut from_env = BTreeMap::new();
    let mut env_file = String::from("# generated\n");
    let mut object = Object {
        text: BTreeMap::new(),
        bytes: BTreeMap::new(),
    };
    let directory = format!("{kind}/{name}/dir");
    for (i, (key, source)) in entries.iter().enumerate() {
        let bytes = match source {
            Source::Literal(s) => {
                literals.insert(key.clone(), s.clone());
                s.clone().into_bytes()
            }
            Source::File(bytes, how) => {
                let path = match how {
                    FileRef::Named => {
                        let path = format!("{kind}/{name}/{i}");
                        files.push(format!("{key}={path}"));
                        path
                    }
                    FileRef::BaseName => {
                        let path = format!("{kind}/{name}/{i}/{key}");
                        files.push(path.clone());
                        path
                    }
                    FileRef::InDirectory => format!("{directory}/{key}"),
                };
                sources.files.insert(path, bytes.clone());
                bytes.clone()
            }
            Source::EnvFileLine(v) if key.starts_with(|c: char| c.is_ascii_digit()) => {
                literals.insert(key.clone(), v.clone());
                v.clone().into_bytes()
            }
            Source::EnvFileLine(v) => {
                env_file.push_str(&format!("{key}={v}\n"));
                v.clone().into_bytes()
            }
            Source::Env(bytes) => {
                let var = format!("{}_{name}_{i}", kind.to_uppercase());
                sources.env.insert(var.clone(), bytes.clone());
                from_env.insert(key.clone(), var);
                bytes.clone()
            }
        };
        match String::from_utf8(bytes) {
            Ok(text) if kind == "configmaps" => {
                object.text.insert(key.clone(), text);
            }
            Ok(text) => {
                object.bytes.insert(key.clone(), text.into_bytes());
            }
            Err(e) => {
                object.bytes.insert(key.clone(), e.into_bytes());
            }
        }
    }
    if entries
        .values()
        .any(|s| matches!(s, Source::File(_, FileRef::InDirectory)))
    {
        // With and without the trailing slash, both name the directory.
        files.push(if entries.len().is_multiple_of(2) {
            format!("{directory}/")
        } else {
            directory
        });
    }
    let mut toml = format!("\n[{kind}.{name}]\n");
    if env_file.lines().count() > 1 {
        let path = format!("{kind}/{name}.env");
        // Some with CRLF line endings, which are stripped.
        if entries.len() % 2 == 1 {
            env_file = env_file.replace('\n', "\r\n");
        }
        sources.files.insert(path.clone(), env_file.into_bytes());
        let _ = writeln!(toml, "env_files = [{}]", toml_str(&path, literal));
    }
    if !files.is_empty() {
        let _ = writeln!(toml, "files = {}", array(&files, literal));
    }
    if !literals.is_empty() {
        let _ = writeln!(
            toml,
            "literals = {}",
            inline_table(&literals, literal, |v| toml_str(v, literal))
        );
    }
    if !from_env.is_empty() {
        let _ = writeln!(
            toml,
            "from_env = {}",
            inline_table(&from_env, literal, |v| toml_str(v, literal))
        );
        // An empty value must read back too (without this, it is an error).
        let _ = writeln!(toml, "allow_empty_env = true");
    }
    (toml, object)
}

/// What one compiled case must read back as.
struct Built {
    toml: String,
    sources: MemorySources,
    expected: Json,
}

const APP: &str = "app";

fn build(case: &Case) -> Built {
    let lit = case.literal_strings;
    let mut sources = MemorySources::default();
    let mut toml = format!("name = \"{APP}\"\nimage = \"busybox:1.36\"\n");
    let _ = writeln!(toml, "command = {}", array(&case.command, lit));
    let _ = writeln!(toml, "args = {}", array(&case.args, lit));
    let _ = writeln!(
        toml,
        "labels = {}",
        inline_table(&case.labels, lit, |v| toml_str(v, lit))
    );
    let _ = writeln!(
        toml,
        "annotations = {}",
        inline_table(&case.annotations, lit, |v| toml_str(v, lit))
    );
    let _ = writeln!(
        toml,
        "env = {}",
        inline_table(&case.env, lit, |v| match v {
            EnvLiteral::Str(s) => toml_str(s, lit),
            EnvLiteral::Int(i) => i.to_string(),
            EnvLiteral::Bool(b) => b.to_string(),
        })
    );
    let _ = writeln!(
        toml,
        "\n[probes.readiness]\nexec = {}",
        array(&case.probe_exec, lit)
    );
    let _ = writeln!(
        toml,
        "\n[probes.liveness.http]\npath = {}\nport = 80\nheaders = {{ X-Hostile = {} }}",
        toml_str(&format!("/{}", case.http_path), lit),
        toml_str(&case.http_header, lit)
    );
    let _ = writeln!(
        toml,
        "\n[lifecycle]\npre_stop = {}",
        array(&case.pre_stop, lit)
    );
    let (cm_toml, cm) = data_table("configmaps", "cm", &case.configmap, lit, &mut sources);
    let (secret_toml, secret) = data_table("secrets", "sec", &case.secret, lit, &mut sources);
    toml.push_str(&cm_toml);
    toml.push_str(&secret_toml);

    let mut labels: Map<String, Json> = [
        ("app.kubernetes.io/name", APP),
        ("app.kubernetes.io/instance", APP),
        ("app.kubernetes.io/managed-by", "kubetoml"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), json!(v)))
    .collect();
    labels.extend(case.labels.iter().map(|(k, v)| (k.clone(), json!(v))));
    let annotations: Map<String, Json> = case
        .annotations
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let metadata = json!({ "labels": labels, "annotations": annotations });
    let expected = json!({
        "ConfigMap": metadata,
        "Secret": metadata,
        "Service": metadata,
        "StatefulSet": metadata,
        "pod": metadata,
        "data": cm.text,
        "binaryData": hex_map(&cm.bytes),
        "secret": hex_map(&secret.bytes),
        "env": case.env.iter().map(|(k, v)| (k.clone(), v.expected())).collect::<BTreeMap<_, _>>(),
        "command": case.command,
        "args": case.args,
        "probe_exec": case.probe_exec,
        "pre_stop": case.pre_stop,
        "http_path": format!("/{}", case.http_path),
        "http_header": [{ "name": "X-Hostile", "value": case.http_header }],
    });
    Built {
        toml,
        sources,
        expected,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn hex_map(map: &BTreeMap<String, Vec<u8>>) -> Json {
    Json::Object(
        map.iter()
            .map(|(k, v)| (k.clone(), json!(hex(v))))
            .collect(),
    )
}

// ---- reading the output back ----

/// A marker for anything a reader did not read as a string (PyYAML's walk
/// below makes the same).
fn not_str(what: String) -> Json {
    json!({ "\0not-str": what })
}

/// serde_yaml's reading, with non-string scalars marked.
fn to_json(v: serde_yaml::Value) -> Json {
    match v {
        serde_yaml::Value::String(s) => Json::String(s),
        serde_yaml::Value::Sequence(items) => Json::Array(items.into_iter().map(to_json).collect()),
        serde_yaml::Value::Mapping(m) => Json::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let k = match k {
                        serde_yaml::Value::String(s) => s,
                        other => format!("\0not-str:{other:?}"),
                    };
                    (k, to_json(v))
                })
                .collect(),
        ),
        other => not_str(format!("{other:?}")),
    }
}

fn read_with_serde_yaml(stream: &str) -> Result<Vec<Json>, String> {
    use serde::Deserialize as _;
    serde_yaml::Deserializer::from_str(stream)
        .map(|doc| {
            serde_yaml::Value::deserialize(doc)
                .map(to_json)
                .map_err(|e| e.to_string())
        })
        .collect()
}

/// The values a case checks, picked out of the documents a reader read.
fn observed(docs: &[Json]) -> Json {
    let find = |kind: &str| {
        docs.iter()
            .find(|d| d["kind"] == kind)
            .cloned()
            .unwrap_or(Json::Null)
    };
    let meta = |v: &Json| {
        json!({
            "labels": v["labels"],
            "annotations": v.get("annotations").cloned().unwrap_or(json!({})),
        })
    };
    let decode = |m: &Json| -> Json {
        let Some(m) = m.as_object() else {
            return json!({});
        };
        Json::Object(
            m.iter()
                .map(|(k, v)| {
                    let got = match v
                        .as_str()
                        .map(|s| base64::engine::general_purpose::STANDARD.decode(s))
                    {
                        Some(Ok(bytes)) => json!(hex(&bytes)),
                        Some(Err(e)) => json!(format!("not base64: {e}")),
                        None => v.clone(),
                    };
                    (k.clone(), got)
                })
                .collect(),
        )
    };
    let cm = find("ConfigMap");
    let secret = find("Secret");
    let sts = find("StatefulSet");
    let pod = &sts["spec"]["template"];
    let main = &pod["spec"]["containers"][0];
    let env: Map<String, Json> = main["env"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let name = e["name"]
                .as_str()
                .map_or_else(|| format!("{}", e["name"]), str::to_owned);
            (name, e["value"].clone())
        })
        .collect();
    let list = |v: &Json| v.as_array().cloned().map_or(json!([]), Json::Array);
    json!({
        "ConfigMap": meta(&cm["metadata"]),
        "Secret": meta(&secret["metadata"]),
        "Service": meta(&find("Service")["metadata"]),
        "StatefulSet": meta(&sts["metadata"]),
        "pod": meta(&pod["metadata"]),
        "data": cm.get("data").cloned().unwrap_or(json!({})),
        "binaryData": decode(&cm["binaryData"]),
        "secret": decode(&secret["data"]),
        "env": env,
        "command": list(&main["command"]),
        "args": list(&main["args"]),
        "probe_exec": main["readinessProbe"]["exec"]["command"],
        "pre_stop": main["lifecycle"]["preStop"]["exec"]["command"],
        "http_path": main["livenessProbe"]["httpGet"]["path"],
        "http_header": main["livenessProbe"]["httpGet"]["httpHeaders"],
    })
}

/// A compiled case, kept for PyYAML.
struct Compiled {
    toml: String,
    yaml: String,
    expected: Json,
}

/// Runs `cases` cases of `strategy`: compiles each description twice, reads it
/// back with serde_yaml (shrinking on failure), then reads every output with
/// PyYAML in one go.
fn run(name: &str, cases: u32, strategy: impl Strategy<Value = Case>) {
    let start = Instant::now();
    let templates = Templates::builtin();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let all = RefCell::new(Vec::new());
    let result = runner.run(&strategy, |case| {
        let built = build(&case);
        let compile = || {
            compile(
                "app.toml",
                &built.toml,
                &built.sources,
                &templates,
                false,
                None,
            )
        };
        let out = compile().map_err(|e| {
            TestCaseError::fail(format!("refused:\n{}\n{}", built.toml, e.draw(false)))
        })?;
        let yaml = out.to_yaml();
        prop_assert_eq!(
            &compile().unwrap().to_yaml(),
            &yaml,
            "compiling twice differs"
        );
        let docs =
            read_with_serde_yaml(&yaml).map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
        prop_assert_eq!(docs.len(), 4, "{}", yaml);
        let got = observed(&docs);
        prop_assert_eq!(
            &got,
            &built.expected,
            "serde_yaml read\n{}\nfrom\n{}",
            yaml,
            built.toml
        );
        all.borrow_mut().push(Compiled {
            toml: built.toml,
            yaml,
            expected: built.expected,
        });
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let serde_time = start.elapsed();
    let compiled = all.into_inner();
    let streams: Vec<&str> = compiled.iter().map(|c| c.yaml.as_str()).collect();
    let answer = pyyaml::read(&streams);
    let mut failures = Vec::new();
    for (c, row) in compiled.iter().zip(&answer.results) {
        for (loader, docs) in answer.loaders.iter().zip(row) {
            let got = match docs.as_array() {
                Some(docs) => observed(docs),
                None => docs.clone(),
            };
            if got != c.expected {
                failures.push(format!(
                    "{loader} read\n{}\nas   {got}\nnot  {}\nfrom\n{}",
                    c.yaml, c.expected, c.toml
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} readings differ; the first:\n\n{}",
        failures.len(),
        compiled.len() * answer.loaders.len(),
        failures[0]
    );
    let values: usize = compiled.iter().map(|c| count_values(&c.expected)).sum();
    eprintln!(
        "{name}: {cases} cases, {values} values checked, {} bytes of YAML; compile + serde_yaml {serde_time:.1?}, PyYAML ({}) {:.1?}",
        compiled.iter().map(|c| c.yaml.len()).sum::<usize>(),
        answer.loaders.join(", "),
        start.elapsed() - serde_time,
    );
}

/// How many string values `expected` holds (each one is checked).
fn count_values(expected: &Json) -> usize {
    match expected {
        Json::String(_) => 1,
        Json::Array(items) => items.iter().map(count_values).sum(),
        Json::Object(map) => map.values().map(count_values).sum(),
        _ => 0,
    }
}

#[test]
fn generated_values_read_back_exactly() {
    run("roundtrip", 400, case());
}

// ---- what is refused ----

/// A broken part to add to a valid description.
#[derive(Debug, Clone)]
enum Defect {
    /// A ConfigMap literal, Secret literal or file key that is not a valid key.
    DataKey(String, u8),
    LabelKey(String),
    LabelValue(String),
    AnnotationKey(String),
    EnvName(String),
    /// The same key from a literal and a file.
    DuplicateKey(String),
    MissingFile,
    AppName(String),
}

fn bad_data_key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(".".to_owned()),
        Just("..".to_owned()),
        "\\.\\.[-._a-zA-Z0-9]{1,5}",
        "[-._a-zA-Z0-9]{0,5}[^-._a-zA-Z0-9=/][-._a-zA-Z0-9]{0,5}",
        "[-._a-zA-Z0-9]{254,260}",
    ]
}

fn bad_label_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[-._][a-zA-Z0-9]{0,5}",
        "[a-zA-Z0-9]{0,5}[-._]",
        "[a-zA-Z0-9]{64,70}",
        "[a-zA-Z0-9]{1,5}[^-._a-zA-Z0-9][a-zA-Z0-9]{1,5}",
    ]
}

fn bad_qualified_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("/".to_owned()),
        Just("a/".to_owned()),
        Just("a/b/c".to_owned()),
        Just("Example.com/a".to_owned()),
        "[a-z]{1,5}/",
        // A bad value with one `/` may be a good `prefix/name` ("a/a").
        bad_label_value().prop_filter("a valid name", |v| !v.is_empty() && !v.contains('/')),
    ]
}

fn defect() -> impl Strategy<Value = Defect> {
    prop_oneof![
        (bad_data_key(), 0u8..6).prop_map(|(k, w)| Defect::DataKey(k, w)),
        bad_qualified_name().prop_map(Defect::LabelKey),
        bad_label_value().prop_map(Defect::LabelValue),
        bad_qualified_name().prop_map(Defect::AnnotationKey),
        prop_oneof![
            Just(String::new()),
            "[0-9][a-zA-Z0-9_]{0,5}",
            "[a-zA-Z_]{0,3}[^-._a-zA-Z0-9][a-zA-Z_]{0,3}",
        ]
        .prop_map(Defect::EnvName),
        data_key().prop_map(Defect::DuplicateKey),
        Just(Defect::MissingFile),
        prop_oneof![
            Just(String::new()),
            "[A-Z][a-z]{0,5}",
            "-[a-z]{1,5}",
            "[a-z]{53,60}",
            "[a-z]{1,3}[._ /][a-z]{1,3}",
        ]
        .prop_map(Defect::AppName),
    ]
}

/// A valid description with `defect` added.
fn broken(mut case: Case, defect: &Defect) -> Built {
    match defect {
        Defect::DataKey(key, way) => {
            let source = match way {
                0 => Source::Literal("v".into()),
                1 => Source::Env(b"v".to_vec()),
                // As `KEY=path`; a key taken from a file name cannot hold a `/`.
                _ => Source::File(b"v".to_vec(), FileRef::Named),
            };
            let object = if way % 2 == 0 {
                &mut case.configmap
            } else {
                &mut case.secret
            };
            object.insert(key.clone(), source);
        }
        Defect::LabelKey(key) => {
            case.labels.insert(key.clone(), "v".into());
        }
        Defect::LabelValue(value) => {
            case.labels.insert("bad".into(), value.clone());
        }
        Defect::AnnotationKey(key) => {
            case.annotations.insert(key.clone(), "v".into());
        }
        Defect::EnvName(name) => {
            case.env.insert(name.clone(), EnvLiteral::Str("v".into()));
        }
        Defect::DuplicateKey(key) => {
            let mut built = build(&case);
            built.sources.files.insert("dup/file".into(), b"v".to_vec());
            built.toml.push_str(&format!(
                "\n[configmaps.dup]\nliterals = {{ {} = \"v\" }}\nfiles = [{}]\n",
                toml_str(key, false),
                toml_str(&format!("{key}=dup/file"), false)
            ));
            return built;
        }
        Defect::MissingFile => {
            let mut built = build(&case);
            built
                .toml
                .push_str("\n[configmaps.missing]\nfiles = [\"no/such/file\"]\n");
            return built;
        }
        Defect::AppName(name) => {
            let mut built = build(&case);
            built.toml = built.toml.replacen(
                &format!("name = \"{APP}\""),
                &format!("name = {}", toml_str(name, false)),
                1,
            );
            return built;
        }
    }
    build(&case)
}

proptest! {
    #![proptest_config(Config { cases: 300, failure_persistence: None, ..Config::default() })]

    /// Every broken description is refused with an `Err` (never a panic), and
    /// the error draws.
    #[test]
    fn broken_descriptions_are_refused(case in case(), defect in defect()) {
        let built = broken(case, &defect);
        let templates = Templates::builtin();
        match compile("app.toml", &built.toml, &built.sources, &templates, false, None) {
            Ok(out) => prop_assert!(false, "accepted {:?}:\n{}\n->\n{}", defect, built.toml, out.to_yaml()),
            Err(e) => {
                let drawn = e.draw(false);
                prop_assert!(drawn.starts_with("error"), "{}", drawn);
            }
        }
    }
}
