//! The Iceberg REST catalog client: `/v1/config` (defaults < the catalog's properties < overrides, the
//! `prefix` in every path), namespaces (nested ones joined with the unit separator `%1F`), tables, and commits
//! (`CommitTableRequest`: 409 is a conflict, 5xx or a lost answer is an unknown outcome). Authentication:
//! OAuth2 client credentials (cached, refreshed before expiry and once on a 401), a static bearer token, or
//! AWS SigV4. The `config` a table load vends (`s3.*`) configures that table's file I/O.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use iceberg::spec::TableMetadata;
use iceberg::{NamespaceIdent, TableCreation, TableIdent, TableRequirement, TableUpdate};
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::config::{CatalogSpec, s3_settings_from};
use super::{Catalog, Committed, LoadedTable, display_ident, display_namespace};
use crate::engine::error::{Error, Result};
use crate::engine::iceberg::io::file_io;
use crate::engine::storage::s3::backoff;
use crate::engine::storage::{S3Settings, redact_url};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts of an idempotent request (GET, HEAD) on connection errors, 429 and 5xx.
const READ_ATTEMPTS: u32 = 4;
/// A bound on `next-page-token` loops, against a server that keeps answering with a token.
const MAX_PAGES: usize = 100_000;

/// A catalog reached over the Iceberg REST protocol.
pub struct RestCatalog {
    name: String,
    /// `name (uri)` without userinfo, for messages.
    label: String,
    /// The catalog's base URI, without a trailing `/`.
    uri: String,
    warehouse: Option<String>,
    /// Path segment(s) after `/v1/` from the server's config (`overrides.prefix`).
    prefix: Option<String>,
    /// Endpoints the server advertised in `/v1/config` (`None`: it did not say).
    endpoints: Option<Vec<String>>,
    /// `rest-page-size`: asks list endpoints for pages of this size (else the server's default).
    page_size: Option<u32>,
    http: reqwest::Client,
    auth: auth::Auth,
    /// Extra headers: `header.*` properties, `X-Iceberg-Access-Delegation: vended-credentials` by default.
    headers: Vec<(HeaderName, HeaderValue)>,
    /// S3 settings for table files before a table's vended config: the global ones under the merged
    /// catalog properties.
    s3: S3Settings,
}

impl std::fmt::Debug for RestCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestCatalog")
            .field("name", &self.name)
            .field("uri", &redact_url(&self.uri))
            .field("warehouse", &self.warehouse)
            .field("prefix", &self.prefix)
            .field("auth", &self.auth)
            .field("s3", &self.s3)
            .finish_non_exhaustive()
    }
}

/// An HTTP answer, body read.
struct Reply {
    status: StatusCode,
    body: Bytes,
}

impl Reply {
    /// The `type` of an Iceberg `ErrorModel` body (`NoSuchTableException`, ...).
    fn error_type(&self) -> Option<String> {
        let v: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        v.get("error")?.get("type")?.as_str().map(str::to_string)
    }

    /// `HTTP 404 Not Found: NoSuchTableException: Table does not exist: t`.
    fn describe(&self) -> String {
        describe_status(self.status, &self.body)
    }
}

/// Why a request got no usable answer.
enum Failure {
    /// The connection was never made: the server did not see the request.
    NotSent(String),
    /// The request was (or may have been) sent, but the answer was lost (timeout, connection reset).
    NoAnswer(String),
    /// Authentication failed before the request could be sent (token endpoint, credentials).
    Auth(Error),
}

#[derive(Deserialize)]
struct ConfigResponse {
    #[serde(default)]
    defaults: HashMap<String, serde_json::Value>,
    #[serde(default)]
    overrides: HashMap<String, serde_json::Value>,
    #[serde(default)]
    endpoints: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct LoadTableResponse {
    #[serde(default)]
    metadata_location: Option<String>,
    metadata: TableMetadata,
    #[serde(default)]
    config: HashMap<String, serde_json::Value>,
    #[serde(default)]
    storage_credentials: Vec<StorageCredential>,
}

#[derive(Deserialize)]
struct StorageCredential {
    prefix: String,
    #[serde(default)]
    config: HashMap<String, serde_json::Value>,
}

trait Page {
    fn next_page_token(&self) -> Option<&str>;
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct ListNamespacesResponse {
    #[serde(default)]
    namespaces: Vec<Vec<String>>,
    #[serde(default)]
    next_page_token: Option<String>,
}

impl Page for ListNamespacesResponse {
    fn next_page_token(&self) -> Option<&str> {
        self.next_page_token.as_deref()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct ListTablesResponse {
    #[serde(default)]
    identifiers: Vec<TableIdent>,
    #[serde(default)]
    next_page_token: Option<String>,
}

impl Page for ListTablesResponse {
    fn next_page_token(&self) -> Option<&str> {
        self.next_page_token.as_deref()
    }
}

/// Property values as strings (a server may send `true` or `3600` unquoted).
fn strings(map: HashMap<String, serde_json::Value>) -> BTreeMap<String, String> {
    map.into_iter()
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k, s)),
            serde_json::Value::Null => None,
            other => Some((k, other.to_string())),
        })
        .collect()
}

/// Percent-encodes one path segment: everything but RFC 3986's unreserved characters.
fn encode_segment(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A namespace in a URL path: its parts encoded and joined with the unit separator.
fn encode_namespace(ns: &NamespaceIdent) -> String {
    ns.as_ref().iter().map(|p| encode_segment(p)).collect::<Vec<_>>().join("%1F")
}

/// A status and the server's explanation, from an Iceberg `ErrorModel`, an OAuth2 error or plain text.
fn describe_status(status: StatusCode, body: &[u8]) -> String {
    let mut out = format!("HTTP {status}");
    let detail = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => match v.get("error") {
            Some(serde_json::Value::Object(e)) => {
                let kind = e.get("type").and_then(|t| t.as_str());
                let msg = e.get("message").and_then(|t| t.as_str());
                match (kind, msg) {
                    (Some(k), Some(m)) => format!("{k}: {m}"),
                    (Some(s), None) | (None, Some(s)) => s.to_string(),
                    (None, None) => String::new(),
                }
            }
            Some(serde_json::Value::String(code)) => match v.get("error_description").and_then(|d| d.as_str()) {
                Some(d) => format!("{code}: {d}"),
                None => code.clone(),
            },
            _ => String::new(),
        },
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            if text.chars().count() > 200 {
                format!("{}…", text.chars().take(200).collect::<String>())
            } else {
                text.into()
            }
        }
    };
    if !detail.is_empty() {
        out.push_str(": ");
        out.push_str(&detail);
    }
    out
}

/// A transport error with its causes, never its URL (which could carry userinfo).
fn describe_transport(e: reqwest::Error) -> String {
    let timeout = e.is_timeout();
    let e = e.without_url();
    let mut out = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    if timeout && !out.contains("timed out") {
        out.push_str(" (timed out)");
    }
    out
}

fn retryable_status(s: StatusCode) -> bool {
    matches!(s.as_u16(), 429 | 500 | 502 | 503 | 504)
}

