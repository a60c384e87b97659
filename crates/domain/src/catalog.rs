//! The service catalogue: items with every element of SPEC §2.1 and
//! materials of §2.2, and their version lifecycle.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::codes::{BasicCode, CreditCode, ImplCode};
use crate::error::FieldError;

/// A value of a closed code list: its stable key (as sent by forms and JSON) and labels.
pub trait Labelled: Copy + 'static {
    fn key(self) -> String;
    fn label_zh(self) -> &'static str;
    fn label_en(self) -> &'static str;
}

/// Declares a closed code list with a stable JSON name and labels in both languages.
macro_rules! code_list {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $json:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $json)] $variant,)+
        }
        // Written out rather than derived: the derive does not see the
        // renames this macro generates, and would document the Rust names.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                crate::code_list_schema(&[$(($json, $zh)),+])
            }
        }
        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $json,)+ }
            }
            pub fn zh(self) -> &'static str {
                match self { $($name::$variant => $zh,)+ }
            }
            pub fn en(self) -> &'static str {
                match self { $($name::$variant => $en,)+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($json => Some($name::$variant),)+ _ => None }
            }
        }
        impl Labelled for $name {
            fn key(self) -> String { self.as_str().to_string() }
            fn label_zh(self) -> &'static str { self.zh() }
            fn label_en(self) -> &'static str { self.en() }
        }
    };
}

/// Like `code_list!` but serialised as the numeric code of national data.
macro_rules! numeric_code_list {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $code:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "u8", into = "u8")]
        pub enum $name {
            $($variant,)+
        }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];
            pub fn code(self) -> u8 {
                match self { $($name::$variant => $code,)+ }
            }
            pub fn zh(self) -> &'static str {
                match self { $($name::$variant => $zh,)+ }
            }
            pub fn en(self) -> &'static str {
                match self { $($name::$variant => $en,)+ }
            }
            pub fn from_code(c: u8) -> Option<Self> {
                match c { $($code => Some($name::$variant),)+ _ => None }
            }
        }
        impl Labelled for $name {
            fn key(self) -> String { self.code().to_string() }
            fn label_zh(self) -> &'static str { self.zh() }
            fn label_en(self) -> &'static str { self.en() }
        }
        impl From<$name> for u8 {
            fn from(v: $name) -> u8 { v.code() }
        }
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let desc = [$(format!("{} {}", $code, $zh)),+].join(", ");
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::Integer)
                    .enum_values(Some([$($code),+]))
                    .description(Some(desc))
                    .into()
            }
        }
        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
        impl TryFrom<u8> for $name {
            type Error = String;
            fn try_from(c: u8) -> Result<Self, String> {
                Self::from_code(c).ok_or_else(|| {
                    let allowed: Vec<String> = Self::ALL.iter().map(|v| v.code().to_string()).collect();
                    format!("{} is not one of {}", c, allowed.join("/"))
                })
            }
        }
    };
}

code_list!(
    /// 事项类型
    ItemType {
        Licensing = "licensing", "行政许可", "Administrative licensing";
        Confirmation = "confirmation", "行政确认", "Administrative confirmation";
        Adjudication = "adjudication", "行政裁决", "Administrative adjudication";
        Payment = "payment", "行政给付", "Administrative payment";
        Reward = "reward", "行政奖励", "Administrative reward";
        Filing = "filing", "行政备案", "Administrative filing";
        OtherPower = "other_power", "其他行政权力", "Other administrative power";
        PublicService = "public_service", "公共服务", "Public service";
    }
);

code_list!(
    /// 业务办理项
    BusinessKind {
        New = "new", "新设", "New";
        Change = "change", "变更", "Change";
        Renewal = "renewal", "延续", "Renewal";
        Cancellation = "cancellation", "注销", "Cancellation";
    }
);

code_list!(
    /// 服务对象
    ServiceObject {
        NaturalPerson = "natural_person", "自然人", "Individuals";
        LegalPerson = "legal_person", "法人", "Legal persons";
    }
);

