//! Line items of every kind → batches of charges with the contract's columns, streamed in a
//! fixed order.
//!
//! Line item files are parsed in parallel (one task per page or export blob) straight into
//! column builders, borrowing strings from the file's bytes; money is parsed from the raw JSON
//! token into scaled integers. Each task hands its rows on in batches of [`BATCH_ROWS`] through a
//! small bounded channel, and the caller receives them in invoice / feed / file order, so the
//! output is the same on every run and memory holds a few batches, not the whole snapshot.
//!
//! The columns are declared once in [`columns`]; `kinds` maps each line item kind onto them.

pub mod columns;
mod kinds;

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, SyncSender};

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::model::feed::{Feed, Parser};
use crate::model::fnv::{fnv1a, page_fingerprint};
use crate::model::invoice::Collection;
use crate::model::json::{read_document, read_json_bytes};
use crate::model::line_item::{
    DailyRatedUsageLineItem, DailyUsageLineItem, FlatLineItem, LicenseBasedLineItem,
    OneTimeLineItem, UsageBasedLineItem,
};
use crate::model::{date_column, epoch_days, strip_bom};
use crate::money::{self, DecimalBuilder};
use crate::source::config::ReadLimits;
use crate::source::snapshot::{Part, Snapshot, SnapshotInvoice};
use columns::{
    BatchValues, CHARGE_COLUMNS, ChargeRow, ColumnKind, LINE_DATE, LINE_DECIMAL, LINE_TEXT, Role,
    col,
};
use kinds::ToCharge;

/// `recurring`, `one_time` or `usage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChargeCategory {
    /// Subscription cycle charges and renewals.
    Recurring,
    /// Purchases, seat changes, cancellations, credits.
    OneTime,
    /// Metered consumption.
    Usage,
}

impl ChargeCategory {
    /// The report's value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ChargeCategory::Recurring => "recurring",
            ChargeCategory::OneTime => "one_time",
            ChargeCategory::Usage => "usage",
        }
    }
}

/// Column builders for the lines of one or more files.
struct ChargeColumns {
    /// Billing lines must carry an amount; usage detail lines need not.
    billing: bool,
    /// The invoice's currency, for lines that do not name theirs.
    invoice_currency: Option<String>,
    text: [StringChunkedBuilder; LINE_TEXT.len()],
    /// Days since the epoch.
    dates: [Vec<Option<i32>>; LINE_DATE.len()],
    decimals: [DecimalBuilder; LINE_DECIMAL.len()],
    keys: Vec<u64>,
}

impl ChargeColumns {
    /// Empty builders (they grow with the file: most pages hold a few lines, blobs thousands).
    fn new(feed: Feed, invoice_currency: Option<&str>) -> Self {
        ChargeColumns {
            billing: feed.spec().billing,
            invoice_currency: invoice_currency.map(|c| c.trim().to_owned()),
            text: LINE_TEXT.map(|i| StringChunkedBuilder::new(CHARGE_COLUMNS[i].name.into(), 0)),
            dates: LINE_DATE.map(|_| Vec::new()),
            decimals: LINE_DECIMAL.map(|i| DecimalBuilder::new(CHARGE_COLUMNS[i].kind.scale(), 0)),
            keys: Vec::new(),
        }
    }

    /// Appends a row; a billing line without a subtotal is refused.
    fn push(&mut self, row: &ChargeRow<'_>, feed_salt: u64) -> Result<(), String> {
        if self.billing && row[col::subtotal].is_none() {
            return Err("billing line item has no subtotal (pre-tax amount)".into());
        }
        // a line that names no currency is in its invoice's
        let currency = row[col::currency]
            .as_deref()
            .or(self.invoice_currency.as_deref());
        for (i, (b, v)) in self.text.iter_mut().zip(&row.text).enumerate() {
            b.append_option(if i == col::currency.index() {
                currency
            } else {
                v.as_deref()
            });
        }
        for (b, v) in self.dates.iter_mut().zip(&row.dates) {
            b.push(v.map(epoch_days));
        }
        for (b, v) in self.decimals.iter_mut().zip(&row.decimals) {
            b.push(*v);
        }
        self.keys.push(row.key ^ feed_salt);
        Ok(())
    }
}

