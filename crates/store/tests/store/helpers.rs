//! Helpers shared by the storage tests.

use std::collections::BTreeMap;

use tongban_domain::auth::Actor;
use tongban_store::Store;

/// The signed-in identity of a demo user.
pub async fn actor(store: &Store, username: &str) -> Actor {
    store
        .actor(username)
        .await
        .expect("actor")
        .expect("demo user")
}

/// A form (or any string map) from pairs.
pub fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