code_list!(
    /// 行使层级
    ExerciseLevel {
        National = "national", "国家级", "National";
        Provincial = "provincial", "省级", "Provincial";
        City = "city", "市级", "City";
        County = "county", "县级", "County/district";
        Township = "township", "镇（乡、街道）级", "Township";
        Village = "village", "村（社区）级", "Village/community";
    }
);

impl ExerciseLevel {
    /// The level digit used inside the implementation code.
    pub fn digit(self) -> u8 {
        match self {
            ExerciseLevel::National => 1,
            ExerciseLevel::Provincial => 2,
            ExerciseLevel::City => 3,
            ExerciseLevel::County => 4,
            ExerciseLevel::Township => 5,
            ExerciseLevel::Village => 6,
        }
    }
}

code_list!(
    /// 办件类型
    CaseKind {
        Immediate = "immediate", "即办件", "Handled on the spot";
        Promised = "promised", "承诺件", "Handled within a promised time";
    }
);

code_list!(
    /// Unit of a time limit.
    DayUnit {
        WorkingDays = "working_days", "工作日", "working days";
        NaturalDays = "natural_days", "自然日", "calendar days";
    }
);

code_list!(
    /// 办理形式
    HandlingForm {
        Window = "window", "窗口办理", "At a window";
        Online = "online", "网上办理", "Online";
        Post = "post", "快递申请", "By post";
    }
);

code_list!(
    /// 网上办理深度
    OnlineDepth {
        I = "I", "Ⅰ级（信息发布）", "I (information)";
        II = "II", "Ⅱ级（在线预审）", "II (online pre-check)";
        III = "III", "Ⅲ级（网上受理）", "III (online acceptance)";
        IV = "IV", "Ⅳ级（全程网办）", "IV (fully online)";
    }
);

numeric_code_list!(
    /// 结果类型
    ResultType {
        Licence = 10, "证照", "Licence or certificate";
        Approval = 20, "批文", "Approval document";
        Other = 30, "其他", "Other";
    }
);

numeric_code_list!(
    /// 材料类型
    MaterialType {
        Certificate = 1, "证件证书证明", "Certificate or proof";
        FormDocument = 2, "申请表格文书", "Application form or document";
        Other = 3, "其他", "Other";
    }
);

numeric_code_list!(
    /// 材料来源
    MaterialSource {
        Applicant = 10, "申请人自备", "Provided by the applicant";
        Government = 20, "政府部门核发", "Issued by a government department";
        Other = 99, "其他", "Other";
    }
);

numeric_code_list!(
    /// 必要性
    Necessity {
        Required = 1, "必要", "Required";
        Optional = 2, "非必要", "Optional";
        Deferrable = 3, "容缺后补", "May be supplied later";
    }
);

numeric_code_list!(
    /// 提交形式
    SubmitForm {
        Paper = 1, "纸质", "Paper";
        Electronic = 2, "电子", "Electronic";
        Both = 3, "纸质和电子", "Paper and electronic";
    }
);

code_list!(
    /// Reuse trust level (国办函〔2016〕108号).
    TrustLevel {
        A = "A", "A 本机构核发，可直接使用", "A: issued by the agency itself";
        B = "B", "B 窗口核验，可复用", "B: verified by window staff";
        C = "C", "C 申请人上传，须核验原件", "C: uploaded, original to be checked";
        D = "D", "D 申请人自制，书面承诺", "D: made by the applicant under a written pledge";
    }
);

code_list!(
    /// Lifecycle of one item version.
    ItemStatus {
        Draft = "draft", "草稿", "Draft";
        Published = "published", "已发布", "Published";
        Superseded = "superseded", "已被新版本替代", "Superseded";
        Retired = "retired", "已取消", "Retired";
    }
);

code_list!(
    /// How several departments review one case.
    ReviewMode {
        Sequential = "sequential", "串联审查", "One department after another";
        Joint = "joint", "联合办理（并联）", "Joint handling, all at once";
    }
);

// The enum comes from `code_list!`, which has no place for `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for ReviewMode {
    fn default() -> Self {
        ReviewMode::Sequential
    }
}

