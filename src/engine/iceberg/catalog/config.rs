//! Which catalog a command uses: `--catalog` / `--warehouse` (env `PRESTIGE_CATALOG` / `PRESTIGE_WAREHOUSE`),
//! entries of a config file in PyIceberg's `.pyiceberg.yaml` format, PyIceberg's `PYICEBERG_CATALOG__*`
//! environment overrides, and the embedded default (SQLite `./warehouse/catalog.db`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::engine::error::{Error, Result};
use crate::engine::storage::{S3Settings, StaticCredentials};

/// The catalog options as given on the command line (or their environment variables).
#[derive(Debug, Clone, Default)]
pub struct CatalogChoice {
    /// A config-file entry name, `sqlite:` URI or `http(s)://` REST URI.
    pub catalog: Option<String>,
    pub warehouse: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogType {
    Sql,
    Rest,
}

/// A resolved catalog: its kind, name and every property (PyIceberg's keys: `uri`, `warehouse`, `credential`,
/// `token`, `s3.endpoint`, ...). `Debug` hides secret values.
#[derive(Clone)]
pub struct CatalogSpec {
    pub name: String,
    pub kind: CatalogType,
    pub uri: String,
    pub warehouse: Option<String>,
    pub props: BTreeMap<String, String>,
    /// Where the entry came from, for messages.
    pub source: String,
}

impl std::fmt::Debug for CatalogSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let props: BTreeMap<&str, &str> =
            self.props.iter().map(|(k, v)| (k.as_str(), if is_secret_key(k) { "***" } else { v.as_str() })).collect();
        f.debug_struct("CatalogSpec")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("uri", &crate::engine::storage::redact_url(&self.uri))
            .field("warehouse", &self.warehouse)
            .field("props", &props)
            .field("source", &self.source)
            .finish()
    }
}

/// Property keys whose values are secrets: never logged, printed or shown in errors.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["secret", "token", "credential", "password", "session", "private-key"].iter().any(|s| k.contains(s))
}

impl CatalogSpec {
    pub fn prop(&self, key: &str) -> Option<&str> {
        self.props.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// S3 settings for the catalog's files: the global flags, overridden by the catalog's `s3.*` properties.
    pub fn s3_settings(&self, global: &S3Settings) -> S3Settings {
        s3_settings_from(global, |k| self.prop(k).map(str::to_string))
    }

    /// A short description without secrets: `sql catalog "default" (sqlite:///…)`.
    pub fn describe(&self) -> String {
        let kind = match self.kind {
            CatalogType::Sql => "sql",
            CatalogType::Rest => "rest",
        };
        format!("{kind} catalog {:?} ({})", self.name, crate::engine::storage::redact_url(&self.uri))
    }
}

/// Global S3 settings overridden by `s3.endpoint`, `s3.region`, `s3.access-key-id`, `s3.secret-access-key`,
/// `s3.session-token` properties (a catalog entry, or the config `loadTable` vends).
pub fn s3_settings_from(global: &S3Settings, get: impl Fn(&str) -> Option<String>) -> S3Settings {
    let mut s = global.clone();
    if let Some(e) = get("s3.endpoint") {
        s.endpoint_url = Some(e);
    }
    if let Some(r) = get("s3.region").or_else(|| get("client.region")) {
        s.region = Some(r);
    }
    if let (Some(id), Some(secret)) = (get("s3.access-key-id"), get("s3.secret-access-key")) {
        s.static_credentials =
            Some(StaticCredentials { access_key_id: id, secret_access_key: secret, session_token: get("s3.session-token") });
    }
    s
}

/// The config file prestige reads: `$PRESTIGE_CONFIG`, else `~/.config/prestige/config.yaml`, else PyIceberg's
/// `$PYICEBERG_HOME/.pyiceberg.yaml` or `~/.pyiceberg.yaml`. `None` when none exists.
pub fn config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PRESTIGE_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mut candidates = Vec::new();
    if let Some(h) = &home {
        candidates.push(h.join(".config/prestige/config.yaml"));
    }
    if let Some(p) = std::env::var_os("PYICEBERG_HOME").filter(|p| !p.is_empty()) {
        candidates.push(PathBuf::from(p).join(".pyiceberg.yaml"));
    }
    if let Some(h) = &home {
        candidates.push(h.join(".pyiceberg.yaml"));
    }
    candidates.into_iter().find(|p| p.is_file())
}

