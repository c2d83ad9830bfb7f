//! temporary
use std::borrow::Cow;
/// x
pub fn scalar(s: &str) -> Cow<'_, str> { Cow::Owned(serde_json::to_string(s).unwrap()) }
/// x
pub fn block(s: &str, _indent: usize) -> String { scalar(s).into_owned() }
