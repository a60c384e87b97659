//! Server-rendered pages: the public guides and the catalogue administration.
// Page handlers return a rendered error page as their `Err`; axum responses are
// 128 bytes, which is fine on this path (once per request).
#![allow(clippy::result_large_err)]

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{FromRequestParts, Multipart, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use tongban_domain::audit::{AuditContext, RULES, VersionFacts, audit_item};
use tongban_domain::auth::{Actor, Role, Scope};
use tongban_domain::catalog::*;
use tongban_domain::codes::BasicCode;
use tongban_domain::{FieldError, FieldErrors};
use tongban_store::accounts::Session;
use tongban_store::audit::{FindingFilter, FindingStatus};
use tongban_store::catalog::ItemVersion;

use crate::AppState;
use crate::api::{self, AdminListParams, DepartmentRequest, FindingParams, SearchParams};
use crate::http::{
    ApiError, LANG_COOKIE, Lang, MaybeSession, check_form_csrf, session_cookie, set_cookie,
};
use crate::views::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/static/site.css", get(css))
        .route("/items", get(search_page))
        .route("/items/{code}", get(item_page))
        .route("/lang/{lang}", get(set_lang))
        .route("/login", get(login_page).post(login_post))
        .route("/logout", post(logout_post))
        .route("/admin", get(admin_home))
        .route("/admin/items/new", get(new_item_page).post(new_item_post))
        .route("/admin/items/{id}", get(admin_item_page))
        .route("/admin/items/{id}/edit", get(edit_page).post(edit_post))
        .route(
            "/admin/items/{id}/materials/new",
            get(material_new_page).post(material_new_post),
        )
        .route(
            "/admin/items/{id}/materials/{idx}",
            get(material_page).post(material_post),
        )
        .route(
            "/admin/items/{id}/materials/{idx}/delete",
            post(material_delete),
        )
        .route("/admin/items/{id}/publish", post(publish_post))
        .route("/admin/items/{id}/delete", post(delete_post))
        .route("/admin/catalog/{code}", get(latest_redirect))
        .route("/admin/catalog/{code}/new-version", post(new_version_post))
        .route("/admin/catalog/{code}/retire", post(retire_post))
        .route("/admin/audit", get(audit_page))
        .route("/admin/audit/run", post(audit_run_post))
        .route("/admin/audit/findings/{id}/fix", post(fix_post))
        .route("/admin/audit/findings/{id}/verify", post(verify_post))
        .route(
            "/admin/departments",
            get(departments_page).post(department_create_post),
        )
        .route(
            "/admin/departments/{id}",
            get(department_edit_page).post(department_update_post),
        )
        .route("/admin/import", get(import_page).post(import_post))
}

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
    fn t(&self, zh: &str, en: &str) -> String {
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

fn or_err<T>(page: &Page, r: Result<T, ApiError>) -> Result<T, Response> {
    r.map_err(|e| page.error(e))
}

pub(crate) fn store_err(page: &Page, e: tongban_store::StoreError) -> Response {
    page.error(e.into())
}

#[derive(Template, WebTemplate)]
#[template(path = "message.html")]
struct MessagePage {
    c: Chrome,
    title: String,
    message: String,
    link: String,
    link_text: String,
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/site.css"),
    )
        .into_response()
}

#[derive(Deserialize)]
struct NextParam {
    next: Option<String>,
}

/// Only local paths are followed after login or a language switch.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && n.bytes().all(|b| b > 0x20 && b != 0x7f) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

async fn set_lang(Path(lang): Path<String>, Query(q): Query<NextParam>) -> Response {
    let v = if lang == "en" { "en" } else { "zh" };
    let mut resp = Redirect::to(&safe_next(q.next.as_deref())).into_response();
    if let Ok(h) = format!("{LANG_COOKIE}={v}; Path=/; SameSite=Lax; Max-Age=31536000").parse() {
        set_cookie(&mut resp, h);
    }
    resp
}

// ---------------------------------------------------------------------------
// Public pages

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    events: Vec<(String, String)>,
    departments: Vec<(i64, String)>,
    total: usize,
}

pub const LIFE_EVENTS: &[(&str, &str)] = &[
    ("新生儿出生", "Birth of a child"),
    ("教育入学", "Starting school"),
    ("生育保险待遇领取", "Maternity benefits"),
    ("企业开办", "Starting a business"),
    ("工程建设项目", "Construction projects"),
    ("婚姻登记", "Marriage"),
    ("居住落户", "Residence"),
];

