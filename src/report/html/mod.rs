//! `report.html`: one self-contained page for analysts (CSS, JS and SVG charts inline; it loads
//! nothing, its Content-Security-Policy forbids it). Built from the small outcome frames only,
//! rendered by minijinja with HTML auto-escaping: every value from the inputs reaches the page as
//! text, never as markup.

use std::collections::BTreeMap;
use std::path::Path;

use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, Value};
use polars::prelude::*;
use serde::Serialize;

use super::AnalystInputs;
use super::cells::{Cell, Table, largest_first, non_matched};
use super::summary::rfc3339;
use crate::error::{Error, Result};
use crate::money::{self, format_scaled};
use crate::reconcile::Status;

/// Rows shown of the largest differences and of the totals per customer.
pub(crate) const MAX_ROWS: usize = 1_000;
/// Rows shown of the other tables (checks, rejected rows, changes): with every table full the
/// page stays under ~1.5 MB however large the run.
pub(crate) const MAX_OTHER_ROWS: usize = 500;

const TEMPLATE: &str = include_str!("report.html.j2");

/// Writes `<dir>/report.html`.
pub(crate) fn write(dir: &Path, inputs: &AnalystInputs<'_>) -> Result<()> {
    let path = dir.join("report.html");
    let html = render(inputs)?;
    std::fs::write(&path, html).map_err(|e| Error::output("cannot write report", &path, e))
}

/// The page as text.
pub(crate) fn render(inputs: &AnalystInputs<'_>) -> Result<String> {
    let page = page(inputs)?;
    let mut env = Environment::new();
    // every template of this module is HTML, whatever its file name
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    let te = |e: minijinja::Error| Error::Internal(format!("report.html template: {e:#}"));
    env.add_template("report.html", TEMPLATE).map_err(te)?;
    let tmpl = env.get_template("report.html").map_err(te)?;
    tmpl.render(Value::from(Serde(&page))).map_err(te)
}

/// An amount as shown: rounded to the cent, digits grouped.
#[derive(Debug, Serialize)]
struct Amount {
    text: String,
    negative: bool,
}

impl Amount {
    fn new(value: i128, scale: u32) -> Amount {
        let cents = money::round_to_cents(value, scale);
        Amount {
            text: group_thousands(&format_scaled(cents, money::CENT_DIGITS)),
            negative: cents < 0,
        }
    }
}

