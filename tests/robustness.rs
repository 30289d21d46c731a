//! Nothing crashes, nothing is lost: the binary on a generated tree of adversarial inputs, and a
//! fixed-seed random generator driving the whole pipeline (fixes included) through the same
//! harness as the cargo-fuzz targets (`async_lint::fuzzing`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

const BLOCKING: &str =
    "async fn f() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n";

/// Writes a syntactically valid Rust file of at least `bytes` bytes without holding it in memory.
fn write_big(path: &Path, bytes: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut written = 0;
    let mut i = 0;
    while written < bytes {
        let chunk = format!(
            "pub fn generated_{i}(x: u64) -> u64 {{\n    let y = x.wrapping_mul({i});\n    y ^ (y >> 7)\n}}\n"
        );
        f.write_all(chunk.as_bytes()).unwrap();
        written += chunk.len();
        i += 1;
    }
    f.flush().unwrap();
}

/// Whether this process can read a file it made unreadable (root can: chmod does not bind it).
fn chmod_blocks_reads(path: &Path) -> bool {
    std::fs::read(path).is_err()
}

#[test]
fn adversarial_tree_never_crashes_and_reports_every_bad_file() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let depth = 100_000;
    let parens = format!(
        "fn f() {{ let x = {}1{}; }}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    std::fs::write(d.join("deep_parens.rs"), parens).unwrap();
    let blocks = format!("fn f() {}{}\n", "{".repeat(depth), "}".repeat(depth));
    std::fs::write(d.join("deep_blocks.rs"), blocks).unwrap();
    let generics = format!(
        "type T = {}u8{};\n",
        "Vec<".repeat(depth),
        ">".repeat(depth)
    );
    std::fs::write(d.join("deep_generics.rs"), generics).unwrap();
    write_big(&d.join("big.rs"), 50 * 1024 * 1024);
    std::fs::write(d.join("empty.rs"), "").unwrap();
    std::fs::write(d.join("nul.rs"), vec![0u8; 4096]).unwrap();
    std::fs::write(d.join("nul_in_code.rs"), b"fn f() {\0}\n").unwrap();
    std::fs::write(d.join("latin1.rs"), b"// caf\xe9\nfn f() {}\n").unwrap();
    std::fs::write(d.join("crlf.rs"), BLOCKING.replace('\n', "\r\n")).unwrap();
    std::fs::write(d.join("bom.rs"), format!("\u{feff}{BLOCKING}")).unwrap();
    std::fs::write(d.join("unterminated.rs"), "fn f() { \"never closed\n").unwrap();
    std::os::unix::fs::symlink(".", d.join("loop")).unwrap();
    std::os::unix::fs::symlink("self.rs", d.join("self.rs")).unwrap();
    let unreadable = d.join("unreadable.rs");
    std::fs::write(&unreadable, BLOCKING).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o000)).unwrap();
    // As root (common in containers and CI), chmod 000 does not block reads: then the file is
    // simply linted, and the "unreadable" assertion is skipped.
    let unreadable_blocks = chmod_blocks_reads(&unreadable);

    let out = Command::new(env!("CARGO_BIN_EXE_async-lint"))
        .current_dir(d)
        .args(["--format", "json", "."])
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .unwrap();
    std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o644)).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");

    let errors: BTreeMap<String, String> = doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("./")
                    .to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect_error = |file: &str, needle: &str| {
        let msg = errors
            .get(file)
            .unwrap_or_else(|| panic!("no error entry for {file}: {errors:#?}"));
        assert!(msg.contains(needle), "{file}: {msg}");
    };
    expect_error("deep_parens.rs", "nested too deeply");
    expect_error("deep_blocks.rs", "nested too deeply");
    expect_error("deep_generics.rs", "nested too deeply");
    expect_error("big.rs", "too large");
    expect_error("nul.rs", "cannot parse");
    expect_error("nul_in_code.rs", "cannot parse");
    expect_error("latin1.rs", "not valid UTF-8");
    expect_error("unterminated.rs", "cannot parse");
    if unreadable_blocks {
        expect_error("unreadable.rs", "cannot read");
    }
    for good in ["empty.rs", "crlf.rs", "bom.rs"] {
        assert!(!errors.contains_key(good), "{good}: {errors:#?}");
    }
    // CRLF and BOM files report at the right place.
    let positions: Vec<(String, u64, u64)> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("./")
                    .to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        positions.contains(&("crlf.rs".to_string(), 2, 5)),
        "{positions:?}"
    );
    assert!(
        positions.contains(&("bom.rs".to_string(), 2, 5)),
        "{positions:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}

/// xorshift64*: a tiny deterministic generator (no dependency, same sequence everywhere).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, max_len: usize) -> Vec<u8> {
        let len = (self.next() as usize) % (max_len + 1);
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// Iterations per generator; `ASYNC_LINT_FUZZ_ITERS` raises it for a longer local soak.
fn iterations() -> usize {
    std::env::var("ASYNC_LINT_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x5eed_0001);
    for _ in 0..iterations() {
        async_lint::fuzzing::exercise(&rng.bytes(512));
    }
}

#[test]
fn token_soup_never_panics() {
    let mut rng = Rng(0x5eed_0002);
    for _ in 0..iterations() {
        let text = async_lint::fuzzing::token_soup(&rng.bytes(200));
        async_lint::fuzzing::exercise(text.as_bytes());
    }
}

#[test]
fn structured_programs_lint_and_fix_cleanly() {
    let mut rng = Rng(0x5eed_0003);
    let mut fired = 0;
    for _ in 0..iterations() {
        let text = async_lint::fuzzing::structured(&rng.bytes(64));
        assert!(
            syn::parse_file(&text).is_ok() || text.is_empty(),
            "the generator must produce valid Rust:\n{text}"
        );
        fired += usize::from(text.contains("async fn") && text.contains("std::thread::sleep"));
        async_lint::fuzzing::exercise(text.as_bytes());
    }
    assert!(
        fired > iterations() / 10,
        "the generator rarely hits a rule"
    );
}

/// Long chains of calls on receivers of unknown type (a builder with many steps, a
/// `.send().await?` pipeline) are typed once per link: an earlier version re-inferred each
/// receiver from two sources at every link, `2^n` work that hung on a real 40-call chain.
#[test]
fn long_method_chains_lint_in_linear_time() {
    let dir = tempfile::tempdir().unwrap();
    let links = 300;
    let chains = [
        ("send.rs", format!("foo(){}", ".send()".repeat(links))),
        (
            "await.rs",
            format!("foo(){}", ".send().await?".repeat(links)),
        ),
        (
            "lock.rs",
            format!("foo(){}", ".lock().unwrap()".repeat(links)),
        ),
        (
            "map.rs",
            format!("v.iter(){}", ".map(|h| h.join())".repeat(links)),
        ),
        (
            "command.rs",
            format!(
                "std::process::Command::new(\"a\"){}.spawn().unwrap().wait()",
                ".arg(\"x\")".repeat(links)
            ),
        ),
    ];
    for (name, chain) in &chains {
        let text =
            format!("async fn f() -> Result<(), E> {{\n    let _o = {chain};\n    Ok(())\n}}\n");
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_async-lint"))
        .args(["--no-cache", "--format", "json", "."])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!(
                "linting {} chains of {links} calls took over 60 s",
                chains.len()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The command chain still ends in a blocking `wait()`: typing went through every link.
    let rules: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["blocking-call"], "{doc:#}");
}
