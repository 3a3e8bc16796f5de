//! Test harness: the built binary, the pinned Python readers, and SeaweedFS S3 servers on free loopback ports.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

pub const ACCESS_KEY: &str = "prestige-test-key";
pub const SECRET_KEY: &str = "prestige-test-secret";
/// The S3 Tables bucket every `S3Server` creates; its Iceberg REST warehouse and prefix have this name.
pub const ICEBERG_WAREHOUSE: &str = "warehouse";

/// The prestige binary with a clean environment for AWS and state.
pub fn prestige() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("prestige").expect("binary built");
    for v in ["AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_REGION", "PRESTIGE_FAILPOINT", "PRESTIGE_FAILPOINT_PANIC", "PRESTIGE_FAILPOINT_ERROR", "RUST_LOG"] {
        c.env_remove(v);
    }
    c.env("AWS_EC2_METADATA_DISABLED", "true");
    c
}

/// `prestige` as a std Command, for tests that spawn and kill it.
pub fn prestige_std() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("prestige"));
    for v in ["AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_REGION", "PRESTIGE_FAILPOINT", "PRESTIGE_FAILPOINT_PANIC", "PRESTIGE_FAILPOINT_ERROR", "RUST_LOG"] {
        c.env_remove(v);
    }
    c.env("AWS_EC2_METADATA_DISABLED", "true");
    c
}

fn tool(var: &str, what: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(p) => PathBuf::from(p),
        None => panic!("{var} is not set: run the test suite with ./scripts/test.sh, which installs {what}"),
    }
}

pub fn python() -> PathBuf {
    tool("PRESTIGE_TEST_PYTHON", "the Python readers (pyarrow, duckdb)")
}

fn weed() -> PathBuf {
    tool("PRESTIGE_TEST_WEED", "SeaweedFS")
}

/// Runs a script from tests/cli/py with the test venv's Python and parses its JSON output.
pub fn py_json(script: &str, args: &[&str], s3: Option<&S3Server>) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/py").join(script);
    let mut cmd = Command::new(python());
    cmd.arg(path).args(args);
    if let Some(s) = s3 {
        s.apply_env(&mut cmd);
    }
    let out = cmd.output().expect("run python");
    assert!(out.status.success(), "{script} {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("python printed JSON")
}

/// Reads Parquet at `location` with pyarrow or duckdb; returns (files, rows ordered by `order_by`).
pub fn read_parquet(engine: &str, location: &str, order_by: &str, s3: Option<&S3Server>) -> (u64, Vec<Value>) {
    let v = py_json("read_parquet.py", &[engine, "--order-by", order_by, location], s3);
    (v["files"].as_u64().unwrap(), v["rows"].as_array().unwrap().clone())
}

/// Runs tests/cli/py/iceberg_tool.py (PyIceberg / DuckDB reader and writer of Iceberg tables) with the test
/// venv's Python and parses its JSON stdout; panics with its stderr on failure. With `s3`, the AWS_* environment
/// points at that server (the tool's defaults for `--s3-endpoint/--key/--secret`); pass `s3.iceberg_args()` to use
/// its REST catalog. See the tool's docstring for subcommands and output shapes.
#[allow(dead_code)] // used by the Iceberg end-to-end tests
pub fn iceberg_py(args: &[&str], s3: Option<&S3Server>) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/py/iceberg_tool.py");
    let mut cmd = Command::new(python());
    cmd.arg(path).args(args);
    if let Some(s) = s3 {
        s.apply_env(&mut cmd);
    }
    let out = cmd.output().expect("run python");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "iceberg_tool.py {args:?} failed ({}):\n{stderr}", out.status);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("iceberg_tool.py {args:?} printed no JSON ({e}):\n{}\nstderr:\n{stderr}", String::from_utf8_lossy(&out.stdout))
    })
}

/// A SeaweedFS `weed mini` process: S3 endpoint on a free loopback port, data under `dir`.
pub struct S3Server {
    pub endpoint: String,
    dir: PathBuf,
    ports: Vec<u16>,
    child: Option<Child>,
}