async fn home(State(s): State<AppState>, page: Page) -> Result<Response, Response> {
    let depts = s
        .store
        .departments()
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(HomePage {
        events: LIFE_EVENTS
            .iter()
            .map(|(zh, en)| (page.t(zh, en), url_encode(zh)))
            .collect(),
        departments: depts.into_iter().map(|d| (d.id, d.name)).collect(),
        total: s.search.current().len(),
        c: page.chrome(),
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "search.html")]
struct SearchPage {
    c: Chrome,
    q: String,
    q_enc: String,
    event: String,
    departments: Vec<Choice>,
    types: Vec<Choice>,
    objects: Vec<Choice>,
    total: usize,
    words: String,
    hits: Vec<tongban_search::Hit>,
}

async fn search_page(
    State(s): State<AppState>,
    page: Page,
    Query(p): Query<SearchParams>,
) -> Result<Response, Response> {
    let r = s
        .search
        .current()
        .search(&p.to_query())
        .map_err(|e| page.error(ApiError::internal(e)))?;
    let depts = s
        .store
        .departments()
        .await
        .map_err(|e| store_err(&page, e))?;
    let lang = page.lang;
    Ok(SearchPage {
        q: p.q.clone().unwrap_or_default(),
        q_enc: url_encode(p.q.as_deref().unwrap_or_default()),
        event: p.event.clone().unwrap_or_default(),
        departments: depts
            .iter()
            .map(|d| Choice {
                value: d.id.to_string(),
                label: d.name.clone(),
                selected: p.department == Some(d.id),
            })
            .collect(),
        types: options(
            ItemType::ALL,
            p.item_type.as_deref().unwrap_or_default(),
            lang,
        ),
        objects: options(
            ServiceObject::ALL,
            p.object.as_deref().unwrap_or_default(),
            lang,
        ),
        total: r.total,
        words: r.words.join(" / "),
        hits: r.hits,
        c: page.chrome(),
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "item.html")]
struct ItemPage {
    c: Chrome,
    g: GuideView,
    department: String,
    version: i64,
    published: String,
}

async fn item_page(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
) -> Result<Response, Response> {
    let item = s
        .store
        .published_item(&code)
        .await
        .map_err(|e| store_err(&page, e))?
        .ok_or_else(|| page.error(ApiError::not_found(&code)))?;
    Ok(ItemPage {
        g: GuideView::new(&item.doc, page.lang),
        department: item.department_name.clone(),
        version: item.version,
        published: item.published_at.map(fmt_time).unwrap_or_default(),
        c: page.chrome(),
    }
    .into_response())
}

// ---------------------------------------------------------------------------
// Login

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    errors: Vec<FieldError>,
    username: String,
    next: String,
}

async fn login_page(page: Page, Query(q): Query<NextParam>) -> Response {
    LoginPage {
        c: page.chrome(),
        errors: vec![],
        username: String::new(),
        next: safe_next(q.next.as_deref()),
    }
    .into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

async fn login_post(
    State(s): State<AppState>,
    page: Page,
    axum::extract::ConnectInfo(client): axum::extract::ConnectInfo<std::net::SocketAddr>,
    Form(f): Form<LoginForm>,
) -> Response {
    if let Err(e) = crate::http::check_origin(&page.headers) {
        return page.error(e);
    }
    match api::authenticate(&s, &client, &f.username, &f.password).await {
        Ok(user) => {
            let (token, _) = match s.store.create_session(user.id).await {
                Ok(t) => t,
                Err(e) => return store_err(&page, e),
            };
            let target = if f.next.is_empty() || f.next == "/" {
                if user.role == Role::Applicant {
                    "/".to_string()
                } else {
                    "/admin".to_string()
                }
            } else {
                safe_next(Some(&f.next))
            };
            let mut resp = Redirect::to(&target).into_response();
            set_cookie(
                &mut resp,
                session_cookie(
                    &token,
                    s.config.secure_cookies,
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

#[derive(Deserialize, Default)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout_post(State(s): State<AppState>, page: Page, Form(f): Form<CsrfForm>) -> Response {
    if let Some(sess) = &page.session {
        if let Err(e) = check_form_csrf(&page.headers, sess, &f.csrf) {
            return page.error(e);
        }
        if let Some(t) = crate::http::cookie(&page.headers, crate::http::SESSION_COOKIE) {
            let _ = s.store.delete_session(t).await;
        }
    }
    let mut resp = Redirect::to("/").into_response();
    set_cookie(&mut resp, session_cookie("", s.config.secure_cookies, 0));
    resp
}

// ---------------------------------------------------------------------------
// Catalogue administration

struct AdminRow {
    id: i64,
    name: String,
    code: String,
    department: String,
    version: i64,
    status: String,
    status_label: String,
    live: String,
    updated: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_items.html")]
struct AdminItemsPage {
    c: Chrome,
    rows: Vec<AdminRow>,
    q: String,
    statuses: Vec<Choice>,
    can_create: bool,
    can_import: bool,
}

async fn admin_home(
    State(s): State<AppState>,
    page: Page,
    Query(p): Query<AdminListParams>,
) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    let filter = or_err(&page, api::admin_filter(actor, &p))?;
    let rows = s
        .store
        .admin_items(&filter)
        .await
        .map_err(|e| store_err(&page, e))?;
    let lang = page.lang;
    Ok(AdminItemsPage {
        rows: rows
            .into_iter()
            .map(|r| AdminRow {
                id: r.latest.id,
                name: r.latest.doc.name.clone(),
                code: r.latest.impl_code.clone(),
                department: r.latest.department_name.clone(),
                version: r.latest.version,
                status: r.latest.status.as_str().into(),
                status_label: lang.t(r.latest.status.zh(), r.latest.status.en()).into(),
                live: r
                    .published_version
                    .map(|v| format!("v{v}"))
                    .unwrap_or_else(|| "—".into()),
                updated: fmt_time(r.latest.updated_at),
            })
            .collect(),
        q: p.q.clone().unwrap_or_default(),
        statuses: options(
            ItemStatus::ALL,
            p.status.as_deref().unwrap_or_default(),
            lang,
        ),
        can_create: actor.role == Role::CatalogAdmin,
        can_import: actor.may_import_catalog().is_ok(),
        c: page.chrome(),
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_item_new.html")]
struct NewItemPage {
    c: Chrome,
    errors: Vec<FieldError>,
    departments: Vec<Choice>,
    levels: Vec<Choice>,
    name: String,
    basic_code: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewItemForm {
    csrf: String,
    department_id: String,
    name: String,
    basic_code: String,
    exercise_level: String,
}

async fn new_item_form(
    s: &AppState,
    page: &Page,
    f: &NewItemForm,
    errors: Vec<FieldError>,
) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    let depts = s
        .store
        .departments()
        .await
        .map_err(|e| store_err(page, e))?;
    let lang = page.lang;
    let level = ExerciseLevel::parse(&f.exercise_level).unwrap_or(ExerciseLevel::County);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        NewItemPage {
            departments: depts
                .iter()
                .filter(|d| {
                    actor
                        .may_manage_item(Scope {
                            centre_path: &d.centre_path,
                            department_id: d.id,
                        })
                        .is_ok()
                })
                .map(|d| Choice {
                    value: d.id.to_string(),
                    label: d.name.clone(),
                    selected: f.department_id == d.id.to_string(),
                })
                .collect(),
            levels: options(ExerciseLevel::ALL, level.as_str(), lang),
            name: f.name.clone(),
            basic_code: f.basic_code.clone(),
            errors,
            c: page.chrome(),
        },
    )
        .into_response())
}

async fn new_item_page(State(s): State<AppState>, page: Page) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    if actor.role != Role::CatalogAdmin {
        return Err(page.error(ApiError::denied(tongban_domain::auth::Denied::Role)));
    }
    new_item_form(&s, &page, &NewItemForm::default(), vec![]).await
}

async fn new_item_post(
    State(s): State<AppState>,
    page: Page,
    Form(f): Form<NewItemForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let mut errs = FieldErrors::default();
    let dept = match f.department_id.parse::<i64>() {
        Ok(id) => s.store.department(id).await.ok(),
        Err(_) => None,
    };
    let Some(dept) = dept else {
        errs.push(FieldError::required("department_id", "实施部门"));
        return new_item_form(&s, &page, &f, errs.0).await;
    };
    or_err(
        &page,
        actor
            .may_manage_item(Scope {
                centre_path: &dept.centre_path,
                department_id: dept.id,
            })
            .map_err(ApiError::from),
    )?;
    let basic = BasicCode::parse(&f.basic_code).map_err(|e| e.into_field("basic_code", "基本编码"));
    let level = ExerciseLevel::parse(&f.exercise_level);
    if f.name.trim().is_empty() {
        errs.push(FieldError::required("name", "事项名称"));
    }
    if let Err(e) = &basic {
        errs.push(e.clone());
    }
    let (Ok(basic), Some(level), true) = (basic, level, errs.is_empty()) else {
        return new_item_form(&s, &page, &f, errs.0).await;
    };
    let agency = Agency {
        name: dept.name.clone(),
        credit_code: dept.credit_code.clone(),
    };
    let Some(doc) = ItemDoc::skeleton(f.name.trim(), agency, level, basic) else {
        return new_item_form(
            &s,
            &page,
            &f,
            vec![FieldError::new(
                "basic_code",
                "invalid",
                "无法生成实施编码",
                "cannot compose the implementation code",
            )],
        )
        .await;
    };
    match s
        .store
        .create_item(dept.id, &doc, Some(actor.user_id))
        .await
    {
        Ok(item) => {
            Ok(Redirect::to(&format!("/admin/items/{}?notice=created", item.id)).into_response())
        }
        Err(tongban_store::StoreError::Invalid(e)) => new_item_form(&s, &page, &f, e.0).await,
        Err(e) => Err(store_err(&page, e)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_item.html")]
struct AdminItemPage {
    c: Chrome,
    errors: Vec<FieldError>,
    notice: String,
    g: GuideView,
    id: i64,
    version: i64,
    status: String,
    status_label: String,
    updated: String,
    department: String,
    can_manage: bool,
    has_draft: bool,
    /// (severity, rule id, message, element)
    findings: Vec<(String, String, String, String)>,
    /// (id, version, status label, published at)
    versions: Vec<(i64, i64, String, String)>,
}

#[derive(Deserialize, Default)]
struct NoticeParam {
    notice: Option<String>,
}

fn notice_text(lang: Lang, key: Option<&str>) -> String {
    let (zh, en) = match key {
        Some("created") => (
            "草稿已创建。请填写各项要素后发布。",
            "Draft created. Fill in the elements, then publish.",
        ),
        Some("saved") => ("草稿已保存。", "Draft saved."),
        Some("published") => (
            "已发布，公开页面和搜索已更新。",
            "Published. The public page and search are updated.",
        ),
        Some("new_version") => (
            "已根据在用版本新建草稿。",
            "A new draft was made from the live version.",
        ),
        Some("retired") => (
            "事项已取消，不再公开。",
            "The item was retired and is no longer public.",
        ),
        Some("audit_done") => ("核查完成。", "Audit finished."),
        Some("fixed") => ("已记录整改。", "Rectification recorded."),
        Some("verified") => ("已核验。", "Verified."),
        Some("dept_saved") => ("部门已保存。", "Department saved."),
        _ => return String::new(),
    };
    lang.t(zh, en).to_string()
}

async fn render_admin_item(
    s: &AppState,
    page: &Page,
    item: ItemVersion,
    errors: Vec<FieldError>,
    notice: String,
) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    or_err(
        page,
        actor
            .may_view_catalog_admin(Scope {
                centre_path: &item.centre_path,
                department_id: item.department_id,
            })
            .map_err(ApiError::from),
    )?;
    let can_manage = actor
        .may_manage_item(Scope {
            centre_path: &item.centre_path,
            department_id: item.department_id,
        })
        .is_ok();
    let versions = s
        .store
        .item_versions(&item.impl_code)
        .await
        .map_err(|e| store_err(page, e))?;
    let has_draft = versions.iter().any(|v| v.status == ItemStatus::Draft);
    let lang = page.lang;
    let calendar = s.calendar();
    let ctx = AuditContext {
        today: s.today(),
        calendar: &calendar,
    };
    let findings = audit_item(&item.doc, &VersionFacts::default(), &ctx)
        .into_iter()
        .map(|f| {
            (
                f.severity.as_str().to_string(),
                f.rule_id,
                if lang == Lang::En {
                    f.message_en
                } else {
                    f.message_zh
                },
                f.element,
            )
        })
        .collect();
    Ok(AdminItemPage {
        g: GuideView::new(&item.doc, lang),
        id: item.id,
        version: item.version,
        status: item.status.as_str().into(),
        status_label: lang.t(item.status.zh(), item.status.en()).into(),
        updated: fmt_time(item.updated_at),
        department: item.department_name.clone(),
        can_manage,
        has_draft,
        findings,
        versions: versions
            .iter()
            .map(|v| {
                (
                    v.id,
                    v.version,
                    lang.t(v.status.zh(), v.status.en()).to_string(),
                    v.published_at.map(fmt_time).unwrap_or_default(),
                )
            })
            .collect(),
        errors,
        notice,
        c: page.chrome(),
    }
    .into_response())
}

async fn admin_item_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(n): Query<NoticeParam>,
) -> Result<Response, Response> {
    page.staff()?;
    let item = s
        .store
        .item_version(id)
        .await
        .map_err(|e| store_err(&page, e))?;
    render_admin_item(
        &s,
        &page,
        item,
        vec![],
        notice_text(page.lang, n.notice.as_deref()),
    )
    .await
}

async fn latest_redirect(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
) -> Result<Response, Response> {
    page.staff()?;
    let versions = s
        .store
        .item_versions(&code)
        .await
        .map_err(|e| store_err(&page, e))?;
    let v = versions
        .first()
        .ok_or_else(|| page.error(ApiError::not_found(&code)))?;
    Ok(Redirect::to(&format!("/admin/items/{}", v.id)).into_response())
}

/// Loads a version the signed-in admin may change.
async fn managed(s: &AppState, page: &Page, id: i64) -> Result<ItemVersion, Response> {
    let (_, actor) = page.staff()?;
    or_err(page, api::managed_version(s, actor, id).await)
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_item_edit.html")]
struct EditPage {
    c: Chrome,
    errors: Vec<FieldError>,
    id: i64,
    f: ItemForm,
    item_types: Vec<Choice>,
    business_kinds: Vec<Choice>,
    levels: Vec<Choice>,
    case_kinds: Vec<Choice>,
    legal_units: Vec<Choice>,
    promised_units: Vec<Choice>,
    depths: Vec<Choice>,
    result_types: Vec<Choice>,
}

fn edit_page_view(page: &Page, id: i64, f: ItemForm, errors: Vec<FieldError>) -> Response {
    let lang = page.lang;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let view = EditPage {
        item_types: options(ItemType::ALL, &f.item_type, lang),
        business_kinds: options(BusinessKind::ALL, &f.business_kind, lang),
        levels: options(ExerciseLevel::ALL, &f.exercise_level, lang),
        case_kinds: options(CaseKind::ALL, &f.case_kind, lang),
        legal_units: options(DayUnit::ALL, &f.legal_unit, lang),
        promised_units: options(DayUnit::ALL, &f.promised_unit, lang),
        depths: options(OnlineDepth::ALL, &f.online_depth, lang),
        result_types: options(ResultType::ALL, &f.result_type, lang),
        id,
        f,
        errors,
        c: page.chrome(),
    };
    (status, view).into_response()
}

fn must_be_draft(page: &Page, item: &ItemVersion) -> Result<(), Response> {
    if item.status == ItemStatus::Draft {
        Ok(())
    } else {
        Err(page.error(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "已发布的版本不能修改，请新建版本",
            "a published version cannot change; create a new version",
        )))
    }
}

async fn edit_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let item = managed(&s, &page, id).await?;
    must_be_draft(&page, &item)?;
    Ok(edit_page_view(
        &page,
        id,
        ItemForm::from_doc(&item.doc, item.updated_at),
        vec![],
    ))
}

async fn edit_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<ItemForm>,
) -> Result<Response, Response> {
    page.posted(&f.csrf)?;
    let item = managed(&s, &page, id).await?;
    must_be_draft(&page, &item)?;
    let doc = match f.apply(&item.doc) {
        Ok(d) => d,
        Err(e) => return Ok(edit_page_view(&page, id, f, e.0)),
    };
    let expected = f.updated_at.parse::<i64>().ok();
    match s
        .store
        .update_draft_by(id, &doc, expected, page.user_id())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/admin/items/{id}?notice=saved")).into_response()),
        Err(tongban_store::StoreError::Invalid(e)) => Ok(edit_page_view(&page, id, f, e.0)),
        Err(tongban_store::StoreError::Conflict { zh, en }) => {
            // Keep what was typed; the summary says why it was not saved.
            let e = FieldError::new("updated_at", "conflict", zh, en);
            Ok(edit_page_view(&page, id, f, vec![e]))
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_material.html")]
struct MaterialPage {
    c: Chrome,
    errors: Vec<FieldError>,
    id: i64,
    index: usize,
    is_new: bool,
    item_name: String,
    action: String,
    f: MaterialForm,
    types: Vec<Choice>,
    sources: Vec<Choice>,
    necessities: Vec<Choice>,
    forms: Vec<Choice>,
    trust: Vec<Choice>,
}

fn material_view(
    page: &Page,
    item: &ItemVersion,
    index: Option<usize>,
    f: MaterialForm,
    errors: Vec<FieldError>,
) -> Response {
    let lang = page.lang;
    let types = options(MaterialType::ALL, &f.material_type, lang);
    let sources = options(MaterialSource::ALL, &f.source, lang);
    let necessities = options(Necessity::ALL, &f.necessity, lang);
    let forms = options(SubmitForm::ALL, &f.submit_form, lang);
    let trust = options(TrustLevel::ALL, &f.trust_level, lang);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let action = match index {
        Some(i) => format!("/admin/items/{}/materials/{i}", item.id),
        None => format!("/admin/items/{}/materials/new", item.id),
    };
    (
        status,
        MaterialPage {
            id: item.id,
            index: index.unwrap_or(0),
            is_new: index.is_none(),
            item_name: item.doc.name.clone(),
            action,
            f,
            types,
            sources,
            necessities,
            forms,
            trust,
            errors,
            c: page.chrome(),
        },
    )
        .into_response()
}

async fn material_new_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let item = managed(&s, &page, id).await?;
    must_be_draft(&page, &item)?;
    let f = MaterialForm {
        material_type: "1".into(),
        updated_at: item.updated_at.to_string(),
        originals: "0".into(),
        copies: "0".into(),
        ..Default::default()
    };
    Ok(material_view(&page, &item, None, f, vec![]))
}

async fn save_material(
    s: &AppState,
    page: &Page,
    item: ItemVersion,
    index: Option<usize>,
    f: MaterialForm,
) -> Result<Response, Response> {
    let base = index.and_then(|i| item.doc.materials.get(i));
    let m = match f.to_material(base) {
        Ok(m) => m,
        Err(e) => return Ok(material_view(page, &item, index, f, e.0)),
    };
    let mut doc = item.doc.clone();
    match index {
        Some(i) if i < doc.materials.len() => doc.materials[i] = m,
        Some(_) => return Err(page.error(ApiError::not_found("material"))),
        None => doc.materials.push(m),
    }
    match s
        .store
        .update_draft_by(item.id, &doc, f.updated_at.parse().ok(), page.user_id())
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/admin/items/{}?notice=saved", item.id)).into_response())
        }
        Err(tongban_store::StoreError::Invalid(e)) => Ok(material_view(page, &item, index, f, e.0)),
        Err(tongban_store::StoreError::Conflict { zh, en }) => {
            let e = FieldError::new("updated_at", "conflict", zh, en);
            Ok(material_view(page, &item, index, f, vec![e]))
        }
        Err(e) => Err(store_err(page, e)),
    }
}

async fn material_new_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<MaterialForm>,
) -> Result<Response, Response> {
    page.posted(&f.csrf)?;
    let item = managed(&s, &page, id).await?;
    must_be_draft(&page, &item)?;
    save_material(&s, &page, item, None, f).await
}

async fn material_page(
    State(s): State<AppState>,
    page: Page,
    Path((id, idx)): Path<(i64, usize)>,
) -> Result<Response, Response> {
    let item = managed(&s, &page, id).await?;
    must_be_draft(&page, &item)?;
    let m = item
        .doc
        .materials
        .get(idx)
        .ok_or_else(|| page.error(ApiError::not_found("material")))?;
    let f = MaterialForm::from_material(m, item.updated_at);
    Ok(material_view(&page, &item, Some(idx), f, vec![]))
}

async fn material_post(
    State(s): State<AppState>,
    page: Page,
    Path((id, idx)): Path<(i64, usize)>,
    Form(f): Form<MaterialForm>,
) -> Result<Response, Response> {
    page.posted(&f.csrf)?;
    let item = managed(&s, &page, id).await?;
    must_be_draft(&page, &item)?;
    save_material(&s, &page, item, Some(idx), f).await
}

async fn material_delete(
    State(s): State<AppState>,
    page: Page,
    Path((id, idx)): Path<(i64, usize)>,
    Form(f): Form<MaterialForm>,
) -> Result<Response, Response> {
    page.posted(&f.csrf)?;
    let item = managed(&s, &page, id).await?;
    must_be_draft(&page, &item)?;
    let mut doc = item.doc.clone();
    if idx >= doc.materials.len() {
        return Err(page.error(ApiError::not_found("material")));
    }
    doc.materials.remove(idx);
    s.store
        .update_draft_by(id, &doc, f.updated_at.parse().ok(), page.user_id())
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to(&format!("/admin/items/{id}?notice=saved")).into_response())
}

async fn publish_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let uid = actor.user_id;
    managed(&s, &page, id).await?;
    s.store
        .publish(id, Some(uid))
        .await
        .map_err(|e| store_err(&page, e))?;
    s.refresh_search_now().await;
    Ok(Redirect::to(&format!("/admin/items/{id}?notice=published")).into_response())
}

async fn delete_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    page.posted(&f.csrf)?;
    let item = managed(&s, &page, id).await?;
    s.store
        .delete_draft_by(id, page.user_id())
        .await
        .map_err(|e| store_err(&page, e))?;
    let versions = s
        .store
        .item_versions(&item.impl_code)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(match versions.first() {
        Some(v) => Redirect::to(&format!("/admin/items/{}", v.id)),
        None => Redirect::to("/admin"),
    }
    .into_response())
}