/// `-1234567.89` → `-1,234,567.89`.
fn group_thousands(plain: &str) -> String {
    let (sign, rest) = plain.strip_prefix('-').map_or(("", plain), |r| ("-", r));
    let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
    let mut grouped = String::with_capacity(plain.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

#[derive(Debug, Serialize)]
struct Page {
    run_id: String,
    command: String,
    started: String,
    finished: String,
    exit_status: i32,
    verdict: &'static str,
    tolerance: String,
    grain: String,
    snapshot: String,
    version: &'static str,
    currencies: Vec<CurrencyView>,
    differences: TableView,
    filters: Vec<Filter>,
    customers: Option<TableView>,
    invoice_checks: TableView,
    line_checks: TableView,
    rejected: TableView,
    changes: TableView,
    previous_run_id: Option<String>,
}

/// Totals and charts of one currency.
#[derive(Debug, Serialize)]
struct CurrencyView {
    code: String,
    cards: Vec<Card>,
    charts: Vec<Chart>,
}

/// Totals of one status (or of all) in one currency.
#[derive(Debug, Serialize)]
struct Card {
    status: String,
    all: bool,
    failure: bool,
    rows: u64,
    pc_amount: Amount,
    ledger_amount: Amount,
    difference: Amount,
}

/// A horizontal bar chart drawn as inline SVG; geometry computed here.
#[derive(Debug, Serialize)]
struct Chart {
    title: &'static str,
    width: u32,
    label_x: u32,
    value_x: u32,
    height: u32,
    zero_x: u32,
    bars: Vec<Bar>,
}

#[derive(Debug, Serialize)]
struct Bar {
    label: String,
    amount: Amount,
    x: u32,
    y: u32,
    width: u32,
    text_y: u32,
}

/// A filter control of the differences table.
#[derive(Debug, Serialize)]
struct Filter {
    column: &'static str,
    label: &'static str,
    /// Choices of a select; `None` = free text.
    options: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
struct TableView {
    id: &'static str,
    columns: Vec<ColumnView>,
    rows: Vec<Vec<CellView>>,
    total: usize,
    left_out: usize,
    /// The report holding every row (`reconciliation.csv`).
    source: String,
}

#[derive(Debug, Serialize)]
struct ColumnView {
    name: String,
    numeric: bool,
}

#[derive(Debug, Serialize)]
struct CellView {
    text: String,
    /// Exact value for sorting numbers.
    sort: Option<String>,
    negative: bool,
}

impl CellView {
    fn of(cell: &Cell) -> CellView {
        match cell {
            Cell::Money { value, scale } => {
                let a = Amount::new(*value, *scale);
                CellView {
                    text: a.text,
                    sort: Some(format_scaled(*value, *scale)),
                    negative: a.negative,
                }
            }
            Cell::Int(n) => CellView {
                text: n.to_string(),
                sort: Some(n.to_string()),
                negative: *n < 0,
            },
            other => CellView {
                text: other.text(),
                sort: None,
                negative: false,
            },
        }
    }
}

fn page(inputs: &AnalystInputs<'_>) -> Result<Page> {
    let s = inputs.summary;
    let o = s.outcome;
    let source = |name: &str| inputs.source_of(name);
    let diffs = largest_first(non_matched(&o.reconciliation)?)?;
    let diff_table = Table::from_frame(&diffs, Some(MAX_ROWS))?;
    let filters = filters(&diffs)?;
    let customers = match customer_totals(&o.reconciliation)? {
        Some(df) => Some(table_view(
            "customers",
            &Table::from_frame(&df, Some(MAX_ROWS))?,
            df.height(),
            source("reconciliation"),
        )),
        None => None,
    };
    let rejected = rejected_table(&Table::from_frame(inputs.rejected, Some(MAX_OTHER_ROWS))?);
    Ok(Page {
        run_id: s.run_id.to_owned(),
        command: s.command.to_owned(),
        started: rfc3339(s.started),
        finished: rfc3339(s.finished),
        exit_status: s.exit_status,
        verdict: match s.exit_status {
            0 => "nothing outside tolerance",
            _ => "differences outside tolerance were found",
        },
        tolerance: s.tolerance.to_owned(),
        grain: s
            .rules
            .grain
            .iter()
            .map(|k| k.name)
            .collect::<Vec<_>>()
            .join(", "),
        snapshot: s.snapshot.clone(),
        version: env!("CARGO_PKG_VERSION"),
        currencies: currencies(inputs),
        differences: table_view(
            "differences",
            &diff_table,
            diffs.height(),
            source("reconciliation"),
        ),
        filters,
        customers,
        invoice_checks: table_view(
            "invoice-checks",
            &Table::from_frame(&o.invoice_checks, Some(MAX_OTHER_ROWS))?,
            o.invoice_checks.height(),
            source("invoice_checks"),
        ),
        line_checks: table_view(
            "line-checks",
            &Table::from_frame(&o.line_checks, Some(MAX_OTHER_ROWS))?,
            o.line_checks.height(),
            source("line_checks"),
        ),
        rejected: table_view(
            "rejected",
            &rejected,
            inputs.rejected.height(),
            source("rejected_ledger_rows"),
        ),
        changes: table_view(
            "changes",
            &Table::from_frame(inputs.changes, Some(MAX_OTHER_ROWS))?,
            inputs.changes.height(),
            source("changes"),
        ),
        previous_run_id: s.previous_run_id.map(str::to_owned),
    })
}

fn table_view(id: &'static str, t: &Table, total: usize, source: String) -> TableView {
    let numeric: Vec<bool> = (0..t.names.len())
        .map(|i| {
            t.rows
                .iter()
                .any(|r| matches!(r[i], Cell::Money { .. } | Cell::Int(_)))
        })
        .collect();
    TableView {
        id,
        columns: t
            .names
            .iter()
            .zip(&numeric)
            .map(|(n, &numeric)| ColumnView {
                name: n.clone(),
                numeric,
            })
            .collect(),
        rows: t
            .rows
            .iter()
            .map(|r| r.iter().map(CellView::of).collect())
            .collect(),
        total,
        left_out: total.saturating_sub(t.rows.len()),
        source,
    }
}

/// Rejected rows with `file:line` as their first column.
fn rejected_table(t: &Table) -> Table {
    let (Some(file), Some(line)) = (t.index("file"), t.index("line")) else {
        return t.clone();
    };
    let rest: Vec<usize> = (0..t.names.len())
        .filter(|&i| i != file && i != line)
        .collect();
    Table {
        names: std::iter::once("file:line".to_owned())
            .chain(rest.iter().map(|&i| t.names[i].clone()))
            .collect(),
        rows: t
            .rows
            .iter()
            .map(|r| {
                std::iter::once(Cell::Text(format!("{}:{}", r[file].text(), r[line].text())))
                    .chain(rest.iter().map(|&i| r[i].clone()))
                    .collect()
            })
            .collect(),
    }
}

/// Cards and charts per currency, from the summary's totals and explanations.
fn currencies(inputs: &AnalystInputs<'_>) -> Vec<CurrencyView> {
    let o = inputs.summary.outcome;
    let mut per: BTreeMap<&str, CurrencyView> = BTreeMap::new();
    let mut all: BTreeMap<&str, (u64, i128, i128)> = BTreeMap::new();
    let mut by_status: BTreeMap<&str, Vec<(String, i128)>> = BTreeMap::new();
    for ((cur, st), t) in &o.totals {
        let view = per.entry(cur).or_insert_with(|| CurrencyView {
            code: cur.clone(),
            cards: Vec::new(),
            charts: Vec::new(),
        });
        view.cards.push(card(
            st.as_str(),
            st.is_failure(),
            t.rows,
            t.pc_amount,
            t.ledger_amount,
            o.scale,
        ));
        let a = all.entry(cur).or_default();
        a.0 += t.rows;
        a.1 += t.pc_amount;
        a.2 += t.ledger_amount;
        if *st != Status::Matched {
            by_status
                .entry(cur)
                .or_default()
                .push((st.as_str().to_owned(), t.pc_amount - t.ledger_amount));
        }
    }
    let mut by_explanation: BTreeMap<&str, Vec<(String, i128)>> = BTreeMap::new();
    for ((cur, code), (_, difference)) in &o.explanations {
        by_explanation
            .entry(cur)
            .or_default()
            .push((code.as_str().to_owned(), *difference));
    }
    for (cur, view) in per.iter_mut() {
        let (rows, pc, ledger) = all[cur];
        view.cards
            .insert(0, card("all", false, rows, pc, ledger, o.scale));
        for (title, bars) in [
            ("Difference by status", by_status.remove(cur)),
            ("Difference by explanation", by_explanation.remove(cur)),
        ] {
            if let Some(bars) = bars {
                view.charts.push(chart(title, bars, o.scale));
            }
        }
    }
    per.into_values().collect()
}

fn card(status: &str, failure: bool, rows: u64, pc: i128, ledger: i128, scale: u32) -> Card {
    Card {
        status: status.to_owned(),
        all: status == "all",
        failure,
        rows,
        pc_amount: Amount::new(pc, scale),
        ledger_amount: Amount::new(ledger, scale),
        difference: Amount::new(pc - ledger, scale),
    }
}

/// Chart geometry (SVG user units): labels on the left, bars around a zero axis.
const LABEL_WIDTH: u32 = 140;
const BAR_AREA: u32 = 330;
/// Where the amounts end (right-aligned), and the chart's width.
const VALUE_X: u32 = 575;
const CHART_WIDTH: u32 = 580;
const BAR_HEIGHT: u32 = 22;

fn chart(title: &'static str, bars: Vec<(String, i128)>, scale: u32) -> Chart {
    // f64 only for the bar lengths (pixels); the labels show the exact amounts to the cent
    let cents: Vec<f64> = bars
        .iter()
        .map(|(_, v)| money::round_to_cents(*v, scale) as f64)
        .collect();
    let neg = cents.iter().fold(0f64, |m, v| m.max(-v));
    let pos = cents.iter().fold(0f64, |m, v| m.max(*v));
    let span = (neg + pos).max(1.0);
    let zero_x = LABEL_WIDTH + (BAR_AREA as f64 * neg / span).round() as u32;
    let bars = bars
        .into_iter()
        .zip(cents)
        .enumerate()
        .map(|(i, ((label, value), c))| {
            let width = (BAR_AREA as f64 * c.abs() / span).round() as u32;
            let y = i as u32 * (BAR_HEIGHT + 6);
            Bar {
                label,
                amount: Amount::new(value, scale),
                x: if c < 0.0 { zero_x - width } else { zero_x },
                y,
                width: width.max(1),
                text_y: y + BAR_HEIGHT / 2 + 5,
            }
        })
        .collect::<Vec<_>>();
    Chart {
        title,
        width: CHART_WIDTH,
        label_x: LABEL_WIDTH - 6,
        value_x: VALUE_X,
        height: bars.len() as u32 * (BAR_HEIGHT + 6),
        zero_x,
        bars,
    }
}

/// The differences table's filters: select lists of the values present, free text for customers.
fn filters(diffs: &DataFrame) -> Result<Vec<Filter>> {
    let mut out = Vec::new();
    for (column, label) in [
        ("currency", "Currency"),
        ("status", "Status"),
        ("explanation", "Explanation"),
    ] {
        let Ok(c) = diffs.column(column) else {
            continue;
        };
        let values: std::collections::BTreeSet<String> = c
            .str()
            .map_err(|e| Error::polars("report.html", e))?
            .iter()
            .flatten()
            .map(str::to_owned)
            .collect();
        out.push(Filter {
            column,
            label,
            options: Some(values.into_iter().collect()),
        });
    }
    if diffs.column("customer_id").is_ok() {
        out.push(Filter {
            column: "customer_id",
            label: "Customer",
            options: None,
        });
    }
    Ok(out)
}

/// Grain rows and sums per customer and currency, largest |difference| first; `None` when the
/// grain has no customer or currency.
fn customer_totals(reconciliation: &DataFrame) -> Result<Option<DataFrame>> {
    let names = reconciliation.get_column_names();
    if !["customer_id", "currency"]
        .iter()
        .all(|c| names.iter().any(|n| n.as_str() == *c))
    {
        return Ok(None);
    }
    let totals = reconciliation
        .clone()
        .lazy()
        .group_by_stable([col("customer_id"), col("currency")])
        .agg([
            len().alias("rows"),
            col("status")
                .neq(lit("matched"))
                .sum()
                .alias("rows_not_matched"),
            col("pc_amount").sum(),
            col("ledger_amount").sum(),
            col("difference").sum(),
        ])
        .collect()
        .map_err(|e| Error::polars("report.html", e))?;
    largest_first(totals).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_round_to_the_cent_and_group_digits() {
        let a = Amount::new(-1_234_567_895_000, 6);
        assert_eq!(a.text, "-1,234,567.90");
        assert!(a.negative);
        assert_eq!(Amount::new(4_999, 6).text, "0.00");
        assert!(!Amount::new(-4_999, 6).negative);
        assert_eq!(group_thousands("123.45"), "123.45");
        assert_eq!(group_thousands("-100000"), "-100,000");
    }

    #[test]
    fn charts_put_negative_bars_left_of_zero() {
        let c = chart(
            "t",
            vec![("a".into(), -100_000_000), ("b".into(), 300_000_000)],
            6,
        );
        // a quarter of the bar area is left of zero, three quarters right of it (to the pixel)
        assert!(c.zero_x.abs_diff(LABEL_WIDTH + BAR_AREA / 4) <= 1);
        assert_eq!(c.bars[0].x + c.bars[0].width, c.zero_x);
        assert_eq!(c.bars[1].x, c.zero_x);
        assert!(c.bars[1].width.abs_diff(BAR_AREA * 3 / 4) <= 1);
    }

    #[test]
    fn capped_tables_count_what_they_leave_out() {
        let t = Table {
            names: vec!["difference".into()],
            rows: vec![vec![Cell::Money {
                value: -5,
                scale: 2,
            }]],
        };
        let v = table_view("x", &t, 1_500, "reconciliation.csv".into());
        assert_eq!(v.left_out, 1_499);
        assert!(v.columns[0].numeric);
        assert!(v.rows[0][0].negative);
        assert_eq!(v.rows[0][0].text, "-0.05");
        assert_eq!(v.rows[0][0].sort.as_deref(), Some("-0.05"));
    }

    #[test]
    fn the_template_escapes_what_it_is_given() {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.add_template("t", "<td>{{ v }}</td>").unwrap();
        let out = env
            .get_template("t")
            .unwrap()
            .render(minijinja::context! { v => "<script>x</script>\"'&" })
            .unwrap();
        assert_eq!(
            out,
            "<td>&lt;script&gt;x&lt;&#x2f;script&gt;&quot;&#x27;&amp;</td>"
        );
    }
}
