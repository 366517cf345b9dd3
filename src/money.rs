//! Exact decimal money: parsing (JSON numbers and strings, locale ledger amounts) into scaled `i128`
//! mantissas, formatting, and the polars column builder.
//!
//! Every amount is held as an integer count of `10^-scale` units, so sums are exact and nothing is
//! ever rounded: a value with more fractional digits than the working scale is an error.

use std::fmt;

use polars::prelude::*;

/// Working scale for money (subtotal, tax, total, ledger amounts): up to 18 fractional digits.
pub const MONEY_SCALE: u32 = 18;
/// Working scale for unit prices and quantities, which the API sends with up to ~26 fractional
/// digits (f64-looking prices); it leaves 12 integer digits.
pub(crate) const RATE_SCALE: u32 = 26;
/// Polars decimal precision used for every money column.
pub(crate) const PRECISION: usize = 38;
/// Fractional digits money is shown with at least (cents).
pub(crate) const CENT_DIGITS: u32 = 2;

/// Why a text is not an exact decimal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DecimalError {
    /// Not a decimal number at all.
    NotANumber,
    /// More significant fractional digits than the scale holds (never rounded away).
    TooManyDigits {
        /// The scale that was exceeded.
        scale: u32,
    },
    /// Too large to hold.
    Overflow,
}

impl fmt::Display for DecimalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecimalError::NotANumber => f.write_str("not a decimal number"),
            DecimalError::TooManyDigits { scale } => {
                write!(
                    f,
                    "more than {scale} fractional digits (pcrecon never rounds)"
                )
            }
            DecimalError::Overflow => f.write_str("too large"),
        }
    }
}

/// A parsed decimal: `value` is the mantissa at the requested scale, `digits` the number of
/// significant fractional digits the text had (trailing zeros do not count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scaled {
    /// Mantissa at the scale the parser was asked for.
    pub value: i128,
    /// Significant fractional digits in the source text.
    pub digits: u32,
}

/// `10^n` as `i128` (n ≤ 38).
pub(crate) fn pow10(n: u32) -> i128 {
    10i128.pow(n)
}

/// Parses a plain decimal (`-12.50`, `+3`, `.5`, `5.`) and, when `allow_exponent`, a JSON number
/// with an exponent (`1E-7`), into a mantissa at `scale`.
pub(crate) fn parse_decimal(
    text: &str,
    scale: u32,
    allow_exponent: bool,
) -> Result<Scaled, DecimalError> {
    let b = text.as_bytes();
    let mut i = 0;
    let negative = match b.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let mut mantissa: i128 = 0;
    let mut int_digits = 0u32;
    let mut frac_digits = 0u32;
    // zeros not yet multiplied into the mantissa: only a significant digit after them does, so
    // that `1.000…` (or `100…e-40`) holds whatever the number of trailing zeros
    let mut pending_zeros = 0u32;
    let mut seen_point = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'0'..=b'9' => {
                let d = (c - b'0') as i128;
                if d == 0 {
                    pending_zeros += 1;
                } else {
                    mantissa = if mantissa == 0 {
                        d
                    } else {
                        10i128
                            .checked_pow(pending_zeros + 1)
                            .and_then(|p| mantissa.checked_mul(p))
                            .and_then(|m| m.checked_add(d))
                            .ok_or(DecimalError::Overflow)?
                    };
                    pending_zeros = 0;
                }
                if seen_point {
                    frac_digits += 1;
                } else {
                    int_digits += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            b'e' | b'E' if allow_exponent => break,
            _ => return Err(DecimalError::NotANumber),
        }
        i += 1;
    }
    if int_digits + frac_digits == 0 {
        return Err(DecimalError::NotANumber);
    }
    let zero = mantissa == 0;
    let mut exponent: i64 = 0;
    if i < b.len() {
        // exponent part: [eE][+-]?digits
        let rest = &text[i + 1..];
        if rest.is_empty() || rest.len() > 6 {
            return Err(DecimalError::NotANumber);
        }
        exponent = rest.parse::<i64>().map_err(|_| DecimalError::NotANumber)?;
        if !rest.bytes().last().is_some_and(|c| c.is_ascii_digit()) {
            return Err(DecimalError::NotANumber);
        }
    }
    // value = mantissa × 10^shift, the mantissa without its trailing zeros
    let shift = exponent - frac_digits as i64 + pending_zeros as i64;
    // digits after the point once the exponent is applied
    let significant_frac = if shift >= 0 || zero { 0 } else { -shift };
    if significant_frac > scale as i64 {
        return Err(DecimalError::TooManyDigits { scale });
    }
    let up = shift + scale as i64; // power of ten to multiply the mantissa by
    let value = if up >= 0 {
        if up > 38 && mantissa != 0 {
            return Err(DecimalError::Overflow);
        }
        if mantissa == 0 {
            0
        } else {
            mantissa
                .checked_mul(pow10(up as u32))
                .ok_or(DecimalError::Overflow)?
        }
    } else {
        // only trailing zeros are dropped here (checked above), so the division is exact
        let down = (-up) as u32;
        if down > 38 { 0 } else { mantissa / pow10(down) }
    };
    Ok(Scaled {
        value: if negative { -value } else { value },
        digits: significant_frac as u32,
    })
}

