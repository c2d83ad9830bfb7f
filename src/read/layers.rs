//! Layers merged over a description before it is read: its selected
//! `[environments.NAME]`, `--overlay` files and `--set` arguments.
//!
//! Every layer is a parsed TOML table whose spans point into one joined
//! source (see [`crate::diag::Source::join`]), so the merged document is
//! deserialized like a description and each error points at the layer,
//! file and line that set the value. Tables merge key by key; anything
//! else (a value, an array) is replaced whole.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::diag::{quote_list, suggest, Diagnostic};

/// The top-level table of environments.
pub const ENVIRONMENTS: &str = "environments";

/// What no layer but the description itself may set.
const BASE_ONLY: &[&str] = &["name", ENVIRONMENTS];

/// One value a layer set: its dotted path and where the layer wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `volumes.www.size`, keys quoted when they are not bare.
    pub path: String,
    /// The value's span in the joined source.
    pub span: Range<usize>,
}

/// `table` with every span moved `by` bytes: a layer's parse placed at its
/// start in the joined source.
pub fn shift_table(table: DeTable<'_>, by: usize) -> DeTable<'_> {
    let mut shifted = DeTable::new();
    for (key, value) in table {
        let span = key.span();
        let key = Spanned::new(span.start + by..span.end + by, key.into_inner());
        shifted.insert(key, shift_value(value, by));
    }
    shifted
}

fn shift_value(value: Spanned<DeValue<'_>>, by: usize) -> Spanned<DeValue<'_>> {
    let span = value.span();
    let inner = match value.into_inner() {
        DeValue::Table(table) => DeValue::Table(shift_table(table, by)),
        DeValue::Array(items) => {
            DeValue::Array(items.into_iter().map(|v| shift_value(v, by)).collect())
        }
        other => other,
    };
    Spanned::new(span.start + by..span.end + by, inner)
}

/// Merges `over` into `base`: a table into a table key by key, anything
/// else replaces what was there. Each value set is added to `changes`.
pub fn merge<'a>(base: &mut DeTable<'a>, over: DeTable<'a>, changes: &mut Vec<Change>) {
    merge_at(base, over, &mut Vec::new(), changes);
}

fn merge_at<'a>(
    base: &mut DeTable<'a>,
    over: DeTable<'a>,
    path: &mut Vec<String>,
    changes: &mut Vec<Change>,
) {
    for (key, value) in over {
        path.push(key.get_ref().to_string());
        let both_tables = matches!(value.get_ref(), DeValue::Table(_))
            && matches!(base.get(key.get_ref().as_ref()).map(|v| v.get_ref()), Some(DeValue::Table(_)));
        if both_tables {
            let DeValue::Table(over) = value.into_inner() else {
                unreachable!("checked above")
            };
            if let Some(DeValue::Table(inner)) = base.get_mut(key.get_ref().as_ref()).map(|v| v.get_mut()) {
                merge_at(inner, over, path, changes);
            }
        } else {
            record(&value, path, changes);
            // Removed first, so that the key's span is the layer's.
            base.remove(key.get_ref().as_ref());
            base.insert(key, value);
        }
        path.pop();
    }
}

/// What [`merge`] of `over` into `base` gives, but only where `over` reaches: the
/// keys `over` sets, and the tables of `base` on their way, each holding only what
/// `over` touches. Spans are [`merge`]'s (a table both have keeps `base`'s). Checking
/// a layer this way costs its own size, whatever the size of `base`.
pub fn merge_pruned<'a>(base: &DeTable<'a>, over: DeTable<'a>) -> DeTable<'a> {
    let mut out = DeTable::new();
    for (key, value) in over {
        let span = value.span();
        let under = (base.get_key_value(key.get_ref().as_ref())).and_then(|(k, v)| match v.get_ref() {
            DeValue::Table(table) => Some((k, v.span(), table)),
            _ => None,
        });
        match (value.into_inner(), under) {
            (DeValue::Table(over), Some((base_key, base_span, inner))) => {
                let merged = DeValue::Table(merge_pruned(inner, over));
                out.insert(base_key.clone(), Spanned::new(base_span, merged));
            }
            (inner, _) => {
                out.insert(key, Spanned::new(span, inner));
            }
        }
    }
    out
}

