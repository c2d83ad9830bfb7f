//! The contents of typed Secrets, checked and built the way `kubectl create secret` does.
//!
//! - [`check_tls_pair`] accepts exactly what `kubectl create secret tls` accepts (Go's
//!   `tls.X509KeyPair`, Go 1.23): PEM blocks found as Go's `encoding/pem` finds them,
//!   the first certificate parsed, the private key parsed as PKCS#1, then PKCS#8, then
//!   SEC1, and its public half compared with the certificate's.
//! - [`docker_config_json`] builds `.dockerconfigjson` byte for byte as
//!   `kubectl create secret docker-registry` does.
//!
//! Nothing here reads files or prints; error messages never contain key material.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use num_bigint::BigUint;
use p256::elliptic_curve::sec1::ToEncodedPoint as _;
use pkcs8::der::asn1::OctetStringRef;
use pkcs8::der::Decode as _;
use pkcs8::ObjectIdentifier;

use crate::write::gojson;

/// Checks a `kubernetes.io/tls` pair the way `kubectl create secret tls` does (it uses
/// Go's `tls.X509KeyPair`): `cert` holds one or more PEM `CERTIFICATE` blocks, `key` one
/// PEM private key (PKCS#1 `RSA PRIVATE KEY`, SEC1 `EC PRIVATE KEY`, PKCS#8 `PRIVATE
/// KEY`), and the key's public half matches the first certificate's.
///
/// RSA, ECDSA (P-256, P-384) and Ed25519 keys are supported. An RSA key must also be
/// internally consistent (Go's `rsa.PrivateKey.Validate`), and an EC key's public point
/// is recomputed from its private scalar, as Go does, rather than trusted. ECDSA keys on
/// P-224 and P-521, which kubectl would accept, are refused with a message saying so.
///
/// The error message says what is wrong in kubectl's words where they exist (without
/// Go's `tls: ` prefix): "failed to find any PEM data in certificate input", "failed to
/// find any PEM data in key input", "private key does not match public key", ... It
/// never includes key material.
pub fn check_tls_pair(cert: &[u8], key: &[u8]) -> Result<(), String> {
    let mut certs = Vec::new();
    let mut skipped = Vec::new();
    let mut rest = cert;
    while let Some((block, after)) = pem_decode(rest) {
        rest = after;
        if block.label == b"CERTIFICATE" {
            certs.push(block.der);
        } else {
            skipped.push(block.label_text());
        }
    }
    let Some(first_cert) = certs.first() else {
        return Err(match skipped.as_slice() {
            [] => "failed to find any PEM data in certificate input".to_string(),
            [one] if one.ends_with("PRIVATE KEY") => "failed to find certificate PEM data in \
                certificate input, but did find a private key; PEM inputs may have been switched"
                .to_string(),
            _ => format!(
                "failed to find \"CERTIFICATE\" PEM block in certificate input after skipping \
                 PEM blocks of the following types: [{}]",
                skipped_types(&skipped)
            ),
        });
    };

    skipped.clear();
    let mut rest = key;
    let key_der = loop {
        let Some((block, after)) = pem_decode(rest) else {
            return Err(match skipped.as_slice() {
                [] => "failed to find any PEM data in key input".to_string(),
                [one] if one == "CERTIFICATE" => {
                    "found a certificate rather than a key in the PEM for the private key"
                        .to_string()
                }
                _ => format!(
                    "failed to find PEM block with type ending in \"PRIVATE KEY\" in key input \
                     after skipping PEM blocks of the following types: [{}]",
                    skipped_types(&skipped)
                ),
            });
        };
        rest = after;
        if block.label == b"PRIVATE KEY" || block.label.ends_with(b" PRIVATE KEY") {
            break block.der;
        }
        skipped.push(block.label_text());
    };

    // Go parses the certificate before the key, so its errors come first.
    let public = certificate_public_key(first_cert)?;
    let private = parse_private_key(&key_der)?;
    match (public, private) {
        (PublicKey::Rsa { modulus: n1 }, PublicKey::Rsa { modulus: n2 })
        | (PublicKey::Ec { point: n1 }, PublicKey::Ec { point: n2 })
        | (PublicKey::Ed25519 { point: n1 }, PublicKey::Ed25519 { point: n2 }) => {
            if n1 == n2 {
                Ok(())
            } else {
                Err("private key does not match public key".to_string())
            }
        }
        _ => Err("private key type does not match public key type".to_string()),
    }
}

