//! Shared facts every rule stands on; no rule-specific logic lives here.

pub mod context;
pub mod imports;
pub mod index;
pub mod macros;
pub mod paths;
pub mod scan;
pub mod span;
