//! Ledger CSVs → accepted entries (a polars frame) + rejected rows (with file, line and reason).
//!
//! Every input row ends in exactly one of the two. Files are read in sorted path order and rows
//! in file order, so "the first `entry_id` stays" is well defined across files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::model::epoch_days;
use crate::money::{self, DecimalBuilder, DecimalError};

/// The contract's ledger fields, in the default column order.
pub const FIELDS: [&str; 15] = [
    "entry_id",
    "posting_date",
    "invoice_number",
    "customer_id",
    "subscription_id",
    "order_id",
    "product_id",
    "sku_id",
    "charge_type",
    "charge_start_date",
    "charge_end_date",
    "quantity",
    "amount",
    "currency",
    "description",
];

/// Index of `entry_id` in [`FIELDS`].
const F_ENTRY_ID: usize = 0;
/// Index of `posting_date` in [`FIELDS`].
const F_POSTING_DATE: usize = 1;
/// Index of `customer_id` in [`FIELDS`].
const F_CUSTOMER_ID: usize = 3;
/// Index of `charge_start_date` in [`FIELDS`].
const F_CHARGE_START_DATE: usize = 9;
/// Index of `charge_end_date` in [`FIELDS`].
const F_CHARGE_END_DATE: usize = 10;
/// Index of `quantity` in [`FIELDS`].
const F_QUANTITY: usize = 11;
/// Index of `amount` in [`FIELDS`].
const F_AMOUNT: usize = 12;
/// Index of `currency` in [`FIELDS`].
const F_CURRENCY: usize = 13;

/// Fields a row must have.
const REQUIRED: [&str; 5] = [
    "entry_id",
    "posting_date",
    "customer_id",
    "amount",
    "currency",
];

/// Text fields kept in the accepted frame (the possible grain keys and the id).
pub const KEPT_TEXT: [&str; 9] = [
    "entry_id",
    "invoice_number",
    "customer_id",
    "subscription_id",
    "order_id",
    "product_id",
    "sku_id",
    "charge_type",
    "currency",
];

/// How to read the ledger files (from `[ledger]`).
#[derive(Debug, Clone)]
pub struct LedgerFormat {
    /// Field delimiter byte.
    pub delimiter: u8,
    /// `.` or `,`.
    pub decimal_separator: char,
    /// chrono format of dates.
    pub date_format: String,
    /// The compiled date format.
    pub dates: DateParser,
    /// Contract field → column name in the file (every field present; unmapped = its own name).
    pub columns: BTreeMap<String, String>,
}

/// A ledger file matched by a configured path or glob.
#[derive(Debug, Clone)]
pub struct LedgerFile {
    /// The path as the pattern spells it (relative patterns stay relative to the config's base).
    pub display: String,
    /// The file on disk.
    pub path: PathBuf,
}

/// What one file contributed.
#[derive(Debug, Clone)]
pub struct FileStats {
    /// The file.
    pub file: LedgerFile,
    /// sha256 of its bytes (lower-case hex).
    pub sha256: String,
    /// Data rows read.
    pub rows: usize,
}

/// The loaded ledger.
#[derive(Debug)]
pub struct Ledger {
    /// Accepted rows: [`KEPT_TEXT`] as text (trimmed), `posting_date`, `amount` (decimal).
    pub accepted: DataFrame,
    /// Rejected rows: `file, line, reason`, then every file's own columns (raw text).
    pub rejected: DataFrame,
    /// Rejected rows per reason code (`invalid amount`, `duplicate entry_id`, …).
    pub rejected_by_reason: BTreeMap<String, usize>,
    /// Per file: path, fingerprint, rows.
    pub files: Vec<FileStats>,
}

