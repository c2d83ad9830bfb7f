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
use std::sync::Mutex;

/// The most bytes one file may hold: 1 MiB, the API server's limit for all
/// the values of one ConfigMap or Secret together. A bigger file could never
/// be applied, and refusing it early keeps a mistaken path (a database dump, a
/// disk image) from being read into memory.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The most bytes one [`FsSources`] reads from files in all: 32 MiB, room for
/// many full ConfigMaps and Secrets. It bounds the memory a description can
/// make kubetoml use by naming the same file many times (under many keys, or in
/// many objects), or a folder of sparse files that take no room on disk.
pub const MAX_TOTAL_BYTES: u64 = 32 * 1024 * 1024;

/// The most bytes of a description, an `--against` file or a template kubetoml
/// reads ([`read_limited`]): 4 MiB.
pub const MAX_INPUT_BYTES: u64 = 4 * 1024 * 1024;

/// Reads `path` (a file, a pipe such as `<(...)`, or a device) counting while
/// reading, so a device that reports size 0 and never ends (`/dev/zero`) stops
/// at `limit` bytes; more than `limit` is an error of kind `InvalidData` saying so.
pub fn read_limited(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let file = fs::File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is a directory",
        ));
    }
    if meta.is_file() && meta.len() > limit {
        return Err(too_big(limit));
    }
    read_counted(file, limit, meta.len())
}

/// At most `limit` bytes of `reader`, counted while reading: the one way kubetoml
/// reads a file. More is an error of kind `InvalidData`. `size` is what the
/// reader is expected to hold (a file's length; 0 when unknown): room for it is
/// made at once, so a file is read in one call, not in doubling pieces.
fn read_counted(reader: impl Read, limit: u64, size: u64) -> io::Result<Vec<u8>> {
    let room = usize::try_from(size.min(limit)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(room);
    reader.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_big(limit));
    }
    Ok(bytes)
}

fn too_big(limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "it holds more than {}, the most kubetoml reads",
            size_text(limit)
        ),
    )
}

/// [`read_limited_to_string`] of `path`, or of standard input for `-`, with
/// the same limit and the same counting.
pub fn read_input(path: &Path, limit: u64) -> io::Result<String> {
    text(read_input_bytes(path, limit)?)
}

/// [`read_limited`] of `path`, or of standard input for `-`, with the same
/// limit and the same counting: bytes, for a caller that says where they are
/// not UTF-8.
pub fn read_input_bytes(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    if path.as_os_str() != "-" {
        return read_limited(path, limit);
    }
    read_counted(io::stdin().lock(), limit, 0)
}

/// [`read_limited`] as text: invalid UTF-8 is an error as `fs::read_to_string` words it.
pub fn read_limited_to_string(path: &Path, limit: u64) -> io::Result<String> {
    text(read_limited(path, limit)?)
}

fn text(bytes: Vec<u8>) -> io::Result<String> {
    String::from_utf8(bytes).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

/// `4 MiB`, `512 KiB`, `100 bytes`.
fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// Why a source could not be read. Never contains file content or an env
/// var's value (those may be secrets): only paths, line numbers, key names,
/// variable names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    /// What went wrong: lowercase, user identifiers in backticks.
    pub message: String,
    /// How to fix it, when there is something to say.
    pub help: Option<String>,
    /// A few words to draw under the description's text that named the source.
    pub label: &'static str,
}

impl SourceError {
    /// An error saying `message`, labelled "cannot read this".
    pub fn new(message: impl Into<String>) -> Self {
        SourceError {
            message: message.into(),
            help: None,
            label: "cannot read this",
        }
    }

    /// Replaces the label drawn under the description's text.
    pub fn labelled(mut self, label: &'static str) -> Self {
        self.label = label;
        self
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
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

    /// The sources for a path written at byte `offset` of the description
    /// as merged with its layers, when that layer is a file of its own (an
    /// overlay, whose paths resolve against its own folder); `None`: these.
    fn layer_at(&self, _offset: usize) -> Option<&dyn Sources> {
        None
    }
}

/// The real sources: files below `root`, the process environment (or a fixed
/// map, for tests and build.rs).
///
/// By default a path must lead, after resolving symlinks, to a file in or
/// below `root` (kustomize's `LoadRestrictionsRootOnly`);
/// [`allow_outside_root`](FsSources::allow_outside_root) lifts that.
pub struct FsSources {
    root: PathBuf,
    /// `root` resolved, once: every file a description reads resolves against it,
    /// and resolving it again for each took a `readlink` per folder on the way.
    canonical_root: std::sync::OnceLock<PathBuf>,
    restrict_to_root: bool,
    env: Option<BTreeMap<String, Vec<u8>>>,
    read: Mutex<Inputs>,
    /// Bytes read from files so far, against [`MAX_TOTAL_BYTES`].
    read_total: std::sync::atomic::AtomicU64,
}

/// The files and environment variables a compilation read: what a `build.rs`
/// prints as `cargo:rerun-if-changed` and `cargo:rerun-if-env-changed`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Inputs {
    /// Files and folders read, as canonical paths, sorted, each once. A
    /// folder named in `files` is listed itself (a file added to it changes
    /// the output) as well as every file read in it.
    pub files: Vec<PathBuf>,
    /// Environment variables looked up, sorted, each once; unset ones too,
    /// since setting one changes the output (or turns an error into one).
    pub env_vars: Vec<String>,
}

