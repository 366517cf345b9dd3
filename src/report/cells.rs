//! The outcome frames as typed cells, for the analyst reports (`report.html`, `report.xlsx`): money
//! stays an exact mantissa until a sink decides how to show it.

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::money;

/// One value of a report table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// Null.
    Empty,
    /// Text exactly as the frame holds it (ids, names, codes, dates).
    Text(String),
    /// A count or a line number.
    Int(i64),
    /// Exact money: a mantissa at `scale`.
    Money {
        /// Mantissa.
        value: i128,
        /// Fractional digits of the mantissa.
        scale: u32,
    },
}

impl Cell {
    /// The text a person reads: money to the cent where it has no more digits.
    pub(crate) fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Money { value, scale } => money::format_to_cent(*value, *scale),
        }
    }

    /// The text, borrowed when the cell is text.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Cell::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// A frame (or its first rows) as named columns of cells.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    /// Column names in frame order.
    pub(crate) names: Vec<String>,
    /// Rows of cells, one per name.
    pub(crate) rows: Vec<Vec<Cell>>,
}

impl Table {
    /// The first `limit` rows of `df` (all when `None`).
    pub(crate) fn from_frame(df: &DataFrame, limit: Option<usize>) -> Result<Table> {
        let height = limit.map_or(df.height(), |n| n.min(df.height()));
        let df = df.slice(0, height);
        let mut rows = vec![Vec::with_capacity(df.width()); height];
        for col in df.columns() {
            for (row, cell) in rows.iter_mut().zip(column_cells(col)?) {
                row.push(cell);
            }
        }
        Ok(Table {
            names: df
                .get_column_names()
                .iter()
                .map(|n| n.to_string())
                .collect(),
            rows,
        })
    }

    /// The position of column `name`.
    pub(crate) fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}

/// One column as cells.
fn column_cells(col: &Column) -> Result<Vec<Cell>> {
    let pe = |e| Error::polars("analyst reports", e);
    Ok(match col.dtype() {
        DataType::Decimal(..) => {
            let (values, scale) = money::decimal_values(col).map_err(pe)?;
            values
                .into_iter()
                .map(|v| v.map_or(Cell::Empty, |value| Cell::Money { value, scale }))
                .collect()
        }
        DataType::String => col
            .str()
            .map_err(pe)?
            .iter()
            .map(|v| v.map_or(Cell::Empty, |s| Cell::Text(s.to_owned())))
            .collect(),
        dt if dt.is_integer() => col
            .cast(&DataType::Int64)
            .map_err(pe)?
            .i64()
            .map_err(pe)?
            .iter()
            .map(|v| v.map_or(Cell::Empty, Cell::Int))
            .collect(),
        _ => col
            .cast(&DataType::String)
            .map_err(pe)?
            .str()
            .map_err(pe)?
            .iter()
            .map(|v| v.map_or(Cell::Empty, |s| Cell::Text(s.to_owned())))
            .collect(),
    })
}

/// The non-matched grain rows of the reconciliation, in the report's order.
pub(crate) fn non_matched(reconciliation: &DataFrame) -> Result<DataFrame> {
    reconciliation
        .clone()
        .lazy()
        .filter(col("status").neq(lit("matched")))
        .collect()
        .map_err(|e| Error::polars("analyst reports", e))
}

/// `df` sorted by |difference|, largest first; ties keep their order.
pub(crate) fn largest_first(df: DataFrame) -> Result<DataFrame> {
    df.lazy()
        .sort_by_exprs(
            [col("difference").abs()],
            SortMultipleOptions::default()
                .with_order_descending(true)
                .with_maintain_order(true),
        )
        .collect()
        .map_err(|e| Error::polars("analyst reports", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_become_typed_cells() {
        let money = money::DecimalBuilder::new(6, 2);
        let mut money = money;
        money.push(Some(money::Scaled {
            value: -12_500_000,
            digits: 1,
        }));
        money.push(None);
        let df = DataFrame::new(
            2,
            vec![
                Column::new("id".into(), ["=1+1", "b"]),
                Column::new("n".into(), [3u32, 4]),
                money.into_column("amount", 6).unwrap(),
            ],
        )
        .unwrap();
        let t = Table::from_frame(&df, Some(1)).unwrap();
        assert_eq!(t.names, ["id", "n", "amount"]);
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0][0], Cell::Text("=1+1".into()));
        assert_eq!(t.rows[0][1], Cell::Int(3));
        assert_eq!(t.rows[0][2].text(), "-12.50");
        assert_eq!(t.index("amount"), Some(2));
    }
}