async fn code_scope_check(s: &AppState, page: &Page, code: &str) -> Result<ItemVersion, Response> {
    let (_, actor) = page.staff()?;
    let versions = s
        .store
        .item_versions(code)
        .await
        .map_err(|e| store_err(page, e))?;
    let latest = versions
        .into_iter()
        .next()
        .ok_or_else(|| page.error(ApiError::not_found(code)))?;
    or_err(
        page,
        actor
            .may_manage_item(Scope {
                centre_path: &latest.centre_path,
                department_id: latest.department_id,
            })
            .map_err(ApiError::from),
    )?;
    Ok(latest)
}

async fn new_version_post(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let uid = actor.user_id;
    code_scope_check(&s, &page, &code).await?;
    let v = s
        .store
        .new_version(&code, Some(uid))
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to(&format!("/admin/items/{}?notice=new_version", v.id)).into_response())
}

async fn retire_post(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let uid = actor.user_id;
    code_scope_check(&s, &page, &code).await?;
    let v = s
        .store
        .retire(&code, Some(uid))
        .await
        .map_err(|e| store_err(&page, e))?;
    s.refresh_search_now().await;
    Ok(Redirect::to(&format!("/admin/items/{}?notice=retired", v.id)).into_response())
}

// ---------------------------------------------------------------------------
// Guide audit pages

