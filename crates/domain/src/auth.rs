//! Roles of SPEC §1 and the permission checks every endpoint goes through.

use serde::{Deserialize, Serialize};

macro_rules! roles {
    ($($v:ident = $json:literal, $zh:literal, $en:literal;)+) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum Role { $(#[serde(rename = $json)] $v,)+ }
        impl Role {
            pub const ALL: &'static [Role] = &[$(Role::$v,)+];
            pub fn as_str(self) -> &'static str { match self { $(Role::$v => $json,)+ } }
            pub fn zh(self) -> &'static str { match self { $(Role::$v => $zh,)+ } }
            pub fn en(self) -> &'static str { match self { $(Role::$v => $en,)+ } }
            pub fn parse(s: &str) -> Option<Role> { match s { $($json => Some(Role::$v),)+ _ => None } }
        }
    };
}

roles! {
    Applicant = "applicant", "申请人", "Applicant";
    Clerk = "clerk", "综合窗口人员", "Window clerk";
    Reviewer = "reviewer", "审查人员", "Reviewer";
    Head = "head", "部门负责人", "Department head";
    Concierge = "concierge", "帮办代办员", "Concierge";
    CatalogAdmin = "catalog_admin", "事项管理员", "Catalogue admin";
    Supervisor = "supervisor", "效能督查员", "Supervisor";
    ExperienceOfficer = "experience_officer", "政务服务体验员", "Experience officer";
    SysAdmin = "sysadmin", "系统管理员", "System admin";
}

/// Who is acting: taken from the session, never from the request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The centre's path in the region hierarchy, e.g. `/1/4/` (root first).
    pub centre_path: String,
    pub centre_id: i64,
    /// A department-level user acts only within this department.
    pub department_id: Option<i64>,
}

/// Where a catalogue object belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope<'a> {
    pub centre_path: &'a str,
    pub department_id: i64,
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// The role may not do this at all.
    Role,
    /// The role may, but not for this department or centre.
    Department,
}

impl Denied {
    pub fn zh(&self) -> &'static str {
        match self {
            Denied::Role => "您的角色无权执行此操作",
            Denied::Department => "该事项不属于您所在的部门或中心",
        }
    }
    pub fn en(&self) -> &'static str {
        match self {
            Denied::Role => "your role may not do this",
            Denied::Department => "this belongs to another department or centre",
        }
    }
}

impl Actor {
    fn in_centre_tree(&self, path: &str) -> bool {
        path.starts_with(&self.centre_path)
    }

    fn in_scope(&self, s: Scope<'_>) -> bool {
        match self.department_id {
            Some(d) => d == s.department_id && self.in_centre_tree(s.centre_path),
            None => s.centre_path == self.centre_path,
        }
    }

    /// Create, edit, publish, retire items of a department.
    pub fn may_manage_item(&self, s: Scope<'_>) -> Result<(), Denied> {
        if self.role != Role::CatalogAdmin {
            return Err(Denied::Role);
        }
        if self.in_scope(s) {
            Ok(())
        } else {
            Err(Denied::Department)
        }
    }

    /// See drafts and the admin catalogue of a department.
    pub fn may_view_catalog_admin(&self, s: Scope<'_>) -> Result<(), Denied> {
        match self.role {
            Role::CatalogAdmin => self.may_manage_item(s),
            Role::Supervisor | Role::SysAdmin => {
                if self.in_centre_tree(s.centre_path) {
                    Ok(())
                } else {
                    Err(Denied::Department)
                }
            }
            _ => Err(Denied::Role),
        }
    }

    pub fn may_use_catalog_admin(&self) -> Result<(), Denied> {
        match self.role {
            Role::CatalogAdmin | Role::Supervisor | Role::SysAdmin => Ok(()),
            _ => Err(Denied::Role),
        }
    }

    /// Import a whole catalogue: a centre-level catalogue admin only.
    pub fn may_import_catalog(&self) -> Result<(), Denied> {
        if self.role != Role::CatalogAdmin {
            return Err(Denied::Role);
        }
        if self.department_id.is_some() {
            return Err(Denied::Department);
        }
        Ok(())
    }

    /// Keep the everyday phrasings search uses: they serve the whole
    /// deployment, so the top centre's own catalogue admin only.
    pub fn may_manage_phrasings(&self) -> Result<(), Denied> {
        self.may_import_catalog()?;
        // "/1/" is a top centre; "/1/4/" one below it.
        if self.centre_path.matches('/').count() > 2 {
            return Err(Denied::Department);
        }
        Ok(())
    }

    /// Run the guide audit and read its findings.
    pub fn may_audit(&self) -> Result<(), Denied> {
        match self.role {
            Role::CatalogAdmin | Role::Supervisor => Ok(()),
            _ => Err(Denied::Role),
        }
    }

    /// Mark a finding rectified: the catalogue admin who owns the item.
    pub fn may_fix_finding(&self, s: Scope<'_>) -> Result<(), Denied> {
        self.may_manage_item(s)
    }

    /// Verify a rectification: the supervisor, never the one who fixed it.
    pub fn may_verify_finding(&self, s: Scope<'_>) -> Result<(), Denied> {
        if self.role != Role::Supervisor {
            return Err(Denied::Role);
        }
        if self.in_centre_tree(s.centre_path) {
            Ok(())
        } else {
            Err(Denied::Department)
        }
    }

    /// Departments, users, calendar, keys.
    pub fn may_administer_system(&self) -> Result<(), Denied> {
        if self.role == Role::SysAdmin {
            Ok(())
        } else {
            Err(Denied::Role)
        }
    }

    pub fn is_staff(&self) -> bool {
        self.role != Role::Applicant
    }

