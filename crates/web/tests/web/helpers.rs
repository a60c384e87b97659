//! Shared helpers of the web integration tests: the real router over a demo
//! store on each backend, driven in-process with `tower::ServiceExt::oneshot`.
#![allow(dead_code)]

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tongban_store::Store;
use tongban_web::{AppState, Config};
use tower::ServiceExt;

/// Password of every demo account.
pub const PASSWORD: &str = tongban_store::demo::DEMO_PASSWORD;

/// Staff and public roles that must never reach the catalogue administration:
/// applicant, clerk, reviewer, head, concierge, experience officer.
pub const NON_ADMIN_USERS: &[&str] = &[
    "applicant",
    "clerk",
    "reviewer",
    "head",
    "concierge",
    "officer",
];

/// The router over one backend's demo store.
pub struct App {
    pub backend: String,
    pub state: AppState,
    router: Router,
}

/// A fresh demo store on each configured backend, with the router over it.
pub async fn apps(test: &str) -> Vec<App> {
    let mut out = Vec::new();
    for (backend, store) in tongban_store::testing::stores(test).await {
        let loaded = tongban_store::demo::load_demo(&store)
            .await
            .unwrap_or_else(|e| panic!("{backend}: load demo: {e}"));
        assert!(loaded, "{backend}: the demo loads into a fresh store");
        let state = AppState::new(
            store,
            Config {
                background_jobs: false,
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{backend}: app state: {e}"));
        let router = tongban_web::router(state.clone())
            .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        out.push(App {
            backend,
            state,
            router,
        });
    }
    out
}

/// A response, read in full.
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self, backend: &str, what: &str) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("{backend}: {what}: body is not JSON ({e}): {}", self.text())
        })
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// Every Set-Cookie value.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect()
    }
}

/// A signed-in user: the `tb_session=<token>` cookie pair and the CSRF token.
#[derive(Debug, Clone)]
pub struct Login {
    pub username: String,
    pub cookie: String,
    pub csrf: String,
}

/// What a request carries as its body.
#[derive(Debug, Clone)]
pub enum Payload {
    None,
    Json(Value),
    Text(String),
}

/// Builds an API request: the session cookie and `X-CSRF-Token` when signed in.
pub fn api_request(
    method: Method,
    uri: &str,
    who: Option<&Login>,
    payload: &Payload,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(w) = who {
        b = b
            .header(header::COOKIE, w.cookie.as_str())
            .header("x-csrf-token", w.csrf.as_str());
    }
    let body = match payload {
        Payload::None => Body::empty(),
        Payload::Json(v) => {
            b = b.header(header::CONTENT_TYPE, "application/json");
            Body::from(v.to_string())
        }
        Payload::Text(t) => {
            b = b.header(header::CONTENT_TYPE, "application/json");
            Body::from(t.clone())
        }
    };
    b.body(body).expect("request builds")
}

impl App {
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// Sends one request through a clone of the router.
    pub async fn send(&self, req: Request<Body>) -> Resp {
        let resp = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("the router never fails");
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .unwrap_or_else(|e| panic!("{}: read response body: {e}", self.backend))
            .to_bytes()
            .to_vec();
        Resp {
            status,
            headers,
            body,
        }
    }

    /// `POST /api/v1/session` with a user name and password.
    pub async fn login_attempt(&self, username: &str, password: &str) -> Resp {
        let body = json!({ "username": username, "password": password });
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("login request builds");
        self.send(req).await
    }

    /// Signs in a demo user; panics unless that works.
    pub async fn login(&self, username: &str) -> Login {
        let b = &self.backend;
        let r = self.login_attempt(username, PASSWORD).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{b}: sign in as {username}: {}",
            r.text()
        );
        let cookie = session_cookie_pair(&r).unwrap_or_else(|| {
            panic!(
                "{b}: sign in as {username}: no tb_session cookie in {:?}",
                r.set_cookies()
            )
        });
        let v = r.json(b, "login response");
        let csrf = v["csrf_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| panic!("{b}: sign in as {username}: no csrf_token in {v}"))
            .to_string();
        Login {
            username: username.to_string(),
            cookie,
            csrf,
        }
    }

