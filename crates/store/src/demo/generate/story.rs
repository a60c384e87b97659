//! One generated case's story: submitted, then taken step by step through
//! the domain's decisions by the staff (or the system, for 秒批) until it
//! ends or reaches today.

use super::*;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "建华", "文", "婷",
];

/// A synthetic resident ID number with a valid check character.
fn id_number(rng: &mut Rng) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let born = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default()
        + Duration::days(rng.below(365 * 55) as i64);
    let body = format!("330102{}{:03}", born.format("%Y%m%d"), rng.below(1000));
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{body}{}", CHECK[(sum % 11) as usize] as char)
}

/// Milliseconds of `day` at `minute` past 08:30, China Standard Time.
fn at(day: NaiveDate, minute: u64) -> i64 {
    let t = day.and_hms_opt(8, 30, 0).unwrap_or_default() + Duration::minutes(minute as i64);
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&t)
        .single()
        .map(|t| t.timestamp_millis())
        .unwrap_or(0)
}

/// One case on its way: the working copy and its events so far.
struct Sim<'a> {
    plan: &'a Plan,
    cal: &'a Arc<WorkCalendar>,
    w: Working,
    day: NaiveDate,
    today: NaiveDate,
    open: bool,
    /// The work went past today (the case stays where it is).
    stopped: bool,
    events: Vec<EventRow>,
    steps: Vec<StepEvent>,
    staff: Vec<i64>,
    minute: u64,
    /// The day of the last step (with `minute`, its time).
    last_day: NaiveDate,
}

impl Sim<'_> {
    /// `n` working days later (calendar days where the calendar has no year).
    fn wait(&mut self, n: u64) {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        self.day = self
            .cal
            .add_workdays(self.day, n)
            .unwrap_or(self.day + Duration::days(i64::from(n)));
        if self.day > self.today {
            if self.open {
                self.stopped = true;
            } else {
                self.day = self.today;
            }
        }
    }

    /// Takes `cmd` as `by` (the system when `None`) of `department`; a
    /// refused step is an error when `must`, else it is left out.
    fn step(
        &mut self,
        cmd: Command,
        by: Option<&Person>,
        department: Option<i64>,
        must: bool,
    ) -> Result<bool> {
        if self.stopped {
            return Ok(false);
        }
        let doc = &self.plan.doc;
        let facts = build_facts(&self.w.case, doc, &self.w.uploads, self.cal, self.day, None);
        let limits = limits_for(&self.w.case, doc);
        let t = match case::transition(&facts, &cmd, &limits, self.day, department) {
            Ok(t) => t,
            Err(e) if must => {
                return Err(StoreError::Corrupt(format!(
                    "generator: {} refused in state {}: {}",
                    cmd.name(),
                    self.w.case.state.as_str(),
                    e.en()
                )));
            }
            Err(_) => return Ok(false),
        };
        let details = serde_json::to_value(&cmd).unwrap_or_default();
        let from = self.w.case.state;
        let taker = Taker {
            user_id: by.map(|p| p.id),
            name: by.map(|p| p.name.as_str()).unwrap_or("系统"),
        };
        let s = plan_step(
            &mut self.w,
            doc,
            &facts,
            taker,
            &cmd,
            cmd.name(),
            details,
            t,
            None,
            self.cal,
            self.day,
            0,
        )?;
        // Later the same day than the step before; any time on a later day.
        if self.day == self.last_day {
            // Within the day (about 23:30 at the latest).
            self.minute = (self.minute + 5 + (self.minute * 13) % 23).min(900);
        } else {
            self.last_day = self.day;
            self.minute = (self.minute * 37) % 420;
        }
        if let Some(p) = by
            && Some(p.id) != self.w.case.applicant_user_id
            && !self.staff.contains(&p.id)
        {
            self.staff.push(p.id);
        }
        self.events.push(EventRow {
            at: at(self.day, self.minute).min(crate::now_ms()),
            actor: s.event.actor,
            actor_name: s.actor_name.clone(),
            action: s.event.action.clone(),
            from: from.as_str(),
            to: self.w.case.state.as_str(),
            details: s.event.details.to_string(),
            day: self.day,
        });
        self.steps.push(s.event);
        Ok(true)
    }
}

