//! The TOML config: loading, `PCRECON_<SECTION>_<KEY>` environment overrides, unknown-key errors
//! and path resolution. Each stage owns its section, typed and checked as it is deserialised:
//! [`SourceConfig`] in [`crate::source`], [`PartnerCenterConfig`] in
//! [`crate::source::partner_center`], [`LedgerConfig`] in [`crate::ledger`], [`ReconcileConfig`]
//! in [`crate::reconcile`], [`ReportConfig`] in [`crate::report`]. [`Config::load`] returns a
//! value that needs no further checking.
//!
//! The keys the config accepts and the type of each `PCRECON_*` override are read off the
//! sections' defaults ([`schema`]), so they cannot drift from the structs.
//!
//! Relative paths resolve against the folder holding the config file, or against its parent when
//! that folder is named `config` (so the shipped `config/*.toml` resolve against the project root).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
pub(crate) use crate::ledger::config::LedgerConfig;
pub(crate) use crate::reconcile::config::ReconcileConfig;
pub(crate) use crate::report::config::{FailOn, Formats, ReportConfig};
pub(crate) use crate::source::config::{SourceConfig, SourceKind};
pub(crate) use crate::source::partner_center::config::PartnerCenterConfig;

/// A secret value: its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub(crate) fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The secret itself, for the one place that sends it.
    pub(crate) fn expose(&self) -> &str {
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

/// A bad value found after a section was deserialised (a range, two keys that conflict): the
/// key at fault and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    /// `section.key`.
    pub(crate) key: &'static str,
    /// What is wrong.
    pub(crate) message: String,
}

impl Invalid {
    /// `key` is wrong because of `message`.
    pub(crate) fn new(key: &'static str, message: impl Into<String>) -> Self {
        Invalid {
            key,
            message: message.into(),
        }
    }
}

/// A config value that is one of a few names (`source.kind`, `report.fail_on`, …). Its serde form
/// is the name; [`choice!`] implements it.
pub(crate) trait Choice: Copy + PartialEq + 'static {
    /// Every value with its name in the config, in the order messages list them.
    const CHOICES: &'static [(&'static str, Self)];

    /// The name in the config.
    fn name(self) -> &'static str {
        Self::CHOICES
            .iter()
            .find(|(_, v)| *v == self)
            .map(|(n, _)| *n)
            .expect("every value is in CHOICES")
    }

    /// The value named `text`; the error lists the names allowed, e.g.
    /// `"ftp" is not "snapshot" or "partner_center"`.
    fn parse(text: &str) -> std::result::Result<Self, String> {
        if let Some((_, v)) = Self::CHOICES.iter().find(|(n, _)| *n == text) {
            return Ok(*v);
        }
        let names: Vec<String> = Self::CHOICES
            .iter()
            .map(|(n, _)| format!("{n:?}"))
            .collect();
        let allowed = match names.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        };
        Err(format!("{text:?} is not {allowed}"))
    }
}

/// Implements [`Choice`] for an enum, with serde reading and writing the names:
/// `choice!(FailOn { "difference" => FailOn::Difference, "never" => FailOn::Never });`
macro_rules! choice {
    ($t:ty { $($name:literal => $v:expr),+ $(,)? }) => {
        impl $crate::config::Choice for $t {
            const CHOICES: &'static [(&'static str, Self)] = &[$(($name, $v)),+];
        }
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($crate::config::Choice::name(*self))
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(d)?;
                <$t as $crate::config::Choice>::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use choice;

/// Serde for a config value written as one string and checked by parsing it: serialised as its
/// `as_str()`, deserialised through its `parse(&str) -> Result<Self, String>`.
macro_rules! text_value {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(d)?;
                <$t>::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use text_value;

/// The nearest of `candidates` to `word` when it is close enough to be a typo.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(word, c), c))
        .min()
        .filter(|(d, _)| *d <= 3)
        .map(|(_, c)| c)
}

/// The whole config, after overrides, path resolution and checks.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Config {
    /// `[source]`.
    pub(crate) source: SourceConfig,
    /// `[partner_center]`.
    pub(crate) partner_center: PartnerCenterConfig,
    /// `[ledger]`.
    pub(crate) ledger: LedgerConfig,
    /// `[reconcile]`.
    pub(crate) reconcile: ReconcileConfig,
    /// `[report]`.
    pub(crate) report: ReportConfig,
    /// Folder relative paths were resolved against.
    #[serde(skip)]
    pub(crate) base_dir: PathBuf,
    /// The config file.
    #[serde(skip)]
    pub(crate) path: PathBuf,
}

