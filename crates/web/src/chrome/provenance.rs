//! How a page words where a 免提交 material stands (the case page, the
//! materials page, the bundle's intake): to the applicant in the second
//! person, to staff as what the window does.

use tongban_store::shared_data::Provenance;

use crate::http::Lang;

/// The words, and whether the applicant is spared bringing it.
pub fn provenance_text(p: &Provenance, lang: Lang, staff: bool) -> (String, bool) {
    let text = match p {
        Provenance::Draft { source, .. } if source.is_empty() => lang
            .t(
                "免提交：提交后由平台从共享数据获取",
                "Not needed: the platform obtains it from shared data once you submit",
            )
            .to_string(),
        Provenance::Draft {
            lookup: true,
            source,
        } => format!(
            "{}{source}",
            lang.t(
                "免提交：提交后由平台从以下来源获取：",
                "Not needed: once you submit, the platform obtains it from "
            )
        ),
        Provenance::Draft {
            lookup: false,
            source,
        }
        | Provenance::ByWindow { source } => {
            if source.is_empty() {
                lang.t(
                    "免提交：由窗口通过共享数据核验",
                    "Not needed: the window verifies it from shared data",
                )
                .to_string()
            } else {
                format!(
                    "{}{source}",
                    lang.t(
                        "免提交：由窗口通过以下来源核验：",
                        "Not needed: the window verifies it with "
                    )
                )
            }
        }
        Provenance::Certificate { licence_id } if licence_id.is_empty() => lang
            .t("已以电子证照代替", "Obtained: an e-certificate stands for it")
            .to_string(),
        Provenance::Certificate { licence_id } => format!(
            "{}{licence_id}",
            lang.t("已以电子证照代替：", "Obtained: e-certificate ")
        ),
        Provenance::Obtained { source, at } => format!(
            "{}{source}（{}）",
            lang.t("已由平台获取：", "Obtained by the platform: "),
            super::fmt_time(*at)
        ),
        Provenance::Pending => lang
            .t("正在从共享数据获取", "Being obtained from shared data")
            .to_string(),
        Provenance::NotObtained { why } if staff => format!(
            "{}{}{}",
            lang.t("未获取（", "Not obtained ("),
            why.join("；"),
            lang.t(
                "）：请窗口核验，必要时列入补正",
                "): verify it at the window, or ask for it in the correction notice"
            )
        ),
        Provenance::NotObtained { .. } => lang
            .t(
                "未能自动获取：窗口将核验，如需您补交会一次性告知",
                "Could not be obtained automatically: the window will check it and tell you at once if you need to bring it",
            )
            .to_string(),
        Provenance::Refused { why } => why.clone(),
    };
    (text, p.spares())
}
