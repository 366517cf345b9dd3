//! Line arithmetic checks: each new-commerce line's subtotal recomputed with Microsoft's
//! documented formulas (modern invoice reconciliation file), ROUNDDOWN being truncation toward
//! zero:
//!
//! - usage lines: `ROUNDDOWN(ROUNDDOWN(EffectiveUnitPrice × BillableQuantity, 2) × PCToBCExchangeRate, 2)`
//! - all others: `ROUNDDOWN(EffectiveUnitPrice × PCToBCExchangeRate, 2) × BillableQuantity`
//!
//! A line whose `subtotal` is more than 0.01 away from it is listed in `line_checks`. The checks
//! report; they never change a status or the exit status.

use polars::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};

use super::explain::decimal;
use super::text_columns;
use crate::error::{Error, Result};
use crate::money::{self, decimal_values, pow10};

/// One line that breaks the formula.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LineCheck {
    pub(crate) invoice_id: String,
    pub(crate) line_ref: String,
    pub(crate) charge_category: String,
    pub(crate) effective_unit_price: Decimal,
    /// `billableQuantity`, else `quantity`: the quantity the formula used.
    pub(crate) billable_quantity: Decimal,
    pub(crate) pc_to_bc_exchange_rate: Decimal,
    pub(crate) subtotal: Decimal,
    pub(crate) expected_subtotal: Decimal,
}

/// How far a subtotal may be from the formula before it is listed.
const ALLOWED: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

/// Microsoft's subtotal for a line (`None` when a product overflows `Decimal`).
pub(crate) fn expected_subtotal(
    usage: bool,
    price: Decimal,
    quantity: Decimal,
    rate: Decimal,
) -> Option<Decimal> {
    let down = |d: Decimal| d.round_dp_with_strategy(2, RoundingStrategy::ToZero);
    if usage {
        Some(down(down(price.checked_mul(quantity)?).checked_mul(rate)?))
    } else {
        down(price.checked_mul(rate)?).checked_mul(quantity)
    }
}

/// A cell as (mantissa, scale).
type Cell = (i128, u32);

/// `v` (at `scale`) truncated toward zero to cents, at scale 2 (`None` on overflow).
fn down_to_cents(v: i128, scale: u32) -> Option<i128> {
    if scale >= 2 {
        Some(v / pow10(scale - 2))
    } else {
        v.checked_mul(pow10(2 - scale))
    }
}

/// The screen run on every line: whether `subtotal` breaks the formula by more than 0.01, in
/// exact integer arithmetic on the mantissas (Rust's `/` truncates toward zero, as ROUNDDOWN).
/// `None` when a product would not fit (then [`expected_subtotal`] decides). The lines it flags
/// are computed again with `Decimal` for the report; a property test holds the two equal.
pub(crate) fn breaks_formula(
    usage: bool,
    (p, sp): Cell,
    (q, sq): Cell,
    (r, sr): Cell,
    (st, ss): Cell,
) -> Option<bool> {
    // scales beyond this would overflow 10^n itself
    if sp + sq > 36 || sp + sr > 36 || sq + 2 > 36 || sr + 2 > 36 || ss > 36 {
        return None;
    }
    let (expected, es) = if usage {
        let cents = down_to_cents(p.checked_mul(q)?, sp + sq)?;
        (down_to_cents(cents.checked_mul(r)?, 2 + sr)?, 2)
    } else {
        let cents = down_to_cents(p.checked_mul(r)?, sp + sr)?;
        (cents.checked_mul(q)?, 2 + sq)
    };
    let s = es.max(ss);
    let diff = st
        .checked_mul(pow10(s - ss))?
        .checked_sub(expected.checked_mul(pow10(s - es))?)?;
    Some(diff.abs() > pow10(s - 2))
}

/// A decimal column's mantissas and scale (absent column: no values).
struct Cells {
    values: Vec<Option<i128>>,
    scale: u32,
}

impl Cells {
    fn of(df: &DataFrame, name: &str) -> Result<Cells> {
        let Ok(column) = df.column(name) else {
            return Ok(Cells {
                values: Vec::new(),
                scale: 0,
            });
        };
        let (values, scale) =
            decimal_values(column).map_err(|e| Error::polars("line checks", e))?;
        Ok(Cells { values, scale })
    }

