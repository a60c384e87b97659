//! The same script written command by command and in batches leaves the
//! same rows in every table it touches.

use std::collections::BTreeMap;

use tongban_store::Store;
use tongban_store::sea_orm_conn::ConnectionTrait;

use super::{pairs, run, world};

/// Rows of a table as text, `cols` being SQL expressions.
async fn rows(store: &Store, table: &str, cols: &[&str], order: &str) -> Vec<Vec<String>> {
    let select: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| format!("CAST(({c}) AS TEXT) AS c{i}"))
        .collect();
    let sql = format!("SELECT {} FROM {table} {order}", select.join(", "));
    let found = store
        .conn()
        .query_all_raw(sea_orm::Statement::from_string(
            store.backend(),
            sql.clone(),
        ))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    found
        .iter()
        .map(|r| {
            (0..cols.len())
                .map(|i| {
                    r.try_get::<Option<String>>("", &format!("c{i}"))
                        .unwrap_or_else(|e| panic!("{table} c{i}: {e}"))
                        .unwrap_or_else(|| "∅".into())
                })
                .collect()
        })
        .collect()
}

/// A certificate's signed body without its identifier (whose tail is random).
fn without_licence_id(body: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(body).expect("certificate body");
    if let Some(m) = v.as_object_mut() {
        m.remove("licence_id");
    }
    v.to_string()
}

/// Everything the script wrote, table by table, column by column — except
/// row ids, times and what is random by design (verification codes,
/// certificate identifiers' tails, signatures, hashes over times). A
/// reference to another row is compared as what it refers to.
async fn snapshot(store: &Store) -> BTreeMap<&'static str, Vec<Vec<String>>> {
    let mut s = BTreeMap::new();
    s.insert(
        "cases",
        rows(
            store,
            "cases",
            &[
                "id",
                "case_no",
                "state",
                "version",
                "approved",
                "form",
                "clock",
                "tasks",
                "co_reviewers",
                "received_on",
                "accepted_on",
                "legal_due",
                "promised_due",
                "decided_on",
                "certificate_due",
                "bundle_case_id",
                "waived",
                "promise_cap_days",
            ],
            "ORDER BY id",
        )
        .await,
    );
    s.insert(
        "case_events",
        rows(
            store,
            "case_events e",
            &[
                "case_id",
                "actor_id",
                "actor_name",
                "action",
                "from_state",
                "to_state",
                "details",
                "(SELECT d.number FROM case_documents d WHERE d.id = e.document_id)",
            ],
            "ORDER BY case_id, id",
        )
        .await,
    );
    // A receipt states the case's verification code, random by design.
    let codes: BTreeMap<String, String> = rows(store, "cases", &["id", "verify_code"], "")
        .await
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    let mut docs = rows(
        store,
        "case_documents",
        &["case_id", "kind", "number", "body", "created_by"],
        "ORDER BY case_id, id",
    )
    .await;
    for r in &mut docs {
        if let Some(code) = codes.get(&r[0]) {
            r[3] = r[3].replace(code.as_str(), "«查询码»");
        }
    }
    s.insert("case_documents", docs);
    s.insert(
        "case_tasks",
        rows(
            store,
            "case_tasks",
            &["case_id", "department_id", "seq", "status"],
            "ORDER BY case_id, seq",
        )
        .await,
    );
    let mut certs = rows(
        store,
        "certificates",
        &[
            "case_id",
            "department_id",
            "holder_code",
            "type_name",
            "key_id",
            "revoked_at",
            "body",
        ],
        "ORDER BY case_id, id",
    )
    .await;
    for r in &mut certs {
        r[6] = without_licence_id(&r[6]);
    }
    s.insert("certificates", certs);
    // What the bundle passes on (the licence id is random by design; the
    // issuing sub-case says which certificate it is).
    s.insert(
        "bundle_passed_on",
        rows(
            store,
            "bundle_passed_on",
            &[
                "bundle_case_id",
                "to_case_id",
                "material_index",
                "kind",
                "holder",
                "from_item",
                "from_case_id",
            ],
            "ORDER BY to_case_id, material_index, id",
        )
        .await,
    );
    s.insert(
        "case_fetches",
        rows(
            store,
            "case_fetches",
            &[
                "case_id",
                "source_key",
                "source_name",
                "outcome",
                "fields",
                "data",
                "message",
                "attempts",
                "retry_at IS NULL",
            ],
            "ORDER BY case_id, id",
        )
        .await,
    );
    s.insert(
        "case_decisions",
        rows(
            store,
            "case_decisions",
            &[
                "case_id",
                "item_version_id",
                "outcome",
                "reasons",
                "inputs",
                "trace",
                "mismatches",
                "automatic",
            ],
            "ORDER BY case_id, id",
        )
        .await,
    );
    s.insert(
        "policy_matches",
        rows(
            store,
            "policy_matches",
            &["policy_id", "subject_code", "case_id"],
            "ORDER BY policy_id, subject_code",
        )
        .await,
    );
    s.insert(
        "bundle_cases",
        rows(
            store,
            "bundle_cases",
            &["id", "bundle_no", "status", "state", "version"],
            "ORDER BY id",
        )
        .await,
    );
    s.insert(
        "bundle_notices",
        rows(
            store,
            "bundle_notices",
            &["bundle_case_id", "kind", "number", "body"],
            "ORDER BY bundle_case_id, id",
        )
        .await,
    );
    // Notices, mail and the trail interleave cases differently when
    // batched: compared as sets of rows (each row with its count).
    let mut sorted = |name: &'static str, mut v: Vec<Vec<String>>| {
        v.sort();
        s.insert(name, v);
    };
    sorted(
        "notifications",
        rows(
            store,
            "notifications",
            &[
                "user_id",
                "case_id",
                "bundle_case_id",
                "subject",
                "body",
                "read_at IS NULL",
            ],
            "",
        )
        .await,
    );
    sorted(
        "outbox",
        rows(
            store,
            "outbox",
            &["to_addr", "subject", "body", "attempts", "sent_at"],
            "",
        )
        .await,
    );
    let mut trail = rows(
        store,
        "audit_trail",
        &["actor_id", "action", "object", "details"],
        "",
    )
    .await;
    for r in &mut trail {
        if r[2].starts_with("certificate:") {
            r[2] = "certificate:…".into();
        }
    }
    sorted("audit_trail", trail);
    s
}

