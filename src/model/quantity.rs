//! Kubernetes resource quantities (`250m`, `1Gi`, `1e3`): parsed once, compared exactly.
//!
//! The one quantity type of the crate: validation, lowering (requests against
//! limits, a claim's size), `--against` (a claim grown or shrunk) and the
//! model all use it. Values are exact fractions of `i128`, never floats, so
//! `1Gi`, `1024Mi` and `1073741824` are equal and `500m` equals `0.5`.

use std::cmp::Ordering;
use std::fmt;

use serde::{Serialize, Serializer};

/// A non-negative resource quantity, kept as written (that is what is
/// emitted) with its exact value.
///
/// Invariant: the text is a valid Kubernetes quantity: a decimal number, then
/// nothing, a binary suffix (`Ki` .. `Ei`), a decimal suffix (`n` .. `E`) or an
/// exponent (`e3`, `E-3`).
#[derive(Clone, PartialEq, Eq)]
pub struct Quantity {
    text: String,
    /// `None` when the value does not fit exact `i128` arithmetic (`1e99`):
    /// such a quantity is valid but cannot be compared.
    value: Option<Fraction>,
}

/// `num / den` in lowest terms, `den > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fraction {
    num: i128,
    den: i128,
}

const HELP: &str = "write a number with an optional suffix: `250m`, `2`, `512Mi`, `1Gi`, `1e3`";

impl Quantity {
    /// Parses `text`; the error says how to write a quantity.
    pub fn parse(text: &str) -> Result<Quantity, String> {
        let (negative, number, suffix) = split(text).ok_or(HELP)?;
        let scale = Scale::of(suffix).ok_or(HELP)?;
        if negative {
            return Err("it must not be negative".into());
        }
        Ok(Quantity {
            text: text.to_owned(),
            value: exact(number, scale),
        })
    }

    /// The quantity as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Compares the values, exactly; `None` when either is too large to compare.
    pub fn compare(&self, other: &Quantity) -> Option<Ordering> {
        let (a, b) = (self.value?, other.value?);
        Some(a.num.checked_mul(b.den)?.cmp(&b.num.checked_mul(a.den)?))
    }

    /// Whether the value is exactly zero (`0`, `0Gi`, `0.0`, `0e9`).
    pub fn is_zero(&self) -> bool {
        self.value.is_some_and(|v| v.num == 0)
    }
}

/// Splits `[+-]digits[.digits]suffix` into sign, number and suffix, checking the number.
fn split(text: &str) -> Option<(bool, &str, &str)> {
    let negative = text.starts_with('-');
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (number, suffix) = body.split_at(end);
    let valid = !number.is_empty() && number != "." && number.matches('.').count() <= 1;
    valid.then_some((negative, number, suffix))
}

/// What a suffix multiplies by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scale {
    /// `2^n`: `Ki` is 10.
    Binary(u32),
    /// `10^n`: `m` is -3, `k` is 3, `e5` is 5. `None`: an exponent too large for an `i32`.
    Decimal(Option<i32>),
}

impl Scale {
    fn of(suffix: &str) -> Option<Scale> {
        let binary = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
        if let Some(i) = binary.iter().position(|b| *b == suffix) {
            return Some(Scale::Binary(10 * (i as u32 + 1)));
        }
        let decimal = match suffix {
            "" => 0,
            "n" => -9,
            "u" => -6,
            "m" => -3,
            "k" => 3,
            "M" => 6,
            "G" => 9,
            "T" => 12,
            "P" => 15,
            "E" => 18,
            _ => {
                let exp = suffix.strip_prefix(['e', 'E'])?;
                let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                return Some(Scale::Decimal(exp.parse().ok()));
            }
        };
        Some(Scale::Decimal(Some(decimal)))
    }
}

