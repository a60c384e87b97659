//! Several server instances over one database: the search index follows
//! changes made by another instance, and the monthly audit runs once.

use tongban_web::{AppState, Config};

fn config(name: &str) -> Config {
    Config {
        instance: name.to_string(),
        background_jobs: false,
        ..Default::default()
    }
}

#[tokio::test]
async fn search_follows_changes_made_by_another_instance() {
    for (backend, store) in tongban_store::testing::stores("instances_search").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let a = AppState::new(store.clone(), config("a")).await.expect("a");
        let b = AppState::new(store.clone(), config("b")).await.expect("b");
        let query = tongban_search::SearchQuery {
            text: "出生医学证明".into(),
            limit: 10,
            ..Default::default()
        };
        let before = b.search.current().search(&query).expect("search").total;
        assert!(before > 0, "{backend}");
        // Instance A retires the item; B's index must drop it after a refresh.
        let item = store
            .published_items()
            .await
            .expect("items")
            .into_iter()
            .find(|i| i.doc.name == "出生医学证明首次签发")
            .expect("demo item");
        store
            .retire(&item.impl_code, "不再实施", None)
            .await
            .expect("retire");
        assert!(
            a.refresh_search().await.expect("refresh a"),
            "{backend}: a sees a change"
        );
        assert!(
            b.refresh_search().await.expect("refresh b"),
            "{backend}: b sees a change"
        );
        let hits = b.search.current().search(&query).expect("search");
        assert!(
            hits.hits.iter().all(|h| h.code != item.impl_code),
            "{backend}: retired item still found by the other instance"
        );
        assert!(
            !b.refresh_search().await.expect("refresh"),
            "{backend}: no change, no rebuild"
        );
    }
}

#[tokio::test]
async fn monthly_audit_runs_once_across_instances() {
    for (backend, store) in tongban_store::testing::stores("instances_audit").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let a = AppState::new(store.clone(), config("a")).await.expect("a");
        let b = AppState::new(store.clone(), config("b")).await.expect("b");
        let (ra, rb) = tokio::join!(a.monthly_audit_tick(), b.monthly_audit_tick());
        let ran = [ra.expect("tick a"), rb.expect("tick b")];
        assert_eq!(
            ran.iter().filter(|r| **r).count(),
            1,
            "{backend}: ran {ran:?}"
        );
        // Later ticks in the same month do nothing.
        assert!(!a.monthly_audit_tick().await.expect("tick"), "{backend}");
        assert!(!b.monthly_audit_tick().await.expect("tick"), "{backend}");
        let runs = store.audit_runs(10).await.expect("runs");
        assert_eq!(
            runs.iter().filter(|r| r.trigger == "schedule").count(),
            1,
            "{backend}"
        );
    }
}
