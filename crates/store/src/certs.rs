//! Electronic certificates (SPEC §7): signing keys per issuing department
//! (sealed at rest under the operator's secret), certificates issued at 制证
//! in the case's own transaction, verification, revocation and export in the
//! form OpenSSL verifies.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, QueryResult};
use serde::{Deserialize, Serialize};
use tongban_certs::{KeySecret, SigningPair, from_hex, to_hex};
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::catalog::ItemDoc;
use tongban_domain::cert::{self, CertRecord, CertStatus, LicenceId};
use tongban_domain::codes::IdCardNumber;

use crate::cases::Case;
use crate::{Result, Store, StoreError, exec, get, insert_id, now_ms, query, query_one, trail};

/// A stored certificate.
#[derive(Debug, Clone, Serialize)]
pub struct Certificate {
    pub id: i64,
    pub licence_id: String,
    pub case_id: i64,
    pub department_id: i64,
    pub record: CertRecord,
    /// The exact signed bytes (canonical JSON).
    #[serde(skip)]
    pub body: String,
    #[serde(skip)]
    pub signature: Vec<u8>,
    pub key_id: i64,
    pub issued_at: i64,
    pub revoked_at: Option<i64>,
    pub revoke_reason: String,
}

impl Certificate {
    pub fn status(&self, today: NaiveDate) -> CertStatus {
        cert::status(&self.record, self.revoked_at.is_some(), today)
    }
}

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

const CERT_COLS: &str = "id, licence_id, case_id, department_id, body, signature, key_id, issued_at, revoked_at, revoke_reason FROM certificates";

fn row_cert(r: &QueryResult) -> Result<Certificate> {
    let body: String = get(r, "body")?;
    let id: i64 = get(r, "id")?;
    let sig: String = get(r, "signature")?;
    Ok(Certificate {
        id,
        licence_id: get(r, "licence_id")?,
        case_id: get(r, "case_id")?,
        department_id: get(r, "department_id")?,
        record: CertRecord::from_canonical(body.as_bytes())
            .map_err(|e| StoreError::Corrupt(format!("certificate {id}: {e}")))?,
        body,
        signature: from_hex(&sig)
            .ok_or_else(|| StoreError::Corrupt(format!("certificate {id} signature")))?,
        key_id: get(r, "key_id")?,
        issued_at: get(r, "issued_at")?,
        revoked_at: get(r, "revoked_at")?,
        revoke_reason: get(r, "revoke_reason")?,
    })
}

impl Store {
    /// Sets the operator's secret that seals signing keys (from
    /// `TONGBAN_KEY_SECRET`; the demo uses a published one).
    pub fn set_key_secret(&self, secret: KeySecret) {
        if let Ok(mut s) = self.key_secret.write() {
            *s = Some(secret);
        }
    }

    pub fn has_key_secret(&self) -> bool {
        self.key_secret.read().is_ok_and(|s| s.is_some())
    }

    fn secret(&self) -> Result<KeySecret> {
        self.key_secret
            .read()
            .ok()
            .and_then(|s| s.clone())
            .ok_or_else(|| {
                StoreError::conflict(
                    "未配置签名密钥保护口令（TONGBAN_KEY_SECRET），不能签发电子证照",
                    "no key secret is configured (TONGBAN_KEY_SECRET): certificates cannot be signed",
                )
            })
    }

