//! A synthetic but realistic day at a council, for `wardwatch demo` and the server benchmarks.
//!
//! Everything is made up: "Wardshire District Council" (`wardshire.gov.uk`), its staff, hosts and
//! addresses. Attackers use the documentation ranges (192.0.2.0/24, 198.51.100.0/24,
//! 203.0.113.0/24), which background traffic never uses.
//!
//! [`generate`] yields exactly `events` records over 24 hours from `start`, deterministic for a
//! seed: mostly background noise (firewall allows and denies, staff logins over SSH, VPN and
//! webmail, citizens on the website, Windows logons and ordinary processes), and, when
//! `scenarios` is on, the attacks of [`Scenario::ALL`] at fixed times of the day.
//!
//! Wire shapes ([`Channel::transport`]):
//! - Windows: one Winlogbeat-shaped JSON document per record (`@timestamp`, `host.name`,
//!   `winlog.{channel, provider_name, event_id, computer_name, record_id, event_data | user_data}`)
//!   for the Elasticsearch-style `_bulk` endpoint; `ww_parse::winjson::flatten_json` turns it into
//!   the Sigma field names.
//! - Everything else: one syslog line (no newline) for syslog over TCP: firewall (netfilter via
//!   `kernel`) and sshd as RFC 3164, VPN (`ocserv`) and webmail (`roundcube`) as RFC 5424, and the
//!   web server's access log as nginx sends it with `access_log syslog:`: an RFC 3164 header
//!   (`nginx:` tag) followed by a combined-format line, which `ww_parse::access::parse_access_line`
//!   reads (it unwraps the syslog header).

mod out;
mod scenario;

use chrono::DateTime;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use ww_core::time::Timestamp;

use out::{Clock, Out, Tp, V};
pub use scenario::Scenario;

/// The log source a record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Firewall,
    Sshd,
    Vpn,
    Webmail,
    WebAccess,
    Windows,
}

/// How a record reaches wardwatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// One syslog line per record (octet-counted or newline-framed by the sender).
    SyslogTcp,
    /// One JSON document per record, for the `_bulk` endpoint.
    Bulk,
}

impl Channel {
    pub const ALL: [Channel; 6] =
        [Channel::Firewall, Channel::Sshd, Channel::Vpn, Channel::Webmail, Channel::WebAccess, Channel::Windows];

    pub fn transport(self) -> Transport {
        match self {
            Channel::Windows => Transport::Bulk,
            _ => Transport::SyslogTcp,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Firewall => "firewall",
            Channel::Sshd => "sshd",
            Channel::Vpn => "vpn",
            Channel::Webmail => "webmail",
            Channel::WebAccess => "web_access",
            Channel::Windows => "windows",
        }
    }

    /// Share of background records, in parts per thousand.
    fn weight(self) -> u32 {
        match self {
            Channel::Firewall => 350,
            Channel::Sshd => 30,
            Channel::Vpn => 50,
            Channel::Webmail => 70,
            Channel::WebAccess => 250,
            Channel::Windows => 250,
        }
    }
}

/// One generated record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoRecord {
    pub at: Timestamp,
    pub channel: Channel,
    /// A syslog line (no newline) or a JSON document, per [`Channel::transport`].
    pub bytes: Vec<u8>,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoConfig {
    pub seed: u64,
    /// Start of the day; records span the 24 hours after it.
    pub start: Timestamp,
    /// Records in total (scenarios included).
    pub events: u64,
    /// The sources this tenant has; records of other channels (and scenarios that need them)
    /// are not generated. Empty means all.
    pub channels: Vec<Channel>,
    /// Include the attack scenarios; off gives background noise only.
    pub scenarios: bool,
}

impl DemoConfig {
    /// All channels, scenarios on.
    pub fn new(seed: u64, start: Timestamp, events: u64) -> Self {
        DemoConfig { seed, start, events, channels: Vec::new(), scenarios: true }
    }
}

const DAY_MS: i64 = 86_400_000;

/// The records of the configured day, in time order.
pub fn generate(cfg: DemoConfig) -> Generator {
    Generator::new(cfg)
}