/// The type of a config value, as its `PCRECON_*` override is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueKind {
    /// Text (also paths, names and decimals written as strings).
    Text,
    /// A whole number.
    Integer,
    /// `true` or `false`.
    Bool,
    /// A list: a TOML array or comma-separated text.
    List,
}

/// One table of the config (`ledger.columns` for the nested one) and its keys.
#[derive(Debug, Clone)]
pub(crate) struct SchemaTable {
    /// `source`, …, `ledger.columns`.
    pub(crate) name: String,
    /// Its keys and their types.
    pub(crate) keys: Vec<(String, ValueKind)>,
}

/// Every table and key the config accepts, read off [`Config::default`] serialised to TOML; a
/// key holding a table (`ledger.columns`) gets its own entry with the ledger's field names.
pub(crate) fn schema() -> Vec<SchemaTable> {
    let defaults = toml::Table::try_from(Config::default()).expect("the defaults serialise");
    let mut tables = Vec::new();
    for (section, value) in defaults {
        let toml::Value::Table(fields) = value else {
            continue;
        };
        let mut keys = Vec::new();
        for (key, v) in fields {
            let kind = match v {
                toml::Value::Integer(_) => ValueKind::Integer,
                toml::Value::Boolean(_) => ValueKind::Bool,
                toml::Value::Array(_) => ValueKind::List,
                toml::Value::Table(_) => {
                    let name = format!("{section}.{key}");
                    tables.push(SchemaTable {
                        keys: nested_keys(&name)
                            .iter()
                            .map(|k| ((*k).to_owned(), ValueKind::Text))
                            .collect(),
                        name,
                    });
                    ValueKind::Text
                }
                _ => ValueKind::Text,
            };
            keys.push((key, kind));
        }
        tables.push(SchemaTable {
            name: section,
            keys,
        });
    }
    tables
}

/// The keys of a table-valued config key, which has no fields of its own to read them from.
fn nested_keys(table: &str) -> Vec<&'static str> {
    match table {
        "ledger.columns" => crate::ledger::field_names().collect(),
        _ => Vec::new(),
    }
}

/// The folder relative config paths resolve against.
pub(crate) fn base_dir_for(config_path: &Path) -> PathBuf {
    let abs = std::path::absolute(config_path).unwrap_or_else(|_| config_path.to_path_buf());
    let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.file_name().is_some_and(|n| n == "config") {
        dir.parent().map(Path::to_path_buf).unwrap_or(dir)
    } else {
        dir
    }
}

