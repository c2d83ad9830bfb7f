//! Reading YAML: the only module that names serde_yaml.
//!
//! serde_yaml is archived upstream. Everything kubetoml reads as YAML (a
//! user template's output, a previous render for `--against`) goes through
//! here, so a successor (one of its maintained forks, which keep its
//! `Value` API) is swapped in this one file.

use std::fmt;

use serde::Deserialize as _;
pub use serde_yaml::{Mapping, Value};

/// Why a text is not YAML: the reader's message, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// The reader's own words.
    pub message: String,
    /// 1-based line and column, when the reader knows them.
    pub location: Option<(usize, usize)>,
}

impl From<serde_yaml::Error> for ReadError {
    fn from(e: serde_yaml::Error) -> ReadError {
        ReadError {
            message: e.to_string(),
            location: e.location().map(|l| (l.line(), l.column())),
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Reads `text` as one YAML document.
pub fn parse(text: &str) -> Result<Value, ReadError> {
    Ok(serde_yaml::from_str(text)?)
}

/// Reads every document of a `---`-separated stream, in order.
pub fn documents(text: &str) -> impl Iterator<Item = Result<Value, ReadError>> + '_ {
    serde_yaml::Deserializer::from_str(text).map(|doc| Ok(Value::deserialize(doc)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_reads_document_by_document() {
        let docs: Vec<_> = documents("a: 1\n---\n- x\n").collect();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].as_ref().unwrap()["a"], Value::Number(1.into()));
        assert!(docs[1].as_ref().unwrap().is_sequence());
    }

    #[test]
    fn errors_say_where() {
        let e = parse("a: [1\n").unwrap_err();
        assert!(e.location.is_some(), "{e:?}");
        assert!(!e.message.is_empty());
    }
}