/// Rows a parse task gathers before handing them on: large enough to amortise the per-batch
/// work, small enough that the batches in flight (up to five: one being filled and one waiting
/// per parse task, one being drained) stay small. 32k rows: −100 MB peak at 5M lines against
/// 64k, same CPU; Parquet still gathers them into row groups of 64k.
pub const BATCH_ROWS: usize = 32 * 1024;

/// Finished columns of one batch of a file's lines (numbers at the working scales).
struct PartColumns {
    /// The page's [`page_fingerprint`] (v1 pages; `None` for export blobs).
    fingerprint: Option<u64>,
    text: [StringChunked; LINE_TEXT.len()],
    dates: [Vec<Option<i32>>; LINE_DATE.len()],
    decimals: [DecimalBuilder; LINE_DECIMAL.len()],
    keys: Vec<u64>,
}

impl ChargeColumns {
    fn finish(self, fingerprint: Option<u64>) -> PartColumns {
        PartColumns {
            fingerprint,
            text: self.text.map(|b| b.finish()),
            dates: self.dates,
            decimals: self.decimals,
            keys: self.keys,
        }
    }
}

/// What a parse task sends: a batch of lines, or the error that stopped its file.
type PartMessage = Result<PartColumns>;

/// A parse task's output end: gathers rows and sends a batch every [`BATCH_ROWS`].
struct Emitter<'a> {
    cols: ChargeColumns,
    feed: Feed,
    salt: u64,
    /// The file's [`page_fingerprint`], sent with each of its batches.
    fingerprint: Option<u64>,
    tx: &'a SyncSender<PartMessage>,
}

impl<'a> Emitter<'a> {
    /// An emitter for the lines of `inv` from `feed`.
    fn new(inv: &SnapshotInvoice, feed: Feed, tx: &'a SyncSender<PartMessage>) -> Self {
        Emitter {
            cols: ChargeColumns::new(feed, inv.header.currency_code.as_deref()),
            feed,
            salt: fnv1a(feed.spec().folder.as_bytes()),
            fingerprint: None,
            tx,
        }
    }

    /// Adds a line; a billing line without a subtotal is refused.
    fn push(&mut self, row: &ChargeRow<'_>) -> Result<(), String> {
        self.cols.push(row, self.salt)?;
        if self.cols.keys.len() >= BATCH_ROWS {
            self.send()?;
        }
        Ok(())
    }

    /// Sends the rows gathered so far (the receiver gone means the run is stopping).
    fn send(&mut self) -> Result<(), String> {
        let fresh = ChargeColumns::new(self.feed, self.cols.invoice_currency.as_deref());
        let full = std::mem::replace(&mut self.cols, fresh);
        self.tx
            .send(Ok(full.finish(self.fingerprint)))
            .map_err(|_| "the run stopped".to_owned())
    }
}

/// A batch of normalised lines, all of one invoice and feed.
#[derive(Debug)]
pub(crate) struct ChargeBatch {
    /// Billing lines (the charges report, reconciled) or usage detail lines (daily usage
    /// feeds: the usage_line_items report, not reconciled because the billing lines already
    /// carry those amounts).
    pub(crate) billing: bool,
    /// The lines, with the [`charges_schema`] columns.
    pub(crate) frame: DataFrame,
}

/// The charges report's columns and types ([`columns::CHARGE_COLUMNS`]). Money is
/// `Decimal(38, 18)` and quantities and unit prices `Decimal(38, 26)`: the working scales.
pub(crate) fn charges_schema() -> Schema {
    CHARGE_COLUMNS
        .iter()
        .map(|c| Field::new(c.name.into(), c.kind.dtype()))
        .collect()
}

