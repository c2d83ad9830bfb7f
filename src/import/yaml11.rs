//! Reading manifests the way kubectl does: YAML 1.1 scalars.
//!
//! kubectl (and Helm, and the API machinery) read YAML with go-yaml v2
//! (`sigs.k8s.io/yaml`), which resolves plain scalars by YAML 1.1 rules:
//! `0755` is the octal integer 493, `1_000` is 1000, `08` is the number 8,
//! `yes` and `off` are booleans. kubetoml's reader is YAML 1.2, where all of
//! those are strings, so a `defaultMode: 0755` would read as the text
//! `0755`, then as decimal 755. Before reading an input, each plain
//! (unquoted) scalar value that the two disagree on is rewritten to the YAML
//! 1.2 spelling of what kubectl reads; the two readings are then compared
//! node by node, and the rewrite is used only when nothing but those scalars
//! differ (else the text is read as written, as before).
//!
//! Flow collections on one line (`{ name: x, defaultMode: 0440 }`) are
//! read too. Not rewritten (left as YAML 1.2 reads them): keys, flow
//! collections over several lines, multi-line plain scalars, timestamps.

use std::borrow::Cow;

use crate::read::yamlread::{self, Value};

/// `text`, with the plain scalars kubectl reads otherwise spelled as it reads them.
pub fn as_kubectl_reads(text: &str) -> Cow<'_, str> {
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    // The column a block scalar's parent starts at, while inside one.
    let mut block: Option<usize> = None;
    // Inside a quoted scalar that spans lines: its quote character.
    let mut quoted: Option<char> = None;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start_matches(' ').len();
        if let Some(q) = quoted {
            if closes(body, q) {
                quoted = None;
            }
            out.push_str(line);
            continue;
        }
        if let Some(parent) = block {
            if body.trim().is_empty() || indent > parent {
                out.push_str(line);
                continue;
            }
            block = None;
        }
        let Some((at, token, column)) = scalar_value(body, indent) else {
            out.push_str(line);
            continue;
        };
        if token.starts_with(['|', '>']) {
            block = Some(column);
        } else if let Some(q) = token.chars().next().filter(|c| matches!(c, '"' | '\'')) {
            if !closes(&token[1..], q) {
                quoted = Some(q);
            }
        }
        let respelled = if token.starts_with(['{', '[']) {
            respell_flow(token)
        } else {
            respell(token)
        };
        match respelled {
            Some(new) => {
                out.push_str(&body[..at]);
                out.push_str(&new);
                out.push_str(&line[at + token.len()..]);
                changed = true;
            }
            None => out.push_str(line),
        }
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    match (documents(text), documents(&out)) {
        (Some(a), Some(b)) if a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| agree(x, y)) => {
            Cow::Owned(out)
        }
        _ => Cow::Borrowed(text),
    }
}

/// A one-line flow collection with its plain scalar values respelled (see
/// [`respell`]); `None` when none is, or the line is not one whole collection.
fn respell_flow(flow: &str) -> Option<String> {
    let mut out = String::with_capacity(flow.len());
    let mut changed = false;
    let mut depth = 0usize;
    let mut scalar = String::new();
    let mut chars = flow.chars().peekable();
    // Flushes the scalar before a delimiter; a key (before `:`) stays as written.
    let flush = |scalar: &mut String, out: &mut String, changed: &mut bool, key: bool| {
        let trimmed = scalar.trim();
        match (!key && !trimmed.is_empty())
            .then(|| respell(trimmed))
            .flatten()
        {
            Some(new) => {
                let lead = &scalar[..scalar.len() - scalar.trim_start().len()];
                let tail = &scalar[scalar.trim_end().len()..];
                out.push_str(lead);
                out.push_str(&new);
                out.push_str(tail);
                *changed = true;
            }
            None => out.push_str(scalar),
        }
        scalar.clear();
    };
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' if scalar.trim().is_empty() => {
                scalar.push(c);
                let mut closed = false;
                while let Some(q) = chars.next() {
                    scalar.push(q);
                    if c == '"' && q == '\\' {
                        scalar.extend(chars.next());
                    } else if q == c {
                        if c == '\'' && chars.peek() == Some(&'\'') {
                            scalar.extend(chars.next());
                            continue;
                        }
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return None;
                }
                // Quoted: never respelled; kept as written.
                out.push_str(&scalar);
                scalar.clear();
            }
            '{' | '[' => {
                flush(&mut scalar, &mut out, &mut changed, true);
                depth += 1;
                out.push(c);
            }
            '}' | ']' | ',' => {
                flush(&mut scalar, &mut out, &mut changed, false);
                if c != ',' {
                    depth = depth.checked_sub(1)?;
                }
                out.push(c);
            }
            ':' if matches!(chars.peek(), Some(' ' | ',' | '}' | ']') | None) => {
                flush(&mut scalar, &mut out, &mut changed, true);
                out.push(c);
            }
            '#' if depth == 0 => return None,
            _ => scalar.push(c),
        }
    }
    if depth != 0 || !scalar.trim().is_empty() {
        return None;
    }
    out.push_str(&scalar);
    changed.then_some(out)
}