/// Parses a ledger amount written with `decimal_separator` (`.` or `,`), accepting the contract's
/// digit grouping: `1,234.56` with `.`; `1 234,56` and `1.234,56` with `,` (spaces may be
/// no-break spaces). Surrounding white space is ignored.
pub(crate) fn parse_ledger_amount(
    text: &str,
    decimal_separator: char,
    scale: u32,
) -> Result<Scaled, DecimalError> {
    let t = text.trim();
    let grouping: &[char] = if decimal_separator == ',' {
        &['.', ' ', '\u{a0}', '\u{202f}']
    } else {
        &[',']
    };
    let mut plain = String::with_capacity(t.len());
    if t.contains(grouping) {
        // grouped form: sign? d{1,3} (sep ddd)+ (decimal part)?
        let (int_part, frac_part) = match t.find(decimal_separator) {
            Some(p) => (&t[..p], Some(&t[p + 1..])),
            None => (t, None),
        };
        let unsigned = int_part.strip_prefix(['+', '-']).unwrap_or(int_part);
        let mut groups = unsigned.split(grouping);
        let first = groups.next().unwrap_or("");
        let well_formed = (1..=3).contains(&first.len())
            && first.bytes().all(|c| c.is_ascii_digit())
            && groups.all(|g| g.len() == 3 && g.bytes().all(|c| c.is_ascii_digit()));
        if !well_formed || frac_part.is_some_and(|f| f.is_empty()) {
            return Err(DecimalError::NotANumber);
        }
        plain.extend(int_part.chars().filter(|c| !grouping.contains(c)));
        if let Some(f) = frac_part {
            plain.push('.');
            plain.push_str(f);
        }
    } else if decimal_separator == ',' {
        if t.contains('.') {
            return Err(DecimalError::NotANumber);
        }
        plain.push_str(&t.replace(',', "."));
    } else {
        plain.push_str(t);
    }
    parse_decimal(&plain, scale, false)
}

/// Formats a mantissa at `scale` as a plain decimal with exactly `scale` fractional digits.
pub(crate) fn format_scaled(value: i128, scale: u32) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    if scale == 0 {
        return format!("{sign}{abs}");
    }
    let p = 10u128.pow(scale);
    format!(
        "{sign}{}.{:0width$}",
        abs / p,
        abs % p,
        width = scale as usize
    )
}

/// Formats a mantissa at `scale` to the cent where it has no more digits (`3810.40`) and with
/// every significant digit where it has (`0.010001`): exact, for people.
pub(crate) fn format_to_cent(value: i128, scale: u32) -> String {
    let (value, scale) = if scale < CENT_DIGITS {
        (value * pow10(CENT_DIGITS - scale), CENT_DIGITS)
    } else {
        (value, scale)
    };
    let mut text = Vec::new();
    push_decimal(&mut text, value, scale, CENT_DIGITS);
    String::from_utf8(text).expect("digits are ASCII")
}

/// A decimal mantissa at `scale` in plain notation, trailing fractional zeros trimmed down to
/// `min_digits` (never below: `-12.50`, not `-12.5`).
pub(crate) fn push_decimal(line: &mut Vec<u8>, mantissa: i128, scale: u32, min_digits: u32) {
    if mantissa < 0 {
        line.push(b'-');
    }
    // the mantissa's digits, then the point placed by position: no u128 division per digit
    let mut buf = itoa_buffer();
    let digits = fmt_u128(&mut buf, mantissa.unsigned_abs());
    let scale = scale as usize;
    if digits.len() > scale {
        line.extend_from_slice(&digits[..digits.len() - scale]);
    } else {
        line.push(b'0');
    }
    let frac_start = digits.len().saturating_sub(scale);
    let frac = &digits[frac_start..];
    let leading = scale - frac.len();
    // fractional digits: `leading` zeros, then `frac`; keep up to the last non-zero one
    let kept = match frac.iter().rposition(|d| *d != b'0') {
        Some(p) => leading + p + 1,
        None => 0,
    }
    .max(min_digits as usize);
    if kept > 0 {
        line.push(b'.');
        for i in 0..kept {
            line.push(if i < leading { b'0' } else { frac[i - leading] });
        }
    }
}

