//! The reconciliation: Partner Center charges and ledger entries summed per grain row, joined,
//! and given a status; each invoice's total tied to its lines; money conservation asserted.
//!
//! Takes frames, returns frames: never touches files.

use std::collections::BTreeMap;

use polars::prelude::*;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::money::{self, Scaled, decimal_values, pow10};

/// A grain key and how it is folded before comparing (after trimming).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrainKey {
    /// Column name in the charges frame and the reconciliation report.
    pub name: &'static str,
    /// Column name in the ledger.
    pub ledger: &'static str,
    /// Invoice ids and currencies are upper-cased; GUIDs, order ids, charge types lower-cased.
    pub upper: bool,
}

/// Every key a grain may use.
pub const GRAIN_KEYS: [GrainKey; 8] = [
    GrainKey {
        name: "invoice_id",
        ledger: "invoice_number",
        upper: true,
    },
    GrainKey {
        name: "customer_id",
        ledger: "customer_id",
        upper: false,
    },
    GrainKey {
        name: "subscription_id",
        ledger: "subscription_id",
        upper: false,
    },
    GrainKey {
        name: "order_id",
        ledger: "order_id",
        upper: false,
    },
    GrainKey {
        name: "product_id",
        ledger: "product_id",
        upper: false,
    },
    GrainKey {
        name: "sku_id",
        ledger: "sku_id",
        upper: false,
    },
    GrainKey {
        name: "charge_type",
        ledger: "charge_type",
        upper: false,
    },
    GrainKey {
        name: "currency",
        ledger: "currency",
        upper: true,
    },
];

/// The contract's default grain.
pub const DEFAULT_GRAIN: [&str; 6] = [
    "invoice_id",
    "customer_id",
    "subscription_id",
    "order_id",
    "charge_type",
    "currency",
];

/// Looks up a grain key by its name (`invoice_number` is accepted for `invoice_id`).
pub fn grain_key(name: &str) -> Option<GrainKey> {
    let name = if name == "invoice_number" {
        "invoice_id"
    } else {
        name
    };
    GRAIN_KEYS.iter().copied().find(|k| k.name == name)
}

/// A row's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Both sides, |difference| ≤ tolerance.
    Matched,
    /// Both sides, beyond tolerance.
    AmountMismatch,
    /// Billed, not booked.
    MissingInLedger,
    /// Booked against an invoice that has no such billed charge.
    MissingInInvoice,
    /// Booked with no invoice number: reported, never a failure.
    NotYetInvoiced,
}

impl Status {
    /// Every status, in report order.
    pub const ALL: [Status; 5] = [
        Status::Matched,
        Status::AmountMismatch,
        Status::MissingInLedger,
        Status::MissingInInvoice,
        Status::NotYetInvoiced,
    ];

    /// The report's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Matched => "matched",
            Status::AmountMismatch => "amount_mismatch",
            Status::MissingInLedger => "missing_in_ledger",
            Status::MissingInInvoice => "missing_in_invoice",
            Status::NotYetInvoiced => "not_yet_invoiced",
        }
    }

    /// Whether this status makes the run exit 1 (with `fail_on = "difference"`).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Status::AmountMismatch | Status::MissingInLedger | Status::MissingInInvoice
        )
    }
}

/// Grain and tolerance.
#[derive(Debug, Clone)]
pub struct Rules {
    /// The grain keys, in report order (must hold `invoice_id` and `currency`).
    pub grain: Vec<GrainKey>,
    /// Absolute tolerance per grain row.
    pub tolerance: Scaled,
}

/// Per currency and status: rows and sums (the summary's `totals`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Total {
    /// Grain rows.
    pub rows: u64,
    /// Σ pc_amount.
    pub pc_amount: i128,
    /// Σ ledger_amount.
    pub ledger_amount: i128,
}

