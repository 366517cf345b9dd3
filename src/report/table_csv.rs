//! The CSV side of the reports: RFC 4180 quoting, formula-safe text cells, dates as ISO, decimals
//! in plain notation with trailing zeros trimmed (`-12.50`, `0.010001`), written straight from a
//! frame's arrays into one buffered writer.
//!
//! Hand-written because it is the hot path of a large run: polars' CSV writer formats decimals
//! through a generic path several times slower than this, and formula-safety would need a copy of
//! every text column first.

use std::borrow::Cow;
use std::io::Write;

use polars::prelude::*;

use crate::money::{self, fmt_u128, itoa_buffer, push_decimal};
use crate::normalise::columns::charge_column;

/// Writes the header line of a table with `names` as columns.
pub(crate) fn write_header<W: Write>(out: &mut W, names: &[&str]) -> std::io::Result<()> {
    let mut line = Vec::new();
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        push_text(&mut line, n);
    }
    line.push(b'\n');
    out.write_all(&line)
}

/// The arrow array behind one chunk of a column of type `T`.
type Chunk<T> = <T as PolarsDataType>::Array;

/// One column's cells, ready to format by row index.
enum Cells<'a> {
    Text(&'a Chunk<StringType>),
    Date(&'a Chunk<Int32Type>),
    Decimal {
        values: &'a Chunk<Int128Type>,
        scale: u32,
        min_digits: u32,
    },
    Unsigned(&'a Chunk<UInt64Type>),
    Signed(&'a Chunk<Int64Type>),
}

/// Writes every row of `df`, one line each (`\n`-terminated, as polars and DuckDB write them).
pub(crate) fn write_rows<W: Write>(out: &mut W, df: &DataFrame) -> PolarsResult<()> {
    if df.height() == 0 {
        return Ok(());
    }
    // one chunk per column, so that a row index addresses every column alike
    let series: Vec<Series> = df
        .columns()
        .iter()
        .map(|c| c.as_materialized_series().rechunk())
        .collect();
    let mut physical: Vec<Series> = Vec::with_capacity(series.len());
    for s in &series {
        physical.push(match s.dtype() {
            DataType::Date => s.date()?.physical().clone().into_series(),
            DataType::Decimal(_, _) => s.decimal()?.physical().clone().into_series(),
            DataType::UInt32 | DataType::UInt16 | DataType::UInt8 => s.cast(&DataType::UInt64)?,
            DataType::Int32 | DataType::Int16 | DataType::Int8 => s.cast(&DataType::Int64)?,
            _ => s.clone(),
        });
    }
    let mut cells: Vec<Cells<'_>> = Vec::with_capacity(series.len());
    for (s, p) in series.iter().zip(&physical) {
        cells.push(match s.dtype() {
            DataType::String => Cells::Text(first_chunk(p.str()?.downcast_iter())?),
            DataType::Date => Cells::Date(first_chunk(p.i32()?.downcast_iter())?),
            DataType::Decimal(_, scale) => Cells::Decimal {
                values: first_chunk(p.i128()?.downcast_iter())?,
                scale: *scale as u32,
                // the charges spec says which decimals are counts (no forced cents); every
                // other decimal column of every report is money
                min_digits: charge_column(s.name())
                    .map_or(money::CENT_DIGITS, |c| c.kind.min_fraction_digits())
                    .min(*scale as u32),
            },
            DataType::UInt64 | DataType::UInt32 | DataType::UInt16 | DataType::UInt8 => {
                Cells::Unsigned(first_chunk(p.u64()?.downcast_iter())?)
            }
            DataType::Int64 | DataType::Int32 | DataType::Int16 | DataType::Int8 => {
                Cells::Signed(first_chunk(p.i64()?.downcast_iter())?)
            }
            other => {
                polars_bail!(ComputeError: "no CSV form for column {} of type {other}", s.name())
            }
        });
    }
    let mut line: Vec<u8> = Vec::with_capacity(1024);
    let mut num = itoa_buffer();
    for row in 0..df.height() {
        line.clear();
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                line.push(b',');
            }
            match c {
                Cells::Text(a) => {
                    if let Some(v) = a.get(row) {
                        push_text(&mut line, &formula_safe_cell(v));
                    }
                }
                Cells::Date(a) => {
                    if let Some(v) = a.get(row) {
                        push_date(&mut line, v);
                    }
                }
                Cells::Decimal {
                    values,
                    scale,
                    min_digits,
                } => {
                    if let Some(v) = values.get(row) {
                        push_decimal(&mut line, v, *scale, *min_digits);
                    }
                }
                Cells::Unsigned(a) => {
                    if let Some(v) = a.get(row) {
                        line.extend_from_slice(fmt_u128(&mut num, v as u128));
                    }
                }
                Cells::Signed(a) => {
                    if let Some(v) = a.get(row) {
                        if v < 0 {
                            line.push(b'-');
                        }
                        line.extend_from_slice(fmt_u128(&mut num, v.unsigned_abs() as u128));
                    }
                }
            }
        }
        line.push(b'\n');
        out.write_all(&line)?;
    }
    Ok(())
}

fn first_chunk<'a, A: 'a>(mut chunks: impl Iterator<Item = &'a A>) -> PolarsResult<&'a A> {
    chunks
        .next()
        .ok_or_else(|| polars_err!(ComputeError: "column without data"))
}

/// A text cell with RFC 4180 quoting (only when it holds a comma, quote or line break).
fn push_text(line: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    if b.iter().any(|c| matches!(c, b',' | b'"' | b'\n' | b'\r')) {
        line.push(b'"');
        for &c in b {
            if c == b'"' {
                line.push(b'"');
            }
            line.push(c);
        }
        line.push(b'"');
    } else {
        line.extend_from_slice(b);
    }
}

/// `YYYY-MM-DD` from days since 1970-01-01.
fn push_date(line: &mut Vec<u8>, days: i32) {
    let d = crate::model::date_of_epoch_days(days);
    use chrono::Datelike;
    let (y, m, dd) = (d.year(), d.month(), d.day());
    if (0..=9999).contains(&y) {
        let y = y as u32;
        line.extend_from_slice(&[
            b'0' + (y / 1000) as u8,
            b'0' + (y / 100 % 10) as u8,
            b'0' + (y / 10 % 10) as u8,
            b'0' + (y % 10) as u8,
            b'-',
            b'0' + (m / 10) as u8,
            b'0' + (m % 10) as u8,
            b'-',
            b'0' + (dd / 10) as u8,
            b'0' + (dd % 10) as u8,
        ]);
    } else {
        let _ = write!(line, "{}", d.format("%Y-%m-%d"));
    }
}

/// True when a spreadsheet would read the text as a number (`-12.50`, `1e3`, `.5`).
pub(crate) fn looks_numeric(s: &str) -> bool {
    let b = s.strip_prefix(['+', '-']).unwrap_or(s).as_bytes();
    let (mant, exp) = match b.iter().position(|c| *c == b'e' || *c == b'E') {
        Some(p) => (&b[..p], Some(&b[p + 1..])),
        None => (b, None),
    };
    let mut parts = mant.splitn(2, |c| *c == b'.');
    let int = parts.next().unwrap_or(&[]);
    let frac = parts.next();
    let digits = |x: &[u8]| x.iter().all(u8::is_ascii_digit);
    let mant_ok = digits(int)
        && frac.is_none_or(digits)
        && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()));
    let exp_ok = exp.is_none_or(|e| {
        let e = e
            .strip_prefix(b"+")
            .or_else(|| e.strip_prefix(b"-"))
            .unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mant_ok && exp_ok
}

/// A CSV cell as written: text that a spreadsheet would run as a formula (`= + - @`, tab, CR at
/// the start, and not a number) gets a leading `'`.
pub(crate) fn formula_safe_cell(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && !looks_numeric(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod differential;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_numbers_are_not() {
        for (input, out) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("-2+3", "'-2+3"),
            ("@evil", "'@evil"),
            ("+1", "+1"),
            ("-12.50", "-12.50"),
            ("-1e3", "-1e3"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("Contoso", "Contoso"),
            ("-", "'-"),
        ] {
            assert_eq!(formula_safe_cell(input), out, "{input:?}");
        }
    }

    fn dec(m: i128, scale: u32, min: u32) -> String {
        let mut v = Vec::new();
        push_decimal(&mut v, m, scale, min);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn decimals_are_plain_and_trimmed_to_at_least_cents() {
        assert_eq!(dec(-12_500_000, 6, 2), "-12.50");
        assert_eq!(dec(10_001, 6, 2), "0.010001");
        assert_eq!(dec(0, 6, 2), "0.00");
        assert_eq!(dec(-5, 2, 2), "-0.05");
        assert_eq!(dec(1200, 2, 0), "12");
        assert_eq!(dec(1250, 3, 0), "1.25");
        assert_eq!(dec(7, 0, 0), "7");
        assert_eq!(
            dec(i128::MAX, 18, 2),
            "170141183460469231731.687303715884105727"
        );
        assert_eq!(dec(-1, 18, 2), "-0.000000000000000001");
        assert_eq!(
            dec(i128::MIN, 0, 0),
            "-170141183460469231731687303715884105728"
        );
        assert_eq!(dec(10_000_000_000_000_000_000, 19, 2), "1.00");
        assert_eq!(dec(123_000_000_000_000_000_000_000, 18, 2), "123000.00");
        assert_eq!(dec(100, 2, 0), "1");
        assert_eq!(dec(5, 3, 2), "0.005");
    }

    proptest::proptest! {
        /// Whatever the mantissa and scale, the text reads back as the same exact value, with
        /// at least `min` and at most `scale` fractional digits and no trailing zero beyond `min`.
        #[test]
        fn decimal_text_reads_back_exactly(m in proptest::num::i128::ANY, scale in 0u32..=26, min in 0u32..=2) {
            let min = min.min(scale);
            let s = dec(m, scale, min);
            let (neg, body) = s.strip_prefix('-').map_or((false, s.as_str()), |b| (true, b));
            let (int, frac) = body.split_once('.').unwrap_or((body, ""));
            proptest::prop_assert!(frac.len() as u32 >= min && frac.len() as u32 <= scale, "{s}");
            proptest::prop_assert!(frac.len() as u32 == min || !frac.ends_with('0'), "{s}");
            proptest::prop_assert!(int == "0" || !int.starts_with('0'), "{s}");
            let digits = format!("{int}{frac}{}", "0".repeat((scale as usize) - frac.len()));
            let abs: u128 = digits.parse().unwrap();
            proptest::prop_assert_eq!(abs, m.unsigned_abs(), "{}", s);
            proptest::prop_assert_eq!(neg, m < 0, "{}", s);
        }
    }

    #[test]
    fn frames_are_written_with_quoting_dates_and_nulls() {
        let days = (chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap()
            - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
        .num_days() as i32;
        let date: Int32Chunked = [Some(days), None].into_iter().collect_ca("d".into());
        let amount: Int128Chunked = [Some(-1250i128), Some(3)]
            .into_iter()
            .collect_ca("a".into());
        let df = DataFrame::new(
            2,
            vec![
                Column::new("t".into(), [Some("a,\"b\""), None]),
                date.into_date().into_column(),
                amount
                    .into_decimal(38, 3)
                    .unwrap()
                    .into_series()
                    .into_column(),
                Column::new("n".into(), [1u64, 2]),
                Column::new("f".into(), ["=1+1", "x"]),
            ],
        )
        .unwrap();
        let mut out = Vec::new();
        write_rows(&mut out, &df).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"a,\"\"b\"\"\",2025-03-01,-1.25,1,'=1+1\n,,0.003,2,x\n"
        );
    }
}
