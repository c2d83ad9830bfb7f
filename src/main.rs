//! The `kubetoml` command: argument parsing and printing only; the work is in the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use kubetoml::{Document, Error, ErrorKind, Options, Templates};

mod cli;

use cli::{argocd, check_dir, folder, import_cli, output_dir, terminal};

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

/// The version, and the Kubernetes releases whose API the output is tested against.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (output tested against Kubernetes 1.27 to 1.37)"
);

/// Compile a TOML description of a stateful app into Kubernetes YAML.
#[derive(Parser)]
#[command(name = "kubetoml", version = VERSION, about, after_help = EXAMPLE)]
struct Cli {
    /// Color errors and warnings: `auto` when stderr is a terminal (off with NO_COLOR, forced with CLICOLOR_FORCE).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Print no warnings and no summary (errors still print).
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// Render descriptions to YAML: one stream on stdout, or one file per object with -o.
    #[command(after_help = EXAMPLE)]
    Render(RenderArgs),
    /// Explain what the StatefulSet promises, pod by pod: names, DNS names, claims, mounts, env sources.
    #[command(after_help = EXPLAIN_HELP)]
    Explain(ExplainArgs),
    /// Import existing manifests (hand-written, `kubectl get -o yaml`, helm or kustomize renders) as descriptions.
    #[command(after_help = IMPORT_HELP)]
    Import(ImportArgs),
    /// Write a commented starter description NAME.toml (never over an existing file).
    Init {
        /// The app's name (a DNS label); the file is NAME.toml in the current folder.
        #[arg(default_value = "app")]
        name: String,
    },
    /// Print a shell completion script: `kubetoml completions bash > ~/.local/share/bash-completion/completions/kubetoml`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `kubetoml man > kubetoml.1`.
    Man,
    /// Print the JSON Schema of the description format (for taplo / Even Better TOML).
    Schema,
    /// Argo CD's config management plugin: what `integrations/argocd/plugin.yaml` runs.
    #[command(subcommand, after_help = ARGOCD_HELP)]
    Argocd(ArgocdCommand),
}

const ARGOCD_HELP: &str = "\
Run by Argo CD's CMP server in the Application's source folder; see
integrations/argocd/ and the book's Integrations page for the sidecar.

Parameters (spec.source.plugin.parameters, sent as ARGOCD_APP_PARAMETERS):
  environment   string  merge [environments.NAME] (--environment)
  overlays      array   overlay files, relative to the folder (--overlay, in order)
  set           map     field path = value (--set, in key order)
  kube-version  string  the release to render for; default KUBE_VERSION, the cluster's
A description's build-time variable NAME comes from the sidecar's environment,
else from ARGOCD_ENV_NAME (spec.source.plugin.env).";

#[derive(Subcommand)]
enum ArgocdCommand {
    /// Print the descriptions in the current folder, one a line (nothing: not a kubetoml app).
    Discover,
    /// Render every description in the current folder to stdout, as the Application's parameters say.
    Generate,
}

const IMPORT_HELP: &str = "\
Writes DIR/NAME.toml for each StatefulSet (NAME: its name) and the data files
its ConfigMaps and Secrets need beside it (Secret data mode 0600), refusing to
overwrite any file. Renders the result and lists on stderr every way it
differs from the input, with the input's file and path.

Example:
  $ kubectl get statefulset,service,configmap,secret -o yaml > live.yaml
  $ kubetoml import live.yaml -o deploy/

Exit status: 0 imported, 1 unreadable input or a file in the way, 2 bad usage.";

#[derive(clap::Args)]
struct ImportArgs {
    /// Manifest files (YAML streams, `List`s allowed); `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The folder to write into (created if needed; existing files are never replaced).
    #[arg(short = 'o', long = "output-dir", value_name = "DIR", required = true)]
    output_dir: PathBuf,
}

const EXPLAIN_HELP: &str = "\
Example:
  $ kubetoml explain web.toml
  $ kubetoml explain --format json web.toml | jq -r '.pods[].dns'
  $ kubetoml explain --format dot web.toml | dot -Tsvg > web.svg

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
    /// `text` for people, `json` for scripts (a stable, documented shape), `dot` (Graphviz) or
    /// `mermaid` for a picture of the objects and what reaches what.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    compile: CompileArgs,
}

