//! The console's page model. A page is a heading and cards; a card holds blocks
//! (figures, a chart, a table, facts, a filter bar, a form). Pages are built in
//! Rust from query results and rendered by one template, so every module's pages
//! look and behave alike, and a chart is declared once from its data.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use super::Chrome;

#[derive(Template)]
#[template(path = "page.html")]
pub struct Page {
    pub ui: Chrome,
    pub heading: String,
    pub subtitle: String,
    pub cards: Vec<Card>,
}

impl Page {
    pub fn new(ui: Chrome, heading: impl Into<String>) -> Self {
        Self { ui, heading: heading.into(), subtitle: String::new(), cards: Vec::new() }
    }

    pub fn subtitle(mut self, s: impl Into<String>) -> Self {
        self.subtitle = s.into();
        self
    }

    pub fn card(mut self, card: Card) -> Self {
        self.cards.push(card);
        self
    }

    pub fn render_with(self, status: StatusCode) -> Response {
        match self.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "console template failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
            }
        }
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        self.render_with(StatusCode::OK)
    }
}

/// How much of the row a card takes on a wide screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    Full,
    Half,
    Third,
}

impl Width {
    pub fn class(&self) -> &'static str {
        match self {
            Self::Full => "w-full",
            Self::Half => "w-half",
            Self::Third => "w-third",
        }
    }
}

pub struct Card {
    pub title: String,
    pub width: Width,
    pub blocks: Vec<Block>,
}

impl Card {
    pub fn new(title: impl Into<String>, width: Width) -> Self {
        Self { title: title.into(), width, blocks: Vec::new() }
    }

    pub fn block(mut self, block: Block) -> Self {
        self.blocks.push(block);
        self
    }
}

pub enum Block {
    Kpis(Vec<Kpi>),
    Chart(Chart),
    Table(Table),
    Facts(Vec<(String, Cell)>),
    Filters(Filters),
    Pager(Pager),
    Form(Form),
    Notice(Notice),
    /// A conversation's messages, kept up to date by `desk.js` while the page is open.
    Transcript(Transcript),
    /// Links shown as buttons (e.g. "New article").
    Links(Vec<(String, String)>),
    /// Reloads the page when the JSON at `url` reports another `signature` (`desk.js`).
    AutoRefresh {
        url: String,
        signature: String,
    },
}

pub struct Kpi {
    pub label: String,
    pub value: String,
    pub hint: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Warn,
    Bad,
    Info,
    Plain,
}

impl Tone {
    pub fn class(&self) -> &'static str {
        match self {
            Self::Good => "good",
            Self::Warn => "warn",
            Self::Bad => "bad",
            Self::Info => "info",
            Self::Plain => "plain",
        }
    }
}

pub struct Notice {
    pub tone: Tone,
    pub text: String,
    /// A value to copy (a new API key, a generated password), shown in a code box.
    pub secret: Option<String>,
}

/// A table cell. Text is always escaped by the template.
pub enum Cell {
    Text(String),
    /// Right-aligned figures.
    Number(String),
    Link {
        text: String,
        href: String,
    },
    Badge {
        text: String,
        tone: Tone,
    },
    /// A one-button form (revoke, unlock, disable), CSRF-protected.
    Action(Box<Form>),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Self {
        Self::Text(s.into())
    }

    pub fn link(text: impl Into<String>, href: impl Into<String>) -> Self {
        Self::Link { text: text.into(), href: href.into() }
    }

    pub fn badge(text: impl Into<String>, tone: Tone) -> Self {
        Self::Badge { text: text.into(), tone }
    }
}

pub struct Table {
    pub columns: Vec<String>,
    /// Indexes of columns that hold numbers (right-aligned headers).
    pub numeric: Vec<usize>,
    pub rows: Vec<Vec<Cell>>,
    pub empty: String,
}

impl Table {
    pub fn new(columns: Vec<String>, empty: impl Into<String>) -> Self {
        Self { columns, numeric: Vec::new(), rows: Vec::new(), empty: empty.into() }
    }

    pub fn numeric(mut self, columns: &[usize]) -> Self {
        self.numeric = columns.to_vec();
        self
    }

    pub fn is_numeric(&self, column: &usize) -> bool {
        self.numeric.contains(column)
    }
}

