//! Environment variables from the downward API: a field of the pod
//! (`{ field = "metadata.name" }`) or a container's request or limit
//! (`{ resource = "limits.memory" }`), checked as the API server checks them.

use super::context::*;

/// The pod fields Kubernetes allows in an environment variable, besides
/// `metadata.labels['KEY']` and `metadata.annotations['KEY']`.
const FIELDS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

/// The resources a `resourceFieldRef` may name, and the divisors each allows.
const RESOURCES: &[(&str, &[&str])] = &[
    ("limits.cpu", CPU_DIVISORS),
    ("limits.memory", BYTE_DIVISORS),
    ("limits.ephemeral-storage", BYTE_DIVISORS),
    ("requests.cpu", CPU_DIVISORS),
    ("requests.memory", BYTE_DIVISORS),
    ("requests.ephemeral-storage", BYTE_DIVISORS),
];
const CPU_DIVISORS: &[&str] = &["1m", "1"];
const BYTE_DIVISORS: &[&str] = &[
    "1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei",
];

impl Lowerer<'_> {
    /// `{ field = ... }` or `{ resource = ..., container, divisor }`. A
    /// `container` is checked against the pod's containers once they are
    /// all known ([`Lowerer::container_refs`]).
    pub(super) fn downward(&mut self, r: &spec::EnvKeyRef) -> Option<EnvSource> {
        let strays = [
            ("configmap", r.configmap.as_ref().map(|x| x.span())),
            ("secret", r.secret.as_ref().map(|x| x.span())),
            ("key", r.key.as_ref().map(|x| x.span())),
        ];
        let strays = strays.into_iter().filter_map(|(f, s)| Some((f, s?)));
        let (field, resource) = (r.field.as_ref(), r.resource.as_ref());
        let resource_only = [
            ("container", r.container.as_ref().map(|x| x.span())),
            ("divisor", r.divisor.as_ref().map(|x| x.span())),
        ];
        let resource_only = resource_only.into_iter().filter_map(|(f, s)| Some((f, s?)));
        let mut stray: Vec<(&str, Span)> = strays.collect();
        if field.is_some() {
            stray.extend(resource_only);
        }
        if let (Some(_), Some(res)) = (field, resource) {
            stray.insert(0, ("resource", res.span()));
        }
        if let Some((what, at)) = stray.first() {
            let with = if field.is_some() { "field" } else { "resource" };
            self.error_help(
                format!("`{what}` does not go with `{with}`"),
                at.clone(),
                "an environment variable takes one source",
                "write `{ field = \"metadata.name\" }`, `{ resource = \"limits.memory\", container, divisor }` or `{ secret = \"name\", key = \"key\" }`",
            );
            return None;
        }
        match (field, resource) {
            (Some(f), _) => self.field_path(f).map(|path| EnvSource::Field { path }),
            (None, Some(res)) => self.resource_ref(r, res),
            (None, None) => None,
        }
    }

    /// A pod field Kubernetes allows in env, with a did-you-mean.
    fn field_path(&mut self, f: &Spanned<String>) -> Option<String> {
        let path = f.get_ref();
        if FIELDS.contains(&path.as_str()) {
            return Some(path.clone());
        }
        for map in ["metadata.labels", "metadata.annotations"] {
            let Some(rest) = path.strip_prefix(map) else {
                continue;
            };
            let key = rest
                .strip_prefix("['")
                .and_then(|k| k.strip_suffix("']"))
                .or_else(|| rest.strip_prefix("[\"")?.strip_suffix("\"]"));
            let Some(key) = key else {
                self.error_help(
                    format!(
                        "`{}` is not a field an environment variable can read",
                        path.escape_debug()
                    ),
                    f.span(),
                    "a whole map",
                    format!("name one key: `{map}['apps.kubernetes.io/pod-index']`"),
                );
                return None;
            };
            if let Err(reason) = validate::qualified_name(key) {
                self.error(
                    format!(
                        "`{}` is not a valid label or annotation key",
                        key.escape_debug()
                    ),
                    f.span(),
                    reason,
                );
                return None;
            }
            return Some(format!("{map}['{key}']"));
        }
        let mut allowed: Vec<&str> = FIELDS.to_vec();
        allowed.extend(["metadata.labels['KEY']", "metadata.annotations['KEY']"]);
        let help = match did_you_mean(path, FIELDS.iter().copied()) {
            Some(best) => format!("did you mean `{best}`? fields: {}", quote_list(&allowed)),
            None => format!("fields: {}", quote_list(&allowed)),
        };
        self.error_help(
            format!(
                "`{}` is not a field an environment variable can read",
                path.escape_debug()
            ),
            f.span(),
            "unknown field path",
            help,
        );
        None
    }

    /// `{ resource, container, divisor }`: a known resource and a divisor it allows.
    fn resource_ref(&mut self, r: &spec::EnvKeyRef, res: &Spanned<String>) -> Option<EnvSource> {
        let Some((resource, divisors)) = RESOURCES.iter().find(|(n, _)| n == res.get_ref()) else {
            let names: Vec<&str> = RESOURCES.iter().map(|(n, _)| *n).collect();
            let help = suggest(res.get_ref(), &names, "resources:", "");
            self.error_help(
                format!(
                    "`{}` is not a resource an environment variable can read",
                    res.get_ref().escape_debug()
                ),
                res.span(),
                "unknown resource",
                help,
            );
            return None;
        };
        let divisor = match &r.divisor {
            None => None,
            Some(d) => {
                let text = &d.get_ref().0;
                let valid = divisors.contains(&text.as_str());
                if !valid {
                    self.error_help(
                        format!(
                            "`{}` is not a divisor for `{resource}`",
                            text.escape_debug()
                        ),
                        d.span(),
                        "invalid divisor",
                        format!("valid divisors: {}", quote_list(divisors)),
                    );
                }
                valid.then(|| Quantity::parse(text).ok()).flatten()
            }
        };
        let container = r.container.as_ref().map(|c| {
            self.container_refs.push(c.clone());
            c.get_ref().clone()
        });
        Some(EnvSource::Resource {
            container,
            resource: (*resource).to_owned(),
            divisor,
        })
    }

    /// Every `container` an env `resource` names is a container of the pod.
    pub(super) fn check_container_refs(&mut self, pod: &PodTemplate) {
        let names: Vec<&str> = (pod.containers.iter().chain(&pod.init_containers))
            .map(|c| c.name.as_str())
            .collect();
        for c in std::mem::take(&mut self.container_refs) {
            if !names.contains(&c.get_ref().as_str()) {
                let help = suggest(c.get_ref(), &names, "containers:", "");
                self.error_help(
                    format!("there is no container `{}` in the pod", c.get_ref()),
                    c.span(),
                    "unknown container",
                    help,
                );
            }
        }
    }
}
