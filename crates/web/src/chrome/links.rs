//! Site paths inside a notice's text (“评价页面：/cases/12/rate”): shown as
//! links on the notifications page, and made absolute in mail when the
//! public URL is configured, so the person can follow them from either.

/// The paths a notice may name; anything else stays text.
const PREFIXES: &[&str] = &[
    "/cases/",
    "/bundle-cases/",
    "/rectifications/",
    "/findings/",
    "/items/",
];

/// The text cut into pieces, each with the path it links to (if any).
pub fn split_links(body: &str) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    let mut rest = body;
    while let Some((at, len)) = next_path(rest) {
        if at > 0 {
            out.push((rest[..at].to_string(), None));
        }
        let path = &rest[at..at + len];
        out.push((path.to_string(), Some(path.to_string())));
        rest = &rest[at + len..];
    }
    if !rest.is_empty() {
        out.push((rest.to_string(), None));
    }
    out
}

/// The text with every path prefixed by `base` (no trailing slash).
pub fn absolute_links(body: &str, base: &str) -> String {
    split_links(body)
        .into_iter()
        .map(|(text, link)| match link {
            Some(p) => format!("{base}{p}"),
            None => text,
        })
        .collect()
}

/// Where the next path starts and how long it is: one of [`PREFIXES`] not
/// inside a word, then letters, digits, `/`, `-` and `_`.
fn next_path(s: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(i) = s[from..].find('/') {
        let at = from + i;
        let after_word = s[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '/' || c == ':');
        if !after_word && PREFIXES.iter().any(|p| s[at..].starts_with(p)) {
            let len = s[at..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_')))
                .unwrap_or(s.len() - at);
            return Some((at, len));
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_in_a_notice_become_links_and_other_slashes_stay_text() {
        let body = "欢迎评价：/cases/12/rate。见 a/cases/3 或 https://x.cn/cases/4";
        let parts = split_links(body);
        let links: Vec<_> = parts.iter().filter_map(|(_, l)| l.clone()).collect();
        assert_eq!(links, vec!["/cases/12/rate".to_string()]);
        assert_eq!(
            parts.iter().map(|(t, _)| t.as_str()).collect::<String>(),
            body
        );
        assert_eq!(
            absolute_links("评价：/rectifications/5", "https://zwfw.example.cn"),
            "评价：https://zwfw.example.cn/rectifications/5"
        );
        assert_eq!(absolute_links("无链接", "https://a"), "无链接");
    }
}
