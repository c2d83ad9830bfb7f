//! `kubetoml argocd discover|generate`: Argo CD's config management plugin contract.
//!
//! Argo CD's CMP server (`argocd-cmp-server`, in a sidecar of the repo
//! server) runs the commands of `integrations/argocd/plugin.yaml` directly
//! (no shell), in the Application's source folder, with the sidecar's
//! environment plus what the repo server sends:
//!
//! - `ARGOCD_APP_PARAMETERS`: the Application's `spec.source.plugin.parameters`
//!   as JSON, `[{"name": "environment", "string": "prod"}, {"name":
//!   "overlays", "array": [...]}, {"name": "set", "map": {...}}]`. Only the
//!   parameters the Application sets are sent; the defaults announced in
//!   `plugin.yaml` are applied here.
//! - `ARGOCD_ENV_NAME`: each `spec.source.plugin.env` entry, prefixed. A
//!   description's build-time variable `NAME` (`from_env`, `password_env`)
//!   is taken from the sidecar's own environment first, then from
//!   `ARGOCD_ENV_NAME`: the administrator's values win over the
//!   Application's.
//! - `KUBE_VERSION`: the cluster's release (`1.31.4`), the target unless the
//!   `kube-version` parameter says otherwise.
//! - `ARGOCD_APP_SOURCE_PATH`: the source folder inside the repository, so
//!   an overlay may be anywhere in the repository but not outside it.
//!
//! `generate` renders every description of the folder (see
//! [`super::folder`]) to stdout: objects only, everything else on stderr.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use kubetoml::{Error, ErrorKind};

/// The parameters `plugin.yaml` announces, as Argo CD names them.
pub const PARAMETERS: &[&str] = &["environment", "overlays", "set", "kube-version"];

/// What the Application's parameters ask for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Parameters {
    /// `environment` (a string): the `[environments.NAME]` to merge.
    pub environment: Option<String>,
    /// `overlays` (an array): overlay files, relative to the source folder.
    pub overlays: Vec<PathBuf>,
    /// `set` (a map): `PATH = VALUE` pairs, applied in key order.
    pub sets: Vec<String>,
    /// `kube-version` (a string), else `KUBE_VERSION`.
    pub kube_version: Option<String>,
}

fn bad(message: String) -> Error {
    Error::bare(ErrorKind::Invalid, "ARGOCD_APP_PARAMETERS", message)
}