impl RestCatalog {
    /// Connects: authenticates (when configured) and reads `/v1/config`.
    pub async fn connect(spec: &CatalogSpec, s3: &S3Settings) -> Result<Self> {
        let label = format!("{} ({})", spec.name, redact_url(&spec.uri));
        let catalog_err = |m: String| Error::Catalog { catalog: label.clone(), message: m };
        let uri = spec.uri.trim_end_matches('/').to_string();
        Url::parse(&uri).map_err(|e| Error::Config(format!("catalog {label}: invalid uri: {e}")))?;
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("prestige/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| catalog_err(format!("cannot build the HTTP client: {}", describe_transport(e))))?;
        let props = spec.props.clone();
        let base_s3 = spec.s3_settings(s3);
        let auth = auth::Auth::from_props(&props, &uri, &label, http.clone(), &base_s3).await?;
        let mut cat = RestCatalog {
            name: spec.name.clone(),
            label: label.clone(),
            uri,
            warehouse: spec.warehouse.clone(),
            prefix: None,
            endpoints: None,
            page_size: None,
            http,
            auth,
            headers: headers_from(&props, &label)?,
            s3: base_s3,
        };
        let config = cat.fetch_config().await?;
        let mut merged = strings(config.defaults);
        merged.extend(props);
        merged.extend(strings(config.overrides));
        if let Some(u) = merged.get("uri").filter(|u| !u.is_empty()) {
            let u = u.trim_end_matches('/');
            if u != cat.uri {
                Url::parse(u).map_err(|e| catalog_err(format!("the server's config gives an invalid uri: {e}")))?;
                tracing::debug!(catalog = %cat.name, uri = %redact_url(u), "the server's config overrides the uri");
                cat.uri = u.to_string();
            }
        }
        cat.prefix = merged.get("prefix").map(|p| p.trim_matches('/').to_string()).filter(|p| !p.is_empty());
        cat.endpoints = config.endpoints;
        cat.page_size = match merged.get("rest-page-size").filter(|v| !v.is_empty()) {
            Some(v) => Some(v.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                Error::Config(format!("catalog {label}: rest-page-size must be a positive integer, not {v:?}"))
            })?),
            None => None,
        };
        cat.headers = headers_from(&merged, &label)?;
        cat.s3 = s3_settings_from(s3, |k| merged.get(k).filter(|v| !v.is_empty()).cloned());
        tracing::debug!(catalog = %cat.name, prefix = ?cat.prefix, "connected to the REST catalog");
        Ok(cat)
    }

    fn err(&self, message: impl std::fmt::Display) -> Error {
        Error::Catalog { catalog: self.label.clone(), message: message.to_string() }
    }

    async fn fetch_config(&self) -> Result<ConfigResponse> {
        let mut url = self.parse_url(&format!("{}/v1/config", self.uri))?;
        if let Some(w) = &self.warehouse {
            url.query_pairs_mut().append_pair("warehouse", w);
        }
        let reply = self.request(Method::GET, url, None, "read the catalog config").await?;
        match reply.status.as_u16() {
            200 => self.parse(&reply, "the catalog config"),
            404 => Err(self.err(format!(
                "{}/v1/config is not there ({}): is this an Iceberg REST catalog uri?",
                redact_url(&self.uri),
                reply.describe()
            ))),
            _ => Err(self.err(format!("cannot read the catalog config: {}", reply.describe()))),
        }
    }

    fn parse_url(&self, text: &str) -> Result<Url> {
        Url::parse(text).map_err(|e| self.err(format!("cannot build a request URL: {e}")))
    }

    /// `{uri}/v1/{prefix}/{tail}`; `tail` is already encoded.
    fn url(&self, tail: &str) -> Result<Url> {
        let prefix = self.prefix.as_deref().map(|p| format!("{p}/")).unwrap_or_default();
        self.parse_url(&format!("{}/v1/{prefix}{tail}", self.uri))
    }

    fn namespace_url(&self, ns: &NamespaceIdent) -> Result<Url> {
        self.url(&format!("namespaces/{}", encode_namespace(ns)))
    }

    fn table_url(&self, ident: &TableIdent) -> Result<Url> {
        self.url(&format!("namespaces/{}/tables/{}", encode_namespace(ident.namespace()), encode_segment(ident.name())))
    }

    fn supports(&self, endpoint: &str) -> bool {
        self.endpoints.as_ref().is_some_and(|e| e.iter().any(|x| x == endpoint))
    }

    fn parse<T: DeserializeOwned>(&self, reply: &Reply, what: &str) -> Result<T> {
        serde_json::from_slice(&reply.body).map_err(|e| self.err(format!("unexpected response for {what}: {e}")))
    }

    async fn build(&self, method: Method, url: &Url, body: Option<&[u8]>) -> Result<reqwest::Request> {
        let mut rb = self.http.request(method, url.clone());
        for (k, v) in &self.headers {
            rb = rb.header(k, v);
        }
        if let Some(b) = body {
            rb = rb.header(CONTENT_TYPE, "application/json").body(b.to_vec());
        }
        let mut req = rb.build().map_err(|e| self.err(format!("cannot build a request: {}", describe_transport(e))))?;
        self.auth.apply(&mut req).await?;
        Ok(req)
    }

    /// Sends a request. Idempotent ones (GET, HEAD) are retried on connection errors, 429 and 5xx with backoff;
    /// any request is retried once after a 401 when a fresh OAuth2 token can be fetched. Other statuses are
    /// returned for the caller to judge.
    async fn execute(&self, method: Method, url: Url, body: Option<Vec<u8>>) -> std::result::Result<Reply, Failure> {
        let idempotent = method == Method::GET || method == Method::HEAD;
        let attempts = if idempotent { READ_ATTEMPTS } else { 1 };
        let mut attempt = 0;
        let mut refreshed = false;
        loop {
            let req = self.build(method.clone(), &url, body.as_deref()).await.map_err(Failure::Auth)?;
            tracing::debug!(catalog = %self.name, %method, path = url.path(), "REST request");
            let outcome = match self.http.execute(req).await {
                Ok(resp) => {
                    let status = resp.status();
                    match resp.bytes().await {
                        Ok(body) => Ok(Reply { status, body }),
                        Err(e) => Err(Failure::NoAnswer(format!("the answer was cut off: {}", describe_transport(e)))),
                    }
                }
                Err(e) if e.is_connect() => Err(Failure::NotSent(describe_transport(e))),
                Err(e) => Err(Failure::NoAnswer(describe_transport(e))),
            };
            attempt += 1;
            match outcome {
                Ok(r) if r.status == StatusCode::UNAUTHORIZED && !refreshed && self.auth.can_refresh() => {
                    tracing::debug!(catalog = %self.name, "401: fetching a new token and retrying once");
                    refreshed = true;
                    self.auth.invalidate().await;
                    attempt -= 1;
                    continue;
                }
                Ok(r) if idempotent && attempt < attempts && retryable_status(r.status) => {
                    tracing::debug!(catalog = %self.name, %method, path = url.path(), status = %r.status, "retrying");
                }
                Err(Failure::NotSent(m) | Failure::NoAnswer(m)) if idempotent && attempt < attempts => {
                    tracing::debug!(catalog = %self.name, %method, path = url.path(), error = %m, "retrying");
                }
                other => return other,
            }
            tokio::time::sleep(backoff(attempt)).await;
        }
    }

    /// [`execute`](Self::execute) with failures as catalog errors.
    async fn request(&self, method: Method, url: Url, body: Option<Vec<u8>>, what: &str) -> Result<Reply> {
        match self.execute(method, url, body).await {
            Ok(r) => Ok(r),
            Err(Failure::Auth(e)) => Err(e),
            Err(Failure::NotSent(m)) => {
                Err(self.err(format!("cannot {what}: cannot reach {}: {m}", redact_url(&self.uri))))
            }
            Err(Failure::NoAnswer(m)) => Err(self.err(format!("cannot {what}: no answer: {m}"))),
        }
    }

    fn json_body(&self, value: &serde_json::Value) -> Result<Vec<u8>> {
        serde_json::to_vec(value).map_err(|e| self.err(format!("cannot serialize a request: {e}")))
    }

    /// All pages of a list endpoint.
    async fn pages<P: Page + DeserializeOwned>(
        &self,
        url: Url,
        what: &str,
        missing: impl Fn(&Reply) -> Option<Error>,
    ) -> Result<Vec<P>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut u = url.clone();
            if let Some(n) = self.page_size {
                u.query_pairs_mut()
                    .append_pair("pageToken", token.as_deref().unwrap_or(""))
                    .append_pair("pageSize", &n.to_string());
            } else if let Some(t) = &token {
                u.query_pairs_mut().append_pair("pageToken", t);
            }
            let reply = self.request(Method::GET, u, None, what).await?;
            if reply.status != StatusCode::OK {
                return Err(missing(&reply).unwrap_or_else(|| self.err(format!("cannot {what}: {}", reply.describe()))));
            }
            let page: P = self.parse(&reply, what)?;
            let next = page.next_page_token().filter(|t| !t.is_empty()).map(str::to_string);
            out.push(page);
            match next {
                Some(t) if token.as_deref() == Some(t.as_str()) => {
                    return Err(self.err(format!("cannot {what}: the server repeated the page token")));
                }
                Some(_) if out.len() >= MAX_PAGES => {
                    return Err(self.err(format!("cannot {what}: more than {MAX_PAGES} pages")));
                }
                Some(t) => token = Some(t),
                None => return Ok(out),
            }
        }
    }

    fn missing_namespace(&self, ns: &NamespaceIdent, hint: &str) -> Error {
        Error::Missing {
            what: "namespace",
            name: display_namespace(ns),
            hint: format!(" in catalog {}{hint}", self.name),
        }
    }

    /// A 404 about a table: the namespace when the server says so, else the table (with a note when its
    /// namespace is missing too).
    async fn missing_table(&self, ident: &TableIdent, reply: Option<&Reply>) -> Error {
        if reply.and_then(Reply::error_type).as_deref() == Some("NoSuchNamespaceException") {
            return self.missing_namespace(ident.namespace(), "");
        }
        let hint = match self.namespace_exists(ident.namespace()).await {
            Ok(false) => format!(" (namespace {} does not exist either)", display_namespace(ident.namespace())),
            _ => String::new(),
        };
        Error::Missing { what: "table", name: display_ident(ident), hint: format!(" in catalog {}{hint}", self.name) }
    }

    /// S3 settings for a table's files: the catalog's, overridden by the `config` the server vended and the
    /// `storage-credentials` entry with the longest prefix of the table's location.
    fn table_s3(&self, base: &S3Settings, resp: &mut LoadTableResponse) -> S3Settings {
        let mut vended = strings(std::mem::take(&mut resp.config));
        let location = resp.metadata.location().to_string();
        if let Some(c) = std::mem::take(&mut resp.storage_credentials)
            .into_iter()
            .filter(|c| location.starts_with(&c.prefix))
            .max_by_key(|c| c.prefix.len())
        {
            vended.extend(strings(c.config));
        }
        s3_settings_from(base, |k| vended.get(k).filter(|v| !v.is_empty()).cloned())
    }

    fn loaded(&self, ident: &TableIdent, reply: &Reply, what: &str) -> Result<LoadedTable> {
        let mut resp: LoadTableResponse = serde_json::from_slice(&reply.body).map_err(|e| Error::Iceberg {
            table: display_ident(ident),
            message: format!("the catalog's answer to {what} is not a table: {e}"),
        })?;
        let s3 = self.table_s3(&self.s3, &mut resp);
        Ok(LoadedTable {
            ident: ident.clone(),
            metadata_location: resp.metadata_location,
            metadata: resp.metadata.into(),
            file_io: file_io(&s3),
            s3,
        })
    }

    /// POSTs a namespace. `Ok(false)` when the server says its parent is missing.
    async fn post_namespace(&self, ns: &NamespaceIdent, properties: &HashMap<String, String>) -> Result<bool> {
        let body = self.json_body(&serde_json::json!({ "namespace": ns, "properties": properties }))?;
        let what = format!("create namespace {}", display_namespace(ns));
        let reply = self.request(Method::POST, self.url("namespaces")?, Some(body), &what).await?;
        match reply.status.as_u16() {
            200 | 201 | 204 | 409 => Ok(true),
            404 if ns.as_ref().len() > 1 => Ok(false),
            _ => Err(self.err(format!("cannot {what}: {}", reply.describe()))),
        }
    }
}

