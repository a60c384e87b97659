//! Life-event bundles (SPEC §5, 高效办成一件事): the definition a catalogue
//! admin publishes, the situational questions whose answers select items and
//! materials, the one form whose fields map onto every item that needs them,
//! the checks that refuse an unpublishable bundle, and what the bundle saves
//! against applying item by item. Pure: items come in as `ItemDoc`s.
//! Also here: the upload slots (each material asked once), the per-item
//! forms filled from the one form, and the bundle's state derived from its
//! sub-cases.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::case::CaseState;
use crate::catalog::{FieldKind, FormField, ItemDoc, Necessity};
use crate::error::{FieldError, FieldErrors};

/// Kind of a situational question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    YesNo,
    Choice,
    Number,
    Date,
}

/// One question, asked on a page of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Question {
    /// Stable key, `[a-z][a-z0-9_]*`.
    pub key: String,
    pub text: String,
    pub kind: QuestionKind,
    #[serde(default)]
    pub options: Vec<String>,
}

/// When a rule applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Condition {
    /// The answer equals `value` (`yes`/`no`, an option, a number or a date as text).
    Is { question: String, value: String },
    /// A number (or a date, compared as text `YYYY-MM-DD`) is below `value`.
    Below { question: String, value: String },
    All {
        #[cfg_attr(feature = "openapi", schema(no_recursion))]
        of: Vec<Condition>,
    },
    Any {
        #[cfg_attr(feature = "openapi", schema(no_recursion))]
        of: Vec<Condition>,
    },
    Not {
        #[cfg_attr(feature = "openapi", schema(no_recursion))]
        of: Box<Condition>,
    },
}

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Effect {
    IncludeItem {
        item: String,
    },
    ExcludeItem {
        item: String,
    },
    /// The material (by name) is not needed for this item.
    DropMaterial {
        item: String,
        material: String,
    },
    /// A note shown with the tailored list (e.g. a referral elsewhere).
    Note {
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rule {
    pub when: Condition,
    pub then: Vec<Effect>,
}

/// One item of the bundle; `default` items apply unless a rule excludes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleItem {
    /// 实施编码 of the item.
    pub item: String,
    #[serde(default = "yes")]
    pub default: bool,
}

fn yes() -> bool {
    true
}

/// Where one field of the bundle's form goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldTarget {
    pub item: String,
    pub field: String,
}

/// One field of the one form, asked once and copied to every target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleField {
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    #[serde(default)]
    pub maps_to: Vec<FieldTarget>,
}

/// A bundle's definition (one version).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleDoc {
    pub name: String,
    /// The life or business event (新生儿出生, 企业开办 …).
    pub event: String,
    /// 办事指南 of the bundle: who may apply, what it covers, how it goes.
    #[serde(default)]
    pub guide: String,
    pub items: Vec<BundleItem>,
    #[serde(default)]
    pub questions: Vec<Question>,
    #[serde(default)]
    pub rules: Vec<Rule>,
    #[serde(default)]
    pub fields: Vec<BundleField>,
    /// The bundle's own promised limit, in working days.
    pub promised_days: crate::catalog::DayCount,
    /// Trips to the centre for the whole bundle (usually 0 or 1).
    #[serde(default)]
    pub onsite_visits: u32,
    /// A construction project stage's application form (靠前服务): applied
    /// for from the project's page only, not listed among the 一件事.
    #[serde(default)]
    pub stage_only: bool,
}

/// What the answers select.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Selection {
    /// Selected items, in the bundle's order.
    pub items: Vec<String>,
    /// Per item, the materials (by name) not needed.
    pub dropped: BTreeMap<String, BTreeSet<String>>,
    pub notes: Vec<String>,
}

fn answer_ok(q: &Question, v: &str) -> bool {
    match q.kind {
        QuestionKind::YesNo => matches!(v, "yes" | "no"),
        QuestionKind::Choice => q.options.iter().any(|o| o == v),
        QuestionKind::Number => v.parse::<f64>().is_ok_and(f64::is_finite),
        QuestionKind::Date => chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok(),
    }
}

