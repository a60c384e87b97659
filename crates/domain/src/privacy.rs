//! What a viewer sees of the people in a case, decided once ([`Sight::of`])
//! and applied by every way out: pages, the JSON API, issued documents,
//! file downloads and exports.
//!
//! - The applicant and the window clerk see everything, including the
//!   verification code of the progress lookup.
//! - Reviewers and heads of the handling departments see what they decide
//!   on (identity, form, files, looked-up data), not the verification code.
//! - Supervisors oversee the handling, not the person: the name shows as the
//!   family name only, identity numbers, phones and e-mail addresses are
//!   masked, the form and looked-up data are withheld, files cannot be
//!   downloaded, and the verification code is not shown.
//! - Anyone else sees no case at all (the access checks answer 404).

use crate::auth::{Actor, Role};
use crate::codes::{mask, mask_name};

/// What of a person's data a viewer sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sight {
    /// Name, identity number, phone and e-mail in full.
    pub identity: bool,
    /// The application form's answers (addresses, bank accounts …).
    pub form: bool,
    /// Downloading uploaded files.
    pub files: bool,
    /// Data looked up in shared sources for 秒批, and the rules' inputs.
    pub looked_up: bool,
    /// The verification code printed on the receipt.
    pub verify_code: bool,
}

impl Sight {
    pub const FULL: Sight = Sight {
        identity: true,
        form: true,
        files: true,
        looked_up: true,
        verify_code: true,
    };
    pub const NOTHING: Sight = Sight {
        identity: false,
        form: false,
        files: false,
        looked_up: false,
        verify_code: false,
    };

    /// What `actor`'s role sees of a case it may open.
    pub fn of(actor: &Actor) -> Sight {
        match actor.role {
            Role::Applicant | Role::Clerk => Sight::FULL,
            Role::Reviewer | Role::Head => Sight {
                verify_code: false,
                ..Sight::FULL
            },
            Role::Supervisor => Sight::NOTHING,
            _ => Sight::NOTHING,
        }
    }

    /// What `actor` sees of a person who asked the centre a question (an
    /// inquiry at the window or by hotline): the staff who answer see who
    /// asked and how to reach them; supervisors oversee the answering, not
    /// the person.
    pub fn of_inquirer(actor: &Actor) -> Sight {
        match actor.role {
            Role::Clerk | Role::Reviewer | Role::Head | Role::Concierge => Sight {
                identity: true,
                ..Sight::NOTHING
            },
            _ => Sight::NOTHING,
        }
    }

    /// A way to reach someone: an e-mail address or a phone number.
    pub fn contact(&self, v: &str) -> String {
        if v.contains('@') {
            self.email(v)
        } else {
            self.phone(v)
        }
    }

    /// A person's or organisation's name.
    pub fn name(&self, v: &str) -> String {
        if self.identity {
            v.to_string()
        } else {
            mask_name(v)
        }
    }
    /// A citizen ID number or credit code: first 3 and last 2 kept.
    pub fn id_number(&self, v: &str) -> String {
        if self.identity {
            v.to_string()
        } else {
            mask(v, 3, 2)
        }
    }
    /// A phone number: first 3 and last 2 kept.
    pub fn phone(&self, v: &str) -> String {
        if self.identity {
            v.to_string()
        } else {
            mask(v, 3, 2)
        }
    }
    /// An e-mail address: the first character and the domain kept.
    pub fn email(&self, v: &str) -> String {
        if self.identity {
            return v.to_string();
        }
        match v.split_once('@') {
            Some((local, domain)) => format!("{}@{domain}", mask(local, 1, 0)),
            None => mask(v, 1, 0),
        }
    }
    /// An uploaded file's name (often the person's: 张三身份证.pdf): in full
    /// for those who may download it, else only its kind (`文件12.pdf`).
    pub fn file_name(&self, id: i64, name: &str) -> String {
        if self.files {
            return name.to_string();
        }
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e)
            .filter(|e| {
                !e.is_empty() && e.len() <= 8 && e.chars().all(|c| c.is_ascii_alphanumeric())
            })
            .unwrap_or("bin");
        format!("文件{id}.{ext}")
    }
    /// The verification code, or nothing.
    pub fn verify_code(&self, v: &str) -> String {
        if self.verify_code {
            v.to_string()
        } else {
            String::new()
        }
    }
    /// A value looked up in shared data or declared against it.
    pub fn looked_up_value(&self, v: &str) -> String {
        if self.looked_up {
            v.to_string()
        } else {
            mask(v, 1, 0)
        }
    }
    /// Free text a person wrote (a rating's comment, a note) as this viewer
    /// sees it: without identity sight, every run of letters and digits that
    /// looks like a phone, identity or account number (7 or more characters,
    /// 6 or more of them digits) is masked.
    pub fn free_text(&self, text: &str) -> String {
        if self.identity {
            return text.to_string();
        }
        mask_numbers(text)
    }

    /// Text that may quote the verification code (a receipt's paragraphs).
    pub fn text_quoting_code(&self, text: &str, code: &str) -> String {
        if self.verify_code || code.is_empty() {
            text.to_string()
        } else {
            text.replace(code, &"*".repeat(code.chars().count()))
        }
    }
}