/// What the reconciliation produces.
#[derive(Debug)]
pub struct Outcome {
    /// One row per grain row.
    pub reconciliation: DataFrame,
    /// One row per invoice (and currency).
    pub invoice_checks: DataFrame,
    /// Scale of the reconciliation's money columns.
    pub scale: u32,
    /// Scale of the invoice checks' money columns.
    pub invoice_scale: u32,
    /// (currency, status) → totals.
    pub totals: BTreeMap<(String, Status), Total>,
    /// Invoice checks per status.
    pub invoice_check_counts: BTreeMap<Status, u64>,
}

impl Outcome {
    /// True when something is outside tolerance (exit status 1 unless `fail_on = "never"`).
    pub fn has_differences(&self) -> bool {
        self.totals
            .iter()
            .any(|((_, s), t)| s.is_failure() && t.rows > 0)
            || self
                .invoice_check_counts
                .get(&Status::AmountMismatch)
                .copied()
                .unwrap_or(0)
                > 0
    }
}

/// Appends `s` trimmed and case-folded to `out` (invoice ids and currencies upper-case, other
/// keys lower-case); a missing key is the empty key. The one folding function for both sides.
pub fn fold_key_into(s: Option<&str>, upper: bool, out: &mut String) {
    let t = s.unwrap_or("").trim();
    if t.is_ascii() {
        let start = out.len();
        out.push_str(t);
        let tail = &mut out[start..];
        if upper {
            tail.make_ascii_uppercase()
        } else {
            tail.make_ascii_lowercase()
        }
    } else if upper {
        out.push_str(&t.to_uppercase());
    } else {
        out.push_str(&t.to_lowercase());
    }
}

/// Interns one grain column's values: each raw cell text maps to the id of its folded form, so
/// a value is folded once however often it repeats, and grain rows are keyed by small integers.
struct KeyDict<'a> {
    upper: bool,
    raw: PlHashMap<&'a str, u32>,
    ids: PlHashMap<String, u32>,
    /// id → folded text.
    folded: Vec<String>,
}

impl<'a> KeyDict<'a> {
    fn new(upper: bool) -> Self {
        KeyDict {
            upper,
            raw: PlHashMap::new(),
            ids: PlHashMap::new(),
            folded: Vec::new(),
        }
    }

    /// The id of `raw`'s folded form (a missing cell is the empty key).
    fn id(&mut self, raw: Option<&'a str>) -> u32 {
        let r = raw.unwrap_or("");
        if let Some(&id) = self.raw.get(r) {
            return id;
        }
        let mut f = String::new();
        fold_key_into(Some(r), self.upper, &mut f);
        let next = self.folded.len() as u32;
        let id = match self.ids.get(f.as_str()) {
            Some(&id) => id,
            None => {
                self.ids.insert(f.clone(), next);
                self.folded.push(f);
                next
            }
        };
        self.raw.insert(r, id);
        id
    }
}

/// The most grain keys a grain can have (every key of [`GRAIN_KEYS`]).
const MAX_KEYS: usize = GRAIN_KEYS.len();

fn scale_of(df: &DataFrame, name: &str) -> Result<u32> {
    match df
        .column(name)
        .map_err(|e| Error::polars("reconcile", e))?
        .dtype()
    {
        DataType::Decimal(_, s) => Ok(*s as u32),
        other => Err(Error::Internal(format!(
            "column {name} is {other}, not a decimal"
        ))),
    }
}

/// The text columns of `df` named `names`.
fn text_columns<'a>(df: &'a DataFrame, names: &[&str]) -> Result<Vec<&'a StringChunked>> {
    names
        .iter()
        .map(|n| {
            df.column(n)
                .and_then(|c| c.str())
                .map_err(|e| Error::polars("reconcile", e))
        })
        .collect()
}

