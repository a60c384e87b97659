//! Identity codes (SPEC §10) and catalogue codes (SPEC §2.1).
//!
//! Each code is a newtype whose only constructor is `parse`: a value of the
//! type is always well-formed, so code further in never re-checks it.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::FieldError;

/// Why a code failed to parse. Each variant has a Chinese and an English message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("length must be {expected} characters, got {got}")]
    Length { expected: &'static str, got: usize },
    #[error("character {ch:?} at position {pos} is not allowed")]
    BadChar { ch: char, pos: usize },
    #[error("check character should be {expected:?}, got {got:?}")]
    Check { expected: char, got: char },
    #[error("birth date {0} is not a real date")]
    BirthDate(String),
    #[error("{0}")]
    Structure(&'static str),
}

impl CodeError {
    /// The message in Chinese, for pages and API errors.
    pub fn zh(&self) -> String {
        match self {
            CodeError::Length { expected, got } => format!("长度应为{expected}位，实际为{got}位"),
            CodeError::BadChar { ch, pos } => format!("第{pos}位字符“{ch}”不合法"),
            CodeError::Check { expected, got } => {
                format!("校验码应为“{expected}”，实际为“{got}”")
            }
            CodeError::BirthDate(d) => format!("出生日期{d}不是有效日期"),
            CodeError::Structure(s) => structure_zh(s).to_string(),
        }
    }

    pub fn into_field(self, field: &str, label_zh: &str) -> FieldError {
        FieldError::new(
            field,
            "invalid_code",
            format!("{label_zh}：{}", self.zh()),
            format!("{field}: {self}"),
        )
    }
}

fn structure_zh(s: &str) -> &'static str {
    match s {
        "level digit must be 1-6" => "行使层级位应为1至6",
        "basic code part is malformed" => "基本编码部分格式错误",
        "business item suffix must be 5 digits" => "业务办理项后缀应为5位数字",
        "division code must be 6 digits" => "行政区划代码应为6位数字",
        "province part must be 11-82" => "省级代码应在11至82之间",
        _ => "格式错误",
    }
}

macro_rules! string_newtype_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                <$t>::parse(&s).map_err(serde::de::Error::custom)
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl std::str::FromStr for $t {
            type Err = CodeError;
            fn from_str(s: &str) -> Result<Self, CodeError> {
                <$t>::parse(s)
            }
        }
    };
}

/// OpenAPI schema of a code newtype: a string with a pattern.
macro_rules! string_schema {
    ($t:ty, $desc:literal, $pattern:literal) => {
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $t {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($desc))
                    .pattern(Some($pattern))
                    .into()
            }
        }
        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $t {}
    };
}

string_schema!(
    IdCardNumber,
    "公民身份号码 (GB 11643-1999), check character verified",
    "^[0-9]{17}[0-9X]$"
);
string_schema!(
    CreditCode,
    "统一社会信用代码 (GB 32100-2015), check character verified",
    "^[0-9A-HJ-NPQRTUWXY]{18}$"
);
string_schema!(
    BasicCode,
    "基本编码: 12 digits or capital letters",
    "^[0-9A-Z]{12}$"
);
string_schema!(
    ImplCode,
    "实施编码: agency credit code + level digit + basic code [+ 5 digits]",
    "^[0-9A-Z]{31}([0-9]{5})?$"
);
string_schema!(DivisionCode, "行政区划代码 (GB/T 2260)", "^[1-8][0-9]{5}$");

// ---------------------------------------------------------------------------
// 公民身份号码 GB 11643-1999

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// A citizen identity number (公民身份号码): 17 digits, a real birth date, and a
/// correct MOD 11-2 check character.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdCardNumber(String);

