//! The record `render -o` keeps of the folders it creates or moves aside, so that a
//! killed or failed run can be undone by the next one, and nothing else is ever touched.
//!
//! A journal is a file `.BASE.kubetoml-journal-TOKEN` beside the output folder `BASE`,
//! written before each step it records (a killed run's lines are in the page cache, so
//! the next run reads them), and synced to disk only before the output folder is moved
//! aside (see [`Journal::sync`]):
//!
//! ```text
//! kubetoml journal 1
//! journal DEV INO              the journal's own identity: a copy is not a journal
//! dir BASE
//! staging NAME                 a name reserved for the staging folder, before it exists
//! owned NAME DEV INO           the folder NAME was created (or moved there) by this run
//! old NAME                     the output folder is to be moved aside as NAME
//! ```
//!
//! The `old` line (and an `owned` line with the output folder's identity) is written
//! before the staging folder is filled, so that the sync it needs runs while the files
//! are written; the folder is renamed to NAME only once the sync is done and every file
//! is staged. Until then nothing has that name: a run killed in between left an `old`
//! line whose folder never appeared, which recovery leaves alone like any name whose
//! folder is gone.
//!
//! Recovery ([`recover`]) undoes each journal of `BASE`: a folder whose name a journal
//! lists *and* whose device and inode it recorded is kubetoml's (moved back to `BASE`
//! when that is missing, else removed); a reserved name without a recorded inode is
//! removed only when it is an empty folder. A journal whose folders are all gone is
//! removed; one that cannot be finished (a folder that cannot be removed) is kept for
//! the next run, and never stops a render. A file that is not a journal kubetoml wrote
//! (not in this form, or not the file whose identity it records: a copy) is left alone.

use std::fs;
use std::io::{self, Write as _};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

const HEADER: &str = "kubetoml journal 1";

/// The longest hidden name kept from the output folder's own name, in bytes, so
/// `.BASE.kubetoml-staging-TOKEN` stays under NAME_MAX.
const BASE_ROOM: usize = 180;

/// A folder's identity: its device and inode (none where the platform has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity(u64, u64);

fn identity(path: &Path) -> io::Result<Option<Identity>> {
    let meta = fs::symlink_metadata(path)?;
    if !meta.is_dir() {
        return Ok(None);
    }
    Ok(Some(identity_of(&meta)))
}

fn identity_of(meta: &fs::Metadata) -> Identity {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Identity(meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        Identity(0, 0)
    }
}

/// `.BASE.kubetoml-WHAT-`, BASE cut to [`BASE_ROOM`] bytes.
fn prefix(base: &str, what: &str) -> String {
    let mut cut = base.len().min(BASE_ROOM);
    while !base.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(".{}.kubetoml-{what}-", &base[..cut])
}

/// A token no other run of this process id and clock reading has.
fn token(n: u32) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{}-{nanos:x}-{n}", std::process::id())
}

/// This run's journal, open for appending.
pub struct Journal {
    parent: PathBuf,
    base: String,
    path: PathBuf,
    file: fs::File,
}

impl Journal {
    /// Creates a new journal for the output folder `base` in `parent`.
    pub fn start(parent: &Path, base: &str) -> io::Result<Journal> {
        let (path, file) = create_unique(parent, &prefix(base, "journal"), |p| {
            fs::OpenOptions::new().write(true).create_new(true).open(p)
        })?;
        let mut journal = Journal {
            parent: parent.to_path_buf(),
            base: base.to_owned(),
            path,
            file,
        };
        let Identity(dev, ino) = identity_of(&journal.file.metadata()?);
        journal.append(&format!(
            "{HEADER}\njournal {dev} {ino}\ndir {}\n",
            escape(base)
        ))?;
        Ok(journal)
    }

    /// Writes `lines`, not synced: a killed process's writes survive it, and what a
    /// power cut may lose here is named in [`Journal::sync`].
    fn append(&mut self, lines: &str) -> io::Result<()> {
        self.file.write_all(lines.as_bytes())
    }

