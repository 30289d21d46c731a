//! Workflow integrations, end to end with the built binary: the pre-commit hook and the GitHub
//! action exactly as declared, SARIF against the official schema, cargo-json for editors, stdin,
//! statistics, baselines, and `--changed-since`.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use common::{BLOCKING, CLEAN, bin, root, run_in, stderr, stdout, tree};

/// The value of `key: value` on the first line of `yaml` that declares it (enough for our two
/// hand-written files; no YAML dependency).
fn yaml_value(yaml: &str, key: &str) -> String {
    yaml.lines()
        .map(str::trim_start)
        .map(|l| l.strip_prefix("- ").unwrap_or(l))
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .unwrap_or_else(|| panic!("no `{key}:` in the YAML"))
        .trim()
        .trim_matches('\'')
        .to_string()
}

#[test]
fn pre_commit_hook_runs_as_declared() {
    let yaml = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    assert_eq!(yaml_value(&yaml, "id"), "async-lint");
    assert_eq!(yaml_value(&yaml, "language"), "rust");
    assert_eq!(yaml_value(&yaml, "types"), "[rust]");
    assert_eq!(yaml_value(&yaml, "pass_filenames"), "true");
    let entry = yaml_value(&yaml, "entry");
    let mut words = entry.split_whitespace();
    assert_eq!(words.next(), Some("async-lint"), "{entry}");
    let args: Vec<&str> = words.collect();

    // pre-commit runs `entry` + the staged file names (relative to the repository root).
    let dir = tree(&[("src/bad.rs", BLOCKING), ("src/good.rs", CLEAN)]);
    let mut argv = args.clone();
    argv.extend(["src/bad.rs", "src/good.rs"]);
    let o = run_in(dir.path(), &argv);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "src/bad.rs:2:5: warning[blocking-sleep] `std::thread::sleep` blocks the executor thread in async fn `f`\n"
    );
    assert_eq!(stderr(&o), "");
    let mut argv = args.clone();
    argv.push("src/good.rs");
    let o = run_in(dir.path(), &argv);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
}

#[test]
fn github_action_runs_as_declared() {
    let yaml = std::fs::read_to_string(root().join("action.yml")).unwrap();
    assert!(yaml.contains("using: composite"), "{yaml}");
    assert!(
        yaml.contains("cargo install --locked --path \"$GITHUB_ACTION_PATH\""),
        "{yaml}"
    );
    let run_line = yaml
        .lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("run: "))
        .find(|l| l.contains("--format github"))
        .expect("a run step with --format github")
        .trim_matches('\'')
        .replace("${{ inputs.args }}", ".");
    // Install where the install step would have put the binary, then run the step with bash.
    let temp = tempfile::tempdir().unwrap();
    let bin_dir = temp.path().join("async-lint/bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_async-lint"), bin_dir.join("async-lint")).unwrap();
    let dir = tree(&[("src/bad.rs", BLOCKING)]);
    let o = Command::new("bash")
        .arg("-c")
        .arg(&run_line)
        .current_dir(dir.path())
        .env("RUNNER_TEMP", temp.path())
        .env_remove("GITHUB_WORKSPACE")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{run_line}: {}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("::warning file=src/bad.rs,line=2,"),
        "{out}"
    );
    // `working-directory: crates/api`: the step runs there, and the annotations stay relative
    // to the repository root the runner gives as GITHUB_WORKSPACE.
    assert!(
        yaml.contains("working-directory: ${{ inputs.working-directory }}"),
        "{yaml}"
    );
    let repo = tree(&[("crates/api/src/bad.rs", BLOCKING)]);
    let o = Command::new("bash")
        .arg("-c")
        .arg(&run_line)
        .current_dir(repo.path().join("crates/api"))
        .env("RUNNER_TEMP", temp.path())
        .env("GITHUB_WORKSPACE", repo.path())
        .output()
        .unwrap();
    assert!(
        stdout(&o).starts_with("::warning file=crates/api/src/bad.rs,line=2,"),
        "{}",
        stdout(&o)
    );
    // The binary is cached between runs, keyed by the action's version and ref, and built only
    // on a cache miss.
    assert!(yaml.contains("uses: actions/cache@v4"), "{yaml}");
    assert!(
        yaml.contains("${{ github.action_ref }}") && yaml.contains("Cargo.toml"),
        "{yaml}"
    );
    assert!(
        yaml.contains("if: steps.cache.outputs.cache-hit != 'true'"),
        "{yaml}"
    );
    assert!(
        yaml.contains("path: ${{ runner.temp }}/async-lint"),
        "{yaml}"
    );
    // The key's version is read from the action's own Cargo.toml.
    let version_line = yaml
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("version=$("))
        .expect("the key step reads the version");
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!("{version_line}\nprintf %s \"$version\""))
        .env("GITHUB_ACTION_PATH", root())
        .output()
        .unwrap();
    assert_eq!(stdout(&o), env!("CARGO_PKG_VERSION"), "{}", stderr(&o));
}

