//! Writes the run's reports: CSV (formula-safe) and Parquet tables, `summary.json`, `summary.md`,
//! all into a staging folder that [`publish`] renames into place. The only module that writes
//! report files.

pub(crate) mod cells;
pub mod config;
pub mod dataset;
pub(crate) mod html;
pub mod publish;
pub mod summary;
pub mod table_csv;
pub(crate) mod xlsx;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{Error, Result};
use config::Formats;

/// What the analyst reports (`report.html`, `report.xlsx`) read: the summary (which holds the
/// reconciliation, invoice and line checks) and the two other small outcome frames — never the
/// charges, so they cost the same at 5M lines as at 50.
#[derive(Debug)]
pub(crate) struct AnalystInputs<'a> {
    /// The run's summary and outcome.
    pub(crate) summary: &'a summary::RunSummary<'a>,
    /// `rejected_ledger_rows`.
    pub(crate) rejected: &'a DataFrame,
    /// `changes`.
    pub(crate) changes: &'a DataFrame,
    /// The formats written (to name the file that holds every row of a capped table).
    pub(crate) formats: Formats,
}

impl AnalystInputs<'_> {
    /// The report file holding every row of table `name`.
    pub(crate) fn source_of(&self, name: &str) -> String {
        if self.formats.csv {
            format!("{name}.csv")
        } else if self.formats.parquet {
            format!("{name}.parquet")
        } else {
            format!("{name} (add \"csv\" to report.formats to write it)")
        }
    }

    /// Writes `report.html` and/or `report.xlsx` per the formats, side by side.
    pub(crate) fn write(&self, dir: &Path) -> Result<()> {
        let timed = |name: &str, on: bool, write: &dyn Fn() -> Result<()>| {
            let t = std::time::Instant::now();
            let done = if on { write() } else { Ok(()) };
            tracing::debug!(
                report = name,
                ms = t.elapsed().as_millis() as u64,
                "analyst report"
            );
            done
        };
        let (html, xlsx) = rayon::join(
            || timed("html", self.formats.html, &|| html::write(dir, self)),
            || timed("xlsx", self.formats.xlsx, &|| xlsx::write(dir, self)),
        );
        html.and(xlsx)
    }
}

/// Rows per Parquet row group: readers can skip groups, and a streamed table holds at most one
/// group's rows in memory before they are encoded — with the 43 charges columns 64k rows cost
/// ~145 MiB less peak memory than 128k at 1M lines for the same CPU (benches/README.md).
const ROW_GROUP_ROWS: usize = 64 * 1024;

/// Writes `df` as `<dir>/<name>.csv` and/or `<dir>/<name>.parquet`.
pub(crate) fn write_table(dir: &Path, name: &str, df: &DataFrame, formats: Formats) -> Result<()> {
    let mut w = TableWriter::create(dir, name, df.schema(), formats)?;
    w.write(df)?;
    w.finish()?;
    Ok(())
}

/// One report table written batch by batch: CSV rows go straight to the file, Parquet rows are
/// gathered into row groups of [`ROW_GROUP_ROWS`] and encoded as each fills.
pub(crate) struct TableWriter {
    name: String,
    csv: Option<(PathBuf, BufWriter<File>)>,
    parquet: Option<ParquetTable>,
    rows: usize,
}

struct ParquetTable {
    path: PathBuf,
    writer: polars::io::parquet::write::BatchedWriter<BufWriter<File>>,
    pending: Vec<DataFrame>,
    pending_rows: usize,
}

fn write_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::output("cannot write report", path, e)
}

impl ParquetTable {
    /// A Parquet file at `path` for frames of `schema` (Snappy, row groups of [`ROW_GROUP_ROWS`]).
    fn create(path: PathBuf, schema: &Schema) -> Result<Self> {
        let file = File::create(&path).map_err(|e| write_error(&path, e))?;
        let writer = ParquetWriter::new(BufWriter::with_capacity(1 << 20, file))
            // Snappy: what DuckDB and Spark write by default, read by every Parquet consumer
            // (Power BI included), and several times faster to write than zstd
            .with_compression(ParquetCompression::Snappy)
            .batched(schema)
            .map_err(|e| write_error(&path, e))?;
        Ok(ParquetTable {
            path,
            writer,
            pending: Vec::new(),
            pending_rows: 0,
        })
    }

    /// Flushes the last row group and writes the footer.
    fn finish(mut self) -> Result<()> {
        self.flush()?;
        self.writer
            .finish()
            .map(|_| ())
            .map_err(|e| write_error(&self.path, e))
    }

    fn push(&mut self, df: &DataFrame) -> Result<()> {
        self.pending_rows += df.height();
        self.pending.push(df.clone());
        if self.pending_rows >= ROW_GROUP_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// Encodes the gathered rows as one row group.
    fn flush(&mut self) -> Result<()> {
        let mut parts = std::mem::take(&mut self.pending).into_iter();
        let Some(mut group) = parts.next() else {
            return Ok(());
        };
        for p in parts {
            group
                .vstack_mut_owned(p)
                .map_err(|e| write_error(&self.path, e))?;
        }
        group.rechunk_mut_par();
        self.pending_rows = 0;
        self.writer
            .write_batch(&group)
            .map_err(|e| write_error(&self.path, e))
    }
}

impl TableWriter {
    /// Creates the table's files (CSV with its header line) for frames of `schema`.
    pub(crate) fn create(
        dir: &Path,
        name: &str,
        schema: &Schema,
        formats: Formats,
    ) -> Result<Self> {
        let csv = if formats.csv {
            let path = dir.join(format!("{name}.csv"));
            let file = File::create(&path).map_err(|e| write_error(&path, e))?;
            let mut out = BufWriter::with_capacity(1 << 20, file);
            let names: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
            table_csv::write_header(&mut out, &names).map_err(|e| write_error(&path, e))?;
            Some((path, out))
        } else {
            None
        };
        let parquet = if formats.parquet {
            Some(ParquetTable::create(
                dir.join(format!("{name}.parquet")),
                schema,
            )?)
        } else {
            None
        };
        Ok(TableWriter {
            name: name.to_owned(),
            csv,
            parquet,
            rows: 0,
        })
    }

    /// Appends the rows of `df` (columns as in the schema the table was created with).
    pub(crate) fn write(&mut self, df: &DataFrame) -> Result<()> {
        self.rows += df.height();
        // the CSV and the Parquet side are independent: encode them side by side
        let (csv, parquet) = rayon::join(
            || match &mut self.csv {
                Some((path, out)) => {
                    table_csv::write_rows(out, df).map_err(|e| write_error(path, e))
                }
                None => Ok(()),
            },
            || match &mut self.parquet {
                Some(p) => p.push(df),
                None => Ok(()),
            },
        );
        csv.and(parquet)
    }

    /// Flushes the last row group, writes the Parquet footer and closes both files; returns
    /// the number of rows written.
    pub(crate) fn finish(self) -> Result<usize> {
        if let Some((path, mut out)) = self.csv {
            out.flush().map_err(|e| write_error(&path, e))?;
        }
        if let Some(p) = self.parquet {
            p.finish()?;
        }
        tracing::debug!(table = %self.name, rows = self.rows, "report written");
        Ok(self.rows)
    }
}
