//! Where rules report the findings of one file ([`Sink`]), and the facts recorded beside them
//! for the crate-wide phase.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use crate::analysis::facts::{
    ClientBuild, DiscardedCall, DroppedCall, HeldDiagnostic, Pending, SelectFacts,
};
use crate::diagnostic::{Diagnostic, Fix, Label, RuleMeta};
use crate::semantic::names::intern;

/// Where rules report findings for one file.
pub struct Sink<'a> {
    path: &'a Arc<PathBuf>,
    diagnostics: Vec<Diagnostic>,
    discarded: Vec<DiscardedCall>,
    pending: Vec<Pending>,
    client_builds: Vec<ClientBuild>,
    dropped_calls: Vec<DroppedCall>,
    select: SelectFacts,
    /// Findings of `file` hooks waiting for the walk to type an expression, by the expression's
    /// file byte range (see [`Sink::report_by_type`]).
    deferred: std::collections::HashMap<(usize, usize), Vec<Deferred>>,
    /// Every async body a file hook analysed, and the values alive in them that must not be
    /// held across an `.await` (see [`Sink::record_held`], [`Sink::gate_new_awaits`]).
    bodies: Vec<Range<usize>>,
    held: Vec<Held>,
}

/// A value that must not live across an `.await` (a synchronous lock guard, a `RefCell`
/// borrow), alive over `live` in the async body `body`.
struct Held {
    live: Range<usize>,
    body: Range<usize>,
    name: String,
}

/// A finding whose condition is the type of an expression the file hook that found it could
/// not type: see [`Sink::report_by_type`].
struct Deferred {
    types: Vec<String>,
    fallback: Fallback,
    also: Option<(u32, Vec<String>)>,
    diagnostic: Diagnostic,
}

/// What a finding of [`Sink::report_by_type`] does when nothing types its expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// It is dropped.
    No,
    /// It is reported.
    Yes,
    /// It is reported unless a type of the crate declares a method of this name: the call that
    /// made the expression a candidate (`key.borrow()`) may be that method rather than the
    /// library's (`RefCell::borrow`). The veto also applies when the expression has a symbolic
    /// type the crate cannot resolve ([`crate::analysis::lib_types::UNTYPED`]).
    UnlessMethod(&'static str),
}

impl From<bool> for Fallback {
    fn from(yes: bool) -> Fallback {
        if yes { Fallback::Yes } else { Fallback::No }
    }
}

/// A just-reported diagnostic, to attach labels, help and a fix to.
pub struct Reported<'s>(&'s mut Diagnostic);

impl Reported<'_> {
    /// Adds a secondary label.
    pub fn label(self, range: Range<usize>, message: impl Into<String>) -> Self {
        self.0.labels.push(Label {
            range,
            message: message.into(),
        });
        self
    }

    /// Sets the help text (what to write instead).
    pub fn help(self, help: impl Into<String>) -> Self {
        self.0.help = Some(help.into());
        self
    }

    /// Attaches a fix, if there is one.
    pub fn fix(self, fix: impl Into<Option<Fix>>) -> Self {
        self.0.fix = fix.into();
        self
    }
}

impl<'a> Sink<'a> {
    /// A sink for the diagnostics of `path`.
    pub fn new(path: &'a Arc<PathBuf>) -> Self {
        Sink {
            path,
            diagnostics: Vec::new(),
            discarded: Vec::new(),
            pending: Vec::new(),
            client_builds: Vec::new(),
            dropped_calls: Vec::new(),
            select: SelectFacts::default(),
            deferred: std::collections::HashMap::new(),
            bodies: Vec::new(),
            held: Vec::new(),
        }
    }

    /// Takes the bodies and held values `other` recorded (a scratch sink of a rule that ran only
    /// for them).
    pub fn adopt_held(&mut self, other: Sink<'_>) {
        self.bodies.extend(other.bodies);
        self.held.extend(other.held);
    }

    /// Records an async body a file hook analysed (the bodies nested in it are separate futures).
    pub fn record_body(&mut self, body: Range<usize>) {
        self.bodies.push(body);
    }

    /// Records `name`, a value alive over `live` in the async body `body` that must not be held
    /// across an `.await`: a fix adding an `.await` there would hold it across a suspension
    /// point (a lock held while waiting, and a future that is no longer `Send`).
    pub fn record_held(&mut self, live: Range<usize>, body: Range<usize>, name: String) {
        self.held.push(Held { live, body, name });
    }

