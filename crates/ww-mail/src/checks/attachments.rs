//! Attachment checks, typed by content: executables, scripts, LNK, disk images, macros, HTML
//! smuggling and credential forms, encrypted archives and archives holding any of these.

use super::Ctx;
use crate::archive_headers;
use crate::filetype::{self, DOC_EXT, EXEC_EXT, Kind, Listing, SCRIPT_EXT, ext};
use crate::html;
use crate::reason::Reasons;

pub fn attachments(ctx: &Ctx, r: &mut Reasons) {
    for (i, a) in ctx.mail.attachments.iter().enumerate() {
        let name = a.name.clone().unwrap_or_else(|| format!("part{i}"));
        one(ctx, r, &name, &a.content_type, &a.data, true);
    }
}

/// Inspect one file; `top` is false inside an archive (no further unpacking).
fn one(ctx: &Ctx, r: &mut Reasons, name: &str, ctype: &str, data: &[u8], top: bool) {
    let kind = filetype::sniff(data);
    let e = ext(name);
    double_extension(r, name);
    match kind {
        Kind::Executable => r.add("ATTACHMENT_EXECUTABLE", format!("{name} (executable content)")),
        Kind::Lnk => r.add("ATTACHMENT_LNK", name.to_string()),
        Kind::DiskImage => r.add("ATTACHMENT_DISK_IMAGE", name.to_string()),
        Kind::Ole => match filetype::ole_has_vba(data) {
            Ok(true) => r.add("ATTACHMENT_MACRO", name.to_string()),
            Ok(false) => {}
            Err(err) => r.add("UNPARSEABLE_PART", format!("{name}: OLE file unreadable: {err}")),
        },
        Kind::Zip => archive(ctx, r, name, "zip", filetype::zip_list(data, &ctx.cfg.limits), top),
        // Listed from their headers only (names, encryption); their contents are not unpacked.
        Kind::Rar => archive(ctx, r, name, "RAR", archive_headers::rar_list(data, &ctx.cfg.limits), top),
        Kind::SevenZip => archive(ctx, r, name, "7z", archive_headers::seven_zip_list(data), top),
        Kind::Html | Kind::Svg => html_file(ctx, r, name, data),
        _ => {}
    }
    if matches!(kind, Kind::Other) {
        if SCRIPT_EXT.contains(&e.as_str()) {
            r.add("ATTACHMENT_SCRIPT", name.to_string());
        } else if matches!(e.as_str(), "iso" | "img" | "vhd" | "vhdx") {
            r.add("ATTACHMENT_DISK_IMAGE", name.to_string());
        } else if matches!(e.as_str(), "htm" | "html" | "shtml" | "xhtml" | "svg") || ctype == "text/html" {
            html_file(ctx, r, name, data);
        }
    }
    // Claimed harmless type, dangerous content.
    if DOC_EXT.contains(&e.as_str())
        && e != "zip"
        && matches!(kind, Kind::Executable | Kind::Lnk | Kind::Html | Kind::Svg)
    {
        r.add("ATTACHMENT_TYPE_MISMATCH", format!("{name} is {kind:?}"));
    }
}

fn double_extension(r: &mut Reasons, name: &str) {
    let n = name.trim().to_ascii_lowercase();
    let parts: Vec<&str> = n.rsplitn(3, '.').collect();
    if parts.len() == 3 {
        let (last, prev) = (parts[0], parts[1]);
        if EXEC_EXT.contains(&last) && DOC_EXT.contains(&prev) {
            r.add("ATTACHMENT_DOUBLE_EXTENSION", name.to_string());
        }
    }
    if n.contains("      .") || n.contains('\u{202e}') {
        r.add("ATTACHMENT_DOUBLE_EXTENSION", format!("{name} (padding or right-to-left override)"));
    }
}

