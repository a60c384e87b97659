//! Where each role lands after signing in, and the menu of each role: the
//! pages it may open and nothing else. One table for both, so the landing
//! page is always the menu's first link. (The pages check access on their
//! own; a test signs in as every demo account and opens every link of its
//! menu: none may answer 403 or 404.)

use tongban_domain::auth::{Actor, Role};

/// One link of the menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MenuLink {
    pub href: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    /// The element id, for tests and the skip links.
    pub id: &'static str,
}

const fn link(
    href: &'static str,
    zh: &'static str,
    en: &'static str,
    id: &'static str,
) -> MenuLink {
    MenuLink { href, zh, en, id }
}

const GUIDES: MenuLink = link("/items", "办事指南", "Service guides", "nav-items");
const EVENTS: MenuLink = link("/bundles", "一件事", "Life events", "nav-bundles");
const TRACK: MenuLink = link("/progress", "办件查询", "Track", "nav-progress");
const VERIFY: MenuLink = link("/verify", "证照核验", "Verify", "nav-verify");
const NOTES: MenuLink = link("/notifications", "消息", "Notifications", "nav-notes");
const INQUIRIES: MenuLink = link("/inquiries", "咨询登记", "Inquiries", "nav-inquiries");
const SATISFACTION: MenuLink = link("/satisfaction", "好差评", "Ratings", "nav-satisfaction");
const RATINGS: MenuLink = link("/ratings", "评价", "Ratings received", "nav-ratings");
const RECTIFICATIONS: MenuLink = link(
    "/rectifications",
    "差评整改",
    "Rectifications",
    "nav-rectifications",
);
const PROJECTS: MenuLink = link("/projects", "工程项目", "Projects", "nav-projects");
const TICKETS: MenuLink = link("/tickets", "审批疑难", "Difficulty tickets", "nav-tickets");
const MANDATES: MenuLink = link("/mandates", "授权委托", "Authorizations", "nav-mandates");
const COMMITMENTS: MenuLink = link(
    "/commitments",
    "告知承诺核查",
    "Commitment checks",
    "nav-commitments",
);
const FINDINGS: MenuLink = link(
    "/officer-findings",
    "体验员问题",
    "Officers' findings",
    "nav-officer-findings",
);

