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
    "allow_empty_env",
    "external",
    "keys",
];

/// The table of environments, each a description's root of its own.
const ENVIRONMENTS: &str = "environments";

/// `path` without its `environments.NAME` prefix: the path in the
/// description an environment's value is merged at.
fn env_stripped<'p, 'a>(path: &'p [&'a str]) -> &'p [&'a str] {
    match path {
        [ENVIRONMENTS, _, rest @ ..] => rest,
        [ENVIRONMENTS] => &[],
        _ => path,
    }
}

/// Whether a value set at `path` (keys from the description's root, or an
/// environment's) may be shown: for values that are not TOML, a
/// command-line argument's, say.
pub fn path_is_plain(path: &[&str], known: &[&str]) -> bool {
    let path = env_stripped(path);
    is_plain(path, known) && !path.iter().any(|key| looks_secret(key))
}

/// Fields of `[secrets.X.docker_registry]` that hold no secret.
const PLAIN_REGISTRY_FIELDS: &[&str] = &["server", "username", "email", "password_env"];

/// Whether a top-level key names (or misspells) the `secrets` table, or
/// is none of the `known` top-level fields (when they are given): a table
/// whose name a mistake has mangled is in doubt.
fn is_secrets_key(key: &str, known: &[&str]) -> bool {
    names_secrets(key) || (!known.is_empty() && !known.contains(&key))
}

/// Top-level fields of a description that neither name a secret nor
/// misspell `secrets`, sorted: nearly every top-level key is one of them, and
/// [`names_secrets`] then answers without computing a distance (a test checks
/// that the slow answer for each is `false`, and that no such field is missing).
const PLAIN_TOP_LEVEL: &[&str] = &[
    "affinity",
    "allow",
    "annotations",
    "args",
    "claims",
    "client_service",
    "command",
    "configmaps",
    "create_namespace",
    "cronjobs",
    "disruption_budget",
    "dns",
    "enable_service_links",
    "env",
    "environments",
    "extra_manifests",
    "hash_suffix",
    "host_aliases",
    "image",
    "image_pull_policy",
    "init_containers",
    "jobs",
    "kube_version",
    "labels",
    "lifecycle",
    "name",
    "namespace",
    "network_policy",
    "node_selector",
    "pod_annotations",
    "pod_security",
    "pod_security_context",
    "ports",
    "priority_class_name",
    "probes",
    "replicas",
    "resources",
    "roles",
    "security_context",
    "service",
    "service_account",
    "sidecars",
    "spread",
    "statefulset",
    "termination_grace_period",
    "tolerations",
    "volumes",
    "working_dir",
];

/// Whether a top-level key names or misspells `secrets`, or names a secret.
fn names_secrets(key: &str) -> bool {
    key == "secrets" || PLAIN_TOP_LEVEL.binary_search(&key).is_err() && names_secrets_measured(key)
}

/// [`names_secrets`], measured: the key's words and its distance to `secrets`.
fn names_secrets_measured(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    // Two edits change the length by at most two characters: the distance (which
    // builds a table per call) is computed only for keys of 5 to 9 characters.
    looks_secret(&lower)
        || (lower.len() < 16
            && lower.chars().count().abs_diff("secrets".len()) <= 2
            && strsim::damerau_levenshtein(&lower, "secrets") <= 2)
}

/// The spans of every value in `value` (itself, or the leaves of a table
/// or array), strings without their quotes: what to mask of a value in doubt.
pub fn value_spans(source: &str, value: &Spanned<DeValue<'_>>) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value.get_ref() {
            DeValue::Table(table) => stack.extend(table.values()),
            DeValue::Array(items) => stack.extend(items.iter()),
            _ => spans.push(unquoted(source, value.span())),
        }
    }
    spans
}

/// Whether a key's name suggests a secret, wherever it is written (a line
/// of a Secret's table pasted above its header, say).
pub fn looks_secret(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    [
        "pass",
        "secret",
        "token",
        "cred",
        "auth",
        "pwd",
        "private",
        "stringdata",
    ]
    .iter()
    .any(|word| lower.contains(word))
}

/// Whether the value at `path` (keys from the document's root) may be shown.
fn is_plain(path: &[&str], known: &[&str]) -> bool {
    match path {
        [first, ..] if !is_secrets_key(first, known) => true,
        [_, _, field] => PLAIN_DATA_FIELDS.contains(field),
        [_, _, field, _] if PLAIN_DATA_FIELDS.contains(field) && *field != "type" => true,
        [_, _, "docker_registry", field] => PLAIN_REGISTRY_FIELDS.contains(field),
        _ => false,
    }
}

