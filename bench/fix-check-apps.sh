#!/usr/bin/env bash
# Proof that `--fix --unsafe-fixes` keeps real applications compiling, all targets included
# (tests, examples, benches): each app is copied to a scratch folder, `cargo check
# --all-targets --workspace` records the errors it already has (baseline), every safe and unsafe
# fix is applied to the whole app, and the check runs again. An error after fixing that was not
# there before is a broken fix.
#
#   bench/fix-check-apps.sh [-a APPS_DIR] [-w WORKDIR] [-l] [APP...]
#
# APP are folder names under APPS_DIR (default /tmp/field/apps); default: every folder. `-l`
# only lists the fixes each app would get (`--diff`, cheap) and builds nothing. Apps with no
# applicable fix are not built. Dependencies come from crates.io and are built once in
# WORKDIR/target (CARGO_TARGET_DIR, shared by every app); SQLX_OFFLINE=true. The installed
# toolchain is used (`--ignore-rust-version`): errors that come from an older compiler are in the
# baseline and do not count. Prints one line per app and a total.
# Set ASYNC_LINT to use another binary than target/release/async-lint.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
apps_dir=/tmp/field/apps
work=/work/scratch-fix
list_only=0
while getopts "a:w:l" opt; do
    case $opt in
        a) apps_dir=$OPTARG ;;
        w) work=$OPTARG ;;
        l) list_only=1 ;;
        *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))

bin=${ASYNC_LINT:-$root/target/release/async-lint}
if [ -z "${ASYNC_LINT:-}" ]; then
    (cd "$root" && cargo build --release --quiet)
fi

if [ $# -gt 0 ]; then
    apps=("$@")
else
    mapfile -t apps < <(find "$apps_dir" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
fi

mkdir -p "$work"
export CARGO_TARGET_DIR=${APPS_TARGET_DIR:-$work/target}
export SQLX_OFFLINE=true
export RUSTUP_TOOLCHAIN=${RUSTUP_TOOLCHAIN:-stable}
total_fixes=0 total_files=0 total_checked=0 total_new=0

# The error lines of `cargo check` (file:line:col: error..), sorted, without their line numbers
# (a fix may shift lines), into $2; a crate that fails to build (`error: could not compile`)
# counts as one line too, so a failed dependency resolution cannot pass for zero errors.
check_errors() {
    local dir=$1 out=$2
    (cd "$dir" && cargo check --workspace --all-targets --ignore-rust-version --keep-going \
        --message-format short 2>&1 || true) | tee "$out.log" |
        grep -E '^[^ ]+:[0-9]+:[0-9]+: error|^error' |
        sed -E 's/^([^:]+):[0-9]+:[0-9]+:/\1:/; s/ due to [0-9]+ previous errors?.*//' |
        sort > "$out" || true
}

# Workspace members with a git dependency are dropped from the copy's `members` (git hosts are not
# reachable from the build machines; crates.io is). Prints the dropped members.
drop_git_members() {
    python3 - "$1" <<'PY'
import glob, os, re, sys, tomllib
root = sys.argv[1]
path = os.path.join(root, "Cargo.toml")
text = open(path).read()
members = tomllib.loads(text).get("workspace", {}).get("members", [])
dropped = []
for m in members:
    for d in glob.glob(os.path.join(root, m)):
        toml = os.path.join(d, "Cargo.toml")
        if os.path.exists(toml) and re.search(r'^\s*git\s*=', open(toml).read(), re.M):
            if m == os.path.relpath(d, root):
                dropped.append(m)
for m in dropped:
    text = re.sub(r'\s*"%s",?' % re.escape(m), "", text, count=1)
open(path, "w").write(text)
print(" ".join(dropped))
PY
}

for app in "${apps[@]}"; do
    # `N fixes would change M files` (stderr of --diff).
    summary=$("$bin" --no-cache --unsafe-fixes --diff "$apps_dir/$app" 2>&1 >/dev/null |
        grep -oE '^[0-9]+ fix(es)? would change [0-9]+ files?' | head -1 || true)
    fixes=$(printf '%s' "$summary" | grep -oE '^[0-9]+' || echo 0)
    files=$(printf '%s' "$summary" | grep -oE '[0-9]+ files?$' | grep -oE '^[0-9]+' || echo 0)
    if [ "$fixes" = 0 ] || [ "$list_only" = 1 ]; then
        echo "$app: $fixes fixes in $files files"
        continue
    fi
    dir=$work/$app
    rm -rf "$dir"
    cp -r "$apps_dir/$app" "$dir"
    dropped=$(drop_git_members "$dir")
    [ -z "$dropped" ] || echo "$app: not built (git dependencies): $dropped"
    check_errors "$dir" "$work/$app.before"
    # A check that never got to compiling (a dependency that cannot be fetched, a manifest that
    # does not resolve) proves nothing: the app is reported as not built and not counted.
    if grep -qE '^error: (failed to (get|load|select|parse)|no matching package|could not find `Cargo.toml`)' "$work/$app.before.log"; then
        echo "$app: not built (the check before fixing does not resolve: see $work/$app.before.log)"
        continue
    fi
    "$bin" --no-cache --unsafe-fixes --fix "$dir" >/dev/null 2>&1 || true
    changed=$( (diff -rq -x target -x .git -x Cargo.toml -x Cargo.lock "$apps_dir/$app" "$dir" || true) | wc -l)
    check_errors "$dir" "$work/$app.after"
    new=$(comm -13 "$work/$app.before" "$work/$app.after" | wc -l)
    base=$(wc -l < "$work/$app.before")
    echo "$app: $fixes fixes in $changed files, $base errors before fixing, $new new compile errors"
    comm -13 "$work/$app.before" "$work/$app.after" | sed 's/^/  new: /'
    total_fixes=$((total_fixes + fixes))
    total_files=$((total_files + changed))
    total_checked=$((total_checked + 1))
    total_new=$((total_new + new))
done
echo "total: $total_fixes fixes applied in $total_files files, $total_checked apps checked, $total_new new compile errors"
