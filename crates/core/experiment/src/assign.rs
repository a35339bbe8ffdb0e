//! Deterministic, sticky assignment of a unit (customer, session, store) to a variant.
//!
//! # The hash
//! Every draw is a number in `[0, 1)` computed from a seed string and the unit id:
//! 1. `h = FNV-1a 64(seed bytes ‖ 0xFF ‖ unit id bytes)`. The byte 0xFF never occurs in
//!    UTF-8, so two different (seed, id) pairs never hash the same bytes.
//! 2. Draw `k` is output `k` of a SplitMix64 generator seeded with `h`, that is
//!    `mix(h + k · 0x9E3779B97F4A7C15)` with SplitMix64's finaliser as `mix`.
//! 3. The top 53 bits of that, divided by 2^53.
//!
//! The experiment's salt seeds draw 1 (coverage) and draw 2 (variant); the layer's name seeds
//! draw 3 (position in the layer). Being different outputs of the generator, the three stay
//! independent even if a salt equals a layer name. Changing any constant here would move
//! every unit of every running experiment, so a test pins known outputs.
//!
//! # Deciding
//! A running experiment checks, in order: targeting, the layer range, coverage; a unit passing
//! all three gets the variant its variant draw falls in, by cumulative weight. Because coverage
//! and variant come from separate draws, raising coverage (ramping up from 10 % to 50 %) only
//! adds units: everyone already in keeps their variant. Changing weights or the salt, on the
//! other hand, moves units between variants, so do that only by starting a new experiment.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::BuildHasher;

use serde::{Deserialize, Serialize};

/// Index of the control, the variant served to units outside a running experiment.
const CONTROL: usize = 0;

/// How far from 1 the variant weights may sum.
const WEIGHT_SUM_TOLERANCE: f64 = 1e-9;

/// An experiment as stored by the platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    pub key: String,
    /// Seeds the coverage and variant draws; a different salt re-randomises every unit.
    pub salt: String,
    pub status: Status,
    /// The share of a layer this experiment owns, for mutually exclusive experiments.
    #[serde(default)]
    pub layer: Option<Layer>,
    /// The first variant is the control.
    pub variants: Vec<Variant>,
    /// Share of eligible units (targeted, inside the layer range) in the experiment, 0 to 1.
    pub coverage: f64,
    /// Conditions on unit attributes that must all hold.
    #[serde(default)]
    pub targeting: Vec<Condition>,
    pub unit: UnitKind,
    /// Key of the variant every unit gets once the experiment has shipped.
    #[serde(default)]
    pub shipped: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Running,
    Stopped,
    Shipped,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Draft => "draft",
            Status::Running => "running",
            Status::Stopped => "stopped",
            Status::Shipped => "shipped",
        })
    }
}

/// What the unit id identifies, and so what is randomised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    Customer,
    Session,
    Store,
}

impl fmt::Display for UnitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnitKind::Customer => "customer",
            UnitKind::Session => "session",
            UnitKind::Store => "store",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub key: String,
    /// Share of the experiment's units; the weights of an experiment sum to 1.
    pub weight: f64,
    /// What the variant switches on, e.g. the name of a recommendation strategy.
    #[serde(default)]
    pub payload: Option<String>,
}

/// The part `[start, end)` of the hash space of layer `name` an experiment owns. Experiments of
/// one layer with disjoint parts never share a unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    pub name: String,
    pub start: f64,
    pub end: f64,
}

impl Layer {
    fn contains(&self, position: f64) -> bool {
        self.start <= position && position < self.end
    }
}

/// A targeting condition on one unit attribute. A condition on an attribute the unit does not
/// have is not met, whatever the operator: targeting admits only units known to qualify.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    Equals {
        attribute: String,
        value: String,
    },
    NotEquals {
        attribute: String,
        value: String,
    },
    OneOf {
        attribute: String,
        values: Vec<String>,
    },
    /// The attribute, read as a number, is at least `value`.
    AtLeast {
        attribute: String,
        value: f64,
    },
    /// The attribute, read as a number, is at most `value`.
    AtMost {
        attribute: String,
        value: f64,
    },
}

