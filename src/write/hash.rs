//! kustomize's name suffix for generated ConfigMaps and Secrets, and the keyed
//! hash through which Secrets enter the pods' `kubetoml.dev/config-hash`.
//!
//! ## The config hash and Secrets
//!
//! The pod template's `kubetoml.dev/config-hash` is a SHA-256 over every ConfigMap
//! and Secret the pods read, so that a change rolls them. Whoever can read pods can
//! read the annotation; had it been a plain hash over Secret content, they could test
//! guesses of a weak password offline. So a Secret enters it only through
//! [`Hmac`] (HMAC-SHA256) keyed with [`HASH_KEY_VAR`], a key the user supplies at
//! build time: without the key the annotation tells nothing about the value, and with
//! it only the key's holder can test guesses. Without a key (unset or empty), Secrets
//! are left out: a Secret change then rolls the pods only with `hash_suffix` (a new
//! name) or a restart. ConfigMaps enter as before, so a ConfigMap-only annotation is
//! unchanged.
//!
//!
//! `kubectl kustomize` names a generated object `NAME-SUFFIX`, where the suffix is a
//! hash of the object's content, so that a workload referring to it rolls when the
//! content changes. kustomize v5.5 (`api/hasher`) computes it like this:
//!
//! 1. Encode a small map with Go's `json.Marshal` (compact, keys sorted, HTML-safe
//!    escaping): `{"data":DATA,"kind":"ConfigMap","name":""}` plus `"binaryData"`
//!    when there is any, or `{"data":DATA,"kind":"Secret","name":"","type":TYPE}`.
//!    The name is empty: kustomize hashes before naming, so two generators with the
//!    same content get the same suffix.
//! 2. Take the first 10 hex digits of its SHA-256 and replace `0->g 1->h 3->k a->m
//!    e->t` (kustomize avoids vowels, and digits that look like letters).
//!
//! What we found by running `kubectl kustomize` (see `tests/it/kustomize_hash.rs`):
//! - Every base64 value, Secret `data` and ConfigMap `binaryData` alike, is hashed as
//!   the text kustomize stores: standard base64, cut every 70 characters with a `\n`
//!   after each piece, the last included, once it is 70 characters or longer.
//! - A ConfigMap without text data hashes `"data":""` (the field is absent), but a
//!   Secret without data hashes `"data":{}` (kustomize always writes `data: {}`).
//! - A secretGenerator without `type` writes `type: Opaque` before hashing, so the
//!   default hashes exactly like an explicit `Opaque`.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::write::gojson;

/// The build-time variable holding the key Secrets are hashed with for
/// `kubetoml.dev/config-hash` (see the module documentation).
pub const HASH_KEY_VAR: &str = "KUBETOML_HASH_KEY";

/// HMAC-SHA256 (RFC 2104) over a message streamed into [`Hmac::inner`].
pub struct Hmac {
    inner: Sha256,
    outer_pad: [u8; 64],
}

impl Hmac {
    /// A MAC keyed with `key` (hashed first when longer than SHA-256's 64-byte block).
    pub fn new(key: &[u8]) -> Hmac {
        let mut block = [0u8; 64];
        if key.len() > block.len() {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let mut inner = Sha256::new();
        inner.update(block.map(|b| b ^ 0x36));
        Hmac {
            inner,
            outer_pad: block.map(|b| b ^ 0x5c),
        }
    }

    /// Where the message goes.
    pub fn inner(&mut self) -> &mut Sha256 {
        &mut self.inner
    }

    /// The MAC of everything written to [`inner`](Hmac::inner).
    pub fn finalize(self) -> [u8; 32] {
        let mut outer = Sha256::new();
        outer.update(self.outer_pad);
        outer.update(self.inner.finalize());
        outer.finalize().into()
    }
}

/// The Debug of a MAC shows no key material.
impl std::fmt::Debug for Hmac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hmac(..)")
    }
}

