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

/// One generated line of the explanations world: keys, amount, after-tax total and quantity.
#[derive(Debug, Clone)]
struct Booked {
    invoice: String,
    customer: String,
    subscription: String,
    currency: String,
    cents: i64,
    total_cents: i64,
    quantity: Option<i64>,
}

/// How a ledger row is derived from a charge: the mistakes the explanations name.
#[derive(Debug, Clone, Copy)]
enum Booking {
    Same,
    Negated,
    Twice,
    AfterTax,
    OtherQuantity(i64),
    OtherSubscription,
    NoInvoice,
    OffByCents(i64),
    Skipped,
}

fn booking() -> impl Strategy<Value = Booking> {
    prop_oneof![
        Just(Booking::Same),
        Just(Booking::Negated),
        Just(Booking::Twice),
        Just(Booking::AfterTax),
        (1i64..5).prop_map(Booking::OtherQuantity),
        Just(Booking::OtherSubscription),
        Just(Booking::NoInvoice),
        (-3i64..4).prop_map(Booking::OffByCents),
        Just(Booking::Skipped),
    ]
}

fn billed() -> impl Strategy<Value = Booked> {
    (
        prop::sample::select(&["G1", "G2", "C1"][..]),
        prop::sample::select(&["c-a", "c-b"][..]),
        prop::sample::select(&["s1", "s2", "s3"][..]),
        prop::sample::select(&["EUR", "USD"][..]),
        1i64..20,
        prop_oneof![Just(100i64), Just(250), Just(999), 1i64..3000],
        0i64..40,
    )
        .prop_map(|(inv, cust, sub, cur, q, unit, tax)| {
            // a credit note's lines are negative
            let sign = if inv == "C1" { -1 } else { 1 };
            Booked {
                invoice: inv.into(),
                customer: cust.into(),
                subscription: sub.into(),
                currency: cur.into(),
                cents: sign * q * unit,
                total_cents: sign * (q * unit + tax),
                quantity: Some(q),
            }
        })
}

/// The ledger rows a booking of `b` makes.
fn book(b: &Booked, how: Booking) -> Vec<Booked> {
    let mut r = b.clone();
    match how {
        Booking::Same => {}
        Booking::Negated => r.cents = -r.cents,
        Booking::Twice => return vec![r.clone(), r],
        Booking::AfterTax => r.cents = r.total_cents,
        Booking::OtherQuantity(q) => {
            let unit = b.cents / b.quantity.unwrap();
            r.quantity = Some(q);
            r.cents = q * unit;
        }
        Booking::OtherSubscription => r.subscription = "s9".into(),
        Booking::NoInvoice => r.invoice = String::new(),
        Booking::OffByCents(c) => r.cents += c,
        Booking::Skipped => return vec![],
    }
    // the ledger books a credit note against the invoice it amends
    if r.invoice == "C1" {
        r.invoice = "G1".into();
    }
    vec![r]
}

fn quantity_col(name: &str, q: impl Iterator<Item = Option<i64>>) -> Column {
    let mut b = DecimalBuilder::new(SCALE, 0);
    for v in q {
        b.push(v.map(|v| Scaled {
            value: v as i128 * 10i128.pow(SCALE),
            digits: 0,
        }));
    }
    b.into_column(name, 0).unwrap()
}

fn explain_charges(lines: &[Booked]) -> DataFrame {
    DataFrame::new_infer_height(vec![
        text("invoice_id", lines.iter().map(|l| l.invoice.clone())),
        text("customer_id", lines.iter().map(|l| l.customer.clone())),
        text(
            "subscription_id",
            lines.iter().map(|l| l.subscription.clone()),
        ),
        text("order_id", lines.iter().map(|_| String::new())),
        text("charge_type", lines.iter().map(|_| "new".to_string())),
        text("currency", lines.iter().map(|l| l.currency.clone())),
        money_col("subtotal", lines.iter().map(|l| l.cents)),
        money_col("total", lines.iter().map(|l| l.total_cents)),
        quantity_col("quantity", lines.iter().map(|l| l.quantity)),
    ])
    .unwrap()
}

