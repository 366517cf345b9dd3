//! What changed since the last run: this run's reconciliation against the one `latest` pointed to
//! before it (same report folder, same grain). One row per grain key whose status, `pc_amount` or
//! `ledger_amount` differs, keys present in only one run included.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

use super::{GrainKey, Rules, Status, digits_of, fold_key_into};
use crate::error::{Error, Result};
use crate::money::{self, DecimalBuilder, Scaled, decimal_values, pow10};

/// One grain row of a reconciliation report, amounts at [`money::MONEY_SCALE`].
#[derive(Debug, Clone)]
struct GrainLine {
    /// Key values as the report shows them.
    shown: Vec<String>,
    status: String,
    pc_amount: i128,
    ledger_amount: i128,
}

impl GrainLine {
    fn difference(&self) -> i128 {
        self.pc_amount - self.ledger_amount
    }
}

/// A previous run's reconciliation, keyed by the folded grain key.
#[derive(Debug)]
pub(crate) struct PreviousRun {
    /// Its run id.
    pub(crate) run_id: String,
    rows: BTreeMap<Vec<String>, GrainLine>,
}

/// The folded form of a row's key values (what comparisons use).
fn folded(grain: &[GrainKey], shown: &[String]) -> Vec<String> {
    grain
        .iter()
        .zip(shown)
        .map(|(k, v)| {
            let mut f = String::new();
            fold_key_into(Some(v), k.upper, &mut f);
            f
        })
        .collect()
}

/// Reads a reconciliation frame's rows (grain columns, status, amounts).
fn lines(df: &DataFrame, grain: &[GrainKey]) -> Result<BTreeMap<Vec<String>, GrainLine>> {
    let pe = |e| Error::polars("changes", e);
    let text = |name: &str| -> Result<Vec<String>> {
        let s = df.column(name).map_err(pe)?.str().map_err(pe)?;
        Ok(s.iter().map(|v| v.unwrap_or("").to_owned()).collect())
    };
    let amounts = |name: &str| -> Result<Vec<i128>> {
        let (values, scale) = decimal_values(df.column(name).map_err(pe)?).map_err(pe)?;
        let up = pow10(money::MONEY_SCALE - scale.min(money::MONEY_SCALE));
        Ok(values.into_iter().map(|v| v.unwrap_or(0) * up).collect())
    };
    let keys: Vec<Vec<String>> = grain.iter().map(|k| text(k.name)).collect::<Result<_>>()?;
    let status = text("status")?;
    let (pc, ledger) = (amounts("pc_amount")?, amounts("ledger_amount")?);
    let mut out = BTreeMap::new();
    for i in 0..df.height() {
        let shown: Vec<String> = keys.iter().map(|c| c[i].clone()).collect();
        out.insert(
            folded(grain, &shown),
            GrainLine {
                shown,
                status: status[i].clone(),
                pc_amount: pc[i],
                ledger_amount: ledger[i],
            },
        );
    }
    Ok(out)
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
        let df = ParquetReader::new(file)
            .finish()
            .map_err(|e| e.to_string())?;
        let rows = lines(&df, &rules.grain).map_err(|e| e.to_string())?;
        Ok(Some(PreviousRun {
            run_id: run_id.clone(),
            rows,
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
        return Ok((frame(&[], rules)?, BTreeMap::new()));
    };
    let now = lines(current, &rules.grain)?;
    let before = &previous.rows;
    let mut keys: Vec<&Vec<String>> = now.keys().chain(before.keys()).collect();
    keys.sort();
    keys.dedup();
    let matched = Status::Matched.as_str();
    let mut rows: Vec<(&'static str, Option<&GrainLine>, Option<&GrainLine>)> = Vec::new();
    for k in keys {
        let (p, c) = (before.get(k), now.get(k));
        let change = match (p, c) {
            (None, Some(_)) => "new",
            (Some(_), None) => "resolved",
            (Some(p), Some(c))
                if p.status == c.status
                    && p.pc_amount == c.pc_amount
                    && p.ledger_amount == c.ledger_amount =>
            {
                continue;
            }
            (Some(p), Some(c)) if c.status == matched && p.status != matched => "resolved",
            (Some(_), Some(_)) => "changed",
            (None, None) => unreachable!("every key comes from one side"),
        };
        rows.push((change, p, c));
    }
    let mut counts = BTreeMap::new();
    for (change, _, _) in &rows {
        *counts.entry(*change).or_insert(0) += 1;
    }
    Ok((frame(&rows, rules)?, counts))
}

fn frame(
    rows: &[(&'static str, Option<&GrainLine>, Option<&GrainLine>)],
    rules: &Rules,
) -> Result<DataFrame> {
    let pe = |e| Error::polars("changes", e);
    let mut columns: Vec<Column> = Vec::new();
    for (i, k) in rules.grain.iter().enumerate() {
        let v: Vec<&str> = rows
            .iter()
            .map(|(_, p, c)| c.or(*p).map(|l| l.shown[i].as_str()).unwrap_or(""))
            .collect();
        columns.push(Column::new(k.name.into(), v));
    }
    let text = |name: &str, v: Vec<Option<&str>>| Column::new(name.into(), v);
    columns.push(text("change", rows.iter().map(|r| Some(r.0)).collect()));
    columns.push(text(
        "previous_status",
        rows.iter()
            .map(|r| r.1.map(|l| l.status.as_str()))
            .collect(),
    ));
    columns.push(text(
        "status",
        rows.iter()
            .map(|r| r.2.map(|l| l.status.as_str()))
            .collect(),
    ));
    let mut prev = DecimalBuilder::new(money::MONEY_SCALE, rows.len());
    let mut cur = DecimalBuilder::new(money::MONEY_SCALE, rows.len());
    let scaled = |l: Option<&GrainLine>| {
        l.map(|l| {
            let value = l.difference();
            Scaled {
                value,
                digits: digits_of(value),
            }
        })
    };
    for (_, p, c) in rows {
        prev.push(scaled(*p));
        cur.push(scaled(*c));
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
