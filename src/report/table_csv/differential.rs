//! Differential test of the report CSV writer ([`write_header`], [`write_rows`]) against the
//! `csv` crate reading its output back: the same cells, RFC 4180 quoting undone, and the formula
//! guard's leading `'` exactly where the contract puts it (a text cell starting with `=`, `+`, `-`,
//! `@`, tab or CR that is not a number).

use polars::prelude::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::{write_header, write_rows};

/// The contract's guard, written independently: a number is what a spreadsheet reads as one.
fn guarded(s: &str) -> String {
    let number = s.parse::<f64>().is_ok()
        && s.bytes()
            .all(|c| matches!(c, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'));
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && !number {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

fn cell() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(
        0.9,
        prop::collection::vec(
            prop::sample::select(
                &[
                    "a", "Contoso", "\"", ",", "\r", "\n", "\r\n", "\t", "=", "+", "-", "@", "'",
                    " ", "é", "😀", "1", "12.50", ".", "e", "E3", "SUM(A1)", ";", "\0",
                ][..],
            ),
            0..6,
        )
        .prop_map(|p| p.concat()),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn written_cells_read_back_as_written(
        names in prop::collection::vec("[a-z_,\" ]{1,6}", 2),
        rows in prop::collection::vec((cell(), cell(), any::<i64>()), 1..8),
        scale in 0u32..=18,
    ) {
        let a: Vec<Option<String>> = rows.iter().map(|r| r.0.clone()).collect();
        let b: Vec<Option<String>> = rows.iter().map(|r| r.1.clone()).collect();
        let m: Vec<Option<i128>> = rows.iter().map(|r| Some(r.2 as i128)).collect();
        let amount: Int128Chunked = m.iter().copied().collect_ca("amount".into());
        let df = DataFrame::new(
            rows.len(),
            vec![
                Column::new("a".into(), a.clone()),
                Column::new("b".into(), b.clone()),
                amount.into_decimal(38, scale as usize).unwrap().into_series().into_column(),
            ],
        )
        .unwrap();
        let mut out = Vec::new();
        write_header(&mut out, &[names[0].as_str(), names[1].as_str(), "amount"]).unwrap();
        write_rows(&mut out, &df).unwrap();

        let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(&out[..]);
        let read: Vec<csv::StringRecord> = r.records().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(read.len(), rows.len() + 1);
        prop_assert_eq!(read[0].iter().collect::<Vec<_>>(), vec![names[0].as_str(), names[1].as_str(), "amount"]);
        for (i, rec) in read[1..].iter().enumerate() {
            let text = |v: &Option<String>| v.as_deref().map(guarded).unwrap_or_default();
            let (want_a, want_b) = (text(&a[i]), text(&b[i]));
            prop_assert_eq!(&rec[0], want_a.as_str());
            prop_assert_eq!(&rec[1], want_b.as_str());
            let value: Decimal = rec[2].parse().unwrap();
            prop_assert_eq!(value, Decimal::from_i128_with_scale(rows[i].2 as i128, scale));
        }
    }
}
