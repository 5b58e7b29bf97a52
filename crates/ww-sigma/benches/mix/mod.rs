//! A realistic Windows event mix for benchmarks: the proportions a Sysmon + Security audit
//! deployment produces (image loads, network, file and registry events dominate; process
//! creation is a minority), with the values real events carry (full image paths, long command
//! lines, hash lists, GUIDs, SIDs, user names). About 1 % of events are suspicious so that the
//! rule set has something to find. Deterministic: event `i` is always the same.

use std::sync::Arc;

use ww_core::{Event, Fields, Locator, SourceKind, Value};

const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";
const SEC: &str = "Security";
const SEC_PROV: &str = "Microsoft-Windows-Security-Auditing";

/// (image, command line, original file name, description, company)
const PROCS: [(&str, &str, &str, &str, &str); 16] = [
    (
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule",
        "svchost.exe",
        "Host Process for Windows Services",
        "Microsoft Corporation",
    ),
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\Explorer.EXE",
        "EXPLORER.EXE",
        "Windows Explorer",
        "Microsoft Corporation",
    ),
    (
        "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
        "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\" --type=renderer --display-capture-permissions-policy-allowed --lang=en-GB --device-scale-factor=1 --num-raster-threads=4 --enable-main-frame-before-activation --renderer-client-id={n} --time-ticks-at-unix-epoch=-1709280000000000 --launch-time-ticks={t} --mojo-platform-channel-handle={h} --field-trial-handle=1924,i,1530264957443061419,7306254123917281930,262144 /prefetch:1",
        "chrome.exe",
        "Google Chrome",
        "Google LLC",
    ),
    (
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
        "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE\" /recycle",
        "Outlook.exe",
        "Microsoft Outlook",
        "Microsoft Corporation",
    ),
    (
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
        "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE\" /n \"\\\\fs01.council.local\\Committees\\Planning\\2024\\Minutes 2024-03-01.docx\" /o \"\"",
        "WinWord.exe",
        "Microsoft Word",
        "Microsoft Corporation",
    ),
    (
        "C:\\Windows\\System32\\conhost.exe",
        "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1",
        "CONHOST.EXE",
        "Console Window Host",
        "Microsoft Corporation",
    ),
    (
        "C:\\Users\\jsmith\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe",
        "\"C:\\Users\\jsmith\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe\" --type=gpu-process --field-trial-handle=2136,1184356117312938262,9186274185264853842,131072 --enable-features=WebComponentsV0Enabled --disable-features=SpareRendererForSitePerProcess --gpu-preferences=KAAAAAAAAADgAAAwAAAAAAAAAAAAAAAAAABgAAAAAAAQAAAAAAAAAAAAAAAAAAAAKAAAAAAAAAA --mojo-platform-channel-handle={h} /prefetch:2",
        "Teams.exe",
        "Microsoft Teams",
        "Microsoft Corporation",
    ),
    (
        "C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe",
        "\"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe\" /background",
        "OneDrive.exe",
        "Microsoft OneDrive",
        "Microsoft Corporation",
    ),
    (
        "C:\\Windows\\System32\\RuntimeBroker.exe",
        "C:\\Windows\\System32\\RuntimeBroker.exe -Embedding",
        "RuntimeBroker.exe",
        "Runtime Broker",
        "Microsoft Corporation",
    ),
    (
        "C:\\Windows\\System32\\taskhostw.exe",
        "taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}",
        "taskhostw.exe",
        "Host Process for Windows Tasks",
        "Microsoft Corporation",
    ),
    (
        "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24010.12-0\\MsMpEng.exe",
        "\"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24010.12-0\\MsMpEng.exe\"",
        "MsMpEng.exe",
        "Antimalware Service Executable",
        "Microsoft Corporation",
    ),
    (
        "C:\\Windows\\System32\\backgroundTaskHost.exe",
        "\"C:\\Windows\\system32\\backgroundTaskHost.exe\" -ServerName:BackgroundTaskHost.WebAccountProvider",
        "backgroundTaskHost.exe",
        "Background Task Host",
        "Microsoft Corporation",
    ),
    (
        "C:\\Windows\\System32\\SearchProtocolHost.exe",
        "\"C:\\Windows\\system32\\SearchProtocolHost.exe\" Global\\UsGthrFltPipeMssGthrPipe5_ Global\\UsGthrCtrlFltPipeMssGthrPipe5 1 -2147483646 \"Software\\Microsoft\\Windows Search\" \"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)\" \"C:\\ProgramData\\Microsoft\\Search\\Data\\Temp\\usgthrsvc\" \"DownLevelDaemon\"",
        "SearchProtocolHost.exe",
        "Microsoft Windows Search Protocol Host",
        "Microsoft Corporation",
    ),
    (
        "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
        "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-GB --service-sandbox-type=none --mojo-platform-channel-handle={h} --field-trial-handle=2060,i,4237702934410153563,1151924785370520131,262144 /prefetch:3",
        "msedge.exe",
        "Microsoft Edge",
        "Microsoft Corporation",
    ),
    (
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "powershell.exe -NoProfile -NonInteractive -File \"C:\\Program Files\\CouncilIT\\Scripts\\Sync-HomeDrives.ps1\" -Verbose",
        "PowerShell.EXE",
        "Windows PowerShell",
        "Microsoft Corporation",
    ),
    (
        "C:\\Windows\\System32\\cmd.exe",
        "C:\\Windows\\system32\\cmd.exe /c \"\"\\\\council.local\\NETLOGON\\logon.cmd\" \"",
        "Cmd.Exe",
        "Windows Command Processor",
        "Microsoft Corporation",
    ),
];

