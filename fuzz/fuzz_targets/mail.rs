//! Mail: arbitrary bytes through the RFC 5322 path, and through the Outlook `.msg` (OLE) path
//! when they start like a compound document. Attachments (zip, OLE, HTML) are reached from the
//! MIME bytes; the RAR and 7z header walkers also directly. Small limits keep each run fast;
//! the analyser must never panic or hang.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ww_mail::{Analyser, Config};

fn analyser() -> &'static Analyser {
    static A: OnceLock<Analyser> = OnceLock::new();
    A.get_or_init(|| {
        let mut cfg = Config::default_config().expect("embedded config");
        cfg.limits.max_parts = 64;
        cfg.limits.max_unpacked_bytes = 1 << 20;
        cfg.limits.max_archive_entries = 32;
        Analyser::new(cfg, None).expect("analyser")
    })
}

fuzz_target!(|data: &[u8]| {
    let a = analyser();
    let _ = a.analyse_bytes(data);
    if ww_mail::msg::is_ole(data)
        && let Ok(m) = ww_mail::msg::parse_msg("fuzz.msg", data, &a.config().limits)
    {
        let _ = a.analyse_mail(&m);
    }
    // The RAR and 7z header walkers, reached directly (a MIME attachment would need base64).
    let limits = &a.config().limits;
    let _ = ww_mail::archive_headers::rar_list(data, limits);
    let _ = ww_mail::archive_headers::seven_zip_list(data);
});
