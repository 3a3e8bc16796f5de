//! Parquet readers over any BlobStore (local files or S3): ranged reads of the footer and of the column
//! chunks a scan needs, exposed as async RecordBatch streams.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use futures::{FutureExt, StreamExt};
use futures::future::BoxFuture;
use parquet::arrow::ParquetRecordBatchStreamBuilder;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use parquet::arrow::async_reader::{AsyncFileReader, ParquetRecordBatchStream};
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};

use crate::engine::error::{Error, Result};
use crate::engine::storage::BlobStore;

/// One stored Parquet object read through ranged GETs; every byte fetched is added to `bytes_read`.
#[derive(Clone)]
pub struct BlobReader {
    store: Arc<dyn BlobStore>,
    key: String,
    size: u64,
    bytes_read: Arc<AtomicU64>,
}

impl BlobReader {
    pub fn new(store: Arc<dyn BlobStore>, key: &str, size: u64) -> Self {
        Self::counted(store, key, size, Arc::default())
    }

    /// A reader that adds the bytes it fetches to a shared counter.
    pub fn counted(store: Arc<dyn BlobStore>, key: &str, size: u64, bytes_read: Arc<AtomicU64>) -> Self {
        Self { store, key: key.to_string(), size, bytes_read }
    }

    async fn fetch(&self, range: Range<u64>) -> parquet::errors::Result<Bytes> {
        let len = range.end - range.start;
        let data = self.store.get_range(&self.key, range).await.map_err(|e| ParquetError::External(Box::new(e)))?;
        self.bytes_read.fetch_add(len, Ordering::Relaxed);
        Ok(data)
    }
}

/// Requests in flight for one file.
const RANGE_CONCURRENCY: usize = 8;

/// Merges ranges (in any order) whose gap is at most `gap`; the result is sorted by start.
fn coalesce_ranges(ranges: &[Range<u64>], gap: u64) -> Vec<Range<u64>> {
    let mut sorted = ranges.to_vec();
    sorted.sort_by_key(|r| r.start);
    let mut out: Vec<Range<u64>> = Vec::new();
    for r in sorted {
        match out.last_mut() {
            Some(last) if r.start <= last.end + gap => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

impl AsyncFileReader for BlobReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        async move { self.fetch(range).await }.boxed()
    }

    /// Nearby ranges (a row group's column chunks, selected pages) are merged into fewer requests, which run
    /// concurrently: on S3 latency, not bandwidth, dominates small reads.
    fn get_byte_ranges(&mut self, ranges: Vec<Range<u64>>) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        async move {
            let merged = coalesce_ranges(&ranges, self.store.coalesce_gap());
            let this = &*self;
            let fetched: Vec<Bytes> = futures::stream::iter(merged.iter().cloned())
                .map(|r| this.fetch(r))
                .buffered(RANGE_CONCURRENCY)
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<parquet::errors::Result<_>>()?;
            Ok(ranges
                .iter()
                .map(|r| {
                    let i = merged.partition_point(|m| m.start <= r.start) - 1;
                    let base = merged[i].start;
                    fetched[i].slice((r.start - base) as usize..(r.end - base) as usize)
                })
                .collect())
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.size;
            let mut reader = ParquetMetaDataReader::new().with_prefetch_hint(Some(64 << 10));
            if let Some(o) = options {
                reader = reader
                    .with_column_index_policy(o.column_index_policy())
                    .with_offset_index_policy(o.offset_index_policy());
            }
            let md = reader.load_and_finish(self, size).await?;
            Ok(Arc::new(md))
        }
        .boxed()
    }
}

/// Reads the footer of `key`: schema and row groups, or a Parquet error naming the key.
pub async fn read_metadata(store: Arc<dyn BlobStore>, key: &str, size: u64) -> Result<ArrowReaderMetadata> {
    let mut r = BlobReader::new(store.clone(), key, size);
    ArrowReaderMetadata::load_async(&mut r, ArrowReaderOptions::new())
        .await
        .map_err(|e| Error::Parquet { path: store.location().display_key(key), source: e })
}

/// Turns a reader error into an engine error: a storage failure behind the reader stays a storage error
/// (missing object, access denied); anything else means the file is not readable Parquet.
pub fn parquet_error(path: String, e: ParquetError) -> Error {
    match e {
        ParquetError::External(inner) => match inner.downcast::<Error>() {
            Ok(engine) => *engine,
            Err(other) => Error::UnreadableParquet { path, source: ParquetError::External(other) },
        },
        other => Error::UnreadableParquet { path, source: other },
    }
}

/// A batch stream over `key` using already loaded metadata.
pub fn stream(
    store: Arc<dyn BlobStore>,
    key: &str,
    size: u64,
    meta: ArrowReaderMetadata,
    batch_size: usize,
) -> Result<ParquetRecordBatchStream<BlobReader>> {
    let r = BlobReader::new(store.clone(), key, size);
    ParquetRecordBatchStreamBuilder::new_with_metadata(r, meta)
        .with_batch_size(batch_size)
        .build()
        .map_err(|e| Error::Parquet { path: store.location().display_key(key), source: e })
}

#[cfg(test)]
mod tests {
    use super::coalesce_ranges;

    #[test]
    fn coalesces_near_ranges() {
        let got = coalesce_ranges(&[10..20, 0..5, 5_000_000..5_000_010, 30..40], 1 << 20);
        assert_eq!(got, vec![0..40, 5_000_000..5_000_010]);
        // With no gap allowed only touching ranges merge.
        let got = coalesce_ranges(&[10..20, 0..5, 20..25, 30..40], 0);
        assert_eq!(got, vec![0..5, 10..25, 30..40]);
    }
}
