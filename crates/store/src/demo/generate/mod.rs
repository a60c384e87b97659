//! `tongban demo generate`: many realistic cases at once, for the
//! dashboards, the tests and the benchmarks.
//!
//! Each case is taken step by step through the same decisions as real
//! work — the domain's `case::transition` on the case's facts, the working
//! copy moved on by the writer's own `plan_step` (clock, deadlines on the
//! legal calendar with 调休, tasks, dates) — but in memory, without the
//! writer's reads. Then a chunk of cases is written in one transaction with
//! multi-row statements: the cases, their review tasks and events, the
//! indicator rollups (counted by the observer's own function, so `tongban
//! kpi verify` agrees), and the rating invitations and ratings of completed
//! cases with their rollups.
//!
//! The mix: both channels, every published item of every centre, 秒批 for
//! items with decision rules, refusals, withdrawals, suspensions for
//! special procedures, extensions, refusals at decision, and a share of
//! work that runs past its promised date (completed late, or still open
//! when `open` allows it).
//!
//! Generated cases carry no uploaded files, documents, certificates,
//! notices or audit-trail entries (the trail records the generation once);
//! their applicants are synthetic (valid ID numbers, no real person).
//! Departments without staff get generated staff who cannot sign in.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{Duration, NaiveDate, TimeZone};
use tongban_domain::auth::Role;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{self, CaseState, Command, TaskStatus};
use tongban_domain::catalog::{DayUnit, ItemDoc};
use tongban_domain::clock::SuspendReason;

use crate::cases::{
    Case, Channel, StepEvent, Taker, Working, build_facts, case_number, co_reviewers_of,
    limits_for, plan_step, verification_code,
};
use crate::catalog::ItemVersion;
use crate::indicators::{Rollups, add_event};
use crate::sql::{ds, exec, get, query_one, rows, to_json};
use crate::{Result, Store, StoreError, WriteTxn};

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// How many cases.
    pub cases: u64,
    /// Over how many years up to `today` they were submitted.
    pub years: u32,
    /// The same seed gives the same cases (ids, numbers and verification
    /// codes apart).
    pub seed: u64,
    pub today: NaiveDate,
    /// First build the demo city around the demo district
    /// (`Store::ensure_demo_city`), so cases spread over a city and its
    /// districts.
    pub city: bool,
    /// Leave a case open where its work would pass today (false: every
    /// case is finished by today, as the demo wants its queues clean).
    pub open: bool,
}

/// What was generated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Generated {
    pub cases: u64,
    pub events: u64,
    pub open: u64,
    pub ratings: u64,
}

/// Cases per transaction.
const CHUNK: u64 = 2_000;

/// SplitMix64: small, fast and the same everywhere for one seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// 0 ..= n-1 (0 when n is 0).
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

/// A member of staff as the events name them.
#[derive(Clone)]
struct Person {
    id: i64,
    name: String,
}

/// Who works where.
#[derive(Default)]
struct Staff {
    clerks: HashMap<i64, Vec<Person>>,
    reviewers: HashMap<i64, Vec<Person>>,
    heads: HashMap<i64, Vec<Person>>,
    applicant: Option<Person>,
}

impl Staff {
    fn pick<'a>(list: Option<&'a Vec<Person>>, rng: &mut Rng) -> Result<&'a Person> {
        let l = list
            .filter(|l| !l.is_empty())
            .ok_or_else(|| StoreError::Corrupt("generator: no staff".into()))?;
        Ok(&l[rng.below(l.len() as u64) as usize])
    }
}

/// An item cases are generated for, with what its cases need.
struct Plan {
    item: ItemVersion,
    doc: Arc<ItemDoc>,
    co: Vec<i64>,
    division: String,
    /// Decision rules: online applications may be approved in seconds.
    instant: bool,
    /// The promised limit in working days (calendar days counted as such).
    promised: u32,
}

/// A generated case: its final row, tasks and events.
struct Made {
    case: Case,
    events: Vec<EventRow>,
    window: Option<i64>,
    staff: Vec<i64>,
    completed_on: Option<NaiveDate>,
}

struct EventRow {
    at: i64,
    actor: Option<i64>,
    actor_name: String,
    action: String,
    from: &'static str,
    to: &'static str,
    details: String,
    day: NaiveDate,
}

