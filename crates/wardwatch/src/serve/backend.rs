//! The configured store: SQLite in the data directory (embedded default) or PostgreSQL. Both
//! implement `ww_store::Store`; this adds the few backend-specific housekeeping calls.

use std::sync::Arc;

use anyhow::Context;
use ww_store::postgres::{PgOptions, PgStore};
use ww_store::sqlite::{Durability, SqliteOptions, SqliteStore};
use ww_store::{Store, StoreError};

use crate::config::Config;

#[derive(Clone)]
pub enum Backend {
    Sqlite(Arc<SqliteStore>),
    Postgres(Arc<PgStore>),
}

impl Backend {
    pub async fn open(cfg: &Config) -> anyhow::Result<Backend> {
        match cfg.store.backend.as_str() {
            "postgres" => {
                let url = cfg.store.url.as_ref().context("store.url is required for PostgreSQL")?;
                // The URL may hold a password: errors name the backend, not the URL.
                let store = PgStore::connect(url.expose(), PgOptions::default())
                    .await
                    .context("cannot open the PostgreSQL store")?;
                Ok(Backend::Postgres(Arc::new(store)))
            }
            _ => {
                std::fs::create_dir_all(&cfg.data_dir)
                    .with_context(|| format!("cannot create data directory {}", cfg.data_dir.display()))?;
                let path = cfg.data_dir.join("wardwatch.db");
                let durability = if cfg.store.synchronous == "full" { Durability::Full } else { Durability::Normal };
                let opts = SqliteOptions { durability, ..SqliteOptions::default() };
                let store = SqliteStore::open(&path, opts)
                    .await
                    .with_context(|| format!("cannot open the store at {}", path.display()))?;
                Ok(Backend::Sqlite(Arc::new(store)))
            }
        }
    }

    pub fn store(&self) -> Arc<dyn Store> {
        match self {
            Backend::Sqlite(s) => s.clone(),
            Backend::Postgres(p) => p.clone(),
        }
    }

    /// Indexes up to `max` events for full text; SQLite's index lags intake on purpose,
    /// PostgreSQL's trigram index is maintained by each insert.
    pub async fn index_pending(&self, max: u32) -> Result<u64, StoreError> {
        match self {
            Backend::Sqlite(s) => s.index_pending(max).await,
            Backend::Postgres(_) => Ok(0),
        }
    }

    /// A cheap round trip that proves the store answers; returns the full-text lag in events.
    pub async fn probe(&self) -> Result<u64, StoreError> {
        match self {
            Backend::Sqlite(s) => s.fulltext_lag().await,
            Backend::Postgres(p) => p.has_text_index().await.map(|_| 0),
        }
    }
}
