//! How each line item kind fills a [`ChargeRow`] (the contract's charges columns): one
//! `row[col::<column>] = …` per column the kind has; the others stay empty.

use std::borrow::Cow;

use super::ChargeCategory;
use super::columns::{ChargeRow, col};
use crate::model::fnv::KeyHasher;
#[cfg(test)]
use crate::model::line_item::FlatLineItem;
use crate::model::line_item::{
    DailyRatedUsageLineItem, DailyUsageLineItem, LicenseBasedLineItem, OneTimeLineItem,
    UsageBasedLineItem,
};
use crate::model::{Str, api_date, normalise_id};

fn s<'a>(v: &'a Str<'_>) -> Option<&'a str> {
    v.as_deref().filter(|s| !s.is_empty())
}

/// A text value as sent (empty is none).
fn text<'a>(v: &'a Str<'_>) -> Option<Cow<'a, str>> {
    s(v).map(Cow::Borrowed)
}

/// An id, normalised (GUIDs lower-cased).
fn id<'a>(v: &'a Str<'_>) -> Option<Cow<'a, str>> {
    s(v).map(normalise_id)
}

fn date(field: &str, v: &Str<'_>) -> Result<Option<chrono::NaiveDate>, String> {
    s(v).map(api_date)
        .transpose()
        .map(Option::flatten)
        .map_err(|e| format!("{field}: {e}"))
}

/// Maps a line item to a charges row.
pub(crate) trait ToCharge {
    /// The row, or why the line cannot be one (a bad date).
    fn to_charge(&self) -> Result<ChargeRow<'_>, String>;
}

impl ToCharge for OneTimeLineItem<'_> {
    fn to_charge(&self) -> Result<ChargeRow<'_>, String> {
        let charge_type = s(&self.charge_type);
        let ct = charge_type.unwrap_or("");
        let category = if ct.eq_ignore_ascii_case("cycleCharge") || ct.eq_ignore_ascii_case("renew")
        {
            ChargeCategory::Recurring
        } else if s(&self.meter_description).is_some() {
            ChargeCategory::Usage
        } else {
            ChargeCategory::OneTime
        };
        // the line key has always hashed the billable quantity and effective price (falling back
        // to the API's own): kept so that line_ref stays the same from release to release
        let key_quantity = self.billable_quantity.0.or(self.quantity.0);
        let key_unit_price = self.effective_unit_price.0.or(self.unit_price.0);
        // API reference §7.5: no line id exists; the candidate natural key stands in.
        let mut k = KeyHasher::default();
        for f in [
            &self.order_id,
            &self.subscription_id,
            &self.product_id,
            &self.sku_id,
            &self.availability_id,
            &self.charge_type,
            &self.charge_start_date,
            &self.charge_end_date,
            &self.reference_id,
            &self.order_date,
            &self.meter_description,
            &self.reservation_order_id,
        ] {
            k.text(s(f));
        }
        k.dec(key_quantity).dec(key_unit_price).dec(self.subtotal.0);
        let mut row = ChargeRow::new(category, k.finish());
        row[col::customer_id] = id(&self.customer_id);
        row[col::customer_name] = text(&self.customer_name);
        row[col::subscription_id] = id(&self.subscription_id);
        row[col::order_id] = text(&self.order_id);
        row[col::product_id] = text(&self.product_id);
        row[col::sku_id] = text(&self.sku_id);
        row[col::product_name] = text(&self.product_name);
        row[col::sku_name] = text(&self.sku_name);
        row[col::charge_type] = charge_type.map(Cow::Borrowed);
        row[col::charge_start_date] = date("chargeStartDate", &self.charge_start_date)?;
        row[col::charge_end_date] = date("chargeEndDate", &self.charge_end_date)?;
        row[col::quantity] = self.quantity.0;
        row[col::unit_price] = self.unit_price.0;
        row[col::subtotal] = self.subtotal.0;
        row[col::tax] = self.tax_total.0;
        row[col::total] = self.total_for_customer.0.or(self.total.0);
        row[col::currency] = text(&self.currency);
        row[col::billable_quantity] = self.billable_quantity.0;
        row[col::effective_unit_price] = self.effective_unit_price.0;
        row[col::pc_to_bc_exchange_rate] = self.pc_to_bc_exchange_rate.0;
        row[col::pricing_currency] = text(&self.pricing_currency);
        row[col::term_and_billing_cycle] = text(&self.term_and_billing_cycle);
        row[col::billing_frequency] = text(&self.billing_frequency);
        row[col::credit_reason_code] = text(&self.credit_reason_code);
        row[col::meter_description] = text(&self.meter_description);
        row[col::reservation_order_id] = text(&self.reservation_order_id);
        row[col::reference_id] = text(&self.reference_id);
        row[col::product_qualifiers] = text(&self.product_qualifiers);
        row[col::promotion_id] = text(&self.promotion_id);
        row[col::price_adjustment_description] = text(&self.price_adjustment_description);
        row[col::subscription_start_date] =
            date("subscriptionStartDate", &self.subscription_start_date)?;
        row[col::subscription_end_date] = date("subscriptionEndDate", &self.subscription_end_date)?;
        row[col::publisher_name] = text(&self.publisher_name);
        Ok(row)
    }
}

