//! What keeps a bundle from being published: items, questions, rules and
//! fields that do not refer to each other, forms that leave an item's
//! required field unfilled, rules that select nothing.

use std::collections::{BTreeSet, HashMap};

use super::*;
use crate::catalog::{FieldKind, ItemDoc};
use crate::error::{FieldError, FieldErrors};

/// Refuses a bundle that cannot be published: unknown items, mappings that
/// name a field that does not exist or leave a required item field unfilled,
/// fields whose kind differs from their targets', or questions with which no
/// answer selects any item.
pub fn check_publishable(
    b: &BundleDoc,
    items: &HashMap<String, ItemDoc>,
) -> Result<(), FieldErrors> {
    let mut errs = FieldErrors::default();
    if b.name.trim().is_empty() {
        errs.push(FieldError::required("name", "一件事名称"));
    }
    if b.items.is_empty() {
        errs.push(FieldError::required("items", "包含的事项"));
    }
    for (i, bi) in b.items.iter().enumerate() {
        if !items.contains_key(&bi.item) {
            errs.push(FieldError::new(
                format!("items[{i}].item"),
                "unknown_item",
                format!("事项{}不存在或未发布", bi.item),
                format!("item {} does not exist or is not published", bi.item),
            ));
        }
    }
    let mut filled: BTreeSet<(String, String)> = BTreeSet::new();
    for (fi, f) in b.fields.iter().enumerate() {
        for (ti, t) in f.maps_to.iter().enumerate() {
            let path = format!("fields[{fi}].maps_to[{ti}]");
            let Some(doc) = items.get(&t.item) else {
                errs.push(FieldError::new(
                    path,
                    "unknown_item",
                    format!("映射的事项{}不在本一件事中", t.item),
                    format!("mapped item {} is not in the bundle", t.item),
                ));
                continue;
            };
            match doc.form_fields.iter().find(|x| x.key == t.field) {
                None => errs.push(FieldError::new(
                    path,
                    "unknown_field",
                    format!("事项“{}”没有字段{}", doc.name, t.field),
                    format!("item {} has no field {}", doc.name, t.field),
                )),
                Some(x)
                    if x.kind != f.kind
                        || (x.kind == FieldKind::Choice
                            && options_of(b, f, items) != x.options) =>
                {
                    errs.push(FieldError::new(
                        path,
                        "kind_mismatch",
                        format!("字段{}与事项“{}”的字段{}类型不同", f.key, doc.name, t.field),
                        format!(
                            "field {} and {}'s field {} differ in kind",
                            f.key, doc.name, t.field
                        ),
                    ))
                }
                Some(_) => {
                    filled.insert((t.item.clone(), t.field.clone()));
                }
            }
        }
    }
    for bi in &b.items {
        if let Some(doc) = items.get(&bi.item) {
            for f in doc.form_fields.iter().filter(|f| f.required) {
                if !filled.contains(&(bi.item.clone(), f.key.clone())) {
                    errs.push(FieldError::new(
                        "fields",
                        "unfilled",
                        format!("事项“{}”的必填字段“{}”没有映射", doc.name, f.label),
                        format!("required field {} of {} is not mapped", f.key, doc.name),
                    ));
                }
            }
        }
    }
    check_rules(b, items, &mut errs);
    if !b.items.is_empty() && !can_select_any(b) {
        errs.push(FieldError::new(
            "rules",
            "selects_nothing",
            "任何回答都不能选中事项，请检查情形规则",
            "no answers select any item; check the rules",
        ));
    }
    errs.into_result()
}

