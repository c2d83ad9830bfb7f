//! Reading what descriptions point at: files, directories, env files and
//! build-time environment variables.
//!
//! This is the only library code that touches the file system or the process
//! environment. The rest of the compiler sees it through the [`Sources`] trait,
//! so tests can pass fixtures and stay deterministic; [`FsSources`] is the
//! real thing.
//!
//! [`file_entries`] and [`parse_env_file`] give `kubectl create configmap
//! --from-file` and `--from-env-file` semantics on top of any [`Sources`].
//!
//! File contents and variable values may be secrets: no error, `Debug` print
//! or message made here contains them. Errors name paths, line numbers, key
//! names and variable names only.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The most bytes one file may hold: 1 MiB, the API server's limit for all
/// the values of one ConfigMap or Secret together. A bigger file could never
/// be applied, and refusing it early keeps a mistaken path (a database dump, a
/// disk image) from being read into memory.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Why a source could not be read. Never contains file content or an env
/// var's value (those may be secrets): only paths, line numbers, key names,
/// variable names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    /// What went wrong: lowercase, user identifiers in backticks.
    pub message: String,
    /// How to fix it, when there is something to say.
    pub help: Option<String>,
}

impl SourceError {
    fn new(message: impl Into<String>) -> Self {
        SourceError {
            message: message.into(),
            help: None,
        }
    }

    fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Prints the message only; the help line is drawn separately by whoever
/// renders the error.
impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SourceError {}

/// One key and its exact bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key in the ConfigMap or Secret (not validated here: key rules are
    /// checked where every kind of source meets).
    pub key: String,
    /// The value, byte for byte.
    pub bytes: Vec<u8>,
    /// Where it came from, for error messages: the path as the user wrote it
    /// (joined with the file name for directory entries, e.g.
    /// `conf/memory.conf`), or `path:LINE` for an env file's entries.
    pub origin: String,
}

/// Prints the key, origin and length, never the bytes: they may be a secret.
impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("key", &self.key)
            .field("origin", &self.origin)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// Where descriptions' files and build-time environment variables come from.
pub trait Sources {
    /// Reads a regular file named as written in a description (relative to
    /// the description's folder, or absolute).
    fn read_file(&self, path: &str) -> Result<Vec<u8>, SourceError>;

    /// Lists a path: `Ok(None)` when it is a regular file (or a symlink to
    /// one), `Ok(Some(entries))` with the *regular files directly inside*
    /// (hidden included; subdirectories and symlinks skipped, as kubectl
    /// does), sorted by name, when it is a directory.
    fn read_dir(&self, path: &str) -> Result<Option<Vec<Entry>>, SourceError>;

    /// The value of a build-time environment variable, `Ok(None)` when unset.
    fn env_var(&self, name: &str) -> Result<Option<Vec<u8>>, SourceError>;
}

/// The real sources: files below `root`, the process environment (or a fixed
/// map, for tests and build.rs).
///
/// By default a path must lead, after resolving symlinks, to a file in or
/// below `root` (kustomize's `LoadRestrictionsRootOnly`);
/// [`allow_outside_root`](FsSources::allow_outside_root) lifts that.
pub struct FsSources {
    root: PathBuf,
    restrict_to_root: bool,
    env: Option<BTreeMap<String, Vec<u8>>>,
}

