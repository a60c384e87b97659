//! A minimal SMTP server that accepts every message and keeps it in memory:
//! the test SMTP sink (and a stand-in relay for trying the platform out).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One received message: envelope recipient and the DATA text.
#[derive(Debug, Clone)]
pub struct Received {
    pub rcpt: String,
    pub data: String,
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

/// Listens on `127.0.0.1:0`; returns the address and the sink.
pub async fn start() -> std::io::Result<(String, Sink)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    let sink = Sink::default();
    let s = sink.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let s = s.clone();
            tokio::spawn(async move {
                let _ = session(stream, s).await;
            });
        }
    });
    Ok((addr, sink))
}

async fn session(stream: tokio::net::TcpStream, sink: Sink) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 sink ready\r\n").await?;
    let mut rcpt = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            w.write_all(b"250-sink\r\n250 AUTH PLAIN\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            rcpt = line[8..]
                .trim()
                .trim_matches(|c| c == '<' || c == '>')
                .to_string();
            w.write_all(b"250 ok\r\n").await?;
        } else if upper.starts_with("DATA") {
            w.write_all(b"354 go ahead\r\n").await?;
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if r.read_line(&mut l).await? == 0 {
                    return Ok(());
                }
                if l == ".\r\n" || l == ".\n" {
                    break;
                }
                data.push_str(&l);
            }
            if let Ok(mut m) = sink.messages.lock() {
                m.push(Received {
                    rcpt: rcpt.clone(),
                    data,
                });
            }
            w.write_all(b"250 queued\r\n").await?;
        } else if upper.starts_with("QUIT") {
            w.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            w.write_all(b"250 ok\r\n").await?;
        }
    }
}