/// Whether a quoted scalar's rest of line ends it.
fn closes(rest: &str, q: char) -> bool {
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if q == '"' && c == '\\' {
            chars.next();
        } else if c == q {
            if q == '\'' && chars.peek() == Some(&'\'') {
                chars.next();
                continue;
            }
            return true;
        }
    }
    false
}

/// The value of a block mapping line (`key: value`, `- key: value`) or a
/// sequence item (`- value`): its byte offset, its text (no comment), and the
/// column its parent node starts at.
fn scalar_value(body: &str, indent: usize) -> Option<(usize, &str, usize)> {
    let mut at = indent;
    let mut rest = &body[indent..];
    if rest.starts_with('#') || rest.starts_with("---") || rest.starts_with("...") {
        return None;
    }
    while let Some(r) = rest.strip_prefix("- ") {
        let skipped = r.len() - r.trim_start_matches(' ').len();
        at += 2 + skipped;
        rest = &r[skipped..];
    }
    let column = at;
    if let Some(colon) = key_end(rest) {
        let after = &rest[colon + 1..];
        let spaces = after.len() - after.trim_start_matches(' ').len();
        at += colon + 1 + spaces;
        rest = &after[spaces..];
    } else if column == indent {
        return None;
    }
    let token = match rest.find(" #") {
        Some(i) => &rest[..i],
        None => rest,
    }
    .trim_end();
    (!token.is_empty()).then_some((at, token, column))
}

/// The offset of the `:` ending a simple plain key (`name:`, `app.kubernetes.io/name:`).
fn key_end(rest: &str) -> Option<usize> {
    if rest.starts_with(['"', '\'', '[', '{', '&', '*', '!', '?', '|', '>']) {
        return None;
    }
    let i = rest.find(':')?;
    let after = &rest[i + 1..];
    (after.is_empty() || after.starts_with(' ')).then_some(i)
}

/// The YAML 1.2 spelling of what go-yaml v2 reads from the plain scalar
/// `token`, when YAML 1.2 reads it otherwise.
fn respell(token: &str) -> Option<String> {
    let go = go_yaml_v2(token)?;
    let now = yamlread::parse(token).ok()?;
    let same = match (&go, &now) {
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => false,
    };
    if same {
        return None;
    }
    Some(match go {
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    })
}

/// How go-yaml v2 resolves a plain scalar, when to a boolean or a number.
fn go_yaml_v2(token: &str) -> Option<Value> {
    match token {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => return Some(Value::Bool(true)),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => return Some(Value::Bool(false)),
        _ => {}
    }
    if !token.starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '-') {
        return None;
    }
    // go-yaml v2 drops every `_`, then tries Go's ParseInt with base 0
    // (prefixes 0x, 0o, 0b, and a bare leading 0 for octal), then a float.
    let plain = token.replace('_', "");
    let (negative, digits) = match plain.as_bytes().first() {
        Some(b'-') => (true, &plain[1..]),
        Some(b'+') => (false, &plain[1..]),
        _ => (false, plain.as_str()),
    };
    let (radix, body) = if let Some(b) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, b)
    } else if let Some(b) = digits
        .strip_prefix("0o")
        .or_else(|| digits.strip_prefix("0O"))
    {
        (8, b)
    } else if let Some(b) = digits
        .strip_prefix("0b")
        .or_else(|| digits.strip_prefix("0B"))
    {
        (2, b)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if !body.is_empty() && !body.starts_with(['+', '-']) {
        if let Ok(n) = i64::from_str_radix(body, radix) {
            let n = if negative { n.checked_neg()? } else { n };
            return Some(Value::Number(n.into()));
        }
    }
    if yaml_style_float(&plain) {
        let f: f64 = plain.parse().ok()?;
        if f.fract() == 0.0 && f.abs() < 9.0e15 {
            // JSON writes an integral float as an integer.
            return Some(Value::Number((f as i64).into()));
        }
        return Some(Value::Number(f.into()));
    }
    None
}

/// go-yaml v2's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

fn documents(text: &str) -> Option<Vec<Value>> {
    yamlread::documents(text).ok()
}

