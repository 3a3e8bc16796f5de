//! `prestige upload`: ship finished files and directories to S3.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;

use super::render;
use super::{Context, exit};
use crate::engine::storage::Location;
use crate::engine::units::parse_size;
use crate::engine::upload::{self, UploadAction, UploadOptions, UploadReport};

#[derive(Debug, Args)]
#[command(after_long_help = "Example:\n  prestige upload ./out --to s3://bucket/raw/events --skip-existing --remove-source")]
pub struct UploadArgs {
    /// Files and directories (uploaded recursively; keys keep the paths relative to the directory)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Destination: s3://bucket/dir (a local directory works too)
    #[arg(long, value_name = "DEST")]
    pub to: String,
    /// Files larger than this are uploaded in parts of this size
    #[arg(long, default_value = "8MiB", value_name = "SIZE", value_parser = parse_size)]
    pub part_size: u64,
    /// Parts and files in flight at once
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=256))]
    pub concurrency: u64,
    /// Skip objects that already exist with the same size and checksum
    #[arg(long)]
    pub skip_existing: bool,
    /// Delete each local file once its upload is verified
    #[arg(long)]
    pub remove_source: bool,
    /// Show what would be uploaded without uploading
    #[arg(long, alias = "dry-run")]
    pub plan: bool,
}

pub async fn run(args: UploadArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    if args.part_size < 5 << 20 {
        return Err(crate::engine::error::Error::Config("--part-size must be at least 5MiB (an S3 limit)".into()).into());
    }
    let mut s3 = ctx.s3.clone();
    s3.concurrency = args.concurrency as usize;
    let opts = UploadOptions {
        paths: args.paths.clone(),
        destination: Location::parse(&args.to)?,
        part_size: args.part_size,
        concurrency: args.concurrency as usize,
        skip_existing: args.skip_existing,
        remove_source: args.remove_source,
        plan: args.plan,
        s3,
    };
    let progress = Arc::new(render::TermProgress::new(ctx.progress));
    let report = upload::upload(opts, progress).await.with_context(|| format!("upload to {}", args.to))?;
    for f in report.files.iter().filter(|f| f.action == UploadAction::Failed) {
        tracing::error!("{}: {}", f.source, f.error.as_deref().unwrap_or("failed"));
    }
    render::print_report(ctx.format, &report, table)?;
    Ok(ExitCode::from(if report.failed > 0 { exit::PARTIAL } else { exit::OK }))
}

fn table(r: &UploadReport) -> String {
    let mut t = render::table(&["source", "destination", "size", "action"]);
    for f in &r.files {
        let action = match (&f.action, &f.error) {
            (UploadAction::Failed, Some(e)) => format!("failed: {e}"),
            (a, _) => serde_json::to_value(a).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
        };
        t.add_row(vec![f.source.clone(), f.location.clone(), render::bytes(f.bytes), action]);
    }
    let (n, verb) = if r.status == "plan" {
        (r.files.iter().filter(|f| f.action == UploadAction::WouldUpload).count(), "to upload")
    } else {
        (r.uploaded, "uploaded")
    };
    format!(
        "{t}\n{} {verb}, {} skipped, {} failed; {} in {:.2}s ({:.1} MiB/s)",
        render::count(n as u64, "file", "files"),
        r.skipped,
        r.failed,
        render::bytes(r.bytes_uploaded),
        r.elapsed_ms as f64 / 1000.0,
        r.mib_per_sec
    )
}
