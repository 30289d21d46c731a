//! `--statistics`: how many diagnostics each rule reported, most frequent first (as ruff's
//! `--statistics`). Text for every format except `json`, which gets a JSON array.
//!
//! ```text
//!     12  blocking-sleep      [*] `std::thread::sleep` blocks the executor thread
//!      3  unused-suppression  [*] ..
//!      1  (file errors)           files that could not be linted
//! ```
//!
//! `[*]` marks rules with at least one fix that `--fix` (or `--unsafe-fixes`) would apply.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::diagnostic::Report;

/// One row: a rule and its count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    /// The rule id.
    pub code: &'static str,
    /// The rule summary.
    pub summary: &'static str,
    /// Diagnostics of this rule.
    pub count: usize,
    /// Whether any of them has an applicable fix (safe or unsafe, with edits).
    pub fixable: bool,
}

/// Per-rule counts, sorted by count (descending), then id.
pub fn counts(report: &Report) -> Vec<RuleCount> {
    let mut by_rule: BTreeMap<&'static str, RuleCount> = BTreeMap::new();
    for d in &report.diagnostics {
        let row = by_rule.entry(d.rule.id).or_insert(RuleCount {
            code: d.rule.id,
            summary: d.rule.summary,
            count: 0,
            fixable: false,
        });
        row.count += 1;
        row.fixable |= d.fix.as_ref().is_some_and(|f| {
            !f.edits.is_empty() && f.applicability != crate::diagnostic::Applicability::Manual
        });
    }
    let mut rows: Vec<RuleCount> = by_rule.into_values().collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(b.code)));
    rows
}

/// Renders the statistics table (or JSON array when `json`).
pub fn render(report: &Report, json: bool, out: &mut dyn Write) -> io::Result<()> {
    let rows = counts(report);
    if json {
        #[derive(Serialize)]
        struct Doc<'a> {
            rules: &'a [RuleCount],
            errors: usize,
        }
        serde_json::to_writer(
            &mut *out,
            &Doc {
                rules: &rows,
                errors: report.errors.len(),
            },
        )?;
        return out.write_all(b"\n");
    }
    let count_w = rows
        .iter()
        .map(|r| r.count)
        .chain([report.errors.len()])
        .max()
        .unwrap_or(0)
        .to_string()
        .len();
    let id_w = rows.iter().map(|r| r.code.len()).max().unwrap_or(0).max(13);
    for r in &rows {
        writeln!(
            out,
            "{:>count_w$}  {:<id_w$}  {}{}",
            r.count,
            r.code,
            if r.fixable { "[*] " } else { "    " },
            r.summary
        )?;
    }
    if !report.errors.is_empty() {
        writeln!(
            out,
            "{:>count_w$}  {:<id_w$}      files that could not be linted",
            report.errors.len(),
            "(file errors)"
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixture;

    #[test]
    fn counts_sorted_with_fixable_marker() {
        let report = fixture::report();
        let rows = counts(&report);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].code, "blocking-sleep");
        assert_eq!(rows[0].count, 3);
        assert!(rows[0].fixable);
        let mut out = Vec::new();
        render(&report, false, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].starts_with("3  blocking-sleep  [*] "), "{text}");
        assert!(lines[1].starts_with("2  (file errors) "), "{text}");
        let mut out = Vec::new();
        render(&report, true, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["rules"][0]["count"], 3);
        assert_eq!(v["errors"], 2);
    }

    #[test]
    fn clean_report_prints_nothing() {
        let mut out = Vec::new();
        render(&fixture::clean(), false, &mut out).unwrap();
        assert!(out.is_empty());
    }
}
