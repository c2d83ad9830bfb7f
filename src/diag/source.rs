//! The text diagnostics point into, with every secret already masked.

use std::ops::Range;
use std::sync::Arc;

use toml::de::DeTable;

use super::scrub::Pieces;

/// A description's text as diagnostics may quote it: every value a Secret
/// may hold is replaced by `*` (see [`super::mask`]), byte for byte, so
/// spans into the original text stay valid. It is the only form of the
/// text an [`Error`](super::Error) holds.
#[derive(Clone, Default)]
pub struct Source {
    text: Arc<str>,
    /// Byte offset of the start of every line, for lookups in log time.
    lines: Arc<[usize]>,
    /// Pieces of the masked values, to mask in what diagnostics say.
    pieces: Arc<Pieces>,
    /// The files the text joins, in order (empty: one file, named by
    /// whoever draws): a source map, as rustc's, for a description drawn
    /// with the layers merged over it.
    files: Arc<[File]>,
}

/// One file of a joined [`Source`].
#[derive(Debug)]
struct File {
    /// Where its text starts in the joined text.
    start: usize,
    /// The index in `lines` of its first line.
    first_line: usize,
    /// Its name in `-->` lines.
    name: String,
}

impl Source {
    /// Masks `raw`, parsing it (as far as it parses) to find its secrets.
    pub fn new(raw: &str) -> Source {
        let (doc, errors) = DeTable::parse_recoverable(raw);
        Source::masked(raw, doc.get_ref(), errors.is_empty(), &[])
    }

    /// Masks `raw`, already parsed into `doc`, which is partial unless
    /// `clean` (the parse found no syntax error). `known` names the
    /// top-level fields a description may have: anything under another
    /// one is in doubt, and masked (none given: no such check).
    pub fn masked(raw: &str, doc: &DeTable<'_>, clean: bool, known: &[&str]) -> Source {
        let comments = super::mask::comment_spans(raw);
        Source::masked_commented(raw, doc, clean, known, comments)
    }

    /// The spans [`Source::masked`] hides as comments in `raw` (for tests of
    /// callers that find them while lexing).
    #[cfg(test)]
    pub fn comment_spans_of(raw: &str) -> Vec<Range<usize>> {
        super::mask::comment_spans(raw)
    }

    /// [`Source::masked`], given the spans of `raw`'s comments (what
    /// [`super::mask::comment_spans`] finds), from a caller that lexed it.
    pub fn masked_commented(
        raw: &str,
        doc: &DeTable<'_>,
        clean: bool,
        known: &[&str],
        comments: Vec<Range<usize>>,
    ) -> Source {
        let spans = super::mask::secret_spans(raw, doc, clean, known);
        // Comments are hidden in drawn lines but, being prose, are not pieces
        // to scrub from messages.
        let pieces = Pieces::of(raw, &spans);
        let mut hidden = spans;
        hidden.extend(comments);
        Source::with_spans_masked(raw, &hidden, pieces)
    }

    /// This source with `spans` masked too: values found doubtful later
    /// (those of unknown fields, say).
    pub fn mask_more(&self, spans: &[Range<usize>]) -> Source {
        if spans.is_empty() {
            return self.clone();
        }
        let mut pieces = Pieces::clone(&self.pieces);
        pieces.add(&self.text, spans);
        let mut source = Source::with_spans_masked(&self.text, spans, pieces);
        source.files = self.files.clone();
        source
    }

    /// This source, masking in what it draws and says the masked values of
    /// `others` too (other layers of one description).
    pub fn sharing_pieces(&self, others: &[&Source]) -> Source {
        let mut pieces = Pieces::clone(&self.pieces);
        for other in others {
            pieces.extend(&other.pieces);
        }
        Source {
            pieces: Arc::new(pieces),
            ..self.clone()
        }
    }

    /// `raw` with `spans` masked: a text that is not TOML (a command-line
    /// argument), whose secrets the caller found.
    pub fn with_masked(raw: &str, spans: &[Range<usize>]) -> Source {
        Source::with_spans_masked(raw, spans, Pieces::of(raw, spans))
    }

