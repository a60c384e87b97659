//! Deadline arithmetic throughput on one core.
//!
//! `cargo bench -p tongban-domain --bench calendar` — add N working days to
//! pseudo-random dates over 2019–2026 (the case deadline computation), and
//! count working days between two dates.

use std::hint::black_box;
use std::time::Instant;

use chrono::{Datelike, Duration, NaiveDate};
use tongban_domain::calendar::WorkCalendar;

fn main() {
    let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
    let start = NaiveDate::from_ymd_opt(2019, 1, 1).expect("date");
    let inputs: Vec<(NaiveDate, u32)> = (0..100_000u64)
        .map(|i| {
            let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20;
            (
                start + Duration::days((x % 2600) as i64),
                (x % 45) as u32 + 1,
            )
        })
        .collect();
    let rounds = 50;
    let t = Instant::now();
    let mut acc = 0i64;
    for _ in 0..rounds {
        for &(d, n) in &inputs {
            if let Ok(r) = cal.add_workdays(black_box(d), black_box(n)) {
                acc += i64::from(r.ordinal());
            }
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let ops = (rounds * inputs.len()) as f64;
    println!(
        "add_workdays: {:.1} million/s ({:.0} ns each, checksum {acc})",
        ops / secs / 1e6,
        secs / ops * 1e9
    );
    let t = Instant::now();
    let mut acc = 0i64;
    for _ in 0..rounds {
        for &(d, n) in &inputs {
            let to = d + Duration::days(i64::from(n) * 3);
            if let Ok(c) = cal.workdays_between(black_box(d), black_box(to)) {
                acc += c;
            }
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "workdays_between: {:.1} million/s ({:.0} ns each, checksum {acc})",
        ops / secs / 1e6,
        secs / ops * 1e9
    );
}
