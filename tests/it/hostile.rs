//! Strings that break YAML, for the property tests: special words in every
//! spelling, number lookalikes, indicators, line-break characters, controls,
//! leading and trailing whitespace, blank lines, CRLF, very long texts.
//! Shared by `yaml_roundtrip` (the emitter) and `roundtrip`
//! (the whole compiler), so that both face the same input.

use proptest::prelude::*;

/// YAML 1.1 and 1.2 words that a reader may turn into something else.
const SPECIAL_WORDS: &[&str] = &[
    "y",
    "Y",
    "yes",
    "Yes",
    "YES",
    "n",
    "N",
    "no",
    "No",
    "NO",
    "true",
    "True",
    "TRUE",
    "false",
    "False",
    "FALSE",
    "on",
    "On",
    "ON",
    "off",
    "Off",
    "OFF",
    "null",
    "Null",
    "NULL",
    "~",
    "",
    ".inf",
    ".Inf",
    ".INF",
    "-.inf",
    "+.inf",
    ".nan",
    ".NaN",
    ".NAN",
    "NaN",
    "nan",
    "inf",
    "Infinity",
    "-Infinity",
    "=",
    "<<",
    "-",
    "---",
    "...",
    "?",
    ":",
    ",",
    "#",
    "|",
    ">",
    "|-",
    "!!str",
    "!!binary",
    "%YAML 1.1",
    "&a",
    "*a",
    "@x",
    "`x",
    "yEs",
    "nULL",
    "tRUE",
    "-.Inf",
    "--- a",
    "... a",
    "0",
    "1",
    "-1",
    "+1",
    "0123",
    "0o17",
    "0x1F",
    "0b101",
    "1_000",
    "1e3",
    "1E3",
    "1.5",
    ".5",
    "1:30",
    "190:20:30",
    "2024-01-01",
    "2001-12-14t21:59:43.10-05:00",
    "512Mi",
    "250m",
    "1Gi",
    "3XL",
];

/// Pieces that are harmless alone and hostile together.
const FRAGMENTS: &[&str] = &[
    ": ",
    " #",
    " ",
    "  ",
    "\t",
    "\r",
    "\r\n",
    "\n",
    "\n\n",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    "\u{FEFF}",
    "\u{FFFE}",
    "\u{FFFF}",
    "\u{A0}",
    "\0",
    "\u{7}",
    "\u{1B}",
    "\u{7F}",
    "\u{80}",
    "\u{9F}",
    "é",
    "☕",
    "\u{1F600}",
    "---",
    "...",
    "- ",
    "? ",
    "! ",
    "&a",
    "*a",
    "!!int",
    "%TAG",
    "<<",
    "a",
    "abc",
    "Yes",
    "1",
    "0x1F",
    "1:30",
    "\\",
    "\"",
    "'",
    "\\n",
    "\\x85",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "#",
    "=",
    "@",
    "`",
    "|",
    ">",
    "%",
    "*",
    "&",
    "!",
    "-",
    "?",
    "/",
    ".",
    "_",
    "512Mi",
    "key",
    "value",
    "key: value",
    "# c",
];

pub fn special_word() -> impl Strategy<Value = String> {
    prop::sample::select(SPECIAL_WORDS).prop_map(str::to_owned)
}

/// Strings that YAML 1.1 or 1.2 may read as an int, a float or a timestamp,
/// and Kubernetes quantities that must stay strings.
pub fn number_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[-+]?[0-9]{1,5}",
        "[-+]?0[0-7]{1,4}",
        "[-+]?0[xX][0-9a-fA-F_]{1,5}",
        "[-+]?0[oObB][0-7_]{1,5}",
        "[-+]?[0-9_]{1,6}",
        "[-+]?[0-9]{1,3}(:[0-5]?[0-9]){1,3}(\\.[0-9]{0,3})?",
        "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?( ?Z| ?[-+][0-9]{1,2}(:[0-9]{2})?)?)?",
        "[-+]?[0-9]{0,3}\\.[0-9]{0,3}([eE][-+]?[0-9]{1,3})?",
        "[-+]?[0-9]{1,3}[eE][-+]?[0-9]{1,3}",
        "[-+]?\\.[0-9]{1,3}",
        "[0-9]{1,4}[A-Za-z]{1,3}",
        "[0-9]{1,4}(Ki|Mi|Gi|Ti|m|k|M|G|E|P|n|u)",
        "0[xX][0-9a-fA-F]{1,4}[pP][-+]?[0-9]",
    ]
}

/// One character, biased towards controls and line breaks.
pub fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap()),
        (0x7Fu32..0xA0).prop_map(|c| char::from_u32(c).unwrap()),
        prop::sample::select(&['\u{2028}', '\u{2029}', '\u{FEFF}', '\u{FFFE}', '\u{FFFF}'][..]),
        prop::sample::select(
            &[
                '#', '*', '&', '!', '-', '{', '}', '[', ']', '|', '>', '%', '@', '`', ',', '?',
                ':', '\'', '"', '\\', '~', '=', '<', ' ', '\t', '.', '/', '_', '+',
            ][..]
        ),
        any::<char>(),
    ]
}

/// A short string glued from hostile pieces.
pub fn composite() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(FRAGMENTS).prop_map(str::to_owned),
            2 => special_word(),
            2 => number_like(),
            3 => hostile_char().prop_map(String::from),
            1 => "[a-zA-Z0-9]{1,6}",
        ],
        0..8,
    )
    .prop_map(|parts| parts.concat())
}

/// One line of a multi-line text (may still hold a CR or a control).
pub fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just(String::new()),
        2 => " {1,4}",
        1 => "\t{1,2}",
        2 => "\t[a-z #:]{0,6}",
        2 => " {1,3}[a-z #:-]{0,6}",
        4 => "[a-zA-Z0-9][a-zA-Z0-9 #:=.-]{0,20}",
        2 => "(---|\\.\\.\\.|# comment|- item|key: value|\\? x|\\| x|> x|%YAML 1.1)",
        1 => "[a-z]{1,4}[ \t]{1,3}",
        2 => composite(),
    ]
}

/// A multi-line text with blank and whitespace-only lines, LF or CRLF, and
/// 0 to 3 final line breaks.
pub fn multi_line() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(line(), 1..8),
        0usize..4,
        prop::bool::weighted(0.2),
    )
        .prop_map(|(lines, breaks, crlf)| {
            let nl = if crlf { "\r\n" } else { "\n" };
            lines.join(nl) + &nl.repeat(breaks)
        })
}

/// Strings of 10k characters and more, on one line or many.
pub fn long() -> impl Strategy<Value = String> {
    prop_oneof![
        composite().prop_map(|s| repeat_to_10k(if s.is_empty() { "x" } else { &s })),
        multi_line().prop_map(|s| repeat_to_10k(&(s + "\n"))),
        "[a-z0-9-]{1,8}".prop_map(|s| repeat_to_10k(&s)),
    ]
}

pub fn repeat_to_10k(s: &str) -> String {
    s.repeat(10_000 / s.chars().count() + 1)
}

/// Everything a value may be, except long (see `long`).
pub fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => special_word(),
        3 => number_like(),
        6 => composite(),
        6 => multi_line(),
        2 => any::<String>(),
        1 => "[ \t]{1,3}[a-z]{1,5}[ \t]{0,3}",
    ]
}
