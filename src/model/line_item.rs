//! Line items of every kind (API reference §6.4–§6.8), borrowed from the page or JSON line they
//! were parsed from. Field names are camelCase (v1) with PascalCase aliases (v2 export rows).

use serde::Deserialize;

use super::{Money, Rate, Str, Text};

/// A new-commerce / modern line (`OneTimeInvoiceLineItem`): v1 `onetime-billinglineitems` pages
/// and the rows of a v2 billed-reconciliation export.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OneTimeLineItem<'a> {
    #[serde(borrow, default, alias = "CustomerId")]
    pub customer_id: Str<'a>,
    #[serde(borrow, default, alias = "CustomerName")]
    pub customer_name: Str<'a>,
    #[serde(borrow, default, alias = "InvoiceNumber")]
    pub invoice_number: Str<'a>,
    #[serde(borrow, default, alias = "OrderId")]
    pub order_id: Str<'a>,
    #[serde(borrow, default, alias = "OrderDate")]
    pub order_date: Str<'a>,
    #[serde(borrow, default, alias = "ProductId")]
    pub product_id: Str<'a>,
    #[serde(borrow, default, alias = "SkuId")]
    pub sku_id: Str<'a>,
    #[serde(borrow, default, alias = "AvailabilityId")]
    pub availability_id: Str<'a>,
    #[serde(borrow, default, alias = "ProductName")]
    pub product_name: Str<'a>,
    #[serde(borrow, default, alias = "SkuName")]
    pub sku_name: Str<'a>,
    #[serde(borrow, default, alias = "ChargeType")]
    pub charge_type: Str<'a>,
    #[serde(default, alias = "UnitPrice")]
    pub unit_price: Rate,
    #[serde(default, alias = "EffectiveUnitPrice")]
    pub effective_unit_price: Rate,
    #[serde(default, alias = "Quantity")]
    pub quantity: Rate,
    #[serde(default, alias = "BillableQuantity")]
    pub billable_quantity: Rate,
    #[serde(default, alias = "Subtotal")]
    pub subtotal: Money,
    #[serde(default, alias = "TaxTotal")]
    pub tax_total: Money,
    #[serde(default, alias = "TotalForCustomer")]
    pub total_for_customer: Money,
    #[serde(borrow, default, alias = "Currency")]
    pub currency: Str<'a>,
    #[serde(borrow, default, alias = "SubscriptionId")]
    pub subscription_id: Str<'a>,
    #[serde(borrow, default, alias = "ChargeStartDate")]
    pub charge_start_date: Str<'a>,
    #[serde(borrow, default, alias = "ChargeEndDate")]
    pub charge_end_date: Str<'a>,
    #[serde(borrow, default, alias = "ReferenceId")]
    pub reference_id: Str<'a>,
    #[serde(borrow, default, alias = "MeterDescription")]
    pub meter_description: Str<'a>,
    #[serde(borrow, default, alias = "ReservationOrderId")]
    pub reservation_order_id: Str<'a>,
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
    #[serde(default, alias = "BillingPreTaxTotal")]
    pub billing_pre_tax_total: Money,
    #[serde(borrow, default, alias = "BillingCurrency")]
    pub billing_currency: Str<'a>,
    #[serde(borrow, default, alias = "ChargeStartDate")]
    pub charge_start_date: Str<'a>,
    #[serde(borrow, default, alias = "ChargeEndDate")]
    pub charge_end_date: Str<'a>,
}