impl IdCardNumber {
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let s = input.trim().to_ascii_uppercase();
        let n = s.chars().count();
        if n != 18 {
            return Err(CodeError::Length {
                expected: "18",
                got: n,
            });
        }
        let bytes = s.as_bytes();
        let mut sum = 0u32;
        for (i, &b) in bytes[..17].iter().enumerate() {
            if !b.is_ascii_digit() {
                return Err(CodeError::BadChar {
                    ch: b as char,
                    pos: i + 1,
                });
            }
            sum += u32::from(b - b'0') * ID_WEIGHTS[i];
        }
        let last = bytes[17] as char;
        if !(last.is_ascii_digit() || last == 'X') {
            return Err(CodeError::BadChar { ch: last, pos: 18 });
        }
        let birth = &s[6..14];
        if NaiveDate::parse_from_str(birth, "%Y%m%d").is_err() {
            return Err(CodeError::BirthDate(birth.to_string()));
        }
        let expected = ID_CHECK[(sum % 11) as usize];
        if expected != last {
            return Err(CodeError::Check {
                expected,
                got: last,
            });
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the holder was born by `today` (and not before 1900): a number
    /// born in the future is well-formed but belongs to no one.
    pub fn born_by(&self, today: NaiveDate) -> bool {
        let b = self.birth_date();
        b <= today && b.year() >= 1900
    }

    pub fn birth_date(&self) -> NaiveDate {
        // Checked in `parse`; the fallback is never reached.
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").unwrap_or_default()
    }

    /// Masked for lists and logs: first 3 and last 2 characters kept.
    pub fn masked(&self) -> String {
        mask(&self.0, 3, 2)
    }

    /// Computes the check character for 17 leading digits (used to make
    /// synthetic demo identities).
    pub fn check_char_for(first17: &str) -> Option<char> {
        if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let sum: u32 = first17
            .bytes()
            .zip(ID_WEIGHTS)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        Some(ID_CHECK[(sum % 11) as usize])
    }
}

impl fmt::Debug for IdCardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdCardNumber({})", self.masked())
    }
}
string_newtype_serde!(IdCardNumber);

/// Keep `head` leading and `tail` trailing characters, star the rest.
/// A person's name in lists: the family name only (张**).
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
        None => String::new(),
    }
}