impl Condition {
    pub fn attribute(&self) -> &str {
        match self {
            Condition::Equals { attribute, .. }
            | Condition::NotEquals { attribute, .. }
            | Condition::OneOf { attribute, .. }
            | Condition::AtLeast { attribute, .. }
            | Condition::AtMost { attribute, .. } => attribute,
        }
    }

    pub fn is_met<A: Attributes + ?Sized>(&self, attributes: &A) -> bool {
        let Some(actual) = attributes.get(self.attribute()) else {
            return false;
        };
        let number = || actual.trim().parse::<f64>().ok();
        match self {
            Condition::Equals { value, .. } => actual == value,
            Condition::NotEquals { value, .. } => actual != value,
            Condition::OneOf { values, .. } => values.iter().any(|value| value == actual),
            Condition::AtLeast { value, .. } => number().is_some_and(|n| n >= *value),
            Condition::AtMost { value, .. } => number().is_some_and(|n| n <= *value),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Equals { attribute, value } => write!(f, "{attribute} = {value}"),
            Condition::NotEquals { attribute, value } => write!(f, "{attribute} != {value}"),
            Condition::OneOf { attribute, values } => write!(f, "{attribute} one of [{}]", values.join(", ")),
            Condition::AtLeast { attribute, value } => write!(f, "{attribute} >= {value}"),
            Condition::AtMost { attribute, value } => write!(f, "{attribute} <= {value}"),
        }
    }
}

/// A unit's attributes (tier, city, platform...) by name, for targeting.
pub trait Attributes {
    fn get(&self, name: &str) -> Option<&str>;
}

impl<K: AsRef<str>, V: AsRef<str>> Attributes for [(K, V)] {
    fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(key, _)| key.as_ref() == name).map(|(_, value)| value.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> Attributes for [(K, V); N] {
    fn get(&self, name: &str) -> Option<&str> {
        Attributes::get(self.as_slice(), name)
    }
}

impl<S: BuildHasher> Attributes for HashMap<String, String, S> {
    fn get(&self, name: &str) -> Option<&str> {
        HashMap::get(self, name).map(String::as_str)
    }
}

impl Attributes for BTreeMap<String, String> {
    fn get(&self, name: &str) -> Option<&str> {
        BTreeMap::get(self, name).map(String::as_str)
    }
}

/// One problem found by [`validate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Dotted path of the field, e.g. `variants[1].weight`.
    pub field: String,
    pub message: String,
}

/// Every problem of an experiment definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}", self.0.iter().map(|p| format!("{}: {}", p.field, p.message)).collect::<Vec<_>>().join("; "))]
pub struct InvalidExperiment(pub Vec<Problem>);

