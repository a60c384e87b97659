//! Interoperability: OpenSSL 3 verifies our SM2/SM3 signatures with the
//! standard signer id, and refuses a changed certificate. CI sets
//! `TONGBAN_REQUIRE_OPENSSL=1` so that a missing `openssl` fails there.

use std::process::Command;

use tongban_certs::SigningPair;

fn openssl_available() -> bool {
    match Command::new("openssl").arg("version").output() {
        Ok(o) if o.status.success() => true,
        _ => {
            assert!(
                std::env::var_os("TONGBAN_REQUIRE_OPENSSL").is_none(),
                "openssl is required here but not installed"
            );
            eprintln!("openssl not installed: OpenSSL interoperability skipped");
            false
        }
    }
}

/// Runs exactly the documented command; true when OpenSSL says verified.
pub fn openssl_verifies(dir: &std::path::Path) -> bool {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args([
            "pkeyutl",
            "-verify",
            "-rawin",
            "-digest",
            "sm3",
            "-pubin",
            "-inkey",
            "key.pem",
            "-sigfile",
            "sig.der",
            "-in",
            "cert.json",
            "-pkeyopt",
            "distid:1234567812345678",
        ])
        .output()
        .expect("run openssl");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    out.status.success() && text.contains("Signature Verified Successfully")
}

#[test]
fn openssl_verifies_a_signature_and_refuses_a_changed_document() {
    if !openssl_available() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("tongban-openssl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let key = SigningPair::generate();
    let cert = "{\"holder_name\":\"张小宝\",\"licence_id\":\"1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U\"}";
    std::fs::write(dir.join("cert.json"), cert).expect("write");
    std::fs::write(dir.join("sig.der"), key.sign(cert.as_bytes())).expect("write");
    std::fs::write(dir.join("key.pem"), key.public_pem().expect("pem")).expect("write");
    assert!(openssl_verifies(&dir), "OpenSSL verifies the signature");
    std::fs::write(dir.join("cert.json"), cert.replace("张小宝", "李小宝")).expect("write");
    assert!(
        !openssl_verifies(&dir),
        "OpenSSL refuses a changed certificate"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
