//! Why a grain row differs: the contract's "Explanations", as a table of rules an auditor can
//! read beside the contract.
//!
//! Runs after the grain sums are final, over the non-matched rows only (thousands of rows, not
//! millions), in this order: `zero_amount`; the pairs (`credit_note`, then `key_mismatch`);
//! the rules for `amount_mismatch` rows ([`RULES`]); what is left of the one-sided rows.
//! Every comparison is exact decimal arithmetic (`rust_decimal`); a value too large for it
//! makes its rule not hold, never a rounded answer. Explanations change no status.

use std::collections::HashMap;

use polars::prelude::*;
use rust_decimal::Decimal;

use super::{Rules, Status, fold_key_into};
use crate::error::{Error, Result};
use crate::money;

/// An explanation code, in the contract's order (the summary lists them so).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Code {
    /// Both amounts within tolerance of zero.
    ZeroAmount,
    /// A credit note's row and the row of the invoice it amends.
    CreditNote,
    /// A billed row and a booked row of the same amount whose keys differ in one column.
    KeyMismatch,
    /// Within a cent per line: Microsoft truncates every line.
    Rounding,
    /// The ledger booked the negated amount.
    SignReversed,
    /// The ledger booked twice the amount.
    BookedTwice,
    /// Partner Center billed twice the amount.
    BilledTwice,
    /// The ledger booked the amount after tax.
    TaxIncluded,
    /// Same unit price, other quantity.
    Quantity,
    /// Same quantity, other unit price.
    UnitPrice,
    /// None of the rules holds.
    Unexplained,
    /// Booked before invoicing, and the unbilled export holds it.
    Unbilled,
    /// Booked before invoicing; no unbilled line holds it.
    AwaitingInvoice,
}

impl Code {
    /// The report's value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Code::ZeroAmount => "zero_amount",
            Code::CreditNote => "credit_note",
            Code::KeyMismatch => "key_mismatch",
            Code::Rounding => "rounding",
            Code::SignReversed => "sign_reversed",
            Code::BookedTwice => "booked_twice",
            Code::BilledTwice => "billed_twice",
            Code::TaxIncluded => "tax_included",
            Code::Quantity => "quantity",
            Code::UnitPrice => "unit_price",
            Code::Unexplained => "unexplained",
            Code::Unbilled => "unbilled",
            Code::AwaitingInvoice => "awaiting_invoice",
        }
    }
}

/// One non-matched grain row as the rules see it.
#[derive(Debug, Clone)]
pub(crate) struct GrainRow<'a> {
    /// The grain keys, folded (what compares), in the grain's order.
    pub(crate) keys: Vec<&'a str>,
    /// The grain keys as the source first spelled them (what details show).
    pub(crate) shown: Vec<&'a str>,
    /// The row's status (never `matched`).
    pub(crate) status: Status,
    /// Σ charges `subtotal`.
    pub(crate) pc: Decimal,
    /// Σ accepted ledger `amount`.
    pub(crate) ledger: Decimal,
    /// Σ charges `total` (after tax).
    pub(crate) pc_total: Option<Decimal>,
    /// Σ charges `quantity`.
    pub(crate) pc_quantity: Option<Decimal>,
    /// Σ ledger `quantity`, when every ledger row of the grain row has one.
    pub(crate) ledger_quantity: Option<Decimal>,
    /// Charges lines.
    pub(crate) pc_lines: u64,
    /// Accepted ledger rows.
    pub(crate) ledger_rows: u64,
}

impl GrainRow<'_> {
    fn difference(&self) -> Decimal {
        self.pc - self.ledger
    }
}

/// A row's explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Explanation {
    /// The code.
    pub(crate) code: Code,
    /// One sentence naming the numbers.
    pub(crate) detail: String,
}

/// What the rules need beside the rows.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    /// The grain's key names, in order.
    pub(crate) key_names: Vec<&'static str>,
    /// Position of `invoice_id` in the keys.
    pub(crate) invoice: usize,
    /// Position of `currency` in the keys.
    pub(crate) currency: usize,
    /// The tolerance.
    pub(crate) tolerance: Decimal,
    /// Folded credit-note invoice id → folded id of the invoice it amends.
    pub(crate) amends: &'a HashMap<String, String>,
    /// The unbilled export's sums, when the snapshot has one.
    pub(crate) unbilled: Option<&'a UnbilledSums>,
}

