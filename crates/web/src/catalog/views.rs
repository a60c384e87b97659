//! The guide as pages show it: an item document resolved into the reader's
//! language, section by section, with its materials.

use tongban_domain::catalog::*;

use crate::http::Lang;

pub struct Row {
    pub label: String,
    pub value: String,
}

pub struct Section {
    pub title: String,
    pub rows: Vec<Row>,
}

pub struct MaterialRow {
    pub index: usize,
    pub name: String,
    pub kind: String,
    pub source: String,
    pub necessity: String,
    pub form: String,
    pub copies: String,
    pub standard: String,
    pub notes: String,
    pub exempt: String,
}

/// A guide resolved into one language.
pub struct GuideView {
    pub name: String,
    pub code: String,
    pub sections: Vec<Section>,
    pub materials: Vec<MaterialRow>,
    pub promised: String,
    pub legal: String,
    pub visits: String,
    pub phone: String,
}

fn limit_text(l: &Option<TimeLimit>, lang: Lang) -> String {
    match l {
        Some(l) => {
            let base = match lang {
                Lang::Zh => l.zh(),
                Lang::En => l.en(),
            };
            if l.explanation.is_empty() {
                base
            } else {
                format!("{base}（{}）", l.explanation)
            }
        }
        None => lang.t("未设定", "not set").to_string(),
    }
}

fn or_dash(s: &str) -> String {
    if s.trim().is_empty() {
        "—".to_string()
    } else {
        s.to_string()
    }
}

