//! What a case awaits from outside before it may be approved (a hold): a
//! document an earlier item of its bundle issues. A capability places the
//! hold and releases it when the document arrives; once the issuer will no
//! longer issue it, the capability restates the hold and the applicant's
//! upload of the material (after that) ends it. The domain refuses an
//! approval while a hold is open (`CaseFacts::awaiting`); the applicant may
//! not upload a held material before then (`held_materials`).

use sea_orm::ConnectionTrait;

use crate::{Result, exec, get, now_ms, query};

/// Holds `case_id` until material `material_index` arrives (named for the
/// people who read why the case waits).
pub(crate) async fn hold(
    c: &impl ConnectionTrait,
    case_id: i64,
    material_index: usize,
    what_zh: &str,
    what_en: &str,
) -> Result<()> {
    exec(
        c,
        "INSERT INTO case_holds (case_id, material_index, what_zh, what_en, held_at) VALUES ($1, $2, $3, $4, $5)",
        vec![
            case_id.into(),
            (material_index as i64).into(),
            what_zh.into(),
            what_en.into(),
            now_ms().into(),
        ],
    )
    .await?;
    Ok(())
}

/// The material arrived: the case no longer waits for it.
pub(crate) async fn release(
    c: &impl ConnectionTrait,
    case_id: i64,
    material_index: usize,
) -> Result<()> {
    exec(
        c,
        "UPDATE case_holds SET released_at = $1 WHERE case_id = $2 AND material_index = $3 AND released_at IS NULL",
        vec![
            now_ms().into(),
            case_id.into(),
            (material_index as i64).into(),
        ],
    )
    .await?;
    Ok(())
}

/// The issuer will not issue it: the applicant is to supply it, and their
/// upload of the material from now on ends the hold. Says so.
pub(crate) async fn restate(
    c: &impl ConnectionTrait,
    case_id: i64,
    material_index: usize,
    what_zh: &str,
    what_en: &str,
) -> Result<()> {
    exec(
        c,
        "UPDATE case_holds SET what_zh = $1, what_en = $2, by_upload = $3, held_at = $4 \
         WHERE case_id = $5 AND material_index = $6 AND released_at IS NULL",
        vec![
            what_zh.into(),
            what_en.into(),
            true.into(),
            now_ms().into(),
            case_id.into(),
            (material_index as i64).into(),
        ],
    )
    .await?;
    Ok(())
}

/// The open holds of a case, (Chinese, English): not released, and — for
/// one the applicant is to supply — the material not uploaded since.
pub(crate) async fn awaiting_of(
    c: &impl ConnectionTrait,
    case_id: i64,
) -> Result<Vec<(String, String)>> {
    query(
        c,
        "SELECT h.what_zh, h.what_en FROM case_holds h WHERE h.case_id = $1 AND h.released_at IS NULL \
         AND NOT (h.by_upload = $2 AND EXISTS (SELECT 1 FROM case_files f WHERE f.case_id = h.case_id \
           AND f.material_index = h.material_index AND f.uploaded_at >= h.held_at)) \
         ORDER BY h.material_index, h.id",
        vec![case_id.into(), true.into()],
    )
    .await?
    .iter()
    .map(|r| Ok((get(r, "what_zh")?, get(r, "what_en")?)))
    .collect()
}

/// The open holds of a case: (material, whether the applicant's upload now
/// ends it). A material held without `by_upload` is not the applicant's to
/// upload (the issuer may still issue it).
pub(crate) async fn open_holds(
    c: &impl ConnectionTrait,
    case_id: i64,
) -> Result<Vec<(usize, bool)>> {
    query(
        c,
        "SELECT material_index, by_upload FROM case_holds WHERE case_id = $1 AND released_at IS NULL",
        vec![case_id.into()],
    )
    .await?
    .iter()
    .map(|r| Ok((get::<i64>(r, "material_index")? as usize, get::<bool>(r, "by_upload")?)))
    .collect()
}

impl crate::Store {
    /// The open holds of `case` (as already handed out to the viewer):
    /// (material, whether the applicant now supplies it).
    pub async fn open_holds_of(&self, case: &super::Case) -> Result<Vec<(usize, bool)>> {
        open_holds(self.conn(), case.id).await
    }

    /// What `case` (as already handed out to the viewer) still awaits before
    /// it may be approved.
    pub async fn awaiting(&self, case: &super::Case) -> Result<Vec<(String, String)>> {
        awaiting_of(self.conn(), case.id).await
    }
}