/// The exact value of `number` (digits with at most one `.`) times `scale`.
fn exact(number: &str, scale: Scale) -> Option<Fraction> {
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    let mut num: i128 = 0;
    for b in whole.bytes().chain(frac.bytes()) {
        num = num.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    if num == 0 {
        return Some(Fraction { num: 0, den: 1 });
    }
    let mut den = 10i128.checked_pow(u32::try_from(frac.len()).ok()?)?;
    match scale {
        Scale::Binary(bits) => num = num.checked_mul(1i128.checked_shl(bits)?)?,
        Scale::Decimal(exp) => {
            let exp = exp?;
            let power = 10i128.checked_pow(exp.unsigned_abs())?;
            if exp >= 0 {
                num = num.checked_mul(power)?;
            } else {
                den = den.checked_mul(power)?;
            }
        }
    }
    let g = gcd(num, den);
    Some(Fraction {
        num: num / g,
        den: den / g,
    })
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Quantity({:?})", self.text)
    }
}

/// Serialized as written, so the output shows what the user wrote.
impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn cmp(a: &str, b: &str) -> Option<Ordering> {
        q(a).compare(&q(b))
    }

    #[test]
    fn valid_and_invalid_spellings() {
        for ok in [
            "1Gi", "250m", "2", "0.5", "1.5Gi", "1e3", "1E-3", "100k", ".5", "+1", "5.",
        ] {
            assert_eq!(q(ok).as_str(), ok);
        }
        for bad in [
            "", "1GB", "one", "1.2.3", "1 Gi", "Gi", "1e", "1e+", ".", "1Gi ",
        ] {
            assert_eq!(Quantity::parse(bad).unwrap_err(), HELP, "{bad:?}");
        }
        assert_eq!(
            Quantity::parse("-1").unwrap_err(),
            "it must not be negative"
        );
    }

    #[test]
    fn binary_decimal_and_plain_spellings_of_one_value_are_equal() {
        assert_eq!(cmp("1Gi", "1024Mi"), Some(Ordering::Equal));
        assert_eq!(cmp("1Gi", "1073741824"), Some(Ordering::Equal));
        assert_eq!(cmp("1024Mi", "1073741824"), Some(Ordering::Equal));
        assert_eq!(cmp("1.5Gi", "1536Mi"), Some(Ordering::Equal));
        assert_eq!(cmp("500m", "0.5"), Some(Ordering::Equal));
        assert_eq!(cmp("1e3", "1k"), Some(Ordering::Equal));
        assert_eq!(cmp("1E-3", "1m"), Some(Ordering::Equal));
        assert_eq!(cmp("2.5e2", "250"), Some(Ordering::Equal));
        assert_eq!(cmp("1000000n", "1m"), Some(Ordering::Equal));
    }

    #[test]
    fn values_order_exactly() {
        // A request above its limit is what lowering refuses.
        assert_eq!(cmp("2Gi", "2G"), Some(Ordering::Greater));
        assert_eq!(cmp("1G", "1Gi"), Some(Ordering::Less));
        assert_eq!(cmp("501m", "0.5"), Some(Ordering::Greater));
        assert_eq!(cmp("20Gi", "10Gi"), Some(Ordering::Greater));
        // One apart at the scale where f64 loses integers (2^53 + 1 vs 2^53).
        assert_eq!(
            cmp("9007199254740993", "9007199254740992"),
            Some(Ordering::Greater)
        );
    }

    #[test]
    fn zero_in_every_spelling() {
        for zero in ["0", "0Gi", "0.0", "0e9", "0m", "0e99999999999"] {
            assert!(q(zero).is_zero(), "{zero}");
        }
        assert!(!q("1n").is_zero());
        assert!(!q("1e99").is_zero());
    }

    #[test]
    fn values_too_large_for_exact_arithmetic_are_valid_but_not_compared() {
        assert_eq!(cmp("1e99", "1"), None);
        assert_eq!(cmp("1e99999999999", "1"), None);
        assert_eq!(cmp("1Ei", "1Ei"), Some(Ordering::Equal));
    }
}