/// Checks the answers: every question answered, each in its kind.
pub fn check_answers(b: &BundleDoc, answers: &BTreeMap<String, String>) -> Result<(), FieldErrors> {
    let mut errs = FieldErrors::default();
    for q in &b.questions {
        match answers.get(&q.key).map(|v| v.trim()) {
            None | Some("") => errs.push(FieldError::new(
                format!("answers.{}", q.key),
                "required",
                format!("请回答：{}", q.text),
                format!("answer: {}", q.text),
            )),
            Some(v) if !answer_ok(q, v) => errs.push(FieldError::new(
                format!("answers.{}", q.key),
                "invalid",
                format!("“{}”的回答无效", q.text),
                format!("the answer to “{}” is not valid", q.text),
            )),
            _ => {}
        }
    }
    for k in answers.keys() {
        if !b.questions.iter().any(|q| &q.key == k) {
            errs.push(FieldError::new(
                format!("answers.{k}"),
                "unknown",
                format!("没有问题{k}"),
                format!("no question {k}"),
            ));
        }
    }
    errs.into_result()
}

fn holds(c: &Condition, a: &BTreeMap<String, String>) -> bool {
    match c {
        Condition::Is { question, value } => a.get(question).is_some_and(|v| v.trim() == value),
        Condition::Below { question, value } => match a.get(question) {
            Some(v) => match (v.trim().parse::<f64>(), value.parse::<f64>()) {
                (Ok(x), Ok(y)) => x < y,
                _ => v.trim() < value.as_str(),
            },
            None => false,
        },
        Condition::All { of } => of.iter().all(|c| holds(c, a)),
        Condition::Any { of } => of.iter().any(|c| holds(c, a)),
        Condition::Not { of } => !holds(of, a),
    }
}

/// The items, dropped materials and notes the answers select. Rules apply in
/// order; a later rule overrides an earlier one on the same item.
pub fn select(b: &BundleDoc, answers: &BTreeMap<String, String>) -> Selection {
    let mut on: HashMap<&str, bool> = b
        .items
        .iter()
        .map(|i| (i.item.as_str(), i.default))
        .collect();
    let mut sel = Selection::default();
    for r in &b.rules {
        if !holds(&r.when, answers) {
            continue;
        }
        for e in &r.then {
            match e {
                Effect::IncludeItem { item } => {
                    on.insert(item.as_str(), true);
                }
                Effect::ExcludeItem { item } => {
                    on.insert(item.as_str(), false);
                }
                Effect::DropMaterial { item, material } => {
                    sel.dropped
                        .entry(item.clone())
                        .or_default()
                        .insert(material.clone());
                }
                Effect::Note { text } => sel.notes.push(text.clone()),
            }
        }
    }
    sel.items = b
        .items
        .iter()
        .filter(|i| on.get(i.item.as_str()).copied().unwrap_or(false))
        .map(|i| i.item.clone())
        .collect();
    sel.dropped.retain(|k, _| sel.items.contains(k));
    sel
}

/// Candidate answers for one question, for the "can any answer select an
/// item" check: every option, and the values rules compare against.
fn candidates(q: &Question, b: &BundleDoc) -> Vec<String> {
    fn walk(c: &Condition, key: &str, out: &mut BTreeSet<String>) {
        match c {
            Condition::Is { question, value } | Condition::Below { question, value }
                if question == key =>
            {
                out.insert(value.clone());
                if let Ok(n) = value.parse::<f64>() {
                    out.insert(format!("{}", n - 1.0));
                }
            }
            Condition::All { of } | Condition::Any { of } => {
                for c in of {
                    walk(c, key, out);
                }
            }
            Condition::Not { of } => walk(of, key, out),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    match q.kind {
        QuestionKind::YesNo => {
            out.insert("yes".into());
            out.insert("no".into());
        }
        QuestionKind::Choice => out.extend(q.options.iter().cloned()),
        QuestionKind::Number => {
            out.insert("0".into());
        }
        QuestionKind::Date => {
            out.insert("2000-01-01".into());
        }
    }
    for r in &b.rules {
        walk(&r.when, &q.key, &mut out);
    }
    out.into_iter().filter(|v| answer_ok(q, v)).collect()
}

/// Most answer combinations tried when checking that a bundle can select an item.
const MAX_COMBINATIONS: usize = 4096;

mod publish;

pub use publish::check_publishable;

/// What a bundle saves against applying for its items one by one (every
/// item selected), computed from the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Savings {
    /// Materials the items ask one by one (免提交 ones are never asked), and
    /// uploads the bundle actually asks.
    pub materials_separately: u32,
    pub materials_bundle: u32,
    pub trips_separately: u32,
    pub trips_bundle: u32,
    pub forms_separately: u32,
    pub forms_bundle: u32,
    /// Sum of the items' promised limits (working days), and the bundle's.
    pub days_separately: u32,
    pub days_bundle: u32,
}

/// The savings figures of a bundle, counted from what is actually asked:
/// one by one, each item's materials that are not 免提交; in the bundle, the
/// uploads of [`slots`] with every item selected. Each item counts one form.
pub fn savings(b: &BundleDoc, items: &HashMap<String, ItemDoc>) -> Savings {
    let docs: Vec<&ItemDoc> = b.items.iter().filter_map(|i| items.get(&i.item)).collect();
    let materials_separately = docs
        .iter()
        .map(|d| d.materials.iter().filter(|m| !m.exempt).count() as u32)
        .sum();
    let all = Selection {
        items: b.items.iter().map(|i| i.item.clone()).collect(),
        ..Default::default()
    };
    let materials_bundle = slots(&all, items).iter().filter(|s| s.asked()).count() as u32;
    Savings {
        materials_separately,
        materials_bundle,
        trips_separately: docs.iter().map(|d| d.onsite_visits).sum(),
        trips_bundle: b.onsite_visits,
        forms_separately: docs.len() as u32,
        forms_bundle: 1,
        days_separately: docs
            .iter()
            .map(|d| d.promised_limit.as_ref().map(|l| l.days.get()).unwrap_or(0))
            .sum(),
        days_bundle: b.promised_days.get(),
    }
}

/// How the applicant is spared a material of the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum Provided {
    /// 免提交: every item needing it obtains it from shared data or an
    /// e-certificate (the sources the guides name).
    Obtained { sources: Vec<String> },
    /// An earlier item of the bundle issues it; it is passed on to the later
    /// items as it is issued.
    PassedOn { item: String, item_name: String },
}

