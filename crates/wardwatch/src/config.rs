//! `wardwatch.toml`: one versioned file, unknown keys rejected, defaults that work with no file
//! at all, and `WARDWATCH_*` environment overrides for the settings people change per machine.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Format version of this file; only 1 exists.
    pub version: u32,
    /// Where the database and other state live.
    pub data_dir: PathBuf,
    pub http: HttpConfig,
    pub store: StoreConfig,
    pub pipeline: PipelineConfig,
    pub rules: RulesConfig,
    /// Alert aggregation, triage and the asset list.
    pub detect: ww_detect::DetectConfig,
    /// Tenants created at start-up when missing.
    pub tenants: Vec<TenantConfig>,
    /// Intake sources; each belongs to one tenant.
    pub sources: Vec<SourceConfig>,
    /// Email and webhook notifications.
    pub notify: NotifyConfig,
    /// Incident response settings.
    pub respond: RespondConfig,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RespondConfig {
    /// A breach policy file replacing the built-in UK GDPR one (deadline, warning, assessment
    /// questions, risk options, NCSC categories, default services), for when guidance changes.
    pub breach_policy: Option<PathBuf>,
}

impl RespondConfig {
    pub fn load_policy(&self) -> anyhow::Result<ww_respond::BreachPolicy> {
        match &self.breach_policy {
            Some(p) => ww_respond::BreachPolicy::from_file(p).map_err(|e| anyhow::anyhow!("{e}")),
            None => ww_respond::BreachPolicy::embedded().map_err(|e| anyhow::anyhow!("{e}")),
        }
    }
}

/// Notifications: who is told what is each user's own preference (console, Settings); this
/// section says how messages leave the server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyConfig {
    /// Run the notifier at all. Default true (it sends nothing until users give an address).
    pub enabled: bool,
    /// The console's public address, for links in messages (e.g. `https://wardwatch.council.gov.uk`).
    pub base_url: Option<String>,
    /// How often the notifier looks for news.
    pub interval_secs: u64,
    /// Alerts with at least this triage score are "serious".
    pub serious_score: u8,
    /// Tell assignees this many hours before a task is due (and again when it is overdue).
    pub task_due_hours: u32,
    /// Allow webhooks over plain http to this machine (127.0.0.1, ::1, localhost). Default true.
    pub webhook_allow_loopback_http: bool,
    pub smtp: Option<SmtpSettings>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    /// Default 587 (STARTTLS); 465 for `tls`, 25 for an internal relay.
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// `starttls` (default), `tls`, or `none` for a relay on this host or a trusted network.
    #[serde(default = "default_smtp_security")]
    pub security: ww_notify::smtp::SmtpSecurity,
    pub username: Option<String>,
    /// Prefer `password_file` or `WARDWATCH_SMTP_PASSWORD`; never logged.
    pub password: Option<Secret>,
    pub password_file: Option<PathBuf>,
    /// The sender, e.g. `wardwatch <wardwatch@council.gov.uk>`.
    pub from: String,
}

fn default_smtp_port() -> u16 {
    587
}

fn default_smtp_security() -> ww_notify::smtp::SmtpSecurity {
    ww_notify::smtp::SmtpSecurity::Starttls
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            enabled: true,
            base_url: None,
            interval_secs: 30,
            serious_score: 60,
            task_due_hours: 24,
            webhook_allow_loopback_http: true,
            smtp: None,
        }
    }
}

