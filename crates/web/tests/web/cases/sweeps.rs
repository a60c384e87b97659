//! The sweeps: unanswered applications are deemed accepted, and deadline
//! warnings go out once.

use super::*;

#[tokio::test]
async fn unanswered_applications_are_deemed_accepted_and_warnings_sent_once() {
    for app in apps("case_sweeps").await {
        let b = app.backend.clone();
        app.enter_next_year().await;
        let cal = app.state.calendar();
        let today = app.state.today();
        let applicant = app.login("applicant").await;
        let clerk = app.login("clerk").await;
        let id = submitted(&app, &applicant).await;
        let store = app.store();
        // Five working days after receipt the window still may act.
        let fifth = cal.add_workdays(today, 5).expect("cal");
        assert_eq!(
            store.sweep_intake(&cal, fifth).await.expect("sweep"),
            0,
            "{b}"
        );
        let sixth = cal.add_workdays(today, 6).expect("cal");
        assert_eq!(
            store.sweep_intake(&cal, sixth).await.expect("sweep"),
            1,
            "{b}"
        );
        let c = get_case(&app, &clerk, id).await;
        assert_eq!(c["case"]["state"], "review", "{b}");
        assert_eq!(
            date(&c["clock"]["accepted_on"]),
            today,
            "{b}: accepted from receipt"
        );
        let trail = store.trail(20).await.expect("trail");
        let e = trail
            .iter()
            .find(|e| e.action == "case.deemed_accepted")
            .unwrap_or_else(|| panic!("{b}: trail entry"));
        assert!(
            e.details.contains("第三十二条") && e.actor_id.is_none(),
            "{b}: {}",
            e.details
        );
        assert_eq!(
            store.sweep_intake(&cal, sixth).await.expect("sweep"),
            0,
            "{b}: once"
        );

        // Promised 10 working days: on the 9th, yellow; after the 10th, red; each once.
        let reviewer_id = store
            .users()
            .await
            .expect("users")
            .into_iter()
            .find(|u| u.username == "reviewer")
            .expect("reviewer")
            .id;
        let rule = Default::default();
        let before = store
            .notifications(reviewer_id, 500)
            .await
            .expect("n")
            .len();
        let day9 = cal.add_workdays(today, 9).expect("cal");
        let (a, b2) = tokio::join!(
            store.sweep_warnings(&cal, day9, rule),
            store.sweep_warnings(&cal, day9, rule)
        );
        assert_eq!(
            a.expect("sweep") + b2.expect("sweep"),
            1,
            "{b}: two sweeps at once warn once"
        );
        assert_eq!(
            store.sweep_warnings(&cal, day9, rule).await.expect("sweep"),
            0,
            "{b}"
        );
        let day11 = cal.add_workdays(today, 11).expect("cal");
        assert_eq!(
            store
                .sweep_warnings(&cal, day11, rule)
                .await
                .expect("sweep"),
            1,
            "{b}: red"
        );
        let notes = store.notifications(reviewer_id, 500).await.expect("n");
        let warnings: Vec<&str> = notes[..notes.len() - before]
            .iter()
            .map(|n| n.subject.as_str())
            .filter(|s| s.contains("预警"))
            .collect();
        assert_eq!(warnings.len(), 2, "{b}: {warnings:?}");
        let sup = store
            .users()
            .await
            .expect("users")
            .into_iter()
            .find(|u| u.username == "supervisor")
            .expect("sup")
            .id;
        assert!(
            store
                .notifications(sup, 50)
                .await
                .expect("n")
                .iter()
                .any(|n| n.subject.contains("红色预警")),
            "{b}: the supervisor hears of red"
        );
    }
}
