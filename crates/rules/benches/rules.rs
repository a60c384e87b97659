//! Rule evaluation speed: one decision of the newborn insurance table
//! (`cargo bench -p tongban-rules --bench rules`).

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use tongban_rules::Model;

fn model() -> serde_json::Value {
    serde_json::from_str(include_str!("newborn.json")).expect("model")
}

fn bench(c: &mut Criterion) {
    let m = Model::parse(&model()).expect("parses");
    let input = json!({"verified": true, "mismatches": 0, "data": {"birth": {"birth_district": "339901"}}, "form": {"baby_name": "张小宝"}});
    c.bench_function("decide newborn insurance", |b| {
        b.iter(|| m.evaluate(std::hint::black_box(&input)).expect("eval"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
