//! `tongban kpi`: the indicator rollups checked against the case events
//! (and rebuilt), and the monthly 指标调度 report made by hand.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use tongban_store::Store;

#[derive(Subcommand)]
pub enum KpiCommand {
    /// Recompute the rollups from the case events and report every
    /// difference (exit status 1 if there is any).
    Verify {
        /// First day (default: 30 days ago).
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        /// Last day (default: today).
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
    },
    /// Replace the rollups of a period by their recomputation (after a
    /// holiday notice moved dates, or a difference `verify` found).
    Rebuild {
        #[arg(long)]
        from: chrono::NaiveDate,
        #[arg(long)]
        to: chrono::NaiveDate,
    },
    /// Sum the closed months not yet summed (the server does it every
    /// minute; after a bulk load it can be done at once).
    Summarize,
    /// Make the monthly 指标调度 report of a centre (XLSX).
    Report {
        /// The month, e.g. 2026-11.
        #[arg(long)]
        month: String,
        /// The centre's division code (default: the top centre).
        #[arg(long)]
        centre: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
}

pub async fn run(command: KpiCommand, store: Store) -> anyhow::Result<ExitCode> {
    let today = tongban_store::shanghai_today();
    match command {
        KpiCommand::Verify { from, to } => {
            let to = to.unwrap_or(today);
            let from = from.unwrap_or(to - chrono::Days::new(30));
            anyhow::ensure!(from <= to, "--from is after --to");
            let diffs = store.kpi_verify(from, to).await?;
            for d in &diffs {
                println!(
                    "{} centre {} department {} item {} channel {} person {} {}: stored {}, recomputed {}",
                    d.day,
                    d.centre_id,
                    d.department_id,
                    d.impl_code,
                    d.channel,
                    d.person_id,
                    d.metric,
                    d.stored,
                    d.recomputed
                );
            }
            if diffs.is_empty() {
                println!(
                    "{from} – {to}: every rollup equals its recomputation from the case events"
                );
                Ok(ExitCode::SUCCESS)
            } else {
                println!("{} differences", diffs.len());
                Ok(ExitCode::FAILURE)
            }
        }
        KpiCommand::Rebuild { from, to } => {
            anyhow::ensure!(from <= to, "--from is after --to");
            let n = store.kpi_rebuild(from, to).await?;
            println!("{from} – {to}: rollups recomputed ({n} rows changed)");
            Ok(ExitCode::SUCCESS)
        }
        KpiCommand::Summarize => {
            match store.kpi_summarize(today).await? {
                Some(m) => println!("months summed through {m}"),
                None => println!("no month to sum yet"),
            }
            Ok(ExitCode::SUCCESS)
        }
        KpiCommand::Report { month, centre, out } => {
            let centres = store.centres().await?;
            let c = match &centre {
                Some(code) => centres.iter().find(|c| &c.division_code == code),
                None => centres.iter().find(|c| c.parent_id.is_none()),
            }
            .with_context(|| format!("no centre {}", centre.unwrap_or_default()))?;
            let bytes = tongban_web::indicators::export::monthly_report(&store, c.id, &month)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.en))?;
            std::fs::write(&out, bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!("{} {month}: {}", c.name, out.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}
