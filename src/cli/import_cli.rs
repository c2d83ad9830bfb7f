//! The `import` and `init` commands, and reading descriptions from standard input: the CLI side, never over a file.

use std::io::Write;
use std::path::{Path, PathBuf};

use kubetoml::import::{self, File, Input};
use kubetoml::{Error, ErrorKind};

use crate::cli::terminal;

/// Imports `files` into `dir`: refuses before writing anything if any target exists.
pub fn run(files: &[PathBuf], dir: &Path, quiet: bool) -> Result<(), Vec<Error>> {
    let mut texts = Vec::new();
    for f in files {
        let name = f.display().to_string();
        let text = kubetoml::read_yaml_input(f, ErrorKind::Io).map_err(|e| vec![e])?;
        texts.push((name, text));
    }
    let inputs: Vec<Input> = texts
        .iter()
        .map(|(file, text)| Input { file, text })
        .collect();
    let imported = import::import(&inputs).map_err(|e| vec![e])?;
    write_all(dir, &imported.files).map_err(|e| vec![e])?;
    for d in &imported.differences {
        terminal::eprintln(&d.to_string());
    }
    if !quiet {
        let tomls = imported
            .files
            .iter()
            .filter(|f| f.path.ends_with(".toml"))
            .count();
        terminal::eprintln(&format!(
            "imported {tomls} description(s) and {} data file(s) into `{}`; {} difference(s) listed",
            imported.files.len() - tomls,
            dir.display(),
            imported.differences.len()
        ));
    }
    Ok(())
}

fn io(file: &str, message: String) -> Error {
    Error::bare(ErrorKind::Io, file, message)
}

/// Writes every file of `files` under `dir`, or none: each first into a temporary file
/// beside its place (written, synced), then linked into place, which fails rather than
/// replace anything; on any error every temporary file, every file already placed and
/// every folder this made is removed again. A full disk leaves nothing half-written,
/// and no file kubetoml did not write is ever replaced. Secret data gets mode 0600 (its
/// folders 0700).
fn write_all(dir: &Path, files: &[File]) -> Result<(), Error> {
    let mut made = Made::default();
    let result = place_all(dir, files, &mut made);
    if result.is_err() {
        made.undo();
    }
    result
}

/// What [`place_all`] made so far, to undo on failure.
#[derive(Default)]
struct Made {
    folders: Vec<PathBuf>,
    temporary: Vec<PathBuf>,
    placed: Vec<PathBuf>,
}

impl Made {
    fn undo(&self) {
        for path in self.placed.iter().chain(&self.temporary) {
            let _ = std::fs::remove_file(path);
        }
        // Innermost first; `remove_dir` removes only what stayed empty.
        for folder in self.folders.iter().rev() {
            let _ = std::fs::remove_dir(folder);
        }
    }
}

fn place_all(dir: &Path, files: &[File], made: &mut Made) -> Result<(), Error> {
    let fail = |path: &Path, e: std::io::Error| {
        let shown = path.display().to_string();
        io(
            &shown,
            format!("cannot write `{shown}`: {e}: nothing was written"),
        )
    };
    for f in files {
        let path = dir.join(&f.path);
        if path.symlink_metadata().is_ok() {
            let shown = path.display().to_string();
            return Err(io(
                &shown,
                format!("refusing to overwrite `{shown}`: nothing was written"),
            ));
        }
    }
    let mut staged = Vec::new();
    for f in files {
        let path = dir.join(&f.path);
        let parent = path.parent().unwrap_or(dir);
        create_folders(parent, f.secret, made).map_err(|e| fail(parent, e))?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let temporary = parent.join(format!(".{name}.kubetoml-tmp-{}", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(if f.secret { 0o600 } else { 0o644 });
        }
        let mut out = options.open(&temporary).map_err(|e| fail(&path, e))?;
        made.temporary.push(temporary.clone());
        out.write_all(&f.bytes)
            .and_then(|()| out.sync_all())
            .map_err(|e| fail(&path, e))?;
        staged.push((temporary, path));
    }
    for (temporary, path) in &staged {
        crate::cli::fault::fail("import-place")
            .and_then(|()| place(temporary, path))
            .map_err(|e| fail(path, e))?;
        made.placed.push(path.clone());
    }
    for temporary in made.temporary.drain(..) {
        let _ = std::fs::remove_file(temporary);
    }
    // The new names on disk too, before saying they are written.
    let folders: std::collections::BTreeSet<&Path> =
        staged.iter().filter_map(|(_, p)| p.parent()).collect();
    for folder in folders {
        if let Ok(handle) = std::fs::File::open(folder) {
            let _ = handle.sync_all();
        }
    }
    Ok(())
}

/// Puts `temporary` at `path` without ever replacing a file there: a hard link fails
/// when `path` exists; where links are not supported, a rename after checking.
fn place(temporary: &Path, path: &Path) -> std::io::Result<()> {
    match std::fs::hard_link(temporary, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
        Err(_) if path.symlink_metadata().is_err() => std::fs::rename(temporary, path),
        Err(e) => Err(e),
    }
}

/// Creates `folder` and its missing parents, recording each one made.
fn create_folders(folder: &Path, secret: bool, made: &mut Made) -> std::io::Result<()> {
    let mut missing = Vec::new();
    let mut at = folder;
    while at.symlink_metadata().is_err() {
        missing.push(at.to_path_buf());
        match at.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => at = parent,
            _ => break,
        }
    }
    for folder in missing.into_iter().rev() {
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(if secret { 0o700 } else { 0o755 });
        }
        builder.create(&folder)?;
        made.folders.push(folder);
    }
    Ok(())
}

/// `kubetoml init NAME`: writes NAME.toml, never over an existing file.
pub fn init(name: &str, quiet: bool) -> Result<(), Vec<Error>> {
    let text = kubetoml::starter(name).map_err(|e| vec![e])?;
    let file = File {
        path: format!("{name}.toml"),
        bytes: text.into_bytes(),
        secret: false,
    };
    let path = Path::new(&file.path);
    if path.symlink_metadata().is_ok() {
        return Err(vec![io(
            &file.path,
            format!("refusing to overwrite `{}`", file.path),
        )]);
    }
    write_all(Path::new("."), std::slice::from_ref(&file)).map_err(|e| vec![e])?;
    if !quiet {
        terminal::eprintln(&format!(
            "wrote `{0}`; render it with `kubetoml render {0}`",
            file.path
        ));
    }
    Ok(())
}
