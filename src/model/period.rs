//! The calendar month a run or fetch is limited to.

use chrono::{Datelike, NaiveDate};

/// A calendar month given with `--period YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Period {
    /// Year.
    pub(crate) year: i32,
    /// Month, 1–12.
    pub(crate) month: u32,
}

impl std::str::FromStr for Period {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let d = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
            .ok()
            .filter(|_| s.len() == 7)
            .ok_or_else(|| format!("{s:?} is not a month: write YYYY-MM, e.g. 2025-03"))?;
        Ok(Period {
            year: d.year(),
            month: d.month(),
        })
    }
}

impl Period {
    /// True when `date` falls in this month.
    pub(crate) fn contains(&self, date: NaiveDate) -> bool {
        date.year() == self.year && date.month() == self.month
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_strictly() {
        assert_eq!(
            "2025-03".parse::<Period>(),
            Ok(Period {
                year: 2025,
                month: 3
            })
        );
        assert!("2025-3".parse::<Period>().is_err());
        assert!("2025-13".parse::<Period>().is_err());
        assert!("March".parse::<Period>().is_err());
    }
}
