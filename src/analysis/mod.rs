//! Shared facts every rule stands on; no rule-specific logic lives here.
//!
//! This layer sits below the rules, the lint driver and the configuration and imports none of
//! them (tests/layering.rs checks it): it holds the interface rules implement ([`rule::Rule`]),
//! the per-file view they read ([`FileCx`]) and where they report ([`Sink`]).

pub mod async_apis;
pub mod async_catalog;
pub mod bindings;
pub mod blocking;
pub mod blocking_catalog;
pub mod call_graph;
pub mod context;
pub mod facts;
pub mod file;
pub mod imports;
pub mod in_place;
pub mod index;
pub mod inert;
pub mod lib_types;
pub mod locals;
pub mod lock_types;
pub mod macros;
pub mod offload;
pub use crate::semantic::names;
pub mod paths;
pub mod pending;
pub mod retype;
pub mod rule;
pub mod scan;
pub mod settings;
pub use crate::span;
pub mod sink;
pub mod spawns;
pub mod startup;
pub mod syms;
pub mod task_types;
pub mod templates;
pub mod test_policy;
pub mod transitive;
pub mod ty;
pub mod typing;

pub use file::FileCx;
pub use settings::{Runtime, Settings};
pub use sink::{Reported, Sink};
