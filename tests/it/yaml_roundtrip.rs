//! Every string written with `kubetoml::write::yaml` reads back as the same string,
//! as a key or as a value, in serde_yaml (YAML 1.2, libyaml) and in PyYAML
//! (YAML 1.1, the reader closest to kubectl's go-yaml v2).
//!
//! The strings come from generators biased towards what breaks YAML: special
//! words, number lookalikes, indicators, line-break characters, controls,
//! leading and trailing whitespace, blank lines. Each generated map is laid
//! out in several small documents (values through `scalar`, and through
//! `block` at indents 0, 2 and 4, in mappings and in sequences); serde_yaml
//! reads each document inside the proptest run, and one python3 process
//! reads all of them at the end.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Instant;

use kubetoml::write::yaml::{block, scalar};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Map, Value as Json};

use crate::hostile::{composite, long, multi_line, number_like, special_word, value};
use crate::pyyaml;

/// Everything a key may be: the values except the long ones, which YAML's
/// 1024-character limit on implicit keys rules out (see `long_keys`).
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => special_word(),
        3 => number_like(),
        6 => composite(),
        2 => multi_line(),
        2 => any::<String>(),
    ]
    .prop_filter("implicit keys are limited to 1024 bytes", |k| {
        scalar(k).len() <= 1024
    })
}

/// A YAML document and the value it must read back as.
struct Doc {
    yaml: String,
    expected: Json,
}

fn json_map(entries: &BTreeMap<String, String>) -> Json {
    Json::Object(
        entries
            .iter()
            .map(|(k, v)| (k.clone(), Json::String(v.clone())))
            .collect::<Map<_, _>>(),
    )
}

/// Mapping entries `KEY: VALUE` with the keys at column `indent`; the first
/// entry's key is written right after `first_prefix` (e.g. `- `).
fn entries(
    out: &mut String,
    map: &BTreeMap<String, String>,
    indent: usize,
    first_prefix: &str,
    value: impl Fn(&str, usize) -> std::borrow::Cow<'_, str>,
) {
    for (i, (k, v)) in map.iter().enumerate() {
        if i == 0 && !first_prefix.is_empty() {
            out.push_str(&" ".repeat(indent - first_prefix.len()));
            out.push_str(first_prefix);
        } else {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&scalar(k));
        out.push_str(": ");
        out.push_str(&value(v, indent));
        out.push('\n');
    }
}

/// The documents that lay out `map` in every position the templates use.
fn documents(map: &BTreeMap<String, String>) -> Vec<Doc> {
    fn plain(v: &str, _: usize) -> std::borrow::Cow<'_, str> {
        scalar(v)
    }
    let inner = json_map(map);
    let mut docs = Vec::new();

    let mut yaml = String::from("data:\n");
    entries(&mut yaml, map, 2, "", plain);
    yaml.push_str("after: ok\n");
    docs.push(Doc {
        yaml,
        expected: json!({ "data": inner, "after": "ok" }),
    });

    let mut yaml = String::new();
    entries(&mut yaml, map, 0, "", block);
    docs.push(Doc {
        yaml,
        expected: inner.clone(),
    });

    let mut yaml = String::from("data:\n");
    entries(&mut yaml, map, 2, "", block);
    yaml.push_str("after: ok\n");
    docs.push(Doc {
        yaml,
        expected: json!({ "data": inner, "after": "ok" }),
    });

    let mut yaml = String::from("a:\n  b:\n");
    entries(&mut yaml, map, 4, "", block);
    yaml.push_str("  c: ok\nafter: ok\n");
    docs.push(Doc {
        yaml,
        expected: json!({ "a": { "b": inner, "c": "ok" }, "after": "ok" }),
    });

    let mut yaml = String::from("items:\n");
    entries(&mut yaml, map, 2, "- ", block);
    yaml.push_str("- last: ok\n");
    docs.push(Doc {
        yaml,
        expected: json!({ "items": [inner, { "last": "ok" }] }),
    });

    let mut yaml = String::from("spec:\n  items:\n");
    entries(&mut yaml, map, 4, "- ", block);
    yaml.push_str("  - last: ok\n  after: ok\n");
    docs.push(Doc {
        yaml,
        expected: json!({ "spec": { "items": [inner, { "last": "ok" }], "after": "ok" } }),
    });

    docs
}

