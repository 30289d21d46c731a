//! Shared facts every rule stands on; no rule-specific logic lives here.

pub mod blocking;
pub mod call_graph;
pub mod context;
pub mod imports;
pub mod index;
pub mod locals;
pub mod lock_types;
pub mod macros;
pub use crate::semantic::names;
pub mod paths;
pub mod scan;
pub mod span;
pub mod transitive;