impl NotifyConfig {
    /// The SMTP settings for `ww-notify`, with the password resolved.
    pub fn smtp_config(&self) -> Option<ww_notify::smtp::SmtpConfig> {
        let s = self.smtp.as_ref()?;
        Some(ww_notify::smtp::SmtpConfig {
            host: s.host.clone(),
            port: s.port,
            security: s.security,
            username: s.username.clone(),
            password: s.password.as_ref().map(|p| p.expose().to_owned()),
            from: s.from.clone(),
            timeout: std::time::Duration::from_secs(20),
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    pub listen: SocketAddr,
    /// Largest accepted request body (ingest, `_bulk`).
    pub max_body_bytes: usize,
    /// Serve `/metrics` without credentials to loopback peers (for a local Prometheus).
    pub metrics_public_on_loopback: bool,
    /// Set when a TLS-terminating proxy sits in front, so session cookies are marked Secure.
    pub behind_tls: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// `sqlite` (embedded default, in `data_dir`) or `postgres` (needs `url`).
    pub backend: String,
    /// PostgreSQL connection URL (`postgres://user:password@host/db`). It may hold a password:
    /// prefer `WARDWATCH_STORE_URL` or `url_file`; it never appears in logs or `Debug` output.
    pub url: Option<Secret>,
    /// A file holding the PostgreSQL URL (e.g. a mounted secret).
    pub url_file: Option<PathBuf>,
    /// `full` (fsync every commit: survives power loss) or `normal` (survives a crashed process).
    pub synchronous: String,
    pub retention_days: u32,
    pub retention_max_gb: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineConfig {
    /// Batches the intake queue holds before producers are pushed back.
    pub queue_batches: usize,
    /// Parse-and-match threads; 0 means one per core.
    pub workers: usize,
    /// Most events written in one transaction.
    pub max_commit_events: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RulesConfig {
    /// Sigma rule files or directories, besides the built-in pack.
    pub paths: Vec<PathBuf>,
    /// Load the rule pack that ships in the binary.
    pub builtin_rules: bool,
    /// Extra logsource mappings (same format as `hunt --logsource-map`).
    pub logsource_maps: Vec<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceType {
    SyslogUdp,
    SyslogTcp,
    SyslogTls,
    File,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub name: String,
    pub tenant: String,
    #[serde(rename = "type")]
    pub kind: SourceType,
    /// For syslog sources.
    pub listen: Option<SocketAddr>,
    /// `auto`, `syslog`, `access_log`, `w3c`, `json`.
    #[serde(default = "auto")]
    pub format: String,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// For file sources.
    #[serde(default)]
    pub paths: Vec<PathBuf>,
}

fn auto() -> String {
    "auto".into()
}

pub const DEFAULT_TENANT: &str = "default";
pub const DEFAULT_HTTP: &str = "127.0.0.1:8080";
pub const DEFAULT_SYSLOG: &str = "127.0.0.1:5514";

impl Default for Config {
    fn default() -> Self {
        Config {
            version: 1,
            data_dir: PathBuf::from("wardwatch-data"),
            http: HttpConfig::default(),
            store: StoreConfig::default(),
            pipeline: PipelineConfig::default(),
            rules: RulesConfig::default(),
            detect: ww_detect::DetectConfig::default(),
            tenants: Vec::new(),
            sources: Vec::new(),
            notify: NotifyConfig::default(),
            respond: RespondConfig::default(),
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: DEFAULT_HTTP.parse().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8080))),
            max_body_bytes: 10 * 1024 * 1024,
            metrics_public_on_loopback: true,
            behind_tls: false,
        }
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            backend: "sqlite".into(),
            url: None,
            url_file: None,
            synchronous: "full".into(),
            retention_days: 90,
            retention_max_gb: 50.0,
        }
    }
}

/// A configuration value that must not be printed (database URLs with passwords).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Self {
        Secret(s)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig { queue_batches: 256, workers: 0, max_commit_events: 20_000 }
    }
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig { paths: Vec::new(), builtin_rules: true, logsource_maps: Vec::new() }
    }
}

impl Config {
    /// Reads the file at `path` if given (it must exist), else `./wardwatch.toml` if present,
    /// else the defaults; then applies environment overrides and fills in the default tenant and
    /// syslog sources when the file names none.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Config> {
        let env_path = std::env::var_os("WARDWATCH_CONFIG").map(PathBuf::from);
        let chosen = path.map(Path::to_path_buf).or(env_path);
        let mut cfg = match chosen {
            Some(p) => Self::from_file(&p)?,
            None if Path::new("wardwatch.toml").exists() => Self::from_file(Path::new("wardwatch.toml"))?,
            None => Config::default(),
        };
        cfg.apply_env()?;
        cfg.fill_defaults();
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn from_file(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        Self::from_toml(&text).with_context(|| format!("in {}", path.display()))
    }

    pub fn from_toml(text: &str) -> anyhow::Result<Config> {
        let cfg: Config = toml::from_str(text)?;
        if cfg.version != 1 {
            bail!("unsupported config version {} (this wardwatch reads version 1)", cfg.version);
        }
        Ok(cfg)
    }

