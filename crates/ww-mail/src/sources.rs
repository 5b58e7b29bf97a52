//! Where messages come from: `.eml` files, mbox files, Maildir folders and `.msg` files, with
//! directories walked recursively. Problems become `ww_core::Diagnostic`s, never panics.

use std::path::Path;
use std::sync::Arc;

use ww_core::{Diagnostic, Locator};

use crate::config::Limits;
use crate::model::Mail;

/// One message found in the input.
#[derive(Debug)]
pub enum Input {
    /// RFC 5322 bytes (an `.eml`, Maildir file or one mbox message).
    Rfc5322 { origin: String, bytes: Vec<u8> },
    /// An Outlook `.msg`, already parsed.
    Msg { origin: String, mail: Box<Mail> },
    /// Something that could not be read.
    Problem(Diagnostic),
}

/// Hard cap on a file we read into memory (mbox files larger than this are refused).
const MAX_FILE: u64 = 2 * 1024 * 1024 * 1024;

/// Walk `paths` and call `f` for each message, in a stable (sorted) order.
pub fn read_inputs(paths: &[impl AsRef<Path>], limits: &Limits, f: &mut dyn FnMut(Input)) {
    for p in paths {
        let p = p.as_ref();
        if p.is_dir() {
            let walker = walkdir::WalkDir::new(p).sort_by_file_name().follow_links(false);
            for e in walker {
                match e {
                    Ok(e) if e.file_type().is_file() => {
                        if e.file_name().to_string_lossy().starts_with('.') {
                            continue;
                        }
                        read_file(e.path(), limits, f)
                    }
                    Ok(_) => {}
                    Err(err) => f(Input::Problem(Diagnostic::error(
                        Arc::from(p.display().to_string()),
                        Locator::None,
                        err.to_string(),
                    ))),
                }
            }
        } else {
            read_file(p, limits, f);
        }
    }
}

/// Read one file: `.msg`/OLE, mbox (starts with `From `) or a single message.
pub fn read_file(path: &Path, limits: &Limits, f: &mut dyn FnMut(Input)) {
    let name = path.display().to_string();
    let file: Arc<str> = Arc::from(name.as_str());
    match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_FILE => {
            f(Input::Problem(Diagnostic::error(
                file,
                Locator::None,
                format!("{} bytes: larger than {MAX_FILE}", m.len()),
            )));
            return;
        }
        Err(e) => {
            f(Input::Problem(Diagnostic::error(file, Locator::None, e.to_string())));
            return;
        }
        _ => {}
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            f(Input::Problem(Diagnostic::error(file, Locator::None, e.to_string())));
            return;
        }
    };
    if crate::msg::is_ole(&bytes) {
        match crate::msg::parse_msg(&name, &bytes, limits) {
            Ok(mail) => f(Input::Msg { origin: name, mail: Box::new(mail) }),
            Err(e) => f(Input::Problem(Diagnostic::error(file, Locator::Offset { offset: 0 }, e.to_string()))),
        }
        return;
    }
    if bytes.starts_with(b"From ") {
        let parts = split_mbox(&bytes);
        let many = parts.len() > 1;
        for (i, (off, m)) in parts.into_iter().enumerate() {
            let origin = if many { format!("{name}#{}@{off}", i + 1) } else { name.clone() };
            f(Input::Rfc5322 { origin, bytes: m.to_vec() });
        }
        return;
    }
    f(Input::Rfc5322 { origin: name, bytes });
}

/// Split an mbox at `From ` lines that start the file or follow a blank line. Returns each
/// message's byte offset and bytes (still with its `From ` line, which the parser skips).
pub fn split_mbox(b: &[u8]) -> Vec<(usize, &[u8])> {
    let mut starts = vec![0usize];
    let finder = memchr::memmem::Finder::new(b"\nFrom ");
    for p in finder.find_iter(b) {
        let before = &b[..p];
        let blank = before.ends_with(b"\n") || before.ends_with(b"\n\r") || p == 0;
        if blank {
            starts.push(p + 1);
        }
    }
    let mut out = Vec::with_capacity(starts.len());
    for (i, &s) in starts.iter().enumerate() {
        let e = starts.get(i + 1).copied().unwrap_or(b.len());
        out.push((s, &b[s..e]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mbox_splits_on_from_lines_after_blank() {
        let m = b"From a@b Mon Jan 1 00:00:00 2024\nSubject: one\n\nbody\nFrom here on, text\n\nFrom c@d Mon Jan 1 00:00:00 2024\nSubject: two\n\nx\n";
        let p = split_mbox(m);
        assert_eq!(p.len(), 2);
        assert!(p[1].1.starts_with(b"From c@d"));
        assert_eq!(split_mbox(b"From x\n\nonly").len(), 1);
    }
}
