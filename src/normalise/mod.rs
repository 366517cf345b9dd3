//! Line items of every kind → one polars DataFrame of charges with the contract's columns.
//!
//! Line item files are parsed in parallel (one task per page or export blob) straight into
//! column builders, borrowing strings from the file's bytes; money is parsed from the raw JSON
//! token into scaled integers. Parts are then joined in a fixed order (invoice id, feed, file),
//! so the frame is the same on every run.

mod kinds;

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use polars::prelude::*;
use rayon::prelude::*;
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
    fn new(capacity: usize, feed: Feed, invoice_currency: Option<&str>) -> Self {
        ChargeColumns {
            billing: feed.is_billing(),
            invoice_currency: invoice_currency.map(|c| c.trim().to_owned()),
            text: ROW_TEXT
                .iter()
                .map(|n| StringChunkedBuilder::new((*n).into(), capacity))
                .collect(),
            start: Vec::with_capacity(capacity),
            end: Vec::with_capacity(capacity),
            quantity: DecimalBuilder::new(money::RATE_SCALE, capacity),
            unit_price: DecimalBuilder::new(money::RATE_SCALE, capacity),
            subtotal: DecimalBuilder::new(money::MONEY_SCALE, capacity),
            tax: DecimalBuilder::new(money::MONEY_SCALE, capacity),
            total: DecimalBuilder::new(money::MONEY_SCALE, capacity),
            keys: Vec::with_capacity(capacity),
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

/// Finished columns of one file (text builders finished, numbers still at working scale).
struct PartColumns {
    invoice: usize,
    feed: Feed,
    rows: usize,
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
    fn finish(self, invoice: usize, feed: Feed) -> PartColumns {
        PartColumns {
            invoice,
            feed,
            rows: self.keys.len(),
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

/// The normalised Partner Center side of a run.
#[derive(Debug)]
pub struct Charges {
    /// One row per billing line item: the charges report and the reconciliation's input.
    pub billing: DataFrame,
    /// One row per usage detail line (daily usage feeds), same columns; not reconciled because
    /// the billing lines already carry those amounts.
    pub usage: DataFrame,
    /// One row per invoice: `invoice_id, invoice_date, invoice_type, currency, invoice_total`.
    pub invoices: DataFrame,
}

/// Parses every line item file of the snapshot into charges.
pub fn normalise(snapshot: &Snapshot) -> Result<Charges> {
    let jobs: Vec<(usize, &Part)> = snapshot
        .invoices
        .iter()
        .enumerate()
        .flat_map(|(i, inv)| inv.parts.iter().map(move |p| (i, p)))
        .collect();
    let parts: Vec<PartColumns> = jobs
        .par_iter()
        .map(|(i, part)| read_part(*i, &snapshot.invoices[*i], part))
        .collect::<Result<Vec<_>>>()?;
    let (billing, usage): (Vec<_>, Vec<_>) = parts.into_iter().partition(|p| p.feed.is_billing());
    Ok(Charges {
        billing: assemble(&snapshot.invoices, billing)?,
        usage: assemble(&snapshot.invoices, usage)?,
        invoices: invoices_frame(&snapshot.invoices)?,
    })
}

fn read_part(invoice: usize, inv: &SnapshotInvoice, part: &Part) -> Result<PartColumns> {
    let salt = fnv1a(part.feed.folder().as_bytes());
    let mut cols = ChargeColumns::new(0, part.feed, inv.header.currency_code.as_deref());
    match part.format {
        PartFormat::JsonPage => {
            let bytes = std::fs::read(&part.path)
                .map_err(|e| Error::input_file(&part.path, format!("cannot read: {e}")))?;
            match part.feed {
                Feed::OfficeBilling => {
                    page::<LicenseBasedLineItem>(&part.path, &bytes, &mut cols, salt)?
                }
                Feed::AzureBilling => {
                    page::<UsageBasedLineItem>(&part.path, &bytes, &mut cols, salt)?
                }
                Feed::AzureUsage => {
                    page::<DailyUsageLineItem>(&part.path, &bytes, &mut cols, salt)?
                }
                Feed::OneTimeBilling | Feed::Export => {
                    onetime_page(&part.path, &bytes, &mut cols, salt)?
                }
                Feed::OneTimeUsage => {
                    page::<DailyRatedUsageLineItem>(&part.path, &bytes, &mut cols, salt)?
                }
            }
        }
        PartFormat::GzipJsonLines => json_lines(&part.path, &mut cols, salt)?,
    }
    Ok(cols.finish(invoice, part.feed))
}

/// A v1 `ResourceCollection` page of line items of kind `T`.
fn page<'a, T: Deserialize<'a> + ToCharge>(
    path: &Path,
    bytes: &'a [u8],
    cols: &mut ChargeColumns,
    salt: u64,
) -> Result<()> {
    let coll: Collection<T> = read_json_bytes(path, bytes)?;
    for (i, item) in coll.items.iter().enumerate() {
        item.to_charge()
            .and_then(|row| cols.push(&row, salt))
            .map_err(|e| Error::input_file(path, format!("item {}: {e}", i + 1)))?;
    }
    Ok(())
}

/// A v1 page of new-commerce line items (parsed item by item like export rows).
fn onetime_page(path: &Path, bytes: &[u8], cols: &mut ChargeColumns, salt: u64) -> Result<()> {
    let coll: Collection<&serde_json::value::RawValue> = read_json_bytes(path, bytes)?;
    for (i, raw) in coll.items.iter().enumerate() {
        OneTimeLineItem::parse(raw.get().as_bytes())
            .and_then(|item| item.to_charge().and_then(|row| cols.push(&row, salt)))
            .map_err(|e| Error::input_file(path, format!("item {}: {e}", i + 1)))?;
    }
    Ok(())
}

/// A gzip JSON-lines export blob: multi-member gzip, a UTF-8 BOM and blank lines are tolerated.
fn json_lines(path: &Path, cols: &mut ChargeColumns, salt: u64) -> Result<()> {
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
            .and_then(|row| cols.push(&row, salt))
            .map_err(|e| Error::input_line(path, line_no, e))?;
    }
    // a truncated gzip stream reports as an error above; make sure nothing trails
    let mut rest = Vec::new();
    reader
        .read_to_end(&mut rest)
        .map_err(|e| Error::input_file(path, format!("is not a readable gzip file: {e}")))?;
    Ok(())
}

/// Joins the parts (already in invoice/feed/file order) into the charges frame.
fn assemble(invoices: &[SnapshotInvoice], parts: Vec<PartColumns>) -> Result<DataFrame> {
    let rows: usize = parts.iter().map(|p| p.rows).sum();
    let money_scale = parts
        .iter()
        .flat_map(|p| [p.subtotal.digits(), p.tax.digits(), p.total.digits()])
        .fold(MIN_MONEY_SCALE, u32::max);
    let q_scale = parts.iter().map(|p| p.quantity.digits()).max().unwrap_or(0);
    let u_scale = parts
        .iter()
        .map(|p| p.unit_price.digits())
        .max()
        .unwrap_or(0);

    let mut invoice_id = StringChunkedBuilder::new("invoice_id".into(), rows);
    let mut invoice_type = StringChunkedBuilder::new("invoice_type".into(), rows);
    let mut provider = StringChunkedBuilder::new("billing_provider".into(), rows);
    let mut line_type = StringChunkedBuilder::new("line_item_type".into(), rows);
    let mut invoice_date: Vec<Option<i32>> = Vec::with_capacity(rows);
    let mut line_ref = StringChunkedBuilder::new("line_ref".into(), rows);
    let mut text: Vec<Option<StringChunked>> = vec![None; ROW_TEXT.len()];
    let (mut start, mut end) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
    let mut quantity = DecimalBuilder::new(money::RATE_SCALE, rows);
    let mut unit_price = DecimalBuilder::new(money::RATE_SCALE, rows);
    let mut subtotal = DecimalBuilder::new(money::MONEY_SCALE, rows);
    let mut tax = DecimalBuilder::new(money::MONEY_SCALE, rows);
    let mut total = DecimalBuilder::new(money::MONEY_SCALE, rows);
    // occurrences of each line key within its invoice: identical lines get -2, -3, …
    let mut seen: PlHashMap<(usize, u64), u32> = PlHashMap::with_capacity(rows);
    let mut hex = String::with_capacity(24);
    for p in parts {
        let inv = &invoices[p.invoice];
        let date = inv.date.map(epoch_days);
        for key in &p.keys {
            invoice_id.append_value(&inv.header.id);
            invoice_type.append_value(inv.invoice_type.as_str());
            provider.append_value(p.feed.billing_provider());
            line_type.append_value(p.feed.line_item_type());
            invoice_date.push(date);
            let n = seen.entry((p.invoice, *key)).or_insert(0);
            *n += 1;
            hex.clear();
            push_hex(&mut hex, *key);
            if *n > 1 {
                use std::fmt::Write;
                let _ = write!(hex, "-{n}");
            }
            line_ref.append_value(&hex);
        }
        for (acc, ca) in text.iter_mut().zip(p.text) {
            match acc {
                Some(a) => {
                    a.append(&ca)
                        .map_err(|e| Error::polars("assemble charges", e))?;
                }
                None => *acc = Some(ca),
            }
        }
        start.extend(p.start);
        end.extend(p.end);
        quantity.append(p.quantity);
        unit_price.append(p.unit_price);
        subtotal.append(p.subtotal);
        tax.append(p.tax);
        total.append(p.total);
    }
    let text: Vec<Column> = text
        .into_iter()
        .zip(ROW_TEXT)
        .map(|(ca, name)| {
            ca.unwrap_or_else(|| StringChunked::full_null(name.into(), 0))
                .rechunk()
                .into_owned()
                .into_column()
        })
        .collect();
    let t = |name: &str| {
        text[ROW_TEXT
            .iter()
            .position(|n| *n == name)
            .expect("text column")]
        .clone()
    };
    let pe = |e| Error::polars("assemble charges", e);
    let columns = vec![
        invoice_id.finish().into_column(),
        date_column("invoice_date", invoice_date).map_err(pe)?,
        invoice_type.finish().into_column(),
        provider.finish().into_column(),
        line_type.finish().into_column(),
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
        date_column("charge_start_date", start).map_err(pe)?,
        date_column("charge_end_date", end).map_err(pe)?,
        quantity.into_column("quantity", q_scale).map_err(pe)?,
        unit_price.into_column("unit_price", u_scale).map_err(pe)?,
        subtotal.into_column("subtotal", money_scale).map_err(pe)?,
        tax.into_column("tax", money_scale).map_err(pe)?,
        total.into_column("total", money_scale).map_err(pe)?,
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

/// The invoices frame: `invoice_id, invoice_date, invoice_type, currency, invoice_total`.
fn invoices_frame(invoices: &[SnapshotInvoice]) -> Result<DataFrame> {
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