/// `header.NAME` properties as headers. Like PyIceberg, `X-Iceberg-Access-Delegation: vended-credentials` is
/// sent unless set; an empty value sends no such header (SeaweedFS without a credential role answers a
/// vended-credentials load with an empty `config`, where it would otherwise give its S3 endpoint).
fn headers_from(props: &BTreeMap<String, String>, label: &str) -> Result<Vec<(HeaderName, HeaderValue)>> {
    let bad = |k: &str| Error::Config(format!("catalog {label}: property {k} is not a valid HTTP header"));
    let delegation = HeaderName::from_static("x-iceberg-access-delegation");
    let mut delegation_set = false;
    let mut out = Vec::new();
    for (k, v) in props {
        let Some(name) = k.strip_prefix("header.") else { continue };
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad(k))?;
        delegation_set |= name == delegation;
        if v.is_empty() {
            continue;
        }
        let mut value = HeaderValue::from_str(v).map_err(|_| bad(k))?;
        value.set_sensitive(super::config::is_secret_key(k) || name == reqwest::header::AUTHORIZATION);
        out.push((name, value));
    }
    if !delegation_set {
        out.push((delegation, HeaderValue::from_static("vended-credentials")));
    }
    Ok(out)
}

#[async_trait]
impl Catalog for RestCatalog {
    fn name(&self) -> &str {
        &self.name
    }

    /// The warehouse as configured (for REST, what `/v1/config?warehouse=` was asked for; the server chooses
    /// table locations itself).
    fn warehouse(&self) -> Option<&str> {
        self.warehouse.as_deref()
    }

    async fn list_namespaces(&self, parent: Option<&NamespaceIdent>) -> Result<Vec<NamespaceIdent>> {
        let mut url = self.url("namespaces")?;
        if let Some(p) = parent {
            url.query_pairs_mut().append_pair("parent", &p.as_ref().join("\u{1f}"));
        }
        let what = match parent {
            Some(p) => format!("list the namespaces in {}", display_namespace(p)),
            None => "list namespaces".to_string(),
        };
        let pages: Vec<ListNamespacesResponse> = self
            .pages(url, &what, |r| match (parent, r.status) {
                (Some(p), StatusCode::NOT_FOUND) => Some(self.missing_namespace(p, "")),
                _ => None,
            })
            .await?;
        // Children only, one level down: some servers list deeper namespaces too.
        let parent_parts: &[String] = parent.map_or(&[], |p| p.as_ref());
        let depth = parent_parts.len();
        let mut out: Vec<NamespaceIdent> = Vec::new();
        for parts in pages.into_iter().flat_map(|p| p.namespaces) {
            if parts.len() <= depth || parts[..depth] != *parent_parts {
                continue;
            }
            if let Ok(id) = NamespaceIdent::from_vec(parts[..depth + 1].to_vec())
                && !out.contains(&id)
            {
                out.push(id);
            }
        }
        out.sort();
        Ok(out)
    }

    async fn namespace_exists(&self, ns: &NamespaceIdent) -> Result<bool> {
        let method = if self.supports("HEAD /v1/{prefix}/namespaces/{namespace}") { Method::HEAD } else { Method::GET };
        let what = format!("look up namespace {}", display_namespace(ns));
        let reply = self.request(method, self.namespace_url(ns)?, None, &what).await?;
        match reply.status.as_u16() {
            200 | 204 => Ok(true),
            404 => Ok(false),
            _ => Err(self.err(format!("cannot {what}: {}", reply.describe()))),
        }
    }

    async fn create_namespace(&self, ns: &NamespaceIdent, properties: HashMap<String, String>) -> Result<()> {
        if self.post_namespace(ns, &properties).await? {
            return Ok(());
        }
        // The server wants parents first: create them, then the namespace.
        let parts = ns.as_ref();
        for n in 1..parts.len() {
            let parent = NamespaceIdent::from_vec(parts[..n].to_vec())
                .map_err(|e| Error::Config(format!("invalid namespace {}: {e}", display_namespace(ns))))?;
            self.post_namespace(&parent, &HashMap::new()).await?;
        }
        if self.post_namespace(ns, &properties).await? {
            Ok(())
        } else {
            Err(self.err(format!(
                "cannot create namespace {}: the server says its parent is missing",
                display_namespace(ns)
            )))
        }
    }

