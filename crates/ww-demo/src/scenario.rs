//! The attacks of the demo day, at fixed times after the start.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::out::{Clock, Out, V};
use crate::{
    Channel, DemoRecord, SEC_P, SYSMON, SYSMON_P, USERS, access_line, at, digits, firewall_line, ipv4, offset_ms,
    syslog3164, syslog5424, win_doc,
};

/// One attack scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// 02:10: 1,000 ports of the council's public address probed from one address.
    PortScan,
    /// 03:30: 400 SSH password guesses (root and invented user names) from one address.
    SshBruteForce,
    /// 07:45: one password tried against 150 VPN accounts from one address.
    VpnSpraying,
    /// 09:20: 200 webmail password guesses against one mailbox.
    WebmailBruteForce,
    /// 11:05: SQL injection, path traversal and web shell probes with scanner user agents.
    WebAttacks,
    /// 13:40: parking appeal records `/appeals/10001..=10400` fetched in sequence.
    AppealsEnumeration,
    /// 14:30: a phished workstation: Word starts encoded PowerShell, a service is installed, LSASS
    /// is dumped (ProcDump and comsvcs.dll) and the Security log is cleared.
    PhishedWorkstation,
}

impl Scenario {
    pub const ALL: [Scenario; 7] = [
        Scenario::PortScan,
        Scenario::SshBruteForce,
        Scenario::VpnSpraying,
        Scenario::WebmailBruteForce,
        Scenario::WebAttacks,
        Scenario::AppealsEnumeration,
        Scenario::PhishedWorkstation,
    ];

    /// Seconds after the start of the day.
    pub fn starts_after_secs(self) -> u32 {
        match self {
            Scenario::PortScan => 2 * 3600 + 600,
            Scenario::SshBruteForce => 3 * 3600 + 1800,
            Scenario::VpnSpraying => 7 * 3600 + 2700,
            Scenario::WebmailBruteForce => 9 * 3600 + 1200,
            Scenario::WebAttacks => 11 * 3600 + 300,
            Scenario::AppealsEnumeration => 13 * 3600 + 2400,
            Scenario::PhishedWorkstation => 14 * 3600 + 1800,
        }
    }

    pub fn channel(self) -> Channel {
        match self {
            Scenario::PortScan => Channel::Firewall,
            Scenario::SshBruteForce => Channel::Sshd,
            Scenario::VpnSpraying => Channel::Vpn,
            Scenario::WebmailBruteForce => Channel::Webmail,
            Scenario::WebAttacks | Scenario::AppealsEnumeration => Channel::WebAccess,
            Scenario::PhishedWorkstation => Channel::Windows,
        }
    }

    /// The attacker's address (the phished workstation's, for the inside job).
    pub fn source_ip(self) -> std::net::Ipv4Addr {
        std::net::Ipv4Addr::from(self.source())
    }

    fn source(self) -> u32 {
        match self {
            Scenario::PortScan => ipv4(203, 0, 113, 66),
            Scenario::SshBruteForce => ipv4(198, 51, 100, 23),
            Scenario::VpnSpraying => ipv4(192, 0, 2, 77),
            Scenario::WebmailBruteForce => ipv4(203, 0, 113, 140),
            Scenario::WebAttacks => ipv4(198, 51, 100, 45),
            Scenario::AppealsEnumeration => ipv4(192, 0, 2, 200),
            Scenario::PhishedWorkstation => ipv4(10, 10, 0, 52),
        }
    }
}

/// The phished workstation and its user.
pub(crate) const VICTIM_HOST: &str = "WS-0142";
pub(crate) const VICTIM_USER: &str = "k.morgan";

