//! Customers: the records the platform sees, and the hidden tastes that drive
//! what they browse and buy (exposed separately so tests and recommender
//! evaluations can check what a model should find).

use chrono::{Duration, NaiveDate};
use retail_domain::{Channel, Consent, Customer, Text};

use crate::calendar::{at, hms};
use crate::catalog::SUBS;
use crate::places::{CITY, Places, ROADS};
use crate::random::{Purpose, Rng, between, chance, index, lognormal, stream, unit, weighted};

const SURNAMES: [(&str, &str, f64); 40] = [
    ("王", "wang", 7.1),
    ("李", "li", 7.0),
    ("张", "zhang", 6.8),
    ("刘", "liu", 5.4),
    ("陈", "chen", 4.5),
    ("杨", "yang", 3.1),
    ("黄", "huang", 2.2),
    ("赵", "zhao", 2.0),
    ("吴", "wu", 1.9),
    ("周", "zhou", 1.9),
    ("徐", "xu", 1.7),
    ("孙", "sun", 1.5),
    ("马", "ma", 1.5),
    ("朱", "zhu", 1.4),
    ("胡", "hu", 1.3),
    ("郭", "guo", 1.2),
    ("何", "he", 1.2),
    ("高", "gao", 1.1),
    ("林", "lin", 1.1),
    ("罗", "luo", 0.9),
    ("郑", "zheng", 0.9),
    ("梁", "liang", 0.8),
    ("谢", "xie", 0.8),
    ("宋", "song", 0.7),
    ("唐", "tang", 0.7),
    ("许", "xu", 0.6),
    ("韩", "han", 0.6),
    ("冯", "feng", 0.6),
    ("邓", "deng", 0.6),
    ("曹", "cao", 0.6),
    ("彭", "peng", 0.5),
    ("曾", "zeng", 0.5),
    ("沈", "shen", 0.5),
    ("陆", "lu", 0.5),
    ("顾", "gu", 0.4),
    ("蒋", "jiang", 0.4),
    ("钱", "qian", 0.3),
    ("施", "shi", 0.3),
    ("金", "jin", 0.3),
    ("范", "fan", 0.3),
];

const GIVEN: [(&str, &str); 48] = [
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀", "xiu"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("英", "ying"),
    ("华", "hua"),
    ("文", "wen"),
    ("辉", "hui"),
    ("建", "jian"),
    ("玲", "ling"),
    ("宇", "yu"),
    ("浩", "hao"),
    ("欣", "xin"),
    ("怡", "yi"),
    ("晨", "chen"),
    ("佳", "jia"),
    ("子", "zi"),
    ("涵", "han"),
    ("轩", "xuan"),
    ("雨", "yu"),
    ("婷", "ting"),
    ("博", "bo"),
    ("思", "si"),
    ("琪", "qi"),
    ("晓", "xiao"),
    ("诺", "nuo"),
    ("嘉", "jia"),
    ("俊", "jun"),
    ("鑫", "xin"),
    ("悦", "yue"),
    ("一", "yi"),
];

const WESTERN_FIRST: [&str; 16] = [
    "Emily", "James", "Sophie", "Daniel", "Laura", "Thomas", "Anna", "Lucas", "Chloe", "Michael", "Julia", "David",
    "Sarah", "Matteo", "Hannah", "Pierre",
];
const WESTERN_LAST: [&str; 16] = [
    "Clark", "Miller", "Schmidt", "Rossi", "Dubois", "Smith", "Brown", "Müller", "Martin", "Wilson", "Taylor",
    "Garcia", "Novak", "Larsen", "Keller", "Moreau",
];

const MOBILE_PREFIXES: [&str; 15] =
    ["135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "177", "186", "187", "188", "199"];

/// Shopper archetypes: a prior over leaf categories before personal noise.
struct Segment {
    name: &'static str,
    share: f64,
    online: f64,
    boosts: &'static [(&'static str, f64)],
}

