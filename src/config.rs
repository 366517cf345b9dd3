//! The TOML config: every key of the contract, defaults, `PCRECON_<SECTION>_<KEY>` environment
//! overrides, validation that names the key, and path resolution.
//!
//! Relative paths resolve against the folder holding the config file, or against its parent when
//! that folder is named `config` (so the shipped `config/*.toml` resolve against the project root).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ledger::{self, LedgerFormat};
use crate::money::{self, Scaled};
use crate::reconcile::{self, GrainKey, Rules};

/// Every section and key the config accepts (`ledger.columns` takes the ledger's field names).
const SCHEMA: &[(&str, &[&str])] = &[
    ("source", &["kind", "dir", "snapshot_dir"]),
    (
        "partner_center",
        &[
            "api_base",
            "graph_base",
            "authority",
            "tenant_id",
            "client_id",
            "client_secret_env",
            "refresh_token_file",
            "line_items",
            "max_concurrency",
            "page_size",
            "max_attempts",
            "request_timeout_secs",
            "export_deadline_secs",
            "statement_pdf",
        ],
    ),
    (
        "ledger",
        &[
            "paths",
            "delimiter",
            "decimal_separator",
            "date_format",
            "columns",
        ],
    ),
    ("ledger.columns", &ledger::FIELDS),
    ("reconcile", &["tolerance", "grain"]),
    ("report", &["out_dir", "formats", "fail_on"]),
];

/// A secret value: its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// `[source]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourceConfig {
    /// `snapshot` or `partner_center`.
    pub kind: String,
    /// Snapshot folder read when `kind = "snapshot"`.
    pub dir: PathBuf,
    /// Where `run` keeps fetched snapshots (`kind = "partner_center"`).
    pub snapshot_dir: PathBuf,
}

impl Default for SourceConfig {
    fn default() -> Self {
        SourceConfig {
            kind: "snapshot".into(),
            dir: "sample-data/partner-center".into(),
            snapshot_dir: "snapshots".into(),
        }
    }
}

/// `[partner_center]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PartnerCenterConfig {
    /// Partner Center REST base URL.
    pub api_base: String,
    /// Microsoft Graph base URL (v2 exports).
    pub graph_base: String,
    /// Entra authority.
    pub authority: String,
    /// Partner tenant.
    pub tenant_id: String,
    /// App (client) id.
    pub client_id: String,
    /// Name of the environment variable holding the client secret.
    pub client_secret_env: String,
    /// File holding the App+User refresh token (rewritten with the newest one).
    pub refresh_token_file: PathBuf,
    /// `auto`, `v1` or `v2`.
    pub line_items: String,
    /// Concurrent requests across the whole fetch.
    pub max_concurrency: u32,
    /// Line items per v1 page (the API's maximum is 2000).
    pub page_size: u32,
    /// Attempts per request before the fetch fails (exit 4).
    pub max_attempts: u32,
    /// Timeout of one HTTP request.
    pub request_timeout_secs: u64,
    /// How long a Graph export may take before the fetch gives up.
    pub export_deadline_secs: u64,
    /// Also download each invoice's statement PDF (App+User).
    pub statement_pdf: bool,
}

impl Default for PartnerCenterConfig {
    fn default() -> Self {
        PartnerCenterConfig {
            api_base: "https://api.partnercenter.microsoft.com".into(),
            graph_base: "https://graph.microsoft.com/v1.0".into(),
            authority: "https://login.microsoftonline.com".into(),
            tenant_id: String::new(),
            client_id: String::new(),
            client_secret_env: "PCRECON_CLIENT_SECRET".into(),
            refresh_token_file: "secrets/refresh-token".into(),
            line_items: "auto".into(),
            max_concurrency: 4,
            page_size: 2000,
            max_attempts: 6,
            request_timeout_secs: 180,
            export_deadline_secs: 3600,
            statement_pdf: false,
        }
    }
}

/// `[ledger]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LedgerConfig {
    /// Files or globs.
    pub paths: Vec<String>,
    /// One character.
    pub delimiter: String,
    /// `.` or `,`.
    pub decimal_separator: String,
    /// chrono format.
    pub date_format: String,
    /// Contract field → column name in the file.
    pub columns: BTreeMap<String, String>,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        LedgerConfig {
            paths: vec!["sample-data/ledger/*.csv".into()],
            delimiter: ",".into(),
            decimal_separator: ".".into(),
            date_format: "%Y-%m-%d".into(),
            columns: BTreeMap::new(),
        }
    }
}

