//! The charges report's columns, declared once ([`CHARGE_COLUMNS`]): name, type, and where the
//! value comes from. The column builders, the batch frames, the Parquet schema
//! ([`super::charges_schema`]) and the CSV digit rules ([`ColumnKind::min_fraction_digits`]) are
//! all derived from it.
//!
//! Adding a column is one line in `charge_columns!` plus where its value comes from: for a
//! [`Role::Line`] column, `row[col::<name>] = …` in the line item kinds that have it (`kinds.rs`;
//! the others leave it empty); for a [`Role::Batch`] column, one line in `batch_values`.

use std::borrow::Cow;
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

use chrono::NaiveDate;
use polars::prelude::DataType;

use crate::money::{self, Scaled};

/// A column's type: its polars type, working scale and CSV form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnKind {
    /// Text.
    Text,
    /// A calendar date.
    Date,
    /// An amount of money (subtotal, tax, total): written with at least cents.
    Money,
    /// A unit price or rate (many fractional digits): written with at least cents.
    Rate,
    /// A count (quantity): written with no more digits than it has (`12`, `0.5`).
    Quantity,
}

/// Where a column's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The same for every line of a batch: from the invoice header or the feed.
    Batch,
    /// From each parsed line item.
    Line,
    /// The line's reference: the hash of its natural key, numbered within its invoice.
    LineRef,
}

/// One column of the charges report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnSpec {
    /// The column's name in the report.
    pub(crate) name: &'static str,
    /// Its type.
    pub(crate) kind: ColumnKind,
    /// Where its value comes from.
    pub(crate) role: Role,
}

/// How values of a kind are held while a batch is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Storage {
    Text,
    Date,
    Decimal,
}

impl ColumnKind {
    const fn storage(self) -> Storage {
        match self {
            ColumnKind::Text => Storage::Text,
            ColumnKind::Date => Storage::Date,
            ColumnKind::Money | ColumnKind::Rate | ColumnKind::Quantity => Storage::Decimal,
        }
    }

    /// The working scale of a decimal kind (0 for text and dates).
    pub(crate) fn scale(self) -> u32 {
        match self {
            ColumnKind::Money => money::MONEY_SCALE,
            ColumnKind::Rate | ColumnKind::Quantity => money::RATE_SCALE,
            ColumnKind::Text | ColumnKind::Date => 0,
        }
    }

    /// The polars type: decimals at their working scale, fixed so that a streamed Parquet
    /// file's type is known before its first row (and stays the same from run to run).
    pub(crate) fn dtype(self) -> DataType {
        match self.storage() {
            Storage::Text => DataType::String,
            Storage::Date => DataType::Date,
            Storage::Decimal => DataType::Decimal(money::PRECISION, self.scale() as usize),
        }
    }

    /// Fractional digits a CSV cell of this kind shows at least (trailing zeros beyond are
    /// trimmed): cents for money and rates, none for quantities.
    pub(crate) fn min_fraction_digits(self) -> u32 {
        match self {
            ColumnKind::Quantity => 0,
            _ => money::CENT_DIGITS,
        }
    }
}

/// Declares the columns once: the [`CHARGE_COLUMNS`] table and, in [`col`], a typed slot per
/// batch or line column (`row[col::customer_id]`), so a value of the wrong type or for a
/// missing column does not compile.
macro_rules! charge_columns {
    ($($name:ident: $kind:ident, $role:ident;)*) => {
        /// Columns of the charges report, in report order.
        pub const CHARGE_COLUMNS: &[ColumnSpec] = &[
            $(ColumnSpec {
                name: stringify!($name),
                kind: ColumnKind::$kind,
                role: Role::$role,
            },)*
        ];

        /// The slot of each batch and line column, named as the column.
        #[allow(non_upper_case_globals)]
        pub mod col {
            use super::*;
            $(slot!($name, $kind, $role);)*
        }
    };
}

macro_rules! slot {
    ($name:ident, $kind:ident, LineRef) => {};
    ($name:ident, Text, $role:ident) => {
        #[doc = concat!("`", stringify!($name), "`.")]
        pub(crate) const $name: TextSlot<$role> = TextSlot(slot_of(stringify!($name)), PhantomData);
    };
    ($name:ident, Date, $role:ident) => {
        #[doc = concat!("`", stringify!($name), "`.")]
        pub(crate) const $name: DateSlot<$role> = DateSlot(slot_of(stringify!($name)), PhantomData);
    };
    ($name:ident, $decimal:ident, $role:ident) => {
        #[doc = concat!("`", stringify!($name), "`.")]
        pub(crate) const $name: DecimalSlot<$role> =
            DecimalSlot(slot_of(stringify!($name)), PhantomData);
    };
}

