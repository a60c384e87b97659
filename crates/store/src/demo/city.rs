//! The demo city: a city centre (示范市, 339900) above the demo district,
//! with two more districts beside it (示范东区 339902, 示范西区 339903).
//! The city and each new district get their own departments, catalogue and
//! bundles — the demo's, with the departments' 统一社会信用代码 re-derived
//! for the division (valid check characters) and the names of the place
//! changed — and a supervisor of the city (`supervisor_city`).
//!
//! Each part is made once and skipped when there (a stopped run is
//! completed by the next). Made for `tongban demo generate` only: the demo started by `serve`
//! stays one district, so its guides, search and queues stay small.

use tongban_domain::auth::Role;
use tongban_domain::codes::{CreditCode, DivisionCode};

use super::{DEMO_BUNDLES, DEMO_CATALOG, DEMO_PASSWORD};
use crate::accounts::NewUser;
use crate::sql::exec;
use crate::{Result, Store, StoreError};

const DEMO_DIVISION: &str = "339901";
const DEMO_PLACE: &str = "示范区";
const CITY: (&str, &str) = ("339900", "示范市");
const DISTRICTS: &[(&str, &str)] = &[("339902", "示范东区"), ("339903", "示范西区")];

/// The characters of a 统一社会信用代码.
const CREDIT_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// `code` moved to `division` (its registration-authority part kept), with
/// its check character made right.
fn credit_code_in(code: &str, division: &str) -> Option<String> {
    let body = format!("{}{division}{}", code.get(..2)?, code.get(8..17)?);
    CREDIT_CHARS
        .chars()
        .map(|c| format!("{body}{c}"))
        .find(|c| CreditCode::parse(c).is_ok())
}

/// The demo's catalogue or bundles, moved to another place.
fn moved(text: &str, codes: &[(String, String)], division: &str, place: &str) -> String {
    let mut s = text.to_string();
    for (old, new) in codes {
        s = s.replace(old.as_str(), new);
    }
    s.replace(DEMO_DIVISION, division)
        .replace(DEMO_PLACE, place)
}

/// Bundle codes are unique across centres: the division is added to each.
fn bundles_in(text: &str, division: &str) -> Result<String> {
    let mut file: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("demo bundles: {e}")))?;
    for b in file
        .get_mut("bundles")
        .and_then(|b| b.as_array_mut())
        .into_iter()
        .flatten()
    {
        if let Some(code) = b.get("code").and_then(|c| c.as_str()) {
            let code = format!("{code}-{division}");
            b["code"] = serde_json::Value::String(code);
        }
    }
    Ok(file.to_string())
}

/// The demo departments' credit codes and their counterparts in `division`.
fn codes_for(division: &str) -> Result<Vec<(String, String)>> {
    let file: serde_json::Value = serde_json::from_str(DEMO_CATALOG)
        .map_err(|e| StoreError::Corrupt(format!("demo catalogue: {e}")))?;
    let mut out = Vec::new();
    for d in file
        .get("departments")
        .and_then(|d| d.as_array())
        .into_iter()
        .flatten()
    {
        let Some(code) = d.get("credit_code").and_then(|c| c.as_str()) else {
            continue;
        };
        let new = credit_code_in(code, division)
            .ok_or_else(|| StoreError::Corrupt(format!("credit code {code}")))?;
        out.push((code.to_string(), new));
    }
    Ok(out)
}

