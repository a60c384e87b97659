//! The version lifecycle of a service item, end to end through the store:
//! draft → published → new draft version → published (old one superseded) →
//! retired, with the guards a catalogue admin relies on.

use tongban_domain::catalog::{Agency, ExerciseLevel, ItemDoc, ItemStatus};
use tongban_domain::codes::{BasicCode, CreditCode, DivisionCode};
use tongban_store::catalog::{Department, DepartmentInput};
use tongban_store::{Store, StoreError};

/// The department's own 统一社会信用代码 (valid MOD 31 check).
const DEPT_CODE: &str = "91350100M000100Y43";
/// Another valid credit code that belongs to no department of the test centre.
const OTHER_CODE: &str = "11339901MB00000011";
const BASIC: &str = "000201001000";
const OTHER_BASIC: &str = "000201002000";

fn credit(backend: &str, code: &str) -> CreditCode {
    CreditCode::parse(code).unwrap_or_else(|e| panic!("{backend}: credit code {code}: {e}"))
}

fn basic(backend: &str, code: &str) -> BasicCode {
    BasicCode::parse(code).unwrap_or_else(|e| panic!("{backend}: basic code {code}: {e}"))
}

/// A centre with one department.
async fn setup(backend: &str, store: &Store) -> Department {
    let division =
        DivisionCode::parse("339901").unwrap_or_else(|e| panic!("{backend}: division code: {e}"));
    let centre = store
        .create_centre(&division, "测试区政务服务中心", None)
        .await
        .unwrap_or_else(|e| panic!("{backend}: create centre: {e}"));
    store
        .create_department(
            centre.id,
            &DepartmentInput {
                name: "测试区卫生健康局".into(),
                short_name: "卫健局".into(),
                credit_code: credit(backend, DEPT_CODE),
                phone: "0591-87654321".into(),
                address: "测试区政务服务中心二楼".into(),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{backend}: create department: {e}"))
}

fn doc_for(backend: &str, name: &str, agency_code: &str, basic_code: &str) -> ItemDoc {
    let mut doc = ItemDoc::skeleton(
        name,
        Agency {
            name: "测试区卫生健康局".into(),
            credit_code: credit(backend, agency_code),
        },
        ExerciseLevel::County,
        basic(backend, basic_code),
    )
    .unwrap_or_else(|| panic!("{backend}: skeleton for {name}"));
    doc.consult_phone = "0591-87654321".into();
    doc.location = "测试区政务服务中心".into();
    // Complete enough to publish: no error-level audit finding.
    doc.office_hours = "工作日 9:00-17:00".into();
    doc.complaint_phone = "12345".into();
    doc.result.name = "出生医学证明".into();
    doc.legal_basis = vec![tongban_domain::catalog::LegalBasis {
        law_name: "中华人民共和国母婴保健法".into(),
        doc_number: String::new(),
        article: "第二十三条".into(),
        text: "医疗保健机构应当出具统一制发的新生儿出生医学证明".into(),
    }];
    doc.process_steps = vec![tongban_domain::catalog::ProcessStep {
        name: "受理".into(),
        description: String::new(),
    }];
    doc.legal_limit = Some(tongban_domain::catalog::TimeLimit::working(
        tongban_domain::catalog::DayCount::of(20),
    ));
    doc.promised_limit = Some(tongban_domain::catalog::TimeLimit::working(
        tongban_domain::catalog::DayCount::of(5),
    ));
    doc
}

fn expect_conflict<T: std::fmt::Debug>(backend: &str, what: &str, r: Result<T, StoreError>) {
    match r {
        Err(StoreError::Conflict { .. }) => {}
        other => panic!("{backend}: {what}: expected Conflict, got {other:?}"),
    }
}

fn expect_invalid_field<T: std::fmt::Debug>(
    backend: &str,
    what: &str,
    field: &str,
    r: Result<T, StoreError>,
) {
    match r {
        Err(StoreError::Invalid(errs)) => {
            let fields: Vec<&str> = errs.0.iter().map(|e| e.field.as_str()).collect();
            assert!(
                fields.contains(&field),
                "{backend}: {what}: expected an error on field {field}, got {fields:?}"
            );
        }
        other => panic!("{backend}: {what}: expected Invalid on {field}, got {other:?}"),
    }
}

#[tokio::test]
async fn item_versions_follow_the_lifecycle() {
    for (backend, store) in tongban_store::testing::stores("lifecycle").await {
        let backend = backend.as_str();
        let dept = setup(backend, &store).await;
        let rev0 = store
            .catalog_revision()
            .await
            .unwrap_or_else(|e| panic!("{backend}: revision: {e}"));

        // --- create: a draft v1, invisible to the public.
        let doc = doc_for(backend, "出生医学证明首次签发", DEPT_CODE, BASIC);
        let code = doc.impl_code.as_str().to_string();
        let v1 = store
            .create_item(dept.id, &doc, None)
            .await
            .unwrap_or_else(|e| panic!("{backend}: create item: {e}"));
        assert_eq!(v1.version, 1, "{backend}: first version number");
        assert_eq!(
            v1.status,
            ItemStatus::Draft,
            "{backend}: a new item is a draft"
        );
        assert_eq!(v1.impl_code, code, "{backend}: impl_code stored");
        assert_eq!(v1.department_id, dept.id, "{backend}: department stored");
        assert_eq!(v1.doc, doc, "{backend}: document stored as given");
        assert!(
            v1.published_at.is_none(),
            "{backend}: a draft has no publication time"
        );
        assert!(
            store
                .published_item(&code)
                .await
                .unwrap_or_else(|e| panic!("{backend}: published_item: {e}"))
                .is_none(),
            "{backend}: a draft must not be visible as published"
        );

        // --- update_draft changes it.
        let mut doc2 = doc.clone();
        doc2.name = "出生医学证明首次签发（修订）".into();
        doc2.acceptance_conditions = "在本区助产机构出生的新生儿".into();
        let v1b = store
            .update_draft(v1.id, &doc2, Some(v1.updated_at))
            .await
            .unwrap_or_else(|e| panic!("{backend}: update draft: {e}"));
        assert_eq!(v1b.id, v1.id, "{backend}: update keeps the row");
        assert_eq!(v1b.version, 1, "{backend}: update keeps the version");
        assert_eq!(v1b.doc, doc2, "{backend}: update returns the new document");
        assert!(
            v1b.updated_at > v1.updated_at,
            "{backend}: updated_at moves forward"
        );
        let reread = store
            .item_version(v1.id)
            .await
            .unwrap_or_else(|e| panic!("{backend}: reread draft: {e}"));
        assert_eq!(reread.doc, doc2, "{backend}: the change is stored");

        // --- a stale optimistic lock is a conflict and changes nothing.
        let mut doc_stale = doc2.clone();
        doc_stale.name = "不应保存的名称".into();
        expect_conflict(
            backend,
            "update_draft with a stale expected_updated_at",
            store
                .update_draft(v1.id, &doc_stale, Some(v1.updated_at))
                .await,
        );
        let after_stale = store
            .item_version(v1.id)
            .await
            .unwrap_or_else(|e| panic!("{backend}: reread after stale update: {e}"));
        assert_eq!(
            after_stale.doc, doc2,
            "{backend}: a stale update must not be written"
        );
        assert_eq!(
            after_stale.updated_at, v1b.updated_at,
            "{backend}: stale update leaves updated_at"
        );

        // --- a guide with an error-level finding is not published.
        let mut broken = doc2.clone();
        broken.office_hours.clear();
        let held = store
            .update_draft(v1.id, &broken, None)
            .await
            .unwrap_or_else(|e| panic!("{backend}: save broken draft: {e}"));
        expect_invalid_field(
            backend,
            "publish without office hours",
            "office_hours",
            store.publish(v1.id, None).await,
        );
        assert_eq!(
            store.item_version(v1.id).await.map(|v| v.status).ok(),
            Some(ItemStatus::Draft),
            "{backend}: still a draft"
        );
        store
            .update_draft(v1.id, &doc2, Some(held.updated_at))
            .await
            .unwrap_or_else(|e| panic!("{backend}: repair draft: {e}"));

        // --- publish v1.
        let p1 = store
            .publish(v1.id, None)
            .await
            .unwrap_or_else(|e| panic!("{backend}: publish v1: {e}"));
        assert_eq!(p1.status, ItemStatus::Published, "{backend}: v1 published");
        assert!(
            p1.published_at.is_some(),
            "{backend}: publication time recorded"
        );
        let rev1 = store
            .catalog_revision()
            .await
            .unwrap_or_else(|e| panic!("{backend}: revision: {e}"));
        assert!(
            rev1 > rev0,
            "{backend}: publish must bump the catalogue revision ({rev0} → {rev1})"
        );

        let by_impl = store
            .published_item(&code)
            .await
            .unwrap_or_else(|e| panic!("{backend}: published_item(impl): {e}"))
            .unwrap_or_else(|| panic!("{backend}: published item not found by impl_code"));
        assert_eq!(by_impl.id, v1.id, "{backend}: impl_code finds v1");
        assert_eq!(
            by_impl.doc, doc2,
            "{backend}: published doc is the saved draft"
        );
        let by_lower = store
            .published_item(&code.to_ascii_lowercase())
            .await
            .unwrap_or_else(|e| panic!("{backend}: published_item(lowercase impl): {e}"));
        assert_eq!(
            by_lower.map(|i| i.id),
            Some(v1.id),
            "{backend}: impl_code lookup ignores case"
        );
        let by_basic = store
            .published_item(BASIC)
            .await
            .unwrap_or_else(|e| panic!("{backend}: published_item(basic): {e}"))
            .unwrap_or_else(|| panic!("{backend}: published item not found by basic_code"));
        assert_eq!(
            by_basic.impl_code, code,
            "{backend}: basic_code finds the item"
        );
        assert_eq!(by_basic.version, 1, "{backend}: basic_code finds v1");

        expect_conflict(
            backend,
            "publishing an already published version",
            store.publish(v1.id, None).await,
        );

        // --- a published version cannot be edited.
        let mut doc_pub = doc2.clone();
        doc_pub.name = "直接修改已发布版本".into();
        expect_conflict(
            backend,
            "update_draft on a published version",
            store.update_draft(v1.id, &doc_pub, None).await,
        );
        let still = store
            .item_version(v1.id)
            .await
            .unwrap_or_else(|e| panic!("{backend}: reread published: {e}"));
        assert_eq!(
            still.status,
            ItemStatus::Published,
            "{backend}: still published"
        );
        assert_eq!(
            still.doc, doc2,
            "{backend}: published doc unchanged after refused edit"
        );
        assert_eq!(
            still.updated_at, p1.updated_at,
            "{backend}: published updated_at unchanged"
        );

        // --- new_version copies into a v2 draft; v1 stays live and unchanged.
        let v2 = store
            .new_version(&code, None)
            .await
            .unwrap_or_else(|e| panic!("{backend}: new_version: {e}"));
        assert_ne!(v2.id, v1.id, "{backend}: a new version is a new row");
        assert_eq!(v2.version, 2, "{backend}: second version number");
        assert_eq!(
            v2.status,
            ItemStatus::Draft,
            "{backend}: new version is a draft"
        );
        assert_eq!(
            v2.doc, doc2,
            "{backend}: new version copies the published doc"
        );
        let live = store
            .published_item(&code)
            .await
            .unwrap_or_else(|e| panic!("{backend}: published_item during draft: {e}"))
            .unwrap_or_else(|| panic!("{backend}: v1 vanished while v2 is a draft"));
        assert_eq!(live.id, v1.id, "{backend}: v1 still the live version");
        assert_eq!(
            live.status,
            ItemStatus::Published,
            "{backend}: v1 still published"
        );
        assert_eq!(live.doc, doc2, "{backend}: v1 doc unchanged");

        expect_conflict(
            backend,
            "second new_version while a draft exists",
            store.new_version(&code, None).await,
        );
        let versions = store
            .item_versions(&code)
            .await
            .unwrap_or_else(|e| panic!("{backend}: item_versions: {e}"));
        assert_eq!(
            versions.iter().map(|v| v.version).collect::<Vec<_>>(),
            vec![2, 1],
            "{backend}: the refused new_version must not add a row"
        );

        // --- edit and publish v2: v1 becomes superseded.
        let mut doc3 = doc2.clone();
        doc3.office_hours = "工作日 9:00-17:00".into();
        let v2b = store
            .update_draft(v2.id, &doc3, Some(v2.updated_at))
            .await
            .unwrap_or_else(|e| panic!("{backend}: update v2: {e}"));
        assert_eq!(v2b.doc, doc3, "{backend}: v2 updated");
        let p2 = store
            .publish(v2.id, None)
            .await
            .unwrap_or_else(|e| panic!("{backend}: publish v2: {e}"));
        assert_eq!(p2.status, ItemStatus::Published, "{backend}: v2 published");
        let old = store
            .item_version(v1.id)
            .await
            .unwrap_or_else(|e| panic!("{backend}: reread v1: {e}"));
        assert_eq!(
            old.status,
            ItemStatus::Superseded,
            "{backend}: v1 superseded by v2"
        );
        assert_eq!(old.doc, doc2, "{backend}: superseded v1 keeps its doc");
        let live2 = store
            .published_item(&code)
            .await
            .unwrap_or_else(|e| panic!("{backend}: published_item after v2: {e}"))
            .unwrap_or_else(|| panic!("{backend}: no published version after publishing v2"));
        assert_eq!(live2.id, v2.id, "{backend}: v2 is live");
        assert_eq!(live2.doc, doc3, "{backend}: live doc is v2's");
        let published = store
            .published_items()
            .await
            .unwrap_or_else(|e| panic!("{backend}: published_items: {e}"));
        assert_eq!(
            published.iter().filter(|i| i.impl_code == code).count(),
            1,
            "{backend}: exactly one published version per item"
        );
        let rev2 = store
            .catalog_revision()
            .await
            .unwrap_or_else(|e| panic!("{backend}: revision: {e}"));
        assert!(
            rev2 > rev1,
            "{backend}: publishing v2 bumps the revision ({rev1} → {rev2})"
        );

        // --- retire removes it from the public catalogue.
        let retired = store
            .retire(&code, "职能调整，不再实施", None)
            .await
            .unwrap_or_else(|e| panic!("{backend}: retire: {e}"));
        assert_eq!(retired.id, v2.id, "{backend}: the live version is retired");
        assert_eq!(
            retired.status,
            ItemStatus::Retired,
            "{backend}: status retired"
        );
        assert!(
            retired.retired_at.is_some(),
            "{backend}: retirement time recorded"
        );
        let published = store
            .published_items()
            .await
            .unwrap_or_else(|e| panic!("{backend}: published_items after retire: {e}"));
        assert!(
            published.iter().all(|i| i.impl_code != code),
            "{backend}: a retired item must leave published_items"
        );
        assert!(
            store
                .published_item(&code)
                .await
                .unwrap_or_else(|e| panic!("{backend}: published_item after retire: {e}"))
                .is_none(),
            "{backend}: a retired item is not found as published"
        );
        let rev3 = store
            .catalog_revision()
            .await
            .unwrap_or_else(|e| panic!("{backend}: revision: {e}"));
        assert!(
            rev3 > rev2,
            "{backend}: retire bumps the revision ({rev2} → {rev3})"
        );
        expect_conflict(
            backend,
            "retiring an item with no published version",
            store.retire(&code, "职能调整，不再实施", None).await,
        );
    }
}

#[tokio::test]
async fn agency_must_be_the_departments() {
    for (backend, store) in tongban_store::testing::stores("agency").await {
        let backend = backend.as_str();
        let dept = setup(backend, &store).await;

        // Creating an item for another agency is refused, and nothing is stored.
        let foreign = doc_for(backend, "公共场所卫生许可", OTHER_CODE, OTHER_BASIC);
        let foreign_code = foreign.impl_code.as_str().to_string();
        expect_invalid_field(
            backend,
            "create_item with another agency's credit code",
            "agency.credit_code",
            store.create_item(dept.id, &foreign, None).await,
        );
        assert!(
            store
                .item_versions(&foreign_code)
                .await
                .unwrap_or_else(|e| panic!("{backend}: item_versions: {e}"))
                .is_empty(),
            "{backend}: a refused item must not be stored"
        );

        // Changing a draft's agency to another one is refused too.
        let doc = doc_for(backend, "出生医学证明首次签发", DEPT_CODE, BASIC);
        let draft = store
            .create_item(dept.id, &doc, None)
            .await
            .unwrap_or_else(|e| panic!("{backend}: create item: {e}"));
        let mut moved = doc.clone();
        moved.agency.credit_code = credit(backend, OTHER_CODE);
        expect_invalid_field(
            backend,
            "update_draft moving the item to another agency",
            "agency.credit_code",
            store.update_draft(draft.id, &moved, None).await,
        );
        let reread = store
            .item_version(draft.id)
            .await
            .unwrap_or_else(|e| panic!("{backend}: reread draft: {e}"));
        assert_eq!(
            reread.doc, doc,
            "{backend}: refused update leaves the draft unchanged"
        );
        assert_eq!(
            reread.updated_at, draft.updated_at,
            "{backend}: refused update leaves updated_at"
        );
    }
}