    /// The value recorded by [`Sink::record_held`] that an `.await` written at `at` would be
    /// held across.
    pub fn held_at(&self, at: usize) -> Option<&str> {
        let body = self
            .bodies
            .iter()
            .filter(|b| b.start <= at && at < b.end)
            .min_by_key(|b| b.end - b.start)?;
        self.held
            .iter()
            .find(|h| h.body == *body && h.live.start < at && at <= h.live.end)
            .map(|h| h.name.as_str())
    }

    /// Makes manual every applicable fix that writes a new `.await` (`text` is the file's) where
    /// a recorded value is alive: the result would hold a lock guard or a borrow across the
    /// `.await`, and a future holding a std guard is not `Send` (`tokio::spawn` rejects it).
    pub fn gate_new_awaits(&mut self, text: &str) {
        if self.held.is_empty() {
            return;
        }
        let mut diagnostics = std::mem::take(&mut self.diagnostics);
        for d in &mut diagnostics {
            self.gate_one(text, d);
        }
        self.diagnostics = diagnostics;
        let mut pending = std::mem::take(&mut self.pending);
        for p in &mut pending {
            if let Some(d) = p.diagnostic.get_mut() {
                self.gate_one(text, d);
            }
        }
        self.pending = pending;
        let mut discarded = std::mem::take(&mut self.discarded);
        for c in &mut discarded {
            if c.can_await
                && let Some(name) = self.held_at(c.range.end)
            {
                c.held_across_await = Some(name.to_string());
            }
        }
        self.discarded = discarded;
    }

    fn gate_one(&self, text: &str, d: &mut Diagnostic) {
        let Some(fix) = d.fix.as_ref() else {
            return;
        };
        if fix.applicability == crate::diagnostic::Applicability::Manual {
            return;
        }
        let name = fix.edits.iter().find_map(|e| {
            let before = text.get(e.range.clone()).unwrap_or("");
            let adds = e.replacement.matches(".await").count() > before.matches(".await").count();
            if adds {
                self.held_at(e.range.start)
            } else {
                None
            }
        });
        let Some(name) = name else {
            return;
        };
        let why = held_help(name);
        let fix = d.fix.take().expect("checked");
        d.help = Some(match d.help.take() {
            Some(h) => format!("{h} ({why})"),
            None => why,
        });
        d.fix = Some(Fix::manual(
            format!("{} after releasing `{name}`", fix.message),
            fix.edits,
        ));
    }

    /// Records a discarded call as a fact for the resolution phase (see [`FileFacts::discarded`](crate::analysis::facts::FileFacts::discarded)).
    pub fn record_discarded(&mut self, call: DiscardedCall) {
        self.discarded.push(call);
    }

    /// Records a fn that builds a client on every call (see [`FileFacts::client_builds`]).
    ///
    /// [`FileFacts::client_builds`]: crate::analysis::facts::FileFacts::client_builds
    pub fn record_client_build(&mut self, build: ClientBuild) {
        self.client_builds.push(build);
    }

    /// Records a dropped call that may be a task handle (see [`FileFacts::dropped_calls`]).
    ///
    /// [`FileFacts::dropped_calls`]: crate::analysis::facts::FileFacts::dropped_calls
    pub fn record_dropped_call(&mut self, call: DroppedCall) {
        self.dropped_calls.push(call);
    }

    /// Takes the dropped calls recorded so far.
    pub fn take_dropped_calls(&mut self) -> Vec<DroppedCall> {
        std::mem::take(&mut self.dropped_calls)
    }

    /// The `select!` facts of this file, to record into (see [`SelectFacts`]).
    pub fn select_facts(&mut self) -> &mut SelectFacts {
        &mut self.select
    }

    /// Takes the `select!` facts recorded so far.
    pub fn take_select_facts(&mut self) -> SelectFacts {
        std::mem::take(&mut self.select)
    }

    /// Takes the client-build facts recorded so far.
    pub fn take_client_builds(&mut self) -> Vec<ClientBuild> {
        std::mem::take(&mut self.client_builds)
    }

    /// Takes the discarded-call facts recorded so far.
    pub fn take_discarded(&mut self) -> Vec<DiscardedCall> {
        std::mem::take(&mut self.discarded)
    }

