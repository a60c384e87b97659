//! Access to catalogue item versions, shared by the catalogue
//! administration and the decision rules: load a version and check the
//! caller may see or change it.

use tongban_domain::auth::{Actor, Scope};
use tongban_store::catalog::ItemVersion;

use super::error::ApiError;
use crate::AppState;

/// The centre and department an item version belongs to, for permission checks.
pub fn item_scope(i: &ItemVersion) -> Scope<'_> {
    Scope {
        centre_path: &i.centre_path,
        department_id: i.department_id,
    }
}

/// Loads an item version and checks the caller may see it.
pub async fn visible_version(
    s: &AppState,
    actor: &Actor,
    id: i64,
) -> Result<ItemVersion, ApiError> {
    let item = s.store.item_version(id).await?;
    actor.may_view_catalog_admin(item_scope(&item))?;
    Ok(item)
}

/// Loads an item version and checks the caller may change it.
pub async fn managed_version(
    s: &AppState,
    actor: &Actor,
    id: i64,
) -> Result<ItemVersion, ApiError> {
    let item = s.store.item_version(id).await?;
    actor.may_manage_item(item_scope(&item))?;
    Ok(item)
}