/// How a description compiles, for `render` and `explain` alike.
#[derive(clap::Args)]
struct CompileArgs {
    /// Let the description read files outside its own folder.
    #[arg(long)]
    allow_outside_root: bool,
    /// The Kubernetes release the output is for (1.27 to 1.37; wins over the description's
    /// `kube_version`). Default: 1.35, the oldest release still supported upstream in late 2026.
    #[arg(long, value_name = "VERSION", value_parser = kube_version)]
    kube_version: Option<String>,
    /// Treat warnings as errors: print them, then exit 1 without output (for CI).
    #[arg(long)]
    deny_warnings: bool,
    #[command(flatten)]
    layers: LayerArgs,
    /// Build-time variables to read instead of the process environment (`argocd generate`).
    #[arg(skip)]
    env: Option<std::collections::BTreeMap<String, Vec<u8>>>,
}

impl CompileArgs {
    /// The library's options for these flags.
    fn options(&self) -> Options {
        let mut options = Options::new().allow_outside_root(self.allow_outside_root);
        if let Some(vars) = &self.env {
            options = options.env(vars.clone());
        }
        if let Some(v) = &self.kube_version {
            options = options.kube_version(v);
        }
        self.layers.apply(options)
    }
}

/// What to merge over a description, in this order.
#[derive(clap::Args)]
struct LayerArgs {
    /// Merge the description's `[environments.NAME]` tables over it.
    #[arg(long, value_name = "NAME")]
    environment: Option<String>,
    /// Merge FILE, a part of a description, over it (after the environment; repeatable,
    /// in order). Paths in FILE resolve against FILE's folder.
    #[arg(long, value_name = "FILE")]
    overlay: Vec<PathBuf>,
    /// Set one field, last: `replicas=5`, `volumes.www.size=200Gi`,
    /// `labels."team.example.com/owner"=db` (repeatable). A string field takes the text as
    /// written; numbers and booleans are parsed; arrays and tables take TOML inline syntax.
    #[arg(long, value_name = "PATH=VALUE")]
    set: Vec<String>,
}

impl LayerArgs {
    fn apply(&self, mut options: Options) -> Options {
        if let Some(name) = &self.environment {
            options = options.environment(name);
        }
        for path in &self.overlay {
            options = options.overlay(path);
        }
        for set in &self.set {
            options = options.set(set);
        }
        options
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    /// A Graphviz graph: `kubetoml explain --format dot web.toml | dot -Tsvg > web.svg`.
    Dot,
    /// A Mermaid flowchart, for a ```mermaid block in Markdown.
    Mermaid,
}

#[derive(clap::Args)]
struct RenderArgs {
    /// Descriptions to render (paths inside resolve against each one's folder); `-` reads
    /// standard input, whose paths resolve against the working directory. A folder stands
    /// for every description directly in it, by file name: each `*.toml` with a top-level
    /// `name`, but not `*.overlay.toml` (overlays and data files go beside or in subfolders).
    #[arg(required = true, value_name = "FILE|DIR")]
    files: Vec<PathBuf>,
    /// Write one file per object into DIR (all or nothing) instead of stdout.
    #[arg(short = 'o', long = "output-dir", value_name = "DIR")]
    output_dir: Option<PathBuf>,
    /// With -o: write nothing; exit 1 listing each file of DIR that is stale, missing or
    /// extra, 0 when DIR is up to date (for CI).
    #[arg(long, requires = "output_dir")]
    check: bool,
    /// Use the templates in DIR instead of the built-in ones (one per kind: statefulset.yaml,
    /// service.yaml, configmap.yaml, ...; a file kubetoml does not know is an error).
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Refuse Secret values written in the description itself.
    #[arg(long)]
    no_literal_secrets: bool,
    /// Compare with FILE (a previous render, or `kubectl get statefulset NAME -o yaml`) first, and
    /// fail without printing anything if a field Kubernetes cannot change in place would change
    /// (`-`: standard input).
    #[arg(long, value_name = "FILE")]
    against: Option<PathBuf>,
    #[command(flatten)]
    compile: CompileArgs,
}

/// Checks a `--kube-version` value as the library will read it.
fn kube_version(text: &str) -> Result<String, String> {
    kubetoml::KubeVersion::parse(text).map(|_| text.to_owned())
}

/// With `--deny-warnings`, the error that a file's warnings become.
fn denied(deny: bool, file: &Path, warnings: &str) -> Option<Error> {
    let name = file.display().to_string();
    (deny && !warnings.is_empty()).then(|| {
        Error::bare(
            ErrorKind::Invalid,
            &name,
            format!("`{name}` has warnings, and `--deny-warnings` makes them errors"),
        )
    })
}

/// Counts what users' templates allocate: past 96 MiB for one object, an error, not
/// gigabytes (see `kubetoml::TemplateMemoryLimit`).
#[global_allocator]
static ALLOCATOR: kubetoml::TemplateMemoryLimit = kubetoml::TemplateMemoryLimit;

/// The file name kubectl runs for `kubectl kubetoml` (a link to this binary, or a copy).
const KUBECTL_PLUGIN: &str = "kubectl-kubetoml";

/// The command line, read as `kubectl kubetoml` when the binary runs under
/// the name [`KUBECTL_PLUGIN`] (kubectl runs plugins with their path as
/// `argv[0]`), so its help and errors show the command the user typed.
fn parse_cli() -> Cli {
    let argv0 = std::env::args_os().next().map(PathBuf::from);
    let plugin = argv0
        .as_deref()
        .and_then(Path::file_stem)
        .is_some_and(|stem| stem == KUBECTL_PLUGIN);
    let mut command = Cli::command();
    if plugin {
        command = as_kubectl_plugin(command.bin_name("kubectl kubetoml"));
    }
    let matches = command
        .try_get_matches()
        .unwrap_or_else(|e| terminal::clap_exit(&e));
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| terminal::clap_exit(&e))
}

