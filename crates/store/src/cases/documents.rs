//! What a step issues and says: the numbered documents (受理通知书, 补正告知书,
//! decisions …) with their fixed text, and the notice announcing a step.

use chrono::NaiveDate;
use tongban_domain::case::{CaseFacts, CaseState, Command, Deficiency, DocKind};
use tongban_domain::catalog::ItemDoc;
use tongban_domain::clock::{Deadlines, SuspendReason};

use super::{Case, DocBody, DocMaterial};

pub(crate) fn doc_number(kind: DocKind, case_no: &str, today: NaiveDate) -> String {
    let prefix = match kind {
        DocKind::Receipt => "受字",
        DocKind::CorrectionNotice => "补字",
        DocKind::RefusalDecision => "不受字",
        DocKind::SpecialProcedureNotice => "特字",
        DocKind::ExtensionNotice => "延字",
        DocKind::ApprovalDecision => "准字",
        DocKind::DenialDecision => "不准字",
    };
    format!("{prefix}〔{}〕{case_no}", today.format("%Y"))
}

pub(crate) fn action_zh(action: &str) -> &'static str {
    match action {
        "create" => "创建申请",
        "submit" => "提交申请",
        "accept" => "受理",
        "deemed_accepted" => "逾期未告知，视为受理",
        "request_correction" => "一次性告知补正",
        "supply_correction" => "提交补正材料",
        "refuse" => "不予受理",
        "complete_review" => "审查",
        "suspend" => "中止计时",
        "resume" => "恢复计时",
        "extend" => "延长办理期限",
        "decide" => "作出决定",
        "issue" => "制证",
        "deliver" => "送达并办结",
        "withdraw" => "撤回申请",
        _ => "办理",
    }
}

/// Subject and text of the notice announcing a step of a case.
pub(crate) fn notice_text(
    case: &Case,
    action: &str,
    to: CaseState,
    d: Option<&Deadlines>,
) -> (String, String) {
    let subject = format!(
        "【{}】{}：{}",
        case.case_no,
        case.item_name,
        action_zh(action)
    );
    let mut body = format!(
        "您好，案件{}（{}）已{}，当前状态：{}。",
        case.case_no,
        case.item_name,
        action_zh(action),
        to.zh()
    );
    if let Some(d) = d
        && to.clock_open()
    {
        body.push_str(&format!("承诺办结期限：{}。", d.show(d.promised_due)));
        if let Some(p) = d.provisional_sentence() {
            body.push_str(&p);
        }
    }
    (subject, body)
}

/// The legal basis a document cites for an Art. N step of the 行政许可法: for
/// a 行政许可 that law; for other items no procedural citation (their own law
/// does not say it), except that the decision cites their 设定依据.
fn law(doc: &ItemDoc, article: &str) -> String {
    use tongban_domain::catalog::ItemType;
    if doc.item_type == ItemType::Licensing {
        return format!("根据《中华人民共和国行政许可法》{article}的规定，");
    }
    if article != DECISION_ARTICLE {
        return String::new();
    }
    match doc
        .legal_basis
        .iter()
        .find(|b| !b.law_name.trim().is_empty())
    {
        Some(b) => {
            let name = b
                .law_name
                .trim()
                .trim_start_matches('《')
                .trim_end_matches('》');
            format!("根据《{name}》{}的规定，", b.article.trim())
        }
        None => String::new(),
    }
}

/// The article of the 行政许可法 a decision rests on.
const DECISION_ARTICLE: &str = "第三十八条第一款";

/// The words of the outcome: 准予行政许可 only for a 行政许可.
fn granted(doc: &ItemDoc, yes: bool) -> &'static str {
    let licensing = doc.item_type == tongban_domain::catalog::ItemType::Licensing;
    match (licensing, yes) {
        (true, true) => "准予行政许可",
        (true, false) => "不予行政许可",
        (false, true) => "准予办理",
        (false, false) => "不予办理",
    }
}