/// The suffix `kubectl kustomize` gives a configMapGenerator of this content, e.g.
/// `t757gk2bmf` for data `{key: value}`.
///
/// `data` holds the UTF-8 values, `binary_data` the raw bytes of the others (what
/// kustomize puts in `binaryData`). The generator's name does not matter.
pub fn configmap_suffix(
    data: &BTreeMap<String, String>,
    binary_data: &BTreeMap<String, Vec<u8>>,
) -> String {
    let mut json = String::from("{");
    if !binary_data.is_empty() {
        json.push_str("\"binaryData\":");
        gojson::push_string_map(&mut json, &kustomize_base64_map(binary_data));
        json.push(',');
    }
    json.push_str("\"data\":");
    if data.is_empty() {
        // kustomize leaves `data` out of a ConfigMap that has none and hashes `""`.
        json.push_str("\"\"");
    } else {
        gojson::push_string_map(&mut json, data);
    }
    json.push_str(r#","kind":"ConfigMap","name":""}"#);
    suffix_of(&json)
}

/// The suffix `kubectl kustomize` gives a secretGenerator of this type and content.
///
/// `data` holds the raw bytes; kustomize hashes its base64 text, wrapped at 70
/// characters as the module documentation says. An empty `type_` means the
/// generator's default, which kustomize fills in as `Opaque` before hashing.
pub fn secret_suffix(type_: &str, data: &BTreeMap<String, Vec<u8>>) -> String {
    let type_ = if type_.is_empty() { "Opaque" } else { type_ };
    let mut json = String::from("{\"data\":");
    gojson::push_string_map(&mut json, &kustomize_base64_map(data));
    json.push_str(r#","kind":"Secret","name":"","type":"#);
    gojson::push_string(&mut json, type_);
    json.push('}');
    suffix_of(&json)
}

/// One generated object the pods read, as the config hash sees it.
#[derive(Clone, Copy)]
pub struct HashInput<'a> {
    /// The kind's spelling, [`crate::model::Kind::as_str`]: never a `Debug` form.
    pub kind: &'a str,
    /// The object's name on the cluster.
    pub name: &'a str,
    /// The Secret type; `Opaque` for a ConfigMap (what the hash has always
    /// been fed for one, so that existing pods do not roll).
    pub type_: &'a str,
    /// Every key and its exact bytes.
    pub entries: &'a BTreeMap<String, Vec<u8>>,
}

/// The value of the pod template's config hash annotation: SHA-256, in hex,
/// of each object's kind, name, type and entries, each length-prefixed so
/// that no two contents feed the same bytes. A Secret enters only as its
/// HMAC under `secret_key` (see the module's docs), and not at all without
/// a key. `None` when nothing entered.
///
/// Changing what is fed here changes every user's hash and rolls their pods
/// on the next apply: `config_hash_is_pinned` holds it still.
pub fn config_hash<'a>(
    objects: impl IntoIterator<Item = HashInput<'a>>,
    secret_key: Option<&[u8]>,
) -> Option<String> {
    let mut h = Sha256::new();
    let mut any = false;
    for o in objects {
        if o.kind == "Secret" {
            let Some(key) = secret_key else { continue };
            let mut mac = Hmac::new(key);
            feed(mac.inner(), &o);
            h.update(b"secret-hmac-sha256");
            h.update(mac.finalize());
        } else {
            feed(&mut h, &o);
        }
        any = true;
    }
    any.then(|| format!("{:x}", h.finalize()))
}

/// One object's kind, name, type and entries, each length-prefixed.
fn feed(h: &mut Sha256, o: &HashInput<'_>) {
    let field = |h: &mut Sha256, bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(h, o.kind.as_bytes());
    field(h, o.name.as_bytes());
    field(h, o.type_.as_bytes());
    h.update((o.entries.len() as u64).to_le_bytes());
    for (k, v) in o.entries {
        field(h, k.as_bytes());
        field(h, v);
    }
}

/// kustomize's `encodeBase64`: standard padded base64, and once the text is 70
/// characters or longer, a `\n` after every 70 characters and after the last piece.
fn kustomize_base64(bytes: &[u8]) -> String {
    const LINE: usize = 70;
    let encoded = STANDARD.encode(bytes);
    if encoded.len() < LINE {
        return encoded;
    }
    let mut out = String::with_capacity(encoded.len() + encoded.len() / LINE + 1);
    // Standard base64 is ASCII, so cutting at any byte offset is safe.
    for piece in encoded.as_bytes().chunks(LINE) {
        out.extend(piece.iter().map(|&b| char::from(b)));
        out.push('\n');
    }
    out
}

