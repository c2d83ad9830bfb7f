//! The few pieces of Go's `encoding/json` that kubectl and kustomize output depends on.
//!
//! kubectl 1.32 and its kustomize v5.5 are built with Go 1.23, whose `json.Marshal`
//! writes strings with HTML-safe escaping. Since Go 1.22 that includes the short forms
//! `\b` and `\f` (older Go wrote `\u0008` and `\u000c`); checked against kubectl's
//! own output in `secretfmt` and `tests/it/kustomize_hash.rs`.

use std::collections::BTreeMap;

/// Appends `s` as a JSON string literal, escaped exactly as Go's `json.Marshal` does:
/// `"` and `\` backslashed; `\b`, `\f`, `\n`, `\r`, `\t` in short form; other bytes below
/// 0x20 and `<`, `>`, `&` as `\u00xx` (lowercase hex); U+2028 and U+2029 as `\u2028`,
/// `\u2029`; everything else (DEL and all other non-ASCII included) as is.
pub(crate) fn push_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0}'..='\u{1f}' | '<' | '>' | '&' => {
                let b = c as u8;
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            _ => out.push(c),
        }
    }
    out.push('"');
}

/// Appends a `map[string]string` the way `json.Marshal` does: compact, keys in byte
/// order (which is `BTreeMap<String, _>`'s order).
pub(crate) fn push_string_map<V: AsRef<str>>(out: &mut String, map: &BTreeMap<String, V>) {
    out.push('{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_string(out, k);
        out.push(':');
        push_string(out, v.as_ref());
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> String {
        let mut out = String::new();
        push_string(&mut out, s);
        out
    }

    #[test]
    fn plain_text_is_quoted_only() {
        assert_eq!(enc("value"), r#""value""#);
        assert_eq!(enc(""), r#""""#);
        assert_eq!(enc("é😀\u{7f}\u{85}"), "\"é😀\u{7f}\u{85}\"");
    }

    #[test]
    fn html_and_line_separators_are_escaped() {
        assert_eq!(enc("<a>&"), r#""\u003ca\u003e\u0026""#);
        assert_eq!(enc("x\u{2028}y\u{2029}"), r#""x\u2028y\u2029""#);
    }

    #[test]
    fn controls_use_go_1_22_forms() {
        assert_eq!(enc("\u{8}\u{c}\n\r\t"), r#""\b\f\n\r\t""#);
        assert_eq!(
            enc("\u{0}\u{1}\u{b}\u{1b}\u{1f}"),
            r#""\u0000\u0001\u000b\u001b\u001f""#
        );
        assert_eq!(enc("\"\\"), r#""\"\\""#);
    }

    proptest::proptest! {
        #[test]
        fn any_string_reads_back_exactly(s in "\\PC*|[\\x00-\\x20<>&\"\\\\\u{7f}\u{85}\u{2028}\u{2029}]*") {
            let json = enc(&s);
            let back: String = serde_json::from_str(&json).expect("valid JSON");
            proptest::prop_assert_eq!(back, s);
            let unsafe_chars = ['<', '>', '&', '\u{2028}', '\u{2029}'];
            proptest::prop_assert!(!json.contains(unsafe_chars), "unescaped in {}", json);
            proptest::prop_assert!(!json.chars().any(|c| c < ' '));
        }
    }

    #[test]
    fn map_is_compact_and_sorted() {
        let mut m = BTreeMap::new();
        m.insert("b".to_string(), "2");
        m.insert("A".to_string(), "<");
        m.insert("a".to_string(), "1");
        let mut out = String::new();
        push_string_map(&mut out, &m);
        assert_eq!(out, r#"{"A":"\u003c","a":"1","b":"2"}"#);
        out.clear();
        push_string_map::<&str>(&mut out, &BTreeMap::new());
        assert_eq!(out, "{}");
    }
}
