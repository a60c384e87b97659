//! The everyday phrasings search uses, on both backends: a new database
//! starts with the defaults; the centre's catalogue admin adds and removes
//! them (a department's may not), each change moving the catalogue's
//! revision so that every instance rebuilds its index.

use tongban_store::StoreError;

use crate::helpers::actor;

#[tokio::test]
async fn phrasings_are_kept_by_the_centres_catalogue_admin() {
    for (backend, store) in tongban_store::testing::stores("phrasings").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let all = store.search_phrasings().await.expect("list");
        assert!(
            all.iter()
                .any(|p| p.everyday == "生孩子" && p.official == "新生儿出生"),
            "{backend}: the defaults are there"
        );
        let admin = actor(&store, "catalog").await;
        let dept_admin = actor(&store, "catalog_wjw").await;
        let clerk = actor(&store, "clerk").await;
        let rev = store.catalog_revision().await.expect("rev");
        let p = store
            .add_phrasing(&admin, " 领执照 ", "营业执照")
            .await
            .unwrap_or_else(|e| panic!("{backend}: add: {e}"));
        assert_eq!(
            (p.everyday.as_str(), p.official.as_str()),
            ("领执照", "营业执照")
        );
        assert_ne!(
            store.catalog_revision().await.expect("rev"),
            rev,
            "{backend}"
        );
        assert!(matches!(
            store.add_phrasing(&admin, "领执照", "营业执照").await,
            Err(StoreError::Conflict { .. })
        ));
        assert!(matches!(
            store.add_phrasing(&admin, "", "营业执照").await,
            Err(StoreError::Invalid(_))
        ));
        for who in [&dept_admin, &clerk] {
            assert!(
                matches!(
                    store.add_phrasing(who, "开店", "个体工商户").await,
                    Err(StoreError::Forbidden(_))
                ),
                "{backend}: {:?}",
                who.role
            );
            assert!(matches!(
                store.remove_phrasing(who, p.id).await,
                Err(StoreError::Forbidden(_))
            ));
        }
        store
            .remove_phrasing(&admin, p.id)
            .await
            .unwrap_or_else(|e| panic!("{backend}: remove: {e}"));
        assert!(
            !store
                .search_phrasings()
                .await
                .expect("list")
                .iter()
                .any(|x| x.id == p.id)
        );
        assert!(matches!(
            store.remove_phrasing(&admin, p.id).await,
            Err(StoreError::NotFound(_))
        ));
    }
}
