#![no_main]
//! `cargo fuzz run export_manifest`: see [`pcrecon::fuzzing::export_manifest`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| pcrecon::fuzzing::export_manifest(data));