struct FindingRow {
    id: i64,
    impl_code: String,
    item_name: String,
    item_version: i64,
    rule_id: String,
    severity: String,
    severity_label: String,
    element: String,
    message: String,
    fix_note: String,
    status_label: String,
    can_fix: bool,
    can_verify: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    c: Chrome,
    errors: Vec<FieldError>,
    notice: String,
    status: String,
    item: String,
    open: usize,
    fixed: usize,
    verified: usize,
    last_run: String,
    rows: Vec<FindingRow>,
    /// (id, severity, title)
    rules: Vec<(String, String, String)>,
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    status: Option<String>,
    item: Option<String>,
    notice: Option<String>,
    error: Option<String>,
    finding: Option<i64>,
}

async fn audit_page(
    State(s): State<AppState>,
    page: Page,
    Query(q): Query<AuditQuery>,
) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    let status = q
        .status
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "open".into());
    let params = FindingParams {
        status: Some(status.clone()),
        item: q.item.clone(),
        department: None,
        rule: None,
    };
    let filter = or_err(&page, api::finding_filter(actor, &params))?;
    let rows = s
        .store
        .findings(&filter)
        .await
        .map_err(|e| store_err(&page, e))?;
    let all = s
        .store
        .findings(&FindingFilter {
            status: None,
            ..filter.clone()
        })
        .await
        .map_err(|e| store_err(&page, e))?;
    let count = |st: FindingStatus| all.iter().filter(|f| f.status == st).count();
    let lang = page.lang;
    let runs = s
        .store
        .audit_runs(1)
        .await
        .map_err(|e| store_err(&page, e))?;
    let last_run = match runs.first() {
        Some(r) => format!(
            "{}{}（{}）：{} {} {}，{} {}，{} {}",
            lang.t("最近一次核查：", "Last run: "),
            fmt_time(r.finished_at),
            if r.trigger == "schedule" {
                lang.t("每月自动", "monthly schedule")
            } else {
                lang.t("手动", "manual")
            },
            r.items,
            lang.t("个事项，发现", "items, findings"),
            r.findings,
            lang.t("新增", "new"),
            r.opened,
            lang.t("消除", "closed"),
            r.closed
        ),
        None => lang.t("尚未核查。", "Not run yet.").to_string(),
    };
    Ok(AuditPage {
        rows: rows
            .into_iter()
            .map(|f| {
                let scope = Scope {
                    centre_path: &f.centre_path,
                    department_id: f.department_id,
                };
                FindingRow {
                    can_fix: f.status == FindingStatus::Open
                        && actor.may_fix_finding(scope).is_ok(),
                    can_verify: f.status == FindingStatus::Fixed
                        && actor.may_verify_finding(scope).is_ok()
                        && f.fixed_by != Some(actor.user_id),
                    id: f.id,
                    impl_code: f.impl_code,
                    item_name: f.item_name,
                    item_version: f.item_version,
                    rule_id: f.rule_id,
                    severity: f.severity.as_str().into(),
                    severity_label: lang.t(f.severity.zh(), f.severity.as_str()).into(),
                    element: f.element,
                    message: if lang == Lang::En {
                        f.message_en
                    } else {
                        f.message_zh
                    },
                    fix_note: f.fix_note,
                    status_label: lang.t(f.status.zh(), f.status.as_str()).into(),
                }
            })
            .collect(),
        open: count(FindingStatus::Open),
        fixed: count(FindingStatus::Fixed),
        verified: count(FindingStatus::Verified),
        rules: RULES
            .iter()
            .map(|r| {
                (
                    r.id.to_string(),
                    lang.t(r.severity.zh(), r.severity.as_str()).to_string(),
                    lang.t(r.title_zh, r.title_en).to_string(),
                )
            })
            .collect(),
        last_run,
        status,
        item: q.item.unwrap_or_default(),
        notice: notice_text(lang, q.notice.as_deref()),
        errors: match (q.error.as_deref(), q.finding) {
            (Some("note"), Some(id)) => vec![FieldError::new(
                format!("note-{id}"),
                "required",
                "请填写整改说明后再标记已整改",
                "say what was done before marking the finding fixed",
            )],
            _ => vec![],
        },
        c: page.chrome(),
    }
    .into_response())
}

