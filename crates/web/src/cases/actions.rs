//! The case page's action form: parsed into a case command and applied
//! (through group commit), or the page again with what was wrong.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tongban_domain::FieldError;
use tongban_domain::case::{Command, Deficiency, Problem};
use tongban_domain::clock::SuspendReason;
use tongban_store::StoreError;

use super::page::render_case;
use crate::AppState;
use crate::chrome::{Page, posted, store_err};

/// Parses the action form of the case page into a command.
fn command_from_form(f: &[(String, String)]) -> Result<Command, FieldError> {
    let get = |k: &str| {
        f.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let action = get("action");
    Ok(match action.as_str() {
        "submit" => Command::Submit,
        "accept" => Command::Accept,
        "request_correction" => {
            let mut list = Vec::new();
            for (k, v) in f {
                if let Some(idx) = k.strip_prefix("problem_")
                    && let Ok(i) = idx.parse::<usize>()
                {
                    // Nothing is preselected: each line is checked by a person.
                    let problem = match v.as_str() {
                        "missing" => Problem::Missing,
                        "defective" => Problem::Defective,
                        "ok" => continue,
                        _ => {
                            return Err(FieldError::new(
                                k.clone(),
                                "unchecked",
                                format!(
                                    "第{}项材料尚未核对：请选择“符合”“缺少”或“不符合法定形式”",
                                    i + 1
                                ),
                                format!(
                                    "document {} is not checked yet: choose OK, missing or not in legal form",
                                    i + 1
                                ),
                            ));
                        }
                    };
                    list.push(Deficiency {
                        material: i,
                        problem,
                        note: get(&format!("note_{i}")),
                    });
                }
            }
            // Form fields to correct: a ticked `fix_<key>` with its note.
            let fields = f
                .iter()
                .filter_map(|(k, v)| {
                    let key = k.strip_prefix("fix_")?;
                    (v == "on").then(|| tongban_domain::case::FieldFix {
                        field: key.to_string(),
                        note: get(&format!("fixnote_{key}")),
                    })
                })
                .collect();
            Command::RequestCorrection {
                deficiencies: list,
                fields,
            }
        }
        "supply_correction" => Command::SupplyCorrection,
        "refuse" => Command::Refuse {
            reason: get("reason"),
            competent_agency: get("competent_agency"),
        },
        "complete_review" => Command::CompleteReview {
            agree: match get("agree").as_str() {
                "yes" => true,
                "no" => false,
                _ => {
                    return Err(FieldError::new(
                        "agree",
                        "required",
                        "请选择审查结论：同意或不同意",
                        "choose the conclusion: agree or disagree",
                    ));
                }
            },
            opinion: get("opinion"),
        },
        "suspend" => {
            let p = get("procedure");
            Command::Suspend {
                reason: if p == "补正" || p == "correction" {
                    SuspendReason::Correction
                } else {
                    SuspendReason::SpecialProcedure(p)
                },
                note: get("note"),
                // A correction names the materials to supply again (`ask_<index>`).
                materials: f
                    .iter()
                    .filter(|(_, v)| v == "on")
                    .filter_map(|(k, _)| k.strip_prefix("ask_")?.parse().ok())
                    .collect(),
            }
        }
        "resume" => Command::Resume,
        "extend" => Command::Extend {
            days: get("days").parse().map_err(|_| {
                FieldError::new(
                    "days",
                    "invalid",
                    "请填写延长的工作日数",
                    "enter the number of working days",
                )
            })?,
            reason: get("reason"),
        },
        "decide" => Command::Decide {
            approve: match get("approve").as_str() {
                "yes" => true,
                "no" => false,
                _ => {
                    return Err(FieldError::new(
                        "approve",
                        "required",
                        "请选择决定：准予或不予",
                        "choose the decision: approve or deny",
                    ));
                }
            },
            reason: get("reason"),
        },
        "issue" => Command::Issue,
        "deliver" => Command::Deliver {
            method: get("method"),
        },
        "withdraw" => Command::Withdraw {
            reason: get("reason"),
        },
        _ => {
            return Err(FieldError::new(
                "action",
                "invalid",
                "未知的操作",
                "unknown action",
            ));
        }
    })
}

/// One value of a posted form ("" when absent).
fn form_value(f: &[(String, String)], key: &str) -> String {
    f.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// The case page again after a refusal: the reasons at their fields
/// (422), or a conflict named at `field` (409).
async fn refused(
    s: &AppState,
    page: &Page,
    actor: &tongban_domain::auth::Actor,
    id: i64,
    field: &str,
    e: StoreError,
) -> Result<Response, Response> {
    let (status, errs) = match e {
        StoreError::Invalid(errs) => (StatusCode::UNPROCESSABLE_ENTITY, errs.0),
        StoreError::Conflict { zh, en } => (
            StatusCode::CONFLICT,
            vec![FieldError::new(field, "conflict", zh, en)],
        ),
        e => return Err(store_err(page, e)),
    };
    render_case(s, page, actor, id, errs, String::new())
        .await
        .map(|r| (status, r).into_response())
}

pub(super) async fn act_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let actor = posted(&page, &form_value(&f, "csrf"))?;
    let version = f
        .iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.parse::<i64>().ok());
    let cmd = match command_from_form(&f) {
        Ok(c) => c,
        Err(e) => {
            return render_case(&s, &page, &actor, id, vec![e], String::new())
                .await
                .map(|r| (StatusCode::UNPROCESSABLE_ENTITY, r).into_response());
        }
    };
    let submitting = cmd == Command::Submit;
    // The form's action, known once the command parsed: the message says it.
    let action = form_value(&f, "action").trim().to_string();
    match s.case_command(&actor, id, version, cmd).await {
        Ok(_) if submitting => Ok(Redirect::to(&format!("/cases/{id}/submitted")).into_response()),
        Ok(_) => Ok(Redirect::to(&format!(
            "/cases/{id}?done={}",
            crate::chrome::url_encode(&action)
        ))
        .into_response()),
        Err(e) => refused(&s, &page, &actor, id, "action", e).await,
    }
}