/// Expands the configured paths and globs (relative ones against `base`) into files, sorted by
/// path. A pattern that matches nothing, a folder, or a hidden-only match is an input error.
pub fn resolve(patterns: &[String], base: &Path) -> Result<Vec<LedgerFile>> {
    let mut files: BTreeMap<PathBuf, LedgerFile> = BTreeMap::new();
    for pattern in patterns {
        let relative = Path::new(pattern).is_relative();
        let full = if relative {
            base.join(pattern)
        } else {
            PathBuf::from(pattern)
        };
        let full_str = full.to_string_lossy().into_owned();
        let matched: Vec<PathBuf> = if pattern.contains(['*', '?', '[']) {
            let opts = glob::MatchOptions {
                require_literal_leading_dot: true,
                ..Default::default()
            };
            glob::glob_with(&full_str, opts)
                .map_err(|e| {
                    Error::Config(format!(
                        "[ledger] paths: {pattern:?} is not a valid glob: {e}"
                    ))
                })?
                .filter_map(|r| r.ok())
                .collect()
        } else if full.symlink_metadata().is_ok() {
            vec![full.clone()]
        } else {
            Vec::new()
        };
        if matched.is_empty() {
            return Err(Error::Input(format!(
                "ledger path {pattern:?} ({full_str}) matches no file; check [ledger] paths in the config"
            )));
        }
        for path in matched {
            if path.is_dir() {
                return Err(Error::input_file(
                    &path,
                    "is a folder, not a ledger CSV file ([ledger] paths)",
                ));
            }
            let display = if relative {
                path.strip_prefix(base)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .into_owned()
            } else {
                path.to_string_lossy().into_owned()
            };
            files
                .entry(path.clone())
                .or_insert(LedgerFile { display, path });
        }
    }
    Ok(files.into_values().collect())
}

/// Counts physical lines up to each record's start, the way spreadsheets and Python's universal
/// newlines do: `\r\n`, a lone `\n` and a lone `\r` (even inside a quoted field) each end a line.
#[derive(Debug, Default)]
struct LineCounter {
    pos: usize,
    breaks: u64,
    prev_cr: bool,
}

impl LineCounter {
    /// The 1-based line where the record reported at `pos` starts. The csv reader places a
    /// record's start before the line breaks that precede it (the `\n` of a CRLF, blank lines),
    /// so those are skipped first. Records must be asked for in file order.
    fn record_line(&mut self, body: &[u8], pos: Option<&csv::Position>) -> u64 {
        let Some(p) = pos else { return 0 };
        let mut start = (p.byte() as usize).min(body.len());
        while start < body.len() && matches!(body[start], b'\r' | b'\n') {
            start += 1;
        }
        for &c in &body[self.pos.min(start)..start] {
            match c {
                b'\r' => {
                    self.breaks += 1;
                    self.prev_cr = true;
                }
                b'\n' => {
                    if !self.prev_cr {
                        self.breaks += 1;
                    }
                    self.prev_cr = false;
                }
                _ => self.prev_cr = false,
            }
        }
        self.pos = self.pos.max(start);
        self.breaks + 1
    }
}

/// One rejected row before it becomes a frame row.
struct Rejected {
    file: usize,
    line: u64,
    code: &'static str,
    detail: String,
    fields: Vec<String>,
}

/// Builders for the accepted frame.
struct Accepted {
    text: Vec<StringChunkedBuilder>,
    posting_date: Vec<i32>,
    amount: DecimalBuilder,
}

/// Loads every ledger file.
pub fn load(files: &[LedgerFile], format: &LedgerFormat) -> Result<Ledger> {
    let mut acc = Accepted {
        text: KEPT_TEXT
            .iter()
            .map(|n| StringChunkedBuilder::new((*n).into(), 1024))
            .collect(),
        posting_date: Vec::new(),
        amount: DecimalBuilder::new(money::MONEY_SCALE, 1024),
    };
    let mut rejected: Vec<Rejected> = Vec::new();
    let mut headers: Vec<Vec<String>> = Vec::new();
    let mut first_seen: PlHashMap<String, (usize, u64)> = PlHashMap::new();
    let mut stats = Vec::new();
    for (fi, file) in files.iter().enumerate() {
        let (header, rows, sha) = read_file(
            fi,
            file,
            format,
            &mut acc,
            &mut rejected,
            &mut first_seen,
            files,
        )?;
        headers.push(header);
        stats.push(FileStats {
            file: file.clone(),
            sha256: sha,
            rows,
        });
    }
    let mut by_reason = BTreeMap::new();
    for r in &rejected {
        *by_reason.entry(r.code.to_owned()).or_insert(0) += 1;
    }
    let pe = |e| Error::polars("ledger frame", e);
    let n = acc.posting_date.len();
    let scale = acc.amount.digits().max(2);
    let mut cols: Vec<Column> = acc
        .text
        .into_iter()
        .map(|b| b.finish().into_column())
        .collect();
    cols.push(
        crate::model::date_column(
            "posting_date",
            acc.posting_date.into_iter().map(Some).collect(),
        )
        .map_err(pe)?,
    );
    cols.push(acc.amount.into_column("amount", scale).map_err(pe)?);
    let t0 = std::time::Instant::now();
    let accepted = DataFrame::new(n, cols).map_err(pe)?;
    let rejected = rejected_frame(files, &headers, rejected).map_err(pe)?;
    tracing::debug!(ms = t0.elapsed().as_millis() as u64, "ledger frames");
    Ok(Ledger {
        accepted,
        rejected,
        rejected_by_reason: by_reason,
        files: stats,
    })
}

