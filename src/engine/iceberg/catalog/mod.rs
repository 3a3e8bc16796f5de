//! Iceberg catalogs: which one a command talks to (`--catalog`, the config file, the embedded default) and
//! the small interface every catalog implements — namespaces, tables, and the atomic commit of a table's
//! requirements and updates that the commit layer builds.

pub mod config;
pub mod metadata_json;
pub mod rest;
pub mod sql;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use iceberg::io::FileIO;
use iceberg::spec::{TableMetadata, TableMetadataRef};
use iceberg::{NamespaceIdent, TableCreation, TableIdent, TableRequirement, TableUpdate};

use crate::engine::error::{Error, Result};
use crate::engine::storage::S3Settings;

pub use config::{CatalogChoice, CatalogSpec, CatalogType};

/// A table as loaded from its catalog: the metadata, where it is stored, and how to reach its files.
#[derive(Clone, Debug)]
pub struct LoadedTable {
    pub ident: TableIdent,
    /// The metadata file this state was read from (`None` only for a table being staged).
    pub metadata_location: Option<String>,
    pub metadata: TableMetadataRef,
    /// Reads and writes the table's files (manifests, data files) with the catalog's storage settings.
    pub file_io: FileIO,
    /// S3 settings for the table's files: the catalog's `s3.*` config, overridden by what `loadTable` vended.
    pub s3: S3Settings,
}

impl LoadedTable {
    /// `ns.table` for messages.
    pub fn name(&self) -> String {
        display_ident(&self.ident)
    }

    /// iceberg-rust's table object, for its scan planning and readers (on the current tokio runtime, which
    /// its scans need).
    pub fn table(&self) -> Result<iceberg::table::Table> {
        let mut b = iceberg::table::Table::builder()
            .identifier(self.ident.clone())
            .metadata(self.metadata.clone())
            .file_io(self.file_io.clone())
            .runtime(iceberg::Runtime::current());
        if let Some(l) = &self.metadata_location {
            b = b.metadata_location(l.clone());
        }
        b.build().map_err(|e| iceberg_error(&self.ident, e))
    }
}

/// What a commit produced: the table's new state.
pub type Committed = LoadedTable;

/// One Iceberg catalog. Implementations: the embedded SQL catalog ([`sql::SqlCatalog`], SQLite, the tables
/// PyIceberg's `SqlCatalog` and Java's `JdbcCatalog` use) and the REST catalog ([`rest::RestCatalog`]).
#[async_trait]
pub trait Catalog: Send + Sync + std::fmt::Debug {
    /// The catalog's name (the SQL catalog's `catalog_name`).
    fn name(&self) -> &str;

    /// Where new tables go by default, if the catalog has a warehouse.
    fn warehouse(&self) -> Option<&str>;

    /// Child namespaces of `parent` (top-level ones for `None`).
    async fn list_namespaces(&self, parent: Option<&NamespaceIdent>) -> Result<Vec<NamespaceIdent>>;

    async fn namespace_exists(&self, ns: &NamespaceIdent) -> Result<bool>;

    /// Creates the namespace with its properties; an existing namespace is not an error.
    async fn create_namespace(&self, ns: &NamespaceIdent, properties: HashMap<String, String>) -> Result<()>;

    /// Tables directly in `ns`; a missing namespace is [`Error::Missing`].
    async fn list_tables(&self, ns: &NamespaceIdent) -> Result<Vec<TableIdent>>;

    /// The table's current state; a missing table (or namespace) is [`Error::Missing`].
    async fn load_table(&self, ident: &TableIdent) -> Result<LoadedTable>;

    /// Creates a table. `creation.location` is set by the caller (see [`default_table_location`]) when the
    /// catalog does not choose locations itself.
    async fn create_table(&self, ident: &TableIdent, creation: TableCreation) -> Result<LoadedTable>;

    /// Removes the table from the catalog. Files are left alone unless `purge` (and for the SQL catalog the
    /// caller deletes them; a REST server may delete them itself).
    async fn drop_table(&self, ident: &TableIdent, purge: bool) -> Result<()>;

