//! The reconciliation: Partner Center charges and ledger entries summed per grain row, joined,
//! and given a status; each invoice's total tied to its lines; money conservation asserted.
//!
//! Takes frames, returns frames: never touches files.

pub mod changes;
pub mod config;
pub(crate) mod explain;
pub(crate) mod line_checks;

use std::collections::BTreeMap;
use std::hash::BuildHasher;

use polars::prelude::*;
use polars_arrow::array::{Utf8ViewArray, View};
use polars_arrow::datatypes::ArrowDataType;
use polars_buffer::Buffer;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::money::{self, Scaled, decimal_values, pow10};
use explain::{Code, UnbilledSums};

/// A grain key and how it is folded before comparing (after trimming).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrainKey {
    /// Column name in the charges frame and the reconciliation report.
    pub(crate) name: &'static str,
    /// Column name in the ledger.
    pub(crate) ledger: &'static str,
    /// Invoice ids and currencies are upper-cased; GUIDs, order ids, charge types lower-cased.
    pub(crate) upper: bool,
}

/// Every key a grain may use.
pub(crate) const GRAIN_KEYS: [GrainKey; 8] = [
    GrainKey {
        name: "invoice_id",
        ledger: "invoice_number",
        upper: true,
    },
    GrainKey {
        name: "customer_id",
        ledger: "customer_id",
        upper: false,
    },
    GrainKey {
        name: "subscription_id",
        ledger: "subscription_id",
        upper: false,
    },
    GrainKey {
        name: "order_id",
        ledger: "order_id",
        upper: false,
    },
    GrainKey {
        name: "product_id",
        ledger: "product_id",
        upper: false,
    },
    GrainKey {
        name: "sku_id",
        ledger: "sku_id",
        upper: false,
    },
    GrainKey {
        name: "charge_type",
        ledger: "charge_type",
        upper: false,
    },
    GrainKey {
        name: "currency",
        ledger: "currency",
        upper: true,
    },
];

/// The contract's default grain.
pub const DEFAULT_GRAIN: [&str; 6] = [
    "invoice_id",
    "customer_id",
    "subscription_id",
    "order_id",
    "charge_type",
    "currency",
];

/// Looks up a grain key by its name (`invoice_number` is accepted for `invoice_id`).
pub fn grain_key(name: &str) -> Option<GrainKey> {
    let name = if name == "invoice_number" {
        "invoice_id"
    } else {
        name
    };
    GRAIN_KEYS.iter().copied().find(|k| k.name == name)
}

/// A row's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Both sides, |difference| ≤ tolerance.
    Matched,
    /// Both sides, beyond tolerance.
    AmountMismatch,
    /// Billed, not booked.
    MissingInLedger,
    /// Booked against an invoice that has no such billed charge.
    MissingInInvoice,
    /// Booked with no invoice number: reported, never a failure.
    NotYetInvoiced,
}

impl Status {
    /// Every status, in report order.
    pub(crate) const ALL: [Status; 5] = [
        Status::Matched,
        Status::AmountMismatch,
        Status::MissingInLedger,
        Status::MissingInInvoice,
        Status::NotYetInvoiced,
    ];

    /// The report's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Matched => "matched",
            Status::AmountMismatch => "amount_mismatch",
            Status::MissingInLedger => "missing_in_ledger",
            Status::MissingInInvoice => "missing_in_invoice",
            Status::NotYetInvoiced => "not_yet_invoiced",
        }
    }

    /// Whether this status makes the run exit 1 (with `fail_on = "difference"`).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Status::AmountMismatch | Status::MissingInLedger | Status::MissingInInvoice
        )
    }
}

/// Grain and tolerance.
#[derive(Debug, Clone)]
pub struct Rules {
    /// The grain keys, in report order (must hold `invoice_id` and `currency`).
    pub grain: Vec<GrainKey>,
    /// Absolute tolerance per grain row.
    pub tolerance: Scaled,
}

impl Rules {
    /// The position of key `name` in the grain (`invoice_id` and `currency` are always there).
    pub(crate) fn position(&self, name: &str) -> usize {
        self.grain
            .iter()
            .position(|k| k.name == name)
            .unwrap_or_else(|| panic!("the grain has {name}"))
    }
}

/// Per currency and status: rows and sums (the summary's `totals`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Total {
    /// Grain rows.
    pub(crate) rows: u64,
    /// Σ pc_amount.
    pub(crate) pc_amount: i128,
    /// Σ ledger_amount.
    pub(crate) ledger_amount: i128,
}

/// What the reconciliation produces.
#[derive(Debug)]
pub struct Outcome {
    /// One row per grain row.
    pub reconciliation: DataFrame,
    /// One row per invoice (and currency).
    pub(crate) invoice_checks: DataFrame,
    /// Scale of the reconciliation's money columns.
    pub(crate) scale: u32,
    /// (currency, status) → totals.
    pub(crate) totals: BTreeMap<(String, Status), Total>,
    /// Invoice checks per status.
    pub(crate) invoice_check_counts: BTreeMap<Status, u64>,
    /// Grain rows that fail the run: a failure status, except rows whose amounts are both
    /// within tolerance of zero (a 0.00 line nobody booked keeps its status but fails nothing).
    pub failing_rows: u64,
    /// (currency, explanation) → (rows, Σ difference at `scale`).
    pub(crate) explanations: BTreeMap<(String, Code), (u64, i128)>,
    /// Lines whose subtotal breaks Microsoft's formula (the `line_checks` report).
    pub(crate) line_checks: DataFrame,
}

impl Outcome {
    /// True when something is outside tolerance (exit status 1 unless `fail_on = "never"`).
    pub(crate) fn has_differences(&self) -> bool {
        self.failing_rows > 0
            || self
                .invoice_check_counts
                .get(&Status::AmountMismatch)
                .copied()
                .unwrap_or(0)
                > 0
    }
}