/// The iterator [`generate`] returns.
pub struct Generator {
    rng: SmallRng,
    clock: Clock,
    start_ms: i64,
    events: u64,
    emitted: u64,
    background: u64,
    /// Cumulative weights of the enabled channels.
    weights: Vec<(u32, Channel)>,
    total_weight: u32,
    /// Pre-rendered scenario records, in time order, and the next one to emit.
    scenario: Vec<DemoRecord>,
    next_scenario: usize,
    record_id: u64,
}

impl Generator {
    fn new(cfg: DemoConfig) -> Self {
        let enabled: Vec<Channel> =
            Channel::ALL.iter().copied().filter(|c| cfg.channels.is_empty() || cfg.channels.contains(c)).collect();
        let mut weights = Vec::new();
        let mut total = 0;
        for c in &enabled {
            total += c.weight();
            weights.push((total, *c));
        }
        let start_ms = cfg.start.timestamp_millis();
        let scenario = if cfg.scenarios { scenario::render(cfg.seed, start_ms, &enabled) } else { Vec::new() };
        Generator {
            rng: SmallRng::seed_from_u64(cfg.seed),
            clock: Clock::default(),
            start_ms,
            events: cfg.events,
            emitted: 0,
            background: 0,
            weights,
            total_weight: total,
            scenario,
            next_scenario: 0,
            record_id: 1,
        }
    }

    /// Background records share the day evenly with the scenario records counted out.
    fn background_ms(&self) -> i64 {
        let slots = self.events.saturating_sub(self.scenario.len() as u64).max(1);
        let step = DAY_MS as f64 / slots as f64;
        self.start_ms + (self.background as f64 * step) as i64
    }

    fn background(&mut self, ms: i64) -> DemoRecord {
        let pick = self.rng.random_range(0..self.total_weight.max(1));
        let channel = self.weights.iter().find(|(w, _)| pick < *w).map_or(Channel::Firewall, |(_, c)| *c);
        let tp = self.clock.parts(ms);
        let mut bytes = Vec::with_capacity(if channel == Channel::Windows { 640 } else { 256 });
        let rng = &mut self.rng;
        match channel {
            Channel::Firewall => bg_firewall(rng, &tp, &mut bytes),
            Channel::Sshd => bg_sshd(rng, &tp, &mut bytes),
            Channel::Vpn => bg_vpn(rng, &tp, &mut bytes),
            Channel::Webmail => bg_webmail(rng, &tp, &mut bytes),
            Channel::WebAccess => bg_web(rng, &tp, &mut bytes),
            Channel::Windows => {
                self.record_id += 1;
                bg_windows(rng, &tp, self.record_id, &mut bytes)
            }
        }
        DemoRecord { at: at(ms), channel, bytes }
    }
}

fn at(ms: i64) -> Timestamp {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

impl Iterator for Generator {
    type Item = DemoRecord;

    fn next(&mut self) -> Option<DemoRecord> {
        if self.emitted >= self.events || self.weights.is_empty() {
            return None;
        }
        self.emitted += 1;
        let bg_ms = self.background_ms();
        if let Some(s) = self.scenario.get(self.next_scenario)
            && s.at.timestamp_millis() <= bg_ms
        {
            self.next_scenario += 1;
            return Some(std::mem::replace(
                &mut self.scenario[self.next_scenario - 1],
                DemoRecord { at: DateTime::UNIX_EPOCH, channel: Channel::Firewall, bytes: Vec::new() },
            ));
        }
        self.background += 1;
        Some(self.background(bg_ms))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.events - self.emitted).unwrap_or(usize::MAX);
        if self.weights.is_empty() { (0, Some(0)) } else { (left, Some(left)) }
    }
}

// ---- shared vocabulary ----------------------------------------------------------------------

pub(crate) const DOMAIN: &str = "wardshire.gov.uk";

