//! Decision models for instant approval (SPEC §6): decision tables in the
//! GoRules JDM JSON format (the format of the JDM editor and of zen-engine),
//! evaluated with the ZEN expression language (`zen-expression`). The subset
//! supported is what catalogue admins author for 秒批: an input node, one or
//! more decision tables in a chain, an output node. Each table has a hit
//! policy (`first` or `collect`), input columns whose cells are unary tests
//! (`> 18`, `"yes"`, `[1..10]`, empty = any) on a field of the input, and
//! output columns whose cells are expressions.
//!
//! A model's outcome is read from its `decision` output — `approve`, `refer`
//! or `refuse` — with `reasons`; when no rule matches, the case is referred.
//!
//! Why not the `zen-engine` crate itself: it always builds QuickJS and the
//! SWC TypeScript compiler (for function nodes), which on our 2-core CI
//! machine costs minutes per build; decision tables need only the
//! expression language, which is what we use.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zen_expression::expression::{Standard, Unary};
use zen_expression::{Expression, Variable};

/// Why a model cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("not a decision model: {0}")]
    Format(String),
    #[error("unsupported node type {0}: only decision tables are supported")]
    Unsupported(String),
    #[error("table {table}, rule {rule}, column {column}: {message}")]
    Cell {
        table: String,
        rule: String,
        column: String,
        message: String,
    },
    #[error("evaluation failed in table {table}, rule {rule}: {message}")]
    Eval {
        table: String,
        rule: String,
        message: String,
    },
}

impl RuleError {
    pub fn zh(&self) -> String {
        match self {
            RuleError::Format(m) => format!("决策模型格式错误：{m}"),
            RuleError::Unsupported(t) => format!("不支持的节点类型{t}：目前只支持决策表"),
            RuleError::Cell {
                table,
                rule,
                column,
                message,
            } => format!("决策表“{table}”第{rule}条规则“{column}”列的表达式错误：{message}"),
            RuleError::Eval {
                table,
                rule,
                message,
            } => format!("决策表“{table}”第{rule}条规则计算失败：{message}"),
        }
    }
}

/// How a table picks its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HitPolicy {
    First,
    Collect,
}

#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub id: String,
    pub name: String,
    /// Dotted path in the input (inputs) or the result (outputs).
    pub field: String,
}

#[derive(Debug, Clone)]
struct Row {
    id: String,
    description: String,
    /// Per input column: the cell text and its compiled test (None: any).
    tests: Vec<(String, Option<Expression<Unary>>)>,
    /// Per output column: the cell text and its compiled expression.
    outputs: Vec<(String, Option<Expression<Standard>>)>,
}

/// One decision table.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub hit: HitPolicy,
    pub inputs: Vec<Column>,
    pub outputs: Vec<Column>,
    rows: Vec<Row>,
}

impl Table {
    /// The table as text for a readable view: header and rows of cells.
    pub fn grid(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let mut head: Vec<String> = self.inputs.iter().map(|c| c.name.clone()).collect();
        head.extend(self.outputs.iter().map(|c| format!("→ {}", c.name)));
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let mut v: Vec<String> = r.tests.iter().map(|(t, _)| t.clone()).collect();
                v.extend(r.outputs.iter().map(|(t, _)| t.clone()));
                v
            })
            .collect();
        (head, rows)
    }
}

/// A parsed, compiled decision model.
#[derive(Debug, Clone)]
pub struct Model {
    pub tables: Vec<Table>,
}

/// One matched rule, for the case record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceStep {
    pub table: String,
    pub rule: String,
    pub description: String,
}

/// The result of one evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub output: Value,
    pub trace: Vec<TraceStep>,
}

/// What the model decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Approve,
    Refer,
    Refuse,
}

impl Decision {
    pub fn zh(self) -> &'static str {
        match self {
            Decision::Approve => "准予（秒批）",
            Decision::Refer => "转人工审查",
            Decision::Refuse => "不予批准",
        }
    }
}