/// `[reconcile]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReconcileConfig {
    /// Absolute tolerance per grain row (a decimal string).
    pub tolerance: String,
    /// Grain keys.
    pub grain: Vec<String>,
}

impl Default for ReconcileConfig {
    fn default() -> Self {
        ReconcileConfig {
            tolerance: "0.01".into(),
            grain: reconcile::DEFAULT_GRAIN
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

/// `[report]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportConfig {
    /// Where run folders are written.
    pub out_dir: PathBuf,
    /// `csv` and/or `parquet`.
    pub formats: Vec<String>,
    /// `difference` or `never`.
    pub fail_on: String,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            out_dir: "reports".into(),
            formats: vec!["csv".into(), "parquet".into()],
            fail_on: "difference".into(),
        }
    }
}

/// The whole config, after overrides, path resolution and validation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `[source]`.
    pub source: SourceConfig,
    /// `[partner_center]`.
    pub partner_center: PartnerCenterConfig,
    /// `[ledger]`.
    pub ledger: LedgerConfig,
    /// `[reconcile]`.
    pub reconcile: ReconcileConfig,
    /// `[report]`.
    pub report: ReportConfig,
    /// Folder relative paths were resolved against.
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// The config file.
    #[serde(skip)]
    pub path: PathBuf,
}

/// Which report formats to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    /// Write `.csv`.
    pub csv: bool,
    /// Write `.parquet`.
    pub parquet: bool,
}

/// The folder relative config paths resolve against.
pub fn base_dir_for(config_path: &Path) -> PathBuf {
    let abs = std::path::absolute(config_path).unwrap_or_else(|_| config_path.to_path_buf());
    let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.file_name().is_some_and(|n| n == "config") {
        dir.parent().map(Path::to_path_buf).unwrap_or(dir)
    } else {
        dir
    }
}