/// A GET form of search box and selects that reloads the page with filters.
pub struct Filters {
    pub action: String,
    pub search: Option<(String, String)>,
    pub selects: Vec<Select>,
    pub submit: String,
}

pub struct Select {
    pub name: String,
    pub label: String,
    /// (value, label); the first is usually "all" with an empty value.
    pub options: Vec<(String, String)>,
    pub selected: String,
}

pub struct Pager {
    pub first: Option<String>,
    pub next: Option<String>,
    pub first_label: String,
    pub next_label: String,
}

/// A POST form; the template adds the CSRF field.
pub struct Form {
    pub action: String,
    pub fields: Vec<Field>,
    pub submit: String,
    /// Shown in a confirmation dialog before submitting, for destructive actions.
    pub confirm: Option<String>,
    pub tone: Tone,
}

pub enum Field {
    Text {
        name: String,
        label: String,
        value: String,
        required: bool,
    },
    Password {
        name: String,
        label: String,
    },
    Number {
        name: String,
        label: String,
        value: String,
    },
    Select(Select),
    Checkboxes {
        name: String,
        label: String,
        options: Vec<(String, String, bool)>,
    },
    Hidden {
        name: String,
        value: String,
    },
    /// Multi-line text (an article's body, a reply, a file's content to import).
    TextArea {
        name: String,
        label: String,
        value: String,
        rows: u32,
        required: bool,
    },
    /// A choice of ready texts: picking one puts it in the textarea named `target` (`desk.js`);
    /// without script the choice is sent as the field itself.
    Canned {
        select: Select,
        target: String,
    },
    /// A file picker whose content `desk.js` puts in the textarea named `target`; the file itself
    /// is not sent (forms are URL-encoded, so the CSRF check can read them).
    FileText {
        target: String,
        label: String,
        accept: String,
    },
}

/// A conversation as the agent sees it. Every text is escaped by the template, and `desk.js`
/// adds the messages that arrive later with `textContent` only.
pub struct Transcript {
    /// The server-sent events of new messages, without `?after=`; empty when nothing more can come.
    pub stream: String,
    /// The last message's sequence number.
    pub after: i64,
    /// The conversation's status when the page was drawn; a change reloads the page.
    pub status: String,
    pub messages: Vec<Utterance>,
    /// What the script needs to label live messages (senders, intents, notes), as JSON.
    pub labels: String,
    pub empty: String,
}

/// One message of a transcript.
pub struct Utterance {
    pub seq: i64,
    /// `customer`, `bot`, `agent` or `system`: the message's style.
    pub sender: String,
    /// The sender in the reader's language.
    pub who: String,
    pub at: String,
    pub text: String,
    /// What was understood of a customer's message: intent, confidence, sentiment.
    pub notes: Vec<String>,
    /// The knowledge-base articles an answer came from: (title, link).
    pub sources: Vec<(String, String)>,
    /// "Sources" in the reader's language.
    pub sources_label: String,
}