const SEGMENTS: [Segment; 6] = [
    Segment {
        name: "young_family",
        share: 0.15,
        online: 0.75,
        boosts: &[("baby.", 12.0), ("dairy.", 2.0), ("fresh.fruit", 2.0), ("snacks.biscuits", 1.5)],
    },
    Segment {
        name: "young_professional",
        share: 0.20,
        online: 0.8,
        boosts: &[
            ("snacks.", 3.0),
            ("beverages.", 2.5),
            ("frozen.meals", 3.0),
            ("snacks.instant", 3.0),
            ("beverages.coffee", 3.0),
            ("alcohol.beer", 2.0),
        ],
    },
    Segment {
        name: "home_cook",
        share: 0.25,
        online: 0.5,
        boosts: &[
            ("fresh.", 3.0),
            ("meat.", 3.0),
            ("grain.condiment", 3.0),
            ("grain.rice", 2.0),
            ("grain.oil", 2.0),
            ("frozen.dumplings", 1.5),
        ],
    },
    Segment {
        name: "health_conscious",
        share: 0.15,
        online: 0.65,
        boosts: &[
            ("fresh.fruit", 3.0),
            ("fresh.veg", 2.0),
            ("dairy.yoghurt", 3.0),
            ("grain.cereal", 3.0),
            ("beverages.water", 2.0),
            ("meat.poultry", 2.0),
        ],
    },
    Segment {
        name: "host",
        share: 0.12,
        online: 0.6,
        boosts: &[
            ("alcohol.", 4.0),
            ("snacks.nuts", 2.0),
            ("snacks.chips", 2.0),
            ("meat.beef_lamb", 2.5),
            ("grain.hotpot", 3.0),
            ("meat.seafood", 2.0),
        ],
    },
    Segment {
        name: "western_kitchen",
        share: 0.13,
        online: 0.8,
        boosts: &[
            ("dairy.cheese", 5.0),
            ("grain.pasta", 5.0),
            ("grain.sauce", 4.0),
            ("bakery.bread", 3.0),
            ("alcohol.wine", 3.0),
            ("beverages.coffee", 3.0),
            ("grain.spreads", 3.0),
        ],
    },
];

/// How many leaf categories a shopper cares about at all.
const TOP_CATEGORIES: usize = 12;

/// A customer's hidden taste: what the simulation draws their browsing and
/// baskets from. Not part of any entity; a recommender should rediscover it.
#[derive(Debug, Clone, PartialEq)]
pub struct TasteProfile {
    pub customer_id: String,
    /// The archetype the taste was drawn around, e.g. `young_family`.
    pub segment: &'static str,
    /// Leaf category ids with weights summing to 1, strongest first.
    pub category_affinity: Vec<(String, f64)>,
    /// The favourite brand (as in `Product::brand`) in each affinity category.
    pub favourite_brands: Vec<(String, String)>,
    /// Probability of sticking to the favourite brand when it is available.
    pub brand_loyalty: f64,
    /// 0 = ignores prices, 1 = hunts cheap items and promotions.
    pub price_sensitivity: f64,
    /// Mean number of distinct products per online order.
    pub basket_size: f64,
    /// Online sessions per ordinary week (0 for store-only customers).
    pub online_sessions_per_week: f64,
    /// Share of sessions that end in an order.
    pub purchase_probability: f64,
}

/// The simulation's view of a customer.
pub(crate) struct Shopper {
    pub segment: usize,
    /// (leaf category, weight), strongest first, weights summing to 1.
    pub affinity: Vec<(usize, f64)>,
    /// Favourite brand index per affinity entry.
    pub favourite: Vec<usize>,
    pub loyalty: f64,
    pub price_sensitivity: f64,
    pub basket: f64,
    pub sessions_per_day: f64,
    pub purchase_share: f64,
    /// First day index they can shop online: 0 when registered before the
    /// period, else the day after registering.
    pub first_day: usize,
    pub address: Text,
}

