//! Sources held in memory, and the checks the fuzzer makes on one input.
//!
//! Shared by `roundtrip`, `fuzz_regressions` and the
//! cargo-fuzz target `fuzz/fuzz_targets/compile.rs` (through `#[path]`), so
//! a crash the fuzzer finds is replayed by `cargo test` with the very same
//! files, variables and checks.

#![allow(dead_code)] // The fuzz target uses only part of it.

use std::collections::BTreeMap;

use serde::Deserialize as _;

use kubetoml::read::sources::{Entry, SourceError, Sources};
use kubetoml::{compile_with_sources as compile, Output, Templates};

/// Files by path (as written in a description, `/`-separated) and build-time
/// variables. A directory is every path with its name and a `/` in front.
#[derive(Default, Clone)]
pub struct MemorySources {
    /// Path to content.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Variable name to value.
    pub env: BTreeMap<String, Vec<u8>>,
}

impl MemorySources {
    /// The fixed files and variables the fuzzer's descriptions can name: what
    /// the examples read, plus a few hostile contents.
    pub fn fixture() -> Self {
        let mut files: BTreeMap<String, Vec<u8>> = [
            (
                "redis.properties",
                &b"maxmemory 2mb\nmaxmemory-policy allkeys-lru\n"[..],
            ),
            ("conf/memory.conf", b"shared_buffers = 128MB\n"),
            ("conf/replication.conf", b"wal_level = replica\n"),
            ("conf/.hidden", b"yes"),
            ("postgres.env", b"POSTGRES_DB=app\nPOSTGRES_USER=app\n# c\n"),
            (
                "app.env",
                b"A=1\nB=yes\nC=0123\nD= x \nE=\nF=a\xe2\x80\xa8b\n",
            ),
            ("bad.env", b"NOEQ\n"),
            ("bin", b"\x00\xff\xfe\x80binary\r\n"),
            ("crlf.txt", b"a\r\nb\r\n"),
            ("empty", b""),
            ("nel.txt", "a\u{85}b\u{2028}c\u{2029}\n".as_bytes()),
            ("yaml.txt", b"---\nkey: value\n...\n- item\n"),
            ("words/true", b"true"),
            ("words/0123", b"0123"),
            ("words/null", b"~"),
            ("lead.txt", b"  indented\n\tand tab\n"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_vec()))
        .collect();
        // Embedded, so the fuzz binary does not depend on where it runs.
        files.insert(
            "tls/server.crt".to_owned(),
            include_bytes!("../../examples/postgres/tls/server.crt").to_vec(),
        );
        files.insert(
            "tls/server.key".to_owned(),
            include_bytes!("../../examples/postgres/tls/server.key").to_vec(),
        );
        files.insert(
            "zoo.cfg".to_owned(),
            include_bytes!("../../examples/zookeeper/zoo.cfg").to_vec(),
        );
        let env = [
            ("PG_PASSWORD", &b"hunter2"[..]),
            ("REGISTRY_TOKEN", b"t0k3n"),
            ("EMPTY", b""),
            ("BINARY", b"\xff\x00"),
            ("YES", b"yes"),
            ("MULTI", b"line one\nline two\n"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_vec()))
        .collect();
        MemorySources { files, env }
    }

    fn dir_prefix(path: &str) -> String {
        format!("{}/", path.trim_end_matches('/'))
    }
}

impl Sources for MemorySources {
    fn read_file(&self, path: &str) -> Result<Vec<u8>, SourceError> {
        if let Some(bytes) = self.files.get(path) {
            return Ok(bytes.clone());
        }
        let prefix = Self::dir_prefix(path);
        let message = if self.files.keys().any(|k| k.starts_with(&prefix)) {
            format!("`{path}` is a directory, not a file")
        } else {
            format!("cannot find `{path}`")
        };
        Err(SourceError::new(message))
    }

    fn read_dir(&self, path: &str) -> Result<Option<Vec<Entry>>, SourceError> {
        if self.files.contains_key(path) {
            return Ok(None);
        }
        let prefix = Self::dir_prefix(path);
        let entries: Vec<Entry> = self
            .files
            .iter()
            .filter_map(|(k, v)| {
                let name = k.strip_prefix(&prefix)?;
                (!name.contains('/')).then(|| Entry {
                    key: name.to_owned(),
                    bytes: v.clone(),
                    origin: format!("{prefix}{name}"),
                })
            })
            .collect();
        if entries.is_empty() && !self.files.keys().any(|k| k.starts_with(&prefix)) {
            return Err(SourceError::new(format!("cannot find `{path}`")).labelled("not found"));
        }
        Ok(Some(entries))
    }

    fn env_var(&self, name: &str) -> Result<Option<Vec<u8>>, SourceError> {
        Ok(self.env.get(name).cloned())
    }
}

/// What the fuzzer checks on one description: compiling it returns (an
/// error is fine, and drawing it must not panic either); when it compiles,
/// every document and the whole stream parse as YAML, and compiling again
/// gives the same bytes.
pub fn check_compile(source: &str, sources: &MemorySources, templates: &Templates) {
    for no_literal_secrets in [false, true] {
        match compile(
            "fuzz.toml",
            source,
            sources,
            templates,
            no_literal_secrets,
            None,
        ) {
            Ok(out) => check_output(source, sources, templates, no_literal_secrets, &out),
            Err(e) => {
                let _ = e.draw(false);
                let _ = e.draw(true);
            }
        }
    }
}

fn check_output(
    source: &str,
    sources: &MemorySources,
    templates: &Templates,
    no_literal_secrets: bool,
    out: &Output,
) {
    for doc in &out.documents {
        if let Err(e) = serde_yaml::from_str::<serde_yaml::Value>(&doc.yaml) {
            panic!("{} `{}` is not YAML: {e}\n{}", doc.kind, doc.name, doc.yaml);
        }
    }
    let stream = out.to_yaml();
    let mut count = 0;
    for doc in serde_yaml::Deserializer::from_str(&stream) {
        if let Err(e) = serde_yaml::Value::deserialize(doc) {
            panic!("the stream is not YAML: {e}\n{stream}");
        }
        count += 1;
    }
    assert_eq!(count, out.documents.len(), "documents lost in\n{stream}");
    let _ = out.draw_warnings(false);
    let again = compile(
        "fuzz.toml",
        source,
        sources,
        templates,
        no_literal_secrets,
        None,
    )
    .expect("compiled once, so it compiles again");
    assert_eq!(again.to_yaml(), stream, "two compiles differ");
}