fn kustomize_base64_map(map: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, String> {
    map.iter()
        .map(|(k, v)| (k.clone(), kustomize_base64(v)))
        .collect()
}

/// kustomize's `Encode(Hash(text))`: 10 hex digits of SHA-256, some of them swapped.
/// The suffix of a Job's name: kustomize's hash (as for a generated object)
/// of `{"kind":"Job","name":"","spec":SPEC}`, where `SPEC` is the JSON of
/// everything kubetoml emits for the Job but its name. A changed Job (its
/// pod template is immutable) is a new Job; an unchanged one keeps its name.
pub fn job_suffix(spec_json: &str) -> String {
    suffix_of(&format!(r#"{{"kind":"Job","name":"","spec":{spec_json}}}"#))
}

fn suffix_of(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest
        .iter()
        .take(5)
        .flat_map(|b| [b >> 4, b & 0xf])
        .map(|nibble| match nibble {
            0 => 'g',
            1 => 'h',
            3 => 'k',
            0xa => 'm',
            0xe => 't',
            n => char::from_digit(u32::from(n), 16).unwrap_or('?'),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn bytes(pairs: &[(&str, &[u8])]) -> BTreeMap<String, Vec<u8>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_vec()))
            .collect()
    }

    // The expected suffixes below were read off `kubectl kustomize` v5.5 output.

    fn hmac(key: &[u8], message: &[u8]) -> String {
        let mut mac = Hmac::new(key);
        mac.inner().update(message);
        mac.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test cases 1, 2 and 6 (a key longer than the block).
        assert_eq!(
            hmac(&[0x0b; 20], b"Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hmac(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hmac(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn configmap_key_value_matches_reference_example() {
        let data = text(&[("key", "value")]);
        assert_eq!(configmap_suffix(&data, &BTreeMap::new()), "t757gk2bmf");
    }

    #[test]
    fn empty_configmap_hashes_data_as_empty_string() {
        assert_eq!(
            configmap_suffix(&BTreeMap::new(), &BTreeMap::new()),
            "6ct58987ht"
        );
    }

    #[test]
    fn binary_configmap_uses_wrapped_base64() {
        let all: Vec<u8> = (0..=255).collect();
        let bin = bytes(&[("b", &all)]);
        assert_eq!(configmap_suffix(&BTreeMap::new(), &bin), "6btf4965kg");
    }

    #[test]
    fn configmap_controls_and_html_characters() {
        // kustomize printed these names for files holding exactly these bytes.
        assert_eq!(
            configmap_suffix(&text(&[("ctl", "a\u{1}b")]), &BTreeMap::new()),
            "67c26t4869"
        );
        assert_eq!(
            configmap_suffix(&text(&[("ctl2", "a\tb\r\nc\u{1b}")]), &BTreeMap::new()),
            "5btgckbbgc"
        );
        assert_eq!(
            configmap_suffix(&text(&[("bf", "x\u{8}\u{c}y")]), &BTreeMap::new()),
            "mmm9tc7tbc"
        );
        assert_eq!(
            configmap_suffix(&text(&[("del", "\u{7f}")]), &BTreeMap::new()),
            "74hfk9cdkd"
        );
        assert_eq!(
            configmap_suffix(&text(&[("ls", "a\u{2028}b<>&")]), &BTreeMap::new()),
            "ff6f6tg2tk"
        );
    }

    #[test]
    fn secret_default_type_is_opaque() {
        let data = bytes(&[("key", b"value")]);
        assert_eq!(secret_suffix("", &data), "55ff4k8ggt");
        assert_eq!(secret_suffix("Opaque", &data), "55ff4k8ggt");
        assert_ne!(secret_suffix("kubernetes.io/tls", &data), "55ff4k8ggt");
    }

    #[test]
    fn empty_secret_hashes_data_as_empty_map() {
        assert_eq!(secret_suffix("Opaque", &BTreeMap::new()), "46f8b28mk5");
    }

    #[test]
    fn kustomize_base64_wraps_at_70_with_trailing_newline() {
        // 51 bytes -> 68 characters, 52 -> 72 (first length >= 70 is 72).
        assert_eq!(kustomize_base64(&[0; 51]).len(), 68);
        assert!(!kustomize_base64(&[0; 51]).contains('\n'));
        let wrapped = kustomize_base64(&[0; 52]);
        assert_eq!(wrapped, format!("{}\n==\n", "A".repeat(70)));
        // 105 bytes -> exactly 140 characters: two full lines, each ending in `\n`.
        let two = kustomize_base64(&[0; 105]);
        assert_eq!(two, format!("{0}\n{0}\n", "A".repeat(70)));
        assert_eq!(kustomize_base64(b""), "");
    }

    #[test]
    fn suffix_alphabet_has_no_substituted_characters() {
        for i in 0..200u32 {
            let s = configmap_suffix(&text(&[("k", &i.to_string())]), &BTreeMap::new());
            assert_eq!(s.len(), 10);
            assert!(
                s.chars().all(|c| "2456789bcdfghkmt".contains(c)),
                "unexpected character in {s}"
            );
        }
    }

    #[test]
    fn name_independent_content_dependent() {
        let a = text(&[("key", "value")]);
        let b = text(&[("key", "value2")]);
        assert_ne!(
            configmap_suffix(&a, &BTreeMap::new()),
            configmap_suffix(&b, &BTreeMap::new())
        );
    }

    #[test]
    fn config_hash_is_pinned() {
        // A fixed input and the hash kubetoml has always given it: if this
        // changes, every user's pods roll on their next apply.
        const PINNED: &str = "16e1bfa4add6f0337d7bdc667493380c39bc7fbc42fe6566322d1a2923cd5af7";
        let settings = bytes(&[("app.conf", b"port = 8080\n")]);
        let creds = bytes(&[("password", b"hunter2"), ("user", b"admin")]);
        let configmap = HashInput {
            kind: "ConfigMap",
            name: "settings",
            type_: "Opaque",
            entries: &settings,
        };
        let secret = HashInput {
            kind: "Secret",
            name: "creds-5f6g7h8k9m",
            type_: "kubernetes.io/basic-auth",
            entries: &creds,
        };
        assert_eq!(config_hash([configmap], None).as_deref(), Some(PINNED));
        // Without a key a Secret is left out; with one, the hash depends on the key.
        assert_eq!(config_hash([configmap, secret], None).as_deref(), Some(PINNED));
        let keyed = |key: &[u8]| config_hash([configmap, secret], Some(key)).unwrap();
        assert_ne!(keyed(b"one key"), PINNED);
        assert_ne!(keyed(b"one key"), keyed(b"another key"));
        assert_eq!(config_hash([secret], None), None);
        assert_eq!(config_hash([], Some(b"k")), None);
    }
}