#[test]
fn sarif_matches_the_official_schema() {
    let mut schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/data/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    // The official schema's language-tag pattern is not a valid regex outside JavaScript's legacy
    // mode (an unescaped `]`); escape it so the validator accepts the schema. Our output has no
    // `language` property, so this changes nothing the test checks.
    fn escape_bracket(v: &mut Value) -> usize {
        match v {
            Value::Object(m) => {
                let mut n = 0;
                for (k, x) in m.iter_mut() {
                    if k == "pattern" && x == "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$" {
                        *x = Value::from(r"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\]?$");
                        n += 1;
                    } else {
                        n += escape_bracket(x);
                    }
                }
                n
            }
            Value::Array(a) => a.iter_mut().map(escape_bracket).sum(),
            _ => 0,
        }
    }
    assert!(escape_bracket(&mut schema) > 0);
    assert_eq!(
        schema["title"],
        "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    );
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let bad_utf8: &[u8] = b"fn f() { \xff }\n";
    let dir = tree(&[
        ("src/bad.rs", BLOCKING),
        ("src/good.rs", CLEAN),
        ("src/broken.rs", "fn f( {\n"),
        ("src/a b%.rs", BLOCKING),
    ]);
    std::fs::write(dir.path().join("src/latin1.rs"), bad_utf8).unwrap();
    // An absolute argument, and a file outside the current directory, validate too.
    let abs = dir.path().join("src");
    let outside = tree(&[("elsewhere.rs", BLOCKING)]);
    let outside = outside.path().join("elsewhere.rs");
    for args in [
        &["--format", "sarif", "src"][..],
        &["--format", "sarif", "src/good.rs"],
        &[
            "--format",
            "sarif",
            abs.to_str().unwrap(),
            outside.to_str().unwrap(),
        ],
    ] {
        let o = run_in(dir.path(), args);
        let log: Value = serde_json::from_slice(&o.stdout).expect("SARIF is JSON");
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{args:?}: {}", errors.join("\n"));
    }
    // The validator does reject what the schema forbids (the test is not vacuous).
    let invalid = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {}}]});
    assert!(!validator.is_valid(&invalid));
}