async fn audit_run_post(
    State(s): State<AppState>,
    page: Page,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    or_err(&page, actor.may_audit().map_err(ApiError::from))?;
    s.store
        .run_audit("manual", Some(actor.user_id), s.today(), &s.calendar())
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to("/admin/audit?notice=audit_done").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FixForm {
    csrf: String,
    note: String,
}

async fn fix_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<FixForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let finding = s.store.finding(id).await.map_err(|e| store_err(&page, e))?;
    or_err(
        &page,
        actor
            .may_fix_finding(Scope {
                centre_path: &finding.centre_path,
                department_id: finding.department_id,
            })
            .map_err(ApiError::from),
    )?;
    match s.store.mark_finding_fixed(id, actor.user_id, &f.note).await {
        Ok(_) => {}
        Err(tongban_store::StoreError::Invalid(_)) => {
            return Ok(
                Redirect::to(&format!("/admin/audit?error=note&finding={id}")).into_response(),
            );
        }
        Err(e) => return Err(store_err(&page, e)),
    }
    Ok(Redirect::to("/admin/audit?notice=fixed").into_response())
}

async fn verify_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let finding = s.store.finding(id).await.map_err(|e| store_err(&page, e))?;
    or_err(
        &page,
        actor
            .may_verify_finding(Scope {
                centre_path: &finding.centre_path,
                department_id: finding.department_id,
            })
            .map_err(ApiError::from),
    )?;
    s.store
        .verify_finding(id, actor.user_id)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to("/admin/audit?status=fixed&notice=verified").into_response())
}