fn explain_ledger(lines: &[Booked]) -> DataFrame {
    DataFrame::new_infer_height(vec![
        text("entry_id", (0..lines.len()).map(|i| format!("E{i}"))),
        text("invoice_number", lines.iter().map(|l| l.invoice.clone())),
        text("customer_id", lines.iter().map(|l| l.customer.clone())),
        text(
            "subscription_id",
            lines.iter().map(|l| l.subscription.clone()),
        ),
        text("order_id", lines.iter().map(|_| String::new())),
        text("product_id", lines.iter().map(|_| String::new())),
        text("sku_id", lines.iter().map(|_| String::new())),
        text("charge_type", lines.iter().map(|_| "new".to_string())),
        text("currency", lines.iter().map(|l| l.currency.clone())),
        money_col("amount", lines.iter().map(|l| l.cents)),
        quantity_col("quantity", lines.iter().map(|l| l.quantity)),
    ])
    .unwrap()
}

/// G1 and G2 are invoices; C1 is a credit note amending G1.
fn explain_invoices() -> DataFrame {
    let ids = ["G1", "G2", "C1"];
    DataFrame::new_infer_height(vec![
        text("invoice_id", ids.iter().map(|s| s.to_string())),
        text("currency", ids.iter().map(|_| "EUR".to_string())),
        money_col("invoice_total", ids.iter().map(|_| 0)),
        text(
            "document_type",
            ["invoice", "invoice", "credit_note"]
                .iter()
                .map(|s| s.to_string()),
        ),
        text(
            "amends_invoice_id",
            ["", "", "G1"].iter().map(|s| s.to_string()),
        ),
        money_col("paid_amount", ids.iter().map(|_| 0)),
        text("billing_period_start", ids.iter().map(|_| String::new())),
        text("billing_period_end", ids.iter().map(|_| String::new())),
    ])
    .unwrap()
}

/// Per grain key (invoice, customer, subscription, currency): Σ subtotal, lines, Σ total,
/// Σ quantity; Σ amount, rows, Σ quantity and the rows that have one.
#[derive(Debug, Default, Clone, Copy)]
struct Sums {
    pc: i64,
    lines: u64,
    total: i64,
    q_pc: i64,
    ledger: i64,
    rows: u64,
    q_led: i64,
    q_rows: u64,
}

type Key4 = (String, String, String, String);