impl Page {
    /// Whether the page needs `desk.js`: live transcripts, self-refreshing queues, canned
    /// replies and file pickers.
    pub fn needs_desk_script(&self) -> bool {
        let field_needs =
            |f: &Form| f.fields.iter().any(|x| matches!(x, Field::Canned { .. } | Field::FileText { .. }));
        self.cards.iter().flat_map(|c| &c.blocks).any(|b| match b {
            Block::Transcript(_) | Block::AutoRefresh { .. } => true,
            Block::Form(f) => field_needs(f),
            _ => false,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChartKind {
    Line,
    Bar,
    /// Horizontal bars: long category names (products, stores) stay readable.
    Hbar,
    Pie,
    /// Routes drawn on longitude/latitude axes (no map tiles), with the depots marked.
    Map,
}

#[derive(Debug, Clone, Serialize)]
pub struct Series {
    pub name: String,
    /// Missing points (NaN) are gaps.
    pub data: Vec<f64>,
    /// 0 for the left axis, 1 for the right (two units on one chart).
    pub axis: u8,
    /// For interval bands: `base` is the invisible lower edge, `band` the shaded width stacked on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
}

/// A point of a map: longitude, latitude and what the tooltip says about it.
#[derive(Debug, Clone, Serialize)]
pub struct MapPoint {
    pub lon: f64,
    pub lat: f64,
    pub label: String,
}

/// A line through points in order (a vehicle's route), or just the points (depots).
#[derive(Debug, Clone, Serialize)]
pub struct MapPath {
    pub name: String,
    pub points: Vec<MapPoint>,
    /// Drawn as a closed line from the first point back to it.
    pub line: bool,
}

/// A chart declared from data: the console script turns it into an ECharts
/// option with the project's styling, axis names with units, and tooltips.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    pub kind: ChartKind,
    pub x_name: String,
    pub y_name: String,
    pub y2_name: String,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    /// The paths of a [`ChartKind::Map`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<MapPath>,
    pub height: u32,
}

impl Chart {
    pub fn new(kind: ChartKind, x_name: impl Into<String>, y_name: impl Into<String>) -> Self {
        Self {
            kind,
            x_name: x_name.into(),
            y_name: y_name.into(),
            y2_name: String::new(),
            categories: Vec::new(),
            series: Vec::new(),
            paths: Vec::new(),
            height: 300,
        }
    }

    pub fn categories(mut self, c: Vec<String>) -> Self {
        self.categories = c;
        self
    }

    pub fn series(mut self, name: impl Into<String>, data: Vec<f64>) -> Self {
        self.series.push(Series { name: name.into(), data, axis: 0, role: None });
        self
    }

    /// A shaded band between `lower` and `upper` (a prediction interval), named once.
    pub fn band(mut self, name: impl Into<String>, lower: Vec<f64>, upper: Vec<f64>) -> Self {
        let width = lower.iter().zip(&upper).map(|(l, u)| u - l).collect();
        let name = name.into();
        self.series.push(Series { name: name.clone(), data: lower, axis: 0, role: Some("base") });
        self.series.push(Series { name, data: width, axis: 0, role: Some("band") });
        self
    }

    /// A series on a second axis at the right, named `y2_name`.
    pub fn series_right(mut self, name: impl Into<String>, y2_name: impl Into<String>, data: Vec<f64>) -> Self {
        self.y2_name = y2_name.into();
        self.series.push(Series { name: name.into(), data, axis: 1, role: None });
        self
    }

    pub fn height(mut self, px: u32) -> Self {
        self.height = px;
        self
    }

    /// A path on a map chart.
    pub fn path(mut self, name: impl Into<String>, points: Vec<MapPoint>, line: bool) -> Self {
        self.paths.push(MapPath { name: name.into(), points, line });
        self
    }

    pub fn is_empty(&self) -> bool {
        self.series.iter().all(|s| s.data.is_empty()) && self.paths.iter().all(|p| p.points.is_empty())
    }

    /// The spec as JSON for the `data-chart` attribute (escaped by the template).
    pub fn spec(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// An optional time as tables and facts show it, a dash when there is none.
pub fn when(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or_else(|| "—".into(), date)
}

/// A time to the minute, as tables and facts show it.
pub fn date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// Money in minor units shown as yuan with thousands separators.
pub fn yuan(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("¥{sign}{}.{:02}", grouped(abs / 100), abs % 100)
}

/// Whole numbers with thousands separators.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

pub fn count(n: i64) -> String {
    if n < 0 { format!("-{}", grouped(n.unsigned_abs())) } else { grouped(n as u64) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_counts_are_grouped() {
        assert_eq!(yuan(123456789), "¥1,234,567.89");
        assert_eq!(yuan(-5), "¥-0.05");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(-999), "-999");
        assert_eq!(grouped(0), "0");
    }

    #[test]
    fn chart_specs_carry_axes_and_series() {
        let c = Chart::new(ChartKind::Line, "Date", "Revenue (¥)")
            .categories(vec!["d1".into(), "d2".into()])
            .series("Revenue", vec![1.0, 2.0])
            .series_right("Units", "Units", vec![3.0, 4.0]);
        let v: serde_json::Value = serde_json::from_str(&c.spec()).unwrap();
        assert_eq!(v["kind"], "line");
        assert_eq!(v["series"][1]["axis"], 1);
        assert_eq!(v["y2_name"], "Units");
        assert!(!c.is_empty());
    }
}
