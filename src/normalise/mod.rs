//! Line items of every kind → batches of charges with the contract's columns, streamed in a
//! fixed order.
//!
//! Line item files are parsed in parallel (one task per page or export blob) straight into
//! column builders, borrowing strings from the file's bytes; money is parsed from the raw JSON
//! token into scaled integers. Each task hands its rows on in batches of [`BATCH_ROWS`] through a
//! small bounded channel, and the caller receives them in invoice / feed / file order, so the
//! output is the same on every run and memory holds a few batches, not the whole snapshot.

mod kinds;

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, SyncSender};

use polars::prelude::*;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::model::epoch_days;
use crate::model::invoice::Collection;
use crate::model::line_item::{
    DailyRatedUsageLineItem, DailyUsageLineItem, LicenseBasedLineItem, OneTimeLineItem,
    UsageBasedLineItem,
};
use crate::money::{self, DecimalBuilder, Scaled};
use crate::source::snapshot::{Feed, Part, PartFormat, Snapshot, SnapshotInvoice, read_json_bytes};
use kinds::ToCharge;

/// Columns of the charges report, in order.
pub const CHARGE_COLUMNS: [&str; 24] = [
    "invoice_id",
    "invoice_date",
    "invoice_type",
    "billing_provider",
    "line_item_type",
    "charge_category",
    "customer_id",
    "customer_name",
    "subscription_id",
    "order_id",
    "product_id",
    "sku_id",
    "product_name",
    "sku_name",
    "charge_type",
    "charge_start_date",
    "charge_end_date",
    "quantity",
    "unit_price",
    "subtotal",
    "tax",
    "total",
    "currency",
    "line_ref",
];

/// Smallest scale money columns are written with (cents).
const MIN_MONEY_SCALE: u32 = 2;

/// `recurring`, `one_time` or `usage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeCategory {
    /// Subscription cycle charges and renewals.
    Recurring,
    /// Purchases, seat changes, cancellations, credits.
    OneTime,
    /// Metered consumption.
    Usage,
}

impl ChargeCategory {
    /// The report's value.
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeCategory::Recurring => "recurring",
            ChargeCategory::OneTime => "one_time",
            ChargeCategory::Usage => "usage",
        }
    }
}

/// One normalised line, borrowing from the parsed line item.
#[derive(Debug)]
pub struct ChargeRow<'a> {
    /// recurring / one_time / usage.
    pub category: ChargeCategory,
    /// Customer tenant id (GUIDs lower-cased).
    pub customer_id: Option<Cow<'a, str>>,
    /// Customer name.
    pub customer_name: Option<&'a str>,
    /// Subscription id (GUIDs lower-cased).
    pub subscription_id: Option<Cow<'a, str>>,
    /// Order id.
    pub order_id: Option<&'a str>,
    /// Product id (or legacy offer id).
    pub product_id: Option<Cow<'a, str>>,
    /// SKU id.
    pub sku_id: Option<Cow<'a, str>>,
    /// Product name.
    pub product_name: Option<&'a str>,
    /// SKU name.
    pub sku_name: Option<&'a str>,
    /// Charge type as the API names it.
    pub charge_type: Option<&'a str>,
    /// Start of the charged period (UTC date).
    pub charge_start_date: Option<chrono::NaiveDate>,
    /// End of the charged period (UTC date).
    pub charge_end_date: Option<chrono::NaiveDate>,
    /// Billed quantity.
    pub quantity: Option<Scaled>,
    /// Unit price actually used.
    pub unit_price: Option<Scaled>,
    /// Pre-tax amount.
    pub subtotal: Option<Scaled>,
    /// Tax.
    pub tax: Option<Scaled>,
    /// Amount after tax.
    pub total: Option<Scaled>,
    /// Billing currency.
    pub currency: Option<&'a str>,
    /// Hash of the line's natural key (the base of `line_ref`).
    pub key: u64,
}

/// 64-bit FNV-1a: a small, stable (seedless) hash for line references and file names.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = KeyHasher::default();
    h.bytes(bytes);
    h.0
}

/// Hashes a line's key fields (FNV-1a with field separators).
#[derive(Debug, Clone, Copy)]
pub struct KeyHasher(u64);