pub(crate) fn itoa_buffer() -> [u8; 40] {
    [0; 40]
}

/// `v` in decimal digits, in the tail of `buf` (u64 arithmetic where it fits: u128 division is
/// slow).
pub(crate) fn fmt_u128(buf: &mut [u8; 40], v: u128) -> &[u8] {
    const TEN19: u128 = 10_000_000_000_000_000_000;
    let mut i = buf.len();
    let mut put = |mut x: u64, min_width: usize, i: &mut usize| {
        let start = *i;
        loop {
            *i -= 1;
            buf[*i] = b'0' + (x % 10) as u8;
            x /= 10;
            if x == 0 && start - *i >= min_width {
                break;
            }
        }
    };
    if v <= u64::MAX as u128 {
        put(v as u64, 1, &mut i);
    } else if v / TEN19 <= u64::MAX as u128 {
        put((v % TEN19) as u64, 19, &mut i);
        put((v / TEN19) as u64, 1, &mut i);
    } else {
        put((v % TEN19) as u64, 19, &mut i);
        let rest = v / TEN19;
        put((rest % TEN19) as u64, 19, &mut i);
        put((rest / TEN19) as u64, 1, &mut i);
    }
    &buf[i..]
}

/// Rounds a mantissa at `scale` to whole cents, half away from zero (what a page shows; the
/// exact value stays in the CSV and Parquet reports).
pub(crate) fn round_to_cents(value: i128, scale: u32) -> i128 {
    if scale <= CENT_DIGITS {
        return value * pow10(CENT_DIGITS - scale);
    }
    let unit = pow10(scale - CENT_DIGITS);
    let (q, r) = (value / unit, value % unit);
    // `/` truncates toward zero: a remainder of at least half a cent moves away from zero
    if 2 * r.abs() >= unit {
        q + value.signum()
    } else {
        q
    }
}

/// Builds one polars decimal column from parsed values at a fixed working scale. The column's
/// scale is the smallest that holds every digit seen (at least `min_scale`).
#[derive(Debug, Clone)]
pub struct DecimalBuilder {
    values: Vec<Option<i128>>,
    work_scale: u32,
    digits: u32,
}

impl DecimalBuilder {
    /// A builder whose pushed values are mantissas at `work_scale`.
    pub fn new(work_scale: u32, capacity: usize) -> Self {
        DecimalBuilder {
            values: Vec::with_capacity(capacity),
            work_scale,
            digits: 0,
        }
    }

    /// Appends a value (or null).
    pub fn push(&mut self, v: Option<Scaled>) {
        if let Some(s) = v {
            self.digits = self.digits.max(s.digits);
        }
        self.values.push(v.map(|s| s.value));
    }

    /// The most significant fractional digits any value had.
    pub(crate) fn digits(&self) -> u32 {
        self.digits
    }

    /// The finished column at `scale` (which must be ≥ [`Self::digits`]).
    pub fn into_column(self, name: &str, scale: u32) -> PolarsResult<Column> {
        assert!(
            scale >= self.digits && scale <= self.work_scale,
            "scale {scale} loses digits"
        );
        let div = pow10(self.work_scale - scale);
        let ca: Int128Chunked = self
            .values
            .into_iter()
            .map(|o| o.map(|v| v / div))
            .collect_ca(name.into());
        Ok(ca
            .into_decimal(PRECISION, scale as usize)?
            .into_series()
            .into_column())
    }
}

/// Reads a decimal column back as `(mantissa, scale)` values.
pub(crate) fn decimal_values(col: &Column) -> PolarsResult<(Vec<Option<i128>>, u32)> {
    let ca = col.decimal()?;
    let scale = ca.scale() as u32;
    // per-chunk iterators: the chunked iterator is boxed and several times slower
    let values = ca
        .physical()
        .downcast_iter()
        .flat_map(|a| a.iter().map(|v| v.copied()))
        .collect();
    Ok((values, scale))
}

