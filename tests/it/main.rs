//! Integration tests: the real binary on real files (sample data, derived bad inputs), reports read
//! back (CSV and Parquet), and property tests of the reconciliation against an independent model.
//! One test crate, so polars is linked once.

mod api;
mod bad_input;
mod browser;
mod common;
mod dataset;
mod fuzz_corpus;
mod golden;
mod incremental;
mod nightly;
mod properties;
mod shapes;
mod soak;
mod streaming;
mod workbook;
mod zero_amount;
