//! The ratings' JSON API: the published scheme, rating a case or a bundle
//! application, corrections, the window's tablet, the staff's lists and
//! exports, rectifications and appeals, and the public figures.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tongban_domain::privacy::Sight;
use tongban_domain::ratings::{Level, REASONS, REASONS_VERSION, RatingChannel};
use tongban_store::ratings::{NewRating, RatingFilter, Subject};

use super::json::*;
use super::{export, period};
use crate::AppState;
use crate::http::{ApiError, ApiUser, Json, check_origin};

/// The published rating scheme: the five levels, each channel's indicators
/// and the versioned list of 差评 reasons.
#[utoipa::path(get, path = "/api/v1/ratings/reasons", tag = "ratings", responses((status = 200, body = ReasonsView)))]
pub(super) async fn api_reasons() -> Json<ReasonsView> {
    Json(ReasonsView {
        version: REASONS_VERSION.into(),
        reasons: REASONS.to_vec(),
        levels: Level::ALL
            .iter()
            .map(|l| LevelView {
                level: l.number(),
                zh: l.zh().into(),
                en: l.en().into(),
            })
            .collect(),
        channels: RatingChannel::ALL
            .iter()
            .map(|c| ChannelView {
                channel: *c,
                indicators: c
                    .indicators()
                    .iter()
                    .map(|i| IndicatorView {
                        key: i.key.into(),
                        zh: i.zh.into(),
                        en: i.en.into(),
                    })
                    .collect(),
            })
            .collect(),
    })
}

async fn subject_view(
    s: &AppState,
    actor: &tongban_domain::auth::Actor,
    subject: Subject,
    id: i64,
) -> Result<RatingSubjectView, ApiError> {
    let (inv, ratings) = s.store.rating_subject(actor, subject, id).await?;
    let last = s.store.last_rating_day(&inv, &s.calendar()).await?;
    Ok(RatingSubjectView::new(
        &inv,
        last,
        &ratings,
        &Sight::of(actor),
    ))
}

/// A completed case with its ratings so far (the applicant, the centre's
/// window staff, its department, supervisors).
#[utoipa::path(get, path = "/api/v1/cases/{id}/rating", tag = "ratings", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = RatingSubjectView), (status = 404, body = crate::http::ErrorBody)))]
pub(super) async fn api_case_rating(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<RatingSubjectView>, ApiError> {
    Ok(Json(subject_view(&s, &actor, Subject::Case, id).await?))
}

/// A completed bundle application (rated as one) with its ratings so far.
#[utoipa::path(get, path = "/api/v1/bundle-cases/{id}/rating", tag = "ratings", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = RatingSubjectView), (status = 404, body = crate::http::ErrorBody)))]
pub(super) async fn api_bundle_rating(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<RatingSubjectView>, ApiError> {
    Ok(Json(subject_view(&s, &actor, Subject::Bundle, id).await?))
}

async fn rate(
    s: &AppState,
    actor: &tongban_domain::auth::Actor,
    subject: Subject,
    id: i64,
    r: &RatingRequest,
) -> Result<Response, ApiError> {
    let new = NewRating {
        channel: r.channel,
        input: r.input(),
        sub_case_id: r.sub_case_id,
    };
    let g = s
        .store
        .rate(actor, subject, id, &new, &s.calendar(), s.today())
        .await?;
    Ok((StatusCode::CREATED, Json(RatingView::from(&g))).into_response())
}

/// Rates a completed case: online by its applicant, or on the hotline
/// entered by the centre's window staff. One per channel (409 after); a
/// 差评 needs reasons and opens a rectification.
#[utoipa::path(post, path = "/api/v1/cases/{id}/ratings", tag = "ratings", security(("session" = [])), params(("id" = i64, Path)), request_body = RatingRequest,
    responses((status = 201, body = RatingView), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_rate_case(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<RatingRequest>,
) -> Result<Response, ApiError> {
    rate(&s, &actor, Subject::Case, id, &r).await
}

/// Rates a completed bundle application as one; `sub_case_id` names the
/// service a 差评 is about (its department rectifies; none: the centre).
#[utoipa::path(post, path = "/api/v1/bundle-cases/{id}/ratings", tag = "ratings", security(("session" = [])), params(("id" = i64, Path)), request_body = RatingRequest,
    responses((status = 201, body = RatingView), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_rate_bundle(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<RatingRequest>,
) -> Result<Response, ApiError> {
    rate(&s, &actor, Subject::Bundle, id, &r).await
}

/// Corrects a rating: a new record linked to it (the old one stays, marked
/// superseded). Only whoever gave it, within the window, and not once its
/// 差评 is being rectified.
#[utoipa::path(post, path = "/api/v1/ratings/{id}/corrections", tag = "ratings", security(("session" = [])), params(("id" = i64, Path)), request_body = RatingInputBody,
    responses((status = 201, body = RatingView), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_correct_rating(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<RatingInputBody>,
) -> Result<Response, ApiError> {
    let g = s
        .store
        .correct_rating(&actor, id, &r.input(), &s.calendar(), s.today())
        .await?;
    Ok((StatusCode::CREATED, Json(RatingView::from(&g))).into_response())
}

async fn open_onsite(
    s: &AppState,
    actor: &tongban_domain::auth::Actor,
    subject: Subject,
    id: i64,
) -> Result<Response, ApiError> {
    let (token, shown) = s
        .store
        .open_onsite_rating(actor, subject, id, &s.calendar(), s.today())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(OnsiteOpened {
            path: format!("/r/{token}"),
            token,
            expires_at: shown.expires_at,
        }),
    )
        .into_response())
}

/// Opens the window's tablet page for a case just handled (window staff):
/// one rating, 30 minutes, no sign-in.
#[utoipa::path(post, path = "/api/v1/cases/{id}/onsite-rating", tag = "ratings", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 201, body = OnsiteOpened), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_open_onsite_case(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    open_onsite(&s, &actor, Subject::Case, id).await
}

/// Opens the window's tablet page for a bundle application.
#[utoipa::path(post, path = "/api/v1/bundle-cases/{id}/onsite-rating", tag = "ratings", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 201, body = OnsiteOpened), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_open_onsite_bundle(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    open_onsite(&s, &actor, Subject::Bundle, id).await
}

/// What a tablet page shows (no sign-in; no personal data).
#[utoipa::path(get, path = "/api/v1/onsite/{token}", tag = "ratings", params(("token" = String, Path)),
    responses((status = 200, body = OnsiteCaseView), (status = 404, body = crate::http::ErrorBody)))]
