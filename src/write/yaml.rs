//! YAML scalars that read back exactly what they hold.
//!
//! Templates lay out YAML; every string they print goes through [`scalar`] or
//! [`block`], so no value can change type (`yes` becoming a bool, `0123` an
//! octal number, `1:30` a base-60 integer) or change content (U+0085 and
//! U+2028 are line breaks to YAML 1.1 readers) on the way to `kubectl`.
//!
//! Both functions target the intersection of YAML 1.1 (PyYAML, go-yaml v2 as
//! used by kubectl) and YAML 1.2 (libyaml as used by serde_yaml) readers, and
//! quote whenever that intersection is not obviously safe: a quoted string
//! costs two characters, a misread one costs an outage.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::read::yamlread::Value;

/// Formats `s` as a single YAML scalar that reads back as exactly the string `s`
/// (type str, byte for byte) in YAML 1.1 (PyYAML, go-yaml v2 as kubectl uses) and
/// YAML 1.2 (serde_yaml / libyaml) readers, usable as a mapping key or value in block context.
/// Plain (unquoted) when that is provably safe and readable, double-quoted otherwise.
///
/// The result is always a single line. Plain output is limited to ASCII
/// letters, digits and `_./:@=+-`, starting with a letter, `_`, `/`, or `.`
/// followed by a letter, or shaped like a Kubernetes quantity (`512Mi`,
/// `250m`); YAML 1.1 booleans and nulls (`y`, `no`, `on`, `null`, in any
/// letter case), `.inf` and `.nan` are quoted.
///
/// As a mapping key the result must stay within 1024 bytes: YAML limits
/// implicit keys to 1024 characters, and libyaml counts bytes. Longer keys
/// cannot be written as `key: value` by any formatting of the key.
///
/// ```
/// use kubetoml::write::yaml::scalar;
/// assert_eq!(scalar("512Mi"), "512Mi");
/// assert_eq!(scalar("yes"), r#""yes""#);
/// assert_eq!(scalar("a\u{2028}b"), r#""a\u2028b""#);
/// ```
pub fn scalar(s: &str) -> Cow<'_, str> {
    if is_safe_plain(s) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(double_quoted(s))
    }
}

/// Formats `s` as a value that begins right after `key: ` at a mapping whose keys sit at
/// column `indent` (0-based count of spaces). For multi-line text that a literal block scalar can
/// represent exactly, returns `|`, `|-` or `|+` (with an explicit indentation indicator
/// like `|2-` when the first line starts with a space) followed by the lines, each on its own line
/// indented by `indent + 2` spaces (empty lines stay empty: no trailing spaces),
/// *without* a trailing newline after the last line. Otherwise returns `scalar(s)`.
///
/// The indentation indicator is also written when the first non-empty line
/// starts with a tab (readers that guess the indentation reject a tab
/// there). Text made only of line breaks, and text holding characters a
/// block cannot carry (CR, other control characters, U+0085, U+2028,
/// U+2029, U+FEFF, U+FFFE, U+FFFF), is double-quoted instead.
///
/// With `|+` the text's trailing empty lines are part of the value: the
/// caller must end the value with exactly one line break, and the next line
/// must not be blank.
///
/// ```
/// use kubetoml::write::yaml::block;
/// assert_eq!(block("a\nb\n", 2), "|\n    a\n    b");
/// assert_eq!(block(" a\n", 0), "|2\n   a");
/// assert_eq!(block("one-line", 0), "one-line");
/// assert_eq!(block("two words", 0), "\"two words\"");
/// ```
pub fn block(s: &str, indent: usize) -> Cow<'_, str> {
    if !fits_literal_block(s) {
        return scalar(s);
    }
    let trailing_breaks = s.len() - s.trim_end_matches('\n').len();
    let (chomp, body) = match trailing_breaks {
        0 => ("-", s),
        1 => ("", &s[..s.len() - 1]),
        // Keep: the break after the last content line is written by the
        // caller, every further break becomes one empty line here.
        _ => ("+", &s[..s.len() - 1]),
    };
    // Readers guess the content indentation from the first line that holds
    // anything but spaces; spell it out when that line does not start with
    // content (leading spaces, space-only lines, a leading tab).
    let needs_indicator = body
        .split('\n')
        .find(|line| !line.is_empty())
        .is_some_and(|line| line.starts_with([' ', '\t']));

    let pad = " ".repeat(indent + 2);
    let mut out = String::with_capacity(s.len() + 8 + body.matches('\n').count() * pad.len());
    out.push('|');
    if needs_indicator {
        out.push('2');
    }
    out.push_str(chomp);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    Cow::Owned(out)
}

