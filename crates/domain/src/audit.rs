//! The guide audit (SPEC §2.3): rules over one item version's guide, each with
//! a stable id, a severity and a message naming the element.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::WorkCalendar;
use crate::catalog::{CaseKind, DayCount, ItemDoc, MaterialSource, OnlineDepth, ResultType};
use crate::codes::{ImplCode, is_valid_phone};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A guide element the law or the standard requires is wrong or missing.
    Error,
    /// Likely to mislead an applicant.
    Warning,
    /// An improvement opportunity (e.g. 减证便民).
    Advice,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Advice => "advice",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            Severity::Error => "错误",
            Severity::Warning => "警告",
            Severity::Advice => "建议",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "error" => Some(Self::Error),
            "warning" => Some(Self::Warning),
            "advice" => Some(Self::Advice),
            _ => None,
        }
    }
}

/// A rule's fixed description.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub title_zh: &'static str,
    pub title_en: &'static str,
}

macro_rules! rules {
    ($($c:ident = $id:literal, $sev:ident, $zh:literal, $en:literal;)+) => {
        $(pub const $c: Rule = Rule { id: $id, severity: Severity::$sev, title_zh: $zh, title_en: $en };)+
        /// Every rule, in id order.
        pub const RULES: &[Rule] = &[$($c,)+];
    };
}

rules! {
    R_REQUIRED = "G01", Error, "必备要素为空", "A required element is empty";
    R_PROMISE_EXCEEDS_LEGAL = "G02", Error, "承诺时限超过法定时限", "Promised limit exceeds the legal limit";
    R_PROMISED_NO_LIMIT = "G03", Error, "承诺件未设承诺时限", "A promised-time case without a promised limit";
    R_FEE_NO_BASIS = "G04", Error, "收费但无收费依据或标准", "Charged without a fee basis or standard";
    R_BASIS_INCOMPLETE = "G05", Error, "设定依据缺少法律名称或条款", "Legal basis lacks the law name or article";
    R_MATERIAL_INCOMPLETE = "G06", Error, "申请材料要素不全", "A material lacks a required attribute";
    R_EXEMPT_NO_SOURCE = "G07", Error, "免提交材料未注明数据来源", "An exempted material names no data source";
    R_GOV_NOT_EXEMPT = "G08", Advice, "政府部门核发材料未免提交（减证便民）", "A government-issued material is not exempted";
    R_VISITS_UNEXPLAINED = "G09", Warning, "到现场次数超过1次且未说明理由（最多跑一次）", "More than one visit without explanation";
    R_DEPTH_IV_VISITS = "G10", Error, "全程网办（Ⅳ级）仍需到现场", "Fully online (IV) but visits are required";
    R_BAD_PHONE = "G11", Error, "电话号码格式错误", "Malformed phone number";
    R_BAD_IMPL_CODE = "G12", Error, "实施编码与实施主体、行使层级或基本编码不一致", "Implementation code inconsistent with agency, level or basic code";
    R_NOT_REPUBLISHED = "G13", Warning, "指南修改后超过20个工作日未重新发布", "Guide changed but not republished within 20 working days";
    R_UNIT_MISMATCH = "G14", Warning, "承诺时限与法定时限计量单位不一致", "Promised and legal limits use different units";
    R_LICENCE_NO_TYPE = "G15", Warning, "结果为证照但未注明证照类型", "A licence result without a licence type";
    R_SPECIAL_NO_LIMIT = "G16", Warning, "特别程序未注明时限", "A special procedure without a maximum duration";
    R_PAPER_NO_COUNT = "G17", Warning, "纸质材料未注明原件或复印件份数", "A paper material without number of originals or copies";
    R_OBTAINABLE_ASKED = "G18", Warning, "平台可获取的电子证照仍要求申请人提交", "A material the platform issues as an e-certificate is still asked for";
}

/// Looks a rule up by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// One problem found in one guide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    /// The element concerned, as a path into the item document (`consult_phone`,
    /// `materials[2].source`). Together with the item and rule, the finding's identity.
    pub element: String,
    pub message_zh: String,
    pub message_en: String,
}

