//! Line items of every kind (API reference §6.4–§6.8), borrowed from the page or JSON line they
//! were parsed from. Member names are matched case-insensitively (camelCase v1, PascalCase v2,
//! whatever casing a source sends): each kind declares its members once, in [`line_item!`].
#![allow(missing_docs)]

use std::borrow::Cow;

use super::flat::{self, Token};
use super::{Dec, Money, Rate, Str};

/// A line item kind read from one JSON object by the flat scanner.
pub(crate) trait FlatLineItem<'a>: Sized {
    /// Parses one line item object (an item of a v1 page, or a JSON line of an export blob).
    /// Unknown members are skipped; a number may arrive as a JSON string; errors name the member.
    fn parse(json: &'a [u8]) -> Result<Self, String>;
}

/// Declares a line item kind: the struct (every field optional, borrowed where it can be) and
/// its [`FlatLineItem::parse`], from one row per member: `folded_name => field: Type = reader`.
/// The folded name is the member's name in lower case; a member matches whatever its casing.
/// Dispatch compares lengths before bytes and allocates nothing per member.
macro_rules! line_item {
    (
        $(#[$meta:meta])*
        pub(crate) struct $kind:ident {
            $($(#[$fmeta:meta])* $name:literal => $field:ident: $ty:ty = $read:ident,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Default)]
        pub(crate) struct $kind<'a> {
            $($(#[$fmeta])* pub(crate) $field: $ty,)*
        }

        impl<'a> FlatLineItem<'a> for $kind<'a> {
            fn parse(json: &'a [u8]) -> Result<Self, String> {
                let mut it = $kind::default();
                let mut buf = [0u8; 48];
                flat::for_each_member(json, |key, value| {
                    let Some(k) = flat::lower_key(key, &mut buf) else {
                        return Ok(());
                    };
                    let named = |e: String| format!("{}: {e}", String::from_utf8_lossy(key));
                    $(
                        const { assert!(flat::is_folded($name), "member names are declared folded") };
                        if k.len() == $name.len() && k == $name {
                            it.$field = $read(value).map_err(named)?;
                            return Ok(());
                        }
                    )*
                    Ok(())
                })?;
                Ok(it)
            }
        }
    };
}

/// A text member as sent (numbers and booleans as written; nested values none).
fn text<'a>(v: Token<'a>) -> Result<Option<Cow<'a, str>>, String> {
    v.text()
}

/// A text member that some sources send as a JSON array or object: kept as compact JSON text.
fn json<'a>(v: Token<'a>) -> Result<Option<Cow<'a, str>>, String> {
    v.text_or_json()
}

