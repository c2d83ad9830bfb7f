//! The last net under the masking: text a diagnostic says (message, label,
//! help) is checked against every 6-byte piece of the values masked in the
//! source, and any match is masked too. Code that reports on secrets never
//! quotes them; this catches what a mistake nobody foresaw turns into a
//! name (a secret's line merged into a key, say).

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

/// Length of the pieces compared.
const PIECE: usize = 6;
/// Bytes of each masked value taken, and of all of them: the pieces of a
/// huge value are not all kept.
const PER_VALUE: usize = 4096;
const IN_ALL: usize = 1 << 20;

/// The 6-byte pieces of the masked values, each packed in a `u64`.
#[derive(Clone, Default)]
pub struct Pieces(HashSet<u64, BuildHasherDefault<Mix>>);

impl Pieces {
    /// The pieces of `raw` inside `spans`.
    pub fn of(raw: &str, spans: &[Range<usize>]) -> Pieces {
        let mut pieces = Pieces::default();
        pieces.add(raw, spans);
        pieces
    }

    /// Adds the pieces of `raw` inside `spans`.
    pub fn add(&mut self, raw: &str, spans: &[Range<usize>]) {
        let mut budget = IN_ALL.saturating_sub(self.0.len());
        for span in spans {
            let Some(value) = raw.as_bytes().get(span.clone()) else {
                continue;
            };
            let value = &value[..value.len().min(PER_VALUE).min(budget + PIECE - 1)];
            for window in value.windows(PIECE) {
                self.0.insert(pack(window));
                budget = budget.saturating_sub(1);
            }
        }
    }

    /// Adds every piece of `other`.
    pub fn extend(&mut self, other: &Pieces) {
        self.0.extend(other.0.iter().copied());
    }

    /// `text` with every character inside a piece of a masked value
    /// replaced by `*`s, one a byte.
    pub fn scrub(&self, text: &str) -> String {
        if self.0.is_empty() || text.len() < PIECE {
            return text.to_owned();
        }
        let bytes = text.as_bytes();
        let mut hit = vec![false; bytes.len()];
        for (i, window) in bytes.windows(PIECE).enumerate() {
            if self.0.contains(&pack(window)) {
                hit[i..i + PIECE].fill(true);
            }
        }
        if !hit.contains(&true) {
            return text.to_owned();
        }
        // One `*` per byte, so byte offsets into `text` stay valid.
        let mut out = String::with_capacity(text.len());
        for (i, c) in text.char_indices() {
            match hit[i..i + c.len_utf8()].contains(&true) {
                true => out.extend(std::iter::repeat_n('*', c.len_utf8())),
                false => out.push(c),
            }
        }
        out
    }
}

fn pack(window: &[u8]) -> u64 {
    window.iter().fold(0, |n, &b| n << 8 | u64::from(b))
}

/// A hasher for packed pieces: one multiplication.
#[derive(Default)]
pub struct Mix(u64);

impl Hasher for Mix {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ self.0).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_any_piece_of_a_masked_value() {
        let raw = "pw = \"Qx7Zk2Wv9Jm4\"";
        let value = 6..18;
        let pieces = Pieces::of(raw, std::slice::from_ref(&value));
        assert_eq!(
            pieces.scrub("`db` has keys `line-Qx7Zk2Wv9`, `token`"),
            "`db` has keys `line-*********`, `token`"
        );
        assert_eq!(pieces.scrub("nothing here"), "nothing here");
        assert_eq!(pieces.scrub("é Zk2Wv9 é"), "é ****** é");
        assert_eq!(pieces.scrub("Zk2Wv9é"), "******é");
    }
}
