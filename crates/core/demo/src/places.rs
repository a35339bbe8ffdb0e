//! The chain's locations in Shanghai: one distribution centre, the stores and
//! the online shop's fulfilment point.

use retail_domain::{Location, LocationKind, Text};

use crate::random::{Purpose, Rng, between, normal, stream};

pub(crate) const DC_ID: &str = "DC01";
pub(crate) const ONLINE_ID: &str = "ONLINE";
pub(crate) const CITY: &str = "Shanghai";

/// A real Shanghai neighbourhood a store is named after.
struct Site {
    zh: &'static str,
    en: &'static str,
    district_zh: &'static str,
    district_en: &'static str,
    road_zh: &'static str,
    road_en: &'static str,
    lat: f64,
    lon: f64,
    area: u32,
}

const fn site(
    zh: &'static str,
    en: &'static str,
    district: (&'static str, &'static str),
    road: (&'static str, &'static str),
    lat: f64,
    lon: f64,
    area: u32,
) -> Site {
    Site { zh, en, district_zh: district.0, district_en: district.1, road_zh: road.0, road_en: road.1, lat, lon, area }
}

const HUANGPU: (&str, &str) = ("黄浦区", "Huangpu District");
const XUHUI: (&str, &str) = ("徐汇区", "Xuhui District");
const CHANGNING: (&str, &str) = ("长宁区", "Changning District");
const JINGAN: (&str, &str) = ("静安区", "Jing'an District");
const PUTUO: (&str, &str) = ("普陀区", "Putuo District");
const HONGKOU: (&str, &str) = ("虹口区", "Hongkou District");
const YANGPU: (&str, &str) = ("杨浦区", "Yangpu District");
const PUDONG: (&str, &str) = ("浦东新区", "Pudong New Area");
const MINHANG: (&str, &str) = ("闵行区", "Minhang District");
const BAOSHAN: (&str, &str) = ("宝山区", "Baoshan District");
const SONGJIANG: (&str, &str) = ("松江区", "Songjiang District");
const JIADING: (&str, &str) = ("嘉定区", "Jiading District");

/// Store sites in opening order; configs with more stores reuse the
/// neighbourhoods with a second, third… store nearby.
const SITES: [Site; 26] = [
    site("人民广场", "People's Square", HUANGPU, ("西藏中路", "Middle Xizang Road"), 31.2337, 121.4737, 2200),
    site("徐家汇", "Xujiahui", XUHUI, ("漕溪北路", "North Caoxi Road"), 31.1955, 121.4370, 4500),
    site("陆家嘴", "Lujiazui", PUDONG, ("陆家嘴环路", "Lujiazui Ring Road"), 31.2380, 121.5010, 1800),
    site("五角场", "Wujiaochang", YANGPU, ("淞沪路", "Songhu Road"), 31.2990, 121.5140, 5200),
    site("中山公园", "Zhongshan Park", CHANGNING, ("长宁路", "Changning Road"), 31.2195, 121.4170, 3000),
    site("静安寺", "Jing'an Temple", JINGAN, ("南京西路", "West Nanjing Road"), 31.2237, 121.4460, 900),
    site("打浦桥", "Dapuqiao", HUANGPU, ("徐家汇路", "Xujiahui Road"), 31.2060, 121.4680, 800),
    site("世纪公园", "Century Park", PUDONG, ("锦绣路", "Jinxiu Road"), 31.2150, 121.5510, 2600),
    site("长风", "Changfeng", PUTUO, ("大渡河路", "Daduhe Road"), 31.2240, 121.3950, 3800),
    site("北外滩", "North Bund", HONGKOU, ("东大名路", "Dongdaming Road"), 31.2520, 121.4990, 700),
    site("莘庄", "Xinzhuang", MINHANG, ("沪闵路", "Humin Road"), 31.1110, 121.3850, 6000),
    site("古北", "Gubei", CHANGNING, ("红宝石路", "Hongbaoshi Road"), 31.1960, 121.3980, 2000),
    site("张江", "Zhangjiang", PUDONG, ("祖冲之路", "Zuchongzhi Road"), 31.2030, 121.5900, 2400),
    site("大宁", "Daning", JINGAN, ("共和新路", "Gonghexin Road"), 31.2770, 121.4580, 3500),
    site("七宝", "Qibao", MINHANG, ("七莘路", "Qixin Road"), 31.1560, 121.3530, 2800),
    site("虹口足球场", "Hongkou Stadium", HONGKOU, ("东江湾路", "Dongjiangwan Road"), 31.2710, 121.4800, 1500),
    site("金桥", "Jinqiao", PUDONG, ("张杨路", "Zhangyang Road"), 31.2620, 121.5870, 4000),
    site("曹杨", "Caoyang", PUTUO, ("曹杨路", "Caoyang Road"), 31.2400, 121.4210, 1200),
    site("田林", "Tianlin", XUHUI, ("田林路", "Tianlin Road"), 31.1740, 121.4200, 1000),
    site("宝山", "Baoshan", BAOSHAN, ("牡丹江路", "Mudanjiang Road"), 31.4040, 121.4890, 3200),
    site("松江新城", "Songjiang New Town", SONGJIANG, ("三新北路", "North Sanxin Road"), 31.0330, 121.2250, 4200),
    site("嘉定新城", "Jiading New Town", JIADING, ("裕民南路", "South Yumin Road"), 31.3400, 121.2550, 3000),
    site("新天地", "Xintiandi", HUANGPU, ("马当路", "Madang Road"), 31.2190, 121.4750, 600),
    site("前滩", "Qiantan", PUDONG, ("东育路", "Dongyu Road"), 31.1500, 121.4690, 2200),
    site("真如", "Zhenru", PUTUO, ("铜川路", "Tongchuan Road"), 31.2520, 121.4100, 1400),
    site("周浦", "Zhoupu", PUDONG, ("年家浜路", "Nianjiabang Road"), 31.1150, 121.5760, 3600),
];

