//! HTTP JSON data sources, as a 秒批 decision depends on them: an answer
//! arrives exactly as sent (a chunk boundary inside a Chinese character
//! included), an https service is trusted with the CA its source names and
//! refused without it, a redirect is not followed, and an oversized answer
//! fails instead of being read.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tongban_store::Store;
use tongban_store::shared_data::{Connector, Fetched, SourceDef};

fn source(url: String, ca_pem: String) -> SourceDef {
    SourceDef {
        key: "birth".into(),
        name: "出生医学登记库".into(),
        owner: String::new(),
        fields: vec!["baby_name".into()],
        connector: Connector::Http {
            url,
            timeout_ms: 2000,
            retries: 0,
            auth_header: "Authorization: Bearer test".into(),
            ca_pem,
        },
    }
}

/// Serves one fixed answer (the raw bytes after the request) per connection.
async fn serve_raw(answer: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                // Written piece by piece, so the client reads several chunks.
                for piece in answer.chunks(7) {
                    let _ = s.write_all(piece).await;
                    let _ = s.flush().await;
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                }
            });
        }
    });
    addr
}

async fn store() -> Store {
    let (_, store) = tongban_store::testing::stores("sources")
        .await
        .into_iter()
        .next()
        .expect("a store");
    store
}

#[tokio::test]
async fn a_chunk_boundary_inside_a_chinese_character_arrives_intact() {
    let json = r#"{"baby_name":"张小宝","birth_district":"339901"}"#.as_bytes();
    // Split the body in two chunks in the middle of 小 (3 bytes in UTF-8).
    let cut = json
        .windows(3)
        .position(|w| w == "小".as_bytes())
        .expect("小")
        + 1;
    let mut answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for part in [&json[..cut], &json[cut..]] {
        answer.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        answer.extend_from_slice(part);
        answer.extend_from_slice(b"\r\n");
    }
    answer.extend_from_slice(b"0\r\n\r\n");
    let addr = serve_raw(answer).await;
    let store = store().await;
    let got = store
        .fetch_source(
            &source(format!("http://{addr}/births/{{key}}"), String::new()),
            "330102199003070027",
        )
        .await;
    match got {
        Fetched::Found(m) => assert_eq!(m["baby_name"], "张小宝"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_an_oversized_answer_fails() {
    let store = store().await;
    let redirect = serve_raw(
        b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    )
    .await;
    let got = store
        .fetch_source(
            &source(format!("http://{redirect}/{{key}}"), String::new()),
            "k",
        )
        .await;
    assert_eq!(got, Fetched::Failed("HTTP 302".into()));
    let big = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        5 * 1024 * 1024
    );
    let addr = serve_raw(big.into_bytes()).await;
    let got = store
        .fetch_source(
            &source(format!("http://{addr}/{{key}}"), String::new()),
            "k",
        )
        .await;
    assert!(
        matches!(&got, Fetched::Failed(why) if why.contains("larger than")),
        "{got:?}"
    );
}

/// A CA and a server certificate for 127.0.0.1 signed by it.
fn test_pki() -> (String, rustls::ServerConfig) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "Tongban test CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().expect("ca key");
    let ca_cert = ca.self_signed(&ca_key).expect("ca cert");
    let issuer = Issuer::new(ca, ca_key);
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("leaf params");
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).expect("leaf cert");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(
        vec![leaf_cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
            leaf_key.serialize_der(),
        )),
    )
    .expect("server config");
    (ca_cert.pem(), config)
}

#[tokio::test]
async fn an_https_source_is_trusted_with_its_ca_and_refused_without_it() {
    let (ca_pem, config) = test_pki();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                let n = tls.read(&mut buf).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).to_string();
                // The source's authorization travels inside TLS.
                let body = if request.contains("authorization: Bearer test")
                    || request.contains("Authorization: Bearer test")
                {
                    r#"{"baby_name":"张小宝"}"#
                } else {
                    r#"{"error":"no token"}"#
                };
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    let store = store().await;
    let url = format!("https://127.0.0.1:{}/births/{{key}}", addr.port());
    let trusted = store
        .fetch_source(&source(url.clone(), ca_pem), "330102199003070027")
        .await;
    match trusted {
        Fetched::Found(m) => assert_eq!(m["baby_name"], "张小宝"),
        other => panic!("with its CA: {other:?}"),
    }
    let untrusted = store
        .fetch_source(&source(url, String::new()), "330102199003070027")
        .await;
    assert!(
        matches!(&untrusted, Fetched::Failed(_)),
        "a certificate no trusted CA signed: {untrusted:?}"
    );
}
