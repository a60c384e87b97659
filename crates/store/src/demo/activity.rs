//! A few weeks of work at the demo centre, so the pages have something real
//! to show on first start: applications of the second demo applicant (李四)
//! taken through every step by the departments' demo staff, rated — mostly
//! 满意, a few 差评 whose rectifications stand in each state (one overdue
//! for 回访, one awaiting verification, one appealed) — and two walk-throughs
//! by the experience officer; and some work that ran late (超期: two
//! applications long past their promised date, one decided late). Everything goes through the same store
//! operations as real work (the same rules, the same audit trail).

use chrono::{Duration, NaiveDate};
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::Command;
use tongban_domain::ratings::{
    AppealGround, FindingCategory, FindingSeverity, RatingChannel, RatingInput,
};

use crate::attachments::Attachments;
use crate::cases::NewCase;
use crate::experience::{NewFinding, NewWalkthrough, WalkSubject};
use crate::ratings::{NewRating, RectifyAction, Subject};
use crate::{Result, Store, StoreError};

/// A tiny PDF standing in for a scanned document.
pub(super) const PDF: &[u8] = b"%PDF-1.4\n% demo document\n";

/// The `n`-th working day before `today`.
pub(super) fn workday_before(cal: &WorkCalendar, today: NaiveDate, n: u32) -> NaiveDate {
    let mut d = today;
    let mut left = n;
    while left > 0 {
        d -= Duration::days(1);
        if cal.is_workday(d).unwrap_or(true) {
            left -= 1;
        }
    }
    d
}

/// One application of the demo, and how it went.
struct Walk {
    item: &'static str,
    form: &'static [(&'static str, &'static str)],
    reviewer: &'static str,
    head: &'static str,
    /// Working days before today it was completed.
    ago: u32,
}

const WALKS: &[Walk] = &[
    Walk {
        item: "11339901MB000000114010103001000",
        form: &[
            ("venue_name", "示范区悦来宾馆"),
            ("venue_address", "示范区人民路18号"),
            ("area", "860"),
            ("venue_type", "住宿场所"),
        ],
        reviewer: "reviewer",
        head: "head",
        ago: 9,
    },
    Walk {
        item: "11339901MB000000114010105001000",
        form: &[],
        reviewer: "reviewer",
        head: "head",
        ago: 6,
    },
    Walk {
        item: "11339901MB000000244020204001000",
        form: &[],
        reviewer: "reviewer_ga",
        head: "head_ga",
        ago: 5,
    },
    Walk {
        item: "11339901MB000000374080304001000",
        form: &[],
        reviewer: "reviewer_yb",
        head: "head_yb",
        ago: 4,
    },
    Walk {
        item: "11339901MB0000004A4080403001000",
        form: &[],
        reviewer: "reviewer_rs",
        head: "head_rs",
        ago: 3,
    },
    Walk {
        item: "11339901MB0000004A4040404001000",
        form: &[],
        reviewer: "reviewer_rs",
        head: "head_rs",
        ago: 3,
    },
    Walk {
        item: "11339901MB000000244020204001000",
        form: &[],
        reviewer: "reviewer_ga",
        head: "head_ga",
        ago: 3,
    },
    // More of the centre's everyday work, rated well.
    Walk {
        item: "11339901MB000000114010105001000",
        form: &[],
        reviewer: "reviewer",
        head: "head",
        ago: 8,
    },
    Walk {
        item: "11339901MB000000374080304001000",
        form: &[],
        reviewer: "reviewer_yb",
        head: "head_yb",
        ago: 7,
    },
    Walk {
        item: "11339901MB0000004A4080403001000",
        form: &[],
        reviewer: "reviewer_rs",
        head: "head_rs",
        ago: 6,
    },
    Walk {
        item: "11339901MB000000244020204001000",
        form: &[],
        reviewer: "reviewer_ga",
        head: "head_ga",
        ago: 5,
    },
    Walk {
        item: "11339901MB000000374080304001000",
        form: &[],
        reviewer: "reviewer_yb",
        head: "head_yb",
        ago: 2,
    },
];