/// Suspicious process creations (a small fraction of the mix).
const BAD: [(&str, &str, &str); 4] = [
    ("C:\\Windows\\System32\\whoami.exe", "whoami /all", "whoami.exe"),
    (
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA",
        "PowerShell.EXE",
    ),
    (
        "C:\\Windows\\System32\\rundll32.exe",
        "rundll32.exe C:\\windows\\System32\\comsvcs.dll, MiniDump {h} C:\\temp\\lsass.dmp full",
        "RUNDLL32.EXE",
    ),
    ("C:\\Windows\\System32\\net.exe", "net group \"Domain Admins\" /domain", "net.exe"),
];

const DLLS: [&str; 10] = [
    "C:\\Windows\\System32\\kernelbase.dll",
    "C:\\Windows\\System32\\ntdll.dll",
    "C:\\Windows\\System32\\combase.dll",
    "C:\\Windows\\System32\\crypt32.dll",
    "C:\\Windows\\System32\\winhttp.dll",
    "C:\\Windows\\System32\\WindowsCodecs.dll",
    "C:\\Windows\\System32\\msctf.dll",
    "C:\\Program Files\\Google\\Chrome\\Application\\122.0.6261.95\\chrome_elf.dll",
    "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\clr.dll",
    "C:\\Windows\\System32\\bcryptprimitives.dll",
];

const USERS: [&str; 6] = ["jsmith", "a.patel", "m.jones", "svc_backup", "k.obrien", "l.nguyen"];
const DOMAINS: [&str; 8] = [
    "login.microsoftonline.com",
    "outlook.office365.com",
    "www.google.com",
    "council-my.sharepoint.com",
    "teams.microsoft.com",
    "clients2.google.com",
    "settings-win.data.microsoft.com",
    "www.gov.uk",
];
const REG: [(&str, &str); 5] = [
    (
        "HKU\\S-1-5-21-3623811015-3361044348-30300820-1013\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RecentDocs\\.docx\\MRUListEx",
        "Binary Data",
    ),
    (
        "HKLM\\System\\CurrentControlSet\\Services\\bam\\State\\UserSettings\\S-1-5-21-3623811015-3361044348-30300820-1013\\\\Device\\HarddiskVolume3\\Windows\\System32\\svchost.exe",
        "Binary Data",
    ),
    (
        "HKU\\S-1-5-21-3623811015-3361044348-30300820-1013\\Software\\Microsoft\\Office\\16.0\\Common\\Roaming\\Identities\\LastSwitchedTime",
        "DWORD (0x65e1a2b3)",
    ),
    (
        "HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\Signature Updates\\SignaturesLastUpdated",
        "QWORD (0x01da6bd1-0x8f3c2e00)",
    ),
    (
        "HKU\\S-1-5-21-3623811015-3361044348-30300820-1013\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\UserAssist\\{CEBFF5CD-ACE2-4F4F-9178-9926F41749EA}\\Count\\HRZR_PGYFRFFVBA",
        "Binary Data",
    ),
];
const FILES: [&str; 6] = [
    "C:\\Users\\{u}\\AppData\\Local\\Temp\\tmp{n}.tmp",
    "C:\\Users\\{u}\\AppData\\Local\\Google\\Chrome\\User Data\\Default\\Cache\\Cache_Data\\f_{n}",
    "C:\\Users\\{u}\\AppData\\Local\\Microsoft\\Outlook\\RoamCache\\Stream_Autocomplete_0_{n}.dat",
    "C:\\Windows\\Prefetch\\SVCHOST.EXE-{n}.pf",
    "C:\\Users\\{u}\\Documents\\Planning\\Report {n}.xlsx",
    "C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\History\\CacheManager\\{n}.bin",
];

