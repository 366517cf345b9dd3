#![no_main]
//! `cargo fuzz run json_line`: see [`pcrecon::fuzzing::json_line`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| pcrecon::fuzzing::json_line(data));