impl Config {
    /// Loads `path`, applies `PCRECON_*` overrides from `env`, checks every value and resolves
    /// paths: what it returns needs no further checking.
    pub(crate) fn load(path: &Path, env: &[(String, String)]) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
            file: Some(path.to_path_buf()),
            key: None,
            message: format!(
                "cannot read the config file: {e}; pass --config FILE (the default is config/pcrecon.toml)"
            ),
        })?;
        Config::from_text(path, &text, env)
    }

    /// [`Config::load`] on the text of the config file `path` (already read).
    pub(crate) fn from_text(path: &Path, text: &str, env: &[(String, String)]) -> Result<Config> {
        let file_error = |message: String| Error::Config {
            file: Some(path.to_path_buf()),
            key: None,
            message,
        };
        let mut table: toml::Table = text
            .parse()
            .map_err(|e| file_error(format!("not valid TOML: {e}")))?;
        let schema = schema();
        check_keys(&table, &schema, path)?;
        apply_env(&mut table, env, &schema, path)?;
        let mut cfg = deserialize(table, path)?;
        cfg.path = path.to_path_buf();
        cfg.base_dir = base_dir_for(path);
        cfg.resolve_paths();
        cfg.check()?;
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
        if !self.report.metrics_file.as_os_str().is_empty() {
            r(&mut self.report.metrics_file);
        }
        // ledger globs stay as written: the rejected-rows report shows paths as the patterns spell them
    }

    /// The checks that span keys or need more than one value's type.
    fn check(&self) -> Result<()> {
        let checks = [
            self.source.check(),
            self.partner_center.check(),
            self.ledger.check(),
            // reconcile and report are fully checked by their types
        ];
        for c in checks {
            c.map_err(|i| Error::config_key(&self.path, i.key, i.message))?;
        }
        if self.source.kind == SourceKind::PartnerCenter {
            self.client_secret()?;
        }
        Ok(())
    }

    /// Checks the keys a fetch needs that may stay empty for offline runs.
    pub(crate) fn require_api_identity(&self) -> Result<()> {
        for (k, v) in [
            ("partner_center.tenant_id", &self.partner_center.tenant_id),
            ("partner_center.client_id", &self.partner_center.client_id),
        ] {
            if v.trim().is_empty() {
                return Err(Error::config_key(
                    &self.path,
                    k,
                    "is empty; fetching from Partner Center needs it",
                ));
            }
        }
        Ok(())
    }

    /// The client secret from the variable `client_secret_env` names; an error when unset.
    pub(crate) fn client_secret(&self) -> Result<Secret> {
        let var = &self.partner_center.client_secret_env;
        match std::env::var(var) {
            Ok(v) if !v.is_empty() => Ok(Secret(v)),
            _ => Err(Error::config(format!(
                "the client secret is missing: set the environment variable {var} (named by partner_center.client_secret_env)"
            ))),
        }
    }

    /// The effective config as TOML, secrets redacted (the secret itself never is in the config;
    /// only whether it is set is shown).
    pub(crate) fn to_redacted_toml(&self) -> String {
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

/// Deserialises the checked-for-keys table. serde stops at the first bad value without saying
/// where; when it fails, the keys are tried one at a time so the message names the culprit.
fn deserialize(table: toml::Table, path: &Path) -> Result<Config> {
    let whole = match Config::deserialize(toml::Value::Table(table.clone())) {
        Ok(cfg) => return Ok(cfg),
        Err(e) => e,
    };
    for (section, value) in &table {
        let toml::Value::Table(fields) = value else {
            continue;
        };
        for (key, v) in fields {
            let one: toml::Table = [(
                section.clone(),
                toml::Value::Table([(key.clone(), v.clone())].into_iter().collect()),
            )]
            .into_iter()
            .collect();
            if let Err(e) = Config::deserialize(toml::Value::Table(one)) {
                return Err(Error::config_key(
                    path,
                    &format!("{section}.{key}"),
                    e.message().trim(),
                ));
            }
        }
    }
    Err(Error::Config {
        file: Some(path.to_path_buf()),
        key: None,
        message: whole.to_string().trim().to_owned(),
    })
}

/// Rejects unknown sections and keys, suggesting the nearest known one.
fn check_keys(table: &toml::Table, schema: &[SchemaTable], path: &Path) -> Result<()> {
    let find = |name: &str| schema.iter().find(|t| t.name == name);
    for (section, value) in table {
        let Some(known) = find(section).filter(|_| !section.contains('.')) else {
            let sections = schema
                .iter()
                .map(|t| t.name.as_str())
                .filter(|s| !s.contains('.'));
            return Err(unknown(path, section, sections));
        };
        let toml::Value::Table(fields) = value else {
            return Err(Error::Config {
                file: Some(path.to_path_buf()),
                key: None,
                message: format!("[{section}] must be a table"),
            });
        };
        check_table(fields, known, path)?;
        for (key, v) in fields {
            if let (Some(nested), toml::Value::Table(entries)) =
                (find(&format!("{section}.{key}")), v)
            {
                check_table(entries, nested, path)?;
            }
        }
    }
    Ok(())
}

/// Rejects the keys of `fields` that `known` does not list.
fn check_table(fields: &toml::Table, known: &SchemaTable, path: &Path) -> Result<()> {
    for key in fields.keys() {
        if !known.keys.iter().any(|(k, _)| k == key) {
            let names: Vec<String> = known
                .keys
                .iter()
                .map(|(k, _)| format!("{}.{k}", known.name))
                .collect();
            return Err(unknown(
                path,
                &format!("{}.{key}", known.name),
                names.iter().map(String::as_str),
            ));
        }
    }
    Ok(())
}

fn unknown<'a>(path: &Path, key: &str, candidates: impl IntoIterator<Item = &'a str>) -> Error {
    let hint = did_you_mean(key, candidates)
        .map(|c| format!("; did you mean {c}?"))
        .unwrap_or_default();
    Error::Config {
        file: Some(path.to_path_buf()),
        key: None,
        message: format!("unknown key {key}{hint}"),
    }
}

