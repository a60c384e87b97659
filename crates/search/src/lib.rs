//! Chinese full-text search over the published catalogue (SPEC §2.4).
//!
//! The index lives in memory and is rebuilt from the database (the caller
//! passes the published items); it never depends on local disk. Text is
//! segmented into words with jieba (search mode), not character n-grams.

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TantivyDocument, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::{LowerCaser, TextAnalyzer, TokenStream};
use tantivy::{Index, IndexReader, Term, doc};

const TOKENIZER: &str = "zh";

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
}

/// What the index needs of one published item.
#[derive(Debug, Clone)]
pub struct SearchDoc {
    pub code: String,
    pub name: String,
    pub body: String,
    pub department_id: i64,
    pub item_type: String,
    pub service_objects: Vec<String>,
    pub life_events: Vec<String>,
    /// What the item issues (its result and licence type): searching for a
    /// licence finds the item that issues it before those that ask for it.
    pub result: String,
}

/// A search request. Empty text with filters lists everything that matches the filters.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    pub department_id: Option<i64>,
    pub item_type: Option<String>,
    pub service_object: Option<String>,
    pub life_event: Option<String>,
    pub limit: usize,
    pub offset: usize,
}

#[derive(Debug, Clone)]
pub struct Hit {
    pub code: String,
    pub name: String,
    pub score: f32,
    /// The name with matched words in `<b>`, HTML-escaped.
    pub name_html: String,
    /// A passage of the guide text with matched words in `<b>`, HTML-escaped.
    pub snippet_html: String,
}

#[derive(Debug, Clone)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    /// The words the query was segmented into (shown to users, useful in tests).
    pub words: Vec<String>,
}

struct Fields {
    code: Field,
    name: Field,
    result: Field,
    body: Field,
    department: Field,
    item_type: Field,
    object: Field,
    event: Field,
}

pub struct SearchIndex {
    reader: IndexReader,
    f: Fields,
    size: usize,
    phrasings: Vec<(String, String)>,
}

/// The phrasings a new centre starts with, as owned pairs.
pub fn default_phrasings() -> Vec<(String, String)> {
    tongban_domain::phrasings::DEFAULT_PHRASINGS
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(tantivy_jieba::JiebaTokenizer::new())
        .filter(LowerCaser)
        .build()
}

/// Segments a query into searchable words (punctuation and spaces dropped, duplicates removed).
pub fn segment(text: &str) -> Vec<String> {
    let mut a = analyzer();
    let mut stream = a.token_stream(text);
    let mut out: Vec<String> = Vec::new();
    while let Some(t) = stream.next() {
        let w = t.text.trim();
        if w.chars().any(|c| c.is_alphanumeric()) && !out.iter().any(|o| o == w) {
            out.push(w.to_string());
        }
    }
    out
}

/// Segments a query and adds the official wording of everyday names in it.
pub fn query_words(text: &str, phrasings: &[(String, String)]) -> Vec<String> {
    let mut words = segment(text);
    for (everyday, official) in phrasings {
        if text.contains(everyday.as_str()) && !text.contains(official.as_str()) {
            for w in segment(official) {
                if !words.contains(&w) {
                    words.push(w);
                }
            }
        }
    }
    words
}

