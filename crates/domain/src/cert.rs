//! Electronic certificates (SPEC §7): the 证照标识 with its ISO/IEC 7064
//! MOD 37,36 check character, the certificate record, its status, and the
//! canonical bytes that are signed (and verified by anyone, e.g. OpenSSL).
//! Pure: signing lives in `tongban-certs`.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Every 证照标识 starts with this object identifier.
pub const LICENCE_PREFIX: &str = "1.2.156.3005.2.";

/// The signer id of SM2 signatures (GB/T 35276 default).
pub const SM2_SIGNER_ID: &str = "1234567812345678";

const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// ISO/IEC 7064 MOD 37,36 (hybrid) check character over `s` (digits and
/// capital letters); `None` if `s` has another character.
pub fn mod37_36(s: &str) -> Option<char> {
    const M: u32 = 36;
    let mut p = M;
    for c in s.bytes() {
        let v = ALPHABET.iter().position(|a| *a == c)? as u32;
        let mut t = (p + v) % M;
        if t == 0 {
            t = M;
        }
        p = (2 * t) % (M + 1);
    }
    Some(ALPHABET[((M + 1 - p) % M) as usize] as char)
}

/// Why a 证照标识 is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LicenceIdError {
    Prefix,
    Shape(&'static str),
    Check { expected: char, found: char },
}

impl LicenceIdError {
    pub fn zh(&self) -> String {
        match self {
            LicenceIdError::Prefix => format!("证照标识应以{LICENCE_PREFIX}开头"),
            LicenceIdError::Shape(what) => format!("证照标识格式错误：{what}"),
            LicenceIdError::Check { expected, found } => {
                format!("证照标识校验位错误：应为{expected}，实为{found}")
            }
        }
    }
}

impl fmt::Display for LicenceIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LicenceIdError::Prefix => write!(f, "a licence id starts with {LICENCE_PREFIX}"),
            LicenceIdError::Shape(what) => write!(f, "malformed licence id: {what}"),
            LicenceIdError::Check { expected, found } => {
                write!(
                    f,
                    "wrong check character: expected {expected}, found {found}"
                )
            }
        }
    }
}

impl std::error::Error for LicenceIdError {}

fn upper_alnum(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

/// A 证照标识: prefix, type code (defining body's 信用代码 + 3 digits), issuer's
/// 信用代码, sequence, version, check character.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LicenceId(String);

impl LicenceId {
    pub fn parse(s: &str) -> Result<Self, LicenceIdError> {
        let s = s.trim();
        let rest = s
            .strip_prefix(LICENCE_PREFIX)
            .ok_or(LicenceIdError::Prefix)?;
        let parts: Vec<&str> = rest.split('.').collect();
        let [type_code, issuer, sequence, version, check] = parts[..] else {
            return Err(LicenceIdError::Shape(
                "应有5段 / five segments after the prefix",
            ));
        };
        if type_code.len() != 21 || !upper_alnum(type_code) {
            return Err(LicenceIdError::Shape("类型代码应为21位 / type code of 21"));
        }
        if issuer.len() != 18 || !upper_alnum(issuer) {
            return Err(LicenceIdError::Shape(
                "颁发机构代码应为18位 / issuer code of 18",
            ));
        }
        if sequence.is_empty() || sequence.len() > 30 || !upper_alnum(sequence) {
            return Err(LicenceIdError::Shape("顺序号 / sequence"));
        }
        if version.len() != 3 || !version.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LicenceIdError::Shape(
                "版本应为3位数字 / version of 3 digits",
            ));
        }
        let found = match check.as_bytes() {
            [c] => *c as char,
            _ => return Err(LicenceIdError::Shape("校验位应为1位 / one check character")),
        };
        let body = format!("{type_code}{issuer}{sequence}{version}");
        let expected = mod37_36(&body).ok_or(LicenceIdError::Shape("字符 / characters"))?;
        if expected != found {
            return Err(LicenceIdError::Check { expected, found });
        }
        Ok(LicenceId(s.to_string()))
    }

    /// Builds an identifier with its check character.
    pub fn build(
        type_code: &str,
        issuer: &str,
        sequence: &str,
        version: &str,
    ) -> Result<Self, LicenceIdError> {
        let body = format!("{type_code}{issuer}{sequence}{version}");
        let check = mod37_36(&body).ok_or(LicenceIdError::Shape("字符 / characters"))?;
        Self::parse(&format!(
            "{LICENCE_PREFIX}{type_code}.{issuer}.{sequence}.{version}.{check}"
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LicenceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for LicenceId {
    type Error = LicenceIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        LicenceId::parse(&s)
    }
}

impl From<LicenceId> for String {
    fn from(l: LicenceId) -> String {
        l.0
    }
}

/// A certificate record (SPEC §7): what is signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertRecord {
    pub licence_id: LicenceId,
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
    /// None: valid indefinitely.
    pub valid_to: Option<NaiveDate>,
    pub holder_name: String,
    pub holder_code: String,
    /// 111 = 公民身份号码, 001 = 统一社会信用代码.
    pub holder_code_type: String,
    /// The item and case that produced it.
    pub item_code: String,
    pub item_name: String,
    pub case_no: String,
    /// The certificate's own content (e.g. 新生儿姓名).
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

impl CertRecord {
    /// The signed bytes: JSON with object keys sorted, no insignificant
    /// whitespace, UTF-8 — the same record always gives the same bytes.
    pub fn canonical_json(&self) -> Vec<u8> {
        let v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        let mut out = String::new();
        write_canonical(&v, &mut out);
        out.into_bytes()
    }

    /// Parses signed bytes back into a record.
    pub fn from_canonical(bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }
}

fn write_canonical(v: &serde_json::Value, out: &mut String) {
    match v {
        serde_json::Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String((*k).clone()).to_string());
                out.push(':');
                if let Some(x) = m.get(*k) {
                    write_canonical(x, out);
                }
            }
            out.push('}');
        }
        serde_json::Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Whether a certificate can be relied on today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertStatus {
    Valid,
    Revoked,
    Expired,
    /// Not valid yet.
    Pending,
}

impl CertStatus {
    pub fn zh(self) -> &'static str {
        match self {
            CertStatus::Valid => "有效",
            CertStatus::Revoked => "已注销",
            CertStatus::Expired => "已过期",
            CertStatus::Pending => "尚未生效",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            CertStatus::Valid => "valid",
            CertStatus::Revoked => "revoked",
            CertStatus::Expired => "expired",
            CertStatus::Pending => "not valid yet",
        }
    }
}