/// Applies `PCRECON_<SECTION>_<KEY>` overrides (`PCRECON_LEDGER_COLUMNS_<FIELD>` for columns).
fn apply_env(
    table: &mut toml::Table,
    env: &[(String, String)],
    schema: &[SchemaTable],
    path: &Path,
) -> Result<()> {
    for section in schema {
        for (key, kind) in &section.keys {
            let var = format!("PCRECON_{}_{}", section.name.replace('.', "_"), key).to_uppercase();
            let Some((_, raw)) = env.iter().find(|(k, _)| *k == var) else {
                continue;
            };
            let full = format!("{}.{key}", section.name);
            let value = env_value(*kind, raw).map_err(|e| {
                Error::config_key(path, &full, format!("environment variable {var}: {e}"))
            })?;
            let mut t = &mut *table;
            for part in section.name.split('.') {
                t = t
                    .entry(part.to_owned())
                    .or_insert_with(|| toml::Value::Table(Default::default()))
                    .as_table_mut()
                    .ok_or_else(|| Error::Config {
                        file: Some(path.to_path_buf()),
                        key: None,
                        message: format!("[{}] must be a table", section.name),
                    })?;
            }
            t.insert(key.clone(), value);
        }
    }
    Ok(())
}

/// An override's value: lists as TOML arrays or comma-separated, numbers as integers.
fn env_value(kind: ValueKind, raw: &str) -> std::result::Result<toml::Value, String> {
    match kind {
        ValueKind::List if raw.trim_start().starts_with('[') => {
            let t: toml::Table = format!("v = {raw}")
                .parse()
                .map_err(|e| format!("not a TOML array: {e}"))?;
            Ok(t["v"].clone())
        }
        ValueKind::List => Ok(toml::Value::Array(
            raw.split(',')
                .map(|s| toml::Value::String(s.trim().to_owned()))
                .collect(),
        )),
        ValueKind::Integer => raw
            .trim()
            .parse::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| format!("{raw:?} is not a whole number")),
        ValueKind::Bool => raw
            .trim()
            .parse::<bool>()
            .map(toml::Value::Boolean)
            .map_err(|_| format!("{raw:?} is not true or false")),
        ValueKind::Text => Ok(toml::Value::String(raw.to_owned())),
    }
}

