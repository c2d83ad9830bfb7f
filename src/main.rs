//! The `kubetoml` command line (a stub until the CLI lands).
fn main() {}