/// The byte ranges of `source` that diagnostics must mask, given its
/// parse `doc`, which is partial unless `clean`: then the text is scanned
/// line by line too. Quotes around a string stay visible.
pub fn secret_spans(
    source: &str,
    doc: &DeTable<'_>,
    clean: bool,
    known: &[&str],
) -> Vec<Range<usize>> {
    let mut walk = Walk {
        known,
        spans: Vec::new(),
    };
    walk.table(source, doc, &mut Vec::new());
    if !clean {
        scan_lines(source, known, &mut walk.spans);
    }
    walk.spans
}

/// What the walk of the parsed document found.
struct Walk<'k> {
    /// The known top-level fields.
    known: &'k [&'k str],
    /// Secret values.
    spans: Vec<Range<usize>>,
}

impl Walk<'_> {
    fn table<'a>(&mut self, source: &str, table: &'a DeTable<'_>, path: &mut Vec<&'a str>) {
        for (key, value) in table.iter() {
            // An environment holds any part of the description: each is
            // walked as a root of its own.
            if let (true, ENVIRONMENTS, DeValue::Table(envs)) =
                (path.is_empty(), key.get_ref().as_ref(), value.get_ref())
            {
                for env in envs.values() {
                    if let DeValue::Table(env) = env.get_ref() {
                        self.table(source, env, &mut Vec::new());
                    }
                }
                continue;
            }
            // At the top: the `secrets` table, one whose name looks like
            // it, or an unknown table (a mangled header): not `replica = 3`.
            let unknown_table = is_secrets_key(key.get_ref(), self.known)
                && matches!(value.get_ref(), DeValue::Table(_) | DeValue::Array(_));
            if path.is_empty() && !(names_secrets(key.get_ref()) || unknown_table) {
                continue;
            }
            path.push(key.get_ref());
            if registry_in_doubt(path, value.get_ref()) {
                // No `password` nor `password_env`: a deletion may have
                // merged the password into another field's string. Mask all.
                self.all(source, value);
            } else {
                self.value(source, value, path);
            }
            path.pop();
        }
    }

    /// Every scalar under `value`, masked.
    fn all(&mut self, source: &str, value: &Spanned<DeValue<'_>>) {
        match value.get_ref() {
            DeValue::Table(table) => table.values().for_each(|v| self.all(source, v)),
            DeValue::Array(items) => items.iter().for_each(|v| self.all(source, v)),
            _ => self.spans.push(unquoted(source, value.span())),
        }
    }

    fn value<'a>(
        &mut self,
        source: &str,
        value: &'a Spanned<DeValue<'_>>,
        path: &mut Vec<&'a str>,
    ) {
        match value.get_ref() {
            DeValue::Table(table) => self.table(source, table, path),
            DeValue::Array(items) => items.iter().for_each(|item| self.value(source, item, path)),
            DeValue::String(text) if is_plain(path, self.known) && !looks_plain(text) => {
                self.spans.push(unquoted(source, value.span()))
            }
            _ if is_plain(path, self.known) => {}
            _ => self.spans.push(unquoted(source, value.span())),
        }
    }
}

/// Whether `value`, at `path`, is a Secret's `docker_registry` table that
/// names no password: then its plain-looking fields are in doubt.
fn registry_in_doubt(path: &[&str], value: &DeValue<'_>) -> bool {
    match (path, value) {
        ([_, _, "docker_registry"], DeValue::Table(table)) => {
            !table.contains_key("password") && !table.contains_key("password_env")
        }
        _ => false,
    }
}

/// The text of every comment, after its `#`: a drawn line never shows it. A
/// secret commented out, or a secret line a deleted line break turned into
/// the tail of a comment, would otherwise be quoted with the line.
pub fn comment_spans(source: &str) -> Vec<Range<usize>> {
    toml_parser::Source::new(source)
        .lex()
        .filter_map(|token| comment_text(&token))
        .collect()
}

/// The text of `token` after its `#`, when it is a comment with any (for
/// [`comment_spans`], and for a caller that lexes the text anyway).
pub fn comment_text(token: &toml_parser::lexer::Token) -> Option<Range<usize>> {
    let span = token.span().start() + 1..token.span().end();
    (token.kind() == toml_parser::lexer::TokenKind::Comment && !span.is_empty()).then_some(span)
}