/// The applicant corrects the form entries the correction notice named
/// (`form.<key>` fields, as on the application form).
pub(super) async fn correct_form_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let actor = posted(&page, &form_value(&f, "csrf"))?;
    let values: std::collections::BTreeMap<String, String> = f
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("form.").map(|k| (k.to_string(), v.clone())))
        .collect();
    match s.store.correct_form(&actor, id, &values).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/cases/{id}?done={}",
            if actor.role == tongban_domain::auth::Role::Clerk {
                "correct_form_window"
            } else {
                "correct_form"
            }
        ))
        .into_response()),
        Err(e) => refused(&s, &page, &actor, id, "form", e).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn nothing_is_preselected_each_outcome_is_chosen() {
        // A checklist line left unchecked is refused at that line.
        let e = command_from_form(&form(&[
            ("action", "request_correction"),
            ("problem_0", "ok"),
            ("problem_1", ""),
        ]))
        .expect_err("unchecked line");
        assert_eq!(e.field, "problem_1");
        // No conclusion, no decision: refused, never taken as 同意 / 准予.
        let e = command_from_form(&form(&[("action", "complete_review"), ("opinion", "x")]))
            .expect_err("no conclusion");
        assert_eq!(e.field, "agree");
        let e = command_from_form(&form(&[("action", "decide"), ("reason", "x")]))
            .expect_err("no decision");
        assert_eq!(e.field, "approve");
        assert_eq!(
            command_from_form(&form(&[
                ("action", "decide"),
                ("approve", "no"),
                ("reason", "x")
            ])),
            Ok(Command::Decide {
                approve: false,
                reason: "x".into()
            })
        );
    }

    #[test]
    fn correction_form_lists_every_marked_material() {
        let cmd = command_from_form(&form(&[
            ("action", "request_correction"),
            ("problem_0", "ok"),
            ("problem_1", "missing"),
            ("problem_3", "defective"),
            ("note_3", "复印件不清晰"),
        ]))
        .expect("parses");
        assert_eq!(
            cmd,
            Command::RequestCorrection {
                deficiencies: vec![
                    Deficiency {
                        material: 1,
                        problem: Problem::Missing,
                        note: String::new()
                    },
                    Deficiency {
                        material: 3,
                        problem: Problem::Defective,
                        note: "复印件不清晰".into()
                    },
                ],
                fields: vec![]
            }
        );
        assert!(command_from_form(&form(&[("action", "explode")])).is_err());
        assert!(command_from_form(&form(&[("action", "extend"), ("days", "ten")])).is_err());
    }

    #[test]
    fn suspension_for_correction_is_not_a_special_procedure() {
        assert_eq!(
            command_from_form(&form(&[("action", "suspend"), ("procedure", "补正")])),
            Ok(Command::Suspend {
                reason: SuspendReason::Correction,
                note: String::new(),
                materials: vec![],
            })
        );
    }
}