/// The parsed config file: `catalog: {NAME: {key: value}}` and `default-catalog`.
#[derive(Debug, Default)]
pub struct ConfigFile {
    pub path: Option<PathBuf>,
    pub default_catalog: Option<String>,
    pub catalogs: BTreeMap<String, BTreeMap<String, String>>,
}

impl ConfigFile {
    pub fn load() -> Result<Self> {
        match config_path() {
            Some(p) => Self::read(&p),
            None => Ok(Self::default()),
        }
    }

    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io("read config file", path, e))?;
        Self::parse(&text, path)
    }

    fn parse(text: &str, path: &Path) -> Result<Self> {
        let bad = |m: String| Error::Config(format!("config file {}: {m}", path.display()));
        let doc: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| bad(format!("not valid YAML: {e}")))?;
        let mut out = ConfigFile { path: Some(path.to_path_buf()), ..Default::default() };
        if doc.is_null() {
            return Ok(out);
        }
        let map = doc.as_mapping().ok_or_else(|| bad("expected a mapping at the top".into()))?;
        for (k, v) in map {
            match k.as_str() {
                Some("default-catalog") => out.default_catalog = scalar(v),
                Some("catalog") => {
                    let cats = v.as_mapping().ok_or_else(|| bad("`catalog` must map names to settings".into()))?;
                    for (name, entry) in cats {
                        let name = scalar(name).ok_or_else(|| bad("a catalog name must be a string".into()))?;
                        let mut props = BTreeMap::new();
                        flatten(entry, "", &mut props);
                        out.catalogs.insert(name, props);
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

fn scalar(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Nested mappings become dotted keys (`s3: {endpoint: x}` → `s3.endpoint`), as PyIceberg reads them.
fn flatten(v: &serde_yaml::Value, prefix: &str, out: &mut BTreeMap<String, String>) {
    if let Some(m) = v.as_mapping() {
        for (k, v) in m {
            if let Some(k) = scalar(k) {
                let key = if prefix.is_empty() { k } else { format!("{prefix}.{k}") };
                flatten(v, &key, out);
            }
        }
    } else if let Some(s) = scalar(v) {
        out.insert(prefix.to_string(), s);
    }
}

/// PyIceberg's environment overrides for catalog `name`: `PYICEBERG_CATALOG__<NAME>__<KEY>`, where `__` in the
/// key is a `.` and `_` a `-` (`PYICEBERG_CATALOG__PROD__S3__ACCESS_KEY_ID` → `s3.access-key-id`).
fn env_overrides(name: &str, vars: impl Iterator<Item = (String, String)>) -> BTreeMap<String, String> {
    let prefix = format!("PYICEBERG_CATALOG__{}__", name.to_ascii_uppercase());
    vars.filter_map(|(k, v)| {
        let rest = k.strip_prefix(&prefix)?;
        Some((rest.to_ascii_lowercase().replace("__", ".").replace('_', "-"), v))
    })
    .collect()
}

/// Resolves the command line's choice into one catalog.
pub fn resolve(choice: &CatalogChoice) -> Result<CatalogSpec> {
    let file = ConfigFile::load()?;
    resolve_with(choice, &file, std::env::vars().collect::<Vec<_>>().into_iter())
}

pub fn resolve_with(
    choice: &CatalogChoice,
    file: &ConfigFile,
    vars: impl Iterator<Item = (String, String)> + Clone,
) -> Result<CatalogSpec> {
    let file_name = file.path.as_ref().map(|p| p.display().to_string());
    let (name, mut props, source) = match choice.catalog.as_deref() {
        Some(uri) if is_uri(uri) => {
            let name = "default".to_string();
            let mut props = env_overrides(&name, vars.clone());
            props.insert("uri".into(), uri.to_string());
            (name, props, "--catalog".to_string())
        }
        Some(name) => {
            let mut props = file.catalogs.get(name).cloned().unwrap_or_default();
            let env = env_overrides(name, vars.clone());
            if props.is_empty() && env.is_empty() {
                let known: Vec<&str> = file.catalogs.keys().map(String::as_str).collect();
                return Err(Error::Missing {
                    what: "catalog",
                    name: name.to_string(),
                    hint: match &file_name {
                        Some(f) if known.is_empty() => format!(" (the config file {f} defines no catalogs)"),
                        Some(f) => format!(" in the config file {f} (it defines: {})", known.join(", ")),
                        None => " (no config file: set PRESTIGE_CONFIG, or create ~/.config/prestige/config.yaml \
                                 or ~/.pyiceberg.yaml; or give a sqlite: or http(s):// URI)"
                            .to_string(),
                    },
                });
            }
            props.extend(env);
            (name.to_string(), props, file_name.clone().unwrap_or_else(|| "environment".into()))
        }
        None => match &file.default_catalog {
            Some(d) => {
                let mut props = file.catalogs.get(d).cloned().unwrap_or_default();
                props.extend(env_overrides(d, vars.clone()));
                if props.is_empty() {
                    return Err(Error::Config(format!(
                        "config file {}: default-catalog {d:?} is not among its catalogs",
                        file_name.clone().unwrap_or_default()
                    )));
                }
                (d.clone(), props, file_name.clone().unwrap_or_default())
            }
            None => {
                let env = env_overrides("default", vars.clone());
                let mut props = file.catalogs.get("default").cloned().unwrap_or_default();
                props.extend(env);
                if props.is_empty() {
                    props.insert("uri".into(), "sqlite:///warehouse/catalog.db".into());
                    props.insert("warehouse".into(), "warehouse".into());
                    ("default".to_string(), props, "the embedded default".to_string())
                } else {
                    ("default".to_string(), props, file_name.clone().unwrap_or_else(|| "environment".into()))
                }
            }
        },
    };
    if let Some(w) = &choice.warehouse {
        props.insert("warehouse".into(), w.clone());
    }
    let uri = props.get("uri").cloned().unwrap_or_default();
    let kind = match props.get("type").map(|t| t.to_ascii_lowercase()).as_deref() {
        Some("sql") => CatalogType::Sql,
        Some("rest") => CatalogType::Rest,
        Some(other) => {
            return Err(Error::Config(format!(
                "catalog {name:?} ({source}): type {other:?} is not supported; prestige speaks to `sql` (SQLite) and \
                 `rest` catalogs"
            )));
        }
        None if uri.starts_with("http://") || uri.starts_with("https://") => CatalogType::Rest,
        None if uri.starts_with("sqlite:") => CatalogType::Sql,
        None => {
            return Err(Error::Config(format!(
                "catalog {name:?} ({source}): no `type` and no `uri` that says which kind it is (sqlite:... or \
                 http(s)://...)"
            )));
        }
    };
    if kind == CatalogType::Sql && !uri.starts_with("sqlite:") {
        return Err(Error::Config(format!(
            "catalog {name:?} ({source}): the SQL catalog's uri must be a SQLite one (sqlite:////abs/path.db or \
             sqlite:///relative.db); got {}",
            crate::engine::storage::redact_url(&uri)
        )));
    }
    if kind == CatalogType::Rest && !(uri.starts_with("http://") || uri.starts_with("https://")) {
        return Err(Error::Config(format!("catalog {name:?} ({source}): a REST catalog needs an http(s):// uri")));
    }
    let warehouse = props.get("warehouse").cloned().filter(|w| !w.is_empty());
    Ok(CatalogSpec { name, kind, uri, warehouse, props, source })
}

fn is_uri(s: &str) -> bool {
    s.starts_with("sqlite:") || s.starts_with("http://") || s.starts_with("https://")
}

/// The database file of a SQLAlchemy SQLite URI: `sqlite:////abs/path.db` → `/abs/path.db`,
/// `sqlite:///relative.db` → `relative.db` (against the working directory).
pub fn sqlite_path(uri: &str) -> Result<PathBuf> {
    if uri.starts_with("sqlite://") && !uri.starts_with("sqlite:///") {
        return Err(Error::Config(format!(
            "{uri}: expected sqlite:////absolute/path.db or sqlite:///relative/path.db"
        )));
    }
    let rest = uri
        .strip_prefix("sqlite:///")
        .or_else(|| uri.strip_prefix("sqlite:"))
        .ok_or_else(|| Error::Config(format!("not a SQLite URI: {uri}")))?;
    let rest = rest.split('?').next().unwrap_or_default();
    if rest.is_empty() || rest == ":memory:" {
        return Err(Error::Config(format!(
            "{uri}: an in-memory SQLite catalog would lose every table at exit; give a file: sqlite:///path.db"
        )));
    }
    Ok(PathBuf::from(rest))
}

/// A warehouse or table location as stored in metadata: URIs stay; a local path becomes `file:///abs/path`.
pub fn normalize_location(loc: &str) -> Result<String> {
    if loc.contains("://") {
        return Ok(loc.trim_end_matches('/').to_string());
    }
    let p = Path::new(loc);
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().map_err(|e| Error::io("read the working directory", ".", e))?.join(p)
    };
    let text = abs.to_string_lossy().trim_end_matches('/').to_string();
    Ok(format!("file://{text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(yaml: &str) -> ConfigFile {
        ConfigFile::parse(yaml, Path::new("cfg.yaml")).unwrap()
    }

    #[test]
    fn pyiceberg_config_files_resolve() {
        let f = file(
            "default-catalog: prod\ncatalog:\n  prod:\n    uri: http://rest:8181\n    credential: id:secret\n    \
             s3.endpoint: http://s3:9000\n  local:\n    type: sql\n    uri: sqlite:////tmp/c.db\n    warehouse: \
             file:///tmp/wh\n    s3:\n      region: eu-west-1\n",
        );
        let none = std::iter::empty::<(String, String)>();
        let prod = resolve_with(&CatalogChoice::default(), &f, none.clone()).unwrap();
        assert_eq!((prod.name.as_str(), prod.kind), ("prod", CatalogType::Rest));
        assert_eq!(prod.prop("s3.endpoint"), Some("http://s3:9000"));
        assert!(!format!("{prod:?}").contains("id:secret"));
        let local = resolve_with(&CatalogChoice { catalog: Some("local".into()), warehouse: None }, &f, none.clone())
            .unwrap();
        assert_eq!(local.kind, CatalogType::Sql);
        assert_eq!(local.prop("s3.region"), Some("eu-west-1"));
        let env = vec![("PYICEBERG_CATALOG__LOCAL__S3__ACCESS_KEY_ID".to_string(), "AK".to_string())];
        let local = resolve_with(&CatalogChoice { catalog: Some("local".into()), warehouse: None }, &f, env.into_iter())
            .unwrap();
        assert_eq!(local.prop("s3.access-key-id"), Some("AK"));
        let missing = resolve_with(&CatalogChoice { catalog: Some("nope".into()), warehouse: None }, &f, none);
        assert!(missing.unwrap_err().to_string().contains("local, prod"));
    }

    #[test]
    fn embedded_default_and_sqlite_uris() {
        let spec = resolve_with(&CatalogChoice::default(), &ConfigFile::default(), std::iter::empty()).unwrap();
        assert_eq!(spec.kind, CatalogType::Sql);
        assert_eq!(sqlite_path(&spec.uri).unwrap(), PathBuf::from("warehouse/catalog.db"));
        assert_eq!(sqlite_path("sqlite:////abs/c.db").unwrap(), PathBuf::from("/abs/c.db"));
        assert!(sqlite_path("sqlite://").is_err());
        assert_eq!(normalize_location("s3://b/w/").unwrap(), "s3://b/w");
        assert!(normalize_location("wh").unwrap().starts_with("file:///"));
    }
}