/// One material of the bundle, provided once, and where it goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Slot {
    /// What the applicant reads: "母亲的居民身份证" for a typed document,
    /// else the guide's name.
    pub name: String,
    pub standard: String,
    pub original: bool,
    /// Needed before acceptance by at least one item.
    pub required: bool,
    /// (item code, material index in that item) that this upload satisfies.
    pub uses: Vec<(String, usize)>,
    /// Names of the items that use it, for display.
    pub item_names: Vec<String>,
    /// Another slot has the same name but a different standard.
    pub ambiguous: bool,
    /// The document type and whose, when the guides say.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder: Option<crate::catalog::Holder>,
    /// Not asked: obtained by the platform, or passed on from an earlier item.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub provided: Option<Provided>,
}

impl Slot {
    /// The applicant uploads it.
    pub fn asked(&self) -> bool {
        self.provided.is_none()
    }
}

/// The materials of a selection, each document once however many items ask
/// for it and whatever each guide calls it (SPEC §5), in the order the items
/// list them; each says whether the applicant is asked for it.
pub fn slots(sel: &Selection, items: &HashMap<String, ItemDoc>) -> Vec<Slot> {
    use crate::catalog::MaterialId;
    struct Acc {
        id: MaterialId,
        slot: Slot,
        all_exempt: bool,
        sources: Vec<String>,
    }
    let mut acc: Vec<Acc> = Vec::new();
    for code in &sel.items {
        let Some(doc) = items.get(code) else { continue };
        let dropped = sel.dropped.get(code);
        for (i, m) in doc.materials.iter().enumerate() {
            if dropped.is_some_and(|d| d.contains(m.name.trim())) {
                continue;
            }
            let required = matches!(m.necessity, None | Some(Necessity::Required));
            for id in m.identities() {
                let at = match acc.iter().position(|a| a.id == id) {
                    Some(p) => p,
                    None => {
                        let (kind, holder) = match &id {
                            MaterialId::Typed { kind, holder } => (kind.clone(), Some(*holder)),
                            MaterialId::Named { .. } => (String::new(), None),
                        };
                        acc.push(Acc {
                            slot: Slot {
                                name: id.label_zh(),
                                standard: m.acceptance_standard.trim().to_string(),
                                original: false,
                                required: false,
                                uses: Vec::new(),
                                item_names: Vec::new(),
                                ambiguous: false,
                                kind,
                                holder,
                                provided: None,
                            },
                            id,
                            all_exempt: true,
                            sources: Vec::new(),
                        });
                        acc.len() - 1
                    }
                };
                let a = &mut acc[at];
                a.slot.uses.push((code.clone(), i));
                a.slot.required |= required;
                a.slot.original |= m.originals > 0;
                if a.slot.standard.is_empty() {
                    a.slot.standard = m.acceptance_standard.trim().to_string();
                }
                if !a.slot.item_names.contains(&doc.name) {
                    a.slot.item_names.push(doc.name.clone());
                }
                a.all_exempt &= m.exempt;
                let src = m.data_source.trim();
                if m.exempt && !src.is_empty() && !a.sources.iter().any(|s| s == src) {
                    a.sources.push(src.to_string());
                }
            }
        }
    }
    // Which item of the selection issues which document, in order.
    let produced: Vec<(usize, &str, &str, crate::catalog::Holder)> = sel
        .items
        .iter()
        .enumerate()
        .filter_map(|(pos, code)| {
            let doc = items.get(code)?;
            let (kind, holder) = doc.result.produces()?;
            Some((pos, code.as_str(), kind, holder))
        })
        .collect();
    let position = |code: &str| sel.items.iter().position(|c| c == code);
    let mut out: Vec<Slot> = Vec::with_capacity(acc.len());
    for a in acc {
        let mut slot = a.slot;
        if let MaterialId::Typed { kind, holder } = &a.id {
            // Passed on when an item before every item using it issues it.
            let first_use = slot
                .uses
                .iter()
                .filter_map(|(c, _)| position(c))
                .min()
                .unwrap_or(0);
            if let Some((_, code, _, _)) = produced
                .iter()
                .find(|(pos, _, k, h)| *pos < first_use && *k == kind && h == holder)
            {
                slot.provided = Some(Provided::PassedOn {
                    item: code.to_string(),
                    item_name: items.get(*code).map(|d| d.name.clone()).unwrap_or_default(),
                });
            }
        }
        if slot.provided.is_none() && a.all_exempt {
            slot.provided = Some(Provided::Obtained { sources: a.sources });
        }
        out.push(slot);
    }
    let names: Vec<String> = out.iter().map(|s| s.name.clone()).collect();
    for s in &mut out {
        s.ambiguous = names.iter().filter(|n| **n == s.name).count() > 1;
    }
    out
}

