//! The Python interpreter the tests run their Python tools with (PyYAML,
//! `kubernetes-validate`): the one `.ci/test` installs them into.
//!
//! `KUBETOML_PYTHON` when set (`.ci/test` sets it to `.venv/bin/python`), else
//! the project's `.venv/bin/python` when it exists, else `python3`. Every tool
//! is run as a module of that interpreter (`python -m kubernetes_validate`),
//! the same way `.ci/test` checks for it, so a script missing from PATH cannot
//! make a test fail; a missing module fails the test with the command that
//! installs it, never a silent skip.

use std::path::PathBuf;
use std::process::Command;

/// The interpreter to run.
pub fn interpreter() -> PathBuf {
    if let Some(python) = std::env::var_os("KUBETOML_PYTHON").filter(|p| !p.is_empty()) {
        return PathBuf::from(python);
    }
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    if venv.is_file() {
        return venv;
    }
    PathBuf::from("python3")
}

/// A command running the interpreter, after checking that it imports `module`
/// (panics with how to install it otherwise).
pub fn with_module(module: &str) -> Command {
    let python = interpreter();
    let probe = Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output();
    let problem = match probe {
        Ok(out) if out.status.success() => return Command::new(python),
        Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_string(),
        Err(e) => e.to_string(),
    };
    panic!(
        "{} cannot import `{module}` ({problem}): run `bash .ci/test`, which installs \
         .ci/requirements.txt into .venv, or point KUBETOML_PYTHON at a python that has it",
        python.display()
    )
}
