//! Rule selectors: a rule id or a group name (`blocking`, `ALL`), expanded to rule ids, and
//! "did you mean" suggestions for names that are neither.

use crate::rules;

/// The rule groups a selector may name, with their member rule ids (`ALL` is every rule and is
/// handled apart).
pub const GROUPS: &[(&str, &[&str])] = &[(
    "blocking",
    &["blocking-sleep", "blocking-fs", "blocking-call"],
)];

/// The group that names every rule.
pub const ALL: &str = "ALL";

/// The rule ids a selector stands for: itself when it is a rule id, the group's members when it
/// is a group, or `None` when it is neither.
pub fn expand_one(selector: &str) -> Option<Vec<&'static str>> {
    if selector == ALL {
        return Some(rules::ALL.iter().map(|r| r.id).collect());
    }
    if let Some(rule) = rules::by_id(selector) {
        return Some(vec![rule.id]);
    }
    GROUPS
        .iter()
        .find(|(name, _)| *name == selector)
        .map(|(_, ids)| ids.to_vec())
}

/// Expands every selector, keeping the first occurrence of each rule id; an unknown selector is
/// an error message naming it and `origin` (`--select`), with the closest valid name when one is
/// close.
pub fn expand(selectors: &[String], origin: &str) -> Result<Vec<&'static str>, String> {
    let mut out: Vec<&'static str> = Vec::new();
    for s in selectors {
        let ids = expand_one(s).ok_or_else(|| unknown_rule_message(s, origin))?;
        for id in ids {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    Ok(out)
}

/// "unknown rule `x` in `origin`" plus a suggestion when a rule id or group name is close to
/// it, else a pointer to `--list-rules`.
pub fn unknown_rule_message(selector: &str, origin: &str) -> String {
    match did_you_mean(selector, selector_names()) {
        Some(close) => format!("unknown rule `{selector}` in {origin}; did you mean `{close}`?"),
        None => format!("unknown rule `{selector}` in {origin}; see --list-rules"),
    }
}

/// Every valid selector: rule ids, group names and `ALL`.
pub fn selector_names() -> impl Iterator<Item = &'static str> {
    rules::ALL
        .iter()
        .map(|r| r.id)
        .chain(GROUPS.iter().map(|(name, _)| *name))
        .chain(std::iter::once(ALL))
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a typo (at
/// most a third of the longer word's length, and at least one edit allowed).
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (word.chars().count().max(c.chars().count()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_ids_expand() {
        assert_eq!(
            expand(
                &[
                    "blocking".into(),
                    "blocking-fs".into(),
                    "unawaited-future".into()
                ],
                "--select"
            )
            .unwrap(),
            vec![
                "blocking-sleep",
                "blocking-fs",
                "blocking-call",
                "unawaited-future"
            ]
        );
        assert_eq!(
            expand(&["ALL".into()], "x").unwrap().len(),
            rules::ALL.len()
        );
        for (_, ids) in GROUPS {
            for id in *ids {
                assert!(rules::by_id(id).is_some(), "group member {id} is a rule");
            }
        }
    }

    #[test]
    fn unknown_names_get_the_closest_suggestion() {
        assert_eq!(
            expand(&["blocking-fss".into()], "--select").unwrap_err(),
            "unknown rule `blocking-fss` in --select; did you mean `blocking-fs`?"
        );
        assert_eq!(
            unknown_rule_message("blocking-slep", "--ignore"),
            "unknown rule `blocking-slep` in --ignore; did you mean `blocking-sleep`?"
        );
        assert_eq!(
            unknown_rule_message("all", "`select`"),
            "unknown rule `all` in `select`; did you mean `ALL`?"
        );
        assert_eq!(
            unknown_rule_message("nothing-alike", "--select"),
            "unknown rule `nothing-alike` in --select; see --list-rules"
        );
    }

    #[test]
    fn distance() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("selec", "select"), 1);
        assert_eq!(did_you_mean("selec", ["select", "ignore"]), Some("select"));
        assert_eq!(did_you_mean("zzz", ["select", "ignore"]), None);
    }
}
