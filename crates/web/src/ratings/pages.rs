//! Rating pages: the applicant rates a completed case or bundle application
//! (or window staff enter a hotline rating on their word, or open the
//! tablet); the window's tablet page rates one case without signing in.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Role};
use tongban_domain::ratings::{Level, REASONS, RatingChannel, RatingInput};
use tongban_store::StoreError;
use tongban_store::ratings::{NewRating, Rating, Subject};

use crate::AppState;
use crate::chrome::{Chrome, Page, form_value, posted, signed_in, store_err};

/// One radio group: the indicator (or the whole) and its chosen level.
pub(super) struct Scale {
    pub key: String,
    /// The field errors name (`indicators.<key>`).
    pub field: String,
    pub label: String,
    pub chosen: i64,
}

/// One reason to tick.
pub(super) struct ReasonBox {
    pub code: &'static str,
    pub label: String,
    pub ticked: bool,
}

/// A rating already given, as the page lists it.
pub(super) struct Given {
    pub channel: String,
    pub level: String,
    pub reasons: String,
    pub comment: String,
    pub day: String,
    pub note: String,
    /// The 差评's rectification page, where the applicant follows it and
    /// gives their verdict ("" when there is none).
    pub rectification: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "ratings/rate.html")]
struct RatePage {
    c: Chrome,
    errors: Vec<FieldError>,
    action: String,
    title: String,
    subject_no: String,
    item_name: String,
    completed_on: String,
    last_day: String,
    /// Whom the page is for: the applicant (online), staff (hotline), or
    /// the tablet (on site).
    channel: &'static str,
    levels: Vec<(i64, String)>,
    whole: i64,
    scales: Vec<Scale>,
    reasons: Vec<ReasonBox>,
    comment: String,
    given: Vec<Given>,
    /// The form is shown: this channel has no rating yet.
    open: bool,
    /// Window staff may open the tablet for this case.
    tablet: String,
    /// For a bundle: the services a rating may name (id, name), and the chosen one.
    services: Vec<(i64, String)>,
    service: Option<i64>,
    done: String,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct DoneQuery {
    #[serde(default)]
    done: String,
}

fn scales(channel: RatingChannel, lang: crate::http::Lang, chosen: &RatingInput) -> Vec<Scale> {
    channel
        .indicators()
        .iter()
        .filter(|i| i.key != "overall")
        .map(|i| Scale {
            key: i.key.into(),
            field: format!("indicators.{}", i.key),
            label: lang.t(i.zh, i.en).into(),
            chosen: chosen.indicators.get(i.key).copied().unwrap_or(0),
        })
        .collect()
}

fn reason_boxes(lang: crate::http::Lang, chosen: &RatingInput) -> Vec<ReasonBox> {
    REASONS
        .iter()
        .map(|r| ReasonBox {
            code: r.code,
            label: lang.t(r.zh, r.en).into(),
            ticked: chosen.reasons.iter().any(|c| c == r.code),
        })
        .collect()
}

fn levels(lang: crate::http::Lang) -> Vec<(i64, String)> {
    Level::ALL
        .iter()
        .map(|l| (l.number(), lang.t(l.zh(), l.en()).to_string()))
        .collect()
}

pub(super) fn given(r: &Rating, lang: crate::http::Lang) -> Given {
    Given {
        channel: lang.t(r.channel.zh(), r.channel.en()).into(),
        level: lang.t(r.level.zh(), r.level.en()).into(),
        reasons: r
            .reasons
            .iter()
            .filter_map(|c| tongban_domain::ratings::reason(c))
            .map(|x| lang.t(x.zh, x.en).to_string())
            .collect::<Vec<_>>()
            .join("、"),
        comment: r.comment.clone(),
        day: r.rated_on.to_string(),
        rectification: r
            .rectification_id
            .map(|id| format!("/rectifications/{id}"))
            .unwrap_or_default(),
        note: if r.superseded_by.is_some() {
            lang.t("已更正", "corrected").into()
        } else if r.excluded {
            lang.t("申诉成立，不计入统计", "appeal upheld: not counted")
                .into()
        } else if r.is_default {
            lang.t("默认评价", "default rating").into()
        } else {
            String::new()
        },
    }
}

/// The rating read from a posted form: `level`, `ind_<key>`, `reason`
/// (repeated), `comment`.
fn input_of(raw: &[(String, String)]) -> RatingInput {
    RatingInput {
        level: form_value(raw, "level").parse().unwrap_or(0),
        indicators: raw
            .iter()
            .filter_map(|(k, v)| {
                let key = k.strip_prefix("ind_")?;
                Some((key.to_string(), v.parse().unwrap_or(0)))
            })
            .collect(),
        reasons: raw
            .iter()
            .filter(|(k, _)| k == "reason")
            .map(|(_, v)| v.clone())
            .collect(),
        comment: form_value(raw, "comment"),
    }
}

/// The channel a signed-in person rates on: the applicant online, window
/// staff on the hotline; anyone else only reads.
fn channel_of(actor: &Actor) -> Option<RatingChannel> {
    match actor.role {
        // A concierge rates online for the enterprise, under its
        // authorization (the store checks it and records both).
        Role::Applicant | Role::Concierge => Some(RatingChannel::Online),
        Role::Clerk => Some(RatingChannel::Hotline),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
async fn rate_view(
    s: &AppState,
    page: &Page,
    actor: &Actor,
    subject: Subject,
    id: i64,
    errors: Vec<FieldError>,
    chosen: RatingInput,
    service: Option<i64>,
    done: &str,
) -> Result<Response, Response> {
    let lang = page.lang;
    let (inv, ratings) = s
        .store
        .rating_subject(actor, subject, id)
        .await
        .map_err(|e| store_err(page, e))?;
    let last = s
        .store
        .last_rating_day(&inv, &s.calendar())
        .await
        .map_err(|e| store_err(page, e))?;
    let channel = channel_of(actor);
    let open = channel.is_some_and(|ch| !ratings.iter().any(|r| r.channel == ch && !r.is_default))
        && last.is_none_or(|l| s.today() <= l);
    let base = match subject {
        Subject::Case => format!("/cases/{id}"),
        Subject::Bundle => format!("/bundle-cases/{id}"),
    };
    let services = if subject == Subject::Bundle && channel.is_some() {
        s.store
            .bundle_for(actor, id)
            .await
            .map(|b| {
                b.sub_cases
                    .iter()
                    .map(|c| (c.id, c.item_name.clone()))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let ch = channel.unwrap_or(RatingChannel::Online);
    Ok((
        status,
        RatePage {
            c: page.chrome(),
            errors,
            action: format!("{base}/rate"),
            title: match channel {
                Some(RatingChannel::Hotline) => lang
                    .t("录入热线评价（按申请人口述）", "Enter a hotline rating (as the applicant says)")
                    .into(),
                _ => lang.t("评价本次服务", "Rate this service").into(),
            },
            subject_no: inv.subject_no.clone(),
            item_name: inv.item_name.clone(),
            completed_on: inv.completed_on.to_string(),
            last_day: last.map(|d| d.to_string()).unwrap_or_default(),
            channel: ch.as_str(),
            levels: levels(lang),
            whole: chosen.level,
            scales: scales(ch, lang, &chosen),
            reasons: reason_boxes(lang, &chosen),
            comment: chosen.comment.clone(),
            given: ratings.iter().map(|r| given(r, lang)).collect(),
            open,
            tablet: if actor.role == Role::Clerk
                && !ratings.iter().any(|r| r.channel == RatingChannel::OnSite)
            {
                format!("{base}/onsite")
            } else {
                String::new()
            },
            services,
            service,
            done: match done {
                "bad" => lang
                    .t(
                        "感谢您的评价。您的意见已转交承办单位，将在1个工作日内回访您，并限期整改。",
                        "Thank you. Your rating went to the unit that handled it: they will contact you within 1 working day and put it right within the set time.",
                    )
                    .into(),
                "ok" => lang.t("感谢您的评价。", "Thank you for your rating.").into(),
                _ => String::new(),
            },
        },
    )
        .into_response())
}

pub(super) async fn rate_case_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    rate_view(
        &s,
        &page,
        &actor,
        Subject::Case,
        id,
        vec![],
        RatingInput::default(),
        None,
        &q.done,
    )
    .await
}

pub(super) async fn rate_bundle_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    rate_view(
        &s,
        &page,
        &actor,
        Subject::Bundle,
        id,
        vec![],
        RatingInput::default(),
        None,
        &q.done,
    )
    .await
}

async fn rate_post(
    s: &AppState,
    page: &Page,
    subject: Subject,
    id: i64,
    raw: &[(String, String)],
) -> Result<Response, Response> {
    let actor = posted(page, &form_value(raw, "csrf"))?;
    let Some(channel) = channel_of(&actor) else {
        return Err(page.error(crate::http::ApiError::denied(
            tongban_domain::auth::Denied::Role,
        )));
    };
    let input = input_of(raw);
    let service = form_value(raw, "sub_case_id").parse().ok();
    let new = NewRating {
        channel,
        input: input.clone(),
        sub_case_id: service,
    };
    match s
        .store
        .rate(&actor, subject, id, &new, &s.calendar(), s.today())
        .await
    {
        Ok(r) => {
            let base = match subject {
                Subject::Case => format!("/cases/{id}"),
                Subject::Bundle => format!("/bundle-cases/{id}"),
            };
            let done = if r.level.is_bad() { "bad" } else { "ok" };
            Ok(Redirect::to(&format!("{base}/rate?done={done}")).into_response())
        }
        Err(StoreError::Invalid(e)) => {
            rate_view(s, page, &actor, subject, id, e.0, input, service, "").await
        }
        Err(StoreError::Conflict { zh, en }) => {
            let e = FieldError::new("level", "conflict", zh, en);
            rate_view(s, page, &actor, subject, id, vec![e], input, service, "").await
        }
        Err(e) => Err(store_err(page, e)),
    }
}

pub(super) async fn rate_case_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, Response> {
    rate_post(&s, &page, Subject::Case, id, &raw).await
}

pub(super) async fn rate_bundle_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, Response> {
    rate_post(&s, &page, Subject::Bundle, id, &raw).await
}

#[derive(Template, WebTemplate)]
#[template(path = "ratings/onsite_open.html")]
struct OnsiteOpenPage {
    c: Chrome,
    subject_no: String,
    item_name: String,
    link: String,
    qr_svg: String,
    expires: String,
}

async fn onsite_post(
    s: &AppState,
    page: &Page,
    subject: Subject,
    id: i64,
    raw: &[(String, String)],
) -> Result<Response, Response> {
    let actor = posted(page, &form_value(raw, "csrf"))?;
    let (token, shown) = s
        .store
        .open_onsite_rating(&actor, subject, id, &s.calendar(), s.today())
        .await
        .map_err(|e| store_err(page, e))?;
    let link = format!(
        "{}/r/{token}",
        crate::chrome::site_base(&s.config, &page.headers)
    );
    Ok(OnsiteOpenPage {
        c: page.chrome(),
        subject_no: shown.subject_no,
        item_name: shown.item_name,
        qr_svg: crate::chrome::qr_svg(&link),
        link,
        expires: crate::chrome::fmt_time(shown.expires_at),
    }
    .into_response())
}

pub(super) async fn onsite_case_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, Response> {
    onsite_post(&s, &page, Subject::Case, id, &raw).await
}

pub(super) async fn onsite_bundle_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, Response> {
    onsite_post(&s, &page, Subject::Bundle, id, &raw).await
}

#[derive(Template, WebTemplate)]
#[template(path = "ratings/tablet.html")]
struct TabletPage {
    c: Chrome,
    errors: Vec<FieldError>,
    action: String,
    subject_no: String,
    item_name: String,
    levels: Vec<(i64, String)>,
    whole: i64,
    scales: Vec<Scale>,
    reasons: Vec<ReasonBox>,
    comment: String,
    thanks: bool,
}

/// The window's tablet: one case, no sign-in, no personal data.
pub(super) async fn tablet_page(
    State(s): State<AppState>,
    page: Page,
    Path(token): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, Response> {
    if q.done == "ok" {
        return Ok(tablet_view(
            &page,
            &token,
            None,
            vec![],
            RatingInput::default(),
            true,
        ));
    }
    let shown = s
        .store
        .onsite_case(&token)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(tablet_view(
        &page,
        &token,
        Some((shown.subject_no, shown.item_name)),
        vec![],
        RatingInput::default(),
        false,
    ))
}

fn tablet_view(
    page: &Page,
    token: &str,
    shown: Option<(String, String)>,
    errors: Vec<FieldError>,
    chosen: RatingInput,
    thanks: bool,
) -> Response {
    let lang = page.lang;
    let (subject_no, item_name) = shown.unwrap_or_default();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        TabletPage {
            c: page.chrome(),
            errors,
            action: format!("/r/{token}"),
            subject_no,
            item_name,
            levels: levels(lang),
            whole: chosen.level,
            scales: scales(RatingChannel::OnSite, lang, &chosen),
            reasons: reason_boxes(lang, &chosen),
            comment: chosen.comment.clone(),
            thanks,
        },
    )
        .into_response()
}

pub(super) async fn tablet_post(
    State(s): State<AppState>,
    page: Page,
    Path(token): Path<String>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let input = input_of(&raw);
    match s
        .store
        .rate_onsite(&token, &input, &s.calendar(), s.today())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/r/{token}?done=ok")).into_response()),
        Err(StoreError::Invalid(e)) => {
            let shown = s
                .store
                .onsite_case(&token)
                .await
                .map_err(|e| store_err(&page, e))?;
            Ok(tablet_view(
                &page,
                &token,
                Some((shown.subject_no, shown.item_name)),
                e.0,
                input,
                false,
            ))
        }
        Err(e) => Err(store_err(&page, e)),
    }
}
