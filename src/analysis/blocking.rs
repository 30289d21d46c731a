//! The classifier the blocking rules and the walker share: is this call, method call or `for`
//! loop a known blocking API (of the catalog, [`crate::analysis::blocking_catalog`], or the
//! user's `blocking-apis`)? Method calls count only when the receiver's type is provable from syntax
//! in the same fn (a constructor chain, a typed `let` or parameter); a method named like a std
//! one on an unknown receiver is never a hit.

use std::ops::Range;

use syn::{Expr, ExprCall, ExprMethodCall};

use crate::analysis::context::{AsyncCtx, Scope};
use crate::analysis::file::FileCx;
use crate::analysis::imports::display;
use crate::analysis::paths;
use crate::analysis::retype;
use crate::analysis::rule::Rule;
use crate::analysis::settings::BlockingApiEntry;
use crate::analysis::settings::Runtime;
use crate::analysis::sink::{Reported, Sink};
use crate::analysis::typing::{Ty, infer};
use crate::diagnostic::{Edit, Fix};

pub use crate::analysis::blocking_catalog::{Api, CATALOG_TOML, Catalog, Effect, FixKind, catalog};
use crate::analysis::paths::last_segment;
use crate::semantic::names::with_ident;

/// Which catalog or config entry a hit matched.
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    /// A catalog entry.
    Catalog(&'static Api),
    /// A user-declared entry (`blocking-apis` in the config): a `blocking-call`.
    User(&'a BlockingApiEntry),
}

/// Where the hit is in the syntax.
#[derive(Clone, Copy)]
pub enum Site<'e> {
    /// `path(..)`.
    Call(&'e ExprCall),
    /// `recv.method(..)`.
    Method(&'e ExprMethodCall),
    /// `for x in recv` (the iterated expression).
    Iter(&'e Expr),
    /// A fn passed by path to an inline combinator: `.map(std::fs::read)`.
    FnPath(&'e syn::ExprPath),
}

/// A blocking API found at an expression.
#[derive(Clone)]
pub struct Hit<'a, 'e> {
    /// The rule that reports it.
    pub rule: &'a str,
    /// The API, for messages (`std::fs::read`, `std::process::Child::wait`).
    pub api: String,
    /// The matching entry.
    pub entry: Entry<'a>,
    /// Where it is.
    pub site: Site<'e>,
    /// For a method on a receiver phase 1 cannot type: the receiver's symbolic type and the
    /// type it must have for the hit to hold (settled in phase 2).
    pub when: Option<(u32, &'a str)>,
}

impl Hit<'_, '_> {
    /// The catalog entry, if the hit is not user-declared.
    pub fn api_entry(&self) -> Option<&'static Api> {
        match self.entry {
            Entry::Catalog(a) => Some(a),
            Entry::User(_) => None,
        }
    }
}

/// The rule id user-declared blocking APIs are reported under.
pub const USER_RULE: &str = "blocking-call";

fn user_match<'a>(
    entries: &'a [BlockingApiEntry],
    canon: &[String],
) -> Option<&'a BlockingApiEntry> {
    let local = match canon.first().map(String::as_str) {
        Some("crate" | "self" | "super") => &canon[1..],
        _ => canon,
    };
    let local: Vec<&str> = local
        .iter()
        .map(String::as_str)
        .filter(|s| *s != "super" && *s != "self")
        .collect();
    if local.is_empty() {
        return None;
    }
    entries.iter().find(|e| {
        let segs: Vec<&str> = e.path.split("::").collect();
        segs.len() >= local.len() && segs[segs.len() - local.len()..] == local[..]
    })
}

/// The blocking API a function path names (`std::fs::read`, an imported or renamed name, a
/// user-declared path): (rule, shown path, entry). A local binding of the name is not one.
fn classify_path<'a>(cx: &FileCx<'a>, path: &syn::Path) -> Option<(&'a str, String, Entry<'a>)> {
    let cat = catalog();
    let users = &cx.settings.blocking_apis;
    let single = path.segments.len() == 1 && path.leading_colon.is_none();
    // Whether the path may name a blocking API (and whether a user-declared one), read from the
    // last segment's text in place: most paths do not.
    let user_candidate = with_ident(&path.segments.last()?.ident, |written| {
        if single && cx.local(written).is_some() {
            return None;
        }
        // `use std::fs::read_to_string as slurp;`: the imported name counts.
        let imports = cx.imports.borrow();
        let imported = if single {
            imports.lookup(written)
        } else {
            None
        };
        let last = imported
            .and_then(|t| t.last())
            .map_or(written, String::as_str);
        let user_candidate = users.iter().any(|u| last_segment(&u.path) == last);
        let prefix_candidate = !cat.prefix_roots.is_empty()
            && with_ident(&path.segments.first()?.ident, |first| {
                let root = if path.leading_colon.is_none() {
                    imports.lookup(first).and_then(|t| t.first())
                } else {
                    None
                };
                cat.prefix_roots
                    .contains(root.map_or(first, String::as_str))
            });
        (cat.path_last.contains(last) || user_candidate || prefix_candidate)
            .then_some(user_candidate)
    })?;
    let canon = cx.resolve(path);
    let shown = display(&canon);
    let entry = if let Some(&i) = cat.by_path.get(&shown) {
        Entry::Catalog(cat.apis.get(i)?)
    } else if let Some((_, i)) = cat
        .prefixes
        .iter()
        .find(|(p, _)| shown.starts_with(p.as_str()) && shown[p.len()..].starts_with("::"))
    {
        Entry::Catalog(cat.apis.get(*i)?)
    } else if user_candidate {
        Entry::User(user_match(users, &canon)?)
    } else {
        return None;
    };
    let rule = match entry {
        Entry::Catalog(a) => a.rule.as_str(),
        Entry::User(_) => USER_RULE,
    };
    Some((rule, shown, entry))
}

/// A blocking fn passed by path to an inline combinator (`.map(std::fs::read)`): it is called
/// right there, on this thread.
fn point_free<'a, 'e>(cx: &FileCx<'a>, m: &'e ExprMethodCall) -> Option<Hit<'a, 'e>> {
    if !paths::is_inline_combinator(&m.method) {
        return None;
    }
    m.args.iter().find_map(|arg| match paths::peel(arg) {
        Expr::Path(p) if p.qself.is_none() => {
            let (rule, api, entry) = classify_path(cx, &p.path)?;
            Some(Hit {
                rule,
                api,
                entry,
                site: Site::FnPath(p),
                when: None,
            })
        }
        _ => None,
    })
}

/// Classifies `e` (a call, method call or `for` loop) as a blocking API, or None.
pub fn classify<'a, 'e>(cx: &FileCx<'a>, e: &'e Expr) -> Option<Hit<'a, 'e>> {
    let cat = catalog();
    match e {
        Expr::Call(c) => {
            let path = paths::call_path(c)?;
            let (rule, api, entry) = classify_path(cx, path)?;
            if matches!(entry, Entry::Catalog(a) if a.trait_method == Some(true))
                && c.args.first().is_some_and(|recv| no_lookup_shown(cx, recv))
            {
                return None;
            }
            Some(Hit {
                rule,
                api,
                entry,
                site: Site::Call(c),
                when: None,
            })
        }
        Expr::MethodCall(m) => {
            let name = m.method.to_string();
            if let Some((tr, i)) = cat.trait_methods.get(&name) {
                let api = cat.apis.get(*i).filter(|_| cx.in_scope(tr))?;
                if no_lookup_shown(cx, &m.receiver) {
                    return None;
                }
                return Some(Hit {
                    rule: api.rule.as_str(),
                    api: format!("{tr}::{name}"),
                    entry: Entry::Catalog(api),
                    site: Site::Method(m),
                    when: None,
                });
            }
            if !cat.api_methods.contains(&name) {
                return point_free(cx, m);
            }
            let Ty::One(t) = infer(cx, &m.receiver)? else {
                return None;
            };
            let api = cat.apis.get(*cat.by_method.get(t)?.get(&name)?)?;
            if !api.enabled(cx.settings) {
                return None;
            }
            Some(Hit {
                rule: api.rule.as_str(),
                api: format!("{t}::{name}"),
                entry: Entry::Catalog(api),
                site: Site::Method(m),
                when: None,
            })
        }
        Expr::ForLoop(f) => {
            let (inner, method) = match paths::peel(&f.expr) {
                Expr::Reference(r) => (&*r.expr, "iter"),
                other => (other, "into_iter"),
            };
            if !matches!(paths::peel(inner), Expr::Path(_)) {
                return None;
            }
            let Ty::One(t) = infer(cx, inner)? else {
                return None;
            };
            let api = cat.apis.get(*cat.by_method.get(t)?.get(method)?)?;
            Some(Hit {
                rule: api.rule.as_str(),
                api: t.to_string(),
                entry: Entry::Catalog(api),
                site: Site::Iter(&f.expr),
                when: None,
            })
        }
        _ => None,
    }
}

/// Whether a catalogued trait method (`std::net::ToSocketAddrs::to_socket_addrs`, the only one)
/// on `recv` is not shown to block: its impl is the receiver type's, and only a name lookup
/// blocks. A receiver declared with a type parameter of its fn may be a `SocketAddr` (the caller
/// picks the impl), and a literal address (`"127.0.0.1:80"`, `("10.0.0.1", 80)`) is parsed
/// without a lookup. Unknown means no finding.
fn no_lookup_shown(cx: &FileCx<'_>, recv: &Expr) -> bool {
    let literal = |e: &Expr| match paths::peel(e) {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some(s.value()),
        _ => None,
    };
    let mut e = paths::peel(recv);
    while let Expr::Reference(r) = e {
        e = paths::peel(&r.expr);
    }
    match e {
        Expr::Path(p) if p.qself.is_none() => p
            .path
            .get_ident()
            .is_some_and(|id| cx.local_is_generic(&id.to_string())),
        Expr::Lit(_) => literal(e).is_some_and(|s| s.parse::<std::net::SocketAddr>().is_ok()),
        Expr::Tuple(t) if t.elems.len() == 2 => {
            literal(&t.elems[0]).is_some_and(|s| s.parse::<std::net::IpAddr>().is_ok())
        }
        _ => false,
    }
}

/// Whether `e`, a runtime constructor (`Runtime::new()`, `Builder::..build()`), initializes a
/// `let` (through `?`, `.unwrap()`, `.expect(..)`) whose runtime only moves into threads
/// ([`crate::analysis::offload::moved_into_offloaded`]): it is neither blocked on nor dropped
/// in the code that builds it, which is what panics in async code.
pub fn runtime_moved_off(cx: &FileCx<'_>, e: &Expr) -> bool {
    cx.let_moved_off(cx.range(e))
}

/// The hits at `e`: what [`classify`] proves, else, for a catalogued method on a receiver whose
/// type only the crate knows (`self.rx.recv()`, a parameter of an alias type), one conditional
/// hit per catalogued type with that method (see [`Hit::when`]).
pub fn classify_all<'a, 'e>(cx: &FileCx<'a>, e: &'e Expr) -> Vec<Hit<'a, 'e>> {
    // The expression the walk is at was already asked (by another rule, or the facts) and has
    // none: the answer depends only on the expression and the bindings, which do not change
    // while its hooks run.
    let at = e as *const Expr as usize;
    let (walked, known_none) = cx.walked_expr.get();
    if walked == at && known_none {
        return Vec::new();
    }
    let hits = classify_all_uncached(cx, e);
    if walked == at && hits.is_empty() {
        cx.walked_expr.set((at, true));
    }
    hits
}

fn classify_all_uncached<'a, 'e>(cx: &FileCx<'a>, e: &'e Expr) -> Vec<Hit<'a, 'e>> {
    if polls_without_waiting(e) {
        return Vec::new();
    }
    if let Some(hit) = classify(cx, e) {
        return vec![hit];
    }
    let Expr::MethodCall(m) = e else {
        return Vec::new();
    };
    let cat = catalog();
    if !with_ident(&m.method, |name| cat.api_methods.contains(name)) {
        return Vec::new();
    }
    let name = m.method.to_string();
    // A binding's source is read once per binding (memoized), so this stays cheap.
    let sym = crate::analysis::syms::sym_of(cx, &m.receiver);
    if sym == crate::semantic::items::NONE {
        return Vec::new();
    }
    let mut hits: Vec<Hit<'a, 'e>> = cat
        .by_method
        .iter()
        .filter_map(|(ty, methods)| {
            let api = cat
                .apis
                .get(*methods.get(&name)?)
                .filter(|a| a.enabled(cx.settings))?;
            Some(Hit {
                rule: api.rule.as_str(),
                api: format!("{ty}::{name}"),
                entry: Entry::Catalog(api),
                site: Site::Method(m),
                when: Some((sym, ty.as_str())),
            })
        })
        .collect();
    hits.sort_by(|a, b| a.api.cmp(&b.api));
    hits
}

/// Whether `e` is a timed wait given no time to wait: a `*_timeout` call (`recv_timeout`,
/// `wait_timeout`, `park_timeout`) with a literal `Duration` of at most a microsecond
/// (`Duration::ZERO`, `Duration::from_nanos(1)`, `Duration::from_millis(0)`): it checks and
/// returns at once, a poll rather than a wait, so it blocks nothing.
fn polls_without_waiting(e: &Expr) -> bool {
    // The arguments first: testing them allocates nothing, and they rarely hold a `Duration`.
    let (name, args) = match e {
        Expr::MethodCall(m) => (Some(&m.method), &m.args),
        Expr::Call(c) => (paths::call_last_segment(c), &c.args),
        _ => return false,
    };
    args.iter().any(is_instant) && name.is_some_and(|n| n.to_string().contains("_timeout"))
}

/// Whether `e` is a literal `Duration` of at most a microsecond.
fn is_instant(e: &Expr) -> bool {
    /// The last segment of a `Duration::item` path.
    fn duration_item(path: &syn::Path) -> Option<&syn::Ident> {
        let mut rev = path.segments.iter().rev();
        match (rev.next(), rev.next()) {
            (Some(item), Some(ty)) if ty.ident == "Duration" => Some(&item.ident),
            _ => None,
        }
    }
    let e = paths::peel(e);
    if let Expr::Path(p) = e {
        return duration_item(&p.path).is_some_and(|i| i == "ZERO");
    }
    let Expr::Call(c) = e else {
        return false;
    };
    let Some(ctor) = paths::call_path(c).and_then(duration_item) else {
        return false;
    };
    let int = |i: usize| match c.args.get(i).map(paths::peel) {
        Some(Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(n),
            ..
        })) => n.base10_parse::<u64>().ok(),
        _ => None,
    };
    match (ctor.to_string().as_str(), c.args.len()) {
        ("from_nanos", 1) => int(0).is_some_and(|n| n <= 1_000),
        ("from_micros", 1) => int(0).is_some_and(|n| n <= 1),
        ("from_millis" | "from_secs", 1) => int(0) == Some(0),
        ("new", 2) => int(0) == Some(0) && int(1).is_some_and(|n| n <= 1_000),
        _ => false,
    }
}

