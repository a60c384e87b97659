//! A small SMTP server that accepts every message and keeps it in memory:
//! the test relay (and a stand-in for trying the platform out). It can
//! offer STARTTLS (with a certificate the test made) and require it, takes
//! AUTH PLAIN and LOGIN, and decodes what it received (the subject's
//! encoded words, the body's transfer encoding) so tests read plain text.
//! Recipients at [`REFUSED_DOMAIN`] get a permanent refusal.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Mail to an address at this domain is refused for good (`550`), as a
/// relay refuses a mailbox that does not exist.
pub const REFUSED_DOMAIN: &str = "@refused.invalid";

/// One received message.
#[derive(Debug, Clone)]
pub struct Received {
    /// Envelope recipient.
    pub rcpt: String,
    /// The DATA text as sent.
    pub data: String,
    /// The Subject header, decoded.
    pub subject: String,
    /// The body, decoded.
    pub body: String,
    /// Sent after STARTTLS.
    pub tls: bool,
    /// The AUTH user name, if the client authenticated.
    pub auth: Option<String>,
}

#[derive(Clone, Default)]
pub struct Sink {
    pub messages: Arc<Mutex<Vec<Received>>>,
}

impl Sink {
    pub fn received(&self) -> Vec<Received> {
        self.messages.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// How the sink treats STARTTLS.
#[derive(Clone)]
enum Tls {
    None,
    Offered {
        acceptor: tokio_rustls::TlsAcceptor,
        required: bool,
    },
}

/// A plain relay on `127.0.0.1:0`; returns the address and the sink.
pub async fn start() -> std::io::Result<(String, Sink)> {
    listen(Tls::None).await
}

/// A relay offering STARTTLS with `config`'s certificate; when `required`,
/// it refuses mail from a client that did not start TLS.
pub async fn start_tls(
    config: rustls::ServerConfig,
    required: bool,
) -> std::io::Result<(String, Sink)> {
    listen(Tls::Offered {
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        required,
    })
    .await
}

async fn listen(tls: Tls) -> std::io::Result<(String, Sink)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    let sink = Sink::default();
    let s = sink.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (s, tls) = (s.clone(), tls.clone());
            tokio::spawn(async move {
                let _ = session(stream, s, tls).await;
            });
        }
    });
    Ok((addr, sink))
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// What a connection has established so far.
struct State {
    tls: bool,
    auth: Option<String>,
    rcpt: String,
}

async fn session(stream: tokio::net::TcpStream, sink: Sink, tls: Tls) -> std::io::Result<()> {
    let mut io: BufReader<Box<dyn Stream>> = BufReader::new(Box::new(stream));
    io.get_mut().write_all(b"220 sink ready\r\n").await?;
    let mut st = State {
        tls: false,
        auth: None,
        rcpt: String::new(),
    };
    loop {
        let Some(line) = read_line(&mut io).await? else {
            return Ok(());
        };
        let upper = line.to_ascii_uppercase();
        let w = io.get_mut();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            let starttls = matches!(tls, Tls::Offered { .. }) && !st.tls;
            let mut reply = String::from("250-sink\r\n");
            if starttls {
                reply.push_str("250-STARTTLS\r\n");
            }
            reply.push_str("250 AUTH PLAIN LOGIN\r\n");
            w.write_all(reply.as_bytes()).await?;
        } else if upper.starts_with("STARTTLS") {
            let Tls::Offered { acceptor, .. } = &tls else {
                w.write_all(b"502 not offered\r\n").await?;
                continue;
            };
            w.write_all(b"220 go ahead\r\n").await?;
            w.flush().await?;
            let plain = io.into_inner();
            let secured = acceptor.accept(plain).await?;
            io = BufReader::new(Box::new(secured));
            st = State {
                tls: true,
                auth: None,
                rcpt: String::new(),
            };
        } else if upper.starts_with("AUTH PLAIN") {
            let token = line[10..].trim();
            let user = decode_base64(token).map(|b| {
                String::from_utf8_lossy(&b)
                    .split('\0')
                    .nth(1)
                    .unwrap_or("")
                    .to_string()
            });
            st.auth = user;
            w.write_all(b"235 authenticated\r\n").await?;
        } else if upper.starts_with("AUTH LOGIN") {
            // The user name (maybe given on the line), then the password.
            let user = match line[10..].trim() {
                "" => {
                    w.write_all(b"334 VXNlcm5hbWU6\r\n").await?;
                    read_line(&mut io).await?.unwrap_or_default()
                }
                given => given.to_string(),
            };
            io.get_mut().write_all(b"334 UGFzc3dvcmQ6\r\n").await?;
            let _password = read_line(&mut io).await?;
            st.auth = decode_base64(user.trim()).map(|b| String::from_utf8_lossy(&b).into_owned());
            io.get_mut().write_all(b"235 authenticated\r\n").await?;
        } else if upper.starts_with("MAIL FROM:") {
            if matches!(tls, Tls::Offered { required: true, .. }) && !st.tls {
                w.write_all(b"530 must issue a STARTTLS command first\r\n")
                    .await?;
            } else {
                w.write_all(b"250 ok\r\n").await?;
            }
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = line[8..]
                .trim()
                .trim_matches(|c| c == '<' || c == '>')
                .to_string();
            if rcpt.to_ascii_lowercase().ends_with(REFUSED_DOMAIN) {
                // A mailbox that does not exist: refused for good, the
                // address echoed as real relays do.
                let reply =
                    format!("550 5.1.1 <{rcpt}>: Recipient address rejected: no such mailbox\r\n");
                w.write_all(reply.as_bytes()).await?;
            } else {
                st.rcpt = rcpt;
                w.write_all(b"250 ok\r\n").await?;
            }
        } else if upper.starts_with("DATA") {
            w.write_all(b"354 go ahead\r\n").await?;
            let mut data = String::new();
            loop {
                let Some(l) = read_line(&mut io).await? else {
                    return Ok(());
                };
                if l == "." {
                    break;
                }
                // Dot-stuffing undone.
                data.push_str(l.strip_prefix('.').unwrap_or(&l));
                data.push_str("\r\n");
            }
            let (subject, body) = decode(&data);
            if let Ok(mut m) = sink.messages.lock() {
                m.push(Received {
                    rcpt: st.rcpt.clone(),
                    data,
                    subject,
                    body,
                    tls: st.tls,
                    auth: st.auth.clone(),
                });
            }
            io.get_mut().write_all(b"250 queued\r\n").await?;
        } else if upper.starts_with("QUIT") {
            w.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            w.write_all(b"250 ok\r\n").await?;
        }
    }
}

