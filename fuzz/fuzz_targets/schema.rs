//! Fuzz target: schema file text → `parse_schema` → `LineDecoder::new`, then the remaining input lines decoded
//! against it and the batch written to Parquet in memory.
//!
//! Input layout: the first line is the schema document (JSON), every further line an NDJSON row.
//! Errors are fine; a panic is a finding, and so is a batch whose row count is not the lines accepted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parquet::arrow::ArrowWriter;
use prestige::engine::ndjson::LineDecoder;
use prestige::engine::schema::parse_schema;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|b| *b == b'\n');
    let Some(first) = parts.next() else { return };
    let Ok(text) = std::str::from_utf8(first) else { return };
    let Ok(schema) = parse_schema(text) else { return };
    let Ok(mut dec) = LineDecoder::new(schema) else { return };
    let mut accepted = 0;
    for l in parts.take(64) {
        if dec.decode_line(l).is_ok() {
            accepted += 1;
        }
    }
    let batch = dec.finish();
    assert_eq!(batch.num_rows(), accepted, "rows in the batch != lines accepted");
    let mut buf = Vec::new();
    if let Ok(mut w) = ArrowWriter::try_new(&mut buf, batch.schema(), None) {
        let _ = w.write(&batch);
        let _ = w.close();
    }
});
