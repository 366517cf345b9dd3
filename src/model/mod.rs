//! serde types for what the Partner Center and Graph APIs send, and the lenient value parsers
//! they need (API reference §7): numbers that arrive as JSON strings, dates in several shapes,
//! camelCase v1 names and PascalCase v2 export names, unknown fields ignored.

pub mod feed;
pub mod flat;
pub mod fnv;
pub mod invoice;
pub mod json;
pub mod line_item;
pub mod period;

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, NaiveDate};
use polars::prelude::{ChunkedCollectInferIterExt, Column, Int32Chunked, IntoColumn, PolarsResult};
use serde::Deserialize;
use serde::de::{self, Deserializer};
use serde_json::value::RawValue;

use crate::money::{self, Scaled};

/// An exact decimal field at working scale `S`: a JSON number or a JSON string holding one;
/// `null`, `""` and an absent field are `None`. Parsed from the raw token, never through `f64`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Dec<const S: u32>(pub(crate) Option<Scaled>);

/// A money amount (subtotal, tax, total).
pub(crate) type Money = Dec<{ money::MONEY_SCALE }>;
/// A unit price, quantity or rate.
pub(crate) type Rate = Dec<{ money::RATE_SCALE }>;

impl<'de, const S: u32> Deserialize<'de> for Dec<S> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <&'de RawValue>::deserialize(d)?;
        let text = raw.get();
        let token = match text.as_bytes().first() {
            Some(b'"') => {
                let inner = &text[1..text.len() - 1];
                if inner.contains('\\') {
                    return Err(de::Error::custom(format!("{text} is not a decimal number")));
                }
                inner.trim()
            }
            _ => text,
        };
        if token.is_empty() || token == "null" {
            return Ok(Dec(None));
        }
        money::parse_decimal(token, S, true)
            .map(|s| Dec(Some(s)))
            .map_err(|e| de::Error::custom(format!("{text}: {e}")))
    }
}

/// A text field that may arrive as a JSON string or a JSON number (ids such as `mpnId`,
/// `detailLineItemId`); kept as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Text(pub(crate) Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text((!v.is_empty()).then(|| v.to_owned())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A borrowed string field (`None` when absent or null).
pub(crate) type Str<'a> = Option<Cow<'a, str>>;

/// Parses an API date-time (`2018-03-16T00:00:00`, `…Z`, 7-digit fractions, explicit offsets,
/// or a bare date) to its UTC calendar date. A missing offset means UTC; the sentinel
/// `0001-01-01T00:00:00` and an empty string mean "no date".
pub(crate) fn api_date(text: &str) -> Result<Option<NaiveDate>, String> {
    let t = text.trim();
    if t.is_empty() || t.starts_with("0001-01-01") {
        return Ok(None);
    }
    let bad = || format!("{t:?} is not a date");
    let b = t.as_bytes();
    let date = iso_date(b).ok_or_else(bad)?;
    let rest = &b[10..];
    if rest.is_empty() {
        return Ok(Some(date));
    }
    if !matches!(rest[0], b'T' | b't' | b' ') {
        return Err(bad());
    }
    // fast path: `HH:MM:SS[.fraction][Z]`, UTC by intent; explicit offsets go through chrono
    let time = &rest[1..];
    let two = |i: usize| {
        time.get(i..i + 2)
            .filter(|d| d.iter().all(u8::is_ascii_digit))
            .map(|d| (d[0] - b'0') * 10 + (d[1] - b'0'))
    };
    let hms = (two(0), time.get(2), two(3), time.get(5), two(6));
    let (Some(h), Some(b':'), Some(m), Some(b':'), Some(sec)) = hms else {
        return Err(bad());
    };
    if h > 23 || m > 59 || sec > 60 {
        return Err(bad());
    }
    let mut k = 8;
    if time.get(k) == Some(&b'.') {
        k += 1;
        let start = k;
        while time.get(k).is_some_and(u8::is_ascii_digit) {
            k += 1;
        }
        if k == start {
            return Err(bad());
        }
    }
    match &time[k..] {
        [] | [b'Z'] | [b'z'] => Ok(Some(date)),
        [b'+' | b'-', ..] => DateTime::parse_from_rfc3339(t)
            .map(|dt| Some(dt.naive_utc().date()))
            .map_err(|_| bad()),
        _ => Err(bad()),
    }
}

