//! Differential test of the decimal parsers against an arbitrary-precision reference computed
//! from the digit strings themselves, and against `rust_decimal` within its range.
//!
//! The grammar ([`parse_decimal`]): an optional sign, ASCII digits with at most one point and at
//! least one digit (`.5` and `5.` included), and, only where exponents are allowed, `e`/`E`, an
//! optional sign and digits (at most 6 characters after the `e`: a bound on work). Ledger amounts
//! ([`parse_ledger_amount`]) add the contract's digit grouping and never take an exponent.

use std::str::FromStr;

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::{DecimalError, Scaled, parse_decimal, parse_ledger_amount};

/// An exact value: `±digits × 10^exp`, `digits` without leading or trailing zeros (empty: zero).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Exact {
    negative: bool,
    digits: String,
    exp: i64,
}

/// The reference reading of `text` by the grammar above; `None` when it is not a number.
fn reference(text: &str, allow_exponent: bool) -> Option<Exact> {
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (body, exponent) = match rest.find(['e', 'E']) {
        Some(p) if allow_exponent => (&rest[..p], Some(&rest[p + 1..])),
        _ => (rest, None),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let all_digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    if !all_digits(int) || !all_digits(frac) || int.len() + frac.len() == 0 {
        return None;
    }
    let exp: i64 = match exponent {
        None => 0,
        Some(e) => {
            let unsigned = e.strip_prefix(['+', '-']).unwrap_or(e);
            if unsigned.is_empty() || !all_digits(unsigned) || e.len() > 6 {
                return None;
            }
            e.parse().ok()?
        }
    };
    let all = format!("{int}{frac}");
    let significant = all.trim_start_matches('0');
    let digits = significant.trim_end_matches('0');
    let exp = exp - frac.len() as i64 + (significant.len() - digits.len()) as i64;
    Some(Exact {
        negative,
        digits: digits.to_owned(),
        exp,
    })
}

/// The reference value at `scale`, with the errors the contract names.
fn at_scale(x: &Exact, scale: u32) -> Result<Scaled, DecimalError> {
    if x.digits.is_empty() {
        return Ok(Scaled {
            value: 0,
            digits: 0,
        });
    }
    let digits = (-x.exp).max(0);
    if digits > scale as i64 {
        return Err(DecimalError::TooManyDigits { scale });
    }
    let zeros = (x.exp + scale as i64) as usize;
    let text = format!("{}{}", x.digits, "0".repeat(zeros));
    let abs: i128 = if text.len() > 39 {
        return Err(DecimalError::Overflow);
    } else {
        text.parse().map_err(|_| DecimalError::Overflow)?
    };
    Ok(Scaled {
        value: if x.negative { -abs } else { abs },
        digits: digits as u32,
    })
}

/// The parser's answer agrees with the reference: the same value and digits, or both refuse
/// (with the same error, except that the parser stops at the first digit that no `i128` holds,
/// before it reads the rest, and then says "too large").
fn agrees(text: &str, scale: u32, allow_exponent: bool) -> Result<(), String> {
    let got = parse_decimal(text, scale, allow_exponent);
    let want = reference(text, allow_exponent)
        .map_or(Err(DecimalError::NotANumber), |x| at_scale(&x, scale));
    let overflowed_early = got == Err(DecimalError::Overflow)
        && want.is_err()
        && text.bytes().filter(u8::is_ascii_digit).count() > 38;
    if got != want && !overflowed_early {
        return Err(format!(
            "{text:?} at scale {scale} (exponent {allow_exponent}): {got:?}, reference {want:?}"
        ));
    }
    // rust_decimal, where it reads the text and holds the value (`from_scientific` silently
    // drops significand digits past its 28-digit scale: `.0…01E1` with 29 zeros reads as 0)
    if let Ok(s) = got {
        let significand = text.split(['e', 'E']).next().unwrap_or("");
        let fraction_digits = significand.split('.').nth(1).map_or(0, str::len);
        let theirs = if allow_exponent && text.contains(['e', 'E']) {
            if fraction_digits > 28 {
                return Ok(());
            }
            Decimal::from_scientific(text)
        } else {
            Decimal::from_str_exact(text)
        };
        if let (Ok(theirs), Ok(ours)) = (theirs, Decimal::try_from_i128_with_scale(s.value, scale))
            && theirs != ours
        {
            return Err(format!("{text:?}: {ours} but rust_decimal reads {theirs}"));
        }
    }
    Ok(())
}

/// Tokens the grammar allows (and some it does not, by their exponent): sign, digits with long
/// runs of zeros, a point, an exponent.
fn token() -> impl Strategy<Value = String> {
    let digits = || {
        prop_oneof![
            "[0-9]{0,6}",
            "[0-9]{0,30}",
            "0{0,40}[1-9]?0{0,40}",
            "[1-9]0{30,45}",
        ]
    };
    (
        prop::sample::select(&["", "-", "+"][..]),
        digits(),
        prop::option::of(digits()),
        prop::option::of("[eE][+-]?[0-9]{1,3}"),
    )
        .prop_map(|(sign, int, frac, exp)| {
            let mut s = format!("{sign}{int}");
            if let Some(f) = frac {
                s.push('.');
                s.push_str(&f);
            }
            s.push_str(&exp.unwrap_or_default());
            s
        })
}

/// Short strings over an alphabet of number pieces and lookalikes (mostly not numbers).
fn noise() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(
            &[
                "0", "1", "5", "9", ".", "-", "+", "e", "E", " ", ",", "NaN", "inf", "_", "１",
                "٣", "\u{a0}", "x",
            ][..],
        ),
        0..10,
    )
    .prop_map(|p| p.concat())
}

const SCALES: [u32; 6] = [0, 2, 6, 18, 26, 28];

