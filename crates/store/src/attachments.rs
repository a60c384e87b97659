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

/// A file kept for a record (evidence of a rectification or a finding): what
/// its row stores.
#[derive(Debug, Clone)]
pub(crate) struct KeptFile {
    /// The uploader's name, cleaned, with the sniffed type's extension.
    pub name: String,
    pub content_type: &'static str,
    pub size: i64,
    pub key: String,
    /// SM3 of the bytes, for the audit trail.
    pub digest: String,
}

impl KeptFile {
    /// Its stored columns, in the order every file table has them:
    /// `file_name, content_type, size, object_key, digest`.
    pub(crate) fn columns(&self) -> Vec<sea_orm::Value> {
        vec![
            self.name.clone().into(),
            self.content_type.into(),
            self.size.into(),
            self.key.clone().into(),
            self.digest.clone().into(),
        ]
    }

    /// What the audit trail records of it: its digest and size.
    pub(crate) fn audit(&self) -> serde_json::Value {
        serde_json::json!({"sm3": self.digest, "size": self.size})
    }
}

impl Attachments {
    /// Checks an upload (PDF, OFD, JPEG or PNG, within the size limit) and
    /// keeps it under `prefix/<random>.<ext>`. A refused file is the field
    /// `file`'s error; nothing is kept then.
    pub(crate) async fn keep(
        &self,
        prefix: &str,
        stem: &str,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<KeptFile> {
        let kind = tongban_domain::files::check_upload(&bytes).map_err(|e| {
            StoreError::Invalid(
                tongban_domain::FieldError::new("file", "refused", e.zh(), e.en()).into(),
            )
        })?;
        let name = clean_file_name(file_name, stem, kind.extension());
        let digest = crate::sm3_hex(&bytes);
        let key = format!("{prefix}/{}.{}", crate::random_token(), kind.extension());
        let size = bytes.len() as i64;
        self.put(&key, bytes).await?;
        Ok(KeptFile {
            name,
            content_type: kind.content_type(),
            size,
            key,
            digest,
        })
    }
}

/// An uploaded file's name as stored: no control, format (bidirectional
/// override) characters or path separators, at most 120 characters, and
/// the extension of the type the content was sniffed as — `report.html`
/// holding a PDF is stored as `report.pdf`; `stem.ext` when nothing is left.
pub(crate) fn clean_file_name(name: &str, stem: &str, ext: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| {
            !c.is_control() && !tongban_domain::text::is_format_char(*c) && !matches!(c, '/' | '\\')
        })
        .take(120)
        .collect();
    let clean = clean.trim();
    let base = match clean.rsplit_once('.') {
        Some((b, _)) if !b.trim().is_empty() => b.trim(),
        _ => clean,
    };
    if base.is_empty() {
        format!("{stem}.{ext}")
    } else {
        format!("{base}.{ext}")
    }
}
