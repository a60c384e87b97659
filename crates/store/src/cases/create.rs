//! Starting an application: the draft case row with its number, its
//! creation event and trail entry (online by the applicant, at the window
//! by a clerk, or as a bundle's sub-case).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::catalog::ItemDoc;
use tongban_domain::codes::{CreditCode, IdCardNumber};
use tongban_domain::{FieldError, FieldErrors};

use super::{Case, Channel, NewCase, shanghai_today};
use crate::sql::{exec, get, insert_id, query_one, to_json};
use crate::{Result, Store, StoreError, now_ms, trail};

const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

pub(crate) fn verification_code() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..8)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// Case number: centre division code, date, and the case's id.
pub(crate) fn case_number(division: &str, today: NaiveDate, id: i64) -> String {
    format!("{division}{}{id:07}", today.format("%Y%m%d"))
}

/// What a new case row holds.
pub(crate) struct CaseRow<'a> {
    pub item: &'a crate::catalog::ItemVersion,
    pub user_id: Option<i64>,
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub email: String,
    pub channel: Channel,
    pub actor: &'a Actor,
    pub form: &'a BTreeMap<String, String>,
    pub co: Vec<i64>,
    pub client_key: Option<String>,
    pub bundle_case_id: Option<i64>,
    pub waived: Vec<usize>,
    /// The bundle's promised working days, capping the case's promise.
    pub promise_cap: Option<tongban_domain::catalog::DayCount>,
}

/// The co-reviewing departments of an item, resolved when a case starts so
/// the case keeps its plan.
pub(crate) async fn co_reviewers_of(store: &Store, doc: &ItemDoc) -> Result<Vec<i64>> {
    let mut co = Vec::new();
    for code in &doc.review.co_reviewers {
        let d = store.department_by_code(code).await?.ok_or_else(|| {
            StoreError::Corrupt(format!("co-reviewing department {code} does not exist"))
        })?;
        co.push(d.id);
    }
    Ok(co)
}

