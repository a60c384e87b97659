//! What the certificates' JSON API serves, as types: each mirrors the
//! record it is built from (destructured field by field, so a field added
//! there does not compile until it is served and documented here), and the
//! OpenAPI schema comes from the type that is served.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use tongban_domain::cert::{CertRecord, CertStatus};
use tongban_store::certificates::{CertExport, IssuerKey, IssuerKeys};
use utoipa::ToSchema;

/// Whether a certificate can be relied on today; `invalid` when its
/// signature does not verify (the content may have been altered).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PublicStatus {
    Valid,
    Revoked,
    Expired,
    /// Not valid yet.
    Pending,
    Invalid,
}

impl From<CertStatus> for PublicStatus {
    fn from(s: CertStatus) -> Self {
        match s {
            CertStatus::Valid => PublicStatus::Valid,
            CertStatus::Revoked => PublicStatus::Revoked,
            CertStatus::Expired => PublicStatus::Expired,
            CertStatus::Pending => PublicStatus::Pending,
        }
    }
}

/// The signed fields of a certificate (SPEC §7).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CertRecordView {
    /// 证照标识.
    pub licence_id: String,
    /// 证照类型代码 and name.
    pub type_code: String,
    pub type_name: String,
    /// 证照编号.
    pub number: String,
    pub version: String,
    pub issued_on: NaiveDate,
    pub issuer_name: String,
    pub issuer_code: String,
    /// 定义机构.
    pub definer: String,
    pub valid_from: NaiveDate,
    /// Null: valid indefinitely.
    #[schema(required)]
    pub valid_to: Option<NaiveDate>,
    pub holder_name: String,
    pub holder_code: String,
    /// 111 = 公民身份号码, 001 = 统一社会信用代码.
    pub holder_code_type: String,
    /// The item and case that produced it.
    pub item_code: String,
    pub item_name: String,
    pub case_no: String,
    /// The certificate's own content (e.g. 新生儿姓名); empty in the public view.
    pub fields: BTreeMap<String, String>,
}

impl From<CertRecord> for CertRecordView {
    fn from(r: CertRecord) -> Self {
        let CertRecord {
            licence_id,
            type_code,
            type_name,
            number,
            version,
            issued_on,
            issuer_name,
            issuer_code,
            definer,
            valid_from,
            valid_to,
            holder_name,
            holder_code,
            holder_code_type,
            item_code,
            item_name,
            case_no,
            fields,
        } = r;
        CertRecordView {
            licence_id: licence_id.into(),
            type_code,
            type_name,
            number,
            version,
            issued_on,
            issuer_name,
            issuer_code,
            definer,
            valid_from,
            valid_to,
            holder_name,
            holder_code,
            holder_code_type,
            item_code,
            item_name,
            case_no,
            fields,
        }
    }
}

/// What anyone may see of a certificate: its status, whether the signature
/// holds, and the signed fields with the holder masked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicCertificate {
    pub licence_id: String,
    pub status: PublicStatus,
    pub status_zh: String,
    pub signature_valid: bool,
    /// The SM2 signer id (GB/T 35276 default).
    pub signer_id: String,
    /// The holder's name and number and the case number masked, the
    /// certificate's own fields left out.
    pub record: CertRecordView,
    #[schema(required)]
    pub revoked_at: Option<i64>,
    pub revoke_reason: String,
}

/// One issuing department's public key.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IssuerKeyView {
    pub key_id: i64,
    /// The department's 统一社会信用代码 (the certificate's 颁发机构代码).
    pub issuer_code: String,
    pub issuer_name: String,
    /// SM3 of the PEM, lowercase hex.
    pub fingerprint: String,
    pub public_key_pem: String,
    pub created_at: i64,
    /// Retired keys still verify what they signed before.
    #[schema(required)]
    pub retired_at: Option<i64>,
    /// A compromised key verifies nothing offline any more (check online).
    #[schema(required)]
    pub compromised_at: Option<i64>,
}

/// The published list of issuer keys: what an offline verifier trusts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IssuerKeysView {
    #[schema(pattern = "^tongban-issuer-keys/1$")]
    pub format: String,
    pub keys: Vec<IssuerKeyView>,
}

impl From<IssuerKeys> for IssuerKeysView {
    fn from(k: IssuerKeys) -> Self {
        let IssuerKeys { format, keys } = k;
        IssuerKeysView {
            format,
            keys: keys
                .into_iter()
                .map(|k| {
                    let IssuerKey {
                        key_id,
                        issuer_code,
                        issuer_name,
                        fingerprint,
                        public_key_pem,
                        created_at,
                        retired_at,
                        compromised_at,
                    } = k;
                    IssuerKeyView {
                        key_id,
                        issuer_code,
                        issuer_name,
                        fingerprint,
                        public_key_pem,
                        created_at,
                        retired_at,
                        compromised_at,
                    }
                })
                .collect(),
        }
    }
}

/// A certificate for offline verification (`tongban cert verify`, OpenSSL).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CertExportView {
    #[schema(pattern = "^tongban-cert/1$")]
    pub format: String,
    /// The canonical JSON, byte for byte as signed.
    pub certificate: String,
    /// The DER signature, hex.
    pub signature_hex: String,
    pub public_key_pem: String,
    pub signer_id: String,
}

impl From<CertExport> for CertExportView {
    fn from(e: CertExport) -> Self {
        let CertExport {
            format,
            certificate,
            signature_hex,
            public_key_pem,
            signer_id,
        } = e;
        CertExportView {
            format,
            certificate,
            signature_hex,
            public_key_pem,
            signer_id,
        }
    }
}
