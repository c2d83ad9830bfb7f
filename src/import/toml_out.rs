//! A small TOML writer that keeps keys in the order `import` adds them.
//!
//! `toml`'s own serializer sorts keys and cannot place comments; an imported
//! description should read like a hand-written one: name and image first,
//! tables after.

use std::fmt::Write;

/// A TOML value.
#[derive(Clone, PartialEq)]
pub enum Val {
    /// A basic string.
    Str(String),
    /// An integer.
    Int(i64),
    /// An integer written in octal (`0o440`): file modes.
    Octal(i64),
    /// A boolean.
    Bool(bool),
    /// An array on one line.
    Arr(Vec<Val>),
    /// An inline table.
    Table(Entries),
}

/// Keys and values in insertion order.
pub type Entries = Vec<(String, Val)>;

/// A whole description: top-level keys, then `[header]` and `[[header]]` sections.
#[derive(Default, Clone)]
pub struct Doc {
    /// Comment lines printed first (without `# `).
    pub comments: Vec<String>,
    /// Top-level keys.
    pub top: Entries,
    /// Sections in order: header (with brackets) and entries.
    pub sections: Vec<(String, Entries)>,
}

impl Doc {
    /// The TOML text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for c in &self.comments {
            let _ = writeln!(out, "# {c}");
        }
        write_entries(&mut out, &self.top);
        for (header, entries) in &self.sections {
            let _ = writeln!(out, "\n{header}");
            write_entries(&mut out, entries);
        }
        out
    }
}

fn write_entries(out: &mut String, entries: &Entries) {
    for (k, v) in entries {
        let _ = writeln!(out, "{} = {}", key(k), value(v));
    }
}

/// A key, bare when TOML allows it.
pub fn key(k: &str) -> String {
    let bare = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        k.to_owned()
    } else {
        string(k)
    }
}

/// A basic string with TOML escapes.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn value(v: &Val) -> String {
    match v {
        Val::Str(s) => string(s),
        Val::Int(i) => i.to_string(),
        Val::Octal(i) => format!("0o{i:o}"),
        Val::Bool(b) => b.to_string(),
        Val::Arr(items) => {
            let items: Vec<String> = items.iter().map(value).collect();
            format!("[{}]", items.join(", "))
        }
        Val::Table(entries) => {
            let items: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{} = {}", key(k), value(v)))
                .collect();
            if items.is_empty() {
                "{}".to_owned()
            } else {
                format!("{{ {} }}", items.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_keys_parse_back() {
        let hostile = "a \"q\" \\ \n\t\r\u{7f}\u{1b} é";
        let mut doc = Doc::default();
        doc.top
            .push((hostile.to_owned(), Val::Str(hostile.to_owned())));
        doc.top.push(("mode".to_owned(), Val::Octal(0o440)));
        let parsed: toml::Table = toml::from_str(&doc.to_text()).unwrap();
        assert_eq!(parsed[hostile].as_str(), Some(hostile));
        assert_eq!(parsed["mode"].as_integer(), Some(0o440));
        assert_eq!(key("web"), "web");
        assert_eq!(key("a.b"), "\"a.b\"");
    }
}
