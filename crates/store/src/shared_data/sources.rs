//! Data sources: the registry, and looking a key up in a local table or
//! an HTTP JSON service (bounded in time and size; a broken source answers
//! `Failed`, never an error).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Connector, Fetched, SourceDef};
use crate::sql::to_json;
use crate::{Result, Store, StoreError, exec, get, now_ms, query, query_one};

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