    /// Reports a finding of `rule` at `range`.
    pub fn report(
        &mut self,
        rule: &'static RuleMeta,
        range: Range<usize>,
        message: impl Into<String>,
    ) -> Reported<'_> {
        let d = self.diagnostic(rule, range, message.into());
        self.diagnostics.push(d);
        Reported(self.diagnostics.last_mut().expect("just pushed"))
    }

    /// Reports a finding of `rule` at `range` that holds only if the expression of symbolic
    /// type `sym` ([`crate::analysis::syms::sym_of`]) has one of `types` (canonical paths,
    /// after autoderef): phase 2 decides.
    pub fn report_if_type(
        &mut self,
        sym: u32,
        types: Vec<String>,
        rule: &'static RuleMeta,
        range: Range<usize>,
        message: impl Into<String>,
    ) -> Reported<'_> {
        let diagnostic = self.diagnostic(rule, range, message.into());
        self.pending.push(Pending {
            sym,
            types: interned(&types),
            also: None,
            unless_method: None,
            diagnostic: HeldDiagnostic::new(diagnostic),
        });
        Reported(
            self.pending
                .last_mut()
                .expect("just pushed")
                .diagnostic
                .get_mut()
                .expect("open until the file's facts are taken"),
        )
    }

    /// A bare diagnostic of `rule` in this file.
    fn diagnostic(
        &self,
        rule: &'static RuleMeta,
        range: Range<usize>,
        message: String,
    ) -> Diagnostic {
        Diagnostic {
            rule,
            severity: rule.severity,
            message,
            path: Arc::clone(self.path),
            range,
            labels: Vec::new(),
            help: None,
            fix: None,
        }
    }

    /// Reports a finding of `rule` at `range` that holds only if the expression at `at` (a file
    /// byte range) has one of `types`, for `file` hooks, which run before the walk knows the
    /// bindings an expression sees. When the walk reaches that expression it is settled
    /// ([`Sink::settle_deferred`]): an expression with a symbolic type becomes a
    /// [`Sink::report_if_type`] finding; one without (or never reached) is reported as
    /// `fallback` says.
    #[allow(clippy::too_many_arguments)]
    pub fn report_by_type(
        &mut self,
        at: Range<usize>,
        types: Vec<String>,
        fallback: impl Into<Fallback>,
        rule: &'static RuleMeta,
        range: Range<usize>,
        message: impl Into<String>,
    ) -> Reported<'_> {
        let diagnostic = self.diagnostic(rule, range, message.into());
        let waiting = self.deferred.entry((at.start, at.end)).or_default();
        waiting.push(Deferred {
            types,
            fallback: fallback.into(),
            also: None,
            diagnostic,
        });
        Reported(&mut waiting.last_mut().expect("just pushed").diagnostic)
    }

    /// [`Sink::report_by_type`] (without fallback) with a second condition: the expression of
    /// symbolic type `also.0` must have one of `also.1` too.
    pub fn report_by_types(
        &mut self,
        at: Range<usize>,
        types: Vec<String>,
        also: (u32, Vec<String>),
        rule: &'static RuleMeta,
        range: Range<usize>,
        message: impl Into<String>,
    ) -> Reported<'_> {
        let diagnostic = self.diagnostic(rule, range, message.into());
        let waiting = self.deferred.entry((at.start, at.end)).or_default();
        waiting.push(Deferred {
            types,
            fallback: Fallback::No,
            also: Some(also),
            diagnostic,
        });
        Reported(&mut waiting.last_mut().expect("just pushed").diagnostic)
    }

    /// Whether findings wait for the type of an expression ([`Sink::report_by_type`]).
    pub fn has_deferred(&self) -> bool {
        !self.deferred.is_empty()
    }

    /// Settles the findings waiting for the expression at `at` (a file byte range), whose
    /// symbolic type `sym` computes ([`crate::semantic::items::NONE`]: none).
    pub fn settle_deferred(&mut self, at: &Range<usize>, sym: impl FnOnce() -> u32) {
        let Some(now) = self.deferred.remove(&(at.start, at.end)) else {
            return;
        };
        let sym = sym();
        for d in now {
            self.settle_one(d, sym);
        }
    }

    fn settle_one(&mut self, d: Deferred, sym: u32) {
        let unless_method = match d.fallback {
            Fallback::UnlessMethod(m) => Some(intern(m)),
            _ => None,
        };
        if sym != crate::semantic::items::NONE {
            self.pending.push(Pending {
                sym,
                types: interned(&d.types),
                also: d.also.map(|(sym, types)| (sym, interned(&types))),
                unless_method,
                diagnostic: HeldDiagnostic::new(d.diagnostic),
            });
        } else if unless_method.is_some() {
            // Untyped: phase 2 knows whether the crate declares the method.
            self.pending.push(Pending {
                sym,
                types: Box::new([]),
                also: None,
                unless_method,
                diagnostic: HeldDiagnostic::new(d.diagnostic),
            });
        } else if d.fallback == Fallback::Yes {
            self.diagnostics.push(d.diagnostic);
        }
    }

    /// Settles the findings whose expression the walk never reached: as if it had no type.
    pub fn finish_deferred(&mut self) {
        let mut waiting: Vec<_> = std::mem::take(&mut self.deferred).into_iter().collect();
        waiting.sort_by_key(|(at, _)| *at);
        for (_, ds) in waiting {
            for d in ds {
                self.settle_one(d, crate::semantic::items::NONE);
            }
        }
    }

    /// Takes the pending findings recorded so far.
    pub fn take_pending(&mut self) -> Vec<Pending> {
        let mut pending = std::mem::take(&mut self.pending);
        for p in &mut pending {
            p.diagnostic.seal();
        }
        pending
    }

    /// The diagnostics reported so far.
    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }
}

