//! What free text may hold, decided once: no control characters (line
//! breaks and tabs only where the text has lines), no bidirectional
//! overrides or isolates (which make `exe.pdf` of `fdp.exe`), and a length
//! limit per kind of text.

use crate::FieldError;

/// Longest person or organisation name (申请人姓名或名称).
pub const NAME_MAX: usize = 100;
/// Longest free text of a form field, a reason, an opinion or a note.
pub const TEXT_MAX: usize = 2000;
/// Longest string any JSON request may carry at all.
pub const ANY_STRING_MAX: usize = 20_000;

/// Unicode's bidirectional controls (embeddings, overrides, isolates and
/// marks), which reorder what a reader sees, and the invisible characters
/// that make two names look alike (zero-width space, word joiner, byte
/// order mark). The zero-width (non-)joiners stay: scripts and emoji use them.
pub fn is_format_char(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Whether a character may stand in text: `multiline` allows line breaks
/// and tabs.
pub fn allowed_char(c: char, multiline: bool) -> bool {
    if is_format_char(c) {
        return false;
    }
    if c.is_control() {
        return multiline && matches!(c, '\n' | '\r' | '\t');
    }
    true
}

/// Checks one text value: its characters and its length (`max` characters).
/// `None` when it is acceptable.
pub fn check_text(
    field: &str,
    label_zh: &str,
    label_en: &str,
    value: &str,
    max: usize,
    multiline: bool,
) -> Option<FieldError> {
    if let Some(c) = value.chars().find(|c| !allowed_char(*c, multiline)) {
        return Some(FieldError::new(
            field,
            "bad_character",
            format!("{label_zh}含有不允许的控制字符（U+{:04X}）", u32::from(c)),
            format!(
                "{label_en} holds a control character that is not allowed (U+{:04X})",
                u32::from(c)
            ),
        ));
    }
    if value.chars().count() > max {
        return Some(FieldError::new(
            field,
            "too_long",
            format!("{label_zh}不能超过{max}字"),
            format!("{label_en} must be at most {max} characters"),
        ));
    }
    None
}

/// The first string (or object key) anywhere in `v` that the rule refuses
/// (`max` characters, line breaks allowed), named by its path as errors
/// name fields (`form.name`, `materials[2].name`).
pub fn first_bad_string(v: &serde_json::Value, max: usize) -> Option<FieldError> {
    fn walk(v: &serde_json::Value, path: &mut String, max: usize) -> Option<FieldError> {
        let check = |s: &str, path: &str| {
            let field = if path.is_empty() { "body" } else { path };
            check_text(field, field, field, s, max, true)
        };
        match v {
            serde_json::Value::String(s) => check(s, path),
            serde_json::Value::Array(a) => a.iter().enumerate().find_map(|(i, x)| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let r = walk(x, path, max);
                path.truncate(len);
                r
            }),
            serde_json::Value::Object(m) => m.iter().find_map(|(k, x)| {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&k.chars().take(100).collect::<String>());
                let r = check(k, path).or_else(|| walk(x, path, max));
                path.truncate(len);
                r
            }),
            _ => None,
        }
    }
    walk(v, &mut String::new(), max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_refused() {
        for bad in [
            "a\0b",
            "invoice\u{202E}fdp.exe",
            "x\u{2066}y",
            "\u{7}",
            "张\u{200B}三",
            "\u{FEFF}王五",
        ] {
            let e = check_text("name", "姓名", "the name", bad, NAME_MAX, false).expect("refused");
            assert_eq!(e.code, "bad_character", "{bad:?}");
        }
        assert!(check_text("name", "姓名", "the name", "a\nb", NAME_MAX, false).is_some());
        assert!(
            check_text(
                "note",
                "备注",
                "the note",
                "第一行\n第二行\t完",
                TEXT_MAX,
                true
            )
            .is_none()
        );
        assert!(
            check_text(
                "name",
                "姓名",
                "the name",
                "张三 (Zhang San)",
                NAME_MAX,
                false
            )
            .is_none()
        );
    }

    #[test]
    fn length_is_counted_in_characters() {
        let at = "名".repeat(NAME_MAX);
        assert!(check_text("name", "姓名", "the name", &at, NAME_MAX, false).is_none());
        let over = "名".repeat(NAME_MAX + 1);
        let e = check_text("name", "姓名", "the name", &over, NAME_MAX, false).expect("long");
        assert_eq!(e.code, "too_long");
    }
}
