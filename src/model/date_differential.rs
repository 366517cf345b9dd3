//! Differential test of the hand-written date path ([`api_date`], [`iso_date`]) against `chrono`
//! parsing the same text: bare dates, date-times with `T`/`t`/space, fractions of any length,
//! `Z`, explicit offsets, the `0001-01-01` sentinel, and invalid dates and times.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use proptest::prelude::*;

use super::{api_date, iso_date};

/// The reference: the contract's shapes read by `chrono` (`None`: no date; `Err`: not a date).
/// The fixed widths are checked first because `chrono` also reads `%m` from one digit.
fn reference(text: &str) -> Result<Option<NaiveDate>, ()> {
    let t = text.trim();
    if t.is_empty() || t.starts_with("0001-01-01") {
        return Ok(None);
    }
    let date = t.get(..10).ok_or(())?;
    if !shaped(date, [4, 7], b'-') {
        return Err(());
    }
    let rest = &t[10..];
    if rest.is_empty() {
        return NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ());
    }
    let time = rest.strip_prefix(['T', 't', ' ']).ok_or(())?;
    let hms = time.get(..8).ok_or(())?;
    if !shaped(hms, [2, 5], b':') {
        return Err(());
    }
    let iso = format!("{date}T{time}");
    if let Some(utc) = iso.strip_suffix(['Z', 'z']) {
        return NaiveDateTime::parse_from_str(utc, "%Y-%m-%dT%H:%M:%S%.f")
            .map(|dt| Some(dt.date()))
            .map_err(|_| ());
    }
    if time[8..].contains(['+', '-']) {
        // RFC 3339 offsets only (`+02:00`): `%:z` alone would also take `+0200`
        let offset = &time[time.len().saturating_sub(6)..];
        let rfc3339 =
            offset.len() == 6 && offset.starts_with(['+', '-']) && offset.as_bytes()[3] == b':';
        if !rfc3339 {
            return Err(());
        }
        return DateTime::parse_from_str(&iso, "%Y-%m-%dT%H:%M:%S%.f%:z")
            .map(|dt| Some(dt.naive_utc().date()))
            .map_err(|_| ());
    }
    NaiveDateTime::parse_from_str(&iso, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|dt| Some(dt.date()))
        .map_err(|_| ())
}

/// ASCII digits with `sep` at the two positions `at` (`YYYY-MM-DD`, `HH:MM:SS`).
fn shaped(text: &str, at: [usize; 2], sep: u8) -> bool {
    text.bytes().enumerate().all(|(i, c)| {
        if at.contains(&i) {
            c == sep
        } else {
            c.is_ascii_digit()
        }
    })
}

/// Two-digit numbers around the valid ranges.
fn two(max: u32) -> impl Strategy<Value = String> {
    (0..=max).prop_map(|n| format!("{n:02}"))
}

fn date_text() -> impl Strategy<Value = String> {
    (
        prop::sample::select(
            &[
                "2025", "2024", "2000", "1900", "0001", "9999", "0000", "2100",
            ][..],
        ),
        two(13),
        two(32),
        prop::sample::select(&["-", "-", "-", "/"][..]),
    )
        .prop_map(|(y, m, d, sep)| format!("{y}{sep}{m}-{d}"))
}

fn time_text() -> impl Strategy<Value = String> {
    (
        prop::sample::select(&["T", "T", "t", " ", "X", ""][..]),
        two(25),
        two(61),
        two(61),
        prop::option::of("\\.[0-9]{0,9}"),
        prop::sample::select(
            &[
                "", "", "Z", "z", "+02:00", "-08:00", "+05:30", "-00:00", "+00:00", "+0200", "+02",
                "+24:00", "+23:59", " Z", "GMT", "Zx",
            ][..],
        ),
        any::<bool>(),
    )
        .prop_map(|(sep, h, m, s, frac, zone, colons)| {
            let colon = if colons { ":" } else { "" };
            format!("{sep}{h}:{m}{colon}{s}{}{zone}", frac.unwrap_or_default())
        })
}

fn api_date_text() -> impl Strategy<Value = String> {
    (
        prop::sample::select(&["", "", " ", "\t"][..]),
        date_text(),
        prop::option::weighted(0.8, time_text()),
    )
        .prop_map(|(pad, d, t)| format!("{pad}{d}{}{pad}", t.unwrap_or_default()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// The fast path and `chrono` give the same date, or both refuse the text.
    #[test]
    fn api_dates_read_as_chrono_reads_them(text in api_date_text()) {
        let got = api_date(&text).map_err(|_| ());
        prop_assert_eq!(got, reference(&text), "{:?}", text);
    }

    /// `YYYY-MM-DD` at the start of any text.
    #[test]
    fn iso_dates_read_as_chrono_reads_them(date in date_text(), tail in "[0-9T:Z -]{0,3}") {
        let text = format!("{date}{tail}");
        let want = NaiveDate::parse_from_str(&date, "%Y-%m-%d").ok();
        prop_assert_eq!(iso_date(text.as_bytes()), want, "{:?}", text);
    }
}

#[test]
fn sentinel_offsets_and_invalid_dates() {
    for (text, want) in [
        ("0001-01-01T00:00:00", None),
        ("0001-01-01", None),
        ("2018-02-08T22:40:37.5897767Z", Some("2018-02-08")),
        ("2019-02-04T21:22:40.1767993-08:00", Some("2019-02-05")),
        ("2024-02-29T00:00:00Z", Some("2024-02-29")),
    ] {
        let want = want.map(|d| d.parse::<NaiveDate>().unwrap());
        assert_eq!(api_date(text), Ok(want), "{text:?}");
        assert_eq!(reference(text), Ok(want), "{text:?}");
    }
    for text in [
        "2025-02-30T00:00:00Z",
        "2025-02-29",
        "2025-13-01T00:00:00Z",
        "2025-00-10",
        "2025-01-32",
        "2025-3-01",
    ] {
        assert!(api_date(text).is_err(), "{text:?}");
        assert_eq!(reference(text), Err(()), "{text:?}");
    }
}