#[allow(clippy::too_many_arguments)]
fn read_file(
    fi: usize,
    file: &LedgerFile,
    format: &LedgerFormat,
    acc: &mut Accepted,
    rejected: &mut Vec<Rejected>,
    first_seen: &mut PlHashMap<String, (usize, u64)>,
    files: &[LedgerFile],
) -> Result<(Vec<String>, usize, String)> {
    let path = &file.path;
    // whole file in memory: it is fingerprinted, and record start lines are computed from it
    let bytes = std::fs::read(path)
        .map_err(|e| Error::input_file(path, format!("cannot read the ledger file: {e}")))?;
    let t0 = std::time::Instant::now();
    let sha = format!("{:x}", Sha256::digest(&bytes));
    tracing::debug!(ms = t0.elapsed().as_millis() as u64, "ledger sha256");
    let body = crate::model::strip_bom(&bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(format.delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(body);
    let header: Vec<String> = reader
        .byte_headers()
        .map_err(|e| Error::input_line(path, 1, format!("cannot read the header row: {e}")))?
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_owned())
        .collect();
    // contract field → index in this file
    // contract field (by its position in FIELDS) → column index in this file
    let index: Vec<Option<usize>> = FIELDS
        .iter()
        .map(|f| {
            let name = format.columns.get(*f).map(String::as_str).unwrap_or(f);
            header.iter().position(|h| h == name)
        })
        .collect();
    if header.iter().all(|h| h.is_empty()) && reader.is_done() {
        return Err(Error::input_file(
            path,
            "is empty: a ledger file needs a header row",
        ));
    }
    let missing: Vec<String> = REQUIRED
        .iter()
        .filter(|f| index[field(f)].is_none())
        .map(|f| {
            format!(
                "{f} (column {:?})",
                format.columns.get(*f).map(String::as_str).unwrap_or(f)
            )
        })
        .collect();
    if !missing.is_empty() {
        return Err(Error::input_line(
            path,
            1,
            format!(
                "the header lacks required columns: {}; found {:?}. Map them in [ledger.columns] if they have other names",
                missing.join(", "),
                header
            ),
        ));
    }
    let mut rec = csv::ByteRecord::new();
    let mut rows = 0;
    let mut lines = LineCounter::default();
    let kept: [usize; KEPT_TEXT.len()] = KEPT_TEXT.map(field);
    loop {
        let more = reader
            .read_byte_record(&mut rec)
            .map_err(|e| Error::input_file(path, format!("cannot read: {e}")))?;
        if !more {
            break;
        }
        rows += 1;
        let line = lines.record_line(body, rec.position());
        let raw = || {
            rec.iter()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
        };
        let mut reject = |code: &'static str, detail: String| {
            rejected.push(Rejected {
                file: fi,
                line,
                code,
                detail,
                fields: raw(),
            });
        };
        let cells: Vec<&str> = match rec
            .iter()
            .map(std::str::from_utf8)
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(c) => c,
            Err(e) => {
                reject(
                    "invalid encoding",
                    format!("the row is not valid UTF-8 ({e})"),
                );
                continue;
            }
        };
        if cells.len() > header.len() {
            reject(
                "wrong field count",
                format!(
                    "the row has {} fields, the header {}; check the delimiter and quoting",
                    cells.len(),
                    header.len()
                ),
            );
            continue;
        }
        let row = Row {
            index: &index,
            cells: &cells,
        };
        let id = row.at(F_ENTRY_ID);
        if id.is_empty() {
            reject("missing entry_id", "entry_id is empty".into());
            continue;
        }
        // the first row with an id keeps it, valid or not; any later copy is the duplicate
        if let Some((pf, pl)) = first_seen.get(id) {
            reject(
                "duplicate entry_id",
                format!("{id:?} was first seen at {}:{pl}", files[*pf].display),
            );
            continue;
        }
        first_seen.insert(id.to_owned(), (fi, line));
        match check_row(&row, format) {
            Err((code, detail)) => reject(code, detail),
            Ok(ok) => {
                for (b, f) in acc.text.iter_mut().zip(kept) {
                    b.append_value(row.at(f));
                }
                acc.posting_date.push(epoch_days(ok.posting_date));
                acc.amount.push(Some(ok.amount));
            }
        }
    }
    tracing::debug!(
        ms = t0.elapsed().as_millis() as u64,
        rows,
        "ledger rows read"
    );
    Ok((header, rows, sha))
}