#[test]
fn cargo_json_is_what_rust_analyzer_reads() {
    let dir = tree(&[("src/lib.rs", BLOCKING), ("src/broken.rs", "fn f( {\n")]);
    let o = run_in(dir.path(), &["--format", "cargo-json", "src"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let lines: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect();
    assert_eq!(lines.len(), 3, "{}", stdout(&o));
    let msg = &lines[0];
    assert_eq!(msg["reason"], "compiler-message");
    assert!(msg["package_id"].is_string());
    assert_eq!(msg["manifest_path"], "Cargo.toml");
    assert_eq!(msg["target"]["src_path"], "src/lib.rs");
    let m = &msg["message"];
    assert_eq!(m["$message_type"], "diagnostic");
    assert_eq!(m["level"], "warning");
    assert_eq!(m["code"]["code"], "blocking-sleep");
    let span = &m["spans"][0];
    assert_eq!(span["file_name"], "src/lib.rs");
    assert_eq!(span["line_start"], 2);
    assert_eq!(span["column_start"], 5);
    assert_eq!(span["is_primary"], true);
    let start = span["byte_start"].as_u64().unwrap() as usize;
    let end = span["byte_end"].as_u64().unwrap() as usize;
    assert_eq!(
        &BLOCKING[start..end],
        "std::thread::sleep(std::time::Duration::from_millis(1))"
    );
    assert!(
        m["rendered"]
            .as_str()
            .unwrap()
            .starts_with("warning[blocking-sleep]: ")
    );
    assert_eq!(lines[1]["message"]["level"], "error");
    assert_eq!(
        lines[1]["message"]["spans"][0]["file_name"],
        "src/broken.rs"
    );
    assert_eq!(
        lines[2],
        serde_json::json!({"reason": "build-finished", "success": false})
    );
}

fn with_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn stdin_is_linted_as_the_named_file() {
    let dir = tempfile::tempdir().unwrap();
    let o = with_stdin(
        dir.path(),
        &["--stdin-filename", "src/editor.rs", "--format", "short"],
        BLOCKING.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("src/editor.rs:2:5: warning[blocking-sleep] "),
        "{}",
        stdout(&o)
    );
    // The named file need not exist, and nothing on disk is read or written.
    assert!(!dir.path().join("src").exists());
    let o = with_stdin(
        dir.path(),
        &["--stdin-filename", "x.rs", "--format", "short"],
        CLEAN.as_bytes(),
    );
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), String::new()));
    let o = with_stdin(
        dir.path(),
        &["--stdin-filename", "x.rs", "--format", "json"],
        b"fn f() { \xff }",
    );
    assert_eq!(o.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["errors"][0]["path"], "x.rs");
    // Fixing stdin is not supported: a usage error, not a silent no-op.
    let o = with_stdin(dir.path(), &["--stdin-filename", "x.rs", "--fix"], b"");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn statistics_count_per_rule() {
    let two = format!("{BLOCKING}{}", BLOCKING.replace("fn f", "fn g"));
    let dir = tree(&[
        ("src/a.rs", two.as_str()),
        ("src/b.rs", BLOCKING),
        ("src/c.rs", "fn f( {\n"),
    ]);
    let o = run_in(dir.path(), &["--statistics", "src"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("3  blocking-sleep "), "{out}");
    assert!(lines[1].starts_with("1  (file errors) "), "{out}");
    let o = run_in(dir.path(), &["--statistics", "--format", "json", "src"]);
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["rules"][0]["code"], "blocking-sleep");
    assert_eq!(doc["rules"][0]["count"], 3);
    assert_eq!(doc["errors"], 1);
    let clean = tree(&[("a.rs", CLEAN)]);
    let o = run_in(clean.path(), &["--statistics", "."]);
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), String::new()));
}

