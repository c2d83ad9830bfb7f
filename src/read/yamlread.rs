//! Reading YAML: the only module that names serde_yaml, and libyaml under it.
//!
//! Everything kubetoml reads as YAML goes through here: `import` inputs,
//! `render --against` files, `extra_manifests`, the read-back of a user
//! template's output, and kubetoml's own output read back by `import` and
//! `--against`. So every one of them gets the same [budget](MAX_NODES) and the
//! same errors, and a successor to serde_yaml (archived upstream; its
//! maintained forks keep the `Value` API) is swapped in this one file.
//!
//! # The budget
//!
//! serde_yaml first collects every event of a document, then builds the
//! [`Value`], replaying an anchor's events at each alias. It bounds the
//! replays (100 per event) and the nesting (128 levels), but only once the
//! events are collected: 4 MiB of `[a,a,a,...]` are two million events, and
//! a few thousand aliases to a big anchor are billions of nodes. libyaml
//! below it has no bound at all, and its scanner takes time quadratic in the
//! flow nesting (`[[[[...`). So before serde_yaml sees a text, [`scan`]
//! streams libyaml's events (keeping only the open collections and the size
//! of each anchor) and stops at the first of
//!
//! - more than [`MAX_BYTES`] of text;
//! - more than [`MAX_NODES`] nodes, an alias counting as every node of its
//!   anchor each time it is used;
//! - more than [`MAX_DEPTH`] nested collections, aliases expanded;
//! - an alias inside its own anchor, or to an anchor not defined before it;
//!
//! with an error naming the line. What passes builds in linear time and at
//! most a few hundred bytes per node.
//!
//! # Errors never quote the text
//!
//! What is read may hold a Secret's value (a tagged `!!binary` one, a key in
//! the wrong place, a user template's output). A [`ReadError`] says where
//! (line and column) and what, in words of its own: libyaml's problem
//! (a fixed phrase such as "did not find expected key"), a budget, or one of
//! a few fixed sentences for what serde_yaml refuses after libyaml, never
//! serde_yaml's own message, which quotes values (`invalid value: string
//! "..."`).

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize as _;
pub use serde_yaml::{Mapping, Value};

/// The most text one read takes: 4 MiB, what kubetoml reads of any input
/// file (`crate::read::sources::MAX_INPUT_BYTES`).
pub const MAX_BYTES: usize = 4 * 1024 * 1024;

/// The most nodes (scalars, sequences, mappings) one read builds, aliases
/// counted each time they are used: half a million. Real manifests take
/// about 18 bytes a node (the chart renders in `tests/fixtures/charts`), so
/// a 4 MiB file of them holds about 250 000; a node costs serde_yaml about
/// 230 bytes while it reads, so the budget stays far within the 256 MiB a
/// command may use, and reads in half a second.
pub const MAX_NODES: usize = 500_000;

/// The deepest nesting of collections one read builds, aliases expanded, a
/// tag counting as one more level: 100. Kubernetes objects nest a few
/// levels, a CRD's schema a few dozen; serde_yaml refuses past 128.
pub const MAX_DEPTH: usize = 100;

/// Why a text is not YAML kubetoml reads: what, in fixed words, and where.
/// Never holds any of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// What is wrong, in kubetoml's or libyaml's fixed words.
    pub message: String,
    /// 1-based line and column, when known.
    pub location: Option<(usize, usize)>,
}

impl ReadError {
    fn at(message: impl Into<String>, mark: Mark) -> ReadError {
        ReadError {
            message: message.into(),
            location: Some((mark.line, mark.column)),
        }
    }
}

/// The message, then ` at line L, column C` when the place is known.
impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        match self.location {
            Some((line, column)) => write!(f, " at line {line}, column {column}"),
            None => Ok(()),
        }
    }
}

/// Reads `text` as one YAML document, within the budget.
pub fn parse(text: &str) -> Result<Value, ReadError> {
    let scanned = scan(text)?;
    if scanned.documents > 1 {
        return Err(ReadError {
            message: "it holds more than one YAML document (`---`)".into(),
            location: scanned.second_document.map(|m| (m.line, m.column)),
        });
    }
    serde_yaml::from_str(text).map_err(refused)
}

