//! What a diagnostic must never quote: every value in a Secret's part of a
//! description, found in the parsed document and, for lines that do not
//! parse, in the text itself. When in doubt, mask.
//!
//! A value is shown only when its key path is one of the few known to hold
//! no secret (`[secrets.X] type`, `files`, `mount`...). Everything else
//! under a table whose name looks like `secrets` (a typo of it included) is
//! masked: `literals`, a misspelt field, `stringData` written by habit, a
//! key written twice, the rest of a line with a stray quote.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// Fields of `[secrets.X]` whose values are names, paths or flags.
const PLAIN_DATA_FIELDS: &[&str] = &[
    "type",
    "files",
    "env_files",
    "from_env",
    "env",
    "env_from",
    "mount",
    "items",
    "default_mode",
    "immutable",
    "hash_suffix",
    "image_pull",
];

/// Fields of `[secrets.X.docker_registry]` that hold no secret.
const PLAIN_REGISTRY_FIELDS: &[&str] = &["server", "username", "email", "password_env"];

/// Whether a top-level key names (or misspells) the `secrets` table.
fn is_secrets_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    lower.contains("secret")
        || (lower.len() < 16 && strsim::damerau_levenshtein(&lower, "secrets") <= 2)
}

/// Whether the value at `path` (keys from the document's root) may be shown.
fn is_plain(path: &[&str]) -> bool {
    match path {
        [first, ..] if !is_secrets_key(first) => true,
        [_, _, field] => PLAIN_DATA_FIELDS.contains(field),
        [_, _, field, _] if PLAIN_DATA_FIELDS.contains(field) && *field != "type" => true,
        [_, _, "docker_registry", field] => PLAIN_REGISTRY_FIELDS.contains(field),
        _ => false,
    }
}

/// The byte ranges of `source` that diagnostics must mask, given its
/// parse `doc`, which is partial unless `clean`: then the text is scanned
/// line by line too. Quotes around a string stay visible.
pub fn secret_spans(source: &str, doc: &DeTable<'_>, clean: bool) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut path = Vec::new();
    walk_table(source, doc, &mut path, &mut spans);
    if !clean {
        scan_lines(source, &mut spans);
    }
    spans
}

fn walk_table<'a>(
    source: &str,
    table: &'a DeTable<'_>,
    path: &mut Vec<&'a str>,
    spans: &mut Vec<Range<usize>>,
) {
    for (key, value) in table.iter() {
        if path.is_empty() && !is_secrets_key(key.get_ref()) {
            continue;
        }
        path.push(key.get_ref());
        walk_value(source, value, path, spans);
        path.pop();
    }
}

fn walk_value<'a>(
    source: &str,
    value: &'a Spanned<DeValue<'_>>,
    path: &mut Vec<&'a str>,
    spans: &mut Vec<Range<usize>>,
) {
    match value.get_ref() {
        DeValue::Table(table) => walk_table(source, table, path, spans),
        DeValue::Array(items) => items
            .iter()
            .for_each(|item| walk_value(source, item, path, spans)),
        _ if is_plain(path) => {}
        _ => spans.push(unquoted(source, value.span())),
    }
}

/// `span` without the quotes of the string it holds.
fn unquoted(source: &str, span: Range<usize>) -> Range<usize> {
    let text = source.get(span.clone()).unwrap_or_default();
    let open = text.len() - text.trim_start_matches(['"', '\'']).len();
    let close = text.len() - text.trim_end_matches(['"', '\'']).len();
    if text.len() > open + close {
        span.start + open..span.end - close
    } else {
        span
    }
}

/// What the line scanner knows at the start of a line.
#[derive(Default)]
struct Scan<'a> {
    /// The keys of the last `[table]` header.
    header: Vec<&'a str>,
    /// Inside a multi-line string, closed by this delimiter.
    string: Option<&'static str>,
    /// Open `[` and `{` of a value that continues on the next line.
    depth: i32,
    /// Whether the value being continued may be shown.
    plain: bool,
}

/// Masks, line by line, what the parse may have missed in a broken
/// description: the rest of every line after `=` under a secret key, and
/// every line of a value continued from one.
fn scan_lines(source: &str, spans: &mut Vec<Range<usize>>) {
    let mut scan = Scan::default();
    let mut start = 0;
    for line in source.split_inclusive('\n') {
        let end = start + line.trim_end_matches(['\n', '\r']).len();
        scan_line(source, start..end, &mut scan, spans);
        start += line.len();
    }
}

