//! What changed since the last run: this run's reconciliation against the one `latest` pointed to
//! before it (same report folder, same grain). One row per grain key whose status, `pc_amount` or
//! `ledger_amount` differs, keys present in only one run included.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

use super::{GrainKey, Rules, Status, digits_of, fold_key_into};
use crate::error::{Error, Result};
use crate::money::{self, DecimalBuilder, Scaled, decimal_values, pow10};

/// A reconciliation report's rows as the changes need them: key columns, status and amounts (at
/// [`money::MONEY_SCALE`]), and the rows' order by folded key. Nothing is copied per row but the
/// two amounts: a 20M-line grain has millions of rows, and both runs' are held at once.
struct Lines {
    keys: Vec<StringChunked>,
    upper: Vec<bool>,
    status: StringChunked,
    pc: Vec<i128>,
    ledger: Vec<i128>,
    /// Row numbers sorted by folded key (the report's own order, so sorting costs one pass).
    order: Vec<u32>,
}

impl Lines {
    /// Reads a reconciliation frame's grain columns, status and amounts.
    fn of(df: &DataFrame, grain: &[GrainKey]) -> Result<Lines> {
        let pe = |e| Error::polars("changes", e);
        let text = |name: &str| -> Result<StringChunked> {
            Ok(df
                .column(name)
                .map_err(pe)?
                .str()
                .map_err(pe)?
                .rechunk()
                .into_owned())
        };
        let amounts = |name: &str| -> Result<Vec<i128>> {
            let (values, scale) = decimal_values(df.column(name).map_err(pe)?).map_err(pe)?;
            let up = pow10(money::MONEY_SCALE - scale.min(money::MONEY_SCALE));
            Ok(values.into_iter().map(|v| v.unwrap_or(0) * up).collect())
        };
        let mut lines = Lines {
            keys: grain.iter().map(|k| text(k.name)).collect::<Result<_>>()?,
            upper: grain.iter().map(|k| k.upper).collect(),
            status: text("status")?,
            pc: amounts("pc_amount")?,
            ledger: amounts("ledger_amount")?,
            order: Vec::new(),
        };
        let mut order: Vec<u32> = (0..df.height() as u32).collect();
        order.sort_by(|&a, &b| lines.cmp_rows(a as usize, &lines, b as usize));
        lines.order = order;
        Ok(lines)
    }

    fn key(&self, i: usize, row: usize) -> &str {
        self.keys[i].get(row).unwrap_or("")
    }

    fn status(&self, row: usize) -> &str {
        self.status.get(row).unwrap_or("")
    }

    /// Row `a` of these lines against row `b` of `other` (same grain), by folded key.
    fn cmp_rows(&self, a: usize, other: &Lines, b: usize) -> Ordering {
        (0..self.keys.len())
            .map(|i| cmp_folded(self.key(i, a), other.key(i, b), self.upper[i]))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }

    /// Whether row `a` here and row `b` of `other` say the same (status and both amounts).
    fn same(&self, a: usize, other: &Lines, b: usize) -> bool {
        self.status(a) == other.status(b)
            && self.pc[a] == other.pc[b]
            && self.ledger[a] == other.ledger[b]
    }

    fn difference(&self, row: usize) -> i128 {
        self.pc[row] - self.ledger[row]
    }
}

/// `a` and `b` compared as their folded forms ([`fold_key_into`]) compare, without folding ASCII
/// text into new strings.
fn cmp_folded(a: &str, b: &str, upper: bool) -> Ordering {
    let (a, b) = (a.trim(), b.trim());
    if a.is_ascii() && b.is_ascii() {
        let fold = |c: u8| {
            if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        };
        a.bytes().map(fold).cmp(b.bytes().map(fold))
    } else {
        let (mut fa, mut fb) = (String::new(), String::new());
        fold_key_into(Some(a), upper, &mut fa);
        fold_key_into(Some(b), upper, &mut fb);
        fa.cmp(&fb)
    }
}

/// A previous run's reconciliation.
pub(crate) struct PreviousRun {
    /// Its run id.
    pub(crate) run_id: String,
    lines: Lines,
}

/// The run `<out_dir>/latest` points to, when it has a `reconciliation.parquet` of the same grain;
/// `None` on a first run, another grain, or a previous run that cannot be read (said in the log:
/// a damaged old report must not stop tonight's run).
pub(crate) fn previous_run(out_dir: &Path, rules: &Rules) -> Option<PreviousRun> {
    let run_id = std::fs::read_link(out_dir.join("latest"))
        .ok()?
        .file_name()?
        .to_string_lossy()
        .into_owned();
    let dir = out_dir.join(&run_id);
    let read = || -> std::result::Result<Option<PreviousRun>, String> {
        let summary: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.join("summary.json")).map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?;
        let grain: Vec<&str> = rules.grain.iter().map(|k| k.name).collect();
        let same = summary["grain"].as_array().is_some_and(|g| {
            g.iter()
                .map(|v| v.as_str())
                .eq(grain.iter().map(|s| Some(*s)))
        });
        if !same {
            tracing::info!(previous = %run_id, "the previous run used another grain; no changes report rows");
            return Ok(None);
        }
        let path = dir.join("reconciliation.parquet");
        let file = std::fs::File::open(&path)
            .map_err(|e| format!("{}: {e} (changes need the Parquet format)", path.display()))?;
        // only the columns the changes read
        let mut columns: Vec<String> = rules.grain.iter().map(|k| k.name.to_owned()).collect();
        columns.extend(["status", "pc_amount", "ledger_amount"].map(String::from));
        let df = ParquetReader::new(file)
            .with_columns(Some(columns))
            .finish()
            .map_err(|e| e.to_string())?;
        let lines = Lines::of(&df, &rules.grain).map_err(|e| e.to_string())?;
        Ok(Some(PreviousRun {
            run_id: run_id.clone(),
            lines,
        }))
    };
    match read() {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(previous = %run_id, error = %e, "cannot read the previous run; no changes computed");
            None
        }
    }
}