/// Checks an experiment definition, reporting every problem at once.
pub fn validate(experiment: &Experiment) -> Result<(), InvalidExperiment> {
    let mut problems = Vec::new();
    let mut problem = |field: String, message: String| problems.push(Problem { field, message });

    if experiment.key.is_empty() {
        problem("key".into(), "must not be empty".into());
    }
    if experiment.salt.is_empty() {
        problem("salt".into(), "must not be empty".into());
    }
    if experiment.variants.len() < 2 {
        problem(
            "variants".into(),
            format!("needs at least two variants (a control and a treatment), got {}", experiment.variants.len()),
        );
    }
    for (index, variant) in experiment.variants.iter().enumerate() {
        let field = format!("variants[{index}]");
        if variant.key.is_empty() {
            problem(format!("{field}.key"), "must not be empty".into());
        } else if experiment.variants[..index].iter().any(|earlier| earlier.key == variant.key) {
            problem(format!("{field}.key"), format!("`{}` is used by an earlier variant", variant.key));
        }
        if variant.weight == 0.0 {
            problem(
                format!("{field}.weight"),
                "is 0: a variant that gets no units cannot be measured, remove it".into(),
            );
        } else if !(variant.weight.is_finite() && variant.weight > 0.0) {
            problem(format!("{field}.weight"), format!("must be a positive number, got {}", variant.weight));
        }
    }
    let weights_finite = experiment.variants.iter().all(|variant| variant.weight.is_finite());
    let weight_sum: f64 = experiment.variants.iter().map(|variant| variant.weight).sum();
    if weights_finite && !experiment.variants.is_empty() && (weight_sum - 1.0).abs() > WEIGHT_SUM_TOLERANCE {
        problem("variants".into(), format!("weights must sum to 1, they sum to {weight_sum}"));
    }
    if !(0.0..=1.0).contains(&experiment.coverage) {
        problem("coverage".into(), format!("must be between 0 and 1, got {}", experiment.coverage));
    }
    if let Some(layer) = &experiment.layer {
        if layer.name.is_empty() {
            problem("layer.name".into(), "must not be empty".into());
        }
        let within = (0.0..=1.0).contains(&layer.start) && (0.0..=1.0).contains(&layer.end);
        if !(within && layer.start < layer.end) {
            problem(
                "layer".into(),
                format!("range must be a non-empty part of [0, 1], got [{}, {})", layer.start, layer.end),
            );
        }
    }
    for (index, condition) in experiment.targeting.iter().enumerate() {
        let field = format!("targeting[{index}]");
        if condition.attribute().is_empty() {
            problem(format!("{field}.attribute"), "must not be empty".into());
        }
        match condition {
            Condition::OneOf { values, .. } if values.is_empty() => {
                problem(format!("{field}.values"), "must list at least one value".into());
            }
            Condition::AtLeast { value, .. } | Condition::AtMost { value, .. } if !value.is_finite() => {
                problem(format!("{field}.value"), format!("must be a finite number, got {value}"));
            }
            _ => {}
        }
    }
    match (&experiment.shipped, experiment.status) {
        (None, Status::Shipped) => {
            problem("shipped".into(), "a shipped experiment must name the variant it shipped".into());
        }
        (Some(key), Status::Shipped) => {
            if experiment.shipped_index().is_none() {
                problem("shipped".into(), format!("`{key}` is not one of the experiment's variants"));
            }
        }
        (Some(_), status) => {
            problem(
                "shipped".into(),
                format!("only a shipped experiment names a shipped variant, this one is {status}"),
            );
        }
        (None, _) => {}
    }

    if problems.is_empty() { Ok(()) } else { Err(InvalidExperiment(problems)) }
}

impl Experiment {
    fn shipped_index(&self) -> Option<usize> {
        let shipped = self.shipped.as_deref()?;
        self.variants.iter().position(|variant| variant.key == shipped)
    }

    /// Whether the experiment splits its layer range between variants, now or once started.
    /// A stopped or shipped one serves one variant to everyone, so it frees its range.
    fn holds_layer_range(&self) -> bool {
        matches!(self.status, Status::Draft | Status::Running)
    }
}

/// Two experiments of one layer that are not mutually exclusive.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[serde(tag = "conflict", rename_all = "snake_case")]
pub enum LayerConflict {
    #[error(
        "experiments `{first}` and `{second}` both use [{start}, {end}) of layer `{layer}`, so a unit can be in both"
    )]
    Overlap { layer: String, first: String, second: String, start: f64, end: f64 },
    #[error(
        "experiments `{first}` (per {first_unit}) and `{second}` (per {second_unit}) share layer `{layer}` but \
         randomise different units, so one person can be in both"
    )]
    MixedUnits { layer: String, first: String, second: String, first_unit: UnitKind, second_unit: UnitKind },
}

