//! Faults injected by tests, in debug builds only: with `KUBETOML_FAULT=crash:STEP`
//! the process aborts at STEP (as a kill or a power cut would stop it), with
//! `KUBETOML_FAULT=fail:STEP` the step fails with an I/O error (as a read-only folder
//! or a full disk would make it). Release builds compile both to nothing.

/// Aborts here when the test asked for a crash at `step`.
pub fn crash(step: &str) {
    if cfg!(debug_assertions) && asked("crash", step) {
        std::process::abort();
    }
}

/// An I/O error here when the test asked for `step` to fail.
pub fn fail(step: &str) -> std::io::Result<()> {
    if cfg!(debug_assertions) && asked("fail", step) {
        return Err(std::io::Error::other(format!(
            "injected failure at `{step}`"
        )));
    }
    Ok(())
}

fn asked(how: &str, step: &str) -> bool {
    std::env::var("KUBETOML_FAULT").is_ok_and(|v| v.split_once(':') == Some((how, step)))
}