/// Characters the plain output may contain.
fn is_plain_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_./:@=+-".contains(&b)
}

/// Whether `s` reads back as the string `s` when written without quotes.
fn is_safe_plain(s: &str) -> bool {
    let bytes = s.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    // Without spaces, a `:` only ends a plain scalar when it ends the line.
    if !bytes.iter().copied().all(is_plain_char) || s.ends_with(':') {
        return false;
    }
    match first {
        b'a'..=b'z' | b'A'..=b'Z' => !is_bool_or_null(s),
        b'_' | b'/' => true,
        b'.' => {
            bytes.get(1).is_some_and(u8::is_ascii_alphabetic)
                && !s.eq_ignore_ascii_case(".inf")
                && !s.eq_ignore_ascii_case(".nan")
        }
        b'0'..=b'9' => is_quantity(s),
        _ => false,
    }
}

/// YAML 1.1 boolean and null words, compared without regard to letter case
/// (stricter than any reader, which only accepts three spellings of each).
fn is_bool_or_null(s: &str) -> bool {
    const WORDS: [&str; 9] = ["y", "yes", "n", "no", "true", "false", "on", "off", "null"];
    WORDS.iter().any(|word| s.eq_ignore_ascii_case(word))
}

/// `^[0-9]+[A-Za-z]+$` where the letters cannot start a radix prefix
/// (`0x`, `0o`, `0b`) or an exponent (`1e3`).
fn is_quantity(s: &str) -> bool {
    let letters = s.trim_start_matches(|c: char| c.is_ascii_digit());
    letters.len() < s.len()
        && !letters.is_empty()
        && letters.bytes().all(|b| b.is_ascii_alphabetic())
        && !letters.starts_with(['x', 'X', 'o', 'O', 'b', 'B', 'e', 'E'])
}

/// Whether `c` must be written as an escape inside double quotes: control
/// characters, everything a YAML 1.1 reader takes for a line break, the byte
/// order mark, and the non-characters readers refuse.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}'
        )
}

