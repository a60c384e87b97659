//! Electronic certificates (SPEC §7): signing keys per issuing department
//! (sealed at rest under the operator's secret), certificates issued at 制证
//! in the case's own transaction, verification, revocation and export in the
//! form OpenSSL verifies.

use serde::{Deserialize, Serialize};
use tongban_certs::{SigningPair, from_hex, to_hex};
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::cert::{CertRecord, LicenceId};

pub use crate::cases::Certificate;
use crate::{Result, Store, StoreError, exec, get, insert_id, now_ms, query, query_one, trail};

/// What `tongban cert verify` and OpenSSL need: the signed bytes, the DER
/// signature (hex) and the issuer's public key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CertExport {
    pub format: String,
    /// The canonical JSON, byte for byte as signed.
    pub certificate: String,
    pub signature_hex: String,
    pub public_key_pem: String,
    pub signer_id: String,
}

pub const EXPORT_FORMAT: &str = "tongban-cert/1";

impl CertExport {
    /// Checks the signature and the 证照标识 offline; the record on success.
    pub fn verify(&self) -> std::result::Result<CertRecord, String> {
        if self.format != EXPORT_FORMAT {
            return Err(format!("unsupported format {}", self.format));
        }
        if self.signer_id != tongban_certs::SIGNER_ID {
            return Err(format!("unexpected signer id {}", self.signer_id));
        }
        let sig = from_hex(&self.signature_hex).ok_or("signature_hex is not hex")?;
        tongban_certs::verify(&self.public_key_pem, self.certificate.as_bytes(), &sig)
            .map_err(|e| format!("{}（{e}）", e.zh()))?;
        let rec = CertRecord::from_canonical(self.certificate.as_bytes())?;
        LicenceId::parse(rec.licence_id.as_str()).map_err(|e| e.to_string())?;
        Ok(rec)
    }
}

pub const ISSUER_KEYS_FORMAT: &str = "tongban-issuer-keys/1";

/// The published list of issuer keys (`GET /api/v1/issuer-keys`,
/// `tongban keys list --json`): what an offline verifier trusts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IssuerKeys {
    pub format: String,
    pub keys: Vec<IssuerKey>,
}

/// One issuing department's public key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IssuerKey {
    pub key_id: i64,
    /// The department's 统一社会信用代码 (the certificate's 颁发机构代码).
    pub issuer_code: String,
    pub issuer_name: String,
    /// SM3 of the PEM, lowercase hex.
    pub fingerprint: String,
    pub public_key_pem: String,
    pub created_at: i64,
    /// Retired keys still verify what they signed before.
    pub retired_at: Option<i64>,
    /// A compromised key verifies nothing offline any more (check online).
    #[serde(default)]
    pub compromised_at: Option<i64>,
}

impl CertExport {
    /// `verify`, and the signing key must be one the trusted list gives for
    /// the certificate's issuer: a file's own key alone proves nothing
    /// about who signed it.
    pub fn verify_trusted(&self, trusted: &IssuerKeys) -> std::result::Result<CertRecord, String> {
        if trusted.format != ISSUER_KEYS_FORMAT {
            return Err(format!("unsupported key list format {}", trusted.format));
        }
        let rec = self.verify()?;
        let fp = tongban_certs::fingerprint(&self.public_key_pem);
        // The list's own fingerprints are not trusted: recomputed from its keys.
        match trusted
            .keys
            .iter()
            .find(|k| tongban_certs::fingerprint(&k.public_key_pem) == fp)
        {
            None => Err(format!(
                "签名密钥不在受信任的颁发机构密钥清单中（指纹 {fp}）/ the signing key (fingerprint {fp}) is not in the trusted list"
            )),
            Some(k) if k.issuer_code != rec.issuer_code || k.issuer_name != rec.issuer_name => {
                Err(format!(
                    "签名密钥属于{}（{}），而证照写的颁发机构是{}（{}）/ the key belongs to {} but the certificate names issuer {} {}",
                    k.issuer_name,
                    k.issuer_code,
                    rec.issuer_name,
                    rec.issuer_code,
                    k.issuer_code,
                    rec.issuer_code,
                    rec.issuer_name
                ))
            }
            Some(k) if k.compromised_at.is_some() => Err(format!(
                "{}的签名密钥已报告泄露，离线验证不再可信，请在线核验 / {}'s key was reported compromised: offline verification is no longer trustworthy, verify online",
                k.issuer_name, k.issuer_name
            )),
            Some(k) => {
                // A key retired before the issue date cannot have signed it.
                let retired_on = k.retired_at.and_then(|ms| {
                    chrono::DateTime::from_timestamp_millis(ms)
                        .map(|t| t.with_timezone(&chrono_tz::Asia::Shanghai).date_naive())
                });
                match retired_on {
                    Some(d) if d < rec.issued_on => Err(format!(
                        "签名密钥已于{d}停用，证照却是{}颁发的 / the key was retired on {d}, before the issue date {}",
                        rec.issued_on, rec.issued_on
                    )),
                    _ => Ok(rec),
                }
            }
        }
    }
}

