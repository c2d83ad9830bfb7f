//! The one way the command line writes text a person reads: every message on stderr
//! (errors, warnings, summaries, import's differences, clap's usage errors) and every
//! text on stdout that is not a manifest goes through [`escape`], so a control
//! character, an escape sequence or a bidirectional override from an object name, a
//! file name, a flag's value or an input file reaches the terminal as visible text
//! (`\u{1b}`), never as an instruction to it. Clippy's `disallowed_macros` and
//! `disallowed_methods` (see `clippy.toml`) keep `eprintln!`, `println!`,
//! `std::io::stderr` and `std::io::stdout` out of the rest of the binary.
//!
//! The pieces a diagnostic quotes were already escaped where it was drawn
//! (`kubetoml::Error::draw`); escaping again here changes nothing in them (an escape is
//! printable text) and catches everything else.
#![allow(clippy::disallowed_macros, clippy::disallowed_methods)]

use std::io::Write as _;

/// The color sequences kubetoml's diagnostics paint with (bold, reset, and bold red,
/// yellow, blue): kept as they are when colors are on, escaped like anything else when
/// they are off. They only color text; none moves the cursor or hides anything.
const PAINT: &[&str] = &[
    "\x1b[1m",
    "\x1b[0m",
    "\x1b[1;31m",
    "\x1b[1;33m",
    "\x1b[1;34m",
];

/// `text` with every character [`kubetoml::escape_char`] flags written as an escape,
/// line breaks kept; with `color`, kubetoml's own [`PAINT`] sequences kept too.
pub fn escape(text: &str, color: bool) -> String {
    // Printable ASCII, tabs and line breaks (nearly every message) are kept as they are.
    if text
        .bytes()
        .all(|b| matches!(b, b' '..=b'~' | b'\n' | b'\t'))
    {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if color && c == '\x1b' {
            if let Some(paint) = PAINT.iter().find(|p| rest.starts_with(**p)) {
                out.push_str(paint);
                rest = &rest[paint.len()..];
                continue;
            }
        }
        match kubetoml::escape_char(c) {
            Some(escaped) if c != '\n' => out.push_str(&escaped),
            _ => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// JSON for a terminal: every character [`kubetoml::escape_char`] flags (they can only
/// be inside strings, as JSON's own syntax is ASCII) written as a `\uXXXX` escape, which
/// reads back as the same value.
pub fn json_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match kubetoml::escape_char(c) {
            Some(_) if c != '\n' => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Writes `text` to stderr, escaped (see [`escape`]).
pub fn eprint(text: &str, color: bool) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(escape(text, color).as_bytes());
    let _ = stderr.flush();
}

/// Whether stderr is a terminal (colors' `auto`).
pub fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal as _;
    std::io::stderr().is_terminal()
}

/// Writes one line to stderr, escaped, colorless.
pub fn eprintln(line: &str) {
    eprint(&format!("{line}\n"), false);
}

/// Writes what `write` writes to stdout as it is: a manifest, a schema, a completion
/// script or a text already made safe with [`escape`] or [`json_safe`]. Through a
/// buffer: a long manifest goes out in large writes without being joined first.
pub fn stdout_with(
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    write(&mut out)?;
    out.flush()
}

/// Prints clap's error or help and exits as clap would, its text escaped: a usage error
/// quotes the argument as typed (`--kube-version $'\e]0;…'`).
pub fn clap_exit(e: &clap::Error) -> ! {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        // kubetoml's own text, nothing typed in it.
        e.exit()
    }
    eprint(&e.render().to_string(), false);
    std::process::exit(e.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped_and_kubetoml_s_colors_are_kept() {
        let text = "\x1b[1;31merror\x1b[0m: `a\x1b]0;pwn\x07\u{202e}b\u{9b}2J`\n";
        assert_eq!(
            escape(text, true),
            "\x1b[1;31merror\x1b[0m: `a\\u{1b}]0;pwn\\u{7}\\u{202e}b\\u{9b}2J`\n"
        );
        assert_eq!(
            escape(text, false),
            "\\u{1b}[1;31merror\\u{1b}[0m: `a\\u{1b}]0;pwn\\u{7}\\u{202e}b\\u{9b}2J`\n"
        );
        // Idempotent: what was escaped once stays as it is.
        assert_eq!(escape(&escape(text, false), false), escape(text, false));
    }

    #[test]
    fn json_stays_json_with_the_same_values() {
        let value = serde_json::json!({ "name": "a\u{1b}[2J\u{202e}b\u{9b}" });
        let text = json_safe(&serde_json::to_string_pretty(&value).unwrap());
        assert!(!text
            .chars()
            .any(|c| kubetoml::escape_char(c).is_some() && c != '\n'));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }
}
