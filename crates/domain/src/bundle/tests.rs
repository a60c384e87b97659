use super::*;
use crate::catalog::{
    Agency, DayCount, ExerciseLevel, FormField, Material, MaterialType, TimeLimit,
};
use crate::codes::{BasicCode, CreditCode};

fn item(
    name: &str,
    basic: &str,
    materials: &[&str],
    fields: &[(&str, bool)],
    days: u32,
) -> ItemDoc {
    let agency = Agency {
        name: "某区卫生健康局".into(),
        credit_code: CreditCode::parse("91350100M000100Y43").expect("valid"),
    };
    let mut d = ItemDoc::skeleton(
        name,
        agency,
        ExerciseLevel::County,
        BasicCode::parse(basic).expect("valid"),
    )
    .expect("skeleton");
    d.materials = materials
        .iter()
        .map(|m| Material::new(m, MaterialType::Certificate))
        .collect();
    d.form_fields = fields
        .iter()
        .map(|(k, required)| FormField {
            key: k.to_string(),
            label: k.to_string(),
            kind: FieldKind::Text,
            required: *required,
            options: vec![],
            min: None,
            max: None,
        })
        .collect();
    d.promised_limit = Some(TimeLimit::working(DayCount::of(days)));
    d.onsite_visits = 1;
    d
}

/// A small 新生儿出生 bundle: 出生医学证明, 出生登记 (only when the father's
/// household is in the city), 居民医保参保登记.
fn newborn() -> (BundleDoc, HashMap<String, ItemDoc>) {
    let cert = item(
        "出生医学证明首次签发",
        "000201001000",
        &["父母身份证", "出生信息登记表"],
        &[("baby_name", true), ("birth_date", true)],
        1,
    );
    let reg = item(
        "出生登记",
        "000201002000",
        &["父母身份证", "户口簿", "出生医学证明"],
        &[("baby_name", true), ("household", true)],
        5,
    );
    let med = item(
        "居民医保参保登记",
        "000201003000",
        &["户口簿"],
        &[("baby_name", true)],
        3,
    );
    let codes: Vec<String> = [&cert, &reg, &med]
        .iter()
        .map(|d| d.impl_code.to_string())
        .collect();
    let b = BundleDoc {
        name: "新生儿出生一件事".into(),
        event: "新生儿出生".into(),
        guide: String::new(),
        items: codes
            .iter()
            .map(|c| BundleItem {
                item: c.clone(),
                default: true,
            })
            .collect(),
        questions: vec![Question {
            key: "father_local".into(),
            text: "父亲户籍是否在本市？".into(),
            kind: QuestionKind::YesNo,
            options: vec![],
        }],
        rules: vec![Rule {
            when: Condition::Is {
                question: "father_local".into(),
                value: "no".into(),
            },
            then: vec![
                Effect::ExcludeItem {
                    item: codes[1].clone(),
                },
                Effect::Note {
                    text: "请到父亲户籍地办理出生登记".into(),
                },
            ],
        }],
        fields: vec![
            BundleField {
                key: "baby_name".into(),
                label: "新生儿姓名".into(),
                kind: FieldKind::Text,
                maps_to: codes
                    .iter()
                    .map(|c| FieldTarget {
                        item: c.clone(),
                        field: "baby_name".into(),
                    })
                    .collect(),
            },
            BundleField {
                key: "birth_date".into(),
                label: "出生日期".into(),
                kind: FieldKind::Text,
                maps_to: vec![FieldTarget {
                    item: codes[0].clone(),
                    field: "birth_date".into(),
                }],
            },
            BundleField {
                key: "household".into(),
                label: "户籍地址".into(),
                kind: FieldKind::Text,
                maps_to: vec![FieldTarget {
                    item: codes[1].clone(),
                    field: "household".into(),
                }],
            },
        ],
        promised_days: DayCount::of(5),
        onsite_visits: 0,
        stage_only: false,
    };
    let items = [cert, reg, med]
        .into_iter()
        .map(|d| (d.impl_code.to_string(), d))
        .collect();
    (b, items)
}

fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn answers_select_the_items_that_apply() {
    let (b, _) = newborn();
    let local = select(&b, &answers(&[("father_local", "yes")]));
    assert_eq!(local.items.len(), 3);
    assert!(local.notes.is_empty());
    let away = select(&b, &answers(&[("father_local", "no")]));
    assert_eq!(
        away.items,
        vec![b.items[0].item.clone(), b.items[2].item.clone()]
    );
    assert_eq!(away.notes, vec!["请到父亲户籍地办理出生登记".to_string()]);
    assert!(check_answers(&b, &answers(&[("father_local", "maybe")])).is_err());
    assert!(check_answers(&b, &answers(&[])).is_err());
    assert!(check_answers(&b, &answers(&[("father_local", "no"), ("x", "1")])).is_err());
    assert_eq!(
        check_answers(&b, &answers(&[("father_local", "no")])),
        Ok(())
    );
}

#[test]
fn a_publishable_bundle_fills_every_required_field() {
    let (b, items) = newborn();
    assert_eq!(check_publishable(&b, &items), Ok(()));
    // A mapping to a field that does not exist, and a required field left unfilled.
    let mut bad = b.clone();
    bad.fields[1].maps_to[0].field = "birthday".into();
    let errs = check_publishable(&bad, &items).expect_err("refused");
    let codes: Vec<&str> = errs.0.iter().map(|e| e.code.as_str()).collect();
    assert!(
        codes.contains(&"unknown_field") && codes.contains(&"unfilled"),
        "{codes:?}"
    );
    // Rules that can never select anything.
    let mut none = b.clone();
    for i in &mut none.items {
        i.default = false;
    }
    let errs = check_publishable(&none, &items).expect_err("refused");
    assert!(errs.0.iter().any(|e| e.code == "selects_nothing"));
    // An unknown item.
    let mut unknown = b;
    unknown.items.push(BundleItem {
        item: "X".into(),
        default: true,
    });
    assert!(check_publishable(&unknown, &items).is_err());
}

#[test]
fn savings_are_counted_from_the_catalogue() {
    let (b, items) = newborn();
    let s = savings(&b, &items);
    // 2 + 3 + 1 materials one by one; 父母身份证 and 户口簿 repeat: 4 distinct.
    assert_eq!((s.materials_separately, s.materials_bundle), (6, 4));
    assert_eq!((s.trips_separately, s.trips_bundle), (3, 0));
    assert_eq!((s.forms_separately, s.forms_bundle), (3, 1));
    assert_eq!((s.days_separately, s.days_bundle), (9, 5));
}

#[test]
fn each_material_is_asked_once_unless_its_standard_differs() {
    let (b, mut items) = newborn();
    let all = select(&b, &answers(&[("father_local", "yes")]));
    let s = slots(&all, &items);
    let names: Vec<&str> = s.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["父母身份证", "出生信息登记表", "户口簿", "出生医学证明"]
    );
    // 父母身份证 serves 出生医学证明 and 出生登记.
    assert_eq!(s[0].uses.len(), 2);
    assert_eq!(s[0].item_names.len(), 2);
    assert!(s.iter().all(|x| !x.ambiguous));
    // 出生登记 needs the original of the ID cards: then it is a separate upload.
    let reg = &b.items[1].item;
    if let Some(doc) = items.get_mut(reg) {
        doc.materials[0].originals = 1;
    }
    let s = slots(&all, &items);
    let ids: Vec<&Slot> = s.iter().filter(|x| x.name == "父母身份证").collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.iter().all(|x| x.ambiguous && x.uses.len() == 1));
    assert_eq!(ids.iter().filter(|x| x.original).count(), 1);
    // A dropped material is not asked for.
    let mut sel = all.clone();
    sel.dropped
        .entry(reg.clone())
        .or_default()
        .insert("户口簿".into());
    let s = slots(&sel, &items);
    let hh = s
        .iter()
        .find(|x| x.name == "户口簿")
        .expect("still asked by 医保");
    assert_eq!(hh.uses, vec![(b.items[2].item.clone(), 0)]);
}

