//! Stage 4, writing: the checked model in, YAML documents out.
//!
//! [`render`] lays each object out with the minijinja templates (built-in or
//! `--templates`), [`yaml`] quotes scalars as kubectl reads them,
//! [`secretfmt`] and [`gojson`] write what kubectl and kustomize write byte
//! for byte, [`hash`] gives kustomize's name suffixes and the config hash,
//! and [`memory`] bounds what a user template may allocate.

pub mod gojson;
pub mod hash;
pub mod memory;
pub mod render;
pub mod secretfmt;
pub mod yaml;
