//! `tongban demo`: realistic cases in bulk, for the dashboards, tests and
//! benchmarks.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;
use tongban_store::Store;
use tongban_store::demo::GenerateOptions;

#[derive(Subcommand)]
pub enum DemoCommand {
    /// Generate cases over the last years at every centre and published
    /// item (both channels, 秒批, suspensions, extensions, refusals, late
    /// and open work, ratings), taken through the same decisions as real
    /// cases. Loads the demo first into an empty database.
    Generate {
        /// How many cases.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
        cases: u64,
        /// Over how many years up to today.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
        years: u32,
        /// The same seed gives the same cases.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Finish every case by today (no open work).
        #[arg(long)]
        closed: bool,
    },
}

pub async fn run(
    command: DemoCommand,
    store: Store,
    secret: Option<tongban_certs::KeySecret>,
    today: chrono::NaiveDate,
) -> anyhow::Result<ExitCode> {
    match command {
        DemoCommand::Generate {
            cases,
            years,
            seed,
            closed,
        } => {
            // The new districts' departments get signing keys as the demo's did.
            if let Some(k) = secret {
                store.set_key_secret(k);
            }
            if tongban_store::demo::load_demo(&store).await? {
                eprintln!(
                    "Loaded the demo centre, catalogue and accounts into the empty database."
                );
            }
            // Synthetic cases, ratings and accounts belong in a demo only:
            // the demo district and the demo city's centres, nothing else.
            let centres = store.centres().await?;
            anyhow::ensure!(
                centres
                    .iter()
                    .any(|c| c.division_code == "339901" && c.name == "示范区政务服务中心")
                    && centres.iter().all(|c| {
                        ["339900", "339901", "339902", "339903"].contains(&c.division_code.as_str())
                    }),
                "demo generate writes synthetic cases: it runs only on an empty or demo database"
            );
            let cal = Arc::new(store.work_calendar().await?);
            let bar = indicatif::ProgressBar::new(cases);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} cases ({per_sec}, {eta} left)",
                )
                .context("progress bar")?,
            );
            let started = std::time::Instant::now();
            let opts = GenerateOptions {
                cases,
                years,
                seed,
                today,
                open: !closed,
                city: true,
            };
            let done = store
                .generate_cases(&opts, cal, &|n| bar.set_position(n))
                .await
                .context("generating cases")?;
            bar.finish_and_clear();
            let secs = started.elapsed().as_secs_f64();
            println!(
                "generated {} cases ({} events, {} still open, {} ratings) in {secs:.1} s ({:.0} cases/s)",
                done.cases,
                done.events,
                done.open,
                done.ratings,
                done.cases as f64 / secs.max(0.001)
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// What `serve` puts into a fresh demo beside the accounts and the
/// catalogue: a few weeks of the centre's work (cases, ratings,
/// walk-throughs), the 靠前服务 projects, and `history` generated cases over
/// three years — all finished, so the queues hold only the activity's —
/// so that the dashboards have history.
pub async fn fill_fresh(
    state: &tongban_web::AppState,
    today: chrono::NaiveDate,
    history: u64,
) -> anyhow::Result<()> {
    let cal = state.calendar();
    tongban_store::demo::load_demo_activity(&state.store, &state.files, &cal, today)
        .await
        .context("loading the demo's activity")?;
    tongban_store::demo::load_demo_enterprise(&state.store, &state.files, &cal, today)
        .await
        .context("loading the demo's projects")?;
    let history = GenerateOptions {
        cases: history,
        years: 3,
        seed: 1,
        today,
        open: false,
        city: false,
    };
    state
        .store
        .generate_cases(&history, cal, &|_| {})
        .await
        .context("generating the demo's history")?;
    Ok(())
}
