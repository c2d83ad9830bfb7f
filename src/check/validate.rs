//! The API server's rules for names, keys, labels and ports (quantities: `quantity.rs`).
//!
//! Each function returns `Err(reason)` with a lowercase reason that completes
//! "... is not a valid X: REASON". They mirror the checks in Kubernetes'
//! `apimachinery/pkg/util/validation` so that nothing kubetoml prints is
//! rejected by `kubectl apply`.

use crate::model::quantity::Quantity;

/// Longest DNS-1123 label (namespaces, volume names, container names).
pub const LABEL_MAX: usize = 63;
/// Longest DNS-1123 subdomain (ConfigMap and Secret names).
pub const SUBDOMAIN_MAX: usize = 253;
/// Longest StatefulSet name: the controller labels every pod with
/// `controller-revision-hash: NAME-<10 characters>`, which must fit a 63-character label value.
pub const STATEFULSET_NAME_MAX: usize = 52;

fn is_alnum_lower(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// `[a-z0-9-]`: DNS labels and port names.
fn is_dns_char(c: char) -> bool {
    is_alnum_lower(c) || c == '-'
}

/// `[-._a-zA-Z0-9]`: keys, label names and values, env var names.
fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')
}

/// Not empty, and at most `max` bytes long.
fn length(s: &str, max: usize) -> Result<(), String> {
    if s.is_empty() {
        return Err("it is empty".into());
    }
    if s.len() > max {
        return Err(format!(
            "it is {} characters long, at most {max} are allowed",
            s.len()
        ));
    }
    Ok(())
}

/// Every character passes `allowed`; else the first that does not is named,
/// with `use_` saying what is allowed.
fn only(s: &str, allowed: impl Fn(char) -> bool, use_: &str) -> Result<(), String> {
    match s.chars().find(|&c| !allowed(c)) {
        Some(c) => Err(format!(
            "`{}` is not allowed: use {use_}",
            c.escape_default()
        )),
        None => Ok(()),
    }
}

/// A DNS-1123 label: lowercase letters, digits and `-`, starting and ending with a letter or digit.
pub fn dns_label(s: &str, max: usize) -> Result<(), String> {
    length(s, max)?;
    only(s, is_dns_char, "lowercase letters, digits and `-`")?;
    if s.starts_with('-') || s.ends_with('-') {
        return Err("it must start and end with a letter or digit".into());
    }
    Ok(())
}

/// A DNS-1035 label (Service names): a DNS-1123 label that starts with a letter.
pub fn dns1035_label(s: &str) -> Result<(), String> {
    dns_label(s, LABEL_MAX)?;
    if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("it must start with a lowercase letter".into());
    }
    Ok(())
}

/// A DNS-1123 subdomain: dot-separated labels, at most 253 characters.
pub fn dns_subdomain(s: &str) -> Result<(), String> {
    length(s, SUBDOMAIN_MAX)?;
    only(
        s,
        |c| is_dns_char(c) || c == '.',
        "lowercase letters, digits, `-` and `.`",
    )?;
    for part in s.split('.') {
        if part.is_empty() || part.starts_with('-') || part.ends_with('-') {
            return Err("each dot-separated part must start and end with a letter or digit".into());
        }
    }
    Ok(())
}

/// A ConfigMap or Secret key: `[-._a-zA-Z0-9]+`, at most 253 characters, not `.` or `..`, not starting with `..`.
pub fn data_key(s: &str) -> Result<(), String> {
    length(s, SUBDOMAIN_MAX)?;
    only(s, is_key_char, "letters, digits, `-`, `.` and `_`")?;
    if s == "." || s == ".." || s.starts_with("..") {
        return Err("it must not be `.` or `..`, nor start with `..`".into());
    }
    Ok(())
}

/// An environment variable name: `[-._a-zA-Z][-._a-zA-Z0-9]*`.
pub fn env_var_name(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("it is empty".into());
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        return Err("it must not start with a digit".into());
    }
    only(s, is_key_char, "letters, digits, `_`, `-` and `.`")
}

/// A label or annotation key: an optional DNS subdomain prefix and `/`, then a name of at most 63
/// characters of `[-._a-zA-Z0-9]`, starting and ending alphanumeric.
pub fn qualified_name(s: &str) -> Result<(), String> {
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    if let Some(prefix) = prefix {
        dns_subdomain(prefix)
            .map_err(|e| format!("its prefix `{prefix}` is not a DNS subdomain: {e}"))?;
    }
    if name.is_empty() {
        return Err("the name part is empty".into());
    }
    if name.len() > LABEL_MAX {
        return Err(format!(
            "the name part is {} characters long, at most {LABEL_MAX} are allowed",
            name.len()
        ));
    }
    label_chars(name)
}

fn label_chars(s: &str) -> Result<(), String> {
    only(s, is_key_char, "letters, digits, `-`, `.` and `_`")?;
    if !s.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !s.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Err("it must start and end with a letter or digit".into());
    }
    Ok(())
}

/// A label value: empty, or at most 63 characters of `[-._a-zA-Z0-9]`, starting and ending alphanumeric.
pub fn label_value(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    length(s, LABEL_MAX)?;
    label_chars(s)
}

