//! Parquet readers over any BlobStore (local files or S3): ranged reads of the footer and of the column
//! chunks a scan needs, exposed as async RecordBatch streams.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;
use parquet::arrow::ParquetRecordBatchStreamBuilder;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use parquet::arrow::async_reader::{AsyncFileReader, ParquetRecordBatchStream};
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};

use super::error::{Error, Result};
use super::storage::BlobStore;

/// One stored Parquet object read through ranged GETs.
#[derive(Clone)]
pub struct BlobReader {
    store: Arc<dyn BlobStore>,
    key: String,
    size: u64,
}

impl BlobReader {
    pub fn new(store: Arc<dyn BlobStore>, key: &str, size: u64) -> Self {
        Self { store, key: key.to_string(), size }
    }
}

impl AsyncFileReader for BlobReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        async move { self.store.get_range(&self.key, range).await.map_err(|e| ParquetError::External(Box::new(e))) }
            .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        _options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.size;
            let md = ParquetMetaDataReader::new().with_prefetch_hint(Some(64 << 10)).load_and_finish(self, size).await?;
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
