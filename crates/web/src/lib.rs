//! The HTTP server: JSON API under `/api/v1` (OpenAPI at `/api/openapi.json`)
//! and server-rendered pages, over one shared [`AppState`].
//!
//! What a process keeps in memory (the search index, the calendar) is
//! rebuilt from the database and refreshed when the catalogue revision moves,
//! so several instances can share one PostgreSQL.
//!
//! Infrastructure, used by the capabilities and using none of them:
//! [`http`] (session, forgery checks, errors, languages), [`chrome`] (what
//! every page shares), [`state`], [`jobs`] and [`mail`]; [`openapi`] gathers
//! the capabilities' parts of the document as [`router`] gathers their
//! routes. Capabilities, each with its `routes()` (and its part of the
//! OpenAPI document where its API is published), using the infrastructure,
//! the store and the domain but never one another: [`catalog`],
//! [`guide_audit`], [`accounts`], [`cases`], [`notices`], [`inquiries`],
//! [`bundles`], [`shared_data`], [`certificates`] and [`calendar`].

// Infrastructure
pub mod chrome;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod openapi;
pub mod state;

// Capabilities
pub mod accounts;
pub mod bundles;
pub mod calendar;
pub mod cases;
pub mod catalog;
pub mod certificates;
pub mod enterprise;
pub mod experience;
pub mod guide_audit;
pub mod indicators;
pub mod inquiries;
pub mod notices;
pub mod ratings;
pub mod shared_data;

use std::net::SocketAddr;

use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

pub use jobs::spawn_background;
pub use state::{AppState, Config, LOGIN_PER_ACCOUNT, LOGIN_PER_ADDRESS, SearchHolder, search_doc};

/// The guide audit's CSV report, where the command line finds it.
pub mod api {
    pub use crate::guide_audit::findings_csv;
}

/// Every page, as registered by the infrastructure and the capabilities.
pub fn pages() -> chrome::Pages {
    chrome::pages()
        .merge(catalog::pages())
        .merge(guide_audit::pages())
        .merge(accounts::pages())
        .merge(cases::pages())
        .merge(notices::pages())
        .merge(inquiries::pages())
        .merge(enterprise::pages())
        .merge(ratings::pages())
        .merge(bundles::pages())
        .merge(shared_data::pages())
        .merge(certificates::pages())
        .merge(calendar::pages())
        .merge(experience::pages())
        .merge(indicators::pages())
}

/// The JSON API and its OpenAPI document, from one registration.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    openapi::api()
        .merge(catalog::api())
        .merge(guide_audit::api())
        .merge(accounts::api())
        .merge(cases::api())
        .merge(notices::api())
        .merge(inquiries::api())
        .merge(enterprise::api())
        .merge(ratings::api())
        .merge(experience::api())
        .merge(indicators::api())
        .merge(bundles::api())
        .merge(shared_data::api())
        .merge(certificates::api())
        .merge(calendar::api())
        .split_for_parts()
}

pub fn router(state: AppState) -> Router {
    let (api, doc) = api();
    openapi::publish(doc);
    api.merge(pages().into_router())
        // Anonymous callers send small bodies.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::body::anonymous_body_limit,
        ))
        // A state change from another origin (or scheme) reaches no handler.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::csrf::origin_guard,
        ))
        // Every error under /api answers the documented JSON error.
        .layer(axum::middleware::from_fn(http::api_errors))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'"),
        ))
        // Pages and answers carry personal data and CSRF tokens: no cache
        // keeps them unless a handler says otherwise (static assets).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(axum::extract::DefaultBodyLimit::max(http::body::BODY_LIMIT))
        .with_state(state)
}

/// Serves until Ctrl-C or SIGTERM (what systemd and Kubernetes send),
/// either way finishing the requests in flight first.
/// The background jobs finish their round too, within [`JOBS_DRAIN`].
pub async fn serve(addr: SocketAddr, state: AppState) -> anyhow::Result<()> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let jobs = if state.config.background_jobs {
        spawn_background(
            state.clone(),
            stopped,
            vec![("monthly indicator reports", indicators::jobs::monthly_tick)],
        )
    } else {
        Vec::new()
    };
    let app = router(state);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let (signalled, on_signal) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        // The jobs stop after the round they are in.
        let _ = stop.send(true);
        let _ = signalled.send(());
    });
    // The requests in flight get [`JOBS_DRAIN`] too: a client that never
    // finishes its request cannot keep the instance from stopping.
    let deadline = async {
        match on_signal.await {
            Ok(()) => tokio::time::sleep(JOBS_DRAIN).await,
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        r = std::future::IntoFuture::into_future(server) => r?,
        () = deadline => tracing::warn!(
            "requests still in flight {} s after the signal: stopping anyway",
            JOBS_DRAIN.as_secs()
        ),
    }
    let drained = tokio::time::timeout(JOBS_DRAIN, async {
        for j in jobs {
            if let Err(e) = j.await {
                tracing::warn!("a background job ended badly: {e}");
            }
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            "background jobs still running after {} s: stopping anyway (their transactions roll back)",
            JOBS_DRAIN.as_secs()
        );
    }
    tracing::info!("stopped");
    Ok(())
}

/// How long a stopping instance waits for the requests in flight, and then
/// for its background jobs' round.
pub const JOBS_DRAIN: std::time::Duration = std::time::Duration::from_secs(30);

/// Resolves at the first SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("interrupted: finishing the requests in flight"),
        () = terminate => tracing::info!("terminated: finishing the requests in flight"),
    }
}
