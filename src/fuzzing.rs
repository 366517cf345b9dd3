//! Entry points of the fuzz targets (`fuzz/`, README "Fuzzing") and of the corpus replay test
//! (`tests/it/fuzz_corpus.rs`); not part of pcrecon's interface.
//!
//! Each function hands arbitrary bytes to one parser through the code a run uses, ignores
//! whether they parse, and panics only when an invariant that must hold for every input is
//! broken (a parsed amount that does not read back the same, a row lost between reader and
//! report, …). Everything stays in memory: no file is written.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use polars::prelude::DataFrame;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::ledger::config::{DateFormat, DecimalSeparator, Delimiter};
use crate::ledger::{LedgerConfig, LedgerFile, Opened};
use crate::model::feed::{FEEDS, Feed, Parser};
use crate::model::flat::{Token, for_each_member};
use crate::model::invoice::Collection;
use crate::model::json::{fold_member_names, read_json_bytes};
use crate::model::strip_bom;
use crate::money::{self, MONEY_SCALE, RATE_SCALE, Scaled};
use crate::normalise::part_frame;
use crate::source::config::ReadLimits;
use crate::source::snapshot::{parse_export_manifest, safe_file_name};

/// Limits for the in-memory files: a line longer than the sample blobs' longest (under 3 KB) but
/// short enough that inputs of the fuzzers' size reach the too-long branch; pages, items and
/// blobs small enough that the fuzzers reach those branches too.
const LIMITS: ReadLimits = ReadLimits {
    max_line_bytes: 8 << 10,
    max_inflate_ratio: 200,
    max_page_bytes: 32 << 10,
    max_page_items: 64,
    max_export_blobs: 16,
};

/// An export blob's JSON lines (already inflated): every line through the flat scanner, checked
/// against serde_json where the line is a valid JSON object, then the whole blob through the
/// export parser into a charges batch.
pub fn json_line(data: &[u8]) {
    for line in data.split(|b| *b == b'\n') {
        scan_line(strip_bom(line).trim_ascii());
    }
    if let Ok(frame) = part_frame(Feed::Export, data, LIMITS) {
        let lines = data
            .split(|b| *b == b'\n')
            .filter(|l| !strip_bom(l).trim_ascii().is_empty())
            .count();
        assert_eq!(frame.height(), lines, "every non-blank line is one charge");
        assert_line_refs_unique(&frame);
    }
}

/// The flat scanner on one JSON object: where serde_json reads the line as an object, the
/// scanner must read it too, to the same members (the last of a repeated name counts).
fn scan_line(line: &[u8]) {
    let mut members: HashMap<String, Token<'_>> = HashMap::new();
    let scanned = for_each_member(line, |key, token| {
        // the line item readers call these on the members they keep
        let _ = token.text();
        let _ = token.text_or_json();
        members.insert(String::from_utf8_lossy(key).into_owned(), token);
        Ok(())
    });
    let Ok(serde_json::Value::Object(object)) = serde_json::from_slice(line) else {
        return;
    };
    if let Err(e) = scanned {
        panic!("serde_json reads an object the flat scanner refuses: {e}");
    }
    assert_eq!(members.len(), object.len(), "member names");
    for (key, value) in &object {
        let token = members.get(key).unwrap_or_else(|| panic!("member {key:?}"));
        let same = match (token, value) {
            (Token::Str { .. }, serde_json::Value::String(s)) => {
                token.text().ok().flatten().as_deref() == Some(s.as_str())
            }
            (Token::Number(raw) | Token::Nested(raw), _) => {
                serde_json::from_slice::<serde_json::Value>(raw)
                    .ok()
                    .as_ref()
                    == Some(value)
            }
            (Token::Null, serde_json::Value::Null) => true,
            (Token::Bool(b), serde_json::Value::Bool(v)) => b == v,
            _ => false,
        };
        assert!(
            same,
            "member {key:?}: scanned {token:?}, serde_json {value}"
        );
    }
}

/// A v1 line item page: the first byte picks the feed (and so the line item kind), the rest is
/// the page. Every item of a page that parses is one charge.
pub fn v1_page(data: &[u8]) {
    let Some((pick, page)) = data.split_first() else {
        return;
    };
    let v1: Vec<Feed> = FEEDS
        .iter()
        .filter(|f| f.parser != Parser::ExportBlobs)
        .map(|f| f.feed)
        .collect();
    let feed = v1[*pick as usize % v1.len()];
    if let Ok(frame) = part_frame(feed, page, LIMITS) {
        let items =
            read_json_bytes::<Collection<&serde_json::value::RawValue>>(Path::new(""), page)
                .expect("a page that parses to charges parses as a collection")
                .items
                .len();
        assert_eq!(frame.height(), items, "every item is one charge");
        assert_line_refs_unique(&frame);
    }
}

