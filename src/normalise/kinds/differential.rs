//! Differential test of the flat member scanner (`model/flat.rs`) against `serde_json`: a
//! new-commerce line read by [`FlatLineItem::parse`] and the same line read by `serde_json` into
//! the same model type give the same charges row, or both reject.
//!
//! The reference keeps every member with its raw value (`serde_json`'s own tokenizer and string
//! decoding), folds the names in ASCII (the contract: names match whatever their casing), lets a
//! later duplicate win, and reads values the model's way: decimals through the serde `Dec` impl,
//! text as sent (numbers and booleans as written), the structured fields as compact JSON.

use std::borrow::Cow;
use std::fmt;

use proptest::prelude::*;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::ToCharge;
use crate::model::line_item::{FlatLineItem, OneTimeLineItem};
use crate::model::{Money, Rate, Str};

/// An object's members in document order, duplicates kept.
struct Members(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut out = Vec::new();
                while let Some(member) = map.next_entry::<String, Box<RawValue>>()? {
                    out.push(member);
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A text member as sent: strings decoded, numbers and booleans as written, null and nested none.
fn ref_text(raw: &RawValue) -> Result<Str<'static>, String> {
    let t = raw.get();
    Ok(match t.as_bytes()[0] {
        b'"' => Some(Cow::Owned(
            serde_json::from_str::<String>(t).map_err(|e| e.to_string())?,
        )),
        b'n' | b'[' | b'{' => None,
        _ => Some(Cow::Owned(t.to_owned())),
    })
}

/// A structured text member: nested values as compact JSON (empty ones none).
fn ref_json(raw: &RawValue) -> Result<Str<'static>, String> {
    match raw.get().as_bytes()[0] {
        b'[' | b'{' => {
            let v: serde_json::Value =
                serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
            let empty = match &v {
                serde_json::Value::Array(a) => a.is_empty(),
                serde_json::Value::Object(o) => o.is_empty(),
                _ => false,
            };
            Ok((!empty).then(|| Cow::Owned(v.to_string())))
        }
        _ => ref_text(raw),
    }
}

fn ref_rate(raw: &RawValue) -> Result<Rate, String> {
    serde_json::from_str(raw.get()).map_err(|e| e.to_string())
}

fn ref_money(raw: &RawValue) -> Result<Money, String> {
    serde_json::from_str(raw.get()).map_err(|e| e.to_string())
}

/// The reference reading of one line into the model type.
fn reference_item(json: &[u8]) -> Result<OneTimeLineItem<'static>, String> {
    let Members(members) = serde_json::from_slice(json).map_err(|e| e.to_string())?;
    let mut it = OneTimeLineItem::default();
    for (name, raw) in members {
        let raw = &*raw;
        match name.to_ascii_lowercase().as_str() {
            "customerid" => it.customer_id = ref_text(raw)?,
            "customername" => it.customer_name = ref_text(raw)?,
            "invoicenumber" => it.invoice_number = ref_text(raw)?,
            "orderid" => it.order_id = ref_text(raw)?,
            "orderdate" => it.order_date = ref_text(raw)?,
            "productid" => it.product_id = ref_text(raw)?,
            "skuid" => it.sku_id = ref_text(raw)?,
            "availabilityid" => it.availability_id = ref_text(raw)?,
            "productname" => it.product_name = ref_text(raw)?,
            "skuname" => it.sku_name = ref_text(raw)?,
            "chargetype" => it.charge_type = ref_text(raw)?,
            "unitprice" => it.unit_price = ref_rate(raw)?,
            "effectiveunitprice" => it.effective_unit_price = ref_rate(raw)?,
            "quantity" => it.quantity = ref_rate(raw)?,
            "billablequantity" => it.billable_quantity = ref_rate(raw)?,
            "subtotal" => it.subtotal = ref_money(raw)?,
            "taxtotal" => it.tax_total = ref_money(raw)?,
            "totalforcustomer" => it.total_for_customer = ref_money(raw)?,
            "total" => it.total = ref_money(raw)?,
            "currency" => it.currency = ref_text(raw)?,
            "pricingcurrency" => it.pricing_currency = ref_text(raw)?,
            "pctobcexchangerate" => it.pc_to_bc_exchange_rate = ref_rate(raw)?,
            "subscriptionid" => it.subscription_id = ref_text(raw)?,
            "chargestartdate" => it.charge_start_date = ref_text(raw)?,
            "chargeenddate" => it.charge_end_date = ref_text(raw)?,
            "referenceid" => it.reference_id = ref_json(raw)?,
            "meterdescription" => it.meter_description = ref_text(raw)?,
            "reservationorderid" => it.reservation_order_id = ref_text(raw)?,
            "termandbillingcycle" => it.term_and_billing_cycle = ref_text(raw)?,
            "billingfrequency" => it.billing_frequency = ref_text(raw)?,
            "creditreasoncode" => it.credit_reason_code = ref_text(raw)?,
            "productqualifiers" => it.product_qualifiers = ref_json(raw)?,
            "promotionid" => it.promotion_id = ref_text(raw)?,
            "priceadjustmentdescription" => it.price_adjustment_description = ref_text(raw)?,
            "subscriptionstartdate" => it.subscription_start_date = ref_text(raw)?,
            "subscriptionenddate" => it.subscription_end_date = ref_text(raw)?,
            "publishername" => it.publisher_name = ref_text(raw)?,
            _ => {}
        }
    }
    Ok(it)
}

