//! Behaviour on hand-written fixtures: each check positive and negative, benign council-style
//! mail stays clean, mbox/Maildir/.msg readers, macro documents built at test time, golden JSONL.

#![allow(clippy::unwrap_used)] // test helpers: a failure here is a test failure

use std::io::Write;
use std::path::{Path, PathBuf};

use ww_mail::{Analyser, Config, Input, Report, Verdict};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn analyser() -> Analyser {
    Analyser::new(Config::default_config().unwrap(), None).unwrap()
}

fn analyse(name: &str) -> Report {
    let bytes = std::fs::read(dir().join(name)).unwrap();
    analyser().analyse_bytes(&bytes)
}

fn ids(r: &Report) -> Vec<&str> {
    r.reasons.iter().map(|x| x.id.as_str()).collect()
}

#[test]
fn lookalike_council_sender_is_phish() {
    let r = analyse("lookalike_sender.eml");
    assert_eq!(r.verdict, Verdict::Phish, "{:?}", r.reasons);
    let l = r.reasons.iter().find(|x| x.id == "LOOKALIKE_SENDER").unwrap();
    assert_eq!(l.evidence, "council-gov.uk ~ council.gov.uk (inserted words)");
    for id in ["AUTH_DMARC_FAIL", "LURE_PASSWORD", "URL_TEXT_MISMATCH", "LOOKALIKE_URL"] {
        assert!(ids(&r).contains(&id), "{id} missing: {:?}", ids(&r));
    }
    assert_eq!(r.observables.sender.as_deref(), Some("payroll@council-gov.uk"));
    assert_eq!(r.observables.received_ips, vec!["203.0.113.45"]);
}

#[test]
fn html_smuggling_attachment_is_malicious() {
    let r = analyse("html_smuggling.eml");
    assert_eq!(r.verdict, Verdict::Malicious, "{:?}", r.reasons);
    for id in ["ATTACHMENT_HTML", "ATTACHMENT_HTML_SMUGGLING", "ATTACHMENT_HTML_FORM"] {
        assert!(ids(&r).contains(&id), "{id} missing: {:?}", ids(&r));
    }
    let a = &r.observables.attachments[0];
    assert_eq!(a.name.as_deref(), Some("Remittance_4471.html"));
    assert_eq!(a.sha256.len(), 64);
}

#[test]
fn redirector_and_shortener_links() {
    let r = analyse("redirector.eml");
    assert!(ids(&r).contains(&"URL_REDIRECTOR"), "{:?}", ids(&r));
    assert!(ids(&r).contains(&"URL_SHORTENER"));
    assert!(ids(&r).contains(&"LURE_DOCUMENT_SHARE"));
    assert_ne!(r.verdict, Verdict::Clean);
}

#[test]
fn qr_code_only_message() {
    let r = analyse("qr_only.eml");
    assert!(ids(&r).contains(&"QR_CODE_LURE"), "{:?}", ids(&r));
}

#[test]
fn benign_council_mail_is_clean() {
    let mut flagged = Vec::new();
    let mut n = 0;
    for e in std::fs::read_dir(dir().join("benign")).unwrap() {
        let p = e.unwrap().path();
        let r = analyser().analyse_bytes(&std::fs::read(&p).unwrap());
        n += 1;
        if r.verdict != Verdict::Clean {
            flagged.push((p, r.reasons));
        }
    }
    eprintln!("benign set: {} of {n} flagged", flagged.len());
    assert!(n >= 4);
    assert!(flagged.is_empty(), "{flagged:#?}");
}

#[test]
fn malformed_mime_gets_reason_not_panic() {
    let r = analyse("malformed.eml");
    assert!(ids(&r).contains(&"UNPARSEABLE_PART"), "{:?}", ids(&r));
}

#[test]
fn mbox_and_maildir_are_read() {
    let cfg = Config::default_config().unwrap();
    let mut origins = Vec::new();
    ww_mail::read_inputs(&[dir().join("sample.mbox"), dir().join("maildir")], &cfg.limits, &mut |i| match i {
        Input::Rfc5322 { origin, .. } => origins.push(origin),
        other => panic!("unexpected {other:?}"),
    });
    assert_eq!(origins.len(), 4, "{origins:?}");
    assert!(origins[0].contains("sample.mbox#1@0"));
    assert!(origins[1].contains("sample.mbox#2@"));
}

