//! Diagnostics: what went wrong, where in the user's TOML, and what to do about it.
//!
//! Every problem kubetoml finds is a [`Diagnostic`]: a message, an optional
//! span into the description's source text, a label drawn under that span,
//! optional secondary labels and an optional `help:` line. An [`Error`]
//! carries all the diagnostics of one run together with the [`Source`] they
//! point into, and draws them the way rustc and cargo do:
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
//! This layer depends on no stage of the compiler. Secrets cannot reach a
//! drawing: a [`Source`] is masked when it is made (every value in a
//! Secret's part of a description, whether or not it parses), and code that
//! reports on secret content names the key, the file or the variable, never
//! the bytes. Every quoted piece is escaped ([`printable`]) and capped, and
//! a run draws at most [`MAX_DRAWN`] diagnostics.

mod diagnostic;
mod draw;
mod mask;
mod scrub;
mod source;
mod suggest;
mod text;

use std::fmt;

pub use diagnostic::{Diagnostic, Severity};
pub use draw::one_line_each;
// For the docs and kubetoml's own tests.
#[cfg_attr(not(feature = "unstable-internals"), allow(unused_imports))]
pub use draw::MAX_DRAWN;
pub use mask::{comment_text, looks_secret, path_is_plain, value_spans};
#[cfg_attr(not(feature = "unstable-internals"), allow(unused_imports))]
pub use source::Location;
pub use source::Source;
pub use suggest::{did_you_mean, quote_list, suggest};
#[cfg_attr(not(feature = "unstable-internals"), allow(unused_imports))]
pub use text::printable;
pub use text::escape_char;

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

/// Everything that went wrong in one run, with the source the diagnostics point into.
#[derive(Clone)]
pub struct Error {
    kind: ErrorKind,
    file: String,
    source: Source,
    diagnostics: Vec<Diagnostic>,
}

impl Error {
    /// An error of `kind` with `diagnostics` pointing into `source`, which
    /// is named `file`. A `&str` or `String` source is masked here; pass a
    /// [`Source`] to mask once for many errors.
    pub fn new(
        kind: ErrorKind,
        file: impl Into<String>,
        source: impl Into<Source>,
        diagnostics: Vec<Diagnostic>,
    ) -> Self {
        let source = diagnostic::in_doubt(source.into(), &diagnostics);
        let diagnostics = diagnostics
            .into_iter()
            .map(|d| d.scrubbed(&source))
            .collect();
        Error {
            kind,
            file: file.into(),
            source,
            diagnostics,
        }
    }

    /// An error with a single message and no place in a description.
    pub fn bare(kind: ErrorKind, file: impl Into<String>, message: impl Into<String>) -> Self {
        Error::new(
            kind,
            file,
            Source::default(),
            vec![Diagnostic::bare(message)],
        )
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

    /// This error with only the diagnostics `keep` keeps (its masked
    /// source kept whole); `None` when none is left.
    pub fn retain(mut self, keep: impl FnMut(&Diagnostic) -> bool) -> Option<Error> {
        self.diagnostics.retain(keep);
        (!self.diagnostics.is_empty()).then_some(self)
    }

    /// Draws every diagnostic, rustc-style; with `color`, with ANSI colors.
    pub fn draw(&self, color: bool) -> String {
        draw::draw_all(&self.file, &self.source, &self.diagnostics, color)
    }
}

/// Draws `diagnostics` against `source`, separated by blank lines, with a
/// closing count when there are several errors (see [`Error::draw`]).
pub fn draw_all(
    file: &str,
    source: impl Into<Source>,
    diagnostics: &[Diagnostic],
    color: bool,
) -> String {
    draw::draw_all(file, &diagnostic::in_doubt(source.into(), diagnostics), diagnostics, color)
}

/// `bytes` as text, or the error for a YAML `file` (an `import` input, an
/// `--against` file) that is not UTF-8: its line and column (in characters)
/// of the first bad byte, and nothing of the text, which may hold a secret.
pub fn yaml_text(file: &str, kind: ErrorKind, bytes: Vec<u8>) -> Result<String, Error> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        // Valid UTF-8 up to here, so `from_utf8` cannot fail.
        let before = std::str::from_utf8(valid).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        Error::bare(
            kind,
            file,
            format!("`{file}` is not valid UTF-8 at line {line}, column {column}: save it as UTF-8"),
        )
    })
}

