//! Running the real `kubectl`, which these tests take as the ground truth.

use std::process::{Command, Output};

/// Runs `kubectl ARGS` (in `dir` when given). A missing kubectl fails the test with a
/// clear message rather than skipping it: CI always has kubectl 1.32.
pub fn kubectl(args: &[&str], dir: Option<&std::path::Path>) -> Output {
    let mut cmd = Command::new("kubectl");
    cmd.args(args);
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    match cmd.output() {
        Ok(out) => out,
        Err(e) => panic!(
            "could not run `kubectl` ({e}): these tests compare kubetoml with kubectl 1.32 \
             and its kustomize v5.5, so kubectl must be on PATH"
        ),
    }
}

/// The bytes of a TLS fixture in `tests/fixtures/tls`.
pub fn tls_fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