/// What the audit knows besides the guide itself.
pub struct AuditContext<'a> {
    pub today: NaiveDate,
    pub calendar: &'a WorkCalendar,
    /// The licence types the catalogue's published items issue as
    /// e-certificates: a material of such a type can be obtained, not asked.
    pub issued: &'a [String],
}

/// The licence types a catalogue issues as e-certificates (for [`AuditContext::issued`]).
pub fn issued_types<'a>(docs: impl IntoIterator<Item = &'a ItemDoc>) -> Vec<String> {
    let mut v: Vec<String> = docs
        .into_iter()
        .filter_map(|d| d.result.produces().map(|(k, _)| k.to_string()))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Facts about the item's versions the audit needs beside the published document.
#[derive(Debug, Clone, Default)]
pub struct VersionFacts {
    /// When a draft newer than the published version was first changed, if there is one.
    pub pending_draft_since: Option<NaiveDate>,
}

/// Working days allowed between changing a guide and republishing it.
pub const REPUBLISH_WORKING_DAYS: i64 = 20;

struct Out<'a>(&'a mut Vec<Finding>);

impl Out<'_> {
    fn add(&mut self, r: Rule, element: impl Into<String>, zh: String, en: String) {
        self.0.push(Finding {
            rule_id: r.id.to_string(),
            severity: r.severity,
            element: element.into(),
            message_zh: zh,
            message_en: en,
        });
    }
}

/// Runs every rule over one guide.
pub fn audit_item(doc: &ItemDoc, facts: &VersionFacts, ctx: &AuditContext<'_>) -> Vec<Finding> {
    let mut v = Vec::new();
    let mut out = Out(&mut v);
    required_elements(doc, &mut out);
    time_limits(doc, &mut out);
    fee_and_basis(doc, &mut out);
    materials(doc, ctx, &mut out);
    visits(doc, &mut out);
    codes_and_phones(doc, &mut out);
    result_and_procedures(doc, &mut out);
    republish(facts, ctx, &mut out);
    v
}

fn required_elements(doc: &ItemDoc, out: &mut Out<'_>) {
    let texts: [(&str, &str, &str, &str); 6] = [
        (
            "acceptance_conditions",
            "受理条件",
            "acceptance conditions",
            &doc.acceptance_conditions,
        ),
        ("location", "办理地点", "location", &doc.location),
        (
            "office_hours",
            "办理时间",
            "office hours",
            &doc.office_hours,
        ),
        (
            "consult_phone",
            "咨询电话",
            "consultation phone",
            &doc.consult_phone,
        ),
        (
            "complaint_phone",
            "监督投诉电话",
            "complaint phone",
            &doc.complaint_phone,
        ),
        (
            "result.name",
            "办理结果名称",
            "result name",
            &doc.result.name,
        ),
    ];
    for (el, zh, en, value) in texts {
        if value.trim().is_empty() {
            out.add(
                R_REQUIRED,
                el,
                format!("“{zh}”为空"),
                format!("The {en} is empty"),
            );
        }
    }
    let lists: [(&str, &str, &str, bool); 4] = [
        (
            "legal_basis",
            "设定依据",
            "legal basis",
            doc.legal_basis.is_empty(),
        ),
        (
            "service_objects",
            "服务对象",
            "service objects",
            doc.service_objects.is_empty(),
        ),
        (
            "process_steps",
            "办理流程",
            "process steps",
            doc.process_steps.is_empty(),
        ),
        (
            "handling_forms",
            "办理形式",
            "handling forms",
            doc.handling_forms.is_empty(),
        ),
    ];
    for (el, zh, en, empty) in lists {
        if empty {
            out.add(
                R_REQUIRED,
                el,
                format!("“{zh}”为空"),
                format!("The {en} list is empty"),
            );
        }
    }
    if doc.legal_limit.is_none() && doc.case_kind == CaseKind::Promised {
        out.add(
            R_REQUIRED,
            "legal_limit",
            "“法定办结时限”为空".into(),
            "The legal time limit is empty".into(),
        );
    }
}

