//! The one-line notices the admin pages show after a redirect
//! (`?notice=…`).

use serde::Deserialize;

use crate::http::Lang;

#[derive(Deserialize, Default)]
pub struct NoticeParam {
    pub notice: Option<String>,
}

pub fn notice_text(lang: Lang, key: Option<&str>) -> String {
    let (zh, en) = match key {
        Some("created") => (
            "草稿已创建。请填写各项要素后发布。",
            "Draft created. Fill in the elements, then publish.",
        ),
        Some("saved") => ("草稿已保存。", "Draft saved."),
        Some("published") => (
            "已发布，公开页面和搜索已更新。",
            "Published. The public page and search are updated.",
        ),
        Some("new_version") => (
            "已根据在用版本新建草稿。",
            "A new draft was made from the live version.",
        ),
        Some("retired") => (
            "事项已取消，不再公开。",
            "The item was retired and is no longer public.",
        ),
        Some("audit_done") => ("核查完成。", "Audit finished."),
        Some("fixed") => ("已记录整改。", "Rectification recorded."),
        Some("verified") => ("已核验。", "Verified."),
        Some("phrasing_added") => ("已添加，搜索即时生效。", "Added; search uses it now."),
        Some("phrasing_removed") => ("已删除。", "Removed."),
        Some("sent_back") => (
            "已退回整改，问题重新打开。",
            "Sent back: the finding is open again.",
        ),
        Some("dept_saved") => ("部门已保存。", "Department saved."),
        _ => return String::new(),
    };
    lang.t(zh, en).to_string()
}