impl FsSources {
    /// Sources that resolve paths against `root` (the description's folder),
    /// refuse files outside it, and read the process environment.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FsSources {
            root: root.into(),
            restrict_to_root: true,
            env: None,
        }
    }

    /// With `true`, files outside `root` may be read too (the CLI's
    /// `--allow-outside-root`).
    pub fn allow_outside_root(mut self, yes: bool) -> Self {
        self.restrict_to_root = !yes;
        self
    }

    /// Takes environment variables from `vars` instead of the process
    /// environment.
    pub fn with_env(mut self, vars: BTreeMap<String, Vec<u8>>) -> Self {
        self.env = Some(vars);
        self
    }

    /// Resolves `path` as written in a description to a canonical path, and
    /// checks the load restriction.
    fn resolve(&self, path: &str) -> Result<(PathBuf, fs::Metadata), SourceError> {
        if path.is_empty() {
            return Err(SourceError::new("empty file path"));
        }
        let root = fs::canonicalize(&self.root).map_err(|e| {
            SourceError::new(format!(
                "cannot open the description's folder `{}`: {e}",
                self.root.display()
            ))
        })?;
        let joined = root.join(path);
        let canonical = fs::canonicalize(&joined).map_err(|e| {
            if e.kind() != io::ErrorKind::NotFound {
                return SourceError::new(format!("cannot read `{path}`: {e}"));
            }
            if fs::symlink_metadata(&joined).is_ok_and(|m| m.file_type().is_symlink()) {
                return SourceError::new(format!(
                    "`{path}` is a symlink to a file that does not exist"
                ));
            }
            if Path::new(path).is_absolute() {
                SourceError::new(format!("cannot find `{path}`"))
            } else {
                SourceError::new(format!("cannot find `{path}` in `{}`", root.display()))
                    .with_help("paths are relative to the description's folder")
            }
        })?;
        if self.restrict_to_root && !canonical.starts_with(&root) {
            let resolved = if canonical != joined {
                format!(" (it resolves to `{}`)", canonical.display())
            } else {
                String::new()
            };
            return Err(SourceError::new(format!(
                "`{path}` is not in or below the description's folder `{}`{resolved}",
                root.display()
            ))
            .with_help(format!(
                "only files in the description's folder are read by default; \
                 pass `--allow-outside-root` to read `{path}` anyway"
            )));
        }
        let meta = fs::metadata(&canonical)
            .map_err(|e| SourceError::new(format!("cannot read `{path}`: {e}")))?;
        Ok((canonical, meta))
    }
}

/// Shows the root, the restriction and the names of a fixed environment, not
/// its values.
impl fmt::Debug for FsSources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FsSources")
            .field("root", &self.root)
            .field("restrict_to_root", &self.restrict_to_root)
            .field(
                "env",
                &self
                    .env
                    .as_ref()
                    .map(|vars| vars.keys().collect::<Vec<_>>()),
            )
            .finish()
    }
}

/// Refuses anything that is not a regular file: reading a fifo or a device
/// could block forever or never end.
fn check_regular(path: &str, meta: &fs::Metadata) -> Result<(), SourceError> {
    if meta.is_dir() {
        Err(SourceError::new(format!(
            "`{path}` is a directory, not a file"
        )))
    } else if !meta.is_file() {
        Err(
            SourceError::new(format!("`{path}` is not a regular file")).with_help(
                "fifos, sockets and devices are refused: reading one could block or never end",
            ),
        )
    } else {
        Ok(())
    }
}

/// Reads a file already known to be regular, refusing more than
/// [`MAX_FILE_BYTES`]. `shown` is the path as the user should see it.
///
/// The file could be swapped for a fifo between the check and `open`, which
/// would then block; guarding against that needs `O_NONBLOCK`, which std does
/// not expose portably. Whoever can do that already controls the inputs.
fn read_regular(
    shown: &str,
    canonical: &Path,
    meta: &fs::Metadata,
) -> Result<Vec<u8>, SourceError> {
    check_regular(shown, meta)?;
    let too_big = || {
        SourceError::new(format!(
            "`{shown}` is larger than 1 MiB, the most a ConfigMap or Secret can hold"
        ))
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big());
    }
    let read_err = |e: io::Error| SourceError::new(format!("cannot read `{shown}`: {e}"));
    let file = fs::File::open(canonical).map_err(read_err)?;
    // Checked again on the open file: it is what we actually read.
    check_regular(shown, &file.metadata().map_err(read_err)?)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
    Ok(bytes)
}

