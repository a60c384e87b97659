//! View models: what templates show, resolved into the reader's language,
//! and the admin forms with their parsing into domain values.

use chrono::NaiveDate;
use tongban_domain::catalog::*;
use tongban_domain::{FieldError, FieldErrors};
use tongban_store::accounts::Session;

use crate::http::Lang;

/// The page frame: language, who is signed in, the CSRF token for forms.
pub struct Chrome {
    pub lang: Lang,
    pub user: Option<String>,
    pub role: String,
    pub csrf: String,
    /// Current path and query, for the language switch to come back to.
    pub here: String,
    pub staff: bool,
}

impl Chrome {
    pub fn new(lang: Lang, session: Option<&Session>, here: &str) -> Self {
        Self {
            lang,
            user: session.map(|s| s.actor.display_name.clone()),
            role: session
                .map(|s| lang.t(s.actor.role.zh(), s.actor.role.en()).to_string())
                .unwrap_or_default(),
            csrf: session.map(|s| s.csrf_token.clone()).unwrap_or_default(),
            here: here.to_string(),
            staff: session.is_some_and(|s| s.actor.is_staff()),
        }
    }
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.lang.t(zh, en)
    }
    pub fn en(&self) -> bool {
        self.lang == Lang::En
    }
    /// URL-encoded current location.
    pub fn here_enc(&self) -> String {
        url_encode(&self.here)
    }
}

pub fn url_encode(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                o.push(b as char)
            }
            _ => o.push_str(&format!("%{b:02X}")),
        }
    }
    o
}

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

/// An option of a select or a checkbox.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The options of a select for a code list, with the current key selected.
pub fn options<T: Labelled>(all: &[T], current: &str, lang: Lang) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice {
            value: v.key(),
            label: lang.t(v.label_zh(), v.label_en()).to_string(),
            selected: v.key() == current,
        })
        .collect()
}

/// The item edit form: every scalar element as text, as the browser sends it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ItemForm {
    pub csrf: String,
    pub updated_at: String,
    pub name: String,
    pub business_kind: String,
    pub item_type: String,
    pub legal_basis: String,
    pub exercise_level: String,
    pub entrusted_department: String,
    pub obj_natural_person: String,
    pub obj_legal_person: String,
    pub acceptance_conditions: String,
    pub process_steps: String,
    pub case_kind: String,
    pub special_procedures: String,
    pub legal_days: String,
    pub legal_unit: String,
    pub legal_explanation: String,
    pub promised_days: String,
    pub promised_unit: String,
    pub promised_explanation: String,
    pub onsite_visits: String,
    pub onsite_visits_explanation: String,
    pub online_depth: String,
    pub form_window: String,
    pub form_online: String,
    pub form_post: String,
    pub fee_charged: String,
    pub fee_basis: String,
    pub fee_standard: String,
    pub location: String,
    pub office_hours: String,
    pub consult_phone: String,
    pub complaint_phone: String,
    pub result_type: String,
    pub result_name: String,
    pub licence_type: String,
    pub life_events: String,
    pub planned_effective_date: String,
    pub planned_cancel_date: String,
}

fn on(s: &str) -> String {
    if s.is_empty() {
        String::new()
    } else {
        "on".into()
    }
}

