//! 授权委托 (SPEC §9): an enterprise's record that a concierge may act for
//! it — for all its applications or listed items — between two dates, with
//! the signed letter. Never deleted: revoking sets the day. The rules are
//! `tongban_domain::enterprise::mandate`; the case core and 靠前服务 ask
//! [`Store::mandate_check`] before a concierge acts for an enterprise.

use chrono::NaiveDate;
use serde::Serialize;
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::codes::CreditCode;
use tongban_domain::enterprise::{Mandate, MandateRefusal, MandateScope};

use crate::attachments::Attachments;
use crate::sql::{date_col, json_col, to_json};
use crate::{Result, Store, StoreError, exec, get, insert_id, now_ms, query, query_one, trail};

/// A recorded authorization as its parties see it.
#[derive(Debug, Clone, Serialize)]
pub struct MandateRecord {
    pub id: i64,
    pub enterprise_user_id: i64,
    pub enterprise_name: String,
    pub concierge_user_id: i64,
    pub concierge_name: String,
    /// Every item (true) or only `items`.
    pub scope_all: bool,
    pub items: Vec<String>,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub revoked_on: Option<NaiveDate>,
    pub letter_name: String,
    pub created_at: i64,
}

impl MandateRecord {
    pub fn rule(&self) -> Mandate {
        Mandate {
            scope: if self.scope_all {
                MandateScope::All
            } else {
                MandateScope::Items(self.items.iter().cloned().collect())
            },
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            revoked_on: self.revoked_on,
        }
    }
}

/// What an enterprise fills in to authorize a concierge.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewMandate {
    /// The concierge's user name.
    pub concierge: String,
    pub scope_all: bool,
    #[serde(default)]
    pub items: Vec<String>,
    pub valid_from: String,
    pub valid_to: String,
}

const COLS: &str = "m.id, m.enterprise_user_id, e.display_name AS enterprise_name, m.concierge_user_id, \
    c.display_name AS concierge_name, m.scope_all, m.items, m.valid_from, m.valid_to, m.revoked_on, \
    m.letter_name, m.created_at FROM mandates m JOIN users e ON e.id = m.enterprise_user_id \
    JOIN users c ON c.id = m.concierge_user_id";

fn row(r: &sea_orm::QueryResult) -> Result<MandateRecord> {
    let date = |c: &str| -> Result<NaiveDate> {
        date_col(r, c)?.ok_or_else(|| StoreError::Corrupt(format!("mandate {c}")))
    };
    Ok(MandateRecord {
        id: get(r, "id")?,
        enterprise_user_id: get(r, "enterprise_user_id")?,
        enterprise_name: get(r, "enterprise_name")?,
        concierge_user_id: get(r, "concierge_user_id")?,
        concierge_name: get(r, "concierge_name")?,
        scope_all: get(r, "scope_all")?,
        items: json_col(r, "items")?,
        valid_from: date("valid_from")?,
        valid_to: date("valid_to")?,
        revoked_on: date_col(r, "revoked_on")?,
        letter_name: get(r, "letter_name")?,
        created_at: get(r, "created_at")?,
    })
}

/// Whether `concierge` follows `enterprise` (一对一: assigned by a
/// supervisor, `enterprise_concierges`).
pub(crate) async fn follows(
    c: &impl sea_orm::ConnectionTrait,
    concierge: i64,
    enterprise: i64,
) -> Result<bool> {
    Ok(query_one(
        c,
        "SELECT 1 AS one FROM enterprise_concierges WHERE enterprise_user_id = $1 AND concierge_user_id = $2",
        vec![enterprise.into(), concierge.into()],
    )
    .await?
    .is_some())
}

/// An enterprise account: an applicant whose identity is a 统一社会信用代码.
pub(crate) async fn is_enterprise(c: &impl sea_orm::ConnectionTrait, user_id: i64) -> Result<bool> {
    let r = query_one(
        c,
        "SELECT role, id_number FROM users WHERE id = $1 AND active",
        vec![user_id.into()],
    )
    .await?;
    Ok(match r {
        Some(r) => {
            get::<String>(&r, "role")? == "applicant"
                && CreditCode::parse(&get::<String>(&r, "id_number")?).is_ok()
        }
        None => false,
    })
}

