//! The case core: one writer for every transition, observed by the
//! capabilities. The same script of commands — intake, corrections,
//! reviews, suspension, extension, decisions, 制证 with certificates,
//! delivery, refusals, a withdrawal, a deemed acceptance, 秒批 with its
//! lookups and a 免申即享 policy, and a bundle's six sub-cases — is written
//! once command by command and once in batches (each round's commands
//! group-committed together), and the two databases must hold the same rows.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use tongban_domain::auth::Actor;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{Command, Deficiency, Problem};
use tongban_domain::clock::SuspendReason;
use tongban_store::attachments::Attachments;
use tongban_store::cases::{Job, NewCase, StepBy};
use tongban_store::{Store, StoreError};

use crate::helpers::{actor, map, ready_newborn};

mod differential;
mod observers;

/// 公共场所卫生许可 (卫健局): four materials, one review.
const ITEM: &str = "11339901MB000000114010103001000";
/// 城乡居民基本医疗保险参保登记: 秒批 from the registers.
const MEDICAL: &str = "11339901MB000000374080301001000";

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).expect("date")
}

/// What the script refers to, the same in both databases (created in the
/// same order, so with the same ids).
struct World {
    /// Applications of `ITEM`, drafts with their materials uploaded.
    item: Vec<i64>,
    /// 秒批 drafts: the first agrees with the registers, the second does not.
    medical: Vec<i64>,
    /// The newborn bundle's sub-cases, accepted at the window.
    subs: Vec<(i64, String)>,
}

async fn world(store: &Store) -> World {
    tongban_store::demo::load_demo(store).await.expect("demo");
    let files = Attachments::in_memory();
    let applicant = actor(store, "applicant").await;
    let mut item = Vec::new();
    for i in 0..7 {
        let c = store
            .create_case(
                &applicant,
                ITEM,
                NewCase {
                    form: map(&[
                        ("venue_name", &format!("场所{i}")),
                        ("venue_address", "一路1号"),
                        ("area", "100"),
                        ("venue_type", "住宿场所"),
                    ]),
                    ..Default::default()
                },
            )
            .await
            .expect("case");
        for m in 0..4 {
            store
                .upload(&files, &applicant, c.id, m, "m.pdf", b"%PDF-1.4 x".to_vec())
                .await
                .expect("upload");
        }
        item.push(c.id);
    }
    let mut medical = Vec::new();
    for baby in ["张小宝", "张大宝"] {
        let c = store
            .create_case(
                &applicant,
                MEDICAL,
                NewCase {
                    form: map(&[
                        ("baby_name", baby),
                        ("birth_date", "2026-02-20"),
                        ("guardian_name", "张三"),
                        ("phone", "13800000000"),
                    ]),
                    ..Default::default()
                },
            )
            .await
            .expect("medical");
        medical.push(c.id);
    }
    // The newborn bundle, submitted and taken in as a whole (bundle
    // operations, the same in both databases).
    let b = ready_newborn(store, &files, &applicant, "diff").await;
    let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
    store
        .submit_bundle(&applicant, b.id, &cal, day())
        .await
        .expect("bundle submitted");
    let clerk = actor(store, "clerk").await;
    let rec = store
        .accept_bundle(&clerk, b.id, &cal, day())
        .await
        .expect("bundle accepted");
    let subs = rec
        .sub_cases
        .iter()
        .map(|c| (c.id, c.lead_department_name.clone()))
        .collect();
    World {
        item,
        medical,
        subs,
    }
}

