//! The app as a picture: `kubetoml explain --format dot` and `--format mermaid`.
//!
//! [`Graph::of`] reads an [`Explanation`] (so the resolved model, never the
//! YAML) and lays out who reaches what: the Services and the pods they
//! reach, the StatefulSet running the pods, each pod's claims, the
//! ConfigMaps and Secrets the pods read and how (`env`, `envFrom`, files,
//! image pulls), the disruption budget and the network policy. Every pod
//! runs the same template, so what the pods read is drawn once, from the
//! StatefulSet, rather than from each pod. The graph is
//! then written as Graphviz DOT ([`Graph::to_dot`]) or as a Mermaid
//! flowchart ([`Graph::to_mermaid`]).
//!
//! Node ids are made here (`pod0`, `cm1`, ...), never taken from a name, so
//! no name can break out of one; every label is escaped for its format, with
//! control characters and bidirectional overrides shown as `\u{..}`. The
//! same explanation always gives the same bytes.
//!
//! Nothing a Secret holds is drawn: the explanation has no Secret value to
//! begin with, and a literal environment value is not drawn either (only
//! where variables come from).
//!
//! A workload other than the StatefulSet (a Job, say) slots in as one more
//! node that [`Builder::reads`] connects to the ConfigMaps and Secrets its
//! containers read.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{ContainerView, EnvSource, Explanation, MountSource, Pod, RefKind};

/// The most pods drawn one by one; the others are one node that counts them.
pub const MAX_DRAWN_PODS: usize = 5;

/// What a node stands for; it picks the shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeKind {
    Service,
    StatefulSet,
    Pod,
    MorePods,
    Claim,
    SharedClaim,
    ConfigMap,
    Secret,
    Budget,
    Policy,
}

impl NodeKind {
    /// The prefix of the ids of this kind's nodes.
    fn prefix(self) -> &'static str {
        match self {
            NodeKind::Service => "svc",
            NodeKind::StatefulSet => "sts",
            NodeKind::Pod => "pod",
            NodeKind::MorePods => "more",
            NodeKind::Claim => "pvc",
            NodeKind::SharedClaim => "shared",
            NodeKind::ConfigMap => "cm",
            NodeKind::Secret => "secret",
            NodeKind::Budget => "pdb",
            NodeKind::Policy => "netpol",
        }
    }

    /// Graphviz attributes.
    fn dot_style(self) -> &'static str {
        match self {
            NodeKind::Service => r##"shape=oval, style=filled, fillcolor="#dbeafe""##,
            NodeKind::StatefulSet => r##"shape=box3d, style=filled, fillcolor="#e0e7ff""##,
            NodeKind::Pod => r##"shape=box, style="rounded,filled", fillcolor="#dcfce7""##,
            NodeKind::MorePods => r##"shape=box, style="rounded,dashed""##,
            NodeKind::Claim | NodeKind::SharedClaim => {
                r##"shape=cylinder, style=filled, fillcolor="#fef3c7""##
            }
            NodeKind::ConfigMap => r##"shape=note, style=filled, fillcolor="#f3f4f6""##,
            NodeKind::Secret => r##"shape=note, style=filled, fillcolor="#fee2e2""##,
            NodeKind::Budget => r##"shape=octagon, style=filled, fillcolor="#ede9fe""##,
            NodeKind::Policy => r##"shape=hexagon, style=filled, fillcolor="#ffedd5""##,
        }
    }

    /// Mermaid's brackets around a label, opening and closing.
    fn mermaid_shape(self) -> (&'static str, &'static str) {
        match self {
            NodeKind::Service => ("([", "])"),
            NodeKind::StatefulSet => ("[[", "]]"),
            NodeKind::Pod | NodeKind::MorePods => ("(", ")"),
            NodeKind::Claim | NodeKind::SharedClaim => ("[(", ")]"),
            NodeKind::ConfigMap | NodeKind::Secret => ("[/", "/]"),
            NodeKind::Budget => ("{{", "}}"),
            NodeKind::Policy => ("[\\", "\\]"),
        }
    }

    /// Mermaid's class for the node (colors, see [`MERMAID_CLASSES`]).
    fn mermaid_class(self) -> &'static str {
        match self {
            NodeKind::Service => "service",
            NodeKind::StatefulSet => "workload",
            NodeKind::Pod | NodeKind::MorePods => "pod",
            NodeKind::Claim | NodeKind::SharedClaim => "claim",
            NodeKind::ConfigMap => "configmap",
            NodeKind::Secret => "secret",
            NodeKind::Budget => "budget",
            NodeKind::Policy => "policy",
        }
    }
}