fn parse_day(field: &str, label: &str, v: &str) -> std::result::Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|_| {
        FieldError::new(
            field,
            "invalid_date",
            format!("{label}应为YYYY-MM-DD格式的日期"),
            format!("{field} must be a date YYYY-MM-DD"),
        )
    })
}

impl Store {
    /// Records an authorization of the acting enterprise for a concierge
    /// of its centre, with the signed letter (PDF, OFD or an image).
    pub async fn grant_mandate(
        &self,
        actor: &Actor,
        files: &Attachments,
        m: &NewMandate,
        letter_name: &str,
        letter: Vec<u8>,
    ) -> Result<MandateRecord> {
        if actor.role != Role::Applicant || !is_enterprise(self.conn(), actor.user_id).await? {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let mut errs = tongban_domain::FieldErrors::default();
        let concierge = query_one(
            self.conn(),
            "SELECT id, role, centre_id FROM users WHERE username = $1 AND active",
            vec![m.concierge.trim().into()],
        )
        .await?;
        let concierge_id = match concierge {
            Some(r)
                if get::<String>(&r, "role")? == "concierge"
                    && get::<i64>(&r, "centre_id")? == actor.centre_id =>
            {
                Some(get::<i64>(&r, "id")?)
            }
            _ => {
                errs.push(FieldError::new(
                    "concierge",
                    "unknown",
                    "请填写本中心帮办代办员的用户名",
                    "name a concierge of your centre",
                ));
                None
            }
        };
        let from = parse_day("valid_from", "生效日期", &m.valid_from)
            .map_err(|e| errs.push(e))
            .ok();
        let to = parse_day("valid_to", "截止日期", &m.valid_to)
            .map_err(|e| errs.push(e))
            .ok();
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                errs.push(FieldError::new(
                    "valid_to",
                    "before_start",
                    "截止日期不能早于生效日期",
                    "valid_to is before valid_from",
                ));
            } else if (t - f).num_days() > 3 * 366 {
                errs.push(FieldError::new(
                    "valid_to",
                    "too_long",
                    "授权期限不能超过三年",
                    "an authorization lasts at most three years",
                ));
            }
        }
        let mut items: Vec<String> = m.items.iter().map(|s| s.trim().to_string()).collect();
        items.retain(|s| !s.is_empty());
        items.sort();
        items.dedup();
        if !m.scope_all {
            if items.is_empty() {
                errs.push(FieldError::new(
                    "items",
                    "required",
                    "请选择授权办理的事项，或选择全部事项",
                    "list the items, or authorize all",
                ));
            }
            for (i, code) in items.iter().enumerate() {
                let known = query_one(
                    self.conn(),
                    "SELECT 1 AS one FROM item_versions WHERE impl_code = $1 AND status = 'published'",
                    vec![code.clone().into()],
                )
                .await?;
                if known.is_none() || items.len() > 200 {
                    errs.push(FieldError::new(
                        format!("items[{i}]"),
                        "unknown",
                        "没有此实施编码的已发布事项",
                        "no published item has this code",
                    ));
                }
            }
        }
        if letter.is_empty() {
            errs.push(FieldError::new(
                "letter",
                "required",
                "请上传签章的授权委托书",
                "upload the signed letter of authorization",
            ));
        }
        errs.into_result().map_err(StoreError::Invalid)?;
        let (Some(concierge_id), Some(from), Some(to)) = (concierge_id, from, to) else {
            return Err(StoreError::Corrupt("mandate fields".into()));
        };
        let kept = files
            .keep(
                &format!("mandates/{}", actor.user_id),
                "授权委托书",
                letter_name,
                letter,
            )
            .await?;
        // The record and the letter stand or fall together: a failure
        // after the letter was kept takes it away again.
        let recorded: Result<i64> = async {
            let txn = self.begin().await?;
            let id = insert_id(
                &txn,
                "INSERT INTO mandates (enterprise_user_id, concierge_user_id, scope_all, items, valid_from, valid_to, \
                 revoked_on, letter_key, letter_name, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8, $1, $9)",
                vec![
                    actor.user_id.into(),
                    concierge_id.into(),
                    m.scope_all.into(),
                    to_json(&if m.scope_all { Vec::new() } else { items.clone() }).into(),
                    from.to_string().into(),
                    to.to_string().into(),
                    kept.key.clone().into(),
                    kept.name.clone().into(),
                    now_ms().into(),
                ],
            )
            .await?;
            trail::append(
                &txn,
                Some(actor.user_id),
                "mandate.grant",
                &format!("mandate:{id}"),
                serde_json::json!({"concierge": concierge_id, "scope_all": m.scope_all, "items": items,
                    "from": from, "to": to, "letter": kept.audit()}),
            )
            .await?;
    txn.commit().await?;
            Ok(id)
        }
        .await;
        let id = match recorded {
            Ok(id) => id,
            Err(e) => {
                if let Err(d) = files.delete(&kept.key).await {
                    tracing::warn!("removing the letter of a failed authorization: {d}");
                }
                return Err(e);
            }
        };
        self.mandate_any(id).await
    }

    /// The authorizations the actor is a party to: an enterprise its own,
    /// a concierge those naming them (newest first).
    pub async fn mandates(&self, actor: &Actor) -> Result<Vec<MandateRecord>> {
        let col = match actor.role {
            Role::Applicant => "m.enterprise_user_id",
            Role::Concierge => "m.concierge_user_id",
            _ => return Err(StoreError::Forbidden(Denied::Role)),
        };
        let rows = query(
            self.conn(),
            &format!("SELECT {COLS} WHERE {col} = $1 ORDER BY m.id DESC LIMIT 500"),
            vec![actor.user_id.into()],
        )
        .await?;
        rows.iter().map(row).collect()
    }

    /// One authorization, to either party; anyone else: not found.
    pub async fn mandate(&self, actor: &Actor, id: i64) -> Result<MandateRecord> {
        let m = self.mandate_any(id).await?;
        if m.enterprise_user_id == actor.user_id || m.concierge_user_id == actor.user_id {
            Ok(m)
        } else {
            Err(StoreError::NotFound(format!("mandate {id}")))
        }
    }

    /// The signed letter's bytes, its name and type, to either party.
    pub async fn mandate_letter(
        &self,
        actor: &Actor,
        files: &Attachments,
        id: i64,
    ) -> Result<(String, Vec<u8>)> {
        let m = self.mandate(actor, id).await?;
        let r = query_one(
            self.conn(),
            "SELECT letter_key FROM mandates WHERE id = $1",
            vec![id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("mandate {id}")))?;
        let bytes = files.get(&get::<String>(&r, "letter_key")?).await?;
        Ok((m.letter_name, bytes))
    }

    /// The enterprise revokes its authorization from today on.
    pub async fn revoke_mandate(&self, actor: &Actor, id: i64) -> Result<MandateRecord> {
        let m = self.mandate(actor, id).await?;
        if m.enterprise_user_id != actor.user_id {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let today = crate::shanghai_today();
        let txn = self.begin().await?;
        let n = exec(
            &txn,
            "UPDATE mandates SET revoked_on = $1 WHERE id = $2 AND revoked_on IS NULL",
            vec![today.to_string().into(), id.into()],
        )
        .await?;
        if n != 1 {
            return Err(StoreError::conflict(
                "该授权委托已撤销",
                "the authorization is revoked already",
            ));
        }
        trail::append(
            &txn,
            Some(actor.user_id),
            "mandate.revoke",
            &format!("mandate:{id}"),
            serde_json::json!({"on": today}),
        )
        .await?;
        txn.commit().await?;
        self.mandate_any(id).await
    }

    /// Whether `concierge_id` may act for `enterprise_id` on `impl_code`
    /// (`None`: an act concerning no single item) on `today`, and if not,
    /// why — the reason the nearest authorization gives.
    pub async fn mandate_check(
        &self,
        concierge_id: i64,
        enterprise_id: i64,
        impl_code: Option<&str>,
        today: NaiveDate,
    ) -> Result<std::result::Result<(), MandateRefusal>> {
        let rows = query(
            self.conn(),
            &format!(
                "SELECT {COLS} WHERE m.enterprise_user_id = $1 AND m.concierge_user_id = $2 ORDER BY m.id"
            ),
            vec![enterprise_id.into(), concierge_id.into()],
        )
        .await?;
        let rules: Vec<Mandate> = rows
            .iter()
            .map(|r| row(r).map(|m| m.rule()))
            .collect::<Result<_>>()?;
        Ok(Mandate::any_covers(&rules, impl_code, today))
    }

    async fn mandate_any(&self, id: i64) -> Result<MandateRecord> {
        let r = query_one(
            self.conn(),
            &format!("SELECT {COLS} WHERE m.id = $1"),
            vec![id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("mandate {id}")))?;
        row(&r)
    }
}