fn scan_line<'a>(source: &'a str, line: Range<usize>, scan: &mut Scan<'a>, spans: &mut Vec<Range<usize>>) {
    let text = &source[line.clone()];
    let trimmed = text.trim_start();
    let indent = line.start + text.len() - trimmed.len();
    if scan.string.is_some() || scan.depth > 0 {
        if !scan.plain && !trimmed.is_empty() {
            spans.push(indent..line.end);
        }
        let shape = shape(trimmed, scan.string);
        scan.string = shape.string;
        scan.depth = (scan.depth + shape.depth).max(0);
        return;
    }
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return;
    }
    if trimmed.starts_with('[') {
        let name = trimmed.trim_start_matches('[');
        let name = name.split(']').next().unwrap_or_default();
        scan.header = key_parts(name);
        return;
    }
    let shape = shape(trimmed, None);
    let mut path = scan.header.clone();
    match shape.equals {
        Some(at) => path.extend(key_parts(&trimmed[..at])),
        None => path.push(trimmed),
    }
    let plain = is_plain(&path);
    match shape.equals {
        Some(at) if !plain => {
            let value = &trimmed[at + 1..];
            let space = value.len() - value.trim_start().len();
            spans.push(indent + at + 1 + space..line.end);
        }
        None if !plain => spans.push(indent..line.end),
        _ => {}
    }
    scan.plain = plain;
    scan.string = shape.string;
    scan.depth = shape.depth.max(0);
}

/// The keys of a dotted TOML key, unquoted.
fn key_parts(key: &str) -> Vec<&str> {
    key.split('.')
        .map(|k| k.trim().trim_matches(['"', '\'']))
        .collect()
}

/// What one line holds, read the way TOML would be, roughly.
struct Shape {
    /// Byte offset of the first `=` outside quotes.
    equals: Option<usize>,
    /// A multi-line string left open at the end of the line.
    string: Option<&'static str>,
    /// `[` and `{` opened minus those closed, outside quotes.
    depth: i32,
}

fn shape(line: &str, mut string: Option<&'static str>) -> Shape {
    let bytes = line.as_bytes();
    let mut shape = Shape { equals: None, string: None, depth: 0 };
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if let Some(delim) = string {
            if rest.starts_with(delim.as_bytes()) {
                string = None;
                i += 3;
            } else {
                i += if bytes[i] == b'\\' && delim == "\"\"\"" { 2 } else { 1 };
            }
            continue;
        }
        match (quote, bytes[i]) {
            (Some(b'"'), b'\\') => i += 1,
            (Some(q), b) if q == b => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') if rest.starts_with(b"\"\"\"") || rest.starts_with(b"'''") => {
                string = Some(if bytes[i] == b'"' { "\"\"\"" } else { "'''" });
                i += 2;
            }
            (None, q @ (b'"' | b'\'')) => quote = Some(q),
            (None, b'#') => break,
            (None, b'=') if shape.equals.is_none() => shape.equals = Some(i),
            (None, b'[' | b'{') => shape.depth += 1,
            (None, b']' | b'}') => shape.depth -= 1,
            _ => {}
        }
        i += 1;
    }
    shape.string = string;
    shape
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(source: &str) -> String {
        let (doc, errors) = DeTable::parse_recoverable(source);
        let mut bytes = source.as_bytes().to_vec();
        for span in secret_spans(source, doc.get_ref(), errors.is_empty()) {
            bytes[span].fill(b'*');
        }
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn masks_every_value_under_secrets_but_plain_fields() {
        let src = "name = \"a\"\n[secrets.db]\ntype = \"Opaque\"\nstringData = { p = \"hunter2\" }\nliterals.pw = \"hunter2\"\n[secrets.db.literals]\nfiles = \"hunter2\"\n";
        let out = masked(src);
        assert!(!out.contains("hunter2"), "{out}");
        assert!(out.contains("type = \"Opaque\""), "{out}");
        assert!(out.contains("name = \"a\""), "{out}");
    }

    #[test]
    fn masks_broken_lines() {
        for src in [
            "[secrets.db.literals]\npw = \"hunter2\" \"x\"\n",
            "[secrets.db.literals]\npw = hunter2\n",
            "[secrets.db.literals]\npw \"hunter2\"\n",
            "[secrets.db.literals]\npw = \"\"\"\nhunter2\n\"\"\"\n",
            "[secrets.db]\nliterals = { pw = \"hunter2\"\n",
            "[secret.db.literals]\npw = \"hunter2\"\n",
            "secrets.db.literals.pw = \"hunter2\n",
            "[secrets.db]\nliterals = {\n pw = \"hunter2\" }\n",
            "[secrets.db]\nliterals = { pw = \"hunter2\" x = 1 }\n",
        ] {
            let out = masked(src);
            assert!(!out.contains("hunter2") && !out.contains("unter"), "{src:?} -> {out}");
        }
    }
}
