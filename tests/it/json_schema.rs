//! The JSON Schema (`kubetoml schema`, committed at `schema/kubetoml.schema.json`)
//! is the generated one, and taplo, checking with it, agrees with the parser:
//! every example and fixture passes, a misspelled field and a wrong type are
//! refused, a bad description is refused by taplo exactly when the parser
//! refuses it or lowering finds a value outside a fixed set, every fixed
//! set's wrong values are refused and right ones accepted by both, and every
//! default the schema states is what leaving the field out renders.
//!
//! taplo comes from npm (`@taplo/cli`); `.ci/test` installs it in `.ci/node`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::memory::MemorySources;
use kubetoml::{Options, Templates};

fn taplo() -> PathBuf {
    let local = Path::new(".ci/node/node_modules/.bin/taplo");
    if local.exists() {
        return local.to_path_buf();
    }
    let on_path = Command::new("taplo").arg("--version").output();
    assert!(
        on_path.is_ok_and(|o| o.status.success()),
        "taplo is not installed: run `npm install --prefix .ci/node @taplo/cli@0.7`"
    );
    PathBuf::from("taplo")
}

/// Runs `taplo lint` with the committed schema; `Err` holds its report.
fn lint(files: &[PathBuf]) -> Result<(), String> {
    let schema = std::fs::canonicalize("schema/kubetoml.schema.json").unwrap();
    let files: Vec<PathBuf> = files
        .iter()
        .map(|f| std::fs::canonicalize(f).unwrap())
        .collect();
    let out = Command::new(taplo())
        .args(["lint", "--colors", "never", "--no-auto-config", "--schema"])
        .arg(format!("file://{}", schema.display()))
        .args(&files)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn tomls(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .flat_map(|p| {
            if p.is_dir() {
                std::fs::read_dir(&p)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect()
            } else {
                vec![p]
            }
        })
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let committed = std::fs::read_to_string(kubetoml::read::schema::PATH).unwrap();
    assert!(
        committed == kubetoml::read::schema::json_schema(),
        "schema/kubetoml.schema.json is stale: run `cargo run -- schema > schema/kubetoml.schema.json`"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_kubetoml"))
        .arg("schema")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), committed);
}

#[test]
fn examples_and_fixtures_pass_taplo() {
    let mut files = tomls("examples");
    files.extend(tomls("tests/fixtures"));
    files.extend(tomls("tests/warn"));
    assert!(files.len() >= 7, "{files:?}");
    lint(&files).unwrap();
}

#[test]
fn taplo_refuses_a_misspelled_field_and_a_wrong_type() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, expected) in [
        ("typo.toml", "name = \"a\"\nimage = \"x\"\nreplica = 3\n", "'replica' was unexpected"),
        ("type.toml", "name = \"a\"\nimage = \"x\"\nreplicas = \"3\"\n", "is not of type"),
        (
            "nested.toml",
            "name = \"a\"\nimage = \"x\"\n[volumes.d]\nmount = \"/d\"\nsize = \"1Gi\"\nstorage_clas = \"x\"\n",
            "'storage_clas' was unexpected",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let report = lint(&[path]).expect_err(name);
        assert!(report.contains(expected), "{name}: {report}");
    }
}

/// The labels of kubetoml's errors for a value outside a fixed set (a
/// keyword, a lint, a level, a release): what the schema's `enum`s and
/// `pattern` refuse too.
const FIXED_SET_LABELS: &[&str] = &[
    "unknown value",
    "unknown lint",
    "unknown level",
    "unknown release",
];

/// The errors kubetoml gives `text` (read from `dir`): none if it compiles.
fn errors(text: &str, dir: &Path) -> Vec<kubetoml::Diagnostic> {
    match kubetoml::resolve("x.toml", text, dir, &Options::new()) {
        Ok(_) => Vec::new(),
        Err(e) => e.diagnostics().to_vec(),
    }
}

/// Whether kubetoml refuses `path` for something the schema says: it does
/// not parse (not UTF-8, not TOML, unknown field, wrong type), or a value is
/// outside a fixed set.
fn refused_by_the_format(path: &Path) -> bool {
    let Ok(source) = String::from_utf8(std::fs::read(path).unwrap()) else {
        return true;
    };
    kubetoml::read::spec::parse("x.toml", &source).is_err()
        || errors(&source, path.parent().unwrap())
            .iter()
            .any(|d| FIXED_SET_LABELS.contains(&d.label.as_str()))
}

