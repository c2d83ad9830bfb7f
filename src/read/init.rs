//! `kubetoml init`: a commented starter description that renders and validates as is.

use crate::diag::{Error, ErrorKind};

/// The starter description for an app called `name`, checked to compile:
/// a bad name is an error naming the rule, before anything is written.
pub fn starter(name: &str) -> Result<String, Error> {
    let text = STARTER.replace("NAME", name);
    let sources = crate::read::sources::FsSources::new(".").with_env(Default::default());
    crate::resolve_sources(&format!("{name}.toml"), &text, &sources, false, None)
        .map_err(|e| {
            Error::bare(
                ErrorKind::Invalid,
                format!("{name}.toml"),
                format!(
                    "`{name}` cannot be an app's name (a DNS label of at most 52 lowercase letters, digits and `-`): {}",
                    e.draw(false).lines().next().unwrap_or_default()
                ),
            )
        })?;
    Ok(text)
}

const STARTER: &str = r#"# NAME: a stateful app for kubetoml. Render and apply it with
#
#   kubetoml render NAME.toml | kubectl apply -f -
#
# Pods get stable names (NAME-0, NAME-1, ...), DNS names through the headless
# Service NAME, and a volume each. Every field is in kubetoml's book (docs/
# in its repository), "The description format"; `kubetoml explain NAME.toml`
# shows what each pod gets.

name = "NAME"
# namespace = "default"        # none: the namespace kubectl applies to
replicas = 1
image = "nginx:1.27"           # pin a version (or a digest) for repeatable rollouts
ports = { web = 80 }           # name = port; the Service publishes them all
env = { TZ = "UTC" }

# What the scheduler reserves, and the most the container may use.
[resources]
requests = { cpu = "100m", memory = "128Mi" }
limits = { memory = "256Mi" }

# Traffic reaches a pod only when this succeeds; rollouts wait for it.
[probes.readiness]
http = { path = "/", port = "web" }
period = 10

# Run as a non-root user, with no privileges to gain.
[security_context]
run_as_non_root = true
run_as_user = 101
fs_group = 101
allow_privilege_escalation = false
capabilities = { drop = ["ALL"] }
seccomp_profile = "RuntimeDefault"

# One volume per pod (claims data-NAME-0, ...), kept across restarts.
[volumes.data]
mount = "/usr/share/nginx/html"
size = "1Gi"
# storage_class = "fast"       # none: the cluster's default class

# A ConfigMap; every key becomes an environment variable (or mount it as files).
[configmaps.NAME-settings]
literals = { LOG_LEVEL = "info" }
env_from = true
# files = ["app.conf"]         # read from this folder
# mount = "/etc/NAME"

# A Secret whose value is read from the environment at render time, so it is
# never written here:  APP_PASSWORD=... kubetoml render NAME.toml
# [secrets.NAME-auth]
# from_env = { PASSWORD = "APP_PASSWORD" }
# env_from = true
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_compiles_and_bad_names_are_refused() {
        let text = starter("app").unwrap();
        assert!(text.contains("name = \"app\"") && text.contains("[configmaps.app-settings]"));
        let e = starter("Not_A_Name").unwrap_err();
        assert!(e
            .draw(false)
            .contains("`Not_A_Name` cannot be an app's name"));
    }
}
