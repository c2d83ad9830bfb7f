//! Inputs the fuzzer (`fuzz/`, target `compile`) found crashing, kept so
//! that `cargo test` checks them without the fuzzer: each must compile or
//! fail normally, with the same checks the fuzz target makes.

use kubetoml::Templates;

use crate::memory::{check_compile, MemorySources};

fn check(source: &[u8]) {
    let source = std::str::from_utf8(source).expect("the fuzz target only compiles UTF-8");
    check_compile(source, &MemorySources::fixture(), &Templates::builtin());
}

/// A span that starts past its line's text (the line's `\r` is not drawn)
/// made drawing the error slice out of bounds. The smallest input that did
/// is `\r`; all of these but `a\r` panicked before the fix.
#[test]
fn error_at_a_line_ending_in_cr() {
    check(b"\"\"\"e = \"a \nimnamli\x01\x00\x00i\x01\x00\x00\x00\x00\x00\x00\x00\"web\"\nima`\x00 = 'x\"\nrepports= 3\n[ports]\nhttp\x01timeout\x00\x00\x00\x00\x00\x00rty\"\x00\x00\x00\x00\x00\"web\"\nima`\x00 =name = \"h\" \"-c\"e.com/note\" = \"line one\\nline two\\n\\n\", \"x\" = \"yes\", \"y\" 'x\"\n\n\x00agname = = \"\\r\\n\" } \"\"\nla\"\ni\r\r\r\rb\r");
    check(b"x = \"\"\"\r");
    check(b"name = \"a\"\r");
    check(b"\r");
    check(b"a\r");
    check(b"name = \"a\"\nimage = \"b\"\nreplica = 3\r");
}

/// The same, straight on the drawing: spans past the end of a line's text
/// and inside a character draw a caret instead of panicking.
#[test]
fn spans_past_the_drawn_text_or_inside_a_character_draw() {
    use kubetoml::Diagnostic;
    for (source, span) in [
        ("a\r", 2..2),
        ("a\r", 1..2),
        ("a\r\nb", 2..3),
        ("é", 1..2),
        ("xé", 2..3),
    ] {
        let drawn = Diagnostic::error("m", span.clone(), "here").draw("f.toml", source, false);
        assert!(drawn.contains("^ here"), "{source:?} {span:?}:\n{drawn}");
    }
}

/// The fuzzer's seeds reach the renderer: all but the `errors` and
/// `parse-error` ones compile against the fuzz target's sources.
#[test]
fn seeds_compile() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/compile");
    let sources = MemorySources::fixture();
    let templates = Templates::builtin();
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let source = std::fs::read_to_string(&path).unwrap();
        check_compile(&source, &sources, &templates);
        let result =
            kubetoml::compile_with_sources(&name, &source, &sources, &templates, false, None);
        let should_fail = name.starts_with("errors") || name.starts_with("parse-error");
        match result {
            Ok(_) => assert!(!should_fail, "{name} compiles"),
            Err(e) => assert!(should_fail, "{name}:\n{}", e.draw(false)),
        }
        seen += 1;
    }
    assert!(seen >= 10, "only {seen} seeds in {}", dir.display());
}
