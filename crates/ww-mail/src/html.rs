//! A small, linear, non-validating HTML scanner: visible text, links with their text, forms,
//! password inputs, scripts and images. Phishing HTML is often malformed on purpose, so this
//! never fails; it only needs to see what a browser would act on.

/// What the checks need from an HTML document.
#[derive(Debug, Default, Clone)]
pub struct HtmlInfo {
    /// Visible text (tags removed, common entities decoded, scripts and styles dropped).
    pub text: String,
    /// `(href, link text)` for every `<a href>`.
    pub links: Vec<(String, String)>,
    /// Other URL-bearing attributes (img src, form action, iframe src, meta refresh).
    pub other_urls: Vec<String>,
    /// `action` of every `<form>` (empty string for a form without one).
    pub form_actions: Vec<String>,
    pub password_inputs: usize,
    pub text_inputs: usize,
    pub scripts: usize,
    /// Script source text, concatenated (bounded by the input size).
    pub script_text: String,
    pub images: usize,
    pub iframes: usize,
    pub meta_refresh: Option<String>,
    /// Elements styled invisible (`display:none`, zero font size) that contain text.
    pub hidden_text: bool,
}

fn lower_ascii(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_ascii_lowercase()
}

/// Attributes of a start tag body (`a href="x" class=y`), names lower-cased.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let b = tag.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // skip tag name
    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'/' {
        i += 1;
    }
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let ns = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'/' {
            i += 1;
        }
        if ns == i {
            i += 1;
            continue;
        }
        let name = tag[ns..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let vs = i + 1;
                let ve = memchr::memchr(q, &b[vs..]).map(|p| vs + p).unwrap_or(b.len());
                value = tag.get(vs..ve).unwrap_or("").to_string();
                i = ve + 1;
            } else {
                let vs = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                value = tag.get(vs..i).unwrap_or("").to_string();
            }
        }
        out.push((name, decode_entities(value.trim())));
    }
    out
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// Decode the handful of entities that matter for text and URLs.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let end = crate::parse::floor_char(rest, 12).find(';');
        match end {
            Some(e) => {
                let ent = &rest[1..e];
                let rep = match ent {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "nbsp" => Some(' '),
                    _ if ent.starts_with("#x") || ent.starts_with("#X") => {
                        u32::from_str_radix(&ent[2..], 16).ok().and_then(char::from_u32)
                    }
                    _ if ent.starts_with('#') => ent[1..].parse::<u32>().ok().and_then(char::from_u32),
                    _ => None,
                };
                match rep {
                    Some(c) => {
                        out.push(c);
                        rest = &rest[e + 1..];
                    }
                    None => {
                        out.push('&');
                        rest = &rest[1..];
                    }
                }
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Scan an HTML document.
pub fn scan(html: &str) -> HtmlInfo {
    let mut info = HtmlInfo::default();
    let b = html.as_bytes();
    let mut i = 0;
    let mut in_link: Option<(String, String)> = None;
    let mut hidden_depth: Option<String> = None;
    info.text.reserve(html.len() / 2);
    while i < b.len() {
        let Some(p) = memchr::memchr(b'<', &b[i..]) else {
            push_text(&mut info, &mut in_link, &html[i..], hidden_depth.is_some());
            break;
        };
        let lt = i + p;
        if lt > i {
            push_text(&mut info, &mut in_link, &html[i..lt], hidden_depth.is_some());
        }
        // comment
        if b[lt..].starts_with(b"<!--") {
            i = find(b, lt + 4, b"-->").map(|e| e + 3).unwrap_or(b.len());
            continue;
        }
        let gt = memchr::memchr(b'>', &b[lt..]).map(|e| lt + e).unwrap_or(b.len());
        let inner = html.get(lt + 1..gt).unwrap_or("");
        i = (gt + 1).min(b.len());
        let closing = inner.starts_with('/');
        let name_end = inner.find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>').unwrap_or(inner.len());
        let name = if closing {
            inner[1..].trim().to_ascii_lowercase()
        } else {
            inner[..name_end.max(if inner.starts_with('/') { 1 } else { 0 })].to_ascii_lowercase()
        };
        if closing {
            if name == "a"
                && let Some(l) = in_link.take()
            {
                info.links.push((l.0, l.1.trim().to_string()));
            }
            if let Some(h) = &hidden_depth
                && *h == name
            {
                hidden_depth = None;
            }
            // block-level tags separate words
            info.text.push(' ');
            continue;
        }
        match name.as_str() {
            "script" | "style" => {
                let close = if name == "script" { b"</script".as_slice() } else { b"</style".as_slice() };
                let end = find_ci(b, i, close).unwrap_or(b.len());
                if name == "script" {
                    info.scripts += 1;
                    info.script_text.push_str(html.get(i..end).unwrap_or(""));
                    if let Some(src) = attr(&attributes(inner), "src") {
                        info.other_urls.push(src.to_string());
                    }
                }
                i = memchr::memchr(b'>', &b[end.min(b.len())..]).map(|e| end + e + 1).unwrap_or(b.len());
                continue;
            }
            _ => {}
        }
        // Only tags we care about pay for attribute parsing.
        match name.as_str() {
            "a" => {
                let attrs = attributes(inner);
                if let Some(l) = in_link.take() {
                    info.links.push((l.0, l.1.trim().to_string()));
                }
                if let Some(h) = attr(&attrs, "href") {
                    in_link = Some((h.to_string(), String::new()));
                }
            }
            "form" => {
                let attrs = attributes(inner);
                info.form_actions.push(attr(&attrs, "action").unwrap_or("").to_string());
            }
            "input" => {
                let attrs = attributes(inner);
                match attr(&attrs, "type").map(|t| t.to_ascii_lowercase()).as_deref() {
                    Some("password") => info.password_inputs += 1,
                    Some("text") | Some("email") | None => info.text_inputs += 1,
                    _ => {}
                }
            }
            "img" => {
                info.images += 1;
                let attrs = attributes(inner);
                if let Some(s) = attr(&attrs, "src") {
                    info.other_urls.push(s.to_string());
                }
            }
            "iframe" => {
                info.iframes += 1;
                if let Some(s) = attr(&attributes(inner), "src") {
                    info.other_urls.push(s.to_string());
                }
            }
            "meta" => {
                let attrs = attributes(inner);
                if attr(&attrs, "http-equiv").is_some_and(|v| v.eq_ignore_ascii_case("refresh"))
                    && let Some(c) = attr(&attrs, "content")
                {
                    let lc = c.to_ascii_lowercase();
                    if let Some(p) = lc.find("url=") {
                        let u = c[p + 4..].trim().trim_matches(['\'', '"']).to_string();
                        info.other_urls.push(u.clone());
                        info.meta_refresh = Some(u);
                    }
                }
            }
            "br" | "p" | "div" | "tr" | "td" | "li" | "table" | "h1" | "h2" | "h3" => info.text.push(' '),
            _ => {}
        }
        if hidden_depth.is_none() && memchr::memmem::find(inner.as_bytes(), b"style").is_some() {
            let l = lower_ascii(inner.as_bytes()).replace(' ', "");
            if l.contains("display:none")
                || l.contains("font-size:0")
                || l.contains("visibility:hidden")
                || l.contains("text-indent:-9999")
            {
                hidden_depth = Some(name.clone());
            }
        }
    }
    if let Some(l) = in_link.take() {
        info.links.push((l.0, l.1.trim().to_string()));
    }
    info
}

fn push_text(info: &mut HtmlInfo, in_link: &mut Option<(String, String)>, raw: &str, hidden: bool) {
    let t = decode_entities(raw);
    if hidden {
        if t.chars().any(|c| c.is_alphanumeric()) {
            info.hidden_text = true;
        }
        return;
    }
    if let Some(l) = in_link.as_mut()
        && l.1.len() < 512
    {
        l.1.push_str(&t);
    }
    info.text.push_str(&t);
}

fn find(h: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from >= h.len() {
        return None;
    }
    memchr::memmem::find(&h[from..], needle).map(|p| from + p)
}

/// Case-insensitive search for an ASCII needle that starts with `<`.
fn find_ci(h: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let mut at = from;
    while at < h.len() {
        let p = memchr::memchr(b'<', &h[at..])? + at;
        if h.len() - p >= needle.len() && h[p..p + needle.len()].eq_ignore_ascii_case(needle) {
            return Some(p);
        }
        at = p + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_forms_and_text() {
        let h = r#"<html><body><p>Hello &amp; welcome</p><a href="http://1.2.3.4/x">www.paypal.com</a>
            <form action="https://evil.example/post"><input type=password name=p></form>
            <script>var x=atob('aGk=');</script><style>.a{}</style><img src="cid:1"></body></html>"#;
        let i = scan(h);
        assert!(i.text.contains("Hello & welcome"));
        assert!(!i.text.contains("atob"));
        assert_eq!(i.links, vec![("http://1.2.3.4/x".to_string(), "www.paypal.com".to_string())]);
        assert_eq!(i.form_actions, vec!["https://evil.example/post".to_string()]);
        assert_eq!(i.password_inputs, 1);
        assert_eq!(i.scripts, 1);
        assert!(i.script_text.contains("atob"));
        assert_eq!(i.images, 1);
    }

    #[test]
    fn plain_text_and_broken_markup() {
        let i = scan("just text < not a tag");
        assert!(i.links.is_empty() && i.form_actions.is_empty() && i.password_inputs == 0);
        let j = scan("<a href='x'>unterminated <b");
        assert_eq!(j.links.len(), 1);
        assert_eq!(decode_entities("&#x41;&#66;&bogus;"), "AB&bogus;");
    }

    #[test]
    fn hidden_text_detected() {
        assert!(scan("<div style=\"display: none\">buy now</div>").hidden_text);
        assert!(!scan("<div style=\"color:red\">hello</div>").hidden_text);
    }
}