charge_columns! {
    invoice_id: Text, Batch;
    invoice_date: Date, Batch;
    invoice_type: Text, Batch;
    billing_provider: Text, Batch;
    line_item_type: Text, Batch;
    charge_category: Text, Line;
    customer_id: Text, Line;
    customer_name: Text, Line;
    subscription_id: Text, Line;
    order_id: Text, Line;
    product_id: Text, Line;
    sku_id: Text, Line;
    product_name: Text, Line;
    sku_name: Text, Line;
    charge_type: Text, Line;
    charge_start_date: Date, Line;
    charge_end_date: Date, Line;
    quantity: Quantity, Line;
    unit_price: Rate, Line;
    subtotal: Money, Line;
    tax: Money, Line;
    total: Money, Line;
    currency: Text, Line;
    line_ref: Text, LineRef;
    // issue 14, documents: credit notes and the invoices they amend
    document_type: Text, Batch;
    amends_invoice_id: Text, Batch;
    // issue 14, what the API sends beside the contract's columns (empty where a kind has none)
    billable_quantity: Quantity, Line;
    effective_unit_price: Rate, Line;
    pc_to_bc_exchange_rate: Rate, Line;
    pricing_currency: Text, Line;
    term_and_billing_cycle: Text, Line;
    billing_frequency: Text, Line;
    credit_reason_code: Text, Line;
    meter_description: Text, Line;
    reservation_order_id: Text, Line;
    reference_id: Text, Line;
    product_qualifiers: Text, Line;
    promotion_id: Text, Line;
    price_adjustment_description: Text, Line;
    subscription_start_date: Date, Line;
    subscription_end_date: Date, Line;
    publisher_name: Text, Line;
    usage_date: Date, Line;
}

/// The charges column named `name`.
pub(crate) fn charge_column(name: &str) -> Option<&'static ColumnSpec> {
    CHARGE_COLUMNS.iter().find(|c| c.name == name)
}

/// Marks a slot as one of a [`Role::Line`] column ([`ChargeRow`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Line {}
/// Marks a slot as one of a [`Role::Batch`] column ([`BatchValues`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Batch {}

/// Where a text column's value sits among the text values of its role.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextSlot<R>(usize, PhantomData<R>);
/// Where a date column's value sits among the date values of its role.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DateSlot<R>(usize, PhantomData<R>);
/// Where a decimal column's value sits among the decimal values of its role.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DecimalSlot<R>(usize, PhantomData<R>);

impl TextSlot<Line> {
    /// Its position among a row's text values.
    pub(crate) fn index(self) -> usize {
        self.0
    }
}

const fn same_role(a: Role, b: Role) -> bool {
    a as u8 == b as u8
}

const fn same_storage(a: Storage, b: Storage) -> bool {
    a as u8 == b as u8
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Columns of `role` held as `storage` among the first `end` columns.
const fn count(role: Role, storage: Storage, end: usize) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < end {
        let c = CHARGE_COLUMNS[i];
        if same_role(c.role, role) && same_storage(c.kind.storage(), storage) {
            n += 1;
        }
        i += 1;
    }
    n
}

/// A column's slot: its position among the columns of its role and storage.
const fn slot_of(name: &str) -> usize {
    let mut i = 0;
    while i < CHARGE_COLUMNS.len() {
        let c = CHARGE_COLUMNS[i];
        if str_eq(c.name, name) {
            return count(c.role, c.kind.storage(), i);
        }
        i += 1;
    }
    panic!("not a charges column")
}

/// Positions in [`CHARGE_COLUMNS`] of the columns of `role` held as `storage`, in slot order.
const fn positions<const N: usize>(role: Role, storage: Storage) -> [usize; N] {
    let mut out = [0; N];
    let mut n = 0;
    let mut i = 0;
    while i < CHARGE_COLUMNS.len() {
        let c = CHARGE_COLUMNS[i];
        if same_role(c.role, role) && same_storage(c.kind.storage(), storage) {
            out[n] = i;
            n += 1;
        }
        i += 1;
    }
    assert!(n == N);
    out
}

const ALL: usize = CHARGE_COLUMNS.len();
const N_LINE_TEXT: usize = count(Role::Line, Storage::Text, ALL);
const N_LINE_DATE: usize = count(Role::Line, Storage::Date, ALL);
const N_LINE_DECIMAL: usize = count(Role::Line, Storage::Decimal, ALL);
const N_BATCH_TEXT: usize = count(Role::Batch, Storage::Text, ALL);
const N_BATCH_DATE: usize = count(Role::Batch, Storage::Date, ALL);
const N_BATCH_DECIMAL: usize = count(Role::Batch, Storage::Decimal, ALL);