/// Small deterministic generator (SplitMix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[(self.next() % xs.len() as u64) as usize]
    }
    fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            s.push_str(&format!("{:016X}", self.next()));
        }
        s.truncate(n);
        s
    }
    fn guid(&mut self) -> String {
        let h = self.hex(32);
        format!("{{{}-{}-{}-{}-{}}}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
    }
}

fn time(r: &mut Rng) -> String {
    format!("2024-03-01 {:02}:{:02}:{:02}.{:03}", r.next() % 24, r.next() % 60, r.next() % 60, r.next() % 1000)
}

fn sys(f: &mut Fields, r: &mut Rng, ch: &str, prov: &str, id: i64) {
    f.push("EventID", Value::Int(id));
    f.push("Channel", ch);
    f.push("Provider_Name", prov);
    f.push("Computer", format!("WS{:04}.council.local", r.next() % 400));
    f.push("EventRecordID", Value::Int((r.next() % 10_000_000) as i64));
}

/// Fills a command line's per-process parts (client ids, handles, tick counts) as real
/// processes vary them.
fn vary(cmd: &str, r: &mut Rng) -> String {
    cmd.replace("{n}", &(r.next() % 200).to_string())
        .replace("{h}", &(1000 + r.next() % 9000).to_string())
        .replace("{t}", &(8_000_000_000 + r.next() % 1_000_000_000).to_string())
}

fn hashes(r: &mut Rng) -> String {
    format!("SHA1={},MD5={},SHA256={},IMPHASH={}", r.hex(40), r.hex(32), r.hex(64), r.hex(32))
}

