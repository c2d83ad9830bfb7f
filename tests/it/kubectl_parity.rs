//! What kubetoml puts in a ConfigMap or Secret is what `kubectl create configmap|secret`
//! puts there, for the same files, literals and env files.
//!
//! Each [`Case`] writes its files to a temp dir, describes one object two ways (a
//! kubetoml table and the `kubectl create ... --dry-run=client -o yaml` arguments),
//! runs both, parses both outputs and compares `type`, `data` and `binaryData`
//! (Secret values as decoded bytes). Text is never compared: the YAML layout may
//! differ, the values must not.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_yaml::Value;

use crate::common;

/// A ConfigMap's or Secret's content, as read back from YAML.
#[derive(Debug, PartialEq)]
struct Content {
    /// `None` for a ConfigMap.
    type_: Option<String>,
    /// `data`, decoded from base64 for a Secret.
    data: BTreeMap<String, Vec<u8>>,
    /// `binaryData`, decoded.
    binary_data: BTreeMap<String, Vec<u8>>,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    ConfigMap,
    Secret,
}

/// One object built by kubetoml and by kubectl from the same inputs.
struct Case {
    name: String,
    dir: tempfile::TempDir,
    kind: Kind,
    /// `kubectl create ...` up to and including the object's name.
    kubectl: Vec<String>,
    files: Vec<String>,
    env_files: Vec<String>,
    literals: Vec<(String, String)>,
    /// Extra `key = value` lines of the kubetoml table.
    table: Vec<String>,
}

impl Case {
    fn new(name: &str, kind: Kind, kubectl: &[&str]) -> Case {
        Case {
            name: name.to_owned(),
            dir: tempfile::tempdir().expect("temp dir"),
            kind,
            kubectl: kubectl.iter().map(|s| s.to_string()).collect(),
            files: Vec::new(),
            env_files: Vec::new(),
            literals: Vec::new(),
            table: Vec::new(),
        }
    }

    fn configmap(name: &str) -> Case {
        Case::new(name, Kind::ConfigMap, &["create", "configmap", "obj"])
    }

