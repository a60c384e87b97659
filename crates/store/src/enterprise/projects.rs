//! Construction projects: registering one (the enterprise, or its concierge
//! under its authorization), what each role sees, the concierge and the
//! green channel (a supervisor's), the cases each stage groups and the
//! progress against the targets, and site visits.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::codes::{CreditCode, DivisionCode};
use tongban_domain::enterprise::{ProjectCode, ProjectKind};

use super::project_scope;
use crate::accounts::mandates::{is_enterprise, refused};
use crate::{Result, Store, StoreError, exec, get, insert_id, now_ms, query, query_one, trail};

/// A project as every view shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Project {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub centre_id: i64,
    pub owner_user_id: i64,
    pub owner_name: String,
    pub owner_credit_code: String,
    pub division: String,
    pub kind: String,
    pub low_risk: bool,
    /// Square metres.
    pub land_area: i64,
    pub floor_area: i64,
    /// 万元.
    pub investment: i64,
    pub planned_start: String,
    pub planned_finish: String,
    pub target_days: i64,
    pub key_project: bool,
    pub concierge_user_id: Option<i64>,
    pub concierge_name: Option<String>,
    pub created_at: i64,
}

/// What registering a project takes.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewProject {
    pub code: String,
    pub name: String,
    /// The owner enterprise's user name: needed when a concierge registers.
    #[serde(default)]
    pub owner: String,
    pub division: String,
    /// `government` or `social`.
    pub kind: String,
    #[serde(default)]
    pub low_risk: bool,
    pub land_area: i64,
    pub floor_area: i64,
    pub investment: i64,
    pub planned_start: String,
    pub planned_finish: String,
}

const COLS: &str = "p.id, p.code, p.name, p.centre_id, p.owner_user_id, p.owner_name, p.owner_credit_code, \
    p.division, p.kind, p.low_risk, p.land_area, p.floor_area, p.investment, p.planned_start, \
    p.planned_finish, p.target_days, p.key_project, p.concierge_user_id, c.display_name AS concierge_name, \
    p.created_at FROM projects p LEFT JOIN users c ON c.id = p.concierge_user_id";

fn row(r: &sea_orm::QueryResult) -> Result<Project> {
    Ok(Project {
        id: get(r, "id")?,
        code: get(r, "code")?,
        name: get(r, "name")?,
        centre_id: get(r, "centre_id")?,
        owner_user_id: get(r, "owner_user_id")?,
        owner_name: get(r, "owner_name")?,
        owner_credit_code: get(r, "owner_credit_code")?,
        division: get(r, "division")?,
        kind: get(r, "kind")?,
        low_risk: get(r, "low_risk")?,
        land_area: get(r, "land_area")?,
        floor_area: get(r, "floor_area")?,
        investment: get(r, "investment")?,
        planned_start: get(r, "planned_start")?,
        planned_finish: get(r, "planned_finish")?,
        target_days: get(r, "target_days")?,
        key_project: get(r, "key_project")?,
        concierge_user_id: get(r, "concierge_user_id")?,
        concierge_name: get(r, "concierge_name")?,
        created_at: get(r, "created_at")?,
    })
}

pub(super) fn text(
    field: &str,
    label: &str,
    v: &str,
    max: usize,
    errs: &mut tongban_domain::FieldErrors,
) {
    if v.trim().is_empty() {
        errs.push(FieldError::required(field, label));
    } else if let Some(e) = tongban_domain::text::check_text(field, label, field, v, max, true) {
        errs.push(e);
    }
}

pub(super) fn day(
    field: &str,
    label: &str,
    v: &str,
    errs: &mut tongban_domain::FieldErrors,
) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errs.push(FieldError::new(
                field,
                "invalid_date",
                format!("{label}应为YYYY-MM-DD格式的日期"),
                format!("{field} must be a date YYYY-MM-DD"),
            ));
            None
        }
    }
}