/// Departments that review a case after acceptance. The item's own
/// department always reviews and decides; `co_reviewers` (credit codes of
/// other departments) review before it (sequential) or with it (joint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewPlan {
    #[serde(default)]
    pub mode: ReviewMode,
    #[serde(default)]
    pub co_reviewers: Vec<CreditCode>,
}

code_list!(
    /// Kind of an application form field.
    FieldKind {
        Text = "text", "文本", "Text";
        Number = "number", "数字", "Number";
        Date = "date", "日期", "Date";
        YesNo = "yes_no", "是/否", "Yes/no";
        Choice = "choice", "选项", "Choice";
    }
);

/// One lookup in a shared data source at submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataLookup {
    /// Key of the data source (e.g. `population`).
    pub source: String,
    /// What is looked up: `applicant` (the applicant's ID number or credit
    /// code) or `form.<field>`.
    #[serde(default = "applicant_key")]
    pub key: String,
    /// Materials (by name) that a found record makes unnecessary (免提交).
    #[serde(default)]
    pub satisfies: Vec<String>,
    /// Declared form fields compared with the source's fields (自动比对).
    #[serde(default)]
    pub compare: Vec<Comparison>,
}

fn applicant_key() -> String {
    "applicant".into()
}

/// A form field and the source field it must agree with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Comparison {
    pub form_field: String,
    pub source_field: String,
}

/// An item version's decision model and its test cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionSpec {
    /// GoRules JDM JSON (input node → decision tables → output node).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub model: serde_json::Value,
    #[serde(default)]
    pub tests: Vec<DecisionTest>,
}

/// Input → expected outputs (only the keys given are compared).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionTest {
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub input: serde_json::Value,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub expect: serde_json::Value,
}

/// One field of an item's application form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FormField {
    /// Stable key, `[a-z][a-z0-9_]*`.
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    /// Allowed values of a choice field.
    #[serde(default)]
    pub options: Vec<String>,
    /// Smallest value of a number field (default 0: amounts and areas are
    /// not negative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    /// Largest value of a number field (default [`NUMBER_MAX`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
}

/// The largest number a form field takes unless its definition says less
/// (one trillion: any amount in yuan or area in square metres).
pub const NUMBER_MAX: i64 = 1_000_000_000_000;

/// A number as people write it: digits, at most one point, an optional
/// leading minus; no exponent, no `inf`/`NaN`, at most 15 significant digits.
fn plain_decimal(v: &str) -> Option<f64> {
    let digits = v.strip_prefix('-').unwrap_or(v);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let ok = !int.is_empty()
        && int.chars().all(|c| c.is_ascii_digit())
        && frac.chars().all(|c| c.is_ascii_digit())
        && (digits.len() - usize::from(!frac.is_empty() || digits.contains('.'))) <= 15
        && !digits.ends_with('.');
    if !ok {
        return None;
    }
    v.parse::<f64>().ok().filter(|n| n.is_finite())
}

impl FormField {
    /// The range a number field accepts.
    pub fn range(&self) -> (i64, i64) {
        (self.min.unwrap_or(0), self.max.unwrap_or(NUMBER_MAX))
    }

