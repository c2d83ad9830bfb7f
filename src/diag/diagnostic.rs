//! One problem found, as data: a [`Diagnostic`] and how bad it is. Drawing
//! it is `draw`'s.

use std::ops::Range;

use super::source::Source;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The description cannot be compiled.
    Error,
    /// The output was produced, but something deserves attention.
    Warning,
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
    /// Other places that explain this one (the first of two definitions,
    /// say), each with its label.
    pub secondary: Vec<(Range<usize>, String)>,
    /// A fix to suggest, drawn as `= help: ...`.
    pub help: Option<String>,
    /// The text at `span` may be a secret moved there by a mistake (a key
    /// a Secret does not have, say): masked wherever this is drawn.
    pub in_doubt: bool,
}

impl Diagnostic {
    /// An error at `span` with `label` under it.
    pub fn error(message: impl Into<String>, span: Range<usize>, label: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span: Some(span),
            label: label.into(),
            secondary: Vec::new(),
            help: None,
            in_doubt: false,
        }
    }

    /// An error with no place in the description (a file that cannot be read, say).
    pub fn bare(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span: None,
            label: String::new(),
            secondary: Vec::new(),
            help: None,
            in_doubt: false,
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

    /// Marks the text at this diagnostic's span as possibly secret: it is
    /// masked in the drawn source line, and so in what any diagnostic says.
    pub fn in_doubt(mut self) -> Self {
        self.in_doubt = true;
        self
    }

    /// Adds a secondary label at `span`.
    pub fn with_label(mut self, span: Range<usize>, label: impl Into<String>) -> Self {
        self.secondary.push((span, label.into()));
        self
    }

    /// This diagnostic with any piece of a value masked in `source` masked
    /// in what it says too.
    pub fn scrubbed(self, source: &Source) -> Diagnostic {
        Diagnostic {
            message: source.scrub(&self.message),
            label: source.scrub(&self.label),
            secondary: (self.secondary.into_iter())
                .map(|(span, label)| (span, source.scrub(&label)))
                .collect(),
            help: self.help.map(|help| source.scrub(&help)),
            ..self
        }
    }
}

/// `source` with the spans of `diagnostics` marked in doubt masked too.
pub(crate) fn in_doubt(source: Source, diagnostics: &[Diagnostic]) -> Source {
    let spans: Vec<Range<usize>> = (diagnostics.iter())
        .filter(|d| d.in_doubt)
        .filter_map(|d| d.span.clone())
        .collect();
    source.mask_more(&spans)
}

