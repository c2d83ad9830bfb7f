//! kubetoml: compile a TOML description of a stateful app into Kubernetes YAML.

pub mod yaml;
