//! The diagnostics layer under its former name: see [`crate::diag`].

pub use crate::diag::*;