/// The parsed required values of a valid row.
struct ValidRow {
    posting_date: NaiveDate,
    amount: money::Scaled,
}

/// The position of a contract field in [`FIELDS`].
fn field(name: &str) -> usize {
    FIELDS
        .iter()
        .position(|f| *f == name)
        .expect("a contract field")
}

/// One data row's cells, looked up by contract field.
struct Row<'r, 'c> {
    index: &'r [Option<usize>],
    cells: &'r [&'c str],
}

impl<'c> Row<'_, 'c> {
    /// The trimmed cell of contract field number `f` ("" when the file has no such column or
    /// the row is short).
    fn at(&self, f: usize) -> &'c str {
        self.index[f]
            .and_then(|i| self.cells.get(i))
            .map(|s| s.trim())
            .unwrap_or("")
    }
}

/// Parses dates in the configured format; the format is compiled once (a fast path for ISO).
#[derive(Debug, Clone)]
pub struct DateParser {
    iso: bool,
    items: Vec<chrono::format::Item<'static>>,
}

impl DateParser {
    /// A parser for the chrono `format`.
    pub fn new(format: &str) -> DateParser {
        let items = chrono::format::StrftimeItems::new(format)
            .map(|i| i.to_owned())
            .collect();
        DateParser {
            iso: format == "%Y-%m-%d",
            items,
        }
    }

    /// The date, or `None` when `text` is not one in this format.
    pub fn parse(&self, text: &str) -> Option<NaiveDate> {
        if self.iso {
            let b = text.as_bytes();
            return if b.len() == 10 {
                crate::model::iso_date(b)
            } else {
                None
            };
        }
        let mut parsed = chrono::format::Parsed::new();
        chrono::format::parse(&mut parsed, text, self.items.iter()).ok()?;
        parsed.to_naive_date().ok()
    }
}

/// Validates one row's fields in the contract's order; the first failure is the reason.
fn check_row(row: &Row<'_, '_>, format: &LedgerFormat) -> Result<ValidRow, (&'static str, String)> {
    let date =
        |f: usize, code: &'static str| -> Result<Option<NaiveDate>, (&'static str, String)> {
            let field = FIELDS[f];
            let v = row.at(f);
            if v.is_empty() {
                return Ok(None);
            }
            format.dates.parse(v).map(Some).ok_or_else(|| {
                (
                    code,
                    format!(
                        "{field} {v:?} is not a date in the format {:?}",
                        format.date_format
                    ),
                )
            })
        };
    let posting_date = date(F_POSTING_DATE, "invalid posting_date")?
        .ok_or(("invalid posting_date", "posting_date is empty".to_owned()))?;
    if row.at(F_CUSTOMER_ID).is_empty() {
        return Err(("missing customer_id", "customer_id is empty".into()));
    }
    let amount_text = row.at(F_AMOUNT);
    if amount_text.is_empty() {
        return Err(("missing amount", "amount is empty".into()));
    }
    let amount =
        money::parse_ledger_amount(amount_text, format.decimal_separator, money::MONEY_SCALE)
            .map_err(|e| {
                (
                    "invalid amount",
                    amount_problem("amount", amount_text, format.decimal_separator, &e),
                )
            })?;
    let currency = row.at(F_CURRENCY);
    if currency.is_empty() {
        return Err(("missing currency", "currency is empty".into()));
    }
    if !(currency.len() == 3 && currency.bytes().all(|c| c.is_ascii_alphabetic())) {
        return Err((
            "invalid currency",
            format!("currency {currency:?} is not a 3-letter ISO 4217 code"),
        ));
    }
    date(F_CHARGE_START_DATE, "invalid charge_start_date")?;
    date(F_CHARGE_END_DATE, "invalid charge_end_date")?;
    let q = row.at(F_QUANTITY);
    if !q.is_empty() {
        money::parse_ledger_amount(q, format.decimal_separator, money::RATE_SCALE).map_err(
            |e| {
                (
                    "invalid quantity",
                    amount_problem("quantity", q, format.decimal_separator, &e),
                )
            },
        )?;
    }
    Ok(ValidRow {
        posting_date,
        amount,
    })
}

