#![no_main]
//! `cargo fuzz run decimal`: see [`pcrecon::fuzzing::decimal`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| pcrecon::fuzzing::decimal(data));