fn port_pair_free(p: u16) -> bool {
    TcpListener::bind(("127.0.0.1", p)).is_ok() && TcpListener::bind(("127.0.0.1", p + 10000)).is_ok()
}

fn free_ports(n: usize) -> Vec<u16> {
    // weed also listens on port + 10000 for gRPC: pick ports where both are free.
    let mut out = Vec::new();
    let seed = std::process::id() as u64 ^ Instant::now().elapsed().as_nanos() as u64;
    let mut p = 20000 + ((seed * 7919) % 9000) as u16;
    while out.len() < n {
        p = if p >= 29990 { 20000 } else { p + 1 };
        if port_pair_free(p) && !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// True when `GET path` on the loopback `port` answers 200.
fn http_get_ok(port: u16, path: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    if write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.") && head.ends_with(b" 200")
}

impl S3Server {
    /// Starts a server with its data in `dir` (kept across `restart`).
    pub fn start(dir: &Path) -> Self {
        let mut s = Self { endpoint: String::new(), dir: dir.to_path_buf(), ports: free_ports(7), child: None };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        std::fs::create_dir_all(&self.dir).unwrap();
        let p = &self.ports;
        let log = std::fs::File::create(self.dir.join("weed.log")).unwrap();
        let mut cmd = Command::new(weed());
        cmd.arg("mini")
            .arg(format!("-dir={}", self.dir.display()))
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-webdav=false", "-admin.ui=false"])
            .arg(format!("-master.port={}", p[0]))
            .arg(format!("-volume.port={}", p[1]))
            .arg(format!("-filer.port={}", p[2]))
            .arg(format!("-s3.port={}", p[3]))
            .arg(format!("-s3.port.iceberg={}", p[4]))
            .arg(format!("-admin.port={}", p[5]))
            .arg(format!("-s3.port.lance={}", p[6]))
            // An S3 Tables bucket served by the Iceberg REST catalog (`iceberg_uri`, warehouse `warehouse`).
            .arg(format!("-tableBucket={ICEBERG_WAREHOUSE}"))
            // Every bucket is a collection with volumes of its own: the default limit (from free disk space)
            // runs out over one test run ("No writable volumes"), answered as InternalError to PUTs.
            .arg("-volume.max=2000")
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        #[cfg(target_os = "linux")]
        unsafe {
            use std::os::unix::process::CommandExt;
            // The server dies with the test process, even when it is killed.
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        self.child = Some(cmd.spawn().expect("start weed"));
        self.endpoint = format!("http://127.0.0.1:{}", p[3]);
        self.wait_ready();
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let client = self.client();
        while Instant::now() < deadline {
            let buckets = rt.block_on(client.list_buckets().send());
            let warehouse = buckets.is_ok_and(|b| b.buckets().iter().any(|b| b.name() == Some(ICEBERG_WAREHOUSE)));
            if warehouse && http_get_ok(self.ports[4], &format!("/v1/config?warehouse={ICEBERG_WAREHOUSE}")) {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("SeaweedFS did not start; see {}", self.dir.join("weed.log").display());
    }

    /// SIGKILLs the server.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same ports and data.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// The S3 endpoint, `http://127.0.0.1:PORT`.
    #[allow(dead_code)] // used by the Iceberg end-to-end tests
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// The Iceberg REST catalog, `http://127.0.0.1:PORT` (prefix/warehouse `warehouse`; OAuth2 client
    /// credentials at `/v1/oauth/tokens` are `access_key():secret_key()`).
    #[allow(dead_code)] // used by the Iceberg end-to-end tests
    pub fn iceberg_uri(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports[4])
    }

    #[allow(dead_code)] // used by the Iceberg end-to-end tests
    pub fn access_key(&self) -> &'static str {
        ACCESS_KEY
    }

    #[allow(dead_code)] // used by the Iceberg end-to-end tests
    pub fn secret_key(&self) -> &'static str {
        SECRET_KEY
    }

    /// `iceberg_tool.py` catalog arguments for this server's REST catalog.
    #[allow(dead_code)] // used by the Iceberg end-to-end tests
    pub fn iceberg_args(&self) -> Vec<String> {
        ["--rest", &self.iceberg_uri(), "--s3-endpoint", &self.endpoint, "--key", ACCESS_KEY, "--secret", SECRET_KEY]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    pub fn apply_env(&self, cmd: &mut Command) {
        cmd.env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_REGION", "us-east-1");
    }

    /// Environment pairs for assert_cmd.
    pub fn envs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_string()),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_REGION", "us-east-1".to_string()),
        ]
    }

    pub fn client(&self) -> aws_sdk_s3::Client {
        let creds = aws_sdk_s3::config::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test");
        let conf = aws_sdk_s3::config::Builder::new()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .force_path_style(true)
            .credentials_provider(creds)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// Creates a bucket with a unique name and returns it.
    pub fn bucket(&self, hint: &str) -> String {
        let name = format!("{}-{}", hint.replace('_', "-"), &uuid::Uuid::new_v4().simple().to_string()[..10]);
        block_on(self.client().create_bucket().bucket(&name).send()).expect("create bucket");
        name
    }

    /// Keys (with sizes) under `prefix` in `bucket`.
    pub fn list(&self, bucket: &str, prefix: &str) -> Vec<(String, i64)> {
        let out = block_on(self.client().list_objects_v2().bucket(bucket).prefix(prefix).send()).expect("list");
        out.contents().iter().map(|o| (o.key().unwrap_or_default().to_string(), o.size().unwrap_or(0))).collect()
    }

    pub fn get(&self, bucket: &str, key: &str) -> Vec<u8> {
        let client = self.client();
        block_on(async move {
            let out = client.get_object().bucket(bucket).key(key).send().await.expect("get");
            out.body.collect().await.expect("read body").into_bytes().to_vec()
        })
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

/// The server shared by all tests of this binary (each test uses its own bucket).
pub fn shared_s3() -> &'static S3Server {
    static SERVER: OnceLock<&'static S3Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        // Spawned from a thread that lives as long as the process, so PDEATHSIG fires only at process exit.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let dir = std::env::temp_dir().join(format!("prestige-weed-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            let server: &'static S3Server = Box::leak(Box::new(S3Server::start(&dir)));
            tx.send(server).unwrap();
            loop {
                std::thread::park();
            }
        });
        rx.recv().expect("shared S3 server")
    })
}

