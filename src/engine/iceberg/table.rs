//! Table lifecycle: create a table from a schema file with partition and sort specs, drop it (optionally
//! purging every file its metadata references), and set or unset its properties through the catalog's commit.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use futures::StreamExt;
use iceberg::spec::{FormatVersion, TableProperties};
use iceberg::{NamespaceIdent, TableCreation, TableIdent, TableRequirement, TableUpdate};
use serde::Serialize;

use super::catalog::{Catalog, LoadedTable, display_ident, display_namespace};
use super::commit::{RetryPolicy, manifests_of};
use super::spec::{parse_partition_spec, parse_sort_order, schema_from_arrow, with_identifier_fields};
use crate::engine::error::{Error, Result};

/// What a new table looks like.
#[derive(Debug, Clone)]
pub struct CreateOptions {
    /// The columns, in the schema file's Arrow types (see [`schema_from_arrow`]).
    pub schema: arrow::datatypes::SchemaRef,
    /// `day(ts), bucket(16, id)` (see [`parse_partition_spec`]).
    pub partition_by: Option<String>,
    /// `ts desc nulls last, id` (see [`parse_sort_order`]).
    pub sort_by: Option<String>,
    /// Identifier (row key) columns; each must be required.
    pub identifier: Vec<String>,
    pub properties: Vec<(String, String)>,
    /// 1 or 2 (3 is refused: prestige's commits do not assign row lineage yet).
    pub format_version: u8,
    /// Where the table lives [default: the catalog's choice, `{warehouse}/{ns}.db/{table}`].
    pub location: Option<String>,
}

impl Default for CreateOptions {
    fn default() -> Self {
        CreateOptions {
            schema: std::sync::Arc::new(arrow::datatypes::Schema::empty()),
            partition_by: None,
            sort_by: None,
            identifier: Vec::new(),
            properties: Vec::new(),
            format_version: 2,
            location: None,
        }
    }
}

fn format_version(v: u8) -> Result<FormatVersion> {
    match v {
        1 => Ok(FormatVersion::V1),
        2 => Ok(FormatVersion::V2),
        3 => Err(Error::Config(
            "--format-version 3: creating format-version 3 tables is not supported yet (prestige's commits do not \
             assign v3 row lineage — first-row-id / next-row-id); create a version 2 table. Reading v3 tables works."
                .into(),
        )),
        other => Err(Error::Config(format!("--format-version {other}: Iceberg format versions are 1, 2 and 3"))),
    }
}

fn refuse_reserved<'a>(keys: impl Iterator<Item = &'a String>, flag: &str) -> Result<()> {
    for k in keys {
        if TableProperties::RESERVED_PROPERTIES.contains(&k.as_str()) {
            let hint = if k == "format-version" { " (use --format-version when creating a table)" } else { "" };
            return Err(Error::Config(format!("{flag} {k}: a reserved table property that the table itself manages{hint}")));
        }
    }
    Ok(())
}

/// Creates `ns` and any missing parent namespaces.
pub async fn ensure_namespace(catalog: &dyn Catalog, ns: &NamespaceIdent) -> Result<()> {
    let parts = ns.as_ref();
    for depth in 1..=parts.len() {
        let level = NamespaceIdent::from_strs(&parts[..depth])
            .map_err(|e| Error::Config(format!("invalid namespace {}: {e}", display_namespace(ns))))?;
        if !catalog.namespace_exists(&level).await? {
            catalog.create_namespace(&level, HashMap::new()).await?;
        }
    }
    Ok(())
}

/// Creates the table (and its namespace when missing): format version 2 by default, the schema with fresh
/// field ids, the partition spec, the sort order and the properties. An existing table is an error.
pub async fn create(catalog: &dyn Catalog, ident: &TableIdent, opts: &CreateOptions) -> Result<LoadedTable> {
    let version = format_version(opts.format_version)?;
    let schema = schema_from_arrow(&opts.schema)?;
    let schema = with_identifier_fields(schema, &opts.identifier)?;
    let spec = match &opts.partition_by {
        Some(text) => Some(parse_partition_spec(text, &schema)?),
        None => None,
    };
    let order = match &opts.sort_by {
        Some(text) => Some(parse_sort_order(text, &schema)?),
        None => None,
    };
    refuse_reserved(opts.properties.iter().map(|(k, _)| k), "--property")?;
    let creation = TableCreation::builder()
        .name(ident.name().to_string())
        .schema(schema)
        .partition_spec_opt(spec)
        .sort_order_opt(order)
        .properties(opts.properties.iter().cloned())
        .format_version(version)
        .location_opt(opts.location.clone())
        .build();
    ensure_namespace(catalog, ident.namespace()).await?;
    catalog.create_table(ident, creation).await
}

