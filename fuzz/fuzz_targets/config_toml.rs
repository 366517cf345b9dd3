#![no_main]
//! `cargo fuzz run config_toml`: see [`pcrecon::fuzzing::config_toml`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| pcrecon::fuzzing::config_toml(data));
