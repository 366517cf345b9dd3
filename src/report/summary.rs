//! `summary.json` (for machines) and `summary.md` (for people) of one run.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use polars::prelude::*;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::model::invoice::InvoiceSummary;
use crate::money::{self, format_scaled};
use crate::reconcile::{Outcome, Rules, Status};

/// An input file and its fingerprint.
#[derive(Debug, Clone)]
pub(crate) struct InputFile {
    /// Path as shown to users.
    pub(crate) path: String,
    /// `snapshot_manifest` or `ledger`.
    pub(crate) kind: &'static str,
    /// sha256, lower-case hex.
    pub(crate) sha256: String,
}

/// Everything the summary reports.
#[derive(Debug)]
pub(crate) struct RunSummary<'a> {
    /// Run id (the report folder's name).
    pub(crate) run_id: &'a str,
    /// The command (`run`, `reconcile`).
    pub(crate) command: &'a str,
    /// UTC start.
    pub(crate) started: DateTime<Utc>,
    /// UTC end.
    pub(crate) finished: DateTime<Utc>,
    /// The process's exit status.
    pub(crate) exit_status: i32,
    /// Tolerance as configured.
    pub(crate) tolerance: &'a str,
    /// Grain and tolerance.
    pub(crate) rules: &'a Rules,
    /// Snapshot folder read.
    pub(crate) snapshot: String,
    /// Input fingerprints.
    pub(crate) inputs: &'a [InputFile],
    /// The reconciliation.
    pub(crate) outcome: &'a Outcome,
    /// Rejected ledger rows per reason code.
    pub(crate) rejected_by_reason: &'a BTreeMap<String, usize>,
    /// Account balances per currency from the snapshot.
    pub(crate) invoice_summaries: &'a [InvoiceSummary],
    /// Row counts (`invoices`, `charges`, …).
    pub(crate) counts: Vec<(&'static str, usize)>,
    /// Stage timings.
    pub(crate) timings: Vec<(&'static str, Duration)>,
    /// The run `latest` pointed to before this one (same grain), if any.
    pub(crate) previous_run_id: Option<&'a str>,
    /// Rows of the `changes` report per change (`new`, `resolved`, `changed`).
    pub(crate) changes: &'a BTreeMap<&'static str, u64>,
}

/// A UTC time as summary.json writes it (RFC 3339, milliseconds).
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn money_opt(d: &crate::model::Money) -> Value {
    d.0.map(|s| {
        Value::String(format_scaled(
            s.value / money::pow10(money::MONEY_SCALE - s.digits.max(2)),
            s.digits.max(2),
        ))
    })
    .unwrap_or(Value::Null)
}

fn summary_json(s: &InvoiceSummary) -> Value {
    json!({
        "currency": s.currency_code.as_deref().map(str::trim),
        "balance_amount": money_opt(&s.balance_amount),
        "accounting_date": s.accounting_date,
        "latest_invoice_date": s.latest_invoice_date,
        "last_payment_date": s.last_payment_date,
        "last_payment_amount": money_opt(&s.last_payment_amount),
        "by_invoice_type": s.details.iter().map(|d| json!({
            "invoice_type": d.invoice_type,
            "balance_amount": d.summary.as_ref().map(|x| money_opt(&x.balance_amount)).unwrap_or(Value::Null),
        })).collect::<Vec<_>>(),
    })
}

impl RunSummary<'_> {
    /// `summary.json`.
    pub(crate) fn to_json(&self) -> Value {
        let o = self.outcome;
        let f = |v: i128| format_scaled(v, o.scale);
        let totals: Vec<Value> = o
            .totals
            .iter()
            .map(|((cur, st), t)| {
                json!({
                    "currency": cur, "status": st.as_str(), "rows": t.rows,
                    "pc_amount": f(t.pc_amount), "ledger_amount": f(t.ledger_amount),
                    "difference": f(t.pc_amount - t.ledger_amount),
                })
            })
            .collect();
        let explanations: Vec<Value> = o
            .explanations
            .iter()
            .map(|((cur, code), (rows, difference))| {
                json!({"currency": cur, "code": code.as_str(), "rows": rows, "difference": f(*difference)})
            })
            .collect();
        let checks: BTreeMap<&str, u64> = o
            .invoice_check_counts
            .iter()
            .map(|(s, n)| (s.as_str(), *n))
            .collect();
        let changes: serde_json::Map<String, Value> = ["new", "resolved", "changed"]
            .iter()
            .map(|c| {
                (
                    c.to_string(),
                    json!(self.changes.get(c).copied().unwrap_or(0)),
                )
            })
            .collect();
        json!({
            "run_id": self.run_id,
            "command": self.command,
            "started_at": rfc3339(self.started),
            "finished_at": rfc3339(self.finished),
            "pcrecon_version": env!("CARGO_PKG_VERSION"),
            "exit_status": self.exit_status,
            "tolerance": self.tolerance,
            "grain": self.rules.grain.iter().map(|k| k.name).collect::<Vec<_>>(),
            "snapshot": self.snapshot,
            "inputs": self.inputs.iter().map(|i| json!({"path": i.path, "kind": i.kind, "sha256": i.sha256})).collect::<Vec<_>>(),
            "counts": self.counts.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
            "totals": totals,
            "explanations": explanations,
            "invoice_checks": checks,
            "line_checks": o.line_checks.height(),
            "rejected_ledger_rows": self.rejected_by_reason,
            "invoice_summaries": self.invoice_summaries.iter().map(summary_json).collect::<Vec<_>>(),
            "previous_run_id": self.previous_run_id,
            "changes": changes,
            "timings_ms": self.timings.iter().map(|(k, d)| (k.to_string(), json!(d.as_millis() as u64))).collect::<serde_json::Map<_, _>>(),
        })
    }

    /// `summary.md`.
    pub(crate) fn to_markdown(&self) -> Result<String> {
        let o = self.outcome;
        let f = |v: i128| money::format_to_cent(v, o.scale);
        let mut md = String::new();
        let verdict = match self.exit_status {
            0 => "nothing outside tolerance",
            1 => "differences outside tolerance were found",
            _ => "see the log",
        };
        let _ = writeln!(md, "# pcrecon run {}\n", self.run_id);
        let _ = writeln!(md, "- exit status: **{}** ({verdict})", self.exit_status);
        let _ = writeln!(
            md,
            "- started {} · finished {}",
            rfc3339(self.started),
            rfc3339(self.finished)
        );
        let _ = writeln!(md, "- snapshot: `{}`", self.snapshot);
        let _ = writeln!(
            md,
            "- tolerance: {} per grain row; grain: {}",
            self.tolerance,
            self.rules
                .grain
                .iter()
                .map(|k| k.name)
                .collect::<Vec<_>>()
                .join(", ")
        );
        for (k, v) in &self.counts {
            let _ = writeln!(md, "- {}: {v}", k.replace('_', " "));
        }
        let _ = writeln!(md, "\n## Totals per currency\n");
        let _ = writeln!(
            md,
            "| currency | status | rows | pc_amount | ledger_amount | difference |\n|---|---|---:|---:|---:|---:|"
        );
        let mut per_currency: BTreeMap<&str, (u64, i128, i128)> = BTreeMap::new();
        for ((cur, st), t) in &o.totals {
            let _ = writeln!(
                md,
                "| {cur} | {} | {} | {} | {} | {} |",
                st.as_str(),
                t.rows,
                f(t.pc_amount),
                f(t.ledger_amount),
                f(t.pc_amount - t.ledger_amount)
            );
            let e = per_currency.entry(cur).or_default();
            e.0 += t.rows;
            e.1 += t.pc_amount;
            e.2 += t.ledger_amount;
        }
        for (cur, (rows, pc, lg)) in &per_currency {
            let _ = writeln!(
                md,
                "| **{cur}** | **all** | **{rows}** | **{}** | **{}** | **{}** |",
                f(*pc),
                f(*lg),
                f(pc - lg)
            );
        }
        let _ = writeln!(md, "\n## Explanations\n");
        if o.explanations.is_empty() {
            let _ = writeln!(md, "none: every grain row matched");
        } else {
            let _ = writeln!(
                md,
                "| currency | explanation | rows | difference |\n|---|---|---:|---:|"
            );
        }
        for ((cur, code), (rows, difference)) in &o.explanations {
            let _ = writeln!(
                md,
                "| {cur} | {} | {rows} | {} |",
                code.as_str(),
                f(*difference)
            );
        }
        let _ = writeln!(md, "\n## Invoice checks\n");
        for (s, n) in &o.invoice_check_counts {
            let _ = writeln!(md, "- {}: {n}", s.as_str());
        }
        let _ = writeln!(
            md,
            "\n## Line checks\n\n- lines whose subtotal breaks Microsoft's formula by more than 0.01: {}",
            o.line_checks.height()
        );
        let _ = writeln!(md, "\n## Rejected ledger rows\n");
        if self.rejected_by_reason.is_empty() {
            let _ = writeln!(md, "none");
        }
        for (r, n) in self.rejected_by_reason {
            let _ = writeln!(md, "- {r}: {n}");
        }
        let _ = writeln!(md, "\n## Top differences\n");
        md.push_str(&top_differences(o, 20)?);
        if !self.invoice_summaries.is_empty() {
            let _ = writeln!(
                md,
                "\n## Account balance per currency (invoice summaries)\n"
            );
            for s in self.invoice_summaries {
                let bal = money_opt(&s.balance_amount);
                let _ = writeln!(
                    md,
                    "- {}: {}",
                    s.currency_code.as_deref().unwrap_or("?"),
                    bal.as_str().unwrap_or("?")
                );
            }
        }
        Ok(md)
    }
}

