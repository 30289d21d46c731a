//! Token soup: Rust-looking text that mostly fails to parse in interesting places.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    async_lint::fuzzing::exercise(async_lint::fuzzing::token_soup(data).as_bytes());
});