/// Appends `s` trimmed and case-folded to `out` (invoice ids and currencies upper-case, other
/// keys lower-case); a missing key is the empty key. The one folding function for both sides.
pub(crate) fn fold_key_into(s: Option<&str>, upper: bool, out: &mut String) {
    let t = s.unwrap_or("").trim();
    if t.is_ascii() {
        let start = out.len();
        out.push_str(t);
        let tail = &mut out[start..];
        if upper {
            tail.make_ascii_uppercase()
        } else {
            tail.make_ascii_lowercase()
        }
    } else if upper {
        out.push_str(&t.to_uppercase());
    } else {
        out.push_str(&t.to_lowercase());
    }
}

/// Interns one grain column's values: each cell text maps to the id of its folded form, and
/// grain rows are keyed by small integers. A value is held once (twice when its first spelling
/// differs from its folded form): at 20M lines a column can have millions of distinct values.
#[derive(Default)]
struct KeyDict {
    upper: bool,
    /// Ids, hashed by their folded text.
    index: hashbrown::HashTable<u32>,
    hasher: PlRandomState,
    /// id → folded text.
    folded: Vec<Box<str>>,
    /// id → the first spelling seen, trimmed, when it differs from the folded text: what the
    /// reports show.
    spelled: Vec<Option<Box<str>>>,
    /// The cell being folded (reused: no allocation per cell).
    scratch: String,
}

impl KeyDict {
    fn new(upper: bool) -> Self {
        KeyDict {
            upper,
            ..KeyDict::default()
        }
    }

    /// The id of `raw`'s folded form (a missing cell is the empty key).
    fn id(&mut self, raw: Option<&str>) -> u32 {
        let mut folded = std::mem::take(&mut self.scratch);
        folded.clear();
        fold_key_into(raw, self.upper, &mut folded);
        let id = self.id_of_folded(&folded, raw.unwrap_or("").trim());
        self.scratch = folded;
        id
    }

    /// The id of an already folded value (`shown`: its first spelling, if it is new here).
    fn id_of_folded(&mut self, folded: &str, shown: &str) -> u32 {
        let (texts, hasher) = (&self.folded, &self.hasher);
        let hash = hasher.hash_one(folded);
        match self.index.entry(
            hash,
            |&id| *texts[id as usize] == *folded,
            |&id| hasher.hash_one(&*texts[id as usize]),
        ) {
            hashbrown::hash_table::Entry::Occupied(e) => *e.get(),
            hashbrown::hash_table::Entry::Vacant(e) => {
                let id = self.folded.len() as u32;
                e.insert(id);
                self.folded.push(folded.into());
                self.spelled.push((shown != folded).then(|| shown.into()));
                id
            }
        }
    }

    fn folded(&self, id: u32) -> &str {
        &self.folded[id as usize]
    }

    fn shown(&self, id: u32) -> &str {
        let id = id as usize;
        self.spelled[id].as_deref().unwrap_or(&self.folded[id])
    }

    /// One Arrow view per id onto a single copy of the shown values: a report column of this
    /// key then costs 16 bytes a cell however long the values are (a 20M-line reconciliation
    /// repeats each customer and subscription id thousands of times).
    fn shown_views(&self) -> KeyViews {
        let mut buffers: Vec<Vec<u8>> = vec![Vec::new()];
        let views = (0..self.folded.len() as u32)
            .map(|id| {
                let text = self.shown(id).as_bytes();
                let full = buffers.last().map_or(0, Vec::len) + text.len() > u32::MAX as usize;
                if full && text.len() > View::MAX_INLINE_SIZE as usize {
                    buffers.push(Vec::new());
                }
                let (idx, buffer) = (buffers.len() - 1, buffers.last_mut().expect("one buffer"));
                let view = View::new_from_bytes(text, idx as u32, buffer.len() as u32);
                if text.len() > View::MAX_INLINE_SIZE as usize {
                    buffer.extend_from_slice(text);
                }
                view
            })
            .collect();
        KeyViews {
            views,
            buffers: buffers.into_iter().map(Buffer::from).collect(),
        }
    }
}

/// A key's values as Arrow views (by id) and the buffers they point into.
struct KeyViews {
    views: Vec<View>,
    buffers: Buffer<Buffer<u8>>,
}

impl KeyViews {
    /// The text column `name` of the values `ids`.
    fn column(&self, name: &str, ids: impl Iterator<Item = u32>) -> Result<Column> {
        let views: Vec<View> = ids.map(|id| self.views[id as usize]).collect();
        let array = Utf8ViewArray::try_new(
            ArrowDataType::Utf8View,
            views.into(),
            self.buffers.clone(),
            None,
        )
        .map_err(|e| Error::polars("reconcile", e))?;
        Ok(StringChunked::with_chunk(name.into(), array).into_column())
    }
}

/// The most grain keys a grain can have (every key of [`GRAIN_KEYS`]).
const MAX_KEYS: usize = GRAIN_KEYS.len();

/// The text columns of `df` named `names`.
fn text_columns<'a>(df: &'a DataFrame, names: &[&str]) -> Result<Vec<&'a StringChunked>> {
    names
        .iter()
        .map(|n| {
            df.column(n)
                .and_then(|c| c.str())
                .map_err(|e| Error::polars("reconcile", e))
        })
        .collect()
}

/// A decimal column's mantissas at the working scale [`money::MONEY_SCALE`] (nulls as 0).
fn amounts(df: &DataFrame, name: &str) -> Result<Vec<i128>> {
    let (vals, s) = decimal_values(df.column(name).map_err(|e| Error::polars("reconcile", e))?)
        .map_err(|e| Error::polars("reconcile", e))?;
    let mul = pow10(money::MONEY_SCALE - s);
    vals.into_iter()
        .map(|v| {
            v.unwrap_or(0)
                .checked_mul(mul)
                .ok_or_else(|| Error::Internal("amount overflows".into()))
        })
        .collect()
}

/// Fractional digits `v` (a mantissa at [`money::MONEY_SCALE`]) needs.
fn digits_of(v: i128) -> u32 {
    if v == 0 {
        return 0;
    }
    let (mut v, mut d) = (v, money::MONEY_SCALE);
    while d > 0 && v % 10 == 0 {
        v /= 10;
        d -= 1;
    }
    d
}