#[test]
fn fix_leaves_baselined_findings_alone() {
    let dir = tree(&[("src/a.rs", BLOCKING)]);
    let o = run_in(dir.path(), &["--write-baseline", "baseline.json", "src"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let grown = format!("{BLOCKING}\n{}", BLOCKING.replace("fn f", "fn g"));
    std::fs::write(dir.path().join("src/a.rs"), &grown).unwrap();
    let o = run_in(
        dir.path(),
        &[
            "--fix",
            "--unsafe-fixes",
            "--baseline",
            "baseline.json",
            "src",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let fixed = std::fs::read_to_string(dir.path().join("src/a.rs")).unwrap();
    let (f, g) = fixed.split_at(fixed.find("async fn g").expect("fn g kept"));
    assert!(
        f.contains("std::thread::sleep"),
        "baselined finding was fixed:\n{fixed}"
    );
    assert!(
        g.contains("tokio::time::sleep") && !g.contains("std::thread::sleep"),
        "new finding not fixed:\n{fixed}"
    );
    // Without the baseline both are fixed.
    std::fs::write(dir.path().join("src/a.rs"), &grown).unwrap();
    let o = run_in(dir.path(), &["--fix", "--unsafe-fixes", "src"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let fixed = std::fs::read_to_string(dir.path().join("src/a.rs")).unwrap();
    assert!(!fixed.contains("std::thread::sleep"), "{fixed}");
}

#[test]
fn baseline_reports_only_new_findings_and_survives_line_shifts() {
    let dir = tree(&[("src/a.rs", BLOCKING), ("src/b.rs", BLOCKING)]);
    let o = run_in(dir.path(), &["--write-baseline", "baseline.json", "src"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("recorded 2 findings"), "{}", stderr(&o));
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("baseline.json")).unwrap())
            .unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["entries"][0]["path"], "src/a.rs");
    assert_eq!(doc["entries"][0]["occurrence"], 0);
    assert!(doc["entries"][0].get("line").is_none());

    let o = run_in(
        dir.path(),
        &["--baseline", "baseline.json", "--format", "short", "src"],
    );
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), String::new()));

    // Unrelated edits shift and re-indent the old finding; a new one is added in a new fn.
    let shifted = format!(
        "// a comment\n\nfn other() {{}}\n{}\nasync fn new() {{ std::thread::sleep(d); }}\n",
        BLOCKING.replace("    std", "\t\tstd")
    );
    std::fs::write(dir.path().join("src/a.rs"), shifted).unwrap();
    let o = run_in(
        dir.path(),
        &["--baseline", "baseline.json", "--format", "short", "src"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with("src/a.rs:8:"), "{out}");

    // A duplicate of an existing line is new too (occurrence counting).
    std::fs::write(
        dir.path().join("src/b.rs"),
        format!("{BLOCKING}{}", BLOCKING.replace("fn f", "fn g")),
    )
    .unwrap();
    let o = run_in(
        dir.path(),
        &["--baseline", "baseline.json", "--format", "short", "src"],
    );
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));

    // The same baseline works from a subdirectory (paths are relative to the baseline file).
    let o = run_in(
        &dir.path().join("src"),
        &[
            "--baseline",
            "../baseline.json",
            "--format",
            "short",
            "b.rs",
        ],
    );
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));

    // A corrupt or foreign baseline is a usage error naming the file.
    std::fs::write(dir.path().join("bad.json"), "{\"version\": 1, \"entr").unwrap();
    let o = run_in(dir.path(), &["--baseline", "bad.json", "src"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.json"), "{}", stderr(&o));
    std::fs::write(
        dir.path().join("v9.json"),
        "{\"version\": 9, \"entries\": []}",
    )
    .unwrap();
    let o = run_in(dir.path(), &["--baseline", "v9.json", "src"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("v9.json"), "{}", stderr(&o));
    let o = run_in(dir.path(), &["--baseline", "missing.json", "src"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing.json"), "{}", stderr(&o));
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git");
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
}

#[test]
fn changed_since_lints_only_changed_and_untracked_files() {
    let dir = tree(&[
        ("crate/src/old.rs", BLOCKING),
        ("crate/src/edited.rs", CLEAN),
        ("crate/src/committed_later.rs", CLEAN),
        ("crate/src/ignored.rs", BLOCKING),
        (".gitignore", "crate/src/ignored.rs\n"),
    ]);
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "one"]);
    git(dir.path(), &["tag", "base"]);
    std::fs::write(dir.path().join("crate/src/committed_later.rs"), BLOCKING).unwrap();
    git(dir.path(), &["commit", "-q", "-am", "two"]);
    std::fs::write(dir.path().join("crate/src/edited.rs"), BLOCKING).unwrap();
    std::fs::write(dir.path().join("crate/src/new.rs"), BLOCKING).unwrap();

    // From a subdirectory: paths from git are relative to the repository root.
    let sub = dir.path().join("crate");
    let o = run_in(
        &sub,
        &["--changed-since", "base", "--format", "short", "src"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let files: Vec<String> = stdout(&o)
        .lines()
        .map(|l| l.split(':').next().unwrap().to_string())
        .collect();
    assert_eq!(
        files,
        ["src/committed_later.rs", "src/edited.rs", "src/new.rs"],
        "{}",
        stdout(&o)
    );
    let o = run_in(
        &sub,
        &["--changed-since", "HEAD", "--format", "json", "src"],
    );
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["files_checked"], 2);

    // Unknown revision, and not a repository: clear usage errors.
    let o = run_in(&sub, &["--changed-since", "no-such-rev", "src"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown git revision `no-such-rev`"),
        "{}",
        stderr(&o)
    );
    let outside = tree(&[("a.rs", BLOCKING)]);
    let o = bin()
        .current_dir(outside.path())
        .env("GIT_CEILING_DIRECTORIES", outside.path().parent().unwrap())
        .args(["--changed-since", "HEAD", "."])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not inside a git repository"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn cache_reruns_are_identical_and_corrupt_caches_are_rebuilt() {
    // Findings, a clean file, a parse error, and suppressions (one used, one not) all replay.
    let suppressed = format!(
        "// async-lint: allow(unawaited-future)\n{}",
        BLOCKING.replace(
            "    std::thread::sleep",
            "    // async-lint: allow(blocking-sleep)\n    std::thread::sleep"
        )
    );
    let dir = tree(&[
        ("src/a.rs", BLOCKING),
        ("src/b.rs", CLEAN),
        ("src/c.rs", "fn f( {\n"),
        ("src/d.rs", &suppressed),
    ]);
    // No Cargo project: the cache is in the linted directory (see src/cache_root.rs).
    let cache = dir.path().join("src/.async-lint-cache/cache.bin");
    let first = run_in(dir.path(), &["--format", "json", "src"]);
    assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
    let header = std::fs::read(&cache).expect("the cache is written");
    assert!(header.starts_with(b"async-lint-cache 9 "));
    let again = run_in(dir.path(), &["--format", "json", "src"]);
    assert_eq!(stdout(&again), stdout(&first));

    // A changed file is re-linted.
    std::fs::write(dir.path().join("src/b.rs"), BLOCKING).unwrap();
    let changed = run_in(dir.path(), &["--format", "short", "src"]);
    assert_eq!(
        stdout(&changed)
            .lines()
            .filter(|l| l.contains("blocking-sleep"))
            .count(),
        2,
        "{}",
        stdout(&changed)
    );
    std::fs::write(dir.path().join("src/b.rs"), CLEAN).unwrap();

    // Corrupt, truncated and foreign caches are ignored, and rebuilt.
    for bad in [
        &b"garbage"[..],
        &header[..header.len() / 2],
        b"async-lint-cache 9 00 00 0\n",
        // The layout before dropped calls were kept as facts rather than pending findings.
        b"async-lint-cache 8 00 00 0\n",
        // The layout before spawn facts, fn body ranges and scoped suppressions.
        b"async-lint-cache 6 00 00 0\n",
        // The layout before declared types and pending findings.
        b"async-lint-cache 5 00 00 0\n",
        // The layout before `CallFact::context_start`.
        b"async-lint-cache 3 00 00 0\n",
    ] {
        std::fs::write(&cache, bad).unwrap();
        let o = run_in(dir.path(), &["--format", "json", "src"]);
        assert_eq!(stdout(&o), stdout(&first));
        assert!(
            std::fs::read(&cache)
                .unwrap()
                .starts_with(b"async-lint-cache 9 ")
        );
    }

    // Concurrent runs neither fail nor leave a torn file.
    let children: Vec<_> = (0..4)
        .map(|_| {
            bin()
                .current_dir(dir.path())
                .args(["--format", "json", "src"])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert_eq!(stdout(&o), stdout(&first));
    }
    let o = run_in(dir.path(), &["--format", "json", "src"]);
    assert_eq!(stdout(&o), stdout(&first));

    // --no-cache neither reads nor writes.
    let fresh = tree(&[("a.rs", BLOCKING)]);
    let o = run_in(fresh.path(), &["--no-cache", "a.rs"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!fresh.path().join(".async-lint-cache").exists());
}