/// A decimal column's mantissas re-expressed at `scale` (≥ the column's).
fn amounts_at(df: &DataFrame, name: &str, scale: u32) -> Result<Vec<i128>> {
    let (vals, s) = decimal_values(df.column(name).map_err(|e| Error::polars("reconcile", e))?)
        .map_err(|e| Error::polars("reconcile", e))?;
    let mul = pow10(scale - s);
    vals.into_iter()
        .map(|v| {
            v.unwrap_or(0)
                .checked_mul(mul)
                .ok_or_else(|| Error::Internal("amount overflows".into()))
        })
        .collect()
}

/// One side's sums per folded key.
#[derive(Debug, Default, Clone, Copy)]
struct Sides {
    pc: i128,
    pc_lines: u64,
    ledger: i128,
    ledger_rows: u64,
}

impl Sides {
    /// One row of either side.
    fn row(amount: i128, pc_side: bool) -> Sides {
        if pc_side {
            Sides {
                pc: amount,
                pc_lines: 1,
                ..Sides::default()
            }
        } else {
            Sides {
                ledger: amount,
                ledger_rows: 1,
                ..Sides::default()
            }
        }
    }

    /// Adds `other` (checked: money never wraps).
    fn add(&mut self, other: Sides) -> Result<()> {
        self.pc = checked(self.pc, Some(other.pc))?;
        self.pc_lines += other.pc_lines;
        self.ledger = checked(self.ledger, Some(other.ledger))?;
        self.ledger_rows += other.ledger_rows;
        Ok(())
    }
}

/// Adds every row of `df` to `map` under its grain key (the ids of its folded key values).
fn aggregate<'a>(
    map: &mut PlHashMap<[u32; MAX_KEYS], Sides>,
    dicts: &mut [KeyDict<'a>],
    df: &'a DataFrame,
    columns: &[&str],
    amount: &str,
    scale: u32,
    pc_side: bool,
) -> Result<()> {
    let cols = text_columns(df, columns)?;
    let amounts = amounts_at(df, amount, scale)?;
    // per-chunk array iterators (concrete types) are much cheaper than the chunked iterator
    let mut iters: Vec<_> = cols
        .iter()
        .map(|c| c.downcast_iter().flat_map(|a| a.iter()))
        .collect();
    for amount in amounts {
        let mut key = [0u32; MAX_KEYS];
        for (i, it) in iters.iter_mut().enumerate() {
            key[i] = dicts[i].id(it.next().flatten());
        }
        map.entry(key)
            .or_default()
            .add(Sides::row(amount, pc_side))?;
    }
    Ok(())
}

/// The status of a grain row (exact decimal comparison with the tolerance).
pub fn status_of(
    sides_pc: u64,
    sides_ledger: u64,
    invoice_empty: bool,
    difference: i128,
    tolerance: i128,
) -> Status {
    if sides_pc == 0 && invoice_empty {
        Status::NotYetInvoiced
    } else if sides_pc == 0 {
        Status::MissingInInvoice
    } else if sides_ledger == 0 {
        Status::MissingInLedger
    } else if difference.abs() <= tolerance {
        Status::Matched
    } else {
        Status::AmountMismatch
    }
}

/// A decimal column from mantissas at `scale`.
fn decimal_column(name: &str, values: impl Iterator<Item = i128>, scale: u32) -> Result<Column> {
    let ca: Int128Chunked = values.map(Some).collect_ca(name.into());
    ca.into_decimal(money::PRECISION, scale as usize)
        .map(|c| c.into_series().into_column())
        .map_err(|e| Error::polars("reconcile", e))
}

