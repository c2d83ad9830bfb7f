//! Diagnostics: what went wrong, where in the user's TOML, and what to do about it.
//!
//! Every problem kubetoml finds is a [`Diagnostic`]: a message, an optional
//! span into the description's source text, a label drawn under that span and
//! an optional `help:` line. An [`Error`] carries all the diagnostics of one
//! run together with the source they point into, and draws them the way rustc
//! and cargo do:
//!
//! ```text
//! error: unknown field `replica`
//!  --> web.toml:3:1
//!   |
//! 3 | replica = 3
//!   | ^^^^^^^ unknown field
//!   |
//!   = help: did you mean `replicas`?
//! ```
//!
//! Diagnostics never hold a secret's value: code that reports on secret
//! content names the key, the file or the variable, never the bytes.

use std::fmt::{self, Write as _};
use std::ops::Range;
use std::sync::Arc;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The description cannot be compiled.
    Error,
    /// The output was produced, but something deserves attention.
    Warning,
}

/// What kind of failure an [`Error`] is, for callers that branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The description is not valid TOML or does not fit the format.
    Parse,
    /// The description parsed but says something that cannot be compiled.
    Invalid,
    /// A template failed to render (a user's `--templates` copy, usually).
    Template,
    /// Reading the description or writing the output failed.
    Io,
    /// The file given to `render --against` cannot be read or is not
    /// Kubernetes YAML.
    Against,
    /// The new output changes a field Kubernetes refuses to change in place
    /// (found by `render --against`).
    Immutable,
}

/// One problem, optionally pointing at a span of the description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// One lowercase sentence; user identifiers in backticks.
    pub message: String,
    /// Byte range in the description's source, when the problem has a place.
    pub span: Option<Range<usize>>,
    /// Short text drawn under the span.
    pub label: String,
    /// A fix to suggest, drawn as `= help: ...`.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `span` with `label` under it.
    pub fn error(message: impl Into<String>, span: Range<usize>, label: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span: Some(span),
            label: label.into(),
            help: None,
        }
    }

    /// An error with no place in the description (a file that cannot be read, say).
    pub fn bare(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span: None,
            label: String::new(),
            help: None,
        }
    }

    /// A warning at `span` with `label` under it.
    pub fn warning(
        message: impl Into<String>,
        span: Range<usize>,
        label: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message, span, label)
        }
    }

    /// Adds a `help:` line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Draws this diagnostic against `source`, named `file` in the `-->` line.
    ///
    /// The quoted source line never shows a Secret's literal value: those
    /// are masked with `*` (see [`crate::spec::secret_value_spans`]).
    pub fn draw(&self, file: &str, source: &str, color: bool) -> String {
        let masked = mask(source, &crate::spec::secret_value_spans(source));
        self.draw_masked(file, source, &masked, color)
    }

    /// [`Diagnostic::draw`] with the masked source already made, so that
    /// drawing many diagnostics parses the description for secrets once.
    fn draw_masked(&self, file: &str, source: &str, masked: &str, color: bool) -> String {
        let paint = Paint { on: color };
        let (word, tone) = match self.severity {
            Severity::Error => ("error", RED),
            Severity::Warning => ("warning", YELLOW),
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}{}",
            paint.bold(tone, word),
            paint.bold(WHITE, &format!(": {}", self.message))
        );
        let Some(span) = self.span.clone() else {
            if !file.is_empty() {
                let _ = writeln!(out, " {} {file}", paint.bold(BLUE, "-->"));
            }
            if let Some(help) = &self.help {
                let help = indent_lines(help, "  = help: ".len());
                let _ = writeln!(out, "  {} {help}", paint.bold(BLUE, "= help:"));
            }
            return out;
        };
        let mut loc = Location::of(source, span.start);
        loc.text = &masked[loc.line_start..loc.line_start + loc.text.len()];
        let line_no = loc.line.to_string();
        let gutter = " ".repeat(line_no.len());
        let bar = paint.bold(BLUE, "|");
        let _ = writeln!(
            out,
            "{gutter}{} {file}:{}:{}",
            paint.bold(BLUE, "-->"),
            loc.line,
            loc.column
        );
        let _ = writeln!(out, "{gutter} {bar}");
        let _ = writeln!(
            out,
            "{} {bar} {}",
            paint.bold(BLUE, &line_no),
            loc.text.trim_end()
        );
        // The caret runs to the end of the span or of its first line. The
        // span may start past the line's text (on a `\r` that is not drawn,
        // or at the end of the source) or inside a character.
        let within = |offset: usize| {
            let i = offset.saturating_sub(loc.line_start).min(loc.text.len());
            floor_char_boundary(loc.text, i)
        };
        let start = within(span.start);
        let end = within(span.end).max(start);
        let pad: String = loc.text[..start]
            .chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let width = loc.text[start..end].chars().count().max(1);
        let marks = format!("{}{}", "^".repeat(width), label_suffix(&self.label));
        let _ = writeln!(out, "{gutter} {bar} {pad}{}", paint.bold(tone, &marks));
        if let Some(help) = &self.help {
            let _ = writeln!(out, "{gutter} {bar}");
            let help = indent_lines(help, gutter.len() + " = help: ".len());
            let _ = writeln!(out, "{gutter} {} {help}", paint.bold(BLUE, "= help:"));
        }
        out
    }
}