impl Store {
    /// Registers a project: the enterprise for itself, or its concierge
    /// under a valid authorization. Its target is the centre's for its kind.
    pub async fn create_project(&self, actor: &Actor, np: &NewProject) -> Result<Project> {
        let today = crate::shanghai_today();
        let owner_id = match actor.role {
            Role::Applicant if is_enterprise(self.conn(), actor.user_id).await? => actor.user_id,
            Role::Concierge => {
                let r = query_one(
                    self.conn(),
                    "SELECT id FROM users WHERE username = $1 AND active",
                    vec![np.owner.trim().into()],
                )
                .await?;
                let owner = match r {
                    Some(r) => Some(get::<i64>(&r, "id")?),
                    None => None,
                };
                let Some(owner) = owner.filter(|_| !np.owner.trim().is_empty()) else {
                    return Err(StoreError::Invalid(
                        FieldError::new(
                            "owner",
                            "unknown",
                            "请填写建设单位（企业）的用户名",
                            "name the owner enterprise's user name",
                        )
                        .into(),
                    ));
                };
                if let Err(why) = self
                    .mandate_check(actor.user_id, owner, None, today)
                    .await?
                {
                    return Err(refused(why));
                }
                owner
            }
            _ => return Err(StoreError::Forbidden(Denied::Role)),
        };
        let mut errs = tongban_domain::FieldErrors::default();
        let code = match ProjectCode::parse(&np.code, today) {
            Ok(c) => Some(c),
            Err(e) => {
                errs.push(e.into_field("code"));
                None
            }
        };
        text("name", "项目名称", &np.name, 200, &mut errs);
        if DivisionCode::parse(&np.division).is_err() {
            errs.push(FieldError::new(
                "division",
                "invalid_code",
                "建设地点应为6位行政区划代码",
                "division must be a 6-digit division code",
            ));
        }
        let kind = ProjectKind::parse(&np.kind);
        if kind.is_none() {
            errs.push(FieldError::new(
                "kind",
                "invalid",
                "项目类型应为政府投资或社会投资",
                "kind must be government or social",
            ));
        }
        if kind == Some(ProjectKind::Government) && np.low_risk {
            errs.push(FieldError::new(
                "low_risk",
                "invalid",
                "简易低风险仅适用于社会投资项目",
                "only private-investment projects can be low-risk",
            ));
        }
        for (field, label, v) in [
            ("land_area", "用地面积", np.land_area),
            ("floor_area", "建筑面积", np.floor_area),
            ("investment", "总投资", np.investment),
        ] {
            if !(0..=1_000_000_000).contains(&v) {
                errs.push(FieldError::new(
                    field,
                    "out_of_range",
                    format!("{label}应为0至1000000000之间的整数"),
                    format!("{field} must be 0 to 1000000000"),
                ));
            }
        }
        let start = day(
            "planned_start",
            "计划开工日期",
            &np.planned_start,
            &mut errs,
        );
        let finish = day(
            "planned_finish",
            "计划竣工日期",
            &np.planned_finish,
            &mut errs,
        );
        if let (Some(s), Some(f)) = (start, finish)
            && f < s
        {
            errs.push(FieldError::new(
                "planned_finish",
                "before_start",
                "计划竣工日期不能早于计划开工日期",
                "planned_finish is before planned_start",
            ));
        }
        let owner = query_one(
            self.conn(),
            "SELECT u.display_name, u.id_number, u.centre_id, c.path FROM users u JOIN centres c ON c.id = u.centre_id \
             WHERE u.id = $1",
            vec![owner_id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound("owner".into()))?;
        let credit: String = get(&owner, "id_number")?;
        if CreditCode::parse(&credit).is_err() {
            errs.push(FieldError::new(
                "owner",
                "not_enterprise",
                "建设单位应为以统一社会信用代码登记的企业账户",
                "the owner must be an enterprise account with a credit code",
            ));
        }
        errs.into_result().map_err(StoreError::Invalid)?;
        let (Some(code), Some(kind)) = (code, kind) else {
            return Err(StoreError::Corrupt("project fields".into()));
        };
        let centre_id: i64 = get(&owner, "centre_id")?;
        let profile = self.centre_profile(centre_id).await?;
        let target = profile.enterprise.targets().total_for(kind, np.low_risk);
        let concierge = match actor.role {
            Role::Concierge => Some(actor.user_id),
            _ => query_one(
                self.conn(),
                "SELECT concierge_user_id FROM enterprise_concierges WHERE enterprise_user_id = $1",
                vec![owner_id.into()],
            )
            .await?
            .map(|r| get::<i64>(&r, "concierge_user_id"))
            .transpose()?,
        };
        let txn = self.begin().await?;
        let taken = query_one(
            &txn,
            "SELECT id FROM projects WHERE code = $1",
            vec![code.as_str().into()],
        )
        .await?;
        if taken.is_some() {
            return Err(StoreError::Invalid(
                FieldError::new(
                    "code",
                    "taken",
                    "该投资项目代码已登记",
                    "a project with this code is registered already",
                )
                .into(),
            ));
        }
        let id = insert_id(
            &txn,
            "INSERT INTO projects (code, name, centre_id, centre_path, owner_user_id, owner_name, owner_credit_code, \
             division, kind, low_risk, land_area, floor_area, investment, planned_start, planned_finish, \
             target_days, key_project, concierge_user_id, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, FALSE, $17, $18, $19)",
            vec![
                code.as_str().into(),
                np.name.trim().into(),
                centre_id.into(),
                get::<String>(&owner, "path")?.into(),
                owner_id.into(),
                get::<String>(&owner, "display_name")?.into(),
                credit.into(),
                np.division.trim().into(),
                kind.as_str().into(),
                np.low_risk.into(),
                np.land_area.into(),
                np.floor_area.into(),
                np.investment.into(),
                np.planned_start.trim().into(),
                np.planned_finish.trim().into(),
                i64::from(target.get()).into(),
                concierge.into(),
                actor.user_id.into(),
                now_ms().into(),
            ],
        )
        .await;
        let id = match id {
            Ok(id) => id,
            // Another request registered the code meanwhile (its unique
            // index refused this row): said as the field's error.
            Err(StoreError::Db(e)) => {
                let taken = query_one(
                    self.conn(),
                    "SELECT id FROM projects WHERE code = $1",
                    vec![code.as_str().into()],
                )
                .await?;
                if taken.is_some() {
                    return Err(StoreError::Invalid(
                        FieldError::new(
                            "code",
                            "taken",
                            "该投资项目代码已登记",
                            "a project with this code is registered already",
                        )
                        .into(),
                    ));
                }
                return Err(StoreError::Db(e));
            }
            Err(e) => return Err(e),
        };
        trail::append(
            &txn,
            Some(actor.user_id),
            "project.create",
            &format!("project:{id}"),
            serde_json::json!({"code": code.as_str(), "owner": owner_id, "by": actor.user_id}),
        )
        .await?;
        txn.commit().await?;
        self.project(actor, id).await
    }

    /// The projects the actor may see, key projects first, then newest.
    pub async fn projects(&self, actor: &Actor) -> Result<Vec<Project>> {
        let (cond, v) = project_scope(actor)?;
        let rows = query(
            self.conn(),
            &format!("SELECT {COLS} WHERE {cond} ORDER BY p.key_project DESC, p.id DESC LIMIT 500"),
            vec![v],
        )
        .await?;
        rows.iter().map(row).collect()
    }

    /// Every project (for the sweep), oldest first.
    pub(super) async fn all_projects(&self) -> Result<Vec<Project>> {
        let rows = query(self.conn(), &format!("SELECT {COLS} ORDER BY p.id"), vec![]).await?;
        rows.iter().map(row).collect()
    }

    /// One project, if the actor may see it (else not found).
    pub async fn project(&self, actor: &Actor, id: i64) -> Result<Project> {
        let (cond, v) = project_scope(actor)?;
        let cond = cond.replace("$1", "$2");
        let r = query_one(
            self.conn(),
            &format!("SELECT {COLS} WHERE p.id = $1 AND {cond}"),
            vec![id.into(), v],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("project {id}")))?;
        row(&r)
    }

