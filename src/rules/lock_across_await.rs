//! `lock-across-await`: a synchronous lock guard or `RefCell` borrow alive at an `.await`.
//!
//! The rule runs once per file (a `file` hook) and analyses every async body on its own: the body
//! of an `async fn`, an `async` block or an async closure. Nested async blocks and closures are
//! separate futures (or cannot await) and are analysed separately or not at all.
//!
//! Which expressions produce a guard is the rule's (`acquire.rs`: a synchronous acquisition such
//! as `m.lock().unwrap()`, `rw.read()`, `cell.borrow_mut()`, or a helper declared to return a
//! guard); how long a guard lives and which `.await`s (and `select!`/`join!`, which await
//! internally) it is alive at is the shared binding model's ([`crate::analysis::bindings`]).

mod acquire;
mod finder;

use std::ops::Range;

use syn::visit::Visit;

use crate::analysis::bindings::{End, Hoist, Hold, Release, TempCtx, Tracked};
use crate::analysis::imports::Imports;
use crate::analysis::lock_types::{FileTypes, Kind, TyEnv};
use crate::analysis::sink::Fallback;
use crate::analysis::{FileCx, Reported, Sink};
use crate::declare_rule;
use crate::diagnostic::{Edit, Fix, Severity};
use crate::rules::{Family, FixAvailability, Hooks};

use acquire::{AsyncLockNames, Decl, LockData};
use finder::Finder;

declare_rule! {
    /// A guard of a synchronous lock (`std::sync::Mutex`/`RwLock`, parking_lot, spin) or a
    /// `RefCell` borrow that is still alive when the task suspends at an `.await`.
    pub static LOCK_ACROSS_AWAIT = Rule {
        id: "lock-across-await",
        family: Family::Lock,
        severity: Severity::Warning,
        summary: "a synchronous lock guard or `RefCell` borrow held across an `.await` blocks other tasks and can deadlock",
        fix: FixAvailability::Always,
        hooks: Hooks { file: Some(check), resolve: Some(resolve), ..Hooks::NONE },
    }
}

/// Asks for the crate's facts: findings conditioned on a receiver's crate-wide type
/// ([`Sink::report_by_type`]) are settled with every rule's in [`crate::analysis::pending`].
fn resolve(_: &crate::analysis::index::CrateIndex, _: &mut Vec<crate::diagnostic::Diagnostic>) {}

fn named_message(kind: Kind, name: &str, acq: &str) -> String {
    match kind {
        Kind::Lock => format!("lock guard `{name}` from `{acq}` is held across an `.await`"),
        Kind::Borrow => format!("borrow `{name}` from `{acq}` is held across an `.await`"),
    }
}

fn extended_message(kind: Kind, acq: &str) -> String {
    let what = if kind == Kind::Lock {
        "lock guard"
    } else {
        "borrow"
    };
    format!(
        "{what} from `{acq}` is kept alive by a reference until the end of the block and is held across an `.await`"
    )
}

fn temp_message(kind: Kind, acq: &str, ctx: TempCtx) -> String {
    let what = if kind == Kind::Lock {
        "temporary lock guard"
    } else {
        "temporary borrow"
    };
    match ctx {
        TempCtx::Statement => format!(
            "{what} from `{acq}` lives until the end of the statement and is held across an `.await`"
        ),
        TempCtx::IfLet => format!(
            "{what} from `{acq}` in an `if let` scrutinee lives through its body and is held across an `.await`"
        ),
        TempCtx::Match => format!(
            "{what} from `{acq}` in a `match` scrutinee lives through its arms and is held across an `.await`"
        ),
        TempCtx::WhileLet => format!(
            "{what} from `{acq}` in a `while let` scrutinee lives through the loop body and is held across an `.await`"
        ),
        TempCtx::For => format!(
            "{what} from `{acq}` in a `for` loop's iterator lives through the whole loop and is held across an `.await`"
        ),
    }
}