/// Parses every line item file of the snapshot and hands the lines to `on_batch` in a fixed
/// order (invoice, feed, file, line), batch by batch; stops at the first error.
pub(crate) fn stream(
    snapshot: &Snapshot,
    mut on_batch: impl FnMut(ChargeBatch) -> Result<()>,
) -> Result<()> {
    let jobs: Vec<(usize, &Part)> = snapshot
        .invoices
        .iter()
        .enumerate()
        .flat_map(|(i, inv)| inv.parts.iter().map(move |p| (i, p)))
        .collect();
    // one channel per file: a task fills its own (one batch ahead) while the caller drains the
    // files in order, so no file waits on another's batches and memory stays bounded
    let (senders, receivers): (Vec<_>, Vec<_>) = jobs
        .iter()
        .map(|_| mpsc::sync_channel::<PartMessage>(1))
        .unzip();
    let senders: Vec<Mutex<Option<SyncSender<PartMessage>>>> =
        senders.into_iter().map(|s| Mutex::new(Some(s))).collect();
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let workers = rayon::current_num_threads().clamp(1, jobs.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= jobs.len() || stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let tx = senders[i]
                        .lock()
                        .expect("no task panics holding the lock")
                        .take()
                        .expect("each file is taken once");
                    let (inv, part) = jobs[i];
                    if let Err(e) = read_part(&snapshot.invoices[inv], part, snapshot.limits, &tx) {
                        // a closed channel means the run is stopping: nobody to tell
                        let _ = tx.send(Err(e));
                    }
                }
            });
        }
        let result = (|| {
            // occurrences of each line key within its invoice: identical lines get -2, -3, …
            let mut seen: PlHashMap<u64, u32> = PlHashMap::new();
            let mut current = usize::MAX;
            // the previous page of the same invoice and feed, with its fingerprint (non-empty)
            let mut previous: Option<(usize, &Part, u64)> = None;
            for ((inv, part), rx) in jobs.iter().zip(&receivers) {
                if *inv != current {
                    seen.clear();
                    current = *inv;
                }
                let mut first = true;
                let before = previous.take();
                // ends when the task drops its sender, after its last batch
                while let Ok(message) = rx.recv() {
                    let message = message?;
                    if std::mem::take(&mut first)
                        && let Some(fp) = message.fingerprint
                    {
                        if let Some((_, earlier, _)) =
                            before.filter(|(i, p, f)| *i == *inv && p.feed == part.feed && *f == fp)
                        {
                            return Err(repeated_page(snapshot, *inv, earlier, part));
                        }
                        previous = Some((*inv, *part, fp));
                    }
                    let frame =
                        batch_frame(&snapshot.invoices[*inv], part.feed, message, &mut seen)?;
                    on_batch(ChargeBatch {
                        billing: part.feed.spec().billing,
                        frame,
                    })?;
                }
            }
            Ok(())
        })();
        stop.store(true, Ordering::Relaxed);
        // tasks blocked on a full channel see it closed and stop
        drop(receivers);
        result
    })
}

/// The error for page `part` repeating page `earlier` of the same feed.
fn repeated_page(snapshot: &Snapshot, inv: usize, earlier: &Part, part: &Part) -> Error {
    Error::input_file(
        &part.path,
        format!(
            "repeats {} item for item (invoice {}, feed {}): the API served the same page twice; the snapshot is faulty: fetch it again",
            earlier.path.display(),
            snapshot.invoices[inv].header.id,
            part.feed.spec().folder
        ),
    )
}

fn read_part(
    inv: &SnapshotInvoice,
    part: &Part,
    limits: ReadLimits,
    tx: &SyncSender<PartMessage>,
) -> Result<()> {
    let mut out = Emitter::new(inv, part.feed, tx);
    let path = &part.path;
    match part.feed.spec().parser {
        Parser::ExportBlobs => json_lines(path, limits, &mut out)?,
        _ => v1_page(path, &read_document(path, &limits)?, limits, &mut out)?,
    }
    if !out.cols.keys.is_empty() {
        out.send().map_err(Error::Internal)?;
    }
    Ok(())
}

