//! The `import` and `init` commands, and reading descriptions from standard input: the CLI side, never over a file.

use std::io::Write;
use std::path::{Path, PathBuf};

use kubetoml::import::{self, File, Input};
use kubetoml::{Error, ErrorKind};

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
    for f in &imported.files {
        let path = dir.join(&f.path);
        if path.symlink_metadata().is_ok() {
            return Err(vec![io(
                &path.display().to_string(),
                format!(
                    "refusing to overwrite `{}`: nothing was written",
                    path.display()
                ),
            )]);
        }
    }
    let mut written = Vec::new();
    for f in &imported.files {
        if let Err(e) = write(dir, f) {
            for p in written.iter().rev() {
                let _ = std::fs::remove_file(p);
            }
            return Err(vec![e]);
        }
        written.push(dir.join(&f.path));
    }
    let mut stderr = std::io::stderr().lock();
    for d in &imported.differences {
        let _ = writeln!(stderr, "{d}");
    }
    if !quiet {
        let tomls = imported
            .files
            .iter()
            .filter(|f| f.path.ends_with(".toml"))
            .count();
        let _ = writeln!(
            stderr,
            "imported {tomls} description(s) and {} data file(s) into `{}`; {} difference(s) listed",
            imported.files.len() - tomls,
            dir.display(),
            imported.differences.len()
        );
    }
    Ok(())
}

fn io(file: &str, message: String) -> Error {
    Error::bare(ErrorKind::Io, file, message)
}

/// Creates one file (and its folders); Secret data mode 0600. Never replaces a file.
fn write(dir: &Path, f: &File) -> Result<(), Error> {
    let path = dir.join(&f.path);
    let fail = |e: std::io::Error| {
        let shown = path.display().to_string();
        io(&shown, format!("cannot write `{shown}`: {e}"))
    };
    if let Some(parent) = path.parent() {
        let mut folders = std::fs::DirBuilder::new();
        folders.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            folders.mode(if f.secret { 0o700 } else { 0o755 });
        }
        folders.create(parent).map_err(fail)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if f.secret { 0o600 } else { 0o644 });
    }
    let mut out = options.open(&path).map_err(fail)?;
    out.write_all(&f.bytes).map_err(fail)
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
    write(Path::new("."), &file).map_err(|e| vec![e])?;
    if !quiet {
        eprintln!(
            "wrote `{0}`; render it with `kubetoml render {0}`",
            file.path
        );
    }
    Ok(())
}