/// Mermaid's class definitions, the colors of [`NodeKind::dot_style`].
const MERMAID_CLASSES: &[(&str, &str)] = &[
    ("service", "fill:#dbeafe,stroke:#1e3a8a"),
    ("workload", "fill:#e0e7ff,stroke:#312e81"),
    ("pod", "fill:#dcfce7,stroke:#14532d"),
    ("claim", "fill:#fef3c7,stroke:#78350f"),
    ("configmap", "fill:#f3f4f6,stroke:#374151"),
    ("secret", "fill:#fee2e2,stroke:#7f1d1d"),
    ("budget", "fill:#ede9fe,stroke:#4c1d95"),
    ("policy", "fill:#ffedd5,stroke:#7c2d12"),
];

/// One box of the picture.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Node {
    /// Made here: a kind's prefix and a number, so always a safe identifier.
    id: String,
    kind: NodeKind,
    /// The label, one entry a line, as written by the user (escaped on output).
    lines: Vec<String>,
}

/// One arrow: `from` reaches, runs, mounts or reads `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Edge {
    from: usize,
    to: usize,
    /// The label, one entry a line.
    lines: Vec<String>,
    /// Drawn dashed: a relation of control (runs, guards), not of data.
    dashed: bool,
}

/// The picture of one description, ready to be written in either format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    /// The StatefulSet's name, the graph's title.
    title: String,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
}

/// Collects nodes and edges, numbering ids per kind in the order nodes are added.
struct Builder {
    graph: Graph,
    counts: BTreeMap<&'static str, usize>,
    /// ConfigMaps, Secrets and shared claims by (kind, name): one node each.
    objects: BTreeMap<(&'static str, String), usize>,
}

impl Builder {
    fn node(&mut self, kind: NodeKind, lines: Vec<String>) -> usize {
        let n = self.counts.entry(kind.prefix()).or_default();
        let id = format!("{}{n}", kind.prefix());
        *n += 1;
        self.graph.nodes.push(Node { id, kind, lines });
        self.graph.nodes.len() - 1
    }

    fn edge(&mut self, from: usize, to: usize, lines: Vec<String>, dashed: bool) {
        self.graph.edges.push(Edge {
            from,
            to,
            lines,
            dashed,
        });
    }

    /// The node of a ConfigMap, Secret or shared claim, made on first use.
    fn object(&mut self, kind: NodeKind, name: &str) -> usize {
        let key = (kind.prefix(), name.to_owned());
        if let Some(&i) = self.objects.get(&key) {
            return i;
        }
        let title = match kind {
            NodeKind::ConfigMap => "ConfigMap",
            NodeKind::Secret => "Secret",
            _ => "PersistentVolumeClaim",
        };
        let i = self.node(kind, vec![format!("{title} {name}")]);
        self.objects.insert(key, i);
        i
    }

    /// Edges from `workload` to every ConfigMap, Secret and shared claim the
    /// containers of its pods read, one per object, labelled with each way
    /// it is read (prefixed with the container's name when there are several).
    fn reads(&mut self, workload: usize, containers: &[&ContainerView], pull_secrets: &[String]) {
        // Object node -> label lines, in the order the objects are first read.
        let mut reads: Vec<(usize, Vec<String>)> = Vec::new();
        let mut add = |b: &mut Builder, kind: NodeKind, name: &str, line: String| {
            let node = b.object(kind, name);
            match reads.iter_mut().find(|(n, _)| *n == node) {
                Some((_, lines)) => lines.push(line),
                None => reads.push((node, vec![line])),
            }
        };
        let several = containers.len() > 1;
        for c in containers {
            let who = |what: String| match several {
                true => format!("{}: {what}", c.name),
                false => what,
            };
            for m in &c.mounts {
                let (kind, name) = match &m.source {
                    MountSource::ConfigMap { name } => (NodeKind::ConfigMap, name),
                    MountSource::Secret { name } => (NodeKind::Secret, name),
                    MountSource::SharedClaim { name } => (NodeKind::SharedClaim, name),
                    _ => continue,
                };
                add(self, kind, name, who(format!("files at {}", m.path)));
            }
            for e in &c.env {
                let (kind, name, key) = match &e.source {
                    EnvSource::ConfigMap { name, key } => (NodeKind::ConfigMap, name, key),
                    EnvSource::Secret { name, key } => (NodeKind::Secret, name, key),
                    _ => continue,
                };
                add(
                    self,
                    kind,
                    name,
                    who(format!("env {} from key {key}", e.name)),
                );
            }
            for r in &c.env_from {
                let kind = match r.kind {
                    RefKind::ConfigMap => NodeKind::ConfigMap,
                    RefKind::Secret => NodeKind::Secret,
                };
                add(self, kind, &r.name, who("envFrom: every key".to_owned()));
            }
        }
        for secret in pull_secrets {
            add(
                self,
                NodeKind::Secret,
                secret,
                "pulls images with it".to_owned(),
            );
        }
        for (node, lines) in reads {
            self.edge(workload, node, lines, false);
        }
    }
}

impl Explanation {
    /// The app as a Graphviz DOT graph (`--format dot`).
    pub fn to_dot(&self) -> String {
        Graph::of(self).to_dot()
    }

