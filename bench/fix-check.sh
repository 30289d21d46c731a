#!/usr/bin/env bash
# Proof that `--fix --unsafe-fixes` keeps real crates compiling: copies crates of the vendored
# corpus, applies every safe and unsafe fix to their `src/`, and `cargo check --offline`s each
# fixed crate as a `[patch]` of the corpus package (../shared/corpus: its pinned Cargo.lock and
# the vendored sources resolve everything offline).
#
#   bench/fix-check.sh [-c CORPUS] [-m CORPUS_MANIFEST_DIR] [-w WORKDIR] [CRATE_DIR...]
#
# CRATE_DIR are folder names of the corpus (`actix-http-3.20.0`); default: every line of
# CORPUS/.direct-crates. Prints one line per crate (fixes applied, files changed, compile errors)
# and a total. Only the library is built, with the corpus' features: fixes in `#[cfg(test)]`
# modules, tests/, examples/ and benches/ are not compiled (their dev-dependencies are not
# vendored), so the script lints `src/` only and says how many fixes landed in test modules.
# Set ASYNC_LINT to use another binary than target/release/async-lint.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
corpus=/tmp/async-corpus
manifest_dir=$root/../shared/corpus
work=/tmp/async-lint-fix-check
while getopts "c:m:w:" opt; do
    case $opt in
        c) corpus=$OPTARG ;;
        m) manifest_dir=$OPTARG ;;
        w) work=$OPTARG ;;
        *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))

bin=${ASYNC_LINT:-$root/target/release/async-lint}
if [ -z "${ASYNC_LINT:-}" ]; then
    (cd "$root" && cargo build --release --quiet)
fi

if [ $# -gt 0 ]; then
    crates=("$@")
else
    mapfile -t crates < <(xargs -n1 basename < "$corpus/.direct-crates")
fi

mkdir -p "$work"
export CARGO_TARGET_DIR="$work/target"
total_fixes=0 total_checked=0 total_errors=0 total_test_fixes=0

# The corpus package, patched to build one crate from a path.
workspace() {
    local name=$1 path=$2 ws=$work/ws
    rm -rf "$ws"
    mkdir -p "$ws/src" "$ws/.cargo"
    cp "$manifest_dir/Cargo.toml" "$manifest_dir/Cargo.lock" "$ws/"
    : > "$ws/src/lib.rs"
    printf '[source.crates-io]\nreplace-with = "vendored"\n[source.vendored]\ndirectory = "%s"\n[net]\noffline = true\n' \
        "$corpus" > "$ws/.cargo/config.toml"
    printf '\n[patch.crates-io]\n%s = { path = "%s" }\n' "$name" "$path" >> "$ws/Cargo.toml"
    echo "$ws"
}

# `error` diagnostics of `cargo check -p NAME` (not the summary lines).
check_errors() {
    local ws=$1 name=$2
    (cd "$ws" && cargo check --offline --quiet -p "$name" --message-format short 2>&1 || true) |
        tee "$work/$name.check.log" |
        grep -E '^[^ ]+:[0-9]+:[0-9]+: error|^error(\[E[0-9]+\])?: ' |
        grep -vcE 'could not compile|aborting due to' || true
}

for c in "${crates[@]}"; do
    dir="$work/$c"
    rm -rf "$dir"
    cp -r "$corpus/$c" "$dir"
    name=$(python3 -c 'import sys,tomllib; print(tomllib.load(open(sys.argv[1],"rb"))["package"]["name"])' "$dir/Cargo.toml")
    # (no --unsafe-fixes here: without --diff it implies --fix)
    json=$("$bin" --no-cache --format json "$dir/src" 2>/dev/null || true)
    diff_out=$("$bin" --no-cache --unsafe-fixes --diff "$dir/src" 2>&1 >/dev/null || true)
    fixes=$(printf '%s\n' "$diff_out" | grep -oE '^[0-9]+ fix(es)? would change' | grep -oE '^[0-9]+' | head -1 || true)
    fixes=${fixes:-0}
    if [ "$fixes" = 0 ]; then
        echo "$c: 0 fixes"
        continue
    fi
    # Applicable fixes in files or modules that only tests compile (a `tests` module or file).
    test_fixes=$(printf '%s' "$json" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(1 for x in d["diagnostics"]
          if x.get("fix") and x["fix"]["applicability"] != "manual"
          and ("/tests" in x["path"] or x["path"].endswith("tests.rs"))))')
    "$bin" --no-cache --unsafe-fixes --fix "$dir/src" >/dev/null 2>&1 || true
    changed=$( (diff -rq "$corpus/$c/src" "$dir/src" || true) | wc -l)
    ws=$(workspace "$name" "$dir")
    errors=$(check_errors "$ws" "$name")
    echo "$c: $fixes fixes in $changed files ($test_fixes in test modules, not compiled), $errors compile errors"
    total_fixes=$((total_fixes + fixes))
    total_test_fixes=$((total_test_fixes + test_fixes))
    total_checked=$((total_checked + 1))
    total_errors=$((total_errors + errors))
done
echo "total: $total_fixes fixes applied ($total_test_fixes in test modules), $total_checked crates checked, $total_errors compile errors"
