//! Arbitrary bytes through the whole pipeline (UTF-8 check, pre-scan, parse, rules, resolution,
//! suppressions, fixes, re-lint).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    async_lint::fuzzing::exercise(data);
});
