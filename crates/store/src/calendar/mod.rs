//! Holiday notices entered by an admin (SPEC §3), stored in the database so
//! that every instance builds the same calendar.

use tongban_domain::calendar::{
    CalendarError, WorkCalendar, YearSchedule, format_schedules, parse_schedules,
};

use sea_orm::ConnectionTrait;

use crate::{Result, Store, StoreError, exec, get, now_ms, query};

impl Store {
    /// The years entered by admins, in the product's schedule format.
    pub async fn calendar_years(&self) -> Result<Vec<YearSchedule>> {
        Ok(entered_years(self.conn()).await?.0)
    }

    /// Enters (or replaces) one year's notice after checking it, in the
    /// caller's transaction, and gives the calendar with it. The case core's
    /// `put_calendar_year` calls this and then recomputes the cases' dates.
    pub(crate) async fn write_calendar_year(
        &self,
        txn: &impl ConnectionTrait,
        y: &YearSchedule,
        actor: Option<i64>,
    ) -> Result<WorkCalendar> {
        y.check().map_err(StoreError::Invalid)?;
        // The whole calendar must still build with it.
        let mut years = self.calendar_years().await?;
        years.retain(|o| o.year != y.year);
        years.push(y.clone());
        let cal = WorkCalendar::builtin_with(&years).map_err(|e: CalendarError| {
            StoreError::Invalid(
                tongban_domain::FieldError::new("days", "invalid", e.zh(), e.to_string()).into(),
            )
        })?;
        let text = format_schedules(std::slice::from_ref(y));
        let days: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
        exec(
            txn,
            "DELETE FROM calendar_years WHERE year = $1",
            vec![i64::from(y.year).into()],
        )
        .await?;
        exec(
            txn,
            "INSERT INTO calendar_years (year, source, days, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)",
            vec![
                i64::from(y.year).into(),
                y.source.clone().into(),
                days.into(),
                now_ms().into(),
                actor.into(),
            ],
        )
        .await?;
        crate::trail::append(
            txn,
            actor,
            "calendar.enter_year",
            &format!("calendar:{}", y.year),
            serde_json::json!({"source": y.source, "days": y.days.len()}),
        )
        .await?;
        Ok(cal)
    }

    /// A fingerprint that changes whenever an entered year changes (the
    /// tag of the calendar built from them).
    pub async fn calendar_revision(&self) -> Result<u64> {
        calendar_tag(self.conn()).await
    }

    /// The working-day calendar: shipped schedules plus the entered years,
    /// tagged with the fingerprint of the entered years it was built from.
    pub async fn work_calendar(&self) -> Result<WorkCalendar> {
        calendar_in(self.conn()).await
    }
}

/// The calendar as the database holds it now, read with `c` (a writer's
/// transaction, when it finds its jobs' calendar out of date).
pub(crate) async fn calendar_in(c: &impl ConnectionTrait) -> Result<WorkCalendar> {
    let (extra, tag) = entered_years(c).await?;
    Ok(WorkCalendar::builtin_with(&extra)
        .map_err(|e| StoreError::Corrupt(format!("calendar: {e}")))?
        .tagged(tag))
}

/// The fingerprint of the entered years as they are now: changes whenever
/// a year is entered or replaced.
pub(crate) async fn calendar_tag(c: &impl ConnectionTrait) -> Result<u64> {
    let rows = query(
        c,
        "SELECT year, updated_at FROM calendar_years ORDER BY year",
        vec![],
    )
    .await?;
    let mut pairs = Vec::with_capacity(rows.len());
    for r in &rows {
        pairs.push((get::<i64>(r, "year")?, get::<i64>(r, "updated_at")?));
    }
    Ok(fingerprint(&pairs))
}

fn fingerprint(pairs: &[(i64, i64)]) -> u64 {
    // FNV-1a over (year, entered at): stable across instances and builds.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (y, t) in pairs {
        for b in y.to_le_bytes().iter().chain(t.to_le_bytes().iter()) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The entered years and their fingerprint, read together.
async fn entered_years(c: &impl ConnectionTrait) -> Result<(Vec<YearSchedule>, u64)> {
    let rows = query(
        c,
        "SELECT year, source, days, updated_at FROM calendar_years ORDER BY year",
        vec![],
    )
    .await?;
    let mut pairs = Vec::with_capacity(rows.len());
    for r in &rows {
        pairs.push((get::<i64>(r, "year")?, get::<i64>(r, "updated_at")?));
    }
    let mut out = Vec::new();
    for r in &rows {
        let year: i64 = get(r, "year")?;
        let source: String = get(r, "source")?;
        let days: String = get(r, "days")?;
        let text = format!("year {year} {source}\n{days}");
        let mut parsed = parse_schedules(&text)
            .map_err(|e| StoreError::Corrupt(format!("calendar year {year}: {e}")))?;
        out.append(&mut parsed);
    }
    Ok((out, fingerprint(&pairs)))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use tongban_domain::calendar::{ScheduleDay, YearSchedule};

    use crate::StoreError;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[tokio::test]
    async fn an_entered_year_extends_the_calendar() {
        for (backend, store) in crate::testing::stores("calendar").await {
            let before = store.work_calendar().await.expect("calendar");
            assert!(before.is_provisional(d("2027-01-01")), "{backend}");
            assert_eq!(
                before.is_workday(d("2027-02-05")),
                Ok(false),
                "{backend}: 除夕"
            );
            let y = YearSchedule {
                year: 2027,
                source: "国办发明电〔2026〕1号".into(),
                days: vec![
                    ScheduleDay {
                        date: d("2027-01-01"),
                        off: true,
                        name: "元旦".into(),
                    },
                    ScheduleDay {
                        date: d("2027-02-06"),
                        off: false,
                        name: "春节".into(),
                    },
                ],
            };
            let rev = store.calendar_revision().await.expect("rev");
            store
                .put_calendar_year(&y, None, d("2026-12-01"))
                .await
                .expect("entered");
            assert_ne!(
                store.calendar_revision().await.expect("rev"),
                rev,
                "{backend}"
            );
            let after = store.work_calendar().await.expect("calendar");
            assert_eq!(after.is_workday(d("2027-01-01")), Ok(false), "{backend}");
            assert!(!after.is_provisional(d("2027-01-01")), "{backend}");
            assert_eq!(
                after.is_workday(d("2027-02-05")),
                Ok(true),
                "{backend}: as entered"
            );
            assert_eq!(
                after.is_workday(d("2027-02-06")),
                Ok(true),
                "{backend}: 调休 Saturday"
            );
            assert_eq!(after.is_workday(d("2027-01-04")), Ok(true), "{backend}");
            assert_eq!(
                store.calendar_years().await.expect("years"),
                vec![y.clone()],
                "{backend}"
            );
            // A bad notice changes nothing.
            let mut bad = y.clone();
            bad.days.push(ScheduleDay {
                date: d("2027-03-01"),
                off: false,
                name: "周一".into(),
            });
            assert!(matches!(
                store.put_calendar_year(&bad, None, d("2026-12-01")).await,
                Err(StoreError::Invalid(_))
            ));
            assert_eq!(
                store.calendar_years().await.expect("years"),
                vec![y],
                "{backend}"
            );
        }
    }
}
