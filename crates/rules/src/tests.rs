use serde_json::json;

use super::*;

/// 居民医保参保登记 for a newborn: approve when the shared data verified the
/// birth and agrees with the form; refer otherwise; refuse a baby born elsewhere.
pub(crate) fn newborn_model() -> Value {
    json!({
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "申请"},
            {"id": "t1", "type": "decisionTableNode", "name": "参保条件", "content": {
                "hitPolicy": "first",
                "inputs": [
                    {"id": "i1", "name": "数据已核验", "field": "verified"},
                    {"id": "i2", "name": "不一致项", "field": "mismatches"},
                    {"id": "i3", "name": "出生地", "field": "data.birth.birth_district"}
                ],
                "outputs": [
                    {"id": "o1", "name": "结论", "field": "decision"},
                    {"id": "o2", "name": "理由", "field": "reasons"}
                ],
                "rules": [
                    {"_id": "r1", "_description": "共享数据未核验", "i1": "false", "i2": "", "i3": "", "o1": "\"refer\"", "o2": "[\"共享数据未能核验，转人工审查\"]"},
                    {"_id": "r2", "i1": "", "i2": "> 0", "i3": "", "o1": "\"refer\"", "o2": "[\"申报信息与共享数据不一致\"]"},
                    {"_id": "r3", "i1": "", "i2": "", "i3": "$ != \"339901\"", "o1": "\"refuse\"", "o2": "[\"新生儿不在本区出生，请到出生地办理\"]"},
                    {"_id": "r4", "_description": "核验一致", "i1": "true", "i2": "0", "i3": "\"339901\"", "o1": "\"approve\"", "o2": "[\"出生医学证明与户籍信息核验一致\"]"}
                ]
            }},
            {"id": "out", "type": "outputNode", "name": "结果"}
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "t1"},
            {"id": "e2", "sourceId": "t1", "targetId": "out"}
        ]
    })
}

fn input(verified: bool, mismatches: i64, district: &str) -> Value {
    json!({"verified": verified, "mismatches": mismatches, "data": {"birth": {"birth_district": district}}, "form": {}})
}

#[test]
fn a_table_decides_with_reasons_and_a_trace() {
    let m = Model::parse(&newborn_model()).expect("model");
    let ev = m.evaluate(&input(true, 0, "339901")).expect("eval");
    assert_eq!(
        ev.outcome(),
        (
            Decision::Approve,
            vec!["出生医学证明与户籍信息核验一致".to_string()]
        )
    );
    assert_eq!(ev.trace.len(), 1);
    assert_eq!(ev.trace[0].rule, "r4");
    assert_eq!(
        m.evaluate(&input(false, 0, "339901"))
            .expect("eval")
            .outcome()
            .0,
        Decision::Refer
    );
    assert_eq!(
        m.evaluate(&input(true, 2, "339901"))
            .expect("eval")
            .outcome()
            .0,
        Decision::Refer
    );
    assert_eq!(
        m.evaluate(&input(true, 0, "330102"))
            .expect("eval")
            .outcome()
            .0,
        Decision::Refuse
    );
    // Nothing applies: referred, with a reason.
    let none = m
        .evaluate(&json!({"verified": "unknown", "mismatches": 0, "data": {"birth": {"birth_district": "339901"}}}))
        .expect("eval");
    let (d, reasons) = none.outcome();
    assert_eq!(d, Decision::Refer);
    assert!(!reasons.is_empty());
}

#[test]
fn collect_gathers_every_reason() {
    let doc = json!({
        "nodes": [
            {"id": "in", "type": "inputNode"},
            {"id": "t", "type": "decisionTableNode", "name": "检查", "content": {
                "hitPolicy": "collect",
                "inputs": [{"id": "a", "name": "年龄", "field": "age"}, {"id": "b", "name": "参保", "field": "insured"}],
                "outputs": [{"id": "d", "name": "结论", "field": "decision"}, {"id": "r", "name": "理由", "field": "reasons"}],
                "rules": [
                    {"a": "< 18", "b": "", "d": "\"refuse\"", "r": "\"未满18周岁\""},
                    {"a": "", "b": "false", "d": "\"refuse\"", "r": "\"未参保\""}
                ]
            }},
            {"id": "out", "type": "outputNode"}
        ],
        "edges": [{"sourceId": "in", "targetId": "t"}, {"sourceId": "t", "targetId": "out"}]
    });
    let m = Model::parse(&doc).expect("model");
    let ev = m
        .evaluate(&json!({"age": 16, "insured": false}))
        .expect("eval");
    assert_eq!(
        ev.outcome(),
        (
            Decision::Refuse,
            vec!["未满18周岁".to_string(), "未参保".to_string()]
        )
    );
    assert_eq!(ev.trace.len(), 2);
}

#[test]
fn bad_models_are_refused_with_the_cell_named() {
    let mut doc = newborn_model();
    doc["nodes"][1]["content"]["rules"][1]["i2"] = json!("> > 0");
    match Model::parse(&doc) {
        Err(RuleError::Cell { rule, column, .. }) => {
            assert_eq!((rule.as_str(), column.as_str()), ("2", "不一致项"));
        }
        other => panic!("expected a cell error, got {other:?}"),
    }
    let mut f = newborn_model();
    f["nodes"][1]["type"] = json!("functionNode");
    assert_eq!(
        Model::parse(&f).err(),
        Some(RuleError::Unsupported("functionNode".into()))
    );
    assert!(Model::parse(&json!({"nodes": []})).is_err());
}

#[test]
fn test_cases_compare_the_outputs_they_name() {
    let m = Model::parse(&newborn_model()).expect("model");
    let tests = vec![
        TestCase {
            name: "一致".into(),
            input: input(true, 0, "339901"),
            expect: json!({"decision": "approve"}),
        },
        TestCase {
            name: "不一致".into(),
            input: input(true, 1, "339901"),
            expect: json!({"decision": "refer"}),
        },
        TestCase {
            name: "写错了".into(),
            input: input(true, 1, "339901"),
            expect: json!({"decision": "approve"}),
        },
    ];
    let r = run_tests(&m, &tests);
    assert_eq!(
        r.iter().map(|t| t.passed).collect::<Vec<_>>(),
        vec![true, true, false]
    );
    assert_eq!(r[2].got["decision"], "refer");
}

#[test]
fn a_model_is_shareable_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Model>();
}

#[test]
fn reasons_are_fixed_text_never_an_expression_over_the_inputs() {
    for cell in [
        "\"年龄\" + string(age)",
        "[\"户籍：\" + data.hukou.address]",
        "data.birth.mother_name",
    ] {
        let mut doc = newborn_model();
        doc["nodes"][1]["content"]["rules"][0]["o2"] = json!(cell);
        match Model::parse(&doc) {
            Err(RuleError::Cell {
                column, message, ..
            }) => {
                assert_eq!(column, "理由", "{cell}");
                assert!(message.contains("fixed text"), "{cell}: {message}");
            }
            Err(e) => panic!("{cell}: another error: {e}"),
            Ok(_) => panic!("{cell}: accepted"),
        }
    }
    for cell in ["\"未满18周岁\"", "['未参保']", "[\"甲\", \"乙\"]"] {
        let mut doc = newborn_model();
        doc["nodes"][1]["content"]["rules"][0]["o2"] = json!(cell);
        assert!(Model::parse(&doc).is_ok(), "{cell}");
    }
}
