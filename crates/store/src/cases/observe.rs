//! Case observers: how a capability reacts to what happens to cases.
//!
//! Every step the writer takes — a person's command, the system's 秒批 step,
//! a deemed acceptance — becomes a [`StepEvent`]. After the writer has
//! written a batch's steps (one command alone is a batch of one), it hands
//! all of them, in order, to every registered [`CaseObserver`] inside the
//! same transaction. An observer adds its own writes there (its tables
//! directly; notices and audit-trail entries through [`Effects`], which the
//! writer then writes once for the whole batch), so a reaction commits or
//! rolls back with the step it reacts to, and is the same whether the step
//! was written alone or batched. A new capability registers an observer; it
//! never touches the writer.

use std::any::Any;
use std::sync::{Arc, RwLock};

use chrono::NaiveDate;
use sea_orm::prelude::async_trait::async_trait;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{CaseState, Command, DocKind, Notify};
use tongban_domain::clock::{ClockEvent, Deadlines};

use super::Case;
use crate::outbox::Notice;
use crate::trail::NewEntry;
use crate::{Result, WriteTxn};

/// What a step did, as observers filter on it. A step may be several
/// things at once (送达 that ends the case is `Delivered` and `Completed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CaseEventKind {
    Submitted,
    Accepted,
    /// 补正: the one-time correction notice at intake.
    CorrectionRequested,
    /// The applicant supplied what a correction notice asked for.
    Corrected,
    /// 不予受理.
    Refused,
    /// A department's review opinion.
    Reviewed,
    /// The clock stopped (special procedure, or a correction after acceptance).
    Suspended,
    Resumed,
    Extended,
    Decided,
    /// 制证.
    Certified,
    Delivered,
    /// The case ended in 办结.
    Completed,
    Withdrawn,
}

impl CaseEventKind {
    /// What a step that ran `cmd` into `to`, with clock event `clock`, was.
    pub fn of(cmd: &Command, to: CaseState, clock: Option<&ClockEvent>) -> Vec<CaseEventKind> {
        use CaseEventKind as K;
        let mut kinds = vec![match cmd {
            Command::Submit => K::Submitted,
            Command::Accept => K::Accepted,
            Command::RequestCorrection { .. } => K::CorrectionRequested,
            Command::SupplyCorrection => K::Corrected,
            Command::Refuse { .. } => K::Refused,
            Command::CompleteReview { .. } => K::Reviewed,
            Command::Suspend { .. } => K::Suspended,
            Command::Resume => K::Resumed,
            Command::Extend { .. } => K::Extended,
            Command::Decide { .. } => K::Decided,
            Command::Issue => K::Certified,
            Command::Deliver { .. } => K::Delivered,
            Command::Withdraw { .. } => K::Withdrawn,
        }];
        // Supplying a correction after acceptance restarts the clock.
        if matches!(cmd, Command::SupplyCorrection)
            && matches!(clock, Some(ClockEvent::Resumed { .. }))
        {
            kinds.push(K::Resumed);
        }
        if to == CaseState::Completed {
            kinds.push(K::Completed);
        }
        kinds
    }
}

/// One step a case took, as the writer wrote it.
#[derive(Clone)]
pub struct StepEvent {
    /// Which of the batch's jobs took the step (several steps of one job —
    /// a submission and its 秒批 — share it).
    pub job: usize,
    pub kinds: Vec<CaseEventKind>,
    /// The recorded action (`accept`, `deemed_accepted`, …).
    pub action: String,
    pub from: CaseState,
    /// The case as this step left it (state, version, tasks, dates).
    pub case: Arc<Case>,
    /// The person who acted; `None` for the system (秒批, sweeps).
    pub actor: Option<i64>,
    /// Who the domain says should hear of the step.
    pub notify: Vec<Notify>,
    /// The clock event the step recorded, if any.
    pub clock: Option<ClockEvent>,
    /// The deadlines after the step (none before acceptance, or while a
    /// calendar year is missing).
    pub deadlines: Option<Deadlines>,
    /// The document the step issued, with its id.
    pub document: Option<(DocKind, i64)>,
    /// The event's details (the command, and why the system acted).
    pub details: serde_json::Value,
    /// The day the step counts as taken on (China Standard Time).
    pub today: NaiveDate,
    /// The working-day calendar the step was decided on.
    pub calendar: Arc<WorkCalendar>,
    /// What the capability that queued the job attached for its observer
    /// (e.g. the shared-data lookups of a submission).
    pub attachment: Option<Arc<dyn Any + Send + Sync>>,
}