/// The scale a report's money columns are written with: the smallest that holds every value
/// (and the tolerance), at least cents.
fn report_scale(values: impl Iterator<Item = i128>, tolerance: &Scaled) -> u32 {
    values
        .map(digits_of)
        .fold(MIN_REPORT_SCALE.max(tolerance.digits), u32::max)
}

/// Cents: the fewest fractional digits a report's money columns have.
const MIN_REPORT_SCALE: u32 = 2;

/// One side's sums per folded key.
#[derive(Debug, Default, Clone, Copy)]
struct Sides {
    pc: i128,
    pc_lines: u64,
    ledger: i128,
    ledger_rows: u64,
    /// Σ charges `total` (after tax), for the `tax_included` explanation.
    pc_total: i128,
    /// Σ charges `quantity` and Σ ledger `quantity` (at [`money::MONEY_SCALE`]), and the ledger
    /// rows that have one: the `quantity` and `unit_price` explanations.
    pc_quantity: i128,
    ledger_quantity: i128,
    ledger_quantity_rows: u64,
    /// A quantity had more fractional digits than the working scale: the sums are not exact,
    /// so no explanation uses them.
    quantity_inexact: bool,
}

impl Sides {
    /// One charges line.
    fn line(subtotal: i128, total: i128, quantity: Quantity) -> Sides {
        Sides {
            pc: subtotal,
            pc_lines: 1,
            pc_total: total,
            pc_quantity: quantity.value(),
            quantity_inexact: quantity == Quantity::Inexact,
            ..Sides::default()
        }
    }
}

/// What a grain row sums: both sides ([`Sides`]), or the ledger's alone while the ledger is read
/// ([`LedgerSide`]).
trait RowSums: Default {
    /// Adds `other` (checked: money never wraps).
    fn add(&mut self, other: Self) -> Result<()>;
}

impl RowSums for Sides {
    fn add(&mut self, other: Sides) -> Result<()> {
        self.pc = checked(self.pc, Some(other.pc))?;
        self.pc_lines += other.pc_lines;
        self.ledger = checked(self.ledger, Some(other.ledger))?;
        self.ledger_rows += other.ledger_rows;
        self.pc_total = checked(self.pc_total, Some(other.pc_total))?;
        // quantities only explain: an overflow makes them unknown, not the run fail
        match (
            self.pc_quantity.checked_add(other.pc_quantity),
            self.ledger_quantity.checked_add(other.ledger_quantity),
        ) {
            (Some(p), Some(l)) => (self.pc_quantity, self.ledger_quantity) = (p, l),
            _ => self.quantity_inexact = true,
        }
        self.ledger_quantity_rows += other.ledger_quantity_rows;
        self.quantity_inexact |= other.quantity_inexact;
        Ok(())
    }
}

/// One grain row's ledger side as the ledger is read: 48 bytes instead of the 112 of [`Sides`],
/// for a grain that can be as large as the charges'.
#[derive(Debug, Default, Clone, Copy)]
struct LedgerSide {
    amount: i128,
    quantity: i128,
    rows: u32,
    /// The rows that have a quantity.
    quantity_rows: u32,
    quantity_inexact: bool,
}

impl LedgerSide {
    /// One accepted ledger row.
    fn entry(amount: i128, quantity: Quantity) -> LedgerSide {
        LedgerSide {
            amount,
            quantity: quantity.value(),
            rows: 1,
            quantity_rows: u32::from(matches!(quantity, Quantity::Exact(_))),
            quantity_inexact: quantity == Quantity::Inexact,
        }
    }
}

impl RowSums for LedgerSide {
    fn add(&mut self, other: LedgerSide) -> Result<()> {
        self.amount = checked(self.amount, Some(other.amount))?;
        let too_many = || Error::Internal("more than 2^32 ledger rows in one grain row".into());
        self.rows = self.rows.checked_add(other.rows).ok_or_else(too_many)?;
        self.quantity_rows = self
            .quantity_rows
            .checked_add(other.quantity_rows)
            .ok_or_else(too_many)?;
        // quantities only explain: an overflow makes them unknown, not the run fail
        match self.quantity.checked_add(other.quantity) {
            Some(q) => self.quantity = q,
            None => self.quantity_inexact = true,
        }
        self.quantity_inexact |= other.quantity_inexact;
        Ok(())
    }
}

impl From<LedgerSide> for Sides {
    fn from(l: LedgerSide) -> Sides {
        Sides {
            ledger: l.amount,
            ledger_rows: u64::from(l.rows),
            ledger_quantity: l.quantity,
            ledger_quantity_rows: u64::from(l.quantity_rows),
            quantity_inexact: l.quantity_inexact,
            ..Sides::default()
        }
    }
}

/// A quantity cell at [`money::MONEY_SCALE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quantity {
    /// Empty.
    Missing,
    /// The exact value.
    Exact(i128),
    /// More fractional digits than the working scale holds.
    Inexact,
}

impl Quantity {
    /// The value to add (0 unless exact).
    fn value(self) -> i128 {
        match self {
            Quantity::Exact(v) => v,
            _ => 0,
        }
    }
}

/// A decimal column of quantities at [`money::MONEY_SCALE`] (absent column: all missing).
fn quantities(df: &DataFrame, name: &str) -> Result<Vec<Quantity>> {
    let Ok(column) = df.column(name) else {
        return Ok(vec![Quantity::Missing; df.height()]);
    };
    let (vals, s) = decimal_values(column).map_err(|e| Error::polars("reconcile", e))?;
    let to = money::MONEY_SCALE;
    Ok(vals
        .into_iter()
        .map(|v| match v {
            None => Quantity::Missing,
            Some(v) if s <= to => v
                .checked_mul(pow10(to - s))
                .map_or(Quantity::Inexact, Quantity::Exact),
            Some(v) if v % pow10(s - to) == 0 => Quantity::Exact(v / pow10(s - to)),
            Some(_) => Quantity::Inexact,
        })
        .collect())
}