impl Evaluation {
    /// `decision` and `reasons` of the output; no decision means refer.
    pub fn outcome(&self) -> (Decision, Vec<String>) {
        let d = match self.output.get("decision").and_then(Value::as_str) {
            Some("approve") => Decision::Approve,
            Some("refuse") => Decision::Refuse,
            _ => Decision::Refer,
        };
        let reasons = match self.output.get("reasons") {
            Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .filter(|s| !s.is_empty())
                .collect(),
            _ => vec![],
        };
        let reasons = if reasons.is_empty() && d == Decision::Refer && self.trace.is_empty() {
            vec!["没有适用的规则，转人工审查".to_string()]
        } else {
            reasons
        };
        (d, reasons)
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn columns(v: Option<&Value>, what: &str) -> Result<Vec<Column>, RuleError> {
    let a = v
        .and_then(Value::as_array)
        .ok_or_else(|| RuleError::Format(format!("{what} missing")))?;
    a.iter()
        .map(|c| {
            let id =
                str_of(c, "id").ok_or_else(|| RuleError::Format(format!("{what} without id")))?;
            Ok(Column {
                id: id.to_string(),
                name: str_of(c, "name").unwrap_or(id).to_string(),
                field: str_of(c, "field").unwrap_or_default().to_string(),
            })
        })
        .collect()
}

impl Model {
    /// Parses and compiles a JDM document; every cell must compile.
    pub fn parse(doc: &Value) -> Result<Self, RuleError> {
        let nodes = doc
            .get("nodes")
            .and_then(Value::as_array)
            .ok_or_else(|| RuleError::Format("nodes missing".into()))?;
        let edges: Vec<(String, String)> = doc
            .get("edges")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|e| {
                        Some((
                            str_of(e, "sourceId")?.to_string(),
                            str_of(e, "targetId")?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut by_id: BTreeMap<String, &Value> = BTreeMap::new();
        let mut input = None;
        for n in nodes {
            let id = str_of(n, "id").ok_or_else(|| RuleError::Format("node without id".into()))?;
            let kind = str_of(n, "type").unwrap_or_default();
            match kind {
                "inputNode" => input = Some(id.to_string()),
                "outputNode" | "decisionTableNode" => {}
                other => return Err(RuleError::Unsupported(other.to_string())),
            }
            by_id.insert(id.to_string(), n);
        }
        // Only a chain: a branch could skip a table (e.g. a refusal) unnoticed.
        for n in nodes {
            if let Some(id) = str_of(n, "id")
                && edges.iter().filter(|(s, _)| s == id).count() > 1
            {
                return Err(RuleError::Format(format!(
                    "node {id} branches; only a chain of decision tables is supported"
                )));
            }
        }
        // Follow the chain from the input node.
        let mut order = Vec::new();
        let mut at = input.ok_or_else(|| RuleError::Format("no input node".into()))?;
        let mut seen = 0;
        while let Some((_, next)) = edges.iter().find(|(s, _)| *s == at) {
            seen += 1;
            if seen > nodes.len() {
                return Err(RuleError::Format("the edges form a cycle".into()));
            }
            if let Some(n) = by_id.get(next)
                && str_of(n, "type") == Some("decisionTableNode")
            {
                order.push(*n);
            }
            at = next.clone();
        }
        if order.is_empty() {
            return Err(RuleError::Format(
                "no decision table between input and output".into(),
            ));
        }
        let tables_total = nodes
            .iter()
            .filter(|n| str_of(n, "type") == Some("decisionTableNode"))
            .count();
        if order.len() != tables_total {
            return Err(RuleError::Format(
                "a decision table is not on the chain from input to output".into(),
            ));
        }
        let tables = order
            .into_iter()
            .map(parse_table)
            .collect::<Result<_, _>>()?;
        Ok(Model { tables })
    }

    /// Evaluates the model on an input object.
    pub fn evaluate(&self, input: &Value) -> Result<Evaluation, RuleError> {
        let mut ctx = input.clone();
        let mut output = Value::Object(Map::new());
        let mut trace = Vec::new();
        for t in &self.tables {
            let vars: Vec<Value> = t
                .inputs
                .iter()
                .map(|c| lookup(&ctx, &c.field).cloned().unwrap_or(Value::Null))
                .collect();
            let mut collected: Vec<Value> = Vec::new();
            for r in &t.rows {
                let mut hit = true;
                for ((_, test), v) in r.tests.iter().zip(&vars) {
                    if let Some(test) = test {
                        let mut env = match &ctx {
                            Value::Object(m) => m.clone(),
                            _ => Map::new(),
                        };
                        env.insert("$".into(), v.clone());
                        let ok =
                            test.evaluate(Variable::from(Value::Object(env)))
                                .map_err(|e| RuleError::Eval {
                                    table: t.name.clone(),
                                    rule: r.id.clone(),
                                    message: e.to_string(),
                                })?;
                        if !ok {
                            hit = false;
                            break;
                        }
                    }
                }
                if !hit {
                    continue;
                }
                let mut row = Value::Object(Map::new());
                for ((_, expr), col) in r.outputs.iter().zip(&t.outputs) {
                    let v = match expr {
                        Some(e) => e
                            .evaluate(Variable::from(ctx.clone()))
                            .map_err(|e| RuleError::Eval {
                                table: t.name.clone(),
                                rule: r.id.clone(),
                                message: e.to_string(),
                            })?
                            .to_value(),
                        None => Value::Null,
                    };
                    set(&mut row, &col.field, v);
                }
                trace.push(TraceStep {
                    table: t.name.clone(),
                    rule: r.id.clone(),
                    description: r.description.clone(),
                });
                collected.push(row);
                if t.hit == HitPolicy::First {
                    break;
                }
            }
            let result = match t.hit {
                HitPolicy::First => collected
                    .into_iter()
                    .next()
                    .unwrap_or(Value::Object(Map::new())),
                HitPolicy::Collect => merge_collect(collected),
            };
            if let Value::Object(m) = &result {
                for (k, v) in m {
                    if let Value::Object(c) = &mut ctx {
                        c.insert(k.clone(), v.clone());
                    }
                    if let Value::Object(o) = &mut output {
                        o.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        Ok(Evaluation { output, trace })
    }
}

/// `collect`: the first row's values, with `reasons` gathered from every row.
fn merge_collect(rows: Vec<Value>) -> Value {
    let mut out = Map::new();
    let mut reasons: Vec<Value> = Vec::new();
    for r in rows {
        if let Value::Object(m) = r {
            for (k, v) in m {
                if k == "reasons" {
                    match v {
                        Value::Array(a) => reasons.extend(a),
                        Value::Null => {}
                        other => reasons.push(other),
                    }
                } else {
                    out.entry(k).or_insert(v);
                }
            }
        }
    }
    if !reasons.is_empty() {
        out.insert("reasons".into(), Value::Array(reasons));
    }
    Value::Object(out)
}

fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(v);
    }
    path.split('.').try_fold(v, |v, k| v.get(k))
}

fn set(v: &mut Value, path: &str, x: Value) {
    let mut cur = v;
    let parts: Vec<&str> = path.split('.').filter(|p| !p.is_empty()).collect();
    for (i, p) in parts.iter().enumerate() {
        let Value::Object(m) = cur else { return };
        if i + 1 == parts.len() {
            m.insert((*p).to_string(), x);
            return;
        }
        cur = m
            .entry((*p).to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

fn parse_table(n: &Value) -> Result<Table, RuleError> {
    let name = str_of(n, "name").unwrap_or("决策表").to_string();
    let content = n
        .get("content")
        .ok_or_else(|| RuleError::Format(format!("table {name} has no content")))?;
    let hit = match str_of(content, "hitPolicy").unwrap_or("first") {
        "first" => HitPolicy::First,
        "collect" => HitPolicy::Collect,
        other => return Err(RuleError::Format(format!("hit policy {other}"))),
    };
    let inputs = columns(content.get("inputs"), "inputs")?;
    let outputs = columns(content.get("outputs"), "outputs")?;
    let rules = content
        .get("rules")
        .and_then(Value::as_array)
        .ok_or_else(|| RuleError::Format(format!("table {name} has no rules")))?;
    let mut rows = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        let rid = str_of(r, "_id")
            .map(str::to_string)
            .unwrap_or_else(|| (i + 1).to_string());
        let cell_err = |col: &Column, e: String| RuleError::Cell {
            table: name.clone(),
            rule: (i + 1).to_string(),
            column: col.name.clone(),
            message: e,
        };
        let mut tests = Vec::new();
        for c in &inputs {
            let text = str_of(r, &c.id).unwrap_or("").trim().to_string();
            let compiled = if text.is_empty() {
                None
            } else {
                Some(
                    zen_expression::compile_unary_expression(&text)
                        .map_err(|e| cell_err(c, e.to_string()))?,
                )
            };
            tests.push((text, compiled));
        }
        let mut outs = Vec::new();
        for c in &outputs {
            let text = str_of(r, &c.id).unwrap_or("").trim().to_string();
            // Reasons are shown to everyone who sees the case, supervisors
            // too: fixed words, never an expression that could quote the
            // applicant's data.
            if c.field == "reasons" && !text.is_empty() && !is_fixed_text(&text) {
                return Err(cell_err(
                    c,
                    "reasons must be fixed text (a quoted string or a list of them), not an expression".into(),
                ));
            }
            let compiled = if text.is_empty() {
                None
            } else {
                Some(
                    zen_expression::compile_expression(&text)
                        .map_err(|e| cell_err(c, e.to_string()))?,
                )
            };
            outs.push((text, compiled));
        }
        rows.push(Row {
            id: rid,
            description: str_of(r, "_description").unwrap_or_default().to_string(),
            tests,
            outputs: outs,
        });
    }
    Ok(Table {
        name,
        hit,
        inputs,
        outputs,
        rows,
    })
}

/// Whether an output cell is fixed text: a quoted string or a list of them.
fn is_fixed_text(cell: &str) -> bool {
    let single = |t: &str| {
        let t = t.trim();
        (t.len() >= 2
            && ((t.starts_with('"') && t.ends_with('"') && !t[1..t.len() - 1].contains('"'))
                || (t.starts_with('\'') && t.ends_with('\'') && !t[1..t.len() - 1].contains('\''))))
            && !t.contains('\\')
    };
    match cell
        .trim()
        .strip_prefix('[')
        .and_then(|c| c.strip_suffix(']'))
    {
        Some(list) => list.split(',').all(single),
        None => single(cell),
    }
}

/// One test case of a model: an input and the outputs it must give (only
/// the keys given are compared).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestCase {
    pub name: String,
    pub input: Value,
    pub expect: Value,
}

/// The result of one test case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestResult {
    pub name: String,
    pub passed: bool,
    pub got: Value,
    pub error: String,
}

/// Runs every test case.
pub fn run_tests(model: &Model, tests: &[TestCase]) -> Vec<TestResult> {
    tests
        .iter()
        .map(|t| match model.evaluate(&t.input) {
            Ok(ev) => {
                let passed = match &t.expect {
                    Value::Object(want) => want.iter().all(|(k, v)| ev.output.get(k) == Some(v)),
                    other => &ev.output == other,
                };
                TestResult {
                    name: t.name.clone(),
                    passed,
                    got: ev.output,
                    error: String::new(),
                }
            }
            Err(e) => TestResult {
                name: t.name.clone(),
                passed: false,
                got: Value::Null,
                error: e.zh(),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests;
