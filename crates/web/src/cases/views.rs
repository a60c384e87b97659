//! How the case pages show a case: its clock and deadlines, its state, its
//! materials with their files, the applicant and the form's answers.

use serde::Serialize;
use tongban_domain::case::CaseState;
use tongban_domain::catalog::FieldKind;
use tongban_domain::clock::{self, ClockState, Warning};
use tongban_store::cases::{Case, CaseRecord};
use tongban_store::shared_data::FetchRecord;
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
    /// Which of legal_due, promised_due and certificate_due are counted into
    /// a year whose holiday notice is not out (暂定, SPEC §3).
    pub provisional: Vec<String>,
    /// Why they are provisional and what happens next (empty when none is).
    pub provisional_note: String,
}

impl ClockView {
    /// Whether the named date is provisional (for the page).
    pub fn prov(&self, which: &str) -> bool {
        self.provisional.iter().any(|p| p == which)
    }
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
    let mut provisional = Vec::new();
    for (name, date) in [
        ("legal_due", Some(d.legal_due)),
        ("promised_due", Some(d.promised_due)),
        ("certificate_due", d.certificate_due),
    ] {
        if date.is_some_and(|x| cal.is_provisional(x)) {
            provisional.push(name.to_string());
        }
    }
    let provisional_note = match cal.first_provisional_year() {
        Some(y) if !provisional.is_empty() => lang
            .t(
                &format!("{y}年节假日安排尚未公布，标为“暂定”的日期按法定节假日计算；通知公布后将重新计算并告知您。"),
                &format!("The {y} holiday notice is not out: dates marked provisional count the statutory holidays only; they will be recomputed, and you told, when it is."),
            )
            .to_string(),
        _ => String::new(),
    };
    Some(ClockView {
        provisional,
        provisional_note,
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
    /// Why the applicant does not bring it (免提交, or spared within a
    /// bundle), or where a 免提交 one stands; empty when they bring it.
    pub(super) provided: String,
    /// A 免提交 material the platform did not obtain: the window verifies
    /// it, and it keeps its necessity.
    pub(super) unobtained: bool,
}

pub(super) struct FileView {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) size: String,
}

/// The case's materials as `staff` or the applicant reads them.
pub(super) fn material_views(
    r: &CaseRecord,
    fetches: &[FetchRecord],
    lang: Lang,
    staff: bool,
) -> Vec<MaterialView> {
    r.doc
        .materials
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let (provided, spared) = if m.exempt {
                crate::chrome::provenance_text(
                    &tongban_store::shared_data::provenance(&r.doc, m, r.case.state, fetches),
                    lang,
                    staff,
                )
            } else if r.case.waived.contains(&i) {
                (
                    lang.t(
                        "无需提交：一件事中由平台获取或由前序事项出具",
                        "Not needed: obtained or issued within the bundle",
                    )
                    .to_string(),
                    true,
                )
            } else {
                (String::new(), false)
            };
            MaterialView {
                index: i,
                name: m.name.clone(),
                necessity: m
                    .necessity
                    .map(|n| lang.t(n.zh(), n.en()).to_string())
                    .unwrap_or_else(|| lang.t("必要", "Required").to_string()),
                required: !spared
                    && matches!(
                        m.necessity,
                        None | Some(tongban_domain::catalog::Necessity::Required)
                    ),
                unobtained: m.exempt && !spared,
                provided,
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
            }
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