/// The content of a document issued now.
pub(crate) fn document_body(
    kind: DocKind,
    case: &Case,
    doc: &ItemDoc,
    facts: &CaseFacts,
    cmd: &Command,
    d: Option<&Deadlines>,
    today: NaiveDate,
) -> DocBody {
    let mut p = Vec::new();
    let mut materials = Vec::new();
    let item = &case.item_name;
    let received = case
        .received_on
        .map(|d| d.to_string())
        .unwrap_or_else(|| today.to_string());
    match (kind, cmd) {
        (DocKind::Receipt, _) if d.is_some_and(|d| d.accepted_on < today) => {
            let on = d.map(|d| d.accepted_on).unwrap_or(today);
            p.push(format!(
                "您于{on}提交的{item}申请材料，本机关未在收到申请材料之日起五个工作日内一次告知需要补正的全部内容。{}自收到申请材料之日起即为受理。", law(doc, "第三十二条")
            ));
            if let Some(d) = d {
                p.push(format!(
                    "受理日期：{}。法定办结期限：{}；承诺办结期限：{}。",
                    d.accepted_on,
                    d.show(d.legal_due),
                    d.show(d.promised_due)
                ));
            }
            p.push(format!(
                "案件编号：{}；查询码：{}。可凭案件编号和查询码在“办件查询”中查看办理进度。",
                case.case_no, case.verify_code
            ));
        }
        (DocKind::Receipt, _) => {
            p.push(format!(
                "您于{received}提出的{item}申请，经审查，申请材料齐全、符合法定形式，{}决定予以受理。", law(doc, "第三十二条")
            ));
            if let Some(d) = d {
                p.push(format!(
                    "受理日期：{}。法定办结期限：{}；承诺办结期限：{}。",
                    d.accepted_on,
                    d.show(d.legal_due),
                    d.show(d.promised_due)
                ));
            }
            p.push(format!(
                "案件编号：{}；查询码：{}。可凭案件编号和查询码在“办件查询”中查看办理进度。",
                case.case_no, case.verify_code
            ));
        }
        (
            DocKind::CorrectionNotice,
            Command::RequestCorrection {
                deficiencies,
                fields,
            },
        ) => {
            p.push(format!(
                "您于{received}提出的{item}申请，申请材料不齐全或者不符合法定形式。{}现一次性告知需要补正的全部内容如下：", law(doc, "第三十二条")
            ));
            materials = deficiency_lines(facts, deficiencies);
            for x in fields {
                let label = facts
                    .form_fields
                    .iter()
                    .find(|(k, _)| *k == x.field)
                    .map(|(_, l)| l.clone())
                    .unwrap_or_else(|| x.field.clone());
                materials.push(DocMaterial {
                    name: format!("申请信息：{label}"),
                    problem: "填写有误，需更正".into(),
                    standard: String::new(),
                    note: x.note.trim().to_string(),
                });
            }
            p.push("请按上述要求补正后重新提交。补正材料提交后，窗口将重新审查受理。".into());
        }
        (DocKind::CorrectionNotice, _) => {
            p.push(format!(
                "您申请的{item}，在审查过程中需要补正材料，自本告知书发出之日起中止计算办理期限，补正材料提交后恢复计算。"
            ));
            if let Command::Suspend {
                note, materials: m, ..
            } = cmd
            {
                materials = m
                    .iter()
                    .filter_map(|i| facts.materials.get(*i))
                    .map(|x| DocMaterial {
                        name: x.name.clone(),
                        problem: "需补交".into(),
                        standard: x.acceptance_standard.clone(),
                        note: String::new(),
                    })
                    .collect();
                if !materials.is_empty() {
                    p.push("请补交以下材料：".into());
                }
                if !note.trim().is_empty() {
                    p.push(format!("需要补正的内容：{}", note.trim()));
                }
            }
        }
        (
            DocKind::RefusalDecision,
            Command::Refuse {
                reason,
                competent_agency,
            },
        ) => {
            p.push(format!(
                "您于{received}提出的{item}申请，经审查，决定不予受理。"
            ));
            p.push(format!("理由：{}", reason.trim()));
            if !competent_agency.trim().is_empty() {
                p.push(format!(
                    "该申请事项依法应向{}提出申请。",
                    competent_agency.trim()
                ));
            }
            p.push("如不服本决定，可依法申请行政复议或者提起行政诉讼。".into());
        }
        (DocKind::SpecialProcedureNotice, Command::Suspend { reason, note, .. }) => {
            let name = match reason {
                SuspendReason::SpecialProcedure(n) => n.clone(),
                SuspendReason::Correction => "补正".into(),
            };
            p.push(format!(
                "您申请的{item}，需要进行{name}。{}{name}所需时间不计算在办理期限内，自{today}起中止计算办理期限，{name}结束后恢复计算。", law(doc, "第四十五条")
            ));
            if !note.trim().is_empty() {
                p.push(format!("说明：{}", note.trim()));
            }
        }
        (DocKind::ExtensionNotice, Command::Extend { days, reason }) => {
            p.push(format!(
                "您申请的{item}，因{}，不能在规定期限内作出决定。经本行政机关负责人批准，{}办理期限延长{days}个工作日。",
                reason.trim(),
                law(doc, "第四十二条")
            ));
            if let Some(d) = d {
                p.push(format!(
                    "延长后法定办结期限：{}；承诺办结期限：{}。",
                    d.show(d.legal_due),
                    d.show(d.promised_due)
                ));
            }
        }
        (DocKind::ApprovalDecision, Command::Decide { reason, .. }) => {
            p.push(format!(
                "您提出的{item}申请，经审查，符合法定条件、标准，{}决定{}。",
                law(doc, DECISION_ARTICLE),
                granted(doc, true)
            ));
            p.push(format!("理由：{}", reason.trim()));
            if let Some((c, d)) = d.and_then(|d| d.certificate_due.map(|c| (c, d))) {
                let c = d.show(c);
                let licensing = doc.item_type == tongban_domain::catalog::ItemType::Licensing;
                p.push(format!(
                    "{}（{}）将于{c}前颁发、送达{}。",
                    if licensing {
                        "许可证件"
                    } else {
                        "办理结果"
                    },
                    if doc.result.name.is_empty() {
                        "办理结果"
                    } else {
                        doc.result.name.as_str()
                    },
                    if licensing {
                        "（行政许可法第四十四条）"
                    } else {
                        ""
                    }
                ));
            }
        }
        (DocKind::DenialDecision, Command::Decide { reason, .. }) => {
            p.push(format!(
                "您提出的{item}申请，经审查，决定{}。",
                granted(doc, false)
            ));
            p.push(format!("理由：{}", reason.trim()));
            p.push("如不服本决定，可自收到本决定书之日起六十日内依法申请行政复议，或者六个月内依法提起行政诉讼。".into());
        }
        _ => p.push(format!("{}：{item}", kind.zh())),
    }
    if let Some(d) = d
        && p.iter().any(|x| x.contains("（暂定）"))
        && let Some(s) = d.provisional_sentence()
    {
        p.push(s);
    }
    DocBody {
        // A decision's title says what it decides: 行政许可 only for a 行政许可.
        title: match kind {
            DocKind::ApprovalDecision | DocKind::DenialDecision
                if doc.item_type != tongban_domain::catalog::ItemType::Licensing =>
            {
                format!("{}决定书", granted(doc, kind == DocKind::ApprovalDecision))
            }
            _ => kind.zh().into(),
        },
        addressee: case.applicant_name.clone(),
        case_no: case.case_no.clone(),
        item_name: item.clone(),
        paragraphs: p,
        materials,
        issuer: doc.agency.name.clone(),
        date: today,
    }
}

fn deficiency_lines(facts: &CaseFacts, list: &[Deficiency]) -> Vec<DocMaterial> {
    list.iter()
        .filter_map(|d| {
            facts.materials.get(d.material).map(|m| DocMaterial {
                name: m.name.clone(),
                problem: d.problem.zh().into(),
                standard: m.acceptance_standard.clone(),
                note: d.note.trim().to_string(),
            })
        })
        .collect()
}
