//! Line items of every kind (API reference §6.4–§6.8), borrowed from the page or JSON line they
//! were parsed from. Field names are camelCase (v1); the new-commerce line also takes the
//! PascalCase names of v2 export rows.
#![allow(missing_docs)]

use serde::Deserialize;

use super::flat::{self, Token};
use super::{Dec, Money, Rate, Str, Text};

/// A new-commerce / modern line (`OneTimeInvoiceLineItem`): v1 `onetime-billinglineitems` pages
/// and the rows of a v2 billed-reconciliation export. Parsed by [`OneTimeLineItem::parse`] with
/// member names matched case-insensitively (camelCase v1, PascalCase v2).
#[derive(Debug, Default)]
pub struct OneTimeLineItem<'a> {
    pub customer_id: Str<'a>,
    pub customer_name: Str<'a>,
    pub invoice_number: Str<'a>,
    pub order_id: Str<'a>,
    pub order_date: Str<'a>,
    pub product_id: Str<'a>,
    pub sku_id: Str<'a>,
    pub availability_id: Str<'a>,
    pub product_name: Str<'a>,
    pub sku_name: Str<'a>,
    pub charge_type: Str<'a>,
    pub unit_price: Rate,
    pub effective_unit_price: Rate,
    pub quantity: Rate,
    pub billable_quantity: Rate,
    pub subtotal: Money,
    pub tax_total: Money,
    pub total_for_customer: Money,
    /// The after-tax total as the reconciliation file names it (`Total`).
    pub total: Money,
    pub currency: Str<'a>,
    pub pricing_currency: Str<'a>,
    pub pc_to_bc_exchange_rate: Rate,
    pub subscription_id: Str<'a>,
    pub charge_start_date: Str<'a>,
    pub charge_end_date: Str<'a>,
    pub reference_id: Str<'a>,
    pub meter_description: Str<'a>,
    pub reservation_order_id: Str<'a>,
    pub term_and_billing_cycle: Str<'a>,
    pub billing_frequency: Str<'a>,
    pub credit_reason_code: Str<'a>,
    /// Compact JSON text when sent as an array (`[]`: none).
    pub product_qualifiers: Str<'a>,
    pub promotion_id: Str<'a>,
    pub price_adjustment_description: Str<'a>,
    pub subscription_start_date: Str<'a>,
    pub subscription_end_date: Str<'a>,
    pub publisher_name: Str<'a>,
}

