//! Helpers shared by the storage tests.

use std::collections::BTreeMap;

use tongban_domain::auth::Actor;
use tongban_store::Store;
use tongban_store::attachments::Attachments;
use tongban_store::bundles::BundleCase;
use tongban_store::sea_orm_conn::ConnectionTrait;

/// The signed-in identity of a demo user.
pub async fn actor(store: &Store, username: &str) -> Actor {
    store
        .actor(username)
        .await
        .expect("actor")
        .expect("demo user")
}

/// A form (or any string map) from pairs.
pub fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The one form of the newborn bundle, filled in.
pub fn newborn_form() -> BTreeMap<String, String> {
    map(&[
        ("baby_name", "张小宝"),
        ("baby_gender", "男"),
        ("birth_date", "2026-02-20"),
        ("guardian_name", "张三"),
        ("phone", "13800000000"),
        ("mailing_address", "示范区人民路1号"),
        ("mother_name", "李四"),
        ("medical_expense", "3200.50"),
        ("bank_account", "6222020000000000000"),
    ])
}

/// A newborn application with every question answered yes, the form saved
/// and every material uploaded once.
pub async fn ready_newborn(
    store: &Store,
    files: &Attachments,
    applicant: &Actor,
    key: &str,
) -> BundleCase {
    let answers = map(&[
        ("parents_local", "yes"),
        ("mother_insured", "yes"),
        ("married", "yes"),
    ]);
    let b = store
        .start_bundle(applicant, "newborn", &answers, Some(key))
        .await
        .expect("start");
    assert_eq!(b.selection.items.len(), 6);
    store
        .save_bundle_form(applicant, b.id, &newborn_form())
        .await
        .expect("form");
    let rec = store.bundle_for(applicant, b.id).await.expect("record");
    // Only what is asked: 免提交 and passed-on documents have no upload.
    let asked: Vec<usize> = (0..rec.slots.len())
        .filter(|i| rec.slots[*i].asked())
        .collect();
    for i in asked {
        store
            .bundle_upload(files, applicant, b.id, i, "m.pdf", b"%PDF-1.4 x".to_vec())
            .await
            .expect("upload");
    }
    store.unmasked_bundle_case(b.id).await.expect("bundle")
}

/// The `n` of a `SELECT COUNT(*) AS n …`.
pub async fn count(store: &Store, sql: &str) -> i64 {
    let c = store.conn();
    let r = c
        .query_one_raw(sea_orm::Statement::from_string(
            c.get_database_backend(),
            sql.to_string(),
        ))
        .await
        .expect("query")
        .expect("row");
    r.try_get::<i64>("", "n").expect("n")
}

/// 城乡居民基本医疗保险参保登记 for the newborn 张小宝: the registers agree,
/// so 秒批 takes it to 办结 on `day`. Gives the case's id.
pub async fn completed_case(store: &Store, applicant: &Actor, day: chrono::NaiveDate) -> i64 {
    let form = map(&[
        ("baby_name", "张小宝"),
        ("birth_date", "2026-02-20"),
        ("guardian_name", "张三"),
        ("phone", "13800000000"),
    ]);
    let c = store
        .create_case(
            applicant,
            "11339901MB000000374080301001000",
            tongban_store::cases::NewCase {
                form,
                ..Default::default()
            },
        )
        .await
        .expect("case");
    let cal = tongban_domain::calendar::WorkCalendar::builtin_with(&[]).expect("calendar");
    let done = store
        .submit_case(applicant, c.id, None, &cal, day)
        .await
        .expect("submitted");
    assert_eq!(
        done.state,
        tongban_domain::case::CaseState::Completed,
        "秒批 completes it"
    );
    c.id
}