/// Reads every document of a `---`-separated stream, in order, within one
/// budget for the whole stream. An empty document is [`Value::Null`].
pub fn documents(text: &str) -> Result<Vec<Value>, ReadError> {
    scan(text)?;
    serde_yaml::Deserializer::from_str(text)
        .map(|doc| Value::deserialize(doc).map_err(refused))
        .collect()
}

/// What serde_yaml refuses in a text libyaml read within the budget, in
/// fixed words: its own message may quote the text.
fn refused(e: serde_yaml::Error) -> ReadError {
    let said = e.to_string();
    let message = if said.contains("invalid value") || said.contains("invalid type") {
        "a tagged value is not what its tag says (such as `!!int` on text that is not a number)"
    } else if said.contains("duplicate entry") {
        "a mapping holds the same key twice"
    } else if said.contains("recursion limit") {
        "collections nest too deep"
    } else if said.contains("repetition limit") {
        "aliases are used too many times"
    } else if said.contains("unknown anchor") {
        "an alias names an anchor not defined before it"
    } else if said.contains("more than one document") {
        "it holds more than one YAML document (`---`)"
    } else {
        "it is not YAML kubetoml reads"
    };
    ReadError {
        message: message.into(),
        location: e.location().map(|l| (l.line(), l.column())),
    }
}

/// A place in the text, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mark {
    line: usize,
    column: usize,
}

/// What [`scan`] found.
#[derive(Debug, Default)]
struct Scanned {
    /// How many documents the stream holds.
    documents: usize,
    /// Where the second starts, if there is one.
    second_document: Option<Mark>,
}

/// One event of libyaml's, as much of it as the budget needs.
#[derive(Debug)]
enum Event {
    DocumentStart,
    DocumentEnd,
    StreamEnd,
    /// A scalar, with its anchor and whether it is tagged.
    Scalar(Option<Vec<u8>>, bool),
    /// A sequence or mapping starts.
    Start(Option<Vec<u8>>, bool),
    /// A sequence or mapping ends.
    End,
    /// An alias to the anchor named.
    Alias(Vec<u8>),
    /// Stream start and anything else that is not a node.
    Other,
}

/// One open collection.
struct Open {
    /// The anchor it defines, as an index in `Budget::anchors`.
    anchor: Option<usize>,
    /// Nodes counted before it started.
    nodes_before: usize,
    /// Its own levels (1, 2 when tagged) plus the deepest of its children.
    height: usize,
    /// Its own levels.
    levels: usize,
}

/// The running count of one stream.
#[derive(Default)]
struct Budget {
    nodes: usize,
    open: Vec<Open>,
    /// The levels of `open`, added up: the depth of the next node.
    depth: usize,
    /// This document's anchors: name to index in `sizes`; the latest
    /// definition of a name wins, as in serde_yaml.
    names: HashMap<Vec<u8>, usize>,
    /// Each anchor's node count and height; `None` while it is still open.
    sizes: Vec<Option<(usize, usize)>>,
}

impl Budget {
    /// Counts `nodes` nodes of `height` levels placed in the open collection.
    fn add(&mut self, nodes: usize, height: usize, at: Mark) -> Result<(), ReadError> {
        self.nodes = self.nodes.saturating_add(nodes);
        if self.nodes > MAX_NODES {
            return Err(ReadError::at(
                format!(
                    "it holds more than {MAX_NODES} values (each alias counted as all \
                     it repeats): more than kubetoml reads"
                ),
                at,
            ));
        }
        if self.depth + height > MAX_DEPTH {
            return Err(ReadError::at(
                format!(
                    "collections nest more than {MAX_DEPTH} levels deep (aliases expanded): \
                     more than kubetoml reads"
                ),
                at,
            ));
        }
        if let Some(parent) = self.open.last_mut() {
            parent.height = parent.height.max(parent.levels + height);
        }
        Ok(())
    }

    fn define(&mut self, anchor: Option<Vec<u8>>, size: Option<(usize, usize)>) -> Option<usize> {
        let name = anchor?;
        self.sizes.push(size);
        let index = self.sizes.len() - 1;
        self.names.insert(name, index);
        Some(index)
    }