impl<'a> OneTimeLineItem<'a> {
    /// Parses one line item object (a JSON line of an export blob, or an item of a v1 page).
    /// Unknown members are skipped; a number may arrive as a JSON string; errors name the member.
    pub fn parse(json: &'a [u8]) -> Result<OneTimeLineItem<'a>, String> {
        let mut it = OneTimeLineItem::default();
        let mut buf = [0u8; 48];
        flat::for_each_member(json, |key, value| {
            let Some(k) = flat::lower_key(key, &mut buf) else {
                return Ok(());
            };
            let text = |v: Token<'a>| {
                v.text()
                    .map_err(|e| format!("{}: {e}", String::from_utf8_lossy(key)))
            };
            let json = |v: Token<'a>| {
                v.text_or_json()
                    .map_err(|e| format!("{}: {e}", String::from_utf8_lossy(key)))
            };
            let named = |e: String| format!("{}: {e}", String::from_utf8_lossy(key));
            // dispatch on the length first: two or three comparisons per member, not twenty-five
            match (k.len(), k) {
                (5, b"skuid") => it.sku_id = text(value)?,
                (5, b"total") => it.total = decimal(value).map_err(named)?,
                (7, b"orderid") => it.order_id = text(value)?,
                (7, b"skuname") => it.sku_name = text(value)?,
                (8, b"quantity") => it.quantity = decimal(value).map_err(named)?,
                (8, b"subtotal") => it.subtotal = decimal(value).map_err(named)?,
                (8, b"taxtotal") => it.tax_total = decimal(value).map_err(named)?,
                (8, b"currency") => it.currency = text(value)?,
                (9, b"orderdate") => it.order_date = text(value)?,
                (9, b"productid") => it.product_id = text(value)?,
                (9, b"unitprice") => it.unit_price = decimal(value).map_err(named)?,
                (10, b"customerid") => it.customer_id = text(value)?,
                (10, b"chargetype") => it.charge_type = text(value)?,
                (11, b"productname") => it.product_name = text(value)?,
                (11, b"referenceid") => it.reference_id = json(value)?,
                (11, b"promotionid") => it.promotion_id = text(value)?,
                (12, b"customername") => it.customer_name = text(value)?,
                (13, b"invoicenumber") => it.invoice_number = text(value)?,
                (13, b"chargeenddate") => it.charge_end_date = text(value)?,
                (13, b"publishername") => it.publisher_name = text(value)?,
                (14, b"availabilityid") => it.availability_id = text(value)?,
                (14, b"subscriptionid") => it.subscription_id = text(value)?,
                (15, b"chargestartdate") => it.charge_start_date = text(value)?,
                (15, b"pricingcurrency") => it.pricing_currency = text(value)?,
                (16, b"billablequantity") => {
                    it.billable_quantity = decimal(value).map_err(named)?
                }
                (16, b"totalforcustomer") => {
                    it.total_for_customer = decimal(value).map_err(named)?
                }
                (16, b"meterdescription") => it.meter_description = text(value)?,
                (16, b"billingfrequency") => it.billing_frequency = text(value)?,
                (16, b"creditreasoncode") => it.credit_reason_code = text(value)?,
                (18, b"effectiveunitprice") => {
                    it.effective_unit_price = decimal(value).map_err(named)?
                }
                (18, b"reservationorderid") => it.reservation_order_id = text(value)?,
                (17, b"productqualifiers") => it.product_qualifiers = json(value)?,
                (19, b"termandbillingcycle") => it.term_and_billing_cycle = text(value)?,
                (19, b"subscriptionenddate") => it.subscription_end_date = text(value)?,
                (21, b"subscriptionstartdate") => it.subscription_start_date = text(value)?,
                (26, b"priceadjustmentdescription") => {
                    it.price_adjustment_description = text(value)?
                }
                (18, b"pctobcexchangerate") => {
                    it.pc_to_bc_exchange_rate = decimal(value).map_err(named)?
                }
                _ => {}
            }
            Ok(())
        })?;
        Ok(it)
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

/// A legacy license-based line (`LicenseBasedLineItem`, `office-billinglineitems`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseBasedLineItem<'a> {
    #[serde(borrow, default)]
    pub customer_id: Str<'a>,
    #[serde(borrow, default)]
    pub customer_name: Str<'a>,
    #[serde(borrow, default)]
    pub order_id: Str<'a>,
    #[serde(borrow, default)]
    pub subscription_id: Str<'a>,
    #[serde(borrow, default)]
    pub offer_id: Str<'a>,
    #[serde(borrow, default)]
    pub durable_offer_id: Str<'a>,
    #[serde(borrow, default)]
    pub offer_name: Str<'a>,
    #[serde(borrow, default)]
    pub subscription_name: Str<'a>,
    #[serde(borrow, default)]
    pub charge_start_date: Str<'a>,
    #[serde(borrow, default)]
    pub charge_end_date: Str<'a>,
    #[serde(borrow, default)]
    pub charge_type: Str<'a>,
    #[serde(borrow, default)]
    pub billing_cycle_type: Str<'a>,
    #[serde(borrow, default)]
    pub subscription_start_date: Str<'a>,
    #[serde(borrow, default)]
    pub subscription_end_date: Str<'a>,
    #[serde(default)]
    pub unit_price: Rate,
    #[serde(default)]
    pub quantity: Rate,
    #[serde(default)]
    pub subtotal: Money,
    #[serde(default)]
    pub tax: Money,
    #[serde(default)]
    pub total_for_customer: Money,
    #[serde(borrow, default)]
    pub currency: Str<'a>,
}