fn time_limits(doc: &ItemDoc, out: &mut Out<'_>) {
    if doc.case_kind == CaseKind::Promised
        && doc
            .promised_limit
            .as_ref()
            .is_none_or(|l| l.days == DayCount::ZERO)
    {
        out.add(
            R_PROMISED_NO_LIMIT,
            "promised_limit",
            "办件类型为承诺件，但“承诺办结时限”未填写".into(),
            "A promised-time case must state its promised limit".into(),
        );
    }
    if let (Some(p), Some(l)) = (&doc.promised_limit, &doc.legal_limit) {
        if p.unit == l.unit {
            if p.days > l.days {
                out.add(
                    R_PROMISE_EXCEEDS_LEGAL,
                    "promised_limit",
                    format!("承诺办结时限{}超过法定办结时限{}", p.zh(), l.zh()),
                    format!(
                        "Promised limit {} exceeds the legal limit {}",
                        p.en(),
                        l.en()
                    ),
                );
            }
        } else {
            out.add(
                R_UNIT_MISMATCH,
                "promised_limit.unit",
                format!(
                    "承诺时限以{}计，法定时限以{}计，无法直接比较",
                    p.unit.zh(),
                    l.unit.zh()
                ),
                format!(
                    "Promised limit in {}, legal limit in {}",
                    p.unit.en(),
                    l.unit.en()
                ),
            );
        }
    }
}

fn fee_and_basis(doc: &ItemDoc, out: &mut Out<'_>) {
    if doc.fee.charged {
        if doc.fee.basis.trim().is_empty() {
            out.add(
                R_FEE_NO_BASIS,
                "fee.basis",
                "收费事项未注明“收费依据”".into(),
                "A charged item must state its fee basis".into(),
            );
        }
        if doc.fee.standard.trim().is_empty() {
            out.add(
                R_FEE_NO_BASIS,
                "fee.standard",
                "收费事项未注明“收费标准”".into(),
                "A charged item must state its fee standard".into(),
            );
        }
    }
    for (i, b) in doc.legal_basis.iter().enumerate() {
        if b.law_name.trim().is_empty() {
            out.add(
                R_BASIS_INCOMPLETE,
                format!("legal_basis[{i}].law_name"),
                format!("第{}条设定依据缺少法律法规名称", i + 1),
                format!("Legal basis {} lacks the law name", i + 1),
            );
        }
        if b.article.trim().is_empty() {
            out.add(
                R_BASIS_INCOMPLETE,
                format!("legal_basis[{i}].article"),
                format!("第{}条设定依据“{}”缺少条款号", i + 1, b.law_name),
                format!("Legal basis {} ({}) lacks the article", i + 1, b.law_name),
            );
        }
    }
}

