//! Defect 11: the sweeps' lease is short and renewed while held, so when the
//! instance holding it is killed the other instance sweeps within the lease
//! time; and an instance restarted under its name takes its lease back at once.

use std::time::{Duration, Instant};

use super::*;

const TTL: Duration = Duration::from_millis(600);

fn lease_config(name: &str) -> Config {
    Config {
        lease_ttl: TTL,
        ..config(name)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_instance_sweeps_soon_after_the_holder_is_killed() {
    for (b, store, a, other) in
        two_instances("hard_leases", lease_config("a"), lease_config("b")).await
    {
        assert_eq!(a.config.lease_ttl, TTL, "{b}");
        // a is sweeping: it holds the lease, renewed in the background.
        let held = store
            .hold_lease("case-sweeps", &a.config.instance, a.config.lease_ttl)
            .await
            .expect("hold")
            .unwrap_or_else(|| panic!("{b}: a takes the free lease"));
        assert!(
            other.case_sweep_tick().await.expect("tick").is_none(),
            "{b}: b does not sweep while a holds the lease"
        );
        tokio::time::sleep(TTL * 2).await;
        assert!(
            other.case_sweep_tick().await.expect("tick").is_none(),
            "{b}: a's lease is renewed while a lives"
        );
        // a is killed: nothing releases the lease, nothing renews it.
        drop(held);
        let killed = Instant::now();
        assert!(
            other.case_sweep_tick().await.expect("tick").is_none(),
            "{b}: the dead holder's lease is live at first"
        );
        let mut swept = None;
        while killed.elapsed() < Duration::from_secs(3) {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if other.case_sweep_tick().await.expect("tick").is_some() {
                swept = Some(killed.elapsed());
                break;
            }
        }
        let after = swept.unwrap_or_else(|| panic!("{b}: b never swept within 3 s of a's death"));
        assert!(
            after <= TTL + Duration::from_millis(1500),
            "{b}: b swept only {after:?} after a died (lease {TTL:?})"
        );
        // The tick released the lease when it was done: a (restarted) sweeps at once.
        assert!(
            a.case_sweep_tick().await.expect("tick").is_some(),
            "{b}: a released lease is free"
        );
    }
}

#[tokio::test]
async fn a_restarted_instance_takes_its_own_lease_back_at_once() {
    for (b, store, a, other) in
        two_instances("hard_leases_restart", lease_config("a"), lease_config("b")).await
    {
        // a holds the lease and dies; its lease is still live ...
        let held = store
            .hold_lease("case-sweeps", "a", TTL)
            .await
            .expect("hold")
            .unwrap_or_else(|| panic!("{b}: a takes the free lease"));
        drop(held);
        assert!(
            other.case_sweep_tick().await.expect("tick").is_none(),
            "{b}: b must wait for the lease to lapse"
        );
        // ... and a, restarted under its name, sweeps straight away.
        let restarted = AppState::new(store.clone(), lease_config("a"))
            .await
            .unwrap_or_else(|e| panic!("{b}: restart a: {e}"));
        assert!(
            restarted.case_sweep_tick().await.expect("tick").is_some(),
            "{b}: the restarted instance takes its own lease back"
        );
        // So does the process state a had before (the same name): the lease is free again.
        assert!(a.case_sweep_tick().await.expect("tick").is_some(), "{b}");
        // Sweeps over a quiet demo do nothing, and say so.
        assert_eq!(
            other.case_sweep_tick().await.expect("tick"),
            Some((0, 0)),
            "{b}"
        );
    }
}