/// Renders every enabled scenario's records, sorted by time.
pub(crate) fn render(seed: u64, start_ms: i64, enabled: &[Channel]) -> Vec<DemoRecord> {
    let mut rng = SmallRng::seed_from_u64(seed ^ 0x5ce7_a210_0000_0001);
    let mut clock = Clock::default();
    let mut out = Vec::new();
    for s in Scenario::ALL {
        if !enabled.contains(&s.channel()) {
            continue;
        }
        let t0 = f64::from(s.starts_after_secs());
        let mut rec = |secs: f64, f: &mut dyn FnMut(&mut Out<'_>, &crate::out::Tp)| {
            let ms = offset_ms(start_ms, t0 + secs);
            let tp = clock.parts(ms);
            let mut bytes = Vec::with_capacity(320);
            f(&mut Out(&mut bytes), &tp);
            out.push(DemoRecord { at: at(ms), channel: s.channel(), bytes });
        };
        let src = s.source();
        match s {
            Scenario::PortScan => {
                let dst = ipv4(198, 18, 44, 10);
                for i in 0..1000u32 {
                    let dpt = 1 + (i * 7919) % 10_000;
                    let spt = rng.random_range(40000..65000);
                    rec(f64::from(i) * 0.1, &mut |o, t| firewall_line(o, t, "FW-DROP", src, dst, spt, dpt));
                }
            }
            Scenario::SshBruteForce => {
                const NAMES: [&str; 8] = ["root", "admin", "oracle", "test", "ubuntu", "postgres", "git", "user"];
                for i in 0..400u32 {
                    let name = NAMES[(i % 8) as usize];
                    let pid = rng.random_range(10000..60000);
                    let port = rng.random_range(30000..65000);
                    rec(f64::from(i) * 3.0, &mut |o, t| {
                        syslog3164(o, 38, t, "bastion01", "sshd", pid);
                        if name == "root" {
                            o.s("Failed password for root from ");
                        } else {
                            o.s("Failed password for invalid user ").s(name).s(" from ");
                        }
                        o.ip(src).s(" port ").n(port).s(" ssh2");
                    });
                }
            }
            Scenario::VpnSpraying => {
                for i in 0..150u32 {
                    // Real staff names first, then guessed ones.
                    let user = if i < 40 { USERS[i as usize].to_owned() } else { format!("staff{i:03}") };
                    rec(f64::from(i) * 4.0, &mut |o, t| {
                        syslog5424(o, 86, t, "vpn01", "ocserv", 812);
                        o.s("sec-mod: failed authentication for user=").s(&user).s(" rhost=").ip(src);
                    });
                }
            }
            Scenario::WebmailBruteForce => {
                for i in 0..200u32 {
                    let session = rng.random::<u64>();
                    rec(f64::from(i) * 2.0, &mut |o, t| {
                        syslog5424(o, 22, t, "mail01", "roundcube", 4412);
                        o.s("Failed login for c.hughes from ").ip(src).s(" in session ").n(session).s(" (error: 0)");
                    });
                }
            }
            Scenario::WebAttacks => {
                const SQLMAP: &str = "sqlmap/1.8.2#stable (https://sqlmap.org)";
                const NIKTO: &str = "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000123)";
                let attacks: [(&str, u32, &str); 12] = [
                    ("/search?q=library%27%20or%20%271%27%3d%271", 200, SQLMAP),
                    ("/search?q=1%20union%20select%20username,password%20from%20users--", 500, SQLMAP),
                    ("/planning/applications?ref=1%27%20or%201=1--", 500, SQLMAP),
                    ("/search?q=1%27%20and%20sleep(5)--", 200, SQLMAP),
                    ("/docs/../../../../etc/passwd", 400, NIKTO),
                    ("/download?file=..%2f..%2f..%2fwindows%2fwin.ini", 404, NIKTO),
                    ("/assets/..%2f..%2f..%2fetc/shadow", 400, NIKTO),
                    ("/uploads/shell.php", 404, NIKTO),
                    ("/wp-content/uploads/wso.php", 404, NIKTO),
                    ("/images/cmd.aspx", 404, NIKTO),
                    ("/c99.php", 404, NIKTO),
                    ("/", 200, NIKTO),
                ];
                for i in 0..60u32 {
                    let (target, status, ua) = attacks[(i % 12) as usize];
                    rec(f64::from(i) * 5.0, &mut |o, t| access_line(o, t, src, "GET", &[target], status, 512, ua));
                }
            }
            Scenario::AppealsEnumeration => {
                for i in 0..400u32 {
                    let mut num = [0u8; 20];
                    let id = digits(&mut num, 10_001 + u64::from(i)).to_owned();
                    rec(f64::from(i) * 0.5, &mut |o, t| {
                        access_line(o, t, src, "GET", &["/appeals/", &id], 200, 2_311, "python-requests/2.31.0")
                    });
                }
            }
            Scenario::PhishedWorkstation => phish(&mut rec),
        }
    }
    out.sort_by_key(|r| r.at);
    out
}

type Rec<'r> = dyn FnMut(f64, &mut dyn FnMut(&mut Out<'_>, &crate::out::Tp)) + 'r;

