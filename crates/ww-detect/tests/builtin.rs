//! The built-in rule pack: every rule loads, and each matches an event built the way the readers
//! build it (syslog lines, nginx access lines, Winlogbeat JSON).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use ww_core::{Event, Locator, SourceKind};
use ww_detect::builtin::{builtin_rules, builtin_ruleset};
use ww_parse::syslog::{SyslogContext, parse_syslog_line};
use ww_sigma::{LoadOptions, RuleSet, load_rules};

fn syslog(line: &str) -> Event {
    let (time, fields) = parse_syslog_line(line, &SyslogContext::with_year(2025)).expect("syslog parses");
    let mut e = Event::new(SourceKind::Syslog, Arc::from("t"), Locator::None);
    e.time = time;
    e.fields = fields;
    e
}

fn access(line: &str) -> Event {
    let (time, fields) = ww_parse::access::parse_access_line(line).expect("access line parses");
    let mut e = Event::new(SourceKind::AccessLog, Arc::from("t"), Locator::None);
    e.time = time;
    e.fields = fields;
    e
}

fn win(channel: &str, provider: &str, id: u32, data: serde_json::Value) -> Event {
    let doc = serde_json::json!({
        "@timestamp": "2025-03-05T14:30:00.000Z",
        "host": {"name": "WS-0142"},
        "winlog": {
            "channel": channel,
            "provider_name": provider,
            "event_id": id,
            "computer_name": "WS-0142.wardshire.gov.uk",
            "event_data": data,
        }
    });
    let mut e = Event::new(SourceKind::Json, Arc::from("t"), Locator::None);
    let flat = ww_parse::winjson::flatten_json(&doc, &mut e.fields);
    e.time = flat.time;
    e
}

const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";
const SYSMON_P: &str = "Microsoft-Windows-Sysmon";
const SEC_P: &str = "Microsoft-Windows-Security-Auditing";

