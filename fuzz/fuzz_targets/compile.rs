//! Arbitrary bytes, as a description when they are UTF-8, through
//! `kubetoml::compile` with in-memory files and variables and the built-in
//! templates. It may return `Err`, never panic; what it returns must be YAML.
#![no_main]

use std::sync::OnceLock;

use kubetoml::Templates;
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/it/memory.rs"]
mod memory;

use memory::{check_compile, MemorySources};

fuzz_target!(|data: &[u8]| {
    static FIXED: OnceLock<(MemorySources, Templates)> = OnceLock::new();
    let (sources, templates) =
        FIXED.get_or_init(|| (MemorySources::fixture(), Templates::builtin()));
    if let Ok(text) = std::str::from_utf8(data) {
        check_compile(text, sources, templates);
    }
});
