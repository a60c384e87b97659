//! What an uploaded file really is, from its first bytes (never from the
//! name or the browser's claim), and how large it may be.

use serde::Serialize;

/// Largest accepted upload.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// The kinds of file a material may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FileKind {
    Pdf,
    Png,
    Jpeg,
    /// 版式文档 OFD (GB/T 33190): a ZIP container whose root holds `OFD.xml`.
    Ofd,
}

impl FileKind {
    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Ofd => "application/ofd",
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Png => "png",
            FileKind::Jpeg => "jpg",
            FileKind::Ofd => "ofd",
        }
    }
}

/// Why a file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileRefused {
    Empty,
    TooLarge { max: usize },
    UnknownType,
}

impl FileRefused {
    pub fn zh(&self) -> String {
        match self {
            FileRefused::Empty => "文件为空".into(),
            FileRefused::TooLarge { max } => format!("文件超过{}MB", max / 1024 / 1024),
            FileRefused::UnknownType => "只接受PDF、OFD、JPEG或PNG文件".into(),
        }
    }
    pub fn en(&self) -> String {
        match self {
            FileRefused::Empty => "the file is empty".into(),
            FileRefused::TooLarge { max } => {
                format!("the file is larger than {} MB", max / 1024 / 1024)
            }
            FileRefused::UnknownType => "only PDF, OFD, JPEG or PNG files are accepted".into(),
        }
    }
}

/// Checks size and sniffs the type.
pub fn check_upload(bytes: &[u8]) -> Result<FileKind, FileRefused> {
    if bytes.is_empty() {
        return Err(FileRefused::Empty);
    }
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(FileRefused::TooLarge {
            max: MAX_UPLOAD_BYTES,
        });
    }
    sniff(bytes).ok_or(FileRefused::UnknownType)
}

/// The file's kind from its magic bytes.
pub fn sniff(b: &[u8]) -> Option<FileKind> {
    if b.starts_with(b"%PDF-") {
        Some(FileKind::Pdf)
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(FileKind::Png)
    } else if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileKind::Jpeg)
    } else if b.starts_with(b"PK\x03\x04") && zip_has_ofd_root(b) {
        Some(FileKind::Ofd)
    } else {
        None
    }
}

/// True when one of the ZIP's local file headers (looked for in the first
/// 64 KiB) names `OFD.xml`.
fn zip_has_ofd_root(b: &[u8]) -> bool {
    let window = &b[..b.len().min(64 * 1024)];
    let mut i = 0;
    while i + 30 <= window.len() {
        if &window[i..i + 4] == b"PK\x03\x04" {
            let name_len = u16::from_le_bytes([window[i + 26], window[i + 27]]) as usize;
            let start = i + 30;
            if let Some(name) = window.get(start..start + name_len)
                && name == b"OFD.xml"
            {
                return true;
            }
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_content_not_names() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some(FileKind::Pdf));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Some(FileKind::Png));
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(FileKind::Jpeg)
        );
        assert_eq!(sniff(b"MZ\x90\0 an executable"), None);
        assert_eq!(sniff(b"<html>%PDF-</html>"), None);
        // A ZIP is an OFD only when it holds OFD.xml.
        let mut ofd = b"PK\x03\x04".to_vec();
        ofd.extend_from_slice(&[0u8; 22]);
        ofd.extend_from_slice(&7u16.to_le_bytes());
        ofd.extend_from_slice(&0u16.to_le_bytes());
        ofd.extend_from_slice(b"OFD.xml");
        assert_eq!(sniff(&ofd), Some(FileKind::Ofd));
        let mut zip = ofd.clone();
        let n = zip.len();
        zip[n - 7..].copy_from_slice(b"doc.xml");
        assert_eq!(sniff(&zip), None);
    }

    #[test]
    fn empty_and_oversized_files_are_refused() {
        assert_eq!(check_upload(b""), Err(FileRefused::Empty));
        let mut big = b"%PDF-".to_vec();
        big.resize(MAX_UPLOAD_BYTES + 1, b' ');
        assert!(matches!(
            check_upload(&big),
            Err(FileRefused::TooLarge { .. })
        ));
        big.truncate(MAX_UPLOAD_BYTES);
        assert_eq!(check_upload(&big), Ok(FileKind::Pdf));
    }
}
