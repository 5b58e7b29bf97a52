//! `wardwatch mail analyse` through the real binary: verdicts with reasons, exit codes, pipes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ww-mail/tests/fixtures")
}

fn wardwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wardwatch")).args(args).output().expect("run wardwatch")
}

#[test]
fn lookalike_sender_is_phish_with_its_evidence() {
    let path = fixtures().join("lookalike_sender.eml");
    let o = wardwatch(&["mail", "analyse", "--format", "jsonl", path.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let line = String::from_utf8_lossy(&o.stdout);
    let v: serde_json::Value = serde_json::from_str(line.trim()).expect("one JSON line");
    assert_eq!(v["verdict"], "phish", "{v}");
    let reasons = v["reasons"].as_array().expect("reasons");
    assert!(
        reasons.iter().any(|r| r["id"] == "LOOKALIKE_SENDER"
            && r["evidence"].as_str().is_some_and(|e| e.contains("council-gov.uk ~ council.gov.uk"))),
        "{v}"
    );
}

#[test]
fn benign_council_mail_is_clean_and_every_flag_has_a_reason() {
    let o = wardwatch(&["mail", "analyse", "--format", "jsonl", fixtures().to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(0), "verdicts are output, not failure");
    let mut seen = 0;
    for line in String::from_utf8_lossy(&o.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        let source = v["source"].as_str().unwrap_or_default().to_owned();
        if source.contains("/benign/") {
            assert_eq!(v["verdict"], "clean", "{source}: {v}");
        }
        if v["verdict"] != "clean" {
            assert!(!v["reasons"].as_array().expect("reasons").is_empty(), "{source} flagged without a reason");
        }
        seen += 1;
    }
    assert!(seen >= 8, "read {seen} messages");
}

#[test]
fn exit_codes_and_closed_pipes() {
    assert_eq!(wardwatch(&["mail", "analyse", "/no/such/mail"]).status.code(), Some(1), "nothing readable");
    assert_eq!(wardwatch(&["mail", "analyse"]).status.code(), Some(2), "usage");
    // A reader that goes away early (`| head -1`) ends the run quietly.
    let mut child = Command::new(env!("CARGO_BIN_EXE_wardwatch"))
        .args(["mail", "analyse", fixtures().to_str().expect("utf8")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
}