    /// The app as a Mermaid flowchart (`--format mermaid`).
    pub fn to_mermaid(&self) -> String {
        Graph::of(self).to_mermaid()
    }
}

impl Graph {
    /// The picture of what `explanation` describes.
    pub fn of(explanation: &Explanation) -> Graph {
        let e = explanation;
        let mut b = Builder {
            graph: Graph {
                title: e.stateful_set.clone(),
                nodes: Vec::new(),
                edges: Vec::new(),
            },
            counts: BTreeMap::new(),
            objects: BTreeMap::new(),
        };
        let headless = b.node(
            NodeKind::Service,
            vec![
                format!("Service {}", e.service),
                "headless: one DNS name per pod".into(),
            ],
        );
        let client = e.client_service.as_ref().map(|c| {
            let mut lines = vec![format!("Service {}", c.name), c.type_.clone()];
            lines.extend(c.ports.iter().cloned());
            b.node(NodeKind::Service, lines)
        });
        let sts = b.node(
            NodeKind::StatefulSet,
            vec![
                format!("StatefulSet {}", e.stateful_set),
                match e.replicas {
                    1 => "1 replica".to_owned(),
                    n => format!("{n} replicas"),
                },
                format!("{}, {}", e.start.policy, e.update.strategy),
            ],
        );
        if let Some(p) = &e.disruption_budget {
            let mut lines = vec![format!("PodDisruptionBudget {}", p.name)];
            lines.extend(
                p.max_unavailable
                    .as_ref()
                    .map(|m| format!("maxUnavailable {m}")),
            );
            lines.extend(
                p.min_available
                    .as_ref()
                    .map(|m| format!("minAvailable {m}")),
            );
            let pdb = b.node(NodeKind::Budget, lines);
            b.edge(pdb, sts, vec!["limits evictions".into()], true);
        }
        if let Some(p) = &e.network_policy {
            let mut lines = vec![format!("NetworkPolicy {}", p.name)];
            lines.extend(p.from.iter().map(|f| format!("from {f}")));
            lines.push(match p.ports.as_slice() {
                [] => "on no port".to_owned(),
                ports => format!("on {}", ports.join(", ")),
            });
            let policy = b.node(NodeKind::Policy, lines);
            b.edge(policy, sts, vec!["admits ingress to its pods".into()], true);
        }
        // Every pod runs the same template: what it reads is drawn once,
        // from the StatefulSet, as the first pod's containers show it.
        if let Some(pod) = e.pods.first() {
            let containers: Vec<&ContainerView> = (pod.init_containers.iter())
                .chain(&pod.containers)
                .collect();
            b.reads(sts, &containers, &pod.image_pull_secrets);
        }
        for pod in e.pods.iter().take(MAX_DRAWN_PODS) {
            let node = pod_node(&mut b, pod);
            b.edge(sts, node, vec!["runs".into()], true);
            b.edge(headless, node, vec![pod.dns.clone()], false);
            if let (Some(c), Some(client)) = (&e.client_service, client) {
                b.edge(client, node, c.ports.clone(), false);
            }
        }
        let more = e.pods.len().saturating_sub(MAX_DRAWN_PODS) as i64 + e.pods_not_listed;
        if more > 0 {
            let first = e
                .pods
                .get(MAX_DRAWN_PODS)
                .map_or_else(|| e.ordinals_start + MAX_DRAWN_PODS as i64, |p| p.ordinal);
            let last = e.ordinals_start + e.replicas - 1;
            let node = b.node(
                NodeKind::MorePods,
                vec![
                    format!("{more} more pods"),
                    format!("{0}-{first} to {0}-{last}", e.stateful_set),
                    "each like the ones drawn".into(),
                ],
            );
            b.edge(sts, node, vec!["runs".into()], true);
        }
        b.graph
    }

