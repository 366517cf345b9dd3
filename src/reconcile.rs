//! The reconciliation: Partner Center charges and ledger entries summed per grain row, joined,
//! and given a status; each invoice's total tied to its lines; money conservation asserted.
//!
//! Takes frames, returns frames: never touches files.

use std::collections::BTreeMap;

use polars::prelude::*;

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

    /// Parses a report value.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
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

/// Trims a key and folds its case; a missing key is the empty key.
fn fold(e: Expr, upper: bool) -> Expr {
    let e = e
        .cast(DataType::String)
        .fill_null(lit(""))
        .str()
        .strip_chars(lit(NULL));
    if upper {
        e.str().to_uppercase()
    } else {
        e.str().to_lowercase()
    }
}

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

fn decimal_lit(value: i128, scale: u32) -> Expr {
    lit(Scalar::new_decimal(value, money::PRECISION, scale as usize))
}

fn dec(scale: u32) -> DataType {
    DataType::Decimal(money::PRECISION, scale as usize)
}

/// Reconciles `charges` (the normalised billing lines) against the accepted `ledger` entries,
/// and ties each invoice of `invoices` to its lines.
pub fn reconcile(
    charges: &DataFrame,
    ledger: &DataFrame,
    invoices: &DataFrame,
    rules: &Rules,
) -> Result<Outcome> {
    let pe = |e| Error::polars("reconcile", e);
    let scale = scale_of(charges, "subtotal")?
        .max(scale_of(ledger, "amount")?)
        .max(rules.tolerance.digits);
    let tol = rules.tolerance.value / pow10(money::MONEY_SCALE - scale);
    let keys: Vec<&str> = rules.grain.iter().map(|k| k.name).collect();
    let key_cols: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();

    let pc = charges
        .clone()
        .lazy()
        .select(
            rules
                .grain
                .iter()
                .map(|k| fold(col(k.name), k.upper).alias(k.name))
                .chain([col("subtotal").cast(dec(scale))])
                .collect::<Vec<_>>(),
        )
        .group_by(key_cols.clone())
        .agg([
            col("subtotal").sum().alias("pc_amount"),
            len().cast(DataType::UInt64).alias("pc_lines"),
        ]);
    let lg = ledger
        .clone()
        .lazy()
        .select(
            rules
                .grain
                .iter()
                .map(|k| fold(col(k.ledger), k.upper).alias(k.name))
                .chain([col("amount").cast(dec(scale))])
                .collect::<Vec<_>>(),
        )
        .group_by(key_cols.clone())
        .agg([
            col("amount").sum().alias("ledger_amount"),
            len().cast(DataType::UInt64).alias("ledger_rows"),
        ]);

    let zero = || decimal_lit(0, scale);
    let difference = col("pc_amount") - col("ledger_amount");
    let status = when(
        col("pc_lines")
            .eq(lit(0u64))
            .and(col("invoice_id").eq(lit(""))),
    )
    .then(lit(Status::NotYetInvoiced.as_str()))
    .when(col("pc_lines").eq(lit(0u64)))
    .then(lit(Status::MissingInInvoice.as_str()))
    .when(col("ledger_rows").eq(lit(0u64)))
    .then(lit(Status::MissingInLedger.as_str()))
    .when(col("difference").abs().lt_eq(decimal_lit(tol, scale)))
    .then(lit(Status::Matched.as_str()))
    .otherwise(lit(Status::AmountMismatch.as_str()));
    let mut out_cols: Vec<Expr> = key_cols.clone();
    out_cols.extend(
        [
            "pc_amount",
            "ledger_amount",
            "difference",
            "status",
            "pc_lines",
            "ledger_rows",
        ]
        .map(col),
    );
    let reconciliation = pc
        .join(
            lg,
            key_cols.clone(),
            key_cols.clone(),
            JoinArgs::new(JoinType::Full).with_coalesce(JoinCoalesce::CoalesceColumns),
        )
        .with_columns([
            col("pc_amount").fill_null(zero()).cast(dec(scale)),
            col("ledger_amount").fill_null(zero()).cast(dec(scale)),
            col("pc_lines").fill_null(lit(0u64)),
            col("ledger_rows").fill_null(lit(0u64)),
        ])
        .with_column(difference.cast(dec(scale)).alias("difference"))
        .with_column(status.alias("status"))
        .select(out_cols)
        .sort(keys.clone(), SortMultipleOptions::default())
        .collect()
        .map_err(pe)?;

    let (checks, invoice_scale) = invoice_checks(charges, invoices, rules)?;
    let totals = totals(&reconciliation)?;
    let mut invoice_check_counts = BTreeMap::new();
    for s in checks
        .column("status")
        .map_err(pe)?
        .str()
        .map_err(pe)?
        .iter()
        .flatten()
    {
        *invoice_check_counts
            .entry(Status::parse(s).expect("status"))
            .or_insert(0) += 1;
    }
    let outcome = Outcome {
        reconciliation,
        invoice_checks: checks,
        scale,
        invoice_scale,
        totals,
        invoice_check_counts,
    };
    check_conservation(&outcome, charges, ledger)?;
    Ok(outcome)
}

