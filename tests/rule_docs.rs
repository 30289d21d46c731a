//! The rule docs are executable (biome's rules_check, Clippy's doctests): every `rules/<id>.md`
//! has the template headings, its first paragraph is the rule's summary, every `## Example` block
//! fires the rule (and no other), every `## Use instead` block is clean, and the Example's fixes
//! re-parse and converge. rustdoc compiles and runs the same blocks (see `declare_rule!`).

mod common;

use std::path::PathBuf;

use async_lint::fix::{self, FixLevel};
use async_lint::rules::{self, Rule};
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Parser, Tag, TagEnd};

const HEADINGS: &[&str] = &[
    "What it does",
    "Why is this bad?",
    "Example",
    "Use instead",
    "Fix",
    "Known limitations",
    "References",
];

struct Doc {
    title: String,
    summary: String,
    headings: Vec<String>,
    /// (heading, fence info, code)
    blocks: Vec<(String, String, String)>,
}

fn parse(md: &str) -> Doc {
    let mut doc = Doc {
        title: String::new(),
        summary: String::new(),
        headings: Vec::new(),
        blocks: Vec::new(),
    };
    let mut in_heading: Option<HeadingLevel> = None;
    let mut heading_text = String::new();
    let mut in_code: Option<String> = None;
    let mut code = String::new();
    let mut para_depth = 0;
    let mut summary_done = false;
    for ev in Parser::new(md) {
        match ev {
            Event::Start(Tag::Heading { level, .. }) => {
                in_heading = Some(level);
                heading_text.clear();
            }
            Event::End(TagEnd::Heading(level)) => {
                if level == HeadingLevel::H1 {
                    doc.title = heading_text.clone();
                } else {
                    doc.headings.push(heading_text.clone());
                    summary_done = true;
                }
                in_heading = None;
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                in_code = Some(match kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                });
                code.clear();
            }
            Event::End(TagEnd::CodeBlock) => {
                let info = in_code.take().unwrap_or_default();
                doc.blocks.push((
                    doc.headings.last().cloned().unwrap_or_default(),
                    info,
                    code.clone(),
                ));
            }
            Event::Start(Tag::Paragraph) => para_depth += 1,
            Event::End(TagEnd::Paragraph) => {
                para_depth -= 1;
                if !doc.summary.is_empty() {
                    summary_done = true;
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if in_heading.is_some() {
                    heading_text.push_str(&t);
                } else if in_code.is_some() {
                    code.push_str(&t);
                } else if para_depth > 0 && !summary_done && doc.headings.is_empty() {
                    doc.summary.push_str(&t);
                }
            }
            Event::SoftBreak if para_depth > 0 && !summary_done && doc.headings.is_empty() => {
                doc.summary.push(' ')
            }
            _ => {}
        }
    }
    doc
}

/// Inline code loses its backticks in the event stream; compare summaries without them.
fn strip_ticks(s: &str) -> String {
    s.replace('`', "")
}

fn rust_block(info: &str) -> bool {
    let words: Vec<&str> = info.split(',').map(str::trim).collect();
    words.first().is_some_and(|w| *w == "rust" || w.is_empty())
}

fn doc_of(rule: &Rule) -> Doc {
    let path = common::root().join("rules").join(format!("{}.md", rule.id));
    let md = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        md,
        rule.docs,
        "{}: the embedded docs are stale",
        path.display()
    );
    parse(&md)
}

#[test]
fn docs_follow_the_template() {
    for rule in rules::ALL {
        let doc = doc_of(rule);
        assert_eq!(
            doc.title, rule.id,
            "rules/{}.md: the title must be the rule id",
            rule.id
        );
        assert_eq!(
            strip_ticks(doc.summary.trim()),
            strip_ticks(rule.summary),
            "rules/{}.md: the first paragraph must equal the rule's summary",
            rule.id
        );
        assert_eq!(
            doc.headings, HEADINGS,
            "rules/{}.md: headings must be exactly the template's, in order",
            rule.id
        );
        for (heading, info, _) in &doc.blocks {
            assert!(
                !info.trim().is_empty(),
                "rules/{}.md: an untagged code fence under `{heading}` (rustdoc treats it as Rust)",
                rule.id
            );
        }
        assert!(
            doc.blocks
                .iter()
                .any(|(h, i, _)| h == "Example" && rust_block(i)),
            "rules/{}.md: no Rust Example block",
            rule.id
        );
        assert!(
            doc.blocks.iter().any(|(h, i, _)| h == "Use instead"
                && rust_block(i)
                && !i.contains("no_run")
                && !i.contains("ignore")),
            "rules/{}.md: no runnable Rust block under `Use instead`",
            rule.id
        );
    }
}

#[test]
fn examples_fire_the_rule_and_reference_patterns_are_clean() {
    for rule in rules::ALL {
        let doc = doc_of(rule);
        for (i, (heading, info, code)) in doc.blocks.iter().enumerate() {
            if !rust_block(info) || info.contains("compile_fail") {
                continue;
            }
            let name = PathBuf::from(format!("rules/{}.md#block{}.rs", rule.id, i + 1));
            let report = common::lint_text(&name, code, &[]);
            let ids: Vec<&str> = report.diagnostics.iter().map(|d| d.rule.id).collect();
            assert!(
                report.errors.is_empty(),
                "{}: block does not parse: {:?}",
                name.display(),
                report.errors
            );
            match heading.as_str() {
                "Example" => {
                    assert!(
                        ids.contains(&rule.id),
                        "{} (Example) must fire `{}`, got {ids:?}",
                        name.display(),
                        rule.id
                    );
                    assert!(
                        ids.iter().all(|i| *i == rule.id),
                        "{} (Example) fires other rules: {ids:?}",
                        name.display()
                    );
                    let fixed = fix::apply(code, &report.diagnostics, FixLevel::Unsafe);
                    if fixed.fixes > 0 {
                        syn::parse_file(&fixed.text).unwrap_or_else(|e| {
                            panic!("{}: fixed Example does not parse: {e}", name.display())
                        });
                    }
                }
                "Use instead" => {
                    assert!(
                        ids.is_empty(),
                        "{} (Use instead) must be clean, got {ids:?}",
                        name.display()
                    );
                }
                _ => {}
            }
        }
    }
}

#[test]
fn no_orphan_docs() {
    for entry in std::fs::read_dir(common::root().join("rules")).expect("rules/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            let id = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            assert!(
                rules::by_id(id).is_some(),
                "{} documents no registered rule",
                path.display()
            );
        }
    }
}
