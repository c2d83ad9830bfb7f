//! Drawing diagnostics the way rustc and cargo do, by display width, with
//! every quoted piece escaped and capped.

use std::fmt::Write as _;
use std::ops::Range;

use super::source::{floor_char_boundary, Source};
use super::text::{display_width, printable};
use super::diagnostic::{in_doubt, Diagnostic, Severity};

impl Diagnostic {
    /// Draws this diagnostic against `source`, named `file` in the `-->`
    /// line. The source is masked first (see [`Source`]).
    pub fn draw(&self, file: &str, source: impl Into<Source>, color: bool) -> String {
        draw(self, file, &source.into(), color)
    }
}

/// Longest message, label, file name or help line drawn, in bytes.
const MAX_TEXT: usize = 400;
/// Columns of a quoted source line drawn: a longer line is cut to a
/// window around the place it points at.
const MAX_COLUMNS: usize = 240;
/// Diagnostics drawn in one run; the rest are counted.
pub const MAX_DRAWN: usize = 50;
/// Bytes drawn in one run before the rest are counted instead.
const MAX_OUTPUT: usize = 48 * 1024;

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

/// One span to draw under its line: `^` for the primary one, `-` for others.
struct Mark<'a> {
    span: Range<usize>,
    label: &'a str,
    primary: bool,
}

/// Draws `d` against `source`, named `file` in the `-->` line.
pub fn draw(d: &Diagnostic, file: &str, source: &Source, color: bool) -> String {
    let paint = Paint { on: color };
    let (word, tone) = match d.severity {
        Severity::Error => ("error", RED),
        Severity::Warning => ("warning", YELLOW),
    };
    let named = d.span.as_ref().and_then(|s| source.file_at(s.start));
    let file = printable(named.unwrap_or(file), MAX_TEXT);
    let mut out = String::new();
    let message = printable(&source.scrub(&d.message), MAX_TEXT);
    let _ = writeln!(
        out,
        "{}{}",
        paint.bold(tone, word),
        paint.bold(WHITE, &format!(": {message}"))
    );
    let Some(span) = d.span.clone() else {
        if !file.is_empty() {
            let _ = writeln!(out, " {} {file}", paint.bold(BLUE, "-->"));
        }
        if let Some(help) = &d.help {
            let help = indent_lines(&printable_lines(&source.scrub(help)), "  = help: ".len());
            let _ = writeln!(out, "  {} {help}", paint.bold(BLUE, "= help:"));
        }
        return out;
    };
    let mut marks = vec![Mark {
        span: span.clone(),
        label: &d.label,
        primary: true,
    }];
    marks.extend(d.secondary.iter().map(|(span, label)| Mark {
        span: span.clone(),
        label,
        primary: false,
    }));
    marks.sort_by_key(|m| m.span.start);
    let widest = marks
        .iter()
        .map(|m| source.locate(m.span.start).line.to_string().len())
        .max()
        .unwrap_or(1);
    let gutter = " ".repeat(widest);
    let bar = paint.bold(BLUE, "|");
    let at = source.locate(span.start);
    let _ = writeln!(
        out,
        "{gutter}{} {file}:{}:{}",
        paint.bold(BLUE, "-->"),
        at.line,
        at.column
    );
    let _ = writeln!(out, "{gutter} {bar}");
    let mut current = named;
    for mark in &marks {
        let tone = if mark.primary { tone } else { BLUE };
        let here = source.file_at(mark.span.start);
        if here != current {
            // A mark in another file of a joined source: rustc's `:::`.
            let loc = source.locate(mark.span.start);
            let name = printable(here.unwrap_or_default(), MAX_TEXT);
            let line = format!("{}:{}:{}", name, loc.line, loc.column);
            let _ = writeln!(out, "{gutter} {} {line}", paint.bold(BLUE, ":::"));
            current = here;
        }
        let (line_no, text, under) = quote(source, mark);
        let _ = writeln!(
            out,
            "{} {bar} {}",
            paint.bold(BLUE, &format!("{line_no:>widest$}")),
            text
        );
        let _ = writeln!(out, "{gutter} {bar} {}", paint.bold(tone, &under));
    }
    if let Some(help) = &d.help {
        let _ = writeln!(out, "{gutter} {bar}");
        let help = indent_lines(
            &printable_lines(&source.scrub(help)),
            gutter.len() + " = help: ".len(),
        );
        let _ = writeln!(out, "{gutter} {} {help}", paint.bold(BLUE, "= help:"));
    }
    out
}

