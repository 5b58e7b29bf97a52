//! RAR and 7z archives, read from their headers only: entry names and whether entries or the
//! headers themselves are encrypted. Nothing is decompressed (no RAR or LZMA decoder is linked),
//! so there is no bomb to defuse; what bounds the work is the entry limit and the archive's own
//! length, which every offset is checked against.
//!
//! Formats: RAR 1.5–4.x and RAR 5.0 block headers as described in RARLAB's technical notes;
//! the 7z signature header and, when the archive's header is stored encoded, the coder list of
//! that encoding (an AES coder there means the names themselves are encrypted, `7z -mhe=on`).

use crate::config::Limits;
use crate::filetype::{Entry, Listing};

const RAR4_SIGNATURE: &[u8] = b"Rar!\x1a\x07\x00";
const RAR5_SIGNATURE: &[u8] = b"Rar!\x1a\x07\x01\x00";
const SEVEN_ZIP_SIGNATURE: &[u8] = &[b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C];
/// 7z's coder id of AES-256 + SHA-256 (`06 F1 07 01`).
const SEVEN_ZIP_AES: &[u8] = &[0x06, 0xF1, 0x07, 0x01];

/// `out` (the entries read so far) ended by `err`.
fn failed(mut out: Listing, err: String) -> Listing {
    out.error = Some(err);
    out
}

/// Lists a RAR archive's entries (names, per-entry encryption) from its block headers.
pub fn rar_list(data: &[u8], limits: &Limits) -> Listing {
    if data.starts_with(RAR5_SIGNATURE) {
        rar5(data, limits)
    } else if data.starts_with(RAR4_SIGNATURE) {
        rar4(data, limits)
    } else {
        failed(Listing::default(), "not a RAR 1.5-5.0 signature".into())
    }
}

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(d: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(d.get(at..at + 8)?.try_into().ok()?))
}

/// RAR 1.5–4.x: fixed 7-byte block heads (CRC, type, flags, size), optional 32-bit data size.
fn rar4(data: &[u8], limits: &Limits) -> Listing {
    const MAIN: u8 = 0x73;
    const FILE: u8 = 0x74;
    const END: u8 = 0x7B;
    const MAIN_PASSWORD: u16 = 0x0080;
    const FILE_PASSWORD: u16 = 0x0004;
    const FILE_LARGE: u16 = 0x0100;
    const FILE_UNICODE: u16 = 0x0200;
    const LONG_BLOCK: u16 = 0x8000;
    let mut out = Listing::default();
    let mut at = RAR4_SIGNATURE.len();
    while at < data.len() {
        let (Some(kind), Some(flags), Some(size)) = (data.get(at + 2), u16_at(data, at + 3), u16_at(data, at + 5))
        else {
            return failed(out, format!("block header at offset {at} truncated"));
        };
        let size = usize::from(size);
        if size < 7 {
            return failed(out, format!("block at offset {at}: header size {size} < 7"));
        }
        // File blocks always carry their packed size; other blocks only with LONG_BLOCK.
        let mut add = if *kind == FILE || flags & LONG_BLOCK != 0 {
            let Some(v) = u32_at(data, at + 7) else {
                return failed(out, format!("block at offset {at}: data size truncated"));
            };
            u64::from(v)
        } else {
            0
        };
        match *kind {
            MAIN if flags & MAIN_PASSWORD != 0 => {
                out.encrypted_headers = true;
                return out;
            }
            FILE => {
                if out.entries.len() >= limits.max_archive_entries {
                    out.limit = Some(format!("more than {} entries", limits.max_archive_entries));
                    return out;
                }
                // PACK_SIZE(4) UNP_SIZE(4) HOST_OS(1) FILE_CRC(4) FTIME(4) UNP_VER(1) METHOD(1)
                // NAME_SIZE(2) ATTR(4) [HIGH_PACK_SIZE(4) HIGH_UNP_SIZE(4)] FILE_NAME
                let Some(name_len) = u16_at(data, at + 26) else {
                    return failed(out, format!("file block at offset {at}: name size truncated"));
                };
                let mut name_at = at + 32;
                if flags & FILE_LARGE != 0 {
                    let Some(high) = u32_at(data, at + 32) else {
                        return failed(out, format!("file block at offset {at}: high size truncated"));
                    };
                    add |= u64::from(high) << 32;
                    name_at += 8;
                }
                let name_end = name_at + usize::from(name_len);
                let Some(raw) = data.get(name_at..name_end).filter(|_| name_end <= at + size) else {
                    return failed(out, format!("file block at offset {at}: name runs past the header"));
                };
                // Unicode names carry an ASCII/OEM form, then a NUL and an encoded form.
                let raw = if flags & FILE_UNICODE != 0 { raw.split(|&b| b == 0).next().unwrap_or(raw) } else { raw };
                let directory = flags & 0x00E0 == 0x00E0;
                if !directory {
                    out.entries.push(entry(raw, flags & FILE_PASSWORD != 0));
                }
            }
            END => return out,
            _ => {}
        }
        let next = (at as u64).saturating_add(size as u64).saturating_add(add);
        at = match usize::try_from(next) {
            Ok(n) if n > at => n,
            _ => return failed(out, format!("block at offset {at}: size overflows")),
        };
    }
    out
}