impl Config {
    /// Loads `path`, applies `PCRECON_*` overrides from `env`, resolves paths and validates.
    pub fn load(path: &Path, env: &[(String, String)]) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Config(format!(
                "cannot read the config file {}: {e}; pass --config FILE (the default is config/pcrecon.toml)",
                path.display()
            ))
        })?;
        let mut table: toml::Table = text
            .parse()
            .map_err(|e| Error::Config(format!("{} is not valid TOML: {e}", path.display())))?;
        check_keys(&table, path)?;
        apply_env(&mut table, env)?;
        let mut cfg: Config = Config::deserialize(toml::Value::Table(table))
            .map_err(|e| Error::Config(format!("{}: {}", path.display(), e.to_string().trim())))?;
        cfg.path = path.to_path_buf();
        cfg.base_dir = base_dir_for(path);
        cfg.resolve_paths();
        cfg.validate()?;
        Ok(cfg)
    }

    fn resolve_paths(&mut self) {
        let base = self.base_dir.clone();
        let r = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        r(&mut self.source.dir);
        r(&mut self.source.snapshot_dir);
        r(&mut self.partner_center.refresh_token_file);
        r(&mut self.report.out_dir);
        // ledger globs stay as written: the rejected-rows report shows paths as the patterns spell them
    }

    fn validate(&self) -> Result<()> {
        let bad = |key: &str, msg: String| {
            Err(Error::Config(format!(
                "{}: {key}: {msg}",
                self.path.display()
            )))
        };
        if !["snapshot", "partner_center"].contains(&self.source.kind.as_str()) {
            return bad(
                "source.kind",
                format!(
                    "{:?} is not \"snapshot\" or \"partner_center\"",
                    self.source.kind
                ),
            );
        }
        if !["auto", "v1", "v2"].contains(&self.partner_center.line_items.as_str()) {
            return bad(
                "partner_center.line_items",
                format!(
                    "{:?} is not \"auto\", \"v1\" or \"v2\"",
                    self.partner_center.line_items
                ),
            );
        }
        for (key, v) in [
            (
                "partner_center.max_concurrency",
                self.partner_center.max_concurrency as u64,
            ),
            (
                "partner_center.max_attempts",
                self.partner_center.max_attempts as u64,
            ),
            (
                "partner_center.request_timeout_secs",
                self.partner_center.request_timeout_secs,
            ),
        ] {
            if v == 0 {
                return bad(key, "must be at least 1".into());
            }
        }
        if self.ledger.paths.is_empty() {
            return bad("ledger.paths", "lists no ledger file".into());
        }
        if !(1..=2000).contains(&self.partner_center.page_size) {
            return bad(
                "partner_center.page_size",
                format!(
                    "{} is not between 1 and 2000",
                    self.partner_center.page_size
                ),
            );
        }
        self.ledger_format()?;
        self.rules()?;
        self.formats()?;
        if !["difference", "never"].contains(&self.report.fail_on.as_str()) {
            return bad(
                "report.fail_on",
                format!(
                    "{:?} is not \"difference\" or \"never\"",
                    self.report.fail_on
                ),
            );
        }
        if self.source.kind == "partner_center" {
            self.client_secret()?;
        }
        Ok(())
    }

    /// Checks the keys a fetch needs that may stay empty for offline runs.
    pub fn require_api_identity(&self) -> Result<()> {
        for (k, v) in [
            ("partner_center.tenant_id", &self.partner_center.tenant_id),
            ("partner_center.client_id", &self.partner_center.client_id),
        ] {
            if v.trim().is_empty() {
                return Err(Error::Config(format!(
                    "{}: {k} is empty; fetching from Partner Center needs it",
                    self.path.display()
                )));
            }
        }
        Ok(())
    }

    /// The client secret from the variable `client_secret_env` names; an error when unset.
    pub fn client_secret(&self) -> Result<Secret> {
        let var = &self.partner_center.client_secret_env;
        match std::env::var(var) {
            Ok(v) if !v.is_empty() => Ok(Secret(v)),
            _ => Err(Error::Config(format!(
                "the client secret is missing: set the environment variable {var} (named by partner_center.client_secret_env)"
            ))),
        }
    }

    /// `[ledger]` as the ledger reader wants it.
    pub fn ledger_format(&self) -> Result<LedgerFormat> {
        let bad = |key: &str, msg: String| {
            Error::Config(format!("{}: {key}: {msg}", self.path.display()))
        };
        let d = &self.ledger.delimiter;
        let delimiter = match d.as_bytes() {
            [b] if d.is_ascii() && *b != b'"' && *b != b'\n' && *b != b'\r' => *b,
            _ if d == "\\t" => b'\t',
            _ => {
                return Err(bad(
                    "ledger.delimiter",
                    format!("{d:?} is not one ASCII character"),
                ));
            }
        };
        let decimal_separator = match self.ledger.decimal_separator.as_str() {
            "." => '.',
            "," => ',',
            other => {
                return Err(bad(
                    "ledger.decimal_separator",
                    format!("{other:?} is not \".\" or \",\""),
                ));
            }
        };
        if decimal_separator == ',' && delimiter == b',' {
            return Err(bad(
                "ledger.delimiter",
                "\",\" cannot be both the delimiter and the decimal separator".into(),
            ));
        }
        let fmt = &self.ledger.date_format;
        let probe = chrono::NaiveDate::from_ymd_opt(2025, 3, 9).expect("date");
        let ok = chrono::format::StrftimeItems::new(fmt)
            .all(|i| !matches!(i, chrono::format::Item::Error))
            && chrono::NaiveDate::parse_from_str(&probe.format(fmt).to_string(), fmt) == Ok(probe);
        if !ok {
            return Err(bad(
                "ledger.date_format",
                format!(
                    "{fmt:?} is not a chrono date format that round-trips a date (e.g. \"%Y-%m-%d\")"
                ),
            ));
        }
        let mut columns = BTreeMap::new();
        for f in ledger::FIELDS {
            columns.insert(
                f.to_owned(),
                self.ledger
                    .columns
                    .get(f)
                    .cloned()
                    .unwrap_or_else(|| f.to_owned()),
            );
        }
        Ok(LedgerFormat {
            delimiter,
            decimal_separator,
            date_format: fmt.clone(),
            dates: ledger::DateParser::new(fmt),
            columns,
        })
    }

    /// Grain and tolerance.
    pub fn rules(&self) -> Result<Rules> {
        let bad = |key: &str, msg: String| {
            Error::Config(format!("{}: {key}: {msg}", self.path.display()))
        };
        let t = self.reconcile.tolerance.trim();
        let tolerance: Scaled = money::parse_decimal(t, money::MONEY_SCALE, false)
            .ok()
            .filter(|s| s.value >= 0)
            .ok_or_else(|| {
                bad(
                    "reconcile.tolerance",
                    format!("{t:?} is not a non-negative decimal such as \"0.01\""),
                )
            })?;
        let mut grain: Vec<GrainKey> = Vec::new();
        for name in &self.reconcile.grain {
            let k = reconcile::grain_key(name.trim()).ok_or_else(|| {
                let names: Vec<&str> = reconcile::GRAIN_KEYS.iter().map(|k| k.name).collect();
                bad(
                    "reconcile.grain",
                    format!("{name:?} is not a grain key; use some of {names:?}"),
                )
            })?;
            if grain.contains(&k) {
                return Err(bad("reconcile.grain", format!("{name:?} is listed twice")));
            }
            grain.push(k);
        }
        for must in ["invoice_id", "currency"] {
            if !grain.iter().any(|k| k.name == must) {
                return Err(bad(
                    "reconcile.grain",
                    format!(
                        "must include {must:?} (currencies are never added together; statuses need the invoice)"
                    ),
                ));
            }
        }
        Ok(Rules { grain, tolerance })
    }

    /// `[report] formats`.
    pub fn formats(&self) -> Result<Formats> {
        let mut f = Formats {
            csv: false,
            parquet: false,
        };
        for x in &self.report.formats {
            match x.as_str() {
                "csv" => f.csv = true,
                "parquet" => f.parquet = true,
                other => {
                    return Err(Error::Config(format!(
                        "{}: report.formats: {other:?} is not \"csv\" or \"parquet\"",
                        self.path.display()
                    )));
                }
            }
        }
        if !f.csv && !f.parquet {
            return Err(Error::Config(format!(
                "{}: report.formats: lists no format",
                self.path.display()
            )));
        }
        Ok(f)
    }

    /// The effective config as TOML, secrets redacted (the secret itself never is in the config;
    /// only whether it is set is shown).
    pub fn to_redacted_toml(&self) -> String {
        let body = toml::to_string_pretty(self).unwrap_or_default();
        let secret = match self.client_secret() {
            Ok(_) => "set (***)",
            Err(_) => "not set",
        };
        format!(
            "# effective config from {} (relative paths resolved against {})\n# client secret ({}): {secret}\n{body}",
            self.path.display(),
            self.base_dir.display(),
            self.partner_center.client_secret_env
        )
    }
}