const LOCK_HELP: &str = "copy or clone what you need while holding the lock and release it before awaiting (end its block or call `drop(guard)`); if the lock must stay held across the `.await`, use `tokio::sync::Mutex`, whose guard may cross `.await` but which is slower: every acquisition goes through the async scheduler";
const BORROW_HELP: &str = "clone what you need and end the borrow before awaiting: while a `RefCell` borrow is held across `.await`, another task's `borrow_mut()` panics (a `watch` borrow blocks the sender)";

fn named_help(kind: Kind, name: &str, shadowed: bool) -> String {
    let base = if kind == Kind::Lock {
        LOCK_HELP
    } else {
        BORROW_HELP
    };
    if shadowed {
        format!(
            "shadowing `{name}` does not drop the guard, it lives until the end of the block; {base}"
        )
    } else {
        base.to_string()
    }
}

fn scope_help(name: &str) -> String {
    format!(
        "`{name}` is not used after the `.await`: end its scope before awaiting by putting it and its uses in a block"
    )
}

fn drop_help(name: &str) -> String {
    format!(
        "`{name}` is not used after the `.await`: release it before awaiting with `drop({name});` (a future that must be `Send` needs the guard in a block that ends before the `.await`: rustc's check is scope-based)"
    )
}

fn temp_help(kind: Kind, ctx: TempCtx, hoist: Option<&str>) -> String {
    let what = if kind == Kind::Lock { "lock" } else { "borrow" };
    if let Some(awaited) = hoist {
        return format!(
            "await first and take the {what} in a separate statement: `let value = {awaited};` then use `value`"
        );
    }
    let first = match ctx {
        TempCtx::Statement => {
            "split the statement so the guard is taken and released before or after the `.await`"
        }
        TempCtx::IfLet | TempCtx::Match => {
            "copy what you need out of the guard in a `let` before the `if let`/`match` (`let v = m.lock().unwrap().get(&k).cloned();`), so the guard is dropped before the arms run"
        }
        TempCtx::WhileLet => {
            "take the next item in its own statement inside a `loop` (`let next = m.lock().unwrap().pop();`), so the guard is dropped before the body runs"
        }
        TempCtx::For => {
            "clone the collection in a `let` before the loop (`let items = m.lock().unwrap().clone();`), so the guard is dropped before the body runs"
        }
    };
    if kind == Kind::Lock {
        format!(
            "{first}; if the lock must stay held across the `.await`, use `tokio::sync::Mutex` (slower: every acquisition goes through the async scheduler)"
        )
    } else {
        format!(
            "{first}; a `RefCell` borrow held across `.await` makes another task's `borrow_mut()` panic"
        )
    }
}

/// Records the guards alive in `cx`'s async bodies in `sink` (see [`Sink::record_held`]) without
/// reporting: for runs where this rule is not enabled, so that other rules' fixes still do not
/// add an `.await` where a guard is held.
pub fn record_held(
    cx: &FileCx<'_>,
    path: &std::sync::Arc<std::path::PathBuf>,
    sink: &mut Sink<'_>,
) {
    let mut scratch = Sink::new(path);
    check(cx, &mut scratch);
    sink.adopt_held(scratch);
}

fn check(cx: &FileCx<'_>, sink: &mut Sink<'_>) {
    let text = cx.source.text();
    if !crate::source::mentions(text, "async") {
        return;
    }
    let interesting = crate::source::mentions_any(
        text,
        &[
            "lock(", "read(", "write(", "borrow", "Guard", "Ref<", "RefMut<", "Rc",
        ],
    );
    if !interesting {
        return;
    }
    let mut names = AsyncLockNames::default();
    if crate::source::mentions(text, "().await") {
        names.visit_file(cx.file);
    }
    let types = FileTypes::collect(cx.file);
    let mut imports = Imports::default();
    imports.push(cx.file.items.iter());
    let mut finder = Finder {
        cx,
        sink,
        decl: Decl {
            types: &types,
            async_locks: &names.found,
            fn_key: None,
        },
        imports,
        env: TyEnv::default(),
        report,
    };
    finder.visit_file(cx.file);
}

