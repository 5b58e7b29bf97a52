//! The `wardwatch` command: one binary for every job.

mod admin_cmd;
mod config;
mod demo_cmd;
mod hunt_cmd;
mod logging;
mod mail_cmd;
mod rules_cmd;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

// Threads here free what other threads allocated (events built by readers and matchers, written
// and dropped by the store writer); mimalloc's per-thread free lists take that without the lock
// and consolidation passes glibc malloc spent much of the serve writer's time in.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "wardwatch", version, about = "Cyber defence and incident response for UK councils")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Hunt through log files (EVTX, JSON, syslog, web access logs, gzip) with Sigma rules.
    Hunt(hunt_cmd::HuntArgs),
    /// Check Sigma rules: which load, and why the others do not.
    Rules(rules_cmd::RulesArgs),
    /// Screen email: phishing, spam and malware verdicts with reasons.
    #[command(subcommand)]
    Mail(mail_cmd::MailCommand),
    /// Run the always-on server: syslog, HTTP and Elasticsearch-bulk intake, streaming detection,
    /// alerts, search and the API (embedded SQLite in ./wardwatch-data by default).
    Serve(serve::ServeArgs),
    /// Administer tenants, users and API tokens.
    Admin(admin_cmd::AdminArgs),
    /// Replay a synthetic day at a council into a server and watch the serious alerts appear.
    Demo(demo_cmd::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Hunt(args) => hunt_cmd::run(args),
        Command::Rules(args) => rules_cmd::run(args),
        Command::Mail(cmd) => mail_cmd::run(cmd).map(|code| u8::try_from(code).unwrap_or(1)),
        Command::Serve(args) => serve::run(args),
        Command::Admin(args) => admin_cmd::run(args),
        Command::Demo(args) => demo_cmd::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("wardwatch: {e:#}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
