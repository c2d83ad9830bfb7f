//! `[volumes.X]` made of the description's ConfigMaps and Secrets:
//! `secret = "T"` and `configmap = "T"` (one object's keys, with `items`
//! and `default_mode`), and `projected = [...]` (several objects' keys in
//! one folder). Each names a `[secrets.T]` or `[configmaps.T]` table,
//! generated or `external`, and follows its name on the cluster.

use super::context::*;
use super::data::DataObject;

/// The pod volume of one `[volumes.X]` with `secret`, `configmap` or `projected`.
pub(super) enum ObjectVolume {
    /// `secret` or `configmap`: laid out as a table's own mounted volume is.
    Object(PodVolume),
    /// `projected`.
    Projected(OtherVolume),
}

impl Lowerer<'_> {
    /// The volume `[volumes.NAME]` makes of ConfigMaps and Secrets, checked;
    /// `None` when it is another kind of volume (or was reported).
    pub(super) fn object_volume(
        &mut self,
        name: &Spanned<String>,
        v: &spec::VolumeSpec,
        objects: &[DataObject],
    ) -> Option<ObjectVolume> {
        if !v.is_object_volume() {
            self.needs_object_source(v);
            return None;
        }
        if !self.one_source(name, v) {
            return None;
        }
        let default_mode = v.default_mode.as_ref().map(|m| self.default_mode(m));
        if let Some(p) = &v.projected {
            if let Some(k) = v.items.keys().next() {
                self.error_help(
                    "`items` goes on each source of `projected`",
                    k.span(),
                    "which source?",
                    "write `projected = [{ secret = \"NAME\", items = { key = \"path\" } }]`",
                );
            }
            if p.get_ref().is_empty() {
                self.error_help(
                    format!("volume `{}` projects no source", name.get_ref()),
                    p.span(),
                    "empty",
                    "list its sources: `projected = [{ secret = \"NAME\" }, { configmap = \"NAME\" }]`",
                );
                return None;
            }
            let mut sources = Vec::new();
            for s in p.get_ref() {
                sources.extend(self.projected_source(s, objects));
            }
            return Some(ObjectVolume::Projected(OtherVolume {
                name: name.get_ref().clone(),
                source: VolumeSource::Projected {
                    sources,
                    default_mode,
                },
            }));
        }
        let (table, kind) = match (&v.secret, &v.configmap) {
            (Some(t), _) => (t, ObjectKind::Secret),
            (None, Some(t)) => (t, ObjectKind::ConfigMap),
            (None, None) => return None,
        };
        let o = self.find_object(objects, table, Some(kind))?;
        let items = self.key_items(o, &v.items);
        Some(ObjectVolume::Object(PodVolume {
            name: name.get_ref().clone(),
            kind,
            object: o.name.clone(),
            items,
            default_mode,
        }))
    }

    /// One `{ secret = "T" }` or `{ configmap = "T" }` of a `projected` list.
    fn projected_source(
        &mut self,
        s: &Spanned<spec::ProjectedSourceSpec>,
        objects: &[DataObject],
    ) -> Option<ProjectedSource> {
        let (table, kind) = match (&s.get_ref().secret, &s.get_ref().configmap) {
            (Some(t), None) => (t, ObjectKind::Secret),
            (None, Some(t)) => (t, ObjectKind::ConfigMap),
            _ => {
                self.error_help(
                    "a projected source names one object",
                    s.span(),
                    "give `secret` or `configmap`",
                    "write `{ secret = \"NAME\" }` or `{ configmap = \"NAME\" }`, one per source",
                );
                return None;
            }
        };
        let o = self.find_object(objects, table, Some(kind))?;
        let items = self.key_items(o, &s.get_ref().items);
        Some(ProjectedSource {
            kind,
            object: o.name.clone(),
            items,
        })
    }

    /// A volume is one of `empty_dir`, `claim`, `secret`, `configmap`,
    /// `projected`; these take nothing a claim template has.
    fn one_source(&mut self, name: &Spanned<String>, v: &spec::VolumeSpec) -> bool {
        let given: Vec<(&str, Span)> = [
            ("empty_dir", v.empty_dir.as_ref().map(|x| x.span())),
            ("claim", v.claim.as_ref().map(|x| x.span())),
            ("secret", v.secret.as_ref().map(|x| x.span())),
            ("configmap", v.configmap.as_ref().map(|x| x.span())),
            ("projected", v.projected.as_ref().map(|x| x.span())),
        ]
        .into_iter()
        .filter_map(|(field, span)| Some((field, span?)))
        .collect();
        if let [(first, _), (second, span), ..] = &given[..] {
            self.error_help(
                format!("`{second}` does not go with `{first}`"),
                span.clone(),
                "one source per volume",
                "a volume is one of `empty_dir`, `claim`, `secret`, `configmap` or `projected`: make two volumes",
            );
            return false;
        }
        let with = given.first().map_or("secret", |(f, _)| *f);
        self.refuse_template_fields(name, v, with, None)
    }

    /// `items` and `default_mode` of a volume that is no ConfigMap, Secret or projected volume.
    fn needs_object_source(&mut self, v: &spec::VolumeSpec) {
        for (field, span) in [
            ("items", v.items.keys().next().map(|k| k.span())),
            ("default_mode", v.default_mode.as_ref().map(|m| m.span())),
        ] {
            if let Some(span) = span {
                self.error_help(
                    format!("`{field}` needs `secret`, `configmap` or `projected`"),
                    span,
                    "no keys to mount",
                    "a claim template or `empty_dir` holds files of its own: remove it",
                );
            }
        }
    }
}
