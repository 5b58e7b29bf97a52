//! Content typing by magic bytes, Office macro detection (OLE VBA storages, OOXML
//! `vbaProject.bin`) and bounded one-level archive listing.

use std::io::{Cursor, Read};

use crate::config::Limits;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Executable,
    Lnk,
    DiskImage,
    Ole,
    Zip,
    Rar,
    SevenZip,
    Gzip,
    Pdf,
    Html,
    Svg,
    Image,
    Other,
}

/// The type of some bytes by their content.
pub fn sniff(data: &[u8]) -> Kind {
    let starts = |m: &[u8]| data.starts_with(m);
    if starts(b"MZ") || starts(b"\x7fELF") || starts(&[0xCF, 0xFA, 0xED, 0xFE]) || starts(&[0xCA, 0xFE, 0xBA, 0xBE]) {
        return Kind::Executable;
    }
    if starts(&[0x4C, 0, 0, 0, 0x01, 0x14, 0x02, 0x00]) {
        return Kind::Lnk;
    }
    if [0x8001usize, 0x8801, 0x9001].iter().any(|&o| data.get(o..o + 5) == Some(b"CD001"))
        || starts(b"conectix")
        || starts(b"vhdxfile")
    {
        return Kind::DiskImage;
    }
    if starts(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Kind::Ole;
    }
    if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") {
        return Kind::Zip;
    }
    if starts(b"Rar!\x1a\x07") {
        return Kind::Rar;
    }
    if starts(&[b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C]) {
        return Kind::SevenZip;
    }
    if starts(&[0x1F, 0x8B]) {
        return Kind::Gzip;
    }
    if starts(b"%PDF") {
        return Kind::Pdf;
    }
    if starts(b"\x89PNG") || starts(b"GIF8") || starts(&[0xFF, 0xD8, 0xFF]) || starts(b"BM") && data.len() > 14 {
        return Kind::Image;
    }
    let head = &data[..data.len().min(1024)];
    let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
    let t = lower.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if t.starts_with("<svg") || (t.starts_with("<?xml") && lower.contains("<svg")) {
        return Kind::Svg;
    }
    if t.starts_with("<!doctype html")
        || t.starts_with("<html")
        || t.starts_with("<head")
        || t.starts_with("<body")
        || t.starts_with("<script")
        || t.starts_with("<meta")
        || t.starts_with("<form")
        || t.starts_with("<div")
        || t.starts_with("<iframe")
        || (t.starts_with('<') && lower.contains("<script"))
    {
        return Kind::Html;
    }
    Kind::Other
}

/// Does an OLE compound file hold VBA (`VBA`, `_VBA_PROJECT`, `Macros` storages)?
pub fn ole_has_vba(data: &[u8]) -> Result<bool, String> {
    let cf = cfb::CompoundFile::open(Cursor::new(data)).map_err(|e| e.to_string())?;
    Ok(cf.walk().any(|e| {
        let n = e.name();
        n.eq_ignore_ascii_case("VBA")
            || n.eq_ignore_ascii_case("_VBA_PROJECT")
            || n.eq_ignore_ascii_case("_VBA_PROJECT_CUR")
            || n.eq_ignore_ascii_case("Macros")
    }))
}

/// One entry of an archive, read within the limits.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub encrypted: bool,
    /// First bytes (enough to sniff), when the entry could be read.
    pub head: Vec<u8>,
    /// The whole content when it is small enough to inspect (HTML), else empty.
    pub body: Vec<u8>,
}

/// An archive's entries as far as they could be read.
#[derive(Debug, Default)]
pub struct Listing {
    pub entries: Vec<Entry>,
    /// The archive encrypts its headers, names included: nothing inside can be listed.
    pub encrypted_headers: bool,
    /// A limit was hit (entries, total size, ratio): the reason text.
    pub limit: Option<String>,
    /// The archive is unreadable: the reason text.
    pub error: Option<String>,
}

const HEAD: usize = 0x9010;
const BODY_MAX: u64 = 512 * 1024;