    /// Applies `updates` atomically if every requirement holds against the table's current state.
    ///
    /// Errors: [`Error::CommitConflict`] when a requirement failed (nothing changed: reload and retry),
    /// [`Error::CommitUnknown`] when the outcome is not known (the commit may have landed: look for it before
    /// retrying or cleaning up), anything else when it surely did not land.
    async fn commit(
        &self,
        base: &LoadedTable,
        requirements: Vec<TableRequirement>,
        updates: Vec<TableUpdate>,
    ) -> Result<Committed>;
}

/// `a.b.table` → table `table` in namespace `a.b`. Every part must be non-empty.
pub fn parse_table_ident(text: &str) -> Result<TableIdent> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() < 2 || parts.iter().any(|p| p.trim().is_empty()) || text.trim() != text {
        return Err(Error::Config(format!(
            "invalid table identifier {text:?}: expected NAMESPACE.TABLE (namespaces may be nested: a.b.table)"
        )));
    }
    let ns = NamespaceIdent::from_strs(&parts[..parts.len() - 1])
        .map_err(|e| Error::Config(format!("invalid table identifier {text:?}: {e}")))?;
    Ok(TableIdent::new(ns, parts[parts.len() - 1].to_string()))
}

/// `a.b` → the namespace; empty parts are refused.
pub fn parse_namespace(text: &str) -> Result<NamespaceIdent> {
    if text.is_empty() || text.split('.').any(|p| p.trim().is_empty()) {
        return Err(Error::Config(format!("invalid namespace {text:?}: expected a name, or a.b for a nested one")));
    }
    NamespaceIdent::from_strs(text.split('.')).map_err(|e| Error::Config(format!("invalid namespace {text:?}: {e}")))
}

pub fn display_ident(ident: &TableIdent) -> String {
    format!("{}.{}", display_namespace(ident.namespace()), ident.name())
}

pub fn display_namespace(ns: &NamespaceIdent) -> String {
    ns.as_ref().join(".")
}

/// A new table's location when none is given: `{warehouse}/{ns}.db/{table}` — PyIceberg's and Java's layout,
/// so every engine puts a table in the same place.
pub fn default_table_location(warehouse: &str, ident: &TableIdent) -> String {
    let w = warehouse.trim_end_matches('/');
    let ns = ident.namespace().as_ref().join("/");
    format!("{w}/{ns}.db/{}", ident.name())
}

/// An iceberg-rust error about a table, as ours.
pub fn iceberg_error(ident: &TableIdent, e: iceberg::Error) -> Error {
    Error::Iceberg { table: display_ident(ident), message: e.to_string() }
}

/// Reads a table metadata file.
pub async fn read_metadata(file_io: &FileIO, ident: &TableIdent, location: &str) -> Result<TableMetadata> {
    let data = file_io
        .new_input(location)
        .map_err(|e| iceberg_error(ident, e))?
        .read()
        .await
        .map_err(|e| Error::Iceberg {
            table: display_ident(ident),
            message: format!("cannot read metadata file {location}: {e}"),
        })?;
    serde_json::from_slice(&data).map_err(|e| Error::Iceberg {
        table: display_ident(ident),
        message: format!("metadata file {location} is not valid table metadata: {e}"),
    })
}

/// Opens the catalog the command line, environment and config file choose.
pub async fn open(choice: &CatalogChoice, s3: &S3Settings) -> Result<Arc<dyn Catalog>> {
    let spec = config::resolve(choice)?;
    open_spec(&spec, s3).await
}

/// Opens a resolved catalog.
pub async fn open_spec(spec: &CatalogSpec, s3: &S3Settings) -> Result<Arc<dyn Catalog>> {
    Ok(match spec.kind {
        CatalogType::Sql => Arc::new(sql::SqlCatalog::open(spec, s3)?),
        CatalogType::Rest => Arc::new(rest::RestCatalog::connect(spec, s3).await?),
    })
}
