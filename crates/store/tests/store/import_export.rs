//! Catalogue export and import (`tongban-catalog/1`): a round trip into a fresh
//! store reproduces the catalogue, a repeated import changes nothing, and a
//! bad file is refused whole with every problem named by its JSON path.

use std::collections::BTreeMap;

use tongban_domain::catalog::ItemDoc;
use tongban_domain::codes::DivisionCode;
use tongban_store::{Store, StoreError};

async fn fresh_centre(backend: &str, store: &Store) -> i64 {
    let code =
        DivisionCode::parse("339901").unwrap_or_else(|e| panic!("{backend}: division code: {e}"));
    store
        .create_centre(&code, "x", None)
        .await
        .unwrap_or_else(|e| panic!("{backend}: create centre: {e}"))
        .id
}

async fn load_demo(backend: &str, store: &Store) {
    assert!(
        tongban_store::demo::load_demo(store)
            .await
            .unwrap_or_else(|e| panic!("{backend}: load demo: {e}")),
        "{backend}: demo loads into a fresh store"
    );
}

/// Published items as impl_code → (version id, document).
async fn published(backend: &str, store: &Store) -> BTreeMap<String, (i64, ItemDoc)> {
    store
        .published_items()
        .await
        .unwrap_or_else(|e| panic!("{backend}: published_items: {e}"))
        .into_iter()
        .map(|i| (i.impl_code, (i.id, i.doc)))
        .collect()
}

/// Drafts as impl_code → document.
async fn drafts(backend: &str, store: &Store) -> BTreeMap<String, ItemDoc> {
    store
        .draft_items()
        .await
        .unwrap_or_else(|e| panic!("{backend}: draft_items: {e}"))
        .into_iter()
        .map(|i| (i.impl_code, i.doc))
        .collect()
}

/// Departments as comparable tuples (ids differ between stores).
async fn departments(
    backend: &str,
    store: &Store,
) -> Vec<(String, String, String, String, String)> {
    store
        .departments()
        .await
        .unwrap_or_else(|e| panic!("{backend}: departments: {e}"))
        .into_iter()
        .map(|d| {
            (
                d.credit_code.as_str().to_string(),
                d.name,
                d.short_name,
                d.phone,
                d.address,
            )
        })
        .collect()
}

/// How many versions are stored, over every item of the store.
async fn version_count(backend: &str, store: &Store) -> usize {
    let mut codes: Vec<String> = published(backend, store).await.into_keys().collect();
    codes.extend(drafts(backend, store).await.into_keys());
    codes.sort();
    codes.dedup();
    let mut n = 0;
    for c in &codes {
        n += store
            .item_versions(c)
            .await
            .unwrap_or_else(|e| panic!("{backend}: item_versions {c}: {e}"))
            .len();
    }
    n
}

async fn export_text(backend: &str, store: &Store) -> String {
    let file = store
        .export_catalog(&Default::default())
        .await
        .unwrap_or_else(|e| panic!("{backend}: export: {e}"));
    serde_json::to_string_pretty(&file)
        .unwrap_or_else(|e| panic!("{backend}: serialise export: {e}"))
}

fn invalid_fields(
    backend: &str,
    what: &str,
    r: Result<tongban_store::catalog::transfer::ImportReport, StoreError>,
) -> Vec<String> {
    match r {
        Err(StoreError::Invalid(errs)) => errs.0.into_iter().map(|e| e.field).collect(),
        other => panic!("{backend}: {what}: expected Invalid, got {other:?}"),
    }
}