/// A rule for `amount_mismatch` rows: its code and its test; the detail is written when it holds.
type Rule = (Code, fn(&GrainRow<'_>, &Context<'_>) -> Option<String>);

/// The contract's rules 1–7 for `amount_mismatch` rows, in order: the first that holds wins;
/// none holding is `unexplained`.
const RULES: [Rule; 7] = [
    (Code::Rounding, rounding),
    (Code::SignReversed, sign_reversed),
    (Code::BookedTwice, booked_twice),
    (Code::BilledTwice, billed_twice),
    (Code::TaxIncluded, tax_included),
    (Code::Quantity, quantity),
    (Code::UnitPrice, unit_price),
];

const CENT: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

/// 1. |difference| ≤ 0.01 × pc_lines: Microsoft truncates every line to the cent (ROUNDDOWN).
fn rounding(r: &GrainRow<'_>, _: &Context<'_>) -> Option<String> {
    let allowed = CENT.checked_mul(Decimal::from(r.pc_lines))?;
    (r.difference().abs() <= allowed).then(|| {
        format!(
            "difference {} is within 0.01 for each of the {} (Microsoft rounds every line down to the cent)",
            show(r.difference()),
            count(r.pc_lines, "line")
        )
    })
}

/// 2. ledger_amount = −pc_amount.
fn sign_reversed(r: &GrainRow<'_>, _: &Context<'_>) -> Option<String> {
    (r.ledger == -r.pc).then(|| {
        format!(
            "ledger booked {} for the billed {}: the sign is reversed",
            show(r.ledger),
            show(r.pc)
        )
    })
}

/// 3. ledger_amount = 2 × pc_amount and ledger_rows ≥ 2.
fn booked_twice(r: &GrainRow<'_>, _: &Context<'_>) -> Option<String> {
    (r.ledger_rows >= 2 && Some(r.ledger) == r.pc.checked_mul(Decimal::TWO)).then(|| {
        format!(
            "ledger booked {} in {}, twice the billed {}",
            show(r.ledger),
            count(r.ledger_rows, "row"),
            show(r.pc)
        )
    })
}

/// 4. pc_amount = 2 × ledger_amount and pc_lines ≥ 2.
fn billed_twice(r: &GrainRow<'_>, _: &Context<'_>) -> Option<String> {
    (r.pc_lines >= 2 && Some(r.pc) == r.ledger.checked_mul(Decimal::TWO)).then(|| {
        format!(
            "billed {} in {}, twice the booked {}",
            show(r.pc),
            count(r.pc_lines, "line"),
            show(r.ledger)
        )
    })
}

/// 5. |ledger_amount − Σ charges total| ≤ tol: the ledger booked the amount after tax.
fn tax_included(r: &GrainRow<'_>, c: &Context<'_>) -> Option<String> {
    let total = r.pc_total?;
    ((r.ledger - total).abs() <= c.tolerance).then(|| {
        format!(
            "ledger booked {}, the billed amount after tax {} (before tax {}, tax {})",
            show(r.ledger),
            show(total),
            show(r.pc),
            show(total - r.pc)
        )
    })
}

/// Both quantities of rules 6 and 7: Σ charges quantity and Σ ledger quantity, both non-zero.
fn quantities(r: &GrainRow<'_>) -> Option<(Decimal, Decimal)> {
    let (q_pc, q_led) = (r.pc_quantity?, r.ledger_quantity?);
    (!q_pc.is_zero() && !q_led.is_zero()).then_some((q_pc, q_led))
}

/// 6. Other quantity, same unit price: |pc × q_led − ledger × q_pc| ≤ tol × max(|q_pc|, |q_led|).
fn quantity(r: &GrainRow<'_>, c: &Context<'_>) -> Option<String> {
    let (q_pc, q_led) = quantities(r)?;
    if q_pc == q_led {
        return None;
    }
    let lhs =
        r.pc.checked_mul(q_led)?
            .checked_sub(r.ledger.checked_mul(q_pc)?)?
            .abs();
    let rhs = c.tolerance.checked_mul(q_pc.abs().max(q_led.abs()))?;
    (lhs <= rhs).then(|| {
        format!(
            "quantity {} vs {} at {} each",
            q_pc.normalize(),
            q_led.normalize(),
            unit(r.pc, q_pc)
        )
    })
}