/// The status of a certificate on `today`.
pub fn status(rec: &CertRecord, revoked: bool, today: NaiveDate) -> CertStatus {
    if revoked {
        CertStatus::Revoked
    } else if today < rec.valid_from {
        CertStatus::Pending
    } else if rec.valid_to.is_some_and(|t| today > t) {
        CertStatus::Expired
    } else {
        CertStatus::Valid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str =
        "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U";

    #[test]
    fn the_national_example_validates_and_one_altered_character_fails() {
        let id = LicenceId::parse(EXAMPLE).expect("the SPEC example is valid");
        assert_eq!(id.as_str(), EXAMPLE);
        // Alter each character after the prefix that is not a dot: every change is caught.
        let bytes = EXAMPLE.as_bytes();
        for i in LICENCE_PREFIX.len()..bytes.len() {
            if bytes[i] == b'.' {
                continue;
            }
            for c in ALPHABET.iter().filter(|c| **c != bytes[i]) {
                let mut b = bytes.to_vec();
                b[i] = *c;
                let altered = String::from_utf8(b).expect("ascii");
                assert!(
                    LicenceId::parse(&altered).is_err(),
                    "{altered} must not validate"
                );
            }
        }
    }

    #[test]
    fn built_ids_carry_their_check_character() {
        let id = LicenceId::build(
            "11100000000013338W011",
            "11430000006122244L",
            "20230000403",
            "001",
        )
        .expect("valid");
        assert_eq!(id.as_str(), EXAMPLE);
        assert!(LicenceId::parse("1.2.156.3005.2.X.Y").is_err());
        assert_eq!(
            LicenceId::parse(
                "2.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"
            ),
            Err(LicenceIdError::Prefix)
        );
        assert!(matches!(
            LicenceId::parse(&EXAMPLE.replace(".U", ".V")),
            Err(LicenceIdError::Check {
                expected: 'U',
                found: 'V'
            })
        ));
    }

    fn record() -> CertRecord {
        CertRecord {
            licence_id: LicenceId::parse(EXAMPLE).expect("valid"),
            type_code: "11100000000013338W011".into(),
            type_name: "出生医学证明".into(),
            number: "Q330000001".into(),
            version: "001".into(),
            issued_on: NaiveDate::from_ymd_opt(2026, 3, 2).expect("date"),
            issuer_name: "示范区卫生健康局".into(),
            issuer_code: "11430000006122244L".into(),
            definer: "国家卫生健康委员会".into(),
            valid_from: NaiveDate::from_ymd_opt(2026, 3, 2).expect("date"),
            valid_to: Some(NaiveDate::from_ymd_opt(2027, 3, 1).expect("date")),
            holder_name: "张小宝".into(),
            holder_code: "330102199003070027".into(),
            holder_code_type: "111".into(),
            item_code: "11339901MB000000114020101001000".into(),
            item_name: "出生医学证明首次签发".into(),
            case_no: "3399012026030200000001".into(),
            fields: [
                ("b".to_string(), "2".to_string()),
                ("a".to_string(), "1".to_string()),
            ]
            .into_iter()
            .collect(),
        }
    }

    #[test]
    fn canonical_bytes_are_sorted_compact_and_round_trip() {
        let r = record();
        let bytes = r.canonical_json();
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        assert!(text.starts_with("{\"case_no\":"), "{text}");
        assert!(text.contains("\"fields\":{\"a\":\"1\",\"b\":\"2\"}"));
        assert!(!text.contains(": ") && !text.contains('\n'));
        assert_eq!(CertRecord::from_canonical(&bytes), Ok(r.clone()));
        assert_eq!(r.canonical_json(), bytes, "deterministic");
    }

    #[test]
    fn status_follows_revocation_and_validity() {
        let r = record();
        let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).expect("date");
        assert_eq!(status(&r, false, d(3, 2)), CertStatus::Valid);
        assert_eq!(status(&r, true, d(3, 2)), CertStatus::Revoked);
        assert_eq!(status(&r, false, d(3, 1)), CertStatus::Pending);
        let late = NaiveDate::from_ymd_opt(2027, 3, 2).expect("date");
        assert_eq!(status(&r, false, late), CertStatus::Expired);
    }
}
