//! What several bundle pages show: field errors as the error summary links
//! them, the savings against applying item by item, the material slots with
//! their files, and answers in words.

use tongban_domain::FieldError;
use tongban_domain::bundle::{self, QuestionKind};
use tongban_store::bundles::BundleRecord;

use crate::http::Lang;

/// Field errors as the error summary links them (`f-{field}` ids).
pub(super) fn page_errors(errs: tongban_domain::FieldErrors) -> Vec<FieldError> {
    errs.0
        .into_iter()
        .map(|mut e| {
            e.field = e.field.replace(['.', '[', ']'], "_");
            e
        })
        .collect()
}

pub(super) struct SavingsView {
    pub(super) materials: (u32, u32),
    pub(super) trips: (u32, u32),
    pub(super) forms: (u32, u32),
    pub(super) days: (u32, u32),
}

pub(super) fn savings_view(s: &bundle::Savings) -> SavingsView {
    SavingsView {
        materials: (s.materials_separately, s.materials_bundle),
        trips: (s.trips_separately, s.trips_bundle),
        forms: (s.forms_separately, s.forms_bundle),
        days: (s.days_separately, s.days_bundle),
    }
}

pub(super) struct SlotView {
    pub(super) index: usize,
    pub(super) name: String,
    pub(super) standard: String,
    pub(super) original: bool,
    pub(super) required: bool,
    pub(super) used_by: String,
    pub(super) ambiguous: bool,
    pub(super) files: Vec<(i64, String)>,
    /// Why it is not asked (免提交 with its source, or passed on from an
    /// earlier item); empty when the applicant uploads it.
    pub(super) provided: String,
}

impl SlotView {
    pub(super) fn asked(&self) -> bool {
        self.provided.is_empty()
    }
}

/// What the pages ask of a list of slots (imported where a page's template
/// reads them).
pub(super) trait SlotsExt {
    fn any_provided(&self) -> bool;
    fn asked_count(&self) -> usize;
}

impl SlotsExt for [SlotView] {
    fn any_provided(&self) -> bool {
        self.iter().any(|s| !s.asked())
    }
    fn asked_count(&self) -> usize {
        self.iter().filter(|s| s.asked()).count()
    }
}

/// How the applicant reads why a material is not asked.
pub(super) fn provided_text(s: &tongban_domain::bundle::Slot, lang: Lang) -> String {
    use tongban_domain::bundle::Provided;
    match &s.provided {
        None => String::new(),
        Some(Provided::Obtained { sources }) if sources.is_empty() => lang
            .t(
                "免提交：由平台通过共享数据获取",
                "not needed: the platform obtains it from shared data",
            )
            .into(),
        Some(Provided::Obtained { sources }) => format!(
            "{}{}",
            lang.t(
                "免提交：由平台从以下来源获取：",
                "not needed: the platform obtains it from "
            ),
            sources.join("、")
        ),
        Some(Provided::PassedOn { item_name, .. }) => format!(
            "{}{item_name}{}",
            lang.t(
                "无需提交：由本件一件事的“",
                "not needed: issued by \u{201c}"
            ),
            lang.t("”出具后直接转交", "\u{201d} of this bundle and passed on")
        ),
    }
}

pub(super) fn slot_views(r: &BundleRecord, lang: Lang) -> Vec<SlotView> {
    r.slots
        .iter()
        .enumerate()
        .map(|(i, s)| SlotView {
            index: i,
            name: s.name.clone(),
            standard: s.standard.clone(),
            original: s.original,
            required: s.required,
            used_by: s.item_names.join("、"),
            ambiguous: s.ambiguous,
            provided: provided_text(s, lang),
            files: r
                .files
                .iter()
                .filter(|f| f.slot == i as i64)
                .map(|f| (f.id, f.file_name.clone()))
                .collect(),
        })
        .collect()
}

pub(super) fn answer_text(kind: QuestionKind, v: &str, lang: Lang) -> String {
    match (kind, v) {
        (QuestionKind::YesNo, "yes") => lang.t("是", "Yes").into(),
        (QuestionKind::YesNo, "no") => lang.t("否", "No").into(),
        _ => v.to_string(),
    }
}