impl Store {
    /// Places `centre` (and everything under it) under `parent`: its path
    /// and the paths its cases, bundles and ratings are scoped by.
    pub async fn place_centre_under(&self, centre: i64, parent: i64) -> Result<()> {
        let all = self.centres().await?;
        let path_of = |id: i64| {
            all.iter()
                .find(|c| c.id == id)
                .map(|c| c.path.clone())
                .ok_or_else(|| StoreError::NotFound(format!("centre {id}")))
        };
        let old = path_of(centre)?;
        let new = format!("{}{centre}/", path_of(parent)?);
        if new.starts_with(&old) {
            return Err(StoreError::Corrupt(
                "a centre cannot be placed under itself".into(),
            ));
        }
        let txn = self.begin().await?;
        exec(
            &txn,
            "UPDATE centres SET parent_id = $1 WHERE id = $2",
            vec![parent.into(), centre.into()],
        )
        .await?;
        let keep = i64::try_from(old.len()).unwrap_or(i64::MAX) + 1;
        for (table, col) in [
            ("centres", "path"),
            ("cases", "centre_path"),
            ("bundle_cases", "centre_path"),
            ("rating_invitations", "centre_path"),
            ("ratings", "centre_path"),
            ("rectifications", "centre_path"),
            ("walkthroughs", "centre_path"),
            ("officer_findings", "centre_path"),
        ] {
            exec(
                &txn,
                &format!("UPDATE {table} SET {col} = $1 || SUBSTR({col}, CAST($2 AS INTEGER)) WHERE {col} LIKE $3"),
                vec![new.clone().into(), keep.into(), format!("{old}%").into()],
            )
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Builds the demo city around the demo district. Each part is made
    /// once and skipped when there, so a run stopped half-way is completed
    /// by the next (nothing when the demo district is missing). Returns
    /// whether anything was made.
    pub async fn ensure_demo_city(&self) -> Result<bool> {
        let centres = self.centres().await?;
        let Some(district) = centres.iter().find(|c| c.division_code == DEMO_DIVISION) else {
            return Ok(false);
        };
        let division =
            |code: &str| DivisionCode::parse(code).map_err(|e| StoreError::Corrupt(e.to_string()));
        let mut made = false;
        let city = match centres.iter().find(|c| c.division_code == CITY.0) {
            Some(c) => c.clone(),
            None => {
                made = true;
                self.create_centre(&division(CITY.0)?, &format!("{}政务服务中心", CITY.1), None)
                    .await?
            }
        };
        if district.parent_id.is_none() {
            made = true;
            self.place_centre_under(district.id, city.id).await?;
        }
        let mut places = vec![(city.id, CITY.0, CITY.1)];
        for (code, place) in DISTRICTS {
            let id = match centres.iter().find(|c| c.division_code == *code) {
                Some(c) => c.id,
                None => {
                    made = true;
                    self.create_centre(
                        &division(code)?,
                        &format!("{place}政务服务中心"),
                        Some(city.id),
                    )
                    .await?
                    .id
                }
            };
            places.push((id, code, place));
        }
        let staffed: Vec<i64> = self
            .departments()
            .await?
            .iter()
            .map(|d| d.centre_id)
            .collect();
        for (centre, code, place) in places {
            // A centre with departments has had its catalogue imported (one
            // transaction); its bundles and keys, made right after, are not
            // retried if that run stopped between them.
            if staffed.contains(&centre) {
                continue;
            }
            made = true;
            let codes = codes_for(code)?;
            self.import_catalog(centre, &moved(DEMO_CATALOG, &codes, code, place), None)
                .await?;
            self.import_bundles(
                centre,
                &bundles_in(&moved(DEMO_BUNDLES, &codes, code, place), code)?,
            )
            .await?;
            if self.has_key_secret() {
                for d in self.departments().await? {
                    if d.centre_id == centre {
                        self.generate_key(d.id, None).await?;
                    }
                }
            }
        }
        if !self
            .users()
            .await?
            .iter()
            .any(|u| u.username == "supervisor_city")
        {
            made = true;
            self.create_user(NewUser {
                username: "supervisor_city",
                display_name: "钱督查（市效能督查）",
                password: DEMO_PASSWORD,
                role: Role::Supervisor,
                centre_id: city.id,
                department_id: None,
                id_number: None,
                phone: "13800000000",
            })
            .await?;
        }
        Ok(made)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_codes_move_with_a_valid_check_character() {
        for (code, _) in codes_for("339902").expect("codes") {
            let new = credit_code_in(&code, "339903").expect("moved");
            assert!(CreditCode::parse(&new).is_ok(), "{new}");
            assert_eq!(&new[2..8], "339903");
            assert_eq!(&new[8..17], &code[8..17]);
        }
    }
}