// ---------------------------------------------------------------------------
// Departments and import

#[derive(Template, WebTemplate)]
#[template(path = "admin_departments.html")]
struct DepartmentsPage {
    c: Chrome,
    errors: Vec<FieldError>,
    notice: String,
    departments: Vec<api::DepartmentView>,
    can_edit: bool,
    edit_id: i64,
    form: DeptForm,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct DeptForm {
    csrf: String,
    name: String,
    short_name: String,
    credit_code: String,
    phone: String,
    address: String,
}

async fn departments_view(
    s: &AppState,
    page: &Page,
    edit_id: i64,
    form: DeptForm,
    errors: Vec<FieldError>,
    notice: String,
) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    let all = s
        .store
        .departments()
        .await
        .map_err(|e| store_err(page, e))?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        DepartmentsPage {
            departments: all
                .into_iter()
                .filter(|d| d.centre_path.starts_with(&actor.centre_path))
                .map(Into::into)
                .collect(),
            can_edit: actor.may_administer_system().is_ok(),
            edit_id,
            form,
            errors,
            notice,
            c: page.chrome(),
        },
    )
        .into_response())
}

async fn departments_page(
    State(s): State<AppState>,
    page: Page,
    Query(n): Query<NoticeParam>,
) -> Result<Response, Response> {
    departments_view(
        &s,
        &page,
        0,
        DeptForm::default(),
        vec![],
        notice_text(page.lang, n.notice.as_deref()),
    )
    .await
}