/// Each invoice's `totalCharges` against Σ of its lines' `total` (per currency).
fn invoice_checks(
    charges: &DataFrame,
    invoices: &DataFrame,
    rules: &Rules,
) -> Result<(DataFrame, u32)> {
    let pe = |e| Error::polars("invoice checks", e);
    let scale = scale_of(charges, "total")?
        .max(scale_of(invoices, "invoice_total")?)
        .max(rules.tolerance.digits);
    let tol = rules.tolerance.value / pow10(money::MONEY_SCALE - scale);
    let keys = [col("invoice_id"), col("currency")];
    let lines = charges
        .clone()
        .lazy()
        .select([
            col("invoice_id"),
            fold(col("currency"), true).alias("currency"),
            col("total").cast(dec(scale)),
        ])
        .group_by(keys.clone())
        .agg([
            col("total").sum().alias("line_items_total"),
            len().cast(DataType::UInt64).alias("line_items"),
        ]);
    let heads = invoices.clone().lazy().select([
        col("invoice_id"),
        fold(col("currency"), true).alias("currency"),
        col("invoice_total").cast(dec(scale)),
    ]);
    let zero = || decimal_lit(0, scale);
    let df = heads
        .join(
            lines,
            keys.clone(),
            keys.clone(),
            JoinArgs::new(JoinType::Full).with_coalesce(JoinCoalesce::CoalesceColumns),
        )
        .with_columns([
            col("invoice_total").fill_null(zero()).cast(dec(scale)),
            col("line_items_total").fill_null(zero()).cast(dec(scale)),
            col("line_items").fill_null(lit(0u64)),
        ])
        .with_column(
            (col("invoice_total") - col("line_items_total"))
                .cast(dec(scale))
                .alias("difference"),
        )
        .with_column(
            when(col("difference").abs().lt_eq(decimal_lit(tol, scale)))
                .then(lit(Status::Matched.as_str()))
                .otherwise(lit(Status::AmountMismatch.as_str()))
                .alias("status"),
        )
        .select(
            [
                "invoice_id",
                "currency",
                "invoice_total",
                "line_items_total",
                "difference",
                "status",
                "line_items",
            ]
            .map(col),
        )
        .sort(["invoice_id", "currency"], SortMultipleOptions::default())
        .collect()
        .map_err(pe)?;
    Ok((df, scale))
}

/// Totals per (currency, status), summed exactly in `i128`.
fn totals(rec: &DataFrame) -> Result<BTreeMap<(String, Status), Total>> {
    let pe = |e| Error::polars("totals", e);
    let cur = rec.column("currency").map_err(pe)?.str().map_err(pe)?;
    let st = rec.column("status").map_err(pe)?.str().map_err(pe)?;
    let (pc, _) = decimal_values(rec.column("pc_amount").map_err(pe)?).map_err(pe)?;
    let (lg, _) = decimal_values(rec.column("ledger_amount").map_err(pe)?).map_err(pe)?;
    let mut out: BTreeMap<(String, Status), Total> = BTreeMap::new();
    for (i, (c, s)) in cur.iter().zip(st.iter()).enumerate() {
        let status = s
            .and_then(Status::parse)
            .ok_or_else(|| Error::Internal("row without a status".into()))?;
        let t = out.entry((c.unwrap_or("").to_owned(), status)).or_default();
        t.rows += 1;
        t.pc_amount = checked(t.pc_amount, pc[i])?;
        t.ledger_amount = checked(t.ledger_amount, lg[i])?;
    }
    Ok(out)
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
    for (c, v) in cur.iter().zip(vals) {
        let e = out
            .entry(c.unwrap_or("").trim().to_uppercase())
            .or_default();
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
