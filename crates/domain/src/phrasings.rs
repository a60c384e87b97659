//! Everyday phrasings (SPEC §2.4): the words people search with ("生孩子",
//! "社保卡") and the official wording the guides use, kept by the catalogue
//! admin. A new centre starts with [`DEFAULT_PHRASINGS`].

use crate::error::{FieldError, FieldErrors};

/// The phrasings a new centre starts with: (everyday, official).
pub const DEFAULT_PHRASINGS: &[(&str, &str)] = &[
    ("社保卡", "社会保障卡"),
    ("社保", "社会保险"),
    ("医保", "医疗保险"),
    ("公积金", "住房公积金"),
    ("身份证", "居民身份证"),
    ("户口本", "户口簿"),
    ("出生证", "出生医学证明"),
    ("准生证", "生育登记"),
    ("开公司", "企业设立登记"),
    ("办执照", "营业执照"),
    ("上学", "入学"),
    ("领证", "结婚登记"),
    ("生孩子", "新生儿出生"),
    ("生小孩", "新生儿出生"),
    ("宝宝", "新生儿"),
];

/// Longest phrasing, in characters.
pub const PHRASING_MAX: usize = 20;

/// Checks one phrasing: both sides given, short, of plain text, different.
pub fn check_phrasing(everyday: &str, official: &str) -> Result<(), FieldErrors> {
    let mut errs = FieldErrors::default();
    for (field, zh, en, v) in [
        ("everyday", "日常说法", "the everyday phrasing", everyday),
        ("official", "规范用语", "the official wording", official),
    ] {
        let v = v.trim();
        if v.is_empty() {
            errs.push(FieldError::required(field, zh));
        } else if v.chars().count() < 2 {
            // One character would widen every query that holds it.
            errs.push(FieldError::new(
                field,
                "too_short",
                format!("{zh}至少2个字"),
                format!("{en} needs at least 2 characters"),
            ));
        } else if let Some(e) = crate::text::check_text(field, zh, en, v, PHRASING_MAX, false) {
            errs.push(e);
        }
    }
    if !everyday.trim().is_empty() && everyday.trim() == official.trim() {
        errs.push(FieldError::new(
            "official",
            "same",
            "规范用语应与日常说法不同",
            "the official wording must differ from the everyday phrasing",
        ));
    }
    errs.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phrasing_is_checked() {
        assert!(check_phrasing("生孩子", "新生儿出生").is_ok());
        let e = check_phrasing(" ", "新生儿出生").expect_err("empty");
        assert_eq!(e.0[0].field, "everyday");
        let e = check_phrasing("宝", "新生儿").expect_err("one character");
        assert_eq!(e.0[0].code, "too_short");
        let e = check_phrasing("宝宝", "宝宝").expect_err("same");
        assert_eq!(e.0[0].code, "same");
        let e = check_phrasing("生孩子", &"长".repeat(21)).expect_err("long");
        assert_eq!(e.0[0].field, "official");
        let e = check_phrasing("生\u{202E}孩子", "新生儿").expect_err("bidi");
        assert_eq!(e.0[0].code, "bad_character");
    }
}