fn materials(doc: &ItemDoc, ctx: &AuditContext<'_>, out: &mut Out<'_>) {
    for (i, m) in doc.materials.iter().enumerate() {
        let n = i + 1;
        let missing: [(&str, &str, &str, bool); 4] = [
            ("source", "来源渠道", "source", m.source.is_none()),
            ("necessity", "必要性", "necessity", m.necessity.is_none()),
            (
                "submit_form",
                "提交形式",
                "submission form",
                m.submit_form.is_none(),
            ),
            (
                "acceptance_standard",
                "受理标准",
                "acceptance standard",
                m.acceptance_standard.trim().is_empty(),
            ),
        ];
        for (attr, zh, en, is_missing) in missing {
            if is_missing {
                out.add(
                    R_MATERIAL_INCOMPLETE,
                    format!("materials[{i}].{attr}"),
                    format!("材料{n}“{}”未注明{zh}", m.name),
                    format!("Material {n} ({}) has no {en}", m.name),
                );
            }
        }
        if m.exempt && m.data_source.trim().is_empty() {
            out.add(
                R_EXEMPT_NO_SOURCE,
                format!("materials[{i}].data_source"),
                format!("材料{n}“{}”标为免提交，但未注明共享数据来源", m.name),
                format!(
                    "Material {n} ({}) is exempted but names no data source",
                    m.name
                ),
            );
        }
        if m.source == Some(MaterialSource::Government) && !m.exempt {
            out.add(
                R_GOV_NOT_EXEMPT,
                format!("materials[{i}].exempt"),
                format!("材料{n}“{}”由政府部门核发，可通过数据共享或电子证照免于提交", m.name),
                format!(
                    "Material {n} ({}) is issued by a government department and could be obtained from shared data",
                    m.name
                ),
            );
        }
        let kind = if m.kind.trim().is_empty() {
            m.name.trim()
        } else {
            m.kind.trim()
        };
        if !m.exempt && ctx.issued.iter().any(|t| t == kind) {
            out.add(
                R_OBTAINABLE_ASKED,
                format!("materials[{i}].exempt"),
                format!("材料{n}“{}”是平台签发的电子证照（{kind}），可直接调取，无需申请人提交", m.name),
                format!(
                    "Material {n} ({}) is an e-certificate the platform issues ({kind}): obtain it instead of asking",
                    m.name
                ),
            );
        }
        let paper = matches!(
            m.submit_form,
            Some(crate::catalog::SubmitForm::Paper | crate::catalog::SubmitForm::Both)
        );
        if paper && !m.exempt && m.originals == 0 && m.copies == 0 {
            out.add(
                R_PAPER_NO_COUNT,
                format!("materials[{i}].copies"),
                format!("材料{n}“{}”需提交纸质件，但未注明原件或复印件份数", m.name),
                format!(
                    "Material {n} ({}) is on paper but states no number of copies",
                    m.name
                ),
            );
        }
    }
}

fn visits(doc: &ItemDoc, out: &mut Out<'_>) {
    if doc.onsite_visits > 1 && doc.onsite_visits_explanation.trim().is_empty() {
        out.add(
            R_VISITS_UNEXPLAINED,
            "onsite_visits_explanation",
            format!("到办事现场次数为{}次，未说明理由", doc.onsite_visits),
            format!("{} visits required without explanation", doc.onsite_visits),
        );
    }
    if doc.online_depth == OnlineDepth::IV && doc.onsite_visits > 0 {
        out.add(
            R_DEPTH_IV_VISITS,
            "onsite_visits",
            format!(
                "网上办理深度为Ⅳ级（全程网办），到现场次数应为0，实为{}",
                doc.onsite_visits
            ),
            format!(
                "Online depth IV means no visit, but {} are required",
                doc.onsite_visits
            ),
        );
    }
}

fn codes_and_phones(doc: &ItemDoc, out: &mut Out<'_>) {
    for (el, zh, value) in [
        ("consult_phone", "咨询电话", &doc.consult_phone),
        ("complaint_phone", "监督投诉电话", &doc.complaint_phone),
    ] {
        if !value.trim().is_empty() && !is_valid_phone(value) {
            out.add(
                R_BAD_PHONE,
                el,
                format!("{zh}“{value}”格式错误，应为区号-号码、手机号或12345等服务热线"),
                format!("{el} {value:?} is not a valid phone number"),
            );
        }
    }
    let expected = ImplCode::compose(
        &doc.agency.credit_code,
        doc.exercise_level.digit(),
        &doc.basic_code,
    );
    let consistent = match expected {
        Ok(e) => doc.impl_code.as_str().starts_with(e.as_str()),
        Err(_) => false,
    };
    if !consistent {
        out.add(
            R_BAD_IMPL_CODE,
            "impl_code",
            format!(
                "实施编码{}应由实施主体信用代码{}、行使层级{}和基本编码{}组成",
                doc.impl_code,
                doc.agency.credit_code,
                doc.exercise_level.digit(),
                doc.basic_code
            ),
            format!(
                "impl_code {} should be agency code {} + level {} + basic code {}",
                doc.impl_code,
                doc.agency.credit_code,
                doc.exercise_level.digit(),
                doc.basic_code
            ),
        );
    }
}