mod story;
mod write;

use story::simulate;
use write::chunk_rows;

impl Store {
    /// Generates `opts.cases` cases in bulk; `progress` is told how many
    /// are written after each chunk.
    pub async fn generate_cases(
        &self,
        opts: &GenerateOptions,
        cal: Arc<WorkCalendar>,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<Generated> {
        if opts.city {
            self.ensure_demo_city().await?;
        }
        let plans = self.generation_plans().await?;
        if plans.is_empty() {
            return Err(StoreError::Corrupt(
                "no published items to generate cases for".into(),
            ));
        }
        let staff = self.generation_staff(&plans).await?;
        let mut rng = Rng(opts.seed ^ 0x7467_6261_6e00_0000);
        let span = i64::from(opts.years.clamp(1, 20)) * 365;
        let mut done = Generated::default();
        let mut earliest = opts.today;
        while done.cases < opts.cases {
            let n = CHUNK.min(opts.cases - done.cases);
            let mut made = Vec::with_capacity(n as usize);
            let mut rollups = Rollups::new();
            for id in self.reserve_ids("cases", n).await? {
                let plan = &plans[rng.below(plans.len() as u64) as usize];
                let m = simulate(plan, &staff, &cal, id, opts, span, &mut rng)?;
                for s in &m.1 {
                    add_event(&mut rollups, s);
                }
                if let Some(e) = m.0.events.first() {
                    earliest = earliest.min(e.day);
                }
                made.push(m.0);
            }
            let ended = made.iter().filter(|m| m.completed_on.is_some()).count() as u64;
            let invitations = self.reserve_ids("rating_invitations", ended).await?;
            let (chunk, w) = chunk_rows(&made, &rollups, &invitations, &mut rng, opts.today);
            self.write_generated(&chunk).await?;
            done.cases += n;
            done.events += w.events;
            done.ratings += w.ratings;
            done.open += made.iter().filter(|m| !m.case.state.is_final()).count() as u64;
            progress(done.cases);
        }
        // Months already summed that the new days fall in are summed
        // again; closed months not yet summed are summed now. (A run
        // stopped half-way leaves them to `tongban kpi rebuild`.)
        self.kpi_resum(earliest, opts.today).await?;
        self.kpi_summarize(opts.today).await?;
        let txn = self.begin().await?;
        crate::trail::append(
            &txn,
            None,
            "demo.generate",
            "cases",
            serde_json::json!({"cases": done.cases, "years": opts.years, "seed": opts.seed}),
        )
        .await?;
        txn.commit().await?;
        Ok(done)
    }

    /// `n` ids of `table` for rows written with their ids: from the
    /// table's sequence on PostgreSQL (a server writing meanwhile takes
    /// others); after the largest on SQLite (whose writers take turns: a
    /// row written meanwhile makes the chunk fail, writing nothing).
    async fn reserve_ids(&self, table: &str, n: u64) -> Result<Vec<i64>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        if self.backend() == sea_orm::DbBackend::Postgres {
            let rows = crate::sql::query(
                self.conn(),
                &format!(
                    "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id FROM generate_series(1, $1) ORDER BY 1"
                ),
                vec![n.into()],
            )
            .await?;
            return rows.iter().map(|r| get::<i64>(r, "id")).collect();
        }
        let r = query_one(
            self.conn(),
            &format!("SELECT COALESCE(MAX(id), 0) AS n FROM {table}"),
            vec![],
        )
        .await?;
        let max = r.map(|r| get::<i64>(&r, "n")).transpose()?.unwrap_or(0);
        Ok((max + 1..=max + n).collect())
    }

    /// Every published item with what its cases need.
    async fn generation_plans(&self) -> Result<Vec<Plan>> {
        let divisions: HashMap<i64, String> = self
            .centres()
            .await?
            .into_iter()
            .map(|c| (c.id, c.division_code))
            .collect();
        let mut plans = Vec::new();
        for item in self.published_items().await? {
            let doc = self.item_doc(item.id).await?;
            let co = co_reviewers_of(self, &doc).await?;
            let promised = crate::cases::limits_of(&doc).promised;
            let promised = match promised.unit {
                DayUnit::WorkingDays => promised.days.get(),
                _ => promised.days.get() * 5 / 7,
            };
            plans.push(Plan {
                division: divisions.get(&item.centre_id).cloned().unwrap_or_default(),
                instant: doc.decision.is_some(),
                promised,
                doc,
                co,
                item,
            });
        }
        Ok(plans)
    }

