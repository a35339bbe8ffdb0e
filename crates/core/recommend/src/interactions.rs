//! Who interacted with what, in time order, parsed from the public dataset formats.
//!
//! Users and items are interned to dense ids (`0..n`, in order of first appearance) so the
//! models can use plain arrays; the external id strings are kept for output.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// Dense index of a user, `0..Interactions::n_users()`.
pub type UserId = u32;
/// Dense index of an item, `0..Interactions::n_items()`.
pub type ItemId = u32;

/// The text layouts the evaluation contract accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One user per line: `user_id item_1 item_2 ...` in time order (the S3-Rec/ICLRec files).
    AmazonSeq,
    /// `user item` per line, in time order within each user.
    SasrecPairs,
    /// MovieLens `u.data`: `user item rating timestamp`, ordered by timestamp within each user.
    Movielens,
    /// Taobao UserBehavior csv without header: `user_id,item_id,category_id,behavior_type,timestamp`.
    /// Every behaviour (view, cart, favourite, buy) counts as an interaction.
    Taobao,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::AmazonSeq, Format::SasrecPairs, Format::Movielens, Format::Taobao];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::AmazonSeq => "amazon-seq",
            Format::SasrecPairs => "sasrec-pairs",
            Format::Movielens => "movielens",
            Format::Taobao => "taobao",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown interaction format {0:?}; expected one of amazon-seq, sasrec-pairs, movielens, taobao")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL.into_iter().find(|f| f.name() == s).ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

/// A malformed line, numbered from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct ParseError {
    pub line: usize,
    pub problem: LineProblem,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineProblem {
    #[error("expected {expected}, found {found} field(s)")]
    FieldCount { expected: &'static str, found: usize },
    #[error("{field} {value:?} is not a number")]
    NotANumber { field: &'static str, value: String },
    #[error("{field} is empty")]
    EmptyField { field: &'static str },
}

/// Every user's items in time order. Repeated interactions with an item are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interactions {
    users: Interner,
    items: Interner,
    /// User `u`'s sequence is `sequence_items[sequence_starts[u]..sequence_starts[u + 1]]`.
    sequence_starts: Vec<usize>,
    sequence_items: Vec<ItemId>,
}

impl Interactions {
    /// Parses a whole file's text. Blank lines are skipped.
    pub fn parse(format: Format, text: &str) -> Result<Self, ParseError> {
        Self::parse_lines(format, text.lines())
    }

    /// Parses lines one at a time, for callers that stream a file. Blank lines are skipped.
    pub fn parse_lines<I>(format: Format, lines: I) -> Result<Self, ParseError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut builder = Builder::default();
        for (index, line) in lines.into_iter().enumerate() {
            let line = line.as_ref();
            if line.trim().is_empty() {
                continue;
            }
            builder.add_line(format, line).map_err(|problem| ParseError { line: index + 1, problem })?;
        }
        Ok(builder.finish())
    }

    pub fn n_users(&self) -> usize {
        self.users.len()
    }

    pub fn n_items(&self) -> usize {
        self.items.len()
    }

    pub fn n_interactions(&self) -> usize {
        self.sequence_items.len()
    }

    /// User `user`'s items in time order.
    pub fn sequence(&self, user: UserId) -> &[ItemId] {
        let user = user as usize;
        &self.sequence_items[self.sequence_starts[user]..self.sequence_starts[user + 1]]
    }

    /// Every user's sequence, indexed by [`UserId`].
    pub fn sequences(&self) -> impl ExactSizeIterator<Item = &[ItemId]> {
        self.sequence_starts.windows(2).map(|bounds| &self.sequence_items[bounds[0]..bounds[1]])
    }

    /// The external id of a user as it appeared in the input.
    pub fn user_name(&self, user: UserId) -> &str {
        self.users.name(user)
    }

    /// The external id of an item as it appeared in the input.
    pub fn item_name(&self, item: ItemId) -> &str {
        self.items.name(item)
    }

    pub fn user_id(&self, name: &str) -> Option<UserId> {
        self.users.id(name)
    }

    pub fn item_id(&self, name: &str) -> Option<ItemId> {
        self.items.id(name)
    }
}

/// Maps external id strings to dense ids in order of first appearance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Interner {
    names: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Interner {
    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.names.len()).expect("more than u32::MAX distinct ids");
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    fn len(&self) -> usize {
        self.names.len()
    }

    fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    fn id(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }
}