/// A v1 page of the emitter's feed, with that feed's line item kind.
fn v1_page(path: &Path, bytes: &[u8], limits: ReadLimits, out: &mut Emitter<'_>) -> Result<()> {
    match out.feed.spec().parser {
        Parser::LicenseBased => page::<LicenseBasedLineItem>(path, bytes, limits, out),
        Parser::UsageBased => page::<UsageBasedLineItem>(path, bytes, limits, out),
        Parser::DailyUsage => page::<DailyUsageLineItem>(path, bytes, limits, out),
        Parser::OneTime => page::<OneTimeLineItem>(path, bytes, limits, out),
        Parser::DailyRatedUsage => page::<DailyRatedUsageLineItem>(path, bytes, limits, out),
        Parser::ExportBlobs => Err(Error::Internal(format!(
            "{} is an export blob, not a v1 page",
            path.display()
        ))),
    }
}

/// A v1 `ResourceCollection` page of line items of kind `T` (parsed item by item like export
/// rows, so member names match whatever their casing); more than `limits.max_page_items` items
/// is an input error.
fn page<'a, T: FlatLineItem<'a> + ToCharge>(
    path: &Path,
    bytes: &'a [u8],
    limits: ReadLimits,
    out: &mut Emitter<'_>,
) -> Result<()> {
    // the items are borrowed slices (16 bytes each), and the page's size is bounded already
    let coll: Collection<&serde_json::value::RawValue> = read_json_bytes(path, bytes)?;
    if let Some(why) = limits.page_items_error(coll.items.len()) {
        return Err(Error::input_file(path, why));
    }
    out.fingerprint = Some(page_fingerprint(&coll.items));
    for (i, raw) in coll.items.iter().enumerate() {
        T::parse(raw.get().as_bytes())
            .and_then(|item| item.to_charge().and_then(|row| out.push(&row)))
            .map_err(|e| Error::input_file(path, format!("item {}: {e}", i + 1)))?;
    }
    Ok(())
}

/// A gzip JSON-lines export blob: multi-member gzip, a UTF-8 BOM and blank lines are tolerated.
/// A line longer than `limits.max_line_bytes`, or more inflated bytes than
/// `limits.max_inflate_ratio` × the file's size (a gzip bomb), stop with an input error.
fn json_lines(path: &Path, limits: ReadLimits, out: &mut Emitter<'_>) -> Result<()> {
    let file =
        File::open(path).map_err(|e| Error::input_file(path, format!("cannot read: {e}")))?;
    let compressed = file.metadata().map(|m| m.len()).unwrap_or(0);
    let max_inflated = inflate_limit(compressed, limits);
    let gz = flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 16, file));
    let mut reader = BufReader::with_capacity(1 << 20, gz.take(max_inflated.saturating_add(1)));
    json_line_items(path, &mut reader, limits, compressed, out)?;
    // a truncated gzip stream reports as an error above; make sure nothing trails
    let mut rest = Vec::new();
    reader
        .read_to_end(&mut rest)
        .map_err(|e| Error::input_file(path, format!("is not a readable gzip file: {e}")))?;
    Ok(())
}

/// The most bytes a blob of `compressed` bytes may inflate to: at least 1 MiB, so that a tiny
/// blob of a few lines never trips it.
fn inflate_limit(compressed: u64, limits: ReadLimits) -> u64 {
    compressed
        .saturating_mul(limits.max_inflate_ratio)
        .max(1 << 20)
}

/// The line items of an export blob's inflated JSON lines (`compressed`: the blob's size).
fn json_line_items(
    path: &Path,
    reader: &mut impl BufRead,
    limits: ReadLimits,
    compressed: u64,
    out: &mut Emitter<'_>,
) -> Result<()> {
    let max_inflated = inflate_limit(compressed, limits);
    let mut buf = Vec::with_capacity(1 << 12);
    let mut line_no = 0u64;
    let mut inflated = 0u64;
    loop {
        buf.clear();
        let n = (&mut *reader)
            .take(limits.max_line_bytes.saturating_add(1))
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::input_file(path, format!("is not a readable gzip file: {e}")))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        inflated += n as u64;
        if inflated > max_inflated {
            return Err(Error::input_file(
                path,
                format!(
                    "inflates to more than {max_inflated} bytes, {}× its {compressed} bytes ([source] max_inflate_ratio): a corrupt or hostile blob; fetch it again",
                    limits.max_inflate_ratio
                ),
            ));
        }
        if n as u64 > limits.max_line_bytes && buf.last() != Some(&b'\n') {
            return Err(Error::input_line(
                path,
                line_no,
                format!(
                    "is longer than {} bytes ([source] max_line_bytes): not a line item",
                    limits.max_line_bytes
                ),
            ));
        }
        let line = strip_bom(&buf).trim_ascii();
        if line.is_empty() {
            continue;
        }
        let item = OneTimeLineItem::parse(line)
            .map_err(|e| Error::input_line(path, line_no, format!("not a line item: {e}")))?;
        item.to_charge()
            .and_then(|row| out.push(&row))
            .map_err(|e| Error::input_line(path, line_no, e))?;
    }
    Ok(())
}

