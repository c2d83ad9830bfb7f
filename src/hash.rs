//! temporary
use std::collections::BTreeMap;
/// x
pub fn configmap_suffix(_d: &BTreeMap<String, String>, _b: &BTreeMap<String, Vec<u8>>) -> String { "tmp".into() }
/// x
pub fn secret_suffix(_t: &str, _d: &BTreeMap<String, Vec<u8>>) -> String { "tmp".into() }
