//! Shared data and instant approval (SPEC §6): the data-source registry
//! with its connectors (a local table, an HTTP JSON service; `sources`),
//! lookups at submission recorded on the case (provenance the applicant
//! sees; `records`), automatic comparison of declared and authoritative
//! values, 免证办 from valid e-certificates, and 秒批 (`submit`): when the
//! item's decision model approves on verified data, the submission's job
//! carries the system's steps to delivery, which the case writer writes in
//! the submission's own transaction.
//!
//! A source that is down or slow never loses an application: the case is
//! submitted for manual handling with the reason, and the lookup is retried.

mod provenance;
mod records;
mod sources;
mod submit;

pub use provenance::{Provenance, provenance};

pub use records::LookupRecords;
pub use sources::import_sources;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{Result, Store, StoreError, get, query};
use tongban_domain::auth::Actor;
use tongban_domain::privacy::Sight;

/// How a source is reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Connector {
    /// Rows loaded into the database (from CSV/JSON): demo, tests, offline copies.
    Table,
    /// An HTTP JSON service (http or https): `url` with `{key}` replaced by
    /// the looked-up key. 200 with a JSON object: found; 404: not found;
    /// anything else (a redirect too, never followed): failed.
    Http {
        url: String,
        #[serde(default = "default_timeout")]
        timeout_ms: u64,
        #[serde(default = "default_retries")]
        retries: u32,
        /// e.g. `Authorization: Bearer …`
        #[serde(default)]
        auth_header: String,
        /// A root certificate (PEM) to trust besides the public ones, for a
        /// service whose certificate a government CA signed.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        ca_pem: String,
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

impl FetchRecord {
    /// The lookup as a viewer with `sight` sees it: the looked-up personal
    /// data only for those who decide on it.
    pub fn seen_by(mut self, sight: tongban_domain::privacy::Sight) -> FetchRecord {
        if !sight.looked_up {
            // Which material an e-certificate stood for is no personal data;
            // the certificate's identifier is.
            self.data = match self.data.get("material") {
                Some(m) => serde_json::json!({ "material": m }),
                None => Value::Null,
            };
        }
        self
    }
}

impl DecisionRecord {
    /// The evaluation as a viewer with `sight` sees it: the outcome and the
    /// reasons always; the inputs, the trace and the values compared only in
    /// full sight.
    pub fn seen_by(mut self, sight: tongban_domain::privacy::Sight) -> DecisionRecord {
        if !sight.looked_up {
            self.inputs = Value::Null;
            // The trace quotes the inputs it compared.
            self.trace = Value::Null;
            for m in &mut self.mismatches {
                m.declared = sight.looked_up_value(&m.declared);
                m.authoritative = sight.looked_up_value(&m.authoritative);
            }
        }
        self
    }
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
/// What `actor` sees of `case`, or not found when it is not theirs to see.
impl Store {
    /// What `actor` sees of `case`'s lookups: not found when the case is
    /// not theirs to see ([`Store::sees_case`]: a concierge also the
    /// applications of the enterprises assigned to them).
    async fn sight_of(&self, actor: &Actor, case: &crate::cases::Case) -> Result<Sight> {
        if self.sees_case(actor, case).await? {
            Ok(Sight::of(actor))
        } else {
            Err(StoreError::NotFound(format!("case {}", case.id)))
        }
    }

    /// What was looked up for `case` (one `actor` was shown by
    /// [`Store::case_for`]), as their sight shows it.
    pub async fn case_fetches_for(
        &self,
        actor: &Actor,
        case: &crate::cases::Case,
    ) -> Result<Vec<FetchRecord>> {
        let sight = self.sight_of(actor, case).await?;
        Ok(self
            .case_fetches(case.id)
            .await?
            .into_iter()
            .map(|f| f.seen_by(sight))
            .collect())
    }

    /// What the rules decided on `case`, as `actor`'s sight shows it.
    pub async fn case_decisions_for(
        &self,
        actor: &Actor,
        case: &crate::cases::Case,
    ) -> Result<Vec<DecisionRecord>> {
        let sight = self.sight_of(actor, case).await?;
        Ok(self
            .case_decisions(case.id)
            .await?
            .into_iter()
            .map(|d| d.seen_by(sight))
            .collect())
    }

    pub(crate) async fn case_fetches(&self, case_id: i64) -> Result<Vec<FetchRecord>> {
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

    pub(crate) async fn case_decisions(&self, case_id: i64) -> Result<Vec<DecisionRecord>> {
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
}

#[derive(Debug, Default)]
pub struct Gathered {
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
