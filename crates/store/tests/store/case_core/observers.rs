//! Case observers see every step once, in its transaction, alone and
//! batched; one that fails fails only the step it reacts to.

use std::sync::{Arc, Mutex};

use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::Command;
use tongban_store::cases::{CaseEventKind, CaseObserver, Effects, Job, StepEvent};
use tongban_store::sea_orm_conn::ConnectionTrait;
use tongban_store::{StoreError, WriteTxn};

use super::{day, pairs, run, world};
use crate::helpers::actor;

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
            let mut ids: Vec<i64> = w.item.clone();
            ids.extend(&w.medical);
            ids.extend(w.subs.iter().map(|s| s.0));
            // The steps each case had before the probe came.
            let mut before_probe = std::collections::HashMap::new();
            for id in &ids {
                let n = store
                    .unmasked_case_events(*id)
                    .await
                    .expect("events")
                    .into_iter()
                    .filter(|e| e.action != "create")
                    .count();
                before_probe.insert(*id, n);
            }
            let probe = Arc::new(Probe::default());
            store.register_observer(Arc::new(ProbeObserver(probe.clone())));
            run(store, &w, batched).await;
            let seen = probe.seen.lock().expect("probe").clone();
            let mut steps = 0;
            for id in ids {
                // Every recorded step after the probe came, in order, exactly once.
                let events: Vec<(String, String, String)> = store
                    .unmasked_case_events(id)
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
                // Every step recorded since the probe came, each seen once.
                let before = before_probe[&id];
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
        let c = store.unmasked_case(bad).await.expect("case");
        assert_eq!(c.state.as_str(), "draft", "{backend}: rolled back");
        assert_eq!(
            store.unmasked_case_events(bad).await.expect("events").len(),
            1,
            "{backend}: no event written"
        );
    }
}

/// Keeps two cases out of one round (one exclusive key) and panics when it
/// is shown the second: the panic happens in the writer's later round.
struct PanicsInLaterRound {
    first: i64,
    second: i64,
}

#[tongban_store::async_trait]
impl CaseObserver for PanicsInLaterRound {
    fn name(&self) -> &'static str {
        "panics_later"
    }

    fn exclusive_key(&self, case: &tongban_store::cases::Case) -> Option<i64> {
        (case.id == self.first || case.id == self.second).then_some(1)
    }

    async fn observe(
        &self,
        _txn: &WriteTxn,
        steps: &[StepEvent],
        _fx: &mut Effects,
    ) -> tongban_store::Result<()> {
        if steps.iter().any(|s| s.case.id == self.second) {
            panic!("a faulty observer (deliberate, in a test)");
        }
        Ok(())
    }
}

/// A panic in an observer during a later round of the writer's batch (a job
/// deferred by an exclusive key) fails that round's command only: the
/// command committed in the earlier round is answered as done, and the
/// writer goes on taking commands.
#[tokio::test]
async fn a_panic_in_a_later_round_fails_only_that_round() {
    for (backend, store) in tongban_store::testing::stores("observer_panics").await {
        let w = world(&store).await;
        let (first, second, after) = (w.item[0], w.item[1], w.item[2]);
        store.register_observer(Arc::new(PanicsInLaterRound { first, second }));
        let writer = tongban_store::cases::CaseWriter::start(store.clone());
        let cal = Arc::new(WorkCalendar::builtin_with(&[]).expect("calendar"));
        let applicant = actor(&store, "applicant").await;
        let submit = |id| Job::command(&applicant, id, None, Command::Submit, cal.clone(), day());
        // Sent together, so that they meet in one batch of the writer.
        let (a, b) = tokio::join!(writer.run(submit(first)), writer.run(submit(second)));
        assert_eq!(
            a.as_ref().map(|x| x.state.as_str()).ok(),
            Some("submitted"),
            "{backend}: the committed command is reported done: {a:?}"
        );
        assert!(
            matches!(&b, Err(StoreError::Corrupt(m)) if m.contains("nothing was changed")),
            "{backend}: the command of the failed round: {b:?}"
        );
        let c = store.unmasked_case(first).await.expect("case");
        assert_eq!(c.state.as_str(), "submitted", "{backend}");
        let c = store.unmasked_case(second).await.expect("case");
        assert_eq!(c.state.as_str(), "draft", "{backend}: rolled back");
        let later = writer.run(submit(after)).await;
        assert_eq!(
            later.as_ref().map(|x| x.state.as_str()).ok(),
            Some("submitted"),
            "{backend}: the writer still works: {later:?}"
        );
    }
}
