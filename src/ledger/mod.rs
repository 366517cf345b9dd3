//! Ledger CSVs → accepted entries (handed on one by one as they are read) + rejected rows (with
//! file, line and reason).
//!
//! Every input row ends in exactly one of the two. Files are read in sorted path order and rows
//! in file order, so "the first `entry_id` stays" is well defined across files. Files are streamed:
//! neither a file nor its accepted rows are held, so memory follows the rejected rows and the ids.

pub mod config;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;
use sha2::{Digest, Sha256};

pub(crate) use self::config::LedgerConfig;
use crate::error::{Error, Result};
use crate::money::{self, DecimalError};

/// What a ledger field holds, which decides how it is checked and whether it can be a grain key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldKind {
    /// An id or grain key: trimmed text.
    Key,
    /// A date in `ledger.date_format`.
    Date,
    /// A decimal with `ledger.decimal_separator`.
    Decimal,
    /// Free text, not kept.
    Text,
}

/// One contract field of the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FieldSpec {
    /// The field.
    pub(crate) field: Field,
    /// Its name in the contract (and its default column name).
    pub(crate) name: &'static str,
    /// Whether the header must have it.
    pub(crate) required: bool,
    /// What it holds.
    pub(crate) kind: FieldKind,
}

/// Declares the ledger's fields once, in the default column order: the [`Field`] enum, whose
/// values index [`FIELDS`], and each field's spec.
macro_rules! ledger_fields {
    ($($v:ident = $name:literal, $required:literal, $kind:ident;)+) => {
        /// A contract field of the ledger (its value is its position in [`FIELDS`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Field {
            $(
                #[doc = concat!("`", $name, "`.")]
                $v,
            )+
        }

        /// The contract's ledger fields, in the default column order.
        pub(crate) const FIELDS: [FieldSpec; [$($name),+].len()] = [$(FieldSpec {
            field: Field::$v,
            name: $name,
            required: $required,
            kind: FieldKind::$kind,
        }),+];
    };
}

ledger_fields! {
    EntryId = "entry_id", true, Key;
    PostingDate = "posting_date", true, Date;
    InvoiceNumber = "invoice_number", false, Key;
    CustomerId = "customer_id", true, Key;
    SubscriptionId = "subscription_id", false, Key;
    OrderId = "order_id", false, Key;
    ProductId = "product_id", false, Key;
    SkuId = "sku_id", false, Key;
    ChargeType = "charge_type", false, Key;
    ChargeStartDate = "charge_start_date", false, Date;
    ChargeEndDate = "charge_end_date", false, Date;
    Quantity = "quantity", false, Decimal;
    Amount = "amount", true, Decimal;
    Currency = "currency", true, Key;
    Description = "description", false, Text;
}

impl Field {
    /// The field's spec.
    pub(crate) fn spec(self) -> &'static FieldSpec {
        &FIELDS[self as usize]
    }

    /// The field's contract name.
    pub(crate) fn name(self) -> &'static str {
        self.spec().name
    }
}

/// Every field's contract name, in the default column order.
pub(crate) fn field_names() -> impl Iterator<Item = &'static str> {
    FIELDS.iter().map(|f| f.name)
}

/// A ledger file matched by a configured path or glob.
#[derive(Debug, Clone)]
pub(crate) struct LedgerFile {
    /// The path as the pattern spells it (relative patterns stay relative to the config's base).
    pub(crate) display: String,
    /// The file on disk.
    pub(crate) path: PathBuf,
}

/// What one file contributed.
#[derive(Debug, Clone)]
pub(crate) struct FileStats {
    /// The file.
    pub(crate) file: LedgerFile,
    /// sha256 of its bytes (lower-case hex).
    pub(crate) sha256: String,
    /// Data rows read.
    pub(crate) rows: usize,
}

/// The loaded ledger.
#[derive(Debug)]
pub(crate) struct Ledger {
    /// Rows accepted (each handed to the caller as it was read).
    pub(crate) accepted: usize,
    /// Rejected rows: `file, line, reason`, then every file's own columns (raw text).
    pub(crate) rejected: DataFrame,
    /// Rejected rows per reason code (`invalid amount`, `duplicate entry_id`, …).
    pub(crate) rejected_by_reason: BTreeMap<String, usize>,
    /// Per file: path, fingerprint, rows.
    pub(crate) files: Vec<FileStats>,
}