/// Reports every guard of one body (its text at `body`) that lives across an `.await`.
fn report(cx: &FileCx<'_>, found: Vec<Tracked<LockData>>, body: Range<usize>, sink: &mut Sink<'_>) {
    let body_text = cx.text(body.clone()).to_string();
    sink.record_body(body.clone());
    for g in &found {
        if g.data.cond.is_none() {
            // rustc's `Send` analysis is scope-based: a named guard released by `drop(g)` or
            // moved away still counts until its scope ends (taken here as the body's end).
            let end = match (&g.end, g.hold) {
                (Some((at, End::ScopeEnd)), _) | (Some((at, _)), Hold::Temp(_)) => at.start,
                _ => body.end,
            };
            let name = g.name.clone().unwrap_or_else(|| g.data.acq_text.clone());
            sink.record_held(g.range.start..end, body.clone(), name);
        }
    }
    for g in found {
        if g.crossed.is_empty() {
            continue;
        }
        let Some(c) = g.data.cond else {
            let (message, help, fix) = parts(cx, &g, g.data.kind, &body_text);
            let r = sink.report(&LOCK_ACROSS_AWAIT, g.range.clone(), message);
            finish(r, &g, help, fix);
            continue;
        };
        // One conditional finding per guard kind the crate-wide type may prove.
        for (kind, types) in [(Kind::Lock, c.lock), (Kind::Borrow, c.borrow)] {
            if types.is_empty() {
                continue;
            }
            let (message, help, fix) = parts(cx, &g, kind, &body_text);
            let types = types.iter().map(|t| t.to_string());
            let untyped = c
                .untyped
                .then(|| crate::analysis::lib_types::UNTYPED.to_string());
            let r = sink.report_by_type(
                c.at.0..c.at.1,
                types.chain(untyped).collect(),
                match (c.fallback && kind == g.data.kind, c.method) {
                    (false, _) => Fallback::No,
                    (true, "") => Fallback::Yes,
                    (true, m) => Fallback::UnlessMethod(m),
                },
                &LOCK_ACROSS_AWAIT,
                g.range.clone(),
                message,
            );
            finish(r, &g, help, fix);
        }
    }
}

/// The message, help and fix of a finding on `g`, a guard of kind `kind`.
fn parts(
    cx: &FileCx<'_>,
    g: &Tracked<LockData>,
    kind: Kind,
    body_text: &str,
) -> (String, String, Fix) {
    let acq_text = &g.data.acq_text;
    match g.hold {
        Hold::Named => {
            let name = g.name.clone().unwrap_or_default();
            let message = named_message(kind, &name, acq_text);
            match g.release.as_ref().map(|r| release_edit(cx, r, &name)) {
                Some((edit, true)) => (
                    message,
                    scope_help(&name),
                    Fix::unsafe_(
                        format!("scope `{name}` in a block that ends before the `.await`"),
                        vec![edit],
                    ),
                ),
                Some((edit, false)) => (
                    message,
                    drop_help(&name),
                    Fix::unsafe_(
                        format!("drop `{name}` before the first `.await`"),
                        vec![edit],
                    ),
                ),
                None => (
                    message,
                    named_help(kind, &name, g.ever_shadowed),
                    manual_fix(kind),
                ),
            }
        }
        Hold::Extended => (
            extended_message(kind, acq_text),
            named_help(kind, "", false),
            manual_fix(kind),
        ),
        Hold::Temp(ctx) => {
            let message = temp_message(kind, acq_text, ctx);
            match g.hoist.as_ref().and_then(|h| hoist_fix(cx, h, body_text)) {
                Some((awaited, fix)) => (message, temp_help(kind, ctx, Some(&awaited)), fix),
                None => (message, temp_help(kind, ctx, None), manual_fix(kind)),
            }
        }
    }
}

