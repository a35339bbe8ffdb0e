//! Message templates: text with `{{variable}}` placeholders from a known set, rendered with
//! sanitised values, and always carrying the unsubscribe link.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::Language;

/// The variables campaigns can use.
pub const KNOWN_VARIABLES: [&str; 7] =
    ["name", "first_name", "products", "offer", "store", "unsubscribe_url", "campaign"];

/// The variable every message must carry, added at the end when a template lacks it.
pub const UNSUBSCRIBE_URL: &str = "unsubscribe_url";

/// Longest a value may render, in characters; longer ones are cut and end with "…".
pub const MAX_VALUE_CHARS: usize = 200;
/// Longest unsubscribe URL: URLs are not cut, since a cut link does not work.
pub const MAX_URL_CHARS: usize = 2_000;

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Variable(String),
}

/// What is wrong with a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error, utoipa::ToSchema)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum TemplateError {
    /// `{{` without its `}}`, or `}}` without its `{{`; `at` is the character position.
    #[error("unbalanced braces at character {at}")]
    UnbalancedBraces { at: usize },
    #[error("empty variable name at character {at}")]
    EmptyVariable { at: usize },
    #[error("`{name}` is not a variable name: use letters, digits and _")]
    InvalidVariable { name: String },
    #[error("unknown variables: {}", .0.join(", "))]
    UnknownVariables(Vec<String>),
}

/// The values of one message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Values {
    pub language: Language,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub first_name: String,
    /// Rendered as "A、B、C" in Chinese and "A, B and C" in English.
    #[serde(default)]
    pub products: Vec<String>,
    #[serde(default)]
    pub offer: String,
    #[serde(default)]
    pub store: String,
    pub unsubscribe_url: String,
    #[serde(default)]
    pub campaign: String,
}

impl Values {
    /// The rendered value of a known variable; unknown ones render empty ([`Template::check`]
    /// refuses them beforehand).
    fn get(&self, variable: &str) -> String {
        match variable {
            "name" => sanitise(&self.name, MAX_VALUE_CHARS),
            "first_name" => sanitise(&self.first_name, MAX_VALUE_CHARS),
            "products" => {
                let products: Vec<String> = self.products.iter().map(|p| sanitise(p, MAX_VALUE_CHARS)).collect();
                sanitise(&join_list(&products, self.language), MAX_VALUE_CHARS)
            }
            "offer" => sanitise(&self.offer, MAX_VALUE_CHARS),
            "store" => sanitise(&self.store, MAX_VALUE_CHARS),
            UNSUBSCRIBE_URL => sanitise(&self.unsubscribe_url, MAX_URL_CHARS),
            "campaign" => sanitise(&self.campaign, MAX_VALUE_CHARS),
            _ => String::new(),
        }
    }
}

impl Template {
    /// Parses `{{name}}` placeholders; spaces inside the braces are ignored.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut pieces = Vec::new();
        let mut rest = text;
        let position = |rest: &str| text[..text.len() - rest.len()].chars().count();
        loop {
            let open = rest.find("{{");
            let close = rest.find("}}");
            match (open, close) {
                (_, Some(close)) if open.is_none_or(|open| close < open) => {
                    return Err(TemplateError::UnbalancedBraces { at: position(&rest[close..]) });
                }
                (Some(open), _) => {
                    let inner_start = &rest[open + 2..];
                    let end = match (inner_start.find("}}"), inner_start.find("{{")) {
                        (Some(end), next_open) if next_open.is_none_or(|next| end < next) => end,
                        _ => return Err(TemplateError::UnbalancedBraces { at: position(&rest[open..]) }),
                    };
                    let name = inner_start[..end].trim();
                    if name.is_empty() {
                        return Err(TemplateError::EmptyVariable { at: position(&rest[open..]) });
                    }
                    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                        return Err(TemplateError::InvalidVariable { name: name.to_string() });
                    }
                    if open > 0 {
                        pieces.push(Piece::Text(rest[..open].to_string()));
                    }
                    pieces.push(Piece::Variable(name.to_string()));
                    rest = &inner_start[end + 2..];
                }
                (None, _) => break,
            }
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_string()));
        }
        Ok(Template { pieces })
    }

    /// The variables the template uses.
    pub fn variables(&self) -> BTreeSet<&str> {
        self.pieces
            .iter()
            .filter_map(|piece| match piece {
                Piece::Variable(name) => Some(name.as_str()),
                Piece::Text(_) => None,
            })
            .collect()
    }

    /// Refuses variables outside `known` (usually [`KNOWN_VARIABLES`], or fewer for campaigns
    /// without, say, an offer), listing them all.
    pub fn check(&self, known: &[&str]) -> Result<(), TemplateError> {
        let unknown: Vec<String> =
            self.variables().into_iter().filter(|name| !known.contains(name)).map(str::to_string).collect();
        if unknown.is_empty() { Ok(()) } else { Err(TemplateError::UnknownVariables(unknown)) }
    }

    /// The message. Values are stripped of control characters and cut to [`MAX_VALUE_CHARS`].
    /// A template without `{{unsubscribe_url}}` gets a localised opt-out line at the end.
    pub fn render(&self, values: &Values) -> String {
        let mut message = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => message.push_str(text),
                Piece::Variable(name) => message.push_str(&values.get(name)),
            }
        }
        if !self.variables().contains(UNSUBSCRIBE_URL) {
            let label = match values.language {
                Language::En => "Unsubscribe: ",
                Language::Zh => "退订: ",
            };
            message.push('\n');
            message.push_str(label);
            message.push_str(&values.get(UNSUBSCRIBE_URL));
        }
        message
    }
}

