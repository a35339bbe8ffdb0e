//! Kevin Hillstrom's MineThatData e-mail campaign (64,000 customers randomly sent a women's
//! e-mail, a men's e-mail or nothing) as an uplift [`Dataset`], and the train/test evaluation.
//!
//! Features, in this order: recency, history, mens, womens, newbie, then one-hot
//! history_segment (7), zip_code (3) and channel (3).

mod evaluation;

pub use evaluation::{EvalConfig, EvalReport, Summary, evaluate};

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::UpliftError;
use crate::model::Dataset;

/// The untreated arm every treatment is compared against.
pub const CONTROL_SEGMENT: &str = "No E-Mail";

const NUMERIC_COLUMNS: [&str; 5] = ["recency", "history", "mens", "womens", "newbie"];
const HISTORY_SEGMENTS: [&str; 7] = [
    "1) $0 - $100",
    "2) $100 - $200",
    "3) $200 - $350",
    "4) $350 - $500",
    "5) $500 - $750",
    "6) $750 - $1,000",
    "7) $1,000 +",
];
// "Surburban" is the data set's own spelling.
const ZIP_CODES: [&str; 3] = ["Surburban", "Rural", "Urban"];
const CHANNELS: [&str; 3] = ["Phone", "Web", "Multichannel"];
const N_FEATURES: usize = NUMERIC_COLUMNS.len() + HISTORY_SEGMENTS.len() + ZIP_CODES.len() + CHANNELS.len();
const CATEGORICAL_COLUMNS: [(&str, &[&str]); 3] =
    [("history_segment", &HISTORY_SEGMENTS), ("zip_code", &ZIP_CODES), ("channel", &CHANNELS)];

/// Which e-mail is the treatment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Arm {
    #[serde(rename = "Womens E-Mail")]
    WomensEmail,
    #[serde(rename = "Mens E-Mail")]
    MensEmail,
}

impl Arm {
    /// The `segment` value of the arm in the CSV.
    pub fn segment(self) -> &'static str {
        match self {
            Arm::WomensEmail => "Womens E-Mail",
            Arm::MensEmail => "Mens E-Mail",
        }
    }
}

impl FromStr for Arm {
    type Err = UpliftError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        [Arm::WomensEmail, Arm::MensEmail]
            .into_iter()
            .find(|arm| arm.segment() == name)
            .ok_or_else(|| UpliftError::UnknownArm(name.to_owned()))
    }
}

/// Which response the uplift is measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Visited the website within two weeks (0/1).
    Visit,
    /// Bought within two weeks (0/1).
    Conversion,
    /// Dollars spent within two weeks.
    Spend,
}

impl Outcome {
    /// The CSV column holding this outcome.
    pub fn column(self) -> &'static str {
        match self {
            Outcome::Visit => "visit",
            Outcome::Conversion => "conversion",
            Outcome::Spend => "spend",
        }
    }
}

impl FromStr for Outcome {
    type Err = UpliftError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        [Outcome::Visit, Outcome::Conversion, Outcome::Spend]
            .into_iter()
            .find(|outcome| outcome.column() == name)
            .ok_or_else(|| UpliftError::UnknownOutcome(name.to_owned()))
    }
}

/// Names of the dataset's feature columns, in order.
pub fn feature_names() -> Vec<String> {
    let numeric = NUMERIC_COLUMNS.iter().map(|name| (*name).to_owned());
    let one_hot = CATEGORICAL_COLUMNS
        .iter()
        .flat_map(|(column, levels)| levels.iter().map(move |level| format!("{column}={level}")));
    numeric.chain(one_hot).collect()
}

/// Splits one CSV line into fields, honouring double quotes (`"6) $750 - $1,000"`).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut characters = line.chars().peekable();
    while let Some(character) = characters.next() {
        match character {
            '"' if quoted && characters.peek() == Some(&'"') => {
                characters.next();
                field.push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            other => field.push(other),
        }
    }
    fields.push(field);
    fields
}

/// Column positions of the header, looked up by name.
struct Columns {
    numeric: [usize; NUMERIC_COLUMNS.len()],
    categorical: [usize; CATEGORICAL_COLUMNS.len()],
    segment: usize,
    outcome: usize,
    names: Vec<String>,
}

impl Columns {
    fn from_header(header: &str, outcome: Outcome) -> Result<Self, UpliftError> {
        let names = csv_fields(header);
        let position = |wanted: &str| {
            names
                .iter()
                .position(|name| name.trim() == wanted)
                .ok_or_else(|| UpliftError::Parse { line: 1, reason: format!("the header has no {wanted:?} column") })
        };
        let mut numeric = [0; NUMERIC_COLUMNS.len()];
        for (slot, name) in numeric.iter_mut().zip(NUMERIC_COLUMNS) {
            *slot = position(name)?;
        }
        let mut categorical = [0; CATEGORICAL_COLUMNS.len()];
        for (slot, (name, _)) in categorical.iter_mut().zip(CATEGORICAL_COLUMNS) {
            *slot = position(name)?;
        }
        Ok(Self { numeric, categorical, segment: position("segment")?, outcome: position(outcome.column())?, names })
    }
}

