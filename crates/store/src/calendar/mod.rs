//! Holiday notices entered by an admin (SPEC §3), stored in the database so
//! that every instance builds the same calendar.

use tongban_domain::calendar::{
    CalendarError, WorkCalendar, YearSchedule, format_schedules, parse_schedules,
};

use sea_orm::ConnectionTrait;

use crate::{Result, Store, StoreError, exec, get, now_ms, query, query_one};

impl Store {
    /// The years entered by admins, in the product's schedule format.
    pub async fn calendar_years(&self) -> Result<Vec<YearSchedule>> {
        let rows = query(
            self.conn(),
            "SELECT year, source, days FROM calendar_years ORDER BY year",
            vec![],
        )
        .await?;
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
        Ok(out)
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

    /// A fingerprint that changes whenever an entered year changes.
    pub async fn calendar_revision(&self) -> Result<(i64, i64)> {
        let r = query_one(
            self.conn(),
            "SELECT COUNT(*) AS n, COALESCE(MAX(updated_at), 0) AS t FROM calendar_years",
            vec![],
        )
        .await?;
        match r {
            Some(r) => Ok((get(&r, "n")?, get(&r, "t")?)),
            None => Ok((0, 0)),
        }
    }

    /// The working-day calendar: shipped schedules plus the entered years.
    pub async fn work_calendar(&self) -> Result<WorkCalendar> {
        let extra = self.calendar_years().await?;
        WorkCalendar::builtin_with(&extra)
            .map_err(|e| StoreError::Corrupt(format!("calendar: {e}")))
    }
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
