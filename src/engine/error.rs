//! Typed engine errors: each names the file, line, key or flag it concerns.

use std::path::PathBuf;

/// What kind of failure an error is; `main` maps this to an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input data is bad (malformed line, wrong type, truncated archive).
    BadInput,
    /// The destination or source storage refused or failed (missing bucket, access denied, unwritable).
    Storage,
    /// Options that parse but make no sense together, or an invalid schema file.
    Config,
    /// Stopped by a signal after finishing the current file.
    Interrupted,
    /// Another process holds the lock on the same work.
    Busy,
    /// An Iceberg commit could not be made: a concurrent change the data no longer fits, or retries exhausted.
    Conflict,
    /// A publish refused because the target branch moved since the source branch was cut.
    Diverged,
    /// Anything else.
    Other,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{file}:{line}: {message} (line starts: {snippet:?})")]
    BadLine { file: String, line: u64, message: String, snippet: String },

    #[error("{file}: {message}")]
    BadInput { file: String, message: String },

    #[error("schema {file}: {message}")]
    Schema { file: String, message: String },

    #[error("{0}")]
    Config(String),

    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{location}: {message}")]
    Storage { location: String, message: String },

    #[error("{location}: access denied ({message}); check the AWS credentials and the bucket policy")]
    AccessDenied { location: String, message: String },

    #[error("{location}: not found ({message})")]
    NotFound { location: String, message: String },

    #[error("parquet {path}: {source}")]
    Parquet {
        path: String,
        #[source]
        source: parquet::errors::ParquetError,
    },

    #[error("{path}: not readable as Parquet: {source}")]
    UnreadableParquet {
        path: String,
        #[source]
        source: parquet::errors::ParquetError,
    },

    #[error("interrupted; finished the current file and stopped")]
    Interrupted,

    #[error("{what}")]
    Busy { what: String },

    /// A worker thread or task panicked or failed in a way that is a bug, not bad input; the run stops.
    #[error("internal error in the {worker}: {message}")]
    Internal { worker: String, message: String },

    /// A catalog, namespace, table, snapshot or ref that does not exist.
    #[error("{what} {name} does not exist{hint}")]
    Missing { what: &'static str, name: String, hint: String },

    /// The catalog refused or failed a request (unreachable, unauthorized, bad response).
    #[error("catalog {catalog}: {message}")]
    Catalog { catalog: String, message: String },

    /// The table changed under the commit in a way it cannot be retried over.
    #[error("table {table}: commit conflict: {message}")]
    CommitConflict { table: String, message: String },

    /// The commit request failed without an answer: it may or may not have landed.
    #[error("table {table}: commit state unknown: {message}")]
    CommitUnknown { table: String, message: String },

    /// A branch cannot be fast-forwarded to another: the target moved since the source was cut from it.
    #[error(
        "table {table}: cannot fast-forward {target} to {branch}: {target} has moved since {branch} was cut from it \
         ({target} is at snapshot {target_head}, {branch} at snapshot {branch_head}, their fork point is {fork}); \
         publish with --cherry-pick to replay {branch}'s snapshots onto {target}",
        fork = fork_point.map_or_else(|| "none (no common snapshot)".to_string(), |f| format!("snapshot {f}"))
    )]
    Diverged { table: String, target: String, branch: String, target_head: i64, branch_head: i64, fork_point: Option<i64> },

    /// Iceberg metadata that cannot be read or a table feature prestige does not support.
    #[error("table {table}: {message}")]
    Iceberg { table: String, message: String },

    #[error("--exec {command:?} failed for {file} ({status}); the file stays unmarked and is retried next time")]
    HookFailed { command: String, file: String, status: String },
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::BadLine { .. } | Error::BadInput { .. } | Error::UnreadableParquet { .. } => ErrorKind::BadInput,
            Error::Parquet { .. } => ErrorKind::Other,
            Error::Schema { .. } | Error::Config(_) => ErrorKind::Config,
            Error::Io { .. } | Error::Storage { .. } | Error::AccessDenied { .. } | Error::NotFound { .. } => {
                ErrorKind::Storage
            }
            Error::Interrupted => ErrorKind::Interrupted,
            Error::Busy { .. } => ErrorKind::Busy,
            Error::HookFailed { .. } | Error::Internal { .. } | Error::Iceberg { .. } => ErrorKind::Other,
            Error::Missing { .. } | Error::Catalog { .. } => ErrorKind::Storage,
            Error::CommitConflict { .. } | Error::CommitUnknown { .. } => ErrorKind::Conflict,
            Error::Diverged { .. } => ErrorKind::Diverged,
        }
    }

    /// The error for a worker that panicked: names the worker and carries the panic message.
    pub fn from_panic(worker: impl Into<String>, payload: Box<dyn std::any::Any + Send>) -> Self {
        let message = if let Some(s) = payload.downcast_ref::<&str>() {
            format!("panicked: {s}")
        } else if let Some(s) = payload.downcast_ref::<String>() {
            format!("panicked: {s}")
        } else {
            "panicked".to_string()
        };
        Error::Internal { worker: worker.into(), message }
    }

    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { action, path: path.into(), source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
