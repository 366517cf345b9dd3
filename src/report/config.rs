//! `[report]`: where the run folders go, which formats are written, and which outcome fails the
//! run.

use std::path::PathBuf;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One report file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `.csv` (formula-safe).
    Csv,
    /// `.parquet`.
    Parquet,
    /// `report.html`, the self-contained page for analysts.
    Html,
    /// `report.xlsx`, the workbook for analysts.
    Xlsx,
}

crate::config::choice!(Format {
    "csv" => Format::Csv,
    "parquet" => Format::Parquet,
    "html" => Format::Html,
    "xlsx" => Format::Xlsx,
});

/// Which report formats to write (`report.formats`: at least one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Formats {
    /// Write `.csv`.
    pub(crate) csv: bool,
    /// Write `.parquet`.
    pub(crate) parquet: bool,
    /// Write `report.html`.
    pub(crate) html: bool,
    /// Write `report.xlsx`.
    pub(crate) xlsx: bool,
}

impl Default for Formats {
    fn default() -> Self {
        Formats {
            csv: true,
            parquet: true,
            html: false,
            xlsx: false,
        }
    }
}

impl Serialize for Formats {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let on = [
            (self.csv, Format::Csv),
            (self.parquet, Format::Parquet),
            (self.html, Format::Html),
            (self.xlsx, Format::Xlsx),
        ];
        s.collect_seq(on.into_iter().filter(|(on, _)| *on).map(|(_, f)| f))
    }
}

impl<'de> Deserialize<'de> for Formats {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let list = Vec::<Format>::deserialize(d)?;
        if list.is_empty() {
            return Err(serde::de::Error::custom("lists no format"));
        }
        Ok(Formats {
            csv: list.contains(&Format::Csv),
            parquet: list.contains(&Format::Parquet),
            html: list.contains(&Format::Html),
            xlsx: list.contains(&Format::Xlsx),
        })
    }
}

/// Which outcome makes the run exit 1 (`report.fail_on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailOn {
    /// Any grain row outside tolerance.
    Difference,
    /// Nothing: the run exits 0 whatever it finds.
    Never,
}

crate::config::choice!(FailOn {
    "difference" => FailOn::Difference,
    "never" => FailOn::Never,
});

/// `[report]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct ReportConfig {
    /// Where run folders are written.
    pub(crate) out_dir: PathBuf,
    /// Which of `csv`, `parquet`, `html`, `xlsx` to write.
    pub(crate) formats: Formats,
    /// `difference` or `never`.
    pub(crate) fail_on: FailOn,
    /// Run folders kept in `out_dir` after a publish (0 = keep all).
    pub(crate) keep_runs: u32,
    /// The Prometheus textfile rewritten after every run (empty = none).
    pub(crate) metrics_file: PathBuf,
    /// Also write `charges` as a Hive-partitioned Parquet dataset (`charges/billing_month=…/currency=…/`).
    pub(crate) partitioned: bool,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            out_dir: "reports".into(),
            formats: Formats::default(),
            fail_on: FailOn::Difference,
            keep_runs: 0,
            metrics_file: PathBuf::new(),
            partitioned: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{config_error, load_for_test};

    #[test]
    fn bad_values_name_the_key_and_the_allowed_ones() {
        let e = config_error("[report]\nformats = [\"pdf\"]", "report.formats");
        assert!(
            e.contains(r#""pdf" is not "csv", "parquet", "html" or "xlsx""#),
            "{e}"
        );
        config_error("[report]\nformats = []", "report.formats: lists no format");
        let e = config_error("[report]\nfail_on = \"always\"", "report.fail_on");
        assert!(
            e.contains(r#""always" is not "difference" or "never""#),
            "{e}"
        );
    }

    #[test]
    fn formats_and_fail_on_are_typed() {
        let c = load_for_test(
            "[report]\nformats = [\"parquet\", \"xlsx\"]\nfail_on = \"never\"",
            &[],
        )
        .unwrap();
        assert_eq!(
            c.report.formats,
            Formats {
                csv: false,
                parquet: true,
                html: false,
                xlsx: true,
            }
        );
        assert_eq!(c.report.fail_on, FailOn::Never);
    }
}