/// Checks that the draft and running experiments sharing a layer own disjoint ranges of it and
/// randomise the same kind of unit. Stopped and shipped experiments are skipped: they serve one
/// variant to every unit, so their range is free for new experiments.
pub fn check_layers(experiments: &[Experiment]) -> Result<(), Vec<LayerConflict>> {
    let claims: Vec<(&Experiment, &Layer)> = experiments
        .iter()
        .filter(|experiment| experiment.holds_layer_range())
        .filter_map(|experiment| Some((experiment, experiment.layer.as_ref()?)))
        .collect();
    let mut conflicts = Vec::new();
    for (index, &(first, first_layer)) in claims.iter().enumerate() {
        for &(second, second_layer) in claims[index + 1..].iter().filter(|(_, layer)| layer.name == first_layer.name) {
            let (start, end) = (first_layer.start.max(second_layer.start), first_layer.end.min(second_layer.end));
            if start < end {
                conflicts.push(LayerConflict::Overlap {
                    layer: first_layer.name.clone(),
                    first: first.key.clone(),
                    second: second.key.clone(),
                    start,
                    end,
                });
            }
            if first.unit != second.unit {
                conflicts.push(LayerConflict::MixedUnits {
                    layer: first_layer.name.clone(),
                    first: first.key.clone(),
                    second: second.key.clone(),
                    first_unit: first.unit,
                    second_unit: second.unit,
                });
            }
        }
    }
    if conflicts.is_empty() { Ok(()) } else { Err(conflicts) }
}

/// Which variant to serve a unit, and whether that is an exposure to log.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision<'e> {
    /// The unit is in the experiment: serve `variant` and log the exposure.
    Assigned { index: usize, variant: &'e Variant },
    /// The unit is not in the experiment: serve `variant` (the control, or the shipped
    /// variant) and log nothing, so the unit stays out of the analysis.
    NotInExperiment { index: usize, variant: &'e Variant, reason: Reason<'e> },
}

impl<'e> Decision<'e> {
    fn outside(experiment: &'e Experiment, index: usize, reason: Reason<'e>) -> Self {
        Decision::NotInExperiment { index, variant: &experiment.variants[index], reason }
    }

    /// Index into the experiment's variants of the variant to serve.
    pub fn index(&self) -> usize {
        match *self {
            Decision::Assigned { index, .. } | Decision::NotInExperiment { index, .. } => index,
        }
    }

    /// The variant to serve.
    pub fn variant(&self) -> &'e Variant {
        match *self {
            Decision::Assigned { variant, .. } | Decision::NotInExperiment { variant, .. } => variant,
        }
    }

    /// Whether to record an exposure: only for units in the experiment.
    pub fn log_exposure(&self) -> bool {
        matches!(self, Decision::Assigned { .. })
    }

    pub fn reason(&self) -> Option<Reason<'e>> {
        match *self {
            Decision::Assigned { .. } => None,
            Decision::NotInExperiment { reason, .. } => Some(reason),
        }
    }
}

/// Why a unit is not in an experiment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason<'e> {
    /// Draft and stopped experiments serve the control, shipped ones the shipped variant.
    NotRunning { status: Status },
    /// The first targeting condition the unit does not meet.
    Excluded { condition: &'e Condition },
    /// Another experiment of the layer may have the unit.
    OutsideLayer,
    /// Not (yet) among the share of eligible units the experiment covers.
    OutsideCoverage,
}

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NotRunning { status: Status::Shipped } => {
                f.write_str("the experiment has shipped: every unit gets the shipped variant")
            }
            Reason::NotRunning { status } => write!(f, "the experiment is {status}: every unit gets the control"),
            Reason::Excluded { condition } => write!(f, "excluded by targeting: {condition} does not hold"),
            Reason::OutsideLayer => f.write_str("outside the experiment's range of its layer"),
            Reason::OutsideCoverage => f.write_str("outside the share of traffic the experiment covers"),
        }
    }
}

