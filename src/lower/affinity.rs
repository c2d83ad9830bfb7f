//! `[affinity]`: node requirements and preferences, and the other pods to
//! run near or away from (the app's own replicas are `spread`'s).

use super::context::*;

/// The weight kubetoml gives every preference: they all count the same.
const PREFERENCE_WEIGHT: i64 = 100;

impl Lowerer<'_> {
    /// The pods' affinity; `None` when the table lists nothing.
    pub(super) fn affinity(&mut self, a: &Spanned<spec::AffinitySpec>) -> Option<Affinity> {
        let spec = a.get_ref();
        let (mut required_nodes, mut preferred_nodes) = (Vec::new(), Vec::new());
        for n in &spec.nodes {
            let Some(requirement) = self.node_requirement(n) else {
                continue;
            };
            match n.get_ref().required.unwrap_or(true) {
                true => required_nodes.push(requirement),
                false => preferred_nodes.push(requirement),
            }
        }
        let near = self.pod_rules(&spec.near);
        let away_from = self.pod_rules(&spec.away_from);
        let empty = required_nodes.is_empty()
            && preferred_nodes.is_empty()
            && [&near, &away_from]
                .iter()
                .all(|r| r.required.is_empty() && r.preferred.is_empty());
        (!empty).then_some(Affinity {
            required_nodes,
            preferred_nodes,
            near,
            away_from,
            preference_weight: PREFERENCE_WEIGHT,
        })
    }

    /// `{ key, values }`: a node label key and at least one value.
    fn node_requirement(&mut self, n: &Spanned<spec::NodeTermSpec>) -> Option<NodeRequirement> {
        let t = n.get_ref();
        let key_ok = self.check(&t.key, "node label key", validate::qualified_name);
        if t.values.is_empty() {
            self.error_help(
                "a node requirement needs `values`",
                n.span(),
                "no values",
                "list the values the node label may have: `values = [\"a\", \"b\"]`",
            );
            return None;
        }
        let values_ok = (t.values.iter())
            .filter(|v| !self.check(v, "node label value", validate::label_value))
            .count()
            == 0;
        (key_ok && values_ok).then(|| NodeRequirement {
            key: t.key.get_ref().clone(),
            values: t.values.iter().map(|v| v.get_ref().clone()).collect(),
        })
    }

    /// `near` or `away_from`: each entry other pods' labels and a domain.
    fn pod_rules(&mut self, terms: &[Spanned<spec::PodTermSpec>]) -> PodRules {
        let mut rules = PodRules::default();
        for term in terms {
            let t = term.get_ref();
            if t.pods.get_ref().is_empty() {
                self.error_help(
                    "`pods` selects no pods",
                    t.pods.span(),
                    "empty",
                    "name the other pods by their labels: `pods = { \"app.kubernetes.io/name\" = \"cache\" }`",
                );
                continue;
            }
            let mut match_labels = StringMap::new();
            for (k, v) in t.pods.get_ref() {
                let key_ok = self.check(k, "label key", validate::qualified_name);
                if self.check(v, "label value", validate::label_value) && key_ok {
                    match_labels.insert(k.get_ref().clone(), v.get_ref().clone());
                }
            }
            let topology_key = self.topology_key(t.across.get_ref(), t.across.span());
            let required = t.required.unwrap_or(false);
            let weight = t.weight.as_ref().and_then(|w| self.weight(w, required));
            let term = PodTerm {
                match_labels,
                topology_key,
                weight,
            };
            match required {
                true => rules.required.push(term),
                false => rules.preferred.push(term),
            }
        }
        rules
    }

    /// A preference's `weight`: 1 to 100, and only on a preference.
    fn weight(&mut self, w: &Spanned<i64>, required: bool) -> Option<i64> {
        if required {
            self.error_help(
                "`weight` is for preferences",
                w.span(),
                "a requirement has no weight",
                "remove `weight` (a requirement must hold), or `required = true` (a preference weighs 1 to 100)",
            );
            return None;
        }
        if !(1..=100).contains(w.get_ref()) {
            self.error(
                "`weight` must be between 1 and 100",
                w.span(),
                format!("{} is out of range", w.get_ref()),
            );
            return None;
        }
        Some(*w.get_ref())
    }
}