async fn department_edit_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    or_err(&page, actor.may_administer_system().map_err(ApiError::from))?;
    let d = s
        .store
        .department(id)
        .await
        .map_err(|e| store_err(&page, e))?;
    if !d.centre_path.starts_with(&actor.centre_path) {
        return Err(page.error(ApiError::denied(tongban_domain::auth::Denied::Department)));
    }
    let form = DeptForm {
        csrf: String::new(),
        name: d.name,
        short_name: d.short_name,
        credit_code: d.credit_code.to_string(),
        phone: d.phone,
        address: d.address,
    };
    departments_view(&s, &page, id, form, vec![], String::new()).await
}

async fn save_department(
    s: &AppState,
    page: &Page,
    id: Option<i64>,
    f: DeptForm,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    or_err(page, actor.may_administer_system().map_err(ApiError::from))?;
    if let Some(id) = id {
        let d = s
            .store
            .department(id)
            .await
            .map_err(|e| store_err(page, e))?;
        if !d.centre_path.starts_with(&actor.centre_path) {
            return Err(page.error(ApiError::denied(tongban_domain::auth::Denied::Department)));
        }
    }
    let req = DepartmentRequest {
        name: f.name.clone(),
        short_name: f.short_name.clone(),
        credit_code: f.credit_code.clone(),
        phone: f.phone.clone(),
        address: f.address.clone(),
    };
    let input = match req.parse() {
        Ok(i) => i,
        Err(e) => {
            return departments_view(s, page, id.unwrap_or(0), f, e.details, String::new()).await;
        }
    };
    let r = match id {
        Some(id) => {
            s.store
                .update_department_by(id, &input, Some(actor.user_id))
                .await
        }
        None => {
            s.store
                .create_department_by(actor.centre_id, &input, Some(actor.user_id))
                .await
        }
    };
    match r {
        Ok(_) => Ok(Redirect::to("/admin/departments?notice=dept_saved").into_response()),
        Err(tongban_store::StoreError::Invalid(e)) => {
            departments_view(s, page, id.unwrap_or(0), f, e.0, String::new()).await
        }
        Err(e) => Err(store_err(page, e)),
    }
}