/// The `.dockerconfigjson` value `kubectl create secret docker-registry` builds, byte for
/// byte: `{"auths":{"SERVER":{"username":U,"password":P,"email":E,"auth":base64(U:P)}}}`
/// with `email` left out when empty.
///
/// The server default `https://index.docker.io/v1/` is the caller's business (pass it
/// in). Strings are escaped as Go's `json.Marshal` escapes them (`<` as `\u003c`, ...).
/// kubectl's struct marks every field `omitempty`, so an empty username or password is
/// left out too; kubectl refuses those before it gets here, and so should the caller.
pub fn docker_config_json(
    server: &str,
    username: &str,
    password: &str,
    email: Option<&str>,
) -> Vec<u8> {
    let auth = STANDARD.encode(format!("{username}:{password}"));
    let fields = [
        ("username", username),
        ("password", password),
        ("email", email.unwrap_or("")),
        ("auth", auth.as_str()),
    ];
    let mut out = String::from("{\"auths\":{");
    gojson::push_string(&mut out, server);
    out.push_str(":{");
    let mut first = true;
    for (name, value) in fields.into_iter().filter(|(_, v)| !v.is_empty()) {
        if !first {
            out.push(',');
        }
        first = false;
        gojson::push_string(&mut out, name);
        out.push(':');
        gojson::push_string(&mut out, value);
    }
    out.push_str("}}}");
    out.into_bytes()
}

/// A public key reduced to what Go's `tls.X509KeyPair` compares: the RSA modulus, the
/// uncompressed EC point (curves differ in length, so a P-256/P-384 mix never matches,
/// as in Go), or the Ed25519 point.
#[derive(PartialEq, Eq)]
enum PublicKey {
    Rsa { modulus: Vec<u8> },
    Ec { point: Vec<u8> },
    Ed25519 { point: Vec<u8> },
}

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const X25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.110");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const P224: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.33");
const P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");

/// The first certificate's public key, with Go's `x509` checks on its encoding.
fn certificate_public_key(der: &[u8]) -> Result<PublicKey, String> {
    let cert = x509_cert::Certificate::from_der(der)
        .map_err(|e| format!("failed to parse the first certificate: {e}"))?;
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let key = spki.subject_public_key.raw_bytes();
    let params = spki.algorithm.parameters.as_ref();
    let oid = spki.algorithm.oid;
    if oid == RSA_ENCRYPTION {
        if !params.is_some_and(|p| p.is_null()) {
            return Err("x509: RSA key missing NULL parameters".to_string());
        }
        let rsa = pkcs1::RsaPublicKey::from_der(key)
            .map_err(|_| "x509: invalid RSA public key".to_string())?;
        Ok(PublicKey::Rsa {
            modulus: rsa.modulus.as_bytes().to_vec(),
        })
    } else if oid == EC_PUBLIC_KEY {
        let curve = params
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
            .ok_or("x509: invalid ECDSA parameters")?;
        let bad_point = || "x509: failed to unmarshal elliptic curve point".to_string();
        // Go's elliptic.Unmarshal takes only the uncompressed form, and only points on the curve.
        if key.first() != Some(&4) {
            return Err(bad_point());
        }
        if curve == P256 {
            p256::PublicKey::from_sec1_bytes(key).map_err(|_| bad_point())?;
        } else if curve == P384 {
            p384::PublicKey::from_sec1_bytes(key).map_err(|_| bad_point())?;
        } else {
            return Err(unsupported_curve(curve));
        }
        Ok(PublicKey::Ec {
            point: key.to_vec(),
        })
    } else if oid == ED25519 {
        if params.is_some() {
            return Err("x509: Ed25519 key encoded with illegal parameters".to_string());
        }
        if key.len() != 32 {
            return Err("x509: wrong Ed25519 public key size".to_string());
        }
        Ok(PublicKey::Ed25519 {
            point: key.to_vec(),
        })
    } else {
        Err("unknown public key algorithm".to_string())
    }
}

fn unsupported_curve(curve: ObjectIdentifier) -> String {
    if curve == P224 || curve == P521 {
        let name = if curve == P224 { "P-224" } else { "P-521" };
        format!("ECDSA keys on {name} are not supported; use P-256 or P-384")
    } else {
        "x509: unsupported elliptic curve".to_string()
    }
}

