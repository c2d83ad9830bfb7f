//! Did-you-mean suggestions and the lists a help line names.

/// At most this many names are listed in one help line (keys read from
/// files may number thousands).
const LISTED: usize = 20;

/// Words longer than this are not compared: no name kubetoml knows is
/// that long, and edit distance is quadratic in the lengths.
const COMPARED: usize = 64;

/// The candidate closest to `word` by edit distance, when close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    if word.len() > COMPARED {
        return None;
    }
    let candidates: Vec<&str> = candidates
        .into_iter()
        .filter(|c| c.len() <= COMPARED)
        .collect();
    // Case and separators first: `always` for `Always`, `imagePullPolicy` for `image_pull_policy`.
    let loose = |s: &str| -> String {
        s.chars()
            .filter(|c| !matches!(c, '_' | '-'))
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    if let Some(same) = candidates.iter().find(|c| loose(c) == loose(word)) {
        return Some(same);
    }
    // Optimal string alignment: a swap of two neighbours counts as one
    // edit (`imgae` is one typo away from `image`).
    candidates
        .into_iter()
        .map(|c| (strsim::osa_distance(word, c), c))
        .filter(|&(d, c)| d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// `a`, `b` and `c` as "`a`, `b`, `c`", with at most twenty named.
pub fn quote_list(items: &[&str]) -> String {
    let mut list = items
        .iter()
        .take(LISTED)
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > LISTED {
        list.push_str(&format!(" and {} more", items.len() - LISTED));
    }
    list
}

/// A help line for `word`, which names none of `known`: the likely typo, or
/// else `known` listed after `listing`, or `empty` when there is nothing to list.
pub fn suggest(word: &str, known: &[&str], listing: &str, empty: &str) -> String {
    match did_you_mean(word, known.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None if known.is_empty() => empty.to_owned(),
        None => format!("{listing} {}", quote_list(known)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["replicas", "image", "namespace"];
        assert_eq!(did_you_mean("replica", names), Some("replicas"));
        assert_eq!(did_you_mean("imgae", names), Some("image"));
        assert_eq!(did_you_mean("volumes", names), None);
        assert_eq!(did_you_mean("nameSpace", names), Some("namespace"));
        assert_eq!(
            did_you_mean("imagePullPolicy", ["image_pull_policy"]),
            Some("image_pull_policy")
        );
        assert_eq!(did_you_mean("udp", ["TCP", "UDP"]), Some("UDP"));
    }

    #[test]
    fn huge_words_are_not_compared() {
        let huge = "replicas".repeat(100_000);
        let start = std::time::Instant::now();
        assert_eq!(did_you_mean(&huge, ["replicas"]), None);
        assert!(start.elapsed().as_millis() < 100);
    }

    #[test]
    fn long_lists_are_cut() {
        let names: Vec<String> = (0..38).map(|i| format!("k{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let list = quote_list(&names);
        assert!(list.ends_with("`k19` and 18 more"), "{list}");
    }
}
