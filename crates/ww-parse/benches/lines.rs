//! Lines per second for each line parser, and for the whole driver on an in-memory file.
//! Run short: `cargo bench -p ww-parse --bench lines -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ww_core::{Diagnostic, Event, EventSink};
use ww_parse::access::parse_access_line;
use ww_parse::lines::{LineFormat, LineOptions, read_lines_with};
use ww_parse::syslog::{SyslogContext, parse_syslog_line};
use ww_parse::w3c::{W3cLine, W3cParser};

const ACCESS: &str = r#"203.0.113.77 - - [03/Mar/2024:06:33:02 +0000] "GET /wp-content/uploads/shell.php?cmd=id HTTP/1.1" 200 44 "https://www.council.example/" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Safari/537.36""#;
const SYSLOG_3164: &str =
    "Mar  3 06:31:46 fileserv01 sshd[20344]: Failed password for invalid user admin from 185.220.101.4 port 50022 ssh2";
const SYSLOG_5424: &str = r#"<86>1 2024-03-13T06:44:00.000Z fileserv01 sshd 20600 AUTHFAIL [meta@32473 src="185.220.101.4" user="root"] Failed publickey for root"#;
const W3C_FIELDS: &str = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";
const W3C: &str = "2024-03-03 06:00:01 10.0.4.20 GET /owa/auth/logon.aspx replaceCurrent=1&url=https%3a%2f%2fmail.council.example%2fowa%2f 443 - 81.2.69.160 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - 200 0 0 46";

/// Counts and drops, so the bench measures parsing, not a growing Vec.
struct Count(u64);
impl EventSink for Count {
    fn event(&mut self, e: Event) {
        self.0 += e.fields.len() as u64;
    }
    fn diagnostic(&mut self, _: Diagnostic) {}
}

fn parsers(c: &mut Criterion) {
    let ctx = SyslogContext::with_year(2024);
    let mut g = c.benchmark_group("line");
    g.throughput(Throughput::Elements(1));
    g.bench_function("access", |b| b.iter(|| parse_access_line(black_box(ACCESS))));
    g.bench_function("syslog_3164", |b| b.iter(|| parse_syslog_line(black_box(SYSLOG_3164), &ctx)));
    g.bench_function("syslog_5424", |b| b.iter(|| parse_syslog_line(black_box(SYSLOG_5424), &ctx)));
    let mut w = W3cParser::new();
    let _ = w.parse_line(W3C_FIELDS);
    g.bench_function("w3c", |b| b.iter(|| matches!(w.parse_line(black_box(W3C)), Ok(W3cLine::Event(..)))));
    g.finish();

    let mut g = c.benchmark_group("read_lines");
    const N: u64 = 10_000;
    g.throughput(Throughput::Elements(N));
    let opts = LineOptions::new(ctx);
    for (name, format, line, header) in [
        ("access", LineFormat::AccessLog, ACCESS, ""),
        ("syslog_3164", LineFormat::Syslog, SYSLOG_3164, ""),
        ("w3c", LineFormat::W3c, W3C, W3C_FIELDS),
    ] {
        let mut input = String::from(header);
        input.push('\n');
        for _ in 0..N {
            input.push_str(line);
            input.push('\n');
        }
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut sink = Count(0);
                read_lines_with(format, &opts, "bench".into(), input.as_bytes(), &mut sink).map(|s| s.events)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, parsers);
criterion_main!(benches);
