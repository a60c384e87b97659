//! E-mail delivery of the outbox through the service centre's SMTP relay,
//! with lettre: STARTTLS whenever the relay offers it (or always, when the
//! operator requires it — a relay that then does not offer it is refused),
//! AUTH when credentials are set, and an extra trusted root certificate for
//! a relay whose certificate the centre's own CA signed.

#[cfg(feature = "test-sink")]
pub mod sink;

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// When the connection to the relay is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartTls {
    /// STARTTLS when the relay offers it (a relay on the local network may
    /// not); required all the same when credentials are set.
    #[default]
    Opportunistic,
    /// STARTTLS or no mail: a relay that does not offer it is refused.
    Required,
    /// Plain SMTP (a relay on the same host).
    Off,
}

impl std::str::FromStr for StartTls {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "opportunistic" => Ok(StartTls::Opportunistic),
            "required" => Ok(StartTls::Required),
            "off" => Ok(StartTls::Off),
            other => Err(format!(
                "{other}: STARTTLS is opportunistic, required or off"
            )),
        }
    }
}

/// Where and as whom mail is sent.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// `host:port` of the relay.
    pub server: String,
    /// The From address.
    pub from: String,
    /// AUTH credentials (PLAIN or LOGIN, whichever the relay offers).
    pub username: Option<String>,
    pub password: Option<String>,
    pub timeout: Duration,
    pub starttls: StartTls,
    /// A root certificate (PEM) to trust besides the public ones.
    pub ca_pem: Option<String>,
}

impl SmtpConfig {
    /// A relay at `server` sending as `from`, STARTTLS when offered, no AUTH.
    pub fn new(server: impl Into<String>, from: impl Into<String>) -> Self {
        Self {
            server: server.into(),
            from: from.into(),
            username: None,
            password: None,
            timeout: Duration::from_secs(20),
            starttls: StartTls::default(),
            ca_pem: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("relay {0}: {1}")]
    Config(String, String),
    #[error("bad address {0}")]
    Address(String),
    #[error("message: {0}")]
    Message(String),
    #[error("smtp: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

impl MailError {
    /// Whether trying this mail again cannot help: its address or message
    /// is malformed, or the relay refused its recipient for good — a 550,
    /// 551 or 553 whose enhanced status says the mailbox (5.1.x: no such
    /// user, bad address). A permanent refusal of anything else (535
    /// credentials, 554, 5.7.x relaying denied, a bare "550 relay not
    /// permitted", a refused sender) is the relay's and would refuse every
    /// mail: see [`MailError::stops_delivery`].
    pub fn is_permanent(&self) -> bool {
        match self {
            MailError::Address(_) | MailError::Message(_) => true,
            MailError::Smtp(e) => {
                let code = e.status().map(|c| c.to_string()).unwrap_or_default();
                e.is_permanent()
                    && matches!(code.as_str(), "550" | "551" | "553")
                    && recipient_status(&e.to_string())
            }
            MailError::Config(..) => false,
        }
    }

    /// Whether the relay refuses mail as such (any other permanent reply):
    /// the batch stops, every mail stays queued, and the operator is told.
    pub fn stops_delivery(&self) -> bool {
        matches!(self, MailError::Smtp(e) if e.is_permanent()) && !self.is_permanent()
    }
}

/// Whether a relay's reply carries an enhanced status of the 5.1 class
/// (the addressee: 5.1.1 no such mailbox, 5.1.2 bad domain …).
fn recipient_status(reply: &str) -> bool {
    reply.split_whitespace().any(|w| {
        let w = w.trim_matches(|c: char| !c.is_ascii_digit() && c != '.');
        w.starts_with("5.1.") && w.len() > 4 && w[4..].chars().all(|c| c.is_ascii_digit())
    })
}

/// A connection pool to the relay.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(cfg: &SmtpConfig) -> Result<Self, MailError> {
        let bad = |why: String| MailError::Config(cfg.server.clone(), why);
        let (host, port) = match cfg.server.rsplit_once(':') {
            Some((h, p)) => (
                h.trim_matches(|c| c == '[' || c == ']').to_string(),
                p.parse::<u16>().map_err(|_| bad(format!("port {p:?}")))?,
            ),
            None => (cfg.server.clone(), 25),
        };
        let from: Mailbox = cfg
            .from
            .parse()
            .map_err(|_| MailError::Address(cfg.from.clone()))?;
        let tls = if cfg.starttls == StartTls::Off {
            Tls::None
        } else {
            let mut params = TlsParameters::builder(host.clone());
            if let Some(pem) = &cfg.ca_pem {
                params = params.add_root_certificate(
                    Certificate::from_pem(pem.as_bytes()).map_err(|e| bad(e.to_string()))?,
                );
            }
            let params = params.build_rustls().map_err(|e| bad(e.to_string()))?;
            // A password is never sent in clear: with credentials STARTTLS
            // is required (a relay that does not offer it gets nothing),
            // unless the operator turned it off for a relay on this host.
            let credentials = cfg.username.is_some() && cfg.password.is_some();
            match cfg.starttls {
                StartTls::Required => Tls::Required(params),
                _ if credentials => Tls::Required(params),
                _ => Tls::Opportunistic(params),
            }
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .tls(tls)
            .hello_name(ClientId::Domain("tongban".into()))
            .timeout(Some(cfg.timeout));
        if let (Some(u), Some(p)) = (&cfg.username, &cfg.password) {
            b = b.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(Self {
            transport: b.build(),
            from,
        })
    }

    /// Sends one mail; an error leaves it in the outbox for a later retry.
    pub async fn send(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        id: &str,
    ) -> Result<(), MailError> {
        let to: Mailbox = to.parse().map_err(|_| MailError::Address(to.to_string()))?;
        let m = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .date_now()
            .message_id(Some(format!("<{id}@tongban>")))
            .header(ContentType::TEXT_PLAIN)
            .header(ContentTransferEncoding::Base64)
            .body(body.to_string())
            .map_err(|e| MailError::Message(e.to_string()))?;
        self.transport.send(m).await?;
        Ok(())
    }
}

/// Sends one mail on a connection of its own.
pub async fn send(
    cfg: &SmtpConfig,
    to: &str,
    subject: &str,
    body: &str,
    id: &str,
) -> Result<(), MailError> {
    Mailer::new(cfg)?.send(to, subject, body, id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn header_injection_is_refused() {
        let cfg = SmtpConfig::new("127.0.0.1:9", "noreply@demo.tongban.test");
        let mailer = Mailer::new(&cfg).expect("mailer");
        for bad in ["a@b.test\r\nBcc: x@y", "<a@b.test", "no-at-sign"] {
            assert!(
                matches!(
                    mailer.send(bad, "s", "b", "1").await,
                    Err(MailError::Address(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn only_a_refused_mailbox_is_the_recipients_fault() {
        for reply in [
            "permanent error (550): 5.1.1 <a@b.test>: Recipient address rejected",
            "permanent error (553): 5.1.3 bad address syntax",
        ] {
            assert!(recipient_status(reply), "{reply}");
        }
        for reply in [
            "permanent error (550): relay not permitted",
            "permanent error (550): 5.7.1 relaying denied",
            "permanent error (550): sender refused",
            "permanent error (550): 5.1 whatever",
        ] {
            assert!(!recipient_status(reply), "{reply}");
        }
    }

    #[test]
    fn starttls_modes_parse() {
        assert_eq!("required".parse::<StartTls>(), Ok(StartTls::Required));
        assert_eq!("off".parse::<StartTls>(), Ok(StartTls::Off));
        assert!("always".parse::<StartTls>().is_err());
    }
}
