//! A description with its layers merged over it, read into a [`Spec`]:
//! its selected environment, then each overlay file, then each `--set`,
//! every error pointing at the layer, file and line that set the value.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::diag::{Diagnostic, Error, ErrorKind, Source};
use crate::read::layers::{self, Change, Environments, ENVIRONMENTS};
use crate::read::sources::{Entry, SourceError, Sources};
use crate::read::spec::{self, Spec};

/// What to merge over a description.
#[derive(Default)]
pub struct Layers<'a> {
    /// The `[environments.NAME]` to merge.
    pub environment: Option<&'a str>,
    /// Overlay files, in order: each one's name in errors and its text.
    pub overlays: Vec<(String, &'a str)>,
    /// `--set PATH=VALUE` arguments, in order.
    pub sets: &'a [String],
}

/// One value a layer set, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The field, as a dotted path.
    pub path: String,
    /// `environment `prod``, `overlay`, `--set`.
    pub layer: String,
    /// `file:line` (for `--set`, the argument).
    pub at: String,
}

/// A description read with its layers.
pub struct Composed {
    /// The description.
    pub spec: Spec,
    /// Every layer's text, masked, joined (the description alone without layers).
    pub masked: Source,
    /// The byte range of each overlay in `masked`.
    pub overlay_ranges: Vec<Range<usize>>,
    /// The values layers set, in the order they were merged.
    pub origins: Vec<Origin>,
}

/// The top-level keys a layer may hold, for masking.
fn known() -> Vec<&'static str> {
    let mut known = spec::SPEC_FIELDS.to_vec();
    known.extend([ENVIRONMENTS, crate::read::build_env::FROM_ENV]);
    known
}

/// Reads the description `source`, named `file`, with `layers` merged over it.
/// Variables named in `[from_env]` are read from `sources`.
pub fn compose(
    file: &str,
    source: &str,
    layers: &Layers<'_>,
    sources: &dyn Sources,
) -> Result<Composed, Error> {
    let Read {
        doc,
        overlay_docs,
        set_docs,
        mut parts,
        raws,
    } = read(file, source, layers)?;
    let (masked, starts) = match parts.len() {
        1 => (parts.pop().map(|(_, s)| s).unwrap_or_default(), vec![0]),
        _ => Source::join(&parts),
    };
    let raw = joined_raw(&raws, &starts);
    let overlay_ranges = (1..=overlay_docs.len())
        .map(|i| starts[i]..starts.get(i + 1).copied().unwrap_or(raw.len()))
        .collect();
    let doc_span = doc.span();
    let mut merge = Merge {
        doc: doc.into_inner(),
        diagnostics: Vec::new(),
        changes: Vec::new(),
    };
    let (envs, diags) = Environments::take(&mut merge.doc);
    merge.diagnostics.extend(diags);
    let roles = layers::role_names(&merge.doc);
    let (selected, others) = match layers.environment {
        Some(name) => {
            let (table, others) = envs
                .select(name)
                .map_err(|d| Error::new(ErrorKind::Invalid, file, &masked, vec![*d]))?;
            (Some((name, table)), others)
        }
        None => (None, envs.all()),
    };
    // The unselected environments are checked over the description as written;
    // copied only when there are some (a copy costs what the parse did).
    let base = match others.is_empty() {
        true => DeTable::default(),
        false => merge.doc.clone(),
    };
    if let Some((name, table)) = selected {
        merge.layer(table, format!("environment `{name}`"));
    }
    for (i, table) in overlay_docs.into_iter().enumerate() {
        let mut table = layers::shift_table(table, starts[i + 1]);
        merge.diagnostics.extend(layers::refuse_base_only(&mut table, "an overlay"));
        merge.layer(table, "overlay".to_owned());
    }
    let (values, diags) = crate::read::build_env::take(&mut merge.doc, sources);
    merge.diagnostics.extend(diags);
    merge.layer(values, "from_env".to_owned());
    let first_set = 1 + layers.overlays.len();
    for (i, table) in set_docs.into_iter().enumerate() {
        let mut table = layers::shift_table(table, starts[first_set + i]);
        merge.diagnostics.extend(layers::refuse_base_only(&mut table, "`--set`"));
        merge.layer(table, "--set".to_owned());
    }
    merge.diagnostics.extend(layers::unknown_roles(&merge.doc, &roles));
    if !merge.diagnostics.is_empty() {
        merge.diagnostics.sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
        return Err(Error::new(ErrorKind::Parse, file, &masked, merge.diagnostics));
    }
    let whole = Spanned::new(doc_span.clone(), merge.doc);
    let spec = spec::from_document(file, &raw, &masked, whole, Vec::new())?;
    check_unselected(file, &raw, &masked, (doc_span, &base), others)?;
    let origins = merge
        .changes
        .into_iter()
        .map(|(change, layer)| origin(file, &masked, change, layer))
        .collect();
    Ok(Composed {
        spec,
        masked,
        overlay_ranges,
        origins,
    })
}

