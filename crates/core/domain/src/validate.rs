//! Field-level validation with every problem reported at once, each naming its
//! field, so an API client or an import report can point at exactly what is wrong.

use serde::Serialize;

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Violation {
    /// Dotted path of the field, e.g. `lines[2].quantity`.
    pub field: String,
    pub message: String,
}

/// All the invalid fields of one value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}", self.summary())]
pub struct Violations(pub Vec<Violation>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(Violation { field: field.into(), message: message.into() });
    }

    /// Adds `message` for `field` when `ok` is false.
    pub fn check(&mut self, ok: bool, field: impl Into<String>, message: impl Into<String>) {
        if !ok {
            self.push(field, message);
        }
    }

    /// Merges a nested value's violations under `prefix` (e.g. `lines[0]`).
    pub fn nest(&mut self, prefix: &str, inner: Violations) {
        for v in inner.0 {
            self.0.push(Violation { field: format!("{prefix}.{}", v.field), message: v.message });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), Violations> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }

    pub fn summary(&self) -> String {
        self.0.iter().map(|v| format!("{}: {}", v.field, v.message)).collect::<Vec<_>>().join("; ")
    }

    /// Checks a retailer's own code: 1 to 64 characters from `A-Z a-z 0-9 . _ : -`,
    /// so that it is safe in URL paths, file names and log lines.
    pub fn external_id(&mut self, field: &str, id: &str) {
        if let Err(message) = check_external_id(id) {
            self.push(field, message);
        }
    }

    /// Like [`Violations::external_id`] for an optional reference.
    pub fn optional_external_id(&mut self, field: &str, id: Option<&str>) {
        if let Some(id) = id {
            self.external_id(field, id);
        }
    }
}

/// The rule behind [`Violations::external_id`].
pub fn check_external_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("must not be empty".into());
    }
    if id.len() > 64 {
        return Err(format!("must be at most 64 characters, got {}", id.len()));
    }
    match id.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'))) {
        Some(c) => Err(format!("contains {c:?}; allowed are A-Z a-z 0-9 . _ : -")),
        None => Ok(()),
    }
}

/// Types that can check themselves before they are stored.
pub trait Validate {
    fn validate(&self) -> Result<(), Violations>;
}

/// Checks a human text field: not blank when required, bounded in length.
pub(crate) fn text_field(v: &mut Violations, field: &str, value: &str, required: bool, max_chars: usize) {
    if required && value.trim().is_empty() {
        v.push(field, "must not be empty");
    }
    let n = value.chars().count();
    if n > max_chars {
        v.push(field, format!("must be at most {max_chars} characters, got {n}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_id_rules() {
        assert!(check_external_id("SKU-0001").is_ok());
        assert!(check_external_id("dc:sh.01_a").is_ok());
        assert!(check_external_id("").is_err());
        assert!(check_external_id("has space").is_err());
        assert!(check_external_id("a/b").is_err());
        assert!(check_external_id("商品").is_err());
        assert!(check_external_id(&"x".repeat(65)).is_err());
        assert!(check_external_id(&"x".repeat(64)).is_ok());
    }

    #[test]
    fn violations_nest_and_summarise() {
        let mut inner = Violations::new();
        inner.push("quantity", "must be positive");
        let mut outer = Violations::new();
        outer.nest("lines[1]", inner);
        assert_eq!(outer.0[0].field, "lines[1].quantity");
        assert_eq!(outer.summary(), "lines[1].quantity: must be positive");
        assert!(outer.into_result().is_err());
    }
}
