//! The `kubetoml` command: argument parsing and printing only; the work is in the library.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kubetoml::{Document, Error, ErrorKind, Options, Templates};

mod output_dir;

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

The pods' kubetoml.dev/config-hash covers Secrets only with KUBETOML_HASH_KEY
set (a random key kept as a CI secret: the hash is keyed, so it tells nothing
about a password); without it a Secret change does not roll the pods unless
the Secret has `hash_suffix = true`.

Exit status: 0 rendered, 1 bad description or a change --against refuses
(nothing printed, nothing written), 2 bad usage, 141 the reader of stdout
went away (`| head`: nothing on stderr, as for tools killed by SIGPIPE).";

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

Exit status: 0 explained, 1 bad description, 2 bad usage, 141 the reader of
stdout went away.";

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
        let previous =
            kubetoml::sources::read_limited_to_string(path, kubetoml::sources::MAX_INPUT_BYTES)
                .map_err(|e| {
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
        Some(dir) => output_dir::write_dir(dir, &documents).map_err(|e| vec![e]),
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

/// The exit status when the reader of stdout went away (`kubetoml render | head -1`):
/// 128 + SIGPIPE, what a shell reports for tools that die of SIGPIPE, with nothing on
/// stderr. `set -o pipefail` scripts see it as they see it from `cat` or `yes`.
const CLOSED_PIPE: u8 = 141;

/// Writes the whole output to stdout at once, after everything succeeded. A closed pipe
/// ends the program quietly with [`CLOSED_PIPE`].
fn print(text: &str) -> Result<(), Vec<Error>> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(CLOSED_PIPE.into());
            }
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
        if !seen.insert((d.kind, d.namespace.clone(), d.name.clone())) {
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
