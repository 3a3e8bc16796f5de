//! The embedded SQL catalog on SQLite: the `iceberg_tables` / `iceberg_namespace_properties` tables of
//! PyIceberg's `SqlCatalog` and Java's `JdbcCatalog` (rows keyed by catalog name; the older layout without
//! `iceberg_type` is read and written as it is), and their commit protocol: write a new metadata file, then
//! compare-and-swap `metadata_location`. Several processes may share one database file (WAL is not forced on
//! it — other engines open it too — so writers wait on SQLite's lock with a busy timeout).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;
use std::sync::Arc;

use async_trait::async_trait;
use iceberg::spec::{TableMetadata, TableMetadataBuilder};
use iceberg::{NamespaceIdent, TableCreation, TableIdent, TableRequirement, TableUpdate};
use rusqlite::{Connection, OptionalExtension, params};

use super::config::{CatalogSpec, normalize_location, sqlite_path};
use super::{Catalog, Committed, LoadedTable, display_ident, display_namespace, iceberg_error, metadata_json, read_metadata};
use crate::engine::error::{Error, Result};
use crate::engine::iceberg::io::file_io;
use crate::engine::storage::S3Settings;

/// How long a statement waits for another process's write lock before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub struct SqlCatalog {
    name: String,
    db: PathBuf,
    uri: String,
    warehouse: Option<String>,
    s3: S3Settings,
    /// Whether `iceberg_tables` has the `iceberg_type` column (the v1 layout).
    typed: bool,
}

impl SqlCatalog {
    pub fn open(spec: &CatalogSpec, s3: &S3Settings) -> Result<Self> {
        let db = sqlite_path(&spec.uri)?;
        if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("create catalog directory", dir, e))?;
        }
        let warehouse = match &spec.warehouse {
            Some(w) => Some(normalize_location(w)?),
            None => None,
        };
        let mut cat = SqlCatalog {
            name: spec.name.clone(),
            db,
            uri: spec.uri.clone(),
            warehouse,
            s3: spec.s3_settings(s3),
            typed: true,
        };
        let conn = cat.connect()?;
        cat.typed = cat.init(&conn)?;
        Ok(cat)
    }

    fn err(&self, message: impl std::fmt::Display) -> Error {
        Error::Catalog { catalog: format!("{} ({})", self.name, self.uri), message: message.to_string() }
    }

    fn connect(&self) -> Result<Connection> {
        let conn = Connection::open(&self.db).map_err(|e| self.err(format!("cannot open {}: {e}", self.db.display())))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| self.err(e))?;
        Ok(conn)
    }

    /// Creates the catalog tables when absent (v1 layout, as PyIceberg 0.12 does); reports whether
    /// `iceberg_type` exists.
    fn init(&self, conn: &Connection) -> Result<bool> {
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS iceberg_tables (
                catalog_name VARCHAR(255) NOT NULL,
                table_namespace VARCHAR(255) NOT NULL,
                table_name VARCHAR(255) NOT NULL,
                metadata_location VARCHAR(1000),
                previous_metadata_location VARCHAR(1000),
                iceberg_type VARCHAR(5),
                PRIMARY KEY (catalog_name, table_namespace, table_name));
             CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (
                catalog_name VARCHAR(255) NOT NULL,
                namespace VARCHAR(255) NOT NULL,
                property_key VARCHAR(255) NOT NULL,
                property_value VARCHAR(1000) NOT NULL,
                PRIMARY KEY (catalog_name, namespace, property_key));",
        )
        .map_err(|e| self.err(format!("cannot create the catalog tables in {}: {e}", self.db.display())))?;
        Ok(conn.prepare("SELECT iceberg_type FROM iceberg_tables LIMIT 0").is_ok())
    }

    /// Restricts table lookups to tables (not views) on the v1 layout.
    fn type_filter(&self) -> &'static str {
        if self.typed { " AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)" } else { "" }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T> {
        let conn = self.connect()?;
        let r = tokio::task::spawn_blocking(move || f(&conn))
            .await
            .map_err(|e| Error::Internal { worker: "catalog".into(), message: e.to_string() })?;
        r.map_err(|e| self.err(e))
    }

    fn location_of(&self, ident: &TableIdent) -> Result<String> {
        match &self.warehouse {
            Some(w) => Ok(super::default_table_location(w, ident)),
            None => Err(self.err(format!(
                "no warehouse to put table {} in: give --warehouse (or `warehouse:` in the catalog's config), or \
                 --location",
                display_ident(ident)
            ))),
        }
    }

    async fn current_location(&self, ident: &TableIdent) -> Result<Option<String>> {
        let ns = display_namespace(ident.namespace());
        let name = ident.name().to_string();
        let cat = self.name.clone();
        let sql = format!(
            "SELECT metadata_location FROM iceberg_tables WHERE catalog_name = ?1 AND table_namespace = ?2 AND \
             table_name = ?3{}",
            self.type_filter()
        );
        self.blocking(move |c| {
            c.query_row(&sql, params![cat, ns, name], |r| r.get::<_, Option<String>>(0)).optional().map(|o| o.flatten())
        })
        .await
    }

    async fn missing_table(&self, ident: &TableIdent) -> Error {
        let hint = match self.namespace_exists(ident.namespace()).await {
            Ok(false) => format!(" (namespace {} does not exist either)", display_namespace(ident.namespace())),
            _ => String::new(),
        };
        Error::Missing { what: "table", name: display_ident(ident), hint: format!(" in catalog {}{hint}", self.name) }
    }
}