impl ToCharge for LicenseBasedLineItem<'_> {
    fn to_charge(&self) -> Result<ChargeRow<'_>, String> {
        let mut k = KeyHasher::default();
        for f in [
            &self.subscription_id,
            &self.order_id,
            &self.charge_type,
            &self.charge_start_date,
            &self.charge_end_date,
        ] {
            k.text(s(f));
        }
        k.dec(self.quantity.0).dec(self.subtotal.0);
        let mut row = ChargeRow::new(ChargeCategory::Recurring, k.finish());
        row[col::customer_id] = id(&self.customer_id);
        row[col::customer_name] = text(&self.customer_name);
        row[col::subscription_id] = id(&self.subscription_id);
        row[col::order_id] = text(&self.order_id);
        row[col::product_id] = id(&self.offer_id);
        row[col::sku_id] = id(&self.durable_offer_id);
        row[col::product_name] = text(&self.offer_name);
        row[col::sku_name] = text(&self.subscription_name);
        row[col::charge_type] = text(&self.charge_type);
        row[col::charge_start_date] = date("chargeStartDate", &self.charge_start_date)?;
        row[col::charge_end_date] = date("chargeEndDate", &self.charge_end_date)?;
        row[col::quantity] = self.quantity.0;
        row[col::unit_price] = self.unit_price.0;
        row[col::subtotal] = self.subtotal.0;
        row[col::tax] = self.tax.0;
        row[col::total] = self.total_for_customer.0;
        row[col::currency] = text(&self.currency);
        row[col::billing_frequency] = text(&self.billing_cycle_type);
        row[col::subscription_start_date] =
            date("subscriptionStartDate", &self.subscription_start_date)?;
        row[col::subscription_end_date] = date("subscriptionEndDate", &self.subscription_end_date)?;
        Ok(row)
    }
}

impl ToCharge for UsageBasedLineItem<'_> {
    fn to_charge(&self) -> Result<ChargeRow<'_>, String> {
        let mut k = KeyHasher::default();
        for f in [
            &self.subscription_id,
            &self.resource_guid,
            &self.charge_start_date,
            &self.charge_type,
        ] {
            k.text(s(f));
        }
        k.text(s(&self.detail_line_item_id));
        let mut row = ChargeRow::new(ChargeCategory::Usage, k.finish());
        row[col::customer_id] = id(&self.customer_id);
        row[col::customer_name] = text(&self.customer_company_name);
        row[col::subscription_id] = id(&self.subscription_id);
        row[col::order_id] = text(&self.order_id);
        row[col::product_id] = id(&self.resource_guid);
        row[col::sku_id] = text(&self.sku);
        row[col::product_name] = text(&self.service_name).or(text(&self.service_type));
        row[col::sku_name] = text(&self.resource_name);
        row[col::charge_type] = text(&self.charge_type);
        row[col::charge_start_date] = date("chargeStartDate", &self.charge_start_date)?;
        row[col::charge_end_date] = date("chargeEndDate", &self.charge_end_date)?;
        row[col::quantity] = self.consumed_quantity.0;
        row[col::unit_price] = self.list_price.0;
        row[col::subtotal] = self.pretax_charges.0;
        row[col::tax] = self.tax_amount.0;
        row[col::total] = self.post_tax_total.0;
        row[col::currency] = text(&self.currency);
        row[col::billing_frequency] = text(&self.billing_cycle_type);
        Ok(row)
    }
}