#[test]
fn taplo_refuses_a_bad_description_exactly_when_the_parser_does() {
    let files = tomls("tests/bad");
    // One taplo run for all: it names each file it refuses as `path="..."`.
    let report = lint(&files).expect_err("some bad descriptions do not parse");
    let mut disagreements = Vec::new();
    let mut refused = 0;
    for path in &files {
        let parsed = !refused_by_the_format(path);
        let full = std::fs::canonicalize(path).unwrap();
        let linted = !report.contains(&format!("path=\"{}\"", full.display()));
        refused += usize::from(!linted);
        if parsed != linted {
            disagreements.push(format!(
                "{}: parser {parsed}, taplo {linted}",
                path.display()
            ));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    assert!(refused >= 20, "{refused}");
}

/// Taplo's verdict on each of `texts`, written to files in `dir`.
fn lint_each(dir: &Path, texts: &[String]) -> Vec<bool> {
    let paths: Vec<PathBuf> = (0..texts.len())
        .map(|i| dir.join(format!("case{i}.toml")))
        .collect();
    for (path, text) in paths.iter().zip(texts) {
        std::fs::write(path, text).unwrap();
    }
    let report = lint(&paths).err().unwrap_or_default();
    paths
        .iter()
        .map(|p| {
            let full = std::fs::canonicalize(p).unwrap();
            !report.contains(&format!("path=\"{}\"", full.display()))
        })
        .collect()
}

const BASE: &str = "name = \"a\"\nimage = \"x:1\"\n";

/// A wrong value and a right one for every field with a fixed set of values.
const FIXED_SETS: &[(&str, &str)] = &[
    ("image_pull_policy = \"always\"", "image_pull_policy = \"Always\""),
    (
        "ports = { dns = { port = 53, protocol = \"udp\" } }",
        "ports = { dns = { port = 53, protocol = \"UDP\" } }",
    ),
    (
        "security_context = { seccomp_profile = \"runtime/default\" }",
        "security_context = { seccomp_profile = \"RuntimeDefault\" }",
    ),
    ("pod_security = \"strict\"", "pod_security = \"baseline\""),
    ("allow = [\"latest_tag\"]", "allow = [\"latest-tag\"]"),
    ("kube_version = \"1.26\"", "kube_version = \"1.27\""),
    (
        "tolerations = [{ key = \"k\", operator = \"equal\", value = \"v\" }]",
        "tolerations = [{ key = \"k\", operator = \"Equal\", value = \"v\" }]",
    ),
    (
        "tolerations = [{ key = \"k\", operator = \"Exists\", effect = \"NoScheduled\" }]",
        "tolerations = [{ key = \"k\", operator = \"Exists\", effect = \"NoSchedule\" }]",
    ),
    (
        "probes.readiness = { http = { port = 80, scheme = \"https\" } }",
        "probes.readiness = { http = { port = 80, scheme = \"HTTPS\" } }",
    ),
    (
        "[statefulset]\npod_management_policy = \"parallel\"",
        "[statefulset]\npod_management_policy = \"Parallel\"",
    ),
    (
        "[statefulset]\nupdate_strategy = { type = \"Recreate\" }",
        "[statefulset]\nupdate_strategy = { type = \"OnDelete\" }",
    ),
    (
        "[statefulset]\npvc_retention_policy = { when_deleted = \"Delete\", when_scaled = \"Keep\" }",
        "[statefulset]\npvc_retention_policy = { when_deleted = \"Delete\", when_scaled = \"Retain\" }",
    ),
    (
        "[volumes.d]\nmount = \"/d\"\nsize = \"1Gi\"\naccess_modes = [\"RWO\"]",
        "[volumes.d]\nmount = \"/d\"\nsize = \"1Gi\"\naccess_modes = [\"ReadOnlyMany\"]",
    ),
    (
        "ports = { web = 80 }\n[client_service]\ntype = \"Nodeport\"",
        "ports = { web = 80 }\n[client_service]\ntype = \"NodePort\"",
    ),
    ("dns = { policy = \"none\" }", "dns = { policy = \"Default\" }"),
    (
        "[volumes.t]\nmount = \"/t\"\nempty_dir = { medium = \"memory\" }",
        "[volumes.t]\nmount = \"/t\"\nempty_dir = { medium = \"Memory\" }",
    ),
    (
        "[jobs.j]\nrestart_policy = \"Always\"",
        "[jobs.j]\nrestart_policy = \"Never\"",
    ),
    (
        "[cronjobs.c]\nschedule = \"@daily\"\nconcurrency_policy = \"forbid\"",
        "[cronjobs.c]\nschedule = \"@daily\"\nconcurrency_policy = \"Replace\"",
    ),
    (
        "[cronjobs.c]\nschedule = \"@daily\"\ntime_zone = \"Europe/Pariss\"",
        "[cronjobs.c]\nschedule = \"@daily\"\ntime_zone = \"Europe/Paris\"",
    ),
    (
        "[claims.c]\nmount = \"/c\"\nsize = \"1Gi\"\naccess_modes = [\"RWX\"]",
        "[claims.c]\nmount = \"/c\"\nsize = \"1Gi\"\naccess_modes = [\"ReadWriteMany\"]",
    ),
    (
        "[[sidecars]]\nname = \"s\"\nimage = \"s:1\"\nimage_pull_policy = \"Sometimes\"",
        "[[sidecars]]\nname = \"s\"\nimage = \"s:1\"\nimage_pull_policy = \"Never\"",
    ),
];

#[test]
fn a_value_outside_a_fixed_set_is_refused_by_taplo_and_by_kubetoml() {
    let dir = tempfile::tempdir().unwrap();
    let wrong: Vec<String> = FIXED_SETS
        .iter()
        .map(|(w, _)| format!("{BASE}{w}\n"))
        .collect();
    let right: Vec<String> = FIXED_SETS
        .iter()
        .map(|(_, r)| format!("{BASE}{r}\n"))
        .collect();
    for (text, linted) in wrong.iter().zip(lint_each(dir.path(), &wrong)) {
        assert!(!linted, "taplo accepts\n{text}");
        let errors = errors(text, dir.path());
        assert!(
            errors
                .iter()
                .any(|d| FIXED_SET_LABELS.contains(&d.label.as_str())),
            "kubetoml: {errors:#?}\n{text}"
        );
    }
    for (text, linted) in right.iter().zip(lint_each(dir.path(), &right)) {
        assert!(linted, "taplo refuses\n{text}");
        assert_eq!(errors(text, dir.path()), Vec::new(), "{text}");
    }
}

#[test]
fn taplo_reads_kube_version_as_kubetoml_does() {
    let versions = [
        "1.27", "1.37", "1.26", "1.38", "v1.30", "1.30.2", "v1.35.10", "1.030", "1.+30", "+1.30",
        "01.30", "2.30", "1.30.x", "1.30.2.1", "", "1", "1.3", "1.300", "1.30.", "1..30", "V1.30",
        " 1.30", "1.30 ", "1.3a", "1.30.+2", "1.-30",
    ];
    let dir = tempfile::tempdir().unwrap();
    let texts: Vec<String> = versions
        .iter()
        .map(|v| format!("{BASE}kube_version = \"{v}\"\n"))
        .collect();
    for (v, linted) in versions.iter().zip(lint_each(dir.path(), &texts)) {
        let parsed = kubetoml::check::kube_version::KubeVersion::parse(v).is_ok();
        assert_eq!(linted, parsed, "`{v}`: taplo {linted}, kubetoml {parsed}");
    }
}

/// For each default the schema states: a description without the field,
/// the same with `@` where the default goes, and what writing it adds to
/// the output (a default Kubernetes fills in, not kubetoml: the same there).
const DEFAULTS: &[(&str, &str, &str, &str)] = &[
    ("/properties/replicas", "", "replicas = @", ""),
    ("/properties/kube_version", "", "kube_version = @", ""),
    (
        "/definitions/StatefulSetSpec/properties/pod_management_policy",
        "[statefulset]",
        "[statefulset]\npod_management_policy = @",
        "",
    ),
    (
        "/definitions/StatefulSetSpec/properties/ordinals_start",
        "[statefulset]",
        "[statefulset]\nordinals_start = @",
        "  ordinals:\n    start: 0\n",
    ),
    (
        "/definitions/UpdateStrategySpec/properties/type",
        "[statefulset]\nupdate_strategy = { partition = 1 }",
        "[statefulset]\nupdate_strategy = { partition = 1, type = @ }",
        "",
    ),
    (
        "/definitions/RetentionSpec/properties/when_deleted",
        "[statefulset]\npvc_retention_policy = { when_scaled = \"Delete\" }",
        "[statefulset]\npvc_retention_policy = { when_scaled = \"Delete\", when_deleted = @ }",
        "",
    ),
    (
        "/definitions/RetentionSpec/properties/when_scaled",
        "[statefulset]\npvc_retention_policy = { when_deleted = \"Delete\" }",
        "[statefulset]\npvc_retention_policy = { when_deleted = \"Delete\", when_scaled = @ }",
        "",
    ),
    (
        "/definitions/VolumeSpec/properties/access_modes",
        "[volumes.d]\nmount = \"/d\"\nsize = \"1Gi\"",
        "[volumes.d]\nmount = \"/d\"\nsize = \"1Gi\"\naccess_modes = @",
        "",
    ),
    (
        "/definitions/PortSpec/anyOf/1/properties/protocol",
        "ports = { dns = { port = 53 } }",
        "ports = { dns = { port = 53, protocol = @ } }",
        "",
    ),
    (
        "/definitions/TolerationSpec/properties/operator",
        "tolerations = [{ key = \"k\", value = \"v\" }]",
        "tolerations = [{ key = \"k\", value = \"v\", operator = @ }]",
        "",
    ),
    (
        "/definitions/HttpSpec/properties/scheme",
        "probes.readiness = { http = { port = 80 } }",
        "probes.readiness = { http = { port = 80, scheme = @ } }",
        "              scheme: HTTP\n",
    ),
    (
        "/definitions/HttpSpec/properties/path",
        "probes.readiness = { http = { port = 80 } }",
        "probes.readiness = { http = { port = 80, path = @ } }",
        "",
    ),
    (
        "/definitions/SpreadTable/properties/max_skew",
        "spread = { across = \"zone\" }",
        "spread = { across = \"zone\", max_skew = @ }",
        "",
    ),
    (
        "/definitions/SpreadTable/properties/required",
        "spread = { across = \"zone\" }",
        "spread = { across = \"zone\", required = @ }",
        "",
    ),
    (
        "/definitions/DataSpec/properties/type",
        "[secrets.s]\nliterals = { a = \"b\" }",
        "[secrets.s]\nliterals = { a = \"b\" }\ntype = @",
        "",
    ),
    (
        "/definitions/JobSpec/properties/restart_policy",
        "[jobs.j]",
        "[jobs.j]\nrestart_policy = @",
        "",
    ),
    (
        "/definitions/JobSpec/properties/ttl_after_finished",
        "[jobs.j]",
        "[jobs.j]\nttl_after_finished = @",
        "",
    ),
    (
        "/definitions/CronJobSpec/properties/restart_policy",
        "[cronjobs.c]\nschedule = \"0 3 * * *\"",
        "[cronjobs.c]\nschedule = \"0 3 * * *\"\nrestart_policy = @",
        "",
    ),
    (
        "/definitions/CronJobSpec/properties/ttl_after_finished",
        "[cronjobs.c]\nschedule = \"0 3 * * *\"",
        "[cronjobs.c]\nschedule = \"0 3 * * *\"\nttl_after_finished = @",
        "",
    ),
    (
        "/definitions/CronJobSpec/properties/concurrency_policy",
        "[cronjobs.c]\nschedule = \"0 3 * * *\"",
        "[cronjobs.c]\nschedule = \"0 3 * * *\"\nconcurrency_policy = @",
        "",
    ),
    (
        "/definitions/ClaimSpec/properties/access_modes",
        "[claims.c]\nmount = \"/c\"\nsize = \"1Gi\"",
        "[claims.c]\nmount = \"/c\"\nsize = \"1Gi\"\naccess_modes = @",
        "",
    ),
    (
        "/definitions/DockerRegistrySpec/properties/server",
        "[secrets.r]\ndocker_registry = { username = \"u\", password = \"p\" }",
        "[secrets.r]\ndocker_registry = { username = \"u\", password = \"p\", server = @ }",
        "",
    ),
];

/// Every `default` in `schema` that is not an empty collection (those come
/// from `#[serde(default)]` on lists and tables), by JSON pointer.
fn stated_defaults(schema: &serde_json::Value, at: &str, out: &mut Vec<String>) {
    match schema {
        serde_json::Value::Object(map) => {
            let empty = |v: &serde_json::Value| {
                v.as_array().is_some_and(Vec::is_empty)
                    || v.as_object().is_some_and(|o| o.is_empty())
            };
            if map.get("default").is_some_and(|d| !empty(d)) {
                out.push(at.to_owned());
            }
            for (k, v) in map {
                stated_defaults(v, &format!("{at}/{k}"), out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                stated_defaults(v, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_stated_default_is_what_leaving_the_field_out_renders() {
    let schema: serde_json::Value =
        serde_json::from_str(&kubetoml::read::schema::json_schema()).unwrap();
    let mut stated = Vec::new();
    stated_defaults(&schema, "", &mut stated);
    let mut tested: Vec<String> = DEFAULTS.iter().map(|(p, ..)| (*p).to_owned()).collect();
    stated.sort();
    tested.sort();
    assert_eq!(
        stated, tested,
        "a default without a check here, or a check without a default"
    );
    let sources = MemorySources::default();
    let render = |text: &str| {
        let text = format!("{BASE}ports = {{ web = 80 }}\n{text}\n")
            .replace("ports = { web = 80 }\nports", "ports");
        kubetoml::compile_with_sources(
            "x.toml",
            &text,
            &sources,
            &Templates::builtin(),
            false,
            None,
        )
        .unwrap_or_else(|e| panic!("{}\n{text}", e.draw(false)))
        .to_yaml()
    };
    for (pointer, without, with, written) in DEFAULTS {
        let default = schema.pointer(&format!("{pointer}/default")).unwrap();
        let with = with.replace('@', &default.to_string());
        let rendered = render(&with);
        assert!(rendered.contains(written), "{pointer}: {rendered}");
        assert_eq!(
            render(without),
            rendered.replacen(written, "", 1),
            "{pointer}: {with}"
        );
    }
}