/// Expands the configured paths and globs (relative ones against `base`) into files, sorted by
/// path. A pattern that matches nothing, a folder, or a hidden-only match is an input error.
pub(crate) fn resolve(patterns: &[String], base: &Path) -> Result<Vec<LedgerFile>> {
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
                .map_err(|e| Error::Config {
                    file: None,
                    key: Some("ledger.paths".into()),
                    message: format!("{pattern:?} is not a valid glob: {e}"),
                })?
                .filter_map(|r| r.ok())
                .collect()
        } else if full.symlink_metadata().is_ok() {
            vec![full.clone()]
        } else {
            Vec::new()
        };
        if matched.is_empty() {
            return Err(Error::input(format!(
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

/// A ledger file as the csv reader pulls it: hashes every byte (the file's sha256), drops a
/// leading UTF-8 BOM, and notes where the line breaks are, so that a record's physical line is
/// known without holding the file. Lines are counted the way spreadsheets and Python's universal
/// newlines do: `\r\n`, a lone `\n` and a lone `\r` (even inside a quoted field) each end one.
struct Tap<R> {
    inner: R,
    sha: Sha256,
    /// Offset (after any BOM) of the next byte read.
    offset: u64,
    /// Line breaks read but not yet counted: `[start, end)` offsets (a `\r\n` is one break).
    breaks: std::collections::VecDeque<(u64, u64)>,
    /// Breaks counted so far (before the last record asked for).
    counted: u64,
    /// Offset of the last `\r` read: a `\n` right after it ends the same break.
    last_cr: Option<u64>,
    /// Offset where the record being read starts (the reader says after each record).
    record_start: u64,
    /// Longest record read ([`LedgerConfig::max_record_bytes`]); a longer one fails the read.
    max_record: u64,
    /// The read failed because a record passed `max_record`.
    oversize: bool,
}

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

impl<R: std::io::BufRead> Tap<R> {
    fn new(mut inner: R, max_record: u64) -> std::io::Result<Self> {
        let mut sha = Sha256::new();
        if inner.fill_buf()?.starts_with(BOM) {
            sha.update(BOM);
            inner.consume(BOM.len());
        }
        Ok(Tap {
            inner,
            sha,
            offset: 0,
            breaks: Default::default(),
            counted: 0,
            last_cr: None,
            record_start: 0,
            max_record,
            oversize: false,
        })
    }

    /// The 1-based line where the record reported at `pos` starts. The csv reader places a
    /// record's start before the line breaks that precede it (the `\n` of a CRLF, blank lines),
    /// so those are skipped first. Records must be asked for in file order.
    fn record_line(&mut self, pos: Option<&csv::Position>) -> u64 {
        let Some(p) = pos.map(|p| p.byte()) else {
            return 0;
        };
        let mut cursor = p;
        while let Some(&(start, end)) = self.breaks.front() {
            if start >= p && start != cursor {
                break;
            }
            self.counted += 1;
            cursor = cursor.max(end);
            self.breaks.pop_front();
        }
        self.counted + 1
    }

    /// Reads what the csv reader left (nothing, normally) and returns the file's sha256.
    fn finish(mut self) -> std::io::Result<String> {
        std::io::copy(&mut self, &mut std::io::sink())?;
        Ok(format!("{:x}", self.sha.finalize()))
    }
}

impl<R: std::io::Read> std::io::Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        // the csv reader buffers a few KiB ahead: this bounds the record it holds
        if (self.offset + n as u64).saturating_sub(self.record_start) > self.max_record {
            self.oversize = true;
            return Err(std::io::Error::other(format!(
                "a record longer than {} bytes ({} × [ledger] max_field_bytes): not a ledger row; is a quote left open?",
                self.max_record,
                config::RECORD_FIELDS
            )));
        }
        let got = &buf[..n];
        self.sha.update(got);
        for i in memchr::memchr2_iter(b'\r', b'\n', got) {
            let at = self.offset + i as u64;
            if got[i] == b'\r' {
                self.breaks.push_back((at, at + 1));
                self.last_cr = Some(at);
            } else if self.last_cr.is_some_and(|cr| cr + 1 == at) {
                // the \n of a \r\n ends the \r's break (counted already if it was popped)
                if let Some(last) = self.breaks.back_mut().filter(|b| b.0 + 1 == at) {
                    last.1 = at + 1;
                }
            } else {
                self.breaks.push_back((at, at + 1));
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// Bytes of a too-long cell kept in `rejected_ledger_rows`: enough to find the row.
const CUT_CELL_BYTES: usize = 200;

/// A rejected row's cell as text; one longer than `max_field_bytes` is cut to its first
/// [`CUT_CELL_BYTES`] bytes and its length, so a hostile field never reaches the reports whole.
fn raw_cell(cell: &[u8], max_field_bytes: u64) -> String {
    if cell.len() as u64 <= max_field_bytes {
        return String::from_utf8_lossy(cell).into_owned();
    }
    format!(
        "{}… ({} bytes, cut)",
        String::from_utf8_lossy(&cell[..CUT_CELL_BYTES.min(cell.len())]),
        cell.len()
    )
}

/// One rejected row before it becomes a frame row.
struct Rejected {
    file: usize,
    line: u64,
    code: &'static str,
    detail: String,
    fields: Vec<String>,
}

/// An accepted ledger row, as the reader hands it on.
pub(crate) struct Entry<'r> {
    row: Row<'r, 'r>,
    /// `amount` at [`money::MONEY_SCALE`].
    pub(crate) amount: i128,
    /// `quantity` at [`money::MONEY_SCALE`], when the row has one.
    pub(crate) quantity: Option<i128>,
}

impl Entry<'_> {
    /// The trimmed cell of field `f` ("" when the file has no such column).
    pub(crate) fn at(&self, f: Field) -> &str {
        self.row.at(f)
    }
}

/// The field a contract name names.
pub(crate) fn field(name: &str) -> Option<Field> {
    FIELDS.iter().find(|f| f.name == name).map(|f| f.field)
}

/// Reads every ledger file, handing each accepted row to `on_entry` as it is read.
pub(crate) fn load(
    files: &[LedgerFile],
    config: &LedgerConfig,
    on_entry: &mut dyn FnMut(&Entry<'_>),
) -> Result<Ledger> {
    load_from(files, config, on_entry, &mut |path| {
        let file = std::fs::File::open(path)?;
        Ok(Box::new(std::io::BufReader::with_capacity(1 << 16, file)))
    })
}

/// A ledger file's bytes, opened for reading.
pub(crate) type Opened<'b> = Box<dyn std::io::BufRead + 'b>;

/// [`load`], each file's bytes read through `open` (the fuzz targets read them from memory).
pub(crate) fn load_from<'b>(
    files: &[LedgerFile],
    config: &LedgerConfig,
    on_entry: &mut dyn FnMut(&Entry<'_>),
    open: &mut dyn FnMut(&Path) -> std::io::Result<Opened<'b>>,
) -> Result<Ledger> {
    let mut reader = Reader {
        files,
        config,
        on_entry,
        accepted: 0,
        rejected: Vec::new(),
        first_seen: PlHashMap::new(),
    };
    let mut headers: Vec<Vec<String>> = Vec::new();
    let mut stats = Vec::new();
    for (fi, file) in files.iter().enumerate() {
        let (header, rows, sha256) = reader.read_file(fi, open)?;
        headers.push(header);
        stats.push(FileStats {
            file: file.clone(),
            sha256,
            rows,
        });
    }
    let Reader {
        accepted, rejected, ..
    } = reader;
    let mut by_reason = BTreeMap::new();
    for r in &rejected {
        *by_reason.entry(r.code.to_owned()).or_insert(0) += 1;
    }
    let t0 = std::time::Instant::now();
    let pe = |e| Error::polars("ledger frame", e);
    let rejected = rejected_frame(files, &headers, rejected).map_err(pe)?;
    tracing::debug!(ms = t0.elapsed().as_millis() as u64, "ledger frames");
    Ok(Ledger {
        accepted,
        rejected,
        rejected_by_reason: by_reason,
        files: stats,
    })
}

/// Reads the files one after another into accepted and rejected rows.
struct Reader<'a> {
    files: &'a [LedgerFile],
    config: &'a LedgerConfig,
    on_entry: &'a mut dyn FnMut(&Entry<'_>),
    accepted: usize,
    rejected: Vec<Rejected>,
    /// Each entry id's first row: (file index, line).
    first_seen: PlHashMap<String, (usize, u64)>,
}

/// One file's header row and where each contract field is in it.
struct Header {
    /// The column names (trimmed).
    names: Vec<String>,
    /// Column index of each field, by [`Field`] position (`None`: the file has no such column).
    index: Vec<Option<usize>>,
}

impl Reader<'_> {
    /// Reads file number `fi`; returns its header, its row count and its sha256.
    fn read_file<'b>(
        &mut self,
        fi: usize,
        open: &mut dyn FnMut(&Path) -> std::io::Result<Opened<'b>>,
    ) -> Result<(Vec<String>, usize, String)> {
        let path = &self.files[fi].path;
        let cannot_read = |e: &dyn std::fmt::Display| {
            Error::input_file(path, format!("cannot read the ledger file: {e}"))
        };
        let file = open(path).map_err(|e| cannot_read(&e))?;
        let t0 = std::time::Instant::now();
        let tap = Tap::new(file, self.config.max_record_bytes()).map_err(|e| cannot_read(&e))?;
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.config.delimiter.byte())
            .has_headers(true)
            .flexible(true)
            .from_reader(tap);
        let header = self.header(path, &mut reader)?;
        let mut rec = csv::ByteRecord::new();
        let mut rows = 0;
        loop {
            let start = reader.position().clone();
            reader.get_mut().record_start = start.byte();
            match reader.read_byte_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) if reader.get_ref().oversize => {
                    let line = reader.get_mut().record_line(Some(&start));
                    return Err(Error::input_line(path, line, e.to_string()));
                }
                Err(e) => return Err(Error::input_file(path, format!("cannot read: {e}"))),
            }
            rows += 1;
            let line = reader.get_mut().record_line(rec.position());
            if let Err((code, detail)) = self.take_row(fi, line, &header, &rec) {
                self.rejected.push(Rejected {
                    file: fi,
                    line,
                    code,
                    detail,
                    fields: rec
                        .iter()
                        .map(|c| raw_cell(c, self.config.max_field_bytes))
                        .collect(),
                });
            }
        }
        let sha = reader.into_inner().finish().map_err(|e| cannot_read(&e))?;
        tracing::debug!(
            ms = t0.elapsed().as_millis() as u64,
            rows,
            "ledger rows read"
        );
        Ok((header.names, rows, sha))
    }

    /// Reads the header row and finds the fields' columns; a missing required one stops the run.
    fn header<R: std::io::Read>(&self, path: &Path, reader: &mut csv::Reader<R>) -> Result<Header> {
        let names: Vec<String> = reader
            .byte_headers()
            .map_err(|e| Error::input_line(path, 1, format!("cannot read the header row: {e}")))?
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().to_owned())
            .collect();
        if names.iter().all(|h| h.is_empty()) && reader.is_done() {
            return Err(Error::input_file(
                path,
                "is empty: a ledger file needs a header row",
            ));
        }
        let index: Vec<Option<usize>> = FIELDS
            .iter()
            .map(|f| {
                let column = self.config.column(f.name);
                names.iter().position(|h| h == column)
            })
            .collect();
        let missing: Vec<String> = FIELDS
            .iter()
            .filter(|f| f.required && index[f.field as usize].is_none())
            .map(|f| format!("{} (column {:?})", f.name, self.config.column(f.name)))
            .collect();
        if !missing.is_empty() {
            return Err(Error::input_line(
                path,
                1,
                format!(
                    "the header lacks required columns: {}; found {:?}. Map them in [ledger.columns] if they have other names",
                    missing.join(", "),
                    names
                ),
            ));
        }
        Ok(Header { names, index })
    }

    /// Accepts one data row, or says why it is rejected (reason code, detail).
    fn take_row(
        &mut self,
        fi: usize,
        line: u64,
        header: &Header,
        rec: &csv::ByteRecord,
    ) -> Result<(), (&'static str, String)> {
        let max = self.config.max_field_bytes;
        if let Some((i, cell)) = rec.iter().enumerate().find(|(_, c)| c.len() as u64 > max) {
            let name = header
                .names
                .get(i)
                .map_or_else(|| format!("column {}", i + 1), |n| format!("{n:?}"));
            return Err((
                "field too long",
                format!(
                    "{name} is {} bytes, more than [ledger] max_field_bytes = {max}",
                    cell.len()
                ),
            ));
        }
        let cells: Vec<&str> = rec
            .iter()
            .map(std::str::from_utf8)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                (
                    "invalid encoding",
                    format!("the row is not valid UTF-8 ({e})"),
                )
            })?;
        if cells.len() > header.names.len() {
            return Err((
                "wrong field count",
                format!(
                    "the row has {} fields, the header {}; check the delimiter and quoting",
                    cells.len(),
                    header.names.len()
                ),
            ));
        }
        let row = Row {
            index: &header.index,
            cells: &cells,
        };
        let id = row.at(Field::EntryId);
        if id.is_empty() {
            return Err(("missing entry_id", "entry_id is empty".into()));
        }
        // the first row with an id keeps it, valid or not; any later copy is the duplicate
        if let Some((pf, pl)) = self.first_seen.get(id) {
            return Err((
                "duplicate entry_id",
                format!("{id:?} was first seen at {}:{pl}", self.files[*pf].display),
            ));
        }
        self.first_seen.insert(id.to_owned(), (fi, line));
        let ok = check_row(&row, self.config)?;
        self.accepted += 1;
        (self.on_entry)(&Entry {
            row,
            amount: ok.amount.value,
            quantity: ok.quantity.map(|q| q.value),
        });
        Ok(())
    }
}