    /// The graph in Graphviz's DOT language, for `dot -Tsvg`.
    pub fn to_dot(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "digraph {} {{",
            dot_string(std::slice::from_ref(&self.title))
        );
        out.push_str("  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11];\n");
        out.push_str("  node [fontname=\"Helvetica\", fontsize=10];\n");
        out.push_str("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#4b5563\"];\n");
        for n in &self.nodes {
            let _ = writeln!(
                out,
                "  {} [label={}, {}];",
                n.id,
                dot_string(&n.lines),
                n.kind.dot_style()
            );
        }
        for e in &self.edges {
            let _ = writeln!(
                out,
                "  {} -> {} [label={}{}];",
                self.nodes[e.from].id,
                self.nodes[e.to].id,
                dot_string(&e.lines),
                if e.dashed { ", style=dashed" } else { "" }
            );
        }
        out.push_str("}\n");
        out
    }

    /// The graph as a Mermaid flowchart (GitHub and GitLab draw it in a
    /// ```` ```mermaid ```` block).
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for n in &self.nodes {
            let (open, close) = n.kind.mermaid_shape();
            let _ = writeln!(out, "  {}{open}\"{}\"{close}", n.id, mermaid_text(&n.lines));
        }
        for e in &self.edges {
            let arrow = if e.dashed { "-.->" } else { "-->" };
            let _ = writeln!(
                out,
                "  {} {arrow}|\"{}\"| {}",
                self.nodes[e.from].id,
                mermaid_text(&e.lines),
                self.nodes[e.to].id
            );
        }
        for (class, style) in MERMAID_CLASSES {
            let members: Vec<&str> = (self.nodes.iter())
                .filter(|n| n.kind.mermaid_class() == *class)
                .map(|n| n.id.as_str())
                .collect();
            if !members.is_empty() {
                let _ = writeln!(out, "  classDef {class} {style}");
                let _ = writeln!(out, "  class {} {class}", members.join(","));
            }
        }
        out
    }
}

/// The node of one pod, with its claims.
fn pod_node(b: &mut Builder, pod: &Pod) -> usize {
    let node = b.node(NodeKind::Pod, vec![format!("pod {}", pod.name)]);
    let containers: Vec<&ContainerView> = (pod.init_containers.iter())
        .chain(&pod.containers)
        .collect();
    for claim in &pod.claims {
        let mut lines = vec![format!("claim {}", claim.name), claim.size.clone()];
        lines.extend(claim.storage_class.as_ref().map(|s| format!("class {s}")));
        let c = b.node(NodeKind::Claim, lines);
        let mut paths: Vec<String> = Vec::new();
        for container in &containers {
            for m in &container.mounts {
                if matches!(&m.source, MountSource::Claim { name } if *name == claim.name) {
                    paths.push(format!("mounts at {}", m.path));
                }
            }
        }
        if paths.is_empty() {
            paths.push("not mounted".into());
        }
        b.edge(node, c, paths, false);
    }
    node
}

/// Characters no picture shows as they are: escaped (see
/// [`crate::diag::printable`]), and the line breaks YAML and browsers know.
fn visible(line: &str) -> String {
    let mut out = String::new();
    for c in crate::diag::printable(line, 1 << 12).chars() {
        match c {
            '\t' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}' => {
                out.push_str(&c.escape_unicode().to_string())
            }
            c => out.push(c),
        }
    }
    out
}

/// `lines` as one DOT quoted string: `"` and `\` escaped (a lone `\` would
/// start one of DOT's label escapes such as `\N`), lines joined with `\n`.
fn dot_string(lines: &[String]) -> String {
    let mut out = String::from("\"");
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push_str("\\n");
        }
        for c in visible(line).chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c => out.push(c),
            }
        }
    }
    out.push('"');
    out
}

/// `lines` as text for inside a quoted Mermaid label: every character but
/// letters, digits, space and `-_.,:/=()+` written as an entity (`#35;`),
/// which Mermaid turns back into the character, lines joined with `<br>`.
fn mermaid_text(lines: &[String]) -> String {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push_str("<br>");
        }
        for c in visible(line).chars() {
            if c.is_ascii_alphanumeric() || " -_.,:/=()+".contains(c) {
                out.push(c);
            } else {
                let _ = write!(out, "#{};", u32::from(c));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_strings_escape_quotes_backslashes_and_controls() {
        assert_eq!(dot_string(&["a\"b\\N".into()]), r#""a\"b\\N""#);
        assert_eq!(dot_string(&["x".into(), "y".into()]), r#""x\ny""#);
        assert_eq!(
            dot_string(&["a\nb\u{202e}".into()]),
            r#""a\\u{a}b\\u{202e}""#
        );
    }

    #[test]
    fn mermaid_text_keeps_only_plain_characters() {
        assert_eq!(
            mermaid_text(&["a\"]|<b>".into()]),
            "a#34;#93;#124;#60;b#62;"
        );
        assert_eq!(mermaid_text(&["x".into(), "é;".into()]), "x<br>#233;#59;");
    }
}
