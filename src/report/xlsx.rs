//! `report.xlsx`: the workbook for analysts (sheets Summary, Differences, Invoice checks, Rejected
//! rows, Changes), built from the small outcome frames only.
//!
//! Money cells are numbers with a two-decimal display format per currency. The `f64` in a money
//! cell is for Excel's display and arithmetic only: exact values stay in the CSV and Parquet
//! reports. Text is always written with `write_string`, so a cell holding `=HYPERLINK(…)` stays
//! text and never becomes a formula.

use std::collections::HashMap;
use std::path::Path;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::AnalystInputs;
use super::cells::{Cell, Table, non_matched};
use super::summary::rfc3339;
use crate::error::{Error, Result};
use crate::money;

/// Excel's rows per sheet.
const EXCEL_ROWS: usize = 1_048_576;
/// Data rows per sheet: the header and a note row fit beside them.
pub(crate) const MAX_DATA_ROWS: usize = EXCEL_ROWS - 2;

/// Widest column, in characters (longer text wraps nowhere, it is just cut off on screen).
const MAX_WIDTH: usize = 60;

/// Writes `<dir>/report.xlsx`.
pub(crate) fn write(dir: &Path, inputs: &AnalystInputs<'_>) -> Result<()> {
    let path = dir.join("report.xlsx");
    let xe = |e: XlsxError| Error::output("cannot write report", &path, e);
    let mut wb = Workbook::new();
    // fastest deflate: the workbook is ~60 % larger and ~40 % quicker to write; it stays ~1 MB
    wb.set_zip_compression_level(1);
    let o = inputs.summary.outcome;
    summary_sheet(wb.add_worksheet(), inputs).map_err(xe)?;
    let sheets: [(&str, Table, usize, String); 4] = [
        {
            let diffs = non_matched(&o.reconciliation)?;
            let n = diffs.height();
            (
                "Differences",
                Table::from_frame(&diffs, Some(MAX_DATA_ROWS))?,
                n,
                inputs.source_of("reconciliation"),
            )
        },
        (
            "Invoice checks",
            Table::from_frame(&o.invoice_checks, Some(MAX_DATA_ROWS))?,
            o.invoice_checks.height(),
            inputs.source_of("invoice_checks"),
        ),
        (
            "Rejected rows",
            Table::from_frame(inputs.rejected, Some(MAX_DATA_ROWS))?,
            inputs.rejected.height(),
            inputs.source_of("rejected_ledger_rows"),
        ),
        (
            "Changes",
            Table::from_frame(inputs.changes, Some(MAX_DATA_ROWS))?,
            inputs.changes.height(),
            inputs.source_of("changes"),
        ),
    ];
    for (name, table, total, source) in &sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).map_err(xe)?;
        table_sheet(ws, table, *total, source).map_err(xe)?;
    }
    wb.save(&path).map_err(xe)
}

/// Number formats per currency: two decimals, negatives red, the currency code after.
#[derive(Default)]
struct MoneyFormats(HashMap<String, Format>);

impl MoneyFormats {
    fn get(&mut self, currency: &str) -> &Format {
        // currencies are validated 3-letter codes, but only letters go into a format string
        let code: String = currency
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .collect();
        self.0.entry(code.clone()).or_insert_with(|| {
            let unit = if code.is_empty() {
                String::new()
            } else {
                format!(" \"{code}\"")
            };
            Format::new().set_num_format(format!("#,##0.00{unit};[Red]-#,##0.00{unit}"))
        })
    }
}

/// The f64 Excel shows for an exact amount (display only): the nearest one to the decimal, by
/// parsing its text (dividing two f64s would round twice past 2^53).
fn excel_number(value: i128, scale: u32) -> f64 {
    money::format_scaled(value, scale)
        .parse()
        .expect("a plain decimal parses as f64")
}

