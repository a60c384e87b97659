//! The admin forms of an item and of a material: every element as text, as
//! the browser sends it, and their parsing into domain values with each
//! problem reported by field.

use chrono::NaiveDate;
use tongban_domain::catalog::*;
use tongban_domain::{FieldError, FieldErrors};

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

pub(super) fn limit(
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
    let Ok(n) = days.parse::<i64>() else {
        e.push(FieldError::new(
            field,
            "not_a_number",
            format!("{zh}应为整数天数"),
            format!("{field} must be a whole number of days"),
        ));
        return None;
    };
    let Ok(n) = DayCount::try_from(n) else {
        e.push(FieldError::new(
            field,
            "out_of_range",
            format!("{zh}应为0至{}天", DayCount::MAX),
            format!("{field} must be 0 to {}", DayCount::MAX),
        ));
        return None;
    };
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