/// Why a fix adding an `.await` where `name` is alive is not applied.
pub fn held_help(name: &str) -> String {
    format!(
        "not applied: the `.await` it adds would hold `{name}` across a suspension point (a lock guard keeps its lock while waiting; a guard, a `RefCell` borrow or an `Rc` makes the future not `Send`); release it in a block that ends before the call first"
    )
}

/// `types` as the run's shared names.
fn interned(types: &[String]) -> Box<[Arc<str>]> {
    types.iter().map(|t| intern(t)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Family, FixAvailability, Severity};

    static RULE: RuleMeta = RuleMeta {
        id: "some-rule",
        family: Family::Meta,
        severity: Severity::Warning,
        summary: "",
        fix: FixAvailability::Never,
        default_enabled: true,
        docs: "",
    };

    #[test]
    fn deferred_findings_take_the_type_of_the_expression_they_wait_for() {
        let path = Arc::new(PathBuf::from("a.rs"));
        let mut sink = Sink::new(&path);
        let rule = &RULE;
        let types = vec!["tokio::task::JoinHandle".to_string()];
        sink.report_by_type(10..12, types.clone(), false, rule, 0..20, "reached");
        sink.report_by_type(30..32, types.clone(), false, rule, 25..40, "never reached");
        sink.report_by_type(
            10..12,
            types.clone(),
            false,
            rule,
            50..60,
            "same expression",
        );
        sink.report_by_type(
            40..42,
            types.clone(),
            true,
            rule,
            60..70,
            "untyped, fallback",
        );
        sink.report_by_type(
            44..46,
            types.clone(),
            false,
            rule,
            70..80,
            "untyped, no fallback",
        );
        sink.report_by_type(
            48..50,
            types,
            Fallback::UnlessMethod("borrow"),
            rule,
            80..90,
            "untyped, unless the crate declares `borrow`",
        );
        assert!(sink.has_deferred());
        let mut calls = 0;
        sink.settle_deferred(&(10..13), || {
            calls += 1;
            7
        });
        sink.settle_deferred(&(10..12), || {
            calls += 1;
            7
        });
        assert_eq!(calls, 1, "typed once, and only for a waited-for range");
        sink.settle_deferred(&(40..42), || crate::semantic::items::NONE);
        sink.settle_deferred(&(44..46), || crate::semantic::items::NONE);
        sink.settle_deferred(&(48..50), || crate::semantic::items::NONE);
        sink.finish_deferred();
        assert!(!sink.has_deferred());
        // Still open (`take_pending` seals them, and this test rule has no id to decode by).
        let mut pending = std::mem::take(&mut sink.pending);
        let kept: Vec<(&str, u32, Option<&str>)> = pending
            .iter_mut()
            .map(|p| {
                let unless = p.unless_method.as_deref();
                let message = p.diagnostic.get_mut().map_or("", |d| d.message.as_str());
                (message, p.sym, unless)
            })
            .collect();
        let none = crate::semantic::items::NONE;
        assert_eq!(
            kept,
            vec![
                ("reached", 7, None),
                ("same expression", 7, None),
                (
                    "untyped, unless the crate declares `borrow`",
                    none,
                    Some("borrow")
                ),
            ]
        );
        let reported: Vec<String> = sink
            .into_diagnostics()
            .into_iter()
            .map(|d| d.message)
            .collect();
        assert_eq!(reported, vec!["untyped, fallback"]);
    }
}
