//! What pages and lists read of cases: one case with its files, documents
//! and events; the inbox, intake queue, own and supervised lists (dates
//! recomputed from the clock events); the public progress lookup.

use chrono::NaiveDate;
use sea_orm::QueryResult;
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{CaseFacts, CaseState, DocKind};
use tongban_domain::catalog::ItemDoc;
use tongban_domain::codes::mask_name;
use tongban_domain::privacy::Sight;

use super::facts::facts_of;
use super::{
    CASE_COLS, Case, CaseDocument, CaseEvent, CaseFile, CaseListRow, CaseRecord, PublicProgress,
    PublicStep, action_zh, row_case,
};
use crate::sql::{get, json_col, query, query_one};
use crate::{Result, Store, StoreError};

impl Store {
    /// The case as stored, unmasked: for the store itself (use
    /// [`Store::case_for`] to hand a case out).
    pub(crate) async fn case(&self, id: i64) -> Result<Case> {
        let r = query_one(
            self.conn(),
            &format!("SELECT {CASE_COLS} WHERE k.id = $1"),
            vec![id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("case {id}")))?;
        row_case(&r)
    }

    /// The concierge who may act as the case's applicant today (`actor`,
    /// when they hold its valid authorization), for showing the actions.
    pub async fn agent_of(
        &self,
        actor: &Actor,
        case: &Case,
        today: NaiveDate,
    ) -> Result<Option<i64>> {
        Ok(crate::accounts::mandates::agent_in(
            self.conn(),
            actor,
            case.applicant_user_id,
            &case.impl_code,
            today,
        )
        .await?
        .unwrap_or(None))
    }

    /// Whether `actor` may see `case`: [`Case::visible_to`], and for a
    /// concierge also the submitted applications of the enterprises
    /// assigned to them (一对一).
    pub async fn sees_case(&self, actor: &Actor, case: &Case) -> Result<bool> {
        if case.visible_to(actor) {
            return Ok(true);
        }
        match (actor.role, case.applicant_user_id) {
            (Role::Concierge, Some(e)) if case.state != CaseState::Draft => {
                crate::accounts::mandates::follows(self.conn(), actor.user_id, e).await
            }
            _ => Ok(false),
        }
    }

    /// A case as `actor` may see it: not found when it is not theirs to see.
    pub async fn case_for(&self, actor: &Actor, id: i64) -> Result<CaseRecord> {
        let case = self.case(id).await?;
        if !self.sees_case(actor, &case).await? {
            // Do not reveal that the case exists.
            return Err(StoreError::NotFound(format!("case {id}")));
        }
        let doc = self.item_doc(case.item_version_id).await?;
        Ok(CaseRecord {
            files: self.case_files(id).await?,
            documents: self.case_documents(id).await?,
            events: self.case_events(id).await?,
            case,
            doc,
        }
        .seen_by(Sight::of(actor)))
    }

    /// The files of `case` (one `actor` was shown), as their sight shows them.
    pub async fn case_files_for(&self, actor: &Actor, case: &Case) -> Result<Vec<CaseFile>> {
        if !self.sees_case(actor, case).await? {
            return Err(StoreError::NotFound(format!("case {}", case.id)));
        }
        let sight = Sight::of(actor);
        Ok(self
            .case_files(case.id)
            .await?
            .into_iter()
            .map(|f| f.seen_by(sight))
            .collect())
    }