pub(super) async fn actor(store: &Store, name: &str) -> Result<tongban_domain::auth::Actor> {
    store
        .actor(name)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("demo account {name}")))
}

/// Takes one application from its draft to 办结, as each role would.
async fn complete(
    store: &Store,
    files: &Attachments,
    cal: &WorkCalendar,
    w: &Walk,
    day: NaiveDate,
) -> Result<i64> {
    let id = submitted(store, files, cal, w, day).await?;
    take_through(store, cal, id, w.reviewer, w.head, day).await?;
    Ok(id)
}

/// Takes a submitted application through acceptance, review, approval,
/// 制证 and delivery on `day`.
pub(super) async fn take_through(
    store: &Store,
    cal: &WorkCalendar,
    id: i64,
    reviewer: &str,
    head: &str,
    day: NaiveDate,
) -> Result<()> {
    let clerk = actor(store, "clerk").await?;
    let reviewer = actor(store, reviewer).await?;
    let head = actor(store, head).await?;
    for (who, cmd) in [
        (&clerk, Command::Accept),
        (
            &reviewer,
            Command::CompleteReview {
                agree: true,
                opinion: "材料齐全，符合条件".into(),
            },
        ),
        (
            &head,
            Command::Decide {
                approve: true,
                reason: "符合法定条件".into(),
            },
        ),
        (&reviewer, Command::Issue),
        (
            &clerk,
            Command::Deliver {
                method: "窗口领取".into(),
            },
        ),
    ] {
        store.case_command(who, id, None, &cmd, cal, day).await?;
    }
    Ok(())
}

fn rating(channel: RatingChannel, level: i64, reasons: &[&str], comment: &str) -> NewRating {
    let indicators = channel
        .indicators()
        .iter()
        .filter(|i| i.key != "overall")
        .map(|i| (i.key.to_string(), level))
        .collect();
    NewRating {
        channel,
        input: RatingInput {
            level,
            indicators,
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
            comment: comment.into(),
        },
        sub_case_id: None,
    }
}

