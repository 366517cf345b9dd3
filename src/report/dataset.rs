//! The Hive-partitioned Parquet dataset (`[report] partitioned = true`):
//! `charges/billing_month=YYYY-MM/currency=EUR/part-00000.parquet`, which Spark, Trino, Microsoft
//! Fabric, DuckDB and polars read as one table with `billing_month` and `currency` columns taken
//! from the folder names (so the files leave `currency` out, as Hive readers expect).
//!
//! `billing_month` is the month of the line's `invoice_date`; a line without one (unbilled) is in
//! `billing_month=__HIVE_DEFAULT_PARTITION__`, Hive's name for null. The currency is the folded
//! code (trimmed, upper-case). Rows stream in batch by batch; each partition gathers its rows
//! into row groups, and the pending rows of all partitions together stay under one row group
//! (the fullest partition is flushed first), so memory does not grow with the partition count.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::Datelike;
use polars::prelude::*;

use super::{ParquetTable, ROW_GROUP_ROWS, write_error};
use crate::error::Result;

/// Hive's folder value for null.
const NULL_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// A partition: (billing month, currency).
type Partition = (String, String);

/// One table written as a partitioned dataset under `<dir>/<name>/`.
pub(crate) struct PartitionedTable {
    root: PathBuf,
    /// The files' schema: the table's without `currency`.
    schema: Schema,
    parts: BTreeMap<Partition, ParquetTable>,
    rows: usize,
}

/// `value` as a Hive folder value: characters other than ASCII letters, digits, `-`, `_` and `.`
/// percent-encoded (as Hive and Spark escape them).
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `YYYY-MM` of a date given as days since 1970-01-01.
fn month_of(days: i32) -> String {
    let d = crate::model::date_of_epoch_days(days);
    format!("{:04}-{:02}", d.year(), d.month())
}

impl PartitionedTable {
    /// Creates `<dir>/<name>/` for frames of `schema` (which must have `invoice_date` and
    /// `currency`).
    pub(crate) fn create(dir: &Path, name: &str, schema: &Schema) -> Result<Self> {
        let root = dir.join(name);
        std::fs::create_dir_all(&root).map_err(|e| write_error(&root, e))?;
        let mut schema = schema.clone();
        schema.shift_remove("currency");
        Ok(PartitionedTable {
            root,
            schema,
            parts: BTreeMap::new(),
            rows: 0,
        })
    }

    /// Appends the rows of `df`, each to its partition.
    pub(crate) fn write(&mut self, df: &DataFrame) -> Result<()> {
        let pe = |e| write_error(&self.root, e);
        let dates = df.column("invoice_date").map_err(pe)?;
        let days = dates.date().map_err(pe)?.physical().clone();
        let currency = df.column("currency").map_err(pe)?.str().map_err(pe)?;
        let mut rows: BTreeMap<Partition, Vec<IdxSize>> = BTreeMap::new();
        let mut last: Option<(Option<i32>, Option<&str>, Partition)> = None;
        for (i, (d, c)) in days.iter().zip(currency.iter()).enumerate() {
            // lines come grouped by invoice: work the key out once while it repeats
            if last.as_ref().is_none_or(|l| (l.0, l.1) != (d, c)) {
                let month = d.map_or_else(|| NULL_PARTITION.to_owned(), month_of);
                let cur = c.map(|c| c.trim().to_uppercase()).unwrap_or_default();
                let cur = if cur.is_empty() {
                    NULL_PARTITION.to_owned()
                } else {
                    cur
                };
                last = Some((d, c, (month, cur)));
            }
            let key = &last.as_ref().expect("set above").2;
            match rows.get_mut(key) {
                Some(v) => v.push(i as IdxSize),
                None => {
                    rows.insert(key.clone(), vec![i as IdxSize]);
                }
            }
        }
        let data = df.drop("currency").map_err(pe)?;
        for (key, idx) in rows {
            let part = data.take(&IdxCa::from_vec("idx".into(), idx)).map_err(pe)?;
            self.rows += part.height();
            let table = match self.parts.get_mut(&key) {
                Some(t) => t,
                None => {
                    let folder = self.root.join(format!(
                        "billing_month={}/currency={}",
                        escape(&key.0),
                        escape(&key.1)
                    ));
                    std::fs::create_dir_all(&folder).map_err(|e| write_error(&folder, e))?;
                    let table =
                        ParquetTable::create(folder.join("part-00000.parquet"), &self.schema)?;
                    self.parts.entry(key).or_insert(table)
                }
            };
            table.push(&part)?;
        }
        // all partitions' pending rows together stay under one row group
        while self.parts.values().map(|t| t.pending_rows).sum::<usize>() > ROW_GROUP_ROWS {
            let fullest = self
                .parts
                .values_mut()
                .max_by_key(|t| t.pending_rows)
                .expect("some rows are pending");
            fullest.flush()?;
        }
        Ok(())
    }

    /// Finishes every partition's file; returns the rows written.
    pub(crate) fn finish(self) -> Result<usize> {
        for (_, t) in self.parts {
            t.finish()?;
        }
        tracing::debug!(root = %self.root.display(), rows = self.rows, "dataset written");
        Ok(self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_values_are_escaped_like_hive() {
        assert_eq!(escape("EUR"), "EUR");
        assert_eq!(escape("2025-03"), "2025-03");
        assert_eq!(escape("a/b c=d"), "a%2Fb%20c%3Dd");
        assert_eq!(month_of(0), "1970-01");
        // 2025-03-06 is day 20153 since the epoch
        assert_eq!(month_of(20153), "2025-03");
    }
}
