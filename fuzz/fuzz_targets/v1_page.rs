#![no_main]
//! `cargo fuzz run v1_page`: see [`pcrecon::fuzzing::v1_page`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| pcrecon::fuzzing::v1_page(data));
