//! Fuzz target: NDJSON bytes → schema inference → strict line decoder → Parquet (in memory).
//!
//! Errors are fine; a panic (or an abort) is a finding. Invariants checked as well:
//! - the batch holds exactly the lines `decode_line` accepted;
//! - what the Parquet writer wrote reads back equal to the batch;
//! - with `PRESTIGE_FUZZ_SPEC=1` (the inference spec of issue 9): every line of the inference sample that is
//!   valid JSON decodes against the schema inferred from it. (Sample lines that are not JSON at all, such as
//!   `{"a":1}` followed by a vertical tab, and lines with a duplicate key are known to be accepted by inference and
//!   then rejected by the decoder.)
#![no_main]

use arrow::array::RecordBatch;
use libfuzzer_sys::fuzz_target;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use prestige::engine::ndjson::{LineDecoder, infer_schema};

fn spec_checks() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("PRESTIGE_FUZZ_SPEC").is_some_and(|v| v == "1"))
}

fuzz_target!(|data: &[u8]| {
    let data = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
    let lines: Vec<&[u8]> = data
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
        .take(256)
        .collect();
    if lines.is_empty() {
        return;
    }
    // The first line says how many lines form the sample (like --infer-rows), when it is short.
    let sample = (lines[0].len() % lines.len()).max(1);
    let Ok(schema) = infer_schema(&lines[..sample]) else { return };
    let Ok(mut dec) = LineDecoder::new(schema) else { return };
    let mut accepted = 0;
    for (i, l) in lines.iter().enumerate() {
        match dec.decode_line(l) {
            Ok(()) => accepted += 1,
            Err(e) => {
                // Known and left to the decoder: duplicate keys (inference merges them, the decoder refuses them).
                let known = e.contains("duplicate key");
                if spec_checks() && i < sample && !known && serde_json::from_slice::<serde_json::Value>(l).is_ok() {
                    panic!("sample line {} does not decode against the schema inferred from it: {e}", i + 1);
                }
            }
        }
    }
    let batch = dec.finish();
    assert_eq!(batch.num_rows(), accepted, "rows in the batch != lines accepted");
    write_and_compare(&batch);
});

fn write_and_compare(batch: &RecordBatch) {
    let mut buf = Vec::new();
    let Ok(mut w) = ArrowWriter::try_new(&mut buf, batch.schema(), None) else { return };
    if w.write(batch).is_err() || w.close().is_err() {
        return;
    }
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(buf)).expect("read back what was written");
    let back: Vec<RecordBatch> = reader.build().expect("reader").collect::<Result<_, _>>().expect("decode");
    let back = arrow::compute::concat_batches(&batch.schema(), &back).expect("concat");
    assert_eq!(back.num_rows(), batch.num_rows(), "row count changed through Parquet");
    for (i, (a, b)) in batch.columns().iter().zip(back.columns()).enumerate() {
        assert!(
            a.to_data() == b.to_data(),
            "column {} changed through Parquet:\n{:?}\n!=\n{:?}",
            batch.schema().field(i).name(),
            a,
            b
        );
    }
}
