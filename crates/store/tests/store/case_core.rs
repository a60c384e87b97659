//! The case core: one writer for every transition, observed by the
//! capabilities. The same script of commands — intake, corrections,
//! reviews, suspension, extension, decisions, 制证 with certificates,
//! delivery, refusals, a withdrawal, a deemed acceptance, 秒批 with its
//! lookups and a 免申即享 policy, and a bundle's six sub-cases — is written
//! once command by command and once in batches (each round's commands
//! group-committed together), and the two databases must hold the same rows.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use tongban_domain::auth::Actor;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{Command, Deficiency, Problem};
use tongban_domain::clock::SuspendReason;
use tongban_store::attachments::Attachments;
use tongban_store::cases::{CaseEventKind, CaseObserver, Effects, Job, NewCase, StepBy, StepEvent};
use tongban_store::sea_orm_conn::ConnectionTrait;
use tongban_store::{Store, StoreError, WriteTxn};

use crate::helpers::{actor, map, ready_newborn};

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
    // come one after the other), so they end two rounds later.
    let denied = |dept: &str| dept.contains("人力资源");
    let mut sub_rounds: Vec<Vec<Act>> = Vec::new();
    for (n, (id, dept)) in w.subs.iter().enumerate() {
        let (r, h) = staff_of(dept);
        let mut steps = Vec::new();
        if n < 2 {
            steps.push(Cmd(
                r,
                *id,
                Command::Suspend {
                    reason: SuspendReason::Correction,
                    note: "请补正出生医学证明".into(),
                },
            ));
            steps.push(Cmd("applicant", *id, Command::SupplyCorrection));
        }
        steps.push(Cmd(r, *id, review(!denied(dept))));
        steps.push(Cmd(h, *id, decide(!denied(dept))));
        if !denied(dept) {
            steps.push(Cmd(r, *id, Command::Issue));
        }
        steps.push(Cmd("clerk", *id, deliver()));
        for (i, step) in steps.into_iter().enumerate() {
            if sub_rounds.len() <= i {
                sub_rounds.push(Vec::new());
            }
            sub_rounds[i].push(step);
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
            // Refused: nothing to decide yet; the others go on.
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
                },
            ),
            Cmd("reviewer", g, review(false)),
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
            Act::Deemed(id) => Job::system(
                *id,
                StepBy::DeemedAcceptance,
                cal.clone(),
                day() + chrono::Days::new(14),
            ),
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

/// Rows of a table as text, `cols` being SQL expressions.
async fn rows(store: &Store, table: &str, cols: &[&str], order: &str) -> Vec<Vec<String>> {
    let select: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| format!("CAST(({c}) AS TEXT) AS c{i}"))
        .collect();
    let sql = format!("SELECT {} FROM {table} {order}", select.join(", "));
    let found = store
        .conn()
        .query_all_raw(sea_orm::Statement::from_string(
            store.backend(),
            sql.clone(),
        ))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    found
        .iter()
        .map(|r| {
            (0..cols.len())
                .map(|i| {
                    r.try_get::<Option<String>>("", &format!("c{i}"))
                        .unwrap_or_else(|e| panic!("{table} c{i}: {e}"))
                        .unwrap_or_else(|| "∅".into())
                })
                .collect()
        })
        .collect()
}

/// A certificate's signed body without its identifier (whose tail is random).
fn without_licence_id(body: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(body).expect("certificate body");
    if let Some(m) = v.as_object_mut() {
        m.remove("licence_id");
    }
    v.to_string()
}

