//! How the case pages show a case: its clock and deadlines, its state, its
//! materials with their files, the applicant and the form's answers.

use serde::Serialize;
use tongban_domain::case::CaseState;
use tongban_domain::catalog::FieldKind;
use tongban_domain::clock::{self, ClockState, Warning};
use tongban_store::cases::{Case, CaseRecord};
use utoipa::ToSchema;

use crate::AppState;
use crate::http::Lang;

/// The clock as a page shows it.
#[derive(Debug, Clone, Serialize, Default, ToSchema)]
pub struct ClockView {
    pub state: String,
    pub accepted_on: String,
    pub legal_due: String,
    pub promised_due: String,
    pub certificate_due: String,
    pub suspended_days: u32,
    pub extension_days: u32,
    /// Working days left to the promised deadline (negative: overdue;
    /// null once the clock has stopped).
    #[schema(required)]
    pub days_left: Option<i64>,
    /// green, yellow or red while the clock is open (empty otherwise).
    pub warning: String,
    pub explanation: Vec<String>,
    pub error: String,
}

pub(super) fn clock_view(s: &AppState, c: &Case, lang: Lang) -> Option<ClockView> {
    let cal = s.calendar();
    let today = s.today();
    let d = c.deadlines(&cal, today)?;
    let d = match d {
        Ok(d) => d,
        Err(e) => {
            return Some(ClockView {
                error: lang.t(&e.zh(), &e.to_string()).to_string(),
                ..Default::default()
            });
        }
    };
    let open = c.state.clock_open();
    let days_left = if open {
        cal.workdays_between(today, d.promised_due).ok()
    } else {
        None
    };
    let warning = match c.clock.first() {
        Some(clock::ClockEvent::Accepted { promised, .. }) if open => {
            match clock::warning(&d, promised, today, &cal, s.config.warning_rule) {
                Ok(Warning::Red) => "red",
                Ok(Warning::Yellow) => "yellow",
                _ => "green",
            }
        }
        _ => "",
    };
    Some(ClockView {
        state: match d.state {
            ClockState::Running => lang.t("计时中", "running"),
            ClockState::Suspended => lang.t("已中止计时", "suspended"),
            ClockState::Stopped => lang.t("已停止（已决定）", "stopped (decided)"),
        }
        .to_string(),
        accepted_on: d.accepted_on.to_string(),
        legal_due: d.legal_due.to_string(),
        promised_due: d.promised_due.to_string(),
        certificate_due: d.certificate_due.map(|d| d.to_string()).unwrap_or_default(),
        suspended_days: d.suspended_days,
        extension_days: d.extension.0,
        days_left,
        warning: warning.into(),
        explanation: d
            .explanation
            .iter()
            .map(|b| lang.t(&b.zh, &b.en).to_string())
            .collect(),
        error: String::new(),
    })
}

pub(super) fn state_label(st: CaseState, lang: Lang) -> String {
    lang.t(st.zh(), st.en()).to_string()
}

pub(super) struct MaterialView {
    pub(super) index: usize,
    pub(super) name: String,
    pub(super) necessity: String,
    pub(super) required: bool,
    pub(super) standard: String,
    pub(super) notes: String,
    pub(super) files: Vec<FileView>,
}

pub(super) struct FileView {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) size: String,
}

pub(super) fn material_views(r: &CaseRecord, lang: Lang) -> Vec<MaterialView> {
    r.doc
        .materials
        .iter()
        .enumerate()
        .map(|(i, m)| MaterialView {
            index: i,
            name: m.name.clone(),
            necessity: m
                .necessity
                .map(|n| lang.t(n.zh(), n.en()).to_string())
                .unwrap_or_else(|| lang.t("必要", "Required").to_string()),
            required: matches!(
                m.necessity,
                None | Some(tongban_domain::catalog::Necessity::Required)
            ),
            standard: m.acceptance_standard.clone(),
            notes: m.filling_notes.clone(),
            files: r
                .files
                .iter()
                .filter(|f| f.material_index == i as i64)
                .map(|f| FileView {
                    id: f.id,
                    name: f.file_name.clone(),
                    size: if f.size >= 1024 * 1024 {
                        format!("{:.1} MB", f.size as f64 / 1048576.0)
                    } else {
                        format!("{} KB", (f.size + 1023) / 1024)
                    },
                })
                .collect(),
        })
        .collect()
}

/// The applicant's rows of the case page: the case as the store handed it
/// out, already masked for this viewer.
pub(super) fn applicant_rows(c: &Case, lang: Lang) -> Vec<(String, String)> {
    let idn = c.applicant_id_number.clone();
    vec![
        (
            lang.t("申请人", "Applicant").into(),
            c.applicant_name.clone(),
        ),
        (lang.t("证件号码", "ID number").into(), idn),
        (
            lang.t("联系电话", "Phone").into(),
            c.applicant_phone.clone(),
        ),
    ]
}

pub(super) fn answers(r: &CaseRecord) -> Vec<(String, String)> {
    r.doc
        .form_fields
        .iter()
        .map(|f| {
            let v = r.case.form.get(&f.key).cloned().unwrap_or_default();
            let v = match (f.kind, v.as_str()) {
                (FieldKind::YesNo, "yes") => "是".to_string(),
                (FieldKind::YesNo, "no") => "否".to_string(),
                _ => v,
            };
            (f.label.clone(), v)
        })
        .collect()
}
