use super::*;
use crate::auth::{Actor, Role};
use crate::catalog::{DayCount, TimeLimit};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

const LEAD: i64 = 10;
const CO: i64 = 11;
const APPLICANT: i64 = 100;

fn actor(id: i64, role: Role, dept: Option<i64>, centre: &str) -> Actor {
    Actor {
        user_id: id,
        username: format!("u{id}"),
        display_name: format!("U{id}"),
        role,
        centre_path: centre.into(),
        centre_id: 1,
        department_id: dept,
    }
}

fn facts(mode: ReviewMode, co: Vec<i64>) -> CaseFacts {
    CaseFacts {
        state: CaseState::Draft,
        centre_path: "/1/".into(),
        lead_department: LEAD,
        applicant_user: Some(APPLICANT),
        agent: None,
        review_mode: mode,
        co_reviewers: co,
        tasks: Vec::new(),
        materials: vec![
            MaterialFacts {
                name: "身份证".into(),
                necessity: Some(Necessity::Required),
                acceptance_standard: "原件".into(),
                uploads: 1,
                spared: false,
            },
            MaterialFacts {
                name: "出生医学证明".into(),
                necessity: Some(Necessity::Required),
                acceptance_standard: "原件".into(),
                uploads: 0,
                spared: false,
            },
            MaterialFacts {
                name: "委托书".into(),
                necessity: Some(Necessity::Optional),
                acceptance_standard: String::new(),
                uploads: 0,
                spared: false,
            },
        ],
        clock: Vec::new(),
        received_on: None,
        intake_deadline: None,
        legal_due: None,
        noticed: None,
        procedures: Vec::new(),
        form_fields: vec![("baby_name".into(), "新生儿姓名".into())],
        noticed_fields: Vec::new(),
        pending: Vec::new(),
        awaiting: Vec::new(),
    }
}

fn limits() -> Limits {
    Limits {
        legal: TimeLimit::working(DayCount::of(20)),
        promised: TimeLimit::working(DayCount::of(10)),
    }
}

/// Applies a transition the way the store does.
fn apply(f: &mut CaseFacts, t: Transition) {
    f.state = t.to;
    if let Some(c) = t.clock {
        f.clock.push(c);
    }
    if let Some(tasks) = t.tasks {
        f.tasks = tasks;
    }
    if let Some(r) = t.received_on {
        f.received_on = Some(r);
    }
}

fn run(f: &mut CaseFacts, who: &Actor, cmd: Command, today: &str) -> Result<(), CaseError> {
    authorize(who, f, &cmd)?;
    let t = transition(f, &cmd, &limits(), d(today), who.department_id)?;
    apply(f, t);
    Ok(())
}