impl GuideView {
    pub fn new(doc: &ItemDoc, lang: Lang) -> Self {
        let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
        let pick = |zh: &'static str, en: &'static str| lang.t(zh, en).to_string();
        let row = |label: String, value: String| Row { label, value };
        let objects: Vec<String> = doc
            .service_objects
            .iter()
            .map(|o| pick(o.zh(), o.en()))
            .collect();
        let forms: Vec<String> = doc
            .handling_forms
            .iter()
            .map(|o| pick(o.zh(), o.en()))
            .collect();
        let basis: Vec<String> = doc
            .legal_basis
            .iter()
            .map(|b| {
                let mut s = format!("《{}》", b.law_name);
                if !b.doc_number.is_empty() {
                    s.push_str(&format!("（{}）", b.doc_number));
                }
                s.push_str(&b.article);
                if !b.text.is_empty() {
                    s.push_str(&format!("：{}", b.text));
                }
                s
            })
            .collect();
        let steps: Vec<String> = doc
            .process_steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                if s.description.is_empty() {
                    format!("{}. {}", i + 1, s.name)
                } else {
                    format!("{}. {}：{}", i + 1, s.name, s.description)
                }
            })
            .collect();
        let specials: Vec<String> = doc
            .special_procedures
            .iter()
            .map(|s| match s.max_days {
                Some(d) => format!(
                    "{}（{}{}）",
                    s.name,
                    d,
                    t("个工作日以内", " working days at most")
                ),
                None => s.name.clone(),
            })
            .collect();
        let fee = if doc.fee.charged {
            format!(
                "{}；{}：{}；{}：{}",
                t("收费", "Charged"),
                t("依据", "basis"),
                or_dash(&doc.fee.basis),
                t("标准", "standard"),
                or_dash(&doc.fee.standard)
            )
        } else {
            t("不收费", "Free of charge")
        };
        let visits = if doc.onsite_visits == 0 {
            t("0次（全程网办，无需到现场）", "0 (no visit needed)")
        } else if doc.onsite_visits_explanation.is_empty() {
            format!("{}{}", doc.onsite_visits, t("次", " visit(s)"))
        } else {
            format!(
                "{}{}（{}）",
                doc.onsite_visits,
                t("次", " visit(s)"),
                doc.onsite_visits_explanation
            )
        };
        let result = {
            let mut s = format!(
                "{}：{}",
                pick(doc.result.result_type.zh(), doc.result.result_type.en()),
                or_dash(&doc.result.name)
            );
            if !doc.result.licence_type.is_empty() {
                s.push_str(&format!(
                    "（{}：{}）",
                    t("证照类型", "licence type"),
                    doc.result.licence_type
                ));
            }
            s
        };
        let sections = vec![
            Section {
                title: t("基本信息", "Basic information"),
                rows: vec![
                    row(t("事项名称", "Name"), doc.name.clone()),
                    row(
                        t("事项类型", "Type"),
                        pick(doc.item_type.zh(), doc.item_type.en()),
                    ),
                    row(
                        t("业务办理项", "Business"),
                        pick(doc.business_kind.zh(), doc.business_kind.en()),
                    ),
                    row(t("基本编码", "Basic code"), doc.basic_code.to_string()),
                    row(
                        t("实施编码", "Implementation code"),
                        doc.impl_code.to_string(),
                    ),
                    row(
                        t("实施主体", "Implementing agency"),
                        format!("{}（{}）", doc.agency.name, doc.agency.credit_code),
                    ),
                    row(
                        t("行使层级", "Level"),
                        pick(doc.exercise_level.zh(), doc.exercise_level.en()),
                    ),
                    row(t("服务对象", "For"), objects.join("、")),
                    row(t("设定依据", "Legal basis"), or_dash(&basis.join("\n"))),
                ],
            },
            Section {
                title: t("受理条件", "Conditions"),
                rows: vec![row(
                    t("受理条件", "Who may apply"),
                    or_dash(&doc.acceptance_conditions),
                )],
            },
            Section {
                title: t("办理时限与方式", "Time limits and how to apply"),
                rows: vec![
                    row(
                        t("办件类型", "Case type"),
                        pick(doc.case_kind.zh(), doc.case_kind.en()),
                    ),
                    row(
                        t("法定办结时限", "Legal time limit"),
                        limit_text(&doc.legal_limit, lang),
                    ),
                    row(
                        t("承诺办结时限", "Promised time limit"),
                        limit_text(&doc.promised_limit, lang),
                    ),
                    row(
                        t("特别程序", "Special procedures"),
                        or_dash(&specials.join("；")),
                    ),
                    row(t("到办事现场次数", "Visits in person"), visits.clone()),
                    row(
                        t("网上办理深度", "Online depth"),
                        pick(doc.online_depth.zh(), doc.online_depth.en()),
                    ),
                    row(t("办理形式", "Ways to apply"), forms.join("、")),
                    row(t("办理流程", "Steps"), or_dash(&steps.join("\n"))),
                ],
            },
            Section {
                title: t("收费、地点与咨询", "Fees, place and contacts"),
                rows: vec![
                    row(t("是否收费", "Fees"), fee),
                    row(t("办理地点", "Where"), or_dash(&doc.location)),
                    row(t("办理时间", "When"), or_dash(&doc.office_hours)),
                    row(t("咨询电话", "Enquiries"), or_dash(&doc.consult_phone)),
                    row(
                        t("监督投诉电话", "Complaints"),
                        or_dash(&doc.complaint_phone),
                    ),
                ],
            },
            Section {
                title: t("办理结果", "Result"),
                rows: vec![row(t("结果", "Result"), result)],
            },
        ];
        let materials = doc
            .materials
            .iter()
            .enumerate()
            .map(|(i, m)| MaterialRow {
                index: i,
                name: m.name.clone(),
                kind: pick(m.material_type.zh(), m.material_type.en()),
                source: m
                    .source
                    .map(|s| pick(s.zh(), s.en()))
                    .unwrap_or_else(|| "—".into()),
                necessity: m
                    .necessity
                    .map(|s| pick(s.zh(), s.en()))
                    .unwrap_or_else(|| "—".into()),
                form: m
                    .submit_form
                    .map(|s| pick(s.zh(), s.en()))
                    .unwrap_or_else(|| "—".into()),
                copies: format!(
                    "{}{} / {}{}",
                    t("原件", "originals "),
                    m.originals,
                    t("复印件", "copies "),
                    m.copies
                ),
                standard: or_dash(&m.acceptance_standard),
                notes: m.filling_notes.clone(),
                exempt: if m.exempt {
                    format!(
                        "{}{}",
                        t(
                            "免提交，由平台从以下来源获取：",
                            "Not needed: fetched from "
                        ),
                        m.data_source
                    )
                } else {
                    String::new()
                },
            })
            .collect();
        GuideView {
            name: doc.name.clone(),
            code: doc.impl_code.to_string(),
            sections,
            materials,
            promised: limit_text(&doc.promised_limit, lang),
            legal: limit_text(&doc.legal_limit, lang),
            visits,
            phone: doc.consult_phone.clone(),
        }
    }
}