/// A legacy Azure rated-usage line (`UsageBasedLineItem`, `azure-billinglineitems`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageBasedLineItem<'a> {
    #[serde(borrow, default)]
    pub customer_id: Str<'a>,
    #[serde(borrow, default)]
    pub customer_company_name: Str<'a>,
    #[serde(borrow, default)]
    pub subscription_id: Str<'a>,
    #[serde(borrow, default)]
    pub order_id: Str<'a>,
    #[serde(borrow, default)]
    pub service_name: Str<'a>,
    #[serde(borrow, default)]
    pub service_type: Str<'a>,
    #[serde(borrow, default)]
    pub billing_cycle_type: Str<'a>,
    #[serde(borrow, default)]
    pub resource_guid: Str<'a>,
    #[serde(borrow, default)]
    pub resource_name: Str<'a>,
    #[serde(borrow, default)]
    pub sku: Str<'a>,
    /// Distinguishes price tiers of one meter: part of the line's identity.
    #[serde(default)]
    pub detail_line_item_id: Text,
    #[serde(default)]
    pub consumed_quantity: Rate,
    #[serde(default)]
    pub list_price: Rate,
    #[serde(default)]
    pub pretax_charges: Money,
    #[serde(default)]
    pub tax_amount: Money,
    #[serde(default)]
    pub post_tax_total: Money,
    #[serde(borrow, default)]
    pub currency: Str<'a>,
    #[serde(borrow, default)]
    pub charge_type: Str<'a>,
    #[serde(borrow, default)]
    pub charge_start_date: Str<'a>,
    #[serde(borrow, default)]
    pub charge_end_date: Str<'a>,
}

/// A legacy Azure daily usage line (`DailyUsageLineItem`, `azure-usagelineitems`): quantities only.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DailyUsageLineItem<'a> {
    #[serde(borrow, default)]
    pub customer_id: Str<'a>,
    #[serde(borrow, default)]
    pub customer_company_name: Str<'a>,
    #[serde(borrow, default)]
    pub subscription_id: Str<'a>,
    #[serde(borrow, default)]
    pub order_id: Str<'a>,
    #[serde(borrow, default)]
    pub service_name: Str<'a>,
    #[serde(borrow, default)]
    pub resource_guid: Str<'a>,
    #[serde(borrow, default)]
    pub resource_name: Str<'a>,
    #[serde(borrow, default)]
    pub usage_date: Str<'a>,
    #[serde(borrow, default)]
    pub billing_cycle_type: Str<'a>,
    #[serde(default)]
    pub consumed_quantity: Rate,
    #[serde(borrow, default)]
    pub charge_start_date: Str<'a>,
    #[serde(borrow, default)]
    pub charge_end_date: Str<'a>,
}

/// An Azure plan daily-rated usage line (`DailyRatedUsageLineItem`, `onetime-usagelineitems`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DailyRatedUsageLineItem<'a> {
    #[serde(borrow, default, alias = "CustomerId")]
    pub customer_id: Str<'a>,
    #[serde(borrow, default, alias = "CustomerName")]
    pub customer_name: Str<'a>,
    #[serde(borrow, default, alias = "SubscriptionId")]
    pub subscription_id: Str<'a>,
    #[serde(borrow, default, alias = "ProductId")]
    pub product_id: Str<'a>,
    #[serde(borrow, default, alias = "SkuId")]
    pub sku_id: Str<'a>,
    #[serde(borrow, default, alias = "ProductName")]
    pub product_name: Str<'a>,
    #[serde(borrow, default, alias = "SkuName")]
    pub sku_name: Str<'a>,
    #[serde(borrow, default, alias = "ChargeType")]
    pub charge_type: Str<'a>,
    #[serde(borrow, default, alias = "UsageDate")]
    pub usage_date: Str<'a>,
    #[serde(borrow, default, alias = "PublisherName")]
    pub publisher_name: Str<'a>,
    #[serde(borrow, default, alias = "MeterId")]
    pub meter_id: Str<'a>,
    #[serde(borrow, default, alias = "ResourceUri")]
    pub resource_uri: Str<'a>,
    #[serde(borrow, default, alias = "EntitlementId")]
    pub entitlement_id: Str<'a>,
    #[serde(default, alias = "Quantity")]
    pub quantity: Rate,
    #[serde(default, alias = "UnitPrice")]
    pub unit_price: Rate,
    #[serde(default, alias = "EffectiveUnitPrice")]
    pub effective_unit_price: Rate,
    #[serde(default, rename = "pcToBCExchangeRate", alias = "PCToBCExchangeRate")]
    pub pc_to_bc_exchange_rate: Rate,
    #[serde(borrow, default, alias = "PricingCurrency")]
    pub pricing_currency: Str<'a>,
    #[serde(default, alias = "BillingPreTaxTotal")]
    pub billing_pre_tax_total: Money,
    #[serde(borrow, default, alias = "BillingCurrency")]
    pub billing_currency: Str<'a>,
    #[serde(borrow, default, alias = "ChargeStartDate")]
    pub charge_start_date: Str<'a>,
    #[serde(borrow, default, alias = "ChargeEndDate")]
    pub charge_end_date: Str<'a>,
}