/// Joins a directory as written with a file name, always with `/`, so origins
/// read the same on every platform (and in snapshots).
fn join_origin(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

impl Sources for FsSources {
    fn read_file(&self, path: &str) -> Result<Vec<u8>, SourceError> {
        let (canonical, meta) = self.resolve(path)?;
        read_regular(path, &canonical, &meta)
    }

    fn read_dir(&self, path: &str) -> Result<Option<Vec<Entry>>, SourceError> {
        let (canonical, meta) = self.resolve(path)?;
        if !meta.is_dir() {
            check_regular(path, &meta)?;
            return Ok(None);
        }
        let list_err = |e: io::Error| SourceError::new(format!("cannot list `{path}`: {e}"));
        let mut entries = Vec::new();
        for item in fs::read_dir(&canonical).map_err(list_err)? {
            let item = item.map_err(list_err)?;
            // `file_type` does not follow symlinks: a symlink inside a listed
            // directory is skipped (as kubectl does), so it cannot lead
            // outside the root. So are subdirectories, fifos and devices.
            if !item.file_type().map_err(list_err)?.is_file() {
                continue;
            }
            let name = item.file_name().into_string().map_err(|name| {
                SourceError::new(format!(
                    "the name of file `{}` in `{path}` is not valid UTF-8",
                    name.to_string_lossy()
                ))
                .with_help("rename the file, or name it with `key=path`")
            })?;
            let origin = join_origin(path, &name);
            let file_path = item.path();
            let meta = fs::metadata(&file_path)
                .map_err(|e| SourceError::new(format!("cannot read `{origin}`: {e}")))?;
            let bytes = read_regular(&origin, &file_path, &meta)?;
            entries.push(Entry {
                key: name,
                bytes,
                origin,
            });
        }
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Some(entries))
    }

    fn env_var(&self, name: &str) -> Result<Option<Vec<u8>>, SourceError> {
        if name.is_empty() || name.contains(['=', '\0']) {
            return Err(SourceError::new(format!(
                "`{}` cannot be the name of an environment variable",
                name.escape_debug()
            )));
        }
        let Some(vars) = &self.env else {
            return process_env_var(name);
        };
        Ok(vars.get(name).cloned())
    }
}

#[cfg(unix)]
fn process_env_var(name: &str) -> Result<Option<Vec<u8>>, SourceError> {
    use std::os::unix::ffi::OsStringExt;
    Ok(std::env::var_os(name).map(OsStringExt::into_vec))
}

#[cfg(not(unix))]
fn process_env_var(name: &str) -> Result<Option<Vec<u8>>, SourceError> {
    std::env::var_os(name)
        .map(|value| {
            value.into_string().map(String::into_bytes).map_err(|_| {
                SourceError::new(format!(
                    "environment variable `{name}` is not valid Unicode"
                ))
            })
        })
        .transpose()
}

/// `kubectl --from-file` semantics for one source string: `path`, or
/// `key=path` (split on the first `=`; a second `=` anywhere, an empty key or
/// an empty path is an error). A file gives one entry keyed by its base name
/// (a symlink's own name), or the given key; a directory gives every regular
/// file directly inside it keyed by file name; a key rename on a directory is
/// an error.
pub fn file_entries(sources: &dyn Sources, spec: &str) -> Result<Vec<Entry>, SourceError> {
    let (key, path) = match spec.split_once('=') {
        None => (None, spec),
        Some((_, rest)) if rest.contains('=') => {
            return Err(
                SourceError::new(format!("`{spec}` has more than one `=`")).with_help(
                    "write `path` or `key=path`; key names and file paths cannot contain `=`",
                ),
            )
        }
        Some(("", path)) => {
            return Err(SourceError::new(format!("empty key name for `{path}`"))
                .with_help(format!("write `key={path}`, or just `{path}`")))
        }
        Some((key, "")) => {
            return Err(SourceError::new(format!("empty file path for key `{key}`"))
                .with_help(format!("write `{key}=path`")))
        }
        Some((key, path)) => (Some(key), path),
    };
    if let Some(entries) = sources.read_dir(path)? {
        return match key {
            None => Ok(entries),
            Some(key) => Err(SourceError::new(format!(
                "cannot name directory `{path}` with key `{key}`"
            ))
            .with_help(format!(
                "a directory gives one key per file; write just `{path}`"
            ))),
        };
    }
    let key = match key {
        Some(key) => key.to_owned(),
        // The name as written, not the target's: a symlink gives its own name.
        None => match Path::new(path).file_name().and_then(|name| name.to_str()) {
            Some(name) => name.to_owned(),
            None => {
                return Err(
                    SourceError::new(format!("`{path}` has no file name to use as a key"))
                        .with_help(format!("write `key={path}`")),
                )
            }
        },
    };
    let bytes = sources.read_file(path)?;
    Ok(vec![Entry {
        key,
        bytes,
        origin: path.to_owned(),
    }])
}

