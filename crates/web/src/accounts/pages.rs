//! The login and logout pages: sign in with the API's rate limit, then go
//! back to where the user was (or to their start page); sign out.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_domain::FieldError;

use super::api::authenticate;
use crate::AppState;
use crate::chrome::{Chrome, CsrfForm, NextParam, Page, safe_next, store_err};
use crate::http::{check_form_csrf, session_cookie, set_cookie};

#[derive(Template, WebTemplate)]
#[template(path = "accounts/login.html")]
struct LoginPage {
    c: Chrome,
    errors: Vec<FieldError>,
    username: String,
    next: String,
}

pub(super) async fn login_page(page: Page, Query(q): Query<NextParam>) -> Response {
    LoginPage {
        c: page.chrome(),
        errors: vec![],
        username: String::new(),
        next: safe_next(q.next.as_deref()),
    }
    .into_response()
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

pub(super) async fn login_post(
    State(s): State<AppState>,
    page: Page,
    crate::http::ClientIp(client): crate::http::ClientIp,
    Form(f): Form<LoginForm>,
) -> Response {
    if let Err(e) = crate::http::check_origin(&page.headers) {
        return page.error(e);
    }
    match authenticate(&s, client, &f.username, &f.password).await {
        Ok(user) => {
            let (token, _) = match s.store.create_session(user.id).await {
                Ok(t) => t,
                Err(e) => return store_err(&page, e),
            };
            let target = if f.next.is_empty() || f.next == "/" {
                // Each role lands on its own work.
                crate::chrome::landing(user.role).to_string()
            } else {
                safe_next(Some(&f.next))
            };
            let mut resp = Redirect::to(&target).into_response();
            set_cookie(
                &mut resp,
                session_cookie(
                    &token,
                    s.config.cookies_secure(),
                    tongban_store::accounts::SESSION_TTL_MS / 1000,
                ),
            );
            resp
        }
        Err(e) => {
            let status = e.status;
            let e = e.in_lang(page.lang);
            let msg = e.message().to_string();
            (
                status,
                LoginPage {
                    c: page.chrome(),
                    errors: vec![FieldError::new("username", e.code, msg.clone(), msg)],
                    username: f.username,
                    next: safe_next(Some(&f.next)),
                },
            )
                .into_response()
        }
    }
}

pub(super) async fn logout_post(
    State(s): State<AppState>,
    page: Page,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(sess) = &page.session {
        if let Err(e) = check_form_csrf(&page.headers, sess, &f.csrf) {
            return page.error(e);
        }
        if let Some(t) = crate::http::cookie(&page.headers, crate::http::SESSION_COOKIE) {
            let _ = s.store.delete_session(t).await;
        }
    }
    let mut resp = Redirect::to("/").into_response();
    set_cookie(&mut resp, session_cookie("", s.config.cookies_secure(), 0));
    resp
}
