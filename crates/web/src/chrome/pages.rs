//! The page router every capability registers its pages with. It refuses
//! paths under `/api`: an API route is registered with its documentation
//! (`routes!` on an `OpenApiRouter`), never as a page, so none can be
//! served undocumented.

use axum::Router;
use axum::routing::MethodRouter;

use crate::AppState;

/// Page routes, with the paths they serve.
#[derive(Default)]
pub struct Pages {
    router: Router<AppState>,
    paths: Vec<&'static str>,
}

impl Pages {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a page. Panics (when the router is built, which every test
    /// does) for a path under `/api`.
    pub fn route(mut self, path: &'static str, method: MethodRouter<AppState>) -> Self {
        assert!(
            !path.starts_with("/api"),
            "{path}: an /api route must be registered with routes! on the API router, documented"
        );
        self.paths.push(path);
        // The one place a plain route is added (clippy.toml refuses others).
        #[allow(clippy::disallowed_methods)]
        let router = self.router.route(path, method);
        self.router = router;
        self
    }

    pub fn merge(mut self, other: Pages) -> Self {
        self.paths.extend(other.paths);
        self.router = self.router.merge(other.router);
        self
    }

    /// The paths served, for the route-versus-document test.
    pub fn paths(&self) -> &[&'static str] {
        &self.paths
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}
