//! Meta-tests (Clippy's and ruff's): the registry, docs, fixtures and snapshots agree, ids and
//! messages follow the conventions, and the library never prints.

mod common;

use std::collections::BTreeSet;

use async_lint::rules;

#[test]
fn ids_are_unique_kebab_case() {
    let mut seen = BTreeSet::new();
    for r in rules::ALL {
        assert!(seen.insert(r.id), "duplicate id {}", r.id);
        assert!(
            !r.id.is_empty()
                && r.id.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                && !r.id.starts_with('-')
                && !r.id.ends_with('-'),
            "{} is not kebab-case",
            r.id
        );
        assert!(
            !r.summary.ends_with('.'),
            "{}: summary ends with a period",
            r.id
        );
        assert!(
            !r.summary.starts_with(|c: char| c.is_ascii_uppercase()),
            "{}: summary starts uppercase",
            r.id
        );
    }
}

#[test]
fn every_rule_module_is_registered() {
    let modules: BTreeSet<String> = std::fs::read_dir(common::root().join("src/rules"))
        .expect("src/rules")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| n.ends_with(".rs") && n != "mod.rs")
        .map(|n| n.trim_end_matches(".rs").replace('_', "-"))
        .collect();
    let ids: BTreeSet<String> = rules::ALL.iter().map(|r| r.id.to_string()).collect();
    assert_eq!(modules, ids, "src/rules/*.rs and rules::ALL disagree");
}

#[test]
fn every_rule_has_positive_and_negative_fixtures() {
    for r in rules::ALL {
        let dir = common::root().join("fixtures").join(r.id);
        assert!(dir.is_dir(), "fixtures/{}/ is missing", r.id);
        let (mut pos, mut neg) = (0, 0);
        for e in walkdir::WalkDir::new(&dir).into_iter().flatten() {
            if e.path().extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(e.path()).expect("utf-8 fixture");
                if common::expected_markers(&text).is_empty() {
                    neg += 1;
                } else {
                    pos += 1;
                }
            }
        }
        assert!(
            pos > 0,
            "fixtures/{}/ has no positive fixture (no //~ marker)",
            r.id
        );
        assert!(
            neg > 0,
            "fixtures/{}/ has no negative fixture (a file without markers)",
            r.id
        );
    }
}

#[test]
fn fixture_folders_and_snapshots_have_owners() {
    for e in std::fs::read_dir(common::root().join("fixtures"))
        .expect("fixtures/")
        .flatten()
    {
        let name = e.file_name().to_string_lossy().to_string();
        assert!(
            name == "_engine" || rules::by_id(&name).is_some(),
            "fixtures/{name}/ belongs to no rule"
        );
    }
    for e in std::fs::read_dir(common::root().join("tests/snapshots"))
        .expect("tests/snapshots")
        .flatten()
    {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(rest) = name
            .strip_prefix("lint@")
            .and_then(|n| n.strip_suffix(".snap"))
        else {
            continue;
        };
        let fixture = common::root()
            .join("fixtures")
            .join(rest.replace("__", "/"));
        assert!(
            fixture.is_file(),
            "snapshot {name} has no fixture {}",
            fixture.display()
        );
    }
}

#[test]
fn the_library_never_prints() {
    for e in walkdir::WalkDir::new(common::root().join("src"))
        .into_iter()
        .flatten()
    {
        let p = e.path();
        let rel = p
            .strip_prefix(common::root())
            .unwrap_or(p)
            .to_string_lossy()
            .to_string();
        if p.extension().is_none_or(|x| x != "rs")
            || rel.starts_with("src/render/")
            || rel.starts_with("src/bin/")
            || rel == "src/main.rs"
            || rel == "src/cli.rs"
        {
            continue;
        }
        let text = std::fs::read_to_string(p).expect("utf-8 source");
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for mac in ["println!", "eprintln!", "print!(", "eprint!(", "dbg!("] {
                assert!(
                    !code.contains(mac),
                    "{rel}:{}: `{mac}` in the library (render a Report instead)",
                    i + 1
                );
            }
        }
    }
}