/// Reports `hit` under `rule`: at once, or conditionally on its receiver's type.
pub fn report_hit<'s>(
    sink: &'s mut Sink<'_>,
    hit: &Hit<'_, '_>,
    rule: &'static Rule,
    range: Range<usize>,
    message: String,
) -> Reported<'s> {
    match hit.when {
        None => sink.report(rule, range, message),
        Some((sym, ty)) => sink.report_if_type(sym, vec![ty.to_string()], rule, range, message),
    }
}

/// The byte range a hit's diagnostic covers.
pub fn hit_range(cx: &FileCx<'_>, e: &Expr, hit: &Hit<'_, '_>) -> Range<usize> {
    match hit.site {
        Site::Iter(it) => cx.range(it),
        Site::FnPath(p) => cx.range(p),
        _ => cx.range(e),
    }
}

/// The constructor call a method chain starts from (`Command::new("x")` in
/// `Command::new("x").arg("y").output()`), with its canonical path.
fn root_ctor<'e>(cx: &FileCx<'_>, mut e: &'e Expr) -> Option<(&'e ExprCall, String)> {
    loop {
        match e {
            Expr::MethodCall(m) => e = &m.receiver,
            Expr::Try(t) => e = &t.expr,
            Expr::Paren(p) => e = &p.expr,
            Expr::Group(g) => e = &g.expr,
            Expr::Call(c) => {
                let path = paths::call_path(c)?;
                let canon = display(&cx.resolve(path));
                return catalog().ctors.contains_key(&canon).then_some((c, canon));
            }
            _ => return None,
        }
    }
}

