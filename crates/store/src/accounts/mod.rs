//! Centres, users, passwords (argon2) and sessions (stored as SM3 hashes of
//! the token so a database leak does not leak live sessions).

pub mod mandates;
mod profile;

pub(crate) use profile::profile_in;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::RngCore;
use sea_orm::{QueryResult, Value};
use serde::Serialize;
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Role};
use tongban_domain::codes::{DivisionCode, IdCardNumber};

use crate::{Result, Store, StoreError, exec, get, insert_id, now_ms, query, query_one, sm3_hex};

/// How long a session lives without use.
pub const SESSION_TTL_MS: i64 = 8 * 3600 * 1000;

#[derive(Debug, Clone, Serialize)]
pub struct Centre {
    pub id: i64,
    pub division_code: String,
    pub name: String,
    pub parent_id: Option<i64>,
    pub path: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub centre_id: i64,
    pub department_id: Option<i64>,
    pub active: bool,
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password: &'a str,
    pub role: Role,
    pub centre_id: i64,
    pub department_id: Option<i64>,
    pub id_number: Option<IdCardNumber>,
    pub phone: &'a str,
}

/// A live session as seen by the web layer.
#[derive(Debug, Clone)]
pub struct Session {
    pub actor: Actor,
    pub csrf_token: String,
}

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Corrupt(format!("argon2: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// Verifies a password on the blocking pool, at most two at a time, so a
/// flood of sign-ins cannot stall the request-serving threads.
async fn verify_off_runtime(password: &str, hash: String) -> bool {
    static PERMITS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
    let Ok(_permit) = PERMITS.acquire().await else {
        return false;
    };
    let password = password.to_string();
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

pub use crate::random_token;

fn row_user(r: &QueryResult) -> Result<User> {
    let role: String = get(r, "role")?;
    Ok(User {
        id: get(r, "id")?,
        username: get(r, "username")?,
        display_name: get(r, "display_name")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?,
        centre_id: get(r, "centre_id")?,
        department_id: get(r, "department_id")?,
        active: get(r, "active")?,
    })
}

impl Store {
    /// The display names of staff accounts (applicants' are never given
    /// here), for naming who handled what (谁办理谁负责).
    pub async fn staff_names(&self, ids: &[i64]) -> Result<std::collections::HashMap<i64, String>> {
        let mut out = std::collections::HashMap::new();
        let mut ids: Vec<i64> = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        for chunk in ids.chunks(200) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let rows = query(
                self.conn(),
                &format!(
                    "SELECT id, display_name FROM users WHERE role <> 'applicant' AND id IN ({})",
                    marks.join(", ")
                ),
                chunk.iter().map(|&i| i.into()).collect(),
            )
            .await?;
            for r in rows {
                out.insert(get(&r, "id")?, get(&r, "display_name")?);
            }
        }
        Ok(out)
    }

    /// Creates a centre under an optional parent; its path extends the parent's.
    pub async fn create_centre(
        &self,
        code: &DivisionCode,
        name: &str,
        parent_id: Option<i64>,
    ) -> Result<Centre> {
        let txn = self.begin().await?;
        let parent_path = match parent_id {
            Some(p) => {
                let r = query_one(
                    &txn,
                    "SELECT path FROM centres WHERE id = $1",
                    vec![p.into()],
                )
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("centre {p}")))?;
                get::<String>(&r, "path")?
            }
            None => "/".to_string(),
        };
        let id = insert_id(
            &txn,
            "INSERT INTO centres (division_code, name, parent_id, path) VALUES ($1, $2, $3, '')",
            vec![code.as_str().into(), name.into(), parent_id.into()],
        )
        .await?;
        let path = format!("{parent_path}{id}/");
        exec(
            &txn,
            "UPDATE centres SET path = $1 WHERE id = $2",
            vec![path.clone().into(), id.into()],
        )
        .await?;
        txn.commit().await?;
        Ok(Centre {
            id,
            division_code: code.as_str().to_string(),
            name: name.to_string(),
            parent_id,
            path,
        })
    }

    pub async fn centres(&self) -> Result<Vec<Centre>> {
        let rows = query(
            self.conn(),
            "SELECT id, division_code, name, parent_id, path FROM centres ORDER BY path",
            vec![],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Centre {
                    id: get(r, "id")?,
                    division_code: get(r, "division_code")?,
                    name: get(r, "name")?,
                    parent_id: get(r, "parent_id")?,
                    path: get(r, "path")?,
                })
            })
            .collect()
    }

    pub async fn create_user(&self, u: NewUser<'_>) -> Result<i64> {
        use tongban_domain::text::{NAME_MAX, check_text};
        let mut errs = tongban_domain::FieldErrors::default();
        if u.username.trim().is_empty() {
            errs.push(FieldError::required("username", "用户名"));
        } else if let Some(e) = check_text("username", "用户名", "username", u.username, 64, false)
        {
            errs.push(e);
        }
        if u.display_name.trim().is_empty() {
            errs.push(FieldError::required("display_name", "姓名"));
        } else if let Some(e) = check_text(
            "display_name",
            "姓名",
            "display name",
            u.display_name,
            NAME_MAX,
            false,
        ) {
            errs.push(e);
        }
        if let Some(e) = check_text("phone", "电话", "phone", u.phone, 30, false) {
            errs.push(e);
        }
        if let Some(id) = &u.id_number
            && !id.born_by(crate::shanghai_today())
        {
            errs.push(FieldError::new(
                "id_number",
                "invalid_code",
                "公民身份号码中的出生日期晚于今天，请核对",
                "the citizen ID number gives a birth date after today; check it",
            ));
        }
        if u.password.chars().count() < 8 {
            errs.push(FieldError::new(
                "password",
                "too_short",
                "密码至少8位",
                "password must be at least 8 characters",
            ));
        }
        errs.into_result().map_err(StoreError::Invalid)?;
        let hash = hash_password(u.password)?;
        let exists = query_one(
            self.conn(),
            "SELECT id FROM users WHERE username = $1",
            vec![u.username.into()],
        )
        .await?;
        if exists.is_some() {
            return Err(StoreError::conflict(
                format!("用户名{}已存在", u.username),
                format!("username {} already exists", u.username),
            ));
        }
        insert_id(
            self.conn(),
            "INSERT INTO users (username, display_name, password_hash, role, centre_id, department_id, id_number, phone, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            vec![
                u.username.into(),
                u.display_name.into(),
                hash.into(),
                u.role.as_str().into(),
                u.centre_id.into(),
                u.department_id.into(),
                u.id_number.map(|i| i.as_str().to_string()).unwrap_or_default().into(),
                u.phone.into(),
                true.into(),
                now_ms().into(),
            ],
        )
        .await
    }

    /// Sets where notices are e-mailed (empty: in-app only).
    pub async fn set_user_email(&self, user_id: i64, email: &str) -> Result<()> {
        let email = match email.trim() {
            "" => String::new(),
            e => tongban_domain::codes::Email::parse(e)
                .map_err(|e| StoreError::Invalid(e.into()))?
                .as_str()
                .to_string(),
        };
        crate::exec(
            self.conn(),
            "UPDATE users SET email = $1 WHERE id = $2",
            vec![email.into(), user_id.into()],
        )
        .await?;
        Ok(())
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        let rows = query(
            self.conn(),
            "SELECT id, username, display_name, role, centre_id, department_id, active FROM users ORDER BY id",
            vec![],
        )
        .await?;
        rows.iter().map(row_user).collect()
    }

    /// Checks a password; returns the user only if it matches and the user is active.
    /// A missing user costs the same argon2 work as a wrong password.
    pub async fn authenticate(&self, username: &str, password: &str) -> Result<Option<User>> {
        let row = query_one(
            self.conn(),
            "SELECT id, username, display_name, role, centre_id, department_id, active, password_hash FROM users WHERE username = $1",
            vec![username.into()],
        )
        .await?;
        let Some(row) = row else {
            // Equalise timing with a dummy verification.
            let _ = verify_off_runtime(password, dummy_hash().to_string()).await;
            return Ok(None);
        };
        let hash: String = get(&row, "password_hash")?;
        let user = row_user(&row)?;
        let ok = verify_off_runtime(password, hash).await && user.active;
        Ok(ok.then_some(user))
    }

    /// Opens a session; returns the raw token (only its hash is stored).
    pub async fn create_session(&self, user_id: i64) -> Result<(String, String)> {
        let token = random_token();
        let csrf = random_token();
        let now = now_ms();
        exec(
            self.conn(),
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            vec![
                sm3_hex(token.as_bytes()).into(),
                user_id.into(),
                csrf.clone().into(),
                now.into(),
                (now + SESSION_TTL_MS).into(),
            ],
        )
        .await?;
        // Housekeeping: expired sessions go.
        exec(
            self.conn(),
            "DELETE FROM sessions WHERE expires_at < $1",
            vec![now.into()],
        )
        .await?;
        Ok((token, csrf))
    }

    /// Looks a session up by its raw token and extends it (sliding expiry).
    pub async fn session(&self, token: &str) -> Result<Option<Session>> {
        let now = now_ms();
        let hash = sm3_hex(token.as_bytes());
        let row = query_one(
            self.conn(),
            "SELECT s.csrf_token, s.expires_at, u.id, u.username, u.display_name, u.role, u.centre_id, u.department_id, u.active, c.path \
             FROM sessions s JOIN users u ON u.id = s.user_id JOIN centres c ON c.id = u.centre_id \
             WHERE s.token_hash = $1",
            vec![hash.clone().into()],
        )
        .await?;
        let Some(row) = row else { return Ok(None) };
        let expires: i64 = get(&row, "expires_at")?;
        let user = row_user(&row)?;
        if expires < now || !user.active {
            return Ok(None);
        }
        // Extend at most once a minute to keep reads cheap.
        if expires - now < SESSION_TTL_MS - 60_000 {
            exec(
                self.conn(),
                "UPDATE sessions SET expires_at = $1 WHERE token_hash = $2",
                vec![(now + SESSION_TTL_MS).into(), hash.into()],
            )
            .await?;
        }
        Ok(Some(Session {
            csrf_token: get(&row, "csrf_token")?,
            actor: actor_of(user, get(&row, "path")?),
        }))
    }

    /// The actor of an active user, as a session would carry it (for jobs,
    /// tools and tests that act without signing in).
    pub async fn actor(&self, username: &str) -> Result<Option<Actor>> {
        let row = query_one(
            self.conn(),
            "SELECT u.id, u.username, u.display_name, u.role, u.centre_id, u.department_id, u.active, c.path \
             FROM users u JOIN centres c ON c.id = u.centre_id WHERE u.username = $1",
            vec![username.into()],
        )
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user = row_user(&row)?;
        if !user.active {
            return Ok(None);
        }
        Ok(Some(actor_of(user, get(&row, "path")?)))
    }

    pub async fn delete_session(&self, token: &str) -> Result<()> {
        exec(
            self.conn(),
            "DELETE FROM sessions WHERE token_hash = $1",
            vec![Value::from(sm3_hex(token.as_bytes()))],
        )
        .await?;
        Ok(())
    }
}