/// Everything the script wrote, table by table, column by column — except
/// row ids, times and what is random by design (verification codes,
/// certificate identifiers' tails, signatures, hashes over times). A
/// reference to another row is compared as what it refers to.
async fn snapshot(store: &Store) -> BTreeMap<&'static str, Vec<Vec<String>>> {
    let mut s = BTreeMap::new();
    s.insert(
        "cases",
        rows(
            store,
            "cases",
            &[
                "id",
                "case_no",
                "state",
                "version",
                "approved",
                "form",
                "clock",
                "tasks",
                "co_reviewers",
                "received_on",
                "accepted_on",
                "legal_due",
                "promised_due",
                "decided_on",
                "certificate_due",
                "bundle_case_id",
                "waived",
                "promise_cap_days",
            ],
            "ORDER BY id",
        )
        .await,
    );
    s.insert(
        "case_events",
        rows(
            store,
            "case_events e",
            &[
                "case_id",
                "actor_id",
                "actor_name",
                "action",
                "from_state",
                "to_state",
                "details",
                "(SELECT d.number FROM case_documents d WHERE d.id = e.document_id)",
            ],
            "ORDER BY case_id, id",
        )
        .await,
    );
    // A receipt states the case's verification code, random by design.
    let codes: BTreeMap<String, String> = rows(store, "cases", &["id", "verify_code"], "")
        .await
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    let mut docs = rows(
        store,
        "case_documents",
        &["case_id", "kind", "number", "body", "created_by"],
        "ORDER BY case_id, id",
    )
    .await;
    for r in &mut docs {
        if let Some(code) = codes.get(&r[0]) {
            r[3] = r[3].replace(code.as_str(), "«查询码»");
        }
    }
    s.insert("case_documents", docs);
    s.insert(
        "case_tasks",
        rows(
            store,
            "case_tasks",
            &["case_id", "department_id", "seq", "status"],
            "ORDER BY case_id, seq",
        )
        .await,
    );
    let mut certs = rows(
        store,
        "certificates",
        &[
            "case_id",
            "department_id",
            "holder_code",
            "type_name",
            "key_id",
            "revoked_at",
            "body",
        ],
        "ORDER BY case_id, id",
    )
    .await;
    for r in &mut certs {
        r[6] = without_licence_id(&r[6]);
    }
    s.insert("certificates", certs);
    s.insert(
        "case_fetches",
        rows(
            store,
            "case_fetches",
            &[
                "case_id",
                "source_key",
                "source_name",
                "outcome",
                "fields",
                "data",
                "message",
                "attempts",
                "retry_at IS NULL",
            ],
            "ORDER BY case_id, id",
        )
        .await,
    );
    s.insert(
        "case_decisions",
        rows(
            store,
            "case_decisions",
            &[
                "case_id",
                "item_version_id",
                "outcome",
                "reasons",
                "inputs",
                "trace",
                "mismatches",
                "automatic",
            ],
            "ORDER BY case_id, id",
        )
        .await,
    );
    s.insert(
        "policy_matches",
        rows(
            store,
            "policy_matches",
            &["policy_id", "subject_code", "case_id"],
            "ORDER BY policy_id, subject_code",
        )
        .await,
    );
    s.insert(
        "bundle_cases",
        rows(
            store,
            "bundle_cases",
            &["id", "bundle_no", "status", "state", "version"],
            "ORDER BY id",
        )
        .await,
    );
    s.insert(
        "bundle_notices",
        rows(
            store,
            "bundle_notices",
            &["bundle_case_id", "kind", "number", "body"],
            "ORDER BY bundle_case_id, id",
        )
        .await,
    );
    // Notices, mail and the trail interleave cases differently when
    // batched: compared as sets of rows (each row with its count).
    let mut sorted = |name: &'static str, mut v: Vec<Vec<String>>| {
        v.sort();
        s.insert(name, v);
    };
    sorted(
        "notifications",
        rows(
            store,
            "notifications",
            &[
                "user_id",
                "case_id",
                "bundle_case_id",
                "subject",
                "body",
                "read_at IS NULL",
            ],
            "",
        )
        .await,
    );
    sorted(
        "outbox",
        rows(
            store,
            "outbox",
            &["to_addr", "subject", "body", "attempts", "sent_at"],
            "",
        )
        .await,
    );
    let mut trail = rows(
        store,
        "audit_trail",
        &["actor_id", "action", "object", "details"],
        "",
    )
    .await;
    for r in &mut trail {
        if r[2].starts_with("certificate:") {
            r[2] = "certificate:…".into();
        }
    }
    sorted("audit_trail", trail);
    s
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