/// serde_yaml's reading of `yaml`, with every scalar required to be a string.
fn read_with_serde_yaml(yaml: &str) -> Result<Json, String> {
    fn strict(v: serde_yaml::Value) -> Result<Json, String> {
        match v {
            serde_yaml::Value::String(s) => Ok(Json::String(s)),
            serde_yaml::Value::Sequence(items) => items
                .into_iter()
                .map(strict)
                .collect::<Result<_, _>>()
                .map(Json::Array),
            serde_yaml::Value::Mapping(m) => {
                let mut out = Map::new();
                for (k, v) in m {
                    let serde_yaml::Value::String(k) = k else {
                        return Err(format!("key read as {k:?}"));
                    };
                    out.insert(k, strict(v)?);
                }
                Ok(Json::Object(out))
            }
            other => Err(format!("scalar read as {other:?}")),
        }
    }
    strict(serde_yaml::from_str(yaml).map_err(|e| e.to_string())?)
}

/// Each loader's reading of each document (a one-document stream): loader
/// names, then one row per document.
fn read_with_pyyaml(docs: &[&str]) -> (Vec<String>, Vec<Vec<Json>>) {
    let readings = pyyaml::read(docs);
    // A one-document stream reads as a list of one; an error stays as it is.
    let single = |r: Json| match r {
        Json::Array(mut docs) if docs.len() == 1 => docs.pop().unwrap(),
        other => other,
    };
    let rows = readings
        .results
        .into_iter()
        .map(|row| row.into_iter().map(single).collect())
        .collect();
    (readings.loaders, rows)
}

