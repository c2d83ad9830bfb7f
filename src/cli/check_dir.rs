//! `render -o DIR --check`: compares the files a render would write with
//! DIR's content, writing nothing, like `cargo fmt --check`.

use std::collections::BTreeMap;
use std::path::Path;

use kubetoml::{Diagnostic, Error, ErrorKind};

// The file kubetoml keeps in an output folder to list what it wrote: its
// own, never compared.
use crate::cli::output_dir::MANIFEST;

/// How one file of DIR differs from the render.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Difference {
    /// The render would write other bytes.
    Stale,
    /// The render would write it; DIR does not have it.
    Missing,
    /// DIR has it; the render would not write it.
    Extra,
}

/// The differences between `expected` (each file's name and bytes) and
/// the files in `dir`, by name; none when DIR is up to date. A missing DIR
/// has every file missing.
pub fn differences(
    dir: &Path,
    expected: &[(String, &[u8])],
) -> Result<Vec<(String, Difference)>, Error> {
    let io = |e: std::io::Error| {
        let name = dir.display().to_string();
        Error::bare(ErrorKind::Io, &name, format!("cannot read `{name}`: {e}"))
    };
    let mut present = BTreeMap::new();
    if dir.exists() {
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name != MANIFEST {
                present.insert(name, entry.path());
            }
        }
    }
    let mut found = Vec::new();
    for (name, bytes) in expected {
        match present.remove(name) {
            None => found.push((name.clone(), Difference::Missing)),
            Some(path) => {
                // Read no further than the render's bytes: a bigger file is stale.
                let same = path.is_file()
                    && match kubetoml::read_limited(&path, bytes.len() as u64) {
                        Ok(found) => found == *bytes,
                        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => false,
                        Err(e) => return Err(io(e)),
                    };
                if !same {
                    found.push((name.clone(), Difference::Stale));
                }
            }
        }
    }
    found.extend(present.into_keys().map(|name| (name, Difference::Extra)));
    found.sort();
    Ok(found)
}

/// Checks `dir` against `expected`: `Ok` when up to date, else an error
/// listing each file that is stale, missing or extra.
pub fn check(dir: &Path, expected: &[(String, &[u8])]) -> Result<(), Error> {
    let found = differences(dir, expected)?;
    if found.is_empty() {
        return Ok(());
    }
    let shown = dir.display();
    let mut diagnostics: Vec<Diagnostic> = (found.iter())
        .map(|(name, difference)| {
            let what = match difference {
                Difference::Stale => "is stale: its content differs from the render",
                Difference::Missing => "is missing: the render writes it",
                Difference::Extra => "is extra: the render does not write it",
            };
            Diagnostic::bare(format!("`{shown}/{name}` {what}"))
        })
        .collect();
    if let Some(last) = diagnostics.pop() {
        let help = format!("run the same `kubetoml render` without `--check` to update `{shown}`");
        diagnostics.push(last.with_help(help));
    }
    Err(Error::new(
        ErrorKind::Io,
        shown.to_string(),
        "",
        diagnostics,
    ))
}
