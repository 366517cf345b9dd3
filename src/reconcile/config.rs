//! `[reconcile]`: the grain rows are compared at and the tolerance they are compared with,
//! checked as they are read.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{DEFAULT_GRAIN, GRAIN_KEYS, GrainKey, Rules, grain_key};
use crate::money::{self, Scaled};

/// The absolute tolerance per grain row (`reconcile.tolerance`): a non-negative decimal,
/// written as a string so that no float ever holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tolerance {
    /// As written (trimmed): the summaries show it so.
    text: String,
    value: Scaled,
}

impl Tolerance {
    /// Parses `"0.01"`-style text.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        money::parse_decimal(t, money::MONEY_SCALE, false)
            .ok()
            .filter(|s| s.value >= 0)
            .map(|value| Tolerance {
                text: t.to_owned(),
                value,
            })
            .ok_or_else(|| format!("{t:?} is not a non-negative decimal such as \"0.01\""))
    }

    /// The tolerance at [`money::MONEY_SCALE`].
    pub(crate) fn value(&self) -> Scaled {
        self.value
    }

    /// The tolerance as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance::parse("0.01").expect("a decimal")
    }
}

crate::config::text_value!(Tolerance);

/// The grain keys (`reconcile.grain`), in report order: known, none twice, `invoice_id` and
/// `currency` always among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grain(Vec<GrainKey>);

impl Grain {
    /// Checks a list of key names (`invoice_number` is accepted for `invoice_id`).
    pub(crate) fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, String> {
        let mut keys: Vec<GrainKey> = Vec::new();
        for name in names {
            let name = name.as_ref();
            let k = grain_key(name.trim()).ok_or_else(|| {
                let names: Vec<&str> = GRAIN_KEYS.iter().map(|k| k.name).collect();
                let hint = crate::config::did_you_mean(name.trim(), names.iter().copied())
                    .map(|n| format!("; did you mean {n:?}?"))
                    .unwrap_or_default();
                format!("{name:?} is not a grain key; use some of {names:?}{hint}")
            })?;
            if keys.contains(&k) {
                return Err(format!("{name:?} is listed twice"));
            }
            keys.push(k);
        }
        for must in ["invoice_id", "currency"] {
            if !keys.iter().any(|k| k.name == must) {
                return Err(format!(
                    "must include {must:?} (currencies are never added together; statuses need the invoice)"
                ));
            }
        }
        Ok(Grain(keys))
    }

    /// The keys, in report order.
    pub(crate) fn keys(&self) -> &[GrainKey] {
        &self.0
    }
}

impl Default for Grain {
    fn default() -> Self {
        Grain::parse(&DEFAULT_GRAIN).expect("the default grain is valid")
    }
}

impl Serialize for Grain {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|k| k.name))
    }
}

impl<'de> Deserialize<'de> for Grain {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Grain::parse(&Vec::<String>::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// `[reconcile]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct ReconcileConfig {
    /// Absolute tolerance per grain row.
    pub(crate) tolerance: Tolerance,
    /// Grain keys.
    pub(crate) grain: Grain,
}

impl ReconcileConfig {
    /// Grain and tolerance as the reconciliation takes them.
    pub(crate) fn rules(&self) -> Rules {
        Rules {
            grain: self.grain.keys().to_vec(),
            tolerance: self.tolerance.value(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{config_error, load_for_test};

    #[test]
    fn tolerance_must_be_a_non_negative_decimal_string() {
        for bad in ["abc", "-1", "1e-2", ""] {
            let e = config_error(
                &format!("[reconcile]\ntolerance = {bad:?}"),
                "reconcile.tolerance",
            );
            assert!(e.contains("is not a non-negative decimal"), "{e}");
        }
        let c = load_for_test("[reconcile]\ntolerance = \" 0.50 \"", &[]).unwrap();
        assert_eq!(c.reconcile.tolerance.as_str(), "0.50");
        assert_eq!(c.reconcile.rules().tolerance.value, 5 * 10i128.pow(17));
    }

    #[test]
    fn grain_keys_are_checked_with_a_suggestion() {
        let e = config_error(
            "[reconcile]\ngrain = [\"invoice_id\", \"currency\", \"custmer_id\"]",
            "reconcile.grain",
        );
        assert!(
            e.contains("\"custmer_id\" is not a grain key")
                && e.contains("did you mean \"customer_id\"?"),
            "{e}"
        );
        let e = config_error("[reconcile]\ngrain = [\"customer_id\"]", "reconcile.grain");
        assert!(e.contains("must include \"invoice_id\""), "{e}");
        let e = config_error(
            "[reconcile]\ngrain = [\"invoice_id\", \"invoice_number\", \"currency\"]",
            "reconcile.grain",
        );
        assert!(e.contains("listed twice"), "{e}");
    }

    #[test]
    fn grain_from_the_environment() {
        let c = load_for_test(
            "",
            &[("PCRECON_RECONCILE_GRAIN", "invoice_number, currency")],
        )
        .unwrap();
        let names: Vec<&str> = c.reconcile.grain.keys().iter().map(|k| k.name).collect();
        assert_eq!(names, ["invoice_id", "currency"]);
    }
}