/// List a zip's entries and read their heads, never inflating more than the limits allow.
pub fn zip_list(data: &[u8], limits: &Limits) -> Listing {
    let mut out = Listing::default();
    let mut z = match zip::ZipArchive::new(Cursor::new(data)) {
        Ok(z) => z,
        Err(e) => {
            out.error = Some(e.to_string());
            return out;
        }
    };
    if z.len() > limits.max_archive_entries {
        out.limit = Some(format!("{} entries > limit {}", z.len(), limits.max_archive_entries));
    }
    let mut total: u64 = 0;
    for i in 0..z.len().min(limits.max_archive_entries) {
        let f = match z.by_index_raw(i) {
            Ok(f) => f,
            Err(e) => {
                out.error = Some(format!("entry {i}: {e}"));
                continue;
            }
        };
        let name = f.name().to_string();
        let encrypted = f.encrypted();
        let (size, csize) = (f.size(), f.compressed_size());
        drop(f);
        let mut entry = Entry { name, encrypted, head: Vec::new(), body: Vec::new() };
        if !encrypted && size > 0 {
            if csize > 0 && size / csize.max(1) > limits.max_ratio {
                out.limit =
                    Some(format!("{}: ratio {}:1 > limit {}", entry.name, size / csize.max(1), limits.max_ratio));
            } else if total + size.min(BODY_MAX) > limits.max_unpacked_bytes {
                out.limit = Some(format!("more than {} bytes to unpack", limits.max_unpacked_bytes));
            } else if let Ok(f) = z.by_index(i) {
                // The declared size can lie: `take` bounds what we actually inflate.
                let want = if size <= BODY_MAX { size.min(BODY_MAX) } else { HEAD as u64 };
                let mut buf = Vec::new();
                let n = f.take(want).read_to_end(&mut buf).unwrap_or(0) as u64;
                total += n;
                if size <= BODY_MAX {
                    entry.head = buf[..buf.len().min(HEAD)].to_vec();
                    entry.body = buf;
                } else {
                    entry.head = buf;
                }
            }
        }
        out.entries.push(entry);
    }
    out
}

/// File-name extension, lower-cased, without the dot.
pub fn ext(name: &str) -> String {
    let n = name.trim().trim_end_matches(['.', ' ']);
    n.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default()
}

pub const EXEC_EXT: &[&str] = &[
    "exe",
    "scr",
    "pif",
    "com",
    "cpl",
    "msi",
    "msix",
    "appx",
    "dll",
    "jar",
    "bat",
    "cmd",
    "js",
    "jse",
    "vbs",
    "vbe",
    "wsf",
    "wsh",
    "hta",
    "ps1",
    "psm1",
    "reg",
    "lnk",
    "iso",
    "img",
    "vhd",
    "vhdx",
    "xll",
    "url",
    "chm",
    "scf",
    "application",
    "gadget",
    "msc",
    "inf",
    "sct",
];
pub const SCRIPT_EXT: &[&str] =
    &["js", "jse", "vbs", "vbe", "wsf", "wsh", "hta", "ps1", "psm1", "bat", "cmd", "sct", "reg"];
pub const DOC_EXT: &[&str] = &[
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "rtf", "jpg", "jpeg", "png", "gif", "csv", "odt", "zip",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(sniff(b"MZ\x90\x00"), Kind::Executable);
        assert_eq!(sniff(b"%PDF-1.7"), Kind::Pdf);
        assert_eq!(sniff(b"  <!DOCTYPE html><html>"), Kind::Html);
        assert_eq!(sniff(b"<?xml version='1.0'?><svg xmlns=''>"), Kind::Svg);
        assert_eq!(sniff(b"hello world"), Kind::Other);
        assert_eq!(sniff(&[0x4C, 0, 0, 0, 0x01, 0x14, 0x02, 0x00, 0, 0]), Kind::Lnk);
        assert_eq!(ext("Invoice.PDF.exe"), "exe");
        assert_eq!(ext("noext"), "");
    }

    #[test]
    fn garbage_zip_and_ole_are_errors_not_panics() {
        let l = crate::config::Config::default_config().unwrap().limits;
        assert!(zip_list(b"PK\x03\x04garbage", &l).error.is_some());
        assert!(ole_has_vba(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]).is_err());
    }
}