    /// Creates a fresh staging folder, recorded before and after it exists.
    pub fn create_staging(&mut self) -> io::Result<PathBuf> {
        let stem = prefix(&self.base, "staging");
        for n in 0..100 {
            let name = format!("{stem}{}", token(n));
            let path = self.parent.join(&name);
            if fs::symlink_metadata(&path).is_ok() {
                continue;
            }
            self.append(&format!("staging {}\n", escape(&name)))?;
            match fs::create_dir(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
            self.own(&name, &path)?;
            return Ok(path);
        }
        Err(io::Error::other(
            "cannot find a free name for a staging folder",
        ))
    }

    /// Records that the folder at `path` (named `name` in the parent) is this run's.
    fn own(&mut self, name: &str, path: &Path) -> io::Result<()> {
        match identity(path)? {
            Some(Identity(dev, ino)) => {
                self.append(&format!("owned {} {dev} {ino}\n", escape(name)))
            }
            None => Err(io::Error::other("not a folder")),
        }
    }

    /// Records the name the output folder `dir` is to be moved aside as, with the
    /// folder's identity, before anything is staged: the one sync
    /// ([`Journal::sync`]) then runs while the files are written, and
    /// [`Synced::move_aside`] moves the folder once it is done. Until then no folder has
    /// that name, and recovery finds nothing to undo under it.
    pub fn reserve_aside(&mut self, dir: &Path) -> io::Result<Aside> {
        let stem = prefix(&self.base, "old");
        let Some(Identity(dev, ino)) = identity(dir)? else {
            return Err(io::Error::other("not a folder"));
        };
        for n in 0..100 {
            let name = format!("{stem}{}", token(n));
            let path = self.parent.join(&name);
            if fs::symlink_metadata(&path).is_ok() {
                continue;
            }
            self.append(&format!("old {0}\nowned {0} {dev} {ino}\n", escape(&name)))?;
            return Ok(Aside(path));
        }
        Err(io::Error::other(
            "cannot find a free name to move the folder aside",
        ))
    }

    /// Puts every line written so far on disk: the one sync of a run, before the output
    /// folder is moved aside. After that rename nothing is at `dir` until the staging
    /// folder takes its place, and the user's folder sits under a hidden name that only
    /// this journal tells the next run about; were the rename on disk and the journal
    /// not (a power cut), it would be left there unknown. The lines before it (the
    /// staging folder) are synced with it. Syncing each line (four syncs, each forcing a
    /// commit of the file system's own journal) made `-o` 1.6 times as slow as stdout at
    /// 100 apps; skipping the others costs, after a power cut only, at worst a hidden
    /// staging folder the next run does not know about, never an output folder. A first
    /// render (nothing to move aside) has no sync: a power cut then loses nothing but
    /// that staging folder.
    ///
    /// It takes `&self`, so it runs on a thread of its own while the staging folder is
    /// filled (its wait on the disk then costs nothing); the [`Synced`] it gives borrows
    /// the journal, so no line can be added between the sync and the rename it allows.
    pub fn sync(&self) -> io::Result<Synced<'_>> {
        crate::cli::fault::fail("sync")?;
        self.file.sync_data()?;
        Ok(Synced(PhantomData))
    }

    /// Removes the journal once nothing it names is left.
    pub fn finish(self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// The name the output folder is to be moved aside as, recorded in the journal
/// ([`Journal::reserve_aside`]).
pub struct Aside(PathBuf);

impl Aside {
    /// Where the folder goes.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

/// The journal, on disk as it is now ([`Journal::sync`]).
pub struct Synced<'a>(PhantomData<&'a Journal>);

impl Synced<'_> {
    /// Moves the output folder `dir` aside, as the synced journal says.
    pub fn move_aside(&self, dir: &Path, aside: &Aside) -> io::Result<()> {
        // `rename` replaces an empty folder that appeared in between: only a folder
        // made since [`Journal::reserve_aside`] with this run's unique name.
        fs::rename(dir, &aside.0)
    }
}

/// Creates a new entry named `stem` + a unique token with `create`.
fn create_unique<T>(
    parent: &Path,
    stem: &str,
    create: impl Fn(&Path) -> io::Result<T>,
) -> io::Result<(PathBuf, T)> {
    for n in 0..100 {
        let path = parent.join(format!("{stem}{}", token(n)));
        match create(&path) {
            Ok(made) => return Ok((path, made)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "cannot find a free name for `{stem}…`"
    )))
}

/// A name on one journal line: `\` and line breaks escaped (a folder name may hold any
/// byte but `/` and NUL).
fn escape(name: &str) -> String {
    name.replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// What one journal says.
#[derive(Default)]
struct Record {
    /// The journal file's own identity, as written when it was created.
    itself: Option<Identity>,
    dir: Option<String>,
    /// Staging names reserved, in order.
    staging: Vec<String>,
    /// The name the output folder was moved aside as.
    old: Option<String>,
    /// Folders this run created or moved, with their identity.
    owned: Vec<(String, Identity)>,
}

/// Parses a journal; `None` when it is not one kubetoml wrote. A last line cut
/// short by a crash is ignored (every step is recorded before it is taken).
fn parse(text: &str) -> Option<Record> {
    let mut lines = text.split_inclusive('\n');
    if lines.next()? != format!("{HEADER}\n") {
        return None;
    }
    let mut record = Record::default();
    for line in lines {
        let Some(line) = line.strip_suffix('\n') else {
            break;
        };
        // Names of entries beside the output folder, never paths.
        if line.contains('/') {
            return None;
        }
        let (word, rest) = line.split_once(' ')?;
        match word {
            "journal" => {
                let (dev, ino) = rest.split_once(' ')?;
                record.itself = Some(Identity(dev.parse().ok()?, ino.parse().ok()?));
            }
            "dir" => record.dir = Some(unescape(rest)),
            "staging" => record.staging.push(unescape(rest)),
            "old" => record.old = Some(unescape(rest)),
            "owned" => {
                let mut parts = rest.rsplitn(3, ' ');
                let ino = parts.next()?.parse().ok()?;
                let dev = parts.next()?.parse().ok()?;
                record
                    .owned
                    .push((unescape(parts.next()?), Identity(dev, ino)));
            }
            _ => return None,
        }
    }
    Some(record)
}

/// Undoes what the journals of the output folder `dir` (named `base`, as text) in
/// `parent` record (see the module's documentation). Errors are the parent's listing
/// only: a folder that cannot be removed keeps its journal for the next run.
pub fn recover(parent: &Path, base: &str, dir: &Path) -> io::Result<()> {
    let stem = prefix(base, "journal");
    for entry in fs::read_dir(parent)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.starts_with(&stem) || !entry.file_type()?.is_file() {
            continue;
        }
        let path = entry.path();
        let Ok(text) = kubetoml::read_input(&path) else {
            continue;
        };
        let Some(record) = parse(&text) else { continue };
        let itself = fs::symlink_metadata(&path).map(|m| identity_of(&m)).ok();
        if record.dir.as_deref() != Some(base) || record.itself.is_none() || record.itself != itself
        {
            continue;
        }
        if undo(parent, dir, &record) {
            let _ = fs::remove_file(&path);
        }
    }
    Ok(())
}

/// Undoes one journal's record; `true` when nothing it names is left.
fn undo(parent: &Path, dir: &Path, record: &Record) -> bool {
    let is_ours = |name: &str| -> bool {
        let Ok(Some(id)) = identity(&parent.join(name)) else {
            return false;
        };
        record.owned.iter().any(|(n, i)| n == name && *i == id)
    };
    let mut done = true;
    if let Some(old) = &record.old {
        let path = parent.join(old);
        if is_ours(old) {
            // Back in place when nothing is there; removed only when the new one is.
            done &= match fs::symlink_metadata(dir) {
                Err(_) => fs::rename(&path, dir).is_ok(),
                Ok(_) => remove_owned(&path).is_ok(),
            };
        }
    }
    for name in &record.staging {
        let path = parent.join(name);
        if is_ours(name) {
            done &= remove_owned(&path).is_ok();
        } else if fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            // Reserved, but the crash came before its inode was recorded: removed only
            // while empty (`remove_dir` refuses anything else).
            let _ = fs::remove_dir(&path);
        }
    }
    done
}