/// The batch columns' values of an invoice's lines from `feed`.
fn batch_values(inv: &SnapshotInvoice, feed: Feed) -> BatchValues<'_> {
    let spec = feed.spec();
    let mut v = BatchValues::default();
    v[col::invoice_id] = Some(&inv.header.id);
    v[col::invoice_date] = inv.date;
    v[col::invoice_type] = Some(inv.invoice_type.as_str());
    v[col::billing_provider] = Some(spec.provider);
    v[col::line_item_type] = Some(spec.line_item_type());
    v[col::document_type] = Some(inv.header.document_type().as_str());
    v[col::amends_invoice_id] = inv.header.amends_of.as_deref();
    v
}

/// A batch's frame: the batch columns and each line's `line_ref` added to the parsed ones, in
/// [`CHARGE_COLUMNS`] order.
fn batch_frame(
    inv: &SnapshotInvoice,
    feed: Feed,
    p: PartColumns,
    seen: &mut PlHashMap<u64, u32>,
) -> Result<DataFrame> {
    let rows = p.keys.len();
    let mut line_ref = StringChunkedBuilder::new("line_ref".into(), rows);
    let mut hex = String::with_capacity(24);
    for key in &p.keys {
        let n = seen.entry(*key).or_insert(0);
        *n += 1;
        hex.clear();
        push_hex(&mut hex, *key);
        if *n > 1 {
            use std::fmt::Write;
            let _ = write!(hex, "-{n}");
        }
        line_ref.append_value(&hex);
    }
    let mut line_ref = Some(line_ref.finish());
    let batch = batch_values(inv, feed);
    // slots are numbered in column order: each kind's values are taken in turn
    let (mut batch_text, mut batch_dates, mut batch_decimals) = (
        batch.text.into_iter(),
        batch.dates.into_iter(),
        batch.decimals.into_iter(),
    );
    let (mut text, mut dates, mut decimals) = (
        p.text.into_iter(),
        p.dates.into_iter(),
        p.decimals.into_iter(),
    );
    let pe = |e| Error::polars("charges batch", e);
    let mut columns = Vec::with_capacity(CHARGE_COLUMNS.len());
    for c in CHARGE_COLUMNS {
        let name = c.name;
        let scale = c.kind.scale();
        let missing = || Error::Internal(format!("charges column {name} has no values"));
        let column = match (c.role, c.kind) {
            (Role::Batch, ColumnKind::Text) => match batch_text.next().ok_or_else(missing)? {
                Some(v) => StringChunked::full(name.into(), v, rows),
                None => StringChunked::full_null(name.into(), rows),
            }
            .into_column(),
            (Role::Batch, ColumnKind::Date) => {
                let day = batch_dates.next().ok_or_else(missing)?.map(epoch_days);
                date_column(name, vec![day; rows]).map_err(pe)?
            }
            (Role::Batch, _) => {
                let v = batch_decimals.next().ok_or_else(missing)?;
                let mut b = DecimalBuilder::new(scale, rows);
                (0..rows).for_each(|_| b.push(v));
                b.into_column(name, scale).map_err(pe)?
            }
            (Role::Line, ColumnKind::Text) => text.next().ok_or_else(missing)?.into_column(),
            (Role::Line, ColumnKind::Date) => {
                date_column(name, dates.next().ok_or_else(missing)?).map_err(pe)?
            }
            (Role::Line, _) => decimals
                .next()
                .ok_or_else(missing)?
                .into_column(name, scale)
                .map_err(pe)?,
            (Role::LineRef, _) => line_ref.take().ok_or_else(missing)?.into_column(),
        };
        columns.push(column);
    }
    DataFrame::new(rows, columns).map_err(pe)
}

