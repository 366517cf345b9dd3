//! Property tests of the reconciliation against an independent model written here: random
//! charges and ledger entries with key noise (case, padding, empty keys), amounts near the
//! tolerance. The statuses must partition the grain rows, follow the amounts, and money must be
//! conserved per currency.

use std::collections::BTreeMap;

use pcrecon::money::{DecimalBuilder, Scaled};
use pcrecon::reconcile::{self, Rules, Status};
use polars::prelude::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

const SCALE: u32 = pcrecon::money::MONEY_SCALE;

/// One generated line: keys and an amount in cents.
#[derive(Debug, Clone)]
struct Line {
    invoice: String,
    customer: String,
    subscription: String,
    currency: String,
    charge_type: String,
    cents: i64,
}

fn noisy(base: &'static [&'static str]) -> impl Strategy<Value = String> {
    (prop::sample::select(base), 0..4u8).prop_map(|(s, noise)| match noise {
        0 => s.to_string(),
        1 => s.to_uppercase(),
        2 => format!("  {s} "),
        _ => s.to_lowercase(),
    })
}

fn line(invoices: &'static [&'static str]) -> impl Strategy<Value = Line> {
    (
        noisy(invoices),
        noisy(&["c-aaaa", "C-BBBB", "c-cccc"]),
        noisy(&["s1", "s2", ""]),
        noisy(&["EUR", "usd", "SEK"]),
        noisy(&["cycleCharge", "new", "addQuantity"]),
        prop_oneof![-5000i64..5000, Just(1), Just(-1), Just(0)],
    )
        .prop_map(
            |(invoice, customer, subscription, currency, charge_type, cents)| Line {
                invoice,
                customer,
                subscription,
                currency,
                charge_type,
                cents,
            },
        )
}

fn money_col(name: &str, cents: impl Iterator<Item = i64>) -> Column {
    let mut b = DecimalBuilder::new(SCALE, 0);
    for c in cents {
        b.push(Some(Scaled {
            value: c as i128 * 10i128.pow(SCALE - 2),
            digits: 2,
        }));
    }
    b.into_column(name, 2).unwrap()
}

fn text(name: &str, v: impl Iterator<Item = String>) -> Column {
    Column::new(name.into(), v.collect::<Vec<_>>())
}

fn charges_frame(lines: &[Line]) -> DataFrame {
    DataFrame::new_infer_height(vec![
        text("invoice_id", lines.iter().map(|l| l.invoice.clone())),
        text("customer_id", lines.iter().map(|l| l.customer.clone())),
        text(
            "subscription_id",
            lines.iter().map(|l| l.subscription.clone()),
        ),
        text("order_id", lines.iter().map(|_| String::new())),
        text("charge_type", lines.iter().map(|l| l.charge_type.clone())),
        text("currency", lines.iter().map(|l| l.currency.clone())),
        money_col("subtotal", lines.iter().map(|l| l.cents)),
        money_col("total", lines.iter().map(|l| l.cents)),
    ])
    .unwrap()
}

fn ledger_frame(lines: &[Line]) -> DataFrame {
    DataFrame::new_infer_height(vec![
        text(
            "entry_id",
            lines.iter().enumerate().map(|(i, _)| format!("E{i}")),
        ),
        text("invoice_number", lines.iter().map(|l| l.invoice.clone())),
        text("customer_id", lines.iter().map(|l| l.customer.clone())),
        text(
            "subscription_id",
            lines.iter().map(|l| l.subscription.clone()),
        ),
        text("order_id", lines.iter().map(|_| String::new())),
        text("product_id", lines.iter().map(|_| String::new())),
        text("sku_id", lines.iter().map(|_| String::new())),
        text("charge_type", lines.iter().map(|l| l.charge_type.clone())),
        text("currency", lines.iter().map(|l| l.currency.clone())),
        money_col("amount", lines.iter().map(|l| l.cents)),
    ])
    .unwrap()
}

fn invoices_frame() -> DataFrame {
    DataFrame::new_infer_height(vec![
        text("invoice_id", std::iter::once("G1".to_string())),
        text("currency", std::iter::once("EUR".to_string())),
        money_col("invoice_total", std::iter::once(0)),
        text("document_type", std::iter::once("invoice".to_string())),
        text("amends_invoice_id", std::iter::once(String::new())),
        money_col("paid_amount", std::iter::once(0)),
        text("billing_period_start", std::iter::once(String::new())),
        text("billing_period_end", std::iter::once(String::new())),
    ])
    .unwrap()
}

/// The model's grain key: trimmed; invoice and currency upper-case, the rest lower-case.
fn key(l: &Line) -> (String, String, String, String, String) {
    fold([
        &l.invoice,
        &l.customer,
        &l.subscription,
        &l.charge_type,
        &l.currency,
    ])
}