    /// `kubectl create secret generic`, with `--type` when given.
    fn secret(name: &str, type_: Option<&str>) -> Case {
        let mut case = Case::new(name, Kind::Secret, &["create", "secret", "generic", "obj"]);
        if let Some(t) = type_ {
            case.kubectl.push(format!("--type={t}"));
            case.table.push(format!("type = {}", toml_str(t)));
        }
        case
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes a file (and its folders) in the case's folder.
    fn write(self, rel: &str, bytes: impl AsRef<[u8]>) -> Case {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write file");
        self
    }

    fn mkdir(self, rel: &str) -> Case {
        std::fs::create_dir_all(self.path(rel)).expect("mkdir");
        self
    }

    fn symlink(self, link: &str, target: &str) -> Case {
        std::os::unix::fs::symlink(target, self.path(link)).expect("symlink");
        self
    }

    /// Copies a TLS fixture into the case's folder (kubetoml reads only below it).
    fn fixture(self, name: &str) -> Case {
        self.write(name, common::tls_fixture(name))
    }

    /// `files = ["SPEC"]` and `--from-file=SPEC`.
    fn file(mut self, spec: &str) -> Case {
        self.files.push(spec.to_owned());
        self.kubectl.push(format!("--from-file={spec}"));
        self
    }

    /// `literals.KEY = "VALUE"` and `--from-literal=KEY=VALUE`.
    fn literal(mut self, key: &str, value: &str) -> Case {
        self.literals.push((key.to_owned(), value.to_owned()));
        self.kubectl.push(format!("--from-literal={key}={value}"));
        self
    }

    /// `env_files = ["PATH"]` and `--from-env-file=PATH`.
    fn env_file(mut self, path: &str) -> Case {
        self.env_files.push(path.to_owned());
        self.kubectl.push(format!("--from-env-file={path}"));
        self
    }

    /// `files = ["SPEC"]` only, for kubectl commands that name files their own way.
    fn kubetoml_file(mut self, spec: &str) -> Case {
        self.files.push(spec.to_owned());
        self
    }

    /// A line of the kubetoml table only.
    fn toml(mut self, line: &str) -> Case {
        self.table.push(line.to_owned());
        self
    }

    /// A kubectl argument only.
    fn arg(mut self, arg: &str) -> Case {
        self.kubectl.push(arg.to_owned());
        self
    }

    fn description(&self) -> String {
        let table = match self.kind {
            Kind::ConfigMap => "configmaps.obj",
            Kind::Secret => "secrets.obj",
        };
        let list = |items: &[String]| {
            items
                .iter()
                .map(|s| toml_str(s))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut toml = format!("name = \"app\"\nimage = \"busybox\"\n\n[{table}]\n");
        writeln!(toml, "files = [{}]", list(&self.files)).unwrap();
        writeln!(toml, "env_files = [{}]", list(&self.env_files)).unwrap();
        for line in &self.table {
            writeln!(toml, "{line}").unwrap();
        }
        writeln!(toml, "[{table}.literals]").unwrap();
        for (k, v) in &self.literals {
            writeln!(toml, "{} = {}", toml_str(k), toml_str(v)).unwrap();
        }
        toml
    }

    /// Compiles the description with the library, from the case's folder.
    fn kubetoml(&self) -> Result<Content, String> {
        let path = self.path("app.toml");
        std::fs::write(&path, self.description()).expect("write app.toml");
        let out = kubetoml::compile_file(&path, &kubetoml::Options::default())
            .map_err(|e| e.to_string())?;
        let kind = match self.kind {
            Kind::ConfigMap => "ConfigMap",
            Kind::Secret => "Secret",
        };
        let doc = out
            .documents
            .iter()
            .find(|d| d.kind.as_str() == kind)
            .unwrap_or_else(|| panic!("{}: kubetoml emitted no {kind}", self.name));
        let parsed: Value = serde_yaml::from_str(&doc.yaml).unwrap_or_else(|e| {
            panic!(
                "{}: kubetoml's YAML does not parse: {e}\n{}",
                self.name, doc.yaml
            )
        });
        Ok(content(&self.name, "kubetoml", self.kind, parsed))
    }

    fn kubectl(&self) -> Content {
        let mut args: Vec<&str> = self.kubectl.iter().map(String::as_str).collect();
        // JSON, not YAML: kubectl's YAML printer fails on control characters ("yaml:
        // control characters are not allowed"), its JSON printer escapes them.
        args.extend(["--dry-run=client", "-o", "json"]);
        let out = common::kubectl(&args, Some(self.dir.path()));
        assert!(
            out.status.success(),
            "{}: kubectl failed: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{}: kubectl's JSON does not parse: {e}", self.name));
        let mut content = content(&self.name, "kubectl", self.kind, doc);
        if self.kind == Kind::Secret && content.type_.is_none() {
            // `create secret generic` without `--type` leaves `type` out; the API
            // server stores it as `Opaque`, which kubetoml writes out.
            content.type_ = Some("Opaque".to_owned());
        }
        content
    }

    /// Asserts that kubetoml and kubectl build the same content.
    fn check(self) {
        let expected = self.kubectl();
        let ours = self.kubetoml().unwrap_or_else(|e| {
            panic!("{}: kubetoml failed where kubectl did not:\n{e}", self.name)
        });
        if let Some(diff) = difference(&ours, &expected) {
            panic!("{}: kubetoml differs from kubectl:\n{diff}", self.name);
        }
    }

    /// Asserts that kubetoml refuses the description, with an error containing `words`.
    fn refused(self, words: &str) {
        match self.kubetoml() {
            Ok(_) => panic!("{}: kubetoml accepted it", self.name),
            Err(e) => assert!(e.contains(words), "{}: unexpected error:\n{e}", self.name),
        }
    }
}

/// A TOML basic string holding exactly `s`.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if u32::from(c) <= 0xffff => write!(out, "\\u{:04X}", u32::from(c)).unwrap(),
            c => write!(out, "\\U{:08X}", u32::from(c)).unwrap(),
        }
    }
    out.push('"');
    out
}