/// Adds every value in `value` (itself, or a new table's leaves) to `changes`.
fn record(value: &Spanned<DeValue<'_>>, path: &mut Vec<String>, changes: &mut Vec<Change>) {
    match value.get_ref() {
        DeValue::Table(table) => {
            for (key, value) in table.iter() {
                path.push(key.get_ref().to_string());
                record(value, path, changes);
                path.pop();
            }
        }
        _ => changes.push(Change {
            path: dotted(path),
            span: value.span(),
        }),
    }
}

/// `path` as a dotted TOML key.
pub fn dotted(path: &[impl AsRef<str>]) -> String {
    let key = |k: &str| {
        let bare = !k.is_empty()
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if bare {
            k.to_owned()
        } else {
            format!("{k:?}")
        }
    };
    path.iter()
        .map(|k| key(k.as_ref()))
        .collect::<Vec<_>>()
        .join(".")
}

/// An environment's name and table.
pub type Named<'a> = (Spanned<String>, DeTable<'a>);

/// The environments of a description, taken out of it.
pub struct Environments<'a> {
    /// The `environments` key's span, when there is one.
    key: Option<Range<usize>>,
    /// Each environment's name and table, in the description's order.
    tables: Vec<Named<'a>>,
}

impl<'a> Environments<'a> {
    /// Takes `environments` out of `doc`, with a diagnostic for each
    /// environment that is not a table or sets what only the description
    /// itself may.
    pub fn take(doc: &mut DeTable<'a>) -> (Environments<'a>, Vec<Diagnostic>) {
        let mut envs = Environments {
            key: None,
            tables: Vec::new(),
        };
        let mut diagnostics = Vec::new();
        let Some((key, value)) = doc.remove_entry(ENVIRONMENTS) else {
            return (envs, diagnostics);
        };
        envs.key = Some(key.span());
        let span = value.span();
        let DeValue::Table(table) = value.into_inner() else {
            let d = Diagnostic::error("`environments` must be a table", span, "not a table")
                .with_help("write `[environments.NAME]` tables");
            return (envs, vec![d]);
        };
        for (name, env) in table {
            let span = env.span();
            let DeValue::Table(mut env) = env.into_inner() else {
                let message = format!("environment `{}` must be a table", name.get_ref());
                diagnostics.push(Diagnostic::error(message, span, "not a table"));
                continue;
            };
            diagnostics.extend(refuse_base_only(&mut env, &format!("environment `{}`", name.get_ref())));
            let name = Spanned::new(name.span(), name.get_ref().to_string());
            envs.tables.push((name, env));
        }
        envs.tables.sort_by_key(|(name, _)| name.span().start);
        (envs, diagnostics)
    }

    /// The names defined, in the description's order.
    pub fn names(&self) -> Vec<&str> {
        self.tables.iter().map(|(n, _)| n.get_ref().as_str()).collect()
    }

    /// The table of environment `name`, and the others.
    pub fn select(self, name: &str) -> Result<(DeTable<'a>, Vec<Named<'a>>), Box<Diagnostic>> {
        let names = self.names();
        if !names.contains(&name) {
            let help = suggest(name, &names, "the description defines", "");
            let help = match names.is_empty() {
                true => "the description has no `[environments.NAME]` table".to_owned(),
                false if help.starts_with("did you") => {
                    format!("{help} (defined: {})", quote_list(&names))
                }
                false => help,
            };
            let message = format!("unknown environment `{name}`");
            return Err(Box::new(Diagnostic::bare(message).with_help(help)));
        }
        let (chosen, others): (Vec<_>, Vec<_>) =
            self.tables.into_iter().partition(|(n, _)| n.get_ref() == name);
        let table = chosen.into_iter().next().map(|(_, t)| t).unwrap_or_default();
        Ok((table, others))
    }