/// The newborn fixture as a real catalogue types it: each guide names the ID
/// cards its own way, the first item issues the 出生医学证明 the second asks
/// for, and 医保 obtains the 户口簿 from the population register.
fn typed_newborn() -> (BundleDoc, HashMap<String, ItemDoc>) {
    use crate::catalog::{Holder, ResultType};
    let (b, mut items) = newborn();
    let (cert, reg, med) = (
        b.items[0].item.clone(),
        b.items[1].item.clone(),
        b.items[2].item.clone(),
    );
    let typed = |m: &mut Material, kind: &str, holders: &[Holder]| {
        m.kind = kind.into();
        m.holders = holders.to_vec();
    };
    if let Some(d) = items.get_mut(&cert) {
        d.materials[0].name = "父母双方居民身份证".into();
        typed(
            &mut d.materials[0],
            "居民身份证",
            &[Holder::Father, Holder::Mother],
        );
        d.result.result_type = ResultType::Licence;
        d.result.licence_type = "出生医学证明".into();
        d.result.holder = Some(Holder::Child);
    }
    if let Some(d) = items.get_mut(&reg) {
        d.materials[0].name = "监护人（父母）居民身份证".into();
        typed(
            &mut d.materials[0],
            "居民身份证",
            &[Holder::Mother, Holder::Father],
        );
        typed(&mut d.materials[1], "居民户口簿", &[Holder::Father]);
        typed(&mut d.materials[2], "出生医学证明", &[Holder::Child]);
    }
    if let Some(d) = items.get_mut(&med) {
        typed(&mut d.materials[0], "居民户口簿", &[Holder::Father]);
        d.materials[0].exempt = true;
        d.materials[0].data_source = "人口库（公安部门）".into();
    }
    (b, items)
}

#[test]
fn a_material_is_what_it_is_and_whose_and_an_issued_one_is_passed_on() {
    use crate::catalog::Holder;
    let (b, items) = typed_newborn();
    let all = select(&b, &answers(&[("father_local", "yes")]));
    let s = slots(&all, &items);
    let names: Vec<&str> = s.iter().map(|x| x.name.as_str()).collect();
    // Each parent's ID card once, whatever each guide calls it.
    assert_eq!(
        names,
        vec![
            "父亲的居民身份证",
            "母亲的居民身份证",
            "出生信息登记表",
            "父亲的居民户口簿",
            "子女（新生儿）的出生医学证明"
        ]
    );
    assert_eq!(
        s[0].uses.len(),
        2,
        "both items' ID lines use the father's card"
    );
    assert_eq!(s[1].holder, Some(Holder::Mother));
    // The certificate the first item issues is never asked: it is passed on.
    let birth = &s[4];
    assert_eq!(
        birth.provided,
        Some(Provided::PassedOn {
            item: b.items[0].item.clone(),
            item_name: "出生医学证明首次签发".into()
        })
    );
    // The 户口簿 is asked: 出生登记 needs it uploaded though 医保 could obtain it.
    assert!(s[3].asked());
    let asked: Vec<&str> = s
        .iter()
        .filter(|x| x.asked())
        .map(|x| x.name.as_str())
        .collect();
    assert_eq!(asked.len(), 4);
    // Without 出生登记, the 户口簿 is only 医保's, which obtains it.
    let without = select(&b, &answers(&[("father_local", "no")]));
    let s = slots(&without, &items);
    let hh = s
        .iter()
        .find(|x| x.kind == "居民户口簿")
        .expect("still listed");
    assert_eq!(
        hh.provided,
        Some(Provided::Obtained {
            sources: vec!["人口库（公安部门）".into()]
        })
    );
    // Savings count what is asked: one by one 2 + 3 + 0 (医保's is 免提交);
    // in the bundle the father's and mother's cards, the form and the 户口簿.
    let sv = savings(&b, &items);
    assert_eq!((sv.materials_separately, sv.materials_bundle), (5, 4));
}

#[test]
fn a_document_is_passed_on_only_from_an_earlier_item() {
    use crate::catalog::{Holder, ResultType};
    let (b, mut items) = typed_newborn();
    // Were the 医保 item the one issuing the 出生医学证明, 出生登记 (before it)
    // would have to ask for it.
    let (cert, med) = (b.items[0].item.clone(), b.items[2].item.clone());
    if let Some(d) = items.get_mut(&cert) {
        d.result.result_type = ResultType::Other;
    }
    if let Some(d) = items.get_mut(&med) {
        d.result.result_type = ResultType::Licence;
        d.result.licence_type = "出生医学证明".into();
        d.result.holder = Some(Holder::Child);
    }
    let all = select(&b, &answers(&[("father_local", "yes")]));
    let s = slots(&all, &items);
    let birth = s.iter().find(|x| x.kind == "出生医学证明").expect("listed");
    assert!(birth.asked());
}