impl ItemForm {
    pub fn from_doc(doc: &ItemDoc, updated_at: i64) -> Self {
        let has = |o: ServiceObject| {
            if doc.service_objects.contains(&o) {
                "on".to_string()
            } else {
                String::new()
            }
        };
        let hf = |f: HandlingForm| {
            if doc.handling_forms.contains(&f) {
                "on".to_string()
            } else {
                String::new()
            }
        };
        Self {
            csrf: String::new(),
            updated_at: updated_at.to_string(),
            name: doc.name.clone(),
            business_kind: doc.business_kind.as_str().into(),
            item_type: doc.item_type.as_str().into(),
            legal_basis: doc
                .legal_basis
                .iter()
                .map(|b| {
                    format!(
                        "{} | {} | {} | {}",
                        b.law_name, b.doc_number, b.article, b.text
                    )
                    .trim_end_matches([' ', '|'])
                    .to_string()
                })
                .collect::<Vec<_>>()
                .join("\n"),
            exercise_level: doc.exercise_level.as_str().into(),
            entrusted_department: doc.entrusted_department.clone(),
            obj_natural_person: has(ServiceObject::NaturalPerson),
            obj_legal_person: has(ServiceObject::LegalPerson),
            acceptance_conditions: doc.acceptance_conditions.clone(),
            process_steps: doc
                .process_steps
                .iter()
                .map(|s| {
                    if s.description.is_empty() {
                        s.name.clone()
                    } else {
                        format!("{} | {}", s.name, s.description)
                    }
                })
                .collect::<Vec<_>>()
                .join("\n"),
            case_kind: doc.case_kind.as_str().into(),
            special_procedures: doc
                .special_procedures
                .iter()
                .map(|s| match s.max_days {
                    Some(d) => format!("{} | {}", s.name, d),
                    None => s.name.clone(),
                })
                .collect::<Vec<_>>()
                .join("\n"),
            legal_days: doc
                .legal_limit
                .as_ref()
                .map(|l| l.days.to_string())
                .unwrap_or_default(),
            legal_unit: doc
                .legal_limit
                .as_ref()
                .map(|l| l.unit.as_str())
                .unwrap_or("working_days")
                .into(),
            legal_explanation: doc
                .legal_limit
                .as_ref()
                .map(|l| l.explanation.clone())
                .unwrap_or_default(),
            promised_days: doc
                .promised_limit
                .as_ref()
                .map(|l| l.days.to_string())
                .unwrap_or_default(),
            promised_unit: doc
                .promised_limit
                .as_ref()
                .map(|l| l.unit.as_str())
                .unwrap_or("working_days")
                .into(),
            promised_explanation: doc
                .promised_limit
                .as_ref()
                .map(|l| l.explanation.clone())
                .unwrap_or_default(),
            onsite_visits: doc.onsite_visits.to_string(),
            onsite_visits_explanation: doc.onsite_visits_explanation.clone(),
            online_depth: doc.online_depth.as_str().into(),
            form_window: hf(HandlingForm::Window),
            form_online: hf(HandlingForm::Online),
            form_post: hf(HandlingForm::Post),
            fee_charged: if doc.fee.charged {
                "on".into()
            } else {
                String::new()
            },
            fee_basis: doc.fee.basis.clone(),
            fee_standard: doc.fee.standard.clone(),
            location: doc.location.clone(),
            office_hours: doc.office_hours.clone(),
            consult_phone: doc.consult_phone.clone(),
            complaint_phone: doc.complaint_phone.clone(),
            result_type: doc.result.result_type.code().to_string(),
            result_name: doc.result.name.clone(),
            licence_type: doc.result.licence_type.clone(),
            life_events: doc.life_events.join("，"),
            planned_effective_date: doc
                .planned_effective_date
                .map(|d| d.to_string())
                .unwrap_or_default(),
            planned_cancel_date: doc
                .planned_cancel_date
                .map(|d| d.to_string())
                .unwrap_or_default(),
        }
    }