/// Go's `tls.parsePrivateKey`: PKCS#1, then PKCS#8, then SEC1, whatever the PEM label.
fn parse_private_key(der: &[u8]) -> Result<PublicKey, String> {
    const UNPARSABLE: &str = "failed to parse private key";
    if let Some(key) = parse_pkcs1(der) {
        return Ok(key);
    }
    if let Ok(info) = pkcs8::PrivateKeyInfo::from_der(der) {
        let oid = info.algorithm.oid;
        let params = info.algorithm.parameters;
        let parsed = if oid == RSA_ENCRYPTION {
            parse_pkcs1(info.private_key).ok_or(UNPARSABLE)
        } else if oid == EC_PUBLIC_KEY {
            let curve = params.and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            parse_sec1(info.private_key, curve)
        } else if oid == ED25519 && params.is_none() {
            OctetStringRef::from_der(info.private_key)
                .ok()
                .and_then(|seed| <[u8; 32]>::try_from(seed.as_bytes()).ok())
                .map(|seed| PublicKey::Ed25519 {
                    point: ed25519_dalek::SigningKey::from_bytes(&seed)
                        .verifying_key()
                        .to_bytes()
                        .to_vec(),
                })
                .ok_or(UNPARSABLE)
        } else if oid == X25519 && OctetStringRef::from_der(info.private_key).is_ok() {
            return Err("found unknown private key type in PKCS#8 wrapping".to_string());
        } else {
            Err(UNPARSABLE)
        };
        match parsed {
            Ok(key) => return Ok(key),
            // Ours, not Go's: Go would accept the key, so say why we don't.
            Err(msg) if msg != UNPARSABLE => return Err(msg.to_string()),
            Err(_) => {}
        }
    }
    parse_sec1(der, None).map_err(|msg| msg.to_string())
}

/// Go's `x509.ParsePKCS1PrivateKey`, including `rsa.PrivateKey.Validate`: positive
/// values, `2 <= e < 2^31`, primes above 1 whose product is `n`, and `d·e ≡ 1 (mod p-1)`
/// for each prime `p`.
fn parse_pkcs1(der: &[u8]) -> Option<PublicKey> {
    let key = pkcs1::RsaPrivateKey::from_der(der).ok()?;
    let int = |u: pkcs1::UintRef<'_>| BigUint::from_bytes_be(u.as_bytes());
    let (n, e, d) = (
        int(key.modulus),
        int(key.public_exponent),
        int(key.private_exponent),
    );
    let mut primes = vec![int(key.prime1), int(key.prime2)];
    if let Some(others) = &key.other_prime_infos {
        primes.extend(others.iter().map(|info| int(info.prime)));
    }
    let one = BigUint::from(1u32);
    let zero = BigUint::from(0u32);
    if n == zero || d == zero || e < BigUint::from(2u32) || e > BigUint::from(i32::MAX as u32) {
        return None;
    }
    if primes.iter().any(|p| *p <= one) || primes.iter().product::<BigUint>() != n {
        return None;
    }
    let de = &d * &e;
    if primes.iter().any(|p| &de % (p - &one) != one) {
        return None;
    }
    Some(PublicKey::Rsa {
        modulus: key.modulus.as_bytes().to_vec(),
    })
}

/// Go's `x509.parseECPrivateKey`: the curve comes from PKCS#8 when wrapped, else from the
/// key itself; the public point is recomputed from the scalar (an embedded one is ignored).
fn parse_sec1(
    der: &[u8],
    outer_curve: Option<ObjectIdentifier>,
) -> Result<PublicKey, &'static str> {
    const UNPARSABLE: &str = "failed to parse private key";
    let key = sec1::EcPrivateKey::from_der(der).map_err(|_| UNPARSABLE)?;
    let curve = outer_curve
        .or_else(|| key.parameters.and_then(|p| p.named_curve()))
        .ok_or(UNPARSABLE)?;
    let point = if curve == P256 {
        let scalar = padded_scalar::<32>(key.private_key).ok_or(UNPARSABLE)?;
        let secret = p256::SecretKey::from_bytes(&scalar.into()).map_err(|_| UNPARSABLE)?;
        secret
            .public_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    } else if curve == P384 {
        let scalar = padded_scalar::<48>(key.private_key).ok_or(UNPARSABLE)?;
        let secret = p384::SecretKey::from_bytes(&scalar.into()).map_err(|_| UNPARSABLE)?;
        secret
            .public_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    } else if curve == P224 {
        return Err("ECDSA keys on P-224 are not supported; use P-256 or P-384");
    } else if curve == P521 {
        return Err("ECDSA keys on P-521 are not supported; use P-256 or P-384");
    } else {
        return Err(UNPARSABLE);
    };
    Ok(PublicKey::Ec { point })
}

