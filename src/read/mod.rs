//! Stage 1, reading: a description and its layers in, one typed [`spec::Spec`] out.
//!
//! Takes the TOML text of a description, its environment, overlays and
//! `--set` arguments ([`layers`], [`set_arg`], merged by [`compose`]), and
//! the files, folders and build-time variables they name ([`sources`],
//! [`build_env`]); gives the [`spec::Spec`] that lowering takes. Also here:
//! the format's JSON Schema ([`schema`]), the table budget every
//! description and overlay is counted against before it is parsed
//! ([`tables`]), the starter description ([`init`]) and the one YAML reader
//! every YAML input goes through ([`yamlread`]).

pub mod build_env;
pub mod compose;
pub mod init;
pub mod layers;
pub mod schema;
pub mod set_arg;
pub mod sources;
pub mod spec;
pub mod tables;
pub mod yamlread;
