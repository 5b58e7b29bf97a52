//! The rule pack that ships inside the binary: original Sigma 2 rules for what a council's
//! logs show (sshd, VPN and webmail logins, firewall denies, web attacks and appeal-record
//! enumeration, the Windows steps of a phished workstation). Files live in
//! `crates/ww-detect/rules/` and are embedded at build time.
//!
//! Levels are chosen for aggregation: single failed logins and firewall denies are `low` or
//! `informational` (the alert's count and score show a brute force); only behaviour that is rare
//! on a healthy network is `high` or `critical`.

use ww_sigma::{LoadOptions, RuleSet, SkippedRule};

static RULES: &[(&str, &str)] = &[
    ("ww_firewall_deny.yml", include_str!("../rules/ww_firewall_deny.yml")),
    ("ww_firewall_deny_admin_port.yml", include_str!("../rules/ww_firewall_deny_admin_port.yml")),
    ("ww_sshd_failed_password.yml", include_str!("../rules/ww_sshd_failed_password.yml")),
    ("ww_sshd_invalid_user.yml", include_str!("../rules/ww_sshd_invalid_user.yml")),
    ("ww_vpn_auth_failure.yml", include_str!("../rules/ww_vpn_auth_failure.yml")),
    ("ww_web_appeal_document_access.yml", include_str!("../rules/ww_web_appeal_document_access.yml")),
    ("ww_web_path_traversal.yml", include_str!("../rules/ww_web_path_traversal.yml")),
    ("ww_web_scanner_user_agent.yml", include_str!("../rules/ww_web_scanner_user_agent.yml")),
    ("ww_web_sql_injection.yml", include_str!("../rules/ww_web_sql_injection.yml")),
    ("ww_web_webshell_probe.yml", include_str!("../rules/ww_web_webshell_probe.yml")),
    ("ww_webmail_auth_failure.yml", include_str!("../rules/ww_webmail_auth_failure.yml")),
    ("ww_win_account_created.yml", include_str!("../rules/ww_win_account_created.yml")),
    ("ww_win_audit_log_cleared.yml", include_str!("../rules/ww_win_audit_log_cleared.yml")),
    ("ww_win_credential_dump_cmdline.yml", include_str!("../rules/ww_win_credential_dump_cmdline.yml")),
    ("ww_win_encoded_powershell.yml", include_str!("../rules/ww_win_encoded_powershell.yml")),
    ("ww_win_failed_logon.yml", include_str!("../rules/ww_win_failed_logon.yml")),
    ("ww_win_lsass_access.yml", include_str!("../rules/ww_win_lsass_access.yml")),
    ("ww_win_new_service_security.yml", include_str!("../rules/ww_win_new_service_security.yml")),
    ("ww_win_new_service_system.yml", include_str!("../rules/ww_win_new_service_system.yml")),
    ("ww_win_office_spawns_shell.yml", include_str!("../rules/ww_win_office_spawns_shell.yml")),
    ("ww_win_service_suspicious_binary.yml", include_str!("../rules/ww_win_service_suspicious_binary.yml")),
];

/// The built-in rules as (file name, YAML text).
pub fn builtin_rules() -> &'static [(&'static str, &'static str)] {
    RULES
}

/// Compiles every built-in rule into one set (their metadata paths read `<string>`). Fails with
/// every reason if any rule does not load under `opts` (a custom logsource map can break them).
pub fn builtin_ruleset(opts: &LoadOptions) -> Result<RuleSet, Vec<SkippedRule>> {
    let mut all = String::new();
    for (_, yaml) in RULES {
        all.push_str("---\n");
        all.push_str(yaml);
        all.push('\n');
    }
    RuleSet::compile_from_str(&all, opts)
}
