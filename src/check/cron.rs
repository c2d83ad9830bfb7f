//! A CronJob's `schedule` and `timeZone`, checked as the API server checks them,
//! and told in plain words for `explain`.
//!
//! The API server parses a schedule with robfig/cron v3's standard parser
//! (`cron.ParseStandard`: five fields, or a descriptor), and refuses `TZ=`
//! and `CRON_TZ=` in a new CronJob's schedule ("cannot use TZ or CRON_TZ in
//! schedule, use timeZone field instead", kubernetes `pkg/apis/batch/validation`,
//! since 1.27; before, they were only discouraged). This module follows
//! robfig/cron v3 `parser.go` (`Parse`, `getRange`, `parseDescriptor`) rule
//! for rule; its messages are that parser's, so a user sees what `kubectl
//! apply` would say. `timeZone` is checked against the IANA names of
//! `timezones.txt` (tzdata's zones and links, what Go's `time.LoadLocation`
//! loads), embedded so that the result does not depend on the machine.

/// The time zone names Go's `time.LoadLocation` accepts (but `""` and `Local`,
/// which the API server refuses): tzdata's zones and links.
pub fn time_zones() -> impl Iterator<Item = &'static str> {
    include_str!("timezones.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
}

/// Whether `name` is a time zone the API server accepts for `timeZone`.
pub fn check_time_zone(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the time zone is empty".to_owned());
    }
    if name.eq_ignore_ascii_case("local") {
        return Err("must be an explicit IANA time zone, not the machine's".to_owned());
    }
    if time_zones().any(|z| z == name) {
        Ok(())
    } else {
        Err("unknown time zone".to_owned())
    }
}

/// One field's bounds and names, as robfig/cron's `bounds`.
struct Bounds {
    what: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MONTH_NAMES: &[&str] = &[
    "", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAY_NAMES: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const FIELDS: [Bounds; 5] = [
    Bounds { what: "minute", min: 0, max: 59, names: &[] },
    Bounds { what: "hour", min: 0, max: 23, names: &[] },
    Bounds { what: "day of the month", min: 1, max: 31, names: &[] },
    Bounds { what: "month", min: 1, max: 12, names: MONTH_NAMES },
    Bounds { what: "day of the week", min: 0, max: 6, names: DAY_NAMES },
];

/// The descriptors the standard parser knows, with what they stand for.
const DESCRIPTORS: &[(&str, &str)] = &[
    ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"),
    ("@monthly", "0 0 1 * *"),
    ("@weekly", "0 0 * * 0"),
    ("@daily", "0 0 * * *"),
    ("@midnight", "0 0 * * *"),
    ("@hourly", "0 * * * *"),
];

/// A parsed schedule: the values each of the five fields allows (a bit per
/// value), and whether the field was `*`/`?` (robfig's "star bit", which
/// changes how day of month and day of week combine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// Five fields, each a set of allowed values.
    Fields([Field; 5]),
    /// `@every DURATION`, in whole seconds (at least 1, as robfig rounds).
    Every(u64),
}

/// One field of a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Bit `n` set: value `n` allowed.
    pub bits: u64,
    /// Written as `*` or `?` (or a range covering everything with step 1).
    pub star: bool,
}

/// Parses `spec` as the API server does; `Err` holds the reason, in the words
/// of robfig/cron (or the API server's, for `TZ`).
pub fn parse(spec: &str) -> Result<Schedule, String> {
    if spec.is_empty() {
        return Err("empty spec string".to_owned());
    }
    if spec.contains("TZ") {
        return Err("cannot use TZ or CRON_TZ in schedule, use timeZone field instead".to_owned());
    }
    if spec.starts_with('@') {
        return descriptor(spec);
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "expected exactly 5 fields, found {}: {}",
            fields.len(),
            spec
        ));
    }
    let mut out = [Field { bits: 0, star: false }; 5];
    for (i, (text, bounds)) in fields.iter().zip(&FIELDS).enumerate() {
        out[i] = field(text, bounds)?;
    }
    Ok(Schedule::Fields(out))
}

fn descriptor(spec: &str) -> Result<Schedule, String> {
    if let Some((_, fields)) = DESCRIPTORS.iter().find(|(d, _)| *d == spec) {
        return parse(fields);
    }
    if let Some(d) = spec.strip_prefix("@every ") {
        let nanos = go_duration(d)
            .map_err(|e| format!("failed to parse duration {spec}: time: {e}"))?;
        return Ok(Schedule::Every((nanos.max(1_000_000_000) / 1_000_000_000) as u64));
    }
    Err(format!("unrecognized descriptor: {spec}"))
}

/// robfig's `getField`: comma-separated ranges.
fn field(text: &str, bounds: &Bounds) -> Result<Field, String> {
    let mut out = Field { bits: 0, star: false };
    for expr in text.split(',') {
        let (bits, star) = range(expr, bounds)?;
        out.bits |= bits;
        out.star |= star;
    }
    Ok(out)
}