/// 7. Same quantity, other unit price.
fn unit_price(r: &GrainRow<'_>, _: &Context<'_>) -> Option<String> {
    let (q_pc, q_led) = quantities(r)?;
    (q_pc == q_led).then(|| {
        format!(
            "unit price {} vs {} for quantity {}",
            unit(r.pc, q_pc),
            unit(r.ledger, q_led),
            q_pc.normalize()
        )
    })
}

/// `amount / quantity` for a detail: exact when it has at most six decimals, else marked
/// "about" and cut to six (a sentence, never a report value).
fn unit(amount: Decimal, quantity: Decimal) -> String {
    match amount.checked_div(quantity) {
        Some(u) if u.normalize().scale() <= 6 => show(u),
        Some(u) => format!(
            "about {}",
            u.round_dp_with_strategy(6, rust_decimal::RoundingStrategy::ToZero)
                .normalize()
        ),
        None => "an unknown price".into(),
    }
}

/// `n` and a noun, in the plural unless `n` is 1 ("1 line", "3 lines").
fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A money value for a sentence: as exact as it is, at least to the cent.
pub(crate) fn show(d: Decimal) -> String {
    let mut n = d.normalize();
    if n.scale() < 2 {
        n.rescale(2);
    }
    n.to_string()
}

/// The contract's explanation of every row of `rows` (non-matched grain rows in the report's
/// sort order); the result is parallel to `rows`.
pub(crate) fn explain(rows: &[GrainRow<'_>], ctx: &Context<'_>) -> Vec<Explanation> {
    let tol = ctx.tolerance;
    let mut out: Vec<Option<Explanation>> = rows
        .iter()
        .map(|r| {
            (r.pc.abs() <= tol && r.ledger.abs() <= tol).then(|| Explanation {
                code: Code::ZeroAmount,
                detail: format!(
                    "billed {} and booked {}: both within {} of zero",
                    show(r.pc),
                    show(r.ledger),
                    tol
                ),
            })
        })
        .collect();
    pair_credit_notes(rows, ctx, &mut out);
    pair_near_matches(rows, ctx, &mut out);
    rows.iter()
        .zip(out)
        .map(|(r, e)| e.unwrap_or_else(|| unpaired(r, ctx)))
        .collect()
}

/// The explanation of a row in no pair.
fn unpaired(r: &GrainRow<'_>, ctx: &Context<'_>) -> Explanation {
    let (code, detail) = match r.status {
        Status::AmountMismatch => RULES
            .iter()
            .find_map(|(code, rule)| rule(r, ctx).map(|d| (*code, d)))
            .unwrap_or_else(|| {
                (
                    Code::Unexplained,
                    format!(
                        "difference {} (billed {}, booked {}) fits no rule",
                        show(r.difference()),
                        show(r.pc),
                        show(r.ledger)
                    ),
                )
            }),
        Status::MissingInLedger => (
            Code::Unexplained,
            format!(
                "billed {} in {} and not booked; no booked row of that amount differs in one key",
                show(r.pc),
                count(r.pc_lines, "line")
            ),
        ),
        Status::MissingInInvoice => (
            Code::Unexplained,
            format!(
                "booked {} in {} against invoice {}, which bills nothing under these keys",
                show(r.ledger),
                count(r.ledger_rows, "row"),
                r.shown[ctx.invoice]
            ),
        ),
        Status::NotYetInvoiced => {
            let held = ctx.unbilled.and_then(|u| u.sum_for(r, ctx));
            match held {
                Some(sum) if (sum - r.ledger).abs() <= ctx.tolerance => (
                    Code::Unbilled,
                    format!(
                        "booked {} before invoicing; the unbilled export holds {} under these keys",
                        show(r.ledger),
                        show(sum)
                    ),
                ),
                _ => (
                    Code::AwaitingInvoice,
                    format!(
                        "booked {} in {} with no invoice number; no invoice or unbilled line holds it yet",
                        show(r.ledger),
                        count(r.ledger_rows, "row")
                    ),
                ),
            }
        }
        // matched rows never reach the rules
        Status::Matched => (Code::Unexplained, String::new()),
    };
    Explanation { code, detail }
}

/// Pair step 1: a `missing_in_ledger` row of a credit note and the row of the invoice it amends
/// whose other keys are equal, when the ledger booked the credit against the original.
fn pair_credit_notes(rows: &[GrainRow<'_>], ctx: &Context<'_>, out: &mut [Option<Explanation>]) {
    if ctx.amends.is_empty() {
        return;
    }
    let by_keys: HashMap<&[&str], usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.keys.as_slice(), i))
        .collect();
    let tol = ctx.tolerance;
    for (i, credit) in rows.iter().enumerate() {
        if credit.status != Status::MissingInLedger || out[i].is_some() {
            continue;
        }
        let Some(original) = ctx.amends.get(credit.keys[ctx.invoice]) else {
            continue;
        };
        let mut keys = credit.keys.clone();
        keys[ctx.invoice] = original;
        let Some(&j) = by_keys.get(keys.as_slice()) else {
            continue;
        };
        let o = &rows[j];
        let holds = match o.status {
            Status::AmountMismatch => (o.difference() + credit.pc).abs() <= tol,
            Status::MissingInInvoice => (o.ledger - credit.pc).abs() <= tol,
            _ => false,
        };
        if !holds || out[j].is_some() {
            continue;
        }
        let (c_inv, o_inv) = (credit.shown[ctx.invoice], o.shown[ctx.invoice]);
        out[i] = Some(Explanation {
            code: Code::CreditNote,
            detail: format!(
                "credit note {c_inv} ({}) amends invoice {o_inv}; the ledger booked the credit against {o_inv}",
                show(credit.pc)
            ),
        });
        out[j] = Some(Explanation {
            code: Code::CreditNote,
            detail: format!(
                "invoice {o_inv} is amended by credit note {c_inv} ({}), which the ledger booked here",
                show(credit.pc)
            ),
        });
    }
}

