//! Arbitrary bytes through every YAML reader: `import`, `render --against`
//! (against a fixed render) and `extra_manifests` (as the file a description
//! names), and `yamlread::documents` itself. None may panic; what the reader
//! accepts stays within its budget (nodes and nesting, aliases expanded);
//! and a Secret value appended to the input, written with a tag, is never in
//! an error, a difference or a warning.
#![no_main]

use std::sync::OnceLock;

use kubetoml::import::{import, Input};
use kubetoml::read::yamlread::{self, Value, MAX_DEPTH, MAX_NODES};
use kubetoml::{Document, Templates};
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/it/memory.rs"]
mod memory;

use memory::MemorySources;

/// What may never be printed.
const MARKER: &str = "FUZZ_SECRET_7q";

/// A Secret after the fuzzed text, its value written with a tag.
const SECRET: &str =
    "\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: fz}\nstringData:\n  a: !!int FUZZ_SECRET_7q\n  b: !foo FUZZ_SECRET_7q\n";

const APP: &str = "name = \"app\"\nimage = \"nginx:1.27\"\nreplicas = 2\n";

/// Nodes and depth of a value, as the budget counts them (a tag: one level).
fn size(v: &Value, depth: usize, max_depth: &mut usize) -> usize {
    *max_depth = (*max_depth).max(depth);
    match v {
        Value::Sequence(s) => 1 + s.iter().map(|x| size(x, depth + 1, max_depth)).sum::<usize>(),
        Value::Mapping(m) => {
            1 + m
                .iter()
                .map(|(k, x)| size(k, depth + 1, max_depth) + size(x, depth + 1, max_depth))
                .sum::<usize>()
        }
        Value::Tagged(t) => size(&t.value, depth + 1, max_depth),
        _ => 1,
    }
}

fn never_shown(what: &str, printed: &str) {
    assert!(!printed.contains(MARKER), "{what} shows the secret:\n{printed}");
}

fuzz_target!(|data: &[u8]| {
    static FIXED: OnceLock<(Vec<Document>, Templates)> = OnceLock::new();
    let (documents, templates) = FIXED.get_or_init(|| {
        let templates = Templates::builtin();
        let out = kubetoml::compile_with_sources(
            "app.toml",
            APP,
            &MemorySources::default(),
            &templates,
            false,
            None,
        )
        .expect("the fixed description compiles");
        (out.documents, templates)
    });
    let marked = data.windows(MARKER.len()).any(|w| w == MARKER.as_bytes());

    // extra_manifests: any bytes, as the file the description names.
    let mut sources = MemorySources::default();
    sources.files.insert("x.yaml".into(), data.to_vec());
    let description = format!("{APP}extra_manifests = [\"x.yaml\"]\n");
    match kubetoml::compile_with_sources("app.toml", &description, &sources, templates, false, None) {
        Ok(out) => {
            for d in &out.documents {
                yamlread::parse(&d.yaml).expect("an accepted manifest renders as YAML");
            }
        }
        Err(e) => {
            let _ = e.draw(true);
            let _ = e.draw(false);
        }
    }

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    // The reader: what it accepts is within its budget.
    if let Ok(values) = yamlread::documents(text) {
        let mut deepest = 0;
        let nodes: usize = values.iter().map(|v| size(v, 1, &mut deepest)).sum();
        assert!(nodes <= MAX_NODES, "{nodes} nodes accepted");
        assert!(deepest <= MAX_DEPTH + 1, "{deepest} levels accepted");
    }

    let with_secret = format!("{text}{SECRET}");
    // import: never panics; no error or difference shows the secret.
    match import(&[Input {
        file: "in.yaml",
        text: &with_secret,
    }]) {
        Ok(imported) => {
            if !marked {
                for d in &imported.differences {
                    never_shown("a difference", d);
                }
                for f in imported.files.iter().filter(|f| !f.secret) {
                    never_shown(&f.path, &String::from_utf8_lossy(&f.bytes));
                }
            }
        }
        Err(e) => {
            if !marked {
                never_shown("an import error", &e.draw(false));
            }
        }
    }

    // --against: never panics; no error shows the secret.
    if let Err(e) = kubetoml::check_against(&with_secret, "old.yaml", documents) {
        if !marked {
            never_shown("an --against error", &e.draw(false));
        }
    }
});