/// Reads `ARGOCD_APP_PARAMETERS` (`None` or empty: no parameter set) and
/// `KUBE_VERSION`. An unknown parameter or one of the wrong shape is an
/// error, so a typo in an Application does not deploy the defaults.
pub fn parameters(json: Option<&str>, kube_version: Option<&str>) -> Result<Parameters, Error> {
    let mut out = Parameters::default();
    // An Application with `plugin: {}` sends `null` (Go's nil slice).
    let list: Vec<serde_json::Value> = match json.map(str::trim) {
        None | Some("") => Vec::new(),
        Some(text) => serde_json::from_str::<Option<Vec<serde_json::Value>>>(text)
            .map_err(|e| {
                bad(format!(
                    "`ARGOCD_APP_PARAMETERS` is not the JSON list Argo CD sends: {e}"
                ))
            })?
            .unwrap_or_default(),
    };
    for item in &list {
        let name = item
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or_default();
        let string = || -> Result<Option<String>, Error> {
            match item.get("string") {
                Some(serde_json::Value::String(s)) if s.is_empty() => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
                _ => Err(bad(format!("the parameter `{name}` takes a string"))),
            }
        };
        match name {
            "environment" => out.environment = string()?,
            "kube-version" => out.kube_version = string()?,
            "overlays" => {
                let array = item
                    .get("array")
                    .and_then(|a| a.as_array())
                    .ok_or_else(|| {
                        bad("the parameter `overlays` takes an array of file paths".into())
                    })?;
                for path in array {
                    let path = path.as_str().ok_or_else(|| {
                        bad("the parameter `overlays` takes an array of file paths".into())
                    })?;
                    out.overlays.push(PathBuf::from(path));
                }
            }
            "set" => {
                let map = item.get("map").and_then(|m| m.as_object()).ok_or_else(|| {
                    bad("the parameter `set` takes a map of field paths to values".into())
                })?;
                // serde_json's map is ordered by key: the order is stable.
                for (path, value) in map {
                    let value = value.as_str().ok_or_else(|| {
                        bad(format!("the value of `set` `{path}` must be a string"))
                    })?;
                    out.sets.push(format!("{path}={value}"));
                }
            }
            other => {
                let guess = PARAMETERS
                    .iter()
                    .max_by(|a, b| strsim::jaro(other, a).total_cmp(&strsim::jaro(other, b)))
                    .filter(|p| strsim::jaro(other, p) > 0.7)
                    .map(|p| format!(": did you mean `{p}`?"))
                    .unwrap_or_default();
                return Err(bad(format!(
                    "unknown parameter `{}`{guess} (kubetoml's plugin takes {})",
                    other.escape_debug(),
                    PARAMETERS
                        .iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
    }
    if out.kube_version.is_none() {
        if let Some(v) = kube_version.filter(|v| !v.is_empty()) {
            kubetoml::KubeVersion::parse(v).map_err(|e| {
                Error::bare(
                    ErrorKind::Invalid,
                    "KUBE_VERSION",
                    format!(
                        "the cluster's release `KUBE_VERSION`: {e}; set the Application's parameter \
                         `kube-version` to the release to render for"
                    ),
                )
            })?;
            out.kube_version = Some(v.to_owned());
        }
    }
    Ok(out)
}

/// Refuses an overlay path that is absolute or leaves the repository:
/// `source_path` is the source folder's path inside the repository
/// (`ARGOCD_APP_SOURCE_PATH`), so `..` may climb that many folders.
pub fn check_overlay(path: &Path, source_path: &str) -> Result<(), Error> {
    let shown = path.display().to_string();
    let mut depth = Path::new(source_path)
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .count() as i64;
    for c in path.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => depth -= 1,
            Component::RootDir | Component::Prefix(_) => depth = -1,
        }
        if depth < 0 {
            return Err(Error::bare(
                ErrorKind::Invalid,
                "ARGOCD_APP_PARAMETERS",
                format!(
                    "the overlay `{}` is outside the repository: overlays are paths relative to the \
                     Application's source folder",
                    shown.escape_debug()
                ),
            ));
        }
    }
    Ok(())
}

/// The build-time variables a description may read: the process's own,
/// then each `ARGOCD_ENV_NAME` as `NAME` where the process has no `NAME`.
pub fn variables(vars: impl IntoIterator<Item = (String, Vec<u8>)>) -> BTreeMap<String, Vec<u8>> {
    let mut own = BTreeMap::new();
    let mut app = Vec::new();
    for (name, value) in vars {
        if let Some(bare) = name.strip_prefix("ARGOCD_ENV_").filter(|b| !b.is_empty()) {
            app.push((bare.to_owned(), value.clone()));
        }
        own.insert(name, value);
    }
    for (name, value) in app {
        own.entry(name).or_insert(value);
    }
    own
}

/// `argocd discover`: the descriptions in the current folder, one a line;
/// nothing (and success) when there are none, which tells Argo CD the
/// plugin does not apply.
pub fn discover() -> Result<(), Vec<Error>> {
    match super::folder::descriptions(Path::new(".")) {
        Ok(listing) => {
            let lines: String = (listing.descriptions.iter())
                .map(|p| format!("{}\n", p.display()))
                .collect();
            crate::print(&lines)
        }
        Err(_) => Ok(()),
    }
}

/// `argocd generate`: `render .` with the Application's parameters and variables.
pub fn generate(color: bool, quiet: bool) -> Result<(), Vec<Error>> {
    let var = |name: &str| std::env::var(name).ok();
    let params = parameters(
        var("ARGOCD_APP_PARAMETERS").as_deref(),
        var("KUBE_VERSION").as_deref(),
    )
    .map_err(|e| vec![e])?;
    let source_path = var("ARGOCD_APP_SOURCE_PATH").unwrap_or_default();
    for overlay in &params.overlays {
        check_overlay(overlay, &source_path).map_err(|e| vec![e])?;
    }
    let vars = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_encoded_bytes())));
    let args = crate::RenderArgs {
        files: vec![PathBuf::from(".")],
        output_dir: None,
        check: false,
        templates: None,
        no_literal_secrets: false,
        against: None,
        compile: crate::CompileArgs {
            allow_outside_root: false,
            kube_version: params.kube_version,
            deny_warnings: false,
            layers: crate::LayerArgs {
                environment: params.environment,
                overlay: params.overlays,
                set: params.sets,
            },
            env: Some(variables(vars)),
        },
    };
    crate::render(args, color, quiet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_parameters_argo_cd_sends() {
        let json = r#"[{"name":"environment","string":"prod"},
            {"name":"overlays","array":["a.overlay.toml","more/b.toml"]},
            {"name":"set","map":{"replicas":"5","image":"nginx:1.27"}}]"#;
        let p = parameters(Some(json), Some("1.31.4")).unwrap();
        assert_eq!(p.environment.as_deref(), Some("prod"));
        assert_eq!(
            p.overlays,
            [
                PathBuf::from("a.overlay.toml"),
                PathBuf::from("more/b.toml")
            ]
        );
        assert_eq!(p.sets, ["image=nginx:1.27", "replicas=5"]);
        assert_eq!(p.kube_version.as_deref(), Some("1.31.4"));
        let p = parameters(
            Some(r#"[{"name":"kube-version","string":"1.33"}]"#),
            Some("1.31"),
        )
        .unwrap();
        assert_eq!(p.kube_version.as_deref(), Some("1.33"));
        assert_eq!(parameters(None, None).unwrap(), Parameters::default());
        assert_eq!(
            parameters(Some(""), Some("")).unwrap(),
            Parameters::default()
        );
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        let err = |json: &str| parameters(Some(json), None).unwrap_err().draw(false);
        assert!(
            err(r#"[{"name":"enviroment","string":"x"}]"#).contains("did you mean `environment`")
        );
        assert!(err(r#"[{"name":"set","array":["a=b"]}]"#).contains("takes a map"));
        assert!(err(r#"[{"name":"overlays","string":"x"}]"#).contains("array of file paths"));
        assert!(err("{").contains("not the JSON list"));
        let e = parameters(None, Some("1.99")).unwrap_err().draw(false);
        assert!(
            e.contains("KUBE_VERSION") && e.contains("kube-version"),
            "{e}"
        );
    }

    #[test]
    fn overlays_stay_in_the_repository() {
        assert!(check_overlay(Path::new("prod.overlay.toml"), "").is_ok());
        assert!(check_overlay(Path::new("../shared/x.toml"), "apps/web").is_ok());
        assert!(check_overlay(Path::new("../../x.toml"), "apps/web").is_ok());
        assert!(check_overlay(Path::new("../../../x.toml"), "apps/web").is_err());
        assert!(check_overlay(Path::new("../x.toml"), "").is_err());
        assert!(check_overlay(Path::new("/etc/passwd"), "apps").is_err());
        assert!(check_overlay(Path::new("a/../../x"), "").is_err());
    }

    #[test]
    fn the_sidecar_wins_over_the_application() {
        let vars = variables([
            ("ARGOCD_ENV_PG_PASSWORD".to_owned(), b"from-app".to_vec()),
            ("ARGOCD_ENV_HASH".to_owned(), b"app".to_vec()),
            ("HASH".to_owned(), b"sidecar".to_vec()),
            ("ARGOCD_ENV_".to_owned(), b"x".to_vec()),
        ]);
        assert_eq!(vars["PG_PASSWORD"], b"from-app");
        assert_eq!(vars["HASH"], b"sidecar");
        assert!(!vars.contains_key(""));
    }
}