/// Grain rows keyed by the ids of their folded key values. Keys and sums sit in vectors; the
/// hash table holds only positions in them, so its spare capacity (up to half its slots) costs
/// 5 bytes a slot, not the 37 of a key-and-position map or the 149 of one holding the sums.
#[derive(Default)]
struct Grain<S = Sides> {
    dicts: Vec<KeyDict>,
    /// Positions in `keys` and `sums`, hashed by their key.
    index: hashbrown::HashTable<u32>,
    hasher: PlRandomState,
    keys: Vec<[u32; MAX_KEYS]>,
    sums: Vec<S>,
}

impl<S: RowSums> Grain<S> {
    /// Adds every row of `df` under its grain key.
    fn add(
        &mut self,
        df: &DataFrame,
        columns: &[&str],
        rows: impl IntoIterator<Item = S>,
    ) -> Result<()> {
        let cols = text_columns(df, columns)?;
        // per-chunk iterators: the chunked iterator is boxed and several times slower
        let mut iters: Vec<_> = cols
            .iter()
            .map(|c| c.downcast_iter().flat_map(|a| a.iter()))
            .collect();
        for sides in rows {
            let mut key = [0u32; MAX_KEYS];
            for (i, it) in iters.iter_mut().enumerate() {
                key[i] = self.dicts[i].id(it.next().flatten());
            }
            self.add_key(key, sides)?;
        }
        Ok(())
    }

    /// The key of one row's cells (in the grain's order).
    fn key_of<'a>(&mut self, cells: impl IntoIterator<Item = Option<&'a str>>) -> [u32; MAX_KEYS] {
        let mut key = [0u32; MAX_KEYS];
        for ((k, dict), cell) in key.iter_mut().zip(&mut self.dicts).zip(cells) {
            *k = dict.id(cell);
        }
        key
    }

    /// Adds `sides` to the grain row `key`.
    fn add_key(&mut self, key: [u32; MAX_KEYS], sides: S) -> Result<()> {
        let (keys, hasher) = (&self.keys, &self.hasher);
        let hash = hasher.hash_one(key);
        let at = match self.index.entry(
            hash,
            |&at| keys[at as usize] == key,
            |&at| hasher.hash_one(keys[at as usize]),
        ) {
            hashbrown::hash_table::Entry::Occupied(e) => *e.get(),
            hashbrown::hash_table::Entry::Vacant(e) => {
                let next = self.sums.len() as u32;
                e.insert(next);
                self.keys.push(key);
                self.sums.push(S::default());
                next
            }
        };
        self.sums[at as usize].add(sides)
    }

    fn folded(&self, key: &[u32; MAX_KEYS], i: usize) -> &str {
        self.dicts[i].folded(key[i])
    }

    /// Key `i` as the source first spelled it (trimmed).
    fn shown(&self, key: &[u32; MAX_KEYS], i: usize) -> &str {
        self.dicts[i].shown(key[i])
    }
}

impl Grain<Sides> {
    /// Adds every grain row of `other` (same grain, its own key ids).
    fn merge(&mut self, other: Grain<LedgerSide>) -> Result<()> {
        let ids: Vec<Vec<u32>> = other
            .dicts
            .iter()
            .zip(&mut self.dicts)
            .map(|(o, d)| {
                (0..o.folded.len() as u32)
                    .map(|id| d.id_of_folded(o.folded(id), o.shown(id)))
                    .collect()
            })
            .collect();
        for (key, sides) in other.keys.iter().zip(other.sums) {
            let mut k = [0u32; MAX_KEYS];
            for (i, ids) in ids.iter().enumerate() {
                k[i] = ids[key[i] as usize];
            }
            self.add_key(k, Sides::from(sides))?;
        }
        Ok(())
    }
}

/// The status of a grain row (exact decimal comparison with the tolerance).
pub(crate) fn status_of(
    sides_pc: u64,
    sides_ledger: u64,
    invoice_empty: bool,
    difference: i128,
    tolerance: i128,
) -> Status {
    if sides_pc == 0 && invoice_empty {
        Status::NotYetInvoiced
    } else if sides_pc == 0 {
        Status::MissingInInvoice
    } else if sides_ledger == 0 {
        Status::MissingInLedger
    } else if difference.abs() <= tolerance {
        Status::Matched
    } else {
        Status::AmountMismatch
    }
}

/// A decimal column from mantissas at `scale`.
pub(crate) fn decimal_column(
    name: &str,
    values: impl Iterator<Item = i128>,
    scale: u32,
) -> Result<Column> {
    let ca: Int128Chunked = values.map(Some).collect_ca(name.into());
    ca.into_decimal(money::PRECISION, scale as usize)
        .map(|c| c.into_series().into_column())
        .map_err(|e| Error::polars("reconcile", e))
}

/// Reconciles `charges` (the normalised billing lines) against the accepted `ledger` entries,
/// and ties each invoice of `invoices` to its lines: [`ChargeSums`] over one frame.
pub fn reconcile(
    charges: &DataFrame,
    ledger: &DataFrame,
    invoices: &DataFrame,
    rules: &Rules,
) -> Result<Outcome> {
    let mut sums = ChargeSums::new(rules);
    sums.add(charges)?;
    let mut entries = EntrySums::new(rules, Default::default());
    entries.add_frame(ledger)?;
    sums.finish(entries, invoices, None)
}

/// The ledger side of a reconciliation, summed entry by entry as the ledger is read (so neither
/// the ledger file nor its rows are held): Σ amount and quantity per grain row, and Σ amount per
/// currency for the conservation check. Entries of invoices outside `--period` are counted and
/// left out (they would all look `missing_in_invoice`).
pub(crate) struct EntrySums {
    grain: Grain<LedgerSide>,
    /// Folded currency → (Σ amount, rows).
    by_currency: BTreeMap<String, (i128, u64)>,
    /// Trimmed, upper-cased invoice ids whose entries are left out.
    outside: std::collections::BTreeSet<String>,
    /// Entries left out for `outside`.
    pub(crate) outside_rows: usize,
    invoice_pos: usize,
    currency_pos: usize,
    /// The grain keys' ledger column names (for frames).
    ledger_names: Vec<&'static str>,
    /// A sum overflowed (the run stops in `finish`).
    overflow: bool,
}