/// Removes a folder this run or a journal proved kubetoml's, first making it writable
/// (it took the mode of the output folder, which may be read-only).
pub fn remove_owned(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o700));
    }
    crate::cli::fault::fail("remove-old")?;
    fs::remove_dir_all(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_line_breaks_read_back() {
        let name = ".a\nb\\c.kubetoml-old-1";
        assert_eq!(unescape(&escape(name)), name);
        let text = format!(
            "{HEADER}\njournal 1 2\ndir a\nold {0}\nowned {0} 5 7\nstaging x",
            escape(name)
        );
        let record = parse(&text).unwrap();
        assert_eq!(record.old.as_deref(), Some(name));
        assert_eq!(record.owned, [(name.to_owned(), Identity(5, 7))]);
        // The last line, cut short by a crash, is not read.
        assert!(record.staging.is_empty());
    }

    /// A run killed after the `old` line, before the folder was moved: the name never
    /// appeared, so there is nothing to move back or remove, whether the output folder
    /// is in place or not; the staging folder goes, and the journal is done.
    #[test]
    fn an_old_name_whose_folder_never_appeared_is_nothing_to_undo() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("out");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("a.yaml"), "a").unwrap();
        let mut journal = Journal::start(parent.path(), "out").unwrap();
        let staging = journal.create_staging().unwrap();
        fs::write(staging.join("a.yaml"), "b").unwrap();
        let aside = journal.reserve_aside(&dir).unwrap();
        let text = fs::read_to_string(&journal.path).unwrap();
        let record = parse(&text).unwrap();
        assert_eq!(
            record.old.as_deref().map(|n| parent.path().join(n)),
            Some(aside.path().to_owned())
        );
        assert!(undo(parent.path(), &dir, &record));
        assert!(!staging.exists());
        assert!(!aside.path().exists());
        assert_eq!(fs::read_to_string(dir.join("a.yaml")).unwrap(), "a");
        // The output folder gone too (removed by hand meanwhile): nothing appears.
        fs::remove_dir_all(&dir).unwrap();
        assert!(undo(parent.path(), &dir, &record));
        assert!(!dir.exists() && !aside.path().exists());
    }

    #[test]
    fn a_file_kubetoml_did_not_write_is_not_a_journal() {
        assert!(parse("hello\n").is_none());
        assert!(parse(&format!("{HEADER}\nrm -rf / x\n")).is_none());
    }
}