    /// Every environment, none selected.
    pub fn all(self) -> Vec<Named<'a>> {
        self.tables
    }
}

/// The top-level table of roles.
pub const ROLES: &str = "roles";

/// What a role may not set: what its description makes once for every role,
/// and what only the description's root may hold. (A role may add or change
/// `[configmaps.X]` and `[secrets.X]` tables, to use them its own way: each
/// object is still made once, and two roles making it differently is an error.)
pub const SHARED: &[&str] = &[
    "name",
    ENVIRONMENTS,
    ROLES,
    "namespace",
    "create_namespace",
    "hash_suffix",
    "jobs",
    "cronjobs",
    "claims",
    "service_account",
    "network_policy",
    "extra_manifests",
    "pod_security",
    "kube_version",
    "allow",
];

/// A role's name and table.
pub type Role<'a> = (Spanned<String>, DeTable<'a>);

/// The most roles a description may have (each is a StatefulSet).
pub const MAX_ROLES: usize = 100;

/// Takes `roles` out of `doc`: each `[roles.NAME]` table, in the
/// description's order, without what a role may not set (each such key
/// is a diagnostic). More than [`MAX_ROLES`] is one diagnostic, and no role.
pub fn take_roles<'a>(doc: &mut DeTable<'a>) -> (Vec<Role<'a>>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let Some((_, value)) = doc.remove_entry(ROLES) else {
        return (Vec::new(), diagnostics);
    };
    let span = value.span();
    let DeValue::Table(table) = value.into_inner() else {
        let d = Diagnostic::error("`roles` must be a table", span, "not a table")
            .with_help("write `[roles.NAME]` tables, one per StatefulSet");
        return (Vec::new(), vec![d]);
    };
    if table.is_empty() {
        let d = Diagnostic::error("`roles` holds no role", span, "empty")
            .with_help("write `[roles.NAME]` tables, one per StatefulSet, or remove `roles`");
        diagnostics.push(d);
    }
    if table.len() > MAX_ROLES {
        // Each role is the whole description merged again: their number is bounded
        // before any is, and none is read.
        let mut names: Vec<_> = table.keys().collect();
        names.sort_by_key(|name| name.span().start);
        let extra = names[MAX_ROLES];
        let message = format!("more than {MAX_ROLES} roles");
        let d = Diagnostic::error(message, extra.span(), "one role too many")
            .with_help("a role is one StatefulSet; split the app into several descriptions");
        diagnostics.push(d);
        return (Vec::new(), diagnostics);
    }
    let mut roles = Vec::new();
    for (name, role) in table {
        let span = role.span();
        let DeValue::Table(mut role) = role.into_inner() else {
            let message = format!("role `{}` must be a table", name.get_ref());
            diagnostics.push(Diagnostic::error(message, span, "not a table"));
            continue;
        };
        for field in SHARED {
            if let Some((key, _)) = role.remove_entry(*field) {
                let message = format!("role `{}` cannot set `{field}`", name.get_ref());
                let help = match *field {
                    "name" => "the app's name is every role's: a role's StatefulSet is named `APP-ROLE`, or set `[statefulset] name` in the role",
                    ENVIRONMENTS | ROLES => "write it at the top level of the description",
                    _ => "every role shares it: set it at the top level of the description",
                };
                diagnostics.push(Diagnostic::error(message, key.span(), "not in a role").with_help(help));
            }
        }
        roles.push((Spanned::new(name.span(), name.get_ref().to_string()), role));
    }
    roles.sort_by_key(|(name, _)| name.span().start);
    (roles, diagnostics)
}

/// The names of the roles `doc` defines.
pub fn role_names(doc: &DeTable<'_>) -> Vec<String> {
    match doc.get(ROLES).map(|v| v.get_ref()) {
        Some(DeValue::Table(roles)) => roles.keys().map(|k| k.get_ref().to_string()).collect(),
        _ => Vec::new(),
    }
}

