//! Tuning aid: how many rules each synthetic event evaluates.
use std::path::PathBuf;
use std::sync::Arc;
use ww_core::{Event, Locator, SourceKind, Value};

const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";
const IMAGES: [&str; 8] = [
    "C:\\Windows\\System32\\svchost.exe",
    "C:\\Windows\\explorer.exe",
    "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
    "C:\\Windows\\System32\\cmd.exe",
    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
    "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
    "C:\\Windows\\System32\\conhost.exe",
    "C:\\Users\\jsmith\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe",
];
const CMDS: [&str; 8] = [
    "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule",
    "C:\\Windows\\Explorer.EXE",
    "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\" --type=renderer --lang=en-GB --field-trial-handle=1234",
    "cmd.exe /c dir C:\\Users\\jsmith\\Documents",
    "powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\\Scripts\\backup.ps1",
    "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE\" /n \"C:\\Users\\jsmith\\Documents\\Minutes.docx\"",
    "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1",
    "\"C:\\Users\\jsmith\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe\" --system-initiated",
];
fn event(i: usize) -> Event {
    let mut e = Event::new(SourceKind::Evtx, Arc::from("bench.evtx"), Locator::Record { record_id: i as u64 });
    let f = &mut e.fields;
    let k = i % 8;
    let img = IMAGES[k];
    let host = format!("WS{:04}.council.local", i % 50);
    let sys = |f: &mut ww_core::Fields, ch: &str, prov: &str, id: i64| {
        f.push("EventID", Value::Int(id));
        f.push("Channel", ch);
        f.push("Provider_Name", prov);
        f.push("Computer", host.as_str());
    };
    match i % 14 {
        0 | 1 => {
            sys(f, SYSMON, "Microsoft-Windows-Sysmon", 1);
            f.push("UtcTime", "2024-03-01 10:20:30.123");
            f.push("ProcessGuid", "{7e1b1a2c-0001-65e1-1a00-000000000f00}");
            f.push("ProcessId", Value::Int(4000 + i as i64 % 1000));
            f.push("Image", img);
            f.push("FileVersion", "10.0.19041.1");
            f.push("Description", "Windows host process");
            f.push("Product", "Microsoft® Windows® Operating System");
            f.push("Company", "Microsoft Corporation");
            f.push("OriginalFileName", img.rsplit('\\').next().unwrap_or(""));
            f.push("CommandLine", CMDS[k]);
            f.push("CurrentDirectory", "C:\\Windows\\system32\\");
            f.push("User", "COUNCIL\\jsmith");
            f.push("LogonId", "0x3e7");
            f.push("IntegrityLevel", "Medium");
            f.push(
                "Hashes",
                "SHA256=2B5A1C0E6F5D4C3B2A19080706050403020100FFEEDDCCBBAA99887766554433,IMPHASH=1234ABCD",
            );
            f.push("ParentImage", IMAGES[(k + 1) % 8]);
            f.push("ParentCommandLine", CMDS[(k + 1) % 8]);
            f.push("ParentUser", "COUNCIL\\jsmith");
        }
        2 => {
            sys(f, SYSMON, "Microsoft-Windows-Sysmon", 3);
            f.push("Image", img);
            f.push("User", "COUNCIL\\jsmith");
            f.push("Protocol", "tcp");
            f.push("Initiated", "true");
            f.push("SourceIp", format!("10.1.{}.{}", i % 250, i % 200));
            f.push("SourcePort", Value::Int(50000 + (i % 1000) as i64));
            f.push("DestinationIp", "52.97.146.2");
            f.push("DestinationHostname", "outlook.office365.com");
            f.push("DestinationPort", Value::Int(443));
        }
        3 => {
            sys(f, SYSMON, "Microsoft-Windows-Sysmon", 7);
            f.push("Image", img);
            f.push("ImageLoaded", "C:\\Windows\\System32\\kernelbase.dll");
            f.push("Signed", "true");
            f.push("Signature", "Microsoft Windows");
            f.push("OriginalFileName", "KERNELBASE.dll");
        }
        4 => {
            sys(f, SYSMON, "Microsoft-Windows-Sysmon", 11);
            f.push("Image", img);
            f.push("TargetFilename", format!("C:\\Users\\jsmith\\AppData\\Local\\Temp\\tmp{:04x}.tmp", i % 4096));
        }
        5 => {
            sys(f, SYSMON, "Microsoft-Windows-Sysmon", 13);
            f.push("EventType", "SetValue");
            f.push("Image", img);
            f.push(
                "TargetObject",
                "HKU\\S-1-5-21-1234\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RecentDocs\\.docx",
            );
            f.push("Details", "Binary Data");
        }
        6 => {
            sys(f, SYSMON, "Microsoft-Windows-Sysmon", 22);
            f.push("Image", img);
            f.push("QueryName", "login.microsoftonline.com");
            f.push("QueryStatus", "0");
            f.push("QueryResults", "type:  5 login.mso.msidentity.com;20.190.159.2;");
        }
        7 => {
            sys(f, "Security", "Microsoft-Windows-Security-Auditing", 4624);
            f.push("SubjectUserSid", "S-1-5-18");
            f.push("SubjectUserName", "WS0001$");
            f.push("TargetUserName", "jsmith");
            f.push("TargetDomainName", "COUNCIL");
            f.push("LogonType", Value::Int(if i.is_multiple_of(3) { 3 } else { 2 }));
            f.push("LogonProcessName", "User32");
            f.push("AuthenticationPackageName", "Negotiate");
            f.push("WorkstationName", "WS0001");
            f.push("IpAddress", "10.1.2.3");
            f.push("IpPort", "0");
            f.push("ProcessName", "C:\\Windows\\System32\\svchost.exe");
        }
        8 => {
            sys(f, "Security", "Microsoft-Windows-Security-Auditing", 4625);
            f.push("TargetUserName", "administrator");
            f.push("LogonType", Value::Int(3));
            f.push("Status", "0xc000006d");
            f.push("SubStatus", "0xc000006a");
            f.push("IpAddress", "192.168.1.50");
            f.push("WorkstationName", "UNKNOWN");
        }
        9 => {
            sys(f, "Security", "Microsoft-Windows-Security-Auditing", 4688);
            f.push("NewProcessName", img);
            f.push("CommandLine", CMDS[k]);
            f.push("ParentProcessName", IMAGES[(k + 1) % 8]);
            f.push("SubjectUserName", "jsmith");
            f.push("TokenElevationType", "%%1938");
        }
        10 => {
            sys(f, "Security", "Microsoft-Windows-Security-Auditing", 4672);
            f.push("SubjectUserName", "SYSTEM");
            f.push("SubjectDomainName", "NT AUTHORITY");
            f.push("PrivilegeList", "SeAssignPrimaryTokenPrivilege\n\t\t\tSeTcbPrivilege\n\t\t\tSeSecurityPrivilege");
        }
        11 => {
            sys(f, "Security", "Microsoft-Windows-Security-Auditing", 5145);
            f.push("SubjectUserName", "jsmith");
            f.push("IpAddress", "10.1.2.3");
            f.push("ShareName", "\\\\*\\IPC$");
            f.push("RelativeTargetName", "srvsvc");
            f.push("AccessMask", "0x3");
        }
        12 => {
            sys(f, "Microsoft-Windows-PowerShell/Operational", "Microsoft-Windows-PowerShell", 4104);
            f.push("MessageNumber", Value::Int(1));
            f.push("MessageTotal", Value::Int(1));
            f.push("ScriptBlockText", "Get-ChildItem -Path C:\\Reports -Filter *.csv | ForEach-Object { Import-Csv $_.FullName } | Export-Csv C:\\Reports\\all.csv");
            f.push("ScriptBlockId", "a1b2c3d4-0000-1111-2222-333344445555");
            f.push("Path", "C:\\Scripts\\reports.ps1");
        }
        _ => {
            sys(f, "System", "Service Control Manager", 7045);
            f.push("ServiceName", "Google Update Service");
            f.push("ImagePath", "\"C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe\" /svc");
            f.push("ServiceType", "user mode service");
            f.push("StartType", "auto start");
            f.push("AccountName", "LocalSystem");
        }
    }
    e
}
fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_default());
    let rs = ww_sigma::load_rules(&[dir], &ww_sigma::LoadOptions::default()).ruleset;
    let mut sc = rs.scratch();
    for i in 0..14 {
        let e = event(i);
        let (a, c) = rs.debug_counts(&e, &mut sc);
        println!("{i}: always {a} evaluated {c}");
    }
    let mut seen = std::collections::BTreeMap::new();
    for i in 0..14 {
        for r in rs.debug_always(&event(i), &mut sc) {
            *seen.entry(r).or_insert(0) += 1;
        }
    }
    for i in 0..14 {
        let e = event(i);
        let mut out = Vec::new();
        let t = std::time::Instant::now();
        for _ in 0..20000 {
            out.clear();
            rs.matches(&e, &mut sc, &mut out);
        }
        println!("type {i}: {:?} per event, {} hits", t.elapsed() / 20000, out.len());
    }
    let twice = ww_sigma::load_rules(
        &[
            PathBuf::from(std::env::args().nth(1).unwrap_or_default()),
            PathBuf::from(std::env::args().nth(1).unwrap_or_default()),
        ],
        &ww_sigma::LoadOptions::default(),
    )
    .ruleset;
    println!("events/s per CPU-second: all rules {:.0}, twice {:.0}", throughput(&rs), throughput(&twice));
    for (r, n) in seen.iter().take(0) {
        let m = rs.meta(ww_sigma::RuleIdx(*r));
        println!("  {n} {} {}", m.title, m.path.display());
    }
}

/// CPU seconds used by this process so far (user + system), from /proc.
pub fn cpu_seconds() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = s.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / 100.0
}

pub fn throughput(rs: &ww_sigma::RuleSet) -> f64 {
    let events: Vec<Event> = (0..2800).map(event).collect();
    let mut sc = rs.scratch();
    let mut out = Vec::new();
    let c0 = cpu_seconds();
    let mut n = 0usize;
    while cpu_seconds() - c0 < 3.0 {
        for e in &events {
            out.clear();
            rs.matches(e, &mut sc, &mut out);
        }
        n += events.len();
    }
    n as f64 / (cpu_seconds() - c0)
}
