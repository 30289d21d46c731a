//! Shared facts every rule stands on; no rule-specific logic lives here.

pub mod async_apis;
pub mod bindings;
pub mod blocking;
pub mod call_graph;
pub mod context;
pub mod imports;
pub mod index;
pub mod lib_types;
pub mod locals;
pub mod lock_types;
pub mod macros;
pub mod offload;
pub use crate::semantic::names;
pub mod paths;
pub mod pending;
pub mod retype;
pub mod scan;
pub mod span;
pub mod spawns;
pub mod syms;
pub mod task_types;
pub mod templates;
pub mod test_policy;
pub mod transitive;
pub mod typing;