/// Masks what in free text looks like a way to identify or reach someone:
/// every e-mail address (its local part), and every run of letters and
/// digits — full-width ones too, with single spaces or dashes between
/// digits (`138 0000 0000`, `138-0000-0000`) — that looks like a phone,
/// identity or account number (7+ characters, 6+ digits): the first three
/// and last two characters stay. Names cannot be told from other words and
/// are not masked here. Exports use it whoever reads them.
pub fn mask_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if let Some(end) = email_at(&chars, i) {
            let at = chars[i..end].iter().position(|&c| c == '@').unwrap_or(0) + i;
            let local: String = chars[i..at].iter().collect();
            out.push_str(&mask(&local, 1, 0));
            out.extend(&chars[at..end]);
            i = end;
        } else if is_word(chars[i]) {
            // Digits joined by spaces or dashes count as one number only
            // when as long as a phone number (a date stays a date).
            let mut end = run_end(&chars, i, true);
            let joined = chars[i..end].iter().any(|c| !is_word(*c));
            if joined && chars[i..end].iter().filter(|c| is_digit(**c)).count() < 11 {
                end = run_end(&chars, i, false);
            }
            let run: String = chars[i..end].iter().collect();
            let kept = run.chars().filter(|c| is_word(*c)).count();
            let digits = run.chars().filter(|c| is_digit(*c)).count();
            if kept >= 7 && digits >= 6 {
                out.push_str(&mask(&run, 3, 2));
            } else {
                out.push_str(&run);
            }
            i = end;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || is_digit(c)
        || ('Ａ'..='Ｚ').contains(&c)
        || ('ａ'..='ｚ').contains(&c)
}

/// Where a run of letters and digits starting at `i` ends; with `join`, a
/// single space or dash between two digits keeps it going.
fn run_end(chars: &[char], mut i: usize, join: bool) -> usize {
    while i < chars.len() {
        let joins = join
            && matches!(chars[i], ' ' | '-' | '－' | '　' | '‐')
            && i > 0
            && is_digit(chars[i - 1])
            && chars.get(i + 1).is_some_and(|c| is_digit(*c));
        if !(is_word(chars[i]) || joins) {
            break;
        }
        i += 1;
    }
    i
}