/// Takes one case from submission as far as its story goes.
pub(super) fn simulate(
    plan: &Plan,
    staff: &Staff,
    cal: &Arc<WorkCalendar>,
    id: i64,
    opts: &GenerateOptions,
    span: i64,
    rng: &mut Rng,
) -> Result<(Made, Vec<StepEvent>)> {
    let item = &plan.item;
    let online = rng.chance(560);
    let mut d0 = opts.today - Duration::days(rng.below(span as u64) as i64);
    // The windows work on working days; online applications come any day.
    if !online {
        while !cal.is_workday(d0).unwrap_or(true) && d0 > opts.today - Duration::days(span + 10) {
            d0 -= Duration::days(1);
        }
    }
    let clerk = Staff::pick(staff.clerks.get(&item.centre_id), rng)?.clone();
    let applicant = staff
        .applicant
        .clone()
        .ok_or_else(|| StoreError::Corrupt("generator: no applicant account".into()))?;
    let name = format!(
        "{}{}",
        SURNAMES[rng.below(SURNAMES.len() as u64) as usize],
        GIVEN[rng.below(GIVEN.len() as u64) as usize]
    );
    let channel = if online {
        Channel::Online
    } else {
        Channel::Window
    };
    let minute = rng.below(420);
    let created = at(d0, minute).min(crate::now_ms());
    let case = Case {
        id,
        case_no: case_number(&plan.division, d0, id),
        verify_code: verification_code(),
        centre_id: item.centre_id,
        centre_path: item.centre_path.clone(),
        lead_department_id: item.department_id,
        lead_department_name: item.department_name.clone(),
        item_version_id: item.id,
        impl_code: item.impl_code.clone(),
        item_name: plan.doc.name.clone(),
        applicant_user_id: online.then_some(applicant.id),
        applicant_name: name,
        applicant_id_number: id_number(rng),
        applicant_phone: format!("139{:08}", rng.below(100_000_000)),
        applicant_email: String::new(),
        channel,
        created_by: if online { applicant.id } else { clerk.id },
        state: CaseState::Draft,
        version: 1,
        approved: None,
        form: BTreeMap::new(),
        clock: Vec::new(),
        tasks: Vec::new(),
        co_reviewers: plan.co.clone(),
        received_on: None,
        accepted_on: None,
        legal_due: None,
        promised_due: None,
        decided_on: None,
        certificate_due: None,
        created_at: created,
        updated_at: created,
        bundle_case_id: None,
        waived: Vec::new(),
        promise_cap_days: None,
    };
    let uploads = vec![1; plan.doc.materials.len()];
    let creator = if online { &applicant } else { &clerk };
    let mut sim = Sim {
        plan,
        cal,
        w: Working::new(case, uploads),
        day: d0,
        today: opts.today,
        open: opts.open,
        stopped: false,
        events: vec![EventRow {
            at: created,
            actor: Some(creator.id),
            actor_name: creator.name.clone(),
            action: "create".into(),
            from: "",
            to: "draft",
            details: serde_json::json!({"channel": channel.as_str(), "bundle": null}).to_string(),
            day: d0,
        }],
        steps: Vec::new(),
        staff: Vec::new(),
        minute,
        last_day: d0,
    };
    sim.step(Command::Submit, Some(creator), None, true)?;
    if plan.instant && online && rng.chance(700) {
        // 秒批: the system takes every step the same day.
        instant(&mut sim)?;
    } else {
        by_staff(&mut sim, staff, &clerk, &applicant, online, rng)?;
    }
    let c = &sim.w.case;
    // Ended: completed, or not accepted (both are invited to be rated).
    let completed_on =
        matches!(c.state, CaseState::Completed | CaseState::NotAccepted).then_some(sim.day);
    let window = (!online).then_some(clerk.id);
    Ok((
        Made {
            case: sim.w.case.clone(),
            events: sim.events,
            window,
            staff: sim.staff,
            completed_on,
        },
        sim.steps,
    ))
}

/// 秒批: what the shared-data rules approve, the system takes through every step.
fn instant(sim: &mut Sim<'_>) -> Result<()> {
    let lead = Some(sim.w.case.lead_department_id);
    for _ in 0..16 {
        let c = &sim.w.case;
        let (cmd, dept) = match c.state {
            CaseState::Submitted => (Command::Accept, None),
            CaseState::Review => match c.tasks.iter().find(|t| t.status == TaskStatus::Active) {
                Some(t) => (
                    Command::CompleteReview {
                        agree: true,
                        opinion: "规则核验通过（生成数据）".into(),
                    },
                    Some(t.department_id),
                ),
                None => break,
            },
            CaseState::Decision => (
                Command::Decide {
                    approve: true,
                    reason: "经共享数据核验并按决策规则自动审批（秒批）".into(),
                },
                lead,
            ),
            CaseState::Certifying => (Command::Issue, lead),
            CaseState::Delivering => (
                Command::Deliver {
                    method: "电子送达".into(),
                },
                lead,
            ),
            _ => break,
        };
        if !sim.step(cmd, None, dept, true)? {
            break;
        }
    }
    Ok(())
}