/// Loads `toml` as `config/pcrecon.toml` of a temporary project with `env` as the environment
/// (for the config tests of every stage).
#[cfg(test)]
pub(crate) fn load_for_test(toml: &str, env: &[(&str, &str)]) -> Result<Config> {
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

/// The message of a config that must fail to load, after checking that it fails with exit 2
/// naming `key`.
#[cfg(test)]
pub(crate) fn config_error(toml: &str, key: &str) -> String {
    let e = load_for_test(toml, &[]).expect_err(toml);
    assert_eq!(e.exit_code(), 2, "{e}");
    let text = e.to_string();
    assert!(text.contains(key), "{toml}: {text} should name {key}");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::partner_center::config::LineItems;

    #[test]
    fn defaults_and_path_resolution_against_the_project_root() {
        let c = load_for_test("", &[]).unwrap();
        assert_eq!(c.source.kind, SourceKind::Snapshot);
        assert!(c.source.dir.ends_with("sample-data/partner-center"));
        assert!(
            !c.source.dir.to_string_lossy().contains("/config/"),
            "{:?}",
            c.source.dir
        );
        assert_eq!(c.reconcile.rules().tolerance.value, 10i128.pow(16));
    }

    #[test]
    fn unknown_keys_name_the_key_and_suggest() {
        let e = config_error(
            "[reconcile]\ntolerence = \"0.01\"\n",
            "unknown key reconcile.tolerence",
        );
        assert!(e.contains("did you mean reconcile.tolerance?"), "{e}");
        let e = config_error("[reprot]\n", "unknown key reprot");
        assert!(e.contains("did you mean report?"), "{e}");
        let e = config_error(
            "[ledger.columns]\nammount = \"Belopp\"\n",
            "ledger.columns.ammount",
        );
        assert!(e.contains("did you mean ledger.columns.amount?"), "{e}");
        let e = config_error("[partner_center]\nmax_concurency = 2\n", "unknown key");
        assert!(
            e.contains("did you mean partner_center.max_concurrency?"),
            "{e}"
        );
        config_error("[source]\nkind = \"snapshot\"\n[source.x]\n", "source.x");
    }

    #[test]
    fn the_schema_comes_from_the_types() {
        let s = schema();
        let keys = |t: &str| -> Vec<(String, ValueKind)> {
            s.iter().find(|x| x.name == t).expect(t).keys.clone()
        };
        let names: Vec<&str> = s.iter().map(|t| t.name.as_str()).collect();
        for t in [
            "source",
            "partner_center",
            "ledger",
            "ledger.columns",
            "reconcile",
            "report",
        ] {
            assert!(names.contains(&t), "{names:?}");
        }
        assert!(keys("partner_center").contains(&("page_size".into(), ValueKind::Integer)));
        assert!(keys("partner_center").contains(&("statement_pdf".into(), ValueKind::Bool)));
        assert!(keys("reconcile").contains(&("grain".into(), ValueKind::List)));
        assert!(keys("reconcile").contains(&("tolerance".into(), ValueKind::Text)));
        assert!(keys("report").contains(&("formats".into(), ValueKind::List)));
        assert_eq!(keys("ledger.columns").len(), crate::ledger::FIELDS.len());
    }

    #[test]
    fn environment_overrides_by_type() {
        let c = load_for_test(
            "[report]\nout_dir = \"a\"\n",
            &[
                ("PCRECON_REPORT_OUT_DIR", "/tmp/x"),
                ("PCRECON_LEDGER_PATHS", "a.csv, b.csv"),
                ("PCRECON_REPORT_FORMATS", "[\"parquet\"]"),
                ("PCRECON_PARTNER_CENTER_MAX_CONCURRENCY", "8"),
                ("PCRECON_PARTNER_CENTER_STATEMENT_PDF", "true"),
                ("PCRECON_LEDGER_COLUMNS_AMOUNT", "Belopp"),
                ("PCRECON_RECONCILE_TOLERANCE", "0.5"),
                ("PCRECON_CLIENT_SECRET", "not-a-config-key"),
            ],
        )
        .unwrap();
        assert_eq!(c.report.out_dir, PathBuf::from("/tmp/x"));
        assert_eq!(c.ledger.paths, vec!["a.csv", "b.csv"]);
        assert_eq!(
            c.report.formats,
            Formats {
                csv: false,
                parquet: true,
                html: false,
                xlsx: false,
            }
        );
        assert_eq!(c.partner_center.max_concurrency, 8);
        assert!(c.partner_center.statement_pdf);
        assert_eq!(c.ledger.column("amount"), "Belopp");
        assert_eq!(c.ledger.column("currency"), "currency");
        assert_eq!(c.reconcile.tolerance.as_str(), "0.5");
    }

    #[test]
    fn bad_environment_overrides_name_the_variable_and_the_key() {
        for (var, value, key) in [
            (
                "PCRECON_PARTNER_CENTER_MAX_ATTEMPTS",
                "many",
                "partner_center.max_attempts",
            ),
            (
                "PCRECON_PARTNER_CENTER_STATEMENT_PDF",
                "yes",
                "partner_center.statement_pdf",
            ),
            ("PCRECON_REPORT_FORMATS", "[csv", "report.formats"),
            ("PCRECON_REPORT_FAIL_ON", "always", "report.fail_on"),
        ] {
            let e = load_for_test("", &[(var, value)]).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            let e = e.to_string();
            assert!(e.contains(key), "{var}: {e}");
            if key != "report.fail_on" {
                assert!(e.contains(var), "{var}: {e}");
            }
        }
    }

    #[test]
    fn wrong_value_types_name_the_key() {
        let e = config_error("[reconcile]\ntolerance = 0.01", "reconcile.tolerance");
        assert!(e.contains("expected a string"), "{e}");
        let e = config_error(
            "[partner_center]\nmax_concurrency = \"four\"",
            "partner_center.max_concurrency",
        );
        assert!(e.contains("expected u32"), "{e}");
        config_error("[ledger]\npaths = \"a.csv\"", "ledger.paths");
    }

    #[test]
    fn check_config_prints_the_typed_values_as_written() {
        let c = load_for_test(
            "[ledger]\ndelimiter = \"\\\\t\"\ndecimal_separator = \",\"\n[reconcile]\ntolerance = \"0.010\"\n[report]\nfail_on = \"never\"\n",
            &[],
        )
        .unwrap();
        let t = c.to_redacted_toml();
        for line in [
            "kind = \"snapshot\"",
            "line_items = \"auto\"",
            "delimiter = '\\t'",
            "decimal_separator = \",\"",
            "date_format = \"%Y-%m-%d\"",
            "tolerance = \"0.010\"",
            "fail_on = \"never\"",
            "\"parquet\",",
        ] {
            assert!(t.contains(line), "{line}: {t}");
        }
    }

    #[test]
    fn choices_list_the_allowed_names() {
        assert_eq!(
            LineItems::parse("v3").unwrap_err(),
            r#""v3" is not "auto", "v1" or "v2""#
        );
        assert_eq!(FailOn::parse("never"), Ok(FailOn::Never));
        assert_eq!(SourceKind::PartnerCenter.name(), "partner_center");
    }

    #[test]
    fn secrets_are_redacted() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
    }
}