/// Decides which variant `unit_id` gets. Deterministic: the same experiment, unit and
/// attributes always give the same decision. Allocates nothing.
///
/// # Panics
/// If the experiment has no variants, which [`validate`] refuses.
pub fn assign<'e, A: Attributes + ?Sized>(experiment: &'e Experiment, unit_id: &str, attributes: &A) -> Decision<'e> {
    match experiment.status {
        Status::Running => {}
        Status::Shipped => {
            let index = experiment.shipped_index().unwrap_or(CONTROL);
            return Decision::outside(experiment, index, Reason::NotRunning { status: Status::Shipped });
        }
        status => return Decision::outside(experiment, CONTROL, Reason::NotRunning { status }),
    }
    if let Some(condition) = experiment.targeting.iter().find(|condition| !condition.is_met(attributes)) {
        return Decision::outside(experiment, CONTROL, Reason::Excluded { condition });
    }
    if let Some(layer) = &experiment.layer
        && !layer.contains(draw(seed_hash(&layer.name, unit_id), Stream::Layer))
    {
        return Decision::outside(experiment, CONTROL, Reason::OutsideLayer);
    }
    let hash = seed_hash(&experiment.salt, unit_id);
    if draw(hash, Stream::Coverage) >= experiment.coverage {
        return Decision::outside(experiment, CONTROL, Reason::OutsideCoverage);
    }
    let index = pick_variant(&experiment.variants, draw(hash, Stream::Variant));
    Decision::Assigned { index, variant: &experiment.variants[index] }
}

/// The variant whose cumulative weight range holds `draw`.
fn pick_variant(variants: &[Variant], draw: f64) -> usize {
    let mut upper = 0.0;
    for (index, variant) in variants.iter().enumerate() {
        upper += variant.weight;
        if draw < upper {
            return index;
        }
    }
    // Weights sum to 1 only up to rounding; a draw above their sum belongs to the last variant.
    variants.len() - 1
}

/// Which output of the per-unit generator a draw uses; see the module documentation.
#[derive(Debug, Clone, Copy)]
enum Stream {
    Coverage = 1,
    Variant = 2,
    Layer = 3,
}

const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
const SEPARATOR: u8 = 0xff;
const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

/// FNV-1a 64 of `seed ‖ 0xFF ‖ unit_id`, hashed piece by piece so nothing is allocated.
fn seed_hash(seed: &str, unit_id: &str) -> u64 {
    let hash = fnv1a(FNV_OFFSET_BASIS, seed.as_bytes());
    fnv1a(fnv1a(hash, &[SEPARATOR]), unit_id.as_bytes())
}

/// SplitMix64's finaliser: spreads every input bit over the whole output.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Output `k` (counting from 1) of a SplitMix64 generator seeded with `seed`.
fn splitmix64(seed: u64, k: u64) -> u64 {
    mix(seed.wrapping_add(k.wrapping_mul(GOLDEN_GAMMA)))
}

