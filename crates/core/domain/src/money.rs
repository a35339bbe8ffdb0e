//! Money as integer minor units (fen, cents) with an ISO 4217 currency: no
//! floating point ever touches an amount.

use serde::{Deserialize, Serialize};

use crate::validate::Violations;

/// ISO 4217 alphabetic code, e.g. `CNY`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, example = "CNY")]
pub struct Currency(pub String);

impl Currency {
    pub fn cny() -> Self {
        Self("CNY".into())
    }

    pub fn is_valid(&self) -> bool {
        self.0.len() == 3 && self.0.bytes().all(|b| b.is_ascii_uppercase())
    }
}

/// An amount in minor units of `currency` (1999 CNY = ¥19.99).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount_minor: i64, currency: Currency) -> Self {
        Self { amount_minor, currency }
    }

    pub fn cny(amount_minor: i64) -> Self {
        Self::new(amount_minor, Currency::cny())
    }

    /// Checks the currency code and, unless `allow_negative`, the sign.
    pub(crate) fn validate_into(&self, v: &mut Violations, field: &str, allow_negative: bool) {
        if !self.currency.is_valid() {
            v.push(format!("{field}.currency"), format!("{:?} is not a 3-letter ISO 4217 code", self.currency.0));
        }
        if !allow_negative && self.amount_minor < 0 {
            v.push(format!("{field}.amount_minor"), "must not be negative");
        }
    }

    /// Formats for people: `¥19.99`, `19.99 EUR`. Assumes 2 minor digits, true for
    /// the currencies a Chinese retailer deals in.
    pub fn display(&self) -> String {
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let abs = self.amount_minor.unsigned_abs();
        let units = format!("{}.{:02}", abs / 100, abs % 100);
        match self.currency.0.as_str() {
            "CNY" => format!("{sign}¥{units}"),
            "USD" => format!("{sign}${units}"),
            other => format!("{sign}{units} {other}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_formats_minor_units() {
        assert_eq!(Money::cny(1999).display(), "¥19.99");
        assert_eq!(Money::cny(-5).display(), "-¥0.05");
        assert_eq!(Money::new(100, Currency("EUR".into())).display(), "1.00 EUR");
    }

    #[test]
    fn currency_must_be_iso() {
        let mut v = Violations::new();
        Money::new(1, Currency("yuan".into())).validate_into(&mut v, "price", false);
        Money::new(-1, Currency::cny()).validate_into(&mut v, "cost", false);
        assert_eq!(v.0.len(), 2);
        assert_eq!(v.0[1].field, "cost.amount_minor");
    }
}
