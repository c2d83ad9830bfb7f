//! `service_account.rules`: the Role and RoleBinding (and ClusterRole and
//! ClusterRoleBinding) that grant the created account its permissions.
//! Which resources and verbs exist is checked by [`crate::check::rbac`],
//! which knows the target release; this step builds the objects.

use super::context::*;
use crate::check::rbac::built_in;

/// The Role and ClusterRole of an account, with their bindings.
#[derive(Default)]
pub(super) struct Rbac {
    pub(super) roles: Vec<Role>,
    pub(super) bindings: Vec<RoleBinding>,
}

impl Lowerer<'_> {
    /// The objects granting `account` its `rules`, the Role and RoleBinding
    /// named `role_name` (default: the app's name); `created` says whether
    /// kubetoml creates the account (rules on any other are refused).
    pub(super) fn rbac(
        &mut self,
        rules: &[Spanned<spec::RuleSpec>],
        role_name: Option<&Spanned<String>>,
        created: bool,
        account: &str,
        app: &Identity,
    ) -> Rbac {
        if let Some(n) = role_name {
            self.check(n, "Role name", validate::dns_subdomain);
            let namespaced = |r: &Spanned<spec::RuleSpec>| !r.get_ref().cluster.as_ref().is_some_and(|c| *c.get_ref());
            if !rules.iter().any(namespaced) {
                self.error_help(
                    "`role_name` names no Role",
                    n.span(),
                    "no rule without `cluster = true`",
                    "the Role and RoleBinding are made for `rules` without `cluster = true`: add one, or leave `role_name` out",
                );
            }
        }
        let Some(first) = rules.first() else {
            return Rbac::default();
        };
        if !created {
            self.error_help(
                "`rules` need `create = true`",
                first.span(),
                "the account is not created here",
                "an existing account's permissions are managed where it is created; kubetoml grants rules only to an account it creates",
            );
            return Rbac::default();
        }
        let (mut namespaced, mut cluster) = (Vec::new(), Vec::new());
        for rule in rules {
            let lowered = self.policy_rules(rule);
            match rule.get_ref().cluster.as_ref().filter(|c| *c.get_ref()) {
                Some(c) if app.namespace.is_none() => self.error_help(
                    "a rule with `cluster = true` needs a `namespace`",
                    c.span(),
                    "no namespace for the ClusterRoleBinding",
                    "a ClusterRoleBinding names the account's namespace, and the ClusterRole's name, `NAMESPACE.APP`, carries it so two namespaces never share one: add `namespace = \"...\"` at the top level",
                ),
                Some(_) => cluster.extend(lowered),
                None => namespaced.extend(lowered),
            }
        }
        let mut out = Rbac::default();
        let binding = |kind: Kind, role: &Role| RoleBinding {
            kind,
            metadata: role.metadata.clone(),
            role_kind: role.kind.clone(),
            role_name: role.metadata.name.clone(),
            account: account.to_owned(),
            account_namespace: app.namespace.clone(),
        };
        if !namespaced.is_empty() {
            let role = Role {
                kind: Kind::Role,
                metadata: app.metadata(role_name.map_or(&app.name, |n| n.get_ref()), StringMap::new(), StringMap::new()),
                rules: namespaced,
            };
            out.bindings.push(binding(Kind::RoleBinding, &role));
            out.roles.push(role);
        }
        if let (false, Some(ns)) = (cluster.is_empty(), &app.namespace) {
            // Neither a namespace nor an app name holds a dot: `shop.web` is
            // never another namespace's app, as `shop-web` could be.
            let name = format!("{ns}.{}", app.name);
            let mut metadata = app.metadata(&name, StringMap::new(), StringMap::new());
            metadata.namespace = None;
            let role = Role {
                kind: Kind::ClusterRole,
                metadata,
                rules: cluster,
            };
            out.bindings.push(binding(Kind::ClusterRoleBinding, &role));
            out.roles.push(role);
        }
        out
    }

    /// One rule as written: one [`PolicyRule`], or, when its groups are
    /// inferred and its resources span several, one per group (a rule grants
    /// every group times every resource: `apps` `pods` would mean nothing).
    fn policy_rules(&mut self, rule: &Spanned<spec::RuleSpec>) -> Vec<PolicyRule> {
        let r = rule.get_ref();
        for (field, list) in [("resources", &r.resources), ("verbs", &r.verbs)] {
            if list.is_empty() {
                self.error_help(
                    format!("a rule needs `{field}`"),
                    rule.span(),
                    format!("no {field}"),
                    "e.g. `{ resources = [\"endpoints\"], verbs = [\"get\", \"list\", \"watch\"] }`",
                );
            }
        }
        for n in &r.resource_names {
            if n.get_ref().is_empty() {
                self.error("a resource name is empty", n.span(), "empty");
            }
        }
        if r.api_groups.as_ref().is_some_and(|g| g.is_empty()) {
            self.error_help(
                "`api_groups` is empty",
                rule.span(),
                "a rule without groups grants nothing",
                "leave `api_groups` out for Kubernetes' own resources, or name the groups (`\"\"` is the core group)",
            );
        }
        let verbs = distinct(&r.verbs);
        let resource_names = distinct(&r.resource_names);
        if let Some(groups) = &r.api_groups {
            return vec![PolicyRule {
                api_groups: distinct(groups),
                resources: distinct(&r.resources),
                resource_names,
                verbs,
            }];
        }
        // Unknown resources are reported by the check; the core group stands in.
        let mut by_group: Vec<(&str, Vec<String>)> = Vec::new();
        for res in distinct(&r.resources) {
            let group = built_in(&res).map_or("", |b| b.group);
            match by_group.iter_mut().find(|(g, _)| *g == group) {
                Some((_, list)) => list.push(res),
                None => by_group.push((group, vec![res])),
            }
        }
        by_group
            .into_iter()
            .map(|(group, resources)| PolicyRule {
                api_groups: vec![group.to_owned()],
                resources,
                resource_names: resource_names.clone(),
                verbs: verbs.clone(),
            })
            .collect()
    }
}

/// The strings of `list`, each once, in the order written.
fn distinct(list: &[Spanned<String>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in list {
        if !out.contains(s.get_ref()) {
            out.push(s.get_ref().clone());
        }
    }
    out
}