impl Shopper {
    pub(crate) fn profile(&self, customer_id: &str) -> TasteProfile {
        TasteProfile {
            customer_id: customer_id.into(),
            segment: SEGMENTS[self.segment].name,
            category_affinity: self.affinity.iter().map(|(s, w)| (SUBS[*s].id.to_string(), *w)).collect(),
            favourite_brands: self
                .affinity
                .iter()
                .zip(&self.favourite)
                .map(|((s, _), b)| (SUBS[*s].id.to_string(), SUBS[*s].brands[*b].zh.to_string()))
                .collect(),
            brand_loyalty: self.loyalty,
            price_sensitivity: self.price_sensitivity,
            basket_size: self.basket,
            online_sessions_per_week: self.sessions_per_day * 7.0,
            purchase_probability: self.purchase_share,
        }
    }
}

fn chinese_name(rng: &mut Rng) -> (String, String, String) {
    let weights: Vec<f64> = SURNAMES.iter().map(|s| s.2).collect();
    let (sz, sp, _) = SURNAMES[weighted(rng, &weights)];
    let mut given_zh = String::new();
    let mut given_py = String::new();
    for _ in 0..if chance(rng, 0.7) { 2 } else { 1 } {
        let (g, p) = GIVEN[index(rng, GIVEN.len())];
        given_zh.push_str(g);
        given_py.push_str(p);
    }
    (format!("{sz}{given_zh}"), given_py, sp.to_string())
}

fn affinity(rng: &mut Rng, segment: &Segment) -> Vec<(usize, f64)> {
    let mut w: Vec<(usize, f64)> = SUBS
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let boost: f64 = segment.boosts.iter().filter(|(p, _)| s.id.starts_with(p)).map(|(_, b)| b).product();
            (i, s.weight * boost * lognormal(rng, 1.0))
        })
        .collect();
    w.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    w.truncate(TOP_CATEGORIES);
    let total: f64 = w.iter().map(|x| x.1).sum();
    w.iter().map(|&(i, x)| (i, x / total)).collect()
}

fn address(rng: &mut Rng) -> Text {
    let (road_zh, road_en, (district_zh, district_en)) = ROADS[index(rng, ROADS.len())];
    let lane = 10 + index(rng, 1500);
    let building = 1 + index(rng, 40);
    let room = (1 + index(rng, 25)) * 100 + 1 + index(rng, 4);
    Text::new(
        format!("上海市{district_zh}{road_zh}{lane}弄{building}号{room}室"),
        format!("Room {room}, No. {building}, Lane {lane}, {road_en}, {district_en}, Shanghai"),
    )
}