/// The line text columns, in slot order (positions in [`CHARGE_COLUMNS`]).
pub(crate) const LINE_TEXT: [usize; N_LINE_TEXT] = positions(Role::Line, Storage::Text);
/// The line date columns, in slot order.
pub(crate) const LINE_DATE: [usize; N_LINE_DATE] = positions(Role::Line, Storage::Date);
/// The line decimal columns, in slot order.
pub(crate) const LINE_DECIMAL: [usize; N_LINE_DECIMAL] = positions(Role::Line, Storage::Decimal);

/// One normalised line's values, borrowing from the parsed line item, by [`col`] slot.
#[derive(Debug)]
pub(crate) struct ChargeRow<'a> {
    /// Text values (GUIDs lower-cased), in [`LINE_TEXT`] order.
    pub(crate) text: [Option<Cow<'a, str>>; N_LINE_TEXT],
    /// Dates (UTC), in [`LINE_DATE`] order.
    pub(crate) dates: [Option<NaiveDate>; N_LINE_DATE],
    /// Decimals at their kind's working scale, in [`LINE_DECIMAL`] order.
    pub(crate) decimals: [Option<Scaled>; N_LINE_DECIMAL],
    /// Hash of the line's natural key (the base of `line_ref`).
    pub(crate) key: u64,
}

impl ChargeRow<'_> {
    /// A row of `category` with the natural key hash `key` and no other value yet.
    pub(crate) fn new(category: super::ChargeCategory, key: u64) -> Self {
        let mut row = ChargeRow {
            text: [const { None }; N_LINE_TEXT],
            dates: [None; N_LINE_DATE],
            decimals: [None; N_LINE_DECIMAL],
            key,
        };
        row[col::charge_category] = Some(Cow::Borrowed(category.as_str()));
        row
    }
}

/// The values of a batch's [`Role::Batch`] columns, by [`col`] slot.
#[derive(Debug, Default)]
pub(crate) struct BatchValues<'a> {
    /// Text values, in slot order.
    pub(crate) text: [Option<&'a str>; N_BATCH_TEXT],
    /// Dates, in slot order.
    pub(crate) dates: [Option<NaiveDate>; N_BATCH_DATE],
    /// Decimals at their kind's working scale, in slot order.
    pub(crate) decimals: [Option<Scaled>; N_BATCH_DECIMAL],
}

/// `Index`/`IndexMut` of a value holder by typed slot.
macro_rules! index_by_slot {
    ($holder:ident, $slot:ident, $role:ident, $field:ident, $value:ty) => {
        impl<'a> Index<$slot<$role>> for $holder<'a> {
            type Output = $value;
            fn index(&self, s: $slot<$role>) -> &$value {
                &self.$field[s.0]
            }
        }
        impl<'a> IndexMut<$slot<$role>> for $holder<'a> {
            fn index_mut(&mut self, s: $slot<$role>) -> &mut $value {
                &mut self.$field[s.0]
            }
        }
    };
}

index_by_slot!(ChargeRow, TextSlot, Line, text, Option<Cow<'a, str>>);
index_by_slot!(ChargeRow, DateSlot, Line, dates, Option<NaiveDate>);
index_by_slot!(ChargeRow, DecimalSlot, Line, decimals, Option<Scaled>);
index_by_slot!(BatchValues, TextSlot, Batch, text, Option<&'a str>);
index_by_slot!(BatchValues, DateSlot, Batch, dates, Option<NaiveDate>);
index_by_slot!(BatchValues, DecimalSlot, Batch, decimals, Option<Scaled>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_slots_follow_report_order() {
        for c in CHARGE_COLUMNS {
            let same = CHARGE_COLUMNS.iter().filter(|x| x.name == c.name).count();
            assert_eq!(same, 1, "{} is declared {same} times", c.name);
        }
        assert_eq!(
            CHARGE_COLUMNS[LINE_TEXT[col::currency.index()]].name,
            "currency"
        );
        assert_eq!(
            CHARGE_COLUMNS[LINE_DECIMAL[col::subtotal.0]].name,
            "subtotal"
        );
        assert_eq!(
            CHARGE_COLUMNS[LINE_DATE[col::charge_end_date.0]].name,
            "charge_end_date"
        );
        assert_eq!(
            CHARGE_COLUMNS
                .iter()
                .filter(|c| c.role == Role::LineRef)
                .count(),
            1
        );
    }
}