/// Go tolerates both extra leading zeros and missing ones in an EC private scalar.
fn padded_scalar<const N: usize>(mut bytes: &[u8]) -> Option<[u8; N]> {
    while bytes.len() > N {
        let (&first, tail) = bytes.split_first()?;
        if first != 0 {
            return None;
        }
        bytes = tail;
    }
    let mut out = [0u8; N];
    out[N - bytes.len()..].copy_from_slice(bytes);
    Some(out)
}

/// One PEM block: its label (the `TYPE` in `-----BEGIN TYPE-----`) and decoded bytes.
struct PemBlock {
    label: Vec<u8>,
    der: Vec<u8>,
}

impl PemBlock {
    fn label_text(&self) -> String {
        String::from_utf8_lossy(&self.label).into_owned()
    }
}

/// Go's list of skipped block types, cut after 10 (Go lists them all: a 1 MiB input
/// of small blocks would make a 100 KB message) and each type after 64 characters.
fn skipped_types(skipped: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut types: Vec<String> = skipped
        .iter()
        .take(SHOWN)
        .map(|t| match t.char_indices().nth(64) {
            Some((cut, _)) => format!("{}...", &t[..cut]),
            None => t.clone(),
        })
        .collect();
    if skipped.len() > SHOWN {
        types.push(format!("... and {} more", skipped.len() - SHOWN));
    }
    types.join(" ")
}

/// Go's base64.StdEncoding: padding required, non-zero trailing bits tolerated.
const GO_STD_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// A port of Go's `pem.Decode` (Go 1.23): the next well-formed block and what follows
/// it, skipping text before it and malformed blocks.
///
/// Linear in `data`, where Go 1.23's is quadratic (CVE-2025-61723: a megabyte of
/// `-----BEGIN` lines with no END took seconds). The blocks found are the same: the
/// search for the next END line is remembered (every later search starts further on, so
/// its answer holds until passed), and a block's text is checked for base64 characters
/// only up to the first one that is not (a later BEGIN line in it stops the check at its
/// dashes, so no text is read for more than one BEGIN line).
fn pem_decode(data: &[u8]) -> Option<(PemBlock, &[u8])> {
    const START: &[u8] = b"\n-----BEGIN ";
    const END: &[u8] = b"\n-----END ";
    const DASHES: &[u8] = b"-----";
    let mut rest = data;
    // The absolute index of the first END at or after where it was last searched from.
    let mut next_end: Option<Option<usize>> = None;
    let offset = |part: &[u8]| part.as_ptr() as usize - data.as_ptr() as usize;
    loop {
        if rest.starts_with(&START[1..]) {
            rest = &rest[START.len() - 1..];
        } else if let Some(i) = find(rest, START) {
            rest = &rest[i + START.len()..];
        } else {
            return None;
        }
        let (type_line, after) = get_line(rest);
        rest = after;
        let Some(label) = type_line.strip_suffix(DASHES) else {
            continue;
        };

        let mut has_headers = false;
        loop {
            if rest.is_empty() {
                return None;
            }
            let (line, next) = get_line(rest);
            if !line.contains(&b':') {
                break;
            }
            has_headers = true;
            rest = next;
        }

        let at = offset(rest);
        let end = match next_end {
            Some(Some(end)) if end >= at => Some(end),
            // None after an earlier start: none after this one either.
            Some(None) => None,
            _ => find(rest, END).map(|i| at + i),
        };
        next_end = Some(end);
        let (end_index, end_trailer_index) = if !has_headers && rest.starts_with(&END[1..]) {
            (0, END.len() - 1)
        } else if let Some(end) = end {
            (end - at, end - at + END.len())
        } else {
            // No END after here: no block can follow.
            return None;
        };
        let end_trailer = &rest[end_trailer_index..];
        let trailer_len = label.len() + DASHES.len();
        if end_trailer.len() < trailer_len {
            continue;
        }
        let (trailer, rest_of_end_line) = end_trailer.split_at(trailer_len);
        if !trailer.starts_with(label) || !trailer.ends_with(DASHES) {
            continue;
        }
        if !get_line(rest_of_end_line).0.is_empty() {
            continue;
        }
        // Go drops spaces and tabs, and its base64 decoder skips CR and LF. Anything
        // else that is not base64 fails the block: found first, before copying.
        let base64ish = |b: &u8| b.is_ascii_alphanumeric() || b"+/= \t\r\n".contains(b);
        if !rest[..end_index].iter().all(base64ish) {
            continue;
        }
        let text: Vec<u8> = rest[..end_index]
            .iter()
            .copied()
            .filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            .collect();
        let Ok(der) = GO_STD_BASE64.decode(&text) else {
            continue;
        };
        let (_, after_block) = get_line(&rest[end_index + END.len() - 1..]);
        let block = PemBlock {
            label: label.to_vec(),
            der,
        };
        return Some((block, after_block));
    }
}

