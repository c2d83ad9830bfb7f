//! The `kubetoml` command line.

fn main() {}
