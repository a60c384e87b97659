//! Search latency on a 50,000-item catalogue (in-process).
//!
//! `cargo bench -p tongban-search --bench search` — prints p50/p90/p99 per
//! query over many runs. Items are synthesised from the demo catalogue's
//! names, conditions and materials so the vocabulary is realistic.

use std::time::Instant;

use tongban_search::{SearchDoc, SearchIndex, SearchQuery};

const DEMO: &str = include_str!("../../store/demo/catalog.json");

fn main() {
    let n: usize = std::env::var("ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let demo: serde_json::Value = serde_json::from_str(DEMO).expect("demo catalogue is JSON");
    let items = demo["items"].as_array().expect("items");
    let places = [
        "东城", "西城", "南湖", "北山", "滨江", "临平", "钱塘", "富阳", "桐庐", "淳安",
    ];
    let qualifiers = [
        "（新办）",
        "（变更）",
        "（延续）",
        "（注销）",
        "（补证）",
        "（跨省通办）",
        "（告知承诺制）",
        "",
    ];
    let mut docs = Vec::with_capacity(n);
    for i in 0..n {
        let it = &items[i % items.len()]["doc"];
        let name = format!(
            "{}{}{}",
            places[(i / items.len()) % places.len()],
            it["name"].as_str().unwrap_or_default(),
            qualifiers[(i / 7) % qualifiers.len()]
        );
        let mut body = it["acceptance_conditions"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        for m in it["materials"].as_array().into_iter().flatten() {
            body.push(' ');
            body.push_str(m["name"].as_str().unwrap_or_default());
            body.push(' ');
            body.push_str(m["acceptance_standard"].as_str().unwrap_or_default());
        }
        docs.push(SearchDoc {
            code: format!("C{i:08}"),
            name,
            body,
            department_id: (i % 13) as i64 + 1,
            item_type: it["item_type"].as_str().unwrap_or_default().to_string(),
            service_objects: it["service_objects"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|o| o.as_str().map(String::from))
                .collect(),
            life_events: vec![],
            result: String::new(),
        });
    }
    let t = Instant::now();
    let index =
        SearchIndex::build(docs, tongban_search::default_phrasings()).expect("index builds");
    println!("indexed {n} items in {:.2} s", t.elapsed().as_secs_f64());

    let queries: Vec<SearchQuery> = [
        ("出生证明", None, None),
        ("营业执照", None, None),
        ("居住证", None, None),
        ("食品经营许可", Some("licensing"), None),
        ("公积金提取", None, Some("natural_person")),
        ("建设工程规划许可证", None, None),
        ("怎么办理结婚登记", None, None),
        ("社保卡", None, None),
    ]
    .into_iter()
    .map(|(q, t, o)| SearchQuery {
        text: q.to_string(),
        item_type: t.map(String::from),
        service_object: o.map(String::from),
        limit: 20,
        ..Default::default()
    })
    .collect();
    // Warm up.
    for q in &queries {
        index.search(q).expect("search");
    }
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let mut all = Vec::new();
    println!(
        "{:<24} {:>8} {:>10} {:>10} {:>10}",
        "query", "hits", "p50 µs", "p90 µs", "p99 µs"
    );
    for q in &queries {
        let mut lat = Vec::with_capacity(rounds);
        let mut total = 0;
        for _ in 0..rounds {
            let t = Instant::now();
            let r = index.search(q).expect("search");
            lat.push(t.elapsed().as_micros() as u64);
            total = r.total;
        }
        lat.sort_unstable();
        let p = |x: f64| lat[((lat.len() as f64 - 1.0) * x) as usize];
        println!(
            "{:<24} {:>8} {:>10} {:>10} {:>10}",
            q.text,
            total,
            p(0.5),
            p(0.9),
            p(0.99)
        );
        all.extend(lat);
    }
    all.sort_unstable();
    let p = |x: f64| all[((all.len() as f64 - 1.0) * x) as usize];
    println!(
        "all queries: {} searches, p50 {} µs, p90 {} µs, p99 {} µs (limit 20, with highlighting)",
        all.len(),
        p(0.5),
        p(0.9),
        p(0.99)
    );
}