/// Found by the proptest: 29 fractional digits and an exponent, which `rust_decimal` reads as 0.
#[test]
fn a_significand_beyond_rust_decimals_scale_is_checked_against_the_digit_reference_only() {
    for &scale in &SCALES {
        agrees(".00000000000000000000000000001E1", scale, true).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    /// Every generated token, at every working scale, with and without exponents.
    #[test]
    fn decimals_read_as_the_reference_reads_them(
        text in prop_oneof![3 => token(), 1 => noise()],
        scale in prop::sample::select(&SCALES[..]),
        allow_exponent in any::<bool>(),
    ) {
        agrees(&text, scale, allow_exponent).map_err(TestCaseError::fail)?;
    }

    /// A ledger amount written in either locale, grouped or not, with white space around,
    /// reads as the plain amount does.
    #[test]
    fn ledger_amounts_read_as_the_plain_amount(
        sign in prop::sample::select(&["", "-", "+"][..]),
        int in "[1-9][0-9]{0,14}|0",
        frac in prop::option::of("[0-9]{1,4}"),
        comma_decimal in any::<bool>(),
        group in prop::sample::select(&["", ",", ".", " ", "\u{a0}", "\u{202f}"][..]),
        pad in prop::sample::select(&["", " ", "\t", "\u{a0}"][..]),
    ) {
        let sep = if comma_decimal { ',' } else { '.' };
        // only the grouping characters the contract allows with this separator
        let group = match (comma_decimal, group) {
            (true, ",") | (false, "." | " " | "\u{a0}" | "\u{202f}") => "",
            (_, g) => g,
        };
        let mut grouped = String::new();
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                grouped.push_str(group);
            }
            grouped.push(c);
        }
        let plain = format!("{sign}{int}{}", frac.as_deref().map(|f| format!(".{f}")).unwrap_or_default());
        let text = format!("{pad}{sign}{grouped}{}{pad}", frac.as_deref().map(|f| format!("{sep}{f}")).unwrap_or_default());
        let want = at_scale(&reference(&plain, false).expect("a plain amount"), 2);
        prop_assert_eq!(parse_ledger_amount(&text, sep, 2), want, "{:?}", text);
    }

    /// Noise is never a ledger amount unless the reference reads it as a plain one.
    #[test]
    fn ledger_noise_is_refused_alike(text in noise(), comma_decimal in any::<bool>()) {
        let sep = if comma_decimal { ',' } else { '.' };
        let got = parse_ledger_amount(&text, sep, 6);
        let t = text.trim();
        let has_grouping = if comma_decimal {
            t.contains(['.', ' ', '\u{a0}', '\u{202f}'])
        } else {
            t.contains(',')
        };
        // grouped forms are covered above; here only plain ones, in the separator's spelling
        if !has_grouping {
            let plain = if comma_decimal { t.replace(',', ".") } else { t.to_owned() };
            let want = reference(&plain, false).map_or(Err(DecimalError::NotANumber), |x| at_scale(&x, 6));
            prop_assert_eq!(got, want, "{:?}", text);
        } else if got.is_ok() {
            // a grouped form read as a number: it must be the contract's shape
            prop_assert!(!t.contains(['e', 'E', 'N', '_', '１', 'x']), "{:?}", text);
        }
    }
}

/// The forms the grammar refuses, whatever the scale; and those it keeps (`.5`, `5.`).
#[test]
fn refused_and_kept_forms() {
    for (text, exp) in [
        ("1e5", false),
        ("1E5", false),
        ("NaN", true),
        ("nan", true),
        ("inf", true),
        ("--1", true),
        ("+-1", true),
        ("１", true),
        ("1_000", true),
        ("0x10", true),
        ("1e", true),
        ("1e+", true),
        ("1e1.5", true),
        (" 1", true),
        ("1 ", true),
        ("", true),
        (".", true),
        ("-.", true),
    ] {
        assert_eq!(
            parse_decimal(text, 6, exp),
            Err(DecimalError::NotANumber),
            "{text:?}"
        );
        assert_eq!(reference(text, exp), None, "{text:?}");
    }
    for (text, sep) in [
        ("1e5", '.'),
        ("1,5e2", ','),
        ("--1", '.'),
        ("１", '.'),
        ("NaN", ','),
    ] {
        assert_eq!(
            parse_ledger_amount(text, sep, 6),
            Err(DecimalError::NotANumber),
            "{text:?}"
        );
    }
    for text in [".5", "5.", "+.5", "-5."] {
        agrees(text, 2, true).unwrap();
        assert!(parse_decimal(text, 2, false).is_ok(), "{text:?}");
    }
    assert!(Decimal::from_str(".5").is_ok());
}

/// Found by the differential test: trailing zeros, however many, are not significant digits.
/// `1.` with 40 zeros was "too large" (every zero went into the mantissa) and `100e-2` had "more
/// than 0 fractional digits" (the integer's trailing zeros were not counted against the exponent).
#[test]
fn trailing_zeros_never_overflow_nor_count_as_digits() {
    let one = format!("1.{}", "0".repeat(40));
    assert_eq!(
        parse_decimal(&one, 2, false),
        Ok(Scaled {
            value: 100,
            digits: 0
        })
    );
    assert_eq!(
        parse_decimal("100e-2", 0, true),
        Ok(Scaled {
            value: 1,
            digits: 0
        })
    );
    assert_eq!(
        parse_decimal(&format!("1{}e-40", "0".repeat(40)), 0, true),
        Ok(Scaled {
            value: 1,
            digits: 0
        })
    );
    assert_eq!(
        parse_decimal(&format!("1{}", "0".repeat(40)), 0, false),
        Err(DecimalError::Overflow)
    );
}