/// Reads `type`, `data` and `binaryData` of a parsed object. Every value must be
/// a string: a value read back as a bool or number is a bug.
fn content(case: &str, who: &str, kind: Kind, doc: Value) -> Content {
    let map = |field: &str, base64: bool| -> BTreeMap<String, Vec<u8>> {
        let Some(value) = doc.get(field) else {
            return BTreeMap::new();
        };
        let Value::Mapping(m) = value else {
            panic!("{case}: {who}'s `{field}` is not a mapping: {value:?}");
        };
        m.iter()
            .map(|(k, v)| {
                let (Value::String(k), Value::String(v)) = (k, v) else {
                    panic!("{case}: {who}'s `{field}` has a non-string entry {k:?}: {v:?}");
                };
                let bytes = if base64 {
                    STANDARD.decode(v).unwrap_or_else(|e| {
                        panic!("{case}: {who}'s `{field}.{k}` is not base64: {e}")
                    })
                } else {
                    v.clone().into_bytes()
                };
                (k.clone(), bytes)
            })
            .collect()
    };
    let secret = kind == Kind::Secret;
    Content {
        type_: doc.get("type").map(|t| match t {
            Value::String(s) => s.clone(),
            other => panic!("{case}: {who}'s `type` is not a string: {other:?}"),
        }),
        data: map("data", secret),
        binary_data: map("binaryData", true),
    }
}