    async fn list_tables(&self, ns: &NamespaceIdent) -> Result<Vec<TableIdent>> {
        let url = self.url(&format!("namespaces/{}/tables", encode_namespace(ns)))?;
        let what = format!("list the tables in {}", display_namespace(ns));
        let pages: Vec<ListTablesResponse> = self
            .pages(url, &what, |r| (r.status == StatusCode::NOT_FOUND).then(|| self.missing_namespace(ns, "")))
            .await?;
        let tables: Vec<TableIdent> = pages.into_iter().flat_map(|p| p.identifiers).collect();
        // Some servers (SeaweedFS) answer an empty list for a namespace that does not exist.
        if tables.is_empty() && !self.namespace_exists(ns).await? {
            return Err(self.missing_namespace(ns, ""));
        }
        Ok(tables)
    }

    async fn load_table(&self, ident: &TableIdent) -> Result<LoadedTable> {
        let what = format!("load table {}", display_ident(ident));
        let reply = self.request(Method::GET, self.table_url(ident)?, None, &what).await?;
        match reply.status.as_u16() {
            200 => self.loaded(ident, &reply, "loadTable"),
            404 => Err(self.missing_table(ident, Some(&reply)).await),
            _ => Err(self.err(format!("cannot {what}: {}", reply.describe()))),
        }
    }

    async fn create_table(&self, ident: &TableIdent, creation: TableCreation) -> Result<LoadedTable> {
        // Some servers (SeaweedFS) answer a create of an existing table with that table, not a 409: ask first.
        let what = format!("create table {}", display_ident(ident));
        let existing = self.request(Method::GET, self.table_url(ident)?, None, &what).await?;
        if existing.status == StatusCode::OK {
            return Err(Error::Config(format!(
                "table {} already exists in catalog {}",
                display_ident(ident),
                self.name
            )));
        }
        let mut properties = creation.properties;
        properties.entry("format-version".to_string()).or_insert_with(|| (creation.format_version as u8).to_string());
        let mut req = serde_json::Map::new();
        req.insert("name".into(), ident.name().into());
        if let Some(l) = creation.location {
            req.insert("location".into(), l.into());
        }
        let to_json = |v: serde_json::Result<serde_json::Value>| {
            v.map_err(|e| Error::Iceberg { table: display_ident(ident), message: format!("cannot serialize: {e}") })
        };
        req.insert("schema".into(), to_json(serde_json::to_value(&creation.schema))?);
        if let Some(p) = &creation.partition_spec {
            req.insert("partition-spec".into(), to_json(serde_json::to_value(p))?);
        }
        if let Some(o) = &creation.sort_order {
            req.insert("write-order".into(), to_json(serde_json::to_value(o))?);
        }
        req.insert("stage-create".into(), false.into());
        req.insert("properties".into(), to_json(serde_json::to_value(&properties))?);
        let body = self.json_body(&serde_json::Value::Object(req))?;
        let url = self.url(&format!("namespaces/{}/tables", encode_namespace(ident.namespace())))?;
        let reply = self.request(Method::POST, url, Some(body), &what).await?;
        match reply.status.as_u16() {
            200 => self.loaded(ident, &reply, "createTable"),
            404 => Err(self.missing_namespace(ident.namespace(), " (create it, or let `--create` create it)")),
            409 => {
                Err(Error::Config(format!("table {} already exists in catalog {}", display_ident(ident), self.name)))
            }
            400 | 422 => Err(Error::Iceberg {
                table: display_ident(ident),
                message: format!("the catalog refused to create it: {}", reply.describe()),
            }),
            _ => Err(self.err(format!("cannot {what}: {}", reply.describe()))),
        }
    }

    async fn drop_table(&self, ident: &TableIdent, purge: bool) -> Result<()> {
        let mut url = self.table_url(ident)?;
        url.query_pairs_mut().append_pair("purgeRequested", if purge { "true" } else { "false" });
        let what = format!("drop table {}", display_ident(ident));
        let reply = self.request(Method::DELETE, url, None, &what).await?;
        match reply.status.as_u16() {
            200 | 202 | 204 => Ok(()),
            404 => Err(self.missing_table(ident, Some(&reply)).await),
            _ => Err(self.err(format!("cannot {what}: {}", reply.describe()))),
        }
    }

    async fn commit(
        &self,
        base: &LoadedTable,
        requirements: Vec<TableRequirement>,
        updates: Vec<TableUpdate>,
    ) -> Result<Committed> {
        let ident = &base.ident;
        let table = display_ident(ident);
        let body = serde_json::to_vec(&serde_json::json!({
            "identifier": ident,
            "requirements": requirements,
            "updates": updates,
        }))
        .map_err(|e| Error::Iceberg { table: table.clone(), message: format!("cannot serialize the commit: {e}") })?;
        let reply = match self.execute(Method::POST, self.table_url(ident)?, Some(body)).await {
            Ok(r) => r,
            Err(Failure::Auth(e)) => return Err(e),
            Err(Failure::NotSent(m)) => {
                return Err(
                    self.err(format!("commit to table {table} not sent: cannot reach {}: {m}", redact_url(&self.uri)))
                );
            }
            Err(Failure::NoAnswer(m)) => {
                return Err(Error::CommitUnknown { table, message: format!("no answer from the catalog: {m}") });
            }
        };
        match reply.status.as_u16() {
            200 => {
                let mut resp: LoadTableResponse =
                    serde_json::from_slice(&reply.body).map_err(|e| Error::CommitUnknown {
                        table: table.clone(),
                        message: format!("the catalog accepted the commit but its answer is unreadable: {e}"),
                    })?;
                let (file_io, s3) = if resp.config.is_empty() && resp.storage_credentials.is_empty() {
                    (base.file_io.clone(), base.s3.clone())
                } else {
                    let s3 = self.table_s3(&base.s3, &mut resp);
                    (file_io(&s3), s3)
                };
                Ok(LoadedTable {
                    ident: ident.clone(),
                    metadata_location: resp.metadata_location,
                    metadata: resp.metadata.into(),
                    file_io,
                    s3,
                })
            }
            409 => Err(Error::CommitConflict { table, message: reply.describe() }),
            404 => Err(self.missing_table(ident, Some(&reply)).await),
            400 | 422 => {
                Err(Error::Iceberg { table, message: format!("the catalog refused the commit: {}", reply.describe()) })
            }
            // 501 says the server does not commit at all; every other 5xx may hide a commit that landed.
            s if s >= 500 && s != 501 => Err(Error::CommitUnknown { table, message: reply.describe() }),
            _ => Err(self.err(format!("commit to table {table} refused: {}", reply.describe()))),
        }
    }
}

/// Authentication of REST requests: a bearer token (static, or OAuth2 client credentials) and/or SigV4.
mod auth {
    use std::collections::BTreeMap;
    use std::time::{Duration, Instant, SystemTime};

    use aws_credential_types::Credentials;
    use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
    use reqwest::StatusCode;
    use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
    use serde::Deserialize;
    use tokio::sync::Mutex;

    use super::{READ_ATTEMPTS, describe_status, describe_transport, retryable_status};
    use crate::engine::error::{Error, Result};
    use crate::engine::storage::s3::backoff;
    use crate::engine::storage::{S3Settings, redact_url};

    pub(super) struct Auth {
        label: String,
        http: reqwest::Client,
        /// The current bearer token (a static `token`, or the last one OAuth2 gave).
        cached: Mutex<Option<Token>>,
        static_token: bool,
        oauth: Option<OAuth2>,
        sigv4: Option<SigV4>,
    }