/// Appends `v` as 16 lower-case hex digits.
fn push_hex(out: &mut String, v: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for shift in (0..16).rev() {
        out.push(DIGITS[((v >> (shift * 4)) & 0xf) as usize] as char);
    }
}

/// The `unbilled_charges` report's columns: the charges columns and `billing_period`.
pub(crate) fn unbilled_schema() -> Schema {
    let mut schema = charges_schema();
    schema.insert(PlSmallStr::from_static("billing_period"), DataType::String);
    schema
}

/// The lines of the snapshot's unbilled exports, parsed as v2 export rows, with the
/// [`unbilled_schema`] columns: invoice, invoice date and type and document type empty (nothing
/// is invoiced yet), `billing_period` `current` or `last`. Exports in folder order.
pub(crate) fn unbilled_frame(snapshot: &Snapshot) -> Result<DataFrame> {
    let pe = |e| Error::polars("unbilled charges", e);
    let mut out = DataFrame::empty_with_schema(&unbilled_schema());
    for export in &snapshot.unbilled {
        let alone = Snapshot {
            invoices: vec![undated_invoice("", &export.currency, export.parts.clone())?],
            summaries: Vec::new(),
            manifest: None,
            outside_period: Default::default(),
            unbilled: Vec::new(),
            limits: snapshot.limits,
        };
        stream(&alone, |batch| {
            let rows = batch.frame.height();
            let mut frame = batch.frame;
            for name in ["invoice_type", "document_type"] {
                frame
                    .with_column(StringChunked::full_null(name.into(), rows).into_column())
                    .map_err(pe)?;
            }
            frame
                .with_column(
                    StringChunked::full("billing_period".into(), &export.billing_period, rows)
                        .into_column(),
                )
                .map_err(pe)?;
            out.vstack_mut_owned(frame).map_err(pe)?;
            Ok(())
        })?;
    }
    out.rechunk_mut_par();
    Ok(out)
}

/// An invoice with only an id and a currency (no date, no billing period), holding `parts`.
fn undated_invoice(id: &str, currency: &str, parts: Vec<Part>) -> Result<SnapshotInvoice> {
    let header: crate::model::invoice::Invoice =
        serde_json::from_value(serde_json::json!({"id": id, "currencyCode": currency}))
            .map_err(|e| Error::Internal(format!("invoice header {id:?}: {e}")))?;
    Ok(SnapshotInvoice {
        invoice_type: crate::model::invoice::InvoiceType::of(&header),
        header,
        date: None,
        billing_period: (None, None),
        parts,
    })
}

/// One line item file's bytes, parsed as [`stream`] parses a file into its batch frame (the
/// charges columns and each line's `line_ref`), as lines of invoice `G000000001` in EUR: a v1
/// page of `feed`, or for [`Feed::Export`] a blob's JSON lines already inflated. For the fuzz
/// targets ([`crate::fuzzing`]); a file of more than [`BATCH_ROWS`] lines is an error here.
pub(crate) fn part_frame(feed: Feed, bytes: &[u8], limits: ReadLimits) -> Result<DataFrame> {
    let inv = undated_invoice("G000000001", "EUR", Vec::new())?;
    let (tx, rx) = mpsc::sync_channel(1);
    // nobody takes a full batch: sending one fails instead of waiting forever
    drop(rx);
    let mut out = Emitter::new(&inv, feed, &tx);
    let path = Path::new("fuzz-input");
    match feed.spec().parser {
        Parser::ExportBlobs => {
            json_line_items(path, &mut &bytes[..], limits, bytes.len() as u64, &mut out)?
        }
        _ => v1_page(path, bytes, limits, &mut out)?,
    }
    let part = out.cols.finish(out.fingerprint);
    batch_frame(&inv, feed, part, &mut PlHashMap::new())
}