/// The failing grain rows with the largest |difference|, as a Markdown table.
fn top_differences(o: &Outcome, n: usize) -> Result<String> {
    let pe = |e| Error::polars("summary", e);
    let failing = Status::ALL
        .iter()
        .filter(|s| s.is_failure())
        .map(|s| col("status").eq(lit(s.as_str())))
        .reduce(|a, b| a.or(b))
        .expect("failing statuses");
    let keys: Vec<PlSmallStr> = o
        .reconciliation
        .get_column_names_owned()
        .into_iter()
        .take_while(|c| c != "pc_amount")
        .collect();
    // ties keep the report's order (folded keys): the keys shown are spelled as first seen
    let failing_rows = o
        .reconciliation
        .clone()
        .lazy()
        .filter(failing)
        .collect()
        .map_err(pe)?;
    let top = super::cells::largest_first(failing_rows)?.head(Some(n));
    if top.height() == 0 {
        return Ok("none: every grain row is within tolerance\n".into());
    }
    let mut md = String::new();
    let header: Vec<&str> = keys
        .iter()
        .map(|k| k.as_str())
        .chain([
            "status",
            "pc_amount",
            "ledger_amount",
            "difference",
            "explanation",
        ])
        .collect();
    let _ = writeln!(
        md,
        "| {} |\n|{}|",
        header.join(" | "),
        header.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for i in 0..top.height() {
        let cells: Vec<String> = header
            .iter()
            .map(|h| {
                top.column(h)
                    .and_then(|c| match c.dtype() {
                        DataType::Decimal(..) => c.decimal().map(|d| {
                            d.physical()
                                .get(i)
                                .map(|v| money::format_to_cent(v, d.scale() as u32))
                                .unwrap_or_default()
                        }),
                        _ => c.get(i).map(|v| v.str_value().to_string()),
                    })
                    .map(|s| s.replace('|', "\\|"))
                    .unwrap_or_default()
            })
            .collect();
        let _ = writeln!(md, "| {} |", cells.join(" | "));
    }
    Ok(md)
}