/// A diagnostic for each role of `merged` that is not one of `defined`
/// (the description's own): a layer may change a role, not add one.
pub fn unknown_roles(merged: &DeTable<'_>, defined: &[String]) -> Vec<Diagnostic> {
    let Some(DeValue::Table(roles)) = merged.get(ROLES).map(|v| v.get_ref()) else {
        return Vec::new();
    };
    let known: Vec<&str> = defined.iter().map(String::as_str).collect();
    let defined: std::collections::BTreeSet<&str> = known.iter().copied().collect();
    (roles.keys())
        .filter(|k| !defined.contains(k.get_ref().as_ref()))
        .map(|k| {
            let help = match known.is_empty() {
                true => "the description has no `[roles.NAME]` table".to_owned(),
                false => suggest(k.get_ref(), &known, "the description defines", ""),
            };
            Diagnostic::error(
                format!("role `{}` is not one of the description's", k.get_ref()),
                k.span(),
                "unknown role",
            )
            .with_help(help)
        })
        .collect()
}

/// Diagnostics for the keys of `table` that only a description's root may
/// hold (`name`, `environments`), taken out of it; `what` names the layer.
pub fn refuse_base_only(table: &mut DeTable<'_>, what: &str) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for field in BASE_ONLY {
        if let Some((key, _)) = table.remove_entry(*field) {
            let message = format!("{what} cannot set `{field}`");
            let help = match *field {
                "name" => "an app's name is the same everywhere: set it in the description",
                _ => "environments are defined in the description itself",
            };
            diagnostics.push(Diagnostic::error(message, key.span(), "not here").with_help(help));
        }
    }
    diagnostics
}

/// The spans of every key and value in `table`: a layer's part of a
/// merged document, to tell its diagnostics from the others'.
pub fn spans(table: &DeTable<'_>) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut stack: Vec<&Spanned<DeValue<'_>>> = Vec::new();
    let push_table = |table: &DeTable<'_>, spans: &mut Vec<Range<usize>>| {
        table.keys().for_each(|k| spans.push(k.span()));
    };
    push_table(table, &mut spans);
    stack.extend(table.values());
    while let Some(value) = stack.pop() {
        spans.push(value.span());
        match value.get_ref() {
            DeValue::Table(t) => {
                push_table(t, &mut spans);
                stack.extend(t.values());
            }
            DeValue::Array(items) => stack.extend(items.iter()),
            _ => {}
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> DeTable<'_> {
        DeTable::parse(src).unwrap().into_inner()
    }

    #[test]
    fn tables_merge_key_by_key_and_values_are_replaced() {
        let mut base = parse("a = 1\n[t]\nx = 1\ny = [1, 2]\n");
        let over = parse("[t]\ny = [3]\nz = { q = 1 }\n");
        let mut changes = Vec::new();
        merge(&mut base, shift_table(over, 100), &mut changes);
        let t = base["t"].get_ref().as_table().unwrap();
        assert!(t.contains_key("x"));
        assert_eq!(t["y"].get_ref().as_array().unwrap().len(), 1);
        let paths: Vec<_> = changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["t.y", "t.z.q"]);
        assert!(changes.iter().all(|c| c.span.start >= 100));
    }

    #[test]
    fn dotted_paths_quote_what_is_not_bare() {
        assert_eq!(dotted(&["labels", "team.example.com/owner"]), "labels.\"team.example.com/owner\"");
    }

    #[test]
    fn environments_may_not_set_the_name() {
        let mut doc = parse("name = \"a\"\n[environments.prod]\nname = \"b\"\nreplicas = 2\n");
        let (envs, diags) = Environments::take(&mut doc);
        assert_eq!(diags.len(), 1);
        assert!(diags[0].message.contains("cannot set `name`"));
        assert!(!doc.contains_key("environments"));
        let err = envs.select("stage").err().unwrap();
        assert_eq!(err.message, "unknown environment `stage`");
        assert!(err.help.unwrap().contains("`prod`"));
    }
}