/// One line without its line ending; `None` at the end of the stream.
async fn read_line(io: &mut BufReader<Box<dyn Stream>>) -> std::io::Result<Option<String>> {
    let mut line = String::new();
    if io.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_string()))
}

/// The subject and body of a message, decoded.
fn decode(data: &str) -> (String, String) {
    let (head, body) = data.split_once("\r\n\r\n").unwrap_or((data, ""));
    // Unfold continuation lines.
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let header = |name: &str| {
        unfolded
            .split("\r\n")
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_string())
            })
            .unwrap_or_default()
    };
    let subject = decode_words(&header("Subject"));
    let encoding = header("Content-Transfer-Encoding").to_ascii_lowercase();
    let body = match encoding.as_str() {
        "base64" => decode_base64(&body.replace(['\r', '\n'], ""))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default(),
        "quoted-printable" => decode_qp(body),
        _ => body.to_string(),
    };
    (subject, body)
}

/// RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`), decoded.
fn decode_words(s: &str) -> String {
    let mut out = String::new();
    for word in s.split_whitespace() {
        let parts: Vec<&str> = word.split('?').collect();
        if parts.len() == 5 && parts[0] == "=" && parts[4] == "=" {
            let bytes = match parts[2].to_ascii_lowercase().as_str() {
                "b" => decode_base64(parts[3]).unwrap_or_default(),
                _ => decode_qp(&parts[3].replace('_', " ")).into_bytes(),
            };
            out.push_str(&String::from_utf8_lossy(&bytes));
        } else {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

fn decode_qp(s: &str) -> String {
    let mut bytes = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                i += 3;
                continue;
            }
            if let Some(h) = s.get(i + 1..i + 3)
                && let Ok(v) = u8::from_str_radix(h, 16)
            {
                bytes.push(v);
                i += 3;
                continue;
            }
        }
        bytes.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Base64 (RFC 4648) decoding; `None` for anything else.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let s = s.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for chunk in s.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= val(*c)? << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len().saturating_sub(1)]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_rfc4648_vectors() {
        for (o, i) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(decode_base64(i).as_deref(), Some(o.as_bytes()), "{i}");
        }
        assert_eq!(decode_base64("Zm9v!"), None);
    }

    #[test]
    fn encoded_words_and_quoted_printable_decode() {
        assert_eq!(decode_words("=?utf-8?b?5Y+X55CG?="), "受理");
        assert_eq!(decode_words("=?utf-8?q?=E5=8F=97=E7=90=86?= ok"), "受理 ok");
        assert_eq!(decode_qp("caf=C3=A9=\r\n!"), "café!");
    }
}