    /// An API call with an optional session (cookie + CSRF header) and JSON body.
    pub async fn api(
        &self,
        method: Method,
        uri: &str,
        who: Option<&Login>,
        body: Option<Value>,
    ) -> Resp {
        let payload = match body {
            Some(v) => Payload::Json(v),
            None => Payload::None,
        };
        self.send(api_request(method, uri, who, &payload)).await
    }

    /// A GET with only the session cookie, as a browser sends it.
    pub async fn get_page(&self, uri: &str, who: Option<&Login>) -> Resp {
        let mut b = Request::builder().method(Method::GET).uri(uri);
        if let Some(w) = who {
            b = b.header(header::COOKIE, w.cookie.as_str());
        }
        self.send(b.body(Body::empty()).expect("page request builds"))
            .await
    }

    /// A form post with only the session cookie (the CSRF token goes in the form).
    pub async fn post_form(&self, uri: &str, who: &Login, form: &str) -> Resp {
        let req = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::COOKIE, who.cookie.as_str())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.to_string()))
            .expect("form request builds");
        self.send(req).await
    }
}

/// `tb_session=<token>` from a login response's Set-Cookie headers.
pub fn session_cookie_pair(r: &Resp) -> Option<String> {
    r.set_cookies()
        .into_iter()
        .find(|c| c.starts_with("tb_session="))
        .and_then(|c| c.split(';').next().map(|p| p.trim().to_string()))
        .filter(|p| p.len() > "tb_session=".len())
}

/// Checks the JSON error shape `{"error": {"code", "message", "details"}}`
/// with a status and code; returns the body.
pub fn assert_error(backend: &str, what: &str, r: &Resp, status: StatusCode, code: &str) -> Value {
    assert_eq!(
        r.status,
        status,
        "{backend}: {what}: status (body: {})",
        r.text()
    );
    let ct = r.header("content-type").unwrap_or_default();
    assert!(
        ct.starts_with("application/json"),
        "{backend}: {what}: error content-type {ct:?}"
    );
    let v = r.json(backend, what);
    assert_eq!(
        v["error"]["code"].as_str(),
        Some(code),
        "{backend}: {what}: error code in {v}"
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{backend}: {what}: error message in {v}"
    );
    assert!(
        v["error"]["details"].is_array(),
        "{backend}: {what}: error details in {v}"
    );
    v
}

/// Percent-encodes a query value.
pub fn pct(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

impl App {
    /// Enters a stand-in notice for the year after the shipped schedules run
    /// out, as a system admin would once the State Council publishes it (test
    /// data: only 1 January off), so deadlines reaching into it can be computed.
    pub async fn enter_next_year(&self) {
        use tongban_domain::calendar::{ScheduleDay, YearSchedule};
        let years: Vec<i32> = self.state.calendar().covered_years().collect();
        let next = years.iter().max().copied().unwrap_or(2026) + 1;
        let y = YearSchedule {
            year: next,
            source: "test stand-in".into(),
            days: vec![ScheduleDay {
                date: chrono::NaiveDate::from_ymd_opt(next, 1, 1).expect("date"),
                off: true,
                name: "元旦".into(),
            }],
        };
        self.store()
            .put_calendar_year(&y, None, self.state.today())
            .await
            .unwrap_or_else(|e| panic!("{}: enter {next}: {e}", self.backend));
        self.state
            .refresh_calendar()
            .await
            .unwrap_or_else(|e| panic!("{}: refresh calendar: {e}", self.backend));
    }
}

/// A test CA (its certificate as PEM) and a TLS server configuration for
/// `127.0.0.1` and `localhost` signed by it.
pub fn test_pki() -> (String, rustls::ServerConfig) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "Tongban test CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().expect("ca key");
    let ca_cert = ca.self_signed(&ca_key).expect("ca cert");
    let issuer = Issuer::new(ca, ca_key);
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("leaf params");
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).expect("leaf cert");
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(
        vec![leaf_cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
            leaf_key.serialize_der(),
        )),
    )
    .expect("server config");
    (ca_cert.pem(), config)
}