/// `command` and its subcommands with their examples written as `kubectl kubetoml ...`.
fn as_kubectl_plugin(mut command: clap::Command) -> clap::Command {
    if let Some(help) = command.get_after_help() {
        let help = help
            .to_string()
            .replace("$ kubetoml ", "$ kubectl kubetoml ");
        command = command.after_help(help);
    }
    let names: Vec<String> = (command.get_subcommands())
        .map(|c| c.get_name().to_owned())
        .collect();
    for name in names {
        command = command.mut_subcommand(name, as_kubectl_plugin);
    }
    command
}

fn main() -> ExitCode {
    let cli = parse_cli();
    let color = use_color(cli.color);
    let quiet = cli.quiet;
    let result = match cli.command {
        Command::Render(args) => render(args, color, quiet),
        Command::Explain(args) => explain(args, color, quiet),
        Command::Import(args) => import_cli::run(&args.files, &args.output_dir, quiet),
        Command::Init { name } => import_cli::init(&name, quiet),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "kubetoml", &mut out);
            print(&String::from_utf8_lossy(&out))
        }
        Command::Schema => print(&kubetoml::json_schema()),
        Command::Argocd(ArgocdCommand::Discover) => argocd::discover(),
        Command::Argocd(ArgocdCommand::Generate) => argocd::generate(color, quiet),
        Command::Man => {
            let mut out = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut out) {
                Ok(()) => print(&String::from_utf8_lossy(&out)),
                Err(e) => Err(vec![Error::bare(ErrorKind::Io, "man", e.to_string())]),
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(errors) => {
            for e in &errors {
                terminal::eprint(&e.draw(color), color);
            }
            ExitCode::from(1)
        }
    }
}

/// `--color`; `auto`: NO_COLOR (set and not empty) turns colors off, then
/// CLICOLOR_FORCE (set and not `0`) turns them on, else only on a terminal.
fn use_color(choice: ColorChoice) -> bool {
    let set = |name: &str, off: &str| std::env::var_os(name).is_some_and(|v| v != off);
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set("NO_COLOR", "") => false,
        ColorChoice::Auto if set("CLICOLOR_FORCE", "0") => true,
        ColorChoice::Auto => terminal::stderr_is_terminal(),
    }
}