pub(crate) async fn division_of(c: &impl ConnectionTrait, centre_id: i64) -> Result<String> {
    get(
        &query_one(
            c,
            "SELECT division_code FROM centres WHERE id = $1",
            vec![centre_id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::Corrupt("centre".into()))?,
        "division_code",
    )
}

/// Inserts a draft case with its creation event and trail entry; returns
/// its id and number.
pub(crate) async fn insert_case(
    txn: &impl ConnectionTrait,
    division: &str,
    today: NaiveDate,
    row: &CaseRow<'_>,
) -> Result<(i64, String)> {
    let now = now_ms();
    let item = row.item;
    let id = insert_id(
        txn,
        "INSERT INTO cases (case_no, verify_code, centre_id, centre_path, lead_department_id, item_version_id, \
         impl_code, item_name, applicant_user_id, applicant_name, applicant_id_number, applicant_phone, \
         applicant_email, channel, created_by, state, version, approved, form, clock, tasks, co_reviewers, \
         received_on, accepted_on, legal_due, promised_due, decided_on, certificate_due, client_key, created_at, updated_at, bundle_case_id, waived, promise_cap_days) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'draft', 1, NULL, $16, '[]', '[]', $17, \
         NULL, NULL, NULL, NULL, NULL, NULL, $18, $19, $19, $20, $21, $22)",
        vec![
            format!("tmp-{}", crate::accounts::random_token()).into(),
            verification_code().into(),
            item.centre_id.into(),
            item.centre_path.clone().into(),
            item.department_id.into(),
            item.id.into(),
            item.impl_code.clone().into(),
            item.doc.name.clone().into(),
            row.user_id.into(),
            row.name.clone().into(),
            row.id_number.clone().into(),
            row.phone.clone().into(),
            row.email.clone().into(),
            row.channel.as_str().into(),
            row.actor.user_id.into(),
            to_json(row.form).into(),
            to_json(&row.co).into(),
            row.client_key.clone().into(),
            now.into(),
            row.bundle_case_id.into(),
            (!row.waived.is_empty())
                .then(|| to_json(&row.waived))
                .into(),
            row.promise_cap.map(|d| i64::from(d.get())).into(),
        ],
    )
    .await?;
    let case_no = case_number(division, today, id);
    exec(
        txn,
        "UPDATE cases SET case_no = $1 WHERE id = $2",
        vec![case_no.clone().into(), id.into()],
    )
    .await?;
    exec(
        txn,
        "INSERT INTO case_events (case_id, at, actor_id, actor_name, action, from_state, to_state, details, document_id, day) \
         VALUES ($1, $2, $3, $4, 'create', '', 'draft', $5, NULL, $6)",
        vec![
            id.into(),
            now.into(),
            row.actor.user_id.into(),
            row.actor.display_name.clone().into(),
            serde_json::json!({"channel": row.channel.as_str(), "bundle": row.bundle_case_id})
                .to_string()
                .into(),
            today.to_string().into(),
        ],
    )
    .await?;
    trail::append(
        txn,
        Some(row.actor.user_id),
        "case.create",
        &format!("case:{case_no}"),
        serde_json::json!({"item": item.impl_code, "version": item.version, "channel": row.channel.as_str(), "bundle": row.bundle_case_id}),
    )
    .await?;
    Ok((id, case_no))
}

impl Store {
    /// Starts an application for the published version of `impl_code`: an
    /// applicant online (their own identity) or a clerk at the window (the
    /// applicant's identity as entered). The case is a draft until submitted.
    /// The same `client_key` from the same author answers the same case,
    /// however many requests carry it at once.
    pub async fn create_case(
        &self,
        actor: &Actor,
        impl_code: &str,
        input: NewCase,
    ) -> Result<Case> {
        let channel = match actor.role {
            Role::Applicant | Role::Concierge => Channel::Online,
            Role::Clerk => Channel::Window,
            _ => return Err(StoreError::Forbidden(Denied::Role)),
        };
        // A concierge applies for an enterprise under its authorization for
        // this item, and the application is the enterprise's.
        let agent_for = match actor.role {
            Role::Concierge => {
                let who = input.on_behalf_of.clone().unwrap_or_default();
                let r = query_one(
                    self.conn(),
                    "SELECT id FROM users WHERE username = $1 AND active",
                    vec![who.trim().into()],
                )
                .await?;
                let id = match r {
                    Some(r) => get::<i64>(&r, "id")?,
                    None => 0,
                };
                if id == 0 || !crate::accounts::mandates::is_enterprise(self.conn(), id).await? {
                    return Err(StoreError::Invalid(
                        FieldError::new(
                            "on_behalf_of",
                            "unknown",
                            "请填写委托办理的企业账户用户名",
                            "name the enterprise account you act for",
                        )
                        .into(),
                    ));
                }
                Some(id)
            }
            _ => None,
        };
        if let Some(key) = &input.client_key {
            if key.len() > 100 {
                return Err(StoreError::Invalid(
                    FieldError::new(
                        "client_key",
                        "too_long",
                        "请求标识过长",
                        "client_key must be at most 100 characters",
                    )
                    .into(),
                ));
            }
            if let Some(c) = self.case_by_client_key(actor, key).await? {
                return Ok(c);
            }
        }
        let item = self
            .published_item(impl_code)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("published item {impl_code}")))?;
        if !item.centre_path.starts_with(&actor.centre_path)
            && !actor.centre_path.starts_with(&item.centre_path)
        {
            return Err(StoreError::Forbidden(Denied::Department));
        }
        // The form: only the item's fields, each checked.
        let mut errs = FieldErrors::default();
        for k in input.form.keys() {
            if !item.doc.form_fields.iter().any(|f| &f.key == k) {
                errs.push(FieldError::new(
                    format!("form.{k}"),
                    "unknown",
                    format!("本事项没有字段{k}"),
                    format!("the item has no field {k}"),
                ));
            }
        }
        for f in &item.doc.form_fields {
            if let Some(e) = f.check(input.form.get(&f.key).map(String::as_str)) {
                errs.push(e);
            }
        }
        let form: BTreeMap<String, String> = input
            .form
            .iter()
            .map(|(k, v)| (k.clone(), v.trim().to_string()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        // The applicant.
        let (name, id_number, phone, email, user_id) = match channel {
            Channel::Online => {
                let applicant = agent_for.unwrap_or(actor.user_id);
                let r = query_one(
                    self.conn(),
                    "SELECT display_name, id_number, phone, email FROM users WHERE id = $1",
                    vec![applicant.into()],
                )
                .await?
                .ok_or_else(|| StoreError::NotFound("user".into()))?;
                (
                    get::<String>(&r, "display_name")?,
                    get::<String>(&r, "id_number")?,
                    get::<String>(&r, "phone")?,
                    get::<String>(&r, "email")?,
                    Some(applicant),
                )
            }
            Channel::Window => {
                let a = input.applicant.clone().unwrap_or_default();
                if a.name.trim().is_empty() {
                    errs.push(FieldError::required("applicant.name", "申请人姓名或名称"));
                } else if let Some(e) = tongban_domain::text::check_text(
                    "applicant.name",
                    "申请人姓名或名称",
                    "the applicant's name",
                    a.name.trim(),
                    tongban_domain::text::NAME_MAX,
                    false,
                ) {
                    errs.push(e);
                }
                let idn = a.id_number.trim().to_ascii_uppercase();
                match (IdCardNumber::parse(&idn), CreditCode::parse(&idn)) {
                    (Ok(id), _) if !id.born_by(shanghai_today()) => errs.push(FieldError::new(
                        "applicant.id_number",
                        "invalid_code",
                        "公民身份号码中的出生日期晚于今天，请核对",
                        "the citizen ID number gives a birth date after today; check it",
                    )),
                    (Ok(_), _) | (_, Ok(_)) => {}
                    _ => errs.push(FieldError::new(
                        "applicant.id_number",
                        "invalid_code",
                        "请填写有效的公民身份号码或统一社会信用代码",
                        "enter a valid citizen ID number or unified social credit code",
                    )),
                }
                if !a.phone.trim().is_empty()
                    && !tongban_domain::codes::is_valid_phone(a.phone.trim())
                {
                    errs.push(FieldError::new(
                        "applicant.phone",
                        "invalid",
                        "请填写有效的联系电话",
                        "enter a valid phone number",
                    ));
                }
                let mut email = a.email.trim().to_string();
                if !email.is_empty() {
                    match tongban_domain::codes::Email::parse(&email) {
                        Ok(e) => email = e.as_str().to_string(),
                        Err(e) => errs.push(e.under("applicant")),
                    }
                }
                (
                    a.name.trim().to_string(),
                    idn,
                    a.phone.trim().to_string(),
                    email,
                    None,
                )
            }
        };
        errs.into_result().map_err(StoreError::Invalid)?;
        let today = shanghai_today();
        // A concierge without the enterprise's authorization for this item is
        // refused with the reason; with it, the draft names both.
        let labelled = self
            .acting_on_case(actor, agent_for, &item.impl_code, today)
            .await?;
        let actor = &labelled;
        let co = co_reviewers_of(self, &item.doc).await?;
        let division = division_of(self.conn(), item.centre_id).await?;
        let txn = self.begin().await?;
        let inserted = insert_case(
            &txn,
            &division,
            today,
            &CaseRow {
                item: &item,
                user_id,
                name,
                id_number,
                phone,
                email,
                channel,
                actor,
                form: &form,
                co,
                client_key: input.client_key.clone(),
                bundle_case_id: None,
                waived: Vec::new(),
                promise_cap: None,
            },
        )
        .await;
        let committed = match inserted {
            Ok((id, _)) => txn.commit().await.map(|()| id),
            Err(e) => Err(e),
        };
        match committed {
            Ok(id) => self.case(id).await,
            // The same key raced this request (a double click, a retry): the
            // unique key refused the second row, so answer with the first.
            Err(e) => match &input.client_key {
                Some(key) => match self.case_by_client_key(actor, key).await? {
                    Some(c) => Ok(c),
                    None => Err(e),
                },
                None => Err(e),
            },
        }
    }

    /// The case its author created with this idempotency key.
    async fn case_by_client_key(&self, actor: &Actor, key: &str) -> Result<Option<Case>> {
        match query_one(
            self.conn(),
            "SELECT id FROM cases WHERE created_by = $1 AND client_key = $2",
            vec![actor.user_id.into(), key.into()],
        )
        .await?
        {
            Some(r) => Ok(Some(self.case(get(&r, "id")?).await?)),
            None => Ok(None),
        }
    }
}