pub(crate) const USERS: [&str; 40] = [
    "a.patel",
    "j.smith",
    "k.morgan",
    "r.evans",
    "s.khan",
    "m.jones",
    "l.williams",
    "d.brown",
    "h.taylor",
    "c.hughes",
    "p.davies",
    "e.thomas",
    "g.roberts",
    "n.walker",
    "o.wright",
    "t.hall",
    "b.green",
    "f.lewis",
    "i.clarke",
    "v.wood",
    "w.harris",
    "y.martin",
    "z.ahmed",
    "a.cooper",
    "j.ward",
    "k.turner",
    "r.phillips",
    "s.parker",
    "m.edwards",
    "l.collins",
    "d.stewart",
    "h.morris",
    "c.rogers",
    "p.reed",
    "e.cook",
    "g.bell",
    "n.murphy",
    "o.bailey",
    "t.rivera",
    "b.price",
];

const PUBLIC_FIRST_OCTETS: [u32; 12] = [31, 51, 62, 81, 86, 90, 109, 146, 176, 185, 212, 217];

pub(crate) fn ipv4(a: u32, b: u32, c: u32, d: u32) -> u32 {
    (a << 24) | (b << 16) | (c << 8) | d
}

fn public_ip(rng: &mut SmallRng) -> u32 {
    let a = PUBLIC_FIRST_OCTETS[rng.random_range(0..PUBLIC_FIRST_OCTETS.len())];
    ipv4(a, rng.random_range(0..256), rng.random_range(0..256), rng.random_range(1..255))
}

/// Workstation n (0..200): its name and address.
pub(crate) fn workstation(n: u32) -> ([u8; 7], u32) {
    let mut name = *b"WS-0000";
    name[4] = b'0' + (n / 100 % 10) as u8 + 1;
    name[5] = b'0' + (n / 10 % 10) as u8;
    name[6] = b'0' + (n % 10) as u8;
    (name, ipv4(10, 10, n / 250, n % 250 + 10))
}

fn pick<'a, T>(rng: &mut SmallRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

pub(crate) fn syslog3164(o: &mut Out<'_>, pri: u32, t: &Tp, host: &str, app: &str, pid: u64) {
    o.s("<").n(pri.into()).s(">").ts3164(t).s(" ").s(host).s(" ").s(app).s("[").n(pid).s("]: ");
}

pub(crate) fn syslog5424(o: &mut Out<'_>, pri: u32, t: &Tp, host: &str, app: &str, pid: u64) {
    o.s("<").n(pri.into()).s(">1 ").iso(t).s(" ").s(host).s(".").s(DOMAIN).s(" ").s(app).s(" ").n(pid).s(" - - ");
}

