#!/usr/bin/env python3
"""Reads a pcrecon run folder's Parquet reports and writes the per-currency/status summary in the
format of ../shared/bench/check_results.py, so pcrecon's answer is checked against the generator's
expected.json from the reports themselves (not from pcrecon's own summary.json).

    python pcrecon_summary.py RUN_DIR OUT_JSON        (needs polars)"""
import json
import sys
from decimal import Decimal

import polars as pl


def dec(v) -> str:
    d = Decimal(str(v)) if v is not None else Decimal(0)
    return format(d.normalize(), "f") if d != 0 else "0"


def main() -> None:
    run, out = sys.argv[1], sys.argv[2]
    rec = pl.read_parquet(f"{run}/reconciliation.parquet")
    charges = pl.read_parquet(f"{run}/charges.parquet", columns=["currency", "subtotal"])
    rejected = pl.read_parquet(f"{run}/rejected_ledger_rows.parquet", columns=["reason"])
    per = {}
    for r in charges.group_by("currency").agg(pl.len().alias("n"), pl.col("subtotal").sum().alias("s")).iter_rows(named=True):
        per.setdefault(r["currency"], {"statuses": {}}).update(charges_lines=r["n"], charges_subtotal=dec(r["s"]))
    acc = rec.group_by("currency").agg(pl.col("ledger_rows").sum().alias("n"), pl.col("ledger_amount").sum().alias("s"))
    for r in acc.iter_rows(named=True):
        per.setdefault(r["currency"], {"statuses": {}}).update(ledger_accepted_rows=r["n"], ledger_accepted_amount=dec(r["s"]))
    g = rec.group_by("currency", "status").agg(pl.len().alias("n"), pl.col("pc_amount").sum().alias("pc"),
                                               pl.col("ledger_amount").sum().alias("lg"))
    for r in g.iter_rows(named=True):
        per[r["currency"]]["statuses"][r["status"]] = {"count": r["n"], "pc_amount": dec(r["pc"]), "ledger_amount": dec(r["lg"])}
    reasons = rejected.select(pl.col("reason").str.split(":").list.first().alias("r")).group_by("r").len()
    doc = {"tool": "pcrecon", "per_currency": per, "rejected": {r["r"]: r["len"] for r in reasons.iter_rows(named=True)}}
    with open(out, "w") as fh:
        json.dump(doc, fh, indent=2)


if __name__ == "__main__":
    main()
