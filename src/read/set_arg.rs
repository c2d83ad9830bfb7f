//! `--set PATH=VALUE`: one field of the description set from the command
//! line, typed by the format (from its JSON Schema), never guessed.
//!
//! A string field takes the text exactly as given (`image=true` is the
//! string "true"); a number or boolean field reads it as TOML and says so
//! when it cannot; an array or table field takes TOML inline syntax
//! (`command=["sh", "-c"]`, `resources={ limits = { cpu = 2 } }`). A field
//! that takes a number or a name (a port) reads digits as the number, and
//! a field that takes a string or a table (an `env` entry) reads text in
//! `{ }` as a table.

use std::ops::Range;

use serde_json::Value as Json;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::diag::{path_is_plain, Diagnostic, Source};

/// One `--set` argument read: the table it sets (spans into the argument)
/// and the argument as diagnostics may quote it.
pub struct SetArg<'a> {
    /// Nested tables down to the value.
    pub table: DeTable<'a>,
    /// The argument, its value masked when it may be a secret.
    pub source: Source,
}

/// Reads `arg`; `known` names the description's top-level fields, for
/// masking. An error points into the returned source.
pub fn parse<'a>(arg: &'a str, known: &[&str]) -> Result<SetArg<'a>, Box<(Source, Diagnostic)>> {
    let (keys, eq) = match split_path(arg) {
        Ok(found) => found,
        // What was read of the path is not known yet: mask the whole argument
        // if it may name a secret.
        Err(d) => return Err(Box::new((mask_all_if_secret(arg), *d))),
    };
    let path: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
    let value_span = eq + 1..arg.len();
    let masked = match path_is_plain(&path, known) {
        true => Source::with_masked(arg, &[]),
        false => Source::with_masked(arg, std::slice::from_ref(&value_span)),
    };
    let value = match typed_value(&arg[value_span.clone()], &path) {
        Ok(value) => shift(value, value_span.start),
        Err(d) => return Err(Box::new((masked, d.at(value_span, &path)))),
    };
    let mut inner = value;
    for (key, span) in keys.into_iter().rev() {
        let mut t = DeTable::new();
        t.insert(Spanned::new(span, key.into()), inner);
        inner = Spanned::new(0..arg.len(), DeValue::Table(t));
    }
    let DeValue::Table(table) = inner.into_inner() else {
        unreachable!("a path has at least one key")
    };
    Ok(SetArg {
        table,
        source: masked,
    })
}

fn mask_all_if_secret(arg: &str) -> Source {
    match crate::diag::looks_secret(arg) || arg.contains("secrets") {
        true => Source::with_masked(arg, std::slice::from_ref(&(0..arg.len()))),
        false => Source::with_masked(arg, &[]),
    }
}

/// The keys of `PATH` before the first `=` outside quotes, each with its
/// span, and the offset of that `=`.
/// The keys of a path, each with its span.
type Keys = Vec<(String, Range<usize>)>;

fn split_path(arg: &str) -> Result<(Keys, usize), Box<Diagnostic>> {
    let bytes = arg.as_bytes();
    let mut keys = Vec::new();
    let mut i = 0;
    let bad = |at: usize, what: &str| {
        Box::new(Diagnostic::error(
            format!("`--set` takes `PATH=VALUE`: {what}"),
            at..(at + 1).min(arg.len()).max(at),
            "here",
        )
        .with_help("write a dotted path, `volumes.www.size=200Gi`, quoting keys with dots: `labels.\"a.b/c\"=x`"))
    };
    loop {
        let start = i;
        let key = match bytes.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let close = arg[i + 1..].find(q as char).ok_or_else(|| bad(i, "a quote is not closed"))?;
                i += close + 2;
                arg[start + 1..i - 1].to_owned()
            }
            _ => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'-')
                {
                    i += 1;
                }
                if i == start {
                    return Err(bad(i, "a key is missing"));
                }
                arg[start..i].to_owned()
            }
        };
        keys.push((key, start..i));
        match bytes.get(i) {
            Some(b'.') => i += 1,
            Some(b'=') => return Ok((keys, i)),
            None => return Err(bad(i, "no `=`")),
            Some(_) => return Err(bad(i, "a key holds a character that must be quoted")),
        }
    }
}

/// Why a value does not fit its field, pointed at later.
struct Unfit(String);

impl Unfit {
    fn at(self, span: Range<usize>, path: &[&str]) -> Diagnostic {
        let path = crate::read::layers::dotted(path);
        Diagnostic::error(format!("`--set {path}=...`: {}", self.0), span, "this value")
    }
}