    /// Row `row`'s mantissa and scale.
    fn cell(&self, row: usize) -> Option<Cell> {
        Some(((*self.values.get(row)?)?, self.scale))
    }

    /// Row `row` as a `Decimal` (`None`: empty, or too large for one).
    fn at(&self, row: usize) -> Option<Decimal> {
        let v = (*self.values.get(row)?)?;
        // the direct form fits nearly always; `decimal` drops trailing zeros when it does not
        Decimal::try_from_i128_with_scale(v, self.scale)
            .ok()
            .or_else(|| decimal(v, self.scale))
    }
}

/// The lines of a charges batch that break the formula.
pub(crate) fn check(charges: &DataFrame) -> Result<Vec<LineCheck>> {
    let prices = Cells::of(charges, "effective_unit_price")?;
    let rates = Cells::of(charges, "pc_to_bc_exchange_rate")?;
    if prices.values.iter().all(Option::is_none) || rates.values.iter().all(Option::is_none) {
        return Ok(Vec::new());
    }
    let billable = Cells::of(charges, "billable_quantity")?;
    let quantity = Cells::of(charges, "quantity")?;
    let subtotals = Cells::of(charges, "subtotal")?;
    let text = text_columns(charges, &["invoice_id", "line_ref", "charge_category"])?;
    let mut out = Vec::new();
    let categories: Vec<Option<&str>> = text[2].iter().collect();
    for (row, category) in categories.into_iter().enumerate() {
        let (Some(p), Some(r), Some(q), Some(st)) = (
            prices.cell(row),
            rates.cell(row),
            billable.cell(row).or_else(|| quantity.cell(row)),
            subtotals.cell(row),
        ) else {
            continue;
        };
        let category = category.unwrap_or("");
        if breaks_formula(category == "usage", p, q, r, st) == Some(false) {
            continue;
        }
        let (Some(price), Some(rate), Some(q), Some(subtotal)) = (
            prices.at(row),
            rates.at(row),
            billable.at(row).or_else(|| quantity.at(row)),
            subtotals.at(row),
        ) else {
            continue;
        };
        let Some(expected) = expected_subtotal(category == "usage", price, q, rate) else {
            continue;
        };
        if (subtotal - expected).abs() > ALLOWED {
            out.push(LineCheck {
                invoice_id: text[0].get(row).unwrap_or("").to_owned(),
                line_ref: text[1].get(row).unwrap_or("").to_owned(),
                charge_category: category.to_owned(),
                effective_unit_price: price,
                billable_quantity: q,
                pc_to_bc_exchange_rate: rate,
                subtotal,
                expected_subtotal: expected,
            });
        }
    }
    Ok(out)
}

/// The `line_checks` report, in invoice and line order.
pub(crate) fn frame(mut checks: Vec<LineCheck>) -> Result<DataFrame> {
    checks.sort_by(|a, b| (&a.invoice_id, &a.line_ref).cmp(&(&b.invoice_id, &b.line_ref)));
    let n = checks.len();
    let text = |name: &str, f: fn(&LineCheck) -> &str| {
        Column::new(name.into(), checks.iter().map(f).collect::<Vec<&str>>())
    };
    let number = |name: &str, f: fn(&LineCheck) -> Decimal| {
        decimal_column(name, checks.iter().map(f).collect())
    };
    let cols = vec![
        text("invoice_id", |c| &c.invoice_id),
        text("line_ref", |c| &c.line_ref),
        text("charge_category", |c| &c.charge_category),
        number("effective_unit_price", |c| c.effective_unit_price)?,
        number("billable_quantity", |c| c.billable_quantity)?,
        number("pc_to_bc_exchange_rate", |c| c.pc_to_bc_exchange_rate)?,
        number("subtotal", |c| c.subtotal)?,
        number("expected_subtotal", |c| c.expected_subtotal)?,
        number("difference", |c| c.subtotal - c.expected_subtotal)?,
    ];
    DataFrame::new(n, cols).map_err(|e| Error::polars("line checks", e))
}