    /// Applies the form onto a copy of the stored document (materials and
    /// identity are kept), collecting every problem with its field.
    pub fn apply(&self, base: &ItemDoc) -> Result<ItemDoc, FieldErrors> {
        let mut e = FieldErrors::default();
        let mut d = base.clone();
        d.name = self.name.trim().to_string();
        match BusinessKind::parse(&self.business_kind) {
            Some(v) => d.business_kind = v,
            None => e.push(bad_choice("business_kind", "业务办理项")),
        }
        match ItemType::parse(&self.item_type) {
            Some(v) => d.item_type = v,
            None => e.push(bad_choice("item_type", "事项类型")),
        }
        match ExerciseLevel::parse(&self.exercise_level) {
            Some(v) => d.exercise_level = v,
            None => e.push(bad_choice("exercise_level", "行使层级")),
        }
        d.legal_basis = lines(&self.legal_basis)
            .map(|l| {
                let p: Vec<&str> = l.split('|').map(str::trim).collect();
                LegalBasis {
                    law_name: p
                        .first()
                        .copied()
                        .unwrap_or_default()
                        .trim_matches(['《', '》'])
                        .to_string(),
                    doc_number: p.get(1).copied().unwrap_or_default().to_string(),
                    article: p.get(2).copied().unwrap_or_default().to_string(),
                    text: p.get(3).copied().unwrap_or_default().to_string(),
                }
            })
            .collect();
        d.entrusted_department = self.entrusted_department.trim().to_string();
        d.service_objects = [
            (ServiceObject::NaturalPerson, &self.obj_natural_person),
            (ServiceObject::LegalPerson, &self.obj_legal_person),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(o, _)| o)
        .collect();
        d.acceptance_conditions = self.acceptance_conditions.trim().to_string();
        d.process_steps = lines(&self.process_steps)
            .map(|l| match l.split_once('|') {
                Some((n, desc)) => ProcessStep {
                    name: n.trim().into(),
                    description: desc.trim().into(),
                },
                None => ProcessStep {
                    name: l.into(),
                    description: String::new(),
                },
            })
            .collect();
        match CaseKind::parse(&self.case_kind) {
            Some(v) => d.case_kind = v,
            None => e.push(bad_choice("case_kind", "办件类型")),
        }
        let mut specials = Vec::new();
        for (i, l) in lines(&self.special_procedures).enumerate() {
            match l.split_once('|') {
                Some((n, days)) => match days.trim().parse::<u32>() {
                    Ok(d) => specials.push(SpecialProcedure {
                        name: n.trim().into(),
                        max_days: Some(d),
                    }),
                    Err(_) => e.push(FieldError::new(
                        "special_procedures",
                        "not_a_number",
                        format!("特别程序第{}行的天数“{}”不是整数", i + 1, days.trim()),
                        format!(
                            "special procedure line {}: {:?} is not a whole number of days",
                            i + 1,
                            days.trim()
                        ),
                    )),
                },
                None => specials.push(SpecialProcedure {
                    name: l.into(),
                    max_days: None,
                }),
            }
        }
        d.special_procedures = specials;
        d.legal_limit = limit(
            &self.legal_days,
            &self.legal_unit,
            &self.legal_explanation,
            "legal_days",
            "法定办结时限",
            &mut e,
        );
        d.promised_limit = limit(
            &self.promised_days,
            &self.promised_unit,
            &self.promised_explanation,
            "promised_days",
            "承诺办结时限",
            &mut e,
        );
        match self.onsite_visits.trim().parse::<u32>() {
            Ok(v) if v <= 10 => d.onsite_visits = v,
            _ => e.push(FieldError::new(
                "onsite_visits",
                "not_a_number",
                "到办事现场次数应为0到10之间的整数",
                "onsite_visits must be a whole number from 0 to 10",
            )),
        }
        d.onsite_visits_explanation = self.onsite_visits_explanation.trim().to_string();
        match OnlineDepth::parse(&self.online_depth) {
            Some(v) => d.online_depth = v,
            None => e.push(bad_choice("online_depth", "网上办理深度")),
        }
        d.handling_forms = [
            (HandlingForm::Window, &self.form_window),
            (HandlingForm::Online, &self.form_online),
            (HandlingForm::Post, &self.form_post),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(o, _)| o)
        .collect();
        d.fee = Fee {
            charged: !on(&self.fee_charged).is_empty(),
            basis: self.fee_basis.trim().into(),
            standard: self.fee_standard.trim().into(),
        };
        d.location = self.location.trim().into();
        d.office_hours = self.office_hours.trim().into();
        d.consult_phone = self.consult_phone.trim().into();
        d.complaint_phone = self.complaint_phone.trim().into();
        match self
            .result_type
            .trim()
            .parse::<u8>()
            .ok()
            .and_then(ResultType::from_code)
        {
            Some(v) => d.result.result_type = v,
            None => e.push(bad_choice("result_type", "结果类型")),
        }
        d.result.name = self.result_name.trim().into();
        d.result.licence_type = self.licence_type.trim().into();
        d.life_events = self
            .life_events
            .split([',', '，', '、'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        d.planned_effective_date = date(
            &self.planned_effective_date,
            "planned_effective_date",
            "计划生效日期",
            &mut e,
        );
        d.planned_cancel_date = date(
            &self.planned_cancel_date,
            "planned_cancel_date",
            "计划取消日期",
            &mut e,
        );
        if e.is_empty()
            && let Err(more) = d.check_saveable()
        {
            return Err(more);
        }
        if e.is_empty() { Ok(d) } else { Err(e) }
    }
}

fn lines(s: &str) -> impl Iterator<Item = &str> {
    s.lines().map(str::trim).filter(|l| !l.is_empty())
}

fn bad_choice(field: &str, zh: &str) -> FieldError {
    FieldError::new(
        field,
        "bad_choice",
        format!("请选择{zh}"),
        format!("choose a value for {field}"),
    )
}

fn date(s: &str, field: &str, zh: &str, e: &mut FieldErrors) -> Option<NaiveDate> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            e.push(FieldError::new(
                field,
                "bad_date",
                format!("{zh}应为年-月-日，如2026-01-31"),
                format!("{field} must be a date like 2026-01-31"),
            ));
            None
        }
    }
}