/// `text` as the value of the field at `path`, typed by the format.
fn typed_value<'a>(text: &'a str, path: &[&str]) -> Result<Spanned<DeValue<'a>>, Unfit> {
    let kinds = field_kinds(path);
    let admits = |kind: &str| kinds.iter().any(|k| k == kind);
    let string = || Ok(Spanned::new(0..text.len(), DeValue::String(text.into())));
    if kinds.is_empty() || admits("string") {
        let table_text = text.trim_start().starts_with(['{', '['])
            && (admits("object") || admits("array"));
        let number = admits("integer") && text.parse::<i64>().is_ok();
        if !(table_text || number) {
            return string();
        }
    }
    let expected = kinds
        .iter()
        .filter(|k| *k != "null")
        .map(|k| match k.as_str() {
            "object" => "a table in TOML inline syntax (`{ key = value }`)",
            "array" => "an array in TOML inline syntax (`[\"a\", \"b\"]`)",
            "integer" => "an integer",
            "number" => "a number",
            "boolean" => "`true` or `false`",
            _ => "a string",
        })
        .collect::<Vec<_>>()
        .join(" or ");
    let value = DeValue::parse(text)
        .map_err(|_| Unfit(format!("the field takes {expected}, and this value is not one")))?;
    let fits = match value.get_ref() {
        DeValue::Integer(_) => admits("integer") || admits("number"),
        DeValue::Float(_) => admits("number"),
        DeValue::Boolean(_) => admits("boolean"),
        DeValue::String(_) | DeValue::Datetime(_) => admits("string"),
        DeValue::Array(_) => admits("array"),
        DeValue::Table(_) => admits("object"),
    };
    match fits {
        true => Ok(value),
        false => Err(Unfit(format!("the field takes {expected}, and this value is not one"))),
    }
}

fn shift(value: Spanned<DeValue<'_>>, by: usize) -> Spanned<DeValue<'_>> {
    let mut table = DeTable::new();
    table.insert(Spanned::new(0..0, "v".into()), value);
    let mut shifted = crate::read::layers::shift_table(table, by);
    shifted.remove("v").expect("just inserted")
}

/// The JSON types the field at `path` admits (`string`, `integer`,
/// `object`...), from the format's JSON Schema; empty for a path the
/// format does not have (the merge reports it as an unknown field).
pub fn field_kinds(path: &[&str]) -> Vec<String> {
    static SCHEMA: std::sync::OnceLock<Json> = std::sync::OnceLock::new();
    let schema = SCHEMA
        .get_or_init(|| serde_json::from_str(&crate::read::schema::json_schema()).unwrap_or_default());
    let mut nodes = vec![schema];
    for key in path {
        let next: Vec<&Json> = alternatives(schema, &nodes)
            .into_iter()
            .filter_map(|node| {
                node.get("properties")
                    .and_then(|p| p.get(*key))
                    .or_else(|| node.get("additionalProperties").filter(|a| a.is_object()))
            })
            .collect();
        if next.is_empty() {
            return Vec::new();
        }
        nodes = next;
    }
    let mut kinds = Vec::new();
    for node in alternatives(schema, &nodes) {
        match node.get("type") {
            Some(Json::String(t)) => kinds.push(t.clone()),
            Some(Json::Array(ts)) => kinds.extend(ts.iter().filter_map(|t| t.as_str().map(str::to_owned))),
            _ if node.get("properties").is_some() => kinds.push("object".to_owned()),
            _ => {}
        }
    }
    kinds.sort();
    kinds.dedup();
    kinds
}

/// `nodes` with every `$ref` followed and every `anyOf`/`oneOf` opened.
fn alternatives<'s>(schema: &'s Json, nodes: &[&'s Json]) -> Vec<&'s Json> {
    let mut out = Vec::new();
    let mut stack: Vec<&Json> = nodes.iter().rev().copied().collect();
    let mut budget = 256;
    while let Some(node) = stack.pop() {
        budget -= 1;
        if budget == 0 {
            break;
        }
        if let Some(Json::String(r)) = node.get("$ref") {
            let name = r.trim_start_matches("#/definitions/");
            if let Some(def) = schema.get("definitions").and_then(|d| d.get(name)) {
                stack.push(def);
            }
            continue;
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Json::Array(items)) = node.get(key) {
                stack.extend(items.iter().rev());
            }
        }
        out.push(node);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_the_format() {
        assert!(field_kinds(&["replicas"]).contains(&"integer".to_owned()));
        assert_eq!(field_kinds(&["image"]), ["null", "string"]);
        assert!(field_kinds(&["volumes", "www", "size"]).contains(&"string".to_owned()));
        assert_eq!(field_kinds(&["labels", "a.b/c"]), ["string"]);
        assert!(field_kinds(&["command"]).contains(&"array".to_owned()));
        assert!(field_kinds(&["nope"]).is_empty());
    }

    #[test]
    fn strings_are_taken_as_written() {
        let set = parse("image=true", &[]).ok().unwrap();
        let v = set.table["image"].get_ref();
        assert_eq!(v.as_str(), Some("true"));
        assert_eq!(set.table["image"].span(), 6..10);
    }

    #[test]
    fn numbers_are_parsed_or_refused() {
        let set = parse("replicas=5", &[]).ok().unwrap();
        assert!(matches!(set.table["replicas"].get_ref(), DeValue::Integer(_)));
        let (_, d) = *parse("replicas=abc", &[]).err().unwrap();
        assert!(d.message.contains("takes an integer"), "{}", d.message);
        assert_eq!(d.span, Some(9..12));
    }

    #[test]
    fn quoted_keys_and_bad_paths() {
        let set = parse("labels.\"team.example.com/owner\"=db", &[]).ok().unwrap();
        let labels = set.table["labels"].get_ref().as_table().unwrap();
        assert_eq!(labels["team.example.com/owner"].get_ref().as_str(), Some("db"));
        for bad in ["replicas", "=3", "a..b=1", "labels.\"x=1", "a b=1"] {
            assert!(parse(bad, &[]).is_err(), "{bad}");
        }
    }
}