line_item! {
    /// A new-commerce / modern line (`OneTimeInvoiceLineItem`): v1 `onetime-billinglineitems`
    /// pages and the rows of a v2 billed-reconciliation export.
    pub(crate) struct OneTimeLineItem {
        b"customerid" => customer_id: Str<'a> = text,
        b"customername" => customer_name: Str<'a> = text,
        b"invoicenumber" => invoice_number: Str<'a> = text,
        b"orderid" => order_id: Str<'a> = text,
        b"orderdate" => order_date: Str<'a> = text,
        b"productid" => product_id: Str<'a> = text,
        b"skuid" => sku_id: Str<'a> = text,
        b"availabilityid" => availability_id: Str<'a> = text,
        b"productname" => product_name: Str<'a> = text,
        b"skuname" => sku_name: Str<'a> = text,
        b"chargetype" => charge_type: Str<'a> = text,
        b"unitprice" => unit_price: Rate = decimal,
        b"effectiveunitprice" => effective_unit_price: Rate = decimal,
        b"quantity" => quantity: Rate = decimal,
        b"billablequantity" => billable_quantity: Rate = decimal,
        b"subtotal" => subtotal: Money = decimal,
        b"taxtotal" => tax_total: Money = decimal,
        b"totalforcustomer" => total_for_customer: Money = decimal,
        /// The after-tax total as the reconciliation file names it (`Total`).
        b"total" => total: Money = decimal,
        b"currency" => currency: Str<'a> = text,
        b"pricingcurrency" => pricing_currency: Str<'a> = text,
        b"pctobcexchangerate" => pc_to_bc_exchange_rate: Rate = decimal,
        b"subscriptionid" => subscription_id: Str<'a> = text,
        b"chargestartdate" => charge_start_date: Str<'a> = text,
        b"chargeenddate" => charge_end_date: Str<'a> = text,
        b"referenceid" => reference_id: Str<'a> = json,
        b"meterdescription" => meter_description: Str<'a> = text,
        b"reservationorderid" => reservation_order_id: Str<'a> = text,
        b"termandbillingcycle" => term_and_billing_cycle: Str<'a> = text,
        b"billingfrequency" => billing_frequency: Str<'a> = text,
        b"creditreasoncode" => credit_reason_code: Str<'a> = text,
        /// Compact JSON text when sent as an array (`[]`: none).
        b"productqualifiers" => product_qualifiers: Str<'a> = json,
        b"promotionid" => promotion_id: Str<'a> = text,
        b"priceadjustmentdescription" => price_adjustment_description: Str<'a> = text,
        b"subscriptionstartdate" => subscription_start_date: Str<'a> = text,
        b"subscriptionenddate" => subscription_end_date: Str<'a> = text,
        b"publishername" => publisher_name: Str<'a> = text,
    }
}

line_item! {
    /// A legacy license-based line (`LicenseBasedLineItem`, `office-billinglineitems`).
    pub(crate) struct LicenseBasedLineItem {
        b"customerid" => customer_id: Str<'a> = text,
        b"customername" => customer_name: Str<'a> = text,
        b"orderid" => order_id: Str<'a> = text,
        b"subscriptionid" => subscription_id: Str<'a> = text,
        b"offerid" => offer_id: Str<'a> = text,
        b"durableofferid" => durable_offer_id: Str<'a> = text,
        b"offername" => offer_name: Str<'a> = text,
        b"subscriptionname" => subscription_name: Str<'a> = text,
        b"chargestartdate" => charge_start_date: Str<'a> = text,
        b"chargeenddate" => charge_end_date: Str<'a> = text,
        b"chargetype" => charge_type: Str<'a> = text,
        b"billingcycletype" => billing_cycle_type: Str<'a> = text,
        b"subscriptionstartdate" => subscription_start_date: Str<'a> = text,
        b"subscriptionenddate" => subscription_end_date: Str<'a> = text,
        b"unitprice" => unit_price: Rate = decimal,
        b"quantity" => quantity: Rate = decimal,
        b"subtotal" => subtotal: Money = decimal,
        b"tax" => tax: Money = decimal,
        b"totalforcustomer" => total_for_customer: Money = decimal,
        b"currency" => currency: Str<'a> = text,
    }
}

line_item! {
    /// A legacy Azure rated-usage line (`UsageBasedLineItem`, `azure-billinglineitems`).
    pub(crate) struct UsageBasedLineItem {
        b"customerid" => customer_id: Str<'a> = text,
        b"customercompanyname" => customer_company_name: Str<'a> = text,
        b"subscriptionid" => subscription_id: Str<'a> = text,
        b"orderid" => order_id: Str<'a> = text,
        b"servicename" => service_name: Str<'a> = text,
        b"servicetype" => service_type: Str<'a> = text,
        b"billingcycletype" => billing_cycle_type: Str<'a> = text,
        b"resourceguid" => resource_guid: Str<'a> = text,
        b"resourcename" => resource_name: Str<'a> = text,
        b"sku" => sku: Str<'a> = text,
        /// Distinguishes price tiers of one meter: part of the line's identity (a number or a
        /// string, kept as written).
        b"detaillineitemid" => detail_line_item_id: Str<'a> = text,
        b"consumedquantity" => consumed_quantity: Rate = decimal,
        b"listprice" => list_price: Rate = decimal,
        b"pretaxcharges" => pretax_charges: Money = decimal,
        b"taxamount" => tax_amount: Money = decimal,
        b"posttaxtotal" => post_tax_total: Money = decimal,
        b"currency" => currency: Str<'a> = text,
        b"chargetype" => charge_type: Str<'a> = text,
        b"chargestartdate" => charge_start_date: Str<'a> = text,
        b"chargeenddate" => charge_end_date: Str<'a> = text,
    }
}