/// Identical lines get `-2`, `-3`, … so every charge has its own `line_ref`.
fn assert_line_refs_unique(frame: &DataFrame) {
    let refs = frame.column("line_ref").expect("line_ref column");
    assert_eq!(
        refs.n_unique().expect("line_ref values"),
        frame.height(),
        "line_ref values repeat"
    );
}

/// An export's `manifest.json`: member names are folded as the snapshot reader folds them, and
/// every blob it lists maps to its own safe file name.
pub fn export_manifest(data: &[u8]) {
    let folded = fold_member_names(data);
    assert_eq!(folded.len(), data.len(), "folding keeps every byte");
    assert_eq!(
        fold_member_names(&folded),
        folded,
        "folding twice changes nothing"
    );
    if serde_json::from_slice::<serde_json::Value>(data).is_ok() {
        assert!(
            serde_json::from_slice::<serde_json::Value>(&folded).is_ok(),
            "folding broke valid JSON"
        );
    }
    let path = Path::new("invoices/G000000001/export/manifest.json");
    let Ok(manifest) = parse_export_manifest(path, data, "invoice G000000001", &LIMITS) else {
        return;
    };
    let mut files: HashMap<String, &str> = HashMap::new();
    for blob in &manifest.blobs {
        let file = safe_file_name(&blob.name);
        assert!(
            !file.starts_with('.')
                && file
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')),
            "blob {:?} → unsafe file name {file:?}",
            blob.name
        );
        if let Some(other) = files.insert(file.clone(), &blob.name) {
            assert_eq!(other, blob.name, "two blobs share the file {file:?}");
        }
    }
}

/// Date formats a ledger may be written in (every one round-trips a date).
const DATE_FORMATS: [&str; 6] = [
    "%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y", "%d/%m/%Y", "%Y%m%d", "%e %b %Y",
];

/// The ledger configs the fuzzer starts from: the default one (contract column names) and the
/// Swedish sample's (its own column names), read by the config loader.
fn base_ledger_configs() -> &'static [LedgerConfig; 2] {
    static CONFIGS: OnceLock<[LedgerConfig; 2]> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        let sv = Config::from_text(
            Path::new("config/pcrecon-sv.toml"),
            include_str!("../config/pcrecon-sv.toml"),
            &[],
        )
        .expect("the Swedish sample config loads");
        [LedgerConfig::default(), sv.ledger]
    })
}

