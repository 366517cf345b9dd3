//! `[ledger]`: which files, and how they spell fields, numbers and dates; checked as it is read
//! (the delimiter is one byte, the date format compiled).

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::NaiveDate;
use chrono::format::{Item, StrftimeItems};
use serde::{Deserialize, Serialize};

use crate::config::Invalid;

/// The field delimiter (`ledger.delimiter`): one ASCII character other than a quote or a line
/// break, or `\t` written out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Delimiter {
    /// As written: check-config shows it so.
    text: String,
    byte: u8,
}

impl Delimiter {
    /// Parses the config's text.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let byte = match text.as_bytes() {
            [b] if text.is_ascii() && !matches!(b, b'"' | b'\n' | b'\r') => *b,
            _ if text == "\\t" => b'\t',
            _ => return Err(format!("{text:?} is not one ASCII character")),
        };
        Ok(Delimiter {
            text: text.to_owned(),
            byte,
        })
    }

    /// The delimiter as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// The delimiter byte.
    pub(crate) fn byte(&self) -> u8 {
        self.byte
    }
}

impl Default for Delimiter {
    fn default() -> Self {
        Delimiter::parse(",").expect("one character")
    }
}

crate::config::text_value!(Delimiter);

/// The decimal separator of amounts and quantities (`ledger.decimal_separator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecimalSeparator {
    /// `1234.56` (a `,` groups thousands).
    Dot,
    /// `1234,56` (a space or `.` groups thousands).
    Comma,
}

crate::config::choice!(DecimalSeparator {
    "." => DecimalSeparator::Dot,
    "," => DecimalSeparator::Comma,
});

impl DecimalSeparator {
    /// The separator character.
    pub(crate) fn as_char(self) -> char {
        match self {
            DecimalSeparator::Dot => '.',
            DecimalSeparator::Comma => ',',
        }
    }
}

/// A chrono date format (`ledger.date_format`), compiled once; it must round-trip a date.
#[derive(Debug, Clone)]
pub(crate) struct DateFormat {
    text: String,
    /// `%Y-%m-%d`: parsed by a fast path.
    iso: bool,
    items: Vec<Item<'static>>,
}

impl DateFormat {
    /// Compiles and checks a format.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let items: Vec<Item<'static>> = StrftimeItems::new(text).map(|i| i.to_owned()).collect();
        let probe = NaiveDate::from_ymd_opt(2025, 3, 9).expect("date");
        // a date cannot be written with a time of day (`%H`, `%c`): chrono's Display then fails,
        // which `to_string` would turn into a panic
        let mut written = String::new();
        let ok = !items.iter().any(|i| matches!(i, Item::Error))
            && write!(written, "{}", probe.format(text)).is_ok()
            && NaiveDate::parse_from_str(&written, text) == Ok(probe);
        if !ok {
            return Err(format!(
                "{text:?} is not a chrono date format that round-trips a date (e.g. \"%Y-%m-%d\")"
            ));
        }
        Ok(DateFormat {
            text: text.to_owned(),
            iso: text == "%Y-%m-%d",
            items,
        })
    }

    /// The format as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// The date, or `None` when `text` is not one in this format.
    pub(crate) fn parse_date(&self, text: &str) -> Option<NaiveDate> {
        if self.iso {
            let b = text.as_bytes();
            return if b.len() == 10 {
                crate::model::iso_date(b)
            } else {
                None
            };
        }
        let mut parsed = chrono::format::Parsed::new();
        chrono::format::parse(&mut parsed, text, self.items.iter()).ok()?;
        parsed.to_naive_date().ok()
    }
}

impl Default for DateFormat {
    fn default() -> Self {
        DateFormat::parse("%Y-%m-%d").expect("the ISO format")
    }
}

crate::config::text_value!(DateFormat);

/// A record may be this many times [`LedgerConfig::max_field_bytes`] long before the file stops:
/// room for a row of long fields, and a bound on what the reader holds (the csv reader doubles
/// its buffer, so at most twice this).
pub(crate) const RECORD_FIELDS: u64 = 128;