/// `source` with every byte inside `spans` replaced by `*`: byte offsets,
/// and so every other span, stay valid.
fn mask<'a>(source: &'a str, spans: &[Range<usize>]) -> std::borrow::Cow<'a, str> {
    if spans.is_empty() {
        return source.into();
    }
    let mut bytes = source.as_bytes().to_vec();
    for span in spans {
        if let Some(part) = bytes.get_mut(span.clone()) {
            part.fill(b'*');
        }
    }
    // Spans cover whole characters, so this is still UTF-8.
    String::from_utf8(bytes)
        .map(Into::into)
        .unwrap_or_else(|_| "*".repeat(source.len()).into())
}

/// Indents every line of `text` but the first by `width` spaces, so a
/// several-line help stays aligned under its first line.
fn indent_lines(text: &str, width: usize) -> String {
    text.replace('\n', &format!("\n{}", " ".repeat(width)))
}

fn label_suffix(label: &str) -> String {
    if label.is_empty() {
        String::new()
    } else {
        format!(" {label}")
    }
}

/// A 1-based line and column in a source text, with that line's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location<'a> {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// Byte offset of the line's first character.
    pub line_start: usize,
    /// The line, without its line break.
    pub text: &'a str,
}

impl<'a> Location<'a> {
    /// Finds the line and column of byte `offset` in `source`.
    pub fn of(source: &'a str, offset: usize) -> Location<'a> {
        let offset = floor_char_boundary(source, offset.min(source.len()));
        let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[offset..]
            .find('\n')
            .map_or(source.len(), |i| offset + i);
        let text = source[line_start..line_end]
            .strip_suffix('\r')
            .unwrap_or(&source[line_start..line_end]);
        Location {
            line: source[..line_start].matches('\n').count() + 1,
            column: source[line_start..offset].chars().count() + 1,
            line_start,
            text,
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Everything that went wrong in one run, with the source the diagnostics point into.
#[derive(Clone)]
pub struct Error {
    kind: ErrorKind,
    file: String,
    source: Arc<str>,
    diagnostics: Vec<Diagnostic>,
}

impl Error {
    /// An error of `kind` with `diagnostics` pointing into `source`, which is named `file`.
    pub fn new(
        kind: ErrorKind,
        file: impl Into<String>,
        source: impl Into<Arc<str>>,
        diagnostics: Vec<Diagnostic>,
    ) -> Self {
        Error {
            kind,
            file: file.into(),
            source: source.into(),
            diagnostics,
        }
    }

    /// An error with a single message and no place in a description.
    pub fn bare(kind: ErrorKind, file: impl Into<String>, message: impl Into<String>) -> Self {
        Error::new(kind, file, "", vec![Diagnostic::bare(message)])
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The file the diagnostics point into, as the user named it.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Every problem found, in source order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Draws every diagnostic, rustc-style; with `color`, with ANSI colors.
    pub fn draw(&self, color: bool) -> String {
        draw_all(&self.file, &self.source, &self.diagnostics, color)
    }
}

/// Draws `diagnostics` against `source`, separated by blank lines, with a
/// closing count when there are several errors.
pub fn draw_all(file: &str, source: &str, diagnostics: &[Diagnostic], color: bool) -> String {
    let mut out = String::new();
    let masked = match diagnostics.iter().any(|d| d.span.is_some()) {
        true => mask(source, &crate::spec::secret_value_spans(source)),
        false => source.into(),
    };
    for (i, d) in diagnostics.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&d.draw_masked(file, source, &masked, color));
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if errors > 1 {
        let paint = Paint { on: color };
        let _ = writeln!(
            out,
            "\n{}",
            paint.bold(
                RED,
                &format!("error: {file}: {errors} problems, nothing was written")
            )
        );
    }
    out
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.draw(false).trim_end())
    }
}

/// The drawn form, as `Display`: a `build.rs` or `main` that returns an
/// error with `?` prints `Debug`, and should show what a person reads. It
/// holds no more than the user's own description, secrets masked.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {}

const RED: u8 = 31;
const YELLOW: u8 = 33;
const BLUE: u8 = 34;
const WHITE: u8 = 0;

struct Paint {
    on: bool,
}

impl Paint {
    fn bold(&self, color: u8, text: &str) -> String {
        if !self.on {
            return text.to_owned();
        }
        if color == WHITE {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            format!("\x1b[1;{color}m{text}\x1b[0m")
        }
    }
}

/// The candidate closest to `word` by edit distance, when close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    // Case and separators first: `always` for `Always`, `imagePullPolicy` for `image_pull_policy`.
    let loose = |s: &str| -> String {
        s.chars()
            .filter(|c| !matches!(c, '_' | '-'))
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    if let Some(same) = candidates.iter().find(|c| loose(c) == loose(word)) {
        return Some(same);
    }
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|&(d, c)| d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// `a`, `b` and `c` as "`a`, `b`, `c`".
pub fn quote_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A help line for `word`, which names none of `known`: the likely typo, or
/// else `known` listed after `listing`, or `empty` when there is nothing to list.
pub fn suggest(word: &str, known: &[&str], listing: &str, empty: &str) -> String {
    match did_you_mean(word, known.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None if known.is_empty() => empty.to_owned(),
        None => format!("{listing} {}", quote_list(known)),
    }
}

/// Optimal string alignment distance: edits, with a swap of two neighbours
/// counting as one (`imgae` is one typo away from `image`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_like_rustc() {
        let src = "name = \"web\"\nreplica = 3\n";
        let d = Diagnostic::error("unknown field `replica`", 13..20, "unknown field")
            .with_help("did you mean `replicas`?");
        assert_eq!(
            d.draw("web.toml", src, false),
            "error: unknown field `replica`\n --> web.toml:2:1\n  |\n2 | replica = 3\n  | ^^^^^^^ unknown field\n  |\n  = help: did you mean `replicas`?\n"
        );
    }

    #[test]
    fn aligns_help_lines() {
        let d = Diagnostic::bare("cannot change `x`").with_help("do this:\n  step 1");
        assert_eq!(
            d.draw("old.yaml", "", false),
            "error: cannot change `x`\n --> old.yaml\n  = help: do this:\n            step 1\n"
        );
    }

    #[test]
    fn locations_count_characters() {
        let src = "a = \"é\"\nbb = 1";
        let loc = Location::of(src, src.find("1").unwrap());
        assert_eq!((loc.line, loc.column, loc.text), (2, 6, "bb = 1"));
        let loc = Location::of(src, 8);
        assert_eq!((loc.line, loc.column), (1, 8));
    }

    #[test]
    fn suggests_close_names_only() {
        let names = ["replicas", "image", "namespace"];
        assert_eq!(did_you_mean("replica", names), Some("replicas"));
        assert_eq!(did_you_mean("imgae", names), Some("image"));
        assert_eq!(did_you_mean("volumes", names), None);
        assert_eq!(did_you_mean("nameSpace", names), Some("namespace"));
        assert_eq!(
            did_you_mean("imagePullPolicy", ["image_pull_policy"]),
            Some("image_pull_policy")
        );
        assert_eq!(did_you_mean("udp", ["TCP", "UDP"]), Some("UDP"));
    }
}
