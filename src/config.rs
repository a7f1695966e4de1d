//! Typed configuration from `SAFELOG_*` environment variables, each also a
//! command-line flag. Secrets are wrapped so that no `Debug` or log line can
//! print them.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use crate::proxies::TrustedProxies;

/// A value that must never reach a log line, an error message or `--help`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Which sign-ins need a second factor, deployment-wide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Require2fa {
    /// Everyone who can read incident content or reports (every role but plain staff).
    Leads,
    /// Everyone.
    All,
    /// No one (not recommended).
    None,
}

/// Settings shared by every subcommand.
#[derive(Clone, Debug, Args)]
pub struct Config {
    /// Database: a path or sqlite://PATH for SQLite, postgres://USER@HOST/DB for PostgreSQL.
    #[arg(
        long = "database-url",
        env = "SAFELOG_DATABASE_URL",
        default_value = "sqlite://data/safelog.db",
        global = true,
        hide_env_values = true
    )]
    pub database_url: String,

    /// Address and port to listen on, such as 127.0.0.1:8080 or 0.0.0.0:80.
    #[arg(long, env = "SAFELOG_BIND", default_value = "127.0.0.1:8080", value_parser = parse_bind, global = true)]
    pub bind: SocketAddr,

    /// The address people use to reach safelog, for links in emails (e.g. https://safelog.school.org.uk).
    #[arg(long = "base-url", env = "SAFELOG_BASE_URL", global = true)]
    pub base_url: Option<String>,

    /// SMTP server for alerts: smtp://HOST:PORT (plain), smtp://HOST?tls=required (STARTTLS) or smtps://HOST (TLS).
    #[arg(
        long = "smtp-url",
        env = "SAFELOG_SMTP_URL",
        global = true,
        hide_env_values = true
    )]
    pub smtp_url: Option<Secret>,

    /// The From address of alert emails.
    #[arg(
        long = "mail-from",
        env = "SAFELOG_MAIL_FROM",
        default_value = "safelog <safelog@localhost>",
        global = true
    )]
    pub mail_from: String,

    /// The longest wait, in seconds, between two tries to deliver an email.
    #[arg(
        long = "mail-retry-max-secs",
        env = "SAFELOG_MAIL_RETRY_MAX_SECS",
        default_value_t = 300,
        global = true
    )]
    pub mail_retry_max_secs: u64,

    /// The longest, in seconds, one email may take to send. An email claimed
    /// by an instance that stopped mid-send is tried again after twice this.
    #[arg(
        long = "mail-send-timeout-secs",
        env = "SAFELOG_MAIL_SEND_TIMEOUT_SECS",
        default_value_t = 60,
        global = true
    )]
    pub mail_send_timeout_secs: u64,

    /// How often, in milliseconds, the mail worker looks for due emails when
    /// nothing wakes it (an email queued by another instance, a retry coming
    /// due). Not a flag: only tests need another value.
    #[arg(skip = 5000_u64)]
    pub mail_poll_ms: u64,

    /// How often, in milliseconds, to look for incidents past their pick-up
    /// time. Not a flag: only tests need another value.
    #[arg(skip = 60000_u64)]
    pub reminder_poll_ms: u64,

    /// Who must use two-factor sign-in, overriding each school's setting.
    #[arg(
        long = "require-2fa",
        env = "SAFELOG_REQUIRE_2FA",
        value_enum,
        global = true
    )]
    pub require_2fa: Option<Require2fa>,

    /// Secret for signing sign-in tokens, at least 32 bytes; generated and kept in the data folder when unset.
    #[arg(
        long = "jwt-secret",
        env = "SAFELOG_JWT_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub jwt_secret: Option<Secret>,

    /// Folder for files safelog keeps beside its database (the generated token secret).
    /// Defaults to the SQLite database's folder, or ./data with PostgreSQL.
    #[arg(long = "data-dir", env = "SAFELOG_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,

    /// Reverse proxies whose X-Forwarded-For / Forwarded header is believed, as addresses or
    /// CIDR networks separated by commas (e.g. 127.0.0.1,10.0.0.0/8). None by default.
    #[arg(
        long = "trusted-proxies",
        env = "SAFELOG_TRUSTED_PROXIES",
        default_value = "",
        hide_default_value = true,
        value_parser = TrustedProxies::parse,
        global = true
    )]
    pub trusted_proxies: TrustedProxies,

    /// A listener of its own for GET /metrics (Prometheus), such as 127.0.0.1:9187; serves nothing else.
    #[arg(long = "metrics-bind", env = "SAFELOG_METRICS_BIND", value_parser = parse_bind, global = true)]
    pub metrics_bind: Option<SocketAddr>,

    /// Serve GET /metrics on the main listener to requests with Authorization: Bearer TOKEN.
    #[arg(
        long = "metrics-token",
        env = "SAFELOG_METRICS_TOKEN",
        global = true,
        hide_env_values = true
    )]
    pub metrics_token: Option<Secret>,

    /// Worker threads; one per core when unset. Tests use fewer.
    #[arg(skip)]
    pub workers: Option<usize>,

    /// The folder the school's MIS writes the pupil roll to each night: a
    /// subfolder per school named by its URN, holding CSV files. The server
    /// imports each school's newest file once; see README "Pupils from the MIS".
    #[arg(long = "pupil-drop", env = "SAFELOG_PUPIL_DROP", global = true)]
    pub pupil_drop: Option<PathBuf>,

    /// How often, in milliseconds, the server looks in the pupil drop
    /// folder. Not a flag: only tests need another value.
    #[arg(skip = 300_000_u64)]
    pub pupil_drop_poll_ms: u64,
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret::new(s))
    }
}

fn parse_bind(value: &str) -> Result<SocketAddr, String> {
    value.trim().parse().map_err(|_| {
        format!(
            "'{value}' is not an address and port: write it as HOST:PORT, such as 127.0.0.1:8080"
        )
    })
}

impl Config {
    /// The settings a test or a script gets without reading the environment.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            base_url: None,
            smtp_url: None,
            mail_from: "safelog <safelog@localhost>".into(),
            mail_retry_max_secs: 300,
            mail_send_timeout_secs: 60,
            mail_poll_ms: 5000,
            reminder_poll_ms: 60000,
            require_2fa: None,
            jwt_secret: None,
            data_dir: None,
            trusted_proxies: TrustedProxies::default(),
            metrics_bind: None,
            metrics_token: None,
            workers: Some(2),
            pupil_drop: None,
            pupil_drop_poll_ms: 300_000,
        }
    }

    /// The base URL for links, without a trailing slash.
    pub fn base_url(&self) -> String {
        match &self.base_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.bind),
        }
    }

    pub fn is_https(&self) -> bool {
        self.base_url
            .as_deref()
            .is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints() {
        let s = Secret::new("hunter2-canary");
        assert!(!format!("{s:?}").contains("canary"));
    }

    #[test]
    fn a_malformed_bind_says_how_to_write_it() {
        let err = parse_bind("localhost").unwrap_err();
        assert!(err.contains("HOST:PORT"), "{err}");
    }
}
