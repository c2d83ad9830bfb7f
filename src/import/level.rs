//! Recognising `pod_security = "restricted"` in imported pods: the settings the level fills in, left to it.
//!
//! [`crate::check::policy::harden`] fills in, for `restricted`, `runAsNonRoot`, a
//! non-root `runAsUser` and `RuntimeDefault` seccomp on the pod;
//! `allowPrivilegeEscalation: false`, `capabilities: drop: [ALL]`,
//! `runAsNonRoot` and seccomp on every container; and
//! `automountServiceAccountToken: false` without a service account. Some of
//! these (a main container's own `runAsNonRoot` and seccomp, the token) the
//! format can only say through the level. [`restricted`] writes the level
//! and leaves out what it would fill in with the same value; the caller
//! renders both descriptions and keeps this one only when it renders the
//! input with no difference the plain one does not list, so a pod that
//! lacks part of the hardening keeps its plain description.

use crate::check::policy::pss::Level;
use crate::check::policy::RESTRICTED_DEFAULT_USER;
use crate::model::SeccompProfile;

use super::toml_out::{Doc, Entries, Val};

/// `doc` with `pod_security = "restricted"`, without the settings that
/// level fills in; `None` when the pod lacks the pod-wide ones (the level
/// would add them: a difference). With `pod_security_context` the level
/// leaves the pod as written and fills in the main container like the others.
pub fn restricted(doc: &Doc) -> Option<Doc> {
    let at = doc.top.iter().position(|(k, _)| k == "security_context")?;
    let Val::Table(pod) = &doc.top[at].1 else {
        return None;
    };
    let exact = doc.top.iter().any(|(k, _)| k == "pod_security_context");
    let runtime_default = Val::Str(SeccompProfile::RuntimeDefault.as_str().to_owned());
    let has = |key: &str, val: &Val| pod.iter().any(|(k, v)| k == key && v == val);
    let shared =
        has("run_as_non_root", &Val::Bool(true)) && has("seccomp_profile", &runtime_default);
    if !exact && !shared {
        return None;
    }
    let mut doc = doc.clone();
    let name = Val::Str(Level::Restricted.name().to_owned());
    doc.top.insert(at, ("pod_security".to_owned(), name));
    strip(&mut doc.top, !exact);
    for (header, entries) in &mut doc.sections {
        let job = header.starts_with("[jobs.") || header.starts_with("[cronjobs.");
        if header == "[[init_containers]]" || header == "[[sidecars]]" || job {
            strip(entries, false);
        }
    }
    Some(doc)
}

/// Removes from the `security_context` in `entries` what the level fills
/// in (`top`: the top level's, whose user goes to the pod), and the table
/// if nothing is left.
fn strip(entries: &mut Entries, top: bool) {
    let Some(at) = entries.iter().position(|(k, _)| k == "security_context") else {
        return;
    };
    let Val::Table(sc) = &mut entries[at].1 else {
        return;
    };
    let runtime_default = Val::Str(SeccompProfile::RuntimeDefault.as_str().to_owned());
    let mut filled = vec![
        ("run_as_non_root", Val::Bool(true)),
        ("seccomp_profile", runtime_default),
        ("allow_privilege_escalation", Val::Bool(false)),
    ];
    if top {
        filled.push(("run_as_user", Val::Int(RESTRICTED_DEFAULT_USER)));
    }
    sc.retain(|(k, v)| !filled.iter().any(|(fk, fv)| k == fk && v == fv));
    let drop_all = Val::Arr(vec![Val::Str("ALL".to_owned())]);
    if let Some((_, Val::Table(caps))) = sc.iter_mut().find(|(k, _)| k == "capabilities") {
        caps.retain(|(k, v)| !(k == "drop" && *v == drop_all));
    }
    sc.retain(|(_, v)| *v != Val::Table(Vec::new()));
    if sc.is_empty() {
        entries.remove(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(pairs: &[(&str, Val)]) -> Val {
        Val::Table(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn the_filled_in_settings_go_and_the_others_stay() {
        let all = Val::Arr(vec![Val::Str("ALL".to_owned())]);
        let rd = Val::Str("RuntimeDefault".to_owned());
        let mut doc = Doc::default();
        doc.top.push(("name".to_owned(), Val::Str("a".to_owned())));
        doc.top.push((
            "security_context".to_owned(),
            table(&[
                ("run_as_user", Val::Int(RESTRICTED_DEFAULT_USER)),
                ("run_as_non_root", Val::Bool(true)),
                ("fs_group", Val::Int(7)),
                ("seccomp_profile", rd.clone()),
                ("allow_privilege_escalation", Val::Bool(false)),
                (
                    "capabilities",
                    table(&[
                        ("add", Val::Arr(vec![Val::Str("NET_BIND_SERVICE".into())])),
                        ("drop", all.clone()),
                    ]),
                ),
            ]),
        ));
        let side = table(&[
            ("run_as_user", Val::Int(RESTRICTED_DEFAULT_USER)),
            ("run_as_non_root", Val::Bool(true)),
            ("seccomp_profile", rd.clone()),
            ("capabilities", table(&[("drop", all.clone())])),
        ]);
        doc.sections.push((
            "[[sidecars]]".to_owned(),
            vec![("security_context".to_owned(), side)],
        ));
        let r = restricted(&doc).unwrap().to_text();
        assert_eq!(
            r,
            "name = \"a\"\npod_security = \"restricted\"\n\
             security_context = { fs_group = 7, capabilities = { add = [\"NET_BIND_SERVICE\"] } }\n\
             \n[[sidecars]]\nsecurity_context = { run_as_user = 65532 }\n"
        );
    }

    #[test]
    fn a_pod_without_the_pod_wide_settings_is_not_restricted() {
        let mut doc = Doc::default();
        doc.top.push((
            "security_context".to_owned(),
            table(&[("run_as_non_root", Val::Bool(true))]),
        ));
        assert!(restricted(&doc).is_none());
        assert!(restricted(&Doc::default()).is_none());
    }
}