/// `s` as a one-line double-quoted scalar.
fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            // Writing to a String cannot fail.
            c if c <= '\u{FF}' && needs_escape(c) => {
                let _ = write!(out, "\\x{:02X}", u32::from(c));
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether a literal block scalar can carry `s` exactly.
fn fits_literal_block(s: &str) -> bool {
    s.contains('\n')
        && s.bytes().any(|b| b != b'\n')
        && !s.chars().any(|c| c != '\t' && c != '\n' && needs_escape(c))
}

/// Prints a whole document read from a user's file (`extra_manifests`) in
/// block style, every string through [`scalar`], so that it reads back as
/// exactly the value it was read as. Ends with a newline. `Err` names what
/// cannot be printed (a tagged value).
pub fn document(value: &Value) -> Result<String, String> {
    let mut out = String::new();
    node(&mut out, value, 0, false)?;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// Writes `value` after a `key:` or `-` (or at the top), at block depth `indent`.
/// `inline` says the caller has written a prefix on this line already.
fn node(out: &mut String, value: &Value, indent: usize, inline: bool) -> Result<(), String> {
    let pad = " ".repeat(indent);
    match value {
        Value::Mapping(m) if !m.is_empty() => {
            if inline {
                out.push('\n');
            }
            for (k, v) in m {
                let key = match k {
                    Value::String(k) => scalar(k).into_owned(),
                    Value::Bool(_) | Value::Number(_) => scalar_of(k)?,
                    _ => return Err("a mapping key that is not a string or a number".into()),
                };
                let _ = write!(out, "{pad}{key}:");
                node(out, v, indent + 2, true)?;
            }
        }
        Value::Sequence(s) if !s.is_empty() => {
            if inline {
                out.push('\n');
            }
            for v in s {
                let _ = write!(out, "{pad}-");
                match v {
                    // A nested block starts on the dash's line, at the dash's depth plus two.
                    Value::Mapping(m) if !m.is_empty() => {
                        let mut inner = String::new();
                        node(&mut inner, v, indent + 2, false)?;
                        out.push(' ');
                        out.push_str(inner.trim_start());
                    }
                    _ => node(out, v, indent + 2, true)?,
                }
            }
        }
        Value::Mapping(_) => finish(out, "{}", inline),
        Value::Sequence(_) => finish(out, "[]", inline),
        Value::Tagged(t) => return Err(format!("a tagged value (`{}`)", t.tag)),
        scalar_value => finish(out, &scalar_of(scalar_value)?, inline),
    }
    Ok(())
}

fn finish(out: &mut String, text: &str, inline: bool) {
    if inline {
        out.push(' ');
    }
    out.push_str(text);
    out.push('\n');
}

/// A null, boolean, number or string, as YAML that reads back as the same.
fn scalar_of(value: &Value) -> Result<String, String> {
    Ok(match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if n.as_f64().is_some_and(|f| !f.is_finite()) => {
            return Err("a number that is not finite".into())
        }
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar(s).into_owned(),
        _ => return Err("a value that is not a scalar".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_reads_back_as_the_value_it_was_read_as() {
        let text = r#"
kind: "yes"
n: 0123
list:
  - - "on"
    - 1.5
  - { a: "", b: [] , c: {} }
  - null
  - "a b
c"
"key: with colon": "- dash"
empty: {}
5: true
"#;
        let value = crate::read::yamlread::parse(text).unwrap();
        let printed = document(&value).unwrap();
        let back = crate::read::yamlread::parse(&printed).unwrap();
        assert_eq!(back, value, "{printed}");
        assert!(printed.contains("kind: \"yes\"\n"), "{printed}");
        let tagged = crate::read::yamlread::parse("a: !custom 1\n").unwrap();
        assert!(document(&tagged).is_err());
    }

    #[track_caller]
    fn check_scalar(input: &str, expected: &str) {
        assert_eq!(scalar(input), expected, "scalar({input:?})");
    }

    #[track_caller]
    fn check_block(input: &str, indent: usize, expected: &str) {
        assert_eq!(block(input, indent), expected, "block({input:?}, {indent})");
    }

    #[test]
    fn plain_when_safe() {
        for s in [
            "web",
            "my-app",
            "app.kubernetes.io/name",
            "nginx:1.27",
            "ghcr.io/org/img@sha256:abc",
            "/etc/config",
            "_private",
            ".env",
            "a=b",
            "a+b",
            "http://example.com/x",
            "1Gi",
            "250m",
            "512Mi",
            "0Gi",
            "Yess",
            "nulls",
            "None",
            "NaN",
            "inf",
            ".infinity",
            "a:b",
        ] {
            check_scalar(s, s);
        }
    }

    #[test]
    fn quotes_yaml_1_1_and_1_2_special_words() {
        for s in [
            "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
            "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null",
            "NULL", "yEs", "nULL", "~", ".inf", ".Inf", ".INF", ".nan", ".NaN", "-.inf", "+.inf",
        ] {
            check_scalar(s, &format!("\"{s}\""));
        }
    }

    #[test]
    fn quotes_numbers_and_number_lookalikes() {
        for s in [
            "0",
            "1",
            "-1",
            "+1",
            "0123",
            "1.5",
            "1e3",
            "1E3",
            "0x1F",
            "0o17",
            "0b101",
            "1_000",
            "1:30",
            "190:20:30",
            "2024-01-01",
            "2001-12-14t21:59:43.10-05:00",
            ".5",
            "1e",
            "3XL",
            "12",
            "0xab",
            "0xFF",
            "0b",
            "0o",
            "1E",
            "1ebi",
        ] {
            check_scalar(s, &format!("\"{s}\""));
        }
    }

    #[test]
    fn quotes_indicators_and_separators() {
        for s in [
            "#a", "*a", "&a", "!a", "-a", "{a", "[a", "|a", ">a", "%a", "@a", "`a", ",a", "?a",
            ":a", "'a", "=", "<<", "---", "...", "-", "a:", "a: b", "a #b", "a b", " a", "a ", "é",
            "a,b", "a]", "a#", "a!", "a'",
        ] {
            check_scalar(s, &format!("\"{s}\""));
        }
        check_scalar("\ta", r#""\ta""#);
        check_scalar("a\t", r#""a\t""#);
    }

    #[test]
    fn quotes_empty_string() {
        check_scalar("", "\"\"");
    }

    #[test]
    fn escapes_what_cannot_appear_literally() {
        check_scalar("say \"hi\"", r#""say \"hi\"""#);
        check_scalar("C:\\dir", r#""C:\\dir""#);
        check_scalar("a\nb", r#""a\nb""#);
        check_scalar("a\r\nb", r#""a\r\nb""#);
        check_scalar("\0", r#""\0""#);
        check_scalar("\u{1}\u{1B}\u{1F}\u{7F}", r#""\x01\x1B\x1F\x7F""#);
        check_scalar("\u{80}\u{85}\u{9F}", r#""\x80\x85\x9F""#);
        check_scalar(
            "\u{2028}\u{2029}\u{FEFF}\u{FFFE}\u{FFFF}",
            r#""\u2028\u2029\uFEFF\uFFFE\uFFFF""#,
        );
        // Printable non-ASCII stays readable.
        check_scalar("café ☕ \u{A0}\u{1F600}", "\"café ☕ \u{A0}\u{1F600}\"");
    }

    #[test]
    fn block_chomping() {
        check_block("a\nb", 2, "|-\n    a\n    b");
        check_block("a\nb\n", 2, "|\n    a\n    b");
        check_block("a\nb\n\n", 2, "|+\n    a\n    b\n");
        check_block("a\n\n\n", 0, "|+\n  a\n\n");
    }

    #[test]
    fn block_indents_relative_to_keys() {
        check_block("a\nb\n", 0, "|\n  a\n  b");
        check_block("a\nb\n", 4, "|\n      a\n      b");
    }

    #[test]
    fn block_keeps_empty_lines_empty() {
        check_block("a\n\nb\n", 2, "|\n    a\n\n    b");
        check_block("\na\n", 0, "|\n\n  a");
        check_block("\n\na", 0, "|-\n\n\n  a");
    }

    #[test]
    fn block_indicator_when_first_line_is_not_content() {
        check_block(" a\nb\n", 2, "|2\n     a\n    b");
        check_block("  a\nb", 0, "|2-\n    a\n  b");
        check_block("\ta\nb\n", 0, "|2\n  \ta\n  b");
        check_block("\n a\n", 0, "|2\n\n   a");
        check_block("  \na\n", 0, "|2\n    \n  a");
        check_block("  \n  \n", 0, "|2\n    \n    ");
        check_block(" a\n\n", 0, "|2+\n   a\n");
        // A tab or spaces after the first line need no indicator.
        check_block("a\n\tb\n  c\n", 0, "|\n  a\n  \tb\n    c");
    }

    #[test]
    fn block_keeps_whitespace_only_lines() {
        check_block("a\n   \nb\n", 0, "|\n  a\n     \n  b");
        check_block("a\n  ", 0, "|-\n  a\n    ");
    }

    #[test]
    fn block_keeps_text_that_looks_like_yaml() {
        check_block("---\n...\n# c\nk: v\n", 0, "|\n  ---\n  ...\n  # c\n  k: v");
    }

    #[test]
    fn block_falls_back_to_scalar() {
        // Single line.
        check_block("plain", 2, "plain");
        check_block("yes", 2, "\"yes\"");
        check_block("", 2, "\"\"");
        // Only line breaks: clip and strip would lose them.
        check_block("\n", 2, r#""\n""#);
        check_block("\n\n", 2, r#""\n\n""#);
        // Characters a block cannot carry.
        check_block("a\r\nb\r\n", 2, r#""a\r\nb\r\n""#);
        check_block("a\nb\u{85}c", 2, r#""a\nb\x85c""#);
        check_block("a\nb\u{2028}", 2, r#""a\nb\u2028""#);
        check_block("a\nb\u{2029}", 2, r#""a\nb\u2029""#);
        check_block("a\n\u{FEFF}b", 2, r#""a\n\uFEFFb""#);
        check_block("a\n\u{1B}[0m", 2, r#""a\n\x1B[0m""#);
        check_block("a\n\u{7F}", 2, r#""a\n\x7F""#);
        check_block("a\n\0", 2, r#""a\n\0""#);
    }
}