    fn event(&mut self, event: Event, at: Mark) -> Result<(), ReadError> {
        match event {
            Event::DocumentStart => {
                self.names.clear();
                self.sizes.clear();
            }
            Event::Scalar(anchor, tagged) => {
                let height = usize::from(tagged);
                self.add(1, height, at)?;
                self.define(anchor, Some((1, height)));
            }
            Event::Start(anchor, tagged) => {
                let levels = 1 + usize::from(tagged);
                self.add(1, levels, at)?;
                let nodes_before = self.nodes - 1;
                let anchor = self.define(anchor, None);
                self.depth += levels;
                self.open.push(Open {
                    anchor,
                    nodes_before,
                    height: levels,
                    levels,
                });
            }
            Event::End => {
                if let Some(closed) = self.open.pop() {
                    self.depth -= closed.levels;
                    if let Some(parent) = self.open.last_mut() {
                        parent.height = parent.height.max(parent.levels + closed.height);
                    }
                    if let Some(i) = closed.anchor {
                        self.sizes[i] = Some((self.nodes - closed.nodes_before, closed.height));
                    }
                }
            }
            Event::Alias(name) => {
                let size = self.names.get(&name).map(|&i| self.sizes[i]);
                match size {
                    None => {
                        return Err(ReadError::at(
                            "an alias names an anchor not defined before it",
                            at,
                        ))
                    }
                    Some(None) => {
                        return Err(ReadError::at(
                            "an alias stands inside its own anchor: it would repeat without end",
                            at,
                        ))
                    }
                    Some(Some((nodes, height))) => self.add(nodes, height, at)?,
                }
            }
            Event::DocumentEnd | Event::StreamEnd | Event::Other => {}
        }
        Ok(())
    }
}

/// Streams libyaml's events over `text`, counting them against the budget;
/// `Err` at the first thing over it, or libyaml's own error.
fn scan(text: &str) -> Result<Scanned, ReadError> {
    if text.len() > MAX_BYTES {
        return Err(ReadError {
            message: format!(
                "it is more than {} MiB of YAML: more than kubetoml reads",
                MAX_BYTES >> 20
            ),
            location: None,
        });
    }
    let mut parser = libyaml::Parser::new(text.as_bytes());
    let mut budget = Budget::default();
    let mut scanned = Scanned::default();
    loop {
        let (event, at) = parser.next()?;
        match event {
            Event::StreamEnd => return Ok(scanned),
            Event::DocumentStart => {
                scanned.documents += 1;
                if scanned.documents == 2 {
                    scanned.second_document = Some(at);
                }
            }
            _ => {}
        }
        budget.event(event, at)?;
    }
}

/// libyaml's event parser, the one serde_yaml uses, reduced to what the
/// budget needs. The only unsafe code outside `write::memory`: libyaml is a
/// C library translated to Rust, and its API is raw pointers.
#[allow(unsafe_code)]
mod libyaml {
    use std::ffi::CStr;
    use std::marker::PhantomData;
    use std::mem::MaybeUninit;

    // Named as serde_yaml names it; every use is inside an `unsafe` block anyway.
    #[allow(clippy::unsafe_removed_from_name)]
    use unsafe_libyaml as sys;

    use super::{Event, Mark, ReadError};

