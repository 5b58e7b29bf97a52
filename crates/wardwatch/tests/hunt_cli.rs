//! The hunt through the real binary: golden outputs on the shipped sample, exit codes, and
//! bad input that must be reported without stopping the hunt.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn wardwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wardwatch")).current_dir(root()).args(args).output().expect("run wardwatch")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Compares with a checked-in golden file; `UPDATE_GOLDEN=1` rewrites it.
fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing golden {}", path.display()));
    assert_eq!(actual, expected, "output differs from {} (UPDATE_GOLDEN=1 to accept)", path.display());
}

fn sample_hunt(format: &str) -> Output {
    wardwatch(&["hunt", "--rules", "samples/rules", "samples/logs", "--threads", "1", "--quiet", "--format", format])
}

#[test]
fn sample_hunt_jsonl_matches_golden() {
    let o = sample_hunt("jsonl");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    golden("sample.jsonl", &String::from_utf8_lossy(&o.stdout));
}

#[test]
fn sample_hunt_csv_matches_golden() {
    let o = sample_hunt("csv");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    golden("sample.csv", &String::from_utf8_lossy(&o.stdout));
}

#[test]
fn sample_hunt_table_matches_golden() {
    let o = sample_hunt("table");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    golden("sample.table.txt", &String::from_utf8_lossy(&o.stdout));
}

#[test]
fn sample_hunt_finds_every_stage_of_the_incident() {
    let o = sample_hunt("jsonl");
    let out = String::from_utf8_lossy(&o.stdout);
    let titles: Vec<String> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json line"))
        .map(|v| v["rule"]["title"].as_str().unwrap_or_default().to_owned())
        .collect();
    for expected in [
        "Office Application Starts a Shell or Script Host",
        "Encoded PowerShell Download Cradle",
        "LSASS Memory Dumped with comsvcs.dll",
        "Service Installed from a User-Writable Folder",
        "Remote Desktop Logon from Outside the Council Network",
        "SQL Injection Attempt against a Web Application",
        "Path Traversal to System Files",
        "Web Shell Command in an IIS Request",
        "SSH Password Guessing",
        "Firewall Denied a Connection to a Remote Administration Port",
    ] {
        assert!(titles.iter().any(|t| t == expected), "no detection of '{expected}' in:\n{out}");
    }
    // Negative cases in the sample: the internal RDP logon and notepad must not fire anything.
    assert!(!out.contains("\"TargetUserName\":\"jsmith\""), "internal RDP logon flagged");
    assert!(!out.contains("notepad.exe"), "benign process flagged");
}

#[test]
fn summary_json_has_the_documented_keys_and_reports_bad_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let summary = dir.path().join("summary.json");
    let o = wardwatch(&[
        "hunt",
        "--rules",
        "samples/rules",
        "samples/logs",
        "--quiet",
        "--format",
        "jsonl",
        "--output",
        dir.path().join("out.jsonl").to_str().expect("utf8"),
        "--summary-json",
        summary.to_str().expect("utf8"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).expect("summary")).expect("json");
    for key in [
        "files",
        "events",
        "parse_errors",
        "rules_loaded",
        "rules_skipped",
        "detections",
        "detections_by_level",
        "elapsed_seconds",
    ] {
        assert!(s.get(key).is_some(), "summary lacks {key}: {s}");
    }
    assert_eq!(s["files"], 5);
    assert_eq!(s["files_unreadable"], 0);
    assert_eq!(s["rules_loaded"], 10);
    // The sample holds one non-syslog line and one truncated JSON line on purpose.
    assert!(s["parse_errors"].as_u64().unwrap_or(0) >= 1, "{s}");
    let err = stderr(&o);
    assert!(
        err.contains("workstation-winlogbeat.ndjson") && err.contains("line 9"),
        "diagnostic lacks file/line:\n{err}"
    );
    let out = std::fs::read_to_string(dir.path().join("out.jsonl")).expect("output file");
    assert_eq!(out.lines().count() as u64, s["detections"].as_u64().unwrap_or(0));
}

