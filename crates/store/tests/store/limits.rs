//! Attempt limits and job leases in the database every instance shares, on
//! both backends: parallel reservations cannot slip under a limit, a success
//! gives its reservation back, a closed window opens again; a lease is
//! renewed while its holder lives, lapses soon after the holder dies, and a
//! restarted holder takes its own lease straight back.

use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use tongban_store::limits::{Limit, Reservation};

const FIVE_A_MINUTE: Limit = Limit {
    max: 5,
    window_ms: 60_000,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_reservations_grant_exactly_the_limit() {
    for (backend, store) in tongban_store::testing::stores("limits_parallel").await {
        let mut set = JoinSet::new();
        for _ in 0..100 {
            let s = store.clone();
            set.spawn(async move {
                s.reserve_attempt("login-user|victim", FIVE_A_MINUTE)
                    .await
                    .map_err(|e| e.to_string())
            });
        }
        let (mut granted, mut refused) = (0, 0);
        while let Some(joined) = set.join_next().await {
            match joined.unwrap_or_else(|e| panic!("{backend}: reservation task: {e}")) {
                Ok(Reservation::Granted) => granted += 1,
                Ok(Reservation::Refused) => refused += 1,
                Err(e) => panic!("{backend}: a reservation failed: {e}"),
            }
        }
        assert_eq!(granted, 5, "{backend}: 100 parallel attempts, limit 5");
        assert_eq!(refused, 95, "{backend}");
        // Another key has its own count.
        assert_eq!(
            store
                .reserve_attempt("login-user|someone-else", FIVE_A_MINUTE)
                .await
                .expect("reserve"),
            Reservation::Granted,
            "{backend}: keys are counted apart"
        );
    }
}

#[tokio::test]
async fn a_release_gives_one_attempt_back() {
    for (backend, store) in tongban_store::testing::stores("limits_release").await {
        let key = "lookup|192.0.2.1";
        for i in 0..5 {
            assert_eq!(
                store
                    .reserve_attempt(key, FIVE_A_MINUTE)
                    .await
                    .expect("reserve"),
                Reservation::Granted,
                "{backend}: attempt {i}"
            );
        }
        assert_eq!(
            store
                .reserve_attempt(key, FIVE_A_MINUTE)
                .await
                .expect("reserve"),
            Reservation::Refused,
            "{backend}: the sixth is refused"
        );
        // The refused one counted too (6): two releases bring the count to 4,
        // so exactly one more attempt is granted.
        store.release_attempt(key).await.expect("release");
        store.release_attempt(key).await.expect("release");
        assert_eq!(
            store
                .reserve_attempt(key, FIVE_A_MINUTE)
                .await
                .expect("reserve"),
            Reservation::Granted,
            "{backend}: a released attempt is given back"
        );
        assert_eq!(
            store
                .reserve_attempt(key, FIVE_A_MINUTE)
                .await
                .expect("reserve"),
            Reservation::Refused,
            "{backend}: only one was given back"
        );
        // Releasing a key never seen does nothing (and does not fail).
        store
            .release_attempt("lookup|never-seen")
            .await
            .expect("release of an unknown key");
    }
}

#[tokio::test]
async fn a_closed_window_opens_again() {
    for (backend, store) in tongban_store::testing::stores("limits_window").await {
        let short = Limit {
            max: 2,
            window_ms: 200,
        };
        let key = "login-addr|198.51.100.9";
        for _ in 0..2 {
            assert_eq!(
                store.reserve_attempt(key, short).await.expect("reserve"),
                Reservation::Granted,
                "{backend}"
            );
        }
        assert_eq!(
            store.reserve_attempt(key, short).await.expect("reserve"),
            Reservation::Refused,
            "{backend}: the window is full"
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(
            store.reserve_attempt(key, short).await.expect("reserve"),
            Reservation::Granted,
            "{backend}: a new window starts once the old one has passed"
        );
        assert_eq!(
            store.reserve_attempt(key, short).await.expect("reserve"),
            Reservation::Granted,
            "{backend}: the new window counts from one"
        );
        assert_eq!(
            store.reserve_attempt(key, short).await.expect("reserve"),
            Reservation::Refused,
            "{backend}: and fills up again"
        );
        // Pruning forgets counters whose window opened long enough ago.
        assert_eq!(
            store.prune_attempts(60 * 60 * 1000).await.expect("prune"),
            0,
            "{backend}: nothing is an hour old"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        let pruned = store.prune_attempts(10).await.expect("prune");
        assert_eq!(pruned, 1, "{backend}: the one counter is forgotten");
        assert_eq!(
            store.reserve_attempt(key, short).await.expect("reserve"),
            Reservation::Granted,
            "{backend}: a forgotten counter starts again"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_lease_is_renewed_and_lapses_when_its_holder_dies() {
    for (backend, store) in tongban_store::testing::stores("limits_lease").await {
        let ttl = Duration::from_millis(600);
        let guard = store
            .hold_lease("sweep", "a", ttl)
            .await
            .expect("hold")
            .unwrap_or_else(|| panic!("{backend}: a free lease is taken"));
        assert!(
            !store.try_lease("sweep", "b", 600).await.expect("try"),
            "{backend}: b waits while a holds the lease"
        );
        // Twice the time-to-live: a's guard keeps renewing it.
        tokio::time::sleep(Duration::from_millis(1200)).await;
        assert!(
            !store.try_lease("sweep", "b", 600).await.expect("try"),
            "{backend}: the lease is renewed while a's guard lives"
        );
        assert!(
            store
                .hold_lease("sweep", "b", ttl)
                .await
                .expect("hold")
                .is_none(),
            "{backend}: hold_lease says None while another holds it"
        );
        // a dies: the guard goes without a release.
        drop(guard);
        let died = Instant::now();
        assert!(
            !store.try_lease("sweep", "b", 60_000).await.expect("try"),
            "{backend}: a dead holder's lease is still live at first"
        );
        let mut taken = None;
        while died.elapsed() < Duration::from_secs(3) {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if store.try_lease("sweep", "b", 60_000).await.expect("try") {
                taken = Some(died.elapsed());
                break;
            }
        }
        let after = taken.unwrap_or_else(|| {
            panic!("{backend}: b never took the lapsed lease within 3 s (ttl {ttl:?})")
        });
        assert!(
            after >= Duration::from_millis(200),
            "{backend}: b took it after {after:?}, before a's last renewal could lapse"
        );
        assert!(
            after <= ttl + Duration::from_millis(1500),
            "{backend}: b took it only after {after:?} (ttl {ttl:?})"
        );
        // b now holds it for a minute: a (restarted) cannot take it ...
        assert!(
            !store.try_lease("sweep", "a", 600).await.expect("try"),
            "{backend}: b's live lease is b's"
        );
        // ... but b, restarted under the same name, takes its own live lease back at once.
        assert!(
            store.try_lease("sweep", "b", 60_000).await.expect("try"),
            "{backend}: a restarted holder takes its own unexpired lease back"
        );
        let again = store
            .hold_lease("sweep", "b", ttl)
            .await
            .expect("hold")
            .unwrap_or_else(|| panic!("{backend}: hold_lease by the same holder while live"));
        // A release frees it for anyone at once.
        again.release().await.expect("release");
        assert!(
            store.try_lease("sweep", "a", 600).await.expect("try"),
            "{backend}: a released lease is free"
        );
    }
}