/// Output `stream` of SplitMix64 seeded with `hash`, its top 53 bits mapped to `[0, 1)`.
fn draw(hash: u64, stream: Stream) -> f64 {
    (splitmix64(hash, stream as u64) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(key: &str, weight: f64) -> Variant {
        Variant { key: key.into(), weight, payload: Some(format!("strategy-{key}")) }
    }

    fn experiment() -> Experiment {
        Experiment {
            key: "home-recs".into(),
            salt: "home-recs-2024".into(),
            status: Status::Running,
            layer: None,
            variants: vec![variant("control", 0.5), variant("treatment", 0.5)],
            coverage: 1.0,
            targeting: Vec::new(),
            unit: UnitKind::Customer,
            shipped: None,
        }
    }

    const NO_ATTRIBUTES: [(&str, &str); 0] = [];

    fn problem_fields(experiment: &Experiment) -> Vec<String> {
        validate(experiment).unwrap_err().0.into_iter().map(|problem| problem.field).collect()
    }

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        assert_eq!(fnv1a(FNV_OFFSET_BASIS, b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(FNV_OFFSET_BASIS, b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(FNV_OFFSET_BASIS, b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn splitmix64_matches_the_reference_generator() {
        // SplitMix64 seeded with 1234567: its first three outputs, as published with the algorithm.
        let outputs: Vec<u64> = (1..=3).map(|k| splitmix64(1_234_567, k)).collect();
        assert_eq!(outputs, [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423]);
    }

    #[test]
    fn draws_are_pinned_across_platforms_and_releases() {
        // Changing these moves units of running experiments between variants.
        assert_eq!(seed_hash("home-recs-2024", "customer-42"), PINNED_HASH);
        assert_eq!(draw(PINNED_HASH, Stream::Coverage), PINNED_COVERAGE);
        assert_eq!(draw(PINNED_HASH, Stream::Variant), PINNED_VARIANT);
        assert_eq!(draw(seed_hash("checkout", "s-1"), Stream::Layer), PINNED_LAYER);
    }

    // Computed independently of this code, with a few lines of Python over the documented steps.
    const PINNED_HASH: u64 = 0xc51a_600a_11a2_70fb;
    const PINNED_COVERAGE: f64 = 0.844_867_462_674_945_1;
    const PINNED_VARIANT: f64 = 0.053_232_555_284_894_79;
    const PINNED_LAYER: f64 = 0.771_556_163_296_096_3;

    #[test]
    fn the_separator_keeps_seed_and_id_apart() {
        assert_ne!(seed_hash("ab", "c"), seed_hash("a", "bc"));
    }

    #[test]
    fn a_valid_experiment_passes() {
        assert_eq!(validate(&experiment()), Ok(()));
    }

    #[test]
    fn validation_reports_every_problem_with_its_field() {
        let mut invalid = experiment();
        invalid.salt.clear();
        invalid.variants = vec![variant("a", 0.5), variant("a", 0.25), variant("c", 0.0)];
        invalid.coverage = 1.5;
        invalid.layer = Some(Layer { name: "home".into(), start: 0.5, end: 0.5 });
        invalid.targeting = vec![
            Condition::OneOf { attribute: "tier".into(), values: Vec::new() },
            Condition::AtLeast { attribute: String::new(), value: f64::NAN },
        ];
        assert_eq!(
            problem_fields(&invalid),
            [
                "salt",
                "variants[1].key",
                "variants[2].weight",
                "variants",
                "coverage",
                "layer",
                "targeting[0].values",
                "targeting[1].attribute",
                "targeting[1].value"
            ]
        );
        let message = validate(&invalid).unwrap_err().to_string();
        assert!(
            message.contains("variants[2].weight: is 0: a variant that gets no units cannot be measured, remove it")
        );
        assert!(message.contains("variants: weights must sum to 1, they sum to 0.75"));
        assert!(message.contains("variants[1].key: `a` is used by an earlier variant"));
    }

    #[test]
    fn validation_refuses_a_single_variant_and_bad_weights() {
        let mut single = experiment();
        single.variants = vec![variant("only", 1.0)];
        assert_eq!(problem_fields(&single), ["variants"]);

        let mut negative = experiment();
        negative.variants = vec![variant("a", 1.5), variant("b", -0.5)];
        let problems = validate(&negative).unwrap_err().0;
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].message, "must be a positive number, got -0.5");
    }

    #[test]
    fn weights_may_miss_one_by_rounding_only() {
        let mut thirds = experiment();
        thirds.variants = vec![variant("a", 1.0 / 3.0), variant("b", 1.0 / 3.0), variant("c", 1.0 / 3.0)];
        assert_eq!(validate(&thirds), Ok(()));
        thirds.variants[2].weight = 0.333_333;
        assert_eq!(problem_fields(&thirds), ["variants"]);
    }

    #[test]
    fn the_shipped_variant_must_exist_and_match_the_status() {
        let mut shipped = experiment();
        shipped.status = Status::Shipped;
        assert_eq!(problem_fields(&shipped), ["shipped"]);
        shipped.shipped = Some("nope".into());
        assert_eq!(validate(&shipped).unwrap_err().0[0].message, "`nope` is not one of the experiment's variants");
        shipped.shipped = Some("treatment".into());
        assert_eq!(validate(&shipped), Ok(()));
        shipped.status = Status::Running;
        assert_eq!(problem_fields(&shipped), ["shipped"]);
    }

    fn in_layer(key: &str, layer: &str, start: f64, end: f64) -> Experiment {
        Experiment {
            key: key.into(),
            salt: key.into(),
            layer: Some(Layer { name: layer.into(), start, end }),
            ..experiment()
        }
    }

    #[test]
    fn layer_check_names_the_overlapping_experiments() {
        let experiments = [
            in_layer("a", "home", 0.0, 0.5),
            in_layer("b", "home", 0.5, 1.0),
            in_layer("c", "checkout", 0.0, 1.0),
            in_layer("d", "home", 0.4, 0.6),
        ];
        let conflicts = check_layers(&experiments).unwrap_err();
        assert_eq!(conflicts.len(), 2);
        assert!(matches!(&conflicts[0], LayerConflict::Overlap { first, second, .. } if first == "a" && second == "d"));
        assert_eq!(
            conflicts[1].to_string(),
            "experiments `b` and `d` both use [0.5, 0.6) of layer `home`, so a unit can be in both"
        );
        assert_eq!(check_layers(&experiments[..3]), Ok(()));
    }

    #[test]
    fn stopped_experiments_free_their_layer_range() {
        let mut old = in_layer("old", "home", 0.0, 0.5);
        old.status = Status::Stopped;
        assert_eq!(check_layers(&[old, in_layer("new", "home", 0.0, 0.5)]), Ok(()));
    }

    #[test]
    fn a_layer_must_not_mix_unit_kinds() {
        let mut per_session = in_layer("b", "home", 0.5, 1.0);
        per_session.unit = UnitKind::Session;
        let conflicts = check_layers(&[in_layer("a", "home", 0.0, 0.5), per_session]).unwrap_err();
        assert!(matches!(
            conflicts.as_slice(),
            [LayerConflict::MixedUnits { first_unit: UnitKind::Customer, second_unit: UnitKind::Session, .. }]
        ));
    }

    #[test]
    fn a_running_experiment_assigns_and_logs() {
        let experiment = experiment();
        let decision = assign(&experiment, "customer-42", &NO_ATTRIBUTES);
        assert!(decision.log_exposure());
        assert_eq!(decision.reason(), None);
        assert_eq!(decision, assign(&experiment, "customer-42", &NO_ATTRIBUTES));
        // Its pinned variant draw, 0.053, falls in the control's [0, 0.5).
        assert_eq!(decision.variant().key, "control");
    }

    #[test]
    fn draft_and_stopped_experiments_serve_the_control_without_logging() {
        for status in [Status::Draft, Status::Stopped] {
            let experiment = Experiment { status, ..experiment() };
            for unit in ["customer-1", "customer-2", "customer-3"] {
                let decision = assign(&experiment, unit, &NO_ATTRIBUTES);
                assert_eq!(decision.index(), CONTROL);
                assert!(!decision.log_exposure());
                assert_eq!(decision.reason(), Some(Reason::NotRunning { status }));
            }
        }
        let stopped = Experiment { status: Status::Stopped, ..experiment() };
        let reason = assign(&stopped, "customer-1", &NO_ATTRIBUTES).reason().unwrap();
        assert_eq!(reason.to_string(), "the experiment is stopped: every unit gets the control");
    }

    #[test]
    fn a_shipped_experiment_serves_the_shipped_variant_to_everyone() {
        let mut shipped = experiment();
        shipped.status = Status::Shipped;
        shipped.shipped = Some("treatment".into());
        shipped.coverage = 0.1;
        for unit in ["customer-1", "customer-2", "customer-3"] {
            let decision = assign(&shipped, unit, &NO_ATTRIBUTES);
            assert_eq!(decision.variant().key, "treatment");
            assert_eq!(decision.variant().payload.as_deref(), Some("strategy-treatment"));
            assert!(!decision.log_exposure());
        }
    }

    #[test]
    fn targeting_names_the_condition_that_failed() {
        let mut targeted = experiment();
        targeted.targeting = vec![
            Condition::OneOf { attribute: "tier".into(), values: vec!["gold".into(), "silver".into()] },
            Condition::AtLeast { attribute: "age".into(), value: 18.0 },
        ];
        let gold_adult = assign(&targeted, "c", &[("tier", "gold"), ("age", "30")]);
        assert!(gold_adult.log_exposure());

        let minor = assign(&targeted, "c", &[("tier", "gold"), ("age", "17")]);
        assert_eq!(minor.reason(), Some(Reason::Excluded { condition: &targeted.targeting[1] }));
        assert_eq!(minor.index(), CONTROL);
        assert_eq!(minor.reason().unwrap().to_string(), "excluded by targeting: age >= 18 does not hold");

        let unknown_tier = assign(&targeted, "c", &[("age", "30")]);
        assert_eq!(unknown_tier.reason(), Some(Reason::Excluded { condition: &targeted.targeting[0] }));
    }

    #[test]
    fn conditions_compare_strings_and_numbers() {
        let attributes: HashMap<String, String> =
            [("city", "shanghai"), ("orders", " 12 "), ("tier", "gold")].map(|(k, v)| (k.into(), v.into())).into();
        let met = |condition: Condition| condition.is_met(&attributes);
        assert!(met(Condition::Equals { attribute: "city".into(), value: "shanghai".into() }));
        assert!(!met(Condition::Equals { attribute: "city".into(), value: "Shanghai".into() }));
        assert!(met(Condition::NotEquals { attribute: "city".into(), value: "beijing".into() }));
        assert!(!met(Condition::NotEquals { attribute: "country".into(), value: "CN".into() }));
        assert!(met(Condition::AtLeast { attribute: "orders".into(), value: 12.0 }));
        assert!(met(Condition::AtMost { attribute: "orders".into(), value: 12.0 }));
        assert!(!met(Condition::AtMost { attribute: "orders".into(), value: 11.5 }));
        assert!(!met(Condition::AtLeast { attribute: "tier".into(), value: 0.0 }));
        let by_name: BTreeMap<String, String> = attributes.into_iter().collect();
        assert!(Condition::OneOf { attribute: "tier".into(), values: vec!["gold".into()] }.is_met(&by_name));
    }

    #[test]
    fn units_outside_the_layer_range_or_coverage_are_not_in() {
        let mut nowhere = in_layer("a", "home", 0.0, 0.5);
        nowhere.coverage = 0.0;
        let mut reasons = [0; 2];
        for unit in 0..1000 {
            match assign(&nowhere, &format!("customer-{unit}"), &NO_ATTRIBUTES).reason() {
                Some(Reason::OutsideLayer) => reasons[0] += 1,
                Some(Reason::OutsideCoverage) => reasons[1] += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!((400..600).contains(&reasons[0]), "{reasons:?}");
        assert_eq!(reasons[0] + reasons[1], 1000);
    }

    #[test]
    fn experiments_round_trip_through_json() {
        let mut stored = in_layer("a", "home", 0.0, 0.5);
        stored.targeting = vec![Condition::AtMost { attribute: "age".into(), value: 65.0 }];
        let json = serde_json::to_string(&stored).unwrap();
        assert!(json.contains(r#"{"op":"at_most","attribute":"age","value":65.0}"#), "{json}");
        assert_eq!(serde_json::from_str::<Experiment>(&json).unwrap(), stored);

        let minimal = r#"{"key":"k","salt":"s","status":"running","unit":"session","coverage":1,
            "variants":[{"key":"a","weight":0.5},{"key":"b","weight":0.5}]}"#;
        let parsed: Experiment = serde_json::from_str(minimal).unwrap();
        assert_eq!((parsed.layer, parsed.targeting.len(), parsed.shipped), (None, 0, None));
    }

    #[test]
    fn decisions_serialise_for_the_api() {
        let mut stopped = experiment();
        stopped.status = Status::Stopped;
        let json = serde_json::to_value(assign(&stopped, "c", &NO_ATTRIBUTES)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "decision": "not_in_experiment",
                "index": 0,
                "variant": {"key": "control", "weight": 0.5, "payload": "strategy-control"},
                "reason": {"reason": "not_running", "status": "stopped"}
            })
        );
    }
}
