//! `wardwatch rules check`: load rules and report every one that does not load, with why.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::hunt_cmd::{RuleSelection, load_options};

#[derive(Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    action: RulesAction,
}

#[derive(Subcommand)]
enum RulesAction {
    /// Load rules and list every skipped rule with file, id and reason.
    Check {
        /// Rule files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        selection: RuleSelection,
        /// Write the list as JSON lines instead of text.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: RulesArgs) -> anyhow::Result<u8> {
    match args.action {
        RulesAction::Check { paths, selection, json } => {
            for p in &paths {
                if !p.exists() {
                    eprintln!("wardwatch: rule path {} does not exist", p.display());
                    return Ok(2);
                }
            }
            let opts = match load_options(&selection) {
                Ok(o) => o,
                Err(e) => {
                    eprintln!("wardwatch: {e:#}");
                    return Ok(2);
                }
            };
            let report = ww_sigma::load_rules(&paths, &opts);
            let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
            for s in &report.skipped {
                *by_kind.entry(format!("{:?}", s.kind)).or_default() += 1;
                if json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "file": s.file.display().to_string(),
                            "rule_id": s.rule_id,
                            "title": s.title,
                            "kind": format!("{:?}", s.kind),
                            "reason": s.reason,
                            "line": s.line,
                            "column": s.column,
                        })
                    );
                } else {
                    println!("{s}");
                }
            }
            let kinds: Vec<String> = by_kind.iter().map(|(k, v)| format!("{v} {}", k.to_lowercase())).collect();
            eprintln!(
                "{} rule files: {} loaded, {} skipped{}, {} filtered out",
                report.files,
                report.ruleset.len(),
                report.skipped.len(),
                if kinds.is_empty() { String::new() } else { format!(" ({})", kinds.join(", ")) },
                report.filtered_out
            );
            Ok(0)
        }
    }
}
