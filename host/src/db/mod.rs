//! The trade database: SQLite embedded by default, Postgres from the same
//! code. Both run through sqlx's `Any` driver with one set of migrations;
//! queries use `$N` placeholders, which both engines accept.

pub mod driver_state;
mod events;
mod idempotency;
mod nonces;
mod orders;
mod records;
mod trades;

use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

use crate::error::{Error, ErrorKind, Result};

pub use driver_state::DriverState;
pub use events::{Event, EventKind};
pub use idempotency::KeyState;
pub use trades::{NewBuy, NewSell, Settling};

/// The schema's migrations, embedded: one set for SQLite and Postgres.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Name of the partial unique index that enforces one position per asset
/// per exchange (migration 0006).
pub const ONE_POSITION_INDEX: &str = "one_open_position_per_asset";

/// Default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://tradehost.db";

/// The trade database: its connection pools, cheap to clone.
#[derive(Clone)]
pub struct Database {
    pool: AnyPool,
    /// Nonce reservations only: ordered across processes by the database's
    /// locks like every write, but not flushed to disk one by one (see
    /// `nonces.rs` for why that is safe).
    nonce_pool: AnyPool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Database {
    /// Connects and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Database> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(Error::config(format!(
                "DATABASE_URL must start with sqlite: or postgres: (got a URL starting {:?})",
                url.split(':').next().unwrap_or_default()
            )));
        };
        let lock_path = (backend == Backend::Sqlite)
            .then(|| sqlite_path(url))
            .flatten();
        let url = match backend {
            // Create the file on first use.
            Backend::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_owned(),
        };
        let pool = pool_options(backend, 8, Durability::EveryCommit)
            .connect(&url)
            .await
            .map_err(|e| {
                Error::new(
                    ErrorKind::Database,
                    format!("cannot open the trade database: {}", redact_url_error(&e)),
                )
            })?;
        // Connected on first use: most commands sign nothing.
        let nonce_pool = pool_options(backend, 1, Durability::Deferred)
            .connect_lazy(&url)
            .map_err(|e| {
                Error::new(
                    ErrorKind::Database,
                    format!("cannot open the trade database: {}", redact_url_error(&e)),
                )
            })?;
        // Any number of hosts may start at once on a new database: SQLite
        // migrations are serialized by a lock file beside the database;
        // sqlx serializes Postgres's with an advisory lock.
        let _lock = match &lock_path {
            Some(path) => Some(migration_lock(path).await?),
            None => None,
        };
        MIGRATOR.run(&pool).await.map_err(|e| {
            Error::new(
                ErrorKind::Database,
                format!("cannot migrate the trade database: {e}"),
            )
        })?;
        Ok(Database { pool, nonce_pool })
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub(crate) fn nonce_pool(&self) -> &AnyPool {
        &self.nonce_pool
    }

    /// Closes the pools, waiting for connections in use to come back.
    pub async fn close(&self) {
        self.nonce_pool.close().await;
        self.pool.close().await;
    }
}

/// Whether each commit waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durability {
    /// Trades, orders and events: a reservation must survive a power cut
    /// after its order was sent.
    EveryCommit,
    /// Nonces: ordered by the database's locks, flushed with the next
    /// durable commit.
    Deferred,
}

fn pool_options(backend: Backend, connections: u32, durability: Durability) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                match (backend, durability) {
                    (Backend::Sqlite, _) => {
                        // WAL lets readers run beside the writer; the busy
                        // timeout makes concurrent processes wait for the
                        // lock, not fail.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA busy_timeout = 30000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute(match durability {
                            Durability::EveryCommit => "PRAGMA synchronous = FULL",
                            Durability::Deferred => "PRAGMA synchronous = NORMAL",
                        })
                        .await?;
                    }
                    (Backend::Postgres, Durability::Deferred) => {
                        conn.execute("SET synchronous_commit = off").await?;
                    }
                    (Backend::Postgres, Durability::EveryCommit) => {}
                }
                Ok(())
            })
        })
}

/// The file of a `sqlite:` URL, unless it is in memory.
fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.contains(":memory:")).then(|| std::path::PathBuf::from(path))
}

/// An exclusive lock on `<database>.migrate-lock`, released when dropped.
async fn migration_lock(database: &std::path::Path) -> Result<std::fs::File> {
    let mut name = database.as_os_str().to_owned();
    name.push(".migrate-lock");
    let path = std::path::PathBuf::from(name);
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|e| {
        Error::new(
            ErrorKind::Database,
            format!("cannot lock the migrations: {e}"),
        )
    })?
    .map_err(|e| {
        Error::new(
            ErrorKind::Database,
            format!("cannot lock the migrations: {e}"),
        )
    })
}

/// A database error message never echoes the URL (it may carry a password).
fn redact_url_error(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Configuration(_) => "the DATABASE_URL is malformed".to_owned(),
        other => other.to_string(),
    }
}

pub(crate) fn db_error(context: &str, err: sqlx::Error) -> Error {
    Error::new(ErrorKind::Database, format!("{context}: {err}"))
}

/// Is this the one-position index refusing a second position?
pub(crate) fn is_position_conflict(err: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = err else {
        return false;
    };
    if !db.is_unique_violation() {
        return false;
    }
    // Postgres names the index; SQLite names the columns it covers
    // ("trades.exchange, trades.asset").
    db.constraint() == Some(ONE_POSITION_INDEX) || db.message().contains("trades.asset")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reservation must survive a power cut after its order was sent:
    /// SQLite commits reach the disk (`synchronous = FULL`, 2), on every
    /// connection of the pool.
    #[tokio::test]
    async fn sqlite_commits_are_durable() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .await
            .unwrap();
        let mut held = Vec::new();
        for _ in 0..3 {
            let mut conn = db.pool().acquire().await.unwrap();
            let level: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(level, 2);
            held.push(conn);
        }
        assert!(
            dir.path().join("t.db.migrate-lock").exists(),
            "migrations ran under the lock file"
        );
    }
}