/// Rejects unknown sections and keys, suggesting the nearest known one.
fn check_keys(table: &toml::Table, path: &Path) -> Result<()> {
    let known_sections: Vec<&str> = SCHEMA
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| !s.contains('.'))
        .collect();
    for (section, value) in table {
        let Some((_, keys)) = SCHEMA.iter().find(|(s, _)| s == section) else {
            return Err(unknown(path, section, &known_sections));
        };
        let toml::Value::Table(t) = value else {
            return Err(Error::Config(format!(
                "{}: [{section}] must be a table",
                path.display()
            )));
        };
        for (key, v) in t {
            let full = format!("{section}.{key}");
            if !keys.contains(&key.as_str()) {
                let names: Vec<String> = keys.iter().map(|k| format!("{section}.{k}")).collect();
                return Err(unknown(
                    path,
                    &full,
                    &names.iter().map(String::as_str).collect::<Vec<_>>(),
                ));
            }
            if let (Some((_, sub)), toml::Value::Table(st)) =
                (SCHEMA.iter().find(|(s, _)| *s == full), v)
            {
                for k in st.keys() {
                    if !sub.contains(&k.as_str()) {
                        let names: Vec<String> =
                            sub.iter().map(|x| format!("{full}.{x}")).collect();
                        return Err(unknown(
                            path,
                            &format!("{full}.{k}"),
                            &names.iter().map(String::as_str).collect::<Vec<_>>(),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

fn unknown(path: &Path, key: &str, candidates: &[&str]) -> Error {
    let best = candidates
        .iter()
        .map(|c| (strsim::levenshtein(key, c), *c))
        .min()
        .filter(|(d, _)| *d <= 3)
        .map(|(_, c)| format!("; did you mean {c}?"))
        .unwrap_or_default();
    Error::Config(format!("{}: unknown key {key}{best}", path.display()))
}

/// Applies `PCRECON_<SECTION>_<KEY>` overrides (`PCRECON_LEDGER_COLUMNS_<FIELD>` for columns).
fn apply_env(table: &mut toml::Table, env: &[(String, String)]) -> Result<()> {
    for (section, keys) in SCHEMA {
        for key in *keys {
            let var = format!("PCRECON_{}_{}", section.replace('.', "_"), key).to_uppercase();
            let Some((_, raw)) = env.iter().find(|(k, _)| *k == var) else {
                continue;
            };
            let value = env_value(section, key, raw)
                .map_err(|e| Error::Config(format!("environment variable {var}: {e}")))?;
            let mut t = &mut *table;
            for part in section.split('.') {
                t = t
                    .entry(part.to_owned())
                    .or_insert_with(|| toml::Value::Table(Default::default()))
                    .as_table_mut()
                    .ok_or_else(|| Error::Config(format!("[{section}] must be a table")))?;
            }
            t.insert((*key).to_owned(), value);
        }
    }
    Ok(())
}

/// An override's value: lists as TOML arrays or comma-separated, numbers as integers.
fn env_value(section: &str, key: &str, raw: &str) -> std::result::Result<toml::Value, String> {
    let list = matches!(
        (section, key),
        ("ledger", "paths") | ("report", "formats") | ("reconcile", "grain")
    );
    if list {
        if raw.trim_start().starts_with('[') {
            let t: toml::Table = format!("v = {raw}")
                .parse()
                .map_err(|e| format!("not a TOML array: {e}"))?;
            return Ok(t["v"].clone());
        }
        return Ok(toml::Value::Array(
            raw.split(',')
                .map(|s| toml::Value::String(s.trim().to_owned()))
                .collect(),
        ));
    }
    if matches!(
        key,
        "max_concurrency"
            | "page_size"
            | "max_attempts"
            | "request_timeout_secs"
            | "export_deadline_secs"
    ) {
        return raw
            .trim()
            .parse::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| format!("{raw:?} is not a whole number"));
    }
    if key == "statement_pdf" {
        return raw
            .trim()
            .parse::<bool>()
            .map(toml::Value::Boolean)
            .map_err(|_| format!("{raw:?} is not true or false"));
    }

    Ok(toml::Value::String(raw.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(toml: &str, env: &[(&str, &str)]) -> Result<Config> {
        let dir = tempfile::tempdir().unwrap();
        let cfg_dir = dir.path().join("config");
        std::fs::create_dir(&cfg_dir).unwrap();
        let p = cfg_dir.join("pcrecon.toml");
        std::fs::write(&p, toml).unwrap();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        Config::load(&p, &env)
    }

    #[test]
    fn defaults_and_path_resolution_against_the_project_root() {
        let c = load("", &[]).unwrap();
        assert_eq!(c.source.kind, "snapshot");
        assert!(c.source.dir.ends_with("sample-data/partner-center"));
        assert!(
            !c.source.dir.to_string_lossy().contains("/config/"),
            "{:?}",
            c.source.dir
        );
        assert_eq!(c.rules().unwrap().tolerance.value, 10i128.pow(16));
    }

    #[test]
    fn unknown_keys_name_the_key_and_suggest() {
        let e = load("[reconcile]\ntolerence = \"0.01\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("reconcile.tolerence") && e.contains("did you mean reconcile.tolerance"),
            "{e}"
        );
        let e = load("[reprot]\n", &[]).unwrap_err().to_string();
        assert!(e.contains("did you mean report"), "{e}");
        let e = load("[ledger.columns]\nammount = \"Belopp\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("ledger.columns.ammount"), "{e}");
    }

    #[test]
    fn bad_values_name_the_key() {
        for (toml, key) in [
            ("[reconcile]\ntolerance = \"-1\"", "reconcile.tolerance"),
            ("[reconcile]\ngrain = [\"customer_id\"]", "reconcile.grain"),
            ("[ledger]\ndelimiter = \";;\"", "ledger.delimiter"),
            (
                "[ledger]\ndecimal_separator = \"'\"",
                "ledger.decimal_separator",
            ),
            ("[ledger]\ndate_format = \"%Q\"", "ledger.date_format"),
            ("[report]\nformats = [\"xlsx\"]", "report.formats"),
            ("[source]\nkind = \"ftp\"", "source.kind"),
        ] {
            let e = load(toml, &[]).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(e.to_string().contains(key), "{toml}: {e}");
        }
        let e = load("[reconcile]\ntolerance = 0.01", &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("tolerance"), "{e}");
    }

    #[test]
    fn environment_overrides() {
        let c = load(
            "[report]\nout_dir = \"a\"\n",
            &[
                ("PCRECON_REPORT_OUT_DIR", "/tmp/x"),
                ("PCRECON_LEDGER_PATHS", "a.csv, b.csv"),
                ("PCRECON_PARTNER_CENTER_MAX_CONCURRENCY", "8"),
                ("PCRECON_LEDGER_COLUMNS_AMOUNT", "Belopp"),
                ("PCRECON_CLIENT_SECRET", "not-a-config-key"),
            ],
        )
        .unwrap();
        assert_eq!(c.report.out_dir, PathBuf::from("/tmp/x"));
        assert_eq!(c.ledger.paths, vec!["a.csv", "b.csv"]);
        assert_eq!(c.partner_center.max_concurrency, 8);
        assert_eq!(c.ledger_format().unwrap().columns["amount"], "Belopp");
    }

    #[test]
    fn secrets_are_redacted() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
    }
}