/// A refusal under an authorization as the store's error: the reason,
/// in both languages.
pub fn refused(r: MandateRefusal) -> StoreError {
    StoreError::Invalid(FieldError::new("mandate", "mandate_refused", r.zh(), r.en()).into())
}

impl Store {
    /// Whether the account is an enterprise's (an applicant known by its
    /// 统一社会信用代码): only such accounts register projects, authorize
    /// concierges and raise difficulty tickets.
    pub async fn is_enterprise_account(&self, user_id: i64) -> Result<bool> {
        is_enterprise(self.conn(), user_id).await
    }

    /// Creates an enterprise account: an applicant whose identity is its
    /// 统一社会信用代码 (the demo's and the tests' enterprises).
    pub async fn create_enterprise(
        &self,
        username: &str,
        display_name: &str,
        password: &str,
        centre_id: i64,
        credit: &CreditCode,
    ) -> Result<i64> {
        let id = self
            .create_user(crate::accounts::NewUser {
                username,
                display_name,
                password,
                role: Role::Applicant,
                centre_id,
                department_id: None,
                id_number: None,
                phone: "",
            })
            .await?;
        exec(
            self.conn(),
            "UPDATE users SET id_number = $1 WHERE id = $2",
            vec![credit.as_str().into(), id.into()],
        )
        .await?;
        Ok(id)
    }
}