/// The `changes` report and its counts per change (`new`, `resolved`, `changed`), comparing
/// this run's `reconciliation` with `previous` (none: a first run, header only).
pub(crate) fn changes(
    current: &DataFrame,
    previous: Option<&PreviousRun>,
    rules: &Rules,
) -> Result<(DataFrame, BTreeMap<&'static str, u64>)> {
    // a first run (or one after a grain change) has nothing to compare with: header only
    let Some(previous) = previous else {
        return Ok((frame(&[], None, rules)?, BTreeMap::new()));
    };
    let now = Lines::of(current, &rules.grain)?;
    let before = &previous.lines;
    let matched = Status::Matched.as_str();
    // both runs in folded-key order, walked side by side
    let mut rows: Vec<Change> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < now.order.len() || j < before.order.len() {
        let (c, p) = (
            now.order.get(i).map(|&r| r as usize),
            before.order.get(j).map(|&r| r as usize),
        );
        let order = match (c, p) {
            (Some(c), Some(p)) => now.cmp_rows(c, before, p),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        let row = match order {
            Ordering::Less => Some(Change {
                what: "new",
                previous: None,
                current: c,
            }),
            Ordering::Greater => Some(Change {
                what: "resolved",
                previous: p,
                current: None,
            }),
            Ordering::Equal => {
                let (c, p) = (c.expect("both sides"), p.expect("both sides"));
                let what = if now.same(c, before, p) {
                    None
                } else if now.status(c) == matched && before.status(p) != matched {
                    Some("resolved")
                } else {
                    Some("changed")
                };
                what.map(|what| Change {
                    what,
                    previous: Some(p),
                    current: Some(c),
                })
            }
        };
        match order {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => (i, j) = (i + 1, j + 1),
        }
        rows.extend(row);
    }
    let mut counts = BTreeMap::new();
    for row in &rows {
        *counts.entry(row.what).or_insert(0) += 1;
    }
    Ok((frame(&rows, Some((&now, before)), rules)?, counts))
}

/// One row of the changes report: which change, and the row in each run.
struct Change {
    what: &'static str,
    previous: Option<usize>,
    current: Option<usize>,
}

fn frame(rows: &[Change], runs: Option<(&Lines, &Lines)>, rules: &Rules) -> Result<DataFrame> {
    let pe = |e| Error::polars("changes", e);
    let mut columns: Vec<Column> = Vec::new();
    for (i, k) in rules.grain.iter().enumerate() {
        let v: Vec<&str> = rows
            .iter()
            .map(|r| match (runs, r.current, r.previous) {
                (Some((now, _)), Some(c), _) => now.key(i, c),
                (Some((_, before)), None, Some(p)) => before.key(i, p),
                _ => "",
            })
            .collect();
        columns.push(Column::new(k.name.into(), v));
    }
    let text = |name: &str, v: Vec<Option<&str>>| Column::new(name.into(), v);
    columns.push(text("change", rows.iter().map(|r| Some(r.what)).collect()));
    fn status(lines: Option<&Lines>, row: Option<usize>) -> Option<&str> {
        lines.zip(row).map(|(l, r)| l.status(r))
    }
    let (now, before) = (runs.map(|r| r.0), runs.map(|r| r.1));
    columns.push(text(
        "previous_status",
        rows.iter().map(|r| status(before, r.previous)).collect(),
    ));
    columns.push(text(
        "status",
        rows.iter().map(|r| status(now, r.current)).collect(),
    ));
    let mut prev = DecimalBuilder::new(money::MONEY_SCALE, rows.len());
    let mut cur = DecimalBuilder::new(money::MONEY_SCALE, rows.len());
    let scaled = |lines: Option<&Lines>, row: Option<usize>| {
        lines.zip(row).map(|(l, r)| {
            let value = l.difference(r);
            Scaled {
                value,
                digits: digits_of(value),
            }
        })
    };
    for r in rows {
        prev.push(scaled(before, r.previous));
        cur.push(scaled(now, r.current));
    }
    // the smallest scale that holds every value of both columns, at least cents
    let scale = prev
        .digits()
        .max(cur.digits())
        .max(money::CENT_DIGITS)
        .max(rules.tolerance.digits);
    columns.push(prev.into_column("previous_difference", scale).map_err(pe)?);
    columns.push(cur.into_column("difference", scale).map_err(pe)?);
    DataFrame::new(rows.len(), columns).map_err(pe)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The merge of two runs compares keys as their folded forms compare.
        #[test]
        fn keys_compare_as_their_folded_forms(
            a in "[ \\ta-zA-Z0-9éÉß-]{0,12}",
            b in "[ \\ta-zA-Z0-9éÉß-]{0,12}",
            upper in any::<bool>(),
        ) {
            let (mut fa, mut fb) = (String::new(), String::new());
            fold_key_into(Some(&a), upper, &mut fa);
            fold_key_into(Some(&b), upper, &mut fb);
            prop_assert_eq!(cmp_folded(&a, &b, upper), fa.cmp(&fb));
        }
    }
}