line_item! {
    /// A legacy Azure daily usage line (`DailyUsageLineItem`, `azure-usagelineitems`): quantities
    /// only.
    pub(crate) struct DailyUsageLineItem {
        b"customerid" => customer_id: Str<'a> = text,
        b"customercompanyname" => customer_company_name: Str<'a> = text,
        b"subscriptionid" => subscription_id: Str<'a> = text,
        b"orderid" => order_id: Str<'a> = text,
        b"servicename" => service_name: Str<'a> = text,
        b"resourceguid" => resource_guid: Str<'a> = text,
        b"resourcename" => resource_name: Str<'a> = text,
        b"usagedate" => usage_date: Str<'a> = text,
        b"billingcycletype" => billing_cycle_type: Str<'a> = text,
        b"consumedquantity" => consumed_quantity: Rate = decimal,
        b"chargestartdate" => charge_start_date: Str<'a> = text,
        b"chargeenddate" => charge_end_date: Str<'a> = text,
    }
}

line_item! {
    /// An Azure plan daily-rated usage line (`DailyRatedUsageLineItem`, `onetime-usagelineitems`).
    pub(crate) struct DailyRatedUsageLineItem {
        b"customerid" => customer_id: Str<'a> = text,
        b"customername" => customer_name: Str<'a> = text,
        b"subscriptionid" => subscription_id: Str<'a> = text,
        b"productid" => product_id: Str<'a> = text,
        b"skuid" => sku_id: Str<'a> = text,
        b"productname" => product_name: Str<'a> = text,
        b"skuname" => sku_name: Str<'a> = text,
        b"chargetype" => charge_type: Str<'a> = text,
        b"usagedate" => usage_date: Str<'a> = text,
        b"publishername" => publisher_name: Str<'a> = text,
        b"meterid" => meter_id: Str<'a> = text,
        b"resourceuri" => resource_uri: Str<'a> = text,
        b"entitlementid" => entitlement_id: Str<'a> = text,
        b"quantity" => quantity: Rate = decimal,
        b"unitprice" => unit_price: Rate = decimal,
        b"effectiveunitprice" => effective_unit_price: Rate = decimal,
        b"pctobcexchangerate" => pc_to_bc_exchange_rate: Rate = decimal,
        b"pricingcurrency" => pricing_currency: Str<'a> = text,
        b"billingpretaxtotal" => billing_pre_tax_total: Money = decimal,
        b"billingcurrency" => billing_currency: Str<'a> = text,
        b"chargestartdate" => charge_start_date: Str<'a> = text,
        b"chargeenddate" => charge_end_date: Str<'a> = text,
    }
}

/// An exact decimal at scale `S` from a number token or a string holding one (`""`/null: none).
fn decimal<const S: u32>(v: Token<'_>) -> Result<Dec<S>, String> {
    let raw = match v {
        Token::Number(n) => n,
        Token::Str {
            raw,
            escaped: false,
        } => raw.trim_ascii(),
        Token::Null => return Ok(Dec(None)),
        other => return Err(format!("{other:?} is not a decimal number")),
    };
    if raw.is_empty() {
        return Ok(Dec(None));
    }
    let text = std::str::from_utf8(raw).map_err(|_| "not a decimal number".to_owned())?;
    crate::money::parse_decimal(text, S, true)
        .map(|s| Dec(Some(s)))
        .map_err(|e| format!("{text}: {e}"))
}