/// robfig's `getRange`: `*`, `?`, `N`, `N-M`, each optionally `/STEP`.
fn range(expr: &str, r: &Bounds) -> Result<(u64, bool), String> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_and_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_and_high.len() == 1;
    let (start, mut end, mut star);
    if low_and_high[0] == "*" || low_and_high[0] == "?" {
        (start, end, star) = (r.min, r.max, true);
    } else {
        start = int_or_name(low_and_high[0], r.names)?;
        end = match low_and_high.len() {
            1 => start,
            2 => int_or_name(low_and_high[1], r.names)?,
            _ => return Err(format!("too many hyphens: {expr}")),
        };
        star = false;
    }
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = int(range_and_step[1])?;
            // "N/step" means "N-max/step".
            if single {
                end = r.max;
            }
            if step > 1 {
                star = false;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expr}")),
    };
    if start < r.min {
        return Err(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            r.min
        ));
    }
    if end > r.max {
        return Err(format!(
            "end of range ({end}) above maximum ({}): {expr}",
            r.max
        ));
    }
    if start > end {
        return Err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    let bits = (start..=end)
        .step_by(step as usize)
        .fold(0u64, |b, v| b | (1 << v));
    let _ = r.what;
    Ok((bits, star))
}

/// robfig's `parseIntOrName`: a name (any case) of the field, or a number.
fn int_or_name(expr: &str, names: &[&str]) -> Result<u32, String> {
    let lower = expr.to_ascii_lowercase();
    if let Some(i) = names.iter().position(|n| !n.is_empty() && *n == lower) {
        return Ok(i as u32);
    }
    int(expr)
}

/// robfig's `mustParseInt`, through Go's `strconv.Atoi` (an optional sign, decimal digits).
fn int(expr: &str) -> Result<u32, String> {
    let digits = expr.strip_prefix(['+', '-']).unwrap_or(expr);
    let parsed = if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        None
    } else {
        expr.parse::<i64>().ok()
    };
    match parsed {
        None => Err(format!(
            "failed to parse int from {expr}: strconv.Atoi: parsing \"{expr}\": invalid syntax"
        )),
        Some(n) if n < 0 => Err(format!("negative number ({n}) not allowed: {expr}")),
        // Above any bound: reported as such by the caller.
        Some(n) => Ok(n.min(i64::from(u32::MAX)) as u32),
    }
}

/// Go's `time.ParseDuration`, in nanoseconds (saturating; `Err` holds Go's reason).
fn go_duration(text: &str) -> Result<i128, String> {
    let quoted = format!("invalid duration \"{text}\"");
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(quoted);
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(quoted);
        }
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let scale: f64 = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("missing unit in duration \"{text}\"")),
            u => return Err(format!("unknown unit \"{u}\" in duration \"{text}\"")),
        };
        total += number.parse::<f64>().map_err(|_| quoted.clone())? * scale;
    }
    if total > i64::MAX as f64 {
        return Err(quoted);
    }
    Ok(if negative { -(total as i128) } else { total as i128 })
}

