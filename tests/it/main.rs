//! The integration tests, in one binary: each module below was its own test
//! file, and linking the crate into fifteen binaries cost more than running
//! them. `cargo test --test it MODULE::` runs one of them.

// Tests and benches print what they like: the escaping rule (clippy.toml) is the binary's.
#![allow(clippy::disallowed_macros, clippy::disallowed_methods)]

mod common;
mod hostile;
mod memory;
mod python;
mod pyyaml;

mod against;
mod bad_inputs;
mod book;
mod check;
mod checkov;
mod cli;
mod companions;
mod corpus_against;
mod examples;
mod explain;
mod folders;
mod fuzz_regressions;
mod house;
mod import;
mod import_corpus;
mod integrations;
mod jobs;
mod json_schema;
mod kubectl_parity;
mod kubectl_secretfmt;
mod kustomize_hash;
mod kustomize_names;
mod layers;
mod library;
mod limits;
mod parallel;
mod pod_features;
mod pod_security;
mod readback;
mod readers;
mod roles;
mod roundtrip;
mod schema;
mod secrecy;
mod secrecy_props;
mod shell;
mod terminal;
mod yaml_roundtrip;