/// Go's `pem.getLine`: the first LF- or CRLF-ended line without trailing spaces and
/// tabs, and the rest after the line break.
fn get_line(data: &[u8]) -> (&[u8], &[u8]) {
    let (mut end, next) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (i, i + 1),
        None => (data.len(), data.len()),
    };
    if next != end && end > 0 && data[end - 1] == b'\r' {
        end -= 1;
    }
    let mut line = &data[..end];
    while let [head @ .., b' ' | b'\t'] = line {
        line = head;
    }
    (line, &data[next..])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!("../../tests/fixtures/tls/", $name)).as_slice()
        };
    }

    const RSA_CRT: &[u8] = fixture!("rsa.crt");
    const RSA_KEY: &[u8] = fixture!("rsa.key");

    fn err(cert: &[u8], key: &[u8]) -> String {
        check_tls_pair(cert, key).expect_err("the pair should be refused")
    }

    #[test]
    fn matching_pairs_of_each_kind_pass() {
        let pairs: [(&str, &[u8], &[u8]); 11] = [
            ("rsa pkcs1", RSA_CRT, RSA_KEY),
            ("rsa pkcs8", RSA_CRT, fixture!("rsa.pk8.key")),
            ("p256 sec1", fixture!("p256.crt"), fixture!("p256.key")),
            ("p256 pkcs8", fixture!("p256.crt"), fixture!("p256.pk8.key")),
            ("p384 sec1", fixture!("p384.crt"), fixture!("p384.key")),
            ("p384 pkcs8", fixture!("p384.crt"), fixture!("p384.pk8.key")),
            ("ed25519", fixture!("ed25519.crt"), fixture!("ed25519.key")),
            ("chain", fixture!("chain.crt"), RSA_KEY),
            (
                "ec parameters block first",
                fixture!("p256-with-params.crt"),
                fixture!("p256-with-params.key"),
            ),
            (
                "combined file on both sides",
                fixture!("rsa-combined.pem"),
                fixture!("rsa-combined.pem"),
            ),
            (
                "postgres example",
                include_bytes!("../../examples/postgres/tls/server.crt"),
                include_bytes!("../../examples/postgres/tls/server.key"),
            ),
        ];
        for (what, cert, key) in pairs {
            assert_eq!(check_tls_pair(cert, key), Ok(()), "{what}");
        }
    }

    #[test]
    fn pem_layout_variants_pass_like_go() {
        assert_eq!(check_tls_pair(fixture!("rsa-crlf.crt"), RSA_KEY), Ok(()));
        assert_eq!(
            check_tls_pair(fixture!("rsa-leading-text.crt"), RSA_KEY),
            Ok(())
        );
    }

    #[test]
    fn mismatched_keys_are_refused() {
        const NO_MATCH: &str = "private key does not match public key";
        assert_eq!(err(RSA_CRT, fixture!("other-rsa.key")), NO_MATCH);
        assert_eq!(
            err(fixture!("p256.crt"), fixture!("other-p256.key")),
            NO_MATCH
        );
        assert_eq!(
            err(fixture!("ed25519.crt"), fixture!("other-ed25519.key")),
            NO_MATCH
        );
        // Go compares coordinates only, so a curve mix is a mismatch, not a type error.
        assert_eq!(err(fixture!("p256.crt"), fixture!("p384.key")), NO_MATCH);
        // The chain is checked against its first certificate only.
        assert_eq!(err(fixture!("chain.crt"), fixture!("p256.key")), {
            "private key type does not match public key type"
        });
    }

    #[test]
    fn key_of_another_type_is_refused() {
        const TYPE: &str = "private key type does not match public key type";
        assert_eq!(err(RSA_CRT, fixture!("p256.key")), TYPE);
        assert_eq!(err(fixture!("p256.crt"), RSA_KEY), TYPE);
        assert_eq!(err(fixture!("ed25519.crt"), fixture!("p256.key")), TYPE);
        assert_eq!(err(fixture!("ed25519.crt"), RSA_KEY), TYPE);
    }

    #[test]
    fn missing_pem_data_is_named_per_input() {
        let garbage = fixture!("garbage.txt");
        assert_eq!(
            err(garbage, RSA_KEY),
            "failed to find any PEM data in certificate input"
        );
        assert_eq!(
            err(b"", b""),
            "failed to find any PEM data in certificate input"
        );
        assert_eq!(
            err(RSA_CRT, garbage),
            "failed to find any PEM data in key input"
        );
        assert_eq!(
            err(RSA_CRT, b""),
            "failed to find any PEM data in key input"
        );
        assert_eq!(
            err(RSA_CRT, fixture!("cert-only.pem")),
            "found a certificate rather than a key in the PEM for the private key"
        );
        assert_eq!(
            err(RSA_KEY, RSA_KEY),
            "failed to find certificate PEM data in certificate input, but did find a \
             private key; PEM inputs may have been switched"
        );
    }

    #[test]
    fn skipped_block_types_are_listed_like_go() {
        let other = fixture!("two-other-blocks.pem");
        assert_eq!(
            err(other, RSA_KEY),
            "failed to find \"CERTIFICATE\" PEM block in certificate input after skipping \
             PEM blocks of the following types: [FOO BAR BAZ]"
        );
        assert_eq!(
            err(RSA_CRT, other),
            "failed to find PEM block with type ending in \"PRIVATE KEY\" in key input after \
             skipping PEM blocks of the following types: [FOO BAR BAZ]"
        );
    }

    #[test]
    fn a_long_list_of_skipped_types_is_cut() {
        let many = "-----BEGIN FOO-----\nQUFB\n-----END FOO-----\n".repeat(5000);
        let message = err(RSA_CRT, many.as_bytes());
        assert!(
            message.ends_with("[FOO FOO FOO FOO FOO FOO FOO FOO FOO FOO ... and 4990 more]"),
            "{message}"
        );
    }

    #[test]
    fn unparsable_keys_are_refused() {
        const BAD: &str = "failed to parse private key";
        assert_eq!(err(RSA_CRT, fixture!("rsa-encrypted.key")), BAD);
        assert_eq!(err(RSA_CRT, fixture!("ed448.key")), BAD);
        // Same modulus as rsa.crt, but d·e ≢ 1: Go's rsa Validate refuses it.
        assert_eq!(err(RSA_CRT, fixture!("rsa-bad-exponent.key")), BAD);
        assert_eq!(
            err(RSA_CRT, fixture!("x25519.key")),
            "found unknown private key type in PKCS#8 wrapping"
        );
        let empty_block = b"-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n";
        assert_eq!(err(RSA_CRT, empty_block), BAD);
    }

    #[test]
    fn bad_certificates_are_refused() {
        let msg = err(fixture!("not-a-cert.crt"), RSA_KEY);
        assert!(
            msg.starts_with("failed to parse the first certificate"),
            "{msg}"
        );
        // A truncated END line is not a block at all for Go.
        assert_eq!(
            err(fixture!("truncated.crt"), RSA_KEY),
            "failed to find any PEM data in certificate input"
        );
    }

    #[test]
    fn unsupported_curves_say_so() {
        assert_eq!(
            err(fixture!("p521.crt"), fixture!("p521.key")),
            "ECDSA keys on P-521 are not supported; use P-256 or P-384"
        );
    }

    #[test]
    fn errors_never_contain_key_material() {
        let key_text = String::from_utf8_lossy(fixture!("other-rsa.key")).into_owned();
        let body: Vec<&str> = key_text
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let cases = [
            err(RSA_CRT, fixture!("other-rsa.key")),
            err(fixture!("other-rsa.key"), fixture!("other-rsa.key")),
            err(fixture!("p256.crt"), fixture!("other-rsa.key")),
        ];
        for msg in cases {
            for line in &body {
                assert!(!msg.contains(line), "{msg}");
            }
        }
    }

    /// Go 1.23's `pem.Decode` as it was ported before it was made linear: the reference
    /// the linear one must agree with.
    fn pem_decode_quadratic(data: &[u8]) -> Option<(PemBlock, &[u8])> {
        const START: &[u8] = b"\n-----BEGIN ";
        const END: &[u8] = b"\n-----END ";
        const DASHES: &[u8] = b"-----";
        let mut rest = data;
        loop {
            if rest.starts_with(&START[1..]) {
                rest = &rest[START.len() - 1..];
            } else if let Some(i) = find(rest, START) {
                rest = &rest[i + START.len()..];
            } else {
                return None;
            }
            let (type_line, after) = get_line(rest);
            rest = after;
            let Some(label) = type_line.strip_suffix(DASHES) else {
                continue;
            };

            let mut has_headers = false;
            loop {
                if rest.is_empty() {
                    return None;
                }
                let (line, next) = get_line(rest);
                if !line.contains(&b':') {
                    break;
                }
                has_headers = true;
                rest = next;
            }

            let (end_index, end_trailer_index) = if !has_headers && rest.starts_with(&END[1..]) {
                (0, END.len() - 1)
            } else if let Some(i) = find(rest, END) {
                (i, i + END.len())
            } else {
                continue;
            };
            let end_trailer = &rest[end_trailer_index..];
            let trailer_len = label.len() + DASHES.len();
            if end_trailer.len() < trailer_len {
                continue;
            }
            let (trailer, rest_of_end_line) = end_trailer.split_at(trailer_len);
            if !trailer.starts_with(label) || !trailer.ends_with(DASHES) {
                continue;
            }
            if !get_line(rest_of_end_line).0.is_empty() {
                continue;
            }
            // Go drops spaces and tabs, and its base64 decoder skips CR and LF.
            let text: Vec<u8> = rest[..end_index]
                .iter()
                .copied()
                .filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                .collect();
            let Ok(der) = GO_STD_BASE64.decode(&text) else {
                continue;
            };
            let (_, after_block) = get_line(&rest[end_index + END.len() - 1..]);
            let block = PemBlock {
                label: label.to_vec(),
                der,
            };
            return Some((block, after_block));
        }
    }


    /// A PEM decoder: the next block and what follows it.
    type Decode = fn(&[u8]) -> Option<(PemBlock, &[u8])>;

    /// Every block of `data`, by `decode`.
    fn all_blocks(data: &[u8], decode: Decode) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut rest = data;
        let mut out = Vec::new();
        while let Some((block, after)) = decode(rest) {
            out.push((block.label, block.der));
            rest = after;
        }
        out
    }

    #[test]
    fn linear_pem_decode_finds_what_go_1_23_finds() {
        const PIECES: &[&str] = &[
            "-----BEGIN A-----\n", "-----BEGIN B-----\n", "-----END A-----\n",
            "-----END B-----\n", "QUFB\n", "AAA=\n", "Proc-Type: 4\n", "\n", "junk",
            "-----BEGIN A-----", "-----END A----- \t\n", "-----END A-----", "-----BEGIN ",
            "-----END ", "A-----\n", "x: y\n", "\r\n", "QU FB\n", "!!\n", "-",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..30_000 {
            let len = next() % 12;
            let data: String = (0..len)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            assert_eq!(
                all_blocks(data.as_bytes(), pem_decode),
                all_blocks(data.as_bytes(), pem_decode_quadratic),
                "{data:?}"
            );
        }
    }

    #[test]
    fn pem_decode_is_linear_on_begin_lines_without_an_end() {
        let start = std::time::Instant::now();
        let no_end = "-----BEGIN CERTIFICATE-----\n".repeat(40_000);
        assert!(pem_decode(no_end.as_bytes()).is_none());
        // One END far away, of another type: every BEGIN before it fails at its trailer.
        let far_end = format!("{no_end}-----END X-----\n");
        assert!(pem_decode(far_end.as_bytes()).is_none());
        // One END of the same type far away: every BEGIN's text holds the next BEGIN.
        let same = format!("{no_end}QUFB\n-----END CERTIFICATE-----\n");
        assert_eq!(all_blocks(same.as_bytes(), pem_decode).len(), 1);
        assert!(
            start.elapsed() < std::time::Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn pem_decode_follows_go_edge_cases() {
        // Text before, spaces after the END line, and an empty block with no newline.
        let (block, rest) = pem_decode(b"junk\n-----BEGIN X-----\nAAAA\n-----END X----- \t\nTAIL")
            .expect("a block");
        assert_eq!(
            (block.label.as_slice(), block.der.as_slice()),
            (&b"X"[..], &[0u8, 0, 0][..])
        );
        assert_eq!(rest, b"TAIL");
        let (block, _) = pem_decode(b"-----BEGIN E-----\n-----END E-----").expect("empty block");
        assert!(block.der.is_empty());
        // Headers are skipped; mismatched END type, bad base64, missing padding are not blocks.
        let (block, _) =
            pem_decode(b"-----BEGIN H-----\nProc-Type: 4\n\nAAAA\n-----END H-----\n").expect("h");
        assert_eq!(block.der, [0, 0, 0]);
        assert!(pem_decode(b"-----BEGIN X-----\nAAAA\n-----END Y-----\n").is_none());
        assert!(pem_decode(b"-----BEGIN X-----\nA!AA\n-----END X-----\n").is_none());
        assert!(pem_decode(b"-----BEGIN X-----\nAAA\n-----END X-----\n").is_none());
        assert!(pem_decode(b"-----BEGIN X-----\nAAAA\n-----END X-----junk\n").is_none());
        // A malformed block is skipped and the next one found.
        let (block, _) = pem_decode(
            b"-----BEGIN X-----\n!!\n-----END X-----\n-----BEGIN Y-----\nAAAA\n-----END Y-----\n",
        )
        .expect("second block");
        assert_eq!(block.label, b"Y");
    }

    #[test]
    fn docker_config_json_matches_kubectl_bytes() {
        // Byte strings captured from `kubectl create secret docker-registry` (v1.32).
        assert_eq!(
            docker_config_json("https://index.docker.io/v1/", "u", "p", None),
            br#"{"auths":{"https://index.docker.io/v1/":{"username":"u","password":"p","auth":"dTpw"}}}"#
        );
        assert_eq!(
            docker_config_json("reg.example.com:5000", "u", "p", Some("e@x.com")),
            br#"{"auths":{"reg.example.com:5000":{"username":"u","password":"p","email":"e@x.com","auth":"dTpw"}}}"#
        );
        assert_eq!(
            docker_config_json("s<&>", "<a>&\"\\b", "p\n\t\r\u{1}\u{7f}\u{2028}\u{2029}é😀", Some("<e>")),
            "{\"auths\":{\"s\\u003c\\u0026\\u003e\":{\"username\":\"\\u003ca\\u003e\\u0026\\\"\\\\b\",\
             \"password\":\"p\\n\\t\\r\\u0001\u{7f}\\u2028\\u2029é😀\",\"email\":\"\\u003ce\\u003e\",\
             \"auth\":\"PGE+JiJcYjpwCgkNAX/igKjigKnDqfCfmIA=\"}}}"
                .as_bytes()
        );
        assert_eq!(
            docker_config_json("s", "u", "\u{8}\u{c}\u{b}\u{1b}", Some("")),
            br#"{"auths":{"s":{"username":"u","password":"\b\f\u000b\u001b","auth":"dToIDAsb"}}}"#
        );
    }

    #[test]
    fn docker_config_json_is_valid_json_that_reads_back() {
        let (user, pass) = ("a:b\"}{", ":\u{0}\u{2028}</script>");
        let out = docker_config_json("srv", user, pass, Some("m"));
        let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
        let entry = &v["auths"]["srv"];
        assert_eq!(entry["username"], user);
        assert_eq!(entry["password"], pass);
        assert_eq!(entry["email"], "m");
        let auth = STANDARD
            .decode(entry["auth"].as_str().expect("auth string"))
            .expect("base64");
        assert_eq!(auth, format!("{user}:{pass}").as_bytes());
    }
}
