//! Syntactically valid programs built from async statements the rules care about, so that the
//! rules and their fixes run on every input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    async_lint::fuzzing::exercise(async_lint::fuzzing::structured(data).as_bytes());
});
