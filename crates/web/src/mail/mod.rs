//! E-mail delivery of the outbox over SMTP (RFC 5321) to a relay on the
//! service centre's network. Plain SMTP with optional AUTH PLAIN; TLS is
//! left to the relay (a local MTA or a stunnel in front of a remote one).

pub mod sink;

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Where and as whom mail is sent.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// `host:port` of the relay.
    pub server: String,
    /// The From address.
    pub from: String,
    /// Optional AUTH PLAIN credentials.
    pub username: Option<String>,
    pub password: Option<String>,
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("connect {0}: {1}")]
    Connect(String, std::io::Error),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("server said {0}")]
    Rejected(String),
    #[error("timed out")]
    Timeout,
    #[error("bad address {0}")]
    Address(String),
}

/// Base64 (RFC 4648) for MIME bodies and encoded words.
pub fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

fn check_addr(a: &str) -> Result<(), MailError> {
    if a.is_empty()
        || !a.contains('@')
        || a.len() > 254
        || a.chars()
            .any(|c| c.is_control() || matches!(c, '<' | '>' | ' '))
    {
        return Err(MailError::Address(a.to_string()));
    }
    Ok(())
}

/// The message as sent after DATA: UTF-8 headers as encoded words, the body
/// in base64 lines (so no line starts with a dot).
pub fn message(from: &str, to: &str, subject: &str, body: &str, id: &str) -> String {
    let date = chrono::Utc::now().to_rfc2822();
    let mut m = format!(
        "From: {from}\r\nTo: {to}\r\nSubject: =?UTF-8?B?{}?=\r\nDate: {date}\r\nMessage-ID: <{id}@tongban>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
        base64(subject.as_bytes())
    );
    let b = base64(body.as_bytes());
    for line in b.as_bytes().chunks(76) {
        m.push_str(&String::from_utf8_lossy(line));
        m.push_str("\r\n");
    }
    m
}

struct Conn {
    r: BufReader<tokio::net::tcp::OwnedReadHalf>,
    w: tokio::net::tcp::OwnedWriteHalf,
}

impl Conn {
    /// Reads one (possibly multi-line) reply and checks its code class.
    async fn reply(&mut self, want: u8) -> Result<String, MailError> {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            if self.r.read_line(&mut line).await? == 0 {
                return Err(MailError::Rejected("connection closed".into()));
            }
            all.push_str(&line);
            // "250-..." continues, "250 ..." ends.
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                break;
            }
        }
        if all.as_bytes().first().copied() != Some(want) {
            return Err(MailError::Rejected(all.trim().to_string()));
        }
        Ok(all)
    }
    async fn cmd(&mut self, line: &str, want: u8) -> Result<String, MailError> {
        self.w.write_all(line.as_bytes()).await?;
        self.w.write_all(b"\r\n").await?;
        self.reply(want).await
    }
}

/// Sends one mail; an error leaves it for a later retry.
pub async fn send(
    cfg: &SmtpConfig,
    to: &str,
    subject: &str,
    body: &str,
    id: &str,
) -> Result<(), MailError> {
    check_addr(to)?;
    check_addr(&cfg.from)?;
    let fut = async {
        let s = TcpStream::connect(&cfg.server)
            .await
            .map_err(|e| MailError::Connect(cfg.server.clone(), e))?;
        let (r, w) = s.into_split();
        let mut c = Conn {
            r: BufReader::new(r),
            w,
        };
        c.reply(b'2').await?;
        c.cmd("EHLO tongban", b'2').await?;
        if let (Some(u), Some(p)) = (&cfg.username, &cfg.password) {
            let token = base64(format!("\0{u}\0{p}").as_bytes());
            c.cmd(&format!("AUTH PLAIN {token}"), b'2').await?;
        }
        c.cmd(&format!("MAIL FROM:<{}>", cfg.from), b'2').await?;
        c.cmd(&format!("RCPT TO:<{to}>"), b'2').await?;
        c.cmd("DATA", b'3').await?;
        c.w.write_all(message(&cfg.from, to, subject, body, id).as_bytes())
            .await?;
        c.cmd(".", b'2').await?;
        let _ = c.cmd("QUIT", b'2').await;
        Ok(())
    };
    match tokio::time::timeout(cfg.timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err(MailError::Timeout),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn header_injection_is_refused() {
        assert!(check_addr("a@b.test\r\nBcc: x@y").is_err());
        assert!(check_addr("<a@b.test>").is_err());
        assert!(check_addr("a@b.test").is_ok());
    }
}