/// The end of an e-mail address starting at `i` (`name@host.tld`), if one
/// starts there and not in the middle of a word.
fn email_at(chars: &[char], i: usize) -> Option<usize> {
    let local = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-');
    if i > 0 && local(chars[i - 1]) {
        return None;
    }
    let mut j = i;
    while j < chars.len() && local(chars[j]) {
        j += 1;
    }
    if j == i || chars.get(j) != Some(&'@') {
        return None;
    }
    let host = j + 1;
    let mut k = host;
    while k < chars.len() && (chars[k].is_ascii_alphanumeric() || matches!(chars[k], '.' | '-')) {
        k += 1;
    }
    // A dot inside the host, not at its ends.
    let h: String = chars[host..k].iter().collect();
    let h = h.trim_end_matches('.');
    (h.contains('.') && !h.starts_with('.')).then_some(host + h.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor {
            user_id: 1,
            username: "u".into(),
            display_name: "u".into(),
            role,
            centre_id: 1,
            centre_path: "/1/".into(),
            department_id: None,
        }
    }

    #[test]
    fn inquirers_are_seen_by_who_answers_them() {
        for role in [Role::Clerk, Role::Reviewer, Role::Head, Role::Concierge] {
            let s = Sight::of_inquirer(&actor(role));
            assert_eq!(s.name("张三丰"), "张三丰", "{role:?}");
            assert_eq!(s.contact("13800138000"), "13800138000", "{role:?}");
        }
        let s = Sight::of_inquirer(&actor(Role::Supervisor));
        assert_eq!(s.name("张三丰"), "张**");
        assert_eq!(s.contact("13800138000"), "138******00");
        assert_eq!(s.contact("zhang@example.com"), "z****@example.com");
    }

    #[test]
    fn supervisors_see_the_handling_not_the_person() {
        let s = Sight::of(&actor(Role::Supervisor));
        assert_eq!(s.name("张三丰"), "张**");
        assert_eq!(s.id_number("330102199003070027"), "330*************27");
        assert_eq!(s.phone("13800138000"), "138******00");
        assert_eq!(s.email("zhang@example.com"), "z****@example.com");
        assert_eq!(s.verify_code("AB12CD34"), "");
        assert_eq!(s.file_name(12, "张三丰身份证.PDF"), "文件12.PDF");
        assert_eq!(s.file_name(13, "无扩展名"), "文件13.bin");
        assert_eq!(
            Sight::FULL.file_name(12, "张三丰身份证.pdf"),
            "张三丰身份证.pdf"
        );
        assert!(!s.form && !s.files && !s.looked_up);
        assert_eq!(
            s.text_quoting_code("查询码：AB12CD34。", "AB12CD34"),
            "查询码：********。"
        );
    }

    #[test]
    fn handlers_see_what_they_decide_on() {
        let r = Sight::of(&actor(Role::Reviewer));
        assert!(r.identity && r.form && r.files && r.looked_up);
        assert!(!r.verify_code);
        assert_eq!(Sight::of(&actor(Role::Clerk)), Sight::FULL);
        assert_eq!(Sight::of(&actor(Role::Applicant)), Sight::FULL);
        assert_eq!(Sight::of(&actor(Role::CatalogAdmin)), Sight::NOTHING);
    }

    #[test]
    fn numbers_in_free_text_are_masked_without_identity_sight() {
        let t = "请回电13800000000，身份证330102199003070027，编号A12，2026年";
        let masked = mask_numbers(t);
        assert!(!masked.contains("13800000000"), "{masked}");
        assert!(!masked.contains("330102199003070027"), "{masked}");
        assert!(masked.starts_with("请回电138"), "{masked}");
        assert!(
            masked.contains("编号A12，2026年"),
            "short runs stay: {masked}"
        );
        assert_eq!(Sight::FULL.free_text(t), t);
        assert_eq!(Sight::NOTHING.free_text(t), masked);
    }

    #[test]
    fn spaced_dashed_and_full_width_numbers_and_e_mail_addresses_are_masked() {
        for (text, gone) in [
            ("电话138 0000 1234。", "0000"),
            ("电话138-0000-1234", "0000"),
            ("电话１３８００００１２３４", "００００"),
            ("邮箱zhangsan@example.com谢谢", "zhangsan"),
            ("QQ 12345678@qq.com", "12345678"),
        ] {
            let m = mask_numbers(text);
            assert!(!m.contains(gone), "{text} → {m}");
            assert_eq!(m.chars().count(), text.chars().count(), "{text} → {m}");
        }
        assert_eq!(mask_numbers("z@example.com"), "*@example.com");
        // Dates, short codes and sentences stay as they are.
        for t in [
            "2026-12-07 办结",
            "第3-5个工作日",
            "a@b 不是地址",
            "编号A12",
        ] {
            assert_eq!(mask_numbers(t), t);
        }
    }
}
