//! Writes the run's reports: CSV (formula-safe) and Parquet tables, `summary.json`, `summary.md`,
//! all into a staging folder that [`publish`] renames into place. The only module that writes
//! report files.

pub mod publish;
pub mod summary;

use std::borrow::Cow;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use polars::prelude::*;

use crate::config::Formats;
use crate::error::{Error, Result};

/// Writes `df` as `<dir>/<name>.csv` and/or `<dir>/<name>.parquet`.
pub fn write_table(dir: &Path, name: &str, df: &DataFrame, formats: Formats) -> Result<()> {
    let io = |p: &Path, e: &dyn std::fmt::Display| {
        Error::Input(format!("cannot write report {}: {e}", p.display()))
    };
    let started = std::time::Instant::now();
    // the CSV and the Parquet file of a table are independent: write them side by side
    let frame = df;
    let csv = || -> Result<u128> {
        if !formats.csv {
            return Ok(0);
        }
        let path = dir.join(format!("{name}.csv"));
        let mut safe = formula_safe(frame).map_err(|e| Error::polars("csv report", e))?;
        let file = File::create(&path).map_err(|e| io(&path, &e))?;
        CsvWriter::new(BufWriter::with_capacity(1 << 20, file))
            .include_header(true)
            .finish(&mut safe)
            .map_err(|e| io(&path, &e))?;
        Ok(started.elapsed().as_millis())
    };
    let parquet = || -> Result<u128> {
        if !formats.parquet {
            return Ok(0);
        }
        let path = dir.join(format!("{name}.parquet"));
        let file = File::create(&path).map_err(|e| io(&path, &e))?;
        ParquetWriter::new(BufWriter::with_capacity(1 << 20, file))
            // Snappy: what DuckDB and Spark write by default, read by every Parquet consumer
            // (Power BI included), and several times faster to write than zstd
            .with_compression(ParquetCompression::Snappy)
            // bounded row groups: readers can skip them, and the writer never encodes the whole table at once
            .with_row_group_size(Some(256 * 1024))
            .finish(&mut frame.clone())
            .map_err(|e| io(&path, &e))?;
        Ok(started.elapsed().as_millis())
    };
    let (csv_ms, parquet_ms) = rayon::join(csv, parquet);
    let (csv_ms, parquet_ms) = (csv_ms?, parquet_ms?);
    tracing::debug!(
        table = name,
        rows = frame.height(),
        csv_ms = csv_ms as u64,
        parquet_ms = parquet_ms as u64,
        "report written"
    );
    Ok(())
}

/// True when a spreadsheet would read the text as a number (`-12.50`, `1e3`, `.5`).
pub fn looks_numeric(s: &str) -> bool {
    let b = s.strip_prefix(['+', '-']).unwrap_or(s).as_bytes();
    let (mant, exp) = match b.iter().position(|c| *c == b'e' || *c == b'E') {
        Some(p) => (&b[..p], Some(&b[p + 1..])),
        None => (b, None),
    };
    let mut parts = mant.splitn(2, |c| *c == b'.');
    let int = parts.next().unwrap_or(&[]);
    let frac = parts.next();
    let digits = |x: &[u8]| x.iter().all(u8::is_ascii_digit);
    let mant_ok = digits(int)
        && frac.is_none_or(digits)
        && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()));
    let exp_ok = exp.is_none_or(|e| {
        let e = e
            .strip_prefix(b"+")
            .or_else(|| e.strip_prefix(b"-"))
            .unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mant_ok && exp_ok
}

/// A CSV cell as written: text that a spreadsheet would run as a formula (`= + - @`, tab, CR at
/// the start, and not a number) gets a leading `'`.
pub fn formula_safe_cell(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && !looks_numeric(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// The frame with every text cell made formula-safe (only columns that need it are rebuilt).
fn formula_safe(df: &DataFrame) -> PolarsResult<DataFrame> {
    let mut out = df.clone();
    for name in df.get_column_names_owned() {
        let col = df.column(&name)?;
        if col.dtype() != &DataType::String {
            continue;
        }
        let ca = col.str()?;
        if !ca
            .iter()
            .flatten()
            .any(|s| matches!(formula_safe_cell(s), Cow::Owned(_)))
        {
            continue;
        }
        let safe: StringChunked = ca
            .iter()
            .map(|o| o.map(formula_safe_cell))
            .collect_ca(name.clone());
        out.with_column(safe.into_column())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_numbers_are_not() {
        for (input, out) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("-2+3", "'-2+3"),
            ("@evil", "'@evil"),
            ("+1", "+1"),
            ("-12.50", "-12.50"),
            ("-1e3", "-1e3"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("Contoso", "Contoso"),
            ("-", "'-"),
        ] {
            assert_eq!(formula_safe_cell(input), out, "{input:?}");
        }
    }
}
