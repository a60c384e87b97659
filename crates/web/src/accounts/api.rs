//! The session API (`/api/v1/session`): who is signed in, with their CSRF
//! token; sign in, setting the HttpOnly session cookie; sign out. And
//! [`authenticate`], the rate-limited password check the login page shares.

use std::net::IpAddr;

use crate::http::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tongban_domain::auth::Actor;
use utoipa::ToSchema;

use tongban_store::limits::Reservation;

use crate::http::{
    ApiError, ApiUser, ClientIp, MaybeSession, check_origin, session_cookie, set_cookie,
};
use crate::{AppState, LOGIN_PER_ACCOUNT, LOGIN_PER_ADDRESS};

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub department_id: Option<i64>,
    /// Send this back in the `X-CSRF-Token` header of state-changing calls.
    pub csrf_token: String,
}

fn session_view(a: &Actor, csrf: &str) -> SessionView {
    SessionView {
        user_id: a.user_id,
        username: a.username.clone(),
        display_name: a.display_name.clone(),
        role: a.role.as_str().to_string(),
        department_id: a.department_id,
        csrf_token: csrf.to_string(),
    }
}

/// The signed-in user and their CSRF token.
#[utoipa::path(get, path = "/api/v1/session", tag = "accounts", security(("session" = [])), responses((status = 200, body = SessionView), (status = 401, body = crate::http::ErrorBody)))]
pub async fn whoami(MaybeSession(s): MaybeSession) -> Result<Json<SessionView>, ApiError> {
    let s = s.ok_or_else(ApiError::unauthorized)?;
    Ok(Json(session_view(&s.actor, &s.csrf_token)))
}

fn too_many_sign_ins() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "登录失败次数过多，请5分钟后再试",
        "too many failed sign-ins; try again in 5 minutes",
    )
}

/// Shared by the API and the login page: checks the rate limit and the
/// password. The attempt is counted before the password is checked (per
/// account and per client address, in the database every instance shares),
/// and given back when it succeeds, so parallel guesses cannot slip under
/// the limit.
pub async fn authenticate(
    s: &AppState,
    client: IpAddr,
    username: &str,
    password: &str,
) -> Result<tongban_store::accounts::User, ApiError> {
    let name: String = username
        .trim()
        .chars()
        .take(64)
        .collect::<String>()
        .to_lowercase();
    let account = format!("login-user|{name}");
    let address = format!("login-addr|{}", crate::http::client::limit_key(client));
    // The address first: a locked-out address does not use up the account's.
    if s.store.reserve_attempt(&address, LOGIN_PER_ADDRESS).await? == Reservation::Refused {
        return Err(too_many_sign_ins());
    }
    if s.store.reserve_attempt(&account, LOGIN_PER_ACCOUNT).await? == Reservation::Refused {
        // Not checked, so not counted against the address either.
        s.store.release_attempt(&address).await?;
        return Err(too_many_sign_ins());
    }
    match s.store.authenticate(username.trim(), password).await? {
        Some(u) => {
            s.store.release_attempt(&account).await?;
            s.store.release_attempt(&address).await?;
            Ok(u)
        }
        None => {
            tracing::info!(user = %tongban_domain::codes::mask(username, 1, 1), "failed sign-in");
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "bad_credentials",
                "用户名或密码错误",
                "wrong user name or password",
            ))
        }
    }
}

/// Sign in; sets the HttpOnly session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "accounts", request_body = LoginRequest,
    responses((status = 200, body = SessionView), (status = 401, body = crate::http::ErrorBody), (status = 429, body = crate::http::ErrorBody)))]
pub async fn login(
    State(s): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    check_origin(&headers)?;
    let user = authenticate(&s, client, &req.username, &req.password).await?;
    let (token, csrf) = s.store.create_session(user.id).await?;
    let session = s
        .store
        .session(&token)
        .await?
        .ok_or_else(|| ApiError::internal("session vanished"))?;
    let mut resp = Json(session_view(&session.actor, &csrf)).into_response();
    set_cookie(
        &mut resp,
        session_cookie(
            &token,
            s.config.cookies_secure(),
            tongban_store::accounts::SESSION_TTL_MS / 1000,
        ),
    );
    Ok(resp)
}

/// Sign out.
#[utoipa::path(delete, path = "/api/v1/session", tag = "accounts", security(("session" = [])), responses((status = 204, description = "signed out; the session cookie is cleared")))]
pub async fn logout(
    State(s): State<AppState>,
    _u: ApiUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(t) = crate::http::cookie(&headers, crate::http::SESSION_COOKIE) {
        s.store.delete_session(t).await?;
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    set_cookie(&mut resp, session_cookie("", s.config.cookies_secure(), 0));
    Ok(resp)
}
