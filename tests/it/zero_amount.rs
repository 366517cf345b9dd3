//! A grain row whose amounts are both within tolerance of zero keeps its status but does not make
//! the run exit 1; one cent beyond the tolerance still does. A one-invoice world built here: one
//! billed line (`subtotal` = `totalCharges`, so the invoice check matches) and an empty ledger.

use std::path::{Path, PathBuf};

use crate::common::*;

const INVOICE: &str = "G000000001";

/// A snapshot with one one-time invoice of one line whose subtotal and total are `amount`.
fn world(dir: &Path, amount: &str) -> PathBuf {
    let snap = dir.join("partner-center");
    let feed = snap.join(format!(
        "invoices/{INVOICE}/lineitems/onetime-billinglineitems"
    ));
    std::fs::create_dir_all(&feed).unwrap();
    let invoice = format!(
        r#"{{"id":"{INVOICE}","invoiceDate":"2025-03-06T00:00:00Z","billingPeriodStartDate":"2025-02-01T00:00:00Z",
"billingPeriodEndDate":"2025-02-28T00:00:00Z","totalCharges":{amount},"paidAmount":0,"currencyCode":"EUR",
"invoiceDetails":[{{"invoiceLineItemType":"billing_line_items","billingProvider":"one_time"}}],
"documentType":"invoice","invoiceType":"OneTime","attributes":{{"objectType":"Invoice"}}}}"#
    );
    std::fs::write(
        snap.join("invoices/page-0001.json"),
        format!(
            r#"{{"totalCount":1,"items":[{invoice}],"attributes":{{"objectType":"Collection"}}}}"#
        ),
    )
    .unwrap();
    let line = format!(
        r#"{{"customerId":"c49ead1c-183e-44d1-9969-a3e24d4f98c5","customerName":"Contoso","invoiceNumber":"{INVOICE}",
"orderId":"0b8d6e4f2a13","productId":"CFQ7TTC0L3PB","skuId":"0001","productName":"Trial","skuName":"Trial",
"chargeType":"new","unitPrice":0,"quantity":1,"subtotal":{amount},"taxTotal":0,"totalForCustomer":{amount},
"currency":"EUR","subscriptionId":"956cccf9-da7a-43f8-80f3-8548d55d7ad9",
"chargeStartDate":"2025-02-01T00:00:00Z","chargeEndDate":"2025-02-28T00:00:00Z",
"invoiceLineItemType":"billing_line_items","billingProvider":"one_time",
"attributes":{{"objectType":"OneTimeInvoiceLineItem"}}}}"#
    );
    std::fs::write(
        feed.join("page-0001.json"),
        format!(
            r#"{{"totalCount":1,"items":[{line}],"attributes":{{"objectType":"Collection"}}}}"#
        ),
    )
    .unwrap();
    snap
}

/// Reconciles a world of one `amount` line against an empty ledger with tolerance 0.01: the exit
/// code and the reconciliation rows.
fn reconcile_one_line(amount: &str) -> (i32, Vec<std::collections::HashMap<String, String>>) {
    let tmp = tempfile::tempdir().unwrap();
    let snap = world(tmp.path(), amount);
    let ledger = tmp.path().join("ledger.csv");
    std::fs::write(
        &ledger,
        "entry_id,posting_date,invoice_number,customer_id,subscription_id,order_id,product_id,sku_id,\
         charge_type,charge_start_date,charge_end_date,quantity,amount,currency,description\n",
    )
    .unwrap();
    let cfg = write_config(
        tmp.path(),
        &snap,
        &[ledger.to_string_lossy().into_owned()],
        "[reconcile]\ntolerance = \"0.01\"\n",
    );
    let o = reconcile_with(&cfg, &snap, &[]);
    assert!(matches!(code(&o), 0 | 1), "{}", stderr(&o));
    let rows = read_csv(&tmp.path().join("reports/latest/reconciliation.csv"));
    (code(&o), rows)
}

#[test]
fn a_zero_line_nobody_booked_keeps_its_status_and_exits_0() {
    let (code, rows) = reconcile_one_line("0.00");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["status"], "missing_in_ledger");
    assert_eq!(dec(&rows[0]["pc_amount"]), dec("0"));
    assert_eq!(code, 0, "a 0.00 row within tolerance of zero fails nothing");
}

#[test]
fn two_cents_beyond_a_one_cent_tolerance_still_exits_1() {
    let (code, rows) = reconcile_one_line("0.02");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["status"], "missing_in_ledger");
    assert_eq!(dec(&rows[0]["pc_amount"]), dec("0.02"));
    assert_eq!(code, 1);
}

#[test]
fn exactly_the_tolerance_from_zero_does_not_fail_the_run() {
    let (code, rows) = reconcile_one_line("0.01");
    assert_eq!(rows[0]["status"], "missing_in_ledger");
    assert_eq!(
        code, 0,
        "|0.01| <= tolerance 0.01: within tolerance of zero"
    );
}
