//! A small scanner for flat JSON objects (one export row or one line item): it walks the members
//! without building anything, so the hot path copies only the fields pcrecon keeps. Strings are
//! borrowed unless they hold escapes; numbers stay raw tokens for exact decimal parsing.

use std::borrow::Cow;

/// A member's value, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// A string: the bytes between the quotes, and whether they hold escapes.
    Str {
        /// Raw bytes between the quotes.
        raw: &'a [u8],
        /// True when `raw` contains a backslash escape.
        escaped: bool,
    },
    /// A number, as written.
    Number(&'a [u8]),
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A nested array or object, as written (brackets included).
    Nested(&'a [u8]),
}

impl<'a> Token<'a> {
    /// The value as text (`None` for null and nested values; numbers and booleans as written).
    pub(crate) fn text(self) -> Result<Option<Cow<'a, str>>, String> {
        match self {
            Token::Str {
                raw,
                escaped: false,
            } => std::str::from_utf8(raw)
                .map(|s| Some(Cow::Borrowed(s)))
                .map_err(|_| "a string is not valid UTF-8".to_owned()),
            Token::Str { raw, escaped: true } => {
                let mut quoted = Vec::with_capacity(raw.len() + 2);
                quoted.push(b'"');
                quoted.extend_from_slice(raw);
                quoted.push(b'"');
                serde_json::from_slice::<String>(&quoted)
                    .map(|s| Some(Cow::Owned(s)))
                    .map_err(|e| e.to_string())
            }
            Token::Number(n) => Ok(Some(Cow::Borrowed(
                std::str::from_utf8(n).expect("ASCII number"),
            ))),
            Token::Bool(b) => Ok(Some(Cow::Borrowed(if b { "true" } else { "false" }))),
            Token::Null | Token::Nested(_) => Ok(None),
        }
    }

    /// The value as text, with a nested array or object kept as its compact JSON text (an empty
    /// one is none): for fields documented as strings that some sources send structured.
    pub(crate) fn text_or_json(self) -> Result<Option<Cow<'a, str>>, String> {
        match self {
            Token::Nested(raw) => {
                let value: serde_json::Value =
                    serde_json::from_slice(raw).map_err(|e| e.to_string())?;
                let empty = match &value {
                    serde_json::Value::Array(a) => a.is_empty(),
                    serde_json::Value::Object(o) => o.is_empty(),
                    _ => false,
                };
                Ok((!empty).then(|| Cow::Owned(value.to_string())))
            }
            other => other.text(),
        }
    }
}

fn ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
        i += 1;
    }
    i
}

/// The end (index after the closing quote) of the string whose opening quote is at `i - 1`,
/// and whether it holds escapes.
fn string_end(b: &[u8], mut i: usize) -> Result<(usize, bool), String> {
    let mut escaped = false;
    loop {
        match memchr::memchr2(b'"', b'\\', &b[i..]) {
            Some(k) if b[i + k] == b'"' => return Ok((i + k + 1, escaped)),
            Some(k) => {
                escaped = true;
                i += k + 2;
                if i > b.len() {
                    return Err("unterminated string".into());
                }
            }
            None => return Err("unterminated string".into()),
        }
    }
}

/// Skips a nested array or object starting at `i` (on its `[` or `{`); returns the index after it.
fn skip_nested(b: &[u8], mut i: usize) -> Result<usize, String> {
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = string_end(b, i + 1)?.0;
                continue;
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Ok(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    Err("unterminated array or object".into())
}

/// Calls `f(key, value)` for each member of the JSON object `b` (surrounding white space
/// allowed); a key holding escapes is passed decoded. Errors say what is malformed; nothing may
/// follow the object.
pub(crate) fn for_each_member<'a>(
    b: &'a [u8],
    mut f: impl FnMut(&[u8], Token<'a>) -> Result<(), String>,
) -> Result<(), String> {
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return Err("not a JSON object".into());
    }
    i = ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return if ws(b, i + 1) == b.len() {
            Ok(())
        } else {
            Err("text after the object".into())
        };
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return Err(format!("expected a member name at byte {i}"));
        }
        let (end, key_escaped) = string_end(b, i + 1)?;
        let raw_key = &b[i + 1..end - 1];
        // `"\u0063ustomerId"` is the member `customerId` to JSON (rare: decoded only then)
        let decoded = if key_escaped {
            Token::Str {
                raw: raw_key,
                escaped: true,
            }
            .text()?
        } else {
            None
        };
        let key = decoded.as_deref().map_or(raw_key, str::as_bytes);
        i = ws(b, end);
        if b.get(i) != Some(&b':') {
            return Err(format!("expected ':' at byte {i}"));
        }
        i = ws(b, i + 1);
        let (token, next) = match b.get(i) {
            Some(b'"') => {
                let (end, escaped) = string_end(b, i + 1)?;
                (
                    Token::Str {
                        raw: &b[i + 1..end - 1],
                        escaped,
                    },
                    end,
                )
            }
            Some(b'-' | b'0'..=b'9') => {
                let mut k = i + 1;
                while k < b.len() && matches!(b[k], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    k += 1;
                }
                (Token::Number(&b[i..k]), k)
            }
            Some(b'n') if b[i..].starts_with(b"null") => (Token::Null, i + 4),
            Some(b't') if b[i..].starts_with(b"true") => (Token::Bool(true), i + 4),
            Some(b'f') if b[i..].starts_with(b"false") => (Token::Bool(false), i + 5),
            Some(b'[' | b'{') => {
                let end = skip_nested(b, i)?;
                (Token::Nested(&b[i..end]), end)
            }
            _ => return Err(format!("expected a value at byte {i}")),
        };
        f(key, token)?;
        i = ws(b, next);
        match b.get(i) {
            Some(b',') => i = ws(b, i + 1),
            Some(b'}') => {
                return if ws(b, i + 1) == b.len() {
                    Ok(())
                } else {
                    Err("text after the object".into())
                };
            }
            _ => return Err(format!("expected ',' or '}}' at byte {i} (line cut off?)")),
        }
    }
}

