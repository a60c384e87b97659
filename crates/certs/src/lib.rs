//! Signatures of electronic certificates (SPEC §7): SM2 over SM3 (GB/T 32918,
//! GB/T 32905) with the default signer id `1234567812345678`, so that OpenSSL 3
//! verifies them too:
//!
//! ```text
//! openssl pkeyutl -verify -rawin -digest sm3 -pubin -inkey key.pem \
//!     -sigfile sig.der -in cert.json -pkeyopt distid:1234567812345678
//! ```
//!
//! Signing keys are kept sealed at rest: the private scalar is encrypted with
//! SM4 in counter mode and authenticated with HMAC-SM3, under keys derived
//! from the operator's secret (never stored).

use sm2::dsa::signature::{Signer, Verifier};
use sm2::dsa::{Signature, SigningKey, VerifyingKey};
use sm2::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};
use sm3::{Digest, Sm3};
use sm4::Sm4;
use sm4::cipher::{BlockCipherEncrypt, KeyInit};

/// The SM2 signer id (distinguishing identifier) of every signature.
pub const SIGNER_ID: &str = "1234567812345678";

/// What can go wrong with keys and signatures.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CertCryptoError {
    #[error("the key secret must be at least 12 characters")]
    WeakSecret,
    #[error("the sealed key is damaged or the key secret is wrong")]
    Unseal,
    #[error("not an SM2 public key: {0}")]
    PublicKey(String),
    #[error("not a DER-encoded SM2 signature")]
    SignatureFormat,
    #[error("the signature does not match the certificate")]
    BadSignature,
    #[error("key error: {0}")]
    Key(String),
}

impl CertCryptoError {
    pub fn zh(&self) -> &'static str {
        match self {
            CertCryptoError::WeakSecret => "密钥保护口令至少12个字符",
            CertCryptoError::Unseal => "签名密钥已损坏或密钥保护口令错误",
            CertCryptoError::PublicKey(_) => "不是有效的SM2公钥",
            CertCryptoError::SignatureFormat => "不是有效的SM2签名（DER格式）",
            CertCryptoError::BadSignature => "签名与证照内容不符，证照可能被篡改",
            CertCryptoError::Key(_) => "签名密钥错误",
        }
    }
}

/// The operator's secret, turned into an SM4 key and an HMAC key.
#[derive(Clone)]
pub struct KeySecret {
    enc: [u8; 16],
    mac: [u8; 32],
}

impl std::fmt::Debug for KeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeySecret(…)")
    }
}

fn sm3(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sm3::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn hmac_sm3(key: &[u8; 32], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    k[..32].copy_from_slice(key);
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = sm3(&[&ipad, msg]);
    sm3(&[&opad, &inner])
}

impl KeySecret {
    /// Derives the sealing keys from a secret of at least 12 characters.
    pub fn derive(secret: &str) -> Result<Self, CertCryptoError> {
        if secret.chars().count() < 12 {
            return Err(CertCryptoError::WeakSecret);
        }
        // Iterated SM3 makes guessing a weak secret from a sealed key slow.
        let mut h = sm3(&[b"tongban-key-secret/1", secret.as_bytes()]);
        for _ in 0..20_000 {
            h = sm3(&[&h, secret.as_bytes()]);
        }
        let enc = sm3(&[&h, b"enc"]);
        let mut e = [0u8; 16];
        e.copy_from_slice(&enc[..16]);
        Ok(KeySecret {
            enc: e,
            mac: sm3(&[&h, b"mac"]),
        })
    }

    fn ctr(&self, nonce: &[u8; 12], data: &mut [u8]) {
        let cipher = Sm4::new(&self.enc.into());
        for (i, chunk) in data.chunks_mut(16).enumerate() {
            let mut block = [0u8; 16];
            block[..12].copy_from_slice(nonce);
            block[12..].copy_from_slice(&(i as u32).to_be_bytes());
            let mut b = block.into();
            cipher.encrypt_block(&mut b);
            let ks: [u8; 16] = b.into();
            for (d, k) in chunk.iter_mut().zip(ks.iter()) {
                *d ^= k;
            }
        }
    }

    /// nonce (12) ‖ ciphertext ‖ tag (32).
    fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let nonce: [u8; 12] = rand::random();
        let mut data = plain.to_vec();
        self.ctr(&nonce, &mut data);
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        let tag = hmac_sm3(&self.mac, &out);
        out.extend_from_slice(&tag);
        out
    }

    fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, CertCryptoError> {
        if sealed.len() < 12 + 32 {
            return Err(CertCryptoError::Unseal);
        }
        let (body, tag) = sealed.split_at(sealed.len() - 32);
        let want = hmac_sm3(&self.mac, body);
        // Constant-time comparison of the tag.
        let diff = want
            .iter()
            .zip(tag.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if diff != 0 {
            return Err(CertCryptoError::Unseal);
        }
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&body[..12]);
        let mut data = body[12..].to_vec();
        self.ctr(&nonce, &mut data);
        Ok(data)
    }
}