/// The parsed values of a valid row (the dates are checked, not kept).
struct ValidRow {
    amount: money::Scaled,
    quantity: Option<money::Scaled>,
}

/// One data row's cells, looked up by contract field.
struct Row<'r, 'c> {
    index: &'r [Option<usize>],
    cells: &'r [&'c str],
}

impl<'c> Row<'_, 'c> {
    /// The trimmed cell of field `f` ("" when the file has no such column or the row is short).
    fn at(&self, f: Field) -> &'c str {
        self.index[f as usize]
            .and_then(|i| self.cells.get(i))
            .map(|s| s.trim())
            .unwrap_or("")
    }
}

/// Validates one row's fields in the contract's order; the first failure is the reason.
fn check_row(row: &Row<'_, '_>, config: &LedgerConfig) -> Result<ValidRow, (&'static str, String)> {
    let date =
        |f: Field, code: &'static str| -> Result<Option<NaiveDate>, (&'static str, String)> {
            let v = row.at(f);
            if v.is_empty() {
                return Ok(None);
            }
            config.date_format.parse_date(v).map(Some).ok_or_else(|| {
                (
                    code,
                    format!(
                        "{} {v:?} is not a date in the format {:?}",
                        f.name(),
                        config.date_format.as_str()
                    ),
                )
            })
        };
    let separator = config.decimal_separator.as_char();
    date(Field::PostingDate, "invalid posting_date")?
        .ok_or(("invalid posting_date", "posting_date is empty".to_owned()))?;
    if row.at(Field::CustomerId).is_empty() {
        return Err(("missing customer_id", "customer_id is empty".into()));
    }
    let amount_text = row.at(Field::Amount);
    if amount_text.is_empty() {
        return Err(("missing amount", "amount is empty".into()));
    }
    let amount =
        money::parse_ledger_amount(amount_text, separator, money::MONEY_SCALE).map_err(|e| {
            (
                "invalid amount",
                amount_problem("amount", amount_text, separator, &e),
            )
        })?;
    let currency = row.at(Field::Currency);
    if currency.is_empty() {
        return Err(("missing currency", "currency is empty".into()));
    }
    if !(currency.len() == 3 && currency.bytes().all(|c| c.is_ascii_alphabetic())) {
        return Err((
            "invalid currency",
            format!("currency {currency:?} is not a 3-letter ISO 4217 code"),
        ));
    }
    date(Field::ChargeStartDate, "invalid charge_start_date")?;
    date(Field::ChargeEndDate, "invalid charge_end_date")?;
    let q = row.at(Field::Quantity);
    let quantity = if q.is_empty() {
        None
    } else {
        Some(
            money::parse_ledger_amount(q, separator, money::MONEY_SCALE).map_err(|e| {
                (
                    "invalid quantity",
                    amount_problem("quantity", q, separator, &e),
                )
            })?,
        )
    };
    Ok(ValidRow { amount, quantity })
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

