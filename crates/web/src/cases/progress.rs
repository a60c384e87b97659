//! The public progress lookup (办件查询) by case number and the receipt's
//! verification code: status, dates and deadline, no personal data; failed
//! lookups are rate-limited per address.

use std::net::IpAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use tongban_domain::FieldError;
use tongban_store::limits::{Limit, Reservation};

use super::views::state_label;
use crate::AppState;
use crate::chrome::{Chrome, Page, fmt_time};
use crate::http::{ApiError, check_origin};

/// Failed lookups allowed per client address and window (counted in the
/// database every instance shares, before the lookup is made).
pub const LOOKUP_LIMIT: Limit = Limit {
    max: 10,
    window_ms: 5 * 60 * 1000,
};

pub(super) async fn lookup(
    s: &AppState,
    client: IpAddr,
    case_no: &str,
    code: &str,
) -> Result<tongban_store::cases::PublicProgress, ApiError> {
    let key = format!("lookup|{}", crate::http::client::limit_key(client));
    if s.store.reserve_attempt(&key, LOOKUP_LIMIT).await? == Reservation::Refused {
        return Err(too_many());
    }
    match s
        .store
        .lookup(case_no, code, &s.calendar(), s.today())
        .await
        .map_err(ApiError::from)?
    {
        Some(p) => {
            s.store.release_attempt(&key).await?;
            Ok(p)
        }
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "案件编号或查询码不正确",
            "no case matches this number and verification code",
        )),
    }
}

/// A bundle application by number and code, under the same limit of
/// failed attempts as case lookups.
pub(super) async fn lookup_bundle(
    s: &AppState,
    client: IpAddr,
    bundle_no: &str,
    code: &str,
) -> Result<tongban_store::bundles::PublicBundleProgress, ApiError> {
    let key = format!("lookup|{}", crate::http::client::limit_key(client));
    if s.store.reserve_attempt(&key, LOOKUP_LIMIT).await? == Reservation::Refused {
        return Err(too_many());
    }
    match s
        .store
        .lookup_bundle(bundle_no, code)
        .await
        .map_err(ApiError::from)?
    {
        Some(b) => {
            s.store.release_attempt(&key).await?;
            Ok(b)
        }
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "一件事编号或查询码不正确",
            "no bundle application matches this number and verification code",
        )),
    }
}

fn too_many() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "查询失败次数过多，请5分钟后再试",
        "too many failed lookups; try again in 5 minutes",
    )
}

/// What a number and code find: a case, or a bundle application (一件事).
enum Found {
    Case(tongban_store::cases::PublicProgress),
    Bundle(tongban_store::bundles::PublicBundleProgress),
}

/// The page's lookup: a case number first, then a bundle application's
/// number, under the same limit of failed attempts.
async fn lookup_any(s: &AppState, client: IpAddr, no: &str, code: &str) -> Result<Found, ApiError> {
    match lookup(s, client, no, code).await {
        Ok(p) => Ok(Found::Case(p)),
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            match s
                .store
                .lookup_bundle(no, code)
                .await
                .map_err(ApiError::from)?
            {
                Some(b) => {
                    let key = format!("lookup|{}", crate::http::client::limit_key(client));
                    s.store.release_attempt(&key).await?;
                    Ok(Found::Bundle(b))
                }
                None => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "cases/progress.html")]
struct ProgressPage {
    c: Chrome,
    case_no: String,
    errors: Vec<FieldError>,
    result: Option<ProgressView>,
    bundle: Option<BundleProgressView>,
}

struct BundleProgressView {
    bundle_no: String,
    name: String,
    state: String,
    submitted_at: String,
    promised_days: u32,
    /// (case number, item, department, state)
    services: Vec<(String, String, String, String)>,
}

struct ProgressView {
    case_no: String,
    item_name: String,
    department: String,
    state: String,
    received_on: String,
    accepted_on: String,
    promised_due: String,
    legal_due: String,
    /// A date counted into a year whose holiday notice is not out (暂定).
    provisional: bool,
    decided_on: String,
    steps: Vec<(String, String)>,
}

pub(super) async fn progress_page(page: Page) -> Response {
    ProgressPage {
        c: page.chrome(),
        case_no: String::new(),
        errors: vec![],
        result: None,
        bundle: None,
    }
    .into_response()
}

#[derive(Deserialize)]
pub(super) struct ProgressForm {
    #[serde(default)]
    case_no: String,
    #[serde(default)]
    code: String,
}

pub(super) async fn progress_post(
    State(s): State<AppState>,
    page: Page,
    crate::http::ClientIp(client): crate::http::ClientIp,
    Form(f): Form<ProgressForm>,
) -> Response {
    if let Err(e) = check_origin(&page.headers) {
        return page.error(e);
    }
    let lang = page.lang;
    let d = |o: Option<NaiveDate>| o.map(|d| d.to_string()).unwrap_or_default();
    match lookup_any(&s, client, &f.case_no, &f.code).await {
        Ok(Found::Bundle(b)) => ProgressPage {
            c: page.chrome(),
            case_no: f.case_no.clone(),
            errors: vec![],
            result: None,
            bundle: Some(BundleProgressView {
                bundle_no: b.bundle_no,
                name: b.name,
                state: lang.t(b.state.zh(), b.state.en()).to_string(),
                submitted_at: b.submitted_at.map(fmt_time).unwrap_or_default(),
                promised_days: b.promised_days,
                services: b
                    .services
                    .into_iter()
                    .map(|(no, item, dept, st)| (no, item, dept, state_label(st, lang)))
                    .collect(),
            }),
        }
        .into_response(),
        Ok(Found::Case(p)) => ProgressPage {
            c: page.chrome(),
            case_no: f.case_no.clone(),
            errors: vec![],
            bundle: None,
            result: Some(ProgressView {
                case_no: p.case_no,
                item_name: p.item_name,
                department: p.department,
                state: state_label(p.state, lang),
                received_on: d(p.received_on),
                accepted_on: d(p.accepted_on),
                promised_due: d(p.promised_due),
                legal_due: d(p.legal_due),
                provisional: [p.promised_due, p.legal_due]
                    .into_iter()
                    .flatten()
                    .any(|x| s.calendar().is_provisional(x)),
                decided_on: d(p.decided_on),
                steps: p
                    .steps
                    .iter()
                    .map(|st| (fmt_time(st.at), st.action_zh.clone()))
                    .collect(),
            }),
        }
        .into_response(),
        Err(e) => {
            let status = e.status;
            let e = e.in_lang(lang);
            let msg = e.message().to_string();
            (
                status,
                ProgressPage {
                    c: page.chrome(),
                    case_no: f.case_no,
                    errors: vec![FieldError::new("case_no", e.code, msg.clone(), msg)],
                    result: None,
                    bundle: None,
                },
            )
                .into_response()
        }
    }
}
