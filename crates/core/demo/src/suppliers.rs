//! The chain's suppliers: who delivers what, how fast and how reliably.

use retail_domain::{Currency, Supplier, Text};

struct Row {
    zh: &'static str,
    en: &'static str,
    contact: &'static str,
    lead: f64,
    std: f64,
    min_order_yuan: i64,
}

const fn row(
    zh: &'static str,
    en: &'static str,
    contact: &'static str,
    lead: f64,
    std: f64,
    min_order_yuan: i64,
) -> Row {
    Row { zh, en, contact, lead, std, min_order_yuan }
}

/// Numbered 1–30; `catalog::Sub::suppliers` refers to these numbers.
const ROWS: [Row; 30] = [
    row("上海鲜达果蔬供应链有限公司", "Shanghai Xianda Produce Supply Chain Co., Ltd.", "陈立新", 1.0, 0.2, 300),
    row("崇明绿源农业专业合作社", "Chongming Lvyuan Farmers' Cooperative", "黄秀英", 1.2, 0.4, 200),
    row("佳农进口水果（上海）有限公司", "Goodfarmer Fruit Imports (Shanghai) Co., Ltd.", "林志强", 2.0, 0.6, 800),
    row("沪联肉类食品有限公司", "Hulian Meat Foods Co., Ltd.", "王建国", 1.0, 0.3, 500),
    row("东海水产品有限公司", "East Sea Aquatic Products Co., Ltd.", "周海涛", 1.0, 0.3, 500),
    row("内蒙古草原牛羊肉食品有限公司", "Inner Mongolia Grassland Beef & Lamb Co., Ltd.", "巴特尔", 3.0, 0.8, 1000),
    row("光明乳业配送有限公司", "Bright Dairy Distribution Co., Ltd.", "张敏", 1.0, 0.2, 300),
    row("北方乳业供应链有限公司", "Northern Dairy Supply Chain Co., Ltd.", "刘芳", 2.0, 0.5, 500),
    row("环球奶酪贸易有限公司", "Global Cheese Trading Co., Ltd.", "吴静", 5.0, 1.5, 1000),
    row("上海味来烘焙食品有限公司", "Shanghai Weilai Bakery Co., Ltd.", "徐丽", 1.0, 0.2, 200),
    row("江南糕点食品有限公司", "Jiangnan Pastry Foods Co., Ltd.", "孙伟", 1.5, 0.4, 300),
    row("华东休闲食品有限公司", "East China Snack Foods Co., Ltd.", "马俊", 4.0, 1.0, 1500),
    row("三江食品贸易有限公司", "Sanjiang Food Trading Co., Ltd.", "朱晓燕", 5.0, 1.5, 2000),
    row("沪上饮品物流有限公司", "Hushang Beverage Logistics Co., Ltd.", "胡斌", 3.0, 0.8, 2000),
    row("长江饮料分销有限公司", "Changjiang Beverage Distribution Co., Ltd.", "郭涛", 4.0, 1.0, 2500),
    row("环球咖啡进口有限公司", "Global Coffee Imports Co., Ltd.", "何雪", 7.0, 2.0, 1500),
    row("华夏酒业有限公司", "Huaxia Wine & Spirits Co., Ltd.", "高峰", 5.0, 1.5, 3000),
    row("绍兴黄酒华东分销有限公司", "Shaoxing Rice Wine East China Distribution Co., Ltd.", "罗明", 3.0, 0.8, 1500),
    row("环球葡萄酒进口有限公司", "Global Wine Imports Co., Ltd.", "郑晨", 12.0, 2.0, 5000),
    row("东北粮油贸易有限公司", "Northeast Grain & Oil Trading Co., Ltd.", "梁军", 6.0, 1.5, 3000),
    row("佳味调味品有限公司", "Jiawei Condiments Co., Ltd.", "谢娜", 4.0, 1.0, 1500),
    row("意佳进口食品有限公司", "Yijia Imported Foods Co., Ltd.", "宋佳", 10.0, 2.5, 2500),
    row("冰点冷链食品有限公司", "Bingdian Cold Chain Foods Co., Ltd.", "唐磊", 2.0, 0.5, 1000),
    row("华冷冷冻食品有限公司", "Hualeng Frozen Foods Co., Ltd.", "许洋", 3.0, 0.8, 1200),
    row("洁家日化有限公司", "Jiejia Household Chemicals Co., Ltd.", "韩梅", 5.0, 1.2, 2000),
    row("百纸汇纸业有限公司", "Baizhihui Paper Products Co., Ltd.", "冯刚", 5.0, 1.0, 1500),
    row("美厨家居用品有限公司", "Meichu Homeware Co., Ltd.", "邓超", 10.0, 3.0, 3000),
    row("丽人日化分销有限公司", "Liren Personal Care Distribution Co., Ltd.", "曹颖", 6.0, 1.5, 2000),
    row("贝佳母婴供应链有限公司", "Beijia Mother & Baby Supply Chain Co., Ltd.", "彭婷", 7.0, 2.0, 3000),
    row("海外母婴直采贸易有限公司", "Overseas Baby Direct Sourcing Co., Ltd.", "曾悦", 14.0, 3.0, 5000),
];

/// Supplier external id for number `n` (1-based).
pub(crate) fn id(n: usize) -> String {
    format!("SUP{n:02}")
}

pub(crate) fn build() -> Vec<Supplier> {
    ROWS.iter()
        .enumerate()
        .map(|(i, r)| Supplier {
            external_id: id(i + 1),
            name: Text::new(r.zh, r.en),
            contact_name: r.contact.into(),
            phone: Some(format!("021-5{:03}{:04}", 100 + i * 7, 1000 + i * 263)),
            email: Some(format!("orders@sup{:02}.example.com", i + 1)),
            lead_time_days: r.lead,
            lead_time_std_days: r.std,
            min_order_minor: r.min_order_yuan * 100,
            currency: Currency::cny(),
            active: true,
        })
        .collect()
}
