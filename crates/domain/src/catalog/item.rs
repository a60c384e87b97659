//! What an item's guide must be to be saved (structural checks; the rest is
//! the audit's), the text search indexes, the skeleton a new item starts
//! from, and the agency check against the item's department.

use super::*;
use crate::codes::{BasicCode, CreditCode};
use crate::error::{FieldError, FieldErrors};

impl ItemDoc {
    /// Structural checks that a draft must pass to be saved at all. Anything a
    /// guide may lack while being written is left to the audit instead.
    pub fn check_saveable(&self) -> Result<(), FieldErrors> {
        let mut errs = FieldErrors::default();
        if self.name.trim().is_empty() {
            errs.push(FieldError::required("name", "事项名称"));
        }
        if let Some(e) =
            crate::text::check_text("name", "事项名称", "name", self.name.trim(), 200, false)
        {
            errs.push(e);
        }
        // Every text of the guide, whatever its way in (the editor, the API,
        // an imported file): no control or bidirectional characters.
        if let Ok(v) = serde_json::to_value(self)
            && let Some(e) = crate::text::first_bad_string(&v, crate::text::ANY_STRING_MAX)
        {
            errs.push(e);
        }
        if self.impl_code.basic_code() != self.basic_code.as_str() {
            errs.push(FieldError::new(
                "impl_code",
                "inconsistent",
                format!(
                    "实施编码中的基本编码{}与基本编码{}不一致",
                    self.impl_code.basic_code(),
                    self.basic_code
                ),
                format!(
                    "impl_code contains basic code {} but basic_code is {}",
                    self.impl_code.basic_code(),
                    self.basic_code
                ),
            ));
        }
        if self.agency.name.trim().is_empty() {
            errs.push(FieldError::required("agency.name", "实施主体名称"));
        }
        if let (Some(from), Some(to)) = (self.planned_effective_date, self.planned_cancel_date)
            && to <= from
        {
            errs.push(FieldError::new(
                "planned_cancel_date",
                "before_effective",
                "计划取消日期应晚于计划生效日期",
                "planned_cancel_date must be after planned_effective_date",
            ));
        }
        let mut keys = std::collections::BTreeSet::new();
        for (i, f) in self.form_fields.iter().enumerate() {
            let (min, max) = f.range();
            if min > max || max > super::NUMBER_MAX || min < -super::NUMBER_MAX {
                errs.push(FieldError::new(
                    format!("form_fields[{i}].max"),
                    "out_of_range",
                    format!(
                        "数字字段的范围应满足最小值不大于最大值，且绝对值不超过{}",
                        super::NUMBER_MAX
                    ),
                    format!(
                        "a number field's min must not exceed its max, both within ±{}",
                        super::NUMBER_MAX
                    ),
                ));
            }
            let ok = f.key.len() <= 40
                && f.key.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && f.key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                errs.push(FieldError::new(
                    format!("form_fields[{i}].key"),
                    "invalid_key",
                    "字段键名应以小写字母开头，只含小写字母、数字和下划线",
                    "a field key starts with a lowercase letter and has only a-z, 0-9 and _",
                ));
            } else if !keys.insert(f.key.as_str()) {
                errs.push(FieldError::new(
                    format!("form_fields[{i}].key"),
                    "duplicate",
                    format!("字段键名{}重复", f.key),
                    format!("field key {} appears twice", f.key),
                ));
            }
            if f.label.trim().is_empty() {
                errs.push(FieldError::required(
                    &format!("form_fields[{i}].label"),
                    "字段名称",
                ));
            }
            if f.kind == FieldKind::Choice && f.options.is_empty() {
                errs.push(FieldError::new(
                    format!("form_fields[{i}].options"),
                    "required",
                    "选项字段须列出可选值",
                    "a choice field needs its options",
                ));
            }
        }
        for (i, m) in self.materials.iter().enumerate() {
            if m.name.trim().is_empty() {
                errs.push(FieldError::required(
                    &format!("materials[{i}].name"),
                    "材料名称",
                ));
            }
        }
        for (i, s) in self.special_procedures.iter().enumerate() {
            if s.name.trim().is_empty() {
                errs.push(FieldError::required(
                    &format!("special_procedures[{i}].name"),
                    "特别程序名称",
                ));
            }
        }
        errs.into_result()
    }

    /// Text that search indexes besides the name: conditions, materials, basis, result.
    pub fn search_body(&self) -> String {
        let mut out = String::new();
        out.push_str(&self.acceptance_conditions);
        for m in &self.materials {
            out.push('\n');
            out.push_str(&m.name);
            out.push(' ');
            out.push_str(&m.acceptance_standard);
        }
        for b in &self.legal_basis {
            out.push('\n');
            out.push_str(&b.law_name);
        }
        out.push('\n');
        out.push_str(&self.result.name);
        for s in &self.process_steps {
            out.push('\n');
            out.push_str(&s.name);
        }
        out
    }

    /// A fresh draft skeleton for an agency, used by the "new item" page.
    pub fn skeleton(
        name: &str,
        agency: Agency,
        level: ExerciseLevel,
        basic: BasicCode,
    ) -> Option<Self> {
        let impl_code = ImplCode::compose(&agency.credit_code, level.digit(), &basic).ok()?;
        Some(Self {
            name: name.to_string(),
            basic_code: basic,
            impl_code,
            business_kind: BusinessKind::New,
            item_type: ItemType::PublicService,
            legal_basis: Vec::new(),
            agency,
            exercise_level: level,
            entrusted_department: String::new(),
            service_objects: vec![ServiceObject::NaturalPerson],
            acceptance_conditions: String::new(),
            process_steps: Vec::new(),
            case_kind: CaseKind::Promised,
            special_procedures: Vec::new(),
            legal_limit: None,
            promised_limit: None,
            onsite_visits: 1,
            onsite_visits_explanation: String::new(),
            online_depth: OnlineDepth::III,
            handling_forms: vec![HandlingForm::Window, HandlingForm::Online],
            fee: Fee::default(),
            location: String::new(),
            office_hours: String::new(),
            consult_phone: String::new(),
            complaint_phone: String::new(),
            result: ResultSpec {
                result_type: ResultType::Other,
                name: String::new(),
                licence_type: String::new(),
                holder: None,
            },
            materials: Vec::new(),
            life_events: Vec::new(),
            form_fields: Vec::new(),
            review: ReviewPlan::default(),
            shared_data: Vec::new(),
            decision: None,
            planned_effective_date: None,
            planned_cancel_date: None,
        })
    }
}

/// Validates the agency credit code against a department's code as a
/// `FieldError`, used when a draft is saved for a department.
pub fn check_agency_matches(doc: &ItemDoc, department_code: &CreditCode) -> Result<(), FieldError> {
    if &doc.agency.credit_code == department_code {
        Ok(())
    } else {
        Err(FieldError::new(
            "agency.credit_code",
            "unknown_department",
            format!(
                "实施主体信用代码{}不是所选部门的信用代码{}",
                doc.agency.credit_code, department_code
            ),
            format!(
                "agency.credit_code {} is not the department's code {}",
                doc.agency.credit_code, department_code
            ),
        ))
    }
}