#[tokio::test]
async fn batched_commands_write_exactly_the_rows_of_commands_one_by_one() {
    for (backend, alone, together) in pairs("differential").await {
        let w_alone = world(&alone).await;
        let w_together = world(&together).await;
        assert_eq!(w_alone.item, w_together.item, "{backend}: the same set-up");
        let one_by_one = run(&alone, &w_alone, false).await;
        let batched = run(&together, &w_together, true).await;
        assert_eq!(one_by_one, batched, "{backend}: the same results");
        // The script does what it says: refusals refused, the rest through.
        let flat: Vec<&String> = one_by_one.iter().flatten().collect();
        assert!(
            flat.iter().filter(|o| o.starts_with("conflict")).count() >= 2,
            "{backend}: {flat:?}"
        );
        let (s1, s2) = (snapshot(&alone).await, snapshot(&together).await);
        for (table, rows) in &s1 {
            assert!(!rows.is_empty(), "{backend}: the script writes {table}");
            assert_eq!(rows.len(), s2[table].len(), "{backend}: {table} row count");
            for (i, (r1, r2)) in rows.iter().zip(&s2[table]).enumerate() {
                assert_eq!(r1, r2, "{backend}: {table} row {i}");
            }
        }
        // Each writer grew one intact chain.
        for s in [&alone, &together] {
            assert!(
                matches!(
                    s.verify_trail().await.expect("trail"),
                    tongban_store::trail::TrailCheck::Intact { .. }
                ),
                "{backend}"
            );
        }
    }
}

/// Records every step it is shown, and whether the step was already
/// written when it was shown (the case row holds at least its version).
/// One step as the probe saw it: case, action, from, to, kinds.
type Seen = (i64, String, String, String, Vec<CaseEventKind>);

#[derive(Default)]
struct Probe {
    seen: Mutex<Vec<Seen>>,
    unwritten: Mutex<Vec<String>>,
}

struct ProbeObserver(Arc<Probe>);

