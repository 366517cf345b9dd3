//! `report.xlsx` read back with calamine: its Differences sheet equals `reconciliation.csv`'s
//! non-matched rows cell by cell, and no cell of any sheet is a formula (a hostile ledger
//! included).

use std::path::Path;
use std::str::FromStr;

use calamine::{Data, DataType, Reader, Xlsx, open_workbook};
use rust_decimal::Decimal;

use crate::browser::{FORMULA, IMG, SCRIPT, analyst_run};

const SHEETS: [&str; 5] = [
    "Summary",
    "Differences",
    "Invoice checks",
    "Rejected rows",
    "Changes",
];

/// A CSV text cell as it was before the report's formula guard (a leading `'`) was added.
fn unguarded(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => s,
    }
}

fn check_workbook(latest: &Path) {
    let mut wb: Xlsx<_> = open_workbook(latest.join("report.xlsx")).unwrap();
    assert_eq!(wb.sheet_names(), SHEETS);
    for sheet in SHEETS {
        let formulas = wb.worksheet_formula(sheet).unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "{sheet} holds a formula"
        );
    }

    let mut csv = csv::Reader::from_path(latest.join("reconciliation.csv")).unwrap();
    let header: Vec<String> = csv.headers().unwrap().iter().map(str::to_owned).collect();
    let status = header.iter().position(|h| h == "status").unwrap();
    let expected: Vec<Vec<String>> = csv
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect::<Vec<_>>())
        .filter(|r| r[status] != "matched")
        .collect();
    let sheet = wb.worksheet_range("Differences").unwrap();
    let mut rows = sheet.rows();
    let got_header: Vec<String> = rows.next().unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(got_header, header);
    let got: Vec<&[Data]> = rows.collect();
    assert_eq!(got.len(), expected.len());
    assert!(!expected.is_empty());
    for (i, (want, have)) in expected.iter().zip(got).enumerate() {
        for (j, (w, h)) in want.iter().zip(have).enumerate() {
            let at = format!("row {} column {}", i + 2, header[j]);
            match h {
                Data::String(s) => assert_eq!(s, unguarded(w), "{at}"),
                Data::Empty => assert_eq!(w, "", "{at}"),
                Data::Float(f) => {
                    // display value: the f64 nearest the exact decimal
                    let d = Decimal::from_str(w).unwrap_or_else(|_| panic!("{at}: {w:?}"));
                    let exact: f64 = w.parse().unwrap();
                    assert_eq!(*f, exact, "{at}: {d}");
                }
                Data::Int(n) => assert_eq!(n.to_string(), *w, "{at}"),
                other => panic!("{at}: unexpected {other:?}"),
            }
        }
    }
}

#[test]
fn differences_sheet_equals_the_non_matched_reconciliation_rows() {
    let tmp = tempfile::tempdir().unwrap();
    check_workbook(&analyst_run(tmp.path(), false));
}

#[test]
fn hostile_ledger_text_never_becomes_a_formula() {
    let tmp = tempfile::tempdir().unwrap();
    let latest = analyst_run(tmp.path(), true);
    check_workbook(&latest);
    let mut wb: Xlsx<_> = open_workbook(latest.join("report.xlsx")).unwrap();
    let texts = |sheet: &str, wb: &mut Xlsx<_>| -> Vec<String> {
        wb.worksheet_range(sheet)
            .unwrap()
            .used_cells()
            .filter_map(|(_, _, c)| c.get_string().map(str::to_owned))
            .collect()
    };
    let diffs = texts("Differences", &mut wb);
    for hostile in [SCRIPT, IMG, FORMULA] {
        assert!(
            diffs.iter().any(|t| t == hostile),
            "{hostile} missing from Differences"
        );
    }
    let rejected = texts("Rejected rows", &mut wb);
    assert!(rejected.iter().any(|t| t == FORMULA));
}
