//! pcrecon: reconciles Microsoft Partner Center invoices and line items against a CSP partner's
//! ledger CSVs, exactly to the cent.
//!
//! Data flows source → normalise → reconcile → report:
//! - [`source`] finds a snapshot's files ([`source::snapshot`]); every source ends in a snapshot;
//! - [`normalise`] parses every line item kind into one charges DataFrame with the columns of
//!   [`normalise::columns`] ([`model`] holds the serde types, the feed table and the small
//!   helpers every stage shares, [`money`] the exact decimals);
//! - [`ledger`] reads the partner's CSVs into accepted entries and rejected rows;
//! - [`reconcile`] sums both sides per grain row, joins them and assigns statuses;
//! - [`report`] writes the CSV/Parquet tables and summaries and publishes the run folder.
//!
//! [`pipeline`] strings the stages together; [`cmd`] holds one file per subcommand.

pub mod cmd;
pub mod config;
pub mod error;
/// Entry points for the fuzz targets under `fuzz/` and the corpus replay test
/// (`tests/it/fuzz_corpus.rs`): one function per target, feeding arbitrary bytes to a parser.
#[doc(hidden)]
pub mod fuzzing;
pub mod ledger;
pub mod lifecycle;
pub mod model;
pub mod money;
pub mod normalise;
pub mod pipeline;
pub mod progress;
pub mod reconcile;
pub mod report;
pub mod source;
