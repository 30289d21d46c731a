//! async-lint: a static-analysis linter for the pitfalls of async Rust.
//!
//! The library does all the work and never prints; the binaries are thin wrappers around
//! [`run::run`]. The pipeline is: [`discover`] files, lint each one in parallel
//! ([`lint::lint_file`]: read, pre-scan, parse once, one shared walk calling every enabled rule),
//! resolve cross-file facts once ([`analysis::index`]), apply suppressions, sort, and [`render`].

pub mod allocator;
pub mod analysis;
pub mod baseline;
pub mod budget;
pub mod cache;
pub mod cache_root;
pub mod cargo_cmd;
pub mod cli;
pub mod config;
pub mod crate_phase;
pub mod diagnostic;
pub mod discover;
pub mod fix;
pub mod fsutil;
#[doc(hidden)]
pub mod fuzzing;
pub mod git;
pub mod lint;
pub mod options;
pub mod outcome;
pub mod partial;
pub mod paths;
pub mod project;
pub mod render;
pub mod rules;
pub mod run;
pub mod scope;
pub mod selection;
pub mod semantic;
pub mod source;
pub mod span;
pub mod spill;
pub mod suppress;
pub mod tokio_features;
pub mod walk;
pub mod workflow;

pub use diagnostic::RuleMeta;
pub use diagnostic::{Applicability, Diagnostic, Edit, FileError, Fix, Label, Report, Severity};
pub use rules::{ALL, Rule};