pub(super) async fn api_onsite_case(
    State(s): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<OnsiteCaseView>, ApiError> {
    let c = s.store.onsite_case(&token).await?;
    Ok(Json(OnsiteCaseView {
        subject_no: c.subject_no,
        item_name: c.item_name,
        completed_on: c.completed_on,
        expires_at: c.expires_at,
    }))
}

/// The rating given at the tablet (on site): the page's token is used up.
#[utoipa::path(post, path = "/api/v1/onsite/{token}/rating", tag = "ratings", params(("token" = String, Path)), request_body = RatingInputBody,
    responses((status = 201, body = RatingView), (status = 404, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_rate_onsite(
    State(s): State<AppState>,
    Path(token): Path<String>,
    headers: axum::http::HeaderMap,
    Json(r): Json<RatingInputBody>,
) -> Result<Response, ApiError> {
    check_origin(&headers)?;
    let g = s
        .store
        .rate_onsite(&token, &r.input(), &s.calendar(), s.today())
        .await?;
    Ok((StatusCode::CREATED, Json(RatingView::from(&g))).into_response())
}

/// The ratings the caller may read, newest first: a department's for its
/// staff, the centre's bundle ratings for its window staff, all below a
/// supervisor's centre.
#[utoipa::path(get, path = "/api/v1/ratings", tag = "ratings", security(("session" = [])), params(StaffRatingParams),
    responses((status = 200, body = StaffRatingList), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_ratings(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(p): Query<StaffRatingParams>,
) -> Result<Json<StaffRatingList>, ApiError> {
    let f = staff_filter(&s, &actor, p.from, p.to, p.department);
    let page = s.store.ratings_for(&actor, &f, p.before, 100).await?;
    let next_before = (page.len() == 100)
        .then(|| page.last().map(|(r, _)| r.id))
        .flatten();
    Ok(Json(StaffRatingList {
        ratings: page
            .iter()
            .map(|(r, i)| StaffRatingRow {
                rating: RatingView::from(r).seen_by(&Sight::of(&actor)),
                subject: i.subject.into(),
                subject_id: i.subject_id,
                subject_no: i.subject_no.clone(),
                item_name: i.item_name.clone(),
                department_id: r.department_id,
            })
            .collect(),
        next_before,
    }))
}

pub(super) fn staff_filter(
    s: &AppState,
    actor: &tongban_domain::auth::Actor,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
    department: Option<i64>,
) -> RatingFilter {
    let (from, to) = period(from, to, s.today());
    RatingFilter {
        from,
        to,
        centre_path: actor.centre_path.clone(),
        department_id: department,
    }
}

/// The caller's ratings of a period as CSV (no personal data; formula cells
/// neutralised).
#[utoipa::path(get, path = "/api/v1/ratings/export.csv", tag = "ratings", security(("session" = [])), params(PeriodParams),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_ratings_csv(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(p): Query<PeriodParams>,
) -> Result<Response, ApiError> {
    let f = staff_filter(&s, &actor, p.from, p.to, p.department);
    let rows = s.store.ratings_export(&actor, &f).await?;
    Ok(crate::chrome::csv_download(
        "ratings.csv",
        export::ratings_csv(&rows),
    ))
}

/// The rectifications the caller works on or watches, the most urgent first.
#[utoipa::path(get, path = "/api/v1/rectifications", tag = "ratings", security(("session" = [])), params(OpenParams),
    responses((status = 200, body = RectificationList), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_rectifications(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(p): Query<OpenParams>,
) -> Result<Json<RectificationList>, ApiError> {
    let list = s
        .store
        .rectifications_for(&actor, p.open.unwrap_or(true))
        .await?;
    Ok(Json(RectificationList {
        rectifications: list
            .iter()
            .map(|r| RectificationJson::from(r).seen_by(&Sight::of(&actor)))
            .collect(),
    }))
}

/// The rectifications as CSV.
#[utoipa::path(get, path = "/api/v1/rectifications/export.csv", tag = "ratings", security(("session" = [])),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_rectifications_csv(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Response, ApiError> {
    let list = s.store.rectifications_export(&actor).await?;
    Ok(crate::chrome::csv_download(
        "rectifications.csv",
        export::rectifications_csv(&list),
    ))
}

/// One rectification (its owner, a supervisor over it, the applicant).
#[utoipa::path(get, path = "/api/v1/rectifications/{id}", tag = "ratings", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = RectificationJson), (status = 404, body = crate::http::ErrorBody)))]
pub(super) async fn api_rectification(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<RectificationJson>, ApiError> {
    let r = s.store.rectification_for(&actor, id).await?;
    Ok(Json(
        RectificationJson::from(&r).seen_by(&Sight::of(&actor)),
    ))
}

/// 回访, rectification, verification, sending back, appeal, its decision,
/// or the applicant's verdict — each by whom it belongs to.
#[utoipa::path(post, path = "/api/v1/rectifications/{id}/actions", tag = "ratings", security(("session" = [])), params(("id" = i64, Path)), request_body = RectifyRequest,
    responses((status = 200, body = RectificationJson), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_rectification_act(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<RectifyRequest>,
) -> Result<Json<RectificationJson>, ApiError> {
    let v = s
        .store
        .rectification_act(&actor, id, r.version, &r.action.into())
        .await?;
    Ok(Json(
        RectificationJson::from(&v).seen_by(&Sight::of(&actor)),
    ))
}

/// Adds an evidence file (the request body; PDF, OFD, JPEG or PNG, at most
/// 10 MB) to a rectification its owner is working on.
#[utoipa::path(put, path = "/api/v1/rectifications/{id}/files", tag = "ratings", security(("session" = [])), params(("id" = i64, Path), FileParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = RectificationJson), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_rectification_file(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Query(p): Query<FileParams>,
    body: Bytes,
) -> Result<Response, ApiError> {
    s.store
        .rectification_file(
            &s.files,
            &actor,
            id,
            p.appeal.unwrap_or(false),
            p.name.as_deref().unwrap_or_default(),
            body.to_vec(),
        )
        .await?;
    let r = s.store.rectification_for(&actor, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(RectificationJson::from(&r).seen_by(&Sight::of(&actor))),
    )
        .into_response())
}

/// The public figures (好差评公示): per department and item, the count and
/// the share of each level over the period; each 差评 with its reasons and
/// the outcome of its rectification. No sign-in, no personal data.
#[utoipa::path(get, path = "/api/v1/public/ratings", tag = "ratings", params(PeriodParams),
    responses((status = 200, body = PublicRatingsView), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_public_ratings(
    State(s): State<AppState>,
    Query(p): Query<PeriodParams>,
) -> Result<Json<PublicRatingsView>, ApiError> {
    let f = super::public_filter(&s, p.from, p.to, p.department).await?;
    let r = s.store.public_ratings(&f).await?;
    Ok(Json((&r).into()))
}