fn phish(rec: &mut Rec<'_>) {
    const WORD: &str = r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE";
    const PS: &str = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe";
    const PS_CMD: &str = "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA";
    const PROCDUMP: &str = r"C:\Users\Public\procdump64.exe";
    let mut id = 9_000_000u64;
    let mut next = || {
        id += 1;
        id
    };
    let user = format!(r"WARDSHIRE\{VICTIM_USER}");
    let user = user.as_str();
    // The document opens (Word from Outlook's attachment cache), then PowerShell.
    let r = next();
    rec(0.0, &mut |o, t| {
        let d = [
            ("Image", V::S(WORD)),
            (
                "CommandLine",
                V::S(
                    r#""WINWORD.EXE" /n "C:\Users\k.morgan\AppData\Local\Microsoft\Windows\INetCache\Content.Outlook\Q3V1\Invoice_0423.docm""#,
                ),
            ),
            ("User", V::S(user)),
            ("ParentImage", V::S(r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE")),
        ];
        win_doc(o, t, VICTIM_HOST, SYSMON, SYSMON_P, 1, r, &d, false)
    });
    let r = next();
    rec(12.0, &mut |o, t| {
        let d = [("Image", V::S(PS)), ("CommandLine", V::S(PS_CMD)), ("User", V::S(user)), ("ParentImage", V::S(WORD))];
        win_doc(o, t, VICTIM_HOST, SYSMON, SYSMON_P, 1, r, &d, false)
    });
    let r = next();
    rec(12.1, &mut |o, t| {
        let d = [
            ("SubjectUserName", V::S(VICTIM_USER)),
            ("SubjectDomainName", V::S("WARDSHIRE")),
            ("NewProcessName", V::S(PS)),
            ("CommandLine", V::S(PS_CMD)),
            ("ParentProcessName", V::S(WORD)),
        ];
        win_doc(o, t, VICTIM_HOST, "Security", SEC_P, 4688, r, &d, false)
    });
    // Persistence: a service that runs the same PowerShell.
    let svc_path = r"%COMSPEC% /c powershell -nop -w hidden -enc SQBFAFgA";
    let r = next();
    rec(300.0, &mut |o, t| {
        let d = [
            ("ServiceName", V::S("WinSysHelper")),
            ("ImagePath", V::S(svc_path)),
            ("ServiceType", V::S("user mode service")),
            ("StartType", V::S("auto start")),
            ("AccountName", V::S("LocalSystem")),
        ];
        win_doc(o, t, VICTIM_HOST, "System", "Service Control Manager", 7045, r, &d, false)
    });
    let r = next();
    rec(300.1, &mut |o, t| {
        let d = [
            ("SubjectUserName", V::S(VICTIM_USER)),
            ("ServiceName", V::S("WinSysHelper")),
            ("ServiceFileName", V::S(svc_path)),
            ("ServiceType", V::S("0x10")),
            ("ServiceStartType", V::S("2")),
        ];
        win_doc(o, t, VICTIM_HOST, "Security", SEC_P, 4697, r, &d, false)
    });
    // Credential theft: ProcDump, then comsvcs.dll.
    let r = next();
    rec(900.0, &mut |o, t| {
        let d = [
            ("Image", V::S(PROCDUMP)),
            ("CommandLine", V::S(r"procdump64.exe -accepteula -ma lsass.exe C:\Users\Public\lsass.dmp")),
            ("User", V::S(user)),
            ("ParentImage", V::S(PS)),
        ];
        win_doc(o, t, VICTIM_HOST, SYSMON, SYSMON_P, 1, r, &d, false)
    });
    let r = next();
    rec(900.5, &mut |o, t| {
        let d = [
            ("SourceImage", V::S(PROCDUMP)),
            ("TargetImage", V::S(r"C:\Windows\system32\lsass.exe")),
            ("GrantedAccess", V::S("0x1fffff")),
        ];
        win_doc(o, t, VICTIM_HOST, SYSMON, SYSMON_P, 10, r, &d, false)
    });
    let r = next();
    rec(960.0, &mut |o, t| {
        let d = [
            ("Image", V::S(r"C:\Windows\System32\rundll32.exe")),
            (
                "CommandLine",
                V::S(r"rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 652 C:\Users\Public\d.bin full"),
            ),
            ("User", V::S(user)),
            ("ParentImage", V::S(PS)),
        ];
        win_doc(o, t, VICTIM_HOST, SYSMON, SYSMON_P, 1, r, &d, false)
    });
    // Covering tracks.
    let r = next();
    rec(1500.0, &mut |o, t| {
        let d = [
            ("SubjectUserSid", V::S("S-1-5-21-1004336348-1177238915-682003330-1104")),
            ("SubjectUserName", V::S(VICTIM_USER)),
            ("SubjectDomainName", V::S("WARDSHIRE")),
        ];
        win_doc(o, t, VICTIM_HOST, "Security", "Microsoft-Windows-Eventlog", 1102, r, &d, true)
    });
}
