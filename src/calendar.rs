//! `tongban calendar`: the legal working-day calendar — counting working
//! days, and entering a year's State Council holiday notice.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use tongban_store::Store;

#[derive(Subcommand)]
pub enum CalendarCommand {
    /// Print the date N working days after DATE (DATE itself not counted).
    AddWorkdays {
        date: chrono::NaiveDate,
        n: tongban_domain::catalog::DayCount,
    },
    /// Print the number of working days in (FROM, TO].
    Workdays {
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    },
    /// Print `workday` or `holiday`.
    IsWorkday { date: chrono::NaiveDate },
    /// Enter a year's State Council notice from a holiday-cn JSON file or the
    /// product's own schedule format (`year YYYY …` / `YYYY-MM-DD off|work name`).
    Import { file: PathBuf },
    /// List the covered years.
    Years,
}

pub async fn run(command: CalendarCommand, store: Store) -> anyhow::Result<ExitCode> {
    let cal = store.work_calendar().await?;
    let missing = |e: tongban_domain::calendar::CalendarError| {
        eprintln!("error: {e} / {}", e.zh());
        Ok(ExitCode::from(2))
    };
    match command {
        CalendarCommand::AddWorkdays { date, n } => match cal.add_workdays(date, n.get()) {
            Ok(d) => println!("{d}"),
            Err(e) => return missing(e),
        },
        CalendarCommand::Workdays { from, to } => match cal.workdays_between(from, to) {
            Ok(n) => println!("{n}"),
            Err(e) => return missing(e),
        },
        CalendarCommand::IsWorkday { date } => match cal.is_workday(date) {
            Ok(true) => println!("workday"),
            Ok(false) => println!("holiday"),
            Err(e) => return missing(e),
        },
        CalendarCommand::Years => {
            let entered: Vec<i32> = store
                .calendar_years()
                .await?
                .iter()
                .map(|y| y.year)
                .collect();
            for y in cal.covered_years() {
                let how = if entered.contains(&y) {
                    "entered"
                } else {
                    "shipped"
                };
                println!("{y} {how}");
            }
        }
        CalendarCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let years = if text.trim_start().starts_with('{') {
                vec![tongban_domain::calendar::from_holiday_cn_json(&text)?]
            } else {
                tongban_domain::calendar::parse_schedules(&text)?
            };
            for y in &years {
                match store
                    .put_calendar_year(y, None, tongban_store::cases::shanghai_today())
                    .await
                {
                    Ok(redated) => {
                        println!(
                            "entered {} ({} days listed; dates of {} cases recomputed)",
                            y.year,
                            y.days.len(),
                            redated.len()
                        );
                        // The figures the notice moves.
                        store
                            .kpi_after_notice(y, tongban_store::cases::shanghai_today())
                            .await?;
                    }
                    Err(tongban_store::StoreError::Invalid(errs)) => {
                        eprintln!("{} refused; nothing was written for it:", y.year);
                        for e in &errs.0 {
                            eprintln!("  {}: {}", e.field, e.message_en);
                        }
                        return Ok(ExitCode::from(2));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
