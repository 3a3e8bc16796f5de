//! prestige: parse arguments, set up logging and the runtime, dispatch, and turn errors into exit codes.

mod commands;
use prestige::engine;

use std::io::IsTerminal;
use std::process::ExitCode;

use commands::exit;
use engine::error::{Error, ErrorKind};

fn init_tracing(verbose: u8, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (_, 0) => "warn,aws_config=error",
        (_, 1) => "warn,aws_config=error,prestige=info",
        (_, 2) => "info,prestige=debug",
        _ => "debug,prestige=trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .without_time()
        .init();
}

/// The exit code for an error: the engine's kind if one is in the chain, else a generic failure.
fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<Error>() {
            return match e.kind() {
                ErrorKind::BadInput => exit::BAD_INPUT,
                ErrorKind::Storage => exit::STORAGE,
                ErrorKind::Config => exit::USAGE,
                ErrorKind::Interrupted => exit::INTERRUPTED,
                ErrorKind::Busy => exit::BUSY,
                ErrorKind::Conflict => exit::CONFLICT,
                ErrorKind::Diverged => exit::DIVERGED,
                ErrorKind::Other => exit::FAILURE,
            };
        }
    }
    exit::FAILURE
}

/// Whether the error is stdout's reader going away (`prestige … | head`): a plain I/O error or a JSON
/// serializer's, before any engine error in the chain (an engine error wrapping a broken pipe is about a file
/// or a hook's input, and is a real failure).
fn is_closed_stdout(err: &anyhow::Error) -> bool {
    for cause in err.chain() {
        if cause.downcast_ref::<Error>().is_some() {
            return false;
        }
        let kind = match (cause.downcast_ref::<std::io::Error>(), cause.downcast_ref::<serde_json::Error>()) {
            (Some(io), _) => Some(io.kind()),
            (None, Some(json)) => json.io_error_kind(),
            _ => None,
        };
        if kind == Some(std::io::ErrorKind::BrokenPipe) {
            return true;
        }
    }
    false
}

/// The error and its causes on one line, each cause once: an error whose message already includes its
/// source's text (`read x: No such file or directory`) is not followed by that source again.
fn error_message(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        let text = text.trim();
        if text.is_empty() || parts.last().is_some_and(|last| last.contains(text)) {
            continue;
        }
        parts.push(text.to_string());
    }
    parts.join(": ")
}

/// Parquet decoding and encoding allocate and free buffers of a few megabytes on many threads. glibc serves
/// those from fresh mmaps or trims them back to the kernel after each use, so every page is faulted in and
/// zeroed again: a fifth of a selective scan's time. Keeping up to 8 MiB per arena costs little memory.
/// An operator's own `GLIBC_TUNABLES` / `MALLOC_*_` settings win.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    let own = std::env::var_os("GLIBC_TUNABLES").is_some()
        || std::env::var_os("MALLOC_TRIM_THRESHOLD_").is_some()
        || std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_some();
    if !own {
        // SAFETY: mallopt only adjusts allocator parameters; called before any other thread exists.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 8 << 20);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 8 << 20);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

fn main() -> ExitCode {
    tune_allocator();
    let cli = commands::parse();
    init_tracing(cli.global.verbose, cli.global.quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::FAILURE);
        }
    };
    let result = runtime.block_on(commands::run(cli));
    // Don't wait for a reader thread parked in a blocking stdin read after an interrupt.
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        // A closed stdout ends the command quietly with success, as `| head` expects (see README: exit codes).
        Err(e) if is_closed_stdout(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_message(&e));
            ExitCode::from(exit_code(&e))
        }
    }
}