/// Parses the Hillstrom CSV into the customers of `arm` (treated) and of the `No E-Mail`
/// control, with `outcome` as the response. Customers of the other e-mail are left out.
pub fn parse(csv: &str, arm: Arm, outcome: Outcome) -> Result<Dataset, UpliftError> {
    let mut lines = csv.lines().enumerate().map(|(index, line)| (index + 1, line.trim_end_matches('\r')));
    let (_, header) = lines.next().ok_or(UpliftError::Empty)?;
    let columns = Columns::from_header(header, outcome)?;
    let mut features = Vec::new();
    let mut treatment = Vec::new();
    let mut outcomes = Vec::new();
    for (line, text) in lines.filter(|(_, text)| !text.trim().is_empty()) {
        let fields = csv_fields(text);
        let error = |reason: String| UpliftError::Parse { line, reason };
        if fields.len() != columns.names.len() {
            return Err(error(format!("expected {} fields, found {}", columns.names.len(), fields.len())));
        }
        let treated = match fields[columns.segment].trim() {
            segment if segment == arm.segment() => true,
            CONTROL_SEGMENT => false,
            "Womens E-Mail" | "Mens E-Mail" => continue,
            unknown => return Err(error(format!("unknown segment {unknown:?}"))),
        };
        let number = |position: usize| {
            let field = fields[position].trim();
            field.parse::<f64>().ok().filter(|value| value.is_finite()).ok_or_else(|| {
                error(format!("column {} holds {field:?}, not a number", columns.names[position].trim()))
            })
        };
        for &position in &columns.numeric {
            features.push(number(position)? as f32);
        }
        for (&position, (name, levels)) in columns.categorical.iter().zip(CATEGORICAL_COLUMNS) {
            let value = fields[position].trim();
            let level = levels.iter().position(|level| *level == value);
            let level = level.ok_or_else(|| error(format!("unknown {name} {value:?}")))?;
            features.extend((0..levels.len()).map(|candidate| f32::from(u8::from(candidate == level))));
        }
        treatment.push(treated);
        outcomes.push(number(columns.outcome)?);
    }
    Dataset::new(features, N_FEATURES, treatment, outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "recency,history_segment,history,mens,womens,zip_code,newbie,channel,segment,visit,conversion,spend";

    fn sample() -> String {
        [
            HEADER,
            "10,2) $100 - $200,142.44,1,0,Surburban,0,Phone,Womens E-Mail,0,0,0",
            "6,3) $200 - $350,329.08,1,1,Rural,1,Web,No E-Mail,0,0,0",
            "7,\"6) $750 - $1,000\",810.2,0,1,Urban,1,Multichannel,Womens E-Mail,1,1,29.99",
            "9,5) $500 - $750,675.83,1,0,Rural,1,Web,Mens E-Mail,1,0,0",
        ]
        .join("\r\n")
    }

    #[test]
    fn encodes_the_chosen_arm_against_control() {
        let data = parse(&sample(), Arm::WomensEmail, Outcome::Spend).unwrap();
        assert_eq!(data.len(), 3);
        assert_eq!(data.n_features(), feature_names().len());
        assert_eq!(data.treatment(), [true, false, true]);
        assert_eq!(data.outcome(), [0.0, 0.0, 29.99]);
        let names = feature_names();
        let third = data.row(2);
        let hot: Vec<&str> = names
            .iter()
            .zip(third)
            .filter(|(name, value)| name.contains('=') && **value == 1.0)
            .map(|(name, _)| name.as_str())
            .collect();
        assert_eq!(hot, ["history_segment=6) $750 - $1,000", "zip_code=Urban", "channel=Multichannel"]);
        assert_eq!(&third[..5], [7.0, 810.2, 0.0, 1.0, 1.0]);
    }

    #[test]
    fn unknown_names_and_malformed_rows_are_reported() {
        assert_eq!("Kids E-Mail".parse::<Arm>(), Err(UpliftError::UnknownArm("Kids E-Mail".into())));
        assert_eq!("clicks".parse::<Outcome>(), Err(UpliftError::UnknownOutcome("clicks".into())));
        let short = format!("{}\n1,2) $100 - $200,3", sample());
        assert!(matches!(parse(&short, Arm::MensEmail, Outcome::Visit), Err(UpliftError::Parse { line: 6, .. })));
        let bad_number = sample().replace("142.44", "lots");
        assert!(matches!(
            parse(&bad_number, Arm::WomensEmail, Outcome::Visit),
            Err(UpliftError::Parse { line: 2, .. })
        ));
        let no_column = sample().replacen("visit,", "visits,", 1);
        assert!(matches!(parse(&no_column, Arm::WomensEmail, Outcome::Visit), Err(UpliftError::Parse { line: 1, .. })));
        let only_mens = [HEADER, "9,5) $500 - $750,675.83,1,0,Rural,1,Web,Mens E-Mail,1,0,0"].join("\n");
        assert_eq!(parse(&only_mens, Arm::WomensEmail, Outcome::Visit), Err(UpliftError::Empty));
    }
}