/// `r`'s keys without column `c`, tagged with `c`: the index key of near matches.
fn projection<'a>(r: &GrainRow<'a>, c: usize) -> (usize, Vec<&'a str>) {
    let mut k = r.keys.clone();
    k.remove(c);
    (c, k)
}

/// Pair step 2: a `missing_in_ledger` row and a ledger-only row of the same currency whose
/// amounts agree within tolerance and whose keys differ in exactly one column. Candidates are
/// indexed by every "all keys but one" projection (the currency always kept), so a row looks up
/// its few candidates instead of scanning them all; each takes the first unpaired candidate in
/// the report's order.
fn pair_near_matches(rows: &[GrainRow<'_>], ctx: &Context<'_>, out: &mut [Option<Explanation>]) {
    let columns: Vec<usize> = (0..ctx.key_names.len())
        .filter(|&c| c != ctx.currency)
        .collect();
    // (left-out column, the other keys) → candidate rows in report order
    let mut index: HashMap<(usize, Vec<&str>), Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if out[i].is_none() && matches!(r.status, Status::MissingInInvoice | Status::NotYetInvoiced)
        {
            for &c in &columns {
                index.entry(projection(r, c)).or_default().push(i);
            }
        }
    }
    if index.is_empty() {
        return;
    }
    let tol = ctx.tolerance;
    for (i, billed) in rows.iter().enumerate() {
        if billed.status != Status::MissingInLedger || out[i].is_some() {
            continue;
        }
        let found = columns
            .iter()
            .filter_map(|&c| {
                let cands = index.get(&projection(billed, c))?;
                cands
                    .iter()
                    .copied()
                    .find(|&j| out[j].is_none() && (billed.pc - rows[j].ledger).abs() <= tol)
                    .map(|j| (j, c))
            })
            .min();
        let Some((j, c)) = found else { continue };
        let booked = &rows[j];
        let column = ctx.key_names[c];
        out[i] = Some(Explanation {
            code: Code::KeyMismatch,
            detail: if booked.status == Status::NotYetInvoiced {
                format!(
                    "ledger booked {} with no invoice number (invoice_id empty, not yet invoiced)",
                    show(booked.ledger)
                )
            } else {
                format!(
                    "ledger booked {} under {column} {}",
                    show(booked.ledger),
                    booked.shown[c]
                )
            },
        });
        out[j] = Some(Explanation {
            code: Code::KeyMismatch,
            detail: format!(
                "billed {} under {column} {}",
                show(billed.pc),
                billed.shown[c]
            ),
        });
    }
}

/// The unbilled export's Σ subtotal per grain key (invoice aside, both billing periods).
#[derive(Debug, Default)]
pub(crate) struct UnbilledSums {
    /// Folded keys in the grain's order, the invoice left empty → Σ subtotal.
    sums: HashMap<Vec<String>, Decimal>,
}