/// The fields of the one form that the selection needs.
pub fn asked_fields<'a>(b: &'a BundleDoc, sel: &Selection) -> Vec<&'a BundleField> {
    b.fields
        .iter()
        .filter(|f| f.maps_to.iter().any(|t| sel.items.contains(&t.item)))
        .collect()
}

/// The form field a bundle field is checked as: required when any selected
/// target requires it, with its targets' options.
pub fn field_spec(f: &BundleField, sel: &Selection, items: &HashMap<String, ItemDoc>) -> FormField {
    let targets: Vec<&FormField> = f
        .maps_to
        .iter()
        .filter(|t| sel.items.contains(&t.item))
        .filter_map(|t| {
            items
                .get(&t.item)
                .and_then(|d| d.form_fields.iter().find(|x| x.key == t.field))
        })
        .collect();
    FormField {
        key: f.key.clone(),
        label: f.label.clone(),
        kind: f.kind,
        required: targets.iter().any(|t| t.required),
        options: targets
            .first()
            .map(|t| t.options.clone())
            .unwrap_or_default(),
        // A value must suit every item it fills: the narrowest range.
        min: targets.iter().map(|t| t.range().0).max(),
        max: targets.iter().map(|t| t.range().1).min(),
    }
}

/// Checks the one form and fills each selected item's form from it. Errors
/// name the bundle's field (`form.baby_name`).
pub fn item_forms(
    b: &BundleDoc,
    sel: &Selection,
    items: &HashMap<String, ItemDoc>,
    form: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, BTreeMap<String, String>>, FieldErrors> {
    let mut errs = FieldErrors::default();
    let asked = asked_fields(b, sel);
    for k in form.keys() {
        if !asked.iter().any(|f| &f.key == k) {
            errs.push(FieldError::new(
                format!("form.{k}"),
                "unknown",
                format!("本次申请没有字段{k}"),
                format!("this application has no field {k}"),
            ));
        }
    }
    let mut out: BTreeMap<String, BTreeMap<String, String>> = sel
        .items
        .iter()
        .map(|c| (c.clone(), BTreeMap::new()))
        .collect();
    for f in &asked {
        let value = form.get(&f.key).map(|v| v.trim()).unwrap_or("");
        if let Some(e) = field_spec(f, sel, items).check(Some(value)) {
            errs.push(e);
            continue;
        }
        if value.is_empty() {
            continue;
        }
        for t in f.maps_to.iter().filter(|t| sel.items.contains(&t.item)) {
            if let Some(m) = out.get_mut(&t.item) {
                m.insert(t.field.clone(), value.to_string());
            }
        }
    }
    errs.into_result()?;
    let mut errs = FieldErrors::default();
    // Each item's own checks, in case its field differs from the mapping.
    for (code, m) in &out {
        let Some(doc) = items.get(code) else { continue };
        for ff in &doc.form_fields {
            if let Some(mut e) = ff.check(m.get(&ff.key).map(String::as_str)) {
                let owner = b.fields.iter().find(|f| {
                    f.maps_to
                        .iter()
                        .any(|t| &t.item == code && t.field == ff.key)
                });
                e.field = match owner {
                    Some(f) => format!("form.{}", f.key),
                    None => format!("items.{code}.{}", ff.key),
                };
                errs.push(e);
            }
        }
    }
    errs.into_result()?;
    Ok(out)
}

/// Checks the answers and that they select at least one item.
pub fn select_checked(
    b: &BundleDoc,
    answers: &BTreeMap<String, String>,
) -> Result<Selection, FieldErrors> {
    check_answers(b, answers)?;
    let trimmed: BTreeMap<String, String> = answers
        .iter()
        .map(|(k, v)| (k.clone(), v.trim().to_string()))
        .collect();
    let sel = select(b, &trimmed);
    if sel.items.is_empty() {
        return Err(FieldError::new(
            "answers",
            "selects_nothing",
            "按您的回答，本“一件事”没有需要办理的事项，请检查您的回答",
            "with these answers no item of this bundle applies; check your answers",
        )
        .into());
    }
    Ok(sel)
}

/// Where a bundle application stands, derived from its sub-cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BundleState {
    Draft,
    InProgress,
    Correction,
    PartlyRefused,
    Completed,
}