impl Inputs {
    /// Adds `path` to [`files`](Inputs::files), keeping them sorted and unique.
    pub(crate) fn add_file(&mut self, path: PathBuf) {
        if let Err(at) = self.files.binary_search(&path) {
            self.files.insert(at, path);
        }
    }

    /// Adds every file and variable of `other`.
    pub(crate) fn extend(&mut self, other: &Inputs) {
        other.files.iter().for_each(|f| self.add_file(f.clone()));
        other.env_vars.iter().for_each(|v| self.add_env_var(v));
    }

    /// Adds `name` to [`env_vars`](Inputs::env_vars), keeping them sorted and unique.
    pub(crate) fn add_env_var(&mut self, name: &str) {
        if let Err(at) = self.env_vars.binary_search_by(|v| v.as_str().cmp(name)) {
            self.env_vars.insert(at, name.to_owned());
        }
    }
}

impl FsSources {
    /// Sources that resolve paths against `root` (the description's folder),
    /// refuse files outside it, and read the process environment.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FsSources {
            root: root.into(),
            canonical_root: std::sync::OnceLock::new(),
            restrict_to_root: true,
            env: None,
            read: Mutex::default(),
            read_total: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The files, folders and environment variables read so far.
    pub fn inputs(&self) -> Inputs {
        self.log().clone()
    }

    /// The record of what was read; a panic elsewhere while it was held
    /// leaves it usable.
    fn log(&self) -> std::sync::MutexGuard<'_, Inputs> {
        self.read.lock().unwrap_or_else(|e| e.into_inner())
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

    /// Counts the file `path` (its size per `meta`, before reading it) against
    /// [`MAX_TOTAL_BYTES`]; `Err` once the total would pass it.
    fn spend(&self, path: &str, meta: &fs::Metadata) -> Result<(), SourceError> {
        use std::sync::atomic::Ordering::Relaxed;
        let size = meta.len().min(MAX_FILE_BYTES + 1);
        let before = self.read_total.fetch_add(size, Relaxed);
        if before.saturating_add(size) > MAX_TOTAL_BYTES {
            return Err(SourceError::new(format!(
                "reading `{path}` would take the files this description reads past {} in all",
                size_text(MAX_TOTAL_BYTES)
            ))
            .with_help("a description names each file once or a few times; check for a file named under many keys or in many objects"));
        }
        Ok(())
    }

    /// Resolves `path` as written in a description to a canonical path, and
    /// checks the load restriction.
    fn resolve(&self, path: &str) -> Result<(PathBuf, fs::Metadata), SourceError> {
        if path.is_empty() {
            return Err(SourceError::new("empty file path"));
        }
        let root = match self.canonical_root.get() {
            Some(root) => root.clone(),
            None => {
                let root = fs::canonicalize(&self.root).map_err(|e| {
                    SourceError::new(format!(
                        "cannot open the description's folder `{}`: {e}",
                        self.root.display()
                    ))
                })?;
                self.canonical_root.get_or_init(|| root).clone()
            }
        };
        let joined = root.join(path);
        if let Some((canonical, found)) = below_without_links(&root, path) {
            self.log().add_file(canonical.clone());
            return Ok((canonical, found));
        }
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
                SourceError::new(format!("cannot find `{path}`")).labelled("not found")
            } else {
                SourceError::new(format!("cannot find `{path}` in `{}`", root.display()))
                    .with_help("paths are relative to the description's folder")
                    .labelled("not found")
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
            ))
            .labelled("outside the description's folder"));
        }
        let meta = fs::metadata(&canonical)
            .map_err(|e| SourceError::new(format!("cannot read `{path}`: {e}")))?;
        self.log().add_file(canonical.clone());
        Ok((canonical, meta))
    }
}

