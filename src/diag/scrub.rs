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

/// The 6-byte pieces of the masked values, each packed in a `u64`, with a
/// 2048-bit filter of them: most windows of a message are no piece, and one
/// bit says so without a lookup in the set.
#[derive(Clone, Default)]
pub struct Pieces {
    set: HashSet<u64, BuildHasherDefault<Mix>>,
    filter: [u64; 32],
}

/// The low 48 bits: one packed piece.
const PIECE_MASK: u64 = (1 << (8 * PIECE)) - 1;

impl Pieces {
    /// The pieces of `raw` inside `spans`.
    pub fn of(raw: &str, spans: &[Range<usize>]) -> Pieces {
        let mut pieces = Pieces::default();
        pieces.add(raw, spans);
        pieces
    }

    /// Adds the pieces of `raw` inside `spans`.
    pub fn add(&mut self, raw: &str, spans: &[Range<usize>]) {
        let mut budget = IN_ALL.saturating_sub(self.set.len());
        for span in spans {
            let Some(value) = raw.as_bytes().get(span.clone()) else {
                continue;
            };
            let value = &value[..value.len().min(PER_VALUE).min(budget + PIECE - 1)];
            for window in value.windows(PIECE) {
                self.insert(pack(window));
                budget = budget.saturating_sub(1);
            }
        }
    }

    /// Adds every piece of `other`.
    pub fn extend(&mut self, other: &Pieces) {
        self.set.extend(other.set.iter().copied());
        for (word, other) in self.filter.iter_mut().zip(other.filter) {
            *word |= other;
        }
    }

    fn insert(&mut self, piece: u64) {
        let (word, bit) = filter_bit(piece);
        self.filter[word] |= bit;
        self.set.insert(piece);
    }

    fn contains(&self, piece: u64) -> bool {
        let (word, bit) = filter_bit(piece);
        self.filter[word] & bit != 0 && self.set.contains(&piece)
    }

    /// `text` with every character inside a piece of a masked value
    /// replaced by `*`s, one a byte.
    pub fn scrub(&self, text: &str) -> String {
        if self.set.is_empty() || text.len() < PIECE {
            return text.to_owned();
        }
        let bytes = text.as_bytes();
        let mut hit: Vec<bool> = Vec::new();
        // The window ending at byte `i`, packed as `pack` would, rolled one byte a step.
        let mut window = 0;
        for (i, &b) in bytes.iter().enumerate() {
            window = (window << 8 | u64::from(b)) & PIECE_MASK;
            if i + 1 >= PIECE && self.contains(window) {
                if hit.is_empty() {
                    hit = vec![false; bytes.len()];
                }
                hit[i + 1 - PIECE..=i].fill(true);
            }
        }
        if hit.is_empty() {
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

/// The filter's word and bit for `piece`: the top 11 bits of a multiplicative hash.
fn filter_bit(piece: u64) -> (usize, u64) {
    let h = piece.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 53;
    ((h >> 6) as usize, 1 << (h & 63))
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

    /// The filter and the rolled window change nothing: the same result as
    /// looking every window of the text up, on texts made of a secret's bytes.
    #[test]
    fn agrees_with_looking_every_window_up() {
        let mut masked = 0;
        let mut seed = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet: Vec<char> = "ab7Z-é\n".chars().collect();
        for round in 0..300 {
            let secret: String = (0..6 + next() % 40)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            // A few rounds fill the filter with thousands of other pieces.
            let mut raw = secret.clone();
            if round % 10 == 0 {
                raw.extend((0..20_000).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]));
            }
            let pieces = Pieces::of(&raw, std::slice::from_ref(&(0..raw.len())));
            for _ in 0..20 {
                let mut text: String = (0..next() % 30)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect();
                // Half the texts quote a piece of the secret (cut at a character).
                if next() % 2 == 0 {
                    let chars: Vec<char> = secret.chars().collect();
                    let start = (next() % chars.len() as u64) as usize;
                    let end = start + (next() % (chars.len() - start) as u64) as usize;
                    text.extend(&chars[start..=end.min(chars.len() - 1)]);
                    text.push_str("tail");
                }
                let bytes = text.as_bytes();
                let mut hit = vec![false; bytes.len()];
                for (i, window) in bytes.windows(PIECE).enumerate() {
                    if pieces.set.contains(&pack(window)) {
                        hit[i..i + PIECE].fill(true);
                    }
                }
                let expected: String = text
                    .char_indices()
                    .flat_map(|(i, c)| {
                        let masked = hit[i..i + c.len_utf8()].contains(&true);
                        let n = if masked { c.len_utf8() } else { 1 };
                        std::iter::repeat_n(if masked { '*' } else { c }, n)
                    })
                    .collect();
                assert_eq!(pieces.scrub(&text), expected, "{text:?} against {secret:?}");
                masked += usize::from(expected.contains('*') && !text.contains('*'));
            }
        }
        assert!(masked > 500, "only {masked} texts had something masked");
    }
}