    fn apply_env(&mut self) -> anyhow::Result<()> {
        if let Some(v) = std::env::var_os("WARDWATCH_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Ok(v) = std::env::var("WARDWATCH_HTTP_LISTEN") {
            self.http.listen = v.parse().with_context(|| format!("WARDWATCH_HTTP_LISTEN={v:?} is not host:port"))?;
        }
        if let Ok(v) = std::env::var("WARDWATCH_STORE_SYNCHRONOUS") {
            self.store.synchronous = v;
        }
        if let Ok(v) = std::env::var("WARDWATCH_STORE_BACKEND") {
            self.store.backend = v;
        }
        if let Ok(v) = std::env::var("WARDWATCH_STORE_URL") {
            self.store.url = Some(Secret::new(v));
        }
        if let Some(smtp) = &mut self.notify.smtp {
            if let Ok(v) = std::env::var("WARDWATCH_SMTP_PASSWORD") {
                smtp.password = Some(Secret::new(v));
            } else if smtp.password.is_none()
                && let Some(path) = &smtp.password_file
            {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read notify.smtp.password_file {}", path.display()))?;
                smtp.password = Some(Secret::new(text.trim_end_matches(['\r', '\n']).to_owned()));
            }
        }
        if self.store.url.is_none()
            && let Some(path) = &self.store.url_file
        {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read store.url_file {}", path.display()))?;
            self.store.url = Some(Secret::new(text.trim().to_owned()));
        }
        Ok(())
    }

    /// With no tenants or sources configured, wardwatch is still useful at once: one `default`
    /// tenant receiving syslog over UDP and TCP on 127.0.0.1:5514.
    pub fn fill_defaults(&mut self) {
        if self.tenants.is_empty() {
            self.tenants.push(TenantConfig { slug: DEFAULT_TENANT.into(), name: "Default council".into() });
        }
        if self.sources.is_empty() {
            let listen = DEFAULT_SYSLOG.parse().ok();
            let tenant = self.tenants[0].slug.clone();
            for (name, kind) in [("syslog-udp", SourceType::SyslogUdp), ("syslog-tcp", SourceType::SyslogTcp)] {
                self.sources.push(SourceConfig {
                    name: name.into(),
                    tenant: tenant.clone(),
                    kind,
                    listen,
                    format: auto(),
                    tls_cert: None,
                    tls_key: None,
                    paths: Vec::new(),
                });
            }
        }
    }

