//! Bilingual text: every name a person reads exists in Chinese and English.

use serde::{Deserialize, Serialize};

use crate::validate::{Violations, text_field};

/// A Chinese/English pair. At least one side must be filled; the other falls
/// back to it when displayed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Text {
    #[serde(default)]
    pub zh: String,
    #[serde(default)]
    pub en: String,
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self { zh: zh.into(), en: en.into() }
    }

    /// The text in `lang` ("zh…" or anything else for English), falling back to
    /// the other language when that side is empty.
    pub fn get(&self, lang: &str) -> &str {
        let (first, second) = if lang.starts_with("zh") { (&self.zh, &self.en) } else { (&self.en, &self.zh) };
        if first.is_empty() { second } else { first }
    }

    pub(crate) fn validate_into(&self, v: &mut Violations, field: &str, max_chars: usize) {
        if self.zh.trim().is_empty() && self.en.trim().is_empty() {
            v.push(field, "needs a Chinese (zh) or English (en) text");
        }
        text_field(v, &format!("{field}.zh"), &self.zh, false, max_chars);
        text_field(v, &format!("{field}.en"), &self.en, false, max_chars);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falls_back_to_the_other_language() {
        let t = Text::new("牛奶", "");
        assert_eq!(t.get("en"), "牛奶");
        assert_eq!(t.get("zh-CN"), "牛奶");
        let t = Text::new("牛奶", "Milk");
        assert_eq!(t.get("en-GB"), "Milk");
    }

    #[test]
    fn empty_text_is_invalid() {
        let mut v = Violations::new();
        Text::default().validate_into(&mut v, "name", 10);
        assert_eq!(v.0.len(), 1);
        let mut v = Violations::new();
        Text::new("一二三四五六七八九十一", "").validate_into(&mut v, "name", 10);
        assert_eq!(v.0[0].field, "name.zh");
    }
}