/// The usual way: the window accepts, departments review, the head decides.
fn by_staff(
    sim: &mut Sim<'_>,
    staff: &Staff,
    clerk: &Person,
    applicant: &Person,
    online: bool,
    rng: &mut Rng,
) -> Result<()> {
    let lead = sim.w.case.lead_department_id;
    if online {
        sim.wait(rng.below(2));
    }
    if rng.chance(30) {
        let refuse = Command::Refuse {
            reason: "申请事项不属于本机关职权范围".into(),
            competent_agency: "所在地街道便民服务中心".into(),
        };
        sim.step(refuse, Some(clerk), None, true)?;
        return Ok(());
    }
    sim.step(Command::Accept, Some(clerk), None, true)?;
    // How long the work takes against the promise: mostly well within it,
    // some late.
    let promised = u64::from(sim.plan.promised.max(1));
    let late = rng.chance(60);
    let budget = if late && rng.chance(400) {
        // Stuck: long past its promise.
        promised + 13 + rng.below(80)
    } else if late {
        promised + 1 + rng.below(12)
    } else {
        rng.below(promised * 4 / 5 + 1)
    };
    let reviews = (sim.w.case.tasks.len().max(1)) as u64;
    let per_step = budget / (reviews + 1);
    let mut suspended = false;
    for _ in 0..24 {
        if sim.stopped {
            break;
        }
        let state = sim.w.case.state;
        match state {
            CaseState::Review => {
                let Some(dept) = sim
                    .w
                    .case
                    .tasks
                    .iter()
                    .find(|t| t.status == TaskStatus::Active)
                    .map(|t| t.department_id)
                else {
                    break;
                };
                let reviewer = Staff::pick(staff.reviewers.get(&dept), rng)?.clone();
                if online && rng.chance(10) {
                    let w = Command::Withdraw {
                        reason: "申请人主动撤回".into(),
                    };
                    sim.wait(rng.below(3));
                    if sim.step(w, Some(applicant), None, false)? {
                        return Ok(());
                    }
                }
                if !suspended && rng.chance(70) {
                    suspended = true;
                    let s = Command::Suspend {
                        reason: SuspendReason::SpecialProcedure("检测".into()),
                        note: "委托第三方检测".into(),
                        materials: Vec::new(),
                    };
                    if sim.step(s, Some(&reviewer), Some(dept), false)? {
                        sim.wait(3 + rng.below(12));
                        sim.step(Command::Resume, Some(&reviewer), Some(dept), true)?;
                    }
                }
                sim.wait(per_step);
                let agree = !rng.chance(15);
                let opinion = if agree {
                    "材料齐全，符合法定条件"
                } else {
                    "不符合法定条件"
                };
                let c = Command::CompleteReview {
                    agree,
                    opinion: opinion.into(),
                };
                sim.step(c, Some(&reviewer), Some(dept), true)?;
            }
            CaseState::Decision => {
                let head = Staff::pick(staff.heads.get(&lead), rng)?.clone();
                if late && rng.chance(300) {
                    let e = Command::Extend {
                        days: 5 + rng.below(6) as i64,
                        reason: "情况复杂，需要延长审查期限".into(),
                    };
                    sim.step(e, Some(&head), Some(lead), false)?;
                }
                sim.wait(per_step);
                let approve = sim
                    .w
                    .case
                    .tasks
                    .iter()
                    .all(|t| t.status != TaskStatus::Disagreed)
                    && !rng.chance(20);
                let reason = if approve {
                    "准予许可"
                } else {
                    "不予许可：不符合法定条件"
                };
                let d = Command::Decide {
                    approve,
                    reason: reason.into(),
                };
                sim.step(d, Some(&head), Some(lead), true)?;
            }
            CaseState::Certifying => {
                let reviewer = Staff::pick(staff.reviewers.get(&lead), rng)?.clone();
                sim.wait(rng.below(2));
                sim.step(Command::Issue, Some(&reviewer), Some(lead), true)?;
            }
            CaseState::Delivering => {
                sim.wait(rng.below(3));
                let method = match (online, rng.below(3)) {
                    (false, _) | (true, 0) => "窗口领取",
                    (true, 1) => "邮政寄递",
                    _ => "电子送达",
                };
                let d = Command::Deliver {
                    method: method.into(),
                };
                sim.step(d, Some(clerk), Some(lead), true)?;
            }
            _ => break,
        }
    }
    Ok(())
}