/// `…/metadata/00012-uuid.metadata.json` → 12.
fn metadata_version(location: &str) -> Option<u64> {
    let file = location.rsplit('/').next()?;
    let (v, _) = file.split_once('-')?;
    v.parse().ok()
}

/// The next metadata file of a table: `{location}/metadata/{version:05}-{uuid}.metadata.json`.
pub fn new_metadata_location(metadata: &TableMetadata, previous: Option<&str>) -> String {
    let version = previous.and_then(metadata_version).map_or(0, |v| v + 1);
    let dir = metadata
        .properties()
        .get("write.metadata.path")
        .cloned()
        .unwrap_or_else(|| format!("{}/metadata", metadata.location().trim_end_matches('/')));
    format!("{}/{version:05}-{}.metadata.json", dir.trim_end_matches('/'), uuid::Uuid::new_v4())
}

#[async_trait]
impl Catalog for SqlCatalog {
    fn name(&self) -> &str {
        &self.name
    }

    fn warehouse(&self) -> Option<&str> {
        self.warehouse.as_deref()
    }

    async fn list_namespaces(&self, parent: Option<&NamespaceIdent>) -> Result<Vec<NamespaceIdent>> {
        let cat = self.name.clone();
        let mut all: Vec<String> = self
            .blocking(move |c| {
                let mut st = c.prepare(
                    "SELECT table_namespace FROM iceberg_tables WHERE catalog_name = ?1 UNION \
                     SELECT namespace FROM iceberg_namespace_properties WHERE catalog_name = ?1",
                )?;
                let rows = st.query_map(params![cat], |r| r.get::<_, String>(0))?;
                rows.collect()
            })
            .await?;
        all.sort();
        let depth = parent.map_or(0, |p| p.as_ref().len());
        let mut out: Vec<NamespaceIdent> = Vec::new();
        for ns in all {
            let parts: Vec<&str> = ns.split('.').collect();
            if parts.len() <= depth || parent.is_some_and(|p| p.as_ref().iter().zip(&parts).any(|(a, b)| a != b)) {
                continue;
            }
            if let Ok(id) = NamespaceIdent::from_strs(&parts[..depth + 1])
                && !out.contains(&id)
            {
                out.push(id);
            }
        }
        Ok(out)
    }

    async fn namespace_exists(&self, ns: &NamespaceIdent) -> Result<bool> {
        let name = display_namespace(ns);
        let like = format!("{}.%", name.replace('!', "!!").replace('_', "!_").replace('%', "!%"));
        let cat = self.name.clone();
        self.blocking(move |c| {
            let n: i64 = c.query_row(
                "SELECT (SELECT COUNT(*) FROM iceberg_tables WHERE catalog_name = ?1 AND (table_namespace = ?2 OR \
                 table_namespace LIKE ?3 ESCAPE '!')) + (SELECT COUNT(*) FROM iceberg_namespace_properties WHERE \
                 catalog_name = ?1 AND (namespace = ?2 OR namespace LIKE ?3 ESCAPE '!'))",
                params![cat, name, like],
                |r| r.get(0),
            )?;
            Ok(n > 0)
        })
        .await
    }

