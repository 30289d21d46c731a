//! The semantic layer: project model, per-file item summaries, module trees and name
//! resolution. It imports nothing from rules, the lint driver or the config.

pub mod cfg;
pub mod declared;
pub mod defmap;
pub mod items;
mod manifest;
pub mod memo;
pub mod names;
pub mod package;
pub mod project;
pub mod resolve;
pub mod types;
pub mod typing;

#[cfg(test)]
mod tests;