impl StepEvent {
    pub fn is(&self, kind: CaseEventKind) -> bool {
        self.kinds.contains(&kind)
    }

    /// The attachment, if it is a `T`.
    pub fn attached<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.attachment
            .as_deref()
            .and_then(|a| a.downcast_ref::<T>())
    }
}

impl std::fmt::Debug for StepEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StepEvent")
            .field("job", &self.job)
            .field("case", &self.case.id)
            .field("action", &self.action)
            .field("kinds", &self.kinds)
            .field("from", &self.from)
            .field("to", &self.case.state)
            .finish()
    }
}

/// What observers add besides their own tables: notices and audit-trail
/// entries, written by the writer once per batch (in the order added).
#[derive(Debug, Default)]
pub struct Effects {
    pub(crate) notices: Vec<Notice>,
    pub(crate) trail: Vec<NewEntry>,
}

impl Effects {
    pub fn notice(&mut self, n: Notice) {
        self.notices.push(n);
    }

    pub fn trail(&mut self, e: NewEntry) {
        self.trail.push(e);
    }

    /// Writes what was added (notices, then the trail's chain extension).
    pub(crate) async fn write(self, txn: &WriteTxn) -> Result<()> {
        crate::outbox::write(txn, &self.notices).await?;
        crate::trail::extend(txn, &self.trail).await
    }
}

/// A capability's reaction to case steps. `observe` runs inside the
/// transaction that wrote `steps` (all of one batch, in order); an error
/// rolls the batch back (the writer then retries its commands one by one,
/// so an observer's error fails only the command it reacts to).
#[async_trait]
pub trait CaseObserver: Send + Sync {
    /// A short stable name, for logs.
    fn name(&self) -> &'static str;

    /// What this observer must see one step at a time: two jobs on cases
    /// with the same key never share a batch (a bundle reacts to each of
    /// its sub-cases in turn). `None`: no such constraint.
    fn exclusive_key(&self, _case: &Case) -> Option<i64> {
        None
    }

    async fn observe(&self, txn: &WriteTxn, steps: &[StepEvent], fx: &mut Effects) -> Result<()>;
}

/// The observers registered on a store, in registration order.
#[derive(Clone, Default)]
pub(crate) struct Observers(Arc<RwLock<Vec<Arc<dyn CaseObserver>>>>);

impl Observers {
    pub(crate) fn register(&self, o: Arc<dyn CaseObserver>) {
        match self.0.write() {
            Ok(mut v) => v.push(o),
            Err(p) => p.into_inner().push(o),
        }
    }

    pub(crate) fn remove(&self, name: &str) {
        match self.0.write() {
            Ok(mut v) => v.retain(|o| o.name() != name),
            Err(p) => p.into_inner().retain(|o| o.name() != name),
        }
    }

    pub(crate) fn all(&self) -> Vec<Arc<dyn CaseObserver>> {
        match self.0.read() {
            Ok(v) => v.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// The observers' exclusive keys for `case`, each with its observer's
    /// name (so two observers' keys never collide).
    pub(crate) fn exclusive_keys(&self, case: &Case) -> Vec<(&'static str, i64)> {
        self.all()
            .iter()
            .filter_map(|o| o.exclusive_key(case).map(|k| (o.name(), k)))
            .collect()
    }

    /// Tells every observer about `steps`, in order.
    pub(crate) async fn dispatch(
        &self,
        txn: &WriteTxn,
        steps: &[StepEvent],
        fx: &mut Effects,
    ) -> Result<()> {
        if steps.is_empty() {
            return Ok(());
        }
        for o in self.all() {
            o.observe(txn, steps, fx).await.inspect_err(|e| {
                tracing::debug!(observer = o.name(), "case observer failed: {e}");
            })?;
        }
        Ok(())
    }
}