/// The charges row of a line as text, or `None` when the line is rejected (not an object, a bad
/// member, a bad date).
fn row_by(item: Result<OneTimeLineItem<'_>, String>) -> Option<String> {
    let item = item.ok()?;
    let row = item.to_charge().ok()?;
    Some(format!("{row:?}"))
}

fn flat_row(json: &[u8]) -> Option<String> {
    row_by(OneTimeLineItem::parse(json))
}

fn reference_row(json: &[u8]) -> Option<String> {
    row_by(reference_item(json))
}

/// What a member holds, for the generator.
#[derive(Debug, Clone, Copy)]
enum Class {
    Text,
    Decimal,
    Date,
    Structured,
}

/// Member names as v1 spells them (the generator varies the casing), and a few unknown ones.
const NAMES: &[(&str, Class)] = &[
    ("customerId", Class::Text),
    ("customerName", Class::Text),
    ("invoiceNumber", Class::Text),
    ("orderId", Class::Text),
    ("orderDate", Class::Text),
    ("productId", Class::Text),
    ("skuId", Class::Text),
    ("availabilityId", Class::Text),
    ("productName", Class::Text),
    ("skuName", Class::Text),
    ("chargeType", Class::Text),
    ("unitPrice", Class::Decimal),
    ("effectiveUnitPrice", Class::Decimal),
    ("quantity", Class::Decimal),
    ("billableQuantity", Class::Decimal),
    ("subtotal", Class::Decimal),
    ("taxTotal", Class::Decimal),
    ("totalForCustomer", Class::Decimal),
    ("Total", Class::Decimal),
    ("currency", Class::Text),
    ("pricingCurrency", Class::Text),
    ("pcToBCExchangeRate", Class::Decimal),
    ("subscriptionId", Class::Text),
    ("chargeStartDate", Class::Date),
    ("chargeEndDate", Class::Date),
    ("referenceId", Class::Structured),
    ("meterDescription", Class::Text),
    ("reservationOrderId", Class::Text),
    ("termAndBillingCycle", Class::Text),
    ("billingFrequency", Class::Text),
    ("creditReasonCode", Class::Text),
    ("productQualifiers", Class::Structured),
    ("promotionId", Class::Text),
    ("priceAdjustmentDescription", Class::Text),
    ("subscriptionStartDate", Class::Date),
    ("subscriptionEndDate", Class::Date),
    ("publisherName", Class::Text),
    ("unknownMember", Class::Structured),
    ("attributes", Class::Structured),
    (
        "aMemberNameLongerThanAnyNameThatPcreconReadsAtAll",
        Class::Text,
    ),
];

/// Pieces of a JSON string's content: plain, escaped, non-ASCII, surrogate pairs.
const STRING_PIECES: &[&str] = &[
    "Contoso",
    "2d4f6a8c-0E1F-4a3b-9c5d-7e9f1a3b5c7d",
    " ",
    ",",
    ":",
    "{",
    "}",
    "]",
    "é",
    "😀",
    "\\\"",
    "\\\\",
    "\\/",
    "\\n",
    "\\t",
    "\\u00e9",
    "\\u0041",
    "\\uD83D\\uDE00",
    "\\ud83d\\ude00",
    "12.50",
    "cycleCharge",
    "new",
];

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "12",
    "12.5",
    "-88.40",
    "0.010001",
    "1E-6",
    "1.5e2",
    "3e+2",
    "-0.0",
    "431.8",
    "0.0209496384791679",
    "100000000000",
];

const DATES: &[&str] = &[
    "2025-03-01T00:00:00Z",
    "2025-03-01T00:00:00",
    "2018-02-08T22:40:37.5897767Z",
    "2019-02-04T21:22:40.1767993-08:00",
    "2019-02-04T23:22:40+02:00",
    "2025-03-01",
    "0001-01-01T00:00:00",
    "2025-02-30T00:00:00Z",
    "2025-13-01T00:00:00Z",
    "",
];

const NESTED: &[&str] = &[
    "[]",
    "{}",
    "[ ]",
    r#"["AddOn" ,"Trial"]"#,
    r#"{ "x" : [1, "é", {"z":"]}"}], "y": null }"#,
    r#"[{"a":"\"]"},[[]],true,-1.5e3]"#,
    r#"{"k":"\u00e9\uD83D\uDE00"}"#,
];

const WHITE: &[&str] = &["", " ", "\n", "\t ", "\r\n  "];

fn string_value() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(STRING_PIECES), 0..5)
        .prop_map(|p| format!("\"{}\"", p.concat()))
}