#[tokio::test]
async fn export_then_import_reproduces_the_catalogue() {
    let sources = tongban_store::testing::stores("export_src").await;
    let targets = tongban_store::testing::stores("import_dst").await;
    assert_eq!(
        sources.len(),
        targets.len(),
        "same backends for source and target"
    );
    for ((backend, source), (target_backend, target)) in sources.into_iter().zip(targets) {
        let backend = backend.as_str();
        assert_eq!(
            backend, target_backend,
            "source and target pair up by backend"
        );
        load_demo(backend, &source).await;
        let src_published = published(backend, &source).await;
        let src_drafts = drafts(backend, &source).await;
        assert_eq!(
            src_published.len(),
            55,
            "{backend}: demo publishes 55 items"
        );
        assert_eq!(src_drafts.len(), 1, "{backend}: demo has one draft");

        let text = export_text(backend, &source).await;
        let exported: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{backend}: export is JSON: {e}"));
        assert_eq!(
            exported["format"], "tongban-catalog/1",
            "{backend}: export names its format"
        );
        let exported_items = exported["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{backend}: export has an items array"))
            .len();
        assert_eq!(
            exported_items,
            src_published.len() + src_drafts.len(),
            "{backend}: export holds every live version and every draft"
        );

        // --- import into a fresh store.
        let centre = fresh_centre(backend, &target).await;
        let report = target
            .import_catalog(centre, &text, None)
            .await
            .unwrap_or_else(|e| panic!("{backend}: import export into a fresh store: {e}"));
        assert_eq!(
            report.departments_created, 13,
            "{backend}: 13 departments created"
        );
        assert_eq!(
            report.departments_updated, 0,
            "{backend}: nothing to update in a fresh store"
        );
        assert_eq!(
            report.items_created, 56,
            "{backend}: 55 published + 1 draft item created"
        );
        assert_eq!(
            report.versions_created, 0,
            "{backend}: no extra versions in a fresh store"
        );
        assert_eq!(
            report.unchanged, 0,
            "{backend}: nothing unchanged in a fresh store"
        );

        let dst_published = published(backend, &target).await;
        assert_eq!(
            dst_published.keys().collect::<Vec<_>>(),
            src_published.keys().collect::<Vec<_>>(),
            "{backend}: same published impl_codes after the round trip"
        );
        for (code, (_, doc)) in &src_published {
            let (_, got) = &dst_published[code];
            assert_eq!(
                got, doc,
                "{backend}: published document of {code} survives the round trip"
            );
        }
        assert_eq!(
            drafts(backend, &target).await,
            src_drafts,
            "{backend}: drafts survive the round trip"
        );
        assert_eq!(
            departments(backend, &target).await,
            departments(backend, &source).await,
            "{backend}: departments survive the round trip"
        );
        let re_exported: serde_json::Value =
            serde_json::from_str(&export_text(backend, &target).await)
                .unwrap_or_else(|e| panic!("{backend}: re-export is JSON: {e}"));
        assert!(
            re_exported == exported,
            "{backend}: exporting the imported catalogue gives the same file"
        );

        // --- importing the same text again changes nothing.
        let versions_before = version_count(backend, &target).await;
        let again = target
            .import_catalog(centre, &text, None)
            .await
            .unwrap_or_else(|e| panic!("{backend}: second import: {e}"));
        assert_eq!(
            again.unchanged,
            dst_published.len(),
            "{backend}: every published item reported unchanged ({again:?})"
        );
        assert_eq!(
            again.items_created, 0,
            "{backend}: no items created by a repeated import"
        );
        assert_eq!(
            again.versions_created, 0,
            "{backend}: no versions created by a repeated import"
        );
        assert_eq!(
            again.departments_created, 0,
            "{backend}: no departments created by a repeated import"
        );
        assert_eq!(
            version_count(backend, &target).await,
            versions_before,
            "{backend}: a repeated import stores no new versions"
        );
        let after = published(backend, &target).await;
        assert_eq!(
            after
                .iter()
                .map(|(c, (id, _))| (c.clone(), *id))
                .collect::<Vec<_>>(),
            dst_published
                .iter()
                .map(|(c, (id, _))| (c.clone(), *id))
                .collect::<Vec<_>>(),
            "{backend}: the same versions stay published after a repeated import"
        );
    }
}