impl Store {
    /// Generates a new signing key for a department; the old one is retired
    /// (certificates it signed stay verifiable with its public key).
    pub async fn generate_key(&self, department_id: i64, actor: Option<i64>) -> Result<i64> {
        let secret = self.sealing_secret()?;
        let pair = SigningPair::generate();
        let pem = pair
            .public_pem()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now = now_ms();
        let txn = self.begin().await?;
        exec(
            &txn,
            "UPDATE signing_keys SET retired_at = $1 WHERE department_id = $2 AND retired_at IS NULL",
            vec![now.into(), department_id.into()],
        )
        .await?;
        let id = insert_id(
            &txn,
            "INSERT INTO signing_keys (department_id, public_pem, sealed, created_at, retired_at) VALUES ($1, $2, $3, $4, NULL)",
            vec![
                department_id.into(),
                pem.into(),
                to_hex(&pair.seal(&secret)).into(),
                now.into(),
            ],
        )
        .await?;
        trail::append(
            &txn,
            actor,
            "key.generate",
            &format!("department:{department_id}"),
            serde_json::json!({"key": id}),
        )
        .await?;
        txn.commit().await?;
        Ok(id)
    }

    /// Every issuing department's public keys, current and retired: public
    /// information, published so that offline verifiers can trust a key.
    pub async fn issuer_keys(&self) -> Result<IssuerKeys> {
        let rows = query(
            self.conn(),
            "SELECT k.id, k.public_pem, k.created_at, k.retired_at, k.compromised_at, d.credit_code, d.name \
             FROM signing_keys k JOIN departments d ON d.id = k.department_id ORDER BY k.id",
            vec![],
        )
        .await?;
        let mut keys = Vec::with_capacity(rows.len());
        for r in rows {
            let pem: String = get(&r, "public_pem")?;
            keys.push(IssuerKey {
                key_id: get(&r, "id")?,
                issuer_code: get(&r, "credit_code")?,
                issuer_name: get(&r, "name")?,
                fingerprint: tongban_certs::fingerprint(&pem),
                public_key_pem: pem,
                created_at: get(&r, "created_at")?,
                retired_at: get(&r, "retired_at")?,
                compromised_at: get(&r, "compromised_at")?,
            });
        }
        Ok(IssuerKeys {
            format: ISSUER_KEYS_FORMAT.into(),
            keys,
        })
    }

    /// Records that a signing key was compromised: it is retired at once
    /// (the department needs a new one to issue again) and the published
    /// list tells offline verifiers to stop trusting it.
    pub async fn mark_key_compromised(&self, key_id: i64, actor: Option<i64>) -> Result<()> {
        let now = now_ms();
        let txn = self.begin().await?;
        let n = exec(
            &txn,
            "UPDATE signing_keys SET compromised_at = $1, retired_at = COALESCE(retired_at, $1) \
             WHERE id = $2 AND compromised_at IS NULL",
            vec![now.into(), key_id.into()],
        )
        .await?;
        if n != 1 {
            return Err(StoreError::NotFound(format!(
                "key {key_id} (or already marked compromised)"
            )));
        }
        trail::append(
            &txn,
            actor,
            "key.compromised",
            &format!("key:{key_id}"),
            serde_json::json!({}),
        )
        .await?;
        txn.commit().await
    }

    /// The public key (PEM) of a signing key.
    pub async fn public_key(&self, key_id: i64) -> Result<String> {
        let r = query_one(
            self.conn(),
            "SELECT public_pem FROM signing_keys WHERE id = $1",
            vec![key_id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("key {key_id}")))?;
        get(&r, "public_pem")
    }
    /// Whether the stored signature verifies with the issuing key.
    pub async fn signature_valid(&self, c: &Certificate) -> Result<bool> {
        let pem = self.public_key(c.key_id).await?;
        Ok(tongban_certs::verify(&pem, c.body.as_bytes(), &c.signature).is_ok())
    }

    /// The export OpenSSL and `tongban cert verify` check.
    pub async fn export_certificate(&self, c: &Certificate) -> Result<CertExport> {
        Ok(CertExport {
            format: EXPORT_FORMAT.into(),
            certificate: c.body.clone(),
            signature_hex: to_hex(&c.signature),
            public_key_pem: self.public_key(c.key_id).await?,
            signer_id: tongban_certs::SIGNER_ID.into(),
        })
    }

    /// Revokes a certificate: the head of the issuing department, with a reason.
    pub async fn revoke_certificate(
        &self,
        actor: &Actor,
        licence_id: &str,
        reason: &str,
    ) -> Result<Certificate> {
        let c = self.certificate(licence_id).await?;
        if actor.role != Role::Head {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        if actor.department_id != Some(c.department_id) {
            return Err(StoreError::Forbidden(Denied::Department));
        }
        if reason.trim().is_empty() {
            return Err(StoreError::Invalid(
                tongban_domain::FieldError::required("reason", "注销原因").into(),
            ));
        }
        if let Some(e) = tongban_domain::text::check_text(
            "reason",
            "注销原因",
            "the reason",
            reason.trim(),
            tongban_domain::text::TEXT_MAX,
            true,
        ) {
            return Err(StoreError::Invalid(e.into()));
        }
        let txn = self.begin().await?;
        let n = exec(
            &txn,
            "UPDATE certificates SET revoked_at = $1, revoke_reason = $2 WHERE id = $3 AND revoked_at IS NULL",
            vec![now_ms().into(), reason.trim().into(), c.id.into()],
        )
        .await?;
        if n != 1 {
            return Err(StoreError::conflict(
                "证照已注销",
                "the certificate is already revoked",
            ));
        }
        trail::append(
            &txn,
            Some(actor.user_id),
            "certificate.revoke",
            &format!("certificate:{}", c.licence_id),
            serde_json::json!({"reason": reason.trim()}),
        )
        .await?;
        txn.commit().await?;
        self.certificate(licence_id).await
    }
}