    /// Enter a rating given on the hotline (on the applicant's word): the
    /// centre's window and hotline staff.
    pub fn may_enter_hotline_rating(&self, centre_path: &str) -> Result<(), Denied> {
        match self.role {
            Role::Clerk if self.in_centre_tree(centre_path) => Ok(()),
            Role::Clerk => Err(Denied::Department),
            _ => Err(Denied::Role),
        }
    }

    /// Open the window's rating tablet for a case just handled.
    pub fn may_open_onsite_rating(&self, centre_path: &str) -> Result<(), Denied> {
        self.may_enter_hotline_rating(centre_path)
    }

    /// Act for the unit that owns a 差评's rectification (谁办理谁负责): a
    /// reviewer or head of the department that handled it; for one owned by
    /// the centre (a bundle's 差评 naming no service), its window staff.
    pub fn may_handle_rectification(
        &self,
        centre_path: &str,
        department: Option<i64>,
    ) -> Result<(), Denied> {
        if !self.in_centre_tree(centre_path) {
            return Err(Denied::Department);
        }
        match (self.role, department) {
            (Role::Reviewer | Role::Head, Some(d)) if self.department_id == Some(d) => Ok(()),
            (Role::Reviewer | Role::Head, _) => Err(Denied::Department),
            (Role::Clerk, None) if self.centre_path == centre_path => Ok(()),
            (Role::Clerk, _) => Err(Denied::Department),
            _ => Err(Denied::Role),
        }
    }

    /// See the ratings of a department (or of the centre): its own staff,
    /// and supervisors of the centre and those above it.
    pub fn may_see_ratings(
        &self,
        centre_path: &str,
        department: Option<i64>,
    ) -> Result<(), Denied> {
        match self.role {
            Role::Supervisor if self.in_centre_tree(centre_path) => Ok(()),
            Role::Supervisor => Err(Denied::Department),
            _ => self.may_handle_rectification(centre_path, department),
        }
    }

    /// Verify a rectification or decide an appeal: a supervisor (电子监察).
    pub fn may_oversee_ratings(&self, centre_path: &str) -> Result<(), Denied> {
        match self.role {
            Role::Supervisor if self.in_centre_tree(centre_path) => Ok(()),
            Role::Supervisor => Err(Denied::Department),
            _ => Err(Denied::Role),
        }
    }

    /// Record a walk-through (我陪群众走流程).
    pub fn may_walk_through(&self) -> Result<(), Denied> {
        if self.role == Role::ExperienceOfficer {
            Ok(())
        } else {
            Err(Denied::Role)
        }
    }

    /// Fix an officer's finding: the owning department's reviewer or head,
    /// or — for a finding about the guide — its catalogue admin too.
    pub fn may_fix_officer_finding(
        &self,
        centre_path: &str,
        department: Option<i64>,
        concerns_guide: bool,
    ) -> Result<(), Denied> {
        if !self.in_centre_tree(centre_path) {
            return Err(Denied::Department);
        }
        match self.role {
            Role::Reviewer | Role::Head
                if department.is_some() && self.department_id == department =>
            {
                Ok(())
            }
            Role::Reviewer | Role::Head => Err(Denied::Department),
            Role::CatalogAdmin if concerns_guide => match (self.department_id, department) {
                (None, _) => Ok(()),
                (Some(a), Some(b)) if a == b => Ok(()),
                _ => Err(Denied::Department),
            },
            _ => Err(Denied::Role),
        }
    }

    /// Set the centre's profile (its rules for ratings and more).
    pub fn may_set_profile(&self) -> Result<(), Denied> {
        self.may_administer_system()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, dept: Option<i64>) -> Actor {
        Actor {
            user_id: 1,
            username: "u".into(),
            display_name: "U".into(),
            role,
            centre_path: "/1/".into(),
            centre_id: 1,
            department_id: dept,
        }
    }

    #[test]
    fn catalog_admin_scope() {
        let own = Scope {
            centre_path: "/1/",
            department_id: 7,
        };
        let other = Scope {
            centre_path: "/1/",
            department_id: 8,
        };
        let elsewhere = Scope {
            centre_path: "/2/",
            department_id: 7,
        };
        let centre_admin = actor(Role::CatalogAdmin, None);
        let dept_admin = actor(Role::CatalogAdmin, Some(7));
        assert_eq!(centre_admin.may_manage_item(own), Ok(()));
        assert_eq!(centre_admin.may_manage_item(other), Ok(()));
        assert_eq!(
            centre_admin.may_manage_item(elsewhere),
            Err(Denied::Department)
        );
        assert_eq!(dept_admin.may_manage_item(own), Ok(()));
        assert_eq!(dept_admin.may_manage_item(other), Err(Denied::Department));
        assert_eq!(dept_admin.may_import_catalog(), Err(Denied::Department));
        for r in Role::ALL.iter().filter(|r| **r != Role::CatalogAdmin) {
            assert_eq!(
                actor(*r, None).may_manage_item(own),
                Err(Denied::Role),
                "{r:?}"
            );
        }
    }

    #[test]
    fn verification_is_the_supervisors() {
        let s = Scope {
            centre_path: "/1/3/",
            department_id: 7,
        };
        assert_eq!(actor(Role::Supervisor, None).may_verify_finding(s), Ok(()));
        assert_eq!(
            actor(Role::CatalogAdmin, None).may_verify_finding(s),
            Err(Denied::Role)
        );
        assert_eq!(
            actor(Role::Supervisor, None).may_fix_finding(s),
            Err(Denied::Role)
        );
    }

    #[test]
    fn role_names_roundtrip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(*r));
        }
        assert_eq!(Role::ALL.len(), 9);
    }
}