#[tokio::test]
async fn bad_file_is_refused_whole_with_json_paths() {
    let sources = tongban_store::testing::stores("bad_src").await;
    let targets = tongban_store::testing::stores("bad_dst").await;
    assert_eq!(
        sources.len(),
        targets.len(),
        "same backends for source and target"
    );
    for ((backend, source), (target_backend, target)) in sources.into_iter().zip(targets) {
        let backend = backend.as_str();
        assert_eq!(
            backend, target_backend,
            "source and target pair up by backend"
        );
        load_demo(backend, &source).await;
        let text = export_text(backend, &source).await;

        let mut bad: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{backend}: export is JSON: {e}"));
        assert!(
            bad["items"][3]["doc"]["materials"]
                .as_array()
                .is_some_and(|m| !m.is_empty()),
            "{backend}: precondition: items[3] has materials"
        );
        bad["items"][3]["doc"]["materials"][0]["source"] = serde_json::json!(42);
        bad["departments"][0]["credit_code"] = serde_json::json!("91350100M000100Y4Z");
        bad["format"] = serde_json::json!("x");
        let bad_text = serde_json::to_string(&bad)
            .unwrap_or_else(|e| panic!("{backend}: serialise bad file: {e}"));
        let expected_paths = [
            "$.items[3].doc.materials[0].source",
            "$.departments[0].credit_code",
            "$.format",
        ];

        // Into a fresh store: refused, and nothing written.
        let centre = fresh_centre(backend, &target).await;
        let rev_before = target
            .catalog_revision()
            .await
            .unwrap_or_else(|e| panic!("{backend}: revision: {e}"));
        let fields = invalid_fields(
            backend,
            "importing a bad file into a fresh store",
            target.import_catalog(centre, &bad_text, None).await,
        );
        for p in expected_paths {
            assert!(
                fields.iter().any(|f| f == p),
                "{backend}: fresh store: expected an error at {p}, got {fields:?}"
            );
        }
        assert!(
            published(backend, &target).await.is_empty(),
            "{backend}: a refused import publishes nothing"
        );
        assert!(
            drafts(backend, &target).await.is_empty(),
            "{backend}: a refused import stores no drafts"
        );
        assert!(
            departments(backend, &target).await.is_empty(),
            "{backend}: a refused import creates no departments"
        );
        assert_eq!(
            target
                .catalog_revision()
                .await
                .unwrap_or_else(|e| panic!("{backend}: revision: {e}")),
            rev_before,
            "{backend}: a refused import does not move the catalogue revision"
        );

        // Into the populated store: refused, and the catalogue is untouched.
        let src_centre = source
            .centres()
            .await
            .unwrap_or_else(|e| panic!("{backend}: centres: {e}"))
            .first()
            .map(|c| c.id)
            .unwrap_or_else(|| panic!("{backend}: demo centre missing"));
        let published_before = published(backend, &source).await;
        let depts_before = departments(backend, &source).await;
        let versions_before = version_count(backend, &source).await;
        let fields = invalid_fields(
            backend,
            "importing a bad file into the demo store",
            source.import_catalog(src_centre, &bad_text, None).await,
        );
        for p in expected_paths {
            assert!(
                fields.iter().any(|f| f == p),
                "{backend}: demo store: expected an error at {p}, got {fields:?}"
            );
        }
        let published_after = published(backend, &source).await;
        assert_eq!(
            published_after.len(),
            published_before.len(),
            "{backend}: a refused import leaves the published count"
        );
        assert!(
            published_after == published_before,
            "{backend}: a refused import leaves every published version"
        );
        assert_eq!(
            departments(backend, &source).await,
            depts_before,
            "{backend}: a refused import leaves the departments"
        );
        assert_eq!(
            version_count(backend, &source).await,
            versions_before,
            "{backend}: a refused import stores no versions"
        );

        // Not JSON at all.
        let fields = invalid_fields(
            backend,
            "importing a file that is not JSON",
            target
                .import_catalog(centre, "this is { not json", None)
                .await,
        );
        assert!(
            fields.iter().any(|f| f == "$"),
            "{backend}: a non-JSON file is reported at $, got {fields:?}"
        );
        assert!(
            published(backend, &target).await.is_empty()
                && departments(backend, &target).await.is_empty(),
            "{backend}: a non-JSON file writes nothing"
        );
    }
}

#[tokio::test]
async fn a_centre_cannot_import_over_another_centres_departments() {
    for (backend, store) in tongban_store::testing::stores("import_scope").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let root = store.centres().await.expect("centres")[0].clone();
        let child = store
            .create_centre(
                &tongban_domain::codes::DivisionCode::parse("339902").expect("code"),
                "下级中心",
                Some(root.id),
            )
            .await
            .expect("child centre");
        let text = store
            .export_catalog(&Default::default())
            .await
            .expect("export");
        let text = serde_json::to_string(&text).expect("json");
        let before = store.published_items().await.expect("items").len();
        match store.import_catalog(child.id, &text, None).await {
            Err(tongban_store::StoreError::Invalid(errs)) => {
                assert!(
                    errs.0.iter().any(|e| e.code == "other_centre"),
                    "{backend}: {errs:?}"
                );
            }
            other => panic!("{backend}: expected a refusal, got {other:?}"),
        }
        assert_eq!(
            store.published_items().await.expect("items").len(),
            before,
            "{backend}"
        );
    }
}