fn zip_bytes(files: &[(&str, &[u8])], password_flag: bool) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opt = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (n, d) in files {
        w.start_file(*n, opt).unwrap();
        w.write_all(d).unwrap();
    }
    let mut v = w.finish().unwrap().into_inner();
    if password_flag {
        // set the "encrypted" bit in the local and central headers
        for sig in [b"PK\x03\x04".as_slice(), b"PK\x01\x02".as_slice()] {
            let mut i = 0;
            while let Some(p) = v[i..].windows(4).position(|w| w == sig) {
                let at = i + p + if sig[2] == 3 { 6 } else { 8 };
                v[at] |= 1;
                i = i + p + 4;
            }
        }
    }
    v
}

fn mail_with_attachment(name: &str, data: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(data);
    format!(
        "From: a@sender.example\r\nTo: b@council.gov.uk\r\nSubject: file\r\nDate: Tue, 1 Jul 2025 10:00:00 +0000\r\nMessage-ID: <x@sender.example>\r\nReceived: from x ([192.0.2.1]) by y; Tue, 1 Jul 2025 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--zz\r\nContent-Type: application/octet-stream; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--zz--\r\n"
    )
    .into_bytes()
}

#[test]
fn macro_docm_built_at_test_time() {
    let docm = zip_bytes(
        &[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", b"<w/>"),
            ("word/vbaProject.bin", b"\xd0\xcf\x11\xe0"),
        ],
        false,
    );
    let r = analyser().analyse_bytes(&mail_with_attachment("invoice.docm", &docm));
    assert!(r.reasons.iter().any(|x| x.id == "ATTACHMENT_MACRO" && x.evidence == "invoice.docm"), "{:?}", r.reasons);
    assert_eq!(r.verdict, Verdict::Malicious);
    let docx = zip_bytes(&[("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w/>")], false);
    let r = analyser().analyse_bytes(&mail_with_attachment("report.docx", &docx));
    assert!(!ids(&r).contains(&"ATTACHMENT_MACRO"), "{:?}", r.reasons);
    assert_eq!(r.verdict, Verdict::Clean);
}

#[test]
fn ole_document_with_vba_storage() {
    let mut cf = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    cf.create_storage("/Macros").unwrap();
    cf.create_storage("/Macros/VBA").unwrap();
    cf.create_stream("/WordDocument").unwrap().write_all(b"doc").unwrap();
    cf.flush().unwrap();
    let doc = cf.into_inner().into_inner();
    let r = analyser().analyse_bytes(&mail_with_attachment("minutes.doc", &doc));
    assert!(ids(&r).contains(&"ATTACHMENT_MACRO"), "{:?}", r.reasons);
}

#[test]
fn rar_entries_are_listed_from_headers_and_encrypted_rar_is_flagged() {
    // RAR 5: main header, one file block (no data), end of archive.
    let rar5 = |name: &str| {
        let mut rar = b"Rar!\x1a\x07\x01\x00".to_vec();
        rar.extend([0, 0, 0, 0, 3, 1, 0, 0]);
        rar.extend([0, 0, 0, 0, 9 + name.len() as u8, 2, 2, 0, 0, 0, 0x20, 0, 0, name.len() as u8]);
        rar.extend(name.as_bytes());
        rar.extend([0, 0, 0, 0, 3, 5, 0, 0]);
        rar
    };
    let r = analyser().analyse_bytes(&mail_with_attachment("invoice.rar", &rar5("invoice.lnk")));
    assert!(
        r.reasons.iter().any(|x| x.id == "ATTACHMENT_ARCHIVE_RISKY" && x.evidence.contains("invoice.rar/invoice.lnk")),
        "{:?}",
        r.reasons
    );
    // RAR 4 whose main header says the block headers are encrypted.
    let mut enc = b"Rar!\x1a\x07\x00".to_vec();
    enc.extend([0, 0, 0x73, 0x80, 0x00, 13, 0, 0, 0, 0, 0, 0, 0]);
    enc.extend([0x5A; 48]);
    let r = analyser().analyse_bytes(&mail_with_attachment("statement.rar", &enc));
    assert!(ids(&r).contains(&"ATTACHMENT_ENCRYPTED_ARCHIVE"), "{:?}", r.reasons);
    // A plain RAR of a text file raises nothing.
    let r = analyser().analyse_bytes(&mail_with_attachment("notes.rar", &rar5("notes.txt")));
    assert!(r.reasons.iter().all(|x| !x.id.starts_with("ATTACHMENT_")), "{:?}", r.reasons);
}