impl ToCharge for DailyUsageLineItem<'_> {
    fn to_charge(&self) -> Result<ChargeRow<'_>, String> {
        let mut k = KeyHasher::default();
        for f in [&self.subscription_id, &self.resource_guid, &self.usage_date] {
            k.text(s(f));
        }
        let mut row = ChargeRow::new(ChargeCategory::Usage, k.finish());
        row[col::customer_id] = id(&self.customer_id);
        row[col::customer_name] = text(&self.customer_company_name);
        row[col::subscription_id] = id(&self.subscription_id);
        row[col::order_id] = text(&self.order_id);
        row[col::product_id] = id(&self.resource_guid);
        row[col::product_name] = text(&self.service_name);
        row[col::sku_name] = text(&self.resource_name);
        let start = date("chargeStartDate", &self.charge_start_date)?;
        let usage_date = date("usageDate", &self.usage_date)?;
        row[col::charge_start_date] = start.or(usage_date);
        row[col::charge_end_date] = date("chargeEndDate", &self.charge_end_date)?;
        row[col::quantity] = self.consumed_quantity.0;
        row[col::billing_frequency] = text(&self.billing_cycle_type);
        row[col::usage_date] = usage_date;
        Ok(row)
    }
}

impl ToCharge for DailyRatedUsageLineItem<'_> {
    fn to_charge(&self) -> Result<ChargeRow<'_>, String> {
        let mut k = KeyHasher::default();
        for f in [
            &self.entitlement_id,
            &self.resource_uri,
            &self.meter_id,
            &self.usage_date,
            &self.charge_type,
        ] {
            k.text(s(f));
        }
        let mut row = ChargeRow::new(ChargeCategory::Usage, k.finish());
        row[col::customer_id] = id(&self.customer_id);
        row[col::customer_name] = text(&self.customer_name);
        row[col::subscription_id] = id(&self.subscription_id);
        row[col::product_id] = text(&self.product_id);
        row[col::sku_id] = text(&self.sku_id);
        row[col::product_name] = text(&self.product_name);
        row[col::sku_name] = text(&self.sku_name);
        row[col::charge_type] = text(&self.charge_type);
        let usage_date = date("usageDate", &self.usage_date)?;
        row[col::charge_start_date] =
            usage_date.or(date("chargeStartDate", &self.charge_start_date)?);
        row[col::charge_end_date] = date("chargeEndDate", &self.charge_end_date)?;
        row[col::quantity] = self.quantity.0;
        row[col::unit_price] = self.unit_price.0;
        row[col::subtotal] = self.billing_pre_tax_total.0;
        row[col::currency] = text(&self.billing_currency);
        row[col::effective_unit_price] = self.effective_unit_price.0;
        row[col::pc_to_bc_exchange_rate] = self.pc_to_bc_exchange_rate.0;
        row[col::pricing_currency] = text(&self.pricing_currency);
        row[col::publisher_name] = text(&self.publisher_name);
        row[col::usage_date] = usage_date;
        Ok(row)
    }
}

