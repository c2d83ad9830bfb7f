//! Values from the build environment: the `[from_env]` table names, for
//! a string field, the variable that sets it (`image = "CI_IMAGE"`).
//!
//! Nothing else reads the environment: text that merely looks like shell
//! (`"echo ${HOSTNAME}"`) stays as written. A variable that is unset, or
//! set but empty, is an error; a field that is not a string, or is part of
//! a Secret (which has its own `from_env`), is refused.

use std::borrow::Cow;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::diag::Diagnostic;
use crate::read::sources::Sources;

/// The table's name.
pub const FROM_ENV: &str = "from_env";

/// Takes `[from_env]` out of `doc` and reads each variable it names from
/// `sources`: the table of values to merge over `doc` (each value's span
/// is its variable's name), and what went wrong.
pub fn take<'a>(doc: &mut DeTable<'a>, sources: &dyn Sources) -> (DeTable<'a>, Vec<Diagnostic>) {
    let mut read = Read {
        sources,
        diagnostics: Vec::new(),
    };
    let Some(table) = doc.remove(FROM_ENV) else {
        return (DeTable::new(), Vec::new());
    };
    let values = read.value(table, &mut Vec::new());
    let values = match values.map(Spanned::into_inner) {
        Some(DeValue::Table(values)) => values,
        _ => DeTable::new(),
    };
    (values, read.diagnostics)
}

struct Read<'s> {
    sources: &'s dyn Sources,
    diagnostics: Vec<Diagnostic>,
}

impl Read<'_> {
    /// The value `entry` stands for at `path`: a table of them, or a
    /// variable's value; `None` when it cannot be read.
    fn value<'a>(
        &mut self,
        entry: Spanned<DeValue<'a>>,
        path: &mut Vec<String>,
    ) -> Option<Spanned<DeValue<'a>>> {
        let span = entry.span();
        match entry.into_inner() {
            DeValue::Table(table) => {
                let mut values = DeTable::new();
                for (key, entry) in table {
                    path.push(key.get_ref().to_string());
                    if let Some(value) = self.value(entry, path) {
                        values.insert(key, value);
                    }
                    path.pop();
                }
                Some(Spanned::new(span, DeValue::Table(values)))
            }
            DeValue::String(var) => self.variable(&var, span, path),
            _ => {
                self.diagnostics.push(
                    Diagnostic::error(
                        "`from_env` maps a field to a variable's name",
                        span,
                        "not a variable name",
                    )
                    .with_help("write `image = \"CI_IMAGE\"`: the field, then the variable in quotes"),
                );
                None
            }
        }
    }

    fn variable<'a>(
        &mut self,
        var: &str,
        span: std::ops::Range<usize>,
        path: &[String],
    ) -> Option<Spanned<DeValue<'a>>> {
        let field = crate::read::layers::dotted(path);
        let keys: Vec<&str> = path.iter().map(String::as_str).collect();
        let refuse = |message: String, help: &str| {
            Diagnostic::error(message, span.clone(), "read at build time").with_help(help)
        };
        if keys.first() == Some(&"secrets") {
            let help = "a Secret reads its values with `[secrets.NAME] from_env = { key = \"VAR\" }`";
            self.diagnostics.push(refuse(format!("`from_env` cannot set `{field}`"), help));
            return None;
        }
        let kinds = crate::read::set_arg::field_kinds(&keys);
        if !kinds.is_empty() && !kinds.iter().any(|k| k == "string") {
            let help = "`from_env` sets string fields; use `--set` for the others";
            self.diagnostics.push(refuse(format!("`{field}` is not a string field"), help));
            return None;
        }
        let bytes = match self.sources.env_var(var) {
            Ok(Some(bytes)) if bytes.is_empty() => {
                let help = format!("give `{var}` a value, or remove `{field}` from `[from_env]`");
                let message = format!("environment variable `{var}` is set but empty");
                self.diagnostics.push(refuse(message, &help));
                return None;
            }
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                let help = format!("export {var}=... before running kubetoml");
                let message = format!("environment variable `{var}` is not set");
                self.diagnostics.push(refuse(message, &help));
                return None;
            }
            Err(e) => {
                let d = Diagnostic::error(e.message, span, e.label);
                self.diagnostics.push(match e.help {
                    Some(help) => d.with_help(help),
                    None => d,
                });
                return None;
            }
        };
        match String::from_utf8(bytes) {
            Ok(text) => Some(Spanned::new(span, DeValue::String(Cow::Owned(text)))),
            Err(_) => {
                let message = format!("environment variable `{var}` is not valid UTF-8");
                self.diagnostics.push(refuse(message, "a field's value must be text"));
                None
            }
        }
    }
}
