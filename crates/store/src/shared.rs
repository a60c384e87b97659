//! Shared data and instant approval (SPEC §6): the data-source registry
//! with its connectors (a local table, an HTTP JSON service), lookups at
//! submission recorded on the case (provenance the applicant sees),
//! automatic comparison of declared and authoritative values, 免证办 from
//! valid e-certificates, and 秒批: when the item's decision model approves on
//! verified data, the case is accepted, reviewed, decided, certified and
//! delivered by the system in the submission's own transaction.
//!
//! A source that is down or slow never loses an application: the case is
//! submitted for manual handling with the reason, and the lookup is retried.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tongban_domain::auth::Actor;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{self, CaseState, Command};
use tongban_domain::catalog::ItemDoc;
use tongban_domain::cert::CertStatus;

use crate::cases::{Applied, Case, system_in};
use crate::{Result, Store, StoreError, exec, get, now_ms, query, query_one};

/// How a source is reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Connector {
    /// Rows loaded into the database (from CSV/JSON): demo, tests, offline copies.
    Table,
    /// An HTTP JSON service: `url` with `{key}` replaced by the looked-up key.
    /// 200 with a JSON object: found; 404: not found; anything else: failed.
    Http {
        url: String,
        #[serde(default = "default_timeout")]
        timeout_ms: u64,
        #[serde(default = "default_retries")]
        retries: u32,
        /// e.g. `Authorization: Bearer …`
        #[serde(default)]
        auth_header: String,
    },
}

fn default_timeout() -> u64 {
    2000
}
fn default_retries() -> u32 {
    1
}

/// A registered data source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceDef {
    pub key: String,
    pub name: String,
    /// Owner department's 统一社会信用代码, if known.
    #[serde(default)]
    pub owner: String,
    /// The fields it can answer.
    pub fields: Vec<String>,
    pub connector: Connector,
}

/// What a lookup gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Fetched {
    Found(Map<String, Value>),
    NotFound,
    Failed(String),
}

/// One recorded lookup (what we looked up about the applicant).
#[derive(Debug, Clone, Serialize)]
pub struct FetchRecord {
    pub id: i64,
    pub source_key: String,
    pub source_name: String,
    pub at: i64,
    /// found, not_found, failed, certificate, rejected
    pub outcome: String,
    pub fields: Vec<String>,
    pub data: Value,
    pub message: String,
    pub attempts: i64,
}

/// One rule evaluation recorded on a case.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionRecord {
    pub at: i64,
    pub item_version_id: i64,
    pub outcome: String,
    pub reasons: Vec<String>,
    pub inputs: Value,
    pub trace: Value,
    pub mismatches: Vec<Mismatch>,
    pub automatic: bool,
}

/// A declared value that disagrees with the authoritative one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mismatch {
    pub form_field: String,
    pub declared: String,
    pub source: String,
    pub source_field: String,
    pub authoritative: String,
}

