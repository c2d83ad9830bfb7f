//! Any string written with `kubetoml::write::yaml::scalar` (as a key and as a
//! value) or `kubetoml::write::yaml::block` (at indents 0 and 4) reads back with
//! serde_yaml as exactly that string.
#![no_main]

use std::collections::BTreeMap;

use kubetoml::write::yaml::{block, scalar};
use libfuzzer_sys::fuzz_target;

fn read_back(yaml: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

fuzz_target!(|s: &str| {
    let value = scalar(s);
    let key = if value.len() <= 1024 {
        value.clone()
    } else {
        "k".into()
    };
    let yaml = format!(
        "a:\n  {key}: {value}\nb:\n  z: {}\nc:\n  d: ok\n",
        block(s, 2)
    );
    let read = read_back(&yaml);
    if value.len() <= 1024 {
        assert_eq!(read["a"].get(s).map(String::as_str), Some(s), "{yaml}");
    }
    assert_eq!(read["b"]["z"], s, "{yaml}");
    assert_eq!(read["c"]["d"], "ok", "{yaml}");
    let yaml = format!("{}: {}\n", scalar("k"), block(s, 0));
    let read: BTreeMap<String, String> =
        serde_yaml::from_str(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    assert_eq!(read["k"], s, "{yaml}");
});
