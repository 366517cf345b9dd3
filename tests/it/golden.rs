//! Golden end-to-end tests on the shipped sample data. Every expected value below comes from
//! `sample-data/README.md`, which states the outcome planted by construction (sample-data/build.py
//! asserts it from its own hand-typed tables), never from pcrecon's output.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;
use rust_decimal::Decimal;

use crate::common::*;

/// (tag, [invoice_id, customer_id, subscription_id, order_id, charge_type, currency],
///  pc_amount, ledger_amount, difference, status, pc_lines, ledger_rows)
type Row = (
    &'static str,
    [&'static str; 6],
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u64,
    u64,
);

const EXPECTED: [Row; 45] = [
    (
        "A1",
        [
            "D0517730KQ",
            "1c6a7836-f8e6-429b-8216-3520150ac7ea",
            "8pQrAgEAAAAAAAEA",
            "566890123456789012",
            "Cycle fee",
            "USD",
        ],
        "2000.00",
        "2000.00",
        "0.00",
        "matched",
        1,
        1,
    ),
    (
        "A2",
        [
            "D0517730KQ",
            "1c6a7836-f8e6-429b-8216-3520150ac7ea",
            "8pQrAgEAAAAAAAEA",
            "566890123456789012",
            "Prorate fees when purchase",
            "USD",
        ],
        "96.77",
        "0.00",
        "96.77",
        "missing_in_ledger",
        1,
        0,
    ),
    (
        "A3",
        [
            "D0517730KQ",
            "1c6a7836-f8e6-429b-8216-3520150ac7ea",
            "7hLmCwDBBBBBBBCB",
            "566890123456789345",
            "Cycle fee",
            "USD",
        ],
        "550.00",
        "550.00",
        "0.00",
        "matched",
        1,
        1,
    ),
    (
        "A4",
        [
            "D0517730KQ",
            "7818de63-0231-4e94-86cd-895924bd460d",
            "3xYzDkEAAAAAAAEB",
            "566890123456790001",
            "Cycle fee",
            "USD",
        ],
        "160.00",
        "160.00",
        "0.00",
        "matched",
        1,
        1,
    ),
    (
        "A5",
        [
            "D0517730KQ",
            "7818de63-0231-4e94-86cd-895924bd460d",
            "3xYzDkEAAAAAAAEB",
            "566890123456790001",
            "Cancel instance prorate",
            "USD",
        ],
        "-9.68",
        "-9.68",
        "0.00",
        "matched",
        1,
        1,
    ),
    (
        "A6",
        [
            "D0517730KQ",
            "1c6a7836-f8e6-429b-8216-3520150ac7ea",
            "5tUvEaBBBBBBBBDB",
            "566890123456789678",
            "Cycle fee",
            "USD",
        ],
        "54.00",
        "60.00",
        "-6.00",
        "amount_mismatch",
        1,
        1,
    ),
    (
        "A7",
        [
            "D0517730KQ",
            "62017a8d-a09b-40ab-96a1-ff490624a1cf",
            "35eeb065-0eb6-48ad-9829-1b27a217de34",
            "567012345678901234",
            "Assess usage fee for current cycle",
            "USD",
        ],
        "74.96",
        "74.95",
        "0.01",
        "matched",
        3,
        1,
    ),
    (
        "B1",
        [
            "G011223344",
            "474794c2-d3aa-4807-b5f4-a579b0f8fa45",
            "17fb10a8-7335-463c-ae7b-c273fc9dd05a",
            "a41f9c02be77",
            "addQuantity",
            "EUR",
        ],
        "28.30",
        "28.30",
        "0.00",
        "matched",
        2,
        1,
    ),
    (
        "B2",
        [
            "G011223344",
            "c49ead1c-183e-44d1-9969-a3e24d4f98c5",
            "5fcc5436-0811-4119-a88d-eb139137709c",
            "9d02e6b1c4a3",
            "new",
            "EUR",
        ],
        "1314.28",
        "1314.28",
        "0.00",
        "matched",
        1,
        1,
    ),
    (
        "B3",
        [
            "G011223344",
            "c49ead1c-183e-44d1-9969-a3e24d4f98c5",
            "ed6da40a-d801-4f85-8c28-7e37c721eba9",
            "c3e91f07d2a8",
            "cancelImmediate",
            "EUR",
        ],
        "-168.50",
        "-168.50",
        "0.00",
        "matched",
        1,
        1,
    ),
    (
        "B4",
        [
            "G011223344",
            "c24659df-3b3f-4cc7-921f-e3d58f1b78d7",
            "3ee9b8dd-9757-4843-a1b5-06a9e23fd3b7",
            "bb7Jfq1gHk3tQ9mZ0pL2xW8vN5cR4sD1e",
            "customerCredit",
            "EUR",
        ],
        "-50.00",
        "0.00",
        "-50.00",
        "missing_in_ledger",
        1,
        0,
    ),
    (
        "B5",
        [
            "G011223344",
            "c24659df-3b3f-4cc7-921f-e3d58f1b78d7",
            "3ee9b8dd-9757-4843-a1b5-06a9e23fd3b7",
            "bb7Jfq1gHk3tQ9mZ0pL2xW8vN5cR4sD1e",
            "new",
            "EUR",
        ],
        "81.610001",
        "81.60",
        "0.010001",
        "amount_mismatch",
        2,
        1,
    ),
    (
        "B6",
        [
            "G011223344",
            "474794c2-d3aa-4807-b5f4-a579b0f8fa45",
            "86de51d1-abe0-4b66-a1e0-ddcd1776aa41",
            "e7b2c9d14f60",
            "cycleCharge",
            "EUR",
        ],
        "197.10",
        "197.10",
        "0.00",
        "matched",
        1,
        2,
    ),
    (
        "B7",
        [
            "G011223344",
            "dcbb32da-f4a1-458e-aeec-659d03b66e33",
            "92aa8ff2-d0f8-46ff-bbec-6222170192b8",
            "1d9a7c5e3f08",
            "cycleCharge",
            "EUR",
        ],
        "74.00",
        "74.00",
        "0.00",
        "matched",
        1,
        1,
    ),
    (
        "B8",
        [
            "G011223344",
            "c49ead1c-183e-44d1-9969-a3e24d4f98c5",
            "956cccf9-da7a-43f8-80f3-8548d55d7ad9",
            "0b8d6e4f2a13",
            "cycleCharge",
            "EUR",
        ],
        "112.80",
        "94.00",
        "18.80",
        "amount_mismatch",
        1,
        1,
    ),
    (
        "C1",
        [
            "G055667788",
            "474794c2-d3aa-4807-b5f4-a579b0f8fa45",
            "17fb10a8-7335-463c-ae7b-c273fc9dd05a",
            "a41f9c02be77",
            "cycleCharge",
            "EUR",
        ],
        "175.50",
        "175.50",
        "0.00",
        "matched",
        1,
        1,
    ),
    (
        "C2",
        [
            "G055667788",
            "c49ead1c-183e-44d1-9969-a3e24d4f98c5",
            "9f70f84b-79b8-4d13-a940-7331918db200",
            "4c7a1e9b3d25",
            "new",
            "EUR",
        ],
        "164.80",
        "164.80",
        "0.00",
        "matched",
        1,
        1,
    ),
    (
        "C3",
        [
            "G055667788",
            "c24659df-3b3f-4cc7-921f-e3d58f1b78d7",
            "3ee9b8dd-9757-4843-a1b5-06a9e23fd3b7",
            "bb7Jfq1gHk3tQ9mZ0pL2xW8vN5cR4sD1e",
            "new",
            "EUR",
        ],
        "75.90",
        "75.90",
        "0.00",
        "matched",
        2,
        1,
    ),
    (
        "C4",
        [
            "G055667788",
            "dcbb32da-f4a1-458e-aeec-659d03b66e33",
            "94d63296-fce5-4732-b614-65cae09138c0",
            "7d3f0a2c9e18",
            "new",
            "EUR",
        ],
        "36.00",
        "0.00",
        "36.00",
        "missing_in_ledger",
        1,
        0,
    ),
    (
        "C5",
        [
            "G055667788",
            "c24659df-3b3f-4cc7-921f-e3d58f1b78d7",
            "27d2621a-7c63-4792-aaa0-4c6ce6ba26f1",
            "f04b2d6e8a17",
            "cycleCharge",
            "EUR",
        ],
        "187.82",
        "187.82",
        "0.00",
        "matched",
        1,
        1,
    ),
    (
        "C6",
        [
            "G055667788",
            "474794c2-d3aa-4807-b5f4-a579b0f8fa45",
            "8d98d10c-2c2d-466e-bbea-dc920a6ba1e1",
            "5c0e8a7d3b91",
            "new",
            "EUR",
        ],
        "1687.20",
        "1349.76",
        "337.44",
        "amount_mismatch",
        1,
        2,
    ),
    (
        "C7",
        [
            "G055667788",
            "dcbb32da-f4a1-458e-aeec-659d03b66e33",
            "92aa8ff2-d0f8-46ff-bbec-6222170192b8",
            "1d9a7c5e3f08",
            "cycleCharge",
            "EUR",
        ],
        "74.00",
        "74.00",
        "0.00",
        "matched",
        1,
        1,
    ),
    (
        "C8",
        [
            "G055667788",
            "c49ead1c-183e-44d1-9969-a3e24d4f98c5",
            "38b98b1c-0c07-4aa4-a953-3722bd891068",
            "6a2f8c1e0d49",
            "cycleCharge",
            "EUR",
        ],
        "0.00",
        "43.20",
        "-43.20",
        "missing_in_invoice",
        0,
        1,
    ),
    (
        "C9",
        [
            "G055667788",
            "c49ead1c-183e-44d1-9969-a3e24d4f98c5",
            "3a4397d6-e020-4d81-8479-e52ed4ca144f",
            "e5a1c7f3b902",
            "new",
            "EUR",
        ],
        "0.00",
        "0.00",
        "0.00",
        "missing_in_ledger",
        1,
        0,
    ),
    (
        "C10",
        [
            "G055667788",
            "c24659df-3b3f-4cc7-921f-e3d58f1b78d7",
            "cd079e28-6650-4d67-bb95-d451938e5e72",
            "2b8f4d6a0c13",
            "cycleCharge",
            "EUR",
        ],
        "103.00",
        "122.57",
        "-19.57",
        "amount_mismatch",
        1,
        1,
    ),
    (
        "C11",
        [
            "G055667788",
            "474794c2-d3aa-4807-b5f4-a579b0f8fa45",
            "50bfad75-6ec0-40ce-9202-035e2ae4941b",
            "9c3e5a7b1d40",
            "cycleCharge",
            "EUR",
        ],
        "75.20",
        "37.60",
        "37.60",
        "amount_mismatch",
        2,
        1,
    ),
    (
        "C12",
        [
            "G055667788",
            "dcbb32da-f4a1-458e-aeec-659d03b66e33",
            "7493406e-4f1e-4d2f-a3c1-6d0cda3aaa42",
            "4f6a8c0e2b75",
            "cycleCharge",
            "EUR",
        ],
        "72.00",
        "0.00",
        "72.00",
        "missing_in_ledger",
        1,
        0,
    ),
    (
        "C13",
        [
            "G055667788",
            "dcbb32da-f4a1-458e-aeec-659d03b66e33",
            "7493406e-4f1e-4d2f-a3c1-6d0cda3aaa40",
            "4f6a8c0e2b75",
            "cycleCharge",
            "EUR",
        ],
        "0.00",
        "72.00",
        "-72.00",
        "missing_in_invoice",
        0,
        1,
    ),
    (
        "C14",
        [
            "G055667788",
            "c49ead1c-183e-44d1-9969-a3e24d4f98c5",
            "1f7ac78e-3113-40cf-a77e-173d2c2c72ea",
            "7a9c1e3f5b26",
            "cycleCharge",
            "EUR",
        ],
        "204.06",
        "204.06",
        "0.00",
        "matched",
        1,
        1,
    ),
    (
        "C15",
        [
            "G055667788",
            "dcbb32da-f4a1-458e-aeec-659d03b66e33",
            "b4dd9c96-1bcb-48b6-834f-ac64f0b0dec7",
            "0d2f4b6a8c91",
            "cycleCharge",
            "EUR",
        ],
        "93.92",
        "93.92",
        "0.00",
        "matched",
        1,
        1,
    ),
    (
        "D1",
        [
            "G099887766",
            "ad5b6bec-ca47-4088-992e-7059039ad419",
            "f018bda3-bce7-4f26-bafb-53c0fa3901b4",
            "2e9c4b7a1f06",
            "cycleCharge",
            "USD",
        ],
        "180.00",
        "180.00",
        "0.00",
        "matched",
        1,
        1,
    ),
    (
        "D2",
        [
            "G099887766",
            "ad5b6bec-ca47-4088-992e-7059039ad419",
            "9da83444-57a0-4257-a251-86fb3ec68fbd",
            "b6e1d3f5a820",
            "new",
            "USD",
        ],
        "1800.00",
        "1800.00",
        "0.00",
        "matched",
        1,
        1,
    ),
    (
        "D3",
        [
            "G099887766",
            "7818de63-0231-4e94-86cd-895924bd460d",
            "a7c60e6b-c476-40e0-a001-56d7c1616e90",
            "3a5c7e9b1d24",
            "cycleCharge",
            "USD",
        ],
        "1440.00",
        "0.00",
        "1440.00",
        "missing_in_ledger",
        1,
        0,
    ),
    (
        "D4",
        [
            "G099887766",
            "62017a8d-a09b-40ab-96a1-ff490624a1cf",
            "00f33281-ce18-4e0e-8acf-8006abd539ae",
            "Qx4nT8kW2mR6pZ0vB3jH7cL1fY5dG9sAu",
            "new",
            "USD",
        ],
        "64.51",
        "64.51",
        "0.00",
        "matched",
        1,
        1,
    ),
    (
        "D5",
        [
            "G099887766",
            "62017a8d-a09b-40ab-96a1-ff490624a1cf",
            "00f33281-ce18-4e0e-8acf-8006abd539ae",
            "Qx4nT8kW2mR6pZ0vB3jH7cL1fY5dG9sAu",
            "customerCredit",
            "USD",
        ],
        "-25.00",
        "-25.00",
        "0.00",
        "matched",
        1,
        1,
    ),
    (
        "D6",
        [
            "G099887766",
            "7818de63-0231-4e94-86cd-895924bd460d",
            "c76582f1-0aac-4ac7-b6e3-72859c434b67",
            "6e8a0c2f4d53",
            "new",
            "USD",
        ],
        "66.00",
        "0.00",
        "66.00",
        "missing_in_ledger",
        1,
        0,
    ),
    (
        "D7",
        [
            "G099887766",
            "7818de63-0231-4e94-86cd-895924bd460d",
            "38cafdcb-d1a0-44d6-8917-52803dd313df",
            "3c5e7a9b1f84",
            "new",
            "USD",
        ],
        "0.00",
        "66.00",
        "-66.00",
        "missing_in_invoice",
        0,
        1,
    ),
    (
        "D8",
        [
            "G099887766",
            "62017a8d-a09b-40ab-96a1-ff490624a1cf",
            "00abc114-9aad-43ba-bcdd-f7f72ad2d0b6",
            "8b0d2f4a6c17",
            "cycleCharge",
            "USD",
        ],
        "100.00",
        "200.00",
        "-100.00",
        "amount_mismatch",
        1,
        2,
    ),
    (
        "D9",
        [
            "G099887766",
            "ad5b6bec-ca47-4088-992e-7059039ad419",
            "34714339-093a-4099-850c-6c6c67e3ce45",
            "5d7f9b1c3e68",
            "cancelImmediate",
            "USD",
        ],
        "-72.00",
        "72.00",
        "-144.00",
        "amount_mismatch",
        1,
        1,
    ),
    (
        "D10",
        [
            "G099887766",
            "62017a8d-a09b-40ab-96a1-ff490624a1cf",
            "769002b4-e8fe-4141-abed-b0c3b95a949e",
            "1a3c5e7f9b42",
            "cycleCharge",
            "USD",
        ],
        "40.00",
        "0.00",
        "40.00",
        "missing_in_ledger",
        1,
        0,
    ),
    (
        "X1",
        [
            "G099887767",
            "ad5b6bec-ca47-4088-992e-7059039ad419",
            "74197a29-e770-4971-ba77-d3b02008539b",
            "8b1d5f3a7c92",
            "new",
            "USD",
        ],
        "0.00",
        "30.00",
        "-30.00",
        "missing_in_invoice",
        0,
        1,
    ),
    (
        "E1",
        [
            "G100234567",
            "474794c2-d3aa-4807-b5f4-a579b0f8fa45",
            "8d98d10c-2c2d-466e-bbea-dc920a6ba1e1",
            "5c0e8a7d3b91",
            "new",
            "EUR",
        ],
        "-337.44",
        "0.00",
        "-337.44",
        "missing_in_ledger",
        1,
        0,
    ),
    (
        "N1",
        [
            "",
            "474794c2-d3aa-4807-b5f4-a579b0f8fa45",
            "17fb10a8-7335-463c-ae7b-c273fc9dd05a",
            "a41f9c02be77",
            "cycleCharge",
            "EUR",
        ],
        "0.00",
        "175.50",
        "-175.50",
        "not_yet_invoiced",
        0,
        1,
    ),
    (
        "N2",
        [
            "",
            "ad5b6bec-ca47-4088-992e-7059039ad419",
            "f018bda3-bce7-4f26-bafb-53c0fa3901b4",
            "2e9c4b7a1f06",
            "cycleCharge",
            "USD",
        ],
        "0.00",
        "180.00",
        "-180.00",
        "not_yet_invoiced",
        0,
        1,
    ),
    (
        "N3",
        [
            "",
            "62017a8d-a09b-40ab-96a1-ff490624a1cf",
            "769002b4-e8fe-4141-abed-b0c3b95a949e",
            "1a3c5e7f9b42",
            "cycleCharge",
            "USD",
        ],
        "0.00",
        "40.00",
        "-40.00",
        "not_yet_invoiced",
        0,
        1,
    ),
];

const KEYS: [&str; 6] = [
    "invoice_id",
    "customer_id",
    "subscription_id",
    "order_id",
    "charge_type",
    "currency",
];

/// Runs `reconcile` on the sample snapshot with `config`; returns the run folder.
fn reconcile_sample(config: &str, out: &Path) -> std::path::PathBuf {
    let o = pcrecon(&[
        "reconcile",
        "--config",
        config,
        "--snapshot",
        "sample-data/partner-center",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(
        code(&o),
        1,
        "sample data has planted differences: exit 1\n{}",
        stderr(&o)
    );
    let latest = out.join("latest");
    let target = std::fs::read_link(&latest).expect("latest is a symlink");
    assert!(target.is_relative(), "latest must be relative: {target:?}");
    out.join(target)
}

/// Each non-matched row's explanation (sample-data/README.md, "Reconciliation rows" and
/// "Explanations planted") and what its sentence must name: numbers, the other row's value.
/// Every other row is matched and has neither code nor detail.
const EXPLAINED: [(&str, &str, &[&str]); 24] = [
    ("A2", "unexplained", &["96.77"]),
    ("A6", "unit_price", &["13.50", "15.00", "4"]),
    ("B4", "unexplained", &["-50.00"]),
    ("B5", "rounding", &["0.010001", "2"]),
    ("B8", "quantity", &["12", "10", "9.40"]),
    ("C4", "unexplained", &["36.00"]),
    ("C6", "credit_note", &["G100234567", "-337.44"]),
    ("C8", "unexplained", &["43.20"]),
    ("C9", "zero_amount", &["0.00"]),
    ("C10", "tax_included", &["122.57", "103.00"]),
    ("C11", "billed_twice", &["75.20", "37.60"]),
    (
        "C12",
        "key_mismatch",
        &["subscription_id", "7493406e-4f1e-4d2f-a3c1-6d0cda3aaa40"],
    ),
    (
        "C13",
        "key_mismatch",
        &["subscription_id", "7493406e-4f1e-4d2f-a3c1-6d0cda3aaa42"],
    ),
    ("D3", "unexplained", &["1440.00"]),
    ("D6", "unexplained", &["66.00"]),
    ("D7", "unexplained", &["66.00"]),
    ("D8", "booked_twice", &["200.00", "100.00"]),
    ("D9", "sign_reversed", &["72.00", "-72.00"]),
    ("D10", "key_mismatch", &["invoice", "40.00"]),
    ("X1", "unexplained", &["30.00", "G099887767"]),
    ("E1", "credit_note", &["G055667788", "-337.44"]),
    ("N1", "unbilled", &["175.50"]),
    ("N2", "awaiting_invoice", &["180.00"]),
    ("N3", "key_mismatch", &["invoice_id", "G099887766"]),
];

fn check_reconciliation(run: &Path) {
    let rows = read_csv(&run.join("reconciliation.csv"));
    assert_eq!(
        rows.len(),
        EXPECTED.len(),
        "one reconciliation row per expected grain row"
    );
    let by_key: HashMap<Vec<String>, &HashMap<String, String>> = rows
        .iter()
        .map(|r| (KEYS.iter().map(|k| r[*k].clone()).collect(), r))
        .collect();
    for (tag, keys, pc, lg, diff, status, pc_lines, ledger_rows) in EXPECTED {
        let key: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
        let r = by_key
            .get(&key)
            .unwrap_or_else(|| panic!("{tag}: no reconciliation row for {key:?}"));
        assert_eq!(dec(&r["pc_amount"]), dec(pc), "{tag} pc_amount");
        assert_eq!(dec(&r["ledger_amount"]), dec(lg), "{tag} ledger_amount");
        assert_eq!(dec(&r["difference"]), dec(diff), "{tag} difference");
        assert_eq!(r["status"], status, "{tag} status");
        assert_eq!(
            r["pc_lines"].parse::<u64>().unwrap(),
            pc_lines,
            "{tag} pc_lines"
        );
        assert_eq!(
            r["ledger_rows"].parse::<u64>().unwrap(),
            ledger_rows,
            "{tag} ledger_rows"
        );
        let (code, detail) = (&r["explanation"], &r["explanation_detail"]);
        match EXPLAINED.iter().find(|e| e.0 == tag) {
            Some((_, want, names)) => {
                assert_eq!(code, want, "{tag} explanation ({detail})");
                for n in *names {
                    assert!(detail.contains(n), "{tag}: {detail:?} does not name {n}");
                }
            }
            None => assert!(
                status == "matched" && code.is_empty() && detail.is_empty(),
                "{tag}: a matched row has no explanation, got {code:?} {detail:?}"
            ),
        }
    }
}

#[test]
fn default_ledger_reconciles_to_the_planted_outcome() {
    let tmp = tempfile::tempdir().unwrap();
    let run = reconcile_sample("config/pcrecon.toml", tmp.path());
    check_reconciliation(&run);

    // the tolerance boundary, exactly: 0.01 matches (A7), 0.010001 does not (B5)
    let rec = read_csv(&run.join("reconciliation.csv"));
    let at = |d: &str| {
        rec.iter()
            .find(|r| dec(&r["difference"]).abs() == dec(d))
            .map(|r| r["status"].clone())
    };
    assert_eq!(at("0.01").as_deref(), Some("matched"));
    assert_eq!(at("0.010001").as_deref(), Some("amount_mismatch"));

    // invoice checks: D's header is 12.34 above its lines
    let checks = read_csv(&run.join("invoice_checks.csv"));
    let expected = [
        ("D0517730KQ", "USD", "3101.62", "3101.62", "0", "matched"),
        ("G011223344", "EUR", "1891.60", "1891.60", "0", "matched"),
        ("G055667788", "EUR", "3509.78", "3509.78", "0", "matched"),
        (
            "G099887766",
            "USD",
            "3821.46",
            "3809.12",
            "12.34",
            "amount_mismatch",
        ),
        // the credit note: its lines against its own (negative) totalCharges
        ("G100234567", "EUR", "-401.55", "-401.55", "0", "matched"),
    ];
    assert_eq!(checks.len(), expected.len());
    for (c, (id, cur, total, lines, diff, status)) in checks.iter().zip(expected) {
        assert_eq!(
            (
                c["invoice_id"].as_str(),
                c["currency"].as_str(),
                c["status"].as_str()
            ),
            (id, cur, status)
        );
        assert_eq!(dec(&c["invoice_total"]), dec(total), "{id}");
        assert_eq!(dec(&c["line_items_total"]), dec(lines), "{id}");
        assert_eq!(dec(&c["difference"]), dec(diff), "{id}");
    }

    // rejected rows: file as the glob matched it, physical start line (BOM + CRLF file), reason
    let rejected = read_csv(&run.join("rejected_ledger_rows.csv"));
    let got: Vec<(String, String, String)> = rejected
        .iter()
        .map(|r| {
            (
                r["file"].clone(),
                r["line"].clone(),
                r["reason"].split(':').next().unwrap().to_owned(),
            )
        })
        .collect();
    let want: Vec<(String, String, String)> = [
        (6, "invalid posting_date"),
        (12, "invalid currency"),
        (13, "duplicate entry_id"),
        (16, "invalid amount"),
        (19, "missing customer_id"),
    ]
    .iter()
    .map(|(l, r)| {
        (
            "sample-data/ledger/ledger-2025.csv".to_owned(),
            l.to_string(),
            r.to_string(),
        )
    })
    .collect();
    assert_eq!(got, want);
    // raw fields are kept under the file's own header, formula-like text neutralised
    let missing_customer = &rejected[4];
    assert_eq!(missing_customer["entry_id"], "GL-2025-0317");
    assert!(
        missing_customer["description"].starts_with("'+"),
        "{:?}",
        missing_customer["description"]
    );

    // charges: 44 billing lines, subtotals per currency as built
    let charges = read_csv(&run.join("charges.csv"));
    assert_eq!(charges.len(), 44);
    let sum = |cur: &str| {
        charges
            .iter()
            .filter(|r| r["currency"] == cur)
            .map(|r| dec(&r["subtotal"]))
            .sum::<Decimal>()
    };
    assert_eq!(sum("EUR"), dec("4201.550001"));
    assert_eq!(sum("USD"), dec("6519.56"));
    assert_eq!(
        charges.iter().filter(|r| r["currency"] == "EUR").count(),
        26
    );
    for r in &charges {
        for k in ["customer_id", "subscription_id"] {
            let v = &r[k];
            let guid_shaped = v.len() == 36 && v.matches('-').count() == 4;
            assert!(
                !guid_shaped || *v == v.to_lowercase(),
                "GUIDs lower-cased: {k} {v}"
            );
        }
    }

    // summary.json: exit status, money as strings, both currencies' balances
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["exit_status"], 1);
    assert_eq!(
        summary["run_id"].as_str(),
        run.file_name().unwrap().to_str()
    );
    let totals = summary["totals"].as_array().unwrap();
    let eur_mismatch = totals
        .iter()
        .find(|t| t["currency"] == "EUR" && t["status"] == "amount_mismatch")
        .unwrap();
    assert_eq!(
        dec(eur_mismatch["pc_amount"].as_str().unwrap()),
        dec("2059.810001")
    );
    assert_eq!(
        dec(eur_mismatch["difference"].as_str().unwrap()),
        dec("374.280001")
    );
    let balances: Vec<&str> = summary["invoice_summaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["currency"].as_str().unwrap())
        .collect();
    assert_eq!(balances, ["EUR", "USD"]);
    assert_eq!(summary["rejected_ledger_rows"]["duplicate entry_id"], 1);

    // the ledger files are streamed, never held: their fingerprints are still of every byte (BOM too)
    use sha2::Digest;
    let ledgers: Vec<(String, String)> = summary["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "ledger")
        .map(|i| {
            (
                i["path"].as_str().unwrap().to_owned(),
                i["sha256"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(ledgers.len(), 2);
    for (path, sha) in &ledgers {
        let bytes = std::fs::read(root().join(path)).unwrap();
        assert_eq!(
            sha,
            &format!("{:x}", sha2::Sha256::digest(&bytes)),
            "{path}"
        );
    }

    // explanations per currency and code (sample-data/README.md, "Per currency and explanation")
    let explanations: Vec<(String, String, u64, Decimal)> = summary["explanations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["currency"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
                e["rows"].as_u64().unwrap(),
                dec(e["difference"].as_str().unwrap()),
            )
        })
        .collect();
    let want = [
        ("EUR", "zero_amount", 1, "0.00"),
        ("EUR", "credit_note", 2, "0.00"),
        ("EUR", "key_mismatch", 2, "0.00"),
        ("EUR", "rounding", 1, "0.010001"),
        ("EUR", "billed_twice", 1, "37.60"),
        ("EUR", "tax_included", 1, "-19.57"),
        ("EUR", "quantity", 1, "18.80"),
        ("EUR", "unexplained", 3, "-57.20"),
        ("EUR", "unbilled", 1, "-175.50"),
        ("USD", "key_mismatch", 2, "0.00"),
        ("USD", "sign_reversed", 1, "-144.00"),
        ("USD", "booked_twice", 1, "-100.00"),
        ("USD", "unit_price", 1, "-6.00"),
        ("USD", "unexplained", 5, "1506.77"),
        ("USD", "awaiting_invoice", 1, "-180.00"),
    ]
    .map(|(c, code, n, d)| (c.to_owned(), code.to_owned(), n, dec(d)));
    assert_eq!(explanations, want);
    let md = std::fs::read_to_string(run.join("summary.md")).unwrap();
    assert!(md.contains("| USD | sign_reversed | 1 | -144.00"), "{md}");

    assert_eq!(summary["counts"]["unbilled_charges"], 3);

    // line checks: C-14 is 0.03 off Microsoft's formula; C-15 exactly 0.01 off is not listed
    // (ROUNDDOWN(71.37 × 0.9530, 2) × 3 = 68.01 × 3 = 204.03 against the billed 204.06)
    assert_eq!(summary["line_checks"], 1);
    let checks = read_csv(&run.join("line_checks.csv"));
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0]["invoice_id"], "G055667788");
    assert_eq!(dec(&checks[0]["subtotal"]), dec("204.06"));
    assert_eq!(dec(&checks[0]["expected_subtotal"]), dec("204.03"));
    assert_eq!(dec(&checks[0]["difference"]), dec("0.03"));
}

/// The unbilled export's lines (sample-data/README.md, "Unbilled export"): per currency, the
/// billing periods met and Σ subtotal; last-USD holds no data (failedOperation 5000).
const UNBILLED: [(&str, &[&str], &str); 2] = [
    ("EUR", &["current", "last"], "175.50"),
    ("USD", &["current"], "25.00"),
];

#[test]
fn unbilled_charges_are_the_snapshots_unbilled_export() {
    let tmp = tempfile::tempdir().unwrap();
    let run = reconcile_sample("config/pcrecon.toml", tmp.path());
    let rows = read_csv(&run.join("unbilled_charges.csv"));
    assert_eq!(rows.len(), 3, "U-01, U-02, U-03");
    for (cur, periods, sum) in UNBILLED {
        let of_cur: Vec<_> = rows.iter().filter(|r| r["currency"] == cur).collect();
        let mut seen: Vec<&str> = of_cur
            .iter()
            .map(|r| r["billing_period"].as_str())
            .collect();
        seen.sort();
        assert_eq!(seen, periods, "{cur} billing periods");
        let total: Decimal = of_cur.iter().map(|r| dec(&r["subtotal"])).sum();
        assert_eq!(total, dec(sum), "{cur} Σ subtotal");
        assert!(of_cur.iter().all(|r| r["invoice_id"].is_empty()), "{cur}");
    }
}

#[test]
fn swedish_ledger_gives_the_same_reconciliation() {
    let tmp = tempfile::tempdir().unwrap();
    let sv = reconcile_sample("config/pcrecon-sv.toml", &tmp.path().join("sv"));
    check_reconciliation(&sv);
    let default = reconcile_sample("config/pcrecon.toml", &tmp.path().join("default"));
    assert_eq!(
        std::fs::read(sv.join("reconciliation.csv")).unwrap(),
        std::fs::read(default.join("reconciliation.csv")).unwrap(),
        "same grain rows, amounts and statuses from either ledger format"
    );
    let rejected = read_csv(&sv.join("rejected_ledger_rows.csv"));
    let lines: Vec<(&str, &str)> = rejected
        .iter()
        .map(|r| (r["line"].as_str(), r["reason"].split(':').next().unwrap()))
        .collect();
    assert_eq!(
        lines,
        [
            ("21", "invalid posting_date"),
            ("27", "invalid currency"),
            ("28", "duplicate entry_id"),
            ("31", "invalid amount"),
            ("34", "missing customer_id")
        ]
    );
    // the Swedish file's own column names carry the raw fields
    assert!(rejected[0].contains_key("Verifikation") && rejected[0].contains_key("Belopp"));
}

#[test]
fn runs_are_deterministic_and_latest_moves() {
    let tmp = tempfile::tempdir().unwrap();
    let first = reconcile_sample("config/pcrecon.toml", tmp.path());
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = reconcile_sample("config/pcrecon.toml", tmp.path());
    assert_ne!(first, second);
    assert!(
        second.file_name() > first.file_name(),
        "later run sorts later"
    );
    for f in [
        "charges.csv",
        "reconciliation.csv",
        "invoice_checks.csv",
        "rejected_ledger_rows.csv",
    ] {
        assert_eq!(
            std::fs::read(first.join(f)).unwrap(),
            std::fs::read(second.join(f)).unwrap(),
            "{f}"
        );
    }
    assert_eq!(
        entries(tmp.path()).len(),
        3,
        "two run folders and latest, nothing else: {:?}",
        entries(tmp.path())
    );
}

#[test]
fn parquet_reads_back_as_decimals_equal_to_the_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let run = reconcile_sample("config/pcrecon.toml", tmp.path());
    for (name, money) in [
        (
            "charges",
            &["quantity", "unit_price", "subtotal", "tax", "total"][..],
        ),
        (
            "reconciliation",
            &["pc_amount", "ledger_amount", "difference"][..],
        ),
        (
            "invoice_checks",
            &["invoice_total", "line_items_total", "difference"][..],
        ),
    ] {
        let df =
            ParquetReader::new(std::fs::File::open(run.join(format!("{name}.parquet"))).unwrap())
                .finish()
                .unwrap();
        let csv = read_csv(&run.join(format!("{name}.csv")));
        assert_eq!(df.height(), csv.len(), "{name}");
        for m in money {
            let col = df.column(m).unwrap();
            let DataType::Decimal(_, scale) = col.dtype() else {
                panic!("{name}.{m} is {} in Parquet, not a decimal", col.dtype())
            };
            let ca = col.decimal().unwrap();
            for (i, v) in ca.physical().iter().enumerate() {
                // compared as mantissas at the Parquet scale (wider than rust_decimal holds)
                let from_csv = Some(&csv[i][*m])
                    .filter(|s| !s.is_empty())
                    .map(|s| mantissa_at(s, *scale as u32));
                assert_eq!(v, from_csv, "{name}.{m} row {i}");
            }
        }
    }
}

#[test]
fn run_uses_the_configured_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let o = pcrecon(&["run", "--out", tmp.path().to_str().unwrap(), "-q"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let run = tmp.path().join("latest");
    check_reconciliation(&run);
    let never = pcrecon_env(
        &["run", "--out", tmp.path().to_str().unwrap(), "-q"],
        &[("PCRECON_REPORT_FAIL_ON", "never")],
    );
    assert_eq!(code(&never), 0, "fail_on = never turns 1 into 0");
}

#[test]
fn period_limits_the_invoices() {
    let tmp = tempfile::tempdir().unwrap();
    let o = pcrecon(&[
        "reconcile",
        "--snapshot",
        "sample-data/partner-center",
        "--period",
        "2024-11",
        "--out",
        tmp.path().to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(code(&o), 1);
    let charges = read_csv(&tmp.path().join("latest/charges.csv"));
    assert!(!charges.is_empty());
    assert!(
        charges.iter().all(|r| r["invoice_id"] == "D0517730KQ"),
        "only the November 2024 invoice"
    );
}

/// A plain decimal text's mantissa at `scale` (which must hold all its digits).
fn mantissa_at(s: &str, scale: u32) -> i128 {
    let (neg, digits) = s.strip_prefix('-').map_or((false, s), |d| (true, d));
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    assert!(
        frac.len() as u32 <= scale,
        "{s} has more digits than scale {scale}"
    );
    let padded = format!("{int}{frac}{}", "0".repeat(scale as usize - frac.len()));
    let v: i128 = padded.parse().unwrap();
    if neg { -v } else { v }
}
