//! The fixed outputs that use sqlx, compiled against the real crate (`tests/fixed_compile.rs`
//! stands tokio in for the `sqlx` name, for a `#[sqlx::test]` attribute, so they cannot be
//! compiled there).

#![allow(dead_code, unused_must_use, clippy::all)]

#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/unawaited-future/library.fixed.rs"]
mod unawaited_future_library_fixed;