fn norm(v: &str) -> String {
    v.trim().to_lowercase()
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A plain HTTP/1.1 GET returning (status, body).
async fn http_get(
    url: &str,
    auth: &str,
    timeout: Duration,
) -> std::result::Result<(u16, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| "only http:// sources are supported".to_string())?;
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = if hostport.contains(':') {
        hostport.to_string()
    } else {
        format!("{hostport}:80")
    };
    let fut = async {
        let mut s = tokio::net::TcpStream::connect(&addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        let mut req = format!(
            "GET {path} HTTP/1.1\r\nHost: {hostport}\r\nAccept: application/json\r\nConnection: close\r\n"
        );
        if !auth.trim().is_empty() && !auth.contains('\r') && !auth.contains('\n') {
            req.push_str(auth.trim());
            req.push_str("\r\n");
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        s.take(4 * 1024 * 1024)
            .read_to_end(&mut buf)
            .await
            .map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&buf).to_string();
        let (head, body) = text
            .split_once("\r\n\r\n")
            .ok_or_else(|| "malformed HTTP response".to_string())?;
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| "malformed HTTP status".to_string())?;
        let chunked = head.lines().any(|l| {
            l.to_ascii_lowercase()
                .starts_with("transfer-encoding: chunked")
        });
        let body = if chunked {
            dechunk(body)
        } else {
            body.to_string()
        };
        Ok((status, body))
    };
    tokio::time::timeout(timeout, fut)
        .await
        .map_err(|_| format!("no answer within {} ms", timeout.as_millis()))?
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let size = size.split(';').next().unwrap_or_default();
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(tail.get(..n).unwrap_or_default());
        rest = tail.get(n + 2..).unwrap_or_default();
    }
    out
}

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl Store {
    /// Registers (or replaces) a data source.
    pub async fn upsert_source(&self, s: &SourceDef) -> Result<()> {
        let txn = self.begin().await?;
        exec(
            &txn,
            "DELETE FROM data_sources WHERE key = $1",
            vec![s.key.clone().into()],
        )
        .await?;
        let owner = match tongban_domain::codes::CreditCode::parse(&s.owner) {
            Ok(code) => self.department_by_code(&code).await?.map(|d| d.id),
            Err(_) => None,
        };
        exec(
            &txn,
            "INSERT INTO data_sources (key, name, owner_department_id, fields, connector, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            vec![
                s.key.clone().into(),
                s.name.clone().into(),
                owner.into(),
                crate::cases::to_json(&s.fields).into(),
                crate::cases::to_json(&s.connector).into(),
                now_ms().into(),
            ],
        )
        .await?;
        txn.commit().await
    }

    pub async fn sources(&self) -> Result<Vec<SourceDef>> {
        let rows = query(
            self.conn(),
            "SELECT s.key, s.name, s.fields, s.connector, COALESCE(d.credit_code, '') AS owner \
             FROM data_sources s LEFT JOIN departments d ON d.id = s.owner_department_id ORDER BY s.key",
            vec![],
        )
        .await?;
        rows.iter()
            .map(|r| {
                let fields: String = get(r, "fields")?;
                let connector: String = get(r, "connector")?;
                Ok(SourceDef {
                    key: get(r, "key")?,
                    name: get(r, "name")?,
                    owner: get(r, "owner")?,
                    fields: serde_json::from_str(&fields)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    connector: serde_json::from_str(&connector)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                })
            })
            .collect()
    }

    /// Loads rows into a table source (replacing rows with the same key).
    pub async fn load_source_rows(
        &self,
        source: &str,
        rows: &[(String, Map<String, Value>)],
    ) -> Result<usize> {
        let txn = self.begin().await?;
        for (k, data) in rows {
            exec(
                &txn,
                "DELETE FROM source_rows WHERE source_key = $1 AND lookup_key = $2",
                vec![source.into(), k.clone().into()],
            )
            .await?;
            exec(
                &txn,
                "INSERT INTO source_rows (source_key, lookup_key, data) VALUES ($1, $2, $3)",
                vec![
                    source.into(),
                    k.clone().into(),
                    Value::Object(data.clone()).to_string().into(),
                ],
            )
            .await?;
        }
        txn.commit().await?;
        Ok(rows.len())
    }

    /// Looks a key up in a source; never fails: a broken source is `Failed`.
    pub async fn fetch_source(&self, s: &SourceDef, key: &str) -> Fetched {
        match &s.connector {
            Connector::Table => {
                match query_one(
                    self.conn(),
                    "SELECT data FROM source_rows WHERE source_key = $1 AND lookup_key = $2",
                    vec![s.key.clone().into(), key.into()],
                )
                .await
                {
                    Ok(Some(r)) => match get::<String>(&r, "data")
                        .ok()
                        .and_then(|d| serde_json::from_str::<Value>(&d).ok())
                    {
                        Some(Value::Object(m)) => Fetched::Found(m),
                        _ => Fetched::Failed("stored row is not an object".into()),
                    },
                    Ok(None) => Fetched::NotFound,
                    Err(e) => Fetched::Failed(e.to_string()),
                }
            }
            Connector::Http {
                url,
                timeout_ms,
                retries,
                auth_header,
            } => {
                let url = url.replace("{key}", &pct(key));
                let mut last = String::new();
                // Bounded: a slow source must not hold a submission for long.
                let timeout_ms = (*timeout_ms).clamp(100, 10_000);
                for attempt in 0..=(*retries).min(3) {
                    if attempt > 0 {
                        tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                    }
                    match http_get(&url, auth_header, Duration::from_millis(timeout_ms)).await {
                        Ok((200, body)) => {
                            return match serde_json::from_str::<Value>(&body) {
                                Ok(Value::Object(m)) => Fetched::Found(m),
                                _ => Fetched::Failed("the answer is not a JSON object".into()),
                            };
                        }
                        Ok((404, _)) => return Fetched::NotFound,
                        Ok((status, _)) => last = format!("HTTP {status}"),
                        Err(e) => last = e,
                    }
                }
                Fetched::Failed(last)
            }
        }
    }

    pub async fn case_fetches(&self, case_id: i64) -> Result<Vec<FetchRecord>> {
        query(
            self.conn(),
            "SELECT id, source_key, source_name, at, outcome, fields, data, message, attempts FROM case_fetches WHERE case_id = $1 ORDER BY id",
            vec![case_id.into()],
        )
        .await?
        .iter()
        .map(|r| {
            let fields: String = get(r, "fields")?;
            let data: String = get(r, "data")?;
            Ok(FetchRecord {
                id: get(r, "id")?,
                source_key: get(r, "source_key")?,
                source_name: get(r, "source_name")?,
                at: get(r, "at")?,
                outcome: get(r, "outcome")?,
                fields: serde_json::from_str(&fields).unwrap_or_default(),
                data: serde_json::from_str(&data).unwrap_or(Value::Null),
                message: get(r, "message")?,
                attempts: get(r, "attempts")?,
            })
        })
        .collect()
    }

    pub async fn case_decisions(&self, case_id: i64) -> Result<Vec<DecisionRecord>> {
        query(
            self.conn(),
            "SELECT at, item_version_id, outcome, reasons, inputs, trace, mismatches, automatic FROM case_decisions WHERE case_id = $1 ORDER BY id",
            vec![case_id.into()],
        )
        .await?
        .iter()
        .map(|r| {
            let j = |c: &str| -> Result<Value> {
                let s: String = get(r, c)?;
                serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(e.to_string()))
            };
            Ok(DecisionRecord {
                at: get(r, "at")?,
                item_version_id: get(r, "item_version_id")?,
                outcome: get(r, "outcome")?,
                reasons: serde_json::from_value(j("reasons")?).unwrap_or_default(),
                inputs: j("inputs")?,
                trace: j("trace")?,
                mismatches: serde_json::from_value(j("mismatches")?).unwrap_or_default(),
                automatic: get(r, "automatic")?,
            })
        })
        .collect()
    }

    /// Submits an application, with shared data, 免证办 and 秒批: lookups
    /// outside the transaction, then in one transaction the submission,
    /// their records, the comparison, the rule evaluation and — when the
    /// rules approve on verified data — every step to delivery.
    pub async fn submit_case(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: Option<i64>,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Applied> {
        let p = self
            .prepare_submit(actor, case_id, expected_version, cal, today)
            .await?;
        self.submit_prepared(&p, cal, today).await
    }

    /// The part of a submission done before any write: the caller may
    /// submit, and the lookups, certificates and rules have spoken.
    pub async fn prepare_submit(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: Option<i64>,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<PreparedSubmit> {
        let c = self.case(case_id).await?;
        if !c.visible_to(actor) {
            return Err(StoreError::NotFound(format!("case {case_id}")));
        }
        let doc = self.item_doc(c.item_version_id).await?;
        // Nothing is looked up for someone who may not submit this case (who
        // may is a question of role and ownership; the writer checks the rest).
        let facts = crate::cases::build_facts(&c, &doc, &[], cal, today, None);
        case::authorize(actor, &facts, &Command::Submit)?;
        // Nor for a case that is no longer a draft, or not the one the caller saw.
        if let Some(v) = expected_version
            && v != c.version
        {
            return Err(crate::cases::stale());
        }
        case::transition(
            &facts,
            &Command::Submit,
            &crate::cases::limits_of(&doc),
            today,
            actor.department_id,
        )?;
        let gathered = self.gather(&c, &doc, today).await?;
        // The certificate 秒批 will issue, signed here rather than in the
        // writer; without a key the writer says why and a person takes over.
        let cert = if gathered.approve()
            && doc.result.result_type == tongban_domain::catalog::ResultType::Licence
        {
            match crate::certs::signer_for(
                self,
                self.conn(),
                c.lead_department_id,
                &c.lead_department_name,
            )
            .await
            {
                Ok(s) => crate::certs::prepare_certificate(&s, &c, &doc, today).ok(),
                Err(_) => None,
            }
        } else {
            None
        };
        Ok(PreparedSubmit {
            actor: actor.clone(),
            case_id,
            // The case must still be what was looked up and decided on.
            expected_version: expected_version.unwrap_or(c.version),
            gathered,
            cert,
        })
    }

    /// Writes a prepared submission on its own (the group-commit writer
    /// does the same for many at once): the submission and its records in
    /// one transaction, then 秒批 in another.
    pub async fn submit_prepared(
        &self,
        p: &PreparedSubmit,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Applied> {
        let case_id = p.case_id;
        let txn = self.begin().await?;
        let c = crate::cases::load_for_update(&txn, case_id).await?;
        add_waived(&txn, &c, &p.gathered.waived).await?;
        let applied = crate::cases::apply_in(
            self,
            &txn,
            Some(&p.actor),
            case_id,
            Some(p.expected_version),
            &Command::Submit,
            cal,
            today,
        )
        .await?;
        record_many(&txn, &[(case_id, &p.gathered, false)], 1).await?;
        txn.commit().await?;
        // 秒批 runs once the submission is safe: if it cannot finish (no
        // signing key, a material still to upload), the case waits for a person.
        if p.gathered.approve() {
            match self.approve_now(case_id, &p.gathered, cal, today).await {
                Ok(a) => return Ok(a),
                Err(e) => tracing::warn!(case = case_id, "instant approval not completed: {e}"),
            }
        }
        Ok(applied)
    }

    /// The system's steps of an approved case, in their own transaction; the
    /// latest rule record is marked automatic only when they all succeed.
    async fn approve_now(
        &self,
        case_id: i64,
        g: &Gathered,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Applied> {
        let txn = self.begin().await?;
        let a = instant_approval(self, &txn, case_id, g, cal, today).await?;
        exec(
            &txn,
            "UPDATE case_decisions SET automatic = $1 WHERE id = (SELECT MAX(id) FROM case_decisions WHERE case_id = $2)",
            vec![true.into(), case_id.into()],
        )
        .await?;
        txn.commit().await?;
        Ok(a)
    }

    /// What the lookups, certificates and rules say about a case now.
    async fn gather(&self, c: &Case, doc: &ItemDoc, today: NaiveDate) -> Result<Gathered> {
        let sources = self.sources().await?;
        let mut g = Gathered {
            item_version_id: c.item_version_id,
            ..Default::default()
        };
        let mut data = Map::new();
        for l in &doc.shared_data {
            let Some(src) = sources.iter().find(|s| s.key == l.source) else {
                g.fetches
                    .push(NewFetch::failed(&l.source, &l.source, "数据源未登记"));
                continue;
            };
            let key = if l.key == "applicant" {
                c.applicant_id_number.clone()
            } else {
                l.key
                    .strip_prefix("form.")
                    .and_then(|f| c.form.get(f).cloned())
                    .unwrap_or_default()
            };
            if key.trim().is_empty() {
                g.fetches
                    .push(NewFetch::failed(&src.key, &src.name, "没有可查询的关键字"));
                continue;
            }
            match self.fetch_source(src, key.trim()).await {
                Fetched::Found(m) => {
                    for name in &l.satisfies {
                        if let Some(i) = doc
                            .materials
                            .iter()
                            .position(|x| x.name.trim() == name.trim())
                        {
                            g.waived.push(i);
                        }
                    }
                    for cmp in &l.compare {
                        let declared = c.form.get(&cmp.form_field).cloned().unwrap_or_default();
                        let auth = m.get(&cmp.source_field).map(value_text).unwrap_or_default();
                        if norm(&declared) != norm(&auth) {
                            g.mismatches.push(Mismatch {
                                form_field: cmp.form_field.clone(),
                                declared,
                                source: src.name.clone(),
                                source_field: cmp.source_field.clone(),
                                authoritative: auth,
                            });
                        }
                    }
                    data.insert(src.key.clone(), Value::Object(m.clone()));
                    g.fetches.push(NewFetch {
                        source_key: src.key.clone(),
                        source_name: src.name.clone(),
                        outcome: "found",
                        fields: m.keys().cloned().collect(),
                        data: Value::Object(m),
                        message: String::new(),
                        retry: false,
                    });
                }
                Fetched::NotFound => g.fetches.push(NewFetch {
                    source_key: src.key.clone(),
                    source_name: src.name.clone(),
                    outcome: "not_found",
                    fields: vec![],
                    data: Value::Null,
                    message: "没有查到记录".into(),
                    retry: false,
                }),
                Fetched::Failed(why) => {
                    let mut f =
                        NewFetch::failed(&src.key, &src.name, &format!("数据源暂不可用：{why}"));
                    f.retry = true;
                    g.fetches.push(f);
                }
            }
        }
        // 免证办: a valid e-certificate of the applicant stands for the material of its type.
        if !c.applicant_id_number.is_empty() {
            let names: Vec<&str> = doc.materials.iter().map(|m| m.name.trim()).collect();
            let certs = self
                .certificates_of_holder_typed(&c.applicant_id_number, &names)
                .await?;
            for (i, m) in doc.materials.iter().enumerate() {
                let matching: Vec<_> = certs
                    .iter()
                    .filter(|x| x.record.type_name.trim() == m.name.trim())
                    .collect();
                // A valid one if any; otherwise the newest says why not.
                let Some(cert) = matching
                    .iter()
                    .rev()
                    .find(|x| x.status(today) == CertStatus::Valid)
                    .or_else(|| matching.last())
                else {
                    continue;
                };
                match cert.status(today) {
                    CertStatus::Valid => {
                        g.waived.push(i);
                        g.fetches.push(NewFetch {
                            source_key: "e-certificates".into(),
                            source_name: "电子证照库".into(),
                            outcome: "certificate",
                            fields: vec!["licence_id".into()],
                            data: serde_json::json!({"material": m.name, "licence_id": cert.licence_id}),
                            message: format!("以电子证照{}代替“{}”", cert.licence_id, m.name),
                            retry: false,
                        });
                    }
                    st => g.fetches.push(NewFetch {
                        source_key: "e-certificates".into(),
                        source_name: "电子证照库".into(),
                        outcome: "rejected",
                        fields: vec!["licence_id".into()],
                        data: serde_json::json!({"material": m.name, "licence_id": cert.licence_id}),
                        message: format!(
                            "电子证照{}{}，不能代替“{}”，请提交该材料",
                            cert.licence_id,
                            st.zh(),
                            m.name
                        ),
                        retry: false,
                    }),
                }
            }
        }
        g.verified = !doc.shared_data.is_empty()
            && g.fetches
                .iter()
                .filter(|f| f.source_key != "e-certificates")
                .all(|f| f.outcome == "found");
        if let Some(spec) = &doc.decision {
            let input = serde_json::json!({
                "form": c.form,
                "data": Value::Object(data),
                "verified": g.verified,
                "mismatches": g.mismatches.len(),
                "applicant": {"id_number": c.applicant_id_number},
            });
            match crate::rules::model_of(c.item_version_id, spec).and_then(|m| m.evaluate(&input)) {
                Ok(ev) => {
                    let (d, reasons) = ev.outcome();
                    g.decision = Some(GatheredDecision {
                        outcome: d,
                        reasons,
                        trace: serde_json::to_value(&ev.trace).unwrap_or_default(),
                        inputs: input,
                    });
                }
                Err(e) => {
                    g.decision = Some(GatheredDecision {
                        outcome: tongban_rules::Decision::Refer,
                        reasons: vec![e.zh()],
                        trace: Value::Null,
                        inputs: input,
                    });
                }
            }
        }
        Ok(g)
    }

    /// Retries lookups that failed (a source down or slow); when all of a
    /// case's lookups now succeed and it still awaits intake, its rules run
    /// again (and may approve it). Run by the sweep, under its lease; a
    /// failing case is put back and does not hold up the others.
    pub async fn retry_fetches(&self, cal: &WorkCalendar, today: NaiveDate) -> Result<usize> {
        let now = now_ms();
        let due = query(
            self.conn(),
            "SELECT DISTINCT case_id FROM case_fetches WHERE outcome = 'failed' AND retry_at IS NOT NULL \
             AND retry_at <= $1 AND attempts < 6 ORDER BY case_id LIMIT 50",
            vec![now.into()],
        )
        .await?;
        let mut done = 0;
        for r in due {
            let case_id: i64 = get(&r, "case_id")?;
            match self.retry_one(case_id, cal, today).await {
                Ok(true) => done += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(case = case_id, "retrying lookups failed: {e}");
                    exec(
                        self.conn(),
                        "UPDATE case_fetches SET retry_at = $1 WHERE case_id = $2 AND retry_at IS NOT NULL",
                        vec![(now_ms() + 600_000).into(), case_id.into()],
                    )
                    .await?;
                }
            }
        }
        Ok(done)
    }

    async fn retry_one(&self, case_id: i64, cal: &WorkCalendar, today: NaiveDate) -> Result<bool> {
        let c = self.case(case_id).await?;
        if c.state != CaseState::Submitted {
            // Someone has taken the case in hand: no more lookups about the person.
            exec(
                self.conn(),
                "UPDATE case_fetches SET retry_at = NULL WHERE case_id = $1",
                vec![case_id.into()],
            )
            .await?;
            return Ok(false);
        }
        let failed: BTreeSet<String> = query(
            self.conn(),
            "SELECT source_key FROM case_fetches WHERE case_id = $1 AND retry_at IS NOT NULL",
            vec![case_id.into()],
        )
        .await?
        .iter()
        .map(|r| get::<String>(r, "source_key"))
        .collect::<Result<_>>()?;
        let doc = self.item_doc(c.item_version_id).await?;
        let mut g = self.gather(&c, &doc, today).await?;
        let txn = self.begin().await?;
        let attempts: i64 = query_one(
            &txn,
            "SELECT MAX(attempts) AS n FROM case_fetches WHERE case_id = $1 AND retry_at IS NOT NULL",
            vec![case_id.into()],
        )
        .await?
        .map(|r| get::<Option<i64>>(&r, "n"))
        .transpose()?
        .flatten()
        .unwrap_or(1);
        exec(
            &txn,
            "UPDATE case_fetches SET retry_at = NULL WHERE case_id = $1 AND retry_at IS NOT NULL",
            vec![case_id.into()],
        )
        .await?;
        // Only the lookups that had failed are recorded again.
        let all = std::mem::take(&mut g.fetches);
        g.fetches = all
            .into_iter()
            .filter(|f| failed.contains(&f.source_key))
            .collect();
        record_many(&txn, &[(case_id, &g, false)], attempts + 1).await?;
        add_waived(&txn, &c, &g.waived).await?;
        txn.commit().await?;
        if g.approve()
            && let Err(e) = self.approve_now(case_id, &g, cal, today).await
        {
            tracing::warn!(
                case = case_id,
                "instant approval after retry not completed: {e}"
            );
        }
        Ok(true)
    }
}

/// Records materials made unnecessary by shared data or certificates.
async fn add_waived(txn: &impl ConnectionTrait, c: &Case, extra: &[usize]) -> Result<()> {
    if extra.is_empty() {
        return Ok(());
    }
    let mut w: BTreeSet<usize> = c.waived.iter().copied().collect();
    w.extend(extra.iter().copied());
    let w: Vec<usize> = w.into_iter().collect();
    exec(
        txn,
        "UPDATE cases SET waived = $1 WHERE id = $2",
        vec![crate::cases::to_json(&w).into(), c.id.into()],
    )
    .await?;
    Ok(())
}

/// A submission whose lookups and rules have run, ready to be written.
pub struct PreparedSubmit {
    pub(crate) actor: Actor,
    pub(crate) case_id: i64,
    pub(crate) expected_version: i64,
    pub(crate) gathered: Gathered,
    /// The certificate of 秒批, signed in advance.
    pub(crate) cert: Option<crate::certs::NewCert>,
}

#[derive(Debug, Default)]
pub(crate) struct Gathered {
    item_version_id: i64,
    fetches: Vec<NewFetch>,
    pub(crate) waived: Vec<usize>,
    mismatches: Vec<Mismatch>,
    verified: bool,
    decision: Option<GatheredDecision>,
}

impl Gathered {
    /// What 秒批 records in each of its steps: the rule version and reasons.
    pub(crate) fn instant_details(&self) -> (String, Value) {
        let reasons = self
            .decision
            .as_ref()
            .map(|d| d.reasons.join("；"))
            .unwrap_or_default();
        let why = serde_json::json!({"by": "秒批", "item_version": self.item_version_id, "reasons": reasons});
        (reasons, why)
    }

    pub(crate) fn approve(&self) -> bool {
        self.verified
            && self.mismatches.is_empty()
            && self
                .decision
                .as_ref()
                .is_some_and(|d| d.outcome == tongban_rules::Decision::Approve)
    }
}

#[derive(Debug)]
struct GatheredDecision {
    outcome: tongban_rules::Decision,
    reasons: Vec<String>,
    trace: Value,
    inputs: Value,
}

#[derive(Debug)]
struct NewFetch {
    source_key: String,
    source_name: String,
    outcome: &'static str,
    fields: Vec<String>,
    data: Value,
    message: String,
    retry: bool,
}

impl NewFetch {
    fn failed(key: &str, name: &str, why: &str) -> Self {
        NewFetch {
            source_key: key.into(),
            source_name: name.into(),
            outcome: "failed",
            fields: vec![],
            data: Value::Null,
            message: why.into(),
            retry: false,
        }
    }
}

/// The records of submissions in two statements: every lookup (the
/// `attempts`-th; a failed one is retried after 1, 2, 4 … minutes), and each
/// rule evaluation (`automatic` when 秒批 went through).
pub(crate) async fn record_many(
    txn: &impl ConnectionTrait,
    items: &[(i64, &Gathered, bool)],
    attempts: i64,
) -> Result<()> {
    let now = now_ms();
    let backoff = 60_000 * (1i64 << (attempts - 1).clamp(0, 5));
    let mut v: Vec<sea_orm::Value> = Vec::new();
    let mut rows = 0;
    for (case_id, g, _) in items {
        for f in &g.fetches {
            let retry_at = f.retry.then_some(now + backoff);
            v.extend([
                (*case_id).into(),
                f.source_key.clone().into(),
                f.source_name.clone().into(),
                now.into(),
                f.outcome.into(),
                crate::cases::to_json(&f.fields).into(),
                f.data.to_string().into(),
                f.message.clone().into(),
                attempts.into(),
                retry_at.into(),
            ]);
            rows += 1;
        }
    }
    if rows > 0 {
        exec(
            txn,
            &format!(
                "INSERT INTO case_fetches (case_id, source_key, source_name, at, outcome, fields, data, message, attempts, retry_at) VALUES {}",
                crate::batch::placeholders_with(txn.get_database_backend(), rows, 10, "")
            ),
            v,
        )
        .await?;
    }
    let mut v: Vec<sea_orm::Value> = Vec::new();
    let mut rows = 0;
    for (case_id, g, automatic) in items {
        if let Some(d) = &g.decision {
            v.extend([
                (*case_id).into(),
                g.item_version_id.into(),
                now.into(),
                serde_json::to_value(d.outcome)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
                    .into(),
                crate::cases::to_json(&d.reasons).into(),
                d.inputs.to_string().into(),
                d.trace.to_string().into(),
                crate::cases::to_json(&g.mismatches).into(),
                (*automatic).into(),
            ]);
            rows += 1;
        }
    }
    if rows > 0 {
        exec(
            txn,
            &format!(
                "INSERT INTO case_decisions (case_id, item_version_id, at, outcome, reasons, inputs, trace, mismatches, automatic) VALUES {}",
                crate::batch::placeholders_with(txn.get_database_backend(), rows, 9, "")
            ),
            v,
        )
        .await?;
    }
    Ok(())
}

/// 秒批's review opinion, for each review task.
pub(crate) fn instant_review(reasons: &str) -> Command {
    Command::CompleteReview {
        agree: true,
        opinion: format!("规则核验通过：{reasons}"),
    }
}

/// 秒批's steps after the reviews, by the lead department.
pub(crate) fn instant_closing(reasons: &str) -> [Command; 3] {
    [
        Command::Decide {
            approve: true,
            reason: format!("经共享数据核验并按决策规则自动审批（秒批）：{reasons}"),
        },
        Command::Issue,
        Command::Deliver {
            method: "电子送达".into(),
        },
    ]
}

/// 秒批: every step from acceptance to electronic delivery, by the system,
/// citing the rule version and reasons.
async fn instant_approval(
    store: &Store,
    txn: &impl ConnectionTrait,
    case_id: i64,
    g: &Gathered,
    cal: &WorkCalendar,
    today: NaiveDate,
) -> Result<Applied> {
    let (reasons, why) = g.instant_details();
    let mut last = system_in(
        store,
        txn,
        case_id,
        &Command::Accept,
        None,
        why.clone(),
        cal,
        today,
    )
    .await?;
    // Each review task, in turn.
    for _ in 0..8 {
        let c = crate::cases::load_for_update(txn, case_id).await?;
        if c.state != CaseState::Review {
            break;
        }
        let Some(task) = c
            .tasks
            .iter()
            .find(|t| t.status == tongban_domain::case::TaskStatus::Active)
        else {
            break;
        };
        last = system_in(
            store,
            txn,
            case_id,
            &instant_review(&reasons),
            Some(task.department_id),
            why.clone(),
            cal,
            today,
        )
        .await?;
    }
    let lead = crate::cases::load_for_update(txn, case_id)
        .await?
        .lead_department_id;
    for cmd in instant_closing(&reasons) {
        last = system_in(
            store,
            txn,
            case_id,
            &cmd,
            Some(lead),
            why.clone(),
            cal,
            today,
        )
        .await?;
    }
    Ok(last)
}

/// Loads a source file (`tongban-sources/1`): sources and, for table
/// sources, their rows.
pub async fn import_sources(store: &Store, text: &str) -> Result<usize> {
    #[derive(Deserialize)]
    struct File {
        format: String,
        sources: Vec<Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        #[serde(flatten)]
        def: SourceDef,
        #[serde(default)]
        rows: BTreeMap<String, Map<String, Value>>,
    }
    let f: File = serde_json::from_str(text).map_err(|e| {
        StoreError::Invalid(
            tongban_domain::FieldError::new(
                "$",
                "invalid_json",
                format!("文件格式错误：{e}"),
                e.to_string(),
            )
            .into(),
        )
    })?;
    if f.format != "tongban-sources/1" {
        return Err(StoreError::Invalid(
            tongban_domain::FieldError::new(
                "format",
                "unsupported",
                "不支持的文件格式",
                "unsupported format",
            )
            .into(),
        ));
    }
    for e in &f.sources {
        store.upsert_source(&e.def).await?;
        if !e.rows.is_empty() {
            let rows: Vec<(String, Map<String, Value>)> =
                e.rows.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            store.load_source_rows(&e.def.key, &rows).await?;
        }
    }
    Ok(f.sources.len())
}
