//! The command line's own work, beside the library: writing output folders
//! ([`output_dir`]) and checking them ([`check_dir`]), writing what
//! `import` and `init` give ([`import_cli`]). Only the binary uses these.

pub mod check_dir;
pub mod fault;
pub mod import_cli;
pub mod journal;
pub mod output_dir;
pub mod terminal;
