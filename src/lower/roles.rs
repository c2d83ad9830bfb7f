//! Who the StatefulSet's pods are: the workload's name, selector and labels
//! (`[statefulset] name` and `selector`), and `[roles.NAME]`: one
//! StatefulSet per role, each lowered like a description of its own (its
//! table merged over the rest), sharing the objects the description makes
//! once (ConfigMaps, Secrets, ServiceAccount, NetworkPolicy, Namespace).

use super::context::*;
use crate::read::spec::RoleSpec;

/// What lowering one role needs besides its merged description: its name,
/// and the description's own labels and annotations (for the shared objects).
pub(super) struct RoleCx {
    pub(super) name: Spanned<String>,
    pub(super) labels: Map<String>,
    pub(super) annotations: Map<String>,
}

impl Lowerer<'_> {
    /// The identity of the StatefulSet and the objects that are its own
    /// (headless and client Service, budget, pods), from the app's: the
    /// same unless a role or `[statefulset] name` or `selector` says otherwise.
    pub(super) fn workload(
        &mut self,
        app: &Identity,
        role: Option<&Spanned<String>>,
        statefulset: Option<&Spanned<spec::StatefulSetSpec>>,
        labels: &Map<String>,
        annotations: &Map<String>,
    ) -> Identity {
        let s = statefulset.map(|s| s.get_ref());
        let own_selector = s.is_some_and(|s| s.selector.is_some());
        let mut w = app.clone();
        if let Some(role) = role {
            let ok = self.check(role, "role name", |r| validate::dns_label(r, validate::LABEL_MAX));
            w.name = format!("{}-{}", app.name, role.get_ref());
            w.name_span = role.span();
            w.name_ok &= ok;
            w.selector.insert(RECOMMENDED_COMPONENT.to_owned(), role.get_ref().clone());
            w.labels = w.selector.clone();
            w.labels.insert(RECOMMENDED_MANAGED_BY.into(), "kubetoml".into());
            w.labels.extend(self.labels_with(labels, own_selector));
            w.annotations = self.annotations(annotations);
        }
        match s.and_then(|s| s.name.as_ref()) {
            Some(n) => {
                w.name_ok &= self.check(n, "StatefulSet name", |s| {
                    validate::dns_label(s, validate::STATEFULSET_NAME_MAX)
                });
                w.name = n.get_ref().clone();
                w.name_span = n.span();
            }
            None if role.is_some() && w.name.len() > validate::STATEFULSET_NAME_MAX => {
                self.error_help(
                    format!("`{}` is too long for a StatefulSet name", w.name),
                    w.name_span.clone(),
                    format!("{} characters, at most {} are allowed", w.name.len(), validate::STATEFULSET_NAME_MAX),
                    "shorten the role's name, or set `[statefulset] name` in the role",
                );
                w.name_ok = false;
            }
            None => {}
        }
        if let Some(selector) = s.and_then(|s| s.selector.as_ref()) {
            if selector.get_ref().is_empty() {
                self.error_help(
                    "`selector` is empty",
                    selector.span(),
                    "selects no label",
                    "a StatefulSet selects its pods by at least one label",
                );
            }
            w.selector = self.selector_labels(selector.get_ref());
        }
        // The pods carry the selector's labels; a label written otherwise would unselect them.
        let reserved: &[&str] = if own_selector {
            &[RECOMMENDED_MANAGED_BY]
        } else {
            &[RECOMMENDED_NAME, RECOMMENDED_INSTANCE, RECOMMENDED_MANAGED_BY]
        };
        // A reserved label was reported as such.
        for (k, v) in labels.iter().filter(|(k, _)| !reserved.contains(&k.get_ref().as_str())) {
            match w.selector.get(k.get_ref()) {
                Some(sel) if sel != v.get_ref() => self.error_help(
                    format!("label `{}` is `{}`, but the selector wants `{sel}`", k.get_ref(), v.get_ref()),
                    v.span(),
                    "not the selector's value",
                    "the StatefulSet would not select its own pods: write the selector's value, or remove the label",
                ),
                _ => {}
            }
        }
        w.pod_labels = w.labels.clone();
        w.pod_labels.extend(w.selector.clone());
        w
    }

    /// Every role lowered, their shared objects made once: the first role's,
    /// the NetworkPolicy selecting every role's pods. Also gives the shared
    /// objects' metadata.
    pub(super) fn roles(&mut self, base: Spec, roles: Vec<RoleSpec>) -> Option<(Model, Metadata)> {
        let mut done: Vec<(Spanned<String>, Model, Metadata)> = Vec::new();
        for role in roles {
            self.diags.extend(crate::check::api_rules::check(&role.spec));
            let cx = RoleCx {
                name: role.name.clone(),
                labels: base.labels.clone(),
                annotations: base.annotations.clone(),
            };
            if let Some((model, shared)) = self.app(role.spec, Some(&cx)) {
                done.push((role.name, model, shared));
            }
        }
        self.distinct(&done);
        let mut done = done.into_iter();
        let (_, mut first, shared) = done.next()?;
        let others: Vec<(Spanned<String>, Model)> = done.map(|(n, m, _)| (n, m)).collect();
        for (name, m) in &others {
            self.union(&mut first.config_maps, &m.config_maps, name, "ConfigMap", |o| &o.metadata);
            self.union(&mut first.secrets, &m.secrets, name, "Secret", |o| &o.metadata);
        }
        if let Some(policy) = &mut first.network_policy {
            let mut selector = first.stateful_set.selector.clone();
            for (_, m) in &others {
                selector.retain(|k, v| m.stateful_set.selector.get(k) == Some(v));
                if let Some(p) = &m.network_policy {
                    policy.ports.extend(p.ports.iter().cloned());
                }
            }
            policy.ports.sort_by_key(|p| (p.port, p.protocol));
            policy.ports.dedup_by_key(|p| (p.port, p.protocol));
            if selector.is_empty() {
                let span = base.network_policy.as_ref().map_or(0..0, |p| p.span());
                self.error_help(
                    "the roles' selectors share no label: the NetworkPolicy cannot select every role's pods",
                    span,
                    "one policy for every role",
                    "give every role's `[statefulset] selector` a label they share",
                );
            }
            policy.pod_selector = selector.clone();
            if let Some(own) = policy.from.first_mut() {
                own.pod_labels = Some(selector);
            }
        }
        first.other_roles = (others.into_iter())
            .map(|(name, m)| RoleObjects {
                role: name.into_inner(),
                service: m.service,
                client_service: m.client_service,
                disruption_budget: m.disruption_budget,
                stateful_set: m.stateful_set,
            })
            .collect();
        Some((first, shared))
    }

    /// Adds to `all` the objects of `more` it does not hold; an object
    /// `role` makes otherwise than an earlier role is an error.
    fn union<T: Clone + serde::Serialize>(
        &mut self,
        all: &mut Vec<T>,
        more: &[T],
        role: &Spanned<String>,
        kind: &str,
        metadata: impl Fn(&T) -> &Metadata,
    ) {
        for o in more {
            let name = &metadata(o).name;
            match all.iter().find(|a| &metadata(a).name == name) {
                None => all.push(o.clone()),
                // Compared as the templates see them: same fields, same values.
                Some(a) if serde_json::to_value(a).ok() == serde_json::to_value(o).ok() => {}
                Some(_) => self.error_help(
                    format!("role `{}` makes {kind} `{name}` otherwise than the role before it", role.get_ref()),
                    role.span(),
                    "made twice, differently",
                    "a role may change how its pods use an object, not what the object holds",
                ),
            }
        }
        all.sort_by(|a, b| metadata(a).name.cmp(&metadata(b).name));
    }

    /// Each role's objects are its own: names differ, and no role's
    /// selector selects another role's pods.
    fn distinct(&mut self, done: &[(Spanned<String>, Model, Metadata)]) {
        for (i, (name, m, _)) in done.iter().enumerate() {
            for (other, o, _) in &done[..i] {
                let mut names = vec![("StatefulSet", &m.stateful_set.metadata.name, &o.stateful_set.metadata.name)];
                names.push(("Service", &m.service.metadata.name, &o.service.metadata.name));
                if let (Some(a), Some(b)) = (&m.client_service, &o.client_service) {
                    names.push(("Service", &a.metadata.name, &b.metadata.name));
                }
                if let (Some(a), Some(b)) = (&m.disruption_budget, &o.disruption_budget) {
                    names.push(("PodDisruptionBudget", &a.metadata.name, &b.metadata.name));
                }
                for (kind, a, b) in names {
                    if a == b {
                        self.error_help(
                            format!("roles `{}` and `{}` both make {kind} `{a}`", other.get_ref(), name.get_ref()),
                            name.span(),
                            "same name",
                            "give each role's object its own name",
                        );
                    }
                }
                let selects = |sel: &StringMap, pods: &StringMap| sel.iter().all(|(k, v)| pods.get(k) == Some(v));
                if selects(&m.stateful_set.selector, &o.stateful_set.pod.labels)
                    || selects(&o.stateful_set.selector, &m.stateful_set.pod.labels)
                {
                    self.error_help(
                        format!("roles `{}` and `{}` select each other's pods", other.get_ref(), name.get_ref()),
                        name.span(),
                        "overlapping selectors",
                        "give each role's `[statefulset] selector` a label the other role's pods do not carry",
                    );
                }
            }
        }
    }
}