/// `[FW-DROP] IN=eth0 OUT= SRC=.. DST=.. LEN=.. PROTO=TCP SPT=.. DPT=.. SYN`
pub(crate) fn firewall_line(o: &mut Out<'_>, t: &Tp, action: &str, src: u32, dst: u32, spt: u32, dpt: u32) {
    syslog3164(o, 4, t, "fw01", "kernel", 0);
    // kernel lines carry no pid: drop the "[0]" written above.
    o.0.truncate(o.0.len() - 5);
    o.s(": [").s(action).s("] IN=eth0 OUT=eth1 SRC=").ip(src).s(" DST=").ip(dst);
    o.s(" LEN=60 TOS=0x00 TTL=52 PROTO=TCP SPT=").n(spt.into()).s(" DPT=").n(dpt.into()).s(" SYN");
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn access_line(
    o: &mut Out<'_>,
    t: &Tp,
    client: u32,
    method: &str,
    target: &[&str],
    status: u32,
    bytes: u64,
    ua: &str,
) {
    syslog3164(o, 190, t, "web01", "nginx", 0);
    o.0.truncate(o.0.len() - 5);
    o.s(": ").ip(client).s(" - - [").clf(t).s("] \"").s(method).s(" ");
    for part in target {
        o.s(part);
    }
    o.s(" HTTP/1.1\" ").n(status.into()).s(" ").n(bytes).s(" \"-\" \"").s(ua).s("\"");
}

/// A Winlogbeat-shaped document. `user_data` puts the data under `winlog.user_data` (1102).
#[allow(clippy::too_many_arguments)]
pub(crate) fn win_doc(
    o: &mut Out<'_>,
    t: &Tp,
    computer: &str,
    channel: &str,
    provider: &str,
    event_id: u32,
    record_id: u64,
    data: &[(&str, V<'_>)],
    user_data: bool,
) {
    o.s("{\"@timestamp\":\"").iso(t).s("\",\"host\":{\"name\":\"").s(computer).s("\"},\"winlog\":{\"channel\":");
    o.js(channel).s(",\"provider_name\":").js(provider).s(",\"event_id\":").n(event_id.into());
    o.s(",\"computer_name\":\"").s(computer).s(".").s(DOMAIN).s("\",\"record_id\":").n(record_id);
    o.s(if user_data { ",\"user_data\":{" } else { ",\"event_data\":{" });
    for (i, (k, v)) in data.iter().enumerate() {
        if i > 0 {
            o.s(",");
        }
        o.js(k).s(":").jv(*v);
    }
    o.s("}}}");
}

// ---- background -----------------------------------------------------------------------------

const COUNCIL_NET: u32 = (198 << 24) | (18 << 16) | (44 << 8);

fn bg_firewall(rng: &mut SmallRng, t: &Tp, buf: &mut Vec<u8>) {
    let o = &mut Out(buf);
    let r = rng.random_range(0..100);
    let spt = rng.random_range(1024..65535);
    if r < 75 {
        // Staff browsing out.
        let (_, src) = workstation(rng.random_range(0..200));
        let dpt = *pick(rng, &[443, 443, 443, 80, 53, 123]);
        firewall_line(o, t, "FW-ACCEPT", src, public_ip(rng), spt, dpt);
    } else if r < 90 {
        // Citizens reaching the website and mail.
        let dpt = *pick(rng, &[443, 443, 80, 25]);
        firewall_line(o, t, "FW-ACCEPT", public_ip(rng), COUNCIL_NET | 10, spt, dpt);
    } else {
        // Internet background radiation.
        let dpt = *pick(rng, &[23, 22, 445, 3389, 8080, 1433, 5900, 6379, 81, 8443]);
        firewall_line(o, t, "FW-DROP", public_ip(rng), COUNCIL_NET | rng.random_range(1..255), spt, dpt);
    }
}

fn bg_sshd(rng: &mut SmallRng, t: &Tp, buf: &mut Vec<u8>) {
    let o = &mut Out(buf);
    let pid = rng.random_range(1000..60000);
    let host = *pick(rng, &["bastion01", "app01", "db01"]);
    syslog3164(o, 38, t, host, "sshd", pid);
    let admin = *pick(rng, &["deploy", "ansible", "r.evans", "s.khan"]);
    let src = ipv4(10, 0, 5, rng.random_range(10..40));
    let port = rng.random_range(40000..65000);
    match rng.random_range(0..100) {
        0..55 => o.s("Accepted publickey for ").s(admin).s(" from ").ip(src).s(" port ").n(port).s(" ssh2"),
        55..90 => o.s("pam_unix(sshd:session): session closed for user ").s(admin),
        90..97 => o.s("Received disconnect from ").ip(src).s(" port ").n(port).s(":11: disconnected by user"),
        _ => o.s("Failed password for ").s(admin).s(" from ").ip(src).s(" port ").n(port).s(" ssh2"),
    };
}

fn bg_vpn(rng: &mut SmallRng, t: &Tp, buf: &mut Vec<u8>) {
    let o = &mut Out(buf);
    syslog5424(o, 86, t, "vpn01", "ocserv", rng.random_range(500..900));
    let user = *pick(rng, &USERS);
    let ip = public_ip(rng);
    match rng.random_range(0..100) {
        0..60 => o.s("sec-mod: user=").s(user).s(" rhost=").ip(ip).s(" authenticated"),
        60..97 => o.s("main: user=").s(user).s(" rhost=").ip(ip).s(" user disconnected (reason: user initiated)"),
        _ => o.s("sec-mod: failed authentication for user=").s(user).s(" rhost=").ip(ip),
    };
}

fn bg_webmail(rng: &mut SmallRng, t: &Tp, buf: &mut Vec<u8>) {
    let o = &mut Out(buf);
    syslog5424(o, 22, t, "mail01", "roundcube", rng.random_range(2000..9000));
    let user = *pick(rng, &USERS);
    let ip = public_ip(rng);
    let session = rng.random::<u64>();
    if rng.random_range(0..100) < 97 {
        o.s("Successful login for ").s(user).s(" (ID: ").n(rng.random_range(1..400)).s(") from ").ip(ip);
    } else {
        o.s("Failed login for ").s(user).s(" from ").ip(ip);
    }
    o.s(" in session ").n(session).s(" (error: 0)");
}

const BROWSERS: [&str; 5] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
];

fn bg_web(rng: &mut SmallRng, t: &Tp, buf: &mut Vec<u8>) {
    let o = &mut Out(buf);
    let client = public_ip(rng);
    let ua = *pick(rng, &BROWSERS);
    let mut num = [0u8; 20];
    let r = rng.random_range(0..1000);
    let (target, status, bytes): (&[&str], u32, u64) = match r {
        0..150 => (&["/"], 200, 18_230),
        150..350 => (&[*pick(rng, &["/assets/css/site.css", "/assets/js/app.js", "/favicon.ico"])], 304, 0),
        350..480 => {
            let pc = *pick(rng, &["WD1+2AB", "WD3+7QP", "WD7+1LN", "WD12+9HX"]);
            (&["/bins/collection-day?postcode=", pc], 200, 6_102)
        }
        480..560 => (&["/council-tax/pay"], 200, 9_870),
        560..640 => {
            (&["/planning/applications?ref=WD%2F2025%2F0", digits(&mut num, rng.random_range(100..999))], 200, 12_400)
        }
        640..700 => (&["/parking/permits"], 200, 7_301),
        700..705 => (&["/appeals/", digits(&mut num, rng.random_range(10_001..19_999))], 200, 2_311),
        705..780 => (
            &["/search?q=", *pick(rng, &["library+opening+hours", "recycling+centre", "council+tax+bands"])],
            200,
            8_120,
        ),
        780..850 => (&[*pick(rng, &["/news", "/jobs", "/contact-us", "/events"])], 200, 10_200),
        850..950 => (&["/wp-login.php"], 404, 153),
        _ => (&["/robots.txt"], 200, 120),
    };
    let method = if (480..485).contains(&r) { "POST" } else { "GET" };
    access_line(o, t, client, method, target, status, bytes, ua);
}

/// Decimal text of `v` in `buf`.
pub(crate) fn digits(buf: &mut [u8; 20], mut v: u64) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 || i == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[i..]).unwrap_or("0")
}