    fn validate(&self) -> anyhow::Result<()> {
        let mut problems = Vec::new();
        match self.store.backend.as_str() {
            "sqlite" => {}
            "postgres" if self.store.url.is_some() => {}
            "postgres" => problems.push("store.backend \"postgres\" needs store.url (or WARDWATCH_STORE_URL)".into()),
            other => problems.push(format!("store.backend {other:?}: use \"sqlite\" or \"postgres\"")),
        }
        if !matches!(self.store.synchronous.as_str(), "full" | "normal") {
            problems.push(format!("store.synchronous {:?}: use \"full\" or \"normal\"", self.store.synchronous));
        }
        let mut names = std::collections::HashSet::new();
        for s in &self.sources {
            if !self.tenants.iter().any(|t| t.slug == s.tenant) {
                problems.push(format!("source {:?}: tenant {:?} is not in [[tenants]]", s.name, s.tenant));
            }
            if !names.insert((&s.tenant, &s.name)) {
                problems.push(format!("source {:?} is defined twice for tenant {:?}", s.name, s.tenant));
            }
            if s.format.parse::<ww_parse::record::RecordFormat>().is_err() {
                problems.push(format!("source {:?}: unknown format {:?}", s.name, s.format));
            }
            match s.kind {
                SourceType::SyslogUdp | SourceType::SyslogTcp | SourceType::SyslogTls if s.listen.is_none() => {
                    problems.push(format!("source {:?}: `listen` is required", s.name));
                }
                SourceType::SyslogTls if s.tls_cert.is_none() || s.tls_key.is_none() => {
                    problems.push(format!("source {:?}: `tls_cert` and `tls_key` are required", s.name));
                }
                SourceType::File if s.paths.is_empty() => {
                    problems.push(format!("source {:?}: `paths` is required", s.name));
                }
                _ => {}
            }
        }
        if let Some(url) = &self.notify.base_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            problems.push(format!("notify.base_url {url:?}: must start with https:// or http://"));
        }
        if self.notify.interval_secs == 0 {
            problems.push("notify.interval_secs must be at least 1".into());
        }
        if let Some(smtp) = &self.notify.smtp {
            if ww_notify::smtp::check_address(&smtp.from).is_err() {
                problems.push(format!("notify.smtp.from {:?} is not an email address", smtp.from));
            }
            if smtp.username.is_some() != (smtp.password.is_some() || smtp.password_file.is_some()) {
                problems.push("notify.smtp: give both username and password (or password_file), or neither".into());
            }
        }
        if problems.is_empty() { Ok(()) } else { bail!("invalid configuration:\n  {}", problems.join("\n  ")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_working_defaults() {
        let mut cfg = Config::from_toml("").expect("parses");
        cfg.fill_defaults();
        assert_eq!(cfg.tenants[0].slug, "default");
        assert_eq!(cfg.sources.len(), 2);
        cfg.validate().expect("valid");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = Config::from_toml("version = 1\n[http]\nlisten = \"127.0.0.1:1\"\nlisten_tls = 1\n").unwrap_err();
        assert!(format!("{err:#}").contains("listen_tls"), "{err:#}");
    }

    #[test]
    fn sources_must_name_a_known_tenant_and_their_needs() {
        let text = r#"
version = 1
[[tenants]]
slug = "wardshire"
name = "Wardshire District Council"
[[sources]]
name = "fw"
tenant = "elsewhere"
type = "syslog_udp"
[[sources]]
name = "tls"
tenant = "wardshire"
type = "syslog_tls"
listen = "127.0.0.1:6514"
"#;
        let mut cfg = Config::from_toml(text).expect("parses");
        cfg.fill_defaults();
        let err = format!("{:#}", cfg.validate().unwrap_err());
        assert!(err.contains("tenant \"elsewhere\""), "{err}");
        assert!(err.contains("`listen` is required"), "{err}");
        assert!(err.contains("`tls_cert` and `tls_key`"), "{err}");
    }

    #[test]
    fn the_documented_example_is_valid() {
        let mut cfg = Config::from_toml(include_str!("../../../docs/wardwatch.example.toml")).expect("parses");
        cfg.fill_defaults();
        cfg.validate().expect("valid");
        assert_eq!(cfg.sources.len(), 4);
        assert_eq!(cfg.detect.assets.entries.len(), 2);
        assert!(cfg.notify.smtp_config().is_some_and(|s| s.port == 587));
        assert!(!format!("{cfg:?}").contains("hunter2"));
    }

    #[test]
    fn smtp_passwords_are_redacted_and_need_a_username() {
        let mut cfg = Config::from_toml(
            "[notify.smtp]\nhost = \"smtp.example\"\nusername = \"ww\"\npassword = \"hunter2\"\nfrom = \"ww@example.org\"\n",
        )
        .expect("parses");
        assert!(!format!("{cfg:?}").contains("hunter2"));
        cfg.fill_defaults();
        cfg.validate().expect("valid");
        if let Some(s) = cfg.notify.smtp.as_mut() {
            s.username = None;
            s.from = "not an address".into();
        }
        let err = format!("{:#}", cfg.validate().unwrap_err());
        assert!(err.contains("notify.smtp.from") && err.contains("username and password"), "{err}");
    }

    #[test]
    fn database_urls_are_redacted_and_postgres_needs_one() {
        let mut cfg = Config::from_toml("[store]\nbackend = \"postgres\"\nurl = \"postgres://u:hunter2@db/ww\"\n")
            .expect("parses");
        assert!(!format!("{cfg:?}").contains("hunter2"));
        cfg.fill_defaults();
        cfg.validate().expect("valid");
        cfg.store.url = None;
        assert!(format!("{:#}", cfg.validate().unwrap_err()).contains("needs store.url"));
    }

    #[test]
    fn future_versions_are_refused() {
        assert!(Config::from_toml("version = 2").is_err());
    }
}