/// `kubectl --from-env-file` semantics, stricter where kubectl is weak: strip
/// a UTF-8 BOM on line 1 and a trailing CR on each line; trim leading
/// whitespace, keep trailing; skip blank lines and lines starting with `#`;
/// split on the first `=`; the value is kept exactly (quotes and inline
/// `# ...` included).
///
/// Errors, each naming `origin:LINE` and never the line's content beyond the
/// key: invalid UTF-8, a line without `=` (kubectl reads it from the
/// environment, kustomize makes it empty: we refuse), an `export ` prefix, an
/// empty or invalid key (env var names: `[-._a-zA-Z][-._a-zA-Z0-9]*`).
///
/// Each entry's origin is `origin:LINE`. Duplicate keys are all returned:
/// duplicates are refused where every source of an object meets.
pub fn parse_env_file(bytes: &[u8], origin: &str) -> Result<Vec<Entry>, SourceError> {
    let mut entries = Vec::new();
    for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let number = index + 1;
        let at = format!("{origin}:{number}");
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = match index {
            0 => line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(line),
            _ => line,
        };
        let line = std::str::from_utf8(line).map_err(|_| {
            SourceError::new(format!("`{at}` is not valid UTF-8"))
                .with_help("env files are text; use a file source for binary values")
        })?;
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("export") {
            if rest.starts_with(char::is_whitespace) {
                return Err(
                    SourceError::new(format!("`{at}` starts with `export`")).with_help(
                        "remove `export `: an env file holds `KEY=value` lines, not shell",
                    ),
                );
            }
        }
        let Some((key, value)) = line.split_once('=') else {
            // The whole line would be the key; print it only if it is a valid
            // name, since a stray line may well be a secret.
            let (message, key) = if is_env_var_name(line) {
                (format!("`{at}`: `{line}` has no `=`"), line)
            } else {
                (format!("`{at}` has no `=`"), "KEY")
            };
            return Err(SourceError::new(message).with_help(format!(
                "write `{key}=` for an empty value, or use `from_env` to take it \
                 from the build environment"
            )));
        };
        if key.is_empty() {
            return Err(
                SourceError::new(format!("`{at}` has an empty key")).with_help("write `KEY=value`")
            );
        }
        if !is_env_var_name(key) {
            let help = if key.ends_with(char::is_whitespace) {
                "remove the space before `=`"
            } else {
                "env file keys must match `[-._a-zA-Z][-._a-zA-Z0-9]*`"
            };
            return Err(SourceError::new(format!(
                "`{at}`: `{}` is not a valid environment variable name",
                key.escape_debug()
            ))
            .with_help(help));
        }
        entries.push(Entry {
            key: key.to_owned(),
            bytes: value.as_bytes().to_vec(),
            origin: at,
        });
    }
    Ok(entries)
}

/// `[-._a-zA-Z][-._a-zA-Z0-9]*`, the rule kubectl applies to env file keys.
fn is_env_var_name(name: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
    name.chars()
        .next()
        .is_some_and(|c| !c.is_ascii_digit() && allowed(c))
        && name.chars().all(allowed)
}