/// `[ledger]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct LedgerConfig {
    /// Files or globs (at least one).
    pub(crate) paths: Vec<String>,
    /// Field delimiter.
    pub(crate) delimiter: Delimiter,
    /// `.` or `,`.
    pub(crate) decimal_separator: DecimalSeparator,
    /// Date format of every date field.
    pub(crate) date_format: DateFormat,
    /// Longest field, in bytes: a row with a longer one is rejected (real fields are short; a
    /// record of more than [`LedgerConfig::max_record_bytes`] stops the file).
    pub(crate) max_field_bytes: u64,
    /// Contract field → column name in the file (unnamed fields keep their own name; the keys are
    /// checked against [`super::FIELDS`] when the config is loaded).
    pub(crate) columns: BTreeMap<String, String>,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        LedgerConfig {
            paths: vec!["sample-data/ledger/*.csv".into()],
            delimiter: Delimiter::default(),
            decimal_separator: DecimalSeparator::Dot,
            date_format: DateFormat::default(),
            max_field_bytes: 1 << 20,
            columns: BTreeMap::new(),
        }
    }
}

impl LedgerConfig {
    /// The column that holds contract field `field` in the files.
    pub(crate) fn column<'a>(&'a self, field: &'a str) -> &'a str {
        self.columns.get(field).map(String::as_str).unwrap_or(field)
    }

    /// Longest record the reader holds, in bytes: one this long is no ledger row (an unclosed
    /// quote, a binary file), and the file stops with an input error instead of filling memory.
    pub(crate) fn max_record_bytes(&self) -> u64 {
        self.max_field_bytes.saturating_mul(RECORD_FIELDS)
    }

    /// What the types cannot say: at least one path, and `,` not both delimiter and separator.
    pub(crate) fn check(&self) -> Result<(), Invalid> {
        if self.max_field_bytes == 0 {
            return Err(Invalid::new("ledger.max_field_bytes", "must be at least 1"));
        }
        if self.paths.is_empty() {
            return Err(Invalid::new("ledger.paths", "lists no ledger file"));
        }
        if self.decimal_separator == DecimalSeparator::Comma && self.delimiter.byte() == b',' {
            return Err(Invalid::new(
                "ledger.delimiter",
                "\",\" cannot be both the delimiter and the decimal separator",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{config_error, load_for_test};

    #[test]
    fn bad_values_name_the_key() {
        for (toml, key, says) in [
            (
                "[ledger]\ndelimiter = \";;\"",
                "ledger.delimiter",
                "is not one ASCII character",
            ),
            (
                "[ledger]\ndelimiter = \",\"\ndecimal_separator = \",\"",
                "ledger.delimiter",
                "cannot be both",
            ),
            (
                "[ledger]\ndecimal_separator = \"'\"",
                "ledger.decimal_separator",
                r#""'" is not "." or ",""#,
            ),
            (
                "[ledger]\ndate_format = \"%Q\"",
                "ledger.date_format",
                "round-trips",
            ),
            (
                "[ledger]\ndate_format = \"%Y-%m\"",
                "ledger.date_format",
                "round-trips",
            ),
            // a time of day cannot be written for a date (found by the config_toml fuzzer)
            (
                "[ledger]\ndate_format=\"%ce\"",
                "ledger.date_format",
                "round-trips",
            ),
            (
                "[ledger]\ndate_format = \"%d.%m.%Y %H:%M\"",
                "ledger.date_format",
                "round-trips",
            ),
            (
                "[ledger]\npaths = []",
                "ledger.paths",
                "lists no ledger file",
            ),
        ] {
            let e = config_error(toml, key);
            assert!(e.contains(says), "{toml}: {e}");
        }
    }

    #[test]
    fn typed_values() {
        let c = load_for_test(
            "[ledger]\ndelimiter = \"\\\\t\"\ndecimal_separator = \",\"\ndate_format = \"%d.%m.%Y\"\n[ledger.columns]\namount = \"Belopp\"",
            &[],
        )
        .unwrap();
        assert_eq!(c.ledger.delimiter.byte(), b'\t');
        assert_eq!(c.ledger.decimal_separator.as_char(), ',');
        assert_eq!(
            c.ledger.date_format.parse_date("09.03.2025"),
            NaiveDate::from_ymd_opt(2025, 3, 9)
        );
        assert_eq!(c.ledger.date_format.parse_date("2025-03-09"), None);
        assert_eq!(c.ledger.column("amount"), "Belopp");
        assert_eq!(c.ledger.column("entry_id"), "entry_id");
        assert_eq!(
            DateFormat::default().parse_date("2025-03-09"),
            NaiveDate::from_ymd_opt(2025, 3, 9)
        );
    }
}
