//! Demo data: a fictional district service centre with its departments,
//! catalogue and one account per role (plus a reviewer of a co-reviewing
//! department, for joint handling). Loaded into an empty database only.

use tongban_domain::auth::Role;
use tongban_domain::codes::{DivisionCode, IdCardNumber};

use crate::accounts::NewUser;
use crate::{Result, Store, StoreError, get, query_one};

/// The demo catalogue, in the import format.
pub const DEMO_CATALOG: &str = include_str!("../../demo/catalog.json");

/// The demo's shared data sources (人口库, 出生医学登记库 …) with synthetic
/// people and enterprises whose ID numbers and credit codes are valid.
pub const DEMO_SOURCES: &str = include_str!("../../demo/sources.json");

/// The demo's 免申即享 policies.
pub const DEMO_POLICIES: &str = include_str!("../../demo/policies.json");

/// The demo life-event bundles (一件事), published over the demo catalogue.
pub const DEMO_BUNDLES: &str = include_str!("../../demo/bundles.json");

/// The secret sealing the demo's signing keys (published: demo only; set
/// `TONGBAN_KEY_SECRET` in production).
pub const DEMO_KEY_SECRET: &str = "tongban-demo-key-secret";

/// Password of every demo account (printed at start-up; demo only).
pub const DEMO_PASSWORD: &str = "tongban-demo";

/// The demo enterprises' 统一社会信用代码 (fictional, with valid check characters).
pub const DEMO_ENTERPRISE_CODE: &str = "91339901MA2J0CYB0T";
pub const DEMO_ENTERPRISE2_CODE: &str = "91339901MA2J1QEU0Y";

/// A demo account: username, display name, role, and the department's short name if any.
pub struct DemoAccount {
    pub username: &'static str,
    pub display_name: &'static str,
    pub role: Role,
    pub department: Option<&'static str>,
}

pub const DEMO_ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        username: "applicant",
        display_name: "张三",
        role: Role::Applicant,
        department: None,
    },
    DemoAccount {
        username: "clerk",
        display_name: "李窗口（综合窗口）",
        role: Role::Clerk,
        department: None,
    },
    DemoAccount {
        username: "clerk_hotline",
        display_name: "周坐席（12345热线）",
        role: Role::Clerk,
        department: None,
    },
    DemoAccount {
        username: "reviewer",
        display_name: "王审查（卫健局）",
        role: Role::Reviewer,
        department: Some("卫健局"),
    },
    DemoAccount {
        username: "head",
        display_name: "赵局长（卫健局）",
        role: Role::Head,
        department: Some("卫健局"),
    },
    DemoAccount {
        username: "reviewer_scj",
        display_name: "孙审查（市场监管局）",
        role: Role::Reviewer,
        department: Some("市场监管局"),
    },
    DemoAccount {
        username: "reviewer_ga",
        display_name: "陈审查（公安分局）",
        role: Role::Reviewer,
        department: Some("公安分局"),
    },
    DemoAccount {
        username: "head_ga",
        display_name: "林所长（公安分局）",
        role: Role::Head,
        department: Some("公安分局"),
    },
    DemoAccount {
        username: "reviewer_yb",
        display_name: "何审查（医保局）",
        role: Role::Reviewer,
        department: Some("医保局"),
    },
    DemoAccount {
        username: "head_yb",
        display_name: "高局长（医保局）",
        role: Role::Head,
        department: Some("医保局"),
    },
    DemoAccount {
        username: "reviewer_rs",
        display_name: "罗审查（人社局）",
        role: Role::Reviewer,
        department: Some("人社局"),
    },
    DemoAccount {
        username: "head_rs",
        display_name: "梁局长（人社局）",
        role: Role::Head,
        department: Some("人社局"),
    },
    DemoAccount {
        username: "reviewer_fg",
        display_name: "蒋审查（发改局）",
        role: Role::Reviewer,
        department: Some("发改局"),
    },
    DemoAccount {
        username: "head_fg",
        display_name: "沈局长（发改局）",
        role: Role::Head,
        department: Some("发改局"),
    },
    DemoAccount {
        username: "reviewer_zr",
        display_name: "韩审查（自然资源规划局）",
        role: Role::Reviewer,
        department: Some("自然资源规划局"),
    },
    DemoAccount {
        username: "head_zr",
        display_name: "杨局长（自然资源规划局）",
        role: Role::Head,
        department: Some("自然资源规划局"),
    },
    DemoAccount {
        username: "reviewer_zj",
        display_name: "朱审查（住建局）",
        role: Role::Reviewer,
        department: Some("住建局"),
    },
    DemoAccount {
        username: "head_zj",
        display_name: "秦局长（住建局）",
        role: Role::Head,
        department: Some("住建局"),
    },
    DemoAccount {
        username: "enterprise",
        display_name: "示范城建投资集团有限公司",
        role: Role::Applicant,
        department: None,
    },
    DemoAccount {
        username: "enterprise2",
        display_name: "示范置业有限公司",
        role: Role::Applicant,
        department: None,
    },
    DemoAccount {
        username: "concierge",
        display_name: "钱专员（帮办代办）",
        role: Role::Concierge,
        department: None,
    },
    DemoAccount {
        username: "catalog",
        display_name: "孙事项（事项管理）",
        role: Role::CatalogAdmin,
        department: None,
    },
    DemoAccount {
        username: "catalog_wjw",
        display_name: "周事项（卫健局事项管理）",
        role: Role::CatalogAdmin,
        department: Some("卫健局"),
    },
    DemoAccount {
        username: "supervisor",
        display_name: "吴督查（效能督查）",
        role: Role::Supervisor,
        department: None,
    },
    DemoAccount {
        username: "officer",
        display_name: "郑体验（政务服务体验员）",
        role: Role::ExperienceOfficer,
        department: None,
    },
    DemoAccount {
        username: "citizen",
        display_name: "李四",
        role: Role::Applicant,
        department: None,
    },
    DemoAccount {
        username: "admin",
        display_name: "冯管理（系统管理员）",
        role: Role::SysAdmin,
        department: None,
    },
];