    /// The staff of the centres and departments the plans need, with
    /// generated staff (who cannot sign in) where a department has none,
    /// and the generated applicants' account.
    async fn generation_staff(&self, plans: &[Plan]) -> Result<Staff> {
        let mut depts: Vec<(i64, i64)> = Vec::new();
        for p in plans {
            for d in std::iter::once(p.item.department_id).chain(p.co.iter().copied()) {
                if !depts.iter().any(|(x, _)| *x == d) {
                    depts.push((d, p.item.centre_id));
                }
            }
        }
        let names: HashMap<i64, String> = self
            .departments()
            .await?
            .into_iter()
            .map(|d| (d.id, d.short_name))
            .collect();
        let mut need: Vec<(String, String, Role, i64, Option<i64>)> = Vec::new();
        let users = self.users().await?;
        let has = |role: Role, dept: Option<i64>, centre: i64| {
            users.iter().any(|u| {
                u.active
                    && u.role == role
                    && u.centre_id == centre
                    && (dept.is_none() || u.department_id == dept)
            })
        };
        for (d, centre) in &depts {
            let short = names.get(d).cloned().unwrap_or_default();
            for (role, zh, tag) in [(Role::Reviewer, "审查", "r"), (Role::Head, "负责人", "h")]
            {
                if !has(role, Some(*d), *centre) {
                    need.push((
                        format!("gen_{tag}{d}"),
                        format!("{short}{zh}（生成）"),
                        role,
                        *centre,
                        Some(*d),
                    ));
                }
            }
        }
        let centres: Vec<i64> = {
            let mut c: Vec<i64> = plans.iter().map(|p| p.item.centre_id).collect();
            c.sort_unstable();
            c.dedup();
            c
        };
        for c in &centres {
            if !has(Role::Clerk, None, *c) {
                need.push((
                    format!("gen_c{c}"),
                    "综合窗口（生成）".into(),
                    Role::Clerk,
                    *c,
                    None,
                ));
            }
        }
        need.retain(|(name, ..)| !users.iter().any(|u| &u.username == name));
        if !users.iter().any(|u| u.username == "gen_public") {
            let c = centres.first().copied().unwrap_or(0);
            need.push((
                "gen_public".into(),
                "生成数据申请人".into(),
                Role::Applicant,
                c,
                None,
            ));
        }
        if !need.is_empty() {
            // A password nobody knows: the accounts cannot sign in (and
            // refusing them takes as long as refusing anyone).
            let hash = crate::accounts::hash_password(&crate::random_token())?;
            let txn = self.begin().await?;
            let mut v: Vec<sea_orm::Value> = Vec::new();
            for (username, display, role, centre, dept) in &need {
                v.extend([
                    username.clone().into(),
                    display.clone().into(),
                    hash.clone().into(),
                    role.as_str().into(),
                    (*centre).into(),
                    (*dept).into(),
                    "".into(),
                    "13800000000".into(),
                    true.into(),
                    crate::now_ms().into(),
                ]);
            }
            crate::sql::insert_rows(
                &txn,
                "INSERT INTO users (username, display_name, password_hash, role, centre_id, department_id, id_number, phone, active, created_at)",
                10,
                v,
            )
            .await?;
            txn.commit().await?;
        }
        let mut staff = Staff::default();
        for u in self.users().await? {
            if !u.active {
                continue;
            }
            let p = Person {
                id: u.id,
                name: u.display_name.clone(),
            };
            match (u.role, u.department_id) {
                (Role::Clerk, _) => staff.clerks.entry(u.centre_id).or_default().push(p),
                (Role::Reviewer, Some(d)) => staff.reviewers.entry(d).or_default().push(p),
                (Role::Head, Some(d)) => staff.heads.entry(d).or_default().push(p),
                (Role::Applicant, _) if u.username == "gen_public" => staff.applicant = Some(p),
                _ => {}
            }
        }
        Ok(staff)
    }
}