/// `value` without control characters (which could break the message or forge lines), cut to
/// `max_chars` characters.
fn sanitise(value: &str, max_chars: usize) -> String {
    let clean: String = value.chars().filter(|c| !c.is_control()).collect();
    if clean.chars().count() <= max_chars {
        return clean;
    }
    let mut cut: String = clean.chars().take(max_chars - 1).collect();
    cut.push('…');
    cut
}

/// "A、B、C" in Chinese, "A, B and C" in English.
fn join_list(items: &[String], language: Language) -> String {
    match (language, items) {
        (Language::Zh, _) => items.join("、"),
        (Language::En, []) => String::new(),
        (Language::En, [only]) => only.clone(),
        (Language::En, [init @ .., last]) => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn values(language: Language) -> Values {
        Values {
            language,
            name: "Li Wei".into(),
            first_name: "Wei".into(),
            products: vec!["Milk".into(), "Nappies".into(), "Wipes".into()],
            offer: "10% off".into(),
            store: "Jing'an".into(),
            unsubscribe_url: "https://s.example/u/abc".into(),
            campaign: "spring".into(),
        }
    }

    #[test]
    fn renders_variables_and_lists_per_language() {
        let template =
            Template::parse("Hi {{ first_name }}, {{products}} are back at {{store}}. {{unsubscribe_url}}").unwrap();
        assert_eq!(template.check(&KNOWN_VARIABLES), Ok(()));
        assert_eq!(
            template.render(&values(Language::En)),
            "Hi Wei, Milk, Nappies and Wipes are back at Jing'an. https://s.example/u/abc"
        );
        let zh = Template::parse("{{name}}您好，{{products}}到货了").unwrap();
        assert_eq!(
            zh.render(&values(Language::Zh)),
            "Li Wei您好，Milk、Nappies、Wipes到货了\n退订: https://s.example/u/abc"
        );
        let two = Values { products: vec!["A".into(), "B".into()], ..values(Language::En) };
        assert_eq!(
            Template::parse("{{products}}").unwrap().render(&two),
            "A and B\nUnsubscribe: https://s.example/u/abc"
        );
    }

    #[test]
    fn unknown_variables_are_listed() {
        let template = Template::parse("{{name}} {{coupon}} {{points}} {{coupon}}").unwrap();
        assert_eq!(
            template.check(&KNOWN_VARIABLES),
            Err(TemplateError::UnknownVariables(vec!["coupon".into(), "points".into()]))
        );
        // A campaign without an offer knows fewer variables.
        assert!(Template::parse("{{offer}}").unwrap().check(&["name", "unsubscribe_url"]).is_err());
    }

    #[test]
    fn malformed_templates_are_refused() {
        assert_eq!(Template::parse("Hi {{name"), Err(TemplateError::UnbalancedBraces { at: 3 }));
        assert_eq!(Template::parse("Hi name}}"), Err(TemplateError::UnbalancedBraces { at: 7 }));
        assert_eq!(Template::parse("{{a {{b}}"), Err(TemplateError::UnbalancedBraces { at: 0 }));
        assert_eq!(Template::parse("您好{{ }}"), Err(TemplateError::EmptyVariable { at: 2 }));
        assert_eq!(
            Template::parse("{{first name}}"),
            Err(TemplateError::InvalidVariable { name: "first name".into() })
        );
        // Single braces are text.
        assert_eq!(
            Template::parse("{x} }").unwrap().render(&values(Language::En)),
            "{x} }\nUnsubscribe: https://s.example/u/abc"
        );
    }

    #[test]
    fn values_are_cut_and_stripped_of_control_characters() {
        let hostile = Values { name: format!("Bob\n\u{7}Reply STOP{}", "x".repeat(500)), ..values(Language::En) };
        let message = Template::parse("{{name}}").unwrap().render(&hostile);
        let first_line = message.lines().next().unwrap();
        assert!(first_line.starts_with("BobReply STOP"));
        assert_eq!(first_line.chars().count(), MAX_VALUE_CHARS);
        assert!(first_line.ends_with('…'));
    }

    proptest! {
        #[test]
        fn every_message_carries_the_unsubscribe_url(text in "[a-z {}]{0,40}", url in "https://[a-z]{1,20}") {
            if let Ok(template) = Template::parse(&text) {
                let values = Values { unsubscribe_url: url.clone(), ..values(Language::Zh) };
                prop_assert!(template.render(&values).contains(&url));
            }
        }
    }
}