/// The line `mark` points into, escaped and cut to a window around the
/// span, and the marks to draw under it, padded by display width.
fn quote(source: &Source, mark: &Mark<'_>) -> (usize, String, String) {
    let loc = source.locate(mark.span.start);
    // The marks run to the end of the span or of its first line. The span
    // may start past the line's text (on a `\r` that is not drawn, or at
    // the end of the source) or inside a character.
    let within = |offset: usize| {
        let i = offset.saturating_sub(loc.line_start).min(loc.text.len());
        floor_char_boundary(loc.text, i)
    };
    let start = within(mark.span.start);
    let end = within(mark.span.end).max(start);
    let line = loc.text.trim_end();
    // Columns shown before the span of a long line: a third of the window.
    let mut from = start.min(line.len());
    let mut lead = 0;
    if line.len() <= MAX_COLUMNS {
        from = 0;
    }
    for (i, c) in line[..from].char_indices().rev() {
        lead += display_width(c);
        if lead > MAX_COLUMNS / 3 {
            break;
        }
        from = i;
    }
    let mut text = String::from(if from > 0 { "…" } else { "" });
    let mut pad = String::from(if from > 0 { " " } else { "" });
    let mut width = 0;
    let mut columns = 0;
    let mut cut = false;
    // What is shown of the line, with any piece of a masked value that a
    // mistake left outside one (in a key, say) masked too; byte offsets
    // stay those of `line`.
    let shown = floor_char_boundary(line, line.len().min(from + 4 * MAX_COLUMNS + 8));
    let shown = source.scrub(&line[from..shown]);
    for (i, c) in shown.char_indices() {
        let i = from + i;
        if columns >= MAX_COLUMNS {
            cut = true;
            break;
        }
        let w = display_width(c);
        columns += w;
        match super::text::escape_char(c) {
            Some(escaped) => text.push_str(&escaped),
            None => text.push(c),
        }
        if i < start {
            pad.push_str(&if c == '\t' {
                "\t".to_owned()
            } else {
                " ".repeat(w)
            });
        } else if i < end {
            width += w;
        }
    }
    if cut {
        text.push('…');
    }
    // A span on trailing whitespace, which is not drawn.
    for c in loc.text.get(line.len()..start).unwrap_or_default().chars() {
        pad.push(if c == '\t' { '\t' } else { ' ' });
    }
    let sign = if mark.primary { "^" } else { "-" };
    let label = printable(&source.scrub(mark.label), MAX_TEXT);
    let suffix = if label.is_empty() {
        String::new()
    } else {
        format!(" {label}")
    };
    let under = format!("{pad}{}{suffix}", sign.repeat(width.max(1)));
    (loc.line, text, under)
}

/// `help` with each line escaped and capped, the line breaks kept.
fn printable_lines(help: &str) -> String {
    let mut lines: Vec<String> = help
        .split('\n')
        .take(20)
        .map(|l| printable(l, MAX_TEXT))
        .collect();
    if help.split('\n').nth(20).is_some() {
        lines.push("…".into());
    }
    lines.join("\n")
}

/// Indents every line of `text` but the first by `width` spaces, so a
/// several-line help stays aligned under its first line.
fn indent_lines(text: &str, width: usize) -> String {
    text.replace('\n', &format!("\n{}", " ".repeat(width)))
}

/// Draws `diagnostics` against `source`, separated by blank lines, with a
/// closing count when there are several errors. At most [`MAX_DRAWN`]
/// diagnostics (and about 48 KB) are drawn; the rest are counted.
pub fn draw_all(file: &str, source: &Source, diagnostics: &[Diagnostic], color: bool) -> String {
    let paint = Paint { on: color };
    let mut out = String::new();
    let mut drawn = 0;
    for d in diagnostics {
        if drawn == MAX_DRAWN || out.len() > MAX_OUTPUT {
            break;
        }
        if drawn > 0 {
            out.push('\n');
        }
        out.push_str(&draw(d, file, source, color));
        drawn += 1;
    }
    let count =
        |from: &[Diagnostic], severity| from.iter().filter(|d| d.severity == severity).count();
    let rest = &diagnostics[drawn..];
    let (errors, warnings) = (count(rest, Severity::Error), count(rest, Severity::Warning));
    let file = printable(file, MAX_TEXT);
    if !rest.is_empty() {
        let mut more = Vec::new();
        if errors > 0 {
            more.push(format!("{errors} more {}", plural(errors, "error")));
        }
        if warnings > 0 {
            more.push(format!("{warnings} more {}", plural(warnings, "warning")));
        }
        let _ = writeln!(
            out,
            "\n{}",
            paint.bold(
                WHITE,
                &format!("note: and {} not drawn", more.join(" and "))
            )
        );
    }
    let errors = count(diagnostics, Severity::Error);
    if errors > 1 {
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

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

/// `diagnostics` as single lines, `file:line:column: message (help)`, no
/// colors: what a `build.rs` prints after `cargo:warning=`. No source line is
/// quoted, and the message and help are scrubbed and escaped as in [`draw`].
pub fn one_line_each(file: &str, source: &Source, diagnostics: &[Diagnostic]) -> Vec<String> {
    let source = &in_doubt(source.clone(), diagnostics);
    let line = |d: &Diagnostic| {
        let named = d.span.as_ref().and_then(|s| source.file_at(s.start));
        let mut line = printable(named.unwrap_or(file), MAX_TEXT);
        if let Some(span) = &d.span {
            let at = source.locate(span.start);
            let _ = write!(line, ":{}:{}", at.line, at.column);
        }
        let _ = write!(line, ": {}", printable(&source.scrub(&d.message), MAX_TEXT));
        if let Some(help) = &d.help {
            let _ = write!(line, " (help: {})", printable(&source.scrub(help), MAX_TEXT));
        }
        line.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    diagnostics.iter().take(MAX_DRAWN).map(line).collect()
}

