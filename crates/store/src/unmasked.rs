//! The records as stored, before the one rule of what a viewer sees
//! (`tongban_domain::privacy::Sight`): for the store's own tests only. This
//! module exists only with the feature `unmasked`, which no build of the
//! server turns on; everything else gets masked records (`case_for`,
//! `bundle_for`, `case_files_for` …).

use crate::bundles::BundleCase;
use crate::cases::{Case, CaseDocument, CaseEvent, CaseFile};
use crate::shared_data::{DecisionRecord, FetchRecord};
use crate::{Result, Store};

/// The records as stored, before the one rule of what a viewer sees: for
/// the store's own tests only (feature `unmasked`, never on in a build of
/// the server).
impl Store {
    pub async fn unmasked_case(&self, id: i64) -> Result<Case> {
        self.case(id).await
    }
    pub async fn unmasked_case_files(&self, id: i64) -> Result<Vec<CaseFile>> {
        self.case_files(id).await
    }
    pub async fn unmasked_case_documents(&self, id: i64) -> Result<Vec<CaseDocument>> {
        self.case_documents(id).await
    }
    pub async fn unmasked_case_events(&self, id: i64) -> Result<Vec<CaseEvent>> {
        self.case_events(id).await
    }
    pub async fn unmasked_case_fetches(&self, id: i64) -> Result<Vec<FetchRecord>> {
        self.case_fetches(id).await
    }
    pub async fn unmasked_case_decisions(&self, id: i64) -> Result<Vec<DecisionRecord>> {
        self.case_decisions(id).await
    }
    pub async fn unmasked_bundle_case(&self, id: i64) -> Result<BundleCase> {
        self.bundle_case(id).await
    }
}