/// One interaction before grouping; `time` is the timestamp, or 0 where the file order is the time order.
struct Event {
    user: UserId,
    time: i64,
    item: ItemId,
}

#[derive(Default)]
struct Builder {
    users: Interner,
    items: Interner,
    events: Vec<Event>,
}

impl Builder {
    fn push(&mut self, user: UserId, time: i64, item: &str) {
        let item = self.items.intern(item);
        self.events.push(Event { user, time, item });
    }

    fn add_line(&mut self, format: Format, line: &str) -> Result<(), LineProblem> {
        match format {
            Format::AmazonSeq => {
                let mut fields = line.split_whitespace();
                let user = fields.next().expect("blank lines are skipped before parsing");
                let user = self.users.intern(user);
                let before = self.events.len();
                for item in fields {
                    self.push(user, 0, item);
                }
                if self.events.len() == before {
                    return Err(LineProblem::FieldCount { expected: "a user id and at least one item", found: 1 });
                }
            }
            Format::SasrecPairs => {
                let [user, item] = fields(line.split_whitespace(), "2 fields: user item")?;
                let user = self.users.intern(user);
                self.push(user, 0, item);
            }
            Format::Movielens => {
                let [user, item, rating, timestamp] =
                    fields(line.split_whitespace(), "4 fields: user item rating timestamp")?;
                number::<f64>(rating, "rating")?;
                let time = number(timestamp, "timestamp")?;
                let user = self.users.intern(user);
                self.push(user, time, item);
            }
            Format::Taobao => {
                let [user, item, category, behaviour, timestamp] = fields(
                    line.split(',').map(str::trim),
                    "5 fields: user_id,item_id,category_id,behavior_type,timestamp",
                )?;
                for (value, field) in
                    [(user, "user_id"), (item, "item_id"), (category, "category_id"), (behaviour, "behavior_type")]
                {
                    if value.is_empty() {
                        return Err(LineProblem::EmptyField { field });
                    }
                }
                let time = number(timestamp, "timestamp")?;
                let user = self.users.intern(user);
                self.push(user, time, item);
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Interactions {
        // Stable, so interactions with equal timestamps (and every line of the order-only formats) keep file order.
        self.events.sort_by_key(|event| (event.user, event.time));
        let mut sequence_starts = Vec::with_capacity(self.users.len() + 1);
        sequence_starts.push(0);
        let mut next_event = 0;
        for user in 0..self.users.len() {
            while next_event < self.events.len() && self.events[next_event].user as usize == user {
                next_event += 1;
            }
            sequence_starts.push(next_event);
        }
        let sequence_items = self.events.into_iter().map(|event| event.item).collect();
        Interactions { users: self.users, items: self.items, sequence_starts, sequence_items }
    }
}

/// Exactly `N` fields, or a problem saying what was expected.
fn fields<'a, const N: usize>(
    fields: impl Iterator<Item = &'a str>,
    expected: &'static str,
) -> Result<[&'a str; N], LineProblem> {
    let fields: Vec<&str> = fields.collect();
    let found = fields.len();
    fields.try_into().map_err(|_| LineProblem::FieldCount { expected, found })
}

fn number<T: FromStr>(value: &str, field: &'static str) -> Result<T, LineProblem> {
    value.parse().map_err(|_| LineProblem::NotANumber { field, value: value.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sequences_by_name(data: &Interactions) -> Vec<(String, Vec<String>)> {
        (0..data.n_users() as UserId)
            .map(|user| {
                let items = data.sequence(user).iter().map(|&item| data.item_name(item).to_string()).collect();
                (data.user_name(user).to_string(), items)
            })
            .collect()
    }

    fn named(user: &str, items: &[&str]) -> (String, Vec<String>) {
        (user.to_string(), items.iter().map(|item| item.to_string()).collect())
    }

    #[test]
    fn amazon_seq_keeps_order_duplicates_and_first_appearance_ids() {
        let data = Interactions::parse(Format::AmazonSeq, "u1 a b a\n\nu2 c a\r\n").unwrap();
        assert_eq!(sequences_by_name(&data), vec![named("u1", &["a", "b", "a"]), named("u2", &["c", "a"])]);
        assert_eq!((data.n_users(), data.n_items(), data.n_interactions()), (2, 3, 5));
        assert_eq!(data.sequence(0), &[0, 1, 0]);
        assert_eq!(data.item_id("c"), Some(2));
        assert_eq!(data.user_id("u2"), Some(1));
        assert_eq!(data.item_id("zzz"), None);
    }

    #[test]
    fn amazon_seq_rejects_a_user_without_items() {
        let err = Interactions::parse(Format::AmazonSeq, "u1 a\nu2\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert_eq!(err.problem, LineProblem::FieldCount { expected: "a user id and at least one item", found: 1 });
        assert_eq!(err.to_string(), "line 2: expected a user id and at least one item, found 1 field(s)");
    }

    #[test]
    fn sasrec_pairs_group_interleaved_users_in_file_order() {
        let data = Interactions::parse_lines(Format::SasrecPairs, ["1 10", "2 20", "1 11", "2 10"]).unwrap();
        assert_eq!(sequences_by_name(&data), vec![named("1", &["10", "11"]), named("2", &["20", "10"])]);
    }

    #[test]
    fn sasrec_pairs_reject_a_third_field() {
        let err = Interactions::parse(Format::SasrecPairs, "1 10\n1 11 5\n").unwrap_err();
        assert_eq!(
            err,
            ParseError { line: 2, problem: LineProblem::FieldCount { expected: "2 fields: user item", found: 3 } }
        );
    }

    #[test]
    fn movielens_orders_by_timestamp_and_keeps_file_order_on_ties() {
        let text = "196\t242\t3\t881250949\n196\t302\t3\t881250000\n196\t377\t1\t881250949\n22\t377\t1\t878887116\n";
        let data = Interactions::parse(Format::Movielens, text).unwrap();
        assert_eq!(sequences_by_name(&data), vec![named("196", &["302", "242", "377"]), named("22", &["377"])]);
    }

    #[test]
    fn movielens_names_a_bad_timestamp_and_a_bad_rating() {
        let err = Interactions::parse(Format::Movielens, "1\t2\t3\t100\n1\t2\t3\tsoon\n").unwrap_err();
        assert_eq!(
            err,
            ParseError { line: 2, problem: LineProblem::NotANumber { field: "timestamp", value: "soon".into() } }
        );
        let err = Interactions::parse(Format::Movielens, "1\t2\tfive\t100\n").unwrap_err();
        assert_eq!(err.to_string(), "line 1: rating \"five\" is not a number");
    }

    #[test]
    fn taobao_counts_every_behaviour_in_timestamp_order() {
        let text =
            "1,2268318,2520377,pv,1511544070\n1,2333346,2520771,buy,1511561733\n1,2576651,149192,cart,1511500000\n";
        let data = Interactions::parse(Format::Taobao, text).unwrap();
        assert_eq!(sequences_by_name(&data), vec![named("1", &["2576651", "2268318", "2333346"])]);
    }

    #[test]
    fn taobao_names_missing_and_empty_fields() {
        let err = Interactions::parse(Format::Taobao, "1,2,3,pv,100\n1,2,3,pv\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(matches!(err.problem, LineProblem::FieldCount { found: 4, .. }));
        let err = Interactions::parse(Format::Taobao, "1,2,3,pv,100\n\n1,,3,pv,100\n").unwrap_err();
        assert_eq!(err, ParseError { line: 3, problem: LineProblem::EmptyField { field: "item_id" } });
    }

    #[test]
    fn format_names_round_trip() {
        for format in Format::ALL {
            assert_eq!(format.to_string().parse::<Format>(), Ok(format));
        }
        assert_eq!("csv".parse::<Format>(), Err(UnknownFormat("csv".into())));
    }
}