/// One command of the script.
enum Act {
    /// `user` gives `cmd` on a case.
    Cmd(&'static str, i64, Command),
    /// The applicant submits a 秒批 draft (lookups and rules first).
    Instant(i64),
    /// The intake sweep finds the case left 5 working days without a notice.
    Deemed(i64),
    /// `user` gives `cmd` on the case as it stood when the round began (its
    /// version then): a second such command on one case in a round is stale.
    AtVersion(&'static str, i64, Command),
    /// The applicant uploads a file for a material (no step: before the
    /// round's commands run).
    Upload(i64, usize),
}

/// The reviewer and head of a sub-case's department.
fn staff_of(department: &str) -> (&'static str, &'static str) {
    [
        ("卫生健康", "reviewer", "head"),
        ("公安", "reviewer_ga", "head_ga"),
        ("医疗保障", "reviewer_yb", "head_yb"),
        ("人力资源", "reviewer_rs", "head_rs"),
    ]
    .into_iter()
    .find(|(d, _, _)| department.contains(d))
    .map(|(_, r, h)| (r, h))
    .unwrap_or(("reviewer", "head"))
}

fn review(agree: bool) -> Command {
    Command::CompleteReview {
        agree,
        opinion: "审查意见".into(),
    }
}

fn decide(approve: bool) -> Command {
    Command::Decide {
        approve,
        reason: "依法决定".into(),
    }
}

fn deliver() -> Command {
    Command::Deliver {
        method: "邮寄".into(),
    }
}

/// The rounds: what a busy centre's staff do at about the same moment.
fn script(w: &World) -> Vec<Vec<Act>> {
    use Act::*;
    let [a, b, c, d, e, f, g] = w.item[..] else {
        panic!("seven applications");
    };
    // Each sub-case's own steps, by its department; the first two stop
    // for corrections first (two combined correction notices when they
    // come one after the other), so they end two rounds later. The first
    // sub-case issues the 出生医学证明 the others await: they are reviewed
    // while it is corrected and decided after its 制证 (round 4).
    let denied = |dept: &str| dept.contains("人力资源");
    let mut sub_rounds: Vec<Vec<Act>> = Vec::new();
    for (n, (id, dept)) in w.subs.iter().enumerate() {
        let (r, h) = staff_of(dept);
        let mut steps = Vec::new();
        if n < 2 {
            steps.push(Some(Cmd(
                r,
                *id,
                Command::Suspend {
                    reason: SuspendReason::Correction,
                    note: "请补正出生医学证明".into(),
                    materials: vec![],
                },
            )));
            steps.push(Some(Cmd("applicant", *id, Command::SupplyCorrection)));
        }
        steps.push(Some(Cmd(r, *id, review(!denied(dept)))));
        // Idle rounds: the decision comes after the issuer's 制证 (round 4).
        let idle = match n {
            0 => 0,
            1 => 2,
            _ => 4,
        };
        steps.extend((0..idle).map(|_| None));
        steps.push(Some(Cmd(h, *id, decide(!denied(dept)))));
        if !denied(dept) {
            steps.push(Some(Cmd(r, *id, Command::Issue)));
        }
        steps.push(Some(Cmd("clerk", *id, deliver())));
        for (i, step) in steps.into_iter().enumerate() {
            if sub_rounds.len() <= i {
                sub_rounds.push(Vec::new());
            }
            if let Some(step) = step {
                sub_rounds[i].push(step);
            }
        }
    }
    let mut rounds = vec![
        {
            let mut r: Vec<Act> = [a, b, c, d, e, f, g]
                .iter()
                .map(|id| Cmd("applicant", *id, Command::Submit))
                .collect();
            r.push(Instant(w.medical[0]));
            r.push(Instant(w.medical[1]));
            // Refused: the department does not see the case before it is
            // accepted (not found); the others go on.
            r.push(Cmd("head", b, decide(true)));
            r
        },
        vec![
            Cmd("clerk", a, Command::Accept),
            Cmd("clerk", b, Command::Accept),
            Cmd("clerk", c, Command::Accept),
            Cmd(
                "clerk",
                d,
                Command::RequestCorrection {
                    deficiencies: vec![Deficiency {
                        material: 0,
                        problem: Problem::Defective,
                        note: "请重新扫描".into(),
                    }],
                    fields: vec![],
                },
            ),
            Cmd(
                "clerk",
                e,
                Command::Refuse {
                    reason: "不属于本机关职权范围".into(),
                    competent_agency: "市卫健委".into(),
                },
            ),
            Cmd(
                "applicant",
                f,
                Command::Withdraw {
                    reason: "不再需要".into(),
                },
            ),
            Deemed(g),
            // Twice the same: the second is refused (already accepted).
            Cmd("clerk", a, Command::Accept),
        ],
        vec![
            // What the notice named is supplied, then the corrections are.
            Upload(d, 0),
            Cmd("applicant", d, Command::SupplyCorrection),
            Cmd("reviewer", a, review(true)),
            // The same case again in the same round, after its review.
            Cmd("head", a, decide(true)),
            Cmd("reviewer", b, review(true)),
            Cmd(
                "reviewer",
                c,
                Command::Suspend {
                    reason: SuspendReason::SpecialProcedure("专家评审".into()),
                    note: "组织专家评审".into(),
                    materials: vec![],
                },
            ),
            AtVersion("reviewer", g, review(false)),
            // Given on the version the reviewer also saw: refused as stale.
            AtVersion("head", g, decide(false)),
        ],
        vec![
            Cmd("clerk", d, Command::Accept),
            Cmd("reviewer", c, Command::Resume),
            Cmd(
                "head",
                b,
                Command::Extend {
                    days: 5,
                    reason: "需要现场核查".into(),
                },
            ),
            Cmd("head", g, decide(false)),
            Cmd("reviewer", a, Command::Issue),
        ],
        vec![
            Cmd("reviewer", c, review(true)),
            Cmd("head", b, decide(false)),
            Cmd("reviewer", d, review(true)),
            Cmd("clerk", a, deliver()),
            Cmd("clerk", g, deliver()),
        ],
        vec![
            Cmd("head", c, decide(true)),
            Cmd("head", d, decide(true)),
            Cmd("clerk", b, deliver()),
        ],
        vec![
            Cmd("reviewer", c, Command::Issue),
            Cmd("reviewer", d, Command::Issue),
        ],
        vec![Cmd("clerk", c, deliver()), Cmd("clerk", d, deliver())],
    ];
    for (i, r) in sub_rounds.into_iter().enumerate() {
        if rounds.len() <= i {
            rounds.push(Vec::new());
        }
        rounds[i].extend(r);
    }
    rounds
}

async fn jobs_of(store: &Store, round: &[Act], cal: &Arc<WorkCalendar>) -> Vec<Job> {
    let mut users: BTreeMap<&str, Actor> = BTreeMap::new();
    let mut jobs = Vec::new();
    for act in round {
        let job = match act {
            Act::Cmd(user, id, cmd) => {
                if !users.contains_key(user) {
                    users.insert(user, actor(store, user).await);
                }
                Job::command(&users[user], *id, None, cmd.clone(), cal.clone(), day())
            }
            Act::Instant(id) => {
                let applicant = actor(store, "applicant").await;
                store
                    .prepare_submit(&applicant, *id, None, cal.clone(), day())
                    .await
                    .expect("prepared")
            }
            Act::AtVersion(user, id, cmd) => {
                if !users.contains_key(user) {
                    users.insert(user, actor(store, user).await);
                }
                let seen = store.unmasked_case(*id).await.expect("case").version;
                Job::command(
                    &users[user],
                    *id,
                    Some(seen),
                    cmd.clone(),
                    cal.clone(),
                    day(),
                )
            }
            Act::Deemed(id) => Job::system(
                *id,
                StepBy::DeemedAcceptance,
                cal.clone(),
                day() + chrono::Days::new(14),
            ),
            Act::Upload(id, m) => {
                let applicant = actor(store, "applicant").await;
                store
                    .upload(
                        &Attachments::in_memory(),
                        &applicant,
                        *id,
                        *m,
                        "rescan.pdf",
                        b"%PDF-1.4 rescan".to_vec(),
                    )
                    .await
                    .expect("upload");
                continue;
            }
        };
        jobs.push(job);
    }
    jobs
}

/// What a command came to, comparable across databases.
fn outcome(r: &Result<tongban_store::cases::Applied, StoreError>) -> String {
    match r {
        Ok(a) => format!("ok {} v{}", a.state.as_str(), a.version),
        Err(StoreError::Conflict { en, .. }) => format!("conflict {en}"),
        Err(StoreError::Forbidden(d)) => format!("forbidden {}", d.en()),
        Err(StoreError::Invalid(f)) => format!("invalid {f}"),
        Err(StoreError::NotFound(w)) => format!("not found {w}"),
        Err(e) => format!("error {e}"),
    }
}

/// Runs the script: each command alone, or each round in one batch.
async fn run(store: &Store, w: &World, batched: bool) -> Vec<Vec<String>> {
    let cal = Arc::new(WorkCalendar::builtin_with(&[]).expect("calendar"));
    let mut out = Vec::new();
    for round in script(w) {
        let jobs = jobs_of(store, &round, &cal).await;
        let results = if batched {
            store.run_jobs(&jobs).await
        } else {
            let mut v = Vec::new();
            for job in jobs {
                v.push(store.run_job(job).await);
            }
            v
        };
        out.push(results.iter().map(outcome).collect());
    }
    out
}

/// Pairs of fresh stores per backend, one for each mode.
async fn pairs(test: &str) -> Vec<(String, Store, Store)> {
    let a = tongban_store::testing::stores(&format!("{test}_a")).await;
    let b = tongban_store::testing::stores(&format!("{test}_b")).await;
    a.into_iter()
        .zip(b)
        .map(|((backend, one), (_, two))| (backend, one, two))
        .collect()
}