    pub(crate) async fn case_files(&self, case_id: i64) -> Result<Vec<CaseFile>> {
        let rows = query(
            self.conn(),
            "SELECT id, material_index, file_name, content_type, size, uploaded_at, object_key FROM case_files WHERE case_id = $1 ORDER BY id",
            vec![case_id.into()],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CaseFile {
                    id: get(r, "id")?,
                    material_index: get(r, "material_index")?,
                    file_name: get(r, "file_name")?,
                    content_type: get(r, "content_type")?,
                    size: get(r, "size")?,
                    uploaded_at: get(r, "uploaded_at")?,
                    object_key: get(r, "object_key")?,
                })
            })
            .collect()
    }

    pub(crate) async fn case_documents(&self, case_id: i64) -> Result<Vec<CaseDocument>> {
        let rows = query(
            self.conn(),
            "SELECT id, case_id, kind, number, body, created_at FROM case_documents WHERE case_id = $1 ORDER BY id",
            vec![case_id.into()],
        )
        .await?;
        rows.iter().map(row_document).collect()
    }

    /// One document, if `actor` may see its case.
    pub async fn case_document(&self, actor: &Actor, doc_id: i64) -> Result<(Case, CaseDocument)> {
        let r = query_one(
            self.conn(),
            "SELECT id, case_id, kind, number, body, created_at FROM case_documents WHERE id = $1",
            vec![doc_id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("document {doc_id}")))?;
        let d = row_document(&r)?;
        let case = self.case(d.case_id).await?;
        if !self.sees_case(actor, &case).await? {
            return Err(StoreError::NotFound(format!("document {doc_id}")));
        }
        let sight = Sight::of(actor);
        let d = d.seen_by(sight, &case.verify_code);
        Ok((case.seen_by(sight), d))
    }

    pub(crate) async fn case_events(&self, case_id: i64) -> Result<Vec<CaseEvent>> {
        let rows = query(
            self.conn(),
            "SELECT at, actor_name, action, from_state, to_state, details, document_id FROM case_events WHERE case_id = $1 ORDER BY id",
            vec![case_id.into()],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CaseEvent {
                    at: get(r, "at")?,
                    actor_name: get(r, "actor_name")?,
                    action: get(r, "action")?,
                    from_state: get(r, "from_state")?,
                    to_state: get(r, "to_state")?,
                    details: json_col(r, "details")?,
                    document_id: get(r, "document_id")?,
                })
            })
            .collect()
    }

    /// The facts the case rules decide on (for showing only allowed actions).
    pub async fn case_facts(
        &self,
        case: &Case,
        doc: &ItemDoc,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<CaseFacts> {
        facts_of(self.conn(), case, doc, None, cal, today).await
    }

    /// Cases of `actor`'s department that await its action, most urgent first.
    pub async fn inbox(
        &self,
        actor: &Actor,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Vec<CaseListRow>> {
        let Some(dept) = actor.department_id else {
            return Err(StoreError::Forbidden(Denied::Department));
        };
        if !matches!(actor.role, Role::Reviewer | Role::Head) {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let rows = query(
            self.conn(),
            &format!(
                "SELECT {CASE_COLS} WHERE k.centre_path LIKE $2 AND ( \
                 (k.state IN ('review', 'suspended') AND EXISTS (SELECT 1 FROM case_tasks t WHERE t.case_id = k.id AND t.department_id = $1 AND t.status = 'active')) \
                 OR (k.lead_department_id = $1 AND k.state IN ('decision', 'suspended', 'certifying', 'delivering'))) \
                 ORDER BY {PRIORITY_FIRST}, k.promised_due, k.id LIMIT 500"
            ),
            vec![dept.into(), format!("{}%", actor.centre_path).into()],
        )
        .await?;
        let mut out: Vec<CaseListRow> = rows
            .iter()
            .map(|r| row_case(r).map(|c| list_row(&c, cal, today)))
            .collect::<Result<_>>()?;
        // Remaining working days decide the order (a suspended case's date
        // moves), after the green channel's.
        out.sort_by_key(|r| (r.days_left.unwrap_or(i64::MAX), r.id));
        priority_first(self.conn(), &mut out).await?;
        Ok(out)
    }

    /// Applications waiting at the window of `actor`'s centre, oldest first.
    pub async fn intake_queue(
        &self,
        actor: &Actor,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Vec<CaseListRow>> {
        if actor.role != Role::Clerk {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let rows = query(
            self.conn(),
            &format!(
                "SELECT {CASE_COLS} WHERE k.centre_path LIKE $1 AND k.state IN ('submitted', 'delivering', 'correction') \
                 ORDER BY {PRIORITY_FIRST}, k.received_on, k.id LIMIT 500"
            ),
            vec![format!("{}%", actor.centre_path).into()],
        )
        .await?;
        let mut out: Vec<CaseListRow> = rows
            .iter()
            .map(|r| row_case(r).map(|c| list_row(&c, cal, today)))
            .collect::<Result<_>>()?;
        priority_first(self.conn(), &mut out).await?;
        Ok(out)
    }

    /// The applicant's own cases, newest first.
    pub async fn my_cases(
        &self,
        actor: &Actor,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Vec<CaseListRow>> {
        let rows = query(
            self.conn(),
            &format!(
                "SELECT {CASE_COLS} WHERE k.applicant_user_id = $1 ORDER BY k.id DESC LIMIT 500"
            ),
            vec![actor.user_id.into()],
        )
        .await?;
        rows.iter()
            .map(|r| {
                row_case(r).map(|c| {
                    let mut row = list_row(&c, cal, today);
                    row.applicant = c.applicant_name.clone();
                    row
                })
            })
            .collect()
    }

    /// Every case of the centre tree (supervisor), most urgent first.
    pub async fn supervised_cases(
        &self,
        actor: &Actor,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Vec<CaseListRow>> {
        if actor.role != Role::Supervisor {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let rows = query(
            self.conn(),
            &format!(
                "SELECT {CASE_COLS} WHERE k.centre_path LIKE $1 AND k.state IN ('review', 'suspended', 'decision') \
                 ORDER BY k.promised_due, k.id LIMIT 1000"
            ),
            vec![format!("{}%", actor.centre_path).into()],
        )
        .await?;
        rows.iter()
            .map(|r| row_case(r).map(|c| list_row(&c, cal, today)))
            .collect()
    }

    /// Public progress lookup: the case number and its verification code.
    pub async fn lookup(
        &self,
        case_no: &str,
        code: &str,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Option<PublicProgress>> {
        let case_no = case_no.trim();
        let code = code.trim().to_ascii_uppercase();
        if case_no.is_empty() || case_no.len() > 40 || code.len() != 8 {
            return Ok(None);
        }
        let Some(r) = query_one(
            self.conn(),
            &format!("SELECT {CASE_COLS} WHERE k.case_no = $1"),
            vec![case_no.into()],
        )
        .await?
        else {
            return Ok(None);
        };
        let c = row_case(&r)?;
        if !crate::sql::same_code(&c.verify_code, &code) || c.state == CaseState::Draft {
            return Ok(None);
        }
        let steps = self
            .case_events(c.id)
            .await?
            .into_iter()
            .filter(|e| e.from_state != e.to_state || e.action == "extend")
            .filter_map(|e| {
                CaseState::parse(&e.to_state).map(|state| PublicStep {
                    at: e.at,
                    action_zh: action_zh(&e.action).into(),
                    state,
                })
            })
            .collect();
        let (promised_due, legal_due) = match c.deadlines(cal, today) {
            Some(Ok(d)) => (Some(d.promised_due), Some(d.legal_due)),
            _ => (c.promised_due, c.legal_due),
        };
        Ok(Some(PublicProgress {
            case_no: c.case_no,
            item_name: c.item_name,
            department: c.lead_department_name,
            state: c.state,
            received_on: c.received_on,
            accepted_on: c.accepted_on,
            promised_due,
            legal_due,
            decided_on: c.decided_on,
            steps,
        }))
    }
}

fn row_document(r: &QueryResult) -> Result<CaseDocument> {
    let kind: String = get(r, "kind")?;
    Ok(CaseDocument {
        id: get(r, "id")?,
        case_id: get(r, "case_id")?,
        kind: DocKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("document kind {kind}")))?,
        number: get(r, "number")?,
        body: json_col(r, "body")?,
        created_at: get(r, "created_at")?,
    })
}

fn list_row(c: &Case, cal: &WorkCalendar, today: NaiveDate) -> CaseListRow {
    // Dates follow from the events and today's calendar (a suspended case's
    // date moves day by day; a year entered since the last step fills it in).
    let (promised, legal) = match c.deadlines(cal, today) {
        Some(Ok(d)) => (Some(d.promised_due), Some(d.legal_due)),
        _ => (c.promised_due, c.legal_due),
    };
    let days_left = if c.state.clock_open() {
        promised.and_then(|p| cal.workdays_between(today, p).ok())
    } else {
        None
    };
    CaseListRow {
        id: c.id,
        case_no: c.case_no.clone(),
        item_name: c.item_name.clone(),
        applicant: mask_name(&c.applicant_name),
        state: c.state,
        received_on: c.received_on,
        promised_due: promised,
        legal_due: legal,
        days_left,
        updated_at: c.updated_at,
        priority: None,
    }
}

/// The green channel's order: marked cases first (in SQL, so that a
/// list's limit never leaves one out).
const PRIORITY_FIRST: &str =
    "(CASE WHEN EXISTS (SELECT 1 FROM case_priority cp WHERE cp.case_id = k.id) THEN 0 ELSE 1 END)";

/// Marks the rows of prioritised cases (绿色通道) and puts them first,
/// keeping the order among the rest.
async fn priority_first(c: &impl sea_orm::ConnectionTrait, rows: &mut [CaseListRow]) -> Result<()> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut marks = super::priority::marks_of(c, &ids).await?;
    for r in rows.iter_mut() {
        r.priority = marks.remove(&r.id);
    }
    rows.sort_by_key(|r| r.priority.is_none());
    Ok(())
}
