//! Customer-service knowledge base: FAQ entries and policy documents.

use serde::{Deserialize, Serialize};

use crate::entity::{Entity, EntityKind};
use crate::text::Text;
use crate::validate::{Validate, Violations, text_field};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KbArticle {
    pub external_id: String,
    /// e.g. `store_hours`, `returns`, `delivery`, `membership`.
    pub topic: String,
    /// The question or title.
    pub title: Text,
    /// The answer or policy text.
    pub body: Text,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Only published articles are used to answer customers.
    #[serde(default)]
    pub published: bool,
}

impl Validate for KbArticle {
    fn validate(&self) -> Result<(), Violations> {
        let mut v = Violations::new();
        v.external_id("external_id", &self.external_id);
        v.external_id("topic", &self.topic);
        self.title.validate_into(&mut v, "title", 300);
        self.body.validate_into(&mut v, "body", 20_000);
        v.check(self.tags.len() <= 30, "tags", "at most 30 tags");
        for (i, t) in self.tags.iter().enumerate() {
            text_field(&mut v, &format!("tags[{i}]"), t, true, 50);
        }
        v.into_result()
    }
}

impl Entity for KbArticle {
    const KIND: EntityKind = EntityKind::KbArticle;
    fn external_id(&self) -> &str {
        &self.external_id
    }
}