/// The runtime's way to run a closure on its blocking pool, around `call`.
pub fn offload_pattern(rt: Runtime, call: &str) -> String {
    crate::analysis::templates::offload(rt, call, &[])
}

/// The call's text for a help message, or `..` when it is long or spans lines.
pub fn short_text(text: &str) -> &str {
    if text.len() > 60 || text.contains('\n') {
        ".."
    } else {
        text
    }
}

/// The fix replacing a blocking call by `replacement` (`edits`), checked for what it changes:
/// a value of another type (a tokio `File`, `TcpStream`..) is an edit only when every later use
/// is rewritten with it ([`retype::follow`]), and a tokio path or trait needing a feature the
/// crate does not enable makes the fix manual, naming the feature.
#[allow(clippy::too_many_arguments)]
fn typed_fix(
    cx: &FileCx<'_>,
    rt: Runtime,
    replacement: &str,
    range: Range<usize>,
    mut edits: Vec<Edit>,
    mut help: String,
    msg: String,
    pattern: &str,
) -> (String, Fix) {
    let mut traits = Vec::new();
    if retype::changes_type(replacement) {
        let followed = match retype::Target::of_replacement(replacement) {
            Some(target) if rt == Runtime::Tokio => retype::follow(cx, range, target),
            _ => Err("the fix cannot follow its uses for this runtime".to_string()),
        };
        match followed {
            Ok(rw) => {
                edits.extend(rw.edits);
                let missing: Vec<&str> =
                    rw.traits.into_iter().filter(|t| !cx.in_scope(t)).collect();
                if let (false, Some((at, indent))) = (missing.is_empty(), rw.use_at) {
                    let text: String = missing
                        .iter()
                        .map(|t| format!("\n{indent}use {t};"))
                        .collect();
                    edits.push(Edit::insert(at, text));
                }
                traits = missing;
                if !traits.is_empty() {
                    let names: Vec<String> = traits.iter().map(|t| format!("`{t}`")).collect();
                    help = format!(
                        "{help}; the uses of the value are awaited with {}",
                        names.join(", ")
                    );
                }
            }
            Err(why) => {
                let help = format!(
                    "`{replacement}` returns another type and {why}: rewrite its uses for the async type, or run the blocking work on the blocking pool: `{pattern}`"
                );
                return (
                    help,
                    Fix::manual(
                        format!("switch to `{replacement}` and rewrite the value's uses by hand"),
                        Vec::new(),
                    ),
                );
            }
        }
    }
    if rt != Runtime::Tokio {
        return (help, Fix::unsafe_(msg, edits));
    }
    let mut paths = vec![replacement];
    paths.extend(traits);
    crate::tokio_features::gate(cx.tokio_features(), &paths, help, Fix::unsafe_(msg, edits))
}