/// Loads the demo's activity (after [`super::load_demo`], into a fresh
/// demo database). `today` is the day the server starts.
pub async fn load_demo_activity(
    store: &Store,
    files: &Attachments,
    cal: &WorkCalendar,
    today: NaiveDate,
) -> Result<()> {
    let mut cases = Vec::new();
    for w in WALKS {
        let day = workday_before(cal, today, w.ago);
        cases.push((complete(store, files, cal, w, day).await?, day));
    }
    let citizen = actor(store, "citizen").await?;
    // Hotline ratings are entered by the hotline's seat, not the window.
    let clerk = actor(store, "clerk_hotline").await?;
    let supervisor = actor(store, "supervisor").await?;
    let rate = |i: usize, r: NewRating, who: tongban_domain::auth::Actor| {
        let (id, day) = cases[i];
        async move { store.rate(&who, Subject::Case, id, &r, cal, day).await }
    };
    // Mostly 满意.
    rate(
        0,
        rating(RatingChannel::Online, 5, &[], "窗口服务很耐心"),
        citizen.clone(),
    )
    .await?;
    rate(0, rating(RatingChannel::Hotline, 4, &[], ""), clerk.clone()).await?;
    rate(
        1,
        rating(RatingChannel::Online, 4, &[], ""),
        citizen.clone(),
    )
    .await?;
    rate(
        4,
        rating(RatingChannel::Online, 5, &[], "一次办好"),
        citizen.clone(),
    )
    .await?;
    for (i, level) in [(7, 5), (8, 4), (9, 5), (10, 4), (11, 5)] {
        rate(
            i,
            rating(RatingChannel::Online, level, &[], ""),
            citizen.clone(),
        )
        .await?;
    }
    rate(9, rating(RatingChannel::Hotline, 5, &[], ""), clerk.clone()).await?;
    // 差评 whose rectifications stand in each state: verified with a
    // verdict (公安, 9 → 5 days ago), awaiting verification (医保), appealed
    // (人社), and one overdue for its 回访 (公安, 3 working days ago).
    let verified = rate(
        2,
        rating(
            RatingChannel::Online,
            2,
            &["R02"],
            "第一次去没带照片，指南没说要白底",
        ),
        citizen.clone(),
    )
    .await?;
    let waiting = rate(
        3,
        rating(RatingChannel::Online, 2, &["R01"], "申请表不知道去哪里下载"),
        citizen.clone(),
    )
    .await?;
    let appealed = rate(
        5,
        rating(RatingChannel::Online, 1, &["R04"], ""),
        citizen.clone(),
    )
    .await?;
    rate(
        6,
        rating(RatingChannel::Online, 2, &["R07"], "排队等了很久"),
        citizen.clone(),
    )
    .await?;
    let owner = |rating_id: i64, who: &'static str| async move {
        let a = actor(store, who).await?;
        let r = store
            .rectifications_for(&a, true)
            .await?
            .into_iter()
            .find(|x| x.rating.id == rating_id)
            .ok_or_else(|| StoreError::Corrupt("demo rectification".into()))?;
        Ok::<_, StoreError>((a, r.id))
    };
    let visit = RectifyAction::Visit {
        method: "电话".into(),
        note: "申请人说明了情况，表示理解".into(),
        at: None,
    };
    let (ga, v1) = owner(verified.id, "reviewer_ga").await?;
    store.rectification_act(&ga, v1, None, &visit).await?;
    store
        .rectification_act(
            &ga,
            v1,
            None,
            &RectifyAction::Rectify {
                cause: "办事指南未写明照片规格".into(),
                measures: "指南补充照片要求（白底、近期免冠），窗口增设照片规格提示".into(),
            },
        )
        .await?;
    store
        .rectification_act(&supervisor, v1, None, &RectifyAction::Verify)
        .await?;
    store
        .rectification_act(
            &citizen,
            v1,
            None,
            &RectifyAction::Verdict {
                verdict: tongban_domain::ratings::Verdict::Satisfied,
            },
        )
        .await?;
    let (yb, v2) = owner(waiting.id, "reviewer_yb").await?;
    store.rectification_act(&yb, v2, None, &visit).await?;
    store
        .rectification_act(
            &yb,
            v2,
            None,
            &RectifyAction::Rectify {
                cause: "申请表下载链接放在二级页面".into(),
                measures: "在办事指南首屏提供申请表下载".into(),
            },
        )
        .await?;
    let (rs, v3) = owner(appealed.id, "head_rs").await?;
    store
        .rectification_file(files, &rs, v3, true, "回访录音记录.pdf", PDF.to_vec())
        .await?;
    store
        .rectification_act(
            &rs,
            v3,
            None,
            &RectifyAction::Appeal {
                ground: AppealGround::Mistaken,
                statement: "回访时申请人表示误选了“非常不满意”，录音已存档".into(),
            },
        )
        .await?;
    // Two walk-throughs by the experience officer.
    let officer = actor(store, "officer").await?;
    let walked = workday_before(cal, today, 2);
    store
        .record_walkthrough(
            &officer,
            &NewWalkthrough {
                subject: WalkSubject::Item,
                code: "11339901MB000000114010103001000".into(),
                bundle_name: String::new(),
                steps: vec![
                    "网上查看办事指南".into(),
                    "下载申请表".into(),
                    "到综合窗口提交材料".into(),
                ],
                minutes: 95,
                findings: vec![
                    NewFinding {
                        category: FindingCategory::GuideInaccurate,
                        severity: FindingSeverity::High,
                        step: "网上查看办事指南".into(),
                        description: "指南未写明卫生检测报告须为近一年内出具".into(),
                    },
                    NewFinding {
                        category: FindingCategory::RepeatedTrips,
                        severity: FindingSeverity::Medium,
                        step: "到综合窗口提交材料".into(),
                        description: "健康证明须原件，指南只写复印件，需第二次到窗口".into(),
                    },
                ],
            },
            cal,
            walked,
        )
        .await?;
    let newborn = store
        .published_bundles()
        .await?
        .into_iter()
        .find(|b| b.bundle.code == "newborn")
        .map(|b| b.bundle.doc.name)
        .unwrap_or_else(|| "新生儿出生一件事".into());
    store
        .record_walkthrough(
            &officer,
            &NewWalkthrough {
                subject: WalkSubject::Bundle,
                code: "newborn".into(),
                bundle_name: newborn,
                steps: vec![
                    "回答情形问题".into(),
                    "填写一张表单".into(),
                    "上传材料并提交".into(),
                ],
                minutes: 25,
                findings: vec![NewFinding {
                    category: FindingCategory::HardSystem,
                    severity: FindingSeverity::Low,
                    step: "上传材料并提交".into(),
                    description: "手机上上传照片后看不到是否成功".into(),
                }],
            },
            cal,
            walked,
        )
        .await?;
    overdue_work(store, files, cal, today).await?;
    Ok(())
}

