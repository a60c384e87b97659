//! Uploaded material files, kept in an object store (a local directory by
//! default; any shared `object_store` backend in production) under keys
//! derived from the case, never from the uploader's file name.

use std::sync::Arc;

use object_store::{ObjectStore, ObjectStoreExt, PutPayload, path::Path};

use crate::{Result, StoreError};

#[derive(Clone)]
pub struct Attachments {
    inner: Arc<dyn ObjectStore>,
}

impl Attachments {
    /// Files under a local directory (created if missing).
    pub fn local(dir: &std::path::Path) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Files(format!("{}: {e}", dir.display())))?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| StoreError::Files(e.to_string()))?;
        Ok(Self {
            inner: Arc::new(fs),
        })
    }

    /// Files in memory (tests, benchmarks).
    pub fn in_memory() -> Self {
        Self {
            inner: Arc::new(object_store::memory::InMemory::new()),
        }
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        self.inner
            .put(&Path::from(key), PutPayload::from(bytes))
            .await
            .map_err(|e| StoreError::Files(e.to_string()))?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>> {
        let r = self
            .inner
            .get(&Path::from(key))
            .await
            .map_err(|e| match e {
                // The storage key is the server's business, not the caller's.
                object_store::Error::NotFound { .. } => StoreError::NotFound("file".into()),
                e => StoreError::Files(e.to_string()),
            })?;
        let b = r
            .bytes()
            .await
            .map_err(|e| StoreError::Files(e.to_string()))?;
        Ok(b.to_vec())
    }

    pub async fn delete(&self, key: &str) -> Result<()> {
        self.inner
            .delete(&Path::from(key))
            .await
            .map_err(|e| StoreError::Files(e.to_string()))?;
        Ok(())
    }
}