const ORDINALS_ZH: [&str; 9] = ["", "二", "三", "四", "五", "六", "七", "八", "九"];

/// Road addresses customers live on, with their district.
pub(crate) const ROADS: [(&str, &str, (&str, &str)); 24] = [
    ("淮海中路", "Middle Huaihai Road", HUANGPU),
    ("复兴中路", "Middle Fuxing Road", HUANGPU),
    ("衡山路", "Hengshan Road", XUHUI),
    ("天钥桥路", "Tianyaoqiao Road", XUHUI),
    ("虹桥路", "Hongqiao Road", CHANGNING),
    ("天山路", "Tianshan Road", CHANGNING),
    ("延安西路", "West Yan'an Road", JINGAN),
    ("万航渡路", "Wanhangdu Road", JINGAN),
    ("长寿路", "Changshou Road", PUTUO),
    ("武宁路", "Wuning Road", PUTUO),
    ("四川北路", "North Sichuan Road", HONGKOU),
    ("大连路", "Dalian Road", HONGKOU),
    ("控江路", "Kongjiang Road", YANGPU),
    ("国权路", "Guoquan Road", YANGPU),
    ("浦东南路", "South Pudong Road", PUDONG),
    ("东方路", "Dongfang Road", PUDONG),
    ("花木路", "Huamu Road", PUDONG),
    ("碧云路", "Biyun Road", PUDONG),
    ("莘松路", "Xinsong Road", MINHANG),
    ("古美路", "Gumei Road", MINHANG),
    ("友谊路", "Youyi Road", BAOSHAN),
    ("人民北路", "North Renmin Road", SONGJIANG),
    ("城中路", "Chengzhong Road", JIADING),
    ("中山北路", "North Zhongshan Road", PUTUO),
];

/// Hidden facts about a store that drive its demand.
pub(crate) struct StoreTruth {
    /// Demand relative to a 1,500 m² store.
    pub size_factor: f64,
    /// Share of the catalogue it carries.
    pub coverage: f64,
}

pub(crate) struct Places {
    pub locations: Vec<Location>,
    /// Index into `locations` of each store, in store order.
    pub stores: Vec<usize>,
    pub store_truth: Vec<StoreTruth>,
    pub online: usize,
}

fn location(id: String, kind: LocationKind, name: Text, address: Text, lat: f64, lon: f64, area: u32) -> Location {
    Location {
        external_id: id,
        kind,
        name,
        address,
        city: CITY.into(),
        lat,
        lon,
        timezone: "Asia/Shanghai".into(),
        area_m2: Some(area),
        active: true,
    }
}

pub(crate) fn build(seed: u64, stores: usize) -> Places {
    let mut rng: Rng = stream(seed, Purpose::Locations, 0);
    let mut locations = vec![location(
        DC_ID.into(),
        LocationKind::DistributionCentre,
        Text::new("上海配送中心（嘉定）", "Shanghai Distribution Centre (Jiading)"),
        Text::new("上海市嘉定区叶城路1288号", "No. 1288 Yecheng Road, Jiading District, Shanghai"),
        31.3750,
        121.2650,
        32_000,
    )];
    let mut store_idx = Vec::with_capacity(stores);
    let mut store_truth = Vec::with_capacity(stores);
    for i in 0..stores {
        let s = &SITES[i % SITES.len()];
        let round = i / SITES.len();
        let (lat, lon, area) = if round == 0 {
            (s.lat, s.lon, s.area)
        } else {
            // A later store in the same neighbourhood: a kilometre or two away.
            let area = (f64::from(s.area) * between(&mut rng, 0.4, 1.2)) as u32;
            (s.lat + 0.012 * normal(&mut rng), s.lon + 0.014 * normal(&mut rng), area.max(400))
        };
        let (suffix_zh, suffix_en) = match round {
            0 => (String::new(), String::new()),
            r => (ORDINALS_ZH.get(r).map_or_else(|| format!("{}", r + 1), |o| (*o).to_string()), format!(" {}", r + 1)),
        };
        let number = 18 + (i * 37) % 900;
        store_idx.push(locations.len());
        locations.push(location(
            format!("S{:03}", i + 1),
            LocationKind::Store,
            Text::new(format!("{}{suffix_zh}店", s.zh), format!("{}{suffix_en} Store", s.en)),
            Text::new(
                format!("上海市{}{}{number}号", s.district_zh, s.road_zh),
                format!("No. {number} {}, {}, Shanghai", s.road_en, s.district_en),
            ),
            lat,
            lon,
            area,
        ));
        let a = f64::from(area);
        store_truth.push(StoreTruth {
            size_factor: (a / 1500.0).powf(0.7),
            coverage: 0.62 + 0.45 * ((a - 400.0).max(0.0) / 5600.0).min(1.0).powf(0.7),
        });
    }
    let online = locations.len();
    locations.push(location(
        ONLINE_ID.into(),
        LocationKind::Online,
        Text::new("线上商城履约中心（闵行）", "Online Shop Fulfilment Centre (Minhang)"),
        Text::new("上海市闵行区金都路4299号", "No. 4299 Jindu Road, Minhang District, Shanghai"),
        31.1400,
        121.4000,
        8_000,
    ));
    Places { locations, stores: store_idx, store_truth, online }
}
