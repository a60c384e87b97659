//! Certificates signed at 制证 (SPEC §7): the lead department's current
//! key unsealed under the operator's secret, the certificate record of an
//! approved licence signed with SM2 over its canonical JSON, and the one
//! statement that stores certificates, and what they are once stored
//! ([`Certificate`], read by case, by identifier, by holder and type). Keys are made, listed and retired
//! by the certificates capability; the case core only signs with them.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, QueryResult};
use serde::Serialize;
use tongban_certs::{KeySecret, SigningPair, from_hex, to_hex};
use tongban_domain::catalog::ItemDoc;
use tongban_domain::cert::{self, CertRecord, CertStatus, LicenceId};
use tongban_domain::codes::IdCardNumber;

use super::Case;
use crate::sql::{exec, get, query, query_one};
use crate::trail::NewEntry;
use crate::{Result, Store, StoreError, now_ms};

impl Store {
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

    /// 我的证照: the certificates issued on the applications `actor` made
    /// (for themselves or, as a parent, for their child), newest first.
    pub async fn my_certificates(
        &self,
        actor: &tongban_domain::auth::Actor,
    ) -> Result<Vec<Certificate>> {
        if actor.role != tongban_domain::auth::Role::Applicant {
            return Err(StoreError::Forbidden(tongban_domain::auth::Denied::Role));
        }
        query(
            self.conn(),
            &format!(
                "SELECT {CERT_COLS} WHERE case_id IN (SELECT id FROM cases WHERE applicant_user_id = $1) \
                 ORDER BY issued_at DESC, id DESC LIMIT 500"
            ),
            vec![actor.user_id.into()],
        )
        .await?
        .iter()
        .map(row_cert)
        .collect()
    }

    /// The holder's certificates of the given types (免证办 reads only these).
    pub async fn certificates_of_holder_typed(
        &self,
        holder_code: &str,
        type_names: &[&str],
    ) -> Result<Vec<Certificate>> {
        if type_names.is_empty() {
            return Ok(Vec::new());
        }
        let list = crate::sql::list(type_names.len(), 1);
        let mut v: Vec<sea_orm::Value> = vec![holder_code.into()];
        v.extend(type_names.iter().map(|t| (*t).into()));
        query(
            self.conn(),
            &format!(
                "SELECT {CERT_COLS} WHERE holder_code = $1 AND type_name IN ({list}) ORDER BY id"
            ),
            v,
        )
        .await?
        .iter()
        .map(row_cert)
        .collect()
    }

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

    pub(crate) fn sealing_secret(&self) -> Result<KeySecret> {
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
}

/// The lead department's current signing key, unsealed, and its name and code.
pub(crate) struct Signer {
    key_id: i64,
    pair: SigningPair,
    issuer_code: String,
    issuer_name: String,
}

impl Signer {
    pub(crate) fn key_id(&self) -> i64 {
        self.key_id
    }
}

/// A certificate signed and ready to be stored.
#[derive(Clone)]
pub struct NewCert {
    pub(crate) licence_id: String,
    pub(crate) case_id: i64,
    pub(crate) department_id: i64,
    pub(crate) holder_code: String,
    pub(crate) type_name: String,
    pub(crate) body: String,
    pub(crate) signature: Vec<u8>,
    pub(crate) key_id: i64,
}

/// Whether a case that is (or will be) approved gets an electronic
/// certificate at 制证: the one rule, used by the writer at 制证 and by 秒批
/// when it signs ahead.
pub(crate) fn gets_certificate(approved: bool, doc: &ItemDoc) -> bool {
    approved && doc.result.result_type == tongban_domain::catalog::ResultType::Licence
}

/// Loads the department's current key (an error naming the department when it has none).
pub(crate) async fn signer_for(
    store: &Store,
    txn: &impl ConnectionTrait,
    department_id: i64,
    department_name: &str,
) -> Result<Signer> {
    let secret = store.sealing_secret()?;
    let key = query_one(
        txn,
        "SELECT k.id, k.sealed, d.credit_code, d.name FROM signing_keys k JOIN departments d ON d.id = k.department_id \
         WHERE k.department_id = $1 AND k.retired_at IS NULL ORDER BY k.id DESC LIMIT 1",
        vec![department_id.into()],
    )
    .await?
    .ok_or_else(|| {
        StoreError::conflict(
            format!("{department_name}尚无签名密钥，请系统管理员运行 tongban keys generate"),
            format!("{department_name} has no signing key yet: run tongban keys generate"),
        )
    })?;
    let key_id: i64 = get(&key, "id")?;
    let sealed: String = get(&key, "sealed")?;
    let pair = SigningPair::unseal(
        &from_hex(&sealed).ok_or_else(|| StoreError::Corrupt(format!("key {key_id}")))?,
        &secret,
    )
    .map_err(|e| StoreError::conflict(e.zh(), e.to_string()))?;
    Ok(Signer {
        key_id,
        pair,
        issuer_code: get(&key, "credit_code")?,
        issuer_name: get(&key, "name")?,
    })
}

/// The certificate of an approved case, signed (pure but for the random tail).
pub(crate) fn prepare_certificate(
    signer: &Signer,
    case: &Case,
    doc: &ItemDoc,
    today: NaiveDate,
) -> Result<NewCert> {
    let issuer_code = signer.issuer_code.clone();
    let type_name = licence_type_name(doc);
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
        type_name: type_name.clone(),
        number: case.case_no.clone(),
        version: "001".into(),
        issued_on: today,
        issuer_name: signer.issuer_name.clone(),
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
    let signature = signer.pair.sign(body.as_bytes());
    Ok(NewCert {
        licence_id: licence_id.to_string(),
        case_id: case.id,
        department_id: case.lead_department_id,
        holder_code: case.applicant_id_number.clone(),
        type_name,
        body,
        signature,
        key_id: signer.key_id,
    })
}

/// The certificate type a licence result produces (its name).
pub fn licence_type_name(doc: &ItemDoc) -> String {
    if doc.result.licence_type.trim().is_empty() {
        doc.result.name.trim().to_string()
    } else {
        doc.result.licence_type.trim().to_string()
    }
}

/// Stores signed certificates (one statement); their trail entries are the writer's.
pub(crate) async fn insert_certificates(c: &impl ConnectionTrait, certs: &[NewCert]) -> Result<()> {
    if certs.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let mut v: Vec<sea_orm::Value> = Vec::with_capacity(certs.len() * 9);
    for x in certs {
        v.extend([
            x.licence_id.clone().into(),
            x.case_id.into(),
            x.department_id.into(),
            x.holder_code.clone().into(),
            x.type_name.clone().into(),
            x.body.clone().into(),
            to_hex(&x.signature).into(),
            x.key_id.into(),
            now.into(),
        ]);
    }
    exec(
        c,
        &format!(
            "INSERT INTO certificates (licence_id, case_id, department_id, holder_code, type_name, body, signature, key_id, issued_at, revoked_at, revoke_reason) VALUES {}",
            crate::sql::rows(c.get_database_backend(), certs.len(), 9, ", NULL, ''")
        ),
        v,
    )
    .await?;
    Ok(())
}

/// The trail entry of an issued certificate.
pub(crate) fn issue_trail(x: &NewCert, case_no: &str) -> NewEntry {
    NewEntry {
        actor: None,
        action: "certificate.issue".into(),
        object: format!("certificate:{}", x.licence_id),
        details: serde_json::json!({"case": case_no, "key": x.key_id}),
    }
}

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