/// Lower-cases an ASCII member name into `buf` (for case-insensitive matching); `None` when it
/// is too long to be one pcrecon reads.
pub(crate) fn lower_key<'b>(key: &[u8], buf: &'b mut [u8; 48]) -> Option<&'b [u8]> {
    let out = buf.get_mut(..key.len())?;
    for (o, k) in out.iter_mut().zip(key) {
        *o = k.to_ascii_lowercase();
    }
    Some(out)
}

/// True when `name` has no ASCII upper-case letter (a member name as [`lower_key`] folds it).
pub(crate) const fn is_folded(name: &[u8]) -> bool {
    let mut i = 0;
    while i < name.len() {
        if name[i].is_ascii_uppercase() {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(s: &str) -> Result<Vec<(String, Token<'_>)>, String> {
        let mut v = Vec::new();
        for_each_member(s.as_bytes(), |k, t| {
            v.push((String::from_utf8(k.to_vec()).unwrap(), t));
            Ok(())
        })?;
        Ok(v)
    }

    #[test]
    fn walks_every_kind_of_value() {
        let m = members(r#" {"a":"x","b":-1.5e3,"c":null,"d":true,"e":[1,{"z":"]"}],"f":{"g":"}"},"h":"q\"\u00e9","i":false} "#).unwrap();
        let keys: Vec<&str> = m.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a", "b", "c", "d", "e", "f", "h", "i"]);
        assert_eq!(m[1].1, Token::Number(b"-1.5e3"));
        assert_eq!(m[4].1, Token::Nested(br#"[1,{"z":"]"}]"#));
        assert_eq!(m[5].1, Token::Nested(br#"{"g":"}"}"#));
        assert_eq!(m[6].1.text().unwrap().as_deref(), Some("q\"é"));
        assert_eq!(m[0].1.text().unwrap(), Some(Cow::Borrowed("x")));
        assert!(members("{}").unwrap().is_empty());
    }

    #[test]
    fn nested_values_read_as_compact_json_text() {
        let m =
            members(r#"{"a": { "x" : [1, "é"] }, "b": [ ], "c": [ "AddOn" ,"Trial"], "d": "s"}"#)
                .unwrap();
        let json = |i: usize| m[i].1.text_or_json().unwrap();
        assert_eq!(json(0).as_deref(), Some(r#"{"x":[1,"é"]}"#));
        assert_eq!(json(1), None);
        assert_eq!(json(2).as_deref(), Some(r#"["AddOn","Trial"]"#));
        assert_eq!(json(3).as_deref(), Some("s"));
        assert_eq!(m[0].1.text().unwrap(), None);
    }

    #[test]
    fn malformed_lines_are_errors() {
        for bad in [
            r#"{"a":"x""#,
            r#"{"a":"x","#,
            r#"{"a":}"#,
            r#"{"a" "x"}"#,
            r#"["a"]"#,
            r#"{"a":"x"} 1"#,
            r#"{"a":[1,2}"#,
            r#"{"a":"x\"}"#,
            "",
        ] {
            assert!(members(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn keys_lower_case_into_a_buffer() {
        let mut buf = [0u8; 48];
        assert_eq!(
            lower_key(b"PCToBCExchangeRate", &mut buf),
            Some(&b"pctobcexchangerate"[..])
        );
        assert_eq!(lower_key(&[b'a'; 60], &mut buf), None);
    }
}
