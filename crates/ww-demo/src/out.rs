//! Hand-rolled formatting into a byte buffer: the generator must produce over a million records
//! a second, which `format!` and `serde_json` cannot.

use chrono::{Datelike, NaiveDate};

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// A UTC instant broken into the parts every log format needs.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tp {
    pub year: u32,
    pub month: u32,
    pub day: u32,
    pub h: u32,
    pub m: u32,
    pub s: u32,
    pub ms: u32,
}

/// Converts epoch milliseconds to [`Tp`], caching the calendar date (it changes once a day).
#[derive(Debug, Default)]
pub(crate) struct Clock {
    day: i64,
    date: (u32, u32, u32),
    valid: bool,
}

impl Clock {
    pub fn parts(&mut self, ms: i64) -> Tp {
        let secs = ms.div_euclid(1000);
        let day = secs.div_euclid(86_400);
        if !self.valid || day != self.day {
            let d = NaiveDate::from_num_days_from_ce_opt(i32::try_from(day + 719_163).unwrap_or(1))
                .unwrap_or(NaiveDate::MIN);
            self.date = (u32::try_from(d.year()).unwrap_or(0), d.month(), d.day());
            self.day = day;
            self.valid = true;
        }
        let sod = u32::try_from(secs.rem_euclid(86_400)).unwrap_or(0);
        Tp {
            year: self.date.0,
            month: self.date.1,
            day: self.date.2,
            h: sod / 3600,
            m: sod / 60 % 60,
            s: sod % 60,
            ms: u32::try_from(ms.rem_euclid(1000)).unwrap_or(0),
        }
    }
}

/// A value inside a record: text, an IPv4 address or a number.
#[derive(Debug, Clone, Copy)]
pub(crate) enum V<'a> {
    S(&'a str),
    Ip(u32),
    N(u64),
}

pub(crate) struct Out<'b>(pub &'b mut Vec<u8>);

impl Out<'_> {
    #[inline]
    pub fn s(&mut self, s: &str) -> &mut Self {
        self.0.extend_from_slice(s.as_bytes());
        self
    }

    #[inline]
    pub fn n(&mut self, mut v: u64) -> &mut Self {
        let mut tmp = [0u8; 20];
        let mut i = tmp.len();
        loop {
            i -= 1;
            tmp[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.0.extend_from_slice(&tmp[i..]);
        self
    }

    /// Zero-padded to `width` digits.
    #[inline]
    pub fn z(&mut self, v: u32, width: usize) -> &mut Self {
        let mut tmp = [b'0'; 10];
        let mut x = v;
        for i in (0..width.min(10)).rev() {
            tmp[i] = b'0' + (x % 10) as u8;
            x /= 10;
        }
        self.0.extend_from_slice(&tmp[..width.min(10)]);
        self
    }

    pub fn ip(&mut self, ip: u32) -> &mut Self {
        let [a, b, c, d] = ip.to_be_bytes();
        self.n(a.into()).s(".").n(b.into()).s(".").n(c.into()).s(".").n(d.into())
    }

    pub fn v(&mut self, v: V<'_>) -> &mut Self {
        match v {
            V::S(s) => self.s(s),
            V::Ip(ip) => self.ip(ip),
            V::N(n) => self.n(n),
        }
    }

    /// `Mar  5 14:30:00` (RFC 3164: day padded with a space).
    pub fn ts3164(&mut self, t: &Tp) -> &mut Self {
        self.s(MONTHS[(t.month.clamp(1, 12) - 1) as usize]).s(" ");
        if t.day < 10 {
            self.s(" ");
        }
        self.n(t.day.into()).s(" ").z(t.h, 2).s(":").z(t.m, 2).s(":").z(t.s, 2)
    }

    /// `2025-03-05T14:30:00.123Z`.
    pub fn iso(&mut self, t: &Tp) -> &mut Self {
        self.z(t.year, 4).s("-").z(t.month, 2).s("-").z(t.day, 2).s("T");
        self.z(t.h, 2).s(":").z(t.m, 2).s(":").z(t.s, 2).s(".").z(t.ms, 3).s("Z")
    }

    /// `05/Mar/2025:14:30:00 +0000` (access log, without brackets).
    pub fn clf(&mut self, t: &Tp) -> &mut Self {
        self.z(t.day, 2).s("/").s(MONTHS[(t.month.clamp(1, 12) - 1) as usize]).s("/").z(t.year, 4);
        self.s(":").z(t.h, 2).s(":").z(t.m, 2).s(":").z(t.s, 2).s(" +0000")
    }

    /// A JSON string literal (quotes included).
    pub fn js(&mut self, s: &str) -> &mut Self {
        self.0.push(b'"');
        let bytes = s.as_bytes();
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let esc: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0..0x20 => b"\\u0020",
                _ => continue,
            };
            self.0.extend_from_slice(&bytes[start..i]);
            if b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t') {
                self.0.extend_from_slice(b"\\u00");
                self.0.push(b"0123456789abcdef"[usize::from(b >> 4)]);
                self.0.push(b"0123456789abcdef"[usize::from(b & 15)]);
            } else {
                self.0.extend_from_slice(esc);
            }
            start = i + 1;
        }
        self.0.extend_from_slice(&bytes[start..]);
        self.0.push(b'"');
        self
    }

    /// A JSON string literal holding `v`.
    pub fn jv(&mut self, v: V<'_>) -> &mut Self {
        match v {
            V::S(s) => self.js(s),
            other => {
                self.0.push(b'"');
                self.v(other);
                self.0.push(b'"');
                self
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn formats_match_chrono() {
        let mut clock = Clock::default();
        for ms in [0i64, 1_741_185_000_123, 1_709_251_199_999, 951_782_400_000] {
            let t = Utc.timestamp_millis_opt(ms).single().unwrap();
            let tp = clock.parts(ms);
            let mut buf = Vec::new();
            Out(&mut buf).iso(&tp).s("|").clf(&tp).s("|").ts3164(&tp);
            let want = format!(
                "{}|{}|{}",
                t.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
                t.format("%d/%b/%Y:%H:%M:%S +0000"),
                t.format("%b %e %H:%M:%S")
            );
            assert_eq!(String::from_utf8(buf).unwrap(), want);
        }
    }

    #[test]
    fn json_strings_escape() {
        let mut buf = Vec::new();
        Out(&mut buf).js("C:\\x \"q\"\n\u{1}");
        let s = String::from_utf8(buf).unwrap();
        assert_eq!(serde_json::from_str::<String>(&s).unwrap(), "C:\\x \"q\"\n\u{1}");
    }
}