impl UnbilledSums {
    /// Sums the `unbilled_charges` frame (charges columns) per grain key, invoice aside.
    pub(crate) fn from_frame(df: &DataFrame, rules: &Rules) -> Result<Self> {
        let pe = |e| Error::polars("unbilled sums", e);
        let columns = rules
            .grain
            .iter()
            .map(|k| df.column(k.name).and_then(|c| c.str()).map_err(pe))
            .collect::<Result<Vec<_>>>()?;
        let (values, scale) =
            money::decimal_values(df.column("subtotal").map_err(pe)?).map_err(pe)?;
        let mut sums: HashMap<Vec<String>, Decimal> = HashMap::new();
        for (row, v) in values.into_iter().enumerate() {
            let key: Vec<String> = rules
                .grain
                .iter()
                .zip(&columns)
                .map(|(k, c)| {
                    let mut s = String::new();
                    if k.name != "invoice_id" {
                        fold_key_into(c.get(row), k.upper, &mut s);
                    }
                    s
                })
                .collect();
            let v = decimal(v.unwrap_or(0), scale)
                .ok_or_else(|| Error::Internal("an unbilled subtotal is too large".into()))?;
            *sums.entry(key).or_default() += v;
        }
        Ok(UnbilledSums { sums })
    }

    /// Σ subtotal of the unbilled lines with `r`'s keys (its invoice aside).
    fn sum_for(&self, r: &GrainRow<'_>, ctx: &Context<'_>) -> Option<Decimal> {
        let key: Vec<String> = r
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                if i == ctx.invoice {
                    String::new()
                } else {
                    (*k).to_owned()
                }
            })
            .collect();
        self.sums.get(&key).copied()
    }
}