/// Event `i` of the mix.
pub fn event(i: usize) -> Event {
    let mut r = Rng(i as u64 ^ 0x5eed);
    let mut e = Event::new(SourceKind::Evtx, Arc::from("bench.evtx"), Locator::Record { record_id: i as u64 });
    let f = &mut e.fields;
    let user = r.pick(&USERS);
    let (img, cmd, ofn, desc, company) = r.pick(&PROCS);
    let slot = r.next() % 1000;
    match slot {
        // Sysmon 7 image load: the most frequent Sysmon event.
        0..=189 => {
            sys(f, &mut r, SYSMON, "Microsoft-Windows-Sysmon", 7);
            f.push("RuleName", "-");
            f.push("UtcTime", time(&mut r));
            f.push("ProcessGuid", r.guid());
            f.push("ProcessId", Value::Int((r.next() % 20000) as i64));
            f.push("Image", img);
            let dll = r.pick(&DLLS);
            f.push("ImageLoaded", dll);
            f.push("FileVersion", "10.0.19041.3636 (WinBuild.160101.0800)");
            f.push("Description", "Windows NT BASE API Client DLL");
            f.push("Product", "Microsoft® Windows® Operating System");
            f.push("Company", "Microsoft Corporation");
            f.push("OriginalFileName", dll.rsplit('\\').next().unwrap_or(""));
            f.push("Hashes", hashes(&mut r));
            f.push("Signed", "true");
            f.push("Signature", "Microsoft Windows");
            f.push("SignatureStatus", "Valid");
            f.push("User", format!("COUNCIL\\{user}"));
        }
        // Sysmon 3 network connection.
        190..=359 => {
            sys(f, &mut r, SYSMON, "Microsoft-Windows-Sysmon", 3);
            f.push("RuleName", "-");
            f.push("UtcTime", time(&mut r));
            f.push("ProcessGuid", r.guid());
            f.push("ProcessId", Value::Int((r.next() % 20000) as i64));
            f.push("Image", img);
            f.push("User", format!("COUNCIL\\{user}"));
            f.push("Protocol", "tcp");
            f.push("Initiated", "true");
            f.push("SourceIsIpv6", "false");
            f.push("SourceIp", format!("10.20.{}.{}", r.next() % 64, r.next() % 250));
            f.push("SourceHostname", format!("WS{:04}.council.local", r.next() % 400));
            f.push("SourcePort", Value::Int(49152 + (r.next() % 16000) as i64));
            f.push("SourcePortName", "-");
            f.push("DestinationIsIpv6", "false");
            f.push("DestinationIp", format!("52.97.{}.{}", r.next() % 250, r.next() % 250));
            f.push("DestinationHostname", r.pick(&DOMAINS));
            f.push("DestinationPort", Value::Int(443));
            f.push("DestinationPortName", "https");
        }
        // Sysmon 11 file create.
        360..=489 => {
            sys(f, &mut r, SYSMON, "Microsoft-Windows-Sysmon", 11);
            f.push("RuleName", "-");
            f.push("UtcTime", time(&mut r));
            f.push("ProcessGuid", r.guid());
            f.push("ProcessId", Value::Int((r.next() % 20000) as i64));
            f.push("Image", img);
            let n = r.hex(8);
            f.push("TargetFilename", r.pick(&FILES).replace("{u}", user).replace("{n}", &n));
            f.push("CreationUtcTime", time(&mut r));
            f.push("User", format!("COUNCIL\\{user}"));
        }
        // Sysmon 13 registry value set.
        490..=619 => {
            sys(f, &mut r, SYSMON, "Microsoft-Windows-Sysmon", 13);
            f.push("RuleName", "-");
            f.push("EventType", "SetValue");
            f.push("UtcTime", time(&mut r));
            f.push("ProcessGuid", r.guid());
            f.push("ProcessId", Value::Int((r.next() % 20000) as i64));
            f.push("Image", img);
            let (key, details) = r.pick(&REG);
            f.push("TargetObject", key);
            f.push("Details", details);
            f.push("User", format!("COUNCIL\\{user}"));
        }
        // Sysmon 22 DNS query.
        620..=709 => {
            sys(f, &mut r, SYSMON, "Microsoft-Windows-Sysmon", 22);
            f.push("RuleName", "-");
            f.push("UtcTime", time(&mut r));
            f.push("ProcessGuid", r.guid());
            f.push("ProcessId", Value::Int((r.next() % 20000) as i64));
            let d = r.pick(&DOMAINS);
            f.push("QueryName", d);
            f.push("QueryStatus", "0");
            f.push(
                "QueryResults",
                format!("type:  5 {d}.edgekey.net;::ffff:23.55.{}.{};", r.next() % 250, r.next() % 250),
            );
            f.push("Image", img);
            f.push("User", format!("COUNCIL\\{user}"));
        }
        // Sysmon 1 process creation (about 1 in 10 of them suspicious).
        710..=789 => {
            sys(f, &mut r, SYSMON, "Microsoft-Windows-Sysmon", 1);
            let (img, cmd, ofn) = if slot.is_multiple_of(10) { r.pick(&BAD) } else { (img, cmd, ofn) };
            let (pimg, pcmd, ..) = r.pick(&PROCS);
            f.push("RuleName", "-");
            f.push("UtcTime", time(&mut r));
            f.push("ProcessGuid", r.guid());
            f.push("ProcessId", Value::Int((r.next() % 20000) as i64));
            f.push("Image", img);
            f.push("FileVersion", "10.0.19041.3636 (WinBuild.160101.0800)");
            f.push("Description", desc);
            f.push("Product", "Microsoft® Windows® Operating System");
            f.push("Company", company);
            f.push("OriginalFileName", ofn);
            f.push("CommandLine", vary(cmd, &mut r));
            f.push("CurrentDirectory", format!("C:\\Users\\{user}\\"));
            f.push("User", format!("COUNCIL\\{user}"));
            f.push("LogonGuid", r.guid());
            f.push("LogonId", format!("0x{:x}", r.next() % 0xffffff));
            f.push("TerminalSessionId", Value::Int(1));
            f.push("IntegrityLevel", "Medium");
            f.push("Hashes", hashes(&mut r));
            f.push("ParentProcessGuid", r.guid());
            f.push("ParentProcessId", Value::Int((r.next() % 20000) as i64));
            f.push("ParentImage", pimg);
            f.push("ParentCommandLine", vary(pcmd, &mut r));
            f.push("ParentUser", format!("COUNCIL\\{user}"));
        }
        // Security 4624 logon.
        790..=849 => {
            sys(f, &mut r, SEC, SEC_PROV, 4624);
            f.push("SubjectUserSid", "S-1-5-18");
            f.push("SubjectUserName", "WS0001$");
            f.push("SubjectDomainName", "COUNCIL");
            f.push("SubjectLogonId", "0x3e7");
            f.push("TargetUserSid", format!("S-1-5-21-3623811015-3361044348-30300820-{}", 1000 + r.next() % 500));
            f.push("TargetUserName", user);
            f.push("TargetDomainName", "COUNCIL");
            f.push("TargetLogonId", format!("0x{:x}", r.next() % 0xffffff));
            f.push("LogonType", Value::Int(if r.next().is_multiple_of(3) { 3 } else { 2 }));
            f.push("LogonProcessName", "User32 ");
            f.push("AuthenticationPackageName", "Negotiate");
            f.push("WorkstationName", "WS0001");
            f.push("LogonGuid", r.guid());
            f.push("TransmittedServices", "-");
            f.push("LmPackageName", "-");
            f.push("KeyLength", Value::Int(0));
            f.push("ProcessId", "0x2b4");
            f.push("ProcessName", "C:\\Windows\\System32\\svchost.exe");
            f.push("IpAddress", format!("10.20.{}.{}", r.next() % 64, r.next() % 250));
            f.push("IpPort", "0");
            f.push("ImpersonationLevel", "%%1833");
            f.push("ElevatedToken", "%%1843");
        }
        // Security 4625 failed logon.
        850..=859 => {
            sys(f, &mut r, SEC, SEC_PROV, 4625);
            f.push("SubjectUserSid", "S-1-0-0");
            f.push("TargetUserName", user);
            f.push("TargetDomainName", "COUNCIL");
            f.push("Status", "0xc000006d");
            f.push("FailureReason", "%%2313");
            f.push("SubStatus", "0xc000006a");
            f.push("LogonType", Value::Int(3));
            f.push("LogonProcessName", "NtLmSsp ");
            f.push("AuthenticationPackageName", "NTLM");
            f.push("WorkstationName", "WS0042");
            f.push("IpAddress", format!("10.20.{}.{}", r.next() % 64, r.next() % 250));
            f.push("IpPort", "0");
        }
        // Security 4688 process creation.
        860..=909 => {
            sys(f, &mut r, SEC, SEC_PROV, 4688);
            let (pimg, ..) = r.pick(&PROCS);
            f.push("SubjectUserSid", "S-1-5-21-3623811015-3361044348-30300820-1013");
            f.push("SubjectUserName", user);
            f.push("SubjectDomainName", "COUNCIL");
            f.push("SubjectLogonId", format!("0x{:x}", r.next() % 0xffffff));
            f.push("NewProcessId", format!("0x{:x}", r.next() % 0xffff));
            f.push("NewProcessName", img);
            f.push("TokenElevationType", "%%1938");
            f.push("ProcessId", format!("0x{:x}", r.next() % 0xffff));
            f.push("CommandLine", vary(cmd, &mut r));
            f.push("TargetUserSid", "S-1-0-0");
            f.push("ParentProcessName", pimg);
            f.push("MandatoryLabel", "S-1-16-8192");
        }
        // Security 4672 special privileges.
        910..=959 => {
            sys(f, &mut r, SEC, SEC_PROV, 4672);
            f.push("SubjectUserSid", "S-1-5-18");
            f.push("SubjectUserName", "SYSTEM");
            f.push("SubjectDomainName", "NT AUTHORITY");
            f.push("SubjectLogonId", "0x3e7");
            f.push(
                "PrivilegeList",
                "SeAssignPrimaryTokenPrivilege\n\t\t\tSeTcbPrivilege\n\t\t\tSeSecurityPrivilege\n\t\t\tSeTakeOwnershipPrivilege\n\t\t\tSeLoadDriverPrivilege\n\t\t\tSeBackupPrivilege\n\t\t\tSeRestorePrivilege\n\t\t\tSeDebugPrivilege\n\t\t\tSeAuditPrivilege\n\t\t\tSeSystemEnvironmentPrivilege\n\t\t\tSeImpersonatePrivilege\n\t\t\tSeDelegateSessionUserImpersonatePrivilege",
            );
        }
        // Security 5145 share access.
        960..=984 => {
            sys(f, &mut r, SEC, SEC_PROV, 5145);
            f.push("SubjectUserSid", "S-1-5-21-3623811015-3361044348-30300820-1013");
            f.push("SubjectUserName", user);
            f.push("SubjectDomainName", "COUNCIL");
            f.push("SubjectLogonId", format!("0x{:x}", r.next() % 0xffffff));
            f.push("ObjectType", "File");
            f.push("IpAddress", format!("10.20.{}.{}", r.next() % 64, r.next() % 250));
            f.push("IpPort", Value::Int(49152 + (r.next() % 16000) as i64));
            f.push("ShareName", "\\\\*\\Committees");
            f.push("ShareLocalPath", "\\??\\D:\\Shares\\Committees");
            f.push("RelativeTargetName", "Planning\\2024\\Minutes 2024-03-01.docx");
            f.push("AccessMask", "0x120089");
            f.push("AccessList", "%%1538\n\t\t\t\t%%1541\n\t\t\t\t%%4416\n\t\t\t\t%%4419\n\t\t\t\t%%4423");
        }
        // PowerShell 4104 script block.
        985..=996 => {
            sys(f, &mut r, "Microsoft-Windows-PowerShell/Operational", "Microsoft-Windows-PowerShell", 4104);
            f.push("MessageNumber", Value::Int(1));
            f.push("MessageTotal", Value::Int(1));
            f.push(
                "ScriptBlockText",
                "param([string]$Root = '\\\\fs01.council.local\\Home')\n$users = Get-ADUser -Filter 'Enabled -eq $true' -SearchBase 'OU=Staff,DC=council,DC=local' -Properties HomeDirectory\nforeach ($u in $users) {\n    $path = Join-Path $Root $u.SamAccountName\n    if (-not (Test-Path $path)) { New-Item -ItemType Directory -Path $path | Out-Null }\n    Write-Verbose \"Checked $path\"\n}",
            );
            f.push("ScriptBlockId", r.guid());
            f.push("Path", "C:\\Program Files\\CouncilIT\\Scripts\\Sync-HomeDrives.ps1");
        }
        // System 7045 service installed.
        _ => {
            sys(f, &mut r, "System", "Service Control Manager", 7045);
            f.push("ServiceName", "Google Updater Internal Service");
            f.push(
                "ImagePath",
                "\"C:\\Program Files (x86)\\Google\\GoogleUpdater\\122.0.6228.0\\updater.exe\" --system --windows-service --service=update-internal",
            );
            f.push("ServiceType", "user mode service");
            f.push("StartType", "auto start");
            f.push("AccountName", "LocalSystem");
        }
    }
    // Field names are shared between events, as the readers share them.
    let named = e.fields.iter().map(|(n, v)| (ww_core::intern(n), v.clone())).collect::<Vec<_>>();
    e.fields = Fields::with_capacity(named.len());
    for (n, v) in named {
        e.fields.push(n, v);
    }
    e
}