    /// Generates a new signing key for a department; the old one is retired
    /// (certificates it signed stay verifiable with its public key).
    pub async fn generate_key(&self, department_id: i64, actor: Option<i64>) -> Result<i64> {
        let secret = self.secret()?;
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

    pub async fn certificate(&self, licence_id: &str) -> Result<Certificate> {
        let r = query_one(
            self.conn(),
            &format!("SELECT {CERT_COLS} WHERE licence_id = $1"),
            vec![licence_id.trim().into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("certificate {licence_id}")))?;
        row_cert(&r)
    }

    pub async fn case_certificates(&self, case_id: i64) -> Result<Vec<Certificate>> {
        query(
            self.conn(),
            &format!("SELECT {CERT_COLS} WHERE case_id = $1 ORDER BY id"),
            vec![case_id.into()],
        )
        .await?
        .iter()
        .map(row_cert)
        .collect()
    }

    /// Certificates held by a person or enterprise (by ID number or credit code).
    pub async fn certificates_of_holder(&self, holder_code: &str) -> Result<Vec<Certificate>> {
        query(
            self.conn(),
            &format!("SELECT {CERT_COLS} WHERE holder_code = $1 ORDER BY id"),
            vec![holder_code.into()],
        )
        .await?
        .iter()
        .map(row_cert)
        .collect()
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

/// Issues the certificate of an approved case at 制证, inside the command's
/// transaction, signed with the lead department's current key.
pub(crate) async fn issue_in(
    store: &Store,
    txn: &impl ConnectionTrait,
    case: &Case,
    doc: &ItemDoc,
    today: NaiveDate,
) -> Result<String> {
    let secret = store.secret()?;
    let key = query_one(
        txn,
        "SELECT id, sealed FROM signing_keys WHERE department_id = $1 AND retired_at IS NULL ORDER BY id DESC LIMIT 1",
        vec![case.lead_department_id.into()],
    )
    .await?
    .ok_or_else(|| {
        StoreError::conflict(
            format!(
                "{}尚无签名密钥，请系统管理员运行 tongban keys generate",
                case.lead_department_name
            ),
            format!(
                "{} has no signing key yet: run tongban keys generate",
                case.lead_department_name
            ),
        )
    })?;
    let key_id: i64 = get(&key, "id")?;
    let sealed: String = get(&key, "sealed")?;
    let pair = SigningPair::unseal(
        &from_hex(&sealed).ok_or_else(|| StoreError::Corrupt(format!("key {key_id}")))?,
        &secret,
    )
    .map_err(|e| StoreError::conflict(e.zh(), e.to_string()))?;
    let dept = query_one(
        txn,
        "SELECT credit_code, name FROM departments WHERE id = $1",
        vec![case.lead_department_id.into()],
    )
    .await?
    .ok_or_else(|| StoreError::Corrupt("department".into()))?;
    let issuer_code: String = get(&dept, "credit_code")?;
    let issuer_name: String = get(&dept, "name")?;
    let type_name = if doc.result.licence_type.trim().is_empty() {
        doc.result.name.trim().to_string()
    } else {
        doc.result.licence_type.trim().to_string()
    };
    // Type code: the defining body's code + 3 digits. Until the national type
    // catalogue is loaded, the digits are a stable number derived from the
    // type's name, so one department's types differ.
    let type_code = format!(
        "{issuer_code}{:03}",
        type_name
            .chars()
            .fold(0u32, |h, c| (h * 31 + c as u32) % 1000)
    );
    // Year, case, and a random tail: identifiers cannot be enumerated.
    let tail: String = {
        use rand::Rng;
        const A: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
        let mut rng = rand::rng();
        (0..6)
            .map(|_| A[rng.random_range(0..A.len())] as char)
            .collect()
    };
    let sequence = format!("{}{:07}{tail}", today.format("%Y"), case.id);
    let licence_id = LicenceId::build(&type_code, &issuer_code, &sequence, "001")
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let holder_code_type = if IdCardNumber::parse(&case.applicant_id_number).is_ok() {
        "111"
    } else {
        "001"
    };
    let record = CertRecord {
        licence_id: licence_id.clone(),
        type_code,
        type_name,
        number: case.case_no.clone(),
        version: "001".into(),
        issued_on: today,
        issuer_name,
        issuer_code,
        definer: doc.agency.name.clone(),
        valid_from: today,
        valid_to: None,
        holder_name: case.applicant_name.clone(),
        holder_code: case.applicant_id_number.clone(),
        holder_code_type: holder_code_type.into(),
        item_code: case.impl_code.clone(),
        item_name: case.item_name.clone(),
        case_no: case.case_no.clone(),
        fields: case.form.clone(),
    };
    let body = String::from_utf8(record.canonical_json())
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let signature = pair.sign(body.as_bytes());
    exec(
        txn,
        "INSERT INTO certificates (licence_id, case_id, department_id, holder_code, body, signature, key_id, issued_at, revoked_at, revoke_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, '')",
        vec![
            licence_id.as_str().into(),
            case.id.into(),
            case.lead_department_id.into(),
            case.applicant_id_number.clone().into(),
            body.into(),
            to_hex(&signature).into(),
            key_id.into(),
            now_ms().into(),
        ],
    )
    .await?;
    trail::append(
        txn,
        None,
        "certificate.issue",
        &format!("certificate:{licence_id}"),
        serde_json::json!({"case": case.case_no, "key": key_id}),
    )
    .await?;
    Ok(licence_id.to_string())
}
