//! The `kubetoml` command: argument parsing and printing only; the work is in the library.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kubetoml::model::Kind;
use kubetoml::{Document, Error, ErrorKind, Options, Templates};

const EXAMPLE: &str = "\
Example:
  # web.toml
  name = \"web\"
  replicas = 3
  image = \"nginx:1.27\"
  ports = { web = 80 }

  [volumes.www]
  mount = \"/usr/share/nginx/html\"
  size = \"1Gi\"

  $ kubetoml render web.toml | kubectl apply -f -

Exit status: 0 rendered, 1 bad description or a change --against refuses
(nothing printed, nothing written), 2 bad usage.";

/// Compile a TOML description of a stateful app into Kubernetes YAML.
#[derive(Parser)]
#[command(name = "kubetoml", version, about, after_help = EXAMPLE)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render descriptions to YAML: one stream on stdout, or one file per object with -o.
    #[command(after_help = EXAMPLE)]
    Render(RenderArgs),
    /// Explain what the StatefulSet promises, pod by pod: names, DNS names, claims, mounts, env sources.
    #[command(after_help = EXPLAIN_HELP)]
    Explain(ExplainArgs),
}

const EXPLAIN_HELP: &str = "\
Example:
  $ kubetoml explain web.toml
  $ kubetoml explain --format json web.toml | jq -r '.pods[].dns'

Secrets are read as for render (a missing variable is an error), but no
Secret value is ever printed: variables from Secrets show the Secret's name
and key only. Without a namespace in the description, DNS names show
<namespace>: the namespace `kubectl apply` picks (the context's, or -n).

Exit status: 0 explained, 1 bad description, 2 bad usage.";

#[derive(clap::Args)]
struct ExplainArgs {
    /// The description to explain.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// `text` for people, `json` for scripts (a stable, documented shape).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Let the description read files outside its own folder.
    #[arg(long)]
    allow_outside_root: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(clap::Args)]
struct RenderArgs {
    /// Descriptions to render (paths inside resolve against each one's folder).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Write one file per object into DIR (all or nothing) instead of stdout.
    #[arg(short = 'o', long = "output-dir", value_name = "DIR")]
    output_dir: Option<PathBuf>,
    /// Use the templates in DIR (configmap.yaml, secret.yaml, service.yaml, statefulset.yaml) instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Let descriptions read files outside their own folder.
    #[arg(long)]
    allow_outside_root: bool,
    /// Refuse Secret values written in the description itself.
    #[arg(long)]
    no_literal_secrets: bool,
    /// Compare with FILE (a previous render, or `kubectl get statefulset NAME -o yaml`) first, and
    /// fail without printing anything if a field Kubernetes cannot change in place would change.
    #[arg(long, value_name = "FILE")]
    against: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let result = match cli.command {
        Command::Render(args) => render(args, color),
        Command::Explain(args) => explain(args, color),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(errors) => {
            let mut stderr = std::io::stderr().lock();
            for e in &errors {
                let _ = write!(stderr, "{}", e.draw(color));
            }
            ExitCode::from(1)
        }
    }
}

fn render(args: RenderArgs, color: bool) -> Result<(), Vec<Error>> {
    let templates = match &args.templates {
        Some(dir) => Templates::from_dir(dir).map_err(|e| vec![e])?,
        None => Templates::builtin(),
    };
    let options = Options {
        no_literal_secrets: args.no_literal_secrets,
        allow_outside_root: args.allow_outside_root,
    };
    let mut documents = Vec::new();
    let mut errors = Vec::new();
    for file in &args.files {
        match kubetoml::compile_file_with(file, &templates, &options) {
            Ok(out) => {
                let warnings = out.draw_warnings(color);
                if !warnings.is_empty() {
                    eprint!("{warnings}");
                }
                documents.extend(out.documents);
            }
            Err(e) => errors.push(e),
        }
    }
    if let Some(e) = duplicate_objects(&documents) {
        errors.push(e);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if let Some(path) = &args.against {
        let name = path.display().to_string();
        let previous = std::fs::read_to_string(path).map_err(|e| {
            vec![Error::bare(
                ErrorKind::Against,
                &name,
                format!("cannot read `{name}`: {e}"),
            )]
        })?;
        kubetoml::against::check(&previous, &name, &documents).map_err(|e| vec![e])?;
    }
    match &args.output_dir {
        None => print(&kubetoml::join_documents(&documents)),
        Some(dir) => write_dir(dir, &documents).map_err(|e| vec![e]),
    }
}

fn explain(args: ExplainArgs, color: bool) -> Result<(), Vec<Error>> {
    let options = Options {
        no_literal_secrets: false,
        allow_outside_root: args.allow_outside_root,
    };
    let resolved = kubetoml::compile_model_file(&args.file, &options).map_err(|e| vec![e])?;
    let warnings = resolved.draw_warnings(color);
    if !warnings.is_empty() {
        eprint!("{warnings}");
    }
    let explanation = kubetoml::explain::explain(&resolved.model);
    let text = match args.format {
        Format::Text => explanation.to_text(),
        Format::Json => explanation.to_json(),
    };
    print(&text)
}

/// Writes the whole output to stdout at once, after everything succeeded.
fn print(text: &str) -> Result<(), Vec<Error>> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| {
            vec![Error::bare(
                ErrorKind::Io,
                "stdout",
                format!("cannot write the output: {e}"),
            )]
        })
}