    impl std::fmt::Debug for Auth {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            let mut kinds = Vec::new();
            if self.oauth.is_some() {
                kinds.push("oauth2 client credentials".to_string());
            }
            if self.static_token {
                kinds.push("static token".to_string());
            }
            if let Some(s) = &self.sigv4 {
                kinds.push(format!("sigv4 ({}, {})", s.service, s.region));
            }
            if kinds.is_empty() {
                kinds.push("none".to_string());
            }
            f.write_str(&kinds.join(" + "))
        }
    }

    struct Token {
        value: String,
        /// When to fetch a new one (OAuth2 tokens with `expires_in`).
        refresh_at: Option<Instant>,
    }

    struct OAuth2 {
        token_uri: String,
        client_id: Option<String>,
        client_secret: String,
        scope: String,
        audience: Option<String>,
        resource: Option<String>,
    }

    struct SigV4 {
        service: String,
        region: String,
        provider: SharedCredentialsProvider,
        cached: Mutex<Option<Credentials>>,
    }

    #[derive(Deserialize)]
    struct TokenResponse {
        access_token: String,
        #[serde(default)]
        expires_in: Option<u64>,
    }

    fn prop<'a>(props: &'a BTreeMap<String, String>, key: &str) -> Option<&'a str> {
        props.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }

    impl Auth {
        pub(super) async fn from_props(
            props: &BTreeMap<String, String>,
            uri: &str,
            label: &str,
            http: reqwest::Client,
            s3: &S3Settings,
        ) -> Result<Self> {
            let oauth = prop(props, "credential").map(|c| {
                let (client_id, client_secret) = match c.split_once(':') {
                    Some((id, secret)) => (Some(id.to_string()), secret.to_string()),
                    None => (None, c.to_string()),
                };
                OAuth2 {
                    token_uri: prop(props, "oauth2-server-uri")
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("{uri}/v1/oauth/tokens")),
                    client_id,
                    client_secret,
                    scope: prop(props, "scope").unwrap_or("catalog").to_string(),
                    audience: prop(props, "audience").map(str::to_string),
                    resource: prop(props, "resource").map(str::to_string),
                }
            });
            let cached = prop(props, "token").map(|t| Token { value: t.to_string(), refresh_at: None });
            let sigv4 = if prop(props, "rest.sigv4-enabled").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
                Some(SigV4::from_props(props, label, s3).await?)
            } else {
                None
            };
            let static_token = cached.is_some();
            Ok(Auth { label: label.to_string(), http, cached: Mutex::new(cached), static_token, oauth, sigv4 })
        }

        fn err(&self, message: String) -> Error {
            Error::Catalog { catalog: self.label.clone(), message }
        }

        /// Whether a 401 can be answered by fetching a new token.
        pub(super) fn can_refresh(&self) -> bool {
            self.oauth.is_some()
        }

        /// Forgets the current token (after a 401).
        pub(super) async fn invalidate(&self) {
            if self.oauth.is_some() {
                *self.cached.lock().await = None;
            }
        }

        #[cfg(test)]
        pub(super) async fn set_token(&self, value: &str) {
            *self.cached.lock().await = Some(Token { value: value.to_string(), refresh_at: None });
        }

        /// The bearer token to send, fetching or refreshing an OAuth2 one when due.
        pub(super) async fn bearer(&self) -> Result<Option<String>> {
            let mut cached = self.cached.lock().await;
            if let Some(t) = cached.as_ref()
                && (t.refresh_at.is_none_or(|at| Instant::now() < at) || self.oauth.is_none())
            {
                return Ok(Some(t.value.clone()));
            }
            let Some(oauth) = &self.oauth else { return Ok(None) };
            let token = self.fetch_token(oauth).await?;
            let value = token.value.clone();
            *cached = Some(token);
            Ok(Some(value))
        }

        async fn fetch_token(&self, o: &OAuth2) -> Result<Token> {
            let mut form: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
            if let Some(id) = &o.client_id {
                form.push(("client_id", id));
            }
            form.push(("client_secret", &o.client_secret));
            form.push(("scope", &o.scope));
            if let Some(a) = &o.audience {
                form.push(("audience", a));
            }
            if let Some(r) = &o.resource {
                form.push(("resource", r));
            }
            let endpoint = redact_url(&o.token_uri);
            let mut attempt = 0;
            loop {
                attempt += 1;
                let sent = self.http.post(&o.token_uri).form(&form).send().await;
                let failure = match sent {
                    Ok(resp) => {
                        let status = resp.status();
                        match resp.bytes().await {
                            Ok(body) if status.is_success() => return self.parse_token(&body, &endpoint),
                            Ok(body) if !(retryable_status(status) && attempt < READ_ATTEMPTS) => {
                                let hint = if matches!(
                                    status,
                                    StatusCode::UNAUTHORIZED | StatusCode::BAD_REQUEST | StatusCode::FORBIDDEN
                                ) {
                                    "; check the catalog's `credential` (client-id:client-secret)"
                                } else {
                                    ""
                                };
                                return Err(self.err(format!(
                                    "OAuth2 token request to {endpoint} failed: {}{hint}",
                                    describe_status(status, &body)
                                )));
                            }
                            Ok(body) => describe_status(status, &body),
                            Err(e) => describe_transport(e),
                        }
                    }
                    Err(e) => describe_transport(e),
                };
                if attempt >= READ_ATTEMPTS {
                    return Err(self.err(format!("OAuth2 token request to {endpoint} failed: {failure}")));
                }
                tracing::debug!(endpoint = %endpoint, error = %failure, "retrying the token request");
                tokio::time::sleep(backoff(attempt)).await;
            }
        }

        fn parse_token(&self, body: &[u8], endpoint: &str) -> Result<Token> {
            let t: TokenResponse = serde_json::from_slice(body).map_err(|e| {
                self.err(format!("OAuth2 token endpoint {endpoint} answered without a usable access_token: {e}"))
            })?;
            // Refresh a minute before expiry (or halfway, for short-lived tokens).
            let refresh_at = t.expires_in.map(|s| {
                let life = Duration::from_secs(s);
                Instant::now() + life - (life / 2).min(Duration::from_secs(60))
            });
            tracing::debug!(expires_in = ?t.expires_in, "fetched an OAuth2 token");
            Ok(Token { value: t.access_token, refresh_at })
        }

        /// Adds the bearer token and/or the SigV4 signature to a request.
        pub(super) async fn apply(&self, req: &mut reqwest::Request) -> Result<()> {
            if let Some(t) = self.bearer().await? {
                let mut v = HeaderValue::from_str(&format!("Bearer {t}"))
                    .map_err(|_| self.err("the bearer token is not a valid header value".into()))?;
                v.set_sensitive(true);
                // Signed requests carry the token aside, as Java's RESTSigV4Signer does.
                let name = if self.sigv4.is_some() {
                    HeaderName::from_static("original-authorization")
                } else {
                    AUTHORIZATION
                };
                req.headers_mut().insert(name, v);
            }
            if let Some(s) = &self.sigv4 {
                s.sign(req, self).await?;
            }
            Ok(())
        }
    }

    impl SigV4 {
        async fn from_props(props: &BTreeMap<String, String>, label: &str, s3: &S3Settings) -> Result<Self> {
            let service = prop(props, "rest.signing-name").unwrap_or("execute-api").to_string();
            let key = |a: &str, b: &str| prop(props, a).or_else(|| prop(props, b)).map(str::to_string);
            let id = key("rest.access-key-id", "client.access-key-id");
            let secret = key("rest.secret-access-key", "client.secret-access-key");
            let token = key("rest.session-token", "client.session-token");
            let mut region = prop(props, "rest.signing-region")
                .or_else(|| prop(props, "client.region"))
                .map(str::to_string)
                .or_else(|| s3.region.clone());
            let provider = match (id, secret) {
                (Some(id), Some(secret)) => {
                    SharedCredentialsProvider::new(Credentials::new(id, secret, token, None, "catalog properties"))
                }
                _ => {
                    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
                    if let Some(p) = &s3.profile {
                        loader = loader.profile_name(p);
                    }
                    let sdk = loader.load().await;
                    if region.is_none() {
                        region = sdk.region().map(|r| r.to_string());
                    }
                    sdk.credentials_provider().ok_or_else(|| Error::Catalog {
                        catalog: label.to_string(),
                        message: "rest.sigv4-enabled is set but the AWS credential chain has no provider".into(),
                    })?
                }
            };
            let region = region.ok_or_else(|| {
                Error::Config(format!(
                    "catalog {label}: SigV4 needs a region: set rest.signing-region (or AWS_REGION / --region)"
                ))
            })?;
            Ok(SigV4 { service, region, provider, cached: Mutex::new(None) })
        }

        async fn credentials(&self, auth: &Auth) -> Result<Credentials> {
            let mut cached = self.cached.lock().await;
            if let Some(c) = cached.as_ref()
                && c.expiry().is_none_or(|e| e > SystemTime::now() + Duration::from_secs(300))
            {
                return Ok(c.clone());
            }
            let c = self
                .provider
                .provide_credentials()
                .await
                .map_err(|e| auth.err(format!("no AWS credentials to sign requests with: {e}")))?;
            *cached = Some(c.clone());
            Ok(c)
        }

        async fn sign(&self, req: &mut reqwest::Request, auth: &Auth) -> Result<()> {
            use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
            let creds = self.credentials(auth).await?;
            let identity = creds.into();
            let params = aws_sigv4::sign::v4::SigningParams::builder()
                .identity(&identity)
                .region(&self.region)
                .name(&self.service)
                .time(SystemTime::now())
                .settings(SigningSettings::default())
                .build()
                .map_err(|e| auth.err(format!("cannot sign the request: {e}")))?
                .into();
            let headers: Vec<(String, String)> = req
                .headers()
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect();
            let body = req.body().and_then(|b| b.as_bytes()).unwrap_or_default();
            let signable = SignableRequest::new(
                req.method().as_str(),
                req.url().as_str(),
                headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                SignableBody::Bytes(body),
            )
            .map_err(|e| auth.err(format!("cannot sign the request: {e}")))?;
            let (instructions, _) =
                sign(signable, &params).map_err(|e| auth.err(format!("cannot sign the request: {e}")))?.into_parts();
            let (new_headers, _) = instructions.into_parts();
            for h in new_headers {
                let name = HeaderName::from_bytes(h.name().as_bytes())
                    .map_err(|e| auth.err(format!("cannot sign the request: {e}")))?;
                let mut value =
                    HeaderValue::from_str(h.value()).map_err(|e| auth.err(format!("cannot sign the request: {e}")))?;
                value.set_sensitive(h.sensitive() || name == AUTHORIZATION);
                req.headers_mut().insert(name, value);
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    //! Against a real SeaweedFS (`weed mini` with its Iceberg REST server), started per test when
    //! `PRESTIGE_TEST_WEED` points at the binary; skipped otherwise.

    use std::collections::{BTreeMap, HashMap};
    use std::net::TcpListener;
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use iceberg::spec::{NestedField, PrimitiveType, Schema, Type};
    use iceberg::{NamespaceIdent, TableCreation, TableIdent, TableRequirement, TableUpdate};

    use super::super::config::{CatalogSpec, CatalogType};
    use super::super::{Catalog, read_metadata};
    use super::*;

    const KEY: &str = "prestige-rest-key";
    const SECRET: &str = "prestige-rest-secret-5up3r";

    struct Weed {
        child: Child,
        dir: tempfile::TempDir,
        rest: String,
        s3: String,
    }

    impl Drop for Weed {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn free_ports(n: usize) -> Vec<u16> {
        // weed also listens on port + 10000 (gRPC).
        let free =
            |p: u16| TcpListener::bind(("127.0.0.1", p)).is_ok() && TcpListener::bind(("127.0.0.1", p + 10000)).is_ok();
        let mut p = 20000 + (std::process::id() as u16 % 9000) + rand::random_range(0..500u16);
        let mut out = Vec::new();
        while out.len() < n {
            p = if p >= 29990 { 20000 } else { p + 1 };
            if free(p) {
                out.push(p);
            }
        }
        out
    }

    async fn start_weed(test: &str) -> Option<Weed> {
        // A test that skips itself silently proves nothing: without SeaweedFS it fails, saying how to get it.
        let Some(bin) = std::env::var_os("PRESTIGE_TEST_WEED").filter(|b| !b.is_empty()) else {
            panic!("{test}: set PRESTIGE_TEST_WEED to a SeaweedFS `weed` binary (scripts/test.sh installs one)");
        };
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("s3.json");
        std::fs::write(
            &config,
            serde_json::json!({"identities": [{"name": "admin", "credentials": [{"accessKey": KEY, "secretKey": SECRET}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]})
            .to_string(),
        )
        .unwrap();
        let p = free_ports(6);
        let data = dir.path().join("data");
        let log = std::fs::File::create(dir.path().join("weed.log")).unwrap();
        let mut cmd = Command::new(bin);
        cmd.arg("mini")
            .arg(format!("-dir={}", data.display()))
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-webdav=false", "-admin.ui=false", "-s3.port.lance=0"])
            .arg(format!("-master.port={}", p[0]))
            .arg(format!("-volume.port={}", p[1]))
            .arg(format!("-filer.port={}", p[2]))
            .arg(format!("-s3.port={}", p[3]))
            .arg(format!("-s3.port.iceberg={}", p[4]))
            .arg(format!("-admin.port={}", p[5]))
            .arg(format!("-s3.config={}", config.display()))
            .arg("-tableBucket=warehouse")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        #[cfg(target_os = "linux")]
        unsafe {
            use std::os::unix::process::CommandExt;
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        std::fs::create_dir_all(&data).unwrap();
        let weed = Weed {
            child: cmd.spawn().expect("start weed"),
            rest: format!("http://127.0.0.1:{}", p[4]),
            s3: format!("http://127.0.0.1:{}", p[3]),
            dir,
        };
        // Ready when the table bucket answers (it is created a moment after the REST port opens).
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        let form = [("grant_type", "client_credentials"), ("client_id", KEY), ("client_secret", SECRET)];
        while Instant::now() < deadline {
            if let Ok(r) = http.post(format!("{}/v1/oauth/tokens", weed.rest)).form(&form).send().await
                && let Ok(v) = r.json::<serde_json::Value>().await
                && let Some(token) = v["access_token"].as_str()
                && let Ok(r) =
                    http.get(format!("{}/v1/warehouse/namespaces", weed.rest)).bearer_auth(token).send().await
                && r.status().is_success()
            {
                return Some(weed);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!(
            "SeaweedFS did not start: {}",
            std::fs::read_to_string(weed.dir.path().join("weed.log")).unwrap_or_default()
        );
    }

    fn spec(weed: &Weed, extra: &[(&str, &str)]) -> CatalogSpec {
        let mut props: BTreeMap<String, String> = [
            ("uri", weed.rest.as_str()),
            ("warehouse", "warehouse"),
            ("s3.access-key-id", KEY),
            ("s3.secret-access-key", SECRET),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in extra {
            props.insert(k.to_string(), v.to_string());
        }
        CatalogSpec {
            name: "lake".into(),
            kind: CatalogType::Rest,
            uri: weed.rest.clone(),
            warehouse: Some("warehouse".into()),
            props,
            source: "test".into(),
        }
    }

    fn oauth(weed: &Weed) -> CatalogSpec {
        spec(weed, &[("credential", &format!("{KEY}:{SECRET}"))])
    }

    fn ns(s: &str) -> NamespaceIdent {
        NamespaceIdent::from_strs(s.split('.')).unwrap()
    }

    fn creation(name: &str) -> TableCreation {
        let schema = Schema::builder()
            .with_fields(vec![NestedField::optional(1, "x", Type::Primitive(PrimitiveType::Long)).into()])
            .build()
            .unwrap();
        TableCreation::builder().name(name.to_string()).schema(schema).build()
    }

    #[test]
    fn namespaces_and_errors_are_encoded_and_described() {
        assert_eq!(encode_namespace(&ns("a.b c/d")), "a%1Fb%20c%2Fd");
        assert_eq!(encode_segment("t-1_x.y~"), "t-1_x.y~");
        let body = br#"{"error":{"message":"Table does not exist: t","type":"NoSuchTableException","code":404}}"#;
        assert_eq!(
            describe_status(StatusCode::NOT_FOUND, body),
            "HTTP 404 Not Found: NoSuchTableException: Table does not exist: t"
        );
        let body = br#"{"error":"invalid_client","error_description":"Invalid client credentials"}"#;
        assert_eq!(
            describe_status(StatusCode::UNAUTHORIZED, body),
            "HTTP 401 Unauthorized: invalid_client: Invalid client credentials"
        );
        assert_eq!(
            describe_status(StatusCode::BAD_GATEWAY, b"  upstream down \n"),
            "HTTP 502 Bad Gateway: upstream down"
        );
    }

    #[tokio::test]
    async fn rest_catalog_against_seaweedfs() {
        let Some(weed) = start_weed("rest_catalog_against_seaweedfs").await else { return };
        let global = S3Settings::default();
        let cat = RestCatalog::connect(&oauth(&weed), &global).await.unwrap();
        assert_eq!(cat.prefix.as_deref(), Some("warehouse"));
        assert_eq!(cat.warehouse(), Some("warehouse"));
        let debug = format!("{cat:?}");
        assert!(!debug.contains(SECRET), "{debug}");
        assert!(debug.contains("oauth2"), "{debug}");

        // Namespaces, nested ones too; creating twice is fine.
        cat.create_namespace(&ns("a"), HashMap::new()).await.unwrap();
        cat.create_namespace(&ns("a"), HashMap::new()).await.unwrap();
        cat.create_namespace(&ns("a.b"), HashMap::from([("owner".into(), "me".into())])).await.unwrap();
        cat.create_namespace(&ns("x.y.z"), HashMap::new()).await.unwrap();
        assert!(cat.namespace_exists(&ns("a.b")).await.unwrap());
        assert!(!cat.namespace_exists(&ns("nope")).await.unwrap());
        let top = cat.list_namespaces(None).await.unwrap();
        assert_eq!(top, vec![ns("a"), ns("x")]);
        assert_eq!(cat.list_namespaces(Some(&ns("a"))).await.unwrap(), vec![ns("a.b")]);
        assert_eq!(cat.list_namespaces(Some(&ns("x.y"))).await.unwrap(), vec![ns("x.y.z")]);

        // Tables: create, load (the vended config points the table's files at SeaweedFS's S3), list.
        let t1 = TableIdent::new(ns("a"), "t1".into());
        let created = cat.create_table(&t1, creation("t1")).await.unwrap();
        let loc = created.metadata_location.clone().unwrap();
        assert!(loc.starts_with("s3://warehouse/a/t1/metadata/"), "{loc}");
        assert_eq!(created.metadata.format_version(), iceberg::spec::FormatVersion::V2);
        match cat.create_table(&t1, creation("t1")).await {
            Err(Error::Config(m)) if m.contains("already exists") => {}
            other => panic!("{other:?}"),
        }
        let loaded = cat.load_table(&t1).await.unwrap();
        assert_eq!(loaded.metadata_location.as_deref(), Some(loc.as_str()));
        // With PyIceberg's default `X-Iceberg-Access-Delegation: vended-credentials` SeaweedFS vends nothing
        // (no credential role); without the header it gives its S3 endpoint.
        assert_eq!(loaded.s3.endpoint_url, None);
        let plain = RestCatalog::connect(
            &spec(&weed, &[("credential", &format!("{KEY}:{SECRET}")), ("header.X-Iceberg-Access-Delegation", "")]),
            &global,
        )
        .await
        .unwrap();
        let loaded = plain.load_table(&t1).await.unwrap();
        assert_eq!(loaded.s3.endpoint_url.as_deref(), Some(weed.s3.as_str()));
        assert_eq!(loaded.s3.region.as_deref(), Some("us-east-1"));
        let from_file = read_metadata(&loaded.file_io, &t1, &loc).await.unwrap();
        assert_eq!(from_file.uuid(), loaded.metadata.uuid());
        let nested = TableIdent::new(ns("a.b"), "t2".into());
        cat.create_table(&nested, creation("t2")).await.unwrap();
        assert_eq!(cat.list_tables(&ns("a")).await.unwrap(), vec![t1.clone()]);
        assert_eq!(cat.list_tables(&ns("a.b")).await.unwrap(), vec![nested.clone()]);
        assert!(cat.load_table(&nested).await.is_ok());

        // Missing things.
        match cat.list_tables(&ns("nope")).await {
            Err(Error::Missing { what: "namespace", name, .. }) => assert_eq!(name, "nope"),
            other => panic!("{other:?}"),
        }
        match cat.load_table(&TableIdent::new(ns("a"), "nope".into())).await {
            Err(Error::Missing { what: "table", name, .. }) => assert_eq!(name, "a.nope"),
            other => panic!("{other:?}"),
        }
        match cat.load_table(&TableIdent::new(ns("zz"), "nope".into())).await {
            Err(Error::Missing { what, hint, .. }) => {
                assert!(what == "namespace" || hint.contains("namespace zz does not exist"), "{what} {hint}")
            }
            other => panic!("{other:?}"),
        }
        match cat.create_table(&TableIdent::new(ns("zz"), "t".into()), creation("t")).await {
            Err(Error::Missing { what: "namespace", .. }) => {}
            other => panic!("{other:?}"),
        }

        // Commits: a stale requirement conflicts; a good one gives a new metadata location.
        let stale = vec![TableRequirement::RefSnapshotIdMatch { r#ref: "main".into(), snapshot_id: Some(42) }];
        let set =
            |k: &str, v: &str| vec![TableUpdate::SetProperties { updates: HashMap::from([(k.into(), v.into())]) }];
        match cat.commit(&loaded, stale, set("k", "stale")).await {
            Err(Error::CommitConflict { table, message }) => {
                assert_eq!(table, "a.t1");
                assert!(message.contains("409"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let fresh = vec![
            TableRequirement::UuidMatch { uuid: loaded.metadata.uuid() },
            TableRequirement::RefSnapshotIdMatch { r#ref: "main".into(), snapshot_id: None },
        ];
        let committed = cat.commit(&loaded, fresh, set("k", "v")).await.unwrap();
        let new_loc = committed.metadata_location.clone().unwrap();
        assert_ne!(new_loc, loc);
        assert_eq!(committed.metadata.properties().get("k").map(String::as_str), Some("v"));
        assert_eq!(cat.load_table(&t1).await.unwrap().metadata_location.as_deref(), Some(new_loc.as_str()));
        let wrong_uuid = vec![TableRequirement::UuidMatch { uuid: uuid::Uuid::nil() }];
        assert!(matches!(cat.commit(&committed, wrong_uuid, set("k", "w")).await, Err(Error::CommitConflict { .. })));
        match cat.commit(&committed, vec![], vec![TableUpdate::SetCurrentSchema { schema_id: 99 }]).await {
            Err(Error::Iceberg { .. } | Error::CommitConflict { .. }) => {}
            other => panic!("{other:?}"),
        }

        // Paging: one item per page.
        let paged = RestCatalog::connect(
            &spec(&weed, &[("credential", &format!("{KEY}:{SECRET}")), ("rest-page-size", "1")]),
            &global,
        )
        .await
        .unwrap();
        for t in ["p1", "p2", "p3"] {
            paged.create_table(&TableIdent::new(ns("x.y.z"), t.into()), creation(t)).await.unwrap();
        }
        let mut names: Vec<String> =
            paged.list_tables(&ns("x.y.z")).await.unwrap().into_iter().map(|t| t.name).collect();
        names.sort();
        assert_eq!(names, ["p1", "p2", "p3"]);
        assert_eq!(paged.list_namespaces(None).await.unwrap(), vec![ns("a"), ns("x")]);

        // A rejected token is replaced once.
        cat.auth.set_token("not-a-token").await;
        assert_eq!(cat.list_tables(&ns("a")).await.unwrap(), vec![t1.clone()]);

        // Drop: gone afterwards; dropping again is Missing; a commit to it is Missing.
        cat.drop_table(&nested, false).await.unwrap();
        assert!(matches!(cat.load_table(&nested).await, Err(Error::Missing { what: "table", .. })));
        assert!(matches!(cat.drop_table(&nested, true).await, Err(Error::Missing { what: "table", .. })));
        cat.commit(&committed, vec![], set("a", "b")).await.unwrap();
        cat.drop_table(&t1, true).await.unwrap();
        assert!(matches!(
            cat.commit(&committed, vec![], set("a", "b")).await,
            Err(Error::Missing { what: "table", .. })
        ));
        assert!(cat.list_tables(&ns("a")).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn rest_catalog_auth_modes_against_seaweedfs() {
        let Some(weed) = start_weed("rest_catalog_auth_modes_against_seaweedfs").await else { return };
        let global = S3Settings::default();

        // Wrong secret: a catalog error with the status, never the secret.
        let wrong = "wrong-secret-do-not-print";
        let err = RestCatalog::connect(&spec(&weed, &[("credential", &format!("{KEY}:{wrong}"))]), &global)
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::Catalog { .. }), "{err:?}");
        assert!(text.contains("401") && text.contains("lake") && !text.contains(wrong), "{text}");
        assert!(!format!("{err:?}").contains(wrong));

        // No credentials: the config is public, namespaces are not.
        let anon = RestCatalog::connect(&spec(&weed, &[]), &global).await.unwrap();
        let err = anon.list_namespaces(None).await.unwrap_err();
        assert!(matches!(&err, Error::Catalog { message, .. } if message.contains("403")), "{err:?}");

        // A static token (here one the OAuth2 endpoint issued).
        let cat =
            RestCatalog::connect(&spec(&weed, &[("credential", &format!("{KEY}:{SECRET}"))]), &global).await.unwrap();
        let token = cat.auth.bearer().await.unwrap().unwrap();
        let with_token = RestCatalog::connect(&spec(&weed, &[("token", &token)]), &global).await.unwrap();
        assert!(!format!("{with_token:?}").contains(&token));
        with_token.create_namespace(&ns("tok"), HashMap::new()).await.unwrap();
        assert!(with_token.namespace_exists(&ns("tok")).await.unwrap());
        let bad_token = RestCatalog::connect(&spec(&weed, &[("token", "abc.def.ghi")]), &global).await.unwrap();
        let err = bad_token.list_namespaces(None).await.unwrap_err();
        assert!(matches!(&err, Error::Catalog { message, .. } if message.contains("401")), "{err:?}");

        // SigV4 with the S3 identity.
        let sig = RestCatalog::connect(
            &spec(
                &weed,
                &[
                    ("rest.sigv4-enabled", "true"),
                    ("rest.signing-region", "us-east-1"),
                    ("client.access-key-id", KEY),
                    ("client.secret-access-key", SECRET),
                ],
            ),
            &global,
        )
        .await
        .unwrap();
        assert!(!format!("{sig:?}").contains(SECRET));
        sig.create_namespace(&ns("sig.nested"), HashMap::new()).await.unwrap();
        assert_eq!(sig.list_namespaces(Some(&ns("sig"))).await.unwrap(), vec![ns("sig.nested")]);
        let t = TableIdent::new(ns("sig.nested"), "t".into());
        let created = sig.create_table(&t, creation("t")).await.unwrap();
        let set = vec![TableUpdate::SetProperties { updates: HashMap::from([("k".into(), "v".into())]) }];
        sig.commit(&created, vec![TableRequirement::UuidMatch { uuid: created.metadata.uuid() }], set).await.unwrap();
        let bad_sig = RestCatalog::connect(
            &spec(
                &weed,
                &[
                    ("rest.sigv4-enabled", "true"),
                    ("rest.signing-region", "us-east-1"),
                    ("client.access-key-id", KEY),
                    ("client.secret-access-key", wrong),
                ],
            ),
            &global,
        )
        .await
        .unwrap();
        let err = bad_sig.list_namespaces(None).await.unwrap_err();
        assert!(matches!(&err, Error::Catalog { .. }) && !err.to_string().contains(wrong), "{err:?}");

        // Unreachable: a catalog error naming the catalog.
        let mut dead = spec(&weed, &[]);
        dead.uri = "http://127.0.0.1:9".into();
        dead.props.insert("uri".into(), dead.uri.clone());
        let err = RestCatalog::connect(&dead, &global).await.unwrap_err();
        assert!(matches!(&err, Error::Catalog { catalog, .. } if catalog.contains("lake")), "{err:?}");
    }

    /// A server that answers each connection with the next scripted reply (`None`: read the request, then hang up).
    fn scripted(replies: Vec<Option<&'static str>>) -> (String, std::thread::JoinHandle<usize>) {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let mut served = 0;
            for reply in replies {
                let (stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream);
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                    if line == "\r\n" || line.is_empty() {
                        break;
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                served += 1;
                if let Some(r) = reply {
                    let mut stream = reader.into_inner();
                    let text = format!("{r}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    stream.write_all(text.as_bytes()).unwrap();
                }
            }
            served
        });
        (uri, handle)
    }

    async fn offline_catalog(uri: &str) -> RestCatalog {
        let props = BTreeMap::from([("uri".to_string(), uri.to_string())]);
        let http =
            reqwest::Client::builder().connect_timeout(CONNECT_TIMEOUT).timeout(REQUEST_TIMEOUT).build().unwrap();
        RestCatalog {
            name: "lake".into(),
            label: format!("lake ({uri})"),
            uri: uri.to_string(),
            warehouse: None,
            prefix: Some("wh".into()),
            endpoints: None,
            page_size: None,
            auth: auth::Auth::from_props(&props, uri, "lake", http.clone(), &S3Settings::default()).await.unwrap(),
            http,
            headers: headers_from(&props, "lake").unwrap(),
            s3: S3Settings::default(),
        }
    }

    fn base_table() -> LoadedTable {
        let mut c = creation("t");
        c.location = Some("s3://b/t".into());
        let metadata = iceberg::spec::TableMetadataBuilder::from_table_creation(c).unwrap().build().unwrap().metadata;
        LoadedTable {
            ident: TableIdent::new(ns("a"), "t".into()),
            metadata_location: Some("s3://b/t/metadata/v1.metadata.json".into()),
            metadata: metadata.into(),
            file_io: file_io(&S3Settings::default()),
            s3: S3Settings::default(),
        }
    }

    #[tokio::test]
    async fn commit_outcomes_when_answers_are_lost() {
        let set = || vec![TableUpdate::SetProperties { updates: HashMap::from([("k".into(), "v".into())]) }];
        let base = base_table();
        let (uri, server) = scripted(vec![
            None,
            Some("HTTP/1.1 503 Service Unavailable"),
            Some("HTTP/1.1 504 Gateway Timeout"),
            Some("HTTP/1.1 409 Conflict"),
            Some("HTTP/1.1 501 Not Implemented"),
            // A read is retried through 5xx.
            Some("HTTP/1.1 503 Service Unavailable"),
            Some("HTTP/1.1 500 Internal Server Error"),
            Some("HTTP/1.1 204 No Content"),
        ]);
        let cat = offline_catalog(&uri).await;
        for _ in 0..3 {
            match cat.commit(&base, vec![], set()).await {
                Err(Error::CommitUnknown { table, .. }) => assert_eq!(table, "a.t"),
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(cat.commit(&base, vec![], set()).await, Err(Error::CommitConflict { .. })));
        assert!(matches!(cat.commit(&base, vec![], set()).await, Err(Error::Catalog { .. })));
        assert!(cat.namespace_exists(&ns("a")).await.unwrap());
        assert_eq!(server.join().unwrap(), 8, "each commit was sent once, the read three times");

        // Nobody listening: the commit surely did not land.
        let dead = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}", l.local_addr().unwrap())
        };
        match offline_catalog(&dead).await.commit(&base, vec![], set()).await {
            Err(Error::Catalog { message, .. }) => assert!(message.contains("not sent"), "{message}"),
            other => panic!("{other:?}"),
        }
    }
}