/// Whether a plain field's string looks like what such fields hold (a
/// name, a path, `key=path`, a Secret type), not like the rest of a line
/// merged into it by a deleted line break (`"a=literals = { pw = ...`).
fn looks_plain(text: &str) -> bool {
    text.len() <= 253
        && text.matches('=').count() <= 1
        && !text.contains(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '{' | '}' | ','))
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
    /// Whether that header is in a Secret's part (or in doubt).
    header_secret: bool,
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
fn scan_lines(source: &str, known: &[&str], spans: &mut Vec<Range<usize>>) {
    let mut scan = Scan::default();
    let mut start = 0;
    for line in source.split_inclusive('\n') {
        let end = start + line.trim_end_matches(['\n', '\r']).len();
        scan_line(source, start..end, &mut scan, known, spans);
        start += line.len();
    }
}

fn scan_line<'a>(
    source: &'a str,
    line: Range<usize>,
    scan: &mut Scan<'a>,
    known: &[&str],
    spans: &mut Vec<Range<usize>>,
) {
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
    let shape = shape(trimmed, None);
    if trimmed.starts_with('[') {
        header_line(trimmed, indent..line.end, &shape, scan, known, spans);
        return;
    }
    let mut path = scan.header.clone();
    match shape.equals {
        Some(at) => path.extend(key_parts(&trimmed[..at])),
        None => path.push(trimmed),
    }
    let secret_root = match env_stripped(&scan.header).is_empty() {
        true => env_stripped(&path)
            .first()
            .is_some_and(|first| is_secrets_key(first, known)),
        false => scan.header_secret,
    };
    // In a description that does not parse, nothing under `secrets` is
    // plain: a deleted line break or a stray quote may have put a secret
    // inside a `files` or `type` string.
    let secret = secret_root || path.last().is_some_and(|last| looks_secret(last));
    let mut plain = !secret;
    match shape.equals {
        // Before `=`, something that is not a key (`lite { pw "..", user =`):
        // only its first word is kept.
        Some(at) if secret && !is_key(&trimmed[..at]) => {
            let word = trimmed.find(['{', '"', '\'', ' ', '\t', '=']).unwrap_or(at);
            spans.push(indent + word..line.end);
        }
        Some(at) if secret => {
            let value = &trimmed[at + 1..];
            let start = indent + at + 1 + value.len() - value.trim_start().len();
            spans.push(start..line.end);
        }
        Some(_) => {}
        None if secret => spans.push(indent..line.end),
        // A line that does not parse but names a secret somewhere
        // (`docker_registry { password = "..." }`): keep only its first word.
        None if looks_secret(trimmed) => {
            plain = false;
            let word = trimmed
                .find(['{', '"', '\'', ' ', '\t'])
                .unwrap_or(trimmed.len());
            spans.push(indent + word..line.end);
        }
        None => {}
    }
    scan.plain = plain;
    scan.string = shape.string;
    scan.depth = shape.depth.max(0);
}

/// A line that starts with `[`: a table header, or a line broken by a
/// stray `[` (`[literals = { ... }`), masked but for its bracket when in doubt.
fn header_line<'a>(
    trimmed: &'a str,
    line: Range<usize>,
    shape: &Shape,
    scan: &mut Scan<'a>,
    known: &[&str],
    spans: &mut Vec<Range<usize>>,
) {
    let name = trimmed.trim_start_matches('[');
    let (name, rest) = name.split_once(']').unwrap_or((name, ""));
    let rest = rest.trim_start_matches(']').trim_start();
    let whole = shape.equals.is_none()
        && !shape.open_quote
        && shape.string.is_none()
        && !trimmed.ends_with('[')
        && trimmed.contains(']')
        && (rest.is_empty() || rest.starts_with('#'));
    if whole {
        scan.header = key_parts(name);
        scan.header_secret = env_stripped(&scan.header)
            .first()
            .is_some_and(|first| is_secrets_key(first, known));
        return;
    }
    let in_doubt = scan.header_secret || scan.header.is_empty() || looks_secret(trimmed);
    if in_doubt {
        spans.push(line.start + 1..line.end);
    }
    scan.plain = !in_doubt;
    scan.string = shape.string;
    scan.depth = shape.depth.max(0);
}

/// Whether `text` reads as a (dotted) TOML key: bare parts, or quoted
/// ones, separated by dots.
fn is_key(text: &str) -> bool {
    text.split('.').all(|part| {
        let part = part.trim();
        let bare = !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
        let quoted = part.len() >= 2
            && [('"', '"'), ('\'', '\'')].iter().any(|&(open, close)| {
                part.starts_with(open)
                    && part.ends_with(close)
                    && !part[1..part.len() - 1].contains(['"', '\''])
            });
        bare || quoted
    })
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
    /// A one-line string left open: the line is broken.
    open_quote: bool,
}