#[cfg(test)]
mod line_differential;

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(data: &[u8]) -> Vec<u64> {
        starts_read(data, usize::MAX)
    }

    /// Record start lines when the file arrives `chunk` bytes at a time (a `\r\n` may be split).
    fn starts_read(data: &[u8], chunk: usize) -> Vec<u64> {
        let reader = std::io::BufReader::with_capacity(chunk.min(1 << 16), data);
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .buffer_capacity(chunk.clamp(1, 1 << 16))
            .from_reader(Tap::new(reader, u64::MAX).unwrap());
        r.byte_headers().unwrap();
        let mut rec = csv::ByteRecord::new();
        let mut out = Vec::new();
        while r.read_byte_record(&mut rec).unwrap() {
            out.push(r.get_mut().record_line(rec.position()));
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
        // read a few bytes at a time: breaks split between reads count the same
        for data in [
            &b"h,i\r\nA,1\r\nB,\"x\r\ny\"\r\n\r\nC,3\r\n"[..],
            b"h,i\rA,1\r\rB,\"x\ry\"\rC,3",
            b"\xEF\xBB\xBFh,i\n\r\nA,1\n\rB,2\r\n",
        ] {
            let whole = starts(data);
            for chunk in 1..8 {
                assert_eq!(
                    starts_read(data, chunk),
                    whole,
                    "chunks of {chunk}: {data:?}"
                );
            }
        }
        assert_eq!(starts(b"h,i\rA,1\r\rB,\"x\ry\"\rC,3"), [2, 4, 6]);
    }
}