/// An archive's listing: macros (OOXML), limits, encryption, and at the top level the risky
/// entries, inspected in turn where their content could be read (zip).
fn archive(ctx: &Ctx, r: &mut Reasons, name: &str, format: &str, listing: Listing, top: bool) {
    if listing.encrypted_headers {
        r.add("ATTACHMENT_ENCRYPTED_ARCHIVE", format!("{name} ({format}, names encrypted)"));
        return;
    }
    if let Some(err) = &listing.error
        && listing.entries.is_empty()
    {
        r.add("UNPARSEABLE_PART", format!("{name}: {format} unreadable: {err}"));
        return;
    }
    if listing.entries.iter().any(|e| e.name.to_ascii_lowercase().ends_with("vbaproject.bin")) {
        r.add("ATTACHMENT_MACRO", name.to_string());
        return;
    }
    let ooxml = listing.entries.iter().any(|e| e.name == "[Content_Types].xml");
    if ooxml {
        return;
    }
    if let Some(l) = &listing.limit {
        r.add("ATTACHMENT_ARCHIVE_LIMIT", format!("{name}: {l}"));
    }
    if listing.entries.iter().any(|e| e.encrypted) {
        r.add("ATTACHMENT_ENCRYPTED_ARCHIVE", name.to_string());
    }
    if !top {
        return;
    }
    for e in &listing.entries {
        let inner = format!("{name}/{}", e.name);
        let ie = ext(&e.name);
        let kind = if e.head.is_empty() { Kind::Other } else { filetype::sniff(&e.head) };
        let risky = EXEC_EXT.contains(&ie.as_str())
            || matches!(kind, Kind::Executable | Kind::Lnk | Kind::DiskImage)
            || (matches!(ie.as_str(), "htm" | "html" | "svg" | "shtml") || matches!(kind, Kind::Html | Kind::Svg));
        if risky {
            r.add("ATTACHMENT_ARCHIVE_RISKY", inner.clone());
        }
        if !e.body.is_empty() {
            one(ctx, r, &inner, "application/octet-stream", &e.body, false);
        }
    }
}

/// HTML or SVG file: smuggling (script-built payloads) and credential forms.
fn html_file(ctx: &Ctx, r: &mut Reasons, name: &str, data: &[u8]) {
    r.add("ATTACHMENT_HTML", name.to_string());
    let max = ctx.cfg.limits.max_html_bytes.min(data.len());
    let text = String::from_utf8_lossy(&data[..max]);
    let info = html::scan(&text);
    let script = info.script_text.to_ascii_lowercase();
    let markers = [
        "atob(",
        "createobjecturl",
        "mssaveoropenblob",
        "new blob",
        "fromcharcode",
        "unescape(",
        "eval(",
        "document.write(",
        "decodeuricomponent(",
        "crypto-js",
        "cryptojs",
    ];
    let found: Vec<&str> = markers.iter().copied().filter(|m| script.contains(m)).collect();
    let long_b64 = longest_base64_run(text.as_bytes()) >= 2048;
    if !found.is_empty() || long_b64 {
        let mut ev = found.join(", ");
        if long_b64 {
            if !ev.is_empty() {
                ev.push_str(", ");
            }
            ev.push_str("large base64 blob");
        }
        r.add("ATTACHMENT_HTML_SMUGGLING", format!("{name}: {ev}"));
    }
    let ext_action = info.form_actions.iter().any(|a| crate::urls::parse(a).is_some());
    if info.password_inputs > 0 || ext_action || (info.text_inputs > 0 && !info.form_actions.is_empty()) {
        r.add(
            "ATTACHMENT_HTML_FORM",
            format!("{name}: {} password field(s), {} form(s)", info.password_inputs, info.form_actions.len()),
        );
    } else if let Some(u) = &info.meta_refresh {
        r.add("ATTACHMENT_HTML_FORM", format!("{name}: redirects to {u}"));
    } else if script.contains("window.location")
        || script.contains("location.href")
        || script.contains("location.replace")
    {
        r.add("ATTACHMENT_HTML_FORM", format!("{name}: script redirect"));
    }
}

fn longest_base64_run(b: &[u8]) -> usize {
    let (mut best, mut cur) = (0, 0);
    for &c in b {
        if c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'=' {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}
