//! Logging for long-running commands: human-readable on a terminal, JSON lines otherwise, level
//! from `RUST_LOG` (default `info`). Personal data only ever appears at trace level.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = if std::io::stderr().is_terminal() { builder.try_init() } else { builder.json().try_init() };
    // A second init (tests, demo starting a server) keeps the first subscriber.
    let _ = result;
}

/// For commands that print their own output (the demo): warnings and errors only.
pub fn init_quiet() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