/// A dedicated server (for tests that kill it), spawned from a long-lived thread like the shared one.
pub fn own_s3(dir: &Path) -> &'static mut S3Server {
    let (tx, rx) = std::sync::mpsc::channel();
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        let server: &'static mut S3Server = Box::leak(Box::new(S3Server::start(&dir)));
        tx.send(server as *mut S3Server as usize).unwrap();
        loop {
            std::thread::park();
        }
    });
    let ptr = rx.recv().expect("own S3 server") as *mut S3Server;
    // SAFETY: the server is leaked (lives for the whole process) and only this test touches it.
    unsafe { &mut *ptr }
}

/// Writes NDJSON lines to a file.
pub fn write_lines(path: &Path, lines: &[String]) {
    let mut s = lines.join("\n");
    s.push('\n');
    std::fs::write(path, s).unwrap();
}

/// Parses a command's stdout as a JSON report.
pub fn report(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Every visible `*.parquet` under `dir` (recursively), hidden in-progress files excluded.
pub fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        if let Ok(rd) = std::fs::read_dir(d) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "parquet") {
                    out.push(p);
                }
            }
        }
    }
    walk(dir, &mut out);
    out.sort();
    out
}

/// True when the bytes are a complete Parquet file (magic at both ends, footer length in range).
pub fn has_footer(data: &[u8]) -> bool {
    let n = data.len();
    n >= 12 && &data[..4] == b"PAR1" && &data[n - 4..] == b"PAR1" && {
        let len = u32::from_le_bytes([data[n - 8], data[n - 7], data[n - 6], data[n - 5]]) as usize;
        len + 12 <= n
    }
}