fn render(args: RenderArgs, color: bool, quiet: bool) -> Result<(), Vec<Error>> {
    let stdin_uses = args.files.iter().filter(|f| is_stdin(f)).count()
        + usize::from(args.against.as_deref().is_some_and(is_stdin));
    if stdin_uses > 1 {
        return Err(vec![Error::bare(
            ErrorKind::Io,
            "-",
            "standard input (`-`) can be read only once",
        )]);
    }
    let templates = match &args.templates {
        Some(dir) => Templates::from_dir(dir).map_err(|e| vec![e])?,
        None => Templates::builtin(),
    };
    let options = args
        .compile
        .options()
        .no_literal_secrets(args.no_literal_secrets);
    let files = folder::expand(&args.files, quiet)?;
    let mut documents = Vec::new();
    let mut errors = Vec::new();
    // Compiled on every core; the results come back in argument order, so
    // what is printed below is what a serial loop prints.
    let results = kubetoml::compile_files(&files, &templates, &options);
    for (file, result) in files.iter().zip(results) {
        match result {
            Ok(out) => {
                let warnings = out.draw_warnings(color);
                if !warnings.is_empty() && (!quiet || args.compile.deny_warnings) {
                    terminal::eprint(&warnings, color);
                }
                errors.extend(denied(args.compile.deny_warnings, file, &warnings));
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
        let previous = kubetoml::read_yaml_input(path, ErrorKind::Against).map_err(|e| vec![e])?;
        kubetoml::check_against(&previous, &name, &documents).map_err(|e| vec![e])?;
        if !quiet {
            for note in kubetoml::against_notes(&previous, &name, &documents) {
                terminal::eprintln(&format!("warning: {note}"));
            }
        }
    }
    match &args.output_dir {
        None => print_with(|out| kubetoml::write_documents(&documents, out)),
        Some(dir) if args.check => {
            let files: Vec<(String, &[u8])> = (documents.iter().enumerate())
                .map(|(i, d)| {
                    (
                        output_dir::file_name(i, documents.len(), d),
                        d.yaml.as_bytes(),
                    )
                })
                .collect();
            check_dir::check(dir, &files).map_err(|e| vec![e])?;
            if !quiet {
                terminal::eprintln(&format!("`{}` is up to date", dir.display()));
            }
            Ok(())
        }
        Some(dir) => {
            output_dir::write_dir(dir, &documents).map_err(|e| vec![e])?;
            if !quiet {
                terminal::eprintln(&format!(
                    "wrote {} objects to `{}`",
                    documents.len(),
                    dir.display()
                ));
            }
            Ok(())
        }
    }
}

fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

fn explain(args: ExplainArgs, color: bool, quiet: bool) -> Result<(), Vec<Error>> {
    let options = args.compile.options();
    let resolved = kubetoml::resolve_file(&args.file, &options).map_err(|e| vec![e])?;
    let warnings = resolved.draw_warnings(color);
    if !warnings.is_empty() && (!quiet || args.compile.deny_warnings) {
        terminal::eprint(&warnings, color);
    }
    if let Some(e) = denied(args.compile.deny_warnings, &args.file, &warnings) {
        return Err(vec![e]);
    }
    let explanation = resolved.explain();
    let text = match args.format {
        Format::Text => terminal::escape(&explanation.to_text(), false),
        Format::Json => terminal::json_safe(&explanation.to_json()),
        // Their own quoting escapes what a terminal would act on.
        Format::Dot => terminal::escape(&explanation.to_dot(), false),
        Format::Mermaid => terminal::escape(&explanation.to_mermaid(), false),
    };
    print(&text)
}

/// The exit status when the reader of stdout went away (`kubetoml render | head -1`):
/// 128 + SIGPIPE, what a shell reports for tools that die of SIGPIPE, with nothing on
/// stderr. `set -o pipefail` scripts see it as they see it from `cat` or `yes`.
const CLOSED_PIPE: u8 = 141;

/// Writes the whole output to stdout at once, after everything succeeded: a manifest,
/// or a text already escaped ([`terminal`]). A closed pipe ends the program quietly
/// with [`CLOSED_PIPE`].
fn print(text: &str) -> Result<(), Vec<Error>> {
    print_with(|out| out.write_all(text.as_bytes()))
}

/// [`print`] of what `write` writes, as it goes.
fn print_with(
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), Vec<Error>> {
    terminal::stdout_with(write).map_err(|e| {
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