impl EntrySums {
    /// Empty sums for `rules`' grain, leaving out entries of the `outside` invoices.
    pub(crate) fn new(rules: &Rules, outside: std::collections::BTreeSet<String>) -> Self {
        EntrySums {
            grain: Grain {
                dicts: rules.grain.iter().map(|k| KeyDict::new(k.upper)).collect(),
                ..Grain::default()
            },
            by_currency: BTreeMap::new(),
            outside,
            outside_rows: 0,
            invoice_pos: rules.position("invoice_id"),
            currency_pos: rules.position("currency"),
            ledger_names: rules.grain.iter().map(|k| k.ledger).collect(),
            overflow: false,
        }
    }

    /// Adds one entry: its grain key cells (in the grain's order), its amount and quantity (at
    /// [`money::MONEY_SCALE`]).
    pub(crate) fn add<'a>(
        &mut self,
        cells: impl IntoIterator<Item = Option<&'a str>>,
        amount: i128,
        quantity: Option<i128>,
    ) {
        self.add_entry(
            cells,
            amount,
            quantity.map_or(Quantity::Missing, Quantity::Exact),
        );
    }

    fn add_entry<'a>(
        &mut self,
        cells: impl IntoIterator<Item = Option<&'a str>>,
        amount: i128,
        quantity: Quantity,
    ) {
        let key = self.grain.key_of(cells);
        if !self.outside.is_empty()
            && self
                .outside
                .contains(self.grain.folded(&key, self.invoice_pos))
        {
            self.outside_rows += 1;
            return;
        }
        let currency = self.grain.folded(&key, self.currency_pos);
        let e = match self.by_currency.get_mut(currency) {
            Some(e) => e,
            None => self.by_currency.entry(currency.to_owned()).or_default(),
        };
        match e.0.checked_add(amount) {
            Some(v) => e.0 = v,
            None => self.overflow = true,
        }
        e.1 += 1;
        if self
            .grain
            .add_key(key, LedgerSide::entry(amount, quantity))
            .is_err()
        {
            self.overflow = true;
        }
    }

    /// Adds every row of a frame of accepted entries (the grain's ledger fields as text,
    /// `amount` and optionally `quantity` as decimals).
    pub(crate) fn add_frame(&mut self, ledger: &DataFrame) -> Result<()> {
        let cols = text_columns(ledger, &self.ledger_names)?;
        let booked = amounts(ledger, "amount")?;
        let quantities = quantities(ledger, "quantity")?;
        for (row, (&amount, quantity)) in booked.iter().zip(quantities).enumerate() {
            let cells: Vec<Option<&str>> = cols.iter().map(|c| c.get(row)).collect();
            self.add_entry(cells, amount, quantity);
        }
        Ok(())
    }
}

/// The Partner Center side of a reconciliation, summed batch by batch as the charges stream
/// past (so the charges never need to be in memory at once): Σ subtotal per grain row, Σ total
/// per invoice, and Σ subtotal per currency for the conservation check.
pub(crate) struct ChargeSums {
    rules: Rules,
    grain: Grain,
    /// (invoice_id, folded currency) → (Σ total, lines).
    invoice_lines: PlHashMap<InvoiceKey, (i128, u64)>,
    /// Folded currency → (Σ subtotal, lines), summed apart from the grain rows.
    by_currency: BTreeMap<String, (i128, u64)>,
    /// Lines that break Microsoft's subtotal formula.
    line_checks: Vec<line_checks::LineCheck>,
}

impl ChargeSums {
    /// Empty sums for `rules`' grain.
    pub(crate) fn new(rules: &Rules) -> Self {
        ChargeSums {
            rules: rules.clone(),
            grain: Grain {
                dicts: rules.grain.iter().map(|k| KeyDict::new(k.upper)).collect(),
                ..Grain::default()
            },
            invoice_lines: PlHashMap::new(),
            by_currency: BTreeMap::new(),
            line_checks: Vec::new(),
        }
    }

    /// Adds a batch of charges (a frame with the charges report's columns).
    pub(crate) fn add(&mut self, charges: &DataFrame) -> Result<()> {
        let keys: Vec<&str> = self.rules.grain.iter().map(|k| k.name).collect();
        let subtotals = amounts(charges, "subtotal")?;
        let totals = amounts(charges, "total")?;
        let lines = subtotals
            .iter()
            .zip(&totals)
            .zip(quantities(charges, "quantity")?)
            .map(|((&s, &t), q)| Sides::line(s, t, q));
        self.grain.add(charges, &keys, lines)?;
        let lines = text_columns(charges, &["invoice_id", "currency"])?;
        let mut last: Option<(RawInvoiceKey, InvoiceKey)> = None;
        for ((id, cur), total) in lines[0].iter().zip(lines[1].iter()).zip(totals) {
            // lines come grouped by invoice: fold the key once while it repeats
            if last.as_ref().is_none_or(|(raw, _)| *raw != (id, cur)) {
                last = Some(((id, cur), invoice_key(id, cur)));
            }
            let k = &last.as_ref().expect("set above").1;
            let e = match self.invoice_lines.get_mut(k) {
                Some(e) => e,
                None => self.invoice_lines.entry(k.clone()).or_default(),
            };
            e.0 = checked(e.0, Some(total))?;
            e.1 += 1;
        }
        self.line_checks.extend(line_checks::check(charges)?);
        for (c, (sum, n)) in sums_by_currency(charges, "currency", &subtotals)? {
            let e = self.by_currency.entry(c).or_default();
            e.0 = checked(e.0, Some(sum))?;
            e.1 += n;
        }
        Ok(())
    }