    /// A supervisor of the project's centre (or above) assigns its
    /// concierge (项目专员, one per project).
    pub async fn assign_project_concierge(
        &self,
        actor: &Actor,
        id: i64,
        username: &str,
    ) -> Result<Project> {
        if actor.role != Role::Supervisor {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let p = self.project(actor, id).await?;
        let c = self.concierge_of_centre(username, p.centre_id).await?;
        let txn = self.begin().await?;
        exec(
            &txn,
            "UPDATE projects SET concierge_user_id = $1 WHERE id = $2",
            vec![c.into(), id.into()],
        )
        .await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "project.concierge",
            &format!("project:{id}"),
            serde_json::json!({"concierge": c}),
        )
        .await?;
        txn.commit().await?;
        self.project(actor, id).await
    }

    /// A supervisor assigns an enterprise its concierge (一对一); a later
    /// assignment replaces the earlier one.
    pub async fn assign_enterprise_concierge(
        &self,
        actor: &Actor,
        enterprise: &str,
        concierge: &str,
    ) -> Result<()> {
        if actor.role != Role::Supervisor {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let e = query_one(
            self.conn(),
            "SELECT u.id, c.path FROM users u JOIN centres c ON c.id = u.centre_id WHERE u.username = $1",
            vec![enterprise.trim().into()],
        )
        .await?;
        let e = match e {
            Some(r) if get::<String>(&r, "path")?.starts_with(&actor.centre_path) => {
                get::<i64>(&r, "id")?
            }
            _ => 0,
        };
        if e == 0 || !is_enterprise(self.conn(), e).await? {
            return Err(StoreError::Invalid(
                FieldError::new(
                    "enterprise",
                    "unknown",
                    "请填写本中心企业账户的用户名",
                    "name an enterprise account of your centre",
                )
                .into(),
            ));
        }
        let c = self.concierge_of_centre(concierge, actor.centre_id).await?;
        let txn = self.begin().await?;
        exec(
            &txn,
            "INSERT INTO enterprise_concierges (enterprise_user_id, concierge_user_id, assigned_by, assigned_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (enterprise_user_id) DO UPDATE SET \
             concierge_user_id = excluded.concierge_user_id, assigned_by = excluded.assigned_by, assigned_at = excluded.assigned_at",
            vec![e.into(), c.into(), actor.user_id.into(), now_ms().into()],
        )
        .await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "enterprise.concierge",
            &format!("user:{e}"),
            serde_json::json!({"concierge": c}),
        )
        .await?;
        txn.commit().await
    }