/// Checks every document against PyYAML, failing with the first few
/// documents that read back differently.
fn check_with_pyyaml(docs: &[Doc]) -> Vec<String> {
    let texts: Vec<&str> = docs.iter().map(|d| d.yaml.as_str()).collect();
    let (loaders, results) = read_with_pyyaml(&texts);
    let mut failures = Vec::new();
    for (doc, row) in docs.iter().zip(&results) {
        for (loader, got) in loaders.iter().zip(row) {
            if *got != doc.expected {
                failures.push(format!(
                    "{loader} read\n{}\nas   {got}\nnot  {}",
                    doc.yaml, doc.expected
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} readings differ; the first ones:\n\n{}",
        failures.len(),
        docs.len() * loaders.len(),
        failures[..failures.len().min(5)].join("\n\n")
    );
    loaders
}

/// Runs `cases` proptest cases of `strategy` through serde_yaml (with
/// shrinking), then all their documents through PyYAML in one go.
fn round_trip(name: &str, cases: u32, strategy: impl Strategy<Value = BTreeMap<String, String>>) {
    let start = Instant::now();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let all = RefCell::new(Vec::new());
    let result = runner.run(&strategy, |map| {
        for doc in documents(&map) {
            let got = read_with_serde_yaml(&doc.yaml);
            prop_assert_eq!(
                got.as_ref(),
                Ok(&doc.expected),
                "serde_yaml read\n{}",
                doc.yaml
            );
            all.borrow_mut().push(doc);
        }
        // Typed, as the rest of kubetoml reads YAML back.
        let mut yaml = String::new();
        entries(&mut yaml, &map, 0, "", block);
        let typed: BTreeMap<String, String> =
            serde_yaml::from_str(&yaml).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(typed, map);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let serde_time = start.elapsed();
    let docs = all.into_inner();
    let loaders = check_with_pyyaml(&docs);
    eprintln!(
        "{name}: {cases} cases, {} documents ({} bytes); generation + serde_yaml {serde_time:.1?}, \
         PyYAML ({}) {:.1?}",
        docs.len(),
        docs.iter().map(|d| d.yaml.len()).sum::<usize>(),
        loaders.join(", "),
        start.elapsed() - serde_time,
    );
}

#[test]
fn generated_keys_and_values_read_back_exactly() {
    round_trip(
        "short",
        2000,
        prop::collection::btree_map(key(), value(), 1..5),
    );
}

#[test]
fn generated_long_values_read_back_exactly() {
    let strategy = (
        prop::collection::btree_map(key(), value(), 0..3),
        key(),
        long(),
    )
        .prop_map(|(mut map, k, v)| {
            map.insert(k, v);
            map
        });
    round_trip("long", 16, strategy);
}

#[test]
fn block_nested_deeply_reads_back() {
    let text = "line one\n  indented\n\n\ttab\nlast\n";
    let yaml = format!(
        "a:\n  b:\n    key: {}\n    other: x\n  c: y\n",
        block(text, 4)
    );
    assert_eq!(
        yaml,
        "a:\n  b:\n    key: |\n      line one\n        indented\n\n      \ttab\n      last\n    other: x\n  c: y\n"
    );
    let read: BTreeMap<String, BTreeMap<String, serde_yaml::Value>> =
        serde_yaml::from_str(&yaml).unwrap();
    let b: BTreeMap<String, String> = serde_yaml::from_value(read["a"]["b"].clone()).unwrap();
    assert_eq!(b["key"], text);
    assert_eq!(b["other"], "x");
    assert_eq!(read["a"]["c"], serde_yaml::Value::String("y".into()));
}

/// Hand-picked cases from the brief, through both readers.
#[test]
fn listed_cases_read_back() {
    let strings = [
        "true",
        "yes",
        "on",
        "NO",
        "y",
        "0123",
        "1.5",
        "1e3",
        "0x1F",
        "1:30",
        "null",
        "~",
        "2024-01-01",
        "0xab",
        "0xFF",
        ".inf",
        "#a",
        "*a",
        "&a",
        "!a",
        "-a",
        "{a",
        "[a",
        "|a",
        ">a",
        "%a",
        "@a",
        "`a",
        "a: b",
        "a #b",
        " a",
        "a ",
        "\ta",
        "a\t",
        "1Gi",
        "250m",
        "512Mi",
        "",
        "\n",
        "\n\n",
        "\r\n",
        "a\r\nb",
        "\u{85}",
        "\u{2028}",
        "\u{2029}",
        "\u{FEFF}",
        " a\n",
        "\ta\nb",
        "\n a",
        "  \n",
        "a\n   \nb\n",
        "a\n\n\n",
        "\na",
        "---\n...\n",
    ];
    let mut docs = Vec::new();
    for (i, s) in strings.iter().enumerate() {
        let map = BTreeMap::from([
            (s.to_string(), s.to_string()),
            (format!("k{i}"), s.to_string()),
        ]);
        for doc in documents(&map) {
            assert_eq!(
                read_with_serde_yaml(&doc.yaml),
                Ok(doc.expected.clone()),
                "serde_yaml read\n{}",
                doc.yaml
            );
            docs.push(doc);
        }
    }
    check_with_pyyaml(&docs);
}

/// YAML readers refuse implicit keys longer than 1024 characters (libyaml
/// counts bytes); `scalar`'s documentation passes that on to its callers.
#[test]
fn long_keys() {
    let fits = "k".repeat(1024);
    let too_long = "k".repeat(1025);
    let quoted_fits = format!("{}é", "k".repeat(1019)); // `"` + 1019 + 2 bytes + `"` = 1023
    let doc = |k: &str| format!("{}: v\n", scalar(k));
    assert!(read_with_serde_yaml(&doc(&fits)).is_ok());
    assert!(read_with_serde_yaml(&doc(&quoted_fits)).is_ok());
    assert!(read_with_serde_yaml(&doc(&too_long)).is_err());
    let (_, results) = read_with_pyyaml(&[&doc(&fits), &doc(&quoted_fits), &doc(&too_long)]);
    assert_eq!(results[0][0], json!({ fits.as_str(): "v" }));
    assert_eq!(results[1][0], json!({ quoted_fits.as_str(): "v" }));
    assert!(results[2][0].get("\0error").is_some(), "{}", results[2][0]);
}
