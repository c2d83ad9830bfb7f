//! The command line's own work, beside the library: writing output folders
//! ([`output_dir`]) and checking them ([`check_dir`]), writing what
//! `import` and `init` give ([`import_cli`]), finding the descriptions in a
//! folder ([`folder`]), Argo CD's plugin contract ([`argocd`]). Only the
//! binary uses these.

pub mod argocd;
pub mod check_dir;
pub mod fault;
pub mod folder;
pub mod import_cli;
pub mod journal;
pub mod output_dir;
pub mod terminal;