pub fn mask(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.extend(std::iter::repeat_n('*', chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

// ---------------------------------------------------------------------------
// 统一社会信用代码 GB 32100-2015

const CREDIT_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn credit_value(b: u8) -> Option<u32> {
    CREDIT_ALPHABET
        .iter()
        .position(|&c| c == b)
        .map(|p| p as u32)
}

/// A unified social credit code (统一社会信用代码), 18 characters with a MOD 31 check.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode(String);

impl CreditCode {
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let s = input.trim().to_ascii_uppercase();
        let n = s.chars().count();
        if n != 18 {
            return Err(CodeError::Length {
                expected: "18",
                got: n,
            });
        }
        let bytes = s.as_bytes();
        let mut sum = 0u32;
        for (i, &b) in bytes.iter().enumerate() {
            let v = credit_value(b).ok_or(CodeError::BadChar {
                ch: b as char,
                pos: i + 1,
            })?;
            if i < 17 {
                sum += v * CREDIT_WEIGHTS[i];
            }
        }
        let expected = Self::check_value(sum);
        let got = bytes[17] as char;
        if expected != got {
            return Err(CodeError::Check { expected, got });
        }
        Ok(Self(s))
    }

    fn check_value(sum: u32) -> char {
        let c = (31 - sum % 31) % 31;
        CREDIT_ALPHABET[c as usize] as char
    }

    /// The check character for 17 leading characters, if they are all in the alphabet.
    pub fn check_char_for(first17: &str) -> Option<char> {
        if first17.len() != 17 {
            return None;
        }
        let mut sum = 0;
        for (i, b) in first17.bytes().enumerate() {
            sum += credit_value(b)? * CREDIT_WEIGHTS[i];
        }
        Some(Self::check_value(sum))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
string_newtype_serde!(CreditCode);

// ---------------------------------------------------------------------------
// 基本编码 / 实施编码

/// The 12-character basic code of a service item (基本编码), digits and capital letters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BasicCode(String);

impl BasicCode {
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let s = input.trim();
        let n = s.chars().count();
        if n != 12 {
            return Err(CodeError::Length {
                expected: "12",
                got: n,
            });
        }
        if let Some((pos, ch)) = s
            .chars()
            .enumerate()
            .find(|(_, c)| !(c.is_ascii_digit() || c.is_ascii_uppercase()))
        {
            return Err(CodeError::BadChar { ch, pos: pos + 1 });
        }
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
string_newtype_serde!(BasicCode);

/// The implementation code of an item (实施编码): the implementing agency's credit
/// code (18) + level digit (1) + basic code (12), optionally followed by a
/// 5-digit business-item suffix (业务办理项), 31 or 36 characters in all.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImplCode(String);

impl ImplCode {
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let s = input.trim().to_ascii_uppercase();
        let n = s.chars().count();
        if n != 31 && n != 36 {
            return Err(CodeError::Length {
                expected: "31 或 36 / 31 or 36",
                got: n,
            });
        }
        if !s.is_ascii() {
            return Err(CodeError::Structure("basic code part is malformed"));
        }
        CreditCode::parse(&s[..18])?;
        if !matches!(s.as_bytes()[18], b'1'..=b'6') {
            return Err(CodeError::Structure("level digit must be 1-6"));
        }
        BasicCode::parse(&s[19..31])
            .map_err(|_| CodeError::Structure("basic code part is malformed"))?;
        if n == 36 && !s[31..].bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::Structure(
                "business item suffix must be 5 digits",
            ));
        }
        Ok(Self(s))
    }

    /// Builds the code from its parts.
    pub fn compose(agency: &CreditCode, level: u8, basic: &BasicCode) -> Result<Self, CodeError> {
        Self::parse(&format!("{}{}{}", agency.as_str(), level, basic.as_str()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn agency_code(&self) -> &str {
        &self.0[..18]
    }
    pub fn level_digit(&self) -> u8 {
        self.0.as_bytes()[18] - b'0'
    }
    pub fn basic_code(&self) -> &str {
        &self.0[19..31]
    }
}
string_newtype_serde!(ImplCode);

/// Administrative division code (GB/T 2260): 6 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DivisionCode(String);

impl DivisionCode {
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let s = input.trim();
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::Structure("division code must be 6 digits"));
        }
        let province: u32 = s[..2].parse().unwrap_or(0);
        if !(11..=82).contains(&province) {
            return Err(CodeError::Structure("province part must be 11-82"));
        }
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
string_newtype_serde!(DivisionCode);

/// An e-mail address as a mail relay takes it: `local@domain.tld`, parsed
/// by RFC 5322's rules, without a display name, CR/LF or other whitespace,
/// at most 200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, crate::FieldError> {
        let s = input.trim();
        let bad = || {
            crate::FieldError::new(
                "email",
                "invalid",
                "请填写有效的电子邮箱，如 name@example.com",
                "enter a valid e-mail address such as name@example.com",
            )
        };
        if s.is_empty()
            || s.chars().count() > 200
            || s.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(bad());
        }
        let options = email_address::Options::default()
            .without_display_text()
            .without_domain_literal()
            .with_required_tld();
        email_address::EmailAddress::parse_with_options(s, options)
            .map(|a| Email(a.email().to_string()))
            .map_err(|_| bad())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Chinese telephone number as published in guides: a mobile number
/// (1xxxxxxxxxx), a landline with area code (0xxx-xxxxxxx[-ext]), or a
/// service hotline (12345, 400/800 numbers).
pub fn is_valid_phone(input: &str) -> bool {
    let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if s.len() == 11 && s.starts_with('1') && digits(&s) {
        return true;
    }
    if s.len() == 5 && s.starts_with("123") && digits(&s) {
        return true;
    }
    if (s.starts_with("400") || s.starts_with("800")) && digits(&s.replace('-', "")) {
        return s.replace('-', "").len() == 10;
    }
    let mut parts = s.split('-');
    let (Some(area), Some(local)) = (parts.next(), parts.next()) else {
        return false;
    };
    let ext_ok = match parts.next() {
        None => true,
        Some(ext) => digits(ext) && ext.len() <= 6 && parts.next().is_none(),
    };
    let area_ok = area.starts_with('0') && (3..=4).contains(&area.len()) && digits(area);
    let local_ok = (7..=8).contains(&local.len()) && digits(local) && !local.starts_with('0');
    area_ok && local_ok && ext_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_card_vectors() {
        let id = IdCardNumber::parse("11010519491231002X").expect("valid");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).expect("date")
        );
        assert_eq!(id.masked(), "110*************2X");
        assert!(IdCardNumber::parse("11010519491231002x").is_ok(), "lower x");
        assert!(matches!(
            IdCardNumber::parse("110105194902300020"),
            Err(CodeError::BirthDate(_))
        ));
        assert!(matches!(
            IdCardNumber::parse("110105194912310021"),
            Err(CodeError::Check { expected: 'X', .. })
        ));
        assert!(matches!(
            IdCardNumber::parse("11010519491231002"),
            Err(CodeError::Length { got: 17, .. })
        ));
        assert!(matches!(
            IdCardNumber::parse("1101051949123100AX"),
            Err(CodeError::BadChar { pos: 17, .. })
        ));
    }

    #[test]
    fn id_card_check_char_generation_roundtrips() {
        for first in [
            "11010519491231002",
            "44030420000229123",
            "32010220201010001",
        ] {
            let c = IdCardNumber::check_char_for(first).expect("digits");
            assert!(IdCardNumber::parse(&format!("{first}{c}")).is_ok());
        }
    }

    #[test]
    fn credit_code_vectors() {
        assert!(CreditCode::parse("91350100M000100Y43").is_ok());
        assert!(matches!(
            CreditCode::parse("91350100M000100Y4Z"),
            Err(CodeError::BadChar { ch: 'Z', pos: 18 })
        ));
        assert!(matches!(
            CreditCode::parse("91350100M000100Y44"),
            Err(CodeError::Check { expected: '3', .. })
        ));
        assert!(matches!(
            CreditCode::parse("91350100I000100Y43"),
            Err(CodeError::BadChar { ch: 'I', .. })
        ));
        assert_eq!(CreditCode::check_char_for("91350100M000100Y4"), Some('3'));
    }

    #[test]
    fn impl_code_structure() {
        let agency = CreditCode::parse("91350100M000100Y43").expect("valid");
        let basic = BasicCode::parse("000201001000").expect("valid");
        let code = ImplCode::compose(&agency, 4, &basic).expect("valid");
        assert_eq!(code.as_str().len(), 31);
        assert_eq!(code.agency_code(), "91350100M000100Y43");
        assert_eq!(code.level_digit(), 4);
        assert_eq!(code.basic_code(), "000201001000");
        assert!(ImplCode::parse(&format!("{}00001", code.as_str())).is_ok());
        assert!(ImplCode::parse(&format!("{}0000A", code.as_str())).is_err());
        assert!(ImplCode::parse("91350100M000100Y449000201001000").is_err());
        assert!(ImplCode::parse("91350100M000100Y447000201001000").is_err());
    }

    #[test]
    fn phones() {
        for ok in [
            "0571-87654321",
            "010-12345678-123",
            "13800138000",
            "12345",
            "400-800-1234",
        ] {
            assert!(is_valid_phone(ok), "{ok}");
        }
        for bad in [
            "",
            "12",
            "0571-1234",
            "571-87654321",
            "电话",
            "0571-87654321-",
        ] {
            assert!(!is_valid_phone(bad), "{bad}");
        }
    }

    #[test]
    fn division_codes() {
        assert!(DivisionCode::parse("330106").is_ok());
        assert!(DivisionCode::parse("990106").is_err());
        assert!(DivisionCode::parse("33010").is_err());
    }
}