#[test]
fn the_one_form_fills_every_item_that_needs_a_datum() {
    let (b, items) = newborn();
    let sel = select(&b, &answers(&[("father_local", "yes")]));
    let form = answers(&[
        ("baby_name", "张小宝"),
        ("birth_date", "2026-11-20"),
        ("household", "示范区人民路1号"),
    ]);
    let forms = item_forms(&b, &sel, &items, &form).expect("valid");
    for code in &sel.items {
        assert_eq!(
            forms[code].get("baby_name").map(String::as_str),
            Some("张小宝")
        );
    }
    assert_eq!(
        forms[&b.items[1].item].get("household").map(String::as_str),
        Some("示范区人民路1号")
    );
    assert!(!forms[&b.items[2].item].contains_key("household"));
    // Without 出生登记 the household address is not asked at all.
    let away = select(&b, &answers(&[("father_local", "no")]));
    let asked: Vec<&str> = asked_fields(&b, &away)
        .iter()
        .map(|f| f.key.as_str())
        .collect();
    assert_eq!(asked, vec!["baby_name", "birth_date"]);
    let errs = item_forms(&b, &away, &items, &form).expect_err("household not asked");
    assert_eq!(errs.0[0].field, "form.household");
    assert_eq!(errs.0[0].code, "unknown");
    // A mapped field left empty is named by its bundle key.
    let errs =
        item_forms(&b, &sel, &items, &answers(&[("baby_name", "张小宝")])).expect_err("missing");
    let fields: Vec<&str> = errs.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, vec!["form.birth_date", "form.household"]);
}

#[test]
fn answers_that_select_nothing_are_refused() {
    let (mut b, _) = newborn();
    b.rules.push(Rule {
        when: Condition::Is {
            question: "father_local".into(),
            value: "no".into(),
        },
        then: b
            .items
            .iter()
            .map(|i| Effect::ExcludeItem {
                item: i.item.clone(),
            })
            .collect(),
    });
    let e = select_checked(&b, &answers(&[("father_local", "no")])).expect_err("nothing");
    assert_eq!(e.0[0].code, "selects_nothing");
    assert_eq!(
        select_checked(&b, &answers(&[("father_local", " yes ")])).map(|s| s.items.len()),
        Ok(3)
    );
}

#[test]
fn the_bundle_state_follows_its_sub_cases() {
    let s = |state, approved, correcting| SubCase {
        state,
        approved,
        correcting,
    };
    use CaseState as C;
    assert_eq!(bundle_state(&[]), BundleState::Draft);
    assert_eq!(
        bundle_state(&[s(C::Submitted, None, false), s(C::Review, None, false)]),
        BundleState::InProgress
    );
    assert_eq!(
        bundle_state(&[
            s(C::Completed, Some(true), false),
            s(C::Suspended, None, true)
        ]),
        BundleState::Correction
    );
    // Suspended for an expert review is not a correction.
    assert_eq!(
        bundle_state(&[s(C::Suspended, None, false)]),
        BundleState::InProgress
    );
    assert_eq!(
        bundle_state(&[s(C::NotAccepted, None, false), s(C::Review, None, false)]),
        BundleState::PartlyRefused
    );
    assert_eq!(
        bundle_state(&[
            s(C::Completed, Some(false), false),
            s(C::Completed, Some(true), false)
        ]),
        BundleState::PartlyRefused
    );
    let done = [
        s(C::Completed, Some(true), false),
        s(C::Withdrawn, None, false),
    ];
    assert_eq!(bundle_state(&done), BundleState::Completed);
    assert!(all_ended(&done));
    assert!(!all_ended(&[
        s(C::Completed, Some(true), false),
        s(C::Delivering, Some(true), false)
    ]));
}

#[test]
fn rules_that_would_silently_do_nothing_are_refused() {
    let (b, items) = newborn();
    let mut bad = b.clone();
    bad.rules.push(Rule {
        when: Condition::Below {
            question: "father_local".into(),
            value: "3".into(),
        },
        then: vec![
            Effect::DropMaterial {
                item: b.items[1].item.clone(),
                material: "户口本".into(),
            },
            Effect::IncludeItem {
                item: "NOT-IN-BUNDLE".into(),
            },
        ],
    });
    bad.rules.push(Rule {
        when: Condition::Is {
            question: "mother_local".into(),
            value: "yes".into(),
        },
        then: vec![],
    });
    bad.fields.push(bad.fields[0].clone());
    let errs = check_publishable(&bad, &items).expect_err("refused");
    let got: Vec<(&str, &str)> = errs
        .0
        .iter()
        .map(|e| (e.field.as_str(), e.code.as_str()))
        .collect();
    for want in [
        ("rules[1].when", "not_comparable"),
        ("rules[1].then[0]", "unknown_material"),
        ("rules[1].then[1]", "unknown_item"),
        ("rules[2].when", "unknown_question"),
        ("fields[3].key", "duplicate"),
    ] {
        assert!(got.contains(&want), "{want:?} in {got:?}");
    }
}
