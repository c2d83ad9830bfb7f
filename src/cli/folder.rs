//! `kubetoml render DIR`: which files of a folder are descriptions.
//!
//! A folder is what Argo CD, pre-commit and CI hand over, and it holds more
//! than descriptions: overlays, env files, configuration files. A file of
//! `DIR` is a description when
//!
//! - it sits directly in `DIR` (subfolders are not searched: they are where
//!   overlays and data files go),
//! - its name ends in `.toml`, does not start with `.`, and does not end in
//!   `.overlay.toml` (the conventional name of an overlay kept beside the
//!   descriptions),
//! - and its top-level table has a `name` key, which every description needs
//!   and no overlay may set. A file that is not TOML at all counts as a
//!   description, so its error is reported rather than the file skipped.
//!
//! The descriptions come back sorted by their file names, byte by byte, so
//! a render of the folder is the same on every machine. The other `.toml`
//! files are returned too, for the note saying they were skipped.

use std::path::{Path, PathBuf};

use kubetoml::{Error, ErrorKind};

/// The suffix of an overlay kept beside descriptions.
pub const OVERLAY_SUFFIX: &str = ".overlay.toml";

/// The most bytes read of a file to decide whether it has a top-level
/// `name` (a description is far smaller; a larger file is compiled, and
/// fails on its size).
const PEEK_BYTES: u64 = 4 << 20;

/// What a folder holds.
#[derive(Debug, Default)]
pub struct Listing {
    /// The descriptions, sorted by file name (bytes).
    pub descriptions: Vec<PathBuf>,
    /// `.toml` files left out because their top level has no `name`.
    pub skipped: Vec<PathBuf>,
}

/// Lists the descriptions directly in `dir`.
pub fn descriptions(dir: &Path) -> Result<Listing, Error> {
    let shown = dir.display().to_string();
    let io = |e: std::io::Error| {
        Error::bare(
            ErrorKind::Io,
            &shown,
            format!("cannot list the folder `{shown}`: {e}"),
        )
    };
    let mut names: Vec<std::ffi::OsString> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        let text = name.to_string_lossy();
        if text.starts_with('.') || !text.ends_with(".toml") || text.ends_with(OVERLAY_SUFFIX) {
            continue;
        }
        // Follows symbolic links: a linked description is a description.
        if std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file()) {
            names.push(name);
        }
    }
    names.sort_by(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()));
    let mut listing = Listing::default();
    for name in names {
        let path = dir.join(name);
        if has_top_level_name(&path) {
            listing.descriptions.push(path);
        } else {
            listing.skipped.push(path);
        }
    }
    if listing.descriptions.is_empty() {
        return Err(Error::bare(
            ErrorKind::Io,
            &shown,
            format!(
                "`{shown}` holds no description: a description is a `.toml` file directly in the folder, \
                 with a top-level `name`, whose name does not end in `{OVERLAY_SUFFIX}`"
            ),
        ));
    }
    Ok(listing)
}

/// `files` with every folder replaced by the descriptions directly in it
/// (`-`, standard input, stays), noting on stderr the `.toml` files it
/// skipped unless `quiet`.
pub fn expand(files: &[PathBuf], quiet: bool) -> Result<Vec<PathBuf>, Vec<Error>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for path in files {
        if path.as_os_str() == "-" || !path.is_dir() {
            out.push(path.clone());
            continue;
        }
        match descriptions(path) {
            Ok(listing) => {
                if !quiet {
                    for skipped in &listing.skipped {
                        crate::cli::terminal::eprintln(&format!(
                            "note: skipping `{}`: no top-level `name`, so not a description (an overlay or a data file)",
                            skipped.display()
                        ));
                    }
                }
                out.extend(listing.descriptions);
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Whether `path` holds a TOML table with a top-level `name`, or is not
/// TOML (or not readable) at all: then compiling it reports why.
fn has_top_level_name(path: &Path) -> bool {
    use std::io::Read as _;
    let mut text = String::new();
    let read = std::fs::File::open(path).and_then(|f| f.take(PEEK_BYTES).read_to_string(&mut text));
    if read.is_err() {
        return true;
    }
    match text.parse::<toml::Table>() {
        Ok(table) => table.contains_key("name"),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_descriptions_from_overlays_and_data() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write("web.toml", "name = \"web\"\n");
        write("a-db.toml", "name = \"db\"\n");
        write("B.toml", "name = \"b\"\n");
        write("prod.overlay.toml", "replicas = 5\n");
        write("tuning.toml", "replicas = 5\n");
        write("broken.toml", "name = \n");
        write(".hidden.toml", "name = \"h\"\n");
        write("notes.txt", "name = \"t\"\n");
        std::fs::create_dir(dir.path().join("sub.toml")).unwrap();
        std::fs::create_dir(dir.path().join("overlays")).unwrap();
        std::fs::write(dir.path().join("overlays/x.toml"), "name = \"x\"\n").unwrap();
        let listing = descriptions(dir.path()).unwrap();
        let names = |paths: &[PathBuf]| -> Vec<String> {
            (paths.iter())
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(
            names(&listing.descriptions),
            ["B.toml", "a-db.toml", "broken.toml", "web.toml"]
        );
        assert_eq!(names(&listing.skipped), ["tuning.toml"]);
    }

    #[test]
    fn an_empty_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.overlay.toml"), "replicas = 1\n").unwrap();
        let e = descriptions(dir.path()).unwrap_err();
        assert!(
            e.draw(false).contains("holds no description"),
            "{}",
            e.draw(false)
        );
    }
}