/// Writes one table: header frozen and filtered, money as numbers, the rest as strings; a note
/// row when the table has more rows than a sheet holds.
fn table_sheet(
    ws: &mut Worksheet,
    t: &Table,
    total: usize,
    source: &str,
) -> std::result::Result<(), XlsxError> {
    let header = Format::new().set_bold();
    let currency = t.index("currency");
    let mut widths: Vec<usize> = t.names.iter().map(|n| n.chars().count() + 3).collect();
    for (c, name) in t.names.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, name, &header)?;
    }
    let mut formats = MoneyFormats::default();
    for (r, row) in t.rows.iter().enumerate() {
        let r = r as u32 + 1;
        let cur = currency
            .and_then(|i| row[i].as_str())
            .unwrap_or("")
            .to_owned();
        for (c, cell) in row.iter().enumerate() {
            let col = c as u16;
            let shown = match cell {
                Cell::Empty => 0,
                // every decimal column is money: pc_amount, ledger_amount, difference,
                // invoice_total, line_items_total, paid_amount, previous_difference, …
                Cell::Money { value, scale } => {
                    ws.write_number_with_format(
                        r,
                        col,
                        excel_number(*value, *scale),
                        formats.get(&cur),
                    )?;
                    // grouping commas, sign and the currency code
                    let cents = money::round_to_cents(*value, *scale).unsigned_abs();
                    let digits = cents.checked_ilog10().unwrap_or(0) as usize + 1;
                    digits + digits / 3 + 6
                }
                Cell::Int(n) => {
                    ws.write_number(r, col, *n as f64)?;
                    n.to_string().len()
                }
                other => {
                    let text = other.text();
                    ws.write_string(r, col, fit_in_a_cell(&text))?;
                    text.chars().count()
                }
            };
            widths[c] = widths[c].max(shown + 1);
        }
    }
    let last_row = t.rows.len() as u32;
    if !t.names.is_empty() {
        ws.set_freeze_panes(1, 0)?;
        ws.autofilter(0, 0, last_row, t.names.len() as u16 - 1)?;
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, (*w).min(MAX_WIDTH) as f64)?;
    }
    if total > t.rows.len() {
        ws.write_string(
            last_row + 1,
            0,
            format!(
                "{} more rows do not fit in a sheet; all {total} are in {source}",
                total - t.rows.len()
            ),
        )?;
    }
    Ok(())
}

/// Totals per currency and status (a filtered table), then the explanations and the run.
fn summary_sheet(
    ws: &mut Worksheet,
    inputs: &AnalystInputs<'_>,
) -> std::result::Result<(), XlsxError> {
    ws.set_name("Summary")?;
    let s = inputs.summary;
    let o = s.outcome;
    let header = Format::new().set_bold();
    let mut formats = MoneyFormats::default();
    let names = [
        "currency",
        "status",
        "rows",
        "pc_amount",
        "ledger_amount",
        "difference",
    ];
    for (c, n) in names.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *n, &header)?;
    }
    let mut r = 0u32;
    for ((cur, st), t) in &o.totals {
        r += 1;
        ws.write_string(r, 0, cur)?;
        ws.write_string(r, 1, st.as_str())?;
        ws.write_number(r, 2, t.rows as f64)?;
        for (c, v) in [t.pc_amount, t.ledger_amount, t.pc_amount - t.ledger_amount]
            .into_iter()
            .enumerate()
        {
            ws.write_number_with_format(
                r,
                3 + c as u16,
                excel_number(v, o.scale),
                formats.get(cur),
            )?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, r, names.len() as u16 - 1)?;

    r += 2;
    for (c, n) in ["currency", "explanation", "rows", "difference"]
        .iter()
        .enumerate()
    {
        ws.write_string_with_format(r, c as u16, *n, &header)?;
    }
    for ((cur, code), (rows, difference)) in &o.explanations {
        r += 1;
        ws.write_string(r, 0, cur)?;
        ws.write_string(r, 1, code.as_str())?;
        ws.write_number(r, 2, *rows as f64)?;
        ws.write_number_with_format(r, 3, excel_number(*difference, o.scale), formats.get(cur))?;
    }

    r += 2;
    let run: [(&str, String); 8] = [
        ("run_id", s.run_id.to_owned()),
        ("command", s.command.to_owned()),
        ("exit_status", s.exit_status.to_string()),
        ("started_at", rfc3339(s.started)),
        ("finished_at", rfc3339(s.finished)),
        ("tolerance", s.tolerance.to_owned()),
        ("snapshot", s.snapshot.clone()),
        ("pcrecon_version", env!("CARGO_PKG_VERSION").to_owned()),
    ];
    for (k, v) in run {
        ws.write_string_with_format(r, 0, k, &header)?;
        ws.write_string(r, 1, v)?;
        r += 1;
    }
    for (c, w) in [16, 20, 8, 20, 20, 20].into_iter().enumerate() {
        ws.set_column_width(c as u16, w)?;
    }
    Ok(())
}