mod activity;
mod city;
mod enterprise;
mod generate;

pub use activity::load_demo_activity;
pub use enterprise::load_demo_enterprise;
pub use generate::{GenerateOptions, Generated};

/// Whether the database holds any centre yet.
pub async fn is_empty(store: &Store) -> Result<bool> {
    let r = query_one(store.conn(), "SELECT COUNT(*) AS n FROM centres", vec![]).await?;
    Ok(r.map(|r| get::<i64>(&r, "n")).transpose()?.unwrap_or(0) == 0)
}

/// Creates the root centre used when no demo is loaded (`--no-demo`).
pub async fn ensure_centre(store: &Store) -> Result<i64> {
    if let Some(c) = store.centres().await?.into_iter().next() {
        return Ok(c.id);
    }
    let code = DivisionCode::parse("339901").map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(store.create_centre(&code, "政务服务中心", None).await?.id)
}

/// Loads the demo into an empty database. Returns false if it was not empty.
pub async fn load_demo(store: &Store) -> Result<bool> {
    if !is_empty(store).await? {
        return Ok(false);
    }
    let code = DivisionCode::parse("339901").map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let centre = store
        .create_centre(&code, "示范区政务服务中心", None)
        .await?;
    store.import_catalog(centre.id, DEMO_CATALOG, None).await?;
    store.import_bundles(centre.id, DEMO_BUNDLES).await?;
    crate::shared_data::import_sources(store, DEMO_SOURCES).await?;
    crate::policies::import_policies(store, DEMO_POLICIES).await?;
    // Every department signs its certificates with its own key.
    if !store.has_key_secret() {
        let secret = tongban_certs::KeySecret::derive(DEMO_KEY_SECRET)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        store.set_key_secret(secret);
    }
    for d in store.departments().await? {
        store.generate_key(d.id, None).await?;
    }
    let depts = store.departments().await?;
    for a in DEMO_ACCOUNTS {
        let department_id = match a.department {
            Some(short) => Some(
                depts
                    .iter()
                    .find(|d| d.short_name == short)
                    .map(|d| d.id)
                    .ok_or_else(|| StoreError::Corrupt(format!("demo department {short}")))?,
            ),
            None => None,
        };
        // Applicants as the population register knows them.
        let id_number = (a.role == Role::Applicant)
            .then(|| {
                IdCardNumber::parse(match a.username {
                    "citizen" => "330102199003070086",
                    _ => "330102199003070027",
                })
                .ok()
            })
            .flatten();
        // Enterprises are known by their 统一社会信用代码.
        let credit = match a.username {
            "enterprise" => Some(DEMO_ENTERPRISE_CODE),
            "enterprise2" => Some(DEMO_ENTERPRISE2_CODE),
            _ => None,
        };
        if let Some(code) = credit {
            let code = tongban_domain::codes::CreditCode::parse(code)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let user_id = store
                .create_enterprise(a.username, a.display_name, DEMO_PASSWORD, centre.id, &code)
                .await?;
            store
                .set_user_email(user_id, &format!("{}@demo.tongban.test", a.username))
                .await?;
            continue;
        }
        let user_id = store
            .create_user(NewUser {
                username: a.username,
                display_name: a.display_name,
                password: DEMO_PASSWORD,
                role: a.role,
                centre_id: centre.id,
                department_id,
                id_number,
                phone: "13800000000",
            })
            .await?;
        store
            .set_user_email(user_id, &format!("{}@demo.tongban.test", a.username))
            .await?;
    }
    enterprise::stage_configs(store).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::transfer::parse_catalog;

    #[test]
    fn demo_catalog_is_valid_and_rich_enough() {
        let file = parse_catalog(DEMO_CATALOG, &Default::default()).expect("demo catalogue parses");
        assert!(
            file.departments.len() >= 12,
            "{} departments",
            file.departments.len()
        );
        let published = file
            .items
            .iter()
            .filter(|i| i.status == tongban_domain::catalog::ItemStatus::Published)
            .count();
        assert!(published >= 50, "{published} published items");
        for needed in [
            "出生医学证明",
            "预防接种证",
            "出生登记",
            "居民医疗保险参保登记",
            "社会保障卡申领",
            "生育医疗费用报销",
            "生育津贴",
            "入学",
            "企业设立登记",
            "印章刻制",
            "发票申领",
            "食品经营许可",
            "公共场所卫生许可",
            "项目备案",
            "建设用地规划许可",
            "建设工程规划许可",
            "施工许可",
            "竣工验收备案",
            "结婚登记",
            "居住证",
        ] {
            let hit = file.items.iter().any(|i| {
                let n = &i.doc.name;
                n.contains(needed) || needed.chars().all(|c| n.contains(c))
            });
            assert!(hit, "demo lacks {needed}");
        }
    }

    #[test]
    fn demo_applicant_id_is_valid() {
        assert!(IdCardNumber::parse("330102199003070027").is_ok());
    }

    #[tokio::test]
    async fn demo_loads_once() {
        for (backend, store) in crate::testing::stores("demo").await {
            assert!(load_demo(&store).await.expect("load"), "{backend}");
            assert!(!load_demo(&store).await.expect("second load is a no-op"));
            assert!(store.published_items().await.expect("items").len() >= 50);
            assert_eq!(
                store.users().await.expect("users").len(),
                DEMO_ACCOUNTS.len()
            );
        }
    }
}