fn result_and_procedures(doc: &ItemDoc, out: &mut Out<'_>) {
    if doc.result.result_type == ResultType::Licence && doc.result.licence_type.trim().is_empty() {
        out.add(
            R_LICENCE_NO_TYPE,
            "result.licence_type",
            "办理结果为证照，但未注明证照类型".into(),
            "The result is a licence but no licence type is given".into(),
        );
    }
    for (i, s) in doc.special_procedures.iter().enumerate() {
        if s.max_days.is_none() {
            out.add(
                R_SPECIAL_NO_LIMIT,
                format!("special_procedures[{i}].max_days"),
                format!("特别程序“{}”未注明时限", s.name),
                format!("Special procedure {} has no maximum duration", s.name),
            );
        }
    }
}

fn republish(facts: &VersionFacts, ctx: &AuditContext<'_>, out: &mut Out<'_>) {
    let Some(since) = facts.pending_draft_since else {
        return;
    };
    // A date outside the calendar counts as overdue only if it is clearly so.
    let elapsed = ctx
        .calendar
        .workdays_between(since, ctx.today)
        .unwrap_or_else(|_| (ctx.today - since).num_days() * 5 / 7);
    if elapsed > REPUBLISH_WORKING_DAYS {
        out.add(
            R_NOT_REPUBLISHED,
            "version",
            format!("指南于{since}修改，已过{elapsed}个工作日仍未重新发布（应在20个工作日内）"),
            format!("Guide changed on {since}, {elapsed} working days ago, and not republished (limit 20)"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::*;
    use crate::codes::{BasicCode, CreditCode};

    fn clean_doc() -> ItemDoc {
        let agency = Agency {
            name: "某区卫生健康局".into(),
            credit_code: CreditCode::parse("91350100M000100Y43").expect("valid"),
        };
        let mut d = ItemDoc::skeleton(
            "出生医学证明首次签发",
            agency,
            ExerciseLevel::County,
            BasicCode::parse("000201001000").expect("valid"),
        )
        .expect("skeleton");
        d.legal_basis = vec![LegalBasis {
            law_name: "中华人民共和国母婴保健法".into(),
            doc_number: String::new(),
            article: "第二十三条".into(),
            text: String::new(),
        }];
        d.acceptance_conditions = "在本区助产机构出生的新生儿".into();
        d.process_steps = vec![ProcessStep {
            name: "受理".into(),
            description: String::new(),
        }];
        d.legal_limit = Some(TimeLimit::working(DayCount::of(20)));
        d.promised_limit = Some(TimeLimit::working(DayCount::of(1)));
        d.location = "区政务服务中心".into();
        d.office_hours = "工作日 9:00-17:00".into();
        d.consult_phone = "0591-87654321".into();
        d.complaint_phone = "12345".into();
        d.result.name = "出生医学证明".into();
        let mut m = Material::new("父母身份证", MaterialType::Certificate);
        m.source = Some(MaterialSource::Applicant);
        m.necessity = Some(Necessity::Required);
        m.submit_form = Some(SubmitForm::Electronic);
        m.acceptance_standard = "原件，在有效期内".into();
        d.materials = vec![m];
        d
    }

    fn run(doc: &ItemDoc, facts: &VersionFacts) -> Vec<Finding> {
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let issued = vec!["出生医学证明".to_string()];
        let ctx = AuditContext {
            today: NaiveDate::from_ymd_opt(2025, 6, 30).expect("date"),
            calendar: &cal,
            issued: &issued,
        };
        audit_item(doc, facts, &ctx)
    }

    fn ids(f: &[Finding]) -> Vec<(&str, &str)> {
        f.iter()
            .map(|f| (f.rule_id.as_str(), f.element.as_str()))
            .collect()
    }

    #[test]
    fn clean_guide_has_no_findings() {
        assert_eq!(ids(&run(&clean_doc(), &VersionFacts::default())), vec![]);
    }

    #[test]
    fn rule_ids_are_unique_and_at_least_twelve() {
        let mut ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
        assert!(RULES.len() >= 12);
    }

    #[test]
    fn each_rule_fires_on_its_defect() {
        type Breaker = Box<dyn Fn(&mut ItemDoc)>;
        let cases: Vec<(&str, &str, Breaker)> = vec![
            (
                "G01",
                "consult_phone",
                Box::new(|d| d.consult_phone.clear()),
            ),
            ("G01", "legal_limit", Box::new(|d| d.legal_limit = None)),
            (
                "G02",
                "promised_limit",
                Box::new(|d| d.promised_limit = Some(TimeLimit::working(DayCount::of(25)))),
            ),
            (
                "G03",
                "promised_limit",
                Box::new(|d| d.promised_limit = None),
            ),
            (
                "G04",
                "fee.basis",
                Box::new(|d| {
                    d.fee.charged = true;
                    d.fee.standard = "每件10元".into();
                }),
            ),
            (
                "G05",
                "legal_basis[0].article",
                Box::new(|d| d.legal_basis[0].article.clear()),
            ),
            (
                "G06",
                "materials[0].source",
                Box::new(|d| d.materials[0].source = None),
            ),
            (
                "G06",
                "materials[0].acceptance_standard",
                Box::new(|d| d.materials[0].acceptance_standard.clear()),
            ),
            (
                "G07",
                "materials[0].data_source",
                Box::new(|d| d.materials[0].exempt = true),
            ),
            (
                "G08",
                "materials[0].exempt",
                Box::new(|d| d.materials[0].source = Some(MaterialSource::Government)),
            ),
            (
                "G09",
                "onsite_visits_explanation",
                Box::new(|d| d.onsite_visits = 2),
            ),
            (
                "G10",
                "onsite_visits",
                Box::new(|d| d.online_depth = OnlineDepth::IV),
            ),
            (
                "G11",
                "consult_phone",
                Box::new(|d| d.consult_phone = "8765-4321".into()),
            ),
            (
                "G12",
                "impl_code",
                Box::new(|d| d.exercise_level = ExerciseLevel::City),
            ),
            (
                "G14",
                "promised_limit.unit",
                Box::new(|d| {
                    d.promised_limit = Some(TimeLimit {
                        days: DayCount::of(3),
                        unit: DayUnit::NaturalDays,
                        explanation: String::new(),
                    });
                }),
            ),
            (
                "G15",
                "result.licence_type",
                Box::new(|d| d.result.result_type = ResultType::Licence),
            ),
            (
                "G16",
                "special_procedures[0].max_days",
                Box::new(|d| {
                    d.special_procedures.push(SpecialProcedure {
                        name: "专家评审".into(),
                        max_days: None,
                    });
                }),
            ),
            (
                "G17",
                "materials[0].copies",
                Box::new(|d| d.materials[0].submit_form = Some(SubmitForm::Paper)),
            ),
            (
                "G18",
                "materials[0].exempt",
                // The catalogue issues 出生医学证明 as an e-certificate (see `run`).
                Box::new(|d| d.materials[0].kind = "出生医学证明".into()),
            ),
        ];
        for (rule_id, element, break_it) in cases {
            let mut d = clean_doc();
            break_it(&mut d);
            let found = run(&d, &VersionFacts::default());
            assert!(
                ids(&found).contains(&(rule_id, element)),
                "{rule_id} on {element}: got {:?}",
                ids(&found)
            );
            let f = found
                .iter()
                .find(|f| f.rule_id == rule_id)
                .expect("present");
            assert_eq!(f.severity, rule(rule_id).expect("known").severity);
            assert!(!f.message_zh.is_empty() && !f.message_en.is_empty());
        }
    }

    #[test]
    fn republish_deadline_counts_working_days() {
        let d = clean_doc();
        // The latest day from which exactly 20 working days have passed by 2025-06-30.
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let today = NaiveDate::from_ymd_opt(2025, 6, 30).expect("date");
        let mut since = today;
        while cal.workdays_between(since, today).expect("covered") < 20 {
            since = since.pred_opt().expect("date");
        }
        let at_limit = VersionFacts {
            pending_draft_since: Some(since),
        };
        assert!(!ids(&run(&d, &at_limit)).contains(&("G13", "version")));
        let over = VersionFacts {
            pending_draft_since: Some(since - chrono::Duration::days(7)),
        };
        assert!(ids(&run(&d, &over)).contains(&("G13", "version")));
    }
}
