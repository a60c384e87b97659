//! Data sources: the registry, and looking a key up in a local table or
//! an HTTP JSON service (bounded in time and size; a broken source answers
//! `Failed`, never an error).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Connector, Fetched, SourceDef};
use crate::sql::to_json;
use crate::{Result, Store, StoreError, exec, get, now_ms, query, query_one};

/// The largest answer read from a source.
const MAX_ANSWER: usize = 4 * 1024 * 1024;

/// HTTP clients by the extra root certificate their sources trust (derived
/// from the source definitions in the database; built once per process).
fn client(ca_pem: &str) -> std::result::Result<reqwest::Client, String> {
    static CLIENTS: OnceLock<Mutex<HashMap<String, reqwest::Client>>> = OnceLock::new();
    let clients = CLIENTS.get_or_init(Default::default);
    if let Ok(m) = clients.lock()
        && let Some(c) = m.get(ca_pem)
    {
        return Ok(c.clone());
    }
    let mut b = reqwest::Client::builder()
        // A source answers or it does not: a redirect is not followed.
        .redirect(reqwest::redirect::Policy::none())
        // Only to the source itself: no proxy from the environment sees its
        // token or the personal data in its addresses.
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .user_agent("tongban");
    if !ca_pem.trim().is_empty() {
        let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes())
            .map_err(|e| format!("the source's CA certificate is not PEM: {e}"))?;
        b = b.add_root_certificate(ca);
    }
    let c = b.build().map_err(|e| format!("HTTP client: {e}"))?;
    if let Ok(mut m) = clients.lock() {
        m.insert(ca_pem.to_string(), c.clone());
    }
    Ok(c)
}

/// One GET of a JSON source: the status and the body, read whole (at most
/// `MAX_ANSWER` bytes) before it is decoded, so a multi-byte character
/// split across chunks arrives intact.
async fn http_get(
    url: &str,
    auth: &str,
    ca_pem: &str,
    timeout: Duration,
) -> std::result::Result<(u16, String), String> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err("a source's address is http:// or https://".into());
    }
    let mut req = client(ca_pem)?
        .get(url)
        .timeout(timeout)
        .header(reqwest::header::ACCEPT, "application/json");
    if let Some((name, value)) = auth.split_once(':')
        && !name.trim().is_empty()
    {
        req = req.header(name.trim(), value.trim());
    }
    // Errors name the host only: the address carries the looked-up key
    // (an identity number), which must not reach messages or logs.
    let host = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    let mut resp = req.send().await.map_err(|e| {
        if e.is_timeout() {
            format!("{host}: no answer within {} ms", timeout.as_millis())
        } else {
            format!("{host}: {}", e.without_url())
        }
    })?;
    let status = resp.status().as_u16();
    if resp.content_length().is_some_and(|n| n > MAX_ANSWER as u64) {
        return Err(format!("the answer is larger than {MAX_ANSWER} bytes"));
    }
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| {
        if e.is_timeout() {
            format!("{host}: no answer within {} ms", timeout.as_millis())
        } else {
            format!("{host}: {}", e.without_url())
        }
    })? {
        if body.len() + chunk.len() > MAX_ANSWER {
            return Err(format!("the answer is larger than {MAX_ANSWER} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(body).map_err(|_| "the answer is not UTF-8".to_string())?;
    Ok((status, text))
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
                to_json(&s.fields).into(),
                to_json(&s.connector).into(),
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
                ca_pem,
            } => {
                let url = url.replace("{key}", &pct(key));
                let mut last = String::new();
                // Bounded: a slow source must not hold a submission for long.
                let timeout_ms = (*timeout_ms).clamp(100, 10_000);
                for attempt in 0..=(*retries).min(3) {
                    if attempt > 0 {
                        tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                    }
                    match http_get(&url, auth_header, ca_pem, Duration::from_millis(timeout_ms))
                        .await
                    {
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