/// A ledger CSV file: the first four bytes pick the delimiter (`,` `;` tab `|`), the decimal
/// separator, the date format and the column names (contract or Swedish sample); the rest is
/// the file. Every data row is accepted or rejected, once, on its own line.
pub fn ledger_csv(data: &[u8]) {
    let [delimiter, separator, date_format, columns, csv @ ..] = data else {
        return;
    };
    let mut config = base_ledger_configs()[*columns as usize % 2].clone();
    config.delimiter =
        Delimiter::parse([",", ";", "\\t", "|"][*delimiter as usize % 4]).expect("one character");
    config.decimal_separator = if separator % 2 == 0 {
        DecimalSeparator::Dot
    } else {
        DecimalSeparator::Comma
    };
    config.date_format =
        DateFormat::parse(DATE_FORMATS[*date_format as usize % DATE_FORMATS.len()])
            .expect("a date format that round-trips");
    if config.check().is_err() {
        // `,` as both delimiter and decimal separator: refused when the config loads
        return;
    }
    let file = LedgerFile {
        display: "ledger.csv".into(),
        path: PathBuf::from("ledger.csv"),
    };
    let mut entries = 0;
    let loaded = crate::ledger::load_from(
        std::slice::from_ref(&file),
        &config,
        &mut |_| entries += 1,
        &mut |_| Ok(Box::new(csv) as Opened<'_>),
    );
    let Ok(ledger) = loaded else {
        return;
    };
    let rows = ledger.files[0].rows;
    assert_eq!(ledger.accepted, entries, "accepted rows handed on");
    assert_eq!(
        ledger.accepted + ledger.rejected.height(),
        rows,
        "every row accepted or rejected"
    );
    assert_eq!(
        ledger.rejected_by_reason.values().sum::<usize>(),
        ledger.rejected.height(),
        "rejections by reason"
    );
    assert_eq!(
        ledger.files[0].sha256,
        format!("{:x}", Sha256::digest(csv)),
        "the file's fingerprint"
    );
    // physical lines as spreadsheets count them: `\r\n`, `\n` and `\r` each end one
    let body = csv.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(csv);
    let breaks = body
        .iter()
        .enumerate()
        .filter(|&(i, b)| *b == b'\r' || (*b == b'\n' && (i == 0 || body[i - 1] != b'\r')))
        .count() as u64;
    let lines = ledger.rejected.column("line").expect("line column");
    let lines: Vec<u64> = lines
        .u64()
        .expect("lines are u64")
        .iter()
        .map(|l| l.expect("every rejected row has a line"))
        .collect();
    assert!(
        lines.windows(2).all(|w| w[0] < w[1]),
        "rejected rows' lines go up: {lines:?}"
    );
    assert!(
        lines.iter().all(|l| (2..=breaks + 1).contains(l)),
        "rejected rows' lines within the file's {} lines: {lines:?}",
        breaks + 1
    );
}

/// One decimal text through every parser that reads money: JSON numbers and strings at the money
/// and rate scales, and ledger amounts with either separator. A parsed value written back
/// (plainly, to the cent, or grouped in thousands for a ledger) reads back the same.
pub fn decimal(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for scale in [MONEY_SCALE, RATE_SCALE] {
        if let Ok(v) = money::parse_decimal(&text, scale, true) {
            check_written_back(v, scale, &text);
        }
    }
    for separator in ['.', ','] {
        let Ok(v) = money::parse_ledger_amount(&text, separator, MONEY_SCALE) else {
            continue;
        };
        check_written_back(v, MONEY_SCALE, &text);
        let plain = money::format_to_cent(v.value, MONEY_SCALE);
        // the contract's digit grouping for each separator (none first)
        let groups: &[char] = if separator == ',' {
            &[' ', '.', '\u{a0}', '\u{202f}']
        } else {
            &[',']
        };
        for group in std::iter::once(None).chain(groups.iter().copied().map(Some)) {
            let written = ledger_text(&plain, separator, group);
            assert_eq!(
                money::parse_ledger_amount(&written, separator, MONEY_SCALE).map(|w| w.value),
                Ok(v.value),
                "{text:?} read with {separator:?} as {plain}, written {written:?}"
            );
        }
    }
}

/// `v` (parsed from `text` at `scale`) written plainly, with every digit and to the cent, parses
/// back to the same value and digit count.
fn check_written_back(v: Scaled, scale: u32, text: &str) {
    assert!(v.digits <= scale, "{text:?}: {v:?}");
    let mut plain = Vec::new();
    money::push_decimal(&mut plain, v.value, scale, 0);
    let plain = String::from_utf8(plain).expect("digits are ASCII");
    for written in [
        plain.clone(),
        money::format_scaled(v.value, scale),
        money::format_to_cent(v.value, scale),
    ] {
        assert_eq!(
            money::parse_decimal(&written, scale, false),
            Ok(v),
            "{text:?} parsed at scale {scale}, written {written:?}"
        );
    }
}

/// A plain decimal (`-1234567.5`) as a ledger writes it with `separator`, its thousands
/// grouped with `group` when given (`-1,234,567.5`; `-1 234 567,5`).
fn ledger_text(plain: &str, separator: char, group: Option<char>) -> String {
    let (int_part, frac) = plain.split_once('.').unwrap_or((plain, ""));
    let (sign, digits) = int_part
        .strip_prefix('-')
        .map_or(("", int_part), |d| ("-", d));
    let mut out = String::from(sign);
    for (i, c) in digits.chars().enumerate() {
        if let Some(g) = group
            && i > 0
            && (digits.len() - i) % 3 == 0
        {
            out.push(g);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(separator);
        out.push_str(frac);
    }
    out
}

/// A config file's text, then after a NUL byte `PCRECON_*=value` lines as its environment. A
/// config that loads prints (as check-config prints it) a TOML that loads back to the same
/// config.
pub fn config_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (toml, env) = text.split_once('\0').unwrap_or((text, ""));
    let env: Vec<(String, String)> = env
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let path = Path::new("/pcrecon-fuzz/config/pcrecon.toml");
    let Ok(config) = Config::from_text(path, toml, &env) else {
        return;
    };
    let printed = config.to_redacted_toml();
    let again = Config::from_text(path, &printed, &[])
        .unwrap_or_else(|e| panic!("check-config's output does not load back: {e}\n{printed}"));
    assert_eq!(
        format!("{again:?}"),
        format!("{config:?}"),
        "check-config's output loads back to another config:\n{printed}"
    );
}