    /// One source that joins `parts`, each already masked and named:
    /// part `i` starts at byte `starts[i]` of the joined text (the returned
    /// offsets), so spans into a part, shifted by its start, point into it.
    /// Each part is followed by a line break if it has none.
    pub fn join(parts: &[(String, Source)]) -> (Source, Vec<usize>) {
        let mut text = String::new();
        let mut pieces = Pieces::default();
        let mut starts = Vec::new();
        for (_, part) in parts {
            starts.push(text.len());
            text.push_str(&part.text);
            if !text.ends_with('\n') {
                text.push('\n');
            }
            pieces.extend(&part.pieces);
        }
        let mut joined = Source::with_spans_masked(&text, &[], pieces);
        let files = (parts.iter().zip(&starts))
            .map(|((name, _), &start)| File {
                start,
                first_line: joined.lines.partition_point(|&l| l < start),
                name: name.clone(),
            })
            .collect();
        joined.files = files;
        (joined, starts)
    }

    /// The name of the joined file byte `offset` is in (`None` for a
    /// source of one file).
    pub fn file_at(&self, offset: usize) -> Option<&str> {
        self.file_index(offset).map(|i| self.files[i].name.as_str())
    }

    fn file_index(&self, offset: usize) -> Option<usize> {
        let after = self.files.partition_point(|f| f.start <= offset);
        after.checked_sub(1)
    }

    /// `text` (a message, a label, a help line) with any piece of a
    /// masked value masked too.
    pub fn scrub(&self, text: &str) -> String {
        self.pieces.scrub(text)
    }

    fn with_spans_masked(raw: &str, spans: &[Range<usize>], pieces: Pieces) -> Source {
        let mut bytes = raw.as_bytes().to_vec();
        for span in spans {
            if let Some(part) = bytes.get_mut(span.clone()) {
                part.fill(b'*');
            }
        }
        // Spans cover whole characters; if one did not, mask everything.
        let text = String::from_utf8(bytes).unwrap_or_else(|_| "*".repeat(raw.len()));
        let lines = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Source {
            text: text.into(),
            lines,
            pieces: Arc::new(pieces),
            files: Arc::new([]),
        }
    }

    /// The masked text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The 1-based line and column of byte `offset`, with that line's text.
    pub fn locate(&self, offset: usize) -> Location<'_> {
        let text: &str = &self.text;
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let index = self.lines.partition_point(|&start| start <= offset) - 1;
        let line_start = self.lines[index];
        let line_end = self
            .lines
            .get(index + 1)
            .map_or(text.len(), |&next| next - 1);
        let line = &text[line_start..line_end];
        let first = self
            .file_index(offset)
            .map_or(0, |i| self.files[i].first_line);
        Location {
            line: index + 1 - first,
            column: text[line_start..offset].chars().count() + 1,
            line_start,
            text: line.strip_suffix('\r').unwrap_or(line),
        }
    }
}

impl From<&str> for Source {
    fn from(raw: &str) -> Source {
        Source::new(raw)
    }
}

impl From<String> for Source {
    fn from(raw: String) -> Source {
        Source::new(&raw)
    }
}

impl From<Arc<str>> for Source {
    fn from(raw: Arc<str>) -> Source {
        Source::new(&raw)
    }
}

impl From<&Source> for Source {
    fn from(source: &Source) -> Source {
        source.clone()
    }
}

// Masked, but still the user's text: it is never printed but through a
// diagnostic.
impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Source(<{} bytes>)", self.text.len())
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
    /// Finds the line and column of byte `offset` in `source` (a scan from
    /// the start: for many lookups, use [`Source::locate`]).
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

pub(super) fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_count_characters() {
        let src = "a = \"é\"\nbb = 1";
        let loc = Location::of(src, src.find('1').unwrap());
        assert_eq!((loc.line, loc.column, loc.text), (2, 6, "bb = 1"));
        let loc = Location::of(src, 8);
        assert_eq!((loc.line, loc.column), (1, 8));
    }

    #[test]
    fn joined_sources_count_lines_per_file() {
        let parts = [
            ("a.toml".to_owned(), Source::new("a = 1\nb = 2\n")),
            ("b.toml".to_owned(), Source::new("c = 3")),
        ];
        let (joined, starts) = Source::join(&parts);
        assert_eq!(starts, [0, 12]);
        assert_eq!(joined.file_at(6), Some("a.toml"));
        assert_eq!(joined.locate(6).line, 2);
        let at = joined.locate(starts[1] + 4);
        assert_eq!((at.line, at.column, at.text), (1, 5, "c = 3"));
        assert_eq!(joined.file_at(starts[1]), Some("b.toml"));
    }

    #[test]
    fn indexed_lookup_agrees_with_the_scan() {
        let src = "a = \"é\"\r\nbb = 1\n\nc = 2";
        let source = Source::new(src);
        for offset in 0..=src.len() + 2 {
            assert_eq!(source.locate(offset), Location::of(src, offset), "{offset}");
        }
    }
}