fn entry(raw_name: &[u8], encrypted: bool) -> Entry {
    Entry { name: String::from_utf8_lossy(raw_name).replace('\\', "/"), encrypted, head: Vec::new(), body: Vec::new() }
}

/// RAR 5.0's variable-length integer: 7 bits per byte, low bits first, high bit = more.
fn vint(d: &[u8], at: &mut usize) -> Option<u64> {
    let mut v: u64 = 0;
    for shift in (0..70).step_by(7) {
        let b = *d.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7F).checked_shl(shift)?;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// RAR 5.0: each block is CRC32, header size (vint), then type, flags and fields (vints).
fn rar5(data: &[u8], limits: &Limits) -> Listing {
    const FILE: u64 = 2;
    const ENCRYPTION: u64 = 4;
    const END: u64 = 5;
    const HAS_EXTRA: u64 = 0x0001;
    const HAS_DATA: u64 = 0x0002;
    const FILE_DIRECTORY: u64 = 0x0001;
    const FILE_HAS_TIME: u64 = 0x0002;
    const FILE_HAS_CRC: u64 = 0x0004;
    const EXTRA_ENCRYPTION: u64 = 0x01;
    let mut out = Listing::default();
    let mut at = RAR5_SIGNATURE.len();
    while at < data.len() {
        let truncated = |what: &str| format!("block at offset {at}: {what} truncated");
        let mut p = at + 4;
        let Some(size) = vint(data, &mut p) else { return failed(out, truncated("header size")) };
        let body = p;
        let Some(end) = usize::try_from(size).ok().and_then(|s| body.checked_add(s)).filter(|&e| e <= data.len())
        else {
            return failed(out, format!("block at offset {at}: header size {size} runs past the archive"));
        };
        let header = &data[..end];
        let (Some(kind), Some(flags)) = (vint(header, &mut p), vint(header, &mut p)) else {
            return failed(out, truncated("header type"));
        };
        let extra = if flags & HAS_EXTRA != 0 { vint(header, &mut p) } else { Some(0) };
        let data_size = if flags & HAS_DATA != 0 { vint(header, &mut p) } else { Some(0) };
        let (Some(extra), Some(data_size)) = (extra, data_size) else {
            return failed(out, truncated("extra or data size"));
        };
        match kind {
            ENCRYPTION => {
                out.encrypted_headers = true;
                return out;
            }
            FILE => {
                if out.entries.len() >= limits.max_archive_entries {
                    out.limit = Some(format!("more than {} entries", limits.max_archive_entries));
                    return out;
                }
                let Some(file_flags) = vint(header, &mut p) else { return failed(out, truncated("file flags")) };
                let (Some(_unpacked), Some(_attributes)) = (vint(header, &mut p), vint(header, &mut p)) else {
                    return failed(out, truncated("file sizes"));
                };
                p += 4 * (usize::from(file_flags & FILE_HAS_TIME != 0) + usize::from(file_flags & FILE_HAS_CRC != 0));
                let (Some(_method), Some(_os), Some(name_len)) =
                    (vint(header, &mut p), vint(header, &mut p), vint(header, &mut p))
                else {
                    return failed(out, truncated("file name length"));
                };
                let name_end = usize::try_from(name_len).ok().and_then(|n| p.checked_add(n));
                let Some((raw, name_end)) = name_end.and_then(|e| Some((header.get(p..e)?, e))) else {
                    return failed(out, format!("file block at offset {at}: name runs past the header"));
                };
                p = name_end;
                // The extra area is the header's last `extra` bytes: records of size, type, data.
                let mut encrypted = false;
                if let Some(mut q) = usize::try_from(extra).ok().and_then(|x| end.checked_sub(x)).filter(|&q| q >= p) {
                    while q < end {
                        let Some(len) = vint(header, &mut q) else { break };
                        let record = q;
                        match vint(header, &mut q) {
                            Some(EXTRA_ENCRYPTION) => encrypted = true,
                            Some(_) => {}
                            None => break,
                        }
                        match usize::try_from(len).ok().and_then(|l| record.checked_add(l)) {
                            Some(n) if n > record => q = n,
                            _ => break,
                        }
                    }
                }
                if file_flags & FILE_DIRECTORY == 0 {
                    out.entries.push(entry(raw, encrypted));
                }
            }
            END => return out,
            _ => {}
        }
        let next = u64::try_from(end).ok().and_then(|e| e.checked_add(data_size)).and_then(|n| usize::try_from(n).ok());
        at = match next {
            Some(n) if n > at => n,
            _ => return failed(out, format!("block at offset {at}: data size overflows")),
        };
    }
    out
}

/// A 7z archive: names are inside its (usually LZMA-compressed) header, which this crate does
/// not decode, so the listing holds no entries; it says whether that header is encrypted (an
/// AES coder in the header's encoding), which is how malware hides what a 7z carries.
pub fn seven_zip_list(data: &[u8]) -> Listing {
    let mut out = Listing::default();
    if !data.starts_with(SEVEN_ZIP_SIGNATURE) {
        return failed(out, "not a 7z signature".into());
    }
    // Signature header: signature(6) version(2) start-header CRC(4), then the next header's
    // offset (from byte 32), size and CRC.
    let (Some(offset), Some(size)) = (u64_at(data, 12), u64_at(data, 20)) else {
        return failed(out, "7z start header truncated".into());
    };
    let header = usize::try_from(offset)
        .ok()
        .and_then(|o| o.checked_add(32))
        .zip(usize::try_from(size).ok())
        .and_then(|(start, len)| data.get(start..start.checked_add(len)?));
    let Some(header) = header else {
        return failed(out, format!("7z header ({size} bytes at {offset}) lies past the archive"));
    };
    const ENCODED_HEADER: u8 = 0x17;
    if header.first() == Some(&ENCODED_HEADER) {
        // The encoded header is a few dozen bytes of streams info: pack info, then the
        // folder(s) whose coder list says how the header was packed. The AES coder id is
        // searched as bytes over all of it rather than parsed out of the coder list; the
        // other fields are small sizes and counts, so the four bytes occurring there by chance
        // is possible but unlikely.
        out.encrypted_headers = header.windows(SEVEN_ZIP_AES.len()).any(|w| w == SEVEN_ZIP_AES);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn limits() -> Limits {
        Config::default_config().unwrap().limits
    }

    /// A RAR 4 file block for `name` with `flags`, carrying `data` as its packed bytes.
    fn rar4_file(name: &str, flags: u16, data: &[u8]) -> Vec<u8> {
        let size = (32 + name.len()) as u16;
        let mut b = vec![0, 0, 0x74];
        b.extend((flags | 0x8000).to_le_bytes());
        b.extend(size.to_le_bytes());
        b.extend((data.len() as u32).to_le_bytes()); // PACK_SIZE
        b.extend((data.len() as u32).to_le_bytes()); // UNP_SIZE
        b.push(2); // HOST_OS
        b.extend([0; 4]); // FILE_CRC
        b.extend([0; 4]); // FTIME
        b.push(29); // UNP_VER
        b.push(0x30); // METHOD: stored
        b.extend((name.len() as u16).to_le_bytes());
        b.extend([0x20, 0, 0, 0]); // ATTR
        b.extend(name.as_bytes());
        b.extend(data);
        b
    }

    fn rar4(main_flags: u16, files: &[Vec<u8>]) -> Vec<u8> {
        let mut b = RAR4_SIGNATURE.to_vec();
        b.extend([0, 0, 0x73]);
        b.extend(main_flags.to_le_bytes());
        b.extend(13u16.to_le_bytes());
        b.extend([0; 6]);
        for f in files {
            b.extend(f);
        }
        b.extend([0, 0, 0x7B, 0, 0x40, 7, 0]);
        b
    }

    fn v(mut n: u64) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let b = (n & 0x7F) as u8;
            n >>= 7;
            if n == 0 {
                out.push(b);
                return out;
            }
            out.push(b | 0x80);
        }
    }

    /// A RAR 5 block: CRC (not checked), size, then `fields`, and `data` after the header.
    fn rar5_block(fields: &[u8], data: &[u8]) -> Vec<u8> {
        let mut b = vec![0; 4];
        b.extend(v(fields.len() as u64));
        b.extend(fields);
        b.extend(data);
        b
    }

    fn rar5_file(name: &str, encrypted: bool, data: &[u8]) -> Vec<u8> {
        let extra = if encrypted {
            let mut rec = v(1); // type: encryption
            rec.extend([0; 3]); // version, flags, ... (contents not read)
            let mut e = v(rec.len() as u64);
            e.extend(rec);
            e
        } else {
            Vec::new()
        };
        let mut f = v(2); // type: file
        f.extend(v(if encrypted { 0x0003 } else { 0x0002 })); // extra area?, data area
        if encrypted {
            f.extend(v(extra.len() as u64));
        }
        f.extend(v(data.len() as u64));
        f.extend(v(0x0004)); // file flags: CRC present
        f.extend(v(data.len() as u64)); // unpacked size
        f.extend(v(0x20)); // attributes
        f.extend([0; 4]); // CRC32
        f.extend(v(0)); // compression info
        f.extend(v(0)); // host OS
        f.extend(v(name.len() as u64));
        f.extend(name.as_bytes());
        f.extend(extra);
        rar5_block(&f, data)
    }

    fn rar5(blocks: &[Vec<u8>]) -> Vec<u8> {
        let mut b = RAR5_SIGNATURE.to_vec();
        b.extend(rar5_block(&[1, 0, 0], &[])); // main header: type 1, flags 0, archive flags 0
        for x in blocks {
            b.extend(x);
        }
        b.extend(rar5_block(&[5, 0, 0], &[])); // end of archive
        b
    }

    fn names(l: &Listing) -> Vec<(&str, bool)> {
        l.entries.iter().map(|e| (e.name.as_str(), e.encrypted)).collect()
    }

    #[test]
    fn rar4_lists_names_and_encrypted_entries() {
        let a = rar4(0, &[rar4_file("invoice.pdf.exe", 0, b"MZ\x90\x00"), rar4_file("docs\\a.txt", 0x0004, b"xx")]);
        let l = rar_list(&a, &limits());
        assert_eq!(l.error, None);
        assert!(!l.encrypted_headers);
        assert_eq!(names(&l), vec![("invoice.pdf.exe", false), ("docs/a.txt", true)]);
    }

    #[test]
    fn rar4_encrypted_headers_are_reported() {
        let l = rar_list(&rar4(0x0080, &[]), &limits());
        assert!(l.encrypted_headers);
        assert!(l.entries.is_empty());
    }

    #[test]
    fn rar5_lists_names_and_encrypted_entries() {
        let a = rar5(&[rar5_file("scan.lnk", false, b"L\0\0\0"), rar5_file("payload.js", true, b"ciphertext")]);
        let l = rar_list(&a, &limits());
        assert_eq!(l.error, None, "{l:?}");
        assert_eq!(names(&l), vec![("scan.lnk", false), ("payload.js", true)]);
    }

    #[test]
    fn rar5_archive_encryption_header_is_reported() {
        let mut a = RAR5_SIGNATURE.to_vec();
        a.extend(rar5_block(&[4, 0, 0, 0, 15], &[])); // archive encryption header
        a.extend([0xAB; 64]); // encrypted headers follow
        let l = rar_list(&a, &limits());
        assert!(l.encrypted_headers);
    }

    #[test]
    fn the_entry_limit_holds() {
        let files: Vec<Vec<u8>> = (0..5).map(|i| rar4_file(&format!("f{i}.txt"), 0, b"x")).collect();
        let mut small = limits();
        small.max_archive_entries = 3;
        let l = rar_list(&rar4(0, &files), &small);
        assert_eq!(l.entries.len(), 3);
        assert!(l.limit.is_some());
    }

    #[test]
    fn truncated_and_garbage_rar_are_errors_with_offsets_not_panics() {
        let a = rar5(&[rar5_file("scan.lnk", false, b"L\0\0\0")]);
        for cut in 0..a.len() {
            let _ = rar_list(&a[..cut], &limits());
        }
        let l = rar_list(&a[..20], &limits());
        assert!(l.error.as_deref().unwrap_or("").contains("offset"), "{l:?}");
        let b = rar4(0, &[rar4_file("a.exe", 0, b"MZ")]);
        for cut in 0..b.len() {
            let _ = rar_list(&b[..cut], &limits());
        }
        // A block claiming a huge packed size ends the walk with an error, not a read past.
        let mut c = b.clone();
        let file_at = RAR4_SIGNATURE.len() + 13;
        c[file_at + 7..file_at + 11].copy_from_slice(&u32::MAX.to_le_bytes());
        let l = rar_list(&c, &limits());
        assert_eq!(names(&l), vec![("a.exe", false)]);
        let _ = rar_list(b"Rar!\x1a\x07\x01\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", &limits());
    }

    fn seven_zip(next_header: &[u8]) -> Vec<u8> {
        let mut b = SEVEN_ZIP_SIGNATURE.to_vec();
        b.extend([0, 4]);
        b.extend([0; 4]); // start header CRC
        b.extend(4u64.to_le_bytes()); // next header offset (after 4 packed bytes)
        b.extend((next_header.len() as u64).to_le_bytes());
        b.extend([0; 4]); // next header CRC
        b.extend([1, 2, 3, 4]); // packed streams
        b.extend(next_header);
        b
    }

    #[test]
    fn seven_zip_encrypted_header_is_reported() {
        // kEncodedHeader, kPackInfo ..., kUnPackInfo, kFolder, 1 folder, not external,
        // 2 coders: AES (id size 4, has properties) and LZMA.
        let aes =
            [0x17, 0x06, 0x00, 0x01, 0x09, 0x04, 0x00, 0x07, 0x0B, 0x01, 0x00, 0x02, 0x24, 0x06, 0xF1, 0x07, 0x01];
        assert!(seven_zip_list(&seven_zip(&aes)).encrypted_headers);
        let lzma =
            [0x17, 0x06, 0x00, 0x01, 0x09, 0x04, 0x00, 0x07, 0x0B, 0x01, 0x00, 0x01, 0x23, 0x03, 0x01, 0x01, 0x05];
        let l = seven_zip_list(&seven_zip(&lzma));
        assert!(!l.encrypted_headers);
        assert_eq!(l.error, None);
        let bad = seven_zip(&aes);
        assert!(seven_zip_list(&bad[..40]).error.is_some());
    }
}