#[test]
fn one_time_notice_must_list_everything_missing() {
    let clerk = actor(2, Role::Clerk, None, "/1/");
    let applicant = actor(APPLICANT, Role::Applicant, None, "/1/");
    let mut f = facts(ReviewMode::Sequential, vec![]);
    run(&mut f, &applicant, Command::Submit, "2025-01-20").expect("submit");
    // Cannot accept with a required material missing.
    let err = run(&mut f, &clerk, Command::Accept, "2025-01-20").expect_err("accept");
    assert!(err.zh().contains("出生医学证明"), "{err:?}");
    // A notice that lists only a defective ID and forgets the missing one is refused.
    let partial = Command::RequestCorrection {
        deficiencies: vec![Deficiency {
            material: 0,
            problem: Problem::Defective,
            note: "复印件不清晰".into(),
        }],
        fields: vec![],
    };
    match run(&mut f, &clerk, partial, "2025-01-20") {
        Err(CaseError::Invalid(e)) => {
            assert_eq!(e.0[0].code, "incomplete");
            assert!(e.0[0].message_zh.contains("出生医学证明"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(f.state, CaseState::Submitted, "nothing changed");
    // A form field to correct must be the item's, once.
    let fields = |k: &str| {
        vec![
            FieldFix {
                field: k.into(),
                note: String::new(),
            },
            FieldFix {
                field: k.into(),
                note: String::new(),
            },
        ]
    };
    for (key, code) in [("nickname", "unknown"), ("baby_name", "duplicate")] {
        let cmd = Command::RequestCorrection {
            deficiencies: vec![Deficiency {
                material: 1,
                problem: Problem::Missing,
                note: String::new(),
            }],
            fields: fields(key),
        };
        match transition(&f, &cmd, &limits(), d("2025-01-20"), None) {
            Err(CaseError::Invalid(e)) => assert!(
                e.0.iter()
                    .any(|x| x.field.starts_with("fields[") && x.code == code),
                "{key}: {e:?}"
            ),
            other => panic!("{key}: {other:?}"),
        }
    }
    let full = Command::RequestCorrection {
        deficiencies: vec![
            Deficiency {
                material: 0,
                problem: Problem::Defective,
                note: "复印件不清晰".into(),
            },
            Deficiency {
                material: 1,
                problem: Problem::Missing,
                note: String::new(),
            },
        ],
        fields: vec![],
    };
    let t = transition(&f, &full, &limits(), d("2025-01-20"), None).expect("notice");
    assert_eq!(t.document, Some(DocKind::CorrectionNotice));
    apply(&mut f, t);
    assert_eq!(f.state, CaseState::Correction);
    // Supplying is refused while the notice's items are undone (the store
    // says which), naming each; then it goes through.
    f.pending = vec!["出生医学证明".into(), "申请信息“新生儿姓名”".into()];
    match run(&mut f, &applicant, Command::SupplyCorrection, "2025-01-22") {
        Err(CaseError::Invalid(e)) => {
            assert_eq!(e.0[0].field, "correction");
            assert!(
                e.0[0]
                    .message_zh
                    .contains("出生医学证明、申请信息“新生儿姓名”"),
                "{e:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(f.state, CaseState::Correction, "nothing changed");
    f.pending.clear();
    f.materials[1].uploads = 1;
    run(&mut f, &applicant, Command::SupplyCorrection, "2025-01-22").expect("supply");
    assert_eq!(f.received_on, Some(d("2025-01-22")));
    run(&mut f, &clerk, Command::Accept, "2025-01-23").expect("accept");
    assert_eq!(f.state, CaseState::Review);
    assert!(matches!(f.clock[0], ClockEvent::Accepted { on, .. } if on == d("2025-01-23")));
}

#[test]
fn full_lifecycle_with_suspension_and_one_extension() {
    let clerk = actor(2, Role::Clerk, None, "/1/");
    let reviewer = actor(3, Role::Reviewer, Some(LEAD), "/1/");
    let head = actor(4, Role::Head, Some(LEAD), "/1/");
    let applicant = actor(APPLICANT, Role::Applicant, None, "/1/");
    let mut f = facts(ReviewMode::Sequential, vec![]);
    f.materials[1].uploads = 1;
    run(&mut f, &applicant, Command::Submit, "2025-01-17").expect("submit");
    // Deciding an unaccepted case is refused.
    let decide = Command::Decide {
        approve: true,
        reason: "符合条件".into(),
    };
    assert!(matches!(
        run(&mut f, &head, decide.clone(), "2025-01-17"),
        Err(CaseError::State { .. })
    ));
    run(&mut f, &clerk, Command::Accept, "2025-01-20").expect("accept");
    let suspend = Command::Suspend {
        reason: SuspendReason::SpecialProcedure("专家评审".into()),
        note: String::new(),
        materials: vec![],
    };
    run(&mut f, &reviewer, suspend, "2025-01-21").expect("suspend");
    assert_eq!(f.state, CaseState::Suspended);
    run(&mut f, &reviewer, Command::Resume, "2025-01-24").expect("resume");
    assert_eq!(f.state, CaseState::Review);
    // The reviewer may not extend; the head may, once.
    let ext = Command::Extend {
        days: 10,
        reason: "需现场核查".into(),
    };
    assert_eq!(
        run(&mut f, &reviewer, ext.clone(), "2025-01-24"),
        Err(CaseError::Denied(Denied::Role))
    );
    run(&mut f, &head, ext.clone(), "2025-01-24").expect("extend");
    let again = run(&mut f, &head, ext, "2025-01-27").expect_err("twice");
    assert!(matches!(again, CaseError::State { .. }), "{again:?}");
    run(
        &mut f,
        &reviewer,
        Command::CompleteReview {
            agree: true,
            opinion: "材料齐全".into(),
        },
        "2025-01-27",
    )
    .expect("review");
    assert_eq!(f.state, CaseState::Decision);
    run(&mut f, &head, decide, "2025-02-05").expect("decide");
    assert_eq!(f.state, CaseState::Certifying);
    run(&mut f, &reviewer, Command::Issue, "2025-02-06").expect("issue");
    run(
        &mut f,
        &clerk,
        Command::Deliver {
            method: "窗口领取".into(),
        },
        "2025-02-06",
    )
    .expect("deliver");
    assert_eq!(f.state, CaseState::Completed);
    assert!(f.state.is_final());
    // The clock replays from the recorded events.
    let cal = crate::calendar::WorkCalendar::builtin_with(&[]).expect("calendar");
    let dl = clock::compute(&f.clock, &cal, d("2025-02-06")).expect("clock");
    // Accepted 2025-01-20; suspended 01-21..01-24 (3 working days); extended 10.
    assert_eq!(dl.suspended_days, 3);
    assert_eq!(
        dl.legal_due,
        cal.add_workdays(d("2025-01-20"), 20 + 3 + 10).expect("add")
    );
}

#[test]
fn a_case_awaiting_a_passed_on_document_may_be_denied_but_not_approved() {
    let head = actor(4, Role::Head, Some(LEAD), "/1/");
    let mut f = facts(ReviewMode::Sequential, vec![]);
    f.state = CaseState::Decision;
    f.awaiting = vec![("出生医学证明".into(), "birth certificate".into())];
    let approve = Command::Decide {
        approve: true,
        reason: "符合条件".into(),
    };
    match run(&mut f, &head, approve.clone(), "2025-02-05") {
        Err(CaseError::Invalid(e)) => {
            let e = &e.0[0];
            assert_eq!(
                (e.field.as_str(), e.code.as_str()),
                ("approve", "awaiting_document")
            );
            assert!(e.message_zh.contains("出生医学证明"), "{}", e.message_zh);
        }
        other => panic!("approving while a document is awaited: {other:?}"),
    }
    assert_eq!(f.state, CaseState::Decision, "nothing changed");
    let deny = Command::Decide {
        approve: false,
        reason: "不符合条件".into(),
    };
    run(&mut f.clone(), &head, deny, "2025-02-05").expect("a denial needs no document");
    f.awaiting.clear();
    run(&mut f, &head, approve, "2025-02-05").expect("approved once it arrived");
    assert_eq!(f.state, CaseState::Certifying);
}

#[test]
fn a_material_the_applicant_is_spared_is_never_asked_of_them() {
    let clerk = actor(2, Role::Clerk, None, "/1/");
    let reviewer = actor(3, Role::Reviewer, Some(LEAD), "/1/");
    let applicant = actor(APPLICANT, Role::Applicant, None, "/1/");
    let mut f = facts(ReviewMode::Sequential, vec![]);
    // The 出生医学证明 is passed on by an earlier item of the bundle.
    f.materials[1].spared = true;
    f.materials[1].necessity = Some(Necessity::Optional);
    run(&mut f, &applicant, Command::Submit, "2025-01-20").expect("submit");
    let ask = Command::RequestCorrection {
        deficiencies: vec![Deficiency {
            material: 1,
            problem: Problem::Missing,
            note: String::new(),
        }],
        fields: vec![],
    };
    match run(&mut f, &clerk, ask, "2025-01-20") {
        Err(CaseError::Invalid(e)) => assert_eq!(e.0[0].code, "not_asked"),
        other => panic!("asked a spared material: {other:?}"),
    }
    run(&mut f, &clerk, Command::Accept, "2025-01-21").expect("accept");
    // Nor in a correction after acceptance; a material it does bring may be.
    let suspend = |m: usize| Command::Suspend {
        reason: SuspendReason::Correction,
        note: String::new(),
        materials: vec![m],
    };
    match run(&mut f, &reviewer, suspend(1), "2025-01-22") {
        Err(CaseError::Invalid(e)) => assert_eq!(e.0[0].code, "not_asked"),
        other => panic!("asked a spared material: {other:?}"),
    }
    let special = Command::Suspend {
        reason: SuspendReason::SpecialProcedure("专家评审".into()),
        note: String::new(),
        materials: vec![0],
    };
    assert!(matches!(
        run(&mut f, &reviewer, special, "2025-01-22"),
        Err(CaseError::Invalid(_))
    ));
    run(&mut f, &reviewer, suspend(0), "2025-01-22").expect("ask for the ID card");
    // Supplying is refused while what it names is not done.
    f.pending = vec!["身份证".into()];
    assert!(matches!(
        run(&mut f, &applicant, Command::SupplyCorrection, "2025-01-23"),
        Err(CaseError::Invalid(_))
    ));
    f.pending.clear();
    run(&mut f, &applicant, Command::SupplyCorrection, "2025-01-23").expect("supplied");
    assert_eq!(f.state, CaseState::Review);
}

#[test]
fn roles_and_departments_are_checked_for_every_command() {
    let mut f = facts(ReviewMode::Sequential, vec![CO]);
    f.state = CaseState::Review;
    f.tasks = vec![
        ReviewTask {
            department_id: CO,
            status: TaskStatus::Active,
        },
        ReviewTask {
            department_id: LEAD,
            status: TaskStatus::Waiting,
        },
    ];
    let other_applicant = actor(101, Role::Applicant, None, "/1/");
    let other_centre_clerk = actor(2, Role::Clerk, None, "/2/");
    let lead_reviewer = actor(3, Role::Reviewer, Some(LEAD), "/1/");
    let co_reviewer = actor(5, Role::Reviewer, Some(CO), "/1/");
    let other_head = actor(6, Role::Head, Some(99), "/1/");
    let supervisor = actor(7, Role::Supervisor, None, "/1/");
    let review = Command::CompleteReview {
        agree: true,
        opinion: "同意".into(),
    };
    assert_eq!(
        authorize(
            &other_applicant,
            &f,
            &Command::Withdraw {
                reason: String::new()
            }
        ),
        Err(CaseError::Denied(Denied::Department))
    );
    assert_eq!(
        authorize(&other_centre_clerk, &f, &Command::Accept),
        Err(CaseError::Denied(Denied::Department))
    );
    // Sequential review: the co-reviewer goes first, the lead waits.
    assert_eq!(authorize(&co_reviewer, &f, &review), Ok(()));
    assert_eq!(
        authorize(&lead_reviewer, &f, &review),
        Err(CaseError::Denied(Denied::Department))
    );
    for cmd in [
        Command::Decide {
            approve: true,
            reason: "x".into(),
        },
        Command::Extend {
            days: 1,
            reason: "x".into(),
        },
    ] {
        assert_eq!(
            authorize(&other_head, &f, &cmd),
            Err(CaseError::Denied(Denied::Department))
        );
        assert_eq!(
            authorize(&supervisor, &f, &cmd),
            Err(CaseError::Denied(Denied::Role))
        );
    }
    let t = transition(&f, &review, &limits(), d("2025-03-03"), Some(CO)).expect("co review");
    assert_eq!(t.to, CaseState::Review);
    apply(&mut f, t);
    assert_eq!(authorize(&lead_reviewer, &f, &review), Ok(()));
}

#[test]
fn joint_review_activates_all_departments_and_allows_fifteen_days() {
    let clerk = actor(2, Role::Clerk, None, "/1/");
    let mut f = facts(ReviewMode::Joint, vec![CO]);
    f.materials[1].uploads = 1;
    f.state = CaseState::Submitted;
    run(&mut f, &clerk, Command::Accept, "2025-03-03").expect("accept");
    assert!(f.tasks.iter().all(|t| t.status == TaskStatus::Active));
    assert!(matches!(
        f.clock[0],
        ClockEvent::Accepted { joint: true, .. }
    ));
    let head = actor(4, Role::Head, Some(LEAD), "/1/");
    let too_long = Command::Extend {
        days: 16,
        reason: "联合办理".into(),
    };
    assert!(matches!(
        run(&mut f, &head, too_long, "2025-03-04"),
        Err(CaseError::Invalid(_))
    ));
    run(
        &mut f,
        &head,
        Command::Extend {
            days: 15,
            reason: "联合办理".into(),
        },
        "2025-03-04",
    )
    .expect("15 days for joint handling");
    // Both departments must give their opinion before the decision.
    let lead = actor(3, Role::Reviewer, Some(LEAD), "/1/");
    let co = actor(5, Role::Reviewer, Some(CO), "/1/");
    let ok = Command::CompleteReview {
        agree: true,
        opinion: "同意".into(),
    };
    run(&mut f, &lead, ok.clone(), "2025-03-05").expect("lead");
    assert_eq!(f.state, CaseState::Review);
    run(&mut f, &co, ok.clone(), "2025-03-05").expect("co");
    assert_eq!(f.state, CaseState::Decision);
    assert!(
        run(&mut f, &co, ok, "2025-03-05").is_err(),
        "no second opinion"
    );
}

#[test]
fn unanswered_application_counts_as_accepted_from_receipt() {
    let cal = crate::calendar::WorkCalendar::builtin_with(&[]).expect("calendar");
    let mut f = facts(ReviewMode::Sequential, vec![]);
    f.state = CaseState::Submitted;
    // Received Friday 2025-01-24; Spring Festival 01-28..02-04 are holidays,
    // 01-26 (Sunday) and 01-27 are workdays: the 5th working day is 2025-02-07.
    f.received_on = Some(d("2025-01-24"));
    assert_eq!(
        cal.add_workdays(d("2025-01-24"), 5).expect("add"),
        d("2025-02-07")
    );
    assert!(
        deemed_acceptance(&f, &limits(), &cal, d("2025-02-07"))
            .expect("rule")
            .is_none(),
        "the window still has today"
    );
    let t = deemed_acceptance(&f, &limits(), &cal, d("2025-02-10"))
        .expect("rule")
        .expect("applies");
    assert_eq!(t.to, CaseState::Review);
    assert!(
        matches!(t.clock, Some(ClockEvent::Accepted { on, .. }) if on == d("2025-01-24")),
        "counted from receipt"
    );
    f.state = CaseState::Correction;
    assert!(
        deemed_acceptance(&f, &limits(), &cal, d("2025-03-01"))
            .expect("rule")
            .is_none(),
        "a notice was issued in time"
    );
}

#[test]
fn final_states_accept_no_command() {
    let head = actor(4, Role::Head, Some(LEAD), "/1/");
    for st in [
        CaseState::NotAccepted,
        CaseState::Completed,
        CaseState::Withdrawn,
    ] {
        let mut f = facts(ReviewMode::Sequential, vec![]);
        f.state = st;
        for cmd in [
            Command::Accept,
            Command::Resume,
            Command::Decide {
                approve: true,
                reason: "x".into(),
            },
            Command::Withdraw {
                reason: String::new(),
            },
        ] {
            assert!(
                transition(&f, &cmd, &limits(), d("2025-03-03"), head.department_id).is_err(),
                "{st:?} {cmd:?}"
            );
        }
    }
}

#[test]
fn the_law_limits_what_the_window_and_the_department_may_do() {
    let clerk = actor(2, Role::Clerk, None, "/1/");
    let reviewer = actor(3, Role::Reviewer, Some(LEAD), "/1/");
    let head = actor(4, Role::Head, Some(LEAD), "/1/");
    let mut f = facts(ReviewMode::Sequential, vec![]);
    f.state = CaseState::Submitted;
    f.received_on = Some(d("2025-03-03"));
    f.intake_deadline = Some(d("2025-03-10"));
    // A clerk may not withdraw (or submit) someone's online application.
    assert_eq!(
        authorize(
            &clerk,
            &f,
            &Command::Withdraw {
                reason: String::new()
            }
        ),
        Err(CaseError::Denied(Denied::Role))
    );
    // After the 5 working days: no correction notice any more, and
    // acceptance counts from receipt.
    let late = Command::RequestCorrection {
        deficiencies: vec![Deficiency {
            material: 1,
            problem: Problem::Missing,
            note: String::new(),
        }],
        fields: vec![],
    };
    assert!(matches!(
        transition(&f, &late, &limits(), d("2025-03-11"), None),
        Err(CaseError::State { .. })
    ));
    f.materials[1].uploads = 1;
    let t = transition(&f, &Command::Accept, &limits(), d("2025-03-12"), None).expect("accept");
    assert!(matches!(t.clock, Some(ClockEvent::Accepted { on, .. }) if on == d("2025-03-03")));
    // A second notice may only repeat what the first listed.
    f.noticed = Some(vec![0]);
    f.intake_deadline = None;
    f.materials[1].uploads = 0;
    let again = Command::RequestCorrection {
        deficiencies: vec![Deficiency {
            material: 1,
            problem: Problem::Missing,
            note: String::new(),
        }],
        fields: vec![],
    };
    match transition(&f, &again, &limits(), d("2025-03-05"), None) {
        Err(CaseError::Invalid(e)) => assert!(e.0.iter().any(|e| e.code == "not_one_time")),
        other => panic!("{other:?}"),
    }
    // Nor a form entry the first notice did not name.
    f.materials[1].uploads = 1;
    let entry = Command::RequestCorrection {
        deficiencies: vec![Deficiency {
            material: 0,
            problem: Problem::Defective,
            note: String::new(),
        }],
        fields: vec![FieldFix {
            field: "baby_name".into(),
            note: String::new(),
        }],
    };
    match transition(&f, &entry, &limits(), d("2025-03-05"), None) {
        Err(CaseError::Invalid(e)) => assert!(
            e.0.iter()
                .any(|e| e.code == "not_one_time" && e.message_zh.contains("新生儿姓名")),
            "{e:?}"
        ),
        other => panic!("{other:?}"),
    }
    f.noticed_fields = vec!["baby_name".into()];
    assert!(transition(&f, &entry, &limits(), d("2025-03-05"), None).is_ok());
    f.materials[1].uploads = 0;
    // Only Art. 45 procedures (or the item's own) stop the clock.
    apply(
        &mut f,
        Transition {
            to: CaseState::Review,
            ..Transition::to(CaseState::Review)
        },
    );
    let made_up = Command::Suspend {
        reason: SuspendReason::SpecialProcedure("领导出差".into()),
        note: String::new(),
        materials: vec![],
    };
    assert!(matches!(
        run(&mut f, &reviewer, made_up, "2025-03-05"),
        Err(CaseError::Invalid(_))
    ));
    f.tasks = vec![ReviewTask {
        department_id: LEAD,
        status: TaskStatus::Active,
    }];
    f.procedures = vec!["现场核查".into()];
    let own = Command::Suspend {
        reason: SuspendReason::SpecialProcedure("现场核查".into()),
        note: String::new(),
        materials: vec![],
    };
    f.clock = vec![ClockEvent::Accepted {
        on: d("2025-03-03"),
        legal: TimeLimit::working(DayCount::of(20)),
        promised: TimeLimit::working(DayCount::of(10)),
        joint: false,
    }];
    run(&mut f, &reviewer, own, "2025-03-05").expect("the item's own procedure");
    // Corrections after acceptance: supplying them resumes the clock.
    f.clock.pop();
    f.clock.push(ClockEvent::Suspended {
        on: d("2025-03-05"),
        reason: SuspendReason::Correction,
    });
    let applicant = actor(APPLICANT, Role::Applicant, None, "/1/");
    run(&mut f, &applicant, Command::SupplyCorrection, "2025-03-07").expect("supply");
    assert_eq!(f.state, CaseState::Review);
    assert!(matches!(f.clock.last(), Some(ClockEvent::Resumed { .. })));
    // No extension once the legal deadline has passed.
    f.legal_due = Some(d("2025-03-31"));
    let ext = Command::Extend {
        days: 5,
        reason: "x".into(),
    };
    assert!(matches!(
        run(&mut f, &head, ext, "2025-04-01"),
        Err(CaseError::State { .. })
    ));
}

#[test]
fn a_denial_or_withdrawal_has_no_certificate_date() {
    let cal = crate::calendar::WorkCalendar::builtin_with(&[]).expect("calendar");
    let events = vec![
        ClockEvent::Accepted {
            on: d("2025-03-03"),
            legal: TimeLimit::working(DayCount::of(20)),
            promised: TimeLimit::working(DayCount::of(10)),
            joint: false,
        },
        ClockEvent::Decided {
            on: d("2025-03-10"),
            certificate: false,
        },
    ];
    let dl = clock::compute(&events, &cal, d("2025-03-10")).expect("clock");
    assert_eq!(dl.certificate_due, None);
}

#[test]
fn a_concierge_acts_as_the_applicant_only_when_the_store_names_them_agent() {
    let mut f = facts(ReviewMode::Sequential, vec![]);
    let concierge = actor(40, Role::Concierge, None, "/1/");
    let withdraw = Command::Withdraw {
        reason: "企业决定暂缓".into(),
    };
    // Without a valid authorization: refused like any stranger.
    for cmd in [&Command::Submit, &withdraw, &Command::SupplyCorrection] {
        assert_eq!(
            authorize(&concierge, &f, cmd),
            Err(CaseError::Denied(Denied::Role))
        );
    }
    f.agent = Some(40);
    for cmd in [&Command::Submit, &withdraw, &Command::SupplyCorrection] {
        assert_eq!(authorize(&concierge, &f, cmd), Ok(()));
    }
    // Another concierge is still nobody; the department's work is never theirs.
    let other = actor(41, Role::Concierge, None, "/1/");
    assert_eq!(
        authorize(&other, &f, &Command::Submit),
        Err(CaseError::Denied(Denied::Role))
    );
    assert_eq!(
        authorize(&concierge, &f, &Command::Accept),
        Err(CaseError::Denied(Denied::Role))
    );
}
