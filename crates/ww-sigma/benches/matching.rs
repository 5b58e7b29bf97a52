//! Matching throughput over a synthetic Windows event mix with every rule of the SigmaHQ
//! `rules/` folder, and with that folder loaded twice.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ww_core::{Event, Locator, SourceKind, Value};
use ww_sigma::{LoadOptions, RuleSet, load_rules};

fn corpus() -> Option<PathBuf> {
    ["/../../../shared/corpora/sigma/rules", "/../../../../shared/corpora/sigma/rules"]
        .iter()
        .map(|rel| PathBuf::from(format!("{}{rel}", env!("CARGO_MANIFEST_DIR"))))
        .find(|p| p.is_dir())
}

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

fn bench(c: &mut Criterion) {
    let Some(dir) = corpus() else {
        eprintln!("skipping matching bench: Sigma corpus not found");
        return;
    };
    let events: Vec<Event> = (0..2800).map(event).collect();
    let opts = LoadOptions::default();
    let once = load_rules(std::slice::from_ref(&dir), &opts).ruleset;
    let twice = load_rules(&[dir.clone(), dir], &opts).ruleset;
    let run = |rs: &RuleSet| {
        let mut sc = rs.scratch();
        let mut out = Vec::new();
        let mut hits = 0usize;
        for e in &events {
            out.clear();
            rs.matches(e, &mut sc, &mut out);
            hits += out.len();
        }
        hits
    };
    eprintln!("rules {} / {}; detections per pass: {} / {}", once.len(), twice.len(), run(&once), run(&twice));
    let mut g = c.benchmark_group("matching");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("all_rules", |b| b.iter(|| black_box(run(&once))));
    g.bench_function("rules_twice", |b| b.iter(|| black_box(run(&twice))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