#[tokio::test]
async fn batched_commands_write_exactly_the_rows_of_commands_one_by_one() {
    for (backend, alone, together) in pairs("differential").await {
        let w_alone = world(&alone).await;
        let w_together = world(&together).await;
        assert_eq!(w_alone.item, w_together.item, "{backend}: the same set-up");
        let one_by_one = run(&alone, &w_alone, false).await;
        let batched = run(&together, &w_together, true).await;
        assert_eq!(one_by_one, batched, "{backend}: the same results");
        // The batched rows came from batches, not from the one-by-one
        // fallback (which would make the comparison prove nothing).
        assert_eq!(
            together.batch_fallbacks(),
            0,
            "{backend}: every batch of the script was written as a batch"
        );
        // The script does what it says: refusals refused, the rest through.
        let flat: Vec<&String> = one_by_one.iter().flatten().collect();
        assert!(
            flat.iter().filter(|o| o.starts_with("conflict")).count() >= 2,
            "{backend}: {flat:?}"
        );
        assert!(
            flat.iter().any(|o| o.starts_with("not found case")),
            "{backend}: a case the head cannot see yet is not found: {flat:?}"
        );
        assert!(
            flat.iter().any(|o| o.contains("changed by someone else")),
            "{backend}: a command on a version already moved is stale: {flat:?}"
        );
        let (s1, s2) = (snapshot(&alone).await, snapshot(&together).await);
        for (table, rows) in &s1 {
            assert!(!rows.is_empty(), "{backend}: the script writes {table}");
            assert_eq!(rows.len(), s2[table].len(), "{backend}: {table} row count");
            for (i, (r1, r2)) in rows.iter().zip(&s2[table]).enumerate() {
                assert_eq!(r1, r2, "{backend}: {table} row {i}");
            }
        }
        // Each writer grew one intact chain.
        for s in [&alone, &together] {
            assert!(
                matches!(
                    s.verify_trail().await.expect("trail"),
                    tongban_store::trail::TrailCheck::Intact { .. }
                ),
                "{backend}"
            );
        }
    }
}