/// A mantissa at `scale` as a `Decimal`, trailing zeros dropped first so that large amounts at
/// the working scale still fit; `None` when it does not fit (rules then do not hold).
pub(crate) fn decimal(mut v: i128, mut scale: u32) -> Option<Decimal> {
    while scale > 0 && v % 10 == 0 && v != 0 {
        v /= 10;
        scale -= 1;
    }
    if v == 0 {
        return Some(Decimal::ZERO);
    }
    Decimal::try_from_i128_with_scale(v, scale).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn row<'a>(keys: [&'a str; 6], status: Status, pc: &str, ledger: &str) -> GrainRow<'a> {
        GrainRow {
            keys: keys.to_vec(),
            shown: keys.to_vec(),
            status,
            pc: d(pc),
            ledger: d(ledger),
            pc_total: Some(d(pc)),
            pc_quantity: None,
            ledger_quantity: None,
            pc_lines: u64::from(!d(pc).is_zero()),
            ledger_rows: u64::from(!d(ledger).is_zero()),
        }
    }

    fn ctx<'a>(amends: &'a HashMap<String, String>) -> Context<'a> {
        Context {
            key_names: crate::reconcile::DEFAULT_GRAIN.to_vec(),
            invoice: 0,
            currency: 5,
            tolerance: d("0.01"),
            amends,
            unbilled: None,
        }
    }

    fn codes(rows: &[GrainRow<'_>], amends: &HashMap<String, String>) -> Vec<&'static str> {
        explain(rows, &ctx(amends))
            .into_iter()
            .map(|e| e.code.as_str())
            .collect()
    }

    #[test]
    fn rules_are_tried_in_the_contracts_order() {
        let k = ["G1", "c", "s", "o", "new", "EUR"];
        let mut r = row(k, Status::AmountMismatch, "10.00", "-10.00");
        let none = HashMap::new();
        assert_eq!(codes(&[r.clone()], &none), ["sign_reversed"]);
        // 3 lines may drift 3 cents: rounding wins over everything after it
        r.pc_lines = 3;
        r.ledger = d("9.97");
        assert_eq!(codes(&[r.clone()], &none), ["rounding"]);
        r.ledger = d("9.96");
        assert_eq!(codes(&[r.clone()], &none), ["unexplained"]);
        // 20.00 booked in 2 rows against 10.00 billed
        r.ledger = d("20.00");
        r.ledger_rows = 2;
        assert_eq!(codes(&[r.clone()], &none), ["booked_twice"]);
        r.ledger_rows = 1;
        assert_eq!(codes(&[r.clone()], &none), ["unexplained"]);
        r.ledger = d("5.00");
        assert_eq!(codes(&[r.clone()], &none), ["billed_twice"]);
        r.pc_lines = 1;
        r.ledger = d("11.90");
        r.pc_total = Some(d("11.90"));
        assert_eq!(codes(&[r.clone()], &none), ["tax_included"]);
    }

    #[test]
    fn quantity_and_unit_price_need_both_quantities() {
        let k = ["G1", "c", "s", "o", "new", "EUR"];
        let none = HashMap::new();
        // 12 × 9.40 billed, 10 × 9.40 booked
        let mut r = row(k, Status::AmountMismatch, "112.80", "94.00");
        assert_eq!(codes(&[r.clone()], &none), ["unexplained"]);
        r.pc_quantity = Some(d("12"));
        r.ledger_quantity = Some(d("10"));
        let e = explain(&[r.clone()], &ctx(&none));
        assert_eq!(e[0].code, Code::Quantity);
        assert_eq!(e[0].detail, "quantity 12 vs 10 at 9.40 each");
        // same quantity, other price
        r.ledger_quantity = Some(d("12"));
        let e = explain(&[r.clone()], &ctx(&none));
        assert_eq!(e[0].code, Code::UnitPrice);
        assert_eq!(
            e[0].detail,
            "unit price 9.40 vs about 7.833333 for quantity 12"
        );
        // a ledger row without a quantity: neither rule
        r.ledger_quantity = None;
        assert_eq!(codes(&[r], &none), ["unexplained"]);
    }

    #[test]
    fn zero_amount_comes_first_and_pairs_with_nothing() {
        let none = HashMap::new();
        let rows = [
            row(
                ["G1", "c", "s", "o", "new", "EUR"],
                Status::MissingInLedger,
                "0.00",
                "0",
            ),
            row(
                ["G1", "c", "x", "o", "new", "EUR"],
                Status::MissingInInvoice,
                "0",
                "0.01",
            ),
        ];
        assert_eq!(codes(&rows, &none), ["zero_amount", "zero_amount"]);
    }

    #[test]
    fn near_matches_pair_one_to_one_in_report_order() {
        let none = HashMap::new();
        let rows = [
            // billed 50 under subscription s1, booked under s2 and s3: the first candidate wins
            row(
                ["G1", "c", "s1", "o", "new", "EUR"],
                Status::MissingInLedger,
                "50.00",
                "0",
            ),
            row(
                ["G1", "c", "s1", "o", "new", "USD"],
                Status::MissingInLedger,
                "50.00",
                "0",
            ),
            row(
                ["G1", "c", "s2", "o", "new", "EUR"],
                Status::MissingInInvoice,
                "0",
                "50.01",
            ),
            row(
                ["G1", "c", "s3", "o", "new", "EUR"],
                Status::MissingInInvoice,
                "0",
                "50.00",
            ),
            // two columns differ: no pair
            row(
                ["G1", "d", "s9", "o", "new", "USD"],
                Status::MissingInInvoice,
                "0",
                "50.00",
            ),
            // a not-yet-invoiced booking of a billed line pairs on the invoice
            row(
                ["G2", "c", "s4", "o", "new", "EUR"],
                Status::MissingInLedger,
                "7.00",
                "0",
            ),
            row(
                ["", "c", "s4", "o", "new", "EUR"],
                Status::NotYetInvoiced,
                "0",
                "7.00",
            ),
        ];
        let mut rows = rows.to_vec();
        // the report sorts by folded keys: keep that order here
        rows.sort_by(|a, b| a.keys.cmp(&b.keys));
        let e = explain(&rows, &ctx(&none));
        let got: Vec<(&str, &str, &str)> = rows
            .iter()
            .zip(&e)
            .map(|(r, e)| (r.keys[0], r.keys[2], e.code.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("", "s4", "key_mismatch"),
                ("G1", "s1", "key_mismatch"),
                ("G1", "s1", "unexplained"),
                ("G1", "s2", "key_mismatch"),
                ("G1", "s3", "unexplained"),
                ("G1", "s9", "unexplained"),
                ("G2", "s4", "key_mismatch"),
            ]
        );
        let billed = e
            .iter()
            .zip(&rows)
            .find(|(_, r)| r.keys[2] == "s1")
            .unwrap()
            .0;
        assert_eq!(
            billed.detail,
            "ledger booked 50.01 under subscription_id s2"
        );
        let nyi = &e[0];
        assert_eq!(nyi.detail, "billed 7.00 under invoice_id G2");
    }

    #[test]
    fn a_credit_note_pairs_with_the_invoice_it_amends() {
        let amends: HashMap<String, String> = [("C1".to_owned(), "G1".to_owned())].into();
        let rows = [
            row(
                ["C1", "c", "s", "o", "new", "EUR"],
                Status::MissingInLedger,
                "-30.00",
                "0",
            ),
            // the ledger booked 100 − 30 against G1
            row(
                ["G1", "c", "s", "o", "new", "EUR"],
                Status::AmountMismatch,
                "100.00",
                "70.00",
            ),
        ];
        let e = explain(&rows, &ctx(&amends));
        assert_eq!(e[0].code, Code::CreditNote);
        assert_eq!(e[1].code, Code::CreditNote);
        assert!(e[0].detail.contains("G1") && e[1].detail.contains("C1"));
        // another amount: no pair; the credit row could still near-match, here it has nothing
        let rows = [
            rows[0].clone(),
            row(
                ["G1", "c", "s", "o", "new", "EUR"],
                Status::AmountMismatch,
                "100.00",
                "60.00",
            ),
        ];
        assert_eq!(codes(&rows, &amends), ["unexplained", "unexplained"]);
    }

    #[test]
    fn not_yet_invoiced_rows_are_unbilled_when_the_export_holds_them() {
        let none = HashMap::new();
        let r = row(
            ["", "c", "s", "o", "new", "EUR"],
            Status::NotYetInvoiced,
            "0",
            "12.00",
        );
        assert_eq!(codes(std::slice::from_ref(&r), &none), ["awaiting_invoice"]);
        let unbilled = UnbilledSums {
            sums: [(
                ["", "c", "s", "o", "new", "EUR"].map(String::from).to_vec(),
                d("12.005"),
            )]
            .into(),
        };
        let mut c = ctx(&none);
        c.unbilled = Some(&unbilled);
        let e = explain(&[r], &c);
        assert_eq!(e[0].code, Code::Unbilled);
        assert!(e[0].detail.contains("12.005"), "{}", e[0].detail);
    }

    #[test]
    fn unbilled_sums_fold_keys_and_leave_the_invoice_aside() {
        let rules = Rules {
            grain: crate::reconcile::DEFAULT_GRAIN
                .iter()
                .map(|n| crate::reconcile::grain_key(n).unwrap())
                .collect(),
            tolerance: money::Scaled {
                value: money::pow10(16),
                digits: 2,
            },
        };
        let subtotal: Int128Chunked = [Some(1_000), Some(205), Some(1)]
            .into_iter()
            .collect_ca("subtotal".into());
        let df = df! {
            "invoice_id" => ["", "", ""],
            "customer_id" => [" C ", "c", "c"],
            "subscription_id" => ["S", "s", "t"],
            "order_id" => ["o", "o", "o"],
            "charge_type" => ["New", "new", "new"],
            "currency" => ["eur", "EUR", "EUR"],
        }
        .unwrap()
        .hstack(&[subtotal
            .into_decimal(38, 2)
            .unwrap()
            .into_series()
            .into_column()])
        .unwrap();
        let sums = UnbilledSums::from_frame(&df, &rules).unwrap();
        let none = HashMap::new();
        let r = row(
            ["G9", "c", "s", "o", "new", "EUR"],
            Status::NotYetInvoiced,
            "0",
            "12.05",
        );
        assert_eq!(sums.sum_for(&r, &ctx(&none)), Some(d("12.05")));
    }

    #[test]
    fn decimals_from_mantissas_drop_trailing_zeros_first() {
        assert_eq!(decimal(12_500_000_000_000_000_000, 18), Some(d("12.5")));
        // 10^11 at scale 18 is over rust_decimal's 96 bits until the zeros go
        let big = 100_000_000_000i128 * money::pow10(18);
        assert_eq!(decimal(big, 18), Some(d("100000000000")));
        assert_eq!(decimal(i128::MAX, 0), None);
        assert_eq!(show(d("3")), "3.00");
        assert_eq!(show(d("0.010001")), "0.010001");
    }
}