pub(crate) const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";
pub(crate) const SYSMON_P: &str = "Microsoft-Windows-Sysmon";
pub(crate) const SEC_P: &str = "Microsoft-Windows-Security-Auditing";

const NORMAL_PROCS: [(&str, &str, &str); 6] = [
    (
        r"C:\Program Files\Google\Chrome\Application\chrome.exe",
        r"C:\Windows\explorer.exe",
        r#""C:\Program Files\Google\Chrome\Application\chrome.exe""#,
    ),
    (
        r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE",
        r"C:\Windows\explorer.exe",
        r#""C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE""#,
    ),
    (
        r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
        r"C:\Windows\explorer.exe",
        r#""C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE" /n "\\fs01\planning\report.docx""#,
    ),
    (
        r"C:\Windows\splwow64.exe",
        r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
        r"C:\Windows\splwow64.exe 8192",
    ),
    (
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        r"C:\Windows\System32\gpscript.exe",
        r"powershell.exe -NoProfile -ExecutionPolicy Bypass -File \\wardshire.gov.uk\NETLOGON\map-drives.ps1",
    ),
    (
        r"C:\Windows\System32\svchost.exe",
        r"C:\Windows\System32\services.exe",
        r"C:\Windows\system32\svchost.exe -k netsvcs -p",
    ),
];