impl Default for KeyHasher {
    fn default() -> Self {
        KeyHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl KeyHasher {
    fn bytes(&mut self, b: &[u8]) {
        for &c in b {
            self.0 = (self.0 ^ c as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    /// Adds a text field.
    pub fn text(&mut self, v: Option<&str>) -> &mut Self {
        match v {
            Some(s) => self.bytes(s.as_bytes()),
            None => self.bytes(&[0xfe]),
        }
        self.bytes(&[0xff]);
        self
    }
    /// Adds a decimal field (by value, so `"1.50"` and `1.5` hash alike).
    pub fn dec(&mut self, v: Option<Scaled>) -> &mut Self {
        match v {
            Some(s) => self.bytes(&s.value.to_le_bytes()),
            None => self.bytes(&[0xfe]),
        }
        self.bytes(&[0xff]);
        self
    }
    /// The hash.
    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// Text columns filled from each row, in the order `ChargeColumns::push` fills them.
const ROW_TEXT: [&str; 11] = [
    "charge_category",
    "customer_id",
    "customer_name",
    "subscription_id",
    "order_id",
    "product_id",
    "sku_id",
    "product_name",
    "sku_name",
    "charge_type",
    "currency",
];

/// Column builders for the lines of one or more files.
struct ChargeColumns {
    /// Billing lines must carry an amount; usage detail lines need not.
    billing: bool,
    /// The invoice's currency, for lines that do not name theirs.
    invoice_currency: Option<String>,
    text: Vec<StringChunkedBuilder>,
    start: Vec<Option<i32>>,
    end: Vec<Option<i32>>,
    quantity: DecimalBuilder,
    unit_price: DecimalBuilder,
    subtotal: DecimalBuilder,
    tax: DecimalBuilder,
    total: DecimalBuilder,
    keys: Vec<u64>,
}

impl ChargeColumns {
    /// Empty builders (they grow with the file: most pages hold a few lines, blobs thousands).
    fn new(feed: Feed, invoice_currency: Option<&str>) -> Self {
        ChargeColumns {
            billing: feed.is_billing(),
            invoice_currency: invoice_currency.map(|c| c.trim().to_owned()),
            text: ROW_TEXT
                .iter()
                .map(|n| StringChunkedBuilder::new((*n).into(), 0))
                .collect(),
            start: Vec::new(),
            end: Vec::new(),
            quantity: DecimalBuilder::new(money::RATE_SCALE, 0),
            unit_price: DecimalBuilder::new(money::RATE_SCALE, 0),
            subtotal: DecimalBuilder::new(money::MONEY_SCALE, 0),
            tax: DecimalBuilder::new(money::MONEY_SCALE, 0),
            total: DecimalBuilder::new(money::MONEY_SCALE, 0),
            keys: Vec::new(),
        }
    }

    /// Appends a row; a billing line without a subtotal is refused.
    fn push(&mut self, row: &ChargeRow<'_>, feed_salt: u64) -> Result<(), String> {
        if self.billing && row.subtotal.is_none() {
            return Err("billing line item has no subtotal (pre-tax amount)".into());
        }
        let currency = row.currency.or(self.invoice_currency.as_deref());
        let texts: [Option<&str>; 11] = [
            Some(row.category.as_str()),
            row.customer_id.as_deref(),
            row.customer_name,
            row.subscription_id.as_deref(),
            row.order_id,
            row.product_id.as_deref(),
            row.sku_id.as_deref(),
            row.product_name,
            row.sku_name,
            row.charge_type,
            currency,
        ];
        for (b, v) in self.text.iter_mut().zip(texts) {
            b.append_option(v);
        }
        self.start.push(row.charge_start_date.map(epoch_days));
        self.end.push(row.charge_end_date.map(epoch_days));
        self.quantity.push(row.quantity);
        self.unit_price.push(row.unit_price);
        self.subtotal.push(row.subtotal);
        self.tax.push(row.tax);
        self.total.push(row.total);
        self.keys.push(row.key ^ feed_salt);
        Ok(())
    }
}

/// Rows a parse task gathers before handing them on: large enough to amortise the per-batch
/// work, small enough that the batches in flight stay a few tens of megabytes.
pub const BATCH_ROWS: usize = 64 * 1024;

/// Finished columns of one batch of a file's lines (numbers at the working scales).
struct PartColumns {
    text: Vec<StringChunked>,
    start: Vec<Option<i32>>,
    end: Vec<Option<i32>>,
    quantity: DecimalBuilder,
    unit_price: DecimalBuilder,
    subtotal: DecimalBuilder,
    tax: DecimalBuilder,
    total: DecimalBuilder,
    keys: Vec<u64>,
}

impl ChargeColumns {
    fn finish(self) -> PartColumns {
        PartColumns {
            text: self.text.into_iter().map(|b| b.finish()).collect(),
            start: self.start,
            end: self.end,
            quantity: self.quantity,
            unit_price: self.unit_price,
            subtotal: self.subtotal,
            tax: self.tax,
            total: self.total,
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
    tx: &'a SyncSender<PartMessage>,
}

impl Emitter<'_> {
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
            .send(Ok(full.finish()))
            .map_err(|_| "the run stopped".to_owned())
    }
}

/// A batch of normalised lines, all of one invoice and feed.
#[derive(Debug)]
pub struct ChargeBatch {
    /// Billing lines (the charges report, reconciled) or usage detail lines (daily usage
    /// feeds: the usage_line_items report, not reconciled because the billing lines already
    /// carry those amounts).
    pub billing: bool,
    /// The lines, with the [`charges_schema`] columns.
    pub frame: DataFrame,
}

/// The charges report's columns and types. Money is `Decimal(38, 18)` and quantities and unit
/// prices `Decimal(38, 26)`: the working scales, fixed so that a streamed Parquet file's type is
/// known before its first row (and stays the same from run to run).
pub fn charges_schema() -> Schema {
    let money = DataType::Decimal(money::PRECISION, money::MONEY_SCALE as usize);
    let rate = DataType::Decimal(money::PRECISION, money::RATE_SCALE as usize);
    CHARGE_COLUMNS
        .iter()
        .map(|name| {
            let dtype = match *name {
                "invoice_date" | "charge_start_date" | "charge_end_date" => DataType::Date,
                "quantity" | "unit_price" => rate.clone(),
                "subtotal" | "tax" | "total" => money.clone(),
                _ => DataType::String,
            };
            Field::new((*name).into(), dtype)
        })
        .collect()
}

/// Parses every line item file of the snapshot and hands the lines to `on_batch` in a fixed
/// order (invoice, feed, file, line), batch by batch; stops at the first error.
pub fn stream(
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
                    if let Err(e) = read_part(&snapshot.invoices[inv], part, &tx) {
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
            for ((inv, part), rx) in jobs.iter().zip(&receivers) {
                if *inv != current {
                    seen.clear();
                    current = *inv;
                }
                // ends when the task drops its sender, after its last batch
                while let Ok(message) = rx.recv() {
                    let frame =
                        batch_frame(&snapshot.invoices[*inv], part.feed, message?, &mut seen)?;
                    on_batch(ChargeBatch {
                        billing: part.feed.is_billing(),
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

fn read_part(inv: &SnapshotInvoice, part: &Part, tx: &SyncSender<PartMessage>) -> Result<()> {
    let currency = inv.header.currency_code.as_deref();
    let mut out = Emitter {
        cols: ChargeColumns::new(part.feed, currency),
        feed: part.feed,
        salt: fnv1a(part.feed.folder().as_bytes()),
        tx,
    };
    match part.format {
        PartFormat::JsonPage => {
            let bytes = std::fs::read(&part.path)
                .map_err(|e| Error::input_file(&part.path, format!("cannot read: {e}")))?;
            match part.feed {
                Feed::OfficeBilling => page::<LicenseBasedLineItem>(&part.path, &bytes, &mut out)?,
                Feed::AzureBilling => page::<UsageBasedLineItem>(&part.path, &bytes, &mut out)?,
                Feed::AzureUsage => page::<DailyUsageLineItem>(&part.path, &bytes, &mut out)?,
                Feed::OneTimeBilling | Feed::Export => onetime_page(&part.path, &bytes, &mut out)?,
                Feed::OneTimeUsage => {
                    page::<DailyRatedUsageLineItem>(&part.path, &bytes, &mut out)?
                }
            }
        }
        PartFormat::GzipJsonLines => json_lines(&part.path, &mut out)?,
    }
    if !out.cols.keys.is_empty() {
        out.send().map_err(Error::Internal)?;
    }
    Ok(())
}

/// A v1 `ResourceCollection` page of line items of kind `T`.
fn page<'a, T: Deserialize<'a> + ToCharge>(
    path: &Path,
    bytes: &'a [u8],
    out: &mut Emitter<'_>,
) -> Result<()> {
    let coll: Collection<T> = read_json_bytes(path, bytes)?;
    for (i, item) in coll.items.iter().enumerate() {
        item.to_charge()
            .and_then(|row| out.push(&row))
            .map_err(|e| Error::input_file(path, format!("item {}: {e}", i + 1)))?;
    }
    Ok(())
}

/// A v1 page of new-commerce line items (parsed item by item like export rows).
fn onetime_page(path: &Path, bytes: &[u8], out: &mut Emitter<'_>) -> Result<()> {
    let coll: Collection<&serde_json::value::RawValue> = read_json_bytes(path, bytes)?;
    for (i, raw) in coll.items.iter().enumerate() {
        OneTimeLineItem::parse(raw.get().as_bytes())
            .and_then(|item| item.to_charge().and_then(|row| out.push(&row)))
            .map_err(|e| Error::input_file(path, format!("item {}: {e}", i + 1)))?;
    }
    Ok(())
}

/// A gzip JSON-lines export blob: multi-member gzip, a UTF-8 BOM and blank lines are tolerated.
fn json_lines(path: &Path, out: &mut Emitter<'_>) -> Result<()> {
    let file =
        File::open(path).map_err(|e| Error::input_file(path, format!("cannot read: {e}")))?;
    let gz = flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 16, file));
    let mut reader = BufReader::with_capacity(1 << 20, gz);
    let mut buf = Vec::with_capacity(1 << 12);
    let mut line_no = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::input_file(path, format!("is not a readable gzip file: {e}")))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let line = crate::source::snapshot::strip_bom(&buf).trim_ascii();
        if line.is_empty() {
            continue;
        }
        let item = OneTimeLineItem::parse(line)
            .map_err(|e| Error::input_line(path, line_no, format!("not a line item: {e}")))?;
        item.to_charge()
            .and_then(|row| out.push(&row))
            .map_err(|e| Error::input_line(path, line_no, e))?;
    }
    // a truncated gzip stream reports as an error above; make sure nothing trails
    let mut rest = Vec::new();
    reader
        .read_to_end(&mut rest)
        .map_err(|e| Error::input_file(path, format!("is not a readable gzip file: {e}")))?;
    Ok(())
}

/// A batch's frame: the invoice's columns and each line's `line_ref` added to the parsed ones.
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
    let mut text: Vec<Option<StringChunked>> = p.text.into_iter().map(Some).collect();
    let mut t = |name: &str| {
        let i = ROW_TEXT
            .iter()
            .position(|n| *n == name)
            .expect("text column");
        text[i]
            .take()
            .expect("each text column is used once")
            .into_column()
    };
    let same = |name: &str, v: &str| StringChunked::full(name.into(), v, rows).into_column();
    let pe = |e| Error::polars("charges batch", e);
    let columns = vec![
        same("invoice_id", &inv.header.id),
        date_column("invoice_date", vec![inv.date.map(epoch_days); rows]).map_err(pe)?,
        same("invoice_type", inv.invoice_type.as_str()),
        same("billing_provider", feed.billing_provider()),
        same("line_item_type", feed.line_item_type()),
        t("charge_category"),
        t("customer_id"),
        t("customer_name"),
        t("subscription_id"),
        t("order_id"),
        t("product_id"),
        t("sku_id"),
        t("product_name"),
        t("sku_name"),
        t("charge_type"),
        date_column("charge_start_date", p.start).map_err(pe)?,
        date_column("charge_end_date", p.end).map_err(pe)?,
        p.quantity
            .into_column("quantity", money::RATE_SCALE)
            .map_err(pe)?,
        p.unit_price
            .into_column("unit_price", money::RATE_SCALE)
            .map_err(pe)?,
        p.subtotal
            .into_column("subtotal", money::MONEY_SCALE)
            .map_err(pe)?,
        p.tax.into_column("tax", money::MONEY_SCALE).map_err(pe)?,
        p.total
            .into_column("total", money::MONEY_SCALE)
            .map_err(pe)?,
        t("currency"),
        line_ref.finish().into_column(),
    ];
    DataFrame::new(rows, columns).map_err(pe)
}

/// Appends `v` as 16 lower-case hex digits.
fn push_hex(out: &mut String, v: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for shift in (0..16).rev() {
        out.push(DIGITS[((v >> (shift * 4)) & 0xf) as usize] as char);
    }
}

/// A `Date` column from days since the epoch.
pub fn date_column(name: &str, days: Vec<Option<i32>>) -> PolarsResult<Column> {
    let ca: Int32Chunked = days.into_iter().collect_ca(name.into());
    Ok(ca.into_date().into_column())
}

/// One row per invoice: `invoice_id, invoice_date, invoice_type, currency, invoice_total`.
pub fn invoices_frame(invoices: &[SnapshotInvoice]) -> Result<DataFrame> {
    let mut total = DecimalBuilder::new(money::MONEY_SCALE, invoices.len());
    for inv in invoices {
        total.push(inv.header.total_charges.0);
    }
    let scale = total.digits().max(MIN_MONEY_SCALE);
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
        ],
    )
    .map_err(pe)
}