fn shape(line: &str, mut string: Option<&'static str>) -> Shape {
    let bytes = line.as_bytes();
    let mut shape = Shape {
        equals: None,
        string: None,
        depth: 0,
        open_quote: false,
    };
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if let Some(delim) = string {
            if rest.starts_with(delim.as_bytes()) {
                string = None;
                i += 3;
            } else {
                i += if bytes[i] == b'\\' && delim == "\"\"\"" {
                    2
                } else {
                    1
                };
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
    shape.open_quote = quote.is_some();
    shape
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(source: &str) -> String {
        let (doc, errors) = DeTable::parse_recoverable(source);
        let mut bytes = source.as_bytes().to_vec();
        for span in secret_spans(source, doc.get_ref(), errors.is_empty(), &["name", "env"]) {
            bytes[span].fill(b'*');
        }
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn the_plain_top_level_fields_are_exactly_those_the_measure_finds_plain() {
        assert!(PLAIN_TOP_LEVEL.windows(2).all(|w| w[0] < w[1]), "sorted, once each");
        for field in PLAIN_TOP_LEVEL {
            assert!(!names_secrets_measured(field), "`{field}` names a secret");
        }
        let mut fields = crate::read::spec::SPEC_FIELDS.to_vec();
        fields.push(ENVIRONMENTS);
        for field in fields {
            let plain = !names_secrets_measured(field);
            assert_eq!(
                plain,
                PLAIN_TOP_LEVEL.contains(&field),
                "`{field}`: plain {plain}, listed {}",
                PLAIN_TOP_LEVEL.contains(&field)
            );
        }
        assert!(names_secrets_measured("secrets"), "the answer given first for `secrets`");
        // Keys that are not fields still get the measure.
        for key in ["secrets", "secret", "Secrets", "secrest", "sercets", "tokens", "db_password"] {
            assert!(names_secrets(key), "{key}");
        }
        for key in ["volume", "labelz", "imagee"] {
            assert!(!names_secrets(key), "{key}");
        }
    }

    #[test]
    fn masks_every_value_under_secrets_but_plain_fields() {
        let src = "name = \"a\"\n[secrets.db]\ntype = \"Opaque\"\nstringData = { p = \"hunter2\" }\nliterals.pw = \"hunter2\"\nfiles = [\"k=literals = { pw = hunter2\"]\n[secrets.x.literals]\nfiles = \"hunter2\"\n";
        let out = masked(src);
        assert!(!out.contains("hunter2"), "{out}");
        assert!(out.contains("type = \"Opaque\""), "{out}");
        assert!(out.contains("name = \"a\""), "{out}");
    }

    #[test]
    fn masks_secrets_in_environments() {
        for src in [
            "[environments.prod.secrets.db.literals]\npw = \"hunter2\"\n",
            "[environments.prod]\nsecrets.db.literals.pw = \"hunter2\"\n",
            "[environments.prod.secret.db]\nliterals = { pw = \"hunter2\" }\n",
            "environments.prod.secrets.db.literals.pw = \"hunter2\"\n",
            "[environments.prod.secrets.db.literals]\npw = \"hunter2\n",
            "[environments.prod]\nsecrets.db.literals.pw = \"hunter2\n",
            "[environments.prod]\nsecrets = { db = { literals = { pw = \"hunter2\" } }\n",
        ] {
            let out = masked(src);
            assert!(!out.contains("unter"), "{src:?} -> {out}");
        }
        let out = masked("[environments.prod]\nname = \"web\"\n");
        assert!(out.contains("\"web\""), "{out}");
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
            "[secrets.db]\ntype = \"literals = { pw = \"hunter2\", u = \"a\" }\n",
            "[secrets.db]\nfiles = [\"a\", \"b]\nliterals = { pw = \"hunter2\" }\n",
            "[secrets.db]\ntype ={ \"Opaque\"\nliterals = { pw = \"hunter2\", u = \"a\" }\n",
            "[secrets.db]\n[literals = { pw = \"hunter2\", u = \"a\" }\n",
            "[secrets.db]\nlite { pa \"hunter2\", user = \"ad\n",
        ] {
            let out = masked(src);
            assert!(
                !out.contains("hunter2") && !out.contains("unter"),
                "{src:?} -> {out}"
            );
        }
    }
}