fn bg_windows(rng: &mut SmallRng, t: &Tp, record_id: u64, buf: &mut Vec<u8>) {
    let o = &mut Out(buf);
    let (name, ip) = workstation(rng.random_range(0..200));
    let computer = std::str::from_utf8(&name).unwrap_or("WS-0100");
    let user = *pick(rng, &USERS);
    let logon_id = rng.random::<u32>();
    let mut lid = [0u8; 20];
    let lid = digits(&mut lid, logon_id.into());
    match rng.random_range(0..1000) {
        0..400 => {
            let lt = *pick(rng, &["2", "3", "3", "3", "7", "11"]);
            let data = [
                ("SubjectUserSid", V::S("S-1-5-18")),
                ("TargetUserName", V::S(user)),
                ("TargetDomainName", V::S("WARDSHIRE")),
                ("TargetLogonId", V::S(lid)),
                ("LogonType", V::S(lt)),
                ("AuthenticationPackageName", V::S("Kerberos")),
                ("WorkstationName", V::S(computer)),
                ("IpAddress", V::Ip(ip)),
                ("IpPort", V::N(rng.random_range(49152..65535))),
            ];
            win_doc(o, t, "DC01", "Security", SEC_P, 4624, record_id, &data, false);
        }
        400..550 => {
            let data = [("TargetUserName", V::S(user)), ("TargetLogonId", V::S(lid)), ("LogonType", V::S("3"))];
            win_doc(o, t, computer, "Security", SEC_P, 4634, record_id, &data, false);
        }
        550..700 => {
            let (image, parent, cmd) = *pick(rng, &NORMAL_PROCS);
            let data = [
                ("ProcessId", V::N(rng.random_range(1000..30000))),
                ("Image", V::S(image)),
                ("CommandLine", V::S(cmd)),
                ("User", V::S(user)),
                ("ParentImage", V::S(parent)),
            ];
            win_doc(o, t, computer, SYSMON, SYSMON_P, 1, record_id, &data, false);
        }
        700..800 => {
            let (image, parent, cmd) = *pick(rng, &NORMAL_PROCS);
            let data = [
                ("SubjectUserName", V::S(user)),
                ("SubjectDomainName", V::S("WARDSHIRE")),
                ("NewProcessName", V::S(image)),
                ("CommandLine", V::S(cmd)),
                ("ParentProcessName", V::S(parent)),
            ];
            win_doc(o, t, computer, "Security", SEC_P, 4688, record_id, &data, false);
        }
        800..850 => {
            let data = [
                ("SourceImage", V::S(r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24030\MsMpEng.exe")),
                ("TargetImage", V::S(r"C:\Windows\system32\lsass.exe")),
                ("GrantedAccess", V::S("0x1410")),
            ];
            win_doc(o, t, computer, SYSMON, SYSMON_P, 10, record_id, &data, false);
        }
        850..880 => {
            let data = [
                ("TargetUserName", V::S(user)),
                ("TargetDomainName", V::S("WARDSHIRE")),
                ("Status", V::S("0xc000006d")),
                ("SubStatus", V::S("0xc000006a")),
                ("LogonType", V::S("3")),
                ("WorkstationName", V::S(computer)),
                ("IpAddress", V::Ip(ip)),
            ];
            win_doc(o, t, "DC01", "Security", SEC_P, 4625, record_id, &data, false);
        }
        880..881 => {
            let data = [
                ("ServiceName", V::S("Google Updater Service")),
                (
                    "ImagePath",
                    V::S(r#""C:\Program Files (x86)\Google\GoogleUpdater\updater.exe" --system --windows-service"#),
                ),
                ("ServiceType", V::S("user mode service")),
                ("StartType", V::S("auto start")),
                ("AccountName", V::S("LocalSystem")),
            ];
            win_doc(o, t, computer, "System", "Service Control Manager", 7045, record_id, &data, false);
        }
        _ => {
            let data = [
                ("SubjectUserName", V::S(user)),
                ("SubjectDomainName", V::S("WARDSHIRE")),
                ("SubjectLogonId", V::S(lid)),
                ("PrivilegeList", V::S("SeChangeNotifyPrivilege")),
            ];
            win_doc(o, t, "DC01", "Security", SEC_P, 4672, record_id, &data, false);
        }
    }
}

/// `start + secs`, for scenario schedules.
pub(crate) fn offset_ms(start_ms: i64, secs: f64) -> i64 {
    start_ms + (secs * 1000.0) as i64
}

#[cfg(test)]
mod tests;