fn sample(file: &str) -> Vec<Event> {
    use serde_json::json;
    match file {
        "ww_sshd_failed_password.yml" => vec![syslog(
            "<38>Mar  5 03:30:01 bastion01 sshd[2211]: Failed password for root from 203.0.113.50 port 50122 ssh2",
        )],
        "ww_sshd_invalid_user.yml" => vec![syslog(
            "<38>Mar  5 03:30:01 bastion01 sshd[2211]: Failed password for invalid user admin from 203.0.113.50 port 50122 ssh2",
        )],
        "ww_vpn_auth_failure.yml" => vec![syslog(
            "<86>1 2025-03-05T07:45:00.000Z vpn01.wardshire.gov.uk ocserv 812 - - sec-mod: failed authentication for user=j.smith rhost=198.51.100.23",
        )],
        "ww_webmail_auth_failure.yml" => vec![syslog(
            "<83>1 2025-03-05T09:20:00.000Z mail01.wardshire.gov.uk roundcube 2231 - - Failed login for j.smith from 198.51.100.77 in session 8a7f (error: 0)",
        )],
        "ww_firewall_deny.yml" | "ww_firewall_deny_admin_port.yml" => vec![syslog(
            "<4>Mar  5 02:10:00 fw01 kernel: [FW-DROP] IN=eth0 OUT= SRC=203.0.113.7 DST=198.51.100.10 LEN=44 PROTO=TCP SPT=51234 DPT=3389 SYN",
        )],
        "ww_web_sql_injection.yml" => vec![access(
            r#"<190>Mar  5 11:05:01 web01 nginx: 203.0.113.9 - - [05/Mar/2025:11:05:01 +0000] "GET /search?q=1%27%20or%20%271%27%3d%271 HTTP/1.1" 200 512 "-" "Mozilla/5.0""#,
        )],
        "ww_web_path_traversal.yml" => vec![access(
            r#"<190>Mar  5 11:05:02 web01 nginx: 203.0.113.9 - - [05/Mar/2025:11:05:02 +0000] "GET /docs/../../../../etc/passwd HTTP/1.1" 400 150 "-" "curl/8.5.0""#,
        )],
        "ww_web_webshell_probe.yml" => vec![access(
            r#"<190>Mar  5 11:05:03 web01 nginx: 203.0.113.9 - - [05/Mar/2025:11:05:03 +0000] "GET /uploads/shell.php HTTP/1.1" 404 150 "-" "Mozilla/5.0""#,
        )],
        "ww_web_scanner_user_agent.yml" => vec![access(
            r#"<190>Mar  5 11:05:04 web01 nginx: 203.0.113.9 - - [05/Mar/2025:11:05:04 +0000] "GET / HTTP/1.1" 200 5120 "-" "sqlmap/1.8#stable (https://sqlmap.org)""#,
        )],
        "ww_web_appeal_document_access.yml" => vec![access(
            r#"<190>Mar  5 13:40:00 web01 nginx: 198.51.100.200 - - [05/Mar/2025:13:40:00 +0000] "GET /appeals/10001 HTTP/1.1" 200 2311 "-" "python-requests/2.31.0""#,
        )],
        "ww_win_office_spawns_shell.yml" => vec![
            win(
                SYSMON,
                SYSMON_P,
                1,
                json!({
                    "Image": r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
                    "ParentImage": r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
                    "CommandLine": "powershell.exe -nop -w hidden -enc SQBFAFgA",
                    "User": r"WARDSHIRE\j.smith",
                }),
            ),
            win(
                "Security",
                SEC_P,
                4688,
                json!({
                    "NewProcessName": r"C:\Windows\System32\cmd.exe",
                    "ParentProcessName": r"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE",
                    "CommandLine": "cmd.exe /c whoami",
                    "SubjectUserName": "j.smith",
                }),
            ),
        ],
        "ww_win_encoded_powershell.yml" => vec![
            win(
                SYSMON,
                SYSMON_P,
                1,
                json!({
                    "Image": r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
                    "ParentImage": r"C:\Windows\explorer.exe",
                    "CommandLine": "powershell.exe -nop -w hidden -enc SQBFAFgA",
                }),
            ),
            win(
                "Security",
                SEC_P,
                4688,
                json!({
                    "NewProcessName": r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
                    "CommandLine": "powershell -EncodedCommand SQBFAFgA",
                }),
            ),
        ],
        "ww_win_new_service_system.yml" => vec![win(
            "System",
            "Service Control Manager",
            7045,
            json!({
                "ServiceName": "WinUpdSvc", "ImagePath": r"C:\Program Files\Vendor\svc.exe",
                "ServiceType": "user mode service", "StartType": "auto start", "AccountName": "LocalSystem",
            }),
        )],
        "ww_win_new_service_security.yml" => vec![win(
            "Security",
            SEC_P,
            4697,
            json!({
                "ServiceName": "WinUpdSvc", "ServiceFileName": r"C:\Program Files\Vendor\svc.exe",
            }),
        )],
        "ww_win_service_suspicious_binary.yml" => vec![
            win(
                "System",
                "Service Control Manager",
                7045,
                json!({
                    "ServiceName": "WinUpdSvc",
                    "ImagePath": r"%COMSPEC% /c powershell -nop -w hidden -enc SQBFAFgA",
                }),
            ),
            win(
                "Security",
                SEC_P,
                4697,
                json!({
                    "ServiceName": "x", "ServiceFileName": r"C:\Users\Public\svc.exe",
                }),
            ),
        ],
        "ww_win_lsass_access.yml" => vec![win(
            SYSMON,
            SYSMON_P,
            10,
            json!({
                "SourceImage": r"C:\Users\Public\procdump64.exe",
                "TargetImage": r"C:\Windows\system32\lsass.exe",
                "GrantedAccess": "0x1fffff",
            }),
        )],
        "ww_win_credential_dump_cmdline.yml" => vec![
            win(
                SYSMON,
                SYSMON_P,
                1,
                json!({
                    "Image": r"C:\Users\Public\procdump64.exe",
                    "CommandLine": r"procdump64.exe -accepteula -ma lsass.exe C:\Users\Public\l.dmp",
                }),
            ),
            win(
                "Security",
                SEC_P,
                4688,
                json!({
                    "NewProcessName": r"C:\Windows\System32\rundll32.exe",
                    "CommandLine": r"rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 652 C:\Users\Public\d.bin full",
                }),
            ),
        ],
        "ww_win_failed_logon.yml" => vec![win(
            "Security",
            SEC_P,
            4625,
            json!({
                "TargetUserName": "j.smith", "IpAddress": "10.10.4.21", "LogonType": "3",
            }),
        )],
        "ww_win_account_created.yml" => vec![win(
            "Security",
            SEC_P,
            4720,
            json!({
                "TargetUserName": "svc_backup2", "SubjectUserName": "j.smith",
            }),
        )],
        "ww_win_audit_log_cleared.yml" => {
            let doc = json!({
                "@timestamp": "2025-03-05T14:50:00.000Z",
                "winlog": {"channel": "Security", "provider_name": "Microsoft-Windows-Eventlog", "event_id": 1102,
                    "computer_name": "WS-0142", "user_data": {"SubjectUserName": "j.smith"}},
            });
            let mut e = Event::new(SourceKind::Json, Arc::from("t"), Locator::None);
            ww_parse::winjson::flatten_json(&doc, &mut e.fields);
            vec![e]
        }
        other => panic!("no sample event for {other}: add one"),
    }
}