    /// Adds the `ledger` side, gives every grain row its status and explanation (`unbilled`:
    /// the snapshot's unbilled export, when it has one), ties `invoices` to their lines and
    /// checks that money was conserved.
    pub(crate) fn finish(
        mut self,
        ledger: EntrySums,
        invoices: &DataFrame,
        unbilled: Option<&UnbilledSums>,
    ) -> Result<Outcome> {
        if ledger.overflow {
            return Err(Error::Internal("a ledger sum overflows i128".into()));
        }
        let rules = &self.rules;
        let keys: Vec<&str> = rules.grain.iter().map(|k| k.name).collect();
        let (invoice_pos, currency_pos) =
            (rules.position("invoice_id"), rules.position("currency"));

        let t0 = std::time::Instant::now();
        self.grain.merge(ledger.grain)?;
        let grain = &self.grain;
        let mut rows: Vec<(&[u32; MAX_KEYS], &Sides)> =
            grain.keys.iter().zip(&grain.sums).collect();
        let k = keys.len();
        rows.par_sort_unstable_by(|a, b| {
            (0..k)
                .map(|i| grain.folded(a.0, i).cmp(grain.folded(b.0, i)))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        tracing::debug!(
            ms = t0.elapsed().as_millis() as u64,
            "ledger side added, grain rows sorted"
        );

        let scale = report_scale(
            rows.iter().flat_map(|(_, s)| [s.pc, s.ledger]),
            &rules.tolerance,
        );
        let div = pow10(money::MONEY_SCALE - scale);
        let tol = rules.tolerance.value / div;
        let n = rows.len();
        let mut statuses = StringChunkedBuilder::new("status".into(), n);
        let mut totals: BTreeMap<(String, Status), Total> = BTreeMap::new();
        let (mut pc, mut lg) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let mut failing_rows = 0;
        // the rows the explanations look at: every non-matched one
        let mut unmatched: Vec<(usize, Status)> = Vec::new();
        for (row, (key, s)) in rows.iter().enumerate() {
            let invoice_empty = grain.folded(key, invoice_pos).is_empty();
            let currency = grain.folded(key, currency_pos);
            // exact: no sum has more fractional digits than `scale`
            let (p, l) = (s.pc / div, s.ledger / div);
            let st = status_of(s.pc_lines, s.ledger_rows, invoice_empty, p - l, tol);
            statuses.append_value(st.as_str());
            if st != Status::Matched {
                unmatched.push((row, st));
            }
            if st.is_failure() && (p.abs() > tol || l.abs() > tol) {
                failing_rows += 1;
            }
            pc.push(p);
            lg.push(l);
            let t = match totals.get_mut(&(currency.to_owned(), st)) {
                Some(t) => t,
                None => totals.entry((currency.to_owned(), st)).or_default(),
            };
            t.rows += 1;
            t.pc_amount = checked(t.pc_amount, Some(p))?;
            t.ledger_amount = checked(t.ledger_amount, Some(l))?;
        }
        let mut cols: Vec<Column> = keys
            .iter()
            .enumerate()
            .map(|(i, name)| {
                grain.dicts[i]
                    .shown_views()
                    .column(name, rows.iter().map(|r| r.0[i]))
            })
            .collect::<Result<_>>()?;
        let diffs: Vec<i128> = pc.iter().zip(&lg).map(|(p, l)| p - l).collect();
        let amends = amended_invoices(invoices)?;
        let context = explain::Context {
            key_names: keys.clone(),
            invoice: invoice_pos,
            currency: currency_pos,
            tolerance: explain::decimal(rules.tolerance.value, money::MONEY_SCALE)
                .ok_or_else(|| Error::Internal("the tolerance is too large".into()))?,
            amends: &amends,
            unbilled,
        };
        let explained = explain_rows(grain, &rows, &unmatched, scale, &context)?;
        let (mut codes, mut details) = (
            StringChunkedBuilder::new("explanation".into(), n),
            StringChunkedBuilder::new("explanation_detail".into(), n),
        );
        let mut explanations: BTreeMap<(String, Code), (u64, i128)> = BTreeMap::new();
        let mut next = unmatched.iter().zip(&explained).peekable();
        for (row, (key, _)) in rows.iter().enumerate() {
            match next.next_if(|((r, _), _)| *r == row) {
                Some((_, e)) => {
                    codes.append_value(e.code.as_str());
                    details.append_value(&e.detail);
                    let currency = grain.folded(key, currency_pos).to_owned();
                    let t = explanations.entry((currency, e.code)).or_default();
                    t.0 += 1;
                    t.1 = checked(t.1, Some(diffs[row]))?;
                }
                None => {
                    codes.append_value("");
                    details.append_value("");
                }
            }
        }
        cols.push(decimal_column("pc_amount", pc.into_iter(), scale)?);
        cols.push(decimal_column("ledger_amount", lg.into_iter(), scale)?);
        cols.push(decimal_column("difference", diffs.into_iter(), scale)?);
        cols.push(statuses.finish().into_column());
        cols.push(Column::new(
            "pc_lines".into(),
            rows.iter().map(|r| r.1.pc_lines).collect::<Vec<u64>>(),
        ));
        cols.push(Column::new(
            "ledger_rows".into(),
            rows.iter().map(|r| r.1.ledger_rows).collect::<Vec<u64>>(),
        ));
        cols.push(codes.finish().into_column());
        cols.push(details.finish().into_column());
        let reconciliation = DataFrame::new(n, cols).map_err(|e| Error::polars("reconcile", e))?;

        let (checks, invoice_check_counts) = invoice_checks(&self.invoice_lines, invoices, rules)?;
        let outcome = Outcome {
            reconciliation,
            invoice_checks: checks,
            scale,
            totals,
            invoice_check_counts,
            failing_rows,
            explanations,
            line_checks: line_checks::frame(std::mem::take(&mut self.line_checks))?,
        };
        check_conservation(&outcome, &self.by_currency, &ledger.by_currency)?;
        Ok(outcome)
    }
}

/// The non-matched grain rows `unmatched` (indices into `rows`, in report order) explained.
fn explain_rows(
    grain: &Grain,
    rows: &[(&[u32; MAX_KEYS], &Sides)],
    unmatched: &[(usize, Status)],
    scale: u32,
    context: &explain::Context<'_>,
) -> Result<Vec<explain::Explanation>> {
    let k = context.key_names.len();
    let at_scale = |v: i128| {
        explain::decimal(v, scale)
            .ok_or_else(|| Error::Internal("a grain sum is too large to explain".into()))
    };
    let work = |v: i128| explain::decimal(v, money::MONEY_SCALE);
    let grain_rows = unmatched
        .iter()
        .map(|&(row, status)| {
            let (key, s) = &rows[row];
            let div = pow10(money::MONEY_SCALE - scale);
            let exact = !s.quantity_inexact;
            Ok(explain::GrainRow {
                keys: (0..k).map(|i| grain.folded(key, i)).collect(),
                shown: (0..k).map(|i| grain.shown(key, i)).collect(),
                status,
                pc: at_scale(s.pc / div)?,
                ledger: at_scale(s.ledger / div)?,
                pc_total: work(s.pc_total),
                pc_quantity: exact.then(|| work(s.pc_quantity)).flatten(),
                ledger_quantity: (exact && s.ledger_quantity_rows == s.ledger_rows)
                    .then(|| work(s.ledger_quantity))
                    .flatten(),
                pc_lines: s.pc_lines,
                ledger_rows: s.ledger_rows,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(explain::explain(&grain_rows, context))
}

/// Credit notes among `invoices`: folded credit-note id → folded id of the invoice it amends.
fn amended_invoices(invoices: &DataFrame) -> Result<std::collections::HashMap<String, String>> {
    let cols = text_columns(
        invoices,
        &["invoice_id", "document_type", "amends_invoice_id"],
    )?;
    let mut out = std::collections::HashMap::new();
    for ((id, doc), amends) in cols[0].iter().zip(cols[1].iter()).zip(cols[2].iter()) {
        if let (Some("credit_note"), Some(a)) = (doc, amends.filter(|a| !a.trim().is_empty())) {
            let (mut i, mut o) = (String::new(), String::new());
            fold_key_into(id, true, &mut i);
            fold_key_into(Some(a), true, &mut o);
            out.insert(i, o);
        }
    }
    Ok(out)
}

/// An invoice check's key: the invoice id as given and the folded currency.
type InvoiceKey = (String, String);

/// A line's invoice id and currency cells, before folding.
type RawInvoiceKey<'a> = (Option<&'a str>, Option<&'a str>);

/// An invoice check's key for a line's cells.
fn invoice_key(id: Option<&str>, currency: Option<&str>) -> InvoiceKey {
    let mut c = String::new();
    fold_key_into(currency, true, &mut c);
    (id.unwrap_or("").to_owned(), c)
}

/// The invoices frame's columns an invoice check carries as they are (empty for lines whose
/// invoice and currency no invoice header has).
const INVOICE_DOCUMENT_COLUMNS: [&str; 5] = [
    "document_type",
    "amends_invoice_id",
    "paid_amount",
    "billing_period_start",
    "billing_period_end",
];

/// Each invoice's `totalCharges` against Σ of its lines' `total`, per invoice and currency.
/// Returns the frame and the rows per status.
fn invoice_checks(
    lines: &PlHashMap<InvoiceKey, (i128, u64)>,
    invoices: &DataFrame,
    rules: &Rules,
) -> Result<(DataFrame, BTreeMap<Status, u64>)> {
    // (invoice_id, currency) → (invoice_total, line_items_total, lines)
    let mut map: BTreeMap<InvoiceKey, (i128, i128, u64)> = lines
        .iter()
        .map(|(k, (total, n))| (k.clone(), (0, *total, *n)))
        .collect();
    let heads = text_columns(invoices, &["invoice_id", "currency"])?;
    // each check's invoice row, for the document columns
    let mut row_of: PlHashMap<InvoiceKey, IdxSize> = PlHashMap::new();
    for (row, ((id, cur), total)) in heads[0]
        .iter()
        .zip(heads[1].iter())
        .zip(amounts(invoices, "invoice_total")?)
        .enumerate()
    {
        let key = invoice_key(id, cur);
        row_of.entry(key.clone()).or_insert(row as IdxSize);
        map.entry(key).or_default().0 = total;
    }
    let scale = report_scale(map.values().flat_map(|v| [v.0, v.1]), &rules.tolerance);
    let div = pow10(money::MONEY_SCALE - scale);
    let tol = rules.tolerance.value / div;
    let n = map.len();
    let mut ids = StringChunkedBuilder::new("invoice_id".into(), n);
    let mut curs = StringChunkedBuilder::new("currency".into(), n);
    let mut statuses = StringChunkedBuilder::new("status".into(), n);
    let mut counts: BTreeMap<Status, u64> = BTreeMap::new();
    for ((id, cur), (total, lines, _)) in &map {
        ids.append_value(id);
        curs.append_value(cur);
        let st = if (total / div - lines / div).abs() <= tol {
            Status::Matched
        } else {
            Status::AmountMismatch
        };
        statuses.append_value(st.as_str());
        *counts.entry(st).or_insert(0) += 1;
    }
    let rows: IdxCa = map
        .keys()
        .map(|k| row_of.get(k).copied())
        .collect_ca("row".into());
    let mut cols = vec![
        ids.finish().into_column(),
        curs.finish().into_column(),
        decimal_column("invoice_total", map.values().map(|v| v.0 / div), scale)?,
        decimal_column("line_items_total", map.values().map(|v| v.1 / div), scale)?,
        decimal_column("difference", map.values().map(|v| (v.0 - v.1) / div), scale)?,
        statuses.finish().into_column(),
        Column::new(
            "line_items".into(),
            map.values().map(|v| v.2).collect::<Vec<u64>>(),
        ),
    ];
    for name in INVOICE_DOCUMENT_COLUMNS {
        let column = invoices
            .column(name)
            .and_then(|c| c.take(&rows))
            .map_err(|e| Error::polars("invoice checks", e))?;
        cols.push(column);
    }
    Ok((
        DataFrame::new(n, cols).map_err(|e| Error::polars("invoice checks", e))?,
        counts,
    ))
}

fn checked(acc: i128, v: Option<i128>) -> Result<i128> {
    acc.checked_add(v.unwrap_or(0))
        .ok_or_else(|| Error::Internal("money sum overflows i128".into()))
}

/// Σ of a decimal column (at [`money::MONEY_SCALE`]) and rows, per folded currency.
fn sums_by_currency(
    df: &DataFrame,
    currency: &str,
    amounts: &[i128],
) -> Result<BTreeMap<String, (i128, u64)>> {
    let pe = |e| Error::polars("conservation", e);
    let cur = df.column(currency).map_err(pe)?.str().map_err(pe)?;
    let mut out: BTreeMap<String, (i128, u64)> = BTreeMap::new();
    let mut key = String::new();
    for (c, &v) in cur.iter().zip(amounts) {
        key.clear();
        fold_key_into(c, true, &mut key);
        let e = match out.get_mut(key.as_str()) {
            Some(e) => e,
            None => out.entry(key.clone()).or_default(),
        };
        e.0 = checked(e.0, Some(v))?;
        e.1 += 1;
    }
    Ok(out)
}

/// The contract's conservation rule, checked on every run: per currency, Σ pc_amount equals the
/// charges' Σ subtotal and Σ ledger_amount the accepted ledger's Σ amount, and the line and row
/// counts add up. A violation is a bug: the run stops rather than write a wrong report.
fn check_conservation(
    outcome: &Outcome,
    charges: &BTreeMap<String, (i128, u64)>,
    lg: &BTreeMap<String, (i128, u64)>,
) -> Result<()> {
    let mul = pow10(money::MONEY_SCALE - outcome.scale);
    let mut rec: BTreeMap<String, (i128, i128, u64, u64)> = BTreeMap::new();
    for ((c, _), t) in &outcome.totals {
        let e = rec.entry(c.clone()).or_default();
        e.0 += t.pc_amount * mul;
        e.1 += t.ledger_amount * mul;
    }
    let pe = |e| Error::polars("conservation", e);
    let rc = &outcome.reconciliation;
    // the report shows currencies as spelled: fold them again to meet the sums' keys
    let shown = rc.column("currency").map_err(pe)?.str().map_err(pe)?;
    let pc_lines = rc.column("pc_lines").map_err(pe)?.u64().map_err(pe)?;
    let ledger_rows = rc.column("ledger_rows").map_err(pe)?.u64().map_err(pe)?;
    let mut folded = String::new();
    for ((c, p), l) in shown.iter().zip(pc_lines.iter()).zip(ledger_rows.iter()) {
        folded.clear();
        fold_key_into(c, true, &mut folded);
        let e = rec.entry(folded.clone()).or_default();
        e.2 += p.unwrap_or(0);
        e.3 += l.unwrap_or(0);
    }
    let mut currencies: Vec<&String> = rec.keys().chain(charges.keys()).chain(lg.keys()).collect();
    currencies.sort();
    currencies.dedup();
    let show = |v: i128| money::format_scaled(v, money::MONEY_SCALE);
    for c in currencies {
        let (rp, rl, rpn, rln) = rec.get(c).copied().unwrap_or_default();
        let (p, pn) = charges.get(c).copied().unwrap_or_default();
        let (l, ln) = lg.get(c).copied().unwrap_or_default();
        if rp != p || rl != l {
            return Err(Error::Internal(format!(
                "money not conserved in {c}: reconciliation pc {} vs charges {}, ledger {} vs accepted {}",
                show(rp),
                show(p),
                show(rl),
                show(l)
            )));
        }
        if rpn != pn || rln != ln {
            return Err(Error::Internal(format!(
                "line or row counts not conserved in {c}: reconciliation {rpn} lines and {rln} rows, \
                 charges {pn} lines, accepted ledger {ln} rows"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalise::columns::{ColumnKind, charge_column};

    /// A grain key is read from the charges frame by its name and from the ledger frame by its
    /// ledger name: both sides must have it, as text.
    #[test]
    fn grain_keys_are_text_charges_columns_the_ledger_keeps() {
        for k in GRAIN_KEYS {
            let c = charge_column(k.name)
                .unwrap_or_else(|| panic!("grain key {} is not a charges column", k.name));
            assert_eq!(c.kind, ColumnKind::Text, "grain key {}", k.name);
            assert_eq!(
                crate::ledger::field(k.ledger).map(|f| f.spec().kind),
                Some(crate::ledger::FieldKind::Key),
                "grain key {} is not a ledger key field",
                k.ledger
            );
        }
        for name in DEFAULT_GRAIN {
            assert!(grain_key(name).is_some(), "default grain key {name}");
        }
    }

    /// A key dictionary folds spellings onto one id, shows the first spelling, and its report
    /// column (views onto one copy of each value, short values inline) reads back cell by cell.
    #[test]
    fn key_dictionary_ids_spellings_and_shared_views() {
        let mut d = KeyDict::new(false);
        let guid = "7493406E-A1B2-4C3D-9E8F-0123456789AB";
        let cells = [
            Some(guid),
            Some(" eur "),
            None,
            Some(&*guid.to_lowercase()),
            Some("EUR"),
            Some("an order id longer than twelve bytes"),
        ];
        let ids: Vec<u32> = cells.iter().map(|c| d.id(*c)).collect();
        assert_eq!(ids, [0, 1, 2, 0, 1, 3]);
        assert_eq!(d.folded(0), guid.to_lowercase());
        assert_eq!(d.shown(0), guid, "the first spelling is shown");
        assert_eq!((d.folded(1), d.shown(1)), ("eur", "eur"), "trimmed");
        assert_eq!(d.shown(2), "");
        let column = d.shown_views().column("k", ids.iter().copied()).unwrap();
        let got: Vec<&str> = column.str().unwrap().iter().map(Option::unwrap).collect();
        assert_eq!(
            got,
            [
                guid,
                "eur",
                "",
                guid,
                "eur",
                "an order id longer than twelve bytes"
            ]
        );
    }
}