/// Excel holds at most 32,767 characters in a cell: a longer text (a hostile ledger field) is cut
/// there with an ellipsis; the CSV and Parquet reports keep it whole.
fn fit_in_a_cell(text: &str) -> std::borrow::Cow<'_, str> {
    const MAX_CHARS: usize = 32_767;
    match text.char_indices().nth(MAX_CHARS) {
        None => text.into(),
        Some(_) => {
            let (cut, _) = text
                .char_indices()
                .nth(MAX_CHARS - 1)
                .expect("longer than the limit");
            format!("{}…", &text[..cut]).into()
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn excel_numbers_are_the_nearest_f64_to_the_exact_amount() {
        assert_eq!(excel_number(-1250, 2), -12.5);
        assert_eq!(excel_number(10_001, 6), 0.010001);
        // 2^53 + 1 cents: dividing two f64s lands on another double than the decimal's nearest
        let v = (1i128 << 53) + 1;
        let exact: f64 = money::format_scaled(v, 2).parse().unwrap();
        assert_eq!(excel_number(v, 2), exact);
    }

    use super::*;

    #[test]
    fn a_table_longer_than_the_sheet_ends_with_a_note() {
        use calamine::{Data, Reader, Xlsx, open_workbook};
        let t = Table {
            names: vec!["invoice_id".into(), "difference".into(), "currency".into()],
            rows: vec![
                vec![
                    Cell::Text("=1+1".into()),
                    Cell::Money {
                        value: -1_250,
                        scale: 3,
                    },
                    Cell::Text("EUR".into()),
                ];
                2
            ],
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.xlsx");
        let mut wb = Workbook::new();
        table_sheet(wb.add_worksheet(), &t, 5, "reconciliation.csv").unwrap();
        wb.save(&path).unwrap();
        let mut back: Xlsx<_> = open_workbook(&path).unwrap();
        let sheet = back.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(sheet.get_value((1, 0)), Some(&Data::String("=1+1".into())));
        assert_eq!(sheet.get_value((2, 1)), Some(&Data::Float(-1.25)));
        assert_eq!(
            sheet.get_value((3, 0)),
            Some(&Data::String(
                "3 more rows do not fit in a sheet; all 5 are in reconciliation.csv".into()
            ))
        );
    }

    #[test]
    fn money_formats_keep_only_letters_of_the_currency() {
        let mut f = MoneyFormats::default();
        f.get("EUR\"; =1");
        assert!(f.0.contains_key("EUR"));
        assert_eq!(excel_number(-12_345, 3), -12.345);
    }

    #[test]
    fn a_text_longer_than_excel_holds_is_cut_with_an_ellipsis() {
        let long = "é".repeat(40_000);
        let cut = fit_in_a_cell(&long);
        assert_eq!(cut.chars().count(), 32_767);
        assert!(cut.ends_with("é…"));
        assert_eq!(fit_in_a_cell("short"), "short");
        let exact = "x".repeat(32_767);
        assert_eq!(fit_in_a_cell(&exact), exact.as_str());
    }
}