/// Two descriptions must not make the same object.
fn duplicate_objects(docs: &[Document]) -> Option<Error> {
    let mut seen = std::collections::BTreeSet::new();
    for d in docs {
        if !seen.insert((d.kind.clone(), d.namespace.clone(), d.name.clone())) {
            return Some(Error::bare(
                ErrorKind::Invalid,
                "",
                format!(
                    "two descriptions make {} `{}`{}",
                    d.kind,
                    d.name,
                    d.namespace
                        .as_ref()
                        .map(|n| format!(" in namespace `{n}`"))
                        .unwrap_or_default()
                ),
            ));
        }
    }
    None
}

/// The file an object is written to: apply order first, zero-padded to the
/// same width for all, so `kubectl apply -f DIR` (which sorts names) keeps it.
fn file_name(index: usize, total: usize, doc: &Document) -> String {
    let width = total.to_string().len().max(2);
    format!(
        "{:0width$}-{}-{}.yaml",
        index + 1,
        doc.kind.as_str().to_lowercase(),
        doc.name
    )
}

/// Writes every file or none: into a fresh sibling folder first, renamed into place at the end.
fn write_dir(dir: &Path, docs: &[Document]) -> Result<(), Error> {
    let io = |what: String, e: std::io::Error| {
        Error::bare(
            ErrorKind::Io,
            dir.display().to_string(),
            format!("{what}: {e}"),
        )
    };
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = dir
        .file_name()
        .ok_or_else(|| {
            Error::bare(
                ErrorKind::Io,
                dir.display().to_string(),
                format!("`{}` cannot be an output folder", dir.display()),
            )
        })?
        .to_string_lossy()
        .into_owned();
    if dir.exists() {
        // Only a folder of our own YAML files is replaced: `-o .` must never wipe a project.
        let entries = std::fs::read_dir(dir)
            .map_err(|e| io(format!("cannot read `{}`", dir.display()), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io(format!("cannot read `{}`", dir.display()), e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = name.ends_with(".yaml") && entry.file_type().is_ok_and(|t| t.is_file());
            if !ours {
                return Err(Error::bare(
                    ErrorKind::Io,
                    dir.display().to_string(),
                    format!(
                        "refusing to replace `{}`: it holds `{name}`, which kubetoml did not write",
                        dir.display()
                    ),
                ));
            }
        }
    }
    let staging = parent.join(format!(".{base}.kubetoml-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)
        .map_err(|e| io(format!("cannot create `{}`", staging.display()), e))?;
    let result = (|| {
        for (i, doc) in docs.iter().enumerate() {
            let path = staging.join(file_name(i, docs.len(), doc));
            write_file(&path, doc.yaml.as_bytes(), doc.kind == Kind::Secret)
                .map_err(|e| io(format!("cannot write `{}`", path.display()), e))?;
        }
        let old = parent.join(format!(".{base}.kubetoml-old-{}", std::process::id()));
        if dir.exists() {
            std::fs::rename(dir, &old)
                .map_err(|e| io(format!("cannot move `{}` aside", dir.display()), e))?;
        }
        std::fs::rename(&staging, dir)
            .map_err(|e| io(format!("cannot create `{}`", dir.display()), e))?;
        let _ = std::fs::remove_dir_all(&old);
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn write_file(path: &Path, bytes: &[u8], secret: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if secret { 0o600 } else { 0o644 });
    }
    let _ = secret;
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