/// One row per invoice: `invoice_id, invoice_date, invoice_type, currency, invoice_total`.
pub(crate) fn invoices_frame(invoices: &[SnapshotInvoice]) -> Result<DataFrame> {
    let mut total = DecimalBuilder::new(money::MONEY_SCALE, invoices.len());
    let mut paid = DecimalBuilder::new(money::MONEY_SCALE, invoices.len());
    for inv in invoices {
        total.push(inv.header.total_charges.0);
        paid.push(inv.header.paid_amount.0);
    }
    let scale = total.digits().max(money::CENT_DIGITS);
    let paid_scale = paid.digits().max(money::CENT_DIGITS);
    let pe = |e| Error::polars("invoices frame", e);
    let n = invoices.len();
    DataFrame::new(
        n,
        vec![
            Column::new(
                "invoice_id".into(),
                invoices
                    .iter()
                    .map(|i| i.header.id.as_str())
                    .collect::<Vec<_>>(),
            ),
            date_column(
                "invoice_date",
                invoices.iter().map(|i| i.date.map(epoch_days)).collect(),
            )
            .map_err(pe)?,
            Column::new(
                "invoice_type".into(),
                invoices
                    .iter()
                    .map(|i| i.invoice_type.as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "currency".into(),
                invoices
                    .iter()
                    .map(|i| i.header.currency_code.as_deref().map(str::trim))
                    .collect::<Vec<_>>(),
            ),
            total.into_column("invoice_total", scale).map_err(pe)?,
            Column::new(
                "document_type".into(),
                invoices
                    .iter()
                    .map(|i| i.header.document_type().as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "amends_invoice_id".into(),
                invoices
                    .iter()
                    .map(|i| i.header.amends_of.as_deref())
                    .collect::<Vec<_>>(),
            ),
            paid.into_column("paid_amount", paid_scale).map_err(pe)?,
            date_column(
                "billing_period_start",
                invoices
                    .iter()
                    .map(|i| i.billing_period.0.map(epoch_days))
                    .collect(),
            )
            .map_err(pe)?,
            date_column(
                "billing_period_end",
                invoices
                    .iter()
                    .map(|i| i.billing_period.1.map(epoch_days))
                    .collect(),
            )
            .map_err(pe)?,
        ],
    )
    .map_err(pe)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::invoice::{Invoice, InvoiceType};

    #[test]
    fn every_batch_column_has_a_value_and_frames_follow_the_schema() {
        let header: Invoice =
            serde_json::from_str(r#"{"id": "G1", "currencycode": "EUR", "amendsof": "G0"}"#)
                .expect("invoice header");
        let inv = SnapshotInvoice {
            header,
            date: chrono::NaiveDate::from_ymd_opt(2025, 3, 1),
            billing_period: (None, None),
            invoice_type: InvoiceType::OneTime,
            parts: Vec::new(),
        };
        let v = batch_values(&inv, Feed::OneTimeUsage);
        assert!(v.text.iter().all(Option::is_some) && v.dates.iter().all(Option::is_some));
        assert!(v.decimals.iter().all(Option::is_some));

        let mut cols = ChargeColumns::new(Feed::OneTimeUsage, Some(" EUR "));
        let mut row = ChargeRow::new(ChargeCategory::Usage, 7);
        row[col::quantity] = Some(money::parse_decimal("1.5", money::RATE_SCALE, false).unwrap());
        cols.push(&row, 0).unwrap();
        let mut seen = PlHashMap::new();
        let df = batch_frame(&inv, Feed::OneTimeUsage, cols.finish(None), &mut seen).unwrap();
        assert_eq!(df.schema().as_ref(), &charges_schema());
        let cell = |name: &str| df.column(name).unwrap().get(0).unwrap().to_string();
        assert_eq!(
            cell("currency"),
            "\"EUR\"",
            "the invoice's currency fills in"
        );
        assert_eq!(cell("billing_provider"), "\"marketplace\"");
        assert_eq!(cell("charge_category"), "\"usage\"");
        assert_eq!(cell("line_ref"), "\"0000000000000007\"");
    }
}