/// A decimal column holding `values` exactly (its scale: the most digits any has, at least 2).
fn decimal_column(name: &str, values: Vec<Decimal>) -> Result<Column> {
    let scale = values
        .iter()
        .map(|d| d.normalize().scale())
        .max()
        .unwrap_or(0)
        .max(money::CENT_DIGITS);
    let mantissas = values.into_iter().map(|mut d| {
        d.rescale(scale);
        d.mantissa()
    });
    super::decimal_column(name, mantissas, scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// Worked by hand from the formulas.
    #[test]
    fn the_documented_formulas_truncate_toward_zero() {
        // license: ROUNDDOWN(1.2345 × 0.9215, 2) × 2 = ROUNDDOWN(1.13759175, 2) × 2 = 2.26
        assert_eq!(
            expected_subtotal(false, d("1.2345"), d("2"), d("0.9215")),
            Some(d("2.26"))
        );
        // a seat wipe: ROUNDDOWN(-5.666 × 1, 2) × 10 = -5.66 × 10 (toward zero, not -5.67)
        assert_eq!(
            expected_subtotal(false, d("-5.666"), d("10"), d("1")),
            Some(d("-56.60"))
        );
        // usage: ROUNDDOWN(ROUNDDOWN(0.096 × 731.458344, 2) × 1, 2) = ROUNDDOWN(70.220001024, 2)
        assert_eq!(
            expected_subtotal(true, d("0.096"), d("731.458344"), d("1")),
            Some(d("70.22"))
        );
        // usage with a rate: ROUNDDOWN(ROUNDDOWN(3.333 × 3, 2) × 0.5, 2) = ROUNDDOWN(4.995, 2)
        assert_eq!(
            expected_subtotal(true, d("3.333"), d("3"), d("0.5")),
            Some(d("4.99"))
        );
    }

    proptest::proptest! {
        /// The integer screen and the `Decimal` formula agree on every line they both can compute.
        #[test]
        fn the_integer_screen_agrees_with_decimal_arithmetic(
            usage: bool,
            p in -10_000_000_000i128..10_000_000_000, sp in 0u32..20,
            q in 0i128..100_000_000, sq in 0u32..8,
            r in 1i128..2_000_000, sr in 0u32..8,
            off in -300i128..300,
        ) {
            let dec = |v: i128, s: u32| Decimal::from_i128_with_scale(v, s);
            let expected = expected_subtotal(usage, dec(p, sp), dec(q, sq), dec(r, sr)).unwrap();
            // a subtotal near the expected one: at cents plus a few thousandths of noise
            let subtotal = expected + dec(off, 3);
            let mut st = subtotal;
            st.rescale(st.scale().max(2));
            let cell = (st.mantissa(), st.scale());
            let fast = breaks_formula(usage, (p, sp), (q, sq), (r, sr), cell);
            proptest::prop_assert_eq!(fast, Some((subtotal - expected).abs() > ALLOWED));
        }
    }

    #[test]
    fn only_lines_more_than_a_cent_away_are_listed() {
        let df = df! {
            "invoice_id" => ["G1", "G1", "G1", "G2"],
            "line_ref" => ["1", "2", "3", "4"],
            "charge_category" => ["recurring", "recurring", "usage", "recurring"],
        }
        .unwrap();
        let dec = |name: &str, v: [Option<i128>; 4], scale: usize| {
            let ca: Int128Chunked = v.into_iter().collect_ca(name.into());
            ca.into_decimal(38, scale)
                .unwrap()
                .into_series()
                .into_column()
        };
        let df = df
            .hstack(&[
                // 9.40 each, rate 1: expected 12 × 9.40 = 112.80
                dec(
                    "effective_unit_price",
                    [Some(940), Some(940), Some(940), None],
                    2,
                ),
                dec(
                    "pc_to_bc_exchange_rate",
                    [Some(1), Some(1), Some(1), Some(1)],
                    0,
                ),
                dec("billable_quantity", [Some(12), Some(12), None, Some(1)], 0),
                dec("quantity", [Some(12), Some(12), Some(12), Some(1)], 0),
                // off by exactly 0.01: not listed; off by 0.02: listed; the third uses quantity
                dec(
                    "subtotal",
                    [Some(11281), Some(11282), Some(11300), Some(100)],
                    2,
                ),
            ])
            .unwrap();
        let found = check(&df).unwrap();
        let refs: Vec<&str> = found.iter().map(|c| c.line_ref.as_str()).collect();
        assert_eq!(refs, ["2", "3"]);
        assert_eq!(found[1].expected_subtotal, d("112.80"));
        let report = frame(found).unwrap();
        let diff = report.column("difference").unwrap().get(0).unwrap();
        assert_eq!(diff.str_value(), "0.02");
    }
}
