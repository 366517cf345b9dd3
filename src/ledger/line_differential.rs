//! Differential test of the ledger's physical line numbers ([`Tap`], which counts them as the
//! file streams past) against a slow reference: the number of line breaks (`\r\n`, lone `\n`,
//! lone `\r`, quoted or not) before each record's first byte, on random mixes of breaks, quoted
//! breaks and blank lines, read in chunks of random size (a `\r\n` may be split between reads).

use proptest::prelude::*;

use super::Tap;

/// 1 + the line breaks in `before` (`\r\n` is one break).
fn slow_line(before: &[u8]) -> u64 {
    let mut breaks = 1;
    let mut i = 0;
    while i < before.len() {
        match before[i] {
            b'\r' => {
                breaks += 1;
                if before.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => breaks += 1,
            _ => {}
        }
        i += 1;
    }
    breaks
}

const BREAKS: &[&str] = &["\n", "\r\n", "\r"];

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9 ]{1,3}",
        prop::collection::vec(
            prop::sample::select(&["x", ",", "\"\"", "\n", "\r\n", "\r", "\r\r", "\n\n", " "][..]),
            0..5
        )
        .prop_map(|p| format!("\"{}\"", p.concat())),
    ]
}

/// A record (its first field never empty, so that it is never a blank line), its terminator and
/// how many blank lines follow.
fn record() -> impl Strategy<Value = (Vec<String>, &'static str, Vec<&'static str>)> {
    (
        prop::collection::vec(field(), 1..4),
        prop::sample::select(BREAKS),
        prop::collection::vec(prop::sample::select(BREAKS), 0..3),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn record_lines_agree_with_a_slow_count(
        records in prop::collection::vec(record(), 1..12),
        last_terminated in any::<bool>(),
        chunk in 1usize..64,
    ) {
        let mut data = Vec::new();
        let mut starts = Vec::new();
        let n = records.len();
        for (i, (fields, end, blanks)) in records.iter().enumerate() {
            starts.push(data.len());
            data.extend_from_slice(fields.join(",").as_bytes());
            if i + 1 < n || last_terminated {
                data.extend_from_slice(end.as_bytes());
                for b in blanks {
                    data.extend_from_slice(b.as_bytes());
                }
            }
        }
        let want: Vec<u64> = starts[1..].iter().map(|&s| slow_line(&data[..s])).collect();

        let tap = Tap::new(std::io::BufReader::with_capacity(chunk, &data[..]), u64::MAX).unwrap();
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .buffer_capacity(chunk)
            .from_reader(tap);
        r.byte_headers().unwrap();
        let mut rec = csv::ByteRecord::new();
        let mut got = Vec::new();
        while r.read_byte_record(&mut rec).unwrap() {
            got.push(r.get_mut().record_line(rec.position()));
        }
        prop_assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&data));
    }
}