#[cfg(test)]
mod differential;

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Scaled, DecimalError> {
        parse_decimal(s, 6, true)
    }

    #[test]
    fn parses_plain_and_exponent_forms_exactly() {
        assert_eq!(
            p("-12.5").unwrap(),
            Scaled {
                value: -12_500_000,
                digits: 1
            }
        );
        assert_eq!(
            p("0.010001").unwrap(),
            Scaled {
                value: 10_001,
                digits: 6
            }
        );
        assert_eq!(
            p("1E-6").unwrap(),
            Scaled {
                value: 1,
                digits: 6
            }
        );
        assert_eq!(
            p("1.5e2").unwrap(),
            Scaled {
                value: 150_000_000,
                digits: 0
            }
        );
        assert_eq!(p("+3").unwrap().value, 3_000_000);
        assert_eq!(p(".5").unwrap().value, 500_000);
        assert_eq!(p("5.").unwrap().value, 5_000_000);
        assert_eq!(p("-0.0").unwrap().value, 0);
    }

    #[test]
    fn trailing_zeros_beyond_scale_are_fine_but_digits_are_not_rounded() {
        assert_eq!(
            p("1.23000000000").unwrap(),
            Scaled {
                value: 1_230_000,
                digits: 2
            }
        );
        assert_eq!(
            p("1.2345675"),
            Err(DecimalError::TooManyDigits { scale: 6 })
        );
        assert_eq!(p("1e-7"), Err(DecimalError::TooManyDigits { scale: 6 }));
    }

    #[test]
    fn rejects_non_numbers() {
        for s in [
            "", "-", ".", "n/a", "1.2.3", "1,5", "=1+2", "1e", "1e+", " 1", "0x10", "--1",
        ] {
            assert_eq!(p(s), Err(DecimalError::NotANumber), "{s:?}");
        }
        assert_eq!(
            parse_decimal("1e3", 6, false),
            Err(DecimalError::NotANumber)
        );
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert_eq!(p("1e40"), Err(DecimalError::Overflow));
        assert_eq!(p(&"9".repeat(40)), Err(DecimalError::Overflow));
    }

    #[test]
    fn ledger_amounts_in_both_locales() {
        let a = |s, sep| parse_ledger_amount(s, sep, 2).map(|x| x.value);
        assert_eq!(a("1 234,56", ','), Ok(123_456));
        assert_eq!(a("1.234,56", ','), Ok(123_456));
        assert_eq!(a("-1\u{a0}234\u{a0}567,5", ','), Ok(-123_456_750));
        assert_eq!(a("1234,56", ','), Ok(123_456));
        assert_eq!(a(" -12,50 ", ','), Ok(-1250));
        assert_eq!(a("1.23,4", ','), Err(DecimalError::NotANumber));
        assert_eq!(a("12.50", ','), Err(DecimalError::NotANumber));
        assert_eq!(a("1,234.56", '.'), Ok(123_456));
        assert_eq!(a("-12.50", '.'), Ok(-1250));
        assert_eq!(a("12,5", '.'), Err(DecimalError::NotANumber));
        assert_eq!(a("1 234.56", '.'), Err(DecimalError::NotANumber));
    }

    #[test]
    fn to_the_cent_keeps_every_significant_digit() {
        assert_eq!(format_to_cent(3_810_400_000, 6), "3810.40");
        assert_eq!(format_to_cent(10_001, 6), "0.010001");
        assert_eq!(format_to_cent(-1_000_000, 6), "-1.00");
        assert_eq!(format_to_cent(0, 6), "0.00");
        assert_eq!(format_to_cent(-5, 0), "-5.00");
        assert_eq!(format_to_cent(15, 1), "1.50");
        assert_eq!(format_to_cent(123, 2), "1.23");
    }

    #[test]
    fn rounds_to_the_cent_half_away_from_zero() {
        assert_eq!(round_to_cents(10_005, 6), 1);
        assert_eq!(round_to_cents(5_000, 6), 1);
        assert_eq!(round_to_cents(-5_000, 6), -1);
        assert_eq!(round_to_cents(4_999, 6), 0);
        assert_eq!(round_to_cents(-4_999, 6), 0);
        assert_eq!(round_to_cents(81_610_001, 6), 8161);
        assert_eq!(round_to_cents(-37_605, 3), -3761);
        assert_eq!(round_to_cents(7, 0), 700);
    }

    #[test]
    fn formats_plain() {
        assert_eq!(format_scaled(-1_250, 2), "-12.50");
        assert_eq!(format_scaled(5, 6), "0.000005");
        assert_eq!(format_scaled(-5, 6), "-0.000005");
        assert_eq!(format_scaled(7, 0), "7");
    }

    #[test]
    fn builder_picks_the_smallest_scale_that_holds_every_digit() {
        let mut b = DecimalBuilder::new(18, 2);
        b.push(Some(parse_decimal("1.5", 18, true).unwrap()));
        b.push(None);
        b.push(Some(parse_decimal("-0.010001", 18, true).unwrap()));
        assert_eq!(b.digits(), 6);
        let col = b.into_column("x", 6).unwrap();
        let (vals, scale) = decimal_values(&col).unwrap();
        assert_eq!(scale, 6);
        assert_eq!(vals, vec![Some(1_500_000), None, Some(-10_001)]);
    }
}