/// Folds the key values `[invoice, customer, subscription, charge_type, currency]`.
fn fold(v: [&str; 5]) -> (String, String, String, String, String) {
    (
        v[0].trim().to_uppercase(),
        v[1].trim().to_lowercase(),
        v[2].trim().to_lowercase(),
        v[3].trim().to_lowercase(),
        v[4].trim().to_uppercase(),
    )
}

/// Per key column, folded value → the first spelling seen (trimmed), charges before ledger.
fn first_spellings(lines: &[&Line]) -> [BTreeMap<String, String>; 5] {
    let mut out: [BTreeMap<String, String>; 5] = Default::default();
    for l in lines {
        let k = key(l);
        let folded = [k.0, k.1, k.2, k.3, k.4];
        let raw = [
            &l.invoice,
            &l.customer,
            &l.subscription,
            &l.charge_type,
            &l.currency,
        ];
        for i in 0..5 {
            out[i]
                .entry(folded[i].clone())
                .or_insert_with(|| raw[i].trim().to_owned());
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn statuses_partition_grain_rows_and_money_is_conserved(
        charges in prop::collection::vec(line(&["G1", "g2"]), 0..40),
        ledger in prop::collection::vec(line(&["G1", "g2", "G3", "", " "]), 0..40),
        tolerance_cents in 0i64..3,
    ) {
        let rules = Rules {
            grain: reconcile::DEFAULT_GRAIN.iter().map(|k| reconcile::grain_key(k).unwrap()).collect(),
            tolerance: Scaled { value: tolerance_cents as i128 * 10i128.pow(SCALE - 2), digits: 2 },
        };
        let out = reconcile::reconcile(&charges_frame(&charges), &ledger_frame(&ledger), &invoices_frame(), &rules)
            .expect("reconcile (which asserts conservation itself)");

        // the model: sums and counts per grain key
        let mut model: BTreeMap<_, (i64, u64, i64, u64)> = BTreeMap::new();
        for l in &charges { let e = model.entry(key(l)).or_default(); e.0 += l.cents; e.1 += 1; }
        for l in &ledger { let e = model.entry(key(l)).or_default(); e.2 += l.cents; e.3 += 1; }

        let spelled = first_spellings(&charges.iter().chain(&ledger).collect::<Vec<_>>());
        let mut failing = 0u64;
        let rec = &out.reconciliation;
        prop_assert_eq!(rec.height(), model.len(), "one row per grain key, no key twice");
        let s = |c: &str, i: usize| rec.column(c).unwrap().get(i).unwrap().str_value().to_string();
        let mut per_currency: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for i in 0..rec.height() {
            let shown = ["invoice_id", "customer_id", "subscription_id", "charge_type", "currency"].map(|c| s(c, i));
            let k = fold(shown.each_ref().map(|v| v.as_str()));
            let folded = [&k.0, &k.1, &k.2, &k.3, &k.4];
            for c in 0..5 {
                prop_assert_eq!(&shown[c], &spelled[c][folded[c]], "keys show the first spelling seen");
            }
            let (pc, pc_n, lg, lg_n) = *model.get(&k).unwrap_or_else(|| panic!("unexpected grain row {k:?}"));
            let cents = |c: &str| (crate::common::dec(&s(c, i)) * Decimal::from(100)).to_i64().expect("whole cents");
            prop_assert_eq!(cents("pc_amount"), pc);
            prop_assert_eq!(cents("ledger_amount"), lg);
            prop_assert_eq!(cents("difference"), pc - lg);
            prop_assert_eq!(s("pc_lines", i).parse::<u64>().unwrap(), pc_n);
            prop_assert_eq!(s("ledger_rows", i).parse::<u64>().unwrap(), lg_n);
            let expected = if pc_n == 0 && k.0.is_empty() {
                Status::NotYetInvoiced
            } else if pc_n == 0 {
                Status::MissingInInvoice
            } else if lg_n == 0 {
                Status::MissingInLedger
            } else if (pc - lg).abs() <= tolerance_cents {
                Status::Matched
            } else {
                Status::AmountMismatch
            };
            prop_assert_eq!(s("status", i), expected.as_str());
            // both amounts within tolerance of zero: the status stays, the run does not fail
            if expected.is_failure() && (pc.abs() > tolerance_cents || lg.abs() > tolerance_cents) {
                failing += 1;
            }
            let e = per_currency.entry(k.4.clone()).or_default();
            e.0 += pc;
            e.1 += lg;
        }
        // conservation per currency against the inputs
        let mut inputs: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for l in &charges { inputs.entry(l.currency.trim().to_uppercase()).or_default().0 += l.cents; }
        for l in &ledger { inputs.entry(l.currency.trim().to_uppercase()).or_default().1 += l.cents; }
        prop_assert_eq!(per_currency, inputs);
        prop_assert_eq!(out.failing_rows, failing);
    }
}
