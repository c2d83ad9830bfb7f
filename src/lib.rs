//! kubetoml: compile a TOML description of a stateful app into Kubernetes YAML.

mod gojson;
pub mod hash;
pub mod secretfmt;