#[tongban_store::async_trait]
impl CaseObserver for ProbeObserver {
    fn name(&self) -> &'static str {
        "probe"
    }

    async fn observe(
        &self,
        txn: &WriteTxn,
        steps: &[StepEvent],
        _fx: &mut Effects,
    ) -> tongban_store::Result<()> {
        for s in steps {
            let row = txn
                .query_one_raw(sea_orm::Statement::from_sql_and_values(
                    txn.get_database_backend(),
                    "SELECT version FROM cases WHERE id = $1",
                    [s.case.id.into()],
                ))
                .await?;
            let version: i64 = row
                .map(|r| r.try_get("", "version"))
                .transpose()?
                .unwrap_or(0);
            if version < s.case.version
                && let Ok(mut u) = self.0.unwritten.lock()
            {
                u.push(format!("{s:?}"));
            }
            if let Ok(mut seen) = self.0.seen.lock() {
                seen.push((
                    s.case.id,
                    s.action.clone(),
                    s.from.as_str().to_string(),
                    s.case.state.as_str().to_string(),
                    s.kinds.clone(),
                ));
            }
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_probe_observer_sees_every_step_once_alone_and_batched() {
    for (backend, alone, together) in pairs("probe").await {
        for (mode, store, batched) in [("one by one", &alone, false), ("batched", &together, true)]
        {
            let w = world(store).await;
            let probe = Arc::new(Probe::default());
            store.register_observer(Arc::new(ProbeObserver(probe.clone())));
            run(store, &w, batched).await;
            let seen = probe.seen.lock().expect("probe").clone();
            let mut ids: Vec<i64> = w.item.clone();
            ids.extend(&w.medical);
            ids.extend(w.subs.iter().map(|s| s.0));
            let mut steps = 0;
            for id in ids {
                // Every recorded step after the probe came, in order, exactly once.
                let events: Vec<(String, String, String)> = store
                    .case_events(id)
                    .await
                    .expect("events")
                    .into_iter()
                    .filter(|e| e.action != "create")
                    .map(|e| (e.action, e.from_state, e.to_state))
                    .collect();
                let observed: Vec<(String, String, String)> = seen
                    .iter()
                    .filter(|s| s.0 == id)
                    .map(|s| (s.1.clone(), s.2.clone(), s.3.clone()))
                    .collect();
                let before = events.len() - observed.len();
                assert_eq!(
                    &events[before..],
                    &observed[..],
                    "{backend} {mode}: case {id}"
                );
                steps += observed.len();
            }
            assert_eq!(steps, seen.len(), "{backend} {mode}: nothing seen twice");
            assert!(
                probe.unwritten.lock().expect("probe").is_empty(),
                "{backend} {mode}: observers see steps already written in their transaction"
            );
            // What the steps were, by kind: the 秒批 case ran to its end by
            // itself; every ended case is seen completing once.
            let kinds_of = |id: i64| -> Vec<CaseEventKind> {
                seen.iter()
                    .filter(|s| s.0 == id)
                    .flat_map(|s| s.4.clone())
                    .collect()
            };
            assert_eq!(
                kinds_of(w.medical[0]),
                vec![
                    CaseEventKind::Submitted,
                    CaseEventKind::Accepted,
                    CaseEventKind::Reviewed,
                    CaseEventKind::Decided,
                    CaseEventKind::Certified,
                    CaseEventKind::Delivered,
                    CaseEventKind::Completed,
                ],
                "{backend} {mode}"
            );
            let completed = seen
                .iter()
                .filter(|s| s.4.contains(&CaseEventKind::Completed))
                .count();
            // Cases a, b, c, d, g, the 秒批 one and the six sub-cases.
            assert_eq!(completed, 12, "{backend} {mode}");
        }
    }
}

/// An observer that fails for one case.
struct FailsFor(i64);

#[tongban_store::async_trait]
impl CaseObserver for FailsFor {
    fn name(&self) -> &'static str {
        "fails"
    }

    async fn observe(
        &self,
        _txn: &WriteTxn,
        steps: &[StepEvent],
        _fx: &mut Effects,
    ) -> tongban_store::Result<()> {
        if steps.iter().any(|s| s.case.id == self.0) {
            return Err(StoreError::conflict("观察者失败", "observer failed"));
        }
        Ok(())
    }
}

#[tokio::test]
async fn an_observer_that_fails_fails_only_the_step_it_reacts_to() {
    for (backend, store) in tongban_store::testing::stores("observer_fails").await {
        let w = world(&store).await;
        let (bad, good) = (w.item[0], w.item[1]);
        store.register_observer(Arc::new(FailsFor(bad)));
        let cal = Arc::new(WorkCalendar::builtin_with(&[]).expect("calendar"));
        let applicant = actor(&store, "applicant").await;
        let jobs: Vec<Job> = [bad, good]
            .iter()
            .map(|id| Job::command(&applicant, *id, None, Command::Submit, cal.clone(), day()))
            .collect();
        let results = store.run_jobs(&jobs).await;
        assert!(
            matches!(&results[0], Err(StoreError::Conflict { en, .. }) if en == "observer failed"),
            "{backend}: {:?}",
            results[0]
        );
        assert_eq!(
            results[1].as_ref().map(|a| a.state.as_str()).ok(),
            Some("submitted"),
            "{backend}: the other command of the batch went through"
        );
        let c = store.case(bad).await.expect("case");
        assert_eq!(c.state.as_str(), "draft", "{backend}: rolled back");
        assert_eq!(
            store.case_events(bad).await.expect("events").len(),
            1,
            "{backend}: no event written"
        );
    }
}
