//! The Iceberg REST catalog client (placeholder until the client lands).

use std::collections::HashMap;

use async_trait::async_trait;
use iceberg::{NamespaceIdent, TableCreation, TableIdent, TableRequirement, TableUpdate};

use super::config::CatalogSpec;
use super::{Catalog, Committed, LoadedTable};
use crate::engine::error::{Error, Result};
use crate::engine::storage::S3Settings;

#[derive(Debug)]
pub struct RestCatalog {
    name: String,
}

impl RestCatalog {
    pub async fn connect(spec: &CatalogSpec, _s3: &S3Settings) -> Result<Self> {
        Err(Error::Config(format!("{}: REST catalogs are not supported yet", spec.describe())))
    }
}

#[async_trait]
impl Catalog for RestCatalog {
    fn name(&self) -> &str {
        &self.name
    }
    fn warehouse(&self) -> Option<&str> {
        None
    }
    async fn list_namespaces(&self, _parent: Option<&NamespaceIdent>) -> Result<Vec<NamespaceIdent>> {
        unimplemented!()
    }
    async fn namespace_exists(&self, _ns: &NamespaceIdent) -> Result<bool> {
        unimplemented!()
    }
    async fn create_namespace(&self, _ns: &NamespaceIdent, _properties: HashMap<String, String>) -> Result<()> {
        unimplemented!()
    }
    async fn list_tables(&self, _ns: &NamespaceIdent) -> Result<Vec<TableIdent>> {
        unimplemented!()
    }
    async fn load_table(&self, _ident: &TableIdent) -> Result<LoadedTable> {
        unimplemented!()
    }
    async fn create_table(&self, _ident: &TableIdent, _creation: TableCreation) -> Result<LoadedTable> {
        unimplemented!()
    }
    async fn drop_table(&self, _ident: &TableIdent, _purge: bool) -> Result<()> {
        unimplemented!()
    }
    async fn commit(&self, _b: &LoadedTable, _r: Vec<TableRequirement>, _u: Vec<TableUpdate>) -> Result<Committed> {
        unimplemented!()
    }
}
