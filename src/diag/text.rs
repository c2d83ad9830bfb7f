//! Making quoted text safe to print: control characters escaped, length capped.

use unicode_width::UnicodeWidthChar;

/// `c` as it may reach a terminal: itself, or an escape such as `\u{1b}`
/// for control characters (C0, DEL, C1) and bidirectional overrides, which
/// could move the cursor, ring the bell or reorder what a reader sees.
pub fn escape_char(c: char) -> Option<String> {
    if matches!(c, ' '..='~') {
        // Printable ASCII, nearly everything a diagnostic says: nothing to check.
        return None;
    }
    let hostile = c.is_control() && c != '\t'
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}');
    hostile.then(|| c.escape_unicode().to_string())
}

/// `text` with every hostile character escaped (see [`escape_char`]) and
/// cut to at most about `max` bytes, ending in `…` when cut. Every piece
/// of a diagnostic that quotes what a user or a file wrote goes through here.
pub fn printable(text: &str, max: usize) -> String {
    // Printable ASCII and tabs, nearly all a diagnostic quotes, are copied at once.
    let plain = text
        .bytes()
        .position(|b| !matches!(b, b' '..=b'~' | b'\t'))
        .unwrap_or(text.len())
        .min(max);
    let mut out = String::with_capacity(text.len().min(max) + 4);
    out.push_str(&text[..plain]);
    for c in text[plain..].chars() {
        if out.len() >= max {
            out.push('…');
            break;
        }
        match escape_char(c) {
            Some(escaped) => out.push_str(&escaped),
            None => out.push(c),
        }
    }
    out
}

/// How many terminal columns `c` takes once escaped.
pub fn display_width(c: char) -> usize {
    match escape_char(c) {
        Some(escaped) => escaped.len(),
        None if c == '\t' => 1,
        None => c.width().unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls_and_bidi() {
        assert_eq!(
            printable("a\x1b[31mb\x07\r\u{202E}c\u{9b}", 100),
            "a\\u{1b}[31mb\\u{7}\\u{d}\\u{202e}c\\u{9b}"
        );
        assert_eq!(printable("tab\tok", 100), "tab\tok");
    }

    #[test]
    fn caps_length() {
        let long = "x".repeat(10_000);
        assert_eq!(printable(&long, 10), format!("{}…", "x".repeat(10)));
    }

    /// Copying the plain start at once cuts and escapes as one character at a time does.
    #[test]
    fn the_plain_start_is_cut_as_any_other_text() {
        let one_at_a_time = |text: &str, max: usize| {
            let mut out = String::new();
            for c in text.chars() {
                if out.len() >= max {
                    out.push('…');
                    break;
                }
                match escape_char(c) {
                    Some(escaped) => out.push_str(&escaped),
                    None => out.push(c),
                }
            }
            out
        };
        for text in ["", "abc", "abcdef", "ab\tc\x1bd", "abc\u{202E}", "é", "abcé\x07", "\x1babc"] {
            for max in 0..10 {
                assert_eq!(printable(text, max), one_at_a_time(text, max), "{text:?}, {max}");
            }
        }
    }

    #[test]
    fn wide_characters_take_two_columns() {
        assert_eq!(display_width('名'), 2);
        assert_eq!(display_width('a'), 1);
        assert_eq!(display_width('\u{1b}'), "\\u{1b}".len());
    }
}
