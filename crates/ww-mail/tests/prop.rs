//! The readers and the analyser never panic on arbitrary bytes.

#![allow(clippy::unwrap_used)] // test helpers: a failure here is a test failure

use proptest::prelude::*;
use ww_mail::{Analyser, Config};

fn analyser() -> Analyser {
    Analyser::new(Config::default_config().unwrap(), None).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_bytes(b in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = analyser().analyse_bytes(&b);
    }

    #[test]
    fn mime_shaped_text(
        hdr in "[A-Za-z-]{1,12}: [ -~]{0,60}",
        ct in prop_oneof!["text/html", "multipart/mixed; boundary=b", "application/zip; name=a.zip", "text/plain; charset=x-bogus"],
        body in "[ -~\\n<>=&;#]{0,800}",
    ) {
        let m = format!("{hdr}\r\nFrom: a@b.c\r\nContent-Type: {ct}\r\nContent-Transfer-Encoding: base64\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n{body}\r\n--b--");
        let r = analyser().analyse_bytes(m.as_bytes());
        prop_assert!(r.score.is_finite());
    }

    #[test]
    fn archive_header_walkers_on_prefixed_garbage(b in proptest::collection::vec(any::<u8>(), 0..4096), which in 0..3usize) {
        let prefix: &[u8] = [&b"Rar!\x1a\x07\x00"[..], b"Rar!\x1a\x07\x01\x00", &[b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C]][which];
        let mut v = prefix.to_vec();
        v.extend(b);
        let cfg = Config::default_config().unwrap();
        let l = if which < 2 { ww_mail::archive_headers::rar_list(&v, &cfg.limits) } else { ww_mail::archive_headers::seven_zip_list(&v) };
        prop_assert!(l.entries.len() <= cfg.limits.max_archive_entries);
    }

    #[test]
    fn msg_reader_on_ole_prefixed_garbage(b in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let mut v = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        v.extend(b);
        let cfg = Config::default_config().unwrap();
        let _ = ww_mail::msg::parse_msg("fuzz.msg", &v, &cfg.limits);
    }
}
