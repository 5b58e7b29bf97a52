//! URL extraction from plain text and parsing of the parts the checks need.

/// A URL as found, with its host split out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub raw: String,
    /// Lower-cased host without port or brackets (empty for `data:`/`mailto:` and the like).
    pub host: String,
    /// `user@` part before the host, a classic disguise (`http://paypal.com@evil.example/`).
    pub userinfo: Option<String>,
    /// Path, query and fragment.
    pub rest: String,
    pub scheme: String,
}

/// Parse an absolute URL (http, https, ftp, or scheme-less `www.`). Others give `None`.
pub fn parse(raw: &str) -> Option<Url> {
    let t = raw.trim().trim_matches(['"', '\'', '<', '>']);
    let lower_prefix: String = t.chars().take(8).collect::<String>().to_ascii_lowercase();
    let (scheme, after) = if lower_prefix.starts_with("https://") {
        ("https", &t[8..])
    } else if lower_prefix.starts_with("http://") {
        ("http", &t[7..])
    } else if lower_prefix.starts_with("ftp://") {
        ("ftp", &t[6..])
    } else if lower_prefix.starts_with("www.") {
        ("http", t)
    } else {
        return None;
    };
    let after = after.trim_start_matches(['/', '\\']);
    let end = after.find(['/', '?', '#', '\\']).unwrap_or(after.len());
    let authority = &after[..end];
    let rest = after[end..].to_string();
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(p) => (Some(authority[..p].to_string()), &authority[p + 1..]),
        None => (None, authority),
    };
    let host = if hostport.starts_with('[') {
        hostport.split(']').next().unwrap_or("").trim_start_matches('[').to_string()
    } else {
        hostport.split(':').next().unwrap_or("").to_string()
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || !host.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-' || c == '_' || c == ':') {
        return None;
    }
    Some(Url { raw: t.to_string(), host, userinfo, rest, scheme: scheme.into() })
}

/// Every `http(s)://` / `www.` URL in free text, up to `max`.
pub fn find_in_text(text: &str, max: usize, out: &mut Vec<String>) {
    let b = text.as_bytes();
    let finder = memchr::memmem::Finder::new(b"://");
    let mut from = 0;
    for p in finder.find_iter(b) {
        if out.len() >= max {
            return;
        }
        if p < from {
            continue;
        }
        // walk back over the scheme
        let mut s = p;
        while s > 0 && b[s - 1].is_ascii_alphabetic() {
            s -= 1;
        }
        let scheme = &text[s..p];
        if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
            continue;
        }
        let e = url_end(b, p + 3);
        out.push(text[s..e].to_string());
        from = e;
    }
    // scheme-less www. links
    let w = memchr::memmem::Finder::new(b"www.");
    for p in w.find_iter(b) {
        if out.len() >= max {
            return;
        }
        if p > 0 && (b[p - 1] == b'/' || b[p - 1].is_ascii_alphanumeric() || b[p - 1] == b'.') {
            continue;
        }
        let e = url_end(b, p);
        if e > p + 5 {
            out.push(text[p..e].to_string());
        }
    }
}

fn url_end(b: &[u8], from: usize) -> usize {
    let mut e = from;
    while e < b.len() {
        let c = b[e];
        if c.is_ascii_whitespace()
            || matches!(c, b'<' | b'>' | b'"' | b'\'' | b'`' | b'{' | b'}' | b'|' | b'^')
            || c >= 0x80
        {
            break;
        }
        e += 1;
    }
    while e > from && matches!(b[e - 1], b'.' | b',' | b')' | b';' | b':' | b'!' | b'?' | b']') {
        e -= 1;
    }
    e
}

/// If link text itself names a host (`www.paypal.com`, `https://x.y/z`), that host.
pub fn host_in_text(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() || t.len() > 200 || t.contains(char::is_whitespace) {
        return None;
    }
    if let Some(u) = parse(t) {
        return Some(u.host);
    }
    // bare domain: letters, digits, dots, hyphens with at least one dot and an alphabetic TLD
    let t = t.trim_end_matches('/');
    if t.contains('.') && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') {
        let tld = t.rsplit('.').next().unwrap_or("");
        if tld.len() >= 2
            && tld.chars().all(|c| c.is_ascii_alphabetic())
            && psl::suffix_str(&t.to_ascii_lowercase()).is_some_and(|s| s.contains('.') || known_tld(s))
        {
            return Some(t.to_ascii_lowercase());
        }
    }
    None
}

fn known_tld(s: &str) -> bool {
    matches!(
        s,
        "com"
            | "net"
            | "org"
            | "uk"
            | "io"
            | "gov"
            | "edu"
            | "info"
            | "biz"
            | "co"
            | "us"
            | "de"
            | "fr"
            | "ru"
            | "cn"
            | "xyz"
            | "top"
            | "me"
            | "app"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_hosts_and_userinfo() {
        let u = parse("https://PayPal.com@evil.example:8080/login?x=1").unwrap();
        assert_eq!(u.host, "evil.example");
        assert_eq!(u.userinfo.as_deref(), Some("PayPal.com"));
        assert_eq!(u.rest, "/login?x=1");
        assert_eq!(parse("www.example.org/a").unwrap().host, "www.example.org");
        assert_eq!(parse("http://[2001:db8::1]/").unwrap().host, "2001:db8::1");
        assert!(parse("mailto:a@b.c").is_none());
        assert!(parse("javascript:alert(1)").is_none());
    }

    #[test]
    fn find_urls_in_text() {
        let mut v = Vec::new();
        find_in_text("see https://a.example/x, and www.b.example. Also ftp://c and http://d.example)", 10, &mut v);
        assert_eq!(v, vec!["https://a.example/x", "http://d.example", "www.b.example"]);
        let mut none = Vec::new();
        find_in_text("no links here", 10, &mut none);
        assert!(none.is_empty());
    }

    #[test]
    fn link_text_hosts() {
        assert_eq!(host_in_text("www.paypal.com").as_deref(), Some("www.paypal.com"));
        assert_eq!(host_in_text("paypal.com").as_deref(), Some("paypal.com"));
        assert_eq!(host_in_text("Click here"), None);
        assert_eq!(host_in_text("index.html"), None);
    }
}