fn amount_problem(field: &str, text: &str, sep: char, e: &DecimalError) -> String {
    match e {
        DecimalError::NotANumber => {
            format!("{field} {text:?} is not a number with decimal separator {sep:?}")
        }
        other => format!("{field} {text:?}: {other}"),
    }
}

/// `file, line, reason`, then the union of the files' own columns (in order of appearance).
fn rejected_frame(
    files: &[LedgerFile],
    headers: &[Vec<String>],
    rows: Vec<Rejected>,
) -> PolarsResult<DataFrame> {
    let mut names: Vec<String> = Vec::new();
    for h in headers {
        for n in h {
            if !names.contains(n) && !["file", "line", "reason"].contains(&n.as_str()) {
                names.push(n.clone());
            }
        }
    }
    let n = rows.len();
    let mut file = Vec::with_capacity(n);
    let mut line = Vec::with_capacity(n);
    let mut reason = Vec::with_capacity(n);
    let mut raw: Vec<Vec<Option<String>>> = vec![Vec::with_capacity(n); names.len()];
    for r in rows {
        file.push(files[r.file].display.clone());
        line.push(r.line);
        reason.push(format!("{}: {}", r.code, r.detail));
        let h = &headers[r.file];
        for (ci, name) in names.iter().enumerate() {
            let v = h
                .iter()
                .position(|x| x == name)
                .map(|i| r.fields.get(i).cloned().unwrap_or_default());
            raw[ci].push(v);
        }
    }
    let mut cols = vec![
        Column::new("file".into(), file),
        Column::new("line".into(), line),
        Column::new("reason".into(), reason),
    ];
    for (name, vals) in names.iter().zip(raw) {
        cols.push(Column::new(name.as_str().into(), vals));
    }
    DataFrame::new(n, cols)
}

/// Leaves out accepted rows booked against one of `invoices` (trimmed, upper-cased ids): with
/// `--period`, entries of invoices outside the months are not compared (they would all look
/// `missing_in_invoice`). Returns the kept rows and how many were left out.
pub fn without_invoices(
    accepted: &DataFrame,
    invoices: &std::collections::BTreeSet<String>,
) -> Result<(DataFrame, usize)> {
    if invoices.is_empty() {
        return Ok((accepted.clone(), 0));
    }
    let pe = |e| Error::polars("ledger period filter", e);
    let numbers = accepted
        .column("invoice_number")
        .map_err(pe)?
        .str()
        .map_err(pe)?;
    let keep: BooleanChunked = numbers
        .iter()
        .map(|n| !invoices.contains(&n.unwrap_or("").trim().to_uppercase()))
        .collect_ca("keep".into());
    let kept = accepted.filter(&keep).map_err(pe)?;
    let dropped = accepted.height() - kept.height();
    Ok((kept, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(data: &[u8]) -> Vec<u64> {
        let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(data);
        r.byte_headers().unwrap();
        let mut rec = csv::ByteRecord::new();
        let mut lines = LineCounter::default();
        let mut out = Vec::new();
        while r.read_byte_record(&mut rec).unwrap() {
            out.push(lines.record_line(data, rec.position()));
        }
        out
    }

    #[test]
    fn record_start_lines_count_every_kind_of_line_break() {
        assert_eq!(starts(b"h,i\nA,1\nB,\"x\ny\"\nC,3\n"), [2, 3, 5]);
        assert_eq!(starts(b"h,i\r\nA,1\r\nB,\"x\r\ny\"\r\nC,3\r\n"), [2, 3, 5]);
        assert_eq!(starts(b"h,i\n\nA,1\n\n\nB,2"), [3, 6]);
        assert_eq!(
            starts(b"h,i\nA,\"\rCR\"\nB,2\n"),
            [2, 4],
            "a CR inside quotes ends a physical line too"
        );
    }
}
