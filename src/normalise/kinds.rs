//! How each line item kind maps onto a [`ChargeRow`] (the contract's charges columns).

use std::borrow::Cow;

use super::{ChargeCategory, ChargeRow, KeyHasher};
use crate::model::line_item::{
    DailyRatedUsageLineItem, DailyUsageLineItem, LicenseBasedLineItem, OneTimeLineItem,
    UsageBasedLineItem,
};
use crate::model::{Str, api_date, normalise_id};

fn s<'a>(v: &'a Str<'_>) -> Option<&'a str> {
    v.as_deref().filter(|s| !s.is_empty())
}

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
pub trait ToCharge {
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
        let quantity = self.billable_quantity.0.or(self.quantity.0);
        let unit_price = self.effective_unit_price.0.or(self.unit_price.0);
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
        k.dec(quantity).dec(unit_price).dec(self.subtotal.0);
        Ok(ChargeRow {
            category,
            customer_id: id(&self.customer_id),
            customer_name: s(&self.customer_name),
            subscription_id: id(&self.subscription_id),
            order_id: s(&self.order_id),
            product_id: s(&self.product_id).map(Cow::Borrowed),
            sku_id: s(&self.sku_id).map(Cow::Borrowed),
            product_name: s(&self.product_name),
            sku_name: s(&self.sku_name),
            charge_type,
            charge_start_date: date("chargeStartDate", &self.charge_start_date)?,
            charge_end_date: date("chargeEndDate", &self.charge_end_date)?,
            quantity,
            unit_price,
            subtotal: self.subtotal.0,
            tax: self.tax_total.0,
            total: self.total_for_customer.0,
            currency: s(&self.currency),
            key: k.finish(),
        })
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
        Ok(ChargeRow {
            category: ChargeCategory::Recurring,
            customer_id: id(&self.customer_id),
            customer_name: s(&self.customer_name),
            subscription_id: id(&self.subscription_id),
            order_id: s(&self.order_id),
            product_id: id(&self.offer_id),
            sku_id: id(&self.durable_offer_id),
            product_name: s(&self.offer_name),
            sku_name: s(&self.subscription_name),
            charge_type: s(&self.charge_type),
            charge_start_date: date("chargeStartDate", &self.charge_start_date)?,
            charge_end_date: date("chargeEndDate", &self.charge_end_date)?,
            quantity: self.quantity.0,
            unit_price: self.unit_price.0,
            subtotal: self.subtotal.0,
            tax: self.tax.0,
            total: self.total_for_customer.0,
            currency: s(&self.currency),
            key: k.finish(),
        })
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
        k.text(self.detail_line_item_id.0.as_deref());
        Ok(ChargeRow {
            category: ChargeCategory::Usage,
            customer_id: id(&self.customer_id),
            customer_name: s(&self.customer_company_name),
            subscription_id: id(&self.subscription_id),
            order_id: s(&self.order_id),
            product_id: id(&self.resource_guid),
            sku_id: s(&self.sku).map(Cow::Borrowed),
            product_name: s(&self.service_name).or(s(&self.service_type)),
            sku_name: s(&self.resource_name),
            charge_type: s(&self.charge_type),
            charge_start_date: date("chargeStartDate", &self.charge_start_date)?,
            charge_end_date: date("chargeEndDate", &self.charge_end_date)?,
            quantity: self.consumed_quantity.0,
            unit_price: self.list_price.0,
            subtotal: self.pretax_charges.0,
            tax: self.tax_amount.0,
            total: self.post_tax_total.0,
            currency: s(&self.currency),
            key: k.finish(),
        })
    }
}

impl ToCharge for DailyUsageLineItem<'_> {
    fn to_charge(&self) -> Result<ChargeRow<'_>, String> {
        let mut k = KeyHasher::default();
        for f in [&self.subscription_id, &self.resource_guid, &self.usage_date] {
            k.text(s(f));
        }
        Ok(ChargeRow {
            category: ChargeCategory::Usage,
            customer_id: id(&self.customer_id),
            customer_name: s(&self.customer_company_name),
            subscription_id: id(&self.subscription_id),
            order_id: s(&self.order_id),
            product_id: id(&self.resource_guid),
            sku_id: None,
            product_name: s(&self.service_name),
            sku_name: s(&self.resource_name),
            charge_type: None,
            charge_start_date: date("chargeStartDate", &self.charge_start_date)?
                .or(date("usageDate", &self.usage_date)?),
            charge_end_date: date("chargeEndDate", &self.charge_end_date)?,
            quantity: self.consumed_quantity.0,
            unit_price: None,
            subtotal: None,
            tax: None,
            total: None,
            currency: None,
            key: k.finish(),
        })
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
        Ok(ChargeRow {
            category: ChargeCategory::Usage,
            customer_id: id(&self.customer_id),
            customer_name: s(&self.customer_name),
            subscription_id: id(&self.subscription_id),
            order_id: None,
            product_id: s(&self.product_id).map(Cow::Borrowed),
            sku_id: s(&self.sku_id).map(Cow::Borrowed),
            product_name: s(&self.product_name),
            sku_name: s(&self.sku_name),
            charge_type: s(&self.charge_type),
            charge_start_date: date("usageDate", &self.usage_date)?
                .or(date("chargeStartDate", &self.charge_start_date)?),
            charge_end_date: date("chargeEndDate", &self.charge_end_date)?,
            quantity: self.quantity.0,
            unit_price: self.unit_price.0,
            subtotal: self.billing_pre_tax_total.0,
            tax: None,
            total: None,
            currency: s(&self.billing_currency),
            key: k.finish(),
        })
    }
}