#[test]
fn filters_narrow_the_detections() {
    let count = |extra: &[&str]| {
        let mut args = vec!["hunt", "--rules", "samples/rules", "samples/logs", "--quiet", "--format", "jsonl"];
        args.extend_from_slice(extra);
        let o = wardwatch(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).lines().count()
    };
    let all = count(&[]);
    assert!(all > 0);
    assert!(count(&["--min-level", "critical"]) < all);
    assert_eq!(count(&["--tag", "T1003"]), 1, "only the LSASS dump is T1003");
    assert_eq!(count(&["--rule", "9f4c3e21-6b7d-4f0a-8e2c-5d1a0b3c7e03"]), 1);
    assert_eq!(
        count(&["--from", "2025-03-11T09:00:00Z", "--to", "2025-03-11T09:15:00Z", "--rule", "Remote Desktop"]),
        1
    );
    assert_eq!(count(&["--from", "2030-01-01"]), 0);
}

#[test]
fn exit_codes() {
    // Usage errors: 2.
    assert_eq!(wardwatch(&["hunt", "samples/logs"]).status.code(), Some(2), "missing --rules");
    assert_eq!(wardwatch(&["hunt", "--rules", "no/such/dir", "samples/logs"]).status.code(), Some(2));
    assert_eq!(
        wardwatch(&["hunt", "--rules", "samples/rules", "samples/logs", "--from", "soon"]).status.code(),
        Some(2)
    );
    // Nothing readable at all: 1.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("junk.bin"), [0u8, 159, 146, 150, 0, 1, 2]).expect("write");
    let o = wardwatch(&["hunt", "--rules", "samples/rules", dir.path().to_str().expect("utf8"), "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("junk.bin"));
    let o = wardwatch(&["hunt", "--rules", "samples/rules", "does/not/exist", "--quiet"]);
    assert_eq!(o.status.code(), Some(1));
    // Readable input without detections: 0.
    std::fs::write(dir.path().join("quiet.log"), "Mar 11 10:00:00 host app[1]: all is well\n").expect("write");
    let o = wardwatch(&["hunt", "--rules", "samples/rules", dir.path().to_str().expect("utf8"), "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn broken_input_is_reported_and_the_hunt_carries_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A gzip stream cut in half, after which a good file must still be read.
    let text: String = (0..3000)
        .map(|i| {
            format!(
                "Mar 11 02:14:{:02} webmail01 sshd[{i}]: Failed password for root from 203.0.113.45 port 5 ssh2\n",
                i % 60
            )
        })
        .collect();
    let mut gz = flate2_compress(text.as_bytes());
    gz.truncate(gz.len() / 2);
    std::fs::write(dir.path().join("auth.log.gz"), gz).expect("write");
    std::fs::copy(root().join("samples/logs/webmail-auth.log"), dir.path().join("webmail-auth.log")).expect("copy");
    let summary = dir.path().join("s.json");
    let o = wardwatch(&[
        "hunt",
        "--rules",
        "samples/rules",
        dir.path().to_str().expect("utf8"),
        "--quiet",
        "--format",
        "jsonl",
        "--summary-json",
        summary.to_str().expect("utf8"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("auth.log.gz") && err.contains("reading stopped early"), "{err}");
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).expect("summary")).expect("json");
    assert!(s["events"].as_u64().unwrap_or(0) > 100, "events before the break are kept: {s}");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("webmail-auth.log"), "the good file was read");
}

/// Compresses with the system's gzip (part of every Debian base system).
fn flate2_compress(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip is installed");
    child.stdin.take().expect("stdin").write_all(data).expect("write");
    child.wait_with_output().expect("gzip").stdout
}

#[test]
fn rules_check_lists_skipped_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(root().join("samples/rules/lsass_minidump_comsvcs.yml"), dir.path().join("ok.yml")).expect("copy");
    std::fs::write(
        dir.path().join("bad.yml"),
        "title: Bad modifier\nid: 11111111-2222-3333-4444-555555555555\nlogsource:\n  product: windows\ndetection:\n  sel:\n    Image|frobnicate: x\n  condition: sel\n",
    )
    .expect("write");
    let o = wardwatch(&["rules", "check", dir.path().to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("bad.yml") && out.contains("11111111-2222-3333-4444-555555555555") && out.contains("frobnicate"),
        "{out}"
    );
    assert!(stderr(&o).contains("1 loaded, 1 skipped"), "{}", stderr(&o));
}