/// Reconciles `charges` (the normalised billing lines) against the accepted `ledger` entries,
/// and ties each invoice of `invoices` to its lines.
pub fn reconcile(
    charges: &DataFrame,
    ledger: &DataFrame,
    invoices: &DataFrame,
    rules: &Rules,
) -> Result<Outcome> {
    let scale = scale_of(charges, "subtotal")?
        .max(scale_of(ledger, "amount")?)
        .max(rules.tolerance.digits);
    let tol = rules.tolerance.value / pow10(money::MONEY_SCALE - scale);
    let keys: Vec<&str> = rules.grain.iter().map(|k| k.name).collect();
    let ledger_keys: Vec<&str> = rules.grain.iter().map(|k| k.ledger).collect();
    let upper: Vec<bool> = rules.grain.iter().map(|k| k.upper).collect();
    let invoice_pos = keys
        .iter()
        .position(|k| *k == "invoice_id")
        .expect("grain has invoice_id");
    let currency_pos = keys
        .iter()
        .position(|k| *k == "currency")
        .expect("grain has currency");

    let t0 = std::time::Instant::now();
    let mut dicts: Vec<KeyDict> = upper.iter().map(|u| KeyDict::new(*u)).collect();
    let mut map: PlHashMap<[u32; MAX_KEYS], Sides> =
        PlHashMap::with_capacity(ledger.height() + 1024);
    aggregate(
        &mut map, &mut dicts, charges, &keys, "subtotal", scale, true,
    )?;
    let t1 = t0.elapsed();
    aggregate(
        &mut map,
        &mut dicts,
        ledger,
        &ledger_keys,
        "amount",
        scale,
        false,
    )?;
    let t2 = t0.elapsed();
    let mut rows: Vec<([u32; MAX_KEYS], Sides)> = map.into_iter().collect();
    // sorted by the folded key texts, column by column
    let k = keys.len();
    rows.par_sort_unstable_by(|a, b| {
        (0..k)
            .map(|i| dicts[i].folded[a.0[i] as usize].cmp(&dicts[i].folded[b.0[i] as usize]))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    tracing::debug!(
        pc_ms = t1.as_millis() as u64,
        ledger_ms = (t2 - t1).as_millis() as u64,
        sort_ms = (t0.elapsed() - t2).as_millis() as u64,
        "grain aggregation"
    );

    let n = rows.len();
    let mut parts: Vec<StringChunkedBuilder> = keys
        .iter()
        .map(|k| StringChunkedBuilder::new((*k).into(), n))
        .collect();
    let mut statuses = StringChunkedBuilder::new("status".into(), n);
    let mut totals: BTreeMap<(String, Status), Total> = BTreeMap::new();
    let mut diffs = Vec::with_capacity(n);
    for (key, s) in &rows {
        for (i, part) in parts.iter_mut().enumerate() {
            part.append_value(&dicts[i].folded[key[i] as usize]);
        }
        let invoice_empty = dicts[invoice_pos].folded[key[invoice_pos] as usize].is_empty();
        let currency = dicts[currency_pos].folded[key[currency_pos] as usize].as_str();
        let diff = s.pc - s.ledger;
        let st = status_of(s.pc_lines, s.ledger_rows, invoice_empty, diff, tol);
        statuses.append_value(st.as_str());
        diffs.push(diff);
        let t = totals.entry((currency.to_owned(), st)).or_default();
        t.rows += 1;
        t.pc_amount = checked(t.pc_amount, Some(s.pc))?;
        t.ledger_amount = checked(t.ledger_amount, Some(s.ledger))?;
    }
    let mut cols: Vec<Column> = parts
        .into_iter()
        .map(|b| b.finish().into_column())
        .collect();
    cols.push(decimal_column(
        "pc_amount",
        rows.iter().map(|r| r.1.pc),
        scale,
    )?);
    cols.push(decimal_column(
        "ledger_amount",
        rows.iter().map(|r| r.1.ledger),
        scale,
    )?);
    cols.push(decimal_column("difference", diffs.into_iter(), scale)?);
    cols.push(statuses.finish().into_column());
    cols.push(Column::new(
        "pc_lines".into(),
        rows.iter().map(|r| r.1.pc_lines).collect::<Vec<u64>>(),
    ));
    cols.push(Column::new(
        "ledger_rows".into(),
        rows.iter().map(|r| r.1.ledger_rows).collect::<Vec<u64>>(),
    ));
    let reconciliation = DataFrame::new(n, cols).map_err(|e| Error::polars("reconcile", e))?;

    let t3 = std::time::Instant::now();
    let (checks, invoice_scale, invoice_check_counts) = invoice_checks(charges, invoices, rules)?;
    tracing::debug!(
        checks_ms = t3.elapsed().as_millis() as u64,
        "invoice checks built"
    );
    let outcome = Outcome {
        reconciliation,
        invoice_checks: checks,
        scale,
        invoice_scale,
        totals,
        invoice_check_counts,
    };
    let t4 = std::time::Instant::now();
    check_conservation(&outcome, charges, ledger)?;
    tracing::debug!(ms = t4.elapsed().as_millis() as u64, "conservation checked");
    Ok(outcome)
}

/// Each invoice's `totalCharges` against Σ of its lines' `total`, per invoice and currency.
/// Returns the frame, its money scale and the rows per status.
fn invoice_checks(
    charges: &DataFrame,
    invoices: &DataFrame,
    rules: &Rules,
) -> Result<(DataFrame, u32, BTreeMap<Status, u64>)> {
    let scale = scale_of(charges, "total")?
        .max(scale_of(invoices, "invoice_total")?)
        .max(rules.tolerance.digits);
    let tol = rules.tolerance.value / pow10(money::MONEY_SCALE - scale);
    // (invoice_id, currency) → (invoice_total, line_items_total, lines)
    let mut map: BTreeMap<(String, String), (i128, i128, u64)> = BTreeMap::new();
    let key = |id: Option<&str>, cur: Option<&str>| {
        let mut c = String::new();
        fold_key_into(cur, true, &mut c);
        (id.unwrap_or("").to_owned(), c)
    };
    let heads = text_columns(invoices, &["invoice_id", "currency"])?;
    for ((id, cur), total) in
        heads[0]
            .iter()
            .zip(heads[1].iter())
            .zip(amounts_at(invoices, "invoice_total", scale)?)
    {
        map.entry(key(id, cur)).or_default().0 = total;
    }
    let lines = text_columns(charges, &["invoice_id", "currency"])?;
    type RawAndFolded<'a> = ((Option<&'a str>, Option<&'a str>), (String, String));
    let mut last: Option<RawAndFolded> = None;
    for ((id, cur), total) in lines[0]
        .iter()
        .zip(lines[1].iter())
        .zip(amounts_at(charges, "total", scale)?)
    {
        // lines come grouped by invoice: reuse the folded key while it repeats
        let k = match &last {
            Some((raw, k)) if *raw == (id, cur) => k.clone(),
            _ => {
                let k = key(id, cur);
                last = Some(((id, cur), k.clone()));
                k
            }
        };
        let e = map.entry(k).or_default();
        e.1 = checked(e.1, Some(total))?;
        e.2 += 1;
    }
    let n = map.len();
    let mut ids = StringChunkedBuilder::new("invoice_id".into(), n);
    let mut curs = StringChunkedBuilder::new("currency".into(), n);
    let mut statuses = StringChunkedBuilder::new("status".into(), n);
    let mut counts: BTreeMap<Status, u64> = BTreeMap::new();
    for ((id, cur), (total, lines, _)) in &map {
        ids.append_value(id);
        curs.append_value(cur);
        let st = if (total - lines).abs() <= tol {
            Status::Matched
        } else {
            Status::AmountMismatch
        };
        statuses.append_value(st.as_str());
        *counts.entry(st).or_insert(0) += 1;
    }
    let cols = vec![
        ids.finish().into_column(),
        curs.finish().into_column(),
        decimal_column("invoice_total", map.values().map(|v| v.0), scale)?,
        decimal_column("line_items_total", map.values().map(|v| v.1), scale)?,
        decimal_column("difference", map.values().map(|v| v.0 - v.1), scale)?,
        statuses.finish().into_column(),
        Column::new(
            "line_items".into(),
            map.values().map(|v| v.2).collect::<Vec<u64>>(),
        ),
    ];
    Ok((
        DataFrame::new(n, cols).map_err(|e| Error::polars("invoice checks", e))?,
        scale,
        counts,
    ))
}

fn checked(acc: i128, v: Option<i128>) -> Result<i128> {
    acc.checked_add(v.unwrap_or(0))
        .ok_or_else(|| Error::Internal("money sum overflows i128".into()))
}

/// Σ of a decimal column per folded currency, at `scale`.
fn sums_by_currency(
    df: &DataFrame,
    currency: &str,
    amount: &str,
    scale: u32,
) -> Result<BTreeMap<String, (i128, u64)>> {
    let pe = |e| Error::polars("conservation", e);
    let cur = df.column(currency).map_err(pe)?.str().map_err(pe)?;
    let (vals, s) = decimal_values(df.column(amount).map_err(pe)?).map_err(pe)?;
    let mul = pow10(scale - s);
    let mut out: BTreeMap<String, (i128, u64)> = BTreeMap::new();
    let mut key = String::new();
    for (c, v) in cur.iter().zip(vals) {
        key.clear();
        fold_key_into(c, true, &mut key);
        let e = match out.get_mut(key.as_str()) {
            Some(e) => e,
            None => out.entry(key.clone()).or_default(),
        };
        e.0 = checked(e.0, v.map(|v| v * mul))?;
        e.1 += 1;
    }
    Ok(out)
}

/// The contract's conservation rule, checked on every run: per currency, Σ pc_amount equals the
/// charges' Σ subtotal and Σ ledger_amount the accepted ledger's Σ amount, and the line and row
/// counts add up. A violation is a bug: the run stops rather than write a wrong report.
fn check_conservation(outcome: &Outcome, charges: &DataFrame, ledger: &DataFrame) -> Result<()> {
    let mut rec: BTreeMap<String, (i128, i128)> = BTreeMap::new();
    for ((c, _), t) in &outcome.totals {
        let e = rec.entry(c.clone()).or_default();
        e.0 += t.pc_amount;
        e.1 += t.ledger_amount;
    }
    let pc = sums_by_currency(charges, "currency", "subtotal", outcome.scale)?;
    let lg = sums_by_currency(ledger, "currency", "amount", outcome.scale)?;
    let mut currencies: Vec<&String> = rec.keys().chain(pc.keys()).chain(lg.keys()).collect();
    currencies.sort();
    currencies.dedup();
    for c in currencies {
        let (rp, rl) = rec.get(c).copied().unwrap_or_default();
        let p = pc.get(c).map(|x| x.0).unwrap_or(0);
        let l = lg.get(c).map(|x| x.0).unwrap_or(0);
        if rp != p || rl != l {
            return Err(Error::Internal(format!(
                "money not conserved in {c}: reconciliation pc {} vs charges {}, ledger {} vs accepted {}",
                money::format_scaled(rp, outcome.scale),
                money::format_scaled(p, outcome.scale),
                money::format_scaled(rl, outcome.scale),
                money::format_scaled(l, outcome.scale)
            )));
        }
    }
    let pe = |e| Error::polars("conservation", e);
    let sum_u64 = |name: &str| -> Result<u64> {
        Ok(outcome
            .reconciliation
            .column(name)
            .map_err(pe)?
            .u64()
            .map_err(pe)?
            .iter()
            .flatten()
            .sum())
    };
    if sum_u64("pc_lines")? != charges.height() as u64
        || sum_u64("ledger_rows")? != ledger.height() as u64
    {
        return Err(Error::Internal(
            "line or row counts not conserved by the reconciliation".into(),
        ));
    }
    Ok(())
}