impl SearchIndex {
    /// Builds the index of `docs`, with the everyday phrasings (everyday,
    /// official) that queries are widened with.
    pub fn build(
        docs: impl IntoIterator<Item = SearchDoc>,
        phrasings: Vec<(String, String)>,
    ) -> Result<Self, SearchError> {
        let mut sb = Schema::builder();
        let text = TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(TOKENIZER)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
            .set_stored();
        let f = Fields {
            code: sb.add_text_field("code", STRING | STORED),
            name: sb.add_text_field("name", text.clone()),
            result: sb.add_text_field("result", text.clone()),
            body: sb.add_text_field("body", text),
            department: sb.add_text_field("department", STRING),
            item_type: sb.add_text_field("item_type", STRING),
            object: sb.add_text_field("object", STRING),
            event: sb.add_text_field("event", STRING),
        };
        let index = Index::create_in_ram(sb.build());
        index.tokenizers().register(TOKENIZER, analyzer());
        let mut writer = index.writer_with_num_threads(1, 64_000_000)?;
        let mut size = 0;
        for d in docs {
            let mut td = doc!(
                f.code => d.code,
                f.name => d.name,
                f.result => d.result,
                f.body => d.body,
                f.department => d.department_id.to_string(),
                f.item_type => d.item_type,
            );
            for o in d.service_objects {
                td.add_text(f.object, o);
            }
            for e in d.life_events {
                td.add_text(f.event, e);
            }
            writer.add_document(td)?;
            size += 1;
        }
        writer.commit()?;
        let reader = index.reader()?;
        reader.reload()?;
        Ok(Self {
            reader,
            f,
            size,
            phrasings,
        })
    }

    pub fn len(&self) -> usize {
        self.size
    }

    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    fn text_query(&self, words: &[String]) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for w in words {
            let name = TermQuery::new(
                Term::from_field_text(self.f.name, w),
                IndexRecordOption::WithFreqs,
            );
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(name), 3.0)),
            ));
            let result = TermQuery::new(
                Term::from_field_text(self.f.result, w),
                IndexRecordOption::WithFreqs,
            );
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(result), 4.0)),
            ));
            let body = TermQuery::new(
                Term::from_field_text(self.f.body, w),
                IndexRecordOption::WithFreqs,
            );
            clauses.push((Occur::Should, Box::new(body)));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    pub fn search(&self, q: &SearchQuery) -> Result<SearchResults, SearchError> {
        let words = query_words(&q.text, &self.phrasings);
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let has_text = !words.is_empty();
        if has_text {
            must.push((Occur::Must, self.text_query(&words)));
        } else {
            must.push((Occur::Must, Box::new(AllQuery)));
        }
        let filters = [
            (self.f.department, q.department_id.map(|d| d.to_string())),
            (self.f.item_type, q.item_type.clone()),
            (self.f.object, q.service_object.clone()),
            (self.f.event, q.life_event.clone()),
        ];
        for (field, value) in filters {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                must.push((
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, &v),
                        IndexRecordOption::Basic,
                    )),
                ));
            }
        }
        let query = BooleanQuery::new(must);
        let searcher = self.reader.searcher();
        let limit = q.limit.clamp(1, 200);
        let offset = q.offset.min(10_000);
        let (top, total) = searcher.search(
            &query,
            &(
                TopDocs::with_limit(limit)
                    .and_offset(offset)
                    .order_by_score(),
                Count,
            ),
        )?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let d: TantivyDocument = searcher.doc(addr)?;
            let get = |field: Field| {
                d.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let name = get(self.f.name);
            let name_html = highlight(&name, &words);
            let snippet_html = if has_text {
                snippet(&get(self.f.body), &words, 80)
            } else {
                String::new()
            };
            hits.push(Hit {
                code: get(self.f.code),
                name,
                score,
                name_html,
                snippet_html,
            });
        }
        Ok(SearchResults { total, hits, words })
    }
}

/// Marks every occurrence of the query words in `text` with `<b>`, longest
/// words first, without overlaps; the rest is HTML-escaped. Works on
/// characters, so it never depends on tokenizer offsets.
pub fn highlight(text: &str, words: &[String]) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut marked = vec![false; chars.len()];
    let mut sorted: Vec<Vec<char>> = words
        .iter()
        .map(|w| w.chars().collect::<Vec<char>>())
        .filter(|w| !w.is_empty())
        .collect();
    sorted.sort_by_key(|w| std::cmp::Reverse(w.len()));
    let lower: Vec<char> = chars
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    for w in &sorted {
        let mut i = 0;
        while i + w.len() <= lower.len() {
            if lower[i..i + w.len()] == w[..] && !marked[i..i + w.len()].iter().any(|m| *m) {
                marked[i..i + w.len()].iter_mut().for_each(|m| *m = true);
                i += w.len();
            } else {
                i += 1;
            }
        }
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut open = false;
    for (c, m) in chars.iter().zip(&marked) {
        if *m && !open {
            out.push_str("<b>");
            open = true;
        } else if !*m && open {
            out.push_str("</b>");
            open = false;
        }
        out.push_str(&escape(&c.to_string()));
    }
    if open {
        out.push_str("</b>");
    }
    out
}