    async fn create_namespace(&self, ns: &NamespaceIdent, properties: HashMap<String, String>) -> Result<()> {
        if self.namespace_exists(ns).await? {
            return Ok(());
        }
        let mut props: Vec<(String, String)> = properties.into_iter().collect();
        if props.is_empty() {
            props.push(("exists".into(), "true".into()));
        }
        let name = display_namespace(ns);
        let cat = self.name.clone();
        self.blocking(move |c| {
            for (k, v) in &props {
                c.execute(
                    "INSERT OR IGNORE INTO iceberg_namespace_properties (catalog_name, namespace, property_key, \
                     property_value) VALUES (?1, ?2, ?3, ?4)",
                    params![cat, name, k, v],
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn list_tables(&self, ns: &NamespaceIdent) -> Result<Vec<TableIdent>> {
        if !self.namespace_exists(ns).await? {
            return Err(Error::Missing {
                what: "namespace",
                name: display_namespace(ns),
                hint: format!(" in catalog {}", self.name),
            });
        }
        let name = display_namespace(ns);
        let cat = self.name.clone();
        let sql = format!(
            "SELECT table_name FROM iceberg_tables WHERE catalog_name = ?1 AND table_namespace = ?2{} ORDER BY \
             table_name",
            self.type_filter()
        );
        let names: Vec<String> = self
            .blocking(move |c| {
                let mut st = c.prepare(&sql)?;
                let rows = st.query_map(params![cat, name], |r| r.get::<_, String>(0))?;
                rows.collect()
            })
            .await?;
        Ok(names.into_iter().map(|t| TableIdent::new(ns.clone(), t)).collect())
    }

    async fn load_table(&self, ident: &TableIdent) -> Result<LoadedTable> {
        let Some(location) = self.current_location(ident).await? else {
            return Err(self.missing_table(ident).await);
        };
        let io = file_io(&self.s3);
        let metadata = read_metadata(&io, ident, &location).await?;
        Ok(LoadedTable {
            ident: ident.clone(),
            metadata_location: Some(location),
            metadata: metadata.into(),
            file_io: io,
            s3: self.s3.clone(),
        })
    }

    async fn create_table(&self, ident: &TableIdent, mut creation: TableCreation) -> Result<LoadedTable> {
        if !self.namespace_exists(ident.namespace()).await? {
            return Err(Error::Missing {
                what: "namespace",
                name: display_namespace(ident.namespace()),
                hint: format!(" in catalog {} (create it, or let `--create` create it)", self.name),
            });
        }
        if self.current_location(ident).await?.is_some() {
            return Err(Error::Config(format!("table {} already exists in catalog {}", display_ident(ident), self.name)));
        }
        creation.location = Some(match creation.location.take() {
            Some(l) => normalize_location(&l)?,
            None => self.location_of(ident)?,
        });
        let metadata = TableMetadataBuilder::from_table_creation(creation)
            .and_then(|b| b.build())
            .map_err(|e| iceberg_error(ident, e))?
            .metadata;
        let location = new_metadata_location(&metadata, None);
        let io = file_io(&self.s3);
        write_metadata(&io, ident, &location, &metadata).await?;
        let (cat, ns, name, loc) =
            (self.name.clone(), display_namespace(ident.namespace()), ident.name().to_string(), location.clone());
        let typed = self.typed;
        let inserted = self
            .blocking(move |c| {
                if typed {
                    c.execute(
                        "INSERT OR IGNORE INTO iceberg_tables (catalog_name, table_namespace, table_name, \
                         metadata_location, previous_metadata_location, iceberg_type) VALUES (?1, ?2, ?3, ?4, NULL, \
                         'TABLE')",
                        params![cat, ns, name, loc],
                    )
                } else {
                    c.execute(
                        "INSERT OR IGNORE INTO iceberg_tables (catalog_name, table_namespace, table_name, \
                         metadata_location, previous_metadata_location) VALUES (?1, ?2, ?3, ?4, NULL)",
                        params![cat, ns, name, loc],
                    )
                }
            })
            .await?;
        if inserted == 0 {
            let _ = io.delete(&location).await;
            return Err(Error::Config(format!(
                "table {} already exists in catalog {} (created concurrently)",
                display_ident(ident),
                self.name
            )));
        }
        Ok(LoadedTable {
            ident: ident.clone(),
            metadata_location: Some(location),
            metadata: metadata.into(),
            file_io: io,
            s3: self.s3.clone(),
        })
    }

    async fn drop_table(&self, ident: &TableIdent, _purge: bool) -> Result<()> {
        let (cat, ns, name) = (self.name.clone(), display_namespace(ident.namespace()), ident.name().to_string());
        let sql = format!(
            "DELETE FROM iceberg_tables WHERE catalog_name = ?1 AND table_namespace = ?2 AND table_name = ?3{}",
            self.type_filter()
        );
        let n = self.blocking(move |c| c.execute(&sql, params![cat, ns, name])).await?;
        if n == 0 {
            return Err(self.missing_table(ident).await);
        }
        Ok(())
    }

    async fn commit(
        &self,
        base: &LoadedTable,
        requirements: Vec<TableRequirement>,
        updates: Vec<TableUpdate>,
    ) -> Result<Committed> {
        let ident = &base.ident;
        let table = display_ident(ident);
        // Requirements are checked against the catalog's current state, not the caller's copy (which is that
        // state when the catalog still points at the caller's metadata file: no need to read it again).
        let current = match self.current_location(ident).await? {
            Some(loc) if Some(&loc) == base.metadata_location.as_ref() => base.clone(),
            Some(_) => self.load_table(ident).await?,
            None => return Err(self.missing_table(ident).await),
        };
        for r in &requirements {
            r.check(Some(&current.metadata)).map_err(|e| Error::CommitConflict { table: table.clone(), message: e.to_string() })?;
        }
        let old = current.metadata_location.clone().unwrap_or_default();
        // The base's refs (iceberg-rust does not expose them), to write the new file without serializing the
        // whole history again (see metadata_json).
        let base_refs = metadata_json::known_refs(&old)
            .unwrap_or_else(|| Arc::new(metadata_json::refs_by_serializing(&current.metadata)));
        let mut builder = TableMetadataBuilder::new_from_metadata((*current.metadata).clone(), Some(old.clone()));
        for u in updates.iter().cloned() {
            builder = u.apply(builder).map_err(|e| iceberg_error(ident, e))?;
        }
        let built = builder.build().map_err(|e| iceberg_error(ident, e))?;
        let new_refs = metadata_json::refs_after(&base_refs, &updates, &built.metadata).map(Arc::new);
        let new_location = new_metadata_location(&built.metadata, Some(&old));
        write_metadata_with(&current.file_io, ident, &new_location, &built.metadata, new_refs.as_deref()).await?;
        let (cat, ns, name, new, prev) = (
            self.name.clone(),
            display_namespace(ident.namespace()),
            ident.name().to_string(),
            new_location.clone(),
            old.clone(),
        );
        let swapped = self
            .blocking(move |c| {
                c.execute(
                    "UPDATE iceberg_tables SET metadata_location = ?4, previous_metadata_location = ?5 WHERE \
                     catalog_name = ?1 AND table_namespace = ?2 AND table_name = ?3 AND metadata_location = ?5",
                    params![cat, ns, name, new, prev],
                )
            })
            .await;
        match swapped {
            Ok(1) => {}
            Ok(_) => {
                // Another writer swapped first: this metadata file was never visible.
                let _ = current.file_io.delete(&new_location).await;
                return Err(Error::CommitConflict {
                    table,
                    message: format!("the table moved past {old} while this commit was prepared"),
                });
            }
            Err(e) => {
                return Err(Error::CommitUnknown { table, message: e.to_string() });
            }
        }
        if let Some(r) = new_refs {
            metadata_json::remember_refs(&new_location, r);
        }
        crate::engine::iceberg::io::release_cached(&old);
        cleanup_old_metadata(&current.file_io, &built.metadata, &built.expired_metadata_logs).await;
        Ok(LoadedTable {
            ident: ident.clone(),
            metadata_location: Some(new_location),
            metadata: built.metadata.into(),
            file_io: current.file_io.clone(),
            s3: current.s3.clone(),
        })
    }
}

/// Writes a metadata file (new name each time, so never over another).
pub async fn write_metadata(
    io: &iceberg::io::FileIO,
    ident: &TableIdent,
    location: &str,
    metadata: &TableMetadata,
) -> Result<()> {
    write_metadata_with(io, ident, location, metadata, None).await
}

/// Writes a metadata file; with the metadata's `refs` known, the fast way (see [`metadata_json`]).
pub async fn write_metadata_with(
    io: &iceberg::io::FileIO,
    ident: &TableIdent,
    location: &str,
    metadata: &TableMetadata,
    refs: Option<&metadata_json::Refs>,
) -> Result<()> {
    let json = metadata_json::to_json(metadata, refs)
        .map_err(|e| Error::Iceberg { table: display_ident(ident), message: format!("cannot serialize metadata: {e}") })?;
    io.new_output(location)
        .map_err(|e| iceberg_error(ident, e))?
        .write(json.into())
        .await
        .map_err(|e| Error::Iceberg { table: display_ident(ident), message: format!("cannot write {location}: {e}") })
}

/// `write.metadata.delete-after-commit.enabled`: metadata files that fell out of the log
/// (`write.metadata.previous-versions-max`) are deleted after a successful commit. Best effort.
pub async fn cleanup_old_metadata(
    io: &iceberg::io::FileIO,
    metadata: &TableMetadata,
    expired: &[iceberg::spec::MetadataLog],
) {
    let enabled = metadata
        .properties()
        .get("write.metadata.delete-after-commit.enabled")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !enabled {
        return;
    }
    for m in expired {
        if let Err(e) = io.delete(&m.metadata_file).await {
            tracing::warn!("could not delete old metadata file {}: {e}", m.metadata_file);
        }
    }
}