fn matched_ids(rs: &RuleSet, e: &Event) -> BTreeSet<String> {
    let mut scratch = rs.scratch();
    let mut out = Vec::new();
    rs.matches(e, &mut scratch, &mut out);
    let fast: BTreeSet<String> = out.iter().filter_map(|i| rs.meta(*i).id.clone()).collect();
    let slow: BTreeSet<String> = rs.matches_reference(e).iter().filter_map(|i| rs.meta(*i).id.clone()).collect();
    assert_eq!(fast, slow, "fast path and reference disagree on {e:?}");
    fast
}

fn id_of(yaml: &str) -> String {
    yaml.lines().find_map(|l| l.strip_prefix("id: ")).expect("every rule has an id").trim().to_owned()
}

#[test]
fn all_load_from_disk_with_nothing_skipped() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules");
    let report = load_rules(&[dir], &LoadOptions::default());
    let reasons: Vec<String> = report.skipped.iter().map(ToString::to_string).collect();
    assert!(reasons.is_empty(), "skipped: {reasons:#?}");
    assert_eq!(report.ruleset.len(), builtin_rules().len());
    assert_eq!(report.files, builtin_rules().len(), "every file in rules/ is embedded");
}

#[test]
fn ids_are_unique() {
    let ids: BTreeSet<String> = builtin_rules().iter().map(|(_, y)| id_of(y)).collect();
    assert_eq!(ids.len(), builtin_rules().len());
}

#[test]
fn each_rule_matches_its_sample() {
    let rs = builtin_ruleset(&LoadOptions::default()).expect("builtin rules compile");
    assert_eq!(rs.len(), builtin_rules().len());
    for (file, yaml) in builtin_rules() {
        let id = id_of(yaml);
        for e in sample(file) {
            let got = matched_ids(&rs, &e);
            assert!(got.contains(&id), "{file} did not match its sample {e:?}; matched {got:?}");
        }
    }
}

#[test]
fn benign_events_raise_nothing_serious() {
    use serde_json::json;
    let rs = builtin_ruleset(&LoadOptions::default()).expect("builtin rules compile");
    let benign = vec![
        syslog("<38>Mar  5 09:00:00 bastion01 sshd[1]: Accepted publickey for deploy from 10.0.5.10 port 50000 ssh2"),
        access(
            r#"<190>Mar  5 11:05:01 web01 nginx: 81.2.69.142 - - [05/Mar/2025:11:05:01 +0000] "GET /bins/collection-day?postcode=WD1+2AB HTTP/1.1" 200 5120 "-" "Mozilla/5.0""#,
        ),
        win(
            SYSMON,
            SYSMON_P,
            1,
            json!({
                "Image": r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
                "ParentImage": r"C:\Windows\explorer.exe",
                "CommandLine": r"powershell.exe -File \\wardshire.gov.uk\netlogon\map-drives.ps1",
            }),
        ),
        win(
            SYSMON,
            SYSMON_P,
            10,
            json!({
                "SourceImage": r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18\MsMpEng.exe",
                "TargetImage": r"C:\Windows\system32\lsass.exe",
                "GrantedAccess": "0x1410",
            }),
        ),
        win("Security", SEC_P, 4624, json!({"TargetUserName": "j.smith", "IpAddress": "10.10.4.21", "LogonType": "3"})),
    ];
    for e in &benign {
        assert!(matched_ids(&rs, e).is_empty(), "benign event matched: {e:?}");
    }
}