async fn department_create_post(
    State(s): State<AppState>,
    page: Page,
    Form(f): Form<DeptForm>,
) -> Result<Response, Response> {
    save_department(&s, &page, None, f).await
}

async fn department_update_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<DeptForm>,
) -> Result<Response, Response> {
    save_department(&s, &page, Some(id), f).await
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_import.html")]
struct ImportPage {
    c: Chrome,
    errors: Vec<FieldError>,
    notice: String,
}

async fn import_page(page: Page) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    or_err(&page, actor.may_import_catalog().map_err(ApiError::from))?;
    Ok(ImportPage {
        c: page.chrome(),
        errors: vec![],
        notice: String::new(),
    }
    .into_response())
}

async fn import_post(
    State(s): State<AppState>,
    page: Page,
    mut mp: Multipart,
) -> Result<Response, Response> {
    let mut csrf = String::new();
    let mut text = String::new();
    while let Ok(Some(field)) = mp.next_field().await {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => text = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    let (_, actor) = page.posted(&csrf)?;
    or_err(&page, actor.may_import_catalog().map_err(ApiError::from))?;
    let (centre, uid) = (actor.centre_id, actor.user_id);
    match s.store.import_catalog(centre, &text, Some(uid)).await {
        Ok(r) => {
            s.refresh_search_now().await;
            let notice = format!(
                "{} {} / {} {} / {} {} / {} {}",
                page.t("新增事项", "items created"),
                r.items_created,
                page.t("新增版本", "versions created"),
                r.versions_created,
                page.t("未变化", "unchanged"),
                r.unchanged,
                page.t("新增部门", "departments created"),
                r.departments_created
            );
            Ok(ImportPage {
                c: page.chrome(),
                errors: vec![],
                notice,
            }
            .into_response())
        }
        Err(tongban_store::StoreError::Invalid(e)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            ImportPage {
                c: page.chrome(),
                errors: e.0,
                notice: String::new(),
            },
        )
            .into_response()),
        Err(e) => Err(store_err(&page, e)),
    }
}