/// Questions, rules and keys that would silently do nothing: duplicate keys,
/// conditions on unknown questions (or `below` on a yes/no or choice),
/// effects on items outside the bundle or materials the item does not list.
fn check_rules(b: &BundleDoc, items: &HashMap<String, ItemDoc>, errs: &mut FieldErrors) {
    let mut seen = BTreeSet::new();
    for (i, q) in b.questions.iter().enumerate() {
        if !seen.insert(q.key.as_str()) {
            errs.push(FieldError::new(
                format!("questions[{i}].key"),
                "duplicate",
                format!("问题编码{}重复", q.key),
                format!("question key {} is used twice", q.key),
            ));
        }
        if q.kind == QuestionKind::Choice && q.options.len() < 2 {
            errs.push(FieldError::new(
                format!("questions[{i}].options"),
                "too_few",
                format!("选择题“{}”至少需要两个选项", q.text),
                format!("choice question “{}” needs at least two options", q.text),
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for (i, f) in b.fields.iter().enumerate() {
        if !seen.insert(f.key.as_str()) {
            errs.push(FieldError::new(
                format!("fields[{i}].key"),
                "duplicate",
                format!("字段编码{}重复", f.key),
                format!("field key {} is used twice", f.key),
            ));
        }
    }
    fn conditions(c: &Condition, path: &str, b: &BundleDoc, errs: &mut FieldErrors) {
        match c {
            Condition::Is { question, .. } | Condition::Below { question, .. } => {
                match b.questions.iter().find(|q| &q.key == question) {
                    None => errs.push(FieldError::new(
                        path,
                        "unknown_question",
                        format!("规则引用了不存在的问题{question}"),
                        format!("the rule names an unknown question {question}"),
                    )),
                    Some(q)
                        if matches!(c, Condition::Below { .. })
                            && matches!(q.kind, QuestionKind::YesNo | QuestionKind::Choice) =>
                    {
                        errs.push(FieldError::new(
                            path,
                            "not_comparable",
                            format!("问题“{}”不是数字或日期，不能比较大小", q.text),
                            format!("question “{}” is not a number or date", q.text),
                        ))
                    }
                    _ => {}
                }
            }
            Condition::All { of } | Condition::Any { of } => {
                for (i, c) in of.iter().enumerate() {
                    conditions(c, &format!("{path}.of[{i}]"), b, errs);
                }
            }
            Condition::Not { of } => conditions(of, &format!("{path}.of"), b, errs),
        }
    }
    let in_bundle = |code: &str| b.items.iter().any(|i| i.item == code);
    for (ri, r) in b.rules.iter().enumerate() {
        conditions(&r.when, &format!("rules[{ri}].when"), b, errs);
        for (ei, e) in r.then.iter().enumerate() {
            let path = format!("rules[{ri}].then[{ei}]");
            match e {
                Effect::IncludeItem { item }
                | Effect::ExcludeItem { item }
                | Effect::DropMaterial { item, .. }
                    if !in_bundle(item) =>
                {
                    errs.push(FieldError::new(
                        path,
                        "unknown_item",
                        format!("规则引用的事项{item}不在本一件事中"),
                        format!("the rule names item {item}, which is not in the bundle"),
                    ))
                }
                Effect::DropMaterial { item, material } => {
                    if let Some(doc) = items.get(item)
                        && !doc
                            .materials
                            .iter()
                            .any(|m| m.name.trim() == material.trim())
                    {
                        errs.push(FieldError::new(
                            path,
                            "unknown_material",
                            format!("事项“{}”没有材料“{material}”", doc.name),
                            format!("item {} has no material {material}", doc.name),
                        ))
                    }
                }
                _ => {}
            }
        }
    }
}

fn can_select_any(b: &BundleDoc) -> bool {
    let lists: Vec<(String, Vec<String>)> = b
        .questions
        .iter()
        .map(|q| (q.key.clone(), candidates(q, b)))
        .collect();
    let mut answers = BTreeMap::new();
    let mut tried = 0;
    fn go(
        b: &BundleDoc,
        lists: &[(String, Vec<String>)],
        answers: &mut BTreeMap<String, String>,
        tried: &mut usize,
    ) -> bool {
        if *tried >= MAX_COMBINATIONS {
            return false;
        }
        let Some(((key, values), rest)) = lists.split_first() else {
            *tried += 1;
            return !select(b, answers).items.is_empty();
        };
        for v in values {
            answers.insert(key.clone(), v.clone());
            if go(b, rest, answers, tried) {
                return true;
            }
        }
        false
    }
    go(b, &lists, &mut answers, &mut tried)
}

/// The options of a choice field: those of its first target.
fn options_of(_b: &BundleDoc, f: &BundleField, items: &HashMap<String, ItemDoc>) -> Vec<String> {
    f.maps_to
        .iter()
        .find_map(|t| {
            items
                .get(&t.item)
                .and_then(|d| d.form_fields.iter().find(|x| x.key == t.field))
        })
        .map(|x| x.options.clone())
        .unwrap_or_default()
}