/// Whether `actor`, a concierge, holds the applicant's valid authorization
/// for `impl_code` on `today`: `Ok(Some(id))` names them the case's agent;
/// anyone else is no agent (`Ok(None)`); a concierge refused gets the reason.
pub(crate) async fn agent_in(
    c: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    applicant: Option<i64>,
    impl_code: &str,
    today: NaiveDate,
) -> Result<std::result::Result<Option<i64>, MandateRefusal>> {
    let Some(applicant) = applicant.filter(|_| actor.role == Role::Concierge) else {
        return Ok(Ok(None));
    };
    let rows = query(
        c,
        &format!(
            "SELECT {COLS} WHERE m.enterprise_user_id = $1 AND m.concierge_user_id = $2 ORDER BY m.id"
        ),
        vec![applicant.into(), actor.user_id.into()],
    )
    .await?;
    let rules: Vec<Mandate> = rows
        .iter()
        .map(|r| row(r).map(|m| m.rule()))
        .collect::<Result<_>>()?;
    Ok(Mandate::any_covers(&rules, Some(impl_code), today).map(|()| Some(actor.user_id)))
}

impl Store {
    /// The actor as a case's steps record them: a concierge acting for the
    /// applicant under a valid authorization is named with them ("钱专员 代
    /// 某公司"); a concierge without one is refused with the reason. Anyone
    /// else is as they are.
    pub async fn acting_on_case(
        &self,
        actor: &Actor,
        applicant: Option<i64>,
        impl_code: &str,
        today: NaiveDate,
    ) -> Result<Actor> {
        if actor.role != Role::Concierge {
            return Ok(actor.clone());
        }
        match agent_in(self.conn(), actor, applicant, impl_code, today).await? {
            Ok(Some(_)) => {
                let name = match applicant {
                    Some(id) => query_one(
                        self.conn(),
                        "SELECT display_name FROM users WHERE id = $1",
                        vec![id.into()],
                    )
                    .await?
                    .map(|r| get::<String>(&r, "display_name"))
                    .transpose()?
                    .unwrap_or_default(),
                    None => String::new(),
                };
                let mut a = actor.clone();
                a.display_name =
                    tongban_domain::enterprise::mandate::acting_for(&actor.display_name, &name);
                Ok(a)
            }
            Ok(None) => Ok(actor.clone()),
            Err(why) => Err(refused(why)),
        }
    }
}
