//! Reading YAML with PyYAML (YAML 1.1, as kubectl's parser is flavoured), for
//! the property tests: every stream of a run goes through python (see `tests/python`) in one go,
//! spread over two processes (PyYAML's pure-Python reader is the slow part).
//!
//! Each stream is read with `yaml.safe_load_all`, and with libyaml's
//! `CSafeLoader` too when PyYAML was built with it. A reading is a JSON list of
//! documents in which anything that is not a string (a key or a value) shows
//! up as a `{"\u0000not-str": ...}` object, so a bool or a number cannot pass
//! for text; a stream that fails to load reads as `{"\u0000error": ...}`.

use crate::python;

use std::io::Write as _;
use std::process::Stdio;

use serde_json::Value as Json;

const PYTHON: &str = r#"
import json, sys
try:
    import yaml
except ImportError:
    sys.stderr.write("PyYAML is missing\n")
    sys.exit(3)

def walk(v):
    if type(v) is dict:
        return {(k if type(k) is str else "\0not-str:%s:%r" % (type(k).__name__, k)): walk(x)
                for k, x in v.items()}
    if type(v) is list:
        return [walk(x) for x in v]
    if type(v) is str:
        return v
    return {"\0not-str": "%s:%r" % (type(v).__name__, v)}

loaders = [("safe_load_all", yaml.safe_load_all)]
if getattr(yaml, "CSafeLoader", None) is not None:
    loaders.append(("CSafeLoader", lambda d: yaml.load_all(d, Loader=yaml.CSafeLoader)))
results = []
for stream in json.load(sys.stdin):
    row = []
    for _, load in loaders:
        try:
            row.append([walk(d) for d in load(stream)])
        except Exception as e:
            row.append({"\0error": str(e)})
    results.append(row)
json.dump({"loaders": [name for name, _ in loaders], "results": results}, sys.stdout)
"#;

const PROCESSES: usize = 2;

/// What PyYAML read: the loaders used, and per stream one reading per loader.
#[derive(serde::Deserialize)]
pub struct Readings {
    /// `safe_load_all`, and `CSafeLoader` when available.
    pub loaders: Vec<String>,
    /// One row per stream, one reading per loader.
    pub results: Vec<Vec<Json>>,
}

/// Reads every stream with every loader. A missing python or PyYAML fails
/// the test with the command that installs it.
pub fn read(streams: &[&str]) -> Readings {
    let chunk_len = streams.len().div_ceil(PROCESSES).max(1);
    let parts: Vec<Readings> = std::thread::scope(|scope| {
        let workers: Vec<_> = streams
            .chunks(chunk_len)
            .map(|chunk| scope.spawn(move || read_in_one_process(chunk)))
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let loaders = parts.first().map(|p| p.loaders.clone()).unwrap_or_default();
    let results: Vec<Vec<Json>> = parts.into_iter().flat_map(|p| p.results).collect();
    assert_eq!(results.len(), streams.len());
    Readings { loaders, results }
}

fn read_in_one_process(streams: &[&str]) -> Readings {
    let mut child = python::with_module("yaml")
        .args(["-c", PYTHON])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run python ({e})"));
    let input = serde_json::to_vec(streams).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // python answers only after reading everything, and the answer may not fit in the pipe.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        output.status.success(),
        "python failed ({}): {}\nthese tests need PyYAML: run `bash .ci/test` (installs .ci/requirements.txt into .venv)",
        output.status,
        String::from_utf8_lossy(&output.stderr),
    );
    let readings: Readings = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(readings.results.len(), streams.len());
    readings
}
