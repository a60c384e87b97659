//! What every template shows and the small view helpers all pages use: the
//! page frame ([`Chrome`]), URL encoding, the options of a select, and times
//! in China Standard Time.

use tongban_domain::catalog::Labelled;
use tongban_store::accounts::Session;

use crate::http::Lang;

/// The page frame: language, who is signed in, the CSRF token for forms.
pub struct Chrome {
    pub lang: Lang,
    pub user: Option<String>,
    pub role: String,
    pub csrf: String,
    /// Current path and query, for the language switch to come back to.
    pub here: String,
    /// The signed-in role's menu (the public one when signed out).
    pub menu: Vec<super::menu::MenuLink>,
}

impl Chrome {
    pub fn new(lang: Lang, session: Option<&Session>, here: &str) -> Self {
        Self {
            lang,
            user: session.map(|s| s.actor.display_name.clone()),
            role: session
                .map(|s| lang.t(s.actor.role.zh(), s.actor.role.en()).to_string())
                .unwrap_or_default(),
            csrf: session.map(|s| s.csrf_token.clone()).unwrap_or_default(),
            here: here.to_string(),
            menu: super::menu::menu(session.map(|s| &s.actor)),
        }
    }
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.lang.t(zh, en)
    }
    pub fn en(&self) -> bool {
        self.lang == Lang::En
    }
    /// The id of the input an error's field names: `form.venue_name` is
    /// the input `f-form_venue_name` (ids have no dots, so a link to them
    /// is never read as a class).
    pub fn field_id(&self, field: &str) -> String {
        format!("f-{}", field.replace('.', "_"))
    }
    /// URL-encoded current location.
    pub fn here_enc(&self) -> String {
        url_encode(&self.here)
    }
}

pub fn url_encode(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                o.push(b as char)
            }
            _ => o.push_str(&format!("%{b:02X}")),
        }
    }
    o
}

/// An option of a select or a checkbox.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The options of a select for a code list, with the current key selected.
pub fn options<T: Labelled>(all: &[T], current: &str, lang: Lang) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice {
            value: v.key(),
            label: lang.t(v.label_zh(), v.label_en()).to_string(),
            selected: v.key() == current,
        })
        .collect()
}

/// A date as people read it: a date counted into a year whose holiday notice
/// is not out says 暂定 (SPEC §3), wherever it is shown.
pub fn fmt_due(
    cal: &tongban_domain::calendar::WorkCalendar,
    d: chrono::NaiveDate,
    lang: Lang,
) -> String {
    if cal.is_provisional(d) {
        format!("{d}（{}）", lang.t("暂定", "provisional"))
    } else {
        d.to_string()
    }
}

/// Formats a UTC millisecond timestamp in China Standard Time.
pub fn fmt_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&chrono_tz::Asia::Shanghai)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}
