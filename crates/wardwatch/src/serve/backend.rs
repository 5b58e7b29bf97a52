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

    /// A cheap round trip that proves the store answers.
    pub async fn probe(&self) -> Result<(), StoreError> {
        match self {
            Backend::Sqlite(s) => s.probe().await,
            Backend::Postgres(p) => p.has_text_index().await.map(|_| ()),
        }
    }
}