/// The edit releasing `name` early, and whether it scopes the guard in a block (preferred:
/// rustc's `Send` analysis is scope-based, so only a block makes the future `Send` again) rather
/// than inserting `drop(name);`.
fn release_edit(cx: &FileCx<'_>, r: &Release, name: &str) -> (Edit, bool) {
    let at = r.at;
    let text = cx.source.text();
    let prefix = line_prefix(text, at);
    let own_line = prefix.chars().all(|c| c == ' ' || c == '\t');
    match r.scope_from.filter(|_| own_line) {
        Some(start) => {
            let body = text.get(start..at).unwrap_or("").trim_end();
            let mut out = format!("{{\n{prefix}    ");
            for (k, line) in body.split('\n').enumerate() {
                if k > 0 {
                    out.push('\n');
                    if !line.trim().is_empty() {
                        out.push_str("    ");
                    }
                }
                out.push_str(line.trim_end_matches('\r'));
            }
            out.push_str(&format!("\n{prefix}}}\n{prefix}"));
            (Edit::replace(start..at, out), true)
        }
        None if own_line => (Edit::insert(at, format!("drop({name});\n{prefix}")), false),
        None => (Edit::insert(at, format!("drop({name}); ")), false),
    }
}

/// `let value = <awaited>;` before the statement, `value` in its place.
fn hoist_fix(cx: &FileCx<'_>, h: &Hoist, body_text: &str) -> Option<(String, Fix)> {
    let name = ["value", "awaited", "awaited_value"]
        .into_iter()
        .find(|n| !has_word(body_text, n))?;
    let awaited = cx.text(h.awaited.clone());
    if awaited.is_empty() || awaited.contains('\n') && awaited.len() > 200 {
        return None;
    }
    let text = cx.source.text();
    let line_start = text
        .get(..h.stmt_start)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |p| p + 1);
    let prefix = text.get(line_start..h.stmt_start).unwrap_or("");
    let sep = if prefix.chars().all(|c| c == ' ' || c == '\t') {
        format!("\n{prefix}")
    } else {
        " ".to_string()
    };
    let fix = Fix::unsafe_(
        "await before taking the guard",
        vec![
            Edit::insert(h.stmt_start, format!("let {name} = {awaited};{sep}")),
            Edit::replace(h.awaited.clone(), name),
        ],
    );
    let shown = if awaited.chars().count() <= 40 {
        awaited.to_string()
    } else {
        "<future>.await".to_string()
    };
    Some((shown, fix))
}

/// Attaches the labels, help and fix of a finding on `g`.
fn finish(r: Reported<'_>, g: &Tracked<LockData>, help: String, fix: Fix) {
    let mut r = r;
    for a in &g.crossed {
        r = r.label(a.clone(), "guard still held here");
    }
    if let Some((at, why)) = &g.end {
        r = r.label(at.clone(), end_label(*why));
    }
    r.help(help).fix(fix);
}

/// The label where a guard stopped living.
fn end_label(why: End) -> &'static str {
    match why {
        End::ScopeEnd | End::Dropped => "guard dropped here",
        End::Moved => "guard moved here",
        End::MovedIntoClosure => "guard moved into the closure here",
    }
}

fn manual_fix(kind: Kind) -> Fix {
    match kind {
        Kind::Lock => Fix::manual(
            "release the guard before the `.await`, or switch to `tokio::sync::Mutex`",
            Vec::new(),
        ),
        Kind::Borrow => Fix::manual("end the borrow before the `.await`", Vec::new()),
    }
}

/// The whitespace (or code) between the start of the line holding `at` and `at`.
fn line_prefix(text: &str, at: usize) -> &str {
    let line_start = text
        .get(..at)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |p| p + 1);
    text.get(line_start..at).unwrap_or("")
}

/// Whether `word` occurs in `text` as a whole identifier.
fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text.get(..i).and_then(|t| t.chars().next_back());
        let after = text.get(i + word.len()..).and_then(|t| t.chars().next());
        let is_id = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !is_id(before) && !is_id(after)
    })
}
