//! Decision models (GoRules JDM tables): the checks that run before an item
//! version with 秒批 rules or a 免申即享 policy is published, and a
//! process-wide cache of compiled models. Used by the catalogue, shared
//! data and policies alike.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use tongban_domain::catalog::{DecisionSpec, ItemDoc};
use tongban_domain::{FieldError, FieldErrors};
use tongban_rules::Model;

/// Errors that keep a version with this decision model from being published:
/// a model that does not compile, or a test case that does not pass.
pub fn check_decision(doc: &ItemDoc) -> Result<(), FieldErrors> {
    match &doc.decision {
        Some(spec) => check_spec(spec),
        None => Ok(()),
    }
}

/// A model compiles and every test case passes.
pub fn check_spec(spec: &DecisionSpec) -> Result<(), FieldErrors> {
    let mut errs = FieldErrors::default();
    let model = match Model::parse(&spec.model) {
        Ok(m) => m,
        Err(e) => {
            errs.push(FieldError::new(
                "decision.model",
                "invalid",
                e.zh(),
                e.to_string(),
            ));
            return errs.into_result();
        }
    };
    if spec.tests.is_empty() {
        errs.push(FieldError::new(
            "decision.tests",
            "required",
            "决策模型至少需要一个测试用例",
            "a decision model needs at least one test case",
        ));
    }
    for (i, r) in tongban_rules::run_tests(&model, &test_cases(spec))
        .iter()
        .enumerate()
    {
        if !r.passed {
            errs.push(FieldError::new(
                format!("decision.tests[{i}]"),
                "failed",
                format!("测试用例“{}”未通过：得到{}{}", r.name, r.got, r.error),
                format!("test case {} failed: got {} {}", r.name, r.got, r.error),
            ));
        }
    }
    errs.into_result()
}

/// The spec's test cases in the rules engine's form.
pub fn test_cases(spec: &DecisionSpec) -> Vec<tongban_rules::TestCase> {
    spec.tests
        .iter()
        .map(|t| tongban_rules::TestCase {
            name: t.name.clone(),
            input: t.input.clone(),
            expect: t.expect.clone(),
        })
        .collect()
}

type Cache = Mutex<HashMap<(i64, String), Arc<Model>>>;

fn cache() -> &'static Cache {
    static C: OnceLock<Cache> = OnceLock::new();
    C.get_or_init(Default::default)
}

/// The compiled model of an item version, cached by version and model text
/// (two databases in one process never share a wrong model).
pub fn model_of(
    item_version_id: i64,
    spec: &DecisionSpec,
) -> Result<Arc<Model>, tongban_rules::RuleError> {
    let key = (item_version_id, spec.model.to_string());
    if let Ok(c) = cache().lock()
        && let Some(m) = c.get(&key)
    {
        return Ok(m.clone());
    }
    let m = Arc::new(Model::parse(&spec.model)?);
    if let Ok(mut c) = cache().lock() {
        c.insert(key, m.clone());
    }
    Ok(m)
}
