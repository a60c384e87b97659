//! `tongban tickets`: the difficulty tickets' escalation sweep run by hand
//! (as the server's scheduled sweep runs it, each step once).

use std::process::ExitCode;

use clap::Subcommand;
use tongban_store::Store;

#[derive(Subcommand)]
pub enum TicketsCommand {
    /// Escalate what is overdue: to the department's head past the answer
    /// deadline, to the supervisors after the centre's further days.
    Sweep {
        /// Sweep as of this date (default: today in China Standard Time),
        /// e.g. to catch up after the servers were down.
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
        /// Allow a date after today: escalations and notices then go out
        /// early and cannot be taken back — for rehearsals on a copy of the
        /// data (the browser tests), never on the live database.
        #[arg(long)]
        allow_future: bool,
    },
}

/// Escalates what is overdue as of `date` (default `today`); a date after
/// today only with `--allow-future`.
pub async fn run(
    command: TicketsCommand,
    store: Store,
    today: chrono::NaiveDate,
) -> anyhow::Result<ExitCode> {
    let TicketsCommand::Sweep { date, allow_future } = command;
    if let Some(d) = date
        && d > today
        && !allow_future
    {
        anyhow::bail!(
            "{d} is after today: escalating early sends notices that cannot be taken back (--allow-future on a copy of the data)"
        );
    }
    let cal = store.work_calendar().await?;
    let done = store.sweep_tickets(&cal, date.unwrap_or(today)).await?;
    println!(
        "{} escalated to department heads, {} to supervisors",
        done.to_heads, done.to_supervisors
    );
    Ok(ExitCode::SUCCESS)
}