fn explained(
    charges: &[Booked],
    ledger: &[Booked],
    rules: &Rules,
) -> Vec<(Key4, String, String, String)> {
    let out = reconcile::reconcile(
        &explain_charges(charges),
        &explain_ledger(ledger),
        &explain_invoices(),
        rules,
    )
    .expect("reconcile");
    let rec = &out.reconciliation;
    let s = |c: &str, i: usize| {
        rec.column(c)
            .unwrap()
            .get(i)
            .unwrap()
            .str_value()
            .to_string()
    };
    (0..rec.height())
        .map(|i| {
            let k = (
                s("invoice_id", i),
                s("customer_id", i),
                s("subscription_id", i),
                s("currency", i),
            );
            (
                k,
                s("status", i),
                s("explanation", i),
                s("explanation_detail", i),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Every explanation satisfies the contract rule it names, amount_mismatch rows take the
    /// first rule that holds, pairs are one-to-one, and the input order changes nothing.
    #[test]
    fn explanations_satisfy_the_rule_they_name(
        charges in prop::collection::vec(billed(), 0..24),
        bookings in prop::collection::vec(booking(), 24),
        strays in prop::collection::vec(billed(), 0..4),
    ) {
        let tol = 1i64; // cents
        let rules = Rules {
            grain: reconcile::DEFAULT_GRAIN.iter().map(|k| reconcile::grain_key(k).unwrap()).collect(),
            tolerance: Scaled { value: 10i128.pow(SCALE - 2), digits: 2 },
        };
        let mut ledger: Vec<Booked> = charges.iter().zip(&bookings).flat_map(|(c, b)| book(c, *b)).collect();
        // bookings of nothing billed, some without a quantity
        ledger.extend(strays.iter().map(|s| Booked { invoice: "G3".into(), quantity: None, ..s.clone() }));

        let mut model: BTreeMap<Key4, Sums> = BTreeMap::new();
        let k = |l: &Booked| (l.invoice.clone(), l.customer.clone(), l.subscription.clone(), l.currency.clone());
        for l in &charges {
            let e = model.entry(k(l)).or_default();
            e.pc += l.cents; e.lines += 1; e.total += l.total_cents; e.q_pc += l.quantity.unwrap_or(0);
        }
        for l in &ledger {
            let e = model.entry(k(l)).or_default();
            e.ledger += l.cents; e.rows += 1;
            if let Some(q) = l.quantity { e.q_led += q; e.q_rows += 1; }
        }
        let rows = explained(&charges, &ledger, &rules);
        let find = |key: &Key4| rows.iter().find(|r| &r.0 == key);
        let one_off = |a: &Key4, b: &Key4| {
            [a.0 != b.0, a.1 != b.1, a.2 != b.2].iter().filter(|d| **d).count() == 1 && a.3 == b.3
        };
        let (mut ml_pairs, mut ledger_pairs) = (0, 0);
        for (key, status, code, detail) in &rows {
            let m = model[key];
            let d = m.pc - m.ledger;
            if status == "matched" {
                prop_assert!(code.is_empty() && detail.is_empty());
                continue;
            }
            prop_assert!(!detail.is_empty(), "{key:?} {code} has no detail");
            let zero = m.pc.abs() <= tol && m.ledger.abs() <= tol;
            prop_assert_eq!(zero, code == "zero_amount", "{:?} {} {}", key, code, detail);
            let q_known = m.q_pc != 0 && m.q_led != 0 && m.q_rows == m.rows;
            let rules_hold = [
                ("rounding", d.abs() <= m.lines as i64),
                ("sign_reversed", m.ledger == -m.pc),
                ("booked_twice", m.ledger == 2 * m.pc && m.rows >= 2),
                ("billed_twice", m.pc == 2 * m.ledger && m.lines >= 2),
                ("tax_included", (m.ledger - m.total).abs() <= tol),
                ("quantity", q_known && m.q_pc != m.q_led
                    && (m.pc * m.q_led - m.ledger * m.q_pc).abs() <= tol * m.q_pc.abs().max(m.q_led.abs())),
                ("unit_price", q_known && m.q_pc == m.q_led),
            ];
            match code.as_str() {
                "zero_amount" => {}
                "credit_note" => {
                    // the credit note's row and its original's, other keys equal
                    let other = if key.0 == "C1" { "G1" } else { "C1" };
                    let o = find(&(other.into(), key.1.clone(), key.2.clone(), key.3.clone()));
                    prop_assert!(o.is_some_and(|o| o.2 == "credit_note"), "{key:?}: no credit_note partner");
                    let (credit, orig) = if key.0 == "C1" { (m, model[&o.unwrap().0]) } else { (model[&o.unwrap().0], m) };
                    let od = orig.pc - orig.ledger;
                    prop_assert!((od + credit.pc).abs() <= tol || (orig.lines == 0 && (orig.ledger - credit.pc).abs() <= tol));
                    prop_assert!(detail.contains(other), "{detail}");
                }
                "key_mismatch" => {
                    if status == "missing_in_ledger" { ml_pairs += 1 } else { ledger_pairs += 1 }
                    let want = if status == "missing_in_ledger" {
                        ["missing_in_invoice", "not_yet_invoiced"].as_slice()
                    } else {
                        ["missing_in_ledger"].as_slice()
                    };
                    let partner = rows.iter().any(|o| o.2 == "key_mismatch" && want.contains(&o.1.as_str())
                        && one_off(key, &o.0) && {
                            let om = model[&o.0];
                            (m.pc - om.ledger).abs() <= tol || (om.pc - m.ledger).abs() <= tol
                        });
                    prop_assert!(partner, "{key:?}: no key_mismatch partner");
                }
                "awaiting_invoice" => prop_assert_eq!(status.as_str(), "not_yet_invoiced"),
                "unexplained" => {
                    prop_assert!(status != "not_yet_invoiced");
                    if status == "amount_mismatch" {
                        prop_assert!(rules_hold.iter().all(|(_, h)| !h), "{key:?}: a rule holds: {rules_hold:?}");
                    }
                }
                rule => {
                    prop_assert_eq!(status.as_str(), "amount_mismatch");
                    let first = rules_hold.iter().find(|(_, h)| *h).map(|(c, _)| *c);
                    prop_assert_eq!(first, Some(rule), "{:?}: the first rule that holds", key);
                    if rule == "quantity" {
                        prop_assert!(detail.contains(&m.q_pc.to_string()) && detail.contains(&m.q_led.to_string()));
                    }
                }
            }
        }
        prop_assert_eq!(ml_pairs, ledger_pairs, "key_mismatch pairs are one-to-one");

        // the pairs the contract forms, simulated on the model: credit notes first, then each
        // missing_in_ledger row (report order) with the first unpaired candidate (report order)
        let mut paired: BTreeMap<Key4, &str> = BTreeMap::new();
        let open = |k: &Key4, st: &str| {
            let m = model[k];
            st != "matched" && !(m.pc.abs() <= tol && m.ledger.abs() <= tol)
        };
        for (key, st, _, _) in rows.iter().filter(|r| r.0.0 == "C1" && r.1 == "missing_in_ledger") {
            let orig = ("G1".to_string(), key.1.clone(), key.2.clone(), key.3.clone());
            if let Some(o) = find(&orig).filter(|o| open(&o.0, &o.1) && open(key, st) && !paired.contains_key(&o.0)) {
                let (c, g) = (model[key], model[&o.0]);
                if (o.1 == "amount_mismatch" && (g.pc - g.ledger + c.pc).abs() <= tol)
                    || (o.1 == "missing_in_invoice" && (g.ledger - c.pc).abs() <= tol) {
                    paired.insert(key.clone(), "credit_note");
                    paired.insert(o.0.clone(), "credit_note");
                }
            }
        }
        for (key, st, _, _) in &rows {
            if st != "missing_in_ledger" || !open(key, st) || paired.contains_key(key) {
                continue;
            }
            let partner = rows.iter().find(|o| {
                (o.1 == "missing_in_invoice" || o.1 == "not_yet_invoiced") && open(&o.0, &o.1)
                    && !paired.contains_key(&o.0) && one_off(key, &o.0)
                    && (model[key].pc - model[&o.0].ledger).abs() <= tol
            });
            if let Some(o) = partner {
                paired.insert(key.clone(), "key_mismatch");
                paired.insert(o.0.clone(), "key_mismatch");
            }
        }
        for (key, _, code, _) in &rows {
            let want = paired.get(key).copied();
            let got = (code == "credit_note" || code == "key_mismatch").then_some(code.as_str());
            prop_assert_eq!(got, want, "{:?}: the pair the contract forms", key);
        }

        // pairing does not depend on the order of the inputs
        let mut rc = charges.clone();
        rc.reverse();
        let mut rl = ledger.clone();
        rl.reverse();
        let codes = |r: &[(Key4, String, String, String)]| -> BTreeMap<Key4, String> {
            r.iter().map(|x| (x.0.clone(), x.2.clone())).collect()
        };
        prop_assert_eq!(codes(&rows), codes(&explained(&rc, &rl, &rules)));
    }
}