impl BundleState {
    pub fn as_str(self) -> &'static str {
        match self {
            BundleState::Draft => "draft",
            BundleState::InProgress => "in_progress",
            BundleState::Correction => "correction",
            BundleState::PartlyRefused => "partly_refused",
            BundleState::Completed => "completed",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            BundleState::Draft => "草稿（未提交）",
            BundleState::InProgress => "办理中",
            BundleState::Correction => "待补正",
            BundleState::PartlyRefused => "有事项未获准",
            BundleState::Completed => "已办结",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            BundleState::Draft => "Draft",
            BundleState::InProgress => "In progress",
            BundleState::Correction => "Waiting for corrections",
            BundleState::PartlyRefused => "Some refused",
            BundleState::Completed => "Completed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            BundleState::Draft,
            BundleState::InProgress,
            BundleState::Correction,
            BundleState::PartlyRefused,
            BundleState::Completed,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// What the bundle state needs to know of one sub-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubCase {
    pub state: CaseState,
    pub approved: Option<bool>,
    /// Suspended for correction after acceptance.
    pub correcting: bool,
}

impl SubCase {
    /// Refused at intake or denied by the decision.
    pub fn refused(&self) -> bool {
        self.state == CaseState::NotAccepted || self.approved == Some(false)
    }
    pub fn waiting_for_correction(&self) -> bool {
        self.state == CaseState::Correction
            || (self.state == CaseState::Suspended && self.correcting)
    }
}

/// The bundle's state: waiting for correction while any sub-case is; partly
/// refused once any is refused or denied; completed when every sub-case has
/// ended and none was refused; otherwise in progress.
pub fn bundle_state(subs: &[SubCase]) -> BundleState {
    if subs.is_empty() || subs.iter().all(|s| s.state == CaseState::Draft) {
        return BundleState::Draft;
    }
    if subs.iter().any(SubCase::waiting_for_correction) {
        return BundleState::Correction;
    }
    if subs.iter().any(SubCase::refused) {
        return BundleState::PartlyRefused;
    }
    if subs.iter().all(|s| s.state.is_final()) {
        return BundleState::Completed;
    }
    BundleState::InProgress
}

/// Every sub-case has ended (the completion notice goes out).
pub fn all_ended(subs: &[SubCase]) -> bool {
    !subs.is_empty() && subs.iter().all(|s| s.state.is_final())
}

#[cfg(test)]
mod tests;

/// Whether a bundle tells its applicant about this step of a sub-case
/// itself — acceptance, corrections and the end, each once for the whole
/// bundle — so the sub-case stays silent to the applicant. Other steps
/// (refusal, extension, special procedure, decision) reach the applicant
/// from the sub-case, tagged with its bundle.
pub fn bundle_speaks_for(action: &str, clock: Option<&crate::clock::ClockEvent>) -> bool {
    match action {
        "accept" | "request_correction" | "supply_correction" | "deliver" => true,
        "suspend" => matches!(
            clock,
            Some(crate::clock::ClockEvent::Suspended {
                reason: crate::clock::SuspendReason::Correction,
                ..
            })
        ),
        _ => false,
    }
}