/// A member value of `class`, or now and then of another shape.
fn value(class: Class) -> BoxedStrategy<String> {
    let number = prop::sample::select(NUMBERS).prop_map(str::to_owned);
    // only spaces: a raw control character in a string is not JSON
    let number_as_string = (
        prop::sample::select(NUMBERS),
        prop::sample::select(&["", " "][..]),
    )
        .prop_map(|(n, w)| format!("\"{w}{n}{w}\""));
    let date = prop::sample::select(DATES).prop_map(|d| format!("\"{d}\""));
    let nested = prop::sample::select(NESTED).prop_map(str::to_owned);
    let literal =
        prop::sample::select(&["null", "true", "false", "\"\""][..]).prop_map(str::to_owned);
    match class {
        Class::Text => prop_oneof![
            6 => string_value(),
            1 => number,
            1 => literal,
            1 => nested,
        ]
        .boxed(),
        Class::Decimal => prop_oneof![
            4 => number,
            3 => number_as_string,
            1 => literal,
            1 => string_value(),
        ]
        .boxed(),
        Class::Date => prop_oneof![6 => date, 1 => literal, 1 => string_value()].boxed(),
        Class::Structured => prop_oneof![
            3 => nested,
            2 => string_value(),
            1 => literal,
            1 => number,
        ]
        .boxed(),
    }
}

/// One member: its name with each letter's case flipped where `flips` says (now and then one
/// letter written as a `\u` escape), then the value.
fn member() -> impl Strategy<Value = String> {
    (0..NAMES.len()).prop_flat_map(|i| {
        let (name, class) = NAMES[i];
        (
            prop::collection::vec(any::<bool>(), name.len()),
            value(class),
            prop::sample::select(WHITE),
            prop::sample::select(WHITE),
            prop::option::weighted(0.1, any::<prop::sample::Index>()),
        )
            .prop_map(move |(flips, v, w1, w2, escape)| {
                let escape = escape.map(|i| i.index(name.len()));
                let name: String = name
                    .chars()
                    .zip(flips)
                    .enumerate()
                    .map(|(i, (c, f))| {
                        let c = if f {
                            c.to_ascii_uppercase()
                        } else {
                            c.to_ascii_lowercase()
                        };
                        // a letter written as a \u escape is the same name to JSON
                        if escape == Some(i) {
                            format!("\\u{:04X}", c as u32)
                        } else {
                            c.to_string()
                        }
                    })
                    .collect();
                format!("\"{name}\"{w1}:{w2}{v}")
            })
    })
}

/// A whole line object (member names may repeat: the later one wins on both paths).
fn line() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(member(), 0..14),
        prop::sample::select(WHITE),
        prop::sample::select(WHITE),
    )
        .prop_map(|(members, w1, w2)| {
            format!("{w1}{{{}}}{w2}", members.join(&format!("{w2},{w1}")))
        })
}

/// Bytes a mutation inserts: structure, escapes, garbage, invalid UTF-8.
const GARBAGE: &[&[u8]] = &[
    b",", b"}", b"{", b"]", b"\"", b"\\", b":", b"x", b"1", b" ", b"\0", b"\n", b"\xff", b"\\u12",
    b"\\uD800", b"null",
];

/// Found by the differential test: a member name written with a `\u` escape was not matched.
#[test]
fn escaped_member_names_are_the_members_they_spell() {
    let line = br#"{"\u0063ustomerName":"Contoso","sub\u0074otal":"1.5"}"#;
    let item = OneTimeLineItem::parse(line).unwrap();
    assert_eq!(item.customer_name.as_deref(), Some("Contoso"));
    assert_eq!(item.subtotal.0.map(|s| s.digits), Some(1));
    assert_eq!(flat_row(line), reference_row(line));
    assert!(
        OneTimeLineItem::parse(br#"{"\uD800":1}"#).is_err(),
        "a lone surrogate"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    /// Well-formed lines: the same row, or both reject (a bad decimal or date).
    #[test]
    fn flat_lines_read_as_serde_json_reads_them(line in line()) {
        let flat = flat_row(line.as_bytes());
        let reference = reference_row(line.as_bytes());
        prop_assert_eq!(flat, reference, "{}", line);
    }

    /// Mutated lines (cut off, a byte dropped, garbage inserted): whenever `serde_json` reads the
    /// line, the flat scanner gives the same row; a line the flat scanner rejects is also
    /// rejected by the reference (the scanner never refuses valid JSON).
    #[test]
    fn mutated_lines_never_read_differently(
        line in line(),
        at in any::<prop::sample::Index>(),
        how in 0u8..3,
        garbage in prop::sample::select(GARBAGE),
    ) {
        let mut b = line.into_bytes();
        let k = at.index(b.len() + 1);
        match how {
            0 => b.truncate(k),
            1 if k < b.len() => {
                b.remove(k);
            }
            _ => {
                b.splice(k..k, garbage.iter().copied());
            }
        }
        let flat = flat_row(&b);
        let reference = reference_row(&b);
        let shown = String::from_utf8_lossy(&b);
        if reference.is_some() || flat.is_none() {
            prop_assert_eq!(flat, reference, "{}", shown);
        }
    }
}
