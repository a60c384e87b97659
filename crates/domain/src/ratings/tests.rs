use super::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn online(level: i64, reasons: &[&str]) -> RatingInput {
    RatingInput {
        level,
        indicators: [
            ("efficiency", 4),
            ("guide_accuracy", 4),
            ("convenience", 4),
            ("usability", 4),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        reasons: reasons.iter().map(|r| r.to_string()).collect(),
        comment: String::new(),
    }
}

fn codes(e: &FieldErrors) -> Vec<(String, String)> {
    e.0.iter()
        .map(|x| (x.field.clone(), x.code.clone()))
        .collect()
}

#[test]
fn a_good_rating_needs_every_indicator_and_no_reason() {
    let r = check(RatingChannel::Online, &online(5, &[])).expect("valid");
    assert_eq!(r.level, Level::VerySatisfied);
    // The whole counts as the `overall` indicator.
    assert_eq!(r.indicators.len(), 5);
    assert_eq!(r.indicators["overall"], Level::VerySatisfied);
    assert!(!r.is_bad());
    let e = check(RatingChannel::Online, &online(4, &["R01"])).expect_err("reason on 满意");
    assert_eq!(codes(&e), vec![("reasons".into(), "not_bad".into())]);
}

#[test]
fn levels_outside_one_to_five_are_refused() {
    for bad in [0, 6, -1] {
        let e = check(RatingChannel::Online, &online(bad, &[])).expect_err("out of range");
        assert!(
            codes(&e).contains(&("level".into(), "out_of_range".into())),
            "{bad}"
        );
    }
    let mut i = online(5, &[]);
    i.indicators.insert("efficiency".into(), 9);
    let e = check(RatingChannel::Online, &i).expect_err("indicator out of range");
    assert_eq!(
        codes(&e),
        vec![("indicators.efficiency".into(), "out_of_range".into())]
    );
}

#[test]
fn a_bad_rating_names_at_least_one_reason_from_the_list() {
    let e = check(RatingChannel::Online, &online(2, &[])).expect_err("no reason");
    assert_eq!(codes(&e), vec![("reasons".into(), "required".into())]);
    let e = check(RatingChannel::Online, &online(1, &["R42"])).expect_err("unknown");
    assert_eq!(codes(&e), vec![("reasons".into(), "unknown".into())]);
    let r = check(RatingChannel::Online, &online(1, &["R02", "R03", "R02"])).expect("valid");
    assert!(r.is_bad());
    assert_eq!(
        r.reasons.iter().map(|x| x.code).collect::<Vec<_>>(),
        vec!["R02", "R03"],
        "each reason once"
    );
}

#[test]
fn each_channel_asks_its_own_indicators() {
    // On site: 整体满意度, 服务效率, 服务水平, 服务态度 — not the platform's.
    let e = check(RatingChannel::OnSite, &online(4, &[])).expect_err("online keys");
    let c = codes(&e);
    assert!(c.contains(&("indicators.usability".into(), "unknown".into())));
    assert!(c.contains(&("indicators.attitude".into(), "required".into())));
    let on_site = RatingInput {
        level: 3,
        indicators: [
            ("service_efficiency", 3),
            ("service_level", 3),
            ("attitude", 2),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        ..Default::default()
    };
    let r = check(RatingChannel::OnSite, &on_site).expect("valid");
    assert_eq!(r.indicators.len(), 4);
    assert_eq!(r.indicators["attitude"], Level::Dissatisfied);
}

#[test]
fn comments_follow_the_text_rule() {
    let mut i = online(5, &[]);
    i.comment = "很好\u{202e}".into();
    let e = check(RatingChannel::Online, &i).expect_err("bidi");
    assert_eq!(codes(&e), vec![("comment".into(), "bad_character".into())]);
    i.comment = "好".repeat(COMMENT_MAX + 1);
    let e = check(RatingChannel::Online, &i).expect_err("long");
    assert_eq!(codes(&e), vec![("comment".into(), "too_long".into())]);
}

#[test]
fn a_bad_rating_on_the_friday_before_the_spring_festival_is_due_after_it() {
    let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
    let rules = RatingRules::default();
    // Friday 13 February 2026: the next working day is Saturday 14 February
    // (a 调休 working day); then 15–23 February are off.
    let due = rectify_due(&rules, &cal, d("2026-02-13")).expect("due");
    assert_eq!(due.visit_due, d("2026-02-14"));
    // Five working days: 14, 24, 25, 26, 27 February.
    assert_eq!(due.fix_due, d("2026-02-27"));
    // A centre that allows ten working days: 14, 24–27, 28 (调休), 2–5 March.
    let ten = RatingRules {
        rectify_days: DayCount::of(10),
        ..rules
    };
    assert_eq!(
        rectify_due(&ten, &cal, d("2026-02-13"))
            .expect("due")
            .fix_due,
        d("2026-03-05")
    );
}

#[test]
fn the_rating_window_runs_on_working_days_from_completion() {
    let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
    let rules = RatingRules::default();
    // Completed Thursday 30 April 2026; 1–5 May are off, 9 May is worked:
    // ten working days are 6, 7, 8, 9, 11, 12, 13, 14, 15, 18 May.
    let done = Some(d("2026-04-30"));
    assert_eq!(
        rules.last_rating_day(&cal, d("2026-04-30")),
        Ok(d("2026-05-18"))
    );
    assert!(window_refusal(&rules, &cal, done, d("2026-05-18")).is_none());
    let late = window_refusal(&rules, &cal, done, d("2026-05-19")).expect("closed");
    assert_eq!(late.code, "window_closed");
    let open = window_refusal(&rules, &cal, None, d("2026-05-01")).expect("not done");
    assert_eq!(open.code, "not_completed");
}

#[test]
fn a_centre_s_rules_are_bounded_and_a_default_is_never_a_bad_or_best_rating() {
    assert!(RatingRules::default().check().is_ok());
    let bad = RatingRules {
        window_days: DayCount::of(61),
        rectify_days: DayCount::of(20),
        default_rating: Some(DefaultRating {
            level: 5,
            after_days: DayCount::of(3),
            since_ms: None,
        }),
    };
    let e = bad.check().expect_err("refused");
    let c: Vec<String> = e.0.iter().map(|x| x.field.clone()).collect();
    assert_eq!(
        c,
        vec![
            "window_days",
            "rectify_days",
            "default_rating.level",
            "default_rating.after_days"
        ]
    );
}

#[test]
fn a_rectification_moves_visit_rectify_verify_and_an_appeal_can_end_it() {
    use RectifyState as S;
    let s = rectify_step(S::AwaitingVisit, &RectifyStep::Visit).expect("visit");
    assert_eq!(s, S::Visited);
    assert!(
        rectify_step(S::AwaitingVisit, &RectifyStep::Rectify).is_err(),
        "visit first"
    );
    let s = rectify_step(s, &RectifyStep::Rectify).expect("rectify");
    assert_eq!(s, S::AwaitingVerification);
    // Sent back: rectified again.
    assert_eq!(rectify_step(s, &RectifyStep::SendBack), Ok(S::Visited));
    assert_eq!(rectify_step(s, &RectifyStep::Verify), Ok(S::Verified));
    assert_eq!(
        rectify_step(S::Verified, &RectifyStep::Verdict),
        Ok(S::Verified)
    );
    assert!(
        rectify_step(S::Visited, &RectifyStep::Verdict).is_err(),
        "verified first"
    );
    // An appeal stops it; upheld excludes the rating, rejected resumes it.
    assert_eq!(
        rectify_step(S::Visited, &RectifyStep::Appeal),
        Ok(S::Appealed)
    );
    assert!(rectify_step(S::Verified, &RectifyStep::Appeal).is_err());
    assert_eq!(
        rectify_step(S::Appealed, &RectifyStep::DecideAppeal { upheld: true }),
        Ok(S::Excluded)
    );
    assert_eq!(
        rectify_step(S::Appealed, &RectifyStep::DecideAppeal { upheld: false }),
        Ok(S::AwaitingVisit)
    );
    assert!(rectify_step(S::Excluded, &RectifyStep::Visit).is_err());
}