/// Whether `b` is `a` with only YAML 1.1 scalars read as kubectl reads them.
fn agree(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Mapping(x), Value::Mapping(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| ka == kb && agree(va, vb))
        }
        (Value::Sequence(x), Value::Sequence(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| agree(p, q))
        }
        (Value::Tagged(x), Value::Tagged(y)) => x.tag == y.tag && agree(&x.value, &y.value),
        (Value::String(s), Value::Bool(_) | Value::Number(_)) => go_yaml_v2(s).as_ref() == Some(b),
        (Value::Number(_), Value::Number(_)) => {
            a == b || text_of(a).and_then(|t| go_yaml_v2(&t)).as_ref() == Some(b)
        }
        _ => a == b,
    }
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Value {
        yamlread::parse(&as_kubectl_reads(text)).unwrap()
    }

    #[test]
    fn plain_yaml_1_1_integers_read_as_kubectl_reads_them() {
        let v = read(
            "a: 0755\nb: 0o755\nc: 0x1F\nd: 1_000\ne: 08\nf: -010\ng: 0b101\nh: 0550 # mode\n\
             i: 493\nj: '0755'\nk: \"0755\"\nl: yes\nm: off\nn: 0.5\n",
        );
        let n = |k: &str| v[k].as_i64();
        assert_eq!(n("a"), Some(0o755));
        assert_eq!(n("b"), Some(0o755));
        assert_eq!(n("c"), Some(31));
        assert_eq!(n("d"), Some(1000));
        assert_eq!(n("e"), Some(8));
        assert_eq!(n("f"), Some(-8));
        assert_eq!(n("g"), Some(5));
        assert_eq!(n("h"), Some(0o550));
        assert_eq!(n("i"), Some(493));
        assert_eq!(v["j"].as_str(), Some("0755"));
        assert_eq!(v["k"].as_str(), Some("0755"));
        assert_eq!(v["l"].as_bool(), Some(true));
        assert_eq!(v["m"].as_bool(), Some(false));
        assert_eq!(v["n"].as_f64(), Some(0.5));
    }

    #[test]
    fn sequences_and_nested_items_are_read_too() {
        let v = read("volumes:\n- name: x\n  secret:\n    defaultMode: 0440\n- - 0644\n");
        assert_eq!(
            v["volumes"][0]["secret"]["defaultMode"].as_i64(),
            Some(0o440)
        );
        assert_eq!(v["volumes"][1][0].as_i64(), Some(0o644));
    }

    #[test]
    fn block_and_quoted_scalars_are_left_as_written() {
        let text = "script: |\n  mode: 0755\n  - 0644\nnext: 0755\nq: \"a\n  b: 0755\"\nk: v\n";
        let v = read(text);
        assert_eq!(v["script"].as_str(), Some("mode: 0755\n- 0644\n"));
        assert_eq!(v["next"].as_i64(), Some(0o755));
        assert_eq!(v["q"].as_str(), Some("a b: 0755"));
        let v = read("- args: |\n    x: 0755\n  image: 0755\n");
        assert_eq!(v[0]["args"].as_str(), Some("x: 0755\n"));
        assert_eq!(v[0]["image"].as_i64(), Some(0o755));
    }

    #[test]
    fn one_line_flow_collections_are_read_too() {
        let v = read("v: { name: conf, defaultMode: 0440, q: \"0755\", l: [0644, 'a, b', 08] }\n");
        assert_eq!(v["v"]["defaultMode"].as_i64(), Some(0o440));
        assert_eq!(v["v"]["name"].as_str(), Some("conf"));
        assert_eq!(v["v"]["q"].as_str(), Some("0755"));
        assert_eq!(v["v"]["l"][0].as_i64(), Some(0o644));
        assert_eq!(v["v"]["l"][1].as_str(), Some("a, b"));
        assert_eq!(v["v"]["l"][2].as_i64(), Some(8));
        let v = read("volumes:\n  - { name: c, secret: { secretName: s, defaultMode: 0400 } }\n");
        assert_eq!(
            v["volumes"][0]["secret"]["defaultMode"].as_i64(),
            Some(0o400)
        );
    }

    #[test]
    fn keys_and_words_are_not_numbers() {
        let v = read("0755: a\nname: 0755abc\nv: 1.2.3\nt: '-'\n");
        assert_eq!(v["name"].as_str(), Some("0755abc"));
        assert_eq!(v["v"].as_str(), Some("1.2.3"));
        assert!(v.get("0755").is_some() || v.as_mapping().unwrap().len() == 4);
        assert_eq!(as_kubectl_reads("a: b\n"), "a: b\n");
    }
}
