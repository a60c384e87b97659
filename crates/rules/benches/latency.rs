//! Per-decision latency percentiles of the newborn insurance table
//! (`cargo bench -p tongban-rules --bench latency`): 200,000 decisions, each
//! timed on its own.

use std::time::Instant;

use serde_json::json;
use tongban_rules::Model;

fn main() {
    let doc: serde_json::Value = serde_json::from_str(include_str!("newborn.json")).expect("model");
    let m = Model::parse(&doc).expect("parses");
    let inputs = [
        json!({"verified": true, "mismatches": 0, "data": {"birth": {"birth_district": "339901"}}}),
        json!({"verified": true, "mismatches": 2, "data": {"birth": {"birth_district": "339901"}}}),
        json!({"verified": false, "mismatches": 0, "data": {}}),
    ];
    let n = 200_000;
    let mut t = Vec::with_capacity(n);
    for i in 0..n {
        let input = &inputs[i % inputs.len()];
        let start = Instant::now();
        let ev = m.evaluate(std::hint::black_box(input)).expect("eval");
        std::hint::black_box(ev);
        t.push(start.elapsed().as_nanos() as u64);
    }
    t.sort_unstable();
    let pct = |p: f64| t[((n as f64 * p) as usize).min(n - 1)] as f64 / 1000.0;
    println!(
        "rule evaluation, {n} decisions: p50 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs, max {:.1} µs",
        pct(0.50),
        pct(0.99),
        pct(0.999),
        t[n - 1] as f64 / 1000.0
    );
}