/// What `drop --purge` deletes, by kind.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PurgeFiles {
    pub metadata_files: Vec<String>,
    pub manifest_lists: Vec<String>,
    pub manifests: Vec<String>,
    pub data_files: Vec<String>,
    pub delete_files: Vec<String>,
    pub statistics_files: Vec<String>,
}

impl PurgeFiles {
    fn all(&self) -> impl Iterator<Item = &String> {
        self.data_files
            .iter()
            .chain(&self.delete_files)
            .chain(&self.statistics_files)
            .chain(&self.manifests)
            .chain(&self.manifest_lists)
            .chain(&self.metadata_files)
    }

    pub fn count(&self) -> usize {
        self.all().count()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DeleteFailure {
    pub path: String,
    pub error: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DropReport {
    pub table: String,
    pub location: String,
    pub purge: bool,
    /// Nothing was changed (`--plan`).
    pub plan: bool,
    /// Whether the catalog entry was removed.
    pub dropped: bool,
    /// Counts of the files the metadata references (with `--purge`).
    pub files: BTreeMap<String, usize>,
    /// Files deleted by prestige.
    pub deleted: u64,
    /// Files already gone (e.g. removed by a REST server that purges itself).
    pub missing: u64,
    pub failed: Vec<DeleteFailure>,
    /// The file lists, with `--plan`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paths: Option<PurgeFiles>,
}

/// Every file the table's metadata references: metadata files (current and logged), manifest lists,
/// manifests, data and delete files of every snapshot, statistics files.
pub async fn referenced_files(table: &LoadedTable) -> Result<PurgeFiles> {
    let m = &table.metadata;
    let mut metadata: BTreeSet<String> = m.metadata_log().iter().map(|l| l.metadata_file.clone()).collect();
    metadata.extend(table.metadata_location.clone());
    let lists: BTreeSet<String> = m.snapshots().map(|s| s.manifest_list().to_string()).collect();
    let mut manifests = BTreeMap::new();
    for s in m.snapshots() {
        for mf in manifests_of(table, s).await? {
            manifests.entry(mf.manifest_path.clone()).or_insert(mf);
        }
    }
    let loaded: Vec<Result<iceberg::spec::Manifest>> = futures::stream::iter(manifests.values())
        .map(|mf| async move {
            mf.load_manifest(&table.file_io).await.map_err(|e| Error::Iceberg {
                table: table.name(),
                message: format!("cannot read manifest {}: {e}", mf.manifest_path),
            })
        })
        .buffered(8)
        .collect()
        .await;
    let (mut data, mut deletes) = (BTreeSet::new(), BTreeSet::new());
    for manifest in loaded {
        for e in manifest?.entries() {
            let set = if e.content_type() == iceberg::spec::DataContentType::Data { &mut data } else { &mut deletes };
            set.insert(e.file_path().to_string());
        }
    }
    let mut stats: BTreeSet<String> = m.statistics_iter().map(|s| s.statistics_path.clone()).collect();
    stats.extend(m.partition_statistics_iter().map(|s| s.statistics_path.clone()));
    Ok(PurgeFiles {
        metadata_files: metadata.into_iter().collect(),
        manifest_lists: lists.into_iter().collect(),
        manifests: manifests.into_keys().collect(),
        data_files: data.into_iter().collect(),
        delete_files: deletes.into_iter().collect(),
        statistics_files: stats.into_iter().collect(),
    })
}

/// Drops the table from the catalog. With `purge`, every file its metadata references is deleted afterwards
/// (the catalog entry goes first, so a failure part-way never leaves a table pointing at missing files); a REST
/// catalog is asked to purge too, and files it already removed count as `missing`. With `plan`, nothing changes.
pub async fn drop(catalog: &dyn Catalog, ident: &TableIdent, purge: bool, plan: bool) -> Result<DropReport> {
    let table = catalog.load_table(ident).await?;
    let files = if purge { Some(referenced_files(&table).await?) } else { None };
    let counts: BTreeMap<String, usize> = files
        .as_ref()
        .map(|f| {
            [
                ("metadata_files", f.metadata_files.len()),
                ("manifest_lists", f.manifest_lists.len()),
                ("manifests", f.manifests.len()),
                ("data_files", f.data_files.len()),
                ("delete_files", f.delete_files.len()),
                ("statistics_files", f.statistics_files.len()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
        })
        .unwrap_or_default();
    let mut report = DropReport {
        table: display_ident(ident),
        location: table.metadata.location().to_string(),
        purge,
        plan,
        dropped: false,
        files: counts,
        deleted: 0,
        missing: 0,
        failed: Vec::new(),
        paths: None,
    };
    if plan {
        report.paths = files;
        return Ok(report);
    }
    catalog.drop_table(ident, purge).await?;
    report.dropped = true;
    let Some(files) = files else { return Ok(report) };
    let io = &table.file_io;
    let results: Vec<(String, std::result::Result<bool, String>)> = futures::stream::iter(files.all().cloned())
        .map(|path| async move {
            let r = match io.exists(&path).await {
                Ok(false) => Ok(false),
                Ok(true) => io.delete(&path).await.map(|_| true).map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            (path, r)
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for (path, r) in results {
        match r {
            Ok(true) => report.deleted += 1,
            Ok(false) => report.missing += 1,
            Err(error) => report.failed.push(DeleteFailure { path, error }),
        }
    }
    report.failed.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(report)
}

#[derive(Debug, Clone, Serialize)]
pub struct PropertiesReport {
    pub table: String,
    /// Properties set by this command (new values).
    pub set: BTreeMap<String, String>,
    /// Properties removed by this command.
    pub unset: Vec<String>,
    /// The table's properties afterwards.
    pub properties: BTreeMap<String, String>,
    /// Whether a commit was made (nothing to change, or no changes asked, makes none).
    pub committed: bool,
    pub metadata_location: Option<String>,
}

/// Sets and removes table properties in one commit (asserting the table's uuid), retrying conflicts per the
/// table's `commit.retry.*`. Without changes it only reports the properties.
pub async fn update_properties(
    catalog: &dyn Catalog,
    ident: &TableIdent,
    set: &[(String, String)],
    unset: &[String],
) -> Result<PropertiesReport> {
    refuse_reserved(set.iter().map(|(k, _)| k), "--set")?;
    refuse_reserved(unset.iter(), "--unset")?;
    if let Some(k) = unset.iter().find(|k| set.iter().any(|(s, _)| s == *k)) {
        return Err(Error::Config(format!("property {k} is both set and unset: choose one")));
    }
    let updates_map: HashMap<String, String> = set.iter().cloned().collect();
    let mut table = catalog.load_table(ident).await?;
    let policy = RetryPolicy::of(&table.metadata);
    let mut attempt = 0u32;
    loop {
        let current = table.metadata.properties();
        let removals: Vec<String> = unset.iter().filter(|k| current.contains_key(*k)).cloned().collect();
        let changed: HashMap<String, String> =
            updates_map.iter().filter(|(k, v)| current.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
        if changed.is_empty() && removals.is_empty() {
            return Ok(properties_report(&table, set, &[], false));
        }
        let mut updates = Vec::new();
        if !changed.is_empty() {
            updates.push(TableUpdate::SetProperties { updates: changed });
        }
        if !removals.is_empty() {
            updates.push(TableUpdate::RemoveProperties { removals: removals.clone() });
        }
        let requirements = vec![TableRequirement::UuidMatch { uuid: table.metadata.uuid() }];
        match catalog.commit(&table, requirements, updates).await {
            Ok(t) => return Ok(properties_report(&t, set, &removals, true)),
            Err(e @ (Error::CommitConflict { .. } | Error::CommitUnknown { .. })) if attempt < policy.retries => {
                attempt += 1;
                tracing::info!("properties of {}: {e}; reloading and retrying", display_ident(ident));
                tokio::time::sleep(policy.min_wait * attempt).await;
                // Setting and removing properties is idempotent: whatever landed, the retry converges.
                table = catalog.load_table(ident).await?;
            }
            Err(e) => return Err(e),
        }
    }
}

fn properties_report(table: &LoadedTable, set: &[(String, String)], unset: &[String], committed: bool) -> PropertiesReport {
    PropertiesReport {
        table: table.name(),
        set: set.iter().cloned().collect(),
        unset: unset.to_vec(),
        properties: table.metadata.properties().iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        committed,
        metadata_location: table.metadata_location.clone(),
    }
}