    /// A parser over borrowed text. Boxed: libyaml keeps a pointer to the
    /// parser in the parser (its read handler's data), so it must not move.
    pub(super) struct Parser<'text> {
        sys: Box<MaybeUninit<sys::yaml_parser_t>>,
        text: PhantomData<&'text [u8]>,
        done: bool,
    }

    impl<'text> Parser<'text> {
        pub(super) fn new(text: &'text [u8]) -> Parser<'text> {
            let mut sys = Box::new(MaybeUninit::<sys::yaml_parser_t>::uninit());
            let parser = sys.as_mut_ptr();
            // SAFETY: `parser` points to memory owned by the box, which
            // libyaml initialises (it zeroes the struct and allocates its
            // buffers; a failed allocation aborts in Rust). The text outlives
            // the parser ('text), as `set_input_string` requires.
            unsafe {
                if sys::yaml_parser_initialize(parser).fail {
                    panic!("libyaml could not allocate its parser");
                }
                sys::yaml_parser_set_encoding(parser, sys::YAML_UTF8_ENCODING);
                sys::yaml_parser_set_input_string(parser, text.as_ptr(), text.len() as u64);
            }
            Parser {
                sys,
                text: PhantomData,
                done: false,
            }
        }

        /// The next event and where it starts; after the stream's end, the end again.
        pub(super) fn next(&mut self) -> Result<(Event, Mark), ReadError> {
            if self.done {
                return Ok((
                    Event::StreamEnd,
                    Mark {
                        line: 0,
                        column: 0,
                    },
                ));
            }
            let parser = self.sys.as_mut_ptr();
            let mut raw = MaybeUninit::<sys::yaml_event_t>::uninit();
            // SAFETY: the parser was initialised in `new` and is not used
            // after a failure (`done`); a successful `yaml_parser_parse`
            // initialises the event, which is read while it is alive and then
            // deleted exactly once. Anchors are NUL-terminated strings libyaml
            // owns until `yaml_event_delete`; they are copied out before it.
            unsafe {
                if (&*parser).error != sys::YAML_NO_ERROR
                    || sys::yaml_parser_parse(parser, raw.as_mut_ptr()).fail
                {
                    self.done = true;
                    return Err(parse_error(&*parser));
                }
                let raw = raw.as_mut_ptr();
                let at = mark((*raw).start_mark);
                let anchor = |p: *const u8| {
                    (!p.is_null()).then(|| CStr::from_ptr(p.cast()).to_bytes().to_vec())
                };
                let event = match (*raw).type_ {
                    sys::YAML_DOCUMENT_START_EVENT => Event::DocumentStart,
                    sys::YAML_DOCUMENT_END_EVENT => Event::DocumentEnd,
                    sys::YAML_STREAM_END_EVENT => {
                        self.done = true;
                        Event::StreamEnd
                    }
                    sys::YAML_SCALAR_EVENT => {
                        let s = (*raw).data.scalar;
                        Event::Scalar(anchor(s.anchor), !s.tag.is_null())
                    }
                    sys::YAML_SEQUENCE_START_EVENT => {
                        let s = (*raw).data.sequence_start;
                        Event::Start(anchor(s.anchor), !s.tag.is_null())
                    }
                    sys::YAML_MAPPING_START_EVENT => {
                        let m = (*raw).data.mapping_start;
                        Event::Start(anchor(m.anchor), !m.tag.is_null())
                    }
                    sys::YAML_SEQUENCE_END_EVENT | sys::YAML_MAPPING_END_EVENT => Event::End,
                    sys::YAML_ALIAS_EVENT => {
                        Event::Alias(anchor((*raw).data.alias.anchor).unwrap_or_default())
                    }
                    _ => Event::Other,
                };
                sys::yaml_event_delete(raw);
                Ok((event, at))
            }
        }
    }

    impl Drop for Parser<'_> {
        fn drop(&mut self) {
            // SAFETY: initialised in `new`, deleted once, here.
            unsafe { sys::yaml_parser_delete(self.sys.as_mut_ptr()) }
        }
    }

    fn mark(m: sys::yaml_mark_t) -> Mark {
        Mark {
            line: m.line as usize + 1,
            column: m.column as usize + 1,
        }
    }

    /// libyaml's problem and context: fixed phrases of its own (its source
    /// holds no other), checked again here to be short plain words, so that
    /// nothing of the text can ride along.
    fn parse_error(parser: &sys::yaml_parser_t) -> ReadError {
        let phrase = |p: *const std::ffi::c_char| {
            if p.is_null() {
                return None;
            }
            // SAFETY: libyaml's problem and context are NUL-terminated
            // static strings.
            let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
            let plain = bytes.len() <= 80
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || b" ',-<>!%:.[]{}()".contains(b));
            plain.then(|| String::from_utf8_lossy(bytes).into_owned())
        };
        let problem = phrase(parser.problem).unwrap_or_else(|| "it is not YAML".into());
        let message = match phrase(parser.context) {
            Some(context) => format!("{problem} ({context})"),
            None => problem,
        };
        ReadError::at(message, mark(parser.problem_mark))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_reads_document_by_document() {
        let docs = documents("a: 1\n---\n- x\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0]["a"], Value::Number(1.into()));
        assert!(docs[1].is_sequence());
    }

    #[test]
    fn errors_say_where() {
        let e = parse("a: [1\n").unwrap_err();
        assert!(e.location.is_some(), "{e:?}");
        assert!(!e.message.is_empty());
    }

    #[test]
    fn errors_never_quote_the_text() {
        for text in [
            "a: !!int SECRET_MARKER\n",
            "a: !!bool SECRET_MARKER\n",
            "a: !!float SECRET_MARKER\n",
            "a: !!null SECRET_MARKER\n",
            "SECRET_MARKER: 1\nSECRET_MARKER: 2\n",
            "a: \"SECRET_MARKER\n",
            "a: SECRET_MARKER: b\n",
            "a: *SECRET_MARKER\n",
            "a: !e!SECRET_MARKER 1\n",
            "a: \"\\qSECRET_MARKER\"\n",
            "a: &SECRET_MARKER [*SECRET_MARKER]\n",
        ] {
            let e = documents(text).unwrap_err();
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains("SECRET"), "{text:?}: {shown}");
        }
    }

    #[test]
    fn empty_documents_are_null() {
        assert_eq!(documents("").unwrap(), vec![Value::Null]);
        assert_eq!(parse("").unwrap(), Value::Null);
        let docs = documents("---\n---\na: 1\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert!(docs[0].is_null() && docs[1].is_mapping());
    }

    #[test]
    fn parse_takes_one_document() {
        let e = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(e.location, Some((2, 1)), "{e}");
    }

    fn aliased(items: usize, uses: usize) -> String {
        let mut text = format!("a: &a [{}]\nb:\n", vec!["x"; items].join(","));
        for _ in 0..uses {
            text.push_str("- *a\n");
        }
        text
    }

    #[test]
    fn aliases_count_all_they_repeat() {
        // 1000 items, aliased 1000 times: a million and more, in 5 KB.
        let e = documents(&aliased(1000, 1000)).unwrap_err();
        assert!(e.message.contains("more than 500000 values"), "{e}");
        // The alias that passes the budget: 1005 nodes first, then 1001 each.
        let line = 2 + (MAX_NODES - 1005) / 1001 + 1;
        assert_eq!(e.location, Some((line, 3)), "{e}");
        // Within the budget, it reads.
        assert_eq!(documents(&aliased(1000, 400)).unwrap().len(), 1);
    }

    #[test]
    fn nested_aliases_multiply() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = format!("*a{}", i - 1);
            text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        let e = documents(&text).unwrap_err();
        assert!(e.message.contains("values"), "{e}");
    }

    #[test]
    fn deep_nesting_stops_at_the_limit_and_fast() {
        let text = format!("{}{}", "[".repeat(2_000_000), "]".repeat(2_000_000));
        let start = std::time::Instant::now();
        let e = documents(&text).unwrap_err();
        assert!(e.message.contains("nest more than 100"), "{e}");
        assert_eq!(e.location, Some((1, MAX_DEPTH + 1)));
        assert!(start.elapsed().as_secs() < 5);
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(documents(&ok).is_ok());
        let block = (0..MAX_DEPTH + 1)
            .map(|i| format!("{}k:\n", "  ".repeat(i)))
            .collect::<String>();
        assert!(documents(&block).unwrap_err().message.contains("nest"));
    }

    #[test]
    fn an_alias_to_a_deep_anchor_counts_its_depth() {
        let deep = format!("{}1{}", "[".repeat(60), "]".repeat(60));
        let text = format!("a: &a {deep}\nb: {}*a{}\n", "[".repeat(50), "]".repeat(50));
        let e = documents(&text).unwrap_err();
        assert!(e.message.contains("nest"), "{e}");
        assert_eq!(e.location.map(|l| l.0), Some(2));
    }

    #[test]
    fn wide_sequences_stop_at_the_node_limit() {
        let text = format!("[{}]", vec!["a"; MAX_NODES].join(","));
        let e = documents(&text).unwrap_err();
        assert!(e.message.contains("more than 500000 values"), "{e}");
    }

    #[test]
    fn an_alias_inside_its_anchor_or_undefined_is_refused() {
        assert!(documents("a: &a [*a]\n")
            .unwrap_err()
            .message
            .contains("its own anchor"));
        assert!(documents("a: *b\nb: &b 1\n")
            .unwrap_err()
            .message
            .contains("not defined"));
        // Anchors are per document.
        assert!(documents("a: &b 1\n---\nc: *b\n").is_err());
        // Redefined: the latest wins.
        assert_eq!(
            documents("a: &b [&b 1, *b]\n").unwrap()[0]["a"][1],
            Value::Number(1.into())
        );
    }

    #[test]
    fn too_much_text_is_refused_before_reading() {
        let text = "#".repeat(MAX_BYTES + 1);
        assert!(documents(&text).unwrap_err().message.contains("4 MiB"));
    }
}