/// An issuing department's signing key.
pub struct SigningPair {
    key: SigningKey,
}

impl std::fmt::Debug for SigningPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningPair(…)")
    }
}

impl SigningPair {
    /// A new random key.
    pub fn generate() -> Self {
        loop {
            let bytes: [u8; 32] = rand::random();
            if let Ok(key) = SigningKey::from_slice(SIGNER_ID, &bytes) {
                return SigningPair { key };
            }
        }
    }

    /// The public key as PEM (SubjectPublicKeyInfo), as OpenSSL reads it.
    pub fn public_pem(&self) -> Result<String, CertCryptoError> {
        self.key
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| CertCryptoError::Key(e.to_string()))
    }

    /// Signs `msg` (SM3 with the signer id, then SM2); DER-encoded.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let sig: Signature = self.key.sign(msg);
        sig.to_der().to_vec()
    }

    /// The private key sealed under the operator's secret.
    pub fn seal(&self, secret: &KeySecret) -> Vec<u8> {
        secret.seal(&self.key.to_bytes())
    }

    pub fn unseal(sealed: &[u8], secret: &KeySecret) -> Result<Self, CertCryptoError> {
        let plain = secret.open(sealed)?;
        let key = SigningKey::from_slice(SIGNER_ID, &plain).map_err(|_| CertCryptoError::Unseal)?;
        Ok(SigningPair { key })
    }
}

/// Verifies a DER signature over `msg` with a PEM public key.
pub fn verify(public_pem: &str, msg: &[u8], sig_der: &[u8]) -> Result<(), CertCryptoError> {
    let pk = sm2::PublicKey::from_public_key_pem(public_pem.trim())
        .map_err(|e| CertCryptoError::PublicKey(e.to_string()))?;
    let vk =
        VerifyingKey::new(SIGNER_ID, pk).map_err(|e| CertCryptoError::PublicKey(e.to_string()))?;
    let sig = Signature::from_der(sig_der).map_err(|_| CertCryptoError::SignatureFormat)?;
    vk.verify(msg, &sig)
        .map_err(|_| CertCryptoError::BadSignature)
}

/// The SM3 fingerprint of a PEM public key (of its trimmed text), for
/// comparing a key in a file with the issuer's published one.
pub fn fingerprint(public_pem: &str) -> String {
    to_hex(&sm3(&[public_pem.trim().as_bytes()]))
}

/// Lowercase hex.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses lowercase or uppercase hex.
pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_any_change_fails() {
        let k = SigningPair::generate();
        let pem = k.public_pem().expect("pem");
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        let msg = "{\"holder_name\":\"张小宝\"}".as_bytes();
        let sig = k.sign(msg);
        assert_eq!(verify(&pem, msg, &sig), Ok(()));
        let mut other = msg.to_vec();
        other[3] ^= 1;
        assert_eq!(
            verify(&pem, &other, &sig),
            Err(CertCryptoError::BadSignature)
        );
        let stranger = SigningPair::generate().public_pem().expect("pem");
        assert_eq!(
            verify(&stranger, msg, &sig),
            Err(CertCryptoError::BadSignature)
        );
        assert_eq!(
            verify(&pem, msg, b"junk"),
            Err(CertCryptoError::SignatureFormat)
        );
    }

    #[test]
    fn a_sealed_key_opens_only_with_its_secret() {
        let secret = KeySecret::derive("correct horse battery").expect("secret");
        let k = SigningPair::generate();
        let sealed = k.seal(&secret);
        let back = SigningPair::unseal(&sealed, &secret).expect("opens");
        assert_eq!(back.public_pem(), k.public_pem());
        let wrong = KeySecret::derive("wrong horse battery").expect("secret");
        assert_eq!(
            SigningPair::unseal(&sealed, &wrong).err(),
            Some(CertCryptoError::Unseal)
        );
        let mut damaged = sealed.clone();
        damaged[14] ^= 1;
        assert_eq!(
            SigningPair::unseal(&damaged, &secret).err(),
            Some(CertCryptoError::Unseal)
        );
        assert_eq!(
            KeySecret::derive("short").err(),
            Some(CertCryptoError::WeakSecret)
        );
        // The private scalar does not appear in the sealed bytes.
        let raw = k.key.to_bytes();
        assert!(!sealed.windows(32).any(|w| w == raw.as_slice()));
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(from_hex(&to_hex(&[0, 15, 255])), Some(vec![0, 15, 255]));
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
    }
}
