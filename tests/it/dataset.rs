//! `[report] partitioned = true`: the charges also as a Hive-partitioned Parquet dataset, read
//! back as one table with polars' hive scan, the way DuckDB, Spark or Fabric would read it.

use polars::prelude::*;

use crate::common::*;

#[test]
fn charges_dataset_reads_back_as_one_table_per_month_and_currency() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = pcrecon_env(
        &["run", "--out", out.to_str().unwrap(), "-q"],
        &[("PCRECON_REPORT_PARTITIONED", "true")],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let run = out.join("latest");
    let pattern = run.join("charges/**/*.parquet");
    let args = ScanArgsParquet {
        hive_options: HiveOptions::new_enabled(),
        glob: true,
        ..ScanArgsParquet::default()
    };
    let per_partition = |lf: LazyFrame, month: Expr| {
        lf.group_by([month.alias("billing_month"), col("currency")])
            .agg([
                len().alias("lines"),
                col("subtotal").sum().alias("subtotal"),
            ])
            .sort(["billing_month", "currency"], Default::default())
            .collect()
            .unwrap()
    };
    let dataset = per_partition(
        LazyFrame::scan_parquet(PlRefPath::new(pattern.to_str().unwrap()), args).unwrap(),
        col("billing_month").cast(DataType::String),
    );
    // lines per invoice, from sample-data/README.md: B (2024-01, EUR) 10, A (2024-11, USD) 9,
    // C and its credit note E (2025-03, EUR) 15 + 1, D (2025-03, USD) 9
    let text = |name: &str| -> Vec<String> {
        dataset
            .column(name)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.unwrap().to_owned())
            .collect()
    };
    let (months, currencies) = (text("billing_month"), text("currency"));
    let lines: Vec<u32> = dataset
        .column("lines")
        .unwrap()
        .u32()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_eq!(months, ["2024-01", "2024-11", "2025-03", "2025-03"]);
    assert_eq!(currencies, ["EUR", "USD", "EUR", "USD"]);
    assert_eq!(lines, [10, 9, 16, 9]);
    // the same sums as the charges report, partition by partition (exact decimals)
    let report = per_partition(
        LazyFrame::scan_parquet(
            PlRefPath::new(run.join("charges.parquet").to_str().unwrap()),
            ScanArgsParquet::default(),
        )
        .unwrap(),
        col("invoice_date").dt().strftime("%Y-%m"),
    );
    assert!(
        dataset.equals_missing(&report),
        "dataset\n{dataset}\nreport\n{report}"
    );
    // currency is the folder's, not repeated in the files
    let file = run.join("charges/billing_month=2024-01/currency=EUR/part-00000.parquet");
    let part = ParquetReader::new(std::fs::File::open(file).unwrap())
        .finish()
        .unwrap();
    assert_eq!(part.height(), 10);
    assert!(part.column("currency").is_err());
    assert!(part.column("subtotal").is_ok());
}