/// `YYYY-MM-DD` at the start of `b`.
pub(crate) fn iso_date(b: &[u8]) -> Option<NaiveDate> {
    let d = b.get(..10)?;
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        d[r].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32)
        })
    };
    if d[4] != b'-' || d[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

/// Days since 1970-01-01, polars' physical `Date` value.
pub(crate) fn epoch_days(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

/// The date `days` after 1970-01-01 (the inverse of [`epoch_days`]).
pub(crate) fn date_of_epoch_days(days: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(days + 719_163)
        .expect("polars dates are within chrono's range")
}

/// A `Date` column from days since the epoch.
pub(crate) fn date_column(name: &str, days: Vec<Option<i32>>) -> PolarsResult<Column> {
    let ca: Int32Chunked = days.into_iter().collect_ca(name.into());
    Ok(ca.into_date().into_column())
}

/// The bytes without a leading UTF-8 byte-order mark (JSON pages, export lines, ledger CSVs).
pub(crate) fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
}

/// Normalises a GUID-like id: strips an `org:` prefix, trims, and lower-cases it when it is a GUID.
/// Other ids are returned trimmed, as sent.
pub(crate) fn normalise_id(id: &str) -> Cow<'_, str> {
    let t = id.trim();
    let t = t.strip_prefix("org:").unwrap_or(t);
    if is_guid(t) && t.bytes().any(|c| c.is_ascii_uppercase()) {
        Cow::Owned(t.to_ascii_lowercase())
    } else {
        Cow::Borrowed(t)
    }
}

/// True for the 8-4-4-4-12 hex form.
pub(crate) fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Compares enum-like API values case-insensitively, ignoring `_` (`OneTime` = `one_time`).
pub(crate) fn enum_eq(value: &str, expected: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| *c != '_' && *c != '-' && *c != ' ')
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    norm(value) == norm(expected)
}

#[cfg(test)]
mod date_differential;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct T {
        #[serde(default)]
        a: Money,
    }

    fn a(json: &str) -> Result<Option<i128>, String> {
        serde_json::from_str::<T>(json)
            .map(|t| t.a.0.map(|s| s.value))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn decimals_from_numbers_strings_and_nothing() {
        let unit = 10i128.pow(money::MONEY_SCALE);
        assert_eq!(a(r#"{"a": 431.8}"#), Ok(Some(4318 * unit / 10)));
        assert_eq!(a(r#"{"a": "-88.40"}"#), Ok(Some(-884 * unit / 10)));
        assert_eq!(
            a(r#"{"a": 0.0209496384791679}"#),
            Ok(Some(20_949_638_479_167_900))
        );
        assert_eq!(a(r#"{"a": ""}"#), Ok(None));
        assert_eq!(a(r#"{"a": null}"#), Ok(None));
        assert_eq!(a(r#"{}"#), Ok(None));
        assert!(a(r#"{"a": "n/a"}"#).unwrap_err().contains("not a decimal"));
        assert!(
            a(r#"{"a": 0.1234567890123456789}"#)
                .unwrap_err()
                .contains("fractional digits")
        );
    }

    #[test]
    fn dates_in_every_shape() {
        let d = |s| api_date(s).unwrap().map(|d| d.to_string());
        assert_eq!(d("2018-03-16T00:00:00"), Some("2018-03-16".into()));
        assert_eq!(d("2018-02-08T22:40:37.5897767Z"), Some("2018-02-08".into()));
        assert_eq!(
            d("2019-02-04T21:22:40.1767993-08:00"),
            Some("2019-02-05".into())
        );
        assert_eq!(d("2025-03-01"), Some("2025-03-01".into()));
        assert_eq!(d("0001-01-01T00:00:00"), None);
        assert_eq!(d(""), None);
        assert!(api_date("2025-13-45T00:00:00Z").is_err());
        assert!(api_date("yesterday").is_err());
        assert!(api_date("2025-03-01T25:00:00Z").is_err());
        assert!(api_date("2025-03-01T10:00").is_err());
        assert!(api_date("2025-03-01X").is_err());
        assert_eq!(d("2025-03-01 10:00:00.5"), Some("2025-03-01".into()));
        assert_eq!(d("2019-02-04T23:22:40+02:00"), Some("2019-02-04".into()));
    }

    #[test]
    fn ids_and_enums() {
        assert_eq!(
            normalise_id(" org:2D4F6A8C-0E1F-4A3B-9C5D-7E9F1A3B5C7D"),
            "2d4f6a8c-0e1f-4a3b-9c5d-7e9f1a3b5c7d"
        );
        assert_eq!(normalise_id("8pQrAgEAAAAAAAEA"), "8pQrAgEAAAAAAAEA");
        assert!(
            enum_eq("OneTime", "one_time") && enum_eq("billing_line_items", "BillingLineItems")
        );
        assert!(!enum_eq("Recurring", "one_time"));
    }
}