/// A port name (IANA_SVC_NAME): at most 15 lowercase letters, digits and `-`, with at least one
/// letter, no `-` at either end and no `--`.
pub fn port_name(s: &str) -> Result<(), String> {
    length(s, 15)?;
    only(s, is_dns_char, "lowercase letters, digits and `-`")?;
    if !s.chars().any(|c| c.is_ascii_lowercase()) {
        return Err("it must contain at least one letter".into());
    }
    if s.starts_with('-') || s.ends_with('-') || s.contains("--") {
        return Err("it must not start or end with `-` or contain `--`".into());
    }
    Ok(())
}

/// A port number: 1 to 65535.
pub fn port_number(n: i64) -> Result<(), String> {
    if (1..=65535).contains(&n) {
        Ok(())
    } else {
        Err(format!("{n} is outside 1 to 65535"))
    }
}

/// The resources a container can request without a domain.
pub const STANDARD_RESOURCES: &[&str] = &["cpu", "memory", "ephemeral-storage"];

/// A container resource name: `cpu`, `memory`, `ephemeral-storage`,
/// `hugepages-<size>`, or an extended resource `domain/name` outside
/// `kubernetes.io`.
pub fn container_resource_name(s: &str) -> Result<(), String> {
    if STANDARD_RESOURCES.contains(&s) {
        return Ok(());
    }
    if let Some(size) = s.strip_prefix("hugepages-") {
        return Quantity::parse(size)
            .map(drop)
            .map_err(|_| format!("`{size}` is not a page size"));
    }
    match s.split_once('/') {
        Some((domain, _)) if domain != "kubernetes.io" && !domain.ends_with(".kubernetes.io") => {
            qualified_name(s)
        }
        _ => Err("not a resource a container can request".into()),
    }
}

/// An HTTP header name: letters, digits and `-`.
pub fn http_header_name(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("it is empty".into());
    }
    match s
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || c == '-'))
    {
        Some(c) => Err(format!(
            "`{}` is not allowed: use letters, digits and `-`",
            c.escape_default()
        )),
        None => Ok(()),
    }
}

/// A user or group ID: 0 to 2147483647.
pub fn unix_id(n: i64) -> Result<(), String> {
    if (0..=i64::from(i32::MAX)).contains(&n) {
        Ok(())
    } else {
        Err(format!("{n} is outside 0 to 2147483647"))
    }
}

/// An absolute path with no `..` component and no `:` (mount paths).
pub fn mount_path(s: &str) -> Result<(), String> {
    if !s.starts_with('/') {
        return Err("it must be an absolute path, starting with `/`".into());
    }
    if s.split('/').any(|p| p == "..") {
        return Err("it must not contain `..`".into());
    }
    Ok(())
}

/// A relative path with no `..` component (items, sub-paths).
pub fn relative_path(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("it is empty".into());
    }
    if s.starts_with('/') {
        return Err("it must be relative, not start with `/`".into());
    }
    if s.split('/').any(|p| p == "..") {
        return Err("it must not contain `..`".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_subdomains() {
        assert!(dns_label("web-0", 63).is_ok());
        assert!(dns_label("Web", 63).is_err());
        assert!(dns_label("-web", 63).is_err());
        assert!(dns_label(&"a".repeat(64), 63).is_err());
        assert!(dns1035_label("0web").is_err());
        assert!(dns_subdomain("my.config-1").is_ok());
        assert!(dns_subdomain("my..config").is_err());
        assert!(dns_subdomain("under_score").is_err());
    }

    #[test]
    fn data_keys_follow_kubectl() {
        for ok in ["a", ".env", "special.level", "tls.crt", "A_B-c.d"] {
            assert!(data_key(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".", "..", "..a", "a b", "a/b", "é"] {
            assert!(data_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn qualified_names_and_values() {
        assert!(qualified_name("app.kubernetes.io/name").is_ok());
        assert!(qualified_name("project").is_ok());
        assert!(qualified_name("Bad_Prefix/x").is_err());
        assert!(qualified_name("a/").is_err());
        assert!(qualified_name("-x").is_err());
        assert!(label_value("").is_ok());
        assert!(label_value("blog").is_ok());
        assert!(label_value("a b").is_err());
        assert!(label_value(&"a".repeat(64)).is_err());
    }

    #[test]
    fn port_names() {
        assert!(port_name("web").is_ok());
        assert!(port_name("http-2").is_ok());
        assert!(port_name("80").is_err());
        assert!(port_name("a--b").is_err());
        assert!(port_name("averyverylongname").is_err());
        assert!(port_name("Web").is_err());
    }

    #[test]
    fn resource_names() {
        for ok in [
            "cpu",
            "memory",
            "ephemeral-storage",
            "hugepages-2Mi",
            "nvidia.com/gpu",
        ] {
            assert!(container_resource_name(ok).is_ok(), "{ok}");
        }
        for bad in ["mem", "CPU", "hugepages-x", "kubernetes.io/cpu", "gpu"] {
            assert!(container_resource_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths() {
        assert!(mount_path("/etc/config").is_ok());
        assert!(mount_path("etc").is_err());
        assert!(mount_path("/a/../b").is_err());
        assert!(relative_path("a/b.conf").is_ok());
        assert!(relative_path("../x").is_err());
    }
}