#[test]
fn archives_executables_and_double_extensions() {
    let exe = b"MZ\x90\x00\x03\x00\x00\x00this program";
    let z = zip_bytes(&[("scan.pdf.exe", exe)], false);
    let r = analyser().analyse_bytes(&mail_with_attachment("scan.zip", &z));
    assert!(ids(&r).contains(&"ATTACHMENT_ARCHIVE_RISKY"), "{:?}", r.reasons);
    assert!(ids(&r).contains(&"ATTACHMENT_EXECUTABLE"));
    assert!(ids(&r).contains(&"ATTACHMENT_DOUBLE_EXTENSION"));
    let enc = zip_bytes(&[("doc.txt", b"hello")], true);
    let r = analyser().analyse_bytes(&mail_with_attachment("docs.zip", &enc));
    assert!(ids(&r).contains(&"ATTACHMENT_ENCRYPTED_ARCHIVE"), "{:?}", r.reasons);
    let plain = zip_bytes(&[("notes.txt", b"hello")], false);
    let r = analyser().analyse_bytes(&mail_with_attachment("notes.zip", &plain));
    assert!(r.reasons.iter().all(|x| !x.id.starts_with("ATTACHMENT_")), "{:?}", r.reasons);
    let lnk = [0x4Cu8, 0, 0, 0, 0x01, 0x14, 0x02, 0x00, 0, 0, 0, 0];
    let r = analyser().analyse_bytes(&mail_with_attachment("photo.jpg", &lnk));
    assert!(ids(&r).contains(&"ATTACHMENT_LNK") && ids(&r).contains(&"ATTACHMENT_TYPE_MISMATCH"), "{:?}", r.reasons);
}

#[test]
fn zip_bomb_is_bounded() {
    let zeros = vec![0u8; 20 * 1024 * 1024];
    let z = zip_bytes(&[("big.bin", &zeros)], false);
    assert!(z.len() < 200 * 1024);
    let t = std::time::Instant::now();
    let r = analyser().analyse_bytes(&mail_with_attachment("big.zip", &z));
    assert!(ids(&r).contains(&"ATTACHMENT_ARCHIVE_LIMIT"), "{:?}", r.reasons);
    assert!(t.elapsed().as_secs() < 5);
}

#[test]
fn outlook_msg_built_at_test_time() {
    let hdr = "From: \"Chief Executive\" <ceo.office@gmail.com>\r\nSubject: Urgent payment\r\nMessage-ID: <m1@gmail.com>\r\nDate: Tue, 1 Jul 2025 10:00:00 +0000\r\n";
    let b = ww_mail::msg::build_msg(
        "Urgent payment",
        "ceo.office@gmail.com",
        "Please process this wire transfer immediately. Use our new bank details.",
        hdr,
        &[],
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("report.msg");
    std::fs::write(&p, &b).unwrap();
    let a = analyser();
    let mut reports = Vec::new();
    ww_mail::read_inputs(&[&p], &a.config().limits, &mut |i| {
        if let Input::Msg { mail, .. } = i {
            reports.push(a.analyse_mail(&mail));
        }
    });
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    assert!(ids(r).contains(&"DISPLAY_NAME_IMPERSONATION"), "{:?}", r.reasons);
    assert!(ids(r).contains(&"LURE_PAYMENT_CHANGE"));
    assert_eq!(r.verdict, Verdict::Phish);
}

#[test]
fn every_flagged_verdict_names_a_reason() {
    for f in ["lookalike_sender.eml", "html_smuggling.eml", "redirector.eml", "qr_only.eml", "malformed.eml"] {
        let r = analyse(f);
        if r.verdict != Verdict::Clean {
            assert!(r.reasons.iter().any(|x| x.weight > 0.0 && !x.evidence.is_empty()), "{f}");
        }
    }
}

/// Golden output of `analyse --format jsonl` for the fixtures. Regenerate with
/// `UPDATE_GOLDEN=1 cargo test -p ww-mail --test fixtures golden`.
#[test]
fn golden_jsonl() {
    let a = analyser();
    let mut out = String::new();
    let files =
        ["lookalike_sender.eml", "html_smuggling.eml", "redirector.eml", "qr_only.eml", "benign/supplier_invoice.eml"];
    for f in files {
        let r = a.analyse_bytes(&std::fs::read(dir().join(f)).unwrap());
        out.push_str(&r.to_jsonl(f).unwrap());
        out.push('\n');
    }
    let golden = dir().join("golden.jsonl");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &out).unwrap();
    }
    let want = std::fs::read_to_string(&golden).unwrap();
    assert_eq!(out, want);
}