/// Every difference between `ours` and kubectl's, one line each; `None` when equal.
fn difference(ours: &Content, kubectl: &Content) -> Option<String> {
    let mut out = String::new();
    if ours.type_ != kubectl.type_ {
        writeln!(
            out,
            "type: kubetoml {:?}, kubectl {:?}",
            ours.type_, kubectl.type_
        )
        .unwrap();
    }
    for (field, a, b) in [
        ("data", &ours.data, &kubectl.data),
        ("binaryData", &ours.binary_data, &kubectl.binary_data),
    ] {
        for key in a
            .keys()
            .chain(b.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            match (a.get(key), b.get(key)) {
                (Some(x), Some(y)) if x == y => {}
                (x, y) => writeln!(
                    out,
                    "{field}.{key}: kubetoml {}, kubectl {}",
                    shown(x),
                    shown(y)
                )
                .unwrap(),
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// A value for a failure message, shortened: some are 20 kB.
fn shown(v: Option<&Vec<u8>>) -> String {
    match v {
        None => "(absent)".to_owned(),
        Some(bytes) => {
            let text = String::from_utf8_lossy(bytes);
            let head: String = text.chars().take(80).collect();
            format!(
                "{} bytes {:?}{}",
                bytes.len(),
                head,
                if text.chars().count() > 80 { "..." } else { "" }
            )
        }
    }
}

// ---- files ----

#[test]
fn files() {
    Case::configmap("files")
        .write("a.txt", "hello\n")
        .write("conf/b.conf", "x = 1\ny = 2\n")
        .file("a.txt")
        .file("conf/b.conf")
        .check();
}

#[test]
fn key_equals_path_renames() {
    Case::configmap("key=path")
        .write("conf/memory.conf", "shared_buffers = 128MB\n")
        .file("pg.conf=conf/memory.conf")
        .file("other=conf/memory.conf")
        .check();
}

#[test]
fn directories() {
    // Hidden files are read; subfolders and symlinks inside are skipped, also a
    // symlink to a file in the same folder.
    Case::configmap("directory")
        .write("conf/a.conf", "a\n")
        .write("conf/.hidden", "hidden\n")
        .write("conf/sub/inner.conf", "not read\n")
        .write("outside.txt", "linked\n")
        .symlink("conf/link-out", "../outside.txt")
        .symlink("conf/link-in", "a.conf")
        .symlink("conf/link-dir", "sub")
        .mkdir("conf/empty-sub")
        .file("conf")
        .check();
}

#[test]
fn a_symlinked_file_is_keyed_by_its_own_name() {
    Case::configmap("symlinked file")
        .write("real/target.conf", "content\n")
        .symlink("link.conf", "real/target.conf")
        .file("link.conf")
        .check();
}

#[test]
fn binary_files_go_to_binary_data() {
    let all_bytes: Vec<u8> = (0..=255).collect();
    Case::configmap("binary files")
        .write("all-bytes", &all_bytes)
        .write("latin1", b"caf\xe9\n")
        .write("cut-utf8", &"é".as_bytes()[..1])
        .write("long-binary", vec![0xffu8; 5000])
        .write("text", "text beside binary\n")
        .file("all-bytes")
        .file("latin1")
        .file("cut-utf8")
        .file("long-binary")
        .file("text")
        .check();
}

/// File contents that are awkward in YAML, each under a key that says what it is.
const AWKWARD_FILES: &[(&str, &str)] = &[
    ("crlf", "line one\r\nline two\r\n"),
    ("crlf-no-final", "a\r\nb"),
    ("lone-cr", "a\rb\r"),
    ("empty", ""),
    ("trailing-spaces", "a  \nb \n"),
    ("trailing-tabs", "a\t\nb\t\t\n"),
    ("no-final-newline", "a\nb"),
    ("only-newlines", "\n\n\n"),
    ("one-newline", "\n"),
    ("leading-spaces-first-line", "  indented\nnot\n"),
    ("leading-tab-first-line", "\tindented\nnot\n"),
    ("bom", "\u{feff}after a BOM\n"),
    ("u2028", "a\u{2028}b\n"),
    ("u2029", "a\u{2029}b\n"),
    ("nel", "a\u{85}b\n"),
    (
        "control-chars",
        "nul\0 bel\x07 esc\x1b del\x7f vt\x0b ff\x0c\n",
    ),
    (
        "yaml-hostile-lines",
        "key: value\n- item\n# comment\n---\n...\n",
    ),
    ("trailing-blank-lines", "a\n\n\n"),
    ("spaces-only", "   "),
];

#[test]
fn awkward_text_files() {
    let mut case = Case::configmap("awkward text files");
    for (key, content) in AWKWARD_FILES {
        case = case.write(key, content).file(key);
    }
    let long_line = "0123456789abcdef".repeat(8192);
    let long_lines = format!("{long_line}\n{long_line} end\n");
    case.write("very-long-lines", long_lines)
        .file("very-long-lines")
        .check();
}

// ---- literals ----

/// Literal values, each under a key that says what it is.
fn hostile_literals() -> Vec<(&'static str, String)> {
    let plain = [
        ("yes", "yes"),
        ("yes-upper", "YES"),
        ("y", "y"),
        ("no", "no"),
        ("on", "on"),
        ("off", "off"),
        ("true", "true"),
        ("false-title", "False"),
        ("null", "null"),
        ("tilde", "~"),
        ("octal", "0123"),
        ("octal-0o", "0o17"),
        ("float", "1.5"),
        ("exponent", "1e3"),
        ("hex", "0x1F"),
        ("sexagesimal", "1:30"),
        ("date", "2024-01-01"),
        ("inf", ".inf"),
        ("nan", ".NaN"),
        ("dash", "-"),
        ("dash-item", "- a"),
        ("colon-start", ": x"),
        ("mapping", "a: b"),
        ("hash", "#c"),
        ("inline-comment", "a #b"),
        ("alias", "*x"),
        ("anchor", "&x"),
        ("tag", "!x"),
        ("pipe", "|"),
        ("gt", ">"),
        ("percent", "%"),
        ("at", "@"),
        ("backquote", "`"),
        ("bracket", "["),
        ("brace", "{"),
        ("flow-seq", "[a, b]"),
        ("single-quoted", "'q'"),
        ("double-quoted", "\"q\""),
        ("backslash", "a\\nb"),
        ("doc-start", "---"),
        ("doc-end", "..."),
        ("equals", "a=b=c"),
        ("leading-spaces", "  x"),
        ("trailing-spaces", "x  "),
        ("leading-tab", "\tx"),
        ("cr", "a\rb"),
        ("crlf", "a\r\nb\r\n"),
        ("multi-line", "a\nb\n"),
        ("multi-line-no-final", "a\nb"),
        ("multi-line-indented", "  a\nb\n"),
        ("trailing-newlines", "a\n\n\n"),
        ("newline-only", "\n"),
        ("empty", ""),
        ("nel", "a\u{85}b"),
        ("ls", "a\u{2028}b"),
        ("ps", "a\u{2029}b"),
        ("bom", "\u{feff}x"),
        ("control", "bel\x07 esc\x1b del\x7f"),
        ("non-ascii", "é ü 日本 😀"),
        // A NUL cannot be given: a command-line argument ends at NUL.
    ];
    let mut out: Vec<(&str, String)> = plain.iter().map(|(k, v)| (*k, v.to_string())).collect();
    let big: String = (0..20_000)
        .map(|i| if i % 97 == 96 { '\n' } else { 'x' })
        .collect();
    out.push(("twenty-kb", big));
    out
}

#[test]
fn hostile_literals_in_a_configmap() {
    let mut case = Case::configmap("literals in a ConfigMap");
    for (key, value) in hostile_literals() {
        case = case.literal(key, &value);
    }
    case.check();
}

#[test]
fn hostile_literals_in_a_secret() {
    let mut case = Case::secret("literals in a Secret", None);
    for (key, value) in hostile_literals() {
        case = case.literal(key, &value);
    }
    case.check();
}

// ---- env files ----

const ENV_FILE: &str = "\u{feff}FIRST=after the BOM\r\n\
# a comment\n\
   # an indented comment\n\
\n\
   \t\n\
  INDENTED=value\n\
\tTABBED=value\n\
DOUBLE=\"quoted\"\n\
SINGLE='quoted'\n\
TRAILING=spaces  \n\
TRAILING_TAB=tab\t\n\
CRLF=windows\r\n\
EQUALS=a=b=c\n\
EMPTY=\n\
INLINE=value # not a comment\n\
SPACE_AFTER= value\n\
dotted.key-name=x\n\
UNICODE=é\u{2028}x\n\
LAST=no final newline";

#[test]
fn env_files() {
    Case::configmap("env file")
        .write("app.env", ENV_FILE)
        .env_file("app.env")
        .check();
}

#[test]
fn env_files_in_a_secret() {
    Case::secret("env file in a Secret", None)
        .write("app.env", ENV_FILE)
        .env_file("app.env")
        .check();
}

#[test]
fn two_env_files() {
    Case::configmap("two env files")
        .write("a.env", "A=1\n")
        .write("b.env", "B=2\r\n")
        .env_file("a.env")
        .env_file("b.env")
        .check();
}

#[test]
fn env_file_line_without_equals_is_refused() {
    // kubectl takes the value of `HOME` from its own environment (and leaves the key
    // out when unset); kustomize makes it "". Either way the output depends on where
    // it runs, so kubetoml refuses the line.
    Case::configmap("env file line without =")
        .write("app.env", "A=1\nHOME\n")
        .env_file("app.env")
        .refused("`app.env:2` has no `=`");
}

#[test]
fn env_file_export_prefix_is_refused() {
    // kubectl refuses it too, with `"export A" is not a valid key name`; kubetoml
    // says what to remove.
    Case::configmap("env file export prefix")
        .write("app.env", "export A=1\n")
        .env_file("app.env")
        .refused("starts with `export`");
}

// ---- secrets ----

#[test]
fn generic_secret_from_files() {
    Case::secret("generic Secret from files", None)
        .write("password.txt", "s3cr3t\n")
        .write("key.bin", [0u8, 0xff, 0x10, 0x80])
        .write("conf/.hidden", "h")
        .write("conf/app.conf", "a=b\r\n")
        .file("password.txt")
        .file("renamed=key.bin")
        .file("conf")
        .check();
}

#[test]
fn generic_secret_from_literals_and_files() {
    Case::secret("generic Secret from literals and files", Some("Opaque"))
        .write("token", "abc")
        .file("token")
        .literal("username", "admin")
        .literal("password", "1f2d1e2e67df")
        .check();
}

#[test]
fn tls_secrets() {
    for (cert, key) in [
        ("rsa.crt", "rsa.key"),
        ("rsa.crt", "rsa.pk8.key"),
        ("p256.crt", "p256.key"),
        ("ed25519.crt", "ed25519.key"),
        ("rsa-crlf.crt", "rsa.key"),
        ("chain.crt", "rsa.key"),
    ] {
        Case::new(
            &format!("tls {cert} {key}"),
            Kind::Secret,
            &["create", "secret", "tls", "obj"],
        )
        .fixture(cert)
        .fixture(key)
        .arg(&format!("--cert={cert}"))
        .arg(&format!("--key={key}"))
        .toml("type = \"kubernetes.io/tls\"")
        .kubetoml_file(&format!("tls.crt={cert}"))
        .kubetoml_file(&format!("tls.key={key}"))
        .check();
    }
}

/// `kubectl create secret docker-registry` against kubetoml's `docker_registry`.
fn docker_case(name: &str, server: Option<&str>, user: &str, password: &str, email: Option<&str>) {
    let mut case = Case::new(
        name,
        Kind::Secret,
        &["create", "secret", "docker-registry", "obj"],
    )
    .arg(&format!("--docker-username={user}"))
    .arg(&format!("--docker-password={password}"));
    let mut table = format!(
        "docker_registry = {{ username = {}, password = {}",
        toml_str(user),
        toml_str(password)
    );
    if let Some(s) = server {
        case = case.arg(&format!("--docker-server={s}"));
        write!(table, ", server = {}", toml_str(s)).unwrap();
    }
    if let Some(e) = email {
        case = case.arg(&format!("--docker-email={e}"));
        write!(table, ", email = {}", toml_str(e)).unwrap();
    }
    table.push_str(" }");
    case.toml(&table).check();
}

#[test]
fn docker_registry_secrets() {
    docker_case(
        "docker-registry with email",
        Some("registry.example.com:5000"),
        "robot",
        "p4ss",
        Some("robot@example.com"),
    );
    docker_case(
        "docker-registry without email",
        Some("https://ghcr.io"),
        "robot",
        "p4ss",
        None,
    );
    docker_case(
        "docker-registry on the default server",
        None,
        "robot",
        "p4ss",
        Some("me@example.com"),
    );
    // Go escapes `<`, `>`, `&` as \u003c... in JSON; `"`, `\` and `:` need care too.
    docker_case(
        "docker-registry with hostile credentials",
        Some("https://r.example.com/v1/?a=<b>&c"),
        "us:er\"<&>",
        "p@ss:w\\o\"rd<&>\u{2028}é",
        Some("a+b@example.com"),
    );
}

#[test]
fn basic_auth_secret() {
    Case::secret("basic-auth", Some("kubernetes.io/basic-auth"))
        .literal("username", "admin")
        .literal("password", "t0p: secret")
        .check();
}

#[test]
fn ssh_auth_secret() {
    Case::secret("ssh-auth", Some("kubernetes.io/ssh-auth"))
        .write(
            "id_ed25519",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
        )
        .write("known_hosts", "github.com ssh-ed25519 AAAAC3Nza\n")
        .file("ssh-privatekey=id_ed25519")
        .file("known_hosts")
        .check();
}