/// The help text and fix for a blocking-fs / blocking-call hit: the runtime's async
/// replacement (unsafe edit) where there is one, else the blocking-pool pattern (manual).
/// Reports `e` under `rule` when it is, in an async context, a direct call of a catalog API
/// whose rule is `rule`: the shared body of the direct-call blocking rules.
pub fn report_direct(
    cx: &FileCx<'_>,
    scope: &Scope,
    e: &Expr,
    sink: &mut Sink<'_>,
    rule: &'static Rule,
    message: fn(&Hit<'_, '_>, &AsyncCtx) -> String,
) {
    let Some(owner) = &scope.async_ctx else {
        return;
    };
    for hit in classify_all(cx, e).iter().filter(|h| h.rule == rule.id) {
        let (help, fix) = blocking_fix(cx, scope, e, hit);
        report_hit(sink, hit, rule, hit_range(cx, e, hit), message(hit, owner))
            .label(owner.range.clone(), "async context starts here")
            .help(help)
            .fix(fix);
    }
}

pub fn blocking_fix(cx: &FileCx<'_>, scope: &Scope, e: &Expr, hit: &Hit<'_, '_>) -> (String, Fix) {
    let rt = cx.runtime();
    let range = hit_range(cx, e, hit);
    let (replacement, kind, custom_help) = match hit.entry {
        Entry::Catalog(api) => {
            let r = api.replacement(rt);
            let kind = api.fix.unwrap_or(if r.is_some() {
                FixKind::Direct
            } else {
                FixKind::SpawnBlocking
            });
            (r, kind, api.help.as_deref())
        }
        Entry::User(u) => (
            u.replacement.as_deref(),
            if u.replacement.is_some() {
                FixKind::Direct
            } else {
                FixKind::SpawnBlocking
            },
            None,
        ),
    };
    let text = cx.text(range.clone()).to_string();
    if let Site::FnPath(_) = hit.site {
        let help = match replacement {
            Some(r) if scope.can_await() => format!(
                "await `{r}` in a loop (or a stream) instead of passing `{text}` to an iterator adapter"
            ),
            _ => format!(
                "run the whole iteration on the blocking pool: `{}`",
                offload_pattern(rt, "..")
            ),
        };
        return (
            help,
            Fix::manual("call the blocking fn off the executor thread", Vec::new()),
        );
    }
    let pattern = offload_pattern(rt, short_text(&text));
    if !scope.can_await() {
        let help = custom_help.map_or_else(
            || {
                format!(
                    "move the call out of the closure, into async code, and run it with `{pattern}`"
                )
            },
            str::to_string,
        );
        return (
            help,
            Fix::manual(
                "move the call out of the sync closure and off the executor thread",
                Vec::new(),
            ),
        );
    }
    if kind == FixKind::Direct
        && let Some(r) = replacement
    {
        match hit.site {
            Site::Call(c) => {
                let edits = vec![
                    Edit::replace(cx.range(&c.func), r),
                    Edit::insert(range.end, ".await"),
                ];
                let help = format!("use `{r}(..).await`, which does not block the executor thread");
                let msg = format!("replace with `{r}(..).await`");
                return typed_fix(cx, rt, r, range, edits, help, msg, &pattern);
            }
            Site::Method(m) => {
                if let Some((root, canon)) = root_ctor(cx, &m.receiver)
                    && matches!(last_segment(&canon), "new" | "options")
                {
                    let edits = vec![
                        Edit::replace(cx.range(&root.func), format!("{r}::new")),
                        Edit::insert(range.end, ".await"),
                    ];
                    let help = format!(
                        "build a `{r}` and await `.{}()`, which does not block the executor thread",
                        m.method
                    );
                    let msg = format!("use `{r}` and await `.{}()`", m.method);
                    return typed_fix(cx, rt, r, range, edits, help, msg, &pattern);
                }
            }
            Site::Iter(_) | Site::FnPath(_) => {}
        }
    }
    if kind == FixKind::None {
        let help = custom_help.map_or_else(
            || format!("run the blocking work on the blocking pool: `{pattern}`"),
            str::to_string,
        );
        return (
            help,
            Fix::manual("move the blocking work off the executor thread", Vec::new()),
        );
    }
    // Buffers the call borrows mutably are moved into the closure and handed back, so the
    // shown code compiles (and the help shows the same code as the fix).
    let owned = crate::analysis::templates::borrowed_mut(e);
    let offloaded = crate::analysis::templates::offload(rt, &text, &owned);
    let help = match custom_help {
        Some(h) => h.to_string(),
        None if owned.is_empty() => {
            format!("run it on the blocking pool: `{pattern}` (clone what the closure borrows)")
        }
        None => format!(
            "run it on the blocking pool, moving `{}` into the closure and back out: `{}`",
            owned.join("`, `"),
            crate::analysis::templates::offload(rt, short_text(&text), &owned)
        ),
    };
    let edit = Edit::replace(range, offloaded);
    let verb = match rt {
        Runtime::Tokio => "`tokio::task::spawn_blocking`",
        Runtime::AsyncStd => "`async_std::task::spawn_blocking`",
        Runtime::Smol => "`smol::unblock`",
    };
    (
        help,
        Fix::manual(format!("wrap the call in {verb}"), vec![edit]),
    )
}