/// The error for a description `file` whose `bytes` are not UTF-8,
/// pointing at the first bad byte.
pub fn not_utf8(file: &str, bytes: &[u8]) -> Error {
    let valid = match std::str::from_utf8(bytes) {
        Ok(_) => bytes.len(),
        Err(e) => e.valid_up_to(),
    };
    let text = String::from_utf8_lossy(bytes);
    // The lossy text has the same bytes up to the first bad one.
    let d = Diagnostic::error(
        "the description is not valid UTF-8",
        valid..valid + 1,
        "not UTF-8",
    )
    .with_help("save the file as UTF-8");
    Error::new(ErrorKind::Parse, file, text.as_ref(), vec![d])
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.draw(false).trim_end())
    }
}

impl fmt::Debug for Error {
    // The drawn form, as a `build.rs` that returns it with `?` shows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.draw(false).trim_end())
    }
}

impl std::error::Error for Error {}

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
    fn carets_follow_display_width() {
        let src = "名前 = \"ウェブ\"\nx = 1\n";
        let start = src.find('"').unwrap();
        let d = Diagnostic::error("bad", start..start + "\"ウェブ\"".len(), "here");
        let drawn = d.draw("a.toml", src, false);
        assert!(drawn.contains("\n  |        ^^^^^^^^ here\n"), "{drawn}");
    }

    #[test]
    fn secondary_labels_point_at_both_places() {
        let src = "a = 1\nb = 2\na = 3\n";
        let d = Diagnostic::error("`a` is defined twice", 12..13, "defined again here")
            .with_label(0..1, "first defined here");
        let drawn = d.draw("a.toml", src, false);
        assert_eq!(
            drawn,
            "error: `a` is defined twice\n --> a.toml:3:1\n  |\n1 | a = 1\n  | - first defined here\n3 | a = 3\n  | ^ defined again here\n"
        );
    }

    #[test]
    fn a_joined_source_names_each_file() {
        let parts = [
            ("web.toml".to_owned(), Source::new("name = \"web\"\nreplicas = 1\n")),
            ("prod.toml".to_owned(), Source::new("replicas = \"3\"")),
        ];
        let (source, starts) = Source::join(&parts);
        let at = starts[1] + 11;
        let d = Diagnostic::error("wrong type", at..at + 3, "a string")
            .with_label(13..21, "the description's value");
        assert_eq!(
            d.draw("web.toml", &source, false),
            "error: wrong type\n --> prod.toml:1:12\n  |\n  ::: web.toml:2:1\n2 | replicas = 1\n  | -------- the description's value\n  ::: prod.toml:1:12\n1 | replicas = \"3\"\n  |            ^^^ a string\n"
        );
        let lines = one_line_each("web.toml", &source, std::slice::from_ref(&d));
        assert_eq!(lines, ["prod.toml:1:12: wrong type"]);
    }

    #[test]
    fn hostile_text_is_escaped_everywhere() {
        let src = "k = \"\x1b]0;pwn\x07\u{202e}\"\n";
        let d =
            Diagnostic::error("bad `\x1b[2J`", 4..src.len() - 1, "lab\rel").with_help("h\u{9b}elp");
        let drawn = d.draw("f\x1b.toml", src, false);
        assert!(
            !drawn.chars().any(|c| c.is_control() && c != '\n'),
            "{drawn:?}"
        );
        assert!(!drawn.contains('\u{202e}'));
    }

    #[test]
    fn many_diagnostics_are_counted_not_drawn() {
        let src = "a = 1\n".repeat(1000);
        let diags: Vec<_> = (0..1000)
            .map(|i| Diagnostic::error("bad", i * 6..i * 6 + 1, "x"))
            .collect();
        let drawn = draw_all("a.toml", src.as_str(), &diags, false);
        assert!(
            drawn.contains("note: and 950 more errors not drawn"),
            "{drawn}"
        );
        assert!(drawn.len() < 64 * 1024);
    }

    #[test]
    fn long_lines_are_cut_around_the_span() {
        let src = format!("k = \"{}\"\n", "x".repeat(1_000_000));
        let d = Diagnostic::error("bad", 500_000..500_001, "here");
        let drawn = d.draw("a.toml", src.as_str(), false);
        assert!(drawn.len() < 1000, "{}", drawn.len());
        assert!(drawn.contains("…"));
    }
}