    /// Checks one submitted value; `None` when the value is acceptable.
    pub fn check(&self, value: Option<&str>) -> Option<FieldError> {
        let field = format!("form.{}", self.key);
        let v = value.map(str::trim).unwrap_or("");
        if v.is_empty() {
            return self.required.then(|| {
                FieldError::new(
                    field,
                    "required",
                    format!("请填写{}", self.label),
                    format!("{} is required", self.label),
                )
            });
        }
        let bad = |zh: String, en: String| Some(FieldError::new(field.clone(), "invalid", zh, en));
        match self.kind {
            FieldKind::Text => crate::text::check_text(
                &field,
                &self.label,
                &self.label,
                v,
                crate::text::TEXT_MAX,
                true,
            ),
            FieldKind::Number => {
                let (min, max) = self.range();
                match plain_decimal(v) {
                    None => bad(
                        format!("{}应为数字，如120或35.5", self.label),
                        format!("{} must be a number such as 120 or 35.5", self.label),
                    ),
                    Some(n) if n < min as f64 || n > max as f64 => Some(FieldError::new(
                        field.clone(),
                        "out_of_range",
                        format!("{}应在{min}至{max}之间", self.label),
                        format!("{} must be between {min} and {max}", self.label),
                    )),
                    Some(_) => None,
                }
            }
            FieldKind::Date => match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                Ok(_) => None,
                Err(_) => bad(
                    format!("{}应为日期，格式如2025-01-20", self.label),
                    format!("{} must be a date like 2025-01-20", self.label),
                ),
            },
            FieldKind::YesNo => (!matches!(v, "yes" | "no")).then(|| {
                FieldError::new(
                    field.clone(),
                    "invalid",
                    format!("{}请选择是或否", self.label),
                    format!("{} must be yes or no", self.label),
                )
            }),
            FieldKind::Choice => (!self.options.iter().any(|o| o == v)).then(|| {
                FieldError::new(
                    field.clone(),
                    "invalid",
                    format!("{}请从给定选项中选择", self.label),
                    format!("{} must be one of the given options", self.label),
                )
            }),
        }
    }
}

/// 设定依据
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LegalBasis {
    pub law_name: String,
    #[serde(default)]
    pub doc_number: String,
    #[serde(default)]
    pub article: String,
    #[serde(default)]
    pub text: String,
}

/// 实施主体
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Agency {
    pub name: String,
    pub credit_code: CreditCode,
}

/// One step of 办理流程.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProcessStep {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// 特别程序: time that does not count towards the limit (行政许可法 Art. 45).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpecialProcedure {
    pub name: String,
    #[serde(default)]
    pub max_days: Option<u32>,
}

/// 是否收费 / 收费依据 / 收费标准
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Fee {
    pub charged: bool,
    #[serde(default)]
    pub basis: String,
    #[serde(default)]
    pub standard: String,
}

/// 办理结果
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResultSpec {
    pub result_type: ResultType,
    pub name: String,
    /// For 证照: the licence type (证照类型).
    #[serde(default)]
    pub licence_type: String,
    /// Whose the result is (出生医学证明: the child's); the applicant's when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<Holder>,
}

impl ResultSpec {
    /// The document the result is, as a material of a later item would name
    /// it: (licence type, whose), for a 证照 with a licence type.
    pub fn produces(&self) -> Option<(&str, Holder)> {
        let kind = self.licence_type.trim();
        (self.result_type == ResultType::Licence && !kind.is_empty())
            .then(|| (kind, self.holder.unwrap_or(Holder::Applicant)))
    }
}