#[cfg(test)]
mod differential;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::{self, Scaled};

    fn rate(s: &str) -> Option<Scaled> {
        Some(money::parse_decimal(s, money::RATE_SCALE, false).unwrap())
    }

    fn cents(s: &str) -> Option<Scaled> {
        Some(money::parse_decimal(s, money::MONEY_SCALE, false).unwrap())
    }

    #[test]
    fn v2_row_named_as_the_reconciliation_file_has_its_totals() {
        let json =
            br#"{"Subtotal": "10.00", "TaxTotal": 1.9, "Total": "11.90", "Currency": "EUR"}"#;
        let item = OneTimeLineItem::parse(json).unwrap();
        let row = item.to_charge().unwrap();
        assert_eq!(row[col::subtotal], cents("10"));
        assert_eq!(row[col::tax], cents("1.90"));
        assert_eq!(row[col::total], cents("11.9"));
    }

    #[test]
    fn total_for_customer_wins_over_total() {
        let json = br#"{"totalForCustomer": 5, "total": 4}"#;
        let item = OneTimeLineItem::parse(json).unwrap();
        assert_eq!(item.to_charge().unwrap()[col::total], cents("5"));
    }

    #[test]
    fn quantity_and_unit_price_are_the_apis_own_and_billable_ones_have_their_columns() {
        let json = br#"{"quantity": 3, "unitPrice": "12.5", "billableQuantity": 0.25,
            "effectiveUnitPrice": -4.166667, "pcToBCExchangeRate": "0.9123",
            "pricingCurrency": "USD", "currency": "EUR"}"#;
        let item = OneTimeLineItem::parse(json).unwrap();
        let row = item.to_charge().unwrap();
        assert_eq!(row[col::quantity], rate("3"));
        assert_eq!(row[col::unit_price], rate("12.5"));
        assert_eq!(row[col::billable_quantity], rate("0.25"));
        assert_eq!(row[col::effective_unit_price], rate("-4.166667"));
        assert_eq!(row[col::pc_to_bc_exchange_rate], rate("0.9123"));
        assert_eq!(row[col::pricing_currency].as_deref(), Some("USD"));
        assert_eq!(row[col::currency].as_deref(), Some("EUR"));

        // the line key still hashes the billable quantity and effective price
        let mut k = KeyHasher::default();
        for _ in 0..12 {
            k.text(None);
        }
        k.dec(rate("0.25")).dec(rate("-4.166667")).dec(None);
        assert_eq!(row.key, k.finish());
    }

    #[test]
    fn daily_rated_usage_lines_carry_pricing_columns() {
        let json = r#"{"unitPrice": 0.02, "effectiveUnitPrice": 0.017, "quantity": 2,
            "pcToBCExchangeRate": 1.1, "pricingCurrency": "USD", "billingCurrency": "GBP"}"#;
        let item: DailyRatedUsageLineItem = FlatLineItem::parse(json.as_bytes()).unwrap();
        let row = item.to_charge().unwrap();
        assert_eq!(row[col::unit_price], rate("0.02"));
        assert_eq!(row[col::effective_unit_price], rate("0.017"));
        assert_eq!(row[col::pc_to_bc_exchange_rate], rate("1.1"));
        assert_eq!(row[col::pricing_currency].as_deref(), Some("USD"));
        assert_eq!(row[col::billable_quantity], None);
    }

    type TextCol = crate::normalise::columns::TextSlot<crate::normalise::columns::Line>;

    fn day(s: &str) -> Option<chrono::NaiveDate> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn new_commerce_analyst_fields_land_in_their_columns() {
        let json = br#"{"TermAndBillingCycle": "One-Year commitment for monthly billing",
            "billingFrequency": "Monthly", "creditReasonCode": "Azure Credit Offer",
            "meterDescription": "D2 v3", "reservationOrderId": "r-1",
            "ReferenceId": {"b": 2, "a": "x"}, "productQualifiers": ["AddOn", "Trial"],
            "promotionId": "P:0002:Q", "priceAdjustmentDescription": "[\"15.0% PEC\"]",
            "subscriptionStartDate": "2025-01-31T23:30:00-02:00",
            "subscriptionEndDate": "0001-01-01T00:00:00", "publisherName": "Microsoft"}"#;
        let item = OneTimeLineItem::parse(json).unwrap();
        let row = item.to_charge().unwrap();
        let t = |c: TextCol| row[c].as_deref().map(str::to_owned);
        let text = |v: &str| Some(v.to_owned());
        assert_eq!(
            t(col::term_and_billing_cycle),
            text("One-Year commitment for monthly billing")
        );
        assert_eq!(t(col::billing_frequency), text("Monthly"));
        assert_eq!(t(col::credit_reason_code), text("Azure Credit Offer"));
        assert_eq!(t(col::meter_description), text("D2 v3"));
        assert_eq!(t(col::reservation_order_id), text("r-1"));
        assert_eq!(t(col::reference_id), text(r#"{"a":"x","b":2}"#));
        assert_eq!(t(col::product_qualifiers), text(r#"["AddOn","Trial"]"#));
        assert_eq!(t(col::promotion_id), text("P:0002:Q"));
        assert_eq!(
            t(col::price_adjustment_description),
            text(r#"["15.0% PEC"]"#)
        );
        assert_eq!(t(col::publisher_name), text("Microsoft"));
        assert_eq!(row[col::subscription_start_date], day("2025-02-01"));
        assert_eq!(row[col::subscription_end_date], None, "the API's none");
        assert_eq!(row[col::usage_date], None);

        let empty =
            OneTimeLineItem::parse(br#"{"productQualifiers": [], "referenceId": "g"}"#).unwrap();
        let row = empty.to_charge().unwrap();
        assert_eq!(row[col::product_qualifiers], None);
        assert_eq!(row[col::reference_id].as_deref(), Some("g"));
        assert_eq!(row[col::term_and_billing_cycle], None);
    }

    #[test]
    fn legacy_kinds_fill_the_analyst_fields_they_have() {
        let office: LicenseBasedLineItem = FlatLineItem::parse(
            br#"{"billingCycleType": "MONTHLY", "subscriptionStartDate": "2024-05-01T00:00:00",
                "subscriptionEndDate": "0001-01-01T00:00:00"}"#,
        )
        .unwrap();
        let row = office.to_charge().unwrap();
        assert_eq!(row[col::billing_frequency].as_deref(), Some("MONTHLY"));
        assert_eq!(row[col::subscription_start_date], day("2024-05-01"));
        assert_eq!(row[col::subscription_end_date], None);
        assert_eq!(row[col::usage_date], None);

        let daily: DailyUsageLineItem = FlatLineItem::parse(
            br#"{"usageDate": "2024-05-03T00:00:00", "chargeStartDate": "2024-05-01T00:00:00"}"#,
        )
        .unwrap();
        let row = daily.to_charge().unwrap();
        assert_eq!(row[col::usage_date], day("2024-05-03"));
        assert_eq!(row[col::charge_start_date], day("2024-05-01"));

        let rated: DailyRatedUsageLineItem = FlatLineItem::parse(
            br#"{"usageDate": "2024-05-04T00:00:00Z", "publisherName": "Contoso"}"#,
        )
        .unwrap();
        let row = rated.to_charge().unwrap();
        assert_eq!(row[col::usage_date], day("2024-05-04"));
        assert_eq!(row[col::charge_start_date], day("2024-05-04"));
        assert_eq!(row[col::publisher_name].as_deref(), Some("Contoso"));
    }

    /// Members of one made-up line per kind: every member each kind reads, with a value.
    const LINES: [(&str, &[(&str, &str)]); 5] = [
        (
            "one_time",
            &[
                ("customerId", r#""7E0C4B4E-1234-4C1A-9F00-ABCDEF012345""#),
                ("customerName", r#""Fabrikam""#),
                ("invoiceNumber", r#""G1""#),
                ("orderId", r#""ab12cd34ef56""#),
                ("orderDate", r#""2025-03-02T10:00:00.1234567Z""#),
                ("productId", r#""CFQ7TTC0LH18""#),
                ("skuId", r#""0001""#),
                ("availabilityId", r#""CFQ7TTC0L1""#),
                ("productName", r#""Microsoft 365 E3""#),
                ("skuName", r#""E3""#),
                ("chargeType", r#""cycleCharge""#),
                ("unitPrice", "36"),
                ("effectiveUnitPrice", r#""33.12""#),
                ("quantity", "2"),
                ("billableQuantity", "1.5"),
                ("subtotal", "49.68"),
                ("taxTotal", "9.94"),
                ("totalForCustomer", "59.62"),
                ("currency", r#""EUR""#),
                ("pricingCurrency", r#""USD""#),
                ("pcToBCExchangeRate", "0.92"),
                (
                    "subscriptionId",
                    r#""5B3E3D56-0000-4444-8888-000000000001""#,
                ),
                ("chargeStartDate", r#""2025-03-01T00:00:00Z""#),
                ("chargeEndDate", r#""2025-03-31T00:00:00Z""#),
                ("referenceId", r#"{"k": 1}"#),
                ("meterDescription", r#""D2 v3""#),
                ("reservationOrderId", r#""ro""#),
                ("termAndBillingCycle", r#""One-Year""#),
                ("billingFrequency", r#""Monthly""#),
                ("creditReasonCode", r#""c""#),
                ("productQualifiers", r#"["Trial"]"#),
                ("promotionId", r#""P:1:Q""#),
                ("priceAdjustmentDescription", r#""[\"PEC\"]""#),
                ("subscriptionStartDate", r#""2025-01-01T00:00:00Z""#),
                ("subscriptionEndDate", r#""2026-01-01T00:00:00Z""#),
                ("publisherName", r#""Microsoft""#),
            ],
        ),
        (
            "license_based",
            &[
                ("customerId", r#""C0FFEE00-0000-0000-0000-000000000001""#),
                ("customerName", r#""Contoso""#),
                ("orderId", r#""566890123456789012""#),
                ("subscriptionId", r#""8pQrAgEAAAAAAAEA""#),
                ("offerId", r#""195416C1-3447-423A-B37B-EE59A99A19C4""#),
                (
                    "durableOfferId",
                    r#""796B6B5F-613C-4E24-A17C-EBA730D49C02""#,
                ),
                ("offerName", r#""Office 365 E3""#),
                ("subscriptionName", r#""E3""#),
                ("chargeStartDate", r#""2024-05-01T00:00:00""#),
                ("chargeEndDate", r#""2024-05-31T00:00:00""#),
                ("chargeType", r#""Cycle fee""#),
                ("billingCycleType", r#""MONTHLY""#),
                ("subscriptionStartDate", r#""2024-01-01T00:00:00""#),
                ("subscriptionEndDate", r#""2025-01-01T00:00:00""#),
                ("unitPrice", "20"),
                ("quantity", "100"),
                ("subtotal", "2000"),
                ("tax", "0"),
                ("totalForCustomer", "2000"),
                ("currency", r#""USD""#),
            ],
        ),
        (
            "usage_based",
            &[
                ("customerId", r#""C0FFEE00-0000-0000-0000-000000000002""#),
                ("customerCompanyName", r#""Tailspin""#),
                ("subscriptionId", r#""AZ-1""#),
                ("orderId", r#""o-2""#),
                ("serviceName", r#""Storage""#),
                ("serviceType", r#""Geo""#),
                ("billingCycleType", r#""Monthly""#),
                ("resourceGuid", r#""9A4E6E5F-0000-0000-0000-0000000000AA""#),
                ("resourceName", r#""Standard IO""#),
                ("sku", r#""S""#),
                ("detailLineItemId", "2"),
                ("consumedQuantity", "12.5"),
                ("listPrice", "0.12"),
                ("pretaxCharges", "1.50"),
                ("taxAmount", "0.15"),
                ("postTaxTotal", "1.65"),
                ("currency", r#""GBP""#),
                ("chargeType", r#""Assess usage fee for current cycle""#),
                ("chargeStartDate", r#""2024-05-01T00:00:00""#),
                ("chargeEndDate", r#""2024-05-31T00:00:00""#),
            ],
        ),
        (
            "daily_usage",
            &[
                ("customerId", r#""C0FFEE00-0000-0000-0000-000000000003""#),
                ("customerCompanyName", r#""Tailspin""#),
                ("subscriptionId", r#""AZ-1""#),
                ("orderId", r#""o-3""#),
                ("serviceName", r#""Compute""#),
                ("resourceGuid", r#""9A4E6E5F-0000-0000-0000-0000000000BB""#),
                ("resourceName", r#""D2""#),
                ("usageDate", r#""2024-05-03T00:00:00""#),
                ("billingCycleType", r#""Monthly""#),
                ("consumedQuantity", "24"),
                ("chargeStartDate", r#""2024-05-01T00:00:00""#),
                ("chargeEndDate", r#""2024-05-31T00:00:00""#),
            ],
        ),
        (
            "daily_rated",
            &[
                ("customerId", r#""C0FFEE00-0000-0000-0000-000000000004""#),
                ("customerName", r#""Wingtip""#),
                ("subscriptionId", r#""plan-1""#),
                ("productId", r#""DZH318Z0BQ3Q""#),
                ("skuId", r#""0001""#),
                ("productName", r#""Azure plan""#),
                ("skuName", r#""Azure plan""#),
                ("chargeType", r#""new""#),
                ("usageDate", r#""2025-03-04T00:00:00Z""#),
                ("publisherName", r#""Microsoft""#),
                ("meterId", r#""m-1""#),
                ("resourceUri", r#""/subscriptions/x/vm""#),
                ("entitlementId", r#""e-1""#),
                ("quantity", "0.5"),
                ("unitPrice", "0.2"),
                ("effectiveUnitPrice", "0.18"),
                ("pcToBCExchangeRate", "1.08"),
                ("pricingCurrency", r#""USD""#),
                ("billingPreTaxTotal", "0.10"),
                ("billingCurrency", r#""EUR""#),
                ("chargeStartDate", r#""2025-03-01T00:00:00Z""#),
                ("chargeEndDate", r#""2025-03-31T00:00:00Z""#),
            ],
        ),
    ];

    /// The line as JSON, each member name's letters upper-cased where `upper` says so.
    fn line_json(members: &[(&str, &str)], upper: &[bool]) -> Vec<u8> {
        let mut out = String::from("{");
        let mut flip = upper.iter().cycle();
        for (i, (name, value)) in members.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('"');
            for c in name.chars() {
                let up = *flip.next().unwrap_or(&false);
                out.push(if up {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                });
            }
            out.push_str("\":");
            out.push_str(value);
        }
        out.push('}');
        out.into_bytes()
    }

    /// Parses `json` as the line kind `kind` into its row's values (text, dates, decimals, key).
    fn row_of(kind: &str, json: &[u8]) -> String {
        fn values<'a, T: FlatLineItem<'a> + ToCharge>(json: &'a [u8]) -> String {
            let item = T::parse(json).unwrap();
            let row = item.to_charge().unwrap();
            format!(
                "{:?} {:?} {:?} {}",
                row.text, row.dates, row.decimals, row.key
            )
        }
        match kind {
            "one_time" => values::<OneTimeLineItem>(json),
            "license_based" => values::<LicenseBasedLineItem>(json),
            "usage_based" => values::<UsageBasedLineItem>(json),
            "daily_usage" => values::<DailyUsageLineItem>(json),
            _ => values::<DailyRatedUsageLineItem>(json),
        }
    }

    /// Each member of [`LINES`] changes the row: none is misspelt in its kind's member table.
    #[test]
    fn every_declared_member_is_read() {
        for (kind, members) in LINES {
            let all = row_of(kind, &line_json(members, &[false]));
            for skip in 0..members.len() {
                let mut fewer = members.to_vec();
                let (name, _) = fewer.remove(skip);
                // read, but another member wins: the invoice's id, serviceName, usageDate
                let shadowed = [
                    ("one_time", "invoiceNumber"),
                    ("usage_based", "serviceType"),
                    ("daily_rated", "chargeStartDate"),
                ];
                if shadowed.contains(&(kind, name)) {
                    continue;
                }
                let row = row_of(kind, &line_json(&fewer, &[false]));
                assert_ne!(row, all, "{kind}: {name} makes no difference");
            }
        }
    }

    proptest::proptest! {
        /// Any casing of the member names gives the same charges row as camelCase does.
        #[test]
        fn member_names_match_whatever_their_casing(
            kind in 0usize..LINES.len(),
            upper in proptest::collection::vec(proptest::bool::ANY, 1..64),
        ) {
            let (kind, members) = LINES[kind];
            let camel = row_of(kind, &line_json_camel(members));
            proptest::prop_assert_eq!(row_of(kind, &line_json(members, &upper)), camel);
        }
    }

    /// The line as JSON with its member names as declared (camelCase).
    fn line_json_camel(members: &[(&str, &str)]) -> Vec<u8> {
        let body: Vec<String> = members
            .iter()
            .map(|(n, v)| format!("\"{n}\":{v}"))
            .collect();
        format!("{{{}}}", body.join(",")).into_bytes()
    }
}