/// Every layer of a description, parsed, each with its masked text.
struct Read<'a> {
    /// The description.
    doc: Spanned<DeTable<'a>>,
    /// Each overlay's table, in order.
    overlay_docs: Vec<DeTable<'a>>,
    /// Each `--set` argument's table, in order.
    set_docs: Vec<DeTable<'a>>,
    /// Each layer's name and masked text, the description first.
    parts: Vec<(String, Source)>,
    /// Each layer's raw text, in the same order.
    raws: Vec<&'a str>,
}

/// Parses the description and every layer. Every layer is read and masked
/// before any is drawn, and each shares the others' masked values: a secret
/// written in one layer and mangled into a key of another (or of itself) is
/// masked wherever it is shown.
fn read<'a>(file: &str, source: &'a str, layers: &Layers<'a>) -> Result<Read<'a>, Error> {
    let known = known();
    let comments = crate::read::tables::check(file, source)?;
    let overlay_comments = (layers.overlays.iter())
        .map(|(name, text)| crate::read::tables::check(name, text))
        .collect::<Result<Vec<_>, _>>()?;
    let (doc, syntax) = DeTable::parse_recoverable(source);
    let base_masked =
        Source::masked_commented(source, doc.get_ref(), syntax.is_empty(), &known, comments.0);
    let overlays: Vec<_> = (layers.overlays.iter().zip(overlay_comments))
        .map(|((name, text), comments)| {
            let (odoc, osyntax) = DeTable::parse_recoverable(text);
            let clean = osyntax.is_empty();
            let masked = Source::masked_commented(text, odoc.get_ref(), clean, &known, comments.0);
            (name, *text, odoc, osyntax, masked)
        })
        .collect();
    let sets: Vec<_> = (layers.sets.iter())
        .map(|arg| (arg, crate::read::set_arg::parse(arg, &known)))
        .collect();
    let mut all = vec![&base_masked];
    all.extend(overlays.iter().map(|o| &o.4));
    all.extend(sets.iter().map(|(_, set)| match set {
        Ok(set) => &set.source,
        Err(e) => &e.0,
    }));
    let every = base_masked.sharing_pieces(&all);
    let shared = |own: &Source| own.sharing_pieces(&[&every]);
    let base_masked = shared(&base_masked);
    if !syntax.is_empty() {
        return Err(syntax_error(file, source, &base_masked, doc, syntax));
    }
    let mut read = Read {
        doc,
        overlay_docs: Vec::new(),
        set_docs: Vec::new(),
        parts: vec![(file.to_owned(), base_masked)],
        raws: vec![source],
    };
    for (name, text, odoc, osyntax, masked) in overlays {
        let masked = shared(&masked);
        if !osyntax.is_empty() {
            return Err(syntax_error(name, text, &masked, odoc, osyntax));
        }
        read.overlay_docs.push(odoc.into_inner());
        read.parts.push((name.clone(), masked));
        read.raws.push(text);
    }
    for (arg, set) in sets {
        let set = set.map_err(|e| Error::new(ErrorKind::Parse, "--set", shared(&e.0), vec![e.1]))?;
        read.set_docs.push(set.table);
        read.parts.push(("--set".to_owned(), shared(&set.source)));
        read.raws.push(arg);
    }
    Ok(read)
}

