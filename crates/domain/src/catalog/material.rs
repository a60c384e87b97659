//! 申请材料 (SPEC §2.2) and what a material is and whose (SPEC §5).

use serde::{Deserialize, Serialize};

use super::*;

code_list! {
    /// Whose document a material is (SPEC §5: a material is identified by
    /// what it is and whose it is).
    Holder {
        Applicant = "applicant", "申请人", "the applicant";
        Father = "father", "父亲", "the father";
        Mother = "mother", "母亲", "the mother";
        Child = "child", "子女（新生儿）", "the child";
        Spouse = "spouse", "配偶", "the spouse";
        LegalRepresentative = "legal_representative", "法定代表人", "the legal representative";
        Enterprise = "enterprise", "企业（单位）", "the enterprise";
        Agent = "agent", "经办人", "the agent";
    }
}

/// 申请材料 (SPEC §2.2). Optional attributes are optional so that drafts can be
/// saved incomplete; the guide audit reports what is missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Material {
    pub name: String,
    pub material_type: MaterialType,
    #[serde(default)]
    pub source: Option<MaterialSource>,
    #[serde(default)]
    pub necessity: Option<Necessity>,
    #[serde(default)]
    pub submit_form: Option<SubmitForm>,
    #[serde(default)]
    pub originals: u32,
    #[serde(default)]
    pub copies: u32,
    #[serde(default)]
    pub paper_size: String,
    /// 受理标准: what the clerk checks.
    #[serde(default)]
    pub acceptance_standard: String,
    /// 填报须知
    #[serde(default)]
    pub filling_notes: String,
    #[serde(default)]
    pub blank_form: String,
    #[serde(default)]
    pub sample: String,
    /// 免提交: obtained from shared data or an e-licence.
    #[serde(default)]
    pub exempt: bool,
    #[serde(default)]
    pub data_source: String,
    #[serde(default)]
    pub trust_level: Option<TrustLevel>,
    /// What it is, as a document type (居民身份证, 出生医学证明, 营业执照: the
    /// licence type of an e-certificate); empty when the guide does not say.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Whose it is (all of them: 父母双方居民身份证 is the father's and the
    /// mother's); the applicant's when empty and a kind is given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holders: Vec<Holder>,
}

/// What one upload is: a typed document of one person, or, when the guide
/// gives no kind, a material known only by its name, standard and whether an
/// original is needed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MaterialId {
    Typed {
        kind: String,
        holder: Holder,
    },
    Named {
        name: String,
        standard: String,
        original: bool,
    },
}

impl MaterialId {
    /// How the applicant reads it ("母亲的居民身份证").
    pub fn label_zh(&self) -> String {
        match self {
            MaterialId::Typed { kind, holder } => format!("{}的{kind}", holder.zh()),
            MaterialId::Named { name, .. } => name.clone(),
        }
    }
    pub fn label_en(&self) -> String {
        match self {
            MaterialId::Typed { kind, holder } => format!("{kind} of {}", holder.en()),
            MaterialId::Named { name, .. } => name.clone(),
        }
    }
}

impl Material {
    /// The documents this material is: one per holder for a typed material.
    pub fn identities(&self) -> Vec<MaterialId> {
        let kind = self.kind.trim();
        if kind.is_empty() {
            return vec![MaterialId::Named {
                name: self.name.trim().to_string(),
                standard: self.acceptance_standard.trim().to_string(),
                original: self.originals > 0,
            }];
        }
        let holders: Vec<Holder> = if self.holders.is_empty() {
            vec![Holder::Applicant]
        } else {
            let mut h = self.holders.clone();
            h.dedup();
            h
        };
        holders
            .into_iter()
            .map(|holder| MaterialId::Typed {
                kind: kind.to_string(),
                holder,
            })
            .collect()
    }

    pub fn new(name: &str, material_type: MaterialType) -> Self {
        Self {
            name: name.to_string(),
            material_type,
            source: None,
            necessity: None,
            submit_form: None,
            originals: 0,
            copies: 0,
            paper_size: String::new(),
            acceptance_standard: String::new(),
            filling_notes: String::new(),
            blank_form: String::new(),
            sample: String::new(),
            exempt: false,
            data_source: String::new(),
            trust_level: None,
            kind: String::new(),
            holders: Vec::new(),
        }
    }
}