pub(crate) fn build(
    seed: u64,
    n: usize,
    first: NaiveDate,
    days: usize,
    places: &Places,
) -> (Vec<Customer>, Vec<Shopper>) {
    let mut rng = stream(seed, Purpose::Customers, 0);
    let store_weights: Vec<f64> = places.store_truth.iter().map(|s| s.size_factor).collect();
    let segment_weights: Vec<f64> = SEGMENTS.iter().map(|s| s.share).collect();
    let mut customers = Vec::with_capacity(n);
    let mut shoppers = Vec::with_capacity(n);
    let mut spend = Vec::with_capacity(n);
    for i in 0..n {
        let seg = weighted(&mut rng, &segment_weights);
        let segment = &SEGMENTS[seg];
        let english = chance(&mut rng, if seg == 5 { 0.45 } else { 0.02 });
        let (name, email_local) = if english && chance(&mut rng, 0.7) {
            let (f, l) = (WESTERN_FIRST[index(&mut rng, 16)], WESTERN_LAST[index(&mut rng, 16)]);
            let local: String = format!("{f}.{l}")
                .to_lowercase()
                .replace('ü', "u")
                .chars()
                .filter(|c| c.is_ascii_alphabetic() || *c == '.')
                .collect();
            (format!("{f} {l}"), local)
        } else {
            let (zh, given, surname) = chinese_name(&mut rng);
            (zh, format!("{given}.{surname}"))
        };
        let email = chance(&mut rng, 0.35).then(|| format!("{email_local}{}@example.com", 10 + index(&mut rng, 990)));
        let phone = chance(&mut rng, 0.95).then(|| {
            let digits = (i as u64 * 48_271 + 10_000_000 + seed % 1000) % 100_000_000;
            format!("+86 {}{digits:08}", MOBILE_PREFIXES[(i * 7) % MOBILE_PREFIXES.len()])
        });
        let registered_day =
            if chance(&mut rng, 0.75) { -1 - index(&mut rng, 5 * 365) as i64 } else { index(&mut rng, days) as i64 };
        let registered_at =
            at(first + Duration::days(registered_day), hms(8, 0, 0) + index(&mut rng, 15 * 3600) as u32);
        let home = chance(&mut rng, 0.92)
            .then(|| places.locations[places.stores[weighted(&mut rng, &store_weights)]].external_id.clone());
        let online = chance(&mut rng, segment.online);
        let consent = Consent {
            sms: chance(&mut rng, 0.3),
            email: email.is_some() && chance(&mut rng, 0.5),
            push: chance(&mut rng, if online { 0.5 } else { 0.1 }),
            wechat: chance(&mut rng, 0.45),
            personalisation: chance(&mut rng, 0.6),
        };
        let mut channels: Vec<Channel> = [
            (Channel::Wechat, 0.7),
            (Channel::Sms, 0.3),
            (Channel::Push, if online { 0.4 } else { 0.05 }),
            (Channel::Email, if email.is_some() { 0.6 } else { 0.0 }),
        ]
        .into_iter()
        .filter(|(_, p)| chance(&mut rng, *p))
        .map(|(c, _)| c)
        .collect();
        if channels.len() > 1 && chance(&mut rng, 0.3) {
            channels.swap(0, 1);
        }
        let affinity = affinity(&mut rng, segment);
        let favourite = affinity
            .iter()
            .map(|(s, _)| {
                let w: Vec<f64> = (0..SUBS[*s].brands.len()).map(|b| 1.0 / ((b + 1) as f64).sqrt()).collect();
                weighted(&mut rng, &w)
            })
            .collect();
        let shopper = Shopper {
            segment: seg,
            affinity,
            favourite,
            loyalty: between(&mut rng, 0.2, 0.9),
            price_sensitivity: unit(&mut rng),
            basket: 1.5 + 2.0 * lognormal(&mut rng, 0.5),
            sessions_per_day: if online { 0.0165 * lognormal(&mut rng, 0.8) } else { 0.0 },
            purchase_share: between(&mut rng, 0.55, 0.85),
            first_day: if registered_day < 0 { 0 } else { registered_day as usize + 1 },
            address: address(&mut rng),
        };
        spend
            .push(shopper.sessions_per_day * shopper.basket * shopper.purchase_share + 0.03 * lognormal(&mut rng, 0.8));
        customers.push(Customer {
            external_id: format!("C{:07}", i + 1),
            name,
            phone,
            email,
            city: CITY.into(),
            home_location_id: home,
            tier: None,
            consent,
            preferred_channels: channels,
            language: if english { "en" } else { "zh-CN" }.into(),
            registered_at,
        });
        shoppers.push(shopper);
    }
    // Tiers follow spend: the top 3% platinum, then 12% gold, 30% silver.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| spend[*b].total_cmp(&spend[*a]).then(a.cmp(b)));
    for (rank, i) in order.into_iter().enumerate() {
        let q = rank as f64 / n as f64;
        let tier = if q < 0.03 {
            "platinum"
        } else if q < 0.15 {
            "gold"
        } else if q < 0.45 {
            "silver"
        } else {
            "regular"
        };
        customers[i].tier = Some(tier.into());
    }
    (customers, shoppers)
}
