#![no_main]
//! `cargo fuzz run ledger_csv`: see [`pcrecon::fuzzing::ledger_csv`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| pcrecon::fuzzing::ledger_csv(data));
