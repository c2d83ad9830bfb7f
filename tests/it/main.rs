//! The integration tests, in one binary: each module below was its own test
//! file, and linking the crate into fifteen binaries cost more than running
//! them. `cargo test --test it MODULE::` runs one of them.

mod common;
mod hostile;
mod memory;
mod python;
mod pyyaml;

mod against;
mod bad_inputs;
mod check;
mod checkov;
mod cli;
mod companions;
mod examples;
mod explain;
mod fuzz_regressions;
mod house;
mod import;
mod import_corpus;
mod json_schema;
mod kubectl_parity;
mod kubectl_secretfmt;
mod kustomize_hash;
mod kustomize_names;
mod layers;
mod library;
mod parallel;
mod pod_features;
mod pod_security;
mod readback;
mod roundtrip;
mod schema;
mod secrecy;
mod secrecy_props;
mod shell;
mod yaml_roundtrip;