/// The canonical path of `root/path` and its metadata, when it is `root`
/// and `path`'s components joined: `root` is canonical, `path` is relative
/// and names only plain components (no `.`, `..`, root or prefix; a trailing
/// `/` is dropped, as `realpath` drops it), and none of them is a symbolic
/// link (each checked with `lstat`). Then nothing can lead outside `root`, and the
/// `realpath` of [`fs::canonicalize`] (a `readlink` for every component of
/// the whole path, for each file of each description) is not needed.
/// `None`: anything else, for `fs::canonicalize` to decide. Only on Linux,
/// where `realpath` itself does no more than follow links (elsewhere it
/// may also fold a name's case).
fn below_without_links(root: &Path, path: &str) -> Option<(PathBuf, fs::Metadata)> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let path = Path::new(path);
    let mut at = root.to_path_buf();
    let mut meta = None;
    for component in path.components() {
        let std::path::Component::Normal(name) = component else {
            return None;
        };
        at.push(name);
        let found = fs::symlink_metadata(&at).ok()?;
        if found.file_type().is_symlink() {
            return None;
        }
        meta = Some(found);
    }
    meta.map(|meta| (at, meta))
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
    let opened = file.metadata().map_err(read_err)?;
    check_regular(shown, &opened)?;
    // Counted while reading, like every file kubetoml reads: a file that grew since
    // its size was checked stops at the limit too.
    read_counted(file, MAX_FILE_BYTES, opened.len()).map_err(|e| match e.kind() {
        io::ErrorKind::InvalidData => too_big(),
        _ => read_err(e),
    })
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
        self.spend(path, &meta)?;
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
        let mut listed = 0u64;
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
            // The folder's files together become one object: past 1 MiB it can never be
            // applied, so stop before reading more (a folder of sparse files reads nothing).
            listed = listed.saturating_add(meta.len());
            if listed > MAX_FILE_BYTES && meta.len() <= MAX_FILE_BYTES {
                return Err(SourceError::new(format!(
                    "the files in `{path}` hold more than 1 MiB together, the most a ConfigMap or Secret can hold"
                )));
            }
            self.spend(&origin, &meta)?;
            let bytes = read_regular(&origin, &file_path, &meta)?;
            self.log().add_file(file_path);
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
        self.log().add_env_var(name);
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
                // Not quoted: a line break deleted by mistake can put a
                // Secret's value here.
                SourceError::new("this file source has more than one `=`").with_help(
                    "write `path` or `key=path`; key names and file paths cannot contain `=`",
                ),
            );
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
    env_file_lines(bytes, origin).map_err(|e| e.labelled("in this env file"))
}