fn limit(
    days: &str,
    unit: &str,
    explanation: &str,
    field: &str,
    zh: &str,
    e: &mut FieldErrors,
) -> Option<TimeLimit> {
    let days = days.trim();
    if days.is_empty() {
        return None;
    }
    let Ok(n) = days.parse::<u32>() else {
        e.push(FieldError::new(
            field,
            "not_a_number",
            format!("{zh}应为整数天数"),
            format!("{field} must be a whole number of days"),
        ));
        return None;
    };
    if n > 3650 {
        e.push(FieldError::new(
            field,
            "too_large",
            format!("{zh}不能超过3650天"),
            format!("{field} must be at most 3650"),
        ));
        return None;
    }
    let Some(unit) = DayUnit::parse(unit) else {
        e.push(bad_choice(field, zh));
        return None;
    };
    Some(TimeLimit {
        days: n,
        unit,
        explanation: explanation.trim().into(),
    })
}

/// The material edit form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct MaterialForm {
    pub csrf: String,
    pub updated_at: String,
    pub name: String,
    pub material_type: String,
    pub source: String,
    pub necessity: String,
    pub submit_form: String,
    pub originals: String,
    pub copies: String,
    pub paper_size: String,
    pub acceptance_standard: String,
    pub filling_notes: String,
    pub exempt: String,
    pub data_source: String,
    pub trust_level: String,
}

impl MaterialForm {
    pub fn from_material(m: &Material, updated_at: i64) -> Self {
        Self {
            csrf: String::new(),
            updated_at: updated_at.to_string(),
            name: m.name.clone(),
            material_type: m.material_type.code().to_string(),
            source: m.source.map(|s| s.code().to_string()).unwrap_or_default(),
            necessity: m
                .necessity
                .map(|s| s.code().to_string())
                .unwrap_or_default(),
            submit_form: m
                .submit_form
                .map(|s| s.code().to_string())
                .unwrap_or_default(),
            originals: m.originals.to_string(),
            copies: m.copies.to_string(),
            paper_size: m.paper_size.clone(),
            acceptance_standard: m.acceptance_standard.clone(),
            filling_notes: m.filling_notes.clone(),
            exempt: if m.exempt { "on".into() } else { String::new() },
            data_source: m.data_source.clone(),
            trust_level: m
                .trust_level
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
        }
    }

    pub fn to_material(&self, base: Option<&Material>) -> Result<Material, FieldErrors> {
        let mut e = FieldErrors::default();
        let mut m = base
            .cloned()
            .unwrap_or_else(|| Material::new("", MaterialType::Other));
        m.name = self.name.trim().into();
        if m.name.is_empty() {
            e.push(FieldError::required("name", "材料名称"));
        }
        match self
            .material_type
            .parse::<u8>()
            .ok()
            .and_then(MaterialType::from_code)
        {
            Some(v) => m.material_type = v,
            None => e.push(bad_choice("material_type", "材料类型")),
        }
        let opt = |s: &str| s.trim().parse::<u8>().ok();
        m.source = opt(&self.source).and_then(MaterialSource::from_code);
        m.necessity = opt(&self.necessity).and_then(Necessity::from_code);
        m.submit_form = opt(&self.submit_form).and_then(SubmitForm::from_code);
        for (field, zh, v, slot) in [
            ("originals", "原件份数", &self.originals, &mut m.originals),
            ("copies", "复印件份数", &self.copies, &mut m.copies),
        ] {
            match v.trim().parse::<u32>() {
                Ok(n) if n <= 99 => *slot = n,
                _ if v.trim().is_empty() => *slot = 0,
                _ => e.push(FieldError::new(
                    field,
                    "not_a_number",
                    format!("{zh}应为0到99的整数"),
                    format!("{field} must be a whole number from 0 to 99"),
                )),
            }
        }
        m.paper_size = self.paper_size.trim().into();
        m.acceptance_standard = self.acceptance_standard.trim().into();
        m.filling_notes = self.filling_notes.trim().into();
        m.exempt = !self.exempt.is_empty();
        m.data_source = self.data_source.trim().into();
        m.trust_level = TrustLevel::parse(self.trust_level.trim());
        if e.is_empty() { Ok(m) } else { Err(e) }
    }
}

/// Formats a UTC millisecond timestamp in China Standard Time.
pub fn fmt_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&chrono_tz::Asia::Shanghai)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}