    async fn concierge_of_centre(&self, username: &str, centre_id: i64) -> Result<i64> {
        let r = query_one(
            self.conn(),
            "SELECT id FROM users WHERE username = $1 AND role = 'concierge' AND centre_id = $2 AND active",
            vec![username.trim().into(), centre_id.into()],
        )
        .await?;
        match r {
            Some(r) => get(&r, "id"),
            None => Err(StoreError::Invalid(
                FieldError::new(
                    "concierge",
                    "unknown",
                    "请填写本中心帮办代办员的用户名",
                    "name a concierge of the centre",
                )
                .into(),
            )),
        }
    }

    /// A supervisor marks a project as key (重点项目, the green channel) or
    /// takes the mark off.
    pub async fn set_key_project(&self, actor: &Actor, id: i64, key: bool) -> Result<Project> {
        if actor.role != Role::Supervisor {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let centre = self.project(actor, id).await?.centre_id;
        let txn = self.begin().await?;
        exec(
            &txn,
            "UPDATE projects SET key_project = $1 WHERE id = $2",
            vec![key.into(), id.into()],
        )
        .await?;
        // Its applications go first in every inbox and queue, or no longer.
        let cases: Vec<i64> = query(
            &txn,
            "SELECT case_id FROM project_cases WHERE project_id = $1",
            vec![id.into()],
        )
        .await?
        .iter()
        .map(|r| get::<i64>(r, "case_id"))
        .collect::<Result<_>>()?;
        if key {
            crate::cases::priority::mark(&txn, &cases, super::KEY_MARK).await?;
            shorten_promises(&txn, centre, &cases).await?;
        } else {
            crate::cases::priority::unmark(&txn, &cases, super::KEY_MARK).await?;
            // Those not yet accepted get their own promise back.
            for c in &cases {
                crate::cases::priority::restore_promise(&txn, *c).await?;
            }
        }
        trail::append(
            &txn,
            Some(actor.user_id),
            "project.key",
            &format!("project:{id}"),
            serde_json::json!({"key": key}),
        )
        .await?;
        txn.commit().await?;
        self.project(actor, id).await
    }
}

/// Caps the promise of each of `cases` not yet accepted at the centre's
/// share for key projects (never longer than the item's own promise).
pub(crate) async fn shorten_promises(
    txn: &crate::WriteTxn,
    centre_id: i64,
    cases: &[i64],
) -> Result<()> {
    let rules = crate::accounts::profile_in(txn, centre_id)
        .await?
        .enterprise;
    for id in cases {
        let Some(r) = query_one(
            txn,
            "SELECT v.doc FROM cases c JOIN item_versions v ON v.id = c.item_version_id WHERE c.id = $1",
            vec![(*id).into()],
        )
        .await?
        else {
            continue;
        };
        let doc: tongban_domain::catalog::ItemDoc =
            serde_json::from_str(&get::<String>(&r, "doc")?)
                .map_err(|e| StoreError::Corrupt(format!("item of case {id}: {e}")))?;
        let Some(promised) = doc
            .promised_limit
            .as_ref()
            .filter(|l| l.unit == tongban_domain::catalog::DayUnit::WorkingDays)
        else {
            continue;
        };
        let cap = rules.key_promise(promised.days);
        if cap < promised.days {
            crate::cases::priority::cap_promise(txn, *id, i64::from(cap.get())).await?;
        }
    }
    Ok(())
}