fn env_file_lines(bytes: &[u8], origin: &str) -> Result<Vec<Entry>, SourceError> {
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
            // The whole line is not repeated, not even when it looks like a
            // name: a stray line may well be a password.
            return Err(SourceError::new(format!("`{at}` has no `=`")).with_help(
                "write `KEY=` for an empty value, or use `from_env` to take the value \
                 from the build environment",
            ));
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
            // The key is not repeated: a value wrapped onto the next line
            // makes a "key" out of part of a password.
            return Err(SourceError::new(format!(
                "`{at}`: the key is not a valid environment variable name"
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use tempfile::TempDir;

    /// A description folder `root/` next to a sibling folder `outside/`, both
    /// in one temp dir, so `../outside/...` is a real path outside the root.
    struct Fixture {
        _tmp: TempDir,
        root: PathBuf,
        outside: PathBuf,
    }

    impl Fixture {
        fn new() -> Self {
            let tmp = tempfile::tempdir().unwrap();
            let base = fs::canonicalize(tmp.path()).unwrap();
            let root = base.join("root");
            let outside = base.join("outside");
            fs::create_dir(&root).unwrap();
            fs::create_dir(&outside).unwrap();
            fs::write(outside.join("secret.txt"), b"top secret\n").unwrap();
            Fixture {
                _tmp: tmp,
                root,
                outside,
            }
        }

        fn write(&self, rel: &str, bytes: &[u8]) {
            let path = self.root.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, bytes).unwrap();
        }

        fn sources(&self) -> FsSources {
            FsSources::new(&self.root)
        }

        fn root(&self) -> String {
            self.root.display().to_string()
        }
    }

    #[cfg(unix)]
    fn symlink(target: impl AsRef<Path>, link: impl AsRef<Path>) {
        std::os::unix::fs::symlink(target, link).unwrap();
    }

    fn entry(key: &str, bytes: &[u8], origin: &str) -> Entry {
        Entry {
            key: key.to_owned(),
            bytes: bytes.to_vec(),
            origin: origin.to_owned(),
        }
    }

    fn err(message: &str, help: Option<&str>) -> SourceError {
        SourceError {
            message: message.to_owned(),
            help: help.map(str::to_owned),
            label: "cannot read this",
        }
    }

    // ---- files ----

    #[test]
    fn a_file_is_keyed_by_its_base_name() {
        let fx = Fixture::new();
        fx.write("conf/memory.conf", b"shared_buffers = 128MB\n");
        let got = file_entries(&fx.sources(), "conf/memory.conf").unwrap();
        assert_eq!(
            got,
            [entry(
                "memory.conf",
                b"shared_buffers = 128MB\n",
                "conf/memory.conf"
            )]
        );
    }

    #[test]
    fn key_equals_path_renames() {
        let fx = Fixture::new();
        fx.write("conf/memory.conf", b"x");
        let got = file_entries(&fx.sources(), "pg.conf=conf/memory.conf").unwrap();
        assert_eq!(got, [entry("pg.conf", b"x", "conf/memory.conf")]);
    }

    #[test]
    fn bad_key_path_specs_are_refused() {
        // kubectl: "key names or file paths cannot contain '='", "key name for
        // file path outside.txt missing", "file path for key name k missing".
        let fx = Fixture::new();
        fx.write("c", b"x");
        let sources = fx.sources();
        assert_eq!(
            file_entries(&sources, "a=b=c").unwrap_err(),
            err(
                "this file source has more than one `=`",
                Some("write `path` or `key=path`; key names and file paths cannot contain `=`")
            )
        );
        assert_eq!(
            file_entries(&sources, "=c").unwrap_err(),
            err("empty key name for `c`", Some("write `key=c`, or just `c`"))
        );
        assert_eq!(
            file_entries(&sources, "k=").unwrap_err(),
            err("empty file path for key `k`", Some("write `k=path`"))
        );
        assert_eq!(
            file_entries(&sources, "").unwrap_err(),
            err("empty file path", None)
        );
    }

    #[test]
    fn binary_empty_and_crlf_files_are_kept_byte_for_byte() {
        let fx = Fixture::new();
        let binary = [0u8, 0xff, 0xfe, b'\r', b'\n', 0x80];
        fx.write("bin", &binary);
        fx.write("empty", b"");
        fx.write("crlf", b"a\r\nb\r\n");
        let sources = fx.sources();
        assert_eq!(file_entries(&sources, "bin").unwrap()[0].bytes, binary);
        assert_eq!(file_entries(&sources, "empty").unwrap()[0].bytes, b"");
        assert_eq!(
            file_entries(&sources, "crlf").unwrap()[0].bytes,
            b"a\r\nb\r\n"
        );
    }

    #[test]
    fn a_missing_file_names_the_path_and_the_folder() {
        let fx = Fixture::new();
        let sources = fx.sources();
        let want = err(
            &format!("cannot find `conf/nope.conf` in `{}`", fx.root()),
            Some("paths are relative to the description's folder"),
        )
        .labelled("not found");
        assert_eq!(sources.read_file("conf/nope.conf").unwrap_err(), want);
        assert_eq!(file_entries(&sources, "conf/nope.conf").unwrap_err(), want);

        let absolute = fx.root.join("nope").display().to_string();
        assert_eq!(
            sources.read_file(&absolute).unwrap_err(),
            err(&format!("cannot find `{absolute}`"), None).labelled("not found")
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_dangling_symlink_says_so() {
        let fx = Fixture::new();
        symlink("gone", fx.root.join("link"));
        assert_eq!(
            fx.sources().read_file("link").unwrap_err(),
            err("`link` is a symlink to a file that does not exist", None)
        );
    }

    #[test]
    fn a_directory_is_not_a_file() {
        let fx = Fixture::new();
        fx.write("conf/a", b"x");
        assert_eq!(
            fx.sources().read_file("conf").unwrap_err(),
            err("`conf` is a directory, not a file", None)
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_file_is_keyed_by_its_own_name() {
        // kubectl --from-file=mylink gives key `mylink`, not the target's name.
        let fx = Fixture::new();
        fx.write("real/target.txt", b"hello\n");
        symlink("real/target.txt", fx.root.join("mylink"));
        let got = file_entries(&fx.sources(), "mylink").unwrap();
        assert_eq!(got, [entry("mylink", b"hello\n", "mylink")]);
    }

    #[test]
    fn a_file_over_one_mib_is_refused_and_one_mib_is_read() {
        let fx = Fixture::new();
        let limit = MAX_FILE_BYTES as usize;
        fx.write("max", &vec![b'a'; limit]);
        fx.write("big", &vec![b'a'; limit + 1]);
        fx.write("dir/big", &vec![b'a'; limit + 1]);
        let sources = fx.sources();
        assert_eq!(sources.read_file("max").unwrap().len(), limit);
        assert_eq!(
            sources.read_file("big").unwrap_err(),
            err(
                "`big` is larger than 1 MiB, the most a ConfigMap or Secret can hold",
                None
            )
        );
        assert_eq!(
            sources.read_dir("dir").unwrap_err(),
            err(
                "`dir/big` is larger than 1 MiB, the most a ConfigMap or Secret can hold",
                None
            )
        );
    }

    // ---- special files ----

    #[cfg(unix)]
    fn mkfifo(path: &Path) {
        let status = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .expect("mkfifo runs");
        assert!(status.success(), "mkfifo {}", path.display());
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_not_read() {
        // kubectl --from-file=fifo blocks forever waiting for a writer.
        let fx = Fixture::new();
        mkfifo(&fx.root.join("fifo"));
        let want = err(
            "`fifo` is not a regular file",
            Some("fifos, sockets and devices are refused: reading one could block or never end"),
        );
        let sources = fx.sources();
        assert_eq!(sources.read_file("fifo").unwrap_err(), want);
        assert_eq!(sources.read_dir("fifo").unwrap_err(), want);
        assert_eq!(file_entries(&sources, "fifo").unwrap_err(), want);
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_refused_even_outside_the_root() {
        let sources = FsSources::new("/").allow_outside_root(true);
        assert_eq!(
            sources.read_file("/dev/zero").unwrap_err().message,
            "`/dev/zero` is not a regular file"
        );
    }

    // ---- directories ----

    #[cfg(unix)]
    #[test]
    fn a_directory_gives_its_regular_files_sorted() {
        // kubectl --from-file=d on the same layout gives `.hidden`, `a.txt`,
        // `b.txt`: hidden files in, subdirectories, symlinks (to files, to
        // directories, to outside the root) and fifos skipped.
        let fx = Fixture::new();
        fx.write("d/b.txt", b"b\n");
        fx.write("d/a.txt", b"a\n");
        fx.write("d/.hidden", b"h\n");
        fx.write("d/sub/nested", b"n\n");
        symlink("b.txt", fx.root.join("d/link.txt"));
        symlink("sub", fx.root.join("d/linkdir"));
        symlink(fx.outside.join("secret.txt"), fx.root.join("d/leak"));
        mkfifo(&fx.root.join("d/fifo"));
        let want = vec![
            entry(".hidden", b"h\n", "d/.hidden"),
            entry("a.txt", b"a\n", "d/a.txt"),
            entry("b.txt", b"b\n", "d/b.txt"),
        ];
        let sources = fx.sources();
        assert_eq!(sources.read_dir("d").unwrap(), Some(want.clone()));
        assert_eq!(file_entries(&sources, "d").unwrap(), want);
        // Also with the load restriction off: skipping symlinks is kubectl's
        // rule, not only a safety measure.
        let open = fx.sources().allow_outside_root(true);
        assert_eq!(file_entries(&open, "d").unwrap(), want);
    }

    #[test]
    fn directory_origins_join_the_path_as_written() {
        let fx = Fixture::new();
        fx.write("conf/memory.conf", b"m");
        let sources = fx.sources();
        let origins = |spec: &str| -> Vec<String> {
            file_entries(&sources, spec)
                .unwrap()
                .into_iter()
                .map(|e| e.origin)
                .collect()
        };
        assert_eq!(origins("conf"), ["conf/memory.conf"]);
        assert_eq!(origins("conf/"), ["conf/memory.conf"]);
        assert_eq!(origins("./conf"), ["./conf/memory.conf"]);
    }

    #[test]
    fn read_dir_says_none_for_a_file() {
        let fx = Fixture::new();
        fx.write("f", b"x");
        assert_eq!(fx.sources().read_dir("f").unwrap(), None);
    }

    #[test]
    fn an_empty_directory_gives_no_entries() {
        let fx = Fixture::new();
        fs::create_dir(fx.root.join("empty")).unwrap();
        assert_eq!(file_entries(&fx.sources(), "empty").unwrap(), []);
    }

    #[test]
    fn a_key_rename_on_a_directory_is_refused() {
        // kubectl: "cannot give a key name for a directory path".
        let fx = Fixture::new();
        fx.write("conf/a", b"x");
        assert_eq!(
            file_entries(&fx.sources(), "k=conf").unwrap_err(),
            err(
                "cannot name directory `conf` with key `k`",
                Some("a directory gives one key per file; write just `conf`")
            )
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_name_that_is_not_utf8_is_an_error() {
        // kubectl also refuses it (as an invalid key name) rather than skip it.
        use std::os::unix::ffi::OsStrExt;
        let fx = Fixture::new();
        fx.write("d/ok", b"x");
        fs::write(
            fx.root
                .join("d")
                .join(std::ffi::OsStr::from_bytes(b"bad\xff")),
            b"x",
        )
        .unwrap();
        assert_eq!(
            fx.sources().read_dir("d").unwrap_err(),
            err(
                "the name of file `bad\u{fffd}` in `d` is not valid UTF-8",
                Some("rename the file, or name it with `key=path`")
            )
        );
    }

    // ---- load restriction ----

    fn outside_err(fx: &Fixture, path: &str, resolves_to: Option<&Path>) -> SourceError {
        let resolved = resolves_to
            .map(|p| format!(" (it resolves to `{}`)", p.display()))
            .unwrap_or_default();
        err(
            &format!(
                "`{path}` is not in or below the description's folder `{}`{resolved}",
                fx.root()
            ),
            Some(&format!(
                "only files in the description's folder are read by default; \
                 pass `--allow-outside-root` to read `{path}` anyway"
            )),
        )
        .labelled("outside the description's folder")
    }

    #[test]
    fn dot_dot_is_refused() {
        let fx = Fixture::new();
        let secret = fx.outside.join("secret.txt");
        assert_eq!(
            fx.sources().read_file("../outside/secret.txt").unwrap_err(),
            outside_err(&fx, "../outside/secret.txt", Some(&secret))
        );
        // Also through a folder inside the root.
        fx.write("conf/a", b"x");
        assert_eq!(
            file_entries(&fx.sources(), "conf/../../outside/secret.txt").unwrap_err(),
            outside_err(&fx, "conf/../../outside/secret.txt", Some(&secret))
        );
    }

    #[test]
    fn an_absolute_path_outside_is_refused_inside_is_allowed() {
        let fx = Fixture::new();
        fx.write("in.txt", b"in");
        let outside = fx.outside.join("secret.txt").display().to_string();
        let inside = fx.root.join("in.txt").display().to_string();
        let sources = fx.sources();
        assert_eq!(
            sources.read_file(&outside).unwrap_err(),
            outside_err(&fx, &outside, None)
        );
        assert_eq!(
            file_entries(&sources, &inside).unwrap(),
            [entry("in.txt", b"in", &inside)]
        );
    }

    #[test]
    fn a_directory_outside_is_refused() {
        let fx = Fixture::new();
        assert_eq!(
            file_entries(&fx.sources(), "../outside").unwrap_err(),
            outside_err(&fx, "../outside", Some(&fx.outside))
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_path_without_links_resolves_as_canonicalize_does_and_others_go_to_it() {
        let fx = Fixture::new();
        fx.write("conf/deep/app.properties", b"a=1\n");
        symlink(fx.root.join("conf"), fx.root.join("linked"));
        for path in ["conf/deep/app.properties", "conf/deep/", "conf//deep"] {
            let fast = below_without_links(&fx.root, path);
            if cfg!(target_os = "linux") {
                let (at, meta) = fast.expect("plain names, no links: the fast path");
                let canonical = fs::canonicalize(fx.root.join(path)).unwrap();
                assert_eq!(at, canonical, "{path}");
                assert_eq!(meta.is_file(), canonical.is_file(), "{path}");
            } else {
                assert!(fast.is_none());
            }
        }
        // A link anywhere on the way, `..`, `.`, an absolute path or a missing
        // file: left to `fs::canonicalize` and its checks.
        for path in [
            "linked/deep/app.properties",
            "conf/../conf/deep/app.properties",
            "./conf/deep/app.properties",
            "conf/deep/missing",
            "conf/deep/app.properties/x",
            "../outside/secret.txt",
        ] {
            assert!(below_without_links(&fx.root, path).is_none(), "{path}");
        }
        let absolute = fx.root.join("conf/deep/app.properties");
        assert!(below_without_links(&fx.root, &absolute.display().to_string()).is_none());
        // Both ways read the same file and record the same path.
        let sources = fx.sources();
        assert_eq!(sources.read_file("conf/deep/app.properties").unwrap(), b"a=1\n");
        assert_eq!(sources.read_file("linked/deep/app.properties").unwrap(), b"a=1\n");
        let recorded = format!("{:?}", sources.inputs());
        assert!(recorded.contains(&fx.root.join("conf/deep/app.properties").display().to_string()));
        assert!(!recorded.contains("linked"), "{recorded}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_out_of_the_root_is_refused() {
        // kustomize: "security; file '.../inlink' is not in or below '...'".
        let fx = Fixture::new();
        let secret = fx.outside.join("secret.txt");
        symlink(&secret, fx.root.join("inlink"));
        symlink(&fx.outside, fx.root.join("dirlink"));
        let sources = fx.sources();
        assert_eq!(
            file_entries(&sources, "inlink").unwrap_err(),
            outside_err(&fx, "inlink", Some(&secret))
        );
        assert_eq!(
            sources.read_file("inlink").unwrap_err(),
            outside_err(&fx, "inlink", Some(&secret))
        );
        assert_eq!(
            file_entries(&sources, "dirlink").unwrap_err(),
            outside_err(&fx, "dirlink", Some(&fx.outside))
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_within_the_root_is_allowed() {
        let fx = Fixture::new();
        fx.write("conf/a", b"a");
        symlink("conf", fx.root.join("conflink"));
        symlink("conf/a", fx.root.join("alink"));
        let sources = fx.sources();
        assert_eq!(
            file_entries(&sources, "conflink").unwrap(),
            [entry("a", b"a", "conflink/a")]
        );
        assert_eq!(
            file_entries(&sources, "alink").unwrap(),
            [entry("alink", b"a", "alink")]
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_root_reached_through_a_symlink_still_holds_its_files() {
        let fx = Fixture::new();
        fx.write("in.txt", b"in");
        let via = fx.outside.join("root-link");
        symlink(&fx.root, &via);
        let sources = FsSources::new(&via);
        assert_eq!(sources.read_file("in.txt").unwrap(), b"in");
        assert_eq!(
            sources
                .read_file("../outside/secret.txt")
                .unwrap_err()
                .message,
            format!(
                "`../outside/secret.txt` is not in or below the description's folder `{}` \
                 (it resolves to `{}`)",
                fx.root(),
                fx.outside.join("secret.txt").display()
            )
        );
    }

    #[cfg(unix)]
    #[test]
    fn allow_outside_root_lifts_the_restriction() {
        let fx = Fixture::new();
        symlink(fx.outside.join("secret.txt"), fx.root.join("inlink"));
        let outside = fx.outside.join("secret.txt").display().to_string();
        let sources = fx.sources().allow_outside_root(true);
        assert_eq!(
            sources.read_file("../outside/secret.txt").unwrap(),
            b"top secret\n"
        );
        assert_eq!(sources.read_file(&outside).unwrap(), b"top secret\n");
        assert_eq!(
            file_entries(&sources, "inlink").unwrap(),
            [entry("inlink", b"top secret\n", "inlink")]
        );
        assert_eq!(
            file_entries(&sources, "../outside").unwrap(),
            [entry(
                "secret.txt",
                b"top secret\n",
                "../outside/secret.txt"
            )]
        );
        // And `false` puts it back.
        let sources = sources.allow_outside_root(false);
        assert!(sources.read_file("../outside/secret.txt").is_err());
    }

    #[test]
    fn a_missing_root_is_an_error() {
        let fx = Fixture::new();
        let gone = fx.root.join("gone");
        let error = FsSources::new(&gone).read_file("x").unwrap_err();
        assert!(
            error.message.starts_with(&format!(
                "cannot open the description's folder `{}`: ",
                gone.display()
            )),
            "{error}"
        );
    }

    // ---- environment ----

    #[test]
    fn a_fixed_environment_replaces_the_process_one() {
        let (name, _) = std::env::vars_os()
            .find_map(|(k, v)| Some((k.into_string().ok()?, v)))
            .expect("tests run with some environment variable");
        let vars = BTreeMap::from([("DB_PASSWORD".to_owned(), b"hunter2\xff".to_vec())]);
        let sources = FsSources::new(".").with_env(vars);
        assert_eq!(
            sources.env_var("DB_PASSWORD").unwrap(),
            Some(b"hunter2\xff".to_vec())
        );
        assert_eq!(sources.env_var("KUBETOML_SURELY_UNSET").unwrap(), None);
        assert_eq!(sources.env_var(&name).unwrap(), None, "{name} leaked in");
    }

    #[test]
    fn the_process_environment_is_read_by_default() {
        let (name, value) = std::env::vars_os()
            .find_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .expect("tests run with some environment variable");
        let sources = FsSources::new(".");
        assert_eq!(sources.env_var(&name).unwrap(), Some(value.into_bytes()));
        assert_eq!(sources.env_var("KUBETOML_SURELY_UNSET_6d1f").unwrap(), None);
    }

    #[test]
    fn impossible_variable_names_are_refused() {
        let sources = FsSources::new(".");
        for (name, shown) in [("", ""), ("A=B", "A=B"), ("A\0", "A\\0")] {
            assert_eq!(
                sources.env_var(name).unwrap_err(),
                err(
                    &format!("`{shown}` cannot be the name of an environment variable"),
                    None
                )
            );
        }
    }

    // ---- secrets stay out of Debug ----

    #[test]
    fn debug_prints_neither_bytes_nor_env_values() {
        let e = entry("password", b"hunter2", "secrets/password");
        assert_eq!(
            format!("{e:?}"),
            r#"Entry { key: "password", origin: "secrets/password", len: 7 }"#
        );
        let vars = BTreeMap::from([("TOKEN".to_owned(), b"hunter2".to_vec())]);
        let debug = format!("{:?}", FsSources::new("/app").with_env(vars));
        assert_eq!(
            debug,
            r#"FsSources { root: "/app", restrict_to_root: true, env: Some(["TOKEN"]) }"#
        );
    }

    #[test]
    fn display_is_the_message() {
        let e = err("`x` is a directory, not a file", Some("help"));
        assert_eq!(e.to_string(), "`x` is a directory, not a file");
    }

    // ---- env files ----

    #[test]
    fn env_file_follows_kubectl() {
        // `kubectl create configmap x --from-env-file` on these bytes gives
        // exactly these keys and values (checked with kubectl 1.32).
        let input = b"\xef\xbb\xbfFIRST=1\r\n\
            # comment\n\
            \x20\x20\x20\n\
            \x20\x20\x20INDENT=yes\n\
            \tTAB=1\n\
            Q=\"quoted\"\n\
            S='single'\n\
            TRAIL=val   \n\
            EQ=a=b==c\n\
            INLINE=x # not a comment\n\
            EMPTY=\n\
            \x20\x20# indented comment\n\
            -dash.dot_=ok\n\
            CR=1\r\rB\r\n\
            SPACE= v\n\
            LAST=no newline";
        let got = parse_env_file(input, "app.env").unwrap();
        let want = [
            entry("FIRST", b"1", "app.env:1"),
            entry("INDENT", b"yes", "app.env:4"),
            entry("TAB", b"1", "app.env:5"),
            entry("Q", b"\"quoted\"", "app.env:6"),
            entry("S", b"'single'", "app.env:7"),
            entry("TRAIL", b"val   ", "app.env:8"),
            entry("EQ", b"a=b==c", "app.env:9"),
            entry("INLINE", b"x # not a comment", "app.env:10"),
            entry("EMPTY", b"", "app.env:11"),
            entry("-dash.dot_", b"ok", "app.env:13"),
            entry("CR", b"1\r\rB", "app.env:14"),
            entry("SPACE", b" v", "app.env:15"),
            entry("LAST", b"no newline", "app.env:16"),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn env_file_empty_or_only_comments_gives_nothing() {
        assert_eq!(parse_env_file(b"", "e").unwrap(), []);
        assert_eq!(parse_env_file(b"\xef\xbb\xbf\r\n# x\n\n", "e").unwrap(), []);
    }

    #[test]
    fn env_file_keeps_duplicates_for_the_caller_to_refuse() {
        // kubectl refuses them ("cannot add key \"A\", another key by that name
        // already exists"); so does lowering, which knows the object's name.
        let got = parse_env_file(b"A=1\nA=2\n", "e").unwrap();
        assert_eq!(got, [entry("A", b"1", "e:1"), entry("A", b"2", "e:2")]);
    }

    /// The error for an env file, its label checked and set aside.
    fn env_err(input: &[u8]) -> SourceError {
        let e = parse_env_file(input, "app.env").unwrap_err();
        assert_eq!(e.label, "in this env file");
        SourceError {
            label: "cannot read this",
            ..e
        }
    }

    #[test]
    fn env_file_invalid_utf8_names_the_line_not_its_bytes() {
        // kubectl prints the line's bytes: "contains invalid utf8 bytes at line
        // 1: [65 61 255]". That may be a password, so we do not.
        assert_eq!(
            env_err(b"OK=1\n# c\nPASSWORD=hunter2\xff\n"),
            err(
                "`app.env:3` is not valid UTF-8",
                Some("env files are text; use a file source for binary values")
            )
        );
    }

    #[test]
    fn env_file_line_without_equals_is_refused() {
        // kubectl takes `NOEQ` from its own process environment, kustomize
        // makes it "": both silently depend on something the file does not say.
        // The line is not repeated: a stray line may be a password.
        let want = err(
            "`app.env:2` has no `=`",
            Some(
                "write `KEY=` for an empty value, or use `from_env` to take the value \
                 from the build environment",
            ),
        );
        assert_eq!(env_err(b"A=1\nNOEQ\n"), want);
        assert_eq!(env_err(b"A=1\ncorrect horse battery staple\n"), want);
    }

    #[test]
    fn env_file_export_is_refused() {
        // kubectl: "\"export A\" is not a valid key name"; kustomize makes the
        // key `export A`.
        let want = err(
            "`app.env:2` starts with `export`",
            Some("remove `export `: an env file holds `KEY=value` lines, not shell"),
        );
        assert_eq!(env_err(b"# c\nexport A=1\n"), want);
        assert_eq!(env_err(b"# c\n  export\tA=1\n"), want);
        // `export` alone is a valid name.
        assert_eq!(
            parse_env_file(b"export=1", "e").unwrap(),
            [entry("export", b"1", "e:1")]
        );
    }

    #[test]
    fn env_file_bad_keys_are_refused() {
        assert_eq!(
            env_err(b"=v\n"),
            err("`app.env:1` has an empty key", Some("write `KEY=value`"))
        );
        let rule = Some("env file keys must match `[-._a-zA-Z][-._a-zA-Z0-9]*`");
        assert_eq!(
            env_err(b"1A=v\n"),
            err(
                "`app.env:1`: the key is not a valid environment variable name",
                rule
            )
        );
        assert_eq!(
            env_err(b"A B=v\n"),
            err(
                "`app.env:1`: the key is not a valid environment variable name",
                rule
            )
        );
        assert_eq!(
            env_err("\u{c4}B=1\n".as_bytes()),
            err(
                "`app.env:1`: the key is not a valid environment variable name",
                rule
            )
        );
        // A BOM is only stripped on line 1, as kubectl does.
        assert_eq!(
            env_err(b"A=1\n\xef\xbb\xbfB=2\n"),
            err(
                "`app.env:2`: the key is not a valid environment variable name",
                rule
            )
        );
        assert_eq!(
            env_err(b"A =v\n"),
            err(
                "`app.env:1`: the key is not a valid environment variable name",
                Some("remove the space before `=`")
            )
        );
        assert_eq!(
            env_err(b"A\t=v\n"),
            err(
                "`app.env:1`: the key is not a valid environment variable name",
                Some("remove the space before `=`")
            )
        );
    }

    #[test]
    fn env_var_name_rule() {
        for ok in ["A", "_", "-", ".", "a.b-c_D9", "x1"] {
            assert!(is_env_var_name(ok), "{ok}");
        }
        for bad in ["", "1", "9a", "a b", "a=b", "\u{c4}", "a/b"] {
            assert!(!is_env_var_name(bad), "{bad}");
        }
    }

    // ---- properties ----

    proptest::proptest! {
        #[test]
        fn env_file_values_read_back_exactly(
            key in "[-._a-zA-Z][-._a-zA-Z0-9]{0,20}",
            value in "[^\n]*",
        ) {
            // A trailing CR is line-ending noise, stripped like kubectl does.
            proptest::prop_assume!(!value.ends_with('\r'));
            let input = format!("{key}={value}\n");
            let got = parse_env_file(input.as_bytes(), "e").unwrap();
            proptest::prop_assert_eq!(got, vec![entry(&key, value.as_bytes(), "e:1")]);
        }

        #[test]
        fn env_file_errors_never_contain_values(
            secret in "[a-z]{12}",
            broken in 0usize..6,
        ) {
            // Each broken line carries the secret where a value would be.
            let line: Vec<u8> = match broken {
                0 => secret.clone().into_bytes(),
                1 => format!("export A={secret}").into_bytes(),
                2 => format!("={secret}").into_bytes(),
                3 => format!("1A={secret}").into_bytes(),
                4 => format!("A B={secret}").into_bytes(),
                _ => [format!("A={secret}").as_bytes(), b"\xff"].concat(),
            };
            let input = [format!("OK={secret}\n").as_bytes(), &line, b"\n"].concat();
            let error = parse_env_file(&input, "e").unwrap_err();
            let shown = format!("{} {:?}", error.message, error.help);
            proptest::prop_assert!(error.message.starts_with("`e:2`"), "{}", shown);
            proptest::prop_assert!(!shown.contains(&secret), "{}", shown);
        }
    }
}