fn actor_of(user: User, centre_path: String) -> Actor {
    Actor {
        user_id: user.id,
        username: user.username,
        display_name: user.display_name,
        role: user.role,
        centre_path,
        centre_id: user.centre_id,
        department_id: user.department_id,
    }
}

/// An argon2 hash of a random string, verified against when the user is
/// unknown so that both cases cost the same.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password(&random_token()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_and_sessions() {
        for (backend, store) in crate::testing::stores("accounts").await {
            let c = store
                .create_centre(
                    &DivisionCode::parse("350102").expect("valid"),
                    "某区政务服务中心",
                    None,
                )
                .await
                .expect("centre");
            assert_eq!(c.path, format!("/{}/", c.id));
            let id = store
                .create_user(NewUser {
                    username: "alice",
                    display_name: "Alice",
                    password: "correct horse",
                    role: Role::CatalogAdmin,
                    centre_id: c.id,
                    department_id: None,
                    id_number: None,
                    phone: "",
                })
                .await
                .expect("user");
            let dup = store
                .create_user(NewUser {
                    username: "alice",
                    display_name: "A2",
                    password: "another pass",
                    role: Role::Applicant,
                    centre_id: c.id,
                    department_id: None,
                    id_number: None,
                    phone: "",
                })
                .await;
            assert!(matches!(dup, Err(StoreError::Conflict { .. })), "{backend}");
            assert!(
                store
                    .authenticate("alice", "wrong")
                    .await
                    .expect("q")
                    .is_none()
            );
            assert!(
                store
                    .authenticate("nobody", "x")
                    .await
                    .expect("q")
                    .is_none()
            );
            let u = store
                .authenticate("alice", "correct horse")
                .await
                .expect("q")
                .expect("matches");
            assert_eq!(u.id, id);
            let (token, csrf) = store.create_session(id).await.expect("session");
            let s = store.session(&token).await.expect("q").expect("live");
            assert_eq!(s.actor.role, Role::CatalogAdmin);
            assert_eq!(s.csrf_token, csrf);
            assert!(store.session("forged").await.expect("q").is_none());
            store.delete_session(&token).await.expect("logout");
            assert!(
                store.session(&token).await.expect("q").is_none(),
                "{backend}"
            );
        }
    }
}