/// Work that ran late, for the figures' 超期: two applications accepted 30
/// working days ago whose decision is still awaited, and one decided 25
/// working days after its acceptance (late against its promise).
async fn overdue_work(
    store: &Store,
    files: &Attachments,
    cal: &WorkCalendar,
    today: NaiveDate,
) -> Result<()> {
    let long_ago = workday_before(cal, today, 30);
    for w in [&WALKS[1], &WALKS[3]] {
        let id = submitted(store, files, cal, w, long_ago).await?;
        let clerk = actor(store, "clerk").await?;
        let reviewer = actor(store, w.reviewer).await?;
        store
            .case_command(&clerk, id, None, &Command::Accept, cal, long_ago)
            .await?;
        let review = Command::CompleteReview {
            agree: true,
            opinion: "材料齐全，待负责人决定".into(),
        };
        store
            .case_command(&reviewer, id, None, &review, cal, long_ago)
            .await?;
    }
    let w = &WALKS[2];
    let id = submitted(store, files, cal, w, long_ago).await?;
    let clerk = actor(store, "clerk").await?;
    let reviewer = actor(store, w.reviewer).await?;
    let head = actor(store, w.head).await?;
    let decided = workday_before(cal, today, 5);
    for (who, cmd, day) in [
        (&clerk, Command::Accept, long_ago),
        (
            &reviewer,
            Command::CompleteReview {
                agree: true,
                opinion: "材料齐全，符合条件".into(),
            },
            long_ago,
        ),
        (
            &head,
            Command::Decide {
                approve: true,
                reason: "符合法定条件".into(),
            },
            decided,
        ),
        (&reviewer, Command::Issue, decided),
        (
            &clerk,
            Command::Deliver {
                method: "邮寄送达".into(),
            },
            decided,
        ),
    ] {
        store.case_command(who, id, None, &cmd, cal, day).await?;
    }
    Ok(())
}

/// An application submitted on `day` with every material uploaded.
async fn submitted(
    store: &Store,
    files: &Attachments,
    cal: &WorkCalendar,
    w: &Walk,
    day: NaiveDate,
) -> Result<i64> {
    apply_as(store, files, cal, "citizen", w.item, w.form, day).await
}

/// An application by `applicant` for `item`, every material uploaded,
/// submitted on `day`.
pub(super) async fn apply_as(
    store: &Store,
    files: &Attachments,
    cal: &WorkCalendar,
    applicant: &str,
    item: &str,
    form: &[(&str, &str)],
    day: NaiveDate,
) -> Result<i64> {
    let applicant = actor(store, applicant).await?;
    let c = store
        .create_case(
            &applicant,
            item,
            NewCase {
                form: form
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                ..Default::default()
            },
        )
        .await?;
    let doc = store.item_doc(c.item_version_id).await?;
    for (i, m) in doc.materials.iter().enumerate() {
        if !m.exempt {
            store
                .upload(
                    files,
                    &applicant,
                    c.id,
                    i,
                    &format!("{}.pdf", m.name),
                    PDF.to_vec(),
                )
                .await?;
        }
    }
    store.submit_case(&applicant, c.id, None, cal, day).await?;
    Ok(c.id)
}
