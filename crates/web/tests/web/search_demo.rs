//! Search over the demo catalogue, as the public search page and API use it.

use tongban_search::SearchQuery;
use tongban_web::{AppState, Config};

fn q(text: &str) -> SearchQuery {
    SearchQuery {
        text: text.into(),
        limit: 20,
        ..Default::default()
    }
}

#[tokio::test]
async fn demo_search_finds_guides_by_their_words() {
    for (backend, store) in tongban_store::testing::stores("search_demo").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let state = AppState::new(
            store.clone(),
            Config {
                background_jobs: false,
                ..Default::default()
            },
        )
        .await
        .expect("state");
        let index = state.search.current();
        let names = |text: &str| -> Vec<String> {
            index
                .search(&q(text))
                .expect("search")
                .hits
                .into_iter()
                .map(|h| h.name)
                .collect()
        };
        // Word segmentation: 出生证明 finds 出生医学证明 first.
        assert_eq!(
            names("出生证明").first().map(String::as_str),
            Some("出生医学证明首次签发"),
            "{backend}"
        );
        // A guide that only mentions 营业执照 (as its result) is found.
        let hits = names("营业执照");
        assert!(
            hits.iter().any(|n| n == "企业设立登记"),
            "{backend}: {hits:?}"
        );
        // Everyday wording.
        assert_eq!(
            names("社保卡").first().map(String::as_str),
            Some("社会保障卡申领"),
            "{backend}"
        );
        // Department filter: only 市场监管局 items.
        let sj = store
            .departments()
            .await
            .expect("departments")
            .into_iter()
            .find(|d| d.short_name == "市场监管局")
            .expect("department");
        let r = index
            .search(&SearchQuery {
                department_id: Some(sj.id),
                ..q("许可")
            })
            .expect("search");
        assert!(r.total > 0, "{backend}");
        let published = store.published_items().await.expect("items");
        for h in &r.hits {
            let item = published
                .iter()
                .find(|i| i.impl_code == h.code)
                .expect("hit is published");
            assert_eq!(item.department_id, sj.id, "{backend}: {}", h.name);
        }
        // Drafts are not public.
        assert!(
            names("托育机构备案").iter().all(|n| n != "托育机构备案"),
            "{backend}"
        );
    }
}