/// The schedule in plain words ("every day at 03:00"), when it is simple
/// enough to say; else `None`, and the caller quotes it.
pub fn describe(spec: &str) -> Option<String> {
    let fields = match parse(spec).ok()? {
        Schedule::Every(seconds) => return Some(format!("every {}", seconds_text(seconds))),
        Schedule::Fields(f) => f,
    };
    let [minute, hour, dom, month, dow] = fields;
    let single = |f: &Field| (f.bits.count_ones() == 1).then(|| f.bits.trailing_zeros());
    let every = |f: &Field, b: &Bounds| f.bits == (b.min..=b.max).fold(0, |x, v| x | (1 << v));
    let when = match (single(&minute), single(&hour)) {
        (Some(m), Some(h)) => format!("at {h:02}:{m:02}"),
        (Some(m), None) if every(&hour, &FIELDS[1]) => {
            if m == 0 {
                "every hour, on the hour".to_owned()
            } else {
                format!("every hour at minute {m}")
            }
        }
        _ => return None,
    };
    let all_days = every(&dom, &FIELDS[2]) && every(&dow, &FIELDS[4]);
    let months = if every(&month, &FIELDS[3]) {
        None
    } else {
        Some(names_of(month.bits, &MONTH_FULL))
    };
    let days = if all_days {
        if when.starts_with("every hour") {
            String::new()
        } else {
            "every day".to_owned()
        }
    } else if dom.star || every(&dom, &FIELDS[2]) {
        format!("every {}", names_of(dow.bits, &DAY_FULL))
    } else if dow.star || every(&dow, &FIELDS[4]) {
        format!("on day {} of the month", numbers_of(dom.bits))
    } else {
        // Both restricted: robfig (and Kubernetes) run on either.
        format!(
            "on day {} of the month and every {}",
            numbers_of(dom.bits),
            names_of(dow.bits, &DAY_FULL)
        )
    };
    let mut out = [days.as_str(), when.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(m) = months {
        out.push_str(&format!(", in {m}"));
    }
    Some(out)
}

const MONTH_FULL: [&str; 13] = [
    "", "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
];
const DAY_FULL: [&str; 7] = [
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
];

fn names_of(bits: u64, names: &[&str]) -> String {
    let list: Vec<&str> = (0..names.len())
        .filter(|i| bits & (1 << i) != 0)
        .map(|i| names[i])
        .collect();
    join_words(&list)
}

fn numbers_of(bits: u64) -> String {
    let list: Vec<String> = (0..64).filter(|i| bits & (1 << i) != 0).map(|i| i.to_string()).collect();
    let refs: Vec<&str> = list.iter().map(String::as_str).collect();
    join_words(&refs)
}

fn join_words(list: &[&str]) -> String {
    match list {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn seconds_text(s: u64) -> String {
    let unit = |n: u64, word: &str| {
        if n == 1 {
            word.to_owned()
        } else {
            format!("{n} {word}s")
        }
    };
    match s {
        s if s % 3600 == 0 => unit(s / 3600, "hour"),
        s if s % 60 == 0 => unit(s / 60, "minute"),
        s => unit(s, "second"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_the_standard_parser_accepts() {
        for ok in [
            "0 3 * * *",
            "*/15 * * * *",
            "0 0 1,15 * mon-fri",
            "5 4 * * SUN",
            "0 22 * jan-mar 1-5",
            "? ? ? ? ?",
            "0 0 31 12 6",
            "+5 * * * *",
            "@daily",
            "@yearly",
            "@annually",
            "@midnight",
            "@every 1h30m",
            "@every 500ms",
            "  0   3 * * *  ",
        ] {
            assert!(parse(ok).is_ok(), "{ok}: {:?}", parse(ok));
        }
    }

    #[test]
    fn refuses_with_the_parser_s_words() {
        for (bad, why) in [
            ("", "empty spec string"),
            ("0 3 * *", "expected exactly 5 fields, found 4: 0 3 * *"),
            ("0 0 3 * * *", "expected exactly 5 fields, found 6: 0 0 3 * * *"),
            ("60 * * * *", "end of range (60) above maximum (59): 60"),
            ("0 24 * * *", "end of range (24) above maximum (23): 24"),
            ("0 0 0 * *", "beginning of range (0) below minimum (1): 0"),
            ("0 0 * * 7", "end of range (7) above maximum (6): 7"),
            ("0 5-2 * * *", "beginning of range (5) beyond end of range (2): 5-2"),
            ("*/0 * * * *", "step of range should be a positive number: */0"),
            ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
            ("1/2/3 * * * *", "too many slashes: 1/2/3"),
            ("x * * * *", "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax"),
            ("@dayly", "unrecognized descriptor: @dayly"),
            ("@every 5", "failed to parse duration @every 5: time: missing unit in duration \"5\""),
            ("TZ=UTC 0 3 * * *", "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"),
            ("CRON_TZ=Europe/Paris @daily", "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"),
        ] {
            assert_eq!(parse(bad), Err(why.to_owned()), "{bad}");
        }
    }

    #[test]
    fn time_zones_are_iana_names() {
        for ok in ["Etc/UTC", "UTC", "Europe/Paris", "America/New_York", "US/Pacific"] {
            assert_eq!(check_time_zone(ok), Ok(()), "{ok}");
        }
        for bad in ["", "Local", "local", "Europe/Pariss", "utc", "CEST", "+02:00"] {
            assert!(check_time_zone(bad).is_err(), "{bad}");
        }
        assert!(time_zones().count() > 500);
    }

    #[test]
    fn simple_schedules_are_told_in_words() {
        for (spec, words) in [
            ("0 3 * * *", "every day at 03:00"),
            ("@daily", "every day at 00:00"),
            ("@hourly", "every hour, on the hour"),
            ("30 * * * *", "every hour at minute 30"),
            ("@weekly", "every Sunday at 00:00"),
            ("15 2 * * 1-5", "every Monday, Tuesday, Wednesday, Thursday and Friday at 02:15"),
            ("0 0 1 * *", "on day 1 of the month at 00:00"),
            ("@yearly", "on day 1 of the month at 00:00, in January"),
            ("@every 90m", "every 90 minutes"),
            ("@every 1h", "every hour"),
        ] {
            assert_eq!(describe(spec).as_deref(), Some(words), "{spec}");
        }
        assert_eq!(describe("*/5 * * * *"), None);
    }
}