/// The merged document as it grows, layer by layer.
struct Merge<'a> {
    doc: DeTable<'a>,
    diagnostics: Vec<Diagnostic>,
    changes: Vec<(Change, String)>,
}

impl<'a> Merge<'a> {
    fn layer(&mut self, table: DeTable<'a>, name: String) {
        let mut changes = Vec::new();
        layers::merge(&mut self.doc, table, &mut changes);
        self.changes
            .extend(changes.into_iter().map(|c| (c, name.clone())));
    }
}

/// The raw texts joined the way [`Source::join`] joins their masked forms.
fn joined_raw(raws: &[&str], starts: &[usize]) -> String {
    let mut raw = String::new();
    for (text, &start) in raws.iter().zip(starts) {
        while raw.len() < start {
            raw.push('\n');
        }
        raw.push_str(text);
    }
    if raws.len() > 1 && !raw.ends_with('\n') {
        raw.push('\n');
    }
    raw
}

/// Checks each environment not selected (a mistake in one is an error even when another
/// is rendered), as it would be read if it were: only what it
/// sets, merged over the part of the description it reaches ([`layers::merge_pruned`]),
/// so thousands of them cost what their own text does, whatever the description's
/// size. A field the pruned description then lacks (`missing field`, outside the
/// environment) is copied from the description and the check runs again, at most
/// [`MAX_RESTORED`] times. Only problems inside the environment are reported.
fn check_unselected(
    file: &str,
    raw: &str,
    masked: &Source,
    (doc_span, base): (Range<usize>, &DeTable<'_>),
    others: Vec<(Spanned<String>, DeTable<'_>)>,
) -> Result<(), Error> {
    for (_, table) in others {
        let spans = layers::spans(&table);
        let inside =
            |s: &Range<usize>| spans.iter().any(|e| e.start <= s.start && s.end <= e.end);
        let mut candidate = layers::merge_pruned(base, table);
        // The description's own top-level values (its name, its image): what a pruned
        // root most often lacks, and small.
        for (key, value) in base.iter() {
            let scalar = !matches!(value.get_ref(), DeValue::Table(_) | DeValue::Array(_));
            if scalar && !candidate.contains_key(key.get_ref().as_ref()) {
                candidate.insert(key.clone(), value.clone());
            }
        }
        // Its variables are read only when it is selected.
        candidate.remove(crate::read::build_env::FROM_ENV);
        // A layer changes a role, never adds one; each role it changes is checked merged.
        let unknown = layers::unknown_roles(&candidate, &layers::role_names(base));
        let with_roles = candidate.clone();
        let (roles, refused) = layers::take_roles(&mut candidate);
        let mut problems: Vec<Diagnostic> = unknown.into_iter().chain(refused).collect();
        problems.retain(|d| d.span.as_ref().is_some_and(inside));
        if !problems.is_empty() {
            return Err(Error::new(ErrorKind::Parse, file, masked, problems));
        }
        let mut valid = true;
        let each = std::iter::once(candidate.clone())
            .chain(roles.into_iter().map(|(_, role)| layers::merge_pruned(&candidate, role)));
        for mut candidate in each {
            valid &= valid_pruned(&mut candidate, base, &doc_span, &inside);
        }
        if valid {
            continue;
        }
        let whole = Spanned::new(doc_span.clone(), with_roles);
        if let Err(e) = spec::from_document(file, raw, masked, whole, Vec::new()) {
            if let Some(e) = e.retain(|d: &Diagnostic| d.span.as_ref().is_some_and(inside)) {
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Whether the pruned `candidate` deserializes, once the fields it lacks
/// outside the environment (`inside` tells its spans) are copied from `base`.
fn valid_pruned<'a>(
    candidate: &mut DeTable<'a>,
    base: &DeTable<'a>,
    doc_span: &Range<usize>,
    inside: &dyn Fn(&Range<usize>) -> bool,
) -> bool {
    use serde::Deserialize as _;
    for _ in 0..MAX_RESTORED {
        let whole = Spanned::new(doc_span.clone(), candidate.clone());
        let e = match Spec::deserialize(toml::de::Deserializer::from(whole)) {
            Ok(_) => return true,
            Err(e) => e,
        };
        let outside = e.span().is_some_and(|s| !inside(&s));
        if !outside || !restore_missing(candidate, base, doc_span, &e) {
            return false;
        }
    }
    false
}

/// The most fields copied back into one pruned environment check: more than any table
/// of a description requires.
const MAX_RESTORED: usize = 16;

/// For `missing field `X`` in the table at `e`'s span of `candidate` (the root at
/// `root`), copies X from the same table of `base`; `false` when there is none.
fn restore_missing<'a>(
    candidate: &mut DeTable<'a>,
    base: &DeTable<'a>,
    root: &Range<usize>,
    e: &toml::de::Error,
) -> bool {
    let (Some(span), Some(field)) = (
        e.span(),
        e.message()
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next()),
    ) else {
        return false;
    };
    let Some(path) = table_path(candidate, root, &span) else {
        return false;
    };
    let mut from = base;
    let mut into = candidate;
    for key in &path {
        let (Some(DeValue::Table(b)), Some(DeValue::Table(c))) = (
            from.get(key.as_str()).map(|v| v.get_ref()),
            into.get_mut(key.as_str()).map(|v| v.get_mut()),
        ) else {
            return false;
        };
        from = b;
        into = c;
    }
    match from.get_key_value(field) {
        Some((key, value)) if !into.contains_key(field) => {
            into.insert(key.clone(), value.clone());
            true
        }
        _ => false,
    }
}

/// The keys from `table` (spanning `root`) to the table spanning `span` in it.
fn table_path(table: &DeTable<'_>, root: &Range<usize>, span: &Range<usize>) -> Option<Vec<String>> {
    if root == span {
        return Some(Vec::new());
    }
    table.iter().find_map(|(key, value)| match value.get_ref() {
        DeValue::Table(inner) => {
            let mut path = table_path(inner, &value.span(), span)?;
            path.insert(0, key.get_ref().to_string());
            Some(path)
        }
        _ => None,
    })
}

fn origin(file: &str, masked: &Source, change: Change, layer: String) -> Origin {
    let at = masked.locate(change.span.start);
    let name = masked.file_at(change.span.start).unwrap_or(file);
    let at = match layer.as_str() {
        "--set" => at.text.to_owned(),
        _ => format!("{name}:{}", at.line),
    };
    Origin {
        path: change.path,
        layer,
        at: masked.scrub(&at),
    }
}

/// The error for a layer `file` whose parse found `syntax` errors.
fn syntax_error(
    file: &str,
    text: &str,
    masked: &Source,
    doc: Spanned<DeTable<'_>>,
    syntax: Vec<toml::de::Error>,
) -> Error {
    match spec::from_document(file, text, masked, doc, syntax) {
        Err(e) => e,
        Ok(_) => Error::bare(ErrorKind::Parse, file, "the description does not parse"),
    }
}

/// Sources that read an overlay's paths from the overlay's own folder.
pub struct LayeredSources<'s> {
    /// The description's sources.
    pub base: &'s dyn Sources,
    /// Each overlay's range in the joined source, and its sources.
    pub layers: Vec<(Range<usize>, &'s dyn Sources)>,
}

impl Sources for LayeredSources<'_> {
    fn read_file(&self, path: &str) -> Result<Vec<u8>, SourceError> {
        self.base.read_file(path)
    }

    fn read_dir(&self, path: &str) -> Result<Option<Vec<Entry>>, SourceError> {
        self.base.read_dir(path)
    }

    fn env_var(&self, name: &str) -> Result<Option<Vec<u8>>, SourceError> {
        self.base.env_var(name)
    }

    fn layer_at(&self, offset: usize) -> Option<&dyn Sources> {
        let found = self.layers.iter().find(|(range, _)| range.contains(&offset));
        found.map(|(_, sources)| *sources)
    }
}