/// A passage of at most `max_chars` characters around the first query word
/// found in `text`, highlighted; empty when no word occurs.
pub fn snippet(text: &str, words: &[String], max_chars: usize) -> String {
    let chars: Vec<char> = text
        .chars()
        .map(|c| if c == '\n' { ' ' } else { c })
        .collect();
    let lower: String = chars
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    let first = words
        .iter()
        .filter_map(|w| lower.find(w.as_str()).map(|b| lower[..b].chars().count()))
        .min();
    let Some(pos) = first else {
        return String::new();
    };
    let start = pos.saturating_sub(max_chars / 4);
    let end = (start + max_chars).min(chars.len());
    let mut passage: String = chars[start..end].iter().collect();
    if start > 0 {
        passage.insert(0, '…');
    }
    if end < chars.len() {
        passage.push('…');
    }
    highlight(&passage, words)
}

/// Minimal HTML escaping for text placed in markup.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(code: &str, name: &str, body: &str, dept: i64, t: &str, obj: &str) -> SearchDoc {
        SearchDoc {
            code: code.into(),
            name: name.into(),
            body: body.into(),
            department_id: dept,
            item_type: t.into(),
            service_objects: vec![obj.into()],
            life_events: vec![],
            result: String::new(),
        }
    }

    fn index() -> SearchIndex {
        SearchIndex::build(
            vec![
                d(
                    "A",
                    "出生医学证明首次签发",
                    "新生儿 父母身份证",
                    1,
                    "confirmation",
                    "natural_person",
                ),
                d(
                    "B",
                    "企业设立登记",
                    "申请人领取营业执照 公司章程",
                    2,
                    "licensing",
                    "legal_person",
                ),
                d(
                    "C",
                    "食品经营许可",
                    "提交营业执照 营业执照复印件 食品安全管理制度 营业执照",
                    2,
                    "licensing",
                    "legal_person",
                ),
                d(
                    "D",
                    "结婚登记",
                    "男女双方身份证 户口簿",
                    3,
                    "confirmation",
                    "natural_person",
                ),
            ],
            default_phrasings(),
        )
        .expect("index builds")
    }

    fn codes(r: &SearchResults) -> Vec<&str> {
        r.hits.iter().map(|h| h.code.as_str()).collect()
    }

    #[test]
    fn the_item_issuing_a_licence_ranks_before_those_asking_for_it() {
        let mut docs = vec![
            d(
                "B",
                "企业设立登记",
                "申请人领取营业执照 公司章程",
                2,
                "licensing",
                "legal_person",
            ),
            d(
                "C",
                "印章刻制备案",
                "营业执照 营业执照副本 法定代表人身份证 营业执照",
                2,
                "other",
                "legal_person",
            ),
        ];
        docs[0].result = "营业执照".into();
        let ix = SearchIndex::build(docs, default_phrasings()).expect("index");
        let r = ix
            .search(&SearchQuery {
                text: "营业执照".into(),
                limit: 10,
                ..Default::default()
            })
            .expect("search");
        assert_eq!(codes(&r), vec!["B", "C"]);
    }

    #[test]
    fn phrasings_are_the_ones_the_index_is_given() {
        let docs = || {
            vec![d(
                "N",
                "新生儿出生一件事",
                "出生医学证明 户口登记",
                1,
                "other",
                "natural_person",
            )]
        };
        let q = SearchQuery {
            text: "生孩子要办什么".into(),
            limit: 10,
            ..Default::default()
        };
        let with = SearchIndex::build(docs(), default_phrasings()).expect("index");
        assert_eq!(codes(&with.search(&q).expect("search")), vec!["N"]);
        let without = SearchIndex::build(docs(), Vec::new()).expect("index");
        assert!(without.search(&q).expect("search").hits.is_empty());
    }

    #[test]
    fn word_segmentation_finds_related_wording() {
        let ix = index();
        let r = ix
            .search(&SearchQuery {
                text: "出生证明".into(),
                limit: 10,
                ..Default::default()
            })
            .expect("search");
        assert_eq!(codes(&r).first(), Some(&"A"), "{:?}", r.words);
        assert!(
            r.hits[0].name_html.contains("<b>"),
            "{}",
            r.hits[0].name_html
        );
    }

    #[test]
    fn body_mentions_count_and_names_rank_first() {
        let ix = index();
        let r = ix
            .search(&SearchQuery {
                text: "营业执照".into(),
                limit: 10,
                ..Default::default()
            })
            .expect("search");
        let c = codes(&r);
        assert!(c.contains(&"B") && c.contains(&"C"), "{c:?}");
        assert!(!c.contains(&"D"));
    }

    #[test]
    fn filters_restrict_results() {
        let ix = index();
        let r = ix
            .search(&SearchQuery {
                text: "营业执照".into(),
                item_type: Some("licensing".into()),
                department_id: Some(2),
                limit: 10,
                ..Default::default()
            })
            .expect("search");
        assert_eq!(r.total, 2);
        let r = ix
            .search(&SearchQuery {
                service_object: Some("natural_person".into()),
                limit: 10,
                ..Default::default()
            })
            .expect("search");
        let mut c = codes(&r);
        c.sort();
        assert_eq!(c, ["A", "D"]);
    }

    #[test]
    fn segmentation_is_by_words_not_characters() {
        let w = segment("营业执照怎么办？");
        assert!(w.iter().any(|x| x == "营业执照" || x == "营业"), "{w:?}");
        assert!(!w.iter().any(|x| x == "？"));
        assert!(
            !w.iter().any(|x| x.chars().count() == 1 && x == "营"),
            "{w:?}"
        );
    }

    #[test]
    fn everyday_names_find_official_wording() {
        let ix = SearchIndex::build(
            vec![d(
                "S",
                "社会保障卡申领",
                "",
                4,
                "public_service",
                "natural_person",
            )],
            default_phrasings(),
        )
        .expect("index builds");
        let r = ix
            .search(&SearchQuery {
                text: "社保卡".into(),
                limit: 10,
                ..Default::default()
            })
            .expect("search");
        assert_eq!(codes(&r), ["S"], "{:?}", r.words);
    }

    #[test]
    fn highlighting_marks_words_and_escapes_the_rest() {
        let w = vec![
            "出生".to_string(),
            "证明".to_string(),
            "出生证明".to_string(),
        ];
        assert_eq!(
            highlight("出生医学证明<x>", &w),
            "<b>出生</b>医学<b>证明</b>&lt;x&gt;"
        );
        assert_eq!(highlight("出生证明", &w), "<b>出生证明</b>");
        let s = snippet(
            &format!("{}营业执照{}", "甲".repeat(100), "乙".repeat(100)),
            &["营业执照".into()],
            40,
        );
        assert!(
            s.starts_with('…') && s.ends_with('…') && s.contains("<b>营业执照</b>"),
            "{s}"
        );
        assert_eq!(snippet("无关内容", &["营业执照".into()], 40), "");
    }

    #[test]
    fn escaping() {
        assert_eq!(escape("<a href='x'>&"), "&lt;a href=&#39;x&#39;&gt;&amp;");
    }
}