/// Every element of one version of a service item's guide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemDoc {
    /// 事项名称
    pub name: String,
    /// 基本编码
    pub basic_code: BasicCode,
    /// 实施编码
    pub impl_code: ImplCode,
    /// 业务办理项
    pub business_kind: BusinessKind,
    /// 事项类型
    pub item_type: ItemType,
    /// 设定依据
    #[serde(default)]
    pub legal_basis: Vec<LegalBasis>,
    /// 实施主体
    pub agency: Agency,
    /// 行使层级
    pub exercise_level: ExerciseLevel,
    /// 委托部门
    #[serde(default)]
    pub entrusted_department: String,
    /// 服务对象
    #[serde(default)]
    pub service_objects: Vec<ServiceObject>,
    /// 受理条件
    #[serde(default)]
    pub acceptance_conditions: String,
    /// 办理流程
    #[serde(default)]
    pub process_steps: Vec<ProcessStep>,
    /// 办件类型
    pub case_kind: CaseKind,
    /// 特别程序
    #[serde(default)]
    pub special_procedures: Vec<SpecialProcedure>,
    /// 法定办结时限
    #[serde(default)]
    pub legal_limit: Option<TimeLimit>,
    /// 承诺办结时限
    #[serde(default)]
    pub promised_limit: Option<TimeLimit>,
    /// 到办事现场次数
    #[serde(default)]
    pub onsite_visits: u32,
    /// Why more than one visit is needed (最多跑一次 exceptions).
    #[serde(default)]
    pub onsite_visits_explanation: String,
    /// 网上办理深度
    pub online_depth: OnlineDepth,
    /// 办理形式
    #[serde(default)]
    pub handling_forms: Vec<HandlingForm>,
    #[serde(default)]
    pub fee: Fee,
    /// 办理地点
    #[serde(default)]
    pub location: String,
    /// 办理时间
    #[serde(default)]
    pub office_hours: String,
    /// 咨询电话
    #[serde(default)]
    pub consult_phone: String,
    /// 监督投诉电话
    #[serde(default)]
    pub complaint_phone: String,
    pub result: ResultSpec,
    #[serde(default)]
    pub materials: Vec<Material>,
    /// Life events the item belongs to (新生儿出生, 企业开办 …), for filters.
    #[serde(default)]
    pub life_events: Vec<String>,
    /// The application form's fields (beyond the applicant's identity).
    #[serde(default)]
    pub form_fields: Vec<FormField>,
    /// Which departments review after acceptance, and how (串联/并联).
    #[serde(default)]
    pub review: ReviewPlan,
    /// Shared data looked up at submission (SPEC §6): what it proves (免提交
    /// materials it satisfies) and which declared values it is compared with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared_data: Vec<DataLookup>,
    /// 秒批: the decision model (GoRules JDM decision tables) and the test
    /// cases that must pass before the version is published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<DecisionSpec>,
    /// 计划生效日期
    #[serde(default)]
    pub planned_effective_date: Option<NaiveDate>,
    /// 计划取消日期
    #[serde(default)]
    pub planned_cancel_date: Option<NaiveDate>,
}

mod item;
mod limit;
mod material;

pub use item::check_agency_matches;
pub use limit::{DayCount, TimeLimit};
pub use material::{Holder, Material, MaterialId};

#[cfg(test)]
mod tests {
    use super::*;

    fn agency() -> Agency {
        Agency {
            name: "测试局".into(),
            credit_code: CreditCode::parse("91350100M000100Y43").expect("valid"),
        }
    }

    #[test]
    fn numeric_codes_roundtrip_and_refuse_unknown() {
        let m: Material = serde_json::from_str(
            r#"{"name":"身份证","material_type":1,"source":20,"necessity":3,"submit_form":3}"#,
        )
        .expect("parses");
        assert_eq!(m.source, Some(MaterialSource::Government));
        assert_eq!(m.necessity, Some(Necessity::Deferrable));
        let back = serde_json::to_value(&m).expect("serialises");
        assert_eq!(back["source"], 20);
        let err = serde_json::from_str::<Material>(r#"{"name":"x","material_type":4}"#)
            .expect_err("4 is not a material type");
        assert!(err.to_string().contains("4 is not one of 1/2/3"), "{err}");
    }

    #[test]
    fn saveable_checks_name_and_code_consistency() {
        let basic = BasicCode::parse("000201001000").expect("valid");
        let mut doc =
            ItemDoc::skeleton("出生医学证明", agency(), ExerciseLevel::County, basic).expect("ok");
        assert!(doc.check_saveable().is_ok());
        doc.name = " ".into();
        doc.basic_code = BasicCode::parse("000201001001").expect("valid");
        let errs = doc.check_saveable().expect_err("two problems");
        let fields: Vec<_> = errs.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "impl_code"]);
    }

    #[test]
    fn bad_credit_code_in_json_is_refused() {
        let basic = BasicCode::parse("000201001000").expect("valid");
        let doc = ItemDoc::skeleton("x", agency(), ExerciseLevel::County, basic).expect("ok");
        let mut v = serde_json::to_value(&doc).expect("ser");
        v["agency"]["credit_code"] = "91350100M000100Y4Z".into();
        assert!(serde_json::from_value::<ItemDoc>(v).is_err());
    }
}