/// The links of `actor`'s menu, their own work first; `None`: the public.
pub fn menu(actor: Option<&Actor>) -> Vec<MenuLink> {
    let Some(a) = actor else {
        return vec![GUIDES, EVENTS, TRACK, VERIFY, SATISFACTION];
    };
    match a.role {
        Role::Applicant => vec![
            link("/work", "我的办件", "My applications", "nav-work"),
            link(
                "/bundle-cases",
                "我的一件事",
                "My life events",
                "nav-bundle-cases",
            ),
            link(
                "/my/certificates",
                "我的证照",
                "My certificates",
                "nav-my-certificates",
            ),
            PROJECTS,
            TICKETS,
            MANDATES,
            NOTES,
            GUIDES,
            EVENTS,
            TRACK,
        ],
        Role::Clerk => vec![
            link("/work", "待受理", "Intake queue", "nav-work"),
            link(
                "/bundle-cases",
                "一件事受理",
                "Life-event intake",
                "nav-bundle-cases",
            ),
            RECTIFICATIONS,
            RATINGS,
            INQUIRIES,
            NOTES,
            GUIDES,
            EVENTS,
        ],
        Role::Reviewer => vec![
            link("/work", "待审查", "Inbox", "nav-work"),
            TICKETS,
            COMMITMENTS,
            RECTIFICATIONS,
            FINDINGS,
            RATINGS,
            INQUIRIES,
            NOTES,
            GUIDES,
        ],
        Role::Head => vec![
            link("/work", "待我决定", "Decisions and warnings", "nav-work"),
            link(
                "/indicators/dashboard",
                "效能评估",
                "Performance",
                "nav-dashboard",
            ),
            TICKETS,
            COMMITMENTS,
            RECTIFICATIONS,
            FINDINGS,
            RATINGS,
            INQUIRIES,
            NOTES,
            GUIDES,
        ],
        Role::Supervisor => vec![
            link("/work", "督查总览", "Overview", "nav-work"),
            link("/admin/audit", "指南核查", "Guide audit", "nav-audit"),
            link("/admin", "事项目录", "Catalogue", "nav-admin"),
            link("/admin/mail", "退信", "Undeliverable mail", "nav-mail"),
            TICKETS,
            PROJECTS,
            RECTIFICATIONS,
            link("/appeals", "申诉复核", "Appeals", "nav-appeals"),
            RATINGS,
            FINDINGS,
            link(
                "/officer/walkthroughs",
                "走查记录",
                "Walk-throughs",
                "nav-walkthroughs",
            ),
            INQUIRIES,
            link(
                "/indicators/dashboard",
                "效能评估",
                "Performance",
                "nav-dashboard",
            ),
            link(
                "/indicators",
                "指标定义",
                "Indicator definitions",
                "nav-indicators",
            ),
            NOTES,
        ],
        Role::CatalogAdmin => {
            let mut v = vec![
                link("/admin", "事项管理", "Items", "nav-admin"),
                link("/admin/audit", "指南核查", "Guide audit", "nav-audit"),
            ];
            // Bundles span departments and a catalogue is imported whole:
            // the centre's catalogue admin only.
            if a.department_id.is_none() {
                v.push(link(
                    "/admin/bundles",
                    "一件事管理",
                    "Life events",
                    "nav-admin-bundles",
                ));
                v.push(link("/admin/import", "导入目录", "Import", "nav-import"));
                v.push(link(
                    "/admin/search-phrasings",
                    "搜索常用说法",
                    "Search phrasings",
                    "nav-phrasings",
                ));
            }
            v.extend([FINDINGS, NOTES, GUIDES]);
            v
        }
        Role::SysAdmin => vec![
            link("/admin/users", "用户", "Users", "nav-users"),
            link(
                "/admin/calendar",
                "节假日安排",
                "Holiday calendar",
                "nav-calendar",
            ),
            link(
                "/admin/sources",
                "共享数据源",
                "Data sources",
                "nav-sources",
            ),
            link("/admin/keys", "签章密钥", "Signing keys", "nav-keys"),
            link(
                "/admin/departments",
                "部门",
                "Departments",
                "nav-departments",
            ),
            link("/admin", "事项目录", "Catalogue", "nav-admin"),
            link("/admin/profile", "中心规则", "Centre rules", "nav-profile"),
            NOTES,
        ],
        Role::Concierge => vec![
            PROJECTS, TICKETS, MANDATES, INQUIRIES, NOTES, GUIDES, EVENTS,
        ],
        Role::ExperienceOfficer => vec![
            link("/officer", "体验走查", "Walk-throughs", "nav-officer"),
            link(
                "/officer/walkthroughs",
                "我的走查记录",
                "My walk-throughs",
                "nav-walkthroughs",
            ),
            NOTES,
            GUIDES,
            EVENTS,
        ],
    }
}

/// Where a role lands after signing in: their own work, the first link of
/// their menu (a citizen starts from the services; their applications are
/// one click away).
pub fn landing(role: Role) -> &'static str {
    match role {
        Role::Applicant => "/",
        Role::Clerk | Role::Reviewer | Role::Head | Role::Supervisor => "/work",
        Role::CatalogAdmin => "/admin",
        Role::SysAdmin => "/admin/users",
        Role::Concierge => "/projects",
        Role::ExperienceOfficer => "/officer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, department_id: Option<i64>) -> Actor {
        Actor {
            user_id: 1,
            username: "u".into(),
            display_name: "u".into(),
            role,
            centre_path: "/1/".into(),
            centre_id: 1,
            department_id,
        }
    }

    #[test]
    fn staff_land_on_the_first_link_of_their_menu() {
        for role in Role::ALL {
            if *role == Role::Applicant {
                continue;
            }
            for dept in [None, Some(3)] {
                let m = menu(Some(&actor(*role, dept)));
                assert_eq!(m.first().map(|l| l.href), Some(landing(*role)), "{role:?}");
            }
        }
        assert_eq!(landing(Role::Applicant), "/");
    }

    #[test]
    fn no_role_is_offered_another_roles_admin() {
        let dept_admin = menu(Some(&actor(Role::CatalogAdmin, Some(3))));
        assert!(dept_admin.iter().all(|l| l.href != "/admin/import"));
        let clerk = menu(Some(&actor(Role::Clerk, None)));
        assert!(clerk.iter().all(|l| !l.href.starts_with("/admin")));
        for role in Role::ALL {
            let m = menu(Some(&actor(*role, None)));
            let mut ids: Vec<_> = m.iter().map(|l| l.id).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), m.len(), "{role:?}: a link twice");
        }
    }
}
