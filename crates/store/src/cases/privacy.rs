//! Applies [`Sight`] (the one rule of what a viewer sees of the people in a
//! case, in the domain) to what the case core hands out: the case, its
//! documents and files. Capabilities with records of their own about a case
//! (bundles, shared-data lookups, rule decisions) apply the same `Sight`.

use tongban_domain::privacy::Sight;

use super::{Case, CaseDocument, CaseFile, CaseRecord};

impl Case {
    /// The case as a viewer with `sight` sees it.
    pub fn seen_by(mut self, sight: Sight) -> Case {
        self.applicant_name = sight.name(&self.applicant_name);
        self.applicant_id_number = sight.id_number(&self.applicant_id_number);
        self.applicant_phone = sight.phone(&self.applicant_phone);
        self.applicant_email = sight.email(&self.applicant_email);
        if !sight.form {
            self.form.clear();
        }
        self.verify_code = sight.verify_code(&self.verify_code);
        self
    }
}

impl CaseDocument {
    /// The document as a viewer with `sight` of `case` sees it: the
    /// addressee masked and the verification code blanked where the rule
    /// says so. `code` is the case's own verification code.
    pub fn seen_by(mut self, sight: Sight, code: &str) -> CaseDocument {
        self.body.addressee = sight.name(&self.body.addressee);
        self.body.paragraphs = self
            .body
            .paragraphs
            .iter()
            .map(|p| sight.text_quoting_code(p, code))
            .collect();
        self
    }
}

impl CaseFile {
    /// The file as a viewer with `sight` sees it: one who may not download
    /// files does not see their names either (an upload may be named after
    /// the person, 张三身份证.pdf), only the kind of file.
    pub fn seen_by(mut self, sight: Sight) -> CaseFile {
        self.file_name = sight.file_name(self.id, &self.file_name);
        self
    }
}

impl CaseRecord {
    /// The record as a viewer with `sight` sees it: the case, its documents,
    /// and its history, where the applicant appears as the actor of their
    /// own steps.
    pub fn seen_by(mut self, sight: Sight) -> CaseRecord {
        let code = self.case.verify_code.clone();
        let name = self.case.applicant_name.trim().to_string();
        if !sight.identity && !name.is_empty() {
            let masked = sight.name(&name);
            for e in &mut self.events {
                e.actor_name = e.actor_name.replace(&name, &masked);
                mask_in_strings(&mut e.details, &name, &masked);
            }
        }
        self.documents = self
            .documents
            .into_iter()
            .map(|d| d.seen_by(sight, &code))
            .collect();
        self.files = self.files.into_iter().map(|f| f.seen_by(sight)).collect();
        self.case = self.case.seen_by(sight);
        self
    }
}

/// Replaces `name` inside the string values of `v` (never in keys or numbers).
fn mask_in_strings(v: &mut serde_json::Value, name: &str, masked: &str) {
    match v {
        serde_json::Value::String(s) if s.contains(name) => *s = s.replace(name, masked),
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| mask_in_strings(x, name, masked)),
        serde_json::Value::Object(m) => m
            .values_mut()
            .for_each(|x| mask_in_strings(x, name, masked)),
        _ => {}
    }
}
