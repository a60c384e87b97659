//! The [`Page`] extractor: everything a page handler needs about the
//! request (language, session, where it is), the sign-in and forgery checks
//! of staff pages, and the error page every page renders ([`Page::error`],
//! [`or_err`], [`store_err`]).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use tongban_domain::auth::Actor;
use tongban_store::accounts::Session;

use super::views::{Chrome, url_encode};
use crate::AppState;
use crate::http::{ApiError, Lang, MaybeSession, check_form_csrf};

/// Everything a page handler needs about the request.
pub struct Page {
    pub lang: Lang,
    pub session: Option<Session>,
    pub here: String,
    pub headers: HeaderMap,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let lang = Lang::from_headers(&parts.headers);
        let MaybeSession(session) = MaybeSession::from_request_parts(parts, state)
            .await
            .map_err(|e| e.into_response())?;
        let here = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        Ok(Page {
            lang,
            session,
            here,
            headers: parts.headers.clone(),
        })
    }
}

impl Page {
    /// The signed-in user's id, for the audit trail.
    pub fn user_id(&self) -> Option<i64> {
        self.session.as_ref().map(|s| s.actor.user_id)
    }
    pub fn chrome(&self) -> Chrome {
        Chrome::new(self.lang, self.session.as_ref(), &self.here)
    }
    pub fn t(&self, zh: &str, en: &str) -> String {
        self.lang.t(zh, en).to_string()
    }
    /// The signed-in staff member, or a redirect to the login page.
    pub fn staff(&self) -> Result<(&Session, &Actor), Response> {
        match &self.session {
            Some(s) if s.actor.is_staff() => Ok((s, &s.actor)),
            Some(_) => Err(self.error(ApiError::denied(tongban_domain::auth::Denied::Role))),
            None => Err(
                Redirect::to(&format!("/login?next={}", url_encode(&self.here))).into_response(),
            ),
        }
    }
    /// Checks the CSRF token of a form post.
    /// The signed-in staff member if `may` lets them in; else the error
    /// page (403 for another role).
    pub fn staff_who(
        &self,
        may: impl FnOnce(&Actor) -> Result<(), tongban_domain::auth::Denied>,
    ) -> Result<&Actor, Response> {
        let (_, actor) = self.staff()?;
        may(actor).map_err(|d| self.error(ApiError::denied(d)))?;
        Ok(actor)
    }
    pub fn posted(&self, csrf: &str) -> Result<(&Session, &Actor), Response> {
        let (s, a) = self.staff()?;
        check_form_csrf(&self.headers, s, csrf).map_err(|e| self.error(e))?;
        Ok((s, a))
    }
    pub fn error(&self, e: ApiError) -> Response {
        let status = e.status;
        let e = e.in_lang(self.lang);
        let title = match status {
            StatusCode::FORBIDDEN => self.t("无权访问", "Not allowed"),
            StatusCode::NOT_FOUND => self.t("页面不存在", "Page not found"),
            StatusCode::CONFLICT => self.t("操作未完成", "Not done"),
            _ => self.t("出错了", "Something went wrong"),
        };
        let page = MessagePage {
            c: self.chrome(),
            title,
            message: e.message().to_string(),
            link: "/".into(),
            link_text: self.t("返回首页", "Back to the home page"),
        };
        (status, page).into_response()
    }
}

pub fn or_err<T>(page: &Page, r: Result<T, ApiError>) -> Result<T, Response> {
    r.map_err(|e| page.error(e))
}

pub fn store_err(page: &Page, e: tongban_store::StoreError) -> Response {
    page.error(e.into())
}

#[derive(Template, WebTemplate)]
#[template(path = "chrome/message.html")]
struct MessagePage {
    c: Chrome,
    title: String,
    message: String,
    link: String,
    link_text: String,
}
