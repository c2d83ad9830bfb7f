//! `[claims.X]`: PersistentVolumeClaims of their own, named `<app>-<X>`,
//! shared by the pods whose containers list them in `mounts` (unlike a
//! `[volumes.X]` claim template, which gives every StatefulSet pod its own).

use super::context::*;

/// A lowered claim and how the containers that list it mount it.
pub(super) struct ClaimUse {
    /// The object.
    pub(super) claim: PersistentVolumeClaim,
    /// Where its table key is written.
    pub(super) key_span: Span,
    /// Its `mount` path (checked with every other mount path).
    pub(super) mount: Spanned<String>,
    /// Mounted read-only.
    pub(super) read_only: bool,
}

impl Lowerer<'_> {
    /// Every `[claims.X]`, checked as a claim template is (size, class, modes), named `<app>-<X>`.
    pub(super) fn standalone_claims(
        &mut self,
        claims: &Map<spec::ClaimSpec>,
        app: &Identity,
    ) -> Vec<ClaimUse> {
        let mut out = Vec::new();
        for (key, c) in claims {
            let c = c.get_ref();
            let name = format!("{}-{}", app.name, key.get_ref());
            let key_ok = self.check(key, "claim name", |s| {
                validate::dns_label(s, validate::LABEL_MAX)
            });
            if key_ok && app.name_ok {
                self.check(&Spanned::new(key.span(), name.clone()), "claim name", validate::dns_subdomain);
            }
            let Some(mount) = c.mount.clone() else {
                self.error_help(
                    format!("claim `{}` has no `mount`", key.get_ref()),
                    key.span(),
                    "not mounted",
                    "add `mount = \"/path\"`: where the containers that list it in `mounts` see it",
                );
                continue;
            };
            let size = self.claim_size("claim", key, c.size.as_ref());
            let access_modes = self.access_modes(key, c.access_modes.as_ref());
            let storage_class = c.storage_class.as_ref().map(|s| {
                self.check(s, "storage class name", validate::dns_subdomain);
                s.get_ref().clone()
            });
            let Some(size) = size else { continue };
            out.push(ClaimUse {
                claim: PersistentVolumeClaim {
                    metadata: app.metadata(&name, StringMap::new(), StringMap::new()),
                    key: key.get_ref().clone(),
                    access_modes,
                    storage_class,
                    size,
                },
                key_span: key.span(),
                mount,
                read_only: c.read_only.unwrap_or(false),
            });
        }
        out
    }
}
